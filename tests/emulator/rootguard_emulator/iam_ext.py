"""IAM: the organization-feature calls and the root user's credential calls.

Each root-aware handler acts on the root user when the caller is a root
principal and gives no UserName; otherwise moto's own handler runs."""

from __future__ import annotations

import datetime
from typing import Any, Callable

from moto.core.responses import ActionResult, EmptyResult
from moto.iam.exceptions import DeleteConflictException, EntityAlreadyExists, InvalidInput, NoSuchEntity
from moto.iam.responses import IamResponse

from . import orgs
from .rootuser import root_user
from .state import STATE

_ORIGINALS: dict[str, Callable[..., Any]] = {}


def root_principal_of(response: Any):
    return STATE.root_principals.get(response.get_access_key())


def _root_caller(response: IamResponse):
    """The RootPrincipal when the request is a root user's call about itself."""
    principal = root_principal_of(response)
    if principal is None or response._get_param("UserName"):
        return None
    return principal


# organization features --------------------------------------------------------

def list_organizations_features(self: IamResponse) -> ActionResult:
    backend = orgs.iam_feature_context(self.current_account)
    return ActionResult(orgs.feature_response(backend))


def feature_toggle(feature: str, enable: bool, management_only: bool = False) -> Callable[[IamResponse], ActionResult]:
    """The handler of an IAM call that enables or disables one organization feature (orgs.iam_feature_context
    checks its preconditions) and answers with the features enabled."""
    def handler(self: IamResponse) -> ActionResult:
        backend = orgs.iam_feature_context(self.current_account, enabling=enable, management_only=management_only)
        if enable:
            orgs.root_features(backend).add(feature)
        else:
            orgs.root_features(backend).discard(feature)
        return ActionResult(orgs.feature_response(backend))

    return handler


# root user --------------------------------------------------------------------

def get_user(self: IamResponse) -> ActionResult:
    principal = _root_caller(self)
    if principal is None:
        return _ORIGINALS["get_user"](self)
    user = root_user(principal.account_id)
    result: dict[str, Any] = {"UserId": principal.account_id, "Arn": user.arn, "CreateDate": user.created}
    if user.password_last_used:
        result["PasswordLastUsed"] = user.password_last_used
    return ActionResult({"User": result})


def get_account_summary(self: IamResponse) -> ActionResult:
    summary = dict(self.backend.get_account_summary().summary_map)
    user = root_user(self.current_account)
    summary.update(
        {
            "AccountMFAEnabled": int(bool(user.enabled_mfa_devices)),
            "AccountAccessKeysPresent": int(bool(user.access_keys)),
            "AccountSigningCertificatesPresent": int(bool(user.signing_certificates)),
            "AccountPasswordPresent": int(user.login_profile_created is not None),
        }
    )
    return ActionResult({"SummaryMap": summary})


def get_login_profile(self: IamResponse) -> ActionResult:
    principal = _root_caller(self)
    if principal is None:
        return _ORIGINALS["get_login_profile"](self)
    user = root_user(principal.account_id)
    if user.login_profile_created is None:
        raise NoSuchEntity("Login Profile for User root cannot be found.")
    return ActionResult({"LoginProfile": {"CreateDate": user.login_profile_created, "PasswordResetRequired": False}})


def create_login_profile(self: IamResponse) -> ActionResult:
    principal = _root_caller(self)
    if principal is None:
        return _ORIGINALS["create_login_profile"](self)
    if self._get_param("Password"):
        raise InvalidInput("Password must be omitted when the request is made with an AssumeRoot session.")
    if self._get_param("MaxSigninSessionDuration") is not None:
        raise InvalidInput("MaxSigninSessionDuration is not supported for the root user.")
    user = root_user(principal.account_id)
    if user.login_profile_created is not None:
        raise EntityAlreadyExists("Login Profile for User root already exists.")
    user.login_profile_created = datetime.datetime.now(datetime.timezone.utc)
    return ActionResult({"LoginProfile": {"CreateDate": user.login_profile_created, "PasswordResetRequired": False}})


def delete_login_profile(self: IamResponse) -> ActionResult:
    principal = _root_caller(self)
    if principal is None:
        return _ORIGINALS["delete_login_profile"](self)
    user = root_user(principal.account_id)
    if user.login_profile_created is None:
        raise NoSuchEntity("Login Profile for User root cannot be found.")
    user.login_profile_created = None
    return EmptyResult()


def list_access_keys(self: IamResponse) -> ActionResult:
    principal = _root_caller(self)
    if principal is None:
        return _ORIGINALS["list_access_keys"](self)
    keys = [
        {"AccessKeyId": key.access_key_id, "Status": key.status, "CreateDate": key.create_date}
        for key in root_user(principal.account_id).access_keys.values()
    ]
    return ActionResult({"AccessKeyMetadata": keys, "IsTruncated": False})


