"""The cross-region replica of a PHI bucket."""

from __future__ import annotations

import datetime
import hashlib
import re
from collections.abc import Mapping

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from omics_secure._internal.acknowledgments import acknowledge_by_design, nag_rendering
from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.grants import add_to_grantee_policy
from omics_secure._internal.labels import check_phi
from omics_secure._internal.naming import NAME_SUFFIX_FIX, is_valid_name_suffix
from omics_secure._internal.props import checked_props
from omics_secure.keys import KeyService, PhiKey, check_default_alias, default_key_alias
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
    destination bucket does not exist). Here, where the role is created moments before the bucket policy
    and the key, those policies name the account narrowed by ``aws:PrincipalArn`` (the role's literal ARN)
    rather than the role itself, and the role's ``OmicsSecureGrants`` policy allows the writes and the
    replica key's use through S3, kms:Decrypt included (S3 Bucket Keys need it). The source's bucket and
    key policies (added by PhiBucket) name the role, which exists by then, and let it read there.

    The bucket keeps its fixed name and is retained, so after ``cdk destroy`` a second deploy would
    collide with it: set ``name_suffix`` (the reference app: context ``omics-secure:name-suffix``) to
    name a new bucket and role, or ``cdk import`` the retained bucket.

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
        name_suffix: str | None = None,
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
        :param name_suffix: appended to the default bucket and replication-role names
            (``omics-secure-replica-<hash>-<suffix>-<account>-<region>``), 1-8 lower-case letters or digits,
            so that a redeploy after ``cdk destroy`` does not collide with the retained bucket. Default: none.
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
        check_phi(problems, "key_alias", key_alias, name=True)
        if key_alias is None:
            check_default_alias(problems, "key_alias", stack, id)
        if access_logs is not None and cdk.Stack.of(access_logs) is not stack:
            problems.add("access_logs", access_logs,
                         "use an AccessLogBucket in the same stack (S3 delivers logs within one region)")
        # The digest of the construct path keeps default names stable: changing it renames deployed resources.
        digest = hashlib.sha256("/".join(p for p in (scope.node.path, id) if p).encode()).hexdigest()[:8]
        suffix = f"-{name_suffix}" if name_suffix is not None else ""
        default_name = f"omics-secure-replica-{digest}{suffix}-{stack.account}-{stack.region}"
        if name_suffix is not None and not is_valid_name_suffix(name_suffix):
            problems.add("name_suffix", name_suffix, NAME_SUFFIX_FIX)
        elif name_suffix is not None and bucket_name is not None:
            problems.add("name_suffix", name_suffix,
                         "the suffix changes the default bucket name only; with bucket_name, change that name")
        elif name_suffix is not None and len(default_name) > 63:
            problems.add("name_suffix", name_suffix,
                         f"the bucket name {default_name} would pass S3's 63 characters; use a shorter suffix")
        problems.raise_if_any()
        super().__init__(scope, id)
        self.account = stack.account
        self.region = stack.region
        self.partition = partition_of(stack.region)
        self.bucket_name = bucket_name or default_name
        alias = key_alias or default_key_alias(stack, id)
        self.key_alias_arn = f"arn:{self.partition}:kms:{stack.region}:{stack.account}:{alias}"
        self.bucket_arn_literal = f"arn:{self.partition}:s3:::{self.bucket_name}"
        role_name = f"omics-secure-replication-{digest}{suffix}-{stack.region}"
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
        self._allow_replication(stack, key)
        for pack in ("HIPAA.Security", "NIST.800.53.R5"):
            acknowledge_by_design(self.bucket, f"{pack}-S3BucketReplicationEnabled",
                                  "This bucket is itself the cross-region replica of a PHI bucket. Replicating it "
                                  "further or back needs a destination that already exists, and S3 refuses a "
                                  "replication rule whose destination bucket does not exist yet, so CloudFormation "
                                  "cannot create it.")
        if removal_policy is cdk.RemovalPolicy.RETAIN:
            acknowledge_by_design(self.bucket, "OmicsSecure-RetainedResourceFixedName", _FIXED_NAME_REASON)



    def _allow_replication(self, stack: cdk.Stack, key: PhiKey) -> None:
        """Let the replication role write replicas here and use the replica key through S3.

        KMS refuses a key policy naming a principal it cannot see yet ("The principals in the key policy
        must exist and be visible to KMS. When you create a new AWS principal, you might need to enforce a
        delay before including the new principal in a key policy":
        https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html#KMS-CreateKey-request-Policy),
        and CloudFormation does not retry that. The role is created in this stack moments earlier, so the
        bucket and key policies name the account narrowed to the role's literal ARN by aws:PrincipalArn,
        and the role's identity policy carries the permissions (an account principal delegates to IAM).
        """
        in_this_account = {"ArnEquals": {"aws:PrincipalArn": self.replication_role_arn}}
        via_s3 = {"kms:ViaService": f"s3.{stack.region}.amazonaws.com"}
        # "To use replication with an S3 Bucket Key, the AWS KMS key policy for the KMS key used to encrypt
        # the object replica must include kms:Decrypt permissions for the calling principal. The call to
        # kms:Decrypt verifies the integrity of the S3 Bucket Key before using it."
        # https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html#bk-replication
        key_actions = ["kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"]
        objects = self.bucket.arn_for_objects("*")
        account = iam.AccountPrincipal(stack.account)
        self.bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowReplicationIntoReplica", principals=[account],
            actions=list(REPLICATION_DESTINATION_OBJECT_ACTIONS), resources=[objects], conditions=in_this_account))
        key.add_to_resource_policy(iam.PolicyStatement(
            sid="AllowReplicationEncryptViaS3", principals=[account], actions=key_actions, resources=["*"],
            conditions={**in_this_account, "StringEquals": via_s3}))
        _, policy = add_to_grantee_policy(
            self.replication_role,
            iam.PolicyStatement(actions=list(REPLICATION_DESTINATION_OBJECT_ACTIONS), resources=[objects]),
            iam.PolicyStatement(actions=key_actions, resources=[key.key_arn], conditions={"StringEquals": via_s3}),
        )
        assert policy is not None
        acknowledge_by_design(policy, f"AwsSolutions-IAM5[Resource::{nag_rendering(stack.resolve(objects))}]",
                              "S3 replication writes every object key of the replica bucket, and S3 object actions can "
                              "be scoped to objects only by an ARN pattern: this names one bucket's objects and only "
                              "the three s3:Replicate* actions, never s3:* or s3:Delete*.")


# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-stack-exports.html
_FIXED_NAME_REASON = (
    "The source bucket's replication rule, in a stack of another region, names this bucket's ARN, and "
    "CloudFormation cannot pass it there: 'You can't create cross-stack references across Regions' (stack "
    "exports and their imports). So the name is fixed at synthesis; name_suffix gives a redeploy after cdk "
    "destroy a new name beside the retained bucket.")
