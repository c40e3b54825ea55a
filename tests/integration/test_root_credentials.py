"""root_credentials_info, root_credentials and root_password_recovery, through real
ansible-playbook runs against the emulator.

Every result is compared with the emulator's truth: the seeded root users
(``truth['accounts'][i]['root_user']``), the root users as they are after a run
(``control.root_user``) and the request log, which shows every call, the account
it was about, and the task policy of the root session that made it."""

from __future__ import annotations

import collections
import json

import pytest

from rootguard_emulator.evidence import action

MANAGEMENT = "123456789012"
UNKNOWN = "999999999999"
RCM = "RootCredentialsManagement"
AUDIT_POLICY = "IAMAuditRootUserCredentials"
DELETE_POLICY = "IAMDeleteRootUserCredentials"
RECOVERY_POLICY = "IAMCreateRootUserPassword"
READS = ("iam:GetLoginProfile", "iam:ListAccessKeys", "iam:ListSigningCertificates", "iam:ListMFADevices")
ALL_TYPES = ("access_keys", "signing_certificates", "mfa_devices", "password")
REMOVAL_CALLS = {
    "delete_access_key": "iam:DeleteAccessKey",
    "delete_signing_certificate": "iam:DeleteSigningCertificate",
    "deactivate_mfa_device": "iam:DeactivateMFADevice",
    "delete_virtual_mfa_device": "iam:DeleteVirtualMFADevice",
    "delete_login_profile": "iam:DeleteLoginProfile",
}
SECRET_MARKERS = ("CertificateBody", "-----BEGIN", "SecretAccessKey", "SessionToken")

AUDIT = "root_credentials_info.yml"
REMOVAL = "root_credentials_removal.yml"
RECOVERY = "root_credentials_password_recovery.yml"


# ---------------------------------------------------------------------------
# Helpers


def calls_by_account(entries: list) -> dict:
    """Counter of ``service:Action`` per subject account."""
    calls: dict = collections.defaultdict(collections.Counter)
    for entry in entries:
        calls[entry["account"]][action(entry)] += 1
    return calls


def by_id(result: dict) -> dict:
    return {account["id"]: account for account in result["accounts"]}


def active_members(truth: dict) -> list:
    return [account for account in truth["accounts"] if account["state"] == "ACTIVE"]


def suspended_members(truth: dict) -> list:
    return [account for account in truth["accounts"] if account["state"] != "ACTIVE"]


def has_credentials(root_user: dict) -> bool:
    return bool(root_user["password"] or root_user["access_keys"] or root_user["signing_certificates"]
                or root_user["mfa_devices"])


def expected_actions(root_user: dict, types=ALL_TYPES) -> list:
    """The removal steps the module must plan for a seeded root user, in order."""
    steps = []
    if "access_keys" in types:
        steps += [{"action": "delete_access_key", "id": key["id"]} for key in root_user["access_keys"]]
    if "signing_certificates" in types:
        steps += [{"action": "delete_signing_certificate", "id": cert["id"]} for cert in root_user["signing_certificates"]]
    if "mfa_devices" in types:
        steps += [{"action": "deactivate_mfa_device", "id": device["serial"]} for device in root_user["mfa_devices"]]
        steps += [{"action": "delete_virtual_mfa_device", "id": device["serial"]}
                  for device in root_user["mfa_devices"] if device["type"] == "virtual"]
    if "password" in types and root_user["password"]:
        steps.append({"action": "delete_login_profile", "id": None})
    return steps


def planned(account_result: dict) -> list:
    return [{"action": step["action"], "id": step["id"]} for step in account_result["actions"]]


READ_OF_TYPE = dict(zip(("password", "access_keys", "signing_certificates", "mfa_devices"), READS))


def removal_calls(root_user: dict, types=ALL_TYPES) -> collections.Counter:
    """The minimum calls one account's removal makes: one AssumeRoot, one read per credential
    type removed, one call per removed credential (two for a virtual MFA device)."""
    calls = collections.Counter({"sts:AssumeRoot": 1, **{READ_OF_TYPE[kind]: 1 for kind in types}})
    for step in expected_actions(root_user, types):
        calls[REMOVAL_CALLS[step["action"]]] += 1
    return calls


def audit_calls(root_user: dict) -> collections.Counter:
    calls = collections.Counter({"sts:AssumeRoot": 1, **{read: 1 for read in READS}})
    if root_user["access_keys"]:
        calls["iam:GetAccessKeyLastUsed"] = len(root_user["access_keys"])
    return calls


