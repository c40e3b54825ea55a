"""root_task_guardrails_info against the emulator's enforcement of SCPs and RCPs, through real
ansible-playbook runs: what the module predicts for a root task is what happens when the collection's
own module for that task runs.

For each published policy (tests/emulator/rootguard_emulator/policy_examples.py, filled as a landing zone would), the
policy type is enabled on the root and the policy attached, with boto3 Organizations calls as the
management account, to the OU of a member account that has every kind of root credential and a
locked bucket and a locked queue in two Regions (us-east-1 and eu-west-1: the Region-deny SCPs allow
one and deny the other).  One playbook run (playbooks/guardrails_prediction.yml) then checks the
guardrails and does every task in that account: root_credentials_info (IAMAuditRootUserCredentials),
root_credentials (IAMDeleteRootUserCredentials), root_password_recovery (IAMCreateRootUserPassword),
root_bucket_policy and root_queue_policy (S3UnlockBucketPolicy, SQSUnlockQueuePolicy) in each Region.

The emulator's request log, read one root session at a time, says which calls each task made and
which were refused.  For each task (and Region):

- predicted allowed: the module succeeded and no call was refused;
- predicted denied: the module failed naming the denying policy's ARN, and a call of the root session
  was refused exactly when the module predicted it denied (every refused call predicted, every call
  predicted denied that was made refused);
- uncertain (a statement on particular buckets, which the check cannot know): only calls named in
  ``uncertain`` were refused.

Each prediction and each outcome is also pinned (EXPECTED), so that a check that says "uncertain"
everywhere cannot pass.  The module itself makes no write, in check mode neither; bad input fails
before any call; a caller that may not read the policies gets ``cannot_read_guardrails``.

Sources of the rules the predictions follow: IAM User Guide, "Policy evaluation logic" and
"Condition operators"; Organizations User Guide, "SCP evaluation" and "Resource control policies
(RCPs)"."""

from __future__ import annotations

import json

import boto3
import pytest

from rootguard_emulator import policy_examples as examples
from conftest import REGION
from rootguard_emulator.evidence import action

AUDIT = "IAMAuditRootUserCredentials"
DELETE = "IAMDeleteRootUserCredentials"
PASSWORD = "IAMCreateRootUserPassword"
S3_UNLOCK = "S3UnlockBucketPolicy"
SQS_UNLOCK = "SQSUnlockQueuePolicy"
TASKS = (AUDIT, DELETE, PASSWORD, S3_UNLOCK, SQS_UNLOCK)
SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
FEATURES = ["RootCredentialsManagement", "RootSessions"]
MANAGEMENT = "123456789012"
REGIONS = ("us-east-1", "eu-west-1")
IAM_REGION = "us-east-1"
PLAYBOOK = "guardrails_prediction.yml"
INFO_PLAYBOOK = "guardrails_info.yml"
# The calls the check may make: the account listing, the root, and the policy reads (no root session, no write).
POLICY_READS = ("organizations:ListPolicies", "organizations:DescribePolicy", "organizations:ListTargetsForPolicy")
ACCOUNT_READS = ("sts:GetCallerIdentity", "organizations:DescribeOrganization", "organizations:ListRoots", "organizations:ListAccounts",
                 "organizations:ListAccountsForParent", "organizations:ListOrganizationalUnitsForParent", "organizations:ListParents",
                 "organizations:DescribeAccount", "organizations:DescribeOrganizationalUnit")

# The module's task -> (result name of its run per Region, the task policy of its root session). The IAM tasks run once.
RUNS = [("audit", AUDIT, None), ("removal", DELETE, None), ("recovery", PASSWORD, None),
        *(("bucket_" + region, S3_UNLOCK, region) for region in REGIONS), *(("queue_" + region, SQS_UNLOCK, region) for region in REGIONS)]

# The protected bucket of the policies that name buckets: the one in eu-west-1, named as LZA names its own buckets
# (its GRS3 statement covers aws-accelerator*), and given as [BUCKET_TO_PROTECT] to the aws-samples ones.
PROTECTED_PREFIX = "aws-accelerator-"

ALLOWED, DENIED, UNCERTAIN = True, False, None
OK, REFUSED = "ok", "refused"


def verdicts(iam: bool | None, s3: tuple, sqs: tuple) -> dict:
    """(task, Region or None) -> predicted verdict."""
    table = {(task, None): iam for task in (AUDIT, DELETE, PASSWORD)}
    table.update({(S3_UNLOCK, region): verdict for region, verdict in zip(REGIONS, s3)})
    table.update({(SQS_UNLOCK, region): verdict for region, verdict in zip(REGIONS, sqs)})
    return table


