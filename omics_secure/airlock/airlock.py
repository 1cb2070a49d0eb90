"""The airlock: the only way data moves into or out of an isolated environment, scanned and reviewed."""

from __future__ import annotations

import datetime
import fnmatch
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import aws_cdk as cdk
from aws_cdk import aws_events as events
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_ssm as ssm
from constructs import Construct

from omics_secure._internal.acknowledgments import acknowledge, nag_rendering
from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.family import HasRole, role_of
from omics_secure._internal.props import checked_props
from omics_secure._internal.tags import (
    AIRLOCK_ADMINISTRATOR,
    AIRLOCK_EGRESS_STAGING,
    AIRLOCK_INGRESS_STAGING,
    AIRLOCK_RELEASE,
    AIRLOCK_REQUESTER,
    AIRLOCK_REVIEWER,
    AIRLOCK_REVIEWERS_REQUIRED_TAG,
    AIRLOCK_ROLE_TAG,
    AIRLOCK_TAG,
)
from omics_secure.access import (
    ApprovedAccess,
    ResearcherKind,
    Researchers,
    _check_approval_id,
    _check_ends,
    _check_env,
    _tag_approval,
    approved_people,
    expiry_condition,
)
from omics_secure.airlock.malware import BucketMalwareProtection
from omics_secure.airlock.runtime import airlock_lambda as runtime
from omics_secure.airlock.workflow import (
    TABLE_READ_ACTIONS,
    TABLE_WRITE_ACTIONS,
    Functions,
    Workflow,
    key_statement,
    requests_table,
)
from omics_secure.audit.alerts import AlertTopic
from omics_secure.audit.trail import AuditTrail
from omics_secure.keys import KeyLike, KeyService, PhiKey, key_of
from omics_secure.network import FLOW_LOG_RETENTION_DAYS, InterfaceEndpoint, IsolatedVpc
from omics_secure.storage import AccessLogBucket, PhiBucket
from omics_secure.storage._common import KEY_READ_ACTIONS, KEY_WRITE_ACTIONS
from omics_secure.storage._hardened import HardenedBucket

# Where approved files land: under airlock/<request id>/ in the ingress destination, released/<request id>/ in the
# release bucket.
INGRESS_PREFIX = "airlock/"
RELEASE_PREFIX = "released/"
CONFIG_PATH = "/omics-secure/airlock/"
MAX_REVIEWERS_REQUIRED = 5
DEFAULT_STAGING_EXPIRATION = cdk.Duration.days(180)
DEFAULT_SCAN_TIMEOUT = cdk.Duration.hours(2)
DEFAULT_REVIEW_TIMEOUT = cdk.Duration.days(14)
DEFAULT_CHANGES_TIMEOUT = cdk.Duration.days(30)
# The airlock's functions reach these AWS services from the isolated subnets (S3 and DynamoDB through the gateway
# endpoints); requesters inside the VPC invoke the submit function through Lambda's.
AIRLOCK_ENDPOINTS = (InterfaceEndpoint.STS, InterfaceEndpoint.STEP_FUNCTIONS, InterfaceEndpoint.EVENTBRIDGE,
                     InterfaceEndpoint.LAMBDA, InterfaceEndpoint.KMS, InterfaceEndpoint.CLOUDWATCH_LOGS)
STAGING_OBJECT_READ = ("s3:GetObject", "s3:GetObjectVersion")
TAG_READ = ("s3:GetObjectTagging", "s3:GetObjectVersionTagging")
TAG_WRITE = ("s3:PutObjectTagging", "s3:PutObjectVersionTagging")
UPLOAD_ACTIONS = ("s3:PutObject", "s3:AbortMultipartUpload", "s3:ListMultipartUploadParts")
ROLLBACK_ACTIONS = ("s3:DeleteObjectVersion", "s3:BypassGovernanceRetention")
_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


class AirlockDirection(Enum):
    """Which way an airlock moves data; each direction has its own staging bucket and malware protection plan."""

    INGRESS = "ingress"
    """Into the environment (reference data, a collaborator's cohort): approved files go to the PHI bucket."""
    EGRESS = "egress"
    """Out of the environment (aggregate tables, figures): approved files go to the release bucket."""


@dataclass(frozen=True)
class AirlockReviewers:
    """Data stewards who review an airlock's requests: like an ``ApprovedAccess``, an approval with an id, the
    people it admits (federation, or this account's principals with MFA) and an end date."""

    approval_id: str
    researchers: Researchers
    ends: datetime.date


