# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""guardrails: condition operators, statements, SCP/RCP decisions, the calls of the root tasks, and
published SCPs and RCPs decided for each task in a root session.  Expected results are written from
the policy text and AWS's rules (IAM User Guide, "Policy evaluation logic" and "Condition operators";
Organizations User Guide, "SCP evaluation" and "Resource control policies (RCPs)")."""

from __future__ import annotations

import copy
import json

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import guardrails
from ansible_collections.rootguard.aws.plugins.module_utils.guardrails import (
    ABSENT, MATCH, NO_MATCH, RCP, SCP, UNCERTAIN, decide, decide_task, evaluate_condition, evaluate_statement,
    remedy, remedy_for, root_session_context,
)

ORG = "o-a1b2c3d4e5"
ROOT = "r-ab12"
WORKLOADS = "ou-ab12-22222222"
PRODUCTION = "ou-ab12-33333333"
ACCOUNT = "222222222222"
ORG_PATH = f"{ORG}/{ROOT}/{WORKLOADS}/{PRODUCTION}/"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
BUCKET = "payments-data"
QUEUE = "payments-events"

TASKS = ("IAMAuditRootUserCredentials", "IAMDeleteRootUserCredentials", "IAMCreateRootUserPassword",
         "S3UnlockBucketPolicy", "SQSUnlockQueuePolicy")

FULL_AWS_ACCESS = {"id": "p-FullAWSAccess", "name": "FullAWSAccess",
                   "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}}
RCP_FULL_AWS_ACCESS = {"id": "p-RCPFullAWSAccess", "name": "RCPFullAWSAccess",
                       "document": {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]}}


def context(region: str = "eu-west-1", **values) -> dict:
    built = root_session_context(ACCOUNT, ORG, [ORG_PATH], region)
    built.update({key.lower(): value for key, value in values.items()})
    return built


def path(full_access: dict, extra: dict | None = None) -> list:
    """root -> Workloads -> Production -> account, full access at every level plus ``extra`` {target: [policies]}."""
    extra = extra or {}
    return [{"target_id": target, "policies": [full_access] + extra.get(target, [])} for target in (ROOT, WORKLOADS, PRODUCTION, ACCOUNT)]


def scps(extra: dict | None = None) -> list:
    return path(FULL_AWS_ACCESS, extra)


def rcps(extra: dict | None = None) -> list:
    return path(RCP_FULL_AWS_ACCESS, extra)


def policy(policy_id: str, name: str, *statements) -> dict:
    return {"id": policy_id, "name": name, "document": {"Version": "2012-10-17", "Statement": list(statements)}}


def denied_entry(action, target, policy_obj, statement, policy_type=SCP, region="eu-west-1", reason="explicit_deny") -> dict:
    return {"action": action, "region": region, "policy_type": policy_type,
            "policy_id": policy_obj["id"] if policy_obj else None, "policy_name": policy_obj["name"] if policy_obj else None,
            "target_id": target, "statement": statement, "reason": reason}


def uncertain_entry(action, target, policy_obj, statement, why, policy_type=SCP, region="eu-west-1") -> dict:
    entry = denied_entry(action, target, policy_obj, statement, policy_type, region)
    del entry["reason"]
    return dict(entry, why=why)


# ---------------------------------------------------------------------------
# Condition operators: (operator, key, policy value, context value or ABSENT, expected)

OPERATOR_CASES = [
    # String, case-sensitive
    ("StringEquals", "aws:PrincipalAccount", ACCOUNT, ACCOUNT, MATCH),
    ("StringEquals", "aws:PrincipalAccount", "333333333333", ACCOUNT, NO_MATCH),
    ("StringEquals", "aws:PrincipalTag/team", "ops", ABSENT, NO_MATCH),
    ("StringEquals", "aws:RequestedRegion", "EU-WEST-1", "eu-west-1", NO_MATCH),
    ("StringNotEquals", "aws:RequestedRegion", "eu-west-1", "eu-west-1", NO_MATCH),
    ("StringNotEquals", "aws:RequestedRegion", "us-east-1", "eu-west-1", MATCH),
    ("StringNotEquals", "aws:PrincipalTag/team", "ops", ABSENT, MATCH),
    ("StringEqualsIgnoreCase", "aws:RequestedRegion", "EU-WEST-1", "eu-west-1", MATCH),
    ("StringEqualsIgnoreCase", "aws:RequestedRegion", "EU-WEST-1", ABSENT, NO_MATCH),
    ("StringNotEqualsIgnoreCase", "aws:RequestedRegion", "EU-WEST-1", "eu-west-1", NO_MATCH),
    ("StringNotEqualsIgnoreCase", "aws:RequestedRegion", "EU-WEST-1", ABSENT, MATCH),
    ("StringLike", "aws:PrincipalArn", "arn:aws:iam::*:root", ROOT_ARN, MATCH),
    ("StringLike", "aws:PrincipalArn", "arn:aws:iam::22222222222?:root", ROOT_ARN, MATCH),
    ("StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*", ROOT_ARN, NO_MATCH),
    ("StringLike", "aws:PrincipalArn", "ARN:AWS:IAM::*:ROOT", ROOT_ARN, NO_MATCH),
    ("StringLike", "aws:PrincipalTag/team", "*", ABSENT, NO_MATCH),
    ("StringNotLike", "aws:PrincipalArn", "arn:aws:iam::*:root", ROOT_ARN, NO_MATCH),
    ("StringNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*", ROOT_ARN, MATCH),
    ("StringNotLike", "aws:PrincipalTag/team", "*", ABSENT, MATCH),
    # IfExists: an absent key passes; a present key is tested
    ("StringEqualsIfExists", "aws:PrincipalTag/team", "ops", ABSENT, MATCH),
    ("StringEqualsIfExists", "aws:PrincipalAccount", "333333333333", ACCOUNT, NO_MATCH),
    ("StringNotEqualsIfExists", "aws:PrincipalOrgID", ORG, ORG, NO_MATCH),
    ("StringNotEqualsIfExists", "aws:PrincipalOrgID", ORG, ABSENT, MATCH),
    ("StringLikeIfExists", "aws:PrincipalArn", "arn:aws:iam::*:role/*", ROOT_ARN, NO_MATCH),
    ("ArnNotLikeIfExists", "aws:PrincipalArn", "arn:aws:iam::*:role/Admin", ABSENT, MATCH),
    ("ArnNotLikeIfExists", "aws:PrincipalArn", "arn:aws:iam::*:role/Admin", ROOT_ARN, MATCH),
    ("BoolIfExists", "aws:PrincipalIsAWSService", "false", "false", MATCH),
    ("BoolIfExists", "aws:PrincipalIsAWSService", "false", ABSENT, MATCH),
    ("NumericLessThanIfExists", "s3:max-keys", "10", ABSENT, MATCH),
    ("DateGreaterThanIfExists", "aws:CurrentTime", "2024-01-01T00:00:00Z", ABSENT, MATCH),
    ("IpAddressIfExists", "aws:SourceIp", "203.0.113.0/24", ABSENT, MATCH),
    # Numeric
    ("NumericEquals", "s3:max-keys", "10", "10", MATCH),
    ("NumericEquals", "s3:max-keys", "10", "10.0", MATCH),
    ("NumericEquals", "s3:max-keys", "10", ABSENT, NO_MATCH),
    ("NumericNotEquals", "s3:max-keys", "10", "11", MATCH),
    ("NumericNotEquals", "s3:max-keys", "10", ABSENT, MATCH),
    ("NumericLessThan", "s3:max-keys", "10", "5", MATCH),
    ("NumericLessThan", "s3:max-keys", "10", "10", NO_MATCH),
    ("NumericLessThanEquals", "s3:max-keys", "10", "10", MATCH),
    ("NumericGreaterThan", "s3:max-keys", "10", "11", MATCH),
    ("NumericGreaterThan", "s3:max-keys", "10", "10", NO_MATCH),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", "10", MATCH),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", ABSENT, NO_MATCH),
    # Date: ISO 8601 or epoch seconds
    ("DateEquals", "aws:CurrentTime", "2025-03-01T00:00:00Z", "2025-03-01T00:00:00+00:00", MATCH),
    ("DateNotEquals", "aws:CurrentTime", "2025-03-01T00:00:00Z", "2025-03-02T00:00:00Z", MATCH),
    ("DateNotEquals", "aws:CurrentTime", "2025-03-01T00:00:00Z", ABSENT, MATCH),
    ("DateLessThan", "aws:CurrentTime", "2025-03-01T00:00:00Z", "2025-02-28T23:59:59Z", MATCH),
    ("DateLessThan", "aws:CurrentTime", "2025-03-01T00:00:00Z", ABSENT, NO_MATCH),
    ("DateLessThanEquals", "aws:CurrentTime", "1740787200", "2025-03-01T00:00:00Z", MATCH),
    ("DateGreaterThan", "aws:CurrentTime", "2025-03-01", "2025-03-01T00:00:01Z", MATCH),
    ("DateGreaterThanEquals", "aws:CurrentTime", "2025-03-01T00:00:00Z", "2025-02-01T00:00:00Z", NO_MATCH),
    # Bool: text or JSON booleans, without regard to case
    ("Bool", "aws:SecureTransport", "true", "true", MATCH),
    ("Bool", "aws:SecureTransport", True, "true", MATCH),
    ("Bool", "aws:SecureTransport", "FALSE", "false", MATCH),
    ("Bool", "aws:SecureTransport", "false", "true", NO_MATCH),
    ("Bool", "aws:SecureTransport", "false", ABSENT, NO_MATCH),
    # Binary (base64)
    ("BinaryEquals", "s3:x-binary", "QmluYXJ5", "QmluYXJ5", MATCH),
    ("BinaryEquals", "s3:x-binary", "QmluYXJ5", "T3RoZXI=", NO_MATCH),
    ("BinaryEquals", "s3:x-binary", "QmluYXJ5", ABSENT, NO_MATCH),
    # IP addresses
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.7", MATCH),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.7", NO_MATCH),
    ("IpAddress", "aws:SourceIp", "2001:db8::/32", "2001:db8::1", MATCH),
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", ABSENT, NO_MATCH),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "198.51.100.7", MATCH),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "203.0.113.7", NO_MATCH),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", ABSENT, MATCH),
    # ARN: each of the six parts on its own
    ("ArnLike", "aws:PrincipalArn", "arn:*:iam::*:root", ROOT_ARN, MATCH),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:role/*", ROOT_ARN, NO_MATCH),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*", ROOT_ARN, NO_MATCH),
    ("ArnLike", "aws:PrincipalArn", "arn:*:iam::*:root", ABSENT, NO_MATCH),
    ("ArnEquals", "aws:PrincipalArn", ROOT_ARN, ROOT_ARN, MATCH),
    ("ArnEquals", "aws:PrincipalArn", "arn:aws:iam::*:root", ROOT_ARN, MATCH),
    ("ArnEquals", "aws:SourceArn", "arn:aws:s3:::logs", "arn:aws:s3:::logs", MATCH),
    ("ArnNotEquals", "aws:PrincipalArn", ROOT_ARN, ROOT_ARN, NO_MATCH),
    ("ArnNotEquals", "aws:PrincipalArn", ROOT_ARN, ABSENT, MATCH),
    ("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/AWSAccelerator*", ROOT_ARN, MATCH),
    ("ArnNotLike", "aws:PrincipalArn", "arn:*:iam::*:root", ROOT_ARN, NO_MATCH),
    ("ArnNotLike", "aws:PrincipalArn", "arn:*:iam::*:root", ABSENT, MATCH),
    # Null: "true" holds when the key is absent, "false" when present
    ("Null", "aws:AssumedRoot", "true", "true", NO_MATCH),
    ("Null", "aws:AssumedRoot", "true", ABSENT, MATCH),
    ("Null", "aws:AssumedRoot", "false", "true", MATCH),
    ("Null", "aws:AssumedRoot", "false", ABSENT, NO_MATCH),
    ("Null", "aws:AssumedRoot", True, ABSENT, MATCH),
    # Several policy values of one key: OR, and a negated operator negates the whole OR
    ("StringEquals", "aws:RequestedRegion", ["us-east-1", "eu-west-1"], "eu-west-1", MATCH),
    ("StringNotEquals", "aws:RequestedRegion", ["us-east-1", "eu-west-1"], "eu-west-1", NO_MATCH),
    ("StringNotEquals", "aws:RequestedRegion", ["us-east-1", "eu-west-1"], "ap-south-1", MATCH),
    ("ArnNotLike", "aws:PrincipalArn", ["arn:aws:iam::*:role/A", "arn:aws:iam::*:root"], ROOT_ARN, NO_MATCH),
    # Set qualifiers on a multivalued key
    ("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", f"{ORG}/{ROOT}/{WORKLOADS}/*", [ORG_PATH], MATCH),
    ("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", f"{ORG}/{ROOT}/ou-ab12-99999999/*", [ORG_PATH], NO_MATCH),
    ("ForAnyValue:StringEquals", "aws:TagKeys", "team", ABSENT, NO_MATCH),
    ("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", "team", ABSENT, MATCH),
    ("ForAnyValue:StringEquals", "aws:TagKeys", "team", ["owner", "team"], MATCH),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", "team", ["team"], NO_MATCH),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", "team", ["team", "owner"], MATCH),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["team", "owner"], ["team"], MATCH),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["team", "owner"], ["team", "cost"], NO_MATCH),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["team"], ABSENT, MATCH),
    ("forallvalues:stringequals", "aws:TagKeys", ["team"], [], MATCH),
    ("ForAllValues:StringNotLike", "aws:TagKeys", "secret*", ["team", "owner"], MATCH),
    # A multivalued key with one value behaves as that value; with several it needs a qualifier
    ("StringLike", "aws:PrincipalOrgPaths", f"{ORG}/{ROOT}/{WORKLOADS}/*", [ORG_PATH], MATCH),
    ("StringLike", "aws:TagKeys", "team", ["team", "owner"], UNCERTAIN),
    # Operator names are case-insensitive
    ("stringequals", "aws:PrincipalAccount", ACCOUNT, ACCOUNT, MATCH),
    ("ARNLIKE", "aws:PrincipalArn", "arn:*:iam::*:root", ROOT_ARN, MATCH),
]


@pytest.mark.parametrize("operator, key, policy_value, context_value, expected", OPERATOR_CASES)
def test_operator(operator, key, policy_value, context_value, expected):
    request = {key.lower(): context_value}
    assert evaluate_condition({operator: {key: policy_value}}, request)[0] == expected


@pytest.mark.parametrize("key", ["aws:PrincipalArn", "AWS:PRINCIPALARN", "aws:principalarn", "Aws:PrincipalARN"])
def test_condition_keys_are_case_insensitive(key):
    assert evaluate_condition({"ArnLike": {key: "arn:*:iam::*:root"}}, context()) == (MATCH, None)


def test_tag_keys_fall_back_to_their_prefix():
    assert evaluate_condition({"StringEquals": {"aws:RequestTag/Team": "ops"}}, context()) == (NO_MATCH, None)
    assert evaluate_condition({"Null": {"aws:RequestTag/Team": "true"}}, context()) == (MATCH, None)


UNKNOWN_CASES = [
    ("IpAddress", "aws:SourceIp", "203.0.113.0/24", "aws:SourceIp"),
    ("NotIpAddress", "aws:SourceIp", "203.0.113.0/24", "aws:SourceIp"),
    ("Bool", "aws:MultiFactorAuthPresent", "false", "aws:MultiFactorAuthPresent"),
    ("BoolIfExists", "aws:MultiFactorAuthPresent", "false", "aws:MultiFactorAuthPresent"),
    ("Null", "aws:MultiFactorAuthPresent", "true", "aws:MultiFactorAuthPresent"),
    ("StringEquals", "aws:PrincipalType", "Account", "aws:PrincipalType"),
    ("DateGreaterThan", "aws:CurrentTime", "2025-01-01T00:00:00Z", "aws:CurrentTime"),
    ("StringEquals", "aws:ResourceTag/Owner", "security", "aws:ResourceTag/Owner"),
    ("StringEquals", "s3:TlsVersion", "1.2", "s3:TlsVersion"),
]


@pytest.mark.parametrize("operator, key, value, named", UNKNOWN_CASES)
def test_an_unknown_key_makes_the_condition_uncertain_and_is_named(operator, key, value, named):
    state, why = evaluate_condition({operator: {key: value}}, context())
    assert state == UNCERTAIN
    assert f"condition key {named} is not known" in why


# The resource keys of a root session's requests: every call is on a resource of the account itself, so AWS defines
# them from that account ("AWS global condition context keys": aws:ResourceAccount, aws:ResourceOrgID, aws:ResourceOrgPaths).
RESOURCE_KEY_CASES = [
    ("StringEquals", "aws:ResourceAccount", ACCOUNT, MATCH),
    ("StringNotEqualsIfExists", "aws:ResourceAccount", ACCOUNT, NO_MATCH),
    ("StringEquals", "aws:ResourceOrgID", ORG, MATCH),
    ("StringNotEquals", "aws:ResourceOrgID", "o-otherorg00", MATCH),
    ("ForAnyValue:StringLike", "aws:ResourceOrgPaths", f"{ORG}/{ROOT}/{WORKLOADS}/*", MATCH),
    ("ForAnyValue:StringLike", "aws:ResourceOrgPaths", f"{ORG}/{ROOT}/ou-ab12-99999999/*", NO_MATCH),
    ("ForAllValues:StringNotLike", "aws:ResourceOrgPaths", f"{ORG}/{ROOT}/{WORKLOADS}/*", NO_MATCH),
]


@pytest.mark.parametrize("operator, key, value, expected", RESOURCE_KEY_CASES)
def test_the_resource_keys_are_the_accounts_own(operator, key, value, expected):
    assert evaluate_condition({operator: {key: value}}, context()) == (expected, None)


def test_operators_the_module_does_not_evaluate_are_uncertain():
    assert evaluate_condition({"StringSortOf": {"aws:PrincipalAccount": ACCOUNT}}, context()) == (
        UNCERTAIN, "condition operator StringSortOf is not evaluated by the collection")
    assert evaluate_condition({"ForSomeValues:StringEquals": {"aws:TagKeys": "x"}}, context())[0] == UNCERTAIN
    assert evaluate_condition({"NullIfExists": {"aws:AssumedRoot": "true"}}, context())[0] == UNCERTAIN


def test_three_valued_and_over_operators_and_keys():
    unknown = {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}
    # One condition that is definitely false decides the statement whatever is unknown.
    assert evaluate_condition(dict(unknown, Null={"aws:AssumedRoot": "true"}), context())[0] == NO_MATCH
    assert evaluate_condition(dict(unknown, ArnLike={"aws:PrincipalArn": "arn:*:iam::*:root"}), context())[0] == UNCERTAIN
    # Two keys under one operator AND.
    both = {"StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:PrincipalOrgID": "o-other"}}
    assert evaluate_condition(both, context())[0] == NO_MATCH
    assert evaluate_condition({"StringEquals": {"aws:PrincipalAccount": ACCOUNT, "aws:PrincipalOrgID": ORG}}, context())[0] == MATCH


# ---------------------------------------------------------------------------
# Policy variables

VARIABLE_CASES = [
    ("StringEquals", "aws:PrincipalOrgID", "${aws:PrincipalOrgID}", MATCH),
    ("StringEquals", "aws:PrincipalArn", "arn:aws:iam::${aws:PrincipalAccount}:root", MATCH),
    ("StringEquals", "aws:PrincipalArn", "arn:aws:iam::${AWS:PRINCIPALACCOUNT}:root", MATCH),
    ("StringLike", "aws:PrincipalArn", "arn:aws:iam::${aws:PrincipalAccount}:*", MATCH),
    ("ArnLike", "aws:PrincipalArn", "arn:*:iam::${aws:PrincipalAccount}:root", MATCH),
    # A variable whose key is absent matches nothing: positive false, negated true; a default replaces it.
    ("StringEquals", "aws:PrincipalAccount", "${aws:SourceAccount}", NO_MATCH),
    ("StringNotEquals", "aws:PrincipalAccount", "${aws:SourceAccount}", MATCH),
    ("StringEquals", "aws:PrincipalAccount", ["${aws:SourceAccount}", ACCOUNT], MATCH),
    ("StringEquals", "aws:PrincipalOrgID", "${aws:SourceOrgID, 'none'}", NO_MATCH),
    ("StringEquals", "aws:RequestedRegion", "${aws:SourceAccount, 'eu-west-1'}", MATCH),
    # ${*}, ${?} and ${$} are the literal characters.
    ("StringLike", "aws:PrincipalTag/team", "a${*}b", MATCH),
    ("StringLike", "aws:PrincipalTag/other", "a${*}b", NO_MATCH),
    ("StringLike", "aws:PrincipalTag/other", "a*b", MATCH),
    ("StringEquals", "aws:PrincipalTag/price", "${$}5${?}", MATCH),
    # A variable whose key is unknown leaves the condition uncertain.
    ("StringEquals", "aws:PrincipalAccount", "${aws:PrincipalTag/unset}", UNCERTAIN),
    # The resource's account is the root session's own account (a variable of it resolves).
    ("StringEquals", "aws:PrincipalAccount", "${aws:ResourceAccount}", MATCH),
    ("StringNotEquals", "aws:PrincipalAccount", "${aws:SourceIp}", UNCERTAIN),
    # "You can not use a policy variable with the Numeric (Date) condition operator": the text is no number or date.
    ("NumericEquals", "aws:PrincipalAccount", "${aws:PrincipalAccount}", UNCERTAIN),
    ("DateEquals", "aws:PrincipalAccount", "${aws:PrincipalAccount}", UNCERTAIN),
]


@pytest.mark.parametrize("operator, key, value, expected", VARIABLE_CASES)
def test_policy_variables(operator, key, value, expected):
    request = context(**{"aws:PrincipalTag/team": "a*b", "aws:PrincipalTag/other": "axxb", "aws:PrincipalTag/price": "$5?"})
    assert evaluate_condition({operator: {key: value}}, request)[0] == expected


def test_an_action_on_no_resource_has_no_resource_keys():
    """aws:ResourceAccount and the resource's organization keys are the owner's of the requested resource: known for a
    bucket of the account, not for s3:ListAllMyBuckets (Resource "*")."""
    condition = {"StringEquals": {"aws:ResourceAccount": ACCOUNT}}
    for resource, expected in ((f"arn:aws:s3:::{BUCKET}", MATCH), ("*", UNCERTAIN)):
        request = guardrails.request_context(context(), {"region": "eu-west-1", "resource": resource})
        assert evaluate_condition(condition, request)[0] == expected


def test_a_variable_in_the_resource_element():
    statement = {"Effect": "Deny", "Action": "s3:*", "Resource": "arn:aws:s3:::${aws:PrincipalAccount}-*"}
    assert evaluate_statement(statement, "s3:GetBucketPolicy", f"arn:aws:s3:::{ACCOUNT}-logs", context())[0] == MATCH
    assert evaluate_statement(statement, "s3:GetBucketPolicy", f"arn:aws:s3:::{BUCKET}", context())[0] == NO_MATCH
    absent = dict(statement, Resource="arn:aws:s3:::${aws:SourceAccount}-*")
    assert evaluate_statement(absent, "s3:GetBucketPolicy", f"arn:aws:s3:::{ACCOUNT}-logs", context())[0] == NO_MATCH


# ---------------------------------------------------------------------------
# Action, Resource, Principal

STATEMENT_CASES = [
    ({"Action": "iam:GetLoginProfile"}, "iam:GetLoginProfile", ROOT_ARN, MATCH),
    ({"Action": "IAM:getloginprofile"}, "iam:GetLoginProfile", ROOT_ARN, MATCH),
    ({"Action": "iam:Get*"}, "iam:GetLoginProfile", ROOT_ARN, MATCH),
    ({"Action": "iam:?etLoginProfile"}, "iam:GetLoginProfile", ROOT_ARN, MATCH),
    ({"Action": ["s3:*", "sqs:*"]}, "iam:GetLoginProfile", ROOT_ARN, NO_MATCH),
    ({"Action": "*"}, "sqs:SetQueueAttributes", ROOT_ARN, MATCH),
    ({"NotAction": ["iam:*", "sts:*"]}, "iam:DeleteAccessKey", ROOT_ARN, NO_MATCH),
    ({"NotAction": ["iam:*", "sts:*"]}, "s3:DeleteBucketPolicy", f"arn:aws:s3:::{BUCKET}", MATCH),
    ({"NotAction": "s3:ListAllMyBuckets"}, "S3:LISTALLMYBUCKETS", "*", NO_MATCH),
    ({"Action": "s3:*", "Resource": f"arn:aws:s3:::{BUCKET}"}, "s3:GetBucketPolicy", f"arn:aws:s3:::{BUCKET}", MATCH),
    ({"Action": "s3:*", "Resource": "arn:aws:s3:::Payments-Data"}, "s3:GetBucketPolicy", f"arn:aws:s3:::{BUCKET}", NO_MATCH),
    ({"Action": "s3:*", "Resource": "arn:aws:s3:::payments-*"}, "s3:GetBucketPolicy", f"arn:aws:s3:::{BUCKET}", MATCH),
    ({"Action": "s3:*", "Resource": "arn:aws:s3:::payments-data/*"}, "s3:GetBucketPolicy", f"arn:aws:s3:::{BUCKET}", NO_MATCH),
    ({"Action": "*", "NotResource": "arn:aws:iam::*:root"}, "iam:GetLoginProfile", ROOT_ARN, NO_MATCH),
    ({"Action": "*", "NotResource": "arn:aws:iam::*:root"}, "iam:DeleteVirtualMFADevice", f"arn:aws:iam::{ACCOUNT}:mfa/x", MATCH),
    ({"Action": "sqs:*", "Resource": "arn:aws:sqs:*:*:*"}, "sqs:GetQueueAttributes", f"arn:aws:sqs:eu-west-1:{ACCOUNT}:{QUEUE}", MATCH),
    ({"Action": "*", "Principal": "*"}, "sqs:GetQueueAttributes", "*", MATCH),
    ({"Action": "*", "Principal": {"AWS": "*"}}, "sqs:GetQueueAttributes", "*", MATCH),
    ({"Action": "*", "Principal": {"AWS": ACCOUNT}}, "sqs:GetQueueAttributes", "*", MATCH),
    ({"Action": "*", "Principal": {"AWS": ROOT_ARN}}, "sqs:GetQueueAttributes", "*", MATCH),
    ({"Action": "*", "Principal": {"AWS": "arn:aws:iam::333333333333:root"}}, "sqs:GetQueueAttributes", "*", NO_MATCH),
    ({"Action": "*", "Principal": {"Service": "logs.amazonaws.com"}}, "sqs:GetQueueAttributes", "*", NO_MATCH),
    ({"Action": "*", "NotPrincipal": {"AWS": ROOT_ARN}}, "sqs:GetQueueAttributes", "*", NO_MATCH),
    ({"Action": "*", "NotPrincipal": {"AWS": "arn:aws:iam::333333333333:role/Admin"}}, "sqs:GetQueueAttributes", "*", MATCH),
    ({"Resource": "*"}, "sqs:GetQueueAttributes", "*", UNCERTAIN),
]


@pytest.mark.parametrize("elements, action, resource, expected", STATEMENT_CASES)
def test_statement_elements(elements, action, resource, expected):
    assert evaluate_statement(dict({"Effect": "Deny"}, **elements), action, resource, context())[0] == expected


# ---------------------------------------------------------------------------
# decide(): SCP and RCP levels

DENY_QUEUE_WRITES = policy("p-denyqueue", "deny-queue-writes", {"Sid": "NoQueuePolicy", "Effect": "Deny", "Action": "sqs:SetQueueAttributes",
                                                                "Resource": "*"})
QUEUE_ARN = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:{QUEUE}"
BUCKET_ARN = f"arn:aws:s3:::{BUCKET}"


def test_full_access_everywhere_allows():
    assert decide("iam:DeleteLoginProfile", ROOT_ARN, context("us-east-1"), scps(), rcps()) == {"allowed": True, "denied": [], "uncertain": []}


def test_an_explicit_deny_at_an_ou_only():
    decision = decide("sqs:SetQueueAttributes", QUEUE_ARN, context(), scps({WORKLOADS: [DENY_QUEUE_WRITES]}), rcps())
    assert decision == {"allowed": False, "denied": [denied_entry("sqs:SetQueueAttributes", WORKLOADS, DENY_QUEUE_WRITES, "NoQueuePolicy")],
                        "uncertain": []}
    assert decide("sqs:GetQueueAttributes", QUEUE_ARN, context(), scps({WORKLOADS: [DENY_QUEUE_WRITES]}), rcps())["allowed"] is True


def test_a_statement_without_sid_is_named_by_its_index():
    unnamed = policy("p-unnamed", "unnamed", {"Effect": "Allow", "Action": "*", "Resource": "*"},
                     {"Effect": "Deny", "Action": "sqs:*", "Resource": "*"})
    decision = decide("sqs:GetQueueUrl", QUEUE_ARN, context(), scps({ACCOUNT: [unnamed]}), rcps())
    assert decision["denied"] == [denied_entry("sqs:GetQueueUrl", ACCOUNT, unnamed, 1)]


def test_a_level_without_an_allow_denies():
    """FullAWSAccess replaced at Production by a policy that allows only S3: IAM and SQS are not allowed there."""
    s3_only = policy("p-s3only", "s3-only", {"Effect": "Allow", "Action": "s3:*", "Resource": "*"})
    levels = scps()
    levels[2] = {"target_id": PRODUCTION, "policies": [s3_only]}
    assert decide("s3:GetBucketPolicy", BUCKET_ARN, context(), levels, rcps())["allowed"] is True
    assert decide("iam:GetLoginProfile", ROOT_ARN, context("us-east-1"), levels, rcps()) == {
        "allowed": False, "denied": [denied_entry("iam:GetLoginProfile", PRODUCTION, None, None, region="us-east-1", reason="not_allowed")],
        "uncertain": []}
    levels[3] = {"target_id": ACCOUNT, "policies": []}
    assert [entry["target_id"] for entry in decide("sqs:GetQueueUrl", QUEUE_ARN, context(), levels, rcps())["denied"]] == [PRODUCTION, ACCOUNT]


def test_an_rcp_on_a_queue_and_iam_untouched_by_rcps():
    deny_all = policy("p-rcpdeny", "deny-everything", {"Sid": "All", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"})
    decision = decide("sqs:SetQueueAttributes", QUEUE_ARN, context(), scps(), rcps({PRODUCTION: [deny_all]}))
    assert decision == {"allowed": False, "uncertain": [],
                        "denied": [denied_entry("sqs:SetQueueAttributes", PRODUCTION, deny_all, "All", policy_type=RCP)]}
    # IAM does not support RCPs: the same RCP cannot stop the credential tasks.
    assert decide("iam:DeleteAccessKey", ROOT_ARN, context("us-east-1"), scps(), rcps({PRODUCTION: [deny_all]}))["allowed"] is True
    # A missing RCPFullAWSAccess is a missing Allow as for SCPs.
    assert decide("sqs:GetQueueAttributes", QUEUE_ARN, context(), scps(), [{"target_id": ROOT, "policies": []}])["denied"] == [
        denied_entry("sqs:GetQueueAttributes", ROOT, None, None, policy_type=RCP, reason="not_allowed")]


def test_rcps_on_an_action_without_resource_are_uncertain():
    deny_s3 = policy("p-rcps3", "deny-s3", {"Sid": "S3", "Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"})
    decision = decide("s3:ListAllMyBuckets", "*", context(), scps(), rcps({ACCOUNT: [deny_s3]}))
    assert decision == {"allowed": None, "denied": [], "uncertain": [uncertain_entry(
        "s3:ListAllMyBuckets", ACCOUNT, deny_s3, "S3",
        f"RCP deny-s3 (p-rcps3) attached to {ACCOUNT}, statement S3 would deny it, but AWS does not document whether RCPs "
        "govern an action on no resource", policy_type=RCP)]}


def test_an_rcp_data_perimeter_on_the_accounts_own_resources():
    """AWS's data-perimeter pattern: deny unless the resource is in the organization; a root session works on its own
    account's resources, so the call is decided, not left uncertain."""
    perimeter = policy("p-perimeter", "resources-in-org", {"Sid": "InOrg", "Effect": "Deny", "Principal": "*", "Action": ["s3:*", "sqs:*"],
                                                           "Resource": "*", "Condition": {"StringNotEqualsIfExists": {"aws:ResourceOrgID": ORG}}})
    assert decide("sqs:SetQueueAttributes", QUEUE_ARN, context(), scps(), rcps({ROOT: [perimeter]})) == {"allowed": True, "denied": [], "uncertain": []}
    elsewhere = policy("p-perimeter", "resources-in-org", dict(perimeter["document"]["Statement"][0],
                                                               Condition={"StringNotEqualsIfExists": {"aws:ResourceOrgID": "o-otherorg00"}}))
    assert decide("sqs:SetQueueAttributes", QUEUE_ARN, context(), scps(), rcps({ROOT: [elsewhere]}))["denied"] == [
        denied_entry("sqs:SetQueueAttributes", ROOT, elsewhere, "InOrg", policy_type=RCP)]


