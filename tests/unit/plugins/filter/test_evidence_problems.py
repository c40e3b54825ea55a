# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest

from ansible_collections.rootguard.aws.plugins.filter.evidence_problems import evidence_problems

GOOD = {"bucket": "rootguard-evidence", "prefix": "root-credentials-audit/nightly", "kms_key_id": "alias/evidence", "region": "eu-west-1"}


def problems(**changes) -> list:
    return evidence_problems({**GOOD, **changes}, option_prefix="root_credentials_audit_")


@pytest.mark.parametrize("settings", [
    GOOD,
    {**GOOD, "bucket": "", "prefix": "", "kms_key_id": ""},
    {**GOOD, "bucket": "a.b-c", "kms_key_id": "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
    {**GOOD, "prefix": "/evidence/"},
    {"bucket": "rootguard-evidence"},
    {**GOOD, "restore_from": "policy-backups/a.json"},
    {**GOOD, "restore_from": "s3://rootguard-evidence/unlock/o-1/x/backup.json"},
])
def test_good_settings_have_no_problem(settings):
    assert evidence_problems(settings, option_prefix="root_credentials_audit_") == []


@pytest.mark.parametrize("name", ["Evidence_Bucket", "s3://rootguard-evidence", "ab", "a" * 64, "192.168.10.20", "rootguard..evidence",
                                  "xn--rootguard", "sthree-x", "amzn-s3-demo-x", "rootguard-evidence-", ".rootguard",
                                  "rootguard-s3alias", "x--ol-s3", "x.mrap", "x--x-s3", "x--table-s3"])
def test_a_bad_bucket_name_is_named_with_its_variable(name):
    assert problems(bucket=name) == [
        f'root_credentials_audit_evidence_bucket: "{name}" is not an S3 bucket name (3 to 63 lowercase letters, digits, '
        "'.' and '-', starting and ending with a letter or digit, no '..', not an IP address; give the name alone, not an s3:// URI)."]


@pytest.mark.parametrize(("restore_from", "expected"), [
    ("s3://Bad_Bucket/key.json", "resource_policy_unlock_restore_from: \"Bad_Bucket\" is not an S3 bucket name (3 to 63 lowercase "
                                 "letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address)."),
    ("s3://rootguard-evidence", "resource_policy_unlock_restore_from must be a local file or s3://bucket/key of a backup, "
                                "not \"s3://rootguard-evidence\"."),
    ("s3://rootguard-evidence/", "resource_policy_unlock_restore_from must be a local file or s3://bucket/key of a backup, "
                                 "not \"s3://rootguard-evidence/\"."),
    ("s3://rootguard-evidence/dir/", "resource_policy_unlock_restore_from must be a local file or s3://bucket/key of a backup, "
                                     "not \"s3://rootguard-evidence/dir/\"."),
])
def test_a_restore_from_s3_needs_a_bucket_and_a_key(restore_from, expected):
    assert evidence_problems({"restore_from": restore_from}, option_prefix="resource_policy_unlock_") == [expected]


@pytest.mark.parametrize(("previous_report", "expected"), [
    ("s3://Bad_Bucket/last.json", "root_credentials_audit_previous_report: \"Bad_Bucket\" is not an S3 bucket name (3 to 63 lowercase "
                                  "letters, digits, '.' and '-', starting and ending with a letter or digit, no '..', not an IP address)."),
    ("s3://rootguard-evidence/runs/", "root_credentials_audit_previous_report must be a local file or s3://bucket/key of an earlier "
                                      "audit's JSON report, not \"s3://rootguard-evidence/runs/\"."),
])
def test_a_previous_report_in_s3_needs_a_bucket_and_a_key(previous_report, expected):
    assert evidence_problems({"previous_report": previous_report}, option_prefix="root_credentials_audit_") == [expected]


@pytest.mark.parametrize("previous_report", ["", "latest", "reports/last.json", "s3://rootguard-evidence/o-1/run/root-credentials-audit.json"])
def test_a_previous_report_that_is_a_file_latest_or_a_key_is_fine(previous_report):
    assert evidence_problems({"previous_report": previous_report}, option_prefix="root_credentials_audit_") == []


@pytest.mark.parametrize("prefix", ["a b", "a/../b", "./a", "a/é", "a\\b", "x" * 513])
def test_a_bad_prefix(prefix):
    assert problems(prefix=prefix) == [
        "root_credentials_audit_evidence_prefix must be key name segments of letters, digits and !_.*()- separated by '/', "
        f"at most 512 characters, not {json.dumps(prefix)}."]


def test_a_bad_kms_key_and_region_and_every_problem_at_once():
    assert problems(kms_key_id="key id", region="Europe (Ireland)") == [
        'root_credentials_audit_evidence_kms_key_id must be a KMS key id, key ARN, alias name or alias ARN, not "key id".',
        "root_credentials_audit_evidence_region (else AWS_REGION, else AWS_DEFAULT_REGION) must be a Region name such as eu-west-1, "
        'not "Europe (Ireland)".']
    assert len(problems(bucket="B", prefix="a b", kms_key_id="key id", region="", restore_from="s3://C/k")) == 5
