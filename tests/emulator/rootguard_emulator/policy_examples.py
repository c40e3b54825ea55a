"""Published SCPs and RCPs that stand between root sessions and their tasks, reproduced as test data.

Each document is reproduced as its authors wrote it (placeholders included), with its source as repository @ commit :
path (or, for AWS Control Tower, the page of the Controls Reference). ``fill`` replaces the placeholders as a landing
zone would before attaching the policy; ``LANDING_ZONE`` holds the values these tests use. The tests never read the
original files: a clone of the collection does not have them.
"""

from __future__ import annotations

import copy
import json
from typing import Any

# Values a landing zone would give the placeholders. LZA renders ${PARTITION}, ${ACCELERATOR_PREFIX},
# ${MANAGEMENT_ACCOUNT_ACCESS_ROLE}, ${ACCELERATOR_SSM_PREFIX} and ${HOME_REGION} before it creates the SCPs (they
# look like policy variables but AWS never sees them); the aws-samples brackets are the authors' placeholders, and
# their ${Account} stands for the account of the privileged role, "*" in an organization-wide policy.
LANDING_ZONE = {
    "${PARTITION}": "aws",
    "${ACCELERATOR_PREFIX}": "AWSAccelerator",
    "${MANAGEMENT_ACCOUNT_ACCESS_ROLE}": "AWSControlTowerExecution",
    "${ACCELERATOR_SSM_PREFIX}": "/accelerator",
    "${HOME_REGION}": "ca-central-1",
    "${Account}": "*",
    "[PRIVILEGED_ROLE]": "OrgPrivilegedAdmin",
    "[BUCKET_TO_PROTECT]": "protected-bucket",
}


def fill(document: dict[str, Any], values: dict[str, str] | None = None) -> dict[str, Any]:
    """A copy of a policy document with every placeholder of ``values`` (default ``LANDING_ZONE``) replaced."""
    text = json.dumps(document)
    for placeholder, value in (values or LANDING_ZONE).items():
        text = text.replace(placeholder, value)
    return json.loads(text)


def control_tower_restrict_root_user(exempted_principal_arns: list[str] | None = None, exempt_assume_root: bool = False) -> dict[str, Any]:
    """AWS-GR_RESTRICT_ROOT_USER rendered from its template (AWS Control Tower Controls Reference, strongly
    recommended controls; the parameters ``ExemptedPrincipalArns`` and ``ExemptAssumeRoot``, the latter since
    March 2025). Without parameters it is ``CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT``."""
    document = copy.deepcopy(CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT)
    condition = document["Statement"][0]["Condition"]
    if exempted_principal_arns:
        condition["ArnNotLike"] = {"aws:PrincipalArn": list(exempted_principal_arns)}
    if exempt_assume_root:
        condition["Null"] = {"aws:AssumedRoot": "true"}
    return document


# The AWS managed defaults attached to every target (Organizations User Guide, "SCP evaluation" and "RCP evaluation").
FULL_AWS_ACCESS: dict[str, Any] = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
RCP_FULL_AWS_ACCESS: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}


# Source: aws-samples/service-control-policy-examples @ 35a50b0 :
#   Privileged-access-controls/Prevent-root-credentials-management-in-member-accounts-in-AWS-Organizations.json
SCP_PREVENT_ROOT_CREDENTIALS_MANAGEMENT: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "aws:PrincipalArn": [
                        "arn:aws:iam::*:root"
                    ]
                },
                "Null": {
                    "aws:AssumedRoot": "true"
                }
            }
        }
    ]
}


# Source: AWS Control Tower Controls Reference, strongly recommended controls, AWS-GR_RESTRICT_ROOT_USER: the template rendered without parameters
CONTROL_TOWER_RESTRICT_ROOT_USER_DEFAULT: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "GRRESTRICTROOTUSER",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "aws:PrincipalArn": [
                        "arn:*:iam::*:root"
                    ]
                }
            }
        }
    ]
}


# Source: AWS Control Tower Controls Reference, strongly recommended controls, AWS-GR_RESTRICT_ROOT_USER: the template rendered with ExemptAssumeRoot
CONTROL_TOWER_RESTRICT_ROOT_USER_EXEMPT_ASSUME_ROOT: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "GRRESTRICTROOTUSER",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "aws:PrincipalArn": [
                        "arn:*:iam::*:root"
                    ]
                },
                "Null": {
                    "aws:AssumedRoot": "true"
                }
            }
        }
    ]
}


