"""Fidelity with a client nobody here wrote: the AWS CLI (v1), run as a subprocess.

The steps are those of the AWS launch post and of the practitioner article the
project started from (the AWS CLI walkthrough, then a bash loop that deletes
every member's root password). Each step asserts on the CLI's parsed JSON
output, then on the emulator's own state through its control API.

The CLI runs with an environment of PATH, HOME (an empty temporary directory),
AWS_ENDPOINT_URL, the test credentials, AWS_DEFAULT_REGION and AWS_PAGER only
(plus AWS_SESSION_TOKEN when it acts with a root session): nothing moto-specific.

One quirk of the client shapes the commands: aws-cli v1 ignores AWS_ENDPOINT_URL
for ``aws sqs`` (aws/aws-cli#8737: its sslCommonName customization pins
https://queue.amazonaws.com unless --endpoint-url is given), so the SQS steps
pass --endpoint-url. The timestamps it prints are the wire's (epoch seconds in
the JSON protocols), as aws-cli v1 does against AWS too.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from baseline_loop import BASELINE_LOOP, BASELINE_LOOP_SHA256
from rootguard_emulator.client import EmulatorClient

AWS = shutil.which("aws", path=os.path.dirname(sys.executable)) or shutil.which("aws")
REPO = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
MANAGEMENT_ACCOUNT = "123456789012"
TASK_POLICY = "arn:aws:iam::aws:policy/root-task/{}"
FEATURES = ["RootCredentialsManagement", "RootSessions"]
# The brief's six accounts of the mixed cycle hold a locked bucket but no locked
# queue; the eighth (seed.MIXED_CYCLE[7]) has both.
ACCOUNTS = 8
CLI_TIMEOUT = 60


@pytest.fixture(autouse=True)
def _aws_cli(require_tool):
    require_tool(AWS, "the aws CLI (awscli in requirements-dev.txt) is neither next to this python nor on PATH")


needs_jq = pytest.mark.usefixtures("jq_on_path")

# What an issued secret looks like: a session token is a long run of base64 (random from its
# first character: nothing to search for but its shape), a secret access key 40 characters of it.
TOKEN_LIKE = re.compile(r"[A-Za-z0-9/+]{64,}")
SECRET_LIKE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


class Cli:
    """The aws CLI in a subprocess, with an environment of only what it needs."""

    def __init__(self, aws: str, endpoint: str, home: Path):
        self.aws = aws
        self.endpoint = endpoint
        self.env = {
            "PATH": os.pathsep.join([os.path.dirname(aws), os.environ.get("PATH", os.defpath)]),
            "HOME": str(home),
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "AWS_PAGER": "",
        }

    def environment(self, session: dict[str, str] | None = None) -> dict[str, str]:
        env = dict(self.env)
        if session is not None:
            env.update(AWS_ACCESS_KEY_ID=session["AccessKeyId"], AWS_SECRET_ACCESS_KEY=session["SecretAccessKey"],
                       AWS_SESSION_TOKEN=session["SessionToken"])
        return env

    def run(self, *args: str, session: dict[str, str] | None = None) -> subprocess.CompletedProcess:
        return subprocess.run([self.aws, *args], env=self.environment(session), capture_output=True, text=True,
                              timeout=CLI_TIMEOUT, check=False)

    def json(self, *args: str, session: dict[str, str] | None = None) -> dict[str, Any]:
        done = self.run(*args, session=session)
        assert done.returncode == 0, f"aws {' '.join(args)} exited {done.returncode}: {done.stderr}"
        return json.loads(done.stdout) if done.stdout.strip() else {}

    def fails(self, *args: str, session: dict[str, str] | None = None) -> str:
        done = self.run(*args, session=session)
        assert done.returncode != 0, f"aws {' '.join(args)} succeeded: {done.stdout}"
        return done.stderr

    def assume_root(self, account_id: str, task_policy: str) -> dict[str, str]:
        return self.json("sts", "assume-root", "--target-principal", account_id,
                         "--task-policy-arn", f"arn={TASK_POLICY.format(task_policy)}")["Credentials"]


@pytest.fixture
def cli(emulator_server, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    return Cli(AWS, emulator_server.endpoint, home)


def seed(control: EmulatorClient, enabled: bool = True) -> dict[str, Any]:
    """The mixed organization; ``enabled``: with IAM trusted access and both features."""
    if enabled:
        return control.seed(accounts=ACCOUNTS, profile="mixed", trusted_access=True, features=FEATURES)
    return control.seed(accounts=ACCOUNTS, profile="mixed")


def first(truth: dict[str, Any], predicate) -> dict[str, Any]:
    return next(account for account in truth["accounts"] if account["state"] == "ACTIVE" and predicate(account))


def locked(account: dict[str, Any], kind: str) -> dict[str, Any] | None:
    return next((resource for resource in account[kind] if resource["locked"]), None)


def calls(log: dict[str, Any], action: str) -> list[dict[str, Any]]:
    service, name = action.split(":")
    return [entry for entry in log["entries"] if entry["service"] == service and entry["action"] == name]


def without_password(root_user: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in root_user.items() if key not in ("password", "has_credentials")}


def test_enable_root_access_like_the_launch_post(control, cli):
    truth = seed(control, enabled=False)
    assert control.organization()["trusted_access"] == []

    assert cli.json("organizations", "enable-aws-service-access", "--service-principal", "iam.amazonaws.com") == {}
    assert control.organization()["trusted_access"] == ["iam.amazonaws.com"]

    services = cli.json("organizations", "list-aws-service-access-for-organization")["EnabledServicePrincipals"]
    assert [service["ServicePrincipal"] for service in services] == ["iam.amazonaws.com"]
    assert services[0]["DateEnabled"]

    enabled = cli.json("iam", "enable-organizations-root-credentials-management")
    assert enabled == {"OrganizationId": truth["organization_id"], "EnabledFeatures": ["RootCredentialsManagement"]}
    assert control.organization()["enabled_features"] == ["RootCredentialsManagement"]

    enabled = cli.json("iam", "enable-organizations-root-sessions")
    assert enabled["OrganizationId"] == truth["organization_id"]
    assert sorted(enabled["EnabledFeatures"]) == FEATURES  # AWS lists them in no particular order
    assert control.organization()["enabled_features"] == FEATURES

    features = cli.json("iam", "list-organizations-features")
    assert features["OrganizationId"] == truth["organization_id"]
    assert sorted(features["EnabledFeatures"]) == FEATURES

    log = control.requests()
    assert [f"{e['service']}:{e['action']}" for e in log["entries"]] == [
        "organizations:EnableAWSServiceAccess",
        "organizations:ListAWSServiceAccessForOrganization",
        "iam:EnableOrganizationsRootCredentialsManagement",
        "iam:EnableOrganizationsRootSessions",
        "iam:ListOrganizationsFeatures",
    ]
    assert all(entry["caller_account"] == MANAGEMENT_ACCOUNT and entry["rejected"] is None for entry in log["entries"])


def test_accounts_with_paths_and_without_status(control, cli):
    """The CLI's bundled botocore knows Account.Paths (not IAM's organization-level resources
    nor AssumeRoot's token sizes, which tests/emulator/test_newer_api.py covers through boto3)."""
    truth = seed(control, enabled=False)
    member = truth["accounts"][1]
    listed = {account["Id"]: account for account in cli.json("organizations", "list-accounts")["Accounts"]}
    assert all(account["Status"] == account["State"] for account in listed.values())
    path = listed[member["id"]]["Paths"][0]
    assert path.startswith(f"{truth['organization_id']}/{truth['root_id']}/") and path.endswith(f"/{member['id']}/")
    assert path.count("/ou-") == member["ou_path"].count("/") - 1

    control.configure_api(account_status=False)
    listed = cli.json("organizations", "list-accounts")["Accounts"]
    assert len(listed) == ACCOUNTS + 1
    assert all("Status" not in account and account["State"] and account["Paths"] for account in listed)
    active = cli.json("organizations", "list-accounts", "--query", "Accounts[?State=='ACTIVE'].Id")
    assert sorted(active) == sorted([MANAGEMENT_ACCOUNT] + [a["id"] for a in truth["accounts"] if a["state"] == "ACTIVE"])
    # a filter on the retired field selects nothing, as it would in AWS
    assert cli.json("organizations", "list-accounts", "--query", "Accounts[?Status=='ACTIVE'].Id") == []
    described = cli.json("organizations", "describe-account", "--account-id", member["id"])["Account"]
    assert "Status" not in described and described["Paths"] == [path]


