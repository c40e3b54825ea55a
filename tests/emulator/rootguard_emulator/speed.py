"""Per-request costs moto pays that grow with the organization or serialize the server's
threads, measured with the benchmark harness (BENCHMARKS.md) and removed here without
changing what any request does:

- ``BackendDict.__getitem__`` builds ``list(self.keys())`` under a global lock on every
  lookup (``iam_backends[account]``, ``sts_backends[account]``, ...), so each lookup is
  O(accounts) and all request threads queue for the lock; an account already present is
  now found with one dict lookup, as moto already does one level down (per region).
- ``DomainDispatcherApplication.get_backend_for_host`` lists moto's package directory
  (``os.listdir`` and an ``isdir`` per entry) and tries hundreds of URL patterns, under the
  dispatcher's lock, on every request; its answer depends on the host only, so it is
  remembered per host.
- ``BaseResponse.call_action`` lists every function of the response class
  (``inspect.getmembers``) to see whether the action is one; the same question is now
  answered for the one name, still at request time, so handlers added later are found."""

from __future__ import annotations

import inspect
import threading
from typing import Any

import moto.core.responses as moto_responses
from moto.core.base_backend import BackendDict
from moto.moto_server.werkzeug_app import DomainDispatcherApplication

_ORIGINALS: dict[str, Any] = {}
_HOSTS_REMEMBERED = 1024
_hosts_lock = threading.Lock()


def _backend_dict_getitem(self: BackendDict, account_id: str) -> Any:
    try:
        backend = dict.__getitem__(self, account_id)
    except KeyError:
        return _ORIGINALS["getitem"](self, account_id)
    # reset() empties every registered BackendDict and then the registry, so a present
    # account means a registered dict; check anyway rather than rely on it.
    if any(instance is self for instance in BackendDict._instances):  # type: ignore[misc]  # pylint: disable=protected-access
        return backend
    return _ORIGINALS["getitem"](self, account_id)


def _get_backend_for_host(self: DomainDispatcherApplication, host: str | None) -> Any:
    remembered = self.__dict__.setdefault("_rootguard_backend_for_host", {})
    try:
        return remembered[host]
    except KeyError:
        pass
    backend = _ORIGINALS["get_backend_for_host"](self, host)
    with _hosts_lock:
        if len(remembered) < _HOSTS_REMEMBERED:
            remembered[host] = backend
    return backend


class _FunctionNames:
    """``name in _FunctionNames(cls)`` is ``name in method_names_from_class(cls)``: an attribute
    of the class that is a plain function (what ``inspect.getmembers(cls, inspect.isfunction)``
    lists), looked up when asked."""

    __slots__ = ("cls",)

    def __init__(self, cls: type):
        self.cls = cls

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and inspect.isfunction(getattr(self.cls, name, None))

    def __iter__(self):
        return iter(name for name, _value in inspect.getmembers(self.cls, inspect.isfunction))


def install() -> None:
    _ORIGINALS.setdefault("getitem", BackendDict.__getitem__)
    _ORIGINALS.setdefault("get_backend_for_host", DomainDispatcherApplication.get_backend_for_host)
    BackendDict.__getitem__ = _backend_dict_getitem  # type: ignore[method-assign]
    DomainDispatcherApplication.get_backend_for_host = _get_backend_for_host  # type: ignore[method-assign]
    moto_responses.method_names_from_class = _FunctionNames  # type: ignore[assignment]