def test_rcp_services():
    assert [action for action in ("s3:GetBucketPolicy", "sqs:GetQueueUrl", "sts:AssumeRole", "kms:Decrypt", "secretsmanager:GetSecretValue",
                                  "iam:GetLoginProfile", "organizations:ListAccounts", "ec2:RunInstances") if guardrails.rcp_applies(action)] == [
        "s3:GetBucketPolicy", "sqs:GetQueueUrl", "sts:AssumeRole", "kms:Decrypt", "secretsmanager:GetSecretValue"]


REGION_DENY = policy("p-regions", "deny-other-regions", {
    "Sid": "DenyOtherRegions", "Effect": "Deny", "NotAction": ["iam:*", "sts:*", "organizations:*"], "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}})


def test_a_region_deny():
    assert decide("sqs:GetQueueAttributes", f"arn:aws:sqs:us-east-2:{ACCOUNT}:{QUEUE}", context("us-east-2"), scps({ROOT: [REGION_DENY]}),
                  rcps())["denied"] == [denied_entry("sqs:GetQueueAttributes", ROOT, REGION_DENY, "DenyOtherRegions", region="us-east-2")]
    assert decide("sqs:GetQueueAttributes", QUEUE_ARN, context("eu-west-1"), scps({ROOT: [REGION_DENY]}), rcps())["allowed"] is True
    assert decide("iam:GetLoginProfile", ROOT_ARN, context("us-east-1"), scps({ROOT: [REGION_DENY]}), rcps())["allowed"] is True


def test_an_unknown_key_leaves_the_decision_uncertain():
    source_ip = policy("p-ip", "corporate-network", {"Sid": "OnlyFromOffice", "Effect": "Deny", "Action": "*", "Resource": "*",
                                                     "Condition": {"NotIpAddress": {"aws:SourceIp": "203.0.113.0/24"}}})
    decision = decide("iam:GetLoginProfile", ROOT_ARN, context("us-east-1"), scps({WORKLOADS: [source_ip]}), rcps())
    assert decision == {"allowed": None, "denied": [], "uncertain": [uncertain_entry(
        "iam:GetLoginProfile", WORKLOADS, source_ip, "OnlyFromOffice",
        f"SCP corporate-network (p-ip) attached to {WORKLOADS}, statement OnlyFromOffice may deny it: NotIpAddress: condition key "
        "aws:SourceIp is not known: the address AWS sees depends on the managed node's network path", region="us-east-1")]}
    # A certain deny elsewhere still decides it.
    both = decide("sqs:SetQueueAttributes", QUEUE_ARN, context(), scps({WORKLOADS: [source_ip], ACCOUNT: [DENY_QUEUE_WRITES]}), rcps())
    assert both["allowed"] is False
    assert len(both["denied"]) == 1 and len(both["uncertain"]) == 1


def test_an_uncertain_allow_at_a_level():
    office_allow = policy("p-allowip", "allow-from-office", {"Effect": "Allow", "Action": "*", "Resource": "*",
                                                             "Condition": {"IpAddress": {"aws:SourceIp": "203.0.113.0/24"}}})
    levels = scps()
    levels[1] = {"target_id": WORKLOADS, "policies": [office_allow]}
    decision = decide("iam:GetLoginProfile", ROOT_ARN, context("us-east-1"), levels, rcps())
    assert decision["allowed"] is None and decision["denied"] == []
    assert decision["uncertain"][0]["why"].startswith(f"whether any SCP attached to {WORKLOADS} allows it: SCP allow-from-office")
    assert {key: value for key, value in decision["uncertain"][0].items() if key != "why"} == {
        "action": "iam:GetLoginProfile", "region": "us-east-1", "policy_type": SCP, "policy_id": None, "policy_name": None,
        "target_id": WORKLOADS, "statement": None}


def test_a_document_that_is_not_json_is_uncertain():
    broken = {"id": "p-broken", "name": "broken", "document": "{not json"}
    decision = decide("iam:GetLoginProfile", ROOT_ARN, context("us-east-1"), scps({ROOT: [broken]}), rcps())
    assert decision == {"allowed": None, "denied": [], "uncertain": [uncertain_entry(
        "iam:GetLoginProfile", ROOT, broken, None, f"SCP broken (p-broken) attached to {ROOT} is not a JSON policy document", region="us-east-1")]}


def test_documents_given_as_json_text():
    as_text = dict(DENY_QUEUE_WRITES, document=json.dumps(DENY_QUEUE_WRITES["document"]))
    assert decide("sqs:SetQueueAttributes", QUEUE_ARN, context(), scps({ROOT: [as_text]}), rcps())["allowed"] is False


# ---------------------------------------------------------------------------
# The request context and the calls of each task

def test_root_session_context():
    built = root_session_context(ACCOUNT, ORG, [ORG_PATH], "eu-west-1")
    assert {key: value for key, value in built.items() if value is not ABSENT} == {
        "aws:principalarn": ROOT_ARN, "aws:assumedroot": "true", "aws:principalaccount": ACCOUNT, "aws:principalorgid": ORG,
        "aws:principalorgpaths": [ORG_PATH], "aws:resourceaccount": ACCOUNT, "aws:resourceorgid": ORG, "aws:resourceorgpaths": [ORG_PATH],
        "aws:requestedregion": "eu-west-1", "aws:securetransport": "true",
        "aws:principalisawsservice": "false", "aws:viaawsservice": "false"}
    assert sorted(key for key, value in built.items() if value is ABSENT) == [
        "aws:calledvia", "aws:calledviafirst", "aws:calledvialast", "aws:principalservicename", "aws:principalservicenameslist",
        "aws:requesttag/", "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths", "aws:tagkeys"]
    for key in ("aws:SourceIp", "aws:CurrentTime", "aws:MultiFactorAuthPresent", "aws:PrincipalType",
                "aws:ResourceTag/Owner", "aws:PrincipalTag/team", "aws:userid"):
        assert guardrails.lookup(built, key) is guardrails.UNKNOWN
    assert root_session_context(ACCOUNT, ORG, ORG_PATH, "eu-west-1")["aws:principalorgpaths"] == [ORG_PATH]


# What each task policy lets a root session do (aws-api.md section 3.1, from the AWS managed policies
# arn:aws:iam::aws:policy/root-task/*, version v1).
TASK_POLICY_ALLOWS = {
    "IAMAuditRootUserCredentials": {"iam:ListAccessKeys", "iam:ListSigningCertificates", "iam:GetLoginProfile", "iam:ListMFADevices",
                                    "iam:GetAccountSummary", "iam:GetUser", "iam:GetAccessKeyLastUsed"},
    "IAMCreateRootUserPassword": {"iam:CreateLoginProfile", "iam:GetLoginProfile"},
    "IAMDeleteRootUserCredentials": {"iam:DeleteAccessKey", "iam:DeleteSigningCertificate", "iam:DeleteLoginProfile", "iam:DeactivateMFADevice",
                                     "iam:DeleteVirtualMFADevice", "iam:ListAccessKeys", "iam:ListSigningCertificates", "iam:GetLoginProfile",
                                     "iam:ListMFADevices", "iam:GetUser", "iam:GetAccessKeyLastUsed"},
    "S3UnlockBucketPolicy": {"s3:DeleteBucketPolicy", "s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:ListAllMyBuckets"},
    "SQSUnlockQueuePolicy": {"sqs:SetQueueAttributes", "sqs:GetQueueAttributes", "sqs:ListQueues", "sqs:GetQueueUrl"},
}


def test_every_call_is_one_its_task_policy_allows():
    assert set(guardrails.TASK_CALLS) == set(TASKS)
    for task, steps in guardrails.TASK_CALLS.items():
        assert {call["action"] for step in steps for call in step["calls"]} <= TASK_POLICY_ALLOWS[task], task


def test_task_steps():
    assert {task: [(step["step"], [(call["action"], call["essential"]) for call in step["calls"]]) for step in steps]
            for task, steps in guardrails.TASK_CALLS.items()} == {
        "IAMAuditRootUserCredentials": [
            ("password", [("iam:GetLoginProfile", True)]),
            ("access_keys", [("iam:ListAccessKeys", True), ("iam:GetAccessKeyLastUsed", False)]),
            ("signing_certificates", [("iam:ListSigningCertificates", True)]),
            ("mfa_devices", [("iam:ListMFADevices", True)])],
        "IAMDeleteRootUserCredentials": [
            ("access_keys", [("iam:ListAccessKeys", True), ("iam:DeleteAccessKey", True)]),
            ("signing_certificates", [("iam:ListSigningCertificates", True), ("iam:DeleteSigningCertificate", True)]),
            ("mfa_devices", [("iam:ListMFADevices", True), ("iam:DeactivateMFADevice", True), ("iam:DeleteVirtualMFADevice", False)]),
            ("password", [("iam:GetLoginProfile", True), ("iam:DeleteLoginProfile", True)])],
        "IAMCreateRootUserPassword": [("password", [("iam:GetLoginProfile", True), ("iam:CreateLoginProfile", True)])],
        "S3UnlockBucketPolicy": [
            ("find_bucket", [("s3:ListAllMyBuckets", False)]), ("read_policy", [("s3:GetBucketPolicy", True)]),
            ("delete_policy", [("s3:DeleteBucketPolicy", True)]), ("put_policy", [("s3:PutBucketPolicy", True)])],
        "SQSUnlockQueuePolicy": [
            ("find_queue", [("sqs:GetQueueUrl", True)]), ("read_policy", [("sqs:GetQueueAttributes", True)]),
            ("change_policy", [("sqs:SetQueueAttributes", True)])],
    }


def test_task_requests_resources_and_regions():
    assert [(request["action"], request["resource"], request["region"], request["regional"])
            for request in guardrails.task_requests("S3UnlockBucketPolicy", ACCOUNT, "eu-west-1", BUCKET, "ap-south-1")] == [
        ("s3:ListAllMyBuckets", "*", "eu-west-1", True),
        ("s3:GetBucketPolicy", BUCKET_ARN, "ap-south-1", True),
        ("s3:DeleteBucketPolicy", BUCKET_ARN, "ap-south-1", True),
        ("s3:PutBucketPolicy", BUCKET_ARN, "ap-south-1", True)]
    assert {(request["action"], request["resource"], request["region"])
            for request in guardrails.task_requests("SQSUnlockQueuePolicy", ACCOUNT, "eu-west-1", QUEUE, "us-east-2")} == {
        ("sqs:GetQueueUrl", f"arn:aws:sqs:us-east-2:{ACCOUNT}:{QUEUE}", "us-east-2"),
        ("sqs:GetQueueAttributes", f"arn:aws:sqs:us-east-2:{ACCOUNT}:{QUEUE}", "us-east-2"),
        ("sqs:SetQueueAttributes", f"arn:aws:sqs:us-east-2:{ACCOUNT}:{QUEUE}", "us-east-2")}
    deletes = guardrails.task_requests("IAMDeleteRootUserCredentials", ACCOUNT, "eu-west-1")
    assert {(request["resource"], request["region"], request["regional"]) for request in deletes} == {
        (ROOT_ARN, "us-east-1", False), (f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device", "us-east-1", False)}


def test_assume_root_is_the_callers_call():
    assert guardrails.ASSUME_ROOT["action"] == "sts:AssumeRoot" and guardrails.ASSUME_ROOT["made_by"] == "caller"
    assert guardrails.ASSUME_ROOT["rcp"].startswith("uncertain")


# ---------------------------------------------------------------------------
# Remedies

def test_remedy_for_a_statement_denying_root_users():
    deny_root = policy("p-noroot", "deny-root", {"Sid": "DenyRoot", "Effect": "Deny", "Action": "*", "Resource": "*",
                                                 "Condition": {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}}})
    assert remedy(deny_root, "DenyRoot", "iam:GetLoginProfile", "us-east-1", WORKLOADS) == (
        "statement DenyRoot of SCP deny-root (p-noroot) denies root users (aws:PrincipalArn arn:*:iam::*:root) and does not exempt root "
        'sessions: add "Null": {"aws:AssumedRoot": "true"} to its Condition, which keeps denying the root user\'s own credentials and lets '
        "sessions from sts:AssumeRoot through.")


def test_remedy_for_a_missing_allow():
    entry = denied_entry("iam:GetLoginProfile", PRODUCTION, None, None, region="us-east-1", reason="not_allowed")
    assert remedy_for(entry) == (f"No SCP attached to {PRODUCTION} allows iam:GetLoginProfile: every level from the root to the account needs "
                                 f"one that does; attach FullAWSAccess (or a policy allowing iam:GetLoginProfile) to {PRODUCTION}.")


def test_remedy_for_a_region_deny_and_the_general_case():
    text = remedy(REGION_DENY, "DenyOtherRegions", "sqs:SetQueueAttributes", "us-east-2", ROOT)
    assert text.startswith("statement DenyOtherRegions of SCP deny-other-regions (p-regions) denies requests outside the Regions "
                           "eu-west-1, eu-central-1 (sqs:SetQueueAttributes went to us-east-2): run the task in one of those Regions")
    assert '"Null": {"aws:AssumedRoot": "true"}' in text
    assert remedy(DENY_QUEUE_WRITES, "NoQueuePolicy", "sqs:SetQueueAttributes", "eu-west-1", ACCOUNT, RCP) == (
        "statement NoQueuePolicy of RCP deny-queue-writes (p-denyqueue), attached to 222222222222, denies sqs:SetQueueAttributes: change "
        'that statement (for example exempt root sessions with "Null": {"aws:AssumedRoot": "true"} in its Condition) or detach the policy '
        "from 222222222222.")


# ---------------------------------------------------------------------------
# Published policies (/work/shared/reference/guardrails/ in the project's workspace), reproduced here as
# test data with the authors' placeholders filled as a landing zone would fill them.

LZA_PREFIX = "AWSAccelerator"
LZA_ACCESS_ROLE = "AWSControlTowerExecution"
PRIVILEGED_ROLE = "SecurityBreakGlass"
PROTECTED_BUCKET = "audit-evidence-222222222222"
ACCELERATOR_BUCKET = "aws-accelerator-central-logs-222222222222-eu-west-1"

# aws-samples/service-control-policy-examples @ 35a50b0 :
# Privileged-access-controls/Prevent-root-credentials-management-in-member-accounts-in-AWS-Organizations.json
AWS_SAMPLES_PREVENT_ROOT = {"id": "p-samplesroot", "name": "prevent-root-credentials-management", "document": {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": "*", "Resource": "*",
                   "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]}, "Null": {"aws:AssumedRoot": "true"}}}]}}

# Control Tower Controls Reference, strongly recommended controls: AWS-GR_RESTRICT_ROOT_USER, rendered
# from its template without parameters.
CONTROL_TOWER_DEFAULT = {"id": "p-ctroot", "name": "aws-guardrails-AbCdEf", "document": {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "GRRESTRICTROOTUSER", "Effect": "Deny", "Action": "*", "Resource": "*",
                   "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:*:iam::*:root"]}}}]}}

