"""SCPs and RCPs enforced (rootguard_emulator/guardrails.py): policies made, attached and detached through the
Organizations API, then root sessions, root-user keys, roles and the management account making the root tasks'
calls, each outcome asserted exactly (AWS's code, status and message), in-process and over HTTP.

The published policies come from policy_examples.py, attached to the OU of one member account of the mixed seed
(the one with a locked bucket and a locked queue); another member account, in another OU, is the control.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from typing import Any

import pytest
from botocore.exceptions import ClientError

from rootguard_emulator import policy_examples as examples
from rootguard_emulator import faults
from rootguard_emulator.state import STATE

FEATURES = ["RootCredentialsManagement", "RootSessions"]
AUDIT = "IAMAuditRootUserCredentials"
S3_UNLOCK = "S3UnlockBucketPolicy"
SQS_UNLOCK = "SQSUnlockQueuePolicy"
MANAGEMENT = "123456789012"
SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
ALLOWED = "allowed"
NO_RETRIES = {"retries": {"total_max_attempts": 1}}
DENY_ASSUME_ROOT = {"Version": "2012-10-17", "Statement": [{"Sid": "NoRootSessions", "Effect": "Deny", "Action": "sts:AssumeRoot", "Resource": "*"}]}
ALLOW_IAM_ONLY = {"Version": "2012-10-17", "Statement": [{"Sid": "IamOnly", "Effect": "Allow", "Action": "iam:*", "Resource": "*"}]}


def outcome(call, **kwargs) -> Any:
    """``allowed``, or the error's (code, HTTP status, message) when the call is denied. Other errors (NoSuchEntity
    for a root user without a password, say) are not the policies' doing: allowed."""
    try:
        call(**kwargs)
    except ClientError as error:
        response = error.response
        code = response["Error"]["Code"]
        if code in ("AccessDenied", "AccessDeniedException"):
            return code, response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]["Message"]
    return ALLOWED


class Org:
    """The seeded organization, a target account (locked bucket and queue, alone in its OU) and a control account."""

    def __init__(self, aws):
        self.aws = aws
        self.truth = aws.seed(accounts=10, profile="mixed", trusted_access=True, features=FEATURES, delegated_administrator=True)
        active = [account for account in self.truth["accounts"] if account["state"] == "ACTIVE"]
        self.target = next(account for account in active if account["buckets"] and account["queues"])
        self.control = next(account for account in active if account["parent_id"] not in (self.target["parent_id"], self.truth["root_id"]))
        assert [a["id"] for a in self.truth["accounts"] if a["parent_id"] == self.target["parent_id"]] == [self.target["id"]]
        self.organizations = aws.client("organizations")
        self.bucket = self.target["buckets"][0]["name"]
        self.queue_arn = self.target["queues"][0]["arn"]
        self.queue_url = aws.client("sqs", aws.assume_root(self.target["id"], SQS_UNLOCK)).get_queue_url(QueueName=self.target["queues"][0]["name"])["QueueUrl"]

    def enable(self, *policy_types: str) -> None:
        for policy_type in policy_types:
            self.organizations.enable_policy_type(RootId=self.truth["root_id"], PolicyType=policy_type)

    def attach(self, name: str, document: dict, target_id: str, policy_type: str = SCP) -> str:
        """Create a policy, attach it; its ARN."""
        summary = self.organizations.create_policy(Name=name, Description=name, Type=policy_type, Content=json.dumps(document))["Policy"]["PolicySummary"]
        self.organizations.attach_policy(PolicyId=summary["Id"], TargetId=target_id)
        return summary["Arn"]

    def task_calls(self, task: str, account_id: str, region: str = "us-east-1", credentials: dict | None = None) -> dict[str, Any]:
        """Action -> outcome of the task's calls in a fresh root session (or with ``credentials``)."""
        session = credentials or self.aws.assume_root(account_id, task)
        if task == AUDIT:
            iam = self.aws.client("iam", session)
            calls = {"iam:GetUser": (iam.get_user, {}), "iam:ListAccessKeys": (iam.list_access_keys, {}),
                     "iam:GetAccountSummary": (iam.get_account_summary, {})}
        elif task == S3_UNLOCK:
            s3 = self.aws.client("s3", session, region=region, **NO_RETRIES)
            bucket = self.bucket if account_id == self.target["id"] else None
            calls = {"s3:ListAllMyBuckets": (s3.list_buckets, {})}
            if bucket:
                calls["s3:GetBucketPolicy"] = (s3.get_bucket_policy, {"Bucket": bucket})
        else:
            sqs = self.aws.client("sqs", session, region=region, **NO_RETRIES)
            calls = {"sqs:ListQueues": (sqs.list_queues, {})}
            if account_id == self.target["id"]:
                calls["sqs:GetQueueAttributes"] = (sqs.get_queue_attributes, {"QueueUrl": self.queue_url, "AttributeNames": ["Policy"]})
        return {action: outcome(call, **kwargs) for action, (call, kwargs) in calls.items()}

    def resource(self, action: str, account_id: str) -> str:
        return {
            "iam:GetUser": f"arn:aws:iam::{account_id}:root",
            "iam:ListAccessKeys": f"arn:aws:iam::{account_id}:root",
            "iam:GetAccountSummary": "*",
            "s3:ListAllMyBuckets": "*",
            "s3:GetBucketPolicy": f"arn:aws:s3:::{self.bucket}",
            "s3:DeleteBucketPolicy": f"arn:aws:s3:::{self.bucket}",
            "sqs:ListQueues": "*",
            "sqs:GetQueueAttributes": self.queue_arn,
            "sqs:SetQueueAttributes": self.queue_arn,
        }[action]