def test_audit_session_reads_the_root_user(control, cli):
    truth = seed(control)
    member = first(truth, lambda account: account["credentials"] == "full")["id"]
    before = control.root_user(member)

    session = cli.assume_root(member, "IAMAuditRootUserCredentials")
    assert session["AccessKeyId"].startswith("ASIA")
    assert TOKEN_LIKE.fullmatch(session["SessionToken"].rstrip("="))
    expires = datetime.datetime.fromisoformat(session["Expiration"].replace("Z", "+00:00"))
    remaining = expires - datetime.datetime.now(datetime.timezone.utc)
    assert datetime.timedelta(minutes=14) < remaining <= datetime.timedelta(minutes=15)
    [assume] = calls(control.requests(), "sts:AssumeRoot")
    assert (assume["account"], assume["caller_account"], assume["rejected"]) == (member, MANAGEMENT_ACCOUNT, None)

    identity = cli.json("sts", "get-caller-identity", session=session)
    assert identity["Arn"].endswith(f":{member}:root")
    assert identity == {"UserId": member, "Account": member, "Arn": f"arn:aws:iam::{member}:root"}

    keys = cli.json("iam", "list-access-keys", session=session)["AccessKeyMetadata"]
    assert [(key["AccessKeyId"], key["Status"]) for key in keys] == [(key["id"], key["status"]) for key in before["access_keys"]]
    profile = cli.json("iam", "get-login-profile", session=session)["LoginProfile"]
    assert before["password"] and profile["CreateDate"]
    devices = cli.json("iam", "list-mfa-devices", session=session)["MFADevices"]
    assert sorted(device["SerialNumber"] for device in devices) == sorted(device["serial"] for device in before["mfa_devices"])
    certificates = cli.json("iam", "list-signing-certificates", session=session)["Certificates"]
    assert [c["CertificateId"] for c in certificates] == [c["id"] for c in before["signing_certificates"]]

    # The audit task is read-only.
    stderr = cli.fails("iam", "delete-login-profile", session=session)
    assert "(AccessDenied) when calling the DeleteLoginProfile operation" in stderr
    assert control.root_user(member) == before
    log = control.requests()
    root_calls = [entry for entry in log["entries"] if entry["principal"] == "root"]
    assert {entry["account"] for entry in root_calls} == {member}
    assert {entry["task_policy"] for entry in root_calls} == {"IAMAuditRootUserCredentials"}
    assert [entry["rejected"] for entry in calls(log, "iam:DeleteLoginProfile")] == ["AccessDenied"]


