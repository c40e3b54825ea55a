"""organizations_service_access, organizations_delegated_administrator and organizations_account_info
through real ansible-playbook runs against the emulator, checked against its state and request log.

Every run goes through playbooks/organizations_modules.yml, which takes a list of calls per module
(module options plus per-call ``check_mode`` and ``diff``) and saves one result per call."""

from __future__ import annotations

import boto3

PLAYBOOK = "organizations_modules.yml"
MANAGEMENT = "123456789012"
UNKNOWN_ACCOUNT = "999999999999"
IAM = "iam.amazonaws.com"
GUARDDUTY = "guardduty.amazonaws.com"
FIRST_MEMBER = 210000000000


# ---------------------------------------------------------------------------
# Helpers


def run_calls(run_playbook, service_access=None, delegated_administrator=None, account_info=None, check=False, env=None):
    """Run the playbook with these calls; return (run, {module: [one result per call]})."""
    run = run_playbook(PLAYBOOK, extra_vars={
        "service_access_calls": service_access or [],
        "delegated_administrator_calls": delegated_administrator or [],
        "account_info_calls": account_info or [],
    }, check=check, env=env)
    assert set(run.results) == {"service_access", "delegated_administrator", "account_info"}, run.stdout + run.stderr
    results = {name: run.result(name).get("results", []) for name in run.results}
    for name, calls in (("service_access", service_access), ("delegated_administrator", delegated_administrator),
                        ("account_info", account_info)):
        assert len(results[name]) == len(calls or []), (name, run.stdout + run.stderr)
    return run, results


def succeeded(run, result: dict) -> dict:
    assert not result.get("failed"), (result.get("error_class"), result.get("msg"), run.stdout + run.stderr)
    return result


def failed_with(result: dict, error_class: str, text: str) -> None:
    assert result.get("failed") is True, result
    assert result["error_class"] == error_class, (result["error_class"], result["msg"])
    assert text in result["msg"], result["msg"]


def account_index(account_id: str) -> int:
    return int(account_id) - FIRST_MEMBER


def ou_id(truth: dict, name: str) -> str:
    return next(ou["id"] for ou in truth["organizational_units"] if ou["name"] == name)


def active(truth: dict) -> list:
    return [account for account in truth["accounts"] if account["state"] == "ACTIVE"]


def suspended(truth: dict) -> list:
    return [account for account in truth["accounts"] if account["state"] == "SUSPENDED"]


def check_account(listed: dict, expected: dict) -> None:
    """One listed account against the seeded truth."""
    assert {key: listed[key] for key in ("id", "name", "email", "state", "parent_id", "ou_path")} == {
        key: expected[key] for key in ("id", "name", "email", "state", "parent_id", "ou_path")
    }
    assert listed["tags"] == {"seed-index": str(account_index(expected["id"]))}
    assert listed["management_account"] is False
    assert listed["arn"].endswith(f"/{expected['id']}")
    assert listed["joined_method"] == "CREATED"
    assert listed["joined_timestamp"]


def check_members(listed: list, expected: list) -> None:
    """The listed member accounts are exactly ``expected``, in id order, each matching the truth."""
    members = [account for account in listed if account["id"] != MANAGEMENT]
    assert [account["id"] for account in members] == sorted(account["id"] for account in expected)
    by_id = {account["id"]: account for account in expected}
    for account in members:
        check_account(account, by_id[account["id"]])


def check_management(listed: list, truth: dict) -> None:
    management = [account for account in listed if account["management_account"]]
    assert len(management) == 1, listed
    assert management[0]["id"] == MANAGEMENT
    assert management[0]["parent_id"] == truth["root_id"]
    assert management[0]["ou_path"] == "/"
    assert management[0]["state"] == "ACTIVE"


def skipped_as(result: dict) -> dict:
    return {entry["id"]: entry["reason"] for entry in result["skipped_accounts"]}


def writes(control) -> int:
    return control.requests()["writes"]


# ---------------------------------------------------------------------------
# Every module under the same condition


