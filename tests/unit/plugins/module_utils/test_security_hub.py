# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

from ansible_collections.rootguard.aws.plugins.module_utils import findings, security_hub

FIRST = "2026-12-05T02:00:00.000Z"
NOW = "2026-12-06T02:00:00.000Z"
KEY_FINDING = findings.finding("root_access_key_active", "210000000001", ["AKIA1"], "payments")


def imported(finding=None, created_at=None) -> dict:
    finding = finding or KEY_FINDING
    return security_hub.to_asff(finding, organization_id="o-abcdef1234", caller_account="111111111111", region="eu-west-1",
                                partition="aws", now=NOW, created_at=created_at)


def test_a_finding_is_for_the_callers_account_with_the_member_account_as_its_resource():
    item = imported()
    assert item["AwsAccountId"] == "111111111111"
    assert item["ProductArn"] == "arn:aws:securityhub:eu-west-1:111111111111:product/111111111111/default"
    assert item["Resources"] == [{"Type": "AwsAccount", "Id": "AWS::::Account:210000000001", "Partition": "aws", "Region": "eu-west-1"}]
    assert item["Id"] == "rootguard.aws/o-abcdef1234/210000000001/root_access_key_active"
    assert item["GeneratorId"] == "rootguard.aws/root_access_key_active"
    assert item["SchemaVersion"] == "2018-10-08" and item["RecordState"] == "ACTIVE"
    assert item["Severity"] == item["FindingProviderFields"]["Severity"] == {"Label": "CRITICAL", "Original": "CRITICAL"}
    assert item["Types"] == item["FindingProviderFields"]["Types"] == security_hub.TYPES
    assert item["Compliance"] == {"Status": "FAILED", "RelatedRequirements": [
        "AWS Foundational Security Best Practices v1.0.0/IAM.4", "CIS AWS Foundations Benchmark v5.0.0/1.3",
        "CIS AWS Foundations Benchmark v7.0.0/2.4", "CIS AWS Foundations Benchmark v7.0.0/2.1.1"]}
    assert item["Description"] == ("The root user has an active access key in account 210000000001 (payments): AKIA1. "
                                   "Found by the rootguard.aws audit.")
    assert item["Remediation"]["Recommendation"]["Text"].startswith("Remove the root user's credentials")


def test_created_at_is_the_first_imports_on_every_update():
    assert imported()["CreatedAt"] == NOW == imported()["UpdatedAt"]
    again = imported(created_at=FIRST)
    assert (again["CreatedAt"], again["UpdatedAt"]) == (FIRST, NOW)


def test_a_resolved_finding_is_passed_informational_and_archived_with_its_first_creation():
    existing = dict(imported(), CreatedAt=FIRST, UpdatedAt=FIRST)
    update = security_hub.resolved(existing, "2026-12-07T02:00:00.000Z")
    assert update["Id"] == existing["Id"] and update["CreatedAt"] == FIRST and update["UpdatedAt"] == "2026-12-07T02:00:00.000Z"
    assert update["Compliance"]["Status"] == "PASSED" and update["RecordState"] == "ARCHIVED"
    assert update["Compliance"]["RelatedRequirements"] == existing["Compliance"]["RelatedRequirements"]
    assert update["Severity"]["Label"] == update["FindingProviderFields"]["Severity"]["Label"] == "INFORMATIONAL"


def test_a_rerun_that_found_the_same_imports_nothing():
    existing = dict(imported(), CreatedAt=FIRST, UpdatedAt=FIRST, Workflow={"Status": "NOTIFIED"})
    assert not security_hub.needs_import(imported(created_at=FIRST), existing)
    assert security_hub.needs_import(imported(), None)
    changed = findings.finding("root_access_key_active", "210000000001", ["AKIA1", "AKIA2"], "payments")
    assert security_hub.needs_import(imported(changed, FIRST), existing)
    assert security_hub.needs_import(imported(created_at=FIRST), security_hub.resolved(existing, NOW))


def test_at_most_100_findings_a_call():
    assert [len(batch) for batch in security_hub.batches(list(range(250)))] == [100, 100, 50]
    assert security_hub.batches([]) == []
