"""Account vending through real ansible-playbook runs against the emulator: the
vend_accounts.yml playbook over the account_vending role, and the organizations_account
module, checked against the emulator's state and request log (which tells whether any
write, and any CreateAccount, was made)."""

from __future__ import annotations

import concurrent.futures
import json
import pathlib
import re
import stat

import boto3
import pytest

from rootguard_emulator.evidence import writes

PLAYBOOK = str(pathlib.Path(__file__).resolve().parents[2] / "playbooks" / "vend_accounts.yml")
MODULE_PLAYBOOK = "account_vending_module.yml"
FEATURES = ["RootCredentialsManagement", "RootSessions"]
RECORD = "account-vending-vended.json"
AUDIT = "account-vending.json"
# Three accounts, each into a nested OU of the seeded tree.
ACCOUNTS = (
    {"name": "payments-prod", "email": "aws-payments-prod@example.com", "ou": "Payments",
     "tags": {"team": "payments", "environment": "production"}},
    {"name": "ledger-dev", "email": "aws-ledger-dev@example.com", "ou": "NonProduction",
     "tags": {"team": "ledger", "environment": "development"}},
    {"name": "platform-prod", "email": "aws-platform-prod@example.com", "ou": "Production",
     "tags": {"team": "platform", "cost-center": "4711"}},
)


# ---------------------------------------------------------------------------
# Helpers


def ou_id(truth: dict, name: str) -> str:
    return next(ou["id"] for ou in truth["organizational_units"] if ou["name"] == name)


def vend_list(truth: dict, accounts=ACCOUNTS) -> list:
    """The accounts as rootguard_accounts takes them."""
    return [{"name": account["name"], "email": account["email"], "parent_id": ou_id(truth, account["ou"]), "tags": account["tags"]}
            for account in accounts]


def vend(run_playbook, truth: dict, report_dir: pathlib.Path, accounts=None, check: bool = False, **extra):
    extra_vars = {"rootguard_accounts": accounts if accounts is not None else vend_list(truth),
                  "rootguard_report_dir": str(report_dir), **extra}
    return run_playbook(PLAYBOOK, extra_vars=extra_vars, check=check)


def record(report_dir: pathlib.Path) -> dict:
    return json.loads((report_dir / RECORD).read_text(encoding="utf-8"))


def audit_rows(report_dir: pathlib.Path) -> dict:
    return {row["id"]: row for row in json.loads((report_dir / AUDIT).read_text(encoding="utf-8"))["accounts"]}


def output(run) -> str:
    return run.stdout[-6000:] + run.stderr[-3000:]


def actions(control) -> list:
    return [f"{entry['service']}:{entry['action']}" for entry in control.requests()["entries"]]


def failure_message(run) -> str:
    """The message of the role's last task, which fails listing the accounts."""
    match = re.search(r'"msg": "(\d+ of \d+ (?:accounts could not be vended|vended accounts are not secure).*?)"\n', run.stdout, re.DOTALL)
    assert match, output(run)
    return match.group(1)


def rows_by_email(vending_record: dict) -> dict:
    return {row["email"]: row for row in vending_record["accounts"]}


def check_placed_and_tagged(control, truth: dict, vending_record: dict, accounts=ACCOUNTS) -> None:
    """Each account exists in the organization, in its OU, with its tags (the emulator's state)."""
    rows = rows_by_email(vending_record)
    for account in accounts:
        state = control.account(rows[account["email"]]["id"])
        assert state["member"] is True and state["state"] == "ACTIVE", state
        assert (state["name"], state["email"]) == (account["name"], account["email"])
        assert state["parent_id"] == ou_id(truth, account["ou"])
        assert state["tags"] == account["tags"]


# ---------------------------------------------------------------------------
# vend_accounts.yml: plan, vend, again


