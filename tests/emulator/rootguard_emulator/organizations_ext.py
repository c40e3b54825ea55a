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
from moto.organizations.exceptions import InvalidInputException
from moto.organizations.models import FakeDelegatedAdministrator, FakeServiceAccess, OrganizationsBackend
from moto.utilities.paginator import InvalidToken

from . import orgs
from .moto_internals import ORGANIZATIONS_PAGINATED

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


PAGINATED = tuple(ORGANIZATIONS_PAGINATED)
MAX_RESULTS = 20


def _invalid_input(reason: str, message: str) -> InvalidInputException:
    error = InvalidInputException(message)
    error.reason = reason
    return error


def _paginated(name: str):
    """Organizations pages hold 1-20 results, and a bad token is InvalidInputException (aws-api.md section 6)."""
    original = getattr(OrganizationsBackend, name)

    def wrapper(self: OrganizationsBackend, *args: Any, **kwargs: Any) -> Any:
        max_results = kwargs.get("max_results")
        if max_results is not None and not 1 <= int(max_results) <= MAX_RESULTS:
            raise _invalid_input("INVALID_INPUT", f"MaxResults must be between 1 and {MAX_RESULTS}.")
        try:
            return original(self, *args, **kwargs)
        except InvalidToken as error:
            raise _invalid_input("INVALID_NEXT_TOKEN", "You specified an invalid value for nextToken.") from error

    return wrapper


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
    for name in PAGINATED:
        setattr(OrganizationsBackend, name, _paginated(name))
