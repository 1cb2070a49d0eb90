"""AWS Batch compute for genomics pipeline engines (Nextflow, Cromwell and the like) in an isolated VPC.

Instances have no public address and no inbound rules, require IMDSv2, and encrypt every EBS volume
with the project key; jobs run under a role that can reach only the PHI buckets it is granted.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_batch as batch
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_ecr as ecr
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_omics as omics
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from omics_secure._internal.acknowledgments import acknowledge_by_design, nag_rendering
from omics_secure._internal.environment import check_region, environment_of, known, warn_other_account
from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.family import HasRole, unwrap
from omics_secure._internal.grants import add_to_grantee_policy
from omics_secure._internal.labels import check_label, check_object_pattern, check_phi
from omics_secure._internal.props import checked_props
from omics_secure.images import IMAGE_PULL_ACTIONS, RepositoryLike, check_repositories
from omics_secure.keys import KeyLike, KeyService, PhiKey, key_of
from omics_secure.network import (
    DEFAULT_FLOW_LOG_RETENTION_DAYS,
    InterfaceEndpoint,
    IsolatedVpc,
    check_log_retention,
    encrypted_log_group,
)
from omics_secure.storage import BucketLike, bucket_key_of, bucket_of

DEFAULT_MAX_VCPUS = 256
MAX_VCPUS_RANGE = (1, 100_000)
DEFAULT_ROOT_VOLUME_GIB = 100
# gp3 volumes are 1 GiB to 16 TiB; below 30 GiB the ECS-optimized AL2023 image does not fit.
ROOT_VOLUME_GIB_RANGE = (30, 16_384)
ROOT_DEVICE = "/dev/xvda"

# AWS::Omics::Configuration Description (CloudFormation resource schema: maxLength 256).
OMICS_CONFIGURATION_DESCRIPTION_MAX = 256
_OMICS_CONFIGURATION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
# What Batch capacity in subnets without internet access must reach (AWS Batch and Amazon ECS user
# guides, interface VPC endpoints); S3 for image layers is the gateway endpoint.
BATCH_FARGATE_ENDPOINTS = (
    InterfaceEndpoint.ECR_API, InterfaceEndpoint.ECR_DOCKER, InterfaceEndpoint.CLOUDWATCH_LOGS,
)
BATCH_EC2_ENDPOINTS = (
    *BATCH_FARGATE_ENDPOINTS, InterfaceEndpoint.ECS, InterfaceEndpoint.ECS_AGENT, InterfaceEndpoint.ECS_TELEMETRY,
)
SESSION_MANAGER_ENDPOINTS = (
    InterfaceEndpoint.SSM, InterfaceEndpoint.SSM_MESSAGES, InterfaceEndpoint.EC2_MESSAGES,
    InterfaceEndpoint.KMS, InterfaceEndpoint.CLOUDWATCH_LOGS,
)

# The service-linked roles that launch Batch instances and so create their encrypted volumes. Their
# AWS-managed policies grant no KMS access, so a customer-managed key must allow them in its key
# policy (EC2 Auto Scaling user guide, "Required AWS KMS key policy for use with encrypted volumes").
EBS_SERVICE_LINKED_ROLES = (
    "autoscaling.amazonaws.com/AWSServiceRoleForAutoScaling",
    "spot.amazonaws.com/AWSServiceRoleForEC2Spot",
    "spotfleet.amazonaws.com/AWSServiceRoleForEC2SpotFleet",
    "ec2fleet.amazonaws.com/AWSServiceRoleForEC2Fleet",
    "batch.amazonaws.com/AWSServiceRoleForBatch",
)


def ebs_service_linked_role_statements(*, account: str, region: str) -> list[iam.PolicyStatement]:
    """Key-policy statements letting the instance-launching service-linked roles use a key for EBS.

    The actions and the grant condition are AWS's documented statements ("Required AWS KMS key policy for
    use with encrypted volumes",
    https://docs.aws.amazon.com/autoscaling/ec2/userguide/key-policy-requirements-EBS-encryption.html),
    which carry no kms:ViaService: the service may call KMS itself while launching, and a service-linked
    role can be assumed only by its service, so the condition would add a failure mode, not protection.
    The principal is ``*`` narrowed by ``aws:PrincipalArn`` and kms:CallerAccount instead of the roles'
    ARNs: a key policy naming a role that does not exist yet is rejected, and a service-linked role exists
    only after the service's first use. ``region`` is kept for callers; the statements do not name it.
    """
    del region
    partition = cdk.Aws.PARTITION
    principal_arns = [f"arn:{partition}:iam::{account}:role/aws-service-role/{path}"
                      for path in EBS_SERVICE_LINKED_ROLES]
    conditions = {
        "StringEquals": {"kms:CallerAccount": account},
        "ArnLike": {"aws:PrincipalArn": principal_arns},
    }
    return [
        iam.PolicyStatement(
            sid="AllowEbsServiceLinkedRolesUse", principals=[iam.AnyPrincipal()],
            actions=["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"],
            resources=["*"], conditions=conditions),
        iam.PolicyStatement(
            sid="AllowEbsServiceLinkedRolesGrants", principals=[iam.AnyPrincipal()],
            actions=["kms:CreateGrant"], resources=["*"],
            conditions={**conditions, "Bool": {"kms:GrantIsForAWSResource": "true"}}),
    ]


class PipelineCompute(Construct):
    """An AWS Batch compute environment and job queue in the isolated subnets of an :class:`IsolatedVpc`.

    Defaults, and why: EC2 on-demand instances (Spot and Fargate are options); a launch template that
    requires IMDSv2 with a hop limit of 1, so that job containers cannot read the instance role's
    credentials (jobs get the job role through the ECS credentials endpoint instead); a gp3 root volume
    encrypted with the project key; no public IP addresses; a security group with no inbound rules and
    HTTPS egress only to the VPC's endpoints; a job role that can read nothing until granted; job logs in
    a log group encrypted with the project key.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        network: IsolatedVpc,
        key: KeyLike,
        fargate: bool = False,
        spot: bool = False,
        instance_types: Sequence[ec2.InstanceType] = (),
        max_vcpus: int = DEFAULT_MAX_VCPUS,
        root_volume_gib: int = DEFAULT_ROOT_VOLUME_GIB,
        log_retention_days: int = DEFAULT_FLOW_LOG_RETENTION_DAYS,
        container_repositories: Sequence[RepositoryLike] = (),
    ) -> None:
        """
        :param network: the isolated VPC whose subnets and endpoints the jobs use.
        :param key: the customer-managed key for EBS volumes and job logs. A :class:`PhiKey` gets the
            EC2/EBS, CloudWatch Logs and service-linked-role statements added; for any other key a
            warning names what its policy must allow.
        :param fargate: run jobs on Fargate instead of EC2. Default: EC2, whose volumes use the project
            key (Fargate's ephemeral storage is encrypted with an AWS-owned key).
        :param spot: use Spot capacity. Default: on-demand, so that long pipelines are not interrupted.
        :param instance_types: EC2 instance types. Default: Batch's ``optimal`` families.
        :param max_vcpus: the compute environment's ceiling. Default: 256.
        :param root_volume_gib: EC2 root (and Docker) volume size, 30 to 16384 GiB. Default: 100.
        :param log_retention_days: days to keep job logs. Default: 365.
        :param container_repositories: the only ECR repositories the instances may pull job images from
            (EC2 only): the instance role gets a ``DenyImagesOutsideRepositories`` policy denying image
            pulls from every other repository, overriding the ECS instance policy's ``*``. Default: none,
            ECS's instance policy as AWS publishes it (any repository the account can reach).
        """
        problems = ProblemCollector(f"PipelineCompute '{id}'")
        self._validate(problems, scope, key=key, fargate=fargate, instance_types=instance_types,
                       max_vcpus=max_vcpus, root_volume_gib=root_volume_gib, log_retention_days=log_retention_days)
        repositories = check_repositories(problems, "container_repositories", container_repositories)
        if fargate and container_repositories:
            problems.add("container_repositories", container_repositories,
                         "Fargate jobs pull with their job definition's execution role, not an instance role: "
                         "grant that role ImageRepository.grant_pull, or set fargate=False")
        problems.raise_if_any()

        super().__init__(scope, id)
        self.network = network
        self.key = key_of(key)
        warn_other_account(scope, id, "key", self.key, what="a key")
        self._prepare_key(self.key, ec2_volumes=not fargate)
        self._warn_missing_endpoints(BATCH_FARGATE_ENDPOINTS if fargate else BATCH_EC2_ENDPOINTS)
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=network.vpc, allow_all_outbound=False,
            description="Batch jobs: no inbound; HTTPS out to the VPC endpoints only")
        network.allow_https_egress(self.security_group)
        self.job_log_group = encrypted_log_group(self, "JobLogGroup", self.key, log_retention_days)
        self._add_job_role()
        self.launch_template: ec2.LaunchTemplate | None = None
        self.compute_environment: batch.FargateComputeEnvironment | batch.ManagedEc2EcsComputeEnvironment
        if fargate:
            self.compute_environment = batch.FargateComputeEnvironment(
                self, "ComputeEnvironment", vpc=network.vpc, vpc_subnets=network.subnets,
                security_groups=[self.security_group], spot=spot, maxv_cpus=max_vcpus)
        else:
            self._add_ec2_environment(spot=spot, instance_types=instance_types, max_vcpus=max_vcpus,
                                      root_volume_gib=root_volume_gib)
            if repositories:
                self._limit_image_pulls(repositories)
        self.job_queue = batch.JobQueue(
            self, "JobQueue", priority=1,
            compute_environments=[batch.OrderedComputeEnvironment(
                compute_environment=self.compute_environment, order=1)])

    @staticmethod
    def _validate(problems: ProblemCollector, scope: Construct, *, key: KeyLike, fargate: bool,
                  instance_types: Sequence[ec2.InstanceType], max_vcpus: int, root_volume_gib: int,
                  log_retention_days: int) -> None:
        check_region(problems, scope, "key", key_of(key), what="the key",
                     why="EBS volumes and CloudWatch Logs use only a KMS key of their own region")
        _check_range(problems, "max_vcpus", max_vcpus, MAX_VCPUS_RANGE, "cap the environment's vCPUs")
        if fargate and (instance_types or root_volume_gib != DEFAULT_ROOT_VOLUME_GIB):
            problems.add("fargate", fargate,
                         "instance_types and root_volume_gib apply to EC2 only; drop them or set fargate=False")
        else:
            _check_range(problems, "root_volume_gib", root_volume_gib, ROOT_VOLUME_GIB_RANGE,
                         "size the encrypted root volume")
        check_log_retention(problems, "log_retention_days", log_retention_days)

    def _warn_missing_endpoints(self, needed: Sequence[InterfaceEndpoint]) -> None:
        missing = [e.name for e in needed if e not in self.network.interface_endpoints]
        if missing:
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:batch-endpoints",
                f"The isolated VPC lacks the interface endpoints {', '.join(missing)}: without them Batch "
                "capacity cannot register with ECS, pull images or send logs, and jobs stay RUNNABLE.")

    def _add_job_role(self) -> None:
        stack = cdk.Stack.of(self)
        self.job_role = iam.Role(
            self, "JobRole",
            description="Batch pipeline jobs: only the data explicitly granted",
            assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": stack.format_arn(service="ecs", resource="*")},
            }),
        )
        # Grants are collected in one customer-managed policy (HIPAA/NIST IAMNoInlinePolicy).
        self.job_policy = iam.ManagedPolicy(
            self, "JobPolicy", roles=[self.job_role],
            description="Batch pipeline jobs: job logs and the granted PHI buckets",
            statements=[iam.PolicyStatement(
                sid="WriteJobLogs", actions=["logs:CreateLogStream", "logs:PutLogEvents"],
                resources=[self.job_log_group.log_group_arn])],
        )

    def _add_ec2_environment(self, *, spot: bool, instance_types: Sequence[ec2.InstanceType], max_vcpus: int,
                             root_volume_gib: int) -> None:
        self.launch_template = ec2.LaunchTemplate(
            self, "LaunchTemplate",
            require_imdsv2=True,
            http_tokens=ec2.LaunchTemplateHttpTokens.REQUIRED,
            http_put_response_hop_limit=1,
            block_devices=[ec2.BlockDevice(
                device_name=ROOT_DEVICE,
                volume=ec2.BlockDeviceVolume.ebs(
                    root_volume_gib, encrypted=True, kms_key=self.key, volume_type=ec2.EbsDeviceVolumeType.GP3,
                    delete_on_termination=True))],
        )
        self.compute_environment = batch.ManagedEc2EcsComputeEnvironment(
            self, "ComputeEnvironment", vpc=self.network.vpc, vpc_subnets=self.network.subnets,
            security_groups=[self.security_group], spot=spot, maxv_cpus=max_vcpus, minv_cpus=0,
            launch_template=self.launch_template,
            instance_types=list(instance_types) or None,
            use_optimal_instance_classes=not instance_types,
            allocation_strategy=(batch.AllocationStrategy.SPOT_PRICE_CAPACITY_OPTIMIZED if spot
                                 else batch.AllocationStrategy.BEST_FIT_PROGRESSIVE),
        )
        # CDK's instance role, with AWS's policy for the ECS agent, rather than a copy of it.
        acknowledge_by_design(
            self.compute_environment,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
            "AmazonEC2ContainerServiceforEC2Role]",
            "AWS Batch documents AmazonEC2ContainerServiceforEC2Role as the ECS container instance role "
            "its agent needs (register, poll, pull images, send logs); AWS keeps it current with the agent, "
            "and jobs cannot use it because IMDSv2 with hop limit 1 keeps containers from its credentials.")

    def _limit_image_pulls(self, repositories: Sequence[ecr.IRepository]) -> None:
        """Deny the instance role image pulls from any repository but ``repositories``.

        The ECS agent pulls job images with the instance role, whose AWS managed policy
        (AmazonEC2ContainerServiceforEC2Role) allows the pull actions on ``*``; an explicit deny on every
        other repository (``NotResource``) narrows it without replacing AWS's policy.
        """
        assert isinstance(self.compute_environment, batch.ManagedEc2EcsComputeEnvironment)
        instance_role = self.compute_environment.instance_role
        assert instance_role is not None, "a managed EC2 compute environment always has an instance role"
        iam.ManagedPolicy(
            self, "ImagePullScope", roles=[instance_role],
            description="Batch instances: pull job images only from the named repositories",
            statements=[iam.PolicyStatement(
                sid="DenyImagesOutsideRepositories", effect=iam.Effect.DENY, actions=list(IMAGE_PULL_ACTIONS),
                not_resources=[repository.repository_arn for repository in repositories])])

    @checked_props
    def grant_data_access(self, bucket: BucketLike, key: KeyLike | None = None, *, write: bool = False,
                          prefix: str = "*") -> iam.Grant:
        """Let the job role read (and with ``write``, write) objects under ``prefix`` in ``bucket``.

        ``bucket`` is a :class:`PhiBucket` (whose key is used by default) or any ``s3.IBucket``
        (default: its ``encryption_key``). KMS use is limited to S3 on behalf of this account
        (kms:ViaService, kms:CallerAccount); a :class:`PhiKey` gets its S3 key-policy statement added.
        No delete, no bucket configuration. A bucket of another region is allowed with a warning.
        """
        problems = ProblemCollector(f"PipelineCompute '{self.node.id}'.grant_data_access")
        target = bucket_of(bucket)
        data_key = key_of(key) if key is not None else bucket_key_of(bucket)
        if data_key is None:
            problems.add("key", key, "pass the bucket's kms.IKey: an imported bucket does not say which key "
                                     "encrypts it")
        else:
            _, bucket_region = environment_of(target)
            _, key_region = environment_of(data_key)
            if bucket_region and key_region and bucket_region != key_region:
                problems.add("key", data_key, f"the key is in {key_region}, the bucket in {bucket_region}: S3 "
                                              "encrypts only with a key of the bucket's region")
        check_object_pattern(problems, "prefix", prefix)
        problems.raise_if_any()
        assert data_key is not None
        stack = cdk.Stack.of(self)
        _, bucket_region = environment_of(target)
        if bucket_region and known(stack.region) and bucket_region != stack.region:
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:cross-region-data",
                f"grant_data_access: the bucket is in {bucket_region}, the jobs in {stack.region}; reads cross "
                "regions (inter-region transfer charges, and the S3 gateway endpoint serves only this region's "
                "buckets, so the isolated jobs cannot reach it).")
        if isinstance(data_key, PhiKey):
            data_key.enable_services(KeyService.S3)
        object_actions = ["s3:GetObject"] + (["s3:PutObject", "s3:AbortMultipartUpload"] if write else [])
        key_actions = ["kms:Decrypt", "kms:DescribeKey"] + (["kms:GenerateDataKey"] if write else [])
        objects_arn = target.arn_for_objects(prefix)
        grant, _ = add_to_grantee_policy(
            self.job_policy,
            iam.PolicyStatement(actions=["s3:ListBucket"], resources=[target.bucket_arn]),
            iam.PolicyStatement(actions=object_actions, resources=[objects_arn]),
            iam.PolicyStatement(actions=key_actions, resources=[data_key.key_arn], conditions={"StringEquals": {
                "kms:ViaService": f"s3.{bucket_region or stack.region}.amazonaws.com",
                "kms:CallerAccount": stack.account}}),
        )
        if "*" in prefix:
            acknowledge_by_design(
                self.job_policy, f"AwsSolutions-IAM5[Resource::{nag_rendering(stack.resolve(objects_arn))}]",
                "S3 object actions can be scoped to objects only by an ARN pattern; this grant names one bucket "
                f"and the key prefix '{prefix}', with object read{'/write' if write else ''} only: no delete, "
                "no bucket configuration, and KMS use limited to S3 in this account.")
        return grant

    def _prepare_key(self, key: kms.IKey, *, ec2_volumes: bool) -> None:
        stack = cdk.Stack.of(self)
        if isinstance(key, PhiKey):
            key.enable_services(KeyService.CLOUDWATCH_LOGS, *([KeyService.EC2_EBS] if ec2_volumes else []))
            if ec2_volumes and not getattr(key, "_omics_ebs_service_linked_roles", False):
                for statement in ebs_service_linked_role_statements(account=stack.account, region=stack.region):
                    key.add_to_resource_policy(statement)
                key._omics_ebs_service_linked_roles = True  # type: ignore[attr-defined]
            return
        cdk.Annotations.of(self).add_warning_v2(
            "omics-secure:compute-key-policy",
            "The compute key is not a PhiKey: its key policy must allow CloudWatch Logs"
            + (", EC2/EBS via ec2.<region>.amazonaws.com and the service-linked roles that launch Batch "
               "instances (see ebs_service_linked_role_statements)" if ec2_volumes else "")
            + "; otherwise instances fail to start or logs are not delivered.")


