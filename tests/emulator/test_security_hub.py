"""AWS Security Hub (rootguard_emulator.securityhub_ext): a hub that is not enabled, BatchImportFindings
(the default product, per-finding validation, findings keyed by ProductArn and Id, updates by UpdatedAt
and the workflow rules), GetFindings' filters, sorting and pagination, and the request log."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from moto.securityhub.models import Finding, securityhub_backends

from rootguard_emulator.state import STATE

REGION = "us-east-1"
MANAGEMENT = "123456789012"
T0 = "2024-05-01T10:00:00Z"
T1 = "2024-05-02T10:00:00Z"
T2 = "2024-05-03T10:00:00.500Z"


def product_arn(account_id: str = MANAGEMENT, region: str = REGION) -> str:
    return f"arn:aws:securityhub:{region}:{account_id}:product/{account_id}/default"


def finding(finding_id: str, account_id: str = MANAGEMENT, updated: str = T0, **fields) -> dict:
    """A finding with every attribute AWS requires, from the account's default product."""
    data = {
        "SchemaVersion": "2018-10-08",
        "Id": finding_id,
        "ProductArn": product_arn(account_id),
        "GeneratorId": "rootguard-audit",
        "AwsAccountId": account_id,
        "Types": ["Software and Configuration Checks/AWS Security Best Practices"],
        "CreatedAt": T0,
        "UpdatedAt": updated,
        "Severity": {"Label": "HIGH"},
        "Title": f"Root credentials present ({finding_id})",
        "Description": "The root user has credentials.",
        "Resources": [{"Type": "AwsAccount", "Id": f"AWS::::Account:{account_id}"}],
    }
    data.update(fields)
    return data


def hub(aws, credentials: dict | None = None, enable: bool = True, **config):
    client = aws.client("securityhub", credentials, **config)
    if enable:
        client.enable_security_hub()
    return client


def client_error(call, code: str, status: int) -> str:
    with pytest.raises(ClientError) as excinfo:
        call()
    response = excinfo.value.response
    assert (response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]) == (code, status)
    return response["Error"]["Message"]


def by_id(client, finding_id: str) -> list[dict]:
    return client.get_findings(Filters={"Id": [{"Value": finding_id, "Comparison": "EQUALS"}]})["Findings"]


def found_ids(client, **filters) -> list[str]:
    return sorted(item["Id"] for item in client.get_findings(Filters=filters, MaxResults=100)["Findings"])


def imported(client, *findings: dict) -> dict:
    response = client.batch_import_findings(Findings=list(findings))
    assert response["FailedFindings"] == [] and response["SuccessCount"] == len(findings), response
    return response


# ---------------------------------------------------------------------------
# A hub that is not enabled


def test_a_hub_not_enabled_refuses_reads_and_fails_every_finding(aws):
    client = hub(aws, enable=False)
    message = f"Account {MANAGEMENT} is not subscribed to AWS Security Hub"
    assert client_error(client.describe_hub, "InvalidAccessException", 401) == message
    assert client_error(client.get_findings, "InvalidAccessException", 401) == message

    response = client.batch_import_findings(Findings=[finding("a"), finding("b")])
    assert response["SuccessCount"] == 0 and response["FailedCount"] == 2
    assert response["FailedFindings"] == [{"Id": name, "ErrorCode": "InvalidAccess", "ErrorMessage": message} for name in ("a", "b")]

    client.enable_security_hub()
    assert client.get_findings()["Findings"] == []  # nothing was stored
    assert client.describe_hub()["HubArn"] == f"arn:aws:securityhub:{REGION}:{MANAGEMENT}:hub/default"


def test_the_hub_is_enabled_per_region(inprocess):
    hub(inprocess)
    other = hub(inprocess, region="eu-west-1", enable=False)
    assert client_error(other.get_findings, "InvalidAccessException", 401) == f"Account {MANAGEMENT} is not subscribed to AWS Security Hub"


# ---------------------------------------------------------------------------
# Importing and reading back


