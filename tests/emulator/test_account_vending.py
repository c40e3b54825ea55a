"""Account vending in the emulator: CreateAccount is asynchronous (IN_PROGRESS for the
configured number of polls), fails with the AWS FailureReason (injected, an email that
exists elsewhere or in the organization), lists its requests, and gives a new account
the root user that RootCredentialsManagement promises (aws-api.md sections 2.6 and 6;
the modelling assumption is in rootguard_emulator/accounts_ext.py)."""

from __future__ import annotations

import urllib.error

import pytest
from botocore.exceptions import ClientError
from moto.core.base_backend import BackendDict

from rootguard_emulator import accounts_ext
from rootguard_emulator.rootuser import root_user

MANAGEMENT = "123456789012"
RCM = "RootCredentialsManagement"


# helpers: the control API over HTTP, or the same functions in-process ------------------------------

def set_polls(aws, polls: int) -> None:
    if aws.endpoint:
        aws.control.set_account_creation_polls(polls)
    else:
        accounts_ext.configure(polls)


def fail_next(aws, reason: str, **match) -> None:
    if aws.endpoint:
        aws.control.fail_account_creation(reason, **match)
    else:
        accounts_ext.fail_next(reason, **match)


def foreign(aws, *emails: str) -> None:
    if aws.endpoint:
        aws.control.add_foreign_emails(*emails)
    else:
        accounts_ext.add_foreign_emails(list(emails))


def vending(aws) -> dict:
    return aws.control.account_vending() if aws.endpoint else accounts_ext.VENDING.describe()


def root_of(aws, account_id: str) -> dict:
    return aws.control.root_user(account_id) if aws.endpoint else root_user(account_id).describe()


def error_of(call, **params) -> tuple:
    with pytest.raises(ClientError) as excinfo:
        call(**params)
    return excinfo.value.response["Error"]["Code"], excinfo.value.response.get("Reason")


def emails(org) -> dict:
    return {account["Email"]: account for account in org.list_accounts()["Accounts"]}


def create(org, name: str = "Payments", email: str = "payments@example.com", **extra) -> dict:
    return org.create_account(AccountName=name, Email=email, **extra)["CreateAccountStatus"]


def poll(org, request_id: str) -> dict:
    return org.describe_create_account_status(CreateAccountRequestId=request_id)["CreateAccountStatus"]


# asynchrony ----------------------------------------------------------------------------------------

def test_by_default_a_request_completes_at_once_as_in_moto(aws):
    aws.seed(accounts=1, profile="none")
    org = aws.client("organizations")

    status = create(org, Tags=[{"Key": "team", "Value": "payments"}])

    assert status["State"] == "SUCCEEDED" and status["Id"].startswith("car-")
    assert status["AccountName"] == "Payments" and "FailureReason" not in status
    account = emails(org)["payments@example.com"]
    assert account["Id"] == status["AccountId"] and account["Name"] == "Payments" and account["JoinedMethod"] == "CREATED"
    assert poll(org, status["Id"]) == status
    assert org.list_tags_for_resource(ResourceId=account["Id"])["Tags"] == [{"Key": "team", "Value": "payments"}]
    root = org.list_roots()["Roots"][0]["Id"]
    assert org.list_parents(ChildId=account["Id"])["Parents"] == [{"Id": root, "Type": "ROOT"}]


