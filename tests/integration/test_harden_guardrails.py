"""harden_organization.yml over an organization whose OUs carry guardrails, through real
ansible-playbook runs against the emulator, which enforces the SCPs by its own reading of AWS's rules:

- an OU under Control Tower's AWS-GR_RESTRICT_ROOT_USER without ExemptAssumeRoot (root sessions may do
  nothing), one under the same control with ExemptAssumeRoot, one under an SCP that keeps the root
  password (denies iam:DeleteLoginProfile), and accounts left at the root;
- the plan (check mode, before the feature) names the blocked accounts with the policy, the statement
  and the remedy, writes nothing, and fails at the end unless rootguard_fail_on_blocked=false;
- the confirmed run skips exactly the predicted accounts (no root session opened there), leaves the
  password and nothing else where only its deletion is denied, cleans every other account, writes the
  blocked steps into the summary, and fails at the end listing them;
- a re-run changes nothing."""

from __future__ import annotations

import json
import pathlib

import boto3

from rootguard_emulator import policy_examples as examples
from rootguard_emulator.evidence import action, writes
from test_root_credentials import has_credentials

REPO = pathlib.Path(__file__).resolve().parents[2]
HARDEN = str(REPO / "playbooks" / "harden_organization.yml")
SCP = "SERVICE_CONTROL_POLICY"
KEEP_PASSWORD = {"Version": "2012-10-17", "Statement": [
    {"Sid": "KeepRootPassword", "Effect": "Deny", "Action": "iam:DeleteLoginProfile", "Resource": "*"}]}


def guarded_organization(control, emulator) -> dict:
    """Seven members with every root credential: two under a root-denying OU, two under the exempted one,
    one under the password-keeping OU, two at the root.  Returns the ids and the policies."""
    truth = control.seed(accounts=7, profile="full")
    orgs = boto3.client("organizations", endpoint_url=emulator.endpoint, region_name="us-east-1",
                        aws_access_key_id="testing", aws_secret_access_key="testing")
    root_id = truth["root_id"]
    orgs.enable_policy_type(RootId=root_id, PolicyType=SCP)
    members = [account["id"] for account in truth["accounts"]]
    placed = {"denied": members[0:2], "exempt": members[2:4], "keep_password": members[4:5], "root": members[5:7]}
    documents = {"denied": examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT,
                 "exempt": examples.CONTROL_TOWER_RESTRICT_ROOT_USER_EXEMPT_ASSUME_ROOT, "keep_password": KEEP_PASSWORD}
    policies, ous = {}, {}
    for name, document in documents.items():
        ou_id = orgs.create_organizational_unit(ParentId=root_id, Name=name)["OrganizationalUnit"]["Id"]
        ous[name] = ou_id
        for account_id in placed[name]:
            source = orgs.list_parents(ChildId=account_id)["Parents"][0]["Id"]
            orgs.move_account(AccountId=account_id, SourceParentId=source, DestinationParentId=ou_id)
        policy = orgs.create_policy(Name=f"guardrail-{name}", Description=name, Type=SCP, Content=json.dumps(document))["Policy"]
        orgs.attach_policy(PolicyId=policy["PolicySummary"]["Id"], TargetId=ou_id)
        policies[name] = policy["PolicySummary"]["Id"]
    for account_id in placed["root"]:
        source = orgs.list_parents(ChildId=account_id)["Parents"][0]["Id"]
        if source != root_id:
            orgs.move_account(AccountId=account_id, SourceParentId=source, DestinationParentId=root_id)
    return {"placed": placed, "policies": policies, "ous": ous}


def assume_root_targets(entries: list) -> set:
    """The accounts a root session was opened in (the root-session calls that followed each AssumeRoot)."""
    return {entry["account"] for entry in entries if entry["principal"] == "root"}


