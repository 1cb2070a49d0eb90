"""Organization guardrails: service control policies and a tag policy for the accounts that hold PHI.

Every construct here creates ``AWS::Organizations::Policy`` resources
(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-organizations-policy.html).
**Deploy them in the organization's management account** (or an account registered as a delegated
administrator for AWS Organizations policy management): Organizations accepts policy calls from no other
account. Organizations is a global service whose endpoint is in us-east-1, so the stack that holds them
is usually deployed there.

Service control policies never grant permissions; they bound what IAM may grant in the accounts and
organizational units (OUs) they are attached to, and they never restrict the management account itself
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html).

Each policy document is checked at synthesis against the AWS Organizations quota "Maximum size of a policy
document: Service control policy: 5,120 characters; Tag policy: 10,000 characters"
(https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html), counted on the
document without white space outside strings, which is what the console saves; an SDK or CloudFormation
call is counted as sent, so keep a margin.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import aws_cdk as cdk
import jsii
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_organizations as organizations
from aws_cdk import region_info
from constructs import Construct

from omics_secure._internal.acknowledgments import acknowledge_by_design, nag_rendering
from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.grants import add_to_grantee_policy
from omics_secure._internal.props import checked_props
from omics_secure._internal.tags import ACCESS_LOGS, AUDIT_LOGS, DATA_CLASSIFICATION_TAG, PHI

SCP_SIZE_LIMIT = 5_120
TAG_POLICY_SIZE_LIMIT = 10_000
QUOTAS_PAGE = "https://docs.aws.amazon.com/organizations/latest/userguide/orgs_reference_limits.html"

# A policy target: the root, an OU or an account (the TargetId pattern of AttachPolicy,
# https://docs.aws.amazon.com/organizations/latest/APIReference/API_AttachPolicy.html).
_ROOT_ID = re.compile(r"^r-[0-9a-z]{4,32}$")
_OU_ID = re.compile(r"^ou-[0-9a-z]{4,32}-[a-z0-9]{8,32}$")
_ACCOUNT_ID = re.compile(r"^\d{12}$")
# An IAM role ARN as aws:PrincipalArn matches it (ArnNotLike: '*' allowed in the account and the name).
_ROLE_ARN = re.compile(r"^arn:(?P<partition>aws|aws-cn|aws-us-gov):iam::(\d{12}|\*):role/(?P<name>[\w+=,.@/*-]+)$")

# The actions AWS's Region-deny example exempts because their services are global, with endpoints in
# us-east-1 (or answer for every region): "Deny access to AWS based on the requested AWS Region",
# https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html
GLOBAL_SERVICE_ACTIONS: tuple[str, ...] = (
    "a4b:*", "acm:*", "aws-marketplace-management:*", "aws-marketplace:*", "aws-portal:*", "budgets:*",
    "ce:*", "chime:*", "cloudfront:*", "config:*", "cur:*", "directconnect:*", "ec2:DescribeRegions",
    "ec2:DescribeTransitGateways", "ec2:DescribeVpnGateways", "fms:*", "globalaccelerator:*", "health:*",
    "iam:*", "importexport:*", "kms:*", "mobileanalytics:*", "networkmanager:*", "organizations:*",
    "pricing:*", "route53:*", "route53domains:*", "route53-recovery-cluster:*",
    "route53-recovery-control-config:*", "route53-recovery-readiness:*", "s3:GetAccountPublic*",
    "s3:ListAllMyBuckets", "s3:ListMultiRegionAccessPoints", "s3:PutAccountPublic*", "shield:*", "sts:*",
    "support:*", "trustedadvisor:*", "waf-regional:*", "waf:*", "wafv2:*", "wellarchitected:*",
)

# Denied to everyone but the break-glass role: switching the audit record off, or the keys that hold the
# data. cloudtrail:UpdateTrail and PutEventSelectors are in TRAIL_RECONFIGURATION_ACTIONS instead.
PROTECTED_CONTROL_ACTIONS: tuple[str, ...] = (
    "cloudtrail:StopLogging", "cloudtrail:DeleteTrail",
    "config:StopConfigurationRecorder", "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel",
    "kms:DisableKey", "kms:ScheduleKeyDeletion",
    # DeletePublicAccessBlock (account) is authorised as s3:PutAccountPublicAccessBlock too.
    "s3:PutAccountPublicAccessBlock",
)
# Denied to everyone but the break-glass role and the deployment role: CloudFormation calls these when it
# creates or changes a trail (PutEventSelectors sets the S3 data events AuditTrail records), so denying
# them to the deployment role would make every AuditTrail deployment fail.
TRAIL_RECONFIGURATION_ACTIONS: tuple[str, ...] = ("cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors")
# The role CloudFormation uses for `cdk deploy` and CDK Pipelines in an account bootstrapped with the
# default qualifier (https://docs.aws.amazon.com/cdk/v2/guide/bootstrapping-env.html).
CDK_DEPLOYMENT_ROLE_NAME = "cdk-hnb659fds-cfn-exec-role-*"

# The HIPAA-eligible services of AWS's HIPAA Eligible Services Reference
# (https://aws.amazon.com/compliance/hipaa-eligible-services-reference/), by IAM service prefix, as
# transcribed on the date below. Re-read the page before relying on it: AWS adds services to it.
HIPAA_ELIGIBLE_SERVICES_AS_OF = datetime.date(2026, 12, 1)
HIPAA_ELIGIBLE_SERVICES: tuple[str, ...] = (
    "access-analyzer", "acm", "acm-pca", "airflow", "amplify", "apigateway", "appflow", "appmesh", "appstream",
    "appsync", "aps", "athena", "autoscaling", "backup", "batch", "bedrock", "cassandra", "chime",
    "cloudformation", "cloudfront", "cloudhsm", "cloudshell", "cloudtrail", "cloudwatch", "codebuild",
    "codecommit", "codedeploy", "codepipeline", "cognito-identity", "cognito-idp", "comprehend",
    "comprehendmedical", "config", "connect", "databrew", "datasync", "detective", "dms", "ds", "dynamodb",
    "ebs", "ec2", "ecr", "ecs", "eks", "elasticache", "elasticbeanstalk", "elasticfilesystem",
    "elasticloadbalancing", "elasticmapreduce", "emr-containers", "emr-serverless", "es", "events",
    "execute-api", "firehose", "fsx", "glacier", "glue", "grafana", "guardduty", "healthlake", "inspector2",
    "iot", "kafka", "kendra", "kinesis", "kinesisanalytics", "kinesisvideo", "kms", "lakeformation", "lambda",
    "logs", "macie2", "memorydb", "mq", "omics", "polly", "qldb", "quicksight", "rds", "redshift",
    "rekognition", "route53", "route53resolver", "s3", "sagemaker", "scheduler", "secretsmanager",
    "securityhub", "servicecatalog", "ses", "shield", "sns", "sqs", "ssm", "sso", "states", "storagegateway",
    "textract", "timestream", "transcribe", "transfer", "translate", "waf", "wafv2", "workspaces", "xray",
)
# Not services of their own, so not on the list, yet the eligible services above cannot work without them,
# and an allowlist that omits them breaks those services once FullAWSAccess is detached:
# - ssmmessages and ec2messages: Session Manager's and the SSM Agent's channels ("ssmmessages:CreateControlChannel,
#   CreateDataChannel, OpenControlChannel, OpenDataChannel"; "Reference: ec2messages, ssmmessages, and other API
#   operations", https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-setting-up-messageAPIs.html);
#   without them the analysis workstation cannot be reached.
# - backup-storage: "backup-storage:MountCapsule" is required to create a backup vault
#   (https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault.html); without it every stack with a
#   PhiBackupVault rolls back.
SERVICE_CHANNELS: tuple[str, ...] = ("ssmmessages", "ec2messages", "backup-storage")
# Not on the list because they hold no customer content, yet no account can be operated without them:
# identity and federation, the organization, support, billing and quotas, tags and resource groups.
SUPPORTING_SERVICES: tuple[str, ...] = (
    "account", "aws-portal", "billing", "budgets", "ce", "health", "iam", "organizations", "pricing",
    "resource-groups", "servicequotas", "signin", "sts", "support", "tag", "trustedadvisor",
)
DATA_CLASSIFICATION_VALUES: tuple[str, ...] = (PHI, ACCESS_LOGS, AUDIT_LOGS)


def policy_size(content: Mapping[str, Any]) -> int:
    """The characters a policy document counts against its quota: JSON without white space outside strings."""
    return len(json.dumps(content, separators=(",", ":")))


def _check_targets(problems: ProblemCollector, prop: str, target_ids: Sequence[str]) -> None:
    if not target_ids:
        problems.add(prop, list(target_ids), "attach the policy to at least one target: an OU id "
                     "(ou-ab12-cd34ef56), an account id (111122223333) or the root id (r-ab12)")
    for index, target in enumerate(target_ids):
        if is_unresolved(target):
            continue
        if not (_ROOT_ID.match(target) or _OU_ID.match(target) or _ACCOUNT_ID.match(target)):
            problems.add(f"{prop}[{index}]", target, "use an OU id like ou-ab12-cd34ef56, a 12-digit account id "
                         "or the root id like r-ab12 (aws organizations list-roots / list-organizational-units-"
                         "for-parent print them)")
    duplicates = sorted({t for t in target_ids if list(target_ids).count(t) > 1})
    if duplicates:
        problems.add(prop, duplicates, "list each target once")


def _check_role(problems: ProblemCollector, prop: str, role_arn: str) -> None:
    if is_unresolved(role_arn):
        problems.add(prop, role_arn, "pass the role ARN as a literal string: a service control policy is "
                     "evaluated for every account it is attached to, so it cannot refer to one stack's role")
        return
    match = _ROLE_ARN.match(role_arn)
    if match is None:
        problems.add(prop, role_arn, "use an IAM role ARN, e.g. arn:aws:iam::*:role/BreakGlass (any account) or "
                     "arn:aws:iam::111122223333:role/BreakGlass; a user, group or assumed-role ARN is not a role")
    elif not match["name"].replace("/", "").strip("*"):
        problems.add(prop, role_arn, "name one role: a name made only of wildcards exempts every role")


def _partition_of_role(role_arn: str) -> str:
    match = _ROLE_ARN.match(role_arn) if not is_unresolved(role_arn) else None
    return match["partition"] if match else "aws"


def _known_regions() -> frozenset[str]:
    return frozenset(info.name for info in region_info.RegionInfo.regions)


def _check_regions(problems: ProblemCollector, prop: str, regions: Sequence[str]) -> None:
    if not regions:
        problems.add(prop, list(regions), "name at least one region, e.g. ['us-east-1', 'us-west-2']")
    known = _known_regions()
    for index, region in enumerate(regions):
        if region not in known:
            problems.add(f"{prop}[{index}]", region, "use an AWS region name, e.g. us-east-1 or eu-west-2 "
                         "(aws ec2 describe-regions --all-regions lists them)")


# "Before you can create and attach a policy to your organization, you must enable that policy type for use."
ENABLE_POLICY_TYPE_PAGE = "https://docs.aws.amazon.com/organizations/latest/userguide/enable-policy-type.html"
POLICY_TYPES_HANDLER = Path(__file__).parent / "handlers" / "organization_policy_types.py"
POLICY_TYPES_RESOURCE_TYPE = "Custom::OrganizationsPolicyTypes"
# EnablePolicyType's PolicyType values: https://docs.aws.amazon.com/organizations/latest/APIReference/API_EnablePolicyType.html
POLICY_TYPES: tuple[str, ...] = (
    "SERVICE_CONTROL_POLICY", "RESOURCE_CONTROL_POLICY", "TAG_POLICY", "BACKUP_POLICY", "AISERVICES_OPT_OUT_POLICY",
    "CHATBOT_POLICY", "DECLARATIVE_POLICY_EC2", "SECURITYHUB_POLICY")
_HANDLER_ACKNOWLEDGMENTS = {
    "HIPAA.Security-LambdaConcurrency": (
        "The function runs only when CloudFormation creates or updates this stack. Lambda keeps 100 concurrent "
        "executions of the account unreserved, so reserving any on a management account with a low concurrency "
        "quota is refused and rolls the stack back (lambda/latest/dg/configuration-concurrency.html)."),
    "NIST.800.53.R5-LambdaConcurrency": (
        "The function runs only when CloudFormation creates or updates this stack. Lambda keeps 100 concurrent "
        "executions of the account unreserved, so reserving any on a management account with a low quota fails."),
    "HIPAA.Security-LambdaDLQ": (
        "CloudFormation waits for the custom resource's response and fails the deployment when none arrives "
        "within the timeout, so a failed invocation is already reported; a dead-letter queue would add nothing."),
    "NIST.800.53.R5-LambdaDLQ": (
        "CloudFormation waits for the custom resource's response and fails the deployment when none arrives, "
        "so a failed invocation is already reported; a dead-letter queue would add nothing."),
    "HIPAA.Security-LambdaInsideVPC": (
        "The function calls only the AWS Organizations API and CloudFormation's response URL, holds no data, "
        "and the management account has no VPC of the project's; there is nothing in a VPC for it to reach."),
    "NIST.800.53.R5-LambdaInsideVPC": (
        "The function calls only the AWS Organizations API and CloudFormation's response URL and holds no "
        "data; the management account has no VPC of the project's to place it in."),
    "HIPAA.Security-CloudWatchLogGroupEncrypted": (
        "The handler's log holds only the organization root id and the policy types it enabled, never PHI or "
        "credentials; a customer managed key in the management account for it would protect nothing."),
    "NIST.800.53.R5-CloudWatchLogGroupEncrypted": (
        "The handler's log holds only the organization root id and the policy types it enabled, never PHI or "
        "credentials; a customer managed key in the management account for it would protect nothing."),
}


@jsii.implements(cdk.IStableListProducer)
class _SortedTypes:
    """The policy types registered so far, read when the template is written (after every policy is added)."""

    def __init__(self, types: list[str]) -> None:
        self.types = types

    def produce(self) -> list[str]:
        return sorted(self.types)


class OrganizationPolicyTypes(Construct):
    """The policy types of a stack's Organizations policies, enabled on the organization's root first.

    "Before you can create and attach a policy to your organization, you must enable that policy type for
    use. Enabling a policy type is a one-time task on the organization root" (:data:`ENABLE_POLICY_TYPE_PAGE`);
    CloudFormation has no resource for it, and a policy of a type the root has not enabled fails with
    ``PolicyTypeNotEnabledException`` and rolls the stack back. One per stack (``OmicsSecurePolicyTypes``),
    shared by every policy construct of the library, which makes its policies depend on it:

    - ``Resource``: a ``Custom::OrganizationsPolicyTypes`` custom resource whose ``PolicyTypes`` are the
      types the stack's policies use. Create and Update enable each type the root does not list as ENABLED
      and wait until it is (the call is asynchronous); when every type is already enabled nothing is called.
      Delete does nothing: disabling a type would detach every policy of that type across the organization.
    - ``Handler``: the inline Python function (``omics_secure/handlers/organization_policy_types.py``, standard
      library and boto3), with a role that may list the roots and enable only these policy types, and a log
      group (``Logs``) kept a year.

    Deploy it with the policies, in the management account (or a delegated administrator).
    """

    ID = "OmicsSecurePolicyTypes"

    @classmethod
    def of(cls, scope: Construct) -> OrganizationPolicyTypes:
        """The stack's one instance, created on first use."""
        stack = cdk.Stack.of(scope)
        existing = stack.node.try_find_child(cls.ID)
        return existing if isinstance(existing, OrganizationPolicyTypes) else cls(stack, cls.ID)

    @checked_props
    def __init__(self, scope: Construct, id: str) -> None:
        super().__init__(scope, id)
        stack = cdk.Stack.of(self)
        self.policy_types: list[str] = []
        self.log_group = logs.LogGroup(self, "Logs", retention=logs.RetentionDays.ONE_YEAR,
                                       removal_policy=cdk.RemovalPolicy.RETAIN)
        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"),
                             description="omics-secure: enables the Organizations policy types of its stack")
        self.function = lambda_.Function(
            self, "Handler", runtime=lambda_.Runtime.PYTHON_3_14, handler="index.handler",
            code=lambda_.Code.from_inline(POLICY_TYPES_HANDLER.read_text(encoding="utf-8")),
            timeout=cdk.Duration.minutes(5), role=self.role, log_group=self.log_group,
            description="omics-secure: enables Organizations policy types on the root (never disables them)")
        types = cdk.Lazy.list(_SortedTypes(self.policy_types))
        root_pattern = f"arn:{stack.partition}:organizations::{stack.account}:root/o-*/r-*"
        _, policy = add_to_grantee_policy(
            self.role,
            iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                                resources=[self.log_group.log_group_arn]),
            iam.PolicyStatement(actions=["organizations:ListRoots"], resources=["*"]),
            iam.PolicyStatement(actions=["organizations:EnablePolicyType"], resources=[root_pattern],
                                conditions={"StringEquals": {"organizations:PolicyType": types}}))
        self.resource = cdk.CustomResource(self, "Resource", service_token=self.function.function_arn,
                                           resource_type=POLICY_TYPES_RESOURCE_TYPE,
                                           properties={"PolicyTypes": types})
        self.resource.node.add_dependency(policy or self.role)
        assert policy is not None
        render = stack.resolve
        acknowledge_by_design(policy, "AwsSolutions-IAM5[Resource::*]",
                              "organizations:ListRoots supports no resource-level permissions (the Service "
                              "Authorization Reference lists no resource type for it); it only reads the "
                              "organization's root id.")
        acknowledge_by_design(policy, f"AwsSolutions-IAM5[Resource::{nag_rendering(render(root_pattern))}]",
                              "The root's ARN holds the organization id, which a template of the management account "
                              "does not know; EnablePolicyType is limited to the policy types this stack's policies "
                              "use.")
        for rule_id, reason in _HANDLER_ACKNOWLEDGMENTS.items():
            acknowledge_by_design(self, rule_id, reason)

    @checked_props
    def require(self, policy_type: str, policy: organizations.CfnPolicy) -> None:
        """Enable ``policy_type`` before ``policy`` is created (``policy`` depends on the custom resource)."""
        if policy_type not in POLICY_TYPES:
            problems = ProblemCollector(f"OrganizationPolicyTypes '{self.node.id}'.require")
            problems.add("policy_type", policy_type, f"use one of {', '.join(POLICY_TYPES)} (EnablePolicyType's "
                         "PolicyType values)")
            problems.raise_if_any()
        if policy_type not in self.policy_types:
            self.policy_types.append(policy_type)
        policy.node.add_dependency(self.resource)