def test_an_imported_finding_reads_back_with_what_security_hub_adds(aws):
    client = hub(aws)
    imported(client, finding("audit/1"), finding("audit/2", Severity={"Normalized": 45}))

    [stored] = by_id(client, "audit/1")
    assert stored["Title"] == "Root credentials present (audit/1)"
    assert stored["RecordState"] == "ACTIVE"
    assert stored["Workflow"] == {"Status": "NEW"} and stored["WorkflowState"] == "NEW"
    assert (stored["Region"], stored["ProductName"], stored["CompanyName"]) == (REGION, "Default", "Personal")
    assert stored["Severity"] == {"Label": "HIGH", "Normalized": 70}
    assert stored["FindingProviderFields"]["Severity"]["Label"] == "HIGH"
    assert stored["ProcessedAt"]
    assert by_id(client, "audit/2")[0]["Severity"] == {"Label": "MEDIUM", "Normalized": 45}


def test_an_update_not_later_than_the_stored_finding_is_ignored(inprocess):
    client = hub(inprocess)
    imported(client, finding("f", updated=T1))
    [before] = by_id(client, "f")

    for updated in ("2024-05-01T10:00:00Z", T1, "2024-05-02T12:00:00+02:00"):  # older, equal, the same instant
        response = imported(client, finding("f", updated=updated, Title="changed", RecordState="ARCHIVED"))
        assert response["SuccessCount"] == 1
    assert by_id(client, "f") == [before]


def test_a_later_update_replaces_the_finding_but_keeps_the_workflow(inprocess):
    client = hub(inprocess)
    imported(client, finding("f", Workflow={"Status": "NOTIFIED"}, Compliance={"Status": "FAILED"}, Note={"Text": "x", "UpdatedBy": "me", "UpdatedAt": T0}))
    [before] = by_id(client, "f")

    imported(client, finding("f", updated=T2, Title="new title", Workflow={"Status": "SUPPRESSED"}, VerificationState="FALSE_POSITIVE",
                             Note={"Text": "ignored", "UpdatedBy": "provider", "UpdatedAt": T2}))
    [after] = by_id(client, "f")
    assert after["Title"] == "new title" and after["UpdatedAt"] == T2
    assert "Compliance" not in after  # the provider sent the whole finding, without it
    assert after["Workflow"] == {"Status": "NOTIFIED"}
    assert after["Note"] == before["Note"]
    assert "VerificationState" not in after
    assert len(client.get_findings()["Findings"]) == 1


@pytest.mark.parametrize("before, after, workflow, expected", [
    ({"RecordState": "ARCHIVED"}, {"RecordState": "ACTIVE"}, "NOTIFIED", "NEW"),
    ({"RecordState": "ARCHIVED"}, {"RecordState": "ACTIVE"}, "RESOLVED", "NEW"),
    ({"RecordState": "ARCHIVED"}, {"RecordState": "ACTIVE"}, "SUPPRESSED", "SUPPRESSED"),
    ({"RecordState": "ACTIVE"}, {"RecordState": "ARCHIVED"}, "NOTIFIED", "NOTIFIED"),
    ({"Compliance": {"Status": "PASSED"}}, {"Compliance": {"Status": "FAILED"}}, "RESOLVED", "NEW"),
    ({"Compliance": {"Status": "PASSED"}}, {"Compliance": {"Status": "NOT_AVAILABLE"}}, "RESOLVED", "NEW"),
    ({"Compliance": {"Status": "PASSED"}}, {"Compliance": {"Status": "PASSED"}}, "RESOLVED", "RESOLVED"),
    ({"Compliance": {"Status": "PASSED"}}, {"Compliance": {"Status": "WARNING"}}, "SUPPRESSED", "SUPPRESSED"),
])
def test_the_workflow_goes_back_to_new_when_the_finding_comes_back(inprocess, before, after, workflow, expected):
    client = hub(inprocess)
    imported(client, finding("f", Workflow={"Status": workflow}, **before))
    imported(client, finding("f", updated=T1, **after))
    assert by_id(client, "f")[0]["Workflow"]["Status"] == expected


# ---------------------------------------------------------------------------
# Products and accounts


def test_findings_are_keyed_by_product_and_id(inprocess):
    client = hub(inprocess)
    backend = securityhub_backends[MANAGEMENT][REGION]
    foreign = finding("same", account_id="210987654321")
    backend.findings.append(Finding("same", dict(foreign)))  # as an integrated product's finding would be

    imported(client, finding("same", Title="ours"))
    stored = sorted(client.get_findings()["Findings"], key=lambda item: item["ProductArn"])
    assert [(item["ProductArn"], item["Title"]) for item in stored] == [
        (product_arn(MANAGEMENT), "ours"), (product_arn("210987654321"), foreign["Title"])]
    assert found_ids(client, ProductArn=[{"Value": product_arn(MANAGEMENT), "Comparison": "EQUALS"}]) == ["same"]


