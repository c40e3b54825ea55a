"""Benchmark harness: speed, API calls and memory of the root-task modules at organization scale,
side by side with the ceiling (a tight boto3 loop, tests/bench/ceiling.py) and the baseline (the bash
loop with the AWS CLI from the practitioner article the project started from).

    python tests/bench/bench.py [--sizes 100,1000,5000] [--repeat 3,3,1] [--output BENCHMARKS.md]

``make bench`` runs it after building the collection tree. It starts the emulator as a separate
process, and for every run resets it and seeds a fresh organization (``full`` root credentials in
every member account, both features on), then measures:

- ``audit`` and ``removal``: ansible-playbook with one bulk module call (tests/bench/playbooks), and
  the ceiling doing the same calls with the same concurrency, at each size;
- ``password``: the removal of the password only (``credential_types: [password]``), the job the
  bash loop does, with the module, at each size;
- ``per_host``: the audit with one module call per inventory host (organization_accounts inventory
  plugin, forks), at BENCH_PER_HOST_ACCOUNTS accounts;
- ``baseline``: the bash loop (AWS CLI and jq), at BENCH_BASELINE_ACCOUNTS accounts;
- ``guardrails``: root_task_guardrails_info over every account (every task policy, two Regions) in an
  organization with 24 OUs in three levels and 10 SCPs and 3 RCPs attached at the root, OU and account
  levels (tests/bench/guardrails_org.py), at each of BENCH_GUARDRAILS_SIZES: its calls by operation
  (all in the management account), its time and its module's peak RSS;
- ``latency``: the bulk audit with the emulator's delay on every AWS call (BENCH_LATENCY_MS, 30 ms: a network round
  trip to AWS), at BENCH_LATENCY_ACCOUNTS accounts and each of BENCH_LATENCY_CONCURRENCY (10, 25, 50, 100): accounts per
  second, the client's CPU and the module process's, the emulator's, and where the client's CPU becomes the limit
  (tests/bench/latency_report.py);
- ``controller``: the playbooks as an automation controller runs a job, through ``ansible_runner.run()`` with
  MAX_EVENT_RES=700000 (tests/bench/controller_part.py): the largest task result of ``audit_organization.yml`` at each of
  BENCH_CONTROLLER_SIZES (1,000, 5,000 and 10,000), and at BENCH_CONTROLLER_SLICE_ACCOUNTS (5,000) the per-account
  ``audit_accounts_per_host.yml`` as one job and as BENCH_CONTROLLER_SLICES (4) slices one after the other, against the
  bulk job and today's per-host mode (at BENCH_CONTROLLER_PER_HOST_ACCOUNTS, 200).

For every run: wall time; CPU time of the measured command and its descendants (wait4); the
emulator's CPU time; the API calls from the emulator's request log, per member account and in the
management account; the peak RSS of the module process (polled from /proc, see PeakRss) or of the
ceiling process (wait4); and the seeding time. It writes the medians, the ratios and the targets into
the part of the output file between the BENCH markers (the guardrails part between its own
BENCH-GUARDRAILS markers, the latency part between BENCH-LATENCY markers, the controller part between BENCH-CONTROLLER
markers, rewritten after each of its jobs so that a run stopped part-way leaves its figures), and leaves the rest of the file
as it is: a part that did not run keeps its block, so ``--parts guardrails`` refreshes that block alone.
Timings are recorded, never asserted; a run whose result is wrong (a failed account, a credential
left, a command that fails) stops the harness.

Settings come from options or from these environment variables (options win):
BENCH_SIZES, BENCH_REPEAT (one count, or one per size), BENCH_CONCURRENCY, BENCH_PER_HOST_ACCOUNTS,
BENCH_PER_HOST_FORKS, BENCH_PER_HOST_REPEAT, BENCH_BASELINE_ACCOUNTS, BENCH_BASELINE_REPEAT (0 accounts
skips a part), BENCH_PARTS (``modules``: the bulk, per-host and baseline runs; ``guardrails``; ``latency``;
``controller``; default all four), BENCH_GUARDRAILS_SIZES, BENCH_GUARDRAILS_REPEAT, BENCH_LATENCY_ACCOUNTS (default 1,000),
BENCH_LATENCY_MS, BENCH_LATENCY_CONCURRENCY, BENCH_LATENCY_REPEAT (default: 3 up to 1,000 accounts, 1 above),
BENCH_CONTROLLER_SIZES, BENCH_CONTROLLER_SLICE_ACCOUNTS (0: no slicing runs), BENCH_CONTROLLER_SLICES,
BENCH_CONTROLLER_PER_HOST_ACCOUNTS (0: none), BENCH_CONTROLLER_RAISED_LIMIT (the MAX_EVENT_RES of a second audit job,
run when the first stored a result as ``{}``; 0: none), and BENCH_COLLECTIONS_PATH (else ANSIBLE_COLLECTIONS_PATH, else build/collections).
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import hashlib
import json
import os
import pathlib
import platform
import re
import shlex
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
from importlib import metadata

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
EMULATOR_DIR = ROOT / "tests" / "emulator"
sys.path.insert(0, str(EMULATOR_DIR))
sys.path.insert(0, str(ROOT / "tests" / "controller"))

from baseline_loop import BASELINE_LOOP, BASELINE_LOOP_SHA256  # noqa: E402  pylint: disable=wrong-import-position
from rootguard_emulator.client import EmulatorClient  # noqa: E402  pylint: disable=wrong-import-position

import controller_part  # noqa: E402  pylint: disable=wrong-import-position
import controller_support  # noqa: E402  pylint: disable=wrong-import-position,import-error
import guardrails_org  # noqa: E402  pylint: disable=wrong-import-position
import latency_report  # noqa: E402  pylint: disable=wrong-import-position

FEATURES = ["RootCredentialsManagement", "RootSessions"]
REGION = "us-east-1"
DEFAULT_SIZES = (100, 1000, 5000)
DEFAULT_GUARDRAILS_SIZES = (1000, 5000)
DEFAULT_LATENCY_ACCOUNTS = 1000
DEFAULT_LATENCY_MS = 30
DEFAULT_LATENCY_CONCURRENCY = (10, 25, 50, 100)
DEFAULT_CONTROLLER_SIZES = (1000, 5000, 10000)
DEFAULT_CONTROLLER_SLICE_ACCOUNTS = 5000
DEFAULT_CONTROLLER_SLICES = 4
DEFAULT_CONTROLLER_RAISED_LIMIT = 100_000_000
CONTROL_TIMEOUT_S = 1800
PARTS = ("modules", "guardrails", "latency", "controller")
GUARDRAILS_REGIONS = ["us-east-1", "eu-west-1"]
BEGIN = "<!-- BENCH:BEGIN (written by tests/bench/bench.py; edits inside are overwritten) -->"
END = "<!-- BENCH:END -->"
GUARDRAILS_BEGIN = "<!-- BENCH-GUARDRAILS:BEGIN (written by tests/bench/bench.py; edits inside are overwritten) -->"
GUARDRAILS_END = "<!-- BENCH-GUARDRAILS:END -->"
LATENCY_BEGIN, LATENCY_END = latency_report.BEGIN, latency_report.END
CONTROLLER_BEGIN, CONTROLLER_END = controller_part.BEGIN, controller_part.END
MODULE_PATTERNS = {"guardrails": b"AnsiballZ_root_task_guardrails_info"}


class BenchError(RuntimeError):
    """A run that failed or gave a wrong result."""


# ---------------------------------------------------------------------------
# Settings


@dataclasses.dataclass
class Settings:
    sizes: list
    repeats: dict
    concurrency: int
    per_host_accounts: int
    per_host_forks: int
    per_host_repeat: int
    baseline_accounts: int
    baseline_repeat: int
    parts: list
    guardrails_sizes: list
    guardrails_repeats: dict
    latency_accounts: int
    latency_ms: float
    latency_concurrency: list
    latency_repeat: int
    controller_sizes: list
    controller_slice_accounts: int
    controller_slices: int
    controller_per_host_accounts: int
    controller_raised_limit: int
    collections: pathlib.Path
    output: pathlib.Path | None
    json_output: pathlib.Path | None
    keep: bool


def _int_list(text: str, name: str) -> list:
    try:
        values = [int(item) for item in re.split(r"[,\s]+", text.strip()) if item]
    except ValueError:
        raise SystemExit(f"{name}: {text!r} is not a list of whole numbers") from None
    if not values or any(value < 0 for value in values):
        raise SystemExit(f"{name}: {text!r} must list numbers of 0 or more")
    return values


def default_repeat(size: int) -> int:
    """Three runs up to 1,000 accounts, one above (the 5,000-account runs take minutes each)."""
    return 3 if size <= 1000 else 1


def _sizes_and_repeats(sizes_text: str, repeat_text: str, prefix: str) -> tuple:
    """(sizes, {size: runs}) from the --<prefix>sizes and --<prefix>repeat texts."""
    sizes = [size for size in _int_list(sizes_text, prefix + "sizes") if size > 0] if sizes_text.strip() else []
    counts = _int_list(repeat_text, prefix + "repeat") if repeat_text.strip() else []
    if counts and len(counts) not in (1, len(sizes)):
        raise SystemExit(f"{prefix}repeat: give one count or one per size ({len(sizes)})")
    repeats = {size: (counts[0] if len(counts) == 1 else counts[index]) if counts else default_repeat(size)
               for index, size in enumerate(sizes)}
    return sizes, repeats


def settings_from(argv) -> Settings:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="tests/bench/bench.py", description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--sizes", default=env("BENCH_SIZES") or ",".join(map(str, DEFAULT_SIZES)),
                        help="organization sizes for the bulk runs (default %(default)s)")
    parser.add_argument("--repeat", default=env("BENCH_REPEAT") or "",
                        help="runs per size: one number, or one per size (default: 3 up to 1,000 accounts, 1 above)")
    parser.add_argument("--concurrency", type=int, default=int(env("BENCH_CONCURRENCY") or 10))
    parser.add_argument("--per-host-accounts", type=int, default=int(env("BENCH_PER_HOST_ACCOUNTS") or 200))
    parser.add_argument("--per-host-forks", type=int, default=int(env("BENCH_PER_HOST_FORKS") or 20))
    parser.add_argument("--per-host-repeat", type=int, default=int(env("BENCH_PER_HOST_REPEAT") or 1))
    parser.add_argument("--baseline-accounts", type=int, default=int(env("BENCH_BASELINE_ACCOUNTS") or 50))
    parser.add_argument("--baseline-repeat", type=int, default=int(env("BENCH_BASELINE_REPEAT") or 1))
    parser.add_argument("--parts", default=env("BENCH_PARTS") or ",".join(PARTS),
                        help="the parts to run: modules (bulk, per-host, baseline), guardrails, latency, controller (default %(default)s); "
                             "a part not run keeps its block of the output file")
    parser.add_argument("--guardrails-sizes", default=env("BENCH_GUARDRAILS_SIZES") or ",".join(map(str, DEFAULT_GUARDRAILS_SIZES)),
                        help="organization sizes for root_task_guardrails_info (default %(default)s)")
    parser.add_argument("--guardrails-repeat", default=env("BENCH_GUARDRAILS_REPEAT") or "",
                        help="runs per guardrails size: one number, or one per size (default: 3 up to 1,000 accounts, 1 above)")
    parser.add_argument("--latency-accounts", type=int, default=int(env("BENCH_LATENCY_ACCOUNTS") or DEFAULT_LATENCY_ACCOUNTS),
                        help="organization size of the latency part (default %(default)s)")
    parser.add_argument("--latency-ms", type=float, default=float(env("BENCH_LATENCY_MS") or DEFAULT_LATENCY_MS),
                        help="the emulator's delay per AWS call in the latency part, in milliseconds (default %(default)s)")
    parser.add_argument("--latency-concurrency", default=env("BENCH_LATENCY_CONCURRENCY") or ",".join(map(str, DEFAULT_LATENCY_CONCURRENCY)),
                        help="the audit's concurrency in the latency part, one run each (default %(default)s)")
    parser.add_argument("--latency-repeat", type=int, default=int(env("BENCH_LATENCY_REPEAT") or 0),
                        help="runs per concurrency in the latency part (default: 3 up to 1,000 accounts, 1 above)")
    parser.add_argument("--controller-sizes", default=env("BENCH_CONTROLLER_SIZES") or ",".join(map(str, DEFAULT_CONTROLLER_SIZES)),
                        help="organization sizes of the controller part's audit job (default %(default)s)")
    parser.add_argument("--controller-slice-accounts", type=int,
                        default=int(env("BENCH_CONTROLLER_SLICE_ACCOUNTS") or DEFAULT_CONTROLLER_SLICE_ACCOUNTS),
                        help="accounts of the controller part's slicing runs, 0 for none (default %(default)s)")
    parser.add_argument("--controller-slices", type=int, default=int(env("BENCH_CONTROLLER_SLICES") or DEFAULT_CONTROLLER_SLICES),
                        help="slices of the sliced run (default %(default)s)")
    parser.add_argument("--controller-per-host-accounts", type=int, default=int(env("BENCH_CONTROLLER_PER_HOST_ACCOUNTS") or 200),
                        help="accounts of today's per-host mode measured beside the slices, 0 for none (default %(default)s)")
    parser.add_argument("--controller-raised-limit", type=int,
                        default=int(env("BENCH_CONTROLLER_RAISED_LIMIT") or DEFAULT_CONTROLLER_RAISED_LIMIT),
                        help="MAX_EVENT_RES of a second audit job, run when a result of the first was stored as {}, "
                             "0 for none (default %(default)s)")
    parser.add_argument("--collections-path", default=env("BENCH_COLLECTIONS_PATH") or env("ANSIBLE_COLLECTIONS_PATH")
                        or str(ROOT / "build" / "collections"))
    parser.add_argument("--output", default="BENCHMARKS.md", help="the Markdown file to write ('-' for none)")
    parser.add_argument("--json", help="also write every run's figures to this JSON file")
    parser.add_argument("--keep", action="store_true", help="keep the work directory (logs of every run)")
    args = parser.parse_args(argv)

    sizes, repeats = _sizes_and_repeats(args.sizes, args.repeat, "")
    guardrails_sizes, guardrails_repeats = _sizes_and_repeats(args.guardrails_sizes, args.guardrails_repeat, "guardrails-")
    parts = [part for part in re.split(r"[,\s]+", args.parts.strip()) if part]
    if not parts or set(parts) - set(PARTS):
        raise SystemExit(f"parts: {args.parts!r} must list one or more of {', '.join(PARTS)}")
    latency_concurrency = [value for value in _int_list(args.latency_concurrency, "latency-concurrency") if value > 0]
    if "latency" in parts and not (0 < args.latency_ms <= 10_000 and args.latency_accounts > 0 and latency_concurrency):
        raise SystemExit("latency: give --latency-ms over 0 and at most 10,000, --latency-accounts over 0 and at least one --latency-concurrency")
    if "controller" in parts and not (args.controller_slices > 0 and args.controller_slice_accounts >= 0):
        raise SystemExit("controller: give --controller-slices over 0 and --controller-slice-accounts of 0 or more")
    collections = pathlib.Path(args.collections_path.split(os.pathsep)[0]).resolve()
    if not (collections / "ansible_collections" / "rootguard" / "aws").is_dir():
        raise SystemExit(f"no rootguard.aws collection under {collections}: run `make collection-tree` or set BENCH_COLLECTIONS_PATH")
    return Settings(
        sizes=sizes, repeats=repeats, concurrency=args.concurrency,
        per_host_accounts=args.per_host_accounts, per_host_forks=args.per_host_forks, per_host_repeat=args.per_host_repeat,
        baseline_accounts=args.baseline_accounts, baseline_repeat=args.baseline_repeat,
        parts=[part for part in PARTS if part in parts], guardrails_sizes=guardrails_sizes, guardrails_repeats=guardrails_repeats,
        latency_accounts=args.latency_accounts, latency_ms=args.latency_ms, latency_concurrency=latency_concurrency,
        latency_repeat=args.latency_repeat or default_repeat(args.latency_accounts),
        controller_sizes=sorted({size for size in _int_list(args.controller_sizes, "controller-sizes") if size > 0}),
        controller_slice_accounts=args.controller_slice_accounts, controller_slices=args.controller_slices,
        controller_per_host_accounts=args.controller_per_host_accounts, controller_raised_limit=args.controller_raised_limit,
        collections=collections,
        output=None if args.output == "-" else (pathlib.Path.cwd() / args.output).resolve(),
        json_output=(pathlib.Path.cwd() / args.json).resolve() if args.json else None,
        keep=args.keep,
    )


# ---------------------------------------------------------------------------
# Measuring a process


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:
        return None


def _peak_rss_kib(pid: int) -> int | None:
    """The kernel's high-water mark of the process's resident set (VmHWM), in KiB."""
    status = _read(f"/proc/{pid}/status")
    if status is None:
        return None
    match = re.search(rb"^VmHWM:\s+(\d+) kB", status, re.MULTILINE)
    return int(match.group(1)) if match else None


def _cpu_s(pid: int) -> float | None:
    """User and system CPU time of a live process (utime and stime in /proc/PID/stat)."""
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    fields = stat[stat.rindex(b")") + 2:].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _runqueue_waits_ns(pid: int) -> dict:
    """{thread id: nanoseconds it waited, runnable, for a CPU} of a process's threads (the second field of
    /proc/PID/task/TID/schedstat); empty when the kernel does not keep them."""
    waits = {}
    try:
        threads = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return waits
    for thread in threads:
        stat = _read(f"/proc/{pid}/task/{thread}/schedstat")
        if stat and len(stat.split()) >= 2:
            waits[thread] = int(stat.split()[1])
    return waits


def _parent(pid: int) -> int | None:
    stat = _read(f"/proc/{pid}/stat")
    if stat is None:
        return None
    return int(stat[stat.rindex(b")") + 2:].split()[1])


class PeakRss:
    """Peak RSS of a process and of the Ansible module processes among its descendants.

    Ansible runs a module as ``python .../AnsiballZ_<module>.py`` in a child process of its worker; the
    modules measured here are root_credentials_info and root_credentials (and, by their own pattern,
    root_task_guardrails_info).
    While the command runs, /proc is scanned every ``interval`` seconds for such processes that
    descend from ``root`` (other Ansible runs on the machine are left out), and the kernel's
    high-water mark of each one's resident set (VmHWM in /proc/PID/status) is read on every scan
    until it exits; so is the root process's. VmHWM never decreases and belongs to the process's
    own memory since its exec, so the last value read is its peak, except for growth in its last
    ``interval``. (wait4's ru_maxrss cannot serve: a child forked from this harness starts with the
    harness's own high-water mark.) Each scan also reads a module process's CPU time (utime + stime)
    and notes the time: its CPU and its lifetime are those of the last scan that found it, short by at
    most ``interval``; every ``WAIT_SCANS`` scans it reads how long each of its threads has waited,
    runnable, for a CPU (schedstat: a module that waits so is short of CPU, whether its own interpreter
    lock or other processes hold the CPUs). Without /proc (not Linux) nothing is measured."""

    WAIT_SCANS = 10

    def __init__(self, root: int, interval: float = 0.01, pattern: bytes = b"AnsiballZ_root_credentials"):
        self.root = root
        self.interval = interval
        self.pattern = pattern
        self.root_peak_kib = 0
        self.peaks: dict = {}
        self.cpu: dict = {}  # pid: CPU seconds at the last scan that found it
        self.seen: dict = {}  # pid: (first, last) time.monotonic() of the scans that found it
        self.waits: dict = {}  # pid: {thread id: runqueue wait (ns) at the last read}
        self._scans = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.available = os.path.isdir("/proc/self")

    def __enter__(self) -> "PeakRss":
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.available:
            self._thread.join()

    def _descends(self, pid: int) -> bool:
        for _depth in range(32):
            parent = _parent(pid)
            if parent is None or parent <= 1:
                return False
            if parent == self.root:
                return True
            pid = parent
        return False

    def _run(self) -> None:
        ignored = {os.getpid(), self.root}
        while not self._stop.is_set():
            self.root_peak_kib = max(self.root_peak_kib, _peak_rss_kib(self.root) or 0)
            for name in os.listdir("/proc"):
                if not name.isdigit():
                    continue
                pid = int(name)
                if pid in ignored:
                    continue
                if pid in self.peaks:
                    self.peaks[pid] = max(self.peaks[pid], _peak_rss_kib(pid) or 0)
                    self._sample_cpu(pid)
                    continue
                cmdline = _read(f"/proc/{pid}/cmdline")
                if not cmdline:
                    continue
                program = os.path.basename(cmdline.split(b"\0", 1)[0])
                if self.pattern in cmdline and program.startswith(b"python"):
                    if self._descends(pid):
                        self.peaks[pid] = _peak_rss_kib(pid) or 0
                        self._sample_cpu(pid)
                    else:
                        ignored.add(pid)
                elif self.pattern not in cmdline and b"ansible" not in cmdline:
                    ignored.add(pid)  # never a module; Ansible's own forks are looked at again (they exec)
            self._scans += 1
            self._stop.wait(self.interval)

    def _sample_cpu(self, pid: int) -> None:
        cpu = _cpu_s(pid)
        if cpu is None:
            return
        now = time.monotonic()
        self.cpu[pid] = cpu
        self.seen[pid] = (self.seen.get(pid, (now, now))[0], now)
        if self._scans % self.WAIT_SCANS == 0:
            self.waits.setdefault(pid, {}).update(_runqueue_waits_ns(pid))

    @property
    def module_wait_s(self) -> float | None:
        """How long the module processes' threads waited for a CPU, added up (None when the kernel does not say)."""
        waits = [wait for threads in self.waits.values() for wait in threads.values()]
        return sum(waits) / 1e9 if waits else None

    @property
    def module_cpu_s(self) -> float | None:
        """The CPU time of the module processes, added up."""
        return sum(self.cpu.values()) if self.cpu else None

    @property
    def module_wall_s(self) -> float | None:
        """The time module processes were running, from the first seen to the last (they overlap in per-host mode)."""
        if not self.seen:
            return None
        return max(last for _first, last in self.seen.values()) - min(first for first, _last in self.seen.values())

    @property
    def root_peak_mib(self) -> float | None:
        return self.root_peak_kib / 1024 if self.root_peak_kib else None

    @property
    def module_peak_mib(self) -> float | None:
        return max(self.peaks.values()) / 1024 if self.peaks else None

    @property
    def module_processes(self) -> int:
        return len(self.peaks)


@dataclasses.dataclass
class Measured:
    returncode: int
    wall_s: float
    cpu_s: float  # user + system of the process and the descendants it waited for (wait4)
    peak_rss_mib: float | None  # the process's own peak RSS
    module_peak_rss_mib: float | None  # the largest peak RSS of the module processes among its descendants
    module_processes: int
    stdout: str
    log: pathlib.Path
    module_cpu_s: float | None = None  # CPU time of the module processes (PeakRss)
    module_wall_s: float | None = None  # from the first scan that found a module process to the last
    module_wait_s: float | None = None  # how long the module processes' threads waited for a CPU


def run_measured(command: list, env: dict, log: pathlib.Path, timeout: float, pattern: bytes = b"AnsiballZ_root_credentials") -> Measured:
    """Run ``command``; wall time from start to exit; CPU time from wait4; peak RSS from PeakRss (the module
    processes whose command line holds ``pattern``)."""
    with open(log, "wb") as stderr, tempfile.TemporaryFile() as stdout:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=stdout, stderr=stderr,  # pylint: disable=consider-using-with
                                   start_new_session=True)
        timer = threading.Timer(timeout, lambda: os.killpg(process.pid, signal.SIGKILL))
        timer.start()
        try:
            with PeakRss(process.pid, pattern=pattern) as memory:
                _pid, status, usage = os.wait4(process.pid, 0)
        finally:
            timer.cancel()
        wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        stdout.seek(0)
        output = stdout.read().decode("utf-8", "replace")
    with open(log, "ab") as handle:
        handle.write(b"\n--- stdout ---\n" + output.encode())
    if process.returncode != 0:
        tail = "\n".join(output.splitlines()[-15:])
        raise BenchError(f"{shlex.join(map(str, command[:3]))} ... exited {process.returncode} (log: {log}):\n{tail}")
    return Measured(process.returncode, wall, usage.ru_utime + usage.ru_stime, memory.root_peak_mib, memory.module_peak_mib,
                    memory.module_processes, output, log, memory.module_cpu_s, memory.module_wall_s,
                    memory.module_wait_s)


