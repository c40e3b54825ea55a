"""The least-privilege IAM policies, derived from real runs: the controller's
(docs/controller-policy.json) and, at the end, account vending's (docs/vending-policy.json, from a
real run of vend_accounts.yml that creates, moves and retags accounts, judged the same way).

One ansible-playbook run calls every module of the collection once, for real, on a freshly seeded
organization whose centralized root access is off and whose SCPs are enabled (FullAWSAccess only, so
root_task_guardrails_info reads the policies), with the inventory plugin listing the accounts
first.  The emulator's request log records every call with its service, action and principal: the
calls made with the caller's own credentials (principal ``iam``) are what the identity running the
playbooks must be allowed; the calls made in root sessions (principal ``root``) are scoped by AWS's
task policies instead.  So:

- the policy's actions are exactly the caller's calls (nothing missing, nothing extra), and its
  ``sts:TaskPolicyArn`` condition lists exactly the task policies the root sessions were opened with;
- every root-session call is one its task policy allows, and no call of the run was refused;
- the policy grants no call that turns centralized root access off;
- with ``debug_botocore_endpoint_logs`` on, every module returns ``resource_actions`` (empty against
  the emulator's http endpoint: amazon.aws only parses https endpoints, see README.md)."""

from __future__ import annotations

import fnmatch
import json
import pathlib
import subprocess

import boto3
import pytest

from conftest import PLAYBOOKS, REGION, ansible_command, ansible_environment
from rootguard_emulator.client import EmulatorClient
from rootguard_emulator.evidence import action
from rootguard_emulator.policies import TASK_POLICY_PREFIX, allowed_actions

COLLECTION_ROOT = pathlib.Path(__file__).resolve().parents[2]
POLICY = COLLECTION_ROOT / "docs" / "controller-policy.json"
PLAYBOOK = "least_privilege_every_module.yml"
VENDING_POLICY = COLLECTION_ROOT / "docs" / "vending-policy.json"
VENDING_PLAYBOOK = COLLECTION_ROOT / "playbooks" / "vend_accounts.yml"
MANAGEMENT = "123456789012"

# Calls that IAM never authorizes, so a policy need not (and cannot usefully) grant them.
NO_PERMISSION_NEEDED = frozenset({"sts:GetCallerIdentity"})
# The calls of a first hardening: the only writes the policy may grant.
HARDENING_WRITES = frozenset({
    "organizations:EnableAWSServiceAccess",
    "organizations:RegisterDelegatedAdministrator",
    "iam:EnableOrganizationsRootCredentialsManagement",
    "iam:EnableOrganizationsRootSessions",
})
# The writes of vending: create, place and tag accounts (CreateAccount with Tags also needs TagResource).
VENDING_WRITES = frozenset({
    "organizations:CreateAccount",
    "organizations:MoveAccount",
    "organizations:TagResource",
    "organizations:UntagResource",
})
RESULTS = ("features_info_before", "account_info", "service_access", "delegated_administrator", "features", "guardrails",
           "root_session", "audit", "removal", "recovery", "bucket_policy", "queue_policy", "features_info_after")


def statements(policy: dict) -> list:
    return policy["Statement"] if isinstance(policy["Statement"], list) else [policy["Statement"]]


def as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def granted_actions(policy: dict) -> set:
    return {name for statement in statements(policy) if statement["Effect"] == "Allow" for name in as_list(statement["Action"])}


def statement_for(policy: dict, name: str) -> dict:
    (statement,) = [statement for statement in statements(policy) if name in as_list(statement["Action"])]
    return statement


