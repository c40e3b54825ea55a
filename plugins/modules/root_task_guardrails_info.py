#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: root_task_guardrails_info
version_added: 0.1.0
short_description: Tell which root tasks the organization's SCPs and RCPs would let root sessions do, account by account
description:
  - For every targeted account and every task policy in O(task_policies), tells whether the service control policies
    (SCPs) and resource control policies (RCPs) attached from the root down to the account would let a root session
    make the calls of the collection's module for that task, and when not, which statement of which policy, attached
    where, denies which call, with the change that lets root sessions through.
  - Opens no root session, calls no C(AssumeRoot) and writes nothing; it reads the organization and its policies once
    and decides every account from them.
  - Calls, whatever the number of accounts - those of the account listing (C(GetCallerIdentity), C(DescribeOrganization),
    then the walk or the look-up described under O(account_ids)); C(ListRoots) for the root and the policy types enabled
    on it; and for each of SCPs and RCPs that is enabled on the root, the pages of C(ListPolicies) plus two calls per
    policy of that type (C(DescribePolicy), and C(ListTargetsForPolicy), one page per 20 targets). So 3 or 300
    accounts cost the same policy reads.
  - A policy type not enabled on the root is not enforced, whatever is attached; it is not read, and RV(policy_types)
    says so.
  - The decisions follow AWS's documented evaluation (IAM User Guide, "Policy evaluation logic", "Condition operators",
    "IAM JSON policy elements - Condition", "AWS global condition context keys"; Organizations User Guide, "SCP
    evaluation" and "Resource control policies (RCPs)") - an explicit deny at any level wins, and every level from the
    root to the account must allow the call. RCPs govern only the services that support them, IAM not among them, so
    no RCP can stop the three credential tasks.
  - The request of a root session is known for what AWS documents of it - C(aws:PrincipalArn) (the account's root),
    C(aws:AssumedRoot) (true), the principal's and the resource's account, organization and OU path (both the target
    account's own), the Region of each call (IAM calls go to V(us-east-1)). A condition on what is not known (such as
    C(aws:SourceIp), C(aws:CurrentTime), C(aws:MultiFactorAuthPresent), C(aws:PrincipalType), tags), an operator the
    collection does not evaluate, or a statement that names particular buckets or queues (the check does not know which
    one a task will unlock) leaves the task V(null) - uncertain - with the reason in C(uncertain), never a guess.
  - Needs credentials of the management account, or of an account allowed to read the organization's policies (see
    the error class V(cannot_read_guardrails) in the notes).
author:
  - RootGuard maintainers (@rootguard)
options:
  task_policies:
    description:
      - The root tasks to check, by the name of their AWS task policy (or its ARN).
      - V(IAMAuditRootUserCredentials) is the calls of M(rootguard.aws.root_credentials_info), V(IAMDeleteRootUserCredentials)
        those of M(rootguard.aws.root_credentials) (and M(rootguard.aws.root_password_recovery) with V(state=absent)),
        V(IAMCreateRootUserPassword) those of M(rootguard.aws.root_password_recovery), V(S3UnlockBucketPolicy) those of
        M(rootguard.aws.root_bucket_policy), V(SQSUnlockQueuePolicy) those of M(rootguard.aws.root_queue_policy).
      - Any other name fails the task before any call.
    type: list
    elements: str
    default: [IAMAuditRootUserCredentials, IAMDeleteRootUserCredentials, IAMCreateRootUserPassword, S3UnlockBucketPolicy, SQSUnlockQueuePolicy]
  regions:
    description:
      - The Regions where bucket and queue unlocks would run (their buckets' and queues' Regions); V(S3UnlockBucketPolicy)
        and V(SQSUnlockQueuePolicy) are decided in each of them, so that a Region-deny SCP shows in the Regions it denies.
      - The three IAM tasks call IAM's one Region whatever this says.
      - Omit it for the module's Region (O(region)).
    type: list
    elements: str
