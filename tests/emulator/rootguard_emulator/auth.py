"""The single choke point every request passes through before its handler:
moto's ``ActionAuthenticatorMixin._authenticate_and_authorize_action``.

Here the extension logs the request, injects faults, enforces root sessions
(expiry, task-policy scope), SCPs and RCPs (guardrails.py), locked bucket and
queue policies, and who may call Organizations, in that order: when several
deny, the first names itself. Denials are rendered in the caller's protocol."""

from __future__ import annotations

import time
from typing import Any

from moto.core.authorization import ActionAuthenticatorMixin
from moto.iam.models import iam_backends
from moto.s3.models import s3_backends
from moto.sqs.models import sqs_backends
from moto.sts.models import sts_backends

from . import guardrails, orgs
from .errors import ProtocolError
from .policies import allowed_actions, denies_everyone
from .state import STATE, RootPrincipal, is_write
from .sts_ext import TARGET_PATTERN

_ORIGINAL = ActionAuthenticatorMixin._authenticate_and_authorize_action

# IAM actions a task policy scopes to the root user resource (NotResource arn:aws:iam::*:root).
ROOT_RESOURCE_ACTIONS = frozenset(
    {
        "ListAccessKeys", "ListSigningCertificates", "GetLoginProfile", "ListMFADevices", "GetUser",
        "GetAccessKeyLastUsed", "CreateLoginProfile", "DeleteAccessKey", "DeleteSigningCertificate",
        "DeleteLoginProfile", "DeactivateMFADevice", "DeleteVirtualMFADevice",
    }
)
ORGANIZATIONS_MEMBER_ACTIONS = frozenset({"DescribeOrganization", "CreateOrganization", "LeaveOrganization"})


def _json_request(response: Any) -> bool:
    return bool(response.headers.get("X-Amz-Target") or response.headers.get("x-amz-target"))


def _action(response: Any) -> str:
    if response.service_name == "s3":
        return str(response.data.get("Action") or "")
    return response._get_action() or ""


def _subject_account(response: Any, service: str, action: str) -> str:
    """The account a call is about: the target of AssumeRoot, else the account it acts in."""
    if service == "sts" and action == "AssumeRoot":
        match = TARGET_PATTERN.fullmatch(str(response._get_param("TargetPrincipal") or ""))
        if match:
            return match.group(1)
    return response.current_account


def _error(response: Any, code: str, message: str, status: int) -> ProtocolError:
    service = response.service_name
    if code == "AccessDenied" and service == "organizations":
        code = "AccessDeniedException"
    error = ProtocolError(service, code, message, status=status, json_request=_json_request(response))
    # moto's call_action keeps only the body and status of an authorization
    # error; the protocol's headers travel on the response headers instead.
    response.response_headers.update(dict(error.get_headers()))
    return error


def _apply_fault(response: Any, service: str, action: str, subject: str, principal: RootPrincipal | None, resource: str) -> None:
    rule = STATE.pick_fault(service, action, subject, principal is not None)
    if rule is None:
        return
    if rule.delay_seconds:
        time.sleep(rule.delay_seconds)
    if rule.code:
        message = rule.message
        if rule.policy_type == guardrails.SCP:
            resource_arn = _resource_of(response, service, action, resource, principal)[0]
            message = guardrails.fault_message(service, action, resource_arn, _caller(response, principal).arn)
        raise _error(response, rule.code, message, rule.status)


def _caller(response: Any, principal: RootPrincipal | None) -> guardrails.Caller:
    """Who signs the request: a root principal, else the IAM user or role session that owns the access key in the
    account moto resolved it to; a key moto does not know acts as moto's default user of that account."""
    if principal is not None:
        return guardrails.Caller("root-session" if principal.task_policy else "root", principal.account_id, principal.arn)
    account_id = response.current_account
    access_key_id = response.get_access_key()
    iam = dict.get(dict.get(iam_backends, account_id) or {}, response.partition)
    access_key = iam.access_keys.get(access_key_id) if iam is not None else None
    if access_key is not None and access_key.user_name:
        return guardrails.Caller("user", account_id, f"arn:aws:iam::{account_id}:user/{access_key.user_name}", access_key.user_name)
    sts = dict.get(dict.get(sts_backends, account_id) or {}, response.partition)
    session = sts.get_assumed_role_from_access_key(access_key_id) if sts is not None else None
    if session is not None:
        kind = "service-linked" if guardrails.SERVICE_LINKED_ROLE_PATH in session.role_arn else "role"
        return guardrails.Caller(kind, account_id, session.arn, session.role_arn.split(":role/", 1)[-1])
    return guardrails.Caller("user", account_id, f"arn:aws:iam::{account_id}:user/moto", "moto")


