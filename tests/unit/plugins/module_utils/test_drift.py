# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import copy

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import drift

NONE = {"password": {"present": False}, "access_keys": [], "signing_certificates": [], "mfa_devices": []}
KEY = {"id": "AKIA1", "status": "Active", "last_used_date": None}


def row(account_id, outcome="compliant", **found):
    credentials = {**NONE, **found}
    return {"id": account_id, "name": f"name {account_id}", "status": "ok", "outcome": outcome,
            "password": credentials["password"]["present"], "access_keys": len(credentials["access_keys"]),
            "active_access_keys": len([key for key in credentials["access_keys"] if key["status"] == "Active"]),
            "signing_certificates": len(credentials["signing_certificates"]), "mfa_devices": len(credentials["mfa_devices"]),
            "found": credentials}


def report(rows, organization_id="o-abcdef1234", generated_at="2026-12-05T02:00:00Z"):
    return {"schema_version": 3, "organization_id": organization_id, "generated_at": generated_at, "accounts": rows}


PREVIOUS = report([row("210000000001", "noncompliant", access_keys=[KEY]), row("210000000002"), row("210000000003")])


def test_a_credential_that_came_back_is_one_new_finding_and_its_account_changed():
    current = report([row("210000000001"), row("210000000002", "noncompliant", password={"present": True}), row("210000000003")],
                     generated_at="2026-12-06T02:00:00Z")
    found = drift.compare(PREVIOUS, current)
    assert found["since"] == "2026-12-05T02:00:00Z"
    assert [(item["account_id"], item["kind"]) for item in found["new_findings"]] == [("210000000002", "root_password_without_mfa")]
    assert [(item["account_id"], item["kind"]) for item in found["resolved_findings"]] == [("210000000001", "root_access_key_active")]
    assert [change["id"] for change in found["accounts_changed"]] == ["210000000001", "210000000002"]
    assert found["accounts_changed"][1]["before"]["outcome"] == "compliant" and found["accounts_changed"][1]["after"]["password"] is True
    assert found["accounts_joined"] == found["accounts_left"] == []


def test_nothing_new_is_an_empty_drift():
    found = drift.compare(PREVIOUS, copy.deepcopy(PREVIOUS))
    assert (found["new_findings"], found["resolved_findings"], found["accounts_changed"]) == ([], [], [])


def test_accounts_that_joined_and_left():
    current = report([row("210000000002"), row("210000000003"), row("210000000004", "noncompliant", signing_certificates=[{"id": "C1"}])])
    found = drift.compare(PREVIOUS, current)
    assert (found["accounts_joined"], found["accounts_left"]) == (["210000000004"], ["210000000001"])
    assert [(item["account_id"], item["kind"]) for item in found["new_findings"]] == [("210000000004", "root_signing_certificate")]
    assert [item["kind"] for item in found["resolved_findings"]] == ["root_access_key_active"]


@pytest.mark.parametrize(("previous", "message"), [
    ([], "it is not a JSON object"),
    (dict(PREVIOUS, schema_version=2), "its schema_version is 2, not an audit report's (3 or later)"),
    (dict(PREVIOUS, accounts=[{"name": "x"}]), "its accounts are not a list of rows with an id"),
    (dict(PREVIOUS, generated_at="yesterday"), "its generated_at is not an ISO 8601 time: 'yesterday'"),
    (dict(PREVIOUS, organization_id="o-zzzzzzzzzz"), "it is a report of organization 'o-zzzzzzzzzz', not of 'o-abcdef1234'"),
])
def test_a_previous_report_that_cannot_be_compared_is_a_clear_error(previous, message):
    with pytest.raises(drift.ReportError) as raised:
        drift.compare(previous, PREVIOUS)
    assert str(raised.value) == message
