#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: root_queue_policy
version_added: 0.1.0
short_description: Delete or replace an SQS queue policy that locks everyone out, as the member account's root user
description:
  - Opens a root session in the member account that owns the queue, scoped by the V(SQSUnlockQueuePolicy) task
    policy, and deletes the queue policy (C(SetQueueAttributes) with an empty C(Policy)) or puts another one in its place.
  - By default acts only when the current policy denies everyone (O(only_if_locked)), and writes the old policy to
    O(backup_dir) before the change.
  - Calls - C(GetCallerIdentity), C(DescribeOrganization), C(DescribeAccount), C(AssumeRoot), C(GetQueueUrl) (with
    O(queue_name) only), C(GetQueueAttributes), then C(SetQueueAttributes) when due.
  - Needs V(RootSessions) enabled, and credentials of the management account or the IAM delegated administrator
    allowed C(sts:AssumeRoot).
author:
  - RootGuard maintainers (@rootguard)
options:
  queue_url:
    description:
      - The queue's URL; its account must be O(account_id). Exactly one of O(queue_url) and O(queue_name) is required.
      - The queue's Region is the one the URL names (C(https://sqs.<region>.amazonaws.com/...), or the legacy
        C(https://<region>.queue.amazonaws.com/...); C(https://queue.amazonaws.com/...) is C(us-east-1)), whatever
        the connection's Region (C(AWS_REGION), C(AWS_DEFAULT_REGION), a profile). An O(region) given to the task that
        names another Region is an error. A URL of another endpoint (a local emulator's) names no Region; O(region) is used.
    type: str
  queue_name:
    description:
      - The queue's name, looked up in O(account_id) and the module's O(region).
    type: str
extends_documentation_fragment: [rootguard.aws.resource_policy, rootguard.aws.attributes,
  ansible.builtin.action_common_attributes, ansible.builtin.action_common_attributes.actiongroups,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
notes:
  - SQS may take up to 60 seconds to apply a policy change everywhere.
  - SQS has no conditional C(SetQueueAttributes) - the change replaces whatever policy is in place when it lands. The
    module reads the policy again just before the change and decides, backs up and reports from that read, but a
    policy someone else puts in the moment between that read and the change is replaced without a backup.
  - AWS limits a queue policy's size (8,192 bytes in SQS's quotas); the module does not check the size itself, so that a
    policy AWS accepted once can always be put back from its backup.
seealso:
  - module: rootguard.aws.root_bucket_policy
"""

EXAMPLES = r"""
- name: Delete a queue policy that denies everyone, keeping a backup
  rootguard.aws.root_queue_policy:
    account_id: "111122223333"
    queue_name: orders
    region: eu-west-1
    backup_dir: /srv/rootguard/backups

- name: See what would happen, by URL
  rootguard.aws.root_queue_policy:
    account_id: "111122223333"
    queue_url: https://sqs.eu-west-1.amazonaws.com/111122223333/orders
  check_mode: true
  diff: true

- name: Put a backup brought from another controller back, verified by its SHA-256
  rootguard.aws.root_queue_policy:
    account_id: "111122223333"
    queue_url: https://sqs.eu-west-1.amazonaws.com/111122223333/orders
    state: present
    only_if_locked: false
    restore_from: /srv/rootguard/incoming/111122223333-orders-20261121T101500.123456Z.json
    restore_sha256: 0f343b0931126a20f133d67c2b018a3b5e7b3a1bc5a0bc5f1e6d8c8e6f1a2b3c
"""

RETURN = r"""
queue_url:
  description: The queue's URL.
  returned: success
  type: str
  sample: https://sqs.eu-west-1.amazonaws.com/111122223333/orders
account_id:
  description: The member account.
  returned: success
  type: str
  sample: "111122223333"
locked:
  description: Whether the policy found denied everyone.
  returned: success
  type: bool
previous_policy:
  description: The policy found, as AWS returned it (null when there was none).
  returned: success
  type: str
policy:
  description: The policy after the task (or as it would be, in check mode); null when there is none.
  returned: success
  type: str
backup_file:
  description: The backup of the previous policy, when one was written.
  returned: success
  type: str
  sample: /srv/backups/111122223333-orders-20261121T101500.123456Z.json
backup_sha256:
  description: The SHA-256 of RV(backup_file), as also appended to C(MANIFEST.sha256) beside it; null when no backup was written.
  returned: success
  type: str
  sample: 0f343b0931126a20f133d67c2b018a3b5e7b3a1bc5a0bc5f1e6d8c8e6f1a2b3c
message:
  description:
    - Why nothing was changed, when a policy was left as it is; and a note when the policy changed between the first read
      and the read just before the change (what was decided on, backed up and reported is the later read).
  returned: success
  type: str
error_class:
  description:
    - On failure, the kind of error, such as V(not_found) (the account or the queue), V(conflict) (the management
      account or an account that is not ACTIVE), V(access_denied), V(denied_by_scp), V(denied_by_rcp), V(backup_failed) or V(invalid_input).
  returned: failure
  type: str
aws_error_code:
  description: On failure, the AWS error code, when AWS answered.
  returned: failure
  type: str
"""

from ansible.module_utils.basic import _load_params

from ansible_collections.rootguard.aws.plugins.module_utils.common import run_module
from ansible_collections.rootguard.aws.plugins.module_utils.resource_policies import ARGUMENT_SPEC, root_queue_policy


def root_queue_policy_service(factory, params, check_mode):
    """root_queue_policy() with the task's own arguments, which tell a region the task gave from the AWS_REGION or
    AWS_DEFAULT_REGION fallback (_load_params is ansible-core's documented way for a module to read them)."""
    return root_queue_policy(factory, params, check_mode, task_arguments=_load_params())


def main():
    run_module(
        dict(ARGUMENT_SPEC, queue_url={"type": "str"}, queue_name={"type": "str"}),
        root_queue_policy_service,
        mutually_exclusive=[("queue_url", "queue_name"), ("policy", "restore_from")],
        required_one_of=[("queue_url", "queue_name")],
        required_if=[("state", "present", ("policy", "restore_from"), True)],
    )


if __name__ == "__main__":
    main()