def test_unlock_a_locked_bucket_policy(control, cli):
    truth = seed(control)
    owner = first(truth, lambda account: locked(account, "buckets") is not None)
    bucket = locked(owner, "buckets")
    root_before = control.root_user(owner["id"])

    # Nobody but the member's root user may read a policy that denies everyone.
    stderr = cli.fails("s3api", "get-bucket-policy", "--bucket", bucket["name"])
    assert "(AccessDenied) when calling the GetBucketPolicy operation" in stderr
    assert [entry["rejected"] for entry in calls(control.requests(), "s3:GetBucketPolicy")] == ["AccessDenied"]

    session = cli.assume_root(owner["id"], "S3UnlockBucketPolicy")
    policy = cli.json("s3api", "get-bucket-policy", "--bucket", bucket["name"], session=session)["Policy"]
    assert json.loads(policy) == json.loads(bucket["policy"])

    assert cli.json("s3api", "delete-bucket-policy", "--bucket", bucket["name"], session=session) == {}
    [delete] = calls(control.requests(), "s3:DeleteBucketPolicy")
    assert (delete["principal"], delete["task_policy"], delete["account"], delete["rejected"]) == (
        "root", "S3UnlockBucketPolicy", owner["id"], None)

    stderr = cli.fails("s3api", "get-bucket-policy", "--bucket", bucket["name"], session=session)
    assert "(NoSuchBucketPolicy)" in stderr
    # Unlocked: the management account's credentials are no longer denied, and find no policy either.
    stderr = cli.fails("s3api", "get-bucket-policy", "--bucket", bucket["name"])
    assert "(NoSuchBucketPolicy)" in stderr
    assert control.root_user(owner["id"]) == root_before


