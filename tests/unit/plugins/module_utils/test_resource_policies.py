# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""resource_policies: input checks, what counts as a policy that denies everyone, the
backup file, and unlock()'s decisions and ordering (backup before any change)."""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import pathlib
import re
import stat
import types

import pytest

from ansible_collections.rootguard.aws.plugins.module_utils import errors, resource_policies, validation
from ansible_collections.rootguard.aws.plugins.module_utils.resource_policies import BucketPolicy, QueuePolicy

ACCOUNT = "210000000001"
OTHER = "210000000002"
RUNNING_AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
S3_ACTIONS = BucketPolicy.managed_actions
SQS_ACTIONS = QueuePolicy.managed_actions
BUCKET_ARN = "arn:aws:s3:::my-bucket"
QUEUE_ARN = f"arn:aws:sqs:us-east-1:{ACCOUNT}:my-queue"
NO_POLICY_MESSAGE = "There is no policy, so none was put in place (only_if_locked is true; set it to false to put one)."
NOT_LOCKED_MESSAGE = "The current policy does not deny everyone, so it was left as it is (only_if_locked is true)."


def listed(directory) -> list:
    """The files in a backup directory but its manifest."""
    return [name for name in os.listdir(directory) if name != resource_policies.MANIFEST]


def invalid(function, *args, **kwargs) -> str:
    with pytest.raises(errors.InvalidInput) as excinfo:
        function(*args, **kwargs)
    assert excinfo.value.error_class == "invalid_input"
    return excinfo.value.message


# bucket_name ---------------------------------------------------------------------------------

@pytest.mark.parametrize("name", [
    "abc", "a" * 63, "my-bucket", "my.bucket.example", "1bucket", "bucket1", "a-b", "a.b", "0.0.0", "1.2.3.4.5", "192.168.5.x",
    "a" + "-" * 61 + "b",
])
def test_bucket_name_valid(name):
    assert validation.bucket_name(name) == name


@pytest.mark.parametrize("name", [
    "", "a", "ab", "a" * 64, "MyBucket", "my-Bucket", "my_bucket", "my..bucket", "a..b", "192.168.5.4", "10.0.0.1", "999.999.999.999",
    "-bucket", "bucket-", ".bucket", "bucket.", "my bucket", "bucket/key", "bücket",
])
def test_bucket_name_invalid(name):
    assert invalid(validation.bucket_name, name) == (
        f"bucket: {name!r} is not a valid S3 bucket name (3 to 63 lowercase letters, digits, dots and hyphens).")


def test_bucket_name_names_the_option():
    assert invalid(validation.bucket_name, "No", "source_bucket").startswith("source_bucket: 'No' is not")


# queue_name ----------------------------------------------------------------------------------

@pytest.mark.parametrize("name", ["q", "a" * 80, "a" * 75 + ".fifo", "q.fifo", "My_Queue-1", "-", "_.fifo", "0"])
def test_queue_name_valid(name):
    assert validation.queue_name(name) == name


@pytest.mark.parametrize("name", [
    "", ".fifo", "a" * 81, "a" * 76 + ".fifo", "my.queue", "q.fifo.fifo", "q.FIFO", "q fifo", "q/", "qüeue", "q.",
])
def test_queue_name_invalid(name):
    message = invalid(validation.queue_name, name)
    assert message.startswith(f"queue_name: {name!r} is not a valid SQS queue name (1 to 80 letters")


def test_queue_name_names_the_option():
    assert invalid(validation.queue_name, "a.b", "dead_letter").startswith("dead_letter: 'a.b' is not")


@pytest.mark.parametrize("function, value", [
    (validation.bucket_name, "my-bucket\n"),
    (validation.queue_name, "my-queue\n"),
], ids=["bucket_name", "queue_name"])
def test_names_refuse_a_trailing_newline(function, value):
    invalid(function, value)


# queue_url -------------------------------------------------------------------------------------

@pytest.mark.parametrize("url", [
    f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/my-queue",
    f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/orders.fifo",
    f"https://sqs.cn-north-1.amazonaws.com.cn/{ACCOUNT}/Queue_1",
    f"https://queue.amazonaws.com/{ACCOUNT}/{'a' * 80}",
    f"http://127.0.0.1:4566/{ACCOUNT}/my-queue",
    f"http://localhost:4566/{ACCOUNT}/q.fifo",
])
def test_queue_url_valid(url):
    assert validation.queue_url(url, ACCOUNT) == url


def test_queue_url_of_another_account_names_both_accounts():
    url = f"https://sqs.us-east-1.amazonaws.com/{OTHER}/my-queue"
    assert invalid(validation.queue_url, url, ACCOUNT) == (
        f"queue_url: the queue belongs to account {OTHER}, not to account_id {ACCOUNT}.")
    assert invalid(validation.queue_url, url, ACCOUNT, "url").startswith("url: the queue belongs to account")


@pytest.mark.parametrize("url", [
    "",
    "my-queue",
    f"sqs.us-east-1.amazonaws.com/{ACCOUNT}/my-queue",
    f"ftp://sqs.us-east-1.amazonaws.com/{ACCOUNT}/my-queue",
    f"https:///{ACCOUNT}/my-queue",
    "https://sqs.us-east-1.amazonaws.com/21000000000/my-queue",
    "https://sqs.us-east-1.amazonaws.com/2100000000011/my-queue",
    f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/",
    f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}",
    f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/my-queue/",
    f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/my-queue/extra",
    f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/my.queue",
    f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{'a' * 81}",
    f"https://sqs us-east-1.amazonaws.com/{ACCOUNT}/my-queue",
    f" https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/my-queue",
    f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/my-queue?Action=SendMessage",
])
def test_queue_url_malformed(url):
    assert invalid(validation.queue_url, url, ACCOUNT) == (
        f"queue_url: {url!r} is not an SQS queue URL (https://sqs.<region>.amazonaws.com/<account id>/<queue name>).")


@pytest.mark.parametrize("url", [
    f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{'a' * 76}.fifo",
    f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/{'a' * 80}.fifo",
    f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/my-queue\n",
], ids=["81-chars-fifo", "85-chars-fifo", "trailing-newline"])
def test_queue_url_refuses_what_queue_name_refuses(url):
    invalid(validation.queue_url, url, ACCOUNT)


# policy_document -----------------------------------------------------------------------------------

POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Sid": "Read", "Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
                   "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:::my-bucket/*"}],
}
CANONICAL = ('{"Statement":[{"Action":["s3:GetObject"],"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210000000001:root"},'
             '"Resource":"arn:aws:s3:::my-bucket/*","Sid":"Read"}],"Version":"2012-10-17"}')


def test_policy_document_gives_a_dict_as_canonical_compact_sorted_json():
    assert validation.policy_document(POLICY) == CANONICAL


@pytest.mark.parametrize("value", [
    json.dumps(POLICY),
    json.dumps(POLICY, indent=4),
    CANONICAL,
    "\n  " + json.dumps(dict(reversed(list(POLICY.items())))) + "\n",
], ids=["json", "indented", "canonical", "reordered-with-whitespace"])
def test_policy_document_sends_a_json_string_byte_for_byte(value):
    assert validation.policy_document(value) == value


def test_policy_document_escapes_non_ascii():
    text = validation.policy_document({"Statement": [{"Sid": "Zürich ✓"}]})
    assert text == '{"Statement":[{"Sid":"Z\\u00fcrich \\u2713"}]}'
    assert json.loads(text) == {"Statement": [{"Sid": "Zürich ✓"}]}


@pytest.mark.parametrize("value", ["{", "not json", "{'Statement': []}", "", None, ["Statement"]], ids=repr)
def test_policy_document_refuses_invalid_json(value):
    message = invalid(validation.policy_document, value)
    assert message.startswith("policy: not valid JSON (")


