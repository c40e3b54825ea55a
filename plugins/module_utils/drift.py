# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What changed since an earlier audit: the findings that are new and those resolved, the accounts
that joined or left the audit, and those whose state changed - from two JSON audit reports (the
data of the rootguard.aws.audit_report filter). The findings of each report are its rows' own, or,
for a report written before findings existed, made from its rows' ``found`` with the table of
module_utils.findings, so that such a report compares as well as a new one."""

from __future__ import annotations

import datetime
import functools
import json

from . import findings

_ROW_STATE = ("outcome", "password", "access_keys", "active_access_keys", "signing_certificates", "mfa_devices")


class ReportError(ValueError):
    """An earlier report that cannot be compared with: malformed, or of another organization."""


def parse_time(text) -> datetime.datetime:
    text = str(text or "")
    try:
        moment = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError as error:
        raise ReportError(f"its generated_at is not an ISO 8601 time: {text!r}") from error
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def report_time(report: dict) -> datetime.datetime:
    return parse_time(report.get("generated_at"))


def parse_report(value) -> dict:
    """An earlier report given as its data or as the text of its JSON file (the last text parsed is kept: a role
    compares with the same report in each of the reports it writes)."""
    if isinstance(value, (str, bytes)):
        return _parsed(str(value) if isinstance(value, str) else value)
    return value


@functools.lru_cache(maxsize=1)
def _parsed(text) -> dict:
    try:
        return json.loads(text)
    except ValueError as error:
        raise ReportError(f"it is not JSON ({error})") from None


def problems(value, organization_id: str | None = None) -> list:
    """What makes ``value`` (an earlier report's data or JSON text) no report to compare with: [] when it is one."""
    try:
        check_report(parse_report(value), organization_id)
    except ReportError as error:
        return [str(error)]
    return []


def check_report(report, organization_id: str | None = None) -> None:
    """Raise ReportError saying what is wrong with ``report`` as an audit report of ``organization_id``."""
    if not isinstance(report, dict):
        raise ReportError("it is not a JSON object")
    if not isinstance(report.get("schema_version"), int) or report["schema_version"] < 3:
        raise ReportError(f"its schema_version is {report.get('schema_version')!r}, not an audit report's (3 or later)")
    rows = report.get("accounts")
    if not isinstance(rows, list) or not all(isinstance(row, dict) and row.get("id") for row in rows):
        raise ReportError("its accounts are not a list of rows with an id")
    report_time(report)
    if organization_id is not None and report.get("organization_id") != organization_id:
        raise ReportError(f"it is a report of organization {report.get('organization_id')!r}, not of {organization_id!r}")


def report_findings(report: dict) -> dict:
    """(account id, kind) -> finding, for every audited row of the report: the row's findings, or for a row without
    them (a report written before findings existed) those its ``found`` gives."""
    audited_at = report_time(report)
    found = {}
    for row in report.get("accounts") or []:
        listed = row.get("findings")
        if not isinstance(listed, list) or not all(isinstance(item, dict) and item.get("kind") in findings.KINDS for item in listed):
            entry = {"id": str(row["id"]), "name": row.get("name"), "status": row.get("status"), "found": row.get("found")}
            listed = findings.account_findings(entry, audited_at)
        for item in listed:
            found[(str(row["id"]), item["kind"])] = item
    return found


def _state(row: dict) -> dict:
    return {key: row.get(key) for key in _ROW_STATE}


def compare(previous: dict, current: dict) -> dict:
    """The drift section of ``current`` against ``previous`` (checked first: same organization)."""
    check_report(current)
    check_report(previous, current.get("organization_id"))
    before, now = report_findings(previous), report_findings(current)
    rows_before = {str(row["id"]): row for row in previous["accounts"]}
    rows_now = {str(row["id"]): row for row in current["accounts"]}
    both = sorted(set(rows_before) & set(rows_now))
    return {
        "since": previous.get("generated_at"),
        "previous_organization_id": previous.get("organization_id"),
        "new_findings": findings.ranked(now[key] for key in set(now) - set(before)),
        "resolved_findings": findings.ranked(before[key] for key in set(before) - set(now)),
        "accounts_joined": sorted(set(rows_now) - set(rows_before)),
        "accounts_left": sorted(set(rows_before) - set(rows_now)),
        "accounts_changed": [{"id": account_id, "before": _state(rows_before[account_id]), "after": _state(rows_now[account_id])}
                             for account_id in both if _state(rows_before[account_id]) != _state(rows_now[account_id])],
    }
