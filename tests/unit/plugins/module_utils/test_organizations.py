# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""organizations: the caller, trusted access, delegated administrators and the account
tree with pagination, on stubbed clients."""

from __future__ import annotations

import datetime
import itertools

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import errors, organizations
from ansible_collections.rootguard.aws.plugins.module_utils.targeting import Targets
from rootguard_emulator.seed import seed

from botocore_model import needs_botocore_knowing

IAM = "iam.amazonaws.com"
SSO = "sso.amazonaws.com"
ORG = "o-a1b2c3d4e5"
MANAGEMENT = "111111111111"
DELEGATED = "222222222222"
MEMBER = "333333333333"
ROOT = "r-a1b2"
WORKLOADS = "ou-a1b2-11111111"
SANDBOX = "ou-a1b2-22222222"
PRODUCTION = "ou-a1b2-33333333"
JOINED = datetime.datetime(2024, 3, 1, 8, 30, tzinfo=datetime.timezone.utc)
CALLER = ["sts:GetCallerIdentity", "organizations:DescribeOrganization"]


def admin_result(account_id: str, date: str | None = "2024-11-20T12:00:00+00:00") -> dict:
    return {
        "id": account_id,
        "arn": f"arn:aws:organizations::{MANAGEMENT}:account/{ORG}/{account_id}",
        "name": f"account-{account_id}",
        "email": f"{account_id}@example.com",
        "state": "ACTIVE",
        "joined_method": "CREATED",
        "delegation_enabled_date": date,
    }


def account_response(account_id: str, state: str = "ACTIVE", legacy_status_only: bool = False) -> dict:
    account = {
        "Id": account_id,
        "Arn": f"arn:aws:organizations::{MANAGEMENT}:account/{ORG}/{account_id}",
        "Email": f"{account_id}@example.com",
        "Name": f"account-{account_id}",
        "JoinedMethod": "CREATED",
        "JoinedTimestamp": JOINED,
    }
    account.update({"Status": state} if legacy_status_only else {"State": state})
    return account


def account_result(account_id: str, state: str = "ACTIVE", **extra) -> dict:
    return dict({
        "id": account_id,
        "arn": f"arn:aws:organizations::{MANAGEMENT}:account/{ORG}/{account_id}",
        "name": f"account-{account_id}",
        "email": f"{account_id}@example.com",
        "state": state,
        "joined_method": "CREATED",
        "joined_timestamp": "2024-03-01T08:30:00+00:00",
    }, **extra)


# The caller ------------------------------------------------------------------------------

def test_identify_caller(aws):
    aws.caller(DELEGATED)
    caller = organizations.identify_caller(aws.factory)
    assert caller == organizations.Caller(
        account_id=DELEGATED,
        arn=f"arn:aws:iam::{DELEGATED}:user/admin",
        organization_id=ORG,
        organization_arn=f"arn:aws:organizations::{MANAGEMENT}:organization/{ORG}",
        feature_set="ALL",
        management_account_id=MANAGEMENT,
        management_account_email="management@example.com",
    )
    assert caller.is_management is False
    assert aws.calls == CALLER


def test_identify_caller_outside_any_organization(aws):
    aws.respond("sts", "get_caller_identity", {"UserId": "AIDAEXAMPLEUSERID", "Account": MEMBER, "Arn": f"arn:aws:iam::{MEMBER}:user/x"})
    aws.fail("organizations", "describe_organization", "AWSOrganizationsNotInUseException",
             "Your account is not a member of an organization.")
    with pytest.raises(errors.OrganizationNotFound) as excinfo:
        organizations.identify_caller(aws.factory)
    assert excinfo.value.operation == "DescribeOrganization"


# Trusted access --------------------------------------------------------------------------

@pytest.mark.parametrize("current, principal, present",
                         list(itertools.product([(), (IAM,), (SSO,), (SSO, IAM)], [IAM, SSO, "config.amazonaws.com"], [True, False])))
def test_plan_trusted_access_exhaustive(current, principal, present):
    plan = organizations.plan_trusted_access(list(current), principal, present)
    expected_after = sorted({*current, principal}) if present else sorted(set(current) - {principal})
    assert plan == {"changed": (principal in current) != present, "before": sorted(current), "after": expected_after}


@pytest.mark.parametrize("current, principal, present, check_mode, write, after", [
    ((SSO,), IAM, True, False, "enable_aws_service_access", [IAM, SSO]),
    ((SSO,), IAM, True, True, None, [IAM, SSO]),
    ((IAM, SSO), IAM, True, False, None, [IAM, SSO]),
    ((IAM, SSO), SSO, False, False, "disable_aws_service_access", [IAM]),
    ((IAM, SSO), SSO, False, True, None, [IAM]),
    ((IAM,), SSO, False, False, None, [IAM]),
])
def test_ensure_trusted_access(aws, current, principal, present, check_mode, write, after):
    aws.caller()
    aws.trusted(*current)
    if write:
        aws.respond("organizations", write, {}, ServicePrincipal=principal)
    result = organizations.ensure_trusted_access(aws.factory, principal, present, check_mode)
    changed = (principal in current) != present
    assert result == {
        "changed": changed,
        "organization_id": ORG,
        "service_principal": principal,
        "enabled": present,
        "enabled_service_principals": after,
        "diff": {"before": {"enabled_service_principals": sorted(current)}, "after": {"enabled_service_principals": after}},
    }
    writes = ["organizations:EnableAWSServiceAccess" if present else "organizations:DisableAWSServiceAccess"] if write else []
    assert aws.calls == CALLER + ["organizations:ListAWSServiceAccessForOrganization"] + writes


@pytest.mark.parametrize("present, current, verb", [(True, (), "enable"), (False, (SSO,), "disable")])
def test_ensure_trusted_access_change_needs_the_management_account(aws, present, current, verb):
    aws.caller(DELEGATED)
    aws.trusted(*current)
    with pytest.raises(errors.NotManagementAccount) as excinfo:
        organizations.ensure_trusted_access(aws.factory, SSO, present, check_mode=True)
    assert excinfo.value.message == (
        f"Only the management account ({MANAGEMENT}) of organization {ORG} can {verb} trusted access for {SSO}; "
        f"the caller's account is {DELEGATED}."
    )
    assert aws.writes() == []


def test_ensure_trusted_access_without_change_is_allowed_to_a_delegated_administrator(aws):
    aws.caller(DELEGATED)
    aws.trusted(SSO)
    assert organizations.ensure_trusted_access(aws.factory, SSO, True, check_mode=False)["changed"] is False


def test_ensure_trusted_access_needs_all_features_to_enable(aws):
    aws.caller(feature_set="CONSOLIDATED_BILLING")
    with pytest.raises(errors.OrganizationNotAllFeatures):
        organizations.ensure_trusted_access(aws.factory, IAM, True, check_mode=False)
    assert aws.calls == CALLER


def test_ensure_trusted_access_from_a_member_account(aws):
    aws.caller(MEMBER)
    aws.fail("organizations", "list_aws_service_access_for_organization", "AccessDeniedException", "You don't have permissions.")
    with pytest.raises(errors.NotManagementAccount) as excinfo:
        organizations.ensure_trusted_access(aws.factory, IAM, True, check_mode=False)
    assert excinfo.value.message == (
        f"Only the management account ({MANAGEMENT}) of organization {ORG} can enable trusted access for {IAM}; "
        f"the caller's account is {MEMBER}."
    )


# Delegated administrators ----------------------------------------------------------------

@pytest.mark.parametrize("present, verb", [(True, "register"), (False, "deregister")])
def test_delegated_administrator_change_needs_the_management_account(aws, present, verb):
    aws.caller(DELEGATED)
    with pytest.raises(errors.NotManagementAccount) as excinfo:
        organizations.ensure_delegated_administrator(aws.factory, MEMBER, IAM, present, check_mode=True)
    assert excinfo.value.message == (
        f"Only the management account ({MANAGEMENT}) of organization {ORG} can {verb} a delegated administrator; "
        f"the caller's account is {DELEGATED}."
    )
    assert aws.calls == CALLER


def test_delegated_administrator_registration_needs_all_features(aws):
    aws.caller(feature_set="CONSOLIDATED_BILLING")
    with pytest.raises(errors.OrganizationNotAllFeatures):
        organizations.ensure_delegated_administrator(aws.factory, MEMBER, IAM, True, check_mode=False)
    assert aws.calls == CALLER


@pytest.mark.parametrize("check_mode", [True, False])
def test_register_the_management_account(aws, check_mode):
    aws.caller()
    aws.admins()
    with pytest.raises(errors.Conflict) as excinfo:
        organizations.ensure_delegated_administrator(aws.factory, MANAGEMENT, IAM, True, check_mode)
    assert excinfo.value.message == (
        f"account_id: {MANAGEMENT} is the management account of organization {ORG}; the management account cannot be a delegated administrator."
    )
    assert aws.calls == CALLER + ["organizations:ListDelegatedAdministrators"]


@pytest.mark.parametrize("check_mode", [True, False])
def test_register_an_account_outside_the_organization(aws, check_mode):
    aws.caller()
    aws.admins()
    aws.fail("organizations", "describe_account", "AccountNotFoundException",
             "You specified an account that doesn't exist.", AccountId="444444444444")
    with pytest.raises(errors.NotFound) as excinfo:
        organizations.ensure_delegated_administrator(aws.factory, "444444444444", IAM, True, check_mode)
    assert excinfo.value.message == f"account_id: 444444444444 is not a member of organization {ORG}."
    assert (excinfo.value.aws_error_code, excinfo.value.operation) == ("AccountNotFoundException", "DescribeAccount")
    assert aws.writes() == []


def test_register_when_describe_account_fails_otherwise(aws):
    aws.caller()
    aws.admins()
    aws.fail("organizations", "describe_account", "TooManyRequestsException", "Slow down.", AccountId=MEMBER)
    with pytest.raises(errors.Throttled):
        organizations.ensure_delegated_administrator(aws.factory, MEMBER, IAM, True, check_mode=False)
    assert aws.writes() == []


@pytest.mark.parametrize("check_mode", [True, False])
@pytest.mark.parametrize("state, legacy_status_only", [("SUSPENDED", False), ("SUSPENDED", True), ("PENDING_CLOSURE", False)])
def test_register_an_account_that_is_not_active(aws, check_mode, state, legacy_status_only):
    aws.caller()
    aws.admins()
    aws.respond("organizations", "describe_account", {"Account": account_response(MEMBER, state, legacy_status_only)}, AccountId=MEMBER)
    with pytest.raises(errors.Conflict) as excinfo:
        organizations.ensure_delegated_administrator(aws.factory, MEMBER, IAM, True, check_mode)
    assert excinfo.value.message == f"account_id: {MEMBER} is {state}; only an ACTIVE account can be a delegated administrator."
    assert aws.writes() == []


@pytest.mark.parametrize("check_mode", [True, False])
@pytest.mark.parametrize("principal, message", [
    (IAM, f"Trusted access for IAM (iam.amazonaws.com) is not enabled in organization {ORG}, so {MEMBER} cannot be registered as its "
          "delegated administrator. Enable it with rootguard.aws.organizations_service_access, or let "
          "rootguard.aws.iam_organizations_features do it (enable_trusted_access: true)."),
    (SSO, f"Trusted access for sso.amazonaws.com is not enabled in organization {ORG}, so {MEMBER} cannot be registered as its "
          "delegated administrator. Enable it with rootguard.aws.organizations_service_access."),
])
def test_register_without_trusted_access(aws, check_mode, principal, message):
    aws.caller()
    aws.admins(service_principal=principal)
    aws.respond("organizations", "describe_account", {"Account": account_response(MEMBER)}, AccountId=MEMBER)
    aws.trusted("config.amazonaws.com")
    with pytest.raises(errors.TrustedAccessMissing) as excinfo:
        organizations.ensure_delegated_administrator(aws.factory, MEMBER, principal, True, check_mode)
    assert excinfo.value.message == message
    assert aws.writes() == []


def registrable(aws, *registered: str) -> None:
    aws.caller()
    aws.admins(*registered)
    aws.respond("organizations", "describe_account", {"Account": account_response(MEMBER)}, AccountId=MEMBER)
    aws.trusted(IAM)


def test_register_in_check_mode(aws):
    registrable(aws, "444444444444", DELEGATED)
    result = organizations.ensure_delegated_administrator(aws.factory, MEMBER, IAM, True, check_mode=True)
    assert aws.writes() == []
    planned = admin_result(MEMBER, date=None)
    assert result == {
        "changed": True,
        "organization_id": ORG,
        "account_id": MEMBER,
        "service_principal": IAM,
        "delegated_administrators": [admin_result(DELEGATED), planned, admin_result("444444444444")],
        "diff": {
            "before": {"delegated_administrators": [DELEGATED, "444444444444"]},
            "after": {"delegated_administrators": [DELEGATED, MEMBER, "444444444444"]},
        },
    }


def test_register(aws):
    registrable(aws)
    aws.respond("organizations", "register_delegated_administrator", {}, AccountId=MEMBER, ServicePrincipal=IAM)
    aws.admins(MEMBER)
    result = organizations.ensure_delegated_administrator(aws.factory, MEMBER, IAM, True, check_mode=False)
    assert aws.calls == CALLER + [
        "organizations:ListDelegatedAdministrators",
        "organizations:DescribeAccount",
        "organizations:ListAWSServiceAccessForOrganization",
        "organizations:RegisterDelegatedAdministrator",
        "organizations:ListDelegatedAdministrators",
    ]
    assert result["changed"] is True
    assert result["delegated_administrators"] == [admin_result(MEMBER)]
    assert result["diff"] == {"before": {"delegated_administrators": []}, "after": {"delegated_administrators": [MEMBER]}}


def test_register_raced_by_someone_else(aws):
    registrable(aws)
    aws.fail("organizations", "register_delegated_administrator", "AccountAlreadyRegisteredException",
             "The provided account is already a delegated administrator for your organization.", AccountId=MEMBER, ServicePrincipal=IAM)
    aws.admins(MEMBER)
    result = organizations.ensure_delegated_administrator(aws.factory, MEMBER, IAM, True, check_mode=False)
    assert (result["changed"], result["delegated_administrators"]) == (True, [admin_result(MEMBER)])


def test_register_refused_for_a_constraint(aws):
    registrable(aws, DELEGATED)
    aws.fail("organizations", "register_delegated_administrator", "ConstraintViolationException", "You have exceeded a limit.",
             modeled_fields={"Reason": "MAX_DELEGATED_ADMINISTRATORS_FOR_SERVICE_LIMIT_EXCEEDED"}, AccountId=MEMBER, ServicePrincipal=IAM)
    with pytest.raises(errors.Conflict) as excinfo:
        organizations.ensure_delegated_administrator(aws.factory, MEMBER, IAM, True, check_mode=False)
    assert excinfo.value.message == (
        "The service already has its maximum number of delegated administrators; deregister the current one first. "
        "[RegisterDelegatedAdministrator: ConstraintViolationException MAX_DELEGATED_ADMINISTRATORS_FOR_SERVICE_LIMIT_EXCEEDED: "
        "You have exceeded a limit.]"
    )


@pytest.mark.parametrize("check_mode", [True, False])
@pytest.mark.parametrize("present, registered", [(True, (MEMBER, DELEGATED)), (False, (DELEGATED,)), (False, ())])
def test_delegated_administrator_already_as_desired(aws, check_mode, present, registered):
    aws.caller()
    aws.admins(*registered)
    result = organizations.ensure_delegated_administrator(aws.factory, MEMBER, IAM, present, check_mode)
    assert aws.calls == CALLER + ["organizations:ListDelegatedAdministrators"]
    assert result["changed"] is False
    assert result["delegated_administrators"] == [admin_result(account_id) for account_id in sorted(registered)]


def test_deregister(aws):
    aws.caller()
    aws.admins(MEMBER, DELEGATED)
    aws.respond("organizations", "deregister_delegated_administrator", {}, AccountId=MEMBER, ServicePrincipal=IAM)
    aws.admins(DELEGATED)
    result = organizations.ensure_delegated_administrator(aws.factory, MEMBER, IAM, False, check_mode=False)
    assert aws.writes() == ["organizations:DeregisterDelegatedAdministrator"]
    assert "organizations:DescribeAccount" not in aws.calls
    assert (result["changed"], result["delegated_administrators"]) == (True, [admin_result(DELEGATED)])


def test_deregister_in_check_mode(aws):
    aws.caller()
    aws.admins(MEMBER, DELEGATED)
    result = organizations.ensure_delegated_administrator(aws.factory, MEMBER, IAM, False, check_mode=True)
    assert aws.calls == CALLER + ["organizations:ListDelegatedAdministrators"]
    assert result["delegated_administrators"] == [admin_result(DELEGATED)]
    assert result["diff"] == {"before": {"delegated_administrators": [DELEGATED, MEMBER]}, "after": {"delegated_administrators": [DELEGATED]}}


def test_deregister_raced_by_someone_else(aws):
    aws.caller()
    aws.admins(MEMBER)
    aws.fail("organizations", "deregister_delegated_administrator", "AccountNotRegisteredException",
             "The provided account is not a registered delegated administrator for your organization.", AccountId=MEMBER, ServicePrincipal=IAM)
    aws.admins()
    result = organizations.ensure_delegated_administrator(aws.factory, MEMBER, IAM, False, check_mode=False)
    assert (result["changed"], result["delegated_administrators"]) == (True, [])


# The account tree and list_accounts ------------------------------------------------------

def ous_for(aws, parent_id: str, *pages) -> None:
    """ListOrganizationalUnitsForParent pages: each a list of (id, name); a NextToken joins each page to the next."""
    for number, page in enumerate(pages):
        response = {"OrganizationalUnits": [{"Id": ou_id, "Arn": f"arn:aws:organizations::{MANAGEMENT}:ou/{ORG}/{ou_id}", "Name": name}
                                            for ou_id, name in page]}
        if number < len(pages) - 1:
            response["NextToken"] = f"{parent_id}-ous-{number + 1}"
        params = {"ParentId": parent_id, **({"NextToken": f"{parent_id}-ous-{number}"} if number else {})}
        aws.respond("organizations", "list_organizational_units_for_parent", response, **params)


def accounts_for(aws, parent_id: str, *pages) -> None:
    """ListAccountsForParent pages: each a list of (id, state)."""
    for number, page in enumerate(pages):
        response = {"Accounts": [account_response(account_id, state) for account_id, state in page]}
        if number < len(pages) - 1:
            response["NextToken"] = f"{parent_id}-accounts-{number + 1}"
        params = {"ParentId": parent_id, **({"NextToken": f"{parent_id}-accounts-{number}"} if number else {})}
        aws.respond("organizations", "list_accounts_for_parent", response, **params)


def walk(aws) -> None:
    """The OU walk: / holds Workloads and Sandbox (over three pages, the middle one empty), Workloads holds Production."""
    aws.respond("organizations", "list_roots", {"Roots": [{"Id": ROOT, "Arn": f"arn:aws:organizations::{MANAGEMENT}:root/{ORG}/{ROOT}",
                                                           "Name": "Root", "PolicyTypes": []}]})
    ous_for(aws, ROOT, [(WORKLOADS, "Workloads")], [], [(SANDBOX, "Sandbox")])
    ous_for(aws, SANDBOX, [])
    ous_for(aws, WORKLOADS, [(PRODUCTION, "Production")])
    ous_for(aws, PRODUCTION, [])


def test_list_all_accounts_over_pages(aws):
    aws.caller()
    walk(aws)
    accounts_for(aws, ROOT, [(MANAGEMENT, "ACTIVE")], [], [("210000000001", "ACTIVE")])
    accounts_for(aws, SANDBOX, [("210000000004", "SUSPENDED")])
    accounts_for(aws, WORKLOADS, [])
    accounts_for(aws, PRODUCTION, [("210000000003", "ACTIVE"), ("210000000002", "ACTIVE")])
    result = organizations.list_accounts(aws.factory, Targets(all_accounts=True), include_tags=False)
    assert result == {
        "changed": False,
        "organization_id": ORG,
        "management_account_id": MANAGEMENT,
        "accounts": [
            account_result(MANAGEMENT, parent_id=ROOT, ou_path="/", ou_ids=[ROOT], management_account=True, tags={}),
            account_result("210000000001", parent_id=ROOT, ou_path="/", ou_ids=[ROOT], management_account=False, tags={}),
            account_result("210000000002", parent_id=PRODUCTION, ou_path="/Workloads/Production/", ou_ids=[ROOT, WORKLOADS, PRODUCTION],
                           management_account=False, tags={}),
            account_result("210000000003", parent_id=PRODUCTION, ou_path="/Workloads/Production/", ou_ids=[ROOT, WORKLOADS, PRODUCTION],
                           management_account=False, tags={}),
        ],
        "skipped_accounts": [{"id": "210000000004", "name": "account-210000000004", "state": "SUSPENDED", "ou_path": "/Sandbox/",
                              "parent_id": SANDBOX, "reason": "not_active", "message": "the account is SUSPENDED."}],
        "organizational_units": [
            {"id": WORKLOADS, "name": "Workloads", "parent_id": ROOT, "ou_path": "/Workloads/"},
            {"id": SANDBOX, "name": "Sandbox", "parent_id": ROOT, "ou_path": "/Sandbox/"},
            {"id": PRODUCTION, "name": "Production", "parent_id": WORKLOADS, "ou_path": "/Workloads/Production/"},
        ],
    }
    assert aws.calls.count("organizations:ListAccountsForParent") == 6
    assert "organizations:ListTagsForResource" not in aws.calls


def test_load_tree(aws):
    aws.caller()
    walk(aws)
    for parent_id in (ROOT, SANDBOX, WORKLOADS, PRODUCTION):
        accounts_for(aws, parent_id, [])
    caller = organizations.identify_caller(aws.factory)
    tree = organizations.load_tree(aws.client("organizations"), caller, Targets(all_accounts=True))
    assert (tree.organization_id, tree.management_account_id, tree.root_id) == (ORG, MANAGEMENT, ROOT)
    assert tree.ous == {
        WORKLOADS: {"name": "Workloads", "parent_id": ROOT},
        SANDBOX: {"name": "Sandbox", "parent_id": ROOT},
        PRODUCTION: {"name": "Production", "parent_id": WORKLOADS},
    }
    assert tree.listed_parents == frozenset({ROOT, WORKLOADS, SANDBOX, PRODUCTION})
    assert tree.accounts == {}


def test_list_accounts_of_an_ou_with_tags(aws):
    aws.caller()
    walk(aws)
    accounts_for(aws, WORKLOADS, [("210000000005", "ACTIVE")])
    accounts_for(aws, PRODUCTION, [("210000000002", "ACTIVE")])
    aws.respond("organizations", "list_tags_for_resource", {"Tags": [{"Key": "team", "Value": "payments"}], "NextToken": "tags-1"},
                ResourceId="210000000002")
    aws.respond("organizations", "list_tags_for_resource", {"Tags": [{"Key": "env", "Value": "prod"}]},
                ResourceId="210000000002", NextToken="tags-1")
    aws.respond("organizations", "list_tags_for_resource", {"Tags": []}, ResourceId="210000000005")
    result = organizations.list_accounts(aws.factory, Targets(organizational_unit_ids=(WORKLOADS,)), include_tags=True)
    assert [(account["id"], account["ou_path"], account["tags"]) for account in result["accounts"]] == [
        ("210000000002", "/Workloads/Production/", {"team": "payments", "env": "prod"}),
        ("210000000005", "/Workloads/", {}),
    ]
    assert result["skipped_accounts"] == []
    # Only the targeted subtree's accounts are listed: not the root's, not Sandbox's.
    assert aws.calls.count("organizations:ListAccountsForParent") == 2


def test_list_accounts_unknown_ou(aws):
    aws.caller()
    walk(aws)
    with pytest.raises(errors.NotFound) as excinfo:
        organizations.list_accounts(aws.factory, Targets(organizational_unit_ids=(WORKLOADS, "ou-a1b2-99999999")), include_tags=False)
    assert excinfo.value.message == f"organizational_unit_ids: ou-a1b2-99999999 not found in organization {ORG}."
    assert "organizations:ListAccountsForParent" not in aws.calls


# What a look-up of the management account and 210000000002 and 210000000005 finds, whether the OUs come from
# ListParents or from Account.Paths: the accounts, and the OUs above them and no other.
def looked_up_accounts() -> list:
    return [
        account_result(MANAGEMENT, parent_id=ROOT, ou_path="/", ou_ids=[ROOT], management_account=True, tags={}),
        account_result("210000000002", parent_id=PRODUCTION, ou_path="/Workloads/Production/", ou_ids=[ROOT, WORKLOADS, PRODUCTION],
                       management_account=False, tags={}),
        account_result("210000000005", parent_id=WORKLOADS, ou_path="/Workloads/", ou_ids=[ROOT, WORKLOADS], management_account=False, tags={}),
    ]


LOOKED_UP_OUS = [
    {"id": WORKLOADS, "name": "Workloads", "parent_id": ROOT, "ou_path": "/Workloads/"},
    {"id": PRODUCTION, "name": "Production", "parent_id": WORKLOADS, "ou_path": "/Workloads/Production/"},
]


def parents_of(aws, child_id: str, parent_id: str) -> None:
    kind = "ROOT" if parent_id.startswith("r-") else "ORGANIZATIONAL_UNIT"
    aws.respond("organizations", "list_parents", {"Parents": [{"Id": parent_id, "Type": kind}]}, ChildId=child_id)


def describe_ou(aws, ou_id: str, name: str) -> None:
    aws.respond("organizations", "describe_organizational_unit", {"OrganizationalUnit": {
        "Id": ou_id, "Arn": f"arn:aws:organizations::{MANAGEMENT}:ou/{ORG}/{ou_id}", "Name": name}}, OrganizationalUnitId=ou_id)


def test_a_few_explicit_ids_are_looked_up_without_listing_the_organization(aws):
    aws.caller()
    # Sorted by id: each account, then the OUs above it not met before, up to the root.
    aws.respond("organizations", "describe_account", {"Account": account_response(MANAGEMENT)}, AccountId=MANAGEMENT)
    parents_of(aws, MANAGEMENT, ROOT)
    aws.respond("organizations", "describe_account", {"Account": account_response("210000000002")}, AccountId="210000000002")
    parents_of(aws, "210000000002", PRODUCTION)
    describe_ou(aws, PRODUCTION, "Production")
    parents_of(aws, PRODUCTION, WORKLOADS)
    describe_ou(aws, WORKLOADS, "Workloads")
    parents_of(aws, WORKLOADS, ROOT)
    aws.respond("organizations", "describe_account", {"Account": account_response("210000000003", "SUSPENDED")}, AccountId="210000000003")
    parents_of(aws, "210000000003", PRODUCTION)
    aws.respond("organizations", "describe_account", {"Account": account_response("210000000005")}, AccountId="210000000005")
    parents_of(aws, "210000000005", WORKLOADS)
    aws.fail("organizations", "describe_account", "AccountNotFoundException", "You specified an account that doesn't exist.",
             AccountId="999999999999")
    targets = Targets(account_ids=("999999999999", "210000000005", MANAGEMENT, "210000000003", "210000000002", "210000000005"))
    result = organizations.list_accounts(aws.factory, targets, include_tags=False)
    assert result["accounts"] == looked_up_accounts()
    assert result["organizational_units"] == LOOKED_UP_OUS
    assert result["skipped_accounts"] == [
        {"id": "210000000003", "name": "account-210000000003", "state": "SUSPENDED", "ou_path": "/Workloads/Production/",
         "parent_id": PRODUCTION, "reason": "not_active", "message": "the account is SUSPENDED."},
        {"id": "999999999999", "name": None, "state": None, "ou_path": None, "parent_id": None, "reason": "not_in_organization",
         "message": f"999999999999 is not a member of organization {ORG}."},
    ]
    assert not {"organizations:ListRoots", "organizations:ListOrganizationalUnitsForParent", "organizations:ListAccountsForParent"} & set(aws.calls)


def with_paths(account: dict, *paths: str) -> dict:
    return dict(account, Paths=list(paths))


@needs_botocore_knowing("organizations", "Account", "Paths")
def test_paths_save_the_list_parents_calls(aws):
    """Account.Paths (o-.../r-.../ou-.../<account>/) gives the ids up to the root: DescribeAccount, then
    DescribeOrganizationalUnit once per OU not met before, and no ListParents; the result is the walk's."""
    aws.caller()
    aws.respond("organizations", "describe_account", {"Account": with_paths(account_response(MANAGEMENT), f"{ORG}/{ROOT}/{MANAGEMENT}/")},
                AccountId=MANAGEMENT)
    aws.respond("organizations", "describe_account", {"Account": with_paths(
        account_response("210000000002"), f"{ORG}/{ROOT}/{WORKLOADS}/{PRODUCTION}/210000000002/")}, AccountId="210000000002")
    describe_ou(aws, WORKLOADS, "Workloads")
    describe_ou(aws, PRODUCTION, "Production")
    aws.respond("organizations", "describe_account", {"Account": with_paths(
        account_response("210000000005"), f"{ORG}/{ROOT}/{WORKLOADS}/210000000005/")}, AccountId="210000000005")
    result = organizations.list_accounts(aws.factory, Targets(account_ids=("210000000005", MANAGEMENT, "210000000002")), include_tags=False)
    assert result["accounts"] == looked_up_accounts()
    assert result["organizational_units"] == LOOKED_UP_OUS
    assert aws.calls == CALLER + ["organizations:DescribeAccount"] * 2 + ["organizations:DescribeOrganizationalUnit"] * 2 + [
        "organizations:DescribeAccount"]


