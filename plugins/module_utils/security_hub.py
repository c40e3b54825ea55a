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

import datetime
import re

from . import drift, findings, validation
from .clients import call, paginate
from .errors import InvalidInput, RootGuardError, is_code

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


# ---------------------------------------------------------------------------
# The module's service function


ORGANIZATION_ID = re.compile(r"o-[a-z0-9]{10,32}")
# How many of the findings sent the result lists one by one (the counts cover them all): a first import at
# 10,000 accounts sends tens of thousands, more than an automation controller keeps of a task's result.
LISTED_FINDINGS = 1000
ACTIONS = ("created", "updated", "reopened", "resolved")
# Security Hub deletes a finding 90 days after its last update: an open finding not updated for this many days is
# imported again (its UpdatedAt only), so that it stays while the credential does.
REFRESH_DAYS = 30


class SecurityHubNotEnabled(RootGuardError):
    error_class = "security_hub_not_enabled"


class ImportFailed(RootGuardError):
    error_class = "import_failed"


def given_findings(values) -> list:
    """The module's ``findings``, each made again from the table of module_utils.findings by its kind, account
    and credentials: what a finding says is the table's, whatever the caller passed."""
    made = {}
    for index, value in enumerate(values or ()):
        where = f"findings[{index}]"
        if not isinstance(value, dict):
            raise InvalidInput(f"{where}: a finding is a dict (an item of the audit report's findings), not {type(value).__name__}.")
        if value.get("kind") not in findings.KINDS:
            raise InvalidInput(f"{where}: kind {value.get('kind')!r} is none of {', '.join(findings.KINDS)}.")
        account = validation.account_id(value.get("account_id"), f"{where}.account_id")
        credentials = value.get("credentials") or []
        if not isinstance(credentials, list) or not all(isinstance(item, str) for item in credentials):
            raise InvalidInput(f"{where}.credentials: a list of the credentials' ids, not {credentials!r}.")
        name = value.get("account_name")
        made[(account, value["kind"])] = findings.finding(value["kind"], account, credentials, str(name) if name else None)
    return list(made.values())


