# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""AWS Organizations: the organization and the caller's place in it, the account tree,
trusted access and delegated administrators.  Reads and writes take clients from a
ClientFactory; every AWS error leaves as a RootGuardError (errors.from_aws)."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import (
    AccessDenied,
    Conflict,
    NotFound,
    NotManagementAccount,
    NotManagementOrDelegatedAdministrator,
    OrganizationNotAllFeatures,
    RootGuardError,
    TRUSTED_ACCESS_HINT,
    TrustedAccessMissing,
    is_code,
)
from .clients import call, iso_time, paginate
from . import validation
from .targeting import OrganizationTree, Targets, parents_to_list, select, targets_from_params

IAM_PRINCIPAL = "iam.amazonaws.com"


@dataclass(frozen=True)
class Caller:
    """The caller's account and the organization it belongs to."""

    account_id: str
    arn: str
    organization_id: str
    organization_arn: str
    feature_set: str
    management_account_id: str
    management_account_email: str

    @property
    def is_management(self) -> bool:
        return self.account_id == self.management_account_id

    def describe(self) -> dict:
        return {
            "id": self.organization_id,
            "arn": self.organization_arn,
            "feature_set": self.feature_set,
            "management_account_id": self.management_account_id,
            "management_account_email": self.management_account_email,
        }


def identify_caller(factory) -> Caller:
    """Who calls (STS GetCallerIdentity) and in which organization (DescribeOrganization)."""
    identity = call(factory.sts_client(), "get_caller_identity")
    organization = call(factory.client("organizations"), "describe_organization")["Organization"]
    return Caller(
        account_id=identity["Account"],
        arn=identity["Arn"],
        organization_id=organization["Id"],
        organization_arn=organization.get("Arn", ""),
        feature_set=organization.get("FeatureSet", "ALL"),
        management_account_id=organization["MasterAccountId"],
        management_account_email=organization.get("MasterAccountEmail", ""),
    )


def not_all_features(caller: Caller):
    """OrganizationNotAllFeatures when the organization lacks all features, else None."""
    if caller.feature_set == "ALL":
        return None
    return OrganizationNotAllFeatures(
        f"Organization {caller.organization_id} has only consolidated billing features ({caller.feature_set}). "
        "Centralized root access needs all features: enable them in AWS Organizations (Settings, Enable all features) first."
    )


def require_all_features(caller: Caller) -> None:
    problem = not_all_features(caller)
    if problem is not None:
        raise problem


def trusted_access_missing(caller: Caller, consequence: str = "") -> TrustedAccessMissing:
    return TrustedAccessMissing(
        f"Trusted access for IAM (iam.amazonaws.com) is not enabled in organization {caller.organization_id}{consequence}. "
        + TRUSTED_ACCESS_HINT
    )


def require_management(caller: Caller, what: str) -> None:
    """Refuse, before any write, a change that only the management account may make."""
    if not caller.is_management:
        raise NotManagementAccount(
            f"Only the management account ({caller.management_account_id}) of organization {caller.organization_id} can "
            f"{what}; the caller's account is {caller.account_id}."
        )


def member_denied(caller: Caller, error: RootGuardError) -> RootGuardError:
    """A read that Organizations denied: for a plain member account, say so plainly."""
    if isinstance(error, AccessDenied) and not caller.is_management:
        return NotManagementOrDelegatedAdministrator(
            f"Account {caller.account_id} is a member of organization {caller.organization_id} but neither its management "
            f"account ({caller.management_account_id}) nor a delegated administrator, so it cannot read the organization. "
            f"Use credentials from the management account or the IAM delegated administrator. ({error.message})",
            error.aws_error_code,
            error.operation,
        )
    return error


def read_as(caller: Caller, function, *args, **kwargs):
    """Run a read, turning a member account's AccessDenied into NotManagementOrDelegatedAdministrator."""
    try:
        return function(*args, **kwargs)
    except RootGuardError as error:
        raise member_denied(caller, error) from None


# ---------------------------------------------------------------------------
# Trusted access

def trusted_access(orgs) -> list:
    """The service principals with trusted access, sorted."""
    return sorted(item["ServicePrincipal"] for item in paginate(orgs, "list_aws_service_access_for_organization", "EnabledServicePrincipals"))


def set_trusted_access(orgs, service_principal: str, enabled: bool) -> None:
    operation = "enable_aws_service_access" if enabled else "disable_aws_service_access"
    call(orgs, operation, ServicePrincipal=service_principal)


