# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""count_by: items counted by the value of one key, the given keys first (zero when absent)."""

from __future__ import annotations

from ansible_collections.rootguard.aws.plugins.filter.count_by import FilterModule, count_by


def test_counts_by_value_with_the_given_keys_first():
    items = [{"status": "failed"}, {"status": "ok"}, {"status": "odd"}, {"status": "ok"}, {}]

    counts = count_by(items, "status", keys=["changed", "ok", "failed"])

    assert counts == {"changed": 0, "ok": 2, "failed": 1, "odd": 1, None: 1}
    assert list(counts) == ["changed", "ok", "failed", "odd", None]


def test_without_keys_and_without_items():
    assert count_by([{"vend": "found"}, {"vend": "found"}], "vend") == {"found": 2}
    assert count_by([], "status", keys=["ok"]) == {"ok": 0}
    assert FilterModule().filters() == {"count_by": count_by}
