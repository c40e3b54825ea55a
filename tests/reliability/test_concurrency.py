"""Concurrency: the removal of every root credential, under faults, at concurrency 50 ends in the
same state as at concurrency 1 - the same root users and account states in the emulator, the same
status, error class and done or not-done steps for every account, and the same number of faults
injected.  The faults are seeded per account (throttling at 30 % on AssumeRoot, IAM and
Organizations, bursts of 5xx, an SCP denial, sessions that expire mid-account, an account
suspended between the listing and the work), so the comparison is exact."""

from __future__ import annotations

import json
import pathlib
import subprocess

from reliability_support import (
    JOB,
    RCM,
    active_members,
    assert_reported_as_done,
    by_id,
    injected,
    is_clean,
    normalized,
    rejected_counts,
    removed_by_state,
    reported_done,
    statuses,
    throttle_everywhere,
)
from rootguard_integration_conftest import ansible_command, ansible_environment

PLAYBOOKS = pathlib.Path(__file__).resolve().parents[1] / "integration" / "playbooks"

ACCOUNTS = 20
FULL, PASSWORD_ONLY, ACCESS_KEY, HARDWARE_MFA, FULL_TOO = 2, 1, 3, 8, 9


def inject(control, truth) -> list:
    member = [account["id"] for account in truth["accounts"]]
    throttle_everywhere(control, truth, 0.3, 7)
    control.add_fault(kind="server_error", service="iam", account=member[FULL], start_after=2, times=5)
    control.add_fault(kind="server_error", service="iam", action="DeleteLoginProfile", account=member[FULL_TOO], times=10)
    control.add_fault(kind="scp_deny", service="iam", account=member[12])
    control.add_fault(kind="expire_session", service="iam", action="DeleteAccessKey", account=member[13], times=1)
    control.add_fault(kind="expire_session", service="iam", action="ListMFADevices", account=member[HARDWARE_MFA], times=1)
    control.add_fault(kind="suspend_account", account=member[ACCESS_KEY], times=1)
    return [
        {"kind": "throttle", "rate": 0.3, "services": "sts:AssumeRoot, iam (each member account), organizations"},
        {"kind": "5xx burst", "count": 5, "services": "iam (1 account)"},
        {"kind": "5xx burst", "count": 10, "services": "iam:DeleteLoginProfile (1 account)"},
        {"kind": "SCP deny", "count": "every call", "services": "iam in 1 account"},
        {"kind": "session expires", "count": 2, "services": "iam (2 accounts)"},
        {"kind": "account suspended at its first AssumeRoot", "count": 1, "services": "sts:AssumeRoot (1 account)"},
    ]


def run_at(workers, control, run_playbook) -> tuple:
    control.reset()
    truth = control.seed(accounts=ACCOUNTS, profile="mixed", features=[RCM])
    faults = inject(control, truth)
    control.clear_requests()
    run = run_playbook(JOB, {"audit": False, "concurrency": workers})
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    removal = run.result("removal")
    results = by_id(removal)
    for account in active_members(truth):
        assert_reported_as_done(results[account["id"]], account["root_user"], control.root_user(account["id"]))
    state = {account["id"]: (control.account(account["id"])["state"], normalized(control.root_user(account["id"])))
             for account in truth["accounts"]}
    entries = control.requests()["entries"]
    return truth, faults, removal, {
        "statuses": statuses(removal),
        "summary": removal["summary"],
        "state": state,
        "injected": injected(control),
        "rejected": rejected_counts(entries),
    }


