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
  - A type that the organization's guardrails stopped the removal from reading or removing in an account (the
    account's C(blocked) entries, with O(rootguard.aws.root_credentials#module:guardrails=check)) is not expected gone
    there; the removal reports it as blocked.
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


# The credential type each removal step removes.
STEP_TYPES = {"delete_access_key": "access_keys", "delete_signing_certificate": "signing_certificates",
              "deactivate_mfa_device": "mfa_devices", "delete_virtual_mfa_device": "mfa_devices", "delete_login_profile": "password"}


def kept_by_guardrails(account: Mapping) -> set:
    """The credential types the guardrails stopped the removal from reading or removing in ``account``."""
    return {entry.get("credential_type") or STEP_TYPES.get(entry.get("step")) for entry in account.get("blocked") or []}


def credentials_left(removal: Mapping, audit: Mapping, credential_types) -> list:
    if isinstance(credential_types, str):
        credential_types = [credential_type.strip() for credential_type in credential_types.split(",")]
    worked_on = {account.get("id"): kept_by_guardrails(account) for account in removal.get("accounts") or []
                 if account.get("status") in ("ok", "changed")}
    left = set()
    for entry in audit.get("accounts") or []:
        found = entry.get("found")
        if entry.get("status") == "ok" and entry.get("id") in worked_on and isinstance(found, Mapping):
            expected_gone = [credential_type for credential_type in credential_types if credential_type not in worked_on[entry["id"]]]
            if any(holds(found, credential_type) for credential_type in expected_gone):
                left.add(entry["id"])
    return sorted(left)


class FilterModule:
    """The removal proof filter."""

    def filters(self):
        return {"credentials_left": credentials_left}
