"""IAM organization features: ListOrganizationsFeatures and the four Enable/Disable
calls, their resulting sets, idempotency and modeled errors (aws-api.md section 2)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from rootguard_emulator.control import organization_state

RCM = "RootCredentialsManagement"
RS = "RootSessions"
MANAGEMENT = "123456789012"

ENABLE = ("enable_organizations_root_credentials_management", "enable_organizations_root_sessions")
DISABLE = ("disable_organizations_root_credentials_management", "disable_organizations_root_sessions")
ALL_OPERATIONS = ("list_organizations_features",) + ENABLE + DISABLE


def enabled_features(aws) -> list[str]:
    state = aws.control.organization() if aws.endpoint else organization_state(MANAGEMENT)
    return state["enabled_features"]


def assert_error(iam, operation: str, code: str) -> None:
    with pytest.raises(ClientError) as excinfo:
        getattr(iam, operation)()
    response = excinfo.value.response
    assert response["Error"]["Code"] == code, operation
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400, operation
    assert isinstance(excinfo.value, getattr(iam.exceptions, code)), operation


def test_enable_and_disable_return_the_resulting_set(aws):
    truth = aws.seed(accounts=2, profile="none", trusted_access=True)
    iam = aws.client("iam")

    listed = iam.list_organizations_features()
    assert listed["OrganizationId"] == truth["organization_id"]
    assert listed["EnabledFeatures"] == []

    steps = (
        ("enable_organizations_root_credentials_management", [RCM]),
        ("enable_organizations_root_sessions", [RCM, RS]),
        ("disable_organizations_root_credentials_management", [RS]),
        ("enable_organizations_root_credentials_management", [RCM, RS]),
        ("disable_organizations_root_sessions", [RCM]),
        ("disable_organizations_root_credentials_management", []),
    )
    for operation, expected in steps:
        response = getattr(iam, operation)()
        assert response["OrganizationId"] == truth["organization_id"], operation
        assert sorted(response["EnabledFeatures"]) == expected, operation
        assert sorted(iam.list_organizations_features()["EnabledFeatures"]) == expected, operation
        assert enabled_features(aws) == expected, operation


def test_enable_and_disable_are_idempotent(aws):
    aws.seed(accounts=1, profile="none", trusted_access=True)
    iam = aws.client("iam")
    for operation in ENABLE:
        first = getattr(iam, operation)()["EnabledFeatures"]
        second = getattr(iam, operation)()["EnabledFeatures"]
        assert sorted(first) == sorted(second), operation
    assert enabled_features(aws) == [RCM, RS]
    for operation in DISABLE:
        getattr(iam, operation)()
        getattr(iam, operation)()
    assert iam.list_organizations_features()["EnabledFeatures"] == []
    assert enabled_features(aws) == []


def test_no_organization(aws):
    iam = aws.client("iam")
    for operation in ALL_OPERATIONS:
        assert_error(iam, operation, "OrganizationNotFoundException")


def test_consolidated_billing(aws):
    aws.seed(accounts=1, profile="none", feature_set="CONSOLIDATED_BILLING")
    iam = aws.client("iam")
    for operation in ALL_OPERATIONS:
        assert_error(iam, operation, "OrganizationNotInAllFeaturesModeException")
    assert enabled_features(aws) == []


def test_trusted_access_missing(aws):
    aws.seed(accounts=1, profile="none")
    iam = aws.client("iam")
    for operation in ALL_OPERATIONS:
        assert_error(iam, operation, "ServiceAccessNotEnabledException")
    assert enabled_features(aws) == []


def test_plain_member_account(aws):
    truth = aws.seed(accounts=3, profile="none", features=[RCM])
    iam = aws.client("iam", aws.member_credentials(truth["accounts"][1]["id"]))
    for operation in ALL_OPERATIONS:
        assert_error(iam, operation, "AccountNotManagementOrDelegatedAdministratorException")
    assert enabled_features(aws) == [RCM]


def test_member_of_an_organization_without_trusted_access(aws):
    """Precedence (aws-api.md section 10): ServiceAccessNotEnabled before AccountNotManagementOrDelegatedAdministrator."""
    truth = aws.seed(accounts=2, profile="none")
    iam = aws.client("iam", aws.member_credentials(truth["accounts"][0]["id"]))
    assert_error(iam, "list_organizations_features", "ServiceAccessNotEnabledException")


def test_delegated_administrator_may_list_and_disable_but_not_enable(aws):
    truth = aws.seed(accounts=3, profile="none", features=[RCM, RS], delegated_administrator=True)
    iam = aws.client("iam", aws.member_credentials(truth["delegated_administrator"]))

    listed = iam.list_organizations_features()
    assert listed["OrganizationId"] == truth["organization_id"]
    assert sorted(listed["EnabledFeatures"]) == [RCM, RS]

    assert iam.disable_organizations_root_sessions()["EnabledFeatures"] == [RCM]
    assert enabled_features(aws) == [RCM]
    for operation in ENABLE:
        assert_error(iam, operation, "CallerIsNotManagementAccountException")
    assert enabled_features(aws) == [RCM]
    assert iam.disable_organizations_root_credentials_management()["EnabledFeatures"] == []
    assert enabled_features(aws) == []


def test_disabling_trusted_access_turns_the_features_off(aws):
    truth = aws.seed(accounts=2, profile="none", features=[RCM, RS])
    aws.client("organizations").disable_aws_service_access(ServicePrincipal="iam.amazonaws.com")
    iam = aws.client("iam")
    for operation in ALL_OPERATIONS:
        assert_error(iam, operation, "ServiceAccessNotEnabledException")
    with pytest.raises(ClientError) as excinfo:
        aws.assume_root(truth["accounts"][0]["id"], "IAMAuditRootUserCredentials")
    assert excinfo.value.response["Error"]["Code"] == "AccessDenied"


def test_delegated_administrator_for_another_service_is_not_an_iam_administrator(aws):
    truth = aws.seed(accounts=3, profile="none", features=[RCM, RS])
    admin = truth["accounts"][0]["id"]
    org = aws.client("organizations")
    org.enable_aws_service_access(ServicePrincipal="ssm.amazonaws.com")
    org.register_delegated_administrator(AccountId=admin, ServicePrincipal="ssm.amazonaws.com")
    credentials = aws.member_credentials(admin)
    iam = aws.client("iam", credentials)
    for operation in ALL_OPERATIONS:
        assert_error(iam, operation, "AccountNotManagementOrDelegatedAdministratorException")
    with pytest.raises(ClientError) as excinfo:
        aws.assume_root(truth["accounts"][1]["id"], "IAMAuditRootUserCredentials", credentials=credentials)
    assert excinfo.value.response["Error"]["Code"] == "AccessDenied"
    # any delegated administrator may still read the organization
    listed = aws.client("organizations", credentials).list_accounts()["Accounts"]
    assert len(listed) == 4
