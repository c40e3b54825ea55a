# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""vending: input checks, the tag plan, and account vending on stubbed clients (exact call
sequences, the polling bound, FAILED requests, a request in progress reused, check mode
without writes), then against the in-process emulator."""

from __future__ import annotations

import datetime

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import errors, vending
from rootguard_emulator import accounts_ext
from rootguard_emulator.rootuser import root_user
from rootguard_emulator.seed import seed

from botocore_model import needs_botocore_knowing

ORG = "o-a1b2c3d4e5"
MANAGEMENT = "111111111111"
DELEGATED = "222222222222"
NEW = "444455556666"
EXISTING = "333333333333"
ROOT = "r-a1b2"
PAYMENTS = "ou-a1b2-11111111"
SANDBOX = "ou-a1b2-22222222"
REQUEST = "car-a1b2c3d4e5f6"
EMAIL = "aws-payments@example.com"
JOINED = datetime.datetime(2026, 11, 20, 8, 30, tzinfo=datetime.timezone.utc)
CALLER = ["sts:GetCallerIdentity", "organizations:DescribeOrganization"]
READS = CALLER + ["organizations:ListRoots", "organizations:DescribeOrganizationalUnit", "organizations:ListAccounts"]


class FakeTime:
    """The module's sleep and clock: sleeping moves the clock, nothing waits."""

    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def clock(self):
        return self.now


def desired(**overrides) -> vending.DesiredAccount:
    values = {"name": "payments", "email": EMAIL, "parent_id": PAYMENTS, "tags": {"team": "payments"}}
    values.update(overrides)
    return vending.DesiredAccount(**values)


def account_response(account_id: str = EXISTING, email: str = EMAIL, name: str = "payments", state: str = "ACTIVE") -> dict:
    return {"Id": account_id, "Arn": f"arn:aws:organizations::{MANAGEMENT}:account/{ORG}/{account_id}", "Email": email,
            "Name": name, "State": state, "JoinedMethod": "CREATED", "JoinedTimestamp": JOINED}


def account_result(account_id: str = EXISTING, parent_id: str = PAYMENTS, tags: dict | None = None, **extra) -> dict:
    return dict({"id": account_id, "arn": f"arn:aws:organizations::{MANAGEMENT}:account/{ORG}/{account_id}", "name": "payments",
                 "email": EMAIL, "state": "ACTIVE", "joined_method": "CREATED", "joined_timestamp": "2026-11-20T08:30:00+00:00",
                 "parent_id": parent_id, "tags": {"team": "payments"} if tags is None else tags}, **extra)


def status(state: str = "IN_PROGRESS", request_id: str = REQUEST, name: str = "payments", **extra) -> dict:
    return {"CreateAccountStatus": dict({"Id": request_id, "AccountName": name, "State": state}, **extra)}


def start(aws, parent_id: str | None = PAYMENTS, listed=(), caller: str | None = None) -> None:
    """The reads every run makes: the caller, the root, the parent asked for, the accounts."""
    aws.caller(caller)
    aws.respond("organizations", "list_roots", {"Roots": [{"Id": ROOT, "Name": "Root"}]})
    if parent_id and parent_id.startswith("ou-"):
        aws.respond("organizations", "describe_organizational_unit",
                    {"OrganizationalUnit": {"Id": parent_id, "Name": "Payments"}}, OrganizationalUnitId=parent_id)
    aws.respond("organizations", "list_accounts", {"Accounts": list(listed)})


def existing(aws, parent_id: str, tags: dict, account_id: str = EXISTING) -> None:
    aws.respond("organizations", "list_parents", {"Parents": [{"Id": parent_id, "Type": "ROOT" if parent_id == ROOT else "ORGANIZATIONAL_UNIT"}]},
                ChildId=account_id)
    aws.respond("organizations", "list_tags_for_resource", {"Tags": [{"Key": k, "Value": v} for k, v in tags.items()]}, ResourceId=account_id)


def no_request_in_progress(aws, *statuses) -> None:
    aws.respond("organizations", "list_create_account_status", {"CreateAccountStatuses": list(statuses)}, States=["IN_PROGRESS"])


def run(aws, wanted: vending.DesiredAccount, check_mode: bool = False, time: FakeTime | None = None) -> dict:
    time = time or FakeTime()
    return vending.ensure_account(aws.factory, wanted, check_mode, sleep=time.sleep, clock=time.clock)


