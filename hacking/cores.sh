#!/usr/bin/env bash
# Side virtualenvs with older ansible-core releases, one per release, built once.
# Usage: hacking/cores.sh CORES_DIR "ENTRIES" PACKAGE...
#   ENTRIES: space-separated <ansible-core version>:<Pythons it runs on, preferred first>,
#   e.g. "2.17.14:3.12,3.11 2.18.19:3.13,3.12"; PACKAGEs are installed beside ansible-core.
set -euo pipefail

cores_dir=$1
entries=$2
shift 2
here=$(dirname "$0")

pythons=$("$here/find_pythons.sh" | sort -s -k1,1nr)

# The interpreter of the first Python X.Y in the comma-separated list $1 that was found.
python_for() {
  local want py
  for want in ${1//,/ }; do
    py=$(awk -v want="$want" '{ v = substr($1, 1, length($1) - 3); if (sprintf("%d.%d", int(v / 1000), v % 1000) == want) { print $2; exit } }' <<<"$pythons")
    if [ -n "$py" ]; then
      echo "$py"
      return
    fi
  done
}

for entry in $entries; do
  core=${entry%%:*}
  wanted=${entry#*:}
  dir=$cores_dir/ansible-core-${core%.*}
  if [ -e "$dir/.installed-$core" ]; then
    continue
  fi
  py=$(python_for "$wanted")
  if [ -z "$py" ]; then
    echo "cores: no Python $wanted for ansible-core $core found." >&2
    exit 1
  fi
  echo "Creating $dir: ansible-core $core on $("$py" -c 'import sys; print("Python %d.%d.%d" % sys.version_info[:3])')"
  rm -rf "$dir"
  "$py" -m venv "$dir"
  "$dir/bin/python" -m pip install --quiet --disable-pip-version-check "ansible-core==$core" "$@"
  touch "$dir/.installed-$core"
done
