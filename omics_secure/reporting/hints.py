"""How to act on a finding: what concern it is (so packs reporting the same problem group), how to fix
it, and the acknowledgment line to copy when the risk is accepted instead.

cdk-nag's rule documentation is its rule list (``CDK_NAG_RULES_URI``); the fixes here are for the rules
users of an ordinary CDK app meet most, written for aws-cdk-lib's Python API. The OmicsSecure rules
carry their own fix in their rule record.
"""

from __future__ import annotations

from dataclasses import dataclass

CDK_NAG_RULES_URI = "https://github.com/cdklabs/cdk-nag/blob/main/RULES.md"
ACKNOWLEDGE_IMPORT = "from aws_cdk import Acknowledgment, Validations"


@dataclass(frozen=True)
class Concern:
    """A problem several packs may report under different rule names, and how to fix it."""

    name: str
    fix: str


def _concern(name: str, fix: str, *rule_names: str) -> dict[str, Concern]:
    concern = Concern(name, fix)
    return dict.fromkeys(rule_names, concern)


# Keyed by rule name without its pack prefix: cdk-nag's HIPAA.Security and NIST.800.53.R5 share names
# (S3BucketSSLRequestsOnly), AwsSolutions numbers its rules (S10), OmicsSecure names its own.
_CONCERNS: dict[str, Concern] = {
    **_concern("S3 requests without TLS",
               "s3.Bucket(..., enforce_ssl=True) (PhiBucket and AccessLogBucket always do); in CloudFormation, "
               "a bucket policy statement that denies s3:* when aws:SecureTransport is false",
               "S3BucketSSLRequestsOnly", "S10"),
    **_concern("S3 default encryption not SSE-KMS",
               "s3.Bucket(..., encryption=s3.BucketEncryption.KMS, encryption_key=key), or PhiBucket; in "
               "CloudFormation, BucketEncryption.ServerSideEncryptionConfiguration with SSEAlgorithm aws:kms",
               "S3DefaultEncryptionKMS", "S3BucketEncryptedWithKms"),
    **_concern("S3 versioning off",
               "s3.Bucket(..., versioned=True) (PhiBucket always is); in CloudFormation, "
               "VersioningConfiguration.Status Enabled",
               "S3BucketVersioningEnabled", "S3BucketVersioning"),
    **_concern("S3 server access logging off",
               "s3.Bucket(..., server_access_logs_bucket=AccessLogBucket(...).bucket) (PhiBucket does this); "
               "in CloudFormation, LoggingConfiguration.DestinationBucketName",
               "S3BucketLoggingEnabled", "S1", "S3BucketAccessLogged"),
    **_concern("S3 replication off",
               "PhiBucket(..., replica=PhiReplicaBucket(...)) replicates to another region; in CloudFormation, "
               "ReplicationConfiguration with a role and an enabled rule",
               "S3BucketReplicationEnabled"),
    **_concern("S3 public access not blocked",
               "s3.Bucket(..., block_public_access=s3.BlockPublicAccess.BLOCK_ALL); in CloudFormation, all four "
               "PublicAccessBlockConfiguration settings true",
               "S3BucketLevelPublicAccessProhibited", "S3BucketPublicReadProhibited",
               "S3BucketPublicWriteProhibited", "S2", "S3BucketPublicAccessBlocked"),
    **_concern("S3 ACLs enabled",
               "s3.Bucket(..., object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED); in CloudFormation, "
               "OwnershipControls ObjectOwnership BucketOwnerEnforced and no AccessControl",
               "S3BucketAclsDisabled"),
    **_concern("VPC flow logs",
               "vpc.add_flow_log('FlowLog', traffic_type=ec2.FlowLogTrafficType.ALL) (IsolatedVpc adds one); in "
               "CloudFormation, an AWS::EC2::FlowLog with ResourceType VPC and TrafficType ALL",
               "VPCFlowLogsEnabled", "VPC7", "VPCFlowLogsAllTraffic"),
    **_concern("IAM AWS managed policy",
               "replace the managed policy with iam.PolicyStatement(s) naming only the actions and resources "
               "the role uses (for a Lambda in a VPC: logs:CreateLogStream/PutLogEvents on its log group and "
               "the ec2 network-interface actions)",
               "IAM4"),
    **_concern("IAM wildcard permissions",
               "grant with the resource's grant_* method or list exact actions and ARNs; where the wildcard is "
               "inherent (a grant on objects under a prefix), acknowledge the granular id the finding names, "
               "e.g. AwsSolutions-IAM5[Resource::<Bucket.Arn>/*]",
               "IAM5", "IAMPolicyNoStatementsWithFullAccess", "IAMPolicyNoStatementsWithAdminAccess"),
    **_concern("IAM inline policy",
               "attach an iam.ManagedPolicy instead of an inline policy (role.add_managed_policy), or acknowledge: "
               "CDK's grant_* methods write inline policies by design",
               "IAMNoInlinePolicy"),
    **_concern("KMS key rotation off",
               "kms.Key(..., enable_key_rotation=True) (PhiKey always rotates); in CloudFormation, "
               "EnableKeyRotation true",
               "KMSBackingKeyRotationEnabled", "KMS5", "KMSKeyRotationEnabled"),
    **_concern("Lambda function outside a VPC",
               "lambda_.Function(..., vpc=vpc, vpc_subnets=ec2.SubnetSelection(subnet_type="
               "ec2.SubnetType.PRIVATE_ISOLATED)); in CloudFormation, VpcConfig with subnets and security groups",
               "LambdaInsideVPC"),
    **_concern("Lambda concurrency unlimited",
               "lambda_.Function(..., reserved_concurrent_executions=N); in CloudFormation, "
               "ReservedConcurrentExecutions",
               "LambdaConcurrency"),
    **_concern("Lambda without a dead-letter queue",
               "lambda_.Function(..., dead_letter_queue_enabled=True) or dead_letter_queue=sqs.Queue(...); in "
               "CloudFormation, DeadLetterConfig.TargetArn",
               "LambdaDLQ"),
    **_concern("Lambda runtime not the latest",
               "use the newest runtime of the family, e.g. lambda_.Runtime.PYTHON_3_13",
               "L1"),
    **_concern("RDS storage not encrypted",
               "rds.DatabaseInstance(..., storage_encrypted=True, storage_encryption_key=key); in CloudFormation, "
               "StorageEncrypted true with KmsKeyId",
               "RDSStorageEncrypted", "RDS2"),
    **_concern("RDS automated backups off",
               "rds.DatabaseInstance(..., backup_retention=Duration.days(7)) (not 0); in CloudFormation, "
               "BackupRetentionPeriod >= 1",
               "RDSInstanceBackupEnabled", "RDS13"),
    **_concern("RDS not in an AWS Backup plan",
               "add the instance to a backup.BackupPlan (plan.add_selection(..., resources=["
               "backup.BackupResource.from_rds_database_instance(db)]))",
               "RDSInBackupPlan", "EC2EBSInBackupPlan", "EFSInBackupPlan"),
    **_concern("RDS not multi-AZ",
               "rds.DatabaseInstance(..., multi_az=True); in CloudFormation, MultiAZ true",
               "RDSMultiAZSupport", "RDS3"),
    **_concern("RDS deletion protection off",
               "rds.DatabaseInstance(..., deletion_protection=True); in CloudFormation, DeletionProtection true",
               "RDSInstanceDeletionProtectionEnabled", "RDS10"),
    **_concern("RDS publicly accessible",
               "rds.DatabaseInstance(..., publicly_accessible=False) in private or isolated subnets",
               "RDSInstancePublicAccess"),
    **_concern("RDS monitoring and logs",
               "rds.DatabaseInstance(..., monitoring_interval=Duration.seconds(60), cloudwatch_logs_exports=[...]"
               ", auto_minor_version_upgrade=True)",
               "RDSEnhancedMonitoringEnabled", "RDSLoggingEnabled", "RDSAutomaticMinorVersionUpgradeEnabled"),
    **_concern("RDS default port",
               "rds.DatabaseInstance(..., port=N) with a port other than the engine's default",
               "RDS11"),
    **_concern("SQS requests without TLS",
               "sqs.Queue(..., enforce_ssl=True); in CloudFormation, a queue policy denying sqs:* when "
               "aws:SecureTransport is false",
               "SQS4"),
    **_concern("SQS not encrypted",
               "sqs.Queue(..., encryption=sqs.QueueEncryption.KMS, encryption_master_key=key); in "
               "CloudFormation, KmsMasterKeyId",
               "SQS2"),
    **_concern("SQS without a dead-letter queue",
               "sqs.Queue(..., dead_letter_queue=sqs.DeadLetterQueue(max_receive_count=5, queue=dlq))",
               "SQS3"),
    **_concern("SNS topic not encrypted",
               "sns.Topic(..., master_key=key) (AlertTopic does this); in CloudFormation, KmsMasterKeyId",
               "SNSEncryptedKMS"),
    **_concern("SNS publishers without TLS",
               "sns.Topic(..., enforce_ssl=True); in CloudFormation, a topic policy denying sns:Publish when "
               "aws:SecureTransport is false",
               "SNS3"),
    **_concern("CloudTrail log files not KMS-encrypted",
               "cloudtrail.Trail(..., encryption_key=key) (AuditTrail does this); in CloudFormation, KMSKeyId",
               "CloudTrailEncryptionEnabled", "CloudTrailKmsEncrypted"),
    **_concern("CloudTrail log file validation off",
               "cloudtrail.Trail(..., enable_file_validation=True); in CloudFormation, EnableLogFileValidation true",
               "CloudTrailLogFileValidationEnabled", "CloudTrailLogFileValidation"),
    **_concern("CloudTrail not sent to CloudWatch Logs",
               "cloudtrail.Trail(..., send_to_cloud_watch_logs=True) (AuditTrail does this)",
               "CloudTrailCloudWatchLogsEnabled"),
    **_concern("CloudWatch log group not KMS-encrypted",
               "logs.LogGroup(..., encryption_key=key); the key policy must let logs.<region>.amazonaws.com use "
               "it (PhiKey(services=[KeyService.CLOUDWATCH_LOGS]) does)",
               "CloudWatchLogGroupEncrypted"),
    **_concern("CloudWatch log group without retention",
               "logs.LogGroup(..., retention=logs.RetentionDays.SIX_YEARS) or the retention your records "
               "policy sets",
               "CloudWatchLogGroupRetentionPeriod"),
    **_concern("Security group open to the internet",
               "allow ingress from the VPC's CIDR or from another security group, never ec2.Peer.any_ipv4()",
               "EC23", "EC2RestrictedCommonPorts", "EC2RestrictedSSH", "EC2NoOpenIngress"),
    **_concern("EC2 instance metadata v1 allowed",
               "ec2.Instance(..., require_imdsv2=True) or ec2.LaunchTemplate(..., require_imdsv2=True)",
               "EC2IMDSv2Enabled", "EC2IMDSv2Required"),
    **_concern("Subnet assigns public IPs",
               "use private or isolated subnets (ec2.SubnetType.PRIVATE_ISOLATED) for anything that holds data",
               "VPCSubnetAutoAssignPublicIpDisabled"),
    **_concern("Secrets Manager rotation off",
               "secret.add_rotation_schedule('Rotation', ...) with a rotation function",
               "SecretsManagerRotationEnabled", "SMG4"),
    **_concern("Secret not under a customer-managed key",
               "secretsmanager.Secret(..., encryption_key=key)",
               "SecretsManagerUsingKMSKey"),
}


