"""The emulator's reading of AWS's evaluation of service control policies (SCPs) and resource control policies (RCPs).

Pure Python and independent of the collection (nothing under ``plugins/`` is read): two independent readings of
AWS's rules keep each other honest. Nothing here touches moto: guardrails.py feeds it each request.
``Request`` is what a call asks for, the context builders give the condition keys of the caller, ``evaluate_scps``
and ``evaluate_rcps`` take the policies of each level of the path root -> OUs -> account and return a ``Decision``,
and ``denial_message`` renders AWS's access-denied text.

Rules and their sources (AWS page names):

- Organizations User Guide, "SCP evaluation": an explicit ``Deny`` in any SCP at any level of the path (root, each
  OU, the account) denies; otherwise an ``Allow`` must match at every level, or the action is not allowed.
- Organizations User Guide, "RCP evaluation" and "RCP syntax": the same for RCPs (a ``Deny`` at any level denies);
  ``RCPFullAWSAccess`` is attached to the root, every OU and every account, cannot be detached, and is the only RCP
  that may use ``Allow``. So in AWS the every-level ``Allow`` always holds for RCPs; ``evaluate_rcps`` still checks
  it (as ``evaluate_scps`` does), so an emulator state without ``RCPFullAWSAccess`` at a level shows up as
  ``not_allowed`` rather than passing silently.
- Organizations User Guide, "Resource control policies (RCPs)": RCPs apply to resources of a list of services only
  (``RCP_SERVICES``), in member accounts, to every principal including root users, except service-linked roles.
- IAM User Guide, "IAM JSON policy elements: Action / NotAction / Resource / NotResource / Condition", "IAM JSON
  policy elements: Condition operators", "IAM policy elements: Variables and tags", "Single-valued vs. multivalued
  context keys" and "Policy evaluation logic": matching of statements, as implemented below.
- IAM User Guide, "AWS global condition context keys": the keys the context builders set.
- IAM User Guide, "Troubleshooting access denied error messages", and the AWS Security Blog post "Enhanced access
  denied error messages with policy ARNs": the wording of ``denial_message``.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import ipaddress
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

SERVICE_CONTROL_POLICY = "service_control_policy"
RESOURCE_CONTROL_POLICY = "resource_control_policy"

SETTINGS: dict[str, Any] = {
    "root_session_mfa_present": "false",
    "root_session_principal_type": "Account",
    "rcp_applies_to_assume_root": False,
}
"""Choices the emulator makes where AWS documents nothing. Each is an assumption, not a fact:

``root_session_mfa_present``
    The value of ``aws:MultiFactorAuthPresent`` in a root session (from ``sts:AssumeRoot``). Not documented; the
    sessions are minted without any MFA by the caller, and CloudTrail records ``mfaAuthenticated: false`` for them
    (aws-samples/service-control-policy-examples issue 6), so ``"false"``. ``None`` leaves the key out.
``root_session_principal_type``
    The value of ``aws:PrincipalType`` in a root session. Not documented for root sessions; the root user's own is
    ``Account`` ("AWS global condition context keys"), and a root session acts as that root user
    (``arn:aws:iam::<account>:root``), so ``"Account"``. ``None`` leaves the key out.
``rcp_applies_to_assume_root``
    Whether an RCP of the target account can stop ``sts:AssumeRoot``. AWS lists STS among the services RCPs apply
    to, but documents RCPs for STS calls on role resources (``sts:AssumeRole`` and friends, as in the
    aws-samples RCP examples, which never name ``sts:AssumeRoot``); ``AssumeRoot`` is made by the management
    account's principal and targets an account, not a role. Not documented, so ``False``.
