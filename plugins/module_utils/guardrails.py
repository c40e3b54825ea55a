# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The collection's own reading of AWS policy evaluation, to predict which calls of the root tasks
the organization's SCPs and RCPs would deny, before any root session is opened.

Pure functions over policy documents; no AWS call.  The rules, and where AWS states them:

- IAM User Guide, "Policy evaluation logic": an explicit deny in any policy wins; SCPs and RCPs grant
  nothing, they only bound what may be allowed.
- Organizations User Guide, "Service control policies (SCPs)" and "SCP evaluation": an action is
  allowed only if an SCP allows it at every level of the path (the root, each OU, the account); an
  explicit deny at any level denies it.  SCPs never apply to the management account.
- Organizations User Guide, "Resource control policies (RCPs)": the same rule for resources of the
  services that support RCPs (Amazon S3, AWS STS, AWS KMS, Amazon SQS, AWS Secrets Manager; see
  RCP_SERVICES); IAM is not among them, so no RCP can stop the credential tasks.  RCPs apply to
  root users too.  Whether an RCP governs an action on no resource (s3:ListAllMyBuckets) AWS does
  not say: such a deny is reported uncertain.
- IAM User Guide, "IAM JSON policy elements: Condition" and "Condition operators": operators AND,
  keys of one operator AND, values of one key OR; key names case-insensitive; a negated operator on
  a key absent from the request is true; ``...IfExists`` on an absent key is true; ``Null``
  tests presence; ``ForAnyValue:`` is false and ``ForAllValues:`` true on an absent key.
- IAM User Guide, "IAM policy elements: Variables and tags": ``${key}`` in Resource and Condition
  values, ``${*}``, ``${?}``, ``${$}`` for the literal characters, ``${key, 'default'}``; a variable
  whose key is absent matches nothing.  "Condition operators": not with the Numeric, Date, Binary
  and IP address operators (there ``${...}`` is literal text).
- IAM User Guide, "AWS global condition context keys": what a root session's requests carry
  (see ``root_session_context``).
- IAM User Guide, "AWS JSON policy elements: NotPrincipal": SCPs and RCPs do not support
  NotPrincipal (it is still evaluated here, in case a document carries it).

sts:AssumeRoot itself (ASSUME_ROOT) is made by the caller, the management account or the IAM
delegated administrator, not in the root session: SCPs apply to the caller's account, so none
apply when the caller is the management account (SCPs never apply to it) and the delegated
administrator's account SCPs apply otherwise; the target account's SCPs play no part in it.
Whether an RCP on the target account can stop it AWS does not document: uncertain, not evaluated.

