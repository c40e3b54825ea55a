"""iam_organizations_features, iam_organizations_features_info and sts_assume_root,
through real ansible-playbook runs against the emulator.

Every claim a module makes is checked against the emulator: its organization state
(control.organization()), its request log, and for sts_assume_root the root sessions
it issued (moto's model data), which is where the test finds the secrets that must
never show in Ansible's output."""

from __future__ import annotations

import json

import pytest

from rootguard_emulator import evidence
from rootguard_emulator.evidence import action, count, module_runs, writes

MANAGEMENT = "123456789012"
RCM = "RootCredentialsManagement"
RS = "RootSessions"
IAM = "iam.amazonaws.com"
AUDIT_POLICY = "IAMAuditRootUserCredentials"
AUDIT_POLICY_ARN = f"arn:aws:iam::aws:policy/root-task/{AUDIT_POLICY}"
UNLOCK_BUCKET_POLICY_ARN = "arn:aws:iam::aws:policy/root-task/S3UnlockBucketPolicy"
ENABLE_TRUSTED_ACCESS = "organizations:EnableAWSServiceAccess"
ENABLE_RCM = "iam:EnableOrganizationsRootCredentialsManagement"
ENABLE_RS = "iam:EnableOrganizationsRootSessions"
DISABLE_RS = "iam:DisableOrganizationsRootSessions"
LIST_FEATURES = "iam:ListOrganizationsFeatures"


# ---------------------------------------------------------------------------
# Helpers


def task_output(text: str, task_name: str) -> str:
    """What Ansible printed for one task: from its TASK header to the next header."""
    start = text.index(f"TASK [{task_name}]")
    ends = [i for i in (text.find("TASK [", start + 1), text.find("PLAY RECAP", start + 1)) if i != -1]
    return text[start:min(ends)] if ends else text[start:]


def features_steps(*steps: dict) -> dict:
    return {"steps": list(steps)}


def ask(**args) -> dict:
    return {"args": args}


def root_sessions_issued(endpoint: str) -> list:
    """The AssumeRoot sessions the emulator issued, secrets included (moto's model data, read in this process)."""
    return evidence.model_data(endpoint).get("sts_ext", {}).get("RootSession", [])


def first_active_member(truth: dict) -> str:
    return next(account["id"] for account in truth["accounts"] if account["state"] == "ACTIVE" and account["id"] != truth["delegated_administrator"])


# ---------------------------------------------------------------------------
# iam_organizations_features


def test_features_check_mode_says_what_would_happen_and_writes_nothing(control, run_playbook):
    control.seed(accounts=3, profile="none")
    control.clear_requests()

    run = run_playbook("features.yml", features_steps(ask(root_credentials_management=True, root_sessions=True)), check=True)

    assert run.returncode == 0, run.stdout + run.stderr
    (result,) = run.result("features")
    assert result["changed"] is True
    assert result["enabled_features"] == [RCM, RS]
    assert result["iam_trusted_access"] is True
    assert result["actions"] == [f"{ENABLE_TRUSTED_ACCESS}({IAM})", ENABLE_RCM, ENABLE_RS]
    assert "diff" not in result
    log = control.requests()
    assert log["writes"] == 0, writes(log["entries"])
    assert log["count"] > 0
    organization = control.organization()
    assert organization["enabled_features"] == []
    assert organization["trusted_access"] == []


def test_features_enable_turns_on_trusted_access_first_and_a_rerun_changes_nothing(control, run_playbook):
    control.seed(accounts=3, profile="none")
    control.clear_requests()

    both = ask(root_credentials_management=True, root_sessions=True)
    run = run_playbook("features.yml", features_steps(both, both))

    assert run.returncode == 0, run.stdout + run.stderr
    first, second = run.result("features")
    assert first["changed"] is True
    assert first["enabled_features"] == [RCM, RS]
    assert first["actions"] == [f"{ENABLE_TRUSTED_ACCESS}({IAM})", ENABLE_RCM, ENABLE_RS]
    assert second["changed"] is False
    assert second["actions"] == []
    assert second["enabled_features"] == [RCM, RS]

    organization = control.organization()
    assert organization["enabled_features"] == [RCM, RS]
    assert IAM in organization["trusted_access"]

    enabling, rerun = module_runs(control.requests()["entries"])
    assert writes(enabling) == [ENABLE_TRUSTED_ACCESS, ENABLE_RCM, ENABLE_RS]
    order = [action(entry) for entry in enabling]
    assert order.index(ENABLE_TRUSTED_ACCESS) < order.index(ENABLE_RCM) < order.index(ENABLE_RS)
    enable_trust = next(entry for entry in enabling if action(entry) == ENABLE_TRUSTED_ACCESS)
    assert enable_trust["rejected"] is None
    # Without trusted access there are no features to read; never more than one read.
    assert count(enabling, LIST_FEATURES) <= 1
    assert writes(rerun) == []
    assert count(rerun, LIST_FEATURES) == 1


