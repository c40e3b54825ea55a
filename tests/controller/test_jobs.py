"""The collection's playbooks as automation controller jobs (conftest.py): harden (the plan, then
rootguard_confirm=true), audit, unlock a bucket policy, allow password recovery and vend an account,
each with one of the two ways the controller injects the AWS credential (conftest.py).  Every job is judged by runner's
status and rc, its job events (each task's outcome, and the results the test relies on), the
controller's event limit (no result replaced by ``{}``) and the secrets: none the emulator issued
in any file the job left."""

from __future__ import annotations

import json

from controller_support import (FEATURES, MANAGEMENT, assert_no_secret_in_the_artifacts, assert_successful, assert_the_injected_credential_was_used,
                                assert_within_the_event_limit)
from rootguard_emulator.evidence import read_bucket_policy, writes

LOCKED_BUCKET = 4  # the mixed profile's first member with a locked bucket
IAM_REMOVALS = {"iam:DeleteAccessKey", "iam:DeleteSigningCertificate", "iam:DeactivateMFADevice", "iam:DeleteVirtualMFADevice",
                "iam:DeleteLoginProfile"}


def active_members(truth: dict) -> list:
    return [account for account in truth["accounts"] if account["state"] == "ACTIVE"]


def has_credentials(root_user: dict) -> bool:
    return bool(root_user["password"] or root_user["access_keys"] or root_user["signing_certificates"] or root_user["mfa_devices"])


def with_credentials(control, truth: dict) -> set:
    return {account["id"] for account in active_members(truth) if has_credentials(control.root_user(account["id"]))}


def seeded_with_credentials(truth: dict) -> set:
    return {account["id"] for account in active_members(truth) if has_credentials(account["root_user"])}


def judge(job, endpoint: str) -> None:
    """What every job must hold, whatever its outcome."""
    assert_the_injected_credential_was_used(job)
    assert_within_the_event_limit(job)
    assert_no_secret_in_the_artifacts(job, endpoint)


# ---------------------------------------------------------------------------
# harden_organization.yml


def test_harden_organization_plan_then_confirmed(control, emulator, controller_job, injection):
    truth = control.seed(accounts=10, profile="mixed")
    to_clean = seeded_with_credentials(truth)
    assert 0 < len(to_clean) <= 10  # within the playbook's default blast-radius limit
    control.clear_requests()

    # The plan: a job template without rootguard_confirm switches the features on, audits and plans the removal.
    plan = controller_job("harden_organization", injection)

    assert_successful(plan)
    [(host, outcome)] = plan.outcomes().items()
    assert (host, outcome["failures"], outcome["dark"]) == ("localhost", 0, 0) and outcome["changed"] > 0
    assert plan.result("rootguard.aws.organizations_service_access")["event_data"]["res"]["changed"] is True
    features = plan.result("rootguard.aws.iam_organizations_features")["event_data"]["res"]
    assert features["changed"] is True and sorted(features["enabled_features"]) == FEATURES
    # Planned only (the module in check mode): changed says what would change, and nothing is removed.
    removal = plan.result("rootguard.aws.root_credentials")
    assert removal["event"] == "runner_on_ok" and removal["event_data"]["res"]["changed"] is True
    assert removal["event_data"]["res"]["summary"]["would_change"] == len(to_clean)
    assert removal["event_data"]["res"]["summary"]["changed"] == 0
    assert {account["id"] for account in removal["event_data"]["res"]["accounts"] if account["status"] == "would_change"} == to_clean
    [audit] = plan.results("rootguard.aws.root_credentials_info")
    assert audit["event_data"]["res"]["changed"] is False
    assert sorted(control.organization()["enabled_features"]) == FEATURES
    assert not IAM_REMOVALS & set(writes(control.requests()["entries"]))
    assert with_credentials(control, truth) == to_clean
    judge(plan, emulator.endpoint)

    # Confirmed at launch (a prompted extra var): removed, and the audit after proves it.
    control.clear_requests()
    harden = controller_job("harden_organization", injection, launch_vars={"rootguard_confirm": True})

    assert_successful(harden)
    assert harden.result("rootguard.aws.iam_organizations_features")["event_data"]["res"]["changed"] is False
    removal = harden.result("rootguard.aws.root_credentials")
    assert removal["event"] == "runner_on_ok" and removal["event_data"]["res"]["changed"] is True
    assert removal["event_data"]["res"]["summary"]["changed"] == len(to_clean)
    assert {account["id"] for account in removal["event_data"]["res"]["accounts"] if account["status"] == "changed"} == to_clean
    before, after = harden.results("rootguard.aws.root_credentials_info")
    assert {account["id"] for account in before["event_data"]["res"]["accounts"]
            if account["status"] == "ok" and not account["found"]["compliant"]} == to_clean
    assert all(account["found"]["compliant"] for account in after["event_data"]["res"]["accounts"] if account["status"] == "ok")
    assert harden.outcomes()["localhost"]["changed"] > 0
    assert with_credentials(control, truth) == set()
    assert IAM_REMOVALS <= set(writes(control.requests()["entries"]))
    summary = harden.project_file("reports/harden-summary.txt").read_text()
    assert f"Removal: credentials removed in {len(to_clean)} account(s)" in summary
    judge(harden, emulator.endpoint)


# ---------------------------------------------------------------------------
# audit_organization.yml


