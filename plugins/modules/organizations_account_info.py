#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: organizations_account_info
version_added: 0.1.0
short_description: List the accounts of an AWS organization with their OU path, state and tags
description:
  - Lists the organization's accounts chosen by the account-targeting options that every account-scoped module of
    the collection shares, with id, name, email, state, how they joined, parent, OU path and tags.
  - Walks the OU tree once (C(ListRoots), C(ListOrganizationalUnitsForParent)) and lists the accounts of the parents
    in scope (C(ListAccountsForParent)); when organizational units are targeted, only their subtrees are listed; up to
    20 O(account_ids) are looked up one by one instead (see O(account_ids)).
    Pages are followed to the end and throttling is ridden out with backoff.
  - Accounts left out are returned in RV(skipped_accounts) with the reason.
  - Works from the management account and from a delegated administrator.
author:
  - RootGuard maintainers (@rootguard)
options:
  include_tags:
    description:
      - Read each listed account's tags (one C(ListTagsForResource) call per account).
    type: bool
    default: true
extends_documentation_fragment: [rootguard.aws.targeting, rootguard.aws.result_size, rootguard.aws.targeting.include_inactive,
  rootguard.aws.attributes.info, rootguard.aws.attributes,
  ansible.builtin.action_common_attributes, ansible.builtin.action_common_attributes.actiongroups,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
notes:
  - Unlike the root-task modules, this module lists the management account when it is targeted; it is marked with
    C(management_account=true).
"""

EXAMPLES = r"""
- name: Every active account of the organization
  rootguard.aws.organizations_account_info:
    all_accounts: true
  register: organization

- name: The accounts under the Workloads OU, nested OUs included, but not the sandbox
  rootguard.aws.organizations_account_info:
    organizational_unit_ids:
      - ou-ab12-cdefgh34
    exclude_account_ids:
      - "444455556666"
    include_tags: false

- name: Two accounts, suspended ones included
  rootguard.aws.organizations_account_info:
    account_ids:
      - "111122223333"
      - "222233334444"
    include_inactive: true
"""

RETURN = r"""
organization_id:
  description: The organization's id.
  returned: success
  type: str
  sample: o-a1b2c3d4e5
management_account_id:
  description: The management account's id.
  returned: success
  type: str
  sample: "123456789012"
accounts_complete:
  description:
    - Whether RV(accounts) holds every account's entry; V(false) when O(max_result_size) shortened it (the task then
      warns). RV(accounts_file) has them all when O(accounts_file) is given.
  returned: success
  type: bool
accounts_omitted:
  description: How many accounts' entries O(max_result_size) left out of RV(accounts).
  returned: success
  type: int
  sample: 0
accounts_file:
  description: The file with every account's entry (O(accounts_file)), or V(null) without one.
  returned: success
  type: str
accounts:
  description: The targeted accounts, sorted by id. Shortened when over O(max_result_size) (RV(accounts_complete)).
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Account id.
      type: str
      sample: "111122223333"
    arn:
      description: Account ARN.
      type: str
    name:
      description: Account name.
      type: str
      sample: payments-prod
    email:
      description: The root user's email address.
      type: str
    state:
      description:
        - The account's C(State) as AWS returns it - V(ACTIVE), V(SUSPENDED), V(PENDING_ACTIVATION), V(PENDING_CLOSURE)
          or V(CLOSED), or a value AWS adds later, passed through as it is (any value but V(ACTIVE) counts as not active).
        - The retired C(Status) is read only when AWS sends no C(State); nothing depends on it.
      type: str
      sample: ACTIVE
    joined_method:
      description: V(CREATED) or V(INVITED).
      type: str
    joined_timestamp:
      description: When the account joined the organization (ISO 8601).
      type: str
    parent_id:
      description: The id of the OU (or root) the account is in.
      type: str
      sample: ou-ab12-cdefgh34
    ou_path:
      description:
        - The names of the OUs from the root down, V(/) for the root.
        - OU names are not unique and may contain V(/); use RV(accounts[].ou_ids) to tell OUs apart.
      type: str
      sample: /Workloads/Production/
    ou_ids:
      description: The ids of the root and of the OUs from it down to the account's parent.
      type: list
      elements: str
      sample: ["r-ab12", "ou-ab12-11111111", "ou-ab12-cdefgh34"]
    management_account:
      description: Whether this is the management account.
      type: bool
    tags:
      description: The account's tags (empty when O(include_tags=false)).
      type: dict
      sample: {"team": "payments"}
skipped_accounts:
  description: The accounts left out, sorted by id.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: Account id.
      type: str
    name:
      description: Account name (null when the account is not in the organization).
      type: str
    state:
      description: Account state (null when the account is not in the organization).
      type: str
    ou_path:
      description: OU path (null when the account is not in the organization).
      type: str
    parent_id:
      description: The id of the OU (or root) the account is in (null when the account is not in the organization).
      type: str
    reason:
      description: V(excluded), V(not_active) or V(not_in_organization).
      type: str
    message:
      description: The reason in words.
      type: str
organizational_units:
  description:
    - The organizational units the listing read, sorted by id - the whole OU tree, or when up to 20 O(account_ids) are looked
      up, the OUs above those accounts.
  returned: success
  type: list
  elements: dict
  contains:
    id:
      description: OU id.
      type: str
      sample: ou-ab12-cdefgh34
    name:
      description: OU name.
      type: str
      sample: Production
    parent_id:
      description: The id of the OU (or root) above it.
      type: str
      sample: ou-ab12-11111111
    ou_path:
      description: The names of the OUs from the root down to this one.
      type: str
      sample: /Workloads/Production/
error_class:
  description:
    - On failure, the kind of error, such as V(not_management_or_delegated_administrator), V(organization_not_found),
      V(not_found) (an organizational unit that is not in the organization), V(throttled) or V(invalid_input).
  returned: failure
  type: str
aws_error_code:
  description: On failure, the AWS error code, when AWS answered.
  returned: failure
  type: str
"""

from ansible_collections.rootguard.aws.plugins.module_utils import result_size, targeting
from ansible_collections.rootguard.aws.plugins.module_utils.common import run_module
from ansible_collections.rootguard.aws.plugins.module_utils.organizations import organizations_account_info


def main():
    run_module(dict(targeting.LISTING_ARGUMENT_SPEC, include_tags={"type": "bool", "default": True}, **result_size.ARGUMENT_SPEC), organizations_account_info,
               **targeting.MODULE_OPTIONS)


if __name__ == "__main__":
    main()
