"""The member account's other views of its root user: the IAM credential report's
``<root_account>`` row and GetAccountSummary, read as a scanner reads them (boto3, a role in
the member account), against the seeded truth, before and after a removal, with the report's
four-hour regeneration window on the emulator clock (rootguard_emulator.credential_report)."""

from __future__ import annotations

import base64
import csv
import datetime
import io
import os
import shutil
import subprocess
import sys

import pytest
from botocore.exceptions import ClientError

from rootguard_emulator import clock, credential_report
from rootguard_emulator.credential_report import COLUMNS

AUDIT = "IAMAuditRootUserCredentials"
DELETE = "IAMDeleteRootUserCredentials"
RCM = "RootCredentialsManagement"
SUMMARY_KEYS = ("AccountMFAEnabled", "AccountAccessKeysPresent", "AccountSigningCertificatesPresent", "AccountPasswordPresent")
FOUR_HOURS = 4 * 3600
ISO_SECONDS = "%Y-%m-%dT%H:%M:%S+00:00"


def advance_clock(aws, seconds: float) -> None:
    if aws.endpoint:
        aws.control.advance_clock(seconds)
    else:
        clock.advance(seconds)


def set_polls(aws, polls: int) -> None:
    if aws.endpoint:
        aws.control.set_credential_report_polls(polls)
    else:
        credential_report.configure(polls)


def scanner(aws, account_id: str):
    """IAM as a scanner in the member account sees it: through OrganizationAccountAccessRole."""
    return aws.client("iam", aws.member_credentials(account_id))


def error_of(call) -> tuple[str, int]:
    with pytest.raises(ClientError) as excinfo:
        call()
    return excinfo.value.response["Error"]["Code"], excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"]


def parse(content: bytes) -> list[dict[str, str]]:
    text = content.decode("utf-8")
    assert text.splitlines()[0] == ",".join(COLUMNS)
    return list(csv.DictReader(io.StringIO(text)))


def report_rows(iam) -> list[dict[str, str]]:
    return parse(iam.get_credential_report()["Content"])


def root_row(iam) -> dict[str, str]:
    rows = report_rows(iam)
    assert rows[0]["user"] == "<root_account>"
    assert [row["user"] for row in rows].count("<root_account>") == 1
    return rows[0]


def fresh_root_row(iam) -> dict[str, str]:
    assert iam.generate_credential_report()["State"] == "STARTED"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    return root_row(iam)


def account_summary(iam) -> dict[str, int]:
    summary_map = iam.get_account_summary()["SummaryMap"]
    return {key: summary_map[key] for key in SUMMARY_KEYS}


def iso(value: datetime.datetime) -> str:
    return value.astimezone(datetime.timezone.utc).strftime(ISO_SECONDS)


def expected_root_row(aws, account_id: str, truth: dict) -> dict[str, str]:
    """The row AWS's documentation gives for the seeded root user, with the dates the
    audit task reads (ListAccessKeys, GetAccessKeyLastUsed, ListSigningCertificates)."""
    audit = aws.client("iam", aws.assume_root(account_id, AUDIT))
    created = {key["AccessKeyId"]: key["CreateDate"] for key in audit.list_access_keys()["AccessKeyMetadata"]}
    uploaded = {cert["CertificateId"]: cert["UploadDate"] for cert in audit.list_signing_certificates()["Certificates"]}
    row = {
        "user": "<root_account>",
        "arn": f"arn:aws:iam::{account_id}:root",
        "password_enabled": "not_supported",
        "password_last_used": "no_information" if truth["password"] else "N/A",
        "password_last_changed": "not_supported",
        "password_next_rotation": "not_supported",
        "mfa_active": "true" if any(device["enabled"] for device in truth["mfa_devices"]) else "false",
    }
    keys = truth["access_keys"] + [None, None]
    for number, key in enumerate(keys[:2], start=1):
        prefix = f"access_key_{number}_"
        active = bool(key) and key["status"] == "Active"
        row[prefix + "active"] = "true" if active else "false"
        row[prefix + "last_rotated"] = iso(created[key["id"]]) if active else "N/A"
        last_used = audit.get_access_key_last_used(AccessKeyId=key["id"])["AccessKeyLastUsed"] if key else {}
        row[prefix + "last_used_date"] = iso(last_used["LastUsedDate"]) if "LastUsedDate" in last_used else "N/A"
        row[prefix + "last_used_region"] = last_used["Region"] if "LastUsedDate" in last_used else "N/A"
        row[prefix + "last_used_service"] = last_used["ServiceName"] if "LastUsedDate" in last_used else "N/A"
    certificates = truth["signing_certificates"] + [None, None]
    for number, certificate in enumerate(certificates[:2], start=1):
        active = bool(certificate) and certificate["status"] == "Active"
        row[f"cert_{number}_active"] = "true" if active else "false"
        row[f"cert_{number}_last_rotated"] = iso(uploaded[certificate["id"]]) if active else "N/A"
    return row


