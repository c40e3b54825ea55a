"""The emulator's latency (rootguard_emulator/latency.py): a fixed delay before every AWS API response
of the served emulator, set by ``serve --latency-ms`` and by ``GET|POST /moto-api/rootguard/latency``.

Timings are checked with lower bounds (a request takes at least the delay), and with upper bounds
only where the alternative is several times slower (a control request against a delay of seconds,
concurrent requests against the same requests one after another), so that a loaded machine does
not make them fail."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request

import boto3
import pytest
from botocore.config import Config

from rootguard_emulator.client import EmulatorClient

LATENCY = "/moto-api/rootguard/latency"
NO_RETRIES = Config(retries={"total_max_attempts": 1}, connect_timeout=30, read_timeout=60)


def send(endpoint: str, path: str, method: str = "GET", body: bytes | None = None) -> tuple:
    """(status, JSON body) of one request, whatever its status."""
    request = urllib.request.Request(f"{endpoint}{path}", data=body, method=method, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # nosec - loopback only
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def sts_client(endpoint: str):
    return boto3.session.Session().client("sts", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="testing",
                                          aws_secret_access_key="testing", config=NO_RETRIES)


def timed(call) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def test_the_latency_is_read_back_and_a_reset_returns_it_to_the_server_setting(control):
    assert control.latency() == {"milliseconds": 0.0, "server_setting": 0.0}
    assert control.set_latency(30) == {"milliseconds": 30.0, "server_setting": 0.0}
    assert control.latency() == {"milliseconds": 30.0, "server_setting": 0.0}
    assert control.set_latency(2.5)["milliseconds"] == 2.5
    control.reset()
    assert control.latency() == {"milliseconds": 0.0, "server_setting": 0.0}


def test_an_aws_request_takes_at_least_the_delay_and_is_still_served(http):
    sts = sts_client(http.endpoint)
    sts.get_caller_identity()  # moto builds the service's application on its first request
    http.control.set_latency(250)
    http.control.clear_requests()
    durations = [timed(sts.get_caller_identity) for _call in range(3)]
    assert min(durations) >= 0.25, durations
    assert http.control.requests()["by_action"] == {"sts:GetCallerIdentity": 3}


def test_the_delay_reaches_every_service_and_an_error_response_too(http):
    iam = http.client("iam", retries={"total_max_attempts": 1})
    http.control.set_latency(250)
    assert timed(iam.list_users) >= 0.25

    def get_a_missing_user() -> None:
        with pytest.raises(iam.exceptions.NoSuchEntityException):
            iam.get_user(UserName="nobody")

    assert timed(get_a_missing_user) >= 0.25


def test_control_api_requests_are_not_delayed(control):
    control.set_latency(5000)
    for call in (control.latency, control.requests, control.organization, control.faults, control.clock,
                 lambda: control.seed(accounts=2, profile="none"), lambda: control.set_latency(5000)):
        assert timed(call) < 5.0, call
    assert control.latency()["milliseconds"] == 5000.0


def test_concurrent_requests_with_a_delay_are_not_served_one_after_another(http):
    requests, delay = 16, 0.5
    clients = [sts_client(http.endpoint) for _client in range(requests)]
    for client in clients:
        client.get_caller_identity()  # each client's connection open before the clock starts
    http.control.set_latency(delay * 1000)
    start = threading.Barrier(requests + 1)
    durations: list = []
    errors: list = []

    def one(client) -> None:
        start.wait()
        try:
            durations.append(timed(client.get_caller_identity))
        except Exception as error:  # pylint: disable=broad-exception-caught
            errors.append(error)

    threads = [threading.Thread(target=one, args=(client,)) for client in clients]
    for thread in threads:
        thread.start()
    started = time.perf_counter()
    start.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    assert not errors
    assert len(durations) == requests and min(durations) >= delay
    # One after another they would take requests * delay (8 s); at the same time, about one delay.
    assert elapsed < requests * delay / 2, (elapsed, sorted(durations))


@pytest.mark.parametrize("body, message", [
    (b'{"milliseconds": -1}', "milliseconds must be from 0 to 10,000 milliseconds, not -1"),
    (b'{"milliseconds": 10001}', "milliseconds must be from 0 to 10,000 milliseconds, not 10001"),
    (b'{"milliseconds": 1e400}', "milliseconds must be from 0 to 10,000 milliseconds, not inf"),
    (b'{"milliseconds": NaN}', "milliseconds must be from 0 to 10,000 milliseconds, not nan"),
    (b'{"milliseconds": "30"}', "milliseconds must be a number of milliseconds from 0 to 10,000, not '30'"),
    (b'{"milliseconds": null}', "milliseconds must be a number of milliseconds from 0 to 10,000, not None"),
    (b'{"milliseconds": true}', "milliseconds must be a number of milliseconds from 0 to 10,000, not True"),
    (b'{"milliseconds": 30, "jitter": 5}', "unknown setting(s) jitter; the latency takes only milliseconds"),
    (b"{}", 'give the delay as {"milliseconds": N}'),
    (b"[30]", 'give the delay as a JSON object, {"milliseconds": N}'),
    (b"thirty", "JSONDecodeError: "),
])
def test_bad_values_are_refused_with_400_and_change_nothing(control, body, message):
    control.set_latency(30)
    status, answer = send(control.endpoint, LATENCY, "POST", body)
    assert status == 400
    assert message in answer["error"]
    assert control.latency()["milliseconds"] == 30.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(*arguments: str) -> subprocess.Popen:
    env = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "MOTO_"))}
    return subprocess.Popen([sys.executable, "-m", "rootguard_emulator", "serve", *arguments], env=env,  # pylint: disable=consider-using-with
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_serve_latency_ms_is_the_server_setting_that_a_reset_returns_to():
    port = free_port()
    process = serve("--port", str(port), "--latency-ms", "120")
    endpoint = f"http://127.0.0.1:{port}"
    try:
        first_line = process.stdout.readline()
        assert first_line == f"rootguard emulator listening on {endpoint}\n", first_line + process.stderr.read()
        assert process.stdout.readline() == "every AWS API response is delayed by 120 ms\n"
        control = EmulatorClient(endpoint)
        assert control.latency() == {"milliseconds": 120.0, "server_setting": 120.0}
        sts = sts_client(endpoint)
        sts.get_caller_identity()
        assert min(timed(sts.get_caller_identity) for _call in range(2)) >= 0.12
        control.set_latency(0)
        control.reset()
        assert control.latency() == {"milliseconds": 120.0, "server_setting": 120.0}
    finally:
        process.terminate()
        process.communicate(timeout=30)


@pytest.mark.parametrize("value, message", [
    ("-5", "--latency-ms must be from 0 to 10,000 milliseconds, not -5.0"),
    ("20000", "--latency-ms must be from 0 to 10,000 milliseconds, not 20000.0"),
    ("nan", "--latency-ms must be from 0 to 10,000 milliseconds, not nan"),
    ("30ms", "--latency-ms must be a number of milliseconds, not '30ms'"),
])
def test_serve_refuses_a_bad_latency_before_it_listens(value, message):
    process = serve("--port", str(free_port()), "--latency-ms", value)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 2
    assert message in stderr and not stdout