def root_task_policies(entries: list, account_id: str) -> set:
    """The task policies of the root-session calls made in ``account_id``."""
    return {entry["task_policy"] for entry in entries if entry["account"] == account_id and entry["principal"] == "root"}


def assert_outside_calls_are_organization_reads(entries: list, targeted: set) -> None:
    """No call about an account outside ``targeted``, except the caller's own identity, Organizations reads
    and the one check of the organization's features."""
    outside = [entry for entry in entries if entry["account"] not in targeted]
    for entry in outside:
        assert entry["account"] == MANAGEMENT and entry["principal"] == "iam", entry
        assert action(entry) in ("sts:GetCallerIdentity", "iam:ListOrganizationsFeatures") or entry["service"] == "organizations", entry
        assert not entry["write"], entry


def assert_no_secrets(run) -> None:
    text = run.stdout + run.stderr + repr(run.results)
    for marker in SECRET_MARKERS:
        assert marker not in text, marker


def inventory(root_user: dict) -> dict:
    """A seeded root user as the removal's diff shows it."""
    return {
        "password": root_user["password"],
        "access_keys": [key["id"] for key in root_user["access_keys"]],
        "signing_certificates": [cert["id"] for cert in root_user["signing_certificates"]],
        "mfa_devices": [device["serial"] for device in root_user["mfa_devices"]],
    }


def ou_by_name(truth: dict, name: str) -> dict:
    return next(ou for ou in truth["organizational_units"] if ou["name"] == name)


def in_subtree(account: dict, ou: dict) -> bool:
    return account["ou_path"].startswith(ou["path"])


# ---------------------------------------------------------------------------
# Audit


def test_audit_of_60_accounts_matches_the_seeded_truth(control, run_playbook):
    truth = control.seed(accounts=60, profile="mixed", features=[RCM])
    control.clear_requests()

    run = run_playbook(AUDIT, {"all_accounts": True, "concurrency": 20}, verbosity=1)

    assert run.returncode == 0, run.stdout + run.stderr
    audit = run.result("audit")
    assert audit["changed"] is False
    assert audit["organization_id"] == truth["organization_id"]
    results = by_id(audit)
    active, suspended = active_members(truth), suspended_members(truth)
    assert len(suspended) == 6
    assert set(results) == {MANAGEMENT} | {account["id"] for account in truth["accounts"]}
    assert [account["id"] for account in audit["accounts"]] == sorted(results)
    assert audit["summary"] == {"ok": 54, "changed": 0, "would_change": 0, "skipped": 7, "failed": 0, "total": 61}

    assert results[MANAGEMENT]["status"] == "skipped"
    assert results[MANAGEMENT]["reason"] == "management_account"
    assert results[MANAGEMENT]["found"] is None
    for account in suspended:
        result = results[account["id"]]
        assert (result["status"], result["reason"], result["found"]) == ("skipped", "not_active", None), result
        assert result["error_message"]

    for account in active:
        seeded, result = account["root_user"], results[account["id"]]
        assert result["status"] == "ok", result
        assert (result["name"], result["ou_path"]) == (account["name"], account["ou_path"])
        found = result["found"]
        assert found["password"]["present"] is seeded["password"]
        assert bool(found["password"]["created"]) is seeded["password"]
        assert [(key["id"], key["status"]) for key in found["access_keys"]] == [(key["id"], key["status"]) for key in seeded["access_keys"]]
        for key, seeded_key in zip(found["access_keys"], seeded["access_keys"]):
            if seeded_key["last_used"]:
                assert (key["last_used_service"], key["last_used_region"]) == ("s3", "us-east-1"), key
                assert key["last_used_date"], key
            else:
                assert (key["last_used_service"], key["last_used_region"], key["last_used_date"]) == ("N/A", "N/A", None), key
        assert [(cert["id"], cert["status"]) for cert in found["signing_certificates"]] == [
            (cert["id"], cert["status"]) for cert in seeded["signing_certificates"]]
        assert [(device["serial"], device["type"]) for device in found["mfa_devices"]] == [
            (device["serial"], device["type"]) for device in seeded["mfa_devices"]]
        assert found["compliant"] is (not seeded["has_credentials"])
        assert result["actions"] == []
    assert audit["compliant_accounts"] == sum(1 for account in active if not account["root_user"]["has_credentials"]) == 12
    # Every kind of credential is in the organization, so the comparison above covers them all.
    kinds = {account["credentials"] for account in active}
    assert {"full", "access_keys", "virtual_mfa", "hardware_mfa", "signing_certificate", "password", "none"} <= kinds

    assert_no_secrets(run)

    entries = control.requests()["entries"]
    assert not [entry for entry in entries if entry["write"]]
    assert not [entry for entry in entries if entry["rejected"]]
    calls = calls_by_account(entries)
    for account in active:
        assert calls[account["id"]] == audit_calls(account["root_user"]), account["id"]
        assert root_task_policies(entries, account["id"]) == {AUDIT_POLICY}
    for account in suspended:
        assert account["id"] not in calls
    assert_outside_calls_are_organization_reads(entries, {account["id"] for account in active})


