# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""root_sessions: what AssumeRoot is sent, what comes back, and how a denial is explained."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import clients, errors, root_sessions
from rootguard_emulator.seed import seed

TARGET = "210000000001"
ARN = "arn:aws:iam::aws:policy/root-task/{}"
EXPIRATION = datetime.datetime(2025, 1, 2, 3, 19, 5, tzinfo=datetime.timezone.utc)
CREDENTIALS = {
    "AccessKeyId": "ASIAEXAMPLEROOTKEY01",
    "SecretAccessKey": "root-secret-access-key",
    "SessionToken": "root-session-token",
    "Expiration": EXPIRATION,
}
FEATURE = {
    "IAMAuditRootUserCredentials": "RootCredentialsManagement",
    "IAMCreateRootUserPassword": "RootCredentialsManagement",
    "IAMDeleteRootUserCredentials": "RootCredentialsManagement",
    "S3UnlockBucketPolicy": "RootSessions",
    "SQSUnlockQueuePolicy": "RootSessions",
}


@pytest.mark.parametrize("policy, duration", [("IAMAuditRootUserCredentials", 900), ("SQSUnlockQueuePolicy", 0)])
def test_assume_root_sends_the_target_policy_and_duration(aws, policy, duration):
    aws.respond("sts", "assume_root", {"Credentials": CREDENTIALS, "SourceIdentity": "rootguard"},
                TargetPrincipal=TARGET, TaskPolicyArn={"arn": ARN.format(policy)}, DurationSeconds=duration)
    result = root_sessions.assume_root(aws.factory, TARGET, ARN.format(policy), duration)
    assert result == {
        "access_key": "ASIAEXAMPLEROOTKEY01",
        "secret_key": "root-secret-access-key",
        "session_token": "root-session-token",
        "expiration": "2025-01-02T03:19:05+00:00",
        "source_identity": "rootguard",
    }
    assert aws.calls == ["sts:AssumeRoot"]
    assert aws.client("sts").meta.endpoint_url == "https://sts.us-east-1.amazonaws.com"


def test_assume_root_without_source_identity(aws):
    aws.respond("sts", "assume_root", {"Credentials": CREDENTIALS},
                TargetPrincipal=TARGET, TaskPolicyArn={"arn": ARN.format("S3UnlockBucketPolicy")}, DurationSeconds=60)
    assert root_sessions.assume_root(aws.factory, TARGET, ARN.format("S3UnlockBucketPolicy"), 60)["source_identity"] is None


def test_assume_root_refuses_the_global_endpoint_before_any_call(aws):
    aws.factory.endpoint_url = "https://sts.amazonaws.com"
    with pytest.raises(errors.EndpointError):
        root_sessions.assume_root(aws.factory, TARGET, ARN.format("IAMAuditRootUserCredentials"), 900)
    assert aws.calls == []


@pytest.mark.parametrize("policy", sorted(FEATURE))
@pytest.mark.parametrize("aws_message, explanation", [
    ("User: arn:aws:iam::111111111111:user/admin is not authorized to perform: sts:AssumeRoot",
     "Access denied: the caller's IAM policies, an SCP, or the organization's settings do not allow this action."),
    ("User: arn:aws:iam::111111111111:user/admin is not authorized to perform: sts:AssumeRoot with an explicit deny in a session policy",
     "The session's task policy does not allow this action."),
])
def test_assume_root_denied_names_the_feature_the_policy_needs(aws, policy, aws_message, explanation):
    aws.fail("sts", "assume_root", "AccessDenied", aws_message, status=403,
             TargetPrincipal=TARGET, TaskPolicyArn={"arn": ARN.format(policy)}, DurationSeconds=900)
    with pytest.raises(errors.AccessDenied) as excinfo:
        root_sessions.assume_root(aws.factory, TARGET, ARN.format(policy), 900)
    assert excinfo.value.message == (
        f"AssumeRoot into {TARGET} was denied. It needs: the caller in the management account or the IAM delegated administrator, "
        f"allowed sts:AssumeRoot; {FEATURE[policy]} enabled for the organization; and the target an ACTIVE member account other than "
        f"the management account. {explanation} [AssumeRoot: AccessDenied: {aws_message}]"
    )
    assert (excinfo.value.aws_error_code, excinfo.value.operation, excinfo.value.error_class) == ("AccessDenied", "AssumeRoot", "access_denied")


@pytest.mark.parametrize("code, message, status, error_class", [
    ("AccessDenied", "User: x is not authorized to perform: sts:AssumeRoot with an explicit deny in a service control policy", 403, errors.DeniedBySCP),
    ("Throttling", "Rate exceeded", 400, errors.Throttled),
    ("ExpiredToken", "The security token included in the request is expired", 400, errors.SessionExpired),
])
def test_assume_root_other_errors_pass_unchanged(aws, code, message, status, error_class):
    aws.fail("sts", "assume_root", code, message, status=status,
             TargetPrincipal=TARGET, TaskPolicyArn={"arn": ARN.format("S3UnlockBucketPolicy")}, DurationSeconds=900)
    with pytest.raises(error_class) as excinfo:
        root_sessions.assume_root(aws.factory, TARGET, ARN.format("S3UnlockBucketPolicy"), 900)
    assert not excinfo.value.message.startswith("AssumeRoot into")
    assert excinfo.value.message.endswith(f" [AssumeRoot: {code}: {message}]")


def test_assume_root_region_disabled_is_not_explained_as_a_missing_prerequisite(aws):
    aws.fail("sts", "assume_root", "RegionDisabledException", "STS is not activated in this region for account:111111111111.",
             status=403, TargetPrincipal=TARGET, TaskPolicyArn={"arn": ARN.format("IAMAuditRootUserCredentials")}, DurationSeconds=900)
    with pytest.raises(errors.RegionDisabled) as excinfo:
        root_sessions.assume_root(aws.factory, TARGET, ARN.format("IAMAuditRootUserCredentials"), 900)
    assert excinfo.value.message.startswith("AWS STS is not activated in this Region for the account.")


def test_session_credentials_are_client_keyword_arguments():
    credentials = {"access_key": "ASIAEXAMPLE", "secret_key": "secret", "session_token": "token", "expiration": "x", "source_identity": None}
    assert root_sessions.session_credentials(credentials) == {
        "aws_access_key_id": "ASIAEXAMPLE",
        "aws_secret_access_key": "secret",
        "aws_session_token": "token",
    }


def test_assume_root_against_the_emulator(emulator):  # pylint: disable=unused-argument
    truth = seed(accounts=2, profile="none", features=["RootCredentialsManagement"])
    member = truth["accounts"][0]["id"]
    factory = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection={"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "x"})
    session = root_sessions.assume_root(factory, member, ARN.format("IAMAuditRootUserCredentials"), 900)
    assert session["access_key"].startswith("ASIA")
    iam = factory.client("iam", credentials=root_sessions.session_credentials(session))
    assert "AccessKeysPerUserQuota" in iam.get_account_summary()["SummaryMap"]
    with pytest.raises(errors.AccessDenied) as excinfo:
        root_sessions.assume_root(factory, member, ARN.format("S3UnlockBucketPolicy"), 900)
    assert "; RootSessions enabled for the organization;" in excinfo.value.message
