# shellcheck shell=bash
# Sourced by the demos: an isolated AWS environment and the local emulator as
# a child process.  Needs python on PATH with the emulator package installed
# (tests/emulator/pyproject.toml; `make` installs it in the virtualenv).
#
#   emulator_isolate WORKDIR       drop every AWS_*/MOTO_* variable and use empty config files
#   emulator_start WORKDIR ACCOUNTS SEED [serve options...]
#                                  start it on a free port, wait until seeded; exports
#                                  AWS_ENDPOINT_URL and test credentials; sets EMULATOR_PID
#   emulator_stop                  stop it (safe to call twice)
#   emulator_cleanup WORKDIR HINT  for an EXIT trap: stop it, remove WORKDIR, and on failure
#                                  print "demo: failed (exit N)" followed by HINT

EMULATOR_PID=""

emulator_isolate() {
  # A profile, a session token or AWS_IGNORE_CONFIGURED_ENDPOINT_URLS from the
  # caller's environment or ~/.aws could send a call to real AWS.
  local name
  while IFS= read -r name; do unset "$name"; done < <(compgen -e | grep -E '^(AWS_|MOTO_)' || true)
  : >"$1/aws-config"
  export AWS_CONFIG_FILE="$1/aws-config" AWS_SHARED_CREDENTIALS_FILE="$1/aws-config"
  export AWS_EC2_METADATA_DISABLED=true AWS_PAGER=""
}

emulator_start() {
  local work=$1 accounts=$2 seed=$3
  shift 3
  local port truth="$work/truth.json"
  port=$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
  python -m rootguard_emulator serve --port "$port" --accounts "$accounts" --seed "$seed" --quiet \
    --truth-file "$truth" "$@" >"$work/emulator.log" 2>&1 &
  EMULATOR_PID=$!
  export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
  export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing AWS_DEFAULT_REGION=us-east-1
  # Ready once the seeded truth is written (after seeding) and the server answers.
  local _
  for _ in $(seq 1 150); do
    if ! kill -0 "$EMULATOR_PID" 2>/dev/null; then
      echo "the emulator exited early:" >&2
      cat "$work/emulator.log" >&2
      return 1
    fi
    if [[ -s "$truth" ]] &&
       python -c 'import sys, urllib.request; urllib.request.urlopen(sys.argv[1] + "/moto-api/rootguard/organization", timeout=2).read()' \
         "$AWS_ENDPOINT_URL" 2>/dev/null; then
      return 0
    fi
    sleep 0.2
  done
  echo "the emulator did not come up within 30 seconds:" >&2
  cat "$work/emulator.log" >&2
  return 1
}

emulator_stop() {
  if [[ -n "$EMULATOR_PID" ]] && kill -0 "$EMULATOR_PID" 2>/dev/null; then
    kill "$EMULATOR_PID" 2>/dev/null || true
    wait "$EMULATOR_PID" 2>/dev/null || true
  fi
  EMULATOR_PID=""
}

emulator_cleanup() {
  local status=$?
  emulator_stop
  rm -rf "$1"
  if [[ $status -ne 0 ]]; then
    echo "demo: failed (exit $status)$2" >&2
  fi
}
