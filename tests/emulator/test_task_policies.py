"""Root-task policies as session policies: every allowed action works, others are
denied in the caller's protocol, root-resource scoping (aws-api.md sections 3 and 4)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from rootguard_emulator.auth import ROOT_RESOURCE_ACTIONS
from rootguard_emulator.policies import TASK_POLICY_FEATURE, allowed_actions
from rootguard_emulator.rootuser import root_user

BOTH = ["RootCredentialsManagement", "RootSessions"]
SESSION_POLICY_DENIAL = "with an explicit deny in a session policy"

# aws-api.md section 3.1: the NotAction list of DenyAllOtherActionsOnAnyResource, verbatim.
SPEC_ALLOWED = {
    "IAMAuditRootUserCredentials": [
        "iam:ListAccessKeys", "iam:ListSigningCertificates", "iam:GetLoginProfile", "iam:ListMFADevices",
        "iam:GetAccountSummary", "iam:GetUser", "iam:GetAccessKeyLastUsed",
    ],
    "IAMCreateRootUserPassword": ["iam:CreateLoginProfile", "iam:GetLoginProfile"],
    "IAMDeleteRootUserCredentials": [
        "iam:DeleteAccessKey", "iam:DeleteSigningCertificate", "iam:DeleteLoginProfile", "iam:DeactivateMFADevice",
        "iam:DeleteVirtualMFADevice", "iam:ListAccessKeys", "iam:ListSigningCertificates", "iam:GetLoginProfile",
        "iam:ListMFADevices", "iam:GetUser", "iam:GetAccessKeyLastUsed",
    ],
    "S3UnlockBucketPolicy": ["s3:DeleteBucketPolicy", "s3:PutBucketPolicy", "s3:GetBucketPolicy", "s3:ListAllMyBuckets"],
    "SQSUnlockQueuePolicy": ["sqs:SetQueueAttributes", "sqs:GetQueueAttributes", "sqs:ListQueues", "sqs:GetQueueUrl"],
}
# aws-api.md section 3.1: the actions each second statement scopes to NotResource arn:aws:iam::*:root.
SPEC_ROOT_RESOURCE = {
    "IAMAuditRootUserCredentials": set(SPEC_ALLOWED["IAMAuditRootUserCredentials"]) - {"iam:GetAccountSummary"},
    "IAMCreateRootUserPassword": set(SPEC_ALLOWED["IAMCreateRootUserPassword"]),
    "IAMDeleteRootUserCredentials": set(SPEC_ALLOWED["IAMDeleteRootUserCredentials"]),
}
# aws-api.md section 3.2
SPEC_FEATURE = {
    "IAMAuditRootUserCredentials": "RootCredentialsManagement",
    "IAMCreateRootUserPassword": "RootCredentialsManagement",
    "IAMDeleteRootUserCredentials": "RootCredentialsManagement",
    "S3UnlockBucketPolicy": "RootSessions",
    "SQSUnlockQueuePolicy": "RootSessions",
}


def root_state(aws, account_id: str) -> dict:
    return aws.control.root_user(account_id) if aws.endpoint else root_user(account_id).describe()


def client_error(call, *args, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as excinfo:
        call(*args, **kwargs)
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"].get("Message", "")


def accounts_by_credentials(truth: dict) -> dict[str, str]:
    """One ACTIVE account for each seeded kind of root credential in the mixed profile."""
    found: dict[str, str] = {}
    for account in truth["accounts"]:
        if account["state"] == "ACTIVE":
            found.setdefault(account["credentials"], account["id"])
    return found


def locked(truth: dict, kind: str) -> tuple[str, dict]:
    """(account id, resource truth) of the first ACTIVE account with a locked bucket or queue."""
    for account in truth["accounts"]:
        for resource in account[kind]:
            if resource["locked"] and account["state"] == "ACTIVE":
                return account["id"], resource
    raise AssertionError(f"no locked {kind} seeded")


@pytest.fixture(name="org")
def org_fixture(aws):
    """A mixed organization with both features; yields (aws, truth)."""
    return aws, aws.seed(accounts=10, profile="mixed", features=BOTH)


# every allowed action works --------------------------------------------------------

def exercise_audit(aws, truth):
    account = accounts_by_credentials(truth)["full"]
    iam = aws.client("iam", aws.assume_root(account, "IAMAuditRootUserCredentials"))
    keys = iam.list_access_keys()["AccessKeyMetadata"]
    assert len(keys) == 2
    assert len(iam.list_signing_certificates()["Certificates"]) == 1
    assert iam.get_login_profile()["LoginProfile"]["CreateDate"]
    assert len(iam.list_mfa_devices()["MFADevices"]) == 2
    assert iam.get_account_summary()["SummaryMap"]["AccountAccessKeysPresent"] == 1
    assert iam.get_user()["User"]["Arn"] == f"arn:aws:iam::{account}:root"
    for key in keys:
        assert iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])["AccessKeyLastUsed"]["Region"]
    return {"iam:ListAccessKeys", "iam:ListSigningCertificates", "iam:GetLoginProfile", "iam:ListMFADevices",
            "iam:GetAccountSummary", "iam:GetUser", "iam:GetAccessKeyLastUsed"}


def exercise_create(aws, truth):
    account = accounts_by_credentials(truth)["none"]
    iam = aws.client("iam", aws.assume_root(account, "IAMCreateRootUserPassword"))
    assert client_error(iam.get_login_profile)[:2] == ("NoSuchEntity", 404)
    assert iam.create_login_profile()["LoginProfile"]["CreateDate"]
    assert iam.get_login_profile()["LoginProfile"]["CreateDate"]
    assert root_state(aws, account)["password"] is True
    return {"iam:GetLoginProfile", "iam:CreateLoginProfile"}


def exercise_delete(aws, truth):
    account = accounts_by_credentials(truth)["full"]
    iam = aws.client("iam", aws.assume_root(account, "IAMDeleteRootUserCredentials"))
    assert iam.get_user()["User"]["UserId"] == account
    assert iam.get_login_profile()["LoginProfile"]
    for key in iam.list_access_keys()["AccessKeyMetadata"]:
        iam.get_access_key_last_used(AccessKeyId=key["AccessKeyId"])
        iam.delete_access_key(AccessKeyId=key["AccessKeyId"])
    for certificate in iam.list_signing_certificates()["Certificates"]:
        iam.delete_signing_certificate(CertificateId=certificate["CertificateId"])
    for device in iam.list_mfa_devices()["MFADevices"]:
        iam.deactivate_mfa_device(SerialNumber=device["SerialNumber"])
        if device["SerialNumber"].startswith("arn:"):
            iam.delete_virtual_mfa_device(SerialNumber=device["SerialNumber"])
    iam.delete_login_profile()
    state = root_state(aws, account)
    assert state["has_credentials"] is False
    assert state["mfa_devices"] == []
    return {"iam:DeleteAccessKey", "iam:DeleteSigningCertificate", "iam:DeleteLoginProfile", "iam:DeactivateMFADevice",
            "iam:DeleteVirtualMFADevice", "iam:ListAccessKeys", "iam:ListSigningCertificates", "iam:GetLoginProfile",
            "iam:ListMFADevices", "iam:GetUser", "iam:GetAccessKeyLastUsed"}


def exercise_s3(aws, truth):
    account, bucket = locked(truth, "buckets")
    s3 = aws.client("s3", aws.assume_root(account, "S3UnlockBucketPolicy"))
    assert bucket["name"] in [entry["Name"] for entry in s3.list_buckets()["Buckets"]]
    assert s3.get_bucket_policy(Bucket=bucket["name"])["Policy"] == bucket["policy"]
    replacement = json.dumps({"Version": "2012-10-17", "Statement": []})
    s3.put_bucket_policy(Bucket=bucket["name"], Policy=replacement)
    assert s3.get_bucket_policy(Bucket=bucket["name"])["Policy"] == replacement
    assert s3.delete_bucket_policy(Bucket=bucket["name"])["ResponseMetadata"]["HTTPStatusCode"] == 204
    return {"s3:ListAllMyBuckets", "s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy"}


def exercise_sqs(aws, truth):
    account, queue = locked(truth, "queues")
    sqs = aws.client("sqs", aws.assume_root(account, "SQSUnlockQueuePolicy"))
    url = sqs.get_queue_url(QueueName=queue["name"])["QueueUrl"]
    assert sqs.list_queues()["QueueUrls"] == [url]
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"] == queue["policy"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    assert "Policy" not in sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["All"]).get("Attributes", {})
    return {"sqs:ListQueues", "sqs:GetQueueUrl", "sqs:GetQueueAttributes", "sqs:SetQueueAttributes"}


EXERCISE = {
    "IAMAuditRootUserCredentials": exercise_audit,
    "IAMCreateRootUserPassword": exercise_create,
    "IAMDeleteRootUserCredentials": exercise_delete,
    "S3UnlockBucketPolicy": exercise_s3,
    "SQSUnlockQueuePolicy": exercise_sqs,
}


@pytest.mark.parametrize("policy", sorted(EXERCISE))
def test_every_allowed_action_works(org, policy):
    aws, truth = org
    exercised = EXERCISE[policy](aws, truth)
    assert exercised == set(allowed_actions(policy))


# other actions are denied -------------------------------------------------------------

# (task policy, service, operation, parameters); "{key}", "{bucket}" and "{queue}" are filled in.
DENIED = [
    ("IAMDeleteRootUserCredentials", "iam", "list_users", {}),
    ("IAMDeleteRootUserCredentials", "iam", "create_access_key", {}),
    ("IAMDeleteRootUserCredentials", "iam", "update_access_key", {"AccessKeyId": "{key}", "Status": "Inactive"}),
    ("IAMDeleteRootUserCredentials", "iam", "get_account_summary", {}),
    ("IAMDeleteRootUserCredentials", "iam", "create_login_profile", {}),
    ("IAMDeleteRootUserCredentials", "iam", "list_virtual_mfa_devices", {}),
    ("IAMAuditRootUserCredentials", "iam", "delete_access_key", {"AccessKeyId": "{key}"}),
    ("IAMAuditRootUserCredentials", "iam", "delete_login_profile", {}),
    ("IAMAuditRootUserCredentials", "iam", "create_user", {"UserName": "intruder"}),
    ("IAMCreateRootUserPassword", "iam", "delete_login_profile", {}),
    ("IAMCreateRootUserPassword", "iam", "list_access_keys", {}),
    ("S3UnlockBucketPolicy", "s3", "list_objects_v2", {"Bucket": "{bucket}"}),
    ("S3UnlockBucketPolicy", "s3", "get_bucket_location", {"Bucket": "{bucket}"}),
    ("S3UnlockBucketPolicy", "s3", "delete_bucket", {"Bucket": "{bucket}"}),
    ("S3UnlockBucketPolicy", "iam", "list_access_keys", {}),
    ("SQSUnlockQueuePolicy", "sqs", "send_message", {"QueueUrl": "{queue}", "MessageBody": "hello"}),
    ("SQSUnlockQueuePolicy", "sqs", "delete_queue", {"QueueUrl": "{queue}"}),
    ("SQSUnlockQueuePolicy", "sqs", "remove_permission", {"QueueUrl": "{queue}", "Label": "any"}),
]


def denial_session(aws, truth: dict, policy: str) -> tuple[str, dict, dict]:
    """The account a denial case runs in, a root session there, and the values of the placeholders."""
    values = {"{bucket}": "", "{queue}": ""}
    if policy == "S3UnlockBucketPolicy":
        account, bucket = locked(truth, "buckets")
        values["{bucket}"] = bucket["name"]
        credentials = aws.assume_root(account, policy)
    elif policy == "SQSUnlockQueuePolicy":
        account, queue = locked(truth, "queues")
        credentials = aws.assume_root(account, policy)
        values["{queue}"] = aws.client("sqs", credentials).get_queue_url(QueueName=queue["name"])["QueueUrl"]
    else:
        account = accounts_by_credentials(truth)["full"]
        credentials = aws.assume_root(account, policy)
    keys = root_state(aws, account)["access_keys"]
    values["{key}"] = keys[0]["id"] if keys else "AKIAAAAAAAAAAAAAAAAA"
    return account, credentials, values


@pytest.mark.parametrize("policy,service,operation,params", DENIED, ids=[f"{case[0]}-{case[2]}" for case in DENIED])
def test_other_actions_are_denied(org, policy, service, operation, params):
    aws, truth = org
    account, credentials, values = denial_session(aws, truth, policy)
    before = root_state(aws, account)
    code, status, message = client_error(getattr(aws.client(service, credentials), operation),
                                         **{name: values.get(value, value) for name, value in params.items()})
    assert (code, status) == ("AccessDenied", 403)
    if service != "s3":
        assert SESSION_POLICY_DENIAL in message
        assert f"arn:aws:iam::{account}:root" in message
    assert root_state(aws, account) == before
    if values["{queue}"]:
        assert aws.client("sqs", credentials).list_queues()["QueueUrls"] == [values["{queue}"]]


@pytest.mark.parametrize("policy", sorted(SPEC_ALLOWED))
def test_organizations_is_denied_to_every_root_session(org, policy):
    aws, truth = org
    credentials = aws.assume_root(truth["accounts"][0]["id"], policy)
    organizations = aws.client("organizations", credentials)
    for call in (organizations.list_accounts, organizations.describe_organization):
        code = client_error(call)[0]
        assert code == "AccessDeniedException"


# root-resource scoping ----------------------------------------------------------------

def make_iam_user(aws, account_id: str) -> tuple[dict, str]:
    """An IAM user 'alice' with a password and an access key, made by the member's admin role."""
    admin = aws.member_credentials(account_id)
    iam = aws.client("iam", admin)
    iam.create_user(UserName="alice")
    iam.create_login_profile(UserName="alice", Password="Correct-Horse-1")
    key = iam.create_access_key(UserName="alice")["AccessKey"]["AccessKeyId"]
    return admin, key


