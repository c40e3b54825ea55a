# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""What every module of the collection shares: run_module(), which is a module's main();
the module object with the SDK floor; and the translation of RootGuardError into a failed task."""

from __future__ import annotations

import contextlib
import os
import stat
import sys

from ansible_collections.amazon.aws.plugins.module_utils.modules import AnsibleAWSModule

from .clients import MINIMUM_BOTOCORE, ClientFactory
from .errors import RootGuardError
from . import result_size


def run_module(argument_spec: dict, service, **options) -> None:
    """A module's whole run: ``service(factory, params, check_mode)`` returns the task's result.

    ``options`` go to AnsibleAWSModule (mutually_exclusive, required_if...); every module supports
    check mode.  A RootGuardError fails the task with its class and message; a result with
    ``failed`` fails it with the result; ``warnings`` in the result become the task's warnings.
    A module with the options of result_size gets a result within ``max_result_size``."""
    module = aws_module(argument_spec=argument_spec, supports_check_mode=True, **options)
    with failures(module):
        sized = result_size.applies(module.params)
        if sized:
            result_size.check(module.params)
        result = service(ClientFactory.from_module(module), module.params, module.check_mode)
        if not module._diff:  # pylint: disable=protected-access
            result.pop("diff", None)
        if sized:
            result = result_size.fit(result, module.params)
    for warning in result.pop("warnings", ()):
        module.warn(warning)
    exit_with(module, result)


def aws_module(**kwargs) -> AnsibleAWSModule:
    module = AnsibleAWSModule(**kwargs)
    remove_own_payload(module)
    module.require_botocore_at_least(MINIMUM_BOTOCORE, reason="for centralized root access (AssumeRoot) and Organizations' Account.State")
    return module


def _command_line() -> list:
    """The interpreter's own command line (the AnsiballZ wrapper replaces sys.argv[0])."""
    if getattr(sys, "orig_argv", None):
        return list(sys.orig_argv)
    try:
        with open("/proc/self/cmdline", "rb") as handle:
            return [part.decode("utf-8", "surrogateescape") for part in handle.read().split(b"\0") if part]
    except OSError:
        return []


def own_payload() -> str | None:
    """The AnsiballZ file this process was started from, when it is one: a regular file of this
    user's named AnsiballZ_*.py in a task's temporary directory (ansible-tmp-*).  None with
    pipelining (no file), or when started any other way."""
    for argument in _command_line()[1:]:
        if argument.startswith("-"):
            continue
        path = os.path.abspath(argument)
        if not (os.path.basename(path).startswith("AnsiballZ_") and path.endswith(".py")
                and os.path.basename(os.path.dirname(path)).startswith("ansible-tmp-")):
            return None
        try:
            status = os.lstat(path)
        except OSError:
            return None
        return path if stat.S_ISREG(status.st_mode) and status.st_uid == os.geteuid() else None
    return None


def remove_own_payload(module) -> None:
    """Delete the AnsiballZ file the module runs from, unless the controller keeps remote files.

    That file holds the module's arguments in clear, secrets given as options or through
    module_defaults included.  The controller deletes it after the task; when the controller is
    killed first (SIGTERM, SIGKILL) it stays in the remote temporary directory.  The module no
    longer needs it once started: its code and arguments are in memory."""
    if getattr(module, "_keep_remote_files", False):
        return
    path = own_payload()
    if path is not None:
        with contextlib.suppress(OSError):
            os.unlink(path)


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
