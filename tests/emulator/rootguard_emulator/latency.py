"""A fixed delay before every AWS API request the served emulator answers: the network round trip
a call to AWS costs, which a server on 127.0.0.1 does not have.

The delay is set when the server starts (``serve --latency-ms N``, ``EmulatorServer(latency_ms=N)``:
the *server setting*) and changed through the control API (``GET|POST /moto-api/rootguard/latency``,
body ``{"milliseconds": N}``). ``POST /moto-api/reset`` puts it back to the server setting, as it
clears the rest of the emulator's state. It applies to AWS API requests only, never to the control
API (``/moto-api/...``), and only over HTTP (server.py's WSGI middleware): in-process, boto3's calls
make no round trip.

Each request sleeps in its own server thread, outside every lock the emulator or moto takes, so N
concurrent requests with a delay D take about D, not N * D. The setting is one number per process
(the emulator's state is process-wide, as moto's is)."""

from __future__ import annotations

import math
import threading
import time
from typing import Any

# Above 10 s a delay stops looking like a network and starts looking like a hang (botocore's
# default read timeout is 60 s); a slower call is the "slow" fault's job (faults.py).
MAX_MILLISECONDS = 10_000
CONTROL_PREFIX = "/moto-api/"

_lock = threading.Lock()
_server_setting = 0.0
_milliseconds = 0.0


def checked(value: Any, name: str = "milliseconds") -> float:
    """``value`` as milliseconds: a number (not a boolean, not a string), finite, 0 to MAX_MILLISECONDS;
    else ValueError naming what was wrong."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ValueError(f"{name} must be a number of milliseconds from 0 to {MAX_MILLISECONDS:,}, not {value!r}")
    if not math.isfinite(value) or value < 0 or value > MAX_MILLISECONDS:
        raise ValueError(f"{name} must be from 0 to {MAX_MILLISECONDS:,} milliseconds, not {value!r}")
    return float(value)


def set_server_setting(milliseconds: Any) -> None:
    """The delay the server starts with and ``reset()`` returns to."""
    global _server_setting, _milliseconds  # pylint: disable=global-statement
    value = checked(milliseconds, "latency_ms")
    with _lock:
        _server_setting = _milliseconds = value


def configure(body: Any) -> dict[str, float]:
    """The control API's POST: ``{"milliseconds": N}`` sets the delay until the next change or reset."""
    global _milliseconds  # pylint: disable=global-statement
    if not isinstance(body, dict):
        raise ValueError('give the delay as a JSON object, {"milliseconds": N}')
    unknown = sorted(set(body) - {"milliseconds"})
    if unknown:
        raise ValueError(f"unknown setting(s) {', '.join(unknown)}; the latency takes only milliseconds")
    if "milliseconds" not in body:
        raise ValueError('give the delay as {"milliseconds": N}')
    value = checked(body["milliseconds"])
    with _lock:
        _milliseconds = value
    return describe()


def describe() -> dict[str, float]:
    with _lock:
        return {"milliseconds": _milliseconds, "server_setting": _server_setting}


def reset() -> None:
    global _milliseconds  # pylint: disable=global-statement
    with _lock:
        _milliseconds = _server_setting


def delays(path: str) -> bool:
    """Whether a request for ``path`` is an AWS API request (everything but moto's and the emulator's control API)."""
    return not path.startswith(CONTROL_PREFIX)


class Delayed:
    """WSGI middleware: sleeps the current delay before an AWS API request reaches moto. The value is read
    once, without a lock (a float assignment is atomic), and the sleep holds none."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        milliseconds = _milliseconds
        if milliseconds and delays(environ.get("PATH_INFO", "")):
            time.sleep(milliseconds / 1000)
        return self.app(environ, start_response)
