# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""security_hub_findings, the service of the module: what it reads, what it imports, in how many calls, and the
errors it stops with - against botocore Stubbers (every call must be queued with its parameters)."""

from __future__ import annotations

import json

import pytest
from botocore.stub import ANY

from ansible_collections.rootguard.aws.plugins.module_utils import findings, security_hub
from ansible_collections.rootguard.aws.plugins.module_utils.errors import InvalidInput

ORGANIZATION = "o-a1b2c3d4e5"
CALLER = "111111111111"
PRODUCT = f"arn:aws:securityhub:us-east-1:{CALLER}:product/{CALLER}/default"
FILTERS = {"ProductArn": [{"Value": PRODUCT, "Comparison": "EQUALS"}],
           "Id": [{"Value": f"rootguard.aws/{ORGANIZATION}/", "Comparison": "PREFIX"}]}
KEY = {"kind": "root_access_key_active", "account_id": "210000000001", "credentials": ["AKIA1"], "account_name": "payments"}
PASSWORD = {"kind": "root_password_without_mfa", "account_id": "210000000002", "credentials": ["password"]}
EARLIER = "2026-12-01T00:00:00.000Z"
NOW = "2026-12-06T00:00:00.000Z"


def params(items, audited=(), report=None) -> dict:
    return {"report": report, "findings": items, "organization_id": ORGANIZATION, "audited_account_ids": list(audited)}


def caller(aws) -> None:
    aws.respond("sts", "get_caller_identity", {"UserId": "AIDA", "Account": CALLER, "Arn": f"arn:aws:iam::{CALLER}:user/audit"})


def in_hub(item: dict, **changes) -> dict:
    """A finding as Security Hub holds it after an earlier import."""
    made = findings.finding(item["kind"], item["account_id"], item.get("credentials", []), item.get("account_name"))
    stored = security_hub.to_asff(made, organization_id=ORGANIZATION, caller_account=CALLER, region="us-east-1", partition="aws",
                                  now=EARLIER)
    stored.update(Workflow={"Status": "NEW"}, **changes)
    return stored


def test_security_hub_not_enabled_stops_before_any_import(aws):
    caller(aws)
    aws.fail("securityhub", "get_findings", "InvalidAccessException", f"Account {CALLER} is not subscribed to AWS Security Hub",
             status=401, Filters=FILTERS, MaxResults=100)

    with pytest.raises(security_hub.SecurityHubNotEnabled, match=f"AWS Security Hub is not enabled in account {CALLER}, Region us-east-1 "):
        security_hub.security_hub_findings(aws.factory, params([KEY]), check_mode=False)
    assert aws.calls == ["sts:GetCallerIdentity", "securityhub:GetFindings"]


def test_a_first_import_sends_every_finding_and_check_mode_sends_none(aws):
    for check_mode in (True, False):
        caller(aws)
        aws.respond("securityhub", "get_findings", {"Findings": []}, Filters=FILTERS, MaxResults=100)
        if not check_mode:
            aws.respond("securityhub", "batch_import_findings", {"FailedCount": 0, "SuccessCount": 2, "FailedFindings": []}, Findings=ANY)
        result = security_hub.security_hub_findings(aws.factory, params([KEY, PASSWORD]), check_mode=check_mode)
        assert result["counts"] == {"created": 2, "updated": 0, "reopened": 0, "resolved": 0, "unchanged": 0}
        assert [(item["account_id"], item["kind"], item["severity"], item["action"]) for item in result["findings"]] == [
            ("210000000001", "root_access_key_active", "CRITICAL", "created"), ("210000000002", "root_password_without_mfa", "HIGH", "created")]
        assert result["changed"] is True and result["product_arn"] == PRODUCT
        assert result["msg"].startswith("Check mode: would import 2 new" if check_mode else "Imported 2 new")
    assert aws.writes() == ["securityhub:BatchImportFindings"]


def test_findings_go_in_batches_of_100(aws):
    items = [{"kind": "root_password", "account_id": f"2100000{index:05d}"} for index in range(250)]
    caller(aws)
    aws.respond("securityhub", "get_findings", {"Findings": []}, Filters=FILTERS, MaxResults=100)
    sizes = []
    for size in (100, 100, 50):
        aws.respond("securityhub", "batch_import_findings", {"FailedCount": 0, "SuccessCount": size, "FailedFindings": []}, Findings=ANY)
    aws.factory.client("securityhub").meta.events.register(
        "provide-client-params.securityhub.BatchImportFindings", lambda params, **_: sizes.append(len(params["Findings"])))

    result = security_hub.security_hub_findings(aws.factory, params(items), check_mode=False)

    assert sizes == [100, 100, 50]
    assert result["counts"]["created"] == 250 and len(result["findings"]) == 250 and result["findings_not_listed"] == 0


def test_findings_aws_refuses_fail_the_task_naming_them(aws):
    caller(aws)
    aws.respond("securityhub", "get_findings", {"Findings": []}, Filters=FILTERS, MaxResults=100)
    refused = [{"Id": f"rootguard.aws/{ORGANIZATION}/210000000002/root_password_without_mfa", "ErrorCode": "InvalidInput",
                "ErrorMessage": "Finding does not adhere to Amazon Finding Format."}]
    aws.respond("securityhub", "batch_import_findings", {"FailedCount": 1, "SuccessCount": 1, "FailedFindings": refused}, Findings=ANY)

    with pytest.raises(security_hub.ImportFailed, match="refused 1 of 2 findings: rootguard.aws/o-a1b2c3d4e5/210000000002/"
                                                        "root_password_without_mfa: InvalidInput Finding does not adhere"):
        security_hub.security_hub_findings(aws.factory, params([KEY, PASSWORD]), check_mode=False)


def test_a_rerun_that_found_the_same_reads_and_writes_nothing(aws):
    caller(aws)
    aws.respond("securityhub", "get_findings", {"Findings": [in_hub(KEY), in_hub(PASSWORD)]}, Filters=FILTERS, MaxResults=100)

    result = security_hub.security_hub_findings(aws.factory, params([KEY, PASSWORD], audited=["210000000001", "210000000002"]), check_mode=False)

    assert result["changed"] is False and result["findings"] == []
    assert result["counts"] == {"created": 0, "updated": 0, "reopened": 0, "resolved": 0, "unchanged": 2}
    assert aws.writes() == []


def test_the_plan_resolves_only_audited_accounts_reopens_what_came_back_and_keeps_created_at():
    gone = in_hub(PASSWORD)
    archived = in_hub(KEY, RecordState="ARCHIVED", Compliance={"Status": "PASSED", "RelatedRequirements": []})
    not_audited = in_hub({"kind": "root_password", "account_id": "210000000003"})
    already_resolved = in_hub({"kind": "root_signing_certificate", "account_id": "210000000002"}, RecordState="ARCHIVED",
                              Compliance={"Status": "PASSED", "RelatedRequirements": []})
    held = {item["Id"]: item for item in (gone, archived, not_audited, already_resolved)}
    given = security_hub.given_findings([KEY])

    sent = security_hub.plan(given, held, {"210000000001", "210000000002"}, organization_id=ORGANIZATION, caller_account=CALLER,
                             region="us-east-1", partition="aws", now="2026-12-06T00:00:00.000Z")

    assert [(action, item["Id"].split("/", 2)[2]) for action, item in sent] == [
        ("reopened", "210000000001/root_access_key_active"), ("resolved", "210000000002/root_password_without_mfa")]
    reopened, resolved = sent[0][1], sent[1][1]
    assert (reopened["RecordState"], reopened["Compliance"]["Status"], reopened["CreatedAt"]) == ("ACTIVE", "FAILED", EARLIER)
    assert (resolved["RecordState"], resolved["Compliance"]["Status"], resolved["CreatedAt"]) == ("ARCHIVED", "PASSED", EARLIER)
    assert "Workflow" not in resolved and "Workflow" not in reopened


@pytest.mark.parametrize(("item", "message"), [
    ({"kind": "root_everything", "account_id": "210000000001"}, "findings[0]: kind 'root_everything' is none of root_access_key_active, "),
    ({"kind": "root_password", "account_id": "2100"}, "findings[0].account_id: '2100' is not an AWS account id"),
    ({"kind": "root_password", "account_id": "210000000001", "credentials": "password"}, "findings[0].credentials: a list"),
    ("root_password", "findings[0]: a finding is a dict"),
])
def test_bad_findings_are_refused_before_any_call(aws, item, message):
    with pytest.raises(InvalidInput, match=message.replace("[", r"\[").replace("]", r"\]").replace("(", r"\(")):
        security_hub.security_hub_findings(aws.factory, params([item]), check_mode=False)
    assert aws.calls == []


def test_a_bad_organization_id_is_refused_before_any_call(aws):
    with pytest.raises(InvalidInput, match="organization_id: 'org-1' is not an organization id"):
        security_hub.security_hub_findings(aws.factory, dict(params([KEY]), organization_id="org-1"), check_mode=False)
    assert aws.calls == []


def test_a_report_file_gives_the_findings_the_organization_and_the_audited_accounts(aws, tmp_path):
    report = {"schema_version": 4, "organization_id": ORGANIZATION, "generated_at": "2026-12-06T00:00:00Z", "accounts": [
        {"id": "210000000001", "status": "ok", "found": {"password": {"present": True}, "access_keys": [], "signing_certificates": [],
                                                         "mfa_devices": []}},
        {"id": "210000000002", "status": "failed", "found": None}]}
    path = tmp_path / "audit.json"
    path.write_text(json.dumps(report))
    assert security_hub.from_report(str(path)) == (
        [findings.finding("root_password_without_mfa", "210000000001", ["password"])], ORGANIZATION, ["210000000001"])
    path.write_text("[1, 2]")
    with pytest.raises(InvalidInput, match=f"report: {path} is no audit report to send the findings of: it is not a JSON object."):
        security_hub.from_report(str(path))
    with pytest.raises(InvalidInput, match="cannot be read"):
        security_hub.from_report(str(tmp_path / "none.json"))


def test_an_open_finding_not_updated_for_30_days_is_imported_again_so_that_security_hub_keeps_it():
    fresh = in_hub(KEY)
    old = in_hub(PASSWORD, UpdatedAt="2026-11-05T23:59:59.000Z")
    held = {item["Id"]: item for item in (fresh, old)}

    sent = security_hub.plan(security_hub.given_findings([KEY, PASSWORD]), held, set(), organization_id=ORGANIZATION, caller_account=CALLER,
                             region="us-east-1", partition="aws", now=NOW)

    assert [(action, item["Id"].rsplit("/", 1)[1], item["UpdatedAt"], item["CreatedAt"]) for action, item in sent] == [
        ("updated", "root_password_without_mfa", NOW, EARLIER)]
