"""Fault scenarios: the root-credentials job (an audit, then the removal of every root
credential, of every member account) through ansible-playbook against the emulator while it
injects faults: throttling at 10, 30 and 60 % on AssumeRoot, IAM and Organizations, bursts of
5xx, a slow endpoint with a short read timeout, SCP denials, root sessions that expire
mid-account, and accounts suspended between the listing and the work.

For each scenario:

- every reachable account ends in the right state (the emulator's root users, not the
  module's word): clean after the removal, untouched where the removal failed before a write;
- the failed accounts are exactly the expected ones, with the expected ``error_class``
  (for rate-based faults, the accounts where some call met a fault on every attempt, read
  from the emulator's request log);
- nothing is half-done without being reported: in every account, the steps the result marks
  done are exactly the changes the emulator shows;
- a re-run without the faults finishes the job, and a second re-run changes nothing.

Faults are seeded per account (one rule, with its own seed, per account and service), and
each account's calls are made one after the other, so outcomes and figures are the same on
every run and at any concurrency. Each scenario records its row of RELIABILITY.md.  The seeds
are chosen so that the organization's listing itself is never throttled out (the whole task
would fail, classified ``throttled``, and there would be nothing per account to check); at
60 %, seed 77 makes two accounts give up: one on AssumeRoot, one on its last removal step."""

from __future__ import annotations

import dataclasses
from typing import Callable

import pytest

from reliability_support import (
    JOB,
    MANAGEMENT,
    RCM,
    SERVER_ERROR_CODES,
    THROTTLE_CODES,
    active_members,
    assert_found_matches,
    assert_reported_as_done,
    by_id,
    exhausted_calls,
    injected,
    is_clean,
    rejected_counts,
    throttle_everywhere,
)
from rootguard_emulator.evidence import module_runs, writes

# Indexes in the mixed cycle (rootguard_emulator.seed.MIXED_CYCLE): 2 and 9 have every kind of
# root credential, 1 only a password, 3 one access key, 8 a password and a hardware MFA device;
# 5 (and 15, 25, ...) are SUSPENDED from the start.
PASSWORD_ONLY, FULL, ACCESS_KEY, HARDWARE_MFA, FULL_TOO = 1, 2, 3, 8, 9
SLOW_TIMEOUTS = {"read_timeout": 2, "connect_timeout": 2}
SLOW_SECONDS = 4.5


@dataclasses.dataclass
class Scenario:
    name: str
    accounts: int
    # inject(control, truth) -> the faults as RELIABILITY.md lists them (kind, rate or count, services)
    inject: Callable
    # expected(truth, job, entries of that job's module run) -> {account id: error_class}
    expected: Callable
    # accounts suspended during the run: {account id: job in which it is suspended}
    suspended: Callable = lambda truth: {}
    aws_config: dict | None = None
    concurrency: int = 10
    # The audit runs first unless this is false (at 60 %, throttled backoff makes every module run long).
    audit: bool = True


def member(truth: dict, index: int) -> str:
    return truth["accounts"][index]["id"]


def exhausted_as(codes: set, error_class: str) -> Callable:
    """Expected failures: the accounts where a call met one of ``codes`` on every attempt."""

    def expected(truth, job, entries):  # pylint: disable=unused-argument
        failures = {}
        for account, calls in exhausted_calls(entries).items():
            if any(code in codes for _action, code in calls):
                failures[account] = error_class
        assert MANAGEMENT not in failures, "the organization's listing itself gave up; choose another seed"
        return failures

    return expected


# ---------------------------------------------------------------------------
# The scenarios


def throttling(rate: float, seed: int) -> Callable:
    def inject(control, truth):
        throttle_everywhere(control, truth, rate, seed)
        return [{"kind": "throttle", "rate": rate, "services": "sts:AssumeRoot, iam (each member account), organizations",
                 "seeded": "per account"}]

    return inject


