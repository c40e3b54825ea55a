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
  - Each organizational unit becomes a group named C(ou_) and its path (V(/Workloads/Production/) gives
    C(ou_workloads_production)), nested like the OU tree, so that limiting to an OU includes the OUs below it. Accounts
    directly under the root are in the group C(ou_root).
  - Host variables - C(account_id), C(account_name), C(email), C(state), C(joined_method), C(ou_path), C(parent_id),
    C(account_tags) (the account's tags; C(tags) is a reserved name in Ansible), C(organization_id), and
    C(ansible_connection=local) with C(ansible_python_interpreter) set to the Python that runs Ansible, as the modules
    run on the controller.
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
# organization_accounts.yml: every active member account
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
from ansible_collections.amazon.aws.plugins.plugin_utils.botocore import get_aws_connection_info
from ansible_collections.amazon.aws.plugins.plugin_utils.inventory import AWSInventoryBase
from ansible_collections.rootguard.aws.plugins.module_utils import targeting
from ansible_collections.rootguard.aws.plugins.module_utils.clients import ClientFactory
from ansible_collections.rootguard.aws.plugins.module_utils.errors import RootGuardError
from ansible_collections.rootguard.aws.plugins.module_utils.organizations import list_accounts


def ou_group(ou_path: str) -> str:
    """``/Workloads/Production/`` -> ``ou_workloads_production``; ``/`` -> ``ou_root``."""
    names = [name for name in ou_path.split("/") if name]
    if not names:
        return "ou_root"
    return "ou_" + "_".join(re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_") for name in names)


class InventoryModule(AWSInventoryBase):
    NAME = "rootguard.aws.organization_accounts"
    INVENTORY_FILE_SUFFIXES = ("organization_accounts.yml", "organization_accounts.yaml")

    def parse(self, inventory, loader, path, cache=True):  # pylint: disable=arguments-differ
        super().parse(inventory, loader, path, cache=cache)
        found, listing = self.get_cached_result(path, cache)
        if not found:
            listing = self._list_accounts()
            self.update_cached_result(path, cache, listing)
        self._populate(listing)

    def _list_accounts(self) -> dict:
        options = {name: self.get_option(name) for name in targeting.ARGUMENT_SPEC}
        try:
            targets = targeting.targets_from_params(options)
            region, endpoint_url, connection = get_aws_connection_info(self)
            connection.update(self._frozen_credentials)
            factory = ClientFactory(region, endpoint_url, connection)
            result = list_accounts(factory, targets, self.get_option("include_tags"))
        except RootGuardError as error:
            raise AnsibleError(f"{self.NAME}: {error.message}") from None
        accounts = [
            account for account in result["accounts"]
            if self.get_option("include_management_account") or not account["management_account"]
        ]
        return {"organization_id": result["organization_id"], "accounts": accounts}

    def _populate(self, listing: dict) -> None:
        strict = self.get_option("strict")
        for account in listing["accounts"]:
            host = account["id"]
            group = self._add_ou_groups(account["ou_path"])
            self.inventory.add_host(host, group=group)
            # Text from AWS (names, emails, tags, OU names) is marked unsafe: before ansible-core 2.19,
            # Ansible templates plain strings wherever they are used.
            hostvars = wrap_var({
                "account_id": account["id"],
                "account_name": account["name"],
                "email": account["email"],
                "state": account["state"],
                "joined_method": account["joined_method"],
                "ou_path": account["ou_path"],
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

    def _add_ou_groups(self, ou_path: str) -> str:
        """The OU's group, nested in the groups of the OUs above it; returns its name."""
        names = [name for name in ou_path.split("/") if name]
        group = self.inventory.add_group(ou_group("/"))
        for depth in range(1, len(names) + 1):
            child = self.inventory.add_group(ou_group("/" + "/".join(names[:depth]) + "/"))
            if depth > 1:
                self.inventory.add_child(group, child)
            group = child
        return group
