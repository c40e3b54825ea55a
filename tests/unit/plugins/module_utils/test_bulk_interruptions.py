# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""bulk and root_credentials under interruption and concurrency: the stop (signals, the death of
the processes that started the module), the run journal's format, claims of this run's changes
only (already_absent), and the virtual MFA devices left behind by an earlier run."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import bulk, common, errors, root_credentials, validation
from ansible_collections.rootguard.aws.plugins.module_utils.targeting import Targets
from rootguard_emulator.rootuser import root_user
from rootguard_emulator.seed import seed
from rootguard_emulator.state import STATE

RCM = ["RootCredentialsManagement"]
ISO_UTC = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?\+00:00$"


def accounts(count: int) -> list:
    return [{"id": f"2100000000{number:02d}", "name": f"a{number}", "ou_path": "/Root/"} for number in range(count)]


# map_accounts with a stop -------------------------------------------------------------------------

@pytest.mark.parametrize("workers", [1, 3])
def test_map_accounts_starts_no_account_after_the_stop_and_reports_the_rest_interrupted(workers):
    control = bulk.RunControl()
    started, finished = [], []
    control.finished = finished.append

    def work(account):
        started.append(account["id"])
        if len(started) == 3:
            control.stop("SIGTERM")
        return dict(bulk.account_result(account), status=bulk.STATUS_CHANGED)

    items = accounts(10)
    results = bulk.map_accounts(work, items, workers, control)

    # The accounts in flight when the stop came finish; no other is started.
    assert 3 <= len(started) <= 3 + workers - 1
    assert [result["id"] for result in results] == [item["id"] for item in items]
    done = [result for result in results if result["status"] == bulk.STATUS_CHANGED]
    assert sorted(result["id"] for result in done) == sorted(started)
    assert sorted(map(id, finished)) == sorted(map(id, done))
    for result in results:
        if result["id"] not in started:
            assert (result["status"], result["reason"]) == ("skipped", "interrupted")
            assert result["error_message"] == "The run was stopped before this account was started; nothing was done in it."
    assert control.cause == "SIGTERM"


def test_the_first_cause_of_a_stop_is_kept():
    control = bulk.RunControl()
    assert not control.stopped() and control.cause is None
    control.stop("parent_exited")
    control.stop("SIGINT")
    assert control.stopped() and control.cause == "parent_exited"


def test_module_result_of_an_interrupted_run_fails_and_keeps_changed():
    results = [dict(bulk.account_result(account), status=bulk.STATUS_CHANGED) for account in accounts(2)]
    results.append(bulk.interrupted_result(accounts(3)[2]))
    caller = type("Caller", (), {"organization_id": "o-a1b2c3d4e5"})()
    result = bulk.module_result(caller, results, [], fail_on_error=False)
    assert result["changed"] is True and result["failed"] is True
    assert result["summary"] == {"ok": 0, "changed": 2, "would_change": 0, "skipped": 1, "failed": 0, "total": 3}
    assert result["msg"] == ("The run was stopped before 1 of 3 accounts were started (status skipped, reason interrupted); "
                             "the accounts in flight were finished. Run again to finish the job.")


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_and_sigint_stop_the_run_instead_of_killing_the_process(signum):
    saved = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    control = bulk.RunControl()
    try:
        control.handle_signals()
        os.kill(os.getpid(), signum)
        deadline = time.monotonic() + 5
        while not control.stopped() and time.monotonic() < deadline:
            time.sleep(0.01)
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)
    assert control.cause == signum.name


# Watching the processes that started the module ----------------------------------------------

