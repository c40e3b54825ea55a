"""Fault presets on top of state.FaultRule: the codes each service really uses."""

from __future__ import annotations

from typing import Any

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
SCP_DENIAL_MESSAGE = "User: arn:aws:iam::{account}:root is not authorized to perform this action with an explicit deny in a service control policy"


def add(kind: str = "custom", **spec: Any) -> FaultRule:
    """Add a fault rule. ``kind``:

    - ``throttle``: the service's own throttling error (needs ``service``);
    - ``server_error``: the service's 5xx error (needs ``service``);
    - ``scp_deny``: AccessDenied "with an explicit deny in a service control
      policy" for root sessions acting in ``account``;
    - ``slow``: a delay of ``delay_seconds`` and no error;
    - ``custom``: ``code``, ``status`` and ``message`` as given.
    """
    service = spec.get("service", "*")
    if kind in ("throttle", "server_error"):
        table = THROTTLE if kind == "throttle" else SERVER_ERROR
        if service not in table:
            raise ValueError(f"{kind} needs service to be one of {sorted(table)}")
        code, status, message = table[service]
        spec = {"code": code, "status": status, "message": message, **spec}
    elif kind == "scp_deny":
        account = spec.get("account", "*")
        spec = {"code": "AccessDenied", "status": 403, "principal": "root",
                "message": SCP_DENIAL_MESSAGE.format(account=account), **spec}
    elif kind == "slow":
        spec = {"code": None, **spec}
    elif kind != "custom":
        raise ValueError(f"unknown fault kind {kind!r}")
    return STATE.add_fault(**spec)
