"""The guarantees of the root-task modules, through real ansible-playbook runs against the emulator:

- throttling of a seeded share of AssumeRoot and IAM calls is ridden out, by the audit and the removal;
- an SCP that denies the root user in some accounts fails exactly those accounts, and no other;
- a locked bucket or queue policy removed with backup_dir is put back exactly from its backup, by the module itself,
  and only_if_locked keeps an ordinary policy from being touched;
- no root-session secret, and no signing certificate body, shows anywhere at -vvvv.

Every claim is checked against the emulator: the seeded truth, the root users as they are after a run
(``control.root_user``), the fault counters, the request log, and for the secrets the root sessions it
issued (moto's model data, ``/moto-api/data.json``)."""

from __future__ import annotations

import json
import pathlib
import re
import stat

import pytest

from rootguard_emulator.evidence import issued_secrets, leaks, module_runs, read_bucket_policy, read_queue_policy, root_client, writes


MANAGEMENT = "123456789012"
RCM = "RootCredentialsManagement"
RS = "RootSessions"
AUDIT = "root_credentials_info.yml"
REMOVAL = "root_credentials_removal.yml"
BUCKET_PLAYBOOK = "resource_policy_bucket.yml"
QUEUE_PLAYBOOK = "resource_policy_queue.yml"
NO_SECRETS_PLAYBOOK = "guarantees_no_secrets.yml"

# Indexes in the mixed cycle (seed.MIXED_CYCLE) of 10 accounts.
LOCKED_BUCKET = 4
ORDINARY_BUCKET = 6
LOCKED_QUEUE = 8

SECRET_KEYS = ("SecretAccessKey", "SessionToken", "secret_key", "session_token")
# What Ansible shows for a no_log option; the module's own options secret_key and
# session_token appear (masked or null) in its invocation at -vvv and above.
MASKED = "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER"
ACCOUNT_ID = re.compile(r"\b\d{12}\b")


# ---------------------------------------------------------------------------
# Helpers


def by_id(result: dict) -> dict:
    return {account["id"]: account for account in result["accounts"]}


def assert_found_matches(found: dict, seeded: dict) -> None:
    """An audit's ``found`` for one account is the seeded root user."""
    assert found["password"]["present"] is seeded["password"]
    assert [(key["id"], key["status"]) for key in found["access_keys"]] == [(key["id"], key["status"]) for key in seeded["access_keys"]]
    assert [(cert["id"], cert["status"]) for cert in found["signing_certificates"]] == [
        (cert["id"], cert["status"]) for cert in seeded["signing_certificates"]]
    assert [(device["serial"], device["type"]) for device in found["mfa_devices"]] == [
        (device["serial"], device["type"]) for device in seeded["mfa_devices"]]
    assert found["compliant"] is (not seeded["has_credentials"])


def assert_clean(root_user: dict) -> None:
    assert not root_user["has_credentials"], root_user
    assert (root_user["password"], root_user["access_keys"], root_user["signing_certificates"], root_user["mfa_devices"]) == (False, [], [], [])


def signing_certificate_bodies(endpoint: str, truth: dict) -> dict:
    """The seeded root users' signing certificate bodies, as IAM gives them to their root user."""
    bodies = {}
    for account in truth["accounts"]:
        if account["state"] != "ACTIVE" or not account["root_user"]["signing_certificates"]:
            continue
        iam = root_client(endpoint, "iam", account["id"], "IAMAuditRootUserCredentials")
        for certificate in iam.list_signing_certificates()["Certificates"]:
            bodies[f"signing certificate {certificate['CertificateId']}"] = certificate["CertificateBody"]
    return bodies


def keys_named(value, names: tuple, path: str = "") -> list:
    """(path, value) of every key in ``names``, at any depth of a JSON document."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if key in names:
                found.append((f"{path}.{key}", item))
            found += keys_named(item, names, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += keys_named(item, names, f"{path}[{index}]")
    return found


def is_module_option(path: str) -> bool:
    """A module's own option (secret_key, session_token) in its invocation, which Ansible shows."""
    return ".invocation.module_args." in f".{path.lstrip('.')}"


# ---------------------------------------------------------------------------
# 1. Throttling


