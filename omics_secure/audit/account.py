"""Account-level security services: the AWS Config recorder with managed rules, and Amazon Macie.

Both are singletons: AWS Config allows one configuration recorder and one delivery channel per account
and region, and Macie is enabled once per account and region. Deploying either where it already exists
(an AWS Control Tower or organization baseline usually enables both) fails, so neither is ever created
unless asked for by name.
"""

from __future__ import annotations

from collections.abc import Sequence
from enum import Enum

import aws_cdk as cdk
from aws_cdk import aws_config as config
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_macie
from aws_cdk import aws_s3 as s3
from constructs import Construct

from omics_secure._internal.acknowledgments import acknowledge_by_design
from omics_secure._internal.errors import ProblemCollector
from omics_secure._internal.props import checked_props
from omics_secure._internal.tags import AUDIT_LOGS, DATA_CLASSIFICATION_TAG
from omics_secure.audit._common import require_concrete_environment
from omics_secure.audit.trail import DEFAULT_LOG_FILE_RETENTION_DAYS, AuditTrail
from omics_secure.storage._common import TlsVersion

CONFIG_PREFIX = "config"


class ConfigRule(Enum):
    """AWS Config managed rules that evidence, on the deployed account, controls this project's packs
    check in templates (the value is the managed rule's identifier)."""

    CLOUD_TRAIL_ENABLED = "CLOUD_TRAIL_ENABLED"
    MULTI_REGION_CLOUD_TRAIL_ENABLED = "MULTI_REGION_CLOUD_TRAIL_ENABLED"
    CLOUD_TRAIL_ENCRYPTION_ENABLED = "CLOUD_TRAIL_ENCRYPTION_ENABLED"
    CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED = "CLOUD_TRAIL_LOG_FILE_VALIDATION_ENABLED"
    CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED = "CLOUD_TRAIL_CLOUD_WATCH_LOGS_ENABLED"
    CMK_BACKING_KEY_ROTATION_ENABLED = "CMK_BACKING_KEY_ROTATION_ENABLED"
    KMS_CMK_NOT_SCHEDULED_FOR_DELETION = "KMS_CMK_NOT_SCHEDULED_FOR_DELETION"
    S3_BUCKET_SSL_REQUESTS_ONLY = "S3_BUCKET_SSL_REQUESTS_ONLY"
    S3_BUCKET_PUBLIC_READ_PROHIBITED = "S3_BUCKET_PUBLIC_READ_PROHIBITED"
    S3_BUCKET_PUBLIC_WRITE_PROHIBITED = "S3_BUCKET_PUBLIC_WRITE_PROHIBITED"
    S3_DEFAULT_ENCRYPTION_KMS = "S3_DEFAULT_ENCRYPTION_KMS"
    S3_BUCKET_VERSIONING_ENABLED = "S3_BUCKET_VERSIONING_ENABLED"
    S3_BUCKET_LOGGING_ENABLED = "S3_BUCKET_LOGGING_ENABLED"
    CLOUDWATCH_LOG_GROUP_ENCRYPTED = "CLOUDWATCH_LOG_GROUP_ENCRYPTED"
    VPC_FLOW_LOGS_ENABLED = "VPC_FLOW_LOGS_ENABLED"
    EC2_IMDSV2_CHECK = "EC2_IMDSV2_CHECK"
    ENCRYPTED_VOLUMES = "ENCRYPTED_VOLUMES"
    ROOT_ACCOUNT_MFA_ENABLED = "ROOT_ACCOUNT_MFA_ENABLED"
    MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS = "MFA_ENABLED_FOR_IAM_CONSOLE_ACCESS"
    IAM_ROOT_ACCESS_KEY_CHECK = "IAM_ROOT_ACCESS_KEY_CHECK"


class MacieFrequency(Enum):
    FIFTEEN_MINUTES = "FIFTEEN_MINUTES"
    ONE_HOUR = "ONE_HOUR"
    SIX_HOURS = "SIX_HOURS"


