# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: vending_record
short_description: The vending record - what was vended and whether each account is secure by default
version_added: 0.1.0
description:
  - Judges each account of a looped M(rootguard.aws.organizations_account) task against the audit of the vended
    accounts, as the role C(rootguard.aws.account_vending) writes it in its vending record.
  - C(vend) is V(created), V(found) (it existed - placed and tagged as asked), V(would_create) (check mode) or V(failed).
  - C(secure_by_default) is V(true) when the audit proved that the root user has no credential; V(false) when it found
    one, could not audit the account, or V(RootCredentialsManagement) is not enabled; V(null) when there is no account
    to judge (not vended, or only planned in check mode with the feature on). C(reason) says why.
options:
  _input:
    description:
      - The C(results) of the looped M(rootguard.aws.organizations_account) task, in the order of the accounts asked
        for; each holds the account asked for under its loop variable (C(ansible_loop_var)).
    type: list
    elements: dict
    required: true
  audit_accounts:
    description: The C(accounts) of M(rootguard.aws.root_credentials_info) over the vended accounts; empty when no audit ran.
    type: list
    elements: dict
    default: []
  root_credentials_management:
    description: Whether V(RootCredentialsManagement) is enabled in the organization.
    type: bool
    required: true
  organization_id:
    description: The organization's id.
    type: str
  title:
    description: The record's title.
    type: str
    default: ""
  check_mode:
    description: Whether the accounts were vended in check mode.
    type: bool
    default: false
  audit_reports:
    description: The audit's report files, by format.
    type: dict
    default: {}
  generated_at:
    description: When the record was made (UTC, ISO 8601). Empty - now.
    type: str
    default: ""
"""

EXAMPLES = r"""
- name: Build the vending record
  ansible.builtin.set_fact:
    record: >-
      {{ vended.results | rootguard.aws.vending_record(audit_accounts=audit.accounts, root_credentials_management=true,
                                                      organization_id='o-a1b2c3d4e5', title='Vended accounts') }}
"""

RETURN = r"""
_value:
  description:
    - C(schema_version) (1), C(title), C(organization_id), C(generated_at), C(check_mode), C(root_credentials_management),
      C(audit_reports), C(summary) (C(total), C(created), C(found), C(would_create), C(failed), C(secure_by_default),
      C(not_secure_by_default)) and C(accounts), one row per account - C(name), C(email), C(id), C(arn), C(parent_id),
      C(tags), C(vend), C(changed), C(actions), C(create_account_request_id), C(error_class), C(error_message),
      C(failure_reason), C(audit_status), C(password), C(access_keys), C(signing_certificates), C(mfa_devices),
      C(secure_by_default) and C(reason).
  type: dict
"""

import datetime
from collections.abc import Mapping

VENDS = ("created", "found", "would_create", "failed")


def vend_outcome(result: Mapping, account: Mapping) -> str:
    if result.get("failed"):
        return "failed"
    if account.get("id") is None:
        return "would_create"
    return "created" if result.get("created") else "found"


def judgement(vend: str, result: Mapping, entry, found, rcm: bool, organization_id) -> tuple:
    """(secure_by_default, reason) of one account."""
    if vend == "failed":
        return None, "not vended: " + str(result.get("error_class", "error"))
    if not rcm:
        return False, (f"RootCredentialsManagement is not enabled in organization {organization_id}: accounts created through AWS "
                       "Organizations get a root user whose password can be recovered, and no root session can audit them")
    if vend == "would_create":
        return None, "would be created while RootCredentialsManagement is enabled, so without root credentials; not audited (check mode)"
    if found is not None and found.get("compliant"):
        return True, "the audit found no root credential"
    if found is not None:
        kinds = (["password"] if (found.get("password") or {}).get("present") else []) + [
            f"{len(found.get(kind) or [])} {label}" for kind, label in
            (("access_keys", "access key(s)"), ("signing_certificates", "signing certificate(s)"), ("mfa_devices", "MFA device(s)"))
            if found.get(kind)]
        return False, "the audit found root credentials: " + ", ".join(kinds)
    if entry is not None and entry.get("status") == "failed":
        return False, f"could not be audited: {entry.get('error_class')}: {entry.get('error_message')}"
    if entry is not None:
        return False, f"not audited: {entry.get('reason')}: {entry.get('error_message')}"
    return False, "not audited"


def vended_account(result: Mapping, audited: list, rcm: bool, organization_id) -> dict:
    asked = result.get(result.get("ansible_loop_var", "item")) or {}
    account = result["account"] if isinstance(result.get("account"), Mapping) else {}
    entry = next((item for item in audited if item.get("id") == account.get("id")), None) if account.get("id") else None
    found = entry["found"] if entry is not None and isinstance(entry.get("found"), Mapping) else None
    vend = vend_outcome(result, account)
    secure, reason = judgement(vend, result, entry, found, rcm, organization_id)
    return {
        "name": asked.get("name"),
        "email": asked.get("email"),
        "id": account.get("id"),
        "arn": account.get("arn"),
        "parent_id": account.get("parent_id", asked.get("parent_id")),
        "tags": account.get("tags", asked.get("tags", {})),
        "vend": vend,
        "changed": bool(result.get("changed", False)),
        "actions": result.get("actions", []),
        "create_account_request_id": result.get("create_account_request_id"),
        "error_class": result.get("error_class"),
        "error_message": result.get("msg") if vend == "failed" else None,
        "failure_reason": result.get("failure_reason"),
        "audit_status": entry.get("status") if entry is not None else None,
        "password": bool((found.get("password") or {}).get("present")) if found is not None else None,
        "access_keys": len(found.get("access_keys") or []) if found is not None else None,
        "signing_certificates": len(found.get("signing_certificates") or []) if found is not None else None,
        "mfa_devices": len(found.get("mfa_devices") or []) if found is not None else None,
        "secure_by_default": secure,
        "reason": reason,
    }


def vending_record(results: list, root_credentials_management: bool, audit_accounts=(), organization_id=None, title: str = "",
                   check_mode: bool = False, audit_reports=None, generated_at: str = "") -> dict:
    rows = [vended_account(result, list(audit_accounts or []), bool(root_credentials_management), organization_id) for result in results]
    counts = {"total": len(rows)}
    counts.update({vend: len([row for row in rows if row["vend"] == vend]) for vend in VENDS})
    counts["secure_by_default"] = len([row for row in rows if row["secure_by_default"] is True])
    counts["not_secure_by_default"] = len([row for row in rows if row["secure_by_default"] is False])
    return {
        "schema_version": 1,
        "title": str(title),
        "organization_id": organization_id,
        "generated_at": generated_at or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "check_mode": bool(check_mode),
        "root_credentials_management": bool(root_credentials_management),
        "audit_reports": dict(audit_reports or {}),
        "summary": counts,
        "accounts": rows,
    }


class FilterModule:
    """The vending record filter."""

    def filters(self):
        return {"vending_record": vending_record}
