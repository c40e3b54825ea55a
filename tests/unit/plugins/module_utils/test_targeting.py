# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""targeting: the selector rule, the OU tree and account selection, on trees built by hand."""

from __future__ import annotations

import dataclasses

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import targeting
from ansible_collections.rootguard.aws.plugins.module_utils.errors import InvalidInput, NotFound
from ansible_collections.rootguard.aws.plugins.module_utils.targeting import OrganizationTree, Targets

ORG = "o-a1b2c3d4e5"
ROOT = "r-ab12"
MANAGEMENT = "111111111111"
SECURITY = "ou-ab12-11111111"
WORKLOADS = "ou-ab12-22222222"
PRODUCTION = "ou-ab12-33333333"
PAYMENTS = "ou-ab12-44444444"
NONPRODUCTION = "ou-ab12-55555555"
SANDBOX = "ou-ab12-66666666"

OUS = {
    SECURITY: {"name": "Security", "parent_id": ROOT},
    WORKLOADS: {"name": "Workloads", "parent_id": ROOT},
    PRODUCTION: {"name": "Production", "parent_id": WORKLOADS},
    PAYMENTS: {"name": "Payments", "parent_id": PRODUCTION},
    NONPRODUCTION: {"name": "NonProduction", "parent_id": WORKLOADS},
    SANDBOX: {"name": "Sandbox", "parent_id": ROOT},
}
ALL_PARENTS = {ROOT, *OUS}

# account id -> (name, state, parent)
ACCOUNTS = {
    MANAGEMENT: ("management", "ACTIVE", ROOT),
    "210000000001": ("security", "ACTIVE", SECURITY),
    "210000000002": ("production", "ACTIVE", PRODUCTION),
    "210000000003": ("payments", "SUSPENDED", PAYMENTS),
    "210000000004": ("nonproduction", "ACTIVE", NONPRODUCTION),
    "210000000005": ("sandbox", "PENDING_CLOSURE", SANDBOX),
}
PATHS = {
    ROOT: "/",
    SECURITY: "/Security/",
    WORKLOADS: "/Workloads/",
    PRODUCTION: "/Workloads/Production/",
    PAYMENTS: "/Workloads/Production/Payments/",
    NONPRODUCTION: "/Workloads/NonProduction/",
    SANDBOX: "/Sandbox/",
}


def account(account_id: str) -> dict:
    name, state, parent_id = ACCOUNTS[account_id]
    return {
        "id": account_id,
        "arn": f"arn:aws:organizations::{MANAGEMENT}:account/{ORG}/{account_id}",
        "name": name,
        "email": f"{name}@example.com",
        "state": state,
        "joined_method": "CREATED",
        "joined_timestamp": "2024-01-01T00:00:00+00:00",
        "parent_id": parent_id,
    }


def tree(listed_parents=ALL_PARENTS, accounts=tuple(ACCOUNTS)) -> OrganizationTree:
    return OrganizationTree(
        organization_id=ORG,
        management_account_id=MANAGEMENT,
        root_id=ROOT,
        ous={ou_id: dict(ou) for ou_id, ou in OUS.items()},
        accounts={account_id: account(account_id) for account_id in accounts},
        listed_parents=frozenset(listed_parents),
    )


def described(account_id: str) -> dict:
    return dict(account(account_id), ou_path=PATHS[ACCOUNTS[account_id][2]], management_account=account_id == MANAGEMENT)


def skipped(account_id: str, reason: str, message: str) -> dict:
    name, state, parent_id = ACCOUNTS[account_id]
    return {"id": account_id, "name": name, "state": state, "ou_path": PATHS[parent_id], "parent_id": parent_id, "reason": reason,
            "message": message}


def ids(entries: list) -> list:
    return [entry["id"] for entry in entries]


# targets_from_params ---------------------------------------------------------------------

