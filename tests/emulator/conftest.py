"""Fixtures: the emulator in-process (moto's mock) and over HTTP (a threaded server)."""

from __future__ import annotations

import os
import shutil

import boto3
import pytest
from moto import mock_aws

from rootguard_emulator import install
from rootguard_emulator.client import EmulatorClient
from rootguard_emulator.seed import seed
from rootguard_emulator.server import EmulatorServer
from rootguard_emulator.state import STATE

REGION = "us-east-1"
TASK_POLICY = "arn:aws:iam::aws:policy/root-task/{}"
MANAGEMENT_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}

for _name in ("AWS_PROFILE", "AWS_ENDPOINT_URL", "MOTO_ACCOUNT_ID", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
    os.environ.pop(_name, None)
os.environ.setdefault("AWS_DEFAULT_REGION", REGION)


class Aws:
    """Client factory for one emulator mode: ``endpoint`` is None in-process."""

    def __init__(self, endpoint: str | None):
        self.endpoint = endpoint
        self.session = boto3.session.Session()

    def client(self, service: str, credentials: dict | None = None, region: str = REGION, **config):
        kwargs = dict(MANAGEMENT_CREDENTIALS if credentials is None else credentials)
        if self.endpoint:
            kwargs["endpoint_url"] = self.endpoint
        if config:
            from botocore.config import Config

            kwargs["config"] = Config(**config)
        return self.session.client(service, region_name=region, **kwargs)

    def seed(self, **options) -> dict:
        """Seed an organization (see rootguard_emulator.seed.seed) and return its truth."""
        return self.control.seed(**options) if self.endpoint else seed(**options)

    def member_credentials(self, account_id: str) -> dict:
        """Credentials of an administrator inside a member account (not its root user)."""
        response = self.client("sts").assume_role(
            RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="emulator-tests"
        )
        return root_credentials(response["Credentials"])

    def expire_sessions(self, account_id: str | None = None) -> int:
        return self.control.expire_sessions(account_id) if self.endpoint else STATE.expire_root_sessions(account_id)

    def assume_root(self, account_id: str, task_policy: str, duration: int = 900, credentials: dict | None = None) -> dict:
        sts = self.client("sts", credentials)
        response = sts.assume_root(
            TargetPrincipal=account_id, TaskPolicyArn={"arn": TASK_POLICY.format(task_policy)}, DurationSeconds=duration
        )
        return root_credentials(response["Credentials"])


def root_credentials(credentials: dict) -> dict:
    return {
        "aws_access_key_id": credentials["AccessKeyId"],
        "aws_secret_access_key": credentials["SecretAccessKey"],
        "aws_session_token": credentials["SessionToken"],
    }


def _require_tool(found: str | None, missing: str) -> str:
    """``found`` (a tool's path); without it the test skips, or fails when the environment variable
    CI is set: on a fresh machine, a check that needs an outside tool must not pass by not running."""
    if found:
        return found
    if os.environ.get("CI"):
        pytest.fail(f"{missing}; CI is set, so this fails instead of skipping (`make tools` installs jq, `make venv` the aws CLI)")
    pytest.skip(missing)


@pytest.fixture
def require_tool():
    return _require_tool


@pytest.fixture
def jq_on_path() -> str:
    return _require_tool(shutil.which("jq"), "jq is not on PATH (the seed's loop and cli_walkthrough.sh use it)")


@pytest.fixture
def inprocess():
    """The emulator inside this process: boto3 calls are intercepted by moto."""
    install()
    with mock_aws():
        yield Aws(None)


@pytest.fixture(scope="session")
def emulator_server():
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def control(emulator_server):
    """The emulator's control API, with the emulator reset before and after the test."""
    client = EmulatorClient(emulator_server.endpoint)
    client.reset()
    yield client
    client.reset()


@pytest.fixture
def http(emulator_server, control):
    """The emulator over HTTP on 127.0.0.1, reset before each test."""
    aws = Aws(emulator_server.endpoint)
    aws.control = control
    yield aws


@pytest.fixture(params=["inprocess", "http"])
def aws(request):
    """Runs a test in both modes."""
    yield request.getfixturevalue(request.param)
