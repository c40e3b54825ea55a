# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Fixtures for the module_utils unit tests: a hermetic AWS environment, and a
ClientFactory whose clients answer from botocore Stubbers (no network)."""

from __future__ import annotations

import datetime
import os
import pathlib
import pickle
import shutil
import tempfile
import types

import boto3
import botocore.endpoint
import pytest
from botocore.stub import Stubber
from moto import mock_aws

import rootguard_emulator

from ansible_collections.rootguard.aws.plugins.module_utils import clients

CONNECTION = {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "x"}


@pytest.fixture(autouse=True)
def hermetic_aws_environment(monkeypatch, tmp_path):
    """No AWS_* variable, profile, config or credentials file of the machine leaks into a test."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "MOTO_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))


def known_to_botocore(shape, value):
    """``value`` with only the members ``shape`` (of the installed botocore's model) has, as botocore's
    parser keeps them from a response (an older botocore does not see fields AWS added since)."""
    if shape is None:
        return value
    if shape.type_name == "structure" and isinstance(value, dict):
        return {name: item if name == "ResponseMetadata" else known_to_botocore(shape.members[name], item)
                for name, item in value.items() if name in shape.members or name == "ResponseMetadata"}
    if shape.type_name == "list" and isinstance(value, list):
        return [known_to_botocore(shape.member, item) for item in value]
    if shape.type_name == "map" and isinstance(value, dict):
        return {key: known_to_botocore(shape.value, item) for key, item in value.items()}
    return value


class StubbedAws:
    """A ClientFactory whose clients are real boto3 clients (made by the factory, so with
    its configuration and retry handler) answered by botocore Stubbers.

    Every response a test expects is queued with the exact parameters of the request;
    ``calls`` logs every operation made, in order, as ``service:Operation``; ``verify()``
    (run after each test) checks that every queued response was consumed."""

    management_id = "111111111111"
    delegated_id = "222222222222"
    member_id = "333333333333"
    organization_id = "o-a1b2c3d4e5"
    root_id = "r-a1b2"

    def __init__(self, factory: clients.ClientFactory):
        self.factory = factory
        self.calls = []
        self._make_client = factory.client
        self._clients = {}
        self._stubbers = {}

    def client(self, service: str, credentials: dict | None = None, region: str | None = None):
        if service not in self._clients:
            self._prepare(service, credentials, region)
        return self._clients[service]

    def _prepare(self, service: str, credentials: dict | None = None, region: str | None = None):
        client = self._make_client(service, credentials, region)
        # Registered before the Stubber's own handler, so even a call the Stubber refuses is logged.
        client.meta.events.register("before-parameter-build", self._log)
        stubber = Stubber(client)
        stubber.activate()
        self._clients[service] = client
        self._stubbers[service] = stubber

    def _log(self, model, **kwargs):  # pylint: disable=unused-argument
        self.calls.append(f"{model.service_model.service_name}:{model.name}")

    def stubber(self, service: str) -> Stubber:
        if service not in self._stubbers:
            self._prepare(service)
        return self._stubbers[service]

    def respond(self, service: str, method: str, response: dict, **params) -> None:
        """Queue ``response`` (what AWS sends) for one ``method`` call made with exactly ``params``, as the
        installed botocore parses it: the fields its service model does not know yet are dropped."""
        stubber = self.stubber(service)
        model = self._clients[service].meta
        output = model.service_model.operation_model(model.method_to_api_mapping[method]).output_shape
        stubber.add_response(method, known_to_botocore(output, response), expected_params=params)

    def fail(self, service: str, method: str, code: str, message: str = "", status: int = 400,
             modeled_fields: dict | None = None, **params) -> None:
        """Queue an AWS error for one ``method`` call made with exactly ``params``."""
        self.stubber(service).add_client_error(
            method, service_error_code=code, service_message=message, http_status_code=status,
            expected_params=params, modeled_fields=modeled_fields,
        )

    def verify(self) -> None:
        for stubber in self._stubbers.values():
            stubber.assert_no_pending_responses()

    def writes(self) -> list:
        return [call for call in self.calls if not call.split(":")[1].startswith(("Get", "List", "Describe"))]

    # Responses used by most tests ------------------------------------------------

    def caller(self, account_id: str | None = None, feature_set: str = "ALL") -> None:
        """GetCallerIdentity for ``account_id`` (the management account by default), then DescribeOrganization."""
        account_id = account_id or self.management_id
        self.respond("sts", "get_caller_identity",
                     {"UserId": "AIDAEXAMPLEUSERID", "Account": account_id, "Arn": f"arn:aws:iam::{account_id}:user/admin"})
        self.respond("organizations", "describe_organization", {"Organization": {
            "Id": self.organization_id,
            "Arn": f"arn:aws:organizations::{self.management_id}:organization/{self.organization_id}",
            "FeatureSet": feature_set,
            "MasterAccountArn": f"arn:aws:organizations::{self.management_id}:account/{self.organization_id}/{self.management_id}",
            "MasterAccountId": self.management_id,
            "MasterAccountEmail": "management@example.com",
        }})

    def trusted(self, *principals: str) -> None:
        self.respond("organizations", "list_aws_service_access_for_organization",
                     {"EnabledServicePrincipals": [{"ServicePrincipal": principal} for principal in principals]})

    def admins(self, *account_ids: str, service_principal: str = "iam.amazonaws.com") -> None:
        self.respond("organizations", "list_delegated_administrators",
                     {"DelegatedAdministrators": [self.admin(account_id) for account_id in account_ids]},
                     ServicePrincipal=service_principal)

    def admin(self, account_id: str) -> dict:
        return {
            "Id": account_id,
            "Arn": f"arn:aws:organizations::{self.management_id}:account/{self.organization_id}/{account_id}",
            "Name": f"account-{account_id}",
            "Email": f"{account_id}@example.com",
            "State": "ACTIVE",
            "JoinedMethod": "CREATED",
            "DelegationEnabledDate": datetime.datetime(2024, 11, 20, 12, 0, tzinfo=datetime.timezone.utc),
        }

    def features(self, method: str, *enabled: str) -> None:
        self.respond("iam", method, {"OrganizationId": self.organization_id, "EnabledFeatures": list(enabled)})


