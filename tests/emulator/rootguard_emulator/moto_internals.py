"""Every moto internal the emulator relies on, in one table, and the check that each still has
the shape the emulator expects.

moto's public API is ``mock_aws`` and its server; the emulator goes further: it imports moto's
models, exceptions and response classes, replaces or wraps some of their functions and methods,
subclasses a few classes and adds methods moto does not have. A moto upgrade that renames,
removes or changes any of them breaks the emulator. ``python -m rootguard_emulator.moto_internals``
(and tests/emulator/test_moto_internals.py) checks the table against the installed moto and lists
every difference, so an upgrade fails here, readably, and not somewhere deep in a request.

Shapes:
- ``(self, attributes, now)``: a callable with exactly these parameters (``*args``/``**kwargs``
  spelled so), as seen on the class or module;
- ``class``, ``module``, or a type name (``list``, ``dict``, ``str``, ``int``, ``BackendDict``...):
  what the attribute is;
- ``absent``: moto must not have it: the emulator adds it, and would hide moto's own.

Uses: ``replaced`` (the emulator's function takes its place), ``wrapped`` (the emulator's function
calls moto's), ``subclassed``, ``added``, ``changed`` (a value the emulator modifies), ``called``
(a function or method the emulator calls) and ``imported`` (a class or value the emulator reads,
raises or catches)."""

from __future__ import annotations

import importlib
import inspect
import sys
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Internal:
    module: str
    attribute: str  # dotted, inside the module
    shape: str
    use: str
    by: str  # the emulator module(s) relying on it

    @property
    def name(self) -> str:
        return f"{self.module}:{self.attribute}"


def _rows(module: str, use: str, by: str, entries: dict[str, str]) -> list[Internal]:
    return [Internal(module, attribute, shape, use, by) for attribute, shape in entries.items()]


# The IAM handlers that answer for the root user and otherwise call moto's (iam_ext.ROOT_AWARE),
# and the Organizations listings given AWS's page limits (organizations_ext.PAGINATED).
IAM_ROOT_AWARE = ("get_user", "get_login_profile", "create_login_profile", "delete_login_profile", "list_access_keys",
                  "delete_access_key", "get_access_key_last_used", "list_signing_certificates", "delete_signing_certificate",
                  "list_mfa_devices", "deactivate_mfa_device", "delete_virtual_mfa_device", "get_account_summary")
# The IAM handlers credential_report answers in place of moto's (credential_report.HANDLERS).
IAM_CREDENTIAL_REPORT = ("generate_credential_report", "get_credential_report")
ORGANIZATIONS_PAGINATED = {
    "list_accounts": "(self)",
    "list_accounts_for_parent": "(self, parent_id)",
    "list_organizational_units_for_parent": "(self, parent_id)",
    "list_policies": "(self, policy_type)",
    "list_policies_for_target": "(self, target_id, policy_type)",
}