def test_vend_three_accounts_into_nested_ous_check_real_and_again(control, run_playbook, tmp_path):
    truth = control.seed(accounts=3, profile="none", trusted_access=True, features=FEATURES)
    control.set_account_creation_polls(1)  # AWS answers IN_PROGRESS before the account exists

    # The plan: check mode writes nothing and says what would be created and moved.
    control.clear_requests()
    plan = vend(run_playbook, truth, tmp_path / "plan", check=True)
    assert plan.returncode == 0, output(plan)
    assert writes(control.requests()["entries"]) == []
    assert control.account_vending()["requests"] == []
    planned = record(tmp_path / "plan")
    assert planned["check_mode"] is True and planned["root_credentials_management"] is True
    assert planned["summary"] == {"total": 3, "created": 0, "found": 0, "would_create": 3, "failed": 0, "secure_by_default": 0,
                                  "not_secure_by_default": 0}
    for account, row in zip(ACCOUNTS, planned["accounts"]):
        assert (row["name"], row["email"], row["id"], row["vend"], row["secure_by_default"]) == (
            account["name"], account["email"], None, "would_create", None)
        assert row["actions"] == [f"organizations:CreateAccount({account['name']}, {account['email']})",
                                  f"organizations:MoveAccount({truth['root_id']} -> {ou_id(truth, account['ou'])})"]
        assert row["parent_id"] == ou_id(truth, account["ou"]) and row["tags"] == account["tags"]
    assert not (tmp_path / "plan" / AUDIT).exists()  # nothing exists yet to audit

    # For real: created (after polling), moved into their OUs, tagged, and proven without root credentials.
    control.clear_requests()
    real = vend(run_playbook, truth, tmp_path / "real")
    assert real.returncode == 0, output(real)
    calls = actions(control)
    assert calls.count("organizations:CreateAccount") == 3
    assert calls.count("organizations:DescribeCreateAccountStatus") == 6  # one IN_PROGRESS answer, then SUCCEEDED
    assert calls.count("organizations:MoveAccount") == 3
    vended = record(tmp_path / "real")
    assert vended["summary"] == {"total": 3, "created": 3, "found": 0, "would_create": 0, "failed": 0, "secure_by_default": 3,
                                 "not_secure_by_default": 0}
    check_placed_and_tagged(control, truth, vended)
    requests = {request["account_id"]: request for request in control.account_vending()["requests"]}
    audited = audit_rows(tmp_path / "real")
    for row in vended["accounts"]:
        assert row["vend"] == "created" and row["create_account_request_id"] == requests[row["id"]]["id"]
        assert (row["secure_by_default"], row["reason"]) == (True, "the audit found no root credential")
        assert control.root_user(row["id"])["has_credentials"] is False
        assert (audited[row["id"]]["outcome"], audited[row["id"]]["password"]) == ("compliant", False)
    assert set(audited) == {row["id"] for row in vended["accounts"]}
    for path in (tmp_path / "real").iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path

    # Again: nothing changes, no CreateAccount and no write at all.
    control.clear_requests()
    again = vend(run_playbook, truth, tmp_path / "again")
    assert again.returncode == 0, output(again)
    assert again.recap()["localhost"]["changed"] == 0
    assert writes(control.requests()["entries"]) == []
    assert "organizations:CreateAccount" not in actions(control)
    repeated = record(tmp_path / "again")
    assert [row["vend"] for row in repeated["accounts"]] == ["found"] * 3
    assert [row["id"] for row in repeated["accounts"]] == [row["id"] for row in vended["accounts"]]
    assert all(row["secure_by_default"] is True and row["actions"] == [] for row in repeated["accounts"])


# ---------------------------------------------------------------------------
# Errors


