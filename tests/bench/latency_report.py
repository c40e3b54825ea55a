"""The latency part's block of BENCHMARKS.md (tests/bench/bench.py, ``BENCH_PARTS=latency``): the bulk audit
against the emulator with a fixed delay on every AWS call, as a network round trip to AWS costs, at several
concurrencies; and where the client's CPU becomes the limit, said from the figures, never written in advance.

The rule for the sentences: a module process's threads share one Python interpreter lock, so the process
uses about one core at most. Its *CPU demand* is the time its threads ran plus the time they waited, runnable,
for a CPU (schedstat), over its lifetime: at ``BUSY`` or more it is short of CPU, from its own interpreter
lock or from CPUs other processes hold. The client's CPU
is the limit from the first concurrency at which that demand reaches ``BUSY`` of a core: from there more
workers only queue for the one core (or, on a machine short of CPUs, for any). Accounts per second (over the
module process's lifetime, Ansible's start-up left out) have stopped growing at the first concurrency that
brings less than ``GROWTH`` times the previous one's. Where they stop before the client's CPU is the limit,
the sentence names what was busy instead (the emulator, one Python process too, or the machine's CPUs, which
client and emulator share here and would not against AWS)."""

from __future__ import annotations

import dataclasses
import statistics

BEGIN = "<!-- BENCH-LATENCY:BEGIN (written by tests/bench/bench.py; edits inside are overwritten) -->"
END = "<!-- BENCH-LATENCY:END -->"
BUSY = 0.8
GROWTH = 1.10


def _median(values) -> float | None:
    values = [value for value in values if value is not None]
    return statistics.median(values) if values else None


def _ratio(numerator: float | None, denominator: float | None) -> float | None:
    return None if numerator is None or not denominator else numerator / denominator


def _fmt(value: float | None, digits: int = 2, unit: str = "") -> str:
    return "n/a" if value is None else f"{value:,.{digits}f}{unit}"


@dataclasses.dataclass
class Row:
    """The medians of the runs at one concurrency."""

    concurrency: int
    runs: int
    accounts: int
    latency_ms: float
    wall_s: float
    wall_range: tuple
    calls_per_account: float
    client_cpu_s: float
    module_cpu_s: float | None
    module_wall_s: float | None
    module_wait_s: float | None
    emulator_cpu_s: float | None

    @property
    def accounts_per_s(self) -> float:
        return self.accounts / self.wall_s

    @property
    def module_accounts_per_s(self) -> float | None:
        """Accounts per second over the module process's lifetime: without Ansible's start-up, which does not change with the
        concurrency and would hide the module's rate at high concurrency."""
        return _ratio(self.accounts, self.module_wall_s)

    @property
    def rate(self) -> float:
        """The rate the sentences compare: the module's when measured, else over the wall time."""
        return self.module_accounts_per_s or self.accounts_per_s

    @property
    def latency_bound(self) -> float:
        """Accounts per second that ``concurrency`` workers reach when every call costs the delay and nothing else."""
        return self.concurrency / (self.calls_per_account * self.latency_ms / 1000)

    @property
    def client_cores(self) -> float:
        return self.client_cpu_s / self.wall_s

    @property
    def module_cores(self) -> float | None:
        return _ratio(self.module_cpu_s, self.module_wall_s)

    @property
    def module_waiting(self) -> float | None:
        """Cores' worth of time the module's threads waited, runnable, for a CPU."""
        return _ratio(self.module_wait_s, self.module_wall_s)

    @property
    def module_demand(self) -> float | None:
        """The cores the module process would have kept busy: running plus waiting for a CPU (running alone without schedstat)."""
        if self.module_cores is None:
            return None
        return self.module_cores + (self.module_waiting or 0.0)

    @property
    def module_ms_per_account(self) -> float | None:
        return None if self.module_cpu_s is None else 1000 * self.module_cpu_s / self.accounts

    @property
    def emulator_busy(self) -> float | None:
        return _ratio(self.emulator_cpu_s, self.wall_s)

    @property
    def machine_cores(self) -> float | None:
        """CPUs kept busy by client and emulator together."""
        return None if self.emulator_cpu_s is None else (self.client_cpu_s + self.emulator_cpu_s) / self.wall_s


def rows(runs: list) -> list:
    """One Row per concurrency (ascending), from the bench's latency runs (``facts``: concurrency, latency_ms, module_cpu_s,
    module_wall_s)."""
    by_concurrency: dict = {}
    for run in runs:
        by_concurrency.setdefault(run.facts["concurrency"], []).append(run)
    found = []
    for concurrency in sorted(by_concurrency):
        items = by_concurrency[concurrency]
        walls = [run.wall_s for run in items]
        found.append(Row(
            concurrency=concurrency, runs=len(items), accounts=items[0].accounts, latency_ms=items[0].facts["latency_ms"],
            wall_s=statistics.median(walls), wall_range=(min(walls), max(walls)),
            calls_per_account=statistics.median(run.calls_members / run.accounts for run in items),
            client_cpu_s=statistics.median(run.cpu_s for run in items),
            module_cpu_s=_median(run.facts.get("module_cpu_s") for run in items),
            module_wall_s=_median(run.facts.get("module_wall_s") for run in items),
            module_wait_s=_median(run.facts.get("module_wait_s") for run in items),
            emulator_cpu_s=_median(run.emulator_cpu_s for run in items),
        ))
    return found


