# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""vending_record: each vended account judged against the audit, and the summary."""

from __future__ import annotations

from ansible_collections.rootguard.aws.plugins.filter.vending_record import FilterModule, vending_record

CLEAN = {"compliant": True, "password": {"present": False}, "access_keys": [], "signing_certificates": [], "mfa_devices": []}
DIRTY = {"compliant": False, "password": {"present": True}, "access_keys": [{"status": "Active"}], "signing_certificates": [],
         "mfa_devices": [{"serial_number": "s1"}, {"serial_number": "s2"}]}


def vended(name, account=None, **result):
    asked = {"name": name, "email": f"{name}@example.com", "parent_id": "ou-asked", "tags": {"asked": "yes"}}
    return {"ansible_loop_var": "account_vending__account", "account_vending__account": asked, "changed": bool(account and result.get("created")),
            **({"account": account} if account is not None else {}), **result}


def account(account_id):
    return {"id": account_id, "arn": f"arn:aws:organizations::1:account/o-x/{account_id}", "parent_id": "ou-real", "tags": {"team": "a"}}


RESULTS = [
    vended("clean", account("111111111111"), created=True, actions=["organizations:CreateAccount"], create_account_request_id="car-1"),
    vended("dirty", account("222222222222")),
    vended("planned", {"id": None}),
    vended("broken", failed=True, error_class="create_account_failed", msg="Email already exists.", failure_reason="EMAIL_ALREADY_EXISTS"),
    vended("unread", account("444444444444")),
    vended("unaudited", account("555555555555")),
    vended("missing", account("666666666666")),
]
AUDIT = [{"id": "111111111111", "status": "ok", "found": CLEAN}, {"id": "222222222222", "status": "ok", "found": DIRTY},
         {"id": "444444444444", "status": "failed", "found": None, "error_class": "access_denied", "error_message": "Denied"},
         {"id": "555555555555", "status": "skipped", "found": None, "reason": "suspended", "error_message": "Suspended"}]


def test_each_account_is_judged_against_the_audit():
    record = vending_record(RESULTS, audit_accounts=AUDIT, root_credentials_management=True, organization_id="o-x",
                            title="T", check_mode=False, audit_reports={"json": "/r.json"}, generated_at="2026-01-01T00:00:00Z")
    rows = {row["name"]: row for row in record["accounts"]}

    assert [row["name"] for row in record["accounts"]] == [result["account_vending__account"]["name"] for result in RESULTS]
    assert {name: (row["vend"], row["secure_by_default"], row["reason"]) for name, row in rows.items()} == {
        "clean": ("created", True, "the audit found no root credential"),
        "dirty": ("found", False, "the audit found root credentials: password, 1 access key(s), 2 MFA device(s)"),
        "planned": ("would_create", None, "would be created while RootCredentialsManagement is enabled, so without root credentials;"
                                          " not audited (check mode)"),
        "broken": ("failed", None, "not vended: create_account_failed"),
        "unread": ("found", False, "could not be audited: access_denied: Denied"),
        "unaudited": ("found", False, "not audited: suspended: Suspended"),
        "missing": ("found", False, "not audited"),
    }
    clean = rows["clean"]
    assert (clean["id"], clean["parent_id"], clean["tags"], clean["changed"], clean["actions"], clean["create_account_request_id"],
            clean["audit_status"], clean["password"], clean["access_keys"], clean["signing_certificates"], clean["mfa_devices"]) == (
        "111111111111", "ou-real", {"team": "a"}, True, ["organizations:CreateAccount"], "car-1", "ok", False, 0, 0, 0)
    broken = rows["broken"]
    assert (broken["id"], broken["parent_id"], broken["tags"], broken["error_message"], broken["failure_reason"], broken["password"]) == (
        None, "ou-asked", {"asked": "yes"}, "Email already exists.", "EMAIL_ALREADY_EXISTS", None)
    assert rows["dirty"]["error_message"] is None and rows["dirty"]["mfa_devices"] == 2
    assert record["summary"] == {"total": 7, "created": 1, "found": 4, "would_create": 1, "failed": 1,
                                 "secure_by_default": 1, "not_secure_by_default": 4}
    assert {key: record[key] for key in ("schema_version", "title", "organization_id", "generated_at", "check_mode",
                                         "root_credentials_management", "audit_reports")} == {
        "schema_version": 1, "title": "T", "organization_id": "o-x", "generated_at": "2026-01-01T00:00:00Z", "check_mode": False,
        "root_credentials_management": True, "audit_reports": {"json": "/r.json"}}


def test_without_root_credentials_management_no_vended_account_is_secure():
    record = vending_record(RESULTS[:3], root_credentials_management=False, organization_id="o-x")

    assert [row["secure_by_default"] for row in record["accounts"]] == [False, False, False]
    assert record["accounts"][0]["reason"].startswith("RootCredentialsManagement is not enabled in organization o-x: ")
    assert record["summary"]["not_secure_by_default"] == 3 and record["audit_reports"] == {}
    assert FilterModule().filters() == {"vending_record": vending_record}
