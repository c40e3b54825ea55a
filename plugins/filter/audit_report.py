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
  - Each account gets an C(outcome) - V(compliant), V(noncompliant) (audited, with a root credential left), V(skipped),
    V(blocked) (skipped by the module because the organization's guardrails deny its audit, its status V(skipped) with the
    reason V(blocked_by_guardrail)) or V(failed) - and the number of each kind of root credential (null for an account that
    was not audited).
  - Given the result of M(rootguard.aws.root_task_guardrails_info) (O(guardrails)), each account also gets the root tasks
    that the SCPs and RCPs on its path block, each with the calls denied and by what, and the tasks they may block
    (uncertain); the report gets the check's counts per task and its remedies.
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
  guardrails:
    description:
      - The result of M(rootguard.aws.root_task_guardrails_info) over the same accounts. Empty or omitted - the guardrails
        were not checked, and the rows' guardrail fields are null.
    type: dict
    default: {}
"""

EXAMPLES = r"""
- name: Build the reports' data
  ansible.builtin.set_fact:
    report: "{{ audit_result | rootguard.aws.audit_report(title='Root credentials audit', account_ids=['111122223333']) }}"

- name: The same, with the guardrail check's result
  ansible.builtin.set_fact:
    report: "{{ audit_result | rootguard.aws.audit_report(guardrails=guardrails_result) }}"

- name: The accounts whose credential removal the guardrails block
  ansible.builtin.debug:
    msg: "{{ report.accounts | selectattr('guardrails_blocked_tasks.IAMDeleteRootUserCredentials', 'defined') | map(attribute='id') }}"

- name: Say how many audited accounts are compliant
  ansible.builtin.debug:
    msg: "{{ report.summary.compliant }} of {{ report.summary.audited }}"
"""

RETURN = r"""
_value:
  description:
    - The reports' data - C(schema_version) (3), C(title), C(organization_id), C(generated_at), C(targeting)
      (C(selector), C(account_ids), C(organizational_unit_ids), C(all_accounts), C(exclude_account_ids)), C(summary)
      (C(total), C(audited), C(compliant), C(noncompliant), C(skipped), C(blocked), C(failed), C(accounts_with_password),
      C(accounts_with_access_keys), C(accounts_with_signing_certificates), C(accounts_with_mfa_devices)),
      C(organizational_units) (parent id to C(ou_path), C(accounts) and the counts by outcome), C(guardrails) and
      C(accounts) (one row per account - C(id), C(name), C(ou_path), C(parent_id), C(status), C(outcome), C(compliant),
      C(password), C(access_keys), C(active_access_keys), C(signing_certificates), C(mfa_devices), C(reason),
      C(error_class), C(error_message), C(aws_error_code), C(found), C(blocked_by), C(guardrails_blocked_tasks),
      C(guardrails_uncertain_tasks), C(guardrails_text)).
    - C(guardrails) - C(checked) (whether O(guardrails) was given), C(policy_types_enabled) (V(SCP), V(RCP)), C(regions)
      (where the bucket and queue unlocks were decided), C(tasks) (per task policy, the check's counts of accounts
      C(allowed), C(blocked) and C(uncertain), the management account counted as allowed) and C(remedies) (the check's
      remedies - C(policy_type) as V(SCP) or V(RCP), C(policy_id), C(policy_name), C(statement), C(reason),
      C(target_ids), C(remedy), C(accounts), C(tasks), C(actions)).
    - C(guardrails_blocked_tasks) - per task the guardrails block in the account, the denials that block it (calls the
      task cannot do without), each with C(policy_name), C(policy_id), C(policy_type) (V(SCP) or V(RCP)), C(statement)
      (its Sid or index; null for a level where no policy allows the call), C(target_id) (where the policy is
      attached), C(reason) (V(explicit_deny) or V(not_allowed)), C(action) and C(region). C(guardrails_uncertain_tasks) -
      per task that may be blocked, the same with C(why) in place of C(reason). Both are null for an account the check
      did not decide (not checked, or left out of the organization).
    - C(blocked_by) - for an account whose audit the guardrails stopped (outcome V(blocked)), the module's C(blocked)
      entries (the same fields, plus C(remedy)); empty otherwise.
    - C(guardrails_text) - the same in words, as the CSV and HTML reports show them - C(blocked_tasks) (such as
      C(IAMDeleteRootUserCredentials by aws-guardrails-XyZ (p-abcd1234\) statement GRRESTRICTROOTUSER; ...)),
      C(uncertain_tasks), C(blocked_by), and per task what blocks it or may block it (C(blocked_by_task),
      C(uncertain_by_task)).
  type: dict
