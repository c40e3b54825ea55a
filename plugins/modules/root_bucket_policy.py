#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: root_bucket_policy
version_added: 0.1.0
short_description: Delete or replace an S3 bucket policy that locks everyone out, as the member account's root user
description:
  - Opens a root session in the member account that owns the bucket, scoped by the V(S3UnlockBucketPolicy) task
    policy, and deletes the bucket policy or puts another one in its place.
  - By default acts only when the current policy denies everyone (O(only_if_locked)), and writes the old policy to
    O(backup_dir) before the change.
  - Calls - C(GetCallerIdentity), C(DescribeOrganization), C(DescribeAccount), C(AssumeRoot), C(ListBuckets) (to find
    the bucket and its Region, only when O(region) is not given), C(GetBucketPolicy), then C(DeleteBucketPolicy) or
    C(PutBucketPolicy) when due.
  - Needs V(RootSessions) enabled, and credentials of the management account or the IAM delegated administrator
    allowed C(sts:AssumeRoot).
author:
  - RootGuard maintainers (@rootguard)
options:
  bucket:
    description:
      - The bucket's name.
    type: str
    required: true
  region:
    description:
      - The bucket's Region. Given to the task (by name or as O(aws_region), in the task or through C(module_defaults)),
        the module sends the bucket's calls there and does not call C(ListBuckets) (C(s3:ListAllMyBuckets)) at all; so
        an SCP that denies the root user everything but C(s3:GetBucketPolicy), C(s3:PutBucketPolicy) and
        C(s3:DeleteBucketPolicy), as AWS's sample SCP for root users does, does not stop the unlock.
      - Not given (the C(AWS_REGION) or C(AWS_DEFAULT_REGION) fallback, or a profile's Region), the module finds the
        bucket and its Region with C(ListBuckets) from this Region; when C(ListBuckets) is denied, the task fails and
        says to give O(region).
    type: str
    aliases: [aws_region]
extends_documentation_fragment: [rootguard.aws.resource_policy, rootguard.aws.attributes,
  ansible.builtin.action_common_attributes, ansible.builtin.action_common_attributes.actiongroups,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
notes:
  - Without O(region) given, the bucket's Region is the one C(ListBuckets) reports; when AWS does not report it, the
    connection's Region is used.
  - With O(region) given, a bucket that does not exist fails the task with the error class V(not_found) (S3 answers
    C(NoSuchBucket)), before any backup. For a bucket that is in another Region, S3 answers with a redirect to the
    bucket's Region, which the AWS SDK follows - the calls then reach the bucket in its own Region, not the one a
    guardrail check on O(region) judged - so give the bucket's own Region.
  - S3 has no conditional C(PutBucketPolicy) or C(DeleteBucketPolicy) - the change replaces whatever policy is in place
    when it lands. The module reads the policy again just before the change and decides, backs up and reports from that
    read, but a policy someone else puts in the moment between that read and the change is replaced without a backup.
  - AWS limits a bucket policy to 20 KB; the module does not check the size itself (AWS does not document how it
    counts, for example whitespace), so that a policy AWS accepted once can always be put back from its backup.
seealso:
  - module: rootguard.aws.root_queue_policy
"""

EXAMPLES = r"""
- name: Delete a bucket policy that denies everyone, keeping a backup
  rootguard.aws.root_bucket_policy:
    account_id: "111122223333"
    bucket: payments-archive
    backup_dir: /srv/rootguard/backups
  register: unlock

- name: Put a working policy in its place, whatever the current one says
  rootguard.aws.root_bucket_policy:
    account_id: "111122223333"
    bucket: payments-archive
    state: present
    only_if_locked: false
    policy:
      Version: "2012-10-17"
      Statement:
        - Sid: DenyInsecureTransport
          Effect: Deny
          Principal: "*"
          Action: "s3:*"
          Resource: ["arn:aws:s3:::payments-archive", "arn:aws:s3:::payments-archive/*"]
          Condition:
            Bool:
              aws:SecureTransport: "false"
    backup_dir: /srv/rootguard/backups

- name: Put the old policy back from its backup, byte for byte (checked against MANIFEST.sha256 beside it)
  rootguard.aws.root_bucket_policy:
    account_id: "111122223333"
    bucket: payments-archive
    state: present
    only_if_locked: false
    restore_from: "{{ unlock.backup_file }}"
"""

RETURN = r"""
bucket:
  description: The bucket.
  returned: success
  type: str
  sample: payments-archive
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
  sample: /srv/backups/111122223333-payments-archive-20261121T101500.123456Z.json
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
    - On failure, the kind of error, such as V(not_found) (the account or the bucket), V(conflict) (the management
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
from ansible_collections.rootguard.aws.plugins.module_utils.resource_policies import ARGUMENT_SPEC, root_bucket_policy


def root_bucket_policy_service(factory, params, check_mode):
    """root_bucket_policy() with the task's own arguments, which tell a region the task gave from the AWS_REGION or
    AWS_DEFAULT_REGION fallback (_load_params is ansible-core's documented way for a module to read them)."""
    return root_bucket_policy(factory, params, check_mode, task_arguments=_load_params())


def main():
    run_module(
        dict(ARGUMENT_SPEC, bucket={"type": "str", "required": True}),
        root_bucket_policy_service,
        mutually_exclusive=[("policy", "restore_from")],
        required_if=[("state", "present", ("policy", "restore_from"), True)],
    )


if __name__ == "__main__":
    main()
