"""The reference environment deployed by ``app.py``, configured through CDK context."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk
from constructs import Construct

from omics_secure.compliance.nag import add_compliance_packs
from omics_secure.healthlake import FhirDatastore, FhirImportExportRole
from omics_secure.keys import KeyService, PhiKey
from omics_secure.omics import (
    PrivateWorkflow,
    ReferenceStore,
    RunGroup,
    SequenceStore,
    WorkflowDefinition,
    WorkflowEngine,
    WorkflowRunRole,
)
from omics_secure.storage import AccessLogBucket, PhiBucket, PhiReplicaBucket

DEFAULT_ACCOUNT = "111122223333"
DEFAULT_REGION = "us-east-1"
DEFAULT_REPLICA_REGION = "us-west-2"
EXAMPLE_WORKFLOW = Path(__file__).parent / "workflows" / "example"


@dataclass(frozen=True)
class ReferenceConfig:
    """Settings read from CDK context (``cdk.json`` or ``-c key=value``); every one has a default.

    ``account`` and ``region`` default to a placeholder account and us-east-1 so that ``cdk synth``
    works with no context and no credentials; set them to deploy. ``replica_region``
    (``omics-secure:replica-region``, default us-west-2) holds the cross-region replica of the PHI data.
    """

    account: str = DEFAULT_ACCOUNT
    region: str = DEFAULT_REGION
    replica_region: str = DEFAULT_REPLICA_REGION

    @classmethod
    def from_context(cls, scope: Construct) -> ReferenceConfig:
        def context(key: str, default: str) -> str:
            value = scope.node.try_get_context(f"omics-secure:{key}")
            return str(value) if value not in (None, "") else default

        return cls(account=context("account", DEFAULT_ACCOUNT), region=context("region", DEFAULT_REGION),
                   replica_region=context("replica-region", DEFAULT_REPLICA_REGION))


class ReferenceReplicaStack(cdk.Stack):
    """The second-region stack: the replica of the PHI data bucket, its key, its access logs and the
    replication role. It deploys before the primary stack, which replicates into it."""

    def __init__(self, scope: Construct, id: str, *, config: ReferenceConfig) -> None:
        super().__init__(scope, id, env=cdk.Environment(account=config.account, region=config.replica_region),
                         description="omics-secure reference environment: replica region")
        self.access_logs = AccessLogBucket(self, "AccessLogs")
        self.phi_data_replica = PhiReplicaBucket(self, "PhiDataReplica", access_logs=self.access_logs)


class ReferencePrimaryStack(cdk.Stack):
    """The primary-region stack: the data key, the PHI data bucket replicated to ``replica`` and its
    access logs, and (as the project grows) network and services."""

    def __init__(self, scope: Construct, id: str, *, config: ReferenceConfig,
                 replica: PhiReplicaBucket | None = None) -> None:
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
                                  replica=replica)
        self._add_health_services()

    def _add_health_services(self) -> None:
        """HealthOmics stores, a private workflow and its run group, and a FHIR datastore, on the data key."""
        self.sequence_store = SequenceStore(self, "SequenceStore", key=self.data_key, access_logs=self.access_logs)
        self.reference_store = ReferenceStore(self, "ReferenceStore", key=self.data_key)
        self.workflow = PrivateWorkflow(self, "Workflow", engine=WorkflowEngine.WDL,
                                        definition=WorkflowDefinition.from_asset(str(EXAMPLE_WORKFLOW)))
        self.run_group = RunGroup(self, "RunGroup")
        self.run_role = WorkflowRunRole(self, "WorkflowRunRole", inputs=[self.phi_data], outputs=[self.phi_data],
                                        input_prefix="inputs/", reference_stores=[self.reference_store])
        self.fhir_datastore = FhirDatastore(self, "FhirDatastore", key=self.data_key)
        self.fhir_jobs = FhirImportExportRole(self, "FhirJobRole", datastore=self.fhir_datastore,
                                              output=self.phi_data, source=self.phi_data)


def build_reference_app(app: cdk.App | None = None) -> cdk.App:
    """The reference app with every compliance pack registered, so synthesis fails on any finding."""
    app = app or cdk.App()
    config = ReferenceConfig.from_context(app)
    replica = ReferenceReplicaStack(app, "OmicsSecureReplica", config=config)
    ReferencePrimaryStack(app, "OmicsSecurePrimary", config=config, replica=replica.phi_data_replica)
    add_compliance_packs(app)
    return app