"""

# Organizations User Guide, "Resource control policies (RCPs)", list of services (also AWS Control Tower Controls
# Reference, "Controls implemented with resource control policies (RCPs)"): Amazon S3, AWS STS, AWS KMS, Amazon SQS,
# AWS Secrets Manager. The services added later are taken from the action list of the AWS-authored sample
# aws-samples/resource-control-policy-examples @ f1aedfa : Establish-intra-organization-boundaries/
# Deny-resource-access-if-the-resource-belongs-to-a-specific-organizational-unit.json (Amazon Cognito, Amazon
# CloudWatch Logs, Amazon DynamoDB, Amazon ECR, Amazon OpenSearch Serverless). IAM is not among them.
RCP_DOCUMENTED_SERVICES = frozenset({"s3", "sts", "kms", "sqs", "secretsmanager"})
RCP_LATER_SERVICES = frozenset({"cognito-identity", "cognito-idp", "logs", "dynamodb", "ecr", "aoss"})
RCP_SERVICES = RCP_DOCUMENTED_SERVICES | RCP_LATER_SERVICES

# STS calls that AWS never authorizes (IAM User Guide, "GetCallerIdentity ... no permissions are required").
UNAUTHORIZED_ACTIONS = frozenset({"sts:getcalleridentity"})


class PolicyError(ValueError):
    """A policy the emulator refuses to read: AWS would reject it, or its meaning is not documented."""


class UnknownOperatorError(PolicyError):
    """A condition operator this evaluator does not implement; the emulator must not guess what it means."""


def rcp_applies(action: str, settings: Mapping[str, Any] | None = None) -> bool:
    """Whether RCPs take part in authorizing ``action`` (``service:Action``), from its service prefix.

    True for the services in ``RCP_SERVICES``. For STS, RCPs apply to calls on roles of the account (AssumeRole and
    the like); ``sts:AssumeRoot`` follows ``SETTINGS["rcp_applies_to_assume_root"]`` (undocumented), and
    ``sts:GetCallerIdentity`` is never authorized at all. IAM is not a supported service: no RCP can stop the root
    credential tasks (audit, delete, password recovery).
    """
    chosen = {**SETTINGS, **(settings or {})}
    lowered = action.lower()
    if lowered in UNAUTHORIZED_ACTIONS:
        return False
    if lowered == "sts:assumeroot":
        return bool(chosen["rcp_applies_to_assume_root"])
    return lowered.partition(":")[0] in RCP_SERVICES


# ---------------------------------------------------------------------------------------------------------------
# Requests and their context
# ---------------------------------------------------------------------------------------------------------------


def _context_values(value: Any) -> list[str] | None:
    """A context value as the list of strings conditions compare with; None when the key is absent."""
    if value is None:
        return None
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_context_scalar(item) for item in value]
    return [_context_scalar(value)]


def _context_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime):
        return _iso_utc(value)
    return str(value)


@dataclass(frozen=True)
class Request:
    """One authorization request: the action (``service:Action``), the resource ARN (or ``*``) and the context.

    ``context`` maps condition keys to a value or a list of values (multivalued keys such as
    ``aws:PrincipalOrgPaths``); keys are matched case-insensitively, as AWS does ("IAM JSON policy elements:
    Condition": condition key names are not case-sensitive). A key mapped to None counts as absent.
    """

    action: str
    resource: str = "*"
    context: Mapping[str, Any] = field(default_factory=dict)
    _values: dict[str, list[str] | None] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        normalized = {key.lower(): _context_values(value) for key, value in self.context.items()}
        object.__setattr__(self, "_values", {key: values for key, values in normalized.items() if values is not None})

    def values(self, key: str) -> list[str] | None:
        """The values of a condition key (a one-item list for a single-valued key), None when absent."""
        return self._values.get(key.lower())


def _iso_utc(moment: datetime.datetime) -> str:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    return moment.astimezone(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _common_context(
    principal_arn: str,
    account_id: str,
    org_id: str | None,
    org_paths: Sequence[str] | None,
    region: str,
    source_ip: str,
    secure_transport: bool,
    now: datetime.datetime | None,
) -> dict[str, Any]:
    """Keys every signed request of a principal of a member account carries ("AWS global condition context keys").

    ``aws:PrincipalIsAWSService`` and ``aws:ViaAWSService`` are present (``false``) in every request signed with a
    principal's credentials; the organization keys only when the account is in an organization.
    """
    moment = now or datetime.datetime.now(datetime.timezone.utc)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=datetime.timezone.utc)
    context: dict[str, Any] = {
        "aws:PrincipalArn": principal_arn,
        "aws:PrincipalAccount": account_id,
        "aws:RequestedRegion": region,
        "aws:SecureTransport": "true" if secure_transport else "false",
        "aws:CurrentTime": _iso_utc(moment),
        "aws:EpochTime": str(int(moment.timestamp())),
        "aws:SourceIp": source_ip,
        "aws:PrincipalIsAWSService": "false",
        "aws:ViaAWSService": "false",
    }
    if org_id:
        context["aws:PrincipalOrgID"] = org_id
        context["aws:PrincipalOrgPaths"] = list(org_paths or [])
    return context


def root_session_context(
    account_id: str,
    org_id: str,
    org_paths: Sequence[str],
    region: str,
    source_ip: str = "127.0.0.1",
    secure_transport: bool = True,
    now: datetime.datetime | None = None,
    settings: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The request context of a root session (credentials from ``sts:AssumeRoot``) in a member account.

    The session acts as the member's root user, so ``aws:PrincipalArn`` is ``arn:aws:iam::<account>:root``, and
    ``aws:AssumedRoot`` is ``"true"`` ("AWS global condition context keys": present only in root sessions).
    No principal tags (the root user has none). ``aws:TokenIssueTime`` is set, the credentials being temporary.
    ``aws:MultiFactorAuthPresent`` and ``aws:PrincipalType`` come from ``SETTINGS`` (assumptions; see there), which
    ``settings`` overrides key by key.
    """
    chosen = {**SETTINGS, **(settings or {})}
    context = _common_context(f"arn:aws:iam::{account_id}:root", account_id, org_id, org_paths, region, source_ip, secure_transport, now)
    context["aws:AssumedRoot"] = "true"
    context["aws:userid"] = account_id
    context["aws:TokenIssueTime"] = context["aws:CurrentTime"]
    if chosen["root_session_mfa_present"] is not None:
        context["aws:MultiFactorAuthPresent"] = chosen["root_session_mfa_present"]
    if chosen["root_session_principal_type"] is not None:
        context["aws:PrincipalType"] = chosen["root_session_principal_type"]
    return context


def resource_context(account_id: str, org_id: str | None, org_paths: Sequence[str] | None) -> dict[str, Any]:
    """The keys of the account that owns the requested resource ("AWS global condition context keys"), to merge into a
    principal's context for a request on a resource of an account.

    ``aws:ResourceAccount`` "is always included in the request context for most service actions" (the exceptions are
    EBS, some EC2 copy actions, EventBridge and WorkSpaces images; none of S3, SQS, IAM or STS);
    ``aws:ResourceOrgID`` and ``aws:ResourceOrgPaths`` (multivalued) only "if the account that owns the resource is a
    member of an organization". Assumed, as AWS documents nothing for it: an action on no resource (``Resource``
    ``*``, as ``s3:ListAllMyBuckets``) has no owner, so the caller leaves these keys out.
    """
    context: dict[str, Any] = {"aws:ResourceAccount": account_id}
    if org_id:
        context["aws:ResourceOrgID"] = org_id
        context["aws:ResourceOrgPaths"] = list(org_paths or [])
    return context


PRINCIPAL_KINDS = ("role", "user", "root")


def principal_context(
    kind: str,
    account_id: str,
    org_id: str | None,
    org_paths: Sequence[str] | None,
    region: str,
    name: str | None = None,
    source_ip: str = "127.0.0.1",
    secure_transport: bool = True,
    now: datetime.datetime | None = None,
    principal_tags: Mapping[str, str] | None = None,
    mfa_present: bool | None = None,
) -> dict[str, Any]:
    """The request context of a principal other than a root session ("AWS global condition context keys").

    ``kind`` is ``role`` (a session of IAM role ``name``: ``aws:PrincipalArn`` is the role's ARN, not the session's,
    ``aws:PrincipalType`` ``AssumedRole``), ``user`` (IAM user ``name``: ``User``, ``aws:username``) or ``root``
    (the root user signing in with its own credentials: ``arn:aws:iam::<account>:root``, ``Account``, and no
    ``aws:AssumedRoot``). ``aws:MultiFactorAuthPresent`` is set only when ``mfa_present`` is given (AWS leaves it
    out for long-term access keys). Principal tags become ``aws:PrincipalTag/<key>``.
    """
    if kind not in PRINCIPAL_KINDS:
        raise ValueError(f"kind must be one of {', '.join(PRINCIPAL_KINDS)}, not {kind!r}")
    if kind != "root" and not name:
        raise ValueError(f"a {kind} needs a name")
    arns = {"role": f"arn:aws:iam::{account_id}:role/{name}", "user": f"arn:aws:iam::{account_id}:user/{name}", "root": f"arn:aws:iam::{account_id}:root"}
    types = {"role": "AssumedRole", "user": "User", "root": "Account"}
    context = _common_context(arns[kind], account_id, org_id, org_paths, region, source_ip, secure_transport, now)
    context["aws:PrincipalType"] = types[kind]
    if kind == "user":
        context["aws:username"] = name
    if kind == "role":
        context["aws:TokenIssueTime"] = context["aws:CurrentTime"]
    if mfa_present is not None:
        context["aws:MultiFactorAuthPresent"] = "true" if mfa_present else "false"
    for tag_key, tag_value in (principal_tags or {}).items():
        context[f"aws:PrincipalTag/{tag_key}"] = tag_value
    return context


# ---------------------------------------------------------------------------------------------------------------
# Policies, levels and decisions
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Policy:
    """An SCP or RCP attached to one target: ``document`` is a dict or its JSON text; ``arn`` (optional) is the
    policy's ARN, which ``denial_message`` appends."""

    id: str
    name: str
    document: Mapping[str, Any] | str
    target_id: str | None = None
    arn: str | None = None

    def statements(self) -> list[dict[str, Any]]:
        document = json.loads(self.document) if isinstance(self.document, str) else self.document
        if not isinstance(document, Mapping) or "Statement" not in document:
            raise PolicyError(f"policy {self.id} has no Statement")
        statements = document["Statement"]
        statements = [statements] if isinstance(statements, Mapping) else list(statements)
        for statement in statements:
            if not isinstance(statement, Mapping):
                raise PolicyError(f"policy {self.id} has a statement that is not an object")
        return statements


@dataclass(frozen=True)
class Level:
    """One level of the path (the root, an OU, the account) and the policies attached there."""

    target_id: str | None
    policies: Sequence[Policy]


@dataclass(frozen=True)
class Decision:
    """The outcome for one policy type. ``reason`` is ``explicit_deny``, ``not_allowed`` or None (allowed).

    For ``explicit_deny``: the denying policy (id, name, ARN), the target it is attached to and the statement (its
    Sid, else its 0-based index in the policy's Statement list). For ``not_allowed``: ``target_id`` is the first
    level, from the root down, where no ``Allow`` statement matches.
    """

    allowed: bool
    reason: str | None
    policy_type: str
    policy_id: str | None = None
    policy_name: str | None = None
    policy_arn: str | None = None
    target_id: str | None = None
    statement: str | int | None = None


LevelLike = Level | Sequence[Policy | Mapping[str, Any]]


def _as_policy(policy: Policy | Mapping[str, Any], target_id: str | None) -> Policy:
    if isinstance(policy, Policy):
        return policy if policy.target_id or not target_id else Policy(policy.id, policy.name, policy.document, target_id, policy.arn)
    return Policy(id=policy["id"], name=policy["name"], document=policy["document"], target_id=policy.get("target_id") or target_id, arn=policy.get("arn"))


def _as_level(level: LevelLike) -> Level:
    if isinstance(level, Level):
        return Level(level.target_id, [_as_policy(policy, level.target_id) for policy in level.policies])
    policies = [_as_policy(policy, None) for policy in level]
    targets = {policy.target_id for policy in policies if policy.target_id}
    if len(targets) > 1:
        raise PolicyError(f"the policies of one level name different targets: {sorted(targets)}")
    target_id = next(iter(targets), None)
    return Level(target_id, [_as_policy(policy, target_id) for policy in policies])


def evaluate_scps(levels: Sequence[LevelLike], request: Request) -> Decision:
    """SCP evaluation ("SCP evaluation", Organizations User Guide).

    ``levels`` is the path root -> each OU -> the account, each a ``Level`` or a list of policies (``Policy`` or a
    mapping with id, name, document, target_id). An explicit ``Deny`` anywhere denies (the first from the root down
    is reported); otherwise an ``Allow`` must match at every level. SCPs never apply to the management account: the
    caller does not call this for it.
    """
    return _evaluate(levels, request, SERVICE_CONTROL_POLICY)


def evaluate_rcps(levels: Sequence[LevelLike], request: Request, settings: Mapping[str, Any] | None = None) -> Decision:
    """RCP evaluation ("RCP evaluation", Organizations User Guide), for a resource in a member account.

    An action of a service RCPs do not apply to (``rcp_applies``) is allowed without reading the policies. Else as
    SCPs: a ``Deny`` at any level denies, and an ``Allow`` must match at every level (``RCPFullAWSAccess``, which AWS
    never lets anyone detach). The caller leaves out resources of the management account and requests of
    service-linked roles, which RCPs never affect.
    """
    if not rcp_applies(request.action, settings):
        return Decision(allowed=True, reason=None, policy_type=RESOURCE_CONTROL_POLICY)
    return _evaluate(levels, request, RESOURCE_CONTROL_POLICY)


def _evaluate(levels: Sequence[LevelLike], request: Request, policy_type: str) -> Decision:
    path = [_as_level(level) for level in levels]
    if not path:
        raise PolicyError("the path has no level (it starts at the organization root)")
    for level in path:
        for policy in level.policies:
            for index, statement in enumerate(policy.statements()):
                if _effect(statement, policy) == "Deny" and statement_matches(statement, request, policy_type):
                    return Decision(
                        allowed=False,
                        reason="explicit_deny",
                        policy_type=policy_type,
                        policy_id=policy.id,
                        policy_name=policy.name,
                        policy_arn=policy.arn,
                        target_id=policy.target_id or level.target_id,
                        statement=statement.get("Sid", index),
                    )
    for level in path:
        if not any(_allows(policy, request, policy_type) for policy in level.policies):
            return Decision(allowed=False, reason="not_allowed", policy_type=policy_type, target_id=level.target_id)
    return Decision(allowed=True, reason=None, policy_type=policy_type)


def _allows(policy: Policy, request: Request, policy_type: str) -> bool:
    return any(_effect(statement, policy) == "Allow" and statement_matches(statement, request, policy_type) for statement in policy.statements())


def _effect(statement: Mapping[str, Any], policy: Policy) -> str:
    effect = statement.get("Effect")
    if effect not in ("Allow", "Deny"):
        raise PolicyError(f"policy {policy.id}: Effect must be Allow or Deny, not {effect!r}")
    return effect


# ---------------------------------------------------------------------------------------------------------------
# Statements
# ---------------------------------------------------------------------------------------------------------------


def statement_matches(statement: Mapping[str, Any], request: Request, policy_type: str = SERVICE_CONTROL_POLICY) -> bool:
    """Whether one statement applies to the request: its principal (RCPs), action, resource and every condition."""
    _check_principal(statement, policy_type)
    return _action_matches(statement, request.action) and _resource_matches(statement, request) and conditions_hold(statement.get("Condition") or {}, request)


def _check_principal(statement: Mapping[str, Any], policy_type: str) -> None:
    """SCPs take no Principal; RCPs take only ``"*"`` ("RCP syntax"), so every RCP statement concerns every caller."""
    if "NotPrincipal" in statement:
        raise PolicyError("NotPrincipal is not supported in SCPs or RCPs")
    principal = statement.get("Principal")
    if policy_type == SERVICE_CONTROL_POLICY:
        if principal is not None:
            raise PolicyError("SCP statements take no Principal")
        return
    if principal not in ("*", {"AWS": "*"}):
        raise PolicyError(f'an RCP statement\'s Principal must be "*", not {principal!r}')


def _one_of(statement: Mapping[str, Any], positive: str, negative: str) -> tuple[list[Any], bool]:
    if (positive in statement) == (negative in statement):
        raise PolicyError(f"a statement needs exactly one of {positive} and {negative}")
    key = positive if positive in statement else negative
    return _as_list(statement[key]), key == negative


def _as_list(value: Any) -> list[Any]:
    return list(value) if isinstance(value, (list, tuple)) else [value]


def _action_matches(statement: Mapping[str, Any], action: str) -> bool:
    """Action/NotAction: ``service:Action`` patterns with ``*`` and ``?``, case-insensitive ("IAM JSON policy
    elements: Action")."""
    patterns, negated = _one_of(statement, "Action", "NotAction")
    matched = any(_wildcard_regex(_wildcard_tokens(str(pattern)), ignore_case=True).fullmatch(action) for pattern in patterns)
    return matched != negated


def _resource_matches(statement: Mapping[str, Any], request: Request) -> bool:
    """Resource/NotResource: ARN patterns with ``*`` and ``?`` over the whole ARN, case-sensitive, policy variables
    allowed ("IAM JSON policy elements: Resource"). A pattern whose variable cannot be resolved matches nothing."""
    patterns, negated = _one_of(statement, "Resource", "NotResource")
    matched = False
    for pattern in patterns:
        tokens = resolve_variables(str(pattern), request)
        if tokens is not None and _wildcard_regex(tokens).fullmatch(request.resource):
            matched = True
            break
    return matched != negated


# ---------------------------------------------------------------------------------------------------------------
# Policy variables and wildcards
# ---------------------------------------------------------------------------------------------------------------

STAR = object()
QUESTION = object()
Token = Any  # a literal str, STAR or QUESTION

VARIABLE = re.compile(r"\$\{([^}]*)\}")
VARIABLE_WITH_DEFAULT = re.compile(r"\s*([^,\s]+)\s*,\s*'([^']*)'\s*")
ESCAPES = {"*": "*", "?": "?", "$": "$"}


def resolve_variables(text: str, request: Request) -> list[Token] | None:
    """A policy string as tokens, its variables resolved ("IAM policy elements: Variables and tags").

    ``${key}`` becomes the key's value (literal text, so a ``*`` in it is no wildcard); ``${*}``, ``${?}`` and
    ``${$}`` are the literal characters; ``${key, 'default'}`` falls back to the default. A variable whose key is
    absent, or multivalued (AWS allows variables of single-valued keys only), makes the whole value unresolvable:
    None, and the value matches nothing. Outside variables, ``*`` and ``?`` are wildcards.
    """
    tokens: list[Token] = []
    position = 0
    for match in VARIABLE.finditer(text):
        tokens.extend(_wildcard_tokens(text[position : match.start()]))
        inner = match.group(1)
        if inner in ESCAPES:
            tokens.append(ESCAPES[inner])
        else:
            value = _variable_value(inner, request)
            if value is None:
                return None
            tokens.append(value)
        position = match.end()
    tokens.extend(_wildcard_tokens(text[position:]))
    return tokens


def _variable_value(inner: str, request: Request) -> str | None:
    with_default = VARIABLE_WITH_DEFAULT.fullmatch(inner)
    key, default = (with_default.group(1), with_default.group(2)) if with_default else (inner.strip(), None)
    values = request.values(key)
    if values is not None and len(values) == 1:
        return values[0]
    return default


def _wildcard_tokens(text: str) -> list[Token]:
    tokens: list[Token] = []
    literal = ""
    for character in text:
        if character in "*?":
            if literal:
                tokens.append(literal)
                literal = ""
            tokens.append(STAR if character == "*" else QUESTION)
        else:
            literal += character
    if literal:
        tokens.append(literal)
    return tokens


def _wildcard_regex(tokens: Sequence[Token], ignore_case: bool = False) -> re.Pattern[str]:
    """A regular expression for tokens: literal text escaped, ``STAR`` any run of characters, ``QUESTION`` one."""
    parts = [".*" if token is STAR else "." if token is QUESTION else re.escape(token) for token in tokens]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def _literal(tokens: Sequence[Token]) -> str:
    """Tokens as plain text, for the operators that do not take wildcards (StringEquals, Bool...)."""
    return "".join("*" if token is STAR else "?" if token is QUESTION else token for token in tokens)


# ---------------------------------------------------------------------------------------------------------------
# Conditions
# ---------------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Operator:
    """A parsed condition operator: its family, whether negated, ``IfExists``, and its set qualifier."""

    name: str
    family: str
    negated: bool
    if_exists: bool
    qualifier: str | None


# base name -> (family, negated). Families compare one context value with one policy value.
BASE_OPERATORS: dict[str, tuple[str, bool]] = {
    "StringEquals": ("StringEquals", False),
    "StringNotEquals": ("StringEquals", True),
    "StringEqualsIgnoreCase": ("StringEqualsIgnoreCase", False),
    "StringNotEqualsIgnoreCase": ("StringEqualsIgnoreCase", True),
    "StringLike": ("StringLike", False),
    "StringNotLike": ("StringLike", True),
    "ArnEquals": ("ArnLike", False),
    "ArnNotEquals": ("ArnLike", True),
    "ArnLike": ("ArnLike", False),
    "ArnNotLike": ("ArnLike", True),
    "NumericEquals": ("NumericEquals", False),
    "NumericNotEquals": ("NumericEquals", True),
    "NumericLessThan": ("NumericLessThan", False),
    "NumericLessThanEquals": ("NumericLessThanEquals", False),
    "NumericGreaterThan": ("NumericGreaterThan", False),
    "NumericGreaterThanEquals": ("NumericGreaterThanEquals", False),
    "DateEquals": ("DateEquals", False),
    "DateNotEquals": ("DateEquals", True),
    "DateLessThan": ("DateLessThan", False),
    "DateLessThanEquals": ("DateLessThanEquals", False),
    "DateGreaterThan": ("DateGreaterThan", False),
    "DateGreaterThanEquals": ("DateGreaterThanEquals", False),
    "Bool": ("Bool", False),
    "BinaryEquals": ("BinaryEquals", False),
    "IpAddress": ("IpAddress", False),
    "NotIpAddress": ("IpAddress", True),
    "Null": ("Null", False),
}
QUALIFIERS = ("ForAnyValue", "ForAllValues")
# Operators whose values may hold policy variables ("IAM JSON policy elements: Condition operators").
VARIABLE_FAMILIES = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnLike", "Bool"})


def parse_operator(name: str) -> Operator:
    """``[ForAnyValue:|ForAllValues:]<Operator>[IfExists]``, spelled as AWS spells it; anything else raises
    ``UnknownOperatorError``. ``Null`` takes neither ``IfExists`` nor a qualifier."""
    qualifier, _separator, base = name.rpartition(":")
    if qualifier and qualifier not in QUALIFIERS:
        raise UnknownOperatorError(f"unknown set qualifier {qualifier!r} in condition operator {name!r}")
    if_exists = base.endswith("IfExists")
    base = base[: -len("IfExists")] if if_exists else base
    if base not in BASE_OPERATORS:
        raise UnknownOperatorError(f"unknown condition operator {name!r}: the emulator implements {', '.join(sorted(BASE_OPERATORS))}")
    family, negated = BASE_OPERATORS[base]
    if family == "Null" and (if_exists or qualifier):
        raise UnknownOperatorError(f"{name!r}: Null takes neither IfExists nor a set qualifier")
    return Operator(name=name, family=family, negated=negated, if_exists=if_exists, qualifier=qualifier or None)


def conditions_hold(condition: Mapping[str, Any], request: Request) -> bool:
    """The Condition element: every operator block holds, and in a block every key holds (AND); the values listed
    for one key are alternatives (OR) ("IAM JSON policy elements: Condition", "Creating a condition with multiple
    keys or values")."""
    if not isinstance(condition, Mapping):
        raise PolicyError("Condition must be an object")
    for operator_name, block in condition.items():
        operator = parse_operator(operator_name)
        if not isinstance(block, Mapping):
            raise PolicyError(f"the {operator_name} block must map condition keys to values")
        for key, policy_values in block.items():
            if not key_condition_holds(operator, key, _as_list(policy_values), request):
                return False
    return True


def key_condition_holds(operator: Operator, key: str, policy_values: Sequence[Any], request: Request) -> bool:
    """One key under one operator.

    Absent key (IAM User Guide, "Condition operators" and "Single-valued vs. multivalued context keys"): ``Null``
    tests presence; ``IfExists`` -> true; ``ForAllValues`` -> true; ``ForAnyValue`` -> false; a negated operator
    (StringNotEquals, StringNotLike, ArnNotLike, ArnNotEquals, NumericNotEquals, DateNotEquals, NotIpAddress) ->
    true; any other -> false. Present key: the negated operator is the negation of its positive form ("matches none
    of the policy values"). Without a qualifier a multivalued key holds for the positive form when any of its values
    matches any policy value (an assumption: AWS advises a set qualifier for multivalued keys and documents no
    other reading). An empty list counts as absent for ``Null`` and for the set qualifiers. Also assumed: ``IfExists``
    after a set qualifier (``ForAnyValue:StringEqualsIfExists``) passes an absent key like any ``IfExists``; AWS
    documents the combination for neither qualifier.
    """
    values = request.values(key)
    if operator.family == "Null":
        return _null_holds(values, policy_values)
    if not values:
        if operator.if_exists or operator.qualifier == "ForAllValues":
            return True
        if operator.qualifier == "ForAnyValue":
            return False
        return operator.negated
    policy_items = [_policy_value(operator, value, request) for value in policy_values]

    def satisfied(context_value: str) -> bool:
        positive = any(item is not None and _compare(operator.family, context_value, item) for item in policy_items)
        return positive != operator.negated

    if operator.qualifier == "ForAnyValue":
        return any(satisfied(value) for value in values)
    if operator.qualifier == "ForAllValues":
        return all(satisfied(value) for value in values)
    positive = any(item is not None and _compare(operator.family, value, item) for value in values for item in policy_items)
    return positive != operator.negated


def _null_holds(values: list[str] | None, policy_values: Sequence[Any]) -> bool:
    absent = not values
    results = []
    for policy_value in policy_values:
        text = _context_scalar(policy_value).lower()
        if text not in ("true", "false"):
            raise PolicyError(f"Null takes true or false, not {policy_value!r}")
        results.append(absent == (text == "true"))
    return any(results)


def _policy_value(operator: Operator, value: Any, request: Request) -> Any:
    """A policy value ready to compare: tokens (variables resolved) for the string families, else the raw text.
    None when a variable cannot be resolved: that value matches nothing."""
    text = _context_scalar(value)
    if operator.family in VARIABLE_FAMILIES:
        return resolve_variables(text, request)
    return text


def _compare(family: str, context_value: str, policy_item: Any) -> bool:
    return COMPARATORS[family](context_value, policy_item)


def _string_equals(context_value: str, tokens: list[Token]) -> bool:
    return context_value == _literal(tokens)


def _string_equals_ignore_case(context_value: str, tokens: list[Token]) -> bool:
    return context_value.casefold() == _literal(tokens).casefold()


def _string_like(context_value: str, tokens: list[Token]) -> bool:
    return _wildcard_regex(tokens).fullmatch(context_value) is not None


def _arn_like(context_value: str, tokens: list[Token]) -> bool:
    """ArnEquals/ArnLike: the six colon-separated parts compared one by one, each with ``*`` and ``?``,
    case-sensitive ("Condition operators", Amazon Resource Name (ARN) condition operators). The resource part keeps
    its own colons. A pattern or a value with fewer than six parts matches nothing (assumed: AWS documents the
    six-part comparison only)."""
    context_parts = context_value.split(":", 5)
    pattern_parts = _split_tokens(tokens)
    if len(context_parts) != 6 or len(pattern_parts) != 6:
        return False
    return all(_wildcard_regex(part).fullmatch(text) is not None for part, text in zip(pattern_parts, context_parts))


def _split_tokens(tokens: list[Token]) -> list[list[Token]]:
    """Tokens split on the first five colons of their literal text (colons from variables split too, as text)."""
    parts: list[list[Token]] = [[]]
    for token in tokens:
        if not isinstance(token, str):
            parts[-1].append(token)
            continue
        pieces = token.split(":")
        for number, piece in enumerate(pieces):
            if number:
                if len(parts) < 6:
                    parts.append([])
                else:
                    parts[-1].append(":")
            if piece:
                parts[-1].append(piece)
    return parts


def _decimal(text: str) -> Decimal | None:
    try:
        return Decimal(text.strip())
    except (InvalidOperation, AttributeError):
        return None


def _numeric(check: Any) -> Any:
    def compare(context_value: str, policy_value: str) -> bool:
        left, right = _decimal(context_value), _decimal(policy_value)
        return left is not None and right is not None and check(left, right)

    return compare


def parse_date(text: str) -> datetime.datetime | None:
    """A date condition value: ISO 8601 (a date, or a date and time; no zone means UTC) or epoch seconds."""
    text = text.strip()
    if re.fullmatch(r"-?\d+(\.\d+)?", text):
        return datetime.datetime.fromtimestamp(float(text), datetime.timezone.utc)
    try:
        moment = datetime.datetime.fromisoformat(text)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=datetime.timezone.utc)