@pytest.mark.parametrize("paths", [
    [],
    ["o-zzzzzzzzzz/r-a1b2/210000000002/"],  # another organization's
    [f"{ORG}/{ROOT}/{WORKLOADS}/210000000009/"],  # another account's
    [f"{ORG}/{WORKLOADS}/210000000002/"],  # no root
    [f"{ORG}/{ROOT}/Workloads/210000000002/"],  # not an OU id
], ids=["empty", "other-organization", "other-account", "no-root", "not-an-id"])
def test_paths_that_cannot_be_read_fall_back_to_list_parents(aws, paths):
    aws.caller()
    aws.respond("organizations", "describe_account", {"Account": with_paths(account_response("210000000002"), *paths)},
                AccountId="210000000002")
    parents_of(aws, "210000000002", WORKLOADS)
    describe_ou(aws, WORKLOADS, "Workloads")
    parents_of(aws, WORKLOADS, ROOT)
    result = organizations.list_accounts(aws.factory, Targets(account_ids=("210000000002",)), include_tags=False)
    assert [(a["id"], a["parent_id"], a["ou_path"], a["ou_ids"]) for a in result["accounts"]] == [
        ("210000000002", WORKLOADS, "/Workloads/", [ROOT, WORKLOADS])]


def test_an_account_without_status_and_with_a_state_this_collection_does_not_know(aws):
    """Status is retired (State only), and an unknown State is passed through: the account is not ACTIVE, so it
    is listed as skipped with AWS's word for its state, and included on request."""
    for include_inactive in (False, True):
        aws.caller()
        future = dict(account_response("210000000002"), State="PENDING_SOMETHING_NEW")
        plain = account_response("210000000003")
        assert "Status" not in future and "Status" not in plain
        aws.respond("organizations", "describe_account", {"Account": future}, AccountId="210000000002")
        parents_of(aws, "210000000002", ROOT)
        aws.respond("organizations", "describe_account", {"Account": plain}, AccountId="210000000003")
        parents_of(aws, "210000000003", ROOT)
        targets = Targets(account_ids=("210000000002", "210000000003"), include_inactive=include_inactive)
        result = organizations.list_accounts(aws.factory, targets, include_tags=False)
        states = {account["id"]: account["state"] for account in result["accounts"]}
        if include_inactive:
            assert states == {"210000000002": "PENDING_SOMETHING_NEW", "210000000003": "ACTIVE"}
        else:
            assert states == {"210000000003": "ACTIVE"}
            assert [(e["id"], e["state"], e["reason"], e["message"]) for e in result["skipped_accounts"]] == [
                ("210000000002", "PENDING_SOMETHING_NEW", "not_active", "the account is PENDING_SOMETHING_NEW.")]


