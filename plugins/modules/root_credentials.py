#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: root_credentials
version_added: 0.1.0
short_description: Remove the root user credentials of member accounts across an AWS organization
description:
  - For every targeted member account, opens one root session scoped by the V(IAMDeleteRootUserCredentials) task
    policy, reads the root user's credentials, and removes the chosen types.
  - Removal order - access keys, signing certificates, MFA devices (deactivated, then virtual devices deleted), then
    the password (login profile).
  - A virtual MFA device that cannot be deleted after its deactivation is no longer a credential of the root user, but
    the device is left behind and the account counts as failed. No root task policy allows C(ListVirtualMFADevices),
    so a later run cannot find such a device by listing; it deletes it when it is given its serial, in
    O(virtual_mfa_devices_left), through the same O(journal) (the journal's earlier lines name it), or through
    O(previous_journal), the journal of an earlier run. The serials still left are carried into this run's O(journal),
    so that each run's journal names every device left by the runs before it.
  - A step counts as this run's change (C(done)) only when this run's call made it. A credential that someone else
    removed between this run's read and its call (another controller working on the same account) is reported
    C(already_absent); an account where every step was already absent is V(ok), not V(changed). AWS offers no way to
    lock a root user against a concurrent change, so two runs at once can both read a credential; only one of them
    claims its removal.
  - With O(max_changed_accounts), every account is read before any change, so the limit can stop the whole run before
    the first write when more accounts would change than expected. Without it, each account is read and cleaned in
    one go.
  - Calls per account - C(AssumeRoot), one read per type in O(credential_types) (C(ListAccessKeys),
    C(ListSigningCertificates), C(ListMFADevices), C(GetLoginProfile)), then one call per credential removed (two for a
    virtual MFA device). Removing only the password takes three calls per account.
  - Accounts are worked on in a bounded pool (O(concurrency)); throttling is ridden out with backoff, and a failed
    account never stops the others.
  - Needs V(RootCredentialsManagement) enabled, and credentials of the management account or the IAM delegated
    administrator allowed C(sts:AssumeRoot).
author:
  - RootGuard maintainers (@rootguard)
options:
  state:
    description:
      - V(absent) removes the root credentials of the types in O(credential_types).
    type: str
    choices: [absent]
    default: absent
  credential_types:
    description:
      - The credential types to remove. Signing certificates can still be used by legacy workloads; leave them out
        to keep them.
    type: list
    elements: str
    choices: [access_keys, signing_certificates, mfa_devices, password]
    default: [access_keys, signing_certificates, mfa_devices, password]
  max_changed_accounts:
    description:
      - The blast-radius limit. When more accounts would change than this, no account is changed and the task fails
        with the list of accounts.
      - Omit it for no limit.
    type: int
  virtual_mfa_devices_left:
    description:
      - Serials (C(arn:aws:iam::<account id>:mfa/<name>)) of virtual MFA devices that an earlier run deactivated but
        could not delete; each is deleted in its account when that account is targeted and O(credential_types) has
        V(mfa_devices). One already gone is reported C(already_absent).
      - With O(journal), the serials that the journal's earlier lines record as left behind are added.
    type: list
    elements: str
  previous_journal:
    description:
      - The journal of an earlier run (its O(journal)), read for the virtual MFA devices it records as left behind and
        not deleted since, which are added to O(virtual_mfa_devices_left). The roles pass the journal of the run before.
      - A missing file is no error (there was no earlier run).
    type: path
attributes:
  check_mode:
    support: full
    details: Check mode opens the root sessions and reads, and lists per account exactly what would be removed; the task
      reports C(changed) when any account would change, as a real run would.
  diff_mode:
    support: full
    details: The diff shows, per account that changes, its credentials before and after.
extends_documentation_fragment: [rootguard.aws.targeting, rootguard.aws.result_size, rootguard.aws.targeting.root_tasks, rootguard.aws.guardrails,
  rootguard.aws.attributes,
  ansible.builtin.action_common_attributes, ansible.builtin.action_common_attributes.actiongroups,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
seealso:
  - module: rootguard.aws.root_credentials_info
  - module: rootguard.aws.root_password_recovery
"""

EXAMPLES = r"""
- name: Plan the removal of every root credential in the Workloads OU
  rootguard.aws.root_credentials:
    organizational_unit_ids: [ou-ab12-cdefgh34]
  check_mode: true
  register: plan

- name: Remove them, but never in more than 25 accounts at once, and keep signing certificates
  rootguard.aws.root_credentials:
    organizational_unit_ids: [ou-ab12-cdefgh34]
    credential_types: [password, access_keys, mfa_devices]
    max_changed_accounts: 25
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
  description:
    - How many accounts ended in each status, and the total.
    - With O(guardrails=check), also C(blocked) - how many accounts have anything in C(blocked).
  returned: always
  type: dict
  sample: {"ok": 20, "changed": 37, "would_change": 0, "skipped": 2, "failed": 1, "total": 60}
error_class:
  description: V(blast_radius_exceeded) when more accounts would change than O(max_changed_accounts).
  returned: failure
  type: str
guardrails:
  description:
    - With O(guardrails=check) - C(root_id), C(policy_types_enabled) (the policy types enforced, read once before any
      root session) and C(task_policy) (the task whose calls were decided). Absent without the check.
  returned: when O(guardrails=check)
  type: dict
  sample: {"root_id": "r-ab12", "policy_types_enabled": ["SERVICE_CONTROL_POLICY"], "task_policy": "IAMDeleteRootUserCredentials"}
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
      description: OU path, such as V(/Workloads/Production/).
      type: str
    parent_id:
      description: The id of the OU (or root) the account is in; null when the account is not in the organization.
      type: str
    status:
      description:
        - V(ok) (nothing to remove, or every credential already gone when this run reached it), V(changed),
          V(would_change) (check mode, or stopped by the blast-radius limit), V(skipped) or V(failed).
      type: str
    reason:
      description:
        - Why a skipped account was skipped; V(interrupted) for an account the run never started because it was stopped.
        - V(blocked_by_guardrail) (O(guardrails=check)) for an account where the guardrails let root sessions do nothing
          of the task, with C(blocked) and an C(error_message) naming the policies.
      type: str
    found:
      description:
        - The root user's credentials of the types in O(credential_types) before the removal, as
          M(rootguard.aws.root_credentials_info) returns them (without last use); the other types are not read.
        - C(compliant) is there only when every type was read.
      type: dict
    actions:
      description:
        - The removal steps, in order, each with C(action) (V(delete_access_key), V(delete_signing_certificate),
          V(deactivate_mfa_device), V(delete_virtual_mfa_device) or V(delete_login_profile)) and C(id).
        - After a real run each step also has C(done) (this run's call made the change), C(already_absent) (the
          credential was already gone when this run's call reached it) and C(error) (why it was not done).
      type: list
      elements: dict
    blocked:
      description:
        - With O(guardrails=check) - what the organization's guardrails stopped in the account, one entry per denying
          statement (or level without an Allow) and call not made - C(step) (V(read), or the removal step such as
          V(delete_login_profile)), C(credential_type) or
          C(id), C(action) (the AWS action, such as V(iam:DeleteLoginProfile)), C(policy_type) (V(SERVICE_CONTROL_POLICY)
          or V(RESOURCE_CONTROL_POLICY)), C(policy_id), C(policy_name), C(target_id) (where the policy is attached),
          C(statement) (its Sid, or its index), C(reason) (V(explicit_deny) or V(not_allowed)) and C(remedy).
        - Empty when nothing was stopped; absent without the check.
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

from ansible_collections.rootguard.aws.plugins.module_utils import bulk, guardrails_check, targeting
from ansible_collections.rootguard.aws.plugins.module_utils.common import run_module
from ansible_collections.rootguard.aws.plugins.module_utils.root_credentials import root_credentials
from ansible_collections.rootguard.aws.plugins.module_utils.validation import CREDENTIAL_TYPES


def main():
    run_module(dict(
        targeting.ARGUMENT_SPEC,
        **bulk.ARGUMENT_SPEC,
        **guardrails_check.ARGUMENT_SPEC,
        state={"type": "str", "choices": ["absent"], "default": "absent"},
        credential_types={"type": "list", "elements": "str", "choices": list(CREDENTIAL_TYPES), "default": list(CREDENTIAL_TYPES)},
        max_changed_accounts={"type": "int"},
        virtual_mfa_devices_left={"type": "list", "elements": "str"},
        previous_journal={"type": "path"},
    ), root_credentials, **targeting.MODULE_OPTIONS)


if __name__ == "__main__":
    main()
