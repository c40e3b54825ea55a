"""Account vending: CreateAccount as AWS runs it (asynchronously, with failure
reasons), and the root user a new account gets.

moto's CreateAccount is synchronous: the account exists when the call returns,
with State SUCCEEDED. Here a request is kept in this module's store instead and
answers IN_PROGRESS to the first ``in_progress_polls`` DescribeCreateAccountStatus
calls (0 by default: it completes at once, as in moto); the next poll completes
it - the account is created then, or the request FAILED with its FailureReason
(aws-api.md section 6: the CreateAccountStatus shape and the FailureReason enum).
A request FAILS with:

* a FailureReason injected through the control API for the next CreateAccount of
  an email address or account name (``fail_next``);
* CONCURRENT_ACCOUNT_MODIFICATION when a request of the organization for the same
  email address (compared case-insensitively) is still IN_PROGRESS: AWS's
  CreateAccountStatus documents this reason as "You already submitted a request
  with the same information". [ASSUMED: which information counts as the same is
  not documented; the email address, unique to an AWS account, is taken here.]
* EMAIL_ALREADY_EXISTS ("another AWS account with that email address already
  exists") when the email address is already that of an account of the
  organization - one created a moment ago by another request included - or is
  registered through the control API as the address of an AWS account outside it
  (``add_foreign_emails``).

ListCreateAccountStatus lists these requests with moto's own (seeded accounts),
filtered by ``States`` and paged by ``MaxResults`` (1-20). MoveAccount also
checks what AWS checks and moto does not: the account must be in
``SourceParentId`` (else SourceParentNotFoundException) and not already in
``DestinationParentId`` (DuplicateAccountException). Only requests made over the
wire go through this store; ``seed()`` calls moto's backend directly.

The root user of a new account - what is ASSUMED
------------------------------------------------
aws-api.md section 2.6 (RootCredentialsManagement): "Once enabled, new accounts
created through Organizations have no root credentials, and member accounts
cannot sign in as root or run password recovery (unless recovery is re-enabled
per account with IAMCreateRootUserPassword)". Section 4.2: re-allowing password
recovery is CreateLoginProfile in an IAMCreateRootUserPassword session, and "no
login profile" (GetLoginProfile -> NoSuchEntity) is read by real tools as "no
password / recovery disabled". So, as the IAMAuditRootUserCredentials audit sees it:

* created while RootCredentialsManagement is enabled (decided when CreateAccount
  is called): a root user with no credential at all - no login profile (password
  recovery off), no access key, signing certificate or MFA device. [VERIFIED
  against section 2.6's wording; the audit's view of it is the same shape as
  after a removal.]
* created while it is not enabled: a root user with a login profile - the audit
  sees a root password (GetLoginProfile answers, AccountPasswordPresent = 1) that
  can be recovered through the root email address - and no other credential.
  [ASSUMED: AWS documents no audit view of such an account. On real AWS its root
  user may have no password at all until someone runs password recovery, in
  which case GetLoginProfile would answer NoSuchEntity; what is sure is only that
  password recovery is possible, which is what this login profile stands for.]

Turning the feature on or off later changes nothing in existing accounts (as
in AWS: the feature does not remove credentials by itself).
"""

from __future__ import annotations

import dataclasses
import datetime
import json
import re
import threading
from typing import Any

import moto.organizations.utils as org_utils
from moto.organizations.exceptions import InvalidInputException, OrganizationsClientError
from moto.organizations.models import OrganizationsBackend
from moto.organizations.responses import OrganizationsResponse

from . import orgs
from .rootuser import root_user

FAILURE_REASONS = (
    "ACCOUNT_LIMIT_EXCEEDED", "EMAIL_ALREADY_EXISTS", "INVALID_ADDRESS", "INVALID_EMAIL", "CONCURRENT_ACCOUNT_MODIFICATION",
    "INTERNAL_FAILURE", "GOVCLOUD_ACCOUNT_ALREADY_EXISTS", "MISSING_BUSINESS_VALIDATION", "FAILED_BUSINESS_VALIDATION",
    "PENDING_BUSINESS_VALIDATION", "INVALID_IDENTITY_FOR_BUSINESS_VALIDATION", "UNKNOWN_BUSINESS_VALIDATION",
    "MISSING_PAYMENT_INSTRUMENT", "INVALID_PAYMENT_INSTRUMENT", "UPDATE_EXISTING_RESOURCE_POLICY_WITH_TAGS_NOT_SUPPORTED",
)
STATES = ("IN_PROGRESS", "SUCCEEDED", "FAILED")
EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
ACCOUNT_NAME = re.compile(r"[\u0020-\u007E]{1,50}")
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}")
MAX_RESULTS = 20
CREDENTIALS_FEATURE = "RootCredentialsManagement"

