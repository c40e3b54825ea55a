# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: previous_report_problems
short_description: What makes an earlier audit report one the audit cannot compare with
version_added: 0.1.0
description:
  - The check the role C(rootguard.aws.root_credentials_audit) runs on the report it compares with (its
    C(root_credentials_audit_previous_report)) before it compares - the report must be JSON, the data of the filter
    P(rootguard.aws.audit_report#filter) (C(schema_version) 3 or later, C(accounts) rows with an id, C(generated_at) an ISO 8601
    time) and, when O(organization_id) is given, of that organization.
  - A report written before findings existed (C(schema_version) 3) compares as well as a newer one - the findings of both are made
    from the rows' C(found) by the same table.
options:
  _input:
    description: The earlier report - the text of its JSON file, or its data.
    type: raw
    required: true
  organization_id:
    description: The organization the report must be of. Empty - not checked.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Read the last audit's report
  ansible.builtin.slurp:
    src: reports/last/root-credentials-audit.json
  register: last_report

- name: Stop when it is no report of this organization
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }}"
  vars:
    problems: "{{ last_report.content | b64decode | rootguard.aws.previous_report_problems(organization_id='o-exampleorgid') }}"
"""

RETURN = r"""
_value:
  description: What is wrong, in one sentence each (such as V(it is a report of organization 'o-1111111111', not of 'o-2222222222'));
    empty when the report can be compared with.
  type: list
  elements: str
"""

from ansible_collections.rootguard.aws.plugins.module_utils import drift


def previous_report_problems(value, organization_id: str = "") -> list:
    return drift.problems(value, organization_id or None)


class FilterModule:
    """The previous report check."""

    def filters(self):
        return {"previous_report_problems": previous_report_problems}
