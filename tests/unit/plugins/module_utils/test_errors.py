# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""errors: every AWS error code the collection maps, the reasons, denials, SDK errors and codes."""

from __future__ import annotations

import botocore.exceptions
import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import errors

NOT_IN_ORG = ("The caller's account is not a member of an AWS organization. Centralized root access needs an organization with all "
              "features enabled: run this with credentials of its management account or of the IAM delegated administrator.")
THROTTLED = "AWS kept throttling the request after every retry. Run again later or lower concurrency."
INTERNAL = "AWS reported an internal error; run again."
REFUSED_INPUT = "AWS refused the input."
HINT = ("Enable it with rootguard.aws.organizations_service_access, or let rootguard.aws.iam_organizations_features "
        "do it (enable_trusted_access: true).")

# AWS error code (without the Exception suffix) -> (class, message before the AWS details)
MAPPED = {
    "AWSOrganizationsNotInUse": (errors.OrganizationNotFound, NOT_IN_ORG),
    "OrganizationNotFound": (errors.OrganizationNotFound, NOT_IN_ORG),
    "OrganizationNotInAllFeaturesMode": (
        errors.OrganizationNotAllFeatures,
        "The organization has only consolidated billing features. Centralized root access needs all features: "
        "enable them in AWS Organizations (Settings, Enable all features) first.",
    ),
    "ServiceAccessNotEnabled": (
        errors.TrustedAccessMissing, "Trusted access for IAM (iam.amazonaws.com) is not enabled in the organization. " + HINT,
    ),
    "AccountNotManagementOrDelegatedAdministrator": (
        errors.NotManagementOrDelegatedAdministrator,
        "The caller's account is neither the organization's management account nor the IAM delegated administrator "
        "(iam.amazonaws.com). Use credentials from one of those accounts.",
    ),
    "CallerIsNotManagementAccount": (
        errors.NotManagementAccount,
        "Only the organization's management account can enable root credentials management or root sessions; "
        "an IAM delegated administrator can read the features and disable them, not enable them.",
    ),
    "Throttling": (errors.Throttled, THROTTLED),
    "TooManyRequests": (errors.Throttled, THROTTLED),
    "RequestThrottled": (errors.Throttled, THROTTLED),
    "SlowDown": (errors.Throttled, THROTTLED),
    "ExpiredToken": (errors.SessionExpired, "The credentials' session has expired. Refresh the credentials and run again."),
    "RegionDisabled": (
        errors.RegionDisabled,
        "AWS STS is not activated in this Region for the account. Activate it in the IAM console (Account settings) or use another Region.",
    ),
    "AccountNotFound": (errors.NotFound, "The account is not a member of the organization."),
    "ParentNotFound": (errors.NotFound, "The parent (organizational unit or root) does not exist in the organization."),
    "ChildNotFound": (errors.NotFound, "The account or organizational unit does not exist in the organization."),
    "NoSuchEntity": (errors.NotFound, "The IAM entity does not exist."),
    "AccountAlreadyRegistered": (errors.Conflict, "The account is already a delegated administrator for this service."),
    "AccountNotRegistered": (errors.Conflict, "The account is not a delegated administrator for this service."),
    "ConcurrentModification": (errors.Conflict, "Another request changed the same resource; AWS still refused after every retry."),
    "ServiceFailure": (errors.ServiceUnavailable, INTERNAL),
    "Service": (errors.ServiceUnavailable, INTERNAL),
    "InternalFailure": (errors.ServiceUnavailable, INTERNAL),
    "ServiceUnavailable": (errors.ServiceUnavailable, INTERNAL),
    "InvalidInput": (errors.InvalidInput, REFUSED_INPUT),
    "ValidationError": (errors.InvalidInput, REFUSED_INPUT),
    "InvalidParameterValue": (errors.InvalidInput, REFUSED_INPUT),
    "InvalidAction": (
        errors.EndpointError,
        "The endpoint does not know this operation. AssumeRoot is only served by Regional STS endpoints.",
    ),
}


