#!/usr/bin/env bash
# Installs a Debian package with apt-get (as root, or with passwordless sudo) unless one of
# the commands it provides is already on PATH.
# Usage: hacking/apt_install.sh PACKAGE "WHAT IT IS FOR" COMMAND...
set -euo pipefail

package=$1
purpose=$2
shift 2
first_command=$1

for command in "$@"; do
  if command -v "$command" >/dev/null 2>&1; then
    exit 0
  fi
done
fail() {
  echo "$package: $1; install Debian's $package package yourself (apt-get install $package) and run this again." >&2
  exit 1
}
command -v apt-get >/dev/null 2>&1 || fail "no $first_command on PATH and no apt-get to install it"
if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo -n)
else
  fail "no $first_command on PATH, and installing it needs root or passwordless sudo"
fi
echo "Installing Debian's $package ($purpose)"
"${sudo[@]}" apt-get update -qq || fail "apt-get update failed"
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$package" \
  || fail "apt-get install $package failed"
command -v "$first_command" >/dev/null 2>&1 || fail "$first_command is still not on PATH after the install"