def test_no_organization_is_organization_not_found_for_every_module(control, run_playbook):
    # control resets the emulator: no organization exists at all.
    run, results = run_calls(
        run_playbook,
        service_access=[{}],
        delegated_administrator=[{"account_id": f"{FIRST_MEMBER}"}],
        account_info=[{"all_accounts": True}],
    )

    assert run.returncode != 0
    for name in ("service_access", "delegated_administrator", "account_info"):
        result = results[name][0]
        failed_with(result, "organization_not_found", "is not a member of an AWS organization")
        assert result["aws_error_code"] == "AWSOrganizationsNotInUseException"
    assert writes(control) == 0


def test_consolidated_billing_organization_refuses_trusted_access_and_registration(control, run_playbook):
    truth = control.seed(accounts=3, profile="none", feature_set="CONSOLIDATED_BILLING")
    member = truth["accounts"][0]["id"]
    control.clear_requests()

    run, results = run_calls(
        run_playbook,
        service_access=[{}],
        delegated_administrator=[{"account_id": member}],
        account_info=[{"all_accounts": True}],
    )

    assert run.returncode != 0
    for name in ("service_access", "delegated_administrator"):
        failed_with(results[name][0], "organization_not_all_features", "has only consolidated billing features")
    # Listing the accounts needs no more than consolidated billing.
    listed = succeeded(run, results["account_info"][0])["accounts"]
    check_members(listed, truth["accounts"])
    check_management(listed, truth)
    assert writes(control) == 0
    assert control.organization()["trusted_access"] == []
    assert control.organization()["delegated_administrators"] == {}


def test_member_account_cannot_register_or_read_the_organization(control, run_playbook, caller_env):
    truth = control.seed(accounts=3, profile="none", trusted_access=True)
    member, other = truth["accounts"][1]["id"], truth["accounts"][2]["id"]
    env = caller_env(member)
    control.clear_requests()

    run, results = run_calls(
        run_playbook,
        delegated_administrator=[{"account_id": other}, {"account_id": other, "check_mode": True}],
        account_info=[{"all_accounts": True}, {"account_ids": [other]}],
        env=env,
    )

    assert run.returncode != 0
    for result in results["delegated_administrator"]:
        failed_with(result, "not_management_account", f"Only the management account ({MANAGEMENT})")
        assert f"the caller's account is {member}" in result["msg"]
    for result in results["account_info"]:
        failed_with(result, "not_management_or_delegated_administrator", f"Account {member} is a member of organization")
    log = control.requests()
    assert log["writes"] == 0
    assert {entry["caller_account"] for entry in log["entries"]} == {member}
    assert control.organization()["delegated_administrators"] == {}


def test_member_account_cannot_enable_trusted_access(control, run_playbook, caller_env):
    truth = control.seed(accounts=3, profile="none")
    member = truth["accounts"][1]["id"]
    env = caller_env(member)
    control.clear_requests()

    run, results = run_calls(run_playbook, service_access=[{}], env=env)

    assert run.returncode != 0
    assert writes(control) == 0
    assert control.organization()["trusted_access"] == []
    failed_with(results["service_access"][0], "not_management_account", f"Only the management account ({MANAGEMENT})")


