# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""rootguard.aws.root_task_guardrails_info: whether the organization's SCPs and RCPs would let root
sessions do each root task, account by account, read once for the whole run and decided by
guardrails.py; no root session is opened and nothing is written.

What is read, once per run whatever the number of accounts: the targeted accounts and their OU
paths (organizations.list_accounts), the root and the policy types enabled on it (ListRoots), and
for each type enabled there every policy of that type (ListPolicies), its document
(DescribePolicy) and its targets (ListTargetsForPolicy).  A type not enabled on the root is not
enforced (Organizations User Guide, "Enabling and disabling policy types"), whatever is attached.
The levels of an account are the root, its OUs from the top down, and the account itself
(Organizations User Guide, "SCP evaluation"); the management account is subject to neither SCPs
nor RCPs ("Service control policies (SCPs)", "Resource control policies (RCPs)")."""

from __future__ import annotations

from . import guardrails, validation
from .clients import call, paginate
from .errors import AccessDenied, CannotReadGuardrails
from .organizations import list_accounts
from .targeting import targets_from_params

POLICY_TYPES = (guardrails.SCP, guardrails.RCP)
TASKS = tuple(guardrails.TASK_CALLS)
# The tasks whose calls go to the Region of their bucket or queue; the others call IAM's one Region.
REGIONAL_TASKS = frozenset({"S3UnlockBucketPolicy", "SQSUnlockQueuePolicy"})
ENABLED = "ENABLED"
NOT_ENABLED = "NOT_ENABLED"
POLICY_READS = ("organizations:ListPolicies", "organizations:DescribePolicy", "organizations:ListTargetsForPolicy")
# The guardrails option of the modules that open root sessions in many accounts (doc fragment rootguard.aws.guardrails).
ARGUMENT_SPEC = {"guardrails": {"type": "str", "choices": ["check", "ignore"], "default": "ignore"}}
NOT_SUBJECT = "the management account: SCPs and RCPs never apply to it, and centralized root access does not work in it"


# ---------------------------------------------------------------------------
# Reading the organization's policies

def root_policy_types(orgs) -> tuple:
    """(root id, {policy type: status}) from ListRoots: the one root of the organization."""
    root = paginate(orgs, "list_roots", "Roots")[0]
    return root["Id"], {item["Type"]: item["Status"] for item in root.get("PolicyTypes") or ()}


def _cannot_read(error: AccessDenied, policy_type: str) -> CannotReadGuardrails:
    denied = f"organizations:{error.operation}" if error.operation else "a policy read"
    return CannotReadGuardrails(
        f"The caller cannot read the organization's {guardrails.POLICY_TYPE_NAMES[policy_type]}s: {denied} was denied. "
        f"This check needs {', '.join(POLICY_READS)} (besides the reads of the accounts). The management account is "
        "allowed them by its IAM policies; an IAM delegated administrator only where the organization's delegation "
        f"policy (AWS Organizations, Delegated administrator) also allows them. ({error.message})",
        error.aws_error_code, error.operation,
    )


def read_policies(orgs, policy_type: str) -> list:
    """Every policy of ``policy_type``: ``{"id", "name", "aws_managed", "document", "target_ids"}``,
    sorted by id.  AccessDenied on any read is CannotReadGuardrails."""
    try:
        policies = []
        for summary in paginate(orgs, "list_policies", "Policies", Filter=policy_type):
            described = call(orgs, "describe_policy", PolicyId=summary["Id"])["Policy"]
            targets = paginate(orgs, "list_targets_for_policy", "Targets", PolicyId=summary["Id"])
            policies.append({"id": summary["Id"], "name": summary.get("Name"), "aws_managed": bool(summary.get("AwsManaged")),
                             "document": described.get("Content", ""), "target_ids": sorted(target["TargetId"] for target in targets)})
    except AccessDenied as error:
        raise _cannot_read(error, policy_type) from None
    return sorted(policies, key=lambda policy: policy["id"])


def attachments(policies: list) -> dict:
    """target id -> the policies attached to it."""
    attached = {}
    for policy in policies:
        for target_id in policy["target_ids"]:
            attached.setdefault(target_id, []).append(policy)
    return attached


# ---------------------------------------------------------------------------
# Deciding, account by account

def account_levels(account: dict, attached_by_type: dict) -> dict:
    """policy type -> the levels root -> OUs -> account of guardrails.decide(); no level for a type
    not enabled (nothing of it is enforced)."""
    path = list(account["ou_ids"]) + [account["id"]]
    return {policy_type: [{"target_id": target_id, "policies": attached.get(target_id, [])} for target_id in path]
            for policy_type, attached in attached_by_type.items()}


def org_path(organization_id: str, account: dict) -> str:
    """aws:PrincipalOrgPaths / aws:ResourceOrgPaths of the account: o-.../r-.../ou-.../ (its parent's path)."""
    return organization_id + "/" + "".join(f"{part}/" for part in account["ou_ids"])


def _task_runs(task: str, regions: list) -> list:
    """(connection Region, resource name, resource Region) of each decision of ``task``."""
    if task in REGIONAL_TASKS:
        return [(region, guardrails.ANY_NAME, region) for region in regions]
    return [(regions[0], None, None)]


def decide_account_task(task: str, account: dict, organization_id: str, levels: dict, regions: list) -> dict:
    """``{"allowed", "denied", "uncertain"}`` of one task in one account, over ``regions`` for the
    bucket and queue tasks; a denied entry carries ``essential`` (false: the collection goes on
    without that call, so it does not block the task)."""
    denied, uncertain, verdicts = [], [], []
    paths = [org_path(organization_id, account)]
    for connection_region, name, resource_region in _task_runs(task, regions):
        context = guardrails.root_session_context(account["id"], organization_id, paths, connection_region)
        decision = guardrails.decide_task(task, context, levels.get(guardrails.SCP, []), levels.get(guardrails.RCP, []),
                                          connection_region, name, resource_region)
        verdicts.append(decision["allowed"])
        for step in decision["steps"]:
            for made in step["calls"]:
                denied.extend(dict(entry, essential=made["essential"]) for entry in made["denied"])
                uncertain.extend(made["uncertain"])
    allowed = False if False in verdicts else None if None in verdicts else True
    return {"allowed": allowed, "denied": _unique(denied), "uncertain": _unique(uncertain)}


def _unique(entries: list) -> list:
    seen, unique = set(), []
    for entry in entries:
        key = tuple(sorted((name, str(value)) for name, value in entry.items()))
        if key not in seen:
            seen.add(key)
            unique.append(entry)
    return unique


def evaluate_account(account: dict, organization_id: str, attached_by_type: dict, tasks: list, regions: list) -> dict:
    described = {"id": account["id"], "name": account["name"], "ou_path": account["ou_path"], "state": account["state"],
                 "management_account": account["management_account"], "subject_to_guardrails": not account["management_account"]}
    if account["management_account"]:
        described["task_policies"] = {task: {"allowed": True, "denied": [], "uncertain": []} for task in tasks}
        described["message"] = NOT_SUBJECT
        return described
    levels = account_levels(account, attached_by_type)
    described["task_policies"] = {task: decide_account_task(task, account, organization_id, levels, regions) for task in tasks}
    return described


# ---------------------------------------------------------------------------
# The result

def summarize(accounts: list, tasks: list) -> dict:
    """Per task: how many accounts it is allowed, blocked or uncertain in."""
    summary = {}
    for task in tasks:
        verdicts = [account["task_policies"][task]["allowed"] for account in accounts]
        summary[task] = {"allowed": verdicts.count(True), "blocked": verdicts.count(False), "uncertain": verdicts.count(None)}
    return summary


def ids_needing_attention(accounts: list) -> dict:
    """The ids of the accounts where a task is blocked, then those where one is uncertain."""
    def where(verdict) -> list:
        return [account["id"] for account in accounts if any(decision["allowed"] is verdict for decision in account["task_policies"].values())]

    return {"blocked": where(False), "uncertain": where(None)}


def remedies(accounts: list, policies_by_id: dict) -> list:
    """One entry per blocking statement (an essential call's denial): the statement, where it is
    attached, what to change (guardrails.remedy_for, once per target), and what it blocks."""
    found = {}
    for account in accounts:
        for task, verdict in account["task_policies"].items():
            for entry in verdict["denied"]:
                if not entry["essential"]:
                    continue
                # A missing Allow is the level's, not a statement's: one remedy per level.
                key = (entry["policy_type"], entry["policy_id"], entry["statement"] if entry["policy_id"] else entry["target_id"])
                remedy = found.setdefault(key, {"policy_type": entry["policy_type"], "policy_id": entry["policy_id"],
                                                "policy_name": entry["policy_name"], "statement": entry["statement"],
                                                "reason": entry["reason"], "target_ids": set(), "texts": {}, "accounts": set(),
                                                "tasks": set(), "actions": set()})
                remedy["target_ids"].add(entry["target_id"])
                remedy["texts"].setdefault(entry["target_id"], guardrails.remedy_for(entry, policies_by_id.get(entry["policy_id"])))
                remedy["accounts"].add(account["id"])
                remedy["tasks"].add(task)
                remedy["actions"].add(entry["action"])
    listed = []
    for key in sorted(found, key=lambda key: tuple(str(part) for part in key)):
        remedy = found[key]
        texts = remedy.pop("texts")
        listed.append(dict(remedy, remedy=" ".join(dict.fromkeys(texts[target] for target in sorted(texts))),
                           target_ids=sorted(remedy["target_ids"]), accounts=sorted(remedy["accounts"]),
                           tasks=[task for task in TASKS if task in remedy["tasks"]], actions=sorted(remedy["actions"])))
    return listed


def policy_type_report(root_id: str, statuses: dict, policies_by_type: dict) -> dict:
    report = {}
    for policy_type in POLICY_TYPES:
        status = statuses.get(policy_type, NOT_ENABLED)
        kind = guardrails.POLICY_TYPE_NAMES[policy_type]
        enforced = status == ENABLED
        report[policy_type] = {
            "status": status, "enforced": enforced,
            "policies": len(policies_by_type.get(policy_type, [])) if enforced else None,
            "message": (f"{kind}s are enabled on root {root_id} and enforced." if enforced else
                        f"{kind}s are {status} on root {root_id}: none is enforced, so none can stop a root task; not read."),
        }
    return report


class Reading:
    """The organization's SCPs and RCPs as read once for a run: the root, the policy types enabled
    on it, every policy of those types with its document and targets."""

    def __init__(self, orgs):
        self.root_id, self.statuses = root_policy_types(orgs)
        self.enabled = [policy_type for policy_type in POLICY_TYPES if self.statuses.get(policy_type) == ENABLED]
        self.policies_by_type = {policy_type: read_policies(orgs, policy_type) for policy_type in self.enabled}
        self.attached_by_type = {policy_type: attachments(policies) for policy_type, policies in self.policies_by_type.items()}
        self.policies_by_id = {policy["id"]: policy for policies in self.policies_by_type.values() for policy in policies}

    def denials(self, account: dict, organization_id: str, task: str, regions: list) -> dict:
        """AWS action -> the entries denying it to a root session of ``account`` (which carries
        ``ou_ids``) in ``task``, each with its ``remedy``; essential or not, since a caller deciding
        call by call needs them all.  Uncertain calls are not in it: they are attempted."""
        verdict = decide_account_task(task, account, organization_id, account_levels(account, self.attached_by_type), regions)
        by_action = {}
        for entry in verdict["denied"]:
            remedy = guardrails.remedy_for(entry, self.policies_by_id.get(entry["policy_id"]))
            by_action.setdefault(entry["action"], []).append(dict(entry, remedy=remedy))
        return by_action


def check_guardrails(factory, targets, tasks: list, regions: list) -> dict:
    """The whole check: reads once, decides every targeted account."""
    listing = list_accounts(factory, targets, include_tags=False)
    reading = Reading(factory.client("organizations"))
    accounts = [evaluate_account(account, listing["organization_id"], reading.attached_by_type, tasks, regions) for account in listing["accounts"]]
    return {
        "changed": False,
        "organization_id": listing["organization_id"],
        "management_account_id": listing["management_account_id"],
        "root_id": reading.root_id,
        "policy_types_enabled": reading.enabled,
        "policy_types": policy_type_report(reading.root_id, reading.statuses, reading.policies_by_type),
        "task_policies": list(tasks),
        "regions": list(regions),
        "accounts": accounts,
        "account_ids": ids_needing_attention(accounts),
        "skipped_accounts": listing["skipped_accounts"],
        "summary": summarize(accounts, tasks),
        "remedies": remedies(accounts, reading.policies_by_id),
        "assume_root": {"action": guardrails.ASSUME_ROOT["action"], "evaluated": False,
                        "scp": guardrails.ASSUME_ROOT["scp"], "rcp": guardrails.ASSUME_ROOT["rcp"]},
    }


# ---------------------------------------------------------------------------
# The module's service function: (factory, params, check_mode) -> the task's result


def root_task_guardrails_info(factory, params: dict, _check_mode: bool) -> dict:
    targets = targets_from_params(params)
    tasks = validation.task_policy_names(params["task_policies"])
    regions = validation.regions(params["regions"], factory.region)
    return check_guardrails(factory, targets, tasks, regions)