def client_error(code: str, message: str = "", operation: str = "SomeOperation", status: int = 400, reason: str | None = None,
                 top_level_reason: str | None = None) -> botocore.exceptions.ClientError:
    response = {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}
    if reason is not None:
        response["Error"]["Reason"] = reason
    if top_level_reason is not None:
        response["Reason"] = top_level_reason
    return botocore.exceptions.ClientError(response, operation)


# Classes ---------------------------------------------------------------------------------

@pytest.mark.parametrize("cls, error_class", [
    (errors.RootGuardError, "aws_error"),
    (errors.InvalidInput, "invalid_input"),
    (errors.OrganizationNotFound, "organization_not_found"),
    (errors.OrganizationNotAllFeatures, "organization_not_all_features"),
    (errors.TrustedAccessMissing, "trusted_access_not_enabled"),
    (errors.NotManagementOrDelegatedAdministrator, "not_management_or_delegated_administrator"),
    (errors.NotManagementAccount, "not_management_account"),
    (errors.FeatureNotEnabled, "feature_not_enabled"),
    (errors.DeniedBySCP, "denied_by_scp"),
    (errors.DeniedByRCP, "denied_by_rcp"),
    (errors.AccessDenied, "access_denied"),
    (errors.Throttled, "throttled"),
    (errors.SessionExpired, "session_expired"),
    (errors.NotFound, "not_found"),
    (errors.Conflict, "conflict"),
    (errors.ServiceUnavailable, "service_error"),
    (errors.EndpointError, "endpoint_error"),
    (errors.CredentialsError, "no_credentials"),
])
def test_error_classes_and_as_dict(cls, error_class):
    error = cls("Something is wrong.", "SomeCodeException", "SomeOperation")
    assert isinstance(error, errors.RootGuardError)
    assert str(error) == "Something is wrong."
    assert error.as_dict() == {
        "error_class": error_class,
        "message": "Something is wrong.",
        "aws_error_code": "SomeCodeException",
        "operation": "SomeOperation",
    }


def test_as_dict_defaults():
    assert errors.NotFound("Gone.").as_dict() == {"error_class": "not_found", "message": "Gone.", "aws_error_code": None, "operation": None}


# from_aws: ClientError -------------------------------------------------------------------

@pytest.mark.parametrize("suffix", ["", "Exception"])
@pytest.mark.parametrize("code", sorted(MAPPED))
def test_mapped_codes_with_and_without_the_exception_suffix(code, suffix):
    cls, text = MAPPED[code]
    error = errors.from_aws(client_error(code + suffix, "What AWS said.", "DoThing"))
    assert error.__class__ is cls
    assert error.message == f"{text} [DoThing: {code}{suffix}: What AWS said.]"
    assert (error.aws_error_code, error.operation) == (code + suffix, "DoThing")


@pytest.mark.parametrize("code", ["TooManyRequestsException", "RequestThrottled", "ServiceAccessNotEnabledException", "AccountNotFound"])
def test_the_sqs_legacy_prefix_is_ignored(code):
    bare = code[:-len("Exception")] if code.endswith("Exception") else code
    error = errors.from_aws(client_error("AWS.SimpleQueueService." + code, "Queue says no.", "GetQueueAttributes"))
    assert error.__class__ is MAPPED[bare][0]
    assert error.aws_error_code == "AWS.SimpleQueueService." + code


def test_operation_defaults_to_the_client_errors_operation():
    error = errors.from_aws(client_error("NoSuchEntity", "The user with name x cannot be found.", "GetLoginProfile"))
    assert error.operation == "GetLoginProfile"
    assert error.message.endswith(" [GetLoginProfile: NoSuchEntity: The user with name x cannot be found.]")


def test_an_explicit_operation_wins():
    assert errors.from_aws(client_error("NoSuchEntity", "x", "GetLoginProfile"), "DeleteLoginProfile").operation == "DeleteLoginProfile"


