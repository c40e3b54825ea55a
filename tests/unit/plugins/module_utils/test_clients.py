# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""clients: endpoints, configuration, credentials and retries of the ClientFactory,
the retries shown against the in-process emulator with injected faults."""

from __future__ import annotations

import botocore.config
import botocore.endpoint
import botocore.exceptions
import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import clients, errors
from rootguard_emulator import faults
from rootguard_emulator.seed import seed

CONNECTION = {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "x"}
GLOBAL_ENDPOINT_MESSAGE = (
    "The STS endpoint {} is the global one, which does not serve AssumeRoot. Set region to a Regional name such as us-east-1 "
    "(not aws-global), and do not point endpoint_url at sts.amazonaws.com."
)


class Sent(Exception):
    """Raised by a before-send handler so that a test can look at a signed request without any network."""

    def __init__(self, request):
        super().__init__("request captured")
        self.request = request


def capture(request, **kwargs):  # pylint: disable=unused-argument
    raise Sent(request)


def signed_request(client, call):
    client.meta.events.register("before-send", capture)
    with pytest.raises(Sent) as excinfo:
        call(client)
    return excinfo.value.request


@pytest.fixture
def no_network(monkeypatch):
    """Fails the test if any request would go on the wire."""
    def refuse(self, request):  # pylint: disable=unused-argument
        raise AssertionError(f"unexpected request to {request.url}")
    monkeypatch.setattr(botocore.endpoint.Endpoint, "_send", refuse)


# Endpoints and defaults ------------------------------------------------------------------

@pytest.mark.parametrize("region, endpoint_url, shown", [
    ("us-east-1", "https://sts.amazonaws.com", "https://sts.amazonaws.com"),
    ("eu-west-1", "https://sts.amazonaws.com/", "https://sts.amazonaws.com/"),
    ("cn-north-1", "https://sts.amazonaws.com.cn", "https://sts.amazonaws.com.cn"),
    ("us-east-1", "https://STS.amazonaws.com:443", "https://STS.amazonaws.com:443"),
    ("aws-global", None, "https://sts.amazonaws.com"),
])
def test_sts_client_refuses_the_global_endpoint(no_network, region, endpoint_url, shown):  # pylint: disable=unused-argument
    factory = clients.ClientFactory(region=region, endpoint_url=endpoint_url, connection=CONNECTION)
    with pytest.raises(errors.EndpointError) as excinfo:
        factory.sts_client()
    assert excinfo.value.message == GLOBAL_ENDPOINT_MESSAGE.format(shown)
    assert excinfo.value.error_class == "endpoint_error"


@pytest.mark.parametrize("region, expected_region", [("us-east-1", "us-east-1"), ("eu-west-1", "eu-west-1"), (None, "us-east-1"), ("", "us-east-1")])
def test_sts_client_is_regional(no_network, region, expected_region):  # pylint: disable=unused-argument
    factory = clients.ClientFactory(region=region, endpoint_url=None, connection=CONNECTION)
    sts = factory.sts_client()
    assert factory.region == expected_region
    assert sts.meta.region_name == expected_region
    assert sts.meta.endpoint_url == f"https://sts.{expected_region}.amazonaws.com"


def test_sts_client_stays_regional_whatever_the_environment_and_config_say(monkeypatch, tmp_path):
    config = tmp_path / "config"
    config.write_text("[default]\nsts_regional_endpoints = legacy\n", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    monkeypatch.setenv("AWS_STS_REGIONAL_ENDPOINTS", "legacy")
    sts = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=CONNECTION).sts_client()
    assert sts.meta.endpoint_url == "https://sts.us-east-1.amazonaws.com"


def test_a_custom_endpoint_is_used_for_every_client():
    factory = clients.ClientFactory(region="us-east-1", endpoint_url="http://127.0.0.1:4566", connection=CONNECTION)
    assert factory.sts_client().meta.endpoint_url == "http://127.0.0.1:4566"
    assert factory.client("organizations").meta.endpoint_url == "http://127.0.0.1:4566"


def test_empty_endpoint_url_means_none():
    assert clients.ClientFactory(region=None, endpoint_url="", connection=CONNECTION).endpoint_url is None


@pytest.mark.parametrize("service, operation, host", [
    ("organizations", "describe_organization", "organizations.us-east-1.amazonaws.com"),
    ("iam", "list_organizations_features", "iam.amazonaws.com"),
])
def test_global_services_are_signed_in_the_default_region(service, operation, host):
    client = clients.ClientFactory(region=None, endpoint_url=None, connection=CONNECTION).client(service)
    request = signed_request(client, lambda client: getattr(client, operation)())
    assert f"/us-east-1/{service}/aws4_request" in request.headers["Authorization"].decode()
    assert request.url == f"https://{host}/"


def test_a_client_in_another_region():
    client = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=CONNECTION).client("sqs", region="eu-central-1")
    assert client.meta.region_name == "eu-central-1"


# Configuration and credentials ----------------------------------------------------------

def test_clients_retry_in_standard_mode_and_say_who_they_are():
    config = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=CONNECTION).client("iam").meta.config
    assert config.retries == {"mode": "standard", "total_max_attempts": 10}
    assert config.user_agent_extra == "rootguard.aws"


def test_the_callers_config_is_merged():
    connection = dict(CONNECTION, aws_config=botocore.config.Config(connect_timeout=7, read_timeout=9))
    config = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=connection).client("iam").meta.config
    assert (config.connect_timeout, config.read_timeout) == (7, 9)
    assert config.retries == {"mode": "standard", "total_max_attempts": 10}


def test_the_connection_dict_is_not_changed():
    connection = dict(CONNECTION, profile_name=None, verify=True, aws_config=None, aws_session_token=None)
    before = dict(connection)
    clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=connection)
    assert connection == before


def test_requests_are_signed_with_the_callers_credentials_and_user_agent():
    connection = dict(CONNECTION, aws_session_token=None, profile_name=None, verify=None, aws_config=None)
    client = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=connection).client("iam")
    request = signed_request(client, lambda iam: iam.list_users())
    assert "Credential=AKIAEXAMPLE/" in request.headers["Authorization"].decode()
    assert "X-Amz-Security-Token" not in request.headers
    assert "rootguard.aws" in request.headers["User-Agent"].decode()


def test_credentials_given_to_a_client_replace_the_callers():
    factory = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=CONNECTION)
    session = {"aws_access_key_id": "ASIAROOTSESSION", "aws_secret_access_key": "secret", "aws_session_token": "root-token"}
    request = signed_request(factory.client("iam", credentials=session), lambda iam: iam.get_account_summary())
    assert "Credential=ASIAROOTSESSION/" in request.headers["Authorization"].decode()
    assert request.headers["X-Amz-Security-Token"].decode() == "root-token"


@pytest.mark.parametrize("environment, token", [
    ({"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE", "AWS_SECURITY_TOKEN": "controller-token"}, "controller-token"),
    ({"AWS_ACCESS_KEY_ID": "AKIAOTHERKEY", "AWS_SECURITY_TOKEN": "controller-token"}, None),  # not the same key
    ({"AWS_ACCESS_KEY_ID": "AKIAEXAMPLE"}, None),
])
def test_a_controllers_aws_security_token_is_used_for_the_keys_of_the_same_environment(monkeypatch, environment, token):
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECURITY_TOKEN", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    connection = dict(CONNECTION, aws_session_token=None, profile_name=None, verify=None, aws_config=None)
    request = signed_request(clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=connection).client("iam"),
                             lambda iam: iam.list_users())
    sent = request.headers.get("X-Amz-Security-Token")
    assert (sent.decode() if sent else None) == token


def test_a_session_token_given_wins_over_aws_security_token(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "controller-token")
    connection = dict(CONNECTION, aws_session_token="given-token", profile_name=None, verify=None, aws_config=None)
    request = signed_request(clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=connection).client("iam"),
                             lambda iam: iam.list_users())
    assert request.headers["X-Amz-Security-Token"].decode() == "given-token"


def test_a_profile_is_used(monkeypatch, tmp_path):
    config = tmp_path / "config"
    config.write_text("[profile audit]\naws_access_key_id = AKIAPROFILEKEY\naws_secret_access_key = y\n", encoding="utf-8")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(config))
    factory = clients.ClientFactory(region="us-east-1", endpoint_url=None,
                                    connection={"aws_access_key_id": None, "aws_secret_access_key": None, "profile_name": "audit"})
    assert factory.session.profile_name == "audit"
    request = signed_request(factory.client("iam"), lambda iam: iam.list_users())
    assert "Credential=AKIAPROFILEKEY/" in request.headers["Authorization"].decode()


def test_an_unknown_profile():
    factory = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection={"profile_name": "nope"})
    with pytest.raises(botocore.exceptions.ProfileNotFound):
        factory.client("iam")


def test_one_session_per_factory():
    factory = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=CONNECTION)
    assert factory.session is factory.session


# retry_conflicts ---------------------------------------------------------------------------

def parsed(code: str | None) -> tuple:
    return (None, {"Error": {"Code": code}} if code else {"ResponseMetadata": {"HTTPStatusCode": 200}})


@pytest.mark.parametrize("attempts, delay", [(1, 0.5), (2, 1.0), (3, 2.0), (6, 16.0), (7, 20.0), (9, 20.0)])
@pytest.mark.parametrize("code", ["ConcurrentModificationException", "ConcurrentModification"])
def test_retry_conflicts_backs_off_with_a_cap(monkeypatch, attempts, delay, code):
    monkeypatch.setattr(clients.random, "random", lambda: 1.0)
    assert clients.retry_conflicts(attempts, response=parsed(code)) == delay


def test_retry_conflicts_is_jittered(monkeypatch):
    monkeypatch.setattr(clients.random, "random", lambda: 0.25)
    assert clients.retry_conflicts(3, response=parsed("ConcurrentModificationException")) == 0.5


@pytest.mark.parametrize("attempts", [10, 11])
def test_retry_conflicts_stops_at_the_attempt_limit(attempts):
    assert clients.retry_conflicts(attempts, response=parsed("ConcurrentModificationException")) is None


def test_retry_conflicts_follows_max_attempts(monkeypatch):
    monkeypatch.setattr(clients, "MAX_ATTEMPTS", 3)
    assert clients.retry_conflicts(2, response=parsed("ConcurrentModificationException")) is not None
    assert clients.retry_conflicts(3, response=parsed("ConcurrentModificationException")) is None


@pytest.mark.parametrize("response", [None, parsed(None), parsed("ThrottlingException"), parsed("TooManyRequestsException"),
                                      parsed("AccessDeniedException"), parsed("ConcurrentModificationExceptionX")])
def test_retry_conflicts_leaves_everything_else_to_botocore(response):
    assert clients.retry_conflicts(1, response=response, caught_exception=None) is None


# Retries against the in-process emulator -------------------------------------------------

FAULTS = {
    "TooManyRequestsException": {"kind": "throttle", "service": "organizations"},
    "ThrottlingException": {"kind": "custom", "service": "organizations", "code": "ThrottlingException", "status": 400,
                            "message": "Rate exceeded"},
    "ConcurrentModificationException": {"kind": "custom", "service": "organizations", "code": "ConcurrentModificationException",
                                        "status": 400, "message": "AWS Organizations can't complete your request because it "
                                        "conflicts with another attempt to modify the same entity."},
}


@pytest.mark.parametrize("code, times", [("TooManyRequestsException", 3), ("ThrottlingException", 3), ("ConcurrentModificationException", 2)])
def test_a_factory_client_rides_out_faults(emulator, code, times):
    truth = seed(accounts=1, profile="none")
    rule = faults.add(action="DescribeOrganization", times=times, **FAULTS[code])
    orgs = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=CONNECTION).client("organizations")
    response = clients.call(orgs, "describe_organization")
    assert response["Organization"]["Id"] == truth["organization_id"]
    assert response["ResponseMetadata"]["RetryAttempts"] == times
    assert (rule.matched, rule.injected) == (times + 1, times)
    assert len(emulator) == times


def test_conflict_backoff_delays(emulator, monkeypatch):
    monkeypatch.setattr(clients.random, "random", lambda: 1.0)
    seed(accounts=1, profile="none")
    faults.add(action="DescribeOrganization", times=3, **FAULTS["ConcurrentModificationException"])
    orgs = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=CONNECTION).client("organizations")
    clients.call(orgs, "describe_organization")
    assert emulator == [0.5, 1.0, 2.0]


@pytest.mark.parametrize("code, error_class", [
    ("TooManyRequestsException", errors.Throttled),
    ("ThrottlingException", errors.Throttled),
    ("ConcurrentModificationException", errors.Conflict),
])
def test_faults_beyond_max_attempts_fail_with_their_class(emulator, monkeypatch, code, error_class):
    monkeypatch.setattr(clients, "MAX_ATTEMPTS", 3)
    seed(accounts=1, profile="none")
    rule = faults.add(action="DescribeOrganization", **FAULTS[code])
    orgs = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=CONNECTION).client("organizations")
    with pytest.raises(error_class) as excinfo:
        clients.call(orgs, "describe_organization")
    assert (excinfo.value.aws_error_code, excinfo.value.operation) == (code, "DescribeOrganization")
    assert rule.matched == 3
    assert len(emulator) == 2


def test_a_non_retryable_error_is_not_retried(emulator):
    seed(accounts=1, profile="none")
    rule = faults.add(kind="custom", service="organizations", action="DescribeOrganization", code="AccessDeniedException", status=400,
                      message="You don't have permissions to access this resource.")
    orgs = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=CONNECTION).client("organizations")
    with pytest.raises(errors.AccessDenied):
        clients.call(orgs, "describe_organization")
    assert (rule.matched, emulator) == (1, [])


@pytest.mark.parametrize("region, endpoint_url, message", [
    ("not a region!", None, "region: 'not a region!' is not a region name such as us-east-1."),
    ("['us-east-1']", None, "region: \"['us-east-1']\" is not a region name such as us-east-1."),
    ("us-east-1", "not-a-url", "endpoint_url: 'not-a-url' is not an http:// or https:// URL."),
    ("us-east-1", "ftp://127.0.0.1:4566", "endpoint_url: 'ftp://127.0.0.1:4566' is not an http:// or https:// URL."),
])
def test_a_malformed_region_or_endpoint_url_is_refused_before_any_client(region, endpoint_url, message):
    with pytest.raises(errors.InvalidInput) as raised:
        clients.check_connection(region, endpoint_url)
    assert raised.value.message == message


@pytest.mark.parametrize("region, endpoint_url", [(None, None), ("eu-west-1", "http://127.0.0.1:4566"), ("us-east-1", "https://sts.us-east-1.amazonaws.com")])
def test_ordinary_regions_and_endpoints_pass(region, endpoint_url):
    clients.check_connection(region, endpoint_url)


def test_make_client_makes_the_callers_clients_with_the_connections_keys_and_the_factorys_configuration(monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
    monkeypatch.setenv("AWS_SECURITY_TOKEN", "controller-token")
    made = []
    plain = clients.ClientFactory(region="us-east-1", endpoint_url=None, connection=CONNECTION)

    def make_client(service, region, config, **credentials):
        made.append((service, region, config.user_agent_extra, config.retries, credentials))
        return plain.session.client(service, region_name=region, config=config, endpoint_url="https://sts.amazonaws.com", **credentials)

    factory = clients.ClientFactory(region="eu-west-1", endpoint_url=None, connection=dict(CONNECTION, aws_session_token=None),
                                    make_client=make_client)
    # Such a factory only reads: the global STS endpoint is not refused as it is for AssumeRoot.
    sts = factory.sts_client()
    assert sts.meta.endpoint_url == "https://sts.amazonaws.com"
    assert made == [("sts", "eu-west-1", "rootguard.aws", {"mode": "standard", "total_max_attempts": clients.MAX_ATTEMPTS},
                     {"aws_access_key_id": "AKIAEXAMPLE", "aws_secret_access_key": "x", "aws_session_token": "controller-token"})]
    # Root sessions' clients still come from the factory's own session.
    session = {"aws_access_key_id": "ASIAROOTSESSION", "aws_secret_access_key": "secret", "aws_session_token": "root-token"}
    assert factory.client("sqs", credentials=session).meta.region_name == "eu-west-1"
    assert len(made) == 1
