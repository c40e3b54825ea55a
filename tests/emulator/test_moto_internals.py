"""The table of moto internals (rootguard_emulator.moto_internals): it matches the installed moto,
its check reports a difference, and it lists everything the emulator's code takes from moto."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import rootguard_emulator
from rootguard_emulator import credential_report, guardrails, iam_ext, organizations_ext
from rootguard_emulator.moto_internals import IAM_CREDENTIAL_REPORT, IAM_ROOT_AWARE, INTERNALS, ORGANIZATIONS_PAGINATED, Internal, problems

PACKAGE = Path(rootguard_emulator.__file__).parent
LISTED = {(internal.module, internal.attribute) for internal in INTERNALS}


def test_every_internal_has_the_expected_shape():
    # A fresh interpreter: in this one, install() has already replaced some of them.
    result = subprocess.run([sys.executable, "-m", "rootguard_emulator.moto_internals"], capture_output=True, text=True, check=False)
    assert result.returncode == 0, "moto differs from rootguard_emulator/moto_internals.py:\n" + result.stdout + result.stderr
    assert result.stdout == ""
    assert f"{len(INTERNALS)} moto internals checked" in result.stderr


def test_a_difference_is_reported():
    wrong = (
        Internal("moto.iam.utils", "ACCOUNT_OFFSET", "str", "imported", "test"),
        Internal("moto.sqs.models", "Queue.no_such_method", "(self)", "called", "test"),
        Internal("moto.iam.utils", "random_resource_id", "(size, extra)", "called", "test"),
        Internal("moto.no_such_service.models", "Thing", "class", "imported", "test"),
        Internal("moto.iam.models", "iam_backends", "absent", "added", "test"),
    )
    found = problems(wrong)
    assert found[:4] == [
        "moto.iam.utils:ACCOUNT_OFFSET (imported by test): expected str, moto has int",
        "moto.sqs.models:Queue.no_such_method (called by test): expected (self), moto has absent",
        "moto.iam.utils:random_resource_id (called by test): expected (size, extra), moto has (size)",
        "moto.no_such_service.models:Thing (imported by test): expected class, moto has no module (No module named 'moto.no_such_service')",
    ]
    assert found[4] == "moto.iam.models:iam_backends (added by test): expected absent, moto has BackendDict"
    assert len(found) == 5


def test_each_internal_is_listed_once():
    assert len(LISTED) == len(INTERNALS)


def _moto_uses(tree: ast.Module) -> set[tuple[str, str]]:
    """(module, dotted attribute) of every moto name imported, subclassed or assigned to."""
    origin: dict[str, tuple[str, str]] = {}  # local name -> (module, attribute path; "" for a module)
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 0 and (node.module or "").split(".")[0] == "moto":
            for alias in node.names:
                origin[alias.asname or alias.name] = (node.module, alias.name)
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("moto.") and alias.asname:
                    origin[alias.asname] = (alias.name, "")
    uses = {value for value in origin.values() if value[1]}

    def dotted(node: ast.expr) -> tuple[str, str] | None:
        parts = []
        while isinstance(node, ast.Attribute):
            parts.insert(0, node.attr)
            node = node.value
        if not isinstance(node, ast.Name) or node.id not in origin:
            return None
        module, attribute = origin[node.id]
        if not attribute:
            return module, ".".join(parts)
        if attribute == "urls":  # a submodule imported by name: its attributes are listed under its own module
            return f"{module}.{attribute}", ".".join(parts)
        return module, ".".join([attribute, *parts])

    for node in ast.walk(tree):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            targets = [target.value if isinstance(target, ast.Subscript) else target for target in node.targets]
        elif isinstance(node, ast.ClassDef):
            targets = list(node.bases)
        for target in targets:
            found = dotted(target)
            if found and found[1]:
                uses.add(found)
    return uses


def test_the_table_lists_what_the_emulator_takes_from_moto():
    unlisted = {}
    for path in sorted(PACKAGE.glob("*.py")):
        for module, attribute in _moto_uses(ast.parse(path.read_text(encoding="utf-8"))):
            if attribute == "urls":
                module, attribute = module + ".urls", "url_paths"
            if (module, attribute) not in LISTED:
                unlisted.setdefault(path.name, []).append(f"{module}:{attribute}")
    assert not unlisted, "add these to rootguard_emulator/moto_internals.py: " + repr(unlisted)


def test_the_methods_patched_by_name_are_the_tables():
    assert set(iam_ext.ROOT_AWARE) == set(IAM_ROOT_AWARE)
    assert set(credential_report.HANDLERS) == set(IAM_CREDENTIAL_REPORT)
    assert organizations_ext.PAGINATED == tuple(ORGANIZATIONS_PAGINATED)
    wrapped = {internal.attribute for internal in INTERNALS if internal.use in ("wrapped", "replaced")}
    assert {f"OrganizationsBackend.{name}" for name in guardrails.CHANGING_METHODS} <= wrapped
