# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""validation: every check with valid and invalid input, and the exact messages."""

from __future__ import annotations

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import validation
from ansible_collections.rootguard.aws.plugins.module_utils.errors import InvalidInput

TASK_POLICIES = [
    "IAMAuditRootUserCredentials",
    "IAMCreateRootUserPassword",
    "IAMDeleteRootUserCredentials",
    "S3UnlockBucketPolicy",
    "SQSUnlockQueuePolicy",
]
TASK_POLICY_ARN = "arn:aws:iam::aws:policy/root-task/{}"


def invalid(function, *args) -> InvalidInput:
    with pytest.raises(InvalidInput) as excinfo:
        function(*args)
    error = excinfo.value
    assert str(error) == error.message
    assert error.error_class == "invalid_input"
    assert (error.aws_error_code, error.operation) == (None, None)
    return error


# account_id ----------------------------------------------------------------------------

@pytest.mark.parametrize("value, expected", [
    ("123456789012", "123456789012"),
    ("000000000001", "000000000001"),
    ("012345678901", "012345678901"),
    (123456789012, "123456789012"),
])
def test_account_id_valid(value, expected):
    assert validation.account_id(value, "account_id") == expected


@pytest.mark.parametrize("value, shown", [
    ("12345678901", "'12345678901'"),
    ("1234567890123", "'1234567890123'"),
    ("12345678901a", "'12345678901a'"),
    ("abcdefghijkl", "'abcdefghijkl'"),
    (" 123456789012", "' 123456789012'"),
    ("1234-5678-9012", "'1234-5678-9012'"),
    ("", "''"),
    (12345678901, "12345678901"),
    (1234567890123, "1234567890123"),
    (-12345678901, "-12345678901"),
    (True, "True"),
    (False, "False"),
    (None, "None"),
    (123456789012.0, "123456789012.0"),
    (["123456789012"], "['123456789012']"),
])
def test_account_id_invalid(value, shown):
    error = invalid(validation.account_id, value, "target_account")
    assert error.message == (
        f"target_account: {shown} is not an AWS account id (12 digits; quote it in YAML so that leading zeros stay)."
    )


def test_long_values_are_shortened_in_messages():
    error = invalid(validation.account_id, "9" * 100, "account_ids")
    shown = repr("9" * 100)[:57] + "..."
    assert error.message.startswith(f"account_ids: {shown} is not an AWS account id")


@pytest.mark.parametrize("function, value", [
    (validation.account_id, "123456789012\n"),
    (validation.account_id, "\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662"),
    (validation.account_ids, ["123456789012\n"]),
    (validation.parent_ids, ["ou-ab12-cdefgh34\n"]),
    (validation.parent_ids, ["r-ab12\n"]),
    (validation.service_principal, "iam.amazonaws.com\n"),
    (validation.target_principal, "arn:aws:iam::\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668\u0669\u0660\u0661\u0662:root"),
], ids=["account_id-newline", "account_id-arabic-indic-digits", "account_ids-newline", "parent_ids-ou-newline",
        "parent_ids-root-newline", "service_principal-newline", "target_principal-arabic-indic-digits"])
def test_validators_refuse_trailing_newline_and_non_ascii_digits(function, value):
    invalid(function, value, "option")


# account_ids / optional_account_ids -------------------------------------------------------

def test_account_ids_deduplicates_in_order_and_keeps_leading_zeros():
    values = ["222222222222", "011111111111", "222222222222", 333333333333, "333333333333", "011111111111"]
    assert validation.account_ids(values, "account_ids") == ["222222222222", "011111111111", "333333333333"]


@pytest.mark.parametrize("values", [[], None, ()])
def test_account_ids_empty(values):
    error = invalid(validation.account_ids, values, "account_ids")
    assert error.message == "account_ids: the list is empty; give at least one account id."


def test_account_ids_at_the_limit_is_accepted():
    values = [f"{number:012d}" for number in range(validation.MAX_ACCOUNTS)]
    assert validation.account_ids(values, "account_ids") == values


def test_account_ids_over_the_limit():
    values = [f"{number:012d}" for number in range(10001)]
    error = invalid(validation.account_ids, values, "account_ids")
    assert error.message == "account_ids: 10001 account ids is more than an organization can hold (10000)."


def test_account_ids_names_the_option_and_the_bad_entry():
    error = invalid(validation.account_ids, ["123456789012", "12345"], "exclude_account_ids")
    assert error.message.startswith("exclude_account_ids: '12345' is not an AWS account id")


