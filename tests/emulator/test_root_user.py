"""The member account's root user: what audit sessions see, what delete and create
sessions change, GetAccountSummary, limits, and the seeding profiles (aws-api.md section 4)."""

from __future__ import annotations

import datetime

import pytest
from botocore.exceptions import ClientError

from rootguard_emulator.rootuser import root_user
from rootguard_emulator.seed import seed

RCM = "RootCredentialsManagement"
BOTH = [RCM, "RootSessions"]
AUDIT = "IAMAuditRootUserCredentials"
DELETE = "IAMDeleteRootUserCredentials"
CREATE = "IAMCreateRootUserPassword"
SUMMARY_KEYS = ("AccountMFAEnabled", "AccountAccessKeysPresent", "AccountSigningCertificatesPresent", "AccountPasswordPresent")


def root_state(aws, account_id: str) -> dict:
    return aws.control.root_user(account_id) if aws.endpoint else root_user(account_id).describe()


def client_error(call, *args, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(*args, **kwargs)
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def session(aws, account_id: str, policy: str):
    return aws.client("iam", aws.assume_root(account_id, policy))


def summary(aws, account_id: str) -> dict:
    """The root flags of GetAccountSummary, read in a fresh audit session."""
    summary_map = session(aws, account_id, AUDIT).get_account_summary()["SummaryMap"]
    return {key: summary_map[key] for key in SUMMARY_KEYS}


def observe(aws, account_id: str) -> dict:
    """The root user as an audit session sees it, in the shape of RootUser.describe()."""
    iam = session(aws, account_id, AUDIT)
    try:
        iam.get_login_profile()
        password = True
    except ClientError as error:
        assert error.response["Error"]["Code"] == "NoSuchEntity"
        password = False
    keys = []
    for key in iam.list_access_keys()["AccessKeyMetadata"]:
        last_used = iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]
        keys.append({"id": key["AccessKeyId"], "status": key["Status"], "last_used": "LastUsedDate" in last_used})
    certificates = [{"id": c["CertificateId"], "status": c["Status"]} for c in iam.list_signing_certificates()["Certificates"]]
    devices = [
        {"serial": d["SerialNumber"], "type": "virtual" if d["SerialNumber"].startswith("arn:") else "hardware", "enabled": True}
        for d in iam.list_mfa_devices()["MFADevices"]
    ]
    return {
        "account_id": account_id,
        "password": password,
        "access_keys": sorted(keys, key=lambda k: k["id"]),
        "signing_certificates": sorted(certificates, key=lambda c: c["id"]),
        "mfa_devices": sorted(devices, key=lambda d: d["serial"]),
        "has_credentials": bool(password or keys or certificates or devices),
    }


def normalized(described: dict) -> dict:
    return {
        **described,
        "access_keys": sorted(described["access_keys"], key=lambda k: k["id"]),
        "signing_certificates": sorted(described["signing_certificates"], key=lambda c: c["id"]),
        "mfa_devices": sorted(described["mfa_devices"], key=lambda d: d["serial"]),
    }


@pytest.fixture(name="full")
def full_fixture(aws):
    """An organization whose members have every kind of root credential; yields (aws, account id, truth)."""
    truth = aws.seed(accounts=3, profile="full", features=[RCM])
    return aws, truth["accounts"][1]["id"], truth["accounts"][1]


# what an audit session sees ---------------------------------------------------------

def test_full_root_user_login_profile_and_identity(full):
    aws, account, truth = full
    iam = session(aws, account, AUDIT)
    now = datetime.datetime.now(datetime.timezone.utc)
    assert truth["root_user"]["password"] is True
    profile = iam.get_login_profile()["LoginProfile"]
    assert now - datetime.timedelta(days=401) < profile["CreateDate"] < now - datetime.timedelta(days=399)
    user = iam.get_user()["User"]
    assert (user["Arn"], user["UserId"]) == (f"arn:aws:iam::{account}:root", account)
    assert summary(aws, account) == dict.fromkeys(SUMMARY_KEYS, 1)
    assert normalized(root_state(aws, account)) == observe(aws, account)


