"""Render RELIABILITY.md from the rows the reliability suite records.

    make reliability                              # runs tests/reliability; each passing scenario writes
                                                  # tests/output/reliability/<scenario>.json
    python hacking/reliability_table.py           # rewrite RELIABILITY.md from those rows
    python hacking/reliability_table.py --check   # exit 1 when RELIABILITY.md is out of date

A scenario without a recorded row keeps the line RELIABILITY.md already has for it, so a partial
run updates only what it ran.  The faults are seeded per account, so the figures are the same on
every run: each scenario test also checks that its own line in RELIABILITY.md is the one it would
render (tests/reliability/conftest.py), and fails when it is not.  The problems the suite found
are listed from the strict xfail markers of tests/reliability/test_*.py."""

from __future__ import annotations

import argparse
import ast
import json
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "RELIABILITY.md"
RECORDS = ROOT / "tests" / "output" / "reliability"
TESTS = ROOT / "tests" / "reliability"

SECTIONS = {
    "faults": ("Faults", "| scenario | runs | faults injected | accounts | outcome |"),
    "concurrency": ("Concurrency", "| scenario | runs | faults injected | accounts | outcome |"),
    "no_lost_data": ("No lost data", "| scenario | runs | faults injected | resources | outcome |"),
    "bad_input": ("Bad input", "| scenario | module | invalid-value cases | options (exempt) | API calls |"),
    "check_mode": ("Check mode", "| scenario | organization | modules | cases (changes due) | calls (writes) |"),
    "secrets": ("Secrets", "| scenario | runs | searched | secrets issued | found |"),
    "interruptions": ("Interruptions", "| scenario | cancel | accounts | outcome |"),
    "two_controllers": ("Two controllers at once", "| scenario | runs | accounts | outcome |"),
    "hostile_names": ("Hostile names", "| scenario | ansible-core | hostile text in | runs | outcome |"),
}
FAULT_ORDER = ("throttling-10", "throttling-30", "throttling-60", "server-errors", "slow-endpoint", "scp-denials",
               "session-expiry", "suspended-mid-run")

INTRO = """# Reliability

What the reliability suite (`tests/reliability/`, run by `make reliability` and `make test`) tried against the
local emulator, and what came out. Every row is a scenario test that passed: its figures are recorded by the test
and rendered here by `hacking/reliability_table.py`. The faults are deterministic (seeded per account, each
account's calls made one after the other), so the figures are the same on every run and at any concurrency; each
test fails when its line below differs from what it recorded. To regenerate after a change:

```sh
make reliability
python hacking/reliability_table.py
```

Every fault scenario runs the root-credentials job (an audit, then the removal of every root credential of every
member account; `fail_on_error: false`) on an organization seeded with the emulator's mixed profile (clean,
partial and full root users, a suspended account in ten), then checks that every reachable account is in the
right state in the emulator, that the failed accounts are exactly the expected ones with the expected
`error_class` (for rate-based faults, those where a call met a fault on all 10 attempts, read from the request
log), that every step an account's result marks done is a change the emulator shows and nothing else, and that a
re-run without the faults finishes the job and a second re-run writes nothing.
"""


def _rate(value) -> str:
    return f"{round(value * 100)} %"


def _faults(faults: list) -> str:
    parts = []
    for fault in faults:
        amount = _rate(fault["rate"]) if "rate" in fault else str(fault.get("count", ""))
        text = f"{fault['kind']} {amount} on {fault['services']}".replace("  ", " ")
        if fault.get("seeded"):
            text += f", seeded {fault['seeded']}"
        parts.append(text)
    return "; ".join(parts)


def _injected(row: dict) -> str:
    rejected = ", ".join(f"{name} {count}" for name, count in row.get("rejected", {}).items())
    return f"{row['injected']} injected" + (f" ({rejected})" if rejected else "")