def test_unlock_a_locked_queue_policy(control, cli):
    truth = seed(control)
    owner = first(truth, lambda account: locked(account, "queues") is not None)
    queue = locked(owner, "queues")
    endpoint = ("--endpoint-url", cli.endpoint)  # aws/aws-cli#8737, see the module docstring

    session = cli.assume_root(owner["id"], "SQSUnlockQueuePolicy")
    [url] = cli.json("sqs", "list-queues", *endpoint, session=session)["QueueUrls"]
    assert url.endswith(f"/{owner['id']}/{queue['name']}")
    attributes = cli.json("sqs", "get-queue-attributes", *endpoint, "--queue-url", url, "--attribute-names", "Policy", session=session)
    assert json.loads(attributes["Attributes"]["Policy"]) == json.loads(queue["policy"])

    # As the article types it, through a shell: Policy="" reaches SQS as an empty Policy, which removes it.
    command = f'aws sqs set-queue-attributes --endpoint-url {shlex.quote(cli.endpoint)} --queue-url {shlex.quote(url)} --attributes Policy=""'
    done = subprocess.run(["bash", "-c", command], env=cli.environment(session), capture_output=True, text=True,
                          timeout=CLI_TIMEOUT, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, "", "")
    [change] = calls(control.requests(), "sqs:SetQueueAttributes")
    assert (change["principal"], change["task_policy"], change["account"], change["rejected"]) == (
        "root", "SQSUnlockQueuePolicy", owner["id"], None)

    attributes = cli.json("sqs", "get-queue-attributes", *endpoint, "--queue-url", url, "--attribute-names", "All", session=session)
    assert "Policy" not in attributes["Attributes"]
    assert attributes["Attributes"]["QueueArn"] == queue["arn"]


def test_locked_queue_denies_the_management_account(control, cli):
    truth = seed(control)
    owner = first(truth, lambda account: locked(account, "queues") is not None)
    url = f"{cli.endpoint}/{owner['id']}/{locked(owner, 'queues')['name']}"
    stderr = cli.fails("sqs", "get-queue-attributes", "--endpoint-url", cli.endpoint, "--queue-url", url, "--attribute-names", "Policy")
    assert "(AccessDenied) when calling the GetQueueAttributes operation" in stderr


def test_task_policy_arn_without_arn_equals_fails_in_the_client(control, cli):
    truth = seed(control)
    member = first(truth, lambda account: True)["id"]
    since = control.requests()["count"]
    stderr = cli.fails("sts", "assume-root", "--target-principal", member,
                       "--task-policy-arn", TASK_POLICY.format("IAMAuditRootUserCredentials"))
    assert "Error parsing parameter '--task-policy-arn': Expected: '='" in stderr
    log = control.requests(since)
    assert calls(log, "sts:AssumeRoot") == []
    assert log["count"] == 0  # the CLI sent nothing at all


