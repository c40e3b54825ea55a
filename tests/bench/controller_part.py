"""The controller part of the benchmark (tests/bench/bench.py, ``BENCH_PARTS=controller``): the playbooks run as an
automation controller (AWX, Ansible Automation Platform) runs a job, through ``ansible_runner.run()`` with
MAX_EVENT_RES=700000 (tests/controller/controller_support.py says what else a job gets), and its block of BENCHMARKS.md.

What is read from a job: its job events (artifacts/<ident>/job_events/*.json, what the controller stores). The size of
a task's result is ``len(str(event_data['res']))`` of its runner_on_ok or runner_on_failed event, as ansible-runner's
callback measures it (awx_display.py, ``get_begin_dict``): a longer result than MAX_EVENT_RES is stored as ``{}``.

How the controller slices a job (AWX's job slicing, awx/main/models/inventory.py ``get_sliced_hosts``): the enabled
hosts of the inventory sorted by name, slice k of n gets ``hosts[k-1::n]``, each slice a job of its own with the
groups' variables. Here the inventory is the organization_accounts inventory as ``ansible-inventory --list --export``
gives it (what AWX's inventory update imports), written as one static JSON inventory per slice."""

from __future__ import annotations

import collections
import json
import pathlib

BEGIN = "<!-- BENCH-CONTROLLER:BEGIN (written by tests/bench/bench.py; edits inside are overwritten) -->"
END = "<!-- BENCH-CONTROLLER:END -->"
RESULT_EVENTS = ("runner_on_ok", "runner_on_failed")
OUTCOME_TASK = "This account's outcome"
TARGET_RATIO = 1.3
PARTIAL = ("**Partial: written while the harness was still running (after each job); the jobs not listed below had not run "
           "when it was stopped.**")
MAX_EVENT_RES = 700000


# ---------------------------------------------------------------------------
# Inventories as the controller gives them


def inventory_hosts(export: dict) -> list:
    """Every host of an ``ansible-inventory --list --export`` output, sorted by name (all enabled: the inventory
    plugin lists only ACTIVE accounts)."""
    hosts = set(export.get("_meta", {}).get("hostvars", {}))
    for name, group in export.items():
        if name != "_meta" and isinstance(group, dict):
            hosts.update(group.get("hosts", []))
    return sorted(hosts)


def slice_inventory(export: dict, slice_number: int, slice_count: int) -> dict:
    """The inventory of slice ``slice_number`` of ``slice_count``: ``hosts[slice_number - 1::slice_count]`` of the sorted
    hosts, each with its own variables, and the variables of the group all."""
    chosen = inventory_hosts(export)[slice_number - 1::slice_count]
    hostvars = export.get("_meta", {}).get("hostvars", {})
    return {"all": {"vars": export.get("all", {}).get("vars", {}), "hosts": {host: hostvars.get(host, {}) for host in chosen}}}


# ---------------------------------------------------------------------------
# What a job left


def job_facts(artifact_dir: pathlib.Path) -> dict:
    """From the job events: the largest task result (characters, task, event), the results stored as ``{}`` (replaced
    because longer than MAX_EVENT_RES), how many result events there were, and per host how many outcome events
    (OUTCOME_TASK, the per-account playbooks') it got."""
    largest = (0, None, None)
    replaced, results, outcomes = [], 0, collections.Counter()
    for path in (artifact_dir / "job_events").glob("*.json"):
        event = json.loads(path.read_text(encoding="utf-8"))
        if event.get("event") not in RESULT_EVENTS:
            continue
        data = event["event_data"]
        results += 1
        size = len(str(data.get("res")))
        if data.get("res") == {}:
            replaced.append(data.get("task"))
        if size > largest[0]:
            largest = (size, data.get("task"), event["event"])
        if data.get("task") == OUTCOME_TASK:
            outcomes[data.get("host")] += 1
    return {"largest_chars": largest[0], "largest_task": largest[1], "largest_event": largest[2], "replaced": sorted(set(replaced)),
            "replaced_count": len(replaced), "result_events": results, "outcomes": dict(outcomes)}