# Input ------------------------------------------------------------------------------------

GOOD = {"name": "payments", "email": EMAIL, "parent_id": None, "tags": None, "purge_tags": True, "role_name": None,
        "iam_user_access_to_billing": None, "wait_timeout": 600}


@pytest.mark.parametrize("option, value, parts", [
    ("email", "a@b.c", ["'a@b.c'", "6 to 64"]),
    ("email", "x" * 60 + "@example.com", ["64"]),
    ("email", "payments.example.com", ["'payments.example.com'"]),
    ("email", "pay ments@example.com", ["'pay ments@example.com'"]),
    ("email", None, ["None"]),
    ("name", "", ["''", "1 to 50"]),
    ("name", "x" * 51, ["1 to 50"]),
    ("name", "Caf\u00e9", ["printable ASCII"]),
    ("name", "tab\there", ["printable ASCII"]),
    ("parent_id", "ou-bad", ["'ou-bad'", "ou-ab12-cdefgh34", "r-ab12"]),
    ("parent_id", "R-AB12", ["'R-AB12'"]),
    ("parent_id", "111122223333", ["'111122223333'"]),
    ("role_name", "bad role", ["'bad role'", "IAM role name"]),
    ("role_name", "r" * 65, ["IAM role name"]),
    ("tags", ["team"], ["dictionary"]),
    ("tags", {"aws:createdBy": "me"}, ["'aws:createdBy'", "reserves"]),
    ("tags", {"": "x"}, ["''", "tag key"]),
    ("tags", {"k" * 129: "x"}, ["tag key"]),
    ("tags", {"team": "v" * 257}, ["'team'", "256"]),
    ("tags", {"team": None}, ["'team'", "None"]),
    ("tags", {"team": True}, ["'team'", "True"]),
    ("tags", {"team": "a;b"}, ["'team'", "'a;b'"]),
    ("tags", {f"k{number}": "v" for number in range(51)}, ["51 tags", "50"]),
    ("wait_timeout", 0, ["0", "1 to 3600"]),
    ("wait_timeout", 3601, ["3601"]),
])
def test_bad_input_is_refused_naming_the_option(option, value, parts):
    with pytest.raises(errors.InvalidInput) as excinfo:
        vending.desired_from_params(dict(GOOD, **{option: value}))
    assert excinfo.value.message.startswith(option + ":"), excinfo.value.message
    for part in parts:
        assert part in excinfo.value.message, (part, excinfo.value.message)


def test_good_input_is_normalized():
    wanted = vending.desired_from_params(dict(GOOD, parent_id="r-a1b2", role_name="VendingAdmin",
                                              tags={"cost-center": 4711, "Team Name": "Zahlungsverkehr \u00e4", "empty": ""},
                                              iam_user_access_to_billing=False, wait_timeout=1))
    assert wanted == vending.DesiredAccount(
        name="payments", email=EMAIL, parent_id="r-a1b2", tags={"cost-center": "4711", "Team Name": "Zahlungsverkehr \u00e4", "empty": ""},
        purge_tags=True, role_name="VendingAdmin", iam_user_access_to_billing=False, wait_timeout=1)


# Pure plans -------------------------------------------------------------------------------

@pytest.mark.parametrize("current, wanted, purge, to_set, to_unset", [
    ({}, None, True, {}, []),
    ({"a": "1"}, None, True, {}, []),
    ({"a": "1"}, {"a": "1"}, True, {}, []),
    ({"a": "1", "b": "2"}, {"a": "1"}, True, {}, ["b"]),
    ({"a": "1", "b": "2"}, {"a": "1"}, False, {}, []),
    ({"a": "1"}, {"a": "2", "c": "3"}, True, {"a": "2", "c": "3"}, []),
    ({"b": "2", "a": "1"}, {}, True, {}, ["a", "b"]),
    ({"a": ""}, {"a": "x"}, False, {"a": "x"}, []),
])
def test_plan_tags(current, wanted, purge, to_set, to_unset):
    assert vending.plan_tags(current, wanted, purge) == (to_set, to_unset)
    after = vending.tags_after(current, to_set, to_unset)
    if wanted is not None:
        assert after == (wanted if purge else dict(current, **wanted))


def test_polls_back_off_from_one_to_ten_seconds():
    delays = vending.poll_delays()
    assert [next(delays) for _poll in range(7)] == [1, 2, 4, 8, 10, 10, 10]


