# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The guardrails option of the modules that open root sessions in many accounts.
    DOCUMENTATION = r"""
options:
  guardrails:
    description:
      - V(check) reads the organization's SCPs and RCPs once, before any root session (C(ListRoots), and for each policy
        type enabled on the root C(ListPolicies), C(DescribePolicy) and C(ListTargetsForPolicy) per policy, whatever the
        number of accounts), and decides for each account which calls of the task they deny to its root sessions, as
        M(rootguard.aws.root_task_guardrails_info) does. A call they deny is not made; it is reported in the account's
        C(blocked) with the policy, the statement, where it is attached and the remedy. A call whose decision is
        uncertain is made as without the check. Anything blocked fails the task at the end (after everything else is
        done) unless O(fail_on_error=false).
      - V(check) needs C(organizations:ListPolicies), C(organizations:DescribePolicy) and
        C(organizations:ListTargetsForPolicy); an IAM delegated administrator has them only where the organization's
        delegation policy allows them, and gets the error class C(cannot_read_guardrails) otherwise.
      - V(ignore) reads no policy and makes every call; a call the guardrails deny then fails its account with the error
        class C(denied_by_scp) or C(denied_by_rcp). The roles and playbooks of this collection check by default.
    type: str
    choices: [check, ignore]
    default: ignore
"""