class AnalysisWorkstation(Construct):
    """An EC2 instance for interactive analysis, reached only through SSM Session Manager.

    Defaults, and why: no SSH key pair and no inbound rules (Session Manager needs neither); IMDSv2
    required; a gp3 root volume encrypted with the project key; termination protection and detailed
    monitoring on; HTTPS egress to the VPC endpoints only. Sessions run through this construct's own
    Session document, which encrypts the session with the key and streams its transcript to an encrypted,
    retained log group; ``session_access_policy`` (attached by :meth:`grant_session`) allows
    sessions with that document only (``ssm:SessionDocumentAccessCheck``), so a principal holding only
    it cannot fall back to the unlogged default document.
    The network needs the SSM, SSM messages, EC2 messages, KMS and CloudWatch Logs endpoints.
    """

    session_access_policy: iam.ManagedPolicy
    """Allows sessions on this instance with the logged Session document only; :meth:`grant_session` attaches it."""

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        network: IsolatedVpc,
        key: KeyLike,
        instance_type: ec2.InstanceType | None = None,
        root_volume_gib: int = DEFAULT_ROOT_VOLUME_GIB,
        idle_timeout_minutes: int = 20,
        log_retention_days: int = DEFAULT_FLOW_LOG_RETENTION_DAYS,
    ) -> None:
        """
        :param network: the isolated VPC; its first isolated subnet holds the instance.
        :param key: the customer-managed key for the volume, the session and its transcript.
        :param instance_type: Default: r6i.2xlarge (64 GiB for variant-calling tools).
        :param root_volume_gib: 30 to 16384 GiB. Default: 100.
        :param idle_timeout_minutes: Session Manager ends idle sessions after 1 to 60 minutes. Default: 20.
        :param log_retention_days: days to keep session transcripts. Default: 365.
        """
        problems = ProblemCollector(f"AnalysisWorkstation '{id}'")
        self._validate(problems, scope, network=network, key=key, root_volume_gib=root_volume_gib,
                       idle_timeout_minutes=idle_timeout_minutes, log_retention_days=log_retention_days)
        problems.raise_if_any()

        super().__init__(scope, id)
        self.network = network
        self.key = key_of(key)
        warn_other_account(scope, id, "key", self.key, what="a key")
        if isinstance(self.key, PhiKey):
            self.key.enable_services(KeyService.CLOUDWATCH_LOGS, KeyService.EC2_EBS)
        self.session_log_group = encrypted_log_group(self, "SessionLogGroup", self.key, log_retention_days)
        self._add_role(self.key)
        self._add_session_document(self.key, idle_timeout_minutes)
        self._add_instance(self.key, instance_type, root_volume_gib)
        self._add_session_access_policy(self.key)

    @staticmethod
    def _validate(problems: ProblemCollector, scope: Construct, *, network: IsolatedVpc, key: KeyLike,
                  root_volume_gib: int, idle_timeout_minutes: int, log_retention_days: int) -> None:
        check_region(problems, scope, "key", key_of(key), what="the key",
                     why="EBS volumes, Session Manager and CloudWatch Logs use only a KMS key of their own region")
        _check_range(problems, "root_volume_gib", root_volume_gib, ROOT_VOLUME_GIB_RANGE,
                     "size the encrypted root volume")
        _check_range(problems, "idle_timeout_minutes", idle_timeout_minutes, (1, 60),
                     "Session Manager's idle timeout in minutes")
        check_log_retention(problems, "log_retention_days", log_retention_days)
        missing = [e.name for e in SESSION_MANAGER_ENDPOINTS if e not in network.interface_endpoints]
        if missing:
            problems.add("network", network,
                         f"the IsolatedVpc lacks the interface endpoints {', '.join(missing)}: Session Manager "
                         "reaches an isolated instance only through them; add them with interface_endpoints "
                         "or add_interface_endpoint")

    def _add_role(self, key: kms.IKey) -> None:
        network = self.network
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=network.vpc, allow_all_outbound=False,
            description="Analysis workstation: no inbound (Session Manager only); HTTPS out to the endpoints")
        network.allow_https_egress(self.security_group)

        self.role = iam.Role(self, "Role", assumed_by=iam.ServicePrincipal("ec2.amazonaws.com"),
                             description="Analysis workstation: SSM agent and encrypted session logging")
        self.role.add_managed_policy(iam.ManagedPolicy.from_aws_managed_policy_name("AmazonSSMManagedInstanceCore"))
        acknowledge_by_design(
            self.role,
            "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/AmazonSSMManagedInstanceCore]",
            "Session Manager requires the SSM agent permissions of AmazonSSMManagedInstanceCore (Systems Manager "
            "user guide, instance permissions); AWS keeps it current with the agent, and it grants no data access.")
        session_policy = iam.ManagedPolicy(
            self, "SessionPolicy", roles=[self.role],
            description="Analysis workstation: write encrypted session transcripts",
            statements=[
                iam.PolicyStatement(actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                                    resources=[self.session_log_group.log_group_arn]),
                iam.PolicyStatement(actions=["kms:Decrypt", "kms:GenerateDataKey"], resources=[key.key_arn]),
                # Session Manager checks that the log group is encrypted before it streams a transcript;
                # DescribeLogGroups cannot be scoped to one group (Service Authorization Reference).
                iam.PolicyStatement(actions=["logs:DescribeLogGroups"], resources=["*"]),
            ])
        acknowledge_by_design(
            session_policy, "AwsSolutions-IAM5[Resource::*]",
            "logs:DescribeLogGroups supports no resource-level permissions (Service Authorization Reference), "
            "and Session Manager calls it to confirm the transcript log group is encrypted before streaming.")


    def _add_session_document(self, key: kms.IKey, idle_timeout_minutes: int) -> None:
        self.session_document = ssm.CfnDocument(
            self, "SessionDocument",
            document_type="Session",
            update_method="NewVersion",
            content={
                "schemaVersion": "1.0",
                "description": "omics-secure: encrypted, logged shell sessions on the analysis workstation",
                "sessionType": "Standard_Stream",
                "inputs": {
                    "kmsKeyId": key.key_id,
                    "cloudWatchLogGroupName": self.session_log_group.log_group_name,
                    "cloudWatchEncryptionEnabled": True,
                    "cloudWatchStreamingEnabled": True,
                    "s3BucketName": "",
                    "s3EncryptionEnabled": True,
                    "runAsEnabled": False,
                    "idleSessionTimeout": str(idle_timeout_minutes),
                    "shellProfile": {"linux": "", "windows": ""},
                },
            },
        )

    def _add_instance(self, key: kms.IKey, instance_type: ec2.InstanceType | None, root_volume_gib: int) -> None:
        network = self.network
        # Volumes and metadata options live in a launch template that the instance names: cdk-nag 3.0.2's
        # AwsSolutions-EC26 throws on an instance without a launch template in any stack that has one
        # (as a stack with PipelineCompute does), so the template keeps the rule judging.
        self.launch_template = ec2.LaunchTemplate(
            self, "LaunchTemplate",
            require_imdsv2=True,
            http_put_response_hop_limit=1,
            block_devices=[ec2.BlockDevice(
                device_name=ROOT_DEVICE,
                volume=ec2.BlockDeviceVolume.ebs(
                    root_volume_gib, encrypted=True, kms_key=key, volume_type=ec2.EbsDeviceVolumeType.GP3,
                    delete_on_termination=True))],
        )
        self.instance = ec2.Instance(
            self, "Resource",
            vpc=network.vpc,
            vpc_subnets=ec2.SubnetSelection(subnets=[network.vpc.isolated_subnets[0]]),
            instance_type=instance_type or ec2.InstanceType("r6i.2xlarge"),
            machine_image=ec2.MachineImage.latest_amazon_linux2023(),
            role=self.role,
            security_group=self.security_group,
            # No public address: the isolated subnet has MapPublicIpOnLaunch false and no internet route.
            # (associate_public_ip_address=False would move the subnet into NetworkInterfaces, where
            # the HIPAA/NIST EC2InstancesInVPC rules no longer see it.)
            http_tokens=ec2.HttpTokens.REQUIRED,
            http_endpoint=True,
            http_put_response_hop_limit=1,
            detailed_monitoring=True,
            disable_api_termination=True,
            ebs_optimized=True,
        )
        cfn_instance = self.instance.node.default_child
        assert isinstance(cfn_instance, ec2.CfnInstance)
        cfn_instance.launch_template = ec2.CfnInstance.LaunchTemplateSpecificationProperty(
            launch_template_id=self.launch_template.launch_template_id,
            version=self.launch_template.latest_version_number)

    def _add_session_access_policy(self, key: kms.IKey) -> None:
        stack = cdk.Stack.of(self)
        self._document_arn = stack.format_arn(service="ssm", resource="document",
                                              resource_name=self.session_document.ref)
        instance_arn = stack.format_arn(service="ec2", resource="instance", resource_name=self.instance.instance_id)
        session_arn = stack.format_arn(service="ssm", resource="session", resource_name="${aws:userid}-*")
        self.session_access_policy = iam.ManagedPolicy(
            self, "SessionAccessPolicy",
            description="Start Session Manager sessions on the analysis workstation, logged document only")
        self._session_grant, _ = add_to_grantee_policy(
            self.session_access_policy,
            iam.PolicyStatement(
                actions=["ssm:StartSession"], resources=[instance_arn, self._document_arn],
                conditions={"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}),
            iam.PolicyStatement(actions=["ssm:TerminateSession", "ssm:ResumeSession"], resources=[session_arn]),
            iam.PolicyStatement(actions=["kms:GenerateDataKey"], resources=[key.key_arn]))
        rendered = nag_rendering(stack.resolve(session_arn)).replace("${aws:userid}", "<aws:userid>")
        acknowledge_by_design(
            self.session_access_policy, f"AwsSolutions-IAM5[Resource::{rendered}]",
            "Session Manager names sessions '<caller user id>-<random suffix>'; the ${aws:userid} variable limits "
            "terminate and resume to the caller's own sessions, and the suffix is unknown until StartSession.")

    @checked_props
    def grant_session(self, principal: iam.IRole | iam.IUser | iam.IGroup | HasRole) -> iam.Grant:
        """Attach ``session_access_policy``: sessions on this instance with the logged document only.

        Returns the grant of those session permissions, whose statements live in that managed policy.
        """
        target = unwrap(principal, "role")
        target.add_managed_policy(self.session_access_policy)
        return self._session_grant


class HealthOmicsRunNetwork(Construct):
    """A HealthOmics run configuration that connects workflow runs to the isolated VPC.

    CloudFormation supports HealthOmics run networking only through ``AWS::Omics::Configuration``
    (``RunConfigurations.VpcConfig``); ``AWS::Omics::Workflow``, ``WorkflowVersion`` and ``RunGroup``
    have no network properties. Runs use it when started with ``networkingMode=VPC`` and
    ``configurationName=<configuration_name>``; without it they stay in HealthOmics' RESTRICTED mode
    (same-Region S3 and ECR only). In this VPC, connected runs reach only the VPC endpoints (no
    internet), through a security group with no inbound rules and HTTPS egress to the endpoints.
    The subnets' Availability Zones must be ones HealthOmics Workflows runs in.
    """

    @checked_props
    def __init__(self, scope: Construct, id: str, *, network: IsolatedVpc,
                 configuration_name: str | None = None, description: str | None = None) -> None:
        """
        :param network: the isolated VPC whose subnets the run ENIs use.
        :param configuration_name: 1-128 characters: letters, digits, '-', '.', '_', starting with a
            letter or digit. Default: ``<stack name>-<id>``.
        :param description: Default: a generic description; never put PHI here.
        """
        problems = ProblemCollector(f"HealthOmicsRunNetwork '{id}'")
        if not isinstance(network, IsolatedVpc):
            problems.add("network", network, "pass an IsolatedVpc")
        stack = cdk.Stack.of(scope)
        name = configuration_name if configuration_name is not None else _default_name(stack, id)
        if not is_unresolved(name) and not _OMICS_CONFIGURATION_NAME.match(name):
            problems.add("configuration_name", configuration_name,
                         "use 1-128 letters, digits, '-', '.' or '_', starting with a letter or digit")
        check_phi(problems, "configuration_name", configuration_name)
        check_label(problems, "description", description, OMICS_CONFIGURATION_DESCRIPTION_MAX)
        problems.raise_if_any()
        super().__init__(scope, id)
        self.configuration_name = name
        self.security_group = ec2.SecurityGroup(
            self, "SecurityGroup", vpc=network.vpc, allow_all_outbound=False,
            description="HealthOmics VPC-connected runs: no inbound; HTTPS out to the endpoints")
        network.allow_https_egress(self.security_group)
        self.configuration = omics.CfnConfiguration(
            self, "Resource",
            name=name,
            description=description or "omics-secure: HealthOmics runs connected to the isolated VPC",
            run_configurations=omics.CfnConfiguration.RunConfigurationsProperty(
                vpc_config=omics.CfnConfiguration.VpcConfigProperty(
                    subnet_ids=[subnet.subnet_id for subnet in network.vpc.isolated_subnets],
                    security_group_ids=[self.security_group.security_group_id])),
        )


def _default_name(stack: cdk.Stack, id: str) -> str:
    stack_name = stack.stack_name if not is_unresolved(stack.stack_name) else stack.node.id
    return re.sub(r"[^A-Za-z0-9._-]", "-", f"{stack_name}-{id}")[:128]


def _check_range(problems: ProblemCollector, prop: str, value: object, allowed: tuple[int, int], what: str) -> None:
    if is_unresolved(value):
        return
    low, high = allowed
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        problems.add(prop, value, f"{what}: a whole number from {low} to {high}")