# An account that exists -------------------------------------------------------------------

def test_existing_account_in_place_with_its_tags_changes_nothing(aws):
    start(aws, listed=[account_response(DELEGATED, email="other@example.com"), account_response(email="AWS-Payments@Example.COM")])
    existing(aws, PAYMENTS, {"team": "payments"})

    result = run(aws, desired())

    assert result == {
        "changed": False, "organization_id": ORG, "created": False, "actions": [], "create_account_request_id": None, "warnings": [],
        "account": account_result(email="AWS-Payments@Example.COM"),
        "diff": {"before": {"id": EXISTING, "name": "payments", "email": "AWS-Payments@Example.COM", "parent_id": PAYMENTS,
                            "tags": {"team": "payments"}},
                 "after": {"id": EXISTING, "name": "payments", "email": "AWS-Payments@Example.COM", "parent_id": PAYMENTS,
                           "tags": {"team": "payments"}}},
    }
    assert aws.calls == READS + ["organizations:ListParents", "organizations:ListTagsForResource"]


@needs_botocore_knowing("organizations", "Account", "Paths")
def test_existing_account_is_placed_by_its_paths_without_list_parents(aws):
    listed = dict(account_response(), Paths=[f"{ORG}/{ROOT}/ou-a1b2-workload/{PAYMENTS}/{EXISTING}/"])
    listed.pop("Status", None)
    start(aws, listed=[listed])
    aws.respond("organizations", "list_tags_for_resource", {"Tags": [{"Key": "team", "Value": "payments"}]}, ResourceId=EXISTING)

    result = run(aws, desired())

    assert (result["changed"], result["account"]) == (False, account_result())
    assert aws.calls == READS + ["organizations:ListTagsForResource"]


@pytest.mark.parametrize("check_mode", [False, True])
def test_existing_account_is_moved_and_tagged(aws, check_mode):
    start(aws, listed=[account_response()])
    existing(aws, SANDBOX, {"team": "ledger", "old": "x"})
    if not check_mode:
        aws.respond("organizations", "move_account", {}, AccountId=EXISTING, SourceParentId=SANDBOX, DestinationParentId=PAYMENTS)
        aws.respond("organizations", "untag_resource", {}, ResourceId=EXISTING, TagKeys=["old"])
        aws.respond("organizations", "tag_resource", {}, ResourceId=EXISTING,
                    Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "payments"}])

    result = run(aws, desired(tags={"team": "payments", "env": "prod"}), check_mode=check_mode)

    assert result["changed"] is True and result["created"] is False
    assert result["actions"] == [f"organizations:MoveAccount({SANDBOX} -> {PAYMENTS})", "organizations:UntagResource(old)",
                                 "organizations:TagResource(env, team)"]
    assert result["account"] == account_result(tags={"env": "prod", "team": "payments"})
    assert result["diff"]["before"]["parent_id"] == SANDBOX and result["diff"]["before"]["tags"] == {"old": "x", "team": "ledger"}
    writes = [] if check_mode else ["organizations:MoveAccount", "organizations:UntagResource", "organizations:TagResource"]
    assert aws.calls == READS + ["organizations:ListParents", "organizations:ListTagsForResource"] + writes


def test_existing_account_keeps_other_tags_without_purge_and_stays_put_without_parent(aws):
    start(aws, parent_id=None, listed=[account_response()])
    existing(aws, SANDBOX, {"old": "x"})
    aws.respond("organizations", "tag_resource", {}, ResourceId=EXISTING, Tags=[{"Key": "team", "Value": "payments"}])

    result = run(aws, desired(parent_id=None, purge_tags=False))

    assert result["actions"] == ["organizations:TagResource(team)"]
    assert result["account"]["parent_id"] == SANDBOX
    assert result["account"]["tags"] == {"old": "x", "team": "payments"}


def test_existing_account_tags_are_left_alone_without_tags(aws):
    start(aws, listed=[account_response()])
    existing(aws, PAYMENTS, {"old": "x"})
    result = run(aws, desired(tags=None))
    assert (result["changed"], result["account"]["tags"]) == (False, {"old": "x"})


def test_existing_account_with_another_name_is_not_renamed(aws):
    start(aws, listed=[account_response(name="Payments (old)")])
    existing(aws, PAYMENTS, {"team": "payments"})
    result = run(aws, desired())
    assert result["changed"] is False
    assert result["account"]["name"] == "Payments (old)"
    assert result["warnings"] == [f"name: account {EXISTING} with email {EMAIL} is named 'Payments (old)', not 'payments'; "
                                  "this module does not rename accounts, so it keeps its name."]


