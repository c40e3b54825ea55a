# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: stale_accounts
short_description: The inventory hosts whose account is no longer where the inventory puts it
version_added: 0.1.0
description:
  - Compares the parent of each host's account in the P(rootguard.aws.organization_accounts#inventory) inventory (its
    C(parent_id) variable, as the inventory or its cache read it) with where the organization has it now (the result of
    M(rootguard.aws.organizations_account_info) for those accounts, read back whole with
    P(rootguard.aws.full_result#filter)), and returns an entry for each host whose account moved or left the
    organization, such as the root-task modules return for an account they skip (reason V(stale_inventory)).
options:
  _input:
    description: The result of M(rootguard.aws.organizations_account_info) for the hosts' accounts, with C(include_inactive=true).
    type: dict
    required: true
  hosts:
    description: The inventory hosts to look at, such as C(ansible_play_hosts).
    type: list
    elements: str
    required: true
  hostvars:
    description: The variables of every host (C(hostvars)).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Find the accounts that moved since the inventory was read
  ansible.builtin.set_fact:
    stale: "{{ live | rootguard.aws.stale_accounts(hosts=ansible_play_hosts, hostvars=hostvars) }}"
"""

RETURN = r"""
_value:
  description: One entry per stale host, in the order of O(hosts), with C(id), C(name), C(ou_path), C(status=skipped),
    C(reason=stale_inventory), C(inventory_parent_id), C(parent_id) (now; empty when the account left the organization)
    and C(error_message).
  type: list
  elements: dict
"""

from ansible_collections.rootguard.aws.plugins.filter.full_result import full_result


def _message(account_id: str, inventory_parent: str, parent: str) -> str:
    where = f"in {parent}" if parent else "no longer in the organization"
    return (f"The inventory puts account {account_id} in {inventory_parent} but it is {where} now: the inventory (its cache) is "
            "out of date. Refresh it (ansible-inventory --flush-cache, or the inventory source's update) and run again.")


def stale_accounts(live: dict, hosts: list, hostvars) -> list:
    parents = {account["id"]: account.get("parent_id") or "" for account in full_result(live).get("accounts", [])}
    stale = []
    for host in hosts:
        variables = hostvars[host]
        account_id, inventory_parent = str(variables["account_id"]), str(variables["parent_id"])
        parent = parents.get(account_id, "")
        if parent != inventory_parent:
            stale.append({"id": account_id, "name": variables.get("account_name"), "ou_path": variables.get("ou_path"),
                          "status": "skipped", "reason": "stale_inventory", "inventory_parent_id": inventory_parent,
                          "parent_id": parent, "error_message": _message(account_id, inventory_parent, parent)})
    return stale


class FilterModule:
    """The stale_accounts filter."""

    def filters(self):
        return {"stale_accounts": stale_accounts}
