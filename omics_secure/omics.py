"""AWS HealthOmics on customer-managed keys: sequence and reference stores, private workflows, run groups
and least-privilege run roles.

Requirements from the HealthOmics data-protection guide: stores are encrypted under a customer-managed
key whose policy allows kms:CreateGrant, kms:DescribeKey, kms:GenerateDataKey and kms:Decrypt through
HealthOmics (a :class:`~omics_secure.keys.PhiKey` gets these statements when a store is created on it);
the service's grants are never revoked or retired (delete the store instead); no sensitive data in
names, descriptions or tags.

Variant and annotation stores (HealthOmics analytics) are not built here: AWS closed them to new
customers on 7 November 2025. The OmicsSecure rules still judge ``AWS::Omics::VariantStore`` and
``AWS::Omics::AnnotationStore`` resources that existing customers keep in their templates.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from enum import Enum
from pathlib import Path, PurePosixPath
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_omics as omics
from aws_cdk import aws_s3_assets as s3_assets
from constructs import Construct

from omics_secure._internal.acknowledgments import acknowledge, nag_rendering
from omics_secure._internal.environment import CONCRETE_ENV_EXAMPLE, check_region, require_concrete_environment
from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.files import InputFileError, confined, escaping_entry
from omics_secure._internal.labels import check_label, check_phi, check_prefix, check_role_name, check_tags
from omics_secure._internal.props import checked_props
from omics_secure._internal.tags import DATA_CLASSIFICATION_TAG, PHI
from omics_secure.images import (
    RepositoryLike,
    check_repositories,
    container_registry_map,
    repository_of,
)
from omics_secure.keys import KeyLike, KeyService, PhiKey, key_of, prepare_key_for_services
from omics_secure.storage import AccessLogBucket, BucketLike, PhiBucket, bucket_of

OMICS_NAME_MAX = 127
DESCRIPTION_MAX = 255
DEFAULT_MAX_CPUS = 256
DEFAULT_MAX_GPUS = 4
DEFAULT_MAX_RUNS = 10
DEFAULT_MAX_DURATION_HOURS = 24
RUN_GROUP_LIMIT = 100000  # the CloudFormation maximum of every run-group cap
# The log group HealthOmics writes run logs to ("Service roles for AWS HealthOmics").
WORKFLOW_LOG_GROUP = "/aws/omics/WorkflowLog"
ECR_PULL_ACTIONS = ("ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer", "ecr:BatchCheckLayerAvailability")
REFERENCE_READ_ACTIONS = ("omics:GetReference", "omics:GetReferenceMetadata")
STORE_KEY_READ_ACTIONS = ("kms:Decrypt", "kms:DescribeKey")


def check_key(problems: ProblemCollector, scope: Construct, key: KeyLike) -> None:
    """The customer-managed key of a store: in the store's region, with a concrete environment for a PhiKey."""
    key = key_of(key)
    if not hasattr(key, "add_to_resource_policy"):
        problems.add("key", key, "pass the customer-managed key (a PhiKey, or kms.Key.from_key_arn(...)); "
                                 "AWS-owned keys cannot be audited or revoked")
        return
    if isinstance(key, PhiKey) and (is_unresolved(key.stack.account) or is_unresolved(key.stack.region)):
        problems.add("key", key,
                     "the service statements this adds to the key name its account and region; create the key's "
                     f"stack with {CONCRETE_ENV_EXAMPLE}")
    check_region(problems, scope, "key", key, what="the key",
                 why="HealthOmics and HealthLake encrypt a store only with a KMS key of the store's region")


def check_removal_policy(problems: ProblemCollector, removal_policy: object) -> None:
    if removal_policy not in (cdk.RemovalPolicy.RETAIN, cdk.RemovalPolicy.DESTROY):
        problems.add("removal_policy", removal_policy, "use RETAIN (the default) or DESTROY")


