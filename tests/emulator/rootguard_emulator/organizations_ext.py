"""Organizations: the rules moto leaves out for trusted access and delegated
administrators (aws-api.md section 6)."""

from __future__ import annotations

from typing import Any

from moto.organizations.exceptions import (
    AccountAlreadyRegisteredException,
    AccountNotFoundException,
    AccountNotRegisteredException,
    ConstraintViolationException,
)
from moto.organizations.models import FakeDelegatedAdministrator, FakeServiceAccess, OrganizationsBackend

from . import orgs

# How many delegated administrators a service accepts; for IAM this is assumed (aws-api.md section 6).
MAX_DELEGATED_ADMINISTRATORS = {orgs.IAM_PRINCIPAL: 1}

_ORIGINALS: dict[str, Any] = {}


def _constraint(reason: str, message: str) -> ConstraintViolationException:
    error = ConstraintViolationException(message)
    error.reason = reason  # serialized as the modeled Reason member
    return error


def _require_all_features(backend: OrganizationsBackend) -> None:
    if backend.org is not None and backend.org.feature_set != "ALL":
        raise _constraint(
            "ORGANIZATION_NOT_IN_ALL_FEATURES_MODE",
            "You can't perform the operation because the organization doesn't have all features enabled.",
        )


def enable_aws_service_access(self: OrganizationsBackend, **kwargs: Any) -> None:
    _require_all_features(self)
    return _ORIGINALS["enable_aws_service_access"](self, **kwargs)


def register_delegated_administrator(self: OrganizationsBackend, **kwargs: Any) -> None:
    _require_all_features(self)
    account_id = kwargs["AccountId"]
    principal = kwargs["ServicePrincipal"]
    if self.org is not None and account_id == self.org.master_account_id:
        raise _constraint(
            "CANNOT_REGISTER_MASTER_AS_DELEGATED_ADMINISTRATOR",
            "You cannot register the management account of the organization as a delegated administrator.",
        )
    account = orgs.find_account(self, account_id)
    if account is None:
        raise AccountNotFoundException
    if account.state != "ACTIVE":
        raise _constraint(
            "CANNOT_REGISTER_SUSPENDED_ACCOUNT_AS_DELEGATED_ADMINISTRATOR",
            f"You cannot register account {account_id} as a delegated administrator because it is {account.state}.",
        )
    if FakeDelegatedAdministrator.supported_service(principal) and not orgs.trusted_access_enabled(self, principal):
        raise _constraint(
            "SERVICE_ACCESS_NOT_ENABLED",
            f"You must enable trusted access for {principal} before you register a delegated administrator for it.",
        )
    if orgs.is_delegated_administrator(self, account_id, principal):
        raise AccountAlreadyRegisteredException
    limit = MAX_DELEGATED_ADMINISTRATORS.get(principal)
    if limit is not None and sum(principal in admin.services for admin in self.admins) >= limit:
        raise _constraint(
            "MAX_DELEGATED_ADMINISTRATORS_FOR_SERVICE_LIMIT_EXCEEDED",
            f"{principal} already has the maximum number of delegated administrators ({limit}).",
        )
    return _ORIGINALS["register_delegated_administrator"](self, **kwargs)


def deregister_delegated_administrator(self: OrganizationsBackend, **kwargs: Any) -> None:
    account_id = kwargs["AccountId"]
    if orgs.find_account(self, account_id) is not None and not orgs.is_delegated_administrator(
        self, account_id, kwargs["ServicePrincipal"]
    ):
        raise AccountNotRegisteredException
    return _ORIGINALS["deregister_delegated_administrator"](self, **kwargs)


def install() -> None:
    for principal_list in (FakeServiceAccess.TRUSTED_SERVICES, FakeDelegatedAdministrator.SUPPORTED_SERVICES):
        if orgs.IAM_PRINCIPAL not in principal_list:
            principal_list.append(orgs.IAM_PRINCIPAL)
    for name, wrapper in (
        ("enable_aws_service_access", enable_aws_service_access),
        ("register_delegated_administrator", register_delegated_administrator),
        ("deregister_delegated_administrator", deregister_delegated_administrator),
    ):
        _ORIGINALS.setdefault(name, getattr(OrganizationsBackend, name))
        setattr(OrganizationsBackend, name, wrapper)