def server_errors(control, truth):
    control.add_fault(kind="server_error", service="organizations", start_after=2, times=4)
    control.add_fault(kind="server_error", service="sts", action="AssumeRoot", account=member(truth, PASSWORD_ONLY), times=9)
    control.add_fault(kind="server_error", service="iam", account=member(truth, FULL), start_after=3, times=6)
    control.add_fault(kind="server_error", service="iam", action="ListMFADevices", account=member(truth, HARDWARE_MFA), times=10)
    control.add_fault(kind="server_error", service="iam", action="DeleteLoginProfile", account=member(truth, FULL_TOO), times=10)
    return [
        {"kind": "5xx burst", "count": 4, "services": "organizations (after 2 calls)"},
        {"kind": "5xx burst", "count": 9, "services": "sts:AssumeRoot (1 account)"},
        {"kind": "5xx burst", "count": 6, "services": "iam (1 account, after 3 calls)"},
        {"kind": "5xx burst", "count": 10, "services": "iam:ListMFADevices (1 account)"},
        {"kind": "5xx burst", "count": 10, "services": "iam:DeleteLoginProfile (1 account)"},
    ]


def slow_endpoint(control, truth):
    control.add_fault(kind="slow", service="iam", action="GetLoginProfile", account=member(truth, FULL), delay_seconds=SLOW_SECONDS,
                      times=2)
    control.add_fault(kind="slow", service="iam", action="DeleteLoginProfile", account=member(truth, PASSWORD_ONLY),
                      delay_seconds=SLOW_SECONDS, times=1)
    control.add_fault(kind="slow", service="iam", action="ListMFADevices", account=member(truth, HARDWARE_MFA), delay_seconds=SLOW_SECONDS)
    kind = f"slow ({SLOW_SECONDS} s, read timeout {SLOW_TIMEOUTS['read_timeout']} s)"
    return [
        {"kind": kind, "count": 2, "services": "iam:GetLoginProfile (1 account)"},
        {"kind": kind, "count": 1, "services": "iam:DeleteLoginProfile (1 account, done by the server)"},
        {"kind": kind, "count": "every call", "services": "iam:ListMFADevices (1 account)"},
    ]


def slow_expected(truth, job, entries):  # pylint: disable=unused-argument
    slow = member(truth, HARDWARE_MFA)
    attempts = [entry for entry in entries if entry["account"] == slow and entry["action"] == "ListMFADevices"]
    assert len(attempts) == 10, attempts
    return {slow: "endpoint_error"}


def scp_denials(control, truth):
    control.add_fault(kind="scp_deny", service="iam", account=member(truth, FULL))
    control.add_fault(kind="scp_deny", service="iam", action="DeleteLoginProfile", account=member(truth, FULL_TOO))
    return [
        {"kind": "SCP deny", "count": "every call", "services": "iam in 1 account (root sessions)"},
        {"kind": "SCP deny", "count": "every call", "services": "iam:DeleteLoginProfile in 1 account"},
    ]


def scp_expected(truth, job, entries):  # pylint: disable=unused-argument
    denied = {member(truth, FULL): "denied_by_scp"}
    if job == "removal":
        denied[member(truth, FULL_TOO)] = "denied_by_scp"
    return denied


def session_expiry(control, truth):
    control.add_fault(kind="expire_session", service="iam", action="ListAccessKeys", account=member(truth, ACCESS_KEY), times=1)
    control.add_fault(kind="expire_session", service="iam", action="DeleteSigningCertificate", account=member(truth, FULL), times=1)
    control.add_fault(kind="expire_session", service="iam", action="DeleteLoginProfile", account=member(truth, FULL_TOO), times=1)
    control.add_fault(kind="expire_session", service="iam", action="DeleteLoginProfile", account=member(truth, 11), times=1)
    return [{"kind": "session expires", "count": 4, "services": "iam reads and writes, mid-account (4 accounts)"}]


def suspensions(control, truth):
    control.add_fault(kind="suspend_account", account=member(truth, ACCESS_KEY), times=1)
    control.add_fault(kind="suspend_account", account=member(truth, FULL_TOO), start_after=1, times=1)
    return [{"kind": "account suspended at its first AssumeRoot", "count": 2,
             "services": "sts:AssumeRoot (1 account during the audit, 1 during the removal)"}]