def test_account_fields_prefer_state_and_need_no_status():
    assert organizations.account_fields(account_response(MEMBER, "CLOSED"))["state"] == "CLOSED"
    assert organizations.account_fields(dict(account_response(MEMBER, "PENDING_CLOSURE"), Status="ACTIVE"))["state"] == "PENDING_CLOSURE"
    assert organizations.account_fields(account_response(MEMBER, "SUSPENDED", legacy_status_only=True))["state"] == "SUSPENDED"


def test_an_error_looking_up_an_account_is_not_taken_for_absence(aws):
    aws.caller()
    aws.fail("organizations", "describe_account", "TooManyRequestsException", "Rate exceeded", AccountId="210000000002")
    with pytest.raises(errors.Throttled) as excinfo:
        organizations.list_accounts(aws.factory, Targets(account_ids=("210000000002",)), include_tags=False)
    assert excinfo.value.operation == "DescribeAccount"


def test_more_explicit_ids_than_worth_looking_up_are_found_by_listing(aws):
    members = [f"2100000000{number:02d}" for number in range(organizations.LOOK_UP_AT_MOST)]
    aws.caller()
    walk(aws)
    accounts_for(aws, ROOT, [(MANAGEMENT, "ACTIVE")])
    accounts_for(aws, SANDBOX, [])
    accounts_for(aws, WORKLOADS, [(account_id, "ACTIVE") for account_id in members[:12]])
    accounts_for(aws, PRODUCTION, [(account_id, "ACTIVE") for account_id in members[12:]])
    result = organizations.list_accounts(aws.factory, Targets(account_ids=(*members, "999999999999")), include_tags=False)
    assert [account["id"] for account in result["accounts"]] == members
    assert [entry["id"] for entry in result["skipped_accounts"]] == ["999999999999"]
    assert "organizations:DescribeAccount" not in aws.calls


