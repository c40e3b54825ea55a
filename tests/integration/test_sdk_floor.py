"""The botocore floor (clients.MINIMUM_BOTOCORE): a module and the inventory plugin run with an older
botocore stop with a message that names the floor, before any call reaches AWS.

The older botocore is the test venv's with its ``__version__`` lowered by a sitecustomize on the
module's (and ansible-inventory's) PYTHONPATH: what AnsibleAWSModule and amazon.aws's inventory base
read to decide.  The matrix runs the collection on the floor itself (tests/matrix)."""

from __future__ import annotations

import os
import sys

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils.clients import MINIMUM_BOTOCORE


def release_before(version: str) -> str:
    major, minor, patch = (int(part) for part in version.split("."))
    return f"{major}.{minor}.{patch - 1}" if patch else f"{major}.{minor - 1}.999"


@pytest.fixture
def older_botocore(tmp_path) -> dict:
    """The environment of an Ansible command whose Python reports the release just before the floor."""
    site = tmp_path / "older-botocore"
    site.mkdir()
    older = release_before(MINIMUM_BOTOCORE)
    (site / "sitecustomize.py").write_text(f"import boto3, botocore\nbotocore.__version__ = {older!r}\nboto3.__version__ = {older!r}\n")
    return {"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))}


def test_a_module_needs_the_floor(control, run_playbook, older_botocore):
    control.seed(accounts=2)
    control.clear_requests()
    run = run_playbook("features_info.yml", env=older_botocore)
    info = run.result("info")
    assert info["failed"] is True
    assert f"botocore>={MINIMUM_BOTOCORE}" in info["msg"], info["msg"]
    assert "Account.State" in info["msg"], info["msg"]
    assert control.requests()["entries"] == []


def test_a_module_runs_on_the_floor(control, run_playbook, tmp_path):
    site = tmp_path / "floor"
    site.mkdir()
    (site / "sitecustomize.py").write_text(f"import botocore\nbotocore.__version__ = {MINIMUM_BOTOCORE!r}\n")
    control.seed(accounts=2)
    run = run_playbook("features_info.yml", env={"PYTHONPATH": os.pathsep.join(filter(None, [str(site), os.environ.get("PYTHONPATH")]))})
    assert run.result("info").get("failed") is not True, run.result("info")


def test_the_inventory_needs_the_floor(control, run_inventory, older_botocore):
    control.seed(accounts=2)
    control.clear_requests()
    returncode, listing, stderr = run_inventory({"plugin": "rootguard.aws.organization_accounts", "all_accounts": True},
                                                env={**older_botocore, "ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"})
    assert returncode != 0 and listing is None, listing
    older = release_before(MINIMUM_BOTOCORE)
    assert (f"organization_accounts: botocore>={MINIMUM_BOTOCORE} is required for Organizations' Account.State; "
            f"this Python ({sys.executable}) has botocore {older}") in " ".join(stderr.split()), stderr[-3000:]
    assert control.requests()["entries"] == []
