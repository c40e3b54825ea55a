"""Organization facts the extension needs: who manages an account, its IAM
features, trusted access and delegated administrators. The IAM features live on
the management account's Organizations backend, so moto's reset wipes them."""

from __future__ import annotations

from typing import Any

from moto.organizations.models import FakeAccount, OrganizationsBackend, organizations_backends

from . import errors

IAM_PRINCIPAL = "iam.amazonaws.com"
PARTITION = "aws"


def management_backend(account_id: str) -> OrganizationsBackend | None:
    """The Organizations backend of the organization this account belongs to."""
    own = organizations_backends.get(account_id)
    if own is not None and PARTITION in own and own[PARTITION].org is not None:
        return own[PARTITION]
    membership = organizations_backends.master_accounts.get(account_id)
    if membership is None:
        return None
    master_id, partition = membership
    backend = organizations_backends[master_id][partition]
    return backend if backend.org is not None else None


def root_features(backend: OrganizationsBackend) -> set[str]:
    return backend.__dict__.setdefault("_rootguard_features", set())


def trusted_access_enabled(backend: OrganizationsBackend, principal: str = IAM_PRINCIPAL) -> bool:
    return any(service["ServicePrincipal"] == principal for service in backend.services)


def is_delegated_administrator(backend: OrganizationsBackend, account_id: str, principal: str | None = IAM_PRINCIPAL) -> bool:
    for admin in backend.admins:
        if admin.account.id == account_id and (principal is None or principal in admin.services):
            return True
    return False


def find_account(backend: OrganizationsBackend, account_id: str) -> FakeAccount | None:
    """The organization's account with this id, found through an index that is
    rebuilt whenever it misses or names an account that has left."""
    is_management = backend.org is not None and backend.org.master_account_id == account_id
    if not is_management and organizations_backends.master_accounts.get(account_id, (None,))[0] != backend.account_id:
        return None
    index = backend.__dict__.get("_rootguard_account_index") or {}
    account = index.get(account_id)
    if account is None:
        index = {account.id: account for account in backend.accounts}
        backend.__dict__["_rootguard_account_index"] = index
        account = index.get(account_id)
    return account


def iam_feature_context(account_id: str, enabling: bool = False, management_only: bool = False) -> OrganizationsBackend:
    """Check the preconditions of the IAM organization-feature calls, in the
    order aws-api.md section 10 suggests, and return the management backend.
    ``management_only``: a call that only the management account may make, whose errors
    do not include AccountNotManagementOrDelegatedAdministratorException
    (Enable/DisableOrganizationLevelResources)."""
    backend = management_backend(account_id)
    if backend is None:
        raise errors.organization_not_found()
    assert backend.org is not None
    if backend.org.feature_set != "ALL":
        raise errors.organization_not_in_all_features_mode()
    if not trusted_access_enabled(backend):
        raise errors.service_access_not_enabled()
    is_management = backend.org.master_account_id == account_id
    if management_only and not is_management:
        raise errors.caller_is_not_management_account()
    if not is_management and not is_delegated_administrator(backend, account_id):
        raise errors.not_management_or_delegated_administrator()
    if enabling and not is_management:
        raise errors.caller_is_not_management_account()
    return backend


def feature_response(backend: OrganizationsBackend) -> dict[str, Any]:
    assert backend.org is not None
    return {"OrganizationId": backend.org.id, "EnabledFeatures": sorted(root_features(backend))}