def report_account_ids(report_files) -> list:
    """The account ids every JSON audit report lists (one entry per listing, so that a repeat shows)."""
    ids = []
    for path in report_files:
        ids += [str(account["id"]) for account in json.loads(pathlib.Path(path).read_text(encoding="utf-8"))["accounts"]]
    return ids


# ---------------------------------------------------------------------------
# The block


def _fmt(value, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}"


def _met(ok) -> str:
    return "not measured" if ok is None else ("met" if ok else "**not met**")


def _replaced(run) -> str:
    """How many of a job's results the controller stored as {}, and of which tasks."""
    if "replaced_count" not in run.facts:
        return "n/a"
    return f"{run.facts['replaced_count']} ({', '.join(run.facts['replaced'])})" if run.facts["replaced_count"] else "0"


def _cpu_ms(runs: list) -> float | None:
    accounts = sum(run.accounts for run in runs)
    return 1000 * sum(run.cpu_s for run in runs) / accounts if runs and accounts else None


def _calls(runs: list) -> str:
    members = sum(run.calls_members for run in runs)
    minimum = sum(run.minimum_member_calls or 0 for run in runs)
    accounts = sum(run.accounts for run in runs)
    return f"{members / accounts:.2f} ({minimum / accounts:.2f})" if accounts else "n/a"


def how_it_was_run(settings, command: str, alone: bool) -> list:
    return [
        "### How it was run", "",
        f"`{command}`{' (what `make bench` runs once the collection tree is built)' if alone else ''}; "
        "`make bench BENCH_PARTS=controller` runs this part alone and leaves the other figures of this file as they are "
        "(`BENCH_CONTROLLER_SIZES`, `BENCH_CONTROLLER_SLICE_ACCOUNTS`, `BENCH_CONTROLLER_SLICES`, `BENCH_CONTROLLER_PER_HOST_ACCOUNTS`, "
        "`BENCH_CONTROLLER_RAISED_LIMIT`). One run of each.",
        "",
        "Every job is `ansible_runner.run()` in a process of its own (`tests/bench/controller_job.py`) over a private data "
        "directory laid out as AWX lays it out for a job (`tests/controller/controller_support.py`): a project whose playbook "
        "imports the collection's by its FQCN, `env/extravars` as a job template writes them (with the `awx_*` meta variables), "
        f"`suppress_env_files`, and in the environment `MAX_EVENT_RES={MAX_EVENT_RES}`, `JOB_ID`, the emulator's endpoint and "
        "temporary credentials of an automation role as the *Amazon Web Services* credential type injects them "
        "(`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SECURITY_TOKEN` and `AWS_SESSION_TOKEN`; no region), forks "
        f"{settings.per_host_forks}. Each organization is seeded fresh (`full` root credentials in every member, both features on) "
        "and the emulator's request log is cleared before every job. *Largest task result* is `len(str(res))` of every "
        "runner_on_ok and runner_on_failed job event, the largest; a result longer than MAX_EVENT_RES is stored as `{}`, and "
        f"when one was, the job is run again with MAX_EVENT_RES={settings.controller_raised_limit:,} to show the size it had. "
        "*Client CPU* is the user and system time of the runner's process and its descendants (ansible-playbook, its workers, "
        "the module processes).",
        "",
    ]


def largest_results_table(runs: list) -> list:
    lines = ["### Largest task result of the audit, as the controller stores it", "",
             "`playbooks/audit_organization.yml` (the `root_credentials_audit` role with the guardrails check) as one job on the "
             "controller's localhost inventory:", "",
             "| accounts | largest task result (characters) | task | results stored as `{}` | largest at the raised limit "
             "| wall (s) | client CPU (s) | JSON report lists (members + management) | calls/account (minimum) | management-account calls |",
             "|---:|---:|---|---:|---:|---:|---:|---|---|---:|"]
    for run in runs:
        facts = run.facts
        raised = facts.get("raised")
        at_raised = "not needed" if raised is None else f"{raised['largest_chars']:,} ({raised['largest_task']})"
        lines.append(
            f"| {run.accounts:,} | {facts['largest_chars']:,} | {facts['largest_task']} | {facts['replaced_count']}"
            f"{' (' + ', '.join(facts['replaced']) + ')' if facts['replaced'] else ''} "
            f"| {at_raised} "
            f"| {run.wall_s:.1f} | {run.cpu_s:.1f} | {facts['report_members']:,} + {facts['report_others']} "
            f"| {_calls([run])} | {run.calls_management} |")
    lines.append("")
    return lines


