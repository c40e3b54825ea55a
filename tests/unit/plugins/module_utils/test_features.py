# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""features: the plan (exhaustively), ensure_features and describe_root_access on stubbed clients."""

from __future__ import annotations

import itertools

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import clients, errors, features
from rootguard_emulator.seed import seed

from botocore_model import needs_botocore_knowing

RCM = "RootCredentialsManagement"
RS = "RootSessions"
OIR = "OrganizationIamResources"
FUTURE = "SomeFutureFeature"  # a FeatureType value this collection does not know (the Stubber accepts any string)
IAM = "iam.amazonaws.com"
ORG = "o-a1b2c3d4e5"
HINT = ("Enable it with rootguard.aws.organizations_service_access, or let rootguard.aws.iam_organizations_features "
        "do it (enable_trusted_access: true).")
READS = ["sts:GetCallerIdentity", "organizations:DescribeOrganization", "organizations:ListAWSServiceAccessForOrganization"]
READS_WITH_FEATURES = READS + ["iam:ListOrganizationsFeatures"]


# plan_features ---------------------------------------------------------------------------

@pytest.mark.parametrize("current, rcm, rs", list(itertools.product([(), (RCM,), (RS,), (RCM, RS)], [True, False, None], [True, False, None])))
def test_plan_features_exhaustive(current, rcm, rs):
    plan = features.plan_features(list(current), {"root_credentials_management": rcm, "root_sessions": rs})
    # Oracle: each feature ends enabled when asked for, disabled when refused, as it was when left alone.
    ends_enabled = {RCM: (RCM in current) if rcm is None else rcm, RS: (RS in current) if rs is None else rs}
    assert plan == {
        "enable": [feature for feature in (RCM, RS) if ends_enabled[feature] and feature not in current],
        "disable": [feature for feature in (RCM, RS) if not ends_enabled[feature] and feature in current],
        "after": [feature for feature in (RCM, RS) if ends_enabled[feature]],
    }


@pytest.mark.parametrize("desired, expected", [
    ({}, {"enable": [], "disable": [], "after": [RS]}),
    ({"root_sessions": False}, {"enable": [], "disable": [RS], "after": []}),
    ({"root_sessions": True, "root_credentials_management": True}, {"enable": [RCM], "disable": [], "after": [RCM, RS]}),
])
def test_plan_features_missing_options_are_left_alone_and_order_is_fixed(desired, expected):
    assert features.plan_features([RS], desired) == expected


def test_plan_features_keeps_features_it_does_not_manage():
    plan = features.plan_features(["SomeFutureFeature", RS], {"root_credentials_management": True, "root_sessions": False})
    assert plan == {"enable": [RCM], "disable": [RS], "after": [RCM, "SomeFutureFeature"]}


def test_plan_features_enables_both_in_feature_order():
    plan = features.plan_features([], {"root_sessions": True, "root_credentials_management": True})
    assert plan["enable"] == [RCM, RS]


@pytest.mark.parametrize("desired, unknown", [
    ({"root_session": True}, ["root_session"]),
    ({"RootSessions": True, "root_sessions": True, "bogus": None}, ["RootSessions", "bogus"]),
])
def test_plan_features_unknown_option(desired, unknown):
    with pytest.raises(ValueError) as excinfo:
        features.plan_features([], desired)
    assert str(excinfo.value) == f"unknown feature options: {unknown}"


# ensure_features -------------------------------------------------------------------------

def both(value):
    return {"root_credentials_management": value, "root_sessions": value}


def test_check_mode_plans_without_writing(aws):
    aws.caller()
    aws.trusted(IAM)
    aws.features("list_organizations_features")
    result = features.ensure_features(aws.factory, both(True), enable_trusted_access=True, check_mode=True)
    assert result == {
        "changed": True,
        "organization_id": ORG,
        "enabled_features": [RCM, RS],
        "iam_trusted_access": True,
        "actions": ["iam:EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootSessions"],
        "diff": {
            "before": {"enabled_features": [], "iam_trusted_access": True},
            "after": {"enabled_features": [RCM, RS], "iam_trusted_access": True},
        },
    }
    assert aws.calls == READS_WITH_FEATURES


def test_enables_root_credentials_management_then_root_sessions(aws):
    aws.caller()
    aws.trusted("sso.amazonaws.com", IAM)
    aws.features("list_organizations_features")
    aws.features("enable_organizations_root_credentials_management", RCM)
    aws.features("enable_organizations_root_sessions", RS, RCM)
    result = features.ensure_features(aws.factory, both(True), enable_trusted_access=False, check_mode=False)
    assert aws.calls == READS_WITH_FEATURES + ["iam:EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootSessions"]
    assert result["changed"] is True
    assert result["enabled_features"] == [RCM, RS]
    assert result["actions"] == ["iam:EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootSessions"]


