"""Check mode: every module, on an organization where its writes are due, reports what it would
change and makes no write call.  The emulator's request log holds every call the run made (none
may be a write), and its state after the run is its state before: the organization (trusted
access, features, delegated administrators), every account (state, parent, tags), every root
user, every bucket and queue policy; no backup file is written.

Three organizations, one playbook run each: "off" (centralized root access off), "ready"
(trusted access and both features on, root credentials, locked and ordinary policies) and "on"
(ready, with a delegated administrator), for the changes that turn things off.  CASES has an
entry per module of plugins/modules (a module added there without one fails the suite)."""

from __future__ import annotations

import pathlib

import boto3
import pytest

from reliability_support import FEATURES, active_members, run_batch_playbook
from rootguard_emulator.evidence import REGION, read_bucket_policy, read_queue_policy

REPO = pathlib.Path(__file__).resolve().parents[2]
LOCKED_BUCKET, ORDINARY_BUCKET, LOCKED_QUEUE = 4, 6, 8
NEW_POLICY = ('{"Version":"2012-10-17","Statement":[{"Sid":"AllowOwner","Effect":"Allow",'
              '"Principal":{"AWS":"arn:aws:iam::%s:root"},"Action":"%s","Resource":"%s"}]}')
SEEDS = {
    "off": {},
    "ready": {"trusted_access": True, "features": FEATURES},
    "on": {"trusted_access": True, "features": FEATURES, "delegated_administrator": True},
}


def bucket_of(truth, index):
    return truth["accounts"][index]["id"], truth["accounts"][index]["buckets"][0]["name"]


def queue_of(truth, index):
    return truth["accounts"][index]["id"], truth["accounts"][index]["queues"][0]["name"]


def unlock_bucket(truth, backups):
    account_id, bucket = bucket_of(truth, LOCKED_BUCKET)
    return {"account_id": account_id, "bucket": bucket, "backup_dir": backups}


def replace_bucket(truth, backups):
    account_id, bucket = bucket_of(truth, ORDINARY_BUCKET)
    return {"account_id": account_id, "bucket": bucket, "state": "present", "only_if_locked": False, "backup_dir": backups,
            "policy": NEW_POLICY % (account_id, "s3:*", f"arn:aws:s3:::{bucket}")}


def unlock_queue(truth, backups):
    account_id, queue = queue_of(truth, LOCKED_QUEUE)
    return {"account_id": account_id, "queue_name": queue, "backup_dir": backups}


def replace_queue(truth, backups):
    account_id, queue = queue_of(truth, LOCKED_QUEUE)
    return {"account_id": account_id, "queue_name": queue, "state": "present", "only_if_locked": False, "backup_dir": backups,
            "policy": NEW_POLICY % (account_id, "sqs:*", f"arn:aws:sqs:us-east-1:{account_id}:{queue}")}


def ou_id(truth, name):
    return next(ou["id"] for ou in truth["organizational_units"] if ou["name"] == name)


# module -> [(organization, case name, args(truth, backup_dir), due)]: whether a change is due, which the module must
# report as ``changed`` (the bulk modules also count the accounts in ``summary.would_change``); no case may write.
# Read-only modules are here too: check mode must leave them as they are.
CASES = {
    "organizations_service_access": [
        ("off", "enable", lambda truth, backups: {"state": "present"}, True),
        ("on", "disable", lambda truth, backups: {"state": "absent"}, True),
    ],
    "organizations_delegated_administrator": [
        ("ready", "register", lambda truth, backups: {"account_id": truth["accounts"][1]["id"]}, True),
        ("on", "deregister", lambda truth, backups: {"account_id": truth["delegated_administrator"], "state": "absent"}, True),
    ],
    "iam_organizations_features": [
        ("off", "enable both", lambda truth, backups: {"root_credentials_management": True, "root_sessions": True}, True),
        ("on", "disable both", lambda truth, backups: {"root_credentials_management": False, "root_sessions": False}, True),
    ],
    "iam_organizations_features_info": [
        ("off", "read", lambda truth, backups: {}, False),
    ],
    "organizations_account": [
        ("ready", "create", lambda truth, backups: {"name": "vended", "email": "vended@example.com",
                                                    "parent_id": ou_id(truth, "Sandbox"), "tags": {"team": "payments"}}, True),
        ("ready", "move and tag", lambda truth, backups: {"name": truth["accounts"][1]["name"], "email": truth["accounts"][1]["email"],
                                                          "parent_id": ou_id(truth, "Payments"), "tags": {"team": "payments"}}, True),
    ],
    "organizations_account_info": [
        ("off", "read", lambda truth, backups: {"all_accounts": True}, False),
    ],
    "sts_assume_root": [
        ("ready", "assume", lambda truth, backups: {"target_account": truth["accounts"][1]["id"],
                                                    "task_policy": "IAMAuditRootUserCredentials"}, False),
    ],
    "root_credentials_info": [
        ("ready", "audit", lambda truth, backups: {"all_accounts": True}, False),
    ],
    "root_credentials": [
        ("ready", "remove all", lambda truth, backups: {"all_accounts": True}, True),
        ("ready", "remove all, guardrails checked", lambda truth, backups: {"all_accounts": True, "guardrails": "check"}, True),
    ],
    "root_task_guardrails_info": [
        ("ready", "check", lambda truth, backups: {"all_accounts": True}, False),
    ],
    "root_password_recovery": [
        ("ready", "allow", lambda truth, backups: {"all_accounts": True, "state": "present"}, True),
        ("ready", "remove", lambda truth, backups: {"all_accounts": True, "state": "absent"}, True),
    ],
    "root_bucket_policy": [
        ("ready", "unlock", unlock_bucket, True),
        ("ready", "replace", replace_bucket, True),
    ],
    "security_hub_findings": [
        ("ready", "import", lambda truth, backups: {"findings": [{"kind": "root_password_without_mfa", "account_id": truth["accounts"][1]["id"]}],
                                                    "organization_id": truth["organization_id"]}, True),
    ],
    "root_queue_policy": [
        ("ready", "unlock", unlock_queue, True),
        ("ready", "replace", replace_queue, True),
    ],
}


