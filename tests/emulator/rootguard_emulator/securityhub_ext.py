"""AWS Security Hub: BatchImportFindings, GetFindings and DescribeHub as AWS documents them, in
place of moto's (which stores findings by Id alone, merges every re-import, ignores Filters and
SortCriteria, and serves a hub that is not enabled with a message that lacks the account id).

Sources: the Security Hub user guide pages "finding-update-batchimportfindings" (BatchImportFindings
for finding providers), "asff-required-attributes" (the ASFF's required top-level attributes),
"securityhub-custom-providers" (the default product of a custom integration) and
"finding-workflow-status" (when the workflow status goes back to NEW); the API reference of
StringFilter, FindingProviderFields and Severity; the botocore service model securityhub 2018-10-26
(the required members of AwsSecurityFinding, 1-100 findings a batch, MaxResults 1-100, the HTTP
status of each error: AccessDeniedException 403, InvalidAccessException 401, InvalidInputException 400).

What AWS does, and the emulator with it:

- The hub is enabled per account and Region. GetFindings and DescribeHub on a hub that is not
  enabled fail with InvalidAccessException "Account <account id> is not subscribed to AWS Security
  Hub". BatchImportFindings there does not fail: every finding comes back in FailedFindings with an
  InvalidAccess error (AWS documents only that; the ErrorCode "InvalidAccess" and the ErrorMessage,
  the same text as the exception's, are assumptions) and nothing is stored.
- The caller imports with its account's default product, arn:<partition>:securityhub:<Region>:
  <account>:product/<account>/default, and each finding's AwsAccountId must be the caller's account.
  Any other ProductArn or AwsAccountId in the batch fails the whole call with AccessDeniedException
  "User: arn:aws:iam::<caller>:root is not authorized to perform: securityhub:BatchImportFindings on
  resource: <ProductArn>" (assumed: the wording, and that the caller is named as its account's root
  whoever signed the request).
- A batch holds 1 to 100 findings (the API model's limits, which botocore checks only for the
  minimum); otherwise the call fails with InvalidInputException.
- Each finding is checked on its own; one that fails is returned in FailedFindings with ErrorCode
  "InvalidInput" and the rest of the batch is still imported. Checked: the ten required members of
  the model, Severity (Label or Normalized) and Types (non-empty) as the ASFF requires them (or their
  FindingProviderFields counterparts, which AWS accepts instead), Id <= 512 characters, Title <= 256,
  Description <= 1024, SchemaVersion 2018-10-08, timestamps in ISO 8601, Resources non-empty with
  Type and Id, Compliance.RelatedRequirements <= 32 items, the enumerations of Severity.Label,
  RecordState, Compliance.Status and Workflow.Status, and a finding of at most 240 KB (its JSON,
  assumed to mean 240 x 1024 bytes). The messages follow the "Finding does not adhere to Amazon
  Finding Format. data.<field> ..." wording AWS has been seen to return (assumed: the exact texts).
- A finding is identified by ProductArn and Id. A new one is stored with RecordState ACTIVE,
  Workflow.Status NEW and WorkflowState NEW unless given, Region the hub's, ProductName "Default" and
  CompanyName "Personal" unless given (a custom integration may set them), ProcessedAt now, the
  missing one of Severity.Label and Severity.Normalized filled in (Label -> 0/1/40/70/90, Normalized
  -> the Label of its range), FindingProviderFields filled from the top-level attributes when absent
  and the top-level attributes from FindingProviderFields when absent. AWS says CreatedAt and
  UpdatedAt should be equal on creation but documents no error, so none is raised.
- An update whose UpdatedAt is not later than the stored one's (compared as instants) is ignored,
  and still counted a success. A later one replaces the stored finding (providers send the whole
  finding), except Workflow, WorkflowState, Note, UserDefinedFields and VerificationState, which
  BatchImportFindings cannot change once the finding exists, and RecordState, kept when the update
  leaves it out (assumed). Workflow.Status NOTIFIED or RESOLVED goes back to NEW when RecordState
  goes from ARCHIVED to ACTIVE or Compliance.Status from PASSED to FAILED, WARNING or NOT_AVAILABLE
  (the finding-workflow-status page names both statuses for both changes); SUPPRESSED stays.
- GetFindings filters (AwsSecurityFindingFilters) on the keys in STRING_FILTERS and DATE_FILTERS.
  Within one key, EQUALS, PREFIX and CONTAINS are OR-ed, NOT_EQUALS, PREFIX_NOT_EQUALS and
  NOT_CONTAINS AND-ed, and the two groups AND-ed; keys are AND-ed. CONTAINS with NOT_CONTAINS, and
  EQUALS with NOT_EQUALS or PREFIX_NOT_EQUALS, on one key are an error, as the StringFilter reference
  says. On a key with several values (ResourceId, Type, ...) a positive comparison matches when one
  value does, a negative one when none does, and a finding without the attribute matches only the
  negative comparisons (assumed). Comparisons are case-sensitive (assumed). A DateFilter takes Start
  and/or End (inclusive) or DateRange {Value, Unit DAYS}: the last Value days up to any later time
  (assumed); several DateFilters on one key are OR-ed (assumed). A key or comparison the emulator
  does not implement (number and map filters, CONTAINS_WORD, ...) is an InvalidInputException that
  names it, so a test never reads unfiltered findings as filtered ones.
- SortCriteria sorts on UpdatedAt, CreatedAt or Id, asc or desc (asc when SortOrder is left out:
  assumed), the first criterion first; without SortCriteria, UpdatedAt descending. Pagination is
  moto's (MaxResults 1-100, NextToken), resuming at the ProductArn and Id the token names."""

