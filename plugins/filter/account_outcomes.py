# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: account_outcomes
short_description: Each account's outcome in the result of a run over many accounts
version_added: 0.1.0
description:
  - For a playbook that runs a bulk module once for all the hosts of a play (such as
    C(rootguard.aws.harden_accounts_per_host)) and reports each account on its own host.
  - Made once for every account of the run, so that each host's own task is a lookup in a dictionary (a filter that
    read the module's result on every host would cost each host time in proportion to the number of accounts).
  - An account's outcome is the first list of the result's C(account_ids) (the accounts that need attention, most
    urgent first) that holds the account, or V(ok); an account in O(stale) is V(skipped), and every account is
    V(failed) when O(error) says the run itself failed or there is no result. The detail says why, from the account's
    entry when the result kept it.
options:
  _input:
    description: The module's result (M(rootguard.aws.root_credentials), M(rootguard.aws.root_credentials_info)).
    type: dict
    required: true
  account_ids:
    description: The accounts of the run (the play's hosts' C(account_id)).
    type: list
    elements: str
    required: true
  stale:
    description: The entries of accounts left out of the run (P(rootguard.aws.stale_accounts#filter)).
    type: list
    elements: dict
    default: []
  error:
    description: Why the run failed as a whole, when it did.
    type: str
"""

EXAMPLES = r"""
- name: Find every account's outcome at once
  ansible.builtin.set_fact:
    outcomes: "{{ removal | rootguard.aws.account_outcomes(ansible_play_hosts | map('extract', hostvars, 'account_id') | list) }}"
  run_once: true

- name: This account's outcome
  ansible.builtin.debug:
    msg: "{{ outcome.outcome }} {{ outcome.detail }}"
  changed_when: outcome.outcome == 'changed'
  failed_when: outcome.outcome == 'failed'
  vars:
    outcome: "{{ outcomes[account_id | string] }}"
"""

RETURN = r"""
_value:
  description: For each account id of O(account_ids), C(outcome) (V(ok), or the label of C(account_ids) - V(failed),
    V(blocked), V(skipped), V(changed), V(would_change), V(noncompliant)) and C(detail), a line of text (empty for
    V(ok)).
  type: dict
"""

from ansible_collections.rootguard.aws.plugins.filter.blocked_lines import blocked_lines

_CREDENTIAL_KINDS = ("access_keys", "signing_certificates", "mfa_devices")


def _found(found: dict) -> str:
    kinds = ["password"] if (found.get("password") or {}).get("present") else []
    kinds += [f"{len(found[kind])} {kind.replace('_', ' ')}" for kind in _CREDENTIAL_KINDS if found.get(kind)]
    return "root credentials left: " + ", ".join(kinds) if kinds else ""


def _detail(outcome: str, entry: dict | None) -> str:
    if entry is None:
        return "(its entry is not in the task's result, which max_result_size shortened: see the run's reports)"
    if outcome == "failed":
        return f"{entry.get('error_class')}: {entry.get('error_message')}"
    if outcome == "skipped":
        return f"{entry.get('reason')}: {entry.get('error_message')}"
    if outcome == "blocked":
        return " ".join(blocked_lines([entry]))
    if outcome in ("changed", "would_change"):
        return ", ".join(f"{step.get('action')} {step.get('id') or ''}".strip() for step in entry.get("actions") or ())
    return _found(entry.get("found") or {})


def account_outcomes(result: dict, account_ids, stale=(), error=None) -> dict:
    account_ids = [str(account_id) for account_id in account_ids]
    if error:
        run_failed = {"outcome": "failed", "detail": f"the run over these accounts failed: {error}"}
        return {account_id: run_failed for account_id in account_ids}
    if not isinstance(result, dict) or "account_ids" not in result:
        no_result = {"outcome": "failed", "detail": "the run over these accounts returned no result for this account"}
        return {account_id: no_result for account_id in account_ids}
    labels = {}
    for label, ids in result["account_ids"].items():
        for account_id in ids:
            labels.setdefault(str(account_id), label)
    entries = {str(entry.get("id")): entry for entry in result.get("accounts") or ()}
    skipped = {str(entry.get("id")): entry for entry in stale or ()}
    outcomes = {}
    for account_id in account_ids:
        if account_id in skipped:
            entry = skipped[account_id]
            outcomes[account_id] = {"outcome": "skipped", "detail": f"{entry.get('reason')}: {entry.get('error_message')}"}
        elif account_id in labels:
            outcome = labels[account_id]
            outcomes[account_id] = {"outcome": outcome, "detail": _detail(outcome, entries.get(account_id))}
        else:
            outcomes[account_id] = {"outcome": "ok", "detail": ""}
    return outcomes


class FilterModule:
    """The account_outcomes filter."""

    def filters(self):
        return {"account_outcomes": account_outcomes}
