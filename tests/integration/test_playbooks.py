"""The collection's playbooks (playbooks/*.yml, over the roles), through real ansible-playbook
runs against the emulator: check mode (no write call), the real run (the emulator's state
afterwards), and a re-run that changes nothing."""

from __future__ import annotations

import json
import pathlib
import stat
import sys

import pytest

from rootguard_emulator.evidence import action, queue_url, writes
from test_resource_policies import BUCKET, QUEUE, read_policy
from test_root_credentials import active_members, has_credentials

REPO = pathlib.Path(__file__).resolve().parents[2]
PLAYBOOKS = REPO / "playbooks"
HARDEN = str(PLAYBOOKS / "harden_organization.yml")
FEATURES = ["RootCredentialsManagement", "RootSessions"]
IAM_WRITES = {"iam:DeleteAccessKey", "iam:DeleteSigningCertificate", "iam:DeactivateMFADevice",
              "iam:DeleteVirtualMFADevice", "iam:DeleteLoginProfile", "iam:CreateLoginProfile"}


def assert_ok(run) -> None:
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def assert_unchanged(run) -> None:
    assert_ok(run)
    assert {host: counters["changed"] for host, counters in run.recap().items()} == {
        host: 0 for host in run.recap()}, run.stdout[-3000:]


def with_credentials(control, truth) -> set:
    return {account["id"] for account in active_members(truth) if has_credentials(control.root_user(account["id"]))}


def seeded_with_credentials(truth) -> set:
    return {account["id"] for account in active_members(truth) if has_credentials(account["root_user"])}


# ---------------------------------------------------------------------------
# harden_organization.yml