def check_definition_labels(problems: ProblemCollector, description: str | None, main: str | None,
                            parameters: Mapping[str, str] | None, tags: Mapping[str, str] | None) -> None:
    """The free-text props a workflow and a workflow version share, held to CloudFormation's lengths and the
    PHI screen."""
    check_label(problems, "description", description, 256)
    check_label(problems, "main", main, 128)
    for parameter, text in (parameters or {}).items():
        check_label(problems, f"parameters[{parameter!r}]", parameter, 256)
        check_label(problems, f"parameters[{parameter!r}]", text, 256)
    check_tags(problems, tags)


def definition_properties(cfn: type[omics.CfnWorkflow] | type[omics.CfnWorkflowVersion], uri: str, owner: str | None, *,
                          engine: WorkflowEngine | None, main: str | None, parameters: Mapping[str, str] | None,
                          gpu: bool, image_map: Sequence[tuple[str, str]], tags: Mapping[str, str] | None
                          ) -> dict[str, Any]:
    """The properties ``AWS::Omics::Workflow`` and ``AWS::Omics::WorkflowVersion`` share: the definition, its
    owner pinned, the engine, the parameters (a name ending in ``?`` is optional), GPUs, the registry map."""
    struct: Any = cfn  # the two types' property structs have the same fields; mypy cannot unify their unions
    templates = {
        parameter.removesuffix("?"): struct.WorkflowParameterProperty(
            description=text, optional=parameter.endswith("?"))
        for parameter, text in (parameters or {}).items()
    }
    return {
        "definition_uri": uri,
        "workflow_bucket_owner_id": owner,
        "engine": engine.value if engine is not None else None,
        "main": main,
        "parameter_template": templates or None,
        "accelerators": "GPU" if gpu else None,
        "container_registry_map": struct.ContainerRegistryMapProperty(image_mappings=[
            struct.ImageMappingProperty(source_image=source, destination_image=destination)
            for source, destination in image_map]) if image_map else None,
        "tags": dict(tags) if tags else None,
    }


def default_name(scope: Construct, id: str) -> str:
    stack = cdk.Stack.of(scope)
    stack_name = stack.stack_name if not is_unresolved(stack.stack_name) else stack.node.id
    return f"{stack_name}-{id}"[:OMICS_NAME_MAX]


def finish_store(construct: Construct, resource: cdk.CfnResource, tags: Mapping[str, str] | None,
                 removal_policy: cdk.RemovalPolicy, what: str) -> None:
    """Tags, removal policy and the DESTROY warning every store and datastore shares."""
    resource.apply_removal_policy(removal_policy)
    cdk.Tags.of(resource).add(DATA_CLASSIFICATION_TAG, PHI)
    for tag_key, tag_value in (tags or {}).items():
        cdk.Tags.of(resource).add(tag_key, tag_value)
    if removal_policy is cdk.RemovalPolicy.DESTROY:
        cdk.Annotations.of(construct).add_warning_v2(
            "omics-secure:store-destroy",
            f"removal_policy=DESTROY: deleting the stack deletes this {what} and the data in it. Use it only "
            "for disposable environments.")