# The same control rendered with ExemptAssumeRoot.
CONTROL_TOWER_EXEMPT = {"id": "p-ctrootx", "name": "aws-guardrails-GhIjKl", "document": {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "GRRESTRICTROOTUSER", "Effect": "Deny", "Action": "*", "Resource": "*",
                   "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:*:iam::*:root"]}, "Null": {"aws:AssumedRoot": "true"}}}]}}

# The template rendered with ExemptedPrincipalArns only: the exempted role does not exempt root sessions.
CONTROL_TOWER_EXEMPTED_PRINCIPALS = {"id": "p-ctrootp", "name": "aws-guardrails-MnOpQr", "document": {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "GRRESTRICTROOTUSER", "Effect": "Deny", "Action": "*", "Resource": "*",
                   "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:*:iam::*:root"]},
                                 "ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::*:role/{PRIVILEGED_ROLE}"]}}}]}}

_LZA_ROLES = [f"arn:aws:iam::*:role/{LZA_PREFIX}*", "arn:aws:iam::*:role/cdk-accel*", f"arn:aws:iam::*:role/{LZA_ACCESS_ROLE}"]

# aws/lza-universal-configuration @ 598dc81 : modules/base/default/service-control-policies/lza-core-guardrails-2.json
# (${PARTITION} aws, ${ACCELERATOR_PREFIX} AWSAccelerator, ${MANAGEMENT_ACCOUNT_ACCESS_ROLE} AWSControlTowerExecution,
# ${ACCELERATOR_SSM_PREFIX} /accelerator)
LZA_CORE_GUARDRAILS_2 = {"id": "p-lzacore2", "name": "AWSAccelerator-Core-Guardrails-2", "document": {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "GRIAMR", "Effect": "Deny",
         "NotAction": ["iam:GetRole", "iam:GetRolePolicy", "iam:ListAttachedRolePolicies", "iam:ListRolePolicies", "iam:ListRoles"],
         "Resource": _LZA_ROLES,
         "Condition": {"ArnNotLike": {"aws:PrincipalARN": _LZA_ROLES + ["arn:aws:iam::*:role/AWSServiceRoleForConfig"]}}},
        {"Sid": "GRIAMRT", "Effect": "Deny",
         "Action": ["iam:AttachRolePolicy", "iam:DeleteRole", "iam:DeleteRolePolicy", "iam:DetachRolePolicy", "iam:PutRolePolicy",
                    "iam:TagRole", "iam:UntagRole", "iam:UpdateAssumeRolePolicy", "iam:UpdateRole"],
         "Resource": "*",
         "Condition": {"StringEquals": {"iam:ResourceTag/Accelerator": LZA_PREFIX}, "ArnNotLike": {"aws:PrincipalARN": _LZA_ROLES}}},
        {"Sid": "GRCFM", "Effect": "Deny", "Action": ["cloudformation:Delete*"],
         "Resource": f"arn:aws:cloudformation:*:*:stack/{LZA_PREFIX}*",
         "Condition": {"ArnNotLike": {"aws:PrincipalARN": _LZA_ROLES}}},
        {"Sid": "GRSSM", "Effect": "Deny", "Action": ["ssm:DeleteParameter*", "ssm:PutParameter"],
         "Resource": "arn:aws:ssm:*:*:parameter/accelerator*",
         "Condition": {"ArnNotLike": {"aws:PrincipalARN": _LZA_ROLES}}},
        {"Sid": "GRS3", "Effect": "Deny",
         "Action": ["s3:Delete*", "s3:PutBucketLogging", "s3:PutBucketPolicy", "s3:PutBucketVersioning", "s3:PutEncryptionConfiguration",
                    "s3:PutLifecycleConfiguration", "s3:PutObjectRetention", "s3:PutObjectTagging", "s3:PutReplicationConfiguration",
                    "s3:ReplicateDelete"],
         "Resource": ["arn:aws:s3:::aws-accelerator*", "arn:aws:s3:::cdk-accel*"],
         "Condition": {"ArnNotLike": {"aws:PrincipalARN": _LZA_ROLES}}},
        {"Sid": "GRRU", "Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]}, "Null": {"aws:AssumedRoot": "true"}}},
        {"Sid": "GRSEC", "Effect": "Deny",
         "Action": ["access-analyzer:DeleteAnalyzer", "account:DisableRegion", "account:EnableRegion", "ec2:CreateDefaultVpc",
                    "ec2:DisableEbsEncryptionByDefault", "ec2:ModifyEbsDefaultKmsKeyId", "guardduty:AcceptInvitation", "guardduty:CreateMembers",
                    "guardduty:DeclineInvitations", "guardduty:Delete*", "guardduty:Disassociate*", "guardduty:DisableOrganizationAdminAccount",
                    "guardduty:InviteMembers", "guardduty:StopMonitoringMembers", "guardduty:UpdateDetector", "guardduty:UpdateFindingsFeedback",
                    "guardduty:UpdateOrganizationConfiguration", "guardduty:UpdatePublishingDestination", "iam:CreateAccountAlias",
                    "iam:CreateUser", "iam:DeleteAccount*", "iam:UpdateAccountPasswordPolicy", "macie2:AcceptInvitation",
                    "macie2:CreateInvitations", "macie2:CreateMember", "macie2:DeclineInvitations", "macie2:DeleteInvitations",
                    "macie2:DeleteMember", "macie2:DisableMacie", "macie2:DisableOrganizationAdminAccount", "macie2:Disassociate*",
                    "macie2:Enable*", "macie2:UpdateMacieSession", "macie2:UpdateMemberSession", "macie2:UpdateOrganizationConfiguration",
                    "organizations:LeaveOrganization*", "ram:AssociateResourceShare", "ram:CreateResourceShare", "ram:Delete*",
                    "ram:Disassociate*", "ram:UntagResource", "ram:UpdateResourceShare", "s3:PutAccountPublicAccessBlock",
                    "securityhub:AcceptInvitation", "securityhub:BatchDisableStandards", "securityhub:CreateMembers",
                    "securityhub:DeclineInvitations", "securityhub:DeleteActionTarget", "securityhub:DeleteInsight",
                    "securityhub:DeleteInvitations", "securityhub:DeleteMembers", "securityhub:Disassociate*", "securityhub:Disable*",
                    "securityhub:InviteMembers", "securityhub:UpdateSecurityHubConfiguration", "securityhub:UpdateStandardsControl"],
         "Resource": "*",
         "Condition": {"ArnNotLike": {"aws:PrincipalARN": _LZA_ROLES}}},
    ]}}

