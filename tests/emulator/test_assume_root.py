"""STS AssumeRoot: targets, task policies and the features they need, DurationSeconds,
who may call it and for whom, the resulting identity, expiry, and the global
endpoint (aws-api.md sections 1, 3.2 and 10)."""

from __future__ import annotations

import datetime

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import MANAGEMENT_CREDENTIALS, REGION, TASK_POLICY, root_credentials
from rootguard_emulator.rootuser import root_user
from rootguard_emulator.seed import seed
from rootguard_emulator.state import STATE

RCM = "RootCredentialsManagement"
RS = "RootSessions"
BOTH = [RCM, RS]
MANAGEMENT = "123456789012"
# aws-api.md section 3.2
REQUIRED_FEATURE = {
    "IAMAuditRootUserCredentials": RCM,
    "IAMCreateRootUserPassword": RCM,
    "IAMDeleteRootUserCredentials": RCM,
    "S3UnlockBucketPolicy": RS,
    "SQSUnlockQueuePolicy": RS,
}


def client_error(call, *args, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as excinfo:
        call(*args, **kwargs)
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"].get("Message", "")


def assume_root_raw(aws, target: str, policy: str = "IAMAuditRootUserCredentials", credentials: dict | None = None, **kwargs):
    return aws.client("sts", credentials).assume_root(
        TargetPrincipal=target, TaskPolicyArn={"arn": TASK_POLICY.format(policy)}, **kwargs
    )


def identity(aws, credentials: dict) -> dict:
    return aws.client("sts", credentials).get_caller_identity()


# targets and identity ---------------------------------------------------------------

@pytest.mark.parametrize("form", ["id", "arn"])
def test_target_as_account_id_or_root_arn(aws, form):
    truth = aws.seed(accounts=3, profile="full", features=BOTH)
    target = truth["accounts"][2]["id"]
    principal = target if form == "id" else f"arn:aws:iam::{target}:root"
    credentials = assume_root_raw(aws, principal)["Credentials"]
    assert credentials["AccessKeyId"].startswith("ASIA")
    assert credentials["SecretAccessKey"] and credentials["SessionToken"]

    who = identity(aws, root_credentials(credentials))
    assert who["Arn"] == f"arn:aws:iam::{target}:root"
    assert who["Account"] == target
    assert who["UserId"] == target
    # the session acts in the target account
    keys = aws.client("iam", root_credentials(credentials)).list_access_keys()["AccessKeyMetadata"]
    assert sorted(key["AccessKeyId"] for key in keys) == sorted(key["id"] for key in truth["accounts"][2]["root_user"]["access_keys"])


def test_management_identity_is_unchanged(aws):
    aws.seed(accounts=1, profile="none", features=BOTH)
    who = aws.client("sts").get_caller_identity()
    assert who["Account"] == MANAGEMENT
    assert not who["Arn"].endswith(":root")


# task policies and features -------------------------------------------------------

@pytest.mark.parametrize("policy", sorted(REQUIRED_FEATURE))
def test_each_task_policy_with_both_features(aws, policy):
    truth = aws.seed(accounts=2, profile="none", features=BOTH)
    target = truth["accounts"][0]["id"]
    credentials = aws.assume_root(target, policy)
    assert identity(aws, credentials)["Arn"] == f"arn:aws:iam::{target}:root"


@pytest.mark.parametrize("feature", BOTH)
def test_one_feature_allows_only_its_tasks(aws, feature):
    truth = aws.seed(accounts=2, profile="none", features=[feature])
    target = truth["accounts"][1]["id"]
    for policy, needed in REQUIRED_FEATURE.items():
        if needed == feature:
            assert identity(aws, aws.assume_root(target, policy))["Account"] == target, policy
        else:
            code, status, message = client_error(aws.assume_root, target, policy)
            assert (code, status) == ("AccessDenied", 403), policy
            assert needed in message, policy


def test_no_feature_enabled(aws):
    truth = aws.seed(accounts=1, profile="none", trusted_access=True)
    for policy in REQUIRED_FEATURE:
        assert client_error(aws.assume_root, truth["accounts"][0]["id"], policy)[:2] == ("AccessDenied", 403)


def test_no_organization(aws):
    assert client_error(aws.assume_root, "210000000000", "IAMAuditRootUserCredentials")[:2] == ("AccessDenied", 403)


# DurationSeconds --------------------------------------------------------------------

def test_duration_defaults_to_900_seconds(aws):
    truth = aws.seed(accounts=1, profile="none", features=BOTH)
    before = datetime.datetime.now(datetime.timezone.utc)
    expiration = assume_root_raw(aws, truth["accounts"][0]["id"])["Credentials"]["Expiration"]
    after = datetime.datetime.now(datetime.timezone.utc)
    assert before + datetime.timedelta(seconds=870) <= expiration <= after + datetime.timedelta(seconds=930)


@pytest.mark.parametrize("duration", [0, 60, 900])
def test_duration_within_limits(aws, duration):
    truth = aws.seed(accounts=1, profile="none", features=BOTH)
    before = datetime.datetime.now(datetime.timezone.utc)
    expiration = assume_root_raw(aws, truth["accounts"][0]["id"], DurationSeconds=duration)["Credentials"]["Expiration"]
    assert abs((expiration - before).total_seconds() - duration) < 30


@pytest.mark.parametrize("duration", [901, 3600])
def test_duration_above_900_is_a_validation_error(aws, duration):
    truth = aws.seed(accounts=1, profile="none", features=BOTH)
    code, status = client_error(assume_root_raw, aws, truth["accounts"][0]["id"], DurationSeconds=duration)[:2]
    assert (code, status) == ("ValidationError", 400)


# invalid input ----------------------------------------------------------------------

@pytest.mark.parametrize(
    "arn",
    [
        "arn:aws:iam::aws:policy/ReadOnlyAccess",
        "arn:aws:iam::aws:policy/root-task/IAMDoEverything",
        "arn:aws:iam::123456789012:policy/root-task/IAMAuditRootUserCredentials",
        "IAMAuditRootUserCredentials",
    ],
)
def test_bad_task_policy_arn_is_a_validation_error(aws, arn):
    truth = aws.seed(accounts=1, profile="none", features=BOTH)
    sts = aws.client("sts")
    code, status = client_error(sts.assume_root, TargetPrincipal=truth["accounts"][0]["id"], TaskPolicyArn={"arn": arn})[:2]
    assert (code, status) == ("ValidationError", 400)


@pytest.mark.parametrize("principal", ["abcdefghijkl", "arn:aws:iam::21000000000:root", "arn:aws:iam::210000000000:user/x"])
def test_bad_target_principal_is_a_validation_error(aws, principal):
    aws.seed(accounts=1, profile="none", features=BOTH)
    code, status = client_error(assume_root_raw, aws, principal)[:2]
    assert (code, status) == ("ValidationError", 400)


# who may be a target ------------------------------------------------------------------

def test_management_account_is_not_a_target(aws):
    aws.seed(accounts=1, profile="none", features=BOTH)
    for principal in (MANAGEMENT, f"arn:aws:iam::{MANAGEMENT}:root"):
        assert client_error(assume_root_raw, aws, principal)[:2] == ("AccessDenied", 403)


def test_non_member_is_not_a_target(aws):
    aws.seed(accounts=2, profile="none", features=BOTH)
    assert client_error(assume_root_raw, aws, "999999999999")[:2] == ("AccessDenied", 403)


def test_suspended_member_is_not_a_target(aws):
    truth = aws.seed(accounts=7, profile="mixed", features=BOTH)
    suspended = [account["id"] for account in truth["accounts"] if account["state"] == "SUSPENDED"]
    assert suspended
    for policy in REQUIRED_FEATURE:
        assert client_error(aws.assume_root, suspended[0], policy)[:2] == ("AccessDenied", 403), policy


def test_closed_account_is_not_a_target(aws):
    truth = aws.seed(accounts=3, profile="none", features=BOTH)
    target = truth["accounts"][1]["id"]
    assert identity(aws, aws.assume_root(target, "IAMAuditRootUserCredentials"))["Account"] == target
    aws.client("organizations").close_account(AccountId=target)
    assert client_error(aws.assume_root, target, "IAMAuditRootUserCredentials")[:2] == ("AccessDenied", 403)


def test_removed_account_is_not_a_target(aws):
    truth = aws.seed(accounts=3, profile="none", features=BOTH)
    target = truth["accounts"][1]["id"]
    aws.assume_root(target, "IAMAuditRootUserCredentials")
    aws.client("organizations").remove_account_from_organization(AccountId=target)
    assert client_error(aws.assume_root, target, "IAMAuditRootUserCredentials")[:2] == ("AccessDenied", 403)


def test_removed_account_is_not_a_target_after_a_new_account_joins(aws):
    """Regression: the account index used to be rebuilt only when the number of accounts changed."""
    truth = aws.seed(accounts=3, profile="none", features=BOTH)
    target = truth["accounts"][1]["id"]
    aws.assume_root(target, "IAMAuditRootUserCredentials")
    org = aws.client("organizations")
    org.remove_account_from_organization(AccountId=target)
    org.create_account(AccountName="newcomer", Email="newcomer@example.com")
    assert client_error(aws.assume_root, target, "IAMAuditRootUserCredentials")[:2] == ("AccessDenied", 403)


# who may call it ----------------------------------------------------------------------

def test_plain_member_cannot_call(aws):
    truth = aws.seed(accounts=3, profile="none", features=BOTH)
    caller = aws.member_credentials(truth["accounts"][0]["id"])
    code, status = client_error(assume_root_raw, aws, truth["accounts"][1]["id"], credentials=caller)[:2]
    assert (code, status) == ("AccessDenied", 403)


def test_delegated_administrator_can_call(aws):
    truth = aws.seed(accounts=4, profile="full", features=BOTH, delegated_administrator=True)
    admin = truth["delegated_administrator"]
    caller = aws.member_credentials(admin)
    target = next(account["id"] for account in truth["accounts"] if account["id"] != admin and account["state"] == "ACTIVE")
    for policy in REQUIRED_FEATURE:
        credentials = aws.assume_root(target, policy, credentials=caller)
        assert identity(aws, credentials)["Arn"] == f"arn:aws:iam::{target}:root", policy
    # still never the management account
    code, status = client_error(assume_root_raw, aws, MANAGEMENT, credentials=caller)[:2]
    assert (code, status) == ("AccessDenied", 403)


def test_delegated_administrator_loses_access_when_deregistered(aws):
    truth = aws.seed(accounts=3, profile="none", features=BOTH, delegated_administrator=True)
    admin = truth["delegated_administrator"]
    caller = aws.member_credentials(admin)
    target = truth["accounts"][1]["id"]
    aws.client("organizations").deregister_delegated_administrator(AccountId=admin, ServicePrincipal="iam.amazonaws.com")
    assert client_error(assume_root_raw, aws, target, credentials=caller)[:2] == ("AccessDenied", 403)


def test_root_session_cannot_call_assume_root(aws):
    truth = aws.seed(accounts=3, profile="none", features=BOTH)
    session = aws.assume_root(truth["accounts"][0]["id"], "IAMAuditRootUserCredentials")
    for target in (truth["accounts"][1]["id"], truth["accounts"][0]["id"]):
        code, status = client_error(assume_root_raw, aws, target, credentials=session)[:2]
        assert (code, status) == ("AccessDenied", 403)


def test_root_user_access_key_cannot_call_assume_root(inprocess):
    truth = seed(accounts=2, profile="full", features=BOTH)
    member = truth["accounts"][0]["id"]
    key = next(iter(root_user(member).access_keys.values()))
    credentials = {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": key.secret_access_key}
    who = identity(inprocess, credentials)
    assert (who["Account"], who["Arn"]) == (member, f"arn:aws:iam::{member}:root")
    code, status = client_error(assume_root_raw, inprocess, truth["accounts"][1]["id"], credentials=credentials)[:2]
    assert (code, status) == ("AccessDenied", 403)


def test_get_access_key_info_names_the_target(aws):
    truth = aws.seed(accounts=2, profile="none", features=BOTH)
    target = truth["accounts"][1]["id"]
    session = aws.assume_root(target, "IAMAuditRootUserCredentials")
    info = aws.client("sts").get_access_key_info(AccessKeyId=session["aws_access_key_id"])
    assert info["Account"] == target


# expiry -------------------------------------------------------------------------------

def test_zero_duration_session_is_expired(aws):
    truth = aws.seed(accounts=1, profile="full", features=BOTH)
    session = aws.assume_root(truth["accounts"][0]["id"], "IAMAuditRootUserCredentials", duration=0)
    iam = aws.client("iam", session)
    for call in (iam.list_access_keys, iam.get_user, iam.get_account_summary):
        assert client_error(call)[:2] == ("ExpiredToken", 400), call


def test_expire_sessions(aws):
    truth = aws.seed(accounts=3, profile="full", features=BOTH)
    first, second = truth["accounts"][0]["id"], truth["accounts"][1]["id"]
    audit = aws.assume_root(first, "IAMAuditRootUserCredentials")
    delete = aws.assume_root(first, "IAMDeleteRootUserCredentials")
    other = aws.assume_root(second, "IAMAuditRootUserCredentials")
    for session in (audit, delete, other):
        aws.client("iam", session).list_access_keys()

    assert aws.expire_sessions(first) == 2
    for session in (audit, delete):
        assert client_error(aws.client("iam", session).list_access_keys)[:2] == ("ExpiredToken", 400)
    aws.client("iam", other).list_access_keys()

    assert aws.expire_sessions() >= 1
    assert client_error(aws.client("iam", other).list_access_keys)[:2] == ("ExpiredToken", 400)
    # a fresh session works again, and nothing about the root user changed
    fresh = aws.assume_root(first, "IAMAuditRootUserCredentials")
    assert len(aws.client("iam", fresh).list_access_keys()["AccessKeyMetadata"]) == 2


def test_expiring_sessions_leaves_root_access_keys_alone(inprocess):
    truth = seed(accounts=1, profile="full", features=BOTH)
    member = truth["accounts"][0]["id"]
    key = next(iter(root_user(member).access_keys.values()))
    credentials = {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": key.secret_access_key}
    STATE.expire_root_sessions()
    assert identity(inprocess, credentials)["Arn"] == f"arn:aws:iam::{member}:root"


# endpoints ----------------------------------------------------------------------------

def test_global_endpoint_is_rejected(inprocess):
    truth = seed(accounts=1, profile="none", features=BOTH)
    target = truth["accounts"][0]["id"]
    arn = {"arn": TASK_POLICY.format("IAMAuditRootUserCredentials")}
    global_sts = boto3.client("sts", region_name=REGION, endpoint_url="https://sts.amazonaws.com", **MANAGEMENT_CREDENTIALS)
    code = client_error(global_sts.assume_root, TargetPrincipal=target, TaskPolicyArn=arn)[0]
    assert code == "InvalidAction"
    regional = boto3.client("sts", region_name=REGION, endpoint_url=f"https://sts.{REGION}.amazonaws.com", **MANAGEMENT_CREDENTIALS)
    assert regional.assume_root(TargetPrincipal=target, TaskPolicyArn=arn)["Credentials"]["AccessKeyId"]
    other_region = inprocess.client("sts", region="eu-west-1")
    assert other_region.meta.endpoint_url == "https://sts.eu-west-1.amazonaws.com"
    assert other_region.assume_root(TargetPrincipal=target, TaskPolicyArn=arn)["Credentials"]["AccessKeyId"]