# Source: aws/lza-universal-configuration @ 598dc81 : modules/base/default/service-control-policies/lza-core-guardrails-2.json
LZA_UNIVERSAL_CORE_GUARDRAILS_2: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "GRIAMR",
            "Effect": "Deny",
            "NotAction": [
                "iam:GetRole",
                "iam:GetRolePolicy",
                "iam:ListAttachedRolePolicies",
                "iam:ListRolePolicies",
                "iam:ListRoles"
            ],
            "Resource": [
                "arn:${PARTITION}:iam::*:role/${ACCELERATOR_PREFIX}*",
                "arn:${PARTITION}:iam::*:role/cdk-accel*",
                "arn:${PARTITION}:iam::*:role/${MANAGEMENT_ACCOUNT_ACCESS_ROLE}"
            ],
            "Condition": {
                "ArnNotLike": {
                    "aws:PrincipalARN": [
                        "arn:${PARTITION}:iam::*:role/${ACCELERATOR_PREFIX}*",
                        "arn:${PARTITION}:iam::*:role/cdk-accel*",
                        "arn:${PARTITION}:iam::*:role/${MANAGEMENT_ACCOUNT_ACCESS_ROLE}",
                        "arn:${PARTITION}:iam::*:role/AWSServiceRoleForConfig"
                    ]
                }
            }
        },
        {
            "Sid": "GRIAMRT",
            "Effect": "Deny",
            "Action": [
                "iam:AttachRolePolicy",
                "iam:DeleteRole",
                "iam:DeleteRolePolicy",
                "iam:DetachRolePolicy",
                "iam:PutRolePolicy",
                "iam:TagRole",
                "iam:UntagRole",
                "iam:UpdateAssumeRolePolicy",
                "iam:UpdateRole"
            ],
            "Resource": "*",
            "Condition": {
                "StringEquals": {
                    "iam:ResourceTag/Accelerator": "${ACCELERATOR_PREFIX}"
                },
                "ArnNotLike": {
                    "aws:PrincipalARN": [
                        "arn:${PARTITION}:iam::*:role/${ACCELERATOR_PREFIX}*",
                        "arn:${PARTITION}:iam::*:role/cdk-accel*",
                        "arn:${PARTITION}:iam::*:role/${MANAGEMENT_ACCOUNT_ACCESS_ROLE}"
                    ]
                }
            }
        },
        {
            "Sid": "GRCFM",
            "Effect": "Deny",
            "Action": [
                "cloudformation:Delete*"
            ],
            "Resource": "arn:${PARTITION}:cloudformation:*:*:stack/${ACCELERATOR_PREFIX}*",
            "Condition": {
                "ArnNotLike": {
                    "aws:PrincipalARN": [
                        "arn:${PARTITION}:iam::*:role/${ACCELERATOR_PREFIX}*",
                        "arn:${PARTITION}:iam::*:role/${MANAGEMENT_ACCOUNT_ACCESS_ROLE}",
                        "arn:${PARTITION}:iam::*:role/cdk-accel*"
                    ]
                }
            }
        },
        {
            "Sid": "GRSSM",
            "Effect": "Deny",
            "Action": [
                "ssm:DeleteParameter*",
                "ssm:PutParameter"
            ],
            "Resource": "arn:${PARTITION}:ssm:*:*:parameter${ACCELERATOR_SSM_PREFIX}*",
            "Condition": {
                "ArnNotLike": {
                    "aws:PrincipalARN": [
                        "arn:${PARTITION}:iam::*:role/${ACCELERATOR_PREFIX}*",
                        "arn:${PARTITION}:iam::*:role/${MANAGEMENT_ACCOUNT_ACCESS_ROLE}",
                        "arn:${PARTITION}:iam::*:role/cdk-accel*"
                    ]
                }
            }
        },
        {
            "Sid": "GRS3",
            "Effect": "Deny",
            "Action": [
                "s3:Delete*",
                "s3:PutBucketLogging",
                "s3:PutBucketPolicy",
                "s3:PutBucketVersioning",
                "s3:PutEncryptionConfiguration",
                "s3:PutLifecycleConfiguration",
                "s3:PutObjectRetention",
                "s3:PutObjectTagging",
                "s3:PutReplicationConfiguration",
                "s3:ReplicateDelete"
            ],
            "Resource": [
                "arn:${PARTITION}:s3:::aws-accelerator*",
                "arn:${PARTITION}:s3:::cdk-accel*"
            ],
            "Condition": {
                "ArnNotLike": {
                    "aws:PrincipalARN": [
                        "arn:${PARTITION}:iam::*:role/${ACCELERATOR_PREFIX}*",
                        "arn:${PARTITION}:iam::*:role/${MANAGEMENT_ACCOUNT_ACCESS_ROLE}",
                        "arn:${PARTITION}:iam::*:role/cdk-accel*"
                    ]
                }
            }
        },
        {
            "Sid": "GRRU",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "aws:PrincipalArn": [
                        "arn:${PARTITION}:iam::*:root"
                    ]
                },
                "Null": {
                    "aws:AssumedRoot": "true"
                }
            }
        },
        {
            "Sid": "GRSEC",
            "Effect": "Deny",
            "Action": [
                "access-analyzer:DeleteAnalyzer",
                "account:DisableRegion",
                "account:EnableRegion",
                "ec2:CreateDefaultVpc",
                "ec2:DisableEbsEncryptionByDefault",
                "ec2:ModifyEbsDefaultKmsKeyId",
                "guardduty:AcceptInvitation",
                "guardduty:CreateMembers",
                "guardduty:DeclineInvitations",
                "guardduty:Delete*",
                "guardduty:Disassociate*",
                "guardduty:DisableOrganizationAdminAccount",
                "guardduty:InviteMembers",
                "guardduty:StopMonitoringMembers",
                "guardduty:UpdateDetector",
                "guardduty:UpdateFindingsFeedback",
                "guardduty:UpdateOrganizationConfiguration",
                "guardduty:UpdatePublishingDestination",
                "iam:CreateAccountAlias",
                "iam:CreateUser",
                "iam:DeleteAccount*",
                "iam:UpdateAccountPasswordPolicy",
                "macie2:AcceptInvitation",
                "macie2:CreateInvitations",
                "macie2:CreateMember",
                "macie2:DeclineInvitations",
                "macie2:DeleteInvitations",
                "macie2:DeleteMember",
                "macie2:DisableMacie",
                "macie2:DisableOrganizationAdminAccount",
                "macie2:Disassociate*",
                "macie2:Enable*",
                "macie2:UpdateMacieSession",
                "macie2:UpdateMemberSession",
                "macie2:UpdateOrganizationConfiguration",
                "organizations:LeaveOrganization*",
                "ram:AssociateResourceShare",
                "ram:CreateResourceShare",
                "ram:Delete*",
                "ram:Disassociate*",
                "ram:UntagResource",
                "ram:UpdateResourceShare",
                "s3:PutAccountPublicAccessBlock",
                "securityhub:AcceptInvitation",
                "securityhub:BatchDisableStandards",
                "securityhub:CreateMembers",
                "securityhub:DeclineInvitations",
                "securityhub:DeleteActionTarget",
                "securityhub:DeleteInsight",
                "securityhub:DeleteInvitations",
                "securityhub:DeleteMembers",
                "securityhub:Disassociate*",
                "securityhub:Disable*",
                "securityhub:InviteMembers",
                "securityhub:UpdateSecurityHubConfiguration",
                "securityhub:UpdateStandardsControl"
            ],
            "Resource": "*",
            "Condition": {
                "ArnNotLike": {
                    "aws:PrincipalARN": [
                        "arn:${PARTITION}:iam::*:role/${ACCELERATOR_PREFIX}*",
                        "arn:${PARTITION}:iam::*:role/${MANAGEMENT_ACCOUNT_ACCESS_ROLE}",
                        "arn:${PARTITION}:iam::*:role/cdk-accel*"
                    ]
                }
            }
        }
    ]
}