@pytest.mark.parametrize(
    "policy,operation,params",
    [
        ("IAMAuditRootUserCredentials", "list_access_keys", {}),
        ("IAMAuditRootUserCredentials", "get_login_profile", {}),
        ("IAMAuditRootUserCredentials", "get_user", {}),
        ("IAMAuditRootUserCredentials", "list_mfa_devices", {}),
        ("IAMAuditRootUserCredentials", "list_signing_certificates", {}),
        ("IAMDeleteRootUserCredentials", "delete_login_profile", {}),
        ("IAMDeleteRootUserCredentials", "delete_access_key", {"AccessKeyId": "{key}"}),
        ("IAMCreateRootUserPassword", "get_login_profile", {}),
    ],
)
def test_user_name_on_root_resource_actions_is_denied(org, policy, operation, params):
    aws, truth = org
    account = accounts_by_credentials(truth)["full"]
    admin, key = make_iam_user(aws, account)
    iam = aws.client("iam", aws.assume_root(account, policy))
    kwargs = {name: key if value == "{key}" else value for name, value in params.items()}
    code, status, message = client_error(getattr(iam, operation), UserName="alice", **kwargs)
    assert (code, status) == ("AccessDenied", 403)
    assert "user/alice" in message
    # alice is untouched
    admin_iam = aws.client("iam", admin)
    assert admin_iam.get_login_profile(UserName="alice")["LoginProfile"]["UserName"] == "alice"
    assert [k["AccessKeyId"] for k in admin_iam.list_access_keys(UserName="alice")["AccessKeyMetadata"]] == [key]


