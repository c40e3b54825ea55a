"""The benchmark harness (tests/bench, `make bench`) at a tiny size, so that it keeps working.

Nothing here looks at a timing: the harness records speed and memory in BENCHMARKS.md and
never asserts them. What is checked is that every part runs and reports, that the bulk
modules and the ceiling make exactly the minimum calls per account, that the guardrails check
reads each policy once and nothing in a member account, and that a part run alone rewrites only
its own block of the report, and that the controller part runs its jobs through ansible-runner and hands
every account to exactly one slice."""

from __future__ import annotations

import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

BENCH_DIR = pathlib.Path(__file__).resolve().parents[1] / "bench"
sys.path.insert(0, str(BENCH_DIR))

import bench  # noqa: E402  pylint: disable=wrong-import-position,import-error


def test_the_harness_runs_every_part_at_a_tiny_size(tmp_path):
    output = tmp_path / "BENCHMARKS.md"
    output.write_text("# Benchmarks\n\nHand-written text before.\n\n" + bench.BEGIN + "\nold figures\n" + bench.END + "\n\nAnd after.\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("BENCH_")}
    command = [sys.executable, str(BENCH_DIR / "bench.py"), "--sizes", "3", "--repeat", "1", "--per-host-accounts", "2",
               "--per-host-forks", "2", "--baseline-accounts", "1", "--guardrails-sizes", "3", "--output", str(output),
               "--latency-accounts", "3", "--latency-concurrency", "1,2", "--latency-repeat", "1", "--json", str(tmp_path / "runs.json"),
               "--parts", "modules,guardrails,latency"]  # the controller part has a test of its own
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr

    runs = json.loads((tmp_path / "runs.json").read_text())["runs"]
    kinds = {(run["kind"], run["runner"]) for run in runs}
    expected = {("audit", "ansible"), ("audit", "ceiling"), ("per_host", "ansible"), ("removal", "ansible"), ("removal", "ceiling"),
                ("password", "ansible"), ("guardrails", "ansible"), ("latency", "ansible")}
    if shutil.which("jq"):
        expected.add(("baseline", "bash"))
    assert kinds == expected
    for run in runs:
        if run["kind"] in ("audit", "removal", "password", "per_host", "latency"):
            assert run["calls_members"] == run["minimum_member_calls"], run
        if os.path.isdir("/proc/self") and run["runner"] != "bash":
            assert run["module_peak_rss_mib"], run
        assert run["wall_s"] > 0 and run["seed_s"] >= 0

    text = output.read_text()
    assert text.startswith("# Benchmarks\n\nHand-written text before.\n\n" + bench.BEGIN)
    assert bench.END + "\n\n" + bench.GUARDRAILS_BEGIN in text
    assert bench.GUARDRAILS_END + "\n\n" + bench.LATENCY_BEGIN in text
    assert text.endswith(bench.LATENCY_END + "\n\nAnd after.\n")
    latency_runs = [run for run in runs if run["kind"] == "latency"]
    assert sorted(run["facts"]["concurrency"] for run in latency_runs) == [1, 2]
    # 7 calls per account at 30 ms each, at most `concurrency` accounts at a time: the delay was in force
    assert all(run["wall_s"] >= 21 * 0.030 / run["facts"]["concurrency"] for run in latency_runs)
    assert "old figures" not in text
    for heading in ("### Machine and versions", "### How it was run", "### Bulk modules against the ceiling", "### Seeding",
                    "### Per-host mode", "### Targets", "### Accounts per second by concurrency",
                    "### Where the client's CPU becomes the limit"):
        assert heading in text
    assert "| 3 | audit | 1 |" in text and "| 3 | removal | 1 |" in text


def test_the_guardrails_part_alone_rewrites_only_its_block(tmp_path):
    output = tmp_path / "BENCHMARKS.md"
    modules_block = bench.BEGIN + "\nthe modules' figures, kept\n" + bench.END
    output.write_text("# Benchmarks\n\n" + modules_block + "\n\nAnd after.\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("BENCH_")}
    env["BENCH_PARTS"] = "guardrails"
    command = [sys.executable, str(BENCH_DIR / "bench.py"), "--guardrails-sizes", "4", "--guardrails-repeat", "1",
               "--output", str(output), "--json", str(tmp_path / "runs.json")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr

    runs = json.loads((tmp_path / "runs.json").read_text())["runs"]
    assert [(run["kind"], run["runner"], run["accounts"]) for run in runs] == [("guardrails", "ansible", 4)]
    run = runs[0]
    # Every call in the management account, reads only: the walk of 24 OUs and the policy reads (10 SCPs and 3 RCPs,
    # with FullAWSAccess and RCPFullAWSAccess: 15 policies, one DescribePolicy and one ListTargetsForPolicy each).
    assert run["calls_members"] == 0 and run["calls_management"] == run["calls_total"]
    assert {name: run["by_action"][name] for name in ("organizations:ListPolicies", "organizations:DescribePolicy",
                                                      "organizations:ListTargetsForPolicy")} == {
        "organizations:ListPolicies": 2, "organizations:DescribePolicy": 15, "organizations:ListTargetsForPolicy": 15}
    assert run["facts"]["ous"] == 24
    assert run["facts"]["summary"]["IAMDeleteRootUserCredentials"]["blocked"] == run["facts"]["blocked"]
    if os.path.isdir("/proc/self"):
        assert run["module_peak_rss_mib"]

    text = output.read_text()
    assert text.startswith("# Benchmarks\n\n" + modules_block + "\n\n" + bench.GUARDRAILS_BEGIN)
    assert text.endswith(bench.GUARDRAILS_END + "\n\nAnd after.\n")
    for heading in ("### How it was run", "### Time, memory and calls", "### Calls by operation", "### What the check found"):
        assert heading in text
    assert "`BENCH_PARTS=guardrails python tests/bench/bench.py --guardrails-sizes 4" in text
    assert "| organizations:DescribePolicy | 15 | one per policy |" in text


@pytest.mark.parametrize("before, expected", [
    ("", "# Benchmarks"),
    ("# Mine\n\nNotes.\n", "# Mine\n\nNotes.\n\n" + bench.BEGIN),
])
def test_the_report_keeps_what_is_outside_its_markers(tmp_path, before, expected):
    path = tmp_path / "BENCHMARKS.md"
    if before:
        path.write_text(before)
    block = bench.BEGIN + "\nfigures\n" + bench.END + "\n"
    bench.write_report(path, block)
    assert path.read_text().startswith(expected)
    assert path.read_text().endswith(block)
    bench.write_report(path, block.replace("figures", "new figures"))
    assert path.read_text().count(bench.BEGIN) == 1
    assert "new figures" in path.read_text()


def test_a_guardrails_block_goes_after_the_modules_block_and_is_replaced_in_place(tmp_path):
    path = tmp_path / "BENCHMARKS.md"
    path.write_text("# B\n\n" + bench.BEGIN + "\nmodules\n" + bench.END + "\n\nHand-written.\n")
    guardrails = bench.GUARDRAILS_BEGIN + "\nchecks\n" + bench.GUARDRAILS_END + "\n"
    bench.write_report(path, guardrails, bench.GUARDRAILS_BEGIN, bench.GUARDRAILS_END)
    assert path.read_text() == "# B\n\n" + bench.BEGIN + "\nmodules\n" + bench.END + "\n\n" + guardrails + "\nHand-written.\n"
    bench.write_report(path, guardrails.replace("checks", "new checks"), bench.GUARDRAILS_BEGIN, bench.GUARDRAILS_END)
    bench.write_report(path, bench.BEGIN + "\nnew modules\n" + bench.END + "\n")
    assert path.read_text() == ("# B\n\n" + bench.BEGIN + "\nnew modules\n" + bench.END + "\n\n"
                                + guardrails.replace("checks", "new checks") + "\nHand-written.\n")


def test_the_controller_part_runs_the_jobs_through_ansible_runner_and_slices_every_account_once(tmp_path):
    output = tmp_path / "BENCHMARKS.md"
    output.write_text("# Benchmarks\n\n" + bench.LATENCY_BEGIN + "\nthe latency figures, kept\n" + bench.LATENCY_END + "\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith("BENCH_")}
    env.update(BENCH_PARTS="controller", BENCH_CONTROLLER_SIZES="3", BENCH_CONTROLLER_SLICES="2")
    command = [sys.executable, str(BENCH_DIR / "bench.py"), "--controller-slice-accounts", "3", "--controller-per-host-accounts", "2",
               "--output", str(output), "--json", str(tmp_path / "runs.json")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=900, check=False)
    assert done.returncode == 0, done.stdout + done.stderr

    runs = json.loads((tmp_path / "runs.json").read_text())["runs"]
    assert [(run["kind"], run["runner"], run["accounts"]) for run in runs] == [
        ("controller_today", "ansible", 2), ("controller_audit", "ansible-runner", 3), ("controller_whole", "ansible-runner", 3),
        ("controller_slice", "ansible-runner", 2), ("controller_slice", "ansible-runner", 1)]
    for run in runs:
        assert run["calls_members"] == run["minimum_member_calls"] == 7 * run["accounts"], run
    audit, whole, *slices = runs[1:]
    # The result sizes come from the job events: every task result kept, none stored as {}.
    assert 0 < audit["facts"]["largest_chars"] < bench.controller_part.MAX_EVENT_RES and audit["facts"]["replaced_count"] == 0
    assert audit["facts"]["every_account"] and (audit["facts"]["report_members"], audit["facts"]["report_others"]) == (3, 1)
    # Every account handled once: in the one job, and over the slices (hosts sorted by name, every second one per slice).
    assert whole["facts"]["exactly_once"] and whole["facts"]["handled"] == 3
    assert [(run["facts"]["slice"], run["facts"]["handled"], sorted(run["facts"]["outcomes"].values())) for run in slices] == [
        (1, 2, [1, 1]), (2, 1, [1])]
    assert all(run["facts"]["slices_exactly_once"] for run in slices)
    hosts = sorted(set(slices[0]["facts"]["outcomes"]) | set(slices[1]["facts"]["outcomes"]))
    assert sorted(slices[0]["facts"]["outcomes"]) == hosts[0::2] and sorted(slices[1]["facts"]["outcomes"]) == hosts[1::2]

    text = output.read_text()
    assert text.startswith("# Benchmarks\n\n" + bench.LATENCY_BEGIN + "\nthe latency figures, kept\n" + bench.LATENCY_END
                           + "\n\n" + bench.CONTROLLER_BEGIN)
    assert text.endswith(bench.CONTROLLER_END + "\n") and text.count(bench.CONTROLLER_BEGIN) == 1
    assert bench.controller_part.PARTIAL not in text
    assert "`BENCH_CONTROLLER_SIZES=3 BENCH_CONTROLLER_SLICES=2 BENCH_PARTS=controller python tests/bench/bench.py" in text
    for heading in ("### How it was run", "### Largest task result of the audit, as the controller stores it",
                    "### Job slicing: the per-account audit at bulk speed", "### Targets"):
        assert heading in text
    assert "| sliced: every account handled exactly once | 3 listings of 3 accounts | met |" in text
    assert f"| every task result of every job kept (none longer than {bench.controller_part.MAX_EVENT_RES:,} characters, stored as `{{}}`) " \
           "| 0 stored as `{}` in 0 of 4 jobs | met |" in text


def test_a_controller_slice_gets_every_nth_host_sorted_by_name_with_the_variables_of_all():
    export = {"_meta": {"hostvars": {name: {"account_id": name} for name in ("300", "100", "200", "400", "500")}},
              "all": {"children": ["ungrouped", "ou_a"], "vars": {"rootguard_inventory_accounts": 5}},
              "ou_a": {"hosts": ["500", "300"]}, "ungrouped": {"hosts": ["100", "200", "400"]}}

    slices = [bench.controller_part.slice_inventory(export, number, 2) for number in (1, 2)]

    assert [sorted(part["all"]["hosts"]) for part in slices] == [["100", "300", "500"], ["200", "400"]]
    assert all(part["all"]["vars"] == {"rootguard_inventory_accounts": 5} for part in slices)
    assert slices[1]["all"]["hosts"]["400"] == {"account_id": "400"}