def rule_name(pack: str, rule_id: str) -> str:
    """``HIPAA.Security-S3BucketSSLRequestsOnly`` -> ``S3BucketSSLRequestsOnly``; granular ids lose their
    ``[...]`` part (``AwsSolutions-IAM5[Action::s3:*]`` -> ``IAM5``)."""
    bare = rule_id.split("[", 1)[0]
    return bare.removeprefix(f"{pack}-")


def concern_of(pack: str, rule_id: str) -> Concern | None:
    """The concern a rule reports, when the table knows it."""
    return _CONCERNS.get(rule_name(pack, rule_id))


def generic_fix(pack: str, rule_id: str) -> str:
    """The fallback when no fix is known: where the rule is documented."""
    anchor = rule_name(pack, rule_id).lower()
    return f"see {rule_id.split('[', 1)[0]} in cdk-nag's rule list, {CDK_NAG_RULES_URI} (search for '{anchor}')"


def acknowledge_line(pack: str, rule_id: str, construct: str = "construct") -> str:
    """The exact call that accepts a finding, recorded in validation-report.json with its reason."""
    return (f'Validations.of({construct}).acknowledge(Acknowledgment(id="{pack}::{rule_id}", '
            'reason="<why the risk is acceptable: the AWS constraint or compensating control>"))')