def test_create_login_profile_for_a_user_is_denied(org):
    aws, truth = org
    account = accounts_by_credentials(truth)["none"]
    admin = aws.client("iam", aws.member_credentials(account))
    admin.create_user(UserName="bob")
    iam = aws.client("iam", aws.assume_root(account, "IAMCreateRootUserPassword"))
    code, status = client_error(iam.create_login_profile, UserName="bob", Password="Correct-Horse-1")[:2]
    assert (code, status) == ("AccessDenied", 403)
    assert client_error(admin.get_login_profile, UserName="bob")[:2] == ("NoSuchEntity", 404)
    assert root_state(aws, account)["password"] is False


@pytest.mark.parametrize("policy", ["IAMAuditRootUserCredentials", "IAMDeleteRootUserCredentials"])
def test_last_used_of_an_iam_user_key_is_denied(org, policy):
    aws, truth = org
    account = accounts_by_credentials(truth)["full"]
    key = make_iam_user(aws, account)[1]
    iam = aws.client("iam", aws.assume_root(account, policy))
    code, status = client_error(iam.get_access_key_last_used, AccessKeyId=key)[:2]
    assert (code, status) == ("AccessDenied", 403)


def test_last_used_of_another_accounts_root_key_is_denied(org):
    aws, truth = org
    full = [account for account in truth["accounts"] if account["credentials"] == "full"]
    assert len(full) >= 2
    other_key = full[1]["root_user"]["access_keys"][0]["id"]
    iam = aws.client("iam", aws.assume_root(full[0]["id"], "IAMAuditRootUserCredentials"))
    assert client_error(iam.get_access_key_last_used, AccessKeyId=other_key)[:2] == ("AccessDenied", 403)