def test_each_account_imports_its_own_product_and_sees_its_own_findings(inprocess):
    member = inprocess.seed(accounts=1, profile="none")["accounts"][0]["id"]
    management, member_hub = hub(inprocess), hub(inprocess, inprocess.member_credentials(member))
    imported(management, finding("same", Title="management's"))
    imported(member_hub, finding("same", account_id=member, Title="member's"))

    assert [(item["ProductArn"], item["Title"]) for item in management.get_findings()["Findings"]] == [(product_arn(MANAGEMENT), "management's")]
    assert [(item["ProductArn"], item["Title"]) for item in member_hub.get_findings()["Findings"]] == [(product_arn(member), "member's")]

    message = client_error(lambda: management.batch_import_findings(Findings=[finding("x", account_id=member)]), "AccessDeniedException", 403)
    assert message == (f"User: arn:aws:iam::{MANAGEMENT}:root is not authorized to perform: securityhub:BatchImportFindings "
                       f"on resource: {product_arn(member)}")


def test_a_finding_of_another_account_fails_the_whole_batch(aws):
    client = hub(aws)
    wrong_account = finding("b", AwsAccountId="210987654321")
    message = client_error(lambda: client.batch_import_findings(Findings=[finding("a"), wrong_account]), "AccessDeniedException", 403)
    assert message == (f"User: arn:aws:iam::{MANAGEMENT}:root is not authorized to perform: securityhub:BatchImportFindings "
                       f"on resource: {product_arn()}")
    other_region = finding("c", ProductArn=product_arn(region="eu-west-1"))
    client_error(lambda: client.batch_import_findings(Findings=[other_region]), "AccessDeniedException", 403)
    assert client.get_findings()["Findings"] == []


# ---------------------------------------------------------------------------
# Validation


def test_a_batch_holds_one_to_a_hundred_findings(inprocess):
    client = hub(inprocess)
    client_error(lambda: client.batch_import_findings(Findings=[finding(f"f{n}") for n in range(101)]), "InvalidInputException", 400)
    unchecked = hub(inprocess, enable=False, parameter_validation=False)  # botocore checks the minimum itself
    client_error(lambda: unchecked.batch_import_findings(Findings=[]), "InvalidInputException", 400)
    assert client.get_findings()["Findings"] == []
    imported(client, *[finding(f"f{n}") for n in range(100)])


def _without(field: str) -> dict:
    data = finding("bad")
    del data[field]
    return data


@pytest.mark.parametrize("bad, named", [
    (_without("Severity"), "'Severity'"),
    (_without("Types"), "'Types'"),
    (_without("GeneratorId"), "'GeneratorId'"),
    (_without("Resources"), "'Resources'"),
    (finding("bad", Severity={"Original": "9"}), "data.Severity"),
    (finding("bad", Severity={"Label": "SEVERE"}), "data.Severity.Label"),
    (finding("bad", Types=[]), "data.Types"),
    (finding("bad", Resources=[]), "data.Resources"),
    (finding("bad", Resources=[{"Type": "AwsAccount"}]), "data.Resources[0] should have required property 'Id'"),
    (finding("bad", Title="t" * 257), "data.Title should NOT be longer than 256 characters"),
    (finding("bad", Description="d" * 1025), "data.Description should NOT be longer than 1024 characters"),
    (finding("i" * 513), "data.Id should NOT be longer than 512 characters"),
    (finding("bad", RecordState="DELETED"), "data.RecordState"),
    (finding("bad", Compliance={"Status": "OK"}), "data.Compliance.Status"),
    (finding("bad", Compliance={"Status": "FAILED", "RelatedRequirements": [f"r{n}" for n in range(33)]}), "data.Compliance.RelatedRequirements"),
    (finding("bad", UpdatedAt="yesterday"), "data.UpdatedAt"),
    (finding("bad", ProductFields={"blob": "x" * (240 * 1024)}), "240 KB"),
])
def test_an_invalid_finding_fails_alone(inprocess, bad, named):
    client = hub(inprocess, parameter_validation=False)  # botocore would refuse some of them itself
    response = client.batch_import_findings(Findings=[finding("good/1"), bad, finding("good/2")])
    assert response["SuccessCount"] == 2 and response["FailedCount"] == 1
    [failure] = response["FailedFindings"]
    assert failure["Id"] == bad["Id"] and failure["ErrorCode"] == "InvalidInput"
    assert named in failure["ErrorMessage"]
    assert failure["ErrorMessage"].startswith("Finding does not adhere to Amazon Finding Format.")
    assert found_ids(client) == ["good/1", "good/2"]


