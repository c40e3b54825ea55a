# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The options root_bucket_policy and root_queue_policy share.
    DOCUMENTATION = r"""
options:
  account_id:
    description:
      - The member account that owns the bucket or queue, a 12-digit account id (quote it in YAML).
    type: str
    required: true
  state:
    description:
      - V(absent) deletes the bucket or queue policy; V(present) puts O(policy) in its place.
    type: str
    choices: [absent, present]
    default: absent
  policy:
    description:
      - The policy to put in place of the current one, as a JSON string or a dictionary. Required with O(state=present).
      - A JSON string is sent as given, byte for byte, so that a backup file put back restores the policy exactly
        (for example V({{ lookup('ansible.builtin.file', backup_file\) }})); a dictionary is sent as compact JSON.
    type: raw
  only_if_locked:
    description:
      - Act only when the current policy denies everyone (an unconditional C(Deny) for principal C(*) that covers the
        policy calls); otherwise report it in RV(message) and change nothing.
    type: bool
    default: true
  backup_dir:
    description:
      - An existing directory where the current policy is written, byte for byte, before any change - a new file
        readable by its owner only (mode 0600), named C(<account id>-<bucket or queue name>-<UTC time>.json).
      - The change is not made when the backup cannot be written; the task then fails with
        RV(error_class=backup_failed). The old policy is also returned in RV(previous_policy).
    type: path
attributes:
  check_mode:
    support: full
    details: Check mode opens the root session and reads the policy; no backup is written and nothing changes.
  diff_mode:
    support: full
"""
