"""Locked bucket and queue policies (deny everyone): who is locked out, how the S3 and
SQS unlock sessions recover them (aws-api.md section 5), and the policy analysis."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from rootguard_emulator.policies import denies_everyone
from rootguard_emulator.rootuser import root_user
from rootguard_emulator.seed import seed

BOTH = ["RootCredentialsManagement", "RootSessions"]
MANAGEMENT = "123456789012"


def client_error(call, *args, **kwargs) -> tuple[str, int]:
    with pytest.raises(ClientError) as excinfo:
        call(*args, **kwargs)
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"]


def resource(truth: dict, kind: str, is_locked: bool) -> tuple[str, dict]:
    for account in truth["accounts"]:
        if account["state"] != "ACTIVE":
            continue
        for entry in account[kind]:
            if entry["locked"] is is_locked:
                return account["id"], entry
    raise AssertionError(f"no {'locked' if is_locked else 'ordinary'} {kind} seeded")


@pytest.fixture(name="org")
def org_fixture(aws):
    return aws, aws.seed(accounts=10, profile="mixed", features=BOTH)


# buckets ---------------------------------------------------------------------------------

def bucket_policy_calls(s3, bucket: str):
    allow_all = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/*"}]})
    return (
        (s3.get_bucket_policy, {"Bucket": bucket}),
        (s3.put_bucket_policy, {"Bucket": bucket, "Policy": allow_all}),
        (s3.delete_bucket_policy, {"Bucket": bucket}),
    )


@pytest.mark.parametrize("who", ["management", "member-role"])
def test_locked_bucket_denies_everyone_but_root(org, who):
    aws, truth = org
    account, bucket = resource(truth, "buckets", True)
    credentials = None if who == "management" else aws.member_credentials(account)
    s3 = aws.client("s3", credentials)
    for call, kwargs in bucket_policy_calls(s3, bucket["name"]):
        assert client_error(call, **kwargs) == ("AccessDenied", 403), call
    unlock = aws.client("s3", aws.assume_root(account, "S3UnlockBucketPolicy"))
    assert unlock.get_bucket_policy(Bucket=bucket["name"])["Policy"] == bucket["policy"]


def test_unlock_session_recovers_a_locked_bucket(org):
    aws, truth = org
    account, bucket = resource(truth, "buckets", True)
    name = bucket["name"]
    unlock = aws.client("s3", aws.assume_root(account, "S3UnlockBucketPolicy"))
    role = aws.client("s3", aws.member_credentials(account))

    assert unlock.get_bucket_policy(Bucket=name)["Policy"] == bucket["policy"]
    replacement = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyOthers", "Effect": "Deny", "Principal": {"AWS": "arn:aws:iam::999999999999:root"},
         "Action": "s3:*", "Resource": [f"arn:aws:s3:::{name}", f"arn:aws:s3:::{name}/*"]}]})
    unlock.put_bucket_policy(Bucket=name, Policy=replacement)
    assert unlock.get_bucket_policy(Bucket=name)["Policy"] == replacement
    # no longer locked: the member's own role can read it again
    assert role.get_bucket_policy(Bucket=name)["Policy"] == replacement

    unlock.put_bucket_policy(Bucket=name, Policy=bucket["policy"])
    assert client_error(role.get_bucket_policy, Bucket=name) == ("AccessDenied", 403)
    response = unlock.delete_bucket_policy(Bucket=name)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 204
    assert client_error(unlock.get_bucket_policy, Bucket=name) == ("NoSuchBucketPolicy", 404)
    assert client_error(role.get_bucket_policy, Bucket=name) == ("NoSuchBucketPolicy", 404)


def test_ordinary_bucket_policy_does_not_lock(org):
    aws, truth = org
    account, bucket = resource(truth, "buckets", False)
    role = aws.client("s3", aws.member_credentials(account))
    assert role.get_bucket_policy(Bucket=bucket["name"])["Policy"] == bucket["policy"]
    role.put_bucket_policy(Bucket=bucket["name"], Policy=bucket["policy"])
    role.delete_bucket_policy(Bucket=bucket["name"])
    assert client_error(role.get_bucket_policy, Bucket=bucket["name"]) == ("NoSuchBucketPolicy", 404)


def test_locked_bucket_does_not_affect_other_buckets(org):
    aws, truth = org
    account = resource(truth, "buckets", True)[0]
    role = aws.client("s3", aws.member_credentials(account))
    role.create_bucket(Bucket=f"free-{account}")
    policy = json.dumps({"Version": "2012-10-17", "Statement": []})
    role.put_bucket_policy(Bucket=f"free-{account}", Policy=policy)
    assert role.get_bucket_policy(Bucket=f"free-{account}")["Policy"] == policy


def test_owner_root_user_access_key_is_not_locked_out(inprocess):
    truth = seed(accounts=10, profile="mixed", features=BOTH)
    full_locked = next(a for a in truth["accounts"] if a["credentials"] == "full" and any(b["locked"] for b in a["buckets"]))
    key = next(iter(root_user(full_locked["id"]).access_keys.values()))
    s3 = inprocess.client("s3", {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": key.secret_access_key})
    assert s3.get_bucket_policy(Bucket=full_locked["buckets"][0]["name"])["Policy"] == full_locked["buckets"][0]["policy"]


def test_other_accounts_root_user_access_key_is_locked_out(inprocess):
    """Regression: only the owning account's root user is exempt from a policy that denies everyone."""
    truth = seed(accounts=10, profile="mixed", features=BOTH)
    owner, bucket = resource(truth, "buckets", True)
    other = next(a for a in truth["accounts"] if a["credentials"] == "full" and a["id"] != owner and a["state"] == "ACTIVE")
    key = next(iter(root_user(other["id"]).access_keys.values()))
    s3 = inprocess.client("s3", {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": key.secret_access_key})
    assert client_error(s3.get_bucket_policy, Bucket=bucket["name"]) == ("AccessDenied", 403)


# queues ----------------------------------------------------------------------------------

def test_locked_queue_denies_the_member_role(org):
    aws, truth = org
    account, queue = resource(truth, "queues", True)
    role = aws.client("sqs", aws.member_credentials(account))
    url = role.get_queue_url(QueueName=queue["name"])["QueueUrl"]
    assert client_error(role.get_queue_attributes, QueueUrl=url, AttributeNames=["Policy"]) == ("AccessDenied", 403)
    assert client_error(role.set_queue_attributes, QueueUrl=url, Attributes={"Policy": ""}) == ("AccessDenied", 403)
    unlock = aws.client("sqs", aws.assume_root(account, "SQSUnlockQueuePolicy"))
    assert unlock.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"] == queue["policy"]


@pytest.mark.parametrize("who", ["management", "other-member-role"])
def test_locked_queue_denies_other_accounts(org, who):
    aws, truth = org
    account, queue = resource(truth, "queues", True)
    unlock = aws.client("sqs", aws.assume_root(account, "SQSUnlockQueuePolicy"))
    url = unlock.get_queue_url(QueueName=queue["name"])["QueueUrl"]
    other = next(a["id"] for a in truth["accounts"] if a["state"] == "ACTIVE" and a["id"] != account)
    sqs = aws.client("sqs", None if who == "management" else aws.member_credentials(other))
    assert client_error(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["Policy"]) == ("AccessDenied", 403)
    assert client_error(sqs.set_queue_attributes, QueueUrl=url, Attributes={"Policy": ""}) == ("AccessDenied", 403)
    assert unlock.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"] == queue["policy"]


def test_root_user_access_keys_and_locked_queues(inprocess):
    """The owning account's root user is exempt from a queue policy that denies everyone; another account's is not."""
    truth = seed(accounts=10, profile="mixed", features=BOTH)
    owner, queue = resource(truth, "queues", True)
    other = next(a["id"] for a in truth["accounts"] if a["state"] == "ACTIVE" and a["id"] != owner)
    url = inprocess.client("sqs", inprocess.member_credentials(owner)).get_queue_url(QueueName=queue["name"])["QueueUrl"]
    for account, allowed in ((owner, True), (other, False)):
        key = root_user(account).add_access_key()
        sqs = inprocess.client("sqs", {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": key.secret_access_key})
        if allowed:
            assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"] == queue["policy"]
        else:
            assert client_error(sqs.get_queue_attributes, QueueUrl=url, AttributeNames=["Policy"]) == ("AccessDenied", 403)


def test_unlock_session_removes_a_queue_policy(org):
    aws, truth = org
    account, queue = resource(truth, "queues", True)
    unlock = aws.client("sqs", aws.assume_root(account, "SQSUnlockQueuePolicy"))
    url = unlock.get_queue_url(QueueName=queue["name"])["QueueUrl"]
    assert json.loads(unlock.get_queue_attributes(QueueUrl=url, AttributeNames=["Policy"])["Attributes"]["Policy"]) == \
        json.loads(queue["policy"])

    unlock.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    for names in (["Policy"], ["All"]):
        assert "Policy" not in unlock.get_queue_attributes(QueueUrl=url, AttributeNames=names).get("Attributes", {})
    role = aws.client("sqs", aws.member_credentials(account))
    attributes = role.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert "Policy" not in attributes
    assert attributes["QueueArn"] == queue["arn"]


def test_setting_another_attribute_keeps_the_policy(org):
    aws, truth = org
    account, queue = resource(truth, "queues", True)
    unlock = aws.client("sqs", aws.assume_root(account, "SQSUnlockQueuePolicy"))
    url = unlock.get_queue_url(QueueName=queue["name"])["QueueUrl"]
    unlock.set_queue_attributes(QueueUrl=url, Attributes={"VisibilityTimeout": "45"})
    attributes = unlock.get_queue_attributes(QueueUrl=url, AttributeNames=["All"])["Attributes"]
    assert attributes["VisibilityTimeout"] == "45"
    assert attributes["Policy"] == queue["policy"]

    # the same for an ordinary queue managed by the member's role
    role = aws.client("sqs", aws.member_credentials(account))
    policy = json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{MANAGEMENT}:root"}, "Action": "sqs:SendMessage", "Resource": "*"}]})
    own = role.create_queue(QueueName="ordinary", Attributes={"Policy": policy})["QueueUrl"]
    role.set_queue_attributes(QueueUrl=own, Attributes={"DelaySeconds": "5"})
    attributes = role.get_queue_attributes(QueueUrl=own, AttributeNames=["All"])["Attributes"]
    assert (attributes["DelaySeconds"], json.loads(attributes["Policy"])) == ("5", json.loads(policy))
    role.set_queue_attributes(QueueUrl=own, Attributes={"Policy": ""})
    assert "Policy" not in role.get_queue_attributes(QueueUrl=own, AttributeNames=["All"])["Attributes"]


# denies_everyone -------------------------------------------------------------------------

ARN = "arn:aws:s3:::bucket"


def deny_document(**statement) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Resource": ARN, **statement}]})


@pytest.mark.parametrize("principal", ["*", {"AWS": "*"}, {"AWS": ["*"]}, {"AWS": ["arn:aws:iam::111122223333:root", "*"]}])
def test_everyone_principals(principal):
    assert denies_everyone(deny_document(Principal=principal, Action="s3:*"), "s3:GetBucketPolicy", ARN)


@pytest.mark.parametrize("principal", [{"AWS": "arn:aws:iam::111122223333:root"}, {"Service": "*"}, {"Service": "s3.amazonaws.com"}])
def test_specific_principals_do_not_lock(principal):
    assert not denies_everyone(deny_document(Principal=principal, Action="s3:*"), "s3:GetBucketPolicy", ARN)


def test_not_principal_does_not_lock():
    assert not denies_everyone(deny_document(NotPrincipal={"AWS": "arn:aws:iam::111122223333:root"}, Action="s3:*"),
                               "s3:GetBucketPolicy", ARN)


@pytest.mark.parametrize("action", ["s3:*", "*", "s3:Get*", "s3:*Policy", "s3:?etBucketPolicy", "S3:GETBUCKETPOLICY",
                                    ["s3:ListBucket", "s3:GetBucketPolicy"]])
def test_action_wildcards(action):
    assert denies_everyone(deny_document(Principal="*", Action=action), "s3:GetBucketPolicy", ARN)


@pytest.mark.parametrize("action", ["s3:Put*", "sqs:*", ["s3:ListBucket", "s3:GetObject"], "s3:GetBucketPolicyStatus"])
def test_other_actions_do_not_lock(action):
    assert not denies_everyone(deny_document(Principal="*", Action=action), "s3:GetBucketPolicy", ARN)


def test_not_action():
    assert not denies_everyone(deny_document(Principal="*", NotAction="s3:GetBucketPolicy"), "s3:GetBucketPolicy", ARN)
    assert not denies_everyone(deny_document(Principal="*", NotAction=["s3:*Policy"]), "s3:GetBucketPolicy", ARN)
    assert denies_everyone(deny_document(Principal="*", NotAction="s3:GetObject"), "s3:GetBucketPolicy", ARN)


def test_condition_does_not_lock():
    condition = {"Bool": {"aws:SecureTransport": "false"}}
    assert not denies_everyone(deny_document(Principal="*", Action="s3:*", Condition=condition), "s3:GetBucketPolicy", ARN)


def test_allow_does_not_lock():
    document = json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}]})
    assert not denies_everyone(document, "s3:GetBucketPolicy", ARN)


