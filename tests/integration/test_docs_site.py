"""The collection's docs site (``make docs``, hacking/build_docs.sh): built from the collection
tree, then opened in headless Chromium (Debian's ``chromium``, which ``make browser``
installs), which must render a module page with its options, examples and return values, a
role page with the options of its argument spec, and a guide of docs/docsite/rst/ with its
text. What each page must show is read from the sources: the module's DOCUMENTATION,
EXAMPLES and RETURN, the role's meta/argument_specs.yml, the guide's RST."""

from __future__ import annotations

import ast
import html.parser
import pathlib
import re
import subprocess

import pytest
import yaml
from conftest import headless_dom

ROOT = pathlib.Path(__file__).resolve().parents[2]
GUIDES = ROOT / "docs" / "docsite" / "rst"
# Ansible's documentation markup, such as O(option=value) or C(code): the text inside is what a page shows.
MARKUP = re.compile(r"\b(?:O|V|C|RV|M|E|P|I|B|U)\(([^()]*)\)")
VOID_ELEMENTS = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


@pytest.fixture(scope="session")
def docs_site(tmp_path_factory) -> pathlib.Path:
    """The site built by hacking/build_docs.sh into a directory of this test session's own."""
    dest = tmp_path_factory.mktemp("docs-site")
    completed = subprocess.run(["bash", str(ROOT / "hacking" / "build_docs.sh"), str(dest)], capture_output=True, text=True,
                               timeout=900, check=False)
    assert completed.returncode == 0, (completed.stdout[-4000:], completed.stderr[-4000:])
    return dest / "html"


def rendered(page: pathlib.Path, tmp_path: pathlib.Path) -> "Page":
    """The page as Chromium rendered it (--dump-dom, after its scripts ran)."""
    assert page.is_file(), page
    dom_text = headless_dom(page, tmp_path, "the docs site test")
    dom = Page()
    dom.feed(dom_text)
    dom.close()
    assert dom.sections, dom_text[:4000]
    return dom


class Page(html.parser.HTMLParser):
    """The rendered page's text, by section (``<section id=...>``, nested sections included in their parents),
    its headings, the ids of all its elements, and its links."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.sections: dict = {}
        self.headings: list = []
        self.ids: set = set()
        self.links: set = set()
        self._open: list = []
        self._heading: list | None = None

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if attributes.get("id"):
            self.ids.add(attributes["id"])
        if tag == "a" and attributes.get("href"):
            self.links.add(attributes["href"])
        if tag in VOID_ELEMENTS:
            return
        self._open.append((tag, attributes.get("id") if tag == "section" else None))
        if tag in ("h1", "h2", "h3"):
            self._heading = []

    def handle_endtag(self, tag):
        if tag in VOID_ELEMENTS:
            return
        while self._open:
            if self._open.pop()[0] == tag:
                break
        if tag in ("h1", "h2", "h3") and self._heading is not None:
            self.headings.append(text_of(self._heading))
            self._heading = None

    def handle_data(self, data):
        if self._heading is not None:
            self._heading.append(data)
        for section in (entry[1] for entry in self._open if entry[1]):
            self.sections.setdefault(section, []).append(data)

    def text(self, section: str) -> str:
        assert section in self.sections, f"no section {section!r}: {sorted(self.sections)}"
        return text_of(self.sections[section])


def text_of(parts) -> str:
    """Text as a reader sees it: one space between words, plain quotes and dashes, no heading link sign
    (a pilcrow, or the theme's icon from a private-use code point)."""
    text = " ".join(re.sub("[\u00b6\ue000-\uf8ff]", " ", "".join(parts)).split())
    return text.translate(str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-"}))


def plain(description) -> str:
    """An option's or return value's description (a string or a list of paragraphs) without its markup."""
    text = " ".join(description) if isinstance(description, list) else str(description)
    return text_of([MARKUP.sub(r"\1", text)])


def first_words(description, count: int = 8) -> str:
    return " ".join(plain(description).split()[:count])


def module_docs(name: str) -> dict:
    """DOCUMENTATION, EXAMPLES and RETURN of a module, read from its source."""
    tree = ast.parse((ROOT / "plugins" / "modules" / f"{name}.py").read_text(encoding="utf-8"))
    docs = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and getattr(node.targets[0], "id", None) in ("DOCUMENTATION", "EXAMPLES", "RETURN"):
            docs[node.targets[0].id] = ast.literal_eval(node.value)
    assert set(docs) == {"DOCUMENTATION", "EXAMPLES", "RETURN"}, name
    return docs


def test_a_module_page_shows_its_options_examples_and_return_values(docs_site, tmp_path):
    docs = module_docs("root_credentials")
    options = yaml.safe_load(docs["DOCUMENTATION"])["options"]
    examples = yaml.safe_load(docs["EXAMPLES"])
    returns = yaml.safe_load(docs["RETURN"])
    page = rendered(docs_site / "root_credentials_module.html", tmp_path)

    assert page.headings[0].startswith("rootguard.aws.root_credentials module")
    parameters = page.text("parameters")
    for option in ("max_changed_accounts", "credential_types", "previous_journal"):
        assert f"parameter-{option}" in page.ids, option
        assert option in parameters and first_words(options[option]["description"]) in parameters, option
    example_text = page.text("examples")
    assert examples and all(task["name"] in example_text for task in examples)
    assert "max_changed_accounts: 25" in example_text
    return_values = page.text("return-values")
    for key in ("accounts", "summary"):
        assert f"return-{key}" in page.ids, key
        assert first_words(returns[key]["description"]) in return_values, key


def test_a_role_page_shows_the_options_of_its_argument_spec(docs_site, tmp_path):
    role = ROOT / "roles" / "root_credentials_audit"
    options = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text(encoding="utf-8"))["argument_specs"]["main"]["options"]
    page = rendered(docs_site / "root_credentials_audit_role.html", tmp_path)

    assert page.headings[0].startswith("rootguard.aws.root_credentials_audit role")
    parameters = page.text("parameters")
    assert len(options) >= 10
    for name, spec in options.items():
        assert f"parameter-main--{name}" in page.ids, name
        assert first_words(spec["description"]) in parameters, name


def test_a_guide_shows_its_headings_and_text(docs_site, tmp_path):
    source = (GUIDES / "security_model.rst").read_text(encoding="utf-8")
    page = rendered(docs_site / "docsite" / "security_model.html", tmp_path)

    assert page.headings[0] == "Security model"
    text = page.text("security-model")
    for sentence in ("No module makes a write call in check mode: every write is behind the check",
                     "Nothing in the collection writes credentials to disk or puts them in the environment of a command."):
        assert " ".join(sentence.split()) in " ".join(source.split()), sentence
        assert sentence in text, sentence
    assert "What check mode guarantees." in text and "Backups of removed policies." in text


def test_the_index_links_every_module_role_and_guide(docs_site, tmp_path):
    page = rendered(docs_site / "index.html", tmp_path)

    expected = {f"{path.stem}_module.html" for path in (ROOT / "plugins" / "modules").glob("*.py")}
    expected |= {f"{path.name}_role.html" for path in (ROOT / "roles").iterdir() if path.is_dir()}
    expected |= {f"{path.stem}_inventory.html" for path in (ROOT / "plugins" / "inventory").glob("*.py")}
    expected |= {f"docsite/{path.stem}.html" for path in GUIDES.glob("*.rst")}
    assert len(expected) >= 12 + 6 + 1 + 8
    assert expected <= page.links, sorted(expected - page.links)
    for link in expected:
        assert (docs_site / link).is_file(), link
