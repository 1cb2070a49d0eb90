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
from omics_secure.keys import ExistingPhiKey, KeyService, PhiKey, key_policy_statements  # noqa: E402
from omics_secure.network import InterfaceEndpoint, IsolatedVpc  # noqa: E402
from omics_secure.storage import (  # noqa: E402
    AccessLogBucket,
    Encryption,
    ObjectLockMode,
    PhiBucket,
    PhiReplicaBucket,
    RawDataTiering,
    TlsVersion,
)

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
    "RawDataTiering",
    "TlsVersion",
    "key_policy_statements",
]
