# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unlocking S3 bucket and SQS queue policies that deny everyone, from a root session
of the owning member account, with a backup of the old policy written before any change."""

from __future__ import annotations

import datetime
import fnmatch
import json
import os
import re

from . import organizations
from .bulk import RootSession
from .features import require_feature
from .errors import BackupFailed, InvalidInput, NotFound, RootGuardError, is_code
from .organizations import call
from .validation import TASK_POLICY_PREFIX

BUCKET_POLICY = TASK_POLICY_PREFIX + "S3UnlockBucketPolicy"
QUEUE_POLICY = TASK_POLICY_PREFIX + "SQSUnlockQueuePolicy"

# Matched with fullmatch(), so that a trailing newline is refused.
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
IP_ADDRESS = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")
QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
QUEUE_URL = re.compile(r"https?://[^/\s]+/([0-9]{12})/([A-Za-z0-9_.-]{1,80})")
MAX_POLICY_BYTES = 20 * 1024

ARGUMENT_SPEC = {
    "account_id": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["absent", "present"], "default": "absent"},
    "policy": {"type": "raw"},
    "only_if_locked": {"type": "bool", "default": True},
    "backup_dir": {"type": "path"},
}


# ---------------------------------------------------------------------------
# Input

def bucket_name(value, option: str = "bucket") -> str:
    text = str(value)
    if not BUCKET_NAME.fullmatch(text) or ".." in text or IP_ADDRESS.fullmatch(text):
        raise InvalidInput(f"{option}: {text!r} is not a valid S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens).")
    return text


def _is_queue_name(text: str) -> bool:
    base = text[:-len(".fifo")] if text.endswith(".fifo") else text
    return bool(QUEUE_NAME.fullmatch(base)) and len(text) <= 80


def queue_name(value, option: str = "queue_name") -> str:
    text = str(value)
    if not _is_queue_name(text):
        raise InvalidInput(f"{option}: {text!r} is not a valid SQS queue name (1 to 80 letters, digits, hyphens and underscores, "
                           "optionally ending in .fifo).")
    return text


def queue_url(value, account_id: str, option: str = "queue_url") -> str:
    text = str(value)
    match = QUEUE_URL.fullmatch(text)
    if not match or not _is_queue_name(match.group(2)):
        raise InvalidInput(f"{option}: {text!r} is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account id>/<queue name>).")
    if match.group(1) != account_id:
        raise InvalidInput(f"{option}: the queue belongs to account {match.group(1)}, not to account_id {account_id}.")
    return text


def policy_document(value, option: str = "policy") -> str:
    """The JSON text to send: a JSON string as given, byte for byte (so that a backup
    put back restores the policy exactly), a dict as compact JSON with sorted keys."""
    if isinstance(value, dict):
        document = value
        text = json.dumps(document, separators=(",", ":"), sort_keys=True)
    else:
        text = str(value) if value is not None else ""
        try:
            document = json.loads(text)
        except ValueError as error:
            raise InvalidInput(f"{option}: not valid JSON ({error}).") from None
    if not isinstance(document, dict) or not document.get("Statement"):
        raise InvalidInput(f"{option}: a policy is a JSON object with a Statement.")
    if len(text.encode("utf-8")) > MAX_POLICY_BYTES:
        raise InvalidInput(f"{option}: the policy is larger than {MAX_POLICY_BYTES} bytes.")
    return text


def backup_directory(value, option: str = "backup_dir") -> str | None:
    if value is None:
        return None
    if not str(value).strip():
        raise InvalidInput(f"{option}: empty; give an existing directory, or leave the option out for no backup file.")
    path = os.path.abspath(os.path.expanduser(str(value)))
    if not os.path.isdir(path):
        raise InvalidInput(f"{option}: {path} is not an existing directory.")
    if not os.access(path, os.W_OK | os.X_OK):
        raise InvalidInput(f"{option}: {path} is not writable.")
    return path


def desired_and_backup(params: dict) -> tuple:
    """(the policy to put, or None to delete; the checked backup directory)."""
    if params["state"] == "absent" and params.get("policy") is not None:
        raise InvalidInput("policy: only used with state: present; state: absent deletes the policy.")
    desired = policy_document(params["policy"]) if params["state"] == "present" else None
    return desired, backup_directory(params.get("backup_dir"))


# ---------------------------------------------------------------------------
# Policies

def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _everyone(principal) -> bool:
    if principal == "*":
        return True
    return isinstance(principal, dict) and "*" in _as_list(principal.get("AWS", []))


def _matches(value: str, patterns, case_sensitive: bool) -> bool:
    if case_sensitive:
        return any(fnmatch.fnmatchcase(value, str(pattern)) for pattern in patterns)
    return any(fnmatch.fnmatchcase(value.lower(), str(pattern).lower()) for pattern in patterns)


def _covers(statement: dict, key: str, value: str, case_sensitive: bool) -> bool:
    """Whether the statement's ``key`` (Action or Resource), or its Not- form, covers ``value``."""
    if key in statement:
        return _matches(value, _as_list(statement[key]), case_sensitive)
    if "Not" + key in statement:
        return not _matches(value, _as_list(statement["Not" + key]), case_sensitive)
    return key == "Resource"