"""

import datetime
from collections.abc import Mapping

from ansible.errors import AnsibleFilterError

from ansible_collections.rootguard.aws.plugins.module_utils import drift, findings as finding_table

OUTCOMES = ("compliant", "noncompliant", "skipped", "blocked", "failed")
CREDENTIALS = ("password", "access_keys", "signing_certificates", "mfa_devices")
NOT_IN_ORGANIZATION = "(not in organization)"
# The reason root_credentials_info gives an account whose audit the guardrails deny (its guardrails: check option).
BLOCKED_BY_GUARDRAIL = "blocked_by_guardrail"
POLICY_TYPE_LABELS = {"SERVICE_CONTROL_POLICY": "SCP", "RESOURCE_CONTROL_POLICY": "RCP"}
# The tasks decided per Region (a bucket's or queue's); the IAM tasks call IAM's one Region.
REGIONAL_TASKS = ("S3UnlockBucketPolicy", "SQSUnlockQueuePolicy")
DENIAL_FIELDS = ("policy_name", "policy_id", "policy_type", "statement", "target_id", "reason", "action", "region")
UNCERTAIN_FIELDS = ("policy_name", "policy_id", "policy_type", "statement", "target_id", "why", "action", "region")


# ---------------------------------------------------------------------------
# Guardrail entries


def policy_type_label(policy_type) -> str | None:
    """SERVICE_CONTROL_POLICY -> SCP, RESOURCE_CONTROL_POLICY -> RCP; anything else as it is."""
    return POLICY_TYPE_LABELS.get(policy_type, policy_type)


def denial(entry: Mapping, fields: tuple = DENIAL_FIELDS) -> dict:
    """A denied (or uncertain, or blocked) entry of the guardrail check with the report's fields, the policy type short."""
    picked = {field: entry.get(field) for field in fields}
    picked["policy_type"] = policy_type_label(picked["policy_type"])
    return picked


def denial_words(entry: Mapping, with_region: bool = False) -> str:
    """"<policy name> (<policy id>) statement <sid>", or for a level where no policy allows the call
    "no SCP allowing it at <target id>"."""
    if entry.get("policy_id"):
        words = f"{entry.get('policy_name')} ({entry.get('policy_id')}) statement {entry.get('statement')}"
    else:
        words = f"no {entry.get('policy_type')} allowing it at {entry.get('target_id')}"
    if with_region and entry.get("region"):
        words += f" in {entry.get('region')}"
    return words


def words_by_task(tasks: Mapping | None) -> dict:
    """Task -> what blocks it in words, each policy and statement once: "<policy> (<id>) statement <sid>, ..."."""
    return {task: ", ".join(dict.fromkeys(denial_words(entry, with_region=task in REGIONAL_TASKS) for entry in entries))
            for task, entries in (tasks or {}).items()}


def tasks_words(tasks: Mapping | None) -> str:
    """Task -> entries in words: "<task> by <policy> ...; <task> by ...", each policy and statement once per task."""
    parts = []
    for task, entries in (tasks or {}).items():
        said = dict.fromkeys(denial_words(entry, with_region=task in REGIONAL_TASKS) for entry in entries)
        if said:
            parts.extend(f"{task} by {words}" for words in said)
        else:
            parts.append(task)
    return "; ".join(parts)


