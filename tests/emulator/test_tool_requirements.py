"""A test that needs an outside tool (jq, the aws CLI) skips without it, and fails instead when CI is set."""

from __future__ import annotations

import pytest


def test_a_missing_tool_skips_outside_ci(require_tool, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="no such tool"):
        require_tool(None, "no such tool")


def test_a_missing_tool_fails_under_ci(require_tool, monkeypatch):
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="no such tool; CI is set, so this fails instead of skipping"):
        require_tool(None, "no such tool")


def test_a_present_tool_is_returned(require_tool, monkeypatch):
    monkeypatch.setenv("CI", "true")
    assert require_tool("/usr/bin/jq", "jq is missing") == "/usr/bin/jq"