def test_throttling_of_30_percent_of_assume_root_and_iam_calls_is_ridden_out(control, run_playbook):
    truth = control.seed(accounts=30, profile="full", features=[RCM])
    accounts = truth["accounts"]
    assert len(accounts) == 30 and all(account["state"] == "ACTIVE" for account in accounts)
    assert all(account["root_user"]["has_credentials"] for account in accounts)
    sts_rule = control.add_fault(kind="throttle", service="sts", action="AssumeRoot", rate=0.3, seed=1729)
    iam_rule = control.add_fault(kind="throttle", service="iam", rate=0.3, seed=4242)
    assert (sts_rule["code"], iam_rule["code"], iam_rule["action"]) == ("Throttling", "Throttling", "*")
    control.clear_requests()

    audit_run = run_playbook(AUDIT, {"all_accounts": True, "concurrency": 30})

    assert audit_run.returncode == 0, audit_run.stdout + audit_run.stderr
    audit = audit_run.result("audit")
    assert audit["summary"] == {"ok": 30, "changed": 0, "would_change": 0, "skipped": 1, "failed": 0, "total": 31}, audit["summary"]
    results = by_id(audit)
    assert (results[MANAGEMENT]["status"], results[MANAGEMENT]["reason"]) == ("skipped", "management_account")
    for account in accounts:
        result = results[account["id"]]
        assert result["status"] == "ok", result
        assert_found_matches(result["found"], account["root_user"])
    throttled = {}
    for entry in control.requests()["entries"]:
        if entry["rejected"] == "Throttling":
            throttled[entry["service"]] = throttled.get(entry["service"], 0) + 1
    assert throttled.get("sts", 0) > 0 and throttled.get("iam", 0) > 0, throttled
    for account in accounts:
        assert control.root_user(account["id"]) == account["root_user"]

    removal_run = run_playbook(REMOVAL, {"all_accounts": True, "concurrency": 30})

    assert removal_run.returncode == 0, removal_run.stdout + removal_run.stderr
    removal = removal_run.result("removal")
    assert removal["summary"] == {"ok": 0, "changed": 30, "would_change": 0, "skipped": 1, "failed": 0, "total": 31}, removal["summary"]
    results = by_id(removal)
    for account in accounts:
        result = results[account["id"]]
        assert result["status"] == "changed", result
        assert all(step["done"] and step["error"] is None for step in result["actions"]), result
        assert_clean(control.root_user(account["id"]))

    rules = {rule["rule_id"]: rule for rule in control.faults()}
    for rule in (sts_rule, iam_rule):
        counters = rules[rule["rule_id"]]
        assert counters["injected"] > 0, counters
        # A seeded share: some calls failed, most went through.
        assert counters["injected"] < counters["matched"], counters


# ---------------------------------------------------------------------------
# 2. SCP denial


@pytest.mark.parametrize("fail_on_error", [True, False], ids=["fail_on_error", "no_fail_on_error"])
def test_an_scp_denial_fails_exactly_the_denied_accounts(control, run_playbook, fail_on_error):
    truth = control.seed(accounts=9, profile="full", features=[RCM])
    denied = [truth["accounts"][index]["id"] for index in (1, 4, 7)]
    for account_id in denied:
        control.add_fault(kind="scp_deny", service="iam", account=account_id)
    others = [account for account in truth["accounts"] if account["id"] not in denied]

    run = run_playbook(REMOVAL, {"all_accounts": True, "fail_on_error": fail_on_error, "concurrency": 4})

    result = run.result("removal")
    results = by_id(result)
    for account_id in denied:
        entry = results[account_id]
        assert (entry["status"], entry["error_class"], entry["aws_error_code"]) == ("failed", "denied_by_scp", "AccessDenied"), entry
        assert "service control policy" in entry["error_message"]
    for account in others:
        entry = results[account["id"]]
        assert entry["status"] == "changed", entry
        assert all(step["done"] and step["error"] is None for step in entry["actions"]), entry
        assert_clean(control.root_user(account["id"]))
    for account in truth["accounts"]:
        if account["id"] in denied:
            assert control.root_user(account["id"]) == account["root_user"]
    assert result["summary"] == {"ok": 0, "changed": 6, "would_change": 0, "skipped": 1, "failed": 3, "total": 10}, result["summary"]
    assert result["changed"] is True
    injected = sorted((rule["account"], rule["injected"] > 0) for rule in control.faults())
    assert injected == sorted((account_id, True) for account_id in denied)
    if fail_on_error:
        assert run.returncode != 0
        assert result["failed"] is True
        named = ACCOUNT_ID.findall(result["msg"])
        assert sorted(named) == sorted(denied), result["msg"]
        assert result["msg"].startswith("3 of 10 accounts failed"), result["msg"]
    else:
        assert run.returncode == 0, run.stdout + run.stderr
        assert result.get("failed", False) is False