def test_finding_provider_fields_stand_in_for_severity_and_types(inprocess):
    client = hub(inprocess)
    data = finding("f", FindingProviderFields={"Severity": {"Label": "CRITICAL"}, "Types": ["TTPs"]})
    del data["Severity"], data["Types"]
    imported(client, data)
    [stored] = by_id(client, "f")
    assert stored["Severity"] == {"Label": "CRITICAL", "Normalized": 90} and stored["Types"] == ["TTPs"]


# ---------------------------------------------------------------------------
# GetFindings: filters, sorting, pagination


@pytest.fixture
def findings_hub(inprocess):
    client = hub(inprocess)
    imported(
        client,
        finding("audit/root/1", Severity={"Label": "HIGH"}, Compliance={"Status": "FAILED"}),
        finding("audit/root/2", updated=T1, Severity={"Label": "CRITICAL"}, Compliance={"Status": "PASSED"}, RecordState="ARCHIVED"),
        finding("audit/mfa/1", updated=T2, Severity={"Label": "LOW"}, Compliance={"Status": "WARNING"},
                Resources=[{"Type": "AwsAccount", "Id": "AWS::::Account:123456789012"}, {"Type": "AwsIamUser", "Id": "arn:aws:iam::123456789012:user/x"}]),
        finding("drift/1", Severity={"Label": "MEDIUM"}),
    )
    return client


def eq(*values: str, comparison: str = "EQUALS") -> list[dict]:
    return [{"Value": value, "Comparison": comparison} for value in values]


def test_string_filters(findings_hub):
    client = findings_hub
    assert found_ids(client, Id=eq("audit/root/", comparison="PREFIX")) == ["audit/root/1", "audit/root/2"]
    assert found_ids(client, Id=eq("audit/", comparison="PREFIX_NOT_EQUALS")) == ["drift/1"]
    assert found_ids(client, Title=eq("mfa", comparison="CONTAINS")) == ["audit/mfa/1"]
    assert found_ids(client, Title=eq("root", "mfa", comparison="NOT_CONTAINS")) == ["drift/1"]
    assert found_ids(client, RecordState=eq("ARCHIVED")) == ["audit/root/2"]
    assert found_ids(client, RecordState=eq("ARCHIVED", comparison="NOT_EQUALS")) == ["audit/mfa/1", "audit/root/1", "drift/1"]
    assert found_ids(client, ComplianceStatus=eq("FAILED")) == ["audit/root/1"]
    assert found_ids(client, ComplianceStatus=eq("PASSED", comparison="NOT_EQUALS")) == ["audit/mfa/1", "audit/root/1", "drift/1"]
    assert found_ids(client, SeverityLabel=eq("CRITICAL", "HIGH")) == ["audit/root/1", "audit/root/2"]  # OR-ed
    assert found_ids(client, WorkflowStatus=eq("NEW")) == ["audit/mfa/1", "audit/root/1", "audit/root/2", "drift/1"]
    assert found_ids(client, AwsAccountId=eq(MANAGEMENT)) == ["audit/mfa/1", "audit/root/1", "audit/root/2", "drift/1"]
    assert found_ids(client, AwsAccountId=eq("210987654321")) == []
    assert found_ids(client, ResourceId=eq("arn:aws:iam::123456789012:user/x")) == ["audit/mfa/1"]  # any of its resources
    assert found_ids(client, ResourceType=eq("AwsIamUser", comparison="NOT_EQUALS")) == ["audit/root/1", "audit/root/2", "drift/1"]


