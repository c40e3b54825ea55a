# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Root user credentials of member accounts: audit, removal and password recovery,
each inside a root session scoped by the narrowest task policy."""

from __future__ import annotations

import datetime
import re

from . import bulk, findings, guardrails, guardrails_check, validation
from .errors import RootGuardError, SessionExpired, is_code
from .clients import call, iso_time, paginate
from .root_sessions import RootSession
from .validation import CREDENTIAL_TYPES, TASK_POLICY_PREFIX, VIRTUAL_MFA

AUDIT_TASK = "IAMAuditRootUserCredentials"
DELETE_TASK = "IAMDeleteRootUserCredentials"
AUDIT_POLICY = TASK_POLICY_PREFIX + "IAMAuditRootUserCredentials"
DELETE_POLICY = TASK_POLICY_PREFIX + "IAMDeleteRootUserCredentials"
RECOVERY_POLICY = TASK_POLICY_PREFIX + "IAMCreateRootUserPassword"
CREDENTIALS_FEATURE = "RootCredentialsManagement"
AUDIT_MODULE = "rootguard.aws.root_credentials_info"
REMOVAL_MODULE = "rootguard.aws.root_credentials"
RECOVERY_MODULE = "rootguard.aws.root_password_recovery"

SECURITY_KEY = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:u2f/")


def mfa_type(serial: str) -> str:
    if VIRTUAL_MFA.match(serial):
        return "virtual"
    if SECURITY_KEY.match(serial):
        return "security_key"
    return "hardware"


def _read_password(iam, last_used: bool) -> dict:  # pylint: disable=unused-argument
    try:
        profile = call(iam, "get_login_profile")["LoginProfile"]
    except RootGuardError as error:
        if not is_code(error, "NoSuchEntity"):
            raise
        return {"present": False, "created": None}
    return {"present": True, "created": iso_time(profile.get("CreateDate"))}


def _read_access_keys(iam, last_used: bool) -> list:
    access_keys = []
    for key in paginate(iam, "list_access_keys", "AccessKeyMetadata"):
        entry = {"id": key["AccessKeyId"], "status": key.get("Status"), "created": iso_time(key.get("CreateDate")),
                 "last_used_date": None, "last_used_service": None, "last_used_region": None}
        if last_used:
            used = call(iam, "get_access_key_last_used", AccessKeyId=key["AccessKeyId"]).get("AccessKeyLastUsed", {})
            entry.update(last_used_date=iso_time(used.get("LastUsedDate")), last_used_service=used.get("ServiceName"),
                         last_used_region=used.get("Region"))
        access_keys.append(entry)
    return access_keys


def _read_signing_certificates(iam, last_used: bool) -> list:  # pylint: disable=unused-argument
    return [{"id": cert["CertificateId"], "status": cert.get("Status"), "uploaded": iso_time(cert.get("UploadDate"))}
            for cert in paginate(iam, "list_signing_certificates", "Certificates")]


def _read_mfa_devices(iam, last_used: bool) -> list:  # pylint: disable=unused-argument
    return [{"serial": device["SerialNumber"], "type": mfa_type(device["SerialNumber"]), "enabled": iso_time(device.get("EnableDate"))}
            for device in paginate(iam, "list_mfa_devices", "MFADevices")]


# In the order they are read.
_READERS = {
    "password": _read_password,
    "access_keys": _read_access_keys,
    "signing_certificates": _read_signing_certificates,
    "mfa_devices": _read_mfa_devices,
}


def read_credentials(iam, last_used: bool, types=CREDENTIAL_TYPES) -> dict:
    """The root user's credentials of ``types`` (never a certificate body or anything secret),
    one call each: GetLoginProfile, ListAccessKeys, ListSigningCertificates, ListMFADevices,
    and GetAccessKeyLastUsed per access key when ``last_used``.  ``compliant`` (no root
    credential at all) is there only when every type was read."""
    found = {kind: read(iam, last_used) for kind, read in _READERS.items() if kind in types}
    if len(found) == len(_READERS):
        found["compliant"] = is_compliant(found)
    return found


def is_compliant(found: dict) -> bool:
    """No root credential at all."""
    return not (found["password"]["present"] or found["access_keys"] or found["signing_certificates"] or found["mfa_devices"])


def plan_removal(found: dict, types, left_devices=()) -> list:
    """The removal steps, in order: access keys, signing certificates, MFA devices
    (deactivate, then delete the virtual ones, then the virtual devices ``left_devices``
    that an earlier run deactivated but could not delete), login profile."""
    steps = []
    if "access_keys" in types:
        steps.extend({"action": "delete_access_key", "id": key["id"]} for key in found["access_keys"])
    if "signing_certificates" in types:
        steps.extend({"action": "delete_signing_certificate", "id": cert["id"]} for cert in found["signing_certificates"])
    if "mfa_devices" in types:
        steps.extend({"action": "deactivate_mfa_device", "id": device["serial"]} for device in found["mfa_devices"])
        steps.extend({"action": "delete_virtual_mfa_device", "id": device["serial"]}
                     for device in found["mfa_devices"] if device["type"] == "virtual")
        listed = {device["serial"] for device in found["mfa_devices"]}
        steps.extend({"action": "delete_virtual_mfa_device", "id": serial} for serial in dict.fromkeys(left_devices) if serial not in listed)
    if "password" in types and found["password"]["present"]:
        steps.append({"action": "delete_login_profile", "id": None})
    return steps


# The step that removes a listed credential, and the field that identifies it.
_REMOVED_BY = {
    "access_keys": ("delete_access_key", "id"),
    "signing_certificates": ("delete_signing_certificate", "id"),
    "mfa_devices": ("deactivate_mfa_device", "serial"),
}


def inventory(found: dict, steps=()) -> dict:
    """The identifiers of the credentials read, for diffs, without those that ``steps``
    removed (planned steps count as done)."""
    gone = {(step["action"], step["id"]) for step in steps if step.get("done", True) or step.get("already_absent")}
    listed = {}
    if "password" in found:
        listed["password"] = found["password"]["present"] and ("delete_login_profile", None) not in gone
    for kind, (action, key) in _REMOVED_BY.items():
        if kind in found:
            listed[kind] = [item[key] for item in found[kind] if (action, item[key]) not in gone]
    return listed


def _diff(results: list, before, after) -> dict:
    """Before and after of the accounts that changed, would change, or failed part-way."""
    due = [result for result in results
           if result["status"] in (bulk.STATUS_CHANGED, bulk.STATUS_WOULD_CHANGE) or any(step.get("done") for step in result["actions"])]
    return {"before": {result["id"]: before(result) for result in due}, "after": {result["id"]: after(result) for result in due}}


_STEP_CALLS = {
    "delete_access_key": lambda iam, step: call(iam, "delete_access_key", AccessKeyId=step["id"]),
    "delete_signing_certificate": lambda iam, step: call(iam, "delete_signing_certificate", CertificateId=step["id"]),
    "deactivate_mfa_device": lambda iam, step: call(iam, "deactivate_mfa_device", SerialNumber=step["id"]),
    "delete_virtual_mfa_device": lambda iam, step: call(iam, "delete_virtual_mfa_device", SerialNumber=step["id"]),
    "delete_login_profile": lambda iam, step: call(iam, "delete_login_profile"),
}


def not_done(step: dict) -> dict:
    """A removal step not (or not yet) run."""
    return dict(step, done=False, already_absent=False, error=None)


def apply_removal(iam, steps: list, outcomes: list | None = None) -> tuple:
    """Run the steps in order; returns (the steps, each with ``done``, ``already_absent`` and
    ``error``; the error that stopped them, or None).  ``done`` means this run's call made the
    change: a credential already gone when the call reached it (NoSuchEntity, removed by
    someone else meanwhile) is ``already_absent`` instead.  A virtual MFA device that cannot
    be deleted after its deactivation is reported on its step and the others go on.  Any
    other failure stops the account, and the steps after it are returned not done.  An
    expired session is raised so that the work can be done again in a new one;
    ``outcomes``, when given, is filled as the steps go, so that what was done is known also then."""
    outcomes = [] if outcomes is None else outcomes
    left_behind, left_error = [], None
    for index, step in enumerate(steps):
        outcome = dict(step, done=True, already_absent=False, error=None)
        try:
            _STEP_CALLS[step["action"]](iam, step)
        except SessionExpired:
            outcomes.extend(not_done(rest) for rest in steps[index:])
            raise
        except RootGuardError as error:
            outcome.update(done=False, error=f"{error.error_class}: {error.message}")
            if is_code(error, "NoSuchEntity"):
                outcome.update(already_absent=True, error=None)
            elif step["action"] == "delete_virtual_mfa_device":
                left_behind.append(step["id"])
                left_error = left_error or error
            else:
                outcomes.append(outcome)
                outcomes.extend(not_done(rest) for rest in steps[index + 1:])
                return outcomes, error
        outcomes.append(outcome)
    if left_behind:
        return outcomes, left_device_error(left_behind, left_error)
    return outcomes, None


def left_device_error(serials: list, error: RootGuardError) -> RootGuardError:
    """The error of an account whose virtual MFA devices were deactivated but not deleted: of
    the same class as AWS's refusal, with what to do.  Root sessions cannot list unassigned
    virtual MFA devices (no task policy allows ListVirtualMFADevices), so a later run finds
    them only by their serials."""
    return type(error)(
        f"Virtual MFA device {', '.join(serials)} was deactivated (no longer a credential of the root user) but could not be "
        f"deleted: {error.message} A root session cannot list unassigned virtual MFA devices, so a re-run finds it only by its "
        "serial: run again with the same journal, or with the serial in virtual_mfa_devices_left.",
        error.aws_error_code, error.operation)


def audit_account(session, last_used: bool = True) -> dict:
    return read_credentials(session.client("iam"), last_used=last_used)


def audit(factory, targets, workers: int, fail_on_error: bool, control=None, check_guardrails: bool = False) -> dict:
    """root_credentials_info: one audit session per account, 1 + 4 calls (+1 per access key).  With
    ``check_guardrails``, an account whose guardrails deny root sessions any of the four reads is
    skipped before its root session (a partial audit cannot say whether it is compliant), and one
    where they deny only GetAccessKeyLastUsed is audited without the last use of its keys."""
    caller, accounts, skipped = bulk.target_accounts(factory, targets, CREDENTIALS_FEATURE, control)
    guard = Guard(factory, caller, AUDIT_TASK, check_guardrails)
    denials = {account["id"]: guard.denials(account) for account in accounts}
    workable, blocked = [], []
    for account in accounts:
        denied = denials[account["id"]]
        entries = blocked_reads(denied, _READERS)
        if entries:
            blocked.append(blocked_row(account, "audit the root user's credentials here", entries))
            if control is not None:
                control.finished(blocked[-1])
        else:
            workable.append(account)

    audited_at = datetime.datetime.now(datetime.timezone.utc)

    def work(session, result):
        denied = denials[result["id"]]
        last_used = blocked_entries(denied, LAST_USED_ACTION, step="last_used", credential_type="access_keys")
        result.update(found=session.run(lambda current: audit_account(current, last_used=not last_used)), status=bulk.STATUS_OK)
        result["findings"] = findings.ranked(findings.account_findings(result, audited_at))
        if check_guardrails:
            result["blocked"] = last_used

    results = bulk.map_accounts(bulk.per_account(work, bulk.new_sessions(factory, AUDIT_POLICY)), workable, workers, control) + blocked
    compliant = sum(1 for result in results if result["found"] and result["found"]["compliant"])
    counts = {"compliant_accounts": compliant,
              "findings": findings.severity_counts(item for result in results for item in result.get("findings") or ())}
    outcome = bulk.module_result(caller, results, skipped, fail_on_error, counts)
    outcome["account_ids"]["noncompliant"] = [entry["id"] for entry in outcome["accounts"] if entry["found"] and not entry["found"]["compliant"]]
    return with_blocked_summary(outcome, guard, fail_on_error)


def merge_attempts(attempts: list) -> list:
    """The steps as the last attempt left them, but ``done`` where an earlier attempt of this
    run made the change (the later attempt then found the credential already gone)."""
    steps = [dict(step) for step in attempts[-1]]
    for earlier in attempts[:-1]:
        for step, before in zip(steps, earlier):
            if before.get("done") and step.get("already_absent"):
                step.update(done=True, already_absent=False)
    return steps


def devices_left_in_journal(records: list) -> tuple:
    """The serials of virtual MFA devices that runs of root_credentials recorded in a journal
    as deactivated but not deleted (or carried from an earlier run's journal), and that no
    later line shows deleted or gone."""
    modules = {record.get("run_id"): record.get("module") for record in records if record.get("record") == "start"}
    left: dict = {}
    for record in records:
        if modules.get(record.get("run_id")) != REMOVAL_MODULE:
            continue
        if record.get("record") == "devices_left":
            left.update(dict.fromkeys(serial for serial in record.get("serials") or [] if isinstance(serial, str)))
            continue
        if record.get("record") != "account":
            continue
        for step in (record.get("account") or {}).get("actions") or []:
            if not isinstance(step, dict) or step.get("action") != "delete_virtual_mfa_device" or not isinstance(step.get("id"), str):
                continue
            if step.get("done") or step.get("already_absent"):
                left.pop(step["id"], None)
            elif step.get("error") or step.get("blocked"):
                left[step["id"]] = True
    return tuple(serial for serial in left if VIRTUAL_MFA.match(serial))


# ---------------------------------------------------------------------------
# Guardrails: the calls the organization's SCPs and RCPs deny to root sessions, decided before
# any root session from one read of the policies (guardrails_check.Reading)

# The call that reads each credential type, and the call of each removal step.
READ_ACTIONS = {"password": "iam:GetLoginProfile", "access_keys": "iam:ListAccessKeys",
                "signing_certificates": "iam:ListSigningCertificates", "mfa_devices": "iam:ListMFADevices"}
LAST_USED_ACTION = "iam:GetAccessKeyLastUsed"
STEP_ACTIONS = {"delete_access_key": "iam:DeleteAccessKey", "delete_signing_certificate": "iam:DeleteSigningCertificate",
                "deactivate_mfa_device": "iam:DeactivateMFADevice", "delete_virtual_mfa_device": "iam:DeleteVirtualMFADevice",
                "delete_login_profile": "iam:DeleteLoginProfile"}
_ENTRY_FIELDS = ("action", "policy_type", "policy_id", "policy_name", "target_id", "statement", "reason", "remedy")


class Guard:
    """The guardrails of one root task for the accounts of a run: ``denials(account)`` is AWS
    action -> the entries that deny it (no entry: allowed or uncertain, so attempted).  With
    guardrails ``ignore`` nothing is read and nothing is denied."""

    def __init__(self, factory, caller, task: str, check: bool):
        self.task = task
        self.organization_id = caller.organization_id
        self.region = factory.region
        self.reading = guardrails_check.Reading(factory.client("organizations")) if check else None

    def denials(self, account: dict) -> dict:
        if self.reading is None:
            return {}
        return self.reading.denials(account, self.organization_id, self.task, [self.region])

    def report(self) -> dict:
        return {"root_id": self.reading.root_id, "policy_types_enabled": self.reading.enabled, "task_policy": self.task}


def blocked_entries(denials: dict, action: str, **where) -> list:
    """The entries denying ``action``, each with ``where`` (the step or credential type it stops)."""
    return [dict(where, **{field: entry[field] for field in _ENTRY_FIELDS}) for entry in denials.get(action, ())]


def blocked_reads(denied: dict, kinds) -> list:
    """The entries denying the reads of the credential types ``kinds`` (step ``read``)."""
    return [entry for kind in kinds for entry in blocked_entries(denied, READ_ACTIONS[kind], step="read", credential_type=kind)]


def blocked_message(what: str, entries: list) -> str:
    """Why a root session may not do ``what``: each denying statement once, with its remedy."""
    named = {}
    for entry in entries:
        kind = guardrails.POLICY_TYPE_NAMES[entry["policy_type"]]
        if entry["policy_id"]:
            where = f"{kind} {entry['policy_name']} ({entry['policy_id']}) statement {entry['statement']} attached to {entry['target_id']}"
        else:
            where = f"no {kind} attached to {entry['target_id']} allows it"
        named.setdefault(where, (entry["action"], entry["remedy"]))
    reasons = "; ".join(f"{action} is denied: {where}. {remedy}" for where, (action, remedy) in named.items())
    return f"The organization's guardrails do not let root sessions {what}: {reasons}"


def blocked_row(account: dict, what: str, entries: list) -> dict:
    """An account skipped before any root session because the guardrails stop ``what``."""
    result = bulk.account_result(account)
    result.update(status=bulk.STATUS_SKIPPED, reason=bulk.REASON_BLOCKED, blocked=entries, error_message=blocked_message(what, entries))
    return result


def with_blocked_summary(result: dict, guard: Guard, fail_on_error: bool) -> dict:
    """The module's result with ``guardrails`` and ``summary.blocked`` (accounts where the
    guardrails stopped anything); with ``fail_on_error``, a failure naming them.  Unchanged when
    the guardrails were not checked."""
    if guard.reading is None:
        return result
    blocked = [entry["id"] for entry in result["accounts"] if entry.get("blocked")]
    result["summary"]["blocked"] = len(blocked)
    result["guardrails"] = guard.report()
    if blocked and fail_on_error and not result.get("failed"):
        result["failed"] = True
        result["msg"] = (f"The organization's guardrails stopped root sessions in {len(blocked)} of {result['summary']['total']} accounts: "
                         f"{', '.join(blocked[:20])}{' ...' if len(blocked) > 20 else ''}; everything they allowed was done. "
                         "See accounts[].blocked for the policy, the statement and the remedy.")
    return result


def _account_of(serial: str) -> str:
    return serial.split(":")[4]


class Removal:
    """The removal of root credentials in the targeted accounts, one delete session per account.

    ``read`` plans an account's steps and ``clean`` runs them; the account's session lives from
    the read to the clean-up (per_account releases its client in between, so memory does not
    grow with a client per account).  ``left_devices``: serials of virtual MFA devices an earlier
    run deactivated but could not delete, deleted in their accounts.  ``denials``: account id ->
    the calls the guardrails deny (Guard.denials): a type whose read is denied is not read, a step
    whose call is denied is not attempted; both are reported in the account's ``blocked``."""

    def __init__(self, factory, types, left_devices=(), denials=None):
        self.factory = factory
        self.types = types
        self.left_devices = left_devices
        self.denials = denials or {}
        self._sessions = {}

    def session(self, account_id: str) -> RootSession:
        if account_id not in self._sessions:
            self._sessions[account_id] = RootSession(self.factory, account_id, DELETE_POLICY)
        return self._sessions[account_id]

    def readable(self, account_id: str) -> list:
        """The chosen credential types whose read the guardrails allow in the account."""
        denied = self.denials.get(account_id, {})
        return [kind for kind in self.types if READ_ACTIONS[kind] not in denied]

    def read(self, session, result: dict) -> None:
        denied = self.denials.get(result["id"], {})
        types = self.readable(result["id"])
        blocked = blocked_reads(denied, [kind for kind in self.types if kind not in types])
        left = [serial for serial in self.left_devices if _account_of(serial) == result["id"]]
        found = session.run(lambda current: read_credentials(current.client("iam"), last_used=False, types=types))
        actions = []
        for step in plan_removal(found, types, left):
            stopped = blocked_entries(denied, STEP_ACTIONS[step["action"]], step=step["action"], id=step["id"])
            actions.append(dict(not_done(step), blocked=stopped) if stopped else step)
            blocked.extend(stopped)
        result.update(found=found, actions=actions)
        if self.denials:
            result["blocked"] = blocked
        if any(not step.get("blocked") for step in actions):
            result["status"] = bulk.STATUS_WOULD_CHANGE
        elif blocked:
            result.update(status=bulk.STATUS_SKIPPED, reason=bulk.REASON_BLOCKED,
                          error_message=blocked_message("remove what is left of the root credentials here", blocked))
        else:
            result["status"] = bulk.STATUS_OK

    def clean(self, session, result: dict) -> None:
        planned = [step for step in result["actions"] if not step.get("blocked")]
        attempts: list = []

        def work(current):
            attempts.append([])
            return apply_removal(current.client("iam"), planned, attempts[-1])

        try:
            _steps, error = session.run(work)
        except RootGuardError:
            # The session was lost for good: report each step as the attempts left it.
            tried = [steps for steps in attempts if steps]
            result["actions"] = with_blocked_steps(result["actions"], merge_attempts(tried) if tried else [not_done(step) for step in planned])
            raise
        result["actions"] = with_blocked_steps(result["actions"], merge_attempts(attempts))
        if error is not None:
            raise error
        result["status"] = bulk.STATUS_CHANGED if any(step["done"] for step in result["actions"]) else bulk.STATUS_OK

    def read_and_clean(self, session, result: dict) -> None:
        self.read(session, result)
        if result["status"] == bulk.STATUS_WOULD_CHANGE:
            self.clean(session, result)

    def reading(self, work):
        """per_account for a pass that starts from the account (a new result row)."""
        return bulk.per_account(work, self.session)

    def cleaning(self):
        """per_account for the clean-up of accounts already read (their rows from the read)."""
        return bulk.per_account(self.clean, self.session, row=lambda result: result)


