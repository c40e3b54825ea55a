"""Hostile names, as someone who controls a member account (or an OU's name) would set them, on every
ansible-core the collection declares: Jinja code in an account's name, email and tags and in OU names
never runs (through the inventory, its constructed groups, the per-host playbook and the audit's
reports), and OUs whose names collide never turn ``--limit`` of one OU into work in another.

A marker file stands for the code: each hostile text would create its own marker if it were templated."""

from __future__ import annotations

import json
import pathlib

import pytest
from moto.organizations.models import organizations_backends

from conftest import OLDER_CORES

REPO = pathlib.Path(__file__).resolve().parents[2]
PER_HOST = str(REPO / "playbooks" / "harden_accounts_per_host.yml")
AUDIT = str(REPO / "playbooks" / "audit_organization.yml")
FEATURES = ["RootCredentialsManagement", "RootSessions"]
CORES = (None, *OLDER_CORES)
VECTORS = ("account name", "email", "tag key", "tag value", "OU name")
# README's keyed_groups example, the plugin's compose example, and a composed group.
CONSTRUCTED = {
    "keyed_groups": [{"key": "account_tags.team | default('none')", "prefix": "team"}, {"key": "ou_path", "prefix": "path"}],
    "compose": {"display_name": "account_name ~ ' (' ~ ou_path ~ ')'"},
    "groups": {"tagged": "account_tags | length > 0 and email is defined"},
}


def hostile(marker: pathlib.Path) -> str:
    return "{{ lookup('pipe', 'touch " + str(marker) + "') }}"


def id_group(ou_id: str) -> str:
    return "ou_" + ou_id[len("ou-"):].replace("-", "_")


def subtree(truth: dict, ou_id: str, backend) -> set:
    """The active accounts in the OU and the OUs below it, as the emulator holds them now."""
    ous, frontier = {ou_id}, [ou_id]
    while frontier:
        parent = frontier.pop()
        children = [ou.id for ou in backend.ou if ou.parent_id == parent]
        ous.update(children)
        frontier.extend(children)
    return {account["id"] for account in truth["accounts"]
            if account["state"] == "ACTIVE" and backend.get_account_by_id(account["id"]).parent_id in ous}


@pytest.mark.parametrize("core", CORES, ids=[core or "test-venv" for core in CORES])
def test_hostile_names_run_no_code_and_colliding_ous_hit_no_wrong_target(core, control, run_playbook, tmp_path, record):
    truth = control.seed(accounts=16, profile="full", features=FEATURES, trusted_access=True)
    backend = organizations_backends[truth["management_account_id"]]["aws"]
    markers = tmp_path / "markers"
    markers.mkdir()
    texts = {vector: hostile(markers / vector.replace(" ", "-")) for vector in VECTORS}
    active = [account for account in truth["accounts"] if account["state"] == "ACTIVE"]
    target = backend.get_account_by_id(next(account["id"] for account in active if account["ou_path"] == "/"))
    target.name, target.email = texts["account name"], texts["email"] + "@example.com"
    target.tags.update({"team": texts["tag value"], texts["tag key"]: "x"})
    ous = {ou["name"]: ou for ou in truth["organizational_units"]}
    production = ous["Production"]  # /Workloads/Production/
    backend.get_organizational_unit_by_id(ous["Security"]["id"]).name = texts["OU name"]
    # OUs whose readable group names would collide with Production's (ou_workloads_production), each holding an account.
    colliding = []
    for name in ("Workloads-Production", "Workloads/Production"):
        ou = backend.create_organizational_unit(ParentId=truth["root_id"], Name=name)["OrganizationalUnit"]
        mover = next(account for account in active if account["ou_path"] == "/Sandbox/" and account["id"] not in colliding)
        backend.move_account(AccountId=mover["id"], SourceParentId=ous["Sandbox"]["id"], DestinationParentId=ou["Id"])
        colliding.append(mover["id"])
    inventory = tmp_path / "org.organization_accounts.yml"
    inventory.write_text(json.dumps({"plugin": "rootguard.aws.organization_accounts", "all_accounts": True, **CONSTRUCTED}))
    reports = tmp_path / "reports"
    runs = 0

    def confirmed(hosts: str) -> tuple:
        nonlocal runs
        runs += 1
        control.clear_requests()
        run = run_playbook(PER_HOST, inventory=str(inventory), core=core,
                           extra_vars={"rootguard_confirm": True, "rootguard_report_dir": str(reports), "rootguard_hosts": hosts})
        written = {entry["account"] for entry in control.requests()["entries"] if entry["write"]}
        return run, written

    # --limit by the name that several OUs share reaches no account at all.
    by_name, written_by_name = confirmed("ou_workloads_production")
    assert written_by_name == set(), by_name.stdout[-3000:]
    # --limit by Production's id group works on Production's accounts only.
    by_id, written_by_id = confirmed(id_group(production["id"]))
    assert by_id.returncode == 0, by_id.stdout[-4000:] + by_id.stderr[-2000:]
    assert written_by_id == subtree(truth, production["id"], backend) != set()
    # Everything else, the hostile account included.
    everything, _written = confirmed("all")
    assert everything.returncode == 0, everything.stdout[-4000:] + everything.stderr[-2000:]
    runs += 1
    audit = run_playbook(AUDIT, core=core, extra_vars={"rootguard_report_dir": str(reports)})
    assert audit.returncode == 0, audit.stdout[-4000:] + audit.stderr[-2000:]

    assert sorted(path.name for path in markers.iterdir()) == []
    report = json.loads((reports / "root-credentials-audit.json").read_text(encoding="utf-8"))
    shown = {entry["id"]: entry for entry in report["accounts"]}[target.id]
    assert shown["name"] == texts["account name"]
    assert any(entry["ou_path"].startswith("/" + texts["OU name"] + "/") for entry in report["accounts"] if entry["ou_path"])
    record(f"hostile-names-{(core or 'test-venv').replace('.', '-')}", section="hostile_names", core=core or "the test venv's", vectors=list(VECTORS),
           runs=runs, colliding_ous=len(colliding) + 1, markers_created=0, written_by_shared_name=len(written_by_name),
           written_by_id_group=len(written_by_id), outside_the_ou=len(written_by_id - subtree(truth, production["id"], backend)))