def test_an_email_elsewhere_an_unknown_ou_and_a_failed_creation_are_clear_errors(control, run_playbook, tmp_path):
    truth = control.seed(accounts=3, profile="none", trusted_access=True, features=FEATURES)
    control.set_account_creation_polls(1)
    control.add_foreign_emails("aws-taken@example.com")
    control.fail_account_creation("ACCOUNT_LIMIT_EXCEEDED", email="aws-limit@example.com")
    workloads = ou_id(truth, "Workloads")
    unknown_ou = workloads.rsplit("-", 1)[0] + "-zzzzzzzz"
    accounts = [
        {"name": "taken", "email": "aws-taken@example.com", "parent_id": workloads},
        {"name": "nowhere", "email": "aws-nowhere@example.com", "parent_id": unknown_ou},
        {"name": "limit", "email": "aws-limit@example.com", "parent_id": workloads},
        {"name": "fine", "email": "aws-fine@example.com", "parent_id": workloads, "tags": {"team": "fine"}},
    ]
    control.clear_requests()

    run = vend(run_playbook, truth, tmp_path, accounts=accounts)

    assert run.returncode != 0
    message = failure_message(run)
    assert message.startswith("3 of 4 accounts could not be vended: ")
    assert ("taken <aws-taken@example.com>: account_creation_failed: AWS could not create the account 'taken' "
            "(aws-taken@example.com): EMAIL_ALREADY_EXISTS. The email address belongs to another AWS account") in message
    assert f"nowhere <aws-nowhere@example.com>: not_found: parent_id: the organizational unit {unknown_ou} does not exist" in message
    assert ("limit <aws-limit@example.com>: account_creation_failed: AWS could not create the account 'limit' "
            "(aws-limit@example.com): ACCOUNT_LIMIT_EXCEEDED. The organization has reached its quota of accounts") in message
    assert "not secure by default" not in message
    rows = rows_by_email(record(tmp_path))
    assert {email: (row["vend"], row["error_class"], row["failure_reason"]) for email, row in rows.items()} == {
        "aws-taken@example.com": ("failed", "account_creation_failed", "EMAIL_ALREADY_EXISTS"),
        "aws-nowhere@example.com": ("failed", "not_found", None),
        "aws-limit@example.com": ("failed", "account_creation_failed", "ACCOUNT_LIMIT_EXCEEDED"),
        "aws-fine@example.com": ("created", None, None),
    }
    # The unknown OU is refused before any write: CreateAccount ran for the three others only.
    created_for = [request["email"] for request in control.account_vending()["requests"]]
    assert sorted(created_for) == ["aws-fine@example.com", "aws-limit@example.com", "aws-taken@example.com"]
    assert actions(control).count("organizations:CreateAccount") == 3
    # The account that could be vended was, and is proven secure by default.
    fine = rows["aws-fine@example.com"]
    assert fine["secure_by_default"] is True and set(audit_rows(tmp_path)) == {fine["id"]}
    state = control.account(fine["id"])
    assert (state["parent_id"], state["tags"]) == (workloads, {"team": "fine"})


def test_module_timeout_then_a_rerun_waits_for_the_same_request(control, run_playbook):
    truth = control.seed(accounts=1, profile="none", trusted_access=True, features=FEATURES)
    control.set_account_creation_polls(3)
    sandbox = ou_id(truth, "Sandbox")
    call = {"name": "slow", "email": "aws-slow@example.com", "parent_id": sandbox, "tags": {"team": "slow"}}

    run = run_playbook(MODULE_PLAYBOOK, extra_vars={"calls": [
        dict(call, check_mode=True, diff=True),
        dict(call, wait_timeout=2),
        dict(call, check_mode=True),
        dict(call, wait_timeout=120),
    ]})

    planned, timed_out, pending, resumed = run.result("account")["results"]
    assert planned["changed"] is True and planned["account"]["id"] is None
    assert planned["diff"] == {"before": {}, "after": {"id": None, "name": "slow", "email": "aws-slow@example.com",
                                                       "parent_id": sandbox, "tags": {"team": "slow"}}}
    assert timed_out["failed"] is True and timed_out["error_class"] == "timeout"
    assert timed_out["msg"].startswith("wait_timeout: the CreateAccount request car-")
    request_id = timed_out["create_account_request_id"]
    # In check mode, and then for real, the rerun waits for that request: its account is not this rerun's creation.
    assert (pending["changed"], pending["created"], pending["create_account_request_id"]) == (True, False, request_id)
    assert pending["actions"] == [f"organizations:MoveAccount({truth['root_id']} -> {sandbox})"]
    assert resumed["failed"] is False and resumed["created"] is False
    assert resumed["changed"] is True and resumed["actions"] == [f"organizations:MoveAccount({truth['root_id']} -> {sandbox})"]
    assert resumed["create_account_request_id"] == request_id
    assert resumed["account"]["parent_id"] == sandbox and resumed["account"]["tags"] == {"team": "slow"}
    assert actions(control).count("organizations:CreateAccount") == 1
    (request,) = control.account_vending()["requests"]
    assert (request["id"], request["state"], request["account_id"]) == (request_id, "SUCCEEDED", resumed["account"]["id"])


