# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations


class ModuleDocFragment:
    # The account selectors shared by every account-scoped module and the inventory plugin.
    DOCUMENTATION = r"""
options:
  account_ids:
    description:
      - The member accounts to work on, by 12-digit account id.
      - Quote account ids in YAML so that leading zeros are kept.
      - An id that is not in the organization is reported as skipped with reason V(not_in_organization).
      - Up to 20 account ids are looked up one by one (C(DescribeAccount), and C(DescribeOrganizationalUnit) for the
        OU path, once per OU), so one account costs the same few calls in an organization of any size, which is what
        per-host runs over the inventory need; more ids are found by listing the organization. The ids of the OUs
        above an account come from the account's C(Paths) when AWS returns them, otherwise from C(ListParents) calls
        up to the root.
      - Exactly one of O(account_ids), O(organizational_unit_ids) and O(all_accounts) is required.
    type: list
    elements: str
  organizational_unit_ids:
    description:
      - The organizational units whose accounts to work on, recursively (accounts in nested OUs included).
      - An OU id looks like V(ou-ab12-cdefgh34); the root id (V(r-ab12)) selects every account.
      - An id that is not in the organization fails the task before any change.
    type: list
    elements: str
  all_accounts:
    description:
      - Work on every account of the organization.
    type: bool
  exclude_account_ids:
    description:
      - Accounts to leave out, whichever selector chose them; they are reported as skipped with reason V(excluded).
    type: list
    elements: str
    default: []
"""

    # For the listings that can show accounts that are not ACTIVE; the root-task modules never work on them.
    INCLUDE_INACTIVE = r"""
options:
  include_inactive:
    description:
      - Include accounts whose state is not V(ACTIVE) (such as V(SUSPENDED) or V(PENDING_CLOSURE)).
      - When false they are reported as skipped with reason V(not_active).
    type: bool
    default: false
"""

    # The options of the modules that work inside member accounts through root sessions.
    ROOT_TASKS = r"""
options:
  concurrency:
    description:
      - How many accounts are worked on at the same time, 1 to 100.
      - Each account gets its own root session, issued just before its work and renewed only if it is about to expire.
    type: int
    default: 10
  fail_on_error:
    description:
      - Fail the task at the end when any account failed. Every other account is worked on either way, and each
        failure is in RV(accounts) with its C(error_class) and C(error_message).
    type: bool
    default: true
  journal:
    description:
      - Path of a run journal, a JSON-lines file opened for append (created with mode C(0600)); each line is
        written and synced to disk as it comes, so what a run did is on record even when it is killed.
      - 'Lines, each one JSON object: C({"record": "start", "run_id", "module", "check_mode", "time"}) before any
        API call; C({"record": "account", "run_id", "time", "account"}) as each account finishes, C(account) being
        its entry exactly as in RV(accounts) (accounts never started have no line); C({"record": "end", "run_id",
        "time", "summary", "interrupted"}) when the module completes, also after a stop. C(time) is ISO 8601, UTC.'
      - Its directory must exist and be one only this user can change (owned by this user or root, not group- or
        world-writable without the sticky bit); the file, if it exists, must be a regular file of this user's. This
        is checked before any API call.
    type: path
  run_id:
    description:
      - The id of this run, written on every journal line and returned in RV(run_id).
      - Omit it for a new random id.
    type: str
notes:
  - The management account (out of scope of centralized root access) and accounts that are not V(ACTIVE) are never
    worked on; they are reported in RV(accounts) with status V(skipped) and the reason.
  - 'A stop: on SIGTERM or SIGINT, or when a process that started the module exits (ansible-playbook killed, even
    with SIGKILL), no new account is started. The accounts in flight are finished, the others reported with status
    V(skipped) and reason V(interrupted), and the result (with C(changed) true where anything changed, and the task
    failed when an account was not started) is returned when something is still there to receive it; the journal
    gets its end line either way.'
  - The processes watched are the module's parent and the ones above it whose command line mentions Ansible (the
    C(sh -c) running the module, the ansible-playbook worker, ansible-playbook, ansible-runner), checked every half
    second, and told apart from a later process with the same id by their start time. This needs Linux's C(/proc);
    elsewhere, and for an async task (whose module is started by a daemonized wrapper), only the signals stop a run.
"""