def _date(check: Any) -> Any:
    def compare(context_value: str, policy_value: str) -> bool:
        left, right = parse_date(context_value), parse_date(policy_value)
        return left is not None and right is not None and check(left, right)

    return compare


def _bool(context_value: str, tokens: list[Token]) -> bool:
    return context_value.lower() == _literal(tokens).lower()


def _binary_equals(context_value: str, policy_value: str) -> bool:
    """BinaryEquals ("Condition operators", Binary condition operators): "compares the value of the specified key byte
    for byte against a base-64 encoded representation of the binary value in the policy". The request context holds
    binary values base64-encoded too; text that is not base64 matches nothing."""
    try:
        return base64.b64decode(context_value, validate=True) == base64.b64decode(policy_value, validate=True)
    except (binascii.Error, ValueError):
        return False


def _ip_address(context_value: str, policy_value: str) -> bool:
    try:
        address = ipaddress.ip_address(context_value.strip())
        network = ipaddress.ip_network(policy_value.strip(), strict=False)
    except ValueError:
        return False
    return address.version == network.version and address in network


COMPARATORS: dict[str, Any] = {
    "StringEquals": _string_equals,
    "StringEqualsIgnoreCase": _string_equals_ignore_case,
    "StringLike": _string_like,
    "ArnLike": _arn_like,
    "NumericEquals": _numeric(lambda left, right: left == right),
    "NumericLessThan": _numeric(lambda left, right: left < right),
    "NumericLessThanEquals": _numeric(lambda left, right: left <= right),
    "NumericGreaterThan": _numeric(lambda left, right: left > right),
    "NumericGreaterThanEquals": _numeric(lambda left, right: left >= right),
    "DateEquals": _date(lambda left, right: left == right),
    "DateLessThan": _date(lambda left, right: left < right),
    "DateLessThanEquals": _date(lambda left, right: left <= right),
    "DateGreaterThan": _date(lambda left, right: left > right),
    "DateGreaterThanEquals": _date(lambda left, right: left >= right),
    "Bool": _bool,
    "BinaryEquals": _binary_equals,
    "IpAddress": _ip_address,
}


