# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Unlocking S3 bucket and SQS queue policies that deny everyone, from a root session
of the owning member account, with a backup of the old policy written before any change."""

from __future__ import annotations

import datetime
import fnmatch
import hashlib
import json
import os
import re
import stat

from . import organizations, validation
from .root_sessions import RootSession
from .features import require_feature
from .errors import AccessDenied, BackupFailed, DeniedBySCP, InvalidInput, NotFound, RootGuardError, is_code
from .clients import call
from .validation import QUEUE_URL, TASK_POLICY_PREFIX, backup_directory, policy_document, private_directory

BUCKET_POLICY = TASK_POLICY_PREFIX + "S3UnlockBucketPolicy"
QUEUE_POLICY = TASK_POLICY_PREFIX + "SQSUnlockQueuePolicy"

# The hosts of SQS queue URLs that name the queue's Region: sqs.<region>.amazonaws.com[.cn]
# and the legacy <region>.queue.amazonaws.com[.cn]; the legacy queue.amazonaws.com is us-east-1.
QUEUE_HOST_REGION = re.compile(r"(?:sqs\.([a-z0-9-]+)|([a-z0-9-]+)\.queue)\.amazonaws\.com(?:\.cn)?")
LEGACY_QUEUE_HOST = re.compile(r"queue\.amazonaws\.com(?:\.cn)?")
SHA256 = re.compile(r"[0-9a-f]{64}")
# Beside the backups, one line per backup in the format of sha256sum: "<hex digest>  <file name>".
MANIFEST = "MANIFEST.sha256"

ARGUMENT_SPEC = {
    "account_id": {"type": "str", "required": True},
    "state": {"type": "str", "choices": ["absent", "present"], "default": "absent"},
    "policy": {"type": "raw"},
    "only_if_locked": {"type": "bool", "default": True},
    "backup_dir": {"type": "path"},
    "restore_from": {"type": "path"},
    "restore_sha256": {"type": "str"},
}


def queue_url_region(url: str) -> str | None:
    """The Region an SQS queue URL names, or None for a URL of another endpoint (such as a local emulator's)."""
    host = QUEUE_URL.fullmatch(url).group(1).split(":")[0].lower()
    if LEGACY_QUEUE_HOST.fullmatch(host):
        return "us-east-1"
    match = QUEUE_HOST_REGION.fullmatch(host)
    return (match.group(1) or match.group(2)) if match else None


def queue_region(url: str | None, region: str | None, explicit_region: str | None) -> str | None:
    """The queue's Region: the one its URL names, else ``region``.  An explicit ``region`` option
    that contradicts the URL is an error rather than a guess."""
    named = queue_url_region(url) if url is not None else None
    if named is None:
        return region
    if explicit_region and explicit_region != named:
        raise InvalidInput(f"queue_url: the URL names Region {named}, but region is {explicit_region}; "
                           "leave region out, or give the URL of the queue in that Region.")
    return named


def desired_and_backup(params: dict) -> tuple:
    """(the policy to put, or None to delete; the checked backup directory)."""
    for option in ("policy", "restore_from"):
        if params["state"] == "absent" and params.get(option) is not None:
            raise InvalidInput(f"{option}: only used with state: present; state: absent deletes the policy.")
    if params.get("restore_sha256") is not None and params.get("restore_from") is None:
        raise InvalidInput("restore_sha256: only used with restore_from.")
    if params["state"] == "absent":
        desired = None
    elif params.get("restore_from") is not None:
        desired = restore_document(params["restore_from"], params.get("restore_sha256"))
    else:
        desired = policy_document(params.get("policy"))
    return desired, backup_directory(params.get("backup_dir"))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _read_regular_file(path: str, option: str) -> bytes:
    """The bytes of a regular file, not through a symlink planted in its place."""
    try:
        descriptor = os.open(path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError as error:
        raise InvalidInput(f"{option}: {path} cannot be read ({error.strerror}).") from None
    with os.fdopen(descriptor, "rb") as opened:
        if not stat.S_ISREG(os.fstat(opened.fileno()).st_mode):
            raise InvalidInput(f"{option}: {path} is not a regular file.")
        return opened.read()


def manifest_digests(directory: str, name: str) -> tuple:
    """(the manifest's path, the digests it lists for the file ``name``)."""
    path = os.path.join(directory, MANIFEST)
    if not os.path.lexists(path):
        raise InvalidInput(f"restore_from: there is no {MANIFEST} in {directory}, so nothing proves {os.path.join(directory, name)} is the "
                           "backup this collection wrote; it was not restored. To restore a backup from elsewhere, give its SHA-256 in "
                           "restore_sha256.")
    data = _read_regular_file(path, "restore_from")
    status = os.stat(path)
    if status.st_uid not in (os.geteuid(), 0) or status.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        raise InvalidInput(f"restore_from: {path} is owned by another user or writable by other users, so its checksums prove nothing.")
    digests = []
    for line in data.decode("utf-8", "replace").splitlines():
        digest, separator, listed = line.partition("  ")
        if separator and listed == name:
            digests.append(digest)
    return path, digests


def restore_document(value, expected_sha256=None) -> str:
    """The policy text of a backup file, byte for byte, once its SHA-256 is proved: by the entry the
    module wrote for it in the manifest beside it (in a directory only this user can change), or
    by ``expected_sha256`` given by the user (a backup brought from elsewhere)."""
    path = os.path.abspath(os.path.expanduser(str(value)))
    if expected_sha256 is not None:
        expected_sha256 = str(expected_sha256).strip().lower()
        if not SHA256.fullmatch(expected_sha256):
            raise InvalidInput("restore_sha256: not a SHA-256 digest (64 hexadecimal digits).")
    else:
        private_directory(os.path.dirname(path), "restore_from")
    data = _read_regular_file(path, "restore_from")
    found = sha256_hex(data)
    if expected_sha256 is not None:
        if found != expected_sha256:
            raise InvalidInput(f"restore_sha256: {path} has SHA-256 {found}, not {expected_sha256}; it was not restored.")
    else:
        manifest, digests = manifest_digests(os.path.dirname(path), os.path.basename(path))
        if not digests:
            raise InvalidInput(f"restore_from: {path} has no entry in {manifest}, so nothing proves it is the backup this collection wrote; "
                               "it was not restored. To restore a backup from elsewhere, give its SHA-256 in restore_sha256.")
        if set(digests) != {found}:
            raise InvalidInput(f"restore_from: {path} has SHA-256 {found}, but {manifest} lists {', '.join(sorted(set(digests)))}: "
                               "the file was changed after the backup was written; it was not restored.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidInput(f"restore_from: {path} is not UTF-8 text, so it is not a policy.") from None
    return policy_document(text, "restore_from")


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
    """Write ``policy`` byte for byte to a new file readable by its owner only, and append its
    SHA-256 (sha256_hex of the same bytes) to the manifest beside it; returns the path."""
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y%m%dT%H%M%S.%fZ")
    safe_resource = re.sub(r"[^A-Za-z0-9_.-]", "_", resource)
    path = os.path.join(directory, f"{account_id}-{safe_resource}-{stamp}.json")
    data = policy.encode("utf-8")
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except OSError as error:
        raise BackupFailed(f"backup_dir: the backup file {path} could not be created ({error.strerror}); the policy was not changed.") from None
    try:
        with os.fdopen(descriptor, "wb") as backup:
            backup.write(data)
            backup.flush()
            os.fsync(backup.fileno())
        _append_to_manifest(directory, f"{sha256_hex(data)}  {os.path.basename(path)}\n")
    except OSError as error:
        os.unlink(path)
        raise BackupFailed(f"backup_dir: the backup file {path} could not be written or listed in {MANIFEST} ({error.strerror}); "
                           "the policy was not changed.") from None
    return path


def _append_to_manifest(directory: str, line: str) -> None:
    """One write of one short line with O_APPEND, so that two runs appending at once do not mix
    their lines; synced, with the directory, before the policy changes."""
    descriptor = os.open(os.path.join(directory, MANIFEST), os.O_WRONLY | os.O_APPEND | os.O_CREAT | getattr(os, "O_NOFOLLOW", 0), 0o600)
    try:
        os.write(descriptor, line.encode("utf-8"))
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    directory_descriptor = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(directory_descriptor)
    finally:
        os.close(directory_descriptor)


# ---------------------------------------------------------------------------
# The two resources

class BucketPolicy:
    """A bucket's policy, from a root session.  With ``region_given`` the bucket's calls go to ``region``
    and the bucket is not looked up; otherwise ListBuckets (s3:ListAllMyBuckets) finds it and its Region."""
    task_policy = BUCKET_POLICY
    managed_actions = ("s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy")

    def __init__(self, session, name: str, region: str, region_given: bool = False):
        self.session = session
        self.name = name
        self.resource = name
        self.region = region
        self.region_given = region_given
        self.arn = f"arn:aws:s3:::{name}"

    def locate(self) -> None:
        """Find the bucket among the account's own (ListBuckets is the only listing the task policy
        allows), and its Region when AWS says it.  Not done when the Region is given: the task policy's
        one call that is not on the bucket itself is then not made, so that a guardrail that denies the
        root user everything but the bucket-policy calls (as AWS's sample SCP "Deny the root user from
        performing actions except S3 bucket policy changes" does) does not stop the unlock."""
        if self.region_given:
            return
        s3 = self.session.client("s3", self.region)
        try:
            buckets = call(s3, "list_buckets", Prefix=self.name, MaxBuckets=1000).get("Buckets", [])
        except (AccessDenied, DeniedBySCP) as error:
            raise type(error)(f"bucket: finding the Region of {self.name} needs ListBuckets (s3:ListAllMyBuckets), which was denied; "
                              "give region (the bucket's Region) and the module goes to the bucket directly, without listing. "
                              + error.message, error.aws_error_code, error.operation) from None
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
            if is_code(error, "NoSuchBucket"):
                raise NotFound(f"bucket: {self.name} is not a bucket of account {self.session.account_id} (S3 in {self.region} "
                               "answered NoSuchBucket); check the name, and region when given.", error.aws_error_code, error.operation) from None
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


def _decide(current: str | None, desired: str | None, only_if_locked: bool, locked: bool) -> tuple:
    """(whether the change is due, why not when it is not)."""
    due = current is not None if desired is None else not same_policy(current, desired)
    if due and only_if_locked and not locked:
        return False, ("The current policy does not deny everyone, so it was left as it is (only_if_locked is true)."
                       if current is not None else
                       "There is no policy, so none was put in place (only_if_locked is true; set it to false to put one).")
    return due, None


def unlock(resource, desired: str | None, only_if_locked: bool, backup_dir: str | None, check_mode: bool) -> dict:
    """Delete (``desired`` None) or replace the resource's policy.

    With ``only_if_locked``, acts only when the current policy denies everyone.  Before a
    change the policy is read again, and that later read is what is decided on, backed up
    and reported: AWS has no conditional write for these policies, so the change replaces
    whatever is there when it lands; the re-read narrows that window to the time it takes
    to write the backup.  A failed backup stops the change."""
    resource.locate()
    current = resource.read()
    locked = denies_everyone(current, resource.managed_actions, resource.arn)
    due, message = _decide(current, desired, only_if_locked, locked)
    backup_path = backup_sha256 = None
    if due and not check_mode:
        latest = resource.read()
        if latest != current:
            current = latest
            locked = denies_everyone(current, resource.managed_actions, resource.arn)
            due, message = _decide(current, desired, only_if_locked, locked)
            message = ("The policy changed after it was first read; this run decided on the policy read just before the change"
                       + (f". {message}" if message else "."))
        if due:
            if backup_dir is not None and current is not None:
                backup_path = write_backup(backup_dir, resource.session.account_id, resource.resource, current)
                backup_sha256 = sha256_hex(current.encode("utf-8"))
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
        "backup_sha256": backup_sha256,
        "message": message,
        "diff": {"before": {"policy": _parsed(current)}, "after": {"policy": _parsed(desired if due else current)}},
    }


def _parsed(policy: str | None):
    """The policy as a document for --diff; as its text when it is not JSON, or when it holds a
    character that has no UTF-8 form (a lone surrogate written as an escape, which AWS accepts),
    which Ansible would refuse as the task's result after the change was made."""
    if policy is None:
        return None
    try:
        document = json.loads(policy)
        json.dumps(document, ensure_ascii=False).encode("utf-8")
    except (ValueError, UnicodeEncodeError):
        return policy
    return document


def unlock_bucket(factory, account_id: str, bucket: str, desired, only_if_locked: bool, backup_dir, check_mode: bool,
                  region: str | None = None) -> dict:
    """``region``: the bucket's Region when the task gave it (no ListBuckets then); None to find it by ListBuckets."""
    check_target_account(factory, account_id)
    session = RootSession(factory, account_id, BUCKET_POLICY)
    result = session.run(lambda s: unlock(BucketPolicy(s, bucket, region or factory.region, region_given=region is not None),
                                          desired, only_if_locked, backup_dir, check_mode))
    result["bucket"] = bucket
    return result


def unlock_queue(factory, account_id: str, url, name, desired, only_if_locked: bool, backup_dir, check_mode: bool,
                 region: str | None = None) -> dict:
    """``region``: the queue's Region (see queue_region); the connection's Region when None."""
    region = region or factory.region
    check_target_account(factory, account_id)
    session = RootSession(factory, account_id, QUEUE_POLICY)
    resource_holder = {}

    def work(current_session):
        resource_holder["queue"] = QueuePolicy(current_session, url, name, region)
        return unlock(resource_holder["queue"], desired, only_if_locked, backup_dir, check_mode)

    result = session.run(work)
    result["queue_url"] = resource_holder["queue"].url
    return result


# ---------------------------------------------------------------------------
# The modules' service functions: (factory, params, check_mode) -> the task's result


# The names of the region option (amazon.aws's, with its alias) as a task may give it.
REGION_OPTIONS = ("region", "aws_region")


def explicit_region(region):
    """The region option when the task gave it; None when it is the AWS_REGION or AWS_DEFAULT_REGION fallback."""
    return None if region in (os.environ.get("AWS_REGION"), os.environ.get("AWS_DEFAULT_REGION")) else region


def given_region(region, task_arguments: dict | None = None):
    """The region option when the task gave it - by name or by its alias aws_region, in the task or through
    module_defaults - and None when it is amazon.aws's fallback to AWS_REGION or AWS_DEFAULT_REGION (or unset).

    ``task_arguments``: the module's arguments as the controller sent them, before the fallback was applied.
    Without them, a region equal to one of those two variables counts as the fallback (explicit_region)."""
    if task_arguments is None:
        return explicit_region(region)
    return region if any(task_arguments.get(name) for name in REGION_OPTIONS) else None


def root_bucket_policy(factory, params: dict, check_mode: bool, task_arguments: dict | None = None) -> dict:
    account_id = validation.account_id(params["account_id"], "account_id")
    bucket = validation.bucket_name(params["bucket"])
    desired, backup_dir = desired_and_backup(params)
    region = given_region(params["region"], task_arguments)
    return unlock_bucket(factory, account_id, bucket, desired, params["only_if_locked"], backup_dir, check_mode, region)


def root_queue_policy(factory, params: dict, check_mode: bool, task_arguments: dict | None = None) -> dict:
    account_id = validation.account_id(params["account_id"], "account_id")
    url = params["queue_url"]
    url = validation.queue_url(url, account_id) if url is not None else None
    name = validation.queue_name(params["queue_name"]) if url is None else None
    region = queue_region(url, None, given_region(params["region"], task_arguments))
    desired, backup_dir = desired_and_backup(params)
    return unlock_queue(factory, account_id, url, name, desired, params["only_if_locked"], backup_dir, check_mode, region)
