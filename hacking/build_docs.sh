#!/usr/bin/env bash
# Build the collection's HTML docs site: every module, plugin and role (options,
# examples, return values) rendered by antsibull-docs, plus the guides of
# docs/docsite/ (extra-docs.yml), turned into HTML by Sphinx with the Ansible theme.
#
#   bash hacking/build_docs.sh [DEST]     # default DEST: build/docs; the site is DEST/html/index.html
#
# The collection is read from the collection tree (`make collection-tree`), or from
# ANSIBLE_COLLECTIONS_PATH when set.  Runs offline: no intersphinx inventory is
# downloaded (see hacking/docs_site/conf.py).  Sphinx warnings fail the build.
set -euo pipefail

root=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd)
dest=${1:-$root/build/docs}
collections=${ANSIBLE_COLLECTIONS_PATH:-$root/build/collections}
bin=$root/.venv/bin

if [ ! -d "$collections/ansible_collections/rootguard/aws" ]; then
  echo "build_docs: no rootguard.aws under $collections; run make collection-tree first." >&2
  exit 1
fi

rm -rf "$dest/rst" "$dest/html" "$dest/doctrees"
mkdir -p "$dest/rst"
chmod og-w "$dest/rst"  # antsibull-docs wants its output directory writable by its owner only

export PATH="$bin:$PATH" ANSIBLE_COLLECTIONS_PATH="$collections" ANSIBLE_COLLECTIONS_SCAN_SYS_PATH=false
antsibull-docs collection --use-current --squash-hierarchy --fail-on-error --cleanup everything \
  --dest-dir "$dest/rst" rootguard.aws
sphinx-build -b html -c "$root/hacking/docs_site" -d "$dest/doctrees" -W --keep-going -q "$dest/rst" "$dest/html"
echo "Docs site: $dest/html/index.html"