def slicing_table(bulk: list, whole: list, slices: list, today: list) -> list:
    bulk_ms = _cpu_ms(bulk)
    lines = ["### Job slicing: the per-account audit at bulk speed", "",
             "| run | jobs | accounts | wall (s) | client CPU (s) | client CPU per account (ms) | against the bulk job "
             "| calls/account in members (minimum) | management-account calls per job | every account exactly once |",
             "|---|---:|---:|---:|---:|---:|---:|---|---|---|"]

    def row(label: str, runs: list, once) -> None:
        ms = _cpu_ms(runs)
        ratio = None if ms is None or not bulk_ms else ms / bulk_ms
        lines.append(f"| {label} | {len(runs)} | {sum(run.accounts for run in runs):,} | {_fmt(sum(run.wall_s for run in runs), 1)} "
                     f"| {_fmt(sum(run.cpu_s for run in runs), 1)} | {_fmt(ms, 1)} | {_fmt(ratio)}x | {_calls(runs)} "
                     f"| {' / '.join(str(run.calls_management) for run in runs)} | {once} |")

    if bulk:
        row("`audit_organization.yml`, one job on localhost (bulk)", bulk, "yes" if bulk[0].facts.get("every_account") else "**no**")
    if whole:
        row("`audit_accounts_per_host.yml` over the inventory, one job", whole, "yes" if whole[0].facts.get("exactly_once") else "**no**")
    if slices:
        once = slices[0].facts.get("slices_exactly_once")
        row(f"`audit_accounts_per_host.yml`, {len(slices)} slices one after the other (sum)", slices, "yes" if once else "**no**")
        for run in slices:
            lines.append(f"| slice {run.facts['slice']} of {len(slices)} | 1 | {run.accounts:,} | {run.wall_s:.1f} | {run.cpu_s:.1f} "
                         f"| {_fmt(_cpu_ms([run]), 1)} | {_fmt(None if not bulk_ms else _cpu_ms([run]) / bulk_ms)}x | {_calls([run])} "
                         f"| {run.calls_management} | {run.facts['handled']:,} accounts in its report, one outcome each |")
    if today:
        row(f"today's per-host mode (`tests/bench/playbooks/per_host.yml`, a module process per host, ansible-playbook), "
            f"{today[0].accounts} accounts", today, "")
    lines.append("")
    return lines


def targets(audits: list, bulk: list, whole: list, slices: list, today: list) -> list:
    biggest = max(audits, key=lambda run: run.accounts) if audits else None
    under = None if biggest is None else biggest.facts["largest_chars"] < MAX_EVENT_RES and not biggest.facts["replaced_count"]
    listed = None if biggest is None else biggest.facts["every_account"]
    bulk_ms, slices_ms, today_ms = _cpu_ms(bulk), _cpu_ms(slices), _cpu_ms(today)
    ratio = slices_ms / bulk_ms if slices_ms and bulk_ms else None
    at_minimum = None if not slices else all(run.calls_members == run.minimum_member_calls for run in slices)
    jobs = audits + whole + slices
    replaced = sum(run.facts["replaced_count"] for run in jobs)
    lines = ["### Targets", "", "| target | figure | |", "|---|---|---|"]
    if jobs:
        lines.append(f"| every task result of every job kept (none longer than {MAX_EVENT_RES:,} characters, stored as `{{}}`) "
                     f"| {replaced} stored as `{{}}` in {sum(bool(run.facts['replaced_count']) for run in jobs)} of {len(jobs)} jobs "
                     f"| {_met(replaced == 0)} |")
    if biggest is not None:
        lines.append(f"| largest task result under {MAX_EVENT_RES:,} characters at {biggest.accounts:,} accounts "
                     f"| {biggest.facts['largest_chars']:,} ({biggest.facts['largest_task']}) | {_met(under)} |")
        lines.append(f"| the JSON report lists every account at {biggest.accounts:,} accounts | {biggest.facts['report_members']:,} members "
                     f"of {biggest.accounts:,} | {_met(listed)} |")
    if slices:
        lines.append(f"| sliced: every account handled exactly once | {sum(run.facts['handled'] for run in slices):,} listings "
                     f"of {sum(run.accounts for run in slices):,} accounts | {_met(slices[0].facts.get('slices_exactly_once'))} |")
        lines.append(f"| sliced: calls per account in the members at the minimum | {_calls(slices)} | {_met(at_minimum)} |")
        lines.append(f"| sliced: client CPU per account within {TARGET_RATIO}x of the single bulk job | {_fmt(slices_ms, 1)} ms against "
                     f"{_fmt(bulk_ms, 1)} ms: {_fmt(ratio)}x | {_met(None if ratio is None else ratio <= TARGET_RATIO)} |")
    if slices and today_ms:
        lines.append(f"| sliced against today's per-host mode (client CPU per account) | {_fmt(slices_ms, 1)} ms against "
                     f"{_fmt(today_ms, 1)} ms: today's mode costs {_fmt(today_ms / slices_ms)}x the slices' | |")
    lines.append("")
    return lines