def test_delegated_administrator_reads_but_cannot_change_the_organization(control, run_playbook, caller_env):
    truth = control.seed(accounts=10, profile="mixed", delegated_administrator=True)
    admin = truth["delegated_administrator"]
    other = next(account["id"] for account in active(truth) if account["id"] != admin)
    env = caller_env(admin)
    control.clear_requests()

    run, results = run_calls(
        run_playbook,
        service_access=[
            {"service_principal": GUARDDUTY},
            {"state": "absent"},
            {"state": "absent", "check_mode": True},
            {},
        ],
        delegated_administrator=[
            {"account_id": other},
            {"account_id": other, "check_mode": True},
            {"account_id": admin, "state": "absent"},
        ],
        account_info=[{"all_accounts": True}],
        env=env,
    )

    assert run.returncode != 0
    enable_other, disable, disable_check, confirm = results["service_access"]
    failed_with(enable_other, "not_management_account", f"can enable trusted access for {GUARDDUTY}; the caller's account is {admin}")
    failed_with(disable, "not_management_account", f"can disable trusted access for {IAM}")
    failed_with(disable_check, "not_management_account", f"can disable trusted access for {IAM}")
    # Nothing to change: the delegated administrator may confirm it.
    assert succeeded(run, confirm)["changed"] is False
    assert confirm["enabled"] is True
    assert confirm["enabled_service_principals"] == [IAM]
    for result in results["delegated_administrator"]:
        failed_with(result, "not_management_account", "a delegated administrator; the caller's account is " + admin)
    info = succeeded(run, results["account_info"][0])
    assert info["management_account_id"] == MANAGEMENT
    assert info["organization_id"] == truth["organization_id"]
    check_members(info["accounts"], active(truth))
    check_management(info["accounts"], truth)
    log = control.requests()
    assert log["writes"] == 0
    assert {entry["caller_account"] for entry in log["entries"]} == {admin}
    state = control.organization()
    assert state["trusted_access"] == [IAM]
    assert state["delegated_administrators"] == {admin: [IAM]}


# ---------------------------------------------------------------------------
# organizations_service_access


def test_service_access_check_mode_plans_the_enable_without_writing(control, run_playbook):
    truth = control.seed(accounts=2, profile="none")
    control.clear_requests()

    run, results = run_calls(run_playbook, service_access=[{"diff": True}], check=True)

    assert run.returncode == 0, run.stdout + run.stderr
    result = succeeded(run, results["service_access"][0])
    assert result["changed"] is True
    assert result["organization_id"] == truth["organization_id"]
    assert result["service_principal"] == IAM
    assert result["enabled"] is True
    assert result["enabled_service_principals"] == [IAM]
    assert result["diff"] == {"before": {"enabled_service_principals": []}, "after": {"enabled_service_principals": [IAM]}}
    assert writes(control) == 0
    assert control.organization()["trusted_access"] == []


def test_service_access_enables_trusted_access(control, run_playbook):
    control.seed(accounts=2, profile="none")
    control.clear_requests()

    run, results = run_calls(run_playbook, service_access=[{}, {"service_principal": GUARDDUTY, "state": "present"}])

    assert run.returncode == 0, run.stdout + run.stderr
    iam, guardduty = (succeeded(run, result) for result in results["service_access"])
    assert iam["changed"] is True and iam["enabled"] is True
    assert iam["enabled_service_principals"] == [IAM]
    assert "diff" not in iam  # only with --diff
    assert guardduty["changed"] is True
    assert guardduty["enabled_service_principals"] == [GUARDDUTY, IAM]
    log = control.requests()
    assert log["writes"] == 2
    assert log["by_action"]["organizations:EnableAWSServiceAccess"] == 2
    assert control.organization()["trusted_access"] == [GUARDDUTY, IAM]


def test_service_access_rerun_changes_nothing(control, run_playbook):
    control.seed(accounts=2, profile="none", trusted_access=True)
    control.clear_requests()

    run, results = run_calls(run_playbook, service_access=[{"check_mode": True}, {}, {"service_principal": GUARDDUTY, "state": "absent"}])

    assert run.returncode == 0, run.stdout + run.stderr
    for result in results["service_access"]:
        assert succeeded(run, result)["changed"] is False
        assert result["enabled_service_principals"] == [IAM]
    assert [result["enabled"] for result in results["service_access"]] == [True, True, False]
    assert writes(control) == 0
    assert control.organization()["trusted_access"] == [IAM]