def code_of(action: str) -> str:
    return "AccessDeniedException" if action.startswith("organizations:") else "AccessDenied"


def explicit(org: Org, action: str, account_id: str, policy_arn: str, kind: str = "service control policy", principal: str | None = None) -> tuple:
    who = principal or f"arn:aws:iam::{account_id}:root"
    return (code_of(action), 403, f"User: {who} is not authorized to perform: {action} on resource: {org.resource(action, account_id)} "
                                  f"with an explicit deny in a {kind}: {policy_arn}")


def not_allowed(org: Org, action: str, account_id: str) -> tuple:
    return ("AccessDenied", 403, f"User: arn:aws:iam::{account_id}:root is not authorized to perform: {action} on resource: "
                                 f"{org.resource(action, account_id)} because no service control policy allows the {action} action")


@pytest.fixture(name="org")
def org_fixture(aws) -> Org:
    return Org(aws)


# Organizations: policies as AWS stores them ----------------------------------------------------------------------

def test_policies_through_the_organizations_api(org):
    api = org.organizations
    root_id, ou_id, account_id = org.truth["root_id"], org.target["parent_id"], org.target["id"]
    for policy_type, policy_id in ((SCP, "p-FullAWSAccess"), (RCP, "p-RCPFullAWSAccess")):
        (managed,) = api.list_policies(Filter=policy_type)["Policies"]
        assert (managed["Id"], managed["AwsManaged"]) == (policy_id, True)
        assert managed["Arn"] == f"arn:aws:organizations::aws:policy/{policy_type.lower()}/{policy_id}"
        for target in (root_id, ou_id, account_id, MANAGEMENT):
            assert [p["Id"] for p in api.list_policies_for_target(TargetId=target, Filter=policy_type)["Policies"]] == [policy_id]
    assert api.list_roots()["Roots"][0]["PolicyTypes"] == []

    created = api.create_policy(Name="NoRootSessions", Description="d", Type=SCP, Content=json.dumps(DENY_ASSUME_ROOT))["Policy"]["PolicySummary"]
    assert created["Arn"] == f"arn:aws:organizations::{MANAGEMENT}:policy/{org.truth['organization_id']}/service_control_policy/{created['Id']}"
    with pytest.raises(ClientError) as error:
        api.attach_policy(PolicyId=created["Id"], TargetId=ou_id)
    assert error.value.response["Error"]["Code"] == "PolicyTypeNotEnabledException"

    org.enable(SCP, RCP)
    assert sorted(t["Type"] for t in api.list_roots()["Roots"][0]["PolicyTypes"]) == [RCP, SCP]
    api.attach_policy(PolicyId=created["Id"], TargetId=ou_id)
    assert [t["TargetId"] for t in api.list_targets_for_policy(PolicyId=created["Id"])["Targets"]] == [ou_id]
    assert sorted(p["Id"] for p in api.list_policies_for_target(TargetId=ou_id, Filter=SCP)["Policies"]) == sorted(["p-FullAWSAccess", created["Id"]])

    refused = {}
    for policy_id, target in (("p-RCPFullAWSAccess", account_id), (created["Id"], account_id)):
        with pytest.raises(ClientError) as error:
            api.detach_policy(PolicyId=policy_id, TargetId=target)
        refused[policy_id] = error.value.response["Error"]["Code"]
    assert refused == {"p-RCPFullAWSAccess": "ConstraintViolationException", created["Id"]: "PolicyNotAttachedException"}
    api.detach_policy(PolicyId="p-FullAWSAccess", TargetId=ou_id)  # the OU keeps created: allowed
    with pytest.raises(ClientError) as error:
        api.detach_policy(PolicyId=created["Id"], TargetId=ou_id)  # its last SCP
    refusal = error.value.response
    assert (refusal["Error"]["Code"], refusal["Reason"]) == ("ConstraintViolationException", "MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")

    api.disable_policy_type(RootId=root_id, PolicyType=SCP)
    for target in (root_id, ou_id, account_id):
        assert api.list_policies_for_target(TargetId=target, Filter=SCP)["Policies"] == []
    assert sorted(p["Id"] for p in api.list_policies(Filter=SCP)["Policies"]) == sorted(["p-FullAWSAccess", created["Id"]])  # detached, not deleted
    api.enable_policy_type(RootId=root_id, PolicyType=SCP)
    for target in (root_id, ou_id, account_id):
        assert [p["Id"] for p in api.list_policies_for_target(TargetId=target, Filter=SCP)["Policies"]] == ["p-FullAWSAccess"]


