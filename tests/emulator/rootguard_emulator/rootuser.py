"""The root user of each account, which moto does not model: login profile,
access keys, signing certificates and MFA devices. It is stored on the
account's IAM backend, so moto's reset wipes it with everything else."""

from __future__ import annotations

import dataclasses
import datetime
import random
import string
from typing import Any

from moto.iam.models import AccessKey, AccessKeyLastUsed, iam_backends

from .state import STATE, RootPrincipal

MAX_ACCESS_KEYS = 2
MAX_SIGNING_CERTIFICATES = 2
VIRTUAL_MFA_NAME = "root-account-mfa-device"


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


@dataclasses.dataclass
class SigningCertificate:
    certificate_id: str
    body: str
    status: str
    upload_date: datetime.datetime


@dataclasses.dataclass
class MfaDevice:
    serial_number: str
    virtual: bool
    enabled: bool
    enable_date: datetime.datetime


@dataclasses.dataclass
class RootUser:
    account_id: str
    created: datetime.datetime = dataclasses.field(default_factory=_now)
    login_profile_created: datetime.datetime | None = None
    password_last_used: datetime.datetime | None = None
    access_keys: dict[str, AccessKey] = dataclasses.field(default_factory=dict)
    signing_certificates: dict[str, SigningCertificate] = dataclasses.field(default_factory=dict)
    mfa_devices: dict[str, MfaDevice] = dataclasses.field(default_factory=dict)

    @property
    def arn(self) -> str:
        return f"arn:aws:iam::{self.account_id}:root"

    @property
    def enabled_mfa_devices(self) -> list[MfaDevice]:
        return [device for device in self.mfa_devices.values() if device.enabled]

    @property
    def has_credentials(self) -> bool:
        return bool(self.login_profile_created or self.access_keys or self.signing_certificates or self.enabled_mfa_devices)

    # changes -------------------------------------------------------------
    def add_access_key(self, status: str = "Active", last_used: dict[str, Any] | None = None) -> AccessKey:
        if len(self.access_keys) >= MAX_ACCESS_KEYS:
            raise ValueError(f"the root user of {self.account_id} already has {MAX_ACCESS_KEYS} access keys")
        key = AccessKey(user_name=None, prefix="AKIA", account_id=self.account_id, status=status)
        if last_used:
            key.last_used = AccessKeyLastUsed(
                timestamp=last_used.get("date", _now()),
                service=last_used.get("service", "s3"),
                region=last_used.get("region", "us-east-1"),
            )
        self.access_keys[key.access_key_id] = key
        _iam(self.account_id).access_keys[key.access_key_id] = key
        STATE.root_principals[key.access_key_id] = RootPrincipal(account_id=self.account_id)
        return key

    def delete_access_key(self, access_key_id: str) -> None:
        del self.access_keys[access_key_id]
        _iam(self.account_id).access_keys.pop(access_key_id, None)
        STATE.root_principals.pop(access_key_id, None)

    def add_signing_certificate(self, status: str = "Active") -> SigningCertificate:
        if len(self.signing_certificates) >= MAX_SIGNING_CERTIFICATES:
            raise ValueError(f"the root user of {self.account_id} already has {MAX_SIGNING_CERTIFICATES} signing certificates")
        certificate_id = "".join(random.choices(string.ascii_uppercase + string.digits, k=32))
        body = "-----BEGIN CERTIFICATE-----\n" + "".join(random.choices(string.ascii_letters + string.digits, k=64)) + "\n-----END CERTIFICATE-----"
        certificate = SigningCertificate(certificate_id, body, status, _now())
        self.signing_certificates[certificate_id] = certificate
        return certificate

    def add_mfa_device(self, virtual: bool = True) -> MfaDevice:
        if virtual:
            serial = f"arn:aws:iam::{self.account_id}:mfa/{VIRTUAL_MFA_NAME}"
            if serial in self.mfa_devices:
                serial = f"{serial}-{len(self.mfa_devices) + 1}"
        else:
            serial = "GAHT" + "".join(random.choices(string.digits, k=8))
        device = MfaDevice(serial, virtual, True, _now())
        self.mfa_devices[serial] = device
        return device

    def describe(self) -> dict[str, Any]:
        """The root user's credentials as a test oracle sees them (no secrets)."""
        return {
            "account_id": self.account_id,
            "password": self.login_profile_created is not None,
            "access_keys": [
                {"id": key.access_key_id, "status": key.status, "last_used": bool(key.last_used)}
                for key in self.access_keys.values()
            ],
            "signing_certificates": [
                {"id": cert.certificate_id, "status": cert.status} for cert in self.signing_certificates.values()
            ],
            "mfa_devices": [
                {"serial": device.serial_number, "type": "virtual" if device.virtual else "hardware", "enabled": device.enabled}
                for device in self.mfa_devices.values()
            ],
            "has_credentials": self.has_credentials,
        }


def _iam(account_id: str):
    return iam_backends[account_id]["global"]


def root_user(account_id: str) -> RootUser:
    backend = _iam(account_id)
    user = backend.__dict__.get("_rootguard_root_user")
    if user is None:
        user = RootUser(account_id)
        backend.__dict__["_rootguard_root_user"] = user
    return user