CHILD = textwrap.dedent("""
    import json, sys, time
    from ansible_collections.rootguard.aws.plugins.module_utils import bulk
    control = bulk.RunControl()
    ancestors = bulk.ansible_ancestors()
    control.watch_ancestors(ancestors, interval=0.1)
    print(json.dumps(ancestors), flush=True)
    deadline = time.monotonic() + 20
    while not control.stopped() and time.monotonic() < deadline:
        time.sleep(0.05)
    print(json.dumps([control.cause, time.monotonic()]), flush=True)
""")
# A stand-in for ansible-playbook: its command line mentions Ansible; it starts the child and waits.
PARENT = "import subprocess, sys; subprocess.run([sys.executable, '-c', sys.argv[1]]); # ansible-playbook stand-in"


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc (Linux)")
def test_the_run_stops_when_a_process_above_the_module_is_killed(tmp_path):
    output = tmp_path / "child.out"
    with open(output, "w", encoding="utf-8") as handle:
        parent = subprocess.Popen([sys.executable, "-c", PARENT, CHILD], stdout=handle, env=dict(os.environ))
    try:
        deadline = time.monotonic() + 30
        while not output.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
        ancestors = json.loads(output.read_text().splitlines()[0])
        assert ancestors[0][0] == parent.pid
        time.sleep(0.5)
        assert len(output.read_text().splitlines()) == 1, "stopped while its parent was alive"
        killed_at = time.monotonic()
        parent.kill()
        parent.wait()
        while len(output.read_text().splitlines()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        cause, stopped_at = json.loads(output.read_text().splitlines()[1])
    finally:
        parent.kill()
        parent.wait()
    assert cause == "parent_exited"
    assert stopped_at - killed_at < 2


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc (Linux)")
def test_a_zombie_and_a_reused_pid_count_as_gone():
    process = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        _state, started, _parent = bulk._process_status(process.pid)  # pylint: disable=protected-access
        assert not bulk.gone([(process.pid, started)])
        assert bulk.gone([(process.pid, started + 1)])
        process.stdin.close()
        deadline = time.monotonic() + 10
        while bulk._process_status(process.pid)[0] != "Z" and time.monotonic() < deadline:  # pylint: disable=protected-access
            time.sleep(0.01)
        # Exited but not yet reaped by its parent (this test): a zombie is gone.
        assert bulk.gone([(process.pid, started)])
    finally:
        process.stdin.close()
        process.wait()
    assert bulk.gone([(process.pid, started)])


def test_no_ancestor_is_watched_outside_ansible_or_without_proc(monkeypatch):
    # A process whose parent's command line does not mention Ansible: a child of this test process, whose
    # own command line is taken as not mentioning it (the make recipe that runs the tests, or the path of
    # a checkout under ansible_collections/, may well mention it).
    mentions_ansible = bulk._mentions_ansible  # pylint: disable=protected-access
    monkeypatch.setattr(bulk, "_mentions_ansible", lambda pid: pid != os.getpid() and mentions_ansible(pid))
    with subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) as child:
        try:
            assert bulk.ansible_ancestors(child.pid) == []
        finally:
            child.kill()
    assert bulk.RunControl().watch_ancestors([]) is None
    monkeypatch.setattr(bulk, "_process_status", lambda pid: None)
    assert bulk.ansible_ancestors() == []


# The journal -------------------------------------------------------------------------------------

def private(tmp_path):
    directory = tmp_path / "journal"
    directory.mkdir(mode=0o700)
    return directory


def lines(path) -> list:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_journal_lines_are_the_documented_records_each_synced(tmp_path, monkeypatch):
    path = private(tmp_path) / "run.jsonl"
    synced = []
    real_fsync = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real_fsync(fd)))
    journal = bulk.Journal.open(str(path), "run-1", "rootguard.aws.root_credentials", check_mode=False)
    entry = dict(bulk.account_result({"id": "210000000001", "name": "Ünïcode ✓", "ou_path": "/Root/"}), status="changed")
    journal.account(entry)
    journal.end({"changed": 1, "total": 1}, interrupted=True)
    journal.close()

    records = lines(path)
    assert len(synced) == 3
    assert [record["record"] for record in records] == ["start", "account", "end"]
    start, account, end = records
    assert set(start) == {"record", "run_id", "module", "check_mode", "time"}
    assert (start["run_id"], start["module"], start["check_mode"]) == ("run-1", "rootguard.aws.root_credentials", False)
    assert set(account) == {"record", "run_id", "time", "account"} and account["account"] == entry
    assert set(end) == {"record", "run_id", "time", "summary", "interrupted"}
    assert (end["summary"], end["interrupted"]) == ({"changed": 1, "total": 1}, True)
    for record in records:
        assert record["run_id"] == "run-1"
        assert re.match(ISO_UTC, record["time"]), record["time"]
    assert "Ünïcode ✓" in path.read_text(encoding="utf-8")
    assert oct(path.stat().st_mode & 0o777) == "0o600"