def account_guardrails(checked: Mapping | None) -> tuple:
    """(blocked tasks, uncertain tasks) of one account of the check's result: a blocked task's essential denials (a
    denial the module goes on without does not block it), an uncertain task's uncertain entries; (None, None) when the
    check did not decide the account."""
    if not checked:
        return None, None
    blocked, uncertain = {}, {}
    for task, decided in (checked.get("task_policies") or {}).items():
        if decided.get("allowed") is False:
            blocked[task] = [denial(entry) for entry in decided.get("denied") or () if entry.get("essential", True)]
        elif decided.get("allowed") is None:
            uncertain[task] = [denial(entry, UNCERTAIN_FIELDS) for entry in decided.get("uncertain") or ()]
    return blocked, uncertain


def guardrails_section(guardrails: Mapping) -> dict:
    """The check's counts per task and its remedies, as the reports show them."""
    if not guardrails:
        return {"checked": False, "policy_types_enabled": [], "regions": [], "tasks": {}, "remedies": []}
    return {
        "checked": True,
        "policy_types_enabled": [policy_type_label(policy_type) for policy_type in guardrails.get("policy_types_enabled") or ()],
        "regions": list(guardrails.get("regions") or ()),
        "tasks": {task: dict(counts) for task, counts in (guardrails.get("summary") or {}).items()},
        "remedies": [dict(remedy, policy_type=policy_type_label(remedy.get("policy_type"))) for remedy in guardrails.get("remedies") or ()],
    }


# ---------------------------------------------------------------------------
# Rows


def outcome_of(entry: Mapping, found: Mapping | None) -> str:
    if entry.get("status") == "failed":
        return "failed"
    if entry.get("status") == "skipped" and entry.get("reason") == BLOCKED_BY_GUARDRAIL:
        return "blocked"
    if found is None:
        return "skipped"
    return "compliant" if found.get("compliant") else "noncompliant"


def account_row(entry: Mapping, checked: Mapping | None = None, audited_at: datetime.datetime | None = None) -> dict:
    """One account of the module's result as a report row; ``checked`` is the account in the guardrail check's result;
    ``audited_at`` the time the findings are judged at (a key used in the 90 days before it)."""
    found = entry.get("found") if isinstance(entry.get("found"), Mapping) else None
    outcome = outcome_of(entry, found)

    def count(kind: str, active_only: bool = False):
        if found is None:
            return None
        items = found.get(kind) or []
        return len([item for item in items if item.get("status") == "Active"] if active_only else items)

    blocked_tasks, uncertain_tasks = account_guardrails(checked)
    blocked_by = [dict(denial(item), remedy=item.get("remedy")) for item in entry.get("blocked") or ()] if outcome == "blocked" else []
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
        "findings": finding_table.ranked(finding_table.account_findings(dict(entry, id=str(entry.get("id")), found=found),
                                                                        audited_at or datetime.datetime.now(datetime.timezone.utc))),
        "blocked_by": blocked_by,
        "guardrails_blocked_tasks": blocked_tasks,
        "guardrails_uncertain_tasks": uncertain_tasks,
        "guardrails_text": {
            "blocked_tasks": tasks_words(blocked_tasks),
            "uncertain_tasks": tasks_words(uncertain_tasks),
            "blocked_by": "; ".join(dict.fromkeys(denial_words(item) for item in blocked_by)),
            "blocked_by_task": words_by_task(blocked_tasks),
            "uncertain_by_task": words_by_task(uncertain_tasks),
        },
    }


def outcome_counts(rows: list) -> dict:
    return {outcome: len([row for row in rows if row["outcome"] == outcome]) for outcome in OUTCOMES}


