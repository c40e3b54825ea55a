"""root_bucket_policy and root_queue_policy, through real ansible-playbook runs against the emulator.

Each playbook run is a list of steps (tests/integration/playbooks/resource_policy_*.yml);
the request log is cut into one piece per module run (every run starts with
sts:GetCallerIdentity).  What a module says it did is checked against the emulator:
the log (writes, the root session's task policy) and the policy itself, read back from
a fresh root session of the owning account with boto3, which is the only principal a
policy that denies everyone still lets in."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pathlib
import stat
import threading
import time

import boto3
import pytest
from botocore.exceptions import ClientError

from conftest import OLDER_CORES
from rootguard_emulator.evidence import REGION, action, count, module_runs, queue_url, read_bucket_policy, read_queue_policy, root_client, writes

MANIFEST = "MANIFEST.sha256"
MANAGEMENT = "123456789012"
OUTSIDER = "999999999999"
FEATURES = ["RootCredentialsManagement", "RootSessions"]
# Indexes in the mixed cycle (seed.MIXED_CYCLE) of 10 accounts.
SUSPENDED = 5
ORDINARY_BUCKET = 6


# ---------------------------------------------------------------------------
# The two modules


@dataclasses.dataclass(frozen=True)
class Kind:
    """What differs between the two modules, for the tests that run both."""

    name: str
    playbook: str
    service: str
    task_policy: str
    delete_action: str
    put_action: str
    locked: tuple  # two member indexes (mixed cycle) whose resource is locked

    def resource(self, account: dict) -> dict:
        return (account["buckets"] if self.name == "bucket" else account["queues"])[0]

    def target(self, endpoint: str, account_id: str, name: str, by_url: bool = False) -> dict:
        if self.name == "bucket":
            return {"bucket": name}
        return {"queue_url": queue_url(endpoint, account_id, name)} if by_url else {"queue_name": name}


BUCKET = Kind("bucket", "resource_policy_bucket.yml", "s3", "S3UnlockBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketPolicy", (4, 9))
QUEUE = Kind("queue", "resource_policy_queue.yml", "sqs", "SQSUnlockQueuePolicy", "sqs:SetQueueAttributes", "sqs:SetQueueAttributes", (8, 7))
KINDS = pytest.mark.parametrize("kind", [BUCKET, QUEUE], ids=["bucket", "queue"])


# ---------------------------------------------------------------------------
# The emulator's state, as the owning account's root user sees it


def read_policy(endpoint: str, kind: Kind, account_id: str, name: str) -> str | None:
    """The policy as AWS returns it; None only for NoSuchBucketPolicy, or a queue without a Policy attribute."""
    read = read_bucket_policy if kind.name == "bucket" else read_queue_policy
    return read(endpoint, account_id, name)


def write_policy(endpoint: str, kind: Kind, account_id: str, name: str, policy: str) -> None:
    client = root_client(endpoint, kind.service, account_id, kind.task_policy)
    if kind.name == "bucket":
        client.put_bucket_policy(Bucket=name, Policy=policy)
    else:
        client.set_queue_attributes(QueueUrl=queue_url(endpoint, account_id, name), Attributes={"Policy": policy})


def replacement_policy(kind: Kind, account_id: str, name: str) -> dict:
    """A working policy to put in place of a locked one."""
    if kind.name == "bucket":
        return {
            "Version": "2012-10-17",
            "Statement": [{
                "Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }],
        }
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "AllowOwnAccount", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{account_id}:root"},
            "Action": ["sqs:SendMessage", "sqs:ReceiveMessage"], "Resource": f"arn:aws:sqs:{REGION}:{account_id}:{name}",
        }],
    }


# ---------------------------------------------------------------------------
# The request log


def assert_root_session_run(kind: Kind, entries: list, account_id: str) -> None:
    """One AssumeRoot into ``account_id`` by the caller, and every call on the resource from that
    root session, under the module's task policy."""
    assume = [entry for entry in entries if action(entry) == "sts:AssumeRoot"]
    assert [(entry["account"], entry["principal"], entry["rejected"]) for entry in assume] == [(account_id, "iam", None)]
    resource_calls = [entry for entry in entries if entry["service"] == kind.service]
    assert resource_calls
    assert {(entry["account"], entry["principal"], entry["task_policy"]) for entry in resource_calls} == {
        (account_id, "root", kind.task_policy)}


# ---------------------------------------------------------------------------
# Steps and backups


def step(name: str, account_id: str, target: dict, **options) -> dict:
    return {"name": name, "account_id": account_id, **target, **options}


def backups_dir(tmp_path: pathlib.Path, name: str = "backups") -> pathlib.Path:
    path = tmp_path / name
    path.mkdir()
    return path


def backup_files(directory: pathlib.Path) -> list:
    """The backups in a directory, its manifest left out."""
    return sorted(path for path in directory.iterdir() if path.name != MANIFEST)


def manifest(directory: pathlib.Path) -> dict:
    """{file name: SHA-256} as MANIFEST.sha256 lists them."""
    lines = (directory / MANIFEST).read_text().splitlines()
    return {name: digest for digest, name in (line.split("  ", 1) for line in lines)}