def test_resources():
    assert denies_everyone(deny_document(Principal="*", Action="s3:*", Resource=[ARN, f"{ARN}/*"]), "s3:GetBucketPolicy", ARN)
    assert denies_everyone(deny_document(Principal="*", Action="s3:*", Resource="*"), "s3:GetBucketPolicy", ARN)
    assert not denies_everyone(deny_document(Principal="*", Action="s3:*", Resource=f"{ARN}/*"), "s3:GetBucketPolicy", ARN)
    assert not denies_everyone(deny_document(Principal="*", Action="s3:*", Resource="arn:aws:s3:::other"), "s3:GetBucketPolicy", ARN)
    not_resource = json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "NotResource": ARN}]})
    assert not denies_everyone(not_resource, "s3:GetBucketPolicy", ARN)


@pytest.mark.parametrize("document", ["{not json", "", None, b"", "{}", json.dumps({"Statement": "nope"})])
def test_invalid_or_empty_documents_do_not_lock(document):
    assert denies_everyone(document, "s3:GetBucketPolicy", ARN) is False


@pytest.mark.parametrize("document", ["[]", "null", "42", '"Deny"'])
def test_json_that_is_not_an_object_does_not_lock(document):
    """Regression: valid JSON that is not an object used to raise AttributeError."""
    assert denies_everyone(document, "s3:GetBucketPolicy", ARN) is False


