# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""bulk.per_account (result row, root session, work, failed on error, release) and the
removal unit root_credentials.Removal, on stubbed IAM clients (exact calls, no network)."""

from __future__ import annotations

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import bulk, errors, root_credentials
from ansible_collections.rootguard.aws.plugins.module_utils.clients import call

ACCOUNT = "210000000001"
OTHER = "210000000002"
KEY = "AKIAIOSFODNN7EXAMPL1"
CERT = "ASCACKCEVSQ6C2EXAMPLE001"
VIRTUAL = f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device"
LEFT = f"arn:aws:iam::{ACCOUNT}:mfa/left-by-an-earlier-run"
LEFT_ELSEWHERE = f"arn:aws:iam::{OTHER}:mfa/left-by-an-earlier-run"
ACCOUNT_ENTRY = {"id": ACCOUNT, "name": "payments", "ou_path": "/Workloads/", "parent_id": "ou-a1b2-workload"}


class Session:
    """The part of a RootSession that per_account and Removal use: ``run`` as RootSession does it
    (an expired session renewed once, the work done again), clients from the stubbed AWS."""

    def __init__(self, aws, renewals_fail: bool = False):
        self.aws = aws
        self.renewals_fail = renewals_fail
        self.released = 0
        self.renewed = 0

    def client(self, service: str, region: str | None = None):  # pylint: disable=unused-argument
        return self.aws.client(service)

    def release(self) -> None:
        self.released += 1

    def run(self, work):
        try:
            return work(self)
        except errors.SessionExpired:
            self.renewed += 1
            if self.renewals_fail:
                raise errors.AccessDenied("AssumeRoot into the account was denied.", "AccessDenied", "AssumeRoot") from None
            return work(self)


# per_account --------------------------------------------------------------------------------

def test_per_account_fills_a_new_row_and_releases_the_session(aws):
    session = Session(aws)
    aws.respond("iam", "get_account_summary", {"SummaryMap": {"AccountMFAEnabled": 1}})

    def work(current, result):
        result.update(found=call(current.client("iam"), "get_account_summary")["SummaryMap"], status=bulk.STATUS_OK)

    result = bulk.per_account(work, lambda account_id: session)(ACCOUNT_ENTRY)

    assert result == dict(bulk.account_result(ACCOUNT_ENTRY), found={"AccountMFAEnabled": 1}, status="ok")
    assert (aws.calls, session.released) == (["iam:GetAccountSummary"], 1)


def test_per_account_asks_for_the_session_of_the_account():
    asked = []
    sessions = {ACCOUNT: type("Released", (), {"release": lambda self: None})()}

    def session_for(account_id):
        asked.append(account_id)
        return sessions[account_id]

    bulk.per_account(lambda session, result: result.update(status=bulk.STATUS_OK), session_for)(ACCOUNT_ENTRY)
    assert asked == [ACCOUNT]


def test_per_account_fails_the_row_with_the_aws_error_and_releases_the_session(aws):
    session = Session(aws)
    aws.fail("iam", "get_account_summary", "AccessDenied", "not allowed by the task policy", status=403)

    def work(current, result):
        result["found"] = call(current.client("iam"), "get_account_summary")

    result = bulk.per_account(work, lambda account_id: session)(ACCOUNT_ENTRY)

    assert (result["status"], result["error_class"], result["aws_error_code"]) == ("failed", "access_denied", "AccessDenied")
    assert "not allowed by the task policy" in result["error_message"]
    assert (result["found"], session.released) == (None, 1)


def test_per_account_lets_other_errors_through_but_still_releases(aws):
    session = Session(aws)

    def work(current, result):
        raise KeyError("a bug")

    with pytest.raises(KeyError):
        bulk.per_account(work, lambda account_id: session)(ACCOUNT_ENTRY)
    assert session.released == 1


def test_per_account_can_carry_on_an_existing_row(aws):
    session = Session(aws)
    row = dict(bulk.account_result(ACCOUNT_ENTRY), status=bulk.STATUS_WOULD_CHANGE, actions=[{"action": "x"}])

    result = bulk.per_account(lambda current, result: result.update(status=bulk.STATUS_CHANGED), lambda account_id: session,
                              row=lambda item: item)(row)

    assert result is row
    assert (result["status"], result["actions"], session.released) == ("changed", [{"action": "x"}], 1)


# Removal ------------------------------------------------------------------------------------

def respond_reads(aws, password=True, keys=(KEY,), certificates=(CERT,), devices=(VIRTUAL,)) -> None:
    if password:
        aws.respond("iam", "get_login_profile", {"LoginProfile": {"UserName": ACCOUNT, "CreateDate": "2024-05-06T07:08:09Z"}})
    else:
        aws.fail("iam", "get_login_profile", "NoSuchEntity", "no login profile", status=404)
    aws.respond("iam", "list_access_keys", {"AccessKeyMetadata": [
        {"UserName": ACCOUNT, "AccessKeyId": key, "Status": "Active"} for key in keys]})
    aws.respond("iam", "list_signing_certificates", {"Certificates": [
        {"UserName": ACCOUNT, "CertificateId": cert, "CertificateBody": "-----BEGIN CERTIFICATE-----", "Status": "Active"}
        for cert in certificates]})
    aws.respond("iam", "list_mfa_devices", {"MFADevices": [
        {"UserName": ACCOUNT, "SerialNumber": serial, "EnableDate": "2024-05-06T07:08:09Z"} for serial in devices]})


ALL_STEPS = [
    {"action": "delete_access_key", "id": KEY},
    {"action": "delete_signing_certificate", "id": CERT},
    {"action": "deactivate_mfa_device", "id": VIRTUAL},
    {"action": "delete_virtual_mfa_device", "id": VIRTUAL},
    {"action": "delete_login_profile", "id": None},
]


def respond_removal(aws) -> None:
    aws.respond("iam", "delete_access_key", {}, AccessKeyId=KEY)
    aws.respond("iam", "delete_signing_certificate", {}, CertificateId=CERT)
    aws.respond("iam", "deactivate_mfa_device", {}, SerialNumber=VIRTUAL)
    aws.respond("iam", "delete_virtual_mfa_device", {}, SerialNumber=VIRTUAL)
    aws.respond("iam", "delete_login_profile", {})


def test_removal_read_plans_the_steps_and_writes_nothing(aws):
    respond_reads(aws)
    removal = root_credentials.Removal(aws.factory, root_credentials.CREDENTIAL_TYPES, left_devices=(LEFT, LEFT_ELSEWHERE))
    result = bulk.account_result(ACCOUNT_ENTRY)

    removal.read(Session(aws), result)

    assert result["status"] == "would_change"
    # The device an earlier run left in this account is deleted too; the other account's is not.
    assert result["actions"] == ALL_STEPS[:4] + [{"action": "delete_virtual_mfa_device", "id": LEFT}] + ALL_STEPS[4:]
    assert result["found"]["access_keys"][0]["id"] == KEY and "compliant" in result["found"]
    assert aws.writes() == []


def test_removal_read_of_a_clean_account_is_ok(aws):
    respond_reads(aws, password=False, keys=(), certificates=(), devices=())
    result = bulk.account_result(ACCOUNT_ENTRY)
    root_credentials.Removal(aws.factory, root_credentials.CREDENTIAL_TYPES).read(Session(aws), result)
    assert (result["status"], result["actions"]) == ("ok", [])


def test_removal_read_and_clean_removes_in_order(aws):
    respond_reads(aws)
    respond_removal(aws)
    session = Session(aws)
    result = bulk.account_result(ACCOUNT_ENTRY)

    root_credentials.Removal(aws.factory, root_credentials.CREDENTIAL_TYPES).read_and_clean(session, result)

    assert result["status"] == "changed"
    assert result["actions"] == [dict(step, done=True, already_absent=False, error=None) for step in ALL_STEPS]
    assert aws.writes() == ["iam:DeleteAccessKey", "iam:DeleteSigningCertificate", "iam:DeactivateMFADevice",
                            "iam:DeleteVirtualMFADevice", "iam:DeleteLoginProfile"]


def test_removal_clean_stops_at_a_refused_step_and_the_runner_fails_the_account(aws):
    aws.respond("iam", "delete_access_key", {}, AccessKeyId=KEY)
    aws.fail("iam", "delete_signing_certificate", "AccessDenied", "denied by an SCP", status=403, CertificateId=CERT)
    removal = root_credentials.Removal(aws.factory, root_credentials.CREDENTIAL_TYPES)
    session = Session(aws)
    row = dict(bulk.account_result(ACCOUNT_ENTRY), status=bulk.STATUS_WOULD_CHANGE, actions=list(ALL_STEPS))

    result = bulk.per_account(removal.clean, lambda account_id: session, row=lambda item: item)(row)

    assert (result["status"], result["error_class"], session.released) == ("failed", "access_denied", 1)
    assert [(step["action"], step["done"]) for step in result["actions"]] == [
        ("delete_access_key", True), ("delete_signing_certificate", False), ("deactivate_mfa_device", False),
        ("delete_virtual_mfa_device", False), ("delete_login_profile", False)]
    assert "denied by an SCP" in result["actions"][1]["error"]


def test_removal_clean_redoes_the_work_in_a_renewed_session_and_keeps_what_was_done(aws):
    aws.respond("iam", "delete_access_key", {}, AccessKeyId=KEY)
    aws.fail("iam", "delete_signing_certificate", "ExpiredToken", "expired", status=403, CertificateId=CERT)
    # The second attempt: the key is already gone, the rest goes through.
    aws.fail("iam", "delete_access_key", "NoSuchEntity", "gone", status=404, AccessKeyId=KEY)
    aws.respond("iam", "delete_signing_certificate", {}, CertificateId=CERT)
    session = Session(aws)
    result = dict(bulk.account_result(ACCOUNT_ENTRY), status=bulk.STATUS_WOULD_CHANGE, actions=ALL_STEPS[:2])

    root_credentials.Removal(aws.factory, ("access_keys", "signing_certificates")).clean(session, result)

    assert (result["status"], session.renewed) == ("changed", 1)
    # Done by the first attempt, though the second found it already gone.
    assert result["actions"] == [dict(step, done=True, already_absent=False, error=None) for step in ALL_STEPS[:2]]


def test_removal_clean_reports_the_steps_as_left_when_the_session_is_lost(aws):
    aws.respond("iam", "delete_access_key", {}, AccessKeyId=KEY)
    aws.fail("iam", "delete_signing_certificate", "ExpiredToken", "expired", status=403, CertificateId=CERT)
    session = Session(aws, renewals_fail=True)
    row = dict(bulk.account_result(ACCOUNT_ENTRY), status=bulk.STATUS_WOULD_CHANGE, actions=ALL_STEPS[:2])
    removal = root_credentials.Removal(aws.factory, ("access_keys", "signing_certificates"))

    result = bulk.per_account(removal.clean, lambda account_id: session, row=lambda item: item)(row)

    assert (result["status"], result["error_class"]) == ("failed", "access_denied")
    assert [(step["action"], step["done"], step["error"]) for step in result["actions"]] == [
        ("delete_access_key", True, None), ("delete_signing_certificate", False, None)]


def test_removal_keeps_one_session_per_account_from_the_read_to_the_clean_up(aws):
    removal = root_credentials.Removal(aws.factory, root_credentials.CREDENTIAL_TYPES)
    first = removal.session(ACCOUNT)
    assert removal.session(ACCOUNT) is first
    assert removal.session(OTHER) is not first
    assert (first.account_id, first.task_policy_arn) == (ACCOUNT, root_credentials.DELETE_POLICY)
