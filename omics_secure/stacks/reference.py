"""The reference environment deployed by ``app.py``, configured through CDK context."""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from constructs import Construct

from omics_secure._internal.environment import is_account_id, is_region_name, partition_of
from omics_secure._internal.errors import ProblemCollector
from omics_secure.access import AccessLevel, ApprovedAccess, CollaboratorAccess, Researchers
from omics_secure.airlock import Airlock, AirlockAdministrators, AirlockReviewers
from omics_secure.audit import AccountAlarms, AlertTopic, AuditTrail, KeyWatch
from omics_secure.backup import PhiBackup, PhiBackupVault
from omics_secure.compliance.nag import add_compliance_packs
from omics_secure.compute import AnalysisWorkstation, HealthOmicsRunNetwork, PipelineCompute
from omics_secure.healthlake import FhirDatastore, FhirImportExportRole
from omics_secure.images import ImageRepository
from omics_secure.keys import KeyService, PhiKey
from omics_secure.network import DEFAULT_CIDR, DEFAULT_INTERFACE_ENDPOINTS, InterfaceEndpoint, IsolatedVpc
from omics_secure.omics import (
    PrivateWorkflow,
    ReferenceStore,
    RunGroup,
    SequenceStore,
    WorkflowDefinition,
    WorkflowEngine,
    WorkflowRunRole,
)
from omics_secure.omics_workflows import RunCache
from omics_secure.storage import AccessLogBucket, PhiBucket, PhiReplicaBucket

DEFAULT_ACCOUNT = "111122223333"
DEFAULT_REGION = "us-east-1"
DEFAULT_REPLICA_REGION = "us-west-2"
REFERENCE_BACKUP_RETENTION_DAYS = 365
EXAMPLE_WORKFLOW = Path(__file__).parent / "workflows" / "example"


@dataclass(frozen=True)
class ReferenceConfig:
    """Settings read from CDK context (``cdk.json`` or ``-c key=value``); every one has a default.

    ``account`` and ``region`` default to a placeholder account and us-east-1 so that ``cdk synth``
    works with no context and no credentials; set them to deploy. ``replica_region``
    (``omics-secure:replica-region``, default us-west-2) holds the cross-region replica of the PHI data.
    ``name_suffix`` (``omics-secure:name-suffix``, default none) goes into the fixed names of the retained
    replica bucket, trail and trail log group: after ``cdk destroy`` they stay, so redeploy with a new one.
    """

    account: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION
    replica_region: str = DEFAULT_REPLICA_REGION
    name_suffix: str | None = None
    # Set by a config built in code (the organization example's projects), never read from context:
    # the data-use end date of the PHI data bucket, and the approvals, in place of the example approval.
    data_use_end_date: datetime.date | None = None
    approvals: tuple[ApprovalConfig, ...] | None = None
    airlock: AirlockConfig | None = None

    @classmethod
    def from_context(cls, scope: Construct) -> ReferenceConfig:
        problems = ProblemCollector("reference app context")

        def context(key: str, default: str) -> str:
            value = scope.node.try_get_context(f"omics-secure:{key}")
            return str(value).strip() if value not in (None, "") else default

        suffix = scope.node.try_get_context("omics-secure:name-suffix")
        config = cls(account=context("account", DEFAULT_ACCOUNT), region=context("region", DEFAULT_REGION),
                     replica_region=context("replica-region", DEFAULT_REPLICA_REGION),
                     name_suffix=str(suffix) if suffix not in (None, "") else None)
        if not is_account_id(config.account):
            problems.add("omics-secure:account", config.account, "use a 12-digit AWS account id, e.g. 111122223333")
        for key, region in (("region", config.region), ("replica-region", config.replica_region)):
            if not is_region_name(region):
                problems.add(f"omics-secure:{key}", region, "use an AWS region name, e.g. us-east-1 or eu-west-2")
        if is_region_name(config.region) and is_region_name(config.replica_region):
            if config.region == config.replica_region:
                problems.add("omics-secure:replica-region", config.replica_region,
                             f"the replica must be in a second region, not {config.region} too")
            elif partition_of(config.region) != partition_of(config.replica_region):
                problems.add("omics-secure:replica-region", config.replica_region,
                             f"S3 replicates only within a partition; {config.region} is in "
                             f"{partition_of(config.region)}, {config.replica_region} in "
                             f"{partition_of(config.replica_region)}")
        problems.raise_if_any()
        return config


