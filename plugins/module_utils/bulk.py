# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Per-account work across an organization: targeting, a bounded thread pool, one
root session per account issued just in time, one result per account, summary counts."""

from __future__ import annotations

import dataclasses
import datetime
from concurrent.futures import ThreadPoolExecutor

from . import organizations, targeting
from .features import require_feature
from .errors import InvalidInput, RootGuardError, SessionExpired
from .root_sessions import assume_root, session_credentials

STATUS_OK = "ok"
STATUS_CHANGED = "changed"
STATUS_WOULD_CHANGE = "would_change"
STATUS_SKIPPED = "skipped"
STATUS_FAILED = "failed"
STATUSES = (STATUS_OK, STATUS_CHANGED, STATUS_WOULD_CHANGE, STATUS_SKIPPED, STATUS_FAILED)

DEFAULT_CONCURRENCY = 10
MAX_CONCURRENCY = 100
# Root sessions last this long: long enough for one account's work under heavy
# throttling, short enough that a leaked session is soon useless.
SESSION_SECONDS = 300
# A held session is renewed when it has less than this left.
SESSION_MARGIN_SECONDS = 60

ARGUMENT_SPEC = {
    "concurrency": {"type": "int", "default": DEFAULT_CONCURRENCY},
    "fail_on_error": {"type": "bool", "default": True},
}


def concurrency(value) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_CONCURRENCY:
        raise InvalidInput(f"concurrency: {value!r} is out of range; use 1 to {MAX_CONCURRENCY}.")
    return value


class RootSession:
    """One account's root session: assumed on first use, renewed only when about to expire
    or when AWS says it has expired."""

    def __init__(self, factory, account_id: str, task_policy_arn: str, duration_seconds: int = SESSION_SECONDS):
        self.factory = factory
        self.account_id = account_id
        self.task_policy_arn = task_policy_arn
        self.duration_seconds = duration_seconds
        self._credentials = None
        self._expiration = None
        self._clients = {}

    def client(self, service: str, region: str | None = None):
        self._ensure_fresh()
        key = (service, region)
        if key not in self._clients:
            self._clients[key] = self.factory.client(service, session_credentials(self._credentials), region)
        return self._clients[key]

    def release(self) -> None:
        """Close and drop the session's clients, keeping its credentials: a client made later
        comes from them.  Closing frees the client's connection at once (a dropped client
        is only collected later); dropping it frees about half a megabyte, which matters
        when every account's session is kept between two passes."""
        clients, self._clients = self._clients, {}
        for client in clients.values():
            client.close()

    def renew(self) -> None:
        self._credentials = assume_root(self.factory, self.account_id, self.task_policy_arn, self.duration_seconds)
        self._expiration = _parse_time(self._credentials["expiration"])
        self._clients = {}

    def _ensure_fresh(self) -> None:
        if self._credentials is None or self._expires_soon():
            self.renew()

    def _expires_soon(self) -> bool:
        if self._expiration is None:
            return False
        remaining = self._expiration - datetime.datetime.now(datetime.timezone.utc)
        return remaining.total_seconds() < SESSION_MARGIN_SECONDS

    def run(self, work):
        """``work(session)``; an expired session is renewed once and the work done again
        (every piece of work here reads before it writes, so a second pass is safe)."""
        try:
            return work(self)
        except SessionExpired:
            self.renew()
            return work(self)


def _parse_time(value):
    try:
        parsed = datetime.datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def account_result(account: dict) -> dict:
    """The fields every per-account result starts with."""
    return {
        "id": account["id"],
        "name": account.get("name"),
        "ou_path": account.get("ou_path"),
        "status": None,
        "reason": None,
        "found": None,
        "actions": [],
        "error_class": None,
        "error_message": None,
        "aws_error_code": None,
    }


def failed(result: dict, error: RootGuardError) -> dict:
    result.update(status=STATUS_FAILED, error_class=error.error_class, error_message=error.message,
                  aws_error_code=error.aws_error_code)
    return result


def skipped_result(entry: dict) -> dict:
    result = account_result(entry)
    result.update(status=STATUS_SKIPPED, reason=entry["reason"], error_message=entry["message"])
    return result


def map_accounts(function, accounts: list, workers: int) -> list:
    """``function(account)`` for every account, at most ``workers`` at a time, results in order."""
    if workers <= 1 or len(accounts) <= 1:
        return [function(account) for account in accounts]
    with ThreadPoolExecutor(max_workers=min(workers, len(accounts))) as pool:
        return list(pool.map(function, accounts))


def target_accounts(factory, targets, feature: str) -> tuple:
    """(caller, accounts to work on, skipped entries) for a root-task module whose task
    needs ``feature``: the management account and accounts that are not ACTIVE are
    skipped with the reason."""
    caller = organizations.identify_caller(factory)
    organizations.require_all_features(caller)
    require_feature(factory, caller, feature)
    orgs = factory.client("organizations")
    tree = organizations.read_as(caller, organizations.load_tree, orgs, caller, targets)
    accounts, skipped = targeting.select(tree, dataclasses.replace(targets, include_inactive=False), skip_management=True)
    return caller, accounts, skipped


def summarize(results: list) -> dict:
    counts = {status: 0 for status in STATUSES}
    for result in results:
        counts[result["status"]] += 1
    counts["total"] = len(results)
    return counts


def module_result(caller, results: list, skipped: list, fail_on_error: bool, extra: dict | None = None, check_mode: bool = False) -> dict:
    """The module's result: per-account entries (skipped ones included) sorted by id,
    summary counts, and a failure when any account failed (unless fail_on_error is false).
    ``changed`` is what Ansible expects of it: in check mode, whether any account would change."""
    entries = sorted(results + [skipped_result(entry) for entry in skipped], key=lambda entry: entry["id"])
    summary = summarize(entries)
    result = {
        "changed": summary[STATUS_CHANGED] > 0 or (check_mode and summary[STATUS_WOULD_CHANGE] > 0),
        "organization_id": caller.organization_id,
        "accounts": entries,
        "summary": summary,
    }
    result.update(extra or {})
    failures = [entry["id"] for entry in entries if entry["status"] == STATUS_FAILED]
    if failures and fail_on_error:
        result["failed"] = True
        result["msg"] = (f"{len(failures)} of {summary['total']} accounts failed: {', '.join(failures[:20])}"
                         f"{' ...' if len(failures) > 20 else ''}. See accounts[].error_class and error_message.")
    return result
