#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iam_organizations_features_info
version_added: 0.1.0
short_description: The pre-flight picture of centralized root access in an AWS organization
description:
  - Reports the organization (id, feature set, management account), whether trusted access for IAM is enabled, the
    IAM delegated administrators, the enabled IAM organization features, and whether the caller is the management
    account or a delegated administrator.
  - What stands in the way of centralized root access (a consolidated-billing organization, IAM trusted access
    missing) is listed in RV(problems) rather than failing, so the picture is complete.
  - Works from the management account and from the IAM delegated administrator; a member account or an account
    outside any organization fails with its own error.
author:
  - RootGuard maintainers (@rootguard)
options: {}
extends_documentation_fragment: [rootguard.aws.attributes.info, rootguard.aws.attributes,
  ansible.builtin.action_common_attributes, ansible.builtin.action_common_attributes.actiongroups,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
seealso:
  - module: rootguard.aws.iam_organizations_features
"""

EXAMPLES = r"""
- name: Read the state of centralized root access
  rootguard.aws.iam_organizations_features_info:
  register: root_access

- name: Stop when root sessions are off
  ansible.builtin.assert:
    that: root_access.root_sessions
    fail_msg: "Root sessions are not enabled in {{ root_access.organization.id }}"
"""

RETURN = r"""
organization:
  description: The organization.
  returned: success
  type: dict
  contains:
    id:
      description: Organization id.
      type: str
      sample: o-a1b2c3d4e5
    arn:
      description: Organization ARN.
      type: str
    feature_set:
      description: V(ALL) or V(CONSOLIDATED_BILLING).
      type: str
      sample: ALL
    management_account_id:
      description: The management account's id.
      type: str
      sample: "123456789012"
    management_account_email:
      description: The management account's email address.
      type: str
caller:
  description: The calling account and its role in the organization.
  returned: success
  type: dict
  contains:
    account_id:
      description: The caller's account id.
      type: str
    arn:
      description: The caller's ARN.
      type: str
    is_management_account:
      description: Whether the caller is in the management account.
      type: bool
    is_delegated_administrator:
      description: Whether the caller's account is the IAM delegated administrator.
      type: bool
iam_trusted_access:
  description: Whether trusted access for IAM (V(iam.amazonaws.com)) is enabled.
  returned: success
  type: bool
  sample: true
delegated_administrators:
  description:
    - The IAM delegated administrators, with C(id), C(arn), C(name), C(email), C(state), C(joined_method) and
      C(delegation_enabled_date).
  returned: success
  type: list
  elements: dict
enabled_features:
  description:
    - The enabled IAM organization features, sorted, every one as AWS returns it - also those that are not about root
      access, such as V(OrganizationIamResources) (organization-level IAM resources), and values this collection does
      not know yet.
    - Empty when trusted access for IAM is off (the features cannot be read then; RV(problems) says so).
  returned: success
  type: list
  elements: str
  sample: [OrganizationIamResources, RootCredentialsManagement, RootSessions]
root_credentials_management:
  description: Whether V(RootCredentialsManagement) is enabled.
  returned: success
  type: bool
root_sessions:
  description: Whether V(RootSessions) is enabled.
  returned: success
  type: bool
problems:
  description: What stands in the way of centralized root access, each with C(error_class) and C(message).
  returned: success
  type: list
  elements: dict
  sample: [{"error_class": "trusted_access_not_enabled", "message": "Trusted access for IAM ... is not enabled"}]
error_class:
  description:
    - On failure, the kind of error, such as V(organization_not_found) or
      V(not_management_or_delegated_administrator).
  returned: failure
  type: str
aws_error_code:
  description: On failure, the AWS error code, when AWS answered.
  returned: failure
  type: str
"""

from ansible_collections.rootguard.aws.plugins.module_utils.common import run_module
from ansible_collections.rootguard.aws.plugins.module_utils.features import iam_organizations_features_info


def main():
    run_module({}, iam_organizations_features_info)


if __name__ == "__main__":
    main()