@pytest.mark.parametrize("paths", [True, False], ids=["with-paths", "without-paths"])
@pytest.mark.parametrize("ou_path", ["/", "/Workloads/Production/Payments/"])
def test_an_account_given_by_id_costs_the_same_calls_in_an_organization_of_any_size(ou_path, paths, control, run_playbook):
    """What a per-host run does for its one account: the calls in the management account
    do not grow with the organization (its account is looked up, not found by a listing).
    The account's Paths name the OUs above it; without Paths, ListParents climbs to the root."""
    management_calls = []
    for size in (12, 240):
        control.reset()
        truth = control.seed(accounts=size, profile="full", features=[RCM])
        control.configure_api(account_paths=paths)
        account = next(account for account in active_members(truth) if account["ou_path"] == ou_path)
        control.clear_requests()
        run = run_playbook(AUDIT, {"account_ids": [account["id"]]})
        assert run.returncode == 0, run.stdout + run.stderr
        assert [(entry["id"], entry["status"], entry["ou_path"]) for entry in run.result("audit")["accounts"]] == [
            (account["id"], "ok", ou_path)]
        entries = control.requests()["entries"]
        management_calls.append(collections.Counter(action(entry) for entry in entries if entry["account"] == MANAGEMENT))
    small, large = management_calls
    assert small == large, (small, large)
    assert not {"organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"} & set(small), small
    depth = ou_path.count("/") - 1
    assert (small["organizations:DescribeAccount"], small["organizations:ListParents"], small["organizations:DescribeOrganizationalUnit"]) == (
        1, 0 if paths else depth + 1, depth)


def test_audit_rides_out_throttling_of_assume_root_and_iam(control, run_playbook):
    truth = control.seed(accounts=6, profile="full", features=[RCM])
    control.add_fault(kind="throttle", service="sts", action="AssumeRoot", times=5)
    control.add_fault(kind="throttle", service="iam", action="ListAccessKeys", times=4)
    control.add_fault(kind="throttle", service="iam", every_nth=5, times=3)
    control.clear_requests()

    # In check mode too: the info module only reads, so it runs the same.
    run = run_playbook(AUDIT, {"all_accounts": True, "concurrency": 3}, check=True)

    assert run.returncode == 0, run.stdout + run.stderr
    audit = run.result("audit")
    assert audit["summary"]["ok"] == 6 and audit["summary"]["failed"] == 0, audit["summary"]
    for account in truth["accounts"]:
        found = by_id(audit)[account["id"]]["found"]
        assert [key["id"] for key in found["access_keys"]] == [key["id"] for key in account["root_user"]["access_keys"]]
    assert {rule["injected"] for rule in control.faults()} == {5, 4, 3}
    entries = control.requests()["entries"]
    throttled = [entry for entry in entries if entry["rejected"] == "Throttling"]
    assert len(throttled) == 12
    # Throttled AssumeRoot calls were retried, not answered by a second session per account.
    granted = collections.Counter(entry["account"] for entry in entries if action(entry) == "sts:AssumeRoot" and not entry["rejected"])
    assert granted == {account["id"]: 1 for account in truth["accounts"]}


# ---------------------------------------------------------------------------
# Removal