def test_filters_combine(findings_hub):
    client = findings_hub
    # PREFIX OR-ed within the key, AND-ed with the key's negative comparison
    assert found_ids(client, Id=[*eq("audit/root/", "drift/", comparison="PREFIX"), *eq("audit/root/2", comparison="NOT_EQUALS")]) == [
        "audit/root/1", "drift/1"]
    # keys AND-ed
    assert found_ids(client, Id=eq("audit/", comparison="PREFIX"), SeverityLabel=eq("HIGH", "LOW")) == ["audit/mfa/1", "audit/root/1"]
    assert found_ids(client, RecordState=eq("ACTIVE"), ComplianceStatus=eq("PASSED")) == []
    client_error(lambda: client.get_findings(Filters={"Id": [*eq("a"), *eq("b", comparison="NOT_EQUALS")]}), "InvalidInputException", 400)


def test_date_filters(findings_hub):
    client = findings_hub
    assert found_ids(client, UpdatedAt=[{"Start": "2024-05-02T00:00:00Z", "End": "2024-05-02T23:59:59Z"}]) == ["audit/root/2"]
    assert found_ids(client, UpdatedAt=[{"Start": T1}]) == ["audit/mfa/1", "audit/root/2"]
    assert found_ids(client, CreatedAt=[{"End": "2024-04-30T00:00:00Z"}]) == []
    assert found_ids(client, UpdatedAt=[{"DateRange": {"Value": 7, "Unit": "DAYS"}}]) == []  # all of them are older


@pytest.mark.parametrize("filters, named", [
    ({"SeverityNormalized": [{"Gte": 40}]}, "SeverityNormalized"),
    ({"ProductFields": [{"Key": "k", "Value": "v", "Comparison": "EQUALS"}]}, "ProductFields"),
    ({"Title": [{"Value": "x", "Comparison": "CONTAINS_WORD"}]}, "CONTAINS_WORD"),
])
def test_a_filter_the_emulator_does_not_implement_is_an_error(findings_hub, filters, named):
    assert named in client_error(lambda: findings_hub.get_findings(Filters=filters), "InvalidInputException", 400)


def test_sorting(findings_hub):
    client = findings_hub
    assert [item["Id"] for item in client.get_findings()["Findings"]][:2] == ["audit/mfa/1", "audit/root/2"]  # UpdatedAt descending
    ordered = client.get_findings(SortCriteria=[{"Field": "Id", "SortOrder": "asc"}])["Findings"]
    assert [item["Id"] for item in ordered] == ["audit/mfa/1", "audit/root/1", "audit/root/2", "drift/1"]
    ordered = client.get_findings(SortCriteria=[{"Field": "UpdatedAt", "SortOrder": "asc"}, {"Field": "Id", "SortOrder": "desc"}])["Findings"]
    assert [item["Id"] for item in ordered] == ["drift/1", "audit/root/1", "audit/root/2", "audit/mfa/1"]
    client_error(lambda: client.get_findings(SortCriteria=[{"Field": "Title", "SortOrder": "asc"}]), "InvalidInputException", 400)


def test_pagination_returns_each_finding_once(inprocess):
    client = hub(inprocess)
    for start in range(0, 250, 100):
        imported(client, *[finding(f"f{n:03d}", updated=f"2024-05-01T10:{n // 60:02d}:{n % 60:02d}Z") for n in range(start, min(start + 100, 250))])

    pages, token = [], None
    while True:
        response = client.get_findings(MaxResults=100, **({"NextToken": token} if token else {}))
        pages.append([item["Id"] for item in response["Findings"]])
        token = response.get("NextToken")
        if not token:
            break
    assert [len(page) for page in pages] == [100, 100, 50]
    seen = [name for page in pages for name in page]
    assert seen == [f"f{n:03d}" for n in reversed(range(250))]  # newest first, each once
    client_error(lambda: client.get_findings(MaxResults=101), "InvalidInputException", 400)


# ---------------------------------------------------------------------------
# The request log


def test_the_request_log_marks_imports_as_writes_and_reads_as_reads(aws):
    client = hub(aws, enable=False)
    if aws.endpoint:
        aws.control.clear_requests()
    else:
        STATE.clear_requests()
    client.enable_security_hub()
    client.describe_hub()
    imported(client, finding("f"))
    by_id(client, "f")
    log = aws.control.requests() if aws.endpoint else STATE.request_log()
    assert [(entry["service"], entry["action"], entry["write"]) for entry in log["entries"]] == [
        ("securityhub", "EnableSecurityHub", True),
        ("securityhub", "DescribeHub", False),
        ("securityhub", "BatchImportFindings", True),
        ("securityhub", "GetFindings", False),
    ]
