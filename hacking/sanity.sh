#!/usr/bin/env bash
# ansible-test sanity on the collection tree, with the venv's Python only.
# Usage: hacking/sanity.sh COLLECTION_DIR VENV_PYTHON [ansible-test sanity option...]
#
# --python restricts it to the venv's Python: otherwise the tests that run per Python version
# (compile, import, ...) try every python3.X found on PATH, and a broken interpreter there (such
# as a pyenv shim of a version that is not selected) makes them fail.
#
# ansible-test bootstraps pip in each of its test venvs with a get-pip script downloaded from a
# CI file host and cached under ~/.ansible/test/cache/.  When that download fails, ansible-test
# stops and says where the script can be saved by hand ("...manually downloaded and saved to:
# PATH").  This script then saves hacking/get_pip_offline.py (ensurepip and the package index)
# there and runs ansible-test again, so sanity also runs where that host is unreachable.  The
# path, and the pip version in it, come from ansible-test's own message: nothing here imports
# ansible-test's internals.  A stand-in cached by an earlier run is refreshed when it changed.
set -euo pipefail

collection_dir=$1
venv_python=$2
shift 2
here=$(cd "$(dirname "$0")" && pwd)
stand_in=$here/get_pip_offline.py
marker=rootguard-aws-get-pip-stand-in
cache=${HOME}/.ansible/test/cache

for cached in "$cache"/get_pip_*.py; do
  if [ -f "$cached" ] && grep -q "$marker" "$cached" && ! cmp -s "$stand_in" "$cached"; then
    cp "$stand_in" "$cached"
    echo "Refreshed the pip bootstrap stand-in at $cached"
  fi
done

version=$("$venv_python" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
log=$(mktemp)
trap 'rm -f "$log"' EXIT
cd "$collection_dir"
echo "ansible-test sanity --python $version $*"
status=0
ansible-test sanity --python "$version" "$@" 2>&1 | tee "$log" || status=$?
if [ "$status" -ne 0 ]; then
  get_pip=$(sed -n 's/^.*manually downloaded and saved to: \(.*get_pip_[0-9_]*\.py\)[[:space:]]*$/\1/p' "$log" | tail -n 1)
  if [ -n "$get_pip" ] && [ ! -e "$get_pip" ]; then
    mkdir -p "$(dirname "$get_pip")"
    cp "$stand_in" "$get_pip"
    echo "The pip bootstrap script could not be downloaded: installed the stand-in as $get_pip; running again."
    status=0
    ansible-test sanity --python "$version" "$@" || status=$?
  fi
fi
exit "$status"
