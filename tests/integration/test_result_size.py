"""Module results kept under max_result_size against the emulator: what the task returns, what
its accounts file holds, and that nothing an operator needs is lost (account_ids, summary)."""

from __future__ import annotations

import json

RCM = "RootCredentialsManagement"
LIMIT = 30000


def members_with_credentials(truth: dict) -> list:
    return sorted(account["id"] for account in truth["accounts"]
                  if account["state"] == "ACTIVE" and account["root_user"]["has_credentials"])


def module_part(result: dict) -> dict:
    """The registered result without what Ansible adds (the module's arguments, the task's flags)."""
    return {key: value for key, value in result.items() if key not in ("invocation", "failed", "changed", "warnings")}


def test_the_audit_of_a_large_organization_fits_and_its_file_has_every_account(control, run_playbook, tmp_path):
    truth = control.seed(accounts=120, profile="full", features=[RCM])
    members = sorted(account["id"] for account in truth["accounts"] if account["state"] == "ACTIVE")
    accounts_file = tmp_path / "audit-accounts.json"

    run = run_playbook("root_credentials_info.yml", {"all_accounts": True, "max_result_size": LIMIT, "accounts_file": str(accounts_file)})

    assert run.returncode == 0, run.stdout[-3000:]
    result = run.result("audit")
    assert len(json.dumps(module_part(result))) <= LIMIT
    assert result["accounts_complete"] is False
    assert 0 < len(result["accounts"]) < len(members)
    total = len(members) + 1  # and the management account, skipped
    assert result["summary"]["total"] == total
    assert result["accounts_omitted"] == total - len(result["accounts"])
    assert result["account_ids"]["noncompliant"] == members_with_credentials(truth) == members
    assert f"accounts holds {len(result['accounts'])} of {total} accounts" in run.stdout + run.stderr
    whole = json.loads(accounts_file.read_text())
    assert [entry["id"] for entry in whole["accounts"] if entry["status"] == "ok"] == members
    assert len(whole["accounts"]) == total
    kept = {entry["id"]: entry for entry in result["accounts"]}
    assert all(kept[account_id] == entry for entry in whole["accounts"] if (account_id := entry["id"]) in kept)
    assert (accounts_file.stat().st_mode & 0o777) == 0o600


def test_a_removal_plan_names_every_account_it_would_change_within_the_limit(control, run_playbook, tmp_path):
    truth = control.seed(accounts=80, profile="mixed", features=[RCM])
    due = members_with_credentials(truth)
    accounts_file = tmp_path / "removal-accounts.json"
    control.clear_requests()

    run = run_playbook("root_credentials_removal.yml", {"all_accounts": True, "max_result_size": 8000, "accounts_file": str(accounts_file)},
                       check=True)

    assert run.returncode == 0, run.stdout[-3000:]
    result = run.result("removal")
    assert len(json.dumps(module_part(result))) <= 8000
    assert result["account_ids"]["would_change"] == due
    assert result["accounts_complete"] is False
    # the accounts kept are those that would change, before any unchanged one
    kept_statuses = [entry["status"] for entry in result["accounts"]]
    assert "ok" not in kept_statuses or kept_statuses.count("would_change") == len(due)
    whole = json.loads(accounts_file.read_text())
    assert sorted(entry["id"] for entry in whole["accounts"] if entry["status"] == "would_change") == due
    assert control.requests()["writes"] == 0


def test_a_small_organization_gets_every_account_as_before(control, run_playbook, tmp_path):
    truth = control.seed(accounts=10, profile="mixed", features=[RCM])
    members = sorted(account["id"] for account in truth["accounts"] if account["state"] == "ACTIVE")

    run = run_playbook("root_credentials_info.yml", {"all_accounts": True})

    result = run.result("audit")
    assert result["accounts_complete"] is True and result["accounts_omitted"] == 0 and result["accounts_file"] is None
    assert [entry["id"] for entry in result["accounts"] if entry["status"] == "ok"] == members
    assert "accounts holds" not in run.stdout + run.stderr


def test_a_bad_accounts_file_fails_before_any_call(control, run_playbook, tmp_path):
    control.seed(accounts=3, profile="mixed", features=[RCM])
    control.clear_requests()

    run = run_playbook("root_credentials_info.yml", {"all_accounts": True, "accounts_file": str(tmp_path / "missing" / "a.json")})

    assert run.returncode != 0
    message = run.result("audit")["msg"]
    assert message.startswith("accounts_file: the directory '") and message.endswith(" does not exist or cannot be written to.")
    assert control.requests()["count"] == 0
