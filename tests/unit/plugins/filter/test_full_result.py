# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

import json

import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.rootguard.aws.plugins.filter.full_result import full_result
from ansible_collections.rootguard.aws.plugins.module_utils import result_size

WHOLE = {"organization_id": "o-a1b2c3d4e5", "run_id": "r1", "accounts": [{"id": f"{index:012d}", "status": "ok", "x": "y" * 200} for index in range(40)],
         "account_ids": {"failed": []}, "summary": {"total": 40}}


def shortened(tmp_path) -> dict:
    path = str(tmp_path / "accounts.json")
    fitted = result_size.fit(dict(WHOLE), {"max_result_size": 2000, "accounts_file": path})
    assert fitted["accounts_complete"] is False
    return fitted


def test_a_whole_result_is_returned_as_it_is():
    result = dict(WHOLE, accounts_complete=True)
    assert full_result(result) is result
    assert full_result({"skipped": True}) == {"skipped": True}


def test_a_shortened_result_is_read_back_whole(tmp_path):
    whole = full_result(shortened(tmp_path))
    assert whole["accounts"] == WHOLE["accounts"]
    assert whole["accounts_complete"] is True and whole["accounts_omitted"] == 0


def test_a_shortened_result_without_a_file_is_an_error():
    fitted = result_size.fit(dict(WHOLE), {"max_result_size": 2000, "accounts_file": None})
    with pytest.raises(AnsibleFilterError, match="no accounts_file has the others; give the module accounts_file"):
        full_result(fitted)


def test_a_file_of_another_run_is_an_error(tmp_path):
    fitted = shortened(tmp_path)
    with open(fitted["accounts_file"], "w", encoding="utf-8") as handle:
        json.dump(dict(WHOLE, run_id="r2"), handle)
    with pytest.raises(AnsibleFilterError, match=r"is of another run \(run_id 'r2', not 'r1'\)"):
        full_result(fitted)


@pytest.mark.parametrize("content, message", [
    (None, "cannot read the accounts file"),
    ("{not json", "cannot read the accounts file"),
    ("[1, 2]", "is not a module's accounts file"),
])
def test_missing_or_unreadable_files_are_errors(tmp_path, content, message):
    fitted = shortened(tmp_path)
    if content is None:
        (tmp_path / "accounts.json").unlink()
    else:
        (tmp_path / "accounts.json").write_text(content, encoding="utf-8")
    with pytest.raises(AnsibleFilterError, match=message):
        full_result(fitted)