def test_service_access_disables_trusted_access(control, run_playbook):
    control.seed(accounts=2, profile="none", trusted_access=True)
    control.clear_requests()

    run, results = run_calls(run_playbook, service_access=[
        {"state": "absent", "check_mode": True, "diff": True},
        {"state": "absent", "diff": True},
        {"state": "absent"},
    ])

    assert run.returncode == 0, run.stdout + run.stderr
    check, real, rerun = (succeeded(run, result) for result in results["service_access"])
    expected_diff = {"before": {"enabled_service_principals": [IAM]}, "after": {"enabled_service_principals": []}}
    for result in (check, real):
        assert result["changed"] is True
        assert result["enabled"] is False
        assert result["enabled_service_principals"] == []
        assert result["diff"] == expected_diff
    assert rerun["changed"] is False and rerun["enabled"] is False
    # Only the real run wrote; the check-mode run before it and the re-run after it did not.
    log = control.requests()
    assert log["writes"] == 1
    assert log["by_action"]["organizations:DisableAWSServiceAccess"] == 1
    assert control.organization()["trusted_access"] == []


# ---------------------------------------------------------------------------
# organizations_delegated_administrator


def test_delegated_administrator_check_mode_plans_the_registration_without_writing(control, run_playbook):
    truth = control.seed(accounts=3, profile="none", trusted_access=True)
    member = truth["accounts"][1]
    control.clear_requests()

    run, results = run_calls(run_playbook, delegated_administrator=[{"account_id": member["id"], "diff": True}], check=True)

    assert run.returncode == 0, run.stdout + run.stderr
    result = succeeded(run, results["delegated_administrator"][0])
    assert result["changed"] is True
    assert result["account_id"] == member["id"]
    assert result["service_principal"] == IAM
    assert result["organization_id"] == truth["organization_id"]
    [planned] = result["delegated_administrators"]
    assert {key: planned[key] for key in ("id", "name", "email", "state", "joined_method", "delegation_enabled_date")} == {
        "id": member["id"], "name": member["name"], "email": member["email"], "state": "ACTIVE",
        "joined_method": "CREATED", "delegation_enabled_date": None,
    }
    assert result["diff"] == {"before": {"delegated_administrators": []}, "after": {"delegated_administrators": [member["id"]]}}
    assert writes(control) == 0
    assert control.organization()["delegated_administrators"] == {}


def test_delegated_administrator_registers_the_account(control, run_playbook):
    truth = control.seed(accounts=3, profile="none", trusted_access=True)
    member = truth["accounts"][2]
    control.clear_requests()

    run, results = run_calls(run_playbook, delegated_administrator=[{"account_id": member["id"]}])

    assert run.returncode == 0, run.stdout + run.stderr
    result = succeeded(run, results["delegated_administrator"][0])
    assert result["changed"] is True
    assert "diff" not in result  # only with --diff
    [admin] = result["delegated_administrators"]
    assert admin["id"] == member["id"] and admin["name"] == member["name"] and admin["state"] == "ACTIVE"
    assert admin["delegation_enabled_date"]
    log = control.requests()
    assert log["writes"] == 1
    assert log["by_action"]["organizations:RegisterDelegatedAdministrator"] == 1
    assert control.organization()["delegated_administrators"] == {member["id"]: [IAM]}


def test_delegated_administrator_rerun_changes_nothing(control, run_playbook):
    truth = control.seed(accounts=3, profile="none", delegated_administrator=True)
    admin = truth["delegated_administrator"]
    control.clear_requests()

    run, results = run_calls(run_playbook, delegated_administrator=[
        {"account_id": admin, "check_mode": True},
        {"account_id": admin, "diff": True},
    ])

    assert run.returncode == 0, run.stdout + run.stderr
    for result in results["delegated_administrator"]:
        assert succeeded(run, result)["changed"] is False
        assert [entry["id"] for entry in result["delegated_administrators"]] == [admin]
    assert results["delegated_administrator"][1]["diff"] == {
        "before": {"delegated_administrators": [admin]}, "after": {"delegated_administrators": [admin]},
    }
    assert writes(control) == 0
    assert control.organization()["delegated_administrators"] == {admin: [IAM]}