@needs_jq
def test_the_articles_bash_loop_as_written(control, cli, tmp_path):
    """The baseline the collection replaces, run verbatim. What it gets wrong:

    - it continues past every error and still exits 0: the suspended member's
      AssumeRoot is refused, each member without a password answers
      NoSuchEntity, and nothing records which accounts were done;
    - after a refused AssumeRoot it exports *empty* credentials, so the next
      call falls through the credential chain (config files, instance
      metadata): on a machine with other credentials, delete-login-profile
      would act as whoever those are;
    - it exports each root session's secret access key and token into the
      environment of every process it starts, and leaves BACKUP_AWS_* copies
      of the caller's credentials exported;
    - it deletes login profiles only: root access keys, signing certificates
      and MFA devices stay, and it never audits before or after;
    - it has no check mode: the first run changes every account.
    """
    assert hashlib.sha256(BASELINE_LOOP.encode()).hexdigest() == BASELINE_LOOP_SHA256
    truth = seed(control)
    members = [account["id"] for account in truth["accounts"]]
    active = {account["id"] for account in truth["accounts"] if account["state"] == "ACTIVE"}
    suspended = [account["id"] for account in truth["accounts"] if account["state"] != "ACTIVE"]
    assert suspended
    before = {member: control.root_user(member) for member in members}
    with_password = {member for member in active if before[member]["password"]}
    assert with_password and active - with_password

    script = tmp_path / "delete-root-passwords.sh"
    script.write_text(BASELINE_LOOP, encoding="utf-8")
    since = control.requests()["count"]
    done = subprocess.run(["bash", str(script)], env=cli.environment(), cwd=tmp_path, capture_output=True, text=True,
                          timeout=180, check=False)
    log = control.requests(since)
    after = {member: control.root_user(member) for member in members}

    # No error handling: it exits 0 whatever happened, and prints nothing on success.
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""

    # Every active member that had a password has none now; nothing else changed.
    for member in members:
        assert without_password(after[member]) == without_password(before[member]), member
        if member in with_password:
            assert not after[member]["password"], member
        else:
            assert after[member]["password"] == before[member]["password"], member

    # It tried every member, the suspended ones included, and told only on stderr.
    assert sorted(entry["account"] for entry in calls(log, "sts:AssumeRoot")) == members
    for member in suspended:
        assert re.search(rf"\(AccessDenied\) when calling the AssumeRoot operation: .*{member}", done.stderr), done.stderr
        assert after[member]["password"] == before[member]["password"]
    deletes = calls(log, "iam:DeleteLoginProfile")
    root_deletes = [entry for entry in deletes if entry["principal"] == "root"]
    assert sorted(entry["account"] for entry in root_deletes) == sorted(active)
    assert {entry["task_policy"] for entry in root_deletes} == {"IAMDeleteRootUserCredentials"}
    assert done.stderr.count("(NoSuchEntity) when calling the DeleteLoginProfile operation") == len(active - with_password)
    # The only writes are the login-profile deletions.
    assert {f"{e['service']}:{e['action']}" for e in log["entries"] if e["write"]} == {"iam:DeleteLoginProfile"}


@needs_jq
def test_cli_walkthrough_runs_without_printing_a_secret(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    env = {
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), os.path.dirname(AWS), os.environ.get("PATH", os.defpath)]),
        "HOME": str(home),
        "TMPDIR": str(tmp_path),
    }
    done = subprocess.run(["bash", str(REPO / "tests" / "emulator" / "cli_walkthrough.sh")], cwd=REPO, env=env, capture_output=True,
                          text=True, timeout=180, check=False)
    output = done.stdout + done.stderr
    assert done.returncode == 0, output

    steps = re.findall(r"^==> Step (\d+): ", done.stdout, flags=re.MULTILINE)
    assert steps == [str(number) for number in range(1, len(steps) + 1)] and len(steps) >= 8
    assert re.search(r"acting as arn:aws:iam::\d{12}:root$", done.stdout, flags=re.MULTILINE)
    assert re.search(r"session expires at \d{4}-\d\d-\d\dT", done.stdout)
    assert "console password: none" in done.stdout
    assert "NoSuchBucketPolicy" in done.stdout
    assert "in check mode first" in done.stdout

    # No secret: no session token, nothing shaped like a secret access key, no credential field names.
    assert TOKEN_LIKE.findall(output) == []
    assert SECRET_LIKE.findall(output) == []
    assert not re.search(r"SecretAccessKey|SessionToken|AWS_SECRET_ACCESS_KEY=|AWS_SESSION_TOKEN=", output)

    # The EXIT trap stopped the emulator and removed the temporary directory.
    pid = int(re.search(r"\(pid (\d+)\)", done.stdout).group(1))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not list(tmp_path.glob("rootguard-demo.*"))
