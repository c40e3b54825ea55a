"""No lost data: every bucket or queue policy that root_bucket_policy or root_queue_policy removes
or replaces is recoverable from its backup byte for byte, and a fault between the backup and the
change leaves the policy in place (with its backup written, and the failure classified).

One run unlocks or replaces ten policies of an organization, each with its own fault on the
change itself (the write that follows the backup): 5xx that outlast every attempt, an SCP
denial, a root session that expires between the backup and the change (renewed: the work is done
again, with a second backup), throttling and 5xx that are ridden out, and a slow endpoint whose
change the server makes after the client has given up.  Then every backup is put back by
the module itself (restore_from: the module reads the file's bytes and checks them against the
manifest beside it), and the policies compared with the seeded ones, byte for byte; a re-run
without faults finishes what the faults stopped."""

from __future__ import annotations

import hashlib
import json
import pathlib
import stat

from reliability_support import FEATURES, PLAYBOOKS
from rootguard_emulator.evidence import read_bucket_policy, read_queue_policy

POLICIES = str(PLAYBOOKS / "resource_policies.yml")
NEW_POLICY = ('{"Version":"2012-10-17","Statement":[{"Sid":"OwnerOnly","Effect":"Deny","NotPrincipal":'
              '{"AWS":"arn:aws:iam::%s:root"},"Action":"%s","Resource":"%s"}]}')
TIMEOUTS = {"read_timeout": 2, "connect_timeout": 2}
MANIFEST = "MANIFEST.sha256"
OPTIONS = {"bucket": ("account_id", "bucket"), "queue": ("account_id", "queue_name", "queue_url")}
COMMON_OPTIONS = ("state", "policy", "restore_from", "restore_sha256", "only_if_locked", "backup_dir")

# (step name, kind, account index in the mixed cycle, state, fault on the change, expected outcome)
# outcome: "changed" (the change is made), or the error_class of a change that did not happen,
# or "ambiguous" (the client gave up, the server made the change).
STEPS = [
    ("bucket-delete", "bucket", 4, "absent", None, "changed"),
    ("bucket-5xx", "bucket", 7, "absent", {"kind": "server_error", "times": 10}, "service_error"),
    ("bucket-replace-throttled", "bucket", 9, "present", {"kind": "throttle", "times": 3}, "changed"),
    ("bucket-scp", "bucket", 14, "absent", {"kind": "scp_deny"}, "denied_by_scp"),
    ("bucket-expired", "bucket", 17, "absent", {"kind": "expire_session", "times": 1}, "changed"),
    ("bucket-timeout", "bucket", 19, "absent", {"kind": "slow", "delay_seconds": 4.5}, "ambiguous"),
    ("queue-5xx", "queue", 7, "absent", {"kind": "server_error", "times": 10}, "service_error"),
    ("queue-delete", "queue", 8, "absent", None, "changed"),
    ("queue-expired", "queue", 17, "present", {"kind": "expire_session", "times": 1}, "changed"),
    ("queue-replace-5xx", "queue", 18, "present", {"kind": "server_error", "times": 3}, "changed"),
]
WRITES = {("bucket", "absent"): "DeleteBucketPolicy", ("bucket", "present"): "PutBucketPolicy",
          ("queue", "absent"): "SetQueueAttributes", ("queue", "present"): "SetQueueAttributes"}