@pytest.mark.parametrize("value", [
    "[]", '[{"Statement": [{}]}]', '"text"', "1", "null", "{}", '{"Version": "2012-10-17"}', '{"Statement": []}',
    '{"Statement": null}', '{"Statement": ""}', {}, {"Version": "2012-10-17"}, {"Statement": []},
], ids=repr)
def test_policy_document_refuses_what_is_not_a_policy(value):
    assert invalid(validation.policy_document, value) == "policy: a policy is a JSON object with a Statement."


def sized_policy(size: int) -> dict:
    """A policy whose canonical text is exactly ``size`` bytes."""
    empty = len(json.dumps({"Statement": [{"Sid": ""}]}, separators=(",", ":")))
    return {"Statement": [{"Sid": "x" * (size - empty)}]}


@pytest.mark.parametrize("text", [
    json.dumps(sized_policy(20481)),
    json.dumps(sized_policy(19000), indent=8) + "\n" * 2000,
    json.dumps({"Statement": [{"Sid": "\u00e9" * 12000}]}, ensure_ascii=False),
], ids=["over-20480-bytes", "whitespace-padded", "non-ascii-over-20480-bytes"])
def test_policy_document_leaves_the_size_to_aws(text):
    """AWS says how it counts its limits (20 KB for S3, 8,192 bytes for SQS); a policy it accepted
    once, such as one read back and backed up, must be accepted here to be put back."""
    assert len(text.encode("utf-8")) > 20480
    assert validation.policy_document(text) == text


@pytest.mark.parametrize("text, key", [
    ('{"Statement": [{"Effect": "Deny", "Effect": "Allow"}]}', "Effect"),
    ('{"Statement": [{"Sid": "a"}], "Statement": [{"Sid": "b"}]}', "Statement"),
    ('{"Version": "2012-10-17", "Statement": [{"Condition": {"Bool": {"k": "1", "k": "2"}}}]}', "k"),
], ids=["in-a-statement", "top-level", "nested"])
def test_policy_document_refuses_duplicate_keys(text, key):
    assert invalid(validation.policy_document, text) == (
        f"policy: the key {key!r} appears twice in one JSON object; only one of the two would count. Remove the duplicate.")
    assert invalid(validation.policy_document, text, "restore_from").startswith("restore_from: the key")


def test_policy_document_names_the_option():
    assert invalid(validation.policy_document, "[]", "new_policy") == "new_policy: a policy is a JSON object with a Statement."


# desired_and_backup ------------------------------------------------------------------------------------

def params(state="absent", policy=None, backup_dir=None) -> dict:
    return {"state": state, "policy": policy, "backup_dir": backup_dir, "only_if_locked": True, "account_id": ACCOUNT}


def test_desired_and_backup_absent_without_backup():
    assert resource_policies.desired_and_backup(params()) == (None, None)
    assert resource_policies.desired_and_backup({"state": "absent"}) == (None, None)


@pytest.mark.parametrize("policy", [POLICY, json.dumps(POLICY), "", {}])
def test_desired_and_backup_refuses_a_policy_with_state_absent(policy):
    assert invalid(resource_policies.desired_and_backup, params("absent", policy)) == (
        "policy: only used with state: present; state: absent deletes the policy.")


def test_desired_and_backup_present(tmp_path):
    assert resource_policies.desired_and_backup(params("present", json.dumps(POLICY), str(tmp_path))) == (json.dumps(POLICY), str(tmp_path))
    assert resource_policies.desired_and_backup(params("present", POLICY, str(tmp_path))) == (CANONICAL, str(tmp_path))


def test_desired_and_backup_checks_the_policy_before_the_directory(tmp_path):
    message = invalid(resource_policies.desired_and_backup, params("present", "[]", str(tmp_path / "missing")))
    assert message.startswith("policy: ")


def test_backup_dir_is_made_absolute(tmp_path, monkeypatch):
    (tmp_path / "backups").mkdir()
    monkeypatch.chdir(tmp_path)
    assert resource_policies.desired_and_backup(params(backup_dir="backups"))[1] == str(tmp_path / "backups")
    assert resource_policies.desired_and_backup(params(backup_dir="./backups/../backups/"))[1] == str(tmp_path / "backups")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert resource_policies.desired_and_backup(params(backup_dir="~/backups"))[1] == str(tmp_path / "backups")


def test_backup_dir_missing(tmp_path):
    missing = tmp_path / "missing"
    assert invalid(resource_policies.desired_and_backup, params(backup_dir=str(missing))) == (
        f"backup_dir: {missing} is not an existing directory.")


def test_backup_dir_is_a_file(tmp_path):
    path = tmp_path / "file.json"
    path.write_text("{}")
    assert invalid(resource_policies.desired_and_backup, params(backup_dir=str(path))) == (
        f"backup_dir: {path} is not an existing directory.")


def test_backup_dir_is_a_symlink_to_a_directory(tmp_path):
    (tmp_path / "real").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "real")
    assert resource_policies.desired_and_backup(params(backup_dir=str(tmp_path / "link")))[1] == str(tmp_path / "link")


def refusal_of(backup_dir: str) -> str:
    return invalid(resource_policies.desired_and_backup, params(backup_dir=backup_dir))


@pytest.mark.parametrize("mode", [0o500, 0o400, 0o600], ids=["read-only", "read-only-not-searchable", "not-searchable"])
def test_backup_dir_not_writable(unprivileged, mode):
    base, run = unprivileged
    directory = base / "locked"
    directory.mkdir()
    os.chown(directory, base.stat().st_uid, base.stat().st_gid)
    directory.chmod(mode)
    try:
        assert run(refusal_of, str(directory)) == f"backup_dir: {directory} is not writable."
    finally:
        directory.chmod(0o700)


# denies_everyone ------------------------------------------------------------------------------------------

def statement(effect="Deny", principal="*", action="*", **extra) -> dict:
    result = {"Effect": effect, "Principal": principal, "Action": action, "Resource": "*"}
    result.update(extra)
    return result


