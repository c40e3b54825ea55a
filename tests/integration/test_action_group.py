"""The collection's action group and the emulator, through real ansible-playbook runs."""

from __future__ import annotations

import boto3


def test_group_defaults_reach_amazon_aws_modules_as_the_management_account(control, run_playbook):
    truth = control.seed(accounts=3, profile="none")

    run = run_playbook("action_group.yml")

    assert run.returncode == 0, run.stdout + run.stderr
    caller = run.result("caller")
    assert caller["account"] == truth["management_account_id"]
    log = control.requests()
    assert log["by_action"]["sts:GetCallerIdentity"] == 1
    assert log["writes"] == 0


def test_group_defaults_carry_root_session_credentials(control, emulator, run_playbook):
    truth = control.seed(accounts=3, profile="full", features=["RootCredentialsManagement"])
    member = truth["accounts"][1]["id"]
    sts = boto3.client("sts", endpoint_url=emulator.endpoint, region_name="us-east-1",
                       aws_access_key_id="testing", aws_secret_access_key="testing")
    credentials = sts.assume_root(
        TargetPrincipal=member,
        TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"},
        DurationSeconds=300,
    )["Credentials"]

    run = run_playbook("action_group.yml", extra_vars={
        "group_access_key": credentials["AccessKeyId"],
        "group_secret_key": credentials["SecretAccessKey"],
        "group_session_token": credentials["SessionToken"],
    })

    assert run.returncode == 0, run.stdout + run.stderr
    caller = run.result("caller")
    assert caller["account"] == member
    assert caller["arn"] == f"arn:aws:iam::{member}:root"
    entries = [e for e in control.requests()["entries"] if e["action"] == "GetCallerIdentity"]
    assert [(e["account"], e["principal"]) for e in entries] == [(member, "root")]
