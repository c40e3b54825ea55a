#!/usr/bin/env bash
# `make demo-cli`: the AWS CLI walkthrough of centralized root access, against the
# local AWS emulator (moto + AWS Organizations centralized root access).
#
# It follows the AWS launch post and the practitioner article the project
# started from: enable IAM trusted access and the two organization features,
# take a task-scoped root session in one member account, audit and delete its
# root password, and unlock a bucket policy that denies everyone.
#
# Run by the Makefile from the repository root, with the virtualenv's bin on
# PATH (python with the emulator package, aws).  Needs jq.  Nothing here
# talks to AWS: every call goes to the emulator on 127.0.0.1 with test
# credentials.  Root session secrets stay in shell variables and are handed to
# one command at a time; they are never printed nor exported.

set -euo pipefail

MEMBER_ACCOUNTS=12
TASK_POLICY_PREFIX="arn:aws:iam::aws:policy/root-task"

for tool in python aws jq; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "demo: '$tool' is not on PATH (run it with 'make demo-cli', which puts the virtualenv first)" >&2
    exit 1
  fi
done

if [[ -t 1 ]]; then
  BOLD=$'\033[1m' DIM=$'\033[2m' RESET=$'\033[0m'
else
  BOLD="" DIM="" RESET=""
fi

STEP=0
step() { STEP=$((STEP + 1)); printf '\n%s==> Step %d: %s%s\n' "$BOLD" "$STEP" "$1" "$RESET"; }
say() { printf '    %s\n' "$@"; }
# The command a step runs, as you would type it (root credentials are passed
# as a prefix and are not shown).
show() { printf '    %s$ %s%s\n' "$DIM" "$*" "$RESET"; }
result() { printf '    -> %s\n' "$@"; }

# ---------------------------------------------------------------------------
# The emulator

WORK=$(mktemp -d "${TMPDIR:-/tmp}/rootguard-demo.XXXXXX")
# shellcheck source=tests/emulator/emulator.sh
source "$(dirname "${BASH_SOURCE[0]}")/emulator.sh"

trap 'emulator_cleanup "$WORK" ""' EXIT

emulator_isolate "$WORK"
TRUTH="$WORK/truth.json"

printf '%sCentralized root access, end to end, with the AWS CLI%s\n' "$BOLD" "$RESET"
say "Starting the local AWS emulator: an organization with $MEMBER_ACCOUNTS member accounts" \
    "(seed 'mixed': clean, partial and full root credentials, a suspended account, locked buckets and queues)."
emulator_start "$WORK" "$MEMBER_ACCOUNTS" mixed
result "emulator ready at $AWS_ENDPOINT_URL (pid $EMULATOR_PID); management account $(jq -r .management_account_id "$TRUTH")"

# ---------------------------------------------------------------------------
# Root sessions: the secrets live in these variables only.

ROOT_KEY="" ROOT_SECRET="" ROOT_TOKEN="" ROOT_EXPIRES=""

# assume_root ACCOUNT TASK: take a root session; sets ROOT_* (nothing printed).
assume_root() {
  local json
  json=$(aws sts assume-root --target-principal "$1" --task-policy-arn "arn=$TASK_POLICY_PREFIX/$2")
  { read -r ROOT_KEY; read -r ROOT_SECRET; read -r ROOT_TOKEN; read -r ROOT_EXPIRES; } < <(
    printf '%s' "$json" | jq -r '.Credentials | .AccessKeyId, .SecretAccessKey, .SessionToken, .Expiration')
  if [[ -z "$ROOT_KEY" || -z "$ROOT_SECRET" || -z "$ROOT_TOKEN" ]]; then
    echo "demo: AssumeRoot into $1 returned no credentials" >&2
    return 1
  fi
}

# as_root COMMAND...: run one command with the current root session.
as_root() {
  AWS_ACCESS_KEY_ID="$ROOT_KEY" AWS_SECRET_ACCESS_KEY="$ROOT_SECRET" AWS_SESSION_TOKEN="$ROOT_TOKEN" "$@"
}