class _Policy:
    """One AWS::Organizations::Policy, refused at synthesis time if its document is over its size quota."""

    @staticmethod
    def create(scope: Construct, id: str, *, construct: str, name: str, policy_type: str, description: str,
               content: Mapping[str, Any], target_ids: Sequence[str],
               enable_policy_type: bool = True) -> organizations.CfnPolicy:
        limit = SCP_SIZE_LIMIT if policy_type == "SERVICE_CONTROL_POLICY" else TAG_POLICY_SIZE_LIMIT
        size = policy_size(content)
        if size > limit:
            problems = ProblemCollector(construct)
            problems.add("content", f"{name}: {size:,} characters",
                         f"a {policy_type.replace('_', ' ').lower()} may hold at most {limit:,} characters "
                         f"({QUOTAS_PAGE}); split its statements into several policies (up to five can be "
                         "attached to one target) or shorten the lists it carries")
            problems.raise_if_any()
        policy = organizations.CfnPolicy(scope, id, name=name, type=policy_type, description=description,
                                         content=dict(content), target_ids=list(target_ids))
        if enable_policy_type:
            OrganizationPolicyTypes.of(scope).require(policy_type, policy)
        return policy


def _exempt(roles: Sequence[str]) -> dict[str, Any]:
    return {"ArnNotLike": {"aws:PrincipalARN": list(roles)}}


