# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: audit_report
short_description: The data of the root credentials audit's reports, from the result of root_credentials_info
version_added: 0.1.0
description:
  - Turns the result of M(rootguard.aws.root_credentials_info) into everything the reports of the role
    C(rootguard.aws.root_credentials_audit) show, so that its JSON, CSV and HTML reports show the same figures.
  - Each account gets an C(outcome) - V(compliant), V(noncompliant) (audited, with a root credential left), V(skipped)
    or V(failed) - and the number of each kind of root credential (null for an account that was not audited).
  - The summary counts the accounts by outcome and how many audited accounts have each kind of root credential; the
    breakdown by organizational unit is keyed on the id of the account's parent (OU names are not unique and may
    contain V(/)); an account that the organization does not hold is counted under V((not in organization\)).
options:
  _input:
    description: The result of M(rootguard.aws.root_credentials_info) (its C(organization_id) and C(accounts)).
    type: dict
    required: true
  title:
    description: The reports' title.
    type: str
    default: Root credentials audit
  generated_at:
    description: When the reports were generated (UTC, ISO 8601). Empty - now.
    type: str
    default: ""
  account_ids:
    description: The account ids audited, when they were the targeting used.
    type: list
    elements: str
    default: []
  organizational_unit_ids:
    description: The OU ids audited, when they were the targeting used (O(account_ids) is empty).
    type: list
    elements: str
    default: []
  exclude_account_ids:
    description: The accounts left out.
    type: list
    elements: str
    default: []
"""

EXAMPLES = r"""
- name: Build the reports' data
  ansible.builtin.set_fact:
    report: "{{ audit_result | rootguard.aws.audit_report(title='Root credentials audit', account_ids=['111122223333']) }}"

- name: Say how many audited accounts are compliant
  ansible.builtin.debug:
    msg: "{{ report.summary.compliant }} of {{ report.summary.audited }}"
"""

RETURN = r"""
_value:
  description:
    - The reports' data - C(schema_version) (2), C(title), C(organization_id), C(generated_at), C(targeting)
      (C(selector), C(account_ids), C(organizational_unit_ids), C(all_accounts), C(exclude_account_ids)), C(summary)
      (C(total), C(audited), C(compliant), C(noncompliant), C(skipped), C(failed), C(accounts_with_password),
      C(accounts_with_access_keys), C(accounts_with_signing_certificates), C(accounts_with_mfa_devices)),
      C(organizational_units) (parent id to C(ou_path), C(accounts) and the counts by outcome) and C(accounts) (one row
      per account - C(id), C(name), C(ou_path), C(parent_id), C(status), C(outcome), C(compliant), C(password),
      C(access_keys), C(active_access_keys), C(signing_certificates), C(mfa_devices), C(reason), C(error_class),
      C(error_message), C(aws_error_code), C(found)).
  type: dict
"""

import datetime
from collections.abc import Mapping

OUTCOMES = ("compliant", "noncompliant", "skipped", "failed")
CREDENTIALS = ("password", "access_keys", "signing_certificates", "mfa_devices")
NOT_IN_ORGANIZATION = "(not in organization)"


def account_row(entry: Mapping) -> dict:
    """One account of the module's result as a report row."""
    found = entry.get("found") if isinstance(entry.get("found"), Mapping) else None
    if entry.get("status") == "failed":
        outcome = "failed"
    elif found is None:
        outcome = "skipped"
    else:
        outcome = "compliant" if found.get("compliant") else "noncompliant"

    def count(kind: str, active_only: bool = False):
        if found is None:
            return None
        items = found.get(kind) or []
        return len([item for item in items if item.get("status") == "Active"] if active_only else items)

    return {
        "id": str(entry.get("id")),
        "name": entry.get("name"),
        "ou_path": entry.get("ou_path"),
        "parent_id": entry.get("parent_id"),
        "status": entry.get("status"),
        "outcome": outcome,
        "compliant": None if found is None else bool(found.get("compliant")),
        "password": None if found is None else bool((found.get("password") or {}).get("present")),
        "access_keys": count("access_keys"),
        "active_access_keys": count("access_keys", active_only=True),
        "signing_certificates": count("signing_certificates"),
        "mfa_devices": count("mfa_devices"),
        "reason": entry.get("reason"),
        "error_class": entry.get("error_class"),
        "error_message": entry.get("error_message"),
        "aws_error_code": entry.get("aws_error_code"),
        "found": found,
    }


def outcome_counts(rows: list) -> dict:
    return {outcome: len([row for row in rows if row["outcome"] == outcome]) for outcome in OUTCOMES}


def summary(rows: list) -> dict:
    audited = [row for row in rows if row["status"] == "ok"]
    counts = {"total": len(rows), "audited": len(audited)}
    counts.update(outcome_counts(rows))
    counts.update({"accounts_with_" + kind: len([row for row in audited if row[kind]]) for kind in CREDENTIALS})
    return counts


def organizational_units(rows: list) -> dict:
    """Parent id -> its path and the counts of the accounts directly in it; accounts without a parent first."""
    groups: dict = {}
    outside = [row for row in rows if not row["parent_id"]]
    if outside:
        groups[NOT_IN_ORGANIZATION] = {"ou_path": None, "accounts": len(outside), **outcome_counts(outside)}
    for parent_id in sorted({row["parent_id"] for row in rows if row["parent_id"]}):
        members = [row for row in rows if row["parent_id"] == parent_id]
        groups[parent_id] = {"ou_path": members[0]["ou_path"], "accounts": len(members), **outcome_counts(members)}
    return groups


def audit_report(result: Mapping, title: str = "Root credentials audit", generated_at: str = "",
                 account_ids=(), organizational_unit_ids=(), exclude_account_ids=()) -> dict:
    """The reports' data; the targeting is chosen as the role chooses it (account ids, else OU ids, else all)."""
    rows = [account_row(entry) for entry in result.get("accounts") or []]
    selector = "account_ids" if account_ids else ("organizational_unit_ids" if organizational_unit_ids else "all_accounts")
    return {
        "schema_version": 2,
        "title": str(title),
        "organization_id": result.get("organization_id"),
        "generated_at": generated_at or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "targeting": {
            "selector": selector,
            "account_ids": list(account_ids) if selector == "account_ids" else [],
            "organizational_unit_ids": list(organizational_unit_ids) if selector == "organizational_unit_ids" else [],
            "all_accounts": selector == "all_accounts",
            "exclude_account_ids": list(exclude_account_ids),
        },
        "summary": summary(rows),
        "organizational_units": organizational_units(rows),
        "accounts": rows,
    }


class FilterModule:
    """The audit report filter."""

    def filters(self):
        return {"audit_report": audit_report}
