"""Bad input to every module of the collection fails before any API call, with a
message that names the option.  The emulator holds an organization where every
call would succeed, and its request log must stay empty."""

from __future__ import annotations

import pytest

TARGETING = ("account_ids", "organizational_unit_ids", "all_accounts")
MEMBER = "210000000001"

CASES = [
    # (id, module, args, error_class (None: refused by Ansible's argument checks), parts of the message)
    ("delegated-administrator-account-id-11-digits", "organizations_delegated_administrator", {"account_id": "12345678901"},
     "invalid_input", ["account_id", "'12345678901'", "12 digits"]),
    ("delegated-administrator-bad-state", "organizations_delegated_administrator", {"account_id": MEMBER, "state": "enabled"},
     None, ["state", "present, absent", "enabled"]),
    ("assume-root-target-11-digits", "sts_assume_root", {"target_account": "12345678901", "task_policy": "IAMAuditRootUserCredentials"},
     "invalid_input", ["target_account", "'12345678901'"]),
    ("assume-root-target-user-arn", "sts_assume_root",
     {"target_account": "arn:aws:iam::123456789012:user/bob", "task_policy": "IAMAuditRootUserCredentials"},
     "invalid_input", ["target_account", "arn:aws:iam::123456789012:user/bob"]),
    ("assume-root-unknown-task-policy", "sts_assume_root", {"target_account": MEMBER, "task_policy": "IAMDoEverything"},
     "invalid_input", ["task_policy", "'IAMDoEverything'", "IAMAuditRootUserCredentials"]),
    ("assume-root-duration-901", "sts_assume_root",
     {"target_account": MEMBER, "task_policy": "IAMAuditRootUserCredentials", "duration_seconds": 901},
     "invalid_input", ["duration_seconds", "901", "0 to 900"]),
    ("assume-root-duration-negative", "sts_assume_root",
     {"target_account": MEMBER, "task_policy": "IAMAuditRootUserCredentials", "duration_seconds": -1},
     "invalid_input", ["duration_seconds", "-1", "0 to 900"]),
    ("assume-root-task-policy-missing", "sts_assume_root", {"target_account": MEMBER},
     None, ["missing required arguments", "task_policy"]),
    ("account-info-ou-id-malformed", "organizations_account_info", {"organizational_unit_ids": ["ou-bad"]},
     "invalid_input", ["organizational_unit_ids", "'ou-bad'"]),
    ("account-info-ou-id-upper-case", "organizations_account_info", {"organizational_unit_ids": ["OU-AB12-CDEFGH34"]},
     "invalid_input", ["organizational_unit_ids", "'OU-AB12-CDEFGH34'"]),
    ("account-info-two-selectors", "organizations_account_info", {"account_ids": [MEMBER], "all_accounts": True},
     None, ["mutually exclusive", "account_ids", "all_accounts"]),
    ("account-info-no-selector", "organizations_account_info", {"include_tags": False},
     None, ["one of the following is required", *TARGETING]),
    ("account-info-empty-account-ids", "organizations_account_info", {"account_ids": []},
     "invalid_input", ["account_ids", "empty"]),
    ("account-info-all-accounts-false", "organizations_account_info", {"all_accounts": False},
     "invalid_input", ["all_accounts", "selects nothing"]),
    ("account-info-bad-exclusion", "organizations_account_info", {"all_accounts": True, "exclude_account_ids": [MEMBER, "12345"]},
     "invalid_input", ["exclude_account_ids", "'12345'"]),
    ("account-email-malformed", "organizations_account", {"name": "payments", "email": "payments.example.com"},
     "invalid_input", ["email", "'payments.example.com'", "6 to 64"]),
    ("account-name-51-characters", "organizations_account", {"name": "x" * 51, "email": "aws-payments@example.com"},
     "invalid_input", ["name", "1 to 50 printable ASCII"]),
    ("account-parent-malformed", "organizations_account", {"name": "payments", "email": "aws-payments@example.com", "parent_id": "ou-bad"},
     "invalid_input", ["parent_id", "'ou-bad'"]),
    ("account-reserved-tag", "organizations_account", {"name": "payments", "email": "aws-payments@example.com", "tags": {"aws:owner": "me"}},
     "invalid_input", ["tags", "'aws:owner'", "reserves"]),
    ("account-bad-role-name", "organizations_account", {"name": "payments", "email": "aws-payments@example.com", "role_name": "a role"},
     "invalid_input", ["role_name", "'a role'"]),
    ("account-wait-timeout-0", "organizations_account", {"name": "payments", "email": "aws-payments@example.com", "wait_timeout": 0},
     "invalid_input", ["wait_timeout", "0", "1 to 3600"]),
    ("account-email-missing", "organizations_account", {"name": "payments"},
     None, ["missing required arguments", "email"]),
    ("account-state-absent", "organizations_account", {"name": "payments", "email": "aws-payments@example.com", "state": "absent"},
     None, ["state", "present", "absent"]),
    ("service-access-bad-principal", "organizations_service_access", {"service_principal": "not a principal"},
     "invalid_input", ["service_principal", "'not a principal'"]),
    ("service-access-bad-state", "organizations_service_access", {"state": "enabled"},
     None, ["state", "present, absent", "enabled"]),
    ("features-bad-bool", "iam_organizations_features", {"root_sessions": "maybe"},
     None, ["root_sessions", "maybe", "bool"]),
    ("features-info-bad-bool", "iam_organizations_features_info", {"validate_certs": "maybe"},
     None, ["validate_certs", "maybe", "bool"]),
    ("credentials-info-concurrency-0", "root_credentials_info", {"all_accounts": True, "concurrency": 0},
     "invalid_input", ["concurrency", "0", "1 to 100"]),
    ("credentials-info-account-id-13-digits", "root_credentials_info", {"account_ids": ["1234567890123"]},
     "invalid_input", ["account_ids", "'1234567890123'"]),
    ("credentials-unknown-type", "root_credentials", {"all_accounts": True, "credential_types": ["passwords"]},
     None, ["credential_types", "passwords"]),
    ("credentials-negative-limit", "root_credentials", {"all_accounts": True, "max_changed_accounts": -1},
     "invalid_input", ["max_changed_accounts", "-1"]),
    ("credentials-concurrency-101", "root_credentials", {"all_accounts": True, "concurrency": 101},
     "invalid_input", ["concurrency", "101", "1 to 100"]),
    ("password-recovery-bad-state", "root_password_recovery", {"account_ids": [MEMBER], "state": "enabled"},
     None, ["state", "present, absent", "enabled"]),
]


@pytest.mark.parametrize(("module", "args", "error_class", "parts"), [pytest.param(*case[1:], id=case[0]) for case in CASES])
def test_bad_input_fails_before_any_api_call(control, run_playbook, module, args, error_class, parts):
    control.seed(accounts=3, profile="full", trusted_access=True, features=["RootCredentialsManagement", "RootSessions"])
    control.clear_requests()

    run = run_playbook("bad_input.yml", {"module_name": module, "module_args": args})

    assert run.returncode == 0, run.stdout + run.stderr
    result = run.result("result")
    assert result["failed"] is True, result
    for part in parts:
        assert part in result["msg"], f"{part!r} not in {result['msg']!r}"
    if error_class is None:
        assert "error_class" not in result, result
    else:
        assert result["error_class"] == error_class
        assert result["msg"].startswith(parts[0] + ":"), result["msg"]
    assert "credentials" not in result
    log = control.requests()
    assert log["count"] == 0, log["entries"]
    assert log["entries"] == []
