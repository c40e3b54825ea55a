"""The five root-task policies and resource-policy analysis.

Allowed actions are derived from the policy documents that ship with moto
(``moto.iam.aws_managed_policies``), which are the AWS managed policies.
"""

from __future__ import annotations

import fnmatch
import functools
import json
from typing import Any

TASK_POLICY_PREFIX = "arn:aws:iam::aws:policy/root-task/"

# Which organization feature each task needs (aws-api.md section 3.2).
TASK_POLICY_FEATURE = {
    "IAMAuditRootUserCredentials": "RootCredentialsManagement",
    "IAMCreateRootUserPassword": "RootCredentialsManagement",
    "IAMDeleteRootUserCredentials": "RootCredentialsManagement",
    "S3UnlockBucketPolicy": "RootSessions",
    "SQSUnlockQueuePolicy": "RootSessions",
}

FEATURES = ("RootCredentialsManagement", "RootSessions")


def task_policy_name(arn: str) -> str | None:
    """The task policy's short name for one of the five ARNs, else None."""
    if not arn.startswith(TASK_POLICY_PREFIX):
        return None
    name = arn[len(TASK_POLICY_PREFIX):]
    return name if name in TASK_POLICY_FEATURE else None


@functools.lru_cache(maxsize=None)
def _managed_policy_documents() -> dict[str, dict[str, Any]]:
    from moto.iam.aws_managed_policies import aws_managed_policies_data

    data = json.loads(aws_managed_policies_data)
    return {name: body["Document"] for name, body in data.items() if body.get("Path") == "/root-task/"}


@functools.lru_cache(maxsize=None)
def allowed_actions(task_policy: str) -> frozenset[str]:
    """Actions a root session under this task policy may call, as ``service:Action``.

    The policies are deny-only: the statement ``DenyAllOtherActionsOnAnyResource``
    denies everything except its NotAction list, which is therefore the allow-list.
    """
    document = _managed_policy_documents()[task_policy]
    for statement in document["Statement"]:
        if statement.get("Sid") == "DenyAllOtherActionsOnAnyResource":
            return frozenset(statement["NotAction"])
    raise KeyError(f"{task_policy} has no DenyAllOtherActionsOnAnyResource statement")


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _principal_is_everyone(principal: Any) -> bool:
    if principal == "*":
        return True
    if isinstance(principal, dict):
        return "*" in _as_list(principal.get("AWS"))
    return False


def _matches(patterns: list[str], value: str) -> bool:
    return any(fnmatch.fnmatchcase(value.lower(), str(pattern).lower()) for pattern in patterns)


def denies_everyone(policy: str | bytes | None, action: str, resource: str) -> bool:
    """True when the resource policy has an unconditional Deny for every principal
    that covers ``action`` (``service:Action``) on ``resource``.

    This is the "locked" case the S3 and SQS unlock tasks exist for: nobody but
    the account's root user can then read or change the policy.
    """
    if not policy:
        return False
    try:
        document = json.loads(policy)
    except (TypeError, ValueError):
        return False
    if not isinstance(document, dict):
        return False
    for statement in _as_list(document.get("Statement")):
        if not isinstance(statement, dict) or statement.get("Effect") != "Deny":
            continue
        if "Condition" in statement or "NotPrincipal" in statement:
            continue
        if not _principal_is_everyone(statement.get("Principal")):
            continue
        if "NotAction" in statement:
            if _matches(_as_list(statement["NotAction"]), action):
                continue
        elif not _matches(_as_list(statement.get("Action")), action):
            continue
        if "NotResource" in statement:
            if _matches(_as_list(statement["NotResource"]), resource):
                continue
        elif not _matches(_as_list(statement.get("Resource")), resource):
            continue
        return True
    return False