def test_removal_of_an_ou_subtree_plans_removes_and_is_idempotent(control, run_playbook):
    truth = control.seed(accounts=60, profile="mixed", features=[RCM])
    workloads = ou_by_name(truth, "Workloads")
    inside = [account for account in truth["accounts"] if in_subtree(account, workloads)]
    outside = [account for account in truth["accounts"] if not in_subtree(account, workloads)]
    excluded = next(account for account in inside if account["state"] == "ACTIVE" and account["credentials"] == "full")
    targeted = [account for account in inside if account["state"] == "ACTIVE" and account is not excluded]
    suspended = [account for account in inside if account["state"] != "ACTIVE"]
    due = [account for account in targeted if account["root_user"]["has_credentials"]]
    assert {account["ou_path"] for account in inside} == {"/Workloads/", "/Workloads/Production/", "/Workloads/Production/Payments/",
                                                          "/Workloads/NonProduction/"}
    assert suspended and due and outside
    untouched = outside + suspended + [excluded]
    variables = {"organizational_unit_ids": [workloads["id"]], "exclude_account_ids": [excluded["id"]]}

    # Check mode: reads only, and exactly the seeded credentials are planned, in order.
    control.clear_requests()
    plan = run_playbook(REMOVAL, variables, check=True, verbosity=1)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    log = control.requests()
    assert log["writes"] == 0
    result = plan.result("removal")
    assert result["changed"] is True  # as a real run would: accounts would change
    results = by_id(result)
    assert set(results) == {account["id"] for account in inside}
    assert result["summary"] == {"ok": len(targeted) - len(due), "changed": 0, "would_change": len(due), "skipped": len(suspended) + 1,
                                 "failed": 0, "total": len(inside)}
    assert (results[excluded["id"]]["status"], results[excluded["id"]]["reason"]) == ("skipped", "excluded")
    for account in targeted:
        entry = results[account["id"]]
        assert planned(entry) == expected_actions(account["root_user"]), account
        assert entry["status"] == ("would_change" if account["root_user"]["has_credentials"] else "ok")
    for account in suspended:
        assert (results[account["id"]]["status"], results[account["id"]]["reason"]) == ("skipped", "not_active")
    calls = calls_by_account(log["entries"])
    for account in targeted:
        assert calls[account["id"]] == collections.Counter({"sts:AssumeRoot": 1, **{read: 1 for read in READS}})
    assert_no_secrets(plan)
    for account in truth["accounts"]:
        assert control.root_user(account["id"]) == account["root_user"]

    # The real run: one delete session per account, the reads, one call per credential.
    control.clear_requests()
    real = run_playbook(REMOVAL, variables)
    assert real.returncode == 0, real.stdout + real.stderr
    result = real.result("removal")
    assert result["changed"] is True
    assert result["summary"] == {"ok": len(targeted) - len(due), "changed": len(due), "would_change": 0, "skipped": len(suspended) + 1,
                                 "failed": 0, "total": len(inside)}
    results = by_id(result)
    for account in targeted:
        entry = results[account["id"]]
        assert planned(entry) == expected_actions(account["root_user"])
        assert all(step["done"] and step["error"] is None for step in entry["actions"]), entry
        after = control.root_user(account["id"])
        assert not after["has_credentials"], after
        assert (after["password"], after["access_keys"], after["signing_certificates"], after["mfa_devices"]) == (False, [], [], [])
    for account in untouched:
        assert control.root_user(account["id"]) == account["root_user"], account["id"]
    entries = control.requests()["entries"]
    calls = calls_by_account(entries)
    for account in targeted:
        assert calls[account["id"]] == removal_calls(account["root_user"]), account
        assert root_task_policies(entries, account["id"]) == {DELETE_POLICY}
    assert not [entry for entry in entries if entry["rejected"]]
    assert_outside_calls_are_organization_reads(entries, {account["id"] for account in targeted})

    # The re-run finds nothing to remove.
    control.clear_requests()
    again = run_playbook(REMOVAL, variables)
    assert again.returncode == 0, again.stdout + again.stderr
    result = again.result("removal")
    assert result["changed"] is False
    assert result["summary"]["changed"] == result["summary"]["would_change"] == 0
    assert {entry["status"] for entry in result["accounts"]} == {"ok", "skipped"}
    assert control.requests()["writes"] == 0


def test_credential_types_subset_removes_only_those(control, run_playbook):
    truth = control.seed(accounts=3, profile="full", features=[RCM])
    members = [account["id"] for account in truth["accounts"]]
    control.clear_requests()

    run = run_playbook(REMOVAL, {"account_ids": members + [MANAGEMENT, UNKNOWN], "credential_types": ["access_keys"]},
                       env={"ANSIBLE_DIFF_ALWAYS": "true"})

    assert run.returncode == 0, run.stdout + run.stderr
    result = run.result("removal")
    assert result["summary"] == {"ok": 0, "changed": 3, "would_change": 0, "skipped": 2, "failed": 0, "total": 5}
    results = by_id(result)
    assert (results[MANAGEMENT]["status"], results[MANAGEMENT]["reason"]) == ("skipped", "management_account")
    assert (results[UNKNOWN]["status"], results[UNKNOWN]["reason"]) == ("skipped", "not_in_organization")
    # The diff shows, per account, the credentials read (only the access keys) before and after.
    before = {account["id"]: {"access_keys": inventory(account["root_user"])["access_keys"]} for account in truth["accounts"]}
    assert result["diff"] == {"before": before, "after": {account_id: {"access_keys": []} for account_id in before}}
    calls = calls_by_account(control.requests()["entries"])
    for account in truth["accounts"]:
        seeded = account["root_user"]
        assert planned(results[account["id"]]) == expected_actions(seeded, ("access_keys",))
        assert calls[account["id"]] == removal_calls(seeded, ("access_keys",)), account["id"]
        after = control.root_user(account["id"])
        assert after["access_keys"] == []
        assert after["password"] is True
        assert after["signing_certificates"] == seeded["signing_certificates"]
        assert after["mfa_devices"] == seeded["mfa_devices"]
    writes = collections.Counter(action(entry) for entry in control.requests()["entries"] if entry["write"])
    assert writes == {"iam:DeleteAccessKey": 6}