@dataclass(frozen=True)
class AirlockAdministrators:
    """Who operates the airlock (stops a stuck workflow, reads its record and logs), never reads or moves data."""

    approval_id: str
    researchers: Researchers
    ends: datetime.date


class Airlock(Construct):
    """Reviewed, scanned data movement into and out of an isolated environment.

    A requester uploads a request's files to a staging bucket and submits it, stating for each file what it is and
    which disclosure control was applied. GuardDuty scans every object; a Step Functions workflow waits for the
    scan, asks the reviewers (data stewards, through the alert topic) to decide file by file, and then copies the
    approved files to the destination (ingress: the project's PHI bucket; egress: a release bucket outside the
    environment) or quarantines them. Every step is recorded in a table and published to EventBridge.

    Defaults, and why (none can be weakened by a prop):

    - Staging buckets are ``PhiBucket`` s (customer-managed key, TLS, object lock, versioning, access logs,
      retained), tagged ``omics-secure:airlock``, each with a :class:`BucketMalwareProtection` whose bucket policy
      lets nobody but GuardDuty read an object until its scan tag says ``NO_THREATS_FOUND``, nobody read a
      quarantined object, and nobody but GuardDuty and the quarantine function change object tags.
    - The reviewer can never be the requester: the functions learn who calls from AWS STS (a signed
      GetCallerIdentity request bound to the payload) and compare role sessions; a second review by the same person
      does not count; egress needs ``egress_reviewers_required`` (default 2) different reviewers, as OpenSAFELY's
      output checking does. Reviewers, requesters and administrators are three sets of roles, each with only its
      own actions; reviewer and administrator roles end on their approval's end date.
    - A copy that fails half-way deletes what it copied and marks the request failed; a file whose scan tag is
      not clean at release time is never copied.
    - The release bucket is a ``PhiBucket`` too, never public, and denies every read made from inside the
      isolated VPC, so data that left cannot come back in unreviewed.
    - The functions run in the isolated VPC (adding the endpoints they need), with reserved concurrency, a
      KMS-encrypted dead-letter queue and encrypted, retained log groups; the workflow logs ALL events and traces.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        network: IsolatedVpc,
        destination: PhiBucket,
        alerts: AlertTopic,
        requesters: Sequence[ApprovedAccess],
        reviewers: Sequence[AirlockReviewers],
        administrators: AirlockAdministrators | None = None,
        directions: Sequence[AirlockDirection] = (AirlockDirection.INGRESS, AirlockDirection.EGRESS),
        egress_reviewers_required: int = 2,
        key: KeyLike | None = None,
        access_logs: AccessLogBucket | None = None,
        release_readers: Sequence[iam.IRole | HasRole] = (),
        trail: AuditTrail | None = None,
        staging_expiration: cdk.Duration = DEFAULT_STAGING_EXPIRATION,
        scan_timeout: cdk.Duration = DEFAULT_SCAN_TIMEOUT,
        review_timeout: cdk.Duration = DEFAULT_REVIEW_TIMEOUT,
        changes_timeout: cdk.Duration = DEFAULT_CHANGES_TIMEOUT,
        log_retention_days: int = 365,
        reserved_concurrency: int = 5,
        name: str | None = None,
    ) -> None:
        """
        :param network: the isolated VPC; the functions run in its subnets and the endpoints they need are added.
        :param destination: the PHI bucket ingress copies into, under ``airlock/<request id>/``. Required.
        :param alerts: the alert topic reviewers are notified through (review requested, quarantined, failed,
            self-review refused). Required.
        :param requesters: the approvals whose people may request (their roles get upload and submit actions,
            within the approval's end date and regions). At least one.
        :param reviewers: the data stewards' approvals; each becomes an ``ApprovedAccess`` role that may read clean
            staged files and decide. At least one; never the same people as a requester approval.
        :param administrators: who may operate the airlock (no data access). Default: none.
        :param directions: Default: both ingress and egress.
        :param egress_reviewers_required: different reviewers who must approve an egress request, 1 to 5.
            Default: 2. Ingress needs one.
        :param key: encrypts the staging and release buckets, the table, the queue and the logs. Default: a new
            :class:`PhiKey` child ``Key``.
        :param access_logs: where the buckets' access logs go. Default: a new :class:`AccessLogBucket` child
            ``AccessLogs``.
        :param release_readers: roles outside the environment that may read released files. Default: none.
        :param trail: the audit trail that records S3 data events of the airlock's buckets (staging and release,
            which hold PHI), as the OmicsSecure rule CloudTrailPhiBucketDataEvents asks. Default: none (add them
            to your trail yourself).
        :param staging_expiration: when staged files expire. Default: 180 days.
        :param scan_timeout: how long the workflow waits for GuardDuty before quarantining. Default: 2 hours.
        :param review_timeout: how long a request waits for its reviews before it is quarantined. Default: 14 days.
        :param changes_timeout: how long a changes request waits for the requester. Default: 30 days.
        :param log_retention_days: Default: 365.
        :param reserved_concurrency: each function's reserved concurrency. Default: 5.
        :param name: the airlock's name for the command (``--airlock``); its settings are in the SSM parameter
            ``/omics-secure/airlock/<name>``. Default: ``<stack name>-<id>``.
        """
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"Airlock '{id}'")
        chosen = tuple(dict.fromkeys(directions))
        self._validate(problems, stack, network=network, destination=destination, alerts=alerts,
                       requesters=requesters, reviewers=reviewers, administrators=administrators, directions=chosen,
                       egress_reviewers_required=egress_reviewers_required, release_readers=release_readers,
                       log_retention_days=log_retention_days, reserved_concurrency=reserved_concurrency, name=name)
        problems.raise_if_any()

        super().__init__(scope, id)
        self.name = name or f"{stack.stack_name}-{id}"
        self.directions = chosen
        self.network = network
        self.destination = destination
        self.requesters = tuple(requesters)
        self.egress_reviewers_required = egress_reviewers_required
        self.key: kms.IKey = key_of(key) if key is not None else PhiKey(
            self, "Key", description="omics-secure: encrypts the airlock's staged files, record and logs")
        if isinstance(self.key, PhiKey):
            self.key.enable_services(KeyService.S3, KeyService.DYNAMODB, KeyService.SQS, KeyService.CLOUDWATCH_LOGS)
        self.access_logs = access_logs or AccessLogBucket(self, "AccessLogs")
        for endpoint in AIRLOCK_ENDPOINTS:
            network.add_interface_endpoint(endpoint)
        self.staging: dict[AirlockDirection, PhiBucket] = {d: self._staging_bucket(d, staging_expiration)
                                                           for d in chosen}
        self.release_bucket = self._release_bucket() if AirlockDirection.EGRESS in chosen else None
        self.table = requests_table(self, self.key)
        self._functions = Functions(self, "Functions", network=network, key=self.key,
                                    log_retention_days=log_retention_days, reserved_concurrency=reserved_concurrency)
        self._add_workflow_functions(scan_timeout, review_timeout, changes_timeout, log_retention_days)
        self.protection = {d: BucketMalwareProtection(
            self.staging[d].node.scope, "MalwareProtection", bucket=self.staging[d],  # type: ignore[arg-type]
            key=self.key, taggers=[self._functions.roles["quarantine"]]) for d in chosen}
        # The decide function names the reviewers' roles, and the reviewers may invoke it: roles first.
        self.reviewer_access = [self._reviewer(r) for r in reviewers]
        self._add_people_functions()
        for access in self.reviewer_access:
            self._allow_reviewer(access)
        for approval in self.requesters:
            self._allow_requester(approval)
        self._warn_possible_overlap(reviewers)
        self.administrator_role = self._administrator(administrators) if administrators is not None else None
        for reader in release_readers:
            assert self.release_bucket is not None
            self.release_bucket.grant_read(reader, f"{RELEASE_PREFIX}*")
        self._notify(alerts)
        if trail is not None:
            for bucket in self.buckets:
                trail.add_data_bucket(bucket)
        self.config = self._config_parameter()
        cdk.Tags.of(self.state_machine).add(AIRLOCK_REVIEWERS_REQUIRED_TAG, str(egress_reviewers_required))

    # ------------------------------------------------------------------------------------------ validation

    def _validate(self, problems: ProblemCollector, stack: cdk.Stack, *, network: object, destination: object,
                  alerts: object, requesters: Sequence[ApprovedAccess], reviewers: Sequence[AirlockReviewers],
                  administrators: AirlockAdministrators | None, directions: tuple[AirlockDirection, ...],
                  egress_reviewers_required: int, release_readers: Sequence[iam.IRole | HasRole],
                  log_retention_days: int, reserved_concurrency: int, name: str | None) -> None:
        _check_env(problems, stack, "the airlock's policies name the account and region")
        if not directions:
            problems.add("directions", [], "pass AirlockDirection.INGRESS, AirlockDirection.EGRESS or both")
        if isinstance(destination, HardenedBucket) and cdk.Stack.of(destination) is not stack:
            problems.add("destination", destination, "use a PhiBucket of the airlock's own stack")
        if not requesters:
            problems.add("requesters", [], "name the ApprovedAccess approvals whose people may request")
        if not reviewers:
            problems.add("reviewers", [], "name at least one AirlockReviewers: a request is released only after a "
                                          "different person reviewed it")
        groups: list[AirlockReviewers | AirlockAdministrators] = [*reviewers, *([administrators] if administrators
                                                                                else [])]
        for group in groups:
            _check_approval_id(problems, group.approval_id)
            _check_ends(problems, group.ends, [])
            ApprovedAccess._check_researchers(problems, stack, group.researchers)
        ids = [r.approval_id for r in reviewers]
        for duplicate in sorted({i for i in ids if ids.count(i) > 1}):
            problems.add("reviewers", duplicate, "name each reviewers' approval once")
        for approval in requesters:
            for index, group in enumerate(reviewers):
                overlap = definite_overlap(approval.researchers, group.researchers)
                if overlap:
                    problems.add(f"reviewers[{index}]", group.approval_id,
                                 f"it admits {overlap}, whom requester approval {approval.approval_id} admits too; a "
                                 "reviewer must never be able to request, so name different people")
        if not 1 <= egress_reviewers_required <= MAX_REVIEWERS_REQUIRED:
            problems.add("egress_reviewers_required", egress_reviewers_required,
                         f"use 1 to {MAX_REVIEWERS_REQUIRED}; 2 (the default) is OpenSAFELY's two independent checkers")
        if release_readers and AirlockDirection.EGRESS not in directions:
            problems.add("release_readers", list(release_readers), "only an egress airlock has a release bucket")
        inside = {id(a.role) for a in requesters}
        for reader in release_readers:
            if id(role_of(reader)) in inside:
                problems.add("release_readers", role_of(reader),
                             "a requester's role is inside the environment; released data must not be readable "
                             "from inside, so name a role outside it")
        if log_retention_days not in FLOW_LOG_RETENTION_DAYS:
            problems.add("log_retention_days", log_retention_days,
                         "use one of CloudWatch Logs' periods: " + ", ".join(map(str, sorted(FLOW_LOG_RETENTION_DAYS))))
        if not 1 <= reserved_concurrency <= 100:
            problems.add("reserved_concurrency", reserved_concurrency, "use 1 to 100 (each function's share)")
        if name is not None and not _NAME.match(name):
            problems.add("name", name, "use 1-64 letters, digits, '_', '.' and '-' (it ends an SSM parameter name)")

    # ------------------------------------------------------------------------------------------ buckets

    def _staging_bucket(self, direction: AirlockDirection, expiration: cdk.Duration) -> PhiBucket:
        scope = Construct(self, direction.name.capitalize())
        bucket = PhiBucket(scope, "Staging", key=self.key, access_logs=self.access_logs,
                           access_log_prefix=f"{self.node.id}/{direction.value}-staging/",
                           current_version_expiration=expiration)
        cdk.Tags.of(bucket.bucket).add(AIRLOCK_TAG, AIRLOCK_INGRESS_STAGING if direction is AirlockDirection.INGRESS
                                       else AIRLOCK_EGRESS_STAGING)
        for pack in ("HIPAA.Security", "NIST.800.53.R5"):
            acknowledge(bucket.bucket, f"{pack}-S3BucketReplicationEnabled",
                        "A staging bucket holds files not yet scanned or reviewed, for at most the staging "
                        "expiration; a GuardDuty malware protection plan protects one bucket in its own region, so a "
                        "replica would keep unscanned and possibly infected copies outside any plan. Approved files "
                        "are copied to the destination, which is replicated and backed up.")
        return bucket

    def _release_bucket(self) -> PhiBucket:
        bucket = PhiBucket(self, "Release", key=self.key, access_logs=self.access_logs,
                           access_log_prefix=f"{self.node.id}/release/")
        cdk.Tags.of(bucket.bucket).add(AIRLOCK_TAG, AIRLOCK_RELEASE)
        # "Not readable from inside": no read of released data through the isolated VPC, whatever IAM allows.
        bucket.bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="DenyReadsFromTheIsolatedEnvironment", effect=iam.Effect.DENY, principals=[iam.AnyPrincipal()],
            actions=["s3:GetObject*", "s3:ListBucket*"],
            resources=[bucket.bucket.bucket_arn, bucket.bucket.arn_for_objects("*")],
            conditions={"StringEquals": {"aws:SourceVpc": self.network.vpc.vpc_id}}))
        for pack in ("HIPAA.Security", "NIST.800.53.R5"):
            acknowledge(bucket.bucket, f"{pack}-S3BucketReplicationEnabled",
                        "The release bucket holds copies of reviewed outputs for collection; every released file "
                        "stays object-locked in the egress staging bucket and is recorded in the requests table, so "
                        "a lost release can be released again.")
        return bucket

    # ------------------------------------------------------------------------------------------ functions

    def _staging_objects(self, actions: Sequence[str]) -> list[iam.PolicyStatement]:
        return [iam.PolicyStatement(actions=list(actions), resources=[
            bucket.bucket.arn_for_objects(f"{runtime.STAGING_PREFIX}*") for bucket in self.staging.values()])]

    def _table_statements(self, actions: Sequence[str]) -> list[iam.PolicyStatement]:
        key_actions = KEY_WRITE_ACTIONS if "dynamodb:PutItem" in actions or "dynamodb:UpdateItem" in actions \
            else KEY_READ_ACTIONS
        return [iam.PolicyStatement(actions=list(actions), resources=[self.table.table_arn]),
                key_statement(self.key, KeyService.DYNAMODB, key_actions)]

    def _events_statement(self) -> iam.PolicyStatement:
        stack = cdk.Stack.of(self)
        return iam.PolicyStatement(
            actions=["events:PutEvents"],
            resources=[f"arn:{stack.partition}:events:{stack.region}:{stack.account}:event-bus/default"],
            conditions={"StringEquals": {"events:source": runtime.EVENT_SOURCE}})

    def _environment(self) -> dict[str, str]:
        stack = cdk.Stack.of(self)
        staging = {d.value: b.bucket.bucket_name for d, b in self.staging.items()}
        return {"AIRLOCK_TABLE": self.table.table_name, "AIRLOCK_STAGING": stack.to_json_string(staging)}

    def _add_workflow_functions(self, scan_timeout: cdk.Duration, review_timeout: cdk.Duration,
                                changes_timeout: cdk.Duration, log_retention_days: int) -> None:
        functions, minutes = self._functions, cdk.Duration.minutes
        common = [*self._table_statements(TABLE_WRITE_ACTIONS), self._events_statement()]
        steps = functions.add("Steps", "steps", "airlock workflow: read scans, await reviews, mark failed",
                              [*common, *self._staging_objects(TAG_READ)], self._environment(), minutes(1))
        destinations = {AirlockDirection.INGRESS.value: {"bucket": self.destination.bucket.bucket_name,
                                                         "prefix": INGRESS_PREFIX}}
        if self.release_bucket is not None:
            destinations[AirlockDirection.EGRESS.value] = {"bucket": self.release_bucket.bucket.bucket_name,
                                                           "prefix": RELEASE_PREFIX}
        release = functions.add(
            "Release", "release", "airlock workflow: copy approved files to the destination, all or nothing",
            [*common, *self._staging_objects((*STAGING_OBJECT_READ, *TAG_READ)),
             key_statement(self.key, KeyService.S3, KEY_READ_ACTIONS)],
            {**self._environment(), "AIRLOCK_DESTINATIONS": cdk.Stack.of(self).to_json_string(destinations)},
            minutes(15))
        for direction, target, prefix in self._destinations():
            target.grant_write(functions.roles["release"], f"{prefix}*")
            # Rolling back a failed copy deletes the versions it wrote, which object lock retains (GOVERNANCE).
            objects = target.bucket.arn_for_objects(f"{prefix}*")
            functions.policies["release"].add_statements(iam.PolicyStatement(
                sid=f"RollBackFailedCopies{direction.name.capitalize()}", actions=list(ROLLBACK_ACTIONS),
                resources=[objects]))
        quarantine = functions.add(
            "Quarantine", "quarantine", "airlock workflow: tag rejected and infected files quarantined",
            [*common, *self._staging_objects((*TAG_READ, *TAG_WRITE))], self._environment(), minutes(1))
        self._acknowledge_object_patterns()
        self.workflow = Workflow(self, "Workflow", key=self.key, steps=steps, release=release, quarantine=quarantine,
                                 scan_timeout=scan_timeout, review_timeout=review_timeout,
                                 changes_timeout=changes_timeout, log_retention_days=log_retention_days)
        self.state_machine = self.workflow.state_machine

    def _destinations(self) -> list[tuple[AirlockDirection, PhiBucket, str]]:
        found = [(AirlockDirection.INGRESS, self.destination, INGRESS_PREFIX)] \
            if AirlockDirection.INGRESS in self.directions else []
        if self.release_bucket is not None:
            found.append((AirlockDirection.EGRESS, self.release_bucket, RELEASE_PREFIX))
        return found

    @property
    def buckets(self) -> list[PhiBucket]:
        """The airlock's buckets: each direction's staging bucket and, for egress, the release bucket."""
        return [*self.staging.values(), *([self.release_bucket] if self.release_bucket is not None else [])]

    def function_arn(self, handler: str) -> str:
        """The ARN of the ``submit`` or ``decide`` function, from its fixed name: the people's policies name it
        without a reference, because the function's environment names their roles (a reference both ways would be
        a circular dependency)."""
        stack = cdk.Stack.of(self)
        return f"arn:{stack.partition}:lambda:{stack.region}:{stack.account}:function:{self.function_name(handler)}"

    def function_name(self, handler: str) -> str:
        return f"omics-secure-airlock-{self.node.addr[:12]}-{handler}"

    def _add_people_functions(self) -> None:
        functions, stack = self._functions, cdk.Stack.of(self)
        state_machine = self.state_machine.state_machine_arn
        common = [*self._table_statements(TABLE_WRITE_ACTIONS), self._events_statement()]
        listing = iam.PolicyStatement(
            actions=["s3:ListBucketVersions"], resources=[b.bucket.bucket_arn for b in self.staging.values()],
            conditions={"StringLike": {"s3:prefix": [f"{runtime.STAGING_PREFIX}*"]}})
        self.submit_function = functions.add(
            "Submit", "submit", "airlock: a requester submits or amends a request",
            [*common, listing,
             iam.PolicyStatement(actions=["states:StartExecution"], resources=[state_machine]),
             iam.PolicyStatement(actions=["states:SendTaskSuccess"], resources=[state_machine])],
            {**self._environment(), "AIRLOCK_STATE_MACHINE": state_machine,
             "AIRLOCK_REQUESTER_ROLES": stack.to_json_string([a.role.role_name for a in self.requesters]),
             "AIRLOCK_REVIEWERS_REQUIRED": stack.to_json_string(
                 {AirlockDirection.INGRESS.value: 1, AirlockDirection.EGRESS.value: self.egress_reviewers_required})},
            cdk.Duration.minutes(1), function_name=self.function_name("submit"))
        self.decide_function = functions.add(
            "Decide", "decide", "airlock: a reviewer approves, rejects or asks for changes",
            [*common, iam.PolicyStatement(actions=["states:SendTaskSuccess"], resources=[state_machine])],
            {**self._environment(), "AIRLOCK_REVIEWER_ROLES": stack.to_json_string(
                [{"role": access.role.role_name, "ends": access.ends.isoformat()} for access in self.reviewer_access])},
            cdk.Duration.minutes(1), function_name=self.function_name("decide"))

    def _acknowledge_object_patterns(self) -> None:
        stack = cdk.Stack.of(self)
        staged = [b.bucket.arn_for_objects(f"{runtime.STAGING_PREFIX}*") for b in self.staging.values()]
        released = [target.bucket.arn_for_objects(f"{prefix}*") for _, target, prefix in self._destinations()]
        for handler, policy in self._functions.policies.items():
            for pattern in [*staged, *(released if handler == "release" else [])]:
                acknowledge(policy, f"AwsSolutions-IAM5[Resource::{nag_rendering(stack.resolve(pattern))}]",
                            "Requests are uploaded under requests/<request id>/ and released under a prefix per "
                            "request, ids known only at run time; the airlock's functions act on those prefixes of "
                            "the airlock's own buckets, with named actions only.")

    # ------------------------------------------------------------------------------------------ people

    def _people_statements(self) -> list[iam.PolicyStatement]:
        """What every airlock person may read: the requests table and the airlock's settings."""
        stack = cdk.Stack.of(self)
        parameter = f"arn:{stack.partition}:ssm:{stack.region}:{stack.account}:parameter{CONFIG_PATH}"
        return [*self._table_statements(TABLE_READ_ACTIONS),
                iam.PolicyStatement(actions=["ssm:GetParameter", "ssm:GetParametersByPath"],
                                    resources=[f"{parameter}*", parameter.rstrip("/")])]

    def _allow_requester(self, approval: ApprovedAccess) -> None:
        stack = cdk.Stack.of(self)
        approval.allow(
            *self._staging_objects(UPLOAD_ACTIONS),
            key_statement(self.key, KeyService.S3, KEY_WRITE_ACTIONS),
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.function_arn("submit")]),
            *self._people_statements())
        cdk.Tags.of(approval.role).add(AIRLOCK_ROLE_TAG, AIRLOCK_REQUESTER)
        self._acknowledge_people(approval.policy, stack)
        self._acknowledge_people(approval.boundary, stack)

    def _reviewer(self, group: AirlockReviewers) -> ApprovedAccess:
        access = ApprovedAccess(
            self, f"Reviewers-{group.approval_id.replace('/', '-')}", approval_id=group.approval_id,
            researchers=group.researchers, ends=group.ends, buckets=list(self.staging.values()),
            prefix=runtime.STAGING_PREFIX)
        cdk.Tags.of(access.role).add(AIRLOCK_ROLE_TAG, AIRLOCK_REVIEWER)
        return access

    def _allow_reviewer(self, access: ApprovedAccess) -> None:
        access.allow(
            iam.PolicyStatement(actions=["lambda:InvokeFunction"], resources=[self.function_arn("decide")]),
            *self._people_statements())
        stack = cdk.Stack.of(self)
        self._acknowledge_people(access.policy, stack)
        self._acknowledge_people(access.boundary, stack)

    def _warn_possible_overlap(self, reviewers: Sequence[AirlockReviewers]) -> None:
        for approval in self.requesters:
            for group in reviewers:
                if possible_overlap(approval.researchers, group.researchers):
                    cdk.Annotations.of(self).add_warning_v2(
                        "omics-secure:airlock-requesters-any-principal",
                        f"Requester approval {approval.approval_id} admits any principal of the account with MFA, "
                        f"so a role of reviewers {group.approval_id} could request too, and the session name that "
                        "tells people apart is chosen by whoever assumes the role. Name the requesters' principals "
                        "(Researchers.account_principals([...]) or federation) so that no reviewer can request.")

    def _administrator(self, group: AirlockAdministrators) -> iam.Role:
        stack = cdk.Stack.of(self)
        scope = Construct(self, "Administrators")
        role = iam.Role(scope, "Resource", assumed_by=approved_people(stack, group.approval_id, group.researchers,
                                                                      group.ends),
                        description=f"omics-secure airlock administrators {group.approval_id}, ends "
                                    f"{group.ends.isoformat()}", max_session_duration=cdk.Duration.hours(1))
        state_machine = self.state_machine
        executions = (f"arn:{stack.partition}:states:{stack.region}:{stack.account}:execution:"
                      f"{state_machine.state_machine_name}:*")
        expiry = expiry_condition(group.ends)
        statements = [
            iam.PolicyStatement(actions=["states:ListExecutions", "states:DescribeStateMachine"],
                                resources=[state_machine.state_machine_arn]),
            iam.PolicyStatement(actions=["states:DescribeExecution", "states:GetExecutionHistory",
                                         "states:StopExecution"], resources=[executions]),
            iam.PolicyStatement(actions=["logs:FilterLogEvents", "logs:GetLogEvents", "logs:DescribeLogStreams"],
                                resources=[g.log_group_arn for g in [*self._functions.log_groups,
                                                                     self.workflow.log_group]]),
            iam.PolicyStatement(actions=["s3:ListBucket", "s3:ListBucketVersions"],
                                resources=[b.bucket.bucket_arn for b in self.staging.values()]),
            *self._staging_objects(TAG_READ),
            *self._people_statements(),
        ]
        for statement in statements:
            statement.add_condition("DateLessThan", expiry["DateLessThan"])
        policy = iam.ManagedPolicy(scope, "Policy", roles=[role], statements=statements,
                                   description=f"omics-secure airlock administrators {group.approval_id}: operate, "
                                               "never read or move data")
        cdk.Tags.of(role).add(AIRLOCK_ROLE_TAG, AIRLOCK_ADMINISTRATOR)
        _tag_approval(role, group.approval_id, group.ends, "airlock-administrators")
        self._acknowledge_people(policy, stack)
        acknowledge(policy, f"AwsSolutions-IAM5[Resource::{nag_rendering(stack.resolve(executions))}]",
                    "Step Functions names each execution after its request id, known only at run time; the "
                    "administrators describe and stop executions of this one state machine.")
        return role

    def _acknowledge_people(self, policy: iam.ManagedPolicy, stack: cdk.Stack) -> None:
        for bucket in self.staging.values():
            pattern = bucket.bucket.arn_for_objects(f"{runtime.STAGING_PREFIX}*")
            acknowledge(policy, f"AwsSolutions-IAM5[Resource::{nag_rendering(stack.resolve(pattern))}]",
                        "Requests are uploaded and reviewed under requests/<request id>/ of the airlock's staging "
                        "bucket, ids known only at run time; the bucket policy holds every read until the file's "
                        "malware scan is clean.")
        parameter = f"arn:{stack.partition}:ssm:{stack.region}:{stack.account}:parameter{CONFIG_PATH}*"
        acknowledge(policy, f"AwsSolutions-IAM5[Resource::{nag_rendering(stack.resolve(parameter))}]",
                    "The omics-secure airlock command finds an account's airlocks by reading the parameters under "
                    "/omics-secure/airlock/, which hold bucket, table and function names and no data.")

    # ------------------------------------------------------------------------------------------ notification

    def _notify(self, alerts: AlertTopic) -> None:
        self.alert_rule = events.Rule(
            self, "ReviewerAlerts",
            description="omics-secure airlock: review or changes requested, quarantined, failed, self-review refused",
            event_pattern=events.EventPattern(source=[runtime.EVENT_SOURCE], detail_type=[
                "Airlock review requested", "Airlock changes requested", "Airlock request quarantined",
                "Airlock files quarantined", "Airlock request failed", "Airlock self-review refused"]),
            targets=[alerts.event_target()])

    def _config_parameter(self) -> ssm.StringParameter:
        """``AWS::SSM::Parameter`` (String) holding names only, for the command: no data, no secrets
        (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ssm-parameter.html)."""
        stack = cdk.Stack.of(self)
        settings = {
            "version": 1, "region": stack.region, "table": self.table.table_name,
            "staging": {d.value: b.bucket.bucket_name for d, b in self.staging.items()},
            "release": self.release_bucket.bucket.bucket_name if self.release_bucket is not None else None,
            "functions": {"submit": self.submit_function.function_name, "decide": self.decide_function.function_name},
            "state_machine": self.state_machine.state_machine_arn,
            "requesters": [a.role.role_name for a in self.requesters],
            "reviewers": [{"role": a.role.role_name, "ends": a.ends.isoformat(), "approval": a.approval_id}
                          for a in self.reviewer_access],
            "reviewers_required": {"ingress": 1, "egress": self.egress_reviewers_required},
        }
        return ssm.StringParameter(self, "Settings", parameter_name=f"{CONFIG_PATH}{self.name}",
                                   string_value=stack.to_json_string(settings),
                                   description="omics-secure airlock: where the command finds the airlock")


