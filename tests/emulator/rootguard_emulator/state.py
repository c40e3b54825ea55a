"""Extension state that lives outside moto's backends: the request log, fault
rules and the index of root principals. ``reset()`` clears all of it and is
called whenever moto resets its backends."""

from __future__ import annotations

import dataclasses
import datetime
import random
import threading
import time
from collections import Counter
from typing import Any

READ_PREFIXES = ("Get", "List", "Describe", "Head")
# Calls that change no stored state although their names do not say so.
READ_ACTIONS = frozenset({"sts:AssumeRoot", "sts:AssumeRole", "sts:GetCallerIdentity", "sts:GetAccessKeyInfo"})

_lock = threading.RLock()


def is_write(service: str, action: str) -> bool:
    if f"{service}:{action}" in READ_ACTIONS:
        return False
    return not action.startswith(READ_PREFIXES)


@dataclasses.dataclass
class RootPrincipal:
    """A credential that acts as ``arn:aws:iam::<account>:root``: an AssumeRoot
    session (with a task policy and an expiry) or a root user's own access key."""

    account_id: str
    task_policy: str | None = None
    expiration: datetime.datetime | None = None
    caller_account: str | None = None

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"

    def expired(self, now: datetime.datetime | None = None) -> bool:
        if self.expiration is None:
            return False
        return (now or datetime.datetime.now(datetime.timezone.utc)) >= self.expiration


@dataclasses.dataclass
class FaultRule:
    """A deterministic fault. It matches a request by service, action, subject
    account (the target for AssumeRoot, otherwise the account the call acts in)
    and kind of principal; of the matching requests it fails ``times`` of them
    (all when None), only every ``every_nth`` one, or a seeded ``rate`` of them. With ``policy_type`` set, the
    error's message is written for each request as an SCP denial (faults ``scp_deny``)."""

    rule_id: int
    service: str = "*"
    action: str = "*"
    account: str = "*"
    principal: str = "any"  # any | root | non-root
    code: str | None = None
    status: int = 400
    message: str = "Injected fault"
    times: int | None = None
    every_nth: int | None = None
    rate: float | None = None
    seed: int = 0
    delay_seconds: float = 0.0
    # "SERVICE_CONTROL_POLICY": the message is AWS's explicit-deny text for the request (guardrails.fault_message)
    policy_type: str | None = None
    matched: int = 0
    injected: int = 0
    _random: random.Random = dataclasses.field(default=None, repr=False)  # type: ignore[assignment]

    def __post_init__(self) -> None:
        self._random = random.Random(self.seed)

    def matches(self, service: str, action: str, account: str, is_root: bool) -> bool:
        if self.service not in ("*", service) or self.action not in ("*", action):
            return False
        if self.account not in ("*", account):
            return False
        if self.principal == "root" and not is_root:
            return False
        if self.principal == "non-root" and is_root:
            return False
        return True

    def fire(self) -> bool:
        """Count a match and say whether this one is injected."""
        self.matched += 1
        if self.times is not None and self.injected >= self.times:
            return False
        if self.every_nth and self.matched % self.every_nth:
            return False
        if self.rate is not None and self._random.random() >= self.rate:
            return False
        self.injected += 1
        return True

    def describe(self) -> dict[str, Any]:
        return {k: v for k, v in dataclasses.asdict(self).items() if not k.startswith("_")}


class ExtensionState:
    def __init__(self) -> None:
        self.root_principals: dict[str, RootPrincipal] = {}
        self.fault_rules: list[FaultRule] = []
        self.requests: list[dict[str, Any]] = []
        self._next_rule_id = 1
        # False: Organizations accounts come without the retired Status / without Paths (newer_api.configure)
        self.account_status = True
        self.account_paths = True

    # request log -------------------------------------------------------
    def log_request(self, **entry: Any) -> dict[str, Any]:
        with _lock:
            entry["seq"] = len(self.requests) + 1
            entry["time"] = time.time()
            self.requests.append(entry)
            return entry

    def request_log(self, since: int = 0) -> dict[str, Any]:
        with _lock:
            entries = [dict(e) for e in self.requests[since:]]
        counters: dict[str, Counter] = {
            "by_service": Counter(),
            "by_action": Counter(),
            "by_account": Counter(),
            "by_kind": Counter(),
        }
        for entry in entries:
            counters["by_service"][entry["service"]] += 1
            counters["by_action"][f"{entry['service']}:{entry['action']}"] += 1
            counters["by_account"][entry["account"]] += 1
            counters["by_kind"]["write" if entry["write"] else "read"] += 1
        return {
            "count": len(entries),
            "writes": counters["by_kind"]["write"],
            "reads": counters["by_kind"]["read"],
            **{name: dict(counter) for name, counter in counters.items()},
            "entries": entries,
        }

    def clear_requests(self) -> None:
        with _lock:
            self.requests = []

    # faults ------------------------------------------------------------
    def add_fault(self, **spec: Any) -> FaultRule:
        with _lock:
            rule = FaultRule(rule_id=self._next_rule_id, **spec)
            self._next_rule_id += 1
            self.fault_rules.append(rule)
            return rule

    def clear_faults(self) -> None:
        with _lock:
            self.fault_rules = []

    def pick_fault(self, service: str, action: str, account: str, is_root: bool) -> FaultRule | None:
        with _lock:
            for rule in self.fault_rules:
                if rule.matches(service, action, account, is_root) and rule.fire():
                    return rule
        return None

    # root principals ---------------------------------------------------
    def expire_root_sessions(self, account_id: str | None = None) -> int:
        past = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=1)
        count = 0
        with _lock:
            for principal in self.root_principals.values():
                if principal.task_policy and account_id in (None, principal.account_id):
                    principal.expiration = past
                    count += 1
        return count

    def reset(self) -> None:
        with _lock:
            self.__init__()  # type: ignore[misc]


STATE = ExtensionState()
