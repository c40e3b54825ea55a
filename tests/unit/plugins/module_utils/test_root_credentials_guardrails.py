# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""root_credentials.remove and audit with guardrails check, against the in-process emulator, which
enforces the SCPs itself (its own reading of AWS's rules): a call the guardrails deny is never made,
the rest of the account's work goes ahead, an account whose root sessions may read nothing gets no
root session, and what was stopped is reported with the policy, the statement and the remedy."""

from __future__ import annotations

import json

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import root_credentials
from ansible_collections.rootguard.aws.plugins.module_utils.targeting import Targets
from rootguard_emulator.rootuser import root_user
from rootguard_emulator.seed import seed
from rootguard_emulator.state import STATE

SCP = "SERVICE_CONTROL_POLICY"
ALL_TYPES = root_credentials.CREDENTIAL_TYPES
# The landing-zone statement that denies the root user everything, without the root-session exemption.
ROOT_DENY = {"Version": "2012-10-17", "Statement": [
    {"Sid": "DenyRootUser", "Effect": "Deny", "Action": "*", "Resource": "*",
     "Condition": {"StringLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}}]}
KEEP_PASSWORD = {"Version": "2012-10-17", "Statement": [
    {"Sid": "KeepRootPassword", "Effect": "Deny", "Action": "iam:DeleteLoginProfile", "Resource": "*"}]}
NO_LAST_USE = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "iam:GetAccessKeyLastUsed", "Resource": "*"}]}


def guarded(factory, documents: dict) -> dict:
    """An organization of 3 full-credential members, SCPs enabled, ``documents`` (account index ->
    policy) attached to those accounts; returns {"members", "policies": index -> policy id}."""
    truth = seed(accounts=3, profile="full", features=["RootCredentialsManagement", "RootSessions"])
    orgs = factory.client("organizations")
    root_id = orgs.list_roots()["Roots"][0]["Id"]
    orgs.enable_policy_type(RootId=root_id, PolicyType=SCP)
    members = [account["id"] for account in truth["accounts"]]
    policies = {}
    for index, document in documents.items():
        policy = orgs.create_policy(Name=f"guardrail-{index}", Description="test", Type=SCP, Content=json.dumps(document))["Policy"]
        orgs.attach_policy(PolicyId=policy["PolicySummary"]["Id"], TargetId=members[index])
        policies[index] = policy["PolicySummary"]["Id"]
    STATE.clear_requests()
    return {"members": members, "policies": policies}


def root_calls(account: str) -> list:
    return [entry["action"] for entry in STATE.request_log()["entries"] if entry["account"] == account and entry["principal"] == "root"]


def assume_root_targets() -> set:
    return {entry.get("target") or entry["account"] for entry in STATE.request_log()["entries"] if entry["action"] == "AssumeRoot"}


def by_id(result: dict) -> dict:
    return {entry["id"]: entry for entry in result["accounts"]}


def test_a_denied_deletion_leaves_that_credential_and_removes_the_others(emulator_factory):
    org = guarded(emulator_factory, {0: KEEP_PASSWORD})
    kept = org["members"][0]

    result = root_credentials.remove(emulator_factory, Targets(all_accounts=True), ALL_TYPES, 2, None, check_mode=False,
                                     fail_on_error=True, check_guardrails=True)

    account = by_id(result)[kept]
    assert account["status"] == "changed"
    assert [entry["action"] for entry in account["blocked"]] == ["iam:DeleteLoginProfile"]
    entry = account["blocked"][0]
    assert entry == {"step": "delete_login_profile", "id": None, "action": "iam:DeleteLoginProfile", "policy_type": SCP,
                     "policy_id": org["policies"][0], "policy_name": "guardrail-0", "target_id": kept,
                     "statement": "KeepRootPassword", "reason": "explicit_deny", "remedy": entry["remedy"]}
    assert "KeepRootPassword" in entry["remedy"] and kept in entry["remedy"]
    password_step = [step for step in account["actions"] if step["action"] == "delete_login_profile"]
    assert password_step == [{"action": "delete_login_profile", "id": None, "done": False, "already_absent": False, "error": None,
                              "blocked": account["blocked"]}]
    assert all(step["done"] for step in account["actions"] if step["action"] != "delete_login_profile")
    # The emulator: the password is there, nothing else; DeleteLoginProfile never asked for.
    user = root_user(kept)
    assert user.login_profile_created is not None
    assert not user.access_keys and not user.signing_certificates and not user.mfa_devices
    assert "DeleteLoginProfile" not in root_calls(kept)
    # The other accounts were cleaned, and the task fails at the end naming the blocked one.
    assert [entry["status"] for entry in result["accounts"] if entry["id"] != kept and entry["reason"] is None] == ["changed", "changed"]
    assert result["summary"]["blocked"] == 1
    assert result["failed"] is True and kept in result["msg"] and "guardrails" in result["msg"]
    assert result["guardrails"]["policy_types_enabled"] == [SCP]


def test_an_account_whose_root_sessions_may_read_nothing_gets_no_root_session(emulator_factory):
    org = guarded(emulator_factory, {1: ROOT_DENY})
    denied = org["members"][1]

    result = root_credentials.remove(emulator_factory, Targets(all_accounts=True), ALL_TYPES, 2, 10, check_mode=False,
                                     fail_on_error=False, check_guardrails=True)

    account = by_id(result)[denied]
    assert account["status"] == "skipped" and account["reason"] == "blocked_by_guardrail"
    assert {entry["credential_type"] for entry in account["blocked"]} == set(ALL_TYPES)
    assert {entry["action"] for entry in account["blocked"]} == set(root_credentials.READ_ACTIONS.values())
    assert "guardrail-1" in account["error_message"] and org["policies"][1] in account["error_message"]
    assert "DenyRootUser" in account["error_message"] and '"Null": {"aws:AssumedRoot": "true"}' in account["error_message"]
    assert root_calls(denied) == [] and denied not in assume_root_targets()
    assert "failed" not in result
    assert root_user(denied).login_profile_created is not None


def test_check_mode_plans_around_the_blocked_steps_and_writes_nothing(emulator_factory):
    org = guarded(emulator_factory, {0: KEEP_PASSWORD, 1: ROOT_DENY})

    result = root_credentials.remove(emulator_factory, Targets(all_accounts=True), ALL_TYPES, 2, None, check_mode=True,
                                     fail_on_error=False, check_guardrails=True)

    accounts = by_id(result)
    assert accounts[org["members"][0]]["status"] == "would_change"
    assert accounts[org["members"][1]]["reason"] == "blocked_by_guardrail"
    assert accounts[org["members"][2]]["blocked"] == []
    assert result["summary"]["blocked"] == 2
    assert not [entry for entry in STATE.request_log()["entries"] if entry["write"]]
    # The diff leaves the blocked password where it is.
    assert result["diff"]["after"][org["members"][0]]["password"] is True


def test_only_the_blocked_step_left_is_a_skip(emulator_factory):
    org = guarded(emulator_factory, {0: KEEP_PASSWORD})
    kept = org["members"][0]

    result = root_credentials.remove(emulator_factory, Targets(account_ids=[kept]), ("password",), 1, None, check_mode=False,
                                     fail_on_error=False, check_guardrails=True)

    account = by_id(result)[kept]
    assert (account["status"], account["reason"]) == ("skipped", "blocked_by_guardrail")
    assert "KeepRootPassword" in account["error_message"]
    assert root_calls(kept) == ["GetLoginProfile"]


def test_without_the_check_nothing_is_read_and_the_denial_is_a_failure(emulator_factory):
    org = guarded(emulator_factory, {0: KEEP_PASSWORD})
    kept = org["members"][0]

    result = root_credentials.remove(emulator_factory, Targets(account_ids=[kept]), ("password",), 1, None, check_mode=False,
                                     fail_on_error=False)

    assert by_id(result)[kept]["status"] == "failed"
    assert "guardrails" not in result and "blocked" not in result["summary"]
    assert not [entry for entry in STATE.request_log()["entries"] if entry["action"] in ("ListPolicies", "DescribePolicy")]


@pytest.mark.parametrize("documents, expected", [
    ({1: ROOT_DENY}, {1: ("skipped", "blocked_by_guardrail")}),
    ({2: NO_LAST_USE}, {2: ("ok", None)}),
])
def test_audit_with_the_check(emulator_factory, documents, expected):
    org = guarded(emulator_factory, documents)

    result = root_credentials.audit(emulator_factory, Targets(all_accounts=True), 2, fail_on_error=False, check_guardrails=True)

    accounts = by_id(result)
    for index, (status, reason) in expected.items():
        account = accounts[org["members"][index]]
        assert (account["status"], account["reason"]) == (status, reason)
        assert account["blocked"] and {entry["policy_id"] for entry in account["blocked"]} == {org["policies"][index]}
    if 2 in documents:
        account = accounts[org["members"][2]]
        assert [entry["step"] for entry in account["blocked"]] == ["last_used"]
        assert account["found"]["access_keys"] and all(key["last_used_date"] is None for key in account["found"]["access_keys"])
        assert "GetAccessKeyLastUsed" not in root_calls(org["members"][2])
        assert account["found"]["compliant"] is False
    if 1 in documents:
        assert root_calls(org["members"][1]) == []
    assert result["summary"]["blocked"] == 1
    assert accounts[org["members"][0]]["blocked"] == [] and accounts[org["members"][0]]["status"] == "ok"