# ---------------------------------------------------------------------------------------------------------------
# Access-denied messages
# ---------------------------------------------------------------------------------------------------------------

POLICY_TYPE_WORDS = {SERVICE_CONTROL_POLICY: "service control policy", RESOURCE_CONTROL_POLICY: "resource control policy"}


def denial_message(decision: Decision, request: Request, principal_arn: str, include_policy_arn: bool = True) -> str:
    """AWS's access-denied text for a denying decision.

    IAM User Guide, "Troubleshooting access denied error messages": "User: <user> is not authorized to perform:
    <action> on resource: <resource> " followed by "with an explicit deny in a <type> policy" for an explicit deny
    and "because no <type> policy allows the <action> action" for an implicit one. The AWS Security Blog, "Enhanced
    access denied error messages with policy ARNs", adds ": <policy ARN>" after an explicit deny, in same-account
    and same-organization requests only (always the case for a member account's principals and resources); the
    ARN is appended when the decision knows it and ``include_policy_arn`` is true (the roll-out is gradual, so a
    given service may still leave it out). Assumed: the implicit form never carries an ARN (no single policy is to
    blame), and the action is written as the request spells it.
    """
    if decision.allowed or decision.reason is None:
        raise ValueError("an allowed decision has no denial message")
    words = POLICY_TYPE_WORDS[decision.policy_type]
    head = f"User: {principal_arn} is not authorized to perform: {request.action} on resource: {request.resource}"
    if decision.reason == "explicit_deny":
        message = f"{head} with an explicit deny in a {words}"
        if include_policy_arn and decision.policy_arn:
            message += f": {decision.policy_arn}"
        return message
    return f"{head} because no {words} allows the {request.action} action"


def policy_arn(management_account_id: str, org_id: str, policy_id: str, policy_type: str = SERVICE_CONTROL_POLICY) -> str:
    """An organization policy's ARN (Organizations API Reference, ``PolicySummary.Arn``): AWS managed policies
    (``p-FullAWSAccess``, ``p-RCPFullAWSAccess``) have ``aws`` in place of the account and no organization."""
    if policy_id in ("p-FullAWSAccess", "p-RCPFullAWSAccess"):
        return f"arn:aws:organizations::aws:policy/{policy_type}/{policy_id}"
    return f"arn:aws:organizations::{management_account_id}:policy/{org_id}/{policy_type}/{policy_id}"
