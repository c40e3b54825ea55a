"""A small client for the control API, for tests and tools that run the emulator out of process."""

from __future__ import annotations

import json
import urllib.request
from typing import Any


class EmulatorClient:
    def __init__(self, endpoint: str, timeout_s: float = 120):
        self.endpoint = endpoint.rstrip("/")
        self.timeout_s = timeout_s

    def _call(self, method: str, path: str, body: Any = None) -> Any:
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(f"{self.endpoint}{path}", data=data, method=method,
                                         headers={"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=self.timeout_s) as response:  # nosec - loopback only
            return json.loads(response.read() or b"null")

    def reset(self) -> None:
        self._call("POST", "/moto-api/reset")

    def seed(self, **options: Any) -> dict[str, Any]:
        return self._call("POST", "/moto-api/rootguard/seed", options)

    def requests(self, since: int = 0) -> dict[str, Any]:
        return self._call("GET", f"/moto-api/rootguard/requests?since={since}")

    def clear_requests(self) -> None:
        self._call("DELETE", "/moto-api/rootguard/requests")

    def add_fault(self, **rule: Any) -> dict[str, Any]:
        return self._call("POST", "/moto-api/rootguard/faults", rule)

    def faults(self) -> list[dict[str, Any]]:
        return self._call("GET", "/moto-api/rootguard/faults")

    def clear_faults(self) -> None:
        self._call("DELETE", "/moto-api/rootguard/faults")

    def expire_sessions(self, account_id: str | None = None) -> int:
        return self._call("POST", "/moto-api/rootguard/expire-sessions", {"account_id": account_id})["expired"]

    def root_user(self, account_id: str) -> dict[str, Any]:
        return self._call("GET", f"/moto-api/rootguard/root-user?account_id={account_id}")

    def account(self, account_id: str) -> dict[str, Any]:
        return self._call("GET", f"/moto-api/rootguard/account?account_id={account_id}")

    def organization(self, management_account_id: str = "123456789012") -> dict[str, Any]:
        return self._call("GET", f"/moto-api/rootguard/organization?management_account_id={management_account_id}")

    # the emulator clock and the credential report ------------------------------
    def clock(self) -> dict[str, Any]:
        return self._call("GET", "/moto-api/rootguard/clock")

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self._call("POST", "/moto-api/rootguard/clock", {"advance_seconds": seconds})

    def credential_report(self, account_id: str | None = None) -> dict[str, Any]:
        query = f"?account_id={account_id}" if account_id else ""
        return self._call("GET", f"/moto-api/rootguard/credential-report{query}")

    def set_credential_report_polls(self, in_progress_polls: int) -> dict[str, Any]:
        return self._call("POST", "/moto-api/rootguard/credential-report", {"in_progress_polls": in_progress_polls})

    def api_settings(self) -> dict[str, Any]:
        return self._call("GET", "/moto-api/rootguard/api-settings")

    def configure_api(self, **settings: Any) -> dict[str, Any]:
        """Switch parts of the newer API: ``account_status=False`` (accounts without Status),
        ``account_paths=False`` (accounts without Paths)."""
        return self._call("POST", "/moto-api/rootguard/api-settings", settings)

    def latency(self) -> dict[str, Any]:
        """The delay before every AWS API response (``milliseconds``) and the server setting a reset returns to."""
        return self._call("GET", "/moto-api/rootguard/latency")

    def set_latency(self, milliseconds: float) -> dict[str, Any]:
        return self._call("POST", "/moto-api/rootguard/latency", {"milliseconds": milliseconds})

    # account vending (accounts_ext) ---------------------------------------------
    def account_vending(self) -> dict[str, Any]:
        """Settings, failure rules, foreign emails and every CreateAccount request."""
        return self._call("GET", "/moto-api/rootguard/account-vending")

    def set_account_creation_polls(self, in_progress_polls: int) -> dict[str, Any]:
        return self._call("POST", "/moto-api/rootguard/account-vending/settings", {"in_progress_polls": in_progress_polls})

    def fail_account_creation(self, reason: str, email: str | None = None, name: str | None = None, times: int = 1) -> dict[str, Any]:
        body = {"reason": reason, "times": times, **({"email": email} if email else {}), **({"name": name} if name else {})}
        return self._call("POST", "/moto-api/rootguard/account-vending/failures", body)

    def add_foreign_emails(self, *emails: str) -> dict[str, Any]:
        return self._call("POST", "/moto-api/rootguard/account-vending/foreign-emails", {"emails": list(emails)})
