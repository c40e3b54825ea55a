#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: root_credentials_info
version_added: 0.1.0
short_description: Audit the root user credentials of member accounts across an AWS organization
description:
  - For every targeted member account, opens one root session scoped by the V(IAMAuditRootUserCredentials) task
    policy and reads the root user's password (login profile), access keys with their last use, signing certificates
    and MFA devices.
  - Calls per account - C(AssumeRoot), C(GetLoginProfile), C(ListAccessKeys), C(ListSigningCertificates),
    C(ListMFADevices), and one C(GetAccessKeyLastUsed) per access key.
  - Never returns a certificate body or anything secret.
  - Accounts are worked on in a bounded pool (O(concurrency)); throttling is ridden out with backoff, and a failed
    account never stops the others.
  - Needs V(RootCredentialsManagement) enabled, and credentials of the management account or the IAM delegated
    administrator allowed C(sts:AssumeRoot).
author:
  - RootGuard maintainers (@rootguard)
options: {}
extends_documentation_fragment: [rootguard.aws.targeting, rootguard.aws.result_size, rootguard.aws.targeting.root_tasks, rootguard.aws.guardrails,
  rootguard.aws.attributes.info, rootguard.aws.attributes,
  ansible.builtin.action_common_attributes, ansible.builtin.action_common_attributes.actiongroups,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
seealso:
  - module: rootguard.aws.root_credentials
"""

EXAMPLES = r"""
- name: Audit every member account
  rootguard.aws.root_credentials_info:
    all_accounts: true
    concurrency: 20
  register: audit

- name: The accounts that still have a root credential
  ansible.builtin.debug:
    msg: "{{ audit.accounts | selectattr('status', 'equalto', 'ok') | rejectattr('found.compliant') | map(attribute='id') | list }}"

- name: Audit the production OU, report failures without failing the play
  rootguard.aws.root_credentials_info:
    organizational_unit_ids: [ou-ab12-cdefgh34]
    fail_on_error: false
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
findings:
  description:
    - How many findings the audit made, by severity - C(critical), C(high), C(medium), C(low) - and in C(total). Each
      audited account's findings are in its RV(accounts[].findings).
  returned: always
  type: dict
  sample: {critical: 2, high: 1, medium: 0, low: 3, total: 6}
compliant_accounts:
  description: How many audited accounts have no root credential at all.
  returned: always
  type: int
  sample: 42
summary:
  description:
    - How many accounts ended in each status, and the total.
    - With O(guardrails=check), also C(blocked) - how many accounts have anything in C(blocked).
  returned: always
  type: dict
  sample: {"ok": 57, "changed": 0, "would_change": 0, "skipped": 2, "failed": 1, "total": 60}
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
      RV(accounts) is shortened; an account in none of the lists is V(ok) and compliant unless it is in RV(account_ids.noncompliant).
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
    noncompliant:
      description: The audited accounts whose root user still has a credential.
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
      description: V(ok) (audited), V(skipped) or V(failed).
      type: str
    reason:
      description:
        - Why a skipped account was skipped - V(management_account), V(not_active), V(excluded) or V(not_in_organization).
        - V(blocked_by_guardrail) (O(guardrails=check)) for an account where the guardrails let root sessions do nothing
          of the task, with C(blocked) and an C(error_message) naming the policies.
      type: str
    found:
      description: The root user's credentials (null when skipped or failed).
      type: dict
      contains:
        password:
          description: C(present) (bool) and C(created) (ISO 8601 or null).
          type: dict
        access_keys:
          description:
            - C(id), C(status), C(created), C(last_used_date), C(last_used_service) and C(last_used_region) of each
              access key (C(N/A) service and region when never used).
          type: list
          elements: dict
        signing_certificates:
          description: C(id), C(status) and C(uploaded) of each signing certificate.
          type: list
          elements: dict
        mfa_devices:
          description: C(serial), C(type) (V(virtual), V(hardware) or V(security_key)) and C(enabled) (ISO 8601) of each MFA device.
          type: list
          elements: dict
        compliant:
          description: True when the root user has no credential at all.
          type: bool
    findings:
      description:
        - For an audited account, one finding per kind of root credential left, the most severe first - C(kind) (such as
          V(root_access_key_active)), C(severity) (V(CRITICAL), V(HIGH), V(MEDIUM) or V(LOW)), C(title), C(security_hub_controls)
          (such as V(IAM.4)), C(related_requirements) (CIS AWS Foundations Benchmark), C(credentials) (the ids it is about),
          C(remedy), C(account_id) and C(account_name). The Findings guide has the table of kinds. Absent for an account not
          audited.
      type: list
      elements: dict
    actions:
      description: Always empty for this module.
      type: list
      elements: dict
    blocked:
      description:
        - With O(guardrails=check) - what the organization's guardrails stopped in the account, one entry per denying
          statement (or level without an Allow) and call not made - C(step) (V(read), or V(last_used) for C(GetAccessKeyLastUsed)), C(credential_type) or
          C(id), C(action) (the AWS action, such as V(iam:DeleteLoginProfile)), C(policy_type) (V(SERVICE_CONTROL_POLICY)
          or V(RESOURCE_CONTROL_POLICY)), C(policy_id), C(policy_name), C(target_id) (where the policy is attached),
          C(statement) (its Sid, or its index), C(reason) (V(explicit_deny) or V(not_allowed)) and C(remedy).
        - Empty when nothing was stopped; absent without the check.
      type: list
      elements: dict
    error_class:
      description: For a failed account, the kind of error, such as V(access_denied), V(denied_by_scp) or V(throttled).
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
from ansible_collections.rootguard.aws.plugins.module_utils.root_credentials import root_credentials_info


def main():
    run_module(dict(targeting.ARGUMENT_SPEC, **bulk.ARGUMENT_SPEC, **guardrails_check.ARGUMENT_SPEC), root_credentials_info, **targeting.MODULE_OPTIONS)


if __name__ == "__main__":
    main()
