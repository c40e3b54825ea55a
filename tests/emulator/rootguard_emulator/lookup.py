"""A fast access-key -> account lookup.

moto scans every account x partition per request (and creates backends while
doing so), which is O(accounts) and dominates at thousands of accounts. moto's
key ids encode their account the way AWS's do, so decode it and look there
first; fall back to a scan that creates nothing; remember unknown keys."""

from __future__ import annotations

import base64
import binascii

import moto.iam.models as iam_models
from moto.core import DEFAULT_ACCOUNT_ID
from moto.iam.utils import ACCOUNT_OFFSET, AWS_ROLE_ALPHABET

_unknown_keys: set[str] = set()
_original_access_key_init = iam_models.AccessKey.__init__


def decode_account(access_key_id: str) -> str | None:
    """The account id moto (and AWS) encode in characters 5-12 of a key id."""
    if len(access_key_id) < 13:
        return None
    try:
        account_bytes = base64.b32decode(access_key_id[4:12])
    except (binascii.Error, ValueError):
        return None
    value = int.from_bytes(account_bytes, byteorder="big") - ACCOUNT_OFFSET
    if value < 0:
        return None
    odd = AWS_ROLE_ALPHABET.find(access_key_id[12]) >= 16
    return f"{value * 2 + int(odd):012d}"


def _holds_key(account_id: str, access_key_id: str) -> bool:
    account = dict.get(iam_models.iam_backends, account_id)
    if account is None:
        return False
    return any(access_key_id in backend.access_keys for backend in dict.values(account))


def get_account_id_from(access_key_id: str) -> str:
    if access_key_id in _unknown_keys:
        return DEFAULT_ACCOUNT_ID
    decoded = decode_account(access_key_id)
    if decoded is not None and _holds_key(decoded, access_key_id):
        return decoded
    for account_id in list(dict.keys(iam_models.iam_backends)):
        if _holds_key(account_id, access_key_id):
            return account_id
    _unknown_keys.add(access_key_id)
    return DEFAULT_ACCOUNT_ID


def _access_key_init(self, *args, **kwargs) -> None:
    _original_access_key_init(self, *args, **kwargs)
    _unknown_keys.discard(self.access_key_id)


def clear_cache() -> None:
    _unknown_keys.clear()


def install() -> None:
    iam_models.get_account_id_from = get_account_id_from
    iam_models.AccessKey.__init__ = _access_key_init
