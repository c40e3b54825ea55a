# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Per-account work across an organization: targeting, a bounded thread pool, one
root session per account issued just in time (per_account, the one runner every bulk task
uses), one result per account, summary counts; and what a run is told from outside while
it runs (RunControl: signals, the death of its parents) and what it records (Journal)."""

from __future__ import annotations

import dataclasses
import datetime
import json
import os
import signal
import stat
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

from . import organizations, targeting
from .features import require_feature
from .errors import InvalidInput, RootGuardError
from .root_sessions import RootSession
from . import result_size, validation

STATUS_OK = "ok"
STATUS_CHANGED = "changed"
STATUS_WOULD_CHANGE = "would_change"
STATUS_SKIPPED = "skipped"
STATUS_FAILED = "failed"
STATUSES = (STATUS_OK, STATUS_CHANGED, STATUS_WOULD_CHANGE, STATUS_SKIPPED, STATUS_FAILED)

DEFAULT_CONCURRENCY = 10
# The reason of an account never started because the run was stopped.
REASON_INTERRUPTED = "interrupted"
REASON_BLOCKED = "blocked_by_guardrail"
# How often the watcher looks at the processes that started the module.
WATCH_SECONDS = 0.5

ARGUMENT_SPEC = {
    "concurrency": {"type": "int", "default": DEFAULT_CONCURRENCY},
    "fail_on_error": {"type": "bool", "default": True},
    "journal": {"type": "path"},
    "run_id": {"type": "str"},
    **result_size.ARGUMENT_SPEC,
}


def account_result(account: dict) -> dict:
    """The fields every per-account result starts with."""
    return {
        "id": account["id"],
        "name": account.get("name"),
        "ou_path": account.get("ou_path"),
        "parent_id": account.get("parent_id"),
        "status": None,
        "reason": None,
        "found": None,
        "actions": [],
        "error_class": None,
        "error_message": None,
        "aws_error_code": None,
    }


def failed(result: dict, error: RootGuardError) -> dict:
    result.update(status=STATUS_FAILED, error_class=error.error_class, error_message=error.message,
                  aws_error_code=error.aws_error_code)
    return result


def skipped_result(entry: dict) -> dict:
    result = account_result(entry)
    result.update(status=STATUS_SKIPPED, reason=entry["reason"], error_message=entry["message"])
    return result


def interrupted_result(account: dict) -> dict:
    """An account the run never started because it was stopped."""
    result = account_result(account)
    result.update(status=STATUS_SKIPPED, reason=REASON_INTERRUPTED,
                  error_message="The run was stopped before this account was started; nothing was done in it.")
    return result


def per_account(work, session_for, row=account_result):
    """The function a bulk task runs for each account (see map_accounts): the account's result
    row (``row(item)``: a new one from the account, by default), its root session
    (``session_for(account id)``), ``work(session, row)`` filling the row, the row failed with
    the error when the work raises RootGuardError, and the session's clients released."""
    def run(item: dict) -> dict:
        result = row(item)
        session = session_for(item["id"])
        try:
            work(session, result)
        except RootGuardError as error:
            failed(result, error)
        finally:
            session.release()
        return result
    return run


def new_sessions(factory, task_policy_arn: str):
    """``session_for`` for per_account: a new RootSession for each account."""
    return lambda account_id: RootSession(factory, account_id, task_policy_arn)


def map_accounts(function, accounts: list, workers: int, control=None, not_started=interrupted_result, record: bool = True) -> list:
    """``function(account)`` for every account, at most ``workers`` at a time, results in order.

    With a RunControl, an account not yet started when the run is stopped gets
    ``not_started(account)`` instead (the accounts in flight finish), and, when ``record``,
    each result is handed to ``control.finished`` as it comes."""
    if control is None:
        control = RunControl()

    def one(account):
        if control.stopped():
            return not_started(account)
        result = function(account)
        if record:
            control.finished(result)
        return result

    if workers <= 1 or len(accounts) <= 1:
        return [one(account) for account in accounts]
    with ThreadPoolExecutor(max_workers=min(workers, len(accounts))) as pool:
        return list(pool.map(one, accounts))


# ---------------------------------------------------------------------------
# Stopping a run: signals and the death of the processes that started the module


