#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: organizations_delegated_administrator
version_added: 0.1.0
short_description: Register or deregister a delegated administrator for an AWS service in AWS Organizations
description:
  - Registers a member account as the delegated administrator for a service principal
    (C(RegisterDelegatedAdministrator)), or deregisters it (C(DeregisterDelegatedAdministrator)).
  - For centralized root access, the IAM delegated administrator (V(iam.amazonaws.com), the default) can audit and
    remove root credentials and open root sessions in member accounts without using the management account.
  - Reads the registered administrators first and writes only when the account's registration differs from O(state).
  - Before registering, checks everything AWS would refuse, so that check mode reports it too - the management
    account, an account that is not in the organization, an account that is not V(ACTIVE), and trusted access not
    enabled for the service - each with its own error.
  - Must run with credentials of the organization's management account.
author:
  - RootGuard maintainers (@rootguard)
options:
  account_id:
    description:
      - The member account to register or deregister, a 12-digit account id (quote it in YAML).
    type: str
    required: true
  service_principal:
    description:
      - The service principal, such as V(iam.amazonaws.com).
    type: str
    default: iam.amazonaws.com
  state:
    description:
      - V(present) registers the account, V(absent) deregisters it.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment: [rootguard.aws.attributes.changes, rootguard.aws.attributes,
  ansible.builtin.action_common_attributes, ansible.builtin.action_common_attributes.actiongroups,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
notes:
  - Trusted access for the service must be enabled first; see M(rootguard.aws.organizations_service_access).
  - AWS is assumed to allow one delegated administrator for IAM; registering a second one fails with the AWS
    reason (RV(error_class=conflict)).
"""

EXAMPLES = r"""
- name: Make the security tooling account the IAM delegated administrator
  rootguard.aws.organizations_delegated_administrator:
    account_id: "111122223333"
    service_principal: iam.amazonaws.com

- name: Remove the IAM delegated administrator
  rootguard.aws.organizations_delegated_administrator:
    account_id: "111122223333"
    state: absent
"""

RETURN = r"""
organization_id:
  description: The organization's id.
  returned: success
  type: str
  sample: o-a1b2c3d4e5
account_id:
  description: The account the task was about.
  returned: success
  type: str
  sample: "111122223333"
service_principal:
  description: The service principal the task was about.
  returned: success
  type: str
  sample: iam.amazonaws.com
delegated_administrators:
  description: The service's delegated administrators after the task (or as they would be, in check mode).
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
    email:
      description: Account email address.
      type: str
    state:
      description: Account state, such as V(ACTIVE).
      type: str
    joined_method:
      description: V(CREATED) or V(INVITED).
      type: str
    delegation_enabled_date:
      description: When the account became a delegated administrator (ISO 8601); null for a registration check mode predicts.
      type: str
error_class:
  description:
    - On failure, the kind of error, such as V(not_management_account), V(not_found) (the account is not in the
      organization), V(conflict) (the management account, a suspended account, or the service's limit),
      V(trusted_access_not_enabled), V(organization_not_all_features), V(organization_not_found) or V(invalid_input).
  returned: failure
  type: str
  sample: trusted_access_not_enabled
aws_error_code:
  description: On failure, the AWS error code, when AWS answered.
  returned: failure
  type: str
  sample: ConstraintViolationException
"""

from ansible_collections.rootguard.aws.plugins.module_utils.common import run_module
from ansible_collections.rootguard.aws.plugins.module_utils.organizations import organizations_delegated_administrator


def main():
    run_module({
        "account_id": {"type": "str", "required": True},
        "service_principal": {"type": "str", "default": "iam.amazonaws.com"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }, organizations_delegated_administrator)


if __name__ == "__main__":
    main()