# ---------------------------------------------------------------------------
# 3. Backups put back exactly


def test_a_backup_put_back_by_the_module_restores_the_policy_byte_for_byte(control, emulator, run_playbook, tmp_path):
    truth = control.seed(accounts=10, profile="mixed", features=[RCM, RS])
    endpoint = emulator.endpoint
    bucket_account, queue_account, ordinary_account = (truth["accounts"][index] for index in (LOCKED_BUCKET, LOCKED_QUEUE, ORDINARY_BUCKET))
    bucket, queue, ordinary = bucket_account["buckets"][0], queue_account["queues"][0], ordinary_account["buckets"][0]
    assert (bucket["locked"], queue["locked"], ordinary["locked"]) == (True, True, False)
    backups = tmp_path / "backups"
    backups.mkdir()
    control.clear_requests()

    unlock_bucket = run_playbook(BUCKET_PLAYBOOK, {"steps": [
        {"name": "unlock", "account_id": bucket_account["id"], "bucket": bucket["name"], "backup_dir": str(backups)},
        {"name": "ordinary", "account_id": ordinary_account["id"], "bucket": ordinary["name"], "backup_dir": str(backups)},
    ]})
    assert unlock_bucket.returncode == 0, unlock_bucket.stdout + unlock_bucket.stderr
    bucket_steps = unlock_bucket.result("steps")
    unlock_queue = run_playbook(QUEUE_PLAYBOOK, {"steps": [
        {"name": "unlock", "account_id": queue_account["id"], "queue_name": queue["name"], "backup_dir": str(backups)},
    ]})
    assert unlock_queue.returncode == 0, unlock_queue.stdout + unlock_queue.stderr
    queue_steps = unlock_queue.result("steps")

    backup_files = {}
    for name, result, account_id, resource in (("bucket", bucket_steps["unlock"], bucket_account["id"], bucket),
                                               ("queue", queue_steps["unlock"], queue_account["id"], queue)):
        assert result["changed"] is True and result["locked"] is True and not result.get("failed"), result
        assert result["previous_policy"] == resource["policy"]
        path = pathlib.Path(result["backup_file"])
        assert path.parent == backups and account_id in path.name and resource["name"] in path.name, path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_bytes() == resource["policy"].encode("utf-8"), name
        backup_files[name] = path
    assert read_bucket_policy(endpoint, bucket_account["id"], bucket["name"]) is None
    assert read_queue_policy(endpoint, queue_account["id"], queue["name"]) is None

    # only_if_locked (the default) protects the ordinary, conditional policy: no write, no backup, unchanged.
    guarded = bucket_steps["ordinary"]
    assert guarded["changed"] is False and guarded["locked"] is False and not guarded.get("failed"), guarded
    assert guarded["backup_file"] is None
    assert sorted(path for path in backups.iterdir() if path.name != "MANIFEST.sha256") == sorted(backup_files.values())
    bucket_run, ordinary_run, queue_run = module_runs(control.requests()["entries"])
    assert writes(bucket_run) == ["s3:DeleteBucketPolicy"]
    assert writes(ordinary_run) == []
    assert writes(queue_run) == ["sqs:SetQueueAttributes"]
    assert read_bucket_policy(endpoint, ordinary_account["id"], ordinary["name"]) == ordinary["policy"]

    # The module puts each backup back, as read by the file lookup.
    restore = {"state": "present", "only_if_locked": False}
    restore_bucket = run_playbook(BUCKET_PLAYBOOK, {"steps": [{
        "name": "restore", "account_id": bucket_account["id"], "bucket": bucket["name"], **restore,
        "policy": "{{ lookup('ansible.builtin.file', '%s') }}" % backup_files["bucket"]}]})
    restore_queue = run_playbook(QUEUE_PLAYBOOK, {"steps": [{
        "name": "restore", "account_id": queue_account["id"], "queue_name": queue["name"], **restore,
        "policy": "{{ lookup('ansible.builtin.file', '%s') }}" % backup_files["queue"]}]})
    for run in (restore_bucket, restore_queue):
        assert run.returncode == 0, run.stdout + run.stderr
        result = run.result("steps")["restore"]
        assert result["changed"] is True and not result.get("failed"), result
        assert result["previous_policy"] is None
    assert read_bucket_policy(endpoint, bucket_account["id"], bucket["name"]).encode("utf-8") == bucket["policy"].encode("utf-8")
    assert read_queue_policy(endpoint, queue_account["id"], queue["name"]).encode("utf-8") == queue["policy"].encode("utf-8")
    assert read_bucket_policy(endpoint, ordinary_account["id"], ordinary["name"]) == ordinary["policy"]