def test_existing_account_is_found_on_a_later_page(aws):
    aws.caller()
    aws.respond("organizations", "list_roots", {"Roots": [{"Id": ROOT}]})
    aws.respond("organizations", "list_accounts", {"Accounts": [], "NextToken": "t1"})
    aws.respond("organizations", "list_accounts", {"Accounts": [account_response()]}, NextToken="t1")
    existing(aws, ROOT, {})
    result = run(aws, desired(parent_id=None, tags=None))
    assert result["account"]["id"] == EXISTING and result["changed"] is False


@pytest.mark.parametrize("state", ["SUSPENDED", "PENDING_CLOSURE", "CLOSED"])
def test_an_email_of_a_closed_account_is_a_conflict(aws, state):
    start(aws, listed=[account_response(state=state)])
    with pytest.raises(errors.Conflict) as excinfo:
        run(aws, desired())
    assert excinfo.value.message == (f"email: {EMAIL} is the address of account {EXISTING}, which is {state}; a closed or suspended "
                                     "account cannot be vended again. Use another address.")
    assert aws.writes() == []


def test_a_delegated_administrator_may_run_without_change_but_not_move(aws):
    start(aws, listed=[account_response()], caller=DELEGATED)
    existing(aws, PAYMENTS, {"team": "payments"})
    assert run(aws, desired())["changed"] is False

    start(aws, listed=[account_response()], caller=DELEGATED)
    existing(aws, SANDBOX, {"team": "payments"})
    with pytest.raises(errors.NotManagementAccount) as excinfo:
        run(aws, desired(), check_mode=True)
    assert excinfo.value.message == (f"Only the management account ({MANAGEMENT}) of organization {ORG} can move or tag account "
                                     f"{EXISTING}; the caller's account is {DELEGATED}.")
    assert aws.writes() == []


# The parent -------------------------------------------------------------------------------

@pytest.mark.parametrize("check_mode", [False, True])
def test_an_unknown_ou_is_not_found_before_anything_else(aws, check_mode):
    aws.caller()
    aws.respond("organizations", "list_roots", {"Roots": [{"Id": ROOT}]})
    aws.fail("organizations", "describe_organizational_unit", "OrganizationalUnitNotFoundException",
             "You specified an organizational unit that doesn't exist.", OrganizationalUnitId=SANDBOX)
    with pytest.raises(errors.NotFound) as excinfo:
        run(aws, desired(parent_id=SANDBOX), check_mode=check_mode)
    assert excinfo.value.message == f"parent_id: the organizational unit {SANDBOX} does not exist in organization {ORG}."
    assert excinfo.value.aws_error_code == "OrganizationalUnitNotFoundException"
    assert aws.calls == CALLER + ["organizations:ListRoots", "organizations:DescribeOrganizationalUnit"]


def test_a_root_id_that_is_not_the_root_is_not_found(aws):
    aws.caller()
    aws.respond("organizations", "list_roots", {"Roots": [{"Id": ROOT}]})
    with pytest.raises(errors.NotFound) as excinfo:
        run(aws, desired(parent_id="r-zz99"))
    assert excinfo.value.message == f"parent_id: r-zz99 is not the root of organization {ORG} ({ROOT})."
    assert aws.calls == CALLER + ["organizations:ListRoots"]


# A new account ----------------------------------------------------------------------------

CREATE_READS = READS + ["organizations:ListCreateAccountStatus"]