def with_blocked_steps(actions: list, outcomes: list) -> list:
    """The account's steps in order: the blocked ones as planned, the others as ``outcomes`` (of the
    steps not blocked, in order) left them."""
    attempted = iter(outcomes)
    return [step if step.get("blocked") else next(attempted) for step in actions]


def not_cleaned(result: dict) -> dict:
    """An account read but not cleaned because the run was stopped."""
    return dict(result, status=bulk.STATUS_SKIPPED, reason=bulk.REASON_INTERRUPTED,
                error_message="The run was stopped after this account was read and before any change in it.",
                actions=[not_done(step) for step in result["actions"]])


def record_reads(control, results: list, but_due: bool) -> None:
    """Record the accounts read (not those never started; not those still due a clean-up when ``but_due``)."""
    for result in results:
        if result["reason"] != bulk.REASON_INTERRUPTED and not (but_due and result["status"] == bulk.STATUS_WOULD_CHANGE):
            control.finished(result)


def blast_radius_exceeded(caller, results: list, skipped: list, due: list, limit: int) -> dict:
    outcome = bulk.module_result(caller, results, skipped, False)
    outcome.update(failed=True, error_class="blast_radius_exceeded", msg=(
        f"{len(due)} accounts would change, more than max_changed_accounts ({limit}); nothing was changed. "
        f"Accounts: {', '.join(result['id'] for result in due[:20])}{' ...' if len(due) > 20 else ''} (account_ids.would_change lists them all)."))
    return outcome