# aws-samples/landing-zone-accelerator-on-aws-for-cccs-medium @ 46c88b8 : config/service-control-policies/LZA-Guardrails-Unclass.json
# (${PARTITION} aws, ${ACCELERATOR_PREFIX} AWSAccelerator, ${MANAGEMENT_ACCOUNT_ACCESS_ROLE} AWSControlTowerExecution,
# ${HOME_REGION} ca-central-1)
_CCCS_ROLES = [f"arn:aws:iam::*:role/{LZA_PREFIX}*", f"arn:aws:iam::*:role/{LZA_ACCESS_ROLE}"]
LZA_CCCS_UNCLASS = {"id": "p-cccs", "name": "LZA-Guardrails-Unclass", "document": {
    "Version": "2012-10-17",
    "Statement": [
        {"Sid": "PMP", "Effect": "Deny",
         "Action": ["aws-marketplace:As*", "aws-marketplace:CreateP*", "aws-marketplace:DescribePri*", "aws-marketplace:Di*",
                    "aws-marketplace:ListP*", "aws-marketplace:Start*"],
         "Resource": "*"},
        {"Sid": "ROOT", "Effect": "Deny", "Action": "*", "Resource": "*",
         "Condition": {"ArnLike": {"aws:PrincipalArn": ["arn:aws:iam::*:root"]}, "Null": {"aws:AssumedRoot": "true"}}},
        {"Sid": "EBS1", "Effect": "Deny", "Action": "ec2:RunInstances", "Resource": "arn:aws:ec2:*:*:volume/*",
         "Condition": {"Bool": {"ec2:Encrypted": "false"}}},
        {"Sid": "EBS2", "Effect": "Deny", "Action": "ec2:CreateVolume", "Resource": "*", "Condition": {"Bool": {"ec2:Encrypted": "false"}}},
        {"Sid": "EFS", "Effect": "Deny", "Action": "elasticfilesystem:CreateFileSystem", "Resource": "*",
         "Condition": {"Bool": {"elasticfilesystem:Encrypted": "false"}}},
        {"Sid": "RDS", "Effect": "Deny", "Action": "rds:CreateDBInstance", "Resource": "arn:aws:rds:*:*:db:*",
         "Condition": {"StringNotLike": {"rds:DatabaseEngine": ["aurora*", "docdb*", "neptune"]}, "Bool": {"rds:StorageEncrypted": "false"}}},
        {"Sid": "AUR", "Effect": "Deny", "Action": "rds:CreateDBCluster", "Resource": "*",
         "Condition": {"StringLike": {"rds:DatabaseEngine": ["aurora*", "docdb*", "neptune"]}, "Bool": {"rds:StorageEncrypted": "false"}}},
        {"Sid": "OTHS", "Effect": "Deny",
         "Action": ["organizations:LeaveOrg*", "organizations:CloseAccount", "ds:AcceptSharedDir*", "ds:ShareDir*", "ds:EnableSso",
                    "ds:DisableSso", "ram:AcceptResourceShareInv*", "ram:AssociateResourceShare", "ram:CreateResourceShare",
                    "ram:EnableSharingWithAwsOrg*", "lightsail:*", "gamelift:*", "appflow:*", "iq:*", "account:P*", "account:GetAl*",
                    "account:GetC*", "account:GetR*", "account:C*", "account:D*", "account:E*", "account:L*"],
         "Resource": "*",
         "Condition": {"ArnNotLike": {"aws:PrincipalARN": _CCCS_ROLES}}},
        {"Sid": "NET2", "Effect": "Deny",
         "Action": ["ec2:AcceptVpc*", "ec2:AcceptTransitGateway*", "ec2:AssociateClientVpn*", "ec2:AuthorizeClientVpn*",
                    "ec2:AttachInternetGateway", "ec2:AttachVpnGateway", "ec2:CreateCarrierGateway", "ec2:CreateClientVpn*",
                    "ec2:CreateCustomerGateway", "ec2:CreateEgressOnlyInternetGateway", "ec2:CreateInternetGateway", "ec2:CreateNatGateway",
                    "ec2:CreateTransitGateway*", "ec2:CreateVpc", "ec2:CreateVpcEndpoint", "ec2:CreateVpcPeeringConnection", "ec2:CreateVpn*",
                    "ec2:DeleteClientVpn*", "ec2:DeleteNetworkAcl*", "ec2:AllocateAddress", "ec2:AssociateAddress", "ec2:ModifyClientVpn*",
                    "ec2:ModifyImageAttribute", "ec2:ModifySnapshotAttribute", "ec2:ModifyVpn*", "ec2:RevokeClientVpn*",
                    "rds:ModifyDBSnapshotAttribute", "rds:ModifyDBClusterSnapshotAttribute", "elasticmapreduce:PutBlockPublic*",
                    "globalaccelerator:Create*", "globalaccelerator:Update*", "kms:ScheduleKeyDeletion", "kms:Delete*", "iam:CreateGroup",
                    "iam:CreateUser", "iam:CreateAccessKey", "iam:DeleteUser", "iam:UpdateUser", "iam:DeleteGroup", "iam:UpdateGroup",
                    "iam:DeleteRolePermissionsBoundary", "iam:AddUserToGroup", "iam:TagUser", "networkmanager:Create*",
                    "networkmanager:Update*", "networkmanager:Associate*", "networkmanager:Disassociate*", "networkmanager:Register*",
                    "networkmanager:Deregister*"],
         "Resource": "*",
         "Condition": {"ArnNotLike": {"aws:PrincipalArn": [f"arn:aws:iam::*:role/{LZA_PREFIX}*"]}}},
        {"Sid": "GBL1", "Effect": "Deny",
         "NotAction": ["a4b:*", "access-analyzer:*", "aws-marketplace-management:*", "aws-marketplace:*", "budgets:*", "ce:*", "chime:*",
                       "cloudfront:*", "cloudwatch:GetMetricData", "config:*", "cur:*", "directconnect:*", "ec2:DescribeRegions",
                       "ec2:DescribeTransitGateways", "ec2:DescribeVpnGateways", "fms:*", "globalaccelerator:*", "guardduty:*", "health:*",
                       "iam:*", "networkmanager:*", "organizations:*", "pricing:*", "pricingplanmanager:*", "route53:*", "route53domains:*",
                       "s3:GetAccountPublic*", "s3:GetBucketLocation", "s3:ListAllMyBuckets", "shield:*", "sts:*", "support:*",
                       "trustedadvisor:*", "waf-regional:*", "waf:*", "wafv2:*", "route53-recovery-readiness:*",
                       "route53-recovery-control-config:*", "s3:GetStorageLens*", "s3:ListStorageLens*", "s3:CreateMultiR*",
                       "s3:DeleteMultiR*", "s3:DescribeMultiR*", "s3:GetMultiR*", "s3:ListMultiR*", "s3:PutMultiR*", "tag:GetResources",
                       "sso:DescribeRegisteredRegions", "billing:*", "freetier:*", "account:*", "invoicing:*", "payments:GetPaymentStatus",
                       "payments:ListPaymentPreferences", "tax:ListTaxRegistrations", "sustainability:*",
                       "quicksight:DescribeAccountSubscription", "bedrock:*", "sagemaker:L*", "uxc:*"],
         "Resource": "*",
         "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["ca-central-1", "us-east-1", "us-east-2", "us-west-1", "us-west-2"]},
                       "ArnNotLike": {"aws:PrincipalARN": _CCCS_ROLES}}},
    ]}}