def test_delegated_administrator_deregisters_the_account(control, run_playbook):
    truth = control.seed(accounts=3, profile="none", delegated_administrator=True)
    admin = truth["delegated_administrator"]
    control.clear_requests()

    run, results = run_calls(run_playbook, delegated_administrator=[
        {"account_id": admin, "state": "absent", "check_mode": True, "diff": True},
        {"account_id": admin, "state": "absent"},
        {"account_id": admin, "state": "absent"},
    ])

    assert run.returncode == 0, run.stdout + run.stderr
    check, real, rerun = (succeeded(run, result) for result in results["delegated_administrator"])
    assert check["changed"] is True and check["delegated_administrators"] == []
    assert check["diff"] == {"before": {"delegated_administrators": [admin]}, "after": {"delegated_administrators": []}}
    assert real["changed"] is True and real["delegated_administrators"] == []
    assert rerun["changed"] is False and rerun["delegated_administrators"] == []
    # Only the real run wrote.
    log = control.requests()
    assert log["writes"] == 1
    assert log["by_action"]["organizations:DeregisterDelegatedAdministrator"] == 1
    assert control.organization()["delegated_administrators"] == {}
    assert control.organization()["trusted_access"] == [IAM]


def test_delegated_administrator_needs_trusted_access_first(control, run_playbook):
    truth = control.seed(accounts=3, profile="none")
    member = truth["accounts"][0]["id"]
    control.clear_requests()

    run, results = run_calls(run_playbook, delegated_administrator=[
        {"account_id": member, "check_mode": True},
        {"account_id": member},
    ])

    assert run.returncode != 0
    for result in results["delegated_administrator"]:
        failed_with(result, "trusted_access_not_enabled",
                    f"Trusted access for IAM (iam.amazonaws.com) is not enabled in organization {truth['organization_id']}")
        assert f"so {member} cannot be registered" in result["msg"]
    assert writes(control) == 0
    assert "organizations:RegisterDelegatedAdministrator" not in control.requests()["by_action"]
    assert control.organization()["delegated_administrators"] == {}


def test_delegated_administrator_refuses_unregistrable_accounts_before_writing(control, run_playbook):
    truth = control.seed(accounts=10, profile="mixed", trusted_access=True)
    [closed] = [account["id"] for account in suspended(truth)]
    control.clear_requests()

    calls = []
    for check_mode in (True, False):
        calls += [
            {"account_id": MANAGEMENT, "check_mode": check_mode},
            {"account_id": UNKNOWN_ACCOUNT, "check_mode": check_mode},
            {"account_id": closed, "check_mode": check_mode},
        ]
    run, results = run_calls(run_playbook, delegated_administrator=calls)

    assert run.returncode != 0
    for offset in (0, 3):
        management, unknown, inactive = results["delegated_administrator"][offset:offset + 3]
        failed_with(management, "conflict", f"account_id: {MANAGEMENT} is the management account of organization")
        failed_with(unknown, "not_found", f"account_id: {UNKNOWN_ACCOUNT} is not a member of organization {truth['organization_id']}")
        failed_with(inactive, "conflict", f"account_id: {closed} is SUSPENDED")
    log = control.requests()
    assert log["writes"] == 0
    assert "organizations:RegisterDelegatedAdministrator" not in log["by_action"]
    assert control.organization()["delegated_administrators"] == {}


def test_delegated_administrator_second_one_is_refused_by_the_service_limit(control, run_playbook):
    truth = control.seed(accounts=3, profile="none", delegated_administrator=True)
    admin = truth["delegated_administrator"]
    other = next(account["id"] for account in active(truth) if account["id"] != admin)
    control.clear_requests()

    run, results = run_calls(run_playbook, delegated_administrator=[{"account_id": other}])

    assert run.returncode != 0
    result = results["delegated_administrator"][0]
    failed_with(result, "conflict", "maximum number of delegated administrators")
    assert result["aws_error_code"] == "ConstraintViolationException"
    assert control.organization()["delegated_administrators"] == {admin: [IAM]}


# ---------------------------------------------------------------------------
# organizations_account_info