def unreadable_accounts(accounts: list, removal: Removal) -> tuple:
    """(the accounts with a chosen type the guardrails let root sessions read, the rows of those
    skipped because they let them read none: no root session is opened there)."""
    workable, rows = [], []
    for account in accounts:
        if removal.readable(account["id"]):
            workable.append(account)
            continue
        denied = removal.denials.get(account["id"], {})
        rows.append(blocked_row(account, "read the root user's credentials here", blocked_reads(denied, removal.types)))
    return workable, rows


def remove(factory, targets, types, workers: int, max_changed_accounts, check_mode: bool, fail_on_error: bool,
           control=None, left_devices=(), check_guardrails: bool = False) -> dict:
    """root_credentials state=absent.  With a blast-radius limit (or in check mode), every account
    is read first and the limit is checked before any write; without one, each account is read
    and cleaned in one go.  With ``check_guardrails``, the SCPs and RCPs are read once before any
    root session, and what they deny is neither read nor attempted (Removal)."""
    control = control or bulk.RunControl()
    caller, accounts, skipped = bulk.target_accounts(factory, targets, CREDENTIALS_FEATURE, control)
    guard = Guard(factory, caller, DELETE_TASK, check_guardrails)
    removal = Removal(factory, types, left_devices, {account["id"]: guard.denials(account) for account in accounts} if check_guardrails else None)
    accounts, blocked = unreadable_accounts(accounts, removal)
    for row in blocked:
        control.finished(row)
    if max_changed_accounts is None and not check_mode:
        results = bulk.map_accounts(removal.reading(removal.read_and_clean), accounts, workers, control)
    else:
        results = bulk.map_accounts(removal.reading(removal.read), accounts, workers, control, record=check_mode)
        due = [result for result in results if result["status"] == bulk.STATUS_WOULD_CHANGE]
        if max_changed_accounts is not None and len(due) > max_changed_accounts:
            if not check_mode:
                record_reads(control, results, but_due=False)
            return with_blocked_summary(blast_radius_exceeded(caller, results + blocked, skipped, due, max_changed_accounts), guard, False)
        if not check_mode:
            record_reads(control, results, but_due=True)
            cleaned = {result["id"]: result for result in bulk.map_accounts(removal.cleaning(), due, workers, control, not_cleaned)}
            results = [cleaned.get(result["id"], result) for result in results]
    results += blocked
    diff = _diff(results, lambda result: inventory(result["found"]), lambda result: inventory(result["found"], result["actions"]))
    outcome = bulk.module_result(caller, results, skipped, fail_on_error, {"diff": diff}, check_mode)
    return with_blocked_summary(outcome, guard, fail_on_error)


