"""The organization of the guardrails benchmark: the seeded organization (tests/emulator/rootguard_emulator/seed.py,
7 OUs) grown to 24 OUs in three levels, its member accounts spread over them, SCPs and RCPs enabled on the root, and 10
SCPs and 3 RCPs attached at the root, OU and account levels as a landing zone attaches them.

The SCPs and RCPs are the published ones of tests/emulator/rootguard_emulator/policy_examples.py (filled as a landing zone fills them)
and four of our own in the same style; AWS's ``FullAWSAccess`` and ``RCPFullAWSAccess`` stay attached everywhere, as
Organizations attaches them when a type is enabled. No target carries more than five SCPs (Organizations User Guide,
"Quotas and service limits for AWS Organizations"). Everything is done through the Organizations API as the management
account, before the measured command runs; ``expected_blocked`` is what the check must then find."""

from __future__ import annotations

import json

import boto3

from rootguard_emulator import policy_examples as examples

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
DELETE_TASK = "IAMDeleteRootUserCredentials"

# name, parent name: the OUs added under the seeded tree (Security, Infrastructure, Workloads/Production/Payments,
# Workloads/NonProduction, Sandbox), three levels at most.
ADDED_OUS = (
    ("Audit", "Security"), ("LogArchive", "Security"),
    ("Network", "Infrastructure"), ("SharedServices", "Infrastructure"), ("Identity", "Infrastructure"),
    ("Retail", "Production"), ("Analytics", "Production"),
    ("Development", "NonProduction"), ("Test", "NonProduction"), ("Staging", "NonProduction"),
    ("Individual", "Sandbox"), ("Team", "Sandbox"),
    ("Suspended", None), ("PolicyStaging", None), ("Exceptions", None),
    ("Migration", "Exceptions"), ("Legacy", "Exceptions"),
)

DENY_LEAVE_ORGANIZATION = {"Version": "2012-10-17", "Statement": [
    {"Sid": "DenyLeaveOrganization", "Effect": "Deny", "Action": "organizations:LeaveOrganization", "Resource": "*"}]}
PROTECT_CLOUDTRAIL = {"Version": "2012-10-17", "Statement": [
    {"Sid": "ProtectCloudTrail", "Effect": "Deny", "Resource": "*",
     "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors"],
     "Condition": {"ArnNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/AWSControlTowerExecution"}}}]}
DENY_IAM_USERS = {"Version": "2012-10-17", "Statement": [
    {"Sid": "DenyIAMUsers", "Effect": "Deny", "Action": ["iam:CreateUser", "iam:CreateGroup"], "Resource": "*",
     "Condition": {"StringNotLike": {"aws:PrincipalArn": "arn:aws:iam::*:role/OrgPrivilegedAdmin"}}}]}
RCP_ENFORCE_SECURE_TRANSPORT = {"Version": "2012-10-17", "Statement": [
    {"Sid": "EnforceSecureTransport", "Effect": "Deny", "Principal": "*", "Action": ["s3:*", "sqs:*", "sts:*"], "Resource": "*",
     "Condition": {"BoolIfExists": {"aws:SecureTransport": "false"}}}]}

# name, type, document, where it is attached: "root", OU names, and "accounts:<n>" (the first n members of that OU).
POLICIES = (
    ("DenyLeaveOrganization", SCP, DENY_LEAVE_ORGANIZATION, ("root",)),
    ("PreventRootCredentialsManagement", SCP, examples.SCP_PREVENT_ROOT_CREDENTIALS_MANAGEMENT, ("root",)),
    ("ProtectCloudTrail", SCP, PROTECT_CLOUDTRAIL, ("Security", "Infrastructure", "Workloads")),
    ("AWS-GR_RESTRICT_ROOT_USER-exempt", SCP, examples.CONTROL_TOWER_RESTRICT_ROOT_USER_EXEMPT_ASSUME_ROOT,
     ("Security", "Infrastructure", "Workloads", "Exceptions")),
    ("AWS-GR_RESTRICT_ROOT_USER", SCP, examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT, ("Sandbox",)),
    ("lza-core-guardrails-2", SCP, examples.fill(examples.LZA_UNIVERSAL_CORE_GUARDRAILS_2), ("Infrastructure", "Workloads")),
    ("cccs-medium-guardrails", SCP, examples.fill(examples.LZA_CCCS_MEDIUM_GUARDRAILS_UNCLASS), ("Payments",)),
    ("DenyByRequestedRegion", SCP, examples.fill(examples.SCP_DENY_BY_REQUESTED_REGION), ("Retail", "Analytics")),
    ("DenyDeletingS3", SCP, examples.fill(examples.SCP_DENY_DELETING_S3_BUCKETS_OR_OBJECTS), ("Production", "accounts:Staging:5")),
    ("DenyIAMUsers", SCP, DENY_IAM_USERS, ("Development", "Test", "accounts:Network:5")),
    ("EnforceSecureTransport", RCP, RCP_ENFORCE_SECURE_TRANSPORT, ("root",)),
    ("RCPDenyDeletingS3", RCP, examples.fill(examples.RCP_S3_DENY_DELETING_BUCKETS_OR_OBJECTS), ("Production", "accounts:LogArchive:5")),
    ("RCPDenyResourceAccessInOU", RCP, examples.fill(examples.RCP_DENY_RESOURCE_ACCESS_IN_SPECIFIC_OU), ("Suspended",)),
)
# The OUs whose accounts' root sessions AWS-GR_RESTRICT_ROOT_USER (without ExemptAssumeRoot) stops: Sandbox and below.
BLOCKED_OUS = ("Sandbox", "Individual", "Team")