class RegionLockPolicy(Construct):
    """A service control policy denying every request outside ``regions``, global services exempted.

    Modelled on AWS's example "Deny access to AWS based on the requested AWS Region"
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_examples_general.html):
    ``Deny`` with ``NotAction`` :data:`GLOBAL_SERVICE_ACTIONS` where ``aws:RequestedRegion`` is not one of
    ``regions``, except for the break-glass role. Deploy it in the management account (see the module).

    :param regions: the approved regions (the projects' primary and replica regions). Required.
    :param target_ids: the OUs, accounts or root it is attached to. Required.
    :param break_glass_role: the one role exempted, as an ARN pattern ``arn:aws:iam::*:role/BreakGlass``.
    :param global_service_actions: the exempted actions. Default: AWS's example list.
    :param enable_policy_type: enable the policy's type on the organization's root before creating it
        (:class:`OrganizationPolicyTypes`). Default: True. False when the root already has it and the stack may
        not run a function in the management account; the OmicsSecure rule OrganizationPolicyTypeEnabled then
        reports the policy, to acknowledge with when and on which root the type was enabled.
    """

    @checked_props
    def __init__(self, scope: Construct, id: str, *, regions: Sequence[str], target_ids: Sequence[str],
                 break_glass_role: str, global_service_actions: Sequence[str] = GLOBAL_SERVICE_ACTIONS,
                 enable_policy_type: bool = True) -> None:
        problems = ProblemCollector(f"RegionLockPolicy '{id}'")
        _check_regions(problems, "regions", regions)
        _check_targets(problems, "target_ids", target_ids)
        _check_role(problems, "break_glass_role", break_glass_role)
        problems.require(bool(global_service_actions), "global_service_actions", list(global_service_actions),
                         "keep at least iam:*, sts:* and organizations:*: without them no one can sign in")
        problems.raise_if_any()
        super().__init__(scope, id)
        self.regions = tuple(sorted(set(regions)))
        self.content = {"Version": "2012-10-17", "Statement": [{
            "Sid": "DenyOutsideApprovedRegions", "Effect": "Deny", "NotAction": list(global_service_actions),
            "Resource": "*",
            "Condition": {"StringNotEquals": {"aws:RequestedRegion": list(self.regions)},
                          **_exempt([break_glass_role])},
        }]}
        self.policy = _Policy.create(
            self, "Resource", construct=f"RegionLockPolicy '{id}'", name=f"{id}-region-lock",
            policy_type="SERVICE_CONTROL_POLICY", content=self.content, target_ids=target_ids,
            enable_policy_type=enable_policy_type,
            description=f"omics-secure: deny requests outside {', '.join(self.regions)} (global services exempt)")