Every statement's outcome is three-valued: ``match``, ``no_match`` or ``uncertain``.  A condition
that reads a key whose value the collection cannot know, or an operator it does not evaluate,
makes the outcome ``uncertain`` with the reason named, never a guess."""

from __future__ import annotations

import base64
import binascii
import datetime
import functools
import ipaddress
import json
import re

SCP = "SERVICE_CONTROL_POLICY"
RCP = "RESOURCE_CONTROL_POLICY"
POLICY_TYPE_NAMES = {SCP: "SCP", RCP: "RCP"}

MATCH = "match"
NO_MATCH = "no_match"
UNCERTAIN = "uncertain"

REASON_EXPLICIT_DENY = "explicit_deny"
REASON_NOT_ALLOWED = "not_allowed"

# Services whose resources RCPs govern: the five of the Organizations User Guide, "Resource control
# policies (RCPs)" (s3, sts, kms, sqs, secretsmanager), and those added since that AWS's own sample
# RCPs name (aws-samples/resource-control-policy-examples: ecr, aoss, cognito, logs, dynamodb).
# IAM is not one of them.
RCP_SERVICES = frozenset({"s3", "sts", "kms", "sqs", "secretsmanager", "ecr", "aoss", "cognito-identity", "cognito-idp", "logs", "dynamodb"})

# IAM has a single endpoint, in us-east-1 for the aws partition: the Region of every IAM request
# (IAM User Guide, "AWS global condition context keys", aws:RequestedRegion).
GLOBAL_SERVICE_REGIONS = {"aws": "us-east-1", "aws-cn": "cn-north-1", "aws-us-gov": "us-gov-west-1"}

# The name of a bucket or queue a check does not know (which one a task will unlock): passed as
# ``resource_name``, it makes a Resource element that names particular buckets or queues uncertain
# rather than guessed (see _covers_resource).  No bucket or queue name can hold it.
ANY_NAME = "\0"

CONTROL_TOWER_ROOT_SID = "GRRESTRICTROOTUSER"
ASSUMED_ROOT_EXEMPTION = '"Null": {"aws:AssumedRoot": "true"}'


class _Marker:
    def __init__(self, name: str):
        self.name = name

    def __repr__(self) -> str:
        return self.name


# A key AWS leaves out of the request; a key whose value the collection cannot know.
ABSENT = _Marker("ABSENT")
UNKNOWN = _Marker("UNKNOWN")

# Why a key's value is not known in a root session (lower-case key or key prefix ending in "/").
UNKNOWN_KEYS = {
    "aws:sourceip": "the address AWS sees depends on the managed node's network path",
    "aws:vpcsourceip": "whether the call goes through a VPC endpoint depends on the managed node's network",
    "aws:sourcevpc": "whether the call goes through a VPC endpoint depends on the managed node's network",
    "aws:sourcevpce": "whether the call goes through a VPC endpoint depends on the managed node's network",
    "aws:sourcevpcarn": "whether the call goes through a VPC endpoint depends on the managed node's network",
    "aws:currenttime": "the time of the call is not known before it is made",
    "aws:epochtime": "the time of the call is not known before it is made",
    "aws:tokenissuetime": "the time the root session is issued is not known before it is made",
    "aws:multifactorauthpresent": "AWS does not document its value in root sessions (CloudTrail shows mfaAuthenticated false)",
    "aws:multifactorauthage": "AWS does not document it for root sessions",
    "aws:principaltype": "AWS does not document its value in root sessions",
    "aws:userid": "AWS does not document its value in root sessions",
    "aws:username": "AWS does not document it for root sessions",
    "aws:sourceidentity": "AWS does not document it for root sessions",
    "aws:federatedprovider": "AWS does not document it for root sessions",
    "aws:useragent": "the user agent is written by the SDK on the managed node",
    "aws:referer": "set by the client, not known in advance",
    "aws:principaltag/": "AWS does not document principal tags of root sessions",
    "aws:resourcetag/": "the resource's tags are not read by the collection",
    "aws:resourceaccount": "AWS defines it from the owner of the requested resource, and an action on no resource has none",
    "aws:resourceorgid": "AWS defines it from the owner of the requested resource, and an action on no resource has none",
    "aws:resourceorgpaths": "AWS defines it from the owner of the requested resource, and an action on no resource has none",
}
UNKNOWN_KEY_DEFAULT = "the collection does not know this key's value in a root session"

# The call every root task starts with, made by the CALLER, not in the root session.
ASSUME_ROOT = {
    "action": "sts:AssumeRoot",
    "made_by": "caller",
    "scp": ("SCPs of the caller's account: none when the caller is the management account (SCPs never apply to it), "
            "those of the delegated administrator's account otherwise; the target account's SCPs do not apply to it."),
    "rcp": "uncertain: AWS does not document whether an RCP on the target account can stop sts:AssumeRoot.",
}


# ---------------------------------------------------------------------------
# The calls of each root task

def _call(action: str, resource: str, region: str, essential: bool = True, when: str | None = None) -> dict:
    return {"action": action, "resource": resource, "regional": region != "global", "region": region,
            "essential": essential, "when": when}


def _step(name: str, *calls, when: str | None = None) -> dict:
    return {"step": name, "when": when, "calls": list(calls)}


ROOT_USER_ARN = "arn:{partition}:iam::{account}:root"
VIRTUAL_MFA_ARN = "arn:{partition}:iam::{account}:mfa/{mfa_device}"
BUCKET_ARN = "arn:{partition}:s3:::{bucket}"
QUEUE_ARN = "arn:{partition}:sqs:{region}:{account}:{queue}"

TASK_CALLS = {
    # root_credentials_info (root_credentials.audit): one read per credential type, in this order.
    "IAMAuditRootUserCredentials": [
        _step("password", _call("iam:GetLoginProfile", ROOT_USER_ARN, "global")),
        _step("access_keys", _call("iam:ListAccessKeys", ROOT_USER_ARN, "global"),
              _call("iam:GetAccessKeyLastUsed", ROOT_USER_ARN, "global", essential=False, when="for each access key (its last use)")),
        _step("signing_certificates", _call("iam:ListSigningCertificates", ROOT_USER_ARN, "global")),
        _step("mfa_devices", _call("iam:ListMFADevices", ROOT_USER_ARN, "global")),
    ],
    # root_credentials (root_credentials.remove): every chosen type is read first (password, access
    # keys, certificates, MFA devices), then removed in this order.  root_password_recovery with
    # state: absent uses this task for its GetLoginProfile and DeleteLoginProfile.  Deleting a virtual
    # MFA device is authorized on the mfa resource, and the collection reports a device it could not
    # delete after its deactivation (no longer a credential) without failing the step.
    "IAMDeleteRootUserCredentials": [
        _step("access_keys", _call("iam:ListAccessKeys", ROOT_USER_ARN, "global"),
              _call("iam:DeleteAccessKey", ROOT_USER_ARN, "global", when="for each access key")),
        _step("signing_certificates", _call("iam:ListSigningCertificates", ROOT_USER_ARN, "global"),
              _call("iam:DeleteSigningCertificate", ROOT_USER_ARN, "global", when="for each signing certificate")),
        _step("mfa_devices", _call("iam:ListMFADevices", ROOT_USER_ARN, "global"),
              _call("iam:DeactivateMFADevice", ROOT_USER_ARN, "global", when="for each MFA device"),
              _call("iam:DeleteVirtualMFADevice", VIRTUAL_MFA_ARN, "global", essential=False, when="for each virtual MFA device")),
        _step("password", _call("iam:GetLoginProfile", ROOT_USER_ARN, "global"),
              _call("iam:DeleteLoginProfile", ROOT_USER_ARN, "global", when="when a login profile exists")),
    ],
    # root_password_recovery state: present.
    "IAMCreateRootUserPassword": [
        _step("password", _call("iam:GetLoginProfile", ROOT_USER_ARN, "global"),
              _call("iam:CreateLoginProfile", ROOT_USER_ARN, "global", when="when no login profile exists")),
    ],
    # root_bucket_policy: only when its region option is not given, ListBuckets (s3:ListAllMyBuckets) in
    # the connection's Region finds the bucket and its Region; given the Region, the module makes no such
    # call, so a denial of it does not block the task (the module's failure then says to give region).
    # The policy calls go to the bucket's Region.
    "S3UnlockBucketPolicy": [
        _step("find_bucket", _call("s3:ListAllMyBuckets", "*", "connection", essential=False,
                                   when="only when region is not given (it finds the bucket's Region)"),
              when="region not given"),
        _step("read_policy", _call("s3:GetBucketPolicy", BUCKET_ARN, "resource")),
        _step("delete_policy", _call("s3:DeleteBucketPolicy", BUCKET_ARN, "resource"), when="state: absent"),
        _step("put_policy", _call("s3:PutBucketPolicy", BUCKET_ARN, "resource"), when="state: present"),
    ],
    # root_queue_policy: every call in the queue's Region; deleting the policy is SetQueueAttributes
    # with an empty Policy.
    "SQSUnlockQueuePolicy": [
        _step("find_queue", _call("sqs:GetQueueUrl", QUEUE_ARN, "resource"), when="queue_name given (no queue_url)"),
        _step("read_policy", _call("sqs:GetQueueAttributes", QUEUE_ARN, "resource")),
        _step("change_policy", _call("sqs:SetQueueAttributes", QUEUE_ARN, "resource")),
    ],
}


def service_of(action: str) -> str:
    return action.split(":", 1)[0].lower()


def rcp_applies(action: str) -> bool:
    """Whether RCPs can govern ``action``: only actions of the services that support RCPs."""
    return service_of(action) in RCP_SERVICES


def task_requests(task: str, account_id: str, connection_region: str, resource_name: str | None = None,
                  resource_region: str | None = None, partition: str = "aws", mfa_device: str = "root-account-mfa-device") -> list:
    """The calls of ``task`` as concrete requests: each step's calls with the resource ARN and the
    Region the request goes to (IAM: its one Region; S3 ListAllMyBuckets: the connection's; the
    bucket's or queue's calls: the resource's, ``resource_region``, else the connection's)."""
    names = {"partition": partition, "account": account_id, "bucket": resource_name or "", "queue": resource_name or "",
             "region": resource_region or connection_region, "mfa_device": mfa_device}
    regions = {"global": GLOBAL_SERVICE_REGIONS.get(partition, "us-east-1"), "connection": connection_region,
               "resource": resource_region or connection_region}
    requests = []
    for step in TASK_CALLS[task]:
        for call in step["calls"]:
            requests.append(dict(call, step=step["step"], step_when=step["when"], resource=call["resource"].format(**names),
                                 region=regions[call["region"]]))
    return requests


# ---------------------------------------------------------------------------
# The request context of a root session

def root_session_context(account_id: str, organization_id: str, org_paths, region: str, partition: str = "aws") -> dict:
    """The request context of a call made in a root session of ``account_id`` to ``region``:
    lower-case key -> value (text, or a list for a multivalued key), ABSENT for a key AWS leaves
    out.  A key not in it is UNKNOWN (see UNKNOWN_KEYS).

    From "AWS global condition context keys": aws:PrincipalArn is arn:aws:iam::<account>:root and
    aws:AssumedRoot "true" in root sessions; aws:PrincipalAccount, aws:PrincipalOrgID and
    aws:PrincipalOrgPaths (multivalued) describe the member account; aws:SecureTransport is true
    (the SDK speaks HTTPS); aws:PrincipalIsAWSService and aws:ViaAWSService are in every signed
    request and false for the collection's own direct calls; aws:CalledVia (and First/Last),
    aws:PrincipalServiceName(sList) and aws:Source{Arn,Account,OrgID,OrgPaths} appear only when
    a service calls (for the principal or as itself), so they are absent; no call of the tasks
    sends tags, so aws:RequestTag/* and aws:TagKeys are absent.  Every call of the tasks is on a
    resource of the account itself (its root user, its MFA devices, its buckets and queues), and
    aws:ResourceAccount, aws:ResourceOrgID and aws:ResourceOrgPaths (multivalued) are defined from
    the account that owns the resource: the same account, organization and path as the principal's.
    aws:RequestedRegion is the Region of the request: use ``request_context`` for one call."""
    paths = [org_paths] if isinstance(org_paths, str) else list(org_paths)
    context = {
        "aws:principalarn": f"arn:{partition}:iam::{account_id}:root",
        "aws:assumedroot": "true",
        "aws:principalaccount": account_id,
        "aws:principalorgid": organization_id,
        "aws:principalorgpaths": paths,
        "aws:resourceaccount": account_id,
        "aws:resourceorgid": organization_id,
        "aws:resourceorgpaths": list(paths),
        "aws:requestedregion": region,
        "aws:securetransport": "true",
        "aws:principalisawsservice": "false",
        "aws:viaawsservice": "false",
    }
    for key in ("aws:calledvia", "aws:calledviafirst", "aws:calledvialast", "aws:principalservicename",
                "aws:principalservicenameslist", "aws:sourcearn", "aws:sourceaccount", "aws:sourceorgid",
                "aws:sourceorgpaths", "aws:tagkeys", "aws:requesttag/"):
        context[key] = ABSENT
    return context


RESOURCE_OWNER_KEYS = ("aws:resourceaccount", "aws:resourceorgid", "aws:resourceorgpaths")


def request_context(context: dict, request: dict) -> dict:
    """``context`` for one request of task_requests(): aws:RequestedRegion is the request's Region.
    For an action on no resource (Resource ``*``: s3:ListAllMyBuckets) aws:ResourceAccount,
    aws:ResourceOrgID and aws:ResourceOrgPaths are not known: "AWS global condition context keys"
    defines them from the account that owns the requested resource, and such a request names none."""
    updated = dict(context, **{"aws:requestedregion": request["region"]})
    if request["resource"] == "*":
        for key in RESOURCE_OWNER_KEYS:
            updated.pop(key, None)
    return updated


def lookup(context: dict, key: str):
    """The value of ``key`` (case-insensitive): text, list, ABSENT or UNKNOWN.  A tag key such as
    aws:RequestTag/Name falls back to its prefix entry (aws:requesttag/)."""
    key = key.lower()
    if key in context:
        return context[key]
    if "/" in key:
        prefix = key[:key.index("/") + 1]
        if prefix in context:
            return context[prefix]
    return UNKNOWN


def _why_unknown(key: str) -> str:
    lowered = key.lower()
    reason = UNKNOWN_KEYS.get(lowered)
    if reason is None and "/" in lowered:
        reason = UNKNOWN_KEYS.get(lowered[:lowered.index("/") + 1])
    return f"condition key {key} is not known: {reason or UNKNOWN_KEY_DEFAULT}"


# ---------------------------------------------------------------------------
# Three-valued logic: (MATCH | NO_MATCH | UNCERTAIN, why)

def _all_of(outcomes) -> tuple:
    """AND: one no-match decides it, whatever is uncertain."""
    whys = []
    for state, why in outcomes:
        if state == NO_MATCH:
            return NO_MATCH, None
        if state == UNCERTAIN:
            whys.append(why)
    return (UNCERTAIN, "; ".join(whys)) if whys else (MATCH, None)


def _any_of(outcomes) -> tuple:
    """OR: one match decides it, whatever is uncertain."""
    whys = []
    for state, why in outcomes:
        if state == MATCH:
            return MATCH, None
        if state == UNCERTAIN:
            whys.append(why)
    return (UNCERTAIN, "; ".join(whys)) if whys else (NO_MATCH, None)


def _negate(outcome: tuple) -> tuple:
    state, why = outcome
    return {MATCH: (NO_MATCH, None), NO_MATCH: (MATCH, None)}.get(state, (UNCERTAIN, why))


def _of(flag: bool) -> tuple:
    return (MATCH, None) if flag else (NO_MATCH, None)


# ---------------------------------------------------------------------------
# Wildcards and policy variables

_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_DEFAULTED = re.compile(r"^\s*([^,\s]+)\s*,\s*'([^']*)'\s*$")
_SPECIAL_VARIABLES = {"*": "*", "?": "?", "$": "$"}


def _resolve(value: str, context: dict | None):
    """``value`` with its policy variables resolved: a list of (is_literal, text) parts, or ABSENT
    (a variable without value and without default), or (UNKNOWN, why)."""
    parts, position = [], 0
    for found in _VARIABLE.finditer(value):
        parts.append((False, value[position:found.start()]))
        position = found.end()
        inner = found.group(1).strip()
        if inner in _SPECIAL_VARIABLES:
            parts.append((True, _SPECIAL_VARIABLES[inner]))
            continue
        defaulted = _DEFAULTED.match(inner)
        key, default = (defaulted.group(1), defaulted.group(2)) if defaulted else (inner, None)
        resolved = lookup(context, key) if context is not None else UNKNOWN
        if isinstance(resolved, list):
            if len(resolved) != 1:
                return UNKNOWN, f"policy variable ${{{key}}} names a key with several values"
            resolved = resolved[0]
        if resolved is UNKNOWN:
            return UNKNOWN, f"policy variable ${{{key}}}: " + _why_unknown(key)
        if resolved is ABSENT:
            if default is None:
                return ABSENT
            resolved = default
        parts.append((True, str(resolved)))
    parts.append((False, value[position:]))
    return parts


def _pattern(parts, wildcards: bool, ignore_case: bool):
    return _compiled(tuple(parts), wildcards, ignore_case)


@functools.lru_cache(maxsize=8192)
def _compiled(parts: tuple, wildcards: bool, ignore_case: bool):
    """The regular expression of resolved ``parts``, compiled once per run for every account that meets it."""
    text = ""
    for literal, piece in parts:
        if literal or not wildcards:
            text += re.escape(piece)
        else:
            text += "".join(".*" if char == "*" else "." if char == "?" else re.escape(char) for char in piece)
    return re.compile(text, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _glob(value: str, pattern: str, ignore_case: bool = False, context: dict | None = None) -> tuple:
    """``value`` against a pattern with * and ? and policy variables (when ``context`` is given)."""
    parts = _resolve(pattern, context) if context is not None else [(False, pattern)]
    if parts is ABSENT:
        return NO_MATCH, None
    if isinstance(parts, tuple):
        return UNCERTAIN, parts[1]
    return _of(_pattern(parts, True, ignore_case).fullmatch(value) is not None)


def _arn_like(value: str, pattern: str, context: dict) -> tuple:
    """ArnLike/ArnEquals: each of the six colon-separated parts matched on its own, * and ? in
    any of them ("Condition operators", ARN condition operators)."""
    parts = _resolve(pattern, context)
    if parts is ABSENT:
        return NO_MATCH, None
    if isinstance(parts, tuple):
        return UNCERTAIN, parts[1]
    resolved = "".join(piece.replace("*", "\0").replace("?", "\1") if literal else piece for literal, piece in parts)
    return _arn_fields_match(resolved, value)


@functools.lru_cache(maxsize=16384)
def _arn_fields_match(resolved: str, value: str) -> tuple:
    """_arn_like of a resolved pattern (literal * and ? as \\0 and \\1), field by field."""
    pattern_fields, value_fields = resolved.split(":", 5), value.split(":", 5)
    if len(pattern_fields) != 6 or len(value_fields) != 6:
        return NO_MATCH, None
    for field, actual in zip(pattern_fields, value_fields):
        field_parts = []
        for char in field:
            field_parts.append((True, {"\0": "*", "\1": "?"}[char]) if char in "\0\1" else (False, char))
        if _pattern(field_parts, True, False).fullmatch(actual) is None:
            return NO_MATCH, None
    return MATCH, None


# ---------------------------------------------------------------------------
# Condition operators

def _exact(value: str, pattern: str, context: dict, ignore_case: bool = False) -> tuple:
    parts = _resolve(pattern, context)
    if parts is ABSENT:
        return NO_MATCH, None
    if isinstance(parts, tuple):
        return UNCERTAIN, parts[1]
    return _of(_pattern(parts, False, ignore_case).fullmatch(value) is not None)


def _number(text: str):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def _date(text: str):
    text = str(text).strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return datetime.datetime.fromtimestamp(float(text), datetime.timezone.utc)
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.timezone.utc)


def _compared(parse, test):
    """Numeric and Date operators: "You can not use a policy variable with the Numeric (Date)
    condition operator" ("Condition operators"), so ``${...}`` is text that is no number or date."""
    def compare(value: str, pattern: str, context: dict) -> tuple:
        expected_value = parse(pattern)
        if expected_value is None:
            return UNCERTAIN, f"the policy value {pattern!r} is not of the operator's type"
        actual = parse(value)
        return _of(actual is not None and test(actual, expected_value))
    return compare


def _bool(value: str, pattern: str, context: dict) -> tuple:
    return _exact(value.lower(), pattern.lower(), context)


def _binary(value: str, pattern: str, context: dict) -> tuple:
    try:
        return _of(base64.b64decode(value, validate=True) == base64.b64decode(pattern, validate=True))
    except (binascii.Error, ValueError):
        return NO_MATCH, None


def _ip_address(value: str, pattern: str, context: dict) -> tuple:
    try:
        network = ipaddress.ip_network(pattern.strip(), strict=False)
    except ValueError:
        return UNCERTAIN, f"the policy value {pattern!r} is not an IP address or range"
    try:
        return _of(ipaddress.ip_address(value.strip()) in network)
    except ValueError:
        return NO_MATCH, None


# base operator (lower case) -> (test of one context value against one policy value, negated)
_OPERATORS = {
    "stringequals": (_exact, False),
    "stringnotequals": (_exact, True),
    "stringequalsignorecase": (lambda value, pattern, context: _exact(value, pattern, context, ignore_case=True), False),
    "stringnotequalsignorecase": (lambda value, pattern, context: _exact(value, pattern, context, ignore_case=True), True),
    "stringlike": (lambda value, pattern, context: _glob(value, pattern, context=context), False),
    "stringnotlike": (lambda value, pattern, context: _glob(value, pattern, context=context), True),
    "numericequals": (_compared(_number, lambda a, b: a == b), False),
    "numericnotequals": (_compared(_number, lambda a, b: a == b), True),
    "numericlessthan": (_compared(_number, lambda a, b: a < b), False),
    "numericlessthanequals": (_compared(_number, lambda a, b: a <= b), False),
    "numericgreaterthan": (_compared(_number, lambda a, b: a > b), False),
    "numericgreaterthanequals": (_compared(_number, lambda a, b: a >= b), False),
    "dateequals": (_compared(_date, lambda a, b: a == b), False),
    "datenotequals": (_compared(_date, lambda a, b: a == b), True),
    "datelessthan": (_compared(_date, lambda a, b: a < b), False),
    "datelessthanequals": (_compared(_date, lambda a, b: a <= b), False),
    "dategreaterthan": (_compared(_date, lambda a, b: a > b), False),
    "dategreaterthanequals": (_compared(_date, lambda a, b: a >= b), False),
    "bool": (_bool, False),
    "binaryequals": (_binary, False),
    "ipaddress": (_ip_address, False),
    "notipaddress": (_ip_address, True),
    "arnequals": (_arn_like, False),
    "arnlike": (_arn_like, False),
    "arnnotequals": (_arn_like, True),
    "arnnotlike": (_arn_like, True),
}


def _policy_values(raw) -> list:
    values = raw if isinstance(raw, list) else [raw]
    return ["true" if value is True else "false" if value is False else str(value) for value in values]


def _parse_operator(operator: str):
    """(qualifier or None, base operator in lower case, if_exists) or None for an unknown operator."""
    qualifier, name = None, operator
    if ":" in operator:
        qualifier, name = operator.split(":", 1)
        qualifier = qualifier.lower()
        if qualifier not in ("foranyvalue", "forallvalues"):
            return None
    base = name.lower()
    if_exists = base.endswith("ifexists") and base != "ifexists"
    if if_exists:
        base = base[:-len("ifexists")]
    if base == "null" and not if_exists:
        return qualifier, base, False
    if base not in _OPERATORS:
        return None
    return qualifier, base, if_exists


def _one_value(test, negated: bool, value: str, patterns: list, context: dict) -> tuple:
    """A single context value against the key's policy values: OR over them, negated as a whole."""
    outcome = _any_of(test(value, pattern, context) for pattern in patterns)
    return _negate(outcome) if negated else outcome


def _condition_key(operator: str, parsed, key: str, raw, context: dict) -> tuple:
    qualifier, base, if_exists = parsed
    patterns = _policy_values(raw)
    value = lookup(context, key)
    if value is UNKNOWN:
        return UNCERTAIN, f"{operator}: " + _why_unknown(key)
    present = value is not ABSENT and value != []
    if base == "null":
        return _any_of(_of((pattern.lower() == "true") != present) for pattern in patterns)
    test, negated = _OPERATORS[base]
    values = value if isinstance(value, list) else [value] if present else []
    if qualifier == "foranyvalue":
        if not present:
            return _of(if_exists)
        return _any_of(_one_value(test, negated, item, patterns, context) for item in values)
    if qualifier == "forallvalues":
        return _all_of(_one_value(test, negated, item, patterns, context) for item in values)
    if not present:
        return _of(if_exists or negated)
    if len(values) > 1:
        return UNCERTAIN, f"{operator}: condition key {key} has several values and the operator has no ForAnyValue/ForAllValues qualifier"
    return _one_value(test, negated, values[0], patterns, context)


def evaluate_condition(condition, context: dict) -> tuple:
    """The Condition element: every operator and every key must hold."""
    if not condition:
        return MATCH, None
    if not isinstance(condition, dict):
        return UNCERTAIN, "the Condition element is not an object"
    outcomes = []
    for operator, keys in condition.items():
        parsed = _parse_operator(operator)
        if parsed is None:
            outcomes.append((UNCERTAIN, f"condition operator {operator} is not evaluated by the collection"))
            continue
        if not isinstance(keys, dict):
            outcomes.append((UNCERTAIN, f"{operator}: its keys are not an object"))
            continue
        outcomes.extend(_condition_key(operator, parsed, key, raw, context) for key, raw in keys.items())
    return _all_of(outcomes)


# ---------------------------------------------------------------------------
# Statements and policies

def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def _covers_action(statement: dict, action: str) -> tuple:
    """Action / NotAction: * and ? wildcards, without regard to case."""
    for element in ("Action", "NotAction"):
        if element in statement:
            return _action_matches(element, tuple(str(pattern) for pattern in _as_list(statement[element])), action)
    return UNCERTAIN, "the statement has neither Action nor NotAction"


@functools.lru_cache(maxsize=8192)
def _action_matches(element: str, patterns: tuple, action: str) -> tuple:
    """_covers_action of one Action or NotAction element, decided once per run (it names no account)."""
    matched = _any_of(_glob(action, pattern, ignore_case=True) for pattern in patterns)
    return matched if element == "Action" else _negate(matched)


def _covers_resource(statement: dict, resource: str, context: dict) -> tuple:
    """Resource / NotResource: * and ? wildcards and policy variables, case-sensitive; a statement
    with neither (an SCP may leave Resource out) covers every resource.  A resource whose name is
    ANY_NAME stands for every bucket or queue of the account (see _covers_any_name)."""
    covers = _covers_any_name if ANY_NAME in resource else lambda value, pattern: _glob(value, pattern, context=context)
    if "Resource" in statement:
        return _any_of(covers(resource, str(pattern)) for pattern in _as_list(statement["Resource"]))
    if "NotResource" in statement:
        return _negate(_any_of(covers(resource, str(pattern)) for pattern in _as_list(statement["NotResource"])))
    return MATCH, None


_STAR, _ONE = ("*",), ("?",)


def _glob_tokens(parts) -> tuple:
    """A resolved pattern as tokens: _STAR, _ONE, or ("=", character)."""
    tokens = []
    for literal, piece in parts:
        for char in piece:
            tokens.append(("=", char) if literal or char not in "*?" else _STAR if char == "*" else _ONE)
    return tuple(tokens)


def _globs_meet(first: tuple, second: tuple) -> bool:
    """Whether two * and ? patterns (tokens) match at least one common text."""
    @functools.lru_cache(maxsize=None)
    def meet(i: int, j: int) -> bool:
        a = first[i] if i < len(first) else None
        b = second[j] if j < len(second) else None
        if a is None and b is None:
            return True
        if (a == _STAR and meet(i + 1, j)) or (b == _STAR and meet(i, j + 1)):
            return True
        if a is None or b is None:
            return False
        if a == _STAR:
            return meet(i, j + 1)
        if b == _STAR:
            return meet(i + 1, j)
        return (a == _ONE or b == _ONE or a == b) and meet(i + 1, j + 1)
    return meet(0, 0)


def _covers_any_name(resource: str, pattern: str) -> tuple:
    """A Resource pattern against an ARN whose bucket or queue name is not known (ANY_NAME):
    MATCH when a * of the pattern takes any name (arn:aws:s3:::*), NO_MATCH when no name can
    match (another service's ARN), otherwise UNCERTAIN: the pattern names particular buckets or
    queues, and whether the task's one is among them is not known.  Policy variables are not
    resolved here (the check has no request of a named resource): a pattern with one is uncertain."""
    if _VARIABLE.search(pattern):
        return UNCERTAIN, f"Resource {pattern} holds a policy variable, and which bucket or queue the task works on is not known"
    before, after = resource.split(ANY_NAME, 1)
    pattern_tokens = _glob_tokens([(False, pattern)])
    if not _globs_meet(pattern_tokens, _glob_tokens([(True, before)]) + (_ONE, _STAR) + _glob_tokens([(True, after)])):
        return NO_MATCH, None
    # The unknown name as one character that only a * can take: a * that takes it takes any name.
    only_star_takes_it = "".join(".*" if token == _STAR else "[^\\0]" if token == _ONE else re.escape(token[1]) for token in pattern_tokens)
    if re.fullmatch(only_star_takes_it, before + ANY_NAME + after, re.DOTALL) is not None:
        return MATCH, None
    return UNCERTAIN, f"Resource {pattern} names particular buckets or queues, and which one the task works on is not known"


def _names_principal(principal, context: dict) -> tuple:
    """Whether a Principal value names the root session's principal: "*", {"AWS": "*"}, its ARN or
    its account (an account names every principal of it)."""
    if principal == "*":
        return MATCH, None
    if not isinstance(principal, dict):
        return NO_MATCH, None
    names = [str(name) for name in _as_list(principal.get("AWS", []))]
    arn, account = lookup(context, "aws:PrincipalArn"), lookup(context, "aws:PrincipalAccount")
    known = [value for value in (arn, account) if isinstance(value, str)]
    if "*" in names or any(name in known for name in names):
        return MATCH, None
    return _of(False)


def _covers_principal(statement: dict, context: dict) -> tuple:
    if "Principal" in statement:
        return _names_principal(statement["Principal"], context)
    if "NotPrincipal" in statement:
        return _negate(_names_principal(statement["NotPrincipal"], context))
    return MATCH, None


def evaluate_statement(statement: dict, action: str, resource: str, context: dict) -> tuple:
    """(MATCH | NO_MATCH | UNCERTAIN, why): whether the statement applies to the request."""
    if not isinstance(statement, dict):
        return UNCERTAIN, "the statement is not an object"
    # Lazily, in this order: a statement for other actions is known without the rest.
    return _all_of(outcome() for outcome in (
        lambda: _covers_action(statement, action),
        lambda: _covers_resource(statement, resource, context),
        lambda: _covers_principal(statement, context),
        lambda: evaluate_condition(statement.get("Condition"), context),
    ))


def policy_document(policy) -> dict | None:
    """The document of a policy ({id, name, document}), parsed when it is JSON text; None when it is not a policy."""
    document = policy.get("document") if isinstance(policy, dict) else None
    if isinstance(document, str):
        document = _parsed(document)
    return document if isinstance(document, dict) else None


@functools.lru_cache(maxsize=1024)
def _parsed(text: str):
    """A policy document's JSON, parsed once per run (callers only read it); None when it is not JSON."""
    try:
        return json.loads(text)
    except ValueError:
        return None


def statements_of(document: dict) -> list:
    return _as_list(document.get("Statement", []))


def statement_label(statement, index: int):
    """The statement's Sid, or its index in the policy when it has none."""
    sid = statement.get("Sid") if isinstance(statement, dict) else None
    return sid if sid else index


def _describe(policy_type: str, policy: dict, target_id: str, label) -> str:
    return (f"{POLICY_TYPE_NAMES[policy_type]} {policy.get('name')} ({policy.get('id')}) attached to {target_id}, "
            f"statement {label}")


def _entry(action: str, region, policy_type: str, policy, target_id: str, label, reason: str) -> dict:
    return {"action": action, "region": region, "policy_type": policy_type,
            "policy_id": policy.get("id") if policy else None, "policy_name": policy.get("name") if policy else None,
            "target_id": target_id, "statement": label, "reason": reason}


def _uncertain(action: str, region, policy_type: str, policy, target_id: str, label, why: str) -> dict:
    """An entry of ``uncertain``: the denied entry's fields, with ``why`` in place of ``reason``."""
    entry = _entry(action, region, policy_type, policy, target_id, label, "")
    del entry["reason"]
    entry["why"] = why
    return entry


def _evaluate_levels(policy_type: str, action: str, resource: str, context: dict, levels: list, denied: list, uncertain: list) -> None:
    region = lookup(context, "aws:RequestedRegion")
    region = region if isinstance(region, str) else None
    kind = POLICY_TYPE_NAMES[policy_type]
    for level in levels:
        target_id = level.get("target_id")
        allows, allow_whys = [], []
        for policy in level.get("policies") or []:
            document = policy_document(policy)
            if document is None:
                uncertain.append(_uncertain(action, region, policy_type, policy, target_id, None,
                                            f"{kind} {policy.get('name')} ({policy.get('id')}) attached to {target_id} is not a JSON policy document"))
                continue
            for index, statement in enumerate(statements_of(document)):
                label = statement_label(statement, index)
                state, why = evaluate_statement(statement, action, resource, context)
                effect = statement.get("Effect") if isinstance(statement, dict) else None
                if policy_type == RCP and resource == "*":
                    # An action on no resource (s3:ListAllMyBuckets): AWS does not say whether RCPs govern it.
                    if effect == "Deny" and state != NO_MATCH:
                        uncertain.append(_uncertain(action, region, policy_type, policy, target_id, label,
                                                    f"{_describe(policy_type, policy, target_id, label)} would deny it, "
                                                    "but AWS does not document whether RCPs govern an action on no resource"))
                    continue
                if effect == "Deny":
                    if state == MATCH:
                        denied.append(_entry(action, region, policy_type, policy, target_id, label, REASON_EXPLICIT_DENY))
                    elif state == UNCERTAIN:
                        uncertain.append(_uncertain(action, region, policy_type, policy, target_id, label,
                                                    f"{_describe(policy_type, policy, target_id, label)} may deny it: {why}"))
                elif effect == "Allow":
                    allows.append((state, why))
                    if state == UNCERTAIN:
                        allow_whys.append(f"{_describe(policy_type, policy, target_id, label)}: {why}")
        state, _why = _any_of(allows)
        if policy_type == RCP and resource == "*":
            continue
        if state == NO_MATCH:
            denied.append(_entry(action, region, policy_type, None, target_id, None, REASON_NOT_ALLOWED))
        elif state == UNCERTAIN:
            uncertain.append(_uncertain(action, region, policy_type, None, target_id, None,
                                        f"whether any {kind} attached to {target_id} allows it: {'; '.join(allow_whys)}"))


def decide(action: str, resource: str, context: dict, scp_levels: list, rcp_levels: list) -> dict:
    """Whether the organization's SCPs and RCPs let a root session make ``action`` on ``resource``.

    ``scp_levels`` and ``rcp_levels``: the path root -> OUs -> account, each level
    ``{"target_id", "policies": [{"id", "name", "document"}]}``.  SCPs: an explicit deny anywhere
    denies (reason explicit_deny); otherwise an Allow is needed at every level (reason not_allowed,
    naming the level).  RCPs: the same, only for actions of services that support RCPs.

    Returns ``{"allowed": True | False | None, "denied": [...], "uncertain": [...]}``, an uncertain
    entry holding the denied entry's fields (the statement that may deny, or no policy and no
    statement for a level whose Allow is uncertain) with ``why`` in place of ``reason``;
    ``allowed`` is True only when nothing denies and nothing is uncertain, None when nothing denies
    but something is uncertain."""
    denied, uncertain = [], []
    _evaluate_levels(SCP, action, resource, context, scp_levels, denied, uncertain)
    if rcp_applies(action):
        _evaluate_levels(RCP, action, resource, context, rcp_levels, denied, uncertain)
    allowed = False if denied else None if uncertain else True
    return {"allowed": allowed, "denied": denied, "uncertain": uncertain}


def decide_task(task: str, context: dict, scp_levels: list, rcp_levels: list, connection_region: str,
                resource_name: str | None = None, resource_region: str | None = None, partition: str = "aws") -> dict:
    """decide() for every call of ``task`` (context from root_session_context()), by step.  A step
    is allowed when its essential calls are; a denied call that is not essential is reported on its
    step without blocking it.  ``allowed`` of the task: every step allowed (None when uncertain);
    a step with a ``when`` runs only then (S3's delete_policy and put_policy are the two states),
    so read the steps for what one run needs.  ``resource_name`` ANY_NAME: for any bucket or queue
    of the account (a statement naming particular ones is then uncertain)."""
    requests = task_requests(task, lookup(context, "aws:PrincipalAccount"), connection_region, resource_name, resource_region, partition)
    steps = []
    for step in TASK_CALLS[task]:
        calls = []
        for request in (request for request in requests if request["step"] == step["step"]):
            decision = decide(request["action"], request["resource"], request_context(context, request), scp_levels, rcp_levels)
            calls.append(dict(decision, action=request["action"], resource=request["resource"], region=request["region"],
                              essential=request["essential"]))
        essential = [call["allowed"] for call in calls if call["essential"]]
        allowed = False if False in essential else None if None in essential else True
        steps.append({"step": step["step"], "when": step["when"], "allowed": allowed, "calls": calls})
    verdicts = [step["allowed"] for step in steps]
    return {"task": task, "allowed": False if False in verdicts else None if None in verdicts else True, "steps": steps}


# ---------------------------------------------------------------------------
# Remedies

def _find_statement(document: dict | None, statement):
    if isinstance(statement, dict) or document is None:
        return statement if isinstance(statement, dict) else None
    for index, candidate in enumerate(statements_of(document)):
        if statement_label(candidate, index) == statement:
            return candidate
    return None


def _condition_values(statement: dict, operator_names, key: str) -> list:
    """The policy values of ``key`` under the named operators (IfExists forms included)."""
    found = []
    for operator, keys in (statement.get("Condition") or {}).items():
        base = operator.split(":", 1)[-1].lower()
        base = base[:-len("ifexists")] if base.endswith("ifexists") else base
        if base in operator_names and isinstance(keys, dict):
            for name, raw in keys.items():
                if name.lower() == key.lower():
                    found.extend(_policy_values(raw))
    return found


def exempts_root_sessions(statement: dict) -> bool:
    return "true" in [value.lower() for value in _condition_values(statement, ("null",), "aws:AssumedRoot")]


def denies_root_principals(statement: dict) -> bool:
    """A statement whose condition singles out root users: aws:PrincipalArn like arn:*:iam::*:root."""
    values = _condition_values(statement, ("arnlike", "arnequals", "stringlike", "stringequals"), "aws:PrincipalArn")
    return any(value.endswith(":root") and ":iam:" in value for value in values)


def denied_regions_condition(statement: dict) -> list:
    """The Regions a Region-deny statement leaves allowed (aws:RequestedRegion under a negated string operator)."""
    return _condition_values(statement, ("stringnotequals", "stringnotlike", "stringnotequalsignorecase"), "aws:RequestedRegion")


def remedy(policy: dict | None, statement, action: str | None = None, region: str | None = None,
           target_id: str | None = None, policy_type: str = SCP) -> str:
    """The change that lets root sessions through ``statement`` (its Sid, index or the statement
    itself) of ``policy`` ({id, name, document}); with no policy, the missing Allow at ``target_id``."""
    kind = POLICY_TYPE_NAMES[policy_type]
    if policy is None:
        full_access = "FullAWSAccess" if policy_type == SCP else "RCPFullAWSAccess"
        return (f"No {kind} attached to {target_id} allows {action}: every level from the root to the account needs one "
                f"that does; attach {full_access} (or a policy allowing {action}) to {target_id}.")
    found = _find_statement(policy_document(policy), statement)
    label = statement_label(statement, "(given)") if isinstance(statement, dict) else statement
    where = f"statement {label} of {kind} {policy.get('name')} ({policy.get('id')})"
    if isinstance(found, dict) and found.get("Sid") == CONTROL_TOWER_ROOT_SID:
        return (f"{where} is Control Tower's control AWS-GR_RESTRICT_ROOT_USER, enabled without ExemptAssumeRoot: it denies "
                f"every action to root users, root sessions included. Enable the control on OU {target_id} with its parameter "
                "ExemptAssumeRoot (Control Tower console, or UpdateEnabledControl / EnableControl with the parameter "
                "ExemptAssumeRoot); do not edit the SCP, which Control Tower owns.")
    if isinstance(found, dict) and denies_root_principals(found) and not exempts_root_sessions(found):
        return (f"{where} denies root users (aws:PrincipalArn arn:*:iam::*:root) and does not exempt root sessions: add "
                f"{ASSUMED_ROOT_EXEMPTION} to its Condition, which keeps denying the root user's own credentials and lets "
                "sessions from sts:AssumeRoot through.")
    allowed_regions = denied_regions_condition(found) if isinstance(found, dict) else []
    if allowed_regions:
        return (f"{where} denies requests outside the Regions {', '.join(allowed_regions)} ({action} went to {region}): run the "
                "task in one of those Regions where the call can go there, or exempt it: a bucket's or queue's own calls go "
                f"to its Region, so add {ASSUMED_ROOT_EXEMPTION} to the statement's Condition (or {action} to its NotAction).")
    return (f"{where}, attached to {target_id}, denies {action}: change that statement (for example exempt root sessions with "
            f"{ASSUMED_ROOT_EXEMPTION} in its Condition) or detach the policy from {target_id}.")


def remedy_for(entry: dict, policy: dict | None = None) -> str:
    """remedy() for an entry of decide()'s ``denied`` (``policy``: the policy the entry names)."""
    return remedy(policy if entry["reason"] == REASON_EXPLICIT_DENY else None, entry["statement"], entry["action"],
                  entry["region"], entry["target_id"], entry["policy_type"])
