"""Seeding: an organization of N member accounts in a nested OU tree, with root
credentials by profile, and the truth a test compares results against.

Profiles: ``none`` (no root credential), ``password``, ``full`` (password, two
access keys, a signing certificate, a virtual and a hardware MFA device) and
``mixed`` (the fixed cycle in MIXED_CYCLE: clean, partial and full accounts, a
suspended one, locked buckets and queues, and an ordinary bucket policy)."""

from __future__ import annotations

import datetime
import json
from typing import Any

import moto.organizations.utils as org_utils
from moto.organizations.models import organizations_backends
from moto.s3.models import s3_backends
from moto.sqs.models import sqs_backends

from . import newer_api, orgs
from .rootuser import root_user

PROFILES = ("none", "password", "full", "mixed")
DEFAULT_MANAGEMENT_ACCOUNT = "123456789012"
FIRST_MEMBER_ACCOUNT = 210000000000

# name, parent name (None = root)
OU_TREE = (
    ("Security", None),
    ("Infrastructure", None),
    ("Workloads", None),
    ("Production", "Workloads"),
    ("Payments", "Production"),
    ("NonProduction", "Workloads"),
    ("Sandbox", None),
)

# Each entry is one account's seeded state in the mixed cycle.
MIXED_CYCLE: tuple[dict[str, Any], ...] = (
    {"credentials": "none"},
    {"credentials": "password"},
    {"credentials": "full"},
    {"credentials": "access_keys"},
    {"credentials": "virtual_mfa", "locked_bucket": True},
    {"credentials": "password", "state": "SUSPENDED"},
    {"credentials": "signing_certificate", "ordinary_bucket": True},
    {"credentials": "none", "locked_bucket": True, "locked_queue": True},
    {"credentials": "hardware_mfa", "locked_queue": True},
    {"credentials": "full", "locked_bucket": True},
)

DENY_ALL_BUCKET = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyEveryone",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::{bucket}", "arn:aws:s3:::{bucket}/*"],
        }
    ],
}
ORDINARY_BUCKET = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": ["arn:aws:s3:::{bucket}", "arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }
    ],
}
DENY_ALL_QUEUE = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "DenyEveryone", "Effect": "Deny", "Principal": "*", "Action": "sqs:*", "Resource": "{arn}"}],
}


def _render(template: dict[str, Any], **values: str) -> str:
    text = json.dumps(template)
    for key, value in values.items():
        text = text.replace("{" + key + "}", value)
    return text


def _credentials_for(kind: str) -> dict[str, Any]:
    full = {"password": True, "access_keys": 2, "signing_certificates": 1, "virtual_mfa": 1, "hardware_mfa": 1}
    return {
        "none": {},
        "password": {"password": True},
        "full": full,
        "access_keys": {"access_keys": 1},
        "virtual_mfa": {"virtual_mfa": 1},
        "hardware_mfa": {"password": True, "hardware_mfa": 1},
        "signing_certificate": {"password": True, "signing_certificates": 1},
    }[kind]


def plan_account(index: int, profile: str) -> dict[str, Any]:
    """What account ``index`` (0-based) gets under ``profile``."""
    if profile == "mixed":
        return dict(MIXED_CYCLE[index % len(MIXED_CYCLE)])
    return {"credentials": profile}


def seed_root_credentials(account_id: str, password: bool = False, access_keys: int = 0, signing_certificates: int = 0,
                          virtual_mfa: int = 0, hardware_mfa: int = 0) -> dict[str, Any]:
    user = root_user(account_id)
    if password:
        user.login_profile_created = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=400)
    for number in range(access_keys):
        if number == 0:
            user.add_access_key("Active", last_used={"service": "s3", "region": "us-east-1",
                                                     "date": datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(days=3)})
        else:
            user.add_access_key("Inactive")
    for _count in range(signing_certificates):
        user.add_signing_certificate()
    for _count in range(virtual_mfa):
        user.add_mfa_device(virtual=True)
    for _count in range(hardware_mfa):
        user.add_mfa_device(virtual=False)
    return user.describe()