def test_features_enable_trusted_access_false_fails_without_writing(control, run_playbook):
    control.seed(accounts=3, profile="none")
    control.clear_requests()

    run = run_playbook("features.yml", features_steps(ask(root_credentials_management=True, enable_trusted_access=False)))

    assert run.returncode == 0, run.stdout + run.stderr
    (result,) = run.result("features")
    assert result["failed"] is True
    assert result["error_class"] == "trusted_access_not_enabled"
    assert "enable_trusted_access is false" in result["msg"]
    assert "RootCredentialsManagement cannot be enabled" in result["msg"]
    assert control.requests()["writes"] == 0
    organization = control.organization()
    assert organization["trusted_access"] == []
    assert organization["enabled_features"] == []


def test_features_an_omitted_option_leaves_its_feature_as_it_is(control, run_playbook):
    control.seed(accounts=3, profile="none", features=[RS])
    control.clear_requests()

    run = run_playbook("features.yml", features_steps(ask(root_credentials_management=True)))

    assert run.returncode == 0, run.stdout + run.stderr
    (result,) = run.result("features")
    assert result["changed"] is True
    assert result["actions"] == [ENABLE_RCM]
    assert result["enabled_features"] == [RCM, RS]
    assert control.organization()["enabled_features"] == [RCM, RS]
    (enabling,) = module_runs(control.requests()["entries"])
    assert writes(enabling) == [ENABLE_RCM]
    assert count(enabling, LIST_FEATURES) == 1

    control.clear_requests()
    run = run_playbook("features.yml", features_steps(ask(root_sessions=False)))

    assert run.returncode == 0, run.stdout + run.stderr
    (result,) = run.result("features")
    assert result["changed"] is True
    assert result["actions"] == [DISABLE_RS]
    assert result["enabled_features"] == [RCM]
    assert control.organization()["enabled_features"] == [RCM]
    (disabling,) = module_runs(control.requests()["entries"])
    assert writes(disabling) == [DISABLE_RS]
    assert count(disabling, LIST_FEATURES) == 1


@pytest.mark.parametrize(
    "case",
    [
        pytest.param({"seed": None, "error_class": "organization_not_found", "message": "not a member of an AWS organization"},
                     id="no-organization"),
        pytest.param({"seed": {"accounts": 2, "profile": "none", "feature_set": "CONSOLIDATED_BILLING"},
                      "error_class": "organization_not_all_features", "message": "only consolidated billing features"},
                     id="consolidated-billing"),
        pytest.param({"seed": {"accounts": 3, "profile": "none", "trusted_access": True}, "member": True,
                      "error_class": "not_management_or_delegated_administrator", "message": "neither its management account"},
                     id="member-account"),
    ],
)
def test_features_fail_with_their_error_class_and_write_nothing(control, run_playbook, caller_env, case):
    truth = control.seed(**case["seed"]) if case["seed"] else None
    env = caller_env(first_active_member(truth)) if case.get("member") else None
    control.clear_requests()

    run = run_playbook("features.yml", features_steps(ask(root_credentials_management=True, root_sessions=True)), env=env)

    assert run.returncode == 0, run.stdout + run.stderr
    (result,) = run.result("features")
    assert result["failed"] is True, result
    assert result["error_class"] == case["error_class"]
    assert case["message"] in result["msg"]
    log = control.requests()
    assert log["count"] > 0
    assert log["writes"] == 0, writes(log["entries"])
    if truth is not None:
        assert control.organization()["enabled_features"] == []