# Source: aws-samples/landing-zone-accelerator-on-aws-for-cccs-medium @ 46c88b8 : config/service-control-policies/LZA-Guardrails-Unclass.json
LZA_CCCS_MEDIUM_GUARDRAILS_UNCLASS: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Sid": "PMP",
            "Effect": "Deny",
            "Action": [
                "aws-marketplace:As*",
                "aws-marketplace:CreateP*",
                "aws-marketplace:DescribePri*",
                "aws-marketplace:Di*",
                "aws-marketplace:ListP*",
                "aws-marketplace:Start*"
            ],
            "Resource": "*"
        },
        {
            "Sid": "ROOT",
            "Effect": "Deny",
            "Action": "*",
            "Resource": "*",
            "Condition": {
                "ArnLike": {
                    "aws:PrincipalArn": [
                        "arn:${PARTITION}:iam::*:root"
                    ]
                },
                "Null": {
                    "aws:AssumedRoot": "true"
                }
            }
        },
        {
            "Sid": "EBS1",
            "Effect": "Deny",
            "Action": "ec2:RunInstances",
            "Resource": "arn:${PARTITION}:ec2:*:*:volume/*",
            "Condition": {
                "Bool": {
                    "ec2:Encrypted": "false"
                }
            }
        },
        {
            "Sid": "EBS2",
            "Effect": "Deny",
            "Action": "ec2:CreateVolume",
            "Resource": "*",
            "Condition": {
                "Bool": {
                    "ec2:Encrypted": "false"
                }
            }
        },
        {
            "Sid": "EFS",
            "Effect": "Deny",
            "Action": "elasticfilesystem:CreateFileSystem",
            "Resource": "*",
            "Condition": {
                "Bool": {
                    "elasticfilesystem:Encrypted": "false"
                }
            }
        },
        {
            "Sid": "RDS",
            "Effect": "Deny",
            "Action": "rds:CreateDBInstance",
            "Resource": "arn:${PARTITION}:rds:*:*:db:*",
            "Condition": {
                "StringNotLike": {
                    "rds:DatabaseEngine": [
                        "aurora*",
                        "docdb*",
                        "neptune"
                    ]
                },
                "Bool": {
                    "rds:StorageEncrypted": "false"
                }
            }
        },
        {
            "Sid": "AUR",
            "Effect": "Deny",
            "Action": "rds:CreateDBCluster",
            "Resource": "*",
            "Condition": {
                "StringLike": {
                    "rds:DatabaseEngine": [
                        "aurora*",
                        "docdb*",
                        "neptune"
                    ]
                },
                "Bool": {
                    "rds:StorageEncrypted": "false"
                }
            }
        },
        {
            "Sid": "OTHS",
            "Effect": "Deny",
            "Action": [
                "organizations:LeaveOrg*",
                "organizations:CloseAccount",
                "ds:AcceptSharedDir*",
                "ds:ShareDir*",
                "ds:EnableSso",
                "ds:DisableSso",
                "ram:AcceptResourceShareInv*",
                "ram:AssociateResourceShare",
                "ram:CreateResourceShare",
                "ram:EnableSharingWithAwsOrg*",
                "lightsail:*",
                "gamelift:*",
                "appflow:*",
                "iq:*",
                "account:P*",
                "account:GetAl*",
                "account:GetC*",
                "account:GetR*",
                "account:C*",
                "account:D*",
                "account:E*",
                "account:L*"
            ],
            "Resource": "*",
            "Condition": {
                "ArnNotLike": {
                    "aws:PrincipalARN": [
                        "arn:${PARTITION}:iam::*:role/${ACCELERATOR_PREFIX}*",
                        "arn:${PARTITION}:iam::*:role/${MANAGEMENT_ACCOUNT_ACCESS_ROLE}"
                    ]
                }
            }
        },
        {
            "Sid": "NET2",
            "Effect": "Deny",
            "Action": [
                "ec2:AcceptVpc*",
                "ec2:AcceptTransitGateway*",
                "ec2:AssociateClientVpn*",
                "ec2:AuthorizeClientVpn*",
                "ec2:AttachInternetGateway",
                "ec2:AttachVpnGateway",
                "ec2:CreateCarrierGateway",
                "ec2:CreateClientVpn*",
                "ec2:CreateCustomerGateway",
                "ec2:CreateEgressOnlyInternetGateway",
                "ec2:CreateInternetGateway",
                "ec2:CreateNatGateway",
                "ec2:CreateTransitGateway*",
                "ec2:CreateVpc",
                "ec2:CreateVpcEndpoint",
                "ec2:CreateVpcPeeringConnection",
                "ec2:CreateVpn*",
                "ec2:DeleteClientVpn*",
                "ec2:DeleteNetworkAcl*",
                "ec2:AllocateAddress",
                "ec2:AssociateAddress",
                "ec2:ModifyClientVpn*",
                "ec2:ModifyImageAttribute",
                "ec2:ModifySnapshotAttribute",
                "ec2:ModifyVpn*",
                "ec2:RevokeClientVpn*",
                "rds:ModifyDBSnapshotAttribute",
                "rds:ModifyDBClusterSnapshotAttribute",
                "elasticmapreduce:PutBlockPublic*",
                "globalaccelerator:Create*",
                "globalaccelerator:Update*",
                "kms:ScheduleKeyDeletion",
                "kms:Delete*",
                "iam:CreateGroup",
                "iam:CreateUser",
                "iam:CreateAccessKey",
                "iam:DeleteUser",
                "iam:UpdateUser",
                "iam:DeleteGroup",
                "iam:UpdateGroup",
                "iam:DeleteRolePermissionsBoundary",
                "iam:AddUserToGroup",
                "iam:TagUser",
                "networkmanager:Create*",
                "networkmanager:Update*",
                "networkmanager:Associate*",
                "networkmanager:Disassociate*",
                "networkmanager:Register*",
                "networkmanager:Deregister*"
            ],
            "Resource": "*",
            "Condition": {
                "ArnNotLike": {
                    "aws:PrincipalArn": [
                        "arn:${PARTITION}:iam::*:role/${ACCELERATOR_PREFIX}*"
                    ]
                }
            }
        },
        {
            "Sid": "GBL1",
            "Effect": "Deny",
            "NotAction": [
                "a4b:*",
                "access-analyzer:*",
                "aws-marketplace-management:*",
                "aws-marketplace:*",
                "budgets:*",
                "ce:*",
                "chime:*",
                "cloudfront:*",
                "cloudwatch:GetMetricData",
                "config:*",
                "cur:*",
                "directconnect:*",
                "ec2:DescribeRegions",
                "ec2:DescribeTransitGateways",
                "ec2:DescribeVpnGateways",
                "fms:*",
                "globalaccelerator:*",
                "guardduty:*",
                "health:*",
                "iam:*",
                "networkmanager:*",
                "organizations:*",
                "pricing:*",
                "pricingplanmanager:*",
                "route53:*",
                "route53domains:*",
                "s3:GetAccountPublic*",
                "s3:GetBucketLocation",
                "s3:ListAllMyBuckets",
                "shield:*",
                "sts:*",
                "support:*",
                "trustedadvisor:*",
                "waf-regional:*",
                "waf:*",
                "wafv2:*",
                "route53-recovery-readiness:*",
                "route53-recovery-control-config:*",
                "s3:GetStorageLens*",
                "s3:ListStorageLens*",
                "s3:CreateMultiR*",
                "s3:DeleteMultiR*",
                "s3:DescribeMultiR*",
                "s3:GetMultiR*",
                "s3:ListMultiR*",
                "s3:PutMultiR*",
                "tag:GetResources",
                "sso:DescribeRegisteredRegions",
                "billing:*",
                "freetier:*",
                "account:*",
                "invoicing:*",
                "payments:GetPaymentStatus",
                "payments:ListPaymentPreferences",
                "tax:ListTaxRegistrations",
                "sustainability:*",
                "quicksight:DescribeAccountSubscription",
                "bedrock:*",
                "sagemaker:L*",
                "uxc:*"
            ],
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {
                    "aws:RequestedRegion": [
                        "${HOME_REGION}",
                        "us-east-1",
                        "us-east-2",
                        "us-west-1",
                        "us-west-2"
                    ]
                },
                "ArnNotLike": {
                    "aws:PrincipalARN": [
                        "arn:${PARTITION}:iam::*:role/${ACCELERATOR_PREFIX}*",
                        "arn:${PARTITION}:iam::*:role/${MANAGEMENT_ACCOUNT_ACCESS_ROLE}"
                    ]
                }
            }
        }
    ]
}