def document(*statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


SOMEONE = {"AWS": f"arn:aws:iam::{ACCOUNT}:root"}
SECURE_TRANSPORT = {"Bool": {"aws:SecureTransport": "false"}}

# (policy, denies S3 policy calls, denies SQS policy calls)
DENIES_EVERYONE = [
    (document(statement()), True, True),
    (document(statement(principal={"AWS": "*"})), True, True),
    (document(statement(principal={"AWS": ["*"]})), True, True),
    (document(statement(principal={"AWS": [SOMEONE["AWS"], "*"]})), True, True),
    (document(statement(principal=SOMEONE)), False, False),
    (document(statement(principal={"AWS": [SOMEONE["AWS"]]})), False, False),
    (document(statement(principal={"Service": "s3.amazonaws.com"})), False, False),
    (document(statement(principal=None)), False, False),
    (document({"Effect": "Deny", "Action": "*", "Resource": "*"}), False, False),
    (document(statement(effect="Allow")), False, False),
    (document(statement(Condition=SECURE_TRANSPORT)), False, False),
    (document(statement(Condition={})), True, True),
    (document(statement(action="s3:*")), True, False),
    (document(statement(action="S3:*")), True, False),
    (document(statement(action="s3:delete*")), True, False),
    (document(statement(action="s3:Delete*")), True, False),
    (document(statement(action="s3:Put*")), True, False),
    (document(statement(action="s3:*BucketPolicy")), True, False),
    (document(statement(action="s3:GetBucketPolic?")), True, False),
    (document(statement(action="s3:GetObject")), False, False),
    (document(statement(action="s3:DeleteObject*")), False, False),
    (document(statement(action=["s3:GetObject", "s3:PutObject"])), False, False),
    (document(statement(action=["s3:GetObject", "s3:PutBucketPolicy"])), True, False),
    (document(statement(action="s3")), False, False),
    (document(statement(action=[])), False, False),
    (document({"Effect": "Deny", "Principal": "*", "Resource": "*"}), False, False),
    (document(statement(action="sqs:*")), False, True),
    (document(statement(action="SQS:*")), False, True),
    (document(statement(action="sqs:Get*")), False, True),
    (document(statement(action="sqs:setqueueattributes")), False, True),
    (document(statement(action="sqs:SendMessage")), False, False),
    (document(statement(action=["sqs:SendMessage", "sqs:ReceiveMessage"])), False, False),
    (document(statement(action=["s3:*", "sqs:*"])), True, True),
    (document(statement(effect="Allow"), statement(action="s3:*")), True, False),
    (document(statement(principal=SOMEONE), statement(Condition=SECURE_TRANSPORT), statement(effect="Allow")), False, False),
    (json.dumps({"Statement": statement()}), True, True),
    (json.dumps({"Statement": statement(action="s3:GetObject")}), False, False),
    (json.dumps({"Statement": ["Deny", statement()]}), True, True),
    (json.dumps({"Statement": "Deny"}), False, False),
    (json.dumps({"Statement": []}), False, False),
    (json.dumps({"Version": "2012-10-17"}), False, False),
    (json.dumps([statement()]), False, False),
    ('"Deny"', False, False),
    ("null", False, False),
    ("{", False, False),
    ("not a policy", False, False),
    ("", False, False),
    (None, False, False),
]


@pytest.mark.parametrize("policy, s3_locked, sqs_locked", DENIES_EVERYONE)
def test_denies_everyone(policy, s3_locked, sqs_locked):
    assert resource_policies.denies_everyone(policy, S3_ACTIONS, BUCKET_ARN) is s3_locked
    assert resource_policies.denies_everyone(policy, SQS_ACTIONS, QUEUE_ARN) is sqs_locked


def test_denies_everyone_with_no_managed_actions():
    assert resource_policies.denies_everyone(document(statement()), (), BUCKET_ARN) is False


def test_denies_everyone_ignores_whitespace_and_key_order():
    policy = '{\n "Statement" : [ {"Action": "s3:*", "Principal": {"AWS": "*"}, "Effect": "Deny"} ] }'
    assert resource_policies.denies_everyone(policy, S3_ACTIONS, BUCKET_ARN) is True


@pytest.mark.parametrize("extra, locked", [
    ({"NotAction": "s3:GetObject", "Resource": "*"}, True),
    ({"NotAction": ["s3:*BucketPolicy"], "Resource": "*"}, False),
    ({"Action": "s3:*", "Resource": BUCKET_ARN}, True),
    ({"Action": "s3:*", "Resource": [BUCKET_ARN, BUCKET_ARN + "/*"]}, True),
    ({"Action": "s3:*", "Resource": "arn:aws:s3:::my-*"}, True),
    ({"Action": "s3:*", "Resource": BUCKET_ARN + "/*"}, False),
    ({"Action": "s3:*", "Resource": "arn:aws:s3:::MY-BUCKET"}, False),
    ({"Action": "s3:*", "NotResource": BUCKET_ARN + "/*"}, True),
    ({"Action": "s3:*", "NotResource": BUCKET_ARN}, False),
    ({"Action": "s3:*"}, True),
], ids=["not-action-leaving-out-objects", "not-action-leaving-out-policy-calls", "bucket", "bucket-and-objects", "wildcard",
        "objects-only", "case-differs", "not-resource-objects", "not-resource-bucket", "no-resource"])
def test_denies_everyone_honours_not_action_and_resources(extra, locked):
    policy = json.dumps({"Statement": [dict({"Effect": "Deny", "Principal": "*"}, **extra)]})
    assert resource_policies.denies_everyone(policy, S3_ACTIONS, BUCKET_ARN) is locked


def test_managed_actions():
    assert S3_ACTIONS == ("s3:GetBucketPolicy", "s3:PutBucketPolicy", "s3:DeleteBucketPolicy")
    assert SQS_ACTIONS == ("sqs:GetQueueAttributes", "sqs:SetQueueAttributes")


# same_policy ----------------------------------------------------------------------------------------------

@pytest.mark.parametrize("current, desired, same", [
    (CANONICAL, CANONICAL, True),
    (json.dumps(POLICY, indent=2), CANONICAL, True),
    (json.dumps(dict(reversed(list(POLICY.items())))), CANONICAL, True),
    ('{"Statement": [{"Sid": "\\u00e9"}]}', '{"Statement":[{"Sid":"é"}]}', True),
    (CANONICAL, CANONICAL.replace("GetObject", "PutObject"), False),
    (document(statement(), statement(action="s3:*")), document(statement(action="s3:*"), statement()), False),
    ('{"Statement": [{"Action": "s3:GetObject"}]}', '{"Statement": [{"Action": ["s3:GetObject"]}]}', False),
    (None, None, True),
    (None, CANONICAL, False),
    (CANONICAL, None, False),
    ("", None, False),
    ("{", CANONICAL, False),
    (CANONICAL, "not json", False),
])
def test_same_policy(current, desired, same):
    assert resource_policies.same_policy(current, desired) is same


# write_backup -------------------------------------------------------------------------------------------

BACKUP_NAME = re.compile(r"^210000000001-my-bucket-\d{8}T\d{6}\.\d{6}Z\.json$")


class Clock:
    """Stands in for the datetime module in resource_policies; now() returns the given instants in turn."""

    timezone = datetime.timezone

    def __init__(self, *instants):
        instants = list(instants)

        class Frozen(datetime.datetime):
            @classmethod
            def now(cls, tz=None):  # pylint: disable=unused-argument
                return instants.pop(0)

        self.datetime = Frozen


@pytest.fixture(params=[0o022, 0o000, 0o077], ids=["umask-022", "umask-000", "umask-077"])
def umask(request):
    previous = os.umask(request.param)
    yield request.param
    os.umask(previous)


@pytest.mark.usefixtures("umask")
def test_write_backup_mode_is_exactly_0600(tmp_path):
    path = resource_policies.write_backup(str(tmp_path), ACCOUNT, "my-bucket", CANONICAL)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_ISREG(os.stat(path).st_mode)


@pytest.mark.parametrize("policy", [
    CANONICAL,
    '{\n    "Version": "2012-10-17",\r\n\t"Statement" : [ {"Sid": "Zürich – ✓ 日本"} ]   \n}\n\n',
    "not even JSON \u00e9",
    "",
])
def test_write_backup_is_byte_for_byte(tmp_path, policy):
    path = resource_policies.write_backup(str(tmp_path), ACCOUNT, "my-bucket", policy)
    with open(path, "rb") as backup:
        assert backup.read() == policy.encode("utf-8")
    assert os.path.dirname(path) == str(tmp_path)
    assert BACKUP_NAME.match(os.path.basename(path))


def test_write_backup_name_has_the_utc_time(tmp_path, monkeypatch):
    instant = datetime.datetime(2025, 3, 4, 5, 6, 7, 89, tzinfo=datetime.timezone.utc)
    monkeypatch.setattr(resource_policies, "datetime", Clock(instant))
    path = resource_policies.write_backup(str(tmp_path), ACCOUNT, "my-bucket", CANONICAL)
    assert path == str(tmp_path / "210000000001-my-bucket-20250304T050607.000089Z.json")


def test_write_backup_two_in_the_same_second_get_two_files(tmp_path, monkeypatch):
    first = datetime.datetime(2025, 3, 4, 5, 6, 7, 100, tzinfo=datetime.timezone.utc)
    monkeypatch.setattr(resource_policies, "datetime", Clock(first, first.replace(microsecond=101)))
    one = resource_policies.write_backup(str(tmp_path), ACCOUNT, "my-bucket", "first")
    two = resource_policies.write_backup(str(tmp_path), ACCOUNT, "my-bucket", "second")
    assert one != two
    assert sorted(listed(tmp_path)) == [os.path.basename(one), os.path.basename(two)]
    assert (pathlib.Path(one).read_text(encoding="utf-8"), pathlib.Path(two).read_text(encoding="utf-8")) == ("first", "second")


def test_write_backup_without_a_fake_clock_never_reuses_a_name(tmp_path):
    paths = {resource_policies.write_backup(str(tmp_path), ACCOUNT, "my-bucket", str(index)) for index in range(5)}
    assert len(paths) == 5 == len(listed(tmp_path))


def test_write_backup_never_overwrites(tmp_path, monkeypatch):
    instant = datetime.datetime(2025, 3, 4, 5, 6, 7, 100, tzinfo=datetime.timezone.utc)
    monkeypatch.setattr(resource_policies, "datetime", Clock(instant, instant))
    path = resource_policies.write_backup(str(tmp_path), ACCOUNT, "my-bucket", "original")
    with pytest.raises(errors.BackupFailed, match=r"^backup_dir: the backup file .* could not be created \(File exists\); the policy was not changed\.$"):
        resource_policies.write_backup(str(tmp_path), ACCOUNT, "my-bucket", "replacement")
    assert pathlib.Path(path).read_text(encoding="utf-8") == "original"
    assert listed(tmp_path) == [os.path.basename(path)]


def test_write_backup_that_cannot_be_written_is_removed_and_classified(tmp_path, monkeypatch):
    def disk_full(descriptor):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(resource_policies.os, "fsync", disk_full)
    expected = r"could not be written or listed in MANIFEST\.sha256 \(No space left on device\); the policy was not changed\.$"
    with pytest.raises(errors.BackupFailed, match=expected) as raised:
        resource_policies.write_backup(str(tmp_path), ACCOUNT, "my-bucket", "policy")
    assert raised.value.error_class == "backup_failed"
    assert listed(tmp_path) == []


def test_write_backup_does_not_follow_a_planted_symlink(tmp_path, monkeypatch):
    instant = datetime.datetime(2025, 3, 4, 5, 6, 7, 100, tzinfo=datetime.timezone.utc)
    monkeypatch.setattr(resource_policies, "datetime", Clock(instant))
    target = tmp_path / "elsewhere"
    target.write_text("keep me")
    (tmp_path / "210000000001-my-bucket-20250304T050607.000100Z.json").symlink_to(target)
    with pytest.raises(errors.BackupFailed, match=r"\(File exists\)"):
        resource_policies.write_backup(str(tmp_path), ACCOUNT, "my-bucket", "policy")
    assert target.read_text() == "keep me"


@pytest.mark.parametrize("resource, safe", [
    ("my-bucket", "my-bucket"),
    ("my.bucket.example", "my.bucket.example"),
    ("Queue_1.fifo", "Queue_1.fifo"),
    ("a/b", "a_b"),
    ("../../etc/passwd", ".._.._etc_passwd"),
    ("/absolute", "_absolute"),
    ("https://sqs.us-east-1.amazonaws.com/210000000001/q", "https___sqs.us-east-1.amazonaws.com_210000000001_q"),
    ("with space\\and\x00nul", "with_space_and_nul"),
    ("qüeue", "q_eue"),
])
def test_write_backup_sanitizes_the_resource_name(tmp_path, monkeypatch, resource, safe):
    instant = datetime.datetime(2025, 3, 4, 5, 6, 7, 0, tzinfo=datetime.timezone.utc)
    monkeypatch.setattr(resource_policies, "datetime", Clock(instant))
    path = resource_policies.write_backup(str(tmp_path), ACCOUNT, resource, "policy")
    assert path == os.path.join(str(tmp_path), f"{ACCOUNT}-{safe}-20250304T050607.000000Z.json")
    assert listed(tmp_path) == [os.path.basename(path)]


def test_write_backup_into_a_missing_directory_raises(tmp_path):
    with pytest.raises(errors.BackupFailed, match=r"\(No such file or directory\)"):
        resource_policies.write_backup(str(tmp_path / "missing"), ACCOUNT, "my-bucket", "policy")


# unlock ------------------------------------------------------------------------------------------------

class Resource:
    """A BucketPolicy/QueuePolicy stand-in that records every call."""

    managed_actions = S3_ACTIONS
    arn = BUCKET_ARN

    def __init__(self, current, name="my-bucket", delete_error=None, put_error=None, locate_error=None):
        self.session = types.SimpleNamespace(account_id=ACCOUNT)
        self.resource = name
        self.current = current
        self.calls = []
        self.delete_error = delete_error
        self.put_error = put_error
        self.locate_error = locate_error

    def locate(self):
        self.calls.append("locate")
        if self.locate_error is not None:
            raise self.locate_error

    def read(self):
        self.calls.append("read")
        return self.current

    def delete(self):
        self.calls.append("delete")
        if self.delete_error is not None:
            raise self.delete_error

    def put(self, policy):
        self.calls.append(("put", policy))
        if self.put_error is not None:
            raise self.put_error


LOCKED = '{\n  "Version": "2012-10-17",\n  "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*"}]\n}'
LOCKED_CANONICAL = json.dumps(json.loads(LOCKED), sort_keys=True, separators=(",", ":"))
UNLOCKED = json.dumps(POLICY, indent=2)
DESIRED = ('{"Statement":[{"Action":"s3:GetObject","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::210000000001:root"},'
           '"Resource":"arn:aws:s3:::my-bucket/*"}],"Version":"2012-10-17"}')
DESIRED_REFORMATTED = json.dumps(json.loads(DESIRED), indent=3)

# (current, desired, only_if_locked, changed, message)
UNLOCK_CASES = [
    (LOCKED, None, True, True, None),
    (LOCKED, None, False, True, None),
    (UNLOCKED, None, True, False, NOT_LOCKED_MESSAGE),
    (UNLOCKED, None, False, True, None),
    (None, None, True, False, None),
    (None, None, False, False, None),
    (LOCKED, DESIRED, True, True, None),
    (LOCKED, DESIRED, False, True, None),
    (UNLOCKED, DESIRED, True, False, NOT_LOCKED_MESSAGE),
    (UNLOCKED, DESIRED, False, True, None),
    (None, DESIRED, True, False, NO_POLICY_MESSAGE),
    (None, DESIRED, False, True, None),
    (DESIRED_REFORMATTED, DESIRED, True, False, None),
    (DESIRED_REFORMATTED, DESIRED, False, False, None),
    (LOCKED, LOCKED_CANONICAL, True, False, None),
    (UNLOCKED, CANONICAL, True, False, None),
    ("not json", None, True, False, NOT_LOCKED_MESSAGE),
    ("not json", None, False, True, None),
]


def parsed(policy):
    if policy is None:
        return None
    try:
        return json.loads(policy)
    except ValueError:
        return policy


@pytest.mark.parametrize("check_mode", [False, True], ids=["apply", "check"])
@pytest.mark.parametrize("current, desired, only_if_locked, changed, message", UNLOCK_CASES)
def test_unlock_decides_and_acts(tmp_path, current, desired, only_if_locked, changed, message, check_mode):
    resource = Resource(current)
    result = resource_policies.unlock(resource, desired, only_if_locked, str(tmp_path), check_mode)

    acts = changed and not check_mode
    change = [] if not acts else ["read", "delete"] if desired is None else ["read", ("put", desired)]
    assert resource.calls == ["locate", "read"] + change
    backups = listed(tmp_path)
    if acts and current is not None:
        assert result["backup_file"] == str(tmp_path / backups[0]) and len(backups) == 1
        with open(result["backup_file"], "rb") as backup:
            assert backup.read() == current.encode("utf-8")
    else:
        assert backups == [] and result["backup_file"] is None
    after = desired if changed else current
    assert result == {
        "changed": changed,
        "account_id": ACCOUNT,
        "locked": resource_policies.denies_everyone(current, S3_ACTIONS, BUCKET_ARN),
        "previous_policy": current,
        "policy": after,
        "backup_file": result["backup_file"],
        "backup_sha256": hashlib.sha256(current.encode("utf-8")).hexdigest() if acts and current is not None else None,
        "message": message,
        "diff": {"before": {"policy": parsed(current)}, "after": {"policy": parsed(after)}},
    }


def test_unlock_check_mode_never_writes(tmp_path, monkeypatch):
    def no_backup(*args):
        raise AssertionError("no backup in check mode")

    monkeypatch.setattr(resource_policies, "write_backup", no_backup)
    for desired in (None, DESIRED):
        resource = Resource(LOCKED)
        result = resource_policies.unlock(resource, desired, False, str(tmp_path), True)
        assert result["changed"] is True and result["backup_file"] is None
        assert resource.calls == ["locate", "read"]
    assert listed(tmp_path) == []


@pytest.mark.parametrize("desired", [None, DESIRED])
def test_unlock_without_backup_dir_still_changes(desired):
    resource = Resource(LOCKED)
    result = resource_policies.unlock(resource, desired, True, None, False)
    assert result["changed"] is True and result["backup_file"] is None
    assert resource.calls[-1] == ("delete" if desired is None else ("put", desired))


def test_unlock_reports_locked_from_the_resource_actions():
    resource = Resource(document(statement(action="sqs:*")))
    assert resource_policies.unlock(resource, None, True, None, True)["locked"] is False
    resource.managed_actions = SQS_ACTIONS
    assert resource_policies.unlock(resource, None, True, None, True)["locked"] is True


@pytest.mark.parametrize("desired", [None, DESIRED])
def test_unlock_a_failed_backup_stops_the_change(tmp_path, monkeypatch, desired):
    def failing_backup(*args):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(resource_policies, "write_backup", failing_backup)
    resource = Resource(LOCKED)
    with pytest.raises(OSError, match="No space left"):
        resource_policies.unlock(resource, desired, True, str(tmp_path), False)
    assert resource.calls == ["locate", "read", "read"]


@pytest.mark.parametrize("desired", [None, DESIRED])
def test_unlock_backup_dir_gone_stops_the_change(tmp_path, desired):
    resource = Resource(LOCKED)
    with pytest.raises(errors.BackupFailed, match=r"\(No such file or directory\); the policy was not changed\.$"):
        resource_policies.unlock(resource, desired, True, str(tmp_path / "removed-since-checked"), False)
    assert resource.calls == ["locate", "read", "read"]


def unlock_failure(directory: str) -> tuple:
    """The error an unlock into the directory raises, and the calls it made."""
    resource = Resource(LOCKED)
    with pytest.raises(errors.BackupFailed) as excinfo:
        resource_policies.unlock(resource, None, True, directory, False)
    return excinfo.value.message, resource.calls


def test_unlock_unwritable_backup_dir_stops_the_change(unprivileged):
    base, run = unprivileged
    directory = base / "read-only"
    directory.mkdir()
    os.chown(directory, base.stat().st_uid, base.stat().st_gid)
    directory.chmod(0o500)
    try:
        message, calls = run(unlock_failure, str(directory))
    finally:
        directory.chmod(0o700)
    assert "(Permission denied)" in message
    assert calls == ["locate", "read", "read"]


@pytest.mark.parametrize("desired", [None, DESIRED])
def test_unlock_a_failed_change_keeps_the_backup(tmp_path, desired):
    denied = errors.AccessDenied("denied", "AccessDenied", "DeleteBucketPolicy")
    resource = Resource(LOCKED, delete_error=denied, put_error=denied)
    with pytest.raises(errors.AccessDenied) as excinfo:
        resource_policies.unlock(resource, desired, True, str(tmp_path), False)
    assert excinfo.value is denied
    backups = listed(tmp_path)
    assert len(backups) == 1 and BACKUP_NAME.match(backups[0])
    assert (tmp_path / backups[0]).read_bytes() == LOCKED.encode("utf-8")
    assert resource.calls == ["locate", "read", "read", "delete" if desired is None else ("put", desired)]


def test_unlock_a_failed_locate_reads_nothing(tmp_path):
    resource = Resource(LOCKED, locate_error=errors.NotFound("bucket: my-bucket is not a bucket of account 210000000001."))
    with pytest.raises(errors.NotFound):
        resource_policies.unlock(resource, None, True, str(tmp_path), False)
    assert resource.calls == ["locate"]
    assert listed(tmp_path) == []


def test_unlock_backup_uses_the_resource_name(tmp_path):
    resource = Resource(LOCKED, name="orders.fifo")
    path = resource_policies.unlock(resource, None, True, str(tmp_path), False)["backup_file"]
    assert re.match(r"^210000000001-orders\.fifo-\d{8}T\d{6}\.\d{6}Z\.json$", os.path.basename(path))


# BucketPolicy / QueuePolicy on stubbed clients ---------------------------------------------------------------

class Session:
    """The part of a RootSession the resources use: every client is the stubbed one of its service."""

    def __init__(self, aws):
        self.aws = aws
        self.account_id = ACCOUNT
        self.regions = []

    def client(self, service, region=None):
        self.regions.append((service, region))
        return self.aws.client(service)


def bucket(name, region=None) -> dict:
    entry = {"Name": name, "CreationDate": datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)}
    if region:
        entry["BucketRegion"] = region
    return entry


