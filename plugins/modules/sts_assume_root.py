#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: sts_assume_root
version_added: 0.1.0
short_description: Temporary root credentials for one member account and one root task
description:
  - Calls STS C(AssumeRoot) for a member account of the organization and returns short-term credentials of its root
    user, scoped to one of the five root-task policies.
  - Always uses a Regional STS endpoint (the global endpoint does not serve C(AssumeRoot)); with no region configured,
    V(us-east-1) is used.
  - The task's result is censored in Ansible's output and logs at every verbosity, whatever the task's C(no_log)
    says, while a registered variable keeps the values for later tasks (for example through C(module_defaults)).
    A failed result is not censored; it never holds credentials.
  - Must run with credentials of the management account or of the IAM delegated administrator, allowed
    C(sts:AssumeRoot); root user credentials cannot call it.
author:
  - RootGuard maintainers (@rootguard)
options:
  target_account:
    description:
      - The member account, as a 12-digit account id (quote it in YAML) or its root principal ARN
        (V(arn:aws:iam::111122223333:root)).
      - The management account cannot be a target.
    type: str
    required: true
  task_policy:
    description:
      - The root-task policy that scopes the session, by name or by ARN (V(arn:aws:iam::aws:policy/root-task/<name>)).
      - V(IAMAuditRootUserCredentials), V(IAMCreateRootUserPassword) and V(IAMDeleteRootUserCredentials) need
        V(RootCredentialsManagement); V(S3UnlockBucketPolicy) and V(SQSUnlockQueuePolicy) need V(RootSessions).
    type: str
    required: true
  duration_seconds:
    description:
      - How long the credentials last, 0 to 900 seconds.
    type: int
    default: 900
attributes:
  action:
    support: full
    details: The action plugin censors the result.
  async:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
    details: C(AssumeRoot) changes nothing, so it runs in check mode too and the credentials are real.
  diff_mode:
    support: N/A
extends_documentation_fragment: [rootguard.aws.attributes,
  ansible.builtin.action_common_attributes, ansible.builtin.action_common_attributes.flow, ansible.builtin.action_common_attributes.actiongroups,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
notes:
  - The credentials are never written to disk by the collection; keep them in registered variables and pass them
    through C(module_defaults) or module options, not through the environment of a shell.
  - The bulk modules (such as M(rootguard.aws.root_credentials_info)) assume root themselves, one session per account;
    use this module for single tasks that the collection does not cover.
seealso:
  - name: AssumeRoot API reference
    description: The STS operation this module calls.
    link: https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoot.html
"""

EXAMPLES = r"""
- name: Open a root session that may only read the root user's credentials
  rootguard.aws.sts_assume_root:
    target_account: "111122223333"
    task_policy: IAMAuditRootUserCredentials
    duration_seconds: 300
  register: root_session

- name: Act as the member account's root user
  module_defaults:
    group/rootguard.aws.aws:
      access_key: "{{ root_session.credentials.access_key }}"
      secret_key: "{{ root_session.credentials.secret_key }}"
      session_token: "{{ root_session.credentials.session_token }}"
  block:
    - name: Who am I
      amazon.aws.aws_caller_info:
"""

RETURN = r"""
credentials:
  description: The temporary credentials of the member account's root user. Censored in output; kept by C(register).
  returned: success
  type: dict
  contains:
    access_key:
      description: Access key id.
      type: str
    secret_key:
      description: Secret access key.
      type: str
    session_token:
      description: Session token.
      type: str
    expiration:
      description: When the credentials expire (ISO 8601).
      type: str
      sample: "2026-11-21T10:15:00+00:00"
target_account:
  description: The member account's id.
  returned: success
  type: str
  sample: "111122223333"
task_policy_arn:
  description: The task policy that scopes the session.
  returned: success
  type: str
  sample: arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials
duration_seconds:
  description: The session's requested duration.
  returned: success
  type: int
  sample: 300
source_identity:
  description: The source identity of the calling principal, when it has one.
  returned: success
  type: str
error_class:
  description:
    - On failure, the kind of error, such as V(access_denied), V(denied_by_scp), V(endpoint_error), V(throttled) or
      V(invalid_input).
  returned: failure
  type: str
aws_error_code:
  description: On failure, the AWS error code, when AWS answered.
  returned: failure
  type: str
"""

from ansible_collections.rootguard.aws.plugins.module_utils.common import run_module
from ansible_collections.rootguard.aws.plugins.module_utils.root_sessions import sts_assume_root


def main():
    run_module({
        "target_account": {"type": "str", "required": True},
        "task_policy": {"type": "str", "required": True},
        "duration_seconds": {"type": "int", "default": 900},
    }, sts_assume_root)


if __name__ == "__main__":
    main()
