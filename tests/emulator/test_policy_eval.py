"""The emulator's SCP and RCP evaluation (rootguard_emulator.policy_eval), decision by decision.

Every expected value below is written from AWS's rules (IAM User Guide, "Condition operators", "Policy evaluation
logic"; Organizations User Guide, "SCP evaluation", "RCP evaluation") and, for the published policies, from each
policy's text; none is read back from the evaluator.
"""

from __future__ import annotations

import datetime
import json

import pytest

from rootguard_emulator import policy_examples as examples
from rootguard_emulator.policy_eval import (
    RESOURCE_CONTROL_POLICY,
    SERVICE_CONTROL_POLICY,
    Decision,
    Level,
    Policy,
    PolicyError,
    Request,
    UnknownOperatorError,
    conditions_hold,
    denial_message,
    evaluate_rcps,
    evaluate_scps,
    policy_arn,
    principal_context,
    rcp_applies,
    root_session_context,
    statement_matches,
)

ACCOUNT = "111111111111"
MANAGEMENT = "999999999999"
ORG = "o-exampleorg1"
ROOT_ID = "r-ab12"
OU = "ou-ab12-workload"
ORG_PATHS = [f"{ORG}/{ROOT_ID}/{OU}/"]
NOW = datetime.datetime(2026, 6, 1, 12, 0, 0, tzinfo=datetime.timezone.utc)
NOW_EPOCH = int(NOW.timestamp())
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
ALLOWED = "allowed"


def root_session(region: str = "us-east-1", **options) -> dict:
    return root_session_context(ACCOUNT, ORG, ORG_PATHS, region, now=NOW, **options)


def role(name: str = "AppDeployer", region: str = "us-east-1") -> dict:
    return principal_context("role", ACCOUNT, ORG, ORG_PATHS, region, name=name, now=NOW)


def root_user(region: str = "us-east-1") -> dict:
    return principal_context("root", ACCOUNT, ORG, ORG_PATHS, region, now=NOW)


PRINCIPALS = {
    "root-session": root_session,
    "role": lambda region: role("AppDeployer", region),
    "root-user": root_user,
    "privileged-role": lambda region: role("OrgPrivilegedAdmin", region),
    "accelerator-role": lambda region: role("AWSAccelerator-Operations", region),
}


def full_access_path(*ou_policies: Policy) -> list[Level]:
    """Root, one OU, the account: FullAWSAccess everywhere (never detached) plus the given SCPs on the OU."""
    full = Policy("p-FullAWSAccess", "FullAWSAccess", examples.FULL_AWS_ACCESS)
    return [Level(ROOT_ID, [full]), Level(OU, [full, *ou_policies]), Level(ACCOUNT, [full])]


def rcp_path(*ou_policies: Policy) -> list[Level]:
    full = Policy("p-RCPFullAWSAccess", "RCPFullAWSAccess", examples.RCP_FULL_AWS_ACCESS)
    return [Level(ROOT_ID, [full]), Level(OU, [full, *ou_policies]), Level(ACCOUNT, [full])]


def holds(condition: dict, context: dict) -> bool:
    return conditions_hold(condition, Request("s3:GetObject", "*", context))


# ---------------------------------------------------------------------------------------------------------------
# Condition operators: every operator, its IfExists and its negation, on present and absent keys
# ---------------------------------------------------------------------------------------------------------------

