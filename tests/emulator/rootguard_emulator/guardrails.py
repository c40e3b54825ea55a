"""Service control policies (SCPs) and resource control policies (RCPs), stored by Organizations as AWS does and
enforced on every request with ``policy_eval``.

Organizations (moto stores the policies; what it leaves out is added here):

- Organizations User Guide, "Disabling a policy type": disabling a type detaches every policy of that type from
  every entity; re-enabling SCPs leaves every entity with only ``FullAWSAccess``. "RCP evaluation":
  ``RCPFullAWSAccess`` is attached to the root, every OU and every account and cannot be detached.
- Organizations API Reference, ``AttachPolicy``: a policy whose type is not enabled on the root cannot be attached
  (``PolicyTypeNotEnabledException``); ``DetachPolicy``: every root, OU and account keeps at least one SCP
  (``ConstraintViolationException``, reason ``MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED``), a policy not attached
  cannot be detached (``PolicyNotAttachedException``); ``CreatePolicy``/``UpdatePolicy``: a document that is no
  SCP or RCP is refused (``MalformedPolicyDocumentException``; "RCP syntax": an RCP statement has ``Principal``
  ``"*"`` and ``Effect`` ``Deny``); ``EnablePolicyType``: an organization with consolidated
  billing only cannot (``PolicyTypeNotAvailableForOrganizationException``); ``PolicySummary.Arn``: the AWS managed
  policies have ``aws`` in place of the account.

Enforcement (Organizations User Guide, "SCP evaluation", "RCP evaluation", "Resource control policies (RCPs)"):

- SCPs: every request of a principal of a member account (root sessions, root-user keys, IAM users and roles),
  against the SCPs on the path root -> each OU -> the account. Never the management account, never a
  service-linked role, never ``sts:GetCallerIdentity`` (which AWS never authorizes).
- RCPs: every request on a resource of an RCP service (``policy_eval.rcp_applies``) owned by a member account,
  against the RCPs on that account's path, whoever the caller (except service-linked roles).
- A type is enforced only when it is enabled on the root. A path with nothing but ``FullAWSAccess`` (or
  ``RCPFullAWSAccess``) at every level is skipped without evaluation. Each account's path is cached and the cache
  is dropped by every change to the organization (attach, detach, update, move, new OU or account, policy types).
"""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable
from typing import Any

from moto.organizations.exceptions import ConstraintViolationException, OrganizationsClientError, PolicyTypeNotEnabledException
from moto.organizations.models import FakePolicy, OrganizationsBackend
from moto.organizations.responses import OrganizationsResponse

from . import orgs, policy_eval
from .policy_eval import RESOURCE_CONTROL_POLICY, SERVICE_CONTROL_POLICY, Decision, Level, Policy, Request

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
FULL_ACCESS = {SCP: "p-FullAWSAccess", RCP: "p-RCPFullAWSAccess"}
EVALUATED_TYPE = {SCP: SERVICE_CONTROL_POLICY, RCP: RESOURCE_CONTROL_POLICY}
# IAM is a global service: its requests carry aws:RequestedRegion us-east-1 ("AWS global condition context keys").
GLOBAL_SERVICES = {"iam": "us-east-1", "organizations": "us-east-1"}
SERVICE_LINKED_ROLE_PATH = ":role/aws-service-role/"

# OrganizationsBackend methods that change what a path holds; each drops the cache.
CHANGING_METHODS = (
    "attach_policy", "detach_policy", "update_policy", "enable_policy_type", "disable_policy_type", "move_account",
    "create_organizational_unit", "delete_organizational_unit", "create_account", "close_account",
    "remove_account_from_organization", "create_organization", "delete_organization",
)

_ORIGINALS: dict[str, Any] = {}
_lock = threading.Lock()
_generation = 0
_paths: dict[str, "AccountPath"] = {}
# Roots with SCPs or RCPs enabled: while there is none, no request reads anything else here.
_enforcing_roots: set[str] = set()


@dataclasses.dataclass(frozen=True)
class Caller:
    """Who signs a request: ``kind`` is ``root-session``, ``root`` (the root user's own keys), ``user``, ``role`` or
    ``service-linked``; ``arn`` is the ARN AWS names in a denial (a role's session ARN); ``name`` the user name
    or the role's path and name."""

    kind: str
    account_id: str
    arn: str
    name: str | None = None