def assert_backup(result: dict, directory: pathlib.Path, account_id: str, name: str, policy: str) -> pathlib.Path:
    path = pathlib.Path(result["backup_file"])
    assert path.parent == directory
    assert account_id in path.name and name in path.name, path.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert path.read_bytes() == policy.encode("utf-8")
    assert result["backup_sha256"] == hashlib.sha256(path.read_bytes()).hexdigest() == manifest(directory)[path.name]
    return path


def seeded(control, **options) -> dict:
    options.setdefault("features", FEATURES)
    return control.seed(accounts=10, profile="mixed", **options)


# ---------------------------------------------------------------------------
# Tests


@KINDS
def test_check_mode_reads_and_writes_nothing(kind, control, emulator, run_playbook, tmp_path):
    truth = seeded(control)
    account = truth["accounts"][kind.locked[0]]
    resource = kind.resource(account)
    backups = backups_dir(tmp_path)
    control.clear_requests()

    run = run_playbook(kind.playbook, check=True, extra_vars={"steps": [
        step("preview", account["id"], kind.target(emulator.endpoint, account["id"], resource["name"], by_url=True),
             backup_dir=str(backups), diff=True),
    ]})
    results = run.result("steps")

    assert run.returncode == 0, run.stdout + run.stderr
    result = results["preview"]
    assert result["changed"] is True
    assert result["locked"] is True
    assert result["previous_policy"] == resource["policy"]
    assert result["policy"] is None
    assert result["backup_file"] is None
    assert result["diff"] == {"before": {"policy": json.loads(resource["policy"])}, "after": {"policy": None}}
    assert not backup_files(backups)
    log = control.requests()
    assert log["writes"] == 0, writes(log["entries"])
    assert_root_session_run(kind, log["entries"], account["id"])
    assert read_policy(emulator.endpoint, kind, account["id"], resource["name"]) == resource["policy"]


@KINDS
def test_unlock_keeps_a_backup_and_a_second_run_changes_nothing(kind, control, emulator, run_playbook, tmp_path):
    truth = seeded(control)
    account = truth["accounts"][kind.locked[0]]
    resource = kind.resource(account)
    target = kind.target(emulator.endpoint, account["id"], resource["name"])
    backups = backups_dir(tmp_path)
    control.clear_requests()

    run = run_playbook(kind.playbook, extra_vars={"steps": [
        step("unlock", account["id"], target, backup_dir=str(backups), diff=True),
        step("again", account["id"], target, backup_dir=str(backups)),
    ]})
    results = run.result("steps")

    assert run.returncode == 0, run.stdout + run.stderr
    unlock, again = results["unlock"], results["again"]
    assert unlock["changed"] is True
    assert unlock["locked"] is True
    assert unlock["previous_policy"] == resource["policy"]
    assert unlock["policy"] is None
    assert unlock["message"] is None
    assert unlock["diff"] == {"before": {"policy": json.loads(resource["policy"])}, "after": {"policy": None}}
    backup = assert_backup(unlock, backups, account["id"], resource["name"], resource["policy"])
    assert again["changed"] is False
    assert again["previous_policy"] is None and again["policy"] is None and again["locked"] is False
    assert again["backup_file"] is None
    assert "diff" not in again
    assert backup_files(backups) == [backup]
    if kind is QUEUE:
        assert unlock["queue_url"] == again["queue_url"] == queue_url(emulator.endpoint, account["id"], resource["name"])
    else:
        assert unlock["bucket"] == resource["name"]

    first, second = module_runs(control.requests()["entries"])
    assert writes(first) == [kind.delete_action]
    assert writes(second) == []
    for entries in (first, second):
        assert_root_session_run(kind, entries, account["id"])
        assert not [entry for entry in entries if entry["rejected"]]
    if kind is QUEUE:
        assert count(first, "sqs:GetQueueUrl") == 1

    assert read_policy(emulator.endpoint, kind, account["id"], resource["name"]) is None
    # The backup restores the policy exactly as AWS had it.
    write_policy(emulator.endpoint, kind, account["id"], resource["name"], backup.read_bytes().decode("utf-8"))
    assert read_policy(emulator.endpoint, kind, account["id"], resource["name"]) == resource["policy"]


@KINDS
def test_only_if_locked_leaves_an_ordinary_policy_alone(kind, control, emulator, run_playbook, tmp_path):
    truth = seeded(control)
    if kind is BUCKET:
        account = truth["accounts"][ORDINARY_BUCKET]
        resource = kind.resource(account)
        assert resource["locked"] is False
        ordinary = resource["policy"]
    else:
        account = truth["accounts"][kind.locked[0]]
        resource = kind.resource(account)
        document = json.loads(resource["policy"])
        document["Statement"][0]["Condition"] = {"Bool": {"aws:SecureTransport": "false"}}
        ordinary = json.dumps(document)
        write_policy(emulator.endpoint, kind, account["id"], resource["name"], ordinary)
    target = kind.target(emulator.endpoint, account["id"], resource["name"])
    backups = backups_dir(tmp_path)
    control.clear_requests()

    run = run_playbook(kind.playbook, extra_vars={"steps": [
        step("guarded", account["id"], target, backup_dir=str(backups)),
        step("forced", account["id"], target, backup_dir=str(backups), only_if_locked=False),
    ]})
    results = run.result("steps")

    assert run.returncode == 0, run.stdout + run.stderr
    guarded, forced = results["guarded"], results["forced"]
    assert guarded["changed"] is False
    assert guarded["locked"] is False
    assert "does not deny everyone" in guarded["message"] and "only_if_locked" in guarded["message"]
    assert guarded["previous_policy"] == guarded["policy"] == ordinary
    assert guarded["backup_file"] is None
    # The first run left the policy as it was, byte for byte; the second deleted it.
    assert forced["changed"] is True
    assert forced["locked"] is False
    assert forced["previous_policy"] == ordinary
    assert forced["policy"] is None
    assert_backup(forced, backups, account["id"], resource["name"], ordinary)
    first, second = module_runs(control.requests()["entries"])
    assert writes(first) == []
    assert writes(second) == [kind.delete_action]
    assert read_policy(emulator.endpoint, kind, account["id"], resource["name"]) is None


