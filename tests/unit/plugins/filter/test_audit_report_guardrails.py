# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""audit_report with the guardrail check's result (root_task_guardrails_info) and with accounts that
root_credentials_info skipped because the guardrails deny their audit (reason blocked_by_guardrail):
synthetic module results, shaped as the two modules document them."""

from __future__ import annotations

import copy

from ansible_collections.rootguard.aws.plugins.filter.audit_report import audit_report

AUDIT = "IAMAuditRootUserCredentials"
DELETE = "IAMDeleteRootUserCredentials"
PASSWORD = "IAMCreateRootUserPassword"
S3_UNLOCK = "S3UnlockBucketPolicy"
SQS_UNLOCK = "SQSUnlockQueuePolicy"
TASKS = (AUDIT, DELETE, PASSWORD, S3_UNLOCK, SQS_UNLOCK)
SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
CLEAN = {"compliant": True, "password": {"present": False}, "access_keys": [], "signing_certificates": [], "mfa_devices": []}
MANAGEMENT = "123456789012"
DENIED = "111111111111"  # under the root-denying policy; its audit failed
EXEMPT = "222222222222"
UNCERTAIN = "333333333333"  # a statement on particular buckets
BLOCKED = "444444444444"  # skipped by root_credentials_info: blocked_by_guardrail
OUTSIDE = "555555555555"  # not in the organization


def denied(action, statement="GRRESTRICTROOTUSER", policy_id="p-root1234", policy_name="aws-guardrails-root", target_id="ou-deny",
           region="us-east-1", policy_type=SCP, reason="explicit_deny", essential=True):
    return {"action": action, "region": region, "policy_type": policy_type, "policy_id": policy_id, "policy_name": policy_name,
            "target_id": target_id, "statement": statement, "reason": reason, "essential": essential}


def allowed():
    return {"allowed": True, "denied": [], "uncertain": []}


def checked(account_id, **task_policies):
    return {"id": account_id, "name": f"acct-{account_id}", "ou_path": "/", "state": "ACTIVE", "management_account": account_id == MANAGEMENT,
            "subject_to_guardrails": account_id != MANAGEMENT,
            "task_policies": {task: task_policies.get(task, allowed()) for task in TASKS}}


ROOT_DENY = [denied("iam:ListAccessKeys"), denied("iam:GetLoginProfile")]
GUARDRAILS = {
    "changed": False, "organization_id": "o-a1b2c3d4e5", "policy_types_enabled": [SCP, RCP], "regions": ["us-east-1", "eu-west-1"],
    "task_policies": list(TASKS),
    "accounts": [
        checked(MANAGEMENT),
        checked(DENIED,
                IAMAuditRootUserCredentials={"allowed": False, "denied": ROOT_DENY, "uncertain": []},
                IAMDeleteRootUserCredentials={"allowed": False, "uncertain": [], "denied": [
                    denied("iam:DeleteLoginProfile"), denied("iam:DeleteAccessKey"),
                    # A call the module goes on without does not block the task.
                    denied("iam:DeleteVirtualMFADevice", statement="DenyMfa", essential=False)]},
                S3UnlockBucketPolicy={"allowed": False, "uncertain": [], "denied": [
                    denied("s3:DeleteBucketPolicy", statement="DenyOutsideEU", policy_id="p-region99", policy_name="region-deny",
                           target_id="r-root"),
                    denied("s3:DeleteBucketPolicy", statement=None, policy_id=None, policy_name=None, target_id="ou-deny",
                           policy_type=RCP, reason="not_allowed", region="eu-west-1")]}),
        checked(EXEMPT),
        checked(UNCERTAIN, S3UnlockBucketPolicy={"allowed": None, "denied": [], "uncertain": [
            {"action": "s3:PutBucketPolicy", "region": "eu-west-1", "policy_type": SCP, "policy_id": "p-s3prot", "policy_name": "protect-buckets",
             "target_id": "ou-exempt", "statement": 0, "why": "the statement names particular buckets"}]}),
        checked(BLOCKED, IAMAuditRootUserCredentials={"allowed": False, "denied": ROOT_DENY, "uncertain": []}),
    ],
    "skipped_accounts": [],
    "summary": {AUDIT: {"allowed": 3, "blocked": 2, "uncertain": 0}, DELETE: {"allowed": 4, "blocked": 1, "uncertain": 0},
                PASSWORD: {"allowed": 5, "blocked": 0, "uncertain": 0}, S3_UNLOCK: {"allowed": 3, "blocked": 1, "uncertain": 1},
                SQS_UNLOCK: {"allowed": 5, "blocked": 0, "uncertain": 0}},
    "remedies": [{"policy_type": SCP, "policy_id": "p-root1234", "policy_name": "aws-guardrails-root", "statement": "GRRESTRICTROOTUSER",
                  "reason": "explicit_deny", "target_ids": ["ou-deny"], "accounts": [DENIED, BLOCKED], "tasks": [AUDIT, DELETE],
                  "actions": ["iam:GetLoginProfile"], "remedy": 'Add the condition "Null": {"aws:AssumedRoot": "true"} to the statement.'}],
}

# root_credentials_info with guardrails: check - the blocked account skipped, its audit's denial named.
BLOCKED_ENTRY = {"id": BLOCKED, "name": "acct-blocked", "ou_path": "/Deny/", "parent_id": "ou-deny", "status": "skipped",
                 "reason": "blocked_by_guardrail", "found": None,
                 "error_message": "The guardrails deny this account's audit: SCP aws-guardrails-root (p-root1234), statement GRRESTRICTROOTUSER.",
                 "blocked": [dict(entry, remedy=GUARDRAILS["remedies"][0]["remedy"]) for entry in ROOT_DENY]}
AUDITED = {"organization_id": "o-a1b2c3d4e5", "accounts": [
    {"id": MANAGEMENT, "name": "management", "ou_path": "/", "parent_id": "r-root", "status": "skipped", "reason": "management_account",
     "found": None, "error_message": "The management account is not audited."},
    {"id": DENIED, "name": "acct-denied", "ou_path": "/Deny/", "parent_id": "ou-deny", "status": "failed", "found": None,
     "error_class": "denied_by_scp", "aws_error_code": "AccessDenied", "error_message": "... with an explicit deny in a service control policy"},
    {"id": EXEMPT, "name": "acct-exempt", "ou_path": "/Exempt/", "parent_id": "ou-exempt", "status": "ok", "found": CLEAN},
    {"id": UNCERTAIN, "name": "acct-uncertain", "ou_path": "/Exempt/", "parent_id": "ou-exempt", "status": "ok", "found": CLEAN},
    BLOCKED_ENTRY,
    {"id": OUTSIDE, "name": None, "ou_path": None, "parent_id": None, "status": "skipped", "reason": "not_in_organization", "found": None,
     "error_message": "Not in the organization."},
]}


def rows(report):
    return {row["id"]: row for row in report["accounts"]}


def blocking(action, statement="GRRESTRICTROOTUSER", policy_id="p-root1234", policy_name="aws-guardrails-root", target_id="ou-deny",
             region="us-east-1", policy_type="SCP", reason="explicit_deny"):
    return {"policy_name": policy_name, "policy_id": policy_id, "policy_type": policy_type, "statement": statement, "target_id": target_id,
            "reason": reason, "action": action, "region": region}


def test_each_row_names_the_tasks_the_guardrails_block_and_by_what():
    report = rows(audit_report(AUDITED, guardrails=GUARDRAILS))

    assert report[DENIED]["guardrails_blocked_tasks"] == {
        AUDIT: [blocking("iam:ListAccessKeys"), blocking("iam:GetLoginProfile")],
        DELETE: [blocking("iam:DeleteLoginProfile"), blocking("iam:DeleteAccessKey")],
        S3_UNLOCK: [blocking("s3:DeleteBucketPolicy", statement="DenyOutsideEU", policy_id="p-region99", policy_name="region-deny",
                             target_id="r-root"),
                    blocking("s3:DeleteBucketPolicy", statement=None, policy_id=None, policy_name=None, policy_type="RCP",
                             reason="not_allowed", region="eu-west-1")],
    }
    assert report[DENIED]["guardrails_uncertain_tasks"] == {}
    assert report[DENIED]["guardrails_text"]["blocked_tasks"] == (
        "IAMAuditRootUserCredentials by aws-guardrails-root (p-root1234) statement GRRESTRICTROOTUSER; "
        "IAMDeleteRootUserCredentials by aws-guardrails-root (p-root1234) statement GRRESTRICTROOTUSER; "
        "S3UnlockBucketPolicy by region-deny (p-region99) statement DenyOutsideEU in us-east-1; "
        "S3UnlockBucketPolicy by no RCP allowing it at ou-deny in eu-west-1")
    assert report[DENIED]["guardrails_text"]["blocked_by_task"][DELETE] == "aws-guardrails-root (p-root1234) statement GRRESTRICTROOTUSER"
    # The row stays what the audit found: a failed account is failed.
    assert (report[DENIED]["outcome"], report[DENIED]["blocked_by"], report[DENIED]["guardrails_text"]["blocked_by"]) == ("failed", [], "")


def test_uncertain_tasks_clean_accounts_and_accounts_the_check_did_not_decide():
    report = rows(audit_report(AUDITED, guardrails=GUARDRAILS))

    assert report[UNCERTAIN]["guardrails_blocked_tasks"] == {}
    assert report[UNCERTAIN]["guardrails_uncertain_tasks"] == {S3_UNLOCK: [{
        "policy_name": "protect-buckets", "policy_id": "p-s3prot", "policy_type": "SCP", "statement": 0, "target_id": "ou-exempt",
        "why": "the statement names particular buckets", "action": "s3:PutBucketPolicy", "region": "eu-west-1"}]}
    assert report[UNCERTAIN]["guardrails_text"]["uncertain_tasks"] == "S3UnlockBucketPolicy by protect-buckets (p-s3prot) statement 0 in eu-west-1"
    for account_id in (EXEMPT, MANAGEMENT):
        assert (report[account_id]["guardrails_blocked_tasks"], report[account_id]["guardrails_uncertain_tasks"]) == ({}, {})
        assert report[account_id]["guardrails_text"] == {"blocked_tasks": "", "uncertain_tasks": "", "blocked_by": "",
                                                         "blocked_by_task": {}, "uncertain_by_task": {}}
    # Not in the check's accounts (not in the organization): not decided, which is not "nothing blocked".
    assert (report[OUTSIDE]["guardrails_blocked_tasks"], report[OUTSIDE]["guardrails_uncertain_tasks"]) == (None, None)


def test_the_report_gets_the_checks_counts_per_task_and_its_remedies():
    section = audit_report(AUDITED, guardrails=GUARDRAILS)["guardrails"]

    assert section == {"checked": True, "policy_types_enabled": ["SCP", "RCP"], "regions": ["us-east-1", "eu-west-1"],
                       "tasks": GUARDRAILS["summary"], "remedies": [dict(GUARDRAILS["remedies"][0], policy_type="SCP")]}
    assert list(section["tasks"]) == list(TASKS)


def test_without_the_check_nothing_is_said_about_guardrails():
    for report in (audit_report(AUDITED), audit_report(AUDITED, guardrails={}), audit_report(AUDITED, guardrails=None)):
        assert report["guardrails"] == {"checked": False, "policy_types_enabled": [], "regions": [], "tasks": {}, "remedies": []}
        for row in report["accounts"]:
            assert (row["guardrails_blocked_tasks"], row["guardrails_uncertain_tasks"]) == (None, None)
            assert (row["guardrails_text"]["blocked_tasks"], row["guardrails_text"]["uncertain_tasks"]) == ("", "")


def test_an_account_skipped_as_blocked_by_guardrail_has_its_own_outcome_with_the_policy():
    report = audit_report(AUDITED, guardrails=GUARDRAILS)
    blocked = rows(report)[BLOCKED]

    assert (blocked["status"], blocked["outcome"], blocked["reason"]) == ("skipped", "blocked", "blocked_by_guardrail")
    assert blocked["blocked_by"] == [dict(blocking("iam:ListAccessKeys"), remedy=GUARDRAILS["remedies"][0]["remedy"]),
                                     dict(blocking("iam:GetLoginProfile"), remedy=GUARDRAILS["remedies"][0]["remedy"])]
    assert blocked["guardrails_text"]["blocked_by"] == "aws-guardrails-root (p-root1234) statement GRRESTRICTROOTUSER"
    assert blocked["error_message"] == BLOCKED_ENTRY["error_message"]
    assert [blocked[key] for key in ("compliant", "password", "access_keys", "found")] == [None] * 4
    assert report["summary"] == {"total": 6, "audited": 2, "compliant": 2, "noncompliant": 0, "skipped": 2, "blocked": 1, "failed": 1,
                                 "accounts_with_password": 0, "accounts_with_access_keys": 0, "accounts_with_signing_certificates": 0,
                                 "accounts_with_mfa_devices": 0,
                                 "findings": {"critical": 0, "high": 0, "medium": 0, "low": 0, "total": 0}}
    assert report["organizational_units"]["ou-deny"] == {"ou_path": "/Deny/", "accounts": 2, "compliant": 0, "noncompliant": 0,
                                                         "skipped": 0, "blocked": 1, "failed": 1}
    # Also without the check's result: the module's own entries name the policy.
    alone = rows(audit_report(AUDITED))[BLOCKED]
    assert (alone["outcome"], alone["blocked_by"]) == ("blocked", blocked["blocked_by"])


def test_only_the_reason_blocked_by_guardrail_makes_a_skipped_account_blocked():
    other = copy.deepcopy(AUDITED)
    entry = next(entry for entry in other["accounts"] if entry["id"] == BLOCKED)
    entry["reason"] = "excluded"

    row = rows(audit_report(other, guardrails=GUARDRAILS))[BLOCKED]

    assert (row["outcome"], row["blocked_by"], row["guardrails_text"]["blocked_by"]) == ("skipped", [], "")
    # The check still says what the guardrails block in it.
    assert list(row["guardrails_blocked_tasks"]) == [AUDIT]


def test_names_chosen_in_aws_are_kept_as_data():
    hostile = copy.deepcopy(GUARDRAILS)
    hostile["accounts"][2]["task_policies"][DELETE] = {"allowed": False, "uncertain": [], "denied": [
        denied("iam:DeleteLoginProfile", policy_name='=HYPERLINK("x");<b>', statement="S;1")]}

    row = rows(audit_report(AUDITED, guardrails=hostile))[EXEMPT]

    assert row["guardrails_blocked_tasks"][DELETE][0]["policy_name"] == '=HYPERLINK("x");<b>'
    assert row["guardrails_text"]["blocked_tasks"] == 'IAMDeleteRootUserCredentials by =HYPERLINK("x");<b> (p-root1234) statement S;1'