def delete_access_key(self: IamResponse) -> ActionResult:
    principal = _root_caller(self)
    access_key_id = self._get_param("AccessKeyId")
    if principal is None:
        return _ORIGINALS["delete_access_key"](self)
    user = root_user(principal.account_id)
    if access_key_id not in user.access_keys:
        raise NoSuchEntity(f"The Access Key with id {access_key_id} cannot be found.")
    user.delete_access_key(access_key_id)
    return EmptyResult()


def get_access_key_last_used(self: IamResponse) -> ActionResult:
    access_key_id = self._get_param("AccessKeyId")
    principal = root_principal_of(self)
    owner = STATE.root_principals.get(access_key_id)
    if principal is None or owner is None or owner.task_policy or owner.account_id != principal.account_id:
        return _ORIGINALS["get_access_key_last_used"](self)
    key = root_user(owner.account_id).access_keys[access_key_id]
    if key.last_used:
        last_used = {"LastUsedDate": key.last_used.timestamp, "ServiceName": key.last_used.service, "Region": key.last_used.region}
    else:
        last_used = {"ServiceName": "N/A", "Region": "N/A"}
    return ActionResult({"AccessKeyLastUsed": last_used})


def list_signing_certificates(self: IamResponse) -> ActionResult:
    principal = _root_caller(self)
    if principal is None:
        return _ORIGINALS["list_signing_certificates"](self)
    certificates = [
        {"CertificateId": c.certificate_id, "CertificateBody": c.body, "Status": c.status, "UploadDate": c.upload_date}
        for c in root_user(principal.account_id).signing_certificates.values()
    ]
    return ActionResult({"Certificates": certificates, "IsTruncated": False})


def delete_signing_certificate(self: IamResponse) -> ActionResult:
    principal = _root_caller(self)
    if principal is None:
        return _ORIGINALS["delete_signing_certificate"](self)
    certificate_id = self._get_param("CertificateId")
    user = root_user(principal.account_id)
    if user.signing_certificates.pop(certificate_id, None) is None:
        raise NoSuchEntity(f"The Certificate with id {certificate_id} cannot be found.")
    return EmptyResult()


def list_mfa_devices(self: IamResponse) -> ActionResult:
    principal = _root_caller(self)
    if principal is None:
        return _ORIGINALS["list_mfa_devices"](self)
    devices = [
        {"SerialNumber": d.serial_number, "EnableDate": d.enable_date}
        for d in root_user(principal.account_id).enabled_mfa_devices
    ]
    return ActionResult({"MFADevices": devices, "IsTruncated": False})


def deactivate_mfa_device(self: IamResponse) -> ActionResult:
    principal = _root_caller(self)
    if principal is None:
        return _ORIGINALS["deactivate_mfa_device"](self)
    serial = self._get_param("SerialNumber")
    user = root_user(principal.account_id)
    device = user.mfa_devices.get(serial)
    if device is None or not device.enabled:
        raise NoSuchEntity(f"MFA Device with serial number {serial} is not assigned to the root user.")
    if device.virtual:
        device.enabled = False  # stays as an unassigned virtual device until deleted
    else:
        del user.mfa_devices[serial]
    return EmptyResult()


def delete_virtual_mfa_device(self: IamResponse) -> ActionResult:
    serial = self._get_param("SerialNumber")
    user = root_user(self.current_account)
    device = user.mfa_devices.get(serial)
    if device is None or not device.virtual:
        return _ORIGINALS["delete_virtual_mfa_device"](self)
    if device.enabled:
        raise DeleteConflictException("VirtualMFADevice is still assigned to the root user; deactivate it first.")
    del user.mfa_devices[serial]
    return EmptyResult()


ROOT_AWARE = {
    "get_user": get_user,
    "get_login_profile": get_login_profile,
    "create_login_profile": create_login_profile,
    "delete_login_profile": delete_login_profile,
    "list_access_keys": list_access_keys,
    "delete_access_key": delete_access_key,
    "get_access_key_last_used": get_access_key_last_used,
    "list_signing_certificates": list_signing_certificates,
    "delete_signing_certificate": delete_signing_certificate,
    "list_mfa_devices": list_mfa_devices,
    "deactivate_mfa_device": deactivate_mfa_device,
    "delete_virtual_mfa_device": delete_virtual_mfa_device,
    "get_account_summary": get_account_summary,
}


def install() -> None:
    for name, handler in ROOT_AWARE.items():
        _ORIGINALS.setdefault(name, getattr(IamResponse, name))
        setattr(IamResponse, name, handler)
    IamResponse.list_organizations_features = list_organizations_features
    IamResponse.enable_organizations_root_credentials_management = feature_toggle("RootCredentialsManagement", True)
    IamResponse.disable_organizations_root_credentials_management = feature_toggle("RootCredentialsManagement", False)
    IamResponse.enable_organizations_root_sessions = feature_toggle("RootSessions", True)
    IamResponse.disable_organizations_root_sessions = feature_toggle("RootSessions", False)
