"""The controller's event limit at scale: the audit of an organization of 1,000 member accounts,
each with every kind of root credential (the benchmark's ``full`` seed profile, tests/bench), run as
a controller job with MAX_EVENT_RES=700000.  The controller keeps a task's result only when its
``str()`` is shorter than that; a longer one becomes ``{}`` in the job events, and the job output
no longer says which accounts need attention.  The reports must still list every account."""

from __future__ import annotations

import json

from controller_support import FEATURES, MANAGEMENT, MAX_EVENT_RES, SESSION_TOKEN, assert_successful, result_sizes, results_beyond_the_limit

ACCOUNTS = 1000


def test_audit_of_1000_accounts_with_full_root_credentials_keeps_every_result_within_the_event_limit(control, controller_job):
    truth = control.seed(accounts=ACCOUNTS, profile="full", features=FEATURES, trusted_access=True)

    job = controller_job("audit_organization", SESSION_TOKEN)

    assert_successful(job)
    report = json.loads(job.project_file("reports/root-credentials-audit.json").read_text())
    assert sorted(account["id"] for account in report["accounts"]) == sorted([MANAGEMENT] + [account["id"] for account in truth["accounts"]])
    assert (report["summary"]["audited"], report["summary"]["noncompliant"], report["summary"]["failed"]) == (ACCOUNTS, ACCOUNTS, 0)
    beyond = results_beyond_the_limit(job)
    assert not beyond, (f"{len(beyond)} task result(s) the controller replaces by {{}} (longer than {MAX_EVENT_RES:,} characters): "
                        f"{beyond}; the largest kept: {result_sizes(job)[:3]}")
    assert result_sizes(job)[0][0] < MAX_EVENT_RES