def summary(rows: list) -> dict:
    audited = [row for row in rows if row["status"] == "ok"]
    counts = {"total": len(rows), "audited": len(audited)}
    counts.update(outcome_counts(rows))
    counts.update({"accounts_with_" + kind: len([row for row in audited if row[kind]]) for kind in CREDENTIALS})
    counts["findings"] = finding_table.severity_counts(item for row in rows for item in row["findings"])
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


def drift_section(report: dict, previous, first_run: bool) -> dict | None:
    """What changed since ``previous`` (an earlier report's data or its JSON text); None when not compared."""
    if first_run:
        return {"compared": False, "first_run": True, "since": None, "previous_organization_id": None, "new_findings": [],
                "resolved_findings": [], "accounts_joined": [], "accounts_left": [], "accounts_changed": []}
    if not previous:
        return None
    try:
        return dict(drift.compare(drift.parse_report(previous), report), compared=True, first_run=False)
    except drift.ReportError as error:
        raise AnsibleFilterError(f"The previous audit report cannot be compared with: {error}") from None


def audit_report(result: Mapping, title: str = "Root credentials audit", generated_at: str = "",
                 account_ids=(), organizational_unit_ids=(), exclude_account_ids=(), guardrails: Mapping | None = None,
                 previous=None, first_run: bool = False) -> dict:
    """The reports' data; the targeting is chosen as the role chooses it (account ids, else OU ids, else all).
    ``guardrails``: the result of root_task_guardrails_info, or empty when the guardrails were not checked.
    ``previous``: an earlier report to compare with (``drift``), or ``first_run`` when there is none to be had."""
    guardrails = guardrails or {}
    generated_at = generated_at or datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    audited_at = drift.parse_time(generated_at)
    checked = {str(account.get("id")): account for account in guardrails.get("accounts") or ()}
    rows = [account_row(entry, checked.get(str(entry.get("id"))), audited_at) for entry in result.get("accounts") or []]
    selector = "account_ids" if account_ids else ("organizational_unit_ids" if organizational_unit_ids else "all_accounts")
    report = {
        "schema_version": 4,
        "title": str(title),
        "organization_id": result.get("organization_id"),
        "generated_at": generated_at,
        "targeting": {
            "selector": selector,
            "account_ids": list(account_ids) if selector == "account_ids" else [],
            "organizational_unit_ids": list(organizational_unit_ids) if selector == "organizational_unit_ids" else [],
            "all_accounts": selector == "all_accounts",
            "exclude_account_ids": list(exclude_account_ids),
        },
        "summary": summary(rows),
        "organizational_units": organizational_units(rows),
        "guardrails": guardrails_section(guardrails),
        "findings": finding_table.ranked([item for row in rows for item in row["findings"]]),
        "accounts": rows,
    }
    report["drift"] = drift_section(report, previous, first_run)
    mark_changes(rows, report["drift"])
    return report


def mark_changes(rows: list, changes: dict | None) -> None:
    """Each row's ``since_previous``: its ``change`` (V(joined), V(changed) or V(unchanged)) and the kinds of its new and
    resolved findings; None when the report was not compared."""
    compared = bool(changes and changes.get("compared"))
    joined = set(changes["accounts_joined"]) if compared else set()
    changed = {item["id"] for item in changes["accounts_changed"]} if compared else set()
    new, gone = {}, {}
    for source, kinds in ((changes or {}).get("new_findings") or (), new), ((changes or {}).get("resolved_findings") or (), gone):
        for item in source:
            kinds.setdefault(item["account_id"], []).append(item["kind"])
    for row in rows:
        if not compared:
            row["since_previous"] = None
            continue
        row["since_previous"] = {
            "change": "joined" if row["id"] in joined else ("changed" if row["id"] in changed else "unchanged"),
            "new_findings": new.get(row["id"], []),
            "resolved_findings": gone.get(row["id"], []),
        }


class FilterModule:
    """The audit report filter."""

    def filters(self):
        return {"audit_report": audit_report}
