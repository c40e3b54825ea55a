# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""The roles as one family: each documented by its argument spec (as ansible-doc shows it), the same meta/main.yml
shape, and one naming rule - public variables and facts ``<role>_x``, private facts ``<role>__x``."""

from __future__ import annotations

import importlib.util
import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
ROLES = sorted(path.name for path in (ROOT / "roles").iterdir() if path.is_dir())


def read_yaml(path: pathlib.Path):
    return yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None


def collections_root() -> str:
    """The directory holding the ansible_collections tree that the tests import this collection from."""
    spec = importlib.util.find_spec("ansible_collections.rootguard.aws.plugins.filter.count_by")
    assert spec and spec.origin, "the collection is not importable: run make collection-tree and set PYTHONPATH"
    return str(pathlib.Path(spec.origin).resolve().parents[6])


@pytest.fixture(scope="module")
def role_docs(tmp_path_factory) -> dict:
    """``ansible-doc -t role --json`` of every role, by role name."""
    tmp_path = tmp_path_factory.mktemp("ansible-doc")
    ansible_doc = shutil.which("ansible-doc", path=os.path.dirname(sys.executable)) or shutil.which("ansible-doc")
    assert ansible_doc, "ansible-doc is not installed"
    environment = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    environment.update(ANSIBLE_COLLECTIONS_PATH=collections_root(), ANSIBLE_HOME=str(tmp_path / "home"),
                       ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"), ANSIBLE_NOCOLOR="true")
    completed = subprocess.run([ansible_doc, "-t", "role", "--json"] + [f"rootguard.aws.{role}" for role in ROLES],
                               env=environment, capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    docs = json.loads(completed.stdout)
    return {name.removeprefix("rootguard.aws."): doc for name, doc in docs.items()}


@pytest.mark.parametrize("role", ROLES)
def test_ansible_doc_shows_every_variable_of_the_role_and_no_other(role, role_docs):
    options = role_docs[role]["entry_points"]["main"]["options"]
    defaults = read_yaml(ROOT / "roles" / role / "defaults" / "main.yml") or {}

    assert role_docs[role]["entry_points"]["main"]["short_description"]
    assert sorted(set(defaults) - set(options)) == [], "defaults/main.yml variables missing from meta/argument_specs.yml"
    for name, option in options.items():
        assert name.startswith(f"{role}_") and not name.startswith(f"{role}__"), name
        assert option.get("description") and option.get("type"), name
        if name not in defaults:
            assert "default" not in option, f"{name}: a documented default that defaults/main.yml does not set"
        elif option.get("required"):
            assert defaults[name] in ("", []), f"{name}: required, so defaults/main.yml holds only an empty placeholder"
        elif not (isinstance(defaults[name], str) and "{{" in defaults[name]):
            assert option.get("default") == defaults[name], f"{name}: argument spec default {option.get('default')!r} != {defaults[name]!r}"


def test_every_role_has_the_same_meta_main_shape():
    metas = {role: read_yaml(ROOT / "roles" / role / "meta" / "main.yml") for role in ROLES}

    for role, meta in metas.items():
        assert sorted(meta) == ["dependencies", "galaxy_info"], role
        assert meta["dependencies"] == [], role
        info = meta["galaxy_info"]
        assert sorted(info) == ["author", "description", "galaxy_tags", "license", "min_ansible_version", "platforms"], role
        assert info["author"] == "RootGuard maintainers" and info["license"] == "GPL-3.0-or-later", role
        assert info["min_ansible_version"] == "2.17", role
        assert info["platforms"] == [{"name": "GenericLinux", "versions": ["all"]}], role
        assert info["description"] and "aws" in info["galaxy_tags"], role


def task_names(tasks: list):
    """The variable names a task list sets: registered results, set_fact keys, loop variables and task vars."""
    for task in tasks or []:
        yield from task_names(task.get("block"))
        yield from task_names(task.get("rescue"))
        yield from task_names(task.get("always"))
        if task.get("register"):
            yield task["register"]
        yield from (task.get("ansible.builtin.set_fact") or {})
        if (task.get("loop_control") or {}).get("loop_var"):
            yield task["loop_control"]["loop_var"]
        included = task.get("ansible.builtin.include_role") or task.get("ansible.builtin.import_role")
        if not included:
            yield from (task.get("vars") or {})


@pytest.mark.parametrize("role", ROLES)
def test_private_facts_are_named_role__name_and_public_ones_are_documented(role, role_docs):
    description = " ".join(role_docs[role]["entry_points"]["main"]["description"])
    public = set(re.findall(rf"C\(({role}_[a-z0-9_]+)\)", description))
    names = set()
    for path in (ROOT / "roles" / role / "tasks").glob("*.yml"):
        names.update(task_names(read_yaml(path)))

    assert names, role
    undocumented = sorted(name for name in names if not name.startswith(f"{role}__") and name not in public)
    assert undocumented == [], f"{role}: name private facts {role}__<name>, or document the public ones in the argument spec"
