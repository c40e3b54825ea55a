"""The API as it is in December 2026 (rootguard_emulator.newer_api), served when the installed
botocore knows it: IAM organization-level resources (OrganizationIamResources), Organizations
accounts with Paths and, as a switch, without the retired Status, and AssumeRoot's session token
size. Each rule in process and over HTTP; the AWS CLI's part is in test_aws_cli.py."""

from __future__ import annotations

import json
import re
import urllib.error

import botocore.session
import pytest
from botocore.exceptions import ClientError, ParamValidationError
from moto.core.base_backend import BackendDict

from rootguard_emulator import newer_api
from rootguard_emulator.control import organization_state
from rootguard_emulator.state import STATE

RCM = "RootCredentialsManagement"
RS = "RootSessions"
OIR = "OrganizationIamResources"
MANAGEMENT = "123456789012"
LEVEL_RESOURCES = ("enable_organization_level_resources", "disable_organization_level_resources")
AUDIT = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"

MODELS = botocore.session.get_session()


def _knows(service: str, shape: str, member: str) -> bool:
    return member in MODELS.get_service_model(service).shape_for(shape).members


# These tests are about the newer API; with a botocore that lacks it they would prove nothing.
# requirements-dev.txt pins a botocore that has all of it, so this fails rather than skips.
def test_the_installed_botocore_knows_the_december_2026_api():
    iam = MODELS.get_service_model("iam")
    assert {"EnableOrganizationLevelResources", "DisableOrganizationLevelResources"} <= set(iam.operation_names)
    assert OIR in iam.shape_for("FeatureType").enum
    assert _knows("organizations", "Account", "Paths")
    assert _knows("sts", "AssumeRootRequest", "MinimumSessionTokenSize")
    assert _knows("sts", "AssumeRootResponse", "SessionTokenSize")
    assert _knows("sts", "AssumeRootResponse", "SessionTokenUtilization")


def enabled_features(aws) -> list[str]:
    state = aws.control.organization() if aws.endpoint else organization_state(MANAGEMENT)
    return state["enabled_features"]


def configure(aws, **settings) -> dict:
    return aws.control.configure_api(**settings) if aws.endpoint else newer_api.configure(**settings)


def assert_error(call, code: str, status: int = 400) -> ClientError:
    with pytest.raises(ClientError) as excinfo:
        call()
    assert excinfo.value.response["Error"]["Code"] == code
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == status
    return excinfo.value


# ---------------------------------------------------------------------------
# IAM: EnableOrganizationLevelResources / DisableOrganizationLevelResources


def test_organization_level_resources_are_a_feature_of_their_own(aws):
    truth = aws.seed(accounts=2, profile="none", features=[RCM, RS])
    iam = aws.client("iam")

    enabled = iam.enable_organization_level_resources()
    assert enabled["OrganizationId"] == truth["organization_id"]
    assert sorted(enabled["EnabledFeatures"]) == sorted([OIR, RCM, RS])
    assert sorted(iam.list_organizations_features()["EnabledFeatures"]) == sorted([OIR, RCM, RS])
    assert enabled_features(aws) == sorted([OIR, RCM, RS])
    assert sorted(iam.enable_organization_level_resources()["EnabledFeatures"]) == sorted([OIR, RCM, RS])  # idempotent

    # the root access features leave it alone, and it leaves them alone
    assert sorted(iam.disable_organizations_root_sessions()["EnabledFeatures"]) == [OIR, RCM]
    assert sorted(iam.disable_organization_level_resources()["EnabledFeatures"]) == [RCM]
    assert iam.disable_organization_level_resources()["EnabledFeatures"] == [RCM]  # idempotent
    assert enabled_features(aws) == [RCM]


def test_organization_level_resources_are_management_only(aws):
    """Not even the IAM delegated administrator, who may disable the root access features."""
    truth = aws.seed(accounts=3, profile="none", features=[RCM, OIR], delegated_administrator=True)
    for account_id in (truth["delegated_administrator"], next(a["id"] for a in truth["accounts"] if a["id"] != truth["delegated_administrator"])):
        iam = aws.client("iam", aws.member_credentials(account_id))
        for operation in LEVEL_RESOURCES:
            error = assert_error(getattr(iam, operation), "CallerIsNotManagementAccountException")
            assert isinstance(error, iam.exceptions.CallerIsNotManagementAccountException)
    assert enabled_features(aws) == [OIR, RCM]
    admin = aws.client("iam", aws.member_credentials(truth["delegated_administrator"]))
    assert sorted(admin.list_organizations_features()["EnabledFeatures"]) == [OIR, RCM]