def test_blast_radius_limit_stops_the_run_before_any_write(control, run_playbook):
    truth = control.seed(accounts=10, profile="mixed", features=[RCM])
    due = sorted(account["id"] for account in active_members(truth) if account["root_user"]["has_credentials"])
    clean = [account["id"] for account in active_members(truth) if not account["root_user"]["has_credentials"]]
    assert len(due) == 7
    control.clear_requests()

    run = run_playbook(REMOVAL, {"all_accounts": True, "max_changed_accounts": 6})

    assert run.returncode != 0
    result = run.result("removal")
    assert result["failed"] is True
    assert result["error_class"] == "blast_radius_exceeded"
    assert "7 accounts would change" in result["msg"] and "max_changed_accounts (6)" in result["msg"]
    listed = result["msg"].split("Accounts: ", 1)[1].split(" (account_ids", 1)[0]
    assert sorted(listed.split(", ")) == due
    assert result["account_ids"]["would_change"] == due
    for account_id in clean:
        assert account_id not in listed
    assert {entry["id"] for entry in result["accounts"] if entry["status"] == "would_change"} == set(due)
    assert control.requests()["writes"] == 0
    for account in truth["accounts"]:
        assert control.root_user(account["id"]) == account["root_user"]

    # A limit equal to the accounts due lets the run through; a suspended account is never
    # the target of a root task.
    exact = run_playbook(REMOVAL, {"all_accounts": True, "max_changed_accounts": 7})
    assert exact.returncode == 0, exact.stdout + exact.stderr
    result = exact.result("removal")
    assert result["summary"]["changed"] == 7
    for account in suspended_members(truth):
        assert (by_id(result)[account["id"]]["status"], by_id(result)[account["id"]]["reason"]) == ("skipped", "not_active")
        assert control.root_user(account["id"]) == account["root_user"]


@pytest.mark.parametrize("fail_on_error", [True, False])
def test_a_failed_account_does_not_stop_the_others(control, run_playbook, fail_on_error):
    truth = control.seed(accounts=5, profile="full", features=[RCM])
    denied = truth["accounts"][2]["id"]
    others = [account for account in truth["accounts"] if account["id"] != denied]
    control.add_fault(kind="scp_deny", account=denied)

    run = run_playbook(REMOVAL, {"all_accounts": True, "fail_on_error": fail_on_error, "concurrency": 2})

    result = run.result("removal")
    results = by_id(result)
    assert results[denied]["status"] == "failed"
    assert results[denied]["error_class"] == "denied_by_scp"
    assert results[denied]["aws_error_code"] == "AccessDenied"
    assert "service control policy" in results[denied]["error_message"]
    for account in others:
        assert results[account["id"]]["status"] == "changed"
        assert not control.root_user(account["id"])["has_credentials"]
    assert control.root_user(denied) == truth["accounts"][2]["root_user"]
    assert result["summary"]["failed"] == 1 and result["summary"]["changed"] == 4
    if fail_on_error:
        assert run.returncode != 0
        assert result["failed"] is True
        assert denied in result["msg"]
    else:
        assert run.returncode == 0, run.stdout + run.stderr
        assert result.get("failed", False) is False
        assert result["changed"] is True


