# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""audit_report: the rows, the summary and the breakdown by OU that the audit role's three reports show."""

from __future__ import annotations

import json
import re

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rootguard.aws.plugins.filter.audit_report import FilterModule, audit_report

CLEAN = {"compliant": True, "password": {"present": False}, "access_keys": [], "signing_certificates": [], "mfa_devices": []}
DIRTY = {"compliant": False, "password": {"present": True}, "signing_certificates": [], "mfa_devices": [{"serial_number": "arn:x"}],
         "access_keys": [{"access_key_id": "AKIA1", "status": "Active"}, {"access_key_id": "AKIA2", "status": "Inactive"}]}


def entry(account_id, parent_id, status="ok", found=None, **extra):
    return {"id": account_id, "name": f"acct-{account_id}", "ou_path": f"/{parent_id}/" if parent_id else None,
            "parent_id": parent_id, "status": status, "found": found, **extra}


RESULT = {"organization_id": "o-a1b2c3d4e5", "accounts": [
    entry("111111111111", "ou-b", found=CLEAN),
    entry("222222222222", "ou-a", found=DIRTY),
    entry("333333333333", "ou-b", status="skipped", reason="excluded"),
    entry("444444444444", "ou-a", status="failed", error_class="access_denied", error_message="Denied.", aws_error_code="AccessDenied"),
    entry("555555555555", None, status="skipped", reason="not_in_organization"),
]}


def test_each_account_gets_its_outcome_and_counts():
    rows = {row["id"]: row for row in audit_report(RESULT, generated_at="2026-01-01T00:00:00Z")["accounts"]}

    assert [rows[i]["outcome"] for i in sorted(rows)] == ["compliant", "noncompliant", "skipped", "failed", "skipped"]
    dirty = rows["222222222222"]
    assert (dirty["compliant"], dirty["password"], dirty["access_keys"], dirty["active_access_keys"],
            dirty["signing_certificates"], dirty["mfa_devices"]) == (False, True, 2, 1, 0, 1)
    assert dirty["found"] == DIRTY
    skipped = rows["333333333333"]
    assert [skipped[key] for key in ("compliant", "password", "access_keys", "active_access_keys", "found")] == [None] * 5
    assert skipped["reason"] == "excluded"
    failed = rows["444444444444"]
    assert (failed["error_class"], failed["error_message"], failed["aws_error_code"]) == ("access_denied", "Denied.", "AccessDenied")


def test_the_summary_counts_outcomes_and_credential_kinds_of_audited_accounts():
    summary = audit_report(RESULT)["summary"]

    assert summary == {"total": 5, "audited": 2, "compliant": 1, "noncompliant": 1, "skipped": 2, "blocked": 0, "failed": 1,
                       "accounts_with_password": 1, "accounts_with_access_keys": 1,
                       "accounts_with_signing_certificates": 0, "accounts_with_mfa_devices": 1,
                       "findings": {"critical": 1, "high": 0, "medium": 0, "low": 2, "total": 3}}


def test_the_ous_are_keyed_on_parent_id_with_accounts_outside_the_organization_first():
    ous = audit_report(RESULT)["organizational_units"]

    assert list(ous) == ["(not in organization)", "ou-a", "ou-b"]
    assert ous["(not in organization)"] == {"ou_path": None, "accounts": 1, "compliant": 0, "noncompliant": 0, "skipped": 1, "blocked": 0,
                                            "failed": 0}
    assert ous["ou-a"] == {"ou_path": "/ou-a/", "accounts": 2, "compliant": 0, "noncompliant": 1, "skipped": 0, "blocked": 0, "failed": 1}
    assert ous["ou-b"] == {"ou_path": "/ou-b/", "accounts": 2, "compliant": 1, "noncompliant": 0, "skipped": 1, "blocked": 0, "failed": 0}


def test_the_targeting_names_only_the_selector_used():
    by_accounts = audit_report(RESULT, account_ids=["111111111111"], organizational_unit_ids=["ou-a"], exclude_account_ids=["x"])
    by_ous = audit_report(RESULT, organizational_unit_ids=["ou-a"])
    everything = audit_report(RESULT)

    assert by_accounts["targeting"] == {"selector": "account_ids", "account_ids": ["111111111111"], "organizational_unit_ids": [],
                                        "all_accounts": False, "exclude_account_ids": ["x"]}
    assert by_ous["targeting"]["selector"] == "organizational_unit_ids" and by_ous["targeting"]["organizational_unit_ids"] == ["ou-a"]
    assert everything["targeting"] == {"selector": "all_accounts", "account_ids": [], "organizational_unit_ids": [],
                                       "all_accounts": True, "exclude_account_ids": []}


