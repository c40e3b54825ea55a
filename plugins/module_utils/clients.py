# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The one place that builds AWS clients and calls them.

A ClientFactory holds one boto3 session for a module run.  Every client comes from it:
the caller's clients and those made from AssumeRoot credentials, so the service models
are loaded once and a client costs milliseconds.  Each client retries with botocore's
standard mode (Throttling, TooManyRequestsException, 5xx and connection errors, with
jittered exponential backoff) plus ConcurrentModificationException, which botocore does
not retry by itself."""

from __future__ import annotations

import os
import random
import threading
from urllib.parse import urlparse

try:
    import boto3
    import botocore.config
    import botocore.exceptions
    import botocore.utils
except ImportError:  # pragma: no cover - AnsibleAWSModule reports the missing SDK
    pass

from .errors import EndpointError, InvalidInput, from_aws, response_code

# The first botocore that knows Organizations' State of an Account (1.40.27) and of a
# DelegatedAdministrator (1.40.61); AssumeRoot, the IAM organization-feature calls and
# the root-session forms of the login profile and MFA calls came in 1.35.61.  An older
# one drops State from what it parses, so once Organizations stops sending the retired
# Status those accounts have no state.
MINIMUM_BOTOCORE = "1.40.61"

# Attempts per call, the first included.  AssumeRoot is tightly rate limited; ten
# attempts with backoff capped at 20 s ride out minutes of throttling.
MAX_ATTEMPTS = 10
MAX_BACKOFF_SECONDS = 20.0
RETRIED_CONFLICT_CODES = ("ConcurrentModification",)

# Organizations and IAM are global services signed in us-east-1; STS must be reached
# on a Regional endpoint for AssumeRoot.  Used when no region is configured at all.
DEFAULT_REGION = "us-east-1"
GLOBAL_STS_HOSTS = ("sts.amazonaws.com", "sts.amazonaws.com.cn")

USER_AGENT = "rootguard.aws"

# Connections kept per client shared by a bulk module's threads (the caller's clients, such
# as the STS client every root session is assumed with): as many as the most threads a bulk
# module runs (validation.MAX_CONCURRENCY), where botocore keeps 10.  A root session's client is
# used by one thread at a time and keeps botocore's default.
SHARED_POOL_CONNECTIONS = 100


def retry_conflicts(attempts: int, response=None, **kwargs):  # pylint: disable=unused-argument
    """A ``needs-retry`` handler: the delay before retrying a ConcurrentModificationException, or None.

    botocore emits ``needs-retry`` to every handler and retries on the first delay
    returned, so this only adds to its standard mode and changes nothing else."""
    if response is None or attempts >= MAX_ATTEMPTS:
        return None
    if response_code(response[1]) not in RETRIED_CONFLICT_CODES:
        return None
    return random.random() * min(0.5 * 2 ** (attempts - 1), MAX_BACKOFF_SECONDS)  # nosec B311 - jitter, not crypto


def with_security_token(credentials: dict, environ=None) -> dict:
    """``credentials`` with the session token of ``AWS_SECURITY_TOKEN`` added when they have none.

    Older automation controllers inject temporary credentials as AWS_ACCESS_KEY_ID,
    AWS_SECRET_ACCESS_KEY and AWS_SECURITY_TOKEN; amazon.aws reads the token from
    AWS_SESSION_TOKEN only, so the keys would reach AWS without it. The token is taken
    only for the access key of the same environment."""
    environ = os.environ if environ is None else environ
    token = environ.get("AWS_SECURITY_TOKEN")
    access_key = credentials.get("aws_access_key_id")
    if not token or credentials.get("aws_session_token") or not access_key or access_key != environ.get("AWS_ACCESS_KEY_ID"):
        return credentials
    return {**credentials, "aws_session_token": token}


def check_connection(region: str | None, endpoint_url: str | None) -> None:
    """Refuse a region or endpoint_url botocore would choke on when the first client is made."""
    if region:
        try:
            botocore.utils.validate_region_name(region)
        except botocore.exceptions.InvalidRegionError:
            raise InvalidInput(f"region: {region!r} is not a region name such as us-east-1.") from None
    if endpoint_url:
        parsed = urlparse(endpoint_url)
        if parsed.scheme not in ("http", "https") or not parsed.hostname:
            raise InvalidInput(f"endpoint_url: {endpoint_url!r} is not an http:// or https:// URL.")


class ClientFactory:
    """Clients for one module run, all from one boto3 session.

    ``connection`` holds what amazon.aws's get_aws_connection_info() returns:
    ``aws_access_key_id``, ``aws_secret_access_key``, ``aws_session_token``,
    ``profile_name``, ``verify`` and ``aws_config`` (a botocore Config or None).

    ``make_client``, when given, makes the caller's clients instead of the factory's session:
    ``make_client(service, region=..., config=..., **credentials)``, where ``credentials`` are
    the connection's keys (with AWS_SECURITY_TOKEN's token, see with_security_token).  The
    inventory plugin makes them with amazon.aws's, which applies its assume_role_arn.  Such a
    factory only reads: its STS client is not held to a Regional endpoint (AssumeRoot's need)."""

    def __init__(self, region: str | None, endpoint_url: str | None, connection: dict, make_client=None):
        connection = dict(connection)
        self.region = region or DEFAULT_REGION
        self.endpoint_url = endpoint_url or None
        self._profile = connection.pop("profile_name", None)
        self._verify = connection.pop("verify", None)
        user_config = connection.pop("aws_config", None)
        self._credentials = with_security_token({key: value for key, value in connection.items() if value})
        config = botocore.config.Config(
            user_agent_extra=USER_AGENT,
            retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS},
        )
        self._config = config.merge(user_config) if user_config is not None else config
        shared = config.merge(botocore.config.Config(max_pool_connections=SHARED_POOL_CONNECTIONS))
        self._shared_config = shared.merge(user_config) if user_config is not None else shared
        self._lock = threading.Lock()
        self._session = None
        self._sts = None
        self._make_client = make_client

    @classmethod
    def from_module(cls, module) -> "ClientFactory":
        """The factory for an AnsibleAWSModule's connection options."""
        from ansible_collections.amazon.aws.plugins.module_utils.botocore import get_aws_connection_info

        try:
            region, endpoint_url, connection = get_aws_connection_info(module)
        except TypeError as error:  # botocore.config.Config(**aws_config) with a key it does not know
            raise InvalidInput(f"aws_config: {error}; see botocore.config.Config for the keys it takes.") from None
        check_connection(region, endpoint_url)
        return cls(region, endpoint_url, connection)

    @property
    def session(self):
        with self._lock:
            if self._session is None:
                self._session = boto3.session.Session(profile_name=self._profile)
                # AssumeRoot is not served by the global STS endpoint, whatever
                # AWS_STS_REGIONAL_ENDPOINTS or a shared config file says.
                self._session._session.set_config_variable("sts_regional_endpoints", "regional")  # pylint: disable=protected-access
            return self._session

    def client(self, service: str, credentials: dict | None = None, region: str | None = None):
        """A client for ``service``; ``credentials`` (``aws_access_key_id``, ``aws_secret_access_key``,
        ``aws_session_token``) replace the caller's, as for a root session."""
        if credentials is None and self._make_client is not None:
            client = self._make_client(service, region=region or self.region, config=self._shared_config, **self._credentials)
        else:
            client = self._session_client(service, credentials, region)
        client.meta.events.register(f"needs-retry.{client.meta.service_model.service_id.hyphenize()}", retry_conflicts)
        return client

    def _session_client(self, service: str, credentials: dict | None, region: str | None):
        session = self.session
        with self._lock:  # boto3 sessions are not safe for concurrent client creation
            return session.client(
                service,
                region_name=region or self.region,
                endpoint_url=self.endpoint_url,
                verify=self._verify,
                config=self._config if credentials is not None else self._shared_config,
                **(credentials if credentials is not None else self._credentials),
            )

    def sts_client(self, credentials: dict | None = None):
        """An STS client on a Regional endpoint, or EndpointError before any call.

        The caller's STS client is made once and shared (botocore clients are thread-safe):
        a bulk module assumes every account's root session with it."""
        if credentials is None and self._sts is not None:
            return self._sts
        client = self.client("sts", credentials)
        host = urlparse(client.meta.endpoint_url).hostname or ""
        if host in GLOBAL_STS_HOSTS and self._make_client is None:
            raise EndpointError(
                f"The STS endpoint {client.meta.endpoint_url} is the global one, which does not serve AssumeRoot. "
                "Set region to a Regional name such as us-east-1 (not aws-global), and do not point endpoint_url "
                "at sts.amazonaws.com."
            )
        if credentials is None:
            self._sts = client
        return client


def call(client, operation: str, **params):
    """One API call; AWS errors leave as RootGuardError."""
    try:
        return getattr(client, operation)(**params)
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        raise from_aws(error) from None


def paginate(client, operation: str, result_key: str, **params) -> list:
    """Every item of a paginated list call (pages may be empty while NextToken is set)."""
    try:
        items = []
        for page in client.get_paginator(operation).paginate(**params):
            items.extend(page.get(result_key, []))
        return items
    except (botocore.exceptions.BotoCoreError, botocore.exceptions.ClientError) as error:
        raise from_aws(error) from None


def iso_time(value):
    """A datetime as ISO 8601 text; anything else as it is."""
    return value.isoformat() if hasattr(value, "isoformat") else value