def test_audit_organization_goes_red_on_noncompliant_accounts_after_the_reports(control, emulator, controller_job, injection):
    truth = control.seed(accounts=10, profile="mixed", features=FEATURES, trusted_access=True)
    noncompliant = seeded_with_credentials(truth)
    control.clear_requests()

    job = controller_job("audit_organization", injection, template_vars={"rootguard_fail_on_noncompliant": True})

    assert (job.status, job.rc) == ("failed", 2), job.describe()
    assert job.failed_tasks() == ["Fail when audited accounts still have root credentials"]
    [failed] = job.task("Fail when audited accounts still have root credentials")
    assert failed["event"] == "runner_on_failed"
    assert f"{len(noncompliant)} of {len(active_members(truth))} audited accounts still have root credentials" in failed["event_data"]["res"]["msg"]
    audit = job.result("rootguard.aws.root_credentials_info")
    assert audit["event"] == "runner_on_ok" and audit["event_data"]["res"]["changed"] is False
    assert {account["id"] for account in audit["event_data"]["res"]["accounts"]
            if account["status"] == "ok" and not account["found"]["compliant"]} == noncompliant
    [summary_fact] = job.task("Tell callers where the reports are, and the summary")
    summary = summary_fact["event_data"]["res"]["ansible_facts"]["root_credentials_audit_summary"]
    # Every account of the organization, the management account (skipped) included.
    assert (summary["total"], summary["audited"], summary["noncompliant"], summary["failed"]) == (
        len(truth["accounts"]) + 1, len(active_members(truth)), len(noncompliant), 0)
    [shown] = job.task("Show the summary and where the reports are")
    assert shown["event"] == "runner_on_ok" and f"{summary['noncompliant']} with root" in shown["event_data"]["res"]["msg"][0]
    report = json.loads(job.project_file("reports/root-credentials-audit.json").read_text())
    assert {account["id"] for account in report["accounts"]} == {account["id"] for account in truth["accounts"]} | {MANAGEMENT}
    assert job.outcomes()["localhost"]["failures"] == 1
    assert writes(control.requests()["entries"]) == []
    judge(job, emulator.endpoint)


# ---------------------------------------------------------------------------
# unlock_bucket_policy.yml


def test_unlock_bucket_policy_from_survey_answers(control, emulator, controller_job, injection):
    truth = control.seed(accounts=10, profile="mixed", features=FEATURES, trusted_access=True)
    account = truth["accounts"][LOCKED_BUCKET]
    [bucket] = [bucket for bucket in account["buckets"] if bucket["locked"]]

    job = controller_job("unlock_bucket_policy", injection, launch_vars={"rootguard_account_id": account["id"], "rootguard_bucket": bucket["name"]})

    assert_successful(job)
    unlock = job.result("rootguard.aws.root_bucket_policy")
    assert unlock["event"] == "runner_on_ok" and unlock["event_data"]["res"]["changed"] is True
    backup = job.project_file("policy-backups") / unlock["event_data"]["res"]["backup_file"].rsplit("/", 1)[1]
    assert backup.read_text() == bucket["policy"]
    assert job.result("rootguard.aws.root_task_guardrails_info")["event_data"]["res"]["changed"] is False
    assert read_bucket_policy(emulator.endpoint, account["id"], bucket["name"]) is None
    assert job.outcomes()["localhost"]["changed"] >= 1
    judge(job, emulator.endpoint)


# ---------------------------------------------------------------------------
# allow_password_recovery.yml


def test_allow_password_recovery_for_named_accounts(control, emulator, controller_job, injection):
    truth = control.seed(accounts=10, profile="mixed", features=["RootCredentialsManagement"], trusted_access=True)
    without = [account["id"] for account in active_members(truth) if not account["root_user"]["password"]][:2]
    with_password = next(account["id"] for account in active_members(truth) if account["root_user"]["password"])

    job = controller_job("allow_password_recovery", injection, launch_vars={"rootguard_account_ids": without + [with_password]})

    assert_successful(job)
    recovery = job.result("rootguard.aws.root_password_recovery")
    assert recovery["event"] == "runner_on_ok" and recovery["event_data"]["res"]["changed"] is True
    assert {account["id"]: account["status"] for account in recovery["event_data"]["res"]["accounts"]} == {
        **{account_id: "changed" for account_id in without}, with_password: "ok"}
    [said] = job.task("Say what happened")
    assert said["event_data"]["res"]["msg"] == f"Changed {', '.join(without)}; unchanged: {with_password}."
    assert all(control.root_user(account_id)["password"] for account_id in without)
    judge(job, emulator.endpoint)


# ---------------------------------------------------------------------------
# vend_accounts.yml


def test_vend_accounts_secure_by_default(control, emulator, controller_job, injection):
    control.seed(accounts=3, profile="none", features=FEATURES, trusted_access=True)
    vended = {"name": "controller-vended", "email": "controller-vended@example.com", "tags": {"purpose": "controller"}}

    job = controller_job("vend_accounts", injection, template_vars={"rootguard_wait_timeout": 60}, launch_vars={"rootguard_accounts": [vended]})

    assert_successful(job)
    [vend] = job.results("rootguard.aws.organizations_account", events=("runner_item_on_ok",))
    assert vend["event_data"]["res"]["changed"] is True
    account_id = vend["event_data"]["res"]["account"]["id"]
    audit = job.result("rootguard.aws.root_credentials_info")
    assert [(account["id"], account["found"]["compliant"]) for account in audit["event_data"]["res"]["accounts"]] == [(account_id, True)]
    record = json.loads(job.project_file("reports/account-vending-vended.json").read_text())
    assert [(account["id"], account["vend"], account["secure_by_default"]) for account in record["accounts"]] == [(account_id, "created", True)]
    assert control.account(account_id)["name"] == vended["name"]
    judge(job, emulator.endpoint)
