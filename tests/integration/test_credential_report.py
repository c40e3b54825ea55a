"""What a security scanner sees in the member accounts before and after harden_organization.yml:
the IAM credential report's ``<root_account>`` row and GetAccountSummary, read through boto3 with
a role in each member account, against the seeded truth and the emulator's state after the run.
The report is regenerated at most every four hours (the emulator clock is moved, not waited for),
so it shows the removed credentials until then, as AWS's does; GetAccountSummary shows them gone
at once."""

from __future__ import annotations

import csv
import io

import boto3
import pytest
from botocore.exceptions import ClientError

from test_playbooks import HARDEN, assert_ok
from test_root_credentials import active_members

REGION = "us-east-1"
FOUR_HOURS = 4 * 3600
SUMMARY_KEYS = ("AccountMFAEnabled", "AccountAccessKeysPresent", "AccountSigningCertificatesPresent", "AccountPasswordPresent")
CREDENTIAL_FLAGS = ("access_key_1_active", "access_key_2_active", "cert_1_active", "cert_2_active")


def scanner(endpoint: str, account_id: str):
    """IAM in a member account, as a scanner reads it: through OrganizationAccountAccessRole."""
    management = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing", "region_name": REGION, "endpoint_url": endpoint}
    credentials = boto3.client("sts", **management).assume_role(
        RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole", RoleSessionName="scanner")["Credentials"]
    return boto3.client("iam", region_name=REGION, endpoint_url=endpoint, aws_access_key_id=credentials["AccessKeyId"],
                        aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"])


def root_row(iam) -> dict[str, str]:
    rows = list(csv.DictReader(io.StringIO(iam.get_credential_report()["Content"].decode("utf-8"))))
    assert rows[0]["user"] == "<root_account>"
    return rows[0]


def summary(iam) -> dict[str, int]:
    summary_map = iam.get_account_summary()["SummaryMap"]
    return {key: summary_map[key] for key in SUMMARY_KEYS}


def view(row: dict[str, str], account_summary: dict[str, int]) -> dict[str, bool]:
    """The root user's credentials as the two views show them, each flag from both."""
    return {
        "password": row["password_last_used"] != "N/A",
        "password (summary)": bool(account_summary["AccountPasswordPresent"]),
        "active access key": "true" in (row["access_key_1_active"], row["access_key_2_active"]),
        "access keys (summary)": bool(account_summary["AccountAccessKeysPresent"]),
        "active certificate": "true" in (row["cert_1_active"], row["cert_2_active"]),
        "certificates (summary)": bool(account_summary["AccountSigningCertificatesPresent"]),
        "mfa": row["mfa_active"] == "true",
        "mfa (summary)": bool(account_summary["AccountMFAEnabled"]),
    }


def seeded_view(root_user: dict) -> dict[str, bool]:
    active_keys = any(key["status"] == "Active" for key in root_user["access_keys"])
    active_certificates = any(cert["status"] == "Active" for cert in root_user["signing_certificates"])
    mfa = any(device["enabled"] for device in root_user["mfa_devices"])
    return {
        "password": root_user["password"], "password (summary)": root_user["password"],
        "active access key": active_keys, "access keys (summary)": bool(root_user["access_keys"]),
        "active certificate": active_certificates, "certificates (summary)": bool(root_user["signing_certificates"]),
        "mfa": mfa, "mfa (summary)": mfa,
    }


NOTHING = dict.fromkeys(seeded_view({"password": False, "access_keys": [], "signing_certificates": [], "mfa_devices": []}), False)


def test_the_report_and_the_summary_agree_with_the_root_user_before_and_after_hardening(emulator, control, run_playbook, tmp_path):
    truth = control.seed(accounts=10, profile="mixed")
    members = active_members(truth)
    scanners = {account["id"]: scanner(emulator.endpoint, account["id"]) for account in members}

    # Before: each member's report has the root row, and it agrees with the seeded truth and with the summary.
    before = {}
    for account in members:
        iam = scanners[account["id"]]
        assert iam.generate_credential_report()["State"] == "STARTED"
        before[account["id"]] = root_row(iam)
        assert view(before[account["id"]], summary(iam)) == seeded_view(account["root_user"]), account["credentials"]
    assert sum(any(seeded_view(account["root_user"]).values()) for account in members) >= 6

    run = run_playbook(HARDEN, extra_vars={"rootguard_confirm": True, "rootguard_max_changed_accounts": 10,
                                           "rootguard_report_dir": str(tmp_path)})
    assert_ok(run)

    for account in members:
        assert not any(seeded_view(control.root_user(account["id"])).values())  # the emulator's own state
        iam = scanners[account["id"]]
        # GetAccountSummary is live: no credential left, at once.
        assert summary(iam) == dict.fromkeys(SUMMARY_KEYS, 0)
        # The report is not: within four hours a new request returns the same report.
        assert iam.generate_credential_report()["State"] == "COMPLETE"
        assert root_row(iam) == before[account["id"]]

    control.advance_clock(FOUR_HOURS)
    for account in members:
        iam = scanners[account["id"]]
        with pytest.raises(ClientError) as expired:
            iam.get_credential_report()
        assert expired.value.response["Error"]["Code"] == "ReportExpired"
        assert iam.generate_credential_report()["State"] == "STARTED"
        row = root_row(iam)
        assert view(row, summary(iam)) == NOTHING
        assert [row[flag] for flag in CREDENTIAL_FLAGS] == ["false"] * 4
        assert row["arn"] == f"arn:aws:iam::{account['id']}:root"