def test_a_request_stays_in_progress_for_the_configured_polls(aws):
    aws.seed(accounts=1, profile="none")
    set_polls(aws, 2)
    org = aws.client("organizations")

    status = create(org)
    assert status["State"] == "IN_PROGRESS" and "AccountId" not in status
    assert "payments@example.com" not in emails(org)
    in_progress = org.list_create_account_status(States=["IN_PROGRESS"])["CreateAccountStatuses"]
    assert [(entry["Id"], entry["AccountName"]) for entry in in_progress] == [(status["Id"], "Payments")]

    assert poll(org, status["Id"])["State"] == "IN_PROGRESS"
    assert poll(org, status["Id"])["State"] == "IN_PROGRESS"
    assert "payments@example.com" not in emails(org)
    done = poll(org, status["Id"])

    assert done["State"] == "SUCCEEDED" and done["CompletedTimestamp"]
    assert emails(org)["payments@example.com"]["Id"] == done["AccountId"]
    assert org.list_create_account_status(States=["IN_PROGRESS"])["CreateAccountStatuses"] == []
    assert poll(org, status["Id"]) == done  # later polls keep the outcome
    (request,) = vending(aws)["requests"]
    assert request["polls"] == 4 and request["account_id"] == done["AccountId"]


def test_list_create_account_status_filters_pages_and_includes_seeded_accounts(aws):
    truth = aws.seed(accounts=3, profile="none")
    set_polls(aws, 1)
    org = aws.client("organizations")
    pending = create(org)
    listed = []
    for page in org.get_paginator("list_create_account_status").paginate(PaginationConfig={"PageSize": 1}):
        assert len(page["CreateAccountStatuses"]) <= 1
        listed.extend(page["CreateAccountStatuses"])

    assert sorted(entry.get("AccountId") for entry in listed if entry["State"] == "SUCCEEDED") == sorted(
        account["id"] for account in truth["accounts"])
    assert [entry["Id"] for entry in listed if entry["State"] == "IN_PROGRESS"] == [pending["Id"]]
    assert org.list_create_account_status(States=["FAILED"])["CreateAccountStatuses"] == []
    assert error_of(org.list_create_account_status, MaxResults=21)[0] == "InvalidInputException"


def test_an_unknown_request_id_is_create_account_status_not_found(aws):
    aws.seed(accounts=1, profile="none")
    org = aws.client("organizations")
    assert error_of(org.describe_create_account_status, CreateAccountRequestId="car-abcdefgh12")[0] == (
        "CreateAccountStatusNotFoundException")


# failures ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("polls", [0, 2])
def test_an_injected_failure_fails_the_next_request_for_that_email_only_once(aws, polls):
    aws.seed(accounts=1, profile="none")
    set_polls(aws, polls)
    fail_next(aws, "ACCOUNT_LIMIT_EXCEEDED", email="Payments@Example.com")
    org = aws.client("organizations")

    status = create(org)
    for _poll in range(polls + 1):
        status = poll(org, status["Id"])

    assert status["State"] == "FAILED" and status["FailureReason"] == "ACCOUNT_LIMIT_EXCEEDED" and "AccountId" not in status
    assert "payments@example.com" not in emails(org)
    assert [entry["Id"] for entry in org.list_create_account_status(States=["FAILED"])["CreateAccountStatuses"]] == [status["Id"]]
    again = create(org)
    for _poll in range(polls + 1):
        again = poll(org, again["Id"])
    assert again["State"] == "SUCCEEDED"


def test_an_injected_failure_by_account_name(aws):
    aws.seed(accounts=1, profile="none")
    fail_next(aws, "INTERNAL_FAILURE", name="Payments")
    org = aws.client("organizations")
    assert create(org, email="other@example.com")["FailureReason"] == "INTERNAL_FAILURE"
    assert create(org, name="Ledger", email="ledger@example.com")["State"] == "SUCCEEDED"


def test_an_email_of_an_account_outside_the_organization_already_exists(aws):
    aws.seed(accounts=1, profile="none")
    foreign(aws, "taken@example.com")
    org = aws.client("organizations")
    status = create(org, email="TAKEN@example.com")
    assert (status["State"], status["FailureReason"]) == ("FAILED", "EMAIL_ALREADY_EXISTS")
    assert vending(aws)["foreign_emails"] == ["taken@example.com"]


def test_an_email_of_an_account_of_the_organization_already_exists(aws):
    truth = aws.seed(accounts=2, profile="none")
    org = aws.client("organizations")
    status = create(org, email=truth["accounts"][1]["email"].upper())
    assert (status["State"], status["FailureReason"]) == ("FAILED", "EMAIL_ALREADY_EXISTS")


