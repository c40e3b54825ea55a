# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: full_result
short_description: A module result with every account's entry, read back from its accounts file
version_added: 0.1.0
description:
  - The modules that return one entry per account keep their result under C(max_result_size) characters (an automation
    controller drops a larger one) and, with C(accounts_file), write the whole result to that file. This filter
    returns the whole result - every account's entry - from a result that was shortened, and the result itself when it
    was not.
  - It reads the file on the controller; run the module on the controller too (C(localhost)), as every playbook of
    this collection does.
  - A shortened result without C(accounts_file), or a file that is missing, unreadable or of another run (another
    C(run_id) or organization), is an error.
options:
  _input:
    description: A result registered from M(rootguard.aws.root_credentials_info), M(rootguard.aws.root_credentials),
      M(rootguard.aws.root_password_recovery), M(rootguard.aws.root_task_guardrails_info) or
      M(rootguard.aws.organizations_account_info).
    type: dict
    required: true
"""

EXAMPLES = r"""
- name: Audit, keeping every account's entry in a file
  rootguard.aws.root_credentials_info:
    all_accounts: true
    accounts_file: "{{ playbook_dir }}/audit-accounts.json"
  register: audit

- name: The accounts that still have a password, among all of them
  ansible.builtin.debug:
    msg: "{{ (audit | rootguard.aws.full_result).accounts | selectattr('found.password') | map(attribute='id') | list }}"
"""

RETURN = r"""
_value:
  description: The result with every account's entry in C(accounts), and C(accounts_complete=true).
  type: dict
"""

import json

from ansible.errors import AnsibleFilterError
from ansible.module_utils.common.text.converters import to_native

# What must be the same in the result and in its file for the file to be the result's.
_SAME = ("organization_id", "run_id")


def full_result(result: dict) -> dict:
    if not isinstance(result, dict):
        raise AnsibleFilterError(f"full_result expects a module's result (a dictionary), not {type(result).__name__}.")
    if result.get("accounts_complete", True) is not False:
        return result
    path = result.get("accounts_file")
    if not path:
        raise AnsibleFilterError(
            f"full_result: the result holds {len(result.get('accounts', []))} of its accounts (max_result_size) and no accounts_file "
            "has the others; give the module accounts_file.")
    try:
        with open(path, encoding="utf-8") as handle:
            whole = json.load(handle)
    except (OSError, ValueError) as error:
        raise AnsibleFilterError(f"full_result: cannot read the accounts file {path}: {to_native(error)}") from error
    if not isinstance(whole, dict) or not isinstance(whole.get("accounts"), list):
        raise AnsibleFilterError(f"full_result: {path} is not a module's accounts file (no accounts list).")
    for key in _SAME:
        if key in result and whole.get(key) != result.get(key):
            raise AnsibleFilterError(f"full_result: {path} is of another run ({key} {whole.get(key)!r}, not {result.get(key)!r}).")
    return dict(whole, accounts_file=path, accounts_complete=True, accounts_omitted=0)


class FilterModule:
    """The full_result filter."""

    def filters(self):
        return {"full_result": full_result}