def test_enables_and_disables_in_one_run(aws):
    aws.caller()
    aws.trusted(IAM)
    aws.features("list_organizations_features", RS)
    aws.features("enable_organizations_root_credentials_management", RCM, RS)
    aws.features("disable_organizations_root_sessions", RCM)
    result = features.ensure_features(aws.factory, {"root_credentials_management": True, "root_sessions": False},
                                      enable_trusted_access=False, check_mode=False)
    assert aws.writes() == ["iam:EnableOrganizationsRootCredentialsManagement", "iam:DisableOrganizationsRootSessions"]
    assert result["actions"] == ["iam:EnableOrganizationsRootCredentialsManagement", "iam:DisableOrganizationsRootSessions"]
    assert result["enabled_features"] == [RCM]
    assert result["diff"] == {
        "before": {"enabled_features": [RS], "iam_trusted_access": True},
        "after": {"enabled_features": [RCM], "iam_trusted_access": True},
    }


@pytest.mark.parametrize("desired", [both(True), {"root_sessions": True}, {"root_credentials_management": True, "root_sessions": None}])
def test_nothing_to_do_writes_nothing(aws, desired):
    aws.caller()
    aws.trusted(IAM)
    aws.features("list_organizations_features", RS, RCM)
    result = features.ensure_features(aws.factory, desired, enable_trusted_access=True, check_mode=False)
    assert aws.calls == READS_WITH_FEATURES
    assert (result["changed"], result["actions"], result["enabled_features"]) == (False, [], [RCM, RS])


@pytest.mark.parametrize("value", [True, False])
def test_features_it_does_not_manage_are_left_alone_and_never_a_change(aws, value):
    """OrganizationIamResources (EnableOrganizationLevelResources) and a feature AWS adds later are neither
    disabled nor counted: only the two root access features are written, and a re-run changes nothing."""
    managed_before, managed_after = ([], [RCM, RS]) if value else ([RCM, RS], [])
    aws.caller()
    aws.trusted(IAM)
    aws.features("list_organizations_features", FUTURE, *managed_before, OIR)
    verb = "enable" if value else "disable"
    aws.features(f"{verb}_organizations_root_credentials_management", OIR, FUTURE, *([RCM] if value else [RS]))
    aws.features(f"{verb}_organizations_root_sessions", OIR, FUTURE, *managed_after)
    result = features.ensure_features(aws.factory, both(value), enable_trusted_access=False, check_mode=False)
    api = "Enable" if value else "Disable"
    assert aws.writes() == [f"iam:{api}OrganizationsRootCredentialsManagement", f"iam:{api}OrganizationsRootSessions"]
    assert result["actions"] == aws.writes()
    assert result["enabled_features"] == sorted([OIR, FUTURE, *managed_after])
    assert result["diff"] == {
        "before": {"enabled_features": sorted([OIR, FUTURE, *managed_before]), "iam_trusted_access": True},
        "after": {"enabled_features": sorted([OIR, FUTURE, *managed_after]), "iam_trusted_access": True},
    }

    aws.caller()
    aws.trusted(IAM)
    aws.features("list_organizations_features", *managed_after, FUTURE, OIR)
    again = features.ensure_features(aws.factory, both(value), enable_trusted_access=False, check_mode=False)
    assert (again["changed"], again["actions"], again["enabled_features"]) == (False, [], sorted([OIR, FUTURE, *managed_after]))
    assert again["diff"]["before"] == again["diff"]["after"]


def test_only_features_it_does_not_manage_enabled_is_no_change_when_both_are_off(aws):
    aws.caller()
    aws.trusted(IAM)
    aws.features("list_organizations_features", OIR)
    result = features.ensure_features(aws.factory, both(False), enable_trusted_access=False, check_mode=False)
    assert (result["changed"], result["actions"], result["enabled_features"]) == (False, [], [OIR])
    assert aws.writes() == []


