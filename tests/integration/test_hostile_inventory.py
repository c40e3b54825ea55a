"""Hostile names from AWS through the organization_accounts inventory and the per-host playbook:
an account name, email, tag key, tag value and OU name that are Jinja code stay inert text on
every supported ansible-core (before 2.19 Ansible templates plain strings when they are used)."""

from __future__ import annotations

import json
import pathlib

import pytest
from moto.organizations.models import organizations_backends

from conftest import OLDER_CORES
from test_root_credentials import has_credentials

REPO = pathlib.Path(__file__).resolve().parents[2]
PER_HOST = str(REPO / "playbooks" / "harden_accounts_per_host.yml")
FEATURES = ["RootCredentialsManagement", "RootSessions"]
CORES = (None, *OLDER_CORES)
VECTORS = ("name", "email", "tag_key", "tag_value", "ou")
# README's keyed_groups example and the plugin's EXAMPLES (keyed group and compose), and a composed group.
README_CONSTRUCTED = {
    "keyed_groups": [{"key": "account_tags.team | default('none')", "prefix": "team"},
                     {"key": "ou_path", "prefix": "path"}],
    "compose": {"display_name": "account_name ~ ' (' ~ ou_path ~ ')'"},
    "groups": {"tagged": "account_tags | length > 0 and email is defined"},
}


def hostile(marker: pathlib.Path) -> str:
    return "{{ lookup('pipe', 'touch " + str(marker) + "') }}"


def poison(truth: dict, markers: pathlib.Path) -> dict:
    """Give one account a hostile name, email and tags and rename the Production OU to hostile text,
    straight in the emulator's Organizations backend (AWS's own patterns allow all of it); return
    {"account": its id, "under_ou": an account below the renamed OU, "texts": {vector: text}}."""
    markers.mkdir()
    texts = {vector: hostile(markers / vector) for vector in VECTORS}
    texts["email"] += "@example.com"
    backend = organizations_backends[truth["management_account_id"]]["aws"]
    active = [account for account in truth["accounts"] if account["state"] == "ACTIVE"]
    chosen = next(account for account in active if account["ou_path"] == "/")
    account = backend.get_account_by_id(chosen["id"])
    account.name, account.email = texts["name"], texts["email"]
    account.tags.update({"team": texts["tag_value"], texts["tag_key"]: "x"})
    production = next(ou for ou in truth["organizational_units"] if ou["name"] == "Production")
    backend.get_organizational_unit_by_id(production["id"]).name = texts["ou"]
    under = next(account for account in active if account["ou_path"].startswith("/Workloads/Production/"))
    return {"account": chosen["id"], "under_ou": under["id"], "texts": texts}


def fired(markers: pathlib.Path) -> list:
    return sorted(path.name for path in markers.iterdir())


def unsafe_text(value) -> str:
    """A string of ansible-inventory's JSON: before 2.19 every AWS string must come marked unsafe."""
    if isinstance(value, dict):
        assert set(value) == {"__ansible_unsafe"}, value
        return value["__ansible_unsafe"]
    return value


@pytest.mark.parametrize("core", CORES)
def test_hostile_names_stay_text_through_the_inventory_and_its_constructed_groups(control, run_inventory, tmp_path, core):
    truth = control.seed(accounts=12, profile="none")
    markers = tmp_path / "markers"
    planted = poison(truth, markers)

    returncode, listing, stderr = run_inventory({"plugin": "rootguard.aws.organization_accounts", "all_accounts": True,
                                                 **README_CONSTRUCTED}, core=core)

    assert returncode == 0, stderr
    assert fired(markers) == []
    texts = planted["texts"]
    hostvars = listing["_meta"]["hostvars"][planted["account"]]
    assert unsafe_text(hostvars["account_name"]) == texts["name"]
    assert unsafe_text(hostvars["email"]) == texts["email"]
    tags = {unsafe_text(key): unsafe_text(value) for key, value in hostvars["account_tags"].items()}
    assert tags == {"seed-index": tags["seed-index"], "team": texts["tag_value"], texts["tag_key"]: "x"}
    assert unsafe_text(hostvars["display_name"]) == texts["name"] + " (/)"
    below = listing["_meta"]["hostvars"][planted["under_ou"]]
    assert unsafe_text(below["ou_path"]).startswith("/Workloads/" + texts["ou"] + "/")
    assert unsafe_text(below["display_name"]).endswith(" (" + unsafe_text(below["ou_path"]) + ")")
    assert planted["account"] in listing["tagged"]["hosts"]
    # A keyed group named from hostile text keeps no template in its name.
    keyed = [name for name, group in listing.items() if name.startswith("team_") and planted["account"] in group.get("hosts", [])]
    assert len(keyed) == 1 and "{" not in keyed[0] and "'" not in keyed[0], keyed