@dataclasses.dataclass(frozen=True)
class AccountPath:
    """An account's place in its organization: None levels when the type is not enforced (not enabled, or only
    the full-access policy on every level)."""

    generation: int
    member: bool
    org_id: str | None = None
    org_paths: tuple[str, ...] = ()
    scp_levels: tuple[Level, ...] | None = None
    rcp_levels: tuple[Level, ...] | None = None


def changed() -> None:
    """The organization changed: every cached path is stale."""
    global _generation  # pylint: disable=global-statement
    with _lock:
        _generation += 1
        _paths.clear()


def clear_cache() -> None:
    """On reset: no path, and no root enforcing anything."""
    changed()
    _enforcing_roots.clear()


def any_enforced() -> bool:
    return bool(_enforcing_roots)


def _note_policy_types(backend: OrganizationsBackend) -> None:
    root = _root(backend)
    if any(entry["Type"] in FULL_ACCESS for entry in root.policy_types):
        _enforcing_roots.add(root.id)
    else:
        _enforcing_roots.discard(root.id)


# paths -------------------------------------------------------------------------------------------------------

def account_path(account_id: str) -> AccountPath:
    """The cached path of an account, computed when missing or stale."""
    cached = _paths.get(account_id)
    generation = _generation
    if cached is not None and cached.generation == generation:
        return cached
    computed = _compute_path(account_id, generation)
    _paths[account_id] = computed
    return computed


def _compute_path(account_id: str, generation: int) -> AccountPath:
    backend = orgs.management_backend(account_id)
    if backend is None or backend.org is None:
        return AccountPath(generation, member=False)
    org = backend.org
    if org.master_account_id == account_id:
        return AccountPath(generation, member=False, org_id=org.id, org_paths=(f"{org.id}/{org.root_id}/",))
    account = orgs.find_account(backend, account_id)
    if account is None:
        return AccountPath(generation, member=False)
    units = {unit.id: unit for unit in backend.ou}
    chain = [account]
    parent_id = account.parent_id
    while parent_id in units and units[parent_id] not in chain:
        chain.append(units[parent_id])
        if parent_id == org.root_id:
            break
        parent_id = units[parent_id].parent_id
    chain.reverse()  # root, OUs from the top, the account
    org_path = "/".join([org.id, *(target.id for target in chain[:-1])]) + "/"
    enabled = {entry["Type"] for entry in getattr(units.get(org.root_id), "policy_types", [])}
    return AccountPath(
        generation,
        member=True,
        org_id=org.id,
        org_paths=(org_path,),
        scp_levels=_levels(backend, chain, SCP) if SCP in enabled else None,
        rcp_levels=_levels(backend, chain, RCP) if RCP in enabled else None,
    )


def _levels(backend: OrganizationsBackend, chain: list[Any], policy_type: str) -> tuple[Level, ...] | None:
    levels = []
    trivial = True
    for target in chain:
        attached = [policy for policy in target.attached_policies if policy.type == policy_type]
        if [policy.id for policy in attached] != [FULL_ACCESS[policy_type]]:
            trivial = False
        levels.append(Level(target.id, [_policy(backend, policy, target.id) for policy in attached]))
    return None if trivial else tuple(levels)


def _policy(backend: OrganizationsBackend, policy: FakePolicy, target_id: str) -> Policy:
    assert backend.org is not None
    arn = policy_eval.policy_arn(backend.org.master_account_id, backend.org.id, policy.id, EVALUATED_TYPE[policy.type])
    return Policy(policy.id, policy.name, json.loads(policy.content), target_id, arn)


# enforcement ---------------------------------------------------------------------------------------------------

def request_context(caller: Caller, path: AccountPath, region: str) -> dict[str, Any]:
    """The caller's condition keys, from policy_eval's builders."""
    org_id = path.org_id
    org_paths = list(path.org_paths) if org_id else None
    if caller.kind == "root-session":
        return policy_eval.root_session_context(caller.account_id, org_id or "", org_paths or [], region)
    kind = "root" if caller.kind == "root" else "user" if caller.kind == "user" else "role"
    return policy_eval.principal_context(kind, caller.account_id, org_id, org_paths, region, name=caller.name)


def requested_region(service: str, region: str) -> str:
    return GLOBAL_SERVICES.get(service, region)