@KINDS
def test_state_present_puts_a_policy_given_as_a_dict_or_a_json_string(kind, control, emulator, run_playbook, tmp_path):
    truth = seeded(control)
    accounts = [truth["accounts"][index] for index in kind.locked]
    resources = [kind.resource(account) for account in accounts]
    desired = [replacement_policy(kind, account["id"], resource["name"]) for account, resource in zip(accounts, resources)]
    as_dict = {"state": "present", "policy": desired[0]}
    as_text = {"state": "present", "policy": json.dumps(desired[1], indent=2)}
    targets = [kind.target(emulator.endpoint, accounts[0]["id"], resources[0]["name"], by_url=True),
               kind.target(emulator.endpoint, accounts[1]["id"], resources[1]["name"])]
    backups = backups_dir(tmp_path)
    control.clear_requests()

    run = run_playbook(kind.playbook, extra_vars={"steps": [
        step("dict", accounts[0]["id"], targets[0], backup_dir=str(backups), diff=True, **as_dict),
        step("dict_again", accounts[0]["id"], targets[0], backup_dir=str(backups), **as_dict),
        step("text", accounts[1]["id"], targets[1], backup_dir=str(backups), **as_text),
        step("text_again", accounts[1]["id"], targets[1], backup_dir=str(backups), **as_text),
    ]}, env={"ANSIBLE_INJECT_INVOCATION": "true"})
    results = run.result("steps")
    runs = module_runs(control.requests()["entries"])

    assert run.returncode == 0, run.stdout + run.stderr
    assert isinstance(results["dict"]["invocation"]["module_args"]["policy"], dict)
    assert isinstance(results["text"]["invocation"]["module_args"]["policy"], str)
    assert results["dict"]["diff"] == {"before": {"policy": json.loads(resources[0]["policy"])}, "after": {"policy": desired[0]}}
    for name, again, account, resource, policy in (("dict", "dict_again", accounts[0], resources[0], desired[0]),
                                                   ("text", "text_again", accounts[1], resources[1], desired[1])):
        changed, unchanged = results[name], results[again]
        assert changed["changed"] is True, changed
        assert changed["locked"] is True
        assert changed["previous_policy"] == resource["policy"]
        assert json.loads(changed["policy"]) == policy
        assert_backup(changed, backups, account["id"], resource["name"], resource["policy"])
        assert unchanged["changed"] is False, unchanged
        assert unchanged["locked"] is False
        assert json.loads(unchanged["previous_policy"]) == json.loads(unchanged["policy"]) == policy
        assert unchanged["backup_file"] is None
        assert json.loads(read_policy(emulator.endpoint, kind, account["id"], resource["name"])) == policy
    assert len(backup_files(backups)) == 2
    assert [writes(entries) for entries in runs] == [[kind.put_action], [], [kind.put_action], []]
    for entries, account in zip(runs, [accounts[0], accounts[0], accounts[1], accounts[1]]):
        assert_root_session_run(kind, entries, account["id"])
    if kind is QUEUE:
        assert [count(entries, "sqs:GetQueueUrl") for entries in runs] == [0, 0, 1, 1]


@KINDS
def test_faults_on_the_change_after_the_backup(kind, control, emulator, run_playbook, tmp_path):
    """A change AWS refuses leaves the policy in place with its backup written; a change
    that meets two 5xx errors is retried and made, with one backup."""
    truth = seeded(control)
    refused, transient = (truth["accounts"][index] for index in kind.locked)
    resources = {account["id"]: kind.resource(account) for account in (refused, transient)}
    backups = {account["id"]: backups_dir(tmp_path, account["id"]) for account in (refused, transient)}
    write_action = kind.delete_action.split(":")[1]
    # AccessDenied is not retried: the change is tried once and refused, however often the fault would fire.
    control.add_fault(kind="custom", service=kind.service, action=write_action, account=refused["id"], code="AccessDenied",
                      status=403, message="Injected: access denied", times=50)
    control.add_fault(kind="server_error", service=kind.service, action=write_action, account=transient["id"], times=2)
    control.clear_requests()

    run = run_playbook(kind.playbook, extra_vars={"steps": [
        step(name, account["id"], kind.target(emulator.endpoint, account["id"], resources[account["id"]]["name"]),
             backup_dir=str(backups[account["id"]]))
        for name, account in (("refused", refused), ("transient", transient))
    ]})
    results = run.result("steps")
    first, second = module_runs(control.requests()["entries"])

    assert run.returncode == 0, run.stdout + run.stderr
    result = results["refused"]
    assert result["failed"] is True, result
    assert result["error_class"] == "access_denied"
    assert result["aws_error_code"] == "AccessDenied"
    resource = resources[refused["id"]]
    files = backup_files(backups[refused["id"]])
    assert len(files) == 1
    assert refused["id"] in files[0].name and resource["name"] in files[0].name
    assert stat.S_IMODE(files[0].stat().st_mode) == 0o600
    assert files[0].read_bytes() == resource["policy"].encode("utf-8")
    assert [(action(entry), entry["rejected"]) for entry in first if entry["write"]] == [(kind.delete_action, "AccessDenied")]

    result = results["transient"]
    assert result["changed"] is True, result
    assert_backup(result, backups[transient["id"]], transient["id"], resources[transient["id"]]["name"], resources[transient["id"]]["policy"])
    assert len(backup_files(backups[transient["id"]])) == 1
    assert [action(entry) for entry in second if entry["write"]] == [kind.delete_action] * 3
    assert [entry["rejected"] for entry in second if entry["write"]][-1] is None
    assert count(second, "sts:AssumeRoot") == 1

    control.clear_faults()
    assert read_policy(emulator.endpoint, kind, refused["id"], resource["name"]) == resource["policy"]
    assert read_policy(emulator.endpoint, kind, transient["id"], resources[transient["id"]]["name"]) is None