def test_a_second_request_for_an_address_in_progress_fails_as_a_concurrent_modification(aws):
    aws.seed(accounts=1, profile="none")
    set_polls(aws, 1)
    org = aws.client("organizations")

    first = create(org)
    second = create(org, email="PAYMENTS@example.com")

    assert (first["State"], second["State"]) == ("IN_PROGRESS", "IN_PROGRESS")
    in_progress = org.list_create_account_status(States=["IN_PROGRESS"])["CreateAccountStatuses"]
    assert [entry["Id"] for entry in in_progress] == [first["Id"], second["Id"]]
    poll(org, second["Id"])
    second = poll(org, second["Id"])
    assert (second["State"], second["FailureReason"]) == ("FAILED", "CONCURRENT_ACCOUNT_MODIFICATION")
    poll(org, first["Id"])
    first = poll(org, first["Id"])
    assert first["State"] == "SUCCEEDED" and emails(org)["payments@example.com"]["Id"] == first["AccountId"]


def test_a_request_after_another_created_the_address_fails_as_existing(aws):
    aws.seed(accounts=1, profile="none")
    org = aws.client("organizations")
    first = create(org)
    second = create(org, name="Payments again")
    assert first["State"] == "SUCCEEDED"
    assert (second["State"], second["FailureReason"]) == ("FAILED", "EMAIL_ALREADY_EXISTS")


def test_the_control_api_refuses_an_unknown_failure_reason(aws):
    if aws.endpoint:
        with pytest.raises(urllib.error.HTTPError) as excinfo:
            fail_next(aws, "NO_SUCH_REASON", email="a@example.com")
        assert excinfo.value.code == 400
        assert "reason must be one of ACCOUNT_LIMIT_EXCEEDED" in excinfo.value.read().decode()
    else:
        with pytest.raises(ValueError, match="reason must be one of ACCOUNT_LIMIT_EXCEEDED"):
            fail_next(aws, "NO_SUCH_REASON", email="a@example.com")
    assert vending(aws)["failure_rules"] == []


@pytest.mark.parametrize("params", [
    {"AccountName": "x" * 51, "Email": "long@example.com"},
    {"AccountName": "Caf\u00e9", "Email": "cafe@example.com"},
    {"AccountName": "Fine", "Email": "no-at-sign.example.com"},
    {"AccountName": "Fine", "Email": "fine@example.com", "RoleName": "bad role"},
])
def test_invalid_input_is_refused(aws, params):
    aws.seed(accounts=1, profile="none")
    org = aws.client("organizations")
    assert error_of(org.create_account, **params)[0] == "InvalidInputException"
    assert vending(aws)["requests"] == []


def test_only_the_management_account_creates_accounts(aws):
    truth = aws.seed(accounts=2, profile="none", delegated_administrator=True)
    admin = aws.member_credentials(truth["delegated_administrator"])
    org = aws.client("organizations", admin)
    assert error_of(org.create_account, AccountName="Nope", Email="nope@example.com")[0] == "AccessDeniedException"
    assert vending(aws)["requests"] == []


# the root user of a new account ------------------------------------------------------------------------

SUMMARY_KEYS = ("AccountPasswordPresent", "AccountAccessKeysPresent", "AccountSigningCertificatesPresent", "AccountMFAEnabled")


def audit(aws, account_id: str) -> dict:
    """What the IAMAuditRootUserCredentials audit sees."""
    iam = aws.client("iam", aws.assume_root(account_id, "IAMAuditRootUserCredentials"))
    summary = iam.get_account_summary()["SummaryMap"]
    try:
        iam.get_login_profile()
        password = True
    except ClientError as error:
        assert error.response["Error"]["Code"] == "NoSuchEntity"
        password = False
    return {
        "password": password,
        "summary": {key: summary[key] for key in SUMMARY_KEYS},
        "access_keys": iam.list_access_keys()["AccessKeyMetadata"],
        "mfa_devices": iam.list_mfa_devices()["MFADevices"],
        "signing_certificates": iam.list_signing_certificates()["Certificates"],
    }