MALFORMED = [
    ("not-json", SCP, "{"),
    ("no-statement", SCP, json.dumps({"Version": "2012-10-17"})),
    ("scp-with-principal", SCP, json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]})),
    ("unknown-operator", SCP, json.dumps({"Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*", "Condition": {"StringSorta": {"aws:x": "y"}}}]})),
    ("rcp-allow", RCP, json.dumps(examples.RCP_FULL_AWS_ACCESS)),
    ("rcp-without-principal", RCP, json.dumps({"Statement": [{"Effect": "Deny", "Action": "s3:*", "Resource": "*"}]})),
]


@pytest.mark.parametrize(("policy_type", "content"), [pytest.param(*case[1:], id=case[0]) for case in MALFORMED])
def test_a_document_that_is_no_scp_or_rcp_is_refused(org, policy_type, content):
    with pytest.raises(ClientError) as error:
        org.organizations.create_policy(Name="Bad", Description="d", Type=policy_type, Content=content)
    assert error.value.response["Error"]["Code"] == "MalformedPolicyDocumentException"
    good = examples.FULL_AWS_ACCESS if policy_type == SCP else examples.RCP_S3_DENY_DELETING_BUCKETS_OR_OBJECTS
    created = org.organizations.create_policy(Name="Good", Description="d", Type=policy_type, Content=json.dumps(good))["Policy"]["PolicySummary"]
    with pytest.raises(ClientError) as error:
        org.organizations.update_policy(PolicyId=created["Id"], Content=content)
    assert error.value.response["Error"]["Code"] == "MalformedPolicyDocumentException"


# published SCPs against the root tasks --------------------------------------------------------------------------

# (id, policy, region of the S3 and SQS calls, task -> action -> expected: "allowed" or the denying statement's policy)
PUBLISHED = [
    ("control-tower-default", examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT, "us-east-1", "all"),
    ("control-tower-exempt-assume-root", examples.CONTROL_TOWER_RESTRICT_ROOT_USER_EXEMPT_ASSUME_ROOT, "us-east-1", set()),
    ("samples-prevent-root-credentials", examples.SCP_PREVENT_ROOT_CREDENTIALS_MANAGEMENT, "us-east-1", set()),
    ("lza-cccs-medium", examples.fill(examples.LZA_CCCS_MEDIUM_GUARDRAILS_UNCLASS), "us-east-1", set()),
    ("samples-region-deny/us-east-1", examples.fill(examples.SCP_DENY_BY_REQUESTED_REGION), "us-east-1",
     {"s3:GetBucketPolicy", "sqs:ListQueues", "sqs:GetQueueAttributes"}),
    ("samples-region-deny/eu-west-1", examples.fill(examples.SCP_DENY_BY_REQUESTED_REGION), "eu-west-1", set()),
]