def plan_trusted_access(current: list, service_principal: str, present: bool) -> dict:
    """{'changed', 'before', 'after'}: the enabled principals before and after."""
    before = sorted(current)
    after = sorted(set(before) | {service_principal}) if present else [p for p in before if p != service_principal]
    return {"changed": before != after, "before": before, "after": after}


# ---------------------------------------------------------------------------
# Delegated administrators

def delegated_administrators(orgs, service_principal: str) -> list:
    """The service's delegated administrators, as snake_case dicts sorted by id."""
    admins = paginate(orgs, "list_delegated_administrators", "DelegatedAdministrators", ServicePrincipal=service_principal)
    return sorted((_delegated_administrator(admin) for admin in admins), key=lambda admin: admin["id"])


def _delegated_administrator(admin: dict) -> dict:
    fields = account_fields(admin)
    del fields["joined_timestamp"]
    fields["delegation_enabled_date"] = iso_time(admin.get("DelegationEnabledDate"))
    return fields


def set_delegated_administrator(orgs, account_id: str, service_principal: str, registered: bool) -> None:
    operation = "register_delegated_administrator" if registered else "deregister_delegated_administrator"
    try:
        call(orgs, operation, AccountId=account_id, ServicePrincipal=service_principal)
    except RootGuardError as error:
        # Someone else made the same change meanwhile: the desired state holds.
        if not is_code(error, "AccountAlreadyRegisteredException", "AccountNotRegisteredException"):
            raise


def describe_account(orgs, account_id: str) -> dict:
    return account_fields(call(orgs, "describe_account", AccountId=account_id)["Account"])


# ---------------------------------------------------------------------------
# Accounts and the OU tree

def account_fields(account: dict) -> dict:
    """An account of the Organizations API (Account or CreateAccountStatus fields) in snake_case."""
    return {
        "id": account["Id"],
        "arn": account.get("Arn"),
        "name": account.get("Name"),
        "email": account.get("Email"),
        "state": account.get("State") or account.get("Status"),
        "joined_method": account.get("JoinedMethod"),
        "joined_timestamp": iso_time(account.get("JoinedTimestamp")),
    }


# Up to this many account ids given by id are looked up one by one; more, and listing the
# organization takes fewer calls (ListAccountsForParent returns up to 20 accounts a call).
LOOK_UP_AT_MOST = 20


def load_tree(orgs, caller: Caller, targets: Targets) -> OrganizationTree:
    """What the targets need of the organization: a few accounts given by id are looked up
    (look_up_accounts); otherwise the OU tree is walked (ListRoots,
    ListOrganizationalUnitsForParent) and the accounts of the parents the targets need are
    listed (ListAccountsForParent)."""
    if targets.account_ids and len(set(targets.account_ids)) <= LOOK_UP_AT_MOST:
        return look_up_accounts(orgs, caller, targets.account_ids)
    roots = paginate(orgs, "list_roots", "Roots")
    root_id = roots[0]["Id"]
    tree = OrganizationTree(caller.organization_id, caller.management_account_id, root_id)
    pending = [root_id]
    while pending:
        parent_id = pending.pop()
        for ou in paginate(orgs, "list_organizational_units_for_parent", "OrganizationalUnits", ParentId=parent_id):
            tree.ous[ou["Id"]] = {"name": ou["Name"], "parent_id": parent_id}
            pending.append(ou["Id"])
    parents = parents_to_list(tree, targets)
    for parent_id in parents:
        for account in paginate(orgs, "list_accounts_for_parent", "Accounts", ParentId=parent_id):
            tree.accounts[account["Id"]] = dict(account_fields(account), parent_id=parent_id)
    tree.listed_parents = frozenset(parents)
    return tree


def look_up_accounts(orgs, caller: Caller, account_ids) -> OrganizationTree:
    """The accounts ``account_ids`` and the OUs above them, at a cost that does not grow with
    the organization: DescribeAccount per account and DescribeOrganizationalUnit once per OU on
    the way to the root.  The ids on the way come from the account's ``Paths`` when AWS sends
    them (and the installed botocore knows the field); otherwise from ListParents, per account
    and per OU.  An account the organization does not hold is left out (targeting.select()
    reports it)."""
    tree = OrganizationTree(caller.organization_id, caller.management_account_id, root_id="")
    for account_id in sorted(set(account_ids)):
        try:
            account = call(orgs, "describe_account", AccountId=account_id)["Account"]
            chain = parent_ids_from_paths(account, caller.organization_id)
            parent_id = _place_chain(orgs, tree, chain) if chain else _place_parent_of(orgs, tree, account_id)
        except NotFound:
            continue
        tree.accounts[account_id] = dict(account_fields(account), parent_id=parent_id)
    return tree