def test_no_aws_message_leaves_only_operation_and_code():
    error = errors.from_aws(client_error("ThrottlingException", "", "ListUsers"))
    assert error.message == f"{THROTTLED} [ListUsers: ThrottlingException]"


def test_aws_message_is_stripped():
    assert errors.from_aws(client_error("NoSuchEntity", "  gone \n", "GetUser")).message.endswith("[GetUser: NoSuchEntity: gone]")


@pytest.mark.parametrize("where", ["error", "top_level"])
@pytest.mark.parametrize("reason, cls, text", [
    ("ORGANIZATION_NOT_IN_ALL_FEATURES_MODE", errors.OrganizationNotAllFeatures, MAPPED["OrganizationNotInAllFeaturesMode"][1]),
    ("SERVICE_ACCESS_NOT_ENABLED", errors.TrustedAccessMissing, MAPPED["ServiceAccessNotEnabled"][1]),
    ("CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR", errors.Conflict, "The management account cannot be a delegated administrator."),
    ("CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR", errors.Conflict, "A suspended account cannot be a delegated administrator."),
    ("DELEGATED_ADMINISTRATOR_EXISTS_FOR_THIS_SERVICE", errors.Conflict, "The service already has a delegated administrator."),
    ("MAX_DELEGATED_ADMINISTRATORS_FOR_SERVICE_LIMIT_EXCEEDED", errors.Conflict,
     "The service already has its maximum number of delegated administrators; deregister the current one first."),
    ("CANNOT_REMOVE_DELEGATED_ADMINISTRATOR_FROM_ORG", errors.Conflict,
     "A delegated administrator cannot leave or be removed from the organization."),
    ("ACCOUNT_NUMBER_LIMIT_EXCEEDED", errors.Conflict, "AWS Organizations refused the change."),
])
def test_constraint_violation_reasons(reason, cls, text, where):
    location = {"reason": reason} if where == "error" else {"top_level_reason": reason}
    error = errors.from_aws(client_error("ConstraintViolationException", "Constraint violated.", "RegisterDelegatedAdministrator", **location))
    assert error.__class__ is cls
    assert error.message == f"{text} [RegisterDelegatedAdministrator: ConstraintViolationException {reason}: Constraint violated.]"
    assert error.aws_error_code == "ConstraintViolationException"


def test_constraint_violation_without_reason():
    error = errors.from_aws(client_error("ConstraintViolationException", "No.", "EnableAWSServiceAccess"))
    assert error.__class__ is errors.Conflict
    assert error.message == "AWS Organizations refused the change. [EnableAWSServiceAccess: ConstraintViolationException: No.]"


@pytest.mark.parametrize("code", ["AccessDenied", "AccessDeniedException", "AccessDeniedForDependencyException", "UnauthorizedOperation"])
@pytest.mark.parametrize("aws_message, cls, text", [
    ("User: arn:aws:iam::123456789012:root is not authorized to perform: iam:ListUsers with an explicit deny in a service control policy",
     errors.DeniedBySCP,
     "A service control policy denies this action. If the caller is a root session, exempt it in the SCP with a condition on aws:AssumedRoot."),
    ("... WITH AN EXPLICIT DENY IN A SERVICE CONTROL POLICY", errors.DeniedBySCP,
     "A service control policy denies this action. If the caller is a root session, exempt it in the SCP with a condition on aws:AssumedRoot."),
    ("User: arn:aws:iam::123456789012:root is not authorized to perform: iam:ListUsers with an explicit deny in a session policy",
     errors.AccessDenied, "The session's task policy does not allow this action."),
    ("User: arn:aws:iam::123456789012:user/x is not authorized to perform: iam:ListUsers",
     errors.AccessDenied, "Access denied: the caller's IAM policies, an SCP, or the organization's settings do not allow this action."),
])
def test_access_denied(code, aws_message, cls, text):
    error = errors.from_aws(client_error(code, aws_message, "ListUsers", status=403))
    assert error.__class__ is cls
    assert error.message == f"{text} [ListUsers: {code}: {aws_message}]"
    assert (error.aws_error_code, error.operation) == (code, "ListUsers")


