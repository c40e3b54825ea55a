"""The record a harden run leaves, through real ansible-playbook runs against the emulator: a run
id and an evidence directory per run that no later run overwrites, an "in progress" marker that
only a completed run replaces, a summary built from the run's own journal, two runs at once on
one report directory, and report directories that another user could change, refused before any
API call."""

from __future__ import annotations

import json
import os
import pathlib
import re
import signal
import subprocess
import time

import pytest

from conftest import ansible_command, ansible_environment
from rootguard_emulator.evidence import writes
from test_root_credentials import active_members, has_credentials

REPO = pathlib.Path(__file__).resolve().parents[2]
HARDEN = str(REPO / "playbooks" / "harden_organization.yml")
AUDIT = str(REPO / "playbooks" / "audit_organization.yml")
VEND = str(REPO / "playbooks" / "vend_accounts.yml")
FEATURES = ["RootCredentialsManagement", "RootSessions"]
REPORTS = ("json", "csv", "html")
RUN_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-f]{12}$")
NOBODY = 65534


def output(run) -> str:
    return run.stdout[-6000:] + run.stderr[-3000:]


def runs(report_dir: pathlib.Path) -> dict:
    """Run id -> its evidence directory."""
    return {path.name: path for path in sorted((report_dir / "runs").iterdir())}


def summary_run_id(path: pathlib.Path) -> str:
    match = re.match(r"Run ([^\s:]+)", path.read_text(encoding="utf-8"))
    assert match, path.read_text(encoding="utf-8")
    return match.group(1)


def journal(run_dir: pathlib.Path) -> list:
    return [json.loads(line) for line in (run_dir / "removal-journal.jsonl").read_text(encoding="utf-8").splitlines() if line]


def start_harden(emulator, tmp_path: pathlib.Path, extra_vars: dict, name: str) -> subprocess.Popen:
    """ansible-playbook harden_organization.yml started in the background, its output in tmp_path/<name>.log."""
    home = tmp_path / name
    home.mkdir()
    log = (tmp_path / f"{name}.log").open("w")
    return subprocess.Popen([ansible_command("ansible-playbook"), HARDEN, "-e", json.dumps(extra_vars)],
                            env=ansible_environment(emulator, home), stdout=log, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)


def test_each_run_keeps_its_own_evidence_and_the_summary_comes_from_its_journal(control, run_playbook, tmp_path):
    truth = control.seed(accounts=10, profile="mixed", features=FEATURES, trusted_access=True)
    with_credentials = {account["id"] for account in active_members(truth) if has_credentials(account["root_user"])}
    reports = tmp_path / "reports"

    plan = run_playbook(HARDEN, {"rootguard_report_dir": str(reports)})
    assert plan.returncode == 0, output(plan)
    (first_id, first_dir), = runs(reports).items()
    assert RUN_ID.match(first_id)
    first_before = (first_dir / "root-credentials-before.json").read_bytes()

    harden = run_playbook(HARDEN, {"rootguard_report_dir": str(reports), "rootguard_confirm": True, "rootguard_max_changed_accounts": 10})
    assert harden.returncode == 0, output(harden)

    evidence = runs(reports)
    assert len(evidence) == 2 and first_id in evidence
    second_id = next(run_id for run_id in evidence if run_id != first_id)
    second_dir = evidence[second_id]
    # The plan's evidence is as it was; the confirmed run has its own, before and after.
    assert (first_dir / "root-credentials-before.json").read_bytes() == first_before
    # Beside the reports, the modules' whole results (their accounts files).
    results = ["audit-result.json", "guardrails-result.json"]
    assert sorted(path.name for path in first_dir.iterdir()) == sorted(
        ["harden-summary.txt", "removal-journal.jsonl", "removal-result.json"]
        + [f"root-credentials-before.{ending}" for ending in REPORTS + tuple(results)])
    assert sorted(path.name for path in second_dir.iterdir()) == sorted(
        ["harden-summary.txt", "removal-journal.jsonl", "removal-result.json"]
        + [f"root-credentials-{when}.{ending}" for when in ("before", "after") for ending in REPORTS + tuple(results)])
    before = json.loads(first_before)
    assert {row["id"] for row in before["accounts"] if row["outcome"] == "noncompliant"} == with_credentials

    # Each run's summary is its own, from its own journal; the latest beside the runs is the second's.
    assert summary_run_id(first_dir / "harden-summary.txt") == first_id
    assert summary_run_id(second_dir / "harden-summary.txt") == second_id
    assert (reports / "harden-summary.txt").read_bytes() == (second_dir / "harden-summary.txt").read_bytes()
    for fmt in REPORTS:
        assert (reports / f"root-credentials-after.{fmt}").read_bytes() == (second_dir / f"root-credentials-after.{fmt}").read_bytes()
        assert (reports / f"root-credentials-before.{fmt}").read_bytes() == (second_dir / f"root-credentials-before.{fmt}").read_bytes()
    lines = journal(second_dir)
    assert {line["run_id"] for line in lines} == {second_id}
    assert [lines[0]["record"], lines[-1]["record"]] == ["start", "end"] and lines[-1]["interrupted"] is False
    changed = {line["account"]["id"] for line in lines if line["record"] == "account" and line["account"]["status"] == "changed"}
    assert changed == with_credentials
    summary = (second_dir / "harden-summary.txt").read_text(encoding="utf-8")
    assert f"Removal: credentials removed in {len(changed)} account(s)" in summary
    assert f"journal {second_dir / 'removal-journal.jsonl'}" in summary
    planned = journal(first_dir)
    assert planned[0]["check_mode"] is True and {line["run_id"] for line in planned} == {first_id}
    assert f"would remove credentials in {len(with_credentials)} account(s)" in (first_dir / "harden-summary.txt").read_text(encoding="utf-8")


