#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: organizations_account
version_added: 0.1.0
short_description: Vend an AWS Organizations member account - create it or find it by email, place it in an OU, tag it
description:
  - Makes sure the organization has a member account with the email address O(email), in the parent O(parent_id),
    with the tags O(tags).
  - The account is found by its email address, compared case-insensitively (C(ListAccounts)); an existing account is
    never created twice. It is moved to O(parent_id) when it is elsewhere (C(MoveAccount)) and tagged as asked
    (C(TagResource), and C(UntagResource) for the tags O(purge_tags) removes).
  - A missing account is created (C(CreateAccount)) with its tags. AWS creates accounts asynchronously, so the module
    polls C(DescribeCreateAccountStatus) - after 1 second, then twice as long each time, at most 10 seconds apart - for at
    most O(wait_timeout) seconds. A request that ends C(FAILED) fails the task with the AWS failure reason
    (RV(failure_reason), such as C(EMAIL_ALREADY_EXISTS) or C(ACCOUNT_LIMIT_EXCEEDED)) and what to do about it. Once
    created, the account is moved from the root to O(parent_id).
  - Before creating, the module looks for a C(CreateAccount) request still C(IN_PROGRESS) for the same account name
    (C(ListCreateAccountStatus)), such as the one of a run that stopped waiting (RV(error_class=timeout)) or of another run
    vending the same account at the same time, and waits for it instead of asking for a second account. The account that
    request makes is placed and tagged as an existing one - RV(created) is false, and C(changed) counts only this task's
    moves and tags.
  - Two runs may still both ask for the account. AWS then fails the second request with C(CONCURRENT_ACCOUNT_MODIFICATION)
    ("you already submitted a request with the same information") or, once the first has made the account,
    C(EMAIL_ALREADY_EXISTS). On either, the module looks again - for a request in progress for the name, waited for, then
    for an account of the organization with the email address - and takes that account with a warning, rather than
    reporting the address as another account's. Only when there is none does the task fail with the reason.
  - Everything is read before the first write, so that an unknown O(parent_id) (RV(error_class=not_found)), a caller that
    is not the management account (RV(error_class=not_management_account)) or an existing account that is closed
    (RV(error_class=conflict)) fails the task before any change, in check mode too.
  - Secure by default - once V(RootCredentialsManagement) is enabled for the organization (see
    M(rootguard.aws.iam_organizations_features)), an account created through AWS Organizations has no root user
    credentials and its root user cannot recover a password. M(rootguard.aws.root_credentials_info) proves it; the role
    C(rootguard.aws.account_vending) does both in one run.
author:
  - RootGuard maintainers (@rootguard)
options:
  name:
    description:
      - The account's name, 1 to 50 printable ASCII characters.
      - Used when the account is created. An existing account found by its email address keeps its name; the module warns
        when it differs.
    type: str
    required: true
  email:
    description:
      - The email address of the account's root user, 6 to 64 characters. It identifies the account, compared
        case-insensitively.
    type: str
    required: true
  parent_id:
    description:
      - Where the account belongs - an organizational unit id (C(ou-...)) or the root id (C(r-...)). It must exist.
      - When omitted, a new account stays in the root and an existing one is left where it is.
    type: str
  tags:
    description:
      - The account's tags, as a dictionary of key to value (up to 50; keys 1 to 128 characters, not starting with
        C(aws:); values up to 256 characters; letters, numbers, spaces and C(_.:/=+-@)). Numbers are taken as their text.
      - When omitted, the tags of an existing account are left as they are.
    type: dict
    aliases: [resource_tags]
  purge_tags:
    description:
      - Remove the tags that O(tags) does not list. Only applies when O(tags) is given.
    type: bool
    default: true
  role_name:
    description:
      - The name of the IAM role AWS creates in the new account, which the management account can assume.
      - Used only when the account is created; AWS's default is C(OrganizationAccountAccessRole).
    type: str
  iam_user_access_to_billing:
    description:
      - Whether IAM users and roles of the new account can reach its billing information (when their policies allow it).
      - Used only when the account is created; AWS's default is V(true).
    type: bool
  wait_timeout:
    description:
      - How long to wait, in seconds (1 to 3600), for AWS to finish creating the account.
      - When it is not finished by then, the task fails with RV(error_class=timeout) and RV(create_account_request_id); AWS
        goes on creating the account, and a later run waits for that request instead of creating another account.
    type: int
    default: 600
  state:
    description:
      - V(present) is the only state; this module does not close or remove accounts.
    type: str
    choices: [present]
    default: present