@pytest.mark.parametrize("listed_region, region", [("eu-west-1", "eu-west-1"), (None, "us-east-1")])
def test_bucket_policy_locate_takes_the_listed_region(aws, listed_region, region):
    aws.respond("s3", "list_buckets", {"Buckets": [bucket("my-bucket-logs", "ap-south-1"), bucket("my-bucket", listed_region)]},
                Prefix="my-bucket", MaxBuckets=1000)
    resource = BucketPolicy(Session(aws), "my-bucket", "us-east-1")
    resource.locate()
    assert resource.region == region
    assert resource.resource == "my-bucket"


@pytest.mark.parametrize("buckets", [[], [bucket("my-bucket-logs")]])
def test_bucket_policy_locate_not_found(aws, buckets):
    aws.respond("s3", "list_buckets", {"Buckets": buckets}, Prefix="my-bucket", MaxBuckets=1000)
    with pytest.raises(errors.NotFound) as excinfo:
        BucketPolicy(Session(aws), "my-bucket", "us-east-1").locate()
    assert excinfo.value.message == f"bucket: my-bucket is not a bucket of account {ACCOUNT}."


def test_bucket_policy_read_delete_put(aws):
    session = Session(aws)
    resource = BucketPolicy(session, "my-bucket", "eu-west-1")
    aws.respond("s3", "get_bucket_policy", {"Policy": LOCKED}, Bucket="my-bucket")
    aws.respond("s3", "delete_bucket_policy", {}, Bucket="my-bucket")
    aws.respond("s3", "put_bucket_policy", {}, Bucket="my-bucket", Policy=DESIRED)
    assert resource.read() == LOCKED
    resource.delete()
    resource.put(DESIRED)
    assert aws.calls == ["s3:GetBucketPolicy", "s3:DeleteBucketPolicy", "s3:PutBucketPolicy"]
    assert session.regions == [("s3", "eu-west-1")] * 3