def _resource_of(response: Any, service: str, action: str, resource: str, principal: RootPrincipal | None) -> tuple[str, str | None]:
    """The resource ARN a request acts on, as AWS names it in policies and denials, and the account that owns it
    (None when the request names no resource of an account)."""
    account_id = principal.account_id if principal else response.current_account
    if service == "iam":
        if response._get_param("UserName"):
            return f"arn:aws:iam::{account_id}:user/{response._get_param('UserName')}", account_id
        if principal is not None and action == "DeleteVirtualMFADevice":
            return str(response._get_param("SerialNumber") or resource), account_id
        if principal is not None and action in ROOT_RESOURCE_ACTIONS:
            return principal.arn, account_id
        return resource, account_id
    if service == "s3":
        bucket_name = str(response.data.get("BucketName") or "")
        if not bucket_name:
            return "*", None  # ListAllMyBuckets and the like name no bucket
        return resource, _bucket_owner(bucket_name) or account_id
    if service == "sqs":
        queue = _queue(response)
        if queue is not None:
            return queue.queue_arn, queue.account_id
        queue_name = response._get_param("QueueName")
        if queue_name:
            return f"arn:aws:sqs:{response.region}:{account_id}:{queue_name}", account_id
        return "*", None
    if service == "sts":
        if action == "AssumeRoot":
            match = TARGET_PATTERN.fullmatch(str(response._get_param("TargetPrincipal") or ""))
            return (f"arn:aws:iam::{match.group(1)}:root", match.group(1)) if match else ("*", None)
        role_arn = str(response._get_param("RoleArn") or "")
        if role_arn.startswith("arn:aws:iam::"):
            return role_arn, role_arn.split(":")[4]
    return resource, None


def _check_guardrails(response: Any, service: str, action: str, resource: str, principal: RootPrincipal | None) -> None:
    """SCPs and RCPs (guardrails.py): a denial in the caller's protocol, with AWS's message."""
    if not guardrails.any_enforced():
        return
    resource_arn, resource_account = _resource_of(response, service, action, resource, principal)
    caller_account = principal.account_id if principal else response.current_account
    denial = guardrails.check(caller_account, lambda: _caller(response, principal), service, action, resource_arn, resource_account, response.region)
    if denial is not None:
        raise _error(response, "AccessDenied", guardrails.message(denial), 403)


def _queue(response: Any):
    """The queue a request names, in the account its URL names (a queue URL
    carries the owner's account id), else in the caller's account."""
    queue_url = str(response._get_param("QueueUrl") or "").rstrip("/")
    parts = queue_url.rsplit("/", maxsplit=2)
    if not parts[-1]:
        return None
    account_id = parts[-2] if len(parts) == 3 and parts[-2].isdigit() and len(parts[-2]) == 12 else response.current_account
    backend = sqs_backends.get(account_id)
    if backend is None:
        return None
    return backend[response.region].queues.get(parts[-1])


def _bucket_owner(bucket_name: str) -> str | None:
    owner = s3_backends.bucket_accounts.get(bucket_name)
    return owner[1] if owner else None


def _bucket_policy(bucket_name: str):
    owner = s3_backends.bucket_accounts.get(bucket_name)
    if owner is None:
        return None
    partition, account_id = owner
    bucket = s3_backends[account_id][partition].buckets.get(bucket_name)
    return bucket.policy if bucket else None


