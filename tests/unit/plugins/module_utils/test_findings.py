# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import datetime

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import findings

AUDITED_AT = datetime.datetime(2026, 12, 6, 12, 0, tzinfo=datetime.timezone.utc)
NONE = {"password": {"present": False}, "access_keys": [], "signing_certificates": [], "mfa_devices": []}


def entry(account_id="210000000001", status="ok", **found):
    return {"id": account_id, "name": "member", "status": status, "found": {**NONE, **found} if status == "ok" else None}


def kinds(item) -> list:
    return [(found["kind"], found["severity"], found["credentials"]) for found in findings.account_findings(item, AUDITED_AT)]


def key(key_id, status="Active", used=None):
    return {"id": key_id, "status": status, "last_used_date": used}


def test_an_account_without_root_credentials_has_no_finding():
    assert kinds(entry()) == []


@pytest.mark.parametrize("status", ["skipped", "failed"])
def test_an_account_not_audited_has_no_finding(status):
    assert kinds(entry(status=status)) == []


def test_access_keys_active_recently_used_and_inactive():
    item = entry(access_keys=[key("AKIA1", used="2026-11-20T08:00:00+00:00"), key("AKIA2", "Inactive", used="2026-01-01T00:00:00Z")])
    assert kinds(item) == [("root_access_key_active", "CRITICAL", ["AKIA1"]),
                           ("root_access_key_recently_used", "CRITICAL", ["AKIA1"]),
                           ("root_access_key_inactive", "LOW", ["AKIA2"])]


@pytest.mark.parametrize(("used", "recent"), [
    ("2026-09-07T12:00:00+00:00", True),   # 90 days before the audit, to the second
    ("2026-09-07T11:59:59+00:00", False),
    (None, False),
    ("N/A", False),
])
def test_recent_use_is_within_90_days_of_the_audit(used, recent):
    found = [kind for kind, _severity, _credentials in kinds(entry(access_keys=[key("AKIA1", used=used)]))]
    assert ("root_access_key_recently_used" in found) is recent


@pytest.mark.parametrize(("mfa", "expected"), [
    ([], ("root_password_without_mfa", "HIGH", ["password"])),
    ([{"serial": "arn:aws:iam::210000000001:mfa/root", "type": "virtual"}],
     ("root_password_with_virtual_mfa_only", "MEDIUM", ["password", "arn:aws:iam::210000000001:mfa/root"])),
    ([{"serial": "arn:aws:iam::210000000001:mfa/root", "type": "virtual"}, {"serial": "GAHT12345678", "type": "hardware"}],
     ("root_password", "LOW", ["password"])),
])
def test_a_password_is_ranked_by_its_mfa(mfa, expected):
    assert kinds(entry(password={"present": True}, mfa_devices=mfa)) == [expected]


def test_an_mfa_device_without_a_password_and_a_signing_certificate():
    item = entry(mfa_devices=[{"serial": "GAHT12345678", "type": "hardware"}], signing_certificates=[{"id": "CERT1"}])
    assert kinds(item) == [("root_mfa_device_without_password", "LOW", ["GAHT12345678"]), ("root_signing_certificate", "LOW", ["CERT1"])]


def test_every_kind_names_its_controls_and_a_remedy():
    for kind, (severity, title, security_hub, cis, remedy) in findings.KINDS.items():
        assert severity in findings.SEVERITY_ORDER, kind
        assert title and remedy.startswith(("Remove", "Enable", "Find out")), kind
        assert findings.CENTRALIZED_ROOT_ACCESS in cis, kind
        assert all(control in ("IAM.4", "IAM.6", "IAM.9") for control in security_hub), kind
    assert findings.KINDS["root_access_key_active"][2] == ["IAM.4"]
    assert findings.KINDS["root_password_without_mfa"][2] == ["IAM.9", "IAM.6"]


def test_the_audit_findings_come_most_severe_first_with_the_organizations_own():
    result = {"features": {"root_credentials_management": False, "root_sessions": True}, "accounts": [
        entry("210000000002", signing_certificates=[{"id": "CERT1"}]),
        entry("210000000001", password={"present": True}),
        entry("210000000003", access_keys=[key("AKIA3")]),
    ]}
    ordered = [(item["severity"], item["account_id"], item["kind"]) for item in findings.audit_findings(result, AUDITED_AT, "111111111111")]
    assert ordered == [("CRITICAL", "210000000003", "root_access_key_active"),
                       ("HIGH", "111111111111", "centralized_root_access_disabled"),
                       ("HIGH", "210000000001", "root_password_without_mfa"),
                       ("LOW", "210000000002", "root_signing_certificate")]
