"""The collection on every ansible-core it declares, and with the oldest botocore it accepts.

One smoke per environment: the newest patch release of ansible-core 2.17, 2.18, 2.19 and 2.20
(side venvs built by `make cores`), the test venv's (the newest, 2.21), and the test venv's
ansible-core with the oldest botocore and boto3 the collection accepts (`make oldest-botocore`). Each smoke imports every
plugin under that environment's Python and reads every plugin's and role's documentation with its
ansible-doc, then runs the collection's playbooks against one emulator: harden_organization.yml
in check mode, for real and again (nothing changed), audit_organization.yml with its three
reports, unlock_bucket_policy.yml with its backup, allow_password_recovery.yml, vend_accounts.yml,
and the organization_accounts inventory with harden_accounts_per_host.yml over it. The unit tests
run with the oldest botocore too."""

from __future__ import annotations

import csv
import json
import os
import pathlib
import stat
import subprocess
from xml.etree import ElementTree

import pytest
from rootguard_emulator.evidence import read_bucket_policy, writes

from conftest import CORES, OLDEST_BOTOCORE, REPO, ansible_command

from ansible_collections.rootguard.aws.plugins.module_utils.clients import MINIMUM_BOTOCORE

PLAYBOOKS = REPO / "playbooks"
COLLECTION = pathlib.Path(os.environ.get("ANSIBLE_COLLECTIONS_PATH", str(REPO / "build" / "collections"))).joinpath(
    "ansible_collections", "rootguard", "aws")
FEATURES = ["RootCredentialsManagement", "RootSessions"]
LOCKED_BUCKET = 4  # the member (mixed seed cycle) whose bucket policy is locked
ENVIRONMENTS = [*CORES, None, OLDEST_BOTOCORE]
IDS = [f"ansible-core-{core}" for core in CORES] + ["test-venv", OLDEST_BOTOCORE]
# The unit tests of calls and fields AWS added after the floor (needs_botocore_knowing), and no other, are skipped
# with the oldest botocore.
MODULE_UTILS_TESTS = "tests.unit.plugins.module_utils"
SKIPPED_AT_THE_FLOOR = {
    f"{MODULE_UTILS_TESTS}.test_features.test_organization_level_resources_survive_the_module_against_the_emulator":
        "the installed botocore does not know iam EnableOrganizationLevelResources",
    f"{MODULE_UTILS_TESTS}.test_organizations.test_paths_save_the_list_parents_calls":
        "the installed botocore does not know organizations Account.Paths",
    f"{MODULE_UTILS_TESTS}.test_vending.test_existing_account_is_placed_by_its_paths_without_list_parents":
        "the installed botocore does not know organizations Account.Paths",
}

# Imports every plugin of the collection tree (modules, module_utils, action, filter, inventory,
# doc fragments) and prints the versions the environment runs.
IMPORT_EVERY_PLUGIN = """
import importlib, json, pathlib, sys
import ansible.release, boto3, botocore
plugins = pathlib.Path(sys.argv[1]) / "plugins"
imported = []
for path in sorted(plugins.glob("*/*.py")):
    if path.name != "__init__.py":
        importlib.import_module(f"ansible_collections.rootguard.aws.plugins.{path.parent.name}.{path.stem}")
        imported.append(f"{path.parent.name}/{path.stem}")
print(json.dumps({"imported": imported, "ansible_core": ansible.release.__version__, "botocore": botocore.__version__,
                  "boto3": boto3.__version__, "python": "%d.%d" % sys.version_info[:2]}))
"""


def plugin_names(kind: str) -> list:
    return sorted(f"rootguard.aws.{path.stem}" for path in (COLLECTION / "plugins" / kind).glob("*.py") if path.name != "__init__.py")


def role_names() -> list:
    return sorted(f"rootguard.aws.{path.name}" for path in (COLLECTION / "roles").iterdir() if (path / "meta" / "argument_specs.yml").exists())


def side_python(core: str | None) -> str:
    return ansible_command("python", core)


def assert_ok(run) -> None:
    assert run.returncode == 0, run.stdout[-5000:] + run.stderr[-3000:]


def assert_unchanged(run) -> None:
    assert_ok(run)
    assert {host: counters["changed"] for host, counters in run.recap().items()} == {host: 0 for host in run.recap()}, run.stdout[-3000:]


