"""Names and tags chosen in AWS by an account's owner are data, never code: on every supported
ansible-core (the test venv's, and 2.17 and 2.18, which template plain strings in variables when
they are used), an account name, a tag value and an OU name that are Jinja2 templates running a
command stay inert through audit_organization.yml (the three reports), harden_organization.yml
(check mode and confirmed) and vend_accounts.yml. The command would create a marker file: it
must never exist, and the reports must show the text as it is."""

from __future__ import annotations

import csv
import json
import pathlib

import boto3
import markupsafe
import pytest
from moto.organizations.models import organizations_backends

from conftest import REGION
from rootguard_emulator import orgs

MANAGEMENT = "123456789012"
REPO = pathlib.Path(__file__).resolve().parents[2]
AUDIT = str(REPO / "playbooks" / "audit_organization.yml")
HARDEN = str(REPO / "playbooks" / "harden_organization.yml")
VEND = str(REPO / "playbooks" / "vend_accounts.yml")
FEATURES = ["RootCredentialsManagement", "RootSessions"]
CORES = [None, "2.17", "2.18"]


def hostile(marker: pathlib.Path) -> dict:
    """What an account's owner (or an OU's creator) could write, each creating ``marker``.<n> when run."""
    return {
        "account_name": "{{ lookup('pipe', 'touch %s.1') }}" % marker,
        "ou_name": "{%% set x = lookup('pipe', 'touch %s.2') %%}ou{{ x }}" % marker,
        "tag_value": "{{ lookup('pipe', 'touch %s.3') }}{%% raw %%}x{%% endraw %%}" % marker,
        "second_name": "{%% if lookup('pipe', 'touch %s.4') or true %%}yes{%% endif %%}" % marker,
    }


def markers(marker: pathlib.Path) -> list:
    return sorted(str(path) for path in marker.parent.glob(marker.name + "*"))


def make_hostile(truth: dict, endpoint: str, names: dict) -> dict:
    """Rename two ACTIVE members and an OU that holds one of them, and tag one; returns what was changed."""
    backend = organizations_backends[MANAGEMENT]["aws"]
    active = [account for account in truth["accounts"] if account["state"] == "ACTIVE"]
    in_ou = next(account for account in active if account["parent_id"] != truth["root_id"])
    others = [account for account in active if account["id"] != in_ou["id"]]
    orgs.find_account(backend, others[0]["id"]).name = names["account_name"]
    orgs.find_account(backend, in_ou["id"]).name = names["second_name"]
    ou = next(ou for ou in backend.ou if ou.id == in_ou["parent_id"])
    ou.name = names["ou_name"]
    client = boto3.client("organizations", endpoint_url=endpoint, region_name=REGION,
                          aws_access_key_id="testing", aws_secret_access_key="testing")
    client.tag_resource(ResourceId=others[1]["id"], Tags=[{"Key": "owner", "Value": names["tag_value"]}])
    return {"named": others[0], "in_ou": in_ou, "ou_id": ou.id, "tagged": others[1]}


def output(run) -> str:
    return run.stdout[-6000:] + run.stderr[-3000:]


def assert_reports_show_the_text(report_dir: pathlib.Path, name: str, names: dict, changed: dict, ou_path: str) -> None:
    report = json.loads((report_dir / f"{name}.json").read_text(encoding="utf-8"))
    rows = {row["id"]: row for row in report["accounts"]}
    assert rows[changed["named"]["id"]]["name"] == names["account_name"]
    assert rows[changed["in_ou"]["id"]]["name"] == names["second_name"]
    assert rows[changed["in_ou"]["id"]]["ou_path"] == ou_path
    with (report_dir / f"{name}.csv").open(encoding="utf-8", newline="") as handle:
        csv_rows = {row["account_id"]: row for row in csv.DictReader(handle)}
    assert csv_rows[changed["named"]["id"]]["account_name"] == names["account_name"]
    assert csv_rows[changed["in_ou"]["id"]]["account_name"] == names["second_name"]
    assert csv_rows[changed["in_ou"]["id"]]["ou_path"] == ou_path
    page = (report_dir / f"{name}.html").read_text(encoding="utf-8")
    for text in (names["account_name"], names["second_name"], ou_path):
        assert str(markupsafe.escape(text)) in page, text