def test_full_root_user_access_keys(full):
    aws, account, truth = full
    iam = session(aws, account, AUDIT)
    now = datetime.datetime.now(datetime.timezone.utc)
    keys = iam.list_access_keys()["AccessKeyMetadata"]
    assert sorted(key["AccessKeyId"] for key in keys) == sorted(key["id"] for key in truth["root_user"]["access_keys"])
    by_status = {key["Status"]: key["AccessKeyId"] for key in keys}
    assert sorted(by_status) == ["Active", "Inactive"]
    active = iam.get_access_key_last_used(AccessKeyId=by_status["Active"])["AccessKeyLastUsed"]
    assert now - datetime.timedelta(days=3, hours=1) < active["LastUsedDate"] < now - datetime.timedelta(days=2, hours=23)
    assert (active["ServiceName"], active["Region"]) == ("s3", "us-east-1")
    inactive = iam.get_access_key_last_used(AccessKeyId=by_status["Inactive"])["AccessKeyLastUsed"]
    assert inactive["ServiceName"] == "N/A"
    assert inactive["Region"] == "N/A"
    assert "LastUsedDate" not in inactive


def test_full_root_user_signing_certificate(full):
    aws, account, truth = full
    certificates = session(aws, account, AUDIT).list_signing_certificates()["Certificates"]
    assert len(certificates) == 1
    assert certificates[0]["CertificateId"] == truth["root_user"]["signing_certificates"][0]["id"]
    assert certificates[0]["Status"] == "Active"
    assert certificates[0]["CertificateBody"].startswith("-----BEGIN CERTIFICATE-----")
    assert certificates[0]["CertificateBody"].rstrip().endswith("-----END CERTIFICATE-----")


def test_full_root_user_mfa_devices(full):
    aws, account, truth = full
    devices = {device["SerialNumber"] for device in session(aws, account, AUDIT).list_mfa_devices()["MFADevices"]}
    virtual = f"arn:aws:iam::{account}:mfa/root-account-mfa-device"
    assert virtual in devices
    (hardware,) = devices - {virtual}
    assert not hardware.startswith("arn:")
    assert devices == {device["serial"] for device in truth["root_user"]["mfa_devices"]}
    types = {device["serial"]: device["type"] for device in truth["root_user"]["mfa_devices"]}
    assert (types[virtual], types[hardware]) == ("virtual", "hardware")


def test_get_login_profile_when_absent(aws):
    truth = aws.seed(accounts=1, profile="none", features=[RCM])
    iam = session(aws, truth["accounts"][0]["id"], AUDIT)
    assert client_error(iam.get_login_profile) == ("NoSuchEntity", 404)
    assert iam.list_access_keys()["AccessKeyMetadata"] == []
    assert iam.list_signing_certificates()["Certificates"] == []
    assert iam.list_mfa_devices()["MFADevices"] == []
    assert summary(aws, truth["accounts"][0]["id"]) == dict.fromkeys(SUMMARY_KEYS, 0)


# a delete session ---------------------------------------------------------------------

def test_summary_follows_the_root_user(full):
    aws, account = full[:2]
    iam = session(aws, account, DELETE)
    steps = (
        ("AccountAccessKeysPresent", lambda: [iam.delete_access_key(AccessKeyId=k["AccessKeyId"])
                                              for k in iam.list_access_keys()["AccessKeyMetadata"]]),
        ("AccountSigningCertificatesPresent", lambda: [iam.delete_signing_certificate(CertificateId=c["CertificateId"])
                                                       for c in iam.list_signing_certificates()["Certificates"]]),
        ("AccountMFAEnabled", lambda: [iam.deactivate_mfa_device(SerialNumber=d["SerialNumber"])
                                       for d in iam.list_mfa_devices()["MFADevices"]]),
        ("AccountPasswordPresent", iam.delete_login_profile),
    )
    expected = dict.fromkeys(SUMMARY_KEYS, 1)
    assert summary(aws, account) == expected
    for flag, step in steps:
        step()
        expected[flag] = 0
        assert summary(aws, account) == expected, flag
    assert root_state(aws, account)["has_credentials"] is False


def test_delete_access_keys(full):
    aws, account, truth = full
    iam = session(aws, account, DELETE)
    ids = [key["id"] for key in truth["root_user"]["access_keys"]]
    iam.delete_access_key(AccessKeyId=ids[0])
    assert [key["id"] for key in root_state(aws, account)["access_keys"]] == ids[1:]
    assert [key["AccessKeyId"] for key in iam.list_access_keys()["AccessKeyMetadata"]] == ids[1:]
    assert client_error(iam.delete_access_key, AccessKeyId=ids[0]) == ("NoSuchEntity", 404)
    iam.delete_access_key(AccessKeyId=ids[1])
    assert root_state(aws, account)["access_keys"] == []