# aws-samples/service-control-policy-examples @ 35a50b0 : Region-controls/Deny-access-to-AWS-based-on-the-requested-AWS-region.json
# (${Account} *, [PRIVILEGED_ROLE] SecurityBreakGlass)
AWS_SAMPLES_REGION_DENY = {"id": "p-sampleregion", "name": "deny-by-requested-region", "document": {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Deny",
        "NotAction": ["a4b:*", "acm:*", "aws-marketplace-management:*", "aws-marketplace:*", "aws-portal:*", "budgets:*", "ce:*", "chime:*",
                      "cloudfront:*", "config:*", "cur:*", "directconnect:*", "ec2:DescribeRegions", "ec2:DescribeTransitGateways",
                      "ec2:DescribeVpnGateways", "fms:*", "globalaccelerator:*", "health:*", "iam:*", "importexport:*", "kms:*",
                      "mobileanalytics:*", "networkmanager:*", "organizations:*", "pricing:*", "route53:*", "route53domains:*",
                      "route53-recovery-cluster:*", "route53-recovery-control-config:*", "route53-recovery-readiness:*",
                      "s3:GetAccountPublic*", "s3:ListAllMyBuckets", "s3:ListMultiRegionAccessPoints", "s3:PutAccountPublic*", "shield:*",
                      "sts:*", "support:*", "trustedadvisor:*", "waf-regional:*", "waf:*", "wafv2:*", "wellarchitected:*"],
        "Resource": "*",
        "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-central-1", "eu-west-1"]},
                      "ArnNotLike": {"aws:PrincipalARN": f"arn:aws:iam::*:role/{PRIVILEGED_ROLE}"}}}]}}

