"""Fixtures of the reliability suite.

The emulator, its control client and the ansible-playbook runner are those of the
integration tests: tests/integration/conftest.py is loaded here by its path (a conftest
cannot be imported by name from another directory) and its fixtures are re-exported, so
both suites run Ansible the same way and neither changes the other.  What this suite adds:
``record``, which keeps one row of RELIABILITY.md per scenario in tests/output/reliability/."""

from __future__ import annotations

import importlib.util
import json
import pathlib
import re
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
RECORDS = REPO / "tests" / "output" / "reliability"


def _load_integration_conftest():
    path = REPO / "tests" / "integration" / "conftest.py"
    spec = importlib.util.spec_from_file_location("rootguard_integration_conftest", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_integration = _load_integration_conftest()


def _load_table_script():
    spec = importlib.util.spec_from_file_location("rootguard_reliability_table", REPO / "hacking" / "reliability_table.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


reliability_table = _load_table_script()

# Re-exported fixtures (see tests/integration/conftest.py).
emulator = _integration.emulator
control = _integration.control
caller_env = _integration.caller_env
run_playbook = _integration.run_playbook
ansible_environment = _integration.ansible_environment
ansible_command = _integration.ansible_command
PlaybookRun = _integration.PlaybookRun
OLDER_CORES = _integration.OLDER_CORES


@pytest.fixture(scope="session")
def module_docs(emulator, tmp_path_factory):
    """``module_docs(names)``: the documentation of rootguard.aws modules as ``ansible-doc --json``
    gives it (``{name: doc}``), read once per session."""
    cache: dict = {}

    def read(names) -> dict:
        missing = [name for name in names if name not in cache]
        if missing:
            environment = ansible_environment(emulator, tmp_path_factory.mktemp("ansible-doc"))
            completed = subprocess.run([ansible_command("ansible-doc"), "--json", "-t", "module",
                                        *(f"rootguard.aws.{name}" for name in missing)],
                                       env=environment, capture_output=True, text=True, timeout=600, check=True)
            for full_name, doc in json.loads(completed.stdout).items():
                cache[full_name.split(".")[-1]] = doc["doc"]
        return {name: cache[name] for name in names}

    return read


@pytest.fixture
def record(request):
    """``record(scenario, section=..., **figures)``: once the test has passed, write the scenario's
    row of RELIABILITY.md to tests/output/reliability/<scenario>.json, then check that
    RELIABILITY.md has the line hacking/reliability_table.py renders from it.  A row holds only
    figures that do not depend on scheduling (the faults are seeded per account), so the line is
    the same on every run; when it is not there, regenerate the file with that script."""
    rows = []

    def add(scenario: str, **row) -> None:
        assert re.fullmatch(r"[a-z0-9-]+", scenario), scenario
        row = json.loads(json.dumps({"scenario": scenario, **row}))
        reliability_table.row_line(row)  # a row the table cannot render fails the test itself
        rows.append(row)

    yield add
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.passed:
        return
    RECORDS.mkdir(parents=True, exist_ok=True)
    for row in rows:
        (RECORDS / f"{row['scenario']}.json").write_text(json.dumps(row, indent=2, sort_keys=True) + "\n")
    table = reliability_table.OUTPUT.read_text() if reliability_table.OUTPUT.exists() else ""
    stale = [row["scenario"] for row in rows if reliability_table.row_line(row) not in table.splitlines()]
    assert not stale, (f"RELIABILITY.md does not have the figures of {', '.join(stale)} as this run recorded them: "
                       "run python hacking/reliability_table.py (after make reliability) and commit RELIABILITY.md")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):  # pylint: disable=unused-argument
    outcome = yield
    report = outcome.get_result()
    if report.when == "call":
        item.rep_call = report
