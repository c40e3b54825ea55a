"""The control API for out-of-process use, under ``/moto-api/rootguard/``:

    POST   seed            body: seed() keyword arguments -> the seeded truth
    GET    requests        ?since=N -> the request log with counters
    DELETE requests        clear the request log
    GET    faults          the fault rules with their counters
    POST   faults          body: a fault rule (see state.FaultRule) or a preset
    DELETE faults          clear all fault rules
    POST   expire-sessions body: {"account_id": optional} -> expire root sessions
    GET    root-user       ?account_id=N -> the root user's credentials (no secrets)
    GET    account         ?account_id=N -> organization state of one account
    GET    organization    features, trusted access, delegated administrators
    GET    clock           the emulator clock (clock.py): now and its offset from wall time
    POST   clock           body: {"advance_seconds": N} -> move it forward
    GET    credential-report  ?account_id=N -> the report settings and that account's stored report
    POST   credential-report  body: {"in_progress_polls": N} -> calls a generation answers in progress
    GET    api-settings    the switches of the newer API (newer_api.settings)
    POST   api-settings    body: newer_api.configure() keyword arguments, e.g. {"account_status": false, "account_paths": false}
    GET    latency         the delay before every AWS API response (latency.py) and the server setting
    POST   latency         body: {"milliseconds": N} (0 to 10,000) -> the delay until the next change or reset
    ...    account-vending CreateAccount requests, settings and failures (accounts_ext.handle)

``POST /moto-api/reset`` (moto's own) resets everything, the extension included; the latency goes
back to the server setting (``serve --latency-ms``).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qs, urlparse

from . import clock, credential_report, faults, latency, newer_api, orgs
from .rootuser import root_user
from .seed import seed
from .state import STATE

PREFIX = "/moto-api/rootguard/"


def _reply(status: int, body: Any) -> tuple[int, dict[str, str], str]:
    return status, {"Content-Type": "application/json"}, json.dumps(body, default=str)


def _body(request: Any) -> dict[str, Any]:
    data = request.data if hasattr(request, "data") else request.body
    if isinstance(data, bytes):
        data = data.decode("utf-8")
    return json.loads(data) if data else {}


def organization_state(management_account_id: str) -> dict[str, Any]:
    backend = orgs.management_backend(management_account_id)
    if backend is None or backend.org is None:
        return {"organization": None}
    return {
        "organization_id": backend.org.id,
        "management_account_id": backend.org.master_account_id,
        "feature_set": backend.org.feature_set,
        "trusted_access": sorted(s["ServicePrincipal"] for s in backend.services),
        "enabled_features": sorted(orgs.root_features(backend)),
        "delegated_administrators": {admin.account.id: sorted(admin.services) for admin in backend.admins},
    }


def handle(request: Any, full_url: str, headers: Any) -> tuple[int, dict[str, str], str]:  # pylint: disable=unused-argument
    url = urlparse(full_url)
    route = url.path[len(PREFIX):] if url.path.startswith(PREFIX) else url.path
    query = parse_qs(url.query)
    method = request.method
    try:
        if route == "seed" and method == "POST":
            return _reply(200, seed(**_body(request)))
        if route == "requests":
            if method == "DELETE":
                STATE.clear_requests()
                return _reply(200, {"status": "ok"})
            return _reply(200, STATE.request_log(since=int(query.get("since", ["0"])[0])))
        if route == "faults":
            if method == "DELETE":
                STATE.clear_faults()
                return _reply(200, {"status": "ok"})
            if method == "POST":
                return _reply(200, faults.add(**_body(request)).describe())
            return _reply(200, [rule.describe() for rule in STATE.fault_rules])
        if route == "expire-sessions" and method == "POST":
            return _reply(200, {"expired": STATE.expire_root_sessions(_body(request).get("account_id"))})
        if route == "root-user":
            return _reply(200, root_user(query["account_id"][0]).describe())
        if route == "account":
            return _reply(200, account_state(query["account_id"][0]))
        if route == "clock":
            return _reply(200, clock.advance(float(_body(request)["advance_seconds"])) if method == "POST" else clock.describe())
        if route == "credential-report":
            if method == "POST":
                return _reply(200, credential_report.configure(_body(request)["in_progress_polls"]))
            return _reply(200, credential_report.describe(query.get("account_id", [None])[0]))
        if route == "api-settings":
            return _reply(200, newer_api.configure(**_body(request)) if method == "POST" else newer_api.settings())
        if route == "latency":
            return _reply(200, latency.configure(_body(request)) if method == "POST" else latency.describe())
        if route == "organization":
            return _reply(200, organization_state(query.get("management_account_id", ["123456789012"])[0]))
    except (TypeError, ValueError, KeyError) as error:
        return _reply(400, {"error": f"{type(error).__name__}: {error}"})
    return _reply(404, {"error": f"no route {method} {url.path}"})


def account_state(account_id: str) -> dict[str, Any]:
    backend = orgs.management_backend(account_id)
    account = orgs.find_account(backend, account_id) if backend else None
    if account is None:
        return {"id": account_id, "member": False}
    return {"id": account_id, "member": True, "state": account.state, "parent_id": account.parent_id,
            "name": account.name, "email": account.email, "tags": dict(account.tags)}


ROUTES = ("seed", "requests", "faults", "expire-sessions", "root-user", "account", "organization", "clock",
          "credential-report", "api-settings", "latency")


def install() -> None:
    from moto.moto_api._internal import urls

    for route in ROUTES:
        urls.url_paths.setdefault("{0}" + PREFIX + route + "$", handle)