def _check_root(response: Any, principal: RootPrincipal, service: str, action: str, resource: str) -> None:
    if principal.expired():
        raise _error(response, "ExpiredToken", "The security token included in the request is expired", 400)
    if principal.task_policy is None or (service == "sts" and action == "GetCallerIdentity"):
        return
    full_action = f"{service}:{action}"
    denied_resource = None
    if full_action not in allowed_actions(principal.task_policy):
        denied_resource = resource
    elif service == "iam" and action in ROOT_RESOURCE_ACTIONS:
        denied_resource = _iam_non_root_resource(response, principal, action)
    elif service == "s3" and action != "ListAllMyBuckets":
        bucket_name = str(response.data.get("BucketName") or "")
        owner = _bucket_owner(bucket_name)
        if owner is not None and owner != principal.account_id:
            denied_resource = f"arn:aws:s3:::{bucket_name}"
    elif service == "sqs" and action == "GetQueueAttributes":
        queue_url = response._get_param("QueueUrl")
        if queue_url and f"/{principal.account_id}/" not in str(queue_url):
            denied_resource = str(queue_url)
    if denied_resource is not None:
        raise _error(
            response,
            "AccessDenied",
            f"User: {principal.arn} is not authorized to perform: {full_action} on resource: {denied_resource} "
            "with an explicit deny in a session policy",
            403,
        )


def _iam_non_root_resource(response: Any, principal: RootPrincipal, action: str) -> str | None:
    """The non-root IAM resource a root session's call names, if any."""
    user_name = response._get_param("UserName")
    if user_name:
        return f"arn:aws:iam::{principal.account_id}:user/{user_name}"
    if action == "GetAccessKeyLastUsed":
        owner = STATE.root_principals.get(str(response._get_param("AccessKeyId")))
        if owner is None or owner.task_policy or owner.account_id != principal.account_id:
            return f"arn:aws:iam::{principal.account_id}:user/*"
    if action == "DeleteVirtualMFADevice":
        serial = str(response._get_param("SerialNumber") or "")
        if not serial.startswith(f"arn:aws:iam::{principal.account_id}:mfa/"):
            return serial
    return None


def _check_locked_resources(response: Any, service: str, action: str, resource: str, root_account: str | None) -> None:
    """A policy that denies everyone binds every principal but the owning account's root user."""
    if service == "s3":
        bucket_name = str(response.data.get("BucketName") or "")
        if not bucket_name or root_account == _bucket_owner(bucket_name):
            return
        if denies_everyone(_bucket_policy(bucket_name), f"s3:{action}", resource):
            raise _error(response, "AccessDenied", "Access Denied", 403)
    elif service == "sqs":
        queue = _queue(response)
        if queue is None or root_account == queue.account_id:
            return
        if denies_everyone(queue.policy, f"sqs:{action}", queue.queue_arn):
            caller = f"arn:aws:iam::{root_account}:root" if root_account else f"arn:aws:iam::{response.current_account}:user/caller"
            raise _error(
                response,
                "AccessDenied",
                f"User: {caller} is not authorized to perform: sqs:{action} "
                f"on resource: {queue.queue_arn} with an explicit deny in a resource-based policy",
                403,
            )


def _check_organizations_caller(response: Any, action: str) -> None:
    """Members may only describe their organization; delegated administrators
    may also read it (answered from the management account's backend)."""
    caller = response.current_account
    backend = orgs.management_backend(caller)
    if backend is None or backend.org is None or backend.org.master_account_id == caller:
        return
    if action in ORGANIZATIONS_MEMBER_ACTIONS:
        return
    if action.startswith(("List", "Describe")) and orgs.is_delegated_administrator(backend, caller, principal=None):
        response.current_account = backend.org.master_account_id
        return
    raise _error(response, "AccessDenied", "You don't have permissions to access this resource.", 403)


def authenticate_and_authorize(self: Any, iam_request_cls: type, resource: str = "*") -> None:
    service = self.service_name or ""
    action = _action(self)
    principal = STATE.root_principals.get(self.get_access_key())
    subject = _subject_account(self, service, action)
    entry = STATE.log_request(
        service=service,
        action=action,
        account=subject,
        caller_account=self.current_account,
        principal="root" if principal else "iam",
        task_policy=principal.task_policy if principal else None,
        write=is_write(service, action),
        rejected=None,
    )
    try:
        _apply_fault(self, service, action, subject, principal, resource)
        if principal is not None:
            _check_root(self, principal, service, action, resource)
        _check_guardrails(self, service, action, resource, principal)
        _check_locked_resources(self, service, action, resource, principal.account_id if principal else None)
        if service == "organizations":
            _check_organizations_caller(self, action)
    except ProtocolError as error:
        entry["rejected"] = error.error_code
        raise
    _ORIGINAL(self, iam_request_cls, resource)


def install() -> None:
    ActionAuthenticatorMixin._authenticate_and_authorize_action = authenticate_and_authorize
