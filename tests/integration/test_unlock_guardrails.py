"""The unlock role (rootguard.aws.resource_policy_unlock) against the emulator's SCPs and RCPs, through real
ansible-playbook runs (playbooks/unlock_guardrails.yml): the role checks the guardrails on the bucket's or queue's
Region before any root session and any backup, stops when they block the unlock, naming the policy, the statement,
where it is attached and the remedy; and root_bucket_policy given the bucket's Region makes no ListBuckets.

- AWS's sample SCP that denies the root user everything but the three bucket-policy calls: the unlock with the
  bucket's Region given works (no s3:ListBuckets in the root session); without it, the role stops before any root
  session and says to give the Region, and the module itself (check skipped) fails saying the same.
- A Region-deny SCP: the unlock of a bucket or queue in a denied Region stops before any root session; in an
  allowed Region it works. A queue URL's Region is the one judged, whatever the connection's Region.
- An RCP that denies sqs:SetQueueAttributes to root users: the queue unlock stops, naming the RCP.
- Check mode: the same decisions, and no write call.

Sources: IAM User Guide, "Policy evaluation logic"; Organizations User Guide, "SCP evaluation" and "Resource control
policies (RCPs)"; Amazon S3 API Reference, "ListBuckets" (s3:ListAllMyBuckets)."""

from __future__ import annotations

import json
import stat

import boto3
import pytest

from rootguard_emulator import policy_examples as examples
from conftest import REGION
from rootguard_emulator.evidence import TASK_POLICY_ARN, action, read_bucket_policy, writes
from test_guardrails_prediction import RCP, SCP, attach_published, lock_bucket_and_queue, organization, root_sessions

PLAYBOOK = "unlock_guardrails.yml"
ALLOWED_REGION = "eu-west-1"
MANIFEST = "MANIFEST.sha256"

# Source: aws-samples/service-control-policy-examples @ 4a0774b :
#   Privileged-access-controls/Deny-the-root-user-from-performing-actions-except-S3-bucketpolicy-changes.json
SCP_DENY_ROOT_EXCEPT_BUCKET_POLICY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "NotAction": [
                "s3:GetBucketPolicy",
                "s3:PutBucketPolicy",
                "s3:DeleteBucketPolicy"
            ],
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "aws:PrincipalArn": "arn:aws:iam::*:root"
                }
            }
        }
    ]
}

# Our own: no queue policy changes by root users, whatever the principal's session.
RCP_DENY_ROOT_QUEUE_POLICY_CHANGES = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "DenyRootQueuePolicyChanges", "Effect": "Deny", "Principal": "*", "Action": "sqs:SetQueueAttributes",
                   "Resource": "*", "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}}],
}


def backup_dir(tmp_path):
    directory = tmp_path / "backups"
    directory.mkdir(mode=0o700, exist_ok=True)
    return directory


def backups(directory) -> list:
    return sorted(path for path in directory.iterdir() if path.name != MANIFEST)


def unlock(run_playbook, account_id: str, directory, check: bool = False, env: dict | None = None, **target) -> dict:
    run = run_playbook(PLAYBOOK, extra_vars={"account_id": account_id, "backup_dir": str(directory), **target}, check=check, env=env)
    assert "unlock" in run.results, run.stdout[-4000:] + run.stderr[-2000:]
    return run.result("unlock")


