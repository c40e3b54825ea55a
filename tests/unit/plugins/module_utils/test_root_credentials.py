# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""root_credentials: MFA device types, credential types, the removal plan (against an
independent oracle), and the IAM calls of reading, removing and password recovery on
stubbed clients."""

from __future__ import annotations

import datetime
import itertools

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import errors, root_credentials, validation
from ansible_collections.rootguard.aws.plugins.module_utils.targeting import Targets
from rootguard_emulator.rootuser import root_user
from rootguard_emulator.seed import seed
from rootguard_emulator.state import STATE

ACCOUNT = "210000000001"
ROOT_ARN = f"arn:aws:iam::{ACCOUNT}:root"
CREATED = datetime.datetime(2024, 5, 6, 7, 8, 9, tzinfo=datetime.timezone.utc)
CREATED_ISO = "2024-05-06T07:08:09+00:00"
USED = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.timezone.utc)
USED_ISO = "2025-01-02T03:04:05+00:00"
VIRTUAL = f"arn:aws:iam::{ACCOUNT}:mfa/root-account-mfa-device"
SECURITY_KEY = f"arn:aws:iam::{ACCOUNT}:u2f/root-user/yubikey-ABCDEFGHIJKLMNOPQRSTUVWXYZ"
HARDWARE = "GAHT12345678"
KEY1 = "AKIAIOSFODNN7EXAMPL1"
KEY2 = "AKIAIOSFODNN7EXAMPL2"
CERT1 = "ASCACKCEVSQ6C2EXAMPLE001"
CERT2 = "ASCACKCEVSQ6C2EXAMPLE002"
ORDER = ("access_keys", "signing_certificates", "mfa_devices", "password")


class Session:
    """The part of a RootSession that recover_account and recovery_due use."""

    def __init__(self, iam):
        self.iam = iam
        self.services = []

    def client(self, service: str, region: str | None = None):
        self.services.append((service, region))
        return self.iam


# mfa_type ---------------------------------------------------------------------------------

@pytest.mark.parametrize("serial, expected", [
    (VIRTUAL, "virtual"),
    (f"arn:aws:iam::{ACCOUNT}:mfa/", "virtual"),
    (f"arn:aws:iam::{ACCOUNT}:mfa/path/device", "virtual"),
    (f"arn:aws-cn:iam::{ACCOUNT}:mfa/root-account-mfa-device", "virtual"),
    (f"arn:aws-us-gov:iam::{ACCOUNT}:mfa/root-account-mfa-device", "virtual"),
    (f"arn:aws-iso-b:iam::{ACCOUNT}:mfa/root-account-mfa-device", "virtual"),
    (SECURITY_KEY, "security_key"),
    (f"arn:aws-cn:iam::{ACCOUNT}:u2f/root-user/key", "security_key"),
    (f"arn:aws-us-gov:iam::{ACCOUNT}:u2f/root-user/key", "security_key"),
    (HARDWARE, "hardware"),
    ("GAKT000A1B2C", "hardware"),
    ("arn:aws:iam::21000000000:mfa/short-account-id", "hardware"),
    (f"arn:aws:iam::{ACCOUNT}:user/mfa/not-a-device", "hardware"),
    (f"arn:aws:sts::{ACCOUNT}:mfa/wrong-service", "hardware"),
    (f"xarn:aws:iam::{ACCOUNT}:mfa/prefixed", "hardware"),
    (f"arn:AWS:iam::{ACCOUNT}:mfa/upper-partition", "hardware"),
    ("", "hardware"),
])
def test_mfa_type(serial, expected):
    assert root_credentials.mfa_type(serial) == expected


# is_compliant -----------------------------------------------------------------------------

def found_credentials(password=False, keys=(), certificates=(), devices=()) -> dict:
    """A read_credentials() result; ``devices`` are serials."""
    return {
        "password": {"present": password, "created": CREATED_ISO if password else None},
        "access_keys": [{"id": key, "status": "Active", "created": CREATED_ISO, "last_used_date": None,
                         "last_used_service": None, "last_used_region": None} for key in keys],
        "signing_certificates": [{"id": cert, "status": "Active", "uploaded": CREATED_ISO} for cert in certificates],
        "mfa_devices": [{"serial": serial, "type": root_credentials.mfa_type(serial), "enabled": CREATED_ISO} for serial in devices],
    }


@pytest.mark.parametrize("found, expected", [
    (found_credentials(), True),
    (found_credentials(password=True), False),
    (found_credentials(keys=[KEY1]), False),
    (found_credentials(certificates=[CERT1]), False),
    (found_credentials(devices=[HARDWARE]), False),
    (found_credentials(True, [KEY1], [CERT1], [VIRTUAL]), False),
], ids=["nothing", "password", "access-key", "certificate", "mfa-device", "everything"])
def test_is_compliant(found, expected):
    assert root_credentials.is_compliant(found) is expected


# credential_types -------------------------------------------------------------------------

def test_credential_types_none_means_all_in_removal_order():
    assert validation.credential_types(None) == ORDER
    assert root_credentials.CREDENTIAL_TYPES == ORDER


@pytest.mark.parametrize("size", range(1, len(ORDER) + 1))
def test_credential_types_subsets_come_back_in_removal_order(size):
    for subset in itertools.combinations(ORDER, size):
        expected = tuple(subset)
        for permutation in itertools.permutations(subset):
            assert validation.credential_types(list(permutation)) == expected
            assert validation.credential_types(list(permutation) * 2) == expected


@pytest.mark.parametrize("values, named", [
    ([], None),
    ((), None),
    (["passwords"], "passwords"),
    (["password", "mfa"], "mfa"),
    (["Password"], "Password"),
    (["access_keys", "root_keys", "x509"], "root_keys, x509"),
    ([None], "None"),
    ([1], "1"),
])
def test_credential_types_refuses_empty_and_unknown_values(values, named):
    with pytest.raises(errors.InvalidInput) as excinfo:
        validation.credential_types(values)
    message = excinfo.value.message
    assert message.startswith("credential_types: ")
    assert "access_keys, signing_certificates, mfa_devices, password" in message
    if named is None:
        assert "empty" in message
    else:
        assert message.startswith(f"credential_types: {named} not one of ")
    assert excinfo.value.error_class == "invalid_input"


# plan_removal -----------------------------------------------------------------------------

PHASES = {"delete_access_key": 0, "delete_signing_certificate": 1, "deactivate_mfa_device": 2,
          "delete_virtual_mfa_device": 3, "delete_login_profile": 4}
KIND_OF = {"delete_access_key": "access_keys", "delete_signing_certificate": "signing_certificates",
           "deactivate_mfa_device": "mfa_devices", "delete_virtual_mfa_device": "mfa_devices",
           "delete_login_profile": "password"}


def oracle(found: dict, types) -> list:
    """Every step the credentials could need, kept when their type is chosen, sorted by phase
    (then by the order AWS listed them)."""
    candidates = [("delete_access_key", key["id"]) for key in found["access_keys"]]
    candidates += [("delete_signing_certificate", cert["id"]) for cert in found["signing_certificates"]]
    for device in found["mfa_devices"]:
        candidates.append(("deactivate_mfa_device", device["serial"]))
        if device["serial"].split(":")[-1].startswith("mfa/"):
            candidates.append(("delete_virtual_mfa_device", device["serial"]))
    if found["password"]["present"]:
        candidates.append(("delete_login_profile", None))
    chosen = [(PHASES[action], position, action, ident) for position, (action, ident) in enumerate(candidates)
              if KIND_OF[action] in types]
    return [{"action": action, "id": ident} for _phase, _position, action, ident in sorted(chosen, key=lambda item: item[:2])]


FOUND_CASES = [
    found_credentials(password, keys, certificates, devices)
    for password in (False, True)
    for keys in ((), (KEY1,), (KEY2, KEY1))
    for certificates in ((), (CERT1, CERT2))
    for devices in ((), (VIRTUAL,), (HARDWARE,), (HARDWARE, VIRTUAL, SECURITY_KEY, f"arn:aws:iam::{ACCOUNT}:mfa/second"))
]
TYPE_SUBSETS = [subset for size in range(len(ORDER) + 1) for subset in itertools.combinations(ORDER, size)]


@pytest.mark.parametrize("types", TYPE_SUBSETS, ids=lambda types: "+".join(types) or "none")
@pytest.mark.parametrize("found", FOUND_CASES)
def test_plan_removal_matches_the_oracle(found, types):
    steps = root_credentials.plan_removal(found, types)
    assert steps == oracle(found, types)
    # The order of ``types`` does not matter.
    assert root_credentials.plan_removal(found, tuple(reversed(types))) == steps
    actions = [step["action"] for step in steps]
    assert [PHASES[action] for action in actions] == sorted(PHASES[action] for action in actions)
    if "delete_login_profile" in actions:
        assert actions[-1] == "delete_login_profile" and actions.count("delete_login_profile") == 1
    deactivated = [step["id"] for step in steps if step["action"] == "deactivate_mfa_device"]
    for step in steps:
        if step["action"] == "delete_virtual_mfa_device":
            assert step["id"] in deactivated and root_credentials.mfa_type(step["id"]) == "virtual"
    assert all(set(step) == {"action", "id"} for step in steps)


def test_plan_removal_of_everything_in_detail():
    found = found_credentials(True, [KEY2, KEY1], [CERT1], [HARDWARE, VIRTUAL, SECURITY_KEY])
    assert root_credentials.plan_removal(found, ORDER) == [
        {"action": "delete_access_key", "id": KEY2},
        {"action": "delete_access_key", "id": KEY1},
        {"action": "delete_signing_certificate", "id": CERT1},
        {"action": "deactivate_mfa_device", "id": HARDWARE},
        {"action": "deactivate_mfa_device", "id": VIRTUAL},
        {"action": "deactivate_mfa_device", "id": SECURITY_KEY},
        {"action": "delete_virtual_mfa_device", "id": VIRTUAL},
        {"action": "delete_login_profile", "id": None},
    ]


def test_plan_removal_of_nothing_found_is_empty():
    assert root_credentials.plan_removal(found_credentials(), ORDER) == []


# inventory --------------------------------------------------------------------------------

def test_inventory_lists_identifiers_only():
    found = found_credentials(True, [KEY1, KEY2], [CERT1], [VIRTUAL, HARDWARE])
    assert root_credentials.inventory(found) == {
        "password": True,
        "access_keys": [KEY1, KEY2],
        "signing_certificates": [CERT1],
        "mfa_devices": [VIRTUAL, HARDWARE],
    }


@pytest.mark.parametrize("types", TYPE_SUBSETS, ids=lambda types: "+".join(types) or "none")
@pytest.mark.parametrize("found", FOUND_CASES)
def test_inventory_after_the_planned_steps_shows_the_chosen_types_gone(found, types):
    shown = root_credentials.inventory(found, root_credentials.plan_removal(found, types))
    before = root_credentials.inventory(found)
    assert shown == {
        "password": before["password"] and "password" not in types,
        "access_keys": [] if "access_keys" in types else before["access_keys"],
        "signing_certificates": [] if "signing_certificates" in types else before["signing_certificates"],
        "mfa_devices": [] if "mfa_devices" in types else before["mfa_devices"],
    }
    assert isinstance(shown["password"], bool)


def test_inventory_keeps_what_was_not_done():
    found = found_credentials(True, [KEY1, KEY2], [CERT1, CERT2], [HARDWARE, VIRTUAL])
    steps = [
        {"action": "delete_access_key", "id": KEY1, "done": True, "error": None},
        {"action": "delete_access_key", "id": KEY2, "done": True, "error": None},
        {"action": "delete_signing_certificate", "id": CERT1, "done": True, "error": None},
        {"action": "delete_signing_certificate", "id": CERT2, "done": False, "error": "access_denied: no"},
        {"action": "deactivate_mfa_device", "id": HARDWARE, "done": False, "error": None},
        {"action": "deactivate_mfa_device", "id": VIRTUAL, "done": False, "error": None},
        {"action": "delete_virtual_mfa_device", "id": VIRTUAL, "done": False, "error": None},
        {"action": "delete_login_profile", "id": None, "done": False, "error": None},
    ]
    assert root_credentials.inventory(found, steps) == {
        "password": True, "access_keys": [], "signing_certificates": [CERT2], "mfa_devices": [HARDWARE, VIRTUAL]}


def test_inventory_a_deactivated_device_is_gone_even_if_its_deletion_failed():
    found = found_credentials(False, [], [], [VIRTUAL])
    steps = [{"action": "deactivate_mfa_device", "id": VIRTUAL, "done": True, "error": None},
             {"action": "delete_virtual_mfa_device", "id": VIRTUAL, "done": False, "error": "aws_error: in use"}]
    assert root_credentials.inventory(found, steps)["mfa_devices"] == []
    only_deleted = [{"action": "delete_virtual_mfa_device", "id": VIRTUAL, "done": True, "error": None}]
    assert root_credentials.inventory(found, only_deleted)["mfa_devices"] == [VIRTUAL]


def test_inventory_matches_steps_by_action_and_id():
    found = found_credentials(True, [KEY1], [CERT1], [HARDWARE])
    steps = [{"action": "delete_access_key", "id": KEY2}, {"action": "delete_signing_certificate", "id": KEY1},
             {"action": "delete_access_key", "id": CERT1}, {"action": "deactivate_mfa_device", "id": VIRTUAL},
             {"action": "delete_login_profile", "id": "something"}]
    assert root_credentials.inventory(found, steps) == root_credentials.inventory(found)


def test_inventory_without_password_is_false_whatever_is_removed():
    found = found_credentials()
    assert root_credentials.inventory(found)["password"] is False
    assert root_credentials.inventory(found, [{"action": "delete_login_profile", "id": None}]) == {
        "password": False, "access_keys": [], "signing_certificates": [], "mfa_devices": []}


# read_credentials (stubbed IAM) -------------------------------------------------------------

def key_metadata(key_id: str, status: str = "Active") -> dict:
    return {"UserName": ACCOUNT, "AccessKeyId": key_id, "Status": status, "CreateDate": CREATED}


def respond_login_profile(aws, present: bool) -> None:
    if present:
        aws.respond("iam", "get_login_profile", {"LoginProfile": {"UserName": ACCOUNT, "CreateDate": CREATED}})
    else:
        aws.fail("iam", "get_login_profile", "NoSuchEntity", "The user with name root cannot be found.", status=404)


def respond_lists(aws, certificates=(), devices=()) -> None:
    aws.respond("iam", "list_signing_certificates", {"Certificates": [
        {"UserName": ACCOUNT, "CertificateId": cert, "CertificateBody": "-----BEGIN CERTIFICATE-----secret",
         "Status": "Inactive", "UploadDate": CREATED} for cert in certificates]})
    aws.respond("iam", "list_mfa_devices", {"MFADevices": [
        {"UserName": ACCOUNT, "SerialNumber": serial, "EnableDate": CREATED} for serial in devices]})


def test_read_credentials_of_a_compliant_account(aws):
    respond_login_profile(aws, False)
    aws.respond("iam", "list_access_keys", {"AccessKeyMetadata": []})
    respond_lists(aws)
    found = root_credentials.read_credentials(aws.client("iam"), last_used=True)
    assert found == {"password": {"present": False, "created": None}, "access_keys": [], "signing_certificates": [],
                     "mfa_devices": [], "compliant": True}
    assert aws.calls == ["iam:GetLoginProfile", "iam:ListAccessKeys", "iam:ListSigningCertificates", "iam:ListMFADevices"]


@pytest.mark.parametrize("last_used", [True, False])
def test_read_credentials_pages_through_access_keys(aws, last_used):
    respond_login_profile(aws, True)
    aws.respond("iam", "list_access_keys", {"AccessKeyMetadata": [key_metadata(KEY1)], "IsTruncated": True, "Marker": "page-2"})
    aws.respond("iam", "list_access_keys", {"AccessKeyMetadata": [], "IsTruncated": True, "Marker": "page-3"}, Marker="page-2")
    aws.respond("iam", "list_access_keys", {"AccessKeyMetadata": [key_metadata(KEY2, "Inactive")], "IsTruncated": False},
                Marker="page-3")
    if last_used:  # after the listing, one call per key
        aws.respond("iam", "get_access_key_last_used", {"UserName": ACCOUNT, "AccessKeyLastUsed": {
            "LastUsedDate": USED, "ServiceName": "s3", "Region": "eu-west-1"}}, AccessKeyId=KEY1)
        aws.respond("iam", "get_access_key_last_used", {"UserName": ACCOUNT, "AccessKeyLastUsed": {
            "ServiceName": "N/A", "Region": "N/A"}}, AccessKeyId=KEY2)
    respond_lists(aws, [CERT1], [VIRTUAL, SECURITY_KEY, HARDWARE])

    found = root_credentials.read_credentials(aws.client("iam"), last_used=last_used)

    never = {"last_used_date": None, "last_used_service": None, "last_used_region": None}
    assert found == {
        "password": {"present": True, "created": CREATED_ISO},
        "access_keys": [
            dict({"id": KEY1, "status": "Active", "created": CREATED_ISO},
                 **({"last_used_date": USED_ISO, "last_used_service": "s3", "last_used_region": "eu-west-1"} if last_used else never)),
            dict({"id": KEY2, "status": "Inactive", "created": CREATED_ISO},
                 **({"last_used_date": None, "last_used_service": "N/A", "last_used_region": "N/A"} if last_used else never)),
        ],
        "signing_certificates": [{"id": CERT1, "status": "Inactive", "uploaded": CREATED_ISO}],
        "mfa_devices": [
            {"serial": VIRTUAL, "type": "virtual", "enabled": CREATED_ISO},
            {"serial": SECURITY_KEY, "type": "security_key", "enabled": CREATED_ISO},
            {"serial": HARDWARE, "type": "hardware", "enabled": CREATED_ISO},
        ],
        "compliant": False,
    }
    assert "secret" not in repr(found)
    assert aws.calls == (["iam:GetLoginProfile"] + ["iam:ListAccessKeys"] * 3 + ["iam:GetAccessKeyLastUsed"] * (2 if last_used else 0)
                         + ["iam:ListSigningCertificates", "iam:ListMFADevices"])


@pytest.mark.parametrize("password, keys, certificates, devices, compliant", [
    (True, [], [], [], False),
    (False, [KEY1], [], [], False),
    (False, [], [CERT1], [], False),
    (False, [], [], [HARDWARE], False),
    (False, [], [], [], True),
])
def test_read_credentials_compliance(aws, password, keys, certificates, devices, compliant):
    respond_login_profile(aws, password)
    aws.respond("iam", "list_access_keys", {"AccessKeyMetadata": [key_metadata(key) for key in keys]})
    respond_lists(aws, certificates, devices)
    assert root_credentials.read_credentials(aws.client("iam"), last_used=False)["compliant"] is compliant


READ_CALLS = {
    "password": "iam:GetLoginProfile",
    "access_keys": "iam:ListAccessKeys",
    "signing_certificates": "iam:ListSigningCertificates",
    "mfa_devices": "iam:ListMFADevices",
}


@pytest.mark.parametrize("types", [types for size in range(1, 5) for types in itertools.combinations(root_credentials.CREDENTIAL_TYPES, size)])
def test_read_credentials_reads_only_the_types_asked_one_call_each(aws, types):
    for kind in READ_CALLS:
        if kind not in types:
            continue
        if kind == "password":
            respond_login_profile(aws, True)
        elif kind == "access_keys":
            aws.respond("iam", "list_access_keys", {"AccessKeyMetadata": [key_metadata(KEY1)]})
        elif kind == "signing_certificates":
            aws.respond("iam", "list_signing_certificates", {"Certificates": []})
        else:
            aws.respond("iam", "list_mfa_devices", {"MFADevices": []})
    found = root_credentials.read_credentials(aws.client("iam"), last_used=False, types=types)
    assert aws.calls == [call for kind, call in READ_CALLS.items() if kind in types]
    # Compliance needs every type: a partial read does not claim it.
    assert set(found) == set(types) | ({"compliant"} if len(types) == 4 else set())
    shown = root_credentials.inventory(found, root_credentials.plan_removal(found, types))
    assert shown == {kind: False if kind == "password" else [] for kind in types}


@pytest.mark.parametrize("code, status, error_class", [
    ("AccessDenied", 403, errors.AccessDenied),
    ("InvalidInput", 400, errors.InvalidInput),
])
def test_read_credentials_raises_other_login_profile_errors(aws, code, status, error_class):
    aws.fail("iam", "get_login_profile", code, "no", status=status)
    with pytest.raises(error_class) as excinfo:
        root_credentials.read_credentials(aws.client("iam"), last_used=False)
    assert excinfo.value.operation == "GetLoginProfile"
    assert aws.calls == ["iam:GetLoginProfile"]


def test_read_credentials_raises_a_listing_error(aws):
    respond_login_profile(aws, False)
    aws.fail("iam", "list_access_keys", "AccessDenied", "explicit deny in a session policy", status=403)
    with pytest.raises(errors.AccessDenied) as excinfo:
        root_credentials.read_credentials(aws.client("iam"), last_used=True)
    assert excinfo.value.message.startswith("The session's task policy does not allow this action.")
    assert aws.calls == ["iam:GetLoginProfile", "iam:ListAccessKeys"]


# apply_removal (stubbed IAM) ------------------------------------------------------------------

ALL_STEPS = [
    {"action": "delete_access_key", "id": KEY1},
    {"action": "delete_signing_certificate", "id": CERT1},
    {"action": "deactivate_mfa_device", "id": HARDWARE},
    {"action": "deactivate_mfa_device", "id": VIRTUAL},
    {"action": "delete_virtual_mfa_device", "id": VIRTUAL},
    {"action": "delete_login_profile", "id": None},
]
STEP_REQUESTS = [
    ("delete_access_key", {"AccessKeyId": KEY1}, "iam:DeleteAccessKey"),
    ("delete_signing_certificate", {"CertificateId": CERT1}, "iam:DeleteSigningCertificate"),
    ("deactivate_mfa_device", {"SerialNumber": HARDWARE}, "iam:DeactivateMFADevice"),
    ("deactivate_mfa_device", {"SerialNumber": VIRTUAL}, "iam:DeactivateMFADevice"),
    ("delete_virtual_mfa_device", {"SerialNumber": VIRTUAL}, "iam:DeleteVirtualMFADevice"),
    ("delete_login_profile", {}, "iam:DeleteLoginProfile"),
]
VIRTUAL_DELETION = 4
DENIED = ("access_denied: Access denied: the caller's IAM policies, an SCP, or the organization's settings do not allow this action. "
          "[{operation}: AccessDenied: denied]")


def test_apply_removal_runs_every_step_in_order(aws):
    for method, params, _operation in STEP_REQUESTS:
        aws.respond("iam", method, {}, **params)
    outcomes, error = root_credentials.apply_removal(aws.client("iam"), ALL_STEPS)
    assert outcomes == [dict(step, done=True, already_absent=False, error=None) for step in ALL_STEPS]
    assert error is None
    assert aws.calls == [operation for _method, _params, operation in STEP_REQUESTS]


def test_apply_removal_leaves_the_planned_steps_alone(aws):
    planned = [dict(step) for step in ALL_STEPS]
    for method, params, _operation in STEP_REQUESTS:
        aws.respond("iam", method, {}, **params)
    root_credentials.apply_removal(aws.client("iam"), planned)
    assert planned == ALL_STEPS


def test_apply_removal_of_no_steps_calls_nothing(aws):
    assert root_credentials.apply_removal(aws.client("iam"), []) == ([], None)
    assert aws.calls == []


@pytest.mark.parametrize("missing", range(len(STEP_REQUESTS)))
def test_apply_removal_reports_a_credential_already_gone_as_already_absent_not_done(aws, missing):
    for index, (method, params, _operation) in enumerate(STEP_REQUESTS):
        if index == missing:
            aws.fail("iam", method, "NoSuchEntity", "gone", status=404, **params)
        else:
            aws.respond("iam", method, {}, **params)
    outcomes, error = root_credentials.apply_removal(aws.client("iam"), ALL_STEPS)
    expected = [dict(step, done=True, already_absent=False, error=None) for step in ALL_STEPS]
    expected[missing].update(done=False, already_absent=True)
    assert outcomes == expected
    assert error is None
    assert len(aws.calls) == len(STEP_REQUESTS)


@pytest.mark.parametrize("code, status, expected_error", [
    ("DeleteConflict", 409, "aws_error: AWS refused the request. [DeleteVirtualMFADevice: DeleteConflict: still in use]"),
    ("AccessDenied", 403, "access_denied: Access denied: the caller's IAM policies, an SCP, or the organization's settings do not "
                          "allow this action. [DeleteVirtualMFADevice: AccessDenied: still in use]"),
])
def test_apply_removal_reports_a_virtual_mfa_deletion_failure_continues_and_fails_the_account(aws, code, status, expected_error):
    for method, params, _operation in STEP_REQUESTS:
        if method == "delete_virtual_mfa_device":
            aws.fail("iam", method, code, "still in use", status=status, **params)
        else:
            aws.respond("iam", method, {}, **params)
    outcomes, error = root_credentials.apply_removal(aws.client("iam"), ALL_STEPS)
    expected = [dict(step, done=True, already_absent=False, error=None) for step in ALL_STEPS]
    expected[VIRTUAL_DELETION].update(done=False, error=expected_error)
    assert outcomes == expected
    assert error.error_class == expected_error.split(":")[0] and error.aws_error_code == code
    assert error.operation == "DeleteVirtualMFADevice"
    assert error.message.startswith(f"Virtual MFA device {VIRTUAL} was deactivated (no longer a credential of the root user) but "
                                    "could not be deleted: ")
    assert error.message.endswith("run again with the same journal, or with the serial in virtual_mfa_devices_left.")
    assert aws.calls == [operation for _method, _params, operation in STEP_REQUESTS]


@pytest.mark.parametrize("failing", [index for index in range(len(STEP_REQUESTS)) if index != VIRTUAL_DELETION])
def test_apply_removal_stops_at_any_other_failure_and_returns_it(aws, failing):
    for index, (method, params, _operation) in enumerate(STEP_REQUESTS[:failing + 1]):
        if index == failing:
            aws.fail("iam", method, "AccessDenied", "denied", status=403, **params)
        else:
            aws.respond("iam", method, {}, **params)
    outcomes, error = root_credentials.apply_removal(aws.client("iam"), ALL_STEPS)
    operation = STEP_REQUESTS[failing][2].split(":")[1]
    assert isinstance(error, errors.AccessDenied) and error.operation == operation
    assert outcomes == ([dict(step, done=True, already_absent=False, error=None) for step in ALL_STEPS[:failing]]
                        + [dict(ALL_STEPS[failing], done=False, already_absent=False, error=DENIED.format(operation=operation))]
                        + [dict(step, done=False, already_absent=False, error=None) for step in ALL_STEPS[failing + 1:]])
    assert aws.calls == [operation for _method, _params, operation in STEP_REQUESTS[:failing + 1]]


@pytest.mark.parametrize("failing", range(len(STEP_REQUESTS)))
def test_apply_removal_raises_an_expired_session(aws, failing):
    for index, (method, params, _operation) in enumerate(STEP_REQUESTS[:failing + 1]):
        if index == failing:
            aws.fail("iam", method, "ExpiredToken", "The security token included in the request is expired", status=403, **params)
        else:
            aws.respond("iam", method, {}, **params)
    with pytest.raises(errors.SessionExpired) as excinfo:
        root_credentials.apply_removal(aws.client("iam"), ALL_STEPS)
    assert excinfo.value.operation == STEP_REQUESTS[failing][2].split(":")[1]
    assert aws.calls == [operation for _method, _params, operation in STEP_REQUESTS[:failing + 1]]


# recover_account / recovery_due (stubbed IAM) --------------------------------------------------

@pytest.mark.parametrize("present, write, operation", [
    (True, "create_login_profile", "iam:CreateLoginProfile"),
    (False, "delete_login_profile", "iam:DeleteLoginProfile"),
])
def test_recover_account_reads_then_writes_when_due(aws, present, write, operation):
    respond_login_profile(aws, not present)
    aws.respond("iam", write, {"LoginProfile": {"UserName": ACCOUNT, "CreateDate": CREATED}} if present else {})
    session = Session(aws.client("iam"))
    assert root_credentials.recover_account(session, present, check_mode=False) is True
    assert aws.calls == ["iam:GetLoginProfile", operation]
    assert session.services == [("iam", None), ("iam", None)]


@pytest.mark.parametrize("check_mode", [True, False])
@pytest.mark.parametrize("present", [True, False])
def test_recover_account_makes_no_write_when_already_as_asked(aws, present, check_mode):
    respond_login_profile(aws, present)
    assert root_credentials.recover_account(Session(aws.client("iam")), present, check_mode) is False
    assert aws.calls == ["iam:GetLoginProfile"]


@pytest.mark.parametrize("present", [True, False])
def test_recover_account_in_check_mode_only_reads(aws, present):
    respond_login_profile(aws, not present)
    assert root_credentials.recover_account(Session(aws.client("iam")), present, check_mode=True) is True
    assert aws.calls == ["iam:GetLoginProfile"]
    assert aws.writes() == []


@pytest.mark.parametrize("present, method, code", [
    (True, "create_login_profile", "EntityAlreadyExists"),
    (False, "delete_login_profile", "NoSuchEntity"),
])
def test_recover_account_is_unchanged_when_raced_into_the_state(aws, present, method, code):
    respond_login_profile(aws, not present)
    aws.fail("iam", method, code, "already", status=409 if present else 404)
    assert root_credentials.recover_account(Session(aws.client("iam")), present, check_mode=False) is False


@pytest.mark.parametrize("present, method, code, status, error_class", [
    (True, "create_login_profile", "NoSuchEntity", 404, errors.NotFound),
    (False, "delete_login_profile", "EntityAlreadyExists", 409, errors.RootGuardError),
    (True, "create_login_profile", "AccessDenied", 403, errors.AccessDenied),
    (False, "delete_login_profile", "AccessDenied", 403, errors.AccessDenied),
    (True, "create_login_profile", "LimitExceeded", 409, errors.RootGuardError),
])
def test_recover_account_raises_other_errors(aws, present, method, code, status, error_class):
    respond_login_profile(aws, not present)
    aws.fail("iam", method, code, "refused", status=status)
    with pytest.raises(error_class) as excinfo:
        root_credentials.recover_account(Session(aws.client("iam")), present, check_mode=False)
    assert excinfo.value.aws_error_code == code


@pytest.mark.parametrize("exists", [True, False])
@pytest.mark.parametrize("present", [True, False])
def test_recovery_due_reads_the_login_profile(aws, exists, present):
    respond_login_profile(aws, exists)
    assert root_credentials.recovery_due(Session(aws.client("iam")), present) is (exists != present)
    assert aws.calls == ["iam:GetLoginProfile"]
    assert aws.writes() == []


def test_recovery_due_raises_other_errors(aws):
    aws.fail("iam", "get_login_profile", "AccessDenied", "denied", status=403)
    with pytest.raises(errors.AccessDenied):
        root_credentials.recovery_due(Session(aws.client("iam")), True)
    assert aws.writes() == []


def test_task_policies():
    assert root_credentials.AUDIT_POLICY == "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"
    assert root_credentials.DELETE_POLICY == "arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials"
    assert root_credentials.RECOVERY_POLICY == "arn:aws:iam::aws:policy/root-task/IAMCreateRootUserPassword"


# remove (against the in-process emulator) -------------------------------------------------------

@pytest.mark.parametrize("max_changed_accounts", [None, 100])
def test_remove_reads_every_account_first_only_with_a_blast_radius_limit(emulator_factory, monkeypatch, max_changed_accounts):
    truth = seed(accounts=4, profile="full", features=["RootCredentialsManagement"])
    members = [account["id"] for account in truth["accounts"]]
    root_clients = []
    make_client = emulator_factory.client

    def client(service, credentials=None, region=None):
        if credentials is not None:
            root_clients.append(service)
        return make_client(service, credentials, region)

    monkeypatch.setattr(emulator_factory, "client", client)
    STATE.clear_requests()

    result = root_credentials.remove(emulator_factory, Targets(all_accounts=True), root_credentials.CREDENTIAL_TYPES, 1,
                                     max_changed_accounts, check_mode=False, fail_on_error=True)

    assert result["summary"] == {"ok": 0, "changed": 4, "would_change": 0, "skipped": 1, "failed": 0, "total": 5}
    root_calls = [(entry["account"], entry["write"]) for entry in STATE.request_log()["entries"] if entry["principal"] == "root"]
    first_write = next(index for index, (_account, write) in enumerate(root_calls) if write)
    read_before_any_write = {account for account, _write in root_calls[:first_write]}
    if max_changed_accounts is None:
        # Each account read and cleaned in one go, with one IAM client.
        assert read_before_any_write == {members[0]}
        assert root_clients == ["iam"] * 4
    else:
        # Every account read before the first write (the limit is checked in between); a new client for the changes.
        assert read_before_any_write == set(members)
        assert not [account for account, write in root_calls[first_write:] if not write]
        assert root_clients == ["iam"] * 8
    assert not [account_id for account_id in members if root_user(account_id).has_credentials]
