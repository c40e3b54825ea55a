"""Serving the emulator over HTTP on 127.0.0.1, in a thread or in the foreground.

Only for clients on this machine that are not web pages of another origin: a request with
an ``Origin`` header other than the emulator's own (every cross-origin ``fetch`` and form
post of a browser has one; SDKs and the CLI send none) is refused with 403 before it
reaches moto, CORS preflights included, and no response carries ``Access-Control-*``
headers (moto's server would allow any origin) - so a page cannot read or change the
emulator through the browser of someone who runs it. S3 bucket CORS is not emulated."""

from __future__ import annotations

import argparse
import errno
import io
import json
import logging
import os
import signal
import socket
import sys
import threading
from typing import Any
from urllib.parse import urlsplit

from moto.moto_server.threaded_moto_server import ThreadedMotoServer
from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
from werkzeug.serving import make_server

from . import install, latency
from .seed import PROFILES, seed

DEFAULT_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
# Seconds an idle persistent connection is kept open.
IDLE_SECONDS = 30
HOST = "127.0.0.1"
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")
# The endpoints of the emulators serving in this process (what the test evidence may read in-process).
_serving: set[str] = set()


class PortUnavailable(RuntimeError):
    """The emulator cannot listen on the port asked for."""


def serves_in_this_process(endpoint: str) -> bool:
    return endpoint.rstrip("/") in _serving


def _same_origin(origin: str, host: str | None) -> bool:
    """Whether ``origin`` is the emulator's own (a page it serves, such as moto's dashboard)."""
    parts = urlsplit(origin)
    return bool(host) and parts.scheme == "http" and parts.netloc == host and parts.hostname in LOOPBACK_NAMES


class NoCrossOrigin:
    """WSGI middleware: refuses requests from another web origin, and strips CORS headers."""

    def __init__(self, app: Any):
        self.app = app

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        origin = environ.get("HTTP_ORIGIN")
        if origin is not None and not _same_origin(origin, environ.get("HTTP_HOST")):
            body = (f"cross-origin request refused: the rootguard emulator answers no web page of another origin ({origin})\n"
                    .encode("utf-8", "backslashreplace"))
            start_response("403 Forbidden", [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body)))])
            return [body]

        def start_without_cors(status: str, headers: list, exc_info: Any = None) -> Any:
            kept = [(name, value) for name, value in headers if not name.lower().startswith("access-control-")]
            return start_response(status, kept, exc_info)

        return self.app(environ, start_without_cors)


class PersistentConnectionHandler(MotoRequestHandler):
    """Keeps HTTP/1.1 connections open between requests, as AWS endpoints do.

    Werkzeug's development server closes the connection after every response, because
    Python's http.server cannot tell where an unread request body ends.  So here the body
    of a request that declares its Content-Length (every SDK and CLI request) is read whole
    before the application runs, and the application reads it from memory: the next request
    starts where this one ended.  Requests with a chunked body, ``Expect: 100-continue`` or
    ``Connection: close`` are served as before and then the connection closes.  Without it a
    client opens a TCP connection per request and the server starts a thread per request."""

    timeout = IDLE_SECONDS
    _keep_open = False

    def setup(self) -> None:
        super().setup()
        # The status line and headers, then the body, go out in separate writes: without
        # TCP_NODELAY the body waits for the client's delayed ACK (40 ms) on a connection
        # that stays open.
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def run_wsgi(self) -> None:
        length = self.headers.get("Content-Length")
        self._keep_open = (
            self.request_version == "HTTP/1.1"
            and not self.close_connection
            and "Transfer-Encoding" not in self.headers
            and "Expect" not in self.headers
            and (length is None or length.isdigit())
        )
        if not self._keep_open:
            super().run_wsgi()
            return
        connection_input = self.rfile
        self.rfile = io.BytesIO(connection_input.read(int(length)) if length else b"")
        try:
            super().run_wsgi()
        finally:
            self.rfile = connection_input

    def send_header(self, keyword: str, value: str) -> None:
        if self._keep_open and keyword.lower() == "connection" and value.lower() == "close":
            return
        super().send_header(keyword, value)

    def log_error(self, format: str, *args: Any) -> None:  # pylint: disable=redefined-builtin
        if format.startswith("Request timed out"):
            return  # an idle persistent connection, closed after IDLE_SECONDS
        super().log_error(format, *args)


