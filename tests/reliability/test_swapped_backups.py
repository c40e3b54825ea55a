"""Swapped backups (refused): a backup of a removed bucket or queue policy cannot be swapped for
another policy and put back.

Two locked policies (a bucket and a queue) are removed with their backups.  Then the attacks of
someone who can change files on the controller but is not the user running Ansible: a backup
whose bytes were replaced by a policy that opens the resource to everyone, a planted file the
manifest does not list, a backup directory of another user (with the swapped backup and a
manifest rewritten to match it), a world-writable backup directory, and backups written into a
directory of another user or a world-writable one in the first place.  Every attempt is refused
with ``invalid_input`` before any API call, and the resources stay as they were; then the genuine
backups are put back by the module (restore_from), byte for byte."""

from __future__ import annotations

import hashlib
import json
import os
import shutil

from reliability_support import FEATURES
from rootguard_emulator.evidence import read_bucket_policy, read_queue_policy
from test_no_lost_data import MANIFEST, backup_files, policies_playbook, run_steps

# (kind, account index in the mixed cycle): resources whose seeded policy locks everyone out.
RESOURCES = {"bucket": 4, "queue": 8}
OTHER_USER = 65534


def public_policy(kind: str, resource: dict) -> str:
    action, arn = ("s3:GetObject", f"arn:aws:s3:::{resource['name']}/*") if kind == "bucket" else ("sqs:*", resource["arn"])
    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "Public", "Effect": "Allow", "Principal": "*", "Action": action, "Resource": arn}]})


def current_policy(endpoint, kind, account_id, resource):
    read = read_bucket_policy if kind == "bucket" else read_queue_policy
    return read(endpoint, account_id, resource["name"])


def private_dir(path):
    path.mkdir(mode=0o700, parents=True)
    return path


def test_swapped_backups_are_refused_before_any_api_call(control, emulator, run_playbook, tmp_path, record):
    truth = control.seed(accounts=10, profile="mixed", features=FEATURES)
    endpoint = emulator.endpoint
    targets = {}
    for kind, index in RESOURCES.items():
        account = truth["accounts"][index]
        resource = (account["buckets"] if kind == "bucket" else account["queues"])[0]
        assert resource["locked"], resource
        targets[kind] = {"account_id": account["id"], "resource": resource, "backups": private_dir(tmp_path / "backups" / kind),
                         "select": {("bucket" if kind == "bucket" else "queue_name"): resource["name"]}}
    playbook = policies_playbook(tmp_path)

    def options(kind, name, **extra):
        return {"name": f"{kind}-{name}", "account_id": targets[kind]["account_id"], **targets[kind]["select"], **extra}

    removed = run_steps(run_playbook, [options(kind, "remove", backup_dir=str(target["backups"])) for kind, target in targets.items()],
                        playbook)
    for kind, target in targets.items():
        assert removed[f"{kind}-remove"]["changed"] is True, removed[f"{kind}-remove"]
        [backup] = backup_files(target["backups"])
        assert backup.read_bytes() == target["resource"]["policy"].encode("utf-8")
        target["backup"], target["genuine"] = backup, backup.read_bytes()

    # The attacks, each on both resources.
    attacks = []
    for kind, target in targets.items():
        backups, genuine, public = target["backups"], target["genuine"], public_policy(kind, target["resource"])
        swapped = private_dir(tmp_path / "swapped" / kind) / target["backup"].name
        shutil.copy2(target["backup"], swapped)
        shutil.copy2(backups / MANIFEST, swapped.parent / MANIFEST)
        swapped.write_text(public)
        planted = backups / f"{target['account_id']}-{target['resource']['name']}-planted.json"
        planted.write_bytes(genuine)
        theirs = private_dir(tmp_path / "theirs" / kind)
        (theirs / target["backup"].name).write_text(public)
        (theirs / MANIFEST).write_text(f"{hashlib.sha256(public.encode()).hexdigest()}  {target['backup'].name}\n")
        for path in (theirs, theirs / target["backup"].name, theirs / MANIFEST):
            os.chown(path, OTHER_USER, OTHER_USER)
        shared = private_dir(tmp_path / "shared" / kind)
        shutil.copy2(target["backup"], shared / target["backup"].name)
        shutil.copy2(backups / MANIFEST, shared / MANIFEST)
        shared.chmod(0o777)
        restore = {"state": "present", "only_if_locked": False}
        attacks += [
            ("swapped-backup", options(kind, "swapped-backup", restore_from=str(swapped), **restore)),
            ("unlisted-backup", options(kind, "unlisted-backup", restore_from=str(planted), **restore)),
            ("backup-and-manifest-swapped-in-a-dir-of-another-user", options(
                kind, "backup-and-manifest-swapped-in-a-dir-of-another-user", restore_from=str(theirs / target["backup"].name), **restore)),
            ("restore-from-a-world-writable-dir", options(
                kind, "restore-from-a-world-writable-dir", restore_from=str(shared / target["backup"].name), **restore)),
            ("backup-into-a-dir-of-another-user", options(kind, "backup-into-a-dir-of-another-user", backup_dir=str(theirs))),
            ("backup-into-a-world-writable-dir", options(kind, "backup-into-a-world-writable-dir", backup_dir=str(shared))),
        ]
        # The swapped copy's manifest line is the genuine one: the swap itself is what is caught.
        assert hashlib.sha256(swapped.read_bytes()).hexdigest() != hashlib.sha256(genuine).hexdigest()
    control.clear_requests()

    refused = run_steps(run_playbook, [step for _attack, step in attacks], playbook)

    assert control.requests()["count"] == 0
    for _attack, step in attacks:
        result = refused[step["name"]]
        assert (result.get("failed"), result.get("error_class")) == (True, "invalid_input"), (step["name"], result)
        assert result["msg"].startswith(("restore_from: ", "backup_dir: ")), result["msg"]
    for kind, target in targets.items():
        assert current_policy(endpoint, kind, target["account_id"], target["resource"]) is None, kind  # nothing was put back

    # The genuine backups are put back, byte for byte (a queue as JSON: the emulator re-serializes queue policies).
    restored = run_steps(run_playbook, [options(kind, "restore", state="present", only_if_locked=False, restore_from=str(target["backup"]))
                                        for kind, target in targets.items()], playbook)
    for kind, target in targets.items():
        assert restored[f"{kind}-restore"]["changed"] is True, restored[f"{kind}-restore"]
        after = current_policy(endpoint, kind, target["account_id"], target["resource"])
        if kind == "bucket":
            assert after.encode("utf-8") == target["genuine"]
        else:
            assert json.loads(after) == json.loads(target["genuine"])

    names = list(dict.fromkeys(attack for attack, _step in attacks))
    record("swapped-backups", section="no_lost_data", runs=3, accounts=len(truth["accounts"]),
           resources={"buckets": 1, "queues": 1},
           faults=[{"step": name, "fault": {"kind": name.replace("-", "_")}, "outcome": "refused (invalid_input, 0 API calls)"} for name in names],
           backups=len(targets),
           restored_byte_for_byte=len(targets), left_in_place=0, finished_by_rerun=0)