def check(caller_account: str, caller_of: Callable[[], Caller], service: str, action: str, resource: str, resource_account: str | None,
          region: str) -> tuple[Decision, Request, str] | None:
    """The SCP decision for the caller's account, then the RCP decision for the resource's account: the first that
    denies, with the request and the principal ARN to name, or None. ``caller_of`` is called only when a policy
    must be read (finding a role session costs a scan of the account's sessions)."""
    full_action = f"{service}:{action}"
    if full_action.lower() in policy_eval.UNAUTHORIZED_ACTIONS:
        return None
    caller_path = account_path(caller_account)
    resource_path = account_path(resource_account) if resource_account and policy_eval.rcp_applies(full_action) else None
    scp_levels = caller_path.scp_levels if caller_path.member else None
    rcp_levels = resource_path.rcp_levels if resource_path is not None and resource_path.member else None
    if scp_levels is None and rcp_levels is None:
        return None
    caller = caller_of()
    if caller.kind == "service-linked":
        return None
    context = request_context(caller, caller_path, requested_region(service, region))
    if resource_account and resource != "*":
        owner_path = resource_path if resource_path is not None else account_path(resource_account)
        context.update(policy_eval.resource_context(resource_account, owner_path.org_id, owner_path.org_paths))
    request = Request(full_action, resource, context)
    if scp_levels is not None:
        decision = policy_eval.evaluate_scps(scp_levels, request)
        if not decision.allowed:
            return decision, request, caller.arn
    if rcp_levels is not None:
        decision = policy_eval.evaluate_rcps(rcp_levels, request)
        if not decision.allowed:
            return decision, request, caller.arn
    return None


def message(denial: tuple[Decision, Request, str]) -> str:
    decision, request, principal_arn = denial
    return policy_eval.denial_message(decision, request, principal_arn)


def fault_message(service: str, action: str, resource: str, principal_arn: str) -> str:
    """The text of an injected SCP denial (faults ``scp_deny``): AWS's explicit-deny wording, without a policy ARN
    (no policy is attached)."""
    decision = Decision(allowed=False, reason="explicit_deny", policy_type=SERVICE_CONTROL_POLICY)
    return policy_eval.denial_message(decision, Request(f"{service}:{action}", resource), principal_arn)


# Organizations API ---------------------------------------------------------------------------------------------

def _root(backend: OrganizationsBackend) -> Any:
    assert backend.org is not None
    return next(unit for unit in backend.ou if unit.id == backend.org.root_id)


def _enabled(backend: OrganizationsBackend, policy_type: str) -> bool:
    return backend.org is not None and any(entry["Type"] == policy_type for entry in _root(backend).policy_types)


def _targets(backend: OrganizationsBackend) -> list[Any]:
    return [*backend.ou, *backend.accounts]


def enable_policy_type(self: OrganizationsBackend, **kwargs: Any) -> dict[str, Any]:
    policy_type = kwargs.get("PolicyType")
    if self.org is not None and self.org.feature_set != "ALL" and policy_type in FULL_ACCESS:
        raise OrganizationsClientError(
            "PolicyTypeNotAvailableForOrganizationException",
            "You can't use the specified policy type with the feature set currently enabled for this organization.",
        )
    result = _ORIGINALS["enable_policy_type"](self, **kwargs)
    if policy_type in FULL_ACCESS:
        for target in _targets(self):
            self.attach_policy(PolicyId=FULL_ACCESS[policy_type], TargetId=target.id)
        result = {"Root": _root(self).describe()}
    _note_policy_types(self)
    return result


def disable_policy_type(self: OrganizationsBackend, **kwargs: Any) -> dict[str, Any]:
    result = _ORIGINALS["disable_policy_type"](self, **kwargs)
    policy_type = kwargs.get("PolicyType")
    for target in _targets(self):
        for policy in [policy for policy in target.attached_policies if policy.type == policy_type]:
            target.attached_policies.remove(policy)
            policy.attachments.remove(target)
    _note_policy_types(self)
    return result


def _policy_and_target(response: OrganizationsResponse) -> tuple[FakePolicy, Any]:
    backend = response.organizations_backend
    policy = backend.get_policy_by_id(response.request_params["PolicyId"])
    target_id = response.request_params["TargetId"]
    target = next((target for target in _targets(backend) if target.id == target_id), None)
    return policy, target