def expected_summary(truth: dict) -> dict[str, int]:
    return {
        "AccountMFAEnabled": int(any(device["enabled"] for device in truth["mfa_devices"])),
        "AccountAccessKeysPresent": int(bool(truth["access_keys"])),
        "AccountSigningCertificatesPresent": int(bool(truth["signing_certificates"])),
        "AccountPasswordPresent": int(truth["password"]),
    }


def without_creation_time(row: dict[str, str]) -> dict[str, str]:
    return {key: value for key, value in row.items() if key != "user_creation_time"}


def remove_root_credentials(aws, account_id: str) -> None:
    """What root_credentials does to one account, through an IAMDeleteRootUserCredentials session."""
    iam = aws.client("iam", aws.assume_root(account_id, DELETE))
    try:
        iam.delete_login_profile()
    except ClientError as error:
        assert error.response["Error"]["Code"] == "NoSuchEntity"
    for key in iam.list_access_keys()["AccessKeyMetadata"]:
        iam.delete_access_key(AccessKeyId=key["AccessKeyId"])
    for certificate in iam.list_signing_certificates()["Certificates"]:
        iam.delete_signing_certificate(CertificateId=certificate["CertificateId"])
    for device in iam.list_mfa_devices()["MFADevices"]:
        iam.deactivate_mfa_device(SerialNumber=device["SerialNumber"])
        if device["SerialNumber"].startswith("arn:"):
            iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])


def test_every_member_has_a_root_row_that_agrees_with_the_truth_and_the_summary(aws):
    truth = aws.seed(accounts=10, profile="mixed", features=[RCM])
    for account in truth["accounts"]:
        if account["state"] != "ACTIVE":
            continue
        iam = scanner(aws, account["id"])
        row = fresh_root_row(iam)
        assert list(row) == list(COLUMNS)
        assert without_creation_time(row) == without_creation_time(expected_root_row(aws, account["id"], account["root_user"]))
        datetime.datetime.strptime(row["user_creation_time"], ISO_SECONDS)
        summary = account_summary(iam)
        assert summary == expected_summary(account["root_user"]), account["credentials"]
        # The two views agree with each other, field by field.
        assert summary["AccountMFAEnabled"] == int(row["mfa_active"] == "true")
        assert summary["AccountPasswordPresent"] == int(row["password_last_used"] != "N/A")
        if summary["AccountAccessKeysPresent"] == 0:
            assert row["access_key_1_active"] == row["access_key_2_active"] == "false"
        if summary["AccountSigningCertificatesPresent"] == 0:
            assert row["cert_1_active"] == row["cert_2_active"] == "false"


