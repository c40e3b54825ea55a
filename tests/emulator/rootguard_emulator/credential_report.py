"""IAM's credential report (GenerateCredentialReport, GetCredentialReport), with the
root user's row that moto leaves out.

Modelled on the IAM User Guide, "Generate credential reports for your AWS account"
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_getting-report.html), and on
the API reference of the two operations
(https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateCredentialReport.html,
https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetCredentialReport.html; the error
codes and HTTP statuses are those of the botocore model):

* The report is a CSV snapshot: its first row after the header is ``<root_account>``
  (``arn:aws:iam::<account>:root``), then moto's rows for the account's IAM users.
* Root row: ``password_enabled``, ``password_last_changed`` and ``password_next_rotation``
  are ``not_supported``, as the guide says of the root user; ``password_last_used`` is the
  date, ``no_information`` for a password never used, ``N/A`` when there is no password;
  ``mfa_active`` is ``true`` with an enabled MFA device; ``access_key_N_*`` and ``cert_N_*``
  describe the keys and certificates in creation order, ``N/A`` where the guide writes
  ``N/A`` (``last_rotated`` when the key or certificate is not active, ``last_used_*`` when
  there is no key or it was never used).
* "You can generate a credential report as often as once every four hours": the first
  GenerateCredentialReport, or one four hours or more after the last report was generated,
  answers ``STARTED`` and takes a snapshot; any other answers ``COMPLETE`` (or ``INPROGRESS``)
  and keeps the report as it was, so it is stale until the next generation, as AWS's is.
  The four hours run on the emulator clock (clock.py), which tests move forward.
* GetCredentialReport answers ``ReportNotPresent`` (410) before the first generation,
  ``ReportInProgress`` (404) while one is in progress and ``ReportExpired`` (410) once the
  report is four hours old.

[ASSUMED] where the guide is silent: the report's expiry is its four-hour window (the API
reference points to the guide "for more information about credential report expiration", and
the guide gives only that period); a generation takes ``in_progress_polls`` more calls of
either operation (0 by default: complete at once, as moto's); the snapshot is taken when the
generation starts; ``access_key_N_last_used_region`` is the region recorded with the key's
last use, also for services that are not regional. The current guide adds, under
``password_enabled``, that the value is FALSE for new member accounts of an organization;
the emulator keeps ``not_supported`` for every root row, as the guide's root-user sentence and
reports from real accounts have it, and a scanner sees the root password's presence through
``password_last_used`` and GetAccountSummary's ``AccountPasswordPresent``."""

from __future__ import annotations

import dataclasses
import datetime
import threading
from typing import Any

from moto.core.exceptions import ServiceException
from moto.core.responses import ActionResult
from moto.iam.models import iam_backends
from moto.iam.responses import IamResponse

from . import clock
from .rootuser import RootUser, root_user

COLUMNS = (
    "user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
    "password_next_rotation", "mfa_active",
    "access_key_1_active", "access_key_1_last_rotated", "access_key_1_last_used_date", "access_key_1_last_used_region",
    "access_key_1_last_used_service",
    "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date", "access_key_2_last_used_region",
    "access_key_2_last_used_service",
    "cert_1_active", "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated",
)
ROOT_USER_NAME = "<root_account>"
NOT_SUPPORTED = "not_supported"
NOT_APPLICABLE = "N/A"
NO_INFORMATION = "no_information"
REGENERATION_INTERVAL = datetime.timedelta(hours=4)
STARTED_NO_REPORT = "No report exists. Starting a new report generation task"
STARTED_OLD_REPORT = "The last report is more than four hours old. Starting a new report generation task"  # [ASSUMED] wording

_lock = threading.RLock()
_settings = {"in_progress_polls": 0}


class CredentialReportError(ServiceException):
    """GetCredentialReport's errors; defined here, outside moto's packages, so moto finds the
    code in IAM's model and answers with the model's HTTP status (410 or 404)."""


@dataclasses.dataclass
class Report:
    generated: datetime.datetime
    content: str
    polls_left: int

    def age(self, now: datetime.datetime) -> datetime.timedelta:
        return now - self.generated


def _iso(value: datetime.datetime) -> str:
    if value.tzinfo is None:
        value = value.replace(tzinfo=datetime.timezone.utc)
    return value.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")


def _flag(value: bool) -> str:
    return "true" if value else "false"


def _key_fields(key: Any) -> list[str]:
    if key is None:
        return ["false"] + [NOT_APPLICABLE] * 4
    active = key.status == "Active"
    last_used = key.last_used
    return [
        _flag(active),
        _iso(key.create_date) if active else NOT_APPLICABLE,
        _iso(last_used.timestamp) if last_used else NOT_APPLICABLE,
        last_used.region if last_used else NOT_APPLICABLE,
        last_used.service if last_used else NOT_APPLICABLE,
    ]