@pytest.mark.parametrize(("document", "region", "denied"), [pytest.param(*case[1:], id=case[0]) for case in PUBLISHED])
def test_published_scp_on_the_ou_against_each_task(org, document, region, denied):
    org.enable(SCP)
    policy_arn = org.attach("Published", document, org.target["parent_id"])
    account_id = org.target["id"]
    for task in (AUDIT, S3_UNLOCK, SQS_UNLOCK):
        # SQS queues live in a region: outside the queue's, only ListQueues is asked
        results = org.task_calls(task, account_id, region=region)
        if task == SQS_UNLOCK and region != "us-east-1":
            results.pop("sqs:GetQueueAttributes")
        expected = {action: explicit(org, action, account_id, policy_arn) if denied == "all" or action in denied else ALLOWED for action in results}
        assert results == expected, task
        # the control account, in another OU, is never touched
        assert set(org.task_calls(task, org.control["id"]).values()) == {ALLOWED}


def test_the_deny_names_its_statement_policy_and_ou_level_only(org):
    org.enable(SCP)
    policy_arn = org.attach("aws-guardrails-restrict-root", examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT, org.target["parent_id"])
    assert org.task_calls(AUDIT, org.target["id"])["iam:ListAccessKeys"] == explicit(org, "iam:ListAccessKeys", org.target["id"], policy_arn)
    # the same policy on the control account's OU and its account too: only the OU it sits on and below
    for account in org.truth["accounts"]:
        if account["state"] == "ACTIVE" and account["parent_id"] not in (org.target["parent_id"],):
            assert set(org.task_calls(AUDIT, account["id"]).values()) == {ALLOWED}, account["id"]
    # moving the account out of the OU lifts the deny; moving it back brings it back
    org.organizations.move_account(AccountId=org.target["id"], SourceParentId=org.target["parent_id"], DestinationParentId=org.truth["root_id"])
    assert set(org.task_calls(AUDIT, org.target["id"]).values()) == {ALLOWED}
    org.organizations.move_account(AccountId=org.target["id"], SourceParentId=org.truth["root_id"], DestinationParentId=org.target["parent_id"])
    assert org.task_calls(AUDIT, org.target["id"])["iam:GetUser"] == explicit(org, "iam:GetUser", org.target["id"], policy_arn)


def test_the_request_context_of_a_root_session(org):
    """One statement on the root that holds only with the context AWS gives a root session of the target: its
    organization, its OU path as aws:PrincipalOrgPaths writes it, aws:AssumedRoot, aws:PrincipalType Account, and
    aws:RequestedRegion us-east-1 for IAM whatever region the client names."""
    org.enable(SCP)
    org_path = f"{org.truth['organization_id']}/{org.truth['root_id']}/{org.target['parent_id']}/"
    document = {"Version": "2012-10-17", "Statement": [{
        "Sid": "ThisOuRootSessionsOnly", "Effect": "Deny", "Action": "iam:ListAccessKeys", "Resource": "*",
        "Condition": {
            "ForAnyValue:StringEquals": {"aws:PrincipalOrgPaths": [org_path]},
            "StringEquals": {"aws:PrincipalOrgID": org.truth["organization_id"], "aws:RequestedRegion": "us-east-1", "aws:PrincipalType": "Account",
                             "aws:PrincipalAccount": org.target["id"], "aws:MultiFactorAuthPresent": "false"},
            "Bool": {"aws:AssumedRoot": "true"},
        },
    }]}
    policy_arn = org.attach("ContextProbe", document, org.truth["root_id"])
    for account, expected in ((org.target, explicit(org, "iam:ListAccessKeys", org.target["id"], policy_arn)), (org.control, ALLOWED)):
        iam = org.aws.client("iam", org.aws.assume_root(account["id"], AUDIT), region="eu-west-1")
        assert outcome(iam.list_access_keys) == expected, account["id"]
    assert outcome(org.aws.client("iam", org.aws.member_credentials(org.target["id"])).list_access_keys) == ALLOWED  # a role: no aws:AssumedRoot


