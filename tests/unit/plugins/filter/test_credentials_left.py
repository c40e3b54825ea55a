# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""credentials_left: the proof of a removal - the accounts it worked on where the audit still finds a removed type."""

from __future__ import annotations

import pytest

from ansible_collections.rootguard.aws.plugins.filter.credentials_left import FilterModule, credentials_left

NONE_LEFT = {"password": {"present": False}, "access_keys": [], "signing_certificates": [], "mfa_devices": []}
ALL_TYPES = ["access_keys", "signing_certificates", "mfa_devices", "password"]


def found(**kinds):
    return {**NONE_LEFT, **kinds}


REMOVAL = {"accounts": [{"id": "1", "status": "changed"}, {"id": "2", "status": "ok"}, {"id": "3", "status": "failed"},
                        {"id": "4", "status": "skipped"}, {"id": "5", "status": "changed"}]}


@pytest.mark.parametrize("kind, value", [("password", {"present": True}), ("access_keys", [{"access_key_id": "AKIA"}]),
                                         ("signing_certificates", [{"certificate_id": "c"}]), ("mfa_devices", [{"serial_number": "s"}])])
def test_a_removed_type_still_found_is_listed_and_a_type_not_removed_is_not(kind, value):
    audit = {"accounts": [{"id": "1", "status": "ok", "found": found(**{kind: value})}]}

    assert credentials_left(REMOVAL, audit, ALL_TYPES) == ["1"]
    assert credentials_left(REMOVAL, audit, [other for other in ALL_TYPES if other != kind]) == []
    assert credentials_left(REMOVAL, audit, ",".join(ALL_TYPES)) == ["1"]


def test_only_accounts_the_removal_worked_on_and_the_audit_read_count():
    dirty = found(password={"present": True})
    audit = {"accounts": [{"id": account_id, "status": "ok", "found": dirty} for account_id in ("5", "3", "4", "9", "2", "1")]
             + [{"id": "1", "status": "ok", "found": dirty}, {"id": "6", "status": "failed", "found": None}]}

    assert credentials_left(REMOVAL, audit, ["password"]) == ["1", "2", "5"]
    assert credentials_left(REMOVAL, {"accounts": [{"id": "1", "status": "failed", "found": None}]}, ALL_TYPES) == []


def test_a_clean_audit_proves_the_removal():
    audit = {"accounts": [{"id": account["id"], "status": "ok", "found": NONE_LEFT} for account in REMOVAL["accounts"]]}

    assert credentials_left(REMOVAL, audit, ALL_TYPES) == []
    assert credentials_left({"accounts": []}, {"accounts": []}, ALL_TYPES) == []
    assert FilterModule().filters() == {"credentials_left": credentials_left}


def test_a_type_the_guardrails_kept_is_not_expected_gone():
    removal = {"accounts": [
        {"id": "1", "status": "changed", "blocked": [{"step": "delete_login_profile", "id": None, "action": "iam:DeleteLoginProfile"}]},
        {"id": "2", "status": "changed", "blocked": [{"step": "read", "credential_type": "mfa_devices", "action": "iam:ListMFADevices"}]},
        {"id": "3", "status": "changed", "blocked": []},
    ]}
    password_and_mfa = found(password={"present": True}, mfa_devices=[{"serial": "x"}])
    audit = {"accounts": [{"id": account_id, "status": "ok", "found": password_and_mfa} for account_id in ("1", "2", "3")]}

    assert credentials_left(removal, audit, ["password"]) == ["2", "3"]
    assert credentials_left(removal, audit, ["mfa_devices"]) == ["1", "3"]
    assert credentials_left(removal, audit, ALL_TYPES) == ["1", "2", "3"]