# ---------------------------------------------------------------------------
# 4. No secret at -vvvv


def test_no_root_secret_shows_at_verbosity_4(control, emulator, run_playbook, tmp_path):
    truth = control.seed(accounts=10, profile="mixed", features=[RCM, RS])
    endpoint = emulator.endpoint
    bucket_account, queue_account = truth["accounts"][LOCKED_BUCKET], truth["accounts"][LOCKED_QUEUE]
    bucket, queue = bucket_account["buckets"][0], queue_account["queues"][0]
    certificates = signing_certificate_bodies(endpoint, truth)
    assert len(certificates) == 3, certificates
    backups = tmp_path / "backups"
    backups.mkdir()
    log_path = tmp_path / "ansible.log"
    control.clear_requests()

    run = run_playbook(NO_SECRETS_PLAYBOOK, {"bucket_account_id": bucket_account["id"], "bucket": bucket["name"],
                                             "queue_account_id": queue_account["id"], "queue_name": queue["name"],
                                             "backup_dir": str(backups)},
                       verbosity=4, env={"ANSIBLE_LOG_PATH": str(log_path)})

    assert run.returncode == 0, run.stdout + run.stderr
    assert set(run.results) == {"audit", "plan", "removal", "recovery", "bucket", "queue"}
    for name, result in run.results.items():
        assert not result.get("failed"), (name, result)
        # debug_botocore_endpoint_logs reached the module (amazon.aws lists https endpoints only, so the list may be empty).
        assert isinstance(result["resource_actions"], list), (name, result)
    assert run.results["plan"]["summary"]["would_change"] == run.results["removal"]["summary"]["changed"] == 7
    assert run.results["recovery"]["summary"]["changed"] == 9
    assert run.results["bucket"]["changed"] is True and run.results["queue"]["changed"] is True
    backup_files = sorted(backups.iterdir())  # the two backups and their manifest, all searched below
    assert [path.name for path in backup_files].count("MANIFEST.sha256") == 1 and len(backup_files) == 3
    # Every module opened root sessions (the test's own, for the certificates, are among them too).
    log = control.requests()
    assert log["by_action"]["sts:AssumeRoot"] >= 4 * 9 + 2
    assert "Remove root user credentials" in log_path.read_text()

    secrets = {**issued_secrets(endpoint), **certificates}
    sessions = [name for name in secrets if name.startswith("session token")]
    assert len(sessions) >= log["by_action"]["sts:AssumeRoot"], len(sessions)
    for name, value in certificates.items():
        # The body's random line, which shows whole even where the body's newlines are escaped.
        secrets[f"{name} (its random line)"] = value.splitlines()[1]
    assert all(len(value) >= 16 for value in secrets.values()), secrets

    outputs = {"stdout": run.stdout, "stderr": run.stderr, "ANSIBLE_LOG_PATH": log_path.read_text()}
    outputs.update({f"{name}.json": json.dumps(result) for name, result in run.results.items()})
    outputs.update({f"results file {path.name}": path.read_text() for path in (tmp_path / "results").iterdir()})
    outputs.update({f"backup file {path.name}": path.read_text() for path in backup_files})
    assert not leaks(outputs, secrets), leaks(outputs, secrets)

    # No key that would carry a secret, but for the modules' own (masked) options in their invocation.
    for name, result in run.results.items():
        for path, value in keys_named(result, SECRET_KEYS):
            assert is_module_option(path) and value in (None, MASKED), (name, path)
    for where, text in outputs.items():
        for key in SECRET_KEYS[:2] + ("CertificateBody",):
            assert f'"{key}"' not in text and f"'{key}'" not in text, f"{key} shows in {where}"
        assert "-----BEGIN CERTIFICATE-----" not in text, f"a certificate shows in {where}"
        for key in SECRET_KEYS[2:]:
            for value in re.findall(rf'"{key}": ("[^"]*"|null)', text):
                assert value in ("null", f'"{MASKED}"'), f"{key} shows in {where} as {value}"