def limit_sentences(found: list, cpus: int) -> list:
    """What the figures say about the limits, as sentences (see the module's docstring for the rule)."""
    first, last = found[0], found[-1]
    sentences = [
        f"With {last.latency_ms:g} ms a call and {last.calls_per_account:.2f} calls per account, made one after another in an "
        f"account, `concurrency` workers audit at most concurrency / ({last.calls_per_account:.2f} x {last.latency_ms / 1000:.3f} s) "
        f"accounts per second (*latency bound*); the module reached "
        + ", ".join(f"{100 * row.rate / row.latency_bound:.0f}% of it at {row.concurrency}" for row in found) + "."
    ]
    stop = next(((before, row) for before, row in zip(found, found[1:]) if row.rate < GROWTH * before.rate), None)
    if stop is not None:
        before, row = stop
        sentences.append(
            f"Accounts per second in the module stop growing at concurrency {row.concurrency}: {before.rate:,.1f} at {before.concurrency}, "
            f"{row.rate:,.1f} at {row.concurrency} ({100 * (row.rate / before.rate - 1):+.0f}% for "
            f"{row.concurrency / before.concurrency:.1f}x the workers).")
    elif len(found) > 1:
        sentences.append(
            f"Accounts per second in the module grow at every step: {first.rate:,.1f} at {first.concurrency} to {last.rate:,.1f} "
            f"at {last.concurrency} ({last.rate / first.rate:.1f}x for {last.concurrency / first.concurrency:.0f}x the workers).")

    measured = [row for row in found if row.module_demand is not None]
    if not measured:
        return sentences + ["The module process's CPU was not measured (no /proc), so where the client's CPU becomes the limit is not known."]
    bound = next((row for row in measured if row.module_demand >= BUSY), None)
    if bound is not None:
        waiting = ""
        if bound.module_waiting:
            waiting = (f" and its threads waited, runnable, {bound.module_waiting:.2f} cores' worth of its lifetime for a CPU (this "
                       f"machine's {cpus} CPUs are shared with the emulator and any other work)")
        sentences.append(
            f"**The client's CPU becomes the limit at concurrency {bound.concurrency}**: there the module process is short of CPU: "
            f"it ran {bound.module_cores:.2f} cores{waiting}. Its threads share one Python interpreter lock, so one free core is the "
            "most it can use; more workers only queue for it.")
    else:
        busiest = max(measured, key=lambda row: row.module_demand)
        sentences.append(
            f"**The client's CPU does not become the limit up to concurrency {last.concurrency}**: the module process ran and waited "
            f"for a CPU at most {busiest.module_demand:.2f} cores' worth of its lifetime (at {busiest.concurrency}), under "
            f"{BUSY:.0%} of the one core its interpreter lock allows.")
    if stop is not None and (bound is None or bound.concurrency > stop[1].concurrency):
        sentences.append(_other_limit(stop[1], cpus))
    heaviest = measured[-1]
    ceiling = 1000 / heaviest.module_ms_per_account
    reached_at = ceiling * heaviest.calls_per_account * heaviest.latency_ms / 1000
    sentences.append(
        f"The module spends {heaviest.module_ms_per_account:.1f} ms of CPU per account at concurrency {heaviest.concurrency} (its "
        f"start-up included): one free core carries about {ceiling:,.0f} accounts per second, against the {heaviest.rate:,.1f} it reached"
        + (f"; the latency bound reaches that at a concurrency of about {reached_at:,.0f}, beyond the concurrencies measured."
           if bound is None and reached_at > last.concurrency else "."))
    return sentences


def _other_limit(row: Row, cpus: int) -> str:
    """The sentence for accounts per second that stop growing while the module process has CPU to spare."""
    causes = []
    if row.emulator_busy is not None and row.emulator_busy >= BUSY:
        causes.append(f"the emulator, one Python process as well, is busy {row.emulator_busy:.0%} of a core")
    if row.machine_cores is not None and row.machine_cores >= BUSY * cpus:
        causes.append(f"client and emulator together keep {row.machine_cores:.1f} of this machine's {cpus} CPUs busy")
    if not causes:
        emulator = "n/a" if row.emulator_busy is None else f"{row.emulator_busy:.0%}"
        return (f"At concurrency {row.concurrency} neither the module process (work for {_fmt(row.module_demand)} cores), the emulator "
                f"({emulator} busy) nor the machine ({_fmt(row.machine_cores, 1)} of {cpus} CPUs) is at its limit: what holds the "
                "runs back there is not a CPU.")
    return (f"There the limit is not the client's CPU: {' and '.join(causes)}; against AWS the service side is not the "
            "client's to pay, so these figures understate what the client reaches there.")