def test_the_header_and_an_empty_result():
    report = audit_report({"organization_id": None, "accounts": []}, title="T", generated_at="2026-01-01T00:00:00Z")

    assert list(report) == ["schema_version", "title", "organization_id", "generated_at", "targeting", "summary",
                            "organizational_units", "guardrails", "findings", "accounts", "drift"]
    assert (report["schema_version"], report["title"], report["generated_at"]) == (4, "T", "2026-01-01T00:00:00Z")
    assert report["findings"] == [] and report["drift"] is None
    assert report["summary"]["total"] == 0 and report["organizational_units"] == {} and report["accounts"] == []
    assert audit_report({"accounts": []})["generated_at"].endswith("Z")
    assert FilterModule().filters() == {"audit_report": audit_report}


# ---------------------------------------------------------------------------
# Findings and the comparison with an earlier report


def test_each_audited_account_gets_its_findings_the_most_severe_first_and_the_report_ranks_them_all():
    report = audit_report(RESULT, generated_at="2026-01-01T00:00:00Z")
    rows = {row["id"]: row for row in report["accounts"]}

    # DIRTY: a password with an MFA device not known to be virtual, an active key never used and an inactive key.
    assert [(item["kind"], item["severity"]) for item in rows["222222222222"]["findings"]] == [
        ("root_access_key_active", "CRITICAL"), ("root_password", "LOW"), ("root_access_key_inactive", "LOW")]
    assert rows["111111111111"]["findings"] == [] and rows["333333333333"]["findings"] == [] and rows["444444444444"]["findings"] == []
    assert report["findings"] == rows["222222222222"]["findings"]
    assert all(row["since_previous"] is None for row in report["accounts"])


def test_the_drift_since_an_earlier_report_of_the_same_organization():
    before = audit_report(RESULT, generated_at="2026-01-01T00:00:00Z")
    later = {"organization_id": RESULT["organization_id"], "accounts": [
        entry("111111111111", "ou-b", found=dict(CLEAN, compliant=False, signing_certificates=[{"id": "CERT1", "status": "Active"}])),
        entry("222222222222", "ou-a", found=CLEAN),
        entry("666666666666", "ou-a", found=CLEAN),
    ]}

    now = audit_report(later, generated_at="2026-01-02T00:00:00Z", previous=json.dumps(before))
    drift = now["drift"]

    assert (drift["compared"], drift["first_run"], drift["since"]) == (True, False, "2026-01-01T00:00:00Z")
    assert [(item["account_id"], item["kind"]) for item in drift["new_findings"]] == [("111111111111", "root_signing_certificate")]
    assert {item["account_id"] for item in drift["resolved_findings"]} == {"222222222222"}
    assert (drift["accounts_joined"], drift["accounts_left"]) == (["666666666666"], ["333333333333", "444444444444", "555555555555"])
    assert [item["id"] for item in drift["accounts_changed"]] == ["111111111111", "222222222222"]
    rows = {row["id"]: row["since_previous"] for row in now["accounts"]}
    assert rows["111111111111"] == {"change": "changed", "new_findings": ["root_signing_certificate"], "resolved_findings": []}
    assert rows["666666666666"] == {"change": "joined", "new_findings": [], "resolved_findings": []}
    assert rows["222222222222"]["resolved_findings"] and rows["222222222222"]["change"] == "changed"


def test_a_first_run_compares_with_nothing():
    drift = audit_report(RESULT, first_run=True)["drift"]
    assert (drift["compared"], drift["first_run"], drift["since"], drift["new_findings"]) == (False, True, None, [])


@pytest.mark.parametrize(("previous", "message"), [
    ("{not json", "it is not JSON"),
    ('{"schema_version": 2, "accounts": []}', "its schema_version is 2, not an audit report's (3 or later)"),
    (json.dumps({"schema_version": 3, "organization_id": "o-zzzzzzzzzz", "generated_at": "2026-01-01T00:00:00Z", "accounts": []}),
     "it is a report of organization 'o-zzzzzzzzzz', not of 'o-a1b2c3d4e5'"),
])
def test_an_earlier_report_that_cannot_be_compared_with_is_a_clear_error(previous, message):
    with pytest.raises(AnsibleFilterError, match=re.escape(f"The previous audit report cannot be compared with: {message}")):
        audit_report(RESULT, previous=previous)
