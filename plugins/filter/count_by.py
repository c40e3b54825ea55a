# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: count_by
short_description: How many items have each value of an attribute
version_added: 0.1.0
description:
  - Counts a list of dictionaries by the value of one key, such as the accounts of a module's result by C(status).
  - The values of O(keys) come first and are counted even when no item has them (zero); any other value follows, in
    the order it first appears.
options:
  _input:
    description: The items.
    type: list
    elements: dict
    required: true
  attribute:
    description: The key whose values are counted. An item without it counts under V(null).
    type: str
    required: true
  keys:
    description: Values always present in the result, first, in this order.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Count the accounts by status
  ansible.builtin.debug:
    msg: "{{ counts.changed }} changed, {{ counts.failed }} failed"
  vars:
    counts: "{{ result.accounts | rootguard.aws.count_by('status', keys=['changed', 'ok', 'skipped', 'failed']) }}"
"""

RETURN = r"""
_value:
  description: Each value to the number of items that have it.
  type: dict
"""


def count_by(items: list, attribute: str, keys=()) -> dict:
    counts = {key: 0 for key in keys}
    for item in items:
        value = item.get(attribute)
        counts[value] = counts.get(value, 0) + 1
    return counts


class FilterModule:
    """The count_by filter."""

    def filters(self):
        return {"count_by": count_by}
