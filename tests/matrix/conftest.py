"""Fixtures of the ansible-core matrix: those of the integration tests.

tests/integration/conftest.py is loaded here by its path (a conftest cannot be imported by name
from another directory) and its fixtures are re-exported, so the smoke runs Ansible exactly as
the integration tests do: against the emulator of the test venv, over HTTP, with the commands of
the side venv under test."""

from __future__ import annotations

import importlib.util
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[2]


def _load_integration_conftest():
    path = REPO / "tests" / "integration" / "conftest.py"
    spec = importlib.util.spec_from_file_location("rootguard_integration_conftest", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_integration = _load_integration_conftest()

# Re-exported fixtures and helpers (see tests/integration/conftest.py).
emulator = _integration.emulator
control = _integration.control
run_playbook = _integration.run_playbook
run_inventory = _integration.run_inventory
ansible_command = _integration.ansible_command
ansible_environment = _integration.ansible_environment
CORES = _integration.CORES
OLDEST_BOTOCORE = _integration.OLDEST_BOTOCORE