def test_full_aws_access_detached_at_one_ou_leaves_only_its_allow_list(org):
    org.enable(SCP)
    org.attach("IamOnly", ALLOW_IAM_ONLY, org.target["parent_id"])
    org.organizations.detach_policy(PolicyId="p-FullAWSAccess", TargetId=org.target["parent_id"])
    account_id = org.target["id"]
    assert set(org.task_calls(AUDIT, account_id).values()) == {ALLOWED}
    assert org.task_calls(S3_UNLOCK, account_id) == {action: not_allowed(org, action, account_id) for action in ("s3:ListAllMyBuckets", "s3:GetBucketPolicy")}
    assert org.task_calls(SQS_UNLOCK, account_id) == {action: not_allowed(org, action, account_id) for action in ("sqs:ListQueues", "sqs:GetQueueAttributes")}
    assert set(org.task_calls(S3_UNLOCK, org.control["id"]).values()) == {ALLOWED}


def test_region_deny_binds_roles_and_root_sessions_not_the_privileged_or_service_linked_roles(org):
    account_id = org.target["id"]
    admin = org.aws.member_credentials(account_id)
    org.aws.client("s3", admin).create_bucket(Bucket=f"app-data-{account_id}")
    trust = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}, "Action": "sts:AssumeRole"}]}
    org.aws.client("iam", admin).create_role(RoleName="OrgPrivilegedAdmin", AssumeRolePolicyDocument=json.dumps(trust))
    linked_arn = org.aws.client("iam", admin).create_service_linked_role(AWSServiceName="autoscaling.amazonaws.com")["Role"]["Arn"]
    org.enable(SCP)
    policy_arn = org.attach("RegionDeny", examples.fill(examples.SCP_DENY_BY_REQUESTED_REGION), org.target["parent_id"])

    def role_session(role_arn: str) -> dict:
        issued = org.aws.client("sts").assume_role(RoleArn=role_arn, RoleSessionName="breakglass")["Credentials"]
        return {"aws_access_key_id": issued["AccessKeyId"], "aws_secret_access_key": issued["SecretAccessKey"], "aws_session_token": issued["SessionToken"]}

    privileged = role_session(f"arn:aws:iam::{account_id}:role/OrgPrivilegedAdmin")
    service_linked = role_session(linked_arn)
    admin_arn = f"arn:aws:sts::{account_id}:assumed-role/OrganizationAccountAccessRole/emulator-tests"
    outcomes = {
        (who, region): outcome(org.aws.client("s3", credentials, region=region, **NO_RETRIES).get_bucket_location, Bucket=f"app-data-{account_id}")
        for who, credentials in (("admin", admin), ("privileged", privileged), ("service-linked", service_linked))
        for region in ("us-east-2", "eu-west-1")
    }
    assert outcomes == {
        ("admin", "us-east-2"): ("AccessDenied", 403, f"User: {admin_arn} is not authorized to perform: s3:GetBucketLocation on resource: "
                                                      f"arn:aws:s3:::app-data-{account_id} with an explicit deny in a service control policy: {policy_arn}"),
        ("admin", "eu-west-1"): ALLOWED,
        ("privileged", "us-east-2"): ALLOWED,  # ArnNotLike aws:PrincipalARN exempts it
        ("privileged", "eu-west-1"): ALLOWED,
        ("service-linked", "us-east-2"): ALLOWED,  # SCPs never bind service-linked roles
        ("service-linked", "eu-west-1"): ALLOWED,
    }
    assert outcome(org.aws.client("iam", admin).list_roles) == ALLOWED  # IAM is exempt (NotAction)
    unlock = org.task_calls(S3_UNLOCK, account_id, region="us-east-2")
    assert unlock == {"s3:ListAllMyBuckets": ALLOWED, "s3:GetBucketPolicy": explicit(org, "s3:GetBucketPolicy", account_id, policy_arn)}
    assert org.task_calls(S3_UNLOCK, account_id, region="eu-west-1") == {"s3:ListAllMyBuckets": ALLOWED, "s3:GetBucketPolicy": ALLOWED}


