# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What an audit found, as findings: one per account and kind of root credential left, ranked by
how dangerous it is and named by the controls auditors ask about, and one for an organization
whose centralized root credentials management is off.

KINDS is the one table of severities and mappings (documented in docs/docsite/rst/findings.rst):

- AWS Security Hub CSPM controls IAM.4 "IAM root user access key should not exist" (Critical),
  IAM.9 "MFA should be enabled for the root user" and IAM.6 "Hardware MFA should be enabled for
  the root user"; IAM.6 and IAM.9 pass when the root user has no credentials.
- CIS AWS Foundations Benchmark v5.0.0 1.3 (no root access key), 1.4 (root MFA), 1.5 (hardware
  MFA), 1.6 (eliminate use of the root user), and v7.0.0 2.1.1 "Ensure centralized root access in
  AWS Organizations" with 2.4, 2.5, 2.6 and 2.7 for the same four as v5.0.0's.

The severities of the kinds Security Hub has no control for (signing certificates, an MFA device
without a password, a password with hardware MFA, the feature off) are this collection's."""

from __future__ import annotations

import datetime

RECENT_USE_DAYS = 90

CIS_V5 = "CIS AWS Foundations Benchmark v5.0.0"
CIS_V7 = "CIS AWS Foundations Benchmark v7.0.0"
CENTRALIZED_ROOT_ACCESS = f"{CIS_V7}/2.1.1"

REMOVE = "Remove the root user's credentials: rootguard.aws.harden_organization (or the root_credentials module, state absent)."
ENABLE = ("Enable centralized root access: rootguard.aws.harden_organization (or the iam_organizations_features module, "
          "features root_credentials_management and root_sessions).")

# kind: (severity, title, Security Hub controls, CIS requirements, remedy)
KINDS = {
    "root_access_key_active": (
        "CRITICAL", "The root user has an active access key", ["IAM.4"],
        [f"{CIS_V5}/1.3", f"{CIS_V7}/2.4", CENTRALIZED_ROOT_ACCESS], REMOVE),
    "root_access_key_recently_used": (
        "CRITICAL", f"A root user access key was used in the last {RECENT_USE_DAYS} days", ["IAM.4"],
        [f"{CIS_V5}/1.3", f"{CIS_V5}/1.6", f"{CIS_V7}/2.4", f"{CIS_V7}/2.7", CENTRALIZED_ROOT_ACCESS],
        "Find out who used the root user's access key and for what (CloudTrail), then remove it: " + REMOVE),
    "root_password_without_mfa": (
        "HIGH", "The root user has a password and no MFA device", ["IAM.9", "IAM.6"],
        [f"{CIS_V5}/1.4", f"{CIS_V7}/2.5", CENTRALIZED_ROOT_ACCESS], REMOVE),
    "root_password_with_virtual_mfa_only": (
        "MEDIUM", "The root user has a password with only virtual MFA", ["IAM.6"],
        [f"{CIS_V5}/1.5", f"{CIS_V7}/2.6", CENTRALIZED_ROOT_ACCESS], REMOVE),
    "root_password": (
        "LOW", "The root user of a member account has a password", [],
        [CENTRALIZED_ROOT_ACCESS], REMOVE),
    "root_access_key_inactive": (
        "LOW", "The root user has an inactive access key", ["IAM.4"],
        [f"{CIS_V5}/1.3", f"{CIS_V7}/2.4", CENTRALIZED_ROOT_ACCESS], REMOVE),
    "root_signing_certificate": (
        "LOW", "The root user has a signing certificate", [],
        [CENTRALIZED_ROOT_ACCESS], REMOVE),
    "root_mfa_device_without_password": (
        "LOW", "The root user has an MFA device left without a password", [],
        [CENTRALIZED_ROOT_ACCESS], REMOVE),
    "centralized_root_access_disabled": (
        "HIGH", "Centralized root credentials management is not enabled for the organization", [],
        [CENTRALIZED_ROOT_ACCESS], ENABLE),
}

SEVERITY_ORDER = {"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3}


def _parse_time(text):
    if not text:
        return None
    try:
        moment = datetime.datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def _ident(item: dict, key: str) -> str:
    return str(item.get(key) or "(no id)")


def _account_kinds(found: dict, audited_at: datetime.datetime) -> list:
    """(kind, the credentials it is about) for one audited account's ``found``."""
    kinds = []
    keys = found.get("access_keys") or []
    active = [_ident(key, "id") for key in keys if key.get("status") == "Active"]
    if active:
        kinds.append(("root_access_key_active", active))
    recent_since = audited_at - datetime.timedelta(days=RECENT_USE_DAYS)
    recent = [_ident(key, "id") for key in keys
              if (_parse_time(key.get("last_used_date")) or datetime.datetime.min.replace(tzinfo=datetime.timezone.utc)) >= recent_since]
    if recent:
        kinds.append(("root_access_key_recently_used", recent))
    inactive = [_ident(key, "id") for key in keys if key.get("status") != "Active"]
    if inactive:
        kinds.append(("root_access_key_inactive", inactive))
    mfa = found.get("mfa_devices") or []
    if (found.get("password") or {}).get("present"):
        if not mfa:
            kinds.append(("root_password_without_mfa", ["password"]))
        elif all(device.get("type") == "virtual" for device in mfa):
            kinds.append(("root_password_with_virtual_mfa_only", ["password"] + [_ident(device, "serial") for device in mfa]))
        else:
            kinds.append(("root_password", ["password"]))
    elif mfa:
        kinds.append(("root_mfa_device_without_password", [_ident(device, "serial") for device in mfa]))
    certificates = [_ident(certificate, "id") for certificate in found.get("signing_certificates") or []]
    if certificates:
        kinds.append(("root_signing_certificate", certificates))
    return kinds


def finding(kind: str, account_id: str, credentials: list, account_name: str | None = None) -> dict:
    severity, title, security_hub, cis, remedy = KINDS[kind]
    return {"kind": kind, "account_id": account_id, "account_name": account_name, "severity": severity, "title": title,
            "security_hub_controls": list(security_hub), "related_requirements": list(cis), "credentials": list(credentials),
            "remedy": remedy}


def account_findings(entry: dict, audited_at: datetime.datetime) -> list:
    """The findings of one account's audit entry; none for an account that was not audited."""
    if entry.get("status") != "ok" or not entry.get("found"):
        return []
    return [finding(kind, entry["id"], credentials, entry.get("name")) for kind, credentials in _account_kinds(entry["found"], audited_at)]


def audit_findings(result: dict, audited_at: datetime.datetime, management_account_id: str | None = None) -> list:
    """Every finding of an audit result, the most severe first (then by account and kind); the
    organization's own finding when ``result['features']`` shows root credentials management off."""
    found = []
    features = result.get("features")
    if isinstance(features, dict) and features.get("root_credentials_management") is False:
        found.append(finding("centralized_root_access_disabled", management_account_id or "", []))
    for entry in result.get("accounts") or []:
        found.extend(account_findings(entry, audited_at))
    return ranked(found)


def severity_counts(items) -> dict:
    """How many of the findings ``items`` have each severity (lower-case keys), and their ``total``."""
    items = list(items)
    counts = {severity.lower(): sum(1 for item in items if item["severity"] == severity) for severity in SEVERITY_ORDER}
    return dict(counts, total=len(items))


def ranked(items) -> list:
    """Findings the most severe first, then by account and by the order of KINDS."""
    kind_order = list(KINDS)
    return sorted(items, key=lambda item: (SEVERITY_ORDER[item["severity"]], item["account_id"], kind_order.index(item["kind"])))