def test_a_full_root_user_is_a_finding_in_the_report(aws):
    truth = aws.seed(accounts=1, profile="full", features=[RCM])
    account_id = truth["accounts"][0]["id"]
    row = fresh_root_row(scanner(aws, account_id))
    assert row["arn"] == f"arn:aws:iam::{account_id}:root"
    assert (row["mfa_active"], row["access_key_1_active"], row["cert_1_active"]) == ("true", "true", "true")
    assert row["password_last_used"] == "no_information"
    assert (row["access_key_1_last_used_region"], row["access_key_1_last_used_service"]) == ("us-east-1", "s3")
    # The second seeded key is Inactive and never used: N/A where the guide writes N/A.
    assert [row[f"access_key_2_{field}"] for field in ("active", "last_rotated", "last_used_date", "last_used_region", "last_used_service")] == [
        "false", "N/A", "N/A", "N/A", "N/A"]
    assert (row["cert_2_active"], row["cert_2_last_rotated"]) == ("false", "N/A")


def test_the_report_lists_iam_users_after_the_root_user(aws):
    truth = aws.seed(accounts=1, profile="none")
    iam = scanner(aws, truth["accounts"][0]["id"])
    iam.create_user(UserName="auditor")
    iam.generate_credential_report()
    rows = report_rows(iam)
    assert [row["user"] for row in rows] == ["<root_account>", "auditor"]
    assert (rows[0]["password_last_used"], rows[0]["mfa_active"]) == ("N/A", "false")
    assert all(rows[0][column] == ("false" if column.endswith("active") else "N/A")
               for column in COLUMNS if column.startswith(("access_key_", "cert_")))


def test_the_report_is_stale_for_four_hours_and_the_summary_is_not(aws):
    truth = aws.seed(accounts=1, profile="full", features=[RCM])
    account_id = truth["accounts"][0]["id"]
    iam = scanner(aws, account_id)
    before = fresh_root_row(iam)
    generated = iam.get_credential_report()["GeneratedTime"]
    assert account_summary(iam) == dict.fromkeys(SUMMARY_KEYS, 1)

    remove_root_credentials(aws, account_id)
    assert account_summary(iam) == dict.fromkeys(SUMMARY_KEYS, 0)  # at once, as GetAccountSummary is live
    advance_clock(aws, FOUR_HOURS - 60)  # the wall clock runs on too: a margin for the test itself
    within_window = iam.generate_credential_report()
    assert within_window["State"] == "COMPLETE" and "Description" not in within_window
    stale = iam.get_credential_report()
    assert stale["GeneratedTime"] == generated
    assert root_row(iam) == before  # still the credentials that were there at generation time

    advance_clock(aws, 60)
    assert error_of(iam.get_credential_report) == ("ReportExpired", 410)
    started = iam.generate_credential_report()
    assert started["State"] == "STARTED"
    assert "four hours" in started["Description"]
    after = root_row(iam)
    assert iam.get_credential_report()["GeneratedTime"] >= generated + datetime.timedelta(hours=4)
    assert (after["password_last_used"], after["mfa_active"]) == ("N/A", "false")
    assert [after[f"access_key_{n}_active"] for n in (1, 2)] + [after[f"cert_{n}_active"] for n in (1, 2)] == ["false"] * 4
    assert all(after[column] == "N/A" for column in COLUMNS if column.startswith(("access_key_", "cert_")) and not column.endswith("active"))
    assert account_summary(iam) == dict.fromkeys(SUMMARY_KEYS, 0)


def test_generation_answers_in_progress_until_it_completes(aws):
    truth = aws.seed(accounts=1, profile="password")
    iam = scanner(aws, truth["accounts"][0]["id"])
    assert error_of(iam.get_credential_report) == ("ReportNotPresent", 410)
    set_polls(aws, 2)
    started = iam.generate_credential_report()
    assert (started["State"], started["Description"]) == ("STARTED", "No report exists. Starting a new report generation task")
    assert error_of(iam.get_credential_report) == ("ReportInProgress", 404)
    assert iam.generate_credential_report()["State"] == "INPROGRESS"
    assert iam.generate_credential_report()["State"] == "COMPLETE"
    assert root_row(iam)["password_last_used"] == "no_information"