@pytest.mark.parametrize("operation", LEVEL_RESOURCES)
def test_organization_level_resources_preconditions(aws, operation):
    iam = aws.client("iam")
    assert_error(getattr(iam, operation), "OrganizationNotFoundException")
    aws.seed(accounts=1, profile="none")
    assert_error(getattr(iam, operation), "ServiceAccessNotEnabledException")
    assert enabled_features(aws) == []


def test_organization_level_resources_need_all_features(aws):
    aws.seed(accounts=1, profile="none", feature_set="CONSOLIDATED_BILLING")
    iam = aws.client("iam")
    for operation in LEVEL_RESOURCES:
        assert_error(getattr(iam, operation), "OrganizationNotInAllFeaturesModeException")


def test_the_request_log_names_the_calls(aws):
    aws.seed(accounts=1, profile="none", trusted_access=True)
    since = aws.control.requests()["count"] if aws.endpoint else STATE.request_log()["count"]
    iam = aws.client("iam")
    iam.enable_organization_level_resources()
    iam.disable_organization_level_resources()
    entries = (aws.control.requests(since) if aws.endpoint else STATE.request_log(since))["entries"]
    assert [(e["action"], e["write"], e["rejected"]) for e in entries] == [
        ("EnableOrganizationLevelResources", True, None), ("DisableOrganizationLevelResources", True, None)]


# ---------------------------------------------------------------------------
# Organizations: Paths, State, and Status as a switch


def _expected_path(truth: dict, account: dict) -> str:
    ous = {ou["id"]: ou["parent_id"] for ou in truth["organizational_units"]}
    chain, parent_id = [], account["parent_id"]
    while parent_id != truth["root_id"]:
        chain.append(parent_id)
        parent_id = ous[parent_id]
    return "/".join([truth["organization_id"], truth["root_id"], *reversed(chain), account["id"]]) + "/"


def test_accounts_have_state_and_paths(aws):
    truth = aws.seed(accounts=12, profile="mixed")
    org = aws.client("organizations")
    listed = {account["Id"]: account for page in org.get_paginator("list_accounts").paginate() for account in page["Accounts"]}
    deep = [account for account in truth["accounts"] if account["ou_path"].count("/") >= 4]
    assert deep, "the seed puts accounts three OUs deep"
    for account in truth["accounts"]:
        path = _expected_path(truth, account)
        assert listed[account["id"]]["Paths"] == [path]
        assert listed[account["id"]]["State"] == account["state"]
        assert listed[account["id"]]["Status"] == listed[account["id"]]["State"]  # the seed makes no PENDING_ or CLOSED account
        assert org.describe_account(AccountId=account["id"])["Account"]["Paths"] == [path]
        for child in org.list_accounts_for_parent(ParentId=account["parent_id"])["Accounts"]:
            if child["Id"] == account["id"]:
                assert child["Paths"] == [path]
    assert listed[MANAGEMENT]["Paths"] == [f"{truth['organization_id']}/{truth['root_id']}/{MANAGEMENT}/"]
    three_deep = next(a for a in deep if a["ou_path"] == "/Workloads/Production/Payments/")
    assert listed[three_deep["id"]]["Paths"][0].count("/ou-") == 3


def test_paths_follow_a_moved_account(aws):
    truth = aws.seed(accounts=3, profile="none")
    org = aws.client("organizations")
    account = truth["accounts"][0]
    target = next(ou for ou in truth["organizational_units"] if ou["path"] == "/Workloads/Production/")
    org.move_account(AccountId=account["id"], SourceParentId=account["parent_id"], DestinationParentId=target["id"])
    expected = _expected_path(truth, dict(account, parent_id=target["id"]))
    assert org.describe_account(AccountId=account["id"])["Account"]["Paths"] == [expected]


def test_paths_match_the_model_pattern(aws):
    pattern = MODELS.get_service_model("organizations").shape_for("Account").members["Paths"].member.metadata["pattern"]
    aws.seed(accounts=8, profile="none")
    for account in aws.client("organizations").list_accounts()["Accounts"]:
        assert re.fullmatch(pattern, account["Paths"][0]), account["Paths"]