def test_trusted_access_missing_is_enabled_first(aws):
    aws.caller()
    aws.trusted("sso.amazonaws.com")
    aws.respond("organizations", "enable_aws_service_access", {}, ServicePrincipal=IAM)
    aws.features("enable_organizations_root_credentials_management", RCM)
    result = features.ensure_features(aws.factory, {"root_credentials_management": True}, enable_trusted_access=True, check_mode=False)
    # Without trusted access the features cannot be listed: none can be enabled.
    assert aws.calls == READS + ["organizations:EnableAWSServiceAccess", "iam:EnableOrganizationsRootCredentialsManagement"]
    assert result == {
        "changed": True,
        "organization_id": ORG,
        "enabled_features": [RCM],
        "iam_trusted_access": True,
        "actions": ["organizations:EnableAWSServiceAccess(iam.amazonaws.com)", "iam:EnableOrganizationsRootCredentialsManagement"],
        "diff": {
            "before": {"enabled_features": [], "iam_trusted_access": False},
            "after": {"enabled_features": [RCM], "iam_trusted_access": True},
        },
    }


def test_trusted_access_missing_in_check_mode(aws):
    aws.caller()
    aws.trusted()
    result = features.ensure_features(aws.factory, both(True), enable_trusted_access=True, check_mode=True)
    assert aws.calls == READS
    assert result["actions"] == [
        "organizations:EnableAWSServiceAccess(iam.amazonaws.com)",
        "iam:EnableOrganizationsRootCredentialsManagement",
        "iam:EnableOrganizationsRootSessions",
    ]
    assert (result["iam_trusted_access"], result["enabled_features"]) == (True, [RCM, RS])


@pytest.mark.parametrize("check_mode", [True, False])
def test_trusted_access_missing_and_not_to_be_enabled(aws, check_mode):
    aws.caller()
    aws.trusted()
    with pytest.raises(errors.TrustedAccessMissing) as excinfo:
        features.ensure_features(aws.factory, both(True), enable_trusted_access=False, check_mode=check_mode)
    assert excinfo.value.message == (
        f"Trusted access for IAM (iam.amazonaws.com) is not enabled in organization {ORG}, and enable_trusted_access is false, "
        f"so RootCredentialsManagement and RootSessions cannot be enabled. {HINT}"
    )
    assert aws.calls == READS


def test_trusted_access_missing_with_nothing_to_enable_is_no_change(aws):
    aws.caller()
    aws.trusted()
    result = features.ensure_features(aws.factory, both(False), enable_trusted_access=False, check_mode=False)
    assert aws.calls == READS
    assert (result["changed"], result["actions"], result["iam_trusted_access"], result["enabled_features"]) == (False, [], False, [])


@pytest.mark.parametrize("check_mode", [True, False])
@pytest.mark.parametrize("desired, what", [
    ({"root_sessions": True}, "RootSessions"),
    ({"root_credentials_management": True, "root_sessions": True}, "RootCredentialsManagement and RootSessions"),
])
def test_delegated_administrator_cannot_enable(aws, check_mode, desired, what):
    aws.caller(aws.delegated_id)
    aws.trusted(IAM)
    aws.features("list_organizations_features")
    with pytest.raises(errors.NotManagementAccount) as excinfo:
        features.ensure_features(aws.factory, desired, enable_trusted_access=True, check_mode=check_mode)
    assert excinfo.value.message == (
        f"Only the management account (111111111111) of organization {ORG} can enable {what}; the caller's account is 222222222222."
    )
    assert aws.calls == READS_WITH_FEATURES


def test_delegated_administrator_with_trusted_access_missing_is_refused_before_enabling_it(aws):
    aws.caller(aws.delegated_id)
    aws.trusted()
    with pytest.raises(errors.NotManagementAccount):
        features.ensure_features(aws.factory, {"root_sessions": True}, enable_trusted_access=True, check_mode=False)
    assert aws.writes() == []


def test_delegated_administrator_can_disable(aws):
    aws.caller(aws.delegated_id)
    aws.trusted(IAM)
    aws.features("list_organizations_features", RCM, RS)
    aws.features("disable_organizations_root_sessions", RCM)
    result = features.ensure_features(aws.factory, {"root_sessions": False}, enable_trusted_access=False, check_mode=False)
    assert aws.writes() == ["iam:DisableOrganizationsRootSessions"]
    assert (result["changed"], result["actions"], result["enabled_features"]) == (True, ["iam:DisableOrganizationsRootSessions"], [RCM])


