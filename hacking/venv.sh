#!/usr/bin/env bash
# Builds the development virtualenv: the highest working Python >= 3.11 found by
# find_pythons.sh (or $PYTHON), a fresh venv, requirements-dev.txt (the emulator package
# included).  Usage: hacking/venv.sh VENV_DIR
set -euo pipefail

venv=$1
here=$(dirname "$0")

py=${PYTHON:-}
if [ -z "$py" ]; then
  py=$("$here/find_pythons.sh" | sort -s -k1,1nr | head -n 1 | cut -d' ' -f2-)
fi
if [ -z "$py" ]; then
  echo "No working Python >= 3.11 (with venv and ensurepip) found." >&2
  exit 1
fi
echo "Creating $venv with $("$py" -c 'import sys; print("Python %d.%d.%d" % sys.version_info[:3], sys.executable)')"
"$py" -m venv --clear "$venv"
echo "$venv/bin/python -m pip install -r requirements-dev.txt"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
rm -f "$venv"/.amazon.aws-from-*