ABSENT: dict = {}
OPERATOR_CASES = [
    # (operator, key, policy values, context, expected)
    ("StringEquals", "aws:PrincipalAccount", ACCOUNT, {"aws:PrincipalAccount": ACCOUNT}, True),
    ("StringEquals", "aws:PrincipalAccount", "222222222222", {"aws:PrincipalAccount": ACCOUNT}, False),
    ("StringEquals", "aws:PrincipalAccount", ACCOUNT, ABSENT, False),
    ("StringEquals", "aws:PrincipalTag/team", "Ops", {"aws:PrincipalTag/team": "ops"}, False),
    ("StringNotEquals", "aws:PrincipalAccount", ACCOUNT, {"aws:PrincipalAccount": ACCOUNT}, False),
    ("StringNotEquals", "aws:PrincipalAccount", "222222222222", {"aws:PrincipalAccount": ACCOUNT}, True),
    ("StringNotEquals", "aws:PrincipalAccount", ACCOUNT, ABSENT, True),
    ("StringEqualsIfExists", "aws:PrincipalAccount", ACCOUNT, ABSENT, True),
    ("StringEqualsIfExists", "aws:PrincipalAccount", "222222222222", {"aws:PrincipalAccount": ACCOUNT}, False),
    ("StringEqualsIfExists", "aws:PrincipalAccount", ACCOUNT, {"aws:PrincipalAccount": ACCOUNT}, True),
    ("StringNotEqualsIfExists", "aws:PrincipalAccount", ACCOUNT, ABSENT, True),
    ("StringNotEqualsIfExists", "aws:PrincipalAccount", ACCOUNT, {"aws:PrincipalAccount": ACCOUNT}, False),
    ("StringEqualsIgnoreCase", "aws:PrincipalTag/team", "OPS", {"aws:PrincipalTag/team": "ops"}, True),
    ("StringEqualsIgnoreCase", "aws:PrincipalTag/team", "OPS", ABSENT, False),
    ("StringEqualsIgnoreCaseIfExists", "aws:PrincipalTag/team", "OPS", ABSENT, True),
    ("StringNotEqualsIgnoreCase", "aws:PrincipalTag/team", "OPS", {"aws:PrincipalTag/team": "ops"}, False),
    ("StringNotEqualsIgnoreCase", "aws:PrincipalTag/team", "OPS", {"aws:PrincipalTag/team": "dev"}, True),
    ("StringNotEqualsIgnoreCase", "aws:PrincipalTag/team", "OPS", ABSENT, True),
    ("StringNotEqualsIgnoreCaseIfExists", "aws:PrincipalTag/team", "OPS", ABSENT, True),
    ("StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/Admin?", {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/Admin1"}, True),
    ("StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/Admin?", {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/Admin12"}, False),
    ("StringLike", "aws:PrincipalArn", "arn:aws:iam::*:role/admin*", {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/Admin"}, False),
    ("StringLike", "aws:PrincipalArn", "*", ABSENT, False),
    ("StringLikeIfExists", "aws:PrincipalArn", "arn:aws:iam::*:root", ABSENT, True),
    ("StringNotLike", "aws:PrincipalArn", "arn:aws:iam::*:root", {"aws:PrincipalArn": ROOT_ARN}, False),
    ("StringNotLike", "aws:PrincipalArn", "arn:aws:iam::*:root", {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/x"}, True),
    ("StringNotLike", "aws:PrincipalArn", "arn:aws:iam::*:root", ABSENT, True),
    ("StringNotLikeIfExists", "aws:PrincipalArn", "arn:aws:iam::*:root", ABSENT, True),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:root", {"aws:PrincipalArn": ROOT_ARN}, True),
    ("ArnLike", "aws:PrincipalArn", "arn:*:iam::*:root", {"aws:PrincipalArn": "arn:aws-us-gov:iam::123456789012:root"}, True),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:root", {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/root"}, False),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:ROOT", {"aws:PrincipalArn": ROOT_ARN}, False),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:root", {"aws:PrincipalArn": "not-an-arn"}, False),
    ("ArnLike", "aws:SourceArn", "arn:aws:s3:::*", {"aws:SourceArn": "arn:aws:s3:::bucket/key:with:colons"}, True),
    ("ArnLike", "aws:PrincipalArn", "arn:aws:iam::*:root", ABSENT, False),
    ("ArnLikeIfExists", "aws:PrincipalArn", "arn:aws:iam::*:root", ABSENT, True),
    ("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/Admin*", {"aws:PrincipalArn": ROOT_ARN}, True),
    ("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/Admin*", {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/AdminX"}, False),
    ("ArnNotLike", "aws:PrincipalArn", "arn:aws:iam::*:role/Admin*", ABSENT, True),
    ("ArnNotLikeIfExists", "aws:PrincipalArn", "arn:aws:iam::*:role/Admin*", ABSENT, True),
    ("ArnEquals", "aws:PrincipalArn", ROOT_ARN, {"aws:PrincipalArn": ROOT_ARN}, True),
    ("ArnEquals", "aws:PrincipalArn", ROOT_ARN, {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:ROOT"}, False),
    ("ArnEquals", "aws:PrincipalArn", ROOT_ARN, ABSENT, False),
    ("ArnEqualsIfExists", "aws:PrincipalArn", ROOT_ARN, ABSENT, True),
    ("ArnNotEquals", "aws:PrincipalArn", ROOT_ARN, {"aws:PrincipalArn": ROOT_ARN}, False),
    ("ArnNotEquals", "aws:PrincipalArn", ROOT_ARN, {"aws:PrincipalArn": f"arn:aws:iam::{ACCOUNT}:role/x"}, True),
    ("ArnNotEquals", "aws:PrincipalArn", ROOT_ARN, ABSENT, True),
    ("ArnNotEqualsIfExists", "aws:PrincipalArn", ROOT_ARN, ABSENT, True),
    ("Null", "aws:AssumedRoot", "true", ABSENT, True),
    ("Null", "aws:AssumedRoot", "true", {"aws:AssumedRoot": "true"}, False),
    ("Null", "aws:AssumedRoot", "false", {"aws:AssumedRoot": "true"}, True),
    ("Null", "aws:AssumedRoot", "false", ABSENT, False),
    ("Null", "aws:AssumedRoot", True, ABSENT, True),
    # BinaryEquals: base64 on both sides, compared byte for byte.
    ("BinaryEquals", "s3:x-binary", "QmluYXJ5", {"s3:x-binary": "QmluYXJ5"}, True),
    ("BinaryEquals", "s3:x-binary", "T3RoZXI=", {"s3:x-binary": "QmluYXJ5"}, False),
    ("BinaryEquals", "s3:x-binary", "QmluYXJ5", ABSENT, False),
    ("BinaryEqualsIfExists", "s3:x-binary", "QmluYXJ5", ABSENT, True),
    ("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": "true"}, True),
    ("Bool", "aws:SecureTransport", "true", {"aws:SecureTransport": "false"}, False),
    ("Bool", "aws:SecureTransport", True, {"aws:SecureTransport": True}, True),
    ("Bool", "aws:SecureTransport", "True", {"aws:SecureTransport": "true"}, True),
    ("Bool", "aws:SecureTransport", "false", ABSENT, False),
    ("BoolIfExists", "aws:SecureTransport", "false", ABSENT, True),
    ("BoolIfExists", "aws:SecureTransport", "false", {"aws:SecureTransport": "true"}, False),
    ("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": "10"}, True),
    ("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": "10.0"}, True),
    ("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": "11"}, False),
    ("NumericEquals", "s3:max-keys", "10", {"s3:max-keys": "ten"}, False),
    ("NumericEquals", "s3:max-keys", "10", ABSENT, False),
    ("NumericEqualsIfExists", "s3:max-keys", "10", ABSENT, True),
    ("NumericNotEquals", "s3:max-keys", "10", {"s3:max-keys": "11"}, True),
    ("NumericNotEquals", "s3:max-keys", "10", {"s3:max-keys": "10"}, False),
    ("NumericNotEquals", "s3:max-keys", "10", ABSENT, True),
    ("NumericNotEqualsIfExists", "s3:max-keys", "10", ABSENT, True),
    ("NumericLessThan", "s3:max-keys", "10", {"s3:max-keys": "5"}, True),
    ("NumericLessThan", "s3:max-keys", "10", {"s3:max-keys": "10"}, False),
    ("NumericLessThan", "s3:max-keys", "10", ABSENT, False),
    ("NumericLessThanIfExists", "s3:max-keys", "10", ABSENT, True),
    ("NumericLessThanEquals", "s3:max-keys", "10", {"s3:max-keys": "10"}, True),
    ("NumericLessThanEquals", "s3:max-keys", "10", {"s3:max-keys": "11"}, False),
    ("NumericLessThanEquals", "s3:max-keys", "10", ABSENT, False),
    ("NumericLessThanEqualsIfExists", "s3:max-keys", "10", ABSENT, True),
    ("NumericGreaterThan", "s3:max-keys", "10", {"s3:max-keys": "11"}, True),
    ("NumericGreaterThan", "s3:max-keys", "10", {"s3:max-keys": "10"}, False),
    ("NumericGreaterThan", "s3:max-keys", "10", ABSENT, False),
    ("NumericGreaterThanIfExists", "s3:max-keys", "10", ABSENT, True),
    ("NumericGreaterThanEquals", "s3:max-keys", 10, {"s3:max-keys": 10}, True),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", {"s3:max-keys": "9"}, False),
    ("NumericGreaterThanEquals", "s3:max-keys", "10", ABSENT, False),
    ("NumericGreaterThanEqualsIfExists", "s3:max-keys", "10", ABSENT, True),
    ("DateEquals", "aws:CurrentTime", "2026-06-01T12:00:00Z", {"aws:CurrentTime": "2026-06-01T12:00:00Z"}, True),
    ("DateEquals", "aws:CurrentTime", str(NOW_EPOCH), {"aws:CurrentTime": "2026-06-01T12:00:00Z"}, True),
    ("DateEquals", "aws:EpochTime", "2026-06-01T12:00:00Z", {"aws:EpochTime": str(NOW_EPOCH)}, True),
    ("DateEquals", "aws:CurrentTime", "2026-06-02", {"aws:CurrentTime": "2026-06-01T12:00:00Z"}, False),
    ("DateEquals", "aws:CurrentTime", "2026-06-01T12:00:00Z", {"aws:CurrentTime": "yesterday"}, False),
    ("DateEquals", "aws:CurrentTime", "2026-06-01T12:00:00Z", ABSENT, False),
    ("DateEqualsIfExists", "aws:CurrentTime", "2026-06-01T12:00:00Z", ABSENT, True),
    ("DateNotEquals", "aws:CurrentTime", "2026-06-01T12:00:00Z", {"aws:CurrentTime": "2026-06-01T12:00:01Z"}, True),
    ("DateNotEquals", "aws:CurrentTime", "2026-06-01T12:00:00Z", {"aws:CurrentTime": "2026-06-01T12:00:00Z"}, False),
    ("DateNotEquals", "aws:CurrentTime", "2026-06-01T12:00:00Z", ABSENT, True),
    ("DateNotEqualsIfExists", "aws:CurrentTime", "2026-06-01T12:00:00Z", ABSENT, True),
    ("DateLessThan", "aws:CurrentTime", "2027-01-01T00:00:00Z", {"aws:CurrentTime": "2026-06-01T12:00:00Z"}, True),
    ("DateLessThan", "aws:CurrentTime", "2026-06-01T12:00:00Z", {"aws:CurrentTime": "2026-06-01T12:00:00Z"}, False),
    ("DateLessThan", "aws:CurrentTime", "2027-01-01T00:00:00Z", ABSENT, False),
    ("DateLessThanIfExists", "aws:CurrentTime", "2027-01-01T00:00:00Z", ABSENT, True),
    ("DateLessThanEquals", "aws:CurrentTime", "2026-06-01T12:00:00Z", {"aws:CurrentTime": "2026-06-01T12:00:00Z"}, True),
    ("DateLessThanEquals", "aws:CurrentTime", "2026-01-01", {"aws:CurrentTime": "2026-06-01T12:00:00Z"}, False),
    ("DateLessThanEquals", "aws:CurrentTime", "2026-06-01T12:00:00Z", ABSENT, False),
    ("DateLessThanEqualsIfExists", "aws:CurrentTime", "2026-06-01T12:00:00Z", ABSENT, True),
    ("DateGreaterThan", "aws:CurrentTime", "2026-01-01", {"aws:CurrentTime": "2026-06-01T12:00:00Z"}, True),
    ("DateGreaterThan", "aws:CurrentTime", "2027-01-01T00:00:00+00:00", {"aws:CurrentTime": "2026-06-01T12:00:00Z"}, False),
    ("DateGreaterThan", "aws:CurrentTime", "2026-01-01", ABSENT, False),
    ("DateGreaterThanIfExists", "aws:CurrentTime", "2026-01-01", ABSENT, True),
    ("DateGreaterThanEquals", "aws:CurrentTime", "2026-06-01T12:00:00Z", {"aws:CurrentTime": "2026-06-01T12:00:00Z"}, True),
    ("DateGreaterThanEquals", "aws:CurrentTime", "2026-06-01T12:00:01Z", {"aws:CurrentTime": "2026-06-01T12:00:00Z"}, False),
    ("DateGreaterThanEquals", "aws:CurrentTime", "2026-06-01T12:00:00Z", ABSENT, False),
    ("DateGreaterThanEqualsIfExists", "aws:CurrentTime", "2026-06-01T12:00:00Z", ABSENT, True),
    ("IpAddress", "aws:SourceIp", "127.0.0.0/8", {"aws:SourceIp": "127.0.0.1"}, True),
    ("IpAddress", "aws:SourceIp", "127.0.0.1", {"aws:SourceIp": "127.0.0.1"}, True),
    ("IpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:SourceIp": "127.0.0.1"}, False),
    ("IpAddress", "aws:SourceIp", "2001:db8::/32", {"aws:SourceIp": "2001:db8::1"}, True),
    ("IpAddress", "aws:SourceIp", "2001:db8::/32", {"aws:SourceIp": "127.0.0.1"}, False),
    ("IpAddress", "aws:SourceIp", "127.0.0.0/8", ABSENT, False),
    ("IpAddressIfExists", "aws:SourceIp", "127.0.0.0/8", ABSENT, True),
    ("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", {"aws:SourceIp": "127.0.0.1"}, True),
    ("NotIpAddress", "aws:SourceIp", "127.0.0.0/8", {"aws:SourceIp": "127.0.0.1"}, False),
    ("NotIpAddress", "aws:SourceIp", "10.0.0.0/8", ABSENT, True),
    ("NotIpAddressIfExists", "aws:SourceIp", "10.0.0.0/8", ABSENT, True),
]


@pytest.mark.parametrize(("operator", "key", "policy_values", "context", "expected"), OPERATOR_CASES)
def test_condition_operator(operator, key, policy_values, context, expected):
    assert holds({operator: {key: policy_values}}, context) is expected


SET_CASES = [
    # (operator, key, policy values, context value (None: absent), expected)
    ("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", f"{ORG}/{ROOT_ID}/{OU}/*", [f"{ORG}/{ROOT_ID}/{OU}/ou-ab12-child/"], True),
    ("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", f"{ORG}/{ROOT_ID}/{OU}/*", [f"{ORG}/{ROOT_ID}/ou-ab12-other/"], False),
    ("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", f"{ORG}/{ROOT_ID}/{OU}/*", None, False),
    ("ForAnyValue:StringLike", "aws:PrincipalOrgPaths", f"{ORG}/{ROOT_ID}/{OU}/*", [], False),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["a", "b"], ["c", "b"], True),
    ("ForAnyValue:StringEquals", "aws:TagKeys", ["a", "b"], ["c", "d"], False),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ["a"], ["a", "c"], True),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ["a"], ["a"], False),
    ("ForAnyValue:StringNotEquals", "aws:TagKeys", ["a"], None, False),
    ("ForAnyValue:StringEqualsIfExists", "aws:TagKeys", ["a"], None, True),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], ["a"], True),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], ["a", "b"], True),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], ["a", "c"], False),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], None, True),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["a", "b"], [], True),
    ("ForAllValues:StringNotEquals", "aws:TagKeys", ["a"], ["b", "c"], True),
    ("ForAllValues:StringNotEquals", "aws:TagKeys", ["a"], ["a", "b"], False),
    ("ForAllValues:StringNotEquals", "aws:TagKeys", ["a"], None, True),
    ("ForAllValues:StringLike", "aws:TagKeys", ["team-*"], ["team-a", "team-b"], True),
    ("ForAllValues:StringLike", "aws:TagKeys", ["team-*"], ["team-a", "owner"], False),
    # Without a qualifier, a multivalued key holds when any of its values matches (assumption; see the module).
    ("StringLike", "aws:PrincipalOrgPaths", f"{ORG}/{ROOT_ID}/{OU}/*", [f"{ORG}/{ROOT_ID}/x/", f"{ORG}/{ROOT_ID}/{OU}/"], True),
    ("StringNotLike", "aws:PrincipalOrgPaths", f"{ORG}/{ROOT_ID}/{OU}/*", [f"{ORG}/{ROOT_ID}/x/", f"{ORG}/{ROOT_ID}/{OU}/"], False),
]