def removal_with_journal_playbook(tmp_path) -> str:
    """root_credentials with journal and virtual_mfa_devices_left, its result saved as <result_name>.json."""
    playbook = tmp_path / "removal_with_journal.yml"
    playbook.write_text(json.dumps([{
        "name": "Remove root credentials with a journal", "hosts": "localhost", "gather_facts": False,
        "tasks": [
            {"name": "Remove", "register": "removal", "ignore_errors": True, "rootguard.aws.root_credentials": {
                "all_accounts": True, "journal": "{{ journal | default(omit) }}",
                "virtual_mfa_devices_left": "{{ devices_left | default(omit) }}"}},
            {"name": "Save the result", "ansible.builtin.copy": {
                "content": "{{ removal | to_nice_json }}", "dest": "{{ results_dir }}/{{ result_name }}.json", "mode": "0600"}},
        ]}]))
    return str(playbook)


@pytest.mark.parametrize("found_by", ["journal", "result"])
def test_a_virtual_mfa_device_left_behind_fails_the_account_and_a_rerun_deletes_it(found_by, control, run_playbook, tmp_path):
    truth = control.seed(accounts=2, profile="full", features=[RCM])
    stuck = truth["accounts"][0]
    virtual = next(device["serial"] for device in stuck["root_user"]["mfa_devices"] if device["type"] == "virtual")
    control.add_fault(kind="custom", service="iam", action="DeleteVirtualMFADevice", account=stuck["id"], code="DeleteConflict",
                      status=409, message="The virtual MFA device is in use.")
    journal_dir = tmp_path / "journal"
    journal_dir.mkdir(mode=0o700)
    journal = str(journal_dir / "removal.jsonl")
    playbook = removal_with_journal_playbook(tmp_path)

    run = run_playbook(playbook, {"journal": journal, "result_name": "first"})

    assert run.returncode == 0, run.stdout + run.stderr
    result = run.result("first")
    assert result["failed"] is True and result["changed"] is True
    assert result["summary"]["changed"] == 1 and result["summary"]["failed"] == 1
    account = by_id(result)[stuck["id"]]
    assert account["error_class"] == "aws_error" and account["aws_error_code"] == "DeleteConflict"
    deactivated = f"Virtual MFA device {virtual} was deactivated (no longer a credential of the root user) but could not be deleted: "
    assert account["error_message"].startswith(deactivated)
    steps = account["actions"]
    assert [{"action": step["action"], "id": step["id"]} for step in steps] == expected_actions(stuck["root_user"])
    for step in steps:
        if step["action"] == "delete_virtual_mfa_device":
            assert (step["done"], step["already_absent"]) == (False, False)
            assert "DeleteConflict" in step["error"] and virtual in step["id"]
        else:
            assert (step["done"], step["already_absent"], step["error"]) == (True, False, None), step
    after = control.root_user(stuck["id"])
    # Deactivated (no longer a root credential), but the device itself is left behind, and no root session can list it.
    assert not after["has_credentials"]
    assert after["mfa_devices"] == [{"serial": virtual, "type": "virtual", "enabled": False}]
    other = control.root_user(truth["accounts"][1]["id"])
    assert other["mfa_devices"] == [] and not other["has_credentials"]

    control.clear_faults()
    control.clear_requests()
    rerun_vars = {"journal": journal} if found_by == "journal" else {"devices_left": [virtual]}
    rerun = run_playbook(playbook, {**rerun_vars, "result_name": "rerun"}).result("rerun")

    assert rerun.get("failed", False) is False and rerun["changed"] is True
    assert by_id(rerun)[stuck["id"]]["status"] == "changed"
    assert [(step["action"], step["id"], step["done"]) for step in by_id(rerun)[stuck["id"]]["actions"]] == [
        ("delete_virtual_mfa_device", virtual, True)]
    assert control.root_user(stuck["id"])["mfa_devices"] == []
    entries = control.requests()["entries"]
    assert [entry["action"] for entry in entries if entry["write"]] == ["DeleteVirtualMFADevice"]

    # Once more: the device is gone, and the run says so without claiming it.
    again = run_playbook(playbook, {**rerun_vars, "result_name": "again"}).result("again")
    assert again["changed"] is False and again.get("failed", False) is False
    steps = by_id(again)[stuck["id"]]["actions"]
    if found_by == "journal":
        # The journal's later lines show the device deleted: nothing is left to do.
        assert steps == []
    else:
        assert [(step["done"], step["already_absent"]) for step in steps] == [(False, True)]
        assert by_id(again)[stuck["id"]]["status"] == "ok"


