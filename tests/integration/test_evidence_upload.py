"""Evidence that outlives the job: the audit's reports and the unlock's policy backups uploaded to an
S3 bucket with amazon.aws's s3_object, through real ansible-playbook runs against the emulator.

The objects are read back with boto3 from the emulator's S3 and compared byte for byte with the
local files; the request log shows which S3 calls were made (none under --check, none for a bad
bucket name). A denied upload is a bucket policy with an explicit Deny of s3:PutObject, which the
emulator's S3 (moto) enforces on object calls as AWS does."""

from __future__ import annotations

import json
import pathlib
import re
import shutil
import tempfile

import boto3
import pytest

from conftest import OLDER_CORES, REGION
from rootguard_emulator.evidence import action
from test_resource_policies import BUCKET, read_policy

REPO = pathlib.Path(__file__).resolve().parents[2]
AUDIT = str(REPO / "playbooks" / "audit_organization.yml")
UNLOCK = str(REPO / "playbooks" / "unlock_bucket_policy.yml")
RCM = "RootCredentialsManagement"
FEATURES = [RCM, "RootSessions"]
EVIDENCE = "rootguard-evidence"
REPORTS = ("root-credentials-audit.json", "root-credentials-audit.csv", "root-credentials-audit.html")
RUN_PREFIX = re.compile(r"^root-credentials-audit/(o-[a-z0-9]+)/\d{8}T\d{6}Z-[0-9a-f]{8}$")
STATS = {"ANSIBLE_SHOW_CUSTOM_STATS": "true"}