def test_a_new_account_is_created_polled_and_moved(aws):
    start(aws)
    no_request_in_progress(aws)
    aws.respond("organizations", "create_account", status(), Email=EMAIL, AccountName="payments", RoleName="VendingAdmin",
                IamUserAccessToBilling="DENY", Tags=[{"Key": "env", "Value": "prod"}, {"Key": "team", "Value": "payments"}])
    aws.respond("organizations", "describe_create_account_status", status(), CreateAccountRequestId=REQUEST)
    aws.respond("organizations", "describe_create_account_status", status("SUCCEEDED", AccountId=NEW), CreateAccountRequestId=REQUEST)
    aws.respond("organizations", "describe_account", {"Account": account_response(NEW)}, AccountId=NEW)
    aws.respond("organizations", "move_account", {}, AccountId=NEW, SourceParentId=ROOT, DestinationParentId=PAYMENTS)
    time = FakeTime()

    result = run(aws, desired(tags={"team": "payments", "env": "prod"}, role_name="VendingAdmin", iam_user_access_to_billing=False),
                 time=time)

    assert result == {
        "changed": True, "organization_id": ORG, "created": True, "create_account_request_id": REQUEST, "warnings": [],
        "actions": [f"organizations:CreateAccount(payments, {EMAIL})", f"organizations:MoveAccount({ROOT} -> {PAYMENTS})"],
        "account": account_result(NEW, tags={"env": "prod", "team": "payments"}),
        "diff": {"before": {}, "after": {"id": NEW, "name": "payments", "email": EMAIL, "parent_id": PAYMENTS,
                                         "tags": {"env": "prod", "team": "payments"}}},
    }
    assert time.sleeps == [1, 2]
    assert aws.calls == CREATE_READS + ["organizations:CreateAccount", "organizations:DescribeCreateAccountStatus",
                                        "organizations:DescribeCreateAccountStatus", "organizations:DescribeAccount",
                                        "organizations:MoveAccount"]


def test_a_new_account_in_the_root_is_not_moved_and_a_finished_request_is_not_polled(aws):
    start(aws, parent_id=None)
    no_request_in_progress(aws)
    aws.respond("organizations", "create_account", status("SUCCEEDED", AccountId=NEW), Email=EMAIL, AccountName="payments")
    aws.respond("organizations", "describe_account", {"Account": account_response(NEW)}, AccountId=NEW)
    time = FakeTime()

    result = run(aws, desired(parent_id=None, tags=None), time=time)

    assert result["actions"] == [f"organizations:CreateAccount(payments, {EMAIL})"]
    assert result["account"] == account_result(NEW, parent_id=ROOT, tags={})
    assert time.sleeps == []


def test_check_mode_says_what_would_be_created_and_writes_nothing(aws):
    start(aws)
    no_request_in_progress(aws)
    time = FakeTime()

    result = run(aws, desired(), check_mode=True, time=time)

    assert result["changed"] is True and result["created"] is True
    assert result["actions"] == [f"organizations:CreateAccount(payments, {EMAIL})", f"organizations:MoveAccount({ROOT} -> {PAYMENTS})"]
    assert result["account"] == {"id": None, "arn": None, "name": "payments", "email": EMAIL, "state": None, "joined_method": None,
                                 "joined_timestamp": None, "parent_id": PAYMENTS, "tags": {"team": "payments"}}
    assert result["create_account_request_id"] is None
    assert aws.calls == CREATE_READS and aws.writes() == [] and time.sleeps == []


@pytest.mark.parametrize("reason, hint", [
    ("EMAIL_ALREADY_EXISTS", "belongs to another AWS account"),
    ("CONCURRENT_ACCOUNT_MODIFICATION", "no account of the organization has this email address"),
    ("ACCOUNT_LIMIT_EXCEEDED", "quota of accounts"),
    ("INTERNAL_FAILURE", "run the task again"),
    ("MISSING_PAYMENT_INSTRUMENT", "payment method"),
    ("SOMETHING_NEW", "failure reason"),
])
def test_a_failed_request_is_an_error_with_the_failure_reason(aws, reason, hint):
    start(aws)
    no_request_in_progress(aws)
    aws.respond("organizations", "create_account", status(), Email=EMAIL, AccountName="payments",
                Tags=[{"Key": "team", "Value": "payments"}])
    aws.respond("organizations", "describe_create_account_status", status("FAILED", FailureReason=reason), CreateAccountRequestId=REQUEST)
    race = reason in vending.RACE_REASONS
    if race:  # no other request for the name, and still no account of the organization with the address
        no_request_in_progress(aws)
        aws.respond("organizations", "list_accounts", {"Accounts": [account_response(EXISTING, email="someone-else@example.com")]})

    with pytest.raises(errors.AccountCreationFailed) as excinfo:
        run(aws, desired())

    error = excinfo.value
    assert error.message.startswith(f"AWS could not create the account 'payments' ({EMAIL}): {reason}. ")
    assert hint in error.message and error.message.endswith(f"[CreateAccount request {REQUEST}]")
    assert error.as_dict() == {"error_class": "account_creation_failed", "message": error.message, "aws_error_code": reason,
                               "operation": "DescribeCreateAccountStatus", "failure_reason": reason, "create_account_request_id": REQUEST}
    assert aws.writes() == ["organizations:CreateAccount"]
    if race:
        assert aws.calls[-2:] == ["organizations:ListCreateAccountStatus", "organizations:ListAccounts"]


