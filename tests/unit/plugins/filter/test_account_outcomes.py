# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import pytest

from ansible_collections.rootguard.aws.plugins.filter.account_outcomes import account_outcomes
from ansible_collections.rootguard.aws.plugins.filter.stale_accounts import stale_accounts

A = "210000000001"
B = "210000000002"
C = "210000000003"
D = "210000000004"
RESULT = {
    "account_ids": {"failed": [B], "blocked": [C], "skipped": [], "changed": [A, C], "would_change": [], "noncompliant": [D]},
    "accounts": [
        {"id": A, "status": "changed", "actions": [{"action": "delete_access_key", "id": "AKIA1"}, {"action": "delete_login_profile", "id": None}]},
        {"id": B, "status": "failed", "error_class": "denied_by_scp", "error_message": "Denied by p-1."},
        {"id": C, "status": "changed", "actions": [], "blocked": [{"credential_type": "password", "action": "iam:DeleteLoginProfile",
                                                                   "policy_type": "SERVICE_CONTROL_POLICY", "policy_name": "Keep",
                                                                   "policy_id": "p-2", "statement": "S", "target_id": "ou-1"}]},
        {"id": D, "status": "ok", "found": {"password": {"present": True}, "access_keys": [{"id": "AKIA2"}, {"id": "AKIA3"}],
                                            "signing_certificates": [], "mfa_devices": []}},
    ],
}


@pytest.mark.parametrize("account_id, outcome, detail", [
    (A, "changed", "delete_access_key AKIA1, delete_login_profile"),
    (B, "failed", "denied_by_scp: Denied by p-1."),
    (D, "noncompliant", "root credentials left: password, 2 access keys"),
    ("210000000009", "ok", ""),
    (int(A), "changed", "delete_access_key AKIA1, delete_login_profile"),
])
def test_the_first_list_that_holds_the_account_is_its_outcome(account_id, outcome, detail):
    assert account_outcomes(RESULT, [account_id]) == {str(account_id): {"outcome": outcome, "detail": detail}}


def test_every_account_of_the_run_gets_one_entry_keyed_by_its_id():
    found = account_outcomes(RESULT, [A, B, C, D, "210000000009"])
    assert list(found) == [A, B, C, D, "210000000009"]
    assert [entry["outcome"] for entry in found.values()] == ["changed", "failed", "blocked", "noncompliant", "ok"]


def test_blocked_comes_before_changed_and_names_the_statement():
    found = account_outcomes(RESULT, [C])[C]
    assert found["outcome"] == "blocked"
    assert "SCP Keep (p-2) statement S attached to ou-1" in found["detail"]


def test_an_entry_the_result_left_out_says_where_to_look():
    shortened = dict(RESULT, accounts=[])
    assert account_outcomes(shortened, [B])[B]["detail"].startswith("(its entry is not in the task's result, which max_result_size shortened")


def test_stale_accounts_and_a_failed_run_come_first():
    stale = [{"id": A, "reason": "stale_inventory", "error_message": "Moved."}]
    assert account_outcomes(RESULT, [A, B], stale=stale) == {
        A: {"outcome": "skipped", "detail": "stale_inventory: Moved."}, B: {"outcome": "failed", "detail": "denied_by_scp: Denied by p-1."}}
    assert account_outcomes(RESULT, [A, B], error="boom") == {
        account_id: {"outcome": "failed", "detail": "the run over these accounts failed: boom"} for account_id in (A, B)}
    assert account_outcomes({}, [A])[A] == {"outcome": "failed", "detail": "the run over these accounts returned no result for this account"}


def test_stale_accounts_are_those_moved_or_gone():
    live = {"accounts": [{"id": A, "parent_id": "ou-1"}, {"id": B, "parent_id": "ou-9"}], "accounts_complete": True}
    hostvars = {host: {"account_id": host, "parent_id": "ou-1", "account_name": f"name {host}", "ou_path": "/X/"} for host in (A, B, C)}
    stale = stale_accounts(live, [A, B, C], hostvars)
    assert [(entry["id"], entry["inventory_parent_id"], entry["parent_id"]) for entry in stale] == [(B, "ou-1", "ou-9"), (C, "ou-1", "")]
    assert stale[0]["error_message"].startswith(f"The inventory puts account {B} in ou-1 but it is in ou-9 now")
    assert "no longer in the organization now" in stale[1]["error_message"]
    assert all(entry["status"] == "skipped" and entry["reason"] == "stale_inventory" for entry in stale)