extends_documentation_fragment: [rootguard.aws.targeting, rootguard.aws.result_size, rootguard.aws.attributes.info, rootguard.aws.attributes,
  ansible.builtin.action_common_attributes, ansible.builtin.action_common_attributes.actiongroups,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
notes:
  - The management account is listed when targeted, with C(subject_to_guardrails=false) and every task allowed - SCPs
    and RCPs never apply to it (centralized root access does not open root sessions in it either).
  - What it cannot know - C(sts:AssumeRoot) itself is made by the caller, so the SCPs of the caller's own account
    decide it (none for the management account; the delegated administrator's account's SCPs otherwise), and whether
    an RCP on the target account can stop it AWS does not document; it is not evaluated (RV(assume_root)). Whether an
    RCP governs C(s3:ListAllMyBuckets), a call on no resource, AWS does not say either - such a deny is uncertain.
    Identity policies, permissions boundaries, VPC endpoint policies and the bucket's or queue's own policy are not SCPs
    or RCPs and are not read (the task policy of a root session allows every call the collection makes).
  - A caller that may not read the policies (C(AccessDenied) on C(ListPolicies), C(DescribePolicy) or
    C(ListTargetsForPolicy)) fails with the error class V(cannot_read_guardrails), whose message names the permission
    denied. An IAM delegated administrator reads the organization's accounts, but its policies only where the
    organization's delegation policy (AWS Organizations, "Delegated administrator for AWS Organizations") allows
    C(organizations:ListPolicies), C(organizations:DescribePolicy) and C(organizations:ListTargetsForPolicy).
  - Bad input (an unknown task policy, a malformed Region, the targeting options) fails before any call with the error
    class V(invalid_input).
seealso:
  - module: rootguard.aws.iam_organizations_features_info
  - module: rootguard.aws.organizations_account_info
"""

EXAMPLES = r"""
- name: Which root tasks the guardrails let through, in every account
  rootguard.aws.root_task_guardrails_info:
    all_accounts: true
  register: guardrails

- name: The accounts where removing root credentials would be blocked
  ansible.builtin.debug:
    msg: "{{ guardrails.accounts | selectattr('task_policies.IAMDeleteRootUserCredentials.allowed', 'equalto', false) | map(attribute='id') | list }}"

- name: What to change
  ansible.builtin.debug:
    msg: "{{ guardrails.remedies | map(attribute='remedy') | list }}"

- name: Bucket and queue unlocks in the Workloads OU, in the two Regions its buckets and queues are in
  rootguard.aws.root_task_guardrails_info:
    organizational_unit_ids: [ou-ab12-cdefgh34]
    task_policies: [S3UnlockBucketPolicy, SQSUnlockQueuePolicy]
    regions: [eu-west-1, eu-central-1]

- name: Stop before a removal that the guardrails would block
  ansible.builtin.assert:
    that: guardrails.summary.IAMDeleteRootUserCredentials.blocked == 0
    fail_msg: "{{ guardrails.remedies | map(attribute='remedy') | join(' ') }}"
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
root_id:
  description: The id of the organization's root.
  returned: success
  type: str
  sample: r-ab12
policy_types_enabled:
  description: The policy types enabled on the root among V(SERVICE_CONTROL_POLICY) and V(RESOURCE_CONTROL_POLICY); only these are enforced and read.
  returned: success
  type: list
  elements: str
  sample: [SERVICE_CONTROL_POLICY]
policy_types:
  description: Per policy type (V(SERVICE_CONTROL_POLICY), V(RESOURCE_CONTROL_POLICY)), its status on the root.
  returned: success
  type: dict
  contains:
    status:
      description: The root's status for the type - V(ENABLED), V(PENDING_ENABLE), V(PENDING_DISABLE), or V(NOT_ENABLED) when the root does not list it.
      type: str
    enforced:
      description: Whether the type is enforced (only when V(ENABLED)); a type that is not is not read.
      type: bool
    policies:
      description: How many policies of the type the organization has (null when not enforced).
      type: int
    message:
      description: The same in words.
      type: str
  sample:
    SERVICE_CONTROL_POLICY: {"status": "ENABLED", "enforced": true, "policies": 4, "message": "SCPs are enabled on root r-ab12 and enforced."}
    RESOURCE_CONTROL_POLICY: {"status": "NOT_ENABLED", "enforced": false, "policies": null,
                              "message": "RCPs are NOT_ENABLED on root r-ab12: none is enforced, so none can stop a root task; not read."}
task_policies:
  description: The task policies checked (O(task_policies)).
  returned: success
  type: list
  elements: str
regions:
  description: The Regions the bucket and queue tasks were decided in (O(regions)).
  returned: success
  type: list
  elements: str
  sample: [eu-west-1]
account_ids:
  description:
    - The ids of the accounts that need attention. Always complete, also when RV(accounts) is shortened.
  returned: success
  type: dict
  contains:
    blocked:
      description: The accounts where the guardrails block at least one task.
      type: list
      elements: str
    uncertain:
      description: The accounts where at least one task's decision is uncertain.
      type: list
      elements: str
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
  description:
    - One entry per targeted account (the skipped ones are in RV(skipped_accounts)), sorted by id.
    - Shortened when over O(max_result_size) (RV(accounts_complete)).
  returned: success
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
      description: The names of the OUs from the root down, V(/) for the root.
      type: str
      sample: /Workloads/Production/
    state:
      description: The account's C(State) as M(rootguard.aws.organizations_account_info) returns it (V(ACTIVE); other states are skipped).
      type: str
    management_account:
      description: Whether this is the management account.
      type: bool
    subject_to_guardrails:
      description: False for the management account (SCPs and RCPs never apply to it), true otherwise.
      type: bool
    message:
      description: For the management account, why every task is allowed.
      type: str
    task_policies:
      description:
        - Per task policy name, C(allowed) - V(true) (nothing denies any call), V(false) (a call the task needs is denied)
          or V(null) (nothing certainly denies, but something may); C(denied) - the denials; C(uncertain) - what may deny.
        - 'A C(denied) entry - C(action), C(region) (the Region the call goes to; V(us-east-1) for IAM), C(policy_type),
          C(policy_id), C(policy_name), C(target_id) (the root, OU or account it is attached to), C(statement) (its Sid,
          or its index in the policy), C(reason) (V(explicit_deny), or V(not_allowed) when no policy of that level
          allows the call, with no policy or statement), C(essential) (false for a call the module goes on without,
          such as deleting a virtual MFA device, which then does not block the task).'
        - An C(uncertain) entry - the same fields, with C(why) instead of C(reason) and C(essential).
        - Of the bucket and queue tasks, every step is required (deleting and replacing the policy are the two states of
          the module); read C(denied) for which one is blocked.
      type: dict
      sample:
        IAMDeleteRootUserCredentials:
          allowed: false
          denied:
            - {"action": "iam:DeleteLoginProfile", "region": "us-east-1", "policy_type": "SERVICE_CONTROL_POLICY",
               "policy_id": "p-abcd1234", "policy_name": "aws-guardrails-XyZ", "target_id": "ou-ab12-cdefgh34",
               "statement": "GRRESTRICTROOTUSER", "reason": "explicit_deny", "essential": true}
          uncertain: []
skipped_accounts:
  description:
    - The accounts left out, sorted by id, as M(rootguard.aws.organizations_account_info) returns them - C(id),
      C(name), C(state), C(ou_path), C(parent_id), C(reason) (V(excluded), V(not_active) or V(not_in_organization))
      and C(message).
  returned: success
  type: list
  elements: dict
summary:
  description: Per task policy, in how many of RV(accounts) it is allowed, blocked and uncertain (the management account counts as allowed).
  returned: success
  type: dict
  sample: {"IAMAuditRootUserCredentials": {"allowed": 40, "blocked": 2, "uncertain": 0}}
remedies:
  description: One entry per statement (or level without an Allow) that blocks a task in some account, sorted by policy type and id.
  returned: success
  type: list
  elements: dict
  contains:
    policy_type:
      description: V(SERVICE_CONTROL_POLICY) or V(RESOURCE_CONTROL_POLICY).
      type: str
    policy_id:
      description: The policy's id (null for a level without an Allow).
      type: str
    policy_name:
      description: The policy's name (null for a level without an Allow).
      type: str
    statement:
      description: The statement's Sid, or its index in the policy (null for a level without an Allow).
      type: raw
    reason:
      description: V(explicit_deny) or V(not_allowed).
      type: str
    target_ids:
      description: Where the policy is attached, among the levels of the blocked accounts.
      type: list
      elements: str
    remedy:
      description:
        - What to change, such as enabling Control Tower's AWS-GR_RESTRICT_ROOT_USER with its parameter ExemptAssumeRoot
          on the OU, or adding a C(Null) condition on C(aws:AssumedRoot) to the statement, which exempts root sessions.
      type: str
    accounts:
      description: The accounts it blocks a task in.
      type: list
      elements: str
    tasks:
      description: The task policies it blocks.
      type: list
      elements: str
    actions:
      description: The calls it denies.
      type: list
      elements: str
assume_root:
  description: The C(sts:AssumeRoot) call every task starts with, which this module does not evaluate, and why.
  returned: success
  type: dict
  contains:
    action:
      description: V(sts:AssumeRoot).
      type: str
    evaluated:
      description: Always false.
      type: bool
    scp:
      description: Which SCPs decide it (those of the caller's account).
      type: str
    rcp:
      description: That AWS does not document whether an RCP on the target account can stop it.
      type: str
"""

from ansible_collections.rootguard.aws.plugins.module_utils import result_size, targeting
from ansible_collections.rootguard.aws.plugins.module_utils.common import run_module
from ansible_collections.rootguard.aws.plugins.module_utils.guardrails_check import TASKS, root_task_guardrails_info

ARGUMENT_SPEC = dict(
    targeting.ARGUMENT_SPEC,
    **result_size.ARGUMENT_SPEC,
    task_policies={"type": "list", "elements": "str", "default": list(TASKS)},
    regions={"type": "list", "elements": "str"},
)


def main():
    run_module(ARGUMENT_SPEC, root_task_guardrails_info, **targeting.MODULE_OPTIONS)


if __name__ == "__main__":
    main()