def parent_ids_from_paths(account: dict, organization_id: str):
    """The ids from the root down to the account's parent (``[root id, OU id, ...]``), read from
    the account's ``Paths`` (``o-.../r-.../ou-.../<account id>/``), or None when AWS sent no path
    of this account in this organization in that form."""
    for path in account.get("Paths") or ():
        parts = str(path).strip("/").split("/")
        if (len(parts) >= 3 and parts[0] == organization_id and parts[-1] == account["Id"] and parts[1].startswith("r-")
                and all(part.startswith("ou-") for part in parts[2:-1])):
            return parts[1:-1]
    return None


def _place_chain(orgs, tree: OrganizationTree, chain: list) -> str:
    """Put the OUs of ``chain`` (``[root id, OU id, ...]``) in ``tree.ous``; the last id is the parent."""
    tree.root_id = chain[0]
    for parent_id, ou_id in zip(chain, chain[1:]):
        if ou_id not in tree.ous:
            name = call(orgs, "describe_organizational_unit", OrganizationalUnitId=ou_id)["OrganizationalUnit"]["Name"]
            tree.ous[ou_id] = {"name": name, "parent_id": parent_id}
    return chain[-1]


def _place_parent_of(orgs, tree: OrganizationTree, child_id: str) -> str:
    """The id of ``child_id``'s parent, with every OU from it up to the root in ``tree.ous``."""
    (parent,) = paginate(orgs, "list_parents", "Parents", ChildId=child_id)
    if parent["Type"] == "ROOT":
        tree.root_id = parent["Id"]
    elif parent["Id"] not in tree.ous:
        name = call(orgs, "describe_organizational_unit", OrganizationalUnitId=parent["Id"])["OrganizationalUnit"]["Name"]
        tree.ous[parent["Id"]] = {"name": name, "parent_id": _place_parent_of(orgs, tree, parent["Id"])}
    return parent["Id"]


def account_tags(orgs, account_id: str) -> dict:
    tags = paginate(orgs, "list_tags_for_resource", "Tags", ResourceId=account_id)
    return {tag["Key"]: tag["Value"] for tag in tags}


# ---------------------------------------------------------------------------
# What the modules do

def ensure_trusted_access(factory, service_principal: str, present: bool, check_mode: bool) -> dict:
    """Enable or disable trusted access for ``service_principal``; writes only on a difference."""
    caller = identify_caller(factory)
    orgs = factory.client("organizations")
    if present:
        require_all_features(caller)
    what = f"{'enable' if present else 'disable'} trusted access for {service_principal}"
    try:
        current = trusted_access(orgs)
    except AccessDenied:
        # Denied even the read: whatever is due, only the management account could do it.
        require_management(caller, what)
        raise
    plan = plan_trusted_access(current, service_principal, present)
    if plan["changed"]:
        require_management(caller, what)
        if not check_mode:
            set_trusted_access(orgs, service_principal, present)
    return {
        "changed": plan["changed"],
        "organization_id": caller.organization_id,
        "service_principal": service_principal,
        "enabled": present if plan["changed"] else service_principal in plan["before"],
        "enabled_service_principals": plan["after"],
        "diff": {"before": {"enabled_service_principals": plan["before"]}, "after": {"enabled_service_principals": plan["after"]}},
    }


def ensure_delegated_administrator(factory, account_id: str, service_principal: str, present: bool, check_mode: bool) -> dict:
    """Register or deregister ``account_id`` as the service's delegated administrator.

    Every refusal AWS would give for a registration is checked before any write (so
    check mode reports it too): the management account, an account outside the
    organization or not ACTIVE, trusted access missing for the service."""
    caller = identify_caller(factory)
    orgs = factory.client("organizations")
    verb = "register" if present else "deregister"
    require_management(caller, f"{verb} a delegated administrator")
    if present:
        require_all_features(caller)
    before = delegated_administrators(orgs, service_principal)
    registered = any(admin["id"] == account_id for admin in before)
    changed = registered != present
    account = _registrable_account(orgs, caller, account_id, service_principal) if changed and present else None
    if not changed:
        after = before
    elif not check_mode:
        set_delegated_administrator(orgs, account_id, service_principal, present)
        after = delegated_administrators(orgs, service_principal)
    elif present:
        after = sorted(before + [_planned_admin(account)], key=lambda admin: admin["id"])
    else:
        after = [admin for admin in before if admin["id"] != account_id]
    return {
        "changed": changed,
        "organization_id": caller.organization_id,
        "account_id": account_id,
        "service_principal": service_principal,
        "delegated_administrators": after,
        "diff": {
            "before": {"delegated_administrators": [admin["id"] for admin in before]},
            "after": {"delegated_administrators": [admin["id"] for admin in after]},
        },
    }


