"""Interruptions: the removal of every root credential, cancelled mid-run - SIGINT, SIGTERM and SIGKILL of
ansible-playbook, SIGTERM and SIGKILL of the module process itself.  The emulator answers every IAM call
slowly (a ``slow`` fault rule) so that the cancel lands while accounts are being worked on; the cancel comes
once the run journal shows two accounts finished.  Then, from the emulator's request log (its arrival times
against the kill time) and the journal:

- no account was started after the cancel (beyond the detection window of the parent watch, 0.5 s), so no
  account changed after it but those in flight;
- the journal holds exactly one ``account`` line per finished account, each the account's final entry, and
  its ``end`` line when the module could still complete (every cancel but SIGKILL of the module);
- the module no longer runs, and the result came back where something could still receive it (SIGTERM of
  the module: the playbook goes on, the task failed with ``interrupted``, ``changed`` true);
- a re-run with the same journal finishes the job (every account clean), and a second re-run writes nothing.

And the secrets given through module_defaults are not left in Ansible's remote temporary directory by a
SIGTERM of ansible-playbook mid-module."""

from __future__ import annotations

import json
import os
import pathlib
import signal
import subprocess
import time

import boto3
import pytest
import yaml

from reliability_support import MANAGEMENT, RCM, active_members, is_clean
from rootguard_integration_conftest import ansible_command, ansible_environment
from rootguard_emulator.evidence import leaks, writes

ACCOUNTS = 10
CONCURRENCY = 2
SLOW_SECONDS = 0.25
# The parent watch looks every 0.5 s; an account may still start within that window after a SIGKILL of
# ansible-playbook.  Twice that, for scheduling on a busy machine.
DETECTION_SECONDS = 1.0
KILL_AFTER_FINISHED = 2
REGION = "us-east-1"
MODULE_FILE = "AnsiballZ_root_credentials.py"


def removal_playbook(path: pathlib.Path, module_defaults: dict | None = None, journal: bool = True) -> str:
    """root_credentials on every account with a journal, its result saved; ignore_errors so that an
    interrupted (failed) task still has its result saved when the playbook is still there."""
    play = {
        "name": "Remove every root credential, with a journal",
        "hosts": "localhost",
        "gather_facts": False,
        "tasks": [
            {"name": "Remove", "rootguard.aws.root_credentials": {
                "all_accounts": True, "concurrency": "{{ concurrency }}", "journal": "{{ journal }}", "fail_on_error": False},
             "register": "removal", "ignore_errors": True},
            {"name": "Save the result", "ansible.builtin.copy": {
                "content": "{{ removal | to_nice_json }}", "dest": "{{ results_dir }}/{{ result_name }}.json", "mode": "0600"}},
        ],
    }
    if not journal:
        del play["tasks"][0]["rootguard.aws.root_credentials"]["journal"]
    if module_defaults:
        play["module_defaults"] = {"group/rootguard.aws.aws": module_defaults}
    path.write_text(yaml.safe_dump([play], sort_keys=False))
    return str(path)


def journal_lines(path: pathlib.Path) -> list:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def finished_accounts(records: list, run_id: str | None = None) -> list:
    return [record["account"] for record in records
            if record["record"] == "account" and (run_id is None or record["run_id"] == run_id) and record["account"]["status"] != "skipped"]


def module_pids(marker: str) -> list:
    """The pids of the root_credentials module processes started from ``marker`` (a test's own temporary directory)."""
    pids = []
    for entry in pathlib.Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(MODULE_FILE.encode() in part and marker.encode() in part for part in command) and b"sh" not in command[0].split(b"/")[-1]:
            pids.append(int(entry.name))
    return pids


def end_leftovers(marker: str) -> None:
    """SIGKILL what this test started and is still running (an ansible-playbook worker whose
    parent was killed may wait forever to hand its result over): the processes whose command
    line names the test's own temporary directory."""
    for entry in pathlib.Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                if marker.encode() in (entry / "cmdline").read_bytes():
                    os.kill(int(entry.name), signal.SIGKILL)
            except OSError:
                pass