# audit_root ACCOUNT: count the root user's credentials with the current session.
audit_root() {
  local keys mfa certs password
  keys=$(as_root aws iam list-access-keys | jq '.AccessKeyMetadata | length')
  mfa=$(as_root aws iam list-mfa-devices | jq '.MFADevices | length')
  certs=$(as_root aws iam list-signing-certificates | jq '.Certificates | length')
  if as_root aws iam get-login-profile >"$WORK/login-profile.json" 2>"$WORK/login-profile.err"; then
    password="yes (created $(jq -r .LoginProfile.CreateDate "$WORK/login-profile.json"))"
  elif grep -q NoSuchEntity "$WORK/login-profile.err"; then
    password="none"
  else
    cat "$WORK/login-profile.err" >&2
    return 1
  fi
  result "root user of $1: console password: $password" \
         "access keys: $keys, MFA devices: $mfa, signing certificates: $certs"
}

# ---------------------------------------------------------------------------

step "List the organization's accounts"
say "Centralized root access works on member accounts of an AWS Organization, from the management account."
show aws organizations list-accounts
accounts_json=$(aws organizations list-accounts)
printf '%s' "$accounts_json" | jq -r '.Accounts[] | "       \(.Id)  \(.Status | . + " " * (9 - length))  \(.Name)"'
result "$(printf '%s' "$accounts_json" | jq -r '"\(.Accounts | length) accounts: " +
  ([.Accounts | group_by(.Status)[] | "\(length) \(.[0].Status)"] | join(", "))')"

step "Enable trusted access for IAM in AWS Organizations"
say "IAM can only manage member accounts' root users once the organization trusts iam.amazonaws.com."
show aws organizations enable-aws-service-access --service-principal iam.amazonaws.com
aws organizations enable-aws-service-access --service-principal iam.amazonaws.com
show aws organizations list-aws-service-access-for-organization
result "trusted services: $(aws organizations list-aws-service-access-for-organization |
  jq -r '[.EnabledServicePrincipals[].ServicePrincipal] | join(", ")')"

step "Enable root credentials management and root sessions"
say "RootCredentialsManagement allows the IAM* root tasks (audit, delete, recreate a password);" \
    "RootSessions allows the S3 and SQS unlock tasks. Neither changes any account by itself."
show aws iam enable-organizations-root-credentials-management
result "enabled: $(aws iam enable-organizations-root-credentials-management | jq -r '.EnabledFeatures | join(", ")')"
show aws iam enable-organizations-root-sessions
result "enabled: $(aws iam enable-organizations-root-sessions | jq -r '.EnabledFeatures | join(", ")')"

step "Check the organization's features"
say "What an audit (or a playbook in check mode) reads before changing anything."
show aws iam list-organizations-features
result "$(aws iam list-organizations-features | jq -r '"\(.OrganizationId): \(.EnabledFeatures | join(", "))"')"

# A member with a full set of root credentials, and one with a locked bucket.
MEMBER=$(jq -r '[.accounts[] | select(.state == "ACTIVE" and .root_user.password and (.root_user.access_keys | length) > 0)][0].id' "$TRUTH")
BUCKET_OWNER=$(jq -r '[.accounts[] | select(.state == "ACTIVE") | select(any(.buckets[]; .locked))][0].id' "$TRUTH")
BUCKET=$(jq -r --arg owner "$BUCKET_OWNER" '.accounts[] | select(.id == $owner) | [.buckets[] | select(.locked)][0].name' "$TRUTH")

step "Take a read-only root session in member $MEMBER"
say "AssumeRoot gives short-lived root credentials (at most 15 minutes) scoped by one of five task policies;" \
    "IAMAuditRootUserCredentials can only read the root user's credentials."
show aws sts assume-root --target-principal "$MEMBER" --task-policy-arn "arn=$TASK_POLICY_PREFIX/IAMAuditRootUserCredentials"
assume_root "$MEMBER" IAMAuditRootUserCredentials
show "aws sts get-caller-identity    # with the session's credentials"
result "acting as $(as_root aws sts get-caller-identity | jq -r .Arn)" "session expires at $ROOT_EXPIRES"

step "Audit the root user's credentials in $MEMBER"
say "Each long-term root credential (password, access keys, MFA, signing certificates) is an attack surface."
show "aws iam list-access-keys; aws iam list-mfa-devices; aws iam get-login-profile; aws iam list-signing-certificates"
audit_root "$MEMBER"

