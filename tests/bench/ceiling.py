"""The ceiling: the root-task modules' call sequence from a tight boto3 loop, no Ansible.

It makes the same calls as ``rootguard.aws.root_credentials_info`` (``--task audit``)
and ``rootguard.aws.root_credentials`` (``--task removal``) with every credential
type, in the same order, with the same concurrency (threads) and the same client
settings, and nothing else: no result per account beyond counts, no targeting
options, no error classes. So its wall time is what the API (here: the emulator)
allows for that work from one Python process.

    the run:      GetCallerIdentity, DescribeOrganization, ListOrganizationsFeatures,
                  ListRoots, ListOrganizationalUnitsForParent per OU (the walk),
                  ListAccountsForParent per parent
    per account:  AssumeRoot, then with a client made from that root session
      audit       GetLoginProfile, ListAccessKeys, GetAccessKeyLastUsed per key,
                  ListSigningCertificates, ListMFADevices
      removal     the same reads (no GetAccessKeyLastUsed), then at once DeleteAccessKey,
                  DeleteSigningCertificate, DeactivateMFADevice, DeleteVirtualMFADevice
                  (virtual devices), DeleteLoginProfile (the module without max_changed_accounts)

One boto3 session; the management account's clients are shared by the threads (with
as many pooled connections as threads); one IAM client per root session, closed when
its account is done. The endpoint and the caller's credentials come
from the environment (AWS_ENDPOINT_URL, AWS_ACCESS_KEY_ID, ...), as for Ansible.
It prints one JSON line: counts and its own timings.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import boto3
import botocore.config
from botocore.exceptions import ClientError

TASK_POLICY = "arn:aws:iam::aws:policy/root-task/"
POLICIES = {"audit": TASK_POLICY + "IAMAuditRootUserCredentials", "removal": TASK_POLICY + "IAMDeleteRootUserCredentials"}
SESSION_SECONDS = 300  # as the modules ask for
MAX_ATTEMPTS = 10  # as the modules retry
REGION = "us-east-1"


def paginate(client, operation: str, key: str, **params) -> list:
    items = []
    for page in client.get_paginator(operation).paginate(**params):
        items.extend(page.get(key, []))
    return items


class Ceiling:
    def __init__(self, concurrency: int):
        self.concurrency = concurrency
        self.session = boto3.session.Session()
        self.region = self.session.region_name or REGION
        self.config = botocore.config.Config(retries={"mode": "standard", "total_max_attempts": MAX_ATTEMPTS})
        shared = self.config.merge(botocore.config.Config(max_pool_connections=max(concurrency, 10)))
        self.lock = threading.Lock()  # boto3 sessions are not safe for concurrent client creation
        self.sts = self.session.client("sts", region_name=self.region, config=shared)
        self.orgs = self.session.client("organizations", region_name=self.region, config=shared)
        self.iam = self.session.client("iam", region_name=self.region, config=shared)

    def root_client(self, account_id: str, policy: str):
        credentials = self.sts.assume_root(TargetPrincipal=account_id, TaskPolicyArn={"arn": policy},
                                           DurationSeconds=SESSION_SECONDS)["Credentials"]
        with self.lock:
            return self.session.client(
                "iam", region_name=self.region, config=self.config, aws_access_key_id=credentials["AccessKeyId"],
                aws_secret_access_key=credentials["SecretAccessKey"], aws_session_token=credentials["SessionToken"],
            )

    def accounts(self) -> list:
        """The ACTIVE member accounts, by the same walk the modules make."""
        caller = self.sts.get_caller_identity()["Account"]
        organization = self.orgs.describe_organization()["Organization"]
        features = self.iam.list_organizations_features().get("EnabledFeatures", [])
        if "RootCredentialsManagement" not in features:
            raise SystemExit("RootCredentialsManagement is not enabled")
        if caller != organization["MasterAccountId"]:
            raise SystemExit("run the ceiling as the management account")
        root_id = paginate(self.orgs, "list_roots", "Roots")[0]["Id"]
        parents, pending = [], [root_id]
        while pending:
            parent = pending.pop()
            parents.append(parent)
            pending.extend(ou["Id"] for ou in paginate(self.orgs, "list_organizational_units_for_parent",
                                                       "OrganizationalUnits", ParentId=parent))
        accounts = []
        for parent in parents:
            accounts.extend(account["Id"] for account in paginate(self.orgs, "list_accounts_for_parent", "Accounts", ParentId=parent)
                            if account["Status"] == "ACTIVE" and account["Id"] != organization["MasterAccountId"])
        return sorted(accounts)

    @staticmethod
    def read(iam, last_used: bool) -> dict:
        try:
            iam.get_login_profile()
            password = True
        except ClientError as error:
            if error.response["Error"]["Code"] != "NoSuchEntity":
                raise
            password = False
        keys = [key["AccessKeyId"] for key in paginate(iam, "list_access_keys", "AccessKeyMetadata")]
        if last_used:
            for key in keys:
                iam.get_access_key_last_used(AccessKeyId=key)
        certificates = [cert["CertificateId"] for cert in paginate(iam, "list_signing_certificates", "Certificates")]
        devices = [device["SerialNumber"] for device in paginate(iam, "list_mfa_devices", "MFADevices")]
        return {"password": password, "access_keys": keys, "signing_certificates": certificates, "mfa_devices": devices}

    @staticmethod
    def remove(iam, found: dict) -> int:
        calls = 0
        for key in found["access_keys"]:
            iam.delete_access_key(AccessKeyId=key)
            calls += 1
        for certificate in found["signing_certificates"]:
            iam.delete_signing_certificate(CertificateId=certificate)
            calls += 1
        for serial in found["mfa_devices"]:
            iam.deactivate_mfa_device(SerialNumber=serial)
            calls += 1
        for serial in found["mfa_devices"]:
            if ":mfa/" in serial:
                iam.delete_virtual_mfa_device(SerialNumber=serial)
                calls += 1
        if found["password"]:
            iam.delete_login_profile()
            calls += 1
        return calls

    def map(self, function, items: list) -> list:
        with ThreadPoolExecutor(max_workers=max(1, min(self.concurrency, len(items)))) as pool:
            return list(pool.map(function, items))

    def audit(self, accounts: list) -> dict:
        def one(account_id):
            iam = self.root_client(account_id, POLICIES["audit"])
            found = self.read(iam, last_used=True)
            iam.close()
            return not (found["password"] or found["access_keys"] or found["signing_certificates"] or found["mfa_devices"])

        compliant = self.map(one, accounts)
        return {"ok": len(accounts), "compliant": sum(compliant)}

    def removal(self, accounts: list) -> dict:
        def clean_one(account_id):
            iam = self.root_client(account_id, POLICIES["removal"])
            found = self.read(iam, last_used=False)
            calls = self.remove(iam, found) if any(found.values()) else None
            iam.close()
            return calls

        changes = [calls for calls in self.map(clean_one, accounts) if calls is not None]
        return {"ok": len(accounts) - len(changes), "changed": len(changes), "removal_calls": sum(changes)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--task", choices=("audit", "removal"), required=True)
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args(argv)
    started = time.perf_counter()
    ceiling = Ceiling(args.concurrency)
    accounts = ceiling.accounts()
    listed = time.perf_counter()
    counts = ceiling.audit(accounts) if args.task == "audit" else ceiling.removal(accounts)
    done = time.perf_counter()
    print(json.dumps({"task": args.task, "accounts": len(accounts), **counts,
                      "setup_seconds": round(listed - started, 3), "work_seconds": round(done - listed, 3)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
