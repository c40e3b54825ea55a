"""Fault presets on top of state.FaultRule: the codes each service really uses."""

from __future__ import annotations

import dataclasses
from typing import Any

from . import orgs, state
from .state import STATE, FaultRule

THROTTLE = {
    "iam": ("Throttling", 400, "Rate exceeded"),
    "sts": ("Throttling", 400, "Rate exceeded"),
    "organizations": ("TooManyRequestsException", 400,
                      "AWS Organizations can't complete your request because another request is already in progress or the rate is exceeded."),
    "s3": ("SlowDown", 503, "Please reduce your request rate."),
    "sqs": ("RequestThrottled", 400, "Request is throttled."),
}
SERVER_ERROR = {
    "iam": ("ServiceFailure", 500, "The request processing has failed because of an unknown error."),
    "sts": ("InternalFailure", 500, "An internal error occurred."),
    "organizations": ("ServiceException", 500, "AWS Organizations can't complete your request because of an internal service error."),
    "s3": ("InternalError", 500, "We encountered an internal error. Please try again."),
    "sqs": ("InternalFailure", 500, "An internal error occurred."),
}
# The message of an scp_deny fault is written per request by guardrails.fault_message (policy_eval.denial_message).
SCP_DENIAL_MESSAGE = "explicit deny in a service control policy (AWS's text for each request)"


EFFECTS = ("expire_session", "suspend_account")


@dataclasses.dataclass
class StagedRule(FaultRule):
    """A FaultRule that lets its first ``start_after`` matching requests through (so
    that ``times`` after it makes a burst in the middle of a run), and that may act
    on the emulator's state when it fires (``effect``), before the request is handled:

    - ``expire_session``: the root sessions acting in the request's subject account
      expire, so the request (and any later one with those sessions) gets ExpiredToken;
    - ``suspend_account``: the request's subject account is suspended, so an
      AssumeRoot into it is refused from then on."""

    start_after: int = 0
    effect: str | None = None
    _subject: str = dataclasses.field(default="", repr=False)

    def matches(self, service: str, action: str, account: str, is_root: bool) -> bool:
        if not super().matches(service, action, account, is_root):
            return False
        self._subject = account
        return True

    def fire(self) -> bool:
        if self.matched < self.start_after:
            self.matched += 1
            return False
        if not super().fire():
            return False
        if self.effect == "expire_session":
            STATE.expire_root_sessions(self._subject)
        elif self.effect == "suspend_account":
            _suspend(self._subject)
        return True


def _suspend(account_id: str) -> None:
    backend = orgs.management_backend(account_id)
    account = orgs.find_account(backend, account_id) if backend is not None else None
    if account is not None and account.state == "ACTIVE":
        account.close()


def _add_staged(**spec: Any) -> FaultRule:
    with state._lock:  # pylint: disable=protected-access
        rule = StagedRule(rule_id=STATE._next_rule_id, **spec)  # pylint: disable=protected-access
        STATE._next_rule_id += 1  # pylint: disable=protected-access
        STATE.fault_rules.append(rule)
        return rule


def add(kind: str = "custom", **spec: Any) -> FaultRule:
    """Add a fault rule. ``kind``:

    - ``throttle``: the service's own throttling error (needs ``service``);
    - ``server_error``: the service's 5xx error (needs ``service``);
    - ``scp_deny``: AccessDenied for root sessions acting in ``account``, with
      AWS's text for the request ("User: <principal> is not authorized to perform:
      <action> on resource: <resource> with an explicit deny in a service control
      policy", from policy_eval.denial_message);
    - ``slow``: a delay of ``delay_seconds`` and no error;
    - ``expire_session``: the root sessions in the subject account expire when
      it fires (the request then gets ExpiredToken from the emulator itself);
    - ``suspend_account``: the subject account is suspended when it fires
      (by default on its first ``sts:AssumeRoot``, so between the listing of
      the accounts and the work in it);
    - ``custom``: ``code``, ``status`` and ``message`` as given.

    Any kind also takes ``start_after``: that many matching requests go through
    before the rule starts firing (a burst of ``times`` faults in mid-run).
    """
    if kind in EFFECTS:
        if kind == "expire_session":
            spec = {"principal": "root", **spec}
        else:
            spec = {"service": "sts", "action": "AssumeRoot", **spec}
        return _add_staged(**{**spec, "code": None, "effect": kind})
    service = spec.get("service", "*")
    if kind in ("throttle", "server_error"):
        table = THROTTLE if kind == "throttle" else SERVER_ERROR
        if service not in table:
            raise ValueError(f"{kind} needs service to be one of {sorted(table)}")
        code, status, message = table[service]
        spec = {"code": code, "status": status, "message": message, **spec}
    elif kind == "scp_deny":
        spec = {"code": "AccessDenied", "status": 403, "principal": "root", "message": SCP_DENIAL_MESSAGE,
                "policy_type": "SERVICE_CONTROL_POLICY", **spec}
    elif kind == "slow":
        spec = {"code": None, **spec}
    elif kind != "custom":
        raise ValueError(f"unknown fault kind {kind!r}")
    if spec.get("start_after"):
        return _add_staged(**spec)
    spec.pop("start_after", None)
    return STATE.add_fault(**spec)
