"""Errors rendered in the caller's protocol, and the IAM organization-feature errors."""

from __future__ import annotations

import json
import uuid
from xml.sax.saxutils import escape

from moto.core.exceptions import HTTPException, ServiceException

QUERY_SERVICES = frozenset({"iam", "sts"})


class ProtocolError(HTTPException):
    """An error raised before a handler runs (faults, denials, expiry), serialized
    the way the service's protocol does it, so every SDK parses it natively."""

    def __init__(self, service: str, code: str, message: str, status: int = 400, json_request: bool = False):
        super().__init__()
        self.code = status
        self.error_code = code
        self.message = message
        request_id = str(uuid.uuid4())
        extra_headers: list[tuple[str, str]] = []
        if service == "s3":
            self.description = (
                '<?xml version="1.0" encoding="UTF-8"?>\n'
                f"<Error><Code>{escape(code)}</Code><Message>{escape(message)}</Message>"
                f"<RequestId>{request_id}</RequestId></Error>"
            )
            self.content_type = "application/xml"
        elif service in QUERY_SERVICES or not json_request:
            kind = "Receiver" if status >= 500 else "Sender"
            self.description = (
                f"<ErrorResponse><Error><Type>{kind}</Type><Code>{escape(code)}</Code>"
                f"<Message>{escape(message)}</Message></Error><RequestId>{request_id}</RequestId></ErrorResponse>"
            )
            self.content_type = "text/xml"
        else:
            json_code = code
            if service == "sqs":
                # SQS speaks JSON with awsQueryCompatible: botocore takes the code
                # from this header, as it does for real SQS.
                extra_headers.append(("x-amzn-query-error", f"{code};{'Receiver' if status >= 500 else 'Sender'}"))
                if code == "AccessDenied":
                    json_code = "AccessDeniedException"
            self.description = json.dumps({"__type": json_code, "message": message, "Message": message})
            self.content_type = "application/x-amz-json-1.1" if service != "sqs" else "application/x-amz-json-1.0"
        self._headers = [("Content-Type", self.content_type), ("x-amzn-RequestId", request_id), *extra_headers]

    def get_headers(self, *args, **kwargs):  # pylint: disable=unused-argument
        return list(self._headers)

    def get_body(self, *args, **kwargs):  # pylint: disable=unused-argument
        return self.description


class IamOrganizationsError(ServiceException):
    """The IAM organization-feature errors use the SDK-model spelling
    (``...Exception``) and HTTP 400, as aws-api.md section 2.2 recommends."""


def organization_not_found() -> IamOrganizationsError:
    return IamOrganizationsError(
        "OrganizationNotFoundException",
        "The request failed because your account is not a member of an organization in AWS Organizations.",
    )


def organization_not_in_all_features_mode() -> IamOrganizationsError:
    return IamOrganizationsError(
        "OrganizationNotInAllFeaturesModeException",
        "The request failed because your organization does not have all features enabled.",
    )


def service_access_not_enabled() -> IamOrganizationsError:
    return IamOrganizationsError(
        "ServiceAccessNotEnabledException",
        "The request failed because trusted access is not enabled for IAM (iam.amazonaws.com) in AWS Organizations.",
    )


def not_management_or_delegated_administrator() -> IamOrganizationsError:
    return IamOrganizationsError(
        "AccountNotManagementOrDelegatedAdministratorException",
        "The request failed because the account is not the management account or the delegated administrator for IAM.",
    )


def caller_is_not_management_account() -> IamOrganizationsError:
    return IamOrganizationsError(
        "CallerIsNotManagementAccountException",
        "The request failed because the caller is not the management account of the organization.",
    )