def suspended_expected(truth, job, entries):  # pylint: disable=unused-argument
    return {member(truth, ACCESS_KEY): "access_denied"} if job == "audit" else {member(truth, FULL_TOO): "access_denied"}


def no_failures(truth, job, entries):  # pylint: disable=unused-argument
    return {}


SCENARIOS = [
    Scenario("throttling-10", 24, throttling(0.1, 10), exhausted_as(THROTTLE_CODES, "throttled")),
    Scenario("throttling-30", 24, throttling(0.3, 30), exhausted_as(THROTTLE_CODES, "throttled")),
    Scenario("throttling-60", 12, throttling(0.6, 77), exhausted_as(THROTTLE_CODES, "throttled"), audit=False),
    Scenario("server-errors", 20, server_errors, exhausted_as(SERVER_ERROR_CODES, "service_error")),
    Scenario("slow-endpoint", 12, slow_endpoint, slow_expected, aws_config=SLOW_TIMEOUTS),
    Scenario("scp-denials", 20, scp_denials, scp_expected),
    Scenario("session-expiry", 20, session_expiry, no_failures),
    Scenario("suspended-mid-run", 20, suspensions, suspended_expected,
             suspended=lambda truth: {member(truth, ACCESS_KEY): "audit", member(truth, FULL_TOO): "removal"}),
]


# ---------------------------------------------------------------------------
# The run and its checks


def job_vars(scenario: Scenario, **extra) -> dict:
    variables = {"concurrency": scenario.concurrency, "audit": scenario.audit, **extra}
    if scenario.aws_config:
        variables["aws_config"] = scenario.aws_config
    return variables


def check_audit(truth, audit, expected) -> None:
    results = by_id(audit)
    assert (results[MANAGEMENT]["status"], results[MANAGEMENT]["reason"]) == ("skipped", "management_account")
    for account in truth["accounts"]:
        result = results[account["id"]]
        if account["state"] != "ACTIVE":
            assert (result["status"], result["reason"]) == ("skipped", "not_active"), result
        elif account["id"] in expected:
            assert (result["status"], result["error_class"]) == ("failed", expected[account["id"]]), result
            assert result["error_message"], result
        else:
            assert result["status"] == "ok", result
            assert_found_matches(result["found"], account["root_user"])
    assert audit["summary"]["failed"] == len(expected), audit["summary"]