def test_journal_is_appended_to_never_truncated(tmp_path):
    path = private(tmp_path) / "run.jsonl"
    for run_id in ("first", "second"):
        journal = bulk.Journal.open(str(path), run_id, "rootguard.aws.root_credentials", check_mode=True)
        journal.close()
    assert [(record["record"], record["run_id"]) for record in lines(path)] == [("start", "first"), ("start", "second")]


def test_journal_in_a_directory_another_user_can_change_is_refused(tmp_path):
    directory = tmp_path / "shared"
    directory.mkdir()
    os.chmod(directory, 0o777)
    with pytest.raises(errors.InvalidInput) as excinfo:
        bulk.Journal.open(str(directory / "run.jsonl"), "r", "m", False)
    assert excinfo.value.message.startswith("journal: ") and "writable by other users" in excinfo.value.message
    assert not (directory / "run.jsonl").exists()


def test_journal_through_a_symbolic_link_is_refused(tmp_path):
    directory = private(tmp_path)
    target = tmp_path / "elsewhere"
    target.write_text("")
    (directory / "run.jsonl").symlink_to(target)
    with pytest.raises(errors.InvalidInput) as excinfo:
        bulk.Journal.open(str(directory / "run.jsonl"), "r", "m", False)
    assert excinfo.value.message.startswith("journal: the file cannot be opened for append")
    assert target.read_text() == ""


def test_read_journal_leaves_out_a_line_cut_short_by_a_kill(tmp_path):
    path = tmp_path / "run.jsonl"
    path.write_bytes(b'{"record": "start", "run_id": "a"}\n{"record": "account", "run_id": "a", "acc')
    assert bulk.read_journal(str(path)) == [{"record": "start", "run_id": "a"}]
    assert bulk.read_journal(str(tmp_path / "none.jsonl")) == []


@pytest.mark.parametrize("run_id", ["", "   ", "x" * 129])
def test_start_run_refuses_a_blank_or_long_run_id_before_anything(run_id, tmp_path):
    with pytest.raises(errors.InvalidInput) as excinfo:
        bulk.start_run({"run_id": run_id, "journal": str(tmp_path / "j.jsonl")}, "m", False)
    assert excinfo.value.message == "run_id: give 1 to 128 characters, not only blanks; or leave it out for a new random id."
    assert not (tmp_path / "j.jsonl").exists()


def test_finish_run_adds_run_id_journal_and_interruption_and_ends_the_journal(tmp_path):
    saved = {number: signal.getsignal(number) for number in (signal.SIGTERM, signal.SIGINT)}
    path = private(tmp_path) / "run.jsonl"
    try:
        control = bulk.start_run({"run_id": None, "journal": str(path)}, "rootguard.aws.root_password_recovery", True)
        control.stop("SIGINT")
        result = bulk.finish_run(control, {"changed": False, "summary": {"total": 0}})
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)
    assert len(result["run_id"]) == 32 and result["journal"] == str(path) and result["interrupted"] == "SIGINT"
    assert [(record["record"], record["run_id"]) for record in lines(path)] == [("start", result["run_id"]), ("end", result["run_id"])]
    assert lines(path)[1]["interrupted"] is True


# Virtual MFA devices left behind -------------------------------------------------------------------

SERIAL = "arn:aws:iam::210000000001:mfa/root-account-mfa-device"


def account_line(run_id: str, steps: list) -> dict:
    return {"record": "account", "run_id": run_id, "account": {"id": "210000000001", "actions": steps}}


def test_devices_left_in_journal_are_those_whose_deletion_failed_and_nothing_later_cleared():
    other = "arn:aws:iam::210000000002:mfa/other"
    records = [
        {"record": "start", "run_id": "one", "module": "rootguard.aws.root_credentials"},
        account_line("one", [{"action": "delete_virtual_mfa_device", "id": SERIAL, "done": False, "error": "aws_error: refused"},
                             {"action": "delete_virtual_mfa_device", "id": other, "done": False, "error": "aws_error: refused"}]),
        {"record": "start", "run_id": "two", "module": "rootguard.aws.root_credentials"},
        account_line("two", [{"action": "delete_virtual_mfa_device", "id": other, "done": False, "already_absent": True, "error": None}]),
        # A line of another module, or of a run whose start is not in the file, names nothing.
        {"record": "start", "run_id": "info", "module": "rootguard.aws.root_credentials_info"},
        account_line("info", [{"action": "delete_virtual_mfa_device", "id": "arn:aws:iam::210000000003:mfa/x", "error": "e"}]),
        account_line("unknown", [{"action": "delete_virtual_mfa_device", "id": "arn:aws:iam::210000000004:mfa/x", "error": "e"}]),
    ]
    assert root_credentials.devices_left_in_journal(records) == (SERIAL,)


