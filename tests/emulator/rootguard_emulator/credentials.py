"""Credentials as unguessable as AWS's, drawn from the operating system's random source.

moto draws secret keys and the random part of key ids from its seedable generator (``POST
/moto-api/seed`` makes them predictable), starts every session token with the same 17
characters, and answers GetSessionToken and GetFederationToken with AWS's documentation
example keys. Here every secret access key is 40 random characters and every session token
is random from its first character, so a search for a secret's first 16 characters (the
test evidence's ``leaks()``) finds that secret only. Real AWS session tokens do share a
prefix (a serialized header; an observation, not a documented format): the emulator departs
from AWS there, on purpose. An access key id keeps AWS's layout - AKIA or ASIA, the account
in characters 5 to 12 (what the emulator routes a request by), then random characters.
GetSessionToken and GetFederationToken issue such temporary credentials, in the caller's
account, that work for later calls."""

from __future__ import annotations

import base64
import secrets
import string
from typing import Any

import moto.iam.models as iam_models
import moto.sts.models as sts_models
from moto.core.responses import ActionResult
from moto.iam.models import iam_backends
from moto.iam.utils import ACCOUNT_OFFSET, AWS_ROLE_ALPHABET
from moto.sts.exceptions import STSValidationError
from moto.sts.responses import MAX_FEDERATION_TOKEN_POLICY_LENGTH, TokenResponse

SECRET_KEY_ALPHABET = string.ascii_letters + string.digits + "+/"
SECRET_KEY_LENGTH = 40
SESSION_TOKEN_BYTES = 266  # 356 base64 characters, moto's length


def secret_access_key(length: int = SECRET_KEY_LENGTH) -> str:
    return "".join(secrets.choice(SECRET_KEY_ALPHABET) for _position in range(length))


def session_token() -> str:
    return base64.b64encode(secrets.token_bytes(SESSION_TOKEN_BYTES)).decode("ascii")


def access_key_id(account_id: str, prefix: str, total_length: int = 20) -> str:
    """``prefix``, the account in 8 base32 characters and its parity in the next one (as AWS
    and moto lay them out), then random characters up to ``total_length``."""
    number = int(account_id)
    account_part = base64.b32encode((number // 2 + ACCOUNT_OFFSET).to_bytes(5, byteorder="big")).decode("ascii")
    parity = secrets.choice(AWS_ROLE_ALPHABET[16:] if number % 2 else AWS_ROLE_ALPHABET[:16])
    fixed = prefix + account_part + parity
    return fixed + "".join(secrets.choice(AWS_ROLE_ALPHABET) for _position in range(total_length - len(fixed)))


def _temporary_credentials(response: TokenResponse, token: sts_models.Token) -> dict[str, Any]:
    """Issue a temporary key in the caller's account and keep it on ``token`` (moto's record of the grant)."""
    key = iam_backends[response.current_account][response.partition].create_temp_access_key()
    token.access_key_id = key.access_key_id
    token.secret_access_key = key.secret_access_key
    token.session_token = session_token()
    return {"AccessKeyId": token.access_key_id, "SecretAccessKey": token.secret_access_key, "SessionToken": token.session_token,
            "Expiration": token.expiration}


def get_session_token(self: TokenResponse) -> ActionResult:
    token = self.backend.get_session_token(duration=self._get_int_param("DurationSeconds", 43200))
    return ActionResult({"Credentials": _temporary_credentials(self, token)})


def get_federation_token(self: TokenResponse) -> ActionResult:
    """moto's GetFederationToken (its policy check and FederatedUser), with credentials issued for this call."""
    policy = self._get_param("Policy")
    if policy is not None and len(policy) > MAX_FEDERATION_TOKEN_POLICY_LENGTH:
        raise STSValidationError(
            "1 validation error detected: Value '{\"Version\": \"2012-10-17\", \"Statement\": [...]}' at 'policy' failed to satisfy "
            f"constraint: Member must have length less than or equal to {MAX_FEDERATION_TOKEN_POLICY_LENGTH}"
        )
    token = self.backend.get_federation_token(duration=self._get_int_param("DurationSeconds", 43200), name=self._get_param("Name"))
    return ActionResult({
        "Credentials": _temporary_credentials(self, token),
        "FederatedUser": {"FederatedUserId": f"{self.current_account}:{token.name}",
                          "Arn": f"arn:{self.partition}:sts::{self.current_account}:federated-user/{token.name}"},
        "PackedPolicySize": 6,
    })


def install() -> None:
    iam_models.generate_access_key_id_from_account_id = access_key_id
    iam_models.random_alphanumeric = secret_access_key  # moto's IAM models use it for secret access keys only
    sts_models.random_session_token = session_token
    TokenResponse.get_session_token = get_session_token
    TokenResponse.get_federation_token = get_federation_token