@pytest.mark.parametrize("values", [[], None])
def test_optional_account_ids_allows_nothing(values):
    assert validation.optional_account_ids(values, "exclude_account_ids") == []


def test_optional_account_ids_validates_what_is_given():
    assert validation.optional_account_ids(["123456789012", "123456789012"], "exclude_account_ids") == ["123456789012"]
    error = invalid(validation.optional_account_ids, [True], "exclude_account_ids")
    assert error.message.startswith("exclude_account_ids: True is not an AWS account id")


# parent_ids -------------------------------------------------------------------------------

def test_parent_ids_valid_forms_deduplicated_in_order():
    values = ["ou-ab12-cdefgh34", "r-ab12", "ou-ab12-cdefgh34", "ou-0123456789abcdef0123456789abcdef-0123456789abcdef0123456789abcdef", "r-a1b2c3"]
    assert validation.parent_ids(values, "organizational_unit_ids") == [
        "ou-ab12-cdefgh34", "r-ab12", "ou-0123456789abcdef0123456789abcdef-0123456789abcdef0123456789abcdef", "r-a1b2c3",
    ]


@pytest.mark.parametrize("value, shown", [
    ("ou-ab12", "'ou-ab12'"),
    ("ou-ab1-cdefgh34", "'ou-ab1-cdefgh34'"),
    ("ou-ab12-cdefgh3", "'ou-ab12-cdefgh3'"),
    ("ou-AB12-cdefgh34", "'ou-AB12-cdefgh34'"),
    ("OU-ab12-cdefgh34", "'OU-ab12-cdefgh34'"),
    ("ou-ab12-cdefgh34-", "'ou-ab12-cdefgh34-'"),
    ("r-ab1", "'r-ab1'"),
    ("r-", "'r-'"),
    ("r-AB12", "'r-AB12'"),
    ("123456789012", "'123456789012'"),
    ("o-a1b2c3d4e5", "'o-a1b2c3d4e5'"),
    (None, "None"),
])
def test_parent_ids_malformed(value, shown):
    error = invalid(validation.parent_ids, ["r-ab12", value], "organizational_unit_ids")
    assert error.message == (
        f"organizational_unit_ids: {shown} is not an organizational unit id (ou-<root part>-<ou part>, such as ou-ab12-cdefgh34) "
        "or a root id (r-ab12)."
    )


@pytest.mark.parametrize("values", [[], None])
def test_parent_ids_empty(values):
    error = invalid(validation.parent_ids, values, "organizational_unit_ids")
    assert error.message == "organizational_unit_ids: the list is empty; give at least one organizational unit id."


# target_principal -------------------------------------------------------------------------

@pytest.mark.parametrize("value", [
    "123456789012",
    123456789012,
    " 123456789012 ",
    "arn:aws:iam::123456789012:root",
    " arn:aws:iam::123456789012:root\n",
])
def test_target_principal_valid(value):
    assert validation.target_principal(value) == "123456789012"


def test_target_principal_keeps_leading_zeros():
    assert validation.target_principal("arn:aws:iam::000011112222:root") == "000011112222"


@pytest.mark.parametrize("value, shown", [
    ("arn:aws:iam::123:user/x", "'arn:aws:iam::123:user/x'"),
    ("arn:aws:iam::123456789012:user/x", "'arn:aws:iam::123456789012:user/x'"),
    ("arn:aws:iam::123456789012:root/x", "'arn:aws:iam::123456789012:root/x'"),
    ("arn:aws:sts::123456789012:root", "'arn:aws:sts::123456789012:root'"),
    ("arn:aws:iam:us-east-1:123456789012:root", "'arn:aws:iam:us-east-1:123456789012:root'"),
    ("arn:AWS:iam::123456789012:root", "'arn:AWS:iam::123456789012:root'"),
    ("arn:aws-us-gov:iam::123456789012:root", "'arn:aws-us-gov:iam::123456789012:root'"),
    ("arn:aws-cn:iam::123456789012:root", "'arn:aws-cn:iam::123456789012:root'"),
    ("12345678901", "'12345678901'"),
    ("", "''"),
    (True, "True"),
    (None, "None"),
])
def test_target_principal_invalid(value, shown):
    error = invalid(validation.target_principal, value)
    assert error.message == (
        f"target_account: {shown} is neither a 12-digit account id nor a root principal ARN (arn:aws:iam::111122223333:root)."
    )


def test_target_principal_names_the_given_option():
    assert invalid(validation.target_principal, "nope", "target").message.startswith("target: 'nope' is neither")


# task_policy_arn --------------------------------------------------------------------------

