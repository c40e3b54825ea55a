"""Helpers of the reliability suite: reading results and the emulator's request log,
seeding faults per account, and the oracles every fault scenario is judged by."""

from __future__ import annotations

import collections
import json
import pathlib

import yaml

from rootguard_emulator.evidence import action

HERE = pathlib.Path(__file__).resolve().parent
PLAYBOOKS = HERE / "playbooks"
JOB = str(PLAYBOOKS / "root_credentials_job.yml")

MANAGEMENT = "123456789012"
RCM = "RootCredentialsManagement"
RS = "RootSessions"
FEATURES = [RCM, RS]
# botocore attempts per call, the first included (plugins/module_utils/clients.py).
MAX_ATTEMPTS = 10
# The error each fault kind must end in when it outlasts every attempt.
THROTTLE_CODES = {"Throttling", "TooManyRequestsException", "SlowDown", "RequestThrottled"}
SERVER_ERROR_CODES = {"ServiceFailure", "InternalFailure", "ServiceException", "InternalError"}

STEP_KINDS = {
    "delete_access_key": "access_keys",
    "delete_signing_certificate": "signing_certificates",
    "deactivate_mfa_device": "mfa_devices",
    "delete_virtual_mfa_device": "mfa_devices",
    "delete_login_profile": "password",
}


# ---------------------------------------------------------------------------
# Results and the request log


def by_id(result: dict) -> dict:
    return {account["id"]: account for account in result["accounts"]}


def statuses(result: dict) -> dict:
    """Per account: status, error class, reason, and each step with whether it was done."""
    return {
        account["id"]: (account["status"], account["error_class"], account["reason"],
                        tuple((step["action"], step.get("done")) for step in account["actions"]))
        for account in result["accounts"]
    }


def exhausted_calls(entries: list, attempts: int = MAX_ATTEMPTS) -> dict:
    """Per subject account, the calls that met a fault on every attempt: runs of ``attempts``
    consecutive rejected requests of one action.  Each account's calls are made one after
    the other (one worker at a time works on an account), so the runs are unambiguous."""
    exhausted: dict = collections.defaultdict(list)
    for account, account_entries in per_account(entries).items():
        run_action, run_length, run_code = None, 0, None
        for entry in account_entries:
            if entry["rejected"] and action(entry) == run_action:
                run_length += 1
            elif entry["rejected"]:
                run_action, run_length = action(entry), 1
            else:
                run_action, run_length = None, 0
            run_code = entry["rejected"]
            if run_length == attempts:
                exhausted[account].append((run_action, run_code))
                run_action, run_length = None, 0
    return dict(exhausted)


def per_account(entries: list) -> dict:
    grouped: dict = collections.defaultdict(list)
    for entry in entries:
        grouped[entry["account"]].append(entry)
    return grouped


def rejected_counts(entries: list) -> dict:
    """Rejected requests by service and error code."""
    counts: dict = collections.Counter()
    for entry in entries:
        if entry["rejected"]:
            counts[f"{entry['service']}:{entry['rejected']}"] += 1
    return dict(sorted(counts.items()))


# ---------------------------------------------------------------------------
# Faults seeded per account, so that outcomes do not depend on scheduling


def throttle_everywhere(control, truth: dict, rate: float, seed: int, services=("sts", "iam", "organizations")) -> list:
    """A seeded ``rate`` of throttling on AssumeRoot and the IAM calls of every member account
    (one rule, with its own seed, per account and service) and on Organizations (the
    caller's listing).  Each account's calls are sequential, so which calls are throttled
    is the same at any concurrency."""
    rules = []
    for index, account in enumerate(truth["accounts"]):
        if "sts" in services:
            rules.append(control.add_fault(kind="throttle", service="sts", action="AssumeRoot", account=account["id"],
                                           rate=rate, seed=seed * 100000 + 2 * index))
        if "iam" in services:
            rules.append(control.add_fault(kind="throttle", service="iam", account=account["id"], rate=rate,
                                           seed=seed * 100000 + 2 * index + 1))
    if "organizations" in services:
        rules.append(control.add_fault(kind="throttle", service="organizations", rate=rate, seed=seed * 100000 + 99999))
    return rules


def injected(control) -> int:
    return sum(rule["injected"] for rule in control.faults())


# ---------------------------------------------------------------------------
# Oracles


def active_members(truth: dict) -> list:
    return [account for account in truth["accounts"] if account["state"] == "ACTIVE"]


def is_clean(root_user: dict) -> bool:
    return not (root_user["password"] or root_user["access_keys"] or root_user["signing_certificates"] or root_user["mfa_devices"])


