"""The organization_accounts inventory plugin: hosts, OU groups, host variables,
constructed groups and variables, caching, and a per-host playbook over it."""

from __future__ import annotations

import os

FEATURES = ["RootCredentialsManagement"]


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
            "parent_id": account["parent_id"],
            "account_tags": {"seed-index": str(int(account_id) - 210000000000)},
            "organization_id": truth["organization_id"],
            "ansible_connection": "local",
        }
    by_path: dict = {}
    for account_id, account in active.items():
        by_path.setdefault(account["ou_path"], set()).add(account_id)
    assert group_hosts(listing, "ou_root") == by_path["/"]
    assert group_hosts(listing, "ou_workloads_production") == by_path["/Workloads/Production/"]
    assert "ou_workloads_production" in group_children(listing, "ou_workloads")
    assert "ou_workloads_production_payments" in group_children(listing, "ou_workloads_production")
    assert control.requests()["writes"] == 0


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
