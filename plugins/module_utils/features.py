# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The IAM organization features (RootCredentialsManagement, RootSessions) and the
organization-wide picture of centralized root access."""

from __future__ import annotations

from . import organizations
from .errors import FeatureNotEnabled, RootGuardError, is_code
from .clients import call
from .organizations import IAM_PRINCIPAL, read_as

# Module option -> IAM feature name, in the order features are enabled.
FEATURES = {
    "root_credentials_management": "RootCredentialsManagement",
    "root_sessions": "RootSessions",
}
_OPERATIONS = {
    ("RootCredentialsManagement", True): "enable_organizations_root_credentials_management",
    ("RootSessions", True): "enable_organizations_root_sessions",
    ("RootCredentialsManagement", False): "disable_organizations_root_credentials_management",
    ("RootSessions", False): "disable_organizations_root_sessions",
}


def list_features(iam) -> list:
    return sorted(call(iam, "list_organizations_features").get("EnabledFeatures", []))


def plan_features(current, desired: dict) -> dict:
    """What to enable and disable.  ``desired`` maps a module option (see FEATURES) to
    True, False or None (left as it is).  Returns ``{"enable", "disable", "after"}``
    with features in FEATURES order."""
    unknown = set(desired) - set(FEATURES)
    if unknown:
        raise ValueError(f"unknown feature options: {sorted(unknown)}")
    current = set(current)
    enable = [feature for option, feature in FEATURES.items() if desired.get(option) is True and feature not in current]
    disable = [feature for option, feature in FEATURES.items() if desired.get(option) is False and feature in current]
    after = sorted((current | set(enable)) - set(disable))
    return {"enable": enable, "disable": disable, "after": after}


def ensure_features(factory, desired: dict, enable_trusted_access: bool, check_mode: bool) -> dict:
    """Bring the two features to ``desired``; reads once, writes only what differs."""
    caller = organizations.identify_caller(factory)
    organizations.require_all_features(caller)
    orgs = factory.client("organizations")
    iam = factory.client("iam")
    trusted = IAM_PRINCIPAL in read_as(caller, organizations.trusted_access, orgs)
    current = read_as(caller, list_features, iam) if trusted else []
    plan = plan_features(current, desired)
    enable_trust = not trusted and bool(plan["enable"])
    if not trusted and plan["enable"] and not enable_trusted_access:
        raise organizations.trusted_access_missing(
            caller, f", and enable_trusted_access is false, so {' and '.join(plan['enable'])} cannot be enabled"
        )
    if plan["enable"]:
        organizations.require_management(caller, f"enable {' and '.join(plan['enable'])}")

    actions = (["organizations:EnableAWSServiceAccess(iam.amazonaws.com)"] if enable_trust else []) + [
        "iam:" + _api_name(feature, enabled) for enabled, features in ((True, plan["enable"]), (False, plan["disable"])) for feature in features
    ]
    enabled_features = plan["after"]
    if actions and not check_mode:
        if enable_trust:
            organizations.set_trusted_access(orgs, IAM_PRINCIPAL, True)
        for enabled, features in ((True, plan["enable"]), (False, plan["disable"])):
            for feature in features:
                enabled_features = sorted(call(iam, _OPERATIONS[(feature, enabled)]).get("EnabledFeatures", []))
    return {
        "changed": bool(actions),
        "organization_id": caller.organization_id,
        "enabled_features": enabled_features,
        "iam_trusted_access": trusted or enable_trust,
        "actions": actions,
        "diff": {
            "before": {"enabled_features": sorted(current), "iam_trusted_access": trusted},
            "after": {"enabled_features": plan["after"], "iam_trusted_access": trusted or enable_trust},
        },
    }


def _api_name(feature: str, enabled: bool) -> str:
    return "".join(part.capitalize() for part in _OPERATIONS[(feature, enabled)].split("_"))


def describe_root_access(factory) -> dict:
    """The pre-flight picture: organization, caller, IAM trusted access, IAM delegated
    administrators and enabled features.  What stands in the way of centralized root
    access is listed in ``problems`` rather than raised, so the picture is complete."""
    caller = organizations.identify_caller(factory)
    orgs = factory.client("organizations")
    problems = []
    trusted, admins, enabled = False, [], []
    all_features_problem = organizations.not_all_features(caller)
    if all_features_problem is not None:
        problems.append(all_features_problem.as_dict())
    else:
        trusted = IAM_PRINCIPAL in read_as(caller, organizations.trusted_access, orgs)
        admins = read_as(caller, organizations.delegated_administrators, orgs, IAM_PRINCIPAL)
        if trusted:
            enabled = read_as(caller, list_features, factory.client("iam"))
        else:
            problems.append(organizations.trusted_access_missing(caller).as_dict())
    delegated = any(admin["id"] == caller.account_id for admin in admins)
    return {
        "changed": False,
        "organization": caller.describe(),
        "caller": {
            "account_id": caller.account_id,
            "arn": caller.arn,
            "is_management_account": caller.is_management,
            "is_delegated_administrator": delegated,
        },
        "iam_trusted_access": trusted,
        "delegated_administrators": admins,
        "enabled_features": enabled,
        "root_credentials_management": "RootCredentialsManagement" in enabled,
        "root_sessions": "RootSessions" in enabled,
        "problems": problems,
    }


def require_feature(factory, caller, feature: str) -> None:
    """Refuse, before any root session, a run whose task needs a feature that is off
    (trusted access for IAM missing counts as off)."""
    try:
        enabled = read_as(caller, list_features, factory.client("iam"))
    except RootGuardError as error:
        if not is_code(error, "ServiceAccessNotEnabledException"):
            raise
        raise organizations.trusted_access_missing(caller, f", so {feature} is off and no root session can be opened") from None
    if feature not in enabled:
        option = next(option for option, name in FEATURES.items() if name == feature)
        raise FeatureNotEnabled(
            f"{feature} is not enabled in organization {caller.organization_id} (enabled: {', '.join(enabled) or 'none'}), so no "
            f"root session can be opened for this task. Enable it with rootguard.aws.iam_organizations_features ({option}: true)."
        )


# ---------------------------------------------------------------------------
# The modules' service functions: (factory, params, check_mode) -> the task's result


def iam_organizations_features(factory, params: dict, check_mode: bool) -> dict:
    desired = {option: params[option] for option in FEATURES}
    return ensure_features(factory, desired, params["enable_trusted_access"], check_mode)


def iam_organizations_features_info(factory, _params: dict, _check_mode: bool) -> dict:
    return describe_root_access(factory)