def _process_status(pid: int):
    """(state, start time in clock ticks, parent pid) of a process from /proc, or None when it is gone."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            text = handle.read().decode("utf-8", "replace")
    except OSError:
        return None
    # The command name (field 2) is in parentheses and may hold anything; the fields after it are numbers.
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[19]), int(fields[1])


def _mentions_ansible(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as handle:
            return b"ansible" in handle.read().lower()
    except OSError:
        return False


def ansible_ancestors(pid: int | None = None) -> list:
    """(pid, start time) of the processes above ``pid`` (default: this process), from its parent
    upward, as long as their command line mentions Ansible: the ``sh -c`` that runs the
    AnsiballZ file, the ansible-playbook worker, ansible-playbook, ansible-runner.  Empty
    without /proc, and for a module whose parent is init (an async task that daemonized)."""
    ancestors = []
    status = _process_status(os.getpid() if pid is None else pid)
    while status is not None and status[2] > 1 and _mentions_ansible(status[2]):
        parent = status[2]
        status = _process_status(parent)
        if status is None:
            break
        ancestors.append((parent, status[1]))
    return ancestors


def gone(ancestors: list) -> bool:
    """Whether any of ``ancestors`` has exited (a zombie counts as exited; a pid reused by a
    newer process is told apart by its start time)."""
    for pid, started in ancestors:
        status = _process_status(pid)
        if status is None or status[0] in ("Z", "X") or status[1] != started:
            return True
    return False


class RunControl:
    """What a bulk run is told from outside while it runs: a stop (a signal, or the death of
    the process that started the module) and where each finished account is recorded."""

    def __init__(self, journal=None):
        self._stop = threading.Event()
        self.cause = None
        self.journal = journal
        self.run_id = None

    def stop(self, cause: str) -> None:
        if self.cause is None:
            self.cause = cause
        self._stop.set()

    def stopped(self) -> bool:
        return self._stop.is_set()

    def finished(self, result: dict) -> None:
        if self.journal is not None:
            self.journal.account(result)

    def handle_signals(self) -> None:
        """SIGTERM and SIGINT stop the run instead of killing the module (main thread only)."""
        def handler(signum, frame):  # pylint: disable=unused-argument
            self.stop(signal.Signals(signum).name)
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, handler)

    def watch_ancestors(self, ancestors: list, interval: float = WATCH_SECONDS):
        """Stop the run as soon as one of ``ancestors`` exits; returns the watcher thread (None
        when there is nothing to watch)."""
        if not ancestors:
            return None

        def watch():
            while not self._stop.wait(interval):
                if gone(ancestors):
                    self.stop("parent_exited")
        watcher = threading.Thread(target=watch, name="rootguard-ancestor-watch", daemon=True)
        watcher.start()
        return watcher


# ---------------------------------------------------------------------------
# The run journal: one JSON object a line, each synced to disk as it is written


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).isoformat()


def new_run_id() -> str:
    return uuid.uuid4().hex


class Journal:
    """An append-only JSON-lines record of a run: ``start``, one ``account`` line per finished
    account (its entry exactly as in the result), and ``end`` when the module completes."""

    def __init__(self, path: str, run_id: str, module: str):
        self.path = path
        self.run_id = run_id
        self.module = module
        self._lock = threading.Lock()
        self._fd = None

    @classmethod
    def open(cls, path: str, run_id: str, module: str, check_mode: bool, option: str = "journal"):
        """Earlier lines are read (see ``records``), then the file is opened for append and the
        start line written.  Its directory must be one only this user can change, and the file
        a regular file of this user's (never followed through a symbolic link)."""
        validation.private_directory(os.path.dirname(os.path.abspath(path)), option)
        journal = cls(path, run_id, module)
        flags = os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(path, flags, 0o600)
        except OSError as error:
            raise InvalidInput(f"{option}: the file cannot be opened for append ({error.strerror}).") from None
        status = os.fstat(fd)
        if not stat.S_ISREG(status.st_mode) or status.st_uid != os.geteuid():
            os.close(fd)
            raise InvalidInput(f"{option}: the file is not a regular file of this user's; give a new file or one this module wrote.")
        journal._fd = fd
        journal.write({"record": "start", "run_id": run_id, "module": module, "check_mode": check_mode, "time": _now()})
        return journal

    def write(self, record: dict) -> None:
        line = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode("utf-8")
        with self._lock:
            written = 0
            while written < len(line):
                written += os.write(self._fd, line[written:])
            os.fsync(self._fd)

    def account(self, result: dict) -> None:
        self.write({"record": "account", "run_id": self.run_id, "time": _now(), "account": result})

    def devices_left(self, serials) -> None:
        """Virtual MFA devices that earlier runs left behind and that this run will try to delete:
        carried into this journal so that a later run reading only this journal still knows them."""
        self.write({"record": "devices_left", "run_id": self.run_id, "time": _now(), "serials": list(serials)})

    def end(self, summary: dict, interrupted: bool) -> None:
        self.write({"record": "end", "run_id": self.run_id, "time": _now(), "summary": summary, "interrupted": interrupted})

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def read_journal(path: str, option: str = "journal") -> list:
    """The records of a journal file, in order; an unreadable line (a run killed while
    writing it) is left out.  No file yet: no records."""
    try:
        with open(path, "rb") as handle:
            lines = handle.read().split(b"\n")
    except FileNotFoundError:
        return []
    except OSError as error:
        raise InvalidInput(f"{option}: the file cannot be read ({error.strerror}).") from None
    records = []
    for line in lines:
        try:
            record = json.loads(line.decode("utf-8"))
        except ValueError:
            continue
        if isinstance(record, dict):
            records.append(record)
    return records