@dataclass(frozen=True)
class CollaboratorConfig:
    """A collaborator account of an approval, reading ``prefix`` through an S3 access point."""

    account: str
    prefix: str = "shared/"


@dataclass(frozen=True)
class ApprovalConfig:
    """One DAC approval of an environment configured in code: who, what (``prefix``), until when, and its
    collaborator accounts.

    Who, in this order: the IAM Identity Center ``permission_set`` (its roles, in
    ``identity_center_region`` or any region), people a SAML identity provider signs in
    (``saml_provider_arn``, a provider of the environment's account), or ``principals`` (role or user
    ARNs of the environment's account, always with MFA; none means any principal of the account allowed
    to assume the role). Federated and Identity Center people never carry ``aws:MultiFactorAuthPresent``,
    so they are admitted through their provider, not through an MFA condition.
    """

    approval_id: str
    ends: datetime.date
    principals: tuple[str, ...] = ()
    prefix: str = "approved/"
    collaborators: tuple[CollaboratorConfig, ...] = ()
    permission_set: str | None = None
    identity_center_region: str | None = None
    saml_provider_arn: str | None = None

    def researchers(self, scope: Construct) -> Researchers:
        """Who the approval admits, as :class:`Researchers` of ``scope``'s stack."""
        if self.permission_set is not None:
            return Researchers.identity_center(self.permission_set, region=self.identity_center_region)
        if self.saml_provider_arn is not None:
            return Researchers.saml_provider(iam.SamlProvider.from_saml_provider_arn(
                scope, f"SamlProvider-{self.approval_id}", self.saml_provider_arn))
        return Researchers.account_principals(self.principals)


@dataclass(frozen=True)
class AirlockConfig:
    """Who reviews and who operates an environment's airlock: IAM Identity Center permission sets, until ``ends``
    (default: the approvals' end). Requesters are the environment's approvals."""

    reviewer_permission_set: str = "DataSteward"
    administrator_permission_set: str = "AirlockOperator"
    ends: datetime.date | None = None
    egress_reviewers_required: int = 2

    @classmethod
    def from_context(cls, scope: Construct) -> AirlockConfig:
        """``omics-secure:airlock-reviewers`` and ``omics-secure:airlock-administrators`` (permission set names,
        default DataSteward and AirlockOperator) and ``omics-secure:airlock-egress-reviewers`` (default 2)."""
        problems = ProblemCollector("reference app context")

        def context(key: str, default: str) -> str:
            value = scope.node.try_get_context(f"omics-secure:{key}")
            return str(value).strip() if value not in (None, "") else default

        required = context("airlock-egress-reviewers", "2")
        if not required.isdigit():
            problems.add("omics-secure:airlock-egress-reviewers", required, "use a whole number from 1 to 5")
        problems.raise_if_any()
        return cls(reviewer_permission_set=context("airlock-reviewers", "DataSteward"),
                   administrator_permission_set=context("airlock-administrators", "AirlockOperator"),
                   egress_reviewers_required=int(required) if required.isdigit() else 2)


class ReferenceReplicaStack(cdk.Stack):
    """The second-region stack: the replica of the PHI data bucket, its key, its access logs and the
    replication role. It deploys before the primary stack, which replicates into it."""

    def __init__(self, scope: Construct, id: str, *, config: ReferenceConfig) -> None:
        super().__init__(scope, id, env=cdk.Environment(account=config.account, region=config.replica_region),
                         description="omics-secure reference environment: replica region")
        self.access_logs = AccessLogBucket(self, "AccessLogs")
        self.phi_data_replica = PhiReplicaBucket(self, "PhiDataReplica", access_logs=self.access_logs,
                                                 name_suffix=config.name_suffix,
                                                 data_use_end_date=config.data_use_end_date)
        # Audit: EventBridge sees KMS calls only in the key's own region, so this region watches its keys.
        self.alerts = AlertTopic(self, "Alerts", email=alarm_email(self))
        self.key_watch = KeyWatch(self, "KeyWatch", alerts=self.alerts)
        # Recovery: the disaster-recovery copies of the primary region's backups, locked as long as they are kept.
        self.backup_vault = PhiBackupVault(self, "BackupVault", name_suffix=config.name_suffix,
                                           min_retention=cdk.Duration.days(REFERENCE_BACKUP_RETENTION_DAYS))