def recovery_due(session, present: bool) -> bool:
    """Whether the login profile is not yet as asked (GetLoginProfile)."""
    try:
        call(session.client("iam"), "get_login_profile")
        exists = True
    except RootGuardError as error:
        if not is_code(error, "NoSuchEntity"):
            raise
        exists = False
    return exists != present


def recover_account(session, present: bool, check_mode: bool) -> bool:
    """Whether the account's password recovery changed (in check mode: would change).  The login
    profile is read first, so an account already as asked gets no write call at all."""
    if not recovery_due(session, present):
        return False
    if check_mode:
        return True
    try:
        call(session.client("iam"), "create_login_profile" if present else "delete_login_profile")
    except RootGuardError as error:
        # Changed by someone else since the read.
        if is_code(error, "EntityAlreadyExists" if present else "NoSuchEntity"):
            return False
        raise
    return True


def password_recovery(factory, targets, present: bool, workers: int, check_mode: bool, fail_on_error: bool, control=None) -> dict:
    """root_password_recovery: GetLoginProfile, then CreateLoginProfile (present) or
    DeleteLoginProfile (absent) where the account is not yet as asked.

    Re-allowing recovery needs an IAMCreateRootUserPassword session; removing the
    login profile needs IAMDeleteRootUserCredentials."""
    caller, accounts, skipped = bulk.target_accounts(factory, targets, CREDENTIALS_FEATURE, control)
    action = "create_login_profile" if present else "delete_login_profile"

    def work(session, result):
        changed = session.run(lambda current: recover_account(current, present, check_mode))
        status = bulk.STATUS_WOULD_CHANGE if check_mode else bulk.STATUS_CHANGED
        result.update(status=status if changed else bulk.STATUS_OK, actions=[{"action": action}] if changed else [])

    sessions = bulk.new_sessions(factory, RECOVERY_POLICY if present else DELETE_POLICY)
    results = bulk.map_accounts(bulk.per_account(work, sessions), accounts, workers, control)
    diff = _diff(results, lambda result: {"login_profile": not present}, lambda result: {"login_profile": present})
    return bulk.module_result(caller, results, skipped, fail_on_error, {"diff": diff}, check_mode)


