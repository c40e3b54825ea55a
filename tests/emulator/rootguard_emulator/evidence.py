"""What the tests read back from a running emulator to judge a run: its request log, the
policies as a member account's root user sees them, and every secret it issued."""

from __future__ import annotations

import boto3
from botocore.exceptions import ClientError

from . import secrecy
from .server import serves_in_this_process

REGION = "us-east-1"
TASK_POLICY_ARN = "arn:aws:iam::aws:policy/root-task/{}"


# ---------------------------------------------------------------------------
# The request log (EmulatorClient.requests()["requests"])


def action(entry: dict) -> str:
    return f"{entry['service']}:{entry['action']}"


def writes(entries: list) -> list:
    return [action(entry) for entry in entries if entry["write"]]


def count(entries: list, name: str) -> int:
    return sum(1 for entry in entries if action(entry) == name)


def module_runs(entries: list) -> list:
    """The request log cut into module runs: every module of the collection starts with the
    caller's sts:GetCallerIdentity (a root session's own GetCallerIdentity starts nothing)."""
    runs: list = []
    for entry in entries:
        if action(entry) == "sts:GetCallerIdentity" and entry["principal"] == "iam":
            runs.append([])
        assert runs, f"a request before the first GetCallerIdentity: {entry}"
        runs[-1].append(entry)
    return runs


# ---------------------------------------------------------------------------
# The emulator's state, as a member account's root user sees it


def root_client(endpoint: str, service: str, account_id: str, task_policy: str):
    """A client of a new root session in ``account_id`` under the root-task policy ``task_policy``."""
    sts = boto3.client("sts", endpoint_url=endpoint, region_name=REGION, aws_access_key_id="testing", aws_secret_access_key="testing")
    credentials = sts.assume_root(TargetPrincipal=account_id, TaskPolicyArn={"arn": TASK_POLICY_ARN.format(task_policy)},
                                  DurationSeconds=900)["Credentials"]
    return boto3.client(service, endpoint_url=endpoint, region_name=REGION, aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])


def queue_url(endpoint: str, account_id: str, name: str) -> str:
    """The URL the emulator gives a queue (what GetQueueUrl returns)."""
    return f"{endpoint}/{account_id}/{name}"


def read_bucket_policy(endpoint: str, account_id: str, bucket: str) -> str | None:
    """The bucket policy as AWS returns it, read from a fresh root session; None only for NoSuchBucketPolicy."""
    client = root_client(endpoint, "s3", account_id, "S3UnlockBucketPolicy")
    try:
        return client.get_bucket_policy(Bucket=bucket)["Policy"]
    except ClientError as error:
        if error.response["Error"]["Code"] == "NoSuchBucketPolicy":
            return None
        raise


def read_queue_policy(endpoint: str, account_id: str, name: str) -> str | None:
    """The queue policy as AWS returns it, read from a fresh root session; None when there is no Policy attribute."""
    client = root_client(endpoint, "sqs", account_id, "SQSUnlockQueuePolicy")
    attributes = client.get_queue_attributes(QueueUrl=queue_url(endpoint, account_id, name), AttributeNames=["Policy"])
    return attributes.get("Attributes", {}).get("Policy")


# ---------------------------------------------------------------------------
# Secrets


def model_data(endpoint: str) -> dict:
    """moto's dump of every backend's models, secrets included, read in this process: no
    endpoint serves the secrets (``/moto-api/data.json`` is the dump without them)."""
    if not serves_in_this_process(endpoint):
        raise LookupError(f"{endpoint} is not served by an emulator in this process (EmulatorServer): "
                          "the secrets it issued are read in-process only")
    return secrecy.model_data()


def issued_secrets(endpoint: str) -> dict:
    """Every secret the emulator at ``endpoint`` (served by this process) holds, by what it is:
    the secret keys and session tokens of the root sessions, assumed roles and other temporary
    credentials it issued, and the secret keys of every IAM access key (the root users' own
    included)."""
    data = model_data(endpoint)
    secrets: dict = {}
    for session in data.get("sts_ext", {}).get("RootSession", []):
        secrets[f"secret key of root session {session['access_key_id']}"] = session["secret_access_key"]
        secrets[f"session token of root session {session['access_key_id']}"] = session["session_token"]
    for role in data.get("sts", {}).get("AssumedRole", []):
        secrets.setdefault(f"secret key of assumed role {role['access_key_id']}", role["secret_access_key"])
        secrets.setdefault(f"session token of assumed role {role['access_key_id']}", role["session_token"])
    for token in data.get("sts", {}).get("Token", []):
        if "session_token" in token:
            secrets.setdefault(f"secret key of temporary credentials {token['access_key_id']}", token["secret_access_key"])
            secrets.setdefault(f"session token of temporary credentials {token['access_key_id']}", token["session_token"])
    for key in data.get("iam", {}).get("AccessKey", []):
        secrets.setdefault(f"secret key of access key {key['access_key_id']}", key["secret_access_key"])
    return secrets


def leaks(texts: dict, secrets: dict) -> list:
    """Where a secret, or its first 16 characters, shows in ``texts`` (name -> text)."""
    found = []
    for where, text in texts.items():
        for what, value in secrets.items():
            if value[:16] in text:
                found.append(f"{'the' if value in text else 'part of the'} {what} shows in {where}")
    return found