def test_features_delegated_administrator_can_confirm_and_disable_but_not_enable(control, run_playbook, caller_env):
    truth = control.seed(accounts=3, profile="none", trusted_access=True, delegated_administrator=True, features=[RS])
    delegated = truth["delegated_administrator"]
    env = caller_env(delegated)
    control.clear_requests()

    run = run_playbook("features.yml", features_steps(ask(root_sessions=True), ask(root_credentials_management=True), ask(root_sessions=False)),
                       env=env)

    assert run.returncode == 0, run.stdout + run.stderr
    confirming, enabling, disabling = run.result("features")
    assert confirming.get("failed") is False, confirming
    assert confirming["changed"] is False
    assert confirming["enabled_features"] == [RS]
    assert enabling["failed"] is True
    assert enabling["error_class"] == "not_management_account"
    assert f"Only the management account ({MANAGEMENT})" in enabling["msg"]
    assert delegated in enabling["msg"]
    assert disabling.get("failed") is False, disabling
    assert disabling["changed"] is True
    assert disabling["actions"] == [DISABLE_RS]
    assert disabling["enabled_features"] == []
    assert control.organization()["enabled_features"] == []

    confirmed, refused, allowed = module_runs(control.requests()["entries"])
    assert writes(confirmed) == []
    assert count(confirmed, LIST_FEATURES) == 1
    assert writes(refused) == []
    assert count(refused, LIST_FEATURES) == 1
    assert writes(allowed) == [DISABLE_RS]
    assert count(allowed, LIST_FEATURES) == 1
    assert {entry["caller_account"] for entry in confirmed + refused + allowed} == {delegated}


def test_features_diff_shows_before_and_after(control, run_playbook):
    control.seed(accounts=3, profile="none", features=[RS])
    control.clear_requests()

    run = run_playbook("features.yml", features_steps({**ask(root_credentials_management=True), "diff": True},
                                                      ask(root_credentials_management=True)))

    assert run.returncode == 0, run.stdout + run.stderr
    changed, unchanged = run.result("features")
    assert changed["diff"] == {
        "before": {"enabled_features": [RS], "iam_trusted_access": True},
        "after": {"enabled_features": [RCM, RS], "iam_trusted_access": True},
    }
    assert "diff" not in unchanged
    assert unchanged["changed"] is False
    assert "--- before" in run.stdout and "+++ after" in run.stdout
    assert control.organization()["enabled_features"] == [RCM, RS]


# ---------------------------------------------------------------------------
# iam_organizations_features_info


@pytest.mark.parametrize("caller", ["management", "delegated_administrator"])
def test_features_info_gives_the_whole_picture(control, run_playbook, caller_env, caller):
    truth = control.seed(accounts=3, profile="none", delegated_administrator=True, features=[RS])
    delegated = truth["delegated_administrator"]
    env = caller_env(delegated) if caller == "delegated_administrator" else None
    control.clear_requests()

    run = run_playbook("features_info.yml", env=env)

    assert run.returncode == 0, run.stdout + run.stderr
    info = run.result("info")
    assert info["failed"] is False
    assert info["changed"] is False
    organization = control.organization()
    assert info["organization"]["id"] == truth["organization_id"] == organization["organization_id"]
    assert info["organization"]["feature_set"] == truth["feature_set"] == "ALL"
    assert info["organization"]["management_account_id"] == truth["management_account_id"] == MANAGEMENT
    assert info["iam_trusted_access"] is (IAM in organization["trusted_access"]) is True
    assert info["enabled_features"] == organization["enabled_features"] == [RS]
    assert info["root_sessions"] is True
    assert info["root_credentials_management"] is False
    assert [admin["id"] for admin in info["delegated_administrators"]] == list(organization["delegated_administrators"]) == [delegated]
    assert info["problems"] == []
    if caller == "management":
        assert info["caller"]["account_id"] == MANAGEMENT
        assert info["caller"]["is_management_account"] is True
        assert info["caller"]["is_delegated_administrator"] is False
    else:
        assert info["caller"]["account_id"] == delegated
        assert info["caller"]["is_management_account"] is False
        assert info["caller"]["is_delegated_administrator"] is True
    log = control.requests()
    assert log["writes"] == 0
    assert log["by_action"].get(LIST_FEATURES) == 1
    assert {entry["caller_account"] for entry in log["entries"]} == {MANAGEMENT if caller == "management" else delegated}


def test_features_info_lists_a_consolidated_billing_organization_as_a_problem(control, run_playbook):
    truth = control.seed(accounts=2, profile="none", feature_set="CONSOLIDATED_BILLING")
    control.clear_requests()

    run = run_playbook("features_info.yml")

    assert run.returncode == 0, run.stdout + run.stderr
    info = run.result("info")
    assert info["failed"] is False
    assert info["organization"]["id"] == truth["organization_id"]
    assert info["organization"]["feature_set"] == "CONSOLIDATED_BILLING"
    assert info["problems"][0]["error_class"] == "organization_not_all_features"
    assert "consolidated billing" in info["problems"][0]["message"]
    assert info["iam_trusted_access"] is False
    assert info["enabled_features"] == []
    assert control.requests()["writes"] == 0


