# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Account vending: find a member account by email or create it (CreateAccount is
asynchronous: the request is polled until it ends), place it in an OU and tag it.

Everything the module needs is read before the first write - the caller, the root, the
parent asked for, the accounts, and for a new account the create requests in progress -
so check mode reports what would happen, refusals included, without any write."""

from __future__ import annotations

import dataclasses
import time

from . import validation
from .errors import AccountCreationFailed, Conflict, NotFound, RootGuardError, WaitTimeout, is_code
from .clients import call, paginate
from .organizations import account_fields, account_tags, identify_caller, parent_ids_from_paths, read_as, require_management

DEFAULT_WAIT_TIMEOUT = 600
# Polls of DescribeCreateAccountStatus: the first after 1 s, then twice as long each time, at most 10 s apart.
FIRST_POLL_SECONDS = 1.0
MAX_POLL_SECONDS = 10.0

# The failure reasons of a CreateAccount request that may have lost a race with another request for the same account.
RACE_REASONS = ("CONCURRENT_ACCOUNT_MODIFICATION", "EMAIL_ALREADY_EXISTS")

# An existing account in another state cannot be vended again.
USABLE_STATES = ("ACTIVE", "PENDING_ACTIVATION")

ARGUMENT_SPEC = {
    "name": {"type": "str", "required": True},
    "email": {"type": "str", "required": True},
    "parent_id": {"type": "str"},
    "tags": {"type": "dict", "aliases": ["resource_tags"]},
    "purge_tags": {"type": "bool", "default": True},
    "role_name": {"type": "str"},
    "iam_user_access_to_billing": {"type": "bool"},
    "wait_timeout": {"type": "int", "default": DEFAULT_WAIT_TIMEOUT},
    "state": {"type": "str", "choices": ["present"], "default": "present"},
}

# CreateAccountStatus.FailureReason -> what it means and what to do (aws-api.md section 6).
_BUSINESS_VALIDATION = ("AWS has not completed the business validation of the management account; "
                        "check its status in the AWS Billing console or contact AWS Support.")
_PAYMENT = "The management account has no valid payment method; add one in the AWS Billing console."
FAILURE_REASON_TEXT = {
    "ACCOUNT_LIMIT_EXCEEDED": ("The organization has reached its quota of accounts. Close accounts it no longer needs, "
                               "or ask for a higher quota (Service Quotas, AWS Organizations)."),
    "EMAIL_ALREADY_EXISTS": ("The email address belongs to another AWS account, outside this organization or closed "
                             "(an account of the organization would have been found by its email). Use another address."),
    "INVALID_ADDRESS": "AWS refused the management account's address; correct it in the AWS Billing console.",
    "INVALID_EMAIL": "AWS refused the email address; use another one.",
    "CONCURRENT_ACCOUNT_MODIFICATION": ("A request with the same information was already in progress (AWS's words), and no account "
                                        "of the organization has this email address; run the task again."),
    "INTERNAL_FAILURE": "AWS failed internally; run the task again, and contact AWS Support if it keeps failing.",
    "GOVCLOUD_ACCOUNT_ALREADY_EXISTS": "An AWS GovCloud (US) account with this email address already exists.",
    "MISSING_BUSINESS_VALIDATION": _BUSINESS_VALIDATION,
    "FAILED_BUSINESS_VALIDATION": _BUSINESS_VALIDATION,
    "PENDING_BUSINESS_VALIDATION": _BUSINESS_VALIDATION,
    "INVALID_IDENTITY_FOR_BUSINESS_VALIDATION": _BUSINESS_VALIDATION,
    "UNKNOWN_BUSINESS_VALIDATION": _BUSINESS_VALIDATION,
    "MISSING_PAYMENT_INSTRUMENT": _PAYMENT,
    "INVALID_PAYMENT_INSTRUMENT": _PAYMENT,
    "UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED": (
        "AWS cannot apply these tags while updating the organization's resource policy; create the account without "
        "tags, then run the task again with them."
    ),
}


@dataclasses.dataclass(frozen=True)
class DesiredAccount:
    name: str
    email: str
    parent_id: str | None = None
    tags: dict | None = None  # None: the tags are left as they are
    purge_tags: bool = True
    role_name: str | None = None
    iam_user_access_to_billing: bool | None = None
    wait_timeout: int = DEFAULT_WAIT_TIMEOUT


def desired_from_params(params: dict) -> DesiredAccount:
    return DesiredAccount(
        name=validation.account_name(params.get("name")),
        email=validation.email(params.get("email")),
        parent_id=validation.parent_id(params.get("parent_id")),
        tags=validation.tags(params.get("tags")),
        purge_tags=bool(params.get("purge_tags", True)),
        role_name=validation.role_name(params.get("role_name")),
        iam_user_access_to_billing=params.get("iam_user_access_to_billing"),
        wait_timeout=validation.wait_timeout(params.get("wait_timeout", DEFAULT_WAIT_TIMEOUT)),
    )


# ---------------------------------------------------------------------------
# Plans (pure)


def plan_tags(current: dict, desired: dict | None, purge: bool) -> tuple:
    """(tags to set, tag keys to remove); nothing when ``desired`` is None (tags left as they are)."""
    if desired is None:
        return {}, []
    to_set = {key: value for key, value in desired.items() if current.get(key) != value}
    to_unset = sorted(key for key in current if key not in desired) if purge else []
    return to_set, to_unset


def tags_after(current: dict, to_set: dict, to_unset: list) -> dict:
    after = {key: value for key, value in current.items() if key not in to_unset}
    after.update(to_set)
    return dict(sorted(after.items()))


def poll_delays(first: float = FIRST_POLL_SECONDS, largest: float = MAX_POLL_SECONDS):
    """1, 2, 4, 8, 10, 10, ... seconds."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, largest)