def test_an_expired_root_session_is_renewed_and_the_removal_completes(control, run_playbook):
    truth = control.seed(accounts=3, profile="full", features=[RCM])
    expiring = truth["accounts"][1]
    control.add_fault(kind="custom", service="iam", action="DeleteSigningCertificate", account=expiring["id"], code="ExpiredToken",
                      status=400, message="The security token included in the request is expired", times=1)
    control.clear_requests()

    run = run_playbook(REMOVAL, {"all_accounts": True})

    assert run.returncode == 0, run.stdout + run.stderr
    result = by_id(run.result("removal"))
    for account in truth["accounts"]:
        assert result[account["id"]]["status"] == "changed"
        assert all(step["done"] for step in result[account["id"]]["actions"])
        assert not control.root_user(account["id"])["has_credentials"]
    calls = calls_by_account(control.requests()["entries"])
    # One renewal, in the account whose session expired; the access keys it had already
    # removed count as removed on the second pass (NoSuchEntity).
    assert calls[expiring["id"]]["sts:AssumeRoot"] == 2
    assert calls[expiring["id"]]["iam:DeleteSigningCertificate"] == 2
    for account in truth["accounts"]:
        if account is not expiring:
            assert calls[account["id"]] == removal_calls(account["root_user"])


def test_an_account_that_fails_part_way_reports_the_steps_already_done(control, run_playbook):
    truth = control.seed(accounts=2, profile="full", features=[RCM])
    partial = truth["accounts"][0]
    control.add_fault(kind="scp_deny", account=partial["id"], action="DeleteLoginProfile")

    run = run_playbook(REMOVAL, {"all_accounts": True, "fail_on_error": False})

    assert run.returncode == 0, run.stdout + run.stderr
    entry = by_id(run.result("removal"))[partial["id"]]
    assert (entry["status"], entry["error_class"]) == ("failed", "denied_by_scp")
    after = control.root_user(partial["id"])
    # Everything but the password is gone from the account...
    assert (after["password"], after["access_keys"], after["signing_certificates"], after["mfa_devices"]) == (True, [], [], [])
    # ... and the result must say so, step by step.
    assert [(step["action"], step.get("done")) for step in entry["actions"]] == [
        (step["action"], step["action"] != "delete_login_profile") for step in expected_actions(partial["root_user"])]


def test_concurrency_1_and_20_give_the_same_end_state(control, run_playbook):
    outcomes = []
    for workers in (1, 20):
        control.reset()
        truth = control.seed(accounts=25, profile="mixed", features=[RCM])
        control.clear_requests()
        run = run_playbook(REMOVAL, {"all_accounts": True, "concurrency": workers, "result_name": f"removal_{workers}"})
        assert run.returncode == 0, run.stdout + run.stderr
        result = run.result(f"removal_{workers}")
        statuses = {entry["id"]: (entry["status"], [step["action"] for step in entry["actions"]]) for entry in result["accounts"]}
        end_state = {account["id"]: control.root_user(account["id"]) for account in truth["accounts"]}
        calls = calls_by_account(control.requests()["entries"])
        for account in active_members(truth):
            assert calls[account["id"]] == removal_calls(account["root_user"])
        outcomes.append((result["summary"], statuses, end_state))
    assert outcomes[0] == outcomes[1]
    summary, statuses, end_state = outcomes[0]
    assert summary["failed"] == 0 and summary["changed"] > 0
    # Only the suspended accounts keep credentials.
    assert {account_id for account_id, user in end_state.items() if user["has_credentials"]} == {
        account["id"] for account in suspended_members(truth) if account["root_user"]["has_credentials"]}


# ---------------------------------------------------------------------------
# Password recovery