def test_polling_is_bounded_by_wait_timeout(aws):
    start(aws)
    no_request_in_progress(aws)
    aws.respond("organizations", "create_account", status(), Email=EMAIL, AccountName="payments",
                Tags=[{"Key": "team", "Value": "payments"}])
    for _poll in range(9):
        aws.respond("organizations", "describe_create_account_status", status(), CreateAccountRequestId=REQUEST)
    time = FakeTime()

    with pytest.raises(errors.WaitTimeout) as excinfo:
        run(aws, desired(wait_timeout=60), time=time)

    assert time.sleeps == [1, 2, 4, 8, 10, 10, 10, 10, 5]
    assert time.now == 1060
    assert aws.calls.count("organizations:DescribeCreateAccountStatus") == 9
    assert excinfo.value.message.startswith(f"wait_timeout: the CreateAccount request {REQUEST} for account name 'payments' is still "
                                            "IN_PROGRESS after 60 seconds.")
    assert "run the task again, and it waits for this request" in excinfo.value.message
    assert excinfo.value.as_dict()["error_class"] == "timeout"
    assert excinfo.value.as_dict()["create_account_request_id"] == REQUEST


# A request left in progress -----------------------------------------------------------------

def test_a_request_in_progress_for_the_name_is_waited_for_instead_of_creating_twice(aws):
    start(aws)
    no_request_in_progress(aws, status()["CreateAccountStatus"])
    aws.respond("organizations", "describe_create_account_status", status("SUCCEEDED", AccountId=NEW), CreateAccountRequestId=REQUEST)
    aws.respond("organizations", "describe_account", {"Account": account_response(NEW, email=EMAIL.upper())}, AccountId=NEW)
    existing(aws, ROOT, {}, account_id=NEW)
    aws.respond("organizations", "move_account", {}, AccountId=NEW, SourceParentId=ROOT, DestinationParentId=PAYMENTS)
    aws.respond("organizations", "tag_resource", {}, ResourceId=NEW, Tags=[{"Key": "team", "Value": "payments"}])
    time = FakeTime()

    result = run(aws, desired(), time=time)

    assert "organizations:CreateAccount" not in aws.calls
    # Another request made the account: this run waited for it, then placed and tagged it - it did not create it.
    assert result["create_account_request_id"] == REQUEST and result["created"] is False
    assert result["actions"] == [f"organizations:MoveAccount({ROOT} -> {PAYMENTS})", "organizations:TagResource(team)"]
    assert result["changed"] is True and result["warnings"] == []
    assert result["account"] == account_result(NEW, email=EMAIL.upper())
    assert time.sleeps == [1]


def test_an_account_made_by_a_request_waited_for_and_already_in_place_is_no_change(aws):
    start(aws)
    no_request_in_progress(aws, status()["CreateAccountStatus"])
    aws.respond("organizations", "describe_create_account_status", status("SUCCEEDED", AccountId=NEW), CreateAccountRequestId=REQUEST)
    aws.respond("organizations", "describe_account", {"Account": account_response(NEW)}, AccountId=NEW)
    existing(aws, PAYMENTS, {"team": "payments"}, account_id=NEW)

    result = run(aws, desired())

    assert (result["changed"], result["created"], result["actions"]) == (False, False, [])
    assert result["create_account_request_id"] == REQUEST and result["account"] == account_result(NEW)
    assert aws.writes() == []


def test_a_request_in_progress_is_not_waited_for_in_check_mode(aws):
    start(aws)
    no_request_in_progress(aws, status(name="other")["CreateAccountStatus"], status()["CreateAccountStatus"])
    result = run(aws, desired(), check_mode=True)
    assert result["actions"] == [f"organizations:MoveAccount({ROOT} -> {PAYMENTS})"]
    assert (result["created"], result["create_account_request_id"], result["account"]["id"]) == (False, REQUEST, None)
    assert aws.calls == CREATE_READS