step "Delete the root password of $MEMBER"
say "A separate session with IAMDeleteRootUserCredentials: the audit session is not allowed to delete anything."
show aws sts assume-root --target-principal "$MEMBER" --task-policy-arn "arn=$TASK_POLICY_PREFIX/IAMDeleteRootUserCredentials"
AUDIT_KEY=$ROOT_KEY AUDIT_SECRET=$ROOT_SECRET AUDIT_TOKEN=$ROOT_TOKEN
assume_root "$MEMBER" IAMDeleteRootUserCredentials
show aws iam delete-login-profile
as_root aws iam delete-login-profile
result "login profile deleted"
say "Re-auditing with the read-only session:"
ROOT_KEY=$AUDIT_KEY ROOT_SECRET=$AUDIT_SECRET ROOT_TOKEN=$AUDIT_TOKEN
unset AUDIT_KEY AUDIT_SECRET AUDIT_TOKEN
audit_root "$MEMBER"
say "The access keys, MFA devices and signing certificates are still there: the playbooks remove them too."

step "Unlock the S3 bucket policy of $BUCKET (account $BUCKET_OWNER)"
say "The bucket's policy denies every principal, so even the account's administrators are locked out;" \
    "only the member's root user can read or remove it. First, with the management account's credentials:"
show aws s3api get-bucket-policy --bucket "$BUCKET"
if aws s3api get-bucket-policy --bucket "$BUCKET" >/dev/null 2>"$WORK/s3.err"; then
  echo "demo: expected AccessDenied reading the locked bucket policy" >&2
  exit 1
fi
result "refused: $(sed -n 's/.*(\([A-Za-z.]*\)) when calling the \([A-Za-z]*\) operation: \(.*\)/\2: \1 (\3)/p' "$WORK/s3.err" | head -n 1)"
say "Now as root of $BUCKET_OWNER, with S3UnlockBucketPolicy; the policy is backed up before it is deleted."
show aws sts assume-root --target-principal "$BUCKET_OWNER" --task-policy-arn "arn=$TASK_POLICY_PREFIX/S3UnlockBucketPolicy"
assume_root "$BUCKET_OWNER" S3UnlockBucketPolicy
show aws s3api get-bucket-policy --bucket "$BUCKET"
BACKUP="$WORK/$BUCKET.policy.json"
as_root aws s3api get-bucket-policy --bucket "$BUCKET" | jq '.Policy | fromjson' >"$BACKUP"
result "backed up to $BACKUP (removed with the demo's temp dir on exit):"
while IFS= read -r line; do say "     $line"; done < <(
  jq -r '.Statement[] | "\(.Sid // "-"): \(.Effect) \(.Action) for principal \(.Principal | tostring) on \(.Resource | tostring)"' "$BACKUP")
show aws s3api delete-bucket-policy --bucket "$BUCKET"
as_root aws s3api delete-bucket-policy --bucket "$BUCKET"
if as_root aws s3api get-bucket-policy --bucket "$BUCKET" >/dev/null 2>"$WORK/s3.err"; then
  echo "demo: the bucket policy of $BUCKET is still there" >&2
  exit 1
fi
grep -q NoSuchBucketPolicy "$WORK/s3.err"
result "policy deleted: get-bucket-policy now answers NoSuchBucketPolicy; the owner can put a correct policy back"
ROOT_KEY="" ROOT_SECRET="" ROOT_TOKEN="" ROOT_EXPIRES=""

# ---------------------------------------------------------------------------

step "Summary"
left=$(jq '[.accounts[] | select(.state == "ACTIVE" and .root_user.has_credentials)] | length' "$TRUTH")
suspended=$(jq '[.accounts[] | select(.state != "ACTIVE")] | length' "$TRUTH")
locked=$(jq '[.accounts[] | select(.state == "ACTIVE") | (.buckets + .queues)[] | select(.locked)] | length' "$TRUTH")
result "IAM trusted access, RootCredentialsManagement and RootSessions are enabled" \
       "member $MEMBER: root password deleted (audited before and after)" \
       "bucket $BUCKET: deny-everyone policy backed up and removed"
say "Still to do in this organization: $((left - 1)) other active members with root credentials and" \
    "$((locked - 1)) more locked bucket or queue policies; $suspended suspended account(s) AssumeRoot refuses."
say "The collection's playbooks will do this org-wide and idempotently, in check mode first:" \
    "they report what they would change, then change only what is not already compliant."