# Source: aws-samples/service-control-policy-examples @ 35a50b0 : Region-controls/Deny-access-to-AWS-based-on-the-requested-AWS-region.json
SCP_DENY_BY_REQUESTED_REGION: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "NotAction": [
                "a4b:*",
                "acm:*",
                "aws-marketplace-management:*",
                "aws-marketplace:*",
                "aws-portal:*",
                "budgets:*",
                "ce:*",
                "chime:*",
                "cloudfront:*",
                "config:*",
                "cur:*",
                "directconnect:*",
                "ec2:DescribeRegions",
                "ec2:DescribeTransitGateways",
                "ec2:DescribeVpnGateways",
                "fms:*",
                "globalaccelerator:*",
                "health:*",
                "iam:*",
                "importexport:*",
                "kms:*",
                "mobileanalytics:*",
                "networkmanager:*",
                "organizations:*",
                "pricing:*",
                "route53:*",
                "route53domains:*",
                "route53-recovery-cluster:*",
                "route53-recovery-control-config:*",
                "route53-recovery-readiness:*",
                "s3:GetAccountPublic*",
                "s3:ListAllMyBuckets",
                "s3:ListMultiRegionAccessPoints",
                "s3:PutAccountPublic*",
                "shield:*",
                "sts:*",
                "support:*",
                "trustedadvisor:*",
                "waf-regional:*",
                "waf:*",
                "wafv2:*",
                "wellarchitected:*"
            ],
            "Resource": "*",
            "Condition": {
                "StringNotEquals": {
                    "aws:RequestedRegion": [
                        "eu-central-1",
                        "eu-west-1"
                    ]
                },
                "ArnNotLike": {
                    "aws:PrincipalARN": "arn:aws:iam::${Account}:role/[PRIVILEGED_ROLE]"
                }
            }
        }
    ]
}