NOTHING = {"AccountPasswordPresent": 0, "AccountAccessKeysPresent": 0, "AccountSigningCertificatesPresent": 0, "AccountMFAEnabled": 0}


def test_an_account_created_with_root_credentials_management_has_no_root_credential(aws):
    aws.seed(accounts=1, profile="none", trusted_access=True, features=[RCM])
    org = aws.client("organizations")

    account_id = create(org)["AccountId"]

    assert audit(aws, account_id) == {"password": False, "summary": NOTHING, "access_keys": [], "mfa_devices": [],
                                      "signing_certificates": []}
    assert root_of(aws, account_id)["has_credentials"] is False
    assert vending(aws)["requests"][0]["root_credentials_management_at_creation"] is True


def test_an_account_created_without_the_feature_has_a_recoverable_root_password(aws):
    aws.seed(accounts=1, profile="none", trusted_access=True)
    set_polls(aws, 1)
    org = aws.client("organizations")
    request = create(org)
    # The feature is turned on while the request is in progress: what counts is when it was made.
    iam = aws.client("iam")
    iam.enable_organizations_root_credentials_management()
    assert poll(org, request["Id"])["State"] == "IN_PROGRESS"
    account_id = poll(org, request["Id"])["AccountId"]

    seen = audit(aws, account_id)
    assert seen["password"] is True
    assert seen["summary"] == dict(NOTHING, AccountPasswordPresent=1)
    assert seen["access_keys"] == seen["mfa_devices"] == seen["signing_certificates"] == []
    assert root_of(aws, account_id)["password"] is True
    # Password recovery is already possible: allowing it again finds the login profile.
    recovery = aws.client("iam", aws.assume_root(account_id, "IAMCreateRootUserPassword"))
    assert error_of(recovery.create_login_profile)[0] == "EntityAlreadyExists"
    assert vending(aws)["requests"][0]["root_credentials_management_at_creation"] is False


def test_the_feature_turned_on_later_does_not_remove_the_password(aws):
    aws.seed(accounts=1, profile="none", trusted_access=True)
    account_id = create(aws.client("organizations"))["AccountId"]
    aws.client("iam").enable_organizations_root_credentials_management()
    assert audit(aws, account_id)["password"] is True


# MoveAccount and reset -------------------------------------------------------------------------------

def test_move_account_checks_the_source_and_the_destination(aws):
    truth = aws.seed(accounts=1, profile="none")
    org = aws.client("organizations")
    account_id = create(org)["AccountId"]
    root = truth["root_id"]
    security, workloads = (next(ou["id"] for ou in truth["organizational_units"] if ou["name"] == name)
                           for name in ("Security", "Workloads"))

    assert error_of(org.move_account, AccountId=account_id, SourceParentId=security, DestinationParentId=workloads)[0] == (
        "SourceParentNotFoundException")
    assert error_of(org.move_account, AccountId=account_id, SourceParentId=root, DestinationParentId=root)[0] == (
        "DuplicateAccountException")
    org.move_account(AccountId=account_id, SourceParentId=root, DestinationParentId=workloads)
    assert org.list_parents(ChildId=account_id)["Parents"] == [{"Id": workloads, "Type": "ORGANIZATIONAL_UNIT"}]


def test_reset_forgets_requests_rules_and_settings(aws):
    aws.seed(accounts=1, profile="none")
    set_polls(aws, 3)
    fail_next(aws, "INTERNAL_FAILURE", email="x@example.com")
    foreign(aws, "y@example.com")
    create(aws.client("organizations"))
    if aws.endpoint:
        aws.control.reset()
    else:
        BackendDict.reset()
    assert vending(aws) == {"in_progress_polls": 0, "foreign_emails": [], "failure_rules": [], "requests": []}