def block(runs: list, started: str, machine: list, command: str, alone: bool, settings) -> str:
    """The controller part's block of BENCHMARKS.md, from its runs (kinds controller_audit, controller_whole,
    controller_slice and controller_today)."""
    audits = sorted((run for run in runs if run.kind == "controller_audit"), key=lambda run: run.accounts)
    bulk = [run for run in audits if run.accounts == settings.controller_slice_accounts]
    whole = [run for run in runs if run.kind == "controller_whole"]
    slices = sorted((run for run in runs if run.kind == "controller_slice"), key=lambda run: run.facts["slice"])
    today = [run for run in runs if run.kind == "controller_today"]
    lines = [BEGIN, "", f"## As an automation controller runs it: ansible-runner, result sizes, job slicing (last run {started} UTC)", ""]
    lines += machine
    lines += how_it_was_run(settings, command, alone)
    if not runs:
        return "\n".join(lines + ["Not run.", "", END]) + "\n"
    lines += largest_results_table(audits)
    lines += [f"The slicing runs audit {settings.controller_slice_accounts:,} accounts of one organization (the bulk job is the "
              f"{settings.controller_slice_accounts:,}-account run of the table above; the audit only reads, so every job sees the "
              "same organization): `playbooks/audit_accounts_per_host.yml` over the `organization_accounts` inventory "
              "(`tests/bench/inventory/bench.organization_accounts.yml`), as one job and as slices, each slice its own job with the "
              "inventory AWX gives it. *Every account exactly once*: the member accounts listed by the jobs' JSON reports "
              "(`<report_dir>/runs/*/root-credentials-audit.json`) are the organization's, each once, and every host got one "
              "outcome event. Today's per-host mode is measured in the same run at a smaller size (its cost per account does not "
              "fall with the size: a module process per host).", ""]
    lines += slicing_table(bulk, whole, slices, today)
    lines += targets(audits, bulk, whole, slices, today)
    lines += ["<details><summary>Every job</summary>", "",
              "| job | accounts | wall (s) | client CPU (s) | emulator CPU (s) | calls (members + management) | result events "
              "| largest result (characters) | results stored as `{}` | module peak RSS (MiB) |",
              "|---|---:|---:|---:|---:|---|---:|---:|---|---:|"]
    for run in runs:
        label = run.kind + (f" {run.facts['slice']}" if run.kind == "controller_slice" else "")
        lines.append(f"| {label} | {run.accounts:,} | {run.wall_s:.2f} | {run.cpu_s:.1f} | {_fmt(run.emulator_cpu_s, 1)} "
                     f"| {run.calls_members} + {run.calls_management} | {run.facts.get('result_events', 'n/a')} "
                     f"| {run.facts.get('largest_chars', 'n/a')} | {_replaced(run)} | {_fmt(run.module_peak_rss_mib, 0)} |")
    lines += ["", "</details>", "", END]
    return "\n".join(lines) + "\n"