@pytest.fixture(scope="module")
def run(emulator, tmp_path_factory):
    """The run: (returncode, output, saved results, request log entries, seeded truth)."""
    tmp_path = tmp_path_factory.mktemp("least-privilege")
    control = EmulatorClient(emulator.endpoint)
    control.reset()
    try:
        truth = control.seed(accounts=10, profile="mixed")
        # Without Account.Paths (AWS before 2026, or an older botocore) the lookup of accounts given by id climbs
        # the OUs with ListParents: the policy grants that fallback, and the calls with Paths are a subset of it.
        control.configure_api(account_paths=False)
        # SCPs enabled (every level keeps FullAWSAccess): the guardrails check reads the policies, as it would in most
        # organizations; with no policy type enabled it reads none.
        organizations = boto3.client("organizations", endpoint_url=emulator.endpoint, region_name=REGION,
                                     aws_access_key_id="testing", aws_secret_access_key="testing")
        organizations.enable_policy_type(RootId=truth["root_id"], PolicyType="SERVICE_CONTROL_POLICY")
        active = [account for account in truth["accounts"] if account["state"] == "ACTIVE"]
        bucket_account = next(account for account in active if any(bucket["locked"] for bucket in account["buckets"]))
        queue_account = next(account for account in active if account["queues"])
        inventory = tmp_path / "least_privilege.organization_accounts.yml"
        inventory.write_text(json.dumps({"plugin": "rootguard.aws.organization_accounts", "all_accounts": True}))
        results_dir = tmp_path / "results"
        backups = tmp_path / "backups"
        results_dir.mkdir()
        backups.mkdir()
        variables = {
            "results_dir": str(results_dir),
            "delegated_administrator": active[0]["id"],
            "root_session_account": active[1]["id"],
            # Accounts given by id are looked up rather than listed; one in a nested OU, so the lookup climbs OUs.
            "recovery_account_ids": [next(account["id"] for account in active if account["ou_path"].count("/") > 2)],
            "bucket_account_id": bucket_account["id"],
            "bucket": next(bucket["name"] for bucket in bucket_account["buckets"] if bucket["locked"]),
            "queue_account_id": queue_account["id"],
            "queue_name": queue_account["queues"][0]["name"],
            "backup_dir": str(backups),
        }
        control.clear_requests()
        completed = subprocess.run(
            [ansible_command("ansible-playbook"), str(PLAYBOOKS / PLAYBOOK), "-i", str(inventory), "-e", json.dumps(variables)],
            env=ansible_environment(emulator, tmp_path), capture_output=True, text=True, timeout=600, check=False,
        )
        entries = control.requests()["entries"]
        results = {path.stem: json.loads(path.read_text()) for path in results_dir.glob("*.json")}
        return completed.returncode, completed.stdout + completed.stderr, results, entries, truth
    finally:
        control.reset()


@pytest.fixture(scope="module")
def policy() -> dict:
    return json.loads(POLICY.read_text())


def caller_calls(entries: list) -> set:
    return {action(entry) for entry in entries if entry["principal"] == "iam"} - NO_PERMISSION_NEEDED


def test_every_module_ran_and_changed_what_a_first_hardening_changes(run):
    returncode, output, results, _entries, _truth = run
    assert returncode == 0, output
    assert set(results) == set(RESULTS), output
    for name in ("service_access", "delegated_administrator", "features", "removal", "recovery", "bucket_policy", "queue_policy"):
        assert results[name]["changed"] is True, (name, results[name])
    assert results["features_info_before"]["enabled_features"] == []
    assert results["features_info_after"]["enabled_features"] == ["RootCredentialsManagement", "RootSessions"]
    assert results["guardrails"]["changed"] is False
    assert results["guardrails"]["policy_types_enabled"] == ["SERVICE_CONTROL_POLICY"]
    assert {verdict for allowed in results["guardrails"]["summary"].values() for verdict, count in allowed.items() if count} == {"allowed"}


def test_the_policy_grants_exactly_the_calls_the_caller_made(run, policy):
    _returncode, output, _results, entries, _truth = run
    derived = caller_calls(entries)
    granted = granted_actions(policy)
    assert derived, output
    assert derived == granted, (
        f"missing from {POLICY.name}: {sorted(derived - granted)}; granted but never called: {sorted(granted - derived)}"
    )


def test_assume_root_is_limited_to_member_roots_and_the_task_policies_used(run, policy):
    _returncode, _output, _results, entries, truth = run
    statement = statement_for(policy, "sts:AssumeRoot")
    assert as_list(statement["Action"]) == ["sts:AssumeRoot"]
    (resource,) = as_list(statement["Resource"])
    assert resource == "arn:aws:iam::*:root"
    assert set(statement["Condition"]) == {"ArnEquals"}
    allowed_task_policies = set(as_list(statement["Condition"]["ArnEquals"]["sts:TaskPolicyArn"]))

    targets = {entry["account"] for entry in entries if action(entry) == "sts:AssumeRoot"}
    assert targets and MANAGEMENT not in targets
    assert all(fnmatch.fnmatchcase(f"arn:aws:iam::{target}:root", resource) for target in targets)
    used = {TASK_POLICY_PREFIX + entry["task_policy"] for entry in entries if entry["principal"] == "root"}
    assert used == allowed_task_policies
    assert len(used) == 5
    assert {account["id"] for account in truth["accounts"] if account["state"] == "ACTIVE"} >= targets


def test_trusted_access_and_delegated_administration_only_for_iam(run, policy):
    _returncode, _output, results, _entries, _truth = run
    for name in ("organizations:EnableAWSServiceAccess", "organizations:RegisterDelegatedAdministrator"):
        statement = statement_for(policy, name)
        assert statement["Condition"] == {"StringEquals": {"organizations:ServicePrincipal": "iam.amazonaws.com"}}
    assert results["service_access"]["service_principal"] == "iam.amazonaws.com"
    assert results["delegated_administrator"]["service_principal"] == "iam.amazonaws.com"


