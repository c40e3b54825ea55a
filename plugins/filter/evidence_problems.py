# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
name: evidence_problems
short_description: What is wrong with where a role is told to put its evidence in S3, before any API call
version_added: 0.1.0
description:
  - The checks the roles run on their evidence variables before any API call, so that a bad value fails the run before
    it starts instead of after its work. It checks the bucket, the key prefix, the KMS key, the Region and, for a
    restore or the audit report compared with, C(s3://bucket/key).
  - Bucket names follow S3's rules for general purpose buckets (Amazon S3 User Guide, "General purpose bucket naming
    rules"); key prefix segments are S3's safe characters ("Naming Amazon S3 objects").
  - Each problem names the role variable it is about, from O(option_prefix).
options:
  _input:
    description:
      - C(bucket), C(prefix), C(kms_key_id), C(region), C(restore_from) and C(previous_report) (each optional; an empty
        bucket, or a C(restore_from) or C(previous_report) that is not C(s3://...), is not checked).
    type: dict
    required: true
  option_prefix:
    description: The start of the role's variable names, such as V(root_credentials_audit_).
    type: str
    required: true
"""

EXAMPLES = r"""
- name: Check the evidence variables before any API call
  ansible.builtin.assert:
    that: problems | length == 0
    fail_msg: "{{ problems | join(' ') }} Nothing was done."
    quiet: true
  vars:
    problems: >-
      {{ {'bucket': root_credentials_audit_evidence_bucket, 'prefix': root_credentials_audit_evidence_prefix,
          'region': 'eu-west-1'} | rootguard.aws.evidence_problems(option_prefix='root_credentials_audit_') }}
"""

RETURN = r"""
_value:
  description: One sentence per problem, in the order bucket, restore_from, previous_report, prefix, kms_key_id, region; empty when all is well.
  type: list
  elements: str
"""

import json
import re

_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")
_IP_ADDRESS = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+\.[0-9]+\Z")
_RESERVED_STARTS = ("xn--", "sthree-", "amzn-s3-demo-")
_RESERVED_ENDS = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")
_KEY_SEGMENT = re.compile(r"[A-Za-z0-9!_.*()-]+\Z")
_KMS_KEY = re.compile(r"[A-Za-z0-9:/_.-]*\Z")
_REGION = re.compile(r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\Z")
_PREFIX_LIMIT = 512


def is_bucket_name(name: str) -> bool:
    return (bool(_BUCKET.match(name)) and ".." not in name and not _IP_ADDRESS.match(name)
            and not name.startswith(_RESERVED_STARTS) and not name.endswith(_RESERVED_ENDS))


def _bucket_problem(option: str, name: str, uri_hint: bool) -> str:
    hint = "; give the name alone, not an s3:// URI" if uri_hint else ""
    return (f"{option}: {json.dumps(name)} is not an S3 bucket name (3 to 63 lowercase letters, digits, '.' and '-', "
            f"starting and ending with a letter or digit, no '..', not an IP address{hint}).")


def _text(value) -> str:
    return "" if value is None else str(value)


def evidence_problems(settings: dict, option_prefix: str) -> list:
    problems = []
    bucket = _text(settings.get("bucket"))
    if bucket and not is_bucket_name(bucket):
        problems.append(_bucket_problem(f"{option_prefix}evidence_bucket", bucket, uri_hint=True))
    for option, what in (("restore_from", "a backup"), ("previous_report", "an earlier audit's JSON report")):
        uri = _text(settings.get(option))
        if not uri.startswith("s3://"):
            continue
        uri_bucket, _slash, uri_key = uri[len("s3://"):].partition("/")
        if not is_bucket_name(uri_bucket):
            problems.append(_bucket_problem(f"{option_prefix}{option}", uri_bucket, uri_hint=False))
        elif not uri_key or uri_key.startswith("/") or uri_key.endswith("/"):
            problems.append(f"{option_prefix}{option} must be a local file or s3://bucket/key of {what}, not {json.dumps(uri)}.")
    if "prefix" in settings:
        prefix = _text(settings["prefix"])
        segments = [segment for segment in prefix.strip("/").split("/") if segment]
        if any(not _KEY_SEGMENT.match(segment) or segment in (".", "..") for segment in segments) or len("/".join(segments)) > _PREFIX_LIMIT:
            problems.append(f"{option_prefix}evidence_prefix must be key name segments of letters, digits and !_.*()- "
                            f"separated by '/', at most {_PREFIX_LIMIT} characters, not {json.dumps(prefix)}.")
    kms_key_id = _text(settings.get("kms_key_id"))
    if not _KMS_KEY.match(kms_key_id):
        problems.append(f"{option_prefix}evidence_kms_key_id must be a KMS key id, key ARN, alias name or alias ARN, "
                        f"not {json.dumps(kms_key_id)}.")
    if "region" in settings:
        region = _text(settings["region"])
        if not _REGION.match(region):
            problems.append(f"{option_prefix}evidence_region (else AWS_REGION, else AWS_DEFAULT_REGION) must be a Region "
                            f"name such as eu-west-1, not {json.dumps(region)}.")
    return problems


class FilterModule:
    """The evidence_problems filter."""

    def filters(self):
        return {"evidence_problems": evidence_problems}
