# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The attributes every module of the collection has; the descriptions come from
    # ansible.builtin.action_common_attributes and its actiongroups fragment.
    DOCUMENTATION = r"""
options: {}
attributes:
  platform:
    support: full
    platforms: aws
  action_group:
    support: full
    membership:
      - rootguard.aws.aws
"""

    # Check mode and diff mode of the modules that change things, where a module has no details to add.
    CHANGES = r"""
options: {}
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
"""

    # Check mode and diff mode of the modules that only read.
    INFO = r"""
options: {}
attributes:
  check_mode:
    support: full
    details: The module only reads.
  diff_mode:
    support: N/A
"""
