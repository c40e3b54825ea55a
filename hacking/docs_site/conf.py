# -*- coding: utf-8 -*-
# Copyright: Contributors to the rootguard.aws collection
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)

"""Sphinx configuration of the collection's docs site (hacking/build_docs.sh).

As antsibull-docs' ``sphinx-init`` writes it, except for intersphinx: the build runs offline,
so instead of downloading the Ansible docs' inventory, the few Ansible docs targets that the
generated pages refer to are linked to their pages on the Ansible docs site.  Any other
unresolved reference stays a warning, and the build treats warnings as errors."""

from __future__ import annotations

from docutils import nodes

project = "rootguard.aws"
copyright = "Contributors to the rootguard.aws collection"  # pylint: disable=redefined-builtin
title = "rootguard.aws documentation"
html_short_title = "rootguard.aws"

extensions = ["sphinx_antsibull_ext"]

pygments_style = "ansible"
highlight_language = "YAML+Jinja"

html_theme = "sphinx_ansible_theme"
html_show_sphinx = False
display_version = False
html_use_smartypants = True
html_use_modindex = False
html_use_index = False
html_copy_source = False
default_role = "any"
nitpicky = True

ANSIBLE_DOCS = "https://docs.ansible.com/projects/ansible/latest/"

# Labels of the Ansible docs that antsibull-docs' pages refer to, and their pages there.
ANSIBLE_LABELS = {
    "ansible_configuration_settings": "reference_appendices/config.html",
    "common_return_values": "reference_appendices/common_return_values.html",
    "action_plugins": "plugins/action.html",
}


def ansible_docs_link(app, env, node, contnode):  # pylint: disable=unused-argument
    """A link to the Ansible docs for a reference Sphinx could not resolve here, or None."""
    target = node.get("reftarget", "")
    if node.get("refdomain") == "std" and node.get("reftype") == "envvar" and target.startswith("ANSIBLE_"):
        uri = f"{ANSIBLE_DOCS}reference_appendices/config.html#envvar-{target}"
    elif node.get("refdomain") == "std" and node.get("reftype") in ("ref", "any") and target in ANSIBLE_LABELS:
        uri = ANSIBLE_DOCS + ANSIBLE_LABELS[target]
    else:
        return None
    reference = nodes.reference("", "", internal=False, refuri=uri)
    reference.append(contnode)
    return reference


def setup(app):
    app.connect("missing-reference", ansible_docs_link)
