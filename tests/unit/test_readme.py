"""README.md: its opening lines, and role tables that match roles/*/meta/argument_specs.yml
(regenerate them with ``python hacking/update_readme_roles.py``)."""

from __future__ import annotations

import importlib.util
import pathlib

import yaml

ROOT = pathlib.Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
OPENING = """# rootguard.aws

```sh
make demo   # rehearse the playbooks against the bundled local AWS emulator: no AWS account needed
make test   # run every check CI runs: sanity, unit, emulator and integration tests, linters
```
"""


def script():
    spec = importlib.util.spec_from_file_location("update_readme_roles", ROOT / "hacking" / "update_readme_roles.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_opens_with_the_two_commands():
    assert README.read_text(encoding="utf-8").startswith(OPENING)


def test_role_tables_are_up_to_date():
    update = script()
    text = README.read_text(encoding="utf-8")
    assert text.count(update.BEGIN) == 1 and text.count(update.END) == 1
    assert update.current(text) == update.render(), "README.md role tables are out of date: run python hacking/update_readme_roles.py"


def test_every_role_variable_is_in_the_readme():
    text = README.read_text(encoding="utf-8")
    roles = sorted(path for path in (ROOT / "roles").iterdir() if path.is_dir())
    assert roles
    for role in roles:
        assert f"`rootguard.aws.{role.name}`" in text, role.name
        specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))["argument_specs"]
        for entry in specs.values():
            for name in entry.get("options") or {}:
                assert f"| `{name}` |" in text, (role.name, name)


def test_documentation_markup_becomes_markdown(tmp_path):
    update = script()
    assert update.markup(["O(a=b) needs V(true)", "and C(x|y); I(see) B(this) L(docs,https://example.com)."]) == (
        "`a=b` needs `true` and `x\\|y`; *see* **this** [docs](https://example.com)."
    )
    assert update.markup("with O(ns.coll.mod#module:fail_on_error=false)") == "with `fail_on_error=false` of `ns.coll.mod`"
    role = tmp_path / "roles" / "demo" / "meta"
    role.mkdir(parents=True)
    (role / "argument_specs.yml").write_text(yaml.safe_dump({"argument_specs": {"main": {
        "short_description": "A demo role",
        "options": {
            "demo_ids": {"type": "list", "elements": "str", "default": [], "description": "Ids."},
            "demo_state": {"type": "str", "choices": ["present", "absent"], "default": "present", "description": "State."},
            "demo_target": {"type": "str", "required": True, "description": "Target."},
        },
    }}}))
    assert update.render(tmp_path) == "\n".join([
        "### `rootguard.aws.demo`",
        "",
        "A demo role.",
        "",
        "| variable | type | default | description |",
        "|---|---|---|---|",
        "| `demo_ids` | list of str | `[]` | Ids. |",
        "| `demo_state` | str | `present` | State. Choices: `present`, `absent`. |",
        "| `demo_target` | str | required | Target. |",
    ])