def test_root_user_keys_and_iam_users_are_member_principals_too(org):
    """The aws-samples SCP stops the root user's own keys and leaves root sessions and IAM users alone."""
    org.enable(SCP)
    full = next(a for a in org.truth["accounts"] if a["state"] == "ACTIVE" and a["root_user"]["access_keys"] and a["parent_id"] != org.truth["root_id"])
    policy_arn = org.attach("PreventRoot", examples.SCP_PREVENT_ROOT_CREDENTIALS_MANAGEMENT, full["parent_id"])
    root_keys = {"aws_access_key_id": full["root_user"]["access_keys"][0]["id"], "aws_secret_access_key": "unused-by-the-emulator"}
    iam = org.aws.client("iam", root_keys)
    assert outcome(iam.list_users) == ("AccessDenied", 403, f"User: arn:aws:iam::{full['id']}:root is not authorized to perform: iam:ListUsers "
                                                            f"on resource: * with an explicit deny in a service control policy: {policy_arn}")
    assert org.aws.client("sts", root_keys).get_caller_identity()["Account"] == full["id"]  # never authorized, never denied
    assert set(org.task_calls(AUDIT, full["id"]).values()) == {ALLOWED}
    admin = org.aws.client("iam", org.aws.member_credentials(full["id"]))
    admin.create_user(UserName="ops")
    key = admin.create_access_key(UserName="ops")["AccessKey"]
    user = org.aws.client("iam", {"aws_access_key_id": key["AccessKeyId"], "aws_secret_access_key": key["SecretAccessKey"]})
    assert outcome(user.list_users) == ALLOWED


# RCPs --------------------------------------------------------------------------------------------------------------

def test_rcp_on_a_queue_binds_every_caller_but_not_iam(org):
    org.enable(RCP)
    policy_arn = org.attach("SealOu", examples.fill(examples.RCP_DENY_RESOURCE_ACCESS_IN_SPECIFIC_OU), org.target["parent_id"], RCP)
    account_id = org.target["id"]
    assert org.task_calls(SQS_UNLOCK, account_id) == {
        "sqs:ListQueues": ALLOWED,  # names no queue
        "sqs:GetQueueAttributes": explicit(org, "sqs:GetQueueAttributes", account_id, policy_arn, "resource control policy"),
    }
    assert set(org.task_calls(AUDIT, account_id).values()) == {ALLOWED}  # IAM is not an RCP service
    management = org.aws.client("sqs", **NO_RETRIES)
    assert outcome(management.set_queue_attributes, QueueUrl=org.queue_url, Attributes={"Policy": ""}) == explicit(
        org, "sqs:SetQueueAttributes", account_id, policy_arn, "resource control policy", principal=f"arn:aws:iam::{MANAGEMENT}:user/moto")
    # sts:AssumeRole on the member's role is an RCP matter too; sts:AssumeRoot is not (policy_eval.SETTINGS)
    role_arn = f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole"
    assert outcome(org.aws.client("sts", **NO_RETRIES).assume_role, RoleArn=role_arn, RoleSessionName="ops") == (
        "AccessDenied", 403, f"User: arn:aws:iam::{MANAGEMENT}:user/moto is not authorized to perform: sts:AssumeRole on resource: {role_arn} "
                             f"with an explicit deny in a resource control policy: {policy_arn}")
    assert org.aws.assume_root(account_id, SQS_UNLOCK)["aws_access_key_id"].startswith("ASIA")
    assert set(org.task_calls(S3_UNLOCK, org.control["id"]).values()) == {ALLOWED}


def test_rcp_on_a_bucket_stops_the_delete_not_the_read(org):
    org.enable(RCP)
    document = examples.fill(examples.RCP_S3_DENY_DELETING_BUCKETS_OR_OBJECTS, {**examples.LANDING_ZONE, "[BUCKET_TO_PROTECT]": org.bucket})
    policy_arn = org.attach("KeepBucket", document, org.target["parent_id"], RCP)
    account_id = org.target["id"]
    s3 = org.aws.client("s3", org.aws.assume_root(account_id, S3_UNLOCK), **NO_RETRIES)
    assert outcome(s3.get_bucket_policy, Bucket=org.bucket) == ALLOWED
    assert outcome(s3.delete_bucket_policy, Bucket=org.bucket) == explicit(org, "s3:DeleteBucketPolicy", account_id, policy_arn, "resource control policy")
    assert s3.get_bucket_policy(Bucket=org.bucket)["Policy"] == org.target["buckets"][0]["policy"]


# who is never bound, and when nothing is enforced -----------------------------------------------------------------

