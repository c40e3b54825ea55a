"""`make demo`'s guardrails, as real organizations carry them: two OUs under the root, each with two
member accounts that have root credentials moved into it; Control Tower's AWS-GR_RESTRICT_ROOT_USER
attached to the first as the control renders without parameters (it denies root users everything,
root sessions included), and to the second with its ExemptAssumeRoot parameter (root sessions let
through).  SCPs are enabled on the root.  Everything goes through the Organizations API of the
emulator started by emulator.sh, as the management account.

    python tests/emulator/demo_guardrails.py TRUTH_FILE

prints one line per OU: its name, id, the policy and the accounts in it."""

from __future__ import annotations

import json
import os
import pathlib
import sys

import boto3

from rootguard_emulator import policy_examples as examples

SCP = "SERVICE_CONTROL_POLICY"
GUARDED_OUS = (
    ("RootDenied", "RestrictRootUser", examples.CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT),
    ("RootSessionsExempt", "RestrictRootUserExemptAssumeRoot", examples.CONTROL_TOWER_RESTRICT_ROOT_USER_EXEMPT_ASSUME_ROOT),
)
ACCOUNTS_PER_OU = 2


def main(truth_file: str) -> None:
    truth = json.loads(pathlib.Path(truth_file).read_text())
    orgs = boto3.client("organizations", endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="us-east-1")
    orgs.enable_policy_type(RootId=truth["root_id"], PolicyType=SCP)
    with_credentials = [account for account in truth["accounts"] if account["state"] == "ACTIVE" and account["credentials"] != "none"]
    for index, (ou_name, policy_name, document) in enumerate(GUARDED_OUS):
        ou_id = orgs.create_organizational_unit(ParentId=truth["root_id"], Name=ou_name)["OrganizationalUnit"]["Id"]
        moved = with_credentials[index * ACCOUNTS_PER_OU:(index + 1) * ACCOUNTS_PER_OU]
        for account in moved:
            orgs.move_account(AccountId=account["id"], SourceParentId=account["parent_id"], DestinationParentId=ou_id)
        policy = orgs.create_policy(Name=policy_name, Description=f"Control Tower's AWS-GR_RESTRICT_ROOT_USER on {ou_name}", Type=SCP,
                                    Content=json.dumps(document))["Policy"]["PolicySummary"]
        orgs.attach_policy(PolicyId=policy["Id"], TargetId=ou_id)
        print(f"/{ou_name}/ ({ou_id}): SCP {policy_name} ({policy['Id']}) on {', '.join(account['id'] for account in moved)}")


if __name__ == "__main__":
    main(*sys.argv[1:])
