"""Organizations: IAM trusted access and delegated administrator rules, the OU tree,
pagination, who may read the organization, and reset (aws-api.md section 6)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from moto import mock_aws
from moto.core.base_backend import BackendDict
from moto.iam.models import iam_backends
from moto.organizations.models import organizations_backends

from conftest import Aws
from rootguard_emulator import install
from rootguard_emulator.control import account_state, organization_state
from rootguard_emulator.rootuser import root_user
from rootguard_emulator.seed import seed

IAM = "iam.amazonaws.com"
MANAGEMENT = "123456789012"


def organization(aws) -> dict:
    return aws.control.organization() if aws.endpoint else organization_state(MANAGEMENT)


def reset(aws) -> None:
    if aws.endpoint:
        aws.control.reset()
    else:
        BackendDict.reset()


def iam_user_credentials(account_id: str) -> dict:
    """Long-term credentials of a fresh IAM user created directly in the account's backend."""
    backend = iam_backends[account_id]["global"]
    backend.create_user(region_name="us-east-1", user_name="probe")
    key = backend.create_access_key("probe")
    return {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": key.secret_access_key}


def active_members(truth: dict) -> list[str]:
    return [account["id"] for account in truth["accounts"] if account["state"] == "ACTIVE"]


def register_error(org, account_id: str) -> tuple[str, str | None]:
    with pytest.raises(ClientError) as excinfo:
        org.register_delegated_administrator(AccountId=account_id, ServicePrincipal=IAM)
    return excinfo.value.response["Error"]["Code"], excinfo.value.response.get("Reason")


# trusted access and delegated administrator ----------------------------------------

def test_iam_is_accepted_for_trusted_access_and_delegated_administrator(aws):
    truth = aws.seed(accounts=3, profile="none")
    member = truth["accounts"][1]["id"]
    org = aws.client("organizations")

    org.enable_aws_service_access(ServicePrincipal=IAM)
    enabled = org.list_aws_service_access_for_organization()["EnabledServicePrincipals"]
    assert [service["ServicePrincipal"] for service in enabled] == [IAM]
    org.enable_aws_service_access(ServicePrincipal=IAM)  # already enabled: a no-op
    assert len(org.list_aws_service_access_for_organization()["EnabledServicePrincipals"]) == 1

    org.register_delegated_administrator(AccountId=member, ServicePrincipal=IAM)
    admins = org.list_delegated_administrators(ServicePrincipal=IAM)["DelegatedAdministrators"]
    assert [admin["Id"] for admin in admins] == [member]
    services = org.list_delegated_services_for_account(AccountId=member)["DelegatedServices"]
    assert [service["ServicePrincipal"] for service in services] == [IAM]

    state = organization(aws)
    assert state["trusted_access"] == [IAM]
    assert state["delegated_administrators"] == {member: [IAM]}


def test_register_management_account_is_a_constraint_violation(aws):
    aws.seed(accounts=2, profile="none", trusted_access=True)
    code, reason = register_error(aws.client("organizations"), MANAGEMENT)
    assert (code, reason) == ("ConstraintViolationException", "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR")
    assert organization(aws)["delegated_administrators"] == {}


def test_register_suspended_account_is_a_constraint_violation(aws):
    truth = aws.seed(accounts=6, profile="mixed", trusted_access=True)
    suspended = [account["id"] for account in truth["accounts"] if account["state"] == "SUSPENDED"]
    assert suspended
    code, reason = register_error(aws.client("organizations"), suspended[0])
    assert (code, reason) == ("ConstraintViolationException", "CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR")
    assert organization(aws)["delegated_administrators"] == {}


def test_register_before_trusted_access_is_a_constraint_violation(aws):
    truth = aws.seed(accounts=2, profile="none")
    code, reason = register_error(aws.client("organizations"), truth["accounts"][0]["id"])
    assert (code, reason) == ("ConstraintViolationException", "SERVICE_ACCESS_NOT_ENABLED")
    assert organization(aws)["delegated_administrators"] == {}


def test_register_unknown_account(aws):
    aws.seed(accounts=2, profile="none", trusted_access=True)
    code = register_error(aws.client("organizations"), "999999999999")[0]
    assert code == "AccountNotFoundException"


def test_register_twice(aws):
    truth = aws.seed(accounts=2, profile="none", trusted_access=True)
    member = truth["accounts"][0]["id"]
    org = aws.client("organizations")
    org.register_delegated_administrator(AccountId=member, ServicePrincipal=IAM)
    code = register_error(org, member)[0]
    assert code == "AccountAlreadyRegisteredException"
    assert organization(aws)["delegated_administrators"] == {member: [IAM]}


def test_second_iam_delegated_administrator_exceeds_the_limit(aws):
    truth = aws.seed(accounts=4, profile="none", delegated_administrator=True)
    admin = truth["delegated_administrator"]
    other = next(account for account in active_members(truth) if account != admin)
    code, reason = register_error(aws.client("organizations"), other)
    assert (code, reason) == ("ConstraintViolationException", "MAX_DELEGATED_ADMINISTRATORS_FOR_SERVICE_LIMIT_EXCEEDED")
    assert organization(aws)["delegated_administrators"] == {admin: [IAM]}


def test_deregister_rules(aws):
    truth = aws.seed(accounts=3, profile="none", delegated_administrator=True)
    admin = truth["delegated_administrator"]
    other = next(account for account in active_members(truth) if account != admin)
    org = aws.client("organizations")
    with pytest.raises(ClientError) as excinfo:
        org.deregister_delegated_administrator(AccountId=other, ServicePrincipal=IAM)
    assert excinfo.value.response["Error"]["Code"] == "AccountNotRegisteredException"
    org.deregister_delegated_administrator(AccountId=admin, ServicePrincipal=IAM)
    assert organization(aws)["delegated_administrators"] == {}
    org.register_delegated_administrator(AccountId=other, ServicePrincipal=IAM)  # the slot is free again
    assert organization(aws)["delegated_administrators"] == {other: [IAM]}


def test_consolidated_billing_rejects_trusted_access(aws):
    truth = aws.seed(accounts=2, profile="none", feature_set="CONSOLIDATED_BILLING")
    org = aws.client("organizations")
    assert org.describe_organization()["Organization"]["FeatureSet"] == "CONSOLIDATED_BILLING"
    with pytest.raises(ClientError) as excinfo:
        org.enable_aws_service_access(ServicePrincipal=IAM)
    assert excinfo.value.response["Error"]["Code"] == "ConstraintViolationException"
    assert excinfo.value.response.get("Reason") == "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE"
    code, reason = register_error(org, truth["accounts"][0]["id"])
    assert (code, reason) == ("ConstraintViolationException", "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE")
    state = organization(aws)
    assert state["feature_set"] == "CONSOLIDATED_BILLING"
    assert state["trusted_access"] == []


# the organization's shape ----------------------------------------------------------

def test_nested_organizational_units(aws):
    truth = aws.seed(accounts=12, profile="none")
    org = aws.client("organizations")
    root_id = org.list_roots()["Roots"][0]["Id"]
    assert root_id == truth["root_id"]

    def walk(parent_id: str, path: str) -> list[dict]:
        found = []
        for page in org.get_paginator("list_organizational_units_for_parent").paginate(ParentId=parent_id):
            for unit in page["OrganizationalUnits"]:
                unit_path = f"{path}{unit['Name']}/"
                found.append({"id": unit["Id"], "name": unit["Name"], "parent_id": parent_id, "path": unit_path})
                found.extend(walk(unit["Id"], unit_path))
        return found

    tree = walk(root_id, "/")
    assert sorted(tree, key=lambda unit: unit["id"]) == sorted(truth["organizational_units"], key=lambda unit: unit["id"])
    payments = next(unit for unit in tree if unit["name"] == "Payments")
    assert payments["path"] == "/Workloads/Production/Payments/"
    production = next(unit for unit in tree if unit["name"] == "Production")
    assert org.list_parents(ChildId=payments["id"])["Parents"] == [{"Id": production["id"], "Type": "ORGANIZATIONAL_UNIT"}]

    for parent_id in [root_id] + [unit["id"] for unit in tree]:
        children = {
            account["Id"]
            for page in org.get_paginator("list_accounts_for_parent").paginate(ParentId=parent_id)
            for account in page["Accounts"]
        }
        expected = {account["id"] for account in truth["accounts"] if account["parent_id"] == parent_id}
        if parent_id == root_id:
            expected.add(MANAGEMENT)
        assert children == expected, parent_id
    nested_member = next(account for account in truth["accounts"] if account["parent_id"] == payments["id"])
    parents = org.list_parents(ChildId=nested_member["id"])["Parents"]
    assert parents == [{"Id": payments["id"], "Type": "ORGANIZATIONAL_UNIT"}]


def test_list_accounts_pagination(aws):
    truth = aws.seed(accounts=30, profile="none")
    expected = {account["id"] for account in truth["accounts"]} | {MANAGEMENT}
    org = aws.client("organizations")

    seen: list[str] = []
    pages = 0
    kwargs: dict = {"MaxResults": 5}
    while True:
        page = org.list_accounts(**kwargs)
        pages += 1
        assert len(page["Accounts"]) <= 5
        seen.extend(account["Id"] for account in page["Accounts"])
        if not page.get("NextToken"):
            break
        kwargs["NextToken"] = page["NextToken"]
        assert pages < 100
    assert pages >= 7
    assert len(seen) == len(set(seen)) == 31
    assert set(seen) == expected

    paginated = [
        account["Id"]
        for page in org.get_paginator("list_accounts").paginate(PaginationConfig={"PageSize": 5})
        for account in page["Accounts"]
    ]
    assert len(paginated) == len(set(paginated)) == 31
    assert set(paginated) == expected


def test_max_results_above_20_is_invalid(aws):
    aws.seed(accounts=25, profile="none")
    with pytest.raises(ClientError) as excinfo:
        aws.client("organizations").list_accounts(MaxResults=21)
    assert excinfo.value.response["Error"]["Code"] == "InvalidInputException"


def test_invalid_next_token(aws):
    aws.seed(accounts=2, profile="none")
    with pytest.raises(ClientError) as excinfo:
        aws.client("organizations").list_accounts(NextToken="not-a-token")
    assert excinfo.value.response["Error"]["Code"] == "InvalidInputException"
    assert excinfo.value.response.get("Reason") == "INVALID_NEXT_TOKEN"


def test_account_state_oracle(aws):
    truth = aws.seed(accounts=7, profile="mixed")
    org = aws.client("organizations")
    for index in (0, 5):
        account = truth["accounts"][index]
        state = aws.control.account(account["id"]) if aws.endpoint else account_state(account["id"])
        assert state == {"id": account["id"], "member": True, "state": account["state"], "parent_id": account["parent_id"],
                         "name": account["name"], "email": account["email"], "tags": {"seed-index": str(index)}}
        described = org.describe_account(AccountId=account["id"])["Account"]
        assert (described["State"], described["Name"]) == (account["state"], account["name"])
    outsider = aws.control.account("999999999999") if aws.endpoint else account_state("999999999999")
    assert outsider == {"id": "999999999999", "member": False}


# who may read it -----------------------------------------------------------------

def test_member_account_is_denied_listing_but_may_describe(aws):
    truth = aws.seed(accounts=3, profile="none", trusted_access=True)
    org = aws.client("organizations", aws.member_credentials(truth["accounts"][1]["id"]))
    for call, kwargs in (
        (org.list_accounts, {}),
        (org.list_roots, {}),
        (org.list_accounts_for_parent, {"ParentId": truth["root_id"]}),
        (org.describe_account, {"AccountId": truth["accounts"][0]["id"]}),
        (org.enable_aws_service_access, {"ServicePrincipal": IAM}),
    ):
        with pytest.raises(ClientError) as excinfo:
            call(**kwargs)
        assert excinfo.value.response["Error"]["Code"] == "AccessDeniedException", call
    described = org.describe_organization()["Organization"]
    assert described["Id"] == truth["organization_id"]
    assert described["MasterAccountId"] == MANAGEMENT
    assert described["FeatureSet"] == "ALL"


def test_delegated_administrator_lists_every_account(aws):
    truth = aws.seed(accounts=8, profile="mixed", delegated_administrator=True)
    admin = truth["delegated_administrator"]
    org = aws.client("organizations", aws.member_credentials(admin))
    listed = [account for page in org.get_paginator("list_accounts").paginate() for account in page["Accounts"]]
    assert sorted(account["Id"] for account in listed) == sorted([account["id"] for account in truth["accounts"]] + [MANAGEMENT])
    states = {account["Id"]: account["State"] for account in listed}
    for account in truth["accounts"]:
        assert states[account["id"]] == account["state"]
    assert org.list_roots()["Roots"][0]["Id"] == truth["root_id"]
    assert org.describe_account(AccountId=truth["accounts"][2]["id"])["Account"]["Name"] == truth["accounts"][2]["name"]
    # reading is delegated; managing is not
    with pytest.raises(ClientError) as excinfo:
        org.register_delegated_administrator(AccountId=truth["accounts"][2]["id"], ServicePrincipal=IAM)
    assert excinfo.value.response["Error"]["Code"] == "AccessDeniedException"


def test_member_root_user_access_key_is_denied(inprocess):
    """Regression: the caller rules used to be skipped for root principals without a task policy."""
    truth = seed(accounts=3, profile="full", trusted_access=True)
    member = truth["accounts"][1]["id"]
    key = next(iter(root_user(member).access_keys.values()))
    org = inprocess.client("organizations", {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": key.secret_access_key})
    assert org.describe_organization()["Organization"]["MasterAccountId"] == MANAGEMENT
    for call, kwargs in ((org.list_accounts, {}), (org.list_roots, {}), (org.enable_aws_service_access, {"ServicePrincipal": "ram.amazonaws.com"})):
        with pytest.raises(ClientError) as excinfo:
            call(**kwargs)
        assert excinfo.value.response["Error"]["Code"] == "AccessDeniedException", call


# reset -------------------------------------------------------------------------------

def assert_no_stale_membership(aws, member: str) -> None:
    assert not organizations_backends.master_accounts
    org = aws.client("organizations", iam_user_credentials(member))
    with pytest.raises(ClientError) as excinfo:
        org.describe_organization()
    assert excinfo.value.response["Error"]["Code"] == "AWSOrganizationsNotInUseException"
    created = org.create_organization(FeatureSet="ALL")["Organization"]
    assert created["MasterAccountId"] == member
    assert org.describe_organization()["Organization"]["Id"] == created["Id"]


def test_reset_forgets_the_organization(aws):
    truth = aws.seed(accounts=3, profile="none", delegated_administrator=True)
    member = truth["accounts"][1]["id"]
    assert organizations_backends.master_accounts.get(member) == (MANAGEMENT, "aws")
    reset(aws)
    assert organization(aws) == {"organization": None}
    assert_no_stale_membership(aws, member)


def test_leaving_the_mock_resets_the_organization():
    install()
    with mock_aws():
        truth = seed(accounts=3, profile="none")
        member = truth["accounts"][0]["id"]
        assert member in organizations_backends.master_accounts
    assert not organizations_backends.master_accounts
    with mock_aws():
        assert_no_stale_membership(Aws(None), member)
