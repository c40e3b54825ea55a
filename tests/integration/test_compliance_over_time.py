"""Compliance over time, through real ansible-playbook runs of audit_organization.yml against the
emulator: the audit's findings (one per account and kind of root credential, ranked, with the
Security Hub controls and CIS requirements auditors ask about), the comparison with the previous
run's report (from the evidence bucket), the findings in AWS Security Hub, and the job failing when
something came back.

What each account must yield is worked out here from the root user the emulator holds (its control
route, no secrets) and from AWS Security Hub's documented controls, not from the collection's table:
IAM.4 "IAM root user access key should not exist", IAM.9 "MFA should be enabled for the root user",
IAM.6 "Hardware MFA should be enabled for the root user" (both pass when the root user has no
credentials). Security Hub is read back with boto3, as an outside client."""

from __future__ import annotations

import csv
import html.parser
import json
import pathlib

import boto3
import pytest

from conftest import REGION, headless_dom
from test_evidence_upload import STATS, custom_stats
from rootguard_emulator.evidence import action, root_client

REPO = pathlib.Path(__file__).resolve().parents[2]
AUDIT = str(REPO / "playbooks" / "audit_organization.yml")
HARDEN = str(REPO / "playbooks" / "harden_organization.yml")
MANAGEMENT = "123456789012"
FEATURES = ["RootCredentialsManagement", "RootSessions"]
EVIDENCE = "rootguard-evidence"
REPORT = "root-credentials-audit"
PRODUCT = f"arn:aws:securityhub:{REGION}:{MANAGEMENT}:product/{MANAGEMENT}/default"
FSBP = "AWS Foundational Security Best Practices v1.0.0/"
SECURITY_HUB_POLICY = json.loads((REPO / "docs" / "security-hub-policy.json").read_text(encoding="utf-8"))

# kind -> (severity, the Security Hub controls it fails), from the controls' documented rules.
EXPECTED = {
    "root_access_key_active": ("CRITICAL", {"IAM.4"}),
    "root_access_key_recently_used": ("CRITICAL", {"IAM.4"}),
    "root_access_key_inactive": ("LOW", {"IAM.4"}),
    "root_password_without_mfa": ("HIGH", {"IAM.9", "IAM.6"}),
    "root_password_with_virtual_mfa_only": ("MEDIUM", {"IAM.6"}),
    "root_password": ("LOW", set()),
    "root_mfa_device_without_password": ("LOW", set()),
    "root_signing_certificate": ("LOW", set()),
}
NIGHTLY = {"rootguard_evidence_bucket": EVIDENCE, "rootguard_previous_report": "latest", "rootguard_previous_report_missing": "first_run",
           "rootguard_security_hub": True, "rootguard_fail_on_new_findings": True, "rootguard_guardrails": False}