@pytest.mark.parametrize(("operator", "key", "policy_values", "context_value", "expected"), SET_CASES)
def test_set_qualifiers(operator, key, policy_values, context_value, expected):
    context = {} if context_value is None else {key: context_value}
    assert holds({operator: {key: policy_values}}, context) is expected


COMBINATION_CASES = [
    # condition keys are matched case-insensitively, whatever the policy and the context write
    ({"ArnLike": {"aws:PrincipalARN": "arn:aws:iam::*:root"}}, {"aws:PrincipalArn": ROOT_ARN}, True),
    ({"ArnLike": {"AWS:PRINCIPALARN": "arn:aws:iam::*:root"}}, {"aws:principalarn": ROOT_ARN}, True),
    ({"Null": {"AWS:assumedroot": "true"}}, {"aws:AssumedRoot": "true"}, False),
    # several values of one key: OR
    ({"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}, {"aws:RequestedRegion": "eu-central-1"}, True),
    ({"StringEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}, {"aws:RequestedRegion": "us-east-1"}, False),
    # a negated operator with several values: none may match
    ({"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}, {"aws:RequestedRegion": "eu-central-1"}, False),
    ({"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}}, {"aws:RequestedRegion": "us-east-1"}, True),
    # several keys under one operator: AND
    (
        {"StringEquals": {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalAccount": ACCOUNT}},
        {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalAccount": ACCOUNT},
        True,
    ),
    (
        {"StringEquals": {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalAccount": ACCOUNT}},
        {"aws:RequestedRegion": "eu-west-1", "aws:PrincipalAccount": "2"},
        False,
    ),
    # several operators: AND
    ({"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}, "Null": {"aws:AssumedRoot": "true"}}, {"aws:PrincipalArn": ROOT_ARN}, True),
    (
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::*:root"}, "Null": {"aws:AssumedRoot": "true"}},
        {"aws:PrincipalArn": ROOT_ARN, "aws:AssumedRoot": "true"},
        False,
    ),
    ({}, {}, True),
]


@pytest.mark.parametrize(("condition", "context", "expected"), COMBINATION_CASES)
def test_keys_values_and_operators_combine(condition, context, expected):
    assert holds(condition, context) is expected


VARIABLE_CASES = [
    ({"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}, {"aws:ResourceAccount": ACCOUNT, "aws:PrincipalAccount": ACCOUNT}, True),
    ({"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}, {"aws:ResourceAccount": "2", "aws:PrincipalAccount": ACCOUNT}, False),
    ({"StringEquals": {"aws:ResourceAccount": "${AWS:principalaccount}"}}, {"aws:ResourceAccount": ACCOUNT, "aws:PrincipalAccount": ACCOUNT}, True),
    # the variable's key is absent: that value matches nothing, so the positive form fails and the negated one holds
    ({"StringEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}, {"aws:ResourceAccount": ACCOUNT}, False),
    ({"StringNotEquals": {"aws:ResourceAccount": "${aws:PrincipalAccount}"}}, {"aws:ResourceAccount": ACCOUNT}, True),
    ({"StringEquals": {"aws:ResourceAccount": ["${aws:PrincipalAccount}", ACCOUNT]}}, {"aws:ResourceAccount": ACCOUNT}, True),
    # a default value stands in for an absent key
    ({"StringEquals": {"aws:PrincipalTag/team": "${aws:username, 'nobody'}"}}, {"aws:PrincipalTag/team": "nobody"}, True),
    # ${*}, ${?} and ${$} are the literal characters
    ({"StringEquals": {"s3:prefix": "a${*}b"}}, {"s3:prefix": "a*b"}, True),
    ({"StringLike": {"s3:prefix": "a${*}b"}}, {"s3:prefix": "axb"}, False),
    ({"StringLike": {"s3:prefix": "a*b"}}, {"s3:prefix": "axb"}, True),
    ({"StringLike": {"s3:prefix": "a${?}b"}}, {"s3:prefix": "a?b"}, True),
    ({"StringLike": {"s3:prefix": "a${?}b"}}, {"s3:prefix": "axb"}, False),
    ({"StringEquals": {"s3:prefix": "${$}{x}"}}, {"s3:prefix": "${x}"}, True),
    # a variable's value is literal text, never a wildcard
    ({"StringLike": {"s3:prefix": "home/${aws:username}/*"}}, {"s3:prefix": "home/a*/file", "aws:username": "a*"}, True),
    ({"StringLike": {"s3:prefix": "home/${aws:username}/*"}}, {"s3:prefix": "home/abc/file", "aws:username": "a*"}, False),
    # ARN operators take variables too
    ({"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:root"}}, {"aws:PrincipalArn": ROOT_ARN, "aws:PrincipalAccount": ACCOUNT}, True),
    (
        {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::${aws:PrincipalAccount}:root"}},
        {"aws:PrincipalArn": "arn:aws:iam::2:root", "aws:PrincipalAccount": ACCOUNT},
        False,
    ),
    # a multivalued key is no variable: the value matches nothing
    ({"StringEquals": {"aws:PrincipalOrgID": "${aws:PrincipalOrgPaths}"}}, {"aws:PrincipalOrgID": "x", "aws:PrincipalOrgPaths": ["x", "y"]}, False),
]


@pytest.mark.parametrize(("condition", "context", "expected"), VARIABLE_CASES)
def test_policy_variables_in_conditions(condition, context, expected):
    assert holds(condition, context) is expected


@pytest.mark.parametrize(
    "operator",
    ["StringMatches", "ForSomeValues:StringEquals", "NullIfExists", "ForAnyValue:Null", "stringequals", "StringEqualsIfexists"],
)
def test_unknown_operators_raise(operator):
    with pytest.raises(UnknownOperatorError, match="condition operator|Null takes"):
        holds({operator: {"aws:PrincipalArn": "x"}}, {"aws:PrincipalArn": "x"})


def test_null_takes_only_true_or_false():
    with pytest.raises(PolicyError, match="Null takes true or false"):
        holds({"Null": {"aws:AssumedRoot": "maybe"}}, {})


# ---------------------------------------------------------------------------------------------------------------
# Statements: Action/NotAction, Resource/NotResource, Principal
# ---------------------------------------------------------------------------------------------------------------

STATEMENT_CASES = [
    # (statement without Effect, action, resource, context, expected)
    ({"Action": "s3:DeleteBucketPolicy", "Resource": "*"}, "s3:DeleteBucketPolicy", "arn:aws:s3:::b", {}, True),
    ({"Action": "S3:deletebucketPOLICY", "Resource": "*"}, "s3:DeleteBucketPolicy", "arn:aws:s3:::b", {}, True),
    ({"Action": "s3:Delete*", "Resource": "*"}, "s3:DeleteBucketPolicy", "arn:aws:s3:::b", {}, True),
    ({"Action": "s3:?etBucketPolicy", "Resource": "*"}, "s3:GetBucketPolicy", "arn:aws:s3:::b", {}, True),
    ({"Action": "s3:?etBucketPolicy", "Resource": "*"}, "s3:DeleteBucketPolicy", "arn:aws:s3:::b", {}, False),
    ({"Action": ["iam:*", "sqs:*"], "Resource": "*"}, "s3:GetBucketPolicy", "arn:aws:s3:::b", {}, False),
    ({"Action": "*", "Resource": "*"}, "sqs:SetQueueAttributes", "arn:aws:sqs:eu-west-1:1:q", {}, True),
    ({"NotAction": ["iam:*", "sts:*"], "Resource": "*"}, "s3:GetBucketPolicy", "arn:aws:s3:::b", {}, True),
    ({"NotAction": ["iam:*", "sts:*"], "Resource": "*"}, "IAM:GetUser", ROOT_ARN, {}, False),
    ({"Action": "s3:*", "Resource": "arn:aws:s3:::b"}, "s3:GetBucketPolicy", "arn:aws:s3:::b", {}, True),
    ({"Action": "s3:*", "Resource": "arn:aws:s3:::B"}, "s3:GetBucketPolicy", "arn:aws:s3:::b", {}, False),
    ({"Action": "s3:*", "Resource": "arn:aws:s3:::b*"}, "s3:GetObject", "arn:aws:s3:::bucket/x:y/z", {}, True),
    ({"Action": "s3:*", "Resource": "arn:aws:s3:::b?"}, "s3:GetBucketPolicy", "arn:aws:s3:::bx", {}, True),
    ({"Action": "s3:*", "Resource": "arn:aws:s3:::b?"}, "s3:GetBucketPolicy", "arn:aws:s3:::bxy", {}, False),
    ({"Action": "iam:*", "Resource": "arn:aws:iam::*:root"}, "iam:GetAccountSummary", "*", {}, False),
    ({"Action": "iam:*", "Resource": "*"}, "iam:GetAccountSummary", "*", {}, True),
    ({"Action": "iam:*", "NotResource": "arn:aws:iam::*:root"}, "iam:GetUser", ROOT_ARN, {}, False),
    ({"Action": "iam:*", "NotResource": "arn:aws:iam::*:root"}, "iam:GetUser", f"arn:aws:iam::{ACCOUNT}:user/bob", {}, True),
    (
        {"Action": "sqs:*", "Resource": "arn:aws:sqs:*:${aws:PrincipalAccount}:*"},
        "sqs:GetQueueAttributes",
        f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q",
        {"aws:PrincipalAccount": ACCOUNT},
        True,
    ),
    (
        {"Action": "sqs:*", "Resource": "arn:aws:sqs:*:${aws:PrincipalAccount}:*"},
        "sqs:GetQueueAttributes",
        "arn:aws:sqs:eu-west-1:222222222222:q",
        {"aws:PrincipalAccount": ACCOUNT},
        False,
    ),
    ({"Action": "sqs:*", "Resource": "arn:aws:sqs:*:${aws:PrincipalAccount}:*"}, "sqs:GetQueueAttributes", f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q", {}, False),
    ({"Action": "sqs:*", "NotResource": "arn:aws:sqs:*:${aws:PrincipalAccount}:*"}, "sqs:GetQueueAttributes", f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q", {}, True),
    ({"Action": "iam:*", "Resource": "arn:aws:iam::1:user/${aws:username}"}, "iam:GetUser", "arn:aws:iam::1:user/abc", {"aws:username": "a*"}, False),
    (
        {"Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}},
        "s3:GetBucketPolicy",
        "arn:aws:s3:::b",
        {"aws:RequestedRegion": "us-east-1"},
        False,
    ),
]


@pytest.mark.parametrize(("statement", "action", "resource", "context", "expected"), STATEMENT_CASES)
def test_statement_matching(statement, action, resource, context, expected):
    assert statement_matches({"Effect": "Deny", **statement}, Request(action, resource, context)) is expected


@pytest.mark.parametrize(
    ("statement", "policy_type", "message"),
    [
        ({"Effect": "Deny", "Resource": "*"}, SERVICE_CONTROL_POLICY, "exactly one of Action and NotAction"),
        ({"Effect": "Deny", "Action": "*", "NotAction": "s3:*", "Resource": "*"}, SERVICE_CONTROL_POLICY, "exactly one of Action and NotAction"),
        ({"Effect": "Deny", "Action": "*"}, SERVICE_CONTROL_POLICY, "exactly one of Resource and NotResource"),
        ({"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}, SERVICE_CONTROL_POLICY, "SCP statements take no Principal"),
        ({"Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::1:root"}, "Action": "*", "Resource": "*"}, RESOURCE_CONTROL_POLICY, "Principal must be"),
        ({"Effect": "Deny", "NotPrincipal": "*", "Action": "*", "Resource": "*"}, RESOURCE_CONTROL_POLICY, "NotPrincipal"),
    ],
)
def test_malformed_statements_raise(statement, policy_type, message):
    with pytest.raises(PolicyError, match=message):
        statement_matches(statement, Request("s3:GetObject", "*"), policy_type)


def test_rcp_principal_star_in_both_spellings_matches_every_caller():
    for principal in ("*", {"AWS": "*"}):
        statement = {"Effect": "Deny", "Principal": principal, "Action": "sqs:*", "Resource": "*"}
        assert statement_matches(statement, Request("sqs:SetQueueAttributes", "arn:aws:sqs:eu-west-1:1:q"), RESOURCE_CONTROL_POLICY) is True


def test_effect_must_be_allow_or_deny():
    policy = Policy("p-bad", "Bad", {"Statement": [{"Effect": "deny", "Action": "*", "Resource": "*"}]})
    with pytest.raises(PolicyError, match="Effect must be Allow or Deny"):
        evaluate_scps(full_access_path(policy), Request("s3:GetObject", "*"))


# ---------------------------------------------------------------------------------------------------------------
# SCP evaluation across levels
# ---------------------------------------------------------------------------------------------------------------

DENY_S3_DELETE = {"Version": "2012-10-17", "Statement": [{"Sid": "NoDelete", "Effect": "Deny", "Action": "s3:Delete*", "Resource": "*"}]}
DENY_NO_SID = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Effect": "Deny", "Action": "sqs:*", "Resource": "*"}]}
ALLOW_S3_IAM = {"Statement": [{"Effect": "Allow", "Action": ["s3:*", "iam:*"], "Resource": "*"}]}
REGION_DENY = {
    "Statement": [
        {
            "Sid": "DenyOutsideEU",
            "Effect": "Deny",
            "NotAction": ["iam:*", "sts:*", "organizations:*"],
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["eu-west-1", "eu-central-1"]}},
        }
    ]
}
BUCKET = "arn:aws:s3:::app-data"


def test_full_access_everywhere_allows():
    assert evaluate_scps(full_access_path(), Request("s3:DeleteBucketPolicy", BUCKET, root_session())) == Decision(True, None, SERVICE_CONTROL_POLICY)


def test_deny_at_ou_level_only_names_the_policy_target_and_sid():
    deny = Policy("p-nodelete1", "NoS3Delete", DENY_S3_DELETE, arn=policy_arn(MANAGEMENT, ORG, "p-nodelete1"))
    decision = evaluate_scps(full_access_path(deny), Request("s3:DeleteBucketPolicy", BUCKET, root_session()))
    assert decision == Decision(
        allowed=False,
        reason="explicit_deny",
        policy_type=SERVICE_CONTROL_POLICY,
        policy_id="p-nodelete1",
        policy_name="NoS3Delete",
        policy_arn=f"arn:aws:organizations::{MANAGEMENT}:policy/{ORG}/service_control_policy/p-nodelete1",
        target_id=OU,
        statement="NoDelete",
    )
    assert evaluate_scps(full_access_path(deny), Request("s3:PutBucketPolicy", BUCKET, root_session())).allowed is True


def test_a_statement_without_sid_is_named_by_its_index():
    decision = evaluate_scps(full_access_path(Policy("p-nosqs", "NoSqs", DENY_NO_SID)), Request("sqs:GetQueueAttributes", "*", role()))
    assert (decision.reason, decision.statement, decision.target_id) == ("explicit_deny", 1, OU)


def test_deny_at_several_levels_reports_the_highest():
    deny_root = Policy("p-rootdeny", "RootDeny", DENY_S3_DELETE, target_id=ROOT_ID)
    deny_account = Policy("p-accountdeny", "AccountDeny", DENY_S3_DELETE, target_id=ACCOUNT)
    full = Policy("p-FullAWSAccess", "FullAWSAccess", examples.FULL_AWS_ACCESS)
    levels = [[full, deny_root], Level(OU, [full]), [Policy("p-FullAWSAccess", "FullAWSAccess", examples.FULL_AWS_ACCESS, ACCOUNT), deny_account]]
    decision = evaluate_scps(levels, Request("s3:DeleteBucket", BUCKET, role()))
    assert (decision.policy_id, decision.target_id) == ("p-rootdeny", ROOT_ID)


def test_full_access_detached_from_an_ou_leaves_only_what_its_scps_allow():
    full = Policy("p-FullAWSAccess", "FullAWSAccess", examples.FULL_AWS_ACCESS)
    levels = [Level(ROOT_ID, [full]), Level(OU, [Policy("p-s3iam", "AllowS3Iam", ALLOW_S3_IAM)]), Level(ACCOUNT, [full])]
    assert evaluate_scps(levels, Request("s3:DeleteBucketPolicy", BUCKET, root_session())).allowed is True
    assert evaluate_scps(levels, Request("iam:GetUser", ROOT_ARN, root_session())).allowed is True
    decision = evaluate_scps(levels, Request("sqs:SetQueueAttributes", f"arn:aws:sqs:eu-west-1:{ACCOUNT}:q", root_session()))
    assert decision == Decision(allowed=False, reason="not_allowed", policy_type=SERVICE_CONTROL_POLICY, target_id=OU)


def test_an_allow_whose_condition_fails_does_not_allow():
    conditional = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*", "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}}}]}
    full = Policy("p-FullAWSAccess", "FullAWSAccess", examples.FULL_AWS_ACCESS)
    levels = [Level(ROOT_ID, [full]), Level(OU, [full]), Level(ACCOUNT, [Policy("p-euonly", "EUOnly", conditional)])]
    assert evaluate_scps(levels, Request("s3:GetBucketPolicy", BUCKET, role(region="eu-west-1"))).allowed is True
    assert evaluate_scps(levels, Request("s3:GetBucketPolicy", BUCKET, role(region="us-east-1"))) == Decision(
        False, "not_allowed", SERVICE_CONTROL_POLICY, target_id=ACCOUNT
    )


def test_explicit_deny_wins_over_allow_in_the_same_policy():
    document = {"Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}, {"Sid": "D", "Effect": "Deny", "Action": "s3:*", "Resource": "*"}]}
    levels = [Level(t, [Policy("p-mixed", "Mixed", document)]) for t in (ROOT_ID, OU, ACCOUNT)]
    decision = evaluate_scps(levels, Request("s3:GetBucketPolicy", BUCKET))
    assert (decision.reason, decision.target_id, decision.statement) == ("explicit_deny", ROOT_ID, "D")


@pytest.mark.parametrize(
    ("region", "action", "resource", "expected"),
    [
        ("eu-west-1", "s3:DeleteBucketPolicy", BUCKET, ALLOWED),
        ("us-east-1", "s3:DeleteBucketPolicy", BUCKET, "deny:DenyOutsideEU"),
        ("us-east-1", "sqs:SetQueueAttributes", f"arn:aws:sqs:us-east-1:{ACCOUNT}:q", "deny:DenyOutsideEU"),
        ("us-east-1", "iam:DeleteLoginProfile", ROOT_ARN, ALLOWED),
        ("ap-south-1", "sts:GetCallerIdentity", "*", ALLOWED),
    ],
)
def test_region_deny(region, action, resource, expected):
    levels = full_access_path(Policy("p-region", "RegionDeny", REGION_DENY))
    assert outcome(evaluate_scps(levels, Request(action, resource, root_session(region)))) == expected


def test_policies_as_mappings_and_json_text():
    levels = [
        [{"id": "p-FullAWSAccess", "name": "FullAWSAccess", "document": json.dumps(examples.FULL_AWS_ACCESS), "target_id": ROOT_ID}],
        [
            {"id": "p-FullAWSAccess", "name": "FullAWSAccess", "document": examples.FULL_AWS_ACCESS, "target_id": OU},
            {"id": "p-json", "name": "AsText", "document": json.dumps({"Statement": {"Effect": "Deny", "Action": "s3:*", "Resource": "*"}}), "target_id": OU},
        ],
        [{"id": "p-FullAWSAccess", "name": "FullAWSAccess", "document": examples.FULL_AWS_ACCESS, "target_id": ACCOUNT}],
    ]
    decision = evaluate_scps(levels, Request("s3:GetBucketPolicy", BUCKET))
    assert (decision.reason, decision.policy_id, decision.target_id, decision.statement) == ("explicit_deny", "p-json", OU, 0)
    assert evaluate_scps(levels, Request("sqs:GetQueueAttributes", "*")).allowed is True


def test_a_level_naming_two_targets_or_no_level_at_all_is_refused():
    with pytest.raises(PolicyError, match="different targets"):
        evaluate_scps([[Policy("p-1", "A", examples.FULL_AWS_ACCESS, "r-1"), Policy("p-2", "B", examples.FULL_AWS_ACCESS, "ou-1")]], Request("s3:GetObject"))
    with pytest.raises(PolicyError, match="no level"):
        evaluate_scps([], Request("s3:GetObject"))


# ---------------------------------------------------------------------------------------------------------------
# RCP evaluation
# ---------------------------------------------------------------------------------------------------------------

QUEUE = f"arn:aws:sqs:eu-west-1:{ACCOUNT}:orders"
RCP_SQS_ORG_ONLY = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "SqsOrgOnly",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "sqs:*",
            "Resource": "*",
            "Condition": {"StringNotEqualsIfExists": {"aws:PrincipalOrgID": ORG}, "BoolIfExists": {"aws:PrincipalIsAWSService": "false"}},
        }
    ],
}
RCP_SQS_NO_POLICY_CHANGE = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "sqs:SetQueueAttributes", "Resource": QUEUE}]}


def test_rcp_on_an_sqs_queue():
    levels = rcp_path(Policy("p-sqsorg", "SqsOrgOnly", RCP_SQS_ORG_ONLY))
    inside = Request("sqs:SetQueueAttributes", QUEUE, root_session("eu-west-1"))
    outside = Request(
        "sqs:SetQueueAttributes", QUEUE, principal_context("role", "222222222222", "o-otherorg22", ["o-otherorg22/r-zz99/"], "eu-west-1", name="X")
    )
    service = Request("sqs:SendMessage", QUEUE, {"aws:PrincipalIsAWSService": "true", "aws:RequestedRegion": "eu-west-1"})
    assert evaluate_rcps(levels, inside) == Decision(True, None, RESOURCE_CONTROL_POLICY)
    assert evaluate_rcps(levels, outside) == Decision(False, "explicit_deny", RESOURCE_CONTROL_POLICY, "p-sqsorg", "SqsOrgOnly", None, OU, "SqsOrgOnly")
    assert evaluate_rcps(levels, service).allowed is True


def test_rcp_denies_a_root_session_its_queue_unlock_and_the_message_says_so():
    levels = rcp_path(Policy("p-sqslock", "SqsLock", RCP_SQS_NO_POLICY_CHANGE, arn=policy_arn(MANAGEMENT, ORG, "p-sqslock", RESOURCE_CONTROL_POLICY)))
    request = Request("sqs:SetQueueAttributes", QUEUE, root_session("eu-west-1"))
    decision = evaluate_rcps(levels, request)
    assert (decision.reason, decision.statement, decision.target_id) == ("explicit_deny", 0, OU)
    assert denial_message(decision, request, ROOT_ARN) == (
        f"User: {ROOT_ARN} is not authorized to perform: sqs:SetQueueAttributes on resource: {QUEUE} with an explicit deny in a "
        f"resource control policy: arn:aws:organizations::{MANAGEMENT}:policy/{ORG}/resource_control_policy/p-sqslock"
    )
    assert evaluate_rcps(levels, Request("sqs:GetQueueAttributes", QUEUE, root_session("eu-west-1"))).allowed is True


def test_rcps_never_touch_iam_so_no_rcp_stops_root_credential_tasks():
    deny_everything = {"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}
    levels = rcp_path(Policy("p-all", "DenyAll", deny_everything))
    assert evaluate_rcps(levels, Request("iam:DeleteLoginProfile", ROOT_ARN, root_session())).allowed is True
    assert evaluate_rcps(levels, Request("s3:GetBucketPolicy", BUCKET, root_session())).reason == "explicit_deny"


def test_rcp_level_without_rcp_full_aws_access_is_not_allowed():
    full = Policy("p-RCPFullAWSAccess", "RCPFullAWSAccess", examples.RCP_FULL_AWS_ACCESS)
    levels = [Level(ROOT_ID, [full]), Level(OU, []), Level(ACCOUNT, [full])]
    assert evaluate_rcps(levels, Request("s3:GetBucketPolicy", BUCKET, root_session())) == Decision(False, "not_allowed", RESOURCE_CONTROL_POLICY, target_id=OU)


@pytest.mark.parametrize(
    ("action", "settings", "expected"),
    [
        ("s3:DeleteBucketPolicy", None, True),
        ("S3:PutBucketPolicy", None, True),
        ("sqs:SetQueueAttributes", None, True),
        ("kms:Decrypt", None, True),
        ("secretsmanager:GetSecretValue", None, True),
        ("sts:AssumeRole", None, True),
        ("sts:AssumeRoot", None, False),
        ("sts:AssumeRoot", {"rcp_applies_to_assume_root": True}, True),
        ("sts:GetCallerIdentity", None, False),
        ("logs:PutLogEvents", None, True),
        ("dynamodb:GetItem", None, True),
        ("ecr:BatchGetImage", None, True),
        ("cognito-idp:AdminGetUser", None, True),
        ("aoss:APIAccessAll", None, True),
        ("iam:DeleteLoginProfile", None, False),
        ("iam:CreateLoginProfile", None, False),
        ("ec2:RunInstances", None, False),
        ("organizations:DescribeOrganization", None, False),
    ],
)
def test_rcp_applies(action, settings, expected):
    assert rcp_applies(action, settings) is expected


# ---------------------------------------------------------------------------------------------------------------
# Request contexts
# ---------------------------------------------------------------------------------------------------------------


def test_root_session_context():
    assert root_session("eu-west-1") == {
        "aws:PrincipalArn": ROOT_ARN,
        "aws:AssumedRoot": "true",
        "aws:PrincipalAccount": ACCOUNT,
        "aws:PrincipalOrgID": ORG,
        "aws:PrincipalOrgPaths": ORG_PATHS,
        "aws:RequestedRegion": "eu-west-1",
        "aws:SecureTransport": "true",
        "aws:CurrentTime": "2026-06-01T12:00:00Z",
        "aws:EpochTime": str(NOW_EPOCH),
        "aws:SourceIp": "127.0.0.1",
        "aws:PrincipalIsAWSService": "false",
        "aws:ViaAWSService": "false",
        "aws:userid": ACCOUNT,
        "aws:TokenIssueTime": "2026-06-01T12:00:00Z",
        "aws:MultiFactorAuthPresent": "false",
        "aws:PrincipalType": "Account",
    }
    assert not any(key.lower().startswith("aws:principaltag/") for key in root_session())


def test_root_session_settings_override_the_assumptions():
    context = root_session(
        settings={"root_session_mfa_present": None, "root_session_principal_type": "AssumedRoot"}, secure_transport=False, source_ip="10.1.2.3"
    )
    assert "aws:MultiFactorAuthPresent" not in context
    assert (context["aws:PrincipalType"], context["aws:SecureTransport"], context["aws:SourceIp"]) == ("AssumedRoot", "false", "10.1.2.3")


@pytest.mark.parametrize(
    ("kind", "name", "principal_arn", "principal_type"),
    [
        ("role", "AppDeployer", f"arn:aws:iam::{ACCOUNT}:role/AppDeployer", "AssumedRole"),
        ("user", "bob", f"arn:aws:iam::{ACCOUNT}:user/bob", "User"),
        ("root", None, ROOT_ARN, "Account"),
    ],
)
def test_other_principals(kind, name, principal_arn, principal_type):
    context = principal_context(kind, ACCOUNT, ORG, ORG_PATHS, "eu-west-1", name=name, now=NOW, principal_tags={"team": "ops"}, mfa_present=True)
    assert context["aws:PrincipalArn"] == principal_arn
    assert context["aws:PrincipalType"] == principal_type
    assert "aws:AssumedRoot" not in context
    assert (context["aws:PrincipalTag/team"], context["aws:MultiFactorAuthPresent"], context["aws:PrincipalOrgPaths"]) == ("ops", "true", ORG_PATHS)
    assert ("aws:username" in context) is (kind == "user")


def test_principal_context_refuses_unknown_kinds_and_nameless_roles():
    with pytest.raises(ValueError, match="kind must be"):
        principal_context("group", ACCOUNT, ORG, ORG_PATHS, "eu-west-1", name="x")
    with pytest.raises(ValueError, match="needs a name"):
        principal_context("role", ACCOUNT, ORG, ORG_PATHS, "eu-west-1")


def test_a_principal_outside_any_organization_has_no_organization_keys():
    context = principal_context("role", ACCOUNT, None, None, "eu-west-1", name="x", now=NOW)
    assert "aws:PrincipalOrgID" not in context and "aws:PrincipalOrgPaths" not in context


# ---------------------------------------------------------------------------------------------------------------
# Access-denied messages
# ---------------------------------------------------------------------------------------------------------------

SCP_ARN = f"arn:aws:organizations::{MANAGEMENT}:policy/{ORG}/service_control_policy/p-ct123"


@pytest.mark.parametrize(
    ("decision", "include_arn", "expected"),
    [
        (
            Decision(False, "explicit_deny", SERVICE_CONTROL_POLICY, "p-ct123", "CT", SCP_ARN, OU, "GRRESTRICTROOTUSER"),
            True,
            f"User: {ROOT_ARN} is not authorized to perform: s3:DeleteBucketPolicy on resource: {BUCKET} "
            f"with an explicit deny in a service control policy: {SCP_ARN}",
        ),
        (
            Decision(False, "explicit_deny", SERVICE_CONTROL_POLICY, "p-ct123", "CT", SCP_ARN, OU, "GRRESTRICTROOTUSER"),
            False,
            f"User: {ROOT_ARN} is not authorized to perform: s3:DeleteBucketPolicy on resource: {BUCKET} with an explicit deny in a service control policy",
        ),
        (
            Decision(False, "explicit_deny", SERVICE_CONTROL_POLICY, "p-ct123", "CT", None, OU, 0),
            True,
            f"User: {ROOT_ARN} is not authorized to perform: s3:DeleteBucketPolicy on resource: {BUCKET} with an explicit deny in a service control policy",
        ),
        (
            Decision(False, "not_allowed", SERVICE_CONTROL_POLICY, target_id=OU),
            True,
            f"User: {ROOT_ARN} is not authorized to perform: s3:DeleteBucketPolicy on resource: {BUCKET} "
            "because no service control policy allows the s3:DeleteBucketPolicy action",
        ),
        (
            Decision(False, "explicit_deny", RESOURCE_CONTROL_POLICY, "p-rcp1", "R", None, OU, 0),
            True,
            f"User: {ROOT_ARN} is not authorized to perform: s3:DeleteBucketPolicy on resource: {BUCKET} with an explicit deny in a resource control policy",
        ),
    ],
)
def test_denial_message(decision, include_arn, expected):
    assert denial_message(decision, Request("s3:DeleteBucketPolicy", BUCKET, root_session()), ROOT_ARN, include_policy_arn=include_arn) == expected


def test_an_allowed_decision_has_no_denial_message():
    with pytest.raises(ValueError, match="no denial message"):
        denial_message(Decision(True, None, SERVICE_CONTROL_POLICY), Request("s3:GetObject"), ROOT_ARN)


def test_policy_arns():
    assert policy_arn(MANAGEMENT, ORG, "p-FullAWSAccess") == "arn:aws:organizations::aws:policy/service_control_policy/p-FullAWSAccess"
    assert (
        policy_arn(MANAGEMENT, ORG, "p-RCPFullAWSAccess", RESOURCE_CONTROL_POLICY)
        == "arn:aws:organizations::aws:policy/resource_control_policy/p-RCPFullAWSAccess"
    )
    assert policy_arn(MANAGEMENT, ORG, "p-abc") == f"arn:aws:organizations::{MANAGEMENT}:policy/{ORG}/service_control_policy/p-abc"


# ---------------------------------------------------------------------------------------------------------------
# Published policies, filled as a landing zone would, against the calls of the five root tasks
# ---------------------------------------------------------------------------------------------------------------

APP_BUCKET = "app-data"
ACCELERATOR_BUCKET = f"aws-accelerator-central-logs-{ACCOUNT}-ca-central-1"
IAM_REGION = "us-east-1"  # IAM is global: its requests carry aws:RequestedRegion us-east-1

# Task -> (action, resource kind). "root" is the root user's ARN; "mfa" the root user's virtual MFA device;
# "bucket" and "queue" the locked resource.
TASK_CALLS = {
    "IAMAuditRootUserCredentials": [
        ("iam:GetUser", "root"),
        ("iam:GetLoginProfile", "root"),
        ("iam:ListAccessKeys", "root"),
        ("iam:ListMFADevices", "root"),
        ("iam:ListSigningCertificates", "root"),
        ("iam:GetAccessKeyLastUsed", "root"),
        ("iam:GetAccountSummary", "*"),
    ],
    "IAMDeleteRootUserCredentials": [
        ("iam:DeleteLoginProfile", "root"),
        ("iam:DeleteAccessKey", "root"),
        ("iam:DeleteSigningCertificate", "root"),
        ("iam:DeactivateMFADevice", "root"),
        ("iam:DeleteVirtualMFADevice", "mfa"),
        ("iam:ListAccessKeys", "root"),
    ],
    "IAMCreateRootUserPassword": [("iam:CreateLoginProfile", "root"), ("iam:GetLoginProfile", "root")],
    "S3UnlockBucketPolicy": [("s3:GetBucketPolicy", "bucket"), ("s3:DeleteBucketPolicy", "bucket"), ("s3:PutBucketPolicy", "bucket")],
    "SQSUnlockQueuePolicy": [("sqs:GetQueueAttributes", "queue"), ("sqs:SetQueueAttributes", "queue")],
}
S3_SQS = ("S3UnlockBucketPolicy", "SQSUnlockQueuePolicy")
IAM_TASKS = ("IAMAuditRootUserCredentials", "IAMDeleteRootUserCredentials", "IAMCreateRootUserPassword")


def resource_arn(kind: str, region: str, bucket: str) -> str:
    return {
        "root": ROOT_ARN,
        "mfa": f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device",
        "bucket": f"arn:aws:s3:::{bucket}",
        "queue": f"arn:aws:sqs:{region}:{ACCOUNT}:orders",
        "*": "*",
    }[kind]


def outcome(decision: Decision) -> str:
    if decision.allowed:
        return ALLOWED
    if decision.reason == "explicit_deny":
        return f"deny:{decision.statement}"
    return f"not_allowed:{decision.target_id}"


# (scenario id, policy, policy type, principal, region of S3/SQS calls, bucket, expected by default,
#  expected per task or per action where it differs from the default)
PUBLISHED_SCENARIOS = [
    # aws-samples SCP: denies the root user everything unless aws:AssumedRoot is present.
    ("samples-prevent-root/root-session", examples.SCP_PREVENT_ROOT_CREDENTIALS_MANAGEMENT, "scp", "root-session", "eu-west-1", APP_BUCKET, ALLOWED, {}),
    ("samples-prevent-root/role", examples.SCP_PREVENT_ROOT_CREDENTIALS_MANAGEMENT, "scp", "role", "eu-west-1", APP_BUCKET, ALLOWED, {}),
    ("samples-prevent-root/root-user", examples.SCP_PREVENT_ROOT_CREDENTIALS_MANAGEMENT, "scp", "root-user", "eu-west-1", APP_BUCKET, "deny:0", {}),
    # Control Tower AWS-GR_RESTRICT_ROOT_USER without parameters: every root-session call denied.
    (
        "ct-default/root-session",
        examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT,
        "scp",
        "root-session",
        "eu-west-1",
        APP_BUCKET,
        "deny:GRRESTRICTROOTUSER",
        {},
    ),
    ("ct-default/role", examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT, "scp", "role", "eu-west-1", APP_BUCKET, ALLOWED, {}),
    ("ct-default/root-user", examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT, "scp", "root-user", "eu-west-1", APP_BUCKET, "deny:GRRESTRICTROOTUSER", {}),
    # ... with ExemptAssumeRoot: root sessions pass, the root user's own credentials do not.
    ("ct-exempt/root-session", examples.CONTROL_TOWER_RESTRICT_ROOT_USER_EXEMPT_ASSUME_ROOT, "scp", "root-session", "eu-west-1", APP_BUCKET, ALLOWED, {}),
    ("ct-exempt/role", examples.CONTROL_TOWER_RESTRICT_ROOT_USER_EXEMPT_ASSUME_ROOT, "scp", "role", "eu-west-1", APP_BUCKET, ALLOWED, {}),
    (
        "ct-exempt/root-user",
        examples.CONTROL_TOWER_RESTRICT_ROOT_USER_EXEMPT_ASSUME_ROOT,
        "scp",
        "root-user",
        "eu-west-1",
        APP_BUCKET,
        "deny:GRRESTRICTROOTUSER",
        {},
    ),
    # ... with ExemptedPrincipalArns only (roles): a root session is no role, so still denied.
    (
        "ct-exempted-roles/root-session",
        examples.control_tower_restrict_root_user(["arn:aws:iam::*:role/BreakGlass*"]),
        "scp",
        "root-session",
        "eu-west-1",
        APP_BUCKET,
        "deny:GRRESTRICTROOTUSER",
        {},
    ),
    # LZA universal configuration core guardrails 2: GRRU exempts root sessions; GRS3 denies policy changes on the
    # accelerator's own buckets to everyone but its roles, root sessions included.
    (
        "lza-universal/root-session/app-bucket",
        examples.fill(examples.LZA_UNIVERSAL_CORE_GUARDRAILS_2),
        "scp",
        "root-session",
        "ca-central-1",
        APP_BUCKET,
        ALLOWED,
        {},
    ),
    (
        "lza-universal/root-session/accelerator-bucket",
        examples.fill(examples.LZA_UNIVERSAL_CORE_GUARDRAILS_2),
        "scp",
        "root-session",
        "ca-central-1",
        ACCELERATOR_BUCKET,
        ALLOWED,
        {"s3:DeleteBucketPolicy": "deny:GRS3", "s3:PutBucketPolicy": "deny:GRS3"},
    ),
    (
        "lza-universal/role/accelerator-bucket",
        examples.fill(examples.LZA_UNIVERSAL_CORE_GUARDRAILS_2),
        "scp",
        "role",
        "ca-central-1",
        ACCELERATOR_BUCKET,
        ALLOWED,
        {"s3:DeleteBucketPolicy": "deny:GRS3", "s3:PutBucketPolicy": "deny:GRS3"},
    ),
    (
        "lza-universal/accelerator-role/accelerator-bucket",
        examples.fill(examples.LZA_UNIVERSAL_CORE_GUARDRAILS_2),
        "scp",
        "accelerator-role",
        "ca-central-1",
        ACCELERATOR_BUCKET,
        ALLOWED,
        {},
    ),
    (
        "lza-universal/root-user/app-bucket",
        examples.fill(examples.LZA_UNIVERSAL_CORE_GUARDRAILS_2),
        "scp",
        "root-user",
        "ca-central-1",
        APP_BUCKET,
        "deny:GRRU",
        {},
    ),
    # LZA for CCCS Medium: ROOT exempts root sessions; GBL1 denies S3 and SQS outside the home Region and us-*
    # (IAM and STS exempt).
    ("lza-cccs/root-session/home", examples.fill(examples.LZA_CCCS_MEDIUM_GUARDRAILS_UNCLASS), "scp", "root-session", "ca-central-1", APP_BUCKET, ALLOWED, {}),
    (
        "lza-cccs/root-session/eu-west-1",
        examples.fill(examples.LZA_CCCS_MEDIUM_GUARDRAILS_UNCLASS),
        "scp",
        "root-session",
        "eu-west-1",
        APP_BUCKET,
        ALLOWED,
        {"S3UnlockBucketPolicy": "deny:GBL1", "SQSUnlockQueuePolicy": "deny:GBL1"},
    ),
    (
        "lza-cccs/role/eu-west-1",
        examples.fill(examples.LZA_CCCS_MEDIUM_GUARDRAILS_UNCLASS),
        "scp",
        "role",
        "eu-west-1",
        APP_BUCKET,
        ALLOWED,
        {"S3UnlockBucketPolicy": "deny:GBL1", "SQSUnlockQueuePolicy": "deny:GBL1"},
    ),
    (
        "lza-cccs/accelerator-role/eu-west-1",
        examples.fill(examples.LZA_CCCS_MEDIUM_GUARDRAILS_UNCLASS),
        "scp",
        "accelerator-role",
        "eu-west-1",
        APP_BUCKET,
        ALLOWED,
        {},
    ),
    ("lza-cccs/root-user/home", examples.fill(examples.LZA_CCCS_MEDIUM_GUARDRAILS_UNCLASS), "scp", "root-user", "ca-central-1", APP_BUCKET, "deny:ROOT", {}),
    # aws-samples Region deny (eu-central-1, eu-west-1 allowed; IAM, STS... exempt; one privileged role exempt).
    (
        "samples-region/root-session/eu-west-1",
        examples.fill(examples.SCP_DENY_BY_REQUESTED_REGION),
        "scp",
        "root-session",
        "eu-west-1",
        APP_BUCKET,
        ALLOWED,
        {},
    ),
    (
        "samples-region/root-session/us-east-2",
        examples.fill(examples.SCP_DENY_BY_REQUESTED_REGION),
        "scp",
        "root-session",
        "us-east-2",
        APP_BUCKET,
        ALLOWED,
        {"S3UnlockBucketPolicy": "deny:0", "SQSUnlockQueuePolicy": "deny:0"},
    ),
    (
        "samples-region/role/us-east-2",
        examples.fill(examples.SCP_DENY_BY_REQUESTED_REGION),
        "scp",
        "role",
        "us-east-2",
        APP_BUCKET,
        ALLOWED,
        {"S3UnlockBucketPolicy": "deny:0", "SQSUnlockQueuePolicy": "deny:0"},
    ),
    (
        "samples-region/privileged-role/us-east-2",
        examples.fill(examples.SCP_DENY_BY_REQUESTED_REGION),
        "scp",
        "privileged-role",
        "us-east-2",
        APP_BUCKET,
        ALLOWED,
        {},
    ),
    # aws-samples SCP denying deletes on one bucket: a root session may read and replace its policy, not delete it.
    (
        "samples-s3-delete-scp/root-session/protected",
        examples.fill(examples.SCP_DENY_DELETING_S3_BUCKETS_OR_OBJECTS),
        "scp",
        "root-session",
        "eu-west-1",
        "protected-bucket",
        ALLOWED,
        {"s3:DeleteBucketPolicy": "deny:0"},
    ),
    (
        "samples-s3-delete-scp/root-session/other",
        examples.fill(examples.SCP_DENY_DELETING_S3_BUCKETS_OR_OBJECTS),
        "scp",
        "root-session",
        "eu-west-1",
        APP_BUCKET,
        ALLOWED,
        {},
    ),
    (
        "samples-s3-delete-scp/role/protected",
        examples.fill(examples.SCP_DENY_DELETING_S3_BUCKETS_OR_OBJECTS),
        "scp",
        "role",
        "eu-west-1",
        "protected-bucket",
        ALLOWED,
        {"s3:DeleteBucketPolicy": "deny:0"},
    ),
    # The same as an RCP: it applies to root sessions too; IAM is out of RCPs' reach.
    (
        "samples-s3-delete-rcp/root-session/protected",
        examples.fill(examples.RCP_S3_DENY_DELETING_BUCKETS_OR_OBJECTS),
        "rcp",
        "root-session",
        "eu-west-1",
        "protected-bucket",
        ALLOWED,
        {"s3:DeleteBucketPolicy": "deny:0"},
    ),
    (
        "samples-s3-delete-rcp/root-session/other",
        examples.fill(examples.RCP_S3_DENY_DELETING_BUCKETS_OR_OBJECTS),
        "rcp",
        "root-session",
        "eu-west-1",
        APP_BUCKET,
        ALLOWED,
        {},
    ),
    (
        "samples-s3-delete-rcp/role/protected",
        examples.fill(examples.RCP_S3_DENY_DELETING_BUCKETS_OR_OBJECTS),
        "rcp",
        "role",
        "eu-west-1",
        "protected-bucket",
        ALLOWED,
        {"s3:DeleteBucketPolicy": "deny:0"},
    ),
    # aws-samples RCP sealing an OU's resources: bucket and queue unlocks denied to everyone but one role and AWS
    # services; the IAM tasks are not RCP business.
    (
        "samples-ou-boundary-rcp/root-session",
        examples.fill(examples.RCP_DENY_RESOURCE_ACCESS_IN_SPECIFIC_OU),
        "rcp",
        "root-session",
        "eu-west-1",
        APP_BUCKET,
        ALLOWED,
        {"S3UnlockBucketPolicy": "deny:0", "SQSUnlockQueuePolicy": "deny:0"},
    ),
    (
        "samples-ou-boundary-rcp/role",
        examples.fill(examples.RCP_DENY_RESOURCE_ACCESS_IN_SPECIFIC_OU),
        "rcp",
        "role",
        "eu-west-1",
        APP_BUCKET,
        ALLOWED,
        {"S3UnlockBucketPolicy": "deny:0", "SQSUnlockQueuePolicy": "deny:0"},
    ),
    (
        "samples-ou-boundary-rcp/privileged-role",
        examples.fill(examples.RCP_DENY_RESOURCE_ACCESS_IN_SPECIFIC_OU),
        "rcp",
        "privileged-role",
        "eu-west-1",
        APP_BUCKET,
        ALLOWED,
        {},
    ),
]


def published_cases():
    for scenario_id, document, kind, principal, region, bucket, default, exceptions in PUBLISHED_SCENARIOS:
        for task, calls in TASK_CALLS.items():
            for action, resource_kind in calls:
                expected = exceptions.get(action, exceptions.get(task, default))
                call_region = region if task in S3_SQS else IAM_REGION
                yield pytest.param(
                    document, kind, principal, call_region, action, resource_arn(resource_kind, region, bucket), expected, id=f"{scenario_id}/{task}/{action}"
                )


@pytest.mark.parametrize(("document", "kind", "principal", "region", "action", "resource", "expected"), list(published_cases()))
def test_published_policy(document, kind, principal, region, action, resource, expected):
    policy = Policy("p-published1", "Published", document)
    request = Request(action, resource, PRINCIPALS[principal](region))
    decision = evaluate_scps(full_access_path(policy), request) if kind == "scp" else evaluate_rcps(rcp_path(policy), request)
    assert outcome(decision) == expected
    if not decision.allowed:
        assert (decision.policy_id, decision.target_id) == ("p-published1", OU)


def test_every_published_policy_is_exercised():
    names = {
        "SCP_PREVENT_ROOT_CREDENTIALS_MANAGEMENT",
        "CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT",
        "CONTROL_TOWER_RESTRICT_ROOT_USER_EXEMPT_ASSUME_ROOT",
        "LZA_UNIVERSAL_CORE_GUARDRAILS_2",
        "LZA_CCCS_MEDIUM_GUARDRAILS_UNCLASS",
        "SCP_DENY_BY_REQUESTED_REGION",
        "SCP_DENY_DELETING_S3_BUCKETS_OR_OBJECTS",
        "RCP_S3_DENY_DELETING_BUCKETS_OR_OBJECTS",
        "RCP_DENY_RESOURCE_ACCESS_IN_SPECIFIC_OU",
    }
    exercised = {json.dumps(scenario[1], sort_keys=True) for scenario in PUBLISHED_SCENARIOS}
    for name in names:
        document = getattr(examples, name)
        assert json.dumps(document, sort_keys=True) in exercised or json.dumps(examples.fill(document), sort_keys=True) in exercised, name


def test_filled_policies_keep_no_placeholder():
    for scenario in PUBLISHED_SCENARIOS:
        text = json.dumps(scenario[1])
        assert [placeholder for placeholder in examples.LANDING_ZONE if placeholder in text] == [], scenario[0]


def test_control_tower_template_renders_the_published_renderings():
    assert examples.control_tower_restrict_root_user() == examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT
    assert examples.control_tower_restrict_root_user(exempt_assume_root=True) == examples.CONTROL_TOWER_RESTRICT_ROOT_USER_EXEMPT_ASSUME_ROOT


def test_the_service_principal_passes_the_ou_boundary_rcp():
    policy = Policy("p-ou", "OuBoundary", examples.fill(examples.RCP_DENY_RESOURCE_ACCESS_IN_SPECIFIC_OU))
    request = Request("s3:GetBucketPolicy", f"arn:aws:s3:::{APP_BUCKET}", {"aws:PrincipalIsAWSService": "true", "aws:RequestedRegion": "eu-west-1"})
    assert evaluate_rcps(rcp_path(policy), request).allowed is True


def test_the_control_tower_denial_of_a_root_session_reads_as_aws_writes_it():
    arn = policy_arn(MANAGEMENT, ORG, "p-ct123")
    policy = Policy("p-ct123", "aws-guardrails-restrict-root", examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT, arn=arn)
    request = Request("s3:DeleteBucketPolicy", BUCKET, root_session("eu-west-1"))
    decision = evaluate_scps(full_access_path(policy), request)
    assert denial_message(decision, request, ROOT_ARN) == (
        f"User: {ROOT_ARN} is not authorized to perform: s3:DeleteBucketPolicy on resource: {BUCKET} with an explicit deny in a service control policy: {arn}"
    )
