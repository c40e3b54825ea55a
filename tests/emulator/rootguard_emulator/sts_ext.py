"""STS: AssumeRoot with its preconditions, and caller identity for root principals."""

from __future__ import annotations

import datetime
import re
from typing import Any

from moto.core.responses import ActionResult
from moto.iam.models import iam_backends
from moto.sts.exceptions import STSValidationError
from moto.sts.models import AssumedRole, sts_backends
from moto.sts.responses import TokenResponse

from . import newer_api, orgs
from .errors import ProtocolError
from .policies import TASK_POLICY_FEATURE, task_policy_name
from .state import STATE, RootPrincipal

TARGET_PATTERN = re.compile(r"(?:arn:aws:iam::)?(\d{12})(?::root)?")
MAX_DURATION = 900
GLOBAL_STS_HOST = "sts.amazonaws.com"

_ORIGINALS: dict[str, Any] = {}


class RootSession(AssumedRole):
    """An AssumeRoot grant, kept where moto's GetCallerIdentity looks for it."""

    __module__ = "rootguard_emulator.sts_ext"

    def __init__(self, target: str, region: str, access_key: Any, task_policy_arn: str, duration: int):
        super().__init__(
            account_id=target,
            region_name=region,
            access_key=access_key,
            role_session_name="root",
            role_arn=f"arn:aws:iam::{target}:root",
            policy=None,  # type: ignore[arg-type]
            duration=duration,
            external_id=None,  # type: ignore[arg-type]
        )
        self.task_policy_arn = task_policy_arn

    @property
    def user_id(self) -> str:
        return self.account_id

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"


def _denied(message: str) -> ProtocolError:
    return ProtocolError("sts", "AccessDenied", message, status=403)


def _validation(message: str) -> STSValidationError:
    return STSValidationError(message)


def assume_root(self: TokenResponse) -> ActionResult:
    if self.parsed_url.netloc.split(":")[0] == GLOBAL_STS_HOST:
        raise ProtocolError("sts", "InvalidAction",
                            "Could not find operation AssumeRoot for version 2011-06-15 (the STS global endpoint does not support AssumeRoot)")
    target_principal = self._get_param("TargetPrincipal") or ""
    task_policy_arn = (self._get_param("TaskPolicyArn") or {}).get("arn", "")
    duration = self._get_int_param("DurationSeconds", MAX_DURATION)

    match = TARGET_PATTERN.fullmatch(target_principal)
    if match is None:
        raise _validation(f"Invalid TargetPrincipal '{target_principal}': expected a 12-digit account id or arn:aws:iam::<account-id>:root")
    target = match.group(1)
    task_policy = task_policy_name(task_policy_arn)
    if task_policy is None:
        raise _validation(f"TaskPolicyArn '{task_policy_arn}' is not one of the arn:aws:iam::aws:policy/root-task/ policies")
    if not 0 <= duration <= MAX_DURATION:
        raise _validation(
            f"1 validation error detected: Value '{duration}' at 'durationSeconds' failed to satisfy constraint: "
            f"Member must have value less than or equal to {MAX_DURATION}"
        )

    minimum_token_size = 0
    if newer_api.knows_member("sts", "AssumeRootRequest", "MinimumSessionTokenSize"):
        minimum_token_size = self._get_int_param("MinimumSessionTokenSize", 0)
        if not 0 <= minimum_token_size <= newer_api.MAX_SESSION_TOKEN_SIZE:
            raise _validation(
                f"1 validation error detected: Value '{minimum_token_size}' at 'minimumSessionTokenSize' failed to satisfy constraint: "
                f"Member must have value less than or equal to {newer_api.MAX_SESSION_TOKEN_SIZE}"
            )

    caller = self.current_account
    caller_arn = f"arn:aws:sts::{caller}:assumed-role/caller"
    if STATE.root_principals.get(self.get_access_key()) is not None:
        raise _denied(f"User: arn:aws:iam::{caller}:root is not authorized to perform: sts:AssumeRoot: "
                      "root user credentials cannot call AssumeRoot")
    backend = orgs.management_backend(caller)
    if backend is None or backend.org is None:
        raise _denied(f"User: {caller_arn} is not authorized to perform: sts:AssumeRoot: the account is not a member of an organization")
    is_management = backend.org.master_account_id == caller
    if not is_management and not orgs.is_delegated_administrator(backend, caller):
        raise _denied(
            f"User: {caller_arn} is not authorized to perform: sts:AssumeRoot: the caller is neither the management account "
            "nor the delegated administrator for iam.amazonaws.com"
        )
    feature = TASK_POLICY_FEATURE[task_policy]
    if not orgs.trusted_access_enabled(backend) or feature not in orgs.root_features(backend):
        raise _denied(f"User: {caller_arn} is not authorized to perform: sts:AssumeRoot: {feature} is not enabled for the organization")
    on_target = f"User: {caller_arn} is not authorized to perform: sts:AssumeRoot on resource: arn:aws:iam::{target}:root"
    if target == backend.org.master_account_id:
        raise _denied(f"{on_target}: the management account cannot be a target")
    account = orgs.find_account(backend, target)
    if account is None:
        raise _denied(f"{on_target}: not a member of the organization")
    if account.state != "ACTIVE":
        raise _denied(f"{on_target}: the account is {account.state}")

    access_key = iam_backends[target][self.partition].create_temp_access_key()
    session = RootSession(target, self.region, access_key, task_policy_arn, duration)
    session.session_token = newer_api.pad_session_token(session.session_token, minimum_token_size)
    sts_backends[target][self.partition].assumed_roles.append(session)
    expiration = session.expiration
    if expiration.tzinfo is None:
        expiration = expiration.replace(tzinfo=datetime.timezone.utc)
    STATE.root_principals[access_key.access_key_id] = RootPrincipal(
        account_id=target, task_policy=task_policy, expiration=expiration, caller_account=caller
    )
    result: dict[str, Any] = {"Credentials": session}
    if newer_api.knows_member("sts", "AssumeRootResponse", "SessionTokenSize"):
        result.update(newer_api.session_token_size_fields(session.session_token))
    return ActionResult(result)


def get_caller_identity(self: TokenResponse) -> ActionResult:
    principal = STATE.root_principals.get(self.get_access_key())
    if principal is None:
        return _ORIGINALS["get_caller_identity"](self)
    return ActionResult({"UserId": principal.account_id, "Account": principal.account_id, "Arn": principal.arn})


def get_access_key_info(self: TokenResponse) -> ActionResult:
    from moto.iam.models import get_account_id_from

    return ActionResult({"Account": get_account_id_from(self._get_param("AccessKeyId"))})


def install() -> None:
    _ORIGINALS.setdefault("get_caller_identity", TokenResponse.get_caller_identity)
    TokenResponse.assume_root = assume_root
    TokenResponse.get_caller_identity = get_caller_identity
    TokenResponse.get_access_key_info = get_access_key_info
