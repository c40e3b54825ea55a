# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Input checks that run before any API call.  Each raises InvalidInput with a
message that starts with the option's name, and returns the normalized value."""

from __future__ import annotations

import json
import os
import re
import stat
import unicodedata

from .errors import InvalidInput

# Matched with fullmatch(): a trailing newline or a non-ASCII digit is not an id.
ACCOUNT_ID = re.compile(r"[0-9]{12}")
# Centralized root access exists in the commercial partition only (not GovCloud or China).
ROOT_PRINCIPAL_ARN = re.compile(r"arn:aws:iam::([0-9]{12}):root")
OU_ID = re.compile(r"ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}")
ROOT_ID = re.compile(r"r-[0-9a-z]{4,32}")
SERVICE_PRINCIPAL = re.compile(r"[\w+=,.@-]{1,128}", re.ASCII)

TASK_POLICY_PREFIX = "arn:aws:iam::aws:policy/root-task/"
TASK_POLICIES = (
    "IAMAuditRootUserCredentials",
    "IAMCreateRootUserPassword",
    "IAMDeleteRootUserCredentials",
    "S3UnlockBucketPolicy",
    "SQSUnlockQueuePolicy",
)
MAX_DURATION_SECONDS = 900
# A Region name (us-east-1, us-gov-west-1, eu-isoe-west-1, ap-southeast-7), matched with fullmatch().
REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-[0-9]{1,2}")

# The most accounts a bulk module works on at the same time.
MAX_CONCURRENCY = 100
# Root credentials, in the order they are removed.
CREDENTIAL_TYPES = ("access_keys", "signing_certificates", "mfa_devices", "password")
VIRTUAL_MFA = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:mfa/")

# The largest organization AWS allows; longer lists are input mistakes.
MAX_ACCOUNTS = 10000

# AWS's limits (aws-api.md section 6, and the Organizations model for tags).
EMAIL = re.compile(r"[^\s@]+@[^\s@]+\.[^\s@]+")
EMAIL_LENGTH = (6, 64)
ACCOUNT_NAME = re.compile(r"[\u0020-\u007E]{1,50}")
ROLE_NAME = re.compile(r"[\w+=,.@-]{1,64}", re.ASCII)
MAX_TAGS = 50
MAX_TAG_KEY = 128
MAX_TAG_VALUE = 256
TAG_PUNCTUATION = frozenset("_.:/=+-@")

MAX_WAIT_TIMEOUT = 3600

