#!/usr/bin/env bash
# Prints "<version as an integer> <interpreter path>" for each working Python >= 3.11 (with
# venv and ensurepip) among PYTHON_CANDIDATES (names or paths, space-separated) and, with
# pyenv present, each of pyenv's versions.  Unsorted; a candidate that does not work is skipped.
set -uo pipefail

read -r -a candidates <<<"${PYTHON_CANDIDATES:-python3.14 python3.13 python3.12 python3.11 python3}"
if command -v pyenv >/dev/null 2>&1; then
  root=$(pyenv root 2>/dev/null) || root=
  if [ -n "$root" ]; then
    for version in $(pyenv versions --bare 2>/dev/null); do
      candidates+=("$root/versions/$version/bin/python3")
    done
  fi
fi
for candidate in "${candidates[@]}"; do
  "$candidate" -c 'import sys, venv, ensurepip; assert sys.version_info >= (3, 11); print("%d%03d%03d" % sys.version_info[:3], sys.executable)' 2>/dev/null || true
done