def denies_everyone(policy: str | None, managed_actions, resource_arn: str) -> bool:
    """Whether the policy has an unconditional Deny for every principal that covers the
    resource and one of ``managed_actions`` (the calls that read or change the policy).
    Action and NotAction, Resource and NotResource are honoured; actions match without
    regard to case, resources with it."""
    if not policy:
        return False
    try:
        document = json.loads(policy)
    except ValueError:
        return False
    if not isinstance(document, dict):
        return False
    for statement in _as_list(document.get("Statement", [])):
        if not isinstance(statement, dict) or statement.get("Effect") != "Deny" or statement.get("Condition"):
            continue
        if not _everyone(statement.get("Principal")):
            continue
        if not _covers(statement, "Resource", resource_arn, case_sensitive=True):
            continue
        if any(_covers(statement, "Action", action, case_sensitive=False) for action in managed_actions):
            return True
    return False


def same_policy(current: str | None, desired: str | None) -> bool:
    if current is None or desired is None:
        return current == desired
    try:
        return json.loads(current) == json.loads(desired)
    except ValueError:
        return False


def write_backup(directory: str, account_id: str, resource: str, policy: str) -> str:
    """Write ``policy`` byte for byte to a new file readable by its owner only; returns the path."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    safe_resource = re.sub(r"[^A-Za-z0-9_.-]", "_", resource)
    path = os.path.join(directory, f"{account_id}-{safe_resource}-{stamp}.json")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise BackupFailed(f"backup_dir: the backup file {path} could not be created ({error.strerror}); the policy was not changed.") from None
    try:
        with os.fdopen(descriptor, "wb") as backup:
            backup.write(policy.encode("utf-8"))
            backup.flush()
            os.fsync(backup.fileno())
    except OSError as error:
        os.unlink(path)
        raise BackupFailed(f"backup_dir: the backup file {path} could not be written ({error.strerror}); the policy was not changed.") from None
    return path


# ---------------------------------------------------------------------------
# The two resources

class BucketPolicy:
    task_policy = BUCKET_POLICY
    managed_actions = ("s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy")

    def __init__(self, session, name: str, region: str):
        self.session = session
        self.name = name
        self.resource = name
        self.region = region
        self.arn = f"arn:aws:s3:::{name}"

    def locate(self) -> None:
        """Find the bucket among the account's own (ListBuckets is the only listing the
        task policy allows), and its Region when AWS says it."""
        s3 = self.session.client("s3", self.region)
        buckets = call(s3, "list_buckets", Prefix=self.name, MaxBuckets=1000).get("Buckets", [])
        bucket = next((item for item in buckets if item.get("Name") == self.name), None)
        if bucket is None:
            raise NotFound(f"bucket: {self.name} is not a bucket of account {self.session.account_id}.")
        self.region = bucket.get("BucketRegion") or self.region

    def read(self) -> str | None:
        try:
            return call(self.session.client("s3", self.region), "get_bucket_policy", Bucket=self.name)["Policy"]
        except RootGuardError as error:
            if is_code(error, "NoSuchBucketPolicy"):
                return None
            raise

    def delete(self) -> None:
        call(self.session.client("s3", self.region), "delete_bucket_policy", Bucket=self.name)

    def put(self, policy: str) -> None:
        call(self.session.client("s3", self.region), "put_bucket_policy", Bucket=self.name, Policy=policy)


class QueuePolicy:
    task_policy = QUEUE_POLICY
    managed_actions = ("sqs:GetQueueAttributes", "sqs:SetQueueAttributes")

    def __init__(self, session, url: str | None, name: str | None, region: str):
        self.session = session
        self.url = url
        self.resource = name or url.rsplit("/", 1)[-1]
        self.region = region
        self.arn = f"arn:aws:sqs:{region}:{session.account_id}:{self.resource}"

    def locate(self) -> None:
        if self.url is None:
            try:
                self.url = call(self.session.client("sqs", self.region), "get_queue_url", QueueName=self.resource,
                                QueueOwnerAWSAccountId=self.session.account_id)["QueueUrl"]
            except RootGuardError as error:
                if is_code(error, "QueueDoesNotExist", "NonExistentQueue"):
                    raise NotFound(f"queue_name: {self.resource} is not a queue of account {self.session.account_id} "
                                   f"in {self.region}.", error.aws_error_code, error.operation) from None
                raise

    def read(self) -> str | None:
        attributes = call(self.session.client("sqs", self.region), "get_queue_attributes", QueueUrl=self.url,
                          AttributeNames=["Policy"]).get("Attributes", {})
        return attributes.get("Policy") or None

    def delete(self) -> None:
        self.put("")

    def put(self, policy: str) -> None:
        call(self.session.client("sqs", self.region), "set_queue_attributes", QueueUrl=self.url, Attributes={"Policy": policy})


def check_target_account(factory, account_id: str) -> None:
    """The account must be an ACTIVE member other than the management account."""
    caller = organizations.identify_caller(factory)
    organizations.require_all_features(caller)
    require_feature(factory, caller, "RootSessions")
    organizations.active_member(
        factory.client("organizations"), caller, account_id,
        ", which centralized root access does not cover; use its own root user or an IAM principal there.",
        "root sessions need an ACTIVE account.",
    )


def unlock(resource, desired: str | None, only_if_locked: bool, backup_dir: str | None, check_mode: bool) -> dict:
    """Delete (``desired`` None) or replace the resource's policy.

    With ``only_if_locked``, acts only when the current policy denies everyone.  The old
    policy is written to ``backup_dir`` before the change; a failed backup stops the change."""
    resource.locate()
    current = resource.read()
    locked = denies_everyone(current, resource.managed_actions, resource.arn)
    if desired is None:
        due = current is not None
    else:
        due = not same_policy(current, desired)
    message = None
    if due and only_if_locked and not locked:
        due = False
        message = ("The current policy does not deny everyone, so it was left as it is (only_if_locked is true)."
                   if current is not None else
                   "There is no policy, so none was put in place (only_if_locked is true; set it to false to put one).")
    backup_path = None
    if due and not check_mode:
        if backup_dir is not None and current is not None:
            backup_path = write_backup(backup_dir, resource.session.account_id, resource.resource, current)
        if desired is None:
            resource.delete()
        else:
            resource.put(desired)
    return {
        "changed": due,
        "account_id": resource.session.account_id,
        "locked": locked,
        "previous_policy": current,
        "policy": desired if due else current,
        "backup_file": backup_path,
        "message": message,
        "diff": {"before": {"policy": _parsed(current)}, "after": {"policy": _parsed(desired if due else current)}},
    }


def _parsed(policy: str | None):
    if policy is None:
        return None
    try:
        return json.loads(policy)
    except ValueError:
        return policy


def unlock_bucket(factory, account_id: str, bucket: str, desired, only_if_locked: bool, backup_dir, check_mode: bool) -> dict:
    check_target_account(factory, account_id)
    session = RootSession(factory, account_id, BUCKET_POLICY)
    result = session.run(lambda s: unlock(BucketPolicy(s, bucket, factory.region), desired, only_if_locked, backup_dir, check_mode))
    result["bucket"] = bucket
    return result


def unlock_queue(factory, account_id: str, url, name, desired, only_if_locked: bool, backup_dir, check_mode: bool) -> dict:
    check_target_account(factory, account_id)
    session = RootSession(factory, account_id, QUEUE_POLICY)
    resource_holder = {}

    def work(current_session):
        resource_holder["queue"] = QueuePolicy(current_session, url, name, factory.region)
        return unlock(resource_holder["queue"], desired, only_if_locked, backup_dir, check_mode)

    result = session.run(work)
    result["queue_url"] = resource_holder["queue"].url
    return result