INTERNALS: tuple[Internal, ...] = tuple([
    # Functions and methods the emulator replaces or wraps.
    *_rows("moto.core.base_backend", "wrapped", "__init__, speed", {
        "BackendDict": "class",
        "BackendDict.reset": "()",
        "BackendDict.__getitem__": "(self, account_id)",
        "BackendDict._instances": "list",
    }),
    *_rows("moto.sqs.models", "wrapped", "__init__", {"Queue": "class", "Queue._set_attributes": "(self, attributes, now)"}),
    *_rows("moto.moto_server.werkzeug_app", "wrapped", "speed, server", {
        "DomainDispatcherApplication": "class",
        "DomainDispatcherApplication.get_backend_for_host": "(self, host)",
    }),
    *_rows("moto.core.responses", "replaced", "speed", {"method_names_from_class": "(clazz)"}),
    *_rows("moto.core.authorization", "wrapped", "auth", {
        "ActionAuthenticatorMixin": "class",
        "ActionAuthenticatorMixin._authenticate_and_authorize_action": "(self, iam_request_cls, resource)",
    }),
    *_rows("moto.iam.responses", "wrapped", "iam_ext", {"IamResponse": "class", **{f"IamResponse.{name}": "(self)" for name in IAM_ROOT_AWARE}}),
    *_rows("moto.iam.responses", "replaced", "credential_report", {f"IamResponse.{name}": "(self)" for name in IAM_CREDENTIAL_REPORT}),
    *_rows("moto.iam.models", "called", "credential_report", {"User": "class", "User.to_csv": "(self)"}),
    *_rows("moto.iam.responses", "added", "iam_ext", {
        f"IamResponse.{name}": "absent" for name in (
            "list_organizations_features",
            "enable_organizations_root_credentials_management", "disable_organizations_root_credentials_management",
            "enable_organizations_root_sessions", "disable_organizations_root_sessions")
    }),
    *_rows("moto.iam.responses", "added", "newer_api", {
        f"IamResponse.{name}": "absent" for name in ("enable_organization_level_resources", "disable_organization_level_resources")
    }),
    *_rows("moto.organizations.models", "wrapped", "newer_api", {
        "FakeAccount.describe": "(self)",
        "FakeDelegatedAdministrator.describe": "(self)",
    }),
    *_rows("moto.iam.models", "replaced", "lookup, credentials", {
        "get_account_id_from": "(access_key)",
        "generate_access_key_id_from_account_id": "(account_id, prefix, total_length)",
        "random_alphanumeric": "(length)",
    }),
    *_rows("moto.iam.models", "wrapped", "lookup, rootuser", {"AccessKey": "class", "AccessKey.__init__": "(self, user_name, prefix, account_id, status)"}),
    *_rows("moto.sts.models", "replaced", "credentials", {"random_session_token": "()"}),
    *_rows("moto.sts.responses", "replaced", "credentials, sts_ext", {
        "TokenResponse": "class",
        "TokenResponse.get_session_token": "(self)",
        "TokenResponse.get_federation_token": "(self)",
        "TokenResponse.get_access_key_info": "(self)",
    }),
    *_rows("moto.sts.responses", "wrapped", "sts_ext", {"TokenResponse.get_caller_identity": "(self)"}),
    *_rows("moto.sts.responses", "added", "sts_ext", {"TokenResponse.assume_root": "absent"}),
    *_rows("moto.sts.responses", "called", "sts_ext", {
        "TokenResponse._get_param": "(self, param_name, if_none)",
        "TokenResponse.get_access_key": "(self)",
    }),
    *_rows("moto.organizations.models", "wrapped", "organizations_ext", {
        "OrganizationsBackend": "class",
        "OrganizationsBackend.enable_aws_service_access": "(self, **kwargs)",
        "OrganizationsBackend.register_delegated_administrator": "(self, **kwargs)",
        "OrganizationsBackend.deregister_delegated_administrator": "(self, **kwargs)",
        **{f"OrganizationsBackend.{name}": shape for name, shape in ORGANIZATIONS_PAGINATED.items()},
    }),
    *_rows("moto.organizations.models", "replaced", "accounts_ext (and wrapped by guardrails)", {"OrganizationsBackend.move_account": "(self, **kwargs)"}),
    # guardrails.CHANGING_METHODS: each drops the cached policy paths (seed and accounts_ext call the create_* ones).
    *_rows("moto.organizations.models", "wrapped", "guardrails; seed, accounts_ext call the create_* ones", {
        "OrganizationsBackend.create_account": "(self, **kwargs)",
        "OrganizationsBackend.create_organization": "(self, region, **kwargs)",
        "OrganizationsBackend.create_organizational_unit": "(self, **kwargs)",
        "OrganizationsBackend.attach_policy": "(self, **kwargs)",
        "OrganizationsBackend.detach_policy": "(self, **kwargs)",
        "OrganizationsBackend.update_policy": "(self, **kwargs)",
        "OrganizationsBackend.enable_policy_type": "(self, **kwargs)",
        "OrganizationsBackend.disable_policy_type": "(self, **kwargs)",
        "OrganizationsBackend.delete_organizational_unit": "(self, **kwargs)",
        "OrganizationsBackend.close_account": "(self, **kwargs)",
        "OrganizationsBackend.remove_account_from_organization": "(self, **kwargs)",
        "OrganizationsBackend.delete_organization": "(self)",
    }),
    *_rows("moto.organizations.models", "called", "guardrails", {"OrganizationsBackend.get_policy_by_id": "(self, policy_id)"}),
    *_rows("moto.organizations.models", "replaced", "guardrails", {"FakePolicy": "class", "FakePolicy.arn": "property"}),
    *_rows("moto.organizations.models", "called", "guardrails", {"FakeRoot": "class", "FakeRoot.describe": "(self)"}),
    *_rows("moto.organizations.responses", "wrapped", "guardrails", {
        "OrganizationsResponse.attach_policy": "(self)",
        "OrganizationsResponse.detach_policy": "(self)",
        "OrganizationsResponse.create_policy": "(self)",
        "OrganizationsResponse.update_policy": "(self)",
    }),
    *_rows("moto.organizations.responses", "called", "guardrails", {
        "OrganizationsResponse.organizations_backend": "property",
        "OrganizationsResponse.request_params": "property",
    }),
    *_rows("moto.sts.models", "called", "auth", {"STSBackend": "class", "STSBackend.get_assumed_role_from_access_key": "(self, access_key_id)"}),
    *_rows("moto.organizations.models", "changed", "organizations_ext, __init__", {
        "FakeServiceAccess": "class",
        "FakeServiceAccess.TRUSTED_SERVICES": "list",
        "FakeDelegatedAdministrator": "class",
        "FakeDelegatedAdministrator.SUPPORTED_SERVICES": "list",
        "organizations_backends": "OrganizationsBackendDict",
        "organizations_backends.master_accounts": "dict",
    }),
    *_rows("moto.organizations.responses", "replaced", "accounts_ext", {
        "OrganizationsResponse": "class",
        "OrganizationsResponse.create_account": "(self)",
        "OrganizationsResponse.describe_create_account_status": "(self)",
        "OrganizationsResponse.list_create_account_status": "(self)",
    }),
    *_rows("moto.organizations.utils", "replaced", "seed (while seeding)", {"make_random_account_id": "()"}),
    *_rows("moto.organizations.utils", "called", "accounts_ext", {"make_random_create_account_status_id": "()"}),
    *_rows("moto.moto_api._internal.urls", "changed", "accounts_ext, control, secrecy", {
        "url_paths": "dict",
        "response_instance.model_data": "(request, full_url, headers)",
    }),
    *_rows("moto.moto_api._internal.recorder.models", "replaced", "secrecy", {
        "Recorder": "class",
        "Recorder._record_request": "(self, request, body)",
    }),
    # Classes the emulator subclasses.
    *_rows("moto.moto_server.threaded_moto_server", "subclassed", "server", {
        "ThreadedMotoServer": "class",
        "ThreadedMotoServer.__init__": "(self, ip_address, port, verbose)",
        "ThreadedMotoServer.start": "(self)",
    }),
    *_rows("moto.moto_server.werkzeug_app", "subclassed", "server", {
        "MotoRequestHandler": "class",
        "MotoRequestHandler.setup": "(self)",
        "MotoRequestHandler.run_wsgi": "(self)",
    }),
    *_rows("moto.moto_server.werkzeug_app", "called", "server", {"create_backend_app": "(service)"}),
    *_rows("moto.core.exceptions", "subclassed", "errors (credential_report raises ServiceException)", {"HTTPException": "class", "ServiceException": "class"}),
    *_rows("moto.sts.models", "subclassed", "sts_ext", {
        "AssumedRole": "class",
        "AssumedRole.__init__": "(self, account_id, region_name, access_key, role_session_name, role_arn, policy, duration, external_id)",
    }),
    # Classes and values the emulator reads, raises or catches.
    *_rows("moto.core", "imported", "lookup", {"DEFAULT_ACCOUNT_ID": "str"}),
    *_rows("moto.core.responses", "imported", "credential_report, credentials, iam_ext, sts_ext", {"ActionResult": "class", "EmptyResult": "class"}),
    *_rows("moto.iam.aws_managed_policies", "imported", "policies", {"aws_managed_policies_data": "str"}),
    *_rows("moto.iam.exceptions", "imported", "iam_ext", {
        "DeleteConflictException": "class", "EntityAlreadyExists": "class", "InvalidInput": "class", "NoSuchEntity": "class",
    }),
    *_rows("moto.iam.models", "imported", "auth, credential_report, credentials, rootuser, sts_ext", {
        "AccessKeyLastUsed": "class",
        "AccessKeyLastUsed.__init__": "(self, timestamp, service, region)",
        "iam_backends": "BackendDict",
    }),
    *_rows("moto.iam.utils", "imported", "credentials, lookup", {"ACCOUNT_OFFSET": "int", "AWS_ROLE_ALPHABET": "str"}),
    *_rows("moto.organizations.exceptions", "imported", "accounts_ext, organizations_ext, guardrails", {
        "AWSOrganizationsNotInUseException": "class", "AccountAlreadyRegisteredException": "class",
        "AccountNotFoundException": "class", "AccountNotRegisteredException": "class", "ConstraintViolationException": "class",
        "InvalidInputException": "class",
        "InvalidInputException.__init__": "(self, message)",
        "OrganizationsClientError": "class",
        "PolicyTypeNotEnabledException": "class",
    }),
    *_rows("moto.organizations.models", "imported", "orgs", {"FakeAccount": "class"}),
    *_rows("moto.s3.models", "imported", "auth, seed", {"s3_backends": "S3BackendDict"}),
    *_rows("moto.securityhub.models", "wrapped", "securityhub_ext", {
        "SecurityHubBackend": "class",
        "SecurityHubBackend.describe_hub": "(self, hub_arn)",
    }),
    *_rows("moto.securityhub.models", "replaced", "securityhub_ext", {
        "SecurityHubBackend.get_findings": "(self, filters, sort_criteria, max_results)",
        "SecurityHubBackend.batch_import_findings": "(self, findings)",
    }),
    *_rows("moto.securityhub.models", "imported", "securityhub_ext", {
        "SecurityHubBackend.PAGINATION_MODEL": "dict", "Finding": "class", "Finding.__init__": "(self, finding_id, finding_data)",
    }),
    *_rows("moto.securityhub.exceptions", "imported", "securityhub_ext", {"SecurityHubClientError": "class"}),
    *_rows("moto.sqs.models", "imported", "auth, seed", {"sqs_backends": "BackendDict"}),
    *_rows("moto.sts.exceptions", "imported", "credentials, sts_ext", {"STSValidationError": "class"}),
    *_rows("moto.sts.models", "imported", "auth, sts_ext", {"sts_backends": "BackendDict"}),
    *_rows("moto.sts.responses", "imported", "credentials", {"MAX_FEDERATION_TOKEN_POLICY_LENGTH": "int"}),
    *_rows("moto.utilities.paginator", "imported", "organizations_ext", {"InvalidToken": "class"}),
    *_rows("moto.utilities.paginator", "called", "securityhub_ext", {"paginate": "(pagination_model)"}),
])