@pytest.mark.parametrize("outcome", ["another_email", "failed"])
def test_a_request_in_progress_for_another_address_or_that_fails_leads_to_a_new_request(aws, outcome):
    start(aws, parent_id=None)
    no_request_in_progress(aws, status()["CreateAccountStatus"])
    if outcome == "failed":
        aws.respond("organizations", "describe_create_account_status", status("FAILED", FailureReason="INTERNAL_FAILURE"),
                    CreateAccountRequestId=REQUEST)
    else:
        aws.respond("organizations", "describe_create_account_status", status("SUCCEEDED", AccountId=EXISTING), CreateAccountRequestId=REQUEST)
        aws.respond("organizations", "describe_account", {"Account": account_response(email="someone-else@example.com")}, AccountId=EXISTING)
    aws.respond("organizations", "create_account", status("SUCCEEDED", request_id="car-zzzzzzzz9", AccountId=NEW),
                Email=EMAIL, AccountName="payments")
    aws.respond("organizations", "describe_account", {"Account": account_response(NEW)}, AccountId=NEW)

    result = run(aws, desired(parent_id=None, tags=None))

    assert result["create_account_request_id"] == "car-zzzzzzzz9"
    assert result["account"]["id"] == NEW
    assert aws.writes() == ["organizations:CreateAccount"]


def test_a_request_that_lost_a_race_waits_for_the_winner_and_takes_its_account(aws):
    """Two runs asked at once: this run's request FAILED with CONCURRENT_ACCOUNT_MODIFICATION while the other
    run's request for the same name is still in progress."""
    start(aws)
    no_request_in_progress(aws)
    aws.respond("organizations", "create_account", status(), Email=EMAIL, AccountName="payments", Tags=[{"Key": "team", "Value": "payments"}])
    aws.respond("organizations", "describe_create_account_status", status("FAILED", FailureReason="CONCURRENT_ACCOUNT_MODIFICATION"),
                CreateAccountRequestId=REQUEST)
    other = "car-0ther0000000"
    no_request_in_progress(aws, status(request_id=other)["CreateAccountStatus"])
    aws.respond("organizations", "describe_create_account_status", status("SUCCEEDED", request_id=other, AccountId=NEW),
                CreateAccountRequestId=other)
    aws.respond("organizations", "describe_account", {"Account": account_response(NEW)}, AccountId=NEW)
    existing(aws, PAYMENTS, {"team": "payments"}, account_id=NEW)
    time = FakeTime()

    result = run(aws, desired(), time=time)

    assert (result["changed"], result["created"], result["actions"]) == (False, False, [])
    assert result["account"] == account_result(NEW) and result["create_account_request_id"] == other
    assert result["warnings"] == [
        f"email: this task's CreateAccount request {REQUEST} failed with CONCURRENT_ACCOUNT_MODIFICATION because another request "
        f"created account {NEW} with this email address at the same time (another run vending it?); this task placed and tagged "
        "that account, and did not create it."]
    assert aws.writes() == ["organizations:CreateAccount"]
    assert time.sleeps == [1, 1]  # a poll of this run's request, then one of the other's


def test_a_request_that_found_the_address_just_taken_in_the_organization_takes_that_account(aws):
    """The other run's account appeared between this run's ListAccounts and its CreateAccount: EMAIL_ALREADY_EXISTS."""
    start(aws)
    no_request_in_progress(aws)
    aws.respond("organizations", "create_account", status("FAILED", FailureReason="EMAIL_ALREADY_EXISTS"), Email=EMAIL,
                AccountName="payments", Tags=[{"Key": "team", "Value": "payments"}])
    no_request_in_progress(aws)
    aws.respond("organizations", "list_accounts", {"Accounts": [account_response(NEW, email=EMAIL.upper())]})
    existing(aws, ROOT, {"team": "payments"}, account_id=NEW)
    aws.respond("organizations", "move_account", {}, AccountId=NEW, SourceParentId=ROOT, DestinationParentId=PAYMENTS)

    result = run(aws, desired())

    assert (result["changed"], result["created"]) == (True, False)
    assert result["actions"] == [f"organizations:MoveAccount({ROOT} -> {PAYMENTS})"]
    assert result["account"] == account_result(NEW, email=EMAIL.upper()) and result["create_account_request_id"] == REQUEST
    assert result["warnings"][0].startswith(f"email: this task's CreateAccount request {REQUEST} failed with EMAIL_ALREADY_EXISTS "
                                            f"because another request created account {NEW}")
    assert aws.writes() == ["organizations:CreateAccount", "organizations:MoveAccount"]


