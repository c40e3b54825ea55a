# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Findings (module_utils.findings) in the AWS Security Finding Format, for BatchImportFindings
from the account that runs the audit: AWS accepts a custom product's findings only for the
caller's own account (AwsAccountId), so the member account is the finding's resource
(``AwsAccount``, ``AWS::::Account:<id>``).

- The id is stable per organization, account and kind, so that importing again updates the
  finding (same Id and ProductArn, a later UpdatedAt) instead of adding one.
- CreatedAt is the first import's, kept on every update, as AWS requires.
- A finding whose credential is gone is imported once more as PASSED, INFORMATIONAL and ARCHIVED.
- Severity and Types are also sent in FindingProviderFields, where AWS wants a finding provider's
  updates of them (the top-level fields are the Security Hub user's to change).
- At most 100 findings per BatchImportFindings call (AWS's limit)."""

from __future__ import annotations

SCHEMA_VERSION = "2018-10-08"
BATCH_SIZE = 100
ID_PREFIX = "rootguard.aws"
FSBP = "AWS Foundational Security Best Practices v1.0.0"
TYPES = ["Software and Configuration Checks/AWS Security Best Practices",
         "Software and Configuration Checks/Industry and Regulatory Standards/CIS AWS Foundations Benchmark"]
_TITLE_LIMIT = 256
_DESCRIPTION_LIMIT = 1024
_RECOMMENDATION_LIMIT = 512


def product_arn(partition: str, region: str, caller_account: str) -> str:
    return f"arn:{partition}:securityhub:{region}:{caller_account}:product/{caller_account}/default"


def finding_id(organization_id: str, account_id: str, kind: str) -> str:
    return f"{ID_PREFIX}/{organization_id}/{account_id}/{kind}"


def _description(finding: dict) -> str:
    subject = f"account {finding['account_id']}" + (f" ({finding['account_name']})" if finding.get("account_name") else "")
    what = f": {', '.join(finding['credentials'])}" if finding.get("credentials") else ""
    return f"{finding['title']} in {subject}{what}. Found by the rootguard.aws audit."[:_DESCRIPTION_LIMIT]


def to_asff(finding: dict, *, organization_id: str, caller_account: str, region: str, partition: str, now: str,
            created_at: str | None = None) -> dict:
    """One finding as ASFF; ``created_at`` is the CreatedAt of the finding already in Security Hub, if any."""
    requirements = [f"{FSBP}/{control}" for control in finding["security_hub_controls"]] + finding["related_requirements"]
    return {
        "SchemaVersion": SCHEMA_VERSION,
        "Id": finding_id(organization_id, finding["account_id"], finding["kind"]),
        "ProductArn": product_arn(partition, region, caller_account),
        "GeneratorId": f"{ID_PREFIX}/{finding['kind']}",
        "AwsAccountId": caller_account,
        "Types": list(TYPES),
        "CreatedAt": created_at or now,
        "UpdatedAt": now,
        "Severity": {"Label": finding["severity"], "Original": finding["severity"]},
        "FindingProviderFields": {"Severity": {"Label": finding["severity"], "Original": finding["severity"]}, "Types": list(TYPES)},
        "Title": finding["title"][:_TITLE_LIMIT],
        "Description": _description(finding),
        "Remediation": {"Recommendation": {"Text": finding["remedy"][:_RECOMMENDATION_LIMIT]}},
        "ProductFields": {"rootguard/kind": finding["kind"], "rootguard/organization_id": organization_id},
        "Resources": [{"Type": "AwsAccount", "Id": f"AWS::::Account:{finding['account_id']}", "Partition": partition, "Region": region}],
        "Compliance": {"Status": "FAILED", "RelatedRequirements": requirements[:32]},
        "RecordState": "ACTIVE",
    }


def resolved(existing: dict, now: str) -> dict:
    """A finding already in Security Hub whose credential is gone: the same finding, PASSED and archived."""
    update = {key: existing[key] for key in ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "Types",
                                             "CreatedAt", "Title", "Description", "Resources") if key in existing}
    compliance = dict(existing.get("Compliance") or {}, Status="PASSED")
    informational = {"Label": "INFORMATIONAL", "Original": "INFORMATIONAL"}
    update.update(UpdatedAt=now, Severity=informational, Compliance=compliance, RecordState="ARCHIVED",
                  FindingProviderFields={"Severity": informational, "Types": list(existing.get("Types") or TYPES)},
                  ProductFields=dict(existing.get("ProductFields") or {}))
    if existing.get("Remediation"):
        update["Remediation"] = existing["Remediation"]
    return update


def needs_import(new: dict, existing: dict | None) -> bool:
    """Whether ``new`` says something ``existing`` (the finding in Security Hub) does not: a re-run that found the same
    thing imports nothing."""
    if existing is None:
        return True
    compared = ("Severity", "Title", "Description", "Compliance", "RecordState", "Resources", "Remediation")
    return any(_label(new, key) != _label(existing, key) for key in compared)


def _label(finding: dict, key: str):
    value = finding.get(key)
    if key == "Severity" and isinstance(value, dict):
        return value.get("Label")
    return value


def batches(items: list, size: int = BATCH_SIZE) -> list:
    return [items[start:start + size] for start in range(0, len(items), size)]
