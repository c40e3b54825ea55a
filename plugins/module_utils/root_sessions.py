# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""STS AssumeRoot: task-scoped root sessions in member accounts, and RootSession, which holds one
account's session for a piece of work (assumed on first use, renewed when it expires)."""

from __future__ import annotations

import datetime

from .clients import call
from .errors import AccessDenied, SessionExpired
from . import validation
from .validation import TASK_POLICY_PREFIX

# The organization feature each task policy needs (reference: aws-api.md section 3.2).
TASK_POLICY_FEATURE = {
    "IAMAuditRootUserCredentials": "RootCredentialsManagement",
    "IAMCreateRootUserPassword": "RootCredentialsManagement",
    "IAMDeleteRootUserCredentials": "RootCredentialsManagement",
    "S3UnlockBucketPolicy": "RootSessions",
    "SQSUnlockQueuePolicy": "RootSessions",
}

# Root sessions last this long: long enough for one account's work under heavy
# throttling, short enough that a leaked session is soon useless.
SESSION_SECONDS = 300
# A held session is renewed when it has less than this left.
SESSION_MARGIN_SECONDS = 60


def assume_root(factory, account_id: str, task_policy_arn: str, duration_seconds: int) -> dict:
    """Credentials of ``account_id``'s root user, scoped to ``task_policy_arn``.

    Returns ``access_key``, ``secret_key``, ``session_token``, ``expiration`` (ISO 8601)
    and ``source_identity``; the caller must keep the three secrets out of every output."""
    sts = factory.sts_client()
    try:
        response = call(sts, "assume_root", TargetPrincipal=account_id, TaskPolicyArn={"arn": task_policy_arn},
                        DurationSeconds=duration_seconds)
    except AccessDenied as error:
        feature = TASK_POLICY_FEATURE[task_policy_arn[len(TASK_POLICY_PREFIX):]]
        raise AccessDenied(
            f"AssumeRoot into {account_id} was denied. It needs: the caller in the management account or the IAM delegated "
            f"administrator, allowed sts:AssumeRoot; {feature} enabled for the organization; and the target an ACTIVE member "
            f"account other than the management account. {error.message}",
            error.aws_error_code,
            error.operation,
        ) from None
    credentials = response["Credentials"]
    expiration = credentials["Expiration"]
    return {
        "access_key": credentials["AccessKeyId"],
        "secret_key": credentials["SecretAccessKey"],
        "session_token": credentials["SessionToken"],
        "expiration": expiration.isoformat() if hasattr(expiration, "isoformat") else str(expiration),
        "source_identity": response.get("SourceIdentity"),
    }


def session_credentials(credentials: dict) -> dict:
    """assume_root()'s result as boto3 client keyword arguments."""
    return {
        "aws_access_key_id": credentials["access_key"],
        "aws_secret_access_key": credentials["secret_key"],
        "aws_session_token": credentials["session_token"],
    }


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


# ---------------------------------------------------------------------------
# The modules' service functions: (factory, params, check_mode) -> the task's result


def sts_assume_root(factory, params: dict, _check_mode: bool) -> dict:
    account_id = validation.target_principal(params["target_account"], "target_account")
    task_policy_arn = validation.task_policy_arn(params["task_policy"], "task_policy")
    duration = validation.duration_seconds(params["duration_seconds"], "duration_seconds")
    credentials = assume_root(factory, account_id, task_policy_arn, duration)
    source_identity = credentials.pop("source_identity")
    return {
        "changed": False,
        "credentials": credentials,
        "target_account": account_id,
        "task_policy_arn": task_policy_arn,
        "duration_seconds": duration,
        "source_identity": source_identity,
    }