from __future__ import annotations

import copy
import datetime
import json
from typing import Any, Callable

from moto.securityhub.exceptions import SecurityHubClientError
from moto.securityhub.models import Finding, SecurityHubBackend
from moto.utilities.paginator import paginate

_ORIGINALS: dict[str, Callable[..., Any]] = {}

MAX_FINDINGS_PER_BATCH = 100
MAX_FINDING_BYTES = 240 * 1024
SCHEMA_VERSION = "2018-10-08"
REQUIRED = ("SchemaVersion", "Id", "ProductArn", "GeneratorId", "AwsAccountId", "CreatedAt", "UpdatedAt", "Title", "Description", "Resources")
REQUIRED_STRINGS = REQUIRED[:-1]
MAX_LENGTHS = {"Id": 512, "Title": 256, "Description": 1024}
TIMESTAMPS = ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt")
MAX_RELATED_REQUIREMENTS = 32
SEVERITY_NORMALIZED = {"INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 40, "HIGH": 70, "CRITICAL": 90}
RECORD_STATES = ("ACTIVE", "ARCHIVED")
COMPLIANCE_STATUSES = ("PASSED", "WARNING", "FAILED", "NOT_AVAILABLE")
WORKFLOW_STATUSES = ("NEW", "NOTIFIED", "RESOLVED", "SUPPRESSED")
# BatchImportFindings cannot change these once the finding exists.
KEPT_ON_UPDATE = ("Workflow", "WorkflowState", "Note", "UserDefinedFields", "VerificationState")
# The attributes FindingProviderFields mirrors.
PROVIDER_FIELDS = ("Confidence", "Criticality", "RelatedFindings", "Severity", "Types")

# AwsSecurityFindingFilters key -> the path of its attribute in the finding (through lists).
STRING_FILTERS: dict[str, tuple[str, ...]] = {
    "Id": ("Id",),
    "ProductArn": ("ProductArn",),
    "AwsAccountId": ("AwsAccountId",),
    "GeneratorId": ("GeneratorId",),
    "Region": ("Region",),
    "Type": ("Types",),
    "Title": ("Title",),
    "Description": ("Description",),
    "ProductName": ("ProductName",),
    "CompanyName": ("CompanyName",),
    "SeverityLabel": ("Severity", "Label"),
    "RecordState": ("RecordState",),
    "WorkflowStatus": ("Workflow", "Status"),
    "WorkflowState": ("WorkflowState",),
    "VerificationState": ("VerificationState",),
    "ComplianceStatus": ("Compliance", "Status"),
    "ComplianceSecurityControlId": ("Compliance", "SecurityControlId"),
    "ResourceId": ("Resources", "Id"),
    "ResourceType": ("Resources", "Type"),
    "ResourcePartition": ("Resources", "Partition"),
    "ResourceRegion": ("Resources", "Region"),
}
DATE_FILTERS = ("CreatedAt", "UpdatedAt", "FirstObservedAt", "LastObservedAt")
POSITIVE = {
    "EQUALS": lambda value, wanted: value == wanted,
    "PREFIX": lambda value, wanted: value.startswith(wanted),
    "CONTAINS": lambda value, wanted: wanted in value,
}
NEGATIVE = {"NOT_EQUALS": "EQUALS", "PREFIX_NOT_EQUALS": "PREFIX", "NOT_CONTAINS": "CONTAINS"}
SORT_FIELDS = ("UpdatedAt", "CreatedAt", "Id")
SORT_ORDERS = ("asc", "desc")

PAGINATION_MODEL = {"get_findings": {**SecurityHubBackend.PAGINATION_MODEL["get_findings"], "unique_attribute": ["ProductArn", "Id"]}}


# ---------------------------------------------------------------------------
# Errors

def not_subscribed_message(account_id: str) -> str:
    return f"Account {account_id} is not subscribed to AWS Security Hub"


def not_subscribed(account_id: str) -> SecurityHubClientError:
    return SecurityHubClientError("InvalidAccessException", not_subscribed_message(account_id))


def invalid_input(message: str) -> SecurityHubClientError:
    return SecurityHubClientError("InvalidInputException", message)


def access_denied(account_id: str, product_arn: str) -> SecurityHubClientError:
    return SecurityHubClientError(
        "AccessDeniedException",
        f"User: arn:aws:iam::{account_id}:root is not authorized to perform: securityhub:BatchImportFindings on resource: {product_arn}",
    )


def _asff(detail: str) -> str:
    return f"Finding does not adhere to Amazon Finding Format. {detail}."


# ---------------------------------------------------------------------------
# Timestamps

def parse_timestamp(value: Any) -> datetime.datetime | None:
    """An ASFF timestamp (ISO 8601 date and time, ``Z`` or an offset; none means UTC) as an aware
    datetime, or None when it is not one."""
    if not isinstance(value, str) or "T" not in value.upper():
        return None
    try:
        parsed = datetime.datetime.fromisoformat(value.strip())
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=datetime.timezone.utc)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _timestamp(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


# ---------------------------------------------------------------------------
# BatchImportFindings

def default_product_arn(backend: SecurityHubBackend) -> str:
    return f"arn:{backend.partition}:securityhub:{backend.region_name}:{backend.account_id}:product/{backend.account_id}/default"


def _check_access(backend: SecurityHubBackend, findings: list) -> None:
    """The whole call fails when a finding names another product or another account."""
    expected = default_product_arn(backend)
    for finding in findings:
        if not isinstance(finding, dict):
            continue
        product_arn = finding.get("ProductArn")
        if isinstance(product_arn, str) and product_arn != expected:
            raise access_denied(backend.account_id, product_arn)
        account_id = finding.get("AwsAccountId")
        if isinstance(account_id, str) and account_id != backend.account_id:
            raise access_denied(backend.account_id, product_arn if isinstance(product_arn, str) else expected)


def _severity_error(severity: Any, where: str) -> str | None:
    if not isinstance(severity, dict):
        return _asff(f"{where} should be object")
    if "Label" not in severity and "Normalized" not in severity:
        return _asff(f"{where} should have required property 'Label' or 'Normalized'")
    if "Label" in severity and severity["Label"] not in SEVERITY_NORMALIZED:
        return _asff(f"{where}.Label should be equal to one of the allowed values ({', '.join(SEVERITY_NORMALIZED)})")
    normalized = severity.get("Normalized")
    if "Normalized" in severity and (isinstance(normalized, bool) or not isinstance(normalized, int) or not 0 <= normalized <= 100):
        return _asff(f"{where}.Normalized should be an integer from 0 to 100")
    return None


def _types_error(types: Any, where: str) -> str | None:
    if not isinstance(types, list):
        return _asff(f"{where} should be array")
    if not types:
        return _asff(f"{where} should NOT have fewer than 1 items")
    if not all(isinstance(item, str) and item for item in types):
        return _asff(f"{where} items should be non-empty strings")
    return None


def _enum_error(value: Any, allowed: tuple[str, ...], where: str) -> str | None:
    if value not in allowed:
        return _asff(f"{where} should be equal to one of the allowed values ({', '.join(allowed)})")
    return None


def finding_error(finding: Any) -> str | None:
    """Why a finding cannot be imported (the ErrorMessage of its InvalidInput failure), or None."""
    if not isinstance(finding, dict):
        return _asff("data should be object")
    for field in REQUIRED:
        if finding.get(field) is None:
            return _asff(f"data should have required property '{field}'")
    for field in REQUIRED_STRINGS:
        if not isinstance(finding[field], str):
            return _asff(f"data.{field} should be string")
        if not finding[field].strip():
            return _asff(f"data.{field} should NOT be shorter than 1 characters")
    for field, limit in MAX_LENGTHS.items():
        if len(finding[field]) > limit:
            return _asff(f"data.{field} should NOT be longer than {limit} characters")
    if finding["SchemaVersion"] != SCHEMA_VERSION:
        return _asff(f"data.SchemaVersion should be equal to one of the allowed values ({SCHEMA_VERSION})")
    for field in TIMESTAMPS:
        if field in finding and parse_timestamp(finding[field]) is None:
            return _asff(f'data.{field} should match format "date-time"')
    resources = finding["Resources"]
    if not isinstance(resources, list):
        return _asff("data.Resources should be array")
    if not resources:
        return _asff("data.Resources should NOT have fewer than 1 items")
    for index, resource in enumerate(resources):
        if not isinstance(resource, dict):
            return _asff(f"data.Resources[{index}] should be object")
        for field in ("Type", "Id"):
            if field not in resource:
                return _asff(f"data.Resources[{index}] should have required property '{field}'")
            if not isinstance(resource[field], str) or not resource[field]:
                return _asff(f"data.Resources[{index}].{field} should NOT be shorter than 1 characters")
    provider_fields = finding.get("FindingProviderFields")
    if provider_fields is not None and not isinstance(provider_fields, dict):
        return _asff("data.FindingProviderFields should be object")
    provider_fields = provider_fields or {}
    for field, check in (("Severity", _severity_error), ("Types", _types_error)):
        if finding.get(field) is None and provider_fields.get(field) is None:
            return _asff(f"data should have required property '{field}'")
        for where, value in ((f"data.{field}", finding.get(field)), (f"data.FindingProviderFields.{field}", provider_fields.get(field))):
            error = check(value, where) if value is not None else None
            if error:
                return error
    if "RecordState" in finding:
        error = _enum_error(finding["RecordState"], RECORD_STATES, "data.RecordState")
        if error:
            return error
    compliance = finding.get("Compliance")
    if compliance is not None:
        if not isinstance(compliance, dict):
            return _asff("data.Compliance should be object")
        if "Status" in compliance:
            error = _enum_error(compliance["Status"], COMPLIANCE_STATUSES, "data.Compliance.Status")
            if error:
                return error
        requirements = compliance.get("RelatedRequirements")
        if requirements is not None and (not isinstance(requirements, list) or len(requirements) > MAX_RELATED_REQUIREMENTS):
            return _asff(f"data.Compliance.RelatedRequirements should NOT have more than {MAX_RELATED_REQUIREMENTS} items")
    workflow = finding.get("Workflow")
    if workflow is not None:
        if not isinstance(workflow, dict):
            return _asff("data.Workflow should be object")
        if "Status" in workflow:
            error = _enum_error(workflow["Status"], WORKFLOW_STATUSES, "data.Workflow.Status")
            if error:
                return error
    if len(json.dumps(finding, separators=(",", ":")).encode("utf-8")) > MAX_FINDING_BYTES:
        return _asff("data exceeds the maximum finding size of 240 KB")
    return None


def _label_of(normalized: int) -> str:
    for label in ("CRITICAL", "HIGH", "MEDIUM", "LOW"):
        if normalized >= SEVERITY_NORMALIZED[label]:
            return label
    return "INFORMATIONAL"


def _complete_severity(severity: Any) -> None:
    if not isinstance(severity, dict):
        return
    if "Label" in severity and "Normalized" not in severity:
        severity["Normalized"] = SEVERITY_NORMALIZED[severity["Label"]]
    elif "Normalized" in severity and "Label" not in severity:
        severity["Label"] = _label_of(severity["Normalized"])


def _mirror_provider_fields(finding: dict[str, Any]) -> None:
    """The top-level attributes from FindingProviderFields where they are absent, and
    FindingProviderFields from the top-level attributes when it is absent."""
    provider_fields = finding.get("FindingProviderFields")
    for field in PROVIDER_FIELDS:
        if provider_fields is not None and finding.get(field) is None and provider_fields.get(field) is not None:
            finding[field] = copy.deepcopy(provider_fields[field])
    _complete_severity(finding.get("Severity"))
    if provider_fields is None:
        finding["FindingProviderFields"] = {field: copy.deepcopy(finding[field]) for field in PROVIDER_FIELDS if finding.get(field) is not None}


def _stamp(backend: SecurityHubBackend, finding: dict[str, Any], now: datetime.datetime) -> None:
    finding["Region"] = backend.region_name
    finding.setdefault("ProductName", "Default")
    finding.setdefault("CompanyName", "Personal")
    finding["ProcessedAt"] = _timestamp(now)
    _mirror_provider_fields(finding)


def _created(backend: SecurityHubBackend, data: dict[str, Any], now: datetime.datetime) -> dict[str, Any]:
    finding = copy.deepcopy(data)
    finding.setdefault("RecordState", "ACTIVE")
    workflow = finding.setdefault("Workflow", {})
    workflow.setdefault("Status", "NEW")
    finding.setdefault("WorkflowState", "NEW")
    _stamp(backend, finding, now)
    return finding


def _workflow_goes_back_to_new(old: dict[str, Any], new: dict[str, Any]) -> bool:
    if (old.get("Workflow") or {}).get("Status") not in ("NOTIFIED", "RESOLVED"):
        return False
    reactivated = old.get("RecordState") == "ARCHIVED" and new.get("RecordState") == "ACTIVE"
    old_compliance = (old.get("Compliance") or {}).get("Status")
    new_compliance = (new.get("Compliance") or {}).get("Status")
    regressed = old_compliance == "PASSED" and new_compliance in ("FAILED", "WARNING", "NOT_AVAILABLE")
    return reactivated or regressed


def _updated(backend: SecurityHubBackend, old: dict[str, Any], data: dict[str, Any], now: datetime.datetime) -> dict[str, Any]:
    finding = copy.deepcopy(data)
    for field in KEPT_ON_UPDATE:
        finding.pop(field, None)
        if field in old:
            finding[field] = copy.deepcopy(old[field])
    finding.setdefault("RecordState", old.get("RecordState", "ACTIVE"))
    if _workflow_goes_back_to_new(old, finding):
        finding["Workflow"] = {**finding.get("Workflow", {}), "Status": "NEW"}
    _stamp(backend, finding, now)
    return finding


def batch_import_findings(self: SecurityHubBackend, findings: list[dict[str, Any]]) -> tuple[int, int, list[dict[str, Any]]]:
    if not isinstance(findings, list) or not 1 <= len(findings) <= MAX_FINDINGS_PER_BATCH:
        count = len(findings) if isinstance(findings, list) else 0
        raise invalid_input(
            f"Findings must contain between 1 and {MAX_FINDINGS_PER_BATCH} findings; the request has {count}"
        )
    _check_access(self, findings)
    failed: list[dict[str, Any]] = []
    if not self.enabled:
        message = not_subscribed_message(self.account_id)
        for finding in findings:
            failed.append({"Id": _finding_id(finding), "ErrorCode": "InvalidAccess", "ErrorMessage": message})
        return len(failed), 0, failed
    stored = {(finding.data.get("ProductArn"), finding.id): finding for finding in self.findings}
    succeeded = 0
    now = _now()
    for data in findings:
        error = finding_error(data)
        if error is not None:
            failed.append({"Id": _finding_id(data), "ErrorCode": "InvalidInput", "ErrorMessage": error})
            continue
        key = (data["ProductArn"], data["Id"])
        existing = stored.get(key)
        if existing is None:
            existing = Finding(data["Id"], _created(self, data, now))
            self.findings.append(existing)
            stored[key] = existing
        elif parse_timestamp(data["UpdatedAt"]) > parse_timestamp(existing.data["UpdatedAt"]):  # type: ignore[operator]
            existing.data = _updated(self, existing.data, data, now)
        succeeded += 1
    return len(failed), succeeded, failed


def _finding_id(finding: Any) -> str:
    value = finding.get("Id") if isinstance(finding, dict) else None
    return "" if value is None else str(value)


# ---------------------------------------------------------------------------
# GetFindings

def _values(finding: dict[str, Any], path: tuple[str, ...]) -> list[str]:
    current: list[Any] = [finding]
    for part in path:
        following: list[Any] = []
        for item in current:
            if isinstance(item, dict) and item.get(part) is not None:
                value = item[part]
                following.extend(value if isinstance(value, list) else [value])
        current = following
    return [value for value in current if isinstance(value, str)]


def _check_string_filters(key: str, conditions: list) -> None:
    comparisons = set()
    for condition in conditions:
        if not isinstance(condition, dict) or not isinstance(condition.get("Value"), str) or "Comparison" not in condition:
            raise invalid_input(f"Filters.{key}: each filter needs a Value and a Comparison")
        comparison = condition["Comparison"]
        if comparison not in POSITIVE and comparison not in NEGATIVE:
            raise invalid_input(f"Filters.{key}: the Comparison {comparison} is not implemented by the emulator "
                                f"(it implements {', '.join([*POSITIVE, *NEGATIVE])})")
        comparisons.add(comparison)
    if {"CONTAINS", "NOT_CONTAINS"} <= comparisons:
        raise invalid_input(f"Filters.{key}: CONTAINS and NOT_CONTAINS cannot be combined on the same field")
    if "EQUALS" in comparisons and comparisons & {"NOT_EQUALS", "PREFIX_NOT_EQUALS"}:
        raise invalid_input(f"Filters.{key}: EQUALS cannot be combined with NOT_EQUALS or PREFIX_NOT_EQUALS on the same field")


def _date_bounds(key: str, condition: Any, now: datetime.datetime) -> tuple[datetime.datetime | None, datetime.datetime | None]:
    if not isinstance(condition, dict):
        raise invalid_input(f"Filters.{key}: each filter must be a DateFilter")
    if condition.get("DateRange") is not None:
        date_range = condition["DateRange"] if isinstance(condition["DateRange"], dict) else {}
        value = date_range.get("Value")
        if date_range.get("Unit") != "DAYS" or isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise invalid_input(f"Filters.{key}: DateRange needs a Value of 0 or more and the Unit DAYS")
        return now - datetime.timedelta(days=value), None
    start, end = condition.get("Start"), condition.get("End")
    if start is None and end is None:
        raise invalid_input(f"Filters.{key}: a DateFilter needs Start, End or DateRange")
    bounds = []
    for name, text in (("Start", start), ("End", end)):
        parsed = parse_timestamp(text) if text is not None else None
        if text is not None and parsed is None:
            raise invalid_input(f"Filters.{key}.{name}: {text!r} is not an ISO 8601 date and time")
        bounds.append(parsed)
    return bounds[0], bounds[1]


def _string_matcher(key: str, conditions: list) -> Callable[[dict[str, Any]], bool]:
    path = STRING_FILTERS[key]
    positives = [(POSITIVE[c["Comparison"]], c["Value"]) for c in conditions if c["Comparison"] in POSITIVE]
    negatives = [(POSITIVE[NEGATIVE[c["Comparison"]]], c["Value"]) for c in conditions if c["Comparison"] in NEGATIVE]

    def matches(finding: dict[str, Any]) -> bool:
        values = _values(finding, path)
        if positives and not any(test(value, wanted) for test, wanted in positives for value in values):
            return False
        return not any(test(value, wanted) for test, wanted in negatives for value in values)

    return matches


def _date_matcher(key: str, conditions: list, now: datetime.datetime) -> Callable[[dict[str, Any]], bool]:
    ranges = [_date_bounds(key, condition, now) for condition in conditions]

    def matches(finding: dict[str, Any]) -> bool:
        moment = parse_timestamp(finding.get(key))
        if moment is None:
            return False
        return any((start is None or moment >= start) and (end is None or moment <= end) for start, end in ranges)

    return matches


def finding_matchers(filters: Any, now: datetime.datetime | None = None) -> list[Callable[[dict[str, Any]], bool]]:
    """One predicate per filter key, after checking every key is one the emulator implements."""
    if filters is None:
        return []
    if not isinstance(filters, dict):
        raise invalid_input("Filters must be an AwsSecurityFindingFilters object")
    now = now or _now()
    matchers = []
    for key, conditions in filters.items():
        if key not in STRING_FILTERS and key not in DATE_FILTERS:
            raise invalid_input(f"The filter {key} is not implemented by the emulator; it implements "
                                f"{', '.join(sorted([*STRING_FILTERS, *DATE_FILTERS]))}")
        if conditions is None:
            continue
        if not isinstance(conditions, list):
            raise invalid_input(f"Filters.{key} must be a list")
        if not conditions:
            continue
        if key in STRING_FILTERS:
            _check_string_filters(key, conditions)
            matchers.append(_string_matcher(key, conditions))
        else:
            matchers.append(_date_matcher(key, conditions, now))
    return matchers


def _sort_key(field: str) -> Callable[[dict[str, Any]], Any]:
    if field == "Id":
        return lambda finding: finding.get("Id", "")
    oldest = datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)
    return lambda finding: parse_timestamp(finding.get(field)) or oldest