def test_status_can_be_retired(aws):
    truth = aws.seed(accounts=4, profile="none", trusted_access=True, delegated_administrator=True)
    org = aws.client("organizations")
    assert configure(aws) == {"account_status": True, "account_paths": True}
    assert "Status" in org.list_accounts()["Accounts"][0]

    assert configure(aws, account_status=False) == {"account_status": False, "account_paths": True}
    member = truth["accounts"][1]
    for account in org.list_accounts()["Accounts"]:
        assert "Status" not in account and account["State"] == "ACTIVE" and account["Paths"]
    described = org.describe_account(AccountId=member["id"])["Account"]
    assert "Status" not in described and described["State"] == "ACTIVE"
    assert all("Status" not in account for account in org.list_accounts_for_parent(ParentId=member["parent_id"])["Accounts"])
    # DelegatedAdministrator has no Paths and keeps its own Status
    (admin,) = org.list_delegated_administrators(ServicePrincipal="iam.amazonaws.com")["DelegatedAdministrators"]
    assert admin["Status"] == "ACTIVE" and admin["State"] == "ACTIVE" and "Paths" not in admin

    assert configure(aws, account_status=True) == {"account_status": True, "account_paths": True}
    assert org.describe_account(AccountId=member["id"])["Account"]["Status"] == "ACTIVE"


def test_paths_can_be_left_out(aws):
    truth = aws.seed(accounts=2, profile="none")
    org = aws.client("organizations")
    assert configure(aws, account_paths=False) == {"account_status": True, "account_paths": False}
    assert all("Paths" not in account and account["Status"] == "ACTIVE" for account in org.list_accounts()["Accounts"])
    assert "Paths" not in org.describe_account(AccountId=truth["accounts"][0]["id"])["Account"]
    configure(aws, account_paths=True)
    assert org.describe_account(AccountId=truth["accounts"][0]["id"])["Account"]["Paths"]


def test_the_status_switch_is_reset_with_the_emulator(aws):
    aws.seed(accounts=1, profile="none")
    configure(aws, account_status=False, account_paths=False)
    if aws.endpoint:
        aws.control.reset()
        assert aws.control.api_settings() == {"account_status": True, "account_paths": True}
    else:
        BackendDict.reset()
        assert newer_api.settings() == {"account_status": True, "account_paths": True}


def test_the_status_switch_takes_only_booleans(http):
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        http.control.configure_api(account_status="no")
    assert excinfo.value.code == 400
    assert json.loads(excinfo.value.read())["error"] == "TypeError: account_status must be true or false"
    assert http.control.api_settings() == {"account_status": True, "account_paths": True}


# ---------------------------------------------------------------------------
# STS: AssumeRoot's MinimumSessionTokenSize, SessionTokenSize, SessionTokenUtilization


def _assume_root(aws, account_id: str, **extra) -> dict:
    return aws.client("sts").assume_root(TargetPrincipal=account_id, TaskPolicyArn={"arn": AUDIT}, **extra)


def test_assume_root_reports_its_session_token_size(aws):
    truth = aws.seed(accounts=2, profile="none", features=[RCM, RS])
    member = truth["accounts"][0]["id"]

    plain = _assume_root(aws, member)
    token = plain["Credentials"]["SessionToken"]
    assert plain["SessionTokenSize"] == len(token.encode()) == 356
    assert plain["SessionTokenUtilization"] == 9  # 356 of 4096 bytes, rounded up

    for minimum, size, utilization in ((100, 356, 9), (0, 356, 9), (1000, 1000, 25), (4096, 4096, 100)):
        grown = _assume_root(aws, member, MinimumSessionTokenSize=minimum)
        assert len(grown["Credentials"]["SessionToken"].encode()) == size, minimum
        assert (grown["SessionTokenSize"], grown["SessionTokenUtilization"]) == (size, utilization), minimum

    # the grown token is a working credential
    grown = _assume_root(aws, member, MinimumSessionTokenSize=2048)["Credentials"]
    iam = aws.client("iam", {"aws_access_key_id": grown["AccessKeyId"], "aws_secret_access_key": grown["SecretAccessKey"],
                             "aws_session_token": grown["SessionToken"]})
    assert iam.list_access_keys()["AccessKeyMetadata"] == []


def test_minimum_session_token_size_is_at_most_4096(aws):
    truth = aws.seed(accounts=1, profile="none", features=[RCM])
    error = assert_error(lambda: _assume_root(aws, truth["accounts"][0]["id"], MinimumSessionTokenSize=4097), "ValidationError")
    assert "minimumSessionTokenSize" in error.response["Error"]["Message"]
    with pytest.raises(ParamValidationError):  # botocore itself refuses a negative size
        _assume_root(aws, truth["accounts"][0]["id"], MinimumSessionTokenSize=-1)
