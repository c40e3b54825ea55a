#!/usr/bin/env bash
# `make demo`: harden an organization of 25 member accounts with the
# collection's harden_organization.yml, against the local AWS emulator.
#
#   0. guardrails as real organizations carry them: an OU under Control
#      Tower's AWS-GR_RESTRICT_ROOT_USER (root sessions denied), one under the
#      same control with ExemptAssumeRoot (tests/emulator/demo_guardrails.py);
#   1. the plan: the playbook in check mode (nothing is written to "AWS"),
#      with the accounts whose root sessions the guardrails would stop;
#   2. the real run, confirmed (rootguard_confirm=true): centralized root
#      access on, an audit, the removal of the root credentials of every
#      member the guardrails let root sessions work in, and an audit proving
#      it - JSON, CSV and HTML reports under reports/;
#   3. the same playbook again in check mode: nothing left to change.
#
# Run by the Makefile from the repository root with the virtualenv's bin on
# PATH and ANSIBLE_COLLECTIONS_PATH set.  Nothing here talks to
# AWS: every call goes to the emulator on 127.0.0.1 with test credentials.
# Ansible's own output goes to reports/demo-*.log; the screen gets the summary.

set -euo pipefail

MEMBER_ACCOUNTS=${DEMO_ACCOUNTS:-25}
REPORTS=${DEMO_REPORTS:-$PWD/reports}
PLAYBOOK=playbooks/harden_organization.yml

for tool in python ansible-playbook; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "demo: '$tool' is not on PATH (run it with 'make demo', which puts the virtualenv first)" >&2
    exit 1
  fi
done

if [[ -t 1 ]]; then
  BOLD=$'\033[1m' RESET=$'\033[0m'
else
  BOLD="" RESET=""
fi
step() { printf '\n%s==> %s%s\n' "$BOLD" "$1" "$RESET"; }
say() { printf '    %s\n' "$@"; }

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rootguard-demo.XXXXXX")
# shellcheck source=tests/emulator/emulator.sh
source "$(dirname "${BASH_SOURCE[0]}")/emulator.sh"

trap 'emulator_cleanup "$WORK" "; Ansible'"'"'s output is in $REPORTS/demo-*.log"' EXIT

emulator_isolate "$WORK"
export ANSIBLE_LOCALHOST_WARNING=false ANSIBLE_INVENTORY_UNPARSED_WARNING=false ANSIBLE_HOME="$WORK/ansible"
mkdir -p "$REPORTS"
chmod 0700 "$REPORTS"
rm -rf "$REPORTS"/root-credentials-*.{json,csv,html} "$REPORTS"/harden-summary.txt "$REPORTS"/demo-*.log "$REPORTS"/plan "$REPORTS"/recheck "$REPORTS"/runs

printf '%sHardening an AWS organization with rootguard.aws%s\n' "$BOLD" "$RESET"
say "Local AWS emulator: an organization of $MEMBER_ACCOUNTS member accounts in nested OUs (seed 'mixed':" \
    "clean, partial and full root credentials, a suspended account); centralized root access is off."
emulator_start "$WORK" "$MEMBER_ACCOUNTS" mixed
say "ready at $AWS_ENDPOINT_URL (pid $EMULATOR_PID)"
say "Guardrails as landing zones set them (SCPs on; the runs below pass rootguard_fail_on_blocked=false, without which they fail listing what was blocked):"
python "$(dirname "${BASH_SOURCE[0]}")/demo_guardrails.py" "$WORK/truth.json" | sed 's/^/      /'

# run NAME REPORT_DIR ARGS...: ansible-playbook into reports/demo-NAME.log; print the summary it writes.
run() {
  local name=$1 dir=$2 log="$REPORTS/demo-$1.log"
  shift 2
  rm -f "$dir/harden-summary.txt"
  say "\$ ansible-playbook $PLAYBOOK $*"
  if ! ansible-playbook "$PLAYBOOK" -e "rootguard_report_dir=$dir" "$@" >"$log" 2>&1; then
    echo "demo: ansible-playbook failed; the end of $log:" >&2
    tail -n 30 "$log" >&2
    return 1
  fi
  # The plan shows the guardrails in full; the later runs leave out what the plan already said.
  grep -vE "${SUMMARY_OMIT:-^$}" "$dir/harden-summary.txt" | sed 's/^/    | /'
  SUMMARY_OMIT=""
  say "$(grep -E '^localhost +:' "$log" | sed -E 's/ +/ /g')"
}

step "1. The plan (check mode: no write call)"
run plan "$REPORTS/plan" --check -e rootguard_fail_on_blocked=false

step "2. Harden, confirmed"
SUMMARY_OMIT='^(Guardrails:|  IAM[A-Za-z]+: allowed|Blocked:|  Remedy:)'
run harden "$REPORTS" -e rootguard_confirm=true -e rootguard_max_changed_accounts="$MEMBER_ACCOUNTS" -e rootguard_fail_on_blocked=false

step "3. Again, in check mode: nothing left to change"
SUMMARY_OMIT='^(Guardrails:|  IAM[A-Za-z]+: allowed|Blocked:|  Remedy:|Stopped by the guardrails|  [0-9]{12} - )'
run recheck "$REPORTS/recheck" --check -e rootguard_confirm=true -e rootguard_fail_on_blocked=false

step "Reports"
for report in "$REPORTS"/root-credentials-*.{html,csv,json}; do
  say "$report"
done
say "Open root-credentials-after.html in a browser. The plan and the re-check wrote theirs under plan/ and recheck/;" \
    "Ansible's own output is in demo-plan.log, demo-harden.log and demo-recheck.log."