def client(emulator, service: str):
    return boto3.client(service, endpoint_url=emulator.endpoint, region_name=REGION,
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def make_bucket(emulator, name: str = EVIDENCE) -> str:
    client(emulator, "s3").create_bucket(Bucket=name)
    return name


def objects(emulator, bucket: str = EVIDENCE) -> dict:
    """Key -> (bytes, the HeadObject response) of every object in the bucket."""
    s3 = client(emulator, "s3")
    keys = [item["Key"] for item in s3.list_objects_v2(Bucket=bucket).get("Contents", [])]
    return {key: (s3.get_object(Bucket=bucket, Key=key)["Body"].read(), s3.head_object(Bucket=bucket, Key=key)) for key in keys}


def custom_stats(run) -> dict:
    """The run's set_stats data, as the default callback prints them with ANSIBLE_SHOW_CUSTOM_STATS."""
    (line,) = [line for line in run.stdout.splitlines() if line.startswith("\tRUN: ")]
    return json.loads(line[len("\tRUN: "):])


# The IAM action that authorizes a call the emulator logs by its operation name (Service Authorization Reference,
# Amazon S3: HeadBucket is authorized by s3:ListBucket).
IAM_ACTION = {"s3:HeadBucket": "s3:ListBucket"}
EVIDENCE_POLICY = json.loads((REPO / "docs" / "evidence-policy.json").read_text(encoding="utf-8"))


def assert_the_evidence_policy_grants(calls: list) -> None:
    granted = {name for statement in EVIDENCE_POLICY["Statement"] for name in statement["Action"]}
    needed = {IAM_ACTION.get(call, call) for call in calls}
    assert needed and needed <= granted, f"missing from docs/evidence-policy.json: {sorted(needed - granted)}"


def s3_calls(control) -> list:
    return [action(entry) for entry in control.requests()["entries"] if entry["service"] == "s3"]


def audit(run_playbook, report_dir: pathlib.Path, check: bool = False, env: dict | None = None, core: str | None = None, **variables):
    return run_playbook(AUDIT, {"rootguard_report_dir": str(report_dir), **variables}, check=check, env={**STATS, **(env or {})}, core=core)


def seeded(control) -> dict:
    return control.seed(accounts=6, profile="mixed", features=[RCM], trusted_access=True)


def local_reports(report_dir: pathlib.Path) -> dict:
    return {name: (report_dir / name).read_bytes() for name in REPORTS}


def unchanged(stored: dict) -> dict:
    """What would differ, had an object been written again: its bytes, ETag and time."""
    return {key: (body, head["ETag"], head["LastModified"]) for key, (body, head) in stored.items()}


def by_prefix(stored: dict) -> dict:
    prefixes: dict = {}
    for key, (body, head) in stored.items():
        prefix, name = key.rsplit("/", 1)
        prefixes.setdefault(prefix, {})[name] = (body, head)
    return prefixes


# ---------------------------------------------------------------------------
# The audit's reports


def test_reports_are_uploaded_byte_for_byte_with_sse_s3_and_a_second_run_adds_a_prefix(control, emulator, run_playbook, tmp_path):
    truth = seeded(control)
    make_bucket(emulator)
    report_dir = tmp_path / "reports"

    first = audit(run_playbook, report_dir, rootguard_evidence_bucket=EVIDENCE)
    assert first.returncode == 0, first.stdout[-4000:] + first.stderr[-2000:]
    first_reports = local_reports(report_dir)
    [(first_prefix, first_objects)] = list(by_prefix(objects(emulator)).items())
    assert RUN_PREFIX.match(first_prefix).group(1) == truth["organization_id"]
    assert {name: body for name, (body, _head) in first_objects.items()} == first_reports
    assert {head["ServerSideEncryption"] for _body, head in first_objects.values()} == {"AES256"}

    stats = custom_stats(first)
    summary = json.loads(first_reports["root-credentials-audit.json"])["summary"]
    assert stats["rootguard_audit_summary"] == summary
    assert stats["rootguard_audit_organization_id"] == truth["organization_id"]
    evidence = stats["rootguard_audit_evidence"]
    assert (evidence["bucket"], evidence["prefix"], evidence["encryption"], evidence["uploaded"]) == (EVIDENCE, first_prefix, "AES256", True)
    assert {item["uri"] for item in evidence["objects"]} == {f"s3://{EVIDENCE}/{first_prefix}/{name}" for name in REPORTS}
    assert {item["file"] for item in evidence["objects"]} == {str(report_dir / name) for name in REPORTS}
    assert f"s3://{EVIDENCE}/{first_prefix}/" in first.stdout
    # The presigned URLs s3_object returns carry the caller's key: they are not in the output.
    assert "X-Amz-Credential" not in first.stdout and "AWSAccessKeyId" not in first.stdout

    second = audit(run_playbook, report_dir, rootguard_evidence_bucket=EVIDENCE)
    assert second.returncode == 0, second.stdout[-4000:]
    prefixes = by_prefix(objects(emulator))
    assert len(prefixes) == 2 and unchanged(prefixes[first_prefix]) == unchanged(first_objects)
    [second_prefix] = set(prefixes) - {first_prefix}
    assert RUN_PREFIX.match(second_prefix)
    assert {name: body for name, (body, _head) in prefixes[second_prefix].items()} == local_reports(report_dir)


@pytest.mark.parametrize("core", [None, *OLDER_CORES])
def test_a_kms_key_encrypts_the_uploaded_reports(core, control, emulator, run_playbook, tmp_path):
    seeded(control)
    make_bucket(emulator)
    key_arn = client(emulator, "kms").create_key(Description="evidence")["KeyMetadata"]["Arn"]
    report_dir = tmp_path / "reports"
    control.clear_requests()

    run = audit(run_playbook, report_dir, core=core, rootguard_evidence_bucket=EVIDENCE, rootguard_evidence_kms_key_id=key_arn,
                rootguard_evidence_prefix="/audits/root/", rootguard_report_formats=["json", "csv"])

    assert run.returncode == 0, run.stdout[-4000:]
    stored = objects(emulator)
    assert {key.rpartition("/")[2]: body for key, (body, _head) in stored.items()} == {
        name: (report_dir / name).read_bytes() for name in REPORTS[:2]}
    assert all(key.startswith("audits/root/o-") for key in stored)
    assert {(head["ServerSideEncryption"], head["SSEKMSKeyId"]) for _body, head in stored.values()} == {("aws:kms", key_arn)}
    evidence = custom_stats(run)["rootguard_audit_evidence"]
    assert (evidence["encryption"], evidence["kms_key_id"]) == ("aws:kms", key_arn)
    assert "s3:PutObject" in s3_calls(control)
    assert_the_evidence_policy_grants(s3_calls(control))


def test_check_mode_uploads_nothing_and_says_what_it_would_upload(control, emulator, run_playbook, tmp_path):
    seeded(control)
    make_bucket(emulator)
    control.clear_requests()
    report_dir = tmp_path / "reports"

    run = audit(run_playbook, report_dir, check=True, rootguard_evidence_bucket=EVIDENCE)

    assert run.returncode == 0, run.stdout[-4000:]
    assert "s3:PutObject" not in s3_calls(control)
    assert not [entry for entry in control.requests()["entries"] if entry["write"]]
    assert objects(emulator) == {}
    assert all((report_dir / name).is_file() for name in REPORTS)
    assert f"Check mode: nothing uploaded; the run would upload s3://{EVIDENCE}/root-credentials-audit/o-" in run.stdout
    evidence = custom_stats(run)["rootguard_audit_evidence"]
    assert evidence["uploaded"] is False and len(evidence["objects"]) == 3


def deny_uploads(emulator, bucket: str) -> None:
    client(emulator, "s3").put_bucket_policy(Bucket=bucket, Policy=json.dumps({
        "Version": "2012-10-17",
        "Statement": [{"Sid": "NoUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]}))


@pytest.mark.parametrize("bucket_state", ["missing", "denied"])
def test_a_missing_or_denying_bucket_fails_naming_it_after_the_reports_are_written(bucket_state, control, emulator, run_playbook, tmp_path):
    seeded(control)
    bucket = "rootguard-no-such-bucket" if bucket_state == "missing" else make_bucket(emulator)
    if bucket_state == "denied":
        deny_uploads(emulator, bucket)
    report_dir = tmp_path / "reports"

    run = audit(run_playbook, report_dir, rootguard_evidence_bucket=bucket)

    assert run.returncode != 0
    assert f"could not be uploaded to the evidence bucket {bucket}:" in run.stdout
    assert re.search(rf"s3://{bucket}/root-credentials-audit/o-[a-z0-9]+/\d{{8}}T\d{{6}}Z-[0-9a-f]{{8}}/root-credentials-audit\.json", run.stdout)
    assert all((report_dir / name).is_file() for name in REPORTS)
    assert f"The reports are written locally: {report_dir / REPORTS[0]}" in run.stdout
    if bucket_state == "denied":
        assert objects(emulator, bucket) == {}
    # The play's closing summary still tells where the local reports are.
    assert f"json: {report_dir / REPORTS[0]}" in run.stdout


@pytest.mark.parametrize("name", ["Evidence_Bucket", "s3://rootguard-evidence", "ab", "192.168.10.20", "rootguard..evidence",
                                  "xn--rootguard", "rootguard-evidence-", "rootguard-s3alias"])
def test_a_bad_bucket_name_fails_before_any_api_call(name, control, emulator, run_playbook, tmp_path):
    seeded(control)
    control.clear_requests()
    report_dir = tmp_path / "reports"

    run = audit(run_playbook, report_dir, rootguard_evidence_bucket=name)

    assert run.returncode != 0
    assert f"root_credentials_audit_evidence_bucket: {json.dumps(name)} is not an S3 bucket name" in run.stdout
    assert "Nothing was done." in run.stdout
    assert control.requests()["entries"] == []
    assert not any((report_dir / report).exists() for report in REPORTS)


def test_a_bad_prefix_kms_key_and_region_fail_before_any_api_call_each_named(control, emulator, run_playbook, tmp_path):
    seeded(control)
    control.clear_requests()

    run = audit(run_playbook, tmp_path / "reports", rootguard_evidence_bucket=EVIDENCE, rootguard_evidence_prefix="audit/../other",
                rootguard_evidence_kms_key_id="my key", rootguard_evidence_region="Europe")

    assert run.returncode != 0
    assert ('root_credentials_audit_evidence_prefix must be key name segments of letters, digits and !_.*()- separated by '
            "'/', at most 512 characters, not \"audit/../other\".") in run.stdout
    assert 'root_credentials_audit_evidence_kms_key_id must be a KMS key id, key ARN, alias name or alias ARN, not "my key".' in run.stdout
    assert 'such as eu-west-1, not "Europe". Nothing was done.' in run.stdout
    assert control.requests()["entries"] == []


@pytest.mark.parametrize(("env", "variables", "expected"), [
    ({"AWS_DEFAULT_REGION": "", "AWS_REGION": ""}, {}, "us-east-1"),
    ({"AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": ""}, {}, "eu-west-1"),
    ({"AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-central-1"}, {}, "eu-central-1"),
    ({"AWS_DEFAULT_REGION": "eu-west-1", "AWS_REGION": "eu-central-1"}, {"rootguard_evidence_region": "us-east-1"}, "us-east-1"),
], ids=["fallback", "default-region", "region", "role-variable"])
def test_the_upload_takes_its_region_from_the_usual_sources(env, variables, expected, control, emulator, run_playbook, tmp_path):
    seeded(control)
    make_bucket(emulator)

    run = audit(run_playbook, tmp_path / "reports", env=env, rootguard_evidence_bucket=EVIDENCE, **variables)

    assert run.returncode == 0, run.stdout[-4000:]
    assert "You must specify a region" not in run.stdout
    assert custom_stats(run)["rootguard_audit_evidence"]["region"] == expected
    assert len(objects(emulator)) == 3


def test_without_a_bucket_the_summary_is_still_published_and_nothing_is_uploaded(control, emulator, run_playbook, tmp_path):
    seeded(control)
    control.clear_requests()
    report_dir = tmp_path / "reports"

    run = audit(run_playbook, report_dir)

    assert run.returncode == 0, run.stdout[-4000:]
    assert s3_calls(control) == []
    stats = custom_stats(run)
    assert set(stats) == {"rootguard_audit_summary", "rootguard_audit_organization_id"}
    assert stats["rootguard_audit_summary"] == json.loads((report_dir / REPORTS[0]).read_text())["summary"]


# ---------------------------------------------------------------------------
# The playbooks that audit on the way: harden_organization.yml and harden_accounts_per_host.yml


def test_harden_organization_uploads_the_audits_before_and_after(control, emulator, run_playbook, tmp_path):
    truth = control.seed(accounts=6, profile="full")
    make_bucket(emulator)
    reports = tmp_path / "reports"

    run = run_playbook(str(REPO / "playbooks" / "harden_organization.yml"), env=STATS, extra_vars={
        "rootguard_confirm": True, "rootguard_report_dir": str(reports), "rootguard_evidence_bucket": EVIDENCE,
        "rootguard_evidence_prefix": "harden"})

    assert run.returncode == 0, run.stdout[-4000:]
    [run_dir] = (reports / "runs").iterdir()
    prefixes = by_prefix(objects(emulator))
    assert len(prefixes) == 2 and all(prefix.startswith(f"harden/{truth['organization_id']}/") for prefix in prefixes)
    uploaded = {name: body for stored in prefixes.values() for name, (body, _head) in stored.items()}
    # The reports (not the modules' whole results beside them).
    assert uploaded == {path.name: path.read_bytes() for path in run_dir.glob("root-credentials-*.*") if not path.name.endswith("-result.json")}
    assert {name.split(".")[0] for name in uploaded} == {"root-credentials-before", "root-credentials-after"}
    # The last audit of the run is the one published: the audit after the removal.
    after = json.loads((run_dir / "root-credentials-after.json").read_text())
    assert custom_stats(run)["rootguard_audit_summary"] == after["summary"]


def test_harden_accounts_per_host_uploads_the_run_s_evidence(control, emulator, run_playbook, tmp_path):
    truth = control.seed(accounts=4, profile="full", features=FEATURES, trusted_access=True)
    make_bucket(emulator)
    inventory = tmp_path / "org.organization_accounts.yml"
    inventory.write_text(json.dumps({"plugin": "rootguard.aws.organization_accounts", "all_accounts": True}))
    reports = tmp_path / "reports"
    active = {account["id"] for account in truth["accounts"] if account["state"] == "ACTIVE"}

    run = run_playbook(str(REPO / "playbooks" / "harden_accounts_per_host.yml"), inventory=str(inventory), extra_vars={
        "rootguard_confirm": True, "rootguard_report_dir": str(reports), "rootguard_evidence_bucket": EVIDENCE})

    assert run.returncode == 0, run.stdout[-4000:]
    # One bulk run for the hosts: one prefix, the reports of the audit after the removal, which list every account.
    [stored] = list(by_prefix(objects(emulator)).values())
    [run_dir] = (reports / "runs").iterdir()
    assert {name: body for name, (body, _head) in stored.items()} == {
        f"root-credentials-after-removal.{fmt}": (run_dir / f"root-credentials-after-removal.{fmt}").read_bytes() for fmt in ("json", "csv", "html")}
    assert {row["id"] for row in json.loads(stored["root-credentials-after-removal.json"][0])["accounts"]} == active


# ---------------------------------------------------------------------------
# The unlock's policy backups


def locked_bucket(control) -> tuple:
    truth = control.seed(accounts=10, profile="mixed", features=FEATURES, trusted_access=True)
    account = truth["accounts"][BUCKET.locked[0]]
    return account, BUCKET.resource(account)


@pytest.fixture
def short_tmp():
    path = pathlib.Path(tempfile.mkdtemp(prefix="rg-"))
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.mark.parametrize("core", [None, *OLDER_CORES])
def test_a_backup_uploaded_by_the_unlock_is_restored_from_s3(core, control, emulator, run_playbook, tmp_path, short_tmp):
    account, bucket = locked_bucket(control)
    make_bucket(emulator)
    key_arn = client(emulator, "kms").create_key(Description="backups")["KeyMetadata"]["Arn"]
    backups = tmp_path / "backups"
    variables = {"rootguard_account_id": account["id"], "rootguard_bucket": bucket["name"], "rootguard_backup_dir": str(backups),
                 "rootguard_evidence_bucket": EVIDENCE, "rootguard_evidence_kms_key_id": key_arn}

    unlock = run_playbook(UNLOCK, extra_vars=variables, core=core)

    assert unlock.returncode == 0, unlock.stdout[-4000:]
    assert read_policy(emulator.endpoint, BUCKET, account["id"], bucket["name"]) is None
    [backup] = [path for path in backups.iterdir() if path.name != "MANIFEST.sha256"]
    stored = objects(emulator)
    [backup_key] = [key for key in stored if key.endswith("/" + backup.name)]
    assert re.fullmatch(rf"policy-backups/{account['id']}/\d{{8}}T\d{{6}}Z-[0-9a-f]{{8}}/{re.escape(backup.name)}", backup_key)
    prefix = backup_key.rpartition("/")[0]
    assert set(stored) == {backup_key, f"{prefix}/MANIFEST.sha256"}
    assert stored[backup_key][0] == backup.read_bytes() == bucket["policy"].encode()
    manifest_line = stored[f"{prefix}/MANIFEST.sha256"][0].decode()
    assert manifest_line in (backups / "MANIFEST.sha256").read_text()
    assert {(head["ServerSideEncryption"], head["SSEKMSKeyId"]) for _body, head in stored.values()} == {("aws:kms", key_arn)}
    assert f"It is uploaded to s3://{EVIDENCE}/{backup_key}" in unlock.stdout

    # A later job, without the local backup: the restore takes it from the bucket.
    backup.unlink()
    (backups / "MANIFEST.sha256").unlink()
    control.clear_requests()
    # A short directory: Ansible puts a socket under TMPDIR, and a socket's path may not exceed 107 characters
    # (pytest's tmp_path under xdist is longer).
    temporary = short_tmp
    restore = run_playbook(UNLOCK, extra_vars={**variables, "rootguard_restore_from": f"s3://{EVIDENCE}/{backup_key}",
                                               "rootguard_evidence_kms_key_id": ""}, env={"TMPDIR": str(temporary)}, core=core)

    assert restore.returncode == 0, restore.stdout[-4000:]
    assert read_policy(emulator.endpoint, BUCKET, account["id"], bucket["name"]).encode() == bucket["policy"].encode()
    assert "s3:PutBucketPolicy" in [action(entry) for entry in control.requests()["entries"]]
    downloads = [action(entry) for entry in control.requests()["entries"] if entry["service"] == "s3" and entry["principal"] == "iam"]
    assert "s3:PutObject" not in downloads
    assert_the_evidence_policy_grants(downloads)
    assert list(temporary.iterdir()) == []  # the private directory the backup was brought into is gone


def test_a_backup_changed_in_the_bucket_is_not_restored(control, emulator, run_playbook, tmp_path):
    account, bucket = locked_bucket(control)
    make_bucket(emulator)
    variables = {"rootguard_account_id": account["id"], "rootguard_bucket": bucket["name"], "rootguard_backup_dir": str(tmp_path / "backups"),
                 "rootguard_evidence_bucket": EVIDENCE}
    assert run_playbook(UNLOCK, extra_vars=variables).returncode == 0
    [backup_key] = [key for key in objects(emulator) if not key.endswith("/MANIFEST.sha256")]
    public = json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                                                "Resource": f"arn:aws:s3:::{bucket['name']}/*"}]})
    client(emulator, "s3").put_object(Bucket=EVIDENCE, Key=backup_key, Body=public.encode())

    restore = run_playbook(UNLOCK, extra_vars={**variables, "rootguard_restore_from": f"s3://{EVIDENCE}/{backup_key}"})

    assert restore.returncode != 0
    assert "the file was changed after the backup was written; it was not restored" in restore.stdout
    assert read_policy(emulator.endpoint, BUCKET, account["id"], bucket["name"]) is None


def test_a_restore_from_a_key_that_is_not_there_names_it(control, emulator, run_playbook, tmp_path):
    account, bucket = locked_bucket(control)
    make_bucket(emulator)
    missing = f"s3://{EVIDENCE}/policy-backups/{account['id']}/20260101T000000Z-00000000/nothing.json"

    restore = run_playbook(UNLOCK, extra_vars={"rootguard_account_id": account["id"], "rootguard_bucket": bucket["name"],
                                               "rootguard_backup_dir": str(tmp_path / "backups"), "rootguard_restore_from": missing})

    assert restore.returncode != 0
    assert f"{missing} could not be downloaded" in restore.stdout
    assert "Nothing was restored." in restore.stdout


def test_the_unlock_refuses_a_bad_evidence_bucket_before_any_api_call(control, emulator, run_playbook, tmp_path):
    account, bucket = locked_bucket(control)
    control.clear_requests()

    run = run_playbook(UNLOCK, extra_vars={"rootguard_account_id": account["id"], "rootguard_bucket": bucket["name"],
                                           "rootguard_backup_dir": str(tmp_path / "backups"), "rootguard_evidence_bucket": "Bad_Bucket"})

    assert run.returncode != 0
    assert 'resource_policy_unlock_evidence_bucket: "Bad_Bucket" is not an S3 bucket name' in run.stdout
    assert control.requests()["entries"] == []


def test_a_denied_backup_upload_fails_naming_the_key_and_keeps_the_local_backup(control, emulator, run_playbook, tmp_path):
    account, bucket = locked_bucket(control)
    deny_uploads(emulator, make_bucket(emulator))
    backups = tmp_path / "backups"

    run = run_playbook(UNLOCK, extra_vars={"rootguard_account_id": account["id"], "rootguard_bucket": bucket["name"],
                                           "rootguard_backup_dir": str(backups), "rootguard_evidence_bucket": EVIDENCE})

    assert run.returncode != 0
    [backup] = [path for path in backups.iterdir() if path.name != "MANIFEST.sha256"]
    assert f"its backup is in {backup}" in run.stdout
    assert re.search(rf"s3://{EVIDENCE}/policy-backups/{account['id']}/\S+/{re.escape(backup.name)}", run.stdout)
    assert backup.read_bytes() == bucket["policy"].encode()
    assert objects(emulator) == {}