class ControlsProtectionPolicy(Construct):
    """A service control policy that keeps the audit trail, AWS Config, the data keys and S3 Block Public
    Access switched on: only the break-glass role may turn them off.

    Statement ``DenyTurningOffControls`` denies :data:`PROTECTED_CONTROL_ACTIONS` (stop or delete a trail,
    stop or delete the Config recorder or delivery channel, disable a KMS key or schedule its deletion,
    change the account's S3 Block Public Access) to every principal but ``break_glass_role``. Statement
    ``DenyTrailReconfiguration`` denies cloudtrail:UpdateTrail and PutEventSelectors to every principal but
    the break-glass and deployment roles, since CloudFormation calls them to create and update a trail.

    Not denied, on purpose:

    - kms:PutKeyPolicy: every deployment that grants a role use of a key changes its key policy, so a deny
      would stop the pipeline; KeyWatch alerts on every PutKeyPolicy call instead.
    - s3:PutBucketPublicAccessBlock: CloudFormation calls it to create every bucket with Block Public Access
      on, and IAM has no condition key on the settings it sets, so a deny cannot tell weakening from
      strengthening; the account-level block denied above overrides any bucket's weaker setting.

    Deploy it in the management account (see the module).

    :param target_ids: the OUs, accounts or root it is attached to. Required.
    :param break_glass_role: the one role exempted, as an ARN pattern ``arn:aws:iam::*:role/BreakGlass``.
    :param deployment_roles: roles that may reconfigure (never stop or delete) a trail. Default: CDK's
        CloudFormation execution role in every account (``arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*``).
    :param enable_policy_type: enable the policy's type on the organization's root before creating it
        (:class:`OrganizationPolicyTypes`). Default: True. False when the root already has it and the stack may
        not run a function in the management account; the OmicsSecure rule OrganizationPolicyTypeEnabled then
        reports the policy, to acknowledge with when and on which root the type was enabled.
    """

    @checked_props
    def __init__(self, scope: Construct, id: str, *, target_ids: Sequence[str], break_glass_role: str,
                 deployment_roles: Sequence[str] | None = None, enable_policy_type: bool = True) -> None:
        problems = ProblemCollector(f"ControlsProtectionPolicy '{id}'")
        _check_targets(problems, "target_ids", target_ids)
        _check_role(problems, "break_glass_role", break_glass_role)
        partition = _partition_of_role(break_glass_role)
        deployers = list(deployment_roles) if deployment_roles is not None else [
            f"arn:{partition}:iam::*:role/{CDK_DEPLOYMENT_ROLE_NAME}"]
        for index, role in enumerate(deployers):
            _check_role(problems, f"deployment_roles[{index}]", role)
        problems.raise_if_any()
        super().__init__(scope, id)
        self.content = {"Version": "2012-10-17", "Statement": [
            {"Sid": "DenyTurningOffControls", "Effect": "Deny", "Action": list(PROTECTED_CONTROL_ACTIONS),
             "Resource": "*", "Condition": _exempt([break_glass_role])},
            {"Sid": "DenyTrailReconfiguration", "Effect": "Deny", "Action": list(TRAIL_RECONFIGURATION_ACTIONS),
             "Resource": "*", "Condition": _exempt([break_glass_role, *deployers])},
        ]}
        self.policy = _Policy.create(
            self, "Resource", construct=f"ControlsProtectionPolicy '{id}'", name=f"{id}-controls-protection",
            policy_type="SERVICE_CONTROL_POLICY", content=self.content, target_ids=target_ids,
            enable_policy_type=enable_policy_type,
            description="omics-secure: only the break-glass role may stop the trail, AWS Config, the data keys "
                        "or S3 Block Public Access")


