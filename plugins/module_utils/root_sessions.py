# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""STS AssumeRoot: task-scoped root sessions in member accounts."""

from __future__ import annotations

from .errors import AccessDenied
from .clients import call
from .validation import TASK_POLICY_PREFIX

# The organization feature each task policy needs (reference: aws-api.md section 3.2).
TASK_POLICY_FEATURE = {
    "IAMAuditRootUserCredentials": "RootCredentialsManagement",
    "IAMCreateRootUserPassword": "RootCredentialsManagement",
    "IAMDeleteRootUserCredentials": "RootCredentialsManagement",
    "S3UnlockBucketPolicy": "RootSessions",
    "SQSUnlockQueuePolicy": "RootSessions",
}


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