def attach_policy(self: OrganizationsResponse) -> Any:
    policy, _target = _policy_and_target(self)
    if policy.type in FULL_ACCESS and not _enabled(self.organizations_backend, policy.type):
        raise PolicyTypeNotEnabledException
    return _ORIGINALS["response_attach_policy"](self)


def detach_policy(self: OrganizationsResponse) -> Any:
    policy, target = _policy_and_target(self)
    if target is not None:
        if policy not in target.attached_policies:
            raise OrganizationsClientError("PolicyNotAttachedException", "The policy isn't attached to the specified target in the specified root.")
        remaining = [attached for attached in target.attached_policies if attached.type == policy.type and attached is not policy]
        if policy.id == FULL_ACCESS[RCP] or (policy.type == SCP and not remaining):
            error = ConstraintViolationException(
                "You attempted to detach a policy from an entity that would cause the entity to have fewer than the "
                "minimum number of policies of a certain type required."
            )
            error.reason = "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED"  # serialized as the modeled Reason member
            raise error
    return _ORIGINALS["response_detach_policy"](self)


MALFORMED = "The provided policy document doesn't meet the requirements of the specified policy type."


def malformed_reason(content: str, policy_type: str) -> str | None:
    """Why a document is no policy of the type (policy_eval's reading), or None when it is one."""
    evaluated_type = EVALUATED_TYPE[policy_type]
    try:
        statements = Policy("p-new", "new", json.loads(content)).statements()
        for statement in statements:
            if statement.get("Effect") not in ("Allow", "Deny"):
                return "Effect must be Allow or Deny"
            if policy_type == RCP and statement["Effect"] != "Deny":
                return "an RCP statement's Effect must be Deny"
            policy_eval.statement_matches({**statement, "Condition": {}}, Request("emulator:Validate"), evaluated_type)
            for operator in statement.get("Condition") or {}:
                policy_eval.parse_operator(operator)
    except (ValueError, TypeError) as error:  # json and PolicyError
        return str(error)
    return None


def _validating(name: str):
    def handler(self: OrganizationsResponse) -> Any:
        params = self.request_params
        policy_type = params.get("Type")
        if policy_type is None and "Content" in params:
            policy_type = self.organizations_backend.get_policy_by_id(params["PolicyId"]).type
        if policy_type in EVALUATED_TYPE and "Content" in params and malformed_reason(params["Content"], policy_type) is not None:
            raise OrganizationsClientError("MalformedPolicyDocumentException", MALFORMED)
        return _ORIGINALS[f"response_{name}"](self)

    return handler


def _policy_arn(self: FakePolicy) -> str:
    if self.aws_managed and self.type in EVALUATED_TYPE:
        return policy_eval.policy_arn(self.master_account_id, self.organization_id, self.id, EVALUATED_TYPE[self.type])
    return _ORIGINALS["policy_arn"].fget(self)


def _invalidating(name: str):
    original = getattr(OrganizationsBackend, name)

    def wrapper(self: OrganizationsBackend, *args: Any, **kwargs: Any) -> Any:
        try:
            return original(self, *args, **kwargs)
        finally:
            changed()

    wrapper.__name__ = name
    return wrapper


def install() -> None:
    """After organizations_ext and accounts_ext: the wrappers wrap their versions."""
    _ORIGINALS.setdefault("enable_policy_type", OrganizationsBackend.enable_policy_type)
    _ORIGINALS.setdefault("disable_policy_type", OrganizationsBackend.disable_policy_type)
    _ORIGINALS.setdefault("response_attach_policy", OrganizationsResponse.attach_policy)
    _ORIGINALS.setdefault("response_detach_policy", OrganizationsResponse.detach_policy)
    _ORIGINALS.setdefault("policy_arn", FakePolicy.arn)
    _ORIGINALS.setdefault("response_create_policy", OrganizationsResponse.create_policy)
    _ORIGINALS.setdefault("response_update_policy", OrganizationsResponse.update_policy)
    OrganizationsResponse.create_policy = _validating("create_policy")
    OrganizationsResponse.update_policy = _validating("update_policy")
    OrganizationsBackend.enable_policy_type = enable_policy_type
    OrganizationsBackend.disable_policy_type = disable_policy_type
    OrganizationsResponse.attach_policy = attach_policy
    OrganizationsResponse.detach_policy = detach_policy
    FakePolicy.arn = property(_policy_arn)
    for name in CHANGING_METHODS:
        setattr(OrganizationsBackend, name, _invalidating(name))