class HipaaServicesPolicy(Construct):
    """An allowlist of the HIPAA-eligible services, as one or more ``Allow`` service control policies.

    AWS's HIPAA Eligible Services Reference (:data:`HIPAA_ELIGIBLE_SERVICES`, dated
    :data:`HIPAA_ELIGIBLE_SERVICES_AS_OF`), the action prefixes those services need to work
    (:data:`SERVICE_CHANNELS`: Session Manager's ssmmessages and ec2messages, AWS Backup's backup-storage),
    plus :data:`SUPPORTING_SERVICES` (IAM, STS, Organizations, billing, support: no customer content). When
    the list does not fit one policy's 5,120 characters it is split, in order, over as many policies as it
    needs (``self.policies``): Allow SCPs attached to the same target add up
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_inheritance_auth.html).

    An allowlist only restricts once ``FullAWSAccess`` is detached from the same targets (an allow at every
    level is required, and FullAWSAccess allows everything): detach it after the first deployment, and keep
    an allow for every service at each level above the targets. Deploy it in the management account.

    :param target_ids: the OUs, accounts or root it is attached to. Required.
    :param services: IAM service prefixes allowed. Default: HIPAA-eligible services, the prefixes they need,
        and supporting services.
    :param enable_policy_type: enable the policy's type on the organization's root before creating it
        (:class:`OrganizationPolicyTypes`). Default: True. False when the root already has it and the stack may
        not run a function in the management account; the OmicsSecure rule OrganizationPolicyTypeEnabled then
        reports the policy, to acknowledge with when and on which root the type was enabled.
    """

    @checked_props
    def __init__(self, scope: Construct, id: str, *, target_ids: Sequence[str],
                 services: Sequence[str] = (*HIPAA_ELIGIBLE_SERVICES, *SERVICE_CHANNELS, *SUPPORTING_SERVICES),
                 enable_policy_type: bool = True) -> None:
        problems = ProblemCollector(f"HipaaServicesPolicy '{id}'")
        _check_targets(problems, "target_ids", target_ids)
        problems.require(bool(services), "services", list(services), "allow at least one service")
        for index, service in enumerate(services):
            if not re.match(r"^[a-z0-9-]+$", service):
                problems.add(f"services[{index}]", service, "use an IAM service prefix, e.g. s3 or omics (no ':*')")
        problems.raise_if_any()
        super().__init__(scope, id)
        self.services = tuple(dict.fromkeys(services))
        self.contents = self._split([f"{service}:*" for service in self.services])
        self.policies = [
            _Policy.create(self, "Resource" if index == 0 else f"Part{index + 1}",
                           construct=f"HipaaServicesPolicy '{id}'", name=f"{id}-hipaa-services-{index + 1}",
                           policy_type="SERVICE_CONTROL_POLICY", content=content, target_ids=target_ids,
                           enable_policy_type=enable_policy_type,
                           description=f"omics-secure: HIPAA-eligible services as of "
                                       f"{HIPAA_ELIGIBLE_SERVICES_AS_OF.isoformat()} (part {index + 1} of "
                                       f"{len(self.contents)})")
            for index, content in enumerate(self.contents)]

    @staticmethod
    def _document(allowed: Sequence[str], part: int) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Statement": [
            {"Sid": f"AllowHipaaEligibleServices{part}", "Effect": "Allow", "Action": list(allowed),
             "Resource": "*"}]}

    @classmethod
    def _split(cls, allowed: Sequence[str]) -> list[dict[str, Any]]:
        parts: list[list[str]] = [[]]
        for action in allowed:
            if parts[-1] and policy_size(cls._document([*parts[-1], action], len(parts))) > SCP_SIZE_LIMIT:
                parts.append([])
            parts[-1].append(action)
        return [cls._document(part, index + 1) for index, part in enumerate(parts)]