# ---------------------------------------------------------------------------
# The emulator in its own process


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_environment() -> dict:
    return {key: value for key, value in os.environ.items()
            if not key.startswith(("AWS_", "MOTO_", "ANSIBLE_", "BENCH_")) and key not in ("PYTHONPATH",)}


class Emulator:
    """``python -m rootguard_emulator serve`` in a process of its own."""

    def __init__(self, workdir: pathlib.Path):
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.command = [sys.executable, "-m", "rootguard_emulator", "serve", "--port", str(self.port), "--quiet"]
        env = dict(clean_environment(), PYTHONPATH=str(EMULATOR_DIR))
        self._log = open(workdir / "emulator.log", "wb")  # pylint: disable=consider-using-with
        self.process = subprocess.Popen(self.command, env=env, cwd=ROOT, stdout=self._log,  # pylint: disable=consider-using-with
                                        stderr=subprocess.STDOUT, start_new_session=True)
        # Seeding 10,000 accounts on a busy machine takes longer than the client's usual 120 s.
        self.client = EmulatorClient(self.endpoint, timeout_s=CONTROL_TIMEOUT_S)
        deadline = time.monotonic() + 60
        while True:
            if self.process.poll() is not None:
                raise BenchError(f"the emulator exited {self.process.returncode}; see {workdir / 'emulator.log'}")
            try:
                self.client.organization()
                break
            except (urllib.error.URLError, ConnectionError):
                if time.monotonic() > deadline:
                    raise BenchError("the emulator did not answer within 60 s") from None
                time.sleep(0.1)

    def cpu_s(self) -> float | None:
        return _cpu_s(self.process.pid)

    def rss_mib(self) -> tuple:
        status = _read(f"/proc/{self.process.pid}/status") or b""
        values = {}
        for key in (b"VmRSS", b"VmHWM"):
            match = re.search(rb"^" + key + rb":\s+(\d+) kB", status, re.MULTILINE)
            values[key.decode()] = int(match.group(1)) / 1024 if match else None
        return values["VmRSS"], values["VmHWM"]

    def fresh_organization(self, accounts: int, prepare=None) -> tuple:
        """Reset, then seed ``accounts`` members with full root credentials, then ``prepare(truth)`` when given (the
        seed time includes it); (truth, reset s, seed s)."""
        started = time.perf_counter()
        self.client.reset()
        reset = time.perf_counter() - started
        started = time.perf_counter()
        truth = self.client.seed(accounts=accounts, profile="full", features=FEATURES, trusted_access=True)
        if prepare is not None:
            prepare(truth)
        seeded = time.perf_counter() - started
        self.client.clear_requests()
        return truth, reset, seeded

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()


