"""Fault injection (throttling, 5xx, SCP denials, delays) and the request log."""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError
from moto.core.base_backend import BackendDict

from rootguard_emulator import faults
from rootguard_emulator.state import STATE

RCM = "RootCredentialsManagement"
BOTH = [RCM, "RootSessions"]
MANAGEMENT = "123456789012"
AUDIT = "IAMAuditRootUserCredentials"
NO_RETRIES = {"retries": {"total_max_attempts": 1}}


def add_fault(aws, **rule) -> dict:
    return aws.control.add_fault(**rule) if aws.endpoint else faults.add(**rule).describe()


def fault_rules(aws) -> list[dict]:
    return aws.control.faults() if aws.endpoint else [rule.describe() for rule in STATE.fault_rules]


def clear_faults(aws) -> None:
    if aws.endpoint:
        aws.control.clear_faults()
    else:
        STATE.clear_faults()


def request_log(aws, since: int = 0) -> dict:
    return aws.control.requests(since=since) if aws.endpoint else STATE.request_log(since=since)


def clear_requests(aws) -> None:
    if aws.endpoint:
        aws.control.clear_requests()
    else:
        STATE.clear_requests()


def reset(aws) -> None:
    if aws.endpoint:
        aws.control.reset()
    else:
        BackendDict.reset()


def client_error(call, *args, **kwargs) -> tuple[str, int, str]:
    with pytest.raises(ClientError) as excinfo:
        call(*args, **kwargs)
    response = excinfo.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"].get("Message", "")


def assume_root_raw(sts, target: str, policy: str = AUDIT):
    return sts.assume_root(TargetPrincipal=target, TaskPolicyArn={"arn": f"arn:aws:iam::aws:policy/root-task/{policy}"})


# throttling ---------------------------------------------------------------------------

def test_throttling_then_success_with_retries(aws):
    add_fault(aws, kind="throttle", service="iam", action="ListUsers", times=2)
    iam = aws.client("iam", retries={"mode": "standard", "total_max_attempts": 5})
    response = iam.list_users()
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    (rule,) = fault_rules(aws)
    assert (rule["code"], rule["status"], rule["matched"], rule["injected"]) == ("Throttling", 400, 3, 2)
    assert iam.list_users()["ResponseMetadata"]["RetryAttempts"] == 0


def test_throttling_without_retries_reaches_the_caller(aws):
    add_fault(aws, kind="throttle", service="iam", action="ListUsers", times=1)
    iam = aws.client("iam", retries={"mode": "standard", "total_max_attempts": 1})
    code, status, message = client_error(iam.list_users)
    assert (code, status, message) == ("Throttling", 400, "Rate exceeded")
    assert iam.list_users()["Users"] == []
    # other actions never matched
    iam.list_roles()
    assert fault_rules(aws)[0]["matched"] == 2


def test_every_nth(aws):
    aws.seed(accounts=2, profile="none")
    add_fault(aws, kind="throttle", service="organizations", action="ListAccounts", every_nth=3)
    org = aws.client("organizations", **NO_RETRIES)
    outcomes = []
    for _attempt in range(7):
        try:
            org.list_accounts()
            outcomes.append("ok")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])
    assert outcomes == ["ok", "ok", "TooManyRequestsException", "ok", "ok", "TooManyRequestsException", "ok"]
    (rule,) = fault_rules(aws)
    assert (rule["matched"], rule["injected"]) == (7, 2)