def test_s3_session_cannot_touch_another_accounts_bucket(org):
    aws, truth = org
    owner, bucket = locked(truth, "buckets")
    other = next(a["id"] for a in truth["accounts"] if a["state"] == "ACTIVE" and a["id"] != owner)
    s3 = aws.client("s3", aws.assume_root(other, "S3UnlockBucketPolicy"))
    for call in (s3.get_bucket_policy, s3.delete_bucket_policy):
        assert client_error(call, Bucket=bucket["name"])[:2] == ("AccessDenied", 403)
    owner_s3 = aws.client("s3", aws.assume_root(owner, "S3UnlockBucketPolicy"))
    assert owner_s3.get_bucket_policy(Bucket=bucket["name"])["Policy"] == bucket["policy"]


def test_sqs_session_cannot_read_another_accounts_queue(org):
    aws, truth = org
    owner, queue = locked(truth, "queues")
    other = next(a["id"] for a in truth["accounts"] if a["state"] == "ACTIVE" and a["id"] != owner)
    owner_sqs = aws.client("sqs", aws.assume_root(owner, "SQSUnlockQueuePolicy"))
    url = owner_sqs.get_queue_url(QueueName=queue["name"])["QueueUrl"]
    sqs = aws.client("sqs", aws.assume_root(other, "SQSUnlockQueuePolicy"))
    code, status = client_error(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["Policy"])[:2]
    assert (code, status) == ("AccessDenied", 403)


# the policies themselves ----------------------------------------------------------------

@pytest.mark.parametrize("policy", sorted(SPEC_ALLOWED))
def test_allow_lists_match_the_specification(policy):
    assert allowed_actions(policy) == frozenset(SPEC_ALLOWED[policy])
    assert len(SPEC_ALLOWED[policy]) == len(set(SPEC_ALLOWED[policy]))


def test_root_resource_actions_match_the_specification():
    spec = set().union(*SPEC_ROOT_RESOURCE.values())
    assert {f"iam:{action}" for action in ROOT_RESOURCE_ACTIONS} == spec


def test_feature_table_matches_the_specification():
    assert TASK_POLICY_FEATURE == SPEC_FEATURE


def test_no_task_policy_allows_the_never_allowed_actions():
    never = {"iam:CreateAccessKey", "iam:UpdateAccessKey", "iam:UpdateLoginProfile", "iam:ListVirtualMFADevices",
             "iam:EnableMFADevice", "s3:GetBucketLocation", "s3:ListBucket", "sqs:RemovePermission", "sqs:AddPermission"}
    for policy in SPEC_ALLOWED:
        assert not never & allowed_actions(policy), policy