def policies_playbook(directory: pathlib.Path) -> str:
    """Like playbooks/resource_policies.yml, with every option of the two modules (restore_from and
    restore_sha256 included) passed when a step gives it."""
    def task(kind):
        options = {option: f"{{{{ item.{option} | default(omit) }}}}" for option in OPTIONS[kind] + COMMON_OPTIONS}
        options["aws_config"] = "{{ aws_config | default(omit) }}"
        return {"name": f"Run root_{kind}_policy", f"rootguard.aws.root_{kind}_policy": options, "loop": f"{{{{ {kind}_steps | default([]) }}}}",
                "loop_control": {"label": "{{ item.name }}"}, "register": f"{kind}_runs", "ignore_errors": True}

    play = [{"name": "Bucket and queue policy steps", "hosts": "localhost", "gather_facts": False, "tasks": [
        task("bucket"), task("queue"),
        {"name": "Save the results, by step name", "ansible.builtin.copy": {
            "content": "{{ dict(runs | map(attribute='item.name') | zip(runs)) | to_nice_json }}",
            "dest": "{{ results_dir }}/steps.json", "mode": "0600"},
         "vars": {"runs": "{{ bucket_runs.results + queue_runs.results }}"}, "check_mode": False},
    ]}]
    path = directory / "policy_steps.yml"
    path.write_text(json.dumps(play))
    return str(path)


def backup_files(directory: pathlib.Path) -> list:
    """The backups in a directory, its manifest left out; each listed in the manifest with its SHA-256."""
    lines = (directory / MANIFEST).read_text().splitlines() if (directory / MANIFEST).exists() else []
    listed = {name: digest for digest, name in (line.split("  ", 1) for line in lines)}
    files = sorted(path for path in directory.iterdir() if path.name != MANIFEST)
    for path in files:
        assert listed.get(path.name) == hashlib.sha256(path.read_bytes()).hexdigest(), path
    return files


def resource_of(truth, kind, index):
    account = truth["accounts"][index]
    resource = (account["buckets"] if kind == "bucket" else account["queues"])[0]
    assert resource["locked"], resource
    return account["id"], resource


def new_policy(kind, account_id, resource):
    if kind == "bucket":
        return NEW_POLICY % (account_id, "s3:*", f"arn:aws:s3:::{resource['name']}")
    return NEW_POLICY % (account_id, "sqs:*", resource["arn"])


def step_options(name, kind, account_id, resource, state, backups):
    options = {"name": name, "account_id": account_id, "backup_dir": str(backups), "state": state,
               ("bucket" if kind == "bucket" else "queue_name"): resource["name"]}
    if state == "present":
        options["policy"] = new_policy(kind, account_id, resource)
    return options


def current_policy(endpoint, kind, account_id, resource):
    read = read_bucket_policy if kind == "bucket" else read_queue_policy
    return read(endpoint, account_id, resource["name"])


def as_sent(kind, after, wanted) -> bool:
    """Whether the policy in place is the one the module sent: byte for byte for a bucket; for a
    queue as JSON, because the emulator (moto) keeps a queue policy parsed and writes it back
    with json.dumps (a policy read back and put back, as a restore does, comes back the same)."""
    if kind == "queue" and after is not None and wanted is not None:
        return json.loads(after) == json.loads(wanted)
    return after == wanted


def run_steps(run_playbook, steps, playbook=POLICIES):
    extra = {"bucket_steps": [s for s in steps if "bucket" in s], "queue_steps": [s for s in steps if "queue_name" in s],
             "aws_config": TIMEOUTS}
    run = run_playbook(playbook, extra)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run.result("steps")