def _now() -> str:
    moment = datetime.datetime.now(datetime.timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def _updated_before(existing: dict, now: str, days: int) -> bool:
    """Whether ``existing`` was last updated more than ``days`` before ``now`` (an unreadable UpdatedAt counts as old)."""
    try:
        updated = datetime.datetime.fromisoformat(str(existing.get("UpdatedAt")).replace("Z", "+00:00"))
        moment = datetime.datetime.fromisoformat(now.replace("Z", "+00:00"))
    except ValueError:
        return True
    if updated.tzinfo is None:
        updated = updated.replace(tzinfo=datetime.timezone.utc)
    return moment - updated > datetime.timedelta(days=days)


def _account_of(existing_id: str) -> str:
    """The member account of a finding id (rootguard.aws/<organization>/<account>/<kind>)."""
    parts = existing_id.split("/")
    return parts[2] if len(parts) == 4 else ""


def read_imported(client, product: str, organization_id: str, caller_account: str, region: str) -> dict:
    """Id -> the organization's findings this collection imported before, active or archived."""
    filters = {"ProductArn": [{"Value": product, "Comparison": "EQUALS"}],
               "Id": [{"Value": f"{ID_PREFIX}/{organization_id}/", "Comparison": "PREFIX"}]}
    try:
        found = paginate(client, "get_findings", "Findings", Filters=filters, PaginationConfig={"PageSize": 100})
    except RootGuardError as error:
        if is_code(error, "InvalidAccessException"):
            raise SecurityHubNotEnabled(
                f"AWS Security Hub is not enabled in account {caller_account}, Region {region} ({error.message}). Enable it there "
                "(aws securityhub enable-security-hub), or send the findings from an account and Region where it is. "
                "No finding was imported.", error.aws_error_code, "GetFindings") from None
        raise
    return {item["Id"]: item for item in found}


def plan(given: list, imported: dict, audited: set, *, organization_id: str, caller_account: str, region: str, partition: str,
         now: str) -> list:
    """(action, ASFF) for every finding to import: created (new), updated (says something new), reopened (resolved
    before, found again) and resolved (imported before, its account audited now without it)."""
    sent, current = [], set()
    for item in given:
        existing = imported.get(finding_id(organization_id, item["account_id"], item["kind"]))
        asff = to_asff(item, organization_id=organization_id, caller_account=caller_account, region=region, partition=partition,
                       now=now, created_at=(existing or {}).get("CreatedAt"))
        current.add(asff["Id"])
        if existing is None:
            sent.append(("created", asff))
        elif needs_import(asff, existing) or _updated_before(existing, now, REFRESH_DAYS):
            sent.append(("reopened" if existing.get("RecordState") == "ARCHIVED" else "updated", asff))
    for existing_id, existing in sorted(imported.items()):
        if existing_id in current or _account_of(existing_id) not in audited:
            continue
        if existing.get("RecordState") == "ARCHIVED" and (existing.get("Compliance") or {}).get("Status") == "PASSED":
            continue
        sent.append(("resolved", resolved(existing, now)))
    return sent


def _summary(action: str, asff: dict) -> dict:
    kind = (asff.get("ProductFields") or {}).get("rootguard/kind") or asff["Id"].rsplit("/", 1)[-1]
    return {"id": asff["Id"], "action": action, "account_id": _account_of(asff["Id"]), "kind": kind,
            "severity": (asff.get("FindingProviderFields") or {}).get("Severity", {}).get("Label"),
            "compliance_status": asff["Compliance"]["Status"]}


def import_findings(client, sent: list) -> None:
    """BatchImportFindings in batches of 100; ImportFailed naming the findings AWS refused (the others stay imported)."""
    refused = []
    for batch in batches([asff for _action, asff in sent]):
        response = call(client, "batch_import_findings", Findings=batch)
        refused.extend(response.get("FailedFindings") or ())
    if refused:
        listed = "; ".join(f"{item.get('Id')}: {item.get('ErrorCode')} {item.get('ErrorMessage')}" for item in refused[:10])
        more = f" (and {len(refused) - 10} more)" if len(refused) > 10 else ""
        raise ImportFailed(f"AWS Security Hub refused {len(refused)} of {len(sent)} findings: {listed}{more}.",
                           refused[0].get("ErrorCode"), "BatchImportFindings")


def from_report(path: str) -> tuple:
    """(findings, organization id, audited account ids) of an audit's JSON report file."""
    try:
        with open(path, encoding="utf-8") as handle:
            report = drift.parse_report(handle.read())
        drift.check_report(report)
    except OSError as error:
        raise InvalidInput(f"report: {path} cannot be read ({error.strerror}).") from None
    except drift.ReportError as error:
        raise InvalidInput(f"report: {path} is no audit report to send the findings of: {error}.") from None
    audited = [str(row["id"]) for row in report["accounts"] if row.get("status") == "ok"]
    return list(drift.report_findings(report).values()), report.get("organization_id"), audited


def security_hub_findings(factory, params: dict, check_mode: bool) -> dict:
    if params["report"]:
        given, organization_id, audited_ids = from_report(params["report"])
    else:
        given, organization_id, audited_ids = given_findings(params["findings"]), params["organization_id"], params["audited_account_ids"]
    organization_id = str(organization_id or "")
    if not ORGANIZATION_ID.fullmatch(organization_id):
        raise InvalidInput(f"organization_id: {organization_id!r} is not an organization id (o- and 10 to 32 lower-case letters or digits).")
    audited = set(validation.optional_account_ids(audited_ids, "audited_account_ids"))
    identity = call(factory.sts_client(), "get_caller_identity")
    caller_account, partition = identity["Account"], identity["Arn"].split(":")[1]
    product = product_arn(partition, factory.region, caller_account)
    client = factory.client("securityhub")
    imported = read_imported(client, product, organization_id, caller_account, factory.region)
    sent = plan(given, imported, audited, organization_id=organization_id, caller_account=caller_account, region=factory.region,
                partition=partition, now=_now())
    if sent and not check_mode:
        import_findings(client, sent)
    counts = {action: sum(1 for done, _asff in sent if done == action) for action in ACTIONS}
    counts["unchanged"] = len(given) - counts["created"] - counts["updated"] - counts["reopened"]
    return {
        "changed": bool(sent),
        "product_arn": product,
        "region": factory.region,
        "account_id": caller_account,
        "organization_id": organization_id,
        "counts": counts,
        "findings": [_summary(action, asff) for action, asff in sent[:LISTED_FINDINGS]],
        "findings_not_listed": max(0, len(sent) - LISTED_FINDINGS),
        "msg": (("Check mode: would import " if check_mode else "Imported ") if sent else "Nothing to import: ")
        + f"{counts['created']} new, {counts['updated']} updated, {counts['reopened']} reopened and {counts['resolved']} resolved findings "
        + f"({counts['unchanged']} unchanged) in {product}.",
    }
