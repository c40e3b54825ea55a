# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: credentials_left
short_description: The accounts where an audit still finds a root credential type that a removal removed
version_added: 0.1.0
description:
  - The proof of a removal. Takes the result of M(rootguard.aws.root_credentials) (O(rootguard.aws.root_credentials#module:state=absent))
    and the result of M(rootguard.aws.root_credentials_info) over the same accounts afterwards, and returns the ids of
    the accounts the removal worked on (status V(ok) or V(changed)) in which the audit (status V(ok)) still finds a
    credential of one of the removed types.
  - An account that the audit could not read is not listed; the audit reports it as failed.
options:
  _input:
    description: The result of M(rootguard.aws.root_credentials) (its C(accounts)).
    type: dict
    required: true
  audit:
    description: The result of M(rootguard.aws.root_credentials_info) after the removal (its C(accounts)).
    type: dict
    required: true
  credential_types:
    description: The credential types that were removed.
    type: list
    elements: str
    choices: [access_keys, signing_certificates, mfa_devices, password]
    required: true
"""

EXAMPLES = r"""
- name: Prove that the removed credential types are gone
  ansible.builtin.assert:
    that: removal | rootguard.aws.credentials_left(audit=audit_after, credential_types=['access_keys', 'password']) | length == 0
"""

RETURN = r"""
_value:
  description: The account ids, sorted, each once; empty when the removal is proven.
  type: list
  elements: str
"""

from collections.abc import Mapping


def holds(found: Mapping, credential_type: str) -> bool:
    if credential_type == "password":
        return bool((found.get("password") or {}).get("present"))
    return bool(found.get(credential_type))


def credentials_left(removal: Mapping, audit: Mapping, credential_types) -> list:
    if isinstance(credential_types, str):
        credential_types = [credential_type.strip() for credential_type in credential_types.split(",")]
    worked_on = {account.get("id") for account in removal.get("accounts") or [] if account.get("status") in ("ok", "changed")}
    left = set()
    for entry in audit.get("accounts") or []:
        found = entry.get("found")
        if entry.get("status") == "ok" and entry.get("id") in worked_on and isinstance(found, Mapping):
            if any(holds(found, credential_type) for credential_type in credential_types):
                left.add(entry["id"])
    return sorted(left)


class FilterModule:
    """The removal proof filter."""

    def filters(self):
        return {"credentials_left": credentials_left}