_MISSING = object()


def _parameters(value: Any) -> str:
    spelled = []
    for parameter in inspect.signature(value).parameters.values():
        prefix = {inspect.Parameter.VAR_POSITIONAL: "*", inspect.Parameter.VAR_KEYWORD: "**"}.get(parameter.kind, "")
        spelled.append(prefix + parameter.name)
    return "(" + ", ".join(spelled) + ")"


def shape_of(value: Any) -> str:
    """The shape of ``value`` as the table spells it."""
    if value is _MISSING:
        return "absent"
    if inspect.isclass(value):
        return "class"
    if inspect.ismodule(value):
        return "module"
    if callable(value):
        try:
            return _parameters(value)
        except (TypeError, ValueError):
            return "callable without a signature"
    return type(value).__name__


def lookup(internal: Internal) -> Any:
    """The attribute as the installed moto has it, or a marker that it is absent; an import error
    of the module propagates."""
    value: Any = importlib.import_module(internal.module)
    for part in internal.attribute.split("."):
        value = getattr(value, part, _MISSING)
        if value is _MISSING:
            break
    return value


def problems(internals: tuple[Internal, ...] = INTERNALS) -> list[str]:
    """One line per internal whose shape differs from the table's (empty when moto matches).
    Run it before ``install()``: after it, the replaced attributes are the emulator's own."""
    found = []
    for internal in internals:
        try:
            actual = shape_of(lookup(internal))
        except ImportError as error:
            actual = f"no module ({error})"
        if actual != internal.shape:
            found.append(f"{internal.name} ({internal.use} by {internal.by}): expected {internal.shape}, moto has {actual}")
    return found


def main() -> int:
    found = problems()
    for line in found:
        print(line)
    version = importlib.import_module("moto").__version__
    print(f"{len(INTERNALS)} moto internals checked against moto {version}: "
          + (f"{len(found)} differ" if found else "all as expected"), file=sys.stderr)
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
