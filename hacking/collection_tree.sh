#!/usr/bin/env bash
# Rebuilds the collection tree ansible-test and the tests run from: the git-tracked files of
# this checkout (as they are in the work tree, uncommitted changes included) at COLLECTION_DIR,
# and amazon.aws, copied from the venv's site-packages, at AMAZON_AWS_DIR.  Each gets its own
# `git init`: without one, ansible-test would walk up to this repository's .git, where build/ is
# ignored, and see no files at all.
# Usage: hacking/collection_tree.sh COLLECTION_DIR AMAZON_AWS_DIR VENV_PYTHON
set -euo pipefail

collection_dir=$1
amazon_aws_dir=$2
venv_python=$3

rm -rf "$collection_dir" "$amazon_aws_dir"
mkdir -p "$collection_dir" "$(dirname "$amazon_aws_dir")"
git ls-files -z --cached \
  | while IFS= read -r -d '' f; do if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi; done \
  | tar --null --no-recursion -T - -cf - | tar -xf - -C "$collection_dir"
git -C "$collection_dir" init --quiet
site_packages=$("$venv_python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
cp -R "$site_packages/ansible_collections/amazon/aws" "$amazon_aws_dir"
git -C "$amazon_aws_dir" init --quiet
echo "Collection tree: $collection_dir ($(cd "$collection_dir" && git ls-files --others --exclude-standard | wc -l) files)"
untracked=$(git ls-files --others --exclude-standard | wc -l)
if [ "$untracked" -gt 0 ]; then
  echo "Left out: $untracked untracked file(s) (git add -N to include them): $(git ls-files --others --exclude-standard --directory | head -n 5 | tr '\n' ' ')"
fi