def outcomes(iam: str, s3: tuple, sqs: tuple) -> dict:
    """result name -> "ok" (the module succeeded, no call refused) or "refused" (a call of its root session refused)."""
    table = {name: iam for name in ("audit", "removal", "recovery")}
    table.update({f"bucket_{region}": outcome for region, outcome in zip(REGIONS, s3)})
    table.update({f"queue_{region}": outcome for region, outcome in zip(REGIONS, sqs)})
    return table


def overall(verdicts_of_regions: list) -> bool | None:
    return DENIED if DENIED in verdicts_of_regions else UNCERTAIN if UNCERTAIN in verdicts_of_regions else ALLOWED


def protected(values: dict) -> dict:
    return {**examples.LANDING_ZONE, **values}


# id, policy type, document (a function of the protected bucket's name), predicted verdicts, outcomes.
PUBLISHED = [
    ("control-tower-restrict-root-user-default", SCP, lambda bucket: examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT,
     verdicts(DENIED, (DENIED, DENIED), (DENIED, DENIED)), outcomes(REFUSED, (REFUSED, REFUSED), (REFUSED, REFUSED))),
    ("control-tower-restrict-root-user-exempt-assume-root", SCP, lambda bucket: examples.CONTROL_TOWER_RESTRICT_ROOT_USER_EXEMPT_ASSUME_ROOT,
     verdicts(ALLOWED, (ALLOWED, ALLOWED), (ALLOWED, ALLOWED)), outcomes(OK, (OK, OK), (OK, OK))),
    ("samples-scp-prevent-root-credentials-management", SCP, lambda bucket: examples.SCP_PREVENT_ROOT_CREDENTIALS_MANAGEMENT,
     verdicts(ALLOWED, (ALLOWED, ALLOWED), (ALLOWED, ALLOWED)), outcomes(OK, (OK, OK), (OK, OK))),
    # GRRU exempts root sessions; GRS3 denies bucket-policy changes on the accelerator's buckets: which bucket is not known.
    ("lza-universal-core-guardrails-2", SCP, lambda bucket: examples.fill(examples.LZA_UNIVERSAL_CORE_GUARDRAILS_2),
     verdicts(ALLOWED, (UNCERTAIN, UNCERTAIN), (ALLOWED, ALLOWED)), outcomes(OK, (OK, REFUSED), (OK, OK))),
    # ROOT exempts root sessions; GBL1 denies outside ca-central-1 and the four US Regions (IAM and ListAllMyBuckets exempt).
    ("lza-cccs-medium-guardrails-unclass", SCP, lambda bucket: examples.fill(examples.LZA_CCCS_MEDIUM_GUARDRAILS_UNCLASS),
     verdicts(ALLOWED, (ALLOWED, DENIED), (ALLOWED, DENIED)), outcomes(OK, (OK, REFUSED), (OK, REFUSED))),
    # Allowed Regions eu-central-1 and eu-west-1.
    ("samples-scp-deny-by-requested-region", SCP, lambda bucket: examples.fill(examples.SCP_DENY_BY_REQUESTED_REGION),
     verdicts(ALLOWED, (DENIED, ALLOWED), (DENIED, ALLOWED)), outcomes(OK, (REFUSED, OK), (REFUSED, OK))),
    ("samples-scp-deny-deleting-s3-buckets-or-objects", SCP,
     lambda bucket: examples.fill(examples.SCP_DENY_DELETING_S3_BUCKETS_OR_OBJECTS, protected({"[BUCKET_TO_PROTECT]": bucket})),
     verdicts(ALLOWED, (UNCERTAIN, UNCERTAIN), (ALLOWED, ALLOWED)), outcomes(OK, (OK, REFUSED), (OK, OK))),
    ("samples-rcp-s3-deny-deleting-buckets-or-objects", RCP,
     lambda bucket: examples.fill(examples.RCP_S3_DENY_DELETING_BUCKETS_OR_OBJECTS, protected({"[BUCKET_TO_PROTECT]": bucket})),
     verdicts(ALLOWED, (UNCERTAIN, UNCERTAIN), (ALLOWED, ALLOWED)), outcomes(OK, (OK, REFUSED), (OK, OK))),
    # Every S3 and SQS call on the OU's resources, whoever asks (IAM is no RCP service; ListAllMyBuckets names no resource).
    ("samples-rcp-deny-resource-access-in-specific-ou", RCP, lambda bucket: examples.fill(examples.RCP_DENY_RESOURCE_ACCESS_IN_SPECIFIC_OU),
     verdicts(ALLOWED, (DENIED, DENIED), (DENIED, DENIED)), outcomes(OK, (REFUSED, REFUSED), (REFUSED, REFUSED))),
]

