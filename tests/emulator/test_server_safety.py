"""The emulator's server as a neighbour sees it: no answer for a web page of another origin,
no secret through its debugging endpoints, a clear refusal when its port is taken, and
credentials as unguessable as AWS's."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest

from rootguard_emulator.evidence import issued_secrets, leaks
from rootguard_emulator.lookup import decode_account
from rootguard_emulator.server import EmulatorServer, PortUnavailable

EVIL = "http://evil.example"
AUDIT = "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
FEATURES = ["RootCredentialsManagement", "RootSessions"]
PASSWORD = "Pa55word-no-one-should-read!"


def send(endpoint: str, path: str, method: str = "GET", headers: dict | None = None, body: bytes | None = None):
    """(status, headers, body) of one request, whatever its status."""
    request = urllib.request.Request(f"{endpoint}{path}", data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:  # nosec - loopback only
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def cors_headers(headers) -> dict:
    return {name: value for name, value in headers.items() if name.lower().startswith("access-control-")}


def issue_everything(http, truth: dict) -> dict:
    """One credential of each kind the emulator issues, as its callers received them."""
    member = truth["accounts"][0]["id"]
    sts = http.client("sts")
    root = sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": AUDIT})["Credentials"]
    role = sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole", RoleSessionName="safety")["Credentials"]
    session = sts.get_session_token()["Credentials"]
    iam = http.client("iam")
    iam.create_user(UserName="safety")
    key = iam.create_access_key(UserName="safety")["AccessKey"]
    iam.create_login_profile(UserName="safety", Password=PASSWORD)
    return {"AssumeRoot secret key": root["SecretAccessKey"], "AssumeRoot session token": root["SessionToken"],
            "AssumeRole secret key": role["SecretAccessKey"], "AssumeRole session token": role["SessionToken"],
            "GetSessionToken secret key": session["SecretAccessKey"], "GetSessionToken session token": session["SessionToken"],
            "CreateAccessKey secret key": key["SecretAccessKey"], "login profile password": PASSWORD}


# ---------------------------------------------------------------------------
# Another origin


@pytest.mark.parametrize("path", ["/moto-api/rootguard/organization", "/moto-api/data.json", "/"])
def test_a_request_from_another_origin_is_refused_without_cors_headers(http, path):
    status, headers, body = send(http.endpoint, path, headers={"Origin": EVIL})
    assert status == 403
    assert cors_headers(headers) == {}
    assert b"cross-origin" in body and b"http://evil.example" in body


def test_a_preflight_from_another_origin_is_refused_without_cors_headers(http):
    status, headers, _body = send(http.endpoint, "/", method="OPTIONS", headers={
        "Origin": EVIL, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization,x-amz-date"})
    assert status == 403
    assert cors_headers(headers) == {}


def test_an_aws_call_from_another_origin_is_refused_and_changes_nothing(http):
    http.seed(accounts=1)
    body = b"Action=CreateUser&Version=2010-05-08&UserName=from-a-web-page"
    status, headers, _body = send(http.endpoint, "/", method="POST", body=body, headers={
        "Origin": EVIL, "Content-Type": "application/x-www-form-urlencoded", "Host": "iam.amazonaws.com"})
    assert (status, cors_headers(headers)) == (403, {})
    assert [user["UserName"] for user in http.client("iam").list_users()["Users"]] == []


def test_the_emulator_own_origin_and_clients_without_origin_get_answers_without_cors_headers(http):
    own = http.endpoint
    status, headers, body = send(http.endpoint, "/moto-api/rootguard/organization", headers={"Origin": own})
    assert (status, cors_headers(headers)) == (200, {})
    assert json.loads(body) == {"organization": None}
    status, headers, _body = send(http.endpoint, "/moto-api/rootguard/organization")
    assert (status, cors_headers(headers)) == (200, {})


# ---------------------------------------------------------------------------
# No secret through the debugging endpoints


def test_moto_model_data_holds_no_secret_the_emulator_issued(http):
    truth = http.seed(accounts=2, profile="full", features=FEATURES, trusted_access=True)
    issued = issue_everything(http, truth)

    status, _headers, body = send(http.endpoint, "/moto-api/data.json")

    assert status == 200
    text = body.decode()
    assert not leaks({"/moto-api/data.json": text}, issued)
    data = json.loads(text)
    (session,) = data["sts_ext"]["RootSession"]
    assert session["account_id"] == truth["accounts"][0]["id"] and session["task_policy_arn"] == AUDIT
    assert "secret_access_key" not in session and "session_token" not in session
    # What the dump still shows: every access key by its id, without its secret.
    assert all("access_key_id" in key and "secret_access_key" not in key for key in data["iam"]["AccessKey"])


def test_no_control_or_moto_api_endpoint_serves_a_secret(http):
    truth = http.seed(accounts=2, profile="full", features=FEATURES, trusted_access=True)
    issued = issue_everything(http, truth)
    issued.update(issued_secrets(http.endpoint))  # the seeded root users' keys too
    member = truth["accounts"][0]["id"]
    paths = ["/moto-api/", "/moto-api/data.json", "/moto-api/config", "/moto-api/rootguard/requests", "/moto-api/rootguard/faults",
             f"/moto-api/rootguard/root-user?account_id={member}", f"/moto-api/rootguard/account?account_id={member}",
             "/moto-api/rootguard/organization", "/moto-api/rootguard/account-vending"]
    texts = {}
    for path in paths:
        status, _headers, body = send(http.endpoint, path)
        assert status in (200, 201), path
        texts[path] = body.decode()
    assert not leaks(texts, issued)


def test_the_secrets_issued_are_read_in_process_by_the_test_evidence(http):
    truth = http.seed(accounts=2, profile="full", features=FEATURES, trusted_access=True)
    issued = issue_everything(http, truth)
    known = set(issued_secrets(http.endpoint).values())
    assert {value for what, value in issued.items() if what != "login profile password"} <= known


def test_the_test_evidence_refuses_an_emulator_outside_this_process():
    with pytest.raises(LookupError, match="http://127.0.0.1:9 is not served by an emulator in this process"):
        issued_secrets("http://127.0.0.1:9")


@pytest.mark.parametrize("path", ["/moto-api/recorder/start-recording", "/moto-api/recorder/download-recording",
                                  "/moto-api/recorder/upload-recording", "/moto-api/recorder/replay-recording",
                                  "/moto-api/recorder/stop-recording", "/moto-api/recorder/reset-recording"])
def test_moto_request_recorder_is_not_served(http, path):
    status, _headers, body = send(http.endpoint, path, method="POST", body=b"")
    assert status == 404
    assert b"request recorder is disabled" in body


def test_nothing_recorded_when_a_page_tries_to_start_the_recorder(http, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    send(http.endpoint, "/moto-api/recorder/start-recording", method="POST", body=b"")
    http.client("iam").create_user(UserName="recorded")
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------------------
# A port that is taken


@pytest.fixture
def taken_port():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        yield holder.getsockname()[1]


def test_the_server_refuses_a_port_that_is_taken_at_once(taken_port):
    started = time.monotonic()
    with pytest.raises(PortUnavailable, match=f"cannot listen on 127.0.0.1:{taken_port}: the port is already in use"):
        EmulatorServer(port=taken_port).start()
    assert time.monotonic() - started < 5


def test_serve_on_a_port_that_is_taken_exits_non_zero_naming_the_port(taken_port):
    environment = {key: value for key, value in os.environ.items() if key not in ("MOTO_ACCOUNT_ID", "PYTHONPATH")}
    completed = subprocess.run([sys.executable, "-m", "rootguard_emulator", "serve", "--port", str(taken_port)],
                               env=environment, capture_output=True, text=True, timeout=60, check=False)
    assert completed.returncode == 2, completed.stdout + completed.stderr
    assert completed.stderr.strip() == (f"rootguard emulator: cannot listen on 127.0.0.1:{taken_port}: the port is already in use; "
                                        "stop what listens there or choose another --port")
    assert "listening" not in completed.stdout


# ---------------------------------------------------------------------------
# Credentials as random as AWS's


ISSUES = 40


def test_every_issued_token_and_secret_key_differs_from_its_first_16_characters(aws):
    truth = aws.seed(accounts=3, profile="none", features=FEATURES, trusted_access=True)
    members = [account["id"] for account in truth["accounts"] if account["state"] == "ACTIVE"]
    sts = aws.client("sts")
    iam = aws.client("iam")
    iam.create_user(UserName="many-keys")
    credentials = []
    for index in range(ISSUES):
        member = members[index % len(members)]
        credentials.append(sts.assume_root(TargetPrincipal=member, TaskPolicyArn={"arn": AUDIT})["Credentials"])
        credentials.append(sts.assume_role(RoleArn=f"arn:aws:iam::{member}:role/OrganizationAccountAccessRole",
                                           RoleSessionName=f"session-{index}")["Credentials"])
        credentials.append(sts.get_session_token()["Credentials"])
        key = iam.create_access_key(UserName="many-keys")["AccessKey"]
        iam.delete_access_key(UserName="many-keys", AccessKeyId=key["AccessKeyId"])  # a user holds at most two
        credentials.append(dict(key, SessionToken=None))

    tokens = [entry["SessionToken"] for entry in credentials if entry["SessionToken"]]
    secret_keys = [entry["SecretAccessKey"] for entry in credentials]
    access_key_ids = [entry["AccessKeyId"] for entry in credentials]
    assert len(tokens) == 3 * ISSUES and len(secret_keys) == len(access_key_ids) == 4 * ISSUES
    assert len({token[:16] for token in tokens}) == len(tokens)
    assert len({secret[:16] for secret in secret_keys}) == len(secret_keys)
    assert not {token[:16] for token in tokens} & {secret[:16] for secret in secret_keys}
    assert len(set(access_key_ids)) == len(access_key_ids)
    assert all(len(secret) == 40 for secret in secret_keys) and all(len(token) >= 300 for token in tokens)
    # An access key id still carries its account in characters 5 to 12, as AWS's do.
    assert all(decode_account(entry["AccessKeyId"]) in members for entry in credentials[0::4])


def test_a_session_token_issued_by_get_session_token_works(http):
    http.seed(accounts=1)
    session = http.client("sts").get_session_token()["Credentials"]
    assert session["AccessKeyId"].startswith("ASIA")
    caller = http.client("sts", {"aws_access_key_id": session["AccessKeyId"], "aws_secret_access_key": session["SecretAccessKey"],
                                 "aws_session_token": session["SessionToken"]}).get_caller_identity()
    assert caller["Account"] == "123456789012"
