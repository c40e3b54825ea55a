# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one place where AWS errors become the collection's user-facing error classes.

Every failure a module reports carries an ``error_class`` (a stable, machine-readable
name), a message that says what is wrong and what to do, and, when AWS answered, the
AWS error code and the operation.  No message ever includes request parameters, so no
credential can leak through an error."""

from __future__ import annotations

import re

try:
    import botocore.exceptions
except ImportError:  # pragma: no cover - AnsibleAWSModule reports the missing SDK
    pass


class RootGuardError(Exception):
    """Base class: ``error_class`` names the kind of failure for results and reports."""

    error_class = "aws_error"

    def __init__(self, message: str, aws_error_code: str | None = None, operation: str | None = None):
        super().__init__(message)
        self.message = message
        self.aws_error_code = aws_error_code
        self.operation = operation

    def as_dict(self) -> dict:
        return {
            "error_class": self.error_class,
            "message": self.message,
            "aws_error_code": self.aws_error_code,
            "operation": self.operation,
        }


class InvalidInput(RootGuardError):
    """Bad module input, found before any API call (or refused by AWS as invalid)."""

    error_class = "invalid_input"


class OrganizationNotFound(RootGuardError):
    error_class = "organization_not_found"


class OrganizationNotAllFeatures(RootGuardError):
    error_class = "organization_not_all_features"


class TrustedAccessMissing(RootGuardError):
    error_class = "trusted_access_not_enabled"


class NotManagementOrDelegatedAdministrator(RootGuardError):
    error_class = "not_management_or_delegated_administrator"


class NotManagementAccount(RootGuardError):
    error_class = "not_management_account"


class FeatureNotEnabled(RootGuardError):
    error_class = "feature_not_enabled"


class DeniedBySCP(RootGuardError):
    error_class = "denied_by_scp"


class DeniedByRCP(RootGuardError):
    """A resource control policy of the resource's organization denies the call, whoever makes it (root sessions
    included); the message keeps the policy's ARN when AWS names it."""

    error_class = "denied_by_rcp"


class AccessDenied(RootGuardError):
    error_class = "access_denied"


class CannotReadGuardrails(AccessDenied):
    """The caller may not read the organization's SCPs or RCPs (ListPolicies, DescribePolicy,
    ListTargetsForPolicy), so which root tasks they allow cannot be told."""

    error_class = "cannot_read_guardrails"


class Throttled(RootGuardError):
    error_class = "throttled"


class SessionExpired(RootGuardError):
    error_class = "session_expired"


class NotFound(RootGuardError):
    error_class = "not_found"


class Conflict(RootGuardError):
    error_class = "conflict"


class ServiceUnavailable(RootGuardError):
    error_class = "service_error"


class EndpointError(RootGuardError):
    error_class = "endpoint_error"


class RegionDisabled(RootGuardError):
    error_class = "region_disabled"


class CredentialsError(RootGuardError):
    error_class = "no_credentials"


class BackupFailed(RootGuardError):
    """The backup of a policy could not be written; the policy was not changed."""

    error_class = "backup_failed"


class AccountCreationFailed(RootGuardError):
    """A CreateAccount request that ended FAILED: ``aws_error_code`` (and ``failure_reason``)
    is the request's FailureReason, such as EMAIL_ALREADY_EXISTS."""

    error_class = "account_creation_failed"

    def __init__(self, message: str, failure_reason: str, request_id: str, operation: str = "DescribeCreateAccountStatus"):
        super().__init__(message, failure_reason, operation)
        self.create_account_request_id = request_id

    def as_dict(self) -> dict:
        return dict(super().as_dict(), failure_reason=self.aws_error_code, create_account_request_id=self.create_account_request_id)


class WaitTimeout(RootGuardError):
    """An asynchronous AWS request still in progress when the module stopped waiting."""

    error_class = "timeout"

    def __init__(self, message: str, request_id: str | None = None, operation: str | None = None):
        super().__init__(message, None, operation)
        self.create_account_request_id = request_id

    def as_dict(self) -> dict:
        return dict(super().as_dict(), create_account_request_id=self.create_account_request_id)


TRUSTED_ACCESS_HINT = (
    "Enable it with rootguard.aws.organizations_service_access, or let rootguard.aws.iam_organizations_features "
    "do it (enable_trusted_access: true)."
)