def test_bucket_policy_read_without_a_policy(aws):
    aws.fail("s3", "get_bucket_policy", "NoSuchBucketPolicy", "The bucket policy does not exist", status=404, Bucket="my-bucket")
    assert BucketPolicy(Session(aws), "my-bucket", "us-east-1").read() is None


def test_bucket_policy_read_denied(aws):
    aws.fail("s3", "get_bucket_policy", "AccessDenied", "Access Denied", status=403, Bucket="my-bucket")
    with pytest.raises(errors.AccessDenied):
        BucketPolicy(Session(aws), "my-bucket", "us-east-1").read()


QUEUE_URL = f"https://sqs.us-east-1.amazonaws.com/{ACCOUNT}/orders"


def test_queue_policy_from_a_url_does_not_look_it_up(aws):
    resource = QueuePolicy(Session(aws), QUEUE_URL, None, "us-east-1")
    assert resource.resource == "orders"
    resource.locate()
    assert resource.url == QUEUE_URL
    assert aws.calls == []


def test_queue_policy_locate_by_name(aws):
    aws.respond("sqs", "get_queue_url", {"QueueUrl": QUEUE_URL}, QueueName="orders", QueueOwnerAWSAccountId=ACCOUNT)
    resource = QueuePolicy(Session(aws), None, "orders", "us-east-1")
    resource.locate()
    assert resource.url == QUEUE_URL