@pytest.mark.parametrize("name", TASK_POLICIES)
@pytest.mark.parametrize("form", ["{}", TASK_POLICY_ARN, " {} "])
def test_task_policy_arn_by_name_or_arn(name, form):
    assert validation.task_policy_arn(form.format(name)) == TASK_POLICY_ARN.format(name)


@pytest.mark.parametrize("value, shown", [
    ("IAMAuditRootUserCredential", "'IAMAuditRootUserCredential'"),
    ("iamauditrootusercredentials", "'iamauditrootusercredentials'"),
    ("IAMAUDITROOTUSERCREDENTIALS", "'IAMAUDITROOTUSERCREDENTIALS'"),
    ("s3UnlockBucketPolicy", "'s3UnlockBucketPolicy'"),
    ("arn:aws:iam::aws:policy/root-task/iamauditrootusercredentials", "'arn:aws:iam::aws:policy/root-task/iamauditrootusercreden..."),
    ("ARN:AWS:IAM::AWS:POLICY/ROOT-TASK/IAMAuditRootUserCredentials", "'ARN:AWS:IAM::AWS:POLICY/ROOT-TASK/IAMAuditRootUserCreden..."),
    ("arn:aws:iam::aws:policy/IAMAuditRootUserCredentials", "'arn:aws:iam::aws:policy/IAMAuditRootUserCredentials'"),
    ("arn:aws-us-gov:iam::aws:policy/root-task/S3UnlockBucketPolicy", "'arn:aws-us-gov:iam::aws:policy/root-task/S3UnlockBucketP..."),
    ("arn:aws:iam::aws:policy/root-task/", "'arn:aws:iam::aws:policy/root-task/'"),
    ("arn:aws:iam::aws:policy/root-task/AdministratorAccess", "'arn:aws:iam::aws:policy/root-task/AdministratorAccess'"),
    ("AdministratorAccess", "'AdministratorAccess'"),
    ("", "''"),
    (None, "None"),
])
def test_task_policy_arn_unknown_or_wrong_case(value, shown):
    error = invalid(validation.task_policy_arn, value)
    assert error.message == (
        f"task_policy: {shown} is not a root-task policy; use one of IAMAuditRootUserCredentials, IAMCreateRootUserPassword, "
        "IAMDeleteRootUserCredentials, S3UnlockBucketPolicy, SQSUnlockQueuePolicy or its ARN (arn:aws:iam::aws:policy/root-task/<name>)."
    )


def test_task_policy_arn_names_the_given_option():
    assert invalid(validation.task_policy_arn, "x", "policy").message.startswith("policy: 'x' is not a root-task policy")


# duration_seconds -------------------------------------------------------------------------

@pytest.mark.parametrize("value", [0, 1, 899, 900])
def test_duration_seconds_valid(value):
    assert validation.duration_seconds(value) == value


@pytest.mark.parametrize("value, shown", [
    (901, "901"),
    (-1, "-1"),
    (3600, "3600"),
    (True, "True"),
    (False, "False"),
    ("900", "'900'"),
    (900.0, "900.0"),
    (None, "None"),
])
def test_duration_seconds_invalid(value, shown):
    error = invalid(validation.duration_seconds, value)
    assert error.message == f"duration_seconds: {shown} is out of range; AssumeRoot sessions last 0 to 900 seconds."


def test_duration_seconds_names_the_given_option():
    assert invalid(validation.duration_seconds, 901, "duration").message.startswith("duration: 901 is out of range")


# service_principal ------------------------------------------------------------------------

@pytest.mark.parametrize("value", ["iam.amazonaws.com", "sso.amazonaws.com", "config-multiaccountsetup.amazonaws.com", "a.b"])
def test_service_principal_valid(value):
    assert validation.service_principal(value) == value


@pytest.mark.parametrize("value, shown", [
    ("iam", "'iam'"),
    ("", "''"),
    ("iam amazonaws.com", "'iam amazonaws.com'"),
    ("iam.amazonaws.com/", "'iam.amazonaws.com/'"),
    ("arn:aws:iam::aws:service/iam.amazonaws.com", "'arn:aws:iam::aws:service/iam.amazonaws.com'"),
    ("a" * 125 + ".com", repr("a" * 125 + ".com")[:57] + "..."),
    (None, "None"),
])
def test_service_principal_invalid(value, shown):
    error = invalid(validation.service_principal, value)
    assert error.message == f"service_principal: {shown} is not a service principal (such as iam.amazonaws.com)."


def test_service_principal_length_limit():
    longest = "a" * 124 + ".com"
    assert validation.service_principal(longest) == longest