def test_features_info_lists_missing_trusted_access_as_a_problem(control, run_playbook):
    control.seed(accounts=2, profile="none")
    control.clear_requests()

    run = run_playbook("features_info.yml")

    assert run.returncode == 0, run.stdout + run.stderr
    info = run.result("info")
    assert info["failed"] is False
    assert info["iam_trusted_access"] is False
    assert [problem["error_class"] for problem in info["problems"]] == ["trusted_access_not_enabled"]
    assert IAM in info["problems"][0]["message"]
    assert info["enabled_features"] == []
    assert info["caller"]["is_management_account"] is True
    log = control.requests()
    assert log["writes"] == 0
    assert LIST_FEATURES not in log["by_action"]


@pytest.mark.parametrize(
    "case",
    [
        pytest.param({"seed": None, "error_class": "organization_not_found", "message": "not a member of an AWS organization"},
                     id="no-organization"),
        pytest.param({"seed": {"accounts": 3, "profile": "none", "trusted_access": True}, "member": True,
                      "error_class": "not_management_or_delegated_administrator", "message": "neither its management account"},
                     id="member-account"),
    ],
)
def test_features_info_fails_with_its_error_class(control, run_playbook, caller_env, case):
    truth = control.seed(**case["seed"]) if case["seed"] else None
    env = caller_env(first_active_member(truth)) if case.get("member") else None
    control.clear_requests()

    run = run_playbook("features_info.yml", env=env)

    assert run.returncode == 0, run.stdout + run.stderr
    info = run.result("info")
    assert info["failed"] is True
    assert info["error_class"] == case["error_class"]
    assert case["message"] in info["msg"]
    assert control.requests()["writes"] == 0


def test_features_info_in_check_mode_reads_and_writes_nothing(control, run_playbook):
    truth = control.seed(accounts=3, profile="none", features=[RCM, RS])
    control.clear_requests()

    run = run_playbook("features_info.yml", check=True)

    assert run.returncode == 0, run.stdout + run.stderr
    info = run.result("info")
    assert info["failed"] is False
    assert info["organization"]["id"] == truth["organization_id"]
    assert info["enabled_features"] == [RCM, RS]
    assert info["iam_trusted_access"] is True
    log = control.requests()
    assert log["writes"] == 0
    assert log["by_action"].get(LIST_FEATURES) == 1


# ---------------------------------------------------------------------------
# sts_assume_root


def test_assume_root_is_censored_at_every_verbosity_and_acts_as_the_target_root(control, emulator, run_playbook, tmp_path):
    truth = control.seed(accounts=3, profile="full", features=[RCM])
    target = first_active_member(truth)
    log_path = tmp_path / "ansible.log"
    control.clear_requests()

    run = run_playbook("assume_root.yml", {"target_account": target}, verbosity=4, env={"ANSIBLE_LOG_PATH": str(log_path)})

    assert run.returncode == 0, run.stdout + run.stderr
    caller = run.result("caller")
    assert caller["arn"] == f"arn:aws:iam::{target}:root"
    assert caller["account"] == target
    session = run.result("session")
    assert session["changed"] is False
    assert session["target_account"] == target
    assert session["task_policy_arn"] == AUDIT_POLICY_ARN
    assert session["credential_fields"] == ["access_key", "expiration", "secret_key", "session_token"]

    # The secrets, as the emulator issued them.
    (issued,) = root_sessions_issued(emulator.endpoint)
    assert issued["account_id"] == target
    assert issued["task_policy_arn"] == AUDIT_POLICY_ARN
    secrets = {"access key id": issued["access_key_id"], "secret key": issued["secret_access_key"], "session token": issued["session_token"]}
    assert all(len(value) >= 16 for value in secrets.values()), secrets

    ansible_log = log_path.read_text()
    assert "Assume root in the target account" in ansible_log
    outputs = {"stdout": run.stdout, "stderr": run.stderr, "ANSIBLE_LOG_PATH": ansible_log}
    outputs.update({f"{name}.json": json.dumps(result) for name, result in run.results.items()})
    outputs.update({f"file {path.name}": path.read_text() for path in (tmp_path / "results").iterdir()})
    for where, text in outputs.items():
        for what, value in secrets.items():
            assert value not in text, f"the {what} shows in {where}"
            assert value[:16] not in text, f"part of the {what} shows in {where}"

    for where in ("stdout", "ANSIBLE_LOG_PATH"):
        shown = task_output(outputs[where], "Assume root in the target account")
        assert "censored" in shown, shown
        assert "credentials" not in shown, shown

    log = control.requests()
    assert log["by_action"]["sts:AssumeRoot"] == 1
    assume = next(entry for entry in log["entries"] if action(entry) == "sts:AssumeRoot")
    assert (assume["account"], assume["caller_account"], assume["principal"], assume["rejected"]) == (target, MANAGEMENT, "iam", None)
    as_root = [entry for entry in log["entries"] if entry["principal"] == "root"]
    assert as_root and {(entry["account"], entry["task_policy"]) for entry in as_root} == {(target, AUDIT_POLICY)}
    assert log["writes"] == 0