def _summary(summary: dict) -> str:
    order = ("changed", "would_change", "ok", "skipped", "failed")
    text = ", ".join(f"{summary[key]} {key.replace('_', ' ')}" for key in order if summary.get(key))
    classes = summary.get("error_classes") or []
    if classes:
        counted = {name: classes.count(name) for name in sorted(set(classes))}
        text += " (" + ", ".join(f"{name} {count}" if count > 1 else name for name, count in counted.items()) + ")"
    return text


def row_line(row: dict) -> str:
    """The table line of one recorded row."""
    section, name = row["section"], f"`{row['scenario']}`"
    if section in ("faults", "concurrency"):
        runs = f"{row['runs']} playbook runs, {row['module_runs']} module runs"
        concurrency = row["concurrency"]
        accounts = (f"{row['accounts']} ({row['active_accounts']} active), concurrency "
                    f"{' and '.join(map(str, concurrency)) if isinstance(concurrency, list) else concurrency}")
        faults = f"{_faults(row['faults'])}; {_injected(row)}"
        if section == "faults":
            rerun = row["rerun"]
            audit = f"audit: {_summary(row['audit'])}; " if row.get("audit") else "no audit; "
            outcome = (f"{audit}removal: {_summary(row['removal'])}; re-run: {rerun['changed']} changed, "
                       f"0 failed, {rerun['clean']} reachable accounts clean; second re-run: no write")
        else:
            outcome = (f"removal: {_summary(row['removal'])}; the same statuses, steps and emulator state at every "
                       f"concurrency")
        return f"| {name} | {runs} | {faults} | {accounts} | {outcome} |"
    if section == "no_lost_data":
        faults = "; ".join(f"{fault['step']}: {_fault_text(fault['fault'])} -> {fault['outcome']}" for fault in row["faults"])
        resources = f"{row['resources']['buckets']} buckets, {row['resources']['queues']} queues in {row['accounts']} accounts"
        outcome = (f"{row['backups']} backups, each byte for byte; {row['restored_byte_for_byte']} removed or replaced policies "
                   f"put back byte for byte; {row['left_in_place']} left in place by the fault, finished by a re-run")
        return f"| {name} | {row['runs']} playbook runs | {faults} | {resources} | {outcome} |"
    if section == "bad_input":
        return (f"| {name} | `{row['module']}` | {row['cases']} | {row['options']} ({row['exempt']}) | "
                f"{row['api_calls']} |")
    if section == "check_mode":
        return (f"| {name} | {row['organization']}, {row['accounts']} accounts ({row['active_accounts']} active) | "
                f"{', '.join(row['modules'])} | {row['cases']} ({row['changes_due']}) | {row['calls']} ({row['writes']}) |")
    if section == "secrets":
        return (f"| {name} | {row['runs']} playbook runs at -vvvv: every module ({row['modules']}), every playbook "
                f"({row['playbooks']}), {row['accounts']} accounts | {row['files_searched']} outputs and files "
                f"(logs, results, reports, backups, temporary files kept) | {row['secrets_searched']} | {row['found']} |")
    if section == "interruptions":
        cancel = f"{row['signal']} to {row['target']} once {row['killed_after']} accounts were finished"
        accounts = (f"{row['accounts']} ({row['active_accounts']} active), concurrency {row['concurrency']}, every IAM call "
                    f"slowed by {row['slow_seconds']} s")
        returned = "the result returned (task failed, `interrupted`, `changed` true)" if row["result_returned"] else "no result (nothing left to receive it)"
        outcome = (f"accounts started after the cancel: {row['started_after_cancel']}; journal: {row['journal']}; {returned}; "
                   f"re-run: {row['rerun_clean']} accounts clean; second re-run: {row['second_rerun_writes']} writes")
        return f"| {name} | {cancel} | {accounts} | {outcome} |"
    if section == "two_controllers":
        accounts = f"{row['accounts']} ({row['active_accounts']} active), concurrency {row['concurrency']}"
        outcome = (f"{row['steps']} removal steps, each claimed done by exactly one run ({row['claimed_twice']} claimed twice, "
                   f"{row['claimed_by_none']} done but unclaimed); the other run reports each `already_absent` or did not plan it; "
                   "every account clean")
        return f"| {name} | {row['runs']} playbook runs at once | {accounts} | {outcome} |"
    if section == "hostile_names":
        outcome = (f"code run: {row['markers_created']}; --limit by the readable name {row['colliding_ous']} OUs share: "
                   f"{row['written_by_shared_name']} accounts written; --limit by the OU's id group: {row['written_by_id_group']} "
                   f"accounts written, {row['outside_the_ou']} outside the OU")
        return (f"| {name} | {row['core']} | {', '.join(row['vectors'])} | {row['runs']} playbook runs (per-host over the inventory "
                f"with README's keyed groups and compose, and the audit's three reports) | {outcome} |")
    raise ValueError(f"unknown section {section!r}")