_lock = threading.RLock()


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


@dataclasses.dataclass
class CreateRequest:
    """One CreateAccount request and how it ends."""

    request_id: str
    management_account_id: str
    account_name: str
    email: str
    params: dict[str, Any]
    polls_left: int
    failure_reason: str | None
    root_credentials_management: bool
    requested: datetime.datetime = dataclasses.field(default_factory=_now)
    state: str = "IN_PROGRESS"
    completed: datetime.datetime | None = None
    account_id: str | None = None
    polls: int = 0

    def status(self) -> dict[str, Any]:
        """The CreateAccountStatus shape."""
        status: dict[str, Any] = {
            "Id": self.request_id,
            "AccountName": self.account_name,
            "State": self.state,
            "RequestedTimestamp": self.requested.timestamp(),
        }
        if self.completed is not None:
            status["CompletedTimestamp"] = self.completed.timestamp()
        if self.account_id:
            status["AccountId"] = self.account_id
        if self.failure_reason and self.state == "FAILED":
            status["FailureReason"] = self.failure_reason
        return status

    def describe(self) -> dict[str, Any]:
        """For the control API: the request and what it was decided to become."""
        return {
            "id": self.request_id,
            "management_account_id": self.management_account_id,
            "account_name": self.account_name,
            "email": self.email,
            "state": self.state,
            "account_id": self.account_id,
            "failure_reason": self.failure_reason if self.state == "FAILED" else None,
            "polls": self.polls,
            "polls_left": self.polls_left,
            "root_credentials_management_at_creation": self.root_credentials_management,
        }