@pytest.mark.parametrize("desired", [both(True), both(False), {}])
def test_consolidated_billing_organization(aws, desired):
    aws.caller(feature_set="CONSOLIDATED_BILLING")
    with pytest.raises(errors.OrganizationNotAllFeatures) as excinfo:
        features.ensure_features(aws.factory, desired, enable_trusted_access=True, check_mode=False)
    assert excinfo.value.message == (
        f"Organization {ORG} has only consolidated billing features (CONSOLIDATED_BILLING). Centralized root access needs all "
        "features: enable them in AWS Organizations (Settings, Enable all features) first."
    )
    assert aws.calls == ["sts:GetCallerIdentity", "organizations:DescribeOrganization"]


def test_a_failed_enable_stops_the_run(aws):
    aws.caller()
    aws.trusted(IAM)
    aws.features("list_organizations_features")
    aws.fail("iam", "enable_organizations_root_credentials_management", "ServiceAccessNotEnabledException",
             "Trusted access is not enabled for IAM.", status=400)
    with pytest.raises(errors.TrustedAccessMissing) as excinfo:
        features.ensure_features(aws.factory, both(True), enable_trusted_access=False, check_mode=False)
    assert (excinfo.value.aws_error_code, excinfo.value.operation) == ("ServiceAccessNotEnabledException", "EnableOrganizationsRootCredentialsManagement")
    assert aws.writes() == ["iam:EnableOrganizationsRootCredentialsManagement"]


def test_member_account_cannot_read_the_features(aws):
    aws.caller(aws.member_id)
    aws.fail("organizations", "list_aws_service_access_for_organization", "AccessDeniedException",
             "You don't have permissions to access this resource.")
    with pytest.raises(errors.NotManagementOrDelegatedAdministrator) as excinfo:
        features.ensure_features(aws.factory, both(True), enable_trusted_access=True, check_mode=True)
    assert excinfo.value.error_class == "not_management_or_delegated_administrator"
    assert aws.calls == READS


# describe_root_access --------------------------------------------------------------------

def test_describe_root_access_complete_picture(aws):
    aws.caller(aws.delegated_id)
    aws.trusted(IAM, "sso.amazonaws.com")
    aws.admins(aws.delegated_id)
    aws.features("list_organizations_features", RS)
    result = features.describe_root_access(aws.factory)
    assert aws.calls == READS + ["organizations:ListDelegatedAdministrators", "iam:ListOrganizationsFeatures"]
    assert result == {
        "changed": False,
        "organization": {
            "id": ORG,
            "arn": f"arn:aws:organizations::111111111111:organization/{ORG}",
            "feature_set": "ALL",
            "management_account_id": "111111111111",
            "management_account_email": "management@example.com",
        },
        "caller": {
            "account_id": "222222222222",
            "arn": "arn:aws:iam::222222222222:user/admin",
            "is_management_account": False,
            "is_delegated_administrator": True,
        },
        "iam_trusted_access": True,
        "delegated_administrators": [{
            "id": "222222222222",
            "arn": f"arn:aws:organizations::111111111111:account/{ORG}/222222222222",
            "name": "account-222222222222",
            "email": "222222222222@example.com",
            "state": "ACTIVE",
            "joined_method": "CREATED",
            "delegation_enabled_date": "2024-11-20T12:00:00+00:00",
        }],
        "enabled_features": [RS],
        "root_credentials_management": False,
        "root_sessions": True,
        "problems": [],
    }


def test_describe_root_access_reports_every_enabled_feature_as_aws_returns_it(aws):
    aws.caller()
    aws.trusted(IAM)
    aws.admins()
    aws.features("list_organizations_features", RS, FUTURE, OIR)
    result = features.describe_root_access(aws.factory)
    assert result["enabled_features"] == sorted([RS, FUTURE, OIR])
    assert (result["root_credentials_management"], result["root_sessions"], result["problems"]) == (False, True, [])


def test_describe_root_access_consolidated_billing_is_a_problem_not_an_error(aws):
    aws.caller(feature_set="CONSOLIDATED_BILLING")
    result = features.describe_root_access(aws.factory)
    assert aws.calls == ["sts:GetCallerIdentity", "organizations:DescribeOrganization"]
    assert result["problems"] == [{
        "error_class": "organization_not_all_features",
        "message": f"Organization {ORG} has only consolidated billing features (CONSOLIDATED_BILLING). Centralized root access needs "
                   "all features: enable them in AWS Organizations (Settings, Enable all features) first.",
        "aws_error_code": None,
        "operation": None,
    }]
    assert (result["iam_trusted_access"], result["delegated_administrators"], result["enabled_features"]) == (False, [], [])
    assert result["caller"]["is_management_account"] is True
    assert result["organization"]["feature_set"] == "CONSOLIDATED_BILLING"


