"""The collection against the AWS API as it is in December 2026, through real ansible-playbook and
ansible-inventory runs: an IAM organization feature it does not manage (OrganizationIamResources) is
left alone and never counted as a change, nothing depends on the retired Account.Status, and
Account.Paths saves the ListParents calls of a lookup (the emulator's newer_api)."""

from __future__ import annotations

import collections
import json
import pathlib

import pytest

from rootguard_emulator.evidence import action, writes
from test_inventory import config, members
from test_root_credentials import active_members, has_credentials

REPO = pathlib.Path(__file__).resolve().parents[2]
HARDEN = str(REPO / "playbooks" / "harden_organization.yml")
RCM = "RootCredentialsManagement"
RS = "RootSessions"
OIR = "OrganizationIamResources"
MANAGEMENT = "123456789012"


def assert_ok(run) -> None:
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]


def retire_status(control) -> None:
    assert control.configure_api(account_status=False) == {"account_status": False, "account_paths": True}


def test_harden_organization_leaves_organization_iam_resources_alone_without_status(control, run_playbook, tmp_path):
    truth = control.seed(accounts=12, profile="mixed", trusted_access=True, features=[OIR])
    retire_status(control)
    reports = tmp_path / "reports"
    active = {account["id"] for account in active_members(truth)}
    suspended = [account for account in truth["accounts"] if account["state"] != "ACTIVE"]
    assert suspended and active

    control.clear_requests()
    harden = run_playbook(HARDEN, extra_vars={"rootguard_confirm": True, "rootguard_max_changed_accounts": 12,
                                              "rootguard_report_dir": str(reports)})
    assert_ok(harden)
    assert control.organization()["enabled_features"] == sorted([OIR, RCM, RS])
    done = writes(control.requests()["entries"])
    assert {"iam:EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootSessions"} <= set(done)
    assert not [name for name in done if "OrganizationLevelResources" in name or name.startswith("iam:Disable")], done
    # Every ACTIVE member (State, with no Status sent) was audited and cleaned; the SUSPENDED ones were left out.
    rows = {row["id"]: row for row in json.loads((reports / "root-credentials-before.json").read_text())["accounts"]}
    assert {account_id for account_id, row in rows.items() if row["status"] == "ok"} == active
    assert {account_id for account_id, row in rows.items() if row["reason"] == "not_active"} == {account["id"] for account in suspended}
    assert not [account_id for account_id in active if has_credentials(control.root_user(account_id))]
    assert [has_credentials(control.root_user(account["id"])) for account in suspended] == [
        has_credentials(account["root_user"]) for account in suspended]

    control.clear_requests()
    again = run_playbook(HARDEN, extra_vars={"rootguard_confirm": True, "rootguard_report_dir": str(reports)})
    assert_ok(again)
    assert {host: counters["changed"] for host, counters in again.recap().items()} == {host: 0 for host in again.recap()}
    assert writes(control.requests()["entries"]) == []
    assert control.organization()["enabled_features"] == sorted([OIR, RCM, RS])


def test_features_module_counts_only_its_own_features_and_info_reports_every_one(control, run_playbook):
    truth = control.seed(accounts=3, profile="none", trusted_access=True, features=[OIR])
    both = {"root_credentials_management": True, "root_sessions": True}
    neither = {"root_credentials_management": False, "root_sessions": False}
    steps = [{"args": both, "diff": True}, {"args": both}, {"args": neither, "diff": True}, {"args": neither}]

    control.clear_requests()
    run = run_playbook("features.yml", {"steps": steps})
    assert_ok(run)
    results = run.result("features")
    assert [result["changed"] for result in results] == [True, False, True, False]
    assert [result["enabled_features"] for result in results] == [[OIR, RCM, RS], [OIR, RCM, RS], [OIR], [OIR]]
    assert results[0]["actions"] == ["iam:EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootSessions"]
    assert results[2]["actions"] == ["iam:DisableOrganizationsRootCredentialsManagement", "iam:DisableOrganizationsRootSessions"]
    assert results[0]["diff"] == {"before": {"enabled_features": [OIR], "iam_trusted_access": True},
                                  "after": {"enabled_features": [OIR, RCM, RS], "iam_trusted_access": True}}
    assert writes(control.requests()["entries"]) == [
        "iam:EnableOrganizationsRootCredentialsManagement", "iam:EnableOrganizationsRootSessions",
        "iam:DisableOrganizationsRootCredentialsManagement", "iam:DisableOrganizationsRootSessions"]
    assert control.organization()["enabled_features"] == [OIR]

    info = run_playbook("features_info.yml")
    assert_ok(info)
    picture = info.result("info")
    assert picture["organization"]["id"] == truth["organization_id"]
    assert (picture["enabled_features"], picture["root_credentials_management"], picture["root_sessions"]) == ([OIR], False, False)