# ---------------------------------------------------------------------------
# Runs


@dataclasses.dataclass
class Run:
    kind: str  # audit | removal | password | per_host | baseline | guardrails
    runner: str  # ansible | ceiling | bash
    accounts: int
    repetition: int
    wall_s: float
    cpu_s: float
    emulator_cpu_s: float | None
    module_peak_rss_mib: float | None
    process_peak_rss_mib: float | None
    module_processes: int
    reset_s: float
    seed_s: float
    calls_total: int
    calls_members: int
    calls_management: int
    minimum_member_calls: int | None
    by_action: dict
    facts: dict = dataclasses.field(default_factory=dict)  # of the guardrails runs: its organization and what it found

    @property
    def calls_per_account(self) -> float:
        return self.calls_members / self.accounts

    @property
    def ms_per_account(self) -> float:
        return 1000 * self.wall_s / self.accounts


def minimum_member_calls(truth: dict, kind: str) -> int | None:
    """The fewest calls the work needs in the member accounts (see root_credentials.py)."""
    if kind.startswith("controller"):
        kind = "audit"
    if kind not in ("audit", "removal", "password", "per_host", "latency"):
        return None
    total = 0
    for account in truth["accounts"]:
        if account["state"] != "ACTIVE":
            continue
        root = account["root_user"]
        if kind == "password":
            total += 1 + 1 + int(root["password"])  # AssumeRoot, GetLoginProfile, DeleteLoginProfile
            continue
        total += 1 + 4  # AssumeRoot; GetLoginProfile, ListAccessKeys, ListSigningCertificates, ListMFADevices
        if kind in ("audit", "per_host", "latency"):
            total += len(root["access_keys"])  # GetAccessKeyLastUsed
        else:
            devices = [device for device in root["mfa_devices"] if device["enabled"]]
            total += (len(root["access_keys"]) + len(root["signing_certificates"]) + len(devices)
                      + sum(device["type"] == "virtual" for device in devices) + int(root["password"]))
    return total