def organizations_client(endpoint: str):
    return boto3.client("organizations", endpoint_url=endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")


def _children(parent: str | None) -> list:
    return [name for name, above in ADDED_OUS if above == parent]


def _spread(truth: dict, ou_ids: dict) -> dict:
    """account id -> the OU it moves to: the members of each seeded parent shared evenly between that parent and the OUs
    added under it; the members the seed left at the root go to the added top-level OUs."""
    names = {ou_id: name for name, ou_id in ou_ids.items()}
    moves, seen = {}, {}
    for account in truth["accounts"]:
        parent = names.get(account["parent_id"])  # None: the root
        places = _children(None) if parent is None else [parent, *_children(parent)]
        turn = seen.get(parent, 0)
        seen[parent] = turn + 1
        place = places[turn % len(places)]
        if place != parent:
            moves[account["id"]] = place
    return moves


def build(endpoint: str, truth: dict) -> dict:
    """Grow the seeded organization into the benchmark's; returns {"ous", "parents" (account id -> OU name or None),
    "policies" (name -> id), "attachments"}."""
    orgs = organizations_client(endpoint)
    ou_ids = {ou["name"]: ou["id"] for ou in truth["organizational_units"]}
    for name, parent in ADDED_OUS:
        parent_id = ou_ids[parent] if parent else truth["root_id"]
        ou_ids[name] = orgs.create_organizational_unit(ParentId=parent_id, Name=name)["OrganizationalUnit"]["Id"]
    names = {ou_id: name for name, ou_id in ou_ids.items()}
    parents = {account["id"]: names.get(account["parent_id"]) for account in truth["accounts"]}
    for account_id, place in _spread(truth, ou_ids).items():
        source = ou_ids[parents[account_id]] if parents[account_id] else truth["root_id"]
        orgs.move_account(AccountId=account_id, SourceParentId=source, DestinationParentId=ou_ids[place])
        parents[account_id] = place
    for policy_type in (SCP, RCP):
        orgs.enable_policy_type(RootId=truth["root_id"], PolicyType=policy_type)
    policy_ids, attachments = {}, 0
    for name, policy_type, document, targets in POLICIES:
        policy_id = orgs.create_policy(Name=name, Description=f"benchmark: {name}", Type=policy_type,
                                       Content=json.dumps(document))["Policy"]["PolicySummary"]["Id"]
        policy_ids[name] = policy_id
        for target in targets:
            for target_id in _target_ids(target, truth["root_id"], ou_ids, parents):
                orgs.attach_policy(PolicyId=policy_id, TargetId=target_id)
                attachments += 1
    return {"ous": len(ou_ids), "parents": parents, "policies": policy_ids, "attachments": attachments}


def _target_ids(target: str, root_id: str, ou_ids: dict, parents: dict) -> list:
    if target == "root":
        return [root_id]
    if target.startswith("accounts:"):
        _kind, ou_name, count = target.split(":")
        return sorted(account_id for account_id, place in parents.items() if place == ou_name)[:int(count)]
    return [ou_ids[target]]


def expected_blocked(built: dict) -> int:
    """How many member accounts the check must find blocked for IAMDeleteRootUserCredentials: those under Sandbox."""
    return sum(place in BLOCKED_OUS for place in built["parents"].values())


def listing_pages(endpoint: str, page_size: int = 20) -> dict:
    """Per policy type, the ListTargetsForPolicy pages AWS would return for every policy of the type at its largest page
    (MaxResults 20, Organizations API Reference, "ListTargetsForPolicy"); the emulator returns every target in one page."""
    orgs = organizations_client(endpoint)
    pages = {}
    for policy_type in (SCP, RCP):
        for page in orgs.get_paginator("list_policies").paginate(Filter=policy_type):
            for policy in page["Policies"]:
                targets = len(orgs.list_targets_for_policy(PolicyId=policy["Id"])["Targets"])
                pages[policy_type] = pages.get(policy_type, 0) + max(1, -(-targets // page_size))
    return pages
