"""The AWS API as it is in December 2026, each part served only when the installed botocore
knows the operation or field (moto answers from botocore's service models, so an operation
botocore does not know could not be served anyway):

- IAM ``EnableOrganizationLevelResources`` / ``DisableOrganizationLevelResources``, which
  add and remove ``OrganizationIamResources`` in the set ``ListOrganizationsFeatures`` returns;
- Organizations ``Account.Paths`` (``o-.../r-.../ou-.../<account id>/``) and, as settings
  (``configure()``, control route ``api-settings``), accounts without the retired ``Status``
  (``State`` stays) or without ``Paths``;
- STS ``AssumeRoot``'s ``MinimumSessionTokenSize`` and its ``SessionTokenSize`` /
  ``SessionTokenUtilization`` (the computation is sts_ext's, see token_size_fields)."""

from __future__ import annotations

import base64
import functools
import secrets
from typing import Any

import botocore.session
from botocore.model import NoShapeFoundError
from moto.organizations.models import FakeAccount, FakeDelegatedAdministrator, OrganizationsBackend

from . import iam_ext, orgs
from .state import STATE

ORGANIZATION_IAM_RESOURCES = "OrganizationIamResources"
# The largest session token AWS issues on request: MinimumSessionTokenSize's maximum.
MAX_SESSION_TOKEN_SIZE = 4096

_ORIGINALS: dict[str, Any] = {}


@functools.lru_cache(maxsize=None)
def _service_model(service: str):
    return botocore.session.get_session().get_service_model(service)


def knows_operation(service: str, operation: str) -> bool:
    return operation in _service_model(service).operation_names


def knows_member(service: str, shape: str, member: str) -> bool:
    try:
        return member in _service_model(service).shape_for(shape).members
    except NoShapeFoundError:
        return False


def known_features() -> frozenset:
    """The IAM organization features the installed botocore names (FeatureType)."""
    return frozenset(_service_model("iam").shape_for("FeatureType").enum)


# ---------------------------------------------------------------------------
# Settings tests switch (reset with the emulator)

def settings() -> dict[str, Any]:
    return {"account_status": STATE.account_status, "account_paths": STATE.account_paths}


def configure(account_status: bool | None = None, account_paths: bool | None = None) -> dict[str, Any]:
    """``account_status=False``: accounts come without ``Status``, as after its retirement;
    ``account_paths=False``: without ``Paths``, as from AWS before 2026 or to a client whose
    botocore does not know the field (its parser drops it)."""
    for name, value in (("account_status", account_status), ("account_paths", account_paths)):
        if value is not None and not isinstance(value, bool):
            raise TypeError(f"{name} must be true or false")
    if account_status is not None:
        STATE.account_status = account_status
    if account_paths is not None:
        STATE.account_paths = account_paths
    return settings()


# ---------------------------------------------------------------------------
# Organizations: Account.Paths and the retired Status

def account_path(backend: OrganizationsBackend, account: FakeAccount) -> str:
    """``o-<org>/r-<root>/ou-.../<account id>/``: the ids from the organization down to the account."""
    assert backend.org is not None
    parents = {ou.id: ou.parent_id for ou in backend.ou}
    chain = []
    parent_id = account.parent_id
    while parent_id != backend.org.root_id and parent_id in parents and parent_id not in chain:
        chain.append(parent_id)
        parent_id = parents[parent_id]
    chain.append(backend.org.root_id)
    return "/".join([backend.org.id, *reversed(chain), account.id]) + "/"


def describe_account(self: FakeAccount) -> dict[str, Any]:
    described = _ORIGINALS["describe"](self)
    if not STATE.account_status:
        described.pop("Status", None)
    if STATE.account_paths and knows_member("organizations", "Account", "Paths"):
        backend = orgs.management_backend(self.master_account_id)
        if backend is not None and backend.org is not None:
            described["Paths"] = [account_path(backend, self)]
    return described


def describe_delegated_administrator(self: FakeDelegatedAdministrator) -> dict[str, Any]:
    """moto builds it from the account's description: the DelegatedAdministrator shape has no
    Paths, and its own Status is not the one being retired."""
    admin = _ORIGINALS["describe_delegated_administrator"](self)
    admin.pop("Paths", None)
    admin.setdefault("Status", self.account.status)
    return admin


# ---------------------------------------------------------------------------
# STS: AssumeRoot's session token size

def session_token_size_fields(token: str) -> dict[str, int]:
    """``SessionTokenSize`` (the token's length in bytes) and ``SessionTokenUtilization``, assumed
    to be that size as a percentage of MAX_SESSION_TOKEN_SIZE, rounded up, at most 100 (AWS
    documents neither the maximum nor the rounding)."""
    size = len(token.encode("ascii"))
    return {"SessionTokenSize": size, "SessionTokenUtilization": min(100, -(-size * 100 // MAX_SESSION_TOKEN_SIZE))}


def pad_session_token(token: str, minimum: int) -> str:
    """The token grown to exactly ``minimum`` bytes when it is shorter, as STS grows it for
    MinimumSessionTokenSize (padded with more base64 of random bytes: what AWS pads with is
    not documented)."""
    if len(token) >= minimum:
        return token
    padding = base64.b64encode(secrets.token_bytes(minimum)).decode("ascii")
    return (token + padding)[:minimum]


def install() -> None:
    from moto.iam.responses import IamResponse

    _ORIGINALS.setdefault("describe", FakeAccount.describe)
    _ORIGINALS.setdefault("describe_delegated_administrator", FakeDelegatedAdministrator.describe)
    FakeAccount.describe = describe_account
    FakeDelegatedAdministrator.describe = describe_delegated_administrator
    # Management account only. The emulator holds no organization-level resources (workload identity providers
    # and templates), so OrganizationLevelResourcesExistException never applies to the disable.
    if knows_operation("iam", "EnableOrganizationLevelResources"):
        IamResponse.enable_organization_level_resources = iam_ext.feature_toggle(ORGANIZATION_IAM_RESOURCES, True, management_only=True)
    if knows_operation("iam", "DisableOrganizationLevelResources"):
        IamResponse.disable_organization_level_resources = iam_ext.feature_toggle(ORGANIZATION_IAM_RESOURCES, False, management_only=True)