def test_account_listings_and_the_inventory_need_no_status(control, run_playbook, run_inventory):
    truth = control.seed(accounts=12, profile="mixed")
    retire_status(control)
    active = {account["id"] for account in active_members(truth)}
    states = {account["id"]: account["state"] for account in truth["accounts"]}
    nested = next(account for account in active_members(truth) if account["ou_path"].count("/") >= 3)
    suspended = next(account for account in truth["accounts"] if account["state"] == "SUSPENDED")

    run = run_playbook("organizations_modules.yml", {"account_info_calls": [
        {"all_accounts": True}, {"all_accounts": True, "include_inactive": True},
        {"account_ids": [nested["id"], suspended["id"]], "include_inactive": True}]})
    assert_ok(run)
    listed, with_inactive, looked_up = run.result("account_info")["results"]
    assert {account["id"] for account in listed["accounts"]} == active | {MANAGEMENT}
    assert {account["id"]: account["state"] for account in with_inactive["accounts"] if account["id"] != MANAGEMENT} == states
    assert [(account["id"], account["state"], account["ou_path"]) for account in looked_up["accounts"]] == sorted([
        (nested["id"], "ACTIVE", nested["ou_path"]), (suspended["id"], "SUSPENDED", suspended["ou_path"])])

    code, listing, stderr = run_inventory(config(all_accounts=True, include_inactive=True))
    assert code == 0, stderr
    hostvars = members(listing)
    assert {host: variables["state"] for host, variables in hostvars.items()} == states
    code, listing, stderr = run_inventory(config(all_accounts=True))
    assert code == 0, stderr
    assert set(members(listing)) == active


@pytest.mark.parametrize("paths", [True, False], ids=["with-paths", "without-paths"])
def test_root_credentials_info_looks_up_accounts_by_paths_without_status(paths, control, run_playbook):
    """A few accounts given by id (what a per-host run over the inventory does): with Paths, no ListParents at all;
    without, ListParents per account and per OU on the way up. The same result either way."""
    truth = control.seed(accounts=12, profile="full", features=[RCM])
    retire_status(control)
    control.configure_api(account_paths=paths)
    chosen = sorted(active_members(truth), key=lambda account: -account["ou_path"].count("/"))[:3]
    control.clear_requests()
    run = run_playbook("root_credentials_info.yml", {"account_ids": [account["id"] for account in chosen]})
    assert_ok(run)
    assert [(entry["id"], entry["status"], entry["ou_path"]) for entry in run.result("audit")["accounts"]] == sorted(
        (account["id"], "ok", account["ou_path"]) for account in chosen)
    calls = collections.Counter(action(entry) for entry in control.requests()["entries"] if entry["account"] == MANAGEMENT)
    ous_above = {ou for account in chosen for ou in _ous_above(truth, account["parent_id"])}
    assert calls["organizations:DescribeAccount"] == len(chosen)
    assert calls["organizations:DescribeOrganizationalUnit"] == len(ous_above)
    if paths:
        assert calls["organizations:ListParents"] == 0
    else:
        assert calls["organizations:ListParents"] == len(chosen) + len(ous_above)
    assert not {"organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent", "organizations:ListAccounts"} & set(calls)


def _ous_above(truth: dict, parent_id: str) -> list:
    ous = {ou["id"]: ou["parent_id"] for ou in truth["organizational_units"]}
    found = []
    while parent_id in ous:
        found.append(parent_id)
        parent_id = ous[parent_id]
    return found