def _certificate_fields(certificate: Any) -> list[str]:
    if certificate is None:
        return ["false", NOT_APPLICABLE]
    active = certificate.status == "Active"
    return [_flag(active), _iso(certificate.upload_date) if active else NOT_APPLICABLE]


def _two(values: list[Any]) -> list[Any]:
    return (values + [None, None])[:2]


def root_row(user: RootUser) -> dict[str, str]:
    """The ``<root_account>`` row for the root user as it is now."""
    if user.login_profile_created is None:
        password_last_used = NOT_APPLICABLE
    elif user.password_last_used is None:
        password_last_used = NO_INFORMATION
    else:
        password_last_used = _iso(user.password_last_used)
    fields = [ROOT_USER_NAME, user.arn, _iso(user.created), NOT_SUPPORTED, password_last_used, NOT_SUPPORTED, NOT_SUPPORTED,
              _flag(bool(user.enabled_mfa_devices))]
    for key in _two(list(user.access_keys.values())):
        fields += _key_fields(key)
    for certificate in _two(list(user.signing_certificates.values())):
        fields += _certificate_fields(certificate)
    return dict(zip(COLUMNS, fields))


def render(account_id: str) -> str:
    """The report's CSV: header, the root user's row, then moto's rows for the IAM users."""
    backend = iam_backends[account_id]["global"]
    root = root_row(root_user(account_id))
    lines = [",".join(COLUMNS), ",".join(root[column] for column in COLUMNS)]
    return "\n".join(lines) + "\n" + "".join(user.to_csv() for user in backend.users.values())


def _stored(account_id: str) -> Report | None:
    return iam_backends[account_id]["global"].__dict__.get("_rootguard_credential_report")


def _store(account_id: str, report: Report) -> None:
    iam_backends[account_id]["global"].__dict__["_rootguard_credential_report"] = report


def _in_progress(report: Report) -> bool:
    """True while the generation is still running; each call asking about it counts."""
    if report.polls_left <= 0:
        return False
    report.polls_left -= 1
    return True


def generate(account_id: str) -> dict[str, str]:
    """GenerateCredentialReport's answer, starting a generation when one is due."""
    now = clock.now().replace(microsecond=0)
    with _lock:
        report = _stored(account_id)
        if report is None or report.age(now) >= REGENERATION_INTERVAL:
            _store(account_id, Report(now, render(account_id), _settings["in_progress_polls"]))
            return {"State": "STARTED", "Description": STARTED_NO_REPORT if report is None else STARTED_OLD_REPORT}
        return {"State": "INPROGRESS" if _in_progress(report) else "COMPLETE"}


def get(account_id: str) -> dict[str, Any]:
    """GetCredentialReport's answer: the last report, as it was when it was generated."""
    now = clock.now()
    with _lock:
        report = _stored(account_id)
        if report is None:
            raise CredentialReportError("ReportNotPresent", "Credential report not present")
        if _in_progress(report):
            raise CredentialReportError("ReportInProgress", "Credential report is still being generated")
        if report.age(now) >= REGENERATION_INTERVAL:
            raise CredentialReportError("ReportExpired", "Credential report has expired; generate a new one")
        return {"Content": report.content, "ReportFormat": "text/csv", "GeneratedTime": report.generated}


def describe(account_id: str | None = None) -> dict[str, Any]:
    """For the control API: the settings and, for one account, its stored report."""
    with _lock:
        described: dict[str, Any] = dict(_settings)
        if account_id:
            report = _stored(account_id)
            described["report"] = None if report is None else {
                "generated": _iso(report.generated), "in_progress": report.polls_left > 0, "content": report.content}
    return described


def configure(in_progress_polls: int) -> dict[str, Any]:
    if not isinstance(in_progress_polls, int) or in_progress_polls < 0:
        raise ValueError("in_progress_polls must be a whole number, 0 or more")
    with _lock:
        _settings["in_progress_polls"] = in_progress_polls
    return describe()


def reset() -> None:
    with _lock:
        _settings["in_progress_polls"] = 0


def generate_credential_report(self: IamResponse) -> ActionResult:
    return ActionResult(generate(self.current_account))


def get_credential_report(self: IamResponse) -> ActionResult:
    return ActionResult(get(self.current_account))


HANDLERS = {"generate_credential_report": generate_credential_report, "get_credential_report": get_credential_report}


def install() -> None:
    for name, handler in HANDLERS.items():
        setattr(IamResponse, name, handler)
