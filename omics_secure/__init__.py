"""omics-secure: AWS CDK constructs for PHI and controlled-access genomic data, secure by default."""

from omics_secure._internal.node_runtime import silence_end_of_life_banner

silence_end_of_life_banner()

from omics_secure._internal.errors import OmicsSecureConfigError  # noqa: E402
from omics_secure.audit import (  # noqa: E402
    AccountAlarm,
    AccountAlarms,
    AccountSecurityServices,
    AlertTopic,
    AuditTrail,
    ConfigRule,
    KeyWatch,
    MacieFrequency,
)
from omics_secure.compute import AnalysisWorkstation, HealthOmicsRunNetwork, PipelineCompute  # noqa: E402
from omics_secure.healthlake import (  # noqa: E402
    FhirDatastore,
    FhirImportExportRole,
    SmartAuthorizationStrategy,
    SmartOnFhirConfig,
)
from omics_secure.keys import (  # noqa: E402
    ExistingPhiKey,
    KeyService,
    PhiKey,
    key_policy_statements,
    prepare_key_for_services,
)
from omics_secure.network import InterfaceEndpoint, IsolatedVpc  # noqa: E402
from omics_secure.omics import (  # noqa: E402
    PrivateWorkflow,
    ReferenceStore,
    RunGroup,
    SequenceStore,
    WorkflowDefinition,
    WorkflowEngine,
    WorkflowRunRole,
)
from omics_secure.storage import (  # noqa: E402
    AccessLogBucket,
    Encryption,
    ObjectLockMode,
    PhiBucket,
    PhiReplicaBucket,
    RawDataTiering,
    TlsVersion,
)
from omics_secure.verify import VerifyAuditorRole  # noqa: E402

__all__ = [
    "AccessLogBucket",
    "AccountAlarm",
    "AccountAlarms",
    "AccountSecurityServices",
    "AlertTopic",
    "AnalysisWorkstation",
    "AuditTrail",
    "ConfigRule",
    "Encryption",
    "ExistingPhiKey",
    "FhirDatastore",
    "FhirImportExportRole",
    "HealthOmicsRunNetwork",
    "InterfaceEndpoint",
    "IsolatedVpc",
    "KeyService",
    "KeyWatch",
    "MacieFrequency",
    "ObjectLockMode",
    "OmicsSecureConfigError",
    "PhiBucket",
    "PhiKey",
    "PhiReplicaBucket",
    "PipelineCompute",
    "PrivateWorkflow",
    "RawDataTiering",
    "ReferenceStore",
    "RunGroup",
    "SequenceStore",
    "SmartAuthorizationStrategy",
    "SmartOnFhirConfig",
    "TlsVersion",
    "VerifyAuditorRole",
    "WorkflowDefinition",
    "WorkflowEngine",
    "WorkflowRunRole",
    "key_policy_statements",
    "prepare_key_for_services",
]