@pytest.mark.parametrize("value", [["GAHT12345678"], ["arn:aws:iam::210000000001:u2f/root-user/key"], ["arn:aws:iam::1:mfa/x"]])
def test_devices_left_must_be_virtual_mfa_serials(value):
    with pytest.raises(errors.InvalidInput) as excinfo:
        validation.devices_left(value)
    assert excinfo.value.message.startswith(f"virtual_mfa_devices_left: {value[0]} is not the serial of a virtual MFA device")


def test_plan_removal_deletes_a_device_left_behind_after_the_listed_ones():
    found = {"access_keys": [], "signing_certificates": [], "password": {"present": True},
             "mfa_devices": [{"serial": "GAHT1", "type": "hardware"}]}
    assert root_credentials.plan_removal(found, root_credentials.CREDENTIAL_TYPES, [SERIAL, SERIAL]) == [
        {"action": "deactivate_mfa_device", "id": "GAHT1"},
        {"action": "delete_virtual_mfa_device", "id": SERIAL},
        {"action": "delete_login_profile", "id": None},
    ]
    assert root_credentials.plan_removal(found, ("password",), [SERIAL]) == [{"action": "delete_login_profile", "id": None}]


def test_merge_attempts_keeps_done_what_an_earlier_attempt_of_this_run_did():
    first = [{"action": "delete_access_key", "id": "K1", "done": True, "already_absent": False, "error": None},
             {"action": "delete_access_key", "id": "K2", "done": False, "already_absent": False, "error": None}]
    second = [{"action": "delete_access_key", "id": "K1", "done": False, "already_absent": True, "error": None},
              {"action": "delete_access_key", "id": "K2", "done": True, "already_absent": False, "error": None}]
    merged = root_credentials.merge_attempts([first, second])
    assert [(step["done"], step["already_absent"]) for step in merged] == [(True, False), (True, False)]
    assert second[0]["already_absent"] is True


# remove() against the in-process emulator -----------------------------------------------------------

def test_remove_claims_nothing_that_was_already_gone_when_its_call_came(emulator_factory, monkeypatch):
    truth = seed(accounts=2, profile="full", features=RCM)
    member = truth["accounts"][0]["id"]
    real_read = root_credentials.read_credentials

    # The race: every credential removed by "someone else" (another controller) right after this run's read.
    def read_and_remove_behind(iam, last_used, types=root_credentials.CREDENTIAL_TYPES):
        found = real_read(iam, last_used, types)
        assert root_credentials.apply_removal(iam, root_credentials.plan_removal(found, types))[1] is None
        return found

    monkeypatch.setattr(root_credentials, "read_credentials", read_and_remove_behind)
    result = root_credentials.remove(emulator_factory, Targets(account_ids=(member,)), root_credentials.CREDENTIAL_TYPES, 1, None,
                                     check_mode=False, fail_on_error=True)
    entry = next(entry for entry in result["accounts"] if entry["id"] == member)
    assert entry["status"] == "ok" and result["changed"] is False
    assert entry["actions"] and all((step["done"], step["already_absent"], step["error"]) == (False, True, None) for step in entry["actions"])
    assert not root_user(member).has_credentials


def test_remove_stopped_mid_run_starts_no_more_accounts_and_journals_each_finished_one(emulator_factory, tmp_path):
    truth = seed(accounts=6, profile="full", features=RCM)
    members = [account["id"] for account in truth["accounts"] if account["state"] == "ACTIVE"]
    path = private(tmp_path) / "run.jsonl"
    control = bulk.RunControl(bulk.Journal.open(str(path), "r1", "rootguard.aws.root_credentials", False))
    control.run_id = "r1"
    real_finished = control.finished

    def finished(result):
        real_finished(result)
        if result["status"] == "changed":
            control.stop("SIGTERM")

    control.finished = finished
    result = bulk.finish_run(control, root_credentials.remove(emulator_factory, Targets(all_accounts=True),
                                                              root_credentials.CREDENTIAL_TYPES, 1, None, False, True, control))

    statuses = {entry["id"]: (entry["status"], entry["reason"]) for entry in result["accounts"]}
    assert [statuses[member] for member in members] == [("changed", None)] + [("skipped", "interrupted")] * (len(members) - 1)
    assert result["changed"] is True and result["failed"] is True and result["interrupted"] == "SIGTERM"
    assert [member for member in members if not root_user(member).has_credentials] == members[:1]
    written = lines(path)
    journaled = [record["account"] for record in written if record["record"] == "account"]
    assert journaled == [entry for entry in result["accounts"] if entry["reason"] != "interrupted"]
    assert written[-1]["record"] == "end" and written[-1]["interrupted"] is True and written[-1]["summary"] == result["summary"]
    # No request in an account after the stop.
    touched = {entry["account"] for entry in STATE.request_log()["entries"] if entry["principal"] == "root"}
    assert touched == {members[0]}


