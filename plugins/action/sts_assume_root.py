# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Runs the sts_assume_root module and censors its successful result in every
output and log, whatever the task's no_log says; ``register`` keeps the values."""

from __future__ import annotations

from ansible.plugins.action import ActionBase


class ActionModule(ActionBase):
    _supports_check_mode = True
    _supports_async = False

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        result.update(self._execute_module(module_name="rootguard.aws.sts_assume_root", task_vars=task_vars))
        if result.get("failed"):
            result.pop("credentials", None)
        else:
            result["_ansible_no_log"] = True
        return result