def removed_by_state(before: dict, after: dict) -> set:
    """The removal steps the emulator's state shows done between two views of a root user."""
    done = set()
    after_keys = {key["id"] for key in after["access_keys"]}
    done |= {("delete_access_key", key["id"]) for key in before["access_keys"] if key["id"] not in after_keys}
    after_certificates = {cert["id"] for cert in after["signing_certificates"]}
    done |= {("delete_signing_certificate", cert["id"]) for cert in before["signing_certificates"] if cert["id"] not in after_certificates}
    after_devices = {device["serial"]: device for device in after["mfa_devices"]}
    for device in before["mfa_devices"]:
        if device["enabled"] and not after_devices.get(device["serial"], {"enabled": False})["enabled"]:
            done.add(("deactivate_mfa_device", device["serial"]))
        if device["type"] == "virtual" and device["serial"] not in after_devices:
            done.add(("delete_virtual_mfa_device", device["serial"]))
    if before["password"] and not after["password"]:
        done.add(("delete_login_profile", None))
    return done


def reported_done(account_result: dict) -> set:
    """The steps an account's result says were carried out (``done`` true)."""
    return {(step["action"], step["id"]) for step in account_result["actions"] if step.get("done") is True}


def assert_reported_as_done(account_result: dict, before: dict, after: dict) -> None:
    """Nothing half-done without being reported: the steps the result marks done are exactly
    the changes the emulator shows, and a failed account says which steps were not done."""
    assert reported_done(account_result) == removed_by_state(before, after), (account_result, before, after)
    if account_result["status"] == "failed" and account_result["actions"] and removed_by_state(before, after):
        assert all(step.get("done") in (True, False) for step in account_result["actions"]), account_result


def normalized(root_user: dict) -> dict:
    """A root user without its random identifiers, to compare two seedings."""
    return {
        "password": root_user["password"],
        "access_keys": sorted(key["status"] for key in root_user["access_keys"]),
        "signing_certificates": len(root_user["signing_certificates"]),
        "mfa_devices": sorted((device["type"], device["enabled"]) for device in root_user["mfa_devices"]),
    }


def assert_found_matches(found: dict, seeded: dict) -> None:
    """An audit's ``found`` is the seeded root user."""
    assert found["password"]["present"] is seeded["password"]
    assert [key["id"] for key in found["access_keys"]] == [key["id"] for key in seeded["access_keys"]]
    assert [cert["id"] for cert in found["signing_certificates"]] == [cert["id"] for cert in seeded["signing_certificates"]]
    assert [device["serial"] for device in found["mfa_devices"]] == [device["serial"] for device in seeded["mfa_devices"]]
    assert found["compliant"] is (not seeded["has_credentials"])


# ---------------------------------------------------------------------------
# Many module runs in one playbook


def batch_playbook(cases_by_module: dict, options_by_module: dict, cases_file: pathlib.Path) -> list:
    """A play that runs each module once per case of ``cases_by_module`` (``{"name", "args"}``;
    every option left out unless the case gives it), with ignore_errors, and saves every
    result in results_dir/cases.json as ``{module: {case name: result}}``.  The cases are read
    from ``cases_file`` as data, never as templates."""
    tasks = []
    for module in cases_by_module:
        arguments = {option: f"{{{{ item.args[{option!r}] if {option!r} in item.args else omit }}}}"
                     for option in sorted(options_by_module[module])}
        tasks.append({
            "name": f"Run {module} once per case",
            f"rootguard.aws.{module}": arguments,
            "loop": f"{{{{ (lookup('ansible.builtin.file', {str(cases_file)!r}) | from_json)[{module!r}] }}}}",
            "loop_control": {"label": "{{ item.name }}"},
            "register": f"runs_{module}",
            "ignore_errors": True,
        })
    results = ", ".join(f"{module!r}: dict(runs_{module}.results | map(attribute='item.name') | zip(runs_{module}.results))"
                        for module in cases_by_module)
    tasks.append({"name": "Save the results", "ansible.builtin.copy": {
        "content": f"{{{{ {{{results}}} | to_json }}}}", "dest": "{{ results_dir }}/cases.json", "mode": "0600"},
        "check_mode": False})
    return [{"name": "Run modules once per case", "hosts": "localhost", "gather_facts": False, "tasks": tasks}]


def run_batch_playbook(run_playbook, tmp_path: pathlib.Path, cases_by_module: dict, options_by_module: dict, **options):
    """Write and run batch_playbook(); the results are in ``run.result("cases")``."""
    cases_file = tmp_path / "cases.json"
    cases_file.write_text(json.dumps(cases_by_module))
    playbook = tmp_path / "batch.yml"
    playbook.write_text(yaml.safe_dump(batch_playbook(cases_by_module, options_by_module, cases_file), sort_keys=False))
    run = run_playbook(str(playbook), **options)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
    return run
