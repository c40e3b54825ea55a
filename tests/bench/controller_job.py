"""One automation-controller job: ``ansible_runner.run()`` over a private data directory that the harness
prepared (project, inventory, env/extravars, env/settings), in a process of its own so that the harness can
measure its CPU time and that of its children (ansible-playbook and its workers, the module processes).

    python tests/bench/controller_job.py SPEC.json

SPEC.json holds ``private_data_dir``, ``ident``, ``playbook``, ``inventory`` (a path), ``envvars`` (what AWX's
``RunJob.build_env`` adds to the job's environment: MAX_EVENT_RES among them) and ``forks``. It prints the
runner's status and rc as JSON and exits 0 only when the job was successful."""

from __future__ import annotations

import json
import pathlib
import sys

import ansible_runner


def main(spec_path: str) -> int:
    spec = json.loads(pathlib.Path(spec_path).read_text(encoding="utf-8"))
    runner = ansible_runner.run(private_data_dir=spec["private_data_dir"], ident=spec["ident"], playbook=spec["playbook"],
                                inventory=spec["inventory"], envvars=spec["envvars"], forks=spec["forks"],
                                suppress_env_files=True, quiet=True)
    print(json.dumps({"status": runner.status, "rc": runner.rc}))
    return 0 if (runner.status, runner.rc) == ("successful", 0) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
