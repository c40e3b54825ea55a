# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""guardrails_check (rootguard.aws.root_task_guardrails_info) against botocore Stubbers: the exact reads,
that they do not grow with the accounts, and the decisions for published guardrails (their statements
reproduced from the sources named beside them)."""

from __future__ import annotations

import json

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import errors, guardrails
from ansible_collections.rootguard.aws.plugins.module_utils.guardrails_check import TASKS, root_task_guardrails_info

SCP, RCP = guardrails.SCP, guardrails.RCP
ORG = "o-a1b2c3d4e5"
MANAGEMENT = "111111111111"
ROOT = "r-a1b2"
WORKLOADS = "ou-a1b2-11111111"
SANDBOX = "ou-a1b2-22222222"
PRODUCTION = "ou-a1b2-33333333"
SANDBOX_ACCOUNT = "220000000001"
CALLER = ["sts:GetCallerIdentity", "organizations:DescribeOrganization"]
WALK = ["organizations:ListRoots"] + ["organizations:ListOrganizationalUnitsForParent"] * 4 + ["organizations:ListAccountsForParent"] * 4
IAM_TASKS = TASKS[:3]
REGIONAL = TASKS[3:]

FULL_AWS_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
RCP_FULL_AWS_ACCESS = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}
# Control Tower Controls Reference, AWS-GR_RESTRICT_ROOT_USER rendered without parameters (guardrails reference folder).
CONTROL_TOWER_DEFAULT = {"Version": "2012-10-17", "Statement": [{
    "Sid": "GRRESTRICTROOTUSER", "Effect": "Deny", "Action": "*", "Resource": "*",
    "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:*:iam::*:root"]}}}]}
# aws-samples/service-control-policy-examples @ 35a50b0 : Region-controls/Deny-access-to-AWS-based-on-the-requested-AWS-region.json
# (NotAction shortened to the entries that bear on the root tasks; ${Account} *, [PRIVILEGED_ROLE] SecurityBreakGlass)
REGION_DENY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "NotAction": ["iam:*", "organizations:*", "s3:GetAccountPublic*", "s3:ListAllMyBuckets", "sts:*"], "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]},
                  "ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/SecurityBreakGlass"}}}]}
# aws-samples/resource-control-policy-examples @ f1aedfa :
# Establish-intra-organization-boundaries/Deny-resource-access-if-the-resource-belongs-to-a-specific-organizational-unit.json
RCP_OU_BOUNDARY = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "Principal": "*", "Action": ["s3:*", "sqs:*", "kms:*", "secretsmanager:*", "sts:AssumeRole"], "Resource": "*",
    "Condition": {"BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                  "ArnNotLikeIfExists": {"aws:PrincipalARN": "arn:aws:iam::*:role/SecurityBreakGlass"}}}]}


def production_accounts(count: int) -> list:
    return [f"2100000000{number:02d}" for number in range(1, count + 1)]


def account_response(account_id: str, state: str = "ACTIVE") -> dict:
    return {"Id": account_id, "Arn": f"arn:aws:organizations::{MANAGEMENT}:account/{ORG}/{account_id}", "Name": f"account-{account_id}",
            "Email": f"{account_id}@example.com", "State": state, "JoinedMethod": "CREATED"}


def walk(aws, production: list) -> None:
    """/ holds the management account, Workloads (holding Production, with ``production``) and Sandbox (one account)."""
    aws.respond("organizations", "list_roots", {"Roots": [{"Id": ROOT, "Name": "Root", "PolicyTypes": []}]})
    aws.respond("organizations", "list_organizational_units_for_parent",
                {"OrganizationalUnits": [{"Id": WORKLOADS, "Name": "Workloads"}, {"Id": SANDBOX, "Name": "Sandbox"}]}, ParentId=ROOT)
    aws.respond("organizations", "list_organizational_units_for_parent", {"OrganizationalUnits": []}, ParentId=SANDBOX)
    aws.respond("organizations", "list_organizational_units_for_parent",
                {"OrganizationalUnits": [{"Id": PRODUCTION, "Name": "Production"}]}, ParentId=WORKLOADS)
    aws.respond("organizations", "list_organizational_units_for_parent", {"OrganizationalUnits": []}, ParentId=PRODUCTION)
    for parent_id, accounts in ((ROOT, [MANAGEMENT]), (SANDBOX, [SANDBOX_ACCOUNT]), (WORKLOADS, []), (PRODUCTION, production)):
        aws.respond("organizations", "list_accounts_for_parent", {"Accounts": [account_response(account_id) for account_id in accounts]},
                    ParentId=parent_id)


def root_types(aws, *enabled: str) -> None:
    aws.respond("organizations", "list_roots", {"Roots": [{"Id": ROOT, "Name": "Root",
                                                           "PolicyTypes": [{"Type": kind, "Status": "ENABLED"} for kind in enabled]}]})


def policies(aws, policy_type: str, *attached) -> None:
    """ListPolicies(Filter=policy_type), then DescribePolicy and ListTargetsForPolicy of each (policy id, name, document, targets)."""
    summaries = [{"Id": policy_id, "Arn": f"arn:aws:organizations::aws:policy/{policy_id}", "Name": name, "Type": policy_type,
                  "AwsManaged": policy_id.startswith("p-Full") or policy_id.startswith("p-RCPFull")}
                 for policy_id, name, _document, _targets in attached]
    aws.respond("organizations", "list_policies", {"Policies": summaries}, Filter=policy_type)
    for summary, (policy_id, _name, document, targets) in zip(summaries, attached):
        aws.respond("organizations", "describe_policy", {"Policy": {"PolicySummary": summary, "Content": json.dumps(document)}}, PolicyId=policy_id)
        aws.respond("organizations", "list_targets_for_policy",
                    {"Targets": [{"TargetId": target, "Arn": f"arn:aws:organizations::{MANAGEMENT}:x/{target}", "Name": target,
                                  "Type": "ACCOUNT" if target.isdigit() else "ROOT" if target.startswith("r-") else "ORGANIZATIONAL_UNIT"}
                                 for target in targets]}, PolicyId=policy_id)


def everywhere(production: list) -> list:
    return [ROOT, WORKLOADS, PRODUCTION, SANDBOX, MANAGEMENT, SANDBOX_ACCOUNT] + production


def full_access(aws, policy_type: str, production: list, *extra) -> None:
    if policy_type == SCP:
        policies(aws, SCP, ("p-FullAWSAccess", "FullAWSAccess", FULL_AWS_ACCESS, everywhere(production)), *extra)
    else:
        policies(aws, RCP, ("p-RCPFullAWSAccess", "RCPFullAWSAccess", RCP_FULL_AWS_ACCESS, everywhere(production)), *extra)


def params(**given) -> dict:
    return dict({"account_ids": None, "organizational_unit_ids": None, "all_accounts": True, "exclude_account_ids": [],
                 "task_policies": list(TASKS), "regions": None}, **given)


def run(aws, **given) -> dict:
    return root_task_guardrails_info(aws.factory, params(**given), False)


def by_id(result: dict) -> dict:
    return {account["id"]: account for account in result["accounts"]}


def verdicts(account: dict) -> dict:
    return {task: verdict["allowed"] for task, verdict in account["task_policies"].items()}


def denials(account: dict, task: str) -> list:
    return sorted((entry["action"], entry["region"], entry["policy_id"], entry["target_id"], entry["statement"], entry["reason"])
                  for entry in account["task_policies"][task]["denied"])


# ---------------------------------------------------------------------------
# The reads

@pytest.mark.parametrize("count", [3, 30])
def test_the_reads_are_made_once_whatever_the_number_of_accounts(aws, count):
    production = production_accounts(count)
    aws.caller()
    walk(aws, production)
    root_types(aws, SCP, RCP)
    full_access(aws, SCP, production, ("p-ctroot", "aws-guardrails-ct", CONTROL_TOWER_DEFAULT, [PRODUCTION]))
    full_access(aws, RCP, production)
    result = run(aws)
    assert aws.calls == CALLER + WALK + [
        "organizations:ListRoots",
        "organizations:ListPolicies", "organizations:DescribePolicy", "organizations:ListTargetsForPolicy",
        "organizations:DescribePolicy", "organizations:ListTargetsForPolicy",
        "organizations:ListPolicies", "organizations:DescribePolicy", "organizations:ListTargetsForPolicy",
    ]
    assert aws.writes() == []
    assert len(result["accounts"]) == count + 2
    assert result["summary"] == {task: {"allowed": 2, "blocked": count, "uncertain": 0} for task in TASKS}


def test_a_policy_type_not_enabled_is_not_read_and_not_enforced(aws):
    production = production_accounts(2)
    aws.caller()
    walk(aws, production)
    root_types(aws, SCP)
    full_access(aws, SCP, production)
    result = run(aws)
    assert aws.calls[len(CALLER) + len(WALK):] == [
        "organizations:ListRoots", "organizations:ListPolicies", "organizations:DescribePolicy", "organizations:ListTargetsForPolicy"]
    assert result["policy_types_enabled"] == [SCP]
    assert result["policy_types"] == {
        SCP: {"status": "ENABLED", "enforced": True, "policies": 1, "message": f"SCPs are enabled on root {ROOT} and enforced."},
        RCP: {"status": "NOT_ENABLED", "enforced": False, "policies": None,
              "message": f"RCPs are NOT_ENABLED on root {ROOT}: none is enforced, so none can stop a root task; not read."},
    }
    assert all(verdict == {"allowed": True, "denied": [], "uncertain": []}
               for account in result["accounts"] for verdict in account["task_policies"].values())
    assert result["remedies"] == []


def test_no_policy_type_enabled_reads_no_policy(aws):
    aws.caller()
    walk(aws, production_accounts(1))
    root_types(aws)
    result = run(aws, task_policies=["IAMAuditRootUserCredentials"])
    assert aws.calls == CALLER + WALK + ["organizations:ListRoots"]
    assert result["policy_types_enabled"] == []
    assert result["summary"] == {"IAMAuditRootUserCredentials": {"allowed": 3, "blocked": 0, "uncertain": 0}}


# ---------------------------------------------------------------------------
# Published guardrails

def test_control_tower_default_on_an_ou_blocks_every_task_there_only(aws):
    production = production_accounts(2)
    aws.caller()
    walk(aws, production)
    root_types(aws, SCP)
    full_access(aws, SCP, production, ("p-ctroot", "aws-guardrails-ct", CONTROL_TOWER_DEFAULT, [PRODUCTION]))
    result = run(aws, regions=["eu-west-1"])
    accounts = by_id(result)
    for account_id in production:
        assert verdicts(accounts[account_id]) == {task: False for task in TASKS}
        assert denials(accounts[account_id], "IAMCreateRootUserPassword") == [
            (action, "us-east-1", "p-ctroot", PRODUCTION, "GRRESTRICTROOTUSER", "explicit_deny")
            for action in ("iam:CreateLoginProfile", "iam:GetLoginProfile")]
        assert accounts[account_id]["ou_path"] == "/Workloads/Production/" and accounts[account_id]["state"] == "ACTIVE"
    assert verdicts(accounts[SANDBOX_ACCOUNT]) == {task: True for task in TASKS}
    (remedy,) = result["remedies"]
    assert {key: value for key, value in remedy.items() if key not in ("remedy", "actions")} == {
        "policy_type": SCP, "policy_id": "p-ctroot", "policy_name": "aws-guardrails-ct", "statement": "GRRESTRICTROOTUSER",
        "reason": "explicit_deny", "target_ids": [PRODUCTION], "accounts": production, "tasks": list(TASKS)}
    assert "AWS-GR_RESTRICT_ROOT_USER" in remedy["remedy"]
    assert f"Enable the control on OU {PRODUCTION} with its parameter ExemptAssumeRoot" in remedy["remedy"]
    assert "iam:DeleteLoginProfile" in remedy["actions"] and "sqs:SetQueueAttributes" in remedy["actions"]


def test_a_region_deny_blocks_only_the_bucket_and_queue_tasks_in_the_denied_region(aws):
    production = production_accounts(1)
    aws.caller()
    walk(aws, production)
    root_types(aws, SCP)
    full_access(aws, SCP, production, ("p-regions", "deny-other-regions", REGION_DENY, [ROOT]))
    result = run(aws, regions=["eu-west-1", "us-east-2"])
    account = by_id(result)[production[0]]
    assert verdicts(account) == {task: task in IAM_TASKS for task in TASKS}
    assert denials(account, "S3UnlockBucketPolicy") == [
        (action, "us-east-2", "p-regions", ROOT, 0, "explicit_deny")
        for action in ("s3:DeleteBucketPolicy", "s3:GetBucketPolicy", "s3:PutBucketPolicy")]
    assert denials(account, "SQSUnlockQueuePolicy") == [
        (action, "us-east-2", "p-regions", ROOT, 0, "explicit_deny")
        for action in ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SetQueueAttributes")]
    (remedy,) = result["remedies"]
    assert (remedy["tasks"], remedy["target_ids"]) == (list(REGIONAL), [ROOT])
    assert "denies requests outside the Regions eu-central-1, eu-west-1" in remedy["remedy"]
    assert result["summary"]["S3UnlockBucketPolicy"] == {"allowed": 1, "blocked": 2, "uncertain": 0}


def test_an_rcp_on_an_ou_blocks_bucket_and_queue_unlocks_there(aws):
    production = production_accounts(1)
    aws.caller()
    walk(aws, production)
    root_types(aws, SCP, RCP)
    full_access(aws, SCP, production)
    full_access(aws, RCP, production, ("p-rcpou", "rcp-deny-resource-access-in-ou", RCP_OU_BOUNDARY, [SANDBOX]))
    result = run(aws, regions=["eu-west-1"])
    sandbox, production_account = by_id(result)[SANDBOX_ACCOUNT], by_id(result)[production[0]]
    assert verdicts(production_account) == {task: True for task in TASKS}
    # IAM is not a service RCPs govern.
    assert verdicts(sandbox) == {task: task in IAM_TASKS for task in TASKS}
    assert denials(sandbox, "SQSUnlockQueuePolicy") == [
        (action, "eu-west-1", "p-rcpou", SANDBOX, 0, "explicit_deny")
        for action in ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SetQueueAttributes")]
    # Whether an RCP governs s3:ListAllMyBuckets (no resource) AWS does not say.
    assert sandbox["task_policies"]["S3UnlockBucketPolicy"]["uncertain"] == [{
        "action": "s3:ListAllMyBuckets", "region": "eu-west-1", "policy_type": RCP, "policy_id": "p-rcpou",
        "policy_name": "rcp-deny-resource-access-in-ou", "target_id": SANDBOX, "statement": 0,
        "why": f"RCP rcp-deny-resource-access-in-ou (p-rcpou) attached to {SANDBOX}, statement 0 would deny it, but AWS does not "
               "document whether RCPs govern an action on no resource"}]
    (remedy,) = result["remedies"]
    assert (remedy["policy_type"], remedy["accounts"], remedy["tasks"]) == (RCP, [SANDBOX_ACCOUNT], list(REGIONAL))


def test_the_management_account_is_not_subject_to_guardrails(aws):
    aws.caller()
    walk(aws, [])
    root_types(aws, SCP)
    policies(aws, SCP, ("p-FullAWSAccess", "FullAWSAccess", FULL_AWS_ACCESS, [ROOT, WORKLOADS, PRODUCTION, SANDBOX, MANAGEMENT, SANDBOX_ACCOUNT]),
             ("p-ctroot", "aws-guardrails-ct", CONTROL_TOWER_DEFAULT, [ROOT]))
    result = run(aws)
    management, sandbox = by_id(result)[MANAGEMENT], by_id(result)[SANDBOX_ACCOUNT]
    assert (management["management_account"], management["subject_to_guardrails"]) == (True, False)
    assert management["task_policies"] == {task: {"allowed": True, "denied": [], "uncertain": []} for task in TASKS}
    assert "SCPs and RCPs never apply to it" in management["message"]
    assert verdicts(sandbox) == {task: False for task in TASKS}
    assert result["remedies"][0]["accounts"] == [SANDBOX_ACCOUNT]


def test_a_missing_allow_at_a_level(aws):
    """FullAWSAccess detached from the Sandbox OU: nothing there allows any call."""
    aws.caller()
    walk(aws, [])
    root_types(aws, SCP)
    policies(aws, SCP, ("p-FullAWSAccess", "FullAWSAccess", FULL_AWS_ACCESS, [ROOT, WORKLOADS, PRODUCTION, MANAGEMENT, SANDBOX_ACCOUNT]))
    result = run(aws, task_policies=["IAMCreateRootUserPassword"])
    assert denials(by_id(result)[SANDBOX_ACCOUNT], "IAMCreateRootUserPassword") == [
        (action, "us-east-1", None, SANDBOX, None, "not_allowed") for action in ("iam:CreateLoginProfile", "iam:GetLoginProfile")]
    (remedy,) = result["remedies"]
    assert (remedy["policy_id"], remedy["target_ids"]) == (None, [SANDBOX])
    assert remedy["remedy"].startswith(f"No SCP attached to {SANDBOX} allows")


# ---------------------------------------------------------------------------
# Errors

@pytest.mark.parametrize("failing, permission", [
    ("list_policies", "organizations:ListPolicies"),
    ("describe_policy", "organizations:DescribePolicy"),
    ("list_targets_for_policy", "organizations:ListTargetsForPolicy"),
])
def test_a_caller_that_cannot_read_the_policies(aws, failing, permission):
    aws.caller()
    walk(aws, [])
    root_types(aws, SCP)
    summary = {"Id": "p-FullAWSAccess", "Arn": "arn:aws:organizations::aws:policy/p-FullAWSAccess", "Name": "FullAWSAccess",
               "Type": SCP, "AwsManaged": True}
    denied = "You don't have permissions to access this resource."
    if failing == "list_policies":
        aws.fail("organizations", "list_policies", "AccessDeniedException", denied, Filter=SCP)
    else:
        aws.respond("organizations", "list_policies", {"Policies": [summary]}, Filter=SCP)
        if failing == "describe_policy":
            aws.fail("organizations", "describe_policy", "AccessDeniedException", denied, PolicyId="p-FullAWSAccess")
        else:
            aws.respond("organizations", "describe_policy", {"Policy": {"PolicySummary": summary, "Content": json.dumps(FULL_AWS_ACCESS)}},
                        PolicyId="p-FullAWSAccess")
            aws.fail("organizations", "list_targets_for_policy", "AccessDeniedException", denied, PolicyId="p-FullAWSAccess")
    with pytest.raises(errors.CannotReadGuardrails) as raised:
        run(aws)
    assert raised.value.error_class == "cannot_read_guardrails"
    assert raised.value.message.startswith(f"The caller cannot read the organization's SCPs: {permission} was denied. This check needs "
                                           "organizations:ListPolicies, organizations:DescribePolicy, organizations:ListTargetsForPolicy")
    assert raised.value.aws_error_code == "AccessDeniedException"


@pytest.mark.parametrize("given, message", [
    ({"task_policies": ["IAMAuditRootUserCredentials", "S3DeleteEverything"]},
     "task_policies: 'S3DeleteEverything' is not a root-task policy; use one of IAMAuditRootUserCredentials, IAMCreateRootUserPassword, "
     "IAMDeleteRootUserCredentials, S3UnlockBucketPolicy, SQSUnlockQueuePolicy or its ARN (arn:aws:iam::aws:policy/root-task/<name>)."),
    ({"task_policies": []}, "task_policies: the list is empty; give at least one of IAMAuditRootUserCredentials, IAMCreateRootUserPassword, "
                            "IAMDeleteRootUserCredentials, S3UnlockBucketPolicy, SQSUnlockQueuePolicy."),
    ({"regions": ["eu-west-1", "Europe"]}, "regions: 'Europe' is not a Region name such as us-east-1."),
    ({"regions": ["us-east-1\n"]}, "regions: 'us-east-1\\n' is not a Region name such as us-east-1."),
    ({"regions": []}, "regions: the list is empty; give at least one Region, or leave regions out for the module's Region (us-east-1)."),
    ({"all_accounts": None, "account_ids": ["12345"]},
     "account_ids: '12345' is not an AWS account id (12 digits; quote it in YAML so that leading zeros stay)."),
])
def test_bad_input_fails_before_any_call(aws, given, message):
    with pytest.raises(errors.InvalidInput) as raised:
        run(aws, **given)
    assert raised.value.message == message
    assert aws.calls == []


def test_task_policies_by_arn_and_the_default_region(aws):
    aws.caller()
    walk(aws, [])
    root_types(aws)
    result = run(aws, task_policies=["arn:aws:iam::aws:policy/root-task/SQSUnlockQueuePolicy", "SQSUnlockQueuePolicy"])
    assert (result["task_policies"], result["regions"]) == (["SQSUnlockQueuePolicy"], ["us-east-1"])
    assert result["assume_root"]["evaluated"] is False and result["assume_root"]["action"] == "sts:AssumeRoot"
    assert result["skipped_accounts"] == []


def test_accounts_given_by_id_are_looked_up_and_decided_on_their_path(aws):
    """The look-up (DescribeAccount, ListParents up to the root) gives the path root -> Sandbox -> account; an SCP on Sandbox applies."""
    aws.caller()
    aws.respond("organizations", "describe_account", {"Account": account_response(SANDBOX_ACCOUNT)}, AccountId=SANDBOX_ACCOUNT)
    aws.respond("organizations", "list_parents", {"Parents": [{"Id": SANDBOX, "Type": "ORGANIZATIONAL_UNIT"}]}, ChildId=SANDBOX_ACCOUNT)
    aws.respond("organizations", "describe_organizational_unit", {"OrganizationalUnit": {"Id": SANDBOX, "Name": "Sandbox"}},
                OrganizationalUnitId=SANDBOX)
    aws.respond("organizations", "list_parents", {"Parents": [{"Id": ROOT, "Type": "ROOT"}]}, ChildId=SANDBOX)
    aws.fail("organizations", "describe_account", "AccountNotFoundException", "You specified an account that doesn't exist.",
             AccountId="299999999999")
    root_types(aws, SCP)
    policies(aws, SCP, ("p-FullAWSAccess", "FullAWSAccess", FULL_AWS_ACCESS, [ROOT, SANDBOX, SANDBOX_ACCOUNT]),
             ("p-ctroot", "aws-guardrails-ct", CONTROL_TOWER_DEFAULT, [SANDBOX]))
    result = run(aws, all_accounts=None, account_ids=[SANDBOX_ACCOUNT, "299999999999"], task_policies=["IAMAuditRootUserCredentials"])
    assert aws.calls[len(CALLER):len(CALLER) + 4] == ["organizations:DescribeAccount", "organizations:ListParents",
                                                      "organizations:DescribeOrganizationalUnit", "organizations:ListParents"]
    (account,) = result["accounts"]
    assert (account["id"], account["ou_path"], verdicts(account)) == (SANDBOX_ACCOUNT, "/Sandbox/", {"IAMAuditRootUserCredentials": False})
    assert [(skipped["id"], skipped["reason"]) for skipped in result["skipped_accounts"]] == [("299999999999", "not_in_organization")]


def test_a_statement_on_particular_buckets_is_uncertain_and_a_non_essential_denial_blocks_nothing(aws):
    """aws-samples' "deny deleting S3 buckets or objects" ([BUCKET_TO_PROTECT] payments-data): the check does not know which
    bucket an unlock works on, so the deny is uncertain; a deny of iam:DeleteVirtualMFADevice alone does not block the removal."""
    protect = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": ["s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:DeleteObject"],
                                                       "Resource": ["arn:aws:s3:::payments-data", "arn:aws:s3:::payments-data/*"]}]}
    keep_devices = {"Version": "2012-10-17", "Statement": [{"Sid": "KeepDevices", "Effect": "Deny", "Action": "iam:DeleteVirtualMFADevice", "Resource": "*"}]}
    aws.caller()
    walk(aws, [])
    root_types(aws, SCP)
    full_access(aws, SCP, [], ("p-keep", "keep-mfa-devices", keep_devices, [SANDBOX]), ("p-protect", "deny-deleting-s3", protect, [SANDBOX]))
    result = run(aws, task_policies=["IAMDeleteRootUserCredentials", "S3UnlockBucketPolicy"], regions=["eu-west-1"])
    sandbox = by_id(result)[SANDBOX_ACCOUNT]
    assert verdicts(sandbox) == {"IAMDeleteRootUserCredentials": True, "S3UnlockBucketPolicy": None}
    assert [(entry["action"], entry["essential"]) for entry in sandbox["task_policies"]["IAMDeleteRootUserCredentials"]["denied"]] == [
        ("iam:DeleteVirtualMFADevice", False)]
    (uncertain,) = sandbox["task_policies"]["S3UnlockBucketPolicy"]["uncertain"]
    assert {key: value for key, value in uncertain.items() if key != "why"} == {
        "action": "s3:DeleteBucketPolicy", "region": "eu-west-1", "policy_type": SCP, "policy_id": "p-protect",
        "policy_name": "deny-deleting-s3", "target_id": SANDBOX, "statement": 0}
    assert "names particular buckets or queues" in uncertain["why"]
    assert result["summary"] == {"IAMDeleteRootUserCredentials": {"allowed": 2, "blocked": 0, "uncertain": 0},
                                 "S3UnlockBucketPolicy": {"allowed": 1, "blocked": 0, "uncertain": 1}}
    assert result["remedies"] == []