LOCKED_BUCKET = {"Version": "2012-10-17", "Statement": [{"Sid": "DenyEveryone", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
                                                         "Resource": ["arn:aws:s3:::{bucket}", "arn:aws:s3:::{bucket}/*"]}]}
LOCKED_QUEUE = {"Version": "2012-10-17", "Statement": [{"Sid": "DenyEveryone", "Effect": "Deny", "Principal": "*", "Action": "sqs:*",
                                                        "Resource": "{arn}"}]}


# ---------------------------------------------------------------------------
# The organization


def client(emulator, service: str, region: str = REGION, credentials: dict | None = None):
    keys = credentials or {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}
    return boto3.client(service, endpoint_url=emulator.endpoint, region_name=region, **keys)


def member_admin(emulator, account_id: str) -> dict:
    """Credentials of the member's OrganizationAccountAccessRole (not its root user)."""
    issued = client(emulator, "sts").assume_role(RoleArn=f"arn:aws:iam::{account_id}:role/OrganizationAccountAccessRole",
                                                 RoleSessionName="integration-tests")["Credentials"]
    return {"aws_access_key_id": issued["AccessKeyId"], "aws_secret_access_key": issued["SecretAccessKey"],
            "aws_session_token": issued["SessionToken"]}


def bucket_name(account_id: str, region: str) -> str:
    return f"{PROTECTED_PREFIX}{account_id}-{region}" if region == REGIONS[1] else f"locked-{account_id}-{region}"


def lock_bucket_and_queue(emulator, account_id: str, region: str) -> tuple:
    """A bucket and a queue in ``region`` whose policies deny everyone (only the account's root user gets in)."""
    admin = member_admin(emulator, account_id)
    bucket = bucket_name(account_id, region)
    s3 = client(emulator, "s3", region, admin)
    location = {} if region == "us-east-1" else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    s3.create_bucket(Bucket=bucket, **location)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(LOCKED_BUCKET).replace("{bucket}", bucket))
    sqs = client(emulator, "sqs", region, admin)
    queue = f"locked-{account_id}-{region}"
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(LOCKED_QUEUE).replace("{arn}", arn)})
    return bucket, queue


def attach_published(emulator, truth: dict, policy_type: str, document: dict, target_id: str) -> dict:
    """Enable the type on the root, create the policy and attach it, as the management account: its summary."""
    organizations = client(emulator, "organizations")
    organizations.enable_policy_type(RootId=truth["root_id"], PolicyType=policy_type)
    summary = organizations.create_policy(Name="published", Description="a published policy", Type=policy_type,
                                          Content=json.dumps(document))["Policy"]["PolicySummary"]
    organizations.attach_policy(PolicyId=summary["Id"], TargetId=target_id)
    return summary


def organization(control) -> tuple:
    """(truth, target account, control account): three members with every root credential, the target alone in its
    OU, the control account in another OU; the first member is the IAM delegated administrator."""
    truth = control.seed(accounts=3, profile="full", trusted_access=True, features=FEATURES, delegated_administrator=True)
    target, other = truth["accounts"][2], truth["accounts"][1]
    assert [account["id"] for account in truth["accounts"] if account["parent_id"] == target["parent_id"]] == [target["id"]]
    assert other["parent_id"] not in (target["parent_id"], truth["root_id"])
    return truth, target, other


# ---------------------------------------------------------------------------
# Reading the results and the request log


def root_sessions(entries: list) -> list:
    """The request log cut at each sts:AssumeRoot: one list of root-session calls per session, in order. The calls
    before the first AssumeRoot are left out (the check's and the first module's caller calls)."""
    sessions = []
    for entry in entries:
        if action(entry) == "sts:AssumeRoot":
            sessions.append([])
        elif entry["principal"] == "root":
            sessions[-1].append(entry)
    return sessions


def failure_text(result: dict) -> str:
    """The task's message and every account's error message."""
    texts = [str(result.get("msg") or "")] + [str(account.get("error_message") or "") for account in result.get("accounts") or ()]
    return " ".join(texts)


def succeeded(result: dict) -> bool:
    """The task did not fail, and no account it worked on failed (ok or changed)."""
    accounts = [account for account in result.get("accounts") or () if account.get("status") != "skipped"]
    return not result.get("failed") and all(account.get("status") in ("ok", "changed") for account in accounts)


