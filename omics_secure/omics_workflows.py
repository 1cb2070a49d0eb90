"""HealthOmics workflow versions and run caches.

A :class:`WorkflowVersion` is a new version of a :class:`~omics_secure.omics.PrivateWorkflow`
(``AWS::Omics::WorkflowVersion``), whose container registry map may point only at the image repositories
it is given. A :class:`RunCache` (``AWS::Omics::RunCache``) keeps the outputs of completed tasks, which are
intermediate PHI, under a prefix of a :class:`~omics_secure.storage.PhiBucket` whose owner is pinned, and
grants a run role that prefix only.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import Enum

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_omics as omics
from constructs import Construct

from omics_secure._internal.environment import check_region, require_concrete_environment
from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.labels import check_label, check_prefix, check_tags
from omics_secure._internal.props import checked_props
from omics_secure._internal.tags import DATA_CLASSIFICATION_TAG, PHI
from omics_secure.images import RepositoryLike, check_repositories, container_registry_map
from omics_secure.omics import (
    PrivateWorkflow,
    WorkflowDefinition,
    WorkflowEngine,
    WorkflowRunRole,
    check_definition_labels,
    check_removal_policy,
    default_name,
    definition_properties,
)
from omics_secure.storage import PhiBucket

# AWS::Omics::WorkflowVersion VersionName (CloudFormation resource schema): 1 to 64 characters, a letter
# or digit first, then letters, digits, '-', '.' and '_'.
VERSION_NAME_MAX = 64
_VERSION_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
# AWS::Omics::RunCache Name (maxLength 128) and Description (maxLength 256).
RUN_CACHE_NAME_MAX = 128
RUN_CACHE_DESCRIPTION_MAX = 256
DEFAULT_RUN_CACHE_PREFIX = "omics-run-cache/"


class WorkflowVersion(Construct):
    """A version of a HealthOmics private workflow, from a definition you supply.

    Defaults, and why: as :class:`~omics_secure.omics.PrivateWorkflow`: the definition's bucket must belong
    to this account (``WorkflowBucketOwnerId``); no GPUs unless asked for; a container registry map only
    when given, and only onto the repositories in ``container_repositories``.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        workflow: PrivateWorkflow,
        version_name: str,
        definition: WorkflowDefinition,
        engine: WorkflowEngine | None = None,
        main: str | None = None,
        description: str | None = None,
        parameters: Mapping[str, str] | None = None,
        gpu: bool = False,
        container_repositories: Sequence[RepositoryLike] = (),
        image_mappings: Mapping[str, str] | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> None:
        """
        :param workflow: the private workflow this is a version of.
        :param version_name: 1 to 64 letters, digits, '-', '.' and '_', a letter or digit first, e.g. ``1.2.0``.
        :param definition: ``WorkflowDefinition.from_asset(path)`` or ``from_bucket(bucket, key)``.
        :param engine: Default: detected by HealthOmics from the definition.
        :param main: the main file inside the ZIP. Default: HealthOmics looks for the only top-level file.
        :param description: Default: none. Must not look like PHI.
        :param parameters: parameter name to description; a name ending in ``?`` is optional. Default: none.
        :param gpu: allow GPU tasks. Default: False.
        :param container_repositories: the repositories the version's images come from. Default: the
            workflow's ``container_repositories``.
        :param image_mappings: image URI in the definition to an image of one of ``container_repositories``.
            A destination outside them is refused. Default: none (no registry map).
        :param tags: must not look like PHI.
        """
        problems = ProblemCollector(f"WorkflowVersion '{id}'")
        if not is_unresolved(version_name) and not _VERSION_NAME.match(version_name):
            problems.add("version_name", version_name,
                         f"use 1 to {VERSION_NAME_MAX} letters, digits, '-', '.' or '_', starting with a letter or "
                         "digit, e.g. '1.2.0'")
        check_label(problems, "version_name", version_name, VERSION_NAME_MAX)
        definition._check(problems, scope, main)
        check_definition_labels(problems, description, main, parameters, tags)
        repositories = (check_repositories(problems, "container_repositories", container_repositories)
                        if container_repositories else list(workflow.container_repositories))
        image_map = container_registry_map(problems, "image_mappings", image_mappings, repositories, scope)
        problems.raise_if_any()

        super().__init__(scope, id)
        self.workflow = workflow
        self.container_repositories = tuple(repositories)
        uri, owner = definition._bind(self)
        self.version = omics.CfnWorkflowVersion(
            self, "Resource", workflow_id=workflow.workflow_id, version_name=version_name, description=description,
            **definition_properties(omics.CfnWorkflowVersion, uri, owner, engine=engine, main=main,
                                    parameters=parameters, gpu=gpu, image_map=image_map, tags=tags))
        self.definition_uri = uri

    @property
    def version_arn(self) -> str:
        return self.version.attr_arn


