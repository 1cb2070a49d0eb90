"""The cross-region replica of a PHI bucket."""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.labels import check_phi
from omics_secure._internal.props import checked_props
from omics_secure.compliance.acknowledgments import acknowledge
from omics_secure.keys import KeyService, PhiKey, default_key_alias
from omics_secure.storage._common import (
    NONCURRENT_EXPIRATION,
    NONCURRENT_TRANSITION,
    REPLICATION_DESTINATION_OBJECT_ACTIONS,
    Encryption,
    ObjectLockMode,
    TlsVersion,
    partition_of,
    require_concrete_environment,
)
from omics_secure.storage._hardened import HardenedBucket
from omics_secure.storage.access_logs import AccessLogBucket

_ALIAS = re.compile(r"^alias/[a-zA-Z0-9/_-]{1,250}$")


class PhiReplicaBucket(HardenedBucket):
    """The destination of a :class:`PhiBucket`'s cross-region replication, in a stack of the second region.

    It creates, in its own stack: a :class:`PhiKey` in that region, the replica bucket (hardened exactly
    like a PhiBucket), and the replication role. CloudFormation cannot pass values between regions, so the
    bucket name, key alias and role name are deterministic literals derived from the construct path,
    account and region, and the source stack builds ARNs from them (``bucket_arn_literal``,
    ``key_alias_arn``, ``replication_role_arn``); S3 accepts a key alias ARN as ``ReplicaKmsKeyID``.

    The role lives here, not beside the source, because S3 and KMS refuse a bucket or key policy naming a
    role that does not exist yet, and this stack must deploy first (S3 refuses a replication rule whose
    destination bucket does not exist). The role has no identity policy: the replica's bucket and key
    policies let it write here, and the source's bucket and key policies (added by PhiBucket) let it read
    there. Every action is named and every resource is a specific bucket or key, so no IAM finding fires.

    The replica is not itself replicated: a replication rule needs an existing destination, so a second
    copy of the replica (or two-way replication) cannot be created by CloudFormation on first deploy. The
    HIPAA and NIST replication findings on it are acknowledged with that reason.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        access_logs: AccessLogBucket | None = None,
        bucket_name: str | None = None,
        key_alias: str | None = None,
        object_lock_mode: ObjectLockMode = ObjectLockMode.GOVERNANCE,
        object_lock_retention: cdk.Duration | None = None,
        minimum_tls_version: TlsVersion = TlsVersion.TLS_1_2,
        abort_incomplete_uploads_after: cdk.Duration | None = None,
        noncurrent_transition_after: cdk.Duration | None = NONCURRENT_TRANSITION,
        noncurrent_expiration_after: cdk.Duration | None = NONCURRENT_EXPIRATION,
        current_version_expiration: cdk.Duration | None = None,
        data_use_end_date: datetime.date | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        """
        :param access_logs: where server access logs go. Default: a new :class:`AccessLogBucket` child.
        :param bucket_name: Default: ``omics-secure-replica-<hash>-<account>-<region>``, deterministic so
            that the source stack can name it.
        :param key_alias: alias of the replica key. Default: ``alias/omics-secure/<stack name>/<id>``.
        :param object_lock_mode, object_lock_retention, minimum_tls_version, abort_incomplete_uploads_after,
            noncurrent_transition_after, noncurrent_expiration_after, current_version_expiration,
            data_use_end_date, tags, removal_policy: as for :class:`PhiBucket`, with the same defaults.
            Lifecycle deletions in the source are not replicated, so give the replica the same end date.
        """
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"PhiReplicaBucket '{id}'")
        require_concrete_environment(problems, stack)
        days = self._validate_common(
            problems, bucket_name=bucket_name, encryption=Encryption.SSE_KMS, object_lock_mode=object_lock_mode,
            object_lock_retention=object_lock_retention, minimum_tls_version=minimum_tls_version,
            abort_incomplete_uploads_after=abort_incomplete_uploads_after,
            noncurrent_transition_after=noncurrent_transition_after,
            noncurrent_expiration_after=noncurrent_expiration_after,
            current_version_expiration=current_version_expiration, data_use_end_date=data_use_end_date,
            tags=tags, removal_policy=removal_policy)
        if bucket_name is not None and is_unresolved(bucket_name):
            problems.add("bucket_name", bucket_name,
                         "the source stack in another region must know this name: pass a literal string")
        if key_alias is not None and (is_unresolved(key_alias) or not _ALIAS.match(key_alias)
                                      or key_alias.startswith("alias/aws/")):
            problems.add("key_alias", key_alias,
                         "pass a literal alias the source stack can name, 'alias/' followed by letters, digits, "
                         "'/', '_' or '-' (not 'alias/aws/'), e.g. 'alias/genomics/phi-replica'")
        check_phi(problems, "key_alias", key_alias)
        if access_logs is not None and cdk.Stack.of(access_logs) is not stack:
            problems.add("access_logs", access_logs,
                         "use an AccessLogBucket in the same stack (S3 delivers logs within one region)")
        problems.raise_if_any()
        super().__init__(scope, id)
        self.account = stack.account
        self.region = stack.region
        self.partition = partition_of(stack.region)
        digest = hashlib.sha256(self.node.path.encode()).hexdigest()[:8]
        self.bucket_name = bucket_name or f"omics-secure-replica-{digest}-{stack.account}-{stack.region}"
        alias = key_alias or default_key_alias(stack, id)
        self.key_alias_arn = f"arn:{self.partition}:kms:{stack.region}:{stack.account}:{alias}"
        self.bucket_arn_literal = f"arn:{self.partition}:s3:::{self.bucket_name}"
        role_name = f"omics-secure-replication-{digest}-{stack.region}"
        self.replication_role_arn = f"arn:{self.partition}:iam::{stack.account}:role/{role_name}"
        self.replication_role = iam.Role(
            self, "ReplicationRole", role_name=role_name,
            assumed_by=iam.ServicePrincipal("s3.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": stack.account}}),
            description="omics-secure: S3 cross-region replication of PHI into this region's replica bucket",
        )
        key = PhiKey(self, "Key", services=[KeyService.S3], alias=alias,
                     description="omics-secure: protects the cross-region replica of PHI")
        logs = access_logs or AccessLogBucket(self, "AccessLogs")
        self._build(bucket_name=self.bucket_name, key=key, encryption=Encryption.SSE_KMS,
                    object_lock_mode=object_lock_mode, minimum_tls_version=minimum_tls_version, days=days,
                    access_logs=logs, access_log_prefix=f"{id}/", data_use_end_date=data_use_end_date,
                    tiering=None, tags=tags, removal_policy=removal_policy)
        self.bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowReplicationIntoReplica", principals=[iam.ArnPrincipal(self.replication_role.role_arn)],
            actions=list(REPLICATION_DESTINATION_OBJECT_ACTIONS), resources=[self.bucket.arn_for_objects("*")]))
        key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowReplicationEncryptViaS3", principals=[iam.ArnPrincipal(self.replication_role.role_arn)],
            actions=["kms:Encrypt", "kms:GenerateDataKey"], resources=["*"],
            conditions={"StringEquals": {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}}))
        for pack in ("HIPAA.Security", "NIST.800.53.R5"):
            acknowledge(self.bucket, f"{pack}-S3BucketReplicationEnabled",
                        "This bucket is itself the cross-region replica of a PHI bucket. Replicating it further "
                        "or back needs a destination that already exists, and S3 refuses a replication rule "
                        "whose destination bucket does not exist yet, so CloudFormation cannot create it.")


