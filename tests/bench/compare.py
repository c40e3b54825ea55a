"""Before and after: the same work against two or more variants of the emulator and the
collection, run alternately (A B, B A, ...) so that a busy machine weighs on each alike.
It gives the before/after figures of the fixes in BENCHMARKS.md.

    python tests/bench/compare.py --accounts 1000 --repeat 2 --work ceiling-audit,ceiling-removal \\
        --variant before=OLD/tests/emulator:OLD_COLLECTIONS --variant after=tests/emulator:build/collections

A variant is NAME=EMULATOR_DIR:COLLECTIONS_PATH (the directory holding rootguard_emulator, and
the one holding ansible_collections/rootguard/aws); a checkout of an older commit gives the
``before``. Work items: ``ceiling-audit``, ``ceiling-removal``, ``ansible-audit``,
``ansible-removal``, ``ansible-password`` (the removal of the password only),
``ansible-per_host`` (the audit as one module call per inventory host, forks 20) (one run
each per repetition, on a fresh organization of --accounts accounts), and ``requests`` (--requests sequential GetCallerIdentity calls from one client
in this process: CPU time per request of the client and of the emulator, and latency). For
each it prints every run and the medians: wall time, CPU time of the command, the emulator's
CPU time, peak RSS of the module (or ceiling) process, the calls made in the management
account, and seeding time."""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import resource
import statistics
import sys
import tempfile
import time

import bench

WORK = ("ceiling-audit", "ceiling-removal", "ansible-audit", "ansible-removal", "ansible-password", "ansible-per_host", "requests")
PER_HOST_FORKS = 20


def variant(text: str) -> tuple:
    name, _equals, paths = text.partition("=")
    emulator, _colon, collections = paths.partition(":")
    if not (name and emulator and collections):
        raise argparse.ArgumentTypeError(f"{text!r}: expected NAME=EMULATOR_DIR:COLLECTIONS_PATH")
    return name, pathlib.Path(emulator).resolve(), pathlib.Path(collections).resolve()


def command(work: str, accounts_file: pathlib.Path, concurrency: int) -> list:
    runner, task = work.split("-")
    if runner == "ceiling":
        return [sys.executable, str(bench.HERE / "ceiling.py"), "--task", task, "--concurrency", str(concurrency)]
    variables = {"concurrency": concurrency, "summary_file": str(accounts_file)}
    if task == "password":
        task, variables["credential_types"] = "removal", ["password"]
    ansible_playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    inventory = ["-i", str(bench.HERE / "inventory" / "bench.organization_accounts.yml"), "-f", str(PER_HOST_FORKS)] if task == "per_host" else []
    return [ansible_playbook, *inventory, str(bench.HERE / "playbooks" / f"{task}.yml"), "-e", json.dumps(variables)]


def requests(emulator: bench.Emulator, count: int) -> tuple:
    import boto3  # pylint: disable=import-outside-toplevel

    emulator.fresh_organization(1000)
    sts = boto3.session.Session().client("sts", region_name=bench.REGION, endpoint_url=emulator.endpoint,
                                         aws_access_key_id="testing", aws_secret_access_key="testing")
    sts.get_caller_identity()
    emulator_before = emulator.cpu_s()
    usage_before = resource.getrusage(resource.RUSAGE_SELF)
    started = time.perf_counter()
    for _count in range(count):
        sts.get_caller_identity()
    wall = time.perf_counter() - started
    usage = resource.getrusage(resource.RUSAGE_SELF)
    client = usage.ru_utime + usage.ru_stime - usage_before.ru_utime - usage_before.ru_stime
    return 1000 * client / count, 1000 * (emulator.cpu_s() - emulator_before) / count, 1000 * wall / count


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", maxsplit=1)[0])
    parser.add_argument("--variant", type=variant, action="append", required=True)
    parser.add_argument("--work", default="ceiling-audit,ceiling-removal")
    parser.add_argument("--accounts", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--concurrency", type=int, default=10)
    parser.add_argument("--requests", type=int, default=1500)
    args = parser.parse_args(argv)
    works = [item for item in args.work.split(",") if item]
    unknown = sorted(set(works) - set(WORK))
    if unknown:
        parser.error(f"unknown work {', '.join(unknown)}; choose from {', '.join(WORK)}")
    workdir = pathlib.Path(tempfile.mkdtemp(prefix="rootguard-compare-"))
    figures: dict = {}
    for repetition in range(args.repeat):
        order = args.variant if repetition % 2 == 0 else list(reversed(args.variant))
        for name, emulator_dir, collections in order:
            bench.EMULATOR_DIR = emulator_dir
            emulator = bench.Emulator(workdir)
            try:
                for work in works:
                    if work == "requests":
                        client, server, latency = requests(emulator, args.requests)
                        figures.setdefault((work, name), []).append((client, server, latency))
                        print(f"{work:16} {name:10} #{repetition + 1}: client {client:.2f} ms, emulator {server:.2f} ms CPU per request, "
                              f"{latency:.2f} ms per request; load {os.getloadavg()[0]:.1f}", flush=True)
                        continue
                    truth, _reset, seeded = emulator.fresh_organization(args.accounts)
                    env = dict(bench.clean_environment(), PATH=os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")]),
                               AWS_ENDPOINT_URL=emulator.endpoint, AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing",
                               AWS_DEFAULT_REGION=bench.REGION, ANSIBLE_COLLECTIONS_PATH=str(collections),
                               ANSIBLE_LOCALHOST_WARNING="false", ANSIBLE_HOME=str(workdir / "ansible-home"),
                               ANSIBLE_LOCAL_TEMP=str(workdir / "ansible-tmp"))
                    before = emulator.cpu_s()
                    measured = bench.run_measured(command(work, workdir / "summary.json", args.concurrency), env, workdir / "run.log", 3600)
                    emulator_cpu = emulator.cpu_s() - before
                    management_calls = emulator.client.requests()["by_account"].get(truth["management_account_id"], 0)
                    rss = measured.module_peak_rss_mib if work.startswith("ansible") else measured.peak_rss_mib
                    figures.setdefault((work, name), []).append((measured.wall_s, measured.cpu_s, emulator_cpu, rss or 0, management_calls, seeded))
                    print(f"{work:16} {name:10} #{repetition + 1}: wall {measured.wall_s:7.2f} s, CPU {measured.cpu_s:6.1f} s, "
                          f"emulator CPU {emulator_cpu:6.1f} s, peak RSS {rss or 0:5.0f} MiB, {management_calls} calls in the management "
                          f"account, seed {seeded:5.2f} s; load {os.getloadavg()[0]:.1f}", flush=True)
            finally:
                emulator.close()
    print("medians:")
    for (work, name), rows in sorted(figures.items()):
        columns = list(zip(*rows))
        if work == "requests":
            client, server, latency = (statistics.median(column) for column in columns)
            print(f"  {work:16} {name:10} client {client:.2f} ms, emulator {server:.2f} ms CPU per request, {latency:.2f} ms per request")
        else:
            wall, cpu, emulator_cpu, _rss, management_calls, seeded = (statistics.median(column) for column in columns)
            print(f"  {work:16} {name:10} wall {wall:7.2f} s ({min(columns[0]):.2f}-{max(columns[0]):.2f}), CPU {cpu:6.1f} s, "
                  f"emulator CPU {emulator_cpu:6.1f} s, peak RSS {max(columns[3]):5.0f} MiB, {management_calls:.0f} calls in the "
                  f"management account, seed {seeded:5.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