# ---------------------------------------------------------------------------
# Reads


def root_id(orgs) -> str:
    return paginate(orgs, "list_roots", "Roots")[0]["Id"]


def require_parent(orgs, caller, root: str, wanted: str) -> None:
    """NotFound, before any write, when the parent asked for is not in the organization."""
    if validation.ROOT_ID.fullmatch(wanted):
        if wanted != root:
            raise NotFound(f"parent_id: {wanted} is not the root of organization {caller.organization_id} ({root}).")
        return
    try:
        call(orgs, "describe_organizational_unit", OrganizationalUnitId=wanted)
    except RootGuardError as error:
        if is_code(error, "OrganizationalUnitNotFoundException", "ParentNotFoundException"):
            raise NotFound(f"parent_id: the organizational unit {wanted} does not exist in organization {caller.organization_id}.",
                           error.aws_error_code, error.operation) from None
        raise


def find_by_email(orgs, address: str) -> dict | None:
    """The organization's account with this email address (compared case-insensitively), as ListAccounts gives it."""
    wanted = address.lower()
    for account in paginate(orgs, "list_accounts", "Accounts"):
        if str(account.get("Email", "")).lower() == wanted:
            return account
    return None


def parent_of(orgs, account_id: str) -> str:
    return paginate(orgs, "list_parents", "Parents", ChildId=account_id)[0]["Id"]


def request_in_progress(orgs, name: str) -> dict | None:
    """A CreateAccount request still IN_PROGRESS for this account name (one a run that timed out left)."""
    for status in paginate(orgs, "list_create_account_status", "CreateAccountStatuses", States=["IN_PROGRESS"]):
        if status.get("AccountName") == name:
            return status
    return None


# ---------------------------------------------------------------------------
# CreateAccount


def _create_params(desired: DesiredAccount) -> dict:
    params = {"Email": desired.email, "AccountName": desired.name}
    if desired.role_name is not None:
        params["RoleName"] = desired.role_name
    if desired.iam_user_access_to_billing is not None:
        params["IamUserAccessToBilling"] = "ALLOW" if desired.iam_user_access_to_billing else "DENY"
    if desired.tags:
        params["Tags"] = [{"Key": key, "Value": value} for key, value in sorted(desired.tags.items())]
    return params


def wait_for(orgs, status: dict, desired: DesiredAccount, sleep, clock) -> dict:
    """Poll DescribeCreateAccountStatus until the request is no longer IN_PROGRESS, at most
    ``desired.wait_timeout`` seconds; WaitTimeout after that."""
    deadline = clock() + desired.wait_timeout
    delays = poll_delays()
    while status.get("State") == "IN_PROGRESS":
        remaining = deadline - clock()
        if remaining <= 0:
            raise WaitTimeout(
                f"wait_timeout: the CreateAccount request {status['Id']} for account name {desired.name!r} is still IN_PROGRESS "
                f"after {desired.wait_timeout} seconds. AWS goes on creating the account: run the task again, and it waits for "
                "this request instead of creating the account twice.",
                status["Id"], "DescribeCreateAccountStatus",
            )
        sleep(min(next(delays), remaining))
        status = call(orgs, "describe_create_account_status", CreateAccountRequestId=status["Id"])["CreateAccountStatus"]
    return status