class ReferencePrimaryStack(cdk.Stack):
    """The primary-region stack: the data key, the PHI data bucket replicated to ``replica`` and its
    access logs, and (as the project grows) network and services."""

    def __init__(self, scope: Construct, id: str, *, config: ReferenceConfig,
                 replica: PhiReplicaBucket | None = None, backup_copy_vault: PhiBackupVault | None = None) -> None:
        super().__init__(scope, id, env=cdk.Environment(account=config.account, region=config.region),
                         description="omics-secure reference environment: primary region")
        self.data_key = PhiKey(
            self, "DataKey",
            services=[
                KeyService.HEALTHOMICS_STORAGE,
                KeyService.HEALTHOMICS_ANALYTICS,
                KeyService.HEALTHOMICS_WORKFLOWS,
                KeyService.HEALTHLAKE,
                KeyService.S3,
                KeyService.CLOUDWATCH_LOGS,
            ],
        )
        self.access_logs = AccessLogBucket(self, "AccessLogs")
        self.phi_data = PhiBucket(self, "PhiData", key=self.data_key, access_logs=self.access_logs,
                                  replica=replica, data_use_end_date=config.data_use_end_date)
        self._add_health_services()
        self._add_network_and_compute()
        self._add_audit(replica, config.name_suffix)
        self._add_backup(backup_copy_vault, config.name_suffix)
        self._add_approved_access(config)
        self._add_airlock(config)

    def _add_health_services(self) -> None:
        """HealthOmics stores, a private workflow, its run group, image repository and run cache, and a FHIR
        datastore, on the data key."""
        self.sequence_store = SequenceStore(self, "SequenceStore", key=self.data_key, access_logs=self.access_logs)
        self.reference_store = ReferenceStore(self, "ReferenceStore", key=self.data_key)
        self.workflow = PrivateWorkflow(self, "Workflow", engine=WorkflowEngine.WDL,
                                        definition=WorkflowDefinition.from_asset(str(EXAMPLE_WORKFLOW)))
        self.run_group = RunGroup(self, "RunGroup")
        self.images = ImageRepository(self, "Images", key=self.data_key)
        self.run_role = WorkflowRunRole(self, "WorkflowRunRole", inputs=[self.phi_data], outputs=[self.phi_data],
                                        input_prefix="inputs/", reference_stores=[self.reference_store],
                                        container_repositories=[self.images])
        self.run_cache = RunCache(self, "RunCache", bucket=self.phi_data, run_roles=[self.run_role])
        self.fhir_datastore = FhirDatastore(self, "FhirDatastore", key=self.data_key)
        self.fhir_jobs = FhirImportExportRole(self, "FhirJobRole", datastore=self.fhir_datastore,
                                              output=self.phi_data, source=self.phi_data)

    def _add_network_and_compute(self) -> None:
        """The isolated VPC and the Batch environment for pipeline engines, reading the PHI bucket."""
        network_config = NetworkContext.from_context(self)
        self.network = IsolatedVpc(self, "Network", key=self.data_key, cidr=network_config.cidr,
                                   interface_endpoints=network_config.endpoints)
        self.pipelines = PipelineCompute(self, "Pipelines", network=self.network, key=self.data_key,
                                         spot=network_config.spot)
        self.phi_data.grant_read_write(self.pipelines.job_role, "pipelines/*")
        self.omics_runs = HealthOmicsRunNetwork(self, "OmicsRuns", network=self.network)
        self.workstation = (AnalysisWorkstation(self, "Workstation", network=self.network, key=self.data_key)
                            if network_config.workstation else None)

    def _add_audit(self, replica: PhiReplicaBucket | None, name_suffix: str | None) -> None:
        """One multi-region trail with S3 data events for the PHI buckets of both regions, the key watch and
        the account alarms, alerting the address in ``omics-secure:alarm-email``."""
        self.audit_trail = AuditTrail(self, "AuditTrail", access_logs=self.access_logs, name_suffix=name_suffix,
                                      data_buckets=[self.phi_data, *([replica] if replica is not None else [])])
        self.alerts = AlertTopic(self, "Alerts", key=self.audit_trail.key, email=alarm_email(self))
        self.key_watch = KeyWatch(self, "KeyWatch", alerts=self.alerts)
        self.account_alarms = AccountAlarms(self, "AccountAlarms", trail=self.audit_trail, alerts=self.alerts)

    def _add_backup(self, copy_vault: PhiBackupVault | None, name_suffix: str | None) -> None:
        """AWS Backup of the PHI bucket: 35 days of point-in-time restore, daily snapshots kept a year and copied
        to the replica region's vault, a weekly restore test, failed jobs alerting the alert topic."""
        vault = PhiBackupVault(self, "BackupVault", name_suffix=name_suffix)
        self.backup = PhiBackup(self, "Backup", buckets=[self.phi_data], vault=vault, copy_to=copy_vault,
                                alerts=self.alerts,
                                snapshot_retention=cdk.Duration.days(REFERENCE_BACKUP_RETENTION_DAYS))

    def _add_approved_access(self, config: ReferenceConfig) -> None:
        """The approvals of ``config`` or, when it has none, one example DAC approval for this account's
        people (MFA) and, while the app is on the placeholder account, one example collaborator account; see
        :class:`ApprovalContext`."""
        if config.approvals is not None:
            self._add_configured_approvals(config.approvals)
            return
        approval = ApprovalContext.from_context(self, config)
        who = ApprovalConfig(approval_id=approval.approval_id, ends=approval.ends, principals=approval.principals,
                             permission_set=approval.permission_set,
                             identity_center_region=approval.identity_center_region,
                             saml_provider_arn=approval.saml_provider_arn)
        self.example_approval = ApprovedAccess(
            self, "ExampleApproval", approval_id=approval.approval_id,
            researchers=who.researchers(self), ends=approval.ends,
            buckets=[self.phi_data], prefix=approval.prefix, access=AccessLevel.READ_WRITE_RESULTS,
            sequence_stores=[self.sequence_store])
        self.example_collaborator = (CollaboratorAccess(
            self, "ExampleCollaborator", approval_id=approval.approval_id, account=approval.collaborator_account,
            bucket=self.phi_data, prefix=approval.collaborator_prefix, ends=approval.ends)
            if approval.collaborator_account else None)

    def _add_airlock(self, config: ReferenceConfig) -> None:
        """The only way data moves in or out of the isolated environment: scanned by GuardDuty, reviewed by a data
        steward who is not the requester (two for egress), ingress copied to the PHI bucket, egress to a release
        bucket outside the environment. The environment's approvals are its requesters."""
        airlock = config.airlock or AirlockConfig.from_context(self)
        requesters = self.approvals if config.approvals is not None else [self.example_approval]
        ends = airlock.ends or min(a.ends for a in requesters)
        self.airlock = Airlock(
            self, "Airlock", network=self.network, destination=self.phi_data, alerts=self.alerts,
            requesters=requesters, egress_reviewers_required=airlock.egress_reviewers_required,
            reviewers=[AirlockReviewers(approval_id="airlock-reviewers", ends=ends,
                                        researchers=Researchers.identity_center(airlock.reviewer_permission_set))],
            administrators=AirlockAdministrators(
                approval_id="airlock-operators", ends=ends,
                researchers=Researchers.identity_center(airlock.administrator_permission_set)),
            access_logs=self.access_logs, trail=self.audit_trail)

    def _add_configured_approvals(self, approvals: tuple[ApprovalConfig, ...]) -> None:
        self.approvals = []
        for approval in approvals:
            self.approvals.append(ApprovedAccess(
                self, f"Approval-{approval.approval_id}", approval_id=approval.approval_id,
                researchers=approval.researchers(self), ends=approval.ends, buckets=[self.phi_data],
                prefix=approval.prefix,
                access=AccessLevel.READ_WRITE_RESULTS, sequence_stores=[self.sequence_store]))
            for collaborator in approval.collaborators:
                CollaboratorAccess(self, f"Collaborator-{approval.approval_id}-{collaborator.account}",
                                   approval_id=approval.approval_id, account=collaborator.account,
                                   bucket=self.phi_data, prefix=collaborator.prefix, ends=approval.ends)


