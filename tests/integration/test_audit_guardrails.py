"""The root_credentials_audit role's guardrail check (root_task_guardrails_info before the audit)
and what its JSON, CSV and HTML reports say of it, through real ansible-playbook runs against the
emulator, which enforces the SCPs.

The organization: eight member accounts, one per parent (the root and seven OUs); SCPs enabled on the
root; Control Tower's AWS-GR_RESTRICT_ROOT_USER as it is without its ExemptAssumeRoot parameter (it
denies the root user everything, root sessions included) attached to Workloads, whose subtree holds
four accounts, and the same control with the parameter (root sessions exempt) attached to Sandbox.
The reports must name, for each account under Workloads, all five root tasks blocked by the first
policy, and no task for any other account; the check runs before the first root session, and not at
all when root_credentials_audit_guardrails is false."""

from __future__ import annotations

import csv
import json
import pathlib

import boto3
import markupsafe
import yaml

from rootguard_emulator import policy_examples as examples
from conftest import REGION
from rootguard_emulator.evidence import action
from test_audit_role import ReportDom, dump_dom

RCM = "RootCredentialsManagement"
MANAGEMENT = "123456789012"
TASKS = ("IAMAuditRootUserCredentials", "IAMDeleteRootUserCredentials", "IAMCreateRootUserPassword", "S3UnlockBucketPolicy",
         "SQSUnlockQueuePolicy")
PLAYBOOK = str(pathlib.Path(__file__).parents[2] / "playbooks" / "audit_organization.yml")
ROLE = pathlib.Path(__file__).parents[2] / "roles" / "root_credentials_audit"
INCLUDE = "audit_guardrails_include.yml"
REPORT = "root-credentials-audit"
DENY_NAME, EXEMPT_NAME = "aws-guardrails-RestrictRoot", "aws-guardrails-RestrictRootExempt"
GUARDRAIL_COLUMNS = ["blocked_by", "guardrails_blocked_tasks", "guardrails_uncertain_tasks"]
POLICY_READS = ("organizations:ListPolicies", "organizations:DescribePolicy", "organizations:ListTargetsForPolicy")


# ---------------------------------------------------------------------------
# The organization


