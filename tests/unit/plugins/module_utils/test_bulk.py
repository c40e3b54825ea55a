# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""bulk: the concurrency option, per-account results and the module result, the bounded
thread pool, and the just-in-time root session (assume, reuse, renew, retry)."""

from __future__ import annotations

import datetime
import threading
import time

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import bulk, errors, root_sessions, validation
from ansible_collections.rootguard.aws.plugins.module_utils.organizations import Caller

ACCOUNT = "210000000001"
POLICY = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
CALLER = Caller(
    account_id="111111111111",
    arn="arn:aws:iam::111111111111:user/admin",
    organization_id="o-a1b2c3d4e5",
    organization_arn="arn:aws:organizations::111111111111:organization/o-a1b2c3d4e5",
    feature_set="ALL",
    management_account_id="111111111111",
    management_account_email="management@example.com",
)


# concurrency --------------------------------------------------------------------------------

@pytest.mark.parametrize("value", [1, 2, 10, 99, 100])
def test_concurrency_accepts_1_to_100(value):
    assert validation.concurrency(value) == value


@pytest.mark.parametrize("value", [0, -1, 101, 1000, True, False, "10", "1", 10.0, None, [10]])
def test_concurrency_refuses_anything_else(value):
    with pytest.raises(errors.InvalidInput) as excinfo:
        validation.concurrency(value)
    assert excinfo.value.message == f"concurrency: {value!r} is out of range; use 1 to 100."
    assert excinfo.value.error_class == "invalid_input"


def test_constants():
    assert (bulk.DEFAULT_CONCURRENCY, validation.MAX_CONCURRENCY) == (10, 100)
    assert root_sessions.SESSION_MARGIN_SECONDS < root_sessions.SESSION_SECONDS
    assert bulk.ARGUMENT_SPEC["concurrency"]["default"] == bulk.DEFAULT_CONCURRENCY
    assert bulk.STATUSES == ("ok", "changed", "would_change", "skipped", "failed")


# Per-account results ---------------------------------------------------------------------------

def result(account_id: str, status: str, **extra) -> dict:
    entry = bulk.account_result({"id": account_id, "name": f"account-{account_id}", "ou_path": "/Root"})
    entry.update(status=status, **extra)
    return entry


def test_account_result_starts_empty():
    assert bulk.account_result({"id": ACCOUNT}) == {
        "id": ACCOUNT, "name": None, "ou_path": None, "parent_id": None, "status": None, "reason": None, "found": None, "actions": [],
        "error_class": None, "error_message": None, "aws_error_code": None,
    }


def test_failed_records_the_error_without_the_operation():
    entry = bulk.account_result({"id": ACCOUNT, "name": "dev", "ou_path": "/Root/Dev"})
    returned = bulk.failed(entry, errors.AccessDenied("denied here", "AccessDenied", "GetLoginProfile"))
    assert returned is entry
    assert entry == {
        "id": ACCOUNT, "name": "dev", "ou_path": "/Root/Dev", "parent_id": None, "status": "failed", "reason": None, "found": None,
        "actions": [], "error_class": "access_denied", "error_message": "denied here", "aws_error_code": "AccessDenied",
    }


def test_skipped_result_converts_a_targeting_entry():
    entry = {"id": ACCOUNT, "name": "old", "state": "SUSPENDED", "ou_path": "/Root", "parent_id": "r-ab12", "reason": "not_active",
             "message": "the account is SUSPENDED."}
    assert bulk.skipped_result(entry) == {
        "id": ACCOUNT, "name": "old", "ou_path": "/Root", "parent_id": "r-ab12", "status": "skipped", "reason": "not_active", "found": None,
        "actions": [], "error_class": None, "error_message": "the account is SUSPENDED.", "aws_error_code": None,
    }


# summarize -----------------------------------------------------------------------------------

@pytest.mark.parametrize("statuses", [
    [],
    ["ok"],
    ["ok", "ok", "changed"],
    ["would_change", "skipped", "failed", "failed"],
    list(bulk.STATUSES) * 3,
])
def test_summarize_counts_every_status(statuses):
    counts = bulk.summarize([{"status": status} for status in statuses])
    assert counts == dict({status: statuses.count(status) for status in bulk.STATUSES}, total=len(statuses))


# module_result ---------------------------------------------------------------------------------

def skipped_entry(account_id: str) -> dict:
    return {"id": account_id, "name": None, "state": None, "ou_path": None, "parent_id": None, "reason": "not_in_organization",
            "message": f"{account_id} is not a member of organization o-a1b2c3d4e5."}


def test_module_result_sorts_entries_and_converts_skipped_ones():
    results = [result("300000000003", "ok"), result("100000000001", "would_change")]
    outcome = bulk.module_result(CALLER, results, [skipped_entry("200000000002")], True, {"compliant_accounts": 1})
    assert [entry["id"] for entry in outcome["accounts"]] == ["100000000001", "200000000002", "300000000003"]
    assert outcome["accounts"][1] == bulk.skipped_result(skipped_entry("200000000002"))
    assert outcome == {
        "changed": False,
        "organization_id": "o-a1b2c3d4e5",
        "accounts": outcome["accounts"],
        "account_ids": {"failed": [], "blocked": [], "skipped": ["200000000002"], "changed": [], "would_change": ["100000000001"]},
        "summary": {"ok": 1, "changed": 0, "would_change": 1, "skipped": 1, "failed": 0, "total": 3},
        "compliant_accounts": 1,
    }
    assert list(outcome["account_ids"]) == ["failed", "blocked", "skipped", "changed", "would_change"]


@pytest.mark.parametrize("statuses, changed, changed_in_check_mode", [
    ([], False, False),
    (["ok"], False, False),
    (["would_change", "would_change"], False, True),
    (["ok", "skipped"], False, False),
    (["failed", "would_change"], False, True),
    (["changed"], True, True),
    (["ok", "changed", "would_change"], True, True),
])
def test_module_result_is_changed_when_an_account_changed_or_in_check_mode_would(statuses, changed, changed_in_check_mode):
    # Outside check mode, would_change means stopped before any write (the blast-radius limit).
    results = [result(f"{index:012d}", status) for index, status in enumerate(statuses)]
    assert bulk.module_result(CALLER, results, [], False)["changed"] is changed
    outcome = bulk.module_result(CALLER, results, [], False, check_mode=True)
    assert outcome["changed"] is changed_in_check_mode
    assert "failed" not in outcome and "msg" not in outcome


def test_module_result_without_accounts():
    assert bulk.module_result(CALLER, [], [], True) == {
        "changed": False, "organization_id": "o-a1b2c3d4e5", "accounts": [],
        "account_ids": {"failed": [], "blocked": [], "skipped": [], "changed": [], "would_change": []},
        "summary": {"ok": 0, "changed": 0, "would_change": 0, "skipped": 0, "failed": 0, "total": 0},
    }


@pytest.mark.parametrize("failures, listed, ellipsis", [
    (1, 1, False),
    (2, 2, False),
    (20, 20, False),
    (21, 20, True),
    (45, 20, True),
])
def test_module_result_fails_and_names_the_failed_accounts(failures, listed, ellipsis):
    failed_ids = [f"5{index:011d}" for index in range(failures)]
    results = [result(account_id, "failed") for account_id in reversed(failed_ids)] + [result("000000000001", "changed")]
    outcome = bulk.module_result(CALLER, results, [skipped_entry("999999999999")], True)
    total = failures + 2
    assert outcome["failed"] is True
    assert outcome["changed"] is True
    assert outcome["msg"] == (f"{failures} of {total} accounts failed: {', '.join(sorted(failed_ids)[:listed])}"
                              f"{' ...' if ellipsis else ''}. See accounts[].error_class and error_message.")


def test_module_result_does_not_fail_when_fail_on_error_is_false():
    outcome = bulk.module_result(CALLER, [result(ACCOUNT, "failed"), result("100000000001", "changed")], [], False)
    assert "failed" not in outcome and "msg" not in outcome
    assert outcome["summary"]["failed"] == 1
    assert outcome["changed"] is True


def test_module_result_extra_does_not_hide_a_failure():
    outcome = bulk.module_result(CALLER, [result(ACCOUNT, "failed")], [], True, {"failed": False, "msg": "extra"})
    assert outcome["failed"] is True
    assert outcome["msg"].startswith("1 of 1 accounts failed: 210000000001.")


# map_accounts -----------------------------------------------------------------------------------

class Gauge:
    """Counts how many calls run at once; the first ``parties`` calls of each round wait for
    each other at a barrier, so a pool that is ``parties`` wide must reach it."""

    def __init__(self, parties: int, hold: float = 0.02):
        self.lock = threading.Lock()
        self.running = 0
        self.peak = 0
        self.threads = set()
        self.barrier = threading.Barrier(parties, timeout=10) if parties > 1 else None
        self.hold = hold

    def __call__(self, account):
        with self.lock:
            self.running += 1
            self.peak = max(self.peak, self.running)
            self.threads.add(threading.get_ident())
        if self.barrier is not None:
            self.barrier.wait()
        time.sleep(self.hold)
        with self.lock:
            self.running -= 1
        return ("done", account)


@pytest.mark.parametrize("workers, count, expected_peak", [
    (2, 4, 2),
    (3, 9, 3),
    (5, 10, 5),
    (8, 16, 8),
    (10, 4, 4),
    (100, 6, 6),
])
def test_map_accounts_runs_at_most_workers_at_once_and_keeps_order(workers, count, expected_peak):
    accounts = [f"{index:012d}" for index in reversed(range(count))]
    gauge = Gauge(expected_peak)
    assert bulk.map_accounts(gauge, accounts, workers) == [("done", account) for account in accounts]
    assert gauge.peak == expected_peak
    assert len(gauge.threads) <= expected_peak


@pytest.mark.parametrize("workers, count", [(1, 5), (0, 3), (-2, 3), (10, 1), (10, 0)])
def test_map_accounts_runs_in_the_calling_thread_when_there_is_nothing_to_share(workers, count):
    accounts = [f"{index:012d}" for index in range(count)]
    gauge = Gauge(1, hold=0)
    assert bulk.map_accounts(gauge, accounts, workers) == [("done", account) for account in accounts]
    assert gauge.threads <= {threading.get_ident()}
    assert gauge.peak == min(count, 1)


def test_map_accounts_keeps_order_when_later_accounts_finish_first():
    accounts = ["a", "b", "c", "d"]
    delays = {"a": 0.08, "b": 0.04, "c": 0.0, "d": 0.02}
    finished = []

    def work(account):
        time.sleep(delays[account])
        finished.append(account)
        return account.upper()

    assert bulk.map_accounts(work, accounts, 4) == ["A", "B", "C", "D"]
    assert finished[0] == "c"


def test_map_accounts_propagates_an_exception():
    def work(account):
        if account == "b":
            raise ValueError("boom")
        return account

    with pytest.raises(ValueError, match="boom"):
        bulk.map_accounts(work, ["a", "b", "c"], 2)


# RootSession ------------------------------------------------------------------------------------

def iso_in(seconds: float) -> str:
    return (datetime.datetime.now(datetime.timezone.utc) + datetime.timedelta(seconds=seconds)).isoformat()


class Factory:
    """Makes a distinct object per client() call and records the call."""

    def __init__(self):
        self.made = []

    def client(self, service, credentials=None, region=None):
        made = {"service": service, "credentials": credentials, "region": region, "number": len(self.made)}
        self.made.append(made)
        return made


class AssumeRoot:
    """Stands in for root_sessions.assume_root; ``expirations`` are used in turn (the last one repeats)."""

    def __init__(self, *expirations):
        self.expirations = list(expirations) or [iso_in(300)]
        self.calls = []

    def __call__(self, factory, account_id, task_policy_arn, duration_seconds):
        self.calls.append((factory, account_id, task_policy_arn, duration_seconds))
        number = len(self.calls)
        expiration = self.expirations[min(number, len(self.expirations)) - 1]
        return {"access_key": f"ASIAKEY{number}", "secret_key": f"secret-{number}", "session_token": f"token-{number}",
                "expiration": expiration, "source_identity": None}


@pytest.fixture
def assume(monkeypatch):
    def install(*expirations):
        fake = AssumeRoot(*expirations)
        monkeypatch.setattr(root_sessions, "assume_root", fake)
        return fake
    return install


def test_root_session_assumes_on_first_client_only(assume):
    fake = assume()
    factory = Factory()
    session = root_sessions.RootSession(factory, ACCOUNT, POLICY)
    assert fake.calls == []
    iam = session.client("iam")
    assert fake.calls == [(factory, ACCOUNT, POLICY, root_sessions.SESSION_SECONDS)]
    assert iam == {"service": "iam", "region": None, "number": 0, "credentials": {
        "aws_access_key_id": "ASIAKEY1", "aws_secret_access_key": "secret-1", "aws_session_token": "token-1"}}
    assert session.client("iam") is iam
    assert len(fake.calls) == 1


def test_root_session_passes_its_duration(assume):
    fake = assume()
    factory = Factory()
    root_sessions.RootSession(factory, ACCOUNT, POLICY, duration_seconds=900).client("s3")
    assert fake.calls == [(factory, ACCOUNT, POLICY, 900)]


def test_root_session_reuses_clients_per_service_and_region(assume):
    fake = assume()
    factory = Factory()
    session = root_sessions.RootSession(factory, ACCOUNT, POLICY)
    keys = [("s3", None), ("s3", "eu-west-1"), ("sqs", "eu-west-1"), ("s3", None), ("sqs", "eu-west-1"), ("s3", "eu-west-1")]
    made = [session.client(service, region) for service, region in keys]
    assert [client["number"] for client in made] == [0, 1, 2, 0, 2, 1]
    assert [(client["service"], client["region"]) for client in made] == keys
    assert len(factory.made) == 3
    assert len(fake.calls) == 1


@pytest.mark.parametrize("seconds_left, renews", [
    (3600, False),
    (root_sessions.SESSION_MARGIN_SECONDS + 30, False),
    (root_sessions.SESSION_MARGIN_SECONDS - 5, True),
    (1, True),
    (-600, True),
])
def test_root_session_renews_when_about_to_expire(assume, seconds_left, renews):
    fake = assume(iso_in(seconds_left), iso_in(3600))
    factory = Factory()
    session = root_sessions.RootSession(factory, ACCOUNT, POLICY)
    first = session.client("iam")
    second = session.client("iam")
    assert len(fake.calls) == (2 if renews else 1)
    if renews:
        assert second is not first
        assert second["credentials"]["aws_session_token"] == "token-2"
        assert session.client("iam") is second  # the renewed session lasts: no third AssumeRoot
        assert len(fake.calls) == 2
    else:
        assert second is first


def test_root_session_renew_drops_every_client(assume):
    assume()
    factory = Factory()
    session = root_sessions.RootSession(factory, ACCOUNT, POLICY)
    s3, sqs = session.client("s3"), session.client("sqs", "eu-west-1")
    session.renew()
    assert session.client("s3") is not s3
    assert session.client("sqs", "eu-west-1") is not sqs
    assert [client["credentials"]["aws_session_token"] for client in factory.made] == ["token-1", "token-1", "token-2", "token-2"]


def test_root_session_with_an_unreadable_expiration_is_not_renewed_early(assume):
    fake = assume("soon")
    session = root_sessions.RootSession(Factory(), ACCOUNT, POLICY)
    assert session.client("iam") is session.client("iam")
    assert len(fake.calls) == 1


def test_root_session_run_returns_the_work_result_without_assuming_when_unused(assume):
    fake = assume()
    session = root_sessions.RootSession(Factory(), ACCOUNT, POLICY)
    seen = []
    assert session.run(lambda current: seen.append(current) or "result") == "result"
    assert seen == [session]
    assert fake.calls == []


def test_root_session_run_renews_once_and_retries_on_session_expired(assume):
    fake = assume()
    factory = Factory()
    session = root_sessions.RootSession(factory, ACCOUNT, POLICY)
    tokens = []

    def work(current):
        tokens.append(current.client("iam")["credentials"]["aws_session_token"])
        if len(tokens) == 1:
            raise errors.SessionExpired("expired", "ExpiredToken", "GetLoginProfile")
        return "done"

    assert session.run(work) == "done"
    assert tokens == ["token-1", "token-2"]
    assert len(fake.calls) == 2


def test_root_session_run_does_not_retry_twice(assume):
    fake = assume()
    session = root_sessions.RootSession(Factory(), ACCOUNT, POLICY)
    attempts = []

    def work(current):
        current.client("iam")
        attempts.append(len(attempts) + 1)
        raise errors.SessionExpired(f"expired {len(attempts)}", "ExpiredToken", "ListAccessKeys")

    with pytest.raises(errors.SessionExpired) as excinfo:
        session.run(work)
    assert excinfo.value.message == "expired 2"
    assert attempts == [1, 2]
    assert len(fake.calls) == 2


@pytest.mark.parametrize("error", [
    errors.AccessDenied("denied", "AccessDenied", "GetLoginProfile"),
    errors.Throttled("slow down", "Throttling", "ListAccessKeys"),
    errors.RootGuardError("other"),
    ValueError("not an AWS error"),
])
def test_root_session_run_does_not_retry_other_errors(assume, error):
    fake = assume()
    session = root_sessions.RootSession(Factory(), ACCOUNT, POLICY)
    attempts = []

    def work(current):
        current.client("iam")
        attempts.append(1)
        raise error

    with pytest.raises(type(error)) as excinfo:
        session.run(work)
    assert excinfo.value is error
    assert attempts == [1]
    assert len(fake.calls) == 1


def test_root_session_run_on_a_session_never_assumed_assumes_once(assume):
    fake = assume()
    session = root_sessions.RootSession(Factory(), ACCOUNT, POLICY)
    attempts = []

    def work(current):
        attempts.append(1)
        if len(attempts) == 1:
            raise errors.SessionExpired("expired")
        return current.client("iam")["credentials"]["aws_session_token"]

    assert session.run(work) == "token-1"
    assert len(fake.calls) == 1


def test_root_session_renewal_failure_propagates(monkeypatch):
    def refuse(*args):
        raise errors.AccessDenied("AssumeRoot denied", "AccessDenied", "AssumeRoot")

    monkeypatch.setattr(root_sessions, "assume_root", refuse)
    session = root_sessions.RootSession(Factory(), ACCOUNT, POLICY)
    with pytest.raises(errors.AccessDenied):
        session.client("iam")

    def expired(current):
        raise errors.SessionExpired("expired")

    with pytest.raises(errors.AccessDenied):
        session.run(expired)


# _parse_time ---------------------------------------------------------------------------------------

UTC = datetime.timezone.utc


@pytest.mark.parametrize("value, expected", [
    ("2025-01-02T03:19:05+00:00", datetime.datetime(2025, 1, 2, 3, 19, 5, tzinfo=UTC)),
    ("2025-01-02T03:19:05Z", datetime.datetime(2025, 1, 2, 3, 19, 5, tzinfo=UTC)),
    ("2025-01-02T03:19:05", datetime.datetime(2025, 1, 2, 3, 19, 5, tzinfo=UTC)),
    ("2025-01-02T03:19:05.123456", datetime.datetime(2025, 1, 2, 3, 19, 5, 123456, tzinfo=UTC)),
    ("2025-01-02T05:19:05+02:00", datetime.datetime(2025, 1, 2, 3, 19, 5, tzinfo=UTC)),
    ("2025-01-01T22:19:05-05:00", datetime.datetime(2025, 1, 2, 3, 19, 5, tzinfo=UTC)),
    ("2025-01-02 03:19:05+00:00", datetime.datetime(2025, 1, 2, 3, 19, 5, tzinfo=UTC)),
    (datetime.datetime(2025, 1, 2, 3, 19, 5, tzinfo=UTC), datetime.datetime(2025, 1, 2, 3, 19, 5, tzinfo=UTC)),
])
def test_parse_time_reads_naive_and_aware_times(value, expected):
    parsed = root_sessions._parse_time(value)  # pylint: disable=protected-access
    assert parsed == expected
    assert parsed.tzinfo is not None
    assert parsed.utcoffset() is not None


def test_parse_time_keeps_the_given_offset():
    parsed = root_sessions._parse_time("2025-01-02T05:19:05+02:00")  # pylint: disable=protected-access
    assert parsed.utcoffset() == datetime.timedelta(hours=2)


@pytest.mark.parametrize("value", ["", "soon", "2025-13-01T00:00:00", "2025-01-02T25:00:00", "1735787945", None, 1735787945])
def test_parse_time_returns_none_for_junk(value):
    assert root_sessions._parse_time(value) is None  # pylint: disable=protected-access
