# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: blocked_lines
short_description: One line per account on what the organization's guardrails stopped in it
version_added: 0.1.0
description:
  - Takes the accounts of M(rootguard.aws.root_credentials) or M(rootguard.aws.root_credentials_info) run with
    C(guardrails=check) and returns, for each account with C(blocked) entries, one line naming what was stopped (the
    credential type or removal step, and the AWS action) and by what (the policy type, name and id, the statement and
    where the policy is attached). Accounts without C(blocked) entries are left out.
  - Each statement is named once per account; the remedies are in the entries' C(remedy).
options:
  _input:
    description: The accounts (C(accounts) of the module's result).
    type: list
    elements: dict
    required: true
"""

EXAMPLES = r"""
- name: Say what the guardrails stopped
  ansible.builtin.debug:
    msg: "{{ removal.accounts | rootguard.aws.blocked_lines }}"
"""

RETURN = r"""
_value:
  description: The lines, such as C(210000000001 - password (iam:DeleteLoginProfile) stopped by SCP KeepPassword (p-ab12cd34)
    statement KeepRootPassword attached to ou-ab12-cdefgh34.)
  type: list
  elements: str
"""

POLICY_KINDS = {"SERVICE_CONTROL_POLICY": "SCP", "RESOURCE_CONTROL_POLICY": "RCP"}


def _what(entry: dict) -> str:
    stopped = entry.get("credential_type") or entry.get("step")
    if entry.get("step") not in (None, "read") and entry.get("credential_type") is None:
        stopped = entry["step"] + (f" {entry['id']}" if entry.get("id") else "")
    elif entry.get("step") == "read":
        stopped = f"reading {entry.get('credential_type')}"
    return f"{stopped} ({entry.get('action')})"


def _by(entry: dict) -> str:
    kind = POLICY_KINDS.get(entry.get("policy_type"), entry.get("policy_type"))
    if not entry.get("policy_id"):
        return f"no {kind} attached to {entry.get('target_id')} allowing it"
    return f"{kind} {entry.get('policy_name')} ({entry.get('policy_id')}) statement {entry.get('statement')} attached to {entry.get('target_id')}"


def blocked_lines(accounts: list) -> list:
    lines = []
    for account in accounts or ():
        entries = account.get("blocked") or []
        if not entries:
            continue
        by_statement: dict = {}
        for entry in entries:
            by_statement.setdefault(_by(entry), []).append(_what(entry))
        stopped = "; ".join(f"{', '.join(dict.fromkeys(whats))} stopped by {by}" for by, whats in by_statement.items())
        lines.append(f"{account.get('id')} - {stopped}.")
    return lines


class FilterModule:
    """The blocked_lines filter."""

    def filters(self):
        return {"blocked_lines": blocked_lines}
