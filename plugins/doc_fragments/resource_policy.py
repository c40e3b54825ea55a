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
      - The policy to put in place of the current one, as a JSON string or a dictionary. With O(state=present), one of
        O(policy) and O(restore_from) is required.
      - A JSON string is sent as given; a dictionary is sent as compact JSON with sorted keys. A JSON object with the same
        key twice is refused (AWS would keep only one of them).
      - To put a backup back, use O(restore_from), not a lookup of the file - before ansible-core 2.19, Ansible templating
        sorts the keys and decodes the escapes of a JSON string it reads.
      - AWS applies its own size limits (S3 20 KB, SQS 8,192 bytes); the module does not check the size itself.
    type: raw
  restore_from:
    description:
      - With O(state=present), the path of a backup file this module wrote; the module reads its bytes itself and puts
        exactly those bytes in place.
      - The file is verified first, before any API call - its directory must pass the same checks as O(backup_dir), and its
        SHA-256 must match its entry in C(MANIFEST.sha256) beside it. A file without an entry, or whose bytes differ,
        is refused.
      - The file is opened without following a symbolic link.
    type: path
  restore_sha256:
    description:
      - With O(restore_from), the SHA-256 (64 hexadecimal digits) the file must have, for a backup brought from
        elsewhere - the file is then verified against this digest instead of a manifest, wherever it is.
    type: str
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
      - The directory must be owned by the user the module runs as (or root) and not writable by group or others
        unless the sticky bit is set; otherwise the task fails before any API call (RV(error_class=invalid_input)),
        because another user could swap a backup there.
      - Each backup's SHA-256 is appended, in the format of C(sha256sum), to C(MANIFEST.sha256) in the directory (mode
        0600, one line per backup, each line appended with one write and synced before the change), and returned in
        RV(backup_sha256). C(sha256sum -c MANIFEST.sha256) in the directory checks every backup; O(restore_from)
        checks the one it restores.
      - The change is not made when the backup cannot be written or listed; the task then fails with
        RV(error_class=backup_failed). The old policy is also returned in RV(previous_policy).
    type: path
attributes:
  check_mode:
    support: full
    details: Check mode opens the root session and reads the policy; no backup is written and nothing changes.
  diff_mode:
    support: full
"""