def test_password_recovery_present_and_absent(control, run_playbook):
    truth = control.seed(accounts=6, profile="mixed", features=[RCM])
    active = active_members(truth)
    without = sorted(account["id"] for account in active if not account["root_user"]["password"])
    with_password = sorted(account["id"] for account in active if account["root_user"]["password"])
    suspended = suspended_members(truth)
    assert without and with_password and suspended
    variables = {"all_accounts": True, "recovery_state": "present"}

    control.clear_requests()
    plan = run_playbook(RECOVERY, {**variables, "result_name": "plan"}, check=True)
    assert plan.returncode == 0, plan.stdout + plan.stderr
    result = by_id(plan.result("plan"))
    assert sorted(i for i, entry in result.items() if entry["status"] == "would_change") == without
    assert sorted(i for i, entry in result.items() if entry["status"] == "ok") == with_password
    for account_id in without:
        assert result[account_id]["actions"] == [{"action": "create_login_profile"}]
    log = control.requests()
    assert log["writes"] == 0
    for account in active:
        assert calls_by_account(log["entries"])[account["id"]] == {"sts:AssumeRoot": 1, "iam:GetLoginProfile": 1}
        assert root_task_policies(log["entries"], account["id"]) == {RECOVERY_POLICY}
    assert all(not control.root_user(account_id)["password"] for account_id in without)

    control.clear_requests()
    present = run_playbook(RECOVERY, {**variables, "result_name": "present"})
    assert present.returncode == 0, present.stdout + present.stderr
    output = present.result("present")
    assert output["changed"] is True
    result = by_id(output)
    assert sorted(i for i, entry in result.items() if entry["status"] == "changed") == without
    assert sorted(i for i, entry in result.items() if entry["status"] == "ok") == with_password
    assert {(result[account["id"]]["status"], result[account["id"]]["reason"]) for account in suspended} == {("skipped", "not_active")}
    for account_id in without:
        assert result[account_id]["actions"] == [{"action": "create_login_profile"}]
    for account_id in with_password:
        assert result[account_id]["actions"] == []
    for account in active:
        assert control.root_user(account["id"])["password"] is True
    entries = control.requests()["entries"]
    calls = calls_by_account(entries)
    # The login profile is read first: only the accounts without one get the write.
    for account_id in without:
        assert calls[account_id] == {"sts:AssumeRoot": 1, "iam:GetLoginProfile": 1, "iam:CreateLoginProfile": 1}
    for account_id in with_password:
        assert calls[account_id] == {"sts:AssumeRoot": 1, "iam:GetLoginProfile": 1}
    for account in active:
        assert root_task_policies(entries, account["id"]) == {RECOVERY_POLICY}
    for account in suspended:
        assert control.root_user(account["id"]) == account["root_user"]

    control.clear_requests()
    again = run_playbook(RECOVERY, {**variables, "result_name": "present_again"})
    assert again.returncode == 0, again.stdout + again.stderr
    assert again.result("present_again")["changed"] is False
    assert {entry["status"] for entry in again.result("present_again")["accounts"]} == {"ok", "skipped"}
    assert control.requests()["writes"] == 0

    control.clear_requests()
    absent = run_playbook(RECOVERY, {**variables, "recovery_state": "absent", "result_name": "absent"})
    assert absent.returncode == 0, absent.stdout + absent.stderr
    output = absent.result("absent")
    assert output["changed"] is True and output["summary"]["changed"] == len(active)
    for account in active:
        assert by_id(output)[account["id"]]["actions"] == [{"action": "delete_login_profile"}]
        after = control.root_user(account["id"])
        assert after["password"] is False
        # Only the password goes.
        assert after["access_keys"] == account["root_user"]["access_keys"]
        assert after["signing_certificates"] == account["root_user"]["signing_certificates"]
    entries = control.requests()["entries"]
    for account in active:
        assert calls_by_account(entries)[account["id"]] == {"sts:AssumeRoot": 1, "iam:GetLoginProfile": 1, "iam:DeleteLoginProfile": 1}
        assert root_task_policies(entries, account["id"]) == {DELETE_POLICY}

    control.clear_requests()
    absent_again = run_playbook(RECOVERY, {**variables, "recovery_state": "absent", "result_name": "absent_again"})
    assert absent_again.returncode == 0, absent_again.stdout + absent_again.stderr
    assert absent_again.result("absent_again")["changed"] is False
    assert absent_again.result("absent_again")["summary"]["ok"] == len(active)


# ---------------------------------------------------------------------------
# Feature not enabled


@pytest.mark.parametrize(("playbook", "variables", "name", "trusted_access", "error_class"), [
    (AUDIT, {}, "audit", True, "feature_not_enabled"),
    (REMOVAL, {}, "removal", True, "feature_not_enabled"),
    (RECOVERY, {"recovery_state": "present"}, "recovery", False, "trusted_access_not_enabled"),
], ids=["root_credentials_info", "root_credentials", "root_password_recovery-no_trusted_access"])
def test_without_root_credentials_management_the_task_fails_before_any_root_session(control, run_playbook, playbook, variables, name,
                                                                                    trusted_access, error_class):
    truth = control.seed(accounts=4, profile="full", trusted_access=trusted_access)
    control.clear_requests()

    run = run_playbook(playbook, {"all_accounts": True, **variables})

    assert run.returncode != 0
    result = run.result(name)
    assert result["failed"] is True
    assert result["error_class"] == error_class, result
    assert RCM in result["msg"], result
    log = control.requests()
    assert log["writes"] == 0
    assert log["by_action"].get("sts:AssumeRoot", 0) == 0
    for account in truth["accounts"]:
        assert control.root_user(account["id"]) == account["root_user"]