def test_the_management_account_is_never_denied(org):
    org.enable(SCP, RCP)
    deny_all = {"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*"}]}
    org.attach("DenyAll", deny_all, org.truth["root_id"])
    org.attach("DenyAllToo", deny_all, MANAGEMENT)
    assert outcome(org.aws.client("iam").list_users) == ALLOWED
    assert outcome(org.aws.client("organizations").list_accounts) == ALLOWED
    assert outcome(org.aws.client("s3").list_buckets) == ALLOWED
    # its AssumeRoot works; the root session it opens in a member is denied
    session = org.aws.assume_root(org.target["id"], AUDIT)
    assert outcome(org.aws.client("iam", session).get_user)[:2] == ("AccessDenied", 403)


def test_a_disabled_policy_type_is_not_enforced(org):
    org.enable(SCP)
    org.attach("Restrict", examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT, org.target["parent_id"])
    assert org.task_calls(AUDIT, org.target["id"])["iam:GetUser"][:2] == ("AccessDenied", 403)
    org.organizations.disable_policy_type(RootId=org.truth["root_id"], PolicyType=SCP)
    assert set(org.task_calls(AUDIT, org.target["id"]).values()) == {ALLOWED}
    org.enable(SCP)  # back with FullAWSAccess only: the SCP was detached
    assert set(org.task_calls(AUDIT, org.target["id"]).values()) == {ALLOWED}
    # RCPs attached without the type enabled are impossible; with it disabled, nothing is read
    org.enable(RCP)
    org.attach("SealOu", examples.fill(examples.RCP_DENY_RESOURCE_ACCESS_IN_SPECIFIC_OU), org.target["parent_id"], RCP)
    assert org.task_calls(SQS_UNLOCK, org.target["id"])["sqs:GetQueueAttributes"][:2] == ("AccessDenied", 403)
    org.organizations.disable_policy_type(RootId=org.truth["root_id"], PolicyType=RCP)
    assert set(org.task_calls(SQS_UNLOCK, org.target["id"]).values()) == {ALLOWED}


def test_a_delegated_administrators_own_scp_denies_its_assume_root(org):
    administrator = org.truth["delegated_administrator"]
    assert administrator not in (org.target["id"], MANAGEMENT)
    org.enable(SCP)
    policy_arn = org.attach("NoRootSessions", DENY_ASSUME_ROOT, administrator)
    role = org.aws.member_credentials(administrator)
    sts = org.aws.client("sts", role, **NO_RETRIES)
    task_policy = {"arn": f"arn:aws:iam::aws:policy/root-task/{AUDIT}"}
    assert outcome(sts.assume_root, TargetPrincipal=org.target["id"], TaskPolicyArn=task_policy) == (
        "AccessDenied", 403,
        f"User: arn:aws:sts::{administrator}:assumed-role/OrganizationAccountAccessRole/emulator-tests is not authorized to perform: "
        f"sts:AssumeRoot on resource: arn:aws:iam::{org.target['id']}:root with an explicit deny in a service control policy: {policy_arn}",
    )
    assert sts.get_caller_identity()["Account"] == administrator
    # the management account is not bound by it; the target's SCPs do not stop AssumeRoot
    org.attach("NoRootSessionsInTarget", DENY_ASSUME_ROOT, org.target["parent_id"])
    assert org.aws.assume_root(org.target["id"], AUDIT)["aws_access_key_id"].startswith("ASIA")


def test_the_scp_deny_fault_speaks_the_same_words(aws):
    truth = aws.seed(accounts=2, profile="full", features=FEATURES)
    account_id = truth["accounts"][0]["id"]
    if aws.endpoint:
        aws.control.add_fault(kind="scp_deny", account=account_id)
    else:
        faults.add(kind="scp_deny", account=account_id)
    iam = aws.client("iam", aws.assume_root(account_id, AUDIT))
    assert outcome(iam.list_access_keys) == (
        "AccessDenied", 403, f"User: arn:aws:iam::{account_id}:root is not authorized to perform: iam:ListAccessKeys on resource: "
                             f"arn:aws:iam::{account_id}:root with an explicit deny in a service control policy",
    )
    if not aws.endpoint:
        assert STATE.fault_rules[0].policy_type == SCP


# the AWS CLI ---------------------------------------------------------------------------------------------------

AWS_CLI = shutil.which("aws", path=os.path.dirname(sys.executable)) or shutil.which("aws")