def test_faults_match_the_subject_account(aws):
    truth = aws.seed(accounts=3, profile="full", features=BOTH)
    first, second = truth["accounts"][0]["id"], truth["accounts"][1]["id"]
    sts = aws.client("sts", **NO_RETRIES)

    # AssumeRoot is about its target, although the management account calls it
    add_fault(aws, kind="throttle", service="sts", action="AssumeRoot", account=first)
    assert client_error(assume_root_raw, sts, first)[:2] == ("Throttling", 400)
    assert assume_root_raw(sts, second)["Credentials"]["AccessKeyId"]
    clear_faults(aws)
    add_fault(aws, kind="throttle", service="sts", action="AssumeRoot", account=MANAGEMENT)
    assert assume_root_raw(sts, first)["Credentials"]["AccessKeyId"]
    assert fault_rules(aws)[0]["matched"] == 0
    clear_faults(aws)

    # a root session's calls are about the account it acts in
    add_fault(aws, kind="throttle", service="iam", account=second)
    in_first = aws.client("iam", aws.assume_root(first, AUDIT), **NO_RETRIES)
    in_second = aws.client("iam", aws.assume_root(second, AUDIT), **NO_RETRIES)
    assert len(in_first.list_access_keys()["AccessKeyMetadata"]) == 2
    assert client_error(in_second.list_access_keys)[:2] == ("Throttling", 400)
    aws.client("iam", **NO_RETRIES).list_users()  # the management account is not matched
    assert fault_rules(aws)[0]["injected"] == 1


def run_rate(aws) -> list[bool]:
    add_fault(aws, kind="throttle", service="iam", action="ListUsers", rate=0.5, seed=7)
    iam = aws.client("iam", **NO_RETRIES)
    failed = []
    for _attempt in range(20):
        try:
            iam.list_users()
            failed.append(False)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "Throttling"
            failed.append(True)
    assert fault_rules(aws)[0]["injected"] == sum(failed)
    return failed


def test_rate_is_deterministic_for_a_seed(aws):
    first = run_rate(aws)
    reset(aws)
    second = run_rate(aws)
    assert first == second
    assert 0 < sum(first) < 20


def test_organizations_throttling(aws):
    aws.seed(accounts=2, profile="none")
    add_fault(aws, kind="throttle", service="organizations", times=1)
    org = aws.client("organizations", **NO_RETRIES)
    code, status = client_error(org.list_accounts)[:2]
    assert (code, status) == ("TooManyRequestsException", 400)
    add_fault(aws, kind="throttle", service="organizations", action="ListAccounts", times=1)
    retrying = aws.client("organizations", retries={"mode": "standard", "total_max_attempts": 3})
    response = retrying.list_accounts()
    assert len(response["Accounts"]) == 3
    assert response["ResponseMetadata"]["RetryAttempts"] == 1


def test_s3_slow_down(aws):
    add_fault(aws, kind="throttle", service="s3", times=1)
    s3 = aws.client("s3", **NO_RETRIES)
    code, status = client_error(s3.list_buckets)[:2]
    assert (code, status) == ("SlowDown", 503)
    assert s3.list_buckets()["Buckets"] == []


@pytest.mark.parametrize(
    "service,operation,code",
    [
        ("iam", "list_users", "Throttling"),
        ("sts", "get_caller_identity", "Throttling"),
        ("organizations", "describe_organization", "TooManyRequestsException"),
        ("sqs", "list_queues", "RequestThrottled"),
    ],
)
def test_throttling_codes(aws, service, operation, code):
    aws.seed(accounts=1, profile="none")
    add_fault(aws, kind="throttle", service=service, times=1)
    client = aws.client(service, **NO_RETRIES)
    assert client_error(getattr(client, operation))[:2] == (code, 400)
    getattr(client, operation)()
    retrying = aws.client(service, retries={"mode": "standard", "total_max_attempts": 2})
    add_fault(aws, kind="throttle", service=service, times=1)
    assert getattr(retrying, operation)()["ResponseMetadata"]["RetryAttempts"] == 1


def test_principal_filter(aws):
    truth = aws.seed(accounts=2, profile="full", features=BOTH)
    member = truth["accounts"][0]["id"]
    add_fault(aws, kind="throttle", service="iam", principal="non-root")
    add_fault(aws, kind="server_error", service="iam", principal="root", account=member, times=1)
    root_iam = aws.client("iam", aws.assume_root(member, AUDIT), **NO_RETRIES)
    assert client_error(root_iam.list_access_keys)[:2] == ("ServiceFailure", 500)
    assert len(root_iam.list_access_keys()["AccessKeyMetadata"]) == 2
    assert client_error(aws.client("iam", **NO_RETRIES).list_users)[:2] == ("Throttling", 400)
    non_root, root = fault_rules(aws)
    assert (non_root["injected"], root["injected"]) == (1, 1)