def root_session_client(emulator, service: str, account_id: str, task_policy: str, region: str):
    sts = boto3.client("sts", endpoint_url=emulator.endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    issued = sts.assume_root(TargetPrincipal=account_id, TaskPolicyArn={"arn": TASK_POLICY_ARN.format(task_policy)})["Credentials"]
    return boto3.client(service, endpoint_url=emulator.endpoint, region_name=region, aws_access_key_id=issued["AccessKeyId"],
                        aws_secret_access_key=issued["SecretAccessKey"], aws_session_token=issued["SessionToken"])


def queue_policy(emulator, account_id: str, name: str, region: str) -> str | None:
    sqs = root_session_client(emulator, "sqs", account_id, "SQSUnlockQueuePolicy", region)
    url = sqs.get_queue_url(QueueName=name, QueueOwnerAWSAccountId=account_id)["QueueUrl"]
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"]).get("Attributes", {}).get("Policy")


def assert_nothing_done(entries: list, directory) -> None:
    """No root session, no write call, no backup."""
    assert "sts:AssumeRoot" not in [action(entry) for entry in entries]
    assert writes(entries) == []
    assert backups(directory) == []


# ---------------------------------------------------------------------------
# AWS's sample SCP that leaves the root user the bucket-policy calls only


def test_sample_root_scp_bucket_unlock_with_its_region_given_makes_no_list_buckets(emulator, control, run_playbook, tmp_path):
    truth, target, _other = organization(control)
    bucket, _queue = lock_bucket_and_queue(emulator, target["id"], REGION)
    locked = read_bucket_policy(emulator.endpoint, target["id"], bucket)
    attach_published(emulator, truth, SCP, SCP_DENY_ROOT_EXCEPT_BUCKET_POLICY, target["parent_id"])
    directory = backup_dir(tmp_path)

    control.clear_requests()
    checked = unlock(run_playbook, target["id"], directory, check=True, bucket=bucket, region=REGION)
    assert (checked["failed"], checked["result"]["changed"]) == (False, True), checked
    entries = control.requests()["entries"]
    assert writes(entries) == [] and backups(directory) == []
    assert [action(entry) for session in root_sessions(entries) for entry in session] == ["s3:GetBucketPolicy"]

    control.clear_requests()
    done = unlock(run_playbook, target["id"], directory, bucket=bucket, region=REGION)
    assert (done["failed"], done["result"]["changed"]) == (False, True), done
    entries = control.requests()["entries"]
    [session] = root_sessions(entries)
    assert [(action(entry), bool(entry["rejected"])) for entry in session] == [
        ("s3:GetBucketPolicy", False), ("s3:GetBucketPolicy", False), ("s3:DeleteBucketPolicy", False)]
    assert read_bucket_policy(emulator.endpoint, target["id"], bucket) is None
    [backup] = backups(directory)
    assert str(backup) == done["result"]["backup_file"]
    assert backup.read_bytes() == locked.encode("utf-8")
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600


def test_sample_root_scp_bucket_unlock_without_its_region(emulator, control, run_playbook, tmp_path):
    truth, target, _other = organization(control)
    bucket, _queue = lock_bucket_and_queue(emulator, target["id"], REGION)
    locked = read_bucket_policy(emulator.endpoint, target["id"], bucket)
    policy = attach_published(emulator, truth, SCP, SCP_DENY_ROOT_EXCEPT_BUCKET_POLICY, target["parent_id"])
    directory = backup_dir(tmp_path)

    # The role: stopped by its check, before any root session.
    for check in (True, False):
        control.clear_requests()
        stopped = unlock(run_playbook, target["id"], directory, check=check, bucket=bucket)
        assert stopped["failed"] is True, stopped
        assert stopped["task"] == "Stop when the guardrails deny finding the bucket's Region, which none was given for"
        assert stopped["msg"] == (
            f"The organization's guardrails deny s3:ListAllMyBuckets to root sessions of account {target['id']} (SCP published "
            f"({policy['Id']}), statement 0, attached to {target['parent_id']}): root_bucket_policy lists the buckets only to find the "
            "bucket's Region when none is given. Give resource_policy_unlock_region (the bucket's Region) and the unlock makes no "
            "such call. Nothing was done (no root session, no backup).")
        assert_nothing_done(control.requests()["entries"], directory)

    # The module itself (the role's check skipped): ListBuckets refused, and the message says to give region.
    control.clear_requests()
    failed = unlock(run_playbook, target["id"], directory, bucket=bucket, guardrails=False)
    assert (failed["failed"], failed["error_class"]) == (True, "denied_by_scp"), failed
    assert failed["msg"].startswith(
        f"bucket: finding the Region of {bucket} needs ListBuckets (s3:ListAllMyBuckets), which was denied; give region (the bucket's "
        "Region) and the module goes to the bucket directly, without listing. A service control policy denies this action.")
    entries = control.requests()["entries"]
    [session] = root_sessions(entries)
    assert [(action(entry), bool(entry["rejected"])) for entry in session] == [("s3:ListAllMyBuckets", True)]
    assert writes(entries) == [] and backups(directory) == []
    assert read_bucket_policy(emulator.endpoint, target["id"], bucket) == locked


# ---------------------------------------------------------------------------
# A Region-deny SCP


def region_deny_remedy(policy: dict) -> str:
    return (f"statement 0 of SCP published ({policy['Id']}) denies requests outside the Regions eu-central-1, eu-west-1")


@pytest.mark.parametrize("kind", ["bucket", "queue"])
def test_region_deny_scp_stops_the_unlock_before_any_root_session(emulator, control, run_playbook, tmp_path, kind):
    truth, target, _other = organization(control)
    names = {region: lock_bucket_and_queue(emulator, target["id"], region) for region in (REGION, ALLOWED_REGION)}
    policy = attach_published(emulator, truth, SCP, examples.fill(examples.SCP_DENY_BY_REQUESTED_REGION), target["parent_id"])
    directory = backup_dir(tmp_path)
    task = "S3UnlockBucketPolicy" if kind == "bucket" else "SQSUnlockQueuePolicy"
    denied = ["s3:GetBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketPolicy"] if kind == "bucket" else [
        "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes"]

    def target_in(region: str) -> dict:
        bucket, queue = names[region]
        return {"bucket": bucket, "region": region} if kind == "bucket" else {"queue_name": queue, "region": region}

    for check in (True, False):
        control.clear_requests()
        stopped = unlock(run_playbook, target["id"], directory, check=check, **target_in(REGION))
        assert (stopped["failed"], stopped["task"]) == (True, "Stop when the guardrails block the unlock"), stopped
        message = stopped["msg"]
        assert message.startswith(f"The organization's guardrails block {task} in account {target['id']} (Region {REGION}), so nothing "
                                  "was done (no root session, no backup). ")
        for name in denied:
            assert (f"SCP published ({policy['Id']}), statement 0, attached to {target['parent_id']}, denies {name} in {REGION}."
                    in message), message
        assert f"Remedy: {region_deny_remedy(policy)}" in message
        assert message.endswith("To unlock without this check, set resource_policy_unlock_guardrails to false.")
        assert_nothing_done(control.requests()["entries"], directory)

    control.clear_requests()
    done = unlock(run_playbook, target["id"], directory, **target_in(ALLOWED_REGION))
    assert (done["failed"], done["result"]["changed"]) == (False, True), done
    [session] = root_sessions(control.requests()["entries"])
    assert not [entry for entry in session if entry["rejected"]]
    assert len(backups(directory)) == 1
    if kind == "queue":
        assert queue_policy(emulator, target["id"], names[ALLOWED_REGION][1], ALLOWED_REGION) is None


def test_region_deny_scp_judges_the_region_a_queue_url_names(emulator, control, run_playbook, tmp_path):
    """The connection's Region is an allowed one; the URL names us-east-1, which is denied: the role judges us-east-1."""
    truth, target, _other = organization(control)
    _bucket, queue = lock_bucket_and_queue(emulator, target["id"], REGION)
    policy = attach_published(emulator, truth, SCP, examples.fill(examples.SCP_DENY_BY_REQUESTED_REGION), target["parent_id"])
    directory = backup_dir(tmp_path)
    control.clear_requests()
    stopped = unlock(run_playbook, target["id"], directory, env={"AWS_DEFAULT_REGION": ALLOWED_REGION},
                     queue_url=f"https://sqs.{REGION}.amazonaws.com/{target['id']}/{queue}")
    assert (stopped["failed"], stopped["task"]) == (True, "Stop when the guardrails block the unlock"), stopped
    assert f"(Region {REGION})" in stopped["msg"] and f"SCP published ({policy['Id']}), statement 0" in stopped["msg"]
    assert_nothing_done(control.requests()["entries"], directory)


# ---------------------------------------------------------------------------
# An RCP on queue policy changes by root users


def test_rcp_denying_queue_policy_changes_stops_the_queue_unlock(emulator, control, run_playbook, tmp_path):
    truth, target, _other = organization(control)
    _bucket, queue = lock_bucket_and_queue(emulator, target["id"], REGION)
    policy = attach_published(emulator, truth, RCP, RCP_DENY_ROOT_QUEUE_POLICY_CHANGES, target["parent_id"])
    directory = backup_dir(tmp_path)
    for check in (True, False):
        control.clear_requests()
        stopped = unlock(run_playbook, target["id"], directory, check=check, queue_name=queue)
        assert (stopped["failed"], stopped["task"]) == (True, "Stop when the guardrails block the unlock"), stopped
        assert stopped["msg"].startswith(
            f"The organization's guardrails block SQSUnlockQueuePolicy in account {target['id']} (Region {REGION}), so nothing was done "
            f"(no root session, no backup). RCP published ({policy['Id']}), statement DenyRootQueuePolicyChanges, attached to "
            f"{target['parent_id']}, denies sqs:SetQueueAttributes in {REGION}. Remedy: statement DenyRootQueuePolicyChanges of RCP "
            f"published ({policy['Id']}) denies root users"), stopped["msg"]
        assert_nothing_done(control.requests()["entries"], directory)
    # Still locked: read in a root session (the RCP denies only SetQueueAttributes).
    assert json.loads(queue_policy(emulator, target["id"], queue, REGION))["Statement"][0]["Sid"] == "DenyEveryone"


# ---------------------------------------------------------------------------
# Uncertain: the role says so and goes ahead


def test_an_uncertain_check_goes_ahead_saying_what_is_uncertain(emulator, control, run_playbook, tmp_path):
    """AWS's sample SCP that protects named buckets from DeleteBucketPolicy: the check cannot know which bucket the task
    is for, so it is uncertain; on a bucket it does not protect, the unlock goes ahead and works."""
    truth, target, _other = organization(control)
    bucket, _queue = lock_bucket_and_queue(emulator, target["id"], REGION)
    protecting = examples.fill(examples.SCP_DENY_DELETING_S3_BUCKETS_OR_OBJECTS, {**examples.LANDING_ZONE, "[BUCKET_TO_PROTECT]": "protected-bucket"})
    attach_published(emulator, truth, SCP, protecting, target["parent_id"])
    directory = backup_dir(tmp_path)
    control.clear_requests()
    run = run_playbook(PLAYBOOK, extra_vars={"account_id": target["id"], "backup_dir": str(directory), "bucket": bucket, "region": REGION})
    done = run.result("unlock")
    assert (done["failed"], done["result"]["changed"]) == (False, True), done
    assert f"The guardrails may block S3UnlockBucketPolicy in account {target['id']} (Region {REGION}); going ahead." in run.stdout
    assert read_bucket_policy(emulator.endpoint, target["id"], bucket) is None
    assert len(backups(directory)) == 1
