# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Input checks that run before any API call.  Each raises InvalidInput with a
message that starts with the option's name, and returns the normalized value."""

from __future__ import annotations

import os
import re
import stat

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

# The largest organization AWS allows; longer lists are input mistakes.
MAX_ACCOUNTS = 10000


def _shown(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


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
        if not (OU_ID.fullmatch(text) or ROOT_ID.fullmatch(text)):
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


def duration_seconds(value, option: str = "duration_seconds") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_DURATION_SECONDS:
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
