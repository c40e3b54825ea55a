"""The organization_accounts inventory plugin: hosts, OU groups, host variables,
constructed groups and variables, caching, and a per-host playbook over it."""

from __future__ import annotations

import json
import os
import pathlib

import boto3
import pytest

from conftest import OLDER_CORES
from rootguard_emulator.evidence import writes
from test_root_credentials import has_credentials

FEATURES = ["RootCredentialsManagement"]
PER_HOST = str(pathlib.Path(__file__).resolve().parents[2] / "playbooks" / "harden_accounts_per_host.yml")


def config(**options) -> dict:
    return {"plugin": "rootguard.aws.organization_accounts", **options}


def plain(value):
    """A value of ansible-inventory's JSON with its unsafe markers taken off."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [plain(item) for item in value]
    return value


def id_group(parent_id: str) -> str:
    """ou-ab12-cdefgh34 -> ou_ab12_cdefgh34, r-ab12 -> ou_r_ab12."""
    return "ou_" + parent_id.removeprefix("ou-").replace("-", "_")


def ou_chain(truth: dict, parent_id: str) -> list:
    """The ids of the root and the OUs from it down to ``parent_id``."""
    ous = {ou["id"]: ou for ou in truth["organizational_units"]}
    chain = []
    while parent_id in ous:
        chain.insert(0, parent_id)
        parent_id = ous[parent_id]["parent_id"]
    return [truth["root_id"], *chain]


def members(listing: dict) -> dict:
    return plain(listing["_meta"]["hostvars"])


def group_hosts(listing: dict, group: str) -> set:
    return set(listing.get(group, {}).get("hosts", []))


def group_children(listing: dict, group: str) -> set:
    return set(listing.get(group, {}).get("children", []))


def test_all_accounts_become_hosts_with_ou_groups_and_host_variables(control, run_inventory):
    truth = control.seed(accounts=20, profile="mixed")
    control.clear_requests()

    returncode, listing, stderr = run_inventory(config(all_accounts=True))

    assert returncode == 0, stderr
    hostvars = members(listing)
    active = {account["id"]: account for account in truth["accounts"] if account["state"] == "ACTIVE"}
    assert set(hostvars) == set(active)  # no management account, no suspended account
    for account_id, account in active.items():
        interpreter = hostvars[account_id].pop("ansible_python_interpreter")
        assert os.path.basename(interpreter).startswith("python"), interpreter
        assert hostvars[account_id] == {
            "account_id": account_id,
            "account_name": account["name"],
            "email": account["email"],
            "state": "ACTIVE",
            "joined_method": "CREATED",
            "ou_path": account["ou_path"],
            "ou_ids": ou_chain(truth, account["parent_id"]),
            "parent_id": account["parent_id"],
            "account_tags": {"seed-index": str(int(account_id) - 210000000000)},
            "organization_id": truth["organization_id"],
            "ansible_connection": "local",
        }
    by_parent: dict = {}
    for account_id, account in active.items():
        by_parent.setdefault(account["parent_id"], set()).add(account_id)
    ou = {ou["path"]: ou["id"] for ou in truth["organizational_units"]}
    root = truth["root_id"]
    # Each OU's accounts in its id group, nested like the tree; the root's group holds no OU.
    for parent_id, accounts in by_parent.items():
        assert group_hosts(listing, id_group(parent_id)) == accounts
    assert group_children(listing, id_group(root)) == set()
    workloads_children = {id_group(ou["/Workloads/Production/"]), id_group(ou["/Workloads/NonProduction/"])}
    assert group_children(listing, id_group(ou["/Workloads/"])) == workloads_children
    assert group_children(listing, id_group(ou["/Workloads/Production/"])) == {id_group(ou["/Workloads/Production/Payments/"])}
    # The readable names, each holding its OU's id group and nothing else.
    assert group_children(listing, "ou_root") == {id_group(root)}
    assert group_hosts(listing, "ou_root") == set()
    for path, name in (("/Workloads/", "ou_workloads"), ("/Workloads/Production/", "ou_workloads_production"),
                       ("/Workloads/Production/Payments/", "ou_workloads_production_payments"), ("/Security/", "ou_security")):
        assert (group_children(listing, name), group_hosts(listing, name)) == ({id_group(ou[path])}, set())
    assert control.requests()["writes"] == 0


def add_ou(emulator, truth: dict, name: str, parent_id: str | None = None) -> str:
    organizations = boto3.client("organizations", endpoint_url=emulator.endpoint, region_name="us-east-1",
                                 aws_access_key_id="testing", aws_secret_access_key="testing")
    return organizations.create_organizational_unit(Name=name, ParentId=parent_id or truth["root_id"])["OrganizationalUnit"]["Id"]


def move_account(emulator, account: dict, destination: str) -> None:
    organizations = boto3.client("organizations", endpoint_url=emulator.endpoint, region_name="us-east-1",
                                 aws_access_key_id="testing", aws_secret_access_key="testing")
    organizations.move_account(AccountId=account["id"], SourceParentId=account["parent_id"], DestinationParentId=destination)
    account["parent_id"] = destination


def colliding_organization(control, emulator) -> dict:
    """The seeded tree plus OUs whose readable names collide: Workloads-Production and Workloads/Production (both
    ou_workloads_production, as is /Workloads/Production/), Root (ou_root) under the root, and an OU named like the
    Security OU's id; an account moved into each from the root, Infrastructure or Sandbox. Returns the truth with
    "moved": {label: account id} and "ous": {label: OU id}."""
    truth = control.seed(accounts=24, profile="full", features=FEATURES, trusted_access=True)
    ous = {ou["path"]: ou["id"] for ou in truth["organizational_units"]}
    security = ous["/Security/"]
    labels = {
        "dash": add_ou(emulator, truth, "Workloads-Production"),
        "slash": add_ou(emulator, truth, "Workloads/Production"),
        "root": add_ou(emulator, truth, "Root"),
        "like_an_id": add_ou(emulator, truth, security.removeprefix("ou-")),
    }
    elsewhere = {truth["root_id"], ous["/Infrastructure/"], ous["/Sandbox/"]}
    spare = [account for account in truth["accounts"] if account["state"] == "ACTIVE" and account["parent_id"] in elsewhere]
    moved = {}
    for (label, ou_id), account in zip(labels.items(), spare[3:], strict=False):
        move_account(emulator, account, ou_id)
        moved[label] = account["id"]
    truth.update(ous=labels, moved=moved, security=security, production=ous["/Workloads/Production/"])
    control.clear_requests()
    return truth


@pytest.mark.parametrize("core", (None, *OLDER_CORES))
def test_ou_groups_never_merge_ous_whose_names_collide(control, emulator, run_inventory, core):
    truth = colliding_organization(control, emulator)
    active = [account for account in truth["accounts"] if account["state"] == "ACTIVE"]

    returncode, listing, stderr = run_inventory(config(all_accounts=True), core=core)

    assert returncode == 0, stderr
    # No readable group for any of the colliding OUs, and each collision named in a warning.
    for name in ("ou_workloads_production", "ou_root"):
        assert name not in listing
    imitator = truth["security"].removeprefix("ou-")
    paths = {truth["production"]: "/Workloads/Production/", truth["ous"]["dash"]: "/Workloads-Production/",
             truth["ous"]["slash"]: "/Workloads/Production/", truth["root_id"]: "/", truth["ous"]["root"]: "/Root/",
             truth["ous"]["like_an_id"]: f"/{imitator}/", truth["security"]: "/Security/"}
    for name, owners in (("ou_workloads_production", sorted([truth["production"], truth["ous"]["dash"], truth["ous"]["slash"]])),
                         ("ou_root", [truth["root_id"], truth["ous"]["root"]]),
                         (id_group(truth["security"]), [truth["ous"]["like_an_id"], truth["security"]])):
        warning = (f"rootguard.aws.organization_accounts: OUs {', '.join(f'{owner} ({paths[owner]})' for owner in owners)} would share "
                   f"the readable group name {name}, so none of them gets it; limit to their id groups "
                   f"{', '.join(id_group(owner) for owner in owners)} instead.")
        # Compared without white space: ansible-core before 2.19 wraps warnings.
        assert "".join(warning.split()) in "".join(stderr.split()), stderr
    # Every account is in its own OU's id group only.
    for account in active:
        assert account["id"] in group_hosts(listing, id_group(account["parent_id"]))
    for label, ou_id in truth["ous"].items():
        assert group_hosts(listing, id_group(ou_id)) == {truth["moved"][label]}
    # The id group that an OU name imitates is the Security OU's, with its readable name; the imitator has none.
    security_accounts = {account["id"] for account in active if account["parent_id"] == truth["security"]}
    assert group_hosts(listing, id_group(truth["security"])) == security_accounts
    assert group_children(listing, "ou_security") == {id_group(truth["security"])}
    assert group_children(listing, id_group(truth["security"])) == set()
    assert control.requests()["writes"] == 0


def test_limit_to_an_ou_group_hardens_only_that_ou(control, emulator, run_playbook, tmp_path):
    truth = colliding_organization(control, emulator)
    inventory = tmp_path / "org.organization_accounts.yml"
    inventory.write_text(json.dumps(config(all_accounts=True)))
    under = {account["id"] for account in truth["accounts"] if account["state"] == "ACTIVE"
             and account["parent_id"] in ou_chain_below(truth, truth["production"])}
    assert under and not under & set(truth["moved"].values())

    run = run_playbook(PER_HOST, inventory=str(inventory), extra_vars={
        "rootguard_confirm": True, "rootguard_report_dir": str(tmp_path / "reports"), "rootguard_hosts": id_group(truth["production"])})

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    assert set(run.recap()) == under
    others = [account["id"] for account in truth["accounts"] if account["state"] == "ACTIVE" and account["id"] not in under]
    assert {account_id for account_id in others if not has_credentials(control.root_user(account_id))} == set()
    assert {account_id for account_id in under if has_credentials(control.root_user(account_id))} == set()
    assert {entry["account"] for entry in control.requests()["entries"] if entry["write"]} == under

    # The readable name that OUs share selects no host at all.
    control.clear_requests()
    run = run_playbook(PER_HOST, inventory=str(inventory), extra_vars={
        "rootguard_confirm": True, "rootguard_report_dir": str(tmp_path / "reports"), "rootguard_hosts": "ou_workloads_production"})
    assert "skipping: no hosts matched" in run.stdout, run.stdout[-3000:]
    assert writes(control.requests()["entries"]) == []


def ou_chain_below(truth: dict, parent_id: str) -> set:
    """``parent_id`` and every seeded OU below it."""
    below = {parent_id}
    for ou in truth["organizational_units"]:  # listed parents first
        if ou["parent_id"] in below:
            below.add(ou["id"])
    return below


def test_targeting_options_and_the_management_account(control, run_inventory):
    truth = control.seed(accounts=20, profile="mixed")
    workloads = next(ou["id"] for ou in truth["organizational_units"] if ou["name"] == "Workloads")
    under = {a["id"] for a in truth["accounts"] if a["ou_path"].startswith("/Workloads/") and a["state"] == "ACTIVE"}
    excluded = sorted(under)[0]

    returncode, listing, stderr = run_inventory(config(organizational_unit_ids=[workloads], exclude_account_ids=[excluded]))
    assert returncode == 0, stderr
    assert set(members(listing)) == under - {excluded}

    returncode, listing, stderr = run_inventory(config(all_accounts=True, include_management_account=True, include_inactive=True,
                                                       include_tags=False))
    assert returncode == 0, stderr
    assert set(members(listing)) == {truth["management_account_id"]} | {a["id"] for a in truth["accounts"]}
    assert all(hostvars["account_tags"] == {} for hostvars in members(listing).values())
    assert control.requests()["by_action"].get("organizations:ListTagsForResource", 0) == len(under) - 1


def test_constructed_groups_and_variables(control, run_inventory):
    control.seed(accounts=6, profile="none")

    returncode, listing, stderr = run_inventory(config(
        all_accounts=True,
        keyed_groups=[{"key": "account_tags['seed-index']", "prefix": "seed"}],
        groups={"first_three": "account_tags['seed-index'] | int < 3"},
        compose={"display_name": "account_name ~ ' (' ~ ou_path ~ ')'"},
    ))

    assert returncode == 0, stderr
    assert group_hosts(listing, "seed_4") == {"210000000004"}
    assert group_hosts(listing, "first_three") == {"210000000000", "210000000001", "210000000002"}
    assert members(listing)["210000000001"]["display_name"] == "member-00002 (/Security/)"


@pytest.mark.parametrize("core", (None, *OLDER_CORES))
def test_a_constructed_group_may_not_add_accounts_to_an_ou_group(control, run_inventory, core):
    truth = control.seed(accounts=6, profile="none")
    security = next(ou["id"] for ou in truth["organizational_units"] if ou["name"] == "Security")

    returncode, listing, stderr = run_inventory(config(all_accounts=True, keyed_groups=[{"key": "'" + security[3:] + "'", "prefix": "ou"}]),
                                                env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"}, core=core)

    assert returncode != 0 and listing is None
    assert (f"keyed_groups, groups or parent_group put 210000000000, 210000000002, 210000000003, 210000000004, 210000000005 in "
            f"{id_group(security)}, the group of an organizational unit") in " ".join(stderr.split())


def test_bad_targeting_fails_before_any_call(control, run_inventory):
    control.seed(accounts=3, profile="none")
    control.clear_requests()

    returncode, listing, stderr = run_inventory(config(all_accounts=True, account_ids=["210000000000"]),
                                                env={"ANSIBLE_INVENTORY_UNPARSED_FAILED": "true"})

    assert returncode != 0 and listing is None
    assert "give exactly one of them" in stderr
    assert control.requests()["entries"] == []


def test_the_cache_serves_a_second_listing_without_any_call(control, run_inventory, tmp_path):
    control.seed(accounts=4, profile="none")
    cached = config(all_accounts=True, cache=True, cache_plugin="ansible.builtin.jsonfile", cache_connection=str(tmp_path / "cache"),
                    cache_timeout=600)
    returncode, first, stderr = run_inventory(cached)
    assert returncode == 0, stderr
    control.clear_requests()

    returncode, second, stderr = run_inventory(cached)

    assert returncode == 0, stderr
    assert second == first
    assert control.requests()["entries"] == []


def test_a_cache_written_before_ou_groups_were_keyed_on_ids_is_replaced(control, run_inventory, tmp_path):
    control.seed(accounts=4, profile="none")
    cached = config(all_accounts=True, cache=True, cache_plugin="ansible.builtin.jsonfile", cache_connection=str(tmp_path / "cache"),
                    cache_timeout=600)
    returncode, first, stderr = run_inventory(cached)
    assert returncode == 0, stderr
    (entry,) = (tmp_path / "cache").iterdir()
    stored = json.loads(entry.read_text())  # ansible-core 2.19+ wraps the value in {"__payload__": its JSON}
    older = json.loads(stored["__payload__"])
    del older["organizational_units"]
    for account in older["accounts"]:
        del account["ou_ids"]
    entry.write_text(json.dumps({**stored, "__payload__": json.dumps(older)}))
    control.clear_requests()

    returncode, second, stderr = run_inventory(cached)

    assert returncode == 0, stderr
    assert second == first
    assert control.requests()["entries"] != []
    control.clear_requests()
    assert run_inventory(cached)[1] == first
    assert control.requests()["entries"] == []


def test_a_per_host_playbook_audits_each_account_of_an_ou(control, run_inventory, run_playbook, tmp_path):
    truth = control.seed(accounts=12, profile="full", features=FEATURES)
    inventory = tmp_path / "per_host.organization_accounts.yml"
    inventory.write_text('{"plugin": "rootguard.aws.organization_accounts", "all_accounts": true}')
    workloads = {a["id"] for a in truth["accounts"] if a["ou_path"].startswith("/Workloads/")}

    run = run_playbook("inventory_per_host.yml", {"target_hosts": "ou_workloads"}, inventory=str(inventory))

    assert run.returncode == 0, run.stdout + run.stderr
    audited = {name[len("audit-"):]: result for name, result in run.results.items() if name.startswith("audit-")}
    assert set(audited) == workloads
    for account_id, result in audited.items():
        (entry,) = result["accounts"]
        assert (entry["id"], entry["status"], entry["found"]["compliant"]) == (account_id, "ok", False)


def test_an_account_that_left_the_ou_since_the_cached_inventory_is_skipped_as_stale(control, emulator, run_inventory, run_playbook,
                                                                                    tmp_path):
    truth = control.seed(accounts=16, profile="full", features=FEATURES, trusted_access=True)
    production = next(ou["id"] for ou in truth["organizational_units"] if ou["path"] == "/Workloads/Production/")
    sandbox = next(ou["id"] for ou in truth["organizational_units"] if ou["path"] == "/Sandbox/")
    cached = config(all_accounts=True, cache=True, cache_plugin="ansible.builtin.jsonfile", cache_connection=str(tmp_path / "cache"),
                    cache_timeout=3600)
    assert run_inventory(cached, name="org.organization_accounts.yml")[0] == 0
    in_production = sorted(account["id"] for account in truth["accounts"] if account["parent_id"] in ou_chain_below(truth, production))
    moved = next(account for account in truth["accounts"] if account["parent_id"] == production)
    move_account(emulator, moved, sandbox)
    stayed = set(in_production) - {moved["id"]}
    assert stayed
    control.clear_requests()
    reports = tmp_path / "reports"

    run = run_playbook(PER_HOST, inventory=str(tmp_path / "org.organization_accounts.yml"), extra_vars={
        "rootguard_confirm": True, "rootguard_report_dir": str(reports), "rootguard_hosts": id_group(production)})

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    # The moved account: untouched, not even a root session; the others of the OU hardened.
    assert has_credentials(control.root_user(moved["id"]))
    entries = control.requests()["entries"]
    assert [entry for entry in entries if entry["account"] == moved["id"] and entry["principal"] == "root"] == []
    assert {entry["account"] for entry in entries if entry["write"]} == stayed
    assert not any(has_credentials(control.root_user(account_id)) for account_id in stayed)
    [stale_file] = (reports / "runs").glob("*/stale-inventory.json")
    (entry,) = json.loads(stale_file.read_text())["accounts"]
    assert (entry["id"], entry["status"], entry["reason"], entry["inventory_parent_id"], entry["parent_id"]) == (
        moved["id"], "skipped", "stale_inventory", production, sandbox)
    assert "Refresh it (ansible-inventory --flush-cache" in entry["error_message"]
    summary = " ".join(run.stdout.split())
    assert f"{len(in_production)} account(s): {len(stayed)} changed, 0 would change, 0 unchanged, 1 skipped, 0 failed." in summary
    assert f"1 skipped as stale_inventory (moved since the inventory was read: {moved['id']}); refresh the inventory cache" in summary