class RunCacheBehavior(Enum):
    """Which task outputs a run cache keeps (``CacheBehavior``)."""

    CACHE_ON_FAILURE = "CACHE_ON_FAILURE"
    """Keep the outputs of completed tasks only when the run fails, so that it can resume (the default)."""
    CACHE_ALWAYS = "CACHE_ALWAYS"
    """Keep the outputs of every run's completed tasks."""


class RunCache(Construct):
    """A HealthOmics run cache under a prefix of a PHI bucket.

    Defaults, and why: the cache holds task outputs, that is intermediate PHI, so its location is a prefix
    (default ``omics-run-cache/``) of a :class:`~omics_secure.storage.PhiBucket`, with its encryption,
    versioning, object lock and logging; ``CacheBucketOwnerId`` pins the bucket's account, so a bucket name
    that changed hands cannot receive the cache; ``CACHE_ON_FAILURE`` keeps outputs only to resume a failed
    run; tagged ``omics-secure:data-classification=phi``; retained on stack deletion. Grant a run role the
    prefix, and only it, with :meth:`grant_run_role`.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        bucket: PhiBucket,
        prefix: str = DEFAULT_RUN_CACHE_PREFIX,
        behavior: RunCacheBehavior = RunCacheBehavior.CACHE_ON_FAILURE,
        run_roles: Sequence[WorkflowRunRole] = (),
        name: str | None = None,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        """
        :param bucket: the PHI bucket that holds the cache (required: the cache holds intermediate PHI).
        :param prefix: the key prefix of the cache, relative, ending in '/'. Default: ``omics-run-cache/``.
        :param behavior: Default: ``CACHE_ON_FAILURE``.
        :param run_roles: run roles granted read and write on the prefix (see :meth:`grant_run_role`).
            Default: none.
        :param name: Default: ``<stack name>-<id>``. Must not look like PHI.
        :param description: Default: none. Must not look like PHI.
        :param tags: must not look like PHI.
        :param removal_policy: Default: RETAIN; DESTROY is allowed (the cached objects stay in the bucket).
        """
        problems = ProblemCollector(f"RunCache '{id}'")
        if not isinstance(bucket, PhiBucket):
            problems.add("bucket", bucket, "pass a PhiBucket: a run cache holds intermediate PHI")
        else:
            check_region(problems, scope, "bucket", bucket.bucket, what="the bucket",
                         why="HealthOmics caches task outputs only in a bucket of the run's region")
        check_prefix(problems, "prefix", prefix, example=DEFAULT_RUN_CACHE_PREFIX)
        if prefix == "":
            problems.add("prefix", prefix, "give the cache a prefix of its own, e.g. 'omics-run-cache/': the run "
                                           "role is granted that prefix only")
        check_label(problems, "name", name, RUN_CACHE_NAME_MAX)
        check_label(problems, "description", description, RUN_CACHE_DESCRIPTION_MAX)
        check_tags(problems, tags)
        check_removal_policy(problems, removal_policy)
        if isinstance(bucket, PhiBucket):
            bucket_stack = cdk.Stack.of(bucket)
            require_concrete_environment(problems, bucket_stack, "bucket", bucket,
                                         "the cache's CacheBucketOwnerId (the bucket's account)")
        problems.raise_if_any()

        super().__init__(scope, id)
        self.bucket = bucket
        self.prefix = prefix
        self.cache_location = f"s3://{bucket.bucket.bucket_name}/{prefix}"
        self.run_cache = omics.CfnRunCache(
            self, "Resource",
            cache_s3_location=self.cache_location,
            cache_bucket_owner_id=cdk.Stack.of(bucket).account,
            cache_behavior=behavior.value,
            name=name or default_name(scope, id)[:RUN_CACHE_NAME_MAX],
            description=description,
            tags=[cdk.CfnTag(key=DATA_CLASSIFICATION_TAG, value=PHI),
                  *(cdk.CfnTag(key=k, value=v) for k, v in (tags or {}).items())],
        )
        self.run_cache.apply_removal_policy(removal_policy)
        for run_role in run_roles:
            self.grant_run_role(run_role)

    @checked_props
    def grant_run_role(self, run_role: WorkflowRunRole) -> iam.Grant:
        """Let ``run_role`` read and write the cache's prefix (no delete), in the run role's own policy."""
        return self.bucket.grant_read_write(run_role.policy, f"{self.prefix}*")

    @property
    def run_cache_arn(self) -> str:
        return self.run_cache.attr_arn

    @property
    def run_cache_id(self) -> str:
        return self.run_cache.attr_id
