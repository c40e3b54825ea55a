# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Account targeting as pure functions: which accounts a run works on, and why the
others are left out.  The organization itself is read by organizations.load_tree()."""

from __future__ import annotations

from dataclasses import dataclass, field

from . import validation
from .errors import InvalidInput, NotFound

# Why an account is left out of a run (the ``reason`` of a skipped entry).
SKIP_EXCLUDED = "excluded"
SKIP_MANAGEMENT = "management_account"
SKIP_NOT_ACTIVE = "not_active"
SKIP_NOT_IN_ORGANIZATION = "not_in_organization"

# The targeting options every account-scoped module takes (doc fragment rootguard.aws.targeting).
ARGUMENT_SPEC = {
    "account_ids": {"type": "list", "elements": "str"},
    "organizational_unit_ids": {"type": "list", "elements": "str"},
    "all_accounts": {"type": "bool"},
    "exclude_account_ids": {"type": "list", "elements": "str", "default": []},
}
# Listing accounts may show those that are not ACTIVE; a root task never works in them.
LISTING_ARGUMENT_SPEC = dict(ARGUMENT_SPEC, include_inactive={"type": "bool", "default": False})
SELECTORS = ("account_ids", "organizational_unit_ids", "all_accounts")
# The AnsibleAWSModule options that go with ARGUMENT_SPEC: exactly one selector.
MODULE_OPTIONS = {"mutually_exclusive": [SELECTORS], "required_one_of": [SELECTORS]}


@dataclass(frozen=True)
class Targets:
    account_ids: tuple = ()
    organizational_unit_ids: tuple = ()
    all_accounts: bool = False
    exclude_account_ids: frozenset = frozenset()
    include_inactive: bool = False


def targets_from_params(params: dict) -> Targets:
    """Validate the targeting options; exactly one of the three selectors is set."""
    chosen = [name for name in SELECTORS if params.get(name) not in (None, False)]
    if params.get("all_accounts") is False and not chosen:
        raise InvalidInput("all_accounts: false selects nothing; set all_accounts: true, or give account_ids or organizational_unit_ids.")
    if len(chosen) != 1:
        given = ", ".join(chosen) if chosen else "none of them"
        raise InvalidInput(f"account_ids, organizational_unit_ids, all_accounts: give exactly one of them (given: {given}).")
    return Targets(
        account_ids=tuple(validation.account_ids(params["account_ids"], "account_ids")) if params.get("account_ids") is not None else (),
        organizational_unit_ids=(
            tuple(validation.parent_ids(params["organizational_unit_ids"], "organizational_unit_ids"))
            if params.get("organizational_unit_ids") is not None else ()
        ),
        all_accounts=bool(params.get("all_accounts")),
        exclude_account_ids=frozenset(validation.optional_account_ids(params.get("exclude_account_ids"), "exclude_account_ids")),
        include_inactive=bool(params.get("include_inactive")),
    )


@dataclass
class OrganizationTree:
    """What the walk of an organization found.

    ``ous`` maps an OU id to ``{"name", "parent_id"}``; ``accounts`` maps an account id to
    its ListAccounts fields in snake_case plus ``parent_id``.  ``listed_parents`` are the
    parents whose accounts were listed (a walk for some OUs lists only their subtrees)."""

    organization_id: str
    management_account_id: str
    root_id: str
    ous: dict = field(default_factory=dict)
    accounts: dict = field(default_factory=dict)
    listed_parents: frozenset = frozenset()

    def ou_path(self, parent_id: str) -> str:
        """``/`` for the root, ``/Workloads/Production/`` for an OU."""
        names = []
        seen = set()
        while parent_id in self.ous and parent_id not in seen:
            seen.add(parent_id)
            names.append(self.ous[parent_id]["name"])
            parent_id = self.ous[parent_id]["parent_id"]
        return "/" + "".join(name + "/" for name in reversed(names))

    def subtree(self, parent_id: str) -> list:
        """``parent_id`` and every OU below it."""
        children = {}
        for ou_id, ou in self.ous.items():
            children.setdefault(ou["parent_id"], []).append(ou_id)
        found, pending = [], [parent_id]
        while pending:
            current = pending.pop()
            found.append(current)
            pending.extend(sorted(children.get(current, ())))
        return found

    def has_parent(self, parent_id: str) -> bool:
        return parent_id == self.root_id or parent_id in self.ous


def parents_to_list(tree: OrganizationTree, targets: Targets) -> list:
    """The parents whose accounts a run must list: the targeted OUs' subtrees, or every parent."""
    if targets.organizational_unit_ids:
        unknown = [ou for ou in targets.organizational_unit_ids if not tree.has_parent(ou)]
        if unknown:
            raise NotFound(f"organizational_unit_ids: {', '.join(unknown)} not found in organization {tree.organization_id}.")
        parents = []
        for ou in targets.organizational_unit_ids:
            parents.extend(tree.subtree(ou))
        return list(dict.fromkeys(parents))
    return tree.subtree(tree.root_id)


def describe_account(tree: OrganizationTree, account: dict) -> dict:
    """An account as results show it: its fields plus OU path and management flag."""
    described = dict(account)
    described["ou_path"] = tree.ou_path(account["parent_id"])
    described["management_account"] = account["id"] == tree.management_account_id
    return described


def select(tree: OrganizationTree, targets: Targets, skip_management: bool) -> tuple:
    """(selected accounts, skipped entries), each sorted by account id.

    A skipped entry is ``{"id", "name", "state", "ou_path", "parent_id", "reason", "message"}``; explicit
    account ids that the organization does not hold are skipped as not_in_organization."""
    if targets.account_ids:
        wanted = list(targets.account_ids)
    else:
        wanted = [account_id for account_id, account in tree.accounts.items() if account["parent_id"] in tree.listed_parents]
    selected, skipped = [], []
    for account_id in sorted(set(wanted)):
        account = tree.accounts.get(account_id)
        if account is None:
            skipped.append(_skipped({"id": account_id, "name": None, "state": None, "ou_path": None}, SKIP_NOT_IN_ORGANIZATION,
                                    f"{account_id} is not a member of organization {tree.organization_id}."))
            continue
        described = describe_account(tree, account)
        if account_id in targets.exclude_account_ids:
            skipped.append(_skipped(described, SKIP_EXCLUDED, "listed in exclude_account_ids."))
        elif skip_management and described["management_account"]:
            skipped.append(_skipped(described, SKIP_MANAGEMENT,
                                    "the management account is out of scope of centralized root access."))
        elif account["state"] != "ACTIVE" and not targets.include_inactive:
            skipped.append(_skipped(described, SKIP_NOT_ACTIVE, f"the account is {account['state']}."))
        else:
            selected.append(described)
    return selected, skipped


def _skipped(account: dict, reason: str, message: str) -> dict:
    return {
        "id": account["id"],
        "name": account["name"],
        "state": account["state"],
        "ou_path": account["ou_path"],
        "parent_id": account.get("parent_id"),
        "reason": reason,
        "message": message,
    }
