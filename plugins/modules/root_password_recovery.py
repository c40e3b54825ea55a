#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: root_password_recovery
version_added: 0.1.0
short_description: Allow or remove root password recovery in member accounts across an AWS organization
description:
  - O(state=present) re-allows root password recovery in each targeted member account (C(CreateLoginProfile) with no
    password, in a root session scoped by V(IAMCreateRootUserPassword)); whoever receives the root email address can
    then set a password with the usual "forgot password" flow. An existing login profile counts as unchanged.
  - O(state=absent) removes the root password (C(DeleteLoginProfile), in a V(IAMDeleteRootUserCredentials) session);
    an account without one counts as unchanged.
  - Calls per account - C(AssumeRoot) and C(GetLoginProfile), then the write only where the account is not yet as
    asked, so a re-run makes no write call (no refused C(CreateLoginProfile) in CloudTrail either).
  - Needs V(RootCredentialsManagement) enabled, and credentials of the management account or the IAM delegated
    administrator allowed C(sts:AssumeRoot).
author:
  - RootGuard maintainers (@rootguard)
options:
  state:
    description:
      - V(present) allows password recovery, V(absent) removes the root password.
    type: str
    choices: [present, absent]
    default: present
attributes:
  check_mode:
    support: full
    details: Check mode reads the login profile (C(GetLoginProfile)) and reports per account whether it would change;
      the task reports C(changed) when any account would change, as a real run would.
extends_documentation_fragment: [rootguard.aws.targeting, rootguard.aws.result_size, rootguard.aws.targeting.root_tasks,
  rootguard.aws.attributes.changes, rootguard.aws.attributes,
  ansible.builtin.action_common_attributes, ansible.builtin.action_common_attributes.actiongroups,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
seealso:
  - module: rootguard.aws.root_credentials
"""

EXAMPLES = r"""
- name: Let the owners of two accounts recover the root password
  rootguard.aws.root_password_recovery:
    account_ids: ["111122223333", "222233334444"]
    state: present

- name: Take root passwords away again in the sandbox OU
  rootguard.aws.root_password_recovery:
    organizational_unit_ids: [ou-ab12-sandbox1]
    state: absent
"""

RETURN = r"""
run_id:
  description: The id of this run (O(run_id), or a new random one), as on every line of the journal.
  returned: always
  type: str
  sample: 3f1c0a9e5b7d4e2a8c6b1d0f9e8a7b6c
journal:
  description: The path of the run journal (O(journal)), or V(null) without one.
  returned: always
  type: str
interrupted:
  description:
    - What stopped the run before every account was done - V(SIGTERM), V(SIGINT) or V(parent_exited) (a process that
      started the module exited) - or V(null) when nothing did.
  returned: always
  type: str
organization_id:
  description: The organization's id.
  returned: always
  type: str
  sample: o-a1b2c3d4e5
summary:
  description: How many accounts ended in each status, and the total.
  returned: always
  type: dict
  sample: {"ok": 1, "changed": 1, "would_change": 0, "skipped": 0, "failed": 0, "total": 2}
account_ids:
  description:
    - The ids of the accounts that need attention, by what they need, most urgent first. Always complete, also when
      RV(accounts) is shortened; an account in none of the lists is V(ok).
  returned: always
  type: dict
  contains:
    failed:
      description: The accounts whose work failed.
      type: list
      elements: str
    blocked:
      description: The accounts where the guardrails kept a call from being made (their C(blocked) entries).
      type: list
      elements: str
    skipped:
      description: The accounts skipped (RV(accounts[].reason) says why).
      type: list
      elements: str
    changed:
      description: The accounts changed.
      type: list
      elements: str
    would_change:
      description: The accounts that would change (check mode, or a run stopped by its blast-radius limit).
      type: list
      elements: str
accounts_complete:
  description:
    - Whether RV(accounts) holds every account's entry; V(false) when O(max_result_size) shortened it (the task then
      warns). RV(accounts_file) has them all when O(accounts_file) is given.
  returned: always
  type: bool
accounts_omitted:
  description: How many accounts' entries O(max_result_size) left out of RV(accounts).
  returned: always
  type: int
  sample: 0
accounts_file:
  description: The file with every account's entry (O(accounts_file)), or V(null) without one.
  returned: always
  type: str
accounts:
  description: One entry per targeted account (skipped ones included), sorted by id. Shortened when over O(max_result_size) (RV(accounts_complete)).
  returned: always
  type: list
  elements: dict
  contains:
    id:
      description: Account id.
      type: str
    name:
      description: Account name.
      type: str
    ou_path:
      description: OU path.
      type: str
    parent_id:
      description: The id of the OU (or root) the account is in; null when the account is not in the organization.
      type: str
    status:
      description: V(ok) (already as asked), V(changed), V(would_change) (check mode), V(skipped) or V(failed).
      type: str
    reason:
      description: Why a skipped account was skipped; V(interrupted) for an account the run never started because it was stopped.
      type: str
    actions:
      description: The change made or due, C(action) being V(create_login_profile) or V(delete_login_profile).
      type: list
      elements: dict
    error_class:
      description: For a failed account, the kind of error.
      type: str
    error_message:
      description: For a failed or skipped account, what happened.
      type: str
    aws_error_code:
      description: For a failed account, the AWS error code.
      type: str
"""

from ansible_collections.rootguard.aws.plugins.module_utils import bulk, targeting
from ansible_collections.rootguard.aws.plugins.module_utils.common import run_module
from ansible_collections.rootguard.aws.plugins.module_utils.root_credentials import root_password_recovery


def main():
    run_module(dict(targeting.ARGUMENT_SPEC, **bulk.ARGUMENT_SPEC, state={"type": "str", "choices": ["present", "absent"], "default": "present"}),
               root_password_recovery, **targeting.MODULE_OPTIONS)


if __name__ == "__main__":
    main()