EXAMPLE_APPROVAL_ID = "phs000000.v1.p1"
# An IAM SAML provider's ARN: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
SAML_PROVIDER_ARN = re.compile(r"^arn:(aws|aws-cn|aws-us-gov):iam::(?P<account>\d{12}):saml-provider/[\w.-]{1,128}$")
EXAMPLE_COLLABORATOR_ACCOUNT = "444455556666"  # the AWS documentation's example account


def default_approval_end(today: datetime.date | None = None) -> datetime.date:
    """1 January of the year after next: always one to two years ahead, and the template changes once a year."""
    today = today or datetime.datetime.now(datetime.UTC).date()
    return datetime.date(today.year + 2, 1, 1)


@dataclass(frozen=True)
class ApprovalContext:
    """The example approval from context; every default is safe to synthesize and to deploy.

    - ``omics-secure:approval-id`` (default ``phs000000.v1.p1``, a placeholder dbGaP study).
    - ``omics-secure:approval-ends`` (ISO date; default 1 January of the year after next).
    - ``omics-secure:approval-prefix`` (default ``approved/``): what the approved people read; they write
      results under ``results/<approval id>/``.
    - Who, one of: ``omics-secure:approval-permission-set`` (an IAM Identity Center permission set's roles,
      with ``omics-secure:approval-identity-center-region`` to name the instance's region),
      ``omics-secure:approval-saml-provider`` (a SAML provider ARN of this account), or
      ``omics-secure:approval-principals`` (role or user ARNs of this account, list or comma-separated;
      default any principal of the account allowed to assume the role), always with MFA.
    - ``omics-secure:collaborator-account`` and ``omics-secure:collaborator-prefix`` (default ``shared/``):
      a collaborator account reading through an S3 access point. Default: the documentation account
      444455556666 while ``omics-secure:account`` is the placeholder, and none once you set your own account
      (so a deployment never shares data with an account nobody named). ``none`` removes it.
    """

    approval_id: str
    ends: datetime.date
    prefix: str
    principals: tuple[str, ...]
    collaborator_account: str | None
    collaborator_prefix: str
    permission_set: str | None = None
    identity_center_region: str | None = None
    saml_provider_arn: str | None = None

    @classmethod
    def from_context(cls, scope: Construct, config: ReferenceConfig) -> ApprovalContext:
        def context(key: str) -> object:
            value = scope.node.try_get_context(f"omics-secure:{key}")
            return None if value in (None, "", []) else value

        problems = ProblemCollector("reference app context")
        ends = default_approval_end()
        raw_ends = context("approval-ends")
        if raw_ends is not None:
            try:
                ends = datetime.date.fromisoformat(str(raw_ends))
            except ValueError:
                problems.add("omics-secure:approval-ends", raw_ends, "use an ISO date, e.g. 2027-06-30")
        raw_principals = context("approval-principals")
        principals = tuple(str(p).strip() for p in (
            raw_principals.split(",") if isinstance(raw_principals, str) else raw_principals or [])  # type: ignore[attr-defined]
            if str(p).strip())
        collaborator = context("collaborator-account")
        if collaborator is None and config.account == DEFAULT_ACCOUNT:
            collaborator = EXAMPLE_COLLABORATOR_ACCOUNT
        permission_set, saml_provider = context("approval-permission-set"), context("approval-saml-provider")
        region = context("approval-identity-center-region")
        named = [key for key, value in (("approval-principals", principals), ("approval-permission-set",
                 permission_set), ("approval-saml-provider", saml_provider)) if value]
        if len(named) > 1:
            problems.add(f"omics-secure:{named[1]}", context(named[1]),
                         f"name the approved people one way, not with both omics-secure:{named[0]} and "
                         f"omics-secure:{named[1]}")
        if saml_provider is not None and not SAML_PROVIDER_ARN.match(str(saml_provider)):
            problems.add("omics-secure:approval-saml-provider", saml_provider,
                         f"use a SAML provider ARN, e.g. arn:aws:iam::{config.account}:saml-provider/Institute")
        if region is not None and permission_set is None:
            problems.add("omics-secure:approval-identity-center-region", region,
                         "it narrows omics-secure:approval-permission-set; set that too, or remove it")
        problems.raise_if_any()
        return cls(
            approval_id=str(context("approval-id") or EXAMPLE_APPROVAL_ID), ends=ends,
            prefix=str(context("approval-prefix") or "approved/"), principals=principals,
            collaborator_account=None if collaborator in (None, "none") else str(collaborator),
            collaborator_prefix=str(context("collaborator-prefix") or "shared/"),
            permission_set=None if permission_set is None else str(permission_set),
            identity_center_region=None if region is None else str(region),
            saml_provider_arn=None if saml_provider is None else str(saml_provider))