# Source: aws-samples/service-control-policy-examples @ 35a50b0 : Service-specific-controls/Amazon-S3/Deny-users-from-deleting-Amazon-S3-buckets-or-objects.json
SCP_DENY_DELETING_S3_BUCKETS_OR_OBJECTS: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Action": [
                "s3:DeleteBucket",
                "s3:DeleteBucketPolicy",
                "s3:DeleteObject",
                "s3:DeleteObjectVersion",
                "s3:DeleteObjectTagging",
                "s3:DeleteObjectVersionTagging"
            ],
            "Resource": [
                "arn:aws:s3:::[BUCKET_TO_PROTECT]",
                "arn:aws:s3:::[BUCKET_TO_PROTECT]/*"
            ]
        }
    ]
}


# Source: aws-samples/resource-control-policy-examples @ f1aedfa : Service-specific-controls/S3-Deny-users-from-deleting-Amazon-S3-Buckets-or-objects.json
RCP_S3_DENY_DELETING_BUCKETS_OR_OBJECTS: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": [
                "s3:DeleteBucket",
                "s3:DeleteBucketPolicy",
                "s3:DeleteObject",
                "s3:DeleteObjectVersion",
                "s3:DeleteObjectTagging",
                "s3:DeleteObjectVersionTagging"
            ],
            "Resource": [
                "arn:aws:s3:::[BUCKET_TO_PROTECT]",
                "arn:aws:s3:::[BUCKET_TO_PROTECT]/*"
            ]
        }
    ]
}


# Source: aws-samples/resource-control-policy-examples @ f1aedfa :
#   Establish-intra-organization-boundaries/Deny-resource-access-if-the-resource-belongs-to-a-specific-organizational-unit.json
RCP_DENY_RESOURCE_ACCESS_IN_SPECIFIC_OU: dict[str, Any] = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Deny",
            "Principal": "*",
            "Action": [
                "s3:*",
                "sqs:*",
                "kms:*",
                "secretsmanager:*",
                "sts:AssumeRole",
                "sts:DecodeAuthorizationMessage",
                "sts:GetAccessKeyInfo",
                "sts:GetFederationToken",
                "sts:GetServiceBearerToken",
                "sts:GetSessionToken",
                "sts:SetContext",
                "cognito-identity:*",
                "cognito-idp:*",
                "logs:*",
                "dynamodb:*",
                "ecr:*",
                "aoss:*"
            ],
            "Resource": "*",
            "Condition": {
                "BoolIfExists": {
                    "aws:PrincipalIsAWSService": "false"
                },
                "ArnNotLikeIfExists": {
                    "aws:PrincipalARN": "arn:aws:iam::${Account}:role/[PRIVILEGED_ROLE]"
                }
            }
        }
    ]
}