def test_list_accounts_from_a_member_account(aws):
    aws.caller(MEMBER)
    aws.fail("organizations", "list_roots", "AccessDeniedException", "You don't have permissions to access this resource.")
    with pytest.raises(errors.NotManagementOrDelegatedAdministrator) as excinfo:
        organizations.list_accounts(aws.factory, Targets(all_accounts=True), include_tags=False)
    assert excinfo.value.operation == "ListRoots"


def test_an_error_on_a_later_page_is_translated(aws):
    aws.caller()
    walk(aws)
    aws.respond("organizations", "list_accounts_for_parent", {"Accounts": [account_response(MANAGEMENT)], "NextToken": "page-2"}, ParentId=ROOT)
    aws.fail("organizations", "list_accounts_for_parent", "TooManyRequestsException", "Rate exceeded", ParentId=ROOT, NextToken="page-2")
    with pytest.raises(errors.Throttled) as excinfo:
        organizations.list_accounts(aws.factory, Targets(all_accounts=True), include_tags=False)
    assert (excinfo.value.aws_error_code, excinfo.value.operation) == ("TooManyRequestsException", "ListAccountsForParent")


# Against the in-process emulator -----------------------------------------------------------

def test_list_accounts_against_the_emulator(emulator_factory):
    truth = seed(accounts=10, profile="mixed")
    result = organizations.list_accounts(emulator_factory, Targets(all_accounts=True), include_tags=True)
    seeded = {account["id"]: account for account in truth["accounts"]}
    active = sorted(account_id for account_id, account in seeded.items() if account["state"] == "ACTIVE")
    assert [account["id"] for account in result["accounts"]] == sorted([truth["management_account_id"], *active])
    for account in result["accounts"][1:]:
        expected = seeded[account["id"]]
        assert (account["name"], account["email"], account["ou_path"], account["parent_id"], account["management_account"]) == (
            expected["name"], expected["email"], expected["ou_path"], expected["parent_id"], False)
        assert account["ou_ids"][0] == truth["root_id"] and account["ou_ids"][-1] == expected["parent_id"]
        assert account["tags"] == {"seed-index": str(truth["accounts"].index(expected))}
    assert result["accounts"][0]["management_account"] is True
    assert result["organizational_units"] == sorted(({"id": ou["id"], "name": ou["name"], "parent_id": ou["parent_id"], "ou_path": ou["path"]}
                                                     for ou in truth["organizational_units"]), key=lambda ou: ou["id"])
    assert [(entry["id"], entry["reason"], entry["ou_path"]) for entry in result["skipped_accounts"]] == [
        (account_id, "not_active", seeded[account_id]["ou_path"]) for account_id in sorted(set(seeded) - set(active))
    ]