@pytest.mark.parametrize("max_changed_accounts", [None, 10])
def test_remove_stopped_between_read_and_change_changes_nothing_more(emulator_factory, max_changed_accounts):
    truth = seed(accounts=4, profile="full", features=RCM)
    members = [account["id"] for account in truth["accounts"] if account["state"] == "ACTIVE"]
    control = bulk.RunControl()
    real_read = root_credentials.read_credentials
    reads = []

    def read(iam, last_used, types=root_credentials.CREDENTIAL_TYPES):
        reads.append(1)
        if len(reads) == 2:
            control.stop("parent_exited")
        return real_read(iam, last_used, types)

    original = root_credentials.read_credentials
    root_credentials.read_credentials = read
    try:
        result = root_credentials.remove(emulator_factory, Targets(all_accounts=True), root_credentials.CREDENTIAL_TYPES, 1,
                                         max_changed_accounts, False, True, control)
    finally:
        root_credentials.read_credentials = original
    statuses = [next(entry for entry in result["accounts"] if entry["id"] == member)["status"] for member in members]
    if max_changed_accounts is None:
        # The account in flight (read when the stop came) is finished; the others are not started.
        assert statuses == ["changed", "changed", "skipped", "skipped"]
    else:
        # Two read, then stopped: no change anywhere.
        assert statuses == ["skipped"] * 4
        assert all(step["done"] is False for entry in result["accounts"] for step in entry["actions"])
    changed = [member for member in members if not root_user(member).has_credentials]
    assert changed == [member for member, status in zip(members, statuses) if status == "changed"]


# The module's own AnsiballZ file ---------------------------------------------------------------------

class FakeModule:
    def __init__(self, keep: bool):
        self._keep_remote_files = keep


@pytest.mark.parametrize("keep", [False, True])
def test_the_module_deletes_its_own_ansiballz_file_unless_remote_files_are_kept(tmp_path, monkeypatch, keep):
    task_dir = tmp_path / "ansible-tmp-1796496618.68-9382-32104306025644"
    task_dir.mkdir()
    payload = task_dir / "AnsiballZ_root_credentials.py"
    payload.write_text("ANSIBALLZ_PARAMS = '{\"secret_key\": \"s3cr3t\"}'")
    monkeypatch.setattr(common, "_command_line", lambda: ["/usr/bin/python3", str(payload)])
    assert common.own_payload() == str(payload)
    common.remove_own_payload(FakeModule(keep))
    assert payload.exists() is keep


@pytest.mark.parametrize("name, directory", [
    ("AnsiballZ_root_credentials.py", "somewhere"),   # not a task's temporary directory
    ("root_credentials.py", "ansible-tmp-1-2-3"),      # not an AnsiballZ file
    ("AnsiballZ_root_credentials.txt", "ansible-tmp-1-2-3"),
])
def test_no_other_file_is_ever_deleted(tmp_path, monkeypatch, name, directory):
    (tmp_path / directory).mkdir()
    path = tmp_path / directory / name
    path.write_text("x")
    monkeypatch.setattr(common, "_command_line", lambda: ["/usr/bin/python3", "-I", str(path)])
    assert common.own_payload() is None
    common.remove_own_payload(FakeModule(False))
    assert path.exists()


def test_with_pipelining_there_is_no_file_to_delete(monkeypatch):
    monkeypatch.setattr(common, "_command_line", lambda: ["/usr/bin/python3"])
    assert common.own_payload() is None
    monkeypatch.setattr(common, "_command_line", lambda: ["/usr/bin/python3", "-c", "import sys"])
    assert common.own_payload() is None