def test_describe_root_access_trusted_access_missing_is_a_problem(aws):
    aws.caller()
    aws.trusted("sso.amazonaws.com")
    aws.admins()
    result = features.describe_root_access(aws.factory)
    assert aws.calls == READS + ["organizations:ListDelegatedAdministrators"]
    assert result["problems"] == [{
        "error_class": "trusted_access_not_enabled",
        "message": f"Trusted access for IAM (iam.amazonaws.com) is not enabled in organization {ORG}. {HINT}",
        "aws_error_code": None,
        "operation": None,
    }]
    assert (result["iam_trusted_access"], result["enabled_features"], result["root_sessions"]) == (False, [], False)
    assert result["caller"] == {"account_id": "111111111111", "arn": "arn:aws:iam::111111111111:user/admin",
                                "is_management_account": True, "is_delegated_administrator": False}


def test_describe_root_access_from_a_member_account(aws):
    aws.caller(aws.member_id)
    aws.fail("organizations", "list_aws_service_access_for_organization", "AccessDeniedException",
             "You don't have permissions to access this resource.")
    with pytest.raises(errors.NotManagementOrDelegatedAdministrator) as excinfo:
        features.describe_root_access(aws.factory)
    assert excinfo.value.message == (
        f"Account 333333333333 is a member of organization {ORG} but neither its management account (111111111111) nor a delegated "
        "administrator, so it cannot read the organization. Use credentials from the management account or the IAM delegated "
        "administrator. (Access denied: the caller's IAM policies, an SCP, or the organization's settings do not allow this action. "
        "[ListAWSServiceAccessForOrganization: AccessDeniedException: You don't have permissions to access this resource.])"
    )
    assert (excinfo.value.aws_error_code, excinfo.value.operation) == ("AccessDeniedException", "ListAWSServiceAccessForOrganization")


def test_describe_root_access_denied_to_the_management_account_stays_access_denied(aws):
    aws.caller()
    aws.fail("organizations", "list_aws_service_access_for_organization", "AccessDeniedException", "Not allowed by an IAM policy.")
    with pytest.raises(errors.AccessDenied) as excinfo:
        features.describe_root_access(aws.factory)
    assert excinfo.value.error_class == "access_denied"


# Against the in-process emulator -----------------------------------------------------------

def test_ensure_features_against_the_emulator(emulator):  # pylint: disable=unused-argument
    seed(accounts=2, profile="none")
    factory = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection={"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "x"})
    before = features.describe_root_access(factory)
    assert (before["iam_trusted_access"], before["enabled_features"], [problem["error_class"] for problem in before["problems"]]) == (
        False, [], ["trusted_access_not_enabled"])
    result = features.ensure_features(factory, both(True), enable_trusted_access=True, check_mode=False)
    assert (result["changed"], result["enabled_features"], result["iam_trusted_access"]) == (True, [RCM, RS], True)
    after = features.describe_root_access(factory)
    assert (after["iam_trusted_access"], after["enabled_features"], after["problems"]) == (True, [RCM, RS], [])
    assert features.ensure_features(factory, both(True), enable_trusted_access=True, check_mode=False)["changed"] is False


@needs_botocore_knowing("iam", "EnableOrganizationLevelResources")
def test_organization_level_resources_survive_the_module_against_the_emulator(emulator):  # pylint: disable=unused-argument
    """With OrganizationIamResources enabled in the emulator (EnableOrganizationLevelResources), turning the root access
    features on and off leaves it enabled, and only the module's own features are reported as changes."""
    seed(accounts=2, profile="none", trusted_access=True)
    factory = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection={"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "x"})
    assert factory.client("iam").enable_organization_level_resources()["EnabledFeatures"] == [OIR]
    on = features.ensure_features(factory, both(True), enable_trusted_access=False, check_mode=False)
    assert (on["changed"], on["enabled_features"]) == (True, [OIR, RCM, RS])
    assert on["actions"] == ["iam:EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootSessions"]
    assert features.ensure_features(factory, both(True), enable_trusted_access=False, check_mode=False)["changed"] is False
    off = features.ensure_features(factory, both(False), enable_trusted_access=False, check_mode=False)
    assert (off["changed"], off["enabled_features"]) == (True, [OIR])
    assert features.ensure_features(factory, both(False), enable_trusted_access=False, check_mode=False)["changed"] is False
    assert sorted(factory.client("iam").list_organizations_features()["EnabledFeatures"]) == [OIR]
    assert features.describe_root_access(factory)["enabled_features"] == [OIR]
