"""rootguard_emulator: moto, extended with AWS Organizations centralized root access.

Call ``install()`` once, before the first request, in the process that serves
requests (pytest for in-process use, the server launcher otherwise)."""

from __future__ import annotations

import threading

from moto.core.base_backend import BackendDict
from moto.organizations.models import organizations_backends
from moto.sqs.models import Queue

from . import (accounts_ext, auth, clock, control, credential_report, credentials, guardrails, iam_ext, latency, lookup, newer_api, organizations_ext, secrecy,
               securityhub_ext, speed, sts_ext)
from .state import STATE

__all__ = ["install", "STATE"]

_installed = False
_install_lock = threading.Lock()
_original_reset = BackendDict.reset.__func__  # type: ignore[attr-defined]
_original_set_attributes = Queue._set_attributes


def _reset(cls) -> None:
    _original_reset(cls)
    organizations_backends.master_accounts.clear()
    STATE.reset()
    lookup.clear_cache()
    accounts_ext.reset()
    credential_report.reset()
    clock.reset()
    guardrails.clear_cache()
    latency.reset()


def _set_queue_attributes(self, attributes, now=None):
    """moto drops a queue's policy whenever other attributes are set; keep it
    unless the call names Policy (an empty Policy removes it, as in SQS)."""
    policy = getattr(self, "policy", None)
    _original_set_attributes(self, attributes, now)
    if "Policy" not in attributes:
        self.policy = policy


def install() -> None:
    global _installed  # pylint: disable=global-statement
    with _install_lock:
        if _installed:
            return
        BackendDict.reset = classmethod(_reset)
        Queue._set_attributes = _set_queue_attributes
        lookup.install()
        speed.install()
        auth.install()
        iam_ext.install()
        credential_report.install()
        sts_ext.install()
        credentials.install()
        organizations_ext.install()
        accounts_ext.install()
        guardrails.install()  # after organizations_ext and accounts_ext: it wraps their methods
        newer_api.install()
        securityhub_ext.install()
        control.install()
        secrecy.install()
        _installed = True
