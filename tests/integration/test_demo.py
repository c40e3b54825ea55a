"""`make demo`: tests/emulator/harden_demo.sh end to end - the plan, the confirmed run, the
re-check, the reports, the one-screen summary, no secret, and the emulator stopped."""

from __future__ import annotations

import json
import os
import pathlib
import re
import subprocess
import sys

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
# What the emulator's session tokens start with, and anything shaped like a secret access key.
# Session tokens are random and longer than any word, path or digest the demo prints.
TOKEN_LIKE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+=]{100,}")
SECRET_LIKE = re.compile(r"(?<![A-Za-z0-9/+=])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])")


def test_demo_plans_hardens_rechecks_and_reports(tmp_path):
    reports = tmp_path / "reports"
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("AWS_", "MOTO_"))}
    environment.update({
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), environment.get("PATH", os.defpath)]),
        "DEMO_REPORTS": str(reports),
        "TMPDIR": str(tmp_path),
        "HOME": str(tmp_path),
        "AWS_SECRET_ACCESS_KEY": "must-not-be-used",  # the demo drops the caller's AWS variables
    })
    if "ANSIBLE_COLLECTIONS_PATH" not in environment:
        pytest.skip("run through `make integration`, which builds the collection tree")

    done = subprocess.run(["bash", str(REPO / "tests" / "emulator" / "harden_demo.sh")], cwd=REPO, env=environment,
                          capture_output=True, text=True, timeout=900, check=False)

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    screen = done.stdout
    assert [line for line in screen.splitlines() if line.startswith("==> ")] == [
        "==> 1. The plan (check mode: no write call)", "==> 2. Harden, confirmed",
        "==> 3. Again, in check mode: nothing left to change", "==> Reports"]
    assert len(screen.splitlines()) <= 60  # one screen

    plan = (reports / "plan" / "harden-summary.txt").read_text()
    assert "iam:EnableOrganizationsRootCredentialsManagement" in plan and "iam:EnableOrganizationsRootSessions" in plan
    # The guardrails: the root-denying OU's two accounts named with the policy and Control Tower's remedy; the exempted
    # OU's accounts are not blocked.
    guarded = {name: accounts for name, _ou, accounts in re.findall(
        r"^ +/(RootDenied|RootSessionsExempt)/ \((ou-[a-z0-9-]+)\): SCP \S+ \(p-[a-z0-9]+\) on (\d{12}, \d{12})$", screen, re.M)}
    assert set(guarded) == {"RootDenied", "RootSessionsExempt"}, screen
    denied = guarded["RootDenied"].split(", ")
    assert "  IAMDeleteRootUserCredentials: allowed in 21 member account(s), blocked in 2, uncertain in 0" in plan
    blocked = [line for line in plan.splitlines() if line.startswith("Blocked:")]
    assert len(blocked) == 1 and "statement GRRESTRICTROOTUSER" in blocked[0] and all(account in blocked[0] for account in denied)
    assert "with its parameter ExemptAssumeRoot" in plan
    before = json.loads((reports / "root-credentials-before.json").read_text())
    after = json.loads((reports / "root-credentials-after.json").read_text())
    audited = before["summary"]["audited"]
    assert before["summary"]["total"] == 26  # 25 members and the management account (skipped)
    assert before["summary"]["noncompliant"] > 10
    assert after["summary"]["audited"] == after["summary"]["compliant"] == audited
    assert f"Removal: credentials removed in {before['summary']['noncompliant']} account(s)" in screen
    assert f"After: {audited} account(s) audited, {audited} without any root credential, 0 with one" in screen
    assert "would remove credentials in 0 account(s)" in screen
    assert "Stopped by the guardrails in 2 account(s) - not attempted; everything else went ahead:" in screen
    assert {account["id"] for account in before["accounts"] if account.get("reason") == "blocked_by_guardrail"} == set(denied)
    for name in ("root-credentials-before", "root-credentials-after"):
        for suffix in (".json", ".csv", ".html"):
            assert str(reports / (name + suffix)) in screen

    everything = screen + done.stderr + "".join(path.read_text() for path in reports.rglob("*") if path.is_file())
    assert TOKEN_LIKE.findall(everything) == []
    assert SECRET_LIKE.findall(everything) == []
    assert "must-not-be-used" not in everything

    pid = int(re.search(r"\(pid (\d+)\)", screen).group(1))
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    assert not list(tmp_path.glob("rootguard-demo.*"))
