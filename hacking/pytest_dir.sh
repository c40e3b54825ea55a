#!/usr/bin/env bash
# Runs pytest on a test directory.  pytest exits 5 when it collects nothing: a directory
# without any test file yet is reported and passes; once it has test files, every pytest exit
# code counts.  Usage: hacking/pytest_dir.sh PYTEST DIRECTORY [PYTEST OPTION...]
set -euo pipefail

pytest=$1
directory=$2
shift 2

if [ -z "$(find "$directory" -type f \( -name 'test_*.py' -o -name '*_test.py' \) -print -quit 2>/dev/null)" ]; then
  echo "$directory: no test files yet, nothing to run."
  exit 0
fi
echo "pytest $directory $*"
exec "$pytest" "$directory" "$@"
