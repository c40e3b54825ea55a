# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The options of the modules that return one entry per account.
    DOCUMENTATION = r"""
options:
  max_result_size:
    description:
      - The most characters the task's result may take (as JSON). An automation controller (AWX, Ansible Automation
        Platform) replaces a task result longer than 700,000 characters with an empty one; an entry takes from about 100
        to 1,100 characters, so an organization of a few hundred accounts can cross it.
      - When every account's entry fits, RV(accounts) holds them all, as without the limit. Otherwise it holds the
        accounts that need attention first (in the order of C(account_ids), where the module returns it) and as many
        others as fit, RV(accounts_complete) is V(false), RV(accounts_omitted) counts the others, and the task warns.
        C(account_ids) and C(summary), where the module returns them, always cover every account.
      - V(0) sets no limit.
    type: int
    default: 250000
  accounts_file:
    description:
      - Write the whole result, with every account's entry, as JSON to this file on the host the module runs on (mode
        V(0600), replaced in one step), also in check mode. Its path is returned in RV(accounts_file).
      - The filter P(rootguard.aws.full_result#filter) reads it back, so that a play can work on every account of a
        result that O(max_result_size) shortened.
      - The directory must exist and only this user may change it (owned by this user or root, not writable by others
        without the sticky bit), as for a journal.
    type: path
"""