@pytest.mark.parametrize("params, expected", [
    ({"account_ids": ["222222222222", "011111111111", "222222222222"]},
     Targets(account_ids=("222222222222", "011111111111"))),
    ({"organizational_unit_ids": [WORKLOADS, ROOT, WORKLOADS]}, Targets(organizational_unit_ids=(WORKLOADS, ROOT))),
    ({"all_accounts": True}, Targets(all_accounts=True)),
    ({"all_accounts": True, "account_ids": None, "organizational_unit_ids": None, "exclude_account_ids": [], "include_inactive": False},
     Targets(all_accounts=True)),
    ({"all_accounts": True, "exclude_account_ids": ["222222222222", "222222222222", 333333333333], "include_inactive": True},
     Targets(all_accounts=True, exclude_account_ids=frozenset({"222222222222", "333333333333"}), include_inactive=True)),
    ({"account_ids": ["222222222222"], "all_accounts": False}, Targets(account_ids=("222222222222",))),
])
def test_targets_from_params_valid(params, expected):
    assert targeting.targets_from_params(params) == expected


@pytest.mark.parametrize("params, message", [
    ({}, "account_ids, organizational_unit_ids, all_accounts: give exactly one of them (given: none of them)."),
    ({"account_ids": None, "organizational_unit_ids": None, "all_accounts": None},
     "account_ids, organizational_unit_ids, all_accounts: give exactly one of them (given: none of them)."),
    ({"all_accounts": False},
     "all_accounts: false selects nothing; set all_accounts: true, or give account_ids or organizational_unit_ids."),
    ({"all_accounts": False, "exclude_account_ids": ["222222222222"]},
     "all_accounts: false selects nothing; set all_accounts: true, or give account_ids or organizational_unit_ids."),
    ({"account_ids": ["222222222222"], "all_accounts": True},
     "account_ids, organizational_unit_ids, all_accounts: give exactly one of them (given: account_ids, all_accounts)."),
    ({"account_ids": ["222222222222"], "organizational_unit_ids": [ROOT]},
     "account_ids, organizational_unit_ids, all_accounts: give exactly one of them (given: account_ids, organizational_unit_ids)."),
    ({"organizational_unit_ids": [ROOT], "all_accounts": True},
     "account_ids, organizational_unit_ids, all_accounts: give exactly one of them (given: organizational_unit_ids, all_accounts)."),
    ({"account_ids": ["222222222222"], "organizational_unit_ids": [ROOT], "all_accounts": True},
     "account_ids, organizational_unit_ids, all_accounts: give exactly one of them "
     "(given: account_ids, organizational_unit_ids, all_accounts)."),
    ({"account_ids": []}, "account_ids: the list is empty; give at least one account id."),
    ({"account_ids": ["2222"]},
     "account_ids: '2222' is not an AWS account id (12 digits; quote it in YAML so that leading zeros stay)."),
    ({"organizational_unit_ids": []}, "organizational_unit_ids: the list is empty; give at least one organizational unit id."),
    ({"organizational_unit_ids": ["Workloads"]},
     "organizational_unit_ids: 'Workloads' is not an organizational unit id (ou-<root part>-<ou part>, such as ou-ab12-cdefgh34) "
     "or a root id (r-ab12)."),
    ({"all_accounts": True, "exclude_account_ids": ["222222222222", "x"]},
     "exclude_account_ids: 'x' is not an AWS account id (12 digits; quote it in YAML so that leading zeros stay)."),
])
def test_targets_from_params_invalid(params, message):
    with pytest.raises(InvalidInput) as excinfo:
        targeting.targets_from_params(params)
    assert excinfo.value.message == message


def test_targets_are_immutable():
    targets = targeting.targets_from_params({"all_accounts": True})
    with pytest.raises(dataclasses.FrozenInstanceError):
        targets.all_accounts = False  # type: ignore[misc]


# OrganizationTree ------------------------------------------------------------------------

@pytest.mark.parametrize("parent_id", sorted(PATHS))
def test_ou_path(parent_id):
    assert tree().ou_path(parent_id) == PATHS[parent_id]