def definite_overlap(requesters: Researchers, reviewers: Researchers) -> str:
    """Who two approvals both admit, when the templates alone say so (the same principal ARN, permission set or
    OIDC subject); empty when they differ or cannot be compared (two SAML approvals of one provider)."""
    if requesters.kind is not reviewers.kind:
        return ""
    if requesters.kind is ResearcherKind.ACCOUNT_MFA:
        shared = sorted(set(requesters.principal_arns) & set(reviewers.principal_arns))
        return ", ".join(shared) if shared and not any(is_unresolved(a) for a in shared) else ""
    if requesters.kind is ResearcherKind.IDENTITY_CENTER:
        same = requesters.permission_set_name == reviewers.permission_set_name
        return f"permission set {requesters.permission_set_name}" if same else ""
    if requesters.kind is ResearcherKind.OIDC and requesters.issuer == reviewers.issuer:
        shared = [s for s in requesters.subjects for t in reviewers.subjects
                  if fnmatch.fnmatchcase(s, t) or fnmatch.fnmatchcase(t, s)]
        return f"subjects {', '.join(sorted(set(shared)))} of {requesters.issuer}" if shared else ""
    return ""


def possible_overlap(requesters: Researchers, reviewers: Researchers) -> bool:
    """True when a requester approval admits any principal of the account (with MFA): reviewers' roles are such
    principals, so the same person could request and review unless the account's IAM policies keep them apart."""
    return requesters.kind is ResearcherKind.ACCOUNT_MFA and not requesters.principal_arns \
        and reviewers.kind is not ResearcherKind.SAML and reviewers.kind is not ResearcherKind.OIDC