# ---------------------------------------------------------------------------
# The modules' service functions: (factory, params, check_mode) -> the task's result


def root_credentials_info(factory, params: dict, check_mode: bool) -> dict:
    targets, workers = bulk.targets_and_concurrency(params)
    check = params["guardrails"] == "check"
    return bulk.run(params, AUDIT_MODULE, check_mode, lambda control: audit(factory, targets, workers, params["fail_on_error"], control, check))


def devices_to_delete(params: dict, control, given: tuple) -> tuple:
    """``given`` (virtual_mfa_devices_left) and the virtual MFA devices that previous_journal and
    the run's own journal show left behind; written into the run's journal."""
    left = given
    if params["previous_journal"]:
        left += devices_left_in_journal(bulk.read_journal(params["previous_journal"], "previous_journal"))
    if control.journal is not None:
        left += devices_left_in_journal(bulk.read_journal(control.journal.path))
        left = tuple(dict.fromkeys(left))
        if left:
            control.journal.devices_left(left)
    return left


def root_credentials(factory, params: dict, check_mode: bool) -> dict:
    targets, workers = bulk.targets_and_concurrency(params)
    types = validation.credential_types(params["credential_types"])
    limit = validation.max_changed_accounts(params["max_changed_accounts"])
    given = validation.devices_left(params["virtual_mfa_devices_left"])

    def task(control):
        left = devices_to_delete(params, control, given)
        return remove(factory, targets, types, workers, limit, check_mode, params["fail_on_error"], control, left,
                      params["guardrails"] == "check")

    return bulk.run(params, REMOVAL_MODULE, check_mode, task)


def root_password_recovery(factory, params: dict, check_mode: bool) -> dict:
    targets, workers = bulk.targets_and_concurrency(params)
    present = params["state"] == "present"
    return bulk.run(params, RECOVERY_MODULE, check_mode,
                    lambda control: password_recovery(factory, targets, present, workers, check_mode, params["fail_on_error"], control))