@pytest.fixture(scope="session")
def boto3_session():
    """One boto3 session for every stubbed test: it loads each service model once (a fresh
    session per test would reload them, which is most of a test's time)."""
    return boto3.session.Session()


@pytest.fixture
def aws(monkeypatch, boto3_session):
    """A StubbedAws around ClientFactory(region='us-east-1', endpoint_url=None, CONNECTION)."""
    monkeypatch.setattr(boto3.session, "Session", lambda profile_name=None: boto3_session)
    factory = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=CONNECTION)
    stubbed = StubbedAws(factory)
    monkeypatch.setattr(factory, "client", stubbed.client)
    yield stubbed
    stubbed.verify()


@pytest.fixture
def emulator(monkeypatch):
    """The local AWS emulator in this process (moto's mock_aws, extended by rootguard_emulator).

    botocore's retry sleeps are recorded in the returned list instead of slept."""
    sleeps = []
    monkeypatch.setattr(botocore.endpoint, "time", types.SimpleNamespace(sleep=sleeps.append))
    rootguard_emulator.install()
    with mock_aws():
        yield sleeps


@pytest.fixture
def emulator_factory(emulator):  # pylint: disable=unused-argument,redefined-outer-name
    """A ClientFactory of the caller (the emulator's management account) against the in-process emulator."""
    return clients.ClientFactory(region="us-east-1", endpoint_url=None, connection={"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "x"})


UNPRIVILEGED_ID = 65534


@pytest.fixture
def unprivileged(tmp_path):
    """(a directory, run): ``run(function, *args)`` calls the function as a user whom permissions
    bind, and the directory is that user's own.  Not running as root, that is this process in
    tmp_path; as root (which bypasses directory permissions), a forked child that drops to user
    and group 65534, in a directory of theirs: the function's return value or exception comes back
    pickled, so a test of "not writable" runs everywhere instead of skipping as root."""
    if os.geteuid() != 0:
        yield tmp_path, lambda function, *args: function(*args)
        return
    base = pathlib.Path(tempfile.mkdtemp(prefix="rootguard-unprivileged-"))
    os.chown(base, UNPRIVILEGED_ID, UNPRIVILEGED_ID)
    try:
        yield base, run_unprivileged
    finally:
        shutil.rmtree(base)


def run_unprivileged(function, *args):
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        os.close(read_end)
        try:
            os.setgroups([])
            os.setgid(UNPRIVILEGED_ID)
            os.setuid(UNPRIVILEGED_ID)
            outcome = ("returned", function(*args))
        except BaseException as error:  # pylint: disable=broad-exception-caught
            outcome = ("raised", error)
        try:
            with os.fdopen(write_end, "wb") as pipe:
                pickle.dump(outcome, pipe)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        kind, value = pickle.load(pipe)
    os.waitpid(pid, 0)
    if kind == "raised":
        raise value
    return value