RCP_ARN = "arn:aws:organizations::123456789012:policy/o-a1b2c3d4e5/resource_control_policy/p-a1b2c3d4"
RCP_TEXT = ("denies this action on the resource, whoever the caller (root sessions included). If the caller is a root session, "
            "exempt it in the RCP's statement with a condition on aws:AssumedRoot; rootguard.aws.root_task_guardrails_info names the "
            "statement.")


@pytest.mark.parametrize("aws_message, named", [
    # IAM User Guide, "Access denied error message examples", with the ARN that AWS appends to an explicit deny in the same
    # organization (AWS Security Blog, "Enhanced access denied error messages with policy ARNs").
    ("User: arn:aws:iam::210000000001:root is not authorized to perform: s3:PutBucketPolicy on resource: arn:aws:s3:::locked "
     f"with an explicit deny in a resource control policy: {RCP_ARN}", f" ({RCP_ARN})"),
    ("User: arn:aws:iam::210000000001:root is not authorized to perform: sqs:SetQueueAttributes on resource: "
     "arn:aws:sqs:eu-west-1:210000000001:locked with an explicit deny in a resource control policy", ""),
    ("... WITH AN EXPLICIT DENY IN A RESOURCE CONTROL POLICY: arn:aws-us-gov:organizations::aws:policy/resource_control_policy/p-x",
     " (arn:aws-us-gov:organizations::aws:policy/resource_control_policy/p-x)"),
])
def test_a_resource_control_policy_denial_is_its_own_class_and_names_the_policy(aws_message, named):
    error = errors.from_aws(client_error("AccessDenied", aws_message, "PutBucketPolicy", status=403))
    assert error.__class__ is errors.DeniedByRCP
    assert not isinstance(error, errors.AccessDenied)
    assert error.as_dict() == {"error_class": "denied_by_rcp",
                               "message": f"A resource control policy{named} {RCP_TEXT} [PutBucketPolicy: AccessDenied: {aws_message}]",
                               "aws_error_code": "AccessDenied", "operation": "PutBucketPolicy"}


def test_an_scp_denial_stays_denied_by_scp_and_names_no_rcp():
    message = ("User: arn:aws:iam::210000000001:root is not authorized to perform: s3:PutBucketPolicy on resource: arn:aws:s3:::b "
               "with an explicit deny in a service control policy: arn:aws:organizations::123456789012:policy/o-a1b2c3d4e5/"
               "service_control_policy/p-b1")
    assert errors.from_aws(client_error("AccessDenied", message, "PutBucketPolicy", status=403)).__class__ is errors.DeniedBySCP


@pytest.mark.parametrize("status", [500, 502, 503, 599])
def test_unknown_code_with_a_5xx_status(status):
    error = errors.from_aws(client_error("InternalError", "We encountered an internal error.", "PutBucketPolicy", status=status))
    assert error.__class__ is errors.ServiceUnavailable
    assert error.message == f"{INTERNAL} [PutBucketPolicy: InternalError: We encountered an internal error.]"


@pytest.mark.parametrize("status", [400, 404, 499])
def test_unknown_code_below_500(status):
    error = errors.from_aws(client_error("SomethingNew", "Hm.", "ListThings", status=status))
    assert error.__class__ is errors.RootGuardError
    assert error.as_dict() == {"error_class": "aws_error", "message": "AWS refused the request. [ListThings: SomethingNew: Hm.]",
                               "aws_error_code": "SomethingNew", "operation": "ListThings"}


def test_a_mapped_code_wins_over_the_status():
    assert errors.from_aws(client_error("SlowDown", "Reduce your request rate.", status=503)).__class__ is errors.Throttled


# from_aws: other exceptions --------------------------------------------------------------

