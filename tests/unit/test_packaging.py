"""Packaging for automation controllers: the collection's execution-environment metadata, the
execution environment definition, bindep.txt and the controller's least-privilege policy.

- the files are YAML (and JSON) of the expected shape, consistent with requirements.txt, galaxy.yml
  and meta/runtime.yml;
- ``ansible-galaxy collection build`` keeps them in the collection (galaxy.yml build_ignore);
- ``ansible-builder create`` accepts the definition (its schema check) and writes a build context from
  which the collection installs offline, and ansible-builder's own introspection of that installed
  collection finds the requirements of requirements.txt and bindep.txt."""

from __future__ import annotations

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys
import tarfile

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

from ansible_collections.rootguard.aws.plugins.module_utils.clients import MINIMUM_BOTOCORE

ROOT = pathlib.Path(__file__).resolve().parents[2]
EE_COLLECTION_DIR = "rootguard.aws"
# Top-level entries of the built collection that the execution environment leaves out, and why.
EE_LEFT_OUT = {
    "tests": "tests and the emulator are not needed to run playbooks",
    ".ansible-lint": "development configuration",
    ".gitignore": "development configuration",
    "execution-environment.yml": "the definition itself",
    "MANIFEST.json": "written by ansible-galaxy",
    "FILES.json": "written by ansible-galaxy",
    "BENCHMARKS.md": "measurements of this collection, not needed to run playbooks",
    "RELIABILITY.md": "measurements of this collection, not needed to run playbooks",
}
POLICY_SERVICES = {"organizations", "iam", "sts", "s3", "kms", "securityhub"}


def read_yaml(name: str):
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def requirement_lines(name: str) -> list:
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    return [line.strip() for line in lines if line.strip() and not line.strip().startswith("#")]


def command(name: str) -> str:
    found = shutil.which(name, path=os.path.dirname(sys.executable)) or shutil.which(name)
    assert found, f"{name} is not installed (requirements-dev.txt)"
    return found


def quiet_env(tmp_path: pathlib.Path) -> dict:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("ANSIBLE_")}
    environment.update(ANSIBLE_HOME=str(tmp_path / "ansible-home"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "ansible-tmp"),
                       ANSIBLE_NOCOLOR="true")
    return environment