def module_ended(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat", encoding="utf-8") as handle:
            return handle.read().rsplit(") ", 1)[1][0] in "ZX"
    except OSError:
        return True


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Interrupted:
    """One removal run under ansible-playbook, cancelled mid-run."""

    def __init__(self, emulator, tmp_path: pathlib.Path, ansible_environment, ansible_command):
        self.tmp_path = tmp_path
        self.remote_tmp = tmp_path / "ansible-home" / "tmp"
        self.journal_dir = tmp_path / "journal"
        self.journal_dir.mkdir(mode=0o700, exist_ok=True)
        self.journal = self.journal_dir / "removal.jsonl"
        self.results_dir = tmp_path / "results"
        self.results_dir.mkdir(exist_ok=True)
        self.environment = ansible_environment(emulator, tmp_path, {"ANSIBLE_REMOTE_TEMP": str(self.remote_tmp)})
        self.ansible_playbook = ansible_command("ansible-playbook")
        self.process = None

    def start(self, playbook: str, result_name: str, extra_env: dict | None = None):
        variables = {"results_dir": str(self.results_dir), "journal": str(self.journal), "concurrency": CONCURRENCY,
                     "result_name": result_name}
        self.process = subprocess.Popen([self.ansible_playbook, playbook, "-e", json.dumps(variables)],
                                        env={**self.environment, **(extra_env or {})}, stdout=subprocess.PIPE,
                                        stderr=subprocess.STDOUT, text=True)
        return self.process

    def module_pid(self) -> int:
        return wait_for(lambda: module_pids(str(self.tmp_path)), 120, "the module process")[0]


def cancel_and_judge(control, emulator, tmp_path, ansible_environment, ansible_command, signum, target: str) -> dict:
    truth = control.seed(accounts=ACCOUNTS, profile="full", features=[RCM])
    members = [account["id"] for account in active_members(truth)]
    control.add_fault(kind="slow", service="iam", delay_seconds=SLOW_SECONDS)
    control.clear_requests()
    run = Interrupted(emulator, tmp_path, ansible_environment, ansible_command)
    playbook = removal_playbook(tmp_path / "removal.yml")

    process = run.start(playbook, "removal")
    module = run.module_pid()
    wait_for(lambda: len(finished_accounts(journal_lines(run.journal))) >= KILL_AFTER_FINISHED, 300, "two accounts finished")
    killed_at = time.time()
    os.kill(process.pid if target == "playbook" else module, signum)
    output = process.communicate(timeout=300)[0]
    # The module ends by itself: at once for SIGKILL, after the accounts in flight otherwise.
    wait_for(lambda: module_ended(module), 120, "the module to end")
    end_leftovers(str(tmp_path))

    entries = control.requests()["entries"]
    first_request = {}
    for entry in entries:
        if entry["account"] in members:
            first_request.setdefault(entry["account"], entry["time"])
    in_flight = {account for account, started in first_request.items() if started <= killed_at + DETECTION_SECONDS}
    written_after = {entry["account"] for entry in entries if entry["write"] and entry["time"] > killed_at and entry["account"] in members}
    started_after = sorted(account for account in first_request if account not in in_flight)
    assert started_after == [], (started_after, killed_at, output[-3000:])
    assert written_after <= in_flight

    records = journal_lines(run.journal)
    run_id = records[0]["run_id"]
    assert records[0]["record"] == "start" and records[0]["module"] == "rootguard.aws.root_credentials"
    finished = finished_accounts(records, run_id)
    # One line per finished account, never two.
    assert len({account["id"] for account in finished}) == len(finished)
    for account in finished:
        # Each line is the account's final entry: the emulator agrees with it.
        assert account["status"] == "changed", account
        assert is_clean(control.root_user(account["id"])), account["id"]
    ended = records[-1]["record"] == "end"
    graceful = not (target == "module" and signum == signal.SIGKILL)
    assert ended is graceful, records[-1]
    touched = set(first_request)
    if graceful:
        # Every account started was finished and journaled; the others were never touched.
        assert {account["id"] for account in finished} == touched
        end = records[-1]
        assert end["interrupted"] is True and end["run_id"] == run_id
        assert end["summary"]["changed"] == len(finished)
        assert end["summary"]["skipped"] == 1 + len(members) - len(finished)
    else:
        # The accounts in flight at the SIGKILL were abandoned part-way, with no line.
        assert {account["id"] for account in finished} <= touched
        assert len(touched) - len(finished) <= CONCURRENCY
    assert len(touched) < len(members), "the cancel came too late to stop anything"

    saved = run.results_dir / "removal.json"
    returned = saved.exists() and "accounts" in json.loads(saved.read_text())
    if target == "module" and signum == signal.SIGTERM:
        assert returned and process.returncode == 0, output[-3000:]
        result = json.loads((run.results_dir / "removal.json").read_text())
        assert result["failed"] is True and result["changed"] is True and result["interrupted"] == "SIGTERM"
        assert result["run_id"] == run_id and result["journal"] == str(run.journal)
        assert [entry for entry in result["accounts"] if entry["status"] != "skipped"] == sorted(finished, key=lambda entry: entry["id"])
        assert sorted(entry["id"] for entry in result["accounts"] if entry["reason"] == "interrupted") == sorted(
            set(members) - touched)
    else:
        assert not returned

    # A re-run with the same journal finishes the job; a second one writes nothing.
    control.clear_faults()
    rerun = Interrupted(emulator, tmp_path, ansible_environment, ansible_command)
    rerun.start(playbook, "rerun").communicate(timeout=600)
    again = json.loads((run.results_dir / "rerun.json").read_text())
    assert again.get("failed", False) is False and again["summary"]["failed"] == 0, again.get("msg")
    assert [account for account in members if not is_clean(control.root_user(account))] == []
    control.clear_requests()
    rerun.start(playbook, "second").communicate(timeout=600)
    second = json.loads((run.results_dir / "second.json").read_text())
    assert second["changed"] is False and writes(control.requests()["entries"]) == []
    assert not module_pids(str(tmp_path))

    return {
        "accounts": len(truth["accounts"]), "active_accounts": len(members), "concurrency": CONCURRENCY,
        "slow_seconds": SLOW_SECONDS, "killed_after": KILL_AFTER_FINISHED, "started_after_cancel": len(started_after),
        "journal": "one line per finished account" + (", end line" if graceful else ", no end line (killed)"),
        "result_returned": returned, "rerun_clean": len(members), "second_rerun_writes": 0,
    }


SCENARIOS = [
    ("interrupt-sigint-playbook", signal.SIGINT, "playbook"),
    ("interrupt-sigterm-playbook", signal.SIGTERM, "playbook"),
    ("interrupt-sigkill-playbook", signal.SIGKILL, "playbook"),
    ("interrupt-sigterm-module", signal.SIGTERM, "module"),
    ("interrupt-sigkill-module", signal.SIGKILL, "module"),
]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc (Linux)")
@pytest.mark.parametrize("scenario, signum, target", SCENARIOS, ids=[scenario for scenario, _signum, _target in SCENARIOS])
def test_a_cancel_stops_the_removal_and_leaves_a_record(scenario, signum, target, control, emulator, tmp_path, record):
    figures = cancel_and_judge(control, emulator, tmp_path, ansible_environment, ansible_command, signum, target)
    record(scenario, section="interruptions", runs=3, signal=signum.name, target="ansible-playbook" if target == "playbook" else "the module",
           **figures)


def caller_credentials(endpoint: str) -> dict:
    """Temporary credentials of a role in the management account, issued by the emulator."""
    iam = boto3.client("iam", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"},
                                                     "Action": "sts:AssumeRole"}]}
    role = iam.create_role(RoleName="rootguard-interrupted", AssumeRolePolicyDocument=json.dumps(trust))["Role"]
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    return sts.assume_role(RoleArn=role["Arn"], RoleSessionName="interrupted")["Credentials"]