def test_reports_are_kept_per_account(aws):
    truth = aws.seed(accounts=2, profile="full")
    first, second = (account["id"] for account in truth["accounts"])
    fresh_root_row(scanner(aws, first))
    iam = scanner(aws, second)
    assert error_of(iam.get_credential_report) == ("ReportNotPresent", 410)
    assert fresh_root_row(iam)["arn"] == f"arn:aws:iam::{second}:root"


def test_an_audit_root_session_reads_the_summary_but_not_the_report(aws):
    # IAMAuditRootUserCredentials allows GetAccountSummary, not the credential report: a
    # scanner reads the report through a role in the member account.
    truth = aws.seed(accounts=1, profile="full", features=[RCM])
    audit = aws.client("iam", aws.assume_root(truth["accounts"][0]["id"], AUDIT))
    assert account_summary(audit) == dict.fromkeys(SUMMARY_KEYS, 1)
    assert error_of(audit.generate_credential_report) == ("AccessDenied", 403)
    assert error_of(audit.get_credential_report) == ("AccessDenied", 403)


def test_the_clock_and_the_report_settings_are_reset_with_the_emulator(http):
    assert http.control.advance_clock(60)["offset_seconds"] == 60
    assert http.control.set_credential_report_polls(3)["in_progress_polls"] == 3
    http.control.reset()
    assert http.control.clock()["offset_seconds"] == 0
    assert http.control.credential_report()["in_progress_polls"] == 0


def test_the_control_api_rejects_a_clock_moved_back_or_bad_settings(http):
    for path, body in (("/moto-api/rootguard/clock", {"advance_seconds": -1}),
                       ("/moto-api/rootguard/credential-report", {"in_progress_polls": -1}),
                       ("/moto-api/rootguard/credential-report", {"in_progress_polls": "2"})):
        with pytest.raises(Exception) as excinfo:
            http.control._call("POST", path, body)  # pylint: disable=protected-access
        assert getattr(excinfo.value, "code", None) == 400, path


def test_the_control_api_shows_the_stored_report(http):
    truth = http.seed(accounts=1, profile="password")
    account_id = truth["accounts"][0]["id"]
    assert http.control.credential_report(account_id)["report"] is None
    fresh_root_row(scanner(http, account_id))
    stored = http.control.credential_report(account_id)["report"]
    assert stored["in_progress"] is False
    assert stored["content"].splitlines()[1].startswith(f"<root_account>,arn:aws:iam::{account_id}:root,")


def test_the_aws_cli_reads_the_root_row(http, require_tool, tmp_path):
    aws_cli = require_tool(shutil.which("aws", path=os.path.dirname(sys.executable)) or shutil.which("aws"),
                           "the aws CLI (awscli in requirements-dev.txt) is neither next to this python nor on PATH")
    truth = http.seed(accounts=1, profile="full")
    credentials = http.member_credentials(truth["accounts"][0]["id"])
    env = {"PATH": os.environ.get("PATH", os.defpath), "HOME": str(tmp_path), "AWS_ENDPOINT_URL": http.endpoint,
           "AWS_DEFAULT_REGION": "us-east-1", "AWS_PAGER": "", "AWS_ACCESS_KEY_ID": credentials["aws_access_key_id"],
           "AWS_SECRET_ACCESS_KEY": credentials["aws_secret_access_key"], "AWS_SESSION_TOKEN": credentials["aws_session_token"]}

    def cli(*args: str) -> str:
        return subprocess.run([aws_cli, "iam", *args, "--output", "text"], env=env, capture_output=True, text=True,
                              check=True, timeout=60).stdout.strip()

    assert cli("generate-credential-report", "--query", "State") == "STARTED"
    assert cli("generate-credential-report", "--query", "State") == "COMPLETE"
    rows = parse(base64.b64decode(cli("get-credential-report", "--query", "Content")))
    assert (rows[0]["user"], rows[0]["mfa_active"], rows[0]["access_key_1_active"]) == ("<root_account>", "true", "true")
    assert cli("get-account-summary", "--query", "SummaryMap.AccountAccessKeysPresent") == "1"
