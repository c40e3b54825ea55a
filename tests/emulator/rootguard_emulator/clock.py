"""The emulator's clock: wall time plus an offset that tests move forward, so behaviour
that AWS ties to hours (the credential report's four-hour window) can be tested without
waiting. Only what reads ``now()`` follows it (credential_report); everything else
(session expiry, creation dates) stays on wall time. A reset sets the offset back to zero."""

from __future__ import annotations

import datetime
import threading
from typing import Any

_lock = threading.Lock()
_offset = datetime.timedelta(0)


def now() -> datetime.datetime:
    with _lock:
        return datetime.datetime.now(datetime.timezone.utc) + _offset


def advance(seconds: float) -> dict[str, Any]:
    """Move the clock forward by ``seconds`` (never back: AWS's time does not run backwards)."""
    global _offset  # pylint: disable=global-statement
    if seconds < 0:
        raise ValueError("the emulator clock only moves forward")
    with _lock:
        _offset += datetime.timedelta(seconds=seconds)
    return describe()


def describe() -> dict[str, Any]:
    with _lock:
        offset = _offset
    return {"now": (datetime.datetime.now(datetime.timezone.utc) + offset).isoformat(), "offset_seconds": offset.total_seconds()}


def reset() -> None:
    global _offset  # pylint: disable=global-statement
    with _lock:
        _offset = datetime.timedelta(0)