extends_documentation_fragment: [rootguard.aws.attributes.changes, rootguard.aws.attributes,
  ansible.builtin.action_common_attributes, ansible.builtin.action_common_attributes.actiongroups,
  amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
notes:
  - Creating accounts, moving them and changing their tags need the credentials of the organization's management account.
    A run that changes nothing also works from a delegated administrator.
  - The module does not rename accounts, close them, or change O(role_name) or O(iam_user_access_to_billing) of an existing
    account.
  - C(CreateAccount) has no idempotency token. The module finds a request in progress by the account name, as
    C(ListCreateAccountStatus) gives no email address; a request for another address under the same name is waited for,
    then the account asked for is created.
  - ASSUMED - AWS documents C(CONCURRENT_ACCOUNT_MODIFICATION) as "you already submitted a request with the same
    information" without saying which information; the module treats it, like C(EMAIL_ALREADY_EXISTS), as a possible race
    with another request for this email address and looks for that request's account before failing.
"""

EXAMPLES = r"""
- name: Vend the payments production account into its OU
  rootguard.aws.organizations_account:
    name: payments-prod
    email: aws-payments-prod@example.com
    parent_id: ou-ab12-cdefgh34
    tags:
      team: payments
      environment: production
  register: vended

- name: Show the account id
  ansible.builtin.debug:
    msg: "{{ vended.account.id }} in {{ vended.account.parent_id }}"

- name: Add a tag, keeping the others, with a longer wait for AWS
  rootguard.aws.organizations_account:
    name: payments-prod
    email: aws-payments-prod@example.com
    tags:
      cost-center: "4711"
    purge_tags: false
    wait_timeout: 1200
"""

RETURN = r"""
organization_id:
  description: The organization's id.
  returned: success
  type: str
  sample: o-a1b2c3d4e5
account:
  description:
    - The account after the task, or as it would be in check mode (then C(id), C(arn), C(state), C(joined_method) and
      C(joined_timestamp) of an account still to be created are null).
  returned: success
  type: dict
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
      sample: payments-prod
    email:
      description: The root user's email address, as AWS holds it.
      type: str
    state:
      description: Account state, such as V(ACTIVE).
      type: str
    joined_method:
      description: V(CREATED) or V(INVITED).
      type: str
    joined_timestamp:
      description: When the account joined the organization (ISO 8601).
      type: str
    parent_id:
      description: The root or organizational unit the account is in.
      type: str
      sample: ou-ab12-cdefgh34
    tags:
      description: The account's tags.
      type: dict
      sample: {"team": "payments"}
created:
  description:
    - True when this task's own C(CreateAccount) request made the account (or would, in check mode).
    - False for an account that existed, or that another request made - one the task waited for (an earlier run's, or a
      concurrent run's), or the one that made this task's request fail with C(CONCURRENT_ACCOUNT_MODIFICATION) or
      C(EMAIL_ALREADY_EXISTS).
  returned: success
  type: bool
actions:
  description:
    - What the task did, or would do in check mode, in order - such as C(organizations:CreateAccount(name, email)),
      C(organizations:MoveAccount(r-ab12 -> ou-ab12-cdefgh34)), C(organizations:TagResource(team)); empty when nothing
      changes.
    - Only changes this task's calls made - not a wait for another request, not a C(CreateAccount) request that failed, not a
      move another run made first.
  returned: success
  type: list
  elements: str
create_account_request_id:
  description:
    - The C(CreateAccount) request the task made, or the one of another run it waited for (C(car-...)); null when none.
    - On a failure, the request that failed or is still in progress.
  returned: success, and on failure once a request was made
  type: str
  sample: car-a1b2c3d4e5f6
error_class:
  description:
    - On failure, the kind of error, such as V(account_creation_failed) (the request ended FAILED), V(timeout) (still in
      progress after O(wait_timeout)), V(not_found) (O(parent_id) does not exist), V(not_management_account), V(conflict)
      (the email address is that of a closed or suspended account), V(invalid_input) or V(organization_not_found).
  returned: failure
  type: str
  sample: account_creation_failed
failure_reason:
  description: When the C(CreateAccount) request ended FAILED, its C(FailureReason), also in RV(aws_error_code).
  returned: failure
  type: str
  sample: EMAIL_ALREADY_EXISTS
aws_error_code:
  description: On failure, the AWS error code, when AWS answered, or the request's C(FailureReason).
  returned: failure
  type: str
  sample: EMAIL_ALREADY_EXISTS
"""

from ansible_collections.rootguard.aws.plugins.module_utils.common import run_module
from ansible_collections.rootguard.aws.plugins.module_utils.vending import ARGUMENT_SPEC, organizations_account


def main():
    run_module(ARGUMENT_SPEC, organizations_account)


if __name__ == "__main__":
    main()