class AccountSecurityServices(Construct):
    """AWS Config and Amazon Macie for the account and region of this stack. ACCOUNT-LEVEL SINGLETONS.

    Nothing is created unless ``config_recorder=True`` or ``macie=True``: each exists once per account
    and region, so create this construct in one stack per region, and not at all where your
    organization's baseline (AWS Control Tower, Security Hub's central configuration) already runs them.

    AWS Config records every supported resource type and evaluates the :class:`ConfigRule` managed rules
    on the deployed account; snapshots and history go to a bucket of their own under ``config/``, encrypted
    with the trail's key (AWS Config refuses a delivery bucket with object lock, which the trail's has).
    Macie runs automated sensitive-data discovery over the account's S3 buckets; CloudFormation has no
    resource for a Macie classification job, so targeted jobs on the PHI buckets are created with the Macie
    API or console.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        trail: AuditTrail,
        config_recorder: bool = False,
        config_rules: Sequence[ConfigRule] = tuple(ConfigRule),
        record_global_resources: bool = True,
        create_config_service_linked_role: bool = False,
        macie: bool = False,
        macie_finding_frequency: MacieFrequency = MacieFrequency.FIFTEEN_MINUTES,
    ) -> None:
        """
        :param trail: the trail whose key encrypts AWS Config's deliveries and whose access-log bucket logs
            the Config bucket.
        :param config_recorder: create the account's AWS Config recorder, delivery channel and rules. Default:
            False, because an account and region can hold only one recorder and one delivery channel.
        :param config_rules: managed rules to deploy with the recorder. Default: every :class:`ConfigRule`.
        :param record_global_resources: record IAM and other global resources. Default: True; turn it off in
            every region but one to avoid recording them several times.
        :param create_config_service_linked_role: create ``AWSServiceRoleForConfig``, the role the recorder
            uses. Default: False (it exists once the account has used Config, and creating it twice fails).
        :param macie: enable Amazon Macie with automated sensitive-data discovery. Default: False, because
            Macie is enabled once per account and region. Macie reads SSE-KMS objects only if each key's
            policy allows kms:Decrypt to the ``AWSServiceRoleForAmazonMacie`` role, which exists only once
            Macie is enabled: add that statement after the first deployment.
        :param macie_finding_frequency: how often Macie publishes updated findings to EventBridge and
            Security Hub. Default: every fifteen minutes.
        """
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"AccountSecurityServices '{id}'")
        require_concrete_environment(problems, stack, "AWS Config's bucket policy")
        if not isinstance(trail, AuditTrail):
            problems.add("trail", trail, "pass the AuditTrail whose bucket receives AWS Config's deliveries")
        if config_recorder is not True and macie is not True:
            problems.add("config_recorder", config_recorder,
                         "both services are off: pass config_recorder=True and/or macie=True (each is a singleton "
                         "per account and region), or do not create this construct")
        unknown = [r for r in config_rules if not isinstance(r, ConfigRule)]
        if unknown:
            problems.add("config_rules", unknown, "use members of ConfigRule, e.g. ConfigRule.CLOUD_TRAIL_ENABLED")
        if config_recorder is not True and tuple(config_rules) != tuple(ConfigRule):
            problems.add("config_rules", [getattr(r, "name", r) for r in config_rules],
                         "managed rules need the recorder: pass config_recorder=True")
        if not isinstance(macie_finding_frequency, MacieFrequency):
            problems.add("macie_finding_frequency", macie_finding_frequency,
                         "use MacieFrequency.FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS")
        problems.raise_if_any()

        super().__init__(scope, id)
        self.recorder: config.CfnConfigurationRecorder | None = None
        self.delivery_channel: config.CfnDeliveryChannel | None = None
        self.rules: dict[ConfigRule, config.ManagedRule] = {}
        self.macie_session: aws_macie.CfnSession | None = None
        if config_recorder:
            self._config(stack, trail, config_rules, record_global_resources, create_config_service_linked_role)
        if macie:
            self.macie_session = aws_macie.CfnSession(self, "MacieSession", status="ENABLED",
                                                  finding_publishing_frequency=macie_finding_frequency.value)
            self.macie_session.add_property_override("AutomatedDiscoveryStatus", "ENABLED")

    def _config(self, stack: cdk.Stack, trail: AuditTrail, rules: Sequence[ConfigRule], record_global: bool,
                create_role: bool) -> None:
        role_arn = (f"arn:{stack.partition}:iam::{stack.account}:role/aws-service-role/config.amazonaws.com/"
                    "AWSServiceRoleForConfig")
        self.recorder = config.CfnConfigurationRecorder(
            self, "ConfigRecorder", role_arn=role_arn,
            recording_group=config.CfnConfigurationRecorder.RecordingGroupProperty(
                all_supported=True, include_global_resource_types=record_global))
        if create_role:
            service_role = iam.CfnServiceLinkedRole(self, "ConfigServiceLinkedRole",
                                                    aws_service_name="config.amazonaws.com")
            self.recorder.add_dependency(service_role)
        bucket = self._config_bucket(trail)
        self.config_bucket = bucket
        # AWS Config's documented bucket policy for delivery with its service-linked role.
        service = iam.ServicePrincipal("config.amazonaws.com")
        this_account = {"aws:SourceAccount": stack.account}
        bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowConfigBucketChecks", principals=[service], actions=["s3:GetBucketAcl", "s3:ListBucket"],
            resources=[bucket.bucket_arn], conditions={"StringEquals": this_account}))
        bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowConfigDelivery", principals=[service], actions=["s3:PutObject"],
            resources=[bucket.arn_for_objects(f"{CONFIG_PREFIX}/AWSLogs/{stack.account}/Config/*")],
            conditions={"StringEquals": {**this_account, "s3:x-amz-acl": "bucket-owner-full-control"}}))
        key = trail.key
        statement = iam.PolicyStatement(
            sid="AllowConfigDeliveryEncryption", principals=[service], actions=["kms:Decrypt", "kms:GenerateDataKey"],
            resources=["*"], conditions={"StringEquals": this_account})
        if isinstance(key, kms.Key):
            key.add_to_resource_policy(statement)
        else:
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:config-key-policy",
                f"The trail's key {key.key_arn} is not managed by this app: allow config.amazonaws.com kms:Decrypt "
                f"and kms:GenerateDataKey (aws:SourceAccount {stack.account}) in its key policy, or AWS Config "
                "cannot deliver.")
        self.delivery_channel = config.CfnDeliveryChannel(
            self, "ConfigDelivery", s3_bucket_name=bucket.bucket_name, s3_key_prefix=CONFIG_PREFIX,
            s3_kms_key_arn=key.key_arn,
            config_snapshot_delivery_properties=config.CfnDeliveryChannel.ConfigSnapshotDeliveryPropertiesProperty(
                delivery_frequency="TwentyFour_Hours"))
        assert bucket.policy is not None
        # "Before you can create a delivery channel, you must create a configuration recorder."
        # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-config-deliverychannel.html
        self.delivery_channel.node.add_dependency(bucket.policy, self.recorder)
        for rule in dict.fromkeys(rules):
            managed = config.ManagedRule(self, f"Rule{rule.name.title().replace('_', '')}", identifier=rule.value,
                                         description=f"omics-secure: AWS Config managed rule {rule.value}")
            managed.node.add_dependency(self.recorder, self.delivery_channel)
            self.rules[rule] = managed

    def _config_bucket(self, trail: AuditTrail) -> s3.Bucket:
        """The bucket AWS Config delivers to: hardened like the trail's, without object lock.

        "AWS Config does not support the delivery channel to an Amazon S3 bucket where object lock is
        enabled" (AWS::Config::DeliveryChannel,
        https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-config-deliverychannel.html),
        so the trail's object-locked bucket cannot take Config's snapshots and history.
        """
        bucket = s3.Bucket(
            self, "ConfigBucket",
            encryption=s3.BucketEncryption.KMS, encryption_key=trail.key, bucket_key_enabled=True,
            enforce_ssl=True, minimum_tls_version=TlsVersion.TLS_1_2.value, versioned=True,
            block_public_access=s3.BlockPublicAccess.BLOCK_ALL,
            object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
            server_access_logs_bucket=trail.access_logs.bucket, server_access_logs_prefix=f"{self.node.id}/config/",
            lifecycle_rules=[
                s3.LifecycleRule(id="AbortIncompleteMultipartUploads",
                                 abort_incomplete_multipart_upload_after=cdk.Duration.days(1)),
                s3.LifecycleRule(id="ExpireConfigFiles",
                                 expiration=cdk.Duration.days(DEFAULT_LOG_FILE_RETENTION_DAYS)),
                s3.LifecycleRule(id="NoncurrentConfigFiles", noncurrent_version_expiration=cdk.Duration.days(365),
                                 expired_object_delete_marker=True),
            ],
            removal_policy=cdk.RemovalPolicy.RETAIN,
        )
        cdk.Tags.of(bucket).add(DATA_CLASSIFICATION_TAG, AUDIT_LOGS)
        for pack in ("HIPAA.Security", "NIST.800.53.R5"):
            acknowledge_by_design(bucket, f"{pack}-S3BucketReplicationEnabled",
                                  "AWS Config's snapshots and history are a derived record: the recorder keeps the "
                                  "configuration history in AWS Config itself and redelivers snapshots, and every API "
                                  "call behind a change is in the trail. Replicate this bucket yourself if your "
                                  "contingency plan needs a second-region copy.")
        return bucket
