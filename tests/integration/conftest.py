"""Integration fixtures: the emulator over HTTP and real ansible-playbook runs against it."""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import boto3
import pytest

from rootguard_emulator.client import EmulatorClient
from rootguard_emulator.server import EmulatorServer

PLAYBOOKS = pathlib.Path(__file__).parent / "playbooks"
REGION = "us-east-1"


@dataclasses.dataclass
class PlaybookRun:
    returncode: int
    stdout: str
    stderr: str
    results: dict

    def result(self, name: str) -> dict:
        return self.results[name]

    def recap(self) -> dict:
        """The PLAY RECAP counters (ok, changed, unreachable, failed, ...) per host."""
        counters = {host: {name: int(value) for name, value in re.findall(r"(\w+)=(\d+)", fields)}
                    for host, fields in re.findall(r"^(\S+)\s+:\s+(ok=.*)$", self.stdout, flags=re.MULTILINE)}
        assert counters, self.stdout[-3000:]
        return counters


@pytest.fixture(scope="session")
def emulator():
    with EmulatorServer() as server:
        yield server


@pytest.fixture
def control(emulator):
    client = EmulatorClient(emulator.endpoint)
    client.reset()
    yield client
    client.reset()


@pytest.fixture
def caller_env(emulator):
    """Environment that makes a playbook call as an administrator inside ``account_id``
    (credentials of its OrganizationAccountAccessRole), not as the management account."""

    def env_for(account_id: str) -> dict:
        sts = boto3.client("sts", endpoint_url=emulator.endpoint, region_name=REGION,
                           aws_access_key_id="testing", aws_secret_access_key="testing")
        credentials = sts.assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
                                      RoleSessionName="integration-tests")["Credentials"]
        return {
            "AWS_ACCESS_KEY_ID": credentials["AccessKeyId"],
            "AWS_SECRET_ACCESS_KEY": credentials["SecretAccessKey"],
            "AWS_SESSION_TOKEN": credentials["SessionToken"],
        }

    return env_for


def ansible_environment(emulator, tmp_path, env: dict | None = None) -> dict:
    """The environment of an Ansible command pointed at the emulator through the environment alone."""
    environment = {
        key: value for key, value in os.environ.items()
        if not key.startswith(("AWS_", "MOTO_")) and key not in ("ANSIBLE_LOG_PATH",)
    }
    environment.update(
        {
            "AWS_ENDPOINT_URL": emulator.endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": REGION,
            "ANSIBLE_LOCALHOST_WARNING": "false",
            "ANSIBLE_INVENTORY_UNPARSED_WARNING": "false",
            "ANSIBLE_NOCOLOR": "true",
            "ANSIBLE_HOME": str(tmp_path / "ansible-home"),
            "ANSIBLE_LOCAL_TEMP": str(tmp_path / "ansible-tmp"),
        }
    )
    environment.update(env or {})
    return environment


# Side virtualenvs, built once by `make cores` (one per older ansible-core release) and
# `make oldest-botocore` (the test venv's ansible-core with the oldest botocore and boto3 the
# collection accepts).  OLDER_CORES: the releases before 2.19, which template plain strings in
# variables again when they are used; CORES: every release in a side venv (the test venv has
# the newest); OLDEST_BOTOCORE: the name of the oldest-botocore environment.
CORES_DIR = pathlib.Path(__file__).resolve().parents[2] / ".venv-cores"
OLDER_CORES = ("2.17", "2.18")
CORES = ("2.17", "2.18", "2.19", "2.20")
OLDEST_BOTOCORE = "botocore-1.40.61"


def side_venv(core: str) -> pathlib.Path:
    """The side venv of ``core``: an ansible-core release ("2.17") or OLDEST_BOTOCORE."""
    return CORES_DIR / (core if core == OLDEST_BOTOCORE else f"ansible-core-{core}")


def ansible_command(name: str, core: str | None = None) -> str:
    """The path of an Ansible command (or of ``python``): the test venv's, or with ``core``
    ("2.17", OLDEST_BOTOCORE), that side venv's."""
    if core:
        command = side_venv(core) / "bin" / name
        assert command.exists(), f"{command} is missing: run `make cores` and `make oldest-botocore` to build the side virtualenvs"
        return str(command)
    if name == "python":
        return sys.executable
    command = shutil.which(name, path=os.path.dirname(sys.executable)) or shutil.which(name)
    assert command, f"{name} is not installed"
    return command


@pytest.fixture
def run_playbook(emulator, tmp_path):
    """Run a playbook from tests/integration/playbooks with ansible-playbook,
    pointed at the emulator through the environment alone. Tasks that save
    ``results_dir/<name>.json`` are returned in ``PlaybookRun.results``."""

    def run(playbook: str, extra_vars: dict | None = None, check: bool = False, verbosity: int = 0,
            env: dict | None = None, inventory: str | None = None, core: str | None = None) -> PlaybookRun:
        results_dir = tmp_path / "results"
        results_dir.mkdir(exist_ok=True)
        variables = {"results_dir": str(results_dir), **(extra_vars or {})}
        command = [ansible_command("ansible-playbook", core), str(PLAYBOOKS / playbook), "-e", json.dumps(variables)]
        if inventory:
            command.extend(["-i", inventory])
        if check:
            command.append("--check")
        if verbosity:
            command.append("-" + "v" * verbosity)
        environment = ansible_environment(emulator, tmp_path, env)
        completed = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=600, check=False)
        results = {path.stem: json.loads(path.read_text()) for path in results_dir.glob("*.json")}
        return PlaybookRun(completed.returncode, completed.stdout, completed.stderr, results)

    return run


@pytest.fixture
def run_inventory(emulator, tmp_path):
    """``ansible-inventory --list`` over an inventory configuration (a dict written to a
    ``*.organization_accounts.yml`` file); returns (returncode, the parsed list or None, stderr)."""

    def run(config: dict, name: str = "test.organization_accounts.yml", env: dict | None = None, core: str | None = None) -> tuple:
        path = tmp_path / name
        path.write_text(json.dumps(config))
        command = [ansible_command("ansible-inventory", core), "-i", str(path), "--list", "--export"]
        completed = subprocess.run(command, env=ansible_environment(emulator, tmp_path, env),
                                   capture_output=True, text=True, timeout=600, check=False)
        listing = json.loads(completed.stdout) if completed.returncode == 0 else None
        return completed.returncode, listing, completed.stderr

    return run


def headless_dom(page: pathlib.Path, tmp_path: pathlib.Path, purpose: str) -> str:
    """The page's DOM after headless Chromium (Debian's ``chromium``, which ``make browser``
    installs) has loaded it and run its scripts (--dump-dom), with a profile of its own under
    tmp_path and no AWS variable in its environment."""
    browser = next((path for path in map(shutil.which, ("chromium", "chromium-browser")) if path), None)
    if browser is None:
        pytest.fail(f"headless Chromium is needed for {purpose}: `make browser` installs Debian's chromium package")
    home = tmp_path / "chromium-home"
    home.mkdir(exist_ok=True)
    command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
               "--disable-extensions", "--disable-background-networking", f"--user-data-dir={home / 'profile'}",
               "--dump-dom", page.as_uri()]
    environment = {key: value for key, value in os.environ.items() if not key.startswith("AWS_")}
    environment.update(HOME=str(home), XDG_CONFIG_HOME=str(home / ".config"), XDG_CACHE_HOME=str(home / ".cache"))
    completed = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=180, check=False)
    assert completed.returncode == 0, completed.stderr[-4000:]
    return completed.stdout