def test_every_removed_or_replaced_policy_is_recoverable_and_a_failed_change_leaves_it_in_place(
        control, emulator, run_playbook, tmp_path, record):
    truth = control.seed(accounts=20, profile="mixed", features=FEATURES)
    endpoint = emulator.endpoint
    plan = {}
    for name, kind, index, state, fault, outcome in STEPS:
        account_id, resource = resource_of(truth, kind, index)
        backups = tmp_path / "backups" / name
        backups.mkdir(parents=True)
        plan[name] = {"kind": kind, "account_id": account_id, "resource": resource, "state": state, "outcome": outcome,
                      "backups": backups, "options": step_options(name, kind, account_id, resource, state, backups)}
        if fault:
            control.add_fault(service="s3" if kind == "bucket" else "sqs", action=WRITES[(kind, state)], account=account_id, **fault)
    control.clear_requests()

    results = run_steps(run_playbook, [step["options"] for step in plan.values()])

    entries = control.requests()["entries"]
    for name, step in plan.items():
        result, original = results[name], step["resource"]["policy"]
        files = backup_files(step["backups"])
        # Whatever happened, a policy that was to change was first written to its backup, byte for byte, readable by its owner only.
        assert files, (name, result)
        for path in files:
            assert path.read_bytes() == original.encode("utf-8"), (name, path)
            assert stat.S_IMODE(path.stat().st_mode) == 0o600, (name, path)
        after = current_policy(endpoint, step["kind"], step["account_id"], step["resource"])
        wanted = None if step["state"] == "absent" else step["options"]["policy"]
        if step["outcome"] == "changed":
            assert result["changed"] is True and not result.get("failed"), (name, result)
            assert pathlib.Path(result["backup_file"]) in files
            assert as_sent(step["kind"], after, wanted), name
        elif step["outcome"] == "ambiguous":
            assert (result.get("failed"), result.get("error_class")) == (True, "endpoint_error"), (name, result)
            assert as_sent(step["kind"], after, wanted), name  # the server made the change the client gave up on
        else:
            assert (result.get("failed"), result.get("error_class")) == (True, step["outcome"]), (name, result)
            assert after == original, name  # left in place
        writes = [entry for entry in entries if entry["account"] == step["account_id"] and entry["action"] == WRITES[
            (step["kind"], step["state"])] and entry["service"] == ("s3" if step["kind"] == "bucket" else "sqs")]
        assert writes, name
    assert len(backup_files(plan["bucket-expired"]["backups"])) == 2  # the work was done again in a renewed session
    assert len(backup_files(plan["queue-expired"]["backups"])) == 2

    # Every removed or replaced policy is put back from its backup by the module, byte for byte.
    control.clear_faults()
    changed = [name for name, step in plan.items() if step["outcome"] in ("changed", "ambiguous")]
    restore = []
    for name in changed:
        step = plan[name]
        options = {key: value for key, value in step["options"].items() if key != "backup_dir"}
        backup = backup_files(step["backups"])[0]
        options.pop("policy", None)
        options.update(name=name, state="present", only_if_locked=False, restore_from=str(backup))
        restore.append(options)
    restored = run_steps(run_playbook, restore, policies_playbook(tmp_path))
    for name in changed:
        step = plan[name]
        assert restored[name]["changed"] is True and not restored[name].get("failed"), (name, restored[name])
        after = current_policy(endpoint, step["kind"], step["account_id"], step["resource"])
        assert after.encode("utf-8") == step["resource"]["policy"].encode("utf-8"), name

    # Without the faults, a re-run finishes what they stopped; the policies it changes are backed up too.
    stopped = [name for name, step in plan.items() if step["outcome"] not in ("changed", "ambiguous")]
    finished = run_steps(run_playbook, [plan[name]["options"] for name in stopped])
    for name in stopped:
        step = plan[name]
        assert finished[name]["changed"] is True and not finished[name].get("failed"), (name, finished[name])
        wanted = None if step["state"] == "absent" else step["options"]["policy"]
        assert as_sent(step["kind"], current_policy(endpoint, step["kind"], step["account_id"], step["resource"]), wanted), name
        assert pathlib.Path(finished[name]["backup_file"]).read_bytes() == step["resource"]["policy"].encode("utf-8")

    record("no-lost-data", section="no_lost_data", runs=3, accounts=len(truth["accounts"]),
           resources={"buckets": sum(step["kind"] == "bucket" for step in plan.values()),
                      "queues": sum(step["kind"] == "queue" for step in plan.values())},
           faults=[{"step": name, "fault": fault or "none", "outcome": outcome} for name, _kind, _index, _state, fault, outcome in STEPS],
           backups=sum(len(backup_files(step["backups"])) for step in plan.values()),
           restored_byte_for_byte=len(changed), left_in_place=len(stopped), finished_by_rerun=len(stopped))