def check_removal(control, truth, removal, expected, suspended_before) -> None:
    results = by_id(removal)
    for account in truth["accounts"]:
        result = results[account["id"]]
        after = control.root_user(account["id"])
        if account["state"] != "ACTIVE" or account["id"] in suspended_before:
            assert (result["status"], result["reason"]) == ("skipped", "not_active"), result
            assert after == account["root_user"]
            continue
        if account["id"] in expected:
            assert (result["status"], result["error_class"]) == ("failed", expected[account["id"]]), result
        elif account["root_user"]["has_credentials"]:
            assert result["status"] == "changed", result
            assert is_clean(after), after
        else:
            assert (result["status"], result["actions"]) == ("ok", []), result
        assert_reported_as_done(result, account["root_user"], after)
    assert removal["summary"]["failed"] == len(expected), removal["summary"]


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[scenario.name for scenario in SCENARIOS])
def test_fault_scenario(scenario, control, run_playbook, record):
    truth = control.seed(accounts=scenario.accounts, profile="mixed", features=[RCM])
    faults = scenario.inject(control, truth)
    suspended = scenario.suspended(truth)
    control.clear_requests()

    run = run_playbook(JOB, job_vars(scenario))

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    removal = run.result("removal")
    entries = module_runs(control.requests()["entries"])
    assert len(entries) == (2 if scenario.audit else 1)
    removal_entries = entries[-1]
    expected_removal = scenario.expected(truth, "removal", removal_entries)
    audit = audit_entries = expected_audit = None
    if scenario.audit:
        audit, audit_entries = run.result("audit"), entries[0]
        expected_audit = scenario.expected(truth, "audit", audit_entries)
    for account_id, job in suspended.items():
        assert control.account(account_id)["state"] == "SUSPENDED"
        (expected_audit if job == "audit" else expected_removal)[account_id] = "access_denied"
    if scenario.audit:
        check_audit(truth, audit, expected_audit)
    check_removal(control, truth, removal, expected_removal,
                  suspended_before={account_id for account_id, job in suspended.items() if job == "audit"})
    for account_id in suspended:
        result = by_id(removal)[account_id]
        assert result["status"] in ("failed", "skipped") and "SUSPENDED" in (result["error_message"] or ""), result
    fault_figures = {"injected": injected(control), "rejected": rejected_counts([entry for run_entries in entries for entry in run_entries])}

    # Without the faults, a re-run finishes the job, and another one changes nothing.
    control.clear_faults()
    rerun = run_playbook(JOB, job_vars(scenario, audit=False))
    assert rerun.returncode == 0, rerun.stdout[-3000:] + rerun.stderr[-3000:]
    finished = rerun.result("removal")
    assert finished["summary"]["failed"] == 0, finished["summary"]
    reachable = [account for account in active_members(truth) if account["id"] not in suspended]
    for account in reachable:
        assert is_clean(control.root_user(account["id"])), account["id"]
    for account_id in suspended:
        assert by_id(finished)[account_id]["reason"] == "not_active"
    control.clear_requests()
    again = run_playbook(JOB, job_vars(scenario, audit=False))
    assert again.returncode == 0, again.stdout[-3000:] + again.stderr[-3000:]
    assert again.result("removal")["summary"]["changed"] == 0
    assert writes(control.requests()["entries"]) == []

    record(
        scenario.name,
        section="faults",
        runs=3,
        module_runs=len(entries) + 2,
        accounts=len(truth["accounts"]),
        active_accounts=len(active_members(truth)),
        concurrency=scenario.concurrency,
        faults=faults,
        injected=fault_figures["injected"],
        rejected=fault_figures["rejected"],
        audit=_outcome(audit) if audit else None,
        removal=_outcome(removal),
        rerun={"changed": finished["summary"]["changed"], "failed": 0, "clean": len(reachable),
               "second_rerun_writes": 0},
    )


def _outcome(result: dict) -> dict:
    failed = sorted(entry["error_class"] for entry in result["accounts"] if entry["status"] == "failed")
    return {**{key: value for key, value in result["summary"].items() if value}, "error_classes": failed}


# ---------------------------------------------------------------------------
# A session lost for good in the middle of an account's removal: the session expires again after
# its renewal, or the renewal itself fails (AssumeRoot answers 5xx on every attempt).  The account fails, and its result still
# says which steps were done before (they were, in the emulator) and which were not.


def keeps_expiring(control, account_id):
    control.add_fault(kind="expire_session", service="iam", action="DeleteLoginProfile", account=account_id)


def renewal_fails(control, account_id):
    control.add_fault(kind="expire_session", service="iam", action="DeleteLoginProfile", account=account_id, times=1)
    control.add_fault(kind="server_error", service="sts", action="AssumeRoot", account=account_id, start_after=1, times=10)


@pytest.mark.parametrize(("error_class", "inject"), [("session_expired", keeps_expiring), ("service_error", renewal_fails)],
                         ids=["expires-again", "renewal-fails"])
def test_an_account_whose_session_is_lost_mid_removal_reports_the_steps_done(error_class, inject, control, run_playbook):
    truth = control.seed(accounts=10, profile="mixed", features=[RCM])
    account = truth["accounts"][FULL]
    inject(control, account["id"])

    run = run_playbook(JOB, {"audit": False, "concurrency": 4})

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    result = by_id(run.result("removal"))[account["id"]]
    assert (result["status"], result["error_class"]) == ("failed", error_class), result
    after = control.root_user(account["id"])
    # Everything but the password is gone from the account...
    assert (after["password"], after["access_keys"], after["signing_certificates"]) == (True, [], []), after
    # ... and the result must say so, step by step.
    assert_reported_as_done(result, account["root_user"], after)