def test_account_info_lists_every_account_as_seeded(control, run_playbook):
    truth = control.seed(accounts=20, profile="mixed")
    assert len(suspended(truth)) == 2
    control.clear_requests()

    run, results = run_calls(run_playbook, account_info=[
        {"all_accounts": True},
        {"all_accounts": True, "include_inactive": True},
    ], check=True)

    assert run.returncode == 0, run.stdout + run.stderr
    default, inactive_too = (succeeded(run, result) for result in results["account_info"])
    for result in (default, inactive_too):
        assert result["changed"] is False
        assert result["organization_id"] == truth["organization_id"]
        assert result["management_account_id"] == MANAGEMENT
        check_management(result["accounts"], truth)
        assert [account["id"] for account in result["accounts"]] == sorted(account["id"] for account in result["accounts"])
    check_members(default["accounts"], active(truth))
    check_members(inactive_too["accounts"], truth["accounts"])
    log = control.requests()
    assert log["writes"] == 0
    # One ListTagsForResource per listed account: 18 active members and the management account, then all 21.
    assert log["by_action"]["organizations:ListTagsForResource"] == 19 + 21


def test_account_info_targets_ous_exclusions_and_explicit_ids(control, run_playbook):
    truth = control.seed(accounts=20, profile="mixed")
    workloads = ou_id(truth, "Workloads")
    under_workloads = [account for account in truth["accounts"] if account["ou_path"].startswith("/Workloads/")]
    assert {account["ou_path"] for account in under_workloads} == {
        "/Workloads/", "/Workloads/Production/", "/Workloads/Production/Payments/", "/Workloads/NonProduction/"}
    excluded = [truth["accounts"][0]["id"], truth["accounts"][1]["id"]]
    explicit = truth["accounts"][2]
    control.clear_requests()

    run, results = run_calls(run_playbook, account_info=[
        {"organizational_unit_ids": [workloads]},
        {"organizational_unit_ids": [workloads], "include_inactive": True},
        {"all_accounts": True, "exclude_account_ids": excluded},
        {"account_ids": [explicit["id"], UNKNOWN_ACCOUNT]},
        {"account_ids": [MANAGEMENT]},
    ])

    assert run.returncode == 0, run.stdout + run.stderr
    by_ou, by_ou_inactive_too, with_exclusions, by_id, management = (succeeded(run, result) for result in results["account_info"])
    # Nested OUs included; the suspended account two levels down only with include_inactive.
    check_members(by_ou["accounts"], [account for account in under_workloads if account["state"] == "ACTIVE"])
    check_members(by_ou_inactive_too["accounts"], under_workloads)
    assert any(account["state"] == "SUSPENDED" for account in under_workloads)
    for result in (by_ou, by_ou_inactive_too):
        assert all(not account["management_account"] for account in result["accounts"])
    check_members(with_exclusions["accounts"], [account for account in active(truth) if account["id"] not in excluded])
    check_management(with_exclusions["accounts"], truth)
    check_members(by_id["accounts"], [explicit])
    check_management(management["accounts"], truth)
    assert len(management["accounts"]) == 1
    assert all(result["changed"] is False for result in results["account_info"])
    assert writes(control) == 0


def test_account_info_reports_the_accounts_left_out(control, run_playbook):
    truth = control.seed(accounts=20, profile="mixed")
    excluded = [truth["accounts"][0]["id"], truth["accounts"][1]["id"]]
    control.clear_requests()

    run, results = run_calls(run_playbook, account_info=[
        {"all_accounts": True},
        {"all_accounts": True, "include_inactive": True},
        {"all_accounts": True, "exclude_account_ids": excluded},
        {"account_ids": [truth["accounts"][2]["id"], UNKNOWN_ACCOUNT]},
    ])

    assert run.returncode == 0, run.stdout + run.stderr
    for result in results["account_info"]:
        succeeded(run, result)
        assert isinstance(result["skipped_accounts"], list), f"skipped_accounts came back as {result['skipped_accounts']!r}"
    default, inactive_too, with_exclusions, by_id = results["account_info"]
    assert default["skipped_accounts"] == [
        {"id": account["id"], "name": account["name"], "state": "SUSPENDED", "ou_path": account["ou_path"],
         "parent_id": account["parent_id"], "reason": "not_active", "message": "the account is SUSPENDED."}
        for account in suspended(truth)
    ]
    assert inactive_too["skipped_accounts"] == []
    assert skipped_as(with_exclusions) == {
        **{account_id: "excluded" for account_id in excluded},
        **{account["id"]: "not_active" for account in suspended(truth)},
    }
    assert by_id["skipped_accounts"] == [{
        "id": UNKNOWN_ACCOUNT, "name": None, "state": None, "ou_path": None, "parent_id": None, "reason": "not_in_organization",
        "message": f"{UNKNOWN_ACCOUNT} is not a member of organization {truth['organization_id']}.",
    }]
    accounts_task = run.stdout.split("TASK [Accounts]", 1)[1].split("TASK [", 1)[0]
    assert "skipping:" not in accounts_task