def test_looked_up_accounts_equal_the_listed_ones_against_the_emulator(emulator_factory):
    truth = seed(accounts=12, profile="mixed")
    factory = emulator_factory
    listed = organizations.list_accounts(factory, Targets(all_accounts=True, include_inactive=True), include_tags=True)["accounts"]
    for account in listed:
        looked_up = organizations.list_accounts(factory, Targets(account_ids=(account["id"],), include_inactive=True), include_tags=True)
        assert looked_up["accounts"] == [account]
    assert len(listed) == len(truth["accounts"]) + 1
    assert {account["ou_path"] for account in listed} >= {"/", *(ou["path"] for ou in truth["organizational_units"])}


def test_delegated_administrator_against_the_emulator(emulator_factory):
    truth = seed(accounts=3, profile="none", trusted_access=True)
    member = truth["accounts"][1]["id"]
    factory = emulator_factory
    registered = organizations.ensure_delegated_administrator(factory, member, IAM, True, check_mode=False)
    assert (registered["changed"], [admin["id"] for admin in registered["delegated_administrators"]]) == (True, [member])
    again = organizations.ensure_delegated_administrator(factory, member, IAM, True, check_mode=False)
    assert again["changed"] is False
    with pytest.raises(errors.Conflict):
        organizations.ensure_delegated_administrator(factory, truth["management_account_id"], IAM, True, check_mode=True)