@pytest.mark.parametrize(
    "service,operation,code",
    [
        ("iam", "list_users", "ServiceFailure"),
        ("sts", "get_caller_identity", "InternalFailure"),
        ("organizations", "describe_organization", "ServiceException"),
        ("s3", "list_buckets", "InternalError"),
        ("sqs", "list_queues", "InternalFailure"),
    ],
)
def test_server_errors(aws, service, operation, code):
    aws.seed(accounts=1, profile="none")
    add_fault(aws, kind="server_error", service=service, times=1)
    client = aws.client(service, **NO_RETRIES)
    assert client_error(getattr(client, operation))[:2] == (code, 500)
    getattr(client, operation)()


def test_fault_kinds_are_validated(inprocess):
    with pytest.raises(ValueError):
        faults.add(kind="throttle", service="ec2")
    with pytest.raises(ValueError):
        faults.add(kind="earthquake")
    assert not STATE.fault_rules
    assert inprocess.client("iam").list_users()["Users"] == []


# SCP denials -----------------------------------------------------------------------------

def test_scp_deny_for_three_accounts(aws):
    truth = aws.seed(accounts=6, profile="full", features=BOTH)
    accounts = [account["id"] for account in truth["accounts"]]
    denied, allowed = accounts[:3], accounts[3:]
    for account in denied:
        add_fault(aws, kind="scp_deny", account=account)

    for account in denied:
        iam = aws.client("iam", aws.assume_root(account, AUDIT))  # AssumeRoot itself still works
        code, status, message = client_error(iam.list_access_keys)
        assert (code, status) == ("AccessDenied", 403)
        assert "explicit deny in a service control policy" in message
        assert f"arn:aws:iam::{account}:root" in message
        s3 = aws.client("s3", aws.assume_root(account, "S3UnlockBucketPolicy"))
        assert client_error(s3.list_buckets)[:2] == ("AccessDenied", 403)
    for account in allowed:
        iam = aws.client("iam", aws.assume_root(account, AUDIT))
        assert len(iam.list_access_keys()["AccessKeyMetadata"]) == 2
    # the management account and IAM principals in the denied accounts are not root: unaffected
    assert aws.client("iam").list_users()["Users"] == []
    assert sum(rule["injected"] for rule in fault_rules(aws)) == 6


# delays and clearing ---------------------------------------------------------------------

def test_slow(aws):
    add_fault(aws, kind="slow", service="iam", action="ListUsers", delay_seconds=0.4)
    iam = aws.client("iam")
    started = time.monotonic()
    assert iam.list_users()["Users"] == []
    assert time.monotonic() - started >= 0.4
    (rule,) = fault_rules(aws)
    assert (rule["code"], rule["delay_seconds"], rule["injected"]) == (None, 0.4, 1)


def test_clearing_faults(aws):
    add_fault(aws, kind="throttle", service="iam")
    add_fault(aws, kind="server_error", service="sts")
    assert len(fault_rules(aws)) == 2
    iam = aws.client("iam", **NO_RETRIES)
    assert client_error(iam.list_users)[0] == "Throttling"
    clear_faults(aws)
    assert fault_rules(aws) == []
    assert iam.list_users()["Users"] == []
    assert aws.client("sts", **NO_RETRIES).get_caller_identity()["Account"] == MANAGEMENT


# the request log -------------------------------------------------------------------------