def test_harden_plans_skips_and_cleans_as_the_guardrails_decide(control, emulator, run_playbook, tmp_path):
    org = guarded_organization(control, emulator)
    placed, policies = org["placed"], org["policies"]
    reports = tmp_path / "reports"

    # The plan, before the feature: the blocked accounts named with the policy, the statement and the remedy.
    control.clear_requests()
    plan = run_playbook(HARDEN, check=True, extra_vars={"rootguard_report_dir": str(reports / "plan")})
    assert plan.returncode == 2, plan.stdout[-3000:]
    assert writes(control.requests()["entries"]) == []
    summary = (reports / "plan" / "harden-summary.txt").read_text()
    assert "Guardrails: SCPs enforced on root" in summary
    assert "  IAMAuditRootUserCredentials: allowed in 5 member account(s), blocked in 2, uncertain in 0" in summary
    assert "  IAMDeleteRootUserCredentials: allowed in 4 member account(s), blocked in 3, uncertain in 0" in summary
    blocked_line = next(line for line in summary.splitlines() if line.startswith("Blocked:") and policies["denied"] in line)
    assert all(account_id in blocked_line for account_id in placed["denied"])
    assert "statement GRRESTRICTROOTUSER" in blocked_line and org["ous"]["denied"] in blocked_line
    assert "ExemptAssumeRoot" in summary
    keep_line = next(line for line in summary.splitlines() if line.startswith("Blocked:") and policies["keep_password"] in line)
    assert keep_line.startswith("Blocked: IAMDeleteRootUserCredentials in 1 account(s)") and "KeepRootPassword" in keep_line
    assert "would stop root sessions in 3 member account(s)" in plan.stdout
    lenient = run_playbook(HARDEN, check=True, extra_vars={"rootguard_report_dir": str(reports / "plan2"), "rootguard_fail_on_blocked": False})
    assert lenient.returncode == 0, lenient.stdout[-3000:]

    # Confirmed: every account the guardrails allow is cleaned; the denied OU gets no root session at all.
    control.clear_requests()
    harden = run_playbook(HARDEN, extra_vars={"rootguard_confirm": True, "rootguard_report_dir": str(reports)})
    assert harden.returncode == 2, harden.stdout[-3000:]
    entries = control.requests()["entries"]
    assert not assume_root_targets(entries) & set(placed["denied"])
    assert not [entry for entry in entries if entry["rejected"] and entry["principal"] == "root"], "a denied call was made"
    for account_id in placed["exempt"] + placed["root"]:
        assert not has_credentials(control.root_user(account_id)), account_id
    for account_id in placed["denied"]:
        assert has_credentials(control.root_user(account_id)), account_id
    kept = control.root_user(placed["keep_password"][0])
    assert kept["password"] and not kept["access_keys"] and not kept["signing_certificates"] and not kept["mfa_devices"]
    assert "iam:DeleteLoginProfile" not in {action(entry) for entry in entries if entry["account"] == placed["keep_password"][0]}

    summary = (reports / "harden-summary.txt").read_text()
    assert "Stopped by the guardrails in 3 account(s) - not attempted; everything else went ahead:" in summary, harden.stdout[-6000:]
    for account_id in placed["denied"]:
        line = next(line for line in summary.splitlines() if line.startswith(f"  {account_id} - "))
        assert line.endswith(f"stopped by SCP guardrail-denied ({policies['denied']}) statement GRRESTRICTROOTUSER attached to {org['ous']['denied']}.")
        assert all(f"reading {kind} (iam:{call})" in line for kind, call in (
            ("access_keys", "ListAccessKeys"), ("signing_certificates", "ListSigningCertificates"), ("mfa_devices", "ListMFADevices"),
            ("password", "GetLoginProfile")))
    assert (f"  {placed['keep_password'][0]} - delete_login_profile (iam:DeleteLoginProfile) stopped by SCP guardrail-keep_password "
            f"({policies['keep_password']}) statement KeepRootPassword attached to {org['ous']['keep_password']}.") in summary
    assert "The organization's guardrails stopped root sessions in 3 account(s)" in harden.stdout
    # The audit reports: the denied OU's accounts blocked (no root session), the policy named; the others audited.
    before = json.loads((reports / "root-credentials-before.json").read_text())
    rows = {row["id"]: row for row in before["accounts"]}
    assert {account_id for account_id, row in rows.items() if row["outcome"] == "blocked"} == set(placed["denied"])
    assert all(policies["denied"] in json.dumps(rows[account_id]["blocked_by"]) for account_id in placed["denied"])
    assert set(rows[placed["keep_password"][0]]["guardrails_blocked_tasks"]) == {"IAMDeleteRootUserCredentials"}
    assert before["summary"]["blocked"] == 2
    journal = next((reports / "runs").glob("*/removal-journal.jsonl"))
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    skipped = {record["account"]["id"] for record in records if record["record"] == "account" and record["account"]["reason"] == "blocked_by_guardrail"}
    assert skipped == set(placed["denied"])

    # Again: nothing changes, no write call; told not to fail, it passes.
    control.clear_requests()
    again = run_playbook(HARDEN, extra_vars={"rootguard_confirm": True, "rootguard_report_dir": str(reports), "rootguard_fail_on_blocked": False})
    assert again.returncode == 0, again.stdout[-3000:]
    assert {host: counters["changed"] for host, counters in again.recap().items()} == {host: 0 for host in again.recap()}
    assert writes(control.requests()["entries"]) == []
