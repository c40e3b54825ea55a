#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: organizations_service_access
version_added: 0.1.0
short_description: Enable or disable trusted access for an AWS service in AWS Organizations
description:
  - Enables or disables trusted access for a service principal in the organization (C(EnableAWSServiceAccess),
    C(DisableAWSServiceAccess)).
  - Centralized root access needs trusted access for IAM (V(iam.amazonaws.com)), the default.
  - Reads the enabled principals first and writes only when they differ from O(state).
  - Must run with credentials of the organization's management account when a change is due; a delegated
    administrator can confirm that nothing needs to change.
author:
  - RootGuard maintainers (@rootguard)
options:
  service_principal:
    description:
      - The service principal, such as V(iam.amazonaws.com).
    type: str
    default: iam.amazonaws.com
  state:
    description:
      - V(present) enables trusted access, V(absent) disables it.
      - Disabling trusted access for IAM turns off centralized root access management for the organization.
    type: str
    choices: [present, absent]
    default: present
extends_documentation_fragment: [rootguard.aws.attributes.changes, rootguard.aws.attributes,
  ansible.builtin.action_common_attributes, ansible.builtin.action_common_attributes.actiongroups,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
notes:
  - Enabling needs all features in the organization; a consolidated-billing organization fails with
    RV(error_class=organization_not_all_features).
"""

EXAMPLES = r"""
- name: Enable trusted access for IAM (needed for centralized root access)
  rootguard.aws.organizations_service_access:
    service_principal: iam.amazonaws.com
    state: present

- name: Disable trusted access for IAM
  rootguard.aws.organizations_service_access:
    state: absent
"""

RETURN = r"""
organization_id:
  description: The organization's id.
  returned: success
  type: str
  sample: o-a1b2c3d4e5
service_principal:
  description: The service principal the task was about.
  returned: success
  type: str
  sample: iam.amazonaws.com
enabled:
  description: Whether trusted access for RV(service_principal) is enabled after the task (or would be, in check mode).
  returned: success
  type: bool
  sample: true
enabled_service_principals:
  description: Every service principal with trusted access after the task (or as it would be, in check mode).
  returned: success
  type: list
  elements: str
  sample: [iam.amazonaws.com, sso.amazonaws.com]
error_class:
  description:
    - On failure, the kind of error, such as V(organization_not_found), V(organization_not_all_features),
      V(not_management_account), V(not_management_or_delegated_administrator), V(denied_by_scp), V(access_denied),
      V(throttled) or V(invalid_input).
  returned: failure
  type: str
  sample: not_management_account
aws_error_code:
  description: On failure, the AWS error code, when AWS answered.
  returned: failure
  type: str
  sample: AccessDeniedException
"""

from ansible_collections.rootguard.aws.plugins.module_utils.common import run_module
from ansible_collections.rootguard.aws.plugins.module_utils.organizations import organizations_service_access


def main():
    run_module({
        "service_principal": {"type": "str", "default": "iam.amazonaws.com"},
        "state": {"type": "str", "choices": ["present", "absent"], "default": "present"},
    }, organizations_service_access)


if __name__ == "__main__":
    main()