@pytest.mark.parametrize("code", ["DuplicateAccountException", "SourceParentNotFoundException"])
def test_a_move_another_run_made_first_is_not_this_runs_change(aws, code):
    start(aws, listed=[account_response()])
    existing(aws, ROOT, {"team": "payments"})
    aws.fail("organizations", "move_account", code, "moved meanwhile", AccountId=EXISTING, SourceParentId=ROOT, DestinationParentId=PAYMENTS)
    aws.respond("organizations", "list_parents", {"Parents": [{"Id": PAYMENTS, "Type": "ORGANIZATIONAL_UNIT"}]}, ChildId=EXISTING)

    result = run(aws, desired())

    assert (result["changed"], result["actions"]) == (False, [])
    assert result["account"]["parent_id"] == PAYMENTS


def test_a_move_that_fails_for_another_reason_is_still_an_error(aws):
    start(aws, listed=[account_response()])
    existing(aws, ROOT, {"team": "payments"})
    aws.fail("organizations", "move_account", "SourceParentNotFoundException", "moved meanwhile", AccountId=EXISTING, SourceParentId=ROOT,
             DestinationParentId=PAYMENTS)
    aws.respond("organizations", "list_parents", {"Parents": [{"Id": SANDBOX, "Type": "ORGANIZATIONAL_UNIT"}]}, ChildId=EXISTING)

    with pytest.raises(errors.RootGuardError) as excinfo:
        run(aws, desired())
    assert excinfo.value.aws_error_code == "SourceParentNotFoundException"


def test_only_the_management_account_creates(aws):
    start(aws, caller=DELEGATED)
    with pytest.raises(errors.NotManagementAccount) as excinfo:
        run(aws, desired(), check_mode=True)
    assert "can create an account" in excinfo.value.message
    assert aws.calls == READS


# Against the in-process emulator -----------------------------------------------------------

def test_vending_against_the_emulator(emulator_factory):
    truth = seed(accounts=2, profile="none", trusted_access=True, features=["RootCredentialsManagement"])
    payments = next(ou["id"] for ou in truth["organizational_units"] if ou["name"] == "Payments")
    accounts_ext.configure(2)
    time = FakeTime()
    wanted = desired(parent_id=payments, tags={"team": "payments"})

    made = vending.ensure_account(emulator_factory, wanted, False, sleep=time.sleep, clock=time.clock)
    again = vending.ensure_account(emulator_factory, wanted, False, sleep=time.sleep, clock=time.clock)

    assert made["changed"] is True and again["changed"] is False and again["actions"] == []
    assert made["account"] == again["account"]
    assert (made["account"]["parent_id"], made["account"]["tags"]) == (payments, {"team": "payments"})
    assert time.sleeps == [1, 2, 4]  # two polls answered IN_PROGRESS, the third SUCCEEDED
    (request,) = accounts_ext.VENDING.describe()["requests"]
    assert (request["id"], request["account_id"]) == (made["create_account_request_id"], made["account"]["id"])
    assert root_user(made["account"]["id"]).describe()["has_credentials"] is False


def test_timeout_then_reuse_then_failure_against_the_emulator(emulator_factory):
    seed(accounts=1, profile="none")
    accounts_ext.configure(5)
    time = FakeTime()
    wanted = desired(parent_id=None, tags=None, wait_timeout=3)
    with pytest.raises(errors.WaitTimeout):
        vending.ensure_account(emulator_factory, wanted, False, sleep=time.sleep, clock=time.clock)
    resumed = vending.ensure_account(emulator_factory, desired(parent_id=None, tags=None), False, sleep=time.sleep, clock=time.clock)
    requests = accounts_ext.VENDING.describe()["requests"]
    assert len(requests) == 1 and resumed["create_account_request_id"] == requests[0]["id"] and resumed["created"] is False
    # created while RootCredentialsManagement was off: a root password that can be recovered
    assert root_user(resumed["account"]["id"]).describe()["password"] is True

    accounts_ext.configure(0)
    accounts_ext.fail_next("ACCOUNT_LIMIT_EXCEEDED", email="ledger@example.com")
    with pytest.raises(errors.AccountCreationFailed) as excinfo:
        vending.ensure_account(emulator_factory, desired(name="ledger", email="ledger@example.com", parent_id=None, tags=None), False,
                               sleep=time.sleep, clock=time.clock)
    assert excinfo.value.aws_error_code == "ACCOUNT_LIMIT_EXCEEDED"