_DELETING_ACTIONS = ["s3:DeleteBucket", "s3:DeleteBucketPolicy", "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteObjectTagging",
                     "s3:DeleteObjectVersionTagging"]

# aws-samples/service-control-policy-examples @ 35a50b0 :
# Service-specific-controls/Amazon-S3/Deny-users-from-deleting-Amazon-S3-buckets-or-objects.json ([BUCKET_TO_PROTECT] filled)
AWS_SAMPLES_SCP_DENY_DELETING = {"id": "p-samplesdel", "name": "deny-deleting-s3", "document": {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Action": _DELETING_ACTIONS,
                   "Resource": [f"arn:aws:s3:::{PROTECTED_BUCKET}", f"arn:aws:s3:::{PROTECTED_BUCKET}/*"]}]}}

# aws-samples/resource-control-policy-examples @ f1aedfa :
# Service-specific-controls/S3-Deny-users-from-deleting-Amazon-S3-Buckets-or-objects.json ([BUCKET_TO_PROTECT] filled)
AWS_SAMPLES_RCP_DENY_DELETING = {"id": "p-rcpdel", "name": "rcp-deny-deleting-s3", "document": {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Deny", "Principal": "*", "Action": _DELETING_ACTIONS,
                   "Resource": [f"arn:aws:s3:::{PROTECTED_BUCKET}", f"arn:aws:s3:::{PROTECTED_BUCKET}/*"]}]}}