def test_account_info_without_tags_makes_no_tag_calls(control, run_playbook):
    truth = control.seed(accounts=10, profile="mixed")
    control.clear_requests()

    run, results = run_calls(run_playbook, account_info=[{"all_accounts": True, "include_tags": False}])

    assert run.returncode == 0, run.stdout + run.stderr
    result = succeeded(run, results["account_info"][0])
    members = [account for account in result["accounts"] if not account["management_account"]]
    assert [account["id"] for account in members] == [account["id"] for account in active(truth)]
    assert all(account["tags"] == {} for account in result["accounts"])
    log = control.requests()
    assert "organizations:ListTagsForResource" not in log["by_action"]
    assert log["writes"] == 0


def test_account_info_follows_every_page(control, emulator, run_playbook):
    truth = control.seed(accounts=45, profile="none")
    sandbox = ou_id(truth, "Sandbox")
    organizations = boto3.client("organizations", endpoint_url=emulator.endpoint, region_name="us-east-1",
                                 aws_access_key_id="testing", aws_secret_access_key="testing")
    for account in truth["accounts"]:
        if account["parent_id"] != sandbox:
            organizations.move_account(AccountId=account["id"], SourceParentId=account["parent_id"], DestinationParentId=sandbox)
    control.clear_requests()

    run, results = run_calls(run_playbook, account_info=[{"organizational_unit_ids": [sandbox]}])

    assert run.returncode == 0, run.stdout + run.stderr
    result = succeeded(run, results["account_info"][0])
    assert len(result["accounts"]) == 45
    expected = [dict(account, parent_id=sandbox, ou_path="/Sandbox/") for account in truth["accounts"]]
    check_members(result["accounts"], expected)
    # The emulator answers at most 20 accounts a page: 20 + 20 + 5.
    assert control.requests()["by_action"]["organizations:ListAccountsForParent"] == 3


def test_account_info_rides_out_throttling(control, run_playbook):
    truth = control.seed(accounts=10, profile="mixed")
    control.add_fault(kind="throttle", service="organizations", times=3)
    control.clear_requests()

    run, results = run_calls(run_playbook, account_info=[{"all_accounts": True}])

    assert run.returncode == 0, run.stdout + run.stderr
    result = succeeded(run, results["account_info"][0])
    check_members(result["accounts"], active(truth))
    check_management(result["accounts"], truth)
    [rule] = control.faults()
    assert rule["injected"] == 3
    rejected = [entry for entry in control.requests()["entries"] if entry["rejected"]]
    assert [entry["rejected"] for entry in rejected] == ["TooManyRequestsException"] * 3
    assert all(entry["service"] == "organizations" for entry in rejected)


def test_account_info_unknown_organizational_unit_is_not_found(control, run_playbook):
    truth = control.seed(accounts=3, profile="none")
    control.clear_requests()

    run, results = run_calls(run_playbook, account_info=[{"organizational_unit_ids": ["ou-zzzz-zzzzzzzz"]}])

    assert run.returncode != 0
    failed_with(results["account_info"][0], "not_found",
                f"organizational_unit_ids: ou-zzzz-zzzzzzzz not found in organization {truth['organization_id']}")
    log = control.requests()
    assert log["writes"] == 0
    assert "organizations:ListAccountsForParent" not in log["by_action"]