def test_an_interrupted_run_leaves_its_in_progress_marker_and_a_run_id_is_never_reused(control, emulator, run_playbook, tmp_path):
    control.seed(accounts=6, profile="mixed", features=FEATURES, trusted_access=True)
    reports = tmp_path / "reports"
    done = run_playbook(HARDEN, {"rootguard_report_dir": str(reports)})
    assert done.returncode == 0, output(done)
    (done_id, done_dir), = runs(reports).items()
    done_summary = (done_dir / "harden-summary.txt").read_bytes()

    # Killed as soon as it has said it is in progress: the marker stays, the earlier run's evidence too.
    process = start_harden(emulator, tmp_path, {"rootguard_report_dir": str(reports), "rootguard_run_id": "killed-run"}, "killed")
    marker = reports / "runs" / "killed-run" / "harden-summary.txt"
    deadline = time.monotonic() + 120
    while "killed-run" not in (reports / "harden-summary.txt").read_text(encoding="utf-8") and time.monotonic() < deadline \
            and process.poll() is None:
        time.sleep(0.05)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    assert marker.read_text(encoding="utf-8").startswith("Run killed-run started at "), (tmp_path / "killed.log").read_text()
    top = (reports / "harden-summary.txt").read_text(encoding="utf-8")
    assert top.startswith("Run killed-run started at ") and "is in progress (or was interrupted)" in top, top
    assert str(reports / "runs" / "killed-run") in top
    assert (done_dir / "harden-summary.txt").read_bytes() == done_summary

    again = run_playbook(HARDEN, {"rootguard_report_dir": str(reports), "rootguard_run_id": "killed-run"})
    assert again.returncode != 0
    assert f"rootguard_run_id: {reports / 'runs' / 'killed-run'} already holds the evidence of a run" in again.stdout
    assert sorted(runs(reports)) == sorted([done_id, "killed-run"])


def test_two_harden_runs_at_once_keep_both_records(control, emulator, tmp_path):
    truth = control.seed(accounts=16, profile="mixed", features=FEATURES, trusted_access=True)
    with_credentials = {account["id"] for account in active_members(truth) if has_credentials(account["root_user"])}
    reports = tmp_path / "reports"
    extra = {"rootguard_report_dir": str(reports), "rootguard_confirm": True, "rootguard_max_changed_accounts": 16}

    processes = [start_harden(emulator, tmp_path, extra, name) for name in ("one", "two")]
    for process in processes:
        process.wait(timeout=900)
    logs = [(tmp_path / f"{name}.log").read_text() for name in ("one", "two")]
    assert [process.returncode for process in processes] == [0, 0], [log[-3000:] for log in logs]

    evidence = runs(reports)
    assert len(evidence) == 2, logs
    assert {account["id"] for account in active_members(truth) if has_credentials(control.root_user(account["id"]))} == set()
    claimed = []
    for run_id, run_dir in evidence.items():
        lines = journal(run_dir)
        assert {line["run_id"] for line in lines} == {run_id}
        assert lines[-1]["record"] == "end", lines[-1]
        changed = sorted(line["account"]["id"] for line in lines if line["record"] == "account" and line["account"]["status"] == "changed")
        claimed.extend(changed)
        summary = (run_dir / "harden-summary.txt").read_text(encoding="utf-8")
        assert summary_run_id(run_dir / "harden-summary.txt") == run_id
        assert f"Removal: credentials removed in {len(changed)} account(s)" in summary, summary
        for fmt in REPORTS:
            assert (run_dir / f"root-credentials-before.{fmt}").exists()
    # Every account cleaned is claimed, by one run or both (each run's claim is its own journal's).
    assert set(claimed) == with_credentials
    assert summary_run_id(reports / "harden-summary.txt") in evidence
    latest = evidence[summary_run_id(reports / "harden-summary.txt")]
    assert (reports / "harden-summary.txt").read_bytes() == (latest / "harden-summary.txt").read_bytes()


