# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Root user credentials of member accounts: audit, removal and password recovery,
each inside a root session scoped by the narrowest task policy."""

from __future__ import annotations

import re

from . import bulk
from .errors import InvalidInput, RootGuardError, SessionExpired, is_code
from .clients import call, iso_time, paginate
from .root_sessions import RootSession
from .validation import TASK_POLICY_PREFIX

AUDIT_POLICY = TASK_POLICY_PREFIX + "IAMAuditRootUserCredentials"
DELETE_POLICY = TASK_POLICY_PREFIX + "IAMDeleteRootUserCredentials"
RECOVERY_POLICY = TASK_POLICY_PREFIX + "IAMCreateRootUserPassword"
CREDENTIALS_FEATURE = "RootCredentialsManagement"
REMOVAL_MODULE = "rootguard.aws.root_credentials"

# In the order they are removed.
CREDENTIAL_TYPES = ("access_keys", "signing_certificates", "mfa_devices", "password")

VIRTUAL_MFA = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:mfa/")
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


def credential_types(values) -> tuple:
    if values is None:
        return CREDENTIAL_TYPES
    if not values:
        raise InvalidInput(f"credential_types: the list is empty; give one or more of {', '.join(CREDENTIAL_TYPES)}.")
    unknown = [value for value in values if value not in CREDENTIAL_TYPES]
    if unknown:
        raise InvalidInput(f"credential_types: {', '.join(map(str, unknown))} not one of {', '.join(CREDENTIAL_TYPES)}.")
    return tuple(kind for kind in CREDENTIAL_TYPES if kind in values)


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
            outcomes.extend(dict(rest, done=False, already_absent=False, error=None) for rest in steps[index:])
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
                outcomes.extend(dict(rest, done=False, already_absent=False, error=None) for rest in steps[index + 1:])
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


def audit_account(session) -> dict:
    return read_credentials(session.client("iam"), last_used=True)


def audit(factory, targets, workers: int, fail_on_error: bool, control=None) -> dict:
    """root_credentials_info: one audit session per account, 1 + 4 calls (+1 per access key)."""
    caller, accounts, skipped = bulk.target_accounts(factory, targets, CREDENTIALS_FEATURE, control)

    def one(account):
        result = bulk.account_result(account)
        session = RootSession(factory, account["id"], AUDIT_POLICY)
        try:
            result["found"] = session.run(audit_account)
            result["status"] = bulk.STATUS_OK
        except RootGuardError as error:
            bulk.failed(result, error)
        finally:
            session.release()
        return result

    results = bulk.map_accounts(one, accounts, workers, control)
    compliant = sum(1 for result in results if result["found"] and result["found"]["compliant"])
    return bulk.module_result(caller, results, skipped, fail_on_error, {"compliant_accounts": compliant})


def merge_attempts(attempts: list) -> list:
    """The steps as the last attempt left them, but ``done`` where an earlier attempt of this
    run made the change (the later attempt then found the credential already gone)."""
    steps = [dict(step) for step in attempts[-1]]
    for earlier in attempts[:-1]:
        for step, before in zip(steps, earlier):
            if before.get("done") and step.get("already_absent"):
                step.update(done=True, already_absent=False)
    return steps


def devices_left(values) -> tuple:
    """virtual_mfa_devices_left: serials of virtual MFA devices (ARNs with the account id)."""
    serials = tuple(values or ())
    wrong = [serial for serial in serials if not isinstance(serial, str) or not VIRTUAL_MFA.match(serial)]
    if wrong:
        raise InvalidInput(f"virtual_mfa_devices_left: {', '.join(map(str, wrong))} is not the serial of a virtual MFA device "
                           "(arn:aws:iam::<account id>:mfa/<name>).")
    return serials


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
            elif step.get("error"):
                left[step["id"]] = True
    return tuple(serial for serial in left if VIRTUAL_MFA.match(serial))


def _account_of(serial: str) -> str:
    return serial.split(":")[4]


def remove(factory, targets, types, workers: int, max_changed_accounts, check_mode: bool, fail_on_error: bool,
           control=None, left_devices=()) -> dict:
    """root_credentials state=absent, one delete session per account.

    With a blast-radius limit, every account is read first and the limit is checked before
    any write; between the two passes each session keeps its credentials but not its client,
    so memory does not grow with a client per account.  Without one, each account is read
    and cleaned in one go, with one client.  ``left_devices``: serials of virtual MFA devices
    an earlier run deactivated but could not delete, deleted in their accounts."""
    control = control or bulk.RunControl()
    caller, accounts, skipped = bulk.target_accounts(factory, targets, CREDENTIALS_FEATURE, control)
    sessions = {account["id"]: RootSession(factory, account["id"], DELETE_POLICY) for account in accounts}

    def read_one(account) -> dict:
        result = bulk.account_result(account)
        left = [serial for serial in left_devices if _account_of(serial) == account["id"]]
        try:
            found = sessions[account["id"]].run(lambda session: read_credentials(session.client("iam"), last_used=False, types=types))
            result["found"] = found
            result["actions"] = plan_removal(found, types, left)
            result["status"] = bulk.STATUS_WOULD_CHANGE if result["actions"] else bulk.STATUS_OK
        except RootGuardError as error:
            bulk.failed(result, error)
        return result

    def apply_one(result) -> dict:
        planned = result["actions"]
        attempts: list = []

        def work(session):
            attempts.append([])
            return apply_removal(session.client("iam"), planned, attempts[-1])

        try:
            _steps, error = sessions[result["id"]].run(work)
        except RootGuardError as session_error:
            # The session was lost for good: report each step as the attempts left it.
            tried = [steps for steps in attempts if steps]
            result["actions"] = merge_attempts(tried) if tried else [dict(step, done=False, already_absent=False, error=None) for step in planned]
            return bulk.failed(result, session_error)
        result["actions"] = merge_attempts(attempts)
        if error is not None:
            return bulk.failed(result, error)
        result["status"] = bulk.STATUS_CHANGED if any(step["done"] for step in result["actions"]) else bulk.STATUS_OK
        return result

    def not_applied(result) -> dict:
        return dict(result, status=bulk.STATUS_SKIPPED, reason=bulk.REASON_INTERRUPTED,
                    error_message="The run was stopped after this account was read and before any change in it.",
                    actions=[dict(step, done=False, already_absent=False, error=None) for step in result["actions"]])

    def released_after(function):
        def run(item):
            try:
                return function(item)
            finally:
                sessions[item["id"]].release()
        return run

    def read_and_clean(account) -> dict:
        result = read_one(account)
        return apply_one(result) if result["status"] == bulk.STATUS_WOULD_CHANGE else result

    if max_changed_accounts is None and not check_mode:
        results = bulk.map_accounts(released_after(read_and_clean), accounts, workers, control)
    else:
        results = bulk.map_accounts(released_after(read_one), accounts, workers, control, record=check_mode)
        due = [result for result in results if result["status"] == bulk.STATUS_WOULD_CHANGE]
        if max_changed_accounts is not None and len(due) > max_changed_accounts:
            if not check_mode:
                for result in results:
                    if result["reason"] != bulk.REASON_INTERRUPTED:
                        control.finished(result)
            outcome = bulk.module_result(caller, results, skipped, False)
            outcome.update(failed=True, error_class="blast_radius_exceeded", msg=(
                f"{len(due)} accounts would change, more than max_changed_accounts ({max_changed_accounts}); nothing was changed. "
                f"Accounts: {', '.join(result['id'] for result in due)}"))
            return outcome
        if not check_mode:
            for result in results:
                if result["status"] != bulk.STATUS_WOULD_CHANGE and result["reason"] != bulk.REASON_INTERRUPTED:
                    control.finished(result)
            applied = {result["id"]: result for result in bulk.map_accounts(released_after(apply_one), due, workers, control, not_applied)}
            results = [applied.get(result["id"], result) for result in results]
    diff = _diff(results, lambda result: inventory(result["found"]), lambda result: inventory(result["found"], result["actions"]))
    return bulk.module_result(caller, results, skipped, fail_on_error, {"diff": diff}, check_mode)


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
    policy = RECOVERY_POLICY if present else DELETE_POLICY
    action = "create_login_profile" if present else "delete_login_profile"

    def one(account):
        result = bulk.account_result(account)
        session = RootSession(factory, account["id"], policy)
        try:
            changed = session.run(lambda s: recover_account(s, present, check_mode))
            status = bulk.STATUS_WOULD_CHANGE if check_mode else bulk.STATUS_CHANGED
            result.update(status=status if changed else bulk.STATUS_OK, actions=[{"action": action}] if changed else [])
        except RootGuardError as error:
            bulk.failed(result, error)
        finally:
            session.release()
        return result

    results = bulk.map_accounts(one, accounts, workers, control)
    diff = _diff(results, lambda result: {"login_profile": not present}, lambda result: {"login_profile": present})
    return bulk.module_result(caller, results, skipped, fail_on_error, {"diff": diff}, check_mode)
