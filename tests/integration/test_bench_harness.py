"""The benchmark harness (tests/bench, `make bench`) at a tiny size, so that it keeps working.

Nothing here looks at a timing: the harness records speed and memory in BENCHMARKS.md and
never asserts them. What is checked is that every part runs and reports, and that the bulk
modules and the ceiling make exactly the minimum calls per account."""

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
               "--per-host-forks", "2", "--baseline-accounts", "1", "--output", str(output), "--json", str(tmp_path / "runs.json")]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=600, check=False)
    assert done.returncode == 0, done.stdout + done.stderr

    runs = json.loads((tmp_path / "runs.json").read_text())["runs"]
    kinds = {(run["kind"], run["runner"]) for run in runs}
    expected = {("audit", "ansible"), ("audit", "ceiling"), ("per_host", "ansible"), ("removal", "ansible"), ("removal", "ceiling"),
                ("password", "ansible")}
    if shutil.which("jq"):
        expected.add(("baseline", "bash"))
    assert kinds == expected
    for run in runs:
        if run["kind"] in ("audit", "removal", "password", "per_host"):
            assert run["calls_members"] == run["minimum_member_calls"], run
        if os.path.isdir("/proc/self") and run["runner"] != "bash":
            assert run["module_peak_rss_mib"], run
        assert run["wall_s"] > 0 and run["seed_s"] >= 0

    text = output.read_text()
    assert text.startswith("# Benchmarks\n\nHand-written text before.\n\n" + bench.BEGIN)
    assert text.endswith(bench.END + "\n\nAnd after.\n")
    assert "old figures" not in text
    for heading in ("### Machine and versions", "### How it was run", "### Bulk modules against the ceiling", "### Seeding",
                    "### Per-host mode", "### Targets"):
        assert heading in text
    assert "| 3 | audit | 1 |" in text and "| 3 | removal | 1 |" in text


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