# ---------------------------------------------------------------------------
# Report directories another user could change


def hostile_directory(tmp_path: pathlib.Path, kind: str) -> pathlib.Path:
    path = tmp_path / kind
    path.mkdir()
    if kind == "other-owner":
        os.chown(path, NOBODY, NOBODY)
        path.chmod(0o755)
    elif kind == "world-writable":
        path.chmod(0o777)
    elif kind == "group-writable":
        path.chmod(0o770)
    return path


MESSAGES = {
    "other-owner": "is owned by user id 65534, not by this user (0): another user could replace what is written there",
    "world-writable": "is writable by other users (mode 0777) without the sticky bit",
    "group-writable": "is writable by other users (mode 0770) without the sticky bit",
}
PLAYBOOKS = {
    "harden": (HARDEN, "rootguard_report_dir", {"rootguard_confirm": True}),
    "audit": (AUDIT, "root_credentials_audit_report_dir", {}),
    "vend": (VEND, "account_vending_report_dir", {"rootguard_accounts": [{"name": "new", "email": "new@example.com"}]}),
}


@pytest.mark.parametrize("kind", sorted(MESSAGES))
@pytest.mark.parametrize("playbook", sorted(PLAYBOOKS))
def test_a_report_directory_another_user_can_change_is_refused_before_any_api_call(control, run_playbook, tmp_path, kind, playbook):
    control.seed(accounts=3, profile="full", features=FEATURES, trusted_access=True)
    directory = hostile_directory(tmp_path, kind)
    path, option, extra = PLAYBOOKS[playbook]
    control.clear_requests()

    run = run_playbook(path, {"rootguard_report_dir": str(directory), **extra})

    assert run.returncode != 0
    assert f"{option}: {directory} {MESSAGES[kind]}" in run.stdout, output(run)
    assert control.requests()["entries"] == []
    assert list(directory.iterdir()) == []


def test_a_shared_directory_with_the_sticky_bit_is_accepted(control, run_playbook, tmp_path):
    control.seed(accounts=3, profile="full", features=FEATURES, trusted_access=True)
    directory = tmp_path / "shared"
    directory.mkdir()
    directory.chmod(0o1777)

    run = run_playbook(HARDEN, {"rootguard_report_dir": str(directory)})

    assert run.returncode == 0, output(run)
    assert summary_run_id(directory / "harden-summary.txt") in runs(directory)
    assert writes(control.requests()["entries"]) == []


def test_a_virtual_mfa_device_left_behind_is_carried_from_run_to_run_until_deleted(control, run_playbook, tmp_path):
    truth = control.seed(accounts=3, profile="full", features=FEATURES, trusted_access=True)
    stuck, other = active_members(truth)[:2]
    virtual = next(device["serial"] for device in stuck["root_user"]["mfa_devices"] if device["type"] == "virtual")
    control.add_fault(kind="custom", service="iam", action="DeleteVirtualMFADevice", account=stuck["id"], code="DeleteConflict",
                      status=409, message="The virtual MFA device is in use.")
    reports = tmp_path / "reports"
    confirmed = {"rootguard_report_dir": str(reports), "rootguard_confirm": True}
    left_behind = [{"serial": virtual, "type": "virtual", "enabled": False}]

    first = run_playbook(HARDEN, confirmed)
    assert first.returncode != 0 and stuck["id"] in first.stdout, output(first)
    assert control.root_user(stuck["id"])["mfa_devices"] == left_behind
    control.clear_faults()

    # A run that does not work on that account carries the serial into its own journal.
    second = run_playbook(HARDEN, {**confirmed, "rootguard_account_ids": [other["id"]]})
    assert second.returncode == 0, output(second)
    second_journal = journal(list(runs(reports).values())[-1])
    assert [record["serials"] for record in second_journal if record["record"] == "devices_left"] == [[virtual]]
    assert control.root_user(stuck["id"])["mfa_devices"] == left_behind

    # The next run reads only the journal of the run before it, and deletes the device.
    control.clear_requests()
    third = run_playbook(HARDEN, confirmed)
    assert third.returncode == 0, output(third)
    assert control.root_user(stuck["id"])["mfa_devices"] == []
    assert [entry["action"] for entry in control.requests()["entries"] if entry["write"]] == ["DeleteVirtualMFADevice"]
    assert [record for record in journal(list(runs(reports).values())[-1]) if record["record"] == "devices_left"] != []