@pytest.mark.parametrize("core", CORES)
def test_hostile_names_stay_inert_through_the_audit_and_the_harden_flow(control, emulator, run_playbook, tmp_path, core):
    truth = control.seed(accounts=8, profile="mixed", features=FEATURES, trusted_access=True)
    marker = tmp_path / "pwned"
    names = hostile(marker)
    changed = make_hostile(truth, emulator.endpoint, names)
    ou_path = changed["in_ou"]["ou_path"].rsplit("/", 2)[0] + "/" + names["ou_name"] + "/"

    audit = run_playbook(AUDIT, {"rootguard_report_dir": str(tmp_path / "audit")}, core=core)
    assert audit.returncode == 0, output(audit)
    assert markers(marker) == []
    assert_reports_show_the_text(tmp_path / "audit", "root-credentials-audit", names, changed, ou_path)

    plan = run_playbook(HARDEN, {"rootguard_report_dir": str(tmp_path / "plan"), "rootguard_max_changed_accounts": 20},
                        check=True, core=core)
    assert plan.returncode == 0, output(plan)
    assert markers(marker) == []

    harden = run_playbook(HARDEN, {"rootguard_report_dir": str(tmp_path / "harden"), "rootguard_confirm": True,
                                   "rootguard_max_changed_accounts": 20}, core=core)
    assert harden.returncode == 0, output(harden)
    assert markers(marker) == []
    assert_reports_show_the_text(tmp_path / "harden", "root-credentials-before", names, changed, ou_path)
    assert_reports_show_the_text(tmp_path / "harden", "root-credentials-after", names, changed, ou_path)
    assert "Removal: credentials removed in" in (tmp_path / "harden" / "harden-summary.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("core", CORES)
def test_hostile_names_stay_inert_through_the_harden_plan_without_the_feature(control, emulator, run_playbook, tmp_path, core):
    truth = control.seed(accounts=6, profile="mixed")
    marker = tmp_path / "pwned"
    names = hostile(marker)
    make_hostile(truth, emulator.endpoint, names)

    plan = run_playbook(HARDEN, {"rootguard_report_dir": str(tmp_path / "plan")}, check=True, core=core)

    assert plan.returncode == 0, output(plan)
    assert markers(marker) == []
    assert "audit the root user of" in (tmp_path / "plan" / "harden-summary.txt").read_text(encoding="utf-8")


@pytest.mark.parametrize("core", CORES)
def test_hostile_names_and_tags_stay_inert_through_vending(control, emulator, run_playbook, tmp_path, core):
    truth = control.seed(accounts=6, profile="none", features=FEATURES, trusted_access=True)
    marker = tmp_path / "pwned"
    names = hostile(marker)
    changed = make_hostile(truth, emulator.endpoint, names)
    # Vend the renamed and the tagged accounts again, by their email addresses: found, kept as they are in AWS.
    accounts = [{"name": "renamed", "email": changed["named"]["email"]},
                {"name": changed["tagged"]["name"], "email": changed["tagged"]["email"], "tags": {"team": "x"}, "purge_tags": False},
                {"name": "in-the-ou", "email": changed["in_ou"]["email"]}]

    for check in (True, False):
        report_dir = tmp_path / ("plan" if check else "real")
        run = run_playbook(VEND, {"rootguard_accounts": accounts, "rootguard_report_dir": str(report_dir)}, check=check, core=core)
        assert run.returncode == 0, output(run)
        assert markers(marker) == []
        record = json.loads((report_dir / "account-vending-vended.json").read_text(encoding="utf-8"))
        rows = {row["email"]: row for row in record["accounts"]}
        assert rows[changed["tagged"]["email"]]["tags"]["owner"] == names["tag_value"]
        assert [row["vend"] for row in record["accounts"]] == ["found"] * 3
        audit = json.loads((report_dir / "account-vending.json").read_text(encoding="utf-8"))
        assert {row["id"]: row["name"] for row in audit["accounts"]}[changed["named"]["id"]] == names["account_name"]