def test_assume_root_in_check_mode_still_returns_real_credentials(control, emulator, run_playbook):
    truth = control.seed(accounts=3, profile="full", features=[RCM])
    target = first_active_member(truth)
    control.clear_requests()

    run = run_playbook("assume_root.yml", {"target_account": target}, check=True)

    assert run.returncode == 0, run.stdout + run.stderr
    session = run.result("session")
    assert session["changed"] is False
    assert session["credential_fields"] == ["access_key", "expiration", "secret_key", "session_token"]
    assert run.result("caller")["arn"] == f"arn:aws:iam::{target}:root"
    log = control.requests()
    assert log["writes"] == 0
    assert log["by_action"]["sts:AssumeRoot"] == 1
    (issued,) = root_sessions_issued(emulator.endpoint)
    assert issued["account_id"] == target


def test_assume_root_takes_the_target_and_the_task_policy_as_arns(control, emulator, run_playbook):
    truth = control.seed(accounts=3, profile="full", features=[RS])
    target = first_active_member(truth)
    control.clear_requests()

    run = run_playbook("assume_root.yml", {"target_account": f"arn:aws:iam::{target}:root", "task_policy": UNLOCK_BUCKET_POLICY_ARN})

    assert run.returncode == 0, run.stdout + run.stderr
    session = run.result("session")
    assert session["target_account"] == target
    assert session["task_policy_arn"] == UNLOCK_BUCKET_POLICY_ARN
    assert run.result("caller")["arn"] == f"arn:aws:iam::{target}:root"
    log = control.requests()
    assert log["by_action"]["sts:AssumeRoot"] == 1
    (issued,) = root_sessions_issued(emulator.endpoint)
    assert (issued["account_id"], issued["task_policy_arn"]) == (target, UNLOCK_BUCKET_POLICY_ARN)


def test_assume_root_accepts_a_zero_duration(control, emulator, run_playbook):
    truth = control.seed(accounts=3, profile="full", features=[RCM])
    target = first_active_member(truth)
    control.clear_requests()

    run = run_playbook("assume_root.yml", {"target_account": target, "duration_seconds": 0, "act_as_root": False})

    assert run.returncode == 0, run.stdout + run.stderr
    session = run.result("session")
    assert session["failed"] is False
    assert session["duration_seconds"] == 0
    assert session["credential_fields"] == ["access_key", "expiration", "secret_key", "session_token"]
    assert control.requests()["by_action"]["sts:AssumeRoot"] == 1
    (issued,) = root_sessions_issued(emulator.endpoint)
    assert issued["account_id"] == target


@pytest.mark.parametrize(
    "case",
    [
        pytest.param({"features": [], "target": "member", "reason": "RootCredentialsManagement is not enabled"}, id="feature-not-enabled"),
        pytest.param({"features": [RCM], "target": MANAGEMENT, "reason": "the management account cannot be a target"}, id="management-account"),
        pytest.param({"features": [RCM], "target": "999999999999", "reason": "not a member of the organization"}, id="outside-the-organization"),
    ],
)
def test_assume_root_refused_fails_uncensored_and_without_credentials(control, emulator, run_playbook, case):
    truth = control.seed(accounts=3, profile="full", features=case["features"])
    target = first_active_member(truth) if case["target"] == "member" else case["target"]
    control.clear_requests()

    run = run_playbook("assume_root.yml", {"target_account": target})

    assert run.returncode == 0, run.stdout + run.stderr
    session = run.result("session")
    assert session["failed"] is True
    assert session["error_class"] == "access_denied"
    assert f"AssumeRoot into {target} was denied" in session["msg"]
    assert case["reason"] in session["msg"]
    assert session["credential_fields"] == []
    assert "credentials" not in session
    assert "caller" not in run.results

    shown = task_output(run.stdout, "Assume root in the target account")
    assert "censored" not in shown, shown
    assert "FAILED!" in shown
    assert f"AssumeRoot into {target} was denied" in shown
    assert "secret_key" not in shown and "session_token" not in shown

    log = control.requests()
    assert log["by_action"]["sts:AssumeRoot"] == 1
    (assume,) = [entry for entry in log["entries"] if action(entry) == "sts:AssumeRoot"]
    assert (assume["account"], assume["caller_account"]) == (target, MANAGEMENT)
    assert root_sessions_issued(emulator.endpoint) == []
