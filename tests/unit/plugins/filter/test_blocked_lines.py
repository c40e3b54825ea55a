# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.rootguard.aws.plugins.filter.blocked_lines import blocked_lines

SCP = "SERVICE_CONTROL_POLICY"


def entry(**fields) -> dict:
    base = {"action": "iam:DeleteLoginProfile", "policy_type": SCP, "policy_id": "p-keep1234", "policy_name": "KeepPassword",
            "target_id": "ou-ab12-cdefgh34", "statement": "KeepRootPassword", "reason": "explicit_deny", "remedy": "..."}
    return dict(base, **fields)


def test_one_line_per_account_with_blocked_entries_each_statement_once():
    accounts = [
        {"id": "210000000001", "blocked": [entry(step="delete_login_profile", id=None)]},
        {"id": "210000000002", "blocked": []},
        {"id": "210000000003"},
        {"id": "210000000004", "blocked": [
            entry(step="read", credential_type=kind, action=action, policy_id="p-root1234", policy_name="DenyRoot", statement=0,
                  target_id="ou-ab12-root0000")
            for kind, action in (("password", "iam:GetLoginProfile"), ("access_keys", "iam:ListAccessKeys"))]},
        {"id": "210000000005", "blocked": [entry(step="delete_access_key", id="AKIAEXAMPLE", action="iam:DeleteAccessKey",
                                                 policy_type="RESOURCE_CONTROL_POLICY", policy_id=None, policy_name=None,
                                                 statement=None, reason="not_allowed", target_id="r-ab12")]},
    ]

    assert blocked_lines(accounts) == [
        "210000000001 - delete_login_profile (iam:DeleteLoginProfile) stopped by SCP KeepPassword (p-keep1234) statement "
        "KeepRootPassword attached to ou-ab12-cdefgh34.",
        "210000000004 - reading password (iam:GetLoginProfile), reading access_keys (iam:ListAccessKeys) stopped by SCP DenyRoot "
        "(p-root1234) statement 0 attached to ou-ab12-root0000.",
        "210000000005 - delete_access_key AKIAEXAMPLE (iam:DeleteAccessKey) stopped by no RCP attached to r-ab12 allowing it.",
    ]


def test_nothing_blocked_is_no_line():
    assert not blocked_lines([])
    assert not blocked_lines(None)