@pytest.mark.parametrize("race", ["one_request", "three_requests"])
def test_module_runs_vending_the_same_account_at_once_create_it_once_and_say_so(control, run_playbook, tmp_path, race):
    """Three runs at once for one new account: one creates it; the others wait for that request, or see their own
    fail as AWS fails a second request with the same information (CONCURRENT_ACCOUNT_MODIFICATION) or for an email
    just taken (EMAIL_ALREADY_EXISTS), and take the account - none claims it, none reports the address as another's.
    With CreateAccount slowed down, every run asks before any request is listed: all three requests are made."""
    truth = control.seed(accounts=1, profile="none", trusted_access=True, features=FEATURES)
    control.set_account_creation_polls(2)
    if race == "three_requests":
        control.add_fault(kind="slow", service="organizations", action="CreateAccount", delay_seconds=6)
    sandbox = ou_id(truth, "Sandbox")
    call = {"name": "twice", "email": "aws-twice@example.com", "parent_id": sandbox, "tags": {"team": "twice"}}
    control.clear_requests()

    def vend_once(index: int) -> dict:
        results = tmp_path / f"run-{index}"
        results.mkdir()
        run = run_playbook(MODULE_PLAYBOOK, extra_vars={"results_dir": str(results), "calls": [call]})
        assert run.returncode == 0, output(run)
        (result,) = json.loads((results / "account.json").read_text())["results"]
        return result

    with concurrent.futures.ThreadPoolExecutor(max_workers=3) as pool:
        results = list(pool.map(vend_once, range(3)))

    assert [result["failed"] for result in results] == [False, False, False], results
    assert not any("belongs to another" in json.dumps(result) for result in results)
    (account_id,) = {result["account"]["id"] for result in results}
    assert sorted(result["created"] for result in results) == [False, False, True]
    (creator,) = [result for result in results if result["created"]]
    assert creator["actions"][0] == "organizations:CreateAccount(twice, aws-twice@example.com)"
    requests = control.account_vending()["requests"]
    succeeded = [request for request in requests if request["state"] == "SUCCEEDED"]
    assert [(request["id"], request["account_id"]) for request in succeeded] == [(creator["create_account_request_id"], account_id)]
    assert {request["failure_reason"] for request in requests if request["state"] == "FAILED"} <= {"CONCURRENT_ACCOUNT_MODIFICATION",
                                                                                                   "EMAIL_ALREADY_EXISTS"}
    if race == "three_requests":
        assert sorted(request["failure_reason"] or "" for request in requests) == ["", "CONCURRENT_ACCOUNT_MODIFICATION",
                                                                                   "CONCURRENT_ACCOUNT_MODIFICATION"]
        for result in results:
            if result is not creator:
                (warning,) = result["warnings"]
                assert re.fullmatch(f"email: this task's CreateAccount request car-[a-z0-9]+ failed with CONCURRENT_ACCOUNT_MODIFICATION "
                                    f"because another request created account {account_id} with this email address at the same time "
                                    r"\(another run vending it\?\); this task placed and tagged that account, and did not create it\.",
                                    warning), warning
    # The other runs claim no creation, and of all three runs one only claims the move (whichever made it first).
    assert all(result["actions"] in ([], [f"organizations:MoveAccount({truth['root_id']} -> {sandbox})"])
               for result in results if result is not creator)
    moves = [action for result in results for action in result["actions"] if action.startswith("organizations:MoveAccount")]
    assert moves == [f"organizations:MoveAccount({truth['root_id']} -> {sandbox})"]
    state = control.account(account_id)
    assert (state["name"], state["email"], state["parent_id"], state["tags"]) == ("twice", "aws-twice@example.com", sandbox, {"team": "twice"})
    emails = [entry for entry in boto3.client("organizations", endpoint_url=control.endpoint, region_name="us-east-1",
                                              aws_access_key_id="testing", aws_secret_access_key="testing").list_accounts()["Accounts"]
              if entry["Email"] == "aws-twice@example.com"]
    assert len(emails) == 1