def test_harden_organization_plan_run_and_rerun(control, run_playbook, tmp_path):
    truth = control.seed(accounts=25, profile="mixed")
    reports = tmp_path / "reports"
    to_clean = seeded_with_credentials(truth)
    assert 10 < len(to_clean) <= 25

    # The plan: check mode on an organization without the feature - no write, and what would change.
    control.clear_requests()
    plan = run_playbook(HARDEN, check=True, extra_vars={"rootguard_report_dir": str(reports / "plan")})
    assert_ok(plan)
    assert writes(control.requests()["entries"]) == []
    summary = (reports / "plan" / "harden-summary.txt").read_text()
    assert "iam:EnableOrganizationsRootCredentialsManagement" in summary
    assert f"audit the root user of {len(active_members(truth))} member account(s)" in summary
    assert control.organization()["enabled_features"] == []

    # Confirmed: features on, credentials gone in every active member, reports before and after.
    control.clear_requests()
    harden = run_playbook(HARDEN, extra_vars={"rootguard_confirm": True, "rootguard_max_changed_accounts": 25,
                                              "rootguard_report_dir": str(reports)})
    assert_ok(harden)
    organization = control.organization()
    assert sorted(organization["enabled_features"]) == FEATURES
    assert organization["trusted_access"] == ["iam.amazonaws.com"]
    assert with_credentials(control, truth) == set()
    assert set(writes(control.requests()["entries"])) >= {"iam:DeleteLoginProfile", "iam:EnableOrganizationsRootSessions"}
    before = json.loads((reports / "root-credentials-before.json").read_text())
    after = json.loads((reports / "root-credentials-after.json").read_text())
    audited = {account["id"]: account for account in before["accounts"] if account["status"] == "ok"}
    assert {account_id for account_id, account in audited.items() if not account["found"]["compliant"]} == to_clean
    assert {account["id"] for account in after["accounts"] if account["status"] == "ok" and account["found"]["compliant"]} == set(audited)
    summary = (reports / "harden-summary.txt").read_text()
    assert f"Removal: credentials removed in {len(to_clean)} account(s)" in summary
    assert f"After: {len(audited)} account(s) audited, {len(audited)} without any root credential, 0 with one" in summary
    for path in reports.glob("root-credentials-*"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path

    # Again: nothing changes, no write call.
    control.clear_requests()
    again = run_playbook(HARDEN, extra_vars={"rootguard_confirm": True, "rootguard_report_dir": str(reports)})
    assert_unchanged(again)
    assert writes(control.requests()["entries"]) == []


def test_harden_organization_without_confirmation_only_plans_the_removal(control, run_playbook, tmp_path):
    truth = control.seed(accounts=12, profile="mixed")
    control.clear_requests()

    run = run_playbook(HARDEN, extra_vars={"rootguard_report_dir": str(tmp_path)})

    assert_ok(run)
    assert sorted(control.organization()["enabled_features"]) == FEATURES  # root_access is not gated
    assert not IAM_WRITES & set(writes(control.requests()["entries"]))
    assert with_credentials(control, truth) == seeded_with_credentials(truth)
    summary = (tmp_path / "harden-summary.txt").read_text()
    assert f"would remove credentials in {len(seeded_with_credentials(truth))} account(s)" in summary
    assert "rerun with rootguard_confirm=true" in summary
    assert not (tmp_path / "root-credentials-after.json").exists()


def test_harden_organization_stops_at_the_blast_radius_before_any_removal(control, run_playbook, tmp_path):
    truth = control.seed(accounts=12, profile="mixed", features=FEATURES, trusted_access=True)
    control.clear_requests()

    run = run_playbook(HARDEN, extra_vars={"rootguard_confirm": True, "rootguard_max_changed_accounts": 2,
                                           "rootguard_report_dir": str(tmp_path)})

    assert run.returncode != 0
    assert "blast_radius_exceeded" in run.stdout
    assert writes(control.requests()["entries"]) == []
    assert with_credentials(control, truth) == seeded_with_credentials(truth)
    assert (tmp_path / "root-credentials-before.json").exists()  # the audit before still reports


def test_a_harden_plan_over_the_blast_radius_says_so_and_stays_green(control, run_playbook, tmp_path):
    truth = control.seed(accounts=12, profile="mixed", features=FEATURES, trusted_access=True)
    due = sorted(seeded_with_credentials(truth))
    control.clear_requests()

    run = run_playbook(HARDEN, extra_vars={"rootguard_max_changed_accounts": 2, "rootguard_report_dir": str(tmp_path)})

    assert_ok(run)
    assert (f"The plan is over the blast-radius limit: {len(due)} accounts would change, more than "
            "root_credentials_removal_max_changed_accounts (2)") in run.stdout
    assert ", ".join(due[:20]) in run.stdout
    assert writes(control.requests()["entries"]) == []
    assert with_credentials(control, truth) == seeded_with_credentials(truth)


def test_harden_organization_in_one_ou_with_an_exclusion(control, run_playbook, tmp_path):
    truth = control.seed(accounts=30, profile="full", features=FEATURES, trusted_access=True)
    workloads = next(ou for ou in truth["organizational_units"] if ou["path"] == "/Workloads/")
    in_workloads = {account["id"] for account in active_members(truth) if account["ou_path"].startswith("/Workloads/")}
    excluded = sorted(in_workloads)[0]

    run = run_playbook(HARDEN, extra_vars={"rootguard_confirm": True, "rootguard_max_changed_accounts": 30,
                                           "rootguard_organizational_unit_ids": [workloads["id"]],
                                           "rootguard_exclude_account_ids": [excluded],
                                           "rootguard_report_dir": str(tmp_path)})

    assert_ok(run)
    assert with_credentials(control, truth) == seeded_with_credentials(truth) - in_workloads | {excluded}


# ---------------------------------------------------------------------------
# unlock_bucket_policy.yml and unlock_queue_policy.yml


def test_unlock_bucket_policy_playbook_check_unlock_rerun_restore(control, emulator, run_playbook, tmp_path):
    truth = control.seed(accounts=10, profile="mixed", features=FEATURES, trusted_access=True)
    account = truth["accounts"][BUCKET.locked[0]]
    bucket = BUCKET.resource(account)
    backups = tmp_path / "backups"
    variables = {"rootguard_account_id": account["id"], "rootguard_bucket": bucket["name"], "rootguard_backup_dir": str(backups)}
    playbook = str(PLAYBOOKS / "unlock_bucket_policy.yml")

    control.clear_requests()
    check = run_playbook(playbook, check=True, extra_vars=variables)
    assert_ok(check)
    assert writes(control.requests()["entries"]) == []
    assert read_policy(emulator.endpoint, BUCKET, account["id"], bucket["name"]) == bucket["policy"]
    assert list(backups.iterdir()) == []

    unlock = run_playbook(playbook, extra_vars=variables)
    assert_ok(unlock)
    assert read_policy(emulator.endpoint, BUCKET, account["id"], bucket["name"]) is None
    [backup] = [path for path in backups.iterdir() if path.name != "MANIFEST.sha256"]
    assert backup.read_bytes() == bucket["policy"].encode()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600
    assert stat.S_IMODE(backups.stat().st_mode) == 0o700
    assert str(backup) in unlock.stdout

    control.clear_requests()
    assert_unchanged(run_playbook(playbook, extra_vars=variables))
    assert writes(control.requests()["entries"]) == []

    restore = run_playbook(playbook, extra_vars={**variables, "rootguard_restore_from": str(backup)})
    assert_ok(restore)
    assert read_policy(emulator.endpoint, BUCKET, account["id"], bucket["name"]) == bucket["policy"]


def test_unlock_queue_policy_playbook_by_url(control, emulator, run_playbook, tmp_path):
    truth = control.seed(accounts=10, profile="mixed", features=FEATURES, trusted_access=True)
    account = truth["accounts"][QUEUE.locked[0]]
    queue = QUEUE.resource(account)
    url = queue_url(emulator.endpoint, account["id"], queue["name"])
    variables = {"rootguard_queue_url": url, "rootguard_backup_dir": str(tmp_path / "backups")}
    playbook = str(PLAYBOOKS / "unlock_queue_policy.yml")

    control.clear_requests()
    assert_ok(run_playbook(playbook, check=True, extra_vars=variables))
    assert writes(control.requests()["entries"]) == []
    assert read_policy(emulator.endpoint, QUEUE, account["id"], queue["name"]) == queue["policy"]

    assert_ok(run_playbook(playbook, extra_vars=variables))
    assert read_policy(emulator.endpoint, QUEUE, account["id"], queue["name"]) is None
    [backup] = [path for path in (tmp_path / "backups").iterdir() if path.name != "MANIFEST.sha256"]
    assert backup.read_bytes() == queue["policy"].encode()

    control.clear_requests()
    assert_unchanged(run_playbook(playbook, extra_vars=variables))
    assert writes(control.requests()["entries"]) == []


def test_unlock_playbooks_refuse_a_missing_target_before_any_call(control, run_playbook, tmp_path):
    control.seed(accounts=3, profile="none", features=FEATURES, trusted_access=True)
    control.clear_requests()

    run = run_playbook(str(PLAYBOOKS / "unlock_bucket_policy.yml"), extra_vars={"rootguard_backup_dir": str(tmp_path)})

    assert run.returncode != 0
    assert "resource_policy_unlock_account_id and exactly one of resource_policy_unlock_bucket" in run.stdout
    assert control.requests()["entries"] == []


# ---------------------------------------------------------------------------
# allow_password_recovery.yml


def test_allow_password_recovery_check_run_rerun(control, run_playbook):
    truth = control.seed(accounts=10, profile="mixed", features=["RootCredentialsManagement"], trusted_access=True)
    without = [account["id"] for account in active_members(truth) if not account["root_user"]["password"]][:2]
    with_password = next(account["id"] for account in active_members(truth) if account["root_user"]["password"])
    chosen = {"rootguard_account_ids": without + [with_password]}
    playbook = str(PLAYBOOKS / "allow_password_recovery.yml")

    control.clear_requests()
    check = run_playbook(playbook, check=True, extra_vars=chosen)
    assert_ok(check)
    assert writes(control.requests()["entries"]) == []
    assert f"Would change {', '.join(without)}; unchanged: {with_password}." in check.stdout

    run = run_playbook(playbook, extra_vars=chosen)
    assert_ok(run)
    assert all(control.root_user(account_id)["password"] for account_id in without)
    untouched = [account["id"] for account in active_members(truth) if account["id"] not in chosen["rootguard_account_ids"]]
    assert [bool(control.root_user(account_id)["password"]) for account_id in untouched] == [
        bool(account["root_user"]["password"]) for account in active_members(truth) if account["id"] in untouched]

    # Again: unchanged, and no write (each account's login profile is read first).
    passwords = [control.root_user(account_id)["password"] for account_id in chosen["rootguard_account_ids"]]
    control.clear_requests()
    assert_unchanged(run_playbook(playbook, extra_vars=chosen))
    assert writes(control.requests()["entries"]) == []
    assert [control.root_user(account_id)["password"] for account_id in chosen["rootguard_account_ids"]] == passwords


def test_allow_password_recovery_needs_named_accounts(control, run_playbook):
    control.seed(accounts=3, profile="none", features=["RootCredentialsManagement"], trusted_access=True)
    control.clear_requests()

    run = run_playbook(str(PLAYBOOKS / "allow_password_recovery.yml"))

    assert run.returncode != 0
    assert "the role does not allow password recovery across the whole organization" in run.stdout
    assert control.requests()["entries"] == []


# ---------------------------------------------------------------------------
# harden_accounts_per_host.yml over the organization_accounts inventory


def test_harden_accounts_per_host_over_the_inventory(control, run_playbook, tmp_path):
    truth = control.seed(accounts=12, profile="mixed", features=FEATURES, trusted_access=True)
    inventory = tmp_path / "org.organization_accounts.yml"
    inventory.write_text(json.dumps({"plugin": "rootguard.aws.organization_accounts", "all_accounts": True}))
    playbook = str(PLAYBOOKS / "harden_accounts_per_host.yml")
    reports = tmp_path / "reports"
    active = {account["id"] for account in active_members(truth)}

    control.clear_requests()
    plan = run_playbook(playbook, check=True, inventory=str(inventory), extra_vars={"rootguard_report_dir": str(reports)})
    assert_ok(plan)
    assert writes(control.requests()["entries"]) == []
    assert set(plan.recap()) == active
    assert f"{len(seeded_with_credentials(truth))} would change" in plan.stdout

    run = run_playbook(playbook, inventory=str(inventory), extra_vars={"rootguard_confirm": True, "rootguard_report_dir": str(reports)})
    assert_ok(run)
    assert with_credentials(control, truth) == set()
    assert f"{len(seeded_with_credentials(truth))} changed" in run.stdout
    assert {host for host, counters in run.recap().items() if counters["changed"]} == seeded_with_credentials(truth)
    assert not any(counters["failed"] for counters in run.recap().values())
    [after] = (reports / "runs").glob("*/root-credentials-after-removal.json")
    report = json.loads(after.read_text())
    assert {row["id"] for row in report["accounts"]} == active
    assert all(row["compliant"] for row in report["accounts"])

    control.clear_requests()
    again = run_playbook(playbook, inventory=str(inventory), extra_vars={"rootguard_confirm": True, "rootguard_report_dir": str(reports)})
    assert_unchanged(again)
    assert writes(control.requests()["entries"]) == []


# ---------------------------------------------------------------------------
# The organization-wide playbooks and job slicing


def sliced_inventory(tmp_path, truth: dict, slice_number: int, slice_count: int) -> str:
    """The inventory an automation controller gives slice ``slice_number`` of ``slice_count``: the enabled hosts of the
    organization_accounts inventory sorted by name, every ``slice_count``-th from ``slice_number - 1``, with the
    variables of the group all (rootguard_inventory_accounts among them)."""
    hosts = sorted(account["id"] for account in active_members(truth))
    chosen = hosts[slice_number - 1::slice_count]
    path = tmp_path / f"slice{slice_number}.yml"
    members = {account["id"]: account for account in active_members(truth)}
    path.write_text(json.dumps({"all": {"vars": {"rootguard_inventory_accounts": len(hosts)}, "hosts": {
        host: {"account_id": host, "account_name": members[host]["name"], "parent_id": members[host]["parent_id"],
               "ou_path": members[host]["ou_path"], "ansible_connection": "local", "ansible_python_interpreter": sys.executable}
        for host in chosen}}}))
    return str(path)


@pytest.mark.parametrize("playbook, extra_vars", [
    ("harden_organization.yml", {"rootguard_confirm": True}),
    ("audit_organization.yml", {}),
    ("unlock_bucket_policy.yml", {"rootguard_account_id": "210000000000", "rootguard_bucket": "locked"}),
])
def test_an_organization_wide_playbook_refuses_to_run_as_one_slice(control, run_playbook, tmp_path, playbook, extra_vars):
    truth = control.seed(accounts=6, profile="mixed", features=FEATURES, trusted_access=True)
    control.clear_requests()

    run = run_playbook(str(PLAYBOOKS / playbook), inventory=sliced_inventory(tmp_path, truth, 2, 3),
                       extra_vars={"rootguard_report_dir": str(tmp_path / "reports"), **extra_vars})

    assert run.returncode != 0
    members = len(active_members(truth))
    assert f"This job sees {len(range(1, members, 3))} of the {members} accounts of its rootguard.aws.organization_accounts inventory: it is one slice" \
        in run.stdout
    assert control.requests()["count"] == 0
    assert with_credentials(control, truth) == seeded_with_credentials(truth)


def test_the_whole_organization_accounts_inventory_is_not_taken_for_a_slice(control, run_playbook, tmp_path):
    truth = control.seed(accounts=6, profile="mixed", features=FEATURES, trusted_access=True)
    inventory = tmp_path / "org.organization_accounts.yml"
    inventory.write_text(json.dumps({"plugin": "rootguard.aws.organization_accounts", "all_accounts": True}))

    run = run_playbook(str(PLAYBOOKS / "audit_organization.yml"), inventory=str(inventory),
                       extra_vars={"rootguard_report_dir": str(tmp_path / "reports")})

    assert_ok(run)
    report = json.loads((tmp_path / "reports" / "root-credentials-audit.json").read_text())
    assert {row["id"] for row in report["accounts"] if row["outcome"] != "skipped"} == {account["id"] for account in active_members(truth)}


def test_sliced_per_account_runs_handle_every_account_once_at_the_bulk_minimum(control, run_playbook, tmp_path):
    truth = control.seed(accounts=7, profile="full", features=FEATURES, trusted_access=True)
    members = sorted(account["id"] for account in active_members(truth))
    reports = tmp_path / "reports"
    control.clear_requests()

    audits = [run_playbook(str(PLAYBOOKS / "audit_accounts_per_host.yml"), inventory=sliced_inventory(tmp_path, truth, number, 2),
                           extra_vars={"rootguard_report_dir": str(reports)}, verbosity=1) for number in (1, 2)]

    for number, run in enumerate(audits, start=1):
        assert_ok(run)
        # The table of every account's outcome is not a task result: it would grow past a controller's event limit.
        assert "rootguard_outcomes" not in run.stdout
        assert set(run.recap()) == set(members[number - 1::2])
        for account_id in members[number - 1::2]:
            assert f"{account_id} (" in run.stdout and "): noncompliant - root credentials left: password, 2 access keys" in run.stdout
    reported = [row["id"] for path in (reports / "runs").glob("*/root-credentials-audit.json")
                for row in json.loads(path.read_text())["accounts"]]
    assert sorted(reported) == members  # every account exactly once
    entries = control.requests()["entries"]
    assume_root = [entry["account"] for entry in entries if action(entry) == "sts:AssumeRoot"]
    assert sorted(assume_root) == members  # one root session per account, as the bulk audit

    harden = [run_playbook(str(PLAYBOOKS / "harden_accounts_per_host.yml"), inventory=sliced_inventory(tmp_path, truth, number, 2),
                           extra_vars={"rootguard_report_dir": str(reports), "rootguard_confirm": True}) for number in (1, 2)]

    for number, run in enumerate(harden, start=1):
        assert_ok(run)
        assert {host for host, counters in run.recap().items() if counters["changed"]} == set(members[number - 1::2])
        assert "): changed - delete_access_key " in run.stdout
    assert with_credentials(control, truth) == set()


def test_a_per_account_run_fails_the_hosts_whose_account_failed_only(control, run_playbook, tmp_path):
    truth = control.seed(accounts=5, profile="full", features=FEATURES, trusted_access=True)
    members = sorted(account["id"] for account in active_members(truth))
    denied = members[1]
    control.add_fault(kind="scp_deny", service="iam", account=denied)

    run = run_playbook(str(PLAYBOOKS / "harden_accounts_per_host.yml"), inventory=sliced_inventory(tmp_path, truth, 1, 1),
                       extra_vars={"rootguard_report_dir": str(tmp_path / "reports"), "rootguard_confirm": True})

    assert run.returncode != 0
    recap = run.recap()
    assert {host for host, counters in recap.items() if counters["failed"]} == {denied}
    assert {host for host, counters in recap.items() if counters["changed"]} == set(members) - {denied}
    assert f"{denied} (" in run.stdout and "): failed - denied_by_scp: " in run.stdout
    assert with_credentials(control, truth) == {denied}