@pytest.mark.skipif(not os.path.isdir("/proc/self"), reason="needs /proc (Linux)")
def test_no_secret_from_module_defaults_stays_in_the_remote_tmp_after_a_sigterm_of_the_playbook(control, emulator, tmp_path):
    control.seed(accounts=6, profile="full", features=[RCM])
    control.add_fault(kind="slow", service="iam", delay_seconds=SLOW_SECONDS)
    credentials = caller_credentials(emulator.endpoint)
    secrets = {"secret key given in module_defaults": credentials["SecretAccessKey"],
               "session token given in module_defaults": credentials["SessionToken"]}
    playbook = removal_playbook(tmp_path / "removal.yml", {"access_key": credentials["AccessKeyId"],
                                                           "secret_key": credentials["SecretAccessKey"],
                                                           "session_token": credentials["SessionToken"]}, journal=False)
    run = Interrupted(emulator, tmp_path, ansible_environment, ansible_command)
    # Only module_defaults give the caller's credentials.
    process = run.start(playbook, "removal", {"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""})
    module = run.module_pid()
    # The module runs with the caller's credentials from module_defaults: root credentials are being removed.
    wait_for(lambda: [entry for entry in control.requests()["entries"] if entry["write"] and entry["principal"] == "root"], 300,
             "the first removal")
    process.send_signal(signal.SIGTERM)
    process.communicate(timeout=300)
    wait_for(lambda: module_ended(module), 120, "the module to end")
    end_leftovers(str(tmp_path))

    left = {str(path.relative_to(tmp_path)): path.read_bytes().decode("latin-1")
            for path in sorted((tmp_path / "ansible-home").rglob("*")) if path.is_file()}
    assert list(run.remote_tmp.iterdir()), "the controller was not killed before it could clean up"
    assert leaks(left, secrets) == []
