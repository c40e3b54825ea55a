# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: organization_accounts
short_description: The member accounts of an AWS organization as inventory hosts
version_added: 0.1.0
description:
  - Lists the organization's accounts with the account-targeting options the collection's modules share and makes
    each one a host named by its account id, so that an automation controller can run per-account jobs with forks,
    C(--limit) and job slicing.
  - Each organizational unit becomes a group named by its id (V(ou-ab12-cdefgh34) gives C(ou_ab12_cdefgh34)), nested
    like the OU tree, so that limiting to an OU includes the OUs below it. Accounts directly under the root are in the
    root's group (V(r-ab12) gives C(ou_r_ab12)), which holds no OU.
  - Each of these groups also has a readable name, C(ou_) and the OU names from the root down, lower-cased, with
    anything but letters and digits squashed to C(_) (V(/Workloads/Production/) gives C(ou_workloads_production);
    C(ou_root) for the root), a group that holds the id group - but only where that name is unique. OU names are not
    unique and may contain V(/) (an OU V(Workloads-Production) under the root would also be C(ou_workloads_production)),
    so a name that two OUs, or an OU and an id group, would share is given to none of them, with a warning that names
    their id groups;
    readable names are checked against the OUs the listing reads (the whole tree, or when up to 20 O(account_ids) are
    looked up, the OUs above them). A keyed or composed group that would add accounts to an OU group is an error.
  - Host variables - C(account_id), C(account_name), C(email), C(state), C(joined_method), C(ou_path), C(ou_ids) (the
    ids of the root and the OUs from it down to the account's parent), C(parent_id),
    C(account_tags) (the account's tags; C(tags) is a reserved name in Ansible), C(organization_id), and
    C(ansible_connection=local) with C(ansible_python_interpreter) set to the Python that runs Ansible, as the modules
    run on the controller.
  - The group C(all) gets C(rootguard_inventory_accounts), the number of accounts listed. A job that sees fewer hosts
    is one slice of a job that an automation controller sliced; the playbooks of this collection that act on the whole
    organization from C(localhost) refuse to run as a slice.
  - Every host variable read from AWS is marked unsafe, so that text in account names, emails, tags or OU names (which
    member accounts' administrators may set) is never templated, on any supported ansible-core.
  - The management account is left out unless O(include_management_account=true); accounts that are not V(ACTIVE) are
    left out unless O(include_inactive=true).
  - Uses a YAML configuration file whose name ends with C(organization_accounts.yml) or C(organization_accounts.yaml).
options:
  plugin:
    description: The name of this plugin.
    type: str
    required: true
    choices: [rootguard.aws.organization_accounts]
  include_tags:
    description:
      - Read each account's tags (one C(ListTagsForResource) call per account).
    type: bool
    default: true
  include_management_account:
    description:
      - List the management account too. Root-task modules never work on it.
    type: bool
    default: false
extends_documentation_fragment:
  - rootguard.aws.targeting
  - rootguard.aws.targeting.include_inactive
  - inventory_cache
  - constructed
  - amazon.aws.boto3
  - amazon.aws.common.plugins
  - amazon.aws.region.plugins
  - amazon.aws.assume_role.plugins
author:
  - RootGuard maintainers (@rootguard)
"""

EXAMPLES = r"""
# organization_accounts.yml: every active member account; --limit ou_ab12_cdefgh34 then selects the accounts of the
# OU ou-ab12-cdefgh34 and of the OUs below it
plugin: rootguard.aws.organization_accounts
all_accounts: true

---
# prod.organization_accounts.yml: the Workloads OU without the sandbox, grouped by the team tag
plugin: rootguard.aws.organization_accounts
organizational_unit_ids:
  - ou-ab12-cdefgh34
exclude_account_ids:
  - "444455556666"
keyed_groups:
  - key: account_tags.team | default('none')
    prefix: team
compose:
  display_name: account_name ~ ' (' ~ ou_path ~ ')'
cache: true
cache_plugin: ansible.builtin.jsonfile
cache_connection: ~/.cache/rootguard-inventory
cache_timeout: 3600
"""

import re
import sys

from ansible.errors import AnsibleError
from ansible.utils.unsafe_proxy import wrap_var
from ansible_collections.amazon.aws.plugins.module_utils.botocore import botocore_at_least
from ansible_collections.amazon.aws.plugins.module_utils.botocore import gather_sdk_versions
from ansible_collections.amazon.aws.plugins.plugin_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase
from ansible_collections.rootguard.aws.plugins.module_utils import targeting
from ansible_collections.rootguard.aws.plugins.module_utils.clients import ClientFactory
from ansible_collections.rootguard.aws.plugins.module_utils.clients import MINIMUM_BOTOCORE
from ansible_collections.rootguard.aws.plugins.module_utils.errors import RootGuardError
from ansible_collections.rootguard.aws.plugins.module_utils.organizations import list_accounts


def id_group(parent_id: str) -> str:
    """The group of an OU or root, named by its id: ``ou-ab12-cdefgh34`` -> ``ou_ab12_cdefgh34``, ``r-ab12`` -> ``ou_r_ab12``."""
    unique = parent_id[len("ou-"):] if parent_id.startswith("ou-") else parent_id
    return "ou_" + re.sub(r"[^a-z0-9]", "_", unique.lower())


def readable_group(parent_id: str, ous: dict):
    """``ou_`` and the OU names from the root down, lower-cased and squashed (``/Workloads/Production/`` ->
    ``ou_workloads_production``), ``ou_root`` for the root; None when a name has no letter or digit."""
    words: list = []
    while parent_id in ous and len(words) <= len(ous):
        word = re.sub(r"[^a-z0-9]+", "_", ous[parent_id]["name"].lower()).strip("_")
        if not word:
            return None
        words.append(word)
        parent_id = ous[parent_id]["parent_id"]
    return "ou_" + "_".join(reversed(words)) if words else "ou_root"


def ou_groups(listing: dict) -> tuple:
    """The OU groups of a listing, ``{group: {"hosts": set, "children": set}}``, and the readable names that nobody
    gets because they are not unique, ``{name: [the ids that would share it]}``.

    Each OU (and the root) has a group named by its id holding the accounts directly in it, nested in its parent
    OU's group (the root's group is nested in nothing and holds only the accounts directly under the root); each
    readable name unique among the OUs' readable names and the id groups holds the OU's id group."""
    ous = {ou["id"]: ou for ou in listing["organizational_units"]}
    parents = [*sorted({account["ou_ids"][0] for account in listing["accounts"]}), *sorted(ous)]
    id_groups = {id_group(parent_id): parent_id for parent_id in parents}
    sharing: dict = {}
    for parent_id in parents:
        name = readable_group(parent_id, ous)
        if name:
            sharing.setdefault(name, []).append(parent_id)
    collisions = {name: owners + ([id_groups[name]] if name in id_groups else [])
                  for name, owners in sharing.items() if len(owners) > 1 or name in id_groups}
    readable = {owners[0]: name for name, owners in sharing.items() if name not in collisions}
    groups: dict = {}

    def group(name: str) -> dict:
        return groups.setdefault(name, {"hosts": set(), "children": set()})

    for account in listing["accounts"]:
        chain = account["ou_ids"]
        for depth, parent_id in enumerate(chain):
            group(id_group(parent_id))
            if depth > 1:
                group(id_group(chain[depth - 1]))["children"].add(id_group(parent_id))
            if parent_id in readable:
                group(readable[parent_id])["children"].add(id_group(parent_id))
        group(id_group(chain[-1]))["hosts"].add(account["id"])
    return groups, collisions


class InventoryModule(AWSInventoryBase):
    NAME = "rootguard.aws.organization_accounts"
    INVENTORY_FILE_SUFFIXES = ("organization_accounts.yml", "organization_accounts.yaml")

    def parse(self, inventory, loader, path, cache=True):  # pylint: disable=arguments-differ
        super().parse(inventory, loader, path, cache=cache)
        if not botocore_at_least(MINIMUM_BOTOCORE):
            raise AnsibleError(f"{self.NAME}: botocore>={MINIMUM_BOTOCORE} is required for Organizations' Account.State; "
                               f"this Python ({sys.executable}) has botocore {gather_sdk_versions()['botocore_version']}")
        found, listing = self.get_cached_result(path, cache)
        # A cache written before OU groups were keyed on ids lacks the OUs: list again and replace it.
        outdated = found and "organizational_units" not in listing
        if not found or outdated:
            listing = self._list_accounts()
            self.update_cached_result(path, cache and not outdated, listing)
        self._populate(listing)

    def _list_accounts(self) -> dict:
        options = {name: self.get_option(name) for name in targeting.LISTING_ARGUMENT_SPEC}
        try:
            targets = targeting.targets_from_params(options)
            region, endpoint_url, connection = get_aws_connection_info(self)
            factory = ClientFactory(region, endpoint_url, connection, make_client=self._caller_client)
            result = list_accounts(factory, targets, self.get_option("include_tags"))
        except RootGuardError as error:
            raise AnsibleError(f"{self.NAME}: {error.message}") from None
        accounts = [
            account for account in result["accounts"]
            if self.get_option("include_management_account") or not account["management_account"]
        ]
        return {"organization_id": result["organization_id"], "accounts": accounts, "organizational_units": result["organizational_units"]}

    def _caller_client(self, service: str, region: str, config, **credentials):
        """A client made by amazon.aws (AWSInventoryBase.client), with the credentials of assume_role_arn when it is set;
        otherwise with ``credentials``, the plugin's own with the token of AWS_SECURITY_TOKEN (ClientFactory)."""
        return self.client(service, region=region, config=config, **({} if self.get_option("assume_role_arn") else credentials))

    def _populate(self, listing: dict) -> None:
        strict = self.get_option("strict")
        groups, collisions = ou_groups(listing)
        paths = {ou["id"]: ou["ou_path"] for ou in listing["organizational_units"]}
        for name, owners in sorted(collisions.items()):
            self.display.warning(
                f"{self.NAME}: OUs " + ", ".join(f"{owner} ({paths.get(owner, '/')})" for owner in owners)
                + f" would share the readable group name {name}, so none of them gets it; limit to their id groups "
                + ", ".join(id_group(owner) for owner in owners) + " instead."
            )
        before = {name: self._members(name) for name in groups if name in self.inventory.groups}
        for name in sorted(groups):
            self.inventory.add_group(name)
        for name, members in sorted(groups.items()):
            for child in sorted(members["children"]):
                self.inventory.add_child(name, child)
        for account in listing["accounts"]:
            host = account["id"]
            self.inventory.add_host(host, group=id_group(account["ou_ids"][-1]))
            # Text from AWS (names, emails, tags, OU names) is marked unsafe: before ansible-core 2.19,
            # Ansible templates plain strings wherever they are used.
            hostvars = wrap_var({
                "account_id": account["id"],
                "account_name": account["name"],
                "email": account["email"],
                "state": account["state"],
                "joined_method": account["joined_method"],
                "ou_path": account["ou_path"],
                "ou_ids": account["ou_ids"],
                "parent_id": account["parent_id"],
                "account_tags": account["tags"],
                "organization_id": listing["organization_id"],
            })
            hostvars.update({
                "ansible_connection": "local",
                # The modules run on the controller, with the Python that runs Ansible (and has boto3).
                "ansible_python_interpreter": sys.executable,
            })
            for name, value in hostvars.items():
                self.inventory.set_variable(host, name, value)
            self._set_composite_vars(self.get_option("compose"), hostvars, host, strict=strict)
            self._add_host_to_composed_groups(self.get_option("groups"), hostvars, host, strict=strict)
            self._add_host_to_keyed_groups(self.get_option("keyed_groups"), hostvars, host, strict=strict)
        self._refuse_constructed_members(groups, before)
        # How many accounts the inventory lists: a job that sees fewer hosts is one slice of a sliced job.
        self.inventory.set_variable("all", "rootguard_inventory_accounts", len(listing["accounts"]))

    def _members(self, group: str) -> set:
        found = self.inventory.groups[group]
        return {host.name for host in found.hosts} | {child.name for child in found.child_groups}

    def _refuse_constructed_members(self, groups: dict, before: dict) -> None:
        """An OU group must hold only that OU's accounts and groups: a keyed or composed group of the same name
        (a tag value can choose it) would add other accounts to it."""
        for name, members in sorted(groups.items()):
            extra = self._members(name) - before.get(name, set()) - members["hosts"] - members["children"]
            if extra:
                raise AnsibleError(f"{self.NAME}: keyed_groups, groups or parent_group put {', '.join(sorted(extra))} in {name}, "
                                   "the group of an organizational unit; give those groups names that do not start with ou_.")