def block(runs: list, cpus: int, started: str, machine_lines: list, command: str, by_default: bool) -> str:
    """The block, from BEGIN to END; ``by_default``: ``command`` is what ``make bench`` runs."""
    found = rows(runs) if runs else []
    lines = [BEGIN, "", f"## The bulk audit with a network round trip per call (last run {started} UTC)", ""]
    lines += machine_lines
    accounts = f"{found[0].accounts:,}" if found else "N"
    latency = f"{found[0].latency_ms:g}" if found else "N"
    lines += [
        "### How it was run", "",
        f"`{command}`{' (what `make bench` runs once the collection tree is built)' if by_default else ''}; "
        "`make bench BENCH_PARTS=latency` runs this part alone and leaves the other figures of this file as they are.",
        "",
        f"Every run starts from a fresh organization of {accounts} member accounts seeded as above (`full` root credentials), then "
        f"`POST /moto-api/rootguard/latency` with `{{\"milliseconds\": {latency}}}`: the emulator then sleeps that long before "
        "every AWS API request (never a control-API one), each request in its own server thread, as a round trip to AWS costs a "
        "client. The command measured, with the environment above:",
        "",
        "- `ansible-playbook tests/bench/playbooks/audit.yml -e '{\"concurrency\": C, \"summary_file\": \"...\"}'` (one "
        "`rootguard.aws.root_credentials_info` task with `all_accounts: true`)",
        "",
        "*Client CPU* is the user and system time of `ansible-playbook` and its descendants (wait4), Ansible's start-up included; "
        "divided by the wall time it is the cores the client keeps busy. *Module CPU* is the module process's own "
        "(`python AnsiballZ_root_credentials_info.py`, read from /proc every 10 ms while it runs), divided by its own lifetime; "
        "*waiting for a CPU* is how long its threads were runnable but not running (schedstat, read every 100 ms), over the same "
        "lifetime. *Accounts/s* is over the wall time, Ansible's start-up included; *accounts/s in the module* over the module "
        "process's lifetime, which the sentences below compare. *Emulator busy* is the emulator process's CPU over the run divided "
        "by the wall time. Each run is checked: every account `ok`, the calls at the minimum, and a wall time no shorter than the "
        "member calls' delays spread over the workers.",
        "",
    ]
    if not found:
        return "\n".join(lines + ["Not run.", "", END]) + "\n"
    lines += [
        "### Accounts per second by concurrency", "",
        "| concurrency | runs | wall (s) | accounts/s | module lifetime (s) | accounts/s in the module | latency bound (accounts/s) "
        "| client CPU (s) | client CPU / wall (cores) | module CPU (s) | module CPU / its lifetime (cores) "
        "| module waiting for a CPU (cores) | module CPU per account (ms) | emulator CPU (s) | emulator busy |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in found:
        spread = f" ({row.wall_range[0]:,.2f}-{row.wall_range[1]:,.2f})" if row.runs > 1 else ""
        lines.append(
            f"| {row.concurrency} | {row.runs} | {row.wall_s:,.2f}{spread} | **{row.accounts_per_s:,.1f}** | {_fmt(row.module_wall_s)} "
            f"| {_fmt(row.module_accounts_per_s, 1)} | {row.latency_bound:,.1f} "
            f"| {row.client_cpu_s:,.1f} | {row.client_cores:.2f} | {_fmt(row.module_cpu_s, 1)} | {_fmt(row.module_cores)} "
            f"| {_fmt(row.module_waiting)} "
            f"| {_fmt(row.module_ms_per_account, 1)} | {_fmt(row.emulator_cpu_s, 1)} "
            f"| {'n/a' if row.emulator_busy is None else f'{row.emulator_busy:.0%}'} |")
    lines += ["", "### Where the client's CPU becomes the limit", ""]
    lines += [" ".join(limit_sentences(found, cpus)), ""]
    lines += ["<details><summary>Every run</summary>", "",
              "| concurrency | # | wall (s) | client CPU (s) | module CPU (s) | module lifetime (s) | module waiting for a CPU (s) "
              "| emulator CPU (s) | calls (members + management) | module peak RSS (MiB) | seed (s) |",
              "|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|---:|"]
    for run in runs:
        lines.append(f"| {run.facts['concurrency']} | {run.repetition + 1} | {run.wall_s:.2f} | {run.cpu_s:.1f} "
                     f"| {_fmt(run.facts.get('module_cpu_s'), 1)} | {_fmt(run.facts.get('module_wall_s'), 1)} "
                     f"| {_fmt(run.facts.get('module_wait_s'), 1)} | {_fmt(run.emulator_cpu_s, 1)} "
                     f"| {run.calls_members} + {run.calls_management} | {_fmt(run.module_peak_rss_mib, 0)} | {run.seed_s:.2f} |")
    lines += ["", "</details>", "", END]
    return "\n".join(lines) + "\n"