def test_request_log_counts(aws):
    truth = aws.seed(accounts=3, profile="full", features=BOTH)
    member = truth["accounts"][0]["id"]
    clear_requests(aws)
    assert request_log(aws)["count"] == 0

    aws.client("organizations").list_accounts()
    aws.client("iam").list_organizations_features()
    iam = aws.client("iam", aws.assume_root(member, "IAMDeleteRootUserCredentials"))
    keys = iam.list_access_keys()["AccessKeyMetadata"]
    iam.get_login_profile()

    log = request_log(aws)
    assert log["count"] == 5
    assert (log["reads"], log["writes"]) == (5, 0)
    assert log["by_service"] == {"organizations": 1, "iam": 3, "sts": 1}
    assert log["by_action"] == {"organizations:ListAccounts": 1, "iam:ListOrganizationsFeatures": 1, "sts:AssumeRoot": 1,
                                "iam:ListAccessKeys": 1, "iam:GetLoginProfile": 1}
    assert log["by_account"] == {MANAGEMENT: 2, member: 3}
    assume_root = next(entry for entry in log["entries"] if entry["action"] == "AssumeRoot")
    assert (assume_root["account"], assume_root["caller_account"], assume_root["write"]) == (member, MANAGEMENT, False)
    root_call = next(entry for entry in log["entries"] if entry["action"] == "ListAccessKeys")
    assert (root_call["principal"], root_call["task_policy"]) == ("root", "IAMDeleteRootUserCredentials")
    assert [entry["seq"] for entry in log["entries"]] == [1, 2, 3, 4, 5]

    since = log["count"]
    iam.delete_access_key(AccessKeyId=keys[0]["AccessKeyId"])
    aws.client("iam").enable_organizations_root_sessions()
    newer = request_log(aws, since=since)
    assert newer["count"] == 2
    assert [(entry["action"], entry["write"]) for entry in newer["entries"]] == [
        ("DeleteAccessKey", True), ("EnableOrganizationsRootSessions", True)]
    assert (newer["reads"], newer["writes"]) == (0, 2)
    assert newer["by_account"] == {member: 1, MANAGEMENT: 1}
    assert request_log(aws)["count"] == 7


def test_rejected_requests_are_logged(aws):
    truth = aws.seed(accounts=2, profile="none", features=BOTH)
    clear_requests(aws)
    add_fault(aws, kind="throttle", service="iam", action="ListUsers", times=1)
    iam = aws.client("iam", **NO_RETRIES)
    client_error(iam.list_users)
    iam.list_users()
    s3 = aws.client("s3", aws.assume_root(truth["accounts"][0]["id"], "S3UnlockBucketPolicy"), **NO_RETRIES)
    client_error(s3.get_bucket_location, Bucket="any-bucket")
    entries = request_log(aws)["entries"]
    assert [(entry["action"], entry["rejected"]) for entry in entries] == [
        ("ListUsers", "Throttling"), ("ListUsers", None), ("AssumeRoot", None), ("GetBucketLocation", "AccessDenied")]


def test_check_mode_like_reads_write_nothing(aws):
    truth = aws.seed(accounts=5, profile="mixed", features=BOTH)
    clear_requests(aws)
    org = aws.client("organizations")
    accounts = [a for page in org.get_paginator("list_accounts").paginate() for a in page["Accounts"]]
    org.describe_organization()
    org.list_aws_service_access_for_organization()
    org.list_delegated_administrators()
    aws.client("iam").list_organizations_features()
    for account in accounts:
        if account["Id"] == MANAGEMENT or account["State"] != "ACTIVE":
            continue
        iam = aws.client("iam", aws.assume_root(account["Id"], AUDIT))
        iam.get_account_summary()
        iam.list_access_keys()
        iam.list_signing_certificates()
        iam.list_mfa_devices()
        try:
            iam.get_login_profile()
        except ClientError as error:
            assert error.response["Error"]["Code"] == "NoSuchEntity"
    log = request_log(aws)
    assert log["writes"] == 0
    assert log["reads"] == log["count"] > 5 * len(truth["accounts"])
    assert not any(entry["write"] for entry in log["entries"])


def test_reset_clears_everything(aws):
    truth = aws.seed(accounts=2, profile="full", features=BOTH)
    session = aws.assume_root(truth["accounts"][0]["id"], AUDIT)
    add_fault(aws, kind="throttle", service="organizations")
    assert request_log(aws)["count"] > 0
    reset(aws)
    assert request_log(aws)["count"] == 0
    assert fault_rules(aws) == []
    assert not STATE.root_principals
    # the old session no longer acts as root; new rules are numbered from 1 again
    assert aws.client("sts", session).get_caller_identity()["Arn"] != f"arn:aws:iam::{truth['accounts'][0]['id']}:root"
    assert add_fault(aws, kind="throttle", service="iam")["rule_id"] == 1