@pytest.mark.parametrize("code", ["QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"])
def test_queue_policy_locate_not_found(aws, code):
    aws.fail("sqs", "get_queue_url", code, "The specified queue does not exist.", QueueName="orders", QueueOwnerAWSAccountId=ACCOUNT)
    with pytest.raises(errors.NotFound) as excinfo:
        QueuePolicy(Session(aws), None, "orders", "eu-west-1").locate()
    assert excinfo.value.message == f"queue_name: orders is not a queue of account {ACCOUNT} in eu-west-1."
    assert excinfo.value.aws_error_code == code


@pytest.mark.parametrize("attributes, policy", [({"Policy": LOCKED}, LOCKED), ({"Policy": ""}, None), ({}, None)])
def test_queue_policy_read(aws, attributes, policy):
    aws.respond("sqs", "get_queue_attributes", {"Attributes": attributes}, QueueUrl=QUEUE_URL, AttributeNames=["Policy"])
    assert QueuePolicy(Session(aws), QUEUE_URL, None, "us-east-1").read() == policy


def test_queue_policy_delete_sets_an_empty_policy(aws):
    aws.respond("sqs", "set_queue_attributes", {}, QueueUrl=QUEUE_URL, Attributes={"Policy": ""})
    aws.respond("sqs", "set_queue_attributes", {}, QueueUrl=QUEUE_URL, Attributes={"Policy": DESIRED})
    resource = QueuePolicy(Session(aws), QUEUE_URL, None, "us-east-1")
    resource.delete()
    resource.put(DESIRED)
    assert aws.calls == ["sqs:SetQueueAttributes", "sqs:SetQueueAttributes"]


# Honest claims when the policy changes during the run ----------------------------------------------------------

class ChangingResource(Resource):
    """A resource whose policy someone else replaces between two reads: ``reads`` are returned in turn."""

    def __init__(self, *reads):
        super().__init__(reads[0])
        self.reads = list(reads)

    def read(self):
        self.calls.append("read")
        return self.reads.pop(0)