class DataClassificationTagPolicy(Construct):
    """A tag policy for the data classification tag on S3 buckets (``omics-secure:data-classification``).

    Its values are limited to those the library's rules understand (phi, access-logs, audit-logs), a
    tagging operation with another value on a bucket is refused (``enforced_for``), and the key is reported
    as required on buckets (``report_required_tag_for``), which the CloudFormation hook
    ``AWS::TagPolicies::TaggingComplianceValidator`` can enforce at deployment
    (https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_example-tag-policies.html,
    https://docs.aws.amazon.com/organizations/latest/userguide/enforce-required-tag-keys-iac.html).
    Deploy it in the management account (see the module).

    :param target_ids: the OUs, accounts or root it is attached to. Required.
    :param values: the allowed values. Default: phi, access-logs, audit-logs.
    :param enable_policy_type: enable the policy's type on the organization's root before creating it
        (:class:`OrganizationPolicyTypes`). Default: True. False when the root already has it and the stack may
        not run a function in the management account; the OmicsSecure rule OrganizationPolicyTypeEnabled then
        reports the policy, to acknowledge with when and on which root the type was enabled.
    """

    @checked_props
    def __init__(self, scope: Construct, id: str, *, target_ids: Sequence[str],
                 values: Sequence[str] = DATA_CLASSIFICATION_VALUES, enable_policy_type: bool = True) -> None:
        problems = ProblemCollector(f"DataClassificationTagPolicy '{id}'")
        _check_targets(problems, "target_ids", target_ids)
        problems.require(bool(values), "values", list(values), f"allow at least the value {PHI!r}")
        problems.raise_if_any()
        super().__init__(scope, id)
        self.content = {"tags": {DATA_CLASSIFICATION_TAG: {
            "tag_key": {"@@assign": DATA_CLASSIFICATION_TAG},
            "tag_value": {"@@assign": list(values)},
            "enforced_for": {"@@assign": ["s3:bucket"]},
            "report_required_tag_for": {"@@assign": ["s3:bucket"]},
        }}}
        self.policy = _Policy.create(
            self, "Resource", construct=f"DataClassificationTagPolicy '{id}'", name=f"{id}-data-classification",
            policy_type="TAG_POLICY", content=self.content, target_ids=target_ids,
            enable_policy_type=enable_policy_type,
            description="omics-secure: every S3 bucket carries its data classification")


