# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""result_size: a module result within max_result_size, every entry in accounts_file."""

from __future__ import annotations

import json
import os
import stat

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import errors, result_size


def entry(account_id: str, status: str = "ok", padding: int = 100) -> dict:
    return {"id": account_id, "status": status, "found": {"note": "x" * padding}}


def result_of(statuses: list, padding: int = 100) -> dict:
    accounts = [entry(f"{index:012d}", status, padding) for index, status in enumerate(statuses)]
    ids = {label: [item["id"] for item in accounts if item["status"] == label] for label in ("failed", "skipped", "changed")}
    return {"changed": True, "organization_id": "o-a1b2c3d4e5", "run_id": "r1", "accounts": accounts, "account_ids": ids,
            "summary": {"total": len(accounts)}}


def size(result: dict) -> int:
    return len(json.dumps(result, default=str))


def test_a_result_that_fits_is_whole_and_says_so():
    result = result_of(["ok", "changed"])
    fitted = result_size.fit(result, {"max_result_size": 250000, "accounts_file": None})
    assert fitted["accounts"] == result["accounts"]
    assert fitted["accounts_complete"] is True and fitted["accounts_omitted"] == 0 and fitted["accounts_file"] is None
    assert "warnings" not in fitted


def test_over_the_limit_the_accounts_needing_attention_come_first_and_the_result_fits():
    statuses = ["ok"] * 300 + ["changed"] * 20 + ["skipped"] * 5 + ["failed"] * 5
    result = result_of(statuses)
    limit = 6000
    fitted = result_size.fit(result, {"max_result_size": limit, "accounts_file": None})
    kept = fitted["accounts"]
    assert size(fitted) <= limit
    assert fitted["accounts_complete"] is False
    assert fitted["accounts_omitted"] == len(statuses) - len(kept) > 0
    kept_statuses = [item["status"] for item in kept]
    # every failed and skipped account first (the order of account_ids), then changed, and ok only if room is left
    assert kept_statuses.count("failed") == 5 and kept_statuses.count("skipped") == 5
    assert "ok" not in kept_statuses or kept_statuses.count("changed") == 20
    assert [item["id"] for item in kept] == sorted(item["id"] for item in kept)
    assert fitted["account_ids"] == result["account_ids"]
    assert "give accounts_file" in fitted["warnings"][0] and f"{len(kept)} of {len(statuses)} accounts" in fitted["warnings"][0]


def test_the_accounts_file_holds_the_whole_result(tmp_path):
    result = result_of(["ok"] * 200 + ["failed"])
    path = str(tmp_path / "accounts.json")
    fitted = result_size.fit(result, {"max_result_size": 3000, "accounts_file": path})
    with open(path, encoding="utf-8") as handle:
        assert json.load(handle) == result
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert fitted["accounts_file"] == path and fitted["accounts_complete"] is False
    assert f"every account's entry is in accounts_file {path}" in fitted["warnings"][0]
    assert os.listdir(tmp_path) == ["accounts.json"]


def test_no_limit_keeps_everything(tmp_path):
    result = result_of(["ok"] * 500, padding=2000)
    fitted = result_size.fit(result, {"max_result_size": 0, "accounts_file": None})
    assert fitted["accounts"] == result["accounts"] and fitted["accounts_complete"] is True


def test_the_diff_keeps_the_kept_accounts_only():
    result = result_of(["changed"] * 50)
    result["diff"] = {"before": {item["id"]: {"password": True} for item in result["accounts"]},
                      "after": {item["id"]: {"password": False} for item in result["accounts"]}}
    fitted = result_size.fit(result, {"max_result_size": 3000, "accounts_file": None})
    kept = {item["id"] for item in fitted["accounts"]}
    assert kept and set(fitted["diff"]["before"]) == kept == set(fitted["diff"]["after"])
    assert size(fitted) <= 3000


def test_a_result_without_accounts_is_left_alone():
    assert result_size.fit({"changed": False, "msg": "x"}, {"max_result_size": 1, "accounts_file": None}) == {"changed": False, "msg": "x"}


@pytest.mark.parametrize("value, message", [
    (-1, "max_result_size must be 0 (no limit) or a number of characters, not -1."),
    (True, "max_result_size must be 0 (no limit) or a number of characters, not True."),
])
def test_bad_sizes_are_refused(value, message):
    with pytest.raises(errors.InvalidInput) as raised:
        result_size.check({"max_result_size": value, "accounts_file": None})
    assert raised.value.message == message


def test_bad_accounts_files_are_refused(tmp_path):
    with pytest.raises(errors.InvalidInput) as raised:
        result_size.check({"max_result_size": 10, "accounts_file": str(tmp_path)})
    assert raised.value.message.startswith("accounts_file must be the path of a file, not ")
    missing = tmp_path / "missing" / "accounts.json"
    with pytest.raises(errors.InvalidInput) as raised:
        result_size.check({"max_result_size": 10, "accounts_file": str(missing)})
    assert raised.value.message.startswith("accounts_file: the directory ") and "does not exist or cannot be written to." in raised.value.message
    result_size.check({"max_result_size": 10, "accounts_file": str(tmp_path / "accounts.json")})


def test_an_accounts_file_in_a_directory_others_can_change_is_refused(tmp_path):
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(errors.InvalidInput) as raised:
        result_size.check({"max_result_size": 10, "accounts_file": str(shared / "accounts.json")})
    assert raised.value.message.startswith("accounts_file: ") and "is writable by other users (mode 0777) without the sticky bit" in raised.value.message