def target_accounts(factory, targets, feature: str, control=None) -> tuple:
    """(caller, accounts to work on, skipped entries) for a root-task module whose task
    needs ``feature``: the management account and accounts that are not ACTIVE are
    skipped with the reason (and recorded as finished at once with a RunControl)."""
    caller = organizations.identify_caller(factory)
    organizations.require_all_features(caller)
    require_feature(factory, caller, feature)
    orgs = factory.client("organizations")
    tree = organizations.read_as(caller, organizations.load_tree, orgs, caller, targets)
    accounts, skipped = targeting.select(tree, dataclasses.replace(targets, include_inactive=False), skip_management=True)
    for account in accounts:
        account["ou_ids"] = organizations.ou_ids(tree, account["parent_id"])
    if control is not None:
        for entry in skipped:
            control.finished(skipped_result(entry))
    return caller, accounts, skipped


def summarize(results: list) -> dict:
    counts = {status: 0 for status in STATUSES}
    for result in results:
        counts[result["status"]] += 1
    counts["total"] = len(results)
    return counts


def ids_needing_attention(entries: list) -> dict:
    """The ids of the accounts that need attention, most urgent first: failed, with a step the
    guardrails blocked, skipped, changed, would change."""
    def having(test) -> list:
        return [entry["id"] for entry in entries if test(entry)]

    ids = {STATUS_FAILED: having(lambda entry: entry["status"] == STATUS_FAILED), "blocked": having(lambda entry: bool(entry.get("blocked")))}
    for status in (STATUS_SKIPPED, STATUS_CHANGED, STATUS_WOULD_CHANGE):
        ids[status] = having(lambda entry, status=status: entry["status"] == status)
    return ids


def module_result(caller, results: list, skipped: list, fail_on_error: bool, extra: dict | None = None, check_mode: bool = False) -> dict:
    """The module's result: per-account entries (skipped ones included) sorted by id, the ids of
    those needing attention, summary counts, and a failure when any account failed (unless
    fail_on_error is false).  ``changed`` is what Ansible expects of it: in check mode, whether
    any account would change."""
    entries = sorted(results + [skipped_result(entry) for entry in skipped], key=lambda entry: entry["id"])
    summary = summarize(entries)
    result = {
        "changed": summary[STATUS_CHANGED] > 0 or (check_mode and summary[STATUS_WOULD_CHANGE] > 0),
        "organization_id": caller.organization_id,
        "accounts": entries,
        "account_ids": ids_needing_attention(entries),
        "summary": summary,
    }
    result.update(extra or {})
    interrupted = [entry["id"] for entry in entries if entry["reason"] == REASON_INTERRUPTED]
    failures = [entry["id"] for entry in entries if entry["status"] == STATUS_FAILED]
    if interrupted:
        result["failed"] = True
        result["msg"] = (f"The run was stopped before {len(interrupted)} of {summary['total']} accounts were started (status skipped, "
                         f"reason interrupted); the accounts in flight were finished. Run again to finish the job.")
    elif failures and fail_on_error:
        result["failed"] = True
        result["msg"] = (f"{len(failures)} of {summary['total']} accounts failed: {', '.join(failures[:20])}"
                         f"{' ...' if len(failures) > 20 else ''}. See accounts[].error_class and error_message.")
    return result


# ---------------------------------------------------------------------------
# What a bulk module does around its work


def start_run(params: dict, module: str, check_mode: bool) -> RunControl:
    """Before any API call: the run id, the journal (opened, start line written), SIGTERM and
    SIGINT handled, and the processes that started the module watched."""
    run_id = validation.run_id(params.get("run_id")) or new_run_id()
    journal = Journal.open(params["journal"], run_id, module, check_mode) if params.get("journal") else None
    control = RunControl(journal)
    control.run_id = run_id
    control.handle_signals()
    control.watch_ancestors(ansible_ancestors())
    return control


def targets_and_concurrency(params: dict) -> tuple:
    """The checked targeting options and concurrency of a bulk module."""
    return targeting.targets_from_params(params), validation.concurrency(params["concurrency"])


def run(params: dict, module: str, check_mode: bool, task) -> dict:
    """A bulk module's run around ``task(control)``, which returns the module's result: start_run
    before it, finish_run after it."""
    control = start_run(params, module, check_mode)
    return finish_run(control, task(control))


def finish_run(control: RunControl, result: dict) -> dict:
    """The result with the run id, the journal's path and what stopped the run (or None);
    the journal's end line written and the file closed."""
    result = dict(result, run_id=control.run_id, journal=control.journal.path if control.journal else None, interrupted=control.cause)
    if control.journal is not None:
        control.journal.end(result["summary"], control.stopped())
        control.journal.close()
    return result