@pytest.fixture(scope="module")
def built_collection(tmp_path_factory) -> list:
    """The member names of the collection artifact that ``ansible-galaxy collection build`` makes of this tree."""
    tmp_path = tmp_path_factory.mktemp("galaxy-build")
    completed = subprocess.run([command("ansible-galaxy"), "collection", "build", "--output-path", str(tmp_path), str(ROOT)],
                               env=quiet_env(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    (artifact,) = tmp_path.glob("*.tar.gz")
    with tarfile.open(artifact) as archive:
        return archive.getnames()


# ---------------------------------------------------------------------------
# The files and their consistency


def test_requirements_hold_the_sdk_floor():
    requirements = {Requirement(line).name: Requirement(line) for line in requirement_lines("requirements.txt")}
    assert set(requirements) == {"boto3", "botocore"}
    for requirement in requirements.values():
        assert str(requirement.specifier) == f">={MINIMUM_BOTOCORE}", requirement


def test_collection_metadata_points_at_the_shipped_requirement_files():
    metadata = read_yaml("meta/execution-environment.yml")
    assert metadata == {"version": 1, "dependencies": {"python": "requirements.txt", "system": "bindep.txt"}}
    for name in metadata["dependencies"].values():
        assert (ROOT / name).is_file(), name


def test_every_bindep_line_says_why_in_a_comment():
    lines = (ROOT / "bindep.txt").read_text(encoding="utf-8").splitlines()
    assert lines and lines[0].startswith("#")
    for number, line in enumerate(lines):
        if line.strip() and not line.startswith("#"):
            assert lines[number - 1].startswith("#"), f"bindep.txt line {number + 1} ({line!r}) has no comment above it"


def test_the_execution_environment_matches_galaxy_yml_runtime_yml_and_requirements():
    definition = read_yaml("execution-environment.yml")
    galaxy = read_yaml("galaxy.yml")
    runtime = read_yaml("meta/runtime.yml")
    assert definition["version"] == 3
    assert definition["images"]["base_image"]["name"]
    dependencies = definition["dependencies"]

    collections = {entry["name"]: entry for entry in dependencies["galaxy"]["collections"]}
    fqcn = f"{galaxy['namespace']}.{galaxy['name']}"
    assert set(collections) == {fqcn} | set(galaxy["dependencies"])
    for name, version in galaxy["dependencies"].items():
        assert collections[name]["version"] == version
    assert collections[fqcn] == {"name": fqcn, "type": "dir", "source": f"./{EE_COLLECTION_DIR}"}

    assert dependencies["python"] == "requirements.txt"
    assert dependencies["system"] == "bindep.txt"
    assert dependencies["exclude"]["python"] == ["aiobotocore"]

    core = Requirement(dependencies["ansible_core"]["package_pip"])
    assert core.name == "ansible-core"
    assert core.specifier == SpecifierSet(runtime["requires_ansible"])

    python_path = dependencies["python_interpreter"]["python_path"]
    version = re.fullmatch(r"/usr/bin/python(3\.\d+)", python_path).group(1)
    assert dependencies["python_interpreter"]["package_system"] == f"python{version}"
    assert tuple(int(part) for part in version.split(".")) >= (3, 11)


def test_the_execution_environment_copies_every_part_of_the_collection(built_collection):
    definition = read_yaml("execution-environment.yml")
    copied = set()
    for entry in definition["additional_build_files"]:
        source = entry["src"]
        assert "/" not in source and "*" not in source, entry
        assert (ROOT / source).exists(), entry
        expected = EE_COLLECTION_DIR if (ROOT / source).is_file() else f"{EE_COLLECTION_DIR}/{source}"
        assert entry["dest"] == expected, entry
        copied.add(source)
    # galaxy.yml becomes MANIFEST.json in a built collection; a directory install reads galaxy.yml.
    top_level = {name.split("/")[0] for name in built_collection} | {"galaxy.yml"}
    assert not copied - top_level, f"copied but not part of the collection: {sorted(copied - top_level)}"
    unaccounted = sorted(top_level - copied - set(EE_LEFT_OUT))
    assert not unaccounted, f"neither copied into the execution environment nor left out on purpose: {unaccounted}"
    assert {"galaxy.yml", "meta", "plugins", "requirements.txt"} <= copied


def test_build_ignore_keeps_the_packaging_files_in_the_collection(built_collection):
    names = set(built_collection)
    for name in ("meta/execution-environment.yml", "meta/runtime.yml", "requirements.txt", "bindep.txt",
                 "docs/controller-policy.json", "docs/vending-policy.json", "docs/evidence-policy.json", "docs/security-hub-policy.json",
                 "README.md"):
        assert name in names, f"{name} is missing from the built collection (galaxy.yml build_ignore?)"


@pytest.mark.parametrize("name", ["controller-policy.json", "vending-policy.json", "evidence-policy.json", "security-hub-policy.json"])
def test_the_policy_documents_are_well_formed_identity_policies(name):
    policy = json.loads((ROOT / "docs" / name).read_text(encoding="utf-8"))
    assert set(policy) == {"Version", "Statement"}
    assert policy["Version"] == "2012-10-17"
    sids = [statement["Sid"] for statement in policy["Statement"]]
    assert len(set(sids)) == len(sids) and all(re.fullmatch(r"[A-Za-z0-9]+", sid) for sid in sids)
    actions = []
    for statement in policy["Statement"]:
        assert set(statement) <= {"Sid", "Effect", "Action", "Resource", "Condition"}
        assert statement["Effect"] == "Allow"
        assert statement["Resource"]
        assert statement["Action"] == sorted(statement["Action"]), statement["Sid"]
        for name in statement["Action"]:
            service, operation = name.split(":", 1)
            assert service in POLICY_SERVICES and re.fullmatch(r"[A-Z][A-Za-z]+", operation), name
        actions.extend(statement["Action"])
    assert len(actions) == len(set(actions))


# ---------------------------------------------------------------------------
# ansible-builder itself


def test_ansible_builder_writes_a_context_from_which_the_collection_installs(tmp_path):
    context = tmp_path / "context"
    completed = subprocess.run([command("ansible-builder"), "create", "--file", str(ROOT / "execution-environment.yml"),
                                "--context", str(context)], env=quiet_env(tmp_path), capture_output=True, text=True,
                               timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    build = context / "_build"
    instructions = [path for path in (context / "Containerfile", context / "Dockerfile") if path.is_file()]
    assert len(instructions) == 1
    text = instructions[0].read_text(encoding="utf-8")
    definition = read_yaml("execution-environment.yml")
    assert f'ARG EE_BASE_IMAGE="{definition["images"]["base_image"]["name"]}"' in text
    assert 'ansible-galaxy collection install $ANSIBLE_GALAXY_CLI_COLLECTION_OPTS -r requirements.yml' in text
    assert (build / "requirements.txt").read_text(encoding="utf-8") == (ROOT / "requirements.txt").read_text(encoding="utf-8")
    assert (build / "bindep.txt").read_text(encoding="utf-8") == (ROOT / "bindep.txt").read_text(encoding="utf-8")
    assert (build / "exclude-requirements.txt").read_text(encoding="utf-8").split() == ["aiobotocore"]
    assert yaml.safe_load((build / "requirements.yml").read_text(encoding="utf-8")) == definition["dependencies"]["galaxy"]

    # What the galaxy stage does with the copied collection, offline and without its dependencies.
    collections = tmp_path / "collections"
    completed = subprocess.run([command("ansible-galaxy"), "collection", "install", "--offline", "--no-deps", "--force",
                                "-p", str(collections), f"./{EE_COLLECTION_DIR}"],
                               cwd=build, env=quiet_env(tmp_path), capture_output=True, text=True, timeout=300, check=False)
    assert completed.returncode == 0, completed.stdout + completed.stderr
    installed = collections / "ansible_collections" / "rootguard" / "aws"
    manifest = json.loads((installed / "MANIFEST.json").read_text(encoding="utf-8"))
    assert manifest["collection_info"]["version"] == read_yaml("galaxy.yml")["version"]
    for module in (ROOT / "plugins" / "modules").glob("*.py"):
        assert (installed / "plugins" / "modules" / module.name).is_file(), module.name
    for role in (ROOT / "roles").iterdir():
        assert (installed / "roles" / role.name).is_dir(), role.name
    assert not list(installed.rglob("__pycache__"))

    # What the builder stage's introspection reads from it.
    from ansible_builder._target_scripts.introspect import process_collection  # pylint: disable=import-outside-toplevel

    python, system = process_collection(str(installed))
    assert python == requirement_lines("requirements.txt")
    assert system == requirement_lines("bindep.txt")