# bursts, expiring sessions and suspended accounts -----------------------------------------

def test_a_burst_starts_after_the_requests_it_lets_through(aws):
    add_fault(aws, kind="server_error", service="iam", action="ListUsers", start_after=2, times=3)
    iam = aws.client("iam", **NO_RETRIES)
    outcomes = []
    for _attempt in range(7):
        try:
            iam.list_users()
            outcomes.append("ok")
        except ClientError as error:
            outcomes.append(error.response["Error"]["Code"])
    assert outcomes == ["ok", "ok", "ServiceFailure", "ServiceFailure", "ServiceFailure", "ok", "ok"]
    (rule,) = fault_rules(aws)
    assert (rule["start_after"], rule["matched"], rule["injected"], rule["status"]) == (2, 7, 3, 500)
    # retried, a burst shorter than the attempts is ridden out
    add_fault(aws, kind="throttle", service="iam", action="ListRoles", start_after=1, times=4)
    retrying = aws.client("iam", retries={"mode": "standard", "total_max_attempts": 5})
    assert retrying.list_roles()["ResponseMetadata"]["RetryAttempts"] == 0
    assert retrying.list_roles()["ResponseMetadata"]["RetryAttempts"] == 4


def test_expire_session_expires_the_root_sessions_of_the_account_when_it_fires(aws):
    truth = aws.seed(accounts=2, profile="full", features=BOTH)
    first, second = truth["accounts"][0]["id"], truth["accounts"][1]["id"]
    add_fault(aws, kind="expire_session", service="iam", action="ListSigningCertificates", account=first, times=1)
    in_first = aws.client("iam", aws.assume_root(first, AUDIT), **NO_RETRIES)
    in_second = aws.client("iam", aws.assume_root(second, AUDIT), **NO_RETRIES)
    assert len(in_first.list_access_keys()["AccessKeyMetadata"]) == 2
    code, status, message = client_error(in_first.list_signing_certificates)
    assert (code, status) == ("ExpiredToken", 400) and "expired" in message
    # the session stays expired; a new one works, and other accounts' sessions never expired
    assert client_error(in_first.list_access_keys)[0] == "ExpiredToken"
    assert len(aws.client("iam", aws.assume_root(first, AUDIT), **NO_RETRIES).list_signing_certificates()["Certificates"]) == 1
    assert len(in_second.list_signing_certificates()["Certificates"]) == 1
    (rule,) = fault_rules(aws)
    assert (rule["code"], rule["effect"], rule["principal"], rule["injected"]) == (None, "expire_session", "root", 1)
    rejected = [entry["rejected"] for entry in request_log(aws)["entries"] if entry["action"] == "ListSigningCertificates"]
    assert rejected == ["ExpiredToken", None, None]


def test_suspend_account_suspends_it_on_its_first_assume_root(aws):
    truth = aws.seed(accounts=3, profile="full", features=BOTH)
    first, second = truth["accounts"][0]["id"], truth["accounts"][1]["id"]
    add_fault(aws, kind="suspend_account", account=first, times=1)
    org = aws.client("organizations")
    assert org.describe_account(AccountId=first)["Account"]["State"] == "ACTIVE"
    sts = aws.client("sts", **NO_RETRIES)
    assert assume_root_raw(sts, second)["Credentials"]["AccessKeyId"]
    code, status, message = client_error(assume_root_raw, sts, first)
    assert (code, status) == ("AccessDenied", 403) and "SUSPENDED" in message
    assert org.describe_account(AccountId=first)["Account"]["State"] == "SUSPENDED"
    assert org.describe_account(AccountId=second)["Account"]["State"] == "ACTIVE"
    (rule,) = fault_rules(aws)
    assert (rule["service"], rule["action"], rule["effect"], rule["injected"]) == ("sts", "AssumeRoot", "suspend_account", 1)
    if aws.endpoint:
        assert aws.control.account(first)["state"] == "SUSPENDED"


def test_new_fault_kinds_are_validated(inprocess):
    with pytest.raises(TypeError):
        faults.add(kind="expire_session", duration=3)
    assert not STATE.fault_rules
