"""What README.md and the guides of docs/docsite/ say stays true: README opens with the two
commands, indexes every module, plugin, role and playbook and links only to files that exist;
every guide is on the docs site and linked from README; the development guide's table of
Makefile targets lists exactly what ``make help`` lists."""

from __future__ import annotations

import pathlib
import re
import shutil
import subprocess

import pytest
import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
DOCSITE = ROOT / "docs" / "docsite"
GUIDES = DOCSITE / "rst"
OPENING = """# rootguard.aws

```sh
make demo   # rehearse the playbooks against the bundled local AWS emulator: no AWS account needed
make test   # run every check CI runs: sanity, unit, emulator and integration tests, linters
```
"""
# A Markdown link: [text](target), the target without a URL scheme or an anchor-only target.
LINK = re.compile(r"\]\(([^)\s]+)\)")
LABEL_PREFIX = "ansible_collections.rootguard.aws.docsite."


def readme() -> str:
    return README.read_text(encoding="utf-8")


def index_entries() -> dict:
    """What README's index must name, with the file its entry links to: {fully qualified name: path}."""
    entries = {f"rootguard.aws.{path.stem}": path for path in sorted((ROOT / "plugins" / "modules").glob("*.py"))}
    for plugin_type in ("inventory", "filter"):
        entries.update({f"rootguard.aws.{path.stem}": path for path in sorted((ROOT / "plugins" / plugin_type).glob("*.py"))})
    entries.update({f"rootguard.aws.{path.name}": path / "meta" / "argument_specs.yml"
                    for path in sorted((ROOT / "roles").iterdir()) if path.is_dir()})
    entries.update({f"rootguard.aws.{path.stem}": path for path in sorted((ROOT / "playbooks").glob("*.yml"))})
    return entries


def test_readme_opens_with_the_two_commands():
    assert readme().startswith(OPENING)


def test_readme_stays_short():
    assert len(readme().splitlines()) <= 250


def test_readme_indexes_every_module_plugin_role_and_playbook():
    text = readme()
    entries = index_entries()
    assert len(entries) >= 12 + 1 + 4 + 7 + 7
    for name, path in entries.items():
        link = f"[`{name}`]({path.relative_to(ROOT).as_posix()})"
        assert link in text, f"README's index has no line {link}"
    named = set(re.findall(r"\[`(rootguard\.aws\.[a-z_]+)`\]", text))
    assert named == set(entries), f"README indexes what does not exist: {sorted(named - set(entries))}"


def test_readme_links_to_files_that_exist():
    targets = [target for target in LINK.findall(readme()) if "://" not in target and not target.startswith("#")]
    assert targets
    for target in targets:
        assert (ROOT / target.split("#", 1)[0]).exists(), target


def test_every_guide_is_on_the_docs_site_and_linked_from_readme():
    sections = yaml.safe_load((DOCSITE / "extra-docs.yml").read_text(encoding="utf-8"))["sections"]
    listed = [entry if isinstance(entry, str) else entry["ref"] for section in sections for entry in section["toctree"]]
    guides = sorted(path.stem for path in GUIDES.glob("*.rst"))
    assert sorted(listed) == guides
    text = readme()
    for guide in guides:
        assert f"](docs/docsite/rst/{guide}.rst)" in text, guide
        first_line = (GUIDES / f"{guide}.rst").read_text(encoding="utf-8").splitlines()[0]
        assert first_line == f".. _{LABEL_PREFIX}{guide}:", guide


def make_help_targets() -> list:
    make = shutil.which("make")
    if make is None:
        pytest.fail("make is needed to compare the development guide with `make help`")
    completed = subprocess.run([make, "-s", "--no-print-directory", "-C", str(ROOT), "help"],
                               capture_output=True, text=True, timeout=60, check=True)
    targets = [line.split()[0] for line in completed.stdout.splitlines() if line.strip()]
    assert targets, completed.stdout
    return targets


def test_the_targets_table_lists_what_make_help_lists():
    guide = (GUIDES / "development.rst").read_text(encoding="utf-8")
    table = re.findall(r"^   \* - ``make ([a-z][a-z-]*)``$", guide, flags=re.MULTILINE)
    assert len(table) == len(set(table)), "a target is in the table twice"
    assert sorted(table) == sorted(make_help_targets())