def test_deleted_root_access_key_stops_acting_as_root(inprocess):
    truth = seed(accounts=1, profile="full", features=[RCM])
    account = truth["accounts"][0]["id"]
    key = next(iter(root_user(account).access_keys.values()))
    credentials = {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": key.secret_access_key}
    assert inprocess.client("sts", credentials).get_caller_identity()["Arn"] == f"arn:aws:iam::{account}:root"
    session(inprocess, account, DELETE).delete_access_key(AccessKeyId=key.access_key_id)
    assert inprocess.client("sts", credentials).get_caller_identity()["Arn"] != f"arn:aws:iam::{account}:root"


def test_delete_signing_certificate(full):
    aws, account, truth = full
    iam = session(aws, account, DELETE)
    certificate = truth["root_user"]["signing_certificates"][0]["id"]
    iam.delete_signing_certificate(CertificateId=certificate)
    assert root_state(aws, account)["signing_certificates"] == []
    assert iam.list_signing_certificates()["Certificates"] == []
    assert client_error(iam.delete_signing_certificate, CertificateId=certificate) == ("NoSuchEntity", 404)


def test_deleting_unknown_credentials(full):
    aws, account = full[:2]
    iam = session(aws, account, DELETE)
    before = root_state(aws, account)
    assert client_error(iam.delete_access_key, AccessKeyId="AKIAIOSFODNN7EXAMPLE") == ("NoSuchEntity", 404)
    assert client_error(iam.delete_signing_certificate, CertificateId="Z" * 32) == ("NoSuchEntity", 404)
    assert client_error(iam.deactivate_mfa_device, SerialNumber="GAHT00000000") == ("NoSuchEntity", 404)
    assert root_state(aws, account) == before


def test_virtual_mfa_device_must_be_deactivated_before_deletion(full):
    aws, account = full[:2]
    iam = session(aws, account, DELETE)
    serial = f"arn:aws:iam::{account}:mfa/root-account-mfa-device"

    assert client_error(iam.delete_virtual_mfa_device, SerialNumber=serial) == ("DeleteConflict", 409)
    assert {"serial": serial, "type": "virtual", "enabled": True} in root_state(aws, account)["mfa_devices"]

    iam.deactivate_mfa_device(SerialNumber=serial)
    assert {"serial": serial, "type": "virtual", "enabled": False} in root_state(aws, account)["mfa_devices"]
    assert serial not in [device["SerialNumber"] for device in iam.list_mfa_devices()["MFADevices"]]
    assert client_error(iam.deactivate_mfa_device, SerialNumber=serial) == ("NoSuchEntity", 404)

    iam.delete_virtual_mfa_device(SerialNumber=serial)
    assert serial not in [device["serial"] for device in root_state(aws, account)["mfa_devices"]]


def test_deactivate_hardware_mfa_device(full):
    aws, account = full[:2]
    iam = session(aws, account, DELETE)
    hardware = next(d["serial"] for d in root_state(aws, account)["mfa_devices"] if d["type"] == "hardware")
    iam.deactivate_mfa_device(SerialNumber=hardware)
    assert [d["type"] for d in root_state(aws, account)["mfa_devices"]] == ["virtual"]
    assert summary(aws, account)["AccountMFAEnabled"] == 1  # the virtual device is still enabled


def test_delete_login_profile(full):
    aws, account = full[:2]
    iam = session(aws, account, DELETE)
    iam.delete_login_profile()
    assert root_state(aws, account)["password"] is False
    assert client_error(iam.get_login_profile) == ("NoSuchEntity", 404)
    assert client_error(iam.delete_login_profile) == ("NoSuchEntity", 404)


# a create-password session -------------------------------------------------------------

def test_create_login_profile(aws):
    truth = aws.seed(accounts=2, profile="none", features=[RCM])
    account = truth["accounts"][0]["id"]
    iam = session(aws, account, CREATE)
    created = iam.create_login_profile()["LoginProfile"]
    assert abs((created["CreateDate"] - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) < 60
    assert root_state(aws, account)["password"] is True
    assert iam.get_login_profile()["LoginProfile"]["CreateDate"] == created["CreateDate"]
    assert client_error(iam.create_login_profile) == ("EntityAlreadyExists", 409)
    assert summary(aws, account)["AccountPasswordPresent"] == 1
    assert root_state(aws, truth["accounts"][1]["id"])["password"] is False


def test_create_login_profile_with_a_password_is_rejected(aws):
    truth = aws.seed(accounts=1, profile="none", features=[RCM])
    account = truth["accounts"][0]["id"]
    iam = session(aws, account, CREATE)
    code, status = client_error(iam.create_login_profile, Password="Correct-Horse-1")
    assert (code, status) == ("InvalidInput", 400)
    assert root_state(aws, account)["password"] is False


def test_create_login_profile_with_a_session_duration_is_rejected(aws):
    """CreateLoginProfile's MaxSigninSessionDuration (botocore 1.44.6) "is not supported for the root user"."""
    truth = aws.seed(accounts=1, profile="none", features=[RCM])
    account = truth["accounts"][0]["id"]
    iam = session(aws, account, CREATE)
    code, status = client_error(iam.create_login_profile, MaxSigninSessionDuration=3600)
    assert (code, status) == ("InvalidInput", 400)
    assert root_state(aws, account)["password"] is False


# limits ----------------------------------------------------------------------------------

def test_root_user_limits(inprocess):
    truth = seed(accounts=1, profile="full", features=[RCM])
    user = root_user(truth["accounts"][0]["id"])
    with pytest.raises(ValueError):
        user.add_access_key()
    user.add_signing_certificate()
    with pytest.raises(ValueError):
        user.add_signing_certificate()
    described = user.describe()
    assert (len(described["access_keys"]), len(described["signing_certificates"])) == (2, 2)
    assert len(session(inprocess, truth["accounts"][0]["id"], AUDIT).list_signing_certificates()["Certificates"]) == 2


# seeding profiles ------------------------------------------------------------------------

@pytest.mark.parametrize("profile", ["none", "password", "full"])
def test_uniform_profiles_match_the_seeded_truth(aws, profile):
    truth = aws.seed(accounts=5, profile=profile, features=[RCM])
    assert truth["profile"] == profile
    for account in truth["accounts"]:
        assert account["credentials"] == profile
        assert normalized(root_state(aws, account["id"])) == normalized(account["root_user"])
        assert observe(aws, account["id"]) == normalized(account["root_user"])
    expected_password = profile != "none"
    assert all(account["root_user"]["password"] is expected_password for account in truth["accounts"])
    assert all(account["root_user"]["has_credentials"] is expected_password for account in truth["accounts"])


def test_mixed_profile_matches_the_seeded_truth(aws):
    truth = aws.seed(accounts=10, profile="mixed", features=BOTH)
    organizations = aws.client("organizations")
    states = {
        account["Id"]: account["State"]
        for page in organizations.get_paginator("list_accounts").paginate()
        for account in page["Accounts"]
    }
    kinds = {"suspended": 0, "clean": 0, "locked_buckets": 0, "locked_queues": 0}
    for account in truth["accounts"]:
        account_id = account["id"]
        assert states[account_id] == account["state"]
        assert normalized(root_state(aws, account_id)) == normalized(account["root_user"])
        if account["state"] != "ACTIVE":
            kinds["suspended"] += 1
            continue
        assert observe(aws, account_id) == normalized(account["root_user"])
        if not account["root_user"]["has_credentials"]:
            kinds["clean"] += 1

        s3 = aws.client("s3", aws.assume_root(account_id, "S3UnlockBucketPolicy"))
        assert sorted(b["Name"] for b in s3.list_buckets()["Buckets"]) == sorted(b["name"] for b in account["buckets"])
        for bucket in account["buckets"]:
            assert s3.get_bucket_policy(Bucket=bucket["name"])["Policy"] == bucket["policy"]
            kinds["locked_buckets"] += bucket["locked"]

        sqs = aws.client("sqs", aws.assume_root(account_id, "SQSUnlockQueuePolicy"))
        urls = sqs.list_queues().get("QueueUrls", [])
        assert sorted(url.rsplit("/", 1)[-1] for url in urls) == sorted(q["name"] for q in account["queues"])
        for queue in account["queues"]:
            url = sqs.get_queue_url(QueueName=queue["name"])["QueueUrl"]
            attributes = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy", "QueueArn"])["Attributes"]
            assert (attributes["Policy"], attributes["QueueArn"]) == (queue["policy"], queue["arn"])
            kinds["locked_queues"] += queue["locked"]
    assert all(kinds.values()), kinds
    assert {account["credentials"] for account in truth["accounts"]} >= {"none", "password", "full"}