class SequenceStore(Construct):
    """A HealthOmics sequence store (FASTQ, uBAM, BAM, CRAM read sets) on a customer-managed key.

    Defaults, and why: encrypted with ``key`` (a PhiKey gets the HealthOmics storage statements added);
    S3 access logs of the store's read sets delivered to the project's :class:`AccessLogBucket`; retained
    on stack deletion; tagged ``omics-secure:data-classification=phi``.

    The S3 access policy: HealthOmics gives every new store a default S3 access policy that lets only
    the owning account read its read sets through S3 (GetObject, GetObjectTagging, ListBucket), so IAM
    policies decide. CloudFormation accepts an ``S3AccessPolicy``, but its statements must name the
    store's own S3 access point, whose ARN exists only after creation (the read-only ``S3AccessPointArn``
    attribute of the same resource); ``s3_access_policy`` is therefore opt-in for callers who know it.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        key: KeyLike,
        access_logs: AccessLogBucket,
        access_log_prefix: str | None = None,
        name: str | None = None,
        description: str | None = None,
        s3_access_policy: iam.PolicyDocument | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        """
        :param key: the customer-managed key (required: the encryption of a store cannot be changed later).
        :param access_logs: the bucket that receives the S3 access logs of the store's read sets (required:
            access to PHI is logged).
        :param access_log_prefix: Default: ``omics/<id>/``.
        :param name: Default: ``<stack name>-<id>``. Names must not look like PHI.
        :param description: Default: none. Must not look like PHI.
        :param s3_access_policy: replaces HealthOmics's default S3 access policy (see the class docstring).
            Default: none, the service default (owning account, read-only). A statement allowing the
            ``*`` principal without conditions is refused.
        :param tags: must not look like PHI. Default: none besides the data-classification tag.
        :param removal_policy: Default: RETAIN; DESTROY is allowed with a warning.
        """
        problems = ProblemCollector(f"SequenceStore '{id}'")
        check_key(problems, scope, key)
        if cdk.Stack.of(access_logs).region != cdk.Stack.of(scope).region:
            problems.add("access_logs", access_logs, "use an AccessLogBucket of the store's region: S3 delivers "
                                                     "access logs within one region")
        prefix = access_log_prefix if access_log_prefix is not None else f"omics/{id}/"
        if not is_unresolved(prefix) and (not prefix.endswith("/") or prefix.startswith("/") or len(prefix) > 800):
            problems.add("access_log_prefix", access_log_prefix,
                         "use a relative prefix ending in '/', up to 800 characters, e.g. 'omics/reads/'")
        check_label(problems, "access_log_prefix", prefix, 800)
        check_label(problems, "name", name, OMICS_NAME_MAX)
        check_label(problems, "description", description, DESCRIPTION_MAX)
        check_tags(problems, tags)
        check_removal_policy(problems, removal_policy)
        if s3_access_policy is not None:
            _check_access_policy(problems, scope, s3_access_policy)
        problems.raise_if_any()

        super().__init__(scope, id)
        key = key_of(key)
        prepare_key_for_services(self, key, KeyService.HEALTHOMICS_STORAGE)
        self.key = key
        self.access_logs = access_logs
        self.access_log_location = f"s3://{access_logs.bucket.bucket_name}/{prefix}"
        self.store = omics.CfnSequenceStore(
            self, "Resource",
            name=name or default_name(scope, id),
            description=description,
            sse_config=omics.CfnSequenceStore.SseConfigProperty(type="KMS", key_arn=key.key_arn),
            access_log_location=self.access_log_location,
            s3_access_policy=s3_access_policy.to_json() if s3_access_policy is not None else None,
        )
        finish_store(self, self.store, tags, removal_policy, "sequence store")
        self._allow_log_delivery(access_logs, prefix)

    def _allow_log_delivery(self, access_logs: AccessLogBucket, prefix: str) -> None:
        """Let S3 log delivery write the store's access logs under ``prefix``, from the store's own source only.

        The read sets live in a bucket of a HealthOmics service account, reached through the store's S3 access
        point (``S3AccessPointArn``: ``arn:aws:s3:<region>:<service account>:accesspoint/...``), so the log
        bucket's own statement, which names this account's source buckets, does not cover it. S3 log delivery
        sends ``aws:SourceAccount`` (the source bucket's owner) and ``aws:SourceArn``
        (``arn:aws:s3:::<source bucket>``):
        https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html#grant-log-delivery-permissions-general.
        HealthOmics publishes only the access point, not the bucket (``S3Uri`` names the access point's alias,
        ``<...>-s3alias``), so no ``aws:SourceArn`` can be written for it; the statement is pinned to the
        account that owns the store's access point instead, which excludes every other account's buckets.
        """
        service_account = cdk.Fn.select(4, cdk.Fn.split(":", self.store.attr_s3_access_point_arn))
        access_logs.bucket.add_to_resource_policy(iam.PolicyStatement(
            sid=f"OmicsLogDelivery{cdk.Names.unique_id(self)[-48:]}",
            principals=[iam.ServicePrincipal("logging.s3.amazonaws.com")], actions=["s3:PutObject"],
            resources=[access_logs.bucket.arn_for_objects(f"{prefix}*")],
            conditions={"StringEquals": {"aws:SourceAccount": service_account}}))

    @property
    def store_arn(self) -> str:
        return self.store.attr_arn

    @property
    def store_id(self) -> str:
        return self.store.attr_sequence_store_id


class ReferenceStore(Construct):
    """A HealthOmics reference store (reference genomes) on a customer-managed key.

    Defaults, and why: encrypted with ``key`` (a PhiKey gets the HealthOmics storage statements added);
    retained on stack deletion; tagged ``omics-secure:data-classification=phi`` (references are public
    data, but the store shares the project key and its tags are create-only in CloudFormation).
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        key: KeyLike,
        name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        """
        :param key: the customer-managed key (required: the encryption of a store cannot be changed later).
        :param name: Default: ``<stack name>-<id>``. Must not look like PHI.
        :param description: Default: none. Must not look like PHI.
        :param tags: must not look like PHI; CloudFormation replaces the store when they change.
        :param removal_policy: Default: RETAIN; DESTROY is allowed with a warning.
        """
        problems = ProblemCollector(f"ReferenceStore '{id}'")
        check_key(problems, scope, key)
        check_label(problems, "name", name, OMICS_NAME_MAX)
        check_label(problems, "description", description, DESCRIPTION_MAX)
        check_tags(problems, tags)
        check_removal_policy(problems, removal_policy)
        problems.raise_if_any()

        super().__init__(scope, id)
        key = key_of(key)
        prepare_key_for_services(self, key, KeyService.HEALTHOMICS_STORAGE)
        self.key = key
        self.store = omics.CfnReferenceStore(
            self, "Resource",
            name=name or default_name(scope, id),
            description=description,
            sse_config=omics.CfnReferenceStore.SseConfigProperty(type="KMS", key_arn=key.key_arn),
        )
        finish_store(self, self.store, tags, removal_policy, "reference store")

    @property
    def store_arn(self) -> str:
        return self.store.attr_arn

    @property
    def store_id(self) -> str:
        return self.store.attr_reference_store_id


class WorkflowEngine(Enum):
    WDL = "WDL"
    NEXTFLOW = "NEXTFLOW"
    CWL = "CWL"


class WorkflowDefinition:
    """Where a private workflow's definition (a ZIP of WDL, Nextflow or CWL files) comes from.

    CloudFormation's ``AWS::Omics::Workflow`` takes the definition from S3 (``DefinitionUri``) or from a
    Git repository connection; it has no inline definition. :meth:`from_asset` packages a local file or
    directory as a CDK asset, so synthesis needs no AWS account and ``cdk deploy`` uploads it.
    """

    @checked_props
    def __init__(self, *, path: str | None = None, bucket: BucketLike | None = None,
                 object_key: str | None = None) -> None:
        self._path = path
        self._bucket = bucket_of(bucket) if bucket is not None else None
        self._object_key = object_key

    @staticmethod
    def from_asset(path: str) -> WorkflowDefinition:
        """A local directory (zipped at synthesis) or ZIP file holding the workflow's main file."""
        return WorkflowDefinition(path=path)

    @staticmethod
    def from_bucket(bucket: BucketLike, object_key: str) -> WorkflowDefinition:
        """A ZIP already in S3, in this region; the workflow checks the bucket's owner is ``bucket``'s account."""
        return WorkflowDefinition(bucket=bucket, object_key=object_key)

    def _check(self, problems: ProblemCollector, scope: Construct, main: str | None = None) -> None:
        if self._path is not None:
            self._check_path(problems, main)
        elif self._bucket is None or not self._object_key:
            problems.add("definition", self._object_key,
                         "pass WorkflowDefinition.from_bucket(bucket, 'workflows/main.zip') with an object key")
        else:
            check_phi(problems, "definition.object_key", self._object_key)
            check_region(problems, scope, "definition", self._bucket, what="the definition's bucket",
                         why="HealthOmics reads a workflow definition only from a bucket of the workflow's region")

    def _check_path(self, problems: ProblemCollector, main: str | None) -> None:
        """The local definition: a directory or a .zip file, nothing in it that leads outside it, and ``main``
        inside it. CDK bundles the asset following symbolic links, so a link out of the directory would carry
        the file it names into the workflow's definition."""
        path = Path(str(self._path))
        if not path.exists():
            problems.add("definition", self._path, "WorkflowDefinition.from_asset needs an existing directory or "
                                                   ".zip file")
            return
        if path.is_dir():
            escaping = escaping_entry(path)
            if escaping is not None:
                problems.add("definition", self._path, f"{escaping}; keep the workflow's files inside its directory "
                                                       "(copy them in, not link them)")
        elif not (path.is_file() and path.suffix.lower() == ".zip"):
            problems.add("definition", self._path, "WorkflowDefinition.from_asset takes a directory or a .zip file")
        if main is not None and not is_unresolved(main):
            inner = PurePosixPath(main)
            if inner.is_absolute() or ".." in inner.parts:
                problems.add("main", main, "name the main file by its path inside the definition, without '..' "
                                           "or a leading '/' (e.g. 'main.wdl')")
            elif path.is_dir():
                try:
                    found = confined(path, main, what="main")
                except InputFileError as error:
                    problems.add("main", main, f"{error}; name a file inside the definition directory")
                else:
                    if not found.is_file():
                        problems.add("main", main, "is not a file of the definition directory; name the workflow's "
                                                   "main file")

    def _bind(self, scope: Construct) -> tuple[str, str | None]:
        """The definition's S3 URI and the account that must own its bucket (None when unknown)."""
        stack = cdk.Stack.of(scope)
        if self._path is not None:
            # Absolute, because the jsii runtime resolves relative paths against its own working directory,
            # which is not Python's once the app has changed directory.
            asset = s3_assets.Asset(scope, "Definition", path=os.path.abspath(self._path))
            return asset.s3_object_url, stack.account if not is_unresolved(stack.account) else None
        assert self._bucket is not None and self._object_key is not None
        owner = self._bucket.env.account
        return f"s3://{self._bucket.bucket_name}/{self._object_key}", None if is_unresolved(owner) else owner


class PrivateWorkflow(Construct):
    """A HealthOmics private workflow from a definition you supply.

    Defaults, and why: the definition's bucket must belong to this account (``WorkflowBucketOwnerId``), so
    a bucket that changed hands cannot substitute the code that reads PHI; no GPUs unless asked for.
    Workflows use no KMS grants: their temporary file system is encrypted by AWS with XTS-AES-256, and
    runs read and write PHI through the run role (:class:`WorkflowRunRole`).
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        definition: WorkflowDefinition,
        engine: WorkflowEngine | None = None,
        main: str | None = None,
        name: str | None = None,
        description: str | None = None,
        parameters: Mapping[str, str] | None = None,
        gpu: bool = False,
        container_repositories: Sequence[RepositoryLike] = (),
        image_mappings: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """
        :param definition: ``WorkflowDefinition.from_asset(path)`` or ``from_bucket(bucket, key)``.
        :param engine: Default: detected by HealthOmics from the definition.
        :param main: the main file inside the ZIP. Default: HealthOmics looks for the only top-level file.
        :param name: Default: ``<stack name>-<id>``. Must not look like PHI.
        :param description: Default: none. Must not look like PHI.
        :param parameters: parameter name to description; a name ending in ``?`` is optional. Default: none
            (HealthOmics reads the parameters from the definition).
        :param gpu: allow GPU tasks (``Accelerators: GPU``). Default: False.
        :param container_repositories: the private repositories the workflow's images come from
            (:class:`~omics_secure.images.ImageRepository` or ``ecr.IRepository``). Default: none.
        :param image_mappings: the container registry map's ``ImageMappings``: image URI in the definition
            to an image of one of ``container_repositories`` (``f"{repo.repository_uri}:<tag>"``). A
            destination outside them is refused. Default: none (no registry map).
        :param tags: must not look like PHI.
        """
        problems = ProblemCollector(f"PrivateWorkflow '{id}'")
        if not isinstance(definition, WorkflowDefinition):
            problems.add("definition", definition,
                         "pass WorkflowDefinition.from_asset('workflows/x') or WorkflowDefinition.from_bucket(...)")
        else:
            definition._check(problems, scope, main)
        if engine is not None and not isinstance(engine, WorkflowEngine):
            problems.add("engine", engine, "use WorkflowEngine.WDL, NEXTFLOW or CWL")
        check_label(problems, "name", name, 128)
        check_definition_labels(problems, description, main, parameters, tags)
        repositories = check_repositories(problems, "container_repositories", container_repositories)
        image_map = container_registry_map(problems, "image_mappings", image_mappings, repositories, scope)
        problems.raise_if_any()

        super().__init__(scope, id)
        self.container_repositories = tuple(repositories)
        uri, owner = definition._bind(self)
        self.workflow = omics.CfnWorkflow(
            self, "Resource", name=name or default_name(scope, id)[:128], description=description,
            **definition_properties(omics.CfnWorkflow, uri, owner, engine=engine, main=main, parameters=parameters,
                                    gpu=gpu, image_map=image_map, tags=tags))
        self.definition_uri = uri

    @property
    def workflow_arn(self) -> str:
        return self.workflow.attr_arn

    @property
    def workflow_id(self) -> str:
        return self.workflow.attr_id


class RunGroup(Construct):
    """A HealthOmics run group: every run started in it shares caps on CPUs, GPUs, duration and runs.

    Defaults, and why: 256 vCPUs, 4 GPUs, 24 hours per run and 10 concurrent runs, so that a runaway or
    misconfigured workflow cannot run up unbounded compute on PHI. Every cap is always set; there is no
    "unlimited".
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        max_cpus: int = DEFAULT_MAX_CPUS,
        max_gpus: int = DEFAULT_MAX_GPUS,
        max_duration: cdk.Duration | None = None,
        max_runs: int = DEFAULT_MAX_RUNS,
        name: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """
        :param max_cpus: vCPUs across the group's active runs, 1 to 100000. Default: 256.
        :param max_gpus: GPUs across the group's active runs, 1 to 100000. Default: 4.
        :param max_duration: the longest a run may take, whole minutes from 1 minute. Default: 24 hours.
        :param max_runs: concurrent runs, 1 to 100000. Default: 10.
        :param name: Default: ``<stack name>-<id>``. Must not look like PHI.
        :param tags: must not look like PHI.
        """
        problems = ProblemCollector(f"RunGroup '{id}'")
        for prop, value in (("max_cpus", max_cpus), ("max_gpus", max_gpus), ("max_runs", max_runs)):
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= RUN_GROUP_LIMIT:
                problems.add(prop, value, f"use a whole number from 1 to {RUN_GROUP_LIMIT}; every cap must be set")
        minutes = DEFAULT_MAX_DURATION_HOURS * 60
        if max_duration is not None:
            if not isinstance(max_duration, cdk.Duration):
                problems.add("max_duration", max_duration, "pass a cdk.Duration, e.g. cdk.Duration.hours(24)")
            else:
                try:
                    minutes = int(max_duration.to_minutes())
                except Exception:  # jsii raises a plain Error for a duration that is not whole minutes
                    problems.add("max_duration", max_duration.to_human_string(), "use whole minutes")
                if not 1 <= minutes <= RUN_GROUP_LIMIT:
                    problems.add("max_duration", max_duration.to_human_string(),
                                 f"use 1 to {RUN_GROUP_LIMIT} minutes, e.g. cdk.Duration.hours(24)")
        check_label(problems, "name", name, 128)
        check_tags(problems, tags)
        problems.raise_if_any()

        super().__init__(scope, id)
        self.run_group = omics.CfnRunGroup(
            self, "Resource",
            name=name or default_name(scope, id)[:128],
            max_cpus=max_cpus, max_gpus=max_gpus, max_duration=minutes, max_runs=max_runs,
            tags=dict(tags) if tags else None,
        )

    @property
    def run_group_arn(self) -> str:
        return self.run_group.attr_arn

    @property
    def run_group_id(self) -> str:
        return self.run_group.attr_id


class WorkflowRunRole(Construct):
    """The service role HealthOmics assumes for a workflow run: reads inputs, writes outputs, logs.

    Least privilege, and why:

    - Trusted by ``omics.amazonaws.com`` only for runs of this account and region (``aws:SourceAccount``,
      ``aws:SourceArn``), so the role cannot be borrowed for another account's run (confused deputy).
    - Inputs and outputs are PHI buckets, granted with their own ``grant_read``/``grant_write``: named
      actions on the bucket and on its key through S3, limited to a prefix; no delete.
    - Reference stores: omics:GetReference and omics:GetReferenceMetadata on that store's references,
      and kms:Decrypt through HealthOmics on the store's key.
    - Container images: pull actions on the named ECR repositories only.
    - Logs: the ``/aws/omics/WorkflowLog`` group HealthOmics writes to.
    - The permissions live in a customer-managed policy (``Policy``), not an inline policy.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        inputs: Sequence[PhiBucket] = (),
        outputs: Sequence[PhiBucket] = (),
        input_prefix: str = "",
        output_prefix: str = "omics-runs/",
        reference_stores: Sequence[ReferenceStore] = (),
        container_repositories: Sequence[RepositoryLike] = (),
        role_name: str | None = None,
    ) -> None:
        """
        :param inputs: PHI buckets runs read from. Default: none.
        :param outputs: PHI buckets runs write to. Default: none; at least one of inputs/outputs is needed.
        :param input_prefix: the key prefix runs may read. Default: the whole bucket ("").
        :param output_prefix: the key prefix runs may write. Default: ``omics-runs/``.
        :param reference_stores: reference stores runs read genomes from. Default: none.
        :param container_repositories: private ECR repositories of the workflow's images
            (:class:`~omics_secure.images.ImageRepository` or ``ecr.IRepository``); the role may pull from
            these only. Default: none.
        :param role_name: Default: generated. Must not look like PHI.
        """
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"WorkflowRunRole '{id}'")
        for prop, buckets in (("inputs", inputs), ("outputs", outputs)):
            for bucket in buckets:
                if not isinstance(bucket, PhiBucket):
                    problems.add(prop, bucket, "pass PhiBuckets: their grants cover the bucket and its key")
                elif cdk.Stack.of(bucket) is not stack:
                    problems.add(prop, bucket, "use PHI buckets of the role's own stack")
        if not inputs and not outputs:
            problems.add("inputs", [], "a run role without inputs or outputs can do nothing; pass PHI buckets")
        for prop, prefix in (("input_prefix", input_prefix), ("output_prefix", output_prefix)):
            check_prefix(problems, prop, prefix)
        for store in reference_stores:
            if not isinstance(store, ReferenceStore):
                problems.add("reference_stores", store, "pass ReferenceStore constructs")
        check_role_name(problems, "role_name", role_name)
        require_concrete_environment(problems, stack, "env", f"stack '{stack.node.id}'",
                                     "the trust policy's conditions (the account and region of the runs)")
        problems.raise_if_any()

        super().__init__(scope, id)
        account, region, partition = stack.account, stack.region, stack.partition
        self.role = iam.Role(
            self, "Resource",
            role_name=role_name,
            description="omics-secure: HealthOmics workflow run role",
            assumed_by=iam.ServicePrincipal("omics.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": account},
                "ArnLike": {"aws:SourceArn": f"arn:{partition}:omics:{region}:{account}:run/*"},
            }),
        )
        self.policy = iam.ManagedPolicy(self, "Policy", roles=[self.role],
                                        description="omics-secure: HealthOmics workflow run permissions")
        wildcard_reasons: dict[str, str] = {}
        # The PHI buckets' grants acknowledge their own object-ARN patterns on this policy.
        for bucket in inputs:
            bucket.grant_read(self.policy, f"{input_prefix}*")
        for bucket in outputs:
            bucket.grant_write(self.policy, f"{output_prefix}*")
        for store in reference_stores:
            iam.Grant.add_to_principal(grantee=self.policy, actions=list(REFERENCE_READ_ACTIONS),
                                       resource_arns=[f"{store.store_arn}/reference/*"])
            iam.Grant.add_to_principal(
                grantee=self.policy, actions=list(STORE_KEY_READ_ACTIONS), resource_arns=[store.key.key_arn],
                conditions={"StringEquals": {"kms:ViaService": f"omics.{region}.amazonaws.com",
                                             "kms:CallerAccount": account}})
            logical = stack.get_logical_id(store.store)
            wildcard_reasons[f"Resource::<{logical}.Arn>/reference/*"] = (
                "HealthOmics reference ARNs are <store ARN>/reference/<id>, with ids assigned on import; this "
                "grants two read actions on the references of one named reference store.")
        if container_repositories:
            iam.Grant.add_to_principal(grantee=self.policy, actions=list(ECR_PULL_ACTIONS),
                                       resource_arns=[repository_of(r).repository_arn
                                                      for r in container_repositories])
        log_group = f"arn:{partition}:logs:{region}:{account}:log-group:{WORKFLOW_LOG_GROUP}"
        self.policy.add_statements(
            iam.PolicyStatement(sid="CreateWorkflowLogGroup", actions=["logs:CreateLogGroup"],
                                resources=[f"{log_group}:*"]),
            iam.PolicyStatement(sid="WriteWorkflowLogs",
                                actions=["logs:DescribeLogStreams", "logs:CreateLogStream", "logs:PutLogEvents"],
                                resources=[f"{log_group}:log-stream:*"]),
        )
        log_reason = ("HealthOmics writes each run's logs to a new stream named after the run id in the "
                      f"{WORKFLOW_LOG_GROUP} group; the run id is unknown until the run starts.")
        rendered_log_group = nag_rendering(stack.resolve(log_group))
        wildcard_reasons[f"Resource::{rendered_log_group}:*"] = (
            "IAM names a CloudWatch Logs log group by its ARN followed by ':*'; this is the one group, "
            f"{WORKFLOW_LOG_GROUP}, that HealthOmics creates and writes run logs to.")
        wildcard_reasons[f"Resource::{rendered_log_group}:log-stream:*"] = log_reason
        for finding, reason in wildcard_reasons.items():
            acknowledge(self.policy, f"AwsSolutions-IAM5[{finding}]", reason)

    @property
    def role_arn(self) -> str:
        return self.role.role_arn


def _check_access_policy(problems: ProblemCollector, scope: Construct, document: object) -> None:
    if not isinstance(document, iam.PolicyDocument):
        problems.add("s3_access_policy", document, "pass an iam.PolicyDocument")
        return
    resolved = cdk.Stack.of(scope).resolve(document.to_json())
    for statement in resolved.get("Statement", []):
        principal = statement.get("Principal")
        open_principal = principal == "*" or (isinstance(principal, dict) and "*" in str(principal.get("AWS")))
        if statement.get("Effect") == "Allow" and open_principal and not statement.get("Condition"):
            problems.add("s3_access_policy", statement.get("Sid") or statement,
                         "do not allow the '*' principal without conditions; name the roles that may read")