def test_concurrency_50_under_faults_ends_as_concurrency_1(control, run_playbook, record):
    truth, faults, removal, one = run_at(1, control, run_playbook)
    _truth, _faults, _removal, fifty = run_at(50, control, run_playbook)

    for key in ("statuses", "state", "summary", "injected", "rejected"):
        assert fifty[key] == one[key], key
    # The faults did bite: failed accounts, each with its class, and the others clean.
    failed = {account_id: status[1] for account_id, status in one["statuses"].items() if status[0] == "failed"}
    member = [account["id"] for account in truth["accounts"]]
    assert failed[member[12]] == "denied_by_scp"
    assert failed[member[FULL_TOO]] == "service_error"
    assert failed[member[ACCESS_KEY]] == "access_denied"
    assert set(failed) <= {member[12], member[FULL_TOO], member[ACCESS_KEY]} | {
        account_id for account_id, status in one["statuses"].items() if status[1] == "throttled"}
    for account_id, (state, user) in one["state"].items():
        if state == "ACTIVE" and account_id not in failed:
            assert user == normalized({"password": False, "access_keys": [], "signing_certificates": [], "mfa_devices": []}), account_id

    record("concurrency-1-vs-50", section="concurrency", runs=2, module_runs=2, accounts=len(truth["accounts"]),
           active_accounts=len(active_members(truth)), concurrency=[1, 50], faults=faults, injected=one["injected"],
           rejected=one["rejected"],
           removal={**{key: value for key, value in one["summary"].items() if value}, "error_classes": sorted(failed.values())},
           same_end_state=True)


# ---------------------------------------------------------------------------
# Two controllers at once

TWO_ACCOUNTS = 8
TWO_CONCURRENCY = 3


def test_two_controllers_at_once_never_both_claim_a_removal(control, emulator, tmp_path, record):
    """Two ansible-playbook runs of the removal, started together on the same organization (every IAM call
    slowed so that they overlap account by account): each removal step the emulator shows done is claimed
    ``done`` by exactly one of them; the other reports it ``already_absent`` (or did not plan it, having read
    after it was done); an account where nothing was a run's own change is ``ok`` in that run, not ``changed``."""
    truth = control.seed(accounts=TWO_ACCOUNTS, profile="full", features=[RCM])
    control.add_fault(kind="slow", service="iam", delay_seconds=0.15)
    members = active_members(truth)
    runs = {}
    for name in ("first", "second"):
        directory = tmp_path / name
        directory.mkdir()
        variables = {"results_dir": str(directory), "all_accounts": True, "concurrency": TWO_CONCURRENCY, "fail_on_error": False,
                     "result_name": "removal"}
        command = [ansible_command("ansible-playbook"), str(PLAYBOOKS / "root_credentials_removal.yml"), "-e", json.dumps(variables)]
        runs[name] = (directory, subprocess.Popen(command, env=ansible_environment(emulator, directory), stdout=subprocess.PIPE,
                                                  stderr=subprocess.STDOUT, text=True))
    results = {}
    for name, (directory, process) in runs.items():
        output = process.communicate(timeout=600)[0]
        assert process.returncode == 0, output[-3000:]
        results[name] = by_id(json.loads((directory / "removal.json").read_text()))

    steps = claimed_twice = unclaimed = already_absent = 0
    for account in members:
        after = control.root_user(account["id"])
        assert is_clean(after), account["id"]
        done = {name: reported_done(result[account["id"]]) for name, result in results.items()}
        shown = removed_by_state(account["root_user"], after)
        steps += len(shown)
        claimed_twice += len(done["first"] & done["second"])
        unclaimed += len(shown - (done["first"] | done["second"]))
        assert done["first"] | done["second"] <= shown
        for result in results.values():
            entry = result[account["id"]]
            already_absent += sum(1 for step in entry["actions"] if step.get("already_absent"))
            assert entry["status"] == ("changed" if reported_done(entry) else "ok"), entry
    assert (claimed_twice, unclaimed) == (0, 0)
    # The two runs did meet: some of one run's calls found the credential already gone.
    assert already_absent > 0

    record("two-controllers-removal", section="two_controllers", runs=2, accounts=len(truth["accounts"]),
           active_accounts=len(members), concurrency=TWO_CONCURRENCY, steps=steps, claimed_twice=claimed_twice,
           claimed_by_none=unclaimed)