def test_bucket_with_a_non_object_policy_stays_usable(aws):
    """Regression: moto stores such a policy; every later bucket call used to crash (HTTP 500 over HTTP)."""
    aws.seed(accounts=1, profile="none")
    s3 = aws.client("s3", retries={"total_max_attempts": 1})
    s3.create_bucket(Bucket="odd-policy")
    s3.put_bucket_policy(Bucket="odd-policy", Policy="[]")
    assert s3.get_bucket_policy(Bucket="odd-policy")["Policy"] == "[]"


def test_single_statement_object_and_bytes():
    statement = {"Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "arn:aws:sqs:us-east-1:111122223333:q"}
    document = json.dumps({"Statement": statement})
    assert denies_everyone(document, "sqs:GetQueueAttributes", "arn:aws:sqs:us-east-1:111122223333:q")
    assert denies_everyone(document.encode(), "sqs:SetQueueAttributes", "arn:aws:sqs:us-east-1:111122223333:q")


def test_one_locking_statement_among_others():
    document = json.dumps({"Statement": [
        {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": f"{ARN}/*"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": ARN, "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
        {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:*Policy", "Resource": ARN},
    ]})
    assert denies_everyone(document, "s3:DeleteBucketPolicy", ARN)
    assert not denies_everyone(document, "s3:ListBucket", ARN)