def seed(accounts: int = 10, profile: str = "mixed", management_account_id: str = DEFAULT_MANAGEMENT_ACCOUNT,
         feature_set: str = "ALL", region: str = "us-east-1", trusted_access: bool = False,
         features: list[str] | tuple[str, ...] = (), delegated_administrator: bool = False) -> dict[str, Any]:
    """Create the organization and its accounts in-process; return the seeded truth."""
    if profile not in PROFILES:
        raise ValueError(f"unknown profile {profile!r}; expected one of {', '.join(PROFILES)}")
    if not 0 <= accounts <= 10000:
        raise ValueError("accounts must be between 0 and 10000")
    unknown = set(features) - newer_api.known_features()
    if unknown:
        raise ValueError(f"unknown features: {sorted(unknown)}")
    backend = organizations_backends[management_account_id]["aws"]
    backend.create_organization(region=region, FeatureSet=feature_set)
    org = backend.org
    assert org is not None

    ou_ids: dict[str | None, str] = {None: org.root_id}
    ou_paths: dict[str, str] = {org.root_id: "/"}
    truth_ous = []
    for name, parent in OU_TREE:
        parent_id = ou_ids[parent]
        ou = backend.create_organizational_unit(Name=name, ParentId=parent_id)["OrganizationalUnit"]
        ou_ids[name] = ou["Id"]
        ou_paths[ou["Id"]] = f"{ou_paths[parent_id]}{name}/"
        truth_ous.append({"id": ou["Id"], "name": name, "parent_id": parent_id, "path": ou_paths[ou["Id"]]})
    parents = [org.root_id] + [ou["id"] for ou in truth_ous]

    truth_accounts = []
    original_make_id = org_utils.make_random_account_id
    try:
        for index in range(accounts):
            account_id = f"{FIRST_MEMBER_ACCOUNT + index:012d}"
            org_utils.make_random_account_id = lambda account_id=account_id: account_id
            name = f"member-{index + 1:05d}"
            backend.create_account(AccountName=name, Email=f"{name}@example.com",
                                   Tags=[{"Key": "seed-index", "Value": str(index)}])
            truth_accounts.append(_seed_member(backend, index, account_id, name, profile, parents, ou_paths, region))
    finally:
        org_utils.make_random_account_id = original_make_id

    if trusted_access or features or delegated_administrator:
        backend.enable_aws_service_access(ServicePrincipal=orgs.IAM_PRINCIPAL)
    orgs.root_features(backend).update(features)
    delegated = None
    if delegated_administrator:
        delegated = next(a["id"] for a in truth_accounts if a["state"] == "ACTIVE")
        backend.register_delegated_administrator(AccountId=delegated, ServicePrincipal=orgs.IAM_PRINCIPAL)
    return {
        "organization_id": org.id,
        "management_account_id": management_account_id,
        "root_id": org.root_id,
        "feature_set": feature_set,
        "region": region,
        "profile": profile,
        "delegated_administrator": delegated,
        "organizational_units": truth_ous,
        "accounts": truth_accounts,
    }


def _seed_member(backend, index: int, account_id: str, name: str, profile: str, parents: list[str],
                 ou_paths: dict[str, str], region: str) -> dict[str, Any]:
    plan = plan_account(index, profile)
    parent_id = parents[index % len(parents)]
    if parent_id != parents[0]:
        backend.move_account(AccountId=account_id, SourceParentId=parents[0], DestinationParentId=parent_id)
    root = seed_root_credentials(account_id, **_credentials_for(plan["credentials"]))
    account: dict[str, Any] = {
        "id": account_id,
        "name": name,
        "email": f"{name}@example.com",
        "parent_id": parent_id,
        "ou_path": ou_paths[parent_id],
        "state": plan.get("state", "ACTIVE"),
        "credentials": plan["credentials"],
        "root_user": root,
        "buckets": [],
        "queues": [],
    }
    s3 = s3_backends[account_id]["aws"]
    if plan.get("locked_bucket"):
        bucket = f"locked-{account_id}"
        s3.create_bucket(bucket, region)
        s3.put_bucket_policy(bucket, _render(DENY_ALL_BUCKET, bucket=bucket).encode())
        account["buckets"].append({"name": bucket, "locked": True, "policy": _render(DENY_ALL_BUCKET, bucket=bucket)})
    if plan.get("ordinary_bucket"):
        bucket = f"ordinary-{account_id}"
        s3.create_bucket(bucket, region)
        s3.put_bucket_policy(bucket, _render(ORDINARY_BUCKET, bucket=bucket).encode())
        account["buckets"].append({"name": bucket, "locked": False, "policy": _render(ORDINARY_BUCKET, bucket=bucket)})
    if plan.get("locked_queue"):
        sqs = sqs_backends[account_id][region]
        queue = sqs.create_queue(f"locked-{account_id}")
        policy = _render(DENY_ALL_QUEUE, arn=queue.queue_arn)
        queue.policy = policy
        account["queues"].append({"name": queue.name, "arn": queue.queue_arn, "locked": True, "policy": policy})
    if account["state"] != "ACTIVE":
        orgs.find_account(backend, account_id).close()
    return account
