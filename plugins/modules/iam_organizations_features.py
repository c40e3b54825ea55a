#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: iam_organizations_features
version_added: 0.1.0
short_description: Switch centralized root access on or off for an AWS organization
description:
  - Sets the IAM organization features of centralized root access - V(RootCredentialsManagement) (audit and remove
    member accounts' root credentials, allow password recovery) and V(RootSessions) (task-scoped root sessions that
    unlock S3 bucket and SQS queue policies).
  - Reads the enabled features once (C(ListOrganizationsFeatures)) and enables or disables only the ones that differ;
    an option that is not given leaves its feature as it is.
  - IAM organization features this module does not manage, such as V(OrganizationIamResources) (organization-level
    IAM resources, set with C(EnableOrganizationLevelResources)) or one AWS adds later, are left as they are - never
    disabled, never counted as a change - and are listed in RV(enabled_features) as AWS returns them.
  - Like the IAM console, turns on trusted access for IAM (V(iam.amazonaws.com)) first when it is missing and a
    feature is to be enabled, unless O(enable_trusted_access=false).
  - Enabling needs the management account; the IAM delegated administrator can disable features and confirm that
    nothing needs to change.
author:
  - RootGuard maintainers (@rootguard)
options:
  root_credentials_management:
    description:
      - Whether V(RootCredentialsManagement) is enabled. Omit it to leave the feature as it is.
    type: bool
  root_sessions:
    description:
      - Whether V(RootSessions) (privileged root actions in member accounts) is enabled. Omit it to leave the feature
        as it is.
    type: bool
  enable_trusted_access:
    description:
      - Enable trusted access for IAM in AWS Organizations first when it is missing and a feature is to be enabled.
      - When false and trusted access is missing, the task fails with RV(error_class=trusted_access_not_enabled).
    type: bool
    default: true
extends_documentation_fragment: [rootguard.aws.attributes.changes, rootguard.aws.attributes,
  ansible.builtin.action_common_attributes, ansible.builtin.action_common_attributes.actiongroups,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
notes:
  - Once V(RootCredentialsManagement) is on, accounts created through AWS Organizations have no root credentials.
  - The organization needs all features; a consolidated-billing organization fails with
    RV(error_class=organization_not_all_features).
seealso:
  - module: rootguard.aws.iam_organizations_features_info
  - module: rootguard.aws.organizations_service_access
"""

EXAMPLES = r"""
- name: Turn on centralized root access (and IAM trusted access, when missing)
  rootguard.aws.iam_organizations_features:
    root_credentials_management: true
    root_sessions: true

- name: Turn off root sessions, leave root credentials management as it is
  rootguard.aws.iam_organizations_features:
    root_sessions: false

- name: Enable only when IAM trusted access was set up on purpose beforehand
  rootguard.aws.iam_organizations_features:
    root_credentials_management: true
    enable_trusted_access: false
"""

RETURN = r"""
organization_id:
  description: The organization's id.
  returned: success
  type: str
  sample: o-a1b2c3d4e5
enabled_features:
  description:
    - The features enabled after the task (or as they would be, in check mode), sorted.
    - Every feature AWS returns, those this module does not manage included.
  returned: success
  type: list
  elements: str
  sample: [OrganizationIamResources, RootCredentialsManagement, RootSessions]
iam_trusted_access:
  description: Whether trusted access for IAM is enabled after the task (or would be, in check mode).
  returned: success
  type: bool
  sample: true
actions:
  description: The API operations the task made (or would make, in check mode), in order.
  returned: success
  type: list
  elements: str
  sample: ["organizations:EnableAWSServiceAccess(iam.amazonaws.com)", "iam:EnableOrganizationsRootCredentialsManagement"]
error_class:
  description:
    - On failure, the kind of error, such as V(not_management_account) (a delegated administrator asked to enable),
      V(not_management_or_delegated_administrator) (a member account), V(trusted_access_not_enabled),
      V(organization_not_all_features), V(organization_not_found), V(denied_by_scp) or V(throttled).
  returned: failure
  type: str
  sample: not_management_account
aws_error_code:
  description: On failure, the AWS error code, when AWS answered.
  returned: failure
  type: str
  sample: AccountNotManagementOrDelegatedAdministratorException
"""

from ansible_collections.rootguard.aws.plugins.module_utils.common import run_module
from ansible_collections.rootguard.aws.plugins.module_utils.features import FEATURES, iam_organizations_features


def main():
    run_module(dict({option: {"type": "bool"} for option in FEATURES}, enable_trusted_access={"type": "bool", "default": True}),
               iam_organizations_features)


if __name__ == "__main__":
    main()