# AWS error code without any "Exception" suffix -> (class, explanation).  The IAM
# organization-feature errors are sent with the suffix by every SDK model and
# documented without it, so codes are compared with the suffix stripped.
_NO_ORGANIZATION = (
    OrganizationNotFound,
    "The caller's account is not a member of an AWS organization. Centralized root access needs an organization "
    "with all features enabled: run this with credentials of its management account or of the IAM delegated administrator.",
)
_THROTTLED = (Throttled, "AWS kept throttling the request after every retry. Run again later or lower concurrency.")
_INTERNAL = (ServiceUnavailable, "AWS reported an internal error; run again.")
_INVALID = (InvalidInput, "AWS refused the input.")
_NO_QUEUE = (NotFound, "The queue does not exist.")

_BY_CODE = {
    "AWSOrganizationsNotInUse": _NO_ORGANIZATION,
    "OrganizationNotFound": _NO_ORGANIZATION,
    "OrganizationNotInAllFeaturesMode": (
        OrganizationNotAllFeatures,
        "The organization has only consolidated billing features. Centralized root access needs all features: "
        "enable them in AWS Organizations (Settings, Enable all features) first.",
    ),
    "ServiceAccessNotEnabled": (
        TrustedAccessMissing,
        "Trusted access for IAM (iam.amazonaws.com) is not enabled in the organization. " + TRUSTED_ACCESS_HINT,
    ),
    "AccountNotManagementOrDelegatedAdministrator": (
        NotManagementOrDelegatedAdministrator,
        "The caller's account is neither the organization's management account nor the IAM delegated administrator "
        "(iam.amazonaws.com). Use credentials from one of those accounts.",
    ),
    "CallerIsNotManagementAccount": (
        NotManagementAccount,
        "Only the organization's management account can enable root credentials management or root sessions; "
        "an IAM delegated administrator can read the features and disable them, not enable them.",
    ),
    "Throttling": _THROTTLED,
    "TooManyRequests": _THROTTLED,
    "RequestThrottled": _THROTTLED,
    "SlowDown": _THROTTLED,
    "ExpiredToken": (SessionExpired, "The credentials' session has expired. Refresh the credentials and run again."),
    "RegionDisabled": (
        RegionDisabled,
        "AWS STS is not activated in this Region for the account. Activate it in the IAM console (Account settings) "
        "or use another Region.",
    ),
    "AccountNotFound": (NotFound, "The account is not a member of the organization."),
    "ParentNotFound": (NotFound, "The parent (organizational unit or root) does not exist in the organization."),
    "ChildNotFound": (NotFound, "The account or organizational unit does not exist in the organization."),
    "NoSuchEntity": (NotFound, "The IAM entity does not exist."),
    "NoSuchBucket": (NotFound, "The bucket does not exist."),
    "NoSuchBucketPolicy": (NotFound, "The bucket has no policy."),
    "QueueDoesNotExist": _NO_QUEUE,
    "NonExistentQueue": _NO_QUEUE,
    "AccountAlreadyRegistered": (Conflict, "The account is already a delegated administrator for this service."),
    "AccountNotRegistered": (Conflict, "The account is not a delegated administrator for this service."),
    "ConcurrentModification": (Conflict, "Another request changed the same resource; AWS still refused after every retry."),
    "ServiceFailure": _INTERNAL,
    "Service": _INTERNAL,
    "InternalFailure": _INTERNAL,
    "ServiceUnavailable": _INTERNAL,
    "InvalidInput": _INVALID,
    "ValidationError": _INVALID,
    "InvalidParameterValue": _INVALID,
    "InvalidAction": (
        EndpointError,
        "The endpoint does not know this operation. AssumeRoot is only served by Regional STS endpoints.",
    ),
}

# ConstraintViolationException reasons with a class of their own.
_BY_REASON = {
    "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE": "OrganizationNotInAllFeaturesMode",
    "SERVICE_ACCESS_NOT_ENABLED": "ServiceAccessNotEnabled",
}

_REASON_TEXT = {
    "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR": "The management account cannot be a delegated administrator.",
    "CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR": "A suspended account cannot be a delegated administrator.",
    "DELEGATED_ADMINISTRATOR_EXISTS_FOR_THIS_SERVICE": "The service already has a delegated administrator.",
    "MAX_DELEGATED_ADMINISTRATORS_FOR_SERVICE_LIMIT_EXCEEDED": (
        "The service already has its maximum number of delegated administrators; deregister the current one first."
    ),
    "CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG": "A delegated administrator cannot leave or be removed from the organization.",
}


def error_code(error: Exception) -> str:
    """The AWS error code of a ClientError or a RootGuardError, without any ``Exception`` suffix ('' when none)."""
    if isinstance(error, RootGuardError):
        return _bare_code(error.aws_error_code or "")
    return response_code(getattr(error, "response", None))


def response_code(response: dict | None) -> str:
    """The error code of a parsed AWS response without any ``Exception`` suffix ('' when there is none)."""
    return _bare_code(str((response or {}).get("Error", {}).get("Code") or ""))