@dataclasses.dataclass
class FailureRule:
    """The next ``times`` CreateAccount requests for this email (case-insensitive) or
    account name FAIL with ``reason``."""

    reason: str
    email: str | None = None
    name: str | None = None
    times: int = 1
    used: int = 0

    def matches(self, email: str, name: str) -> bool:
        if self.used >= self.times:
            return False
        if self.email is not None and self.email.lower() != email.lower():
            return False
        return self.name is None or self.name == name

    def describe(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


class VendingState:
    def __init__(self) -> None:
        self.in_progress_polls = 0
        self.requests: dict[str, CreateRequest] = {}
        self.failure_rules: list[FailureRule] = []
        self.foreign_emails: set[str] = set()

    def describe(self) -> dict[str, Any]:
        with _lock:
            return {
                "in_progress_polls": self.in_progress_polls,
                "foreign_emails": sorted(self.foreign_emails),
                "failure_rules": [rule.describe() for rule in self.failure_rules],
                "requests": [request.describe() for request in self.requests.values()],
            }


VENDING = VendingState()


# control ----------------------------------------------------------------------

def configure(in_progress_polls: int) -> dict[str, Any]:
    """How many DescribeCreateAccountStatus polls a new request answers IN_PROGRESS to."""
    if isinstance(in_progress_polls, bool) or not isinstance(in_progress_polls, int) or not 0 <= in_progress_polls <= 100000:
        raise ValueError("in_progress_polls must be an integer from 0 to 100000")
    with _lock:
        VENDING.in_progress_polls = in_progress_polls
    return VENDING.describe()


def fail_next(reason: str, email: str | None = None, name: str | None = None, times: int = 1) -> dict[str, Any]:
    """Make the next ``times`` CreateAccount requests for ``email`` or ``name`` FAIL with ``reason``."""
    if reason not in FAILURE_REASONS:
        raise ValueError(f"reason must be one of {', '.join(FAILURE_REASONS)}")
    if email is None and name is None:
        raise ValueError("give email or name")
    if isinstance(times, bool) or not isinstance(times, int) or times < 1:
        raise ValueError("times must be a positive integer")
    rule = FailureRule(reason=reason, email=email, name=name, times=times)
    with _lock:
        VENDING.failure_rules.append(rule)
    return rule.describe()


def add_foreign_emails(emails: list[str]) -> dict[str, Any]:
    """Email addresses of AWS accounts outside the organization: CreateAccount FAILS
    for them with EMAIL_ALREADY_EXISTS."""
    if isinstance(emails, str) or not all(isinstance(email, str) for email in emails):
        raise ValueError("emails must be a list of strings")
    with _lock:
        VENDING.foreign_emails.update(email.lower() for email in emails)
    return VENDING.describe()


def reset() -> None:
    with _lock:
        VENDING.__init__()  # type: ignore[misc]


# CreateAccount ------------------------------------------------------------------

def _invalid(message: str) -> InvalidInputException:
    error = InvalidInputException(message)
    error.reason = "INVALID_INPUT"  # serialized as the modeled Reason member
    return error


def _validate(params: dict[str, Any]) -> None:
    email = params.get("Email")
    if not isinstance(email, str) or not 6 <= len(email) <= 64 or not EMAIL.fullmatch(email):
        raise _invalid("You provided a value that does not match the required pattern for Email.")
    name = params.get("AccountName")
    if not isinstance(name, str) or not ACCOUNT_NAME.fullmatch(name):
        raise _invalid("You provided a value that does not match the required pattern for AccountName.")
    if "RoleName" in params and not ROLE_NAME.fullmatch(str(params["RoleName"])):
        raise _invalid("You provided a value that does not match the required pattern for RoleName.")
    if params.get("IamUserAccessToBilling", "ALLOW") not in ("ALLOW", "DENY"):
        raise _invalid("IamUserAccessToBilling must be ALLOW or DENY.")


def _failure_reason(backend: OrganizationsBackend, email: str, name: str) -> str | None:
    for rule in VENDING.failure_rules:
        if rule.matches(email, name):
            rule.used += 1
            return rule.reason
    if any(request.state == "IN_PROGRESS" and request.management_account_id == backend.account_id and request.email.lower() == email.lower()
           for request in VENDING.requests.values()):
        return "CONCURRENT_ACCOUNT_MODIFICATION"
    if email.lower() in VENDING.foreign_emails:
        return "EMAIL_ALREADY_EXISTS"
    if any(account.email.lower() == email.lower() for account in backend.accounts):
        return "EMAIL_ALREADY_EXISTS"
    return None


def _complete(backend: OrganizationsBackend, request: CreateRequest) -> None:
    """End a request: create the account with its root user, or fail it."""
    request.completed = _now()
    if request.failure_reason is None and any(account.email.lower() == request.email.lower() for account in backend.accounts):
        request.failure_reason = "EMAIL_ALREADY_EXISTS"  # another request took the address meanwhile
    if request.failure_reason is not None:
        request.state = "FAILED"
        return
    backend.create_account(**request.params)
    account = backend.accounts[-1]
    account.create_account_status_id = request.request_id
    request.account_id = account.id
    request.state = "SUCCEEDED"
    user = root_user(account.id)
    if not request.root_credentials_management:
        user.login_profile_created = request.completed


def create_account(self: OrganizationsResponse) -> str:
    backend = self.organizations_backend
    if backend.org is None:
        from moto.organizations.exceptions import AWSOrganizationsNotInUseException

        raise AWSOrganizationsNotInUseException
    params = {key: value for key, value in self.request_params.items()
              if key in ("Email", "AccountName", "RoleName", "IamUserAccessToBilling", "Tags")}
    _validate(params)
    with _lock:
        request = CreateRequest(
            request_id=org_utils.make_random_create_account_status_id(),
            management_account_id=backend.account_id,
            account_name=params["AccountName"],
            email=params["Email"],
            params=params,
            polls_left=VENDING.in_progress_polls,
            failure_reason=_failure_reason(backend, params["Email"], params["AccountName"]),
            root_credentials_management=CREDENTIALS_FEATURE in orgs.root_features(backend),
        )
        VENDING.requests[request.request_id] = request
        if request.polls_left == 0:
            _complete(backend, request)
        return json.dumps({"CreateAccountStatus": request.status()})


def _request(backend: OrganizationsBackend, request_id: str) -> CreateRequest | None:
    request = VENDING.requests.get(request_id)
    if request is None or request.management_account_id != backend.account_id:
        return None
    return request


def describe_create_account_status(self: OrganizationsResponse) -> str:
    backend = self.organizations_backend
    request_id = str(self._get_param("CreateAccountRequestId") or "")
    with _lock:
        request = _request(backend, request_id)
        if request is not None:
            request.polls += 1
            if request.state == "IN_PROGRESS":
                if request.polls_left > 0:
                    request.polls_left -= 1
                else:
                    _complete(backend, request)
            return json.dumps({"CreateAccountStatus": request.status()})
    account = next((account for account in backend.accounts if account.create_account_status_id == request_id), None)
    if account is None:
        raise OrganizationsClientError("CreateAccountStatusNotFoundException",
                                       "We can't find an create account request with the CreateAccountRequestId that you specified.")
    return json.dumps(account.create_account_status)


def list_create_account_status(self: OrganizationsResponse) -> str:
    backend = self.organizations_backend
    states = self._get_param("States") or list(STATES)
    max_results = self._get_param("MaxResults")
    if max_results is not None and not 1 <= int(max_results) <= MAX_RESULTS:
        raise _invalid(f"MaxResults must be between 1 and {MAX_RESULTS}.")
    with _lock:
        own = [request for request in VENDING.requests.values() if request.management_account_id == backend.account_id]
        ids = {request.request_id for request in own}
        statuses = [request.status() for request in own]
    statuses += [account.create_account_status["CreateAccountStatus"] for account in backend.accounts
                 if account.id != backend.account_id and account.create_account_status_id not in ids]
    statuses = sorted((status for status in statuses if status["State"] in states), key=lambda status: status["RequestedTimestamp"])
    token = self._get_param("NextToken")
    try:
        start = int(token) if token else 0
    except ValueError:
        error = InvalidInputException("You specified an invalid value for nextToken.")
        error.reason = "INVALID_NEXT_TOKEN"
        raise error from None
    size = int(max_results or MAX_RESULTS)
    page = statuses[start:start + size]
    body: dict[str, Any] = {"CreateAccountStatuses": page}
    if start + size < len(statuses):
        body["NextToken"] = str(start + size)
    return json.dumps(body)


_ORIGINAL_MOVE_ACCOUNT = OrganizationsBackend.move_account


def move_account(self: OrganizationsBackend, **kwargs: Any) -> None:
    """MoveAccount, refusing a source parent the account is not in and a move to where it is."""
    self.validate_parent_id(kwargs["DestinationParentId"])
    self.validate_parent_id(kwargs["SourceParentId"])
    account = self.get_account_by_id(kwargs["AccountId"])
    if account.parent_id != kwargs["SourceParentId"]:
        raise OrganizationsClientError("SourceParentNotFoundException",
                                       "You specified a source parent that doesn't exist or that the account is not in.")
    if account.parent_id == kwargs["DestinationParentId"]:
        raise OrganizationsClientError("DuplicateAccountException", "That account is already present in the specified destination.")
    return _ORIGINAL_MOVE_ACCOUNT(self, **kwargs)


# control API routes ---------------------------------------------------------------

PREFIX = "/moto-api/rootguard/account-vending"


def handle(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:  # pylint: disable=unused-argument
    """``GET account-vending``: settings, rules and requests; ``POST account-vending/settings``
    ({"in_progress_polls": N}); ``POST account-vending/failures`` ({"reason", "email" or
    "name", "times"}); ``POST account-vending/foreign-emails`` ({"emails": [...]})."""
    from urllib.parse import urlparse

    from .control import _body, _reply

    route = urlparse(full_url).path[len(PREFIX):].strip("/")
    try:
        if route == "" and request.method == "GET":
            return _reply(200, VENDING.describe())
        if route == "settings" and request.method == "POST":
            return _reply(200, configure(**_body(request)))
        if route == "failures" and request.method == "POST":
            return _reply(200, fail_next(**_body(request)))
        if route == "foreign-emails" and request.method == "POST":
            return _reply(200, add_foreign_emails(**_body(request)))
    except (TypeError, ValueError, KeyError) as error:
        return _reply(400, {"error": f"{type(error).__name__}: {error}"})
    return _reply(404, {"error": f"no route {request.method} {full_url}"})


def install() -> None:
    from moto.moto_api._internal import urls

    OrganizationsResponse.create_account = create_account
    OrganizationsResponse.describe_create_account_status = describe_create_account_status
    OrganizationsResponse.list_create_account_status = list_create_account_status
    OrganizationsBackend.move_account = move_account
    for route in ("", "/settings", "/failures", "/foreign-emails"):
        urls.url_paths.setdefault("{0}" + PREFIX + route + "$", handle)
