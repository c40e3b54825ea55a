"""Scale: seeding a thousand accounts, and resolving access keys to accounts quickly
and correctly once there are that many (emulator-notes.md section 6)."""

from __future__ import annotations

import time

import pytest
from moto.iam.models import iam_backends
from moto.iam.utils import generate_access_key_id_from_account_id

from rootguard_emulator import lookup
from rootguard_emulator.control import account_state
from rootguard_emulator.rootuser import root_user
from rootguard_emulator.seed import seed

BOTH = ["RootCredentialsManagement", "RootSessions"]
MANAGEMENT = "123456789012"
ACCOUNTS = 1000
UNKNOWN = {"aws_access_key_id": "AKIAIOSFODNN7EXAMPLE", "aws_secret_access_key": "unknown"}


@pytest.fixture(name="large")
def large_fixture(inprocess):
    started = time.monotonic()
    truth = seed(accounts=ACCOUNTS, profile="mixed", features=BOTH)
    elapsed = time.monotonic() - started
    return inprocess, truth, elapsed


def test_seeding_a_thousand_accounts(large):
    aws, truth, elapsed = large
    assert elapsed < 120, f"seeding {ACCOUNTS} accounts took {elapsed:.1f}s"
    assert len(truth["accounts"]) == ACCOUNTS
    assert len({account["id"] for account in truth["accounts"]}) == ACCOUNTS
    listed = [
        account["Id"]
        for page in aws.client("organizations").get_paginator("list_accounts").paginate()
        for account in page["Accounts"]
    ]
    assert len(listed) == len(set(listed)) == ACCOUNTS + 1
    last = truth["accounts"][-1]
    assert account_state(last["id"]) == {
        "id": last["id"], "member": True, "state": last["state"], "parent_id": last["parent_id"],
        "name": last["name"], "email": last["email"], "tags": {"seed-index": str(ACCOUNTS - 1)},
    }


def test_keys_resolve_to_the_right_account(large):
    aws, truth = large[:2]
    active = [account["id"] for account in truth["accounts"] if account["state"] == "ACTIVE"]
    targets = [active[0], active[len(active) // 2], active[-1]]

    assert lookup.get_account_id_from(UNKNOWN["aws_access_key_id"]) == MANAGEMENT
    assert aws.client("sts", UNKNOWN).get_caller_identity()["Account"] == MANAGEMENT
    for target in targets:
        credentials = aws.assume_root(target, "IAMAuditRootUserCredentials")
        assert lookup.get_account_id_from(credentials["aws_access_key_id"]) == target
        who = aws.client("sts", credentials).get_caller_identity()
        assert (who["Account"], who["Arn"]) == (target, f"arn:aws:iam::{target}:root")
    # the unknown key still resolves to the management account after new keys were made
    assert aws.client("sts", UNKNOWN).get_caller_identity()["Account"] == MANAGEMENT

    full = [account for account in truth["accounts"] if account["credentials"] == "full" and account["state"] == "ACTIVE"]
    for account in (full[0], full[-1]):
        key = next(iter(root_user(account["id"]).access_keys.values()))
        assert lookup.get_account_id_from(key.access_key_id) == account["id"]
        who = aws.client("sts", {"aws_access_key_id": key.access_key_id, "aws_secret_access_key": key.secret_access_key})
        assert who.get_caller_identity()["Arn"] == f"arn:aws:iam::{account['id']}:root"


def test_unknown_keys_do_not_create_backends(large):
    truth = large[1]
    before = len(iam_backends)
    for number in range(20):
        assert lookup.get_account_id_from(f"AKIAZZZZZZZZZZZZZ{number:03d}") == MANAGEMENT
    assert len(iam_backends) == before
    assert len(iam_backends) <= len(truth["accounts"]) + 2


@pytest.mark.parametrize("account_id", ["000000000000", "000000000001", MANAGEMENT, "210000000000", "210000000999",
                                        "111122223333", "999999999998", "999999999999"])
@pytest.mark.parametrize("prefix", ["AKIA", "ASIA"])
def test_decode_generated_key_ids(account_id, prefix):
    for _attempt in range(5):
        key_id = generate_access_key_id_from_account_id(account_id, prefix=prefix, total_length=20)
        assert lookup.decode_account(key_id) == account_id, key_id


def test_decode_keys_moto_made_for_seeded_accounts(inprocess):
    truth = seed(accounts=12, profile="full", features=BOTH)
    for account in truth["accounts"][::3]:
        for key in account["root_user"]["access_keys"]:
            assert key["id"].startswith("AKIA")
            assert lookup.decode_account(key["id"]) == account["id"]
        temporary = inprocess.assume_root(account["id"], "IAMAuditRootUserCredentials")["aws_access_key_id"]
        assert temporary.startswith("ASIA")
        assert lookup.decode_account(temporary) == account["id"]


@pytest.mark.parametrize("key_id", ["testing", "AKIAEXAMPLE", "AKIA!!!!!!!!!!!!!!!!", ""])
def test_decode_rejects_what_it_cannot_read(key_id):
    assert lookup.decode_account(key_id) is None
