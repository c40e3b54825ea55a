# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""A result that an automation controller keeps whole at any organization size.

An automation controller stores each task's result as a job event, and replaces a result
longer than 700,000 characters with ``{}`` (ansible-runner's MAX_EVENT_RES, which AWX sets).
A module that returns one entry per account crosses that at a few hundred accounts with root
credentials.  So the modules that list accounts take ``max_result_size``: over it, ``accounts``
keeps the accounts that need attention first (the order of the result's ``account_ids``, which
always lists them all) and as many others as fit, and ``accounts_file`` receives every account's
entry: the result the module would have returned without the limit."""

from __future__ import annotations

import json
import os
import tempfile

from . import validation

# Under the controller's 700,000 characters with room for the task's own fields and its
# invocation (the module's arguments: 10,000 account ids take about 160,000).
DEFAULT_MAX_RESULT_SIZE = 250000

ARGUMENT_SPEC = {
    "accounts_file": {"type": "path"},
    "max_result_size": {"type": "int", "default": DEFAULT_MAX_RESULT_SIZE},
}

# What the warning and the counts of a shortened result take, at most, besides the file's path.
_NOTICE_ROOM = 400
# The result's fields that hold one entry per account, keyed by account id.
_PER_ACCOUNT_DIFF = ("before", "after")


def applies(params: dict) -> bool:
    return "max_result_size" in params


def check(params: dict) -> None:
    """Before any API call: a size of 0 (no limit) or more, and a file that can be written."""
    validation.max_result_size(params["max_result_size"])
    validation.accounts_file(params.get("accounts_file"))


def write_json(path: str, content: dict) -> None:
    """``content`` as JSON in ``path`` (mode 0600), replaced in one step: a reader never sees half a file."""
    directory = os.path.dirname(os.path.abspath(path))
    descriptor, temporary = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".")
    try:
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(content, handle, indent=1, sort_keys=True, default=str)
            handle.write("\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise


def _size(value) -> int:
    return len(json.dumps(value, default=str))


def attention_rank(result: dict):
    """An account id's place when accounts are kept: the first list of ``account_ids`` holding it
    (their order is the module's order of urgency), and the others after them."""
    ranks: dict = {}
    groups = list(result.get("account_ids", {}).values())
    for rank, ids in enumerate(groups):
        for account_id in ids:
            ranks.setdefault(account_id, rank)
    return lambda entry: ranks.get(entry.get("id"), len(groups))


def _entry_size(entry: dict, diff: dict | None) -> int:
    size = _size(entry) + 2
    if diff:
        for side in _PER_ACCOUNT_DIFF:
            if entry.get("id") in diff.get(side, {}):
                size += _size({entry["id"]: diff[side][entry["id"]]}) + 2
    return size


def _kept(result: dict, limit: int, notice: int) -> list:
    """The entries that fit in ``limit`` with the rest of the result, the urgent first; in their order."""
    accounts = result["accounts"]
    room = limit - _size(dict(result, accounts=[], diff=None)) - notice
    rank = attention_rank(result)
    kept = set()
    for index in sorted(range(len(accounts)), key=lambda index: rank(accounts[index])):
        room -= _entry_size(accounts[index], result.get("diff"))
        if room < 0:
            break
        kept.add(index)
    return [entry for index, entry in enumerate(accounts) if index in kept]


def fit(result: dict, params: dict) -> dict:
    """The task's result within ``max_result_size`` characters (as JSON), every account's entry
    written to ``accounts_file`` first when it is given."""
    if "accounts" not in result:
        return result
    path = params.get("accounts_file")
    if path is not None:
        write_json(path, result)
    total = len(result["accounts"])
    fitted = dict(result, accounts_file=path, accounts_complete=True, accounts_omitted=0)
    limit = params["max_result_size"]
    if not limit or _size(fitted) <= limit:
        return fitted
    fitted["accounts"] = _kept(fitted, limit, _NOTICE_ROOM + len(json.dumps(path)))
    kept_ids = {entry.get("id") for entry in fitted["accounts"]}
    if fitted.get("diff"):
        fitted["diff"] = {side: {key: value for key, value in fitted["diff"].get(side, {}).items() if key in kept_ids}
                          for side in _PER_ACCOUNT_DIFF}
    fitted.update(accounts_complete=False, accounts_omitted=total - len(fitted["accounts"]))
    where = (f"every account's entry is in accounts_file {path}" if path
             else "give accounts_file to keep every account's entry in a file")
    fitted.setdefault("warnings", []).append(
        f"accounts holds {len(fitted['accounts'])} of {total} accounts, those that need attention (account_ids) first, to keep "
        f"the result under max_result_size ({limit} characters); {where}.")
    return fitted