def module_names() -> list:
    return sorted(path.stem for path in (REPO / "plugins" / "modules").glob("*.py") if not path.name.startswith("_"))


def test_every_module_has_a_check_mode_case():
    assert sorted(CASES) == module_names()
    assert any(changed for cases in CASES.values() for _org, _name, _args, changed in cases)


def snapshot(control, emulator, truth) -> dict:
    """Everything check mode must leave as it was."""
    state = {"organization": control.organization(), "accounts": {}, "policies": {}}
    sessions = "RootSessions" in state["organization"]["enabled_features"]
    for account in truth["accounts"]:
        state["accounts"][account["id"]] = (control.account(account["id"]), control.root_user(account["id"]))
        if account["state"] != "ACTIVE" or not sessions:
            continue
        for bucket in account["buckets"]:
            state["policies"][bucket["name"]] = read_bucket_policy(emulator.endpoint, account["id"], bucket["name"])
        for queue in account["queues"]:
            state["policies"][queue["name"]] = read_queue_policy(emulator.endpoint, account["id"], queue["name"])
    return state


@pytest.mark.parametrize("organization", sorted(SEEDS))
def test_check_mode_makes_no_write_call(organization, module_docs, control, emulator, run_playbook, tmp_path, record):
    truth = control.seed(accounts=10, profile="mixed", **SEEDS[organization])
    boto3.client("securityhub", endpoint_url=emulator.endpoint, region_name=REGION, aws_access_key_id="testing",
                 aws_secret_access_key="testing").enable_security_hub()
    backups = tmp_path / "backups"
    backups.mkdir()
    cases = {module: [{"name": name, "args": args(truth, str(backups)), "changed": changed}
                      for org, name, args, changed in entries if org == organization]
             for module, entries in CASES.items()}
    cases = {module: entries for module, entries in cases.items() if entries}
    options = {name: set(doc["options"]) for name, doc in module_docs(sorted(cases)).items()}
    before = snapshot(control, emulator, truth)
    control.clear_requests()

    run = run_batch_playbook(run_playbook, tmp_path, {module: [{"name": case["name"], "args": case["args"]} for case in entries]
                                                      for module, entries in cases.items()}, options, check=True)

    log = control.requests()
    results = run.result("cases")
    for module, entries in cases.items():
        for case in entries:
            result = results[module][case["name"]]
            assert not result.get("failed"), (module, case, result)
            assert result["changed"] is case["changed"], (module, case["name"], result)
            if "would_change" in result.get("summary", {}):
                assert (result["summary"]["would_change"] > 0, result["summary"]["changed"]) == (case["changed"], 0), (module, case["name"], result)
    assert [f"{entry['service']}:{entry['action']}" for entry in log["entries"] if entry["write"]] == []
    assert log["reads"] > 0
    assert list(backups.iterdir()) == []
    assert snapshot(control, emulator, truth) == before
    assert boto3.client("securityhub", endpoint_url=emulator.endpoint, region_name=REGION, aws_access_key_id="testing",
                        aws_secret_access_key="testing").get_findings()["Findings"] == []
    due = sum(case["changed"] for entries in cases.values() for case in entries)
    record(f"check-mode-{organization}", section="check_mode", organization=organization, accounts=len(truth["accounts"]),
           active_accounts=len(active_members(truth)), modules=sorted(cases),
           cases=sum(len(entries) for entries in cases.values()), changes_due=due, calls=log["count"], writes=0)