def client(emulator, service: str):
    return boto3.client(service, endpoint_url=emulator.endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def kinds_of(root_user: dict) -> set:
    """The kinds of finding a root user must give (the emulator seeds a used key as used 3 days ago)."""
    keys, devices = root_user["access_keys"], root_user["mfa_devices"]
    kinds = set()
    if any(key["status"] == "Active" for key in keys):
        kinds.add("root_access_key_active")
    if any(key["last_used"] for key in keys):
        kinds.add("root_access_key_recently_used")
    if any(key["status"] != "Active" for key in keys):
        kinds.add("root_access_key_inactive")
    if root_user["password"]:
        if not devices:
            kinds.add("root_password_without_mfa")
        elif all(device["type"] == "virtual" for device in devices):
            kinds.add("root_password_with_virtual_mfa_only")
        else:
            kinds.add("root_password")
    elif devices:
        kinds.add("root_mfa_device_without_password")
    if root_user["signing_certificates"]:
        kinds.add("root_signing_certificate")
    return kinds


def expected_findings(control, truth: dict) -> set:
    return {(account["id"], kind) for account in truth["accounts"] if account["state"] == "ACTIVE"
            for kind in kinds_of(control.root_user(account["id"]))}


def hub_findings(emulator) -> dict:
    """(account, kind) -> every finding in Security Hub, read with boto3 (no filter: the test sees all)."""
    found = {}
    for page in client(emulator, "securityhub").get_paginator("get_findings").paginate():
        for item in page["Findings"]:
            _tool, _organization, account, kind = item["Id"].split("/")
            found[(account, kind)] = item
    return found


def active(findings: dict) -> set:
    return {key for key, item in findings.items() if item["RecordState"] == "ACTIVE"}


def securityhub_calls(control) -> list:
    return [action(entry) for entry in control.requests()["entries"] if entry["service"] == "securityhub"]


def report(report_dir: pathlib.Path) -> dict:
    return json.loads((report_dir / f"{REPORT}.json").read_text())


def audit(run_playbook, report_dir: pathlib.Path, check: bool = False, core: str | None = None, env: dict | None = None, **variables):
    return run_playbook(AUDIT, {"rootguard_report_dir": str(report_dir), **variables}, check=check, core=core, env=env)


def output(run) -> str:
    return run.stdout[-6000:] + run.stderr[-3000:]


# ---------------------------------------------------------------------------
# The whole life: a first audit, the hardening, the audits after, a credential coming back


def test_findings_are_imported_resolved_and_reopened_and_a_credential_that_came_back_fails_the_job(control, emulator, run_playbook, tmp_path):
    truth = control.seed(accounts=10, profile="mixed", features=FEATURES, trusted_access=True)
    client(emulator, "s3").create_bucket(Bucket=EVIDENCE)
    client(emulator, "securityhub").enable_security_hub()
    reports = tmp_path / "reports"
    expected = expected_findings(control, truth)
    assert {kind for _account, kind in expected} >= {"root_access_key_active", "root_password_without_mfa", "root_mfa_device_without_password",
                                                     "root_signing_certificate", "root_access_key_inactive"}

    # 1. A first run: no earlier report in the bucket; one finding per account and kind in Security Hub.
    control.clear_requests()
    first = audit(run_playbook, reports, env=STATS, **NIGHTLY)
    assert first.returncode == 0, output(first)
    assert securityhub_calls(control) == ["securityhub:GetFindings", "securityhub:BatchImportFindings"]
    granted = {name for statement in SECURITY_HUB_POLICY["Statement"] for name in statement["Action"]}
    assert set(securityhub_calls(control)) == granted
    hub = hub_findings(emulator)
    assert set(hub) == expected
    for (account, kind), item in hub.items():
        severity, controls = EXPECTED[kind]
        assert item["Severity"]["Label"] == item["FindingProviderFields"]["Severity"]["Label"] == severity, (account, kind)
        requirements = item["Compliance"]["RelatedRequirements"]
        assert {name[len(FSBP):] for name in requirements if name.startswith(FSBP)} == controls, (kind, requirements)
        assert "CIS AWS Foundations Benchmark v7.0.0/2.1.1" in requirements
        assert (item["AwsAccountId"], item["ProductArn"], item["Compliance"]["Status"], item["RecordState"]) == (MANAGEMENT, PRODUCT, "FAILED", "ACTIVE")
        assert item["Resources"][0]["Type"] == "AwsAccount" and item["Resources"][0]["Id"] == f"AWS::::Account:{account}"
        assert item["CreatedAt"] == item["UpdatedAt"]
    data = report(reports)
    assert data["drift"]["first_run"] is True and data["drift"]["compared"] is False
    # The module's result has the same findings, and the controller's statistics what was sent.
    module_result = json.loads((reports / f"{REPORT}.audit-result.json").read_text())
    assert {(entry["id"], item["kind"]) for entry in module_result["accounts"] for item in entry.get("findings") or ()} == expected
    assert module_result["findings"] == data["summary"]["findings"] and data["summary"]["findings"]["total"] == len(expected)
    assert custom_stats(first)["rootguard_audit_security_hub"] == {
        "product_arn": PRODUCT, "region": REGION, "imported": True,
        "counts": {"created": len(expected), "updated": 0, "reopened": 0, "resolved": 0, "unchanged": 0}}
    assert {(item["account_id"], item["kind"]) for item in data["findings"]} == expected
    severities = [item["severity"] for item in data["findings"]]
    assert severities == sorted(severities, key=["CRITICAL", "HIGH", "MEDIUM", "LOW"].index)
    first_created = {key: item["CreatedAt"] for key, item in hub.items()}

    # 2. The hardening removes every credential.
    harden = run_playbook(HARDEN, {"rootguard_confirm": True, "rootguard_report_dir": str(tmp_path / "harden"), "rootguard_guardrails": False})
    assert harden.returncode == 0, output(harden)

    # 3. The next audit resolves exactly those findings: PASSED and archived, created when they were first imported.
    second = audit(run_playbook, reports, **NIGHTLY)
    assert second.returncode == 0, output(second)
    hub = hub_findings(emulator)
    assert set(hub) == expected and active(hub) == set()
    assert {(item["Compliance"]["Status"], item["RecordState"], item["Severity"]["Label"]) for item in hub.values()} == {
        ("PASSED", "ARCHIVED", "INFORMATIONAL")}
    assert {key: item["CreatedAt"] for key, item in hub.items()} == first_created
    drift = report(reports)["drift"]
    assert drift["compared"] is True and drift["new_findings"] == []
    assert {(item["account_id"], item["kind"]) for item in drift["resolved_findings"]} == expected

    # 4. Nothing new: Security Hub is read, nothing is imported.
    control.clear_requests()
    third = audit(run_playbook, reports, **NIGHTLY)
    assert third.returncode == 0, output(third)
    assert securityhub_calls(control) == ["securityhub:GetFindings"]
    assert [entry for entry in control.requests()["entries"] if entry["write"] and entry["service"] != "s3"] == []
    assert report(reports)["drift"]["new_findings"] == [] and report(reports)["drift"]["resolved_findings"] == []

    # 5. Someone gives one account's root user a password again: one new finding, in the drift, in Security Hub, and the job fails.
    account = min(account for account, kind in expected if kind == "root_password_without_mfa")
    root_client(emulator.endpoint, "iam", account, "IAMCreateRootUserPassword").create_login_profile()
    control.clear_requests()
    fourth = audit(run_playbook, reports, **NIGHTLY)
    assert fourth.returncode != 0
    assert securityhub_calls(control) == ["securityhub:GetFindings", "securityhub:BatchImportFindings"]
    assert f"1 new finding since the audit of {report(reports)['drift']['since']}: HIGH root_password_without_mfa in {account}" in fourth.stdout
    data = report(reports)
    assert [(item["account_id"], item["kind"]) for item in data["drift"]["new_findings"]] == [(account, "root_password_without_mfa")]
    assert [row["since_previous"] for row in data["accounts"] if row["id"] == account] == [
        {"change": "changed", "new_findings": ["root_password_without_mfa"], "resolved_findings": []}]
    with (reports / f"{REPORT}.csv").open(encoding="utf-8", newline="") as handle:
        csv_rows = {row["account_id"]: row for row in csv.DictReader(handle)}
    assert {key: csv_rows[account][key] for key in ("findings", "highest_severity", "change", "new_findings", "resolved_findings")} == {
        "findings": "HIGH root_password_without_mfa (IAM.9, IAM.6)", "highest_severity": "HIGH", "change": "changed",
        "new_findings": "root_password_without_mfa", "resolved_findings": ""}
    assert {row["change"] for key, row in csv_rows.items() if key != account} == {"unchanged"}
    hub = hub_findings(emulator)
    assert active(hub) == {(account, "root_password_without_mfa")}
    came_back = hub[(account, "root_password_without_mfa")]
    assert (came_back["Compliance"]["Status"], came_back["Severity"]["Label"]) == ("FAILED", "HIGH")
    assert came_back["CreatedAt"] == first_created[(account, "root_password_without_mfa")]

    # The HTML report, in headless Chromium: the findings and the section since the previous audit.
    dom = FindingsDom(headless_dom(reports / f"{REPORT}.html", tmp_path, "the HTML report's findings"))
    assert dom.attributes["drift"]["data-compared"] == "true"
    assert dom.since == data["drift"]["since"] and dom.heading == f"Since {data['drift']['since']}"
    assert dom.rows["new-findings"] == [{"data-account-id": account, "data-kind": "root_password_without_mfa", "data-severity": "HIGH"}]
    assert dom.rows["findings"] == [{"data-account-id": account, "data-kind": "root_password_without_mfa", "data-severity": "HIGH"}]
    assert dom.fields[("findings", account)]["security_hub_controls"] == "IAM.9, IAM.6"
    assert dom.severities == {"critical": "0", "high": "1", "medium": "0", "low": "0", "total": "1"}
    assert dom.changed == [account]


class FindingsDom(html.parser.HTMLParser):
    """The findings hooks of the HTML report: each table's rows' attributes, the cells of the findings table, the
    severity counts, the drift section's attributes, heading and changed accounts."""

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.table = None
        self.rows: dict = {}
        self.fields: dict = {}
        self.severities: dict = {}
        self.attributes: dict = {}
        self.changed: list = []
        self.since = None
        self.heading_text = ""
        self._capture = None
        self._in_heading = False
        self._row_key = None
        self.feed(text)
        self.heading = " ".join(self.heading_text.split())

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "section" and attributes.get("id"):
            self.attributes[attributes["id"]] = attributes
        if tag == "table":
            self.table = attributes.get("id")
        if tag == "tr" and self.table in ("findings", "new-findings", "resolved-findings") and "data-kind" in attributes:
            self.rows.setdefault(self.table, []).append({key: attributes[key] for key in ("data-account-id", "data-kind", "data-severity")})
            self._row_key = (self.table, attributes["data-account-id"])
            self.fields[self._row_key] = {}
        if tag == "tr" and self.table == "accounts-changed" and "data-account-id" in attributes:
            self.changed.append(attributes["data-account-id"])
        if tag == "td" and self._row_key and attributes.get("data-field"):
            self._capture = (self.fields[self._row_key], attributes["data-field"])
        if tag == "dd" and "data-severity" in attributes:
            self._capture = (self.severities, attributes["data-severity"])
        if tag == "time" and attributes.get("data-field") == "since":
            self.since = attributes.get("datetime")
        if tag == "h2" and attributes.get("id") == "drift-heading":
            self._in_heading = True

    def handle_endtag(self, tag):
        if tag in ("td", "dd"):
            self._capture = None
        if tag == "tr":
            self._row_key = None
        if tag == "table":
            self.table = None
        if tag == "h2":
            self._in_heading = False

    def handle_data(self, data):
        if self._capture:
            target, field = self._capture
            target[field] = (target.get(field, "") + data).strip()
        if self._in_heading:
            self.heading_text += data


# ---------------------------------------------------------------------------
# Check mode, and bad input: a clear error before any import


def test_check_mode_imports_nothing_and_says_what_it_would(control, emulator, run_playbook, tmp_path):
    truth = control.seed(accounts=4, profile="full", features=FEATURES, trusted_access=True)
    client(emulator, "securityhub").enable_security_hub()
    control.clear_requests()
    run = audit(run_playbook, tmp_path / "reports", check=True, rootguard_security_hub=True, rootguard_guardrails=False)
    assert run.returncode == 0, output(run)
    assert securityhub_calls(control) == ["securityhub:GetFindings"]
    assert hub_findings(emulator) == {}
    count = len(expected_findings(control, truth))
    assert f"Check mode: would import {count} new, 0 updated, 0 reopened and 0 resolved findings (0 unchanged) in {PRODUCT}" in run.stdout


def test_security_hub_not_enabled_is_a_clear_error_before_any_import(control, emulator, run_playbook, tmp_path):
    control.seed(accounts=3, profile="full", features=FEATURES, trusted_access=True)
    control.clear_requests()
    run = audit(run_playbook, tmp_path / "reports", rootguard_security_hub=True, rootguard_guardrails=False)
    assert run.returncode != 0
    assert f"AWS Security Hub is not enabled in account {MANAGEMENT}, Region {REGION}" in run.stdout
    assert securityhub_calls(control) == ["securityhub:GetFindings"]
    # The reports were written before.
    assert (tmp_path / "reports" / f"{REPORT}.json").exists()


def test_a_malformed_previous_report_stops_the_run_before_any_api_call(control, emulator, run_playbook, tmp_path):
    control.seed(accounts=3, profile="full", features=FEATURES, trusted_access=True)
    previous = tmp_path / "last.json"
    previous.write_text('{"schema_version": 4, "accounts": [')
    control.clear_requests()
    run = audit(run_playbook, tmp_path / "reports", rootguard_previous_report=str(previous), rootguard_security_hub=True)
    assert run.returncode != 0
    assert f"root_credentials_audit_previous_report: {previous} cannot be compared with: it is not JSON" in run.stdout, output(run)
    assert "Nothing was done." in run.stdout
    assert control.requests()["count"] == 0
    assert not (tmp_path / "reports" / f"{REPORT}.json").exists()


@pytest.mark.parametrize("missing", ["fail", "first_run"])
def test_a_missing_previous_report_is_an_error_or_a_first_run_as_the_user_says(missing, control, emulator, run_playbook, tmp_path):
    control.seed(accounts=3, profile="full", features=FEATURES, trusted_access=True)
    control.clear_requests()
    previous = tmp_path / "nowhere" / "last.json"
    run = audit(run_playbook, tmp_path / "reports", rootguard_previous_report=str(previous), rootguard_previous_report_missing=missing,
                rootguard_fail_on_new_findings=True, rootguard_guardrails=False)
    if missing == "fail":
        assert run.returncode != 0
        assert f"root_credentials_audit_previous_report: {previous} cannot be read: it is not there." in run.stdout
        assert "set root_credentials_audit_previous_report_missing to first_run" in run.stdout
        assert control.requests()["count"] == 0
    else:
        assert run.returncode == 0, output(run)
        assert report(tmp_path / "reports")["drift"]["first_run"] is True


@pytest.mark.parametrize("core", [None, "2.17"])
def test_a_report_of_another_organization_stops_the_run_before_any_report_or_import(core, control, emulator, run_playbook, tmp_path):
    control.seed(accounts=3, profile="full", features=FEATURES, trusted_access=True)
    client(emulator, "securityhub").enable_security_hub()
    first = audit(run_playbook, tmp_path / "first", core=core, rootguard_guardrails=False)
    assert first.returncode == 0, output(first)
    # The same organization's report compares (also on the oldest ansible-core the collection supports).
    same = audit(run_playbook, tmp_path / "same", core=core, rootguard_guardrails=False,
                 rootguard_previous_report=str(tmp_path / "first" / f"{REPORT}.json"), rootguard_fail_on_new_findings=True)
    assert same.returncode == 0, output(same)
    drift = report(tmp_path / "same")["drift"]
    assert (drift["compared"], drift["since"], drift["new_findings"], drift["accounts_changed"]) == (
        True, report(tmp_path / "first")["generated_at"], [], [])
    other = report(tmp_path / "first")
    organization = other["organization_id"]
    other["organization_id"] = "o-zzzzzzzzzz"
    previous = tmp_path / "other.json"
    previous.write_text(json.dumps(other))
    control.clear_requests()
    run = audit(run_playbook, tmp_path / "reports", core=core, rootguard_previous_report=str(previous), rootguard_security_hub=True,
                rootguard_guardrails=False)
    assert run.returncode != 0
    assert (f"cannot be compared with: it is a report of organization 'o-zzzzzzzzzz', not of '{organization}'. "
            "Nothing was written or imported.") in run.stdout
    assert securityhub_calls(control) == []
    assert not (tmp_path / "reports" / f"{REPORT}.json").exists()
