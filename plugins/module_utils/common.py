# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every module of the collection shares: the module object with the SDK floor,
and the translation of RootGuardError into a failed task."""

from __future__ import annotations

import contextlib

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from .errors import RootGuardError

# The first botocore with AssumeRoot, the IAM organization-feature calls and the
# root-session forms of the login profile and MFA calls (no UserName, no Password).
MINIMUM_BOTOCORE = "1.35.61"


def aws_module(**kwargs) -> AnsibleAWSModule:
    module = AnsibleAWSModule(**kwargs)
    module.require_botocore_at_least(MINIMUM_BOTOCORE, reason="for centralized root access (AssumeRoot and the IAM organization features)")
    return module


@contextlib.contextmanager
def failures(module):
    """Fail the task with the error's class and message when the body raises RootGuardError."""
    try:
        yield
    except RootGuardError as error:
        details = {key: value for key, value in error.as_dict().items() if key != "message" and value is not None}
        module.fail_json(msg=error.message, **details)


def exit_with(module, result: dict) -> None:
    """exit_json (fail_json when the result says ``failed``), with ``diff`` kept only
    when the task runs with --diff."""
    result = dict(result)
    diff = result.pop("diff", None)
    if module._diff and diff is not None:  # pylint: disable=protected-access
        result["diff"] = diff
    if result.pop("failed", False):
        module.fail_json(**result)
    module.exit_json(**result)
