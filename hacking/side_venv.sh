#!/usr/bin/env bash
# A side virtualenv, built once: DIR on the first Python X.Y of PYTHONS that is found, with the
# PACKAGEs installed; DIR/.installed-<hash of the PACKAGEs> marks it built (other PACKAGEs rebuild it).
# Usage: hacking/side_venv.sh DIR PYTHONS PACKAGE...
#   PYTHONS: comma-separated X.Y versions, preferred first (hacking/find_pythons.sh finds them).
set -euo pipefail

dir=$1
wanted=$2
shift 2
stamp=$(printf '%s\n' "$@" | sha256sum | cut -c1-16)
here=$(dirname "$0")

if [ -e "$dir/.installed-$stamp" ]; then
  exit 0
fi

pythons=$("$here/find_pythons.sh" | sort -s -k1,1nr)
py=
for want in ${wanted//,/ }; do
  py=$(awk -v want="$want" '{ v = substr($1, 1, length($1) - 3); if (sprintf("%d.%d", int(v / 1000), v % 1000) == want) { print $2; exit } }' <<<"$pythons")
  if [ -n "$py" ]; then
    break
  fi
done
if [ -z "$py" ]; then
  echo "side_venv: no Python $wanted found for $dir." >&2
  exit 1
fi

echo "Creating $dir on $("$py" -c 'import sys; print("Python %d.%d.%d" % sys.version_info[:3])'): $*"
rm -rf "$dir"
"$py" -m venv "$dir"
"$dir/bin/python" -m pip install --quiet --disable-pip-version-check "$@"
touch "$dir/.installed-$stamp"