def test_ou_path_of_an_unknown_parent_is_the_root_path():
    assert tree().ou_path("ou-ab12-99999999") == "/"


def test_ou_path_stops_on_a_cycle():
    cyclic = OrganizationTree(ORG, MANAGEMENT, ROOT, ous={
        "ou-ab12-aaaaaaaa": {"name": "A", "parent_id": "ou-ab12-bbbbbbbb"},
        "ou-ab12-bbbbbbbb": {"name": "B", "parent_id": "ou-ab12-aaaaaaaa"},
    })
    assert cyclic.ou_path("ou-ab12-aaaaaaaa") == "/B/A/"


@pytest.mark.parametrize("parent_id, expected", [
    (ROOT, ALL_PARENTS),
    (WORKLOADS, {WORKLOADS, PRODUCTION, PAYMENTS, NONPRODUCTION}),
    (PRODUCTION, {PRODUCTION, PAYMENTS}),
    (PAYMENTS, {PAYMENTS}),
    (SANDBOX, {SANDBOX}),
])
def test_subtree(parent_id, expected):
    found = tree().subtree(parent_id)
    assert found[0] == parent_id
    assert len(found) == len(expected)
    assert set(found) == expected


@pytest.mark.parametrize("parent_id, expected", [
    (ROOT, True), (SECURITY, True), (PAYMENTS, True), ("ou-ab12-99999999", False), ("r-zz99", False), ("", False),
])
def test_has_parent(parent_id, expected):
    assert tree().has_parent(parent_id) is expected


# parents_to_list -------------------------------------------------------------------------

@pytest.mark.parametrize("targets", [Targets(all_accounts=True), Targets(account_ids=("210000000001",)), Targets(organizational_unit_ids=(ROOT,))])
def test_parents_to_list_everything(targets):
    parents = targeting.parents_to_list(tree(), targets)
    assert len(parents) == len(ALL_PARENTS)
    assert set(parents) == ALL_PARENTS


def test_parents_to_list_overlapping_ous_once_each():
    parents = targeting.parents_to_list(tree(), Targets(organizational_unit_ids=(PRODUCTION, WORKLOADS, SECURITY)))
    assert parents[:2] == [PRODUCTION, PAYMENTS]
    assert sorted(parents) == sorted({WORKLOADS, PRODUCTION, PAYMENTS, NONPRODUCTION, SECURITY})


@pytest.mark.parametrize("wanted, unknown", [
    ((SECURITY, "ou-ab12-99999999"), "ou-ab12-99999999"),
    (("ou-ab12-99999999", SECURITY, "r-zz99"), "ou-ab12-99999999, r-zz99"),
])
def test_parents_to_list_unknown_ou(wanted, unknown):
    with pytest.raises(NotFound) as excinfo:
        targeting.parents_to_list(tree(), Targets(organizational_unit_ids=wanted))
    assert excinfo.value.message == f"organizational_unit_ids: {unknown} not found in organization {ORG}."
    assert excinfo.value.error_class == "not_found"


# describe_account and select -------------------------------------------------------------

def test_describe_account_adds_path_and_management_flag_without_changing_the_input():
    organization = tree()
    for account_id in ACCOUNTS:
        assert targeting.describe_account(organization, organization.accounts[account_id]) == described(account_id)
        assert organization.accounts[account_id] == account(account_id)


NOT_ACTIVE = {
    "210000000003": skipped("210000000003", "not_active", "the account is SUSPENDED."),
    "210000000005": skipped("210000000005", "not_active", "the account is PENDING_CLOSURE."),
}
MANAGEMENT_SKIPPED = skipped(MANAGEMENT, "management_account", "the management account is out of scope of centralized root access.")