# Matched with fullmatch(), so that a trailing newline is refused.
BUCKET_NAME = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")
IP_ADDRESS = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}")
QUEUE_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
QUEUE_URL = re.compile(r"https?://([^/\s]+)/([0-9]{12})/([A-Za-z0-9_.-]{1,80})")


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _int_between(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def is_parent_id(text: str) -> bool:
    """An organizational unit id (``ou-...``) or a root id (``r-...``)."""
    return bool(OU_ID.fullmatch(text) or ROOT_ID.fullmatch(text))


def account_id(value, option: str) -> str:
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else None
    if text is None or not ACCOUNT_ID.fullmatch(text):
        raise InvalidInput(
            f"{option}: {_shown(value)} is not an AWS account id (12 digits; quote it in YAML so that leading zeros stay)."
        )
    return text


def account_ids(values, option: str) -> list:
    """Unique account ids in the order given; an empty or oversized list is refused."""
    if not values:
        raise InvalidInput(f"{option}: the list is empty; give at least one account id.")
    if len(values) > MAX_ACCOUNTS:
        raise InvalidInput(f"{option}: {len(values)} account ids is more than an organization can hold ({MAX_ACCOUNTS}).")
    return list(dict.fromkeys(account_id(value, option) for value in values))


def optional_account_ids(values, option: str) -> list:
    """Like account_ids, but an empty or missing list is allowed (exclusions)."""
    return account_ids(values, option) if values else []


def parent_ids(values, option: str) -> list:
    """Organizational unit ids (``ou-...``) or the root id (``r-...``)."""
    if not values:
        raise InvalidInput(f"{option}: the list is empty; give at least one organizational unit id.")
    checked = []
    for value in values:
        text = str(value)
        if not is_parent_id(text):
            raise InvalidInput(
                f"{option}: {_shown(value)} is not an organizational unit id (ou-<root part>-<ou part>, "
                "such as ou-ab12-cdefgh34) or a root id (r-ab12)."
            )
        checked.append(text)
    return list(dict.fromkeys(checked))


def target_principal(value, option: str = "target_account") -> str:
    """An account id, or the member account's root principal ARN; returns the account id."""
    text = str(value).strip() if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    match = ROOT_PRINCIPAL_ARN.fullmatch(text)
    if match:
        return match.group(1)
    if ACCOUNT_ID.fullmatch(text):
        return text
    raise InvalidInput(f"{option}: {_shown(value)} is neither a 12-digit account id nor a root principal ARN "
                       "(arn:aws:iam::111122223333:root).")


def task_policy_arn(value, option: str = "task_policy") -> str:
    """One of the five root-task policies, by name or ARN; returns the ARN."""
    text = str(value).strip()
    name = text[len(TASK_POLICY_PREFIX):] if text.startswith(TASK_POLICY_PREFIX) else text
    if name not in TASK_POLICIES:
        raise InvalidInput(f"{option}: {_shown(value)} is not a root-task policy; use one of {', '.join(TASK_POLICIES)} "
                           f"or its ARN ({TASK_POLICY_PREFIX}<name>).")
    return TASK_POLICY_PREFIX + name


def task_policy_names(values, option: str = "task_policies") -> list:
    """Root-task policies by name (or ARN), unique, in the order given; returns the names."""
    if not values:
        raise InvalidInput(f"{option}: the list is empty; give at least one of {', '.join(TASK_POLICIES)}.")
    return list(dict.fromkeys(task_policy_arn(value, option)[len(TASK_POLICY_PREFIX):] for value in values))


def regions(values, default: str, option: str = "regions") -> list:
    """Region names, unique, in the order given; ``default`` (the module's Region) when none is given."""
    if values is None:
        return [default]
    if not values:
        raise InvalidInput(f"{option}: the list is empty; give at least one Region, or leave {option} out for the module's Region ({default}).")
    for value in values:
        if not isinstance(value, str) or not REGION.fullmatch(value):
            raise InvalidInput(f"{option}: {_shown(value)} is not a Region name such as us-east-1.")
    return list(dict.fromkeys(values))


def duration_seconds(value, option: str = "duration_seconds") -> int:
    if not _int_between(value, 0, MAX_DURATION_SECONDS):
        raise InvalidInput(f"{option}: {_shown(value)} is out of range; AssumeRoot sessions last 0 to {MAX_DURATION_SECONDS} seconds.")
    return value


def service_principal(value, option: str = "service_principal") -> str:
    text = str(value)
    if not SERVICE_PRINCIPAL.fullmatch(text) or "." not in text:
        raise InvalidInput(f"{option}: {_shown(value)} is not a service principal (such as iam.amazonaws.com).")
    return text


def private_directory(path: str, option: str) -> str:
    """An existing directory that only this user can change: owned by the effective user
    (or root), and not group- or world-writable unless the sticky bit is set.  Evidence
    and backups written into a directory that someone else can change could be replaced
    behind the collection's back.  Returns the path; raises InvalidInput naming the option."""
    try:
        status = os.stat(path)
    except OSError as error:
        raise InvalidInput(f"{option}: {path!r} cannot be read ({error.strerror}).") from None
    if not stat.S_ISDIR(status.st_mode):
        raise InvalidInput(f"{option}: {path!r} is not a directory.")
    if status.st_uid not in (os.geteuid(), 0):
        raise InvalidInput(f"{option}: {path!r} is owned by user id {status.st_uid}, not by this user "
                           f"({os.geteuid()}): another user could replace what is written there. Use a directory of your own.")
    if status.st_mode & (stat.S_IWGRP | stat.S_IWOTH) and not status.st_mode & stat.S_ISVTX:
        raise InvalidInput(f"{option}: {path!r} is writable by other users (mode {stat.S_IMODE(status.st_mode):04o}) "
                           "without the sticky bit: they could replace what is written there. Use chmod go-w, or another directory.")
    return path


# ---------------------------------------------------------------------------
# Account vending (organizations_account)


def email(value, option: str = "email") -> str:
    text = value if isinstance(value, str) else ""
    if not (EMAIL_LENGTH[0] <= len(text) <= EMAIL_LENGTH[1] and EMAIL.fullmatch(text)):
        raise InvalidInput(f"{option}: {_shown(value)} is not an email address AWS accepts "
                           f"({EMAIL_LENGTH[0]} to {EMAIL_LENGTH[1]} characters, such as aws-payments@example.com).")
    return text


def account_name(value, option: str = "name") -> str:
    if not isinstance(value, str) or not ACCOUNT_NAME.fullmatch(value):
        raise InvalidInput(f"{option}: {_shown(value)} is not an account name AWS accepts (1 to 50 printable ASCII characters).")
    return value


def parent_id(value, option: str = "parent_id") -> str | None:
    if value is None:
        return None
    text = str(value)
    if not is_parent_id(text):
        raise InvalidInput(f"{option}: {_shown(value)} is neither an organizational unit id (ou-<root part>-<ou part>, such as "
                           "ou-ab12-cdefgh34) nor a root id (r-ab12).")
    return text


def role_name(value, option: str = "role_name") -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not ROLE_NAME.fullmatch(value):
        raise InvalidInput(f"{option}: {_shown(value)} is not an IAM role name (1 to 64 letters, digits and +=,.@_-).")
    return value


def _tag_text(text: str) -> bool:
    """Letters, numbers, white space and _.:/=+-@ (the Organizations model's tag pattern)."""
    return all(char.isalnum() or unicodedata.category(char) in ("Zs", "Zl", "Zp") or char in TAG_PUNCTUATION for char in text)


def tags(value, option: str = "tags") -> dict | None:
    """A dict of tag key -> value within AWS's limits; numbers are taken as their text."""
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInput(f"{option}: give a dictionary of tag keys to values, not {_shown(value)}.")
    if len(value) > MAX_TAGS:
        raise InvalidInput(f"{option}: {len(value)} tags is more than AWS allows on an account ({MAX_TAGS}).")
    checked = {}
    for key, tag_value in value.items():
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_TAG_KEY or not _tag_text(key):
            raise InvalidInput(f"{option}: the key {_shown(key)} is not a tag key AWS accepts (1 to {MAX_TAG_KEY} letters, numbers, "
                               "spaces and _.:/=+-@).")
        if key.lower().startswith("aws:"):
            raise InvalidInput(f"{option}: the key {_shown(key)} starts with aws:, which AWS reserves for its own tags.")
        if isinstance(tag_value, (int, float)) and not isinstance(tag_value, bool):
            tag_value = str(tag_value)
        if not isinstance(tag_value, str) or len(tag_value) > MAX_TAG_VALUE or not _tag_text(tag_value):
            raise InvalidInput(f"{option}: the value of {key!r}, {_shown(tag_value)}, is not a tag value AWS accepts (a string of "
                               f"up to {MAX_TAG_VALUE} letters, numbers, spaces and _.:/=+-@; an empty string is allowed).")
        checked[key] = tag_value
    return checked


def wait_timeout(value, option: str = "wait_timeout") -> int:
    if not _int_between(value, 1, MAX_WAIT_TIMEOUT):
        raise InvalidInput(f"{option}: {_shown(value)} is out of range; wait 1 to {MAX_WAIT_TIMEOUT} seconds for AWS to create an account.")
    return value


# ---------------------------------------------------------------------------
# Buckets, queues and their policies (root_bucket_policy, root_queue_policy)


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
    if not match or not _is_queue_name(match.group(3)):
        raise InvalidInput(f"{option}: {text!r} is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account id>/<queue name>).")
    if match.group(2) != account_id:
        raise InvalidInput(f"{option}: the queue belongs to account {match.group(2)}, not to account_id {account_id}.")
    return text


class DuplicateKey(ValueError):
    pass


def _object_without_duplicates(pairs: list) -> dict:
    document = {}
    for key, value in pairs:
        if key in document:
            raise DuplicateKey(key)
        document[key] = value
    return document


def policy_document(value, option: str = "policy") -> str:
    """The JSON text to send: a JSON string as given, byte for byte (so that a backup
    put back restores the policy exactly), a dict as compact JSON with sorted keys.
    There is no size check here: AWS applies its own limits (it is AWS that says
    how it counts them), so a policy AWS once accepted can always be put back."""
    if isinstance(value, dict):
        document = value
        text = json.dumps(document, separators=(",", ":"), sort_keys=True)
    else:
        text = str(value) if value is not None else ""
        try:
            document = json.loads(text, object_pairs_hook=_object_without_duplicates)
        except DuplicateKey as duplicate:
            raise InvalidInput(f"{option}: the key {duplicate.args[0]!r} appears twice in one JSON object; only one of the two would "
                               "count. Remove the duplicate.") from None
        except ValueError as error:
            raise InvalidInput(f"{option}: not valid JSON ({error}).") from None
    if not isinstance(document, dict) or not document.get("Statement"):
        raise InvalidInput(f"{option}: a policy is a JSON object with a Statement.")
    return text


def backup_directory(value, option: str = "backup_dir") -> str | None:
    if value is None:
        return None
    if not str(value).strip():
        raise InvalidInput(f"{option}: empty; give an existing directory, or leave the option out for no backup file.")
    path = os.path.abspath(os.path.expanduser(str(value)))
    if not os.path.isdir(path):
        raise InvalidInput(f"{option}: {path} is not an existing directory.")
    private_directory(path, option)
    if not os.access(path, os.W_OK | os.X_OK):
        raise InvalidInput(f"{option}: {path} is not writable.")
    return path


# ---------------------------------------------------------------------------
# Bulk runs (root_credentials, root_credentials_info, root_password_recovery)


def concurrency(value) -> int:
    if not _int_between(value, 1, MAX_CONCURRENCY):
        raise InvalidInput(f"concurrency: {value!r} is out of range; use 1 to {MAX_CONCURRENCY}.")
    return value


def run_id(value) -> str | None:
    """A run id given by the user (1 to 128 characters, not only blanks), or None for a new one."""
    if value is not None and (not str(value).strip() or len(str(value)) > 128):
        raise InvalidInput("run_id: give 1 to 128 characters, not only blanks; or leave it out for a new random id.")
    return value


def max_changed_accounts(value) -> int | None:
    if value is not None and value < 0:
        raise InvalidInput(f"max_changed_accounts: {value} is negative; use 0 or more.")
    return value


def credential_types(values) -> tuple:
    if values is None:
        return CREDENTIAL_TYPES
    if not values:
        raise InvalidInput(f"credential_types: the list is empty; give one or more of {', '.join(CREDENTIAL_TYPES)}.")
    unknown = [value for value in values if value not in CREDENTIAL_TYPES]
    if unknown:
        raise InvalidInput(f"credential_types: {', '.join(map(str, unknown))} not one of {', '.join(CREDENTIAL_TYPES)}.")
    return tuple(kind for kind in CREDENTIAL_TYPES if kind in values)


def devices_left(values) -> tuple:
    """virtual_mfa_devices_left: serials of virtual MFA devices (ARNs with the account id)."""
    serials = tuple(values or ())
    wrong = [serial for serial in serials if not isinstance(serial, str) or not VIRTUAL_MFA.match(serial)]
    if wrong:
        raise InvalidInput(f"virtual_mfa_devices_left: {', '.join(map(str, wrong))} is not the serial of a virtual MFA device "
                           "(arn:aws:iam::<account id>:mfa/<name>).")
    return serials


def max_result_size(value) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise InvalidInput(f"max_result_size must be 0 (no limit) or a number of characters, not {_shown(value)}.")
    return value


def accounts_file(path: str | None) -> str | None:
    """A file the module may write: not a directory, in a directory that exists, can be written to, and only
    this user can change (private_directory, as for the journal): the whole result is evidence."""
    if path is None:
        return None
    if not path.strip() or os.path.isdir(path):
        raise InvalidInput(f"accounts_file must be the path of a file, not {_shown(path)}.")
    directory = os.path.dirname(os.path.abspath(path))
    if not os.path.isdir(directory) or not os.access(directory, os.W_OK | os.X_OK):
        raise InvalidInput(f"accounts_file: the directory {_shown(directory)} does not exist or cannot be written to.")
    private_directory(directory, "accounts_file")
    return path