def alarm_email(scope: Construct) -> str | None:
    """The operator address alerts go to, from context ``omics-secure:alarm-email``; default none."""
    value = scope.node.try_get_context("omics-secure:alarm-email")
    return str(value) if value not in (None, "") else None


@dataclass(frozen=True)
class NetworkContext:
    """Network and compute settings from context: ``omics-secure:vpc-cidr``, ``omics-secure:endpoints``
    (InterfaceEndpoint names, as a list or comma-separated), ``omics-secure:batch-spot`` and
    ``omics-secure:analysis-workstation`` (off by default: an always-on instance costs money).
    """

    cidr: str = DEFAULT_CIDR
    endpoints: tuple[InterfaceEndpoint, ...] = DEFAULT_INTERFACE_ENDPOINTS
    spot: bool = False
    workstation: bool = False

    @classmethod
    def from_context(cls, scope: Construct) -> NetworkContext:
        problems = ProblemCollector("reference app context")
        cidr = scope.node.try_get_context("omics-secure:vpc-cidr") or DEFAULT_CIDR
        raw = scope.node.try_get_context("omics-secure:endpoints")
        endpoints: tuple[InterfaceEndpoint, ...] = DEFAULT_INTERFACE_ENDPOINTS
        if raw not in (None, "", []):
            names = [n.strip() for n in (raw.split(",") if isinstance(raw, str) else raw) if str(n).strip()]
            unknown = [n for n in names if n not in InterfaceEndpoint.__members__]
            if unknown:
                problems.add("omics-secure:endpoints", unknown,
                             "use InterfaceEndpoint names: " + ", ".join(InterfaceEndpoint.__members__))
            endpoints = tuple(InterfaceEndpoint[n] for n in names if n in InterfaceEndpoint.__members__)
        flags = {}
        for name in ("batch-spot", "analysis-workstation"):
            value = scope.node.try_get_context(f"omics-secure:{name}")
            if value not in (None, True, False, "true", "false"):
                problems.add(f"omics-secure:{name}", value, "use true or false")
            flags[name] = value in (True, "true")
        problems.raise_if_any()
        return cls(cidr=str(cidr), endpoints=endpoints, spot=flags["batch-spot"],
                   workstation=flags["analysis-workstation"])


def build_reference_app(app: cdk.App | None = None, *, with_compliance_packs: bool = True) -> cdk.App:
    """The reference app with every compliance pack registered, so synthesis fails on any finding.

    ``with_compliance_packs=False`` exists to measure plain synthesis (benchmarks/); ``omics-secure
    check`` registers the packs on the app regardless.
    """
    app = app or cdk.App()
    config = ReferenceConfig.from_context(app)
    replica = ReferenceReplicaStack(app, "OmicsSecureReplica", config=config)
    ReferencePrimaryStack(app, "OmicsSecurePrimary", config=config, replica=replica.phi_data_replica,
                          backup_copy_vault=replica.backup_vault)
    if with_compliance_packs:
        add_compliance_packs(app)
    return app