def test_module_existing_account_is_moved_tagged_and_never_created_twice(control, run_playbook):
    truth = control.seed(accounts=2, profile="none", trusted_access=True, features=FEATURES)
    member = truth["accounts"][0]
    target = ou_id(truth, "Sandbox")
    assert member["parent_id"] != target
    call = {"name": member["name"], "email": member["email"].upper(), "parent_id": target, "tags": {"owner": "sandbox-team"}}
    control.clear_requests()

    run = run_playbook(MODULE_PLAYBOOK, extra_vars={"calls": [dict(call, check_mode=True), call, call]})

    planned, moved, again = run.result("account")["results"]
    assert planned["actions"] == moved["actions"] == [f"organizations:MoveAccount({member['parent_id']} -> {target})",
                                                      "organizations:UntagResource(seed-index)", "organizations:TagResource(owner)"]
    assert (moved["changed"], moved["created"], moved["account"]["id"]) == (True, False, member["id"])
    assert (again["changed"], again["actions"]) == (False, [])
    state = control.account(member["id"])
    assert (state["parent_id"], state["tags"]) == (target, {"owner": "sandbox-team"})
    assert writes(control.requests()["entries"]) == ["organizations:MoveAccount", "organizations:UntagResource", "organizations:TagResource"]


# ---------------------------------------------------------------------------
# Secure by default: the feature off, then on


def test_with_the_feature_off_the_accounts_are_not_secure_by_default(control, emulator, run_playbook, tmp_path):
    truth = control.seed(accounts=3, profile="none", trusted_access=True)
    control.clear_requests()

    run = vend(run_playbook, truth, tmp_path / "off")

    assert run.returncode != 0
    message = failure_message(run)
    assert message.startswith("3 of 3 vended accounts are not secure by default: ")
    off = record(tmp_path / "off")
    assert off["root_credentials_management"] is False
    assert off["summary"]["created"] == 3 and off["summary"]["not_secure_by_default"] == 3
    for row in off["accounts"]:
        assert row["secure_by_default"] is False
        assert row["reason"].startswith(f"RootCredentialsManagement is not enabled in organization {truth['organization_id']}: "
                                        "accounts created through AWS Organizations get a root user whose password can be recovered")
        assert f"{row['name']} ({row['id']}): RootCredentialsManagement is not enabled" in message
        assert control.root_user(row["id"])["password"] is True  # what the emulator gave the new account
    assert "sts:AssumeRoot" not in actions(control)  # no root session can be opened: nothing was audited
    assert not (tmp_path / "off" / AUDIT).exists()
    check_placed_and_tagged(control, truth, off)

    # The feature on now: the same accounts are found (no CreateAccount), and the audit finds their root password.
    boto3.client("iam", endpoint_url=emulator.endpoint, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").enable_organizations_root_credentials_management()
    control.clear_requests()

    later = vend(run_playbook, truth, tmp_path / "later")

    assert later.returncode != 0
    assert "organizations:CreateAccount" not in actions(control)
    assert failure_message(later).startswith("3 of 3 vended accounts are not secure by default: ")
    audited = audit_rows(tmp_path / "later")
    for row in record(tmp_path / "later")["accounts"]:
        assert (row["vend"], row["secure_by_default"], row["reason"]) == ("found", False, "the audit found root credentials: password")
        assert (audited[row["id"]]["outcome"], audited[row["id"]]["password"]) == ("noncompliant", True)


def test_not_requiring_secure_by_default_only_reports(control, run_playbook, tmp_path):
    truth = control.seed(accounts=1, profile="none", trusted_access=True)
    reports = tmp_path / "reports"
    run = vend(run_playbook, truth, reports, accounts=vend_list(truth)[:1], rootguard_require_secure_by_default=False,
               rootguard_report_formats="json")
    assert run.returncode == 0, output(run)
    (row,) = record(reports)["accounts"]
    assert row["secure_by_default"] is False and row["vend"] == "created"
    assert sorted(path.name for path in reports.iterdir()) == [RECORD]
    assert stat.S_IMODE(reports.stat().st_mode) == 0o700