@KINDS
def test_accounts_and_resources_that_cannot_be_unlocked(kind, control, emulator, run_playbook, tmp_path):
    truth = seeded(control)
    account = truth["accounts"][kind.locked[0]]
    resource = kind.resource(account)
    suspended = truth["accounts"][SUSPENDED]
    assert suspended["state"] == "SUSPENDED"
    unknown = kind.target(emulator.endpoint, account["id"], "no-such-resource-here")
    control.clear_requests()

    run = run_playbook(kind.playbook, extra_vars={"steps": [
        step("unknown", account["id"], unknown),
        step("management", MANAGEMENT, kind.target(emulator.endpoint, MANAGEMENT, resource["name"])),
        step("suspended", suspended["id"], kind.target(emulator.endpoint, suspended["id"], resource["name"])),
        step("outsider", OUTSIDER, kind.target(emulator.endpoint, OUTSIDER, resource["name"])),
    ]})
    results = run.result("steps")

    assert run.returncode == 0, run.stdout + run.stderr
    assert all(result["failed"] is True for result in results.values()), results
    assert {name: result["error_class"] for name, result in results.items()} == {
        "unknown": "not_found", "management": "conflict", "suspended": "conflict", "outsider": "not_found"}
    assert results["unknown"]["msg"].startswith("bucket:" if kind is BUCKET else "queue_name:")
    assert "no-such-resource-here" in results["unknown"]["msg"]
    assert "management account" in results["management"]["msg"]
    assert "SUSPENDED" in results["suspended"]["msg"]
    assert OUTSIDER in results["outsider"]["msg"]
    log = control.requests()
    assert log["writes"] == 0, writes(log["entries"])
    runs = module_runs(log["entries"])
    assert [count(entries, "sts:AssumeRoot") for entries in runs] == [1, 0, 0, 0]
    assert_root_session_run(kind, runs[0], account["id"])
    assert read_policy(emulator.endpoint, kind, account["id"], resource["name"]) == resource["policy"]


@KINDS
def test_root_sessions_not_enabled_fails_before_any_root_session(kind, control, emulator, run_playbook):
    truth = seeded(control, features=["RootCredentialsManagement"])
    account = truth["accounts"][kind.locked[0]]
    resource = kind.resource(account)
    control.clear_requests()

    run = run_playbook(kind.playbook, extra_vars={"steps": [
        step("unlock", account["id"], kind.target(emulator.endpoint, account["id"], resource["name"])),
    ]})
    results = run.result("steps")

    result = results["unlock"]
    assert run.returncode == 0 and result["failed"] is True, run.stdout + run.stderr
    assert result["error_class"] == "feature_not_enabled"
    assert "RootSessions" in result["msg"]
    log = control.requests()
    assert log["writes"] == 0
    assert [entry for entry in log["entries"] if action(entry) == "sts:AssumeRoot"] == []
    assert not [entry for entry in log["entries"] if entry["service"] == kind.service]


@KINDS
def test_bad_input_is_refused_before_any_api_call(kind, control, emulator, run_playbook, tmp_path):
    truth = seeded(control)
    account = truth["accounts"][kind.locked[0]]
    resource = kind.resource(account)
    target = kind.target(emulator.endpoint, account["id"], resource["name"])
    other = truth["accounts"][kind.locked[1]]
    if kind is BUCKET:
        bad_target = ("bucket", {"bucket": "Bad_Bucket"})
    else:
        bad_target = ("queue_name", {"queue_name": "bad name!"})
    steps = [
        step("bad_target", account["id"], bad_target[1]),
        step("not_json", account["id"], target, state="present", policy="not json"),
        step("no_policy", account["id"], target, state="present"),
        step("policy_when_absent", account["id"], target, state="absent", policy=replacement_policy(kind, account["id"], resource["name"])),
        step("no_backup_dir", account["id"], target, backup_dir=str(tmp_path / "no-such-directory")),
        step("short_account_id", "12345678901", target),
    ]
    expected = {
        "bad_target": bad_target[0] + ":",
        "not_json": "policy:",
        "no_policy": "state is present but any of the following are missing: policy, restore_from",
        "policy_when_absent": "policy:",
        "no_backup_dir": "backup_dir:",
        "short_account_id": "account_id:",
    }
    if kind is QUEUE:
        steps.append(step("foreign_queue_url", account["id"], {"queue_url": queue_url(emulator.endpoint, other["id"], kind.resource(other)["name"])}))
        expected["foreign_queue_url"] = "queue_url:"
    control.clear_requests()

    run = run_playbook(kind.playbook, extra_vars={"steps": steps})
    results = run.result("steps")

    assert run.returncode == 0, run.stdout + run.stderr
    for name, start in expected.items():
        result = results[name]
        assert result["failed"] is True, (name, result)
        assert result["msg"].startswith(start), (name, result["msg"])
        if name != "no_policy":
            assert result["error_class"] == "invalid_input", (name, result)
    if kind is QUEUE:
        assert other["id"] in results["foreign_queue_url"]["msg"]
    log = control.requests()
    assert log["count"] == 0, [action(entry) for entry in log["entries"]]
    assert read_policy(emulator.endpoint, kind, account["id"], resource["name"]) == resource["policy"]