def prediction(account: dict, task: str, region: str | None) -> tuple:
    """(verdict, essential denied actions, every denied action, uncertain actions) of ``task`` in ``region``."""
    decided = account["task_policies"][task]
    denied = [entry for entry in decided["denied"] if region is None or entry["region"] == region]
    uncertain = [entry for entry in decided["uncertain"] if region is None or entry["region"] == region]
    essential = {entry["action"] for entry in denied if entry["essential"]}
    verdict = DENIED if essential else UNCERTAIN if uncertain else ALLOWED
    return verdict, essential, {entry["action"] for entry in denied}, {entry["action"] for entry in uncertain}


# ---------------------------------------------------------------------------
# Prediction == what happens, per published policy


@pytest.mark.parametrize(("policy_type", "document_for", "expected_verdicts", "expected_outcomes"),
                         [pytest.param(*case[1:], id=case[0]) for case in PUBLISHED])
def test_prediction_is_what_the_tasks_meet(emulator, control, run_playbook, tmp_path, policy_type, document_for, expected_verdicts,
                                           expected_outcomes):
    truth, target, other = organization(control)
    buckets, queues = {}, {}
    for region in REGIONS:
        buckets[region], queues[region] = lock_bucket_and_queue(emulator, target["id"], region)
    policy = attach_published(emulator, truth, policy_type, document_for(buckets[REGIONS[1]]), target["parent_id"])

    backups = tmp_path / "backups"
    backups.mkdir(mode=0o700)
    control.clear_requests()
    run = run_playbook(PLAYBOOK, extra_vars={"account_id": target["id"], "regions": list(REGIONS), "buckets": buckets, "queues": queues,
                                             "backup_dir": str(backups)})
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    entries = control.requests()["entries"]
    guardrails = run.result("guardrails")
    assert not guardrails.get("failed"), guardrails
    accounts = {account["id"]: account for account in guardrails["accounts"]}

    # The check: reads only, before any root session; the policy type enabled and read.
    first_session = next(index for index, entry in enumerate(entries) if action(entry) == "sts:AssumeRoot")
    assert not [entry for entry in entries[:first_session] if entry["write"] or entry["principal"] != "iam"]
    assert guardrails["policy_types_enabled"] == [policy_type]
    # The control account, in another OU, is not touched by the policy.
    assert {task: accounts[other["id"]]["task_policies"][task]["allowed"] for task in TASKS} == dict.fromkeys(TASKS, True)

    predicted = {}
    sessions = root_sessions(entries)
    assert [sorted({entry["task_policy"] for entry in session}) for session in sessions] == [[task] for _name, task, _region in RUNS]
    for (name, task, region), session in zip(RUNS, sessions):
        verdict, essential, denied, uncertain = prediction(accounts[target["id"]], task, region)
        predicted[(task, region)] = verdict
        result = run.result(name)
        made = {action(entry) for entry in session}
        refused = {action(entry) for entry in session if entry["rejected"]}
        if verdict is ALLOWED:
            assert succeeded(result) and not refused, (name, refused, result)
        elif verdict is DENIED:
            assert not succeeded(result), (name, result)
            assert policy["Arn"] in failure_text(result), (name, failure_text(result))
            assert refused and refused <= denied and refused & essential, (name, refused, denied)
            assert made & denied == refused, (name, made, denied, refused)
        else:
            assert refused <= uncertain, (name, refused, uncertain)
        assert (OK if succeeded(result) and not refused else REFUSED) == expected_outcomes[name], (name, refused, result)
        if refused:
            assert policy["Arn"] in failure_text(result), (name, failure_text(result))
    assert predicted == expected_verdicts
    # A task's own verdict is over every Region: denied in one, denied; else uncertain in one, uncertain.
    assert {task: accounts[target["id"]]["task_policies"][task]["allowed"] for task in TASKS} == {
        task: overall([verdict for (decided, _region), verdict in expected_verdicts.items() if decided == task]) for task in TASKS}


# ---------------------------------------------------------------------------
# The check itself: reads only, check mode the same, bad input, a caller that may not read the policies