def active_member(orgs, caller: Caller, account_id: str, as_management: str, as_inactive: str) -> dict:
    """The ACTIVE member account ``account_id`` other than the management account, or the
    error that says why not; ``as_management`` and ``as_inactive`` end those messages."""
    if account_id == caller.management_account_id:
        raise Conflict(f"account_id: {account_id} is the management account{as_management}")
    try:
        account = read_as(caller, describe_account, orgs, account_id)
    except RootGuardError as error:
        if is_code(error, "AccountNotFoundException"):
            raise NotFound(f"account_id: {account_id} is not a member of organization {caller.organization_id}.",
                           error.aws_error_code, error.operation) from None
        raise
    if account["state"] != "ACTIVE":
        raise Conflict(f"account_id: {account_id} is {account['state']}; {as_inactive}")
    return account


def _registrable_account(orgs, caller: Caller, account_id: str, service_principal: str) -> dict:
    account = active_member(
        orgs, caller, account_id,
        f" of organization {caller.organization_id}; the management account cannot be a delegated administrator.",
        "only an ACTIVE account can be a delegated administrator.",
    )
    if service_principal not in trusted_access(orgs):
        if service_principal == IAM_PRINCIPAL:
            raise trusted_access_missing(caller, f", so {account_id} cannot be registered as its delegated administrator")
        raise TrustedAccessMissing(
            f"Trusted access for {service_principal} is not enabled in organization {caller.organization_id}, so {account_id} "
            f"cannot be registered as its delegated administrator. Enable it with rootguard.aws.organizations_service_access."
        )
    return account


def _planned_admin(account: dict) -> dict:
    return {
        "id": account["id"],
        "arn": account["arn"],
        "name": account["name"],
        "email": account["email"],
        "state": account["state"],
        "joined_method": account["joined_method"],
        "delegation_enabled_date": None,
    }


def ou_ids(tree: OrganizationTree, parent_id: str) -> list:
    """The ids from the root down to ``parent_id``: ``[root id, ..., parent_id]``."""
    ids = []
    while parent_id in tree.ous and parent_id not in ids:
        ids.append(parent_id)
        parent_id = tree.ous[parent_id]["parent_id"]
    ids.append(parent_id)
    return ids[::-1]


def list_accounts(factory, targets: Targets, include_tags: bool) -> dict:
    """The targeted accounts with OU path, OU ids and tags, the ones left out with the reason,
    and the OUs the walk read (by id: names are not unique and may hold ``/``)."""
    caller = identify_caller(factory)
    orgs = factory.client("organizations")
    tree = read_as(caller, load_tree, orgs, caller, targets)
    accounts, skipped = select(tree, targets, skip_management=False)
    for account in accounts:
        account["ou_ids"] = ou_ids(tree, account["parent_id"])
        account["tags"] = read_as(caller, account_tags, orgs, account["id"]) if include_tags else {}
    return {
        "changed": False,
        "organization_id": caller.organization_id,
        "management_account_id": caller.management_account_id,
        "accounts": accounts,
        "skipped_accounts": skipped,
        "organizational_units": [
            {"id": ou_id, "name": ou["name"], "parent_id": ou["parent_id"], "ou_path": tree.ou_path(ou_id)}
            for ou_id, ou in sorted(tree.ous.items())
        ],
    }


# ---------------------------------------------------------------------------
# The modules' service functions: (factory, params, check_mode) -> the task's result


def organizations_account_info(factory, params: dict, _check_mode: bool) -> dict:
    return list_accounts(factory, targets_from_params(params), params["include_tags"])


def organizations_service_access(factory, params: dict, check_mode: bool) -> dict:
    service_principal = validation.service_principal(params["service_principal"])
    return ensure_trusted_access(factory, service_principal, params["state"] == "present", check_mode)


def organizations_delegated_administrator(factory, params: dict, check_mode: bool) -> dict:
    account_id = validation.account_id(params["account_id"], "account_id")
    service_principal = validation.service_principal(params["service_principal"])
    return ensure_delegated_administrator(factory, account_id, service_principal, params["state"] == "present", check_mode)