def with_credentials(control, account_ids) -> set:
    def has_credentials(root_user: dict) -> bool:
        return bool(root_user["password"] or root_user["access_keys"] or root_user["signing_certificates"] or root_user["mfa_devices"])
    return {account_id for account_id in account_ids if has_credentials(control.root_user(account_id))}


def check_imports_and_docs(core: str | None, tmp_path: pathlib.Path) -> dict:
    """Every plugin imported under the environment's Python, every plugin's and role's documentation
    read by its ansible-doc (all at once); returns the versions the environment runs."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PYTEST_"))}
    environment["ANSIBLE_HOME"] = str(tmp_path / "ansible-home")
    documented = {"module": plugin_names("modules"), "inventory": plugin_names("inventory"), "filter": plugin_names("filter"),
                  "role": role_names()}
    commands = {"import": [side_python(core), "-c", IMPORT_EVERY_PLUGIN, str(COLLECTION)],
                **{kind: [ansible_command("ansible-doc", core), "-t", kind, "--json", *names] for kind, names in documented.items()}}
    processes = {name: subprocess.Popen(command, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for name, command in commands.items()}
    outputs = {}
    for name, process in processes.items():
        stdout, stderr = process.communicate(timeout=600)
        assert process.returncode == 0, f"{name}: {stdout[-2000:]}{stderr[-4000:]}"
        ours = [line for line in stderr.splitlines() if "WARNING]" in line and "rootguard" in line]
        assert ours == [], f"{name}: {stderr[-4000:]}"
        outputs[name] = json.loads(stdout)
    for kind, names in documented.items():
        docs = outputs[kind] if kind == "role" else {name: doc for name, doc in outputs[kind].items() if doc.get("doc")}
        assert sorted(docs) == names, f"{kind}: {sorted(docs)}"
    kinds = {entry.split("/")[0] for entry in outputs["import"]["imported"]}
    assert kinds == {"action", "doc_fragments", "filter", "inventory", "module_utils", "modules"}, kinds
    return outputs["import"]


@pytest.mark.parametrize("core", ENVIRONMENTS, ids=IDS)
def test_smoke(control, emulator, run_playbook, run_inventory, tmp_path, core):
    versions = check_imports_and_docs(core, tmp_path)
    if core == OLDEST_BOTOCORE:
        assert (versions["botocore"], versions["boto3"]) == (MINIMUM_BOTOCORE, MINIMUM_BOTOCORE), versions
    elif core:
        assert versions["ansible_core"].rsplit(".", 1)[0] == core, versions

    truth = control.seed(accounts=6, profile="mixed")
    members = [account["id"] for account in truth["accounts"] if account["state"] == "ACTIVE"]
    reports = tmp_path / "reports"
    harden = str(PLAYBOOKS / "harden_organization.yml")

    # harden_organization.yml: the plan (no write), the run, and again (nothing changed, no write).
    control.clear_requests()
    plan = run_playbook(harden, {"rootguard_report_dir": str(reports / "plan")}, check=True, core=core)
    assert_ok(plan)
    assert writes(control.requests()["entries"]) == []
    assert "iam:EnableOrganizationsRootCredentialsManagement" in (reports / "plan" / "harden-summary.txt").read_text()
    to_clean = with_credentials(control, members)
    assert to_clean

    run = run_playbook(harden, {"rootguard_confirm": True, "rootguard_max_changed_accounts": 6,
                                "rootguard_report_dir": str(reports / "harden")}, core=core)
    assert_ok(run)
    assert sorted(control.organization()["enabled_features"]) == FEATURES
    assert with_credentials(control, members) == set()
    assert f"Removal: credentials removed in {len(to_clean)} account(s)" in (reports / "harden" / "harden-summary.txt").read_text()

    control.clear_requests()
    again = run_playbook(harden, {"rootguard_confirm": True, "rootguard_report_dir": str(reports / "again")}, core=core)
    assert_unchanged(again)
    assert writes(control.requests()["entries"]) == []

    # audit_organization.yml: the JSON, CSV and HTML reports, every member compliant.
    audit = run_playbook(str(PLAYBOOKS / "audit_organization.yml"), {"rootguard_report_dir": str(reports / "audit")}, core=core)
    assert_ok(audit)
    report = json.loads((reports / "audit" / "root-credentials-audit.json").read_text())
    assert {row["id"] for row in report["accounts"] if row["status"] == "ok" and row["found"]["compliant"]} == set(members)
    with (reports / "audit" / "root-credentials-audit.csv").open(newline="") as handle:
        assert {row["account_id"] for row in csv.DictReader(handle)} >= set(members)
    page = (reports / "audit" / "root-credentials-audit.html").read_text()
    assert all(account_id in page for account_id in members)

    # unlock_bucket_policy.yml: the locked policy deleted, kept in a private backup.
    account = truth["accounts"][LOCKED_BUCKET]
    bucket = account["buckets"][0]
    backups = tmp_path / "backups"
    unlock = run_playbook(str(PLAYBOOKS / "unlock_bucket_policy.yml"), {
        "rootguard_account_id": account["id"], "rootguard_bucket": bucket["name"], "rootguard_backup_dir": str(backups)}, core=core)
    assert_ok(unlock)
    assert read_bucket_policy(emulator.endpoint, account["id"], bucket["name"]) is None
    [backup] = [path for path in backups.iterdir() if path.name != "MANIFEST.sha256"]
    assert backup.read_bytes() == bucket["policy"].encode()
    assert stat.S_IMODE(backup.stat().st_mode) == 0o600

    # allow_password_recovery.yml: a root user without a password gets one that can be reset.
    recover = members[0]
    recovery = run_playbook(str(PLAYBOOKS / "allow_password_recovery.yml"), {"rootguard_account_ids": [recover]}, core=core)
    assert_ok(recovery)
    assert with_credentials(control, members) == {recover}

    # vend_accounts.yml: a new account, created and audited, secure by default.
    vend = run_playbook(str(PLAYBOOKS / "vend_accounts.yml"), {
        "rootguard_accounts": [{"name": "smoke", "email": "smoke@example.com"}], "rootguard_report_dir": str(reports / "vend")}, core=core)
    assert_ok(vend)
    [vended] = json.loads((reports / "vend" / "account-vending-vended.json").read_text())["accounts"]
    assert (vended["vend"], vended["secure_by_default"]) == ("created", True), vended

    # The organization_accounts inventory (one host per active member), and harden_accounts_per_host.yml
    # over it, limited to two hosts: the recovered password removed again, the vended account unchanged.
    config = {"plugin": "rootguard.aws.organization_accounts", "all_accounts": True}
    returncode, listing, stderr = run_inventory(config, name="org.organization_accounts.yml", core=core)
    assert returncode == 0, stderr[-3000:]
    hosts = set(listing["_meta"]["hostvars"])
    assert hosts == {*members, vended["id"]}, hosts
    per_host = run_playbook(str(PLAYBOOKS / "harden_accounts_per_host.yml"), {
        "rootguard_confirm": True, "rootguard_hosts": f"{recover},{vended['id']}", "rootguard_report_dir": str(reports / "per-host")},
        inventory=str(tmp_path / "org.organization_accounts.yml"), core=core)
    assert_ok(per_host)
    assert set(per_host.recap()) == {recover, vended["id"]}
    assert {host for host, counters in per_host.recap().items() if counters["changed"]} == {recover}
    assert with_credentials(control, members) == set()


def test_unit_tests_with_the_oldest_botocore(tmp_path):
    """tests/unit, run by the oldest-botocore environment's pytest (its moto emulator in process)."""
    python = side_python(OLDEST_BOTOCORE)
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "PYTEST_"))}
    environment["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO / "tests" / "emulator"), environment.get("PYTHONPATH")]))
    versions = subprocess.run([python, "-c", "import boto3, botocore; print(botocore.__version__, boto3.__version__)"],
                              env=environment, capture_output=True, text=True, check=True).stdout.split()
    assert versions == [MINIMUM_BOTOCORE, MINIMUM_BOTOCORE]
    report = tmp_path / "unit.xml"
    completed = subprocess.run([python, "-m", "pytest", str(REPO / "tests" / "unit"), "-q", "-p", "no:cacheprovider",
                                "--basetemp", str(tmp_path / "unit"), "--junit-xml", str(report)], cwd=REPO, env=environment,
                               capture_output=True, text=True, timeout=1800, check=False)
    assert completed.returncode == 0, completed.stdout[-6000:] + completed.stderr[-2000:]
    skipped = {f"{case.get('classname')}.{case.get('name')}": case.find("skipped").get("message")
               for case in ElementTree.parse(report).iter("testcase") if case.find("skipped") is not None}
    assert skipped == SKIPPED_AT_THE_FLOOR