def test_the_only_writes_granted_are_those_of_a_first_hardening(run, policy):
    _returncode, _output, _results, entries, _truth = run
    writes = {action(entry) for entry in entries if entry["principal"] == "iam" and entry["write"]}
    assert writes == HARDENING_WRITES
    granted = granted_actions(policy)
    assert not [name for name in granted if name.split(":")[1].startswith(("Disable", "Deregister", "Delete", "Leave", "Remove"))]


def test_root_session_calls_are_all_within_their_task_policy(run):
    _returncode, _output, _results, entries, _truth = run
    assert not [entry for entry in entries if entry["rejected"]]
    root_calls = [entry for entry in entries if entry["principal"] == "root"]
    assert root_calls
    outside = [(entry["task_policy"], action(entry)) for entry in root_calls
               if action(entry) not in allowed_actions(entry["task_policy"]) and action(entry) not in NO_PERMISSION_NEEDED]
    assert not outside


def test_debug_botocore_endpoint_logs_reached_every_module(run):
    _returncode, _output, results, _entries, _truth = run
    for name in RESULTS:
        # amazon.aws builds resource_actions from https:// endpoints only: none against the emulator's http one.
        assert results[name]["resource_actions"] == [], (name, results[name].get("resource_actions"))


# ---------------------------------------------------------------------------
# Vending (docs/vending-policy.json)


@pytest.fixture(scope="module")
def vending_run(emulator, tmp_path_factory):
    """vend_accounts.yml for real: a new account into a nested OU, tagged; a new account left at the
    root; an existing member moved to another OU and retagged; then the audit of all three.
    (returncode, output, request log entries)."""
    tmp_path = tmp_path_factory.mktemp("vending-policy")
    control = EmulatorClient(emulator.endpoint)
    control.reset()
    try:
        truth = control.seed(accounts=3, profile="none", trusted_access=True, features=["RootCredentialsManagement", "RootSessions"])
        control.configure_api(account_paths=False)  # the fallback without Account.Paths: ListParents (as in `run` above)
        control.set_account_creation_polls(1)
        ous = {ou["name"]: ou["id"] for ou in truth["organizational_units"]}
        existing = truth["accounts"][0]
        elsewhere = next(ou_id for ou_id in ous.values() if ou_id != existing["parent_id"])
        accounts = [
            {"name": "payments-prod", "email": "aws-payments-prod@example.com", "parent_id": ous["Payments"], "tags": {"team": "payments"}},
            {"name": "ledger-dev", "email": "aws-ledger-dev@example.com"},
            {"name": existing["name"], "email": existing["email"], "parent_id": elsewhere, "tags": {"team": "platform"}, "purge_tags": True},
        ]
        control.clear_requests()
        completed = subprocess.run(
            [ansible_command("ansible-playbook"), str(VENDING_PLAYBOOK),
             "-e", json.dumps({"rootguard_accounts": accounts, "rootguard_report_dir": str(tmp_path / "reports")})],
            env=ansible_environment(emulator, tmp_path), capture_output=True, text=True, timeout=600, check=False,
        )
        return completed.returncode, completed.stdout + completed.stderr, control.requests()["entries"]
    finally:
        control.reset()


@pytest.fixture(scope="module")
def vending_policy() -> dict:
    return json.loads(VENDING_POLICY.read_text())


def test_the_vending_policy_grants_exactly_the_calls_vending_made(vending_run, vending_policy):
    returncode, output, entries = vending_run
    assert returncode == 0, output
    derived = caller_calls(entries)
    granted = granted_actions(vending_policy)
    assert derived == granted, (
        f"missing from {VENDING_POLICY.name}: {sorted(derived - granted)}; granted but never called: {sorted(granted - derived)}"
    )
    assert not [entry for entry in entries if entry["rejected"]]


def test_the_vending_policy_grants_only_the_writes_of_vending(vending_run, vending_policy):
    _returncode, _output, entries = vending_run
    assert {action(entry) for entry in entries if entry["principal"] == "iam" and entry["write"]} == VENDING_WRITES
    (statement,) = [statement for statement in statements(vending_policy) if VENDING_WRITES & set(as_list(statement["Action"]))]
    assert set(as_list(statement["Action"])) == VENDING_WRITES


def test_the_vending_policy_opens_root_sessions_only_to_audit(vending_run, vending_policy):
    _returncode, _output, entries = vending_run
    statement = statement_for(vending_policy, "sts:AssumeRoot")
    assert (as_list(statement["Action"]), statement["Resource"]) == (["sts:AssumeRoot"], "arn:aws:iam::*:root")
    assert statement["Condition"] == {"ArnEquals": {"sts:TaskPolicyArn": TASK_POLICY_PREFIX + "IAMAuditRootUserCredentials"}}
    assert {entry["task_policy"] for entry in entries if entry["principal"] == "root"} == {"IAMAuditRootUserCredentials"}
