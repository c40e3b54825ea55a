"""The baseline every comparison starts from: the bash loop of the practitioner article
(seeds/001) that deletes each member account's root login profile with the AWS CLI."""

from __future__ import annotations

# The bash loop of the practitioner article, verbatim (its listing's line
# numbers removed). The backslash-newline is Python's, to keep lines <= 160
# characters: it is not part of the string, and the checksum below proves the
# text is the article's.
BASELINE_LOOP = """#!/bin/bash

# Backup original credentials if they were set via variables
export BACKUP_AWS_ACCESS_KEY_ID=$AWS_ACCESS_KEY_ID
export BACKUP_AWS_SECRET_ACCESS_KEY=$AWS_SECRET_ACCESS_KEY
export BACKUP_AWS_SESSION_TOKEN=$AWS_SESSION_TOKEN

MANAGEMENT_ACCOUNT_ID=$(aws sts get-caller-identity | jq -r '.Account')

# Get all account IDs except management account
AWS_ACCOUNT_IDS=($(aws organizations list-accounts | jq -r '.Accounts[].Id | select(. != $MANAGEMENT_ACCOUNT_ID)' \
--arg MANAGEMENT_ACCOUNT_ID $MANAGEMENT_ACCOUNT_ID))

for AWS_ACCOUNT_ID in "${AWS_ACCOUNT_IDS[@]}"
do
 CREDENTIALS=$(aws sts assume-root --target-principal ${AWS_ACCOUNT_ID} --task-policy-arn arn=arn:aws:iam::aws:policy/root-task/IAMDeleteRootUserCredentials)
 # Set credentials for a specific account
 export AWS_ACCESS_KEY_ID=$(echo $CREDENTIALS | jq -r '.Credentials.AccessKeyId')
 export AWS_SECRET_ACCESS_KEY=$(echo $CREDENTIALS | jq -r '.Credentials.SecretAccessKey')
 export AWS_SESSION_TOKEN=$(echo $CREDENTIALS | jq -r '.Credentials.SessionToken')
 # This will delete root credentials for the account
 aws iam delete-login-profile
 # Restore backed-up values
 export AWS_ACCESS_KEY_ID=$BACKUP_AWS_ACCESS_KEY_ID
 export AWS_SECRET_ACCESS_KEY=$BACKUP_AWS_SECRET_ACCESS_KEY
 export AWS_SESSION_TOKEN=$BACKUP_AWS_SESSION_TOKEN
done

"""
BASELINE_LOOP_SHA256 = "5db6d47a24e0f13fc3175ac1a02d47f28c75d1abff603bc4b1f71ad234df71b1"