class _Server(ThreadedMotoServer):
    """moto's threaded server (a thread per connection) with PersistentConnectionHandler, NoCrossOrigin
    and latency.Delayed, listening
    before start() returns: a port that is taken is PortUnavailable at once (moto binds in
    its thread, where werkzeug's sys.exit() on a taken port leaves start() waiting forever)."""

    def start(self) -> None:
        try:
            listener = socket.create_server((self._ip_address, self._port))
        except OSError as error:
            reason = "the port is already in use" if error.errno == errno.EADDRINUSE else (error.strerror or str(error))
            raise PortUnavailable(f"cannot listen on {self._ip_address}:{self._port}: {reason}") from None
        with listener:
            app = NoCrossOrigin(latency.Delayed(DomainDispatcherApplication(create_backend_app)))
            self._server = make_server(self._ip_address, self._port, app, True, request_handler=PersistentConnectionHandler,
                                       fd=listener.fileno())
        self._server_ready_event.set()
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()


class EmulatorServer:
    """The emulator as a local HTTP server in this process (moto's threaded server); ``latency_ms``: the
    delay before every AWS API response (latency.py), the process's server setting."""

    def __init__(self, port: int = 0, latency_ms: float = 0):
        if "MOTO_ACCOUNT_ID" in os.environ:
            raise RuntimeError("MOTO_ACCOUNT_ID overrides access-key routing; unset it to run the emulator")
        install()
        latency.set_server_setting(latency_ms)
        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        self._server = _Server(ip_address=HOST, port=port, verbose=False)
        self.endpoint = ""

    def start(self) -> "EmulatorServer":
        """Listen (PortUnavailable when the port is taken) and serve in a thread."""
        self._server.start()
        host, port = self._server.get_host_and_port()
        self.endpoint = f"http://{host}:{port}"
        _serving.add(self.endpoint)
        return self

    def stop(self) -> None:
        _serving.discard(self.endpoint)
        self._server.stop()

    def __enter__(self) -> "EmulatorServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    def environment(self, region: str = "us-east-1") -> dict[str, str]:
        """What a client process needs to talk to this emulator as the management account."""
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_DEFAULT_REGION": region, "AWS_REGION": region, **DEFAULT_CREDENTIALS}


def _latency_ms(text: str) -> float:
    """argparse's type for --latency-ms: latency.checked's rule, with its message."""
    try:
        return latency.checked(float(text), "--latency-ms")
    except ValueError as error:
        message = str(error) if "--latency-ms" in str(error) else f"--latency-ms must be a number of milliseconds, not {text!r}"
        raise argparse.ArgumentTypeError(message) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m rootguard_emulator", description="Local AWS emulator for centralized root access.")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the emulator in the foreground")
    serve.add_argument("--port", type=int, default=4566)
    serve.add_argument("--accounts", type=int, default=0, help="member accounts to seed (0: no organization)")
    serve.add_argument("--seed", choices=PROFILES, default="mixed", help="root credential profile of the seeded accounts")
    serve.add_argument("--enable-root-access", action="store_true", help="also enable IAM trusted access and both features")
    serve.add_argument("--truth-file", help="write the seeded truth (JSON) to this file")
    serve.add_argument("--latency-ms", type=_latency_ms, default=0.0, metavar="MS",
                       help="delay every AWS API response by MS milliseconds, as a network round trip would "
                            f"(0 to {latency.MAX_MILLISECONDS:,}; default 0; the control API's latency endpoint changes it)")
    serve.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)

    try:
        server = EmulatorServer(port=args.port, latency_ms=args.latency_ms).start()
    except PortUnavailable as error:
        print(f"rootguard emulator: {error}; stop what listens there or choose another --port", file=sys.stderr)
        return 2
    summary = ""
    if args.accounts:
        features = ["RootCredentialsManagement", "RootSessions"] if args.enable_root_access else []
        truth = seed(accounts=args.accounts, profile=args.seed, features=features, trusted_access=args.enable_root_access)
        if args.truth_file:
            with open(args.truth_file, "w", encoding="utf-8") as handle:
                json.dump(truth, handle, indent=2)
        summary = (f"seeded organization {truth['organization_id']}: management account {truth['management_account_id']}, "
                   f"{len(truth['accounts'])} member accounts ({args.seed})")
    if not args.quiet:
        print(f"rootguard emulator listening on {server.endpoint}")
        if summary:
            print(summary)
        if args.latency_ms:
            print(f"every AWS API response is delayed by {args.latency_ms:g} ms")
        print("export these to use it (unknown credentials act as the management account):")
        for name, value in server.environment().items():
            print(f"  export {name}={value}")
        print("stop with Ctrl-C", flush=True)
    stopped = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stopped.set())
    stopped.wait()
    server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
