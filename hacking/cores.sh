#!/usr/bin/env bash
# Side virtualenvs with older ansible-core releases, one per release, built once
# (hacking/side_venv.sh).
# Usage: hacking/cores.sh CORES_DIR "ENTRIES" PACKAGE...
#   ENTRIES: space-separated <ansible-core version>:<Pythons it runs on, preferred first>,
#   e.g. "2.17.14:3.12,3.11 2.18.19:3.13,3.12"; PACKAGEs are installed beside ansible-core.
set -euo pipefail

cores_dir=$1
entries=$2
shift 2
here=$(dirname "$0")

# Built side by side (pip waits on the network as much as on the CPU); any failure fails the whole.
pids=()
for entry in $entries; do
  core=${entry%%:*}
  "$here/side_venv.sh" "$cores_dir/ansible-core-${core%.*}" "${entry#*:}" "ansible-core==$core" "$@" &
  pids+=("$!")
done
status=0
for pid in "${pids[@]}"; do
  wait "$pid" || status=1
done
exit "$status"