class Bench:
    def __init__(self, settings: Settings, workdir: pathlib.Path):
        self.settings = settings
        self.workdir = workdir
        self.runs: list = []
        self.notes: list = []
        self.emulator = Emulator(workdir)
        bindir = os.path.dirname(sys.executable)
        self.path = os.pathsep.join([bindir, os.environ.get("PATH", os.defpath)])
        self.ansible_playbook = shutil.which("ansible-playbook", path=bindir) or shutil.which("ansible-playbook")
        self.aws = shutil.which("aws", path=bindir) or shutil.which("aws")
        self.jq = shutil.which("jq", path=self.path)
        if not self.ansible_playbook:
            raise SystemExit("ansible-playbook is not installed")

    # environments -----------------------------------------------------------
    def aws_environment(self) -> dict:
        return {"AWS_ENDPOINT_URL": self.emulator.endpoint, "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_DEFAULT_REGION": REGION, "AWS_PAGER": ""}

    def ansible_environment(self) -> dict:
        env = dict(clean_environment(), PATH=self.path, **self.aws_environment())
        env.update(
            ANSIBLE_COLLECTIONS_PATH=str(self.settings.collections),
            ANSIBLE_LOCALHOST_WARNING="false",
            ANSIBLE_INVENTORY_UNPARSED_WARNING="false",
            ANSIBLE_NOCOLOR="true",
            ANSIBLE_RETRY_FILES_ENABLED="false",
            ANSIBLE_HOME=str(self.workdir / "ansible-home"),
            ANSIBLE_LOCAL_TEMP=str(self.workdir / "ansible-tmp"),
        )
        return env

    def cli_environment(self) -> dict:
        home = self.workdir / "home"
        home.mkdir(exist_ok=True)
        return {"PATH": self.path, "HOME": str(home), **self.aws_environment()}

    # one run ----------------------------------------------------------------
    def measure(self, kind: str, runner: str, accounts: int, repetition: int, command: list, env: dict, prepare=None) -> tuple:
        truth, reset, seeded = self.emulator.fresh_organization(accounts, prepare)
        log = self.workdir / f"{kind}-{runner}-{accounts}-{repetition}.log"
        timeout = 600 + 2.0 * accounts
        cpu_before = self.emulator.cpu_s()
        measured = run_measured(command, env, log, timeout, MODULE_PATTERNS.get(kind, b"AnsiballZ_root_credentials"))
        cpu_after = self.emulator.cpu_s()
        requests = self.emulator.client.requests()
        management = truth["management_account_id"]
        calls_management = requests["by_account"].get(management, 0)
        rejected = [entry for entry in requests["entries"] if entry.get("rejected")]
        if rejected:
            raise BenchError(f"{kind}/{runner}: {len(rejected)} calls were rejected, the first: {rejected[0]}")
        run = Run(
            kind=kind, runner=runner, accounts=accounts, repetition=repetition,
            wall_s=measured.wall_s, cpu_s=measured.cpu_s,
            emulator_cpu_s=None if cpu_before is None or cpu_after is None else cpu_after - cpu_before,
            module_peak_rss_mib=measured.module_peak_rss_mib if runner == "ansible" else measured.peak_rss_mib,
            process_peak_rss_mib=measured.peak_rss_mib, module_processes=measured.module_processes if runner == "ansible" else 1,
            reset_s=reset, seed_s=seeded,
            calls_total=requests["count"], calls_members=requests["count"] - calls_management, calls_management=calls_management,
            minimum_member_calls=minimum_member_calls(truth, kind), by_action=requests["by_action"],
        )
        self.runs.append(run)
        rss = f"{run.module_peak_rss_mib:.0f} MiB" if run.module_peak_rss_mib is not None else "n/a"
        print(f"  {kind:8} {runner:8} {accounts:5} accounts #{repetition + 1}: {run.wall_s:7.2f} s "
              f"({run.ms_per_account:6.1f} ms/account), {run.calls_per_account:.2f} calls/account"
              f"{'' if run.minimum_member_calls is None else f' (min {run.minimum_member_calls / accounts:.2f})'}"
              f" + {run.calls_management} in the management account, peak RSS {rss}, seed {seeded:.2f} s", flush=True)
        return run, truth, measured

    def summary_file(self, name: str) -> pathlib.Path:
        path = self.workdir / f"{name}.json"
        if path.exists():
            path.unlink()
        return path

    def playbook(self, name: str, summary: pathlib.Path, extra: list = (), **variables) -> list:
        variables = {"concurrency": self.settings.concurrency, "summary_file": str(summary), **variables}
        return [self.ansible_playbook, *extra, str(HERE / "playbooks" / name), "-e", json.dumps(variables)]

    def ceiling(self, task: str) -> list:
        return [sys.executable, str(HERE / "ceiling.py"), "--task", task, "--concurrency", str(self.settings.concurrency)]

    # checks (results, not timings) ----------------------------------------------
    def check_removed(self, truth: dict, kind: str, runner: str) -> None:
        members = [account["id"] for account in truth["accounts"]]
        for account_id in sorted({members[0], members[len(members) // 2], members[-1]}):
            left = self.emulator.client.root_user(account_id)
            if left["password"] if kind == "password" else left["has_credentials"]:
                raise BenchError(f"{kind}/{runner}: account {account_id} still has root credentials: {left}")

    @staticmethod
    def check_summary(summary: dict, kind: str, runner: str, expected: dict) -> None:
        wrong = {key: summary.get(key) for key, value in expected.items() if summary.get(key) != value}
        if wrong:
            raise BenchError(f"{kind}/{runner}: expected {expected}, got {summary}")

    # the parts --------------------------------------------------------------
    def bulk(self, size: int, repetition: int) -> None:
        runners = ("ansible", "ceiling") if repetition % 2 == 0 else ("ceiling", "ansible")
        for kind in ("audit", "removal"):
            for runner in runners:
                if runner == "ansible":
                    summary = self.summary_file(f"{kind}-summary")
                    _run, truth, _measured = self.measure(kind, runner, size, repetition, self.playbook(f"{kind}.yml", summary),
                                                          self.ansible_environment())
                    result = json.loads(summary.read_text())
                else:
                    _run, truth, measured = self.measure(kind, runner, size, repetition, self.ceiling(kind),
                                                         dict(clean_environment(), PATH=self.path, **self.aws_environment()))
                    result = json.loads(measured.stdout.strip().splitlines()[-1])
                if kind == "audit":
                    self.check_summary(result, kind, runner, {"ok": size} if runner == "ceiling" else {"ok": size, "failed": 0})
                else:
                    self.check_summary(result, kind, runner, {"changed": size} if runner == "ceiling" else {"changed": size, "failed": 0})
                    self.check_removed(truth, kind, runner)
        summary = self.summary_file("password-summary")
        _run, truth, _measured = self.measure("password", "ansible", size, repetition,
                                              self.playbook("removal.yml", summary, credential_types=["password"]), self.ansible_environment())
        self.check_summary(json.loads(summary.read_text()), "password", "ansible", {"changed": size, "failed": 0})
        self.check_removed(truth, "password", "ansible")

    def per_host(self, repetition: int, accounts: int | None = None, kind: str = "per_host") -> None:
        accounts = accounts or self.settings.per_host_accounts
        summary = self.summary_file("per-host-summary")
        inventory = HERE / "inventory" / "bench.organization_accounts.yml"
        command = self.playbook("per_host.yml", summary, ["-i", str(inventory), "-f", str(self.settings.per_host_forks)])
        self.measure(kind, "ansible", accounts, repetition, command, self.ansible_environment())
        summaries = json.loads(summary.read_text())
        if len(summaries) != accounts or any(item["ok"] != 1 or item["failed"] for item in summaries):
            raise BenchError(f"per_host: expected {accounts} hosts with one ok account each, got {summaries[:3]} ...")

    def baseline(self, repetition: int) -> None:
        if hashlib.sha256(BASELINE_LOOP.encode()).hexdigest() != BASELINE_LOOP_SHA256:
            raise BenchError("the baseline loop is not the article's")
        script = self.workdir / "delete-root-passwords.sh"
        script.write_text(BASELINE_LOOP, encoding="utf-8")
        accounts = self.settings.baseline_accounts
        run, _truth, _measured = self.measure("baseline", "bash", accounts, repetition, ["bash", str(script)], self.cli_environment())
        deleted = run.by_action.get("iam:DeleteLoginProfile", 0)
        if deleted != accounts:
            raise BenchError(f"baseline: {deleted} login profiles deleted, expected {accounts}")

    def guardrails(self, size: int, repetition: int) -> None:
        built = {}

        def prepare(truth: dict) -> None:
            built.update(guardrails_org.build(self.emulator.endpoint, truth))

        summary = self.summary_file("guardrails-summary")
        run, _truth, _measured = self.measure("guardrails", "ansible", size, repetition,
                                              self.playbook("guardrails.yml", summary, regions=GUARDRAILS_REGIONS),
                                              self.ansible_environment(), prepare)
        result = json.loads(summary.read_text())
        blocked = guardrails_org.expected_blocked(built)
        checked = {"accounts": size + 1, "policy_types_enabled": [guardrails_org.SCP, guardrails_org.RCP]}
        self.check_summary(result, "guardrails", "ansible", checked)
        if result["summary"][guardrails_org.DELETE_TASK]["blocked"] != blocked:
            raise BenchError(f"guardrails: expected {blocked} accounts blocked for {guardrails_org.DELETE_TASK}, got {result['summary']}")
        writes = [name for name in run.by_action if not name.split(":")[1].startswith(("List", "Describe", "Get"))]
        if writes or run.calls_members:
            raise BenchError(f"guardrails: a call that is no read, or a call in a member account: {run.by_action}")
        run.facts = {"ous": built["ous"], "policies": result["policies"], "attachments": built["attachments"],
                     "blocked": blocked, "summary": result["summary"], "remedies": result["remedies"],
                     "aws_listing_pages": guardrails_org.listing_pages(self.emulator.endpoint)}

    def latency(self, concurrency: int, repetition: int) -> None:
        """The bulk audit with the emulator's delay on every AWS call (set after the seeding, which the control API does
        undelayed; the next run's reset takes it off). Checked: every account ok, the delay in force, the minimum calls,
        and a wall time no shorter than the member calls' delays spread over ``concurrency`` workers."""
        settings = self.settings
        accounts = settings.latency_accounts
        in_force = {}

        def prepare(_truth: dict) -> None:
            in_force.update(self.emulator.client.set_latency(settings.latency_ms))

        summary = self.summary_file("latency-summary")
        run, _truth, measured = self.measure("latency", "ansible", accounts, repetition,
                                             self.playbook("audit.yml", summary, concurrency=concurrency), self.ansible_environment(), prepare)
        self.check_summary(json.loads(summary.read_text()), "latency", "ansible", {"ok": accounts, "failed": 0})
        floor = run.calls_members * settings.latency_ms / 1000 / concurrency
        if in_force.get("milliseconds") != settings.latency_ms or run.wall_s < floor:
            raise BenchError(f"latency: the delay was not in force ({in_force}; {run.wall_s:.2f} s against at least {floor:.2f} s)")
        if run.calls_members != run.minimum_member_calls:
            raise BenchError(f"latency: {run.calls_members} calls in the members, expected {run.minimum_member_calls}")
        run.facts = {"concurrency": concurrency, "latency_ms": settings.latency_ms,
                     "module_cpu_s": measured.module_cpu_s, "module_wall_s": measured.module_wall_s, "module_wait_s": measured.module_wait_s}
        print(f"    at concurrency {concurrency}: {accounts / run.wall_s:.1f} accounts/s, client CPU {run.cpu_s:.1f} s "
              f"(module {_fmt(measured.module_cpu_s, 1)} s over {_fmt(measured.module_wall_s, 1)} s)", flush=True)

    def run(self) -> None:
        settings = self.settings
        if "modules" in settings.parts:
            self.run_modules()
        if "guardrails" in settings.parts:
            for size in settings.guardrails_sizes:
                print(f"guardrails: {size} accounts, {settings.guardrails_repeats[size]} run(s)", flush=True)
                for repetition in range(settings.guardrails_repeats[size]):
                    self.guardrails(size, repetition)
        if "latency" in settings.parts:
            print(f"latency: {settings.latency_accounts} accounts, {settings.latency_ms:g} ms per call, concurrency "
                  f"{', '.join(map(str, settings.latency_concurrency))}, {settings.latency_repeat} run(s) of each", flush=True)
            for repetition in range(settings.latency_repeat):
                order = settings.latency_concurrency if repetition % 2 == 0 else settings.latency_concurrency[::-1]
                for concurrency in order:
                    self.latency(concurrency, repetition)
        if "controller" in settings.parts:
            self.run_controller()

    def run_modules(self) -> None:
        settings = self.settings
        if settings.baseline_accounts and settings.baseline_repeat:
            if not self.jq or not self.aws:
                self.notes.append(f"The baseline was not run: {'jq' if not self.jq else 'the AWS CLI'} is not installed.")
                print(f"baseline: skipped ({self.notes[-1]})", flush=True)
            else:
                print(f"baseline: {settings.baseline_accounts} accounts, {settings.baseline_repeat} run(s)", flush=True)
                for repetition in range(settings.baseline_repeat):
                    self.baseline(repetition)
        if settings.per_host_accounts and settings.per_host_repeat:
            print(f"per-host: {settings.per_host_accounts} accounts, forks {settings.per_host_forks}, "
                  f"{settings.per_host_repeat} run(s)", flush=True)
            for repetition in range(settings.per_host_repeat):
                self.per_host(repetition)
        for size in settings.sizes:
            print(f"bulk: {size} accounts, {settings.repeats[size]} run(s) of each", flush=True)
            for repetition in range(settings.repeats[size]):
                self.bulk(size, repetition)

    # the controller part (controller_part.py) -------------------------------------
    def run_controller(self) -> None:
        """Today's per-host mode at a small size, then per size the audit as one controller job on a fresh organization,
        and at the slicing size, on the same organization, the per-account audit as one job and as slices."""
        settings = self.settings
        if settings.controller_per_host_accounts:
            print(f"controller: today's per-host mode at {settings.controller_per_host_accounts} accounts", flush=True)
            self.per_host(0, settings.controller_per_host_accounts, "controller_today")
            self.checkpoint()
        sizes = sorted(set(settings.controller_sizes) | ({settings.controller_slice_accounts} - {0}))
        for size in sizes:
            truth, seed_s, injected = self.controller_organization(size)
            if size in settings.controller_sizes or size == settings.controller_slice_accounts:
                self.controller_audit(truth, seed_s, injected)
            if size == settings.controller_slice_accounts:
                self.controller_slicing(truth, seed_s, injected)

    def checkpoint(self) -> None:
        """Called after every controller job: main() rewrites the part's block with the jobs so far, so that a run stopped
        part-way leaves its figures."""

    def controller_organization(self, size: int) -> tuple:
        """A fresh organization of ``size`` members and the credential the controller injects (temporary credentials of
        an automation role of the management account, controller_support.automation_credentials): (truth, seed s, injected)."""
        credentials = {}

        def prepare(_truth: dict) -> None:
            credentials.update(controller_support.automation_credentials(self.emulator.endpoint))

        print(f"controller: seeding {size} accounts", flush=True)
        truth, _reset, seeded = self.emulator.fresh_organization(size, prepare)
        return truth, seeded, controller_support.SESSION_TOKEN.environment(credentials)

    def controller_job(self, kind: str, playbook: str, inventory: dict, truth: dict, account_ids: list, seed_s: float, injected: dict,
                       max_event_res: int = controller_support.MAX_EVENT_RES) -> tuple:
        """One controller job (controller_job.py) over ``inventory``, measured like every run here; the request log is
        cleared first. (Run, its private data directory); the Run's facts hold what its job events say (controller_part.job_facts)."""
        ident = str(sum(run.kind.startswith("controller_") and run.kind != "controller_today" for run in self.runs) + 1)
        private_data_dir = self.workdir / "controller" / f"job-{ident}"
        (private_data_dir / "project").mkdir(parents=True)
        (private_data_dir / "env").mkdir()
        (private_data_dir / "project" / f"{playbook}.yml").write_text(f"- ansible.builtin.import_playbook: rootguard.aws.{playbook}\n")
        template_name = playbook.replace("_", " ").capitalize()
        (private_data_dir / "env" / "extravars").write_text(controller_support.extravars_text({}, {}, controller_support.meta_vars(int(ident), template_name)))
        (private_data_dir / "env" / "settings").write_text(json.dumps({"job_timeout": 0, "suppress_ansible_output": True}))
        inventory_file = self.workdir / "controller" / f"inventory-{ident}.json"
        inventory_file.write_text(json.dumps(inventory))
        envvars = {"AWS_ENDPOINT_URL": self.emulator.endpoint, **injected, "MAX_EVENT_RES": str(max_event_res), "JOB_ID": ident,
                   "INVENTORY_ID": "1", "ANSIBLE_RETRY_FILES_ENABLED": "False", "ANSIBLE_LOCAL_TEMP": str(private_data_dir / "tmp")}
        spec = self.workdir / "controller" / f"job-{ident}.json"
        spec.write_text(json.dumps({"private_data_dir": str(private_data_dir), "ident": ident, "playbook": f"{playbook}.yml",
                                    "inventory": str(inventory_file), "envvars": envvars, "forks": self.settings.per_host_forks}))
        env = {key: value for key, value in self.ansible_environment().items() if not key.startswith("AWS_")}
        self.emulator.client.clear_requests()
        log = self.workdir / f"{kind}-{ident}.log"
        cpu_before = self.emulator.cpu_s()
        measured = run_measured([sys.executable, str(HERE / "controller_job.py"), str(spec)], env, log, 1200 + 2.0 * len(account_ids))
        cpu_after = self.emulator.cpu_s()
        requests = self.emulator.client.requests()
        calls_management = requests["by_account"].get(truth["management_account_id"], 0)
        rejected = [entry for entry in requests["entries"] if entry.get("rejected")]
        if rejected:
            raise BenchError(f"{kind}: {len(rejected)} calls were rejected, the first: {rejected[0]}")
        chosen = set(account_ids)
        run = Run(kind=kind, runner="ansible-runner", accounts=len(account_ids), repetition=0, wall_s=measured.wall_s, cpu_s=measured.cpu_s,
                  emulator_cpu_s=None if cpu_before is None or cpu_after is None else cpu_after - cpu_before,
                  module_peak_rss_mib=measured.module_peak_rss_mib, process_peak_rss_mib=measured.peak_rss_mib,
                  module_processes=measured.module_processes, reset_s=0.0, seed_s=seed_s, calls_total=requests["count"],
                  calls_members=requests["count"] - calls_management, calls_management=calls_management,
                  minimum_member_calls=minimum_member_calls({"accounts": [a for a in truth["accounts"] if a["id"] in chosen]}, kind),
                  by_action=requests["by_action"], facts=controller_part.job_facts(private_data_dir / "artifacts" / ident))
        self.runs.append(run)
        print(f"  {kind:18} {run.accounts:6} accounts: {run.wall_s:7.1f} s, client CPU {run.cpu_s:6.1f} s, {run.calls_per_account:.2f} calls/account"
              f" (min {run.minimum_member_calls / run.accounts:.2f}) + {calls_management} in the management account, largest result "
              f"{run.facts['largest_chars']:,} ({run.facts['largest_task']}), {run.facts['replaced_count']} stored as {{}}", flush=True)
        return run, private_data_dir

    def controller_audit(self, truth: dict, seed_s: float, injected: dict) -> None:
        """audit_organization.yml as one job on the controller's localhost inventory; checked: the JSON report lists every
        member and the management account. When a result was stored as {}, the same job again with the raised limit."""
        members = sorted(account["id"] for account in truth["accounts"])
        inventory = controller_support.DEMO_INVENTORY
        run, private_data_dir = self.controller_job("controller_audit", "audit_organization", inventory, truth, members, seed_s, injected)
        listed = controller_part.report_account_ids([private_data_dir / "project" / "reports" / "root-credentials-audit.json"])
        member_set = set(members)
        run.facts.update(report_members=sum(account in member_set for account in listed), report_others=sum(account not in member_set for account in listed),
                         every_account=sorted(account for account in listed if account in member_set) == members
                         and set(listed) - member_set == {truth["management_account_id"]})
        if not run.facts["every_account"]:
            raise BenchError(f"controller_audit: the JSON report lists {run.facts['report_members']} of {len(members)} members")
        if run.facts["replaced_count"] and self.settings.controller_raised_limit:
            raised, _dir = self.controller_job("controller_raised", "audit_organization", inventory, truth, members, seed_s, injected,
                                               self.settings.controller_raised_limit)
            run.facts["raised"] = raised.facts
        self.checkpoint()

    def inventory_export(self) -> dict:
        """The organization_accounts inventory as ``ansible-inventory --list --export`` gives it (AWX's inventory update)."""
        inventory = HERE / "inventory" / "bench.organization_accounts.yml"
        command = [os.path.join(os.path.dirname(self.ansible_playbook), "ansible-inventory"), "-i", str(inventory), "--list", "--export"]
        done = subprocess.run(command, env=self.ansible_environment(), cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False)
        if done.returncode != 0:
            raise BenchError(f"ansible-inventory exited {done.returncode}: {done.stderr[-2000:]}")
        return json.loads(done.stdout)

    def controller_slicing(self, truth: dict, seed_s: float, injected: dict) -> None:
        """audit_accounts_per_host.yml over the organization_accounts inventory, as one job and as
        ``controller_slices`` slices one after the other (controller_part.slice_inventory). Checked, of the one job and of
        the slices together: every member account listed once by the JSON reports of the runs, every host one outcome."""
        members = sorted(account["id"] for account in truth["accounts"] if account["state"] == "ACTIVE")
        export = self.inventory_export()
        if controller_part.inventory_hosts(export) != members:
            raise BenchError(f"the inventory lists {len(controller_part.inventory_hosts(export))} hosts, the organization {len(members)} members")
        count = self.settings.controller_slices
        jobs = [("controller_whole", 1, 1)] + [("controller_slice", number, count) for number in range(1, count + 1)]
        listed, slices = [], []
        for kind, number, of in jobs:
            inventory = controller_part.slice_inventory(export, number, of)
            hosts = sorted(inventory["all"]["hosts"])
            run, private_data_dir = self.controller_job(kind, "audit_accounts_per_host", inventory, truth, hosts, seed_s, injected)
            reports = sorted((private_data_dir / "project" / "reports" / "runs").glob("*/root-credentials-audit.json"))
            ids = [account for account in controller_part.report_account_ids(reports) if account in set(members)]
            outcomes = run.facts["outcomes"]
            run.facts.update(slice=number, handled=len(ids), reports=len(reports),
                             exactly_once=sorted(ids) == hosts and sorted(outcomes) == hosts and set(outcomes.values()) == {1})
            if not run.facts["exactly_once"]:
                raise BenchError(f"{kind} {number}: {len(ids)} report listings and {len(outcomes)} hosts with an outcome for {len(hosts)} hosts")
            if kind == "controller_slice":
                listed += ids
                slices.append(run)
            self.checkpoint()
        once = sorted(listed) == members
        for run in slices:
            run.facts["slices_exactly_once"] = once
        if not once:
            raise BenchError(f"the slices listed {len(listed)} accounts ({len(set(listed))} distinct) of {len(members)}")
        self.checkpoint()


# ---------------------------------------------------------------------------
# Facts about the run


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


def _command_output(command: list) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=60, check=False, cwd=ROOT)
    except OSError:
        return ""
    return (done.stdout or done.stderr).strip()


def versions(settings: Settings, bench: Bench | None = None) -> dict:
    found = {"Python": platform.python_version()}
    for distribution in ("ansible-core", "boto3", "botocore", "moto", "werkzeug", "awscli"):
        found[distribution] = _version(distribution)
    manifest = settings.collections / "ansible_collections" / "amazon" / "aws" / "MANIFEST.json"
    try:
        found["amazon.aws"] = json.loads(manifest.read_text())["collection_info"]["version"]
    except (OSError, ValueError, KeyError):
        found["amazon.aws"] = "unknown"
    galaxy = (ROOT / "galaxy.yml").read_text(encoding="utf-8")
    match = re.search(r"^version:\s*(\S+)", galaxy, re.MULTILINE)
    commit = _command_output(["git", "rev-parse", "--short", "HEAD"])
    dirty = bool(_command_output(["git", "status", "--porcelain", "--untracked-files=no"]))
    found["rootguard.aws"] = f"{match.group(1) if match else 'unknown'} (commit {commit or 'unknown'}{', with uncommitted changes' if dirty else ''})"
    if bench is not None and bench.jq:
        found["jq"] = _command_output([bench.jq, "--version"])
    return found


def machine() -> dict:
    cpuinfo = (_read("/proc/cpuinfo") or b"").decode(errors="replace")
    model = re.search(r"^model name\s*:\s*(.+)$", cpuinfo, re.MULTILINE)
    meminfo = (_read("/proc/meminfo") or b"").decode(errors="replace")
    memory = re.search(r"^MemTotal:\s+(\d+) kB", meminfo, re.MULTILINE)
    os_release = (_read("/etc/os-release") or b"").decode(errors="replace")
    pretty = re.search(r'^PRETTY_NAME="?([^"\n]+)"?', os_release, re.MULTILINE)
    return {
        "CPU": f"{model.group(1).strip() if model else platform.processor() or 'unknown'}, {os.cpu_count()} logical CPUs",
        "memory": f"{int(memory.group(1)) / 1024 / 1024:.1f} GiB" if memory else "unknown",
        "system": f"{pretty.group(1) if pretty else platform.system()}, kernel {platform.release()}",
    }


def loadavg() -> str:
    try:
        return " / ".join(f"{value:.2f}" for value in os.getloadavg())
    except OSError:
        return "unknown"


# ---------------------------------------------------------------------------
# The report


def _median(values) -> float | None:
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def _fmt(value, digits: int = 2, unit: str = "") -> str:
    if value is None:
        return "n/a"
    return f"{value:,.{digits}f}{unit}"


def _spread(values, digits: int = 2) -> str:
    values = [value for value in values if value is not None]
    if len(values) < 2:
        return ""
    return f" ({min(values):,.{digits}f}-{max(values):,.{digits}f})"


def _select(runs: list, **where) -> list:
    return [run for run in runs if all(getattr(run, key) == value for key, value in where.items())]


def _met(ok) -> str:
    if ok is None:
        return "not measured"
    return "met" if ok else "**not met**"


PATH_OPTIONS = ("--output", "--json", "--collections-path")


def shown_arguments(argv: list) -> list:
    """The harness's arguments as the report shows them: a path under the repository relative
    to it, any other path by its file name only (no machine paths in BENCHMARKS.md)."""

    def shown(value: str) -> str:
        path = (pathlib.Path.cwd() / value).resolve()
        return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else path.name

    result, takes_path = [], False
    for argument in argv:
        option, equals, value = argument.partition("=")
        if takes_path:
            argument = shown(argument)
        elif equals and option in PATH_OPTIONS:
            argument = f"{option}={shown(value)}"
        takes_path = argument in PATH_OPTIONS
        result.append(argument)
    return result


def machine_lines(bench: Bench, load_before: str, load_after: str, elapsed: float) -> list:
    lines = ["### Machine and versions", ""]
    for key, value in machine().items():
        lines.append(f"- {key}: {value}")
    lines.append(f"- load average (1/5/15 min): {load_before} before, {load_after} after; the harness took {elapsed / 60:.1f} min")
    lines.append("- " + ", ".join(f"{name} {version}" for name, version in versions(bench.settings, bench).items()))
    lines.append("")
    return lines


def invocation(argv: list) -> str:
    """The command that produced the figures, with the BENCH_ settings of its environment."""
    command = " ".join(["python tests/bench/bench.py", *map(shlex.quote, shown_arguments(argv))])
    env_settings = " ".join(f"{key}={shlex.quote(value)}" for key, value in sorted(os.environ.items())
                            if key.startswith("BENCH_") and key != "BENCH_COLLECTIONS_PATH")
    return f"{(env_settings + ' ') if env_settings else ''}{command}"


def report(bench: Bench, started: datetime.datetime, load_before: str, load_after: str, elapsed: float, argv: list) -> str:
    settings = bench.settings
    runs = [run for run in bench.runs if run.kind not in ("guardrails", "latency") and not run.kind.startswith("controller")]
    lines = [BEGIN, "", f"## Figures of the last run ({started:%Y-%m-%d %H:%M} UTC)", ""]
    lines += machine_lines(bench, load_before, load_after, elapsed)

    repeats = ", ".join(f"{size:,} accounts: {count}" for size, count in settings.repeats.items())
    lines += [
        "### How it was run", "",
        f"`{invocation(argv)}` (what `make bench` runs once the collection tree is built).",
        f"Runs per size: {repeats or 'none'}; per-host mode: {settings.per_host_repeat} run(s) at {settings.per_host_accounts} accounts; "
        f"baseline: {settings.baseline_repeat} run(s) at {settings.baseline_accounts} accounts. Figures are medians of the runs, "
        "with the range in parentheses when there were several; the runs of one size alternate between Ansible and the ceiling.",
        "",
        "Every run starts from a fresh organization on one emulator process (`python -m rootguard_emulator serve --port PORT --quiet`): "
        "`POST /moto-api/reset`, then `POST /moto-api/rootguard/seed` with "
        f"`{{\"accounts\": N, \"profile\": \"full\", \"features\": {json.dumps(FEATURES)}, \"trusted_access\": true}}` "
        "(every member account has a password, 2 access keys, a signing certificate, a virtual and a hardware MFA device), "
        "then `DELETE /moto-api/rootguard/requests`. The commands measured, with `AWS_ENDPOINT_URL=http://127.0.0.1:PORT "
        "AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1` in their environment:",
        "",
        f"- audit, Ansible: `ansible-playbook tests/bench/playbooks/audit.yml -e '{{\"concurrency\": {settings.concurrency}, \"summary_file\": \"...\"}}'` "
        "(one `rootguard.aws.root_credentials_info` task with `all_accounts: true`)",
        f"- removal, Ansible: `ansible-playbook tests/bench/playbooks/removal.yml -e '{{\"concurrency\": {settings.concurrency}, \"summary_file\": \"...\"}}'` "
        "(one `rootguard.aws.root_credentials` task, `state: absent`, every credential type)",
        f"- ceiling: `python tests/bench/ceiling.py --task audit|removal --concurrency {settings.concurrency}`",
        f"- per-host mode: `ansible-playbook -i tests/bench/inventory/bench.organization_accounts.yml -f {settings.per_host_forks} "
        "tests/bench/playbooks/per_host.yml -e ...`",
        "- baseline: `bash delete-root-passwords.sh`, the article's loop byte for byte (kept in tests/bench/bench.py), "
        "with the AWS CLI and jq",
        "",
        "Wall time is from the command's start to its exit, Ansible's start-up included. *Calls per account* are the emulator's "
        "request-log entries in the member accounts (AssumeRoot counts in its target) divided by the accounts; the calls in "
        "the management account (identity, organization walk, feature check) are counted apart, once per run. "
        "*Module peak RSS* is the high-water mark (VmHWM) of the `python AnsiballZ_<module>.py` process, read every 10 ms "
        "from /proc while the playbook runs (for per-host mode: the largest of all module processes); for the ceiling, the same "
        "of the ceiling's process; the table of every run also shows the controller's (`ansible-playbook`). "
        "*Client CPU* is the user and system time of the measured command and its descendants; "
        "*emulator CPU* is the emulator process's over the run, and *emulator busy* that divided by the wall time.",
        "",
    ]

    bulk_rows = []
    for size in settings.sizes:
        for kind in ("audit", "removal"):
            ansible = _select(runs, kind=kind, runner="ansible", accounts=size)
            ceiling = _select(runs, kind=kind, runner="ceiling", accounts=size)
            if ansible and ceiling:
                bulk_rows.append((size, kind, ansible, ceiling))

    if bulk_rows:
        lines += [
            "### Bulk modules against the ceiling", "",
            "| accounts | task | runs | Ansible wall (s) | ceiling wall (s) | Ansible / ceiling | Ansible ms/account | ceiling ms/account "
            "| calls/account (minimum) | management-account calls | module peak RSS (MiB) | ceiling peak RSS (MiB) "
            "| client CPU (s) Ansible / ceiling | emulator busy Ansible / ceiling |",
            "|---:|---|---:|---:|---:|---:|---:|---:|---|---:|---:|---:|---|---|",
        ]
        for size, kind, ansible, ceiling in bulk_rows:
            a_wall, c_wall = _median(r.wall_s for r in ansible), _median(r.wall_s for r in ceiling)
            calls = sorted({f"{r.calls_per_account:.2f}" for r in ansible + ceiling})
            minimum = ansible[0].minimum_member_calls / size
            busy_a = _median(r.emulator_cpu_s / r.wall_s for r in ansible if r.emulator_cpu_s is not None)
            busy_c = _median(r.emulator_cpu_s / r.wall_s for r in ceiling if r.emulator_cpu_s is not None)
            lines.append(
                f"| {size:,} | {kind} | {len(ansible)} | {_fmt(a_wall)}{_spread([r.wall_s for r in ansible])} "
                f"| {_fmt(c_wall)}{_spread([r.wall_s for r in ceiling])} | **{a_wall / c_wall:.2f}x** "
                f"| {_fmt(1000 * a_wall / size, 1)} | {_fmt(1000 * c_wall / size, 1)} "
                f"| {' / '.join(calls)} ({minimum:.2f}) | {'/'.join(sorted({str(r.calls_management) for r in ansible}))} "
                f"| {_fmt(max((r.module_peak_rss_mib or 0) for r in ansible) or None, 0)} "
                f"| {_fmt(max(r.module_peak_rss_mib for r in ceiling), 0)} "
                f"| {_fmt(_median(r.cpu_s for r in ansible), 1)} / {_fmt(_median(r.cpu_s for r in ceiling), 1)} "
                f"| {_fmt(None if busy_a is None else 100 * busy_a, 0, '%')} / {_fmt(None if busy_c is None else 100 * busy_c, 0, '%')} |"
            )
        lines += ["", "Module peak RSS is the largest of the runs, not the median.", ""]

    seeds = {}
    for run in runs:
        seeds.setdefault(run.accounts, []).append(run)
    if seeds:
        lines += ["### Seeding", "",
                  "| accounts | seeds | seed (s) | reset before it (s) |", "|---:|---:|---:|---:|"]
        for size in sorted(seeds):
            items = seeds[size]
            lines.append(f"| {size:,} | {len(items)} | {_fmt(_median(r.seed_s for r in items))}{_spread([r.seed_s for r in items])} "
                         f"| {_fmt(_median(r.reset_s for r in items))} |")
        lines.append("")

    per_host = _select(runs, kind="per_host")
    reference_size = 1000 if 1000 in settings.sizes else (max(settings.sizes) if settings.sizes else None)

    def bulk_ms(kind: str):
        if reference_size is None:
            return None
        items = _select(runs, kind=kind, runner="ansible", accounts=reference_size)
        return 1000 * _median(r.wall_s for r in items) / reference_size if items else None

    if per_host:
        n = per_host[0].accounts
        wall = _median(r.wall_s for r in per_host)
        ms = 1000 * wall / n
        audit_ms = bulk_ms("audit")
        lines += [
            "### Per-host mode", "",
            f"The audit as one module call per inventory host (`organization_accounts` inventory, forks {settings.per_host_forks}), "
            f"{n} accounts, {len(per_host)} run(s):", "",
            "| wall (s) | ms/account | calls/account in members (minimum) | calls/account in the management account | module processes "
            "| largest module peak RSS (MiB) | client CPU (s) | emulator busy |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
            f"| {_fmt(wall)}{_spread([r.wall_s for r in per_host])} | {_fmt(ms, 1)} "
            f"| {_fmt(_median(r.calls_per_account for r in per_host))} ({per_host[0].minimum_member_calls / n:.2f}) "
            f"| {_fmt(_median(r.calls_management / n for r in per_host))} | {per_host[0].module_processes} "
            f"| {_fmt(max((r.module_peak_rss_mib or 0) for r in per_host) or None, 0)} | {_fmt(_median(r.cpu_s for r in per_host), 1)} "
            f"| {_fmt(_median(100 * r.emulator_cpu_s / r.wall_s for r in per_host if r.emulator_cpu_s is not None), 0, '%')} |",
            "",
        ]
        if audit_ms:
            lines += [f"Per account that is {ms / audit_ms:.1f}x the bulk audit's time at {reference_size:,} accounts "
                      f"({_fmt(audit_ms, 1)} ms/account): the price of a module process per account.", ""]

    baseline = _select(runs, kind="baseline")
    speedup = None
    if baseline:
        n = baseline[0].accounts
        wall = _median(r.wall_s for r in baseline)
        ms = 1000 * wall / n
        removal_ms = bulk_ms("removal")
        lines += [
            "### Baseline: the bash loop", "",
            f"The article's loop deletes only the login profile, one account at a time (2 AWS CLI processes and 3 jq per account), "
            f"{n} accounts, {len(baseline)} run(s):", "",
            "| wall (s) | ms/account | calls/account | client CPU (s) |", "|---:|---:|---:|---:|",
            f"| {_fmt(wall)}{_spread([r.wall_s for r in baseline])} | {_fmt(ms, 0)} | {_fmt(_median(r.calls_per_account for r in baseline))} "
            f"| {_fmt(_median(r.cpu_s for r in baseline), 1)} |", "",
        ]
        password = _select(runs, kind="password", accounts=reference_size)
        password_ms = bulk_ms("password")
        if password_ms:
            speedup = ms / password_ms
            lines += [f"The same job with the module (`root_credentials`, `credential_types: [password]`; AssumeRoot, GetLoginProfile "
                      f"and DeleteLoginProfile: {_fmt(_median(r.calls_per_account for r in password))} calls per account, "
                      f"minimum {password[0].minimum_member_calls / reference_size:.2f}), {len(password)} run(s) at {reference_size:,} "
                      f"accounts: {_fmt(password_ms, 1)} ms per account, **{speedup:.0f}x faster per account**.", ""]
        if removal_ms:
            lines += [f"The full bulk removal, every credential type (12 calls per account against the loop's 2), takes "
                      f"{_fmt(removal_ms, 1)} ms per account at {reference_size:,} accounts: {ms / removal_ms:.0f}x the loop's speed "
                      "per account.", ""]
    for note in bench.notes:
        lines += [note, ""]

    lines += ["### Targets", "", "| target | figure | |", "|---|---|---|"]

    def ratio(kind: str, size: int):
        ansible = _select(runs, kind=kind, runner="ansible", accounts=size)
        ceiling = _select(runs, kind=kind, runner="ceiling", accounts=size)
        if not (ansible and ceiling):
            return None
        return _median(r.wall_s for r in ansible) / _median(r.wall_s for r in ceiling)

    for kind in ("audit", "removal"):
        value = ratio(kind, 1000)
        lines.append(f"| {kind} of 1,000 accounts within 1.5x of the ceiling | {_fmt(value)}x | {_met(None if value is None else value <= 1.5)} |")
    bulk_runs = [run for run in runs if run.kind in ("audit", "removal", "password")]
    if bulk_runs:
        extra = [run for run in bulk_runs if run.calls_members != run.minimum_member_calls]
        lines.append("| calls per account equal to the minimum (audit 7, removal 12, password only 3 for `full` accounts) "
                     f"| {len(bulk_runs) - len(extra)} of {len(bulk_runs)} bulk runs at the minimum | {_met(not extra)} |")
    else:
        lines.append("| calls per account equal to the minimum | | not measured |")
    lines.append(f"| at least 50x faster per account than the bash loop (the same job: the password) | {_fmt(speedup, 0)}x "
                 f"| {_met(None if speedup is None else speedup >= 50)} |")
    big = [run for run in runs if run.accounts == 5000 and run.kind in ("audit", "removal") and run.runner == "ansible"]
    peak = max((run.module_peak_rss_mib or 0) for run in big) if big else None
    lines.append(f"| module memory under 300 MB at 5,000 accounts | {_fmt(None if peak is None else peak * 1.048576, 0)} MB "
                 f"({_fmt(peak, 0)} MiB) | {_met(None if peak is None else peak * 1.048576 < 300)} |")
    seeding = [run.seed_s for run in runs if run.accounts == 5000]
    seed = _median(seeding)
    lines.append(f"| seeding 5,000 accounts in under 30 s | {_fmt(seed, 1)} s | {_met(None if seed is None else seed < 30)} |")
    lines.append("")

    if runs:
        lines += ["<details><summary>Every run</summary>", "",
                  "| task | runner | accounts | # | wall (s) | client CPU (s) | emulator CPU (s) | calls (members + management) "
                  "| module / command peak RSS (MiB) | seed (s) |",
                  "|---|---|---:|---:|---:|---:|---:|---|---:|---:|"]
        for run in runs:
            lines.append(f"| {run.kind} | {run.runner} | {run.accounts:,} | {run.repetition + 1} | {run.wall_s:.2f} | {run.cpu_s:.1f} "
                         f"| {_fmt(run.emulator_cpu_s, 1)} | {run.calls_members} + {run.calls_management} "
                         f"| {_fmt(run.module_peak_rss_mib, 0)} / {_fmt(run.process_peak_rss_mib, 0)} | {run.seed_s:.2f} |")
        lines += ["", "</details>", ""]
    lines.append(END)
    return "\n".join(lines) + "\n"


# The operations of the check, what their count follows, and whether they are the policy reads.
GUARDRAILS_OPERATIONS = (
    ("sts:GetCallerIdentity", "once per run", False),
    ("organizations:DescribeOrganization", "once per run", False),
    ("organizations:ListRoots", "twice per run: the walk's, and the check's (the policy types enabled)", False),
    ("organizations:ListOrganizationalUnitsForParent", "the walk: one page per parent (root and OUs), 20 OUs a page", False),
    ("organizations:ListAccountsForParent", "the walk: one page per parent, 20 accounts a page", False),
    ("organizations:ListPolicies", "per policy type enabled, 20 policies a page", True),
    ("organizations:DescribePolicy", "one per policy", True),
    ("organizations:ListTargetsForPolicy", "one per policy here (the emulator returns every target in one page; AWS one page per 20 targets)",
     True),
)


def guardrails_report(bench: Bench, started: datetime.datetime, load_before: str, load_after: str, elapsed: float, argv: list) -> str:
    settings = bench.settings
    runs = _select(bench.runs, kind="guardrails")
    sizes = [size for size in settings.guardrails_sizes if _select(runs, accounts=size)]
    lines = [GUARDRAILS_BEGIN, "", f"## root_task_guardrails_info: the guardrails check (last run {started:%Y-%m-%d %H:%M} UTC)", ""]
    lines += machine_lines(bench, load_before, load_after, elapsed)
    facts = runs[0].facts if runs else {}
    repeats = ", ".join(f"{size:,} accounts: {settings.guardrails_repeats[size]}" for size in sizes)
    lines += [
        "### How it was run", "",
        f"`{invocation(argv)}`{' (what `make bench` runs once the collection tree is built)' if settings.parts == list(PARTS) else ''}; "
        "`make bench BENCH_PARTS=guardrails` runs this part alone and leaves the other figures of this file as they are.",
        f"Runs per size: {repeats or 'none'}. Figures are medians of the runs, with the range in parentheses when there were several.",
        "",
        "Every run starts from a fresh organization seeded as above (`full` root credentials in every member), grown by "
        "`tests/bench/guardrails_org.py` through the Organizations API as the management account, before the request log is "
        f"cleared: {facts.get('ous', 'n/a')} OUs in three levels with the members spread over them, SCPs and RCPs enabled on the "
        f"root, and 10 SCPs and 3 RCPs (published ones from `tests/emulator/rootguard_emulator/policy_examples.py` and four of our own) in "
        f"{facts.get('attachments', 'n/a')} attachments at the root, OU and account levels, besides `FullAWSAccess` and "
        "`RCPFullAWSAccess` on every root, OU and account. The command measured, with the environment above:",
        "",
        f"- `ansible-playbook tests/bench/playbooks/guardrails.yml -e '{{\"concurrency\": {settings.concurrency}, "
        f"\"summary_file\": \"...\", \"regions\": {json.dumps(GUARDRAILS_REGIONS)}}}'` (one `rootguard.aws.root_task_guardrails_info` "
        "task with `all_accounts: true`, every task policy)",
        "",
        "Each run is checked: every account decided, both policy types read, exactly the accounts under the OU that carries "
        "`AWS-GR_RESTRICT_ROOT_USER` without `ExemptAssumeRoot` blocked for `IAMDeleteRootUserCredentials`, and no call but "
        "reads, all in the management account (the check opens no root session).",
        "",
    ]
    if not sizes:
        return "\n".join(lines + ["Not run.", "", GUARDRAILS_END]) + "\n"

    lines += ["### Time, memory and calls", "",
              "| accounts | runs | wall (s) | ms/account | module peak RSS (MiB) | client CPU (s) | calls | policy reads | "
              "the rest (identity, ListRoots, the walk) | ListTargetsForPolicy pages at AWS's 20 targets a page |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    policy_reads = {name for name, _what, is_policy_read in GUARDRAILS_OPERATIONS if is_policy_read}
    for size in sizes:
        items = _select(runs, accounts=size)
        wall = _median(r.wall_s for r in items)
        reads = _distinct(sum(count for name, count in r.by_action.items() if name in policy_reads) for r in items)
        rest = _distinct(sum(count for name, count in r.by_action.items() if name not in policy_reads) for r in items)
        pages = items[0].facts["aws_listing_pages"]
        lines.append(
            f"| {size:,} | {len(items)} | {_fmt(wall)}{_spread([r.wall_s for r in items])} | {_fmt(1000 * wall / size, 1)} "
            f"| {_fmt(max((r.module_peak_rss_mib or 0) for r in items) or None, 0)} | {_fmt(_median(r.cpu_s for r in items), 1)} "
            f"| {_distinct(r.calls_total for r in items)} | {reads} | {rest} "
            f"| {sum(pages.values())} (SCPs {pages.get(guardrails_org.SCP, 0)}, RCPs {pages.get(guardrails_org.RCP, 0)}) |")
    lines += ["", "Module peak RSS is the largest of the runs, not the median.", ""]

    lines += ["### Calls by operation", "",
              "| operation | " + " | ".join(f"{size:,} accounts" for size in sizes) + " | what the count follows |",
              "|---|" + "---:|" * len(sizes) + "---|"]
    known = [name for name, _what, _read in GUARDRAILS_OPERATIONS]
    seen = sorted({name for run in runs for name in run.by_action} - set(known))
    for name, what in [(name, what) for name, what, _read in GUARDRAILS_OPERATIONS] + [(name, "") for name in seen]:
        counts = [_distinct(r.by_action.get(name, 0) for r in _select(runs, accounts=size)) for size in sizes]
        lines.append(f"| {name} | " + " | ".join(counts) + f" | {what} |")
    lines.append("")
    lines += guardrails_growth(runs, sizes, policy_reads)

    found = runs[-1].facts["summary"]
    lines += ["### What the check found", "",
              f"In the last run ({runs[-1].accounts:,} accounts, the management account included as allowed), per task policy, "
              "the accounts whose root sessions the guardrails allow, block, or may block (`uncertain`):", "",
              "| task policy | allowed | blocked | uncertain |", "|---|---:|---:|---:|"]
    for task, counts in found.items():
        lines.append(f"| {task} | {counts['allowed']:,} | {counts['blocked']:,} | {counts['uncertain']:,} |")
    lines += ["", f"{runs[-1].facts['remedies']} remedies (one per blocking statement or level without an Allow).", ""]

    lines += ["<details><summary>Every run</summary>", "",
              "| accounts | # | wall (s) | client CPU (s) | emulator CPU (s) | calls | module / command peak RSS (MiB) | organization built (s) |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for run in runs:
        lines.append(f"| {run.accounts:,} | {run.repetition + 1} | {run.wall_s:.2f} | {run.cpu_s:.1f} | {_fmt(run.emulator_cpu_s, 1)} "
                     f"| {run.calls_total} | {_fmt(run.module_peak_rss_mib, 0)} / {_fmt(run.process_peak_rss_mib, 0)} | {run.seed_s:.2f} |")
    lines += ["", "</details>", "", GUARDRAILS_END]
    return "\n".join(lines) + "\n"


def controller_block(bench: Bench, started: datetime.datetime, load_before: str, load_after: str, elapsed: float, argv: list) -> str:
    """The controller part's block (controller_part.py)."""
    return controller_part.block([run for run in bench.runs if run.kind.startswith("controller")], f"{started:%Y-%m-%d %H:%M}",
                                 machine_lines(bench, load_before, load_after, elapsed), invocation(argv), bench.settings.parts == list(PARTS),
                                 bench.settings)


def latency_block(bench: Bench, started: datetime.datetime, load_before: str, load_after: str, elapsed: float, argv: list) -> str:
    """The latency part's block (latency_report.py)."""
    return latency_report.block(_select(bench.runs, kind="latency"), os.cpu_count() or 1, f"{started:%Y-%m-%d %H:%M}",
                                machine_lines(bench, load_before, load_after, elapsed), invocation(argv), bench.settings.parts == list(PARTS))


def guardrails_growth(runs: list, sizes: list, policy_reads: set) -> list:
    """The sentences that say what grows with the accounts, from the figures."""
    def calls(size: int, names) -> str:
        return _distinct(sum(count for name, count in r.by_action.items() if name in names) for r in _select(runs, accounts=size))

    walk = {"organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent"}
    at = ", ".join(f"{calls(size, policy_reads)} at {size:,} accounts" for size in sizes)
    walked = ", ".join(f"{calls(size, walk)} at {size:,}" for size in sizes)
    pages = ", ".join(f"{sum(_select(runs, accounts=size)[0].facts['aws_listing_pages'].values())} at {size:,}" for size in sizes)
    return [
        f"The policy reads (ListPolicies, DescribePolicy, ListTargetsForPolicy) follow the policies, not the accounts: {at}. "
        f"What grows is the organization walk that every account-scoped module of the collection makes ({walked}: one "
        "ListAccountsForParent page per 20 accounts of a parent). In AWS, ListTargetsForPolicy returns at most 20 targets a page, "
        "and `FullAWSAccess` and `RCPFullAWSAccess` are attached to every OU and account, so their listing grows with the "
        f"accounts as the walk does: the pages AWS would return for every policy are {pages} (last column above).",
        "",
    ]


def _distinct(values) -> str:
    """The values of the runs, one when they agree: "123", else "123 / 125"."""
    return " / ".join(f"{value:,}" for value in sorted(set(values)))


HEADER = """# Benchmarks

Speed, API calls and memory of the root-task modules at organization scale, measured by the harness in
`tests/bench/` (`make bench`) against the local emulator. Never asserted by a test: `tests/integration/test_bench_harness.py`
only runs the harness at a tiny size so that it keeps working.

"""


# Where a part's block goes in a file that has none yet: after the first of these blocks it has (their end markers).
PLACED_AFTER = {GUARDRAILS_BEGIN: (END,), LATENCY_BEGIN: (GUARDRAILS_END, END), CONTROLLER_BEGIN: (LATENCY_END, GUARDRAILS_END, END)}


def write_report(path: pathlib.Path, block: str, begin: str = BEGIN, end: str = END) -> None:
    """Put ``block`` (from ``begin`` to ``end``) in place of the file's block between those markers; a file without them
    gets it after the block PLACED_AFTER names (the guardrails block after the modules' block, the latency block after
    the guardrails block, else after the modules' block) when there is one, else at its end. Everything else is kept."""
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    anchor = next((marker for marker in PLACED_AFTER.get(begin, ()) if marker in text), None)
    if begin in text and end in text:
        head, rest = text.split(begin, 1)
        tail = rest.split(end, 1)[1].lstrip("\n")
        text = head + block + ("\n" + tail if tail else "")
    elif anchor is not None:
        head, tail = text.split(anchor, 1)
        tail = tail.lstrip("\n")
        text = head + anchor + "\n\n" + block + ("\n" + tail if tail else "")
    else:
        text = text.rstrip("\n") + "\n\n" + block
    path.write_text(text, encoding="utf-8")


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    settings = settings_from(argv)
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = loadavg()
    clock = time.perf_counter()
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="rootguard-bench-"))
    bench = None
    try:
        bench = Bench(settings, workdir)
        print(f"emulator at {bench.emulator.endpoint}; logs in {workdir}", flush=True)
        if settings.output is not None:
            def checkpoint() -> None:
                facts = (bench, started, load_before, loadavg(), time.perf_counter() - clock, argv)
                partial = controller_block(*facts).replace("\n### How it was run", "\n" + controller_part.PARTIAL + "\n\n### How it was run", 1)
                write_report(settings.output, partial, CONTROLLER_BEGIN, CONTROLLER_END)
            bench.checkpoint = checkpoint
        bench.run()
        rss, hwm = bench.emulator.rss_mib()
        bench.notes.append(f"The emulator process ended the run at {_fmt(rss, 0)} MiB RSS (peak {_fmt(hwm, 0)} MiB).")
    finally:
        if bench is not None:
            bench.emulator.close()
        if settings.keep or (bench is not None and sys.exc_info()[0] is not None):
            print(f"logs kept in {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    facts = (bench, started, load_before, loadavg(), time.perf_counter() - clock, argv)
    blocks = []
    if "modules" in settings.parts:
        blocks.append((report(*facts), BEGIN, END))
    if "guardrails" in settings.parts:
        blocks.append((guardrails_report(*facts), GUARDRAILS_BEGIN, GUARDRAILS_END))
    if "latency" in settings.parts:
        blocks.append((latency_block(*facts), LATENCY_BEGIN, LATENCY_END))
    if "controller" in settings.parts:
        blocks.append((controller_block(*facts), CONTROLLER_BEGIN, CONTROLLER_END))
    if settings.output is not None:
        for block, begin, end in blocks:
            write_report(settings.output, block, begin, end)
        print(f"wrote {settings.output}")
    if settings.json_output is not None:
        settings.json_output.write_text(json.dumps({
            "settings": {key: str(value) if isinstance(value, pathlib.Path) else value
                         for key, value in dataclasses.asdict(settings).items() if key not in ("collections", "output", "json_output")},
            "runs": [dict(dataclasses.asdict(run), calls_per_account=run.calls_per_account) for run in bench.runs],
            "notes": bench.notes,
        }, indent=2, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