def _bare_code(code: str) -> str:
    if code.startswith("AWS.SimpleQueueService."):
        code = code[len("AWS.SimpleQueueService."):]
    return code[: -len("Exception")] if code.endswith("Exception") else code


def is_code(error: Exception, *codes: str) -> bool:
    """Whether ``error`` carries one of the AWS error ``codes`` (compared without the ``Exception`` suffix)."""
    return error_code(error) in {_bare_code(code) for code in codes}


def from_aws(error: Exception, operation: str | None = None) -> RootGuardError:
    """Turn a botocore exception into a RootGuardError with a clear message."""
    if isinstance(error, RootGuardError):
        return error
    if isinstance(error, botocore.exceptions.ClientError):
        return _from_client_error(error, operation or error.operation_name)
    if isinstance(error, botocore.exceptions.NoCredentialsError):
        return CredentialsError(
            "No AWS credentials were found: set access_key/secret_key (and session_token), a profile, "
            "or the AWS_* environment variables.",
            operation=operation,
        )
    if isinstance(error, (botocore.exceptions.EndpointConnectionError, botocore.exceptions.ConnectTimeoutError,
                          botocore.exceptions.ReadTimeoutError, botocore.exceptions.ConnectionClosedError)):
        return EndpointError(f"Could not reach AWS: {error}", operation=operation)
    if isinstance(error, botocore.exceptions.ParamValidationError):
        return InvalidInput(f"The request was refused before it was sent: {error}", operation=operation)
    return RootGuardError(f"{type(error).__name__}: {error}", operation=operation)


def _from_client_error(error: Exception, operation: str) -> RootGuardError:
    response = getattr(error, "response", {})
    details = response.get("Error", {})
    code = error_code(error)
    wire_code = str(details.get("Code") or "")
    aws_message = str(details.get("Message") or "").strip()
    reason = str(details.get("Reason") or response.get("Reason") or "")
    status = int(response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)
    suffix = f" [{operation}: {wire_code}{' ' + reason if reason else ''}: {aws_message}]" if aws_message else f" [{operation}: {wire_code}]"

    if code == "ConstraintViolation" and reason in _BY_REASON:
        code = _BY_REASON[reason]
    if code in ("AccessDenied", "AccessDeniedForDependency", "UnauthorizedOperation"):
        return _access_denied(aws_message, suffix, wire_code, operation)
    if code == "ConstraintViolation":
        text = _REASON_TEXT.get(reason, "AWS Organizations refused the change.")
        return Conflict(text + suffix, wire_code, operation)
    if code in _BY_CODE:
        cls, text = _BY_CODE[code]
        return cls(text + suffix, wire_code, operation)
    if status >= 500:
        cls, text = _INTERNAL
        return cls(text + suffix, wire_code, operation)
    return RootGuardError(f"AWS refused the request.{suffix}", wire_code, operation)


# The ARN AWS appends to an explicit deny in an SCP or RCP ("Enhanced access denied error messages with policy ARNs").
_POLICY_ARN = re.compile(r"arn:aws[a-z-]*:organizations::(?:\d{12}|aws):policy/[\w/.-]+")


def _access_denied(aws_message: str, suffix: str, wire_code: str, operation: str) -> RootGuardError:
    """AccessDenied by its cause, as AWS words it (IAM User Guide, "Access denied error message examples"): "... with
    an explicit deny in a service control policy" (or "because no service control policy allows ..."), "... in a
    resource control policy", "... in a session policy" (for a root session, its task policy)."""
    lowered = aws_message.lower()
    if "resource control policy" in lowered:
        policy = _POLICY_ARN.search(aws_message)
        return DeniedByRCP(
            f"A resource control policy{f' ({policy.group(0)})' if policy else ''} denies this action on the resource, whoever "
            "the caller (root sessions included). If the caller is a root session, exempt it in the RCP's statement with a "
            "condition on aws:AssumedRoot; rootguard.aws.root_task_guardrails_info names the statement." + suffix,
            wire_code,
            operation,
        )
    if "service control policy" in lowered:
        return DeniedBySCP(
            "A service control policy denies this action. If the caller is a root session, exempt it in the SCP "
            "with a condition on aws:AssumedRoot." + suffix,
            wire_code,
            operation,
        )
    if "session policy" in lowered:
        return AccessDenied("The session's task policy does not allow this action." + suffix, wire_code, operation)
    return AccessDenied(
        "Access denied: the caller's IAM policies, an SCP, or the organization's settings do not allow this action." + suffix,
        wire_code,
        operation,
    )