def test_select_all_accounts_skipping_the_management_account():
    selected, left_out = targeting.select(tree(), Targets(all_accounts=True), skip_management=True)
    assert selected == [described("210000000001"), described("210000000002"), described("210000000004")]
    assert left_out == [MANAGEMENT_SKIPPED, NOT_ACTIVE["210000000003"], NOT_ACTIVE["210000000005"]]


def test_select_all_accounts_keeping_the_management_account():
    selected, left_out = targeting.select(tree(), Targets(all_accounts=True), skip_management=False)
    assert selected == [described(MANAGEMENT), described("210000000001"), described("210000000002"), described("210000000004")]
    assert selected[0]["management_account"] is True
    assert left_out == [NOT_ACTIVE["210000000003"], NOT_ACTIVE["210000000005"]]


def test_select_including_inactive_accounts():
    selected, left_out = targeting.select(tree(), Targets(all_accounts=True, include_inactive=True), skip_management=True)
    assert ids(selected) == ["210000000001", "210000000002", "210000000003", "210000000004", "210000000005"]
    assert left_out == [MANAGEMENT_SKIPPED]


@pytest.mark.parametrize("skip_management", [True, False])
def test_exclusion_comes_before_every_other_reason(skip_management):
    targets = Targets(all_accounts=True, exclude_account_ids=frozenset({MANAGEMENT, "210000000003", "210000000004", "999999999999"}))
    selected, left_out = targeting.select(tree(), targets, skip_management=skip_management)
    assert ids(selected) == ["210000000001", "210000000002"]
    assert left_out == [
        skipped(MANAGEMENT, "excluded", "listed in exclude_account_ids."),
        skipped("210000000003", "excluded", "listed in exclude_account_ids."),
        skipped("210000000004", "excluded", "listed in exclude_account_ids."),
        NOT_ACTIVE["210000000005"],
    ]


def test_select_explicit_accounts_sorted_with_the_ones_outside_the_organization():
    targets = Targets(account_ids=("999999999999", "210000000004", MANAGEMENT, "000000000009", "210000000003"))
    selected, left_out = targeting.select(tree(), targets, skip_management=True)
    assert selected == [described("210000000004")]
    assert left_out == [
        {"id": "000000000009", "name": None, "state": None, "ou_path": None, "parent_id": None, "reason": "not_in_organization",
         "message": f"000000000009 is not a member of organization {ORG}."},
        MANAGEMENT_SKIPPED,
        NOT_ACTIVE["210000000003"],
        {"id": "999999999999", "name": None, "state": None, "ou_path": None, "parent_id": None, "reason": "not_in_organization",
         "message": f"999999999999 is not a member of organization {ORG}."},
    ]


def test_select_explicit_accounts_ignores_listed_parents():
    selected, left_out = targeting.select(tree(listed_parents=()), Targets(account_ids=("210000000001",)), skip_management=True)
    assert (ids(selected), left_out) == (["210000000001"], [])


def test_select_ou_targets_only_accounts_of_the_listed_parents():
    organization = tree()
    targets = Targets(organizational_unit_ids=(WORKLOADS,))
    organization.listed_parents = frozenset(targeting.parents_to_list(organization, targets))
    selected, left_out = targeting.select(organization, targets, skip_management=True)
    assert selected == [described("210000000002"), described("210000000004")]
    assert left_out == [NOT_ACTIVE["210000000003"]]


def test_select_nothing_listed_selects_nothing():
    assert targeting.select(tree(listed_parents=()), Targets(all_accounts=True), skip_management=True) == ([], [])


def test_only_listing_takes_include_inactive():
    """A root task never works in an account that is not ACTIVE, so its modules do not take the option."""
    assert "include_inactive" not in targeting.ARGUMENT_SPEC
    assert targeting.LISTING_ARGUMENT_SPEC == dict(targeting.ARGUMENT_SPEC, include_inactive={"type": "bool", "default": False})
    assert targeting.MODULE_OPTIONS == {"mutually_exclusive": [targeting.SELECTORS], "required_one_of": [targeting.SELECTORS]}
