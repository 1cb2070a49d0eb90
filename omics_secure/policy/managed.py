"""AWS managed policies whose documents no input carries: the few that CDK attaches itself and the broad ones
a reviewer meets, each written no narrower than AWS publishes it (a service-wide wildcard where the published
list is long), so that reading them never hides a grant. Any other AWS managed policy is read as "allows what
its document allows", a condition the report shows (:func:`unknown_managed_policy`).

Documents: the AWS Managed Policy Reference, https://docs.aws.amazon.com/aws-managed-policy/latest/reference/<name>.html.
"""

from __future__ import annotations

from omics_secure.policy.conditions import Condition
from omics_secure.policy.documents import Policy, Statement

_PAGE = "https://docs.aws.amazon.com/aws-managed-policy/latest/reference/{}.html"
_ACTIONS: dict[str, tuple[str, ...]] = {
    # CDK's custom-resource and Lambda roles.
    "AWSLambdaBasicExecutionRole": ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"),
    "AWSLambdaVPCAccessExecutionRole": ("logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents",
                                        "ec2:*NetworkInterface*", "ec2:Describe*", "ec2:*PrivateIpAddresses"),
    # AWS Batch's EC2 container instances (CDK's aws-batch).
    "AmazonEC2ContainerServiceforEC2Role": ("ec2:Describe*", "ecs:*", "ecr:*", "logs:*"),
    "AmazonSSMManagedInstanceCore": ("ssm:*", "ssmmessages:*", "ec2messages:*"),
    # Broad policies (compliance/rules/omics.py reports them on HealthOmics run roles).
    "AdministratorAccess": ("*",),
    "PowerUserAccess": ("*",),
    "ReadOnlyAccess": ("*:Get*", "*:List*", "*:Describe*", "*:Search*", "*:Read*", "*:BatchGet*", "*:Select*"),
    "AmazonS3FullAccess": ("s3:*", "s3-object-lambda:*"),
    "AmazonS3ReadOnlyAccess": ("s3:Get*", "s3:List*", "s3:Describe*", "s3-object-lambda:Get*",
                               "s3-object-lambda:List*"),
    "AmazonOmicsFullAccess": ("omics:*", "s3:*", "kms:*", "iam:PassRole"),
    "AmazonHealthLakeFullAccess": ("healthlake:*", "s3:*", "kms:*", "iam:PassRole"),
    "AWSKeyManagementServicePowerUser": ("kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*",
                                         "kms:Update*", "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*",
                                         "kms:TagResource", "kms:UntagResource", "kms:ScheduleKeyDeletion",
                                         "kms:CancelKeyDeletion"),
}


def aws_managed_policy(arn: str) -> Policy | None:
    """The document of the AWS managed policy ``arn`` (``arn:aws:iam::aws:policy/[path/]Name``), if known here."""
    if ":iam::aws:policy/" not in arn:
        return None
    name = arn.rsplit("/", 1)[-1]
    actions = _ACTIONS.get(name)
    if actions is None:
        return None
    return Policy(arn, (Statement("Allow", f"{arn} ({_PAGE.format(name)})", actions=actions, resources=("*",)),))


def unknown_managed_policy(arn: str) -> Policy:
    """A managed policy whose document is not in the input: it may allow anything, which stays a condition."""
    unknown = Condition("AllowsPerItsDocument", "ManagedPolicy", (arn,))
    return Policy(arn, (Statement("Allow", f"{arn} (document not in the input)", actions=("*",),
                                  resources=("*",), conditions=(unknown,)),))