# aws-samples/resource-control-policy-examples @ f1aedfa :
# Establish-intra-organization-boundaries/Deny-resource-access-if-the-resource-belongs-to-a-specific-organizational-unit.json
# (attached to the OU; ${Account} *, [PRIVILEGED_ROLE] SecurityBreakGlass)
AWS_SAMPLES_RCP_OU_BOUNDARY = {"id": "p-rcpou", "name": "rcp-deny-resource-access-in-ou", "document": {
    "Version": "2012-10-17",
    "Statement": [{
        "Effect": "Deny", "Principal": "*",
        "Action": ["s3:*", "sqs:*", "kms:*", "secretsmanager:*", "sts:AssumeRole", "sts:DecodeAuthorizationMessage", "sts:GetAccessKeyInfo",
                   "sts:GetFederationToken", "sts:GetServiceBearerToken", "sts:GetSessionToken", "sts:SetContext", "cognito-identity:*",
                   "cognito-idp:*", "logs:*", "dynamodb:*", "ecr:*", "aoss:*"],
        "Resource": "*",
        "Condition": {"BoolIfExists": {"aws:PrincipalIsAWSService": "false"},
                      "ArnNotLikeIfExists": {"aws:PrincipalARN": f"arn:aws:iam::*:role/{PRIVILEGED_ROLE}"}}}]}}


def task_outcome(task, scp_extra=None, rcp_extra=None, region="eu-west-1", resource=None, resource_region=None) -> tuple:
    """(task allowed, {step: allowed}, sorted (action, policy type, policy id, target, statement) of every denial, number of uncertain entries)."""
    resource = resource or (BUCKET if task.startswith("S3") else QUEUE)
    result = decide_task(task, context(region), scps(scp_extra), rcps(rcp_extra), region, resource, resource_region or region)
    denials = sorted({(entry["action"], POLICY_TYPE[entry["policy_type"]], entry["policy_id"], entry["target_id"], entry["statement"])
                      for step in result["steps"] for call in step["calls"] for entry in call["denied"]})
    uncertain = sum(len(call["uncertain"]) for step in result["steps"] for call in step["calls"])
    return result["allowed"], {step["step"]: step["allowed"] for step in result["steps"]}, denials, uncertain


POLICY_TYPE = {SCP: "SCP", RCP: "RCP"}
ALL_STEPS_ALLOWED = {task: {step["step"]: True for step in guardrails.TASK_CALLS[task]} for task in TASKS}


def every_call_denied(task, policy_id, target, statement, policy_type="SCP") -> list:
    return sorted({(call["action"], policy_type, policy_id, target, statement) for step in guardrails.TASK_CALLS[task] for call in step["calls"]})


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("published", [AWS_SAMPLES_PREVENT_ROOT, CONTROL_TOWER_EXEMPT, LZA_CORE_GUARDRAILS_2, LZA_CCCS_UNCLASS,
                                       AWS_SAMPLES_REGION_DENY, AWS_SAMPLES_SCP_DENY_DELETING],
                         ids=lambda published: published["name"])
def test_published_scps_that_let_every_task_through_in_a_home_region(task, published):
    """In eu-west-1 (a home Region of the Region denies), on a bucket and queue none of them protects, each of these SCPs, attached
    at the Workloads OU, lets every call of every task through: the root denies exempt root sessions (Null aws:AssumedRoot)."""
    region = "ca-central-1" if published is LZA_CCCS_UNCLASS else "eu-west-1"
    assert task_outcome(task, {WORKLOADS: [published]}, region=region) == (True, ALL_STEPS_ALLOWED[task], [], 0)


@pytest.mark.parametrize("task", TASKS)
@pytest.mark.parametrize("rendered", [CONTROL_TOWER_DEFAULT, CONTROL_TOWER_EXEMPTED_PRINCIPALS], ids=lambda rendered: rendered["id"])
def test_control_tower_restrict_root_user_without_exemption_denies_every_task(task, rendered):
    allowed, steps, denials, uncertain = task_outcome(task, {WORKLOADS: [rendered]})
    # Every call denied; a step of calls the module can do without (finding the bucket, only without region) blocks nothing.
    assert (allowed, steps, denials, uncertain) == (
        False, {step: step == "find_bucket" for step in steps}, every_call_denied(task, rendered["id"], WORKLOADS, "GRRESTRICTROOTUSER"), 0)
    text = remedy(rendered, "GRRESTRICTROOTUSER", "iam:GetLoginProfile", "us-east-1", WORKLOADS)
    assert "AWS-GR_RESTRICT_ROOT_USER" in text and f"Enable the control on OU {WORKLOADS} with its parameter ExemptAssumeRoot" in text


@pytest.mark.parametrize("task, expected", [
    ("IAMAuditRootUserCredentials", (True, ALL_STEPS_ALLOWED["IAMAuditRootUserCredentials"], [], 0)),
    ("IAMDeleteRootUserCredentials", (True, ALL_STEPS_ALLOWED["IAMDeleteRootUserCredentials"], [], 0)),
    ("IAMCreateRootUserPassword", (True, ALL_STEPS_ALLOWED["IAMCreateRootUserPassword"], [], 0)),
    # GRS3 protects the accelerator's buckets from everyone but its roles: the policy can be read, not deleted or replaced.
    ("S3UnlockBucketPolicy", (False, {"find_bucket": True, "read_policy": True, "delete_policy": False, "put_policy": False},
                              [("s3:DeleteBucketPolicy", "SCP", "p-lzacore2", WORKLOADS, "GRS3"),
                               ("s3:PutBucketPolicy", "SCP", "p-lzacore2", WORKLOADS, "GRS3")], 0)),
    ("SQSUnlockQueuePolicy", (True, ALL_STEPS_ALLOWED["SQSUnlockQueuePolicy"], [], 0)),
])
def test_lza_core_guardrails_on_an_accelerator_bucket(task, expected):
    assert task_outcome(task, {WORKLOADS: [LZA_CORE_GUARDRAILS_2]}, resource=ACCELERATOR_BUCKET if task.startswith("S3") else None) == expected