def test_aws_cli_attaches_published_scps_and_is_denied_with_aws_messages(emulator_server, control, tmp_path, require_tool):
    """The AWS CLI (no moto anywhere in its environment) creates SCPs from the published examples, attaches them to
    OUs, opens root sessions and shows which calls are denied, with AWS's text on stderr."""
    aws = require_tool(AWS_CLI, "the aws CLI (awscli in requirements-dev.txt) is neither next to this python nor on PATH")
    home = tmp_path / "home"
    home.mkdir()
    env = {"PATH": os.pathsep.join([os.path.dirname(aws), os.environ.get("PATH", os.defpath)]), "HOME": str(home),
           "AWS_ENDPOINT_URL": emulator_server.endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": ""}

    def run(*args: str, session: dict | None = None) -> subprocess.CompletedProcess:
        environment = dict(env)
        if session:
            environment.update(AWS_ACCESS_KEY_ID=session["AccessKeyId"], AWS_SECRET_ACCESS_KEY=session["SecretAccessKey"],
                               AWS_SESSION_TOKEN=session["SessionToken"])
        return subprocess.run([aws, *args], env=environment, capture_output=True, text=True, timeout=60, check=False)

    def ok(*args: str, session: dict | None = None) -> dict:
        done = run(*args, session=session)
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout) if done.stdout.strip() else {}

    truth = control.seed(accounts=10, profile="mixed", trusted_access=True, features=FEATURES)
    by_ou = {}
    for account in truth["accounts"]:
        if account["state"] == "ACTIVE" and account["parent_id"] != truth["root_id"]:
            by_ou.setdefault(account["parent_id"], account)
    (restricted, restricted_ou), (exempt, exempt_ou) = [(account, ou) for ou, account in list(by_ou.items())[:2]]

    policy_file = tmp_path / "ct-default.json"
    policy_file.write_text(json.dumps(examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT))
    exempt_file = tmp_path / "ct-exempt.json"
    exempt_file.write_text(json.dumps(examples.CONTROL_TOWER_RESTRICT_ROOT_USER_EXEMPT_ASSUME_ROOT))
    ok("organizations", "enable-policy-type", "--root-id", truth["root_id"], "--policy-type", SCP)
    policy = ok("organizations", "create-policy", "--name", "aws-guardrails-restrict-root", "--description", "AWS-GR_RESTRICT_ROOT_USER",
                "--type", SCP, "--content", f"file://{policy_file}")["Policy"]["PolicySummary"]
    exempting = ok("organizations", "create-policy", "--name", "restrict-root-exempt-assume-root", "--description", "ExemptAssumeRoot",
                   "--type", SCP, "--content", f"file://{exempt_file}")["Policy"]["PolicySummary"]
    ok("organizations", "attach-policy", "--policy-id", policy["Id"], "--target-id", restricted_ou)
    ok("organizations", "attach-policy", "--policy-id", exempting["Id"], "--target-id", exempt_ou)
    attached = ok("organizations", "list-policies-for-target", "--target-id", restricted_ou, "--filter", SCP)["Policies"]
    assert sorted(p["Name"] for p in attached) == ["FullAWSAccess", "aws-guardrails-restrict-root"]

    task_policy = f"arn=arn:aws:iam::aws:policy/root-task/{AUDIT}"
    denied_session = ok("sts", "assume-root", "--target-principal", restricted["id"], "--task-policy-arn", task_policy)["Credentials"]
    done = run("iam", "list-access-keys", session=denied_session)
    assert done.returncode == 255  # aws-cli v1: a service error
    assert done.stderr.strip() == (
        f"An error occurred (AccessDenied) when calling the ListAccessKeys operation: User: arn:aws:iam::{restricted['id']}:root is not "
        f"authorized to perform: iam:ListAccessKeys on resource: arn:aws:iam::{restricted['id']}:root with an explicit deny in a service "
        f"control policy: {policy['Arn']}"
    )
    assert ok("sts", "get-caller-identity", session=denied_session)["Arn"] == f"arn:aws:iam::{restricted['id']}:root"

    allowed_session = ok("sts", "assume-root", "--target-principal", exempt["id"], "--task-policy-arn", task_policy)["Credentials"]
    assert "AccessKeyMetadata" in ok("iam", "list-access-keys", session=allowed_session)

    log = [entry for entry in control.requests()["entries"] if entry["rejected"]]
    assert [(entry["service"], entry["action"], entry["account"], entry["rejected"]) for entry in log] == [
        ("iam", "ListAccessKeys", restricted["id"], "AccessDenied")]