def _fault_text(fault) -> str:
    if fault == "none":
        return "none"
    text = fault["kind"].replace("_", " ")
    for key in ("times", "delay_seconds"):
        if key in fault:
            text += f" {key.replace('_', ' ')} {fault[key]}"
    return text


def _key(row: dict) -> tuple:
    scenario = row["scenario"]
    return (FAULT_ORDER.index(scenario) if scenario in FAULT_ORDER else len(FAULT_ORDER), scenario)


def load_rows(records: pathlib.Path = RECORDS) -> list:
    return [json.loads(path.read_text()) for path in sorted(records.glob("*.json"))]


def existing_lines(text: str) -> dict:
    """The scenario lines RELIABILITY.md has now: ``{section: {scenario: line}}``."""
    lines: dict = {}
    section = None
    titles = {title: key for key, (title, _header) in SECTIONS.items()}
    for line in text.splitlines():
        if line.startswith("## "):
            section = titles.get(line[3:].strip())
        match = re.match(r"\| `([a-z0-9-]+)` \|", line)
        if section and match:
            lines.setdefault(section, {})[match.group(1)] = line
    return lines


def known_problems(tests: pathlib.Path = TESTS) -> list:
    """(test, reason) of every strict xfail marker in the suite's test files."""
    problems = []
    for path in sorted(tests.glob("test_*.py")):
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef):
                continue
            for decorator in node.decorator_list:
                if (isinstance(decorator, ast.Call) and isinstance(decorator.func, ast.Attribute) and decorator.func.attr == "xfail"):
                    options = {keyword.arg: keyword.value for keyword in decorator.keywords}
                    if isinstance(options.get("strict"), ast.Constant) and options["strict"].value is True:
                        reason = ast.literal_eval(options["reason"])
                        problems.append((f"{path.name}::{node.name}", reason))
    return problems


def render(rows: list, current: str = "") -> str:
    lines_now = existing_lines(current)
    out = [INTRO]
    for section, (title, header) in SECTIONS.items():
        recorded = {row["scenario"]: row for row in rows if row["section"] == section}
        kept = {scenario: line for scenario, line in lines_now.get(section, {}).items() if scenario not in recorded}
        names = sorted(set(recorded) | set(kept), key=lambda scenario: _key({"scenario": scenario}))
        out.append(f"## {title}\n")
        out.append(header)
        out.append("|" + "---|" * (header.count("|") - 1))
        for scenario in names:
            out.append(row_line(recorded[scenario]) if scenario in recorded else kept[scenario])
        out.append("")
    out.append("## Open problems\n")
    out.append("Problems the suite found that are still open. Each is a test marked `xfail(strict=True)`: it fails today, "
               "and the suite fails when it starts passing.\n")
    problems = known_problems()
    out.extend(f"- `{test}`: {reason}" for test, reason in problems)
    if not problems:
        out.append("None.")
    return "\n".join(out).rstrip() + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="exit 1 when RELIABILITY.md is out of date")
    args = parser.parse_args(argv)
    current = OUTPUT.read_text() if OUTPUT.exists() else ""
    text = render(load_rows(), current)
    if args.check:
        if text != current:
            print("RELIABILITY.md is out of date: run python hacking/reliability_table.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