def test_the_check_reads_once_writes_nothing_and_check_mode_is_the_same(emulator, control, run_playbook):
    truth, target, _other = organization(control)
    attach_published(emulator, truth, SCP, examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT, target["parent_id"])
    results = {}
    for check in (False, True):
        control.clear_requests()
        run = run_playbook(INFO_PLAYBOOK, extra_vars={"all_accounts": True, "regions": list(REGIONS), "result_name": f"check_{check}"}, check=check)
        assert run.returncode == 0, run.stdout[-4000:]
        entries = control.requests()["entries"]
        calls = [action(entry) for entry in entries]
        assert not [entry for entry in entries if entry["write"] or entry["principal"] != "iam" or entry["rejected"]], entries
        assert set(calls) <= set(ACCOUNT_READS + POLICY_READS), calls
        # SCPs only (RCPs not enabled): one page of ListPolicies, and per policy (FullAWSAccess and the published one)
        # one DescribePolicy and one ListTargetsForPolicy.
        assert [calls.count(name) for name in POLICY_READS] == [1, 2, 2]
        result = run.result(f"check_{check}")
        assert result["changed"] is False
        results[check] = {key: value for key, value in result.items() if key not in ("invocation",)}
    assert results[True] == results[False]
    blocked = {account["id"]: account["task_policies"][DELETE]["allowed"] for account in results[False]["accounts"]}
    assert blocked[target["id"]] is False
    assert results[False]["policy_types"][RCP] == {
        "status": "NOT_ENABLED", "enforced": False, "policies": None,
        "message": f"RCPs are NOT_ENABLED on root {truth['root_id']}: none is enforced, so none can stop a root task; not read."}


BAD_INPUT = [
    ("unknown-task", {"task_policies": [AUDIT, "IAMRotateRootUserKeys"]},
     "task_policies: 'IAMRotateRootUserKeys' is not a root-task policy; use one of IAMAuditRootUserCredentials, IAMCreateRootUserPassword, "
     "IAMDeleteRootUserCredentials, S3UnlockBucketPolicy, SQSUnlockQueuePolicy or its ARN (arn:aws:iam::aws:policy/root-task/<name>)."),
    ("malformed-region", {"regions": ["us-east-1", "eu-west"]}, "regions: 'eu-west' is not a Region name such as us-east-1."),
    ("empty-regions", {"regions": []},
     "regions: the list is empty; give at least one Region, or leave regions out for the module's Region (us-east-1)."),
]


@pytest.mark.parametrize(("options", "message"), [pytest.param(*case[1:], id=case[0]) for case in BAD_INPUT])
def test_bad_input_fails_before_any_call(control, run_playbook, options, message):
    control.seed(accounts=2, profile="none", trusted_access=True, features=FEATURES)
    control.clear_requests()
    run = run_playbook(INFO_PLAYBOOK, extra_vars={"all_accounts": True, **options})
    result = run.result("guardrails")
    assert (result["failed"], result["error_class"], result["msg"]) == (True, "invalid_input", message)
    assert control.requests()["entries"] == []


def test_a_caller_that_may_not_read_the_policies_gets_cannot_read_guardrails(emulator, control, run_playbook, caller_env):
    """The IAM delegated administrator reads the accounts, but the organization's delegation policy does not let it read
    the policies. The emulator lets a delegated administrator make every Organizations List and Describe call, so the
    refusal AWS gives without organizations:ListPolicies in the delegation policy is injected for its account."""
    truth, target, _other = organization(control)
    attach_published(emulator, truth, SCP, examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT, target["parent_id"])
    administrator = truth["delegated_administrator"]
    control.add_fault(kind="custom", service="organizations", action="ListPolicies", account=administrator,
                      code="AccessDeniedException", status=400, message="You don't have permissions to access this resource.")
    administrator_env = caller_env(administrator)
    control.clear_requests()
    run = run_playbook(INFO_PLAYBOOK, extra_vars={"all_accounts": True}, env=administrator_env)
    result = run.result("guardrails")
    assert (result["failed"], result["error_class"], result["aws_error_code"], result["operation"]) == (
        True, "cannot_read_guardrails", "AccessDeniedException", "ListPolicies")
    assert result["msg"] == (
        "The caller cannot read the organization's SCPs: organizations:ListPolicies was denied. This check needs "
        "organizations:ListPolicies, organizations:DescribePolicy, organizations:ListTargetsForPolicy (besides the reads of the "
        "accounts). The management account is allowed them by its IAM policies; an IAM delegated administrator only where the "
        "organization's delegation policy (AWS Organizations, Delegated administrator) also allows them. (Access denied: the "
        "caller's IAM policies, an SCP, or the organization's settings do not allow this action. [ListPolicies: AccessDeniedException: "
        "You don't have permissions to access this resource.])")
    entries = control.requests()["entries"]
    assert {entry["caller_account"] for entry in entries} == {administrator}
    assert [action(entry) for entry in entries if entry["rejected"]] == ["organizations:ListPolicies"]
    assert not [entry for entry in entries if entry["write"] or action(entry) in POLICY_READS[1:]]
