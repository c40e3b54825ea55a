# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The organization_accounts inventory's OU groups: keyed on ids, readable names only where unique."""

from __future__ import annotations

import pytest

from ansible_collections.rootguard.aws.plugins.inventory.organization_accounts import id_group, ou_groups, readable_group

ROOT = "r-a1b2"
WORKLOADS = "ou-a1b2-11111111"
PRODUCTION = "ou-a1b2-22222222"
DASHED = "ou-a1b2-33333333"
SLASHED = "ou-a1b2-44444444"


def ou(ou_id: str, name: str, parent_id: str = ROOT) -> dict:
    return {"id": ou_id, "name": name, "parent_id": parent_id, "ou_path": "(unused)"}


def listing(ous: list, accounts: dict) -> dict:
    """``accounts``: {account id: its OU ids from the root down}."""
    return {"organization_id": "o-a1b2c3d4e5", "organizational_units": ous,
            "accounts": [{"id": account_id, "ou_ids": chain} for account_id, chain in accounts.items()]}


@pytest.mark.parametrize("parent_id, group", [(WORKLOADS, "ou_a1b2_11111111"), (ROOT, "ou_r_a1b2"), ("ou-AB12-x.y", "ou_ab12_x_y")])
def test_id_group(parent_id, group):
    assert id_group(parent_id) == group


@pytest.mark.parametrize("name, group", [
    ("Production", "ou_workloads_production"),
    ("Pay  Ments (EU)", "ou_workloads_pay_ments_eu"),
    ("{{ lookup('pipe', 'id') }}", "ou_workloads_lookup_pipe_id"),
    ("🚀", None),
])
def test_readable_group(name, group):
    ous = {WORKLOADS: ou(WORKLOADS, "Workloads"), PRODUCTION: ou(PRODUCTION, name, WORKLOADS)}
    assert readable_group(PRODUCTION, ous) == group
    assert readable_group(ROOT, ous) == "ou_root"


def test_id_groups_nest_like_the_tree_and_readable_groups_hold_them():
    groups, collisions = ou_groups(listing(
        [ou(WORKLOADS, "Workloads"), ou(PRODUCTION, "Production", WORKLOADS)],
        {"210000000001": [ROOT], "210000000002": [ROOT, WORKLOADS, PRODUCTION], "210000000003": [ROOT, WORKLOADS]},
    ))
    assert collisions == {}
    assert groups == {
        "ou_r_a1b2": {"hosts": {"210000000001"}, "children": set()},
        "ou_a1b2_11111111": {"hosts": {"210000000003"}, "children": {"ou_a1b2_22222222"}},
        "ou_a1b2_22222222": {"hosts": {"210000000002"}, "children": set()},
        "ou_root": {"hosts": set(), "children": {"ou_r_a1b2"}},
        "ou_workloads": {"hosts": set(), "children": {"ou_a1b2_11111111"}},
        "ou_workloads_production": {"hosts": set(), "children": {"ou_a1b2_22222222"}},
    }


def test_colliding_readable_names_go_to_nobody():
    ous = [ou(WORKLOADS, "Workloads"), ou(PRODUCTION, "Production", WORKLOADS), ou(DASHED, "Workloads-Production"),
           ou(SLASHED, "Workloads/Production"), ou("ou-a1b2-55555555", "Root"), ou("ou-a1b2-66666666", "a1b2 11111111")]
    groups, collisions = ou_groups(listing(ous, {
        "210000000001": [ROOT], "210000000002": [ROOT, WORKLOADS, PRODUCTION], "210000000003": [ROOT, DASHED],
        "210000000004": [ROOT, SLASHED], "210000000005": [ROOT, "ou-a1b2-55555555"], "210000000006": [ROOT, "ou-a1b2-66666666"],
    }))
    assert collisions == {
        "ou_workloads_production": [PRODUCTION, DASHED, SLASHED],
        "ou_root": [ROOT, "ou-a1b2-55555555"],
        "ou_a1b2_11111111": ["ou-a1b2-66666666", WORKLOADS],
    }
    assert not {"ou_workloads_production", "ou_root"} & set(groups)
    # The id group an OU name imitates is still the OU's own, and keeps its readable name.
    assert groups["ou_a1b2_11111111"] == {"hosts": set(), "children": {"ou_a1b2_22222222"}}
    assert groups["ou_workloads"] == {"hosts": set(), "children": {"ou_a1b2_11111111"}}
    for account_id, group in (("210000000003", "ou_a1b2_33333333"), ("210000000004", "ou_a1b2_44444444"),
                              ("210000000005", "ou_a1b2_55555555"), ("210000000006", "ou_a1b2_66666666")):
        assert groups[group] == {"hosts": {account_id}, "children": set()}
    hosts = [host for group in groups.values() for host in group["hosts"]]
    assert sorted(hosts) == [f"21000000000{number}" for number in range(1, 7)]


def test_a_readable_name_is_checked_against_ous_without_listed_accounts():
    # No listed account is in Workloads/Production, yet Workloads-Production may not take its readable name.
    groups, collisions = ou_groups(listing(
        [ou(WORKLOADS, "Workloads"), ou(PRODUCTION, "Production", WORKLOADS), ou(DASHED, "Workloads-Production")],
        {"210000000003": [ROOT, DASHED]},
    ))
    assert collisions == {"ou_workloads_production": [PRODUCTION, DASHED]}
    assert groups == {"ou_r_a1b2": {"hosts": set(), "children": set()}, "ou_root": {"hosts": set(), "children": {"ou_r_a1b2"}},
                      "ou_a1b2_33333333": {"hosts": {"210000000003"}, "children": set()}}