def test_no_credentials():
    error = errors.from_aws(botocore.exceptions.NoCredentialsError(), "GetCallerIdentity")
    assert error.__class__ is errors.CredentialsError
    assert error.as_dict() == {
        "error_class": "no_credentials",
        "message": "No AWS credentials were found: set access_key/secret_key (and session_token), a profile, or the AWS_* environment variables.",
        "aws_error_code": None,
        "operation": "GetCallerIdentity",
    }


@pytest.mark.parametrize("exception", [
    botocore.exceptions.EndpointConnectionError(endpoint_url="https://sts.us-east-1.amazonaws.com/"),
    botocore.exceptions.ConnectTimeoutError(endpoint_url="https://sts.us-east-1.amazonaws.com/"),
    botocore.exceptions.ReadTimeoutError(endpoint_url="https://sts.us-east-1.amazonaws.com/"),
    botocore.exceptions.ConnectionClosedError(endpoint_url="https://sts.us-east-1.amazonaws.com/"),
], ids=["connection", "connect-timeout", "read-timeout", "connection-closed"])
def test_endpoint_unreachable(exception):
    error = errors.from_aws(exception, "AssumeRoot")
    assert error.__class__ is errors.EndpointError
    assert error.message == f"Could not reach AWS: {exception}"
    assert "https://sts.us-east-1.amazonaws.com/" in error.message
    assert (error.aws_error_code, error.operation) == (None, "AssumeRoot")


def test_parameter_validation():
    exception = botocore.exceptions.ParamValidationError(report="Invalid length for parameter TargetPrincipal, value: 3, valid min length: 12")
    error = errors.from_aws(exception, "AssumeRoot")
    assert error.__class__ is errors.InvalidInput
    assert error.message == (
        "The request was refused before it was sent: Parameter validation failed:\n"
        "Invalid length for parameter TargetPrincipal, value: 3, valid min length: 12"
    )


def test_any_other_exception():
    error = errors.from_aws(ValueError("boom"), "ListUsers")
    assert error.__class__ is errors.RootGuardError
    assert (error.message, error.operation) == ("ValueError: boom", "ListUsers")


def test_a_rootguard_error_passes_through():
    error = errors.NotFound("Gone.")
    assert errors.from_aws(error, "Other") is error


# error_code and is_code ------------------------------------------------------------------

@pytest.mark.parametrize("error, code", [
    (client_error("ConcurrentModificationException"), "ConcurrentModification"),
    (client_error("Throttling"), "Throttling"),
    (client_error("AWS.SimpleQueueService.NonExistentQueue"), "NonExistentQueue"),
    (client_error("AWS.SimpleQueueService.QueueDeletedRecentlyException"), "QueueDeletedRecently"),
    (botocore.exceptions.ClientError({}, "Op"), ""),
    (errors.Conflict("x", "AccountAlreadyRegisteredException", "Op"), "AccountAlreadyRegistered"),
    (errors.Throttled("x", "SlowDown", "Op"), "SlowDown"),
    (errors.InvalidInput("x"), ""),
    (ValueError("x"), ""),
])
def test_error_code(error, code):
    assert errors.error_code(error) == code


@pytest.mark.parametrize("error", [client_error("AccountNotFoundException"), errors.NotFound("x", "AccountNotFoundException")])
@pytest.mark.parametrize("codes, expected", [
    (("AccountNotFoundException",), True),
    (("AccountNotFound",), True),
    (("ChildNotFoundException", "AccountNotFoundException"), True),
    (("AWS.SimpleQueueService.AccountNotFound",), True),
    (("ChildNotFoundException",), False),
    (("AccountNotFoundExceptionX",), False),
    ((), False),
])
def test_is_code(error, codes, expected):
    assert errors.is_code(error, *codes) is expected


def test_response_code():
    assert errors.response_code({"Error": {"Code": "ThrottlingException"}}) == "Throttling"
    assert errors.response_code({"ResponseMetadata": {}}) == ""
    assert errors.response_code(None) == ""
