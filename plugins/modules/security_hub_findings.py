#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
module: security_hub_findings
version_added: 0.1.0
short_description: Send the root credentials audit's findings to AWS Security Hub
description:
  - Imports the findings of an audit (the C(findings) of the report data of the filter P(rootguard.aws.audit_report#filter), one per
    account and kind of root credential left) into AWS Security Hub with C(BatchImportFindings), in the AWS Security Finding
    Format, from the account and Region the module runs in.
  - AWS accepts a custom integration's findings only for the caller's own account, so every finding is the caller's
    (C(AwsAccountId), the default product C(arn:<partition>:securityhub:<region>:<account>:product/<account>/default)) and
    its resource is the member account (C(AwsAccount), C(AWS::::Account:<id>)).
  - Each finding has a stable id per organization, account and kind (C(rootguard.aws/<organization id>/<account id>/<kind>)), so a
    re-run updates the finding instead of adding one; it keeps the C(CreatedAt) of its first import. Its severity (also in
    C(FindingProviderFields)), C(Compliance.Status) V(FAILED), the Security Hub controls (AWS Foundational Security Best Practices
    IAM.4, IAM.6, IAM.9) and CIS AWS Foundations Benchmark requirements in C(Compliance.RelatedRequirements) and the remedy come from
    the collection's table of findings (see the Findings guide), whatever the input says besides the kind, account and credentials.
  - It first reads what it imported before for the organization (C(GetFindings) by product and id prefix). A finding that says nothing
    new is not imported again - a re-run that found the same makes no write call - unless it was last updated more than 30 days
    before (Security Hub deletes a finding 90 days after its last update, so an open one is refreshed). A finding imported before whose account is in
    O(audited_account_ids) and which is no longer found (the credential is gone) is imported once more as V(PASSED), severity
    V(INFORMATIONAL), C(RecordState) V(ARCHIVED); found again later, it is reopened (V(FAILED), V(ACTIVE)). Findings of accounts
    not audited this time are left as they are.
  - At most 100 findings per C(BatchImportFindings) call; throttling (C(LimitExceededException)) is retried like every other call.
    A finding AWS refuses fails the task, naming it and AWS's reason; the findings accepted stay imported.
  - Security Hub must be enabled in the caller's account and Region; when it is not, the task fails before any import.
  - Check mode reads the findings imported before and imports nothing; the result says what would be imported.
  - The role C(rootguard.aws.root_credentials_audit) runs it after the audit with C(root_credentials_audit_security_hub=true).
author:
  - RootGuard maintainers (@rootguard)
options:
  report:
    description:
      - An audit's JSON report (written by the role C(rootguard.aws.root_credentials_audit)) whose findings to send, with its
        organization and, as O(audited_account_ids), its accounts audited without error. The findings are made from the
        report's rows, so a report of an older version of the collection serves as well.
      - Keeps the task's arguments small at any organization size. Exactly one of O(report) and O(findings).
    type: path
  findings:
    description:
      - The findings to send - the C(findings) of the report data of P(rootguard.aws.audit_report#filter). Each needs
        C(kind) and C(account_id), and may have C(credentials) (the ids of the credentials it is about) and C(account_name).
      - An empty list resolves every finding of the accounts in O(audited_account_ids).
    type: list
    elements: dict
  organization_id:
    description: The organization audited (its id names the findings). Required with O(findings).
    type: str
  audited_account_ids:
    description:
      - With O(findings), the accounts this audit covered (audited without error). A finding imported before for one of them
        that is not in O(findings) is resolved. Empty - nothing is resolved.
    type: list
    elements: str
    default: []
extends_documentation_fragment: [rootguard.aws.attributes, ansible.builtin.action_common_attributes,
  ansible.builtin.action_common_attributes.actiongroups, amazon.aws.common.modules, amazon.aws.region.modules, amazon.aws.boto3]
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
notes:
  - "The caller needs C(securityhub:GetFindings) and C(securityhub:BatchImportFindings) on its default product (C(docs/security-hub-policy.json)
    in the collection); C(sts:GetCallerIdentity) needs no permission."
  - A finding resolved is kept by Security Hub for 90 days after its last update, as every finding is.
seealso:
  - module: rootguard.aws.root_credentials_info
"""

EXAMPLES = r"""
- name: Audit the organization
  rootguard.aws.root_credentials_info:
    all_accounts: true
  register: audit

- name: Send the findings of the last audit report
  rootguard.aws.security_hub_findings:
    report: reports/root-credentials-audit.json

- name: Send the findings to Security Hub in the audit's account
  rootguard.aws.security_hub_findings:
    findings: "{{ (audit | rootguard.aws.audit_report).findings }}"
    organization_id: "{{ audit.organization_id }}"
    audited_account_ids: "{{ audit.accounts | selectattr('status', 'equalto', 'ok') | map(attribute='id') | list }}"
    region: eu-west-1
"""

RETURN = r"""
product_arn:
  description: The product the findings are imported under (the caller's default product).
  returned: success
  type: str
  sample: arn:aws:securityhub:eu-west-1:111122223333:product/111122223333/default
region:
  description: The Security Hub Region.
  returned: success
  type: str
account_id:
  description: The caller's account, every finding's C(AwsAccountId).
  returned: success
  type: str
organization_id:
  description: The organization the findings are of.
  returned: success
  type: str
counts:
  description: How many findings were (in check mode, would be) V(created), V(updated), V(reopened) and V(resolved), and how many
    were V(unchanged) (in Security Hub as found).
  returned: success
  type: dict
  sample: {created: 3, updated: 0, reopened: 1, resolved: 2, unchanged: 40}
findings:
  description: The findings imported (or that would be), the first 1,000 - C(id), C(action), C(account_id), C(kind), C(severity)
    (V(INFORMATIONAL) for a resolved one) and C(compliance_status).
  returned: success
  type: list
  elements: dict
findings_not_listed:
  description: How many findings imported are not in RV(findings) (past the first 1,000).
  returned: success
  type: int
msg:
  description: What was imported, or would be.
  returned: success
  type: str
error_class:
  description: On failure, V(security_hub_not_enabled), V(import_failed), V(invalid_input), V(access_denied) and the others of the
    collection's modules.
  returned: failure
  type: str
"""

from ansible_collections.rootguard.aws.plugins.module_utils.common import run_module
from ansible_collections.rootguard.aws.plugins.module_utils.security_hub import security_hub_findings

ARGUMENT_SPEC = {
    "report": {"type": "path"},
    "findings": {"type": "list", "elements": "dict"},
    "organization_id": {"type": "str"},
    "audited_account_ids": {"type": "list", "elements": "str", "default": []},
}


def main():
    run_module(ARGUMENT_SPEC, security_hub_findings, required_one_of=[("report", "findings")], mutually_exclusive=[("report", "findings")],
               required_by={"findings": ("organization_id",)})


if __name__ == "__main__":
    main()