@pytest.mark.parametrize("task, expected", [
    ("IAMAuditRootUserCredentials", (True, ALL_STEPS_ALLOWED["IAMAuditRootUserCredentials"], [], 0)),
    ("IAMDeleteRootUserCredentials", (True, ALL_STEPS_ALLOWED["IAMDeleteRootUserCredentials"], [], 0)),
    ("IAMCreateRootUserPassword", (True, ALL_STEPS_ALLOWED["IAMCreateRootUserPassword"], [], 0)),
    # GBL1 exempts s3:ListAllMyBuckets (and IAM), not the bucket's own calls.
    ("S3UnlockBucketPolicy", (False, {"find_bucket": True, "read_policy": False, "delete_policy": False, "put_policy": False},
                              [(action, "SCP", "p-cccs", WORKLOADS, "GBL1")
                               for action in ("s3:DeleteBucketPolicy", "s3:GetBucketPolicy", "s3:PutBucketPolicy")], 0)),
    ("SQSUnlockQueuePolicy", (False, {"find_queue": False, "read_policy": False, "change_policy": False},
                              [(action, "SCP", "p-cccs", WORKLOADS, "GBL1")
                               for action in ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SetQueueAttributes")], 0)),
])
def test_lza_cccs_guardrails_outside_the_home_regions(task, expected):
    assert task_outcome(task, {WORKLOADS: [LZA_CCCS_UNCLASS]}, region="eu-west-1") == expected


def test_lza_cccs_region_remedy():
    text = remedy(LZA_CCCS_UNCLASS, "GBL1", "sqs:SetQueueAttributes", "eu-west-1", WORKLOADS)
    assert text.startswith("statement GBL1 of SCP LZA-Guardrails-Unclass (p-cccs) denies requests outside the Regions ca-central-1, "
                           "us-east-1, us-east-2, us-west-1, us-west-2 (sqs:SetQueueAttributes went to eu-west-1)")


@pytest.mark.parametrize("task, expected", [
    ("IAMAuditRootUserCredentials", (True, ALL_STEPS_ALLOWED["IAMAuditRootUserCredentials"], [], 0)),
    ("IAMDeleteRootUserCredentials", (True, ALL_STEPS_ALLOWED["IAMDeleteRootUserCredentials"], [], 0)),
    ("IAMCreateRootUserPassword", (True, ALL_STEPS_ALLOWED["IAMCreateRootUserPassword"], [], 0)),
    ("S3UnlockBucketPolicy", (False, {"find_bucket": True, "read_policy": False, "delete_policy": False, "put_policy": False},
                              [(action, "SCP", "p-sampleregion", ROOT, 0)
                               for action in ("s3:DeleteBucketPolicy", "s3:GetBucketPolicy", "s3:PutBucketPolicy")], 0)),
    ("SQSUnlockQueuePolicy", (False, {"find_queue": False, "read_policy": False, "change_policy": False},
                              [(action, "SCP", "p-sampleregion", ROOT, 0)
                               for action in ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SetQueueAttributes")], 0)),
])
def test_aws_samples_region_deny_outside_its_regions(task, expected):
    assert task_outcome(task, {ROOT: [AWS_SAMPLES_REGION_DENY]}, region="us-east-1") == expected


@pytest.mark.parametrize("published, policy_type, kind", [
    (AWS_SAMPLES_SCP_DENY_DELETING, "scp", "SCP"),
    (AWS_SAMPLES_RCP_DENY_DELETING, "rcp", "RCP"),
])
@pytest.mark.parametrize("task", TASKS)
def test_aws_samples_deny_deleting_on_the_protected_bucket(task, published, policy_type, kind):
    """Only DeleteBucketPolicy is denied on the protected bucket: replacing its policy (state: present) still works."""
    extra = {ACCOUNT: [published]}
    outcome = task_outcome(task, extra if policy_type == "scp" else None, extra if policy_type == "rcp" else None,
                           resource=PROTECTED_BUCKET if task.startswith("S3") else None)
    if task == "S3UnlockBucketPolicy":
        assert outcome == (False, {"find_bucket": True, "read_policy": True, "delete_policy": False, "put_policy": True},
                           [("s3:DeleteBucketPolicy", kind, published["id"], ACCOUNT, 0)], 0)
    else:
        assert outcome == (True, ALL_STEPS_ALLOWED[task], [], 0)


@pytest.mark.parametrize("task, expected", [
    ("IAMAuditRootUserCredentials", (True, ALL_STEPS_ALLOWED["IAMAuditRootUserCredentials"], [], 0)),
    ("IAMDeleteRootUserCredentials", (True, ALL_STEPS_ALLOWED["IAMDeleteRootUserCredentials"], [], 0)),
    ("IAMCreateRootUserPassword", (True, ALL_STEPS_ALLOWED["IAMCreateRootUserPassword"], [], 0)),
    # The bucket's calls are denied; whether an RCP governs ListAllMyBuckets (no resource) AWS does not say.
    ("S3UnlockBucketPolicy", (False, {"find_bucket": True, "read_policy": False, "delete_policy": False, "put_policy": False},
                              [(action, "RCP", "p-rcpou", PRODUCTION, 0)
                               for action in ("s3:DeleteBucketPolicy", "s3:GetBucketPolicy", "s3:PutBucketPolicy")], 1)),
    ("SQSUnlockQueuePolicy", (False, {"find_queue": False, "read_policy": False, "change_policy": False},
                              [(action, "RCP", "p-rcpou", PRODUCTION, 0)
                               for action in ("sqs:GetQueueAttributes", "sqs:GetQueueUrl", "sqs:SetQueueAttributes")], 0)),
])
def test_aws_samples_rcp_ou_boundary(task, expected):
    assert task_outcome(task, rcp_extra={PRODUCTION: [AWS_SAMPLES_RCP_OU_BOUNDARY]}) == expected


def test_published_policies_are_not_changed_by_evaluation():
    before = copy.deepcopy(LZA_CCCS_UNCLASS)
    task_outcome("SQSUnlockQueuePolicy", {WORKLOADS: [LZA_CCCS_UNCLASS]})
    assert LZA_CCCS_UNCLASS == before


def test_a_non_essential_call_denied_does_not_block_its_step():
    no_virtual_delete = policy("p-nomfadelete", "no-virtual-mfa-delete",
                               {"Sid": "KeepDevices", "Effect": "Deny", "Action": "iam:DeleteVirtualMFADevice", "Resource": "*"})
    allowed, steps, denials, _uncertain = task_outcome("IAMDeleteRootUserCredentials", {ACCOUNT: [no_virtual_delete]})
    assert (allowed, steps["mfa_devices"]) == (True, True)
    assert denials == [("iam:DeleteVirtualMFADevice", "SCP", "p-nomfadelete", ACCOUNT, "KeepDevices")]


def test_blocking_only_the_password_step():
    keep_password = policy("p-keeppw", "keep-login-profile",
                           {"Sid": "KeepPassword", "Effect": "Deny", "Action": "iam:DeleteLoginProfile", "Resource": "*"})
    allowed, steps, denials, _uncertain = task_outcome("IAMDeleteRootUserCredentials", {PRODUCTION: [keep_password]})
    assert (allowed, steps) == (False, {"access_keys": True, "signing_certificates": True, "mfa_devices": True, "password": False})
    assert denials == [("iam:DeleteLoginProfile", "SCP", "p-keeppw", PRODUCTION, "KeepPassword")]


# ---------------------------------------------------------------------------
# A bucket or queue the check does not know (guardrails.ANY_NAME)

ANY_BUCKET = "arn:aws:s3:::" + guardrails.ANY_NAME
ANY_QUEUE = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:" + guardrails.ANY_NAME
NAMES_PARTICULAR = "names particular buckets or queues, and which one the task works on is not known"


@pytest.mark.parametrize("resource, pattern, expected", [
    (ANY_BUCKET, "*", MATCH),
    (ANY_BUCKET, "arn:aws:s3:::*", MATCH),
    (ANY_BUCKET, "arn:*:s3:::*", MATCH),
    (ANY_BUCKET, "arn:aws:iam::*:root", NO_MATCH),
    (ANY_BUCKET, "arn:aws:sqs:*:*:*", NO_MATCH),
    (ANY_BUCKET, f"arn:aws:s3:::{BUCKET}", UNCERTAIN),
    (ANY_BUCKET, "arn:aws:s3:::payments-*", UNCERTAIN),
    (ANY_BUCKET, "arn:aws:s3:::${aws:PrincipalAccount}-logs", UNCERTAIN),
    (ANY_QUEUE, "arn:aws:sqs:*:*:*", MATCH),
    (ANY_QUEUE, f"arn:aws:sqs:eu-west-1:{ACCOUNT}:*", MATCH),
    (ANY_QUEUE, "arn:aws:sqs:us-east-1:*:*", NO_MATCH),
    (ANY_QUEUE, "arn:aws:sqs:eu-west-1:999999999999:*", NO_MATCH),
    (ANY_QUEUE, f"arn:aws:sqs:eu-west-1:{ACCOUNT}:{QUEUE}", UNCERTAIN),
])
def test_a_resource_element_against_any_bucket_or_queue(resource, pattern, expected):
    state, why = evaluate_statement({"Effect": "Deny", "Action": "*", "Resource": pattern}, "s3:GetBucketPolicy", resource, context())
    assert state == expected
    assert (why is not None and pattern in why) == (expected == UNCERTAIN)
    negated, _why = evaluate_statement({"Effect": "Deny", "Action": "*", "NotResource": pattern}, "s3:GetBucketPolicy", resource, context())
    assert negated == {MATCH: NO_MATCH, NO_MATCH: MATCH, UNCERTAIN: UNCERTAIN}[expected]


def test_a_protected_bucket_is_uncertain_when_the_bucket_is_not_known():
    """The AWS sample that denies deleting one bucket's policy: for a bucket not named, the deny is uncertain, not guessed."""
    result = decide_task("S3UnlockBucketPolicy", context(), scps({ACCOUNT: [AWS_SAMPLES_SCP_DENY_DELETING]}), rcps(), "eu-west-1",
                         guardrails.ANY_NAME, "eu-west-1")
    assert result["allowed"] is None
    assert {step["step"]: step["allowed"] for step in result["steps"]} == {
        "find_bucket": True, "read_policy": True, "delete_policy": None, "put_policy": True}
    (call,) = result["steps"][2]["calls"]
    assert call["denied"] == [] and [entry["statement"] for entry in call["uncertain"]] == [0]
    assert NAMES_PARTICULAR in call["uncertain"][0]["why"]