# ---------------------------------------------------------------------------
# Lock detection, unknown queues, and nothing to put


def lock_shapes(bucket: str) -> dict:
    return {
        # Denies everything but s3:GetObject, the policy calls included: everyone but root is locked out.
        "not_action": {"Version": "2012-10-17", "Statement": [{
            "Sid": "DenyAllButGetObject", "Effect": "Deny", "Principal": "*", "NotAction": "s3:GetObject",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"]}]},
        # Denies every call on the objects only: the policy calls act on the bucket, which stays open.
        "objects_only": {"Version": "2012-10-17", "Statement": [{
            "Sid": "DenyObjects", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": f"arn:aws:s3:::{bucket}/*"}]},
    }


LOCK_VERDICTS = [
    pytest.param("not_action", True, id="not-action-deny-locks-everyone-out"),
    pytest.param("objects_only", False, id="deny-on-objects-only-leaves-the-policy-open"),
]


@pytest.mark.parametrize(("shape", "locks_out"), LOCK_VERDICTS)
def test_only_if_locked_judges_a_lock_as_aws_does(shape, locks_out, control, emulator, caller_env, run_playbook, tmp_path):
    truth = seeded(control)
    account = truth["accounts"][BUCKET.locked[0]]
    name = BUCKET.resource(account)["name"]
    policy = json.dumps(lock_shapes(name)[shape])
    write_policy(emulator.endpoint, BUCKET, account["id"], name, policy)
    # Who the policy locks out, as the emulator enforces it: an administrator of the account.
    credentials = caller_env(account["id"])
    admin = boto3.client("s3", endpoint_url=emulator.endpoint, region_name=REGION, aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
                         aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"], aws_session_token=credentials["AWS_SESSION_TOKEN"])
    if locks_out:
        with pytest.raises(ClientError) as denied:
            admin.get_bucket_policy(Bucket=name)
        assert denied.value.response["Error"]["Code"] == "AccessDenied"
    else:
        assert admin.get_bucket_policy(Bucket=name)["Policy"] == policy
    backups = backups_dir(tmp_path)

    run = run_playbook(BUCKET.playbook, extra_vars={"steps": [step("unlock", account["id"], {"bucket": name}, backup_dir=str(backups))]})
    result = run.result("steps")["unlock"]

    assert run.returncode == 0 and not result.get("failed"), run.stdout + run.stderr
    assert result["previous_policy"] == policy
    assert result["locked"] is locks_out
    assert result["changed"] is locks_out
    assert read_policy(emulator.endpoint, BUCKET, account["id"], name) == (None if locks_out else policy)


def test_an_unknown_queue_is_not_found_by_url_as_by_name(control, emulator, run_playbook):
    truth = seeded(control)
    account = truth["accounts"][QUEUE.locked[0]]["id"]
    control.clear_requests()

    run = run_playbook(QUEUE.playbook, extra_vars={"steps": [
        step("by_name", account, {"queue_name": "no-such-queue"}),
        step("by_url", account, {"queue_url": queue_url(emulator.endpoint, account, "no-such-queue")}),
    ]})
    results = run.result("steps")

    assert run.returncode == 0, run.stdout + run.stderr
    assert results["by_name"]["failed"] is True
    assert results["by_name"]["error_class"] == "not_found"
    assert results["by_url"]["failed"] is True
    assert control.requests()["writes"] == 0
    assert results["by_url"]["error_class"] == "not_found", results["by_url"]["msg"]


def test_state_present_on_a_bucket_without_a_policy_says_why_nothing_changed(control, emulator, run_playbook):
    truth = seeded(control)
    account = truth["accounts"][BUCKET.locked[0]]
    name = BUCKET.resource(account)["name"]
    root_client(emulator.endpoint, BUCKET.service, account["id"], BUCKET.task_policy).delete_bucket_policy(Bucket=name)
    desired = replacement_policy(BUCKET, account["id"], name)

    run = run_playbook(BUCKET.playbook, extra_vars={"steps": [step("present", account["id"], {"bucket": name}, state="present", policy=desired)]})
    result = run.result("steps")["present"]

    assert run.returncode == 0 and not result.get("failed"), run.stdout + run.stderr
    assert result["previous_policy"] is None
    current = read_policy(emulator.endpoint, BUCKET, account["id"], name)
    if result["changed"]:
        assert json.loads(current) == desired
    else:
        assert current is None
        assert result["message"], result


# ---------------------------------------------------------------------------
# Backups that cannot be swapped, restore byte for byte, the queue's Region from its URL

REPO = pathlib.Path(__file__).resolve().parents[2]
MODULE_OPTIONS = ("account_id", "bucket", "queue_url", "queue_name", "region", "state", "policy", "restore_from", "restore_sha256",
                  "only_if_locked", "backup_dir")


def step_playbook(tmp_path: pathlib.Path, kind: Kind) -> str:
    """A playbook like playbooks/resource_policy_*.yml that also passes restore_from, restore_sha256 and region."""
    options = {option: f"{{{{ item.{option} | default(omit) }}}}" for option in MODULE_OPTIONS
               if option != ("queue_url" if kind is BUCKET else "bucket") and option != ("queue_name" if kind is BUCKET else "bucket")}
    play = [{"name": "Steps", "hosts": "localhost", "gather_facts": False, "tasks": [
        {"name": "Run the module", f"rootguard.aws.root_{kind.name}_policy": options, "diff": "{{ item.diff | default(ansible_diff_mode) }}",
         "loop": "{{ steps }}", "loop_control": {"label": "{{ item.name }}"}, "register": "runs", "ignore_errors": True},
        {"name": "Save the results", "ansible.builtin.copy": {
            "content": "{{ dict(runs.results | map(attribute='item.name') | zip(runs.results)) | to_nice_json }}",
            "dest": "{{ results_dir }}/steps.json", "mode": "0600"}, "check_mode": False},
    ]}]
    path = tmp_path / f"steps_{kind.name}.yml"
    path.write_text(json.dumps(play))
    return str(path)


def collection_playbook(kind: Kind) -> str:
    return str(REPO / "playbooks" / f"unlock_{kind.name}_policy.yml")


def tricky_lock(name: str) -> str:
    """A policy that locks everyone out, written as no serializer would: keys out of order, escapes, and
    whitespace that takes it over 20,480 bytes (AWS accepted it, so its backup must restore)."""
    return ('{\n  "Statement": [ {"Sid": "D\\u00e9ny\\/all", "Principal": "*", "Effect": "Deny", "Action": "s3:*",\n'
            f'      "Resource": ["arn:aws:s3:::{name}", "arn:aws:s3:::{name}/*"]}} ],\n'
            '  "Version": "2012-10-17"' + " " * 21000 + "\n}\n")


@pytest.mark.parametrize("core", [None, *OLDER_CORES])
def test_restore_from_puts_a_backup_back_byte_for_byte_on_every_core(core, control, emulator, run_playbook, tmp_path):
    truth = seeded(control)
    account = truth["accounts"][BUCKET.locked[0]]
    name = BUCKET.resource(account)["name"]
    policy = tricky_lock(name)
    assert len(policy.encode()) > 20480
    write_policy(emulator.endpoint, BUCKET, account["id"], name, policy)
    backups = backups_dir(tmp_path)
    unlock = run_playbook(step_playbook(tmp_path, BUCKET), extra_vars={"steps": [
        step("unlock", account["id"], {"bucket": name}, backup_dir=str(backups))]}).result("steps")["unlock"]
    assert unlock["changed"] is True, unlock
    backup = assert_backup(unlock, backups, account["id"], name, policy)
    assert read_policy(emulator.endpoint, BUCKET, account["id"], name) is None
    control.clear_requests()

    variables = {"rootguard_account_id": account["id"], "rootguard_bucket": name, "rootguard_backup_dir": str(backups),
                 "rootguard_restore_from": str(backup)}
    restore = run_playbook(collection_playbook(BUCKET), extra_vars=variables, core=core)

    assert restore.returncode == 0, restore.stdout[-3000:] + restore.stderr[-3000:]
    assert read_policy(emulator.endpoint, BUCKET, account["id"], name).encode("utf-8") == backup.read_bytes() == policy.encode("utf-8")
    assert writes(control.requests()["entries"]) == [BUCKET.put_action]


def swap(backup: pathlib.Path, kind: Kind, account_id: str, name: str) -> None:
    """What another user who could write the directory would do: make the bucket or queue public."""
    resource = f"arn:aws:s3:::{name}/*" if kind is BUCKET else f"arn:aws:sqs:{REGION}:{account_id}:{name}"
    backup.write_text(json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject" if kind is BUCKET else "sqs:*", "Resource": resource}]}))


@KINDS
def test_a_swapped_or_unlisted_backup_is_refused_before_any_api_call(kind, control, emulator, run_playbook, tmp_path):
    truth = seeded(control)
    account = truth["accounts"][kind.locked[0]]
    resource = kind.resource(account)
    backups = backups_dir(tmp_path)
    target = kind.target(emulator.endpoint, account["id"], resource["name"])
    playbook = step_playbook(tmp_path, kind)
    unlock = run_playbook(playbook, extra_vars={"steps": [step("unlock", account["id"], target, backup_dir=str(backups))]})
    backup = assert_backup(unlock.result("steps")["unlock"], backups, account["id"], resource["name"], resource["policy"])
    genuine = backup.read_bytes()
    swap(backup, kind, account["id"], resource["name"])
    unlisted = backups / f"{account['id']}-{resource['name']}-planted.json"
    unlisted.write_bytes(genuine)
    elsewhere = tmp_path / "copied-from-another-controller.json"
    elsewhere.write_bytes(genuine)
    genuine_sha256 = hashlib.sha256(genuine).hexdigest()
    control.clear_requests()

    run = run_playbook(playbook, extra_vars={"steps": [
        step(name, account["id"], target, state="present", only_if_locked=False, **options) for name, options in (
            ("swapped", {"restore_from": str(backup)}),
            ("unlisted", {"restore_from": str(unlisted)}),
            ("elsewhere_no_digest", {"restore_from": str(elsewhere)}),
            ("swapped_with_the_genuine_digest", {"restore_from": str(backup), "restore_sha256": genuine_sha256}),
        )]})
    results = run.result("steps")

    assert run.returncode == 0, run.stdout + run.stderr
    assert all(result["failed"] is True and result["error_class"] == "invalid_input" for result in results.values()), results
    assert results["swapped"]["msg"] == (
        f"restore_from: {backup} has SHA-256 {hashlib.sha256(backup.read_bytes()).hexdigest()}, but {backups / MANIFEST} lists "
        f"{genuine_sha256}: the file was changed after the backup was written; it was not restored.")
    assert results["unlisted"]["msg"].startswith(f"restore_from: {unlisted} has no entry in {backups / MANIFEST}")
    assert results["elsewhere_no_digest"]["msg"].startswith(f"restore_from: there is no {MANIFEST} in {tmp_path}, so nothing proves")
    assert results["swapped_with_the_genuine_digest"]["msg"].startswith(f"restore_sha256: {backup} has SHA-256 ")
    assert control.requests()["count"] == 0
    assert read_policy(emulator.endpoint, kind, account["id"], resource["name"]) is None

    # The genuine bytes from elsewhere, with their digest given, are put back.
    restore = run_playbook(playbook, extra_vars={"steps": [step("elsewhere", account["id"], target, state="present", only_if_locked=False,
                                                                restore_from=str(elsewhere), restore_sha256=genuine_sha256)]})
    assert restore.result("steps")["elsewhere"]["changed"] is True, restore.result("steps")
    assert json.loads(read_policy(emulator.endpoint, kind, account["id"], resource["name"])) == json.loads(genuine)


@KINDS
def test_a_backup_dir_another_user_can_change_is_refused_before_any_api_call(kind, control, emulator, run_playbook, tmp_path):
    truth = seeded(control)
    account = truth["accounts"][kind.locked[0]]
    resource = kind.resource(account)
    target = kind.target(emulator.endpoint, account["id"], resource["name"])
    theirs = backups_dir(tmp_path, "theirs")
    os.chown(theirs, 65534, 65534)
    shared = backups_dir(tmp_path, "shared")
    shared.chmod(0o777)
    control.clear_requests()

    run = run_playbook(step_playbook(tmp_path, kind), extra_vars={"steps": [
        step("theirs", account["id"], target, backup_dir=str(theirs)),
        step("shared", account["id"], target, backup_dir=str(shared)),
    ]})
    results = run.result("steps")

    assert run.returncode == 0, run.stdout + run.stderr
    for name, reason in (("theirs", " is owned by user id 65534, not by this user (0)"), ("shared", " is writable by other users (mode 0777)")):
        assert results[name]["failed"] is True and results[name]["error_class"] == "invalid_input", results[name]
        assert results[name]["msg"].startswith("backup_dir: ") and reason in results[name]["msg"], results[name]["msg"]
    assert control.requests()["count"] == 0
    assert read_policy(emulator.endpoint, kind, account["id"], resource["name"]) == resource["policy"]
    assert list(theirs.iterdir()) == list(shared.iterdir()) == []


OTHER_REGION = "us-west-2"


def test_the_queue_region_comes_from_its_url(control, emulator, caller_env, run_playbook, tmp_path):
    """Two queues of one name in two Regions: the URL of the one in us-west-2 unlocks that one only."""
    truth = seeded(control)
    account = truth["accounts"][QUEUE.locked[0]]
    queue = QUEUE.resource(account)
    credentials = caller_env(account["id"])
    admin = boto3.client("sqs", endpoint_url=emulator.endpoint, region_name=OTHER_REGION, aws_access_key_id=credentials["AWS_ACCESS_KEY_ID"],
                         aws_secret_access_key=credentials["AWS_SECRET_ACCESS_KEY"], aws_session_token=credentials["AWS_SESSION_TOKEN"])
    other_url = admin.create_queue(QueueName=queue["name"])["QueueUrl"]
    other_lock = queue["policy"].replace(f":{REGION}:", f":{OTHER_REGION}:")
    admin.set_queue_attributes(QueueUrl=other_url, Attributes={"Policy": other_lock})
    url = f"https://sqs.{OTHER_REGION}.amazonaws.com/{account['id']}/{queue['name']}"
    backups = backups_dir(tmp_path)
    control.clear_requests()

    run = run_playbook(step_playbook(tmp_path, QUEUE), extra_vars={"steps": [
        step("contradicted", account["id"], {"queue_url": url}, region="eu-west-1", backup_dir=str(backups)),
        step("unlock", account["id"], {"queue_url": url}, backup_dir=str(backups)),
    ]})
    results = run.result("steps")

    assert run.returncode == 0, run.stdout + run.stderr
    assert results["contradicted"]["failed"] is True and results["contradicted"]["error_class"] == "invalid_input"
    assert results["contradicted"]["msg"] == ("queue_url: the URL names Region us-west-2, but region is eu-west-1; leave region out, "
                                              "or give the URL of the queue in that Region.")
    unlock = results["unlock"]
    assert unlock["changed"] is True and unlock["queue_url"] == url, unlock
    assert json.loads(unlock["previous_policy"]) == json.loads(other_lock)
    assert "Policy" not in admin.get_queue_attributes(QueueUrl=other_url, AttributeNames=["Policy"]).get("Attributes", {})
    assert read_policy(emulator.endpoint, QUEUE, account["id"], queue["name"]) == queue["policy"]
    runs = module_runs(control.requests()["entries"])
    assert len(runs) == 1 and writes(runs[0]) == [QUEUE.delete_action]


LONE_SURROGATE_LOCK = ('{"Version":"2012-10-17","Statement":[{"Sid":"\\ud83d","Effect":"Deny","Principal":"*","Action":"s3:*",'
                       '"Resource":["arn:aws:s3:::%s","arn:aws:s3:::%s/*"]}]}')


def test_diff_of_a_deleted_policy_with_a_lone_surrogate_is_not_a_failure(control, emulator, run_playbook, tmp_path):
    """AWS accepts a policy with an escaped lone surrogate; --diff must not turn its successful delete into a failed task."""
    truth = seeded(control)
    account = truth["accounts"][BUCKET.locked[0]]
    name = BUCKET.resource(account)["name"]
    policy = LONE_SURROGATE_LOCK % (name, name)
    write_policy(emulator.endpoint, BUCKET, account["id"], name, policy)
    backups = backups_dir(tmp_path)

    run = run_playbook(BUCKET.playbook, extra_vars={"steps": [step("unlock", account["id"], {"bucket": name}, backup_dir=str(backups), diff=True)]})
    result = run.result("steps")["unlock"]

    assert run.returncode == 0 and not result.get("failed"), run.stdout[-3000:]
    assert result["changed"] is True
    assert result["diff"] == {"before": {"policy": policy}, "after": {"policy": None}}
    assert read_policy(emulator.endpoint, BUCKET, account["id"], name) is None
    assert_backup(result, backups, account["id"], name, policy)


# ---------------------------------------------------------------------------
# An unlock racing a replacement of the policy


def replace_after_the_first_read(control, endpoint: str, account_id: str, name: str, policy: str, replaced: list) -> None:
    """Put ``policy`` in place as soon as the module has sent its next S3 request after its first
    GetBucketPolicy (so the first read has been answered); that request is held by a slow fault."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        entries = [entry for entry in control.requests()["entries"]
                   if entry["service"] == "s3" and entry["account"] == account_id and entry["principal"] == "root"]
        reads = [index for index, entry in enumerate(entries) if entry["action"] == "GetBucketPolicy"]
        if reads and len(entries) > reads[0] + 1:
            write_policy(endpoint, BUCKET, account_id, name, policy)
            replaced.append(entries[reads[0] + 1]["action"])
            return
        time.sleep(0.05)


@pytest.mark.parametrize("replacement_locks", [False, True], ids=["replaced-by-an-open-policy", "replaced-by-another-lock"])
def test_an_unlock_racing_a_replacement_claims_and_backs_up_only_what_it_replaced(replacement_locks, control, emulator, run_playbook, tmp_path):
    """Between the module's first read and its change, someone puts a new policy in place.  The
    module's next request (the change itself, or the read just before it) is held 3 seconds by the
    emulator, and the replacement lands meanwhile.  The module must decide on the new policy, and
    never delete a policy it did not back up and report."""
    truth = seeded(control)
    account = truth["accounts"][BUCKET.locked[0]]
    name = BUCKET.resource(account)["name"]
    original = BUCKET.resource(account)["policy"]
    replacement = (json.dumps({"Version": "2012-10-17", "Statement": [{"Sid": "NewLock", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                                                      "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]}]})
                   if replacement_locks else json.dumps(replacement_policy(BUCKET, account["id"], name)))
    for action_name, start_after in (("GetBucketPolicy", 1), ("DeleteBucketPolicy", 0)):
        control.add_fault(kind="slow", service="s3", action=action_name, account=account["id"], delay_seconds=3, times=1,
                          start_after=start_after)
    backups = backups_dir(tmp_path)
    control.clear_requests()
    replaced: list = []
    racer = threading.Thread(target=replace_after_the_first_read, args=(control, emulator.endpoint, account["id"], name, replacement, replaced))
    racer.start()

    run = run_playbook(BUCKET.playbook, extra_vars={"steps": [step("unlock", account["id"], {"bucket": name}, backup_dir=str(backups))]})
    racer.join()
    result = run.result("steps")["unlock"]

    assert run.returncode == 0 and not result.get("failed"), run.stdout[-3000:]
    assert result["previous_policy"] == replacement != original
    assert result["message"].startswith("The policy changed after it was first read")
    if replacement_locks:
        assert result["changed"] is True and result["locked"] is True
        assert_backup(result, backups, account["id"], name, replacement)
        assert read_policy(emulator.endpoint, BUCKET, account["id"], name) is None
    else:
        assert result["changed"] is False and result["locked"] is False and result["backup_file"] is None
        assert backup_files(backups) == []
        assert read_policy(emulator.endpoint, BUCKET, account["id"], name) == replacement
    assert replaced == ["GetBucketPolicy"]  # the module read the policy again before it changed anything
    control.clear_faults()