def sort_findings(findings: list[dict[str, Any]], sort_criteria: Any) -> list[dict[str, Any]]:
    criteria = sort_criteria or [{"Field": "UpdatedAt", "SortOrder": "desc"}]
    if not isinstance(criteria, list):
        raise invalid_input("SortCriteria must be a list")
    for criterion in criteria:
        if not isinstance(criterion, dict) or criterion.get("Field") not in SORT_FIELDS:
            field = criterion.get("Field") if isinstance(criterion, dict) else criterion
            raise invalid_input(f"SortCriteria: the Field {field} is not implemented by the emulator (it implements {', '.join(SORT_FIELDS)})")
        if criterion.get("SortOrder", "asc") not in SORT_ORDERS:
            raise invalid_input(f"SortCriteria: SortOrder must be asc or desc, not {criterion.get('SortOrder')}")
    ordered = list(findings)
    for criterion in reversed(criteria):  # stable sorts, the first criterion last
        ordered.sort(key=_sort_key(criterion["Field"]), reverse=criterion.get("SortOrder", "asc") == "desc")
    return ordered


@paginate(pagination_model=PAGINATION_MODEL)
def get_findings(self: SecurityHubBackend, filters: dict[str, Any] | None = None, sort_criteria: list[dict[str, str]] | None = None,
                 max_results: int | None = None) -> list[dict[str, Any]]:
    if not self.enabled:
        raise not_subscribed(self.account_id)
    if max_results is not None and (isinstance(max_results, bool) or not isinstance(max_results, int) or not 1 <= max_results <= 100):
        raise invalid_input("MaxResults must be a number between 1 and 100")
    matchers = finding_matchers(filters)
    selected = [finding.data for finding in self.findings if all(match(finding.data) for match in matchers)]
    return sort_findings(selected, sort_criteria)


# ---------------------------------------------------------------------------
# DescribeHub

def describe_hub(self: SecurityHubBackend, hub_arn: str | None = None) -> dict[str, Any]:
    if not self.enabled:
        raise not_subscribed(self.account_id)
    return _ORIGINALS["describe_hub"](self, hub_arn=hub_arn)


def install() -> None:
    _ORIGINALS.setdefault("describe_hub", SecurityHubBackend.describe_hub)
    _ORIGINALS.setdefault("get_findings", SecurityHubBackend.get_findings)
    _ORIGINALS.setdefault("batch_import_findings", SecurityHubBackend.batch_import_findings)
    SecurityHubBackend.describe_hub = describe_hub  # type: ignore[method-assign]
    SecurityHubBackend.get_findings = get_findings  # type: ignore[method-assign]
    SecurityHubBackend.batch_import_findings = batch_import_findings  # type: ignore[method-assign]
