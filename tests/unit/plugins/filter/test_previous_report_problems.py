# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""previous_report_problems: which earlier reports the audit role refuses to compare with, and why."""

from __future__ import annotations

import json

import pytest

from ansible_collections.rootguard.aws.plugins.filter.previous_report_problems import FilterModule, previous_report_problems

GOOD = {"schema_version": 3, "organization_id": "o-a1b2c3d4e5", "generated_at": "2026-12-05T02:00:00Z",
        "accounts": [{"id": "210000000001", "status": "ok", "found": None}]}


@pytest.mark.parametrize("value", [GOOD, json.dumps(GOOD), json.dumps(dict(GOOD, schema_version=4)).encode()])
def test_an_audit_report_of_the_organization_as_data_or_text(value):
    assert previous_report_problems(value) == []
    assert previous_report_problems(value, organization_id="o-a1b2c3d4e5") == []


@pytest.mark.parametrize(("value", "problem"), [
    ("", "it is not JSON (Expecting value: line 1 column 1 (char 0))"),
    ("[1]", "it is not a JSON object"),
    (json.dumps(dict(GOOD, schema_version="3")), "its schema_version is '3', not an audit report's (3 or later)"),
    (json.dumps({k: v for k, v in GOOD.items() if k != "schema_version"}), "its schema_version is None, not an audit report's (3 or later)"),
    (json.dumps(dict(GOOD, accounts=[{"name": "x"}])), "its accounts are not a list of rows with an id"),
    (json.dumps(dict(GOOD, generated_at="yesterday")), "its generated_at is not an ISO 8601 time: 'yesterday'"),
])
def test_what_is_not_an_audit_report(value, problem):
    assert previous_report_problems(value) == [problem]


def test_a_report_of_another_organization():
    assert previous_report_problems(GOOD, organization_id="o-zzzzzzzzzz") == [
        "it is a report of organization 'o-a1b2c3d4e5', not of 'o-zzzzzzzzzz'"]
    assert FilterModule().filters() == {"previous_report_problems": previous_report_problems}