class OrganizationGuardrails(Construct):
    """The guardrails of an organization's PHI accounts in one construct: the region lock, the controls
    protection, the HIPAA-eligible services allowlist and the data classification tag policy, all attached
    to ``target_ids``. Deploy it in the management account (or a delegated administrator), in us-east-1.

    :param target_ids: the projects' OUs or accounts. Required.
    :param regions: the approved regions. Required.
    :param break_glass_role: the one role exempted from the denies, e.g. ``arn:aws:iam::*:role/BreakGlass``.
    :param hipaa_services_allowlist: attach the allowlist. Default: True (detach FullAWSAccess afterwards,
        see :class:`HipaaServicesPolicy`); False leaves the service choice to your own SCPs.
    :param enable_policy_types: enable the service control and tag policy types on the organization's root
        before creating the policies (:class:`OrganizationPolicyTypes`). Default: True.
    """

    @checked_props
    def __init__(self, scope: Construct, id: str, *, target_ids: Sequence[str], regions: Sequence[str],
                 break_glass_role: str, hipaa_services_allowlist: bool = True,
                 enable_policy_types: bool = True) -> None:
        problems = ProblemCollector(f"OrganizationGuardrails '{id}'")
        _check_targets(problems, "target_ids", target_ids)
        _check_regions(problems, "regions", regions)
        _check_role(problems, "break_glass_role", break_glass_role)
        problems.raise_if_any()
        super().__init__(scope, id)
        enable = enable_policy_types
        self.region_lock = RegionLockPolicy(self, "RegionLock", regions=regions, target_ids=target_ids,
                                            break_glass_role=break_glass_role, enable_policy_type=enable)
        self.controls_protection = ControlsProtectionPolicy(self, "ControlsProtection", target_ids=target_ids,
                                                            break_glass_role=break_glass_role,
                                                            enable_policy_type=enable)
        self.hipaa_services = (HipaaServicesPolicy(self, "HipaaServices", target_ids=target_ids,
                                                   enable_policy_type=enable)
                               if hipaa_services_allowlist else None)
        self.data_classification = DataClassificationTagPolicy(self, "DataClassification", target_ids=target_ids,
                                                               enable_policy_type=enable)