def organizations_client(emulator):
    return boto3.client("organizations", endpoint_url=emulator.endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def guarded_organization(emulator, control) -> dict:
    """The seeded truth, with ``deny`` and ``exempt`` (the two policies' summaries), ``blocked`` (the accounts under
    Workloads) and ``free`` (every other member)."""
    truth = control.seed(accounts=8, profile="full", features=[RCM], trusted_access=True)
    ous = {ou["name"]: ou for ou in truth["organizational_units"]}
    organizations = organizations_client(emulator)
    organizations.enable_policy_type(RootId=truth["root_id"], PolicyType="SERVICE_CONTROL_POLICY")
    attached = {}
    for name, document, ou in ((DENY_NAME, examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT, ous["Workloads"]),
                               (EXEMPT_NAME, examples.CONTROL_TOWER_RESTRICT_ROOT_USER_EXEMPT_ASSUME_ROOT, ous["Sandbox"])):
        summary = organizations.create_policy(Name=name, Description="AWS-GR_RESTRICT_ROOT_USER", Type="SERVICE_CONTROL_POLICY",
                                              Content=json.dumps(document))["Policy"]["PolicySummary"]
        organizations.attach_policy(PolicyId=summary["Id"], TargetId=ou["id"])
        attached[name] = summary
    blocked = sorted(account["id"] for account in truth["accounts"] if account["ou_path"].startswith(ous["Workloads"]["path"]))
    free = sorted(account["id"] for account in truth["accounts"] if account["id"] not in blocked)
    assert len(blocked) == 4 and len(free) == 4
    assert any(account["parent_id"] == ous["Sandbox"]["id"] for account in truth["accounts"] if account["id"] in free)
    assert all(account["state"] == "ACTIVE" for account in truth["accounts"])
    return {**truth, "deny": attached[DENY_NAME], "exempt": attached[EXEMPT_NAME], "blocked": blocked, "free": free,
            "workloads": ous["Workloads"]["id"]}


# ---------------------------------------------------------------------------
# Reading the reports


def reports(report_dir: pathlib.Path) -> dict:
    return {fmt: report_dir / f"{REPORT}.{fmt}" for fmt in ("json", "csv", "html")}


def read_csv(path: pathlib.Path) -> dict:
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        start = header.index(GUARDRAIL_COLUMNS[0])
        assert header[start:start + 3] == GUARDRAIL_COLUMNS
        return {row[0]: dict(zip(header, row, strict=True)) for row in reader}


def calls(control) -> list:
    return [action(entry) for entry in control.requests()["entries"]]


# ---------------------------------------------------------------------------
# Tests


def test_the_reports_name_the_tasks_the_guardrails_block_and_the_policy(emulator, control, run_playbook, tmp_path):
    org = guarded_organization(emulator, control)
    deny = org["deny"]
    control.clear_requests()
    report_dir = tmp_path / "reports"

    run = run_playbook(PLAYBOOK, {"rootguard_report_dir": str(report_dir)})

    # The policy denies the audit's own calls in the blocked accounts: no root session there, they are reported blocked
    # with the policy, and the play fails after the reports.
    assert run.returncode != 0
    assert "4 of 9 accounts could not be audited: " + ", ".join(
        f"{account_id} blocked by the guardrails ({DENY_NAME} ({deny['Id']}) statement GRRESTRICTROOTUSER)" for account_id in org["blocked"]) in run.stdout
    assert "Guardrails (SCPs and RCPs) - IAMAuditRootUserCredentials: blocked in 4, uncertain in 0;" in run.stdout
    # The check reads the policies before the first root session, and writes nothing.
    made = calls(control)
    assert "sts:AssumeRoot" in made
    assert made.index("organizations:ListPolicies") < made.index("sts:AssumeRoot")
    assert all(made.index(read) < made.index("sts:AssumeRoot") for read in POLICY_READS)
    assert control.requests()["writes"] == 0
    assert not {entry["account"] for entry in control.requests()["entries"] if entry["principal"] == "root"} & set(org["blocked"])

    report = json.loads(reports(report_dir)["json"].read_text(encoding="utf-8"))
    assert report["schema_version"] == 4
    guardrails = report["guardrails"]
    assert (guardrails["checked"], guardrails["policy_types_enabled"], guardrails["regions"]) == (True, ["SCP"], [REGION])
    assert guardrails["tasks"] == {task: {"allowed": 5, "blocked": 4, "uncertain": 0} for task in TASKS}
    assert [(remedy["policy_id"], remedy["policy_name"], remedy["policy_type"], remedy["statement"], remedy["target_ids"], remedy["accounts"],
             remedy["tasks"]) for remedy in guardrails["remedies"]] == [
        (deny["Id"], DENY_NAME, "SCP", "GRRESTRICTROOTUSER", [org["workloads"]], org["blocked"], list(TASKS))]
    assert "aws:AssumedRoot" in guardrails["remedies"][0]["remedy"] or "ExemptAssumeRoot" in guardrails["remedies"][0]["remedy"]

    rows = {row["id"]: row for row in report["accounts"]}
    assert sorted(rows) == sorted([MANAGEMENT, *org["blocked"], *org["free"]])
    for account_id in org["blocked"]:
        row = rows[account_id]
        assert (row["outcome"], row["reason"], row["error_class"]) == ("blocked", "blocked_by_guardrail", None)
        assert {entry["policy_id"] for entry in row["blocked_by"]} == {deny["Id"]}
        assert list(row["guardrails_blocked_tasks"]) == list(TASKS), account_id
        for task, entries in row["guardrails_blocked_tasks"].items():
            assert entries, (account_id, task)
            assert {(entry["policy_name"], entry["policy_id"], entry["policy_type"], entry["statement"], entry["target_id"], entry["reason"])
                    for entry in entries} == {(DENY_NAME, deny["Id"], "SCP", "GRRESTRICTROOTUSER", org["workloads"], "explicit_deny")}
        assert row["guardrails_uncertain_tasks"] == {}
        assert "iam:ListAccessKeys" in {entry["action"] for entry in row["guardrails_blocked_tasks"]["IAMAuditRootUserCredentials"]}
    for account_id in [*org["free"], MANAGEMENT]:
        assert (rows[account_id]["guardrails_blocked_tasks"], rows[account_id]["guardrails_uncertain_tasks"]) == ({}, {}), account_id
        assert rows[account_id]["outcome"] in ("compliant", "noncompliant", "skipped"), account_id
    assert not [row for row in rows.values() if EXEMPT_NAME in json.dumps(row)]

    csv_rows = read_csv(reports(report_dir)["csv"])
    said = {task: f"by {DENY_NAME} ({deny['Id']}) statement GRRESTRICTROOTUSER" + (f" in {REGION}" if task.startswith(("S3", "SQS")) else "")
            for task in TASKS}
    for account_id in org["blocked"]:
        assert csv_rows[account_id]["guardrails_blocked_tasks"] == "; ".join(f"{task} {said[task]}" for task in TASKS)
        assert csv_rows[account_id]["guardrails_uncertain_tasks"] == ""
        assert csv_rows[account_id]["blocked_by"] == f"{DENY_NAME} ({deny['Id']}) statement GRRESTRICTROOTUSER", csv_rows[account_id]["blocked_by"]
    for account_id in [*org["free"], MANAGEMENT]:
        assert [csv_rows[account_id][column] for column in GUARDRAIL_COLUMNS] == ["", "", ""], account_id

    page = reports(report_dir)["html"]
    raw = page.read_text(encoding="utf-8")
    assert '<section id="guardrails" aria-labelledby="guardrails-heading" data-checked="true">' in raw
    assert '<h2 id="guardrails-heading">Guardrails</h2>' in raw and '<ol id="remedies">' in raw
    assert f'<li data-policy-id="{deny["Id"]}">' in raw and f"SCP {DENY_NAME} ({deny['Id']})" in raw
    dom = ReportDom(dump_dom(page, tmp_path))
    for account_id in org["blocked"]:
        assert dom.accounts[account_id]["guardrails"].split() == " ".join(
            f"blocked {task} {said[task]}" for task in TASKS).split(), dom.accounts[account_id]
    for account_id in org["free"]:
        assert dom.accounts[account_id]["guardrails"] == "no task blocked"


def test_the_role_leaves_the_checks_result_for_its_caller(emulator, control, run_playbook, tmp_path):
    org = guarded_organization(emulator, control)
    report_dir = tmp_path / "reports"

    run = run_playbook(INCLUDE, {"root_credentials_audit_report_dir": str(report_dir), "root_credentials_audit_fail_on_error": False,
                                 "root_credentials_audit_organizational_unit_ids": [org["workloads"]],
                                 "root_credentials_audit_guardrails_regions": "us-east-1, eu-west-1"})

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    facts = run.result("audit_guardrails_role")
    checked = facts["guardrails_result"]
    # The module's result, as the module returns it: the same targeting, the five tasks, the Regions given.
    assert {"organization_id", "accounts", "summary", "remedies", "policy_types", "task_policies", "regions", "skipped_accounts"} <= set(checked)
    assert (checked["task_policies"], checked["regions"]) == (list(TASKS), ["us-east-1", "eu-west-1"])
    assert [account["id"] for account in checked["accounts"]] == org["blocked"]
    assert checked["summary"] == {task: {"allowed": 0, "blocked": 4, "uncertain": 0} for task in TASKS}
    assert checked["remedies"][0]["policy_id"] == org["deny"]["Id"]
    report = json.loads((report_dir / f"{REPORT}.json").read_text(encoding="utf-8"))
    assert report["guardrails"]["tasks"] == checked["summary"]
    assert report["guardrails"]["regions"] == ["us-east-1", "eu-west-1"]
    assert facts["summary"] == report["summary"] and facts["summary"]["blocked"] == 4 and facts["summary"]["failed"] == 0


def test_without_the_check_no_policy_is_read_and_the_reports_say_so(emulator, control, run_playbook, tmp_path):
    org = guarded_organization(emulator, control)
    control.clear_requests()
    report_dir = tmp_path / "reports"

    run = run_playbook(PLAYBOOK, {"rootguard_report_dir": str(report_dir), "rootguard_guardrails": False})

    assert run.returncode != 0  # the blocked accounts' audits still fail
    assert "Guardrails not checked." in run.stdout
    made = calls(control)
    assert "sts:AssumeRoot" in made
    assert not [call for call in made if call in POLICY_READS], made
    report = json.loads(reports(report_dir)["json"].read_text(encoding="utf-8"))
    assert report["guardrails"] == {"checked": False, "policy_types_enabled": [], "regions": [], "tasks": {}, "remedies": []}
    assert all(row["guardrails_blocked_tasks"] is None and row["guardrails_uncertain_tasks"] is None for row in report["accounts"])
    csv_rows = read_csv(reports(report_dir)["csv"])
    assert all([row[column] for column in GUARDRAIL_COLUMNS] == ["", "", ""] for row in csv_rows.values())
    assert sorted(csv_rows) == sorted([MANAGEMENT, *org["blocked"], *org["free"]])
    raw = reports(report_dir)["html"].read_text(encoding="utf-8")
    assert 'data-checked="false"' in raw and "The guardrails (SCPs and RCPs) were not checked." in raw


def test_a_caller_that_may_not_read_the_policies_is_stopped_before_any_root_session(emulator, control, run_playbook, caller_env, tmp_path):
    truth = control.seed(accounts=3, profile="full", features=[RCM], trusted_access=True, delegated_administrator=True)
    administrator = truth["delegated_administrator"]
    control.add_fault(kind="custom", service="organizations", action="ListPolicies", account=administrator,
                      code="AccessDeniedException", status=400, message="You don't have permissions to access this resource.")
    organizations_client(emulator).enable_policy_type(RootId=truth["root_id"], PolicyType="SERVICE_CONTROL_POLICY")
    control.clear_requests()
    report_dir = tmp_path / "reports"

    run = run_playbook(INCLUDE, {"root_credentials_audit_report_dir": str(report_dir)}, env=caller_env(administrator))

    assert run.returncode != 0
    assert "The guardrails could not be checked (cannot_read_guardrails)" in run.stdout
    assert "Set root_credentials_audit_guardrails to false to audit without the check." in run.stdout
    facts = run.result("audit_guardrails_role")
    assert (facts["guardrails_result"]["failed"], facts["guardrails_result"]["error_class"]) == (True, "cannot_read_guardrails")
    assert (facts["result"], facts["reports"], facts["summary"]) == (None, {}, {})
    assert "sts:AssumeRoot" not in calls(control)
    assert list(report_dir.iterdir()) == []


def test_a_policy_name_chosen_in_aws_stays_text_in_every_report(emulator, control, run_playbook, tmp_path):
    org = guarded_organization(emulator, control)
    hostile = '=HYPERLINK("https://evil.example/") <script>alert(1)</script> & \u202e{{ 7 * 7 }}'
    organizations_client(emulator).update_policy(PolicyId=org["deny"]["Id"], Name=hostile)
    report_dir = tmp_path / "reports"

    run = run_playbook(PLAYBOOK, {"rootguard_report_dir": str(report_dir)})

    assert run.returncode != 0 and "could not be audited" in run.stdout
    report = json.loads(reports(report_dir)["json"].read_text(encoding="utf-8"))
    assert report["guardrails"]["remedies"][0]["policy_name"] == hostile
    row = {row["id"]: row for row in report["accounts"]}[org["blocked"][0]]
    assert {entry["policy_name"] for entries in row["guardrails_blocked_tasks"].values() for entry in entries} == {hostile}
    shown = hostile.replace("\u202e", "\\u202e")
    cell = read_csv(reports(report_dir)["csv"])[org["blocked"][0]]["guardrails_blocked_tasks"]
    assert cell.startswith(f"IAMAuditRootUserCredentials by {shown} ({org['deny']['Id']}) statement GRRESTRICTROOTUSER; ")
    page = reports(report_dir)["html"].read_text(encoding="utf-8")
    assert "<script" not in page and "\u202e" not in page
    assert str(markupsafe.escape(shown)) in page


# An account that root_credentials_info skips because the guardrails deny its audit (its guardrails: check option),
# as that module returns it; and one that failed.
BLOCKED_RESULT = {"organization_id": "o-a1b2c3d4e5", "accounts": [
    {"id": "210000000001", "name": "blocked", "ou_path": "/Workloads/", "parent_id": "ou-work", "status": "skipped",
     "reason": "blocked_by_guardrail", "found": None,
     "error_message": "The guardrails deny this account's audit: SCP aws-guardrails-RestrictRoot (p-root1234), statement GRRESTRICTROOTUSER.",
     "blocked": [{"action": "iam:ListAccessKeys", "region": "us-east-1", "policy_type": "SERVICE_CONTROL_POLICY", "policy_id": "p-root1234",
                  "policy_name": DENY_NAME, "target_id": "ou-work", "statement": "GRRESTRICTROOTUSER", "reason": "explicit_deny",
                  "essential": True, "remedy": "Enable the control with its ExemptAssumeRoot parameter."}]},
    {"id": "210000000002", "name": "failed", "ou_path": "/", "parent_id": "r-root", "status": "failed", "found": None,
     "error_class": "denied_by_scp", "error_message": "Denied.", "aws_error_code": "AccessDenied"},
    {"id": "210000000003", "name": "clean", "ou_path": "/", "parent_id": "r-root", "status": "ok",
     "found": {"compliant": True, "password": {"present": False}, "access_keys": [], "signing_certificates": [], "mfa_devices": []}},
]}


def test_the_roles_failure_lists_blocked_accounts_with_their_policy(run_playbook, tmp_path):
    """The role's own "Fail when accounts could not be audited" task, run over the report of a synthetic
    root_credentials_info result that holds an account skipped with the reason blocked_by_guardrail."""
    tasks = yaml.safe_load((ROLE / "tasks" / "main.yml").read_text(encoding="utf-8"))
    step = next(task for task in tasks if task["name"] == "Fail when accounts could not be audited")
    playbook = tmp_path / "role_failure_step.yml"
    playbook.write_text(yaml.safe_dump([{
        "name": "The role's failure step", "hosts": "localhost", "gather_facts": False,
        "vars": {"root_credentials_audit__report": "{{ synthetic | rootguard.aws.audit_report }}",
                 "root_credentials_audit_summary": "{{ root_credentials_audit__report.summary }}",
                 "root_credentials_audit_reports": {"json": "/srv/audit/root-credentials-audit.json"}},
        "tasks": [step]}]), encoding="utf-8")

    for fail_on_error in (True, False):
        run = run_playbook(str(playbook), {"synthetic": BLOCKED_RESULT, "root_credentials_audit_fail_on_error": fail_on_error})

        if fail_on_error:
            assert run.returncode != 0
            assert ("2 of 3 accounts could not be audited: 210000000001 blocked by the guardrails (aws-guardrails-RestrictRoot (p-root1234) "
                    "statement GRRESTRICTROOTUSER), 210000000002 denied_by_scp. Reports: /srv/audit/root-credentials-audit.json.") in run.stdout
        else:
            assert run.returncode == 0, run.stdout[-3000:]
