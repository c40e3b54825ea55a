"""Fixtures of the controller suite: the collection's playbooks run as an automation controller
(AWX, Ansible Automation Platform) runs a job template, through ``ansible_runner.run()``
(controller_support.py says what a job gets).

The emulator and its control client are those of the integration tests: tests/integration/conftest.py
is loaded here by its path (a conftest cannot be imported by name from another directory) and its
fixtures are re-exported, as the reliability suite does: one emulator per test session (per xdist
worker), reset around every test."""

from __future__ import annotations

import importlib.util
import os
import pathlib
import sys

import pytest
from moto.core.authorization import ActionAuthenticatorMixin

from controller_support import CREDENTIAL_INJECTIONS, CredentialInjection, automation_credentials, run_job

REPO = pathlib.Path(__file__).resolve().parents[2]


def _load_integration_conftest():
    path = REPO / "tests" / "integration" / "conftest.py"
    spec = importlib.util.spec_from_file_location("rootguard_integration_conftest", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_integration = _load_integration_conftest()

# Re-exported fixtures (see tests/integration/conftest.py).
emulator = _integration.emulator
control = _integration.control


# The way the controller injects the AWS credential, per job: between them the jobs use both, and the
# jobs with the most calls (harden, unlock, vend) the older one, with only AWS_SECURITY_TOKEN, which the
# collection must find by itself.  (Each job once, not once per way: the suite joins a CI run with a time limit.)
INJECTION_OF_TEST = {
    "test_harden_organization_plan_then_confirmed": "security-token-only",
    "test_audit_organization_goes_red_on_noncompliant_accounts_after_the_reports": "session-token",
    "test_unlock_bucket_policy_from_survey_answers": "security-token-only",
    "test_allow_password_recovery_for_named_accounts": "session-token",
    "test_vend_accounts_secure_by_default": "security-token-only",
}


@pytest.fixture
def injection(request) -> CredentialInjection:
    """The way the controller injects the AWS credential for this test's job (INJECTION_OF_TEST)."""
    by_name = {injection.name: injection for injection in CREDENTIAL_INJECTIONS}
    return by_name[INJECTION_OF_TEST[request.node.originalname]]


@pytest.fixture
def signed_requests(emulator, monkeypatch) -> list:  # pylint: disable=unused-argument
    """Every request the emulator (served by this process) authorizes from now on, as (access key
    id, session token): the value of its X-Amz-Security-Token header, None without one.  The
    emulator does not check a caller's session token, so this is how a test sees that the token
    of the injected credential came with the calls."""
    seen: list = []
    authorize = ActionAuthenticatorMixin._authenticate_and_authorize_action

    def recording(self, *args, **kwargs):
        token = next((value for name, value in self.headers.items() if name.lower() == "x-amz-security-token"), None)
        seen.append((self.get_access_key(), token))
        return authorize(self, *args, **kwargs)

    monkeypatch.setattr(ActionAuthenticatorMixin, "_authenticate_and_authorize_action", recording)
    return seen


@pytest.fixture
def controller_job(emulator, control, signed_requests, tmp_path, monkeypatch):  # pylint: disable=unused-argument
    """``controller_job(playbook, injection, template_vars=..., launch_vars=...)``: run
    playbooks/<playbook>.yml as a controller job (controller_support.run_job) against the emulator,
    with temporary credentials the emulator issued to an automation role of the management account,
    injected as ``injection`` says; each job of a test gets the next job id and its own private data
    directory.  ansible-runner starts the job's environment from a copy of the test process's: its
    own AWS_* and MOTO_* variables, ANSIBLE_CONFIG and ANSIBLE_LOG_PATH are left out of it."""
    for name in list(os.environ):
        if name.startswith(("AWS_", "MOTO_")) or name in ("ANSIBLE_CONFIG", "ANSIBLE_LOG_PATH"):
            monkeypatch.delenv(name)
    credentials = automation_credentials(emulator.endpoint)
    environment = {"AWS_ENDPOINT_URL": emulator.endpoint, "ANSIBLE_HOME": str(tmp_path / "ansible-home")}
    jobs = []

    def run(playbook: str, injection: CredentialInjection, template_vars: dict | None = None, launch_vars: dict | None = None):
        ident = str(len(jobs) + 1)
        private_data_dir = tmp_path / f"job-{ident}"
        first_request = len(signed_requests)
        job = run_job(private_data_dir, ident, playbook, {**environment, "ANSIBLE_LOCAL_TEMP": str(private_data_dir / "tmp")},
                      injection.environment(credentials), template_vars, launch_vars)
        job.requests = signed_requests[first_request:]
        jobs.append(job)
        return job

    return run