# Every host variable, group name and composed value of the poisoned accounts, templated by a play.
TEMPLATING_PLAY = """
- name: Template what the inventory gives
  hosts: "{{ poisoned }}"
  gather_facts: false
  tasks:
    - name: Everything from AWS, templated
      ansible.builtin.copy:
        content: "{{ [account_name, email, account_tags, ou_path, display_name, group_names, groups | list, hostvars[inventory_hostname]]
                     | to_json }}"
        dest: "{{ results_dir }}/templated-{{ inventory_hostname }}.json"
        mode: "0600"
"""


@pytest.mark.parametrize("core", CORES)
def test_hostile_names_stay_text_in_a_play_that_templates_the_host_variables_and_groups(control, run_playbook, tmp_path, core):
    truth = control.seed(accounts=12, profile="none")
    markers = tmp_path / "markers"
    planted = poison(truth, markers)
    inventory = tmp_path / "org.organization_accounts.yml"
    inventory.write_text(json.dumps({"plugin": "rootguard.aws.organization_accounts", "all_accounts": True, **README_CONSTRUCTED}))
    play = tmp_path / "templating.yml"
    play.write_text(TEMPLATING_PLAY)

    run = run_playbook(str(play), inventory=str(inventory), core=core,
                       extra_vars={"poisoned": ",".join([planted["account"], planted["under_ou"]])})

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert fired(markers) == []
    name, email, tags, ou_path, display_name, group_names, _groups, hostvars = run.results[f"templated-{planted['account']}"]
    assert (name, email, tags["team"], display_name) == (planted["texts"]["name"], planted["texts"]["email"], planted["texts"]["tag_value"],
                                                         planted["texts"]["name"] + " (/)")
    assert hostvars["account_name"] == planted["texts"]["name"]
    assert all("{" not in group for group in group_names), group_names
    assert run.results[f"templated-{planted['under_ou']}"][3].startswith("/Workloads/" + planted["texts"]["ou"] + "/")


@pytest.mark.parametrize("core", CORES)
def test_hostile_names_stay_text_through_the_per_host_playbook(control, emulator, run_inventory, run_playbook, tmp_path, core):
    truth = control.seed(accounts=12, profile="full", features=FEATURES, trusted_access=True)
    markers = tmp_path / "markers"
    planted = poison(truth, markers)
    # A third account, with a hostile name too, moves out of the cached inventory's OU: the stale_inventory path.
    backend = organizations_backends[truth["management_account_id"]]["aws"]
    mover = next(account for account in truth["accounts"] if account["state"] == "ACTIVE" and account["ou_path"] == "/Security/")
    backend.get_account_by_id(mover["id"]).name = hostile(markers / "mover")
    name = "org.organization_accounts.yml"
    cached = {"plugin": "rootguard.aws.organization_accounts", "all_accounts": True, "cache": True, "cache_plugin": "ansible.builtin.jsonfile",
              "cache_connection": str(tmp_path / "cache"), **README_CONSTRUCTED}
    assert run_inventory(cached, name=name, core=core)[0] == 0
    backend.move_account(AccountId=mover["id"], SourceParentId=mover["parent_id"], DestinationParentId=truth["root_id"])
    reports = tmp_path / "reports"
    chosen = [planted["account"], planted["under_ou"], mover["id"]]
    control.clear_requests()

    run = run_playbook(PER_HOST, inventory=str(tmp_path / name), core=core, extra_vars={
        "rootguard_confirm": True, "rootguard_report_dir": str(reports), "rootguard_hosts": ",".join(chosen)})

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert fired(markers) == []
    assert not any(has_credentials(control.root_user(account_id)) for account_id in chosen[:2])
    assert has_credentials(control.root_user(mover["id"]))
    assert "3 account(s): 2 changed, 0 would change, 0 unchanged, 1 skipped, 0 failed." in " ".join(run.stdout.split())
    [after] = (reports / "runs").glob("*/root-credentials-after-removal.json")
    assert {row["id"]: row["name"] for row in json.loads(after.read_text())["accounts"]}[planted["account"]] == planted["texts"]["name"]
    [stale_file] = (reports / "runs").glob("*/stale-inventory.json")
    (stale,) = json.loads(stale_file.read_text())["accounts"]
    assert (stale["name"], stale["reason"]) == (hostile(markers / "mover"), "stale_inventory")
    assert {entry["account"] for entry in control.requests()["entries"] if entry["write"]} == set(chosen[:2])