OTHER_LOCK = json.dumps({"Statement": [{"Sid": "NewLock", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]})


@pytest.mark.parametrize("desired", [None, DESIRED])
def test_unlock_decides_again_when_the_policy_was_replaced_by_one_that_does_not_lock(tmp_path, desired):
    resource = ChangingResource(LOCKED, UNLOCKED)
    result = resource_policies.unlock(resource, desired, True, str(tmp_path), False)
    assert resource.calls == ["locate", "read", "read"]
    assert result["changed"] is False
    assert result["locked"] is False
    assert result["previous_policy"] == result["policy"] == UNLOCKED
    assert result["backup_file"] is None and result["backup_sha256"] is None
    assert result["message"] == ("The policy changed after it was first read; this run decided on the policy read just before the change. "
                                 + NOT_LOCKED_MESSAGE)
    assert listed(tmp_path) == []


@pytest.mark.parametrize("desired", [None, DESIRED])
def test_unlock_backs_up_and_reports_the_policy_its_write_replaced(tmp_path, desired):
    resource = ChangingResource(LOCKED, OTHER_LOCK)
    result = resource_policies.unlock(resource, desired, True, str(tmp_path), False)
    assert resource.calls == ["locate", "read", "read", "delete" if desired is None else ("put", desired)]
    assert result["changed"] is True and result["locked"] is True
    assert result["previous_policy"] == OTHER_LOCK
    assert pathlib.Path(result["backup_file"]).read_bytes() == OTHER_LOCK.encode("utf-8")
    assert result["backup_sha256"] == hashlib.sha256(OTHER_LOCK.encode("utf-8")).hexdigest()
    assert listed(tmp_path) == [os.path.basename(result["backup_file"])]
    assert result["diff"]["before"] == {"policy": json.loads(OTHER_LOCK)}
    assert result["message"] == "The policy changed after it was first read; this run decided on the policy read just before the change."


def test_unlock_a_policy_deleted_meanwhile_is_not_deleted_again(tmp_path):
    resource = ChangingResource(LOCKED, None)
    result = resource_policies.unlock(resource, None, True, str(tmp_path), False)
    assert resource.calls == ["locate", "read", "read"]
    assert (result["changed"], result["previous_policy"], result["backup_file"]) == (False, None, None)


def test_unlock_bucket_rereads_just_before_the_delete_on_stubbed_s3(aws, tmp_path):
    """The calls as botocore sees them: the second GetBucketPolicy comes right before DeleteBucketPolicy,
    and its answer is what is backed up and reported."""
    aws.respond("s3", "list_buckets", {"Buckets": [bucket("my-bucket", "us-east-1")]}, Prefix="my-bucket", MaxBuckets=1000)
    aws.respond("s3", "get_bucket_policy", {"Policy": LOCKED}, Bucket="my-bucket")
    aws.respond("s3", "get_bucket_policy", {"Policy": OTHER_LOCK}, Bucket="my-bucket")
    aws.respond("s3", "delete_bucket_policy", {}, Bucket="my-bucket")
    result = resource_policies.unlock(BucketPolicy(Session(aws), "my-bucket", "us-east-1"), None, True, str(tmp_path), False)
    assert aws.calls == ["s3:ListBuckets", "s3:GetBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy"]
    assert result["previous_policy"] == OTHER_LOCK
    assert pathlib.Path(result["backup_file"]).read_bytes() == OTHER_LOCK.encode("utf-8")


def test_unlock_bucket_leaves_a_replacement_that_does_not_lock_on_stubbed_s3(aws, tmp_path):
    aws.respond("s3", "list_buckets", {"Buckets": [bucket("my-bucket", "us-east-1")]}, Prefix="my-bucket", MaxBuckets=1000)
    aws.respond("s3", "get_bucket_policy", {"Policy": LOCKED}, Bucket="my-bucket")
    aws.respond("s3", "get_bucket_policy", {"Policy": UNLOCKED}, Bucket="my-bucket")
    result = resource_policies.unlock(BucketPolicy(Session(aws), "my-bucket", "us-east-1"), None, True, str(tmp_path), False)
    assert aws.calls == ["s3:ListBuckets", "s3:GetBucketPolicy", "s3:GetBucketPolicy"]
    assert (result["changed"], result["previous_policy"], result["backup_file"]) == (False, UNLOCKED, None)


# --diff of a policy with a lone surrogate ------------------------------------------------------------------------

LONE_SURROGATE = '{"Statement": [{"Sid": "\\ud83d", "Effect": "Deny", "Principal": "*", "Action": "*", "Resource": "*"}]}'


def test_unlock_diff_of_a_policy_with_a_lone_surrogate_is_its_text(tmp_path):
    """Ansible refuses a result holding a character with no UTF-8 form, and would report the task
    failed after the policy was deleted: the diff shows the policy's text (pure ASCII) instead."""
    result = resource_policies.unlock(Resource(LONE_SURROGATE), None, True, str(tmp_path), False)
    assert result["changed"] is True
    assert result["diff"] == {"before": {"policy": LONE_SURROGATE}, "after": {"policy": None}}
    json.dumps(result, ensure_ascii=False).encode("utf-8")


# The manifest and restore_from ------------------------------------------------------------------------------------

def manifest_lines(directory) -> list:
    return (pathlib.Path(directory) / resource_policies.MANIFEST).read_text().splitlines()


def test_write_backup_lists_each_backup_in_the_manifest_as_sha256sum_does(tmp_path):
    first = resource_policies.write_backup(str(tmp_path), ACCOUNT, "my-bucket", CANONICAL)
    second = resource_policies.write_backup(str(tmp_path), ACCOUNT, "my-bucket", LOCKED)
    assert manifest_lines(tmp_path) == [
        f"{hashlib.sha256(CANONICAL.encode()).hexdigest()}  {os.path.basename(first)}",
        f"{hashlib.sha256(LOCKED.encode()).hexdigest()}  {os.path.basename(second)}",
    ]
    assert stat.S_IMODE((tmp_path / resource_policies.MANIFEST).stat().st_mode) == 0o600


def test_write_backup_a_manifest_that_cannot_be_written_removes_the_backup(tmp_path):
    (tmp_path / resource_policies.MANIFEST).mkdir()
    with pytest.raises(errors.BackupFailed, match=r"could not be written or listed in MANIFEST\.sha256 \(Is a directory\)"):
        resource_policies.write_backup(str(tmp_path), ACCOUNT, "my-bucket", CANONICAL)
    assert listed(tmp_path) == []


def backed_up(tmp_path, policy=LOCKED) -> pathlib.Path:
    directory = tmp_path / "backups"
    directory.mkdir(mode=0o700, exist_ok=True)
    return pathlib.Path(resource_policies.write_backup(str(directory), ACCOUNT, "my-bucket", policy))


def test_restore_from_gives_the_backup_byte_for_byte(tmp_path):
    policy = '{\n  "Version": "2012-10-17",\n\t"Statement": [{"Sid": "Z\\u00fcrich \\ud83d\\ude00", "b": 1, "a": 2}]\n}\n'
    path = backed_up(tmp_path, policy)
    assert resource_policies.restore_document(str(path)) == policy
    assert resource_policies.desired_and_backup(params("present") | {"restore_from": str(path)}) == (policy, None)


def test_restore_from_refuses_a_swapped_backup(tmp_path):
    path = backed_up(tmp_path)
    path.write_text(LOCKED.replace("Deny", "Allow"))
    found = hashlib.sha256(path.read_bytes()).hexdigest()
    assert invalid(resource_policies.restore_document, str(path)) == (
        f"restore_from: {path} has SHA-256 {found}, but {path.parent / 'MANIFEST.sha256'} lists "
        f"{hashlib.sha256(LOCKED.encode()).hexdigest()}: the file was changed after the backup was written; it was not restored.")


def test_restore_from_refuses_a_file_the_manifest_does_not_list(tmp_path):
    backed_up(tmp_path)
    planted = tmp_path / "backups" / "planted.json"
    planted.write_text(LOCKED)
    assert invalid(resource_policies.restore_document, str(planted)) == (
        f"restore_from: {planted} has no entry in {planted.parent / 'MANIFEST.sha256'}, so nothing proves it is the backup this "
        "collection wrote; it was not restored. To restore a backup from elsewhere, give its SHA-256 in restore_sha256.")


def test_restore_from_without_a_manifest(tmp_path):
    lone = tmp_path / "lone.json"
    lone.write_text(LOCKED)
    assert invalid(resource_policies.restore_document, str(lone)) == (
        f"restore_from: there is no MANIFEST.sha256 in {tmp_path}, so nothing proves {lone} is the backup this collection wrote; "
        "it was not restored. To restore a backup from elsewhere, give its SHA-256 in restore_sha256.")


def test_restore_sha256_verifies_a_backup_from_elsewhere(tmp_path):
    elsewhere = tmp_path / "copied.json"
    elsewhere.write_text(LOCKED)
    digest = hashlib.sha256(LOCKED.encode()).hexdigest()
    assert resource_policies.restore_document(str(elsewhere), digest.upper()) == LOCKED
    wrong = "0" * 64
    assert invalid(resource_policies.restore_document, str(elsewhere), wrong) == (
        f"restore_sha256: {elsewhere} has SHA-256 {digest}, not {wrong}; it was not restored.")
    assert invalid(resource_policies.restore_document, str(elsewhere), "abc") == "restore_sha256: not a SHA-256 digest (64 hexadecimal digits)."


def test_restore_from_in_a_directory_another_user_can_change(tmp_path):
    path = backed_up(tmp_path)
    path.parent.chmod(0o777)
    assert "is writable by other users" in invalid(resource_policies.restore_document, str(path))
    path.parent.chmod(0o700)
    if RUNNING_AS_ROOT:
        os.chown(path.parent, 65534, 65534)
        message = invalid(resource_policies.restore_document, str(path))
        assert message.startswith("restore_from: ") and " is owned by user id 65534, not by this user (0)" in message


@pytest.mark.skipif(not RUNNING_AS_ROOT, reason="needs root to give a file to another user")
def test_restore_from_a_manifest_another_user_owns(tmp_path):
    path = backed_up(tmp_path)
    os.chown(path.parent / resource_policies.MANIFEST, 65534, 65534)
    assert "owned by another user or writable by other users" in invalid(resource_policies.restore_document, str(path))


def test_restore_from_does_not_follow_a_symlink(tmp_path):
    path = backed_up(tmp_path)
    link = path.parent / "link.json"
    link.symlink_to(path)
    assert invalid(resource_policies.restore_document, str(link)).startswith(f"restore_from: {link} cannot be read (")


def test_restore_from_refuses_duplicate_keys_and_what_is_not_utf8(tmp_path):
    duplicated = backed_up(tmp_path, '{"Statement": [{"Effect": "Deny", "Effect": "Allow"}]}')
    assert invalid(resource_policies.restore_document, str(duplicated)).startswith("restore_from: the key 'Effect' appears twice")
    directory = tmp_path / "latin1"
    directory.mkdir(mode=0o700)
    data = '{"Statement": [{"Sid": "Zürich"}]}'.encode("latin-1")
    (directory / "p.json").write_bytes(data)
    assert invalid(resource_policies.restore_document, str(directory / "p.json"), hashlib.sha256(data).hexdigest()) == (
        f"restore_from: {directory / 'p.json'} is not UTF-8 text, so it is not a policy.")


def test_a_backup_over_20480_bytes_written_by_the_module_is_restored(tmp_path):
    big = json.dumps({"Version": "2012-10-17", "Statement": [statement(Sid=f"S{index}", Resource=f"arn:aws:s3:::b/{index:04}")
                                                             for index in range(300)]}, indent=4)
    assert len(big.encode()) > 20480
    result = resource_policies.unlock(Resource(big), None, False, str(tmp_path), False)
    assert resource_policies.restore_document(result["backup_file"]) == big


@pytest.mark.parametrize("extra, option", [
    ({"state": "absent", "restore_from": "/x.json"}, "restore_from: only used with state: present; state: absent deletes the policy."),
    ({"state": "present", "policy": None, "restore_from": None, "restore_sha256": "0" * 64}, "restore_sha256: only used with restore_from."),
])
def test_desired_and_backup_restore_options(extra, option):
    assert invalid(resource_policies.desired_and_backup, params() | extra) == option


def test_restore_is_checked_before_the_backup_dir(tmp_path):
    message = invalid(resource_policies.desired_and_backup, params("present", backup_dir=str(tmp_path / "missing"))
                      | {"restore_from": str(tmp_path / "none.json"), "restore_sha256": "0" * 64})
    assert message.startswith("restore_from: ")


# backup_dir must be private -------------------------------------------------------------------------------------

@pytest.mark.parametrize("mode", [0o777, 0o770, 0o722])
def test_backup_dir_writable_by_others_is_refused(tmp_path, mode):
    directory = tmp_path / "shared"
    directory.mkdir()
    directory.chmod(mode)
    message = invalid(resource_policies.desired_and_backup, params(backup_dir=str(directory)))
    assert message.startswith("backup_dir: ") and message.endswith(
        f" is writable by other users (mode {mode:04o}) without the sticky bit: they could replace "
        "what is written there. Use chmod go-w, or another directory.")


def test_backup_dir_with_the_sticky_bit_is_accepted(tmp_path):
    directory = tmp_path / "sticky"
    directory.mkdir()
    directory.chmod(0o1777)
    assert resource_policies.desired_and_backup(params(backup_dir=str(directory)))[1] == str(directory)


@pytest.mark.skipif(not RUNNING_AS_ROOT, reason="needs root to give a directory to another user")
def test_backup_dir_owned_by_another_user_is_refused(tmp_path):
    directory = tmp_path / "theirs"
    directory.mkdir(mode=0o700)
    os.chown(directory, 65534, 65534)
    message = invalid(resource_policies.desired_and_backup, params(backup_dir=str(directory)))
    assert message.startswith("backup_dir: ") and " is owned by user id 65534, not by this user (0)" in message


# The queue's Region from its URL ------------------------------------------------------------------------------------

@pytest.mark.parametrize("url, region", [
    (f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/q", "eu-west-1"),
    (f"https://sqs.ap-southeast-2.amazonaws.com:443/{ACCOUNT}/q", "ap-southeast-2"),
    (f"https://sqs.cn-north-1.amazonaws.com.cn/{ACCOUNT}/q", "cn-north-1"),
    (f"https://us-west-2.queue.amazonaws.com/{ACCOUNT}/q", "us-west-2"),
    (f"https://queue.amazonaws.com/{ACCOUNT}/q", "us-east-1"),
    (f"https://SQS.EU-CENTRAL-1.AMAZONAWS.COM/{ACCOUNT}/q", "eu-central-1"),
    (f"http://127.0.0.1:4566/{ACCOUNT}/q", None),
    (f"http://localhost:4566/{ACCOUNT}/q", None),
    (f"https://sqs.eu-west-1.example.com/{ACCOUNT}/q", None),
])
def test_queue_url_region(url, region):
    assert resource_policies.queue_url_region(url) == region
    assert resource_policies.queue_region(url, "sa-east-1", None) == (region or "sa-east-1")


def test_queue_region_from_a_url_and_a_region_option_that_disagree():
    url = f"https://sqs.eu-west-1.amazonaws.com/{ACCOUNT}/q"
    assert resource_policies.queue_region(url, None, "eu-west-1") == "eu-west-1"
    assert invalid(resource_policies.queue_region, url, None, "us-east-1") == (
        "queue_url: the URL names Region eu-west-1, but region is us-east-1; leave region out, or give the URL of the queue in that Region.")
    assert resource_policies.queue_region(f"http://127.0.0.1:4566/{ACCOUNT}/q", None, "us-east-1") is None
    assert resource_policies.queue_region(None, "eu-west-2", "eu-west-2") == "eu-west-2"


# The bucket's Region given: no ListBuckets -------------------------------------------------------------------------

@pytest.mark.parametrize("desired", [None, DESIRED])
def test_unlock_bucket_with_its_region_given_makes_no_list_buckets(aws, tmp_path, desired):
    """Given the Region, the only calls are the bucket's own, there: a guardrail that denies the root user everything but
    the bucket-policy calls (AWS's sample SCP "Deny the root user from performing actions except S3 bucket policy changes")
    does not stop the unlock."""
    aws.respond("s3", "get_bucket_policy", {"Policy": LOCKED}, Bucket="my-bucket")
    aws.respond("s3", "get_bucket_policy", {"Policy": LOCKED}, Bucket="my-bucket")
    if desired is None:
        aws.respond("s3", "delete_bucket_policy", {}, Bucket="my-bucket")
    else:
        aws.respond("s3", "put_bucket_policy", {}, Bucket="my-bucket", Policy=desired)
    session = Session(aws)
    result = resource_policies.unlock(BucketPolicy(session, "my-bucket", "eu-west-1", region_given=True), desired, True, str(tmp_path), False)
    assert aws.calls == ["s3:GetBucketPolicy", "s3:GetBucketPolicy", "s3:DeleteBucketPolicy" if desired is None else "s3:PutBucketPolicy"]
    assert session.regions == [("s3", "eu-west-1")] * 3
    assert result["changed"] is True
    assert pathlib.Path(result["backup_file"]).read_bytes() == LOCKED.encode("utf-8")


@pytest.mark.parametrize("code, message, error_class", [
    ("AccessDenied", "User: arn:aws:iam::210000000001:root is not authorized to perform: s3:ListAllMyBuckets with an explicit deny in a "
                     "service control policy", errors.DeniedBySCP),
    ("AccessDenied", "Access Denied", errors.AccessDenied),
])
def test_bucket_policy_locate_denied_says_to_give_region(aws, tmp_path, code, message, error_class):
    aws.fail("s3", "list_buckets", code, message, status=403, Prefix="my-bucket", MaxBuckets=1000)
    with pytest.raises(error_class) as excinfo:
        resource_policies.unlock(BucketPolicy(Session(aws), "my-bucket", "us-east-1"), None, True, str(tmp_path), False)
    assert excinfo.value.message.startswith(
        "bucket: finding the Region of my-bucket needs ListBuckets (s3:ListAllMyBuckets), which was denied; give region (the bucket's "
        "Region) and the module goes to the bucket directly, without listing. ")
    assert message in excinfo.value.message
    assert (excinfo.value.aws_error_code, excinfo.value.operation) == (code, "ListBuckets")
    assert aws.calls == ["s3:ListBuckets"]
    assert listed(tmp_path) == []


def test_bucket_policy_with_its_region_given_of_no_bucket_is_not_found(aws, tmp_path):
    aws.fail("s3", "get_bucket_policy", "NoSuchBucket", "The specified bucket does not exist", status=404, Bucket="my-bucket")
    with pytest.raises(errors.NotFound) as excinfo:
        resource_policies.unlock(BucketPolicy(Session(aws), "my-bucket", "eu-west-1", region_given=True), None, True, str(tmp_path), False)
    assert excinfo.value.message == (f"bucket: my-bucket is not a bucket of account {ACCOUNT} (S3 in eu-west-1 answered NoSuchBucket); "
                                     "check the name, and region when given.")
    assert aws.calls == ["s3:GetBucketPolicy"]
    assert listed(tmp_path) == []


@pytest.mark.parametrize("arguments, region, given", [
    ({"region": "eu-west-1"}, "eu-west-1", "eu-west-1"),
    ({"aws_region": "eu-west-1"}, "eu-west-1", "eu-west-1"),
    ({"region": "us-east-1"}, "us-east-1", "us-east-1"),  # the same as AWS_DEFAULT_REGION, but given by the task
    ({}, "us-east-1", None),  # the AWS_DEFAULT_REGION fallback
    ({"region": None}, None, None),
], ids=["region", "alias", "equal-to-the-variable", "fallback", "none"])
def test_given_region_reads_the_task_arguments(monkeypatch, arguments, region, given):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert resource_policies.given_region(region, arguments) == given


def test_given_region_without_the_task_arguments_is_explicit_region(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    assert resource_policies.given_region("us-east-1") is None
    assert resource_policies.given_region("eu-west-1") == "eu-west-1"


def bucket_params(**values) -> dict:
    return {"account_id": ACCOUNT, "bucket": "my-bucket", "region": "us-east-1", "state": "absent", "policy": None, "only_if_locked": True,
            "backup_dir": None, "restore_from": None, "restore_sha256": None, **values}


@pytest.mark.parametrize("arguments, expected", [({"region": "us-east-1"}, ("us-east-1", True)), ({}, ("us-east-1", False))],
                         ids=["given", "fallback"])
def test_root_bucket_policy_passes_the_given_region_on(monkeypatch, arguments, expected):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    seen = {}
    monkeypatch.setattr(resource_policies, "unlock_bucket", lambda factory, *args: seen.setdefault("region", args[-1]))
    factory = types.SimpleNamespace(region="us-east-1")
    resource_policies.root_bucket_policy(factory, bucket_params(), False, task_arguments={"account_id": ACCOUNT, **arguments})
    assert (seen["region"] or factory.region, seen["region"] is not None) == expected


def test_root_queue_policy_a_given_region_that_contradicts_the_url_fails_even_when_it_equals_the_variable(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    params = {**bucket_params(), "queue_url": f"https://sqs.us-west-2.amazonaws.com/{ACCOUNT}/orders", "queue_name": None}
    factory = types.SimpleNamespace(region="us-east-1")
    assert invalid(resource_policies.root_queue_policy, factory, params, False, task_arguments={"region": "us-east-1"}) == (
        "queue_url: the URL names Region us-west-2, but region is us-east-1; leave region out, or give the URL of the queue in that Region.")