def creation_failed(status: dict, desired: DesiredAccount) -> AccountCreationFailed:
    reason = str(status.get("FailureReason") or "UNKNOWN")
    text = FAILURE_REASON_TEXT.get(reason, "See the AWS Organizations documentation for this failure reason.")
    return AccountCreationFailed(
        f"AWS could not create the account {desired.name!r} ({desired.email}): {reason}. {text} "
        f"[CreateAccount request {status.get('Id')}]",
        reason, status.get("Id"),
    )


# ---------------------------------------------------------------------------
# What the module does


def _planned_account(desired: DesiredAccount, parent: str) -> dict:
    return {"id": None, "arn": None, "name": desired.name, "email": desired.email, "state": None, "joined_method": None,
            "joined_timestamp": None, "parent_id": parent, "tags": dict(sorted((desired.tags or {}).items()))}


def _diff_view(account: dict | None) -> dict:
    if account is None:
        return {}
    return {key: account[key] for key in ("id", "name", "email", "parent_id", "tags")}


class _Vending:
    """One run of the module: the reads done so far and the actions planned or made."""

    def __init__(self, factory, desired: DesiredAccount, check_mode: bool, sleep, clock):
        self.desired = desired
        self.check_mode = check_mode
        self.sleep = sleep
        self.clock = clock
        self.caller = identify_caller(factory)
        self.orgs = factory.client("organizations")
        self.actions = []
        self.warnings = []
        self.request_id = None
        self.created = False
        self.root = None

    def read(self, function, *args):
        return read_as(self.caller, function, self.orgs, *args)

    def run(self) -> dict:
        self.root = self.read(root_id)
        if self.desired.parent_id is not None:
            self.read(require_parent, self.caller, self.root, self.desired.parent_id)
        existing = self.read(find_by_email, self.desired.email)
        if existing is not None:
            before = self.current(existing)
            return self.result(before, self.reconcile(before))
        return self.result(None, self.create())

    def current(self, listed: dict) -> dict:
        """An existing account as it is: its fields, parent and tags."""
        account = account_fields(listed)
        if account["state"] not in USABLE_STATES:
            raise Conflict(f"email: {self.desired.email} is the address of account {account['id']}, which is {account['state']}; "
                           "a closed or suspended account cannot be vended again. Use another address.")
        path = parent_ids_from_paths(listed, self.caller.organization_id)
        account["parent_id"] = path[-1] if path else self.read(parent_of, account["id"])
        account["tags"] = dict(sorted(self.read(account_tags, account["id"]).items()))
        if account["name"] != self.desired.name:
            self.warnings.append(
                f"name: account {account['id']} with email {account['email']} is named {account['name']!r}, not "
                f"{self.desired.name!r}; this module does not rename accounts, so it keeps its name."
            )
        return account

    def reconcile(self, account: dict) -> dict:
        """Move and tag an account that exists; returns it as it is (or would be) afterwards."""
        wanted_parent = self.desired.parent_id or account["parent_id"]
        to_set, to_unset = plan_tags(account["tags"], self.desired.tags, self.desired.purge_tags)
        steps = []
        if wanted_parent != account["parent_id"]:
            steps.append((f"organizations:MoveAccount({account['parent_id']} -> {wanted_parent})", "move_account",
                          {"AccountId": account["id"], "SourceParentId": account["parent_id"], "DestinationParentId": wanted_parent}))
        if to_unset:
            steps.append((f"organizations:UntagResource({', '.join(to_unset)})", "untag_resource",
                          {"ResourceId": account["id"], "TagKeys": to_unset}))
        if to_set:
            steps.append((f"organizations:TagResource({', '.join(sorted(to_set))})", "tag_resource",
                          {"ResourceId": account["id"], "Tags": [{"Key": key, "Value": value} for key, value in sorted(to_set.items())]}))
        if steps:
            require_management(self.caller, f"move or tag account {account['id']}")
        for action, operation, params in steps:
            if self.check_mode or self.make(operation, params):
                self.actions.append(action)
        return dict(account, parent_id=wanted_parent, tags=tags_after(account["tags"], to_set, to_unset))

    def make(self, operation: str, params: dict) -> bool:
        """Make one change; False when another run made it first (the account is already where it is moved to)."""
        try:
            call(self.orgs, operation, **params)
        except RootGuardError as error:
            if (operation == "move_account" and is_code(error, "DuplicateAccountException", "SourceParentNotFoundException")
                    and self.read(parent_of, params["AccountId"]) == params["DestinationParentId"]):
                return False
            raise
        return True

    def create(self) -> dict:
        """Wait for a request in progress for the same name, else CreateAccount and wait; then place the account.

        Only an account that this run's own CreateAccount made counts as created by it: one that another
        request made (an earlier run's, or a concurrent run's) is placed and tagged as an existing account."""
        require_management(self.caller, "create an account")
        wanted_parent = self.desired.parent_id or self.root
        pending = self.read(request_in_progress, self.desired.name)
        if pending is not None:
            self.request_id = pending["Id"]
            if self.check_mode:
                return self.planned(wanted_parent)
            account = self.account_of_request(pending)
            if account is not None:
                return account
            # That request was for another address, or it failed: ask for this account now.
        create_action = f"organizations:CreateAccount({self.desired.name}, {self.desired.email})"
        if self.check_mode:
            self.created = True
            self.actions.append(create_action)
            return self.planned(wanted_parent)
        status = call(self.orgs, "create_account", **_create_params(self.desired))["CreateAccountStatus"]
        self.request_id = status["Id"]
        status = wait_for(self.orgs, status, self.desired, self.sleep, self.clock)
        if status["State"] != "SUCCEEDED":
            account = self.account_of_a_concurrent_request(status) if status.get("FailureReason") in RACE_REASONS else None
            if account is None:
                raise creation_failed(status, self.desired)
            return account
        self.created = True
        self.actions.append(create_action)
        # A new account starts in the root, with the tags CreateAccount was given: only a move may be left to do.
        account = account_fields(call(self.orgs, "describe_account", AccountId=status["AccountId"])["Account"])
        account.update(parent_id=self.root, tags=dict(sorted((self.desired.tags or {}).items())))
        return self.reconcile(account)

    def account_of_request(self, pending: dict) -> dict | None:
        """Wait for another CreateAccount request for this name; the account it made with this email address,
        placed and tagged, or None when it failed or made an account with another address."""
        status = wait_for(self.orgs, pending, self.desired, self.sleep, self.clock)
        if status["State"] != "SUCCEEDED":
            return None
        listed = call(self.orgs, "describe_account", AccountId=status["AccountId"])["Account"]
        if str(listed.get("Email", "")).lower() != self.desired.email.lower():
            return None
        return self.reconcile(self.current(listed))

    def account_of_a_concurrent_request(self, failed: dict) -> dict | None:
        """After this run's request FAILED with CONCURRENT_ACCOUNT_MODIFICATION or EMAIL_ALREADY_EXISTS: the account
        that another request made meanwhile with this email address (waiting for it when it is still in progress),
        placed and tagged; None when the organization has no such account."""
        account = None
        pending = self.read(request_in_progress, self.desired.name)
        if pending is not None and pending["Id"] != failed["Id"]:
            self.request_id = pending["Id"]
            account = self.account_of_request(pending)
        if account is None:
            listed = self.read(find_by_email, self.desired.email)
            if listed is None:
                return None
            account = self.reconcile(self.current(listed))
        self.warnings.insert(0, (
            f"email: this task's CreateAccount request {failed['Id']} failed with {failed['FailureReason']} because another request "
            f"created account {account['id']} with this email address at the same time (another run vending it?); this task "
            "placed and tagged that account, and did not create it."
        ))
        return account

    def planned(self, wanted_parent: str) -> dict:
        """Check mode, for an account that does not exist yet: it would start in the root, then move."""
        if wanted_parent != self.root:
            self.actions.append(f"organizations:MoveAccount({self.root} -> {wanted_parent})")
        return _planned_account(self.desired, wanted_parent)

    def result(self, before: dict | None, after: dict) -> dict:
        return {
            "changed": bool(self.actions),
            "organization_id": self.caller.organization_id,
            "account": after,
            "created": self.created,
            "actions": self.actions,
            "create_account_request_id": self.request_id,
            "warnings": self.warnings,
            "diff": {"before": _diff_view(before), "after": _diff_view(after)},
        }


def ensure_account(factory, desired: DesiredAccount, check_mode: bool, sleep=time.sleep, clock=time.monotonic) -> dict:
    """Find the account by email or create it, then place and tag it as ``desired`` says.

    ``sleep`` and ``clock`` are the waits between polls and the clock that bounds them
    (``desired.wait_timeout``); tests pass fakes."""
    return _Vending(factory, desired, check_mode, sleep, clock).run()


# ---------------------------------------------------------------------------
# The modules' service functions: (factory, params, check_mode) -> the task's result


def organizations_account(factory, params: dict, check_mode: bool) -> dict:
    return ensure_account(factory, desired_from_params(params), check_mode)
