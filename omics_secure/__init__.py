"""omics-secure: AWS CDK constructs for PHI and controlled-access genomic data, secure by default."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omics_secure._internal.lazy import lazy_exports
from omics_secure._internal.node_runtime import silence_end_of_life_banner

silence_end_of_life_banner()

if TYPE_CHECKING:
    from omics_secure._internal.errors import (
        OmicsSecureConfigError as OmicsSecureConfigError,
    )
    from omics_secure.access import (
        AccessLevel as AccessLevel,
    )
    from omics_secure.access import (
        ApprovedAccess as ApprovedAccess,
    )
    from omics_secure.access import (
        CollaboratorAccess as CollaboratorAccess,
    )
    from omics_secure.access import (
        Researchers as Researchers,
    )
    from omics_secure.airlock import (
        Airlock as Airlock,
    )
    from omics_secure.airlock import (
        AirlockAdministrators as AirlockAdministrators,
    )
    from omics_secure.airlock import (
        AirlockDirection as AirlockDirection,
    )
    from omics_secure.airlock import (
        AirlockReviewers as AirlockReviewers,
    )
    from omics_secure.airlock import (
        BucketMalwareProtection as BucketMalwareProtection,
    )
    from omics_secure.audit import (
        AccountAlarm as AccountAlarm,
    )
    from omics_secure.audit import (
        AccountAlarms as AccountAlarms,
    )
    from omics_secure.audit import (
        AccountSecurityServices as AccountSecurityServices,
    )
    from omics_secure.audit import (
        AlertTopic as AlertTopic,
    )
    from omics_secure.audit import (
        AuditTrail as AuditTrail,
    )
    from omics_secure.audit import (
        ConfigRule as ConfigRule,
    )
    from omics_secure.audit import (
        KeyWatch as KeyWatch,
    )
    from omics_secure.audit import (
        MacieFrequency as MacieFrequency,
    )
    from omics_secure.backup import (
        PhiBackup as PhiBackup,
    )
    from omics_secure.backup import (
        PhiBackupVault as PhiBackupVault,
    )
    from omics_secure.compute import (
        AnalysisWorkstation as AnalysisWorkstation,
    )
    from omics_secure.compute import (
        HealthOmicsRunNetwork as HealthOmicsRunNetwork,
    )
    from omics_secure.compute import (
        PipelineCompute as PipelineCompute,
    )
    from omics_secure.healthlake import (
        FhirDatastore as FhirDatastore,
    )
    from omics_secure.healthlake import (
        FhirImportExportRole as FhirImportExportRole,
    )
    from omics_secure.healthlake import (
        SmartAuthorizationStrategy as SmartAuthorizationStrategy,
    )
    from omics_secure.healthlake import (
        SmartOnFhirConfig as SmartOnFhirConfig,
    )
    from omics_secure.images import (
        ImageRepository as ImageRepository,
    )
    from omics_secure.keys import (
        ExistingPhiKey as ExistingPhiKey,
    )
    from omics_secure.keys import (
        KeyService as KeyService,
    )
    from omics_secure.keys import (
        PhiKey as PhiKey,
    )
    from omics_secure.keys import (
        key_policy_statements as key_policy_statements,
    )
    from omics_secure.keys import (
        prepare_key_for_services as prepare_key_for_services,
    )
    from omics_secure.network import (
        InterfaceEndpoint as InterfaceEndpoint,
    )
    from omics_secure.network import (
        IsolatedVpc as IsolatedVpc,
    )
    from omics_secure.omics import (
        PrivateWorkflow as PrivateWorkflow,
    )
    from omics_secure.omics import (
        ReferenceStore as ReferenceStore,
    )
    from omics_secure.omics import (
        RunGroup as RunGroup,
    )
    from omics_secure.omics import (
        SequenceStore as SequenceStore,
    )
    from omics_secure.omics import (
        WorkflowDefinition as WorkflowDefinition,
    )
    from omics_secure.omics import (
        WorkflowEngine as WorkflowEngine,
    )
    from omics_secure.omics import (
        WorkflowRunRole as WorkflowRunRole,
    )
    from omics_secure.omics_workflows import (
        RunCache as RunCache,
    )
    from omics_secure.omics_workflows import (
        RunCacheBehavior as RunCacheBehavior,
    )
    from omics_secure.omics_workflows import (
        WorkflowVersion as WorkflowVersion,
    )
    from omics_secure.organization import (
        ControlsProtectionPolicy as ControlsProtectionPolicy,
    )
    from omics_secure.organization import (
        DataClassificationTagPolicy as DataClassificationTagPolicy,
    )
    from omics_secure.organization import (
        HipaaServicesPolicy as HipaaServicesPolicy,
    )
    from omics_secure.organization import (
        OrganizationGuardrails as OrganizationGuardrails,
    )
    from omics_secure.organization import (
        OrganizationPolicyTypes as OrganizationPolicyTypes,
    )
    from omics_secure.organization import (
        RegionLockPolicy as RegionLockPolicy,
    )
    from omics_secure.storage import (
        AccessLogBucket as AccessLogBucket,
    )
    from omics_secure.storage import (
        Encryption as Encryption,
    )
    from omics_secure.storage import (
        ObjectLockMode as ObjectLockMode,
    )
    from omics_secure.storage import (
        PhiBucket as PhiBucket,
    )
    from omics_secure.storage import (
        PhiReplicaBucket as PhiReplicaBucket,
    )
    from omics_secure.storage import (
        RawDataTiering as RawDataTiering,
    )
    from omics_secure.storage import (
        TlsVersion as TlsVersion,
    )
    from omics_secure.verify import (
        VerifyAuditorRole as VerifyAuditorRole,
    )

# Exports load on first use, so that tools which only read synthesized assemblies (the
# omics-secure command) do not start the jsii runtime that importing aws_cdk starts.
_EXPORTS = {
    "AccessLevel": "omics_secure.access",
    "AccessLogBucket": "omics_secure.storage",
    "AccountAlarm": "omics_secure.audit",
    "AccountAlarms": "omics_secure.audit",
    "AccountSecurityServices": "omics_secure.audit",
    "Airlock": "omics_secure.airlock",
    "AirlockAdministrators": "omics_secure.airlock",
    "AirlockDirection": "omics_secure.airlock",
    "AirlockReviewers": "omics_secure.airlock",
    "AlertTopic": "omics_secure.audit",
    "AnalysisWorkstation": "omics_secure.compute",
    "ApprovedAccess": "omics_secure.access",
    "AuditTrail": "omics_secure.audit",
    "BucketMalwareProtection": "omics_secure.airlock",
    "CollaboratorAccess": "omics_secure.access",
    "ConfigRule": "omics_secure.audit",
    "ControlsProtectionPolicy": "omics_secure.organization",
    "DataClassificationTagPolicy": "omics_secure.organization",
    "Encryption": "omics_secure.storage",
    "ExistingPhiKey": "omics_secure.keys",
    "FhirDatastore": "omics_secure.healthlake",
    "FhirImportExportRole": "omics_secure.healthlake",
    "HealthOmicsRunNetwork": "omics_secure.compute",
    "HipaaServicesPolicy": "omics_secure.organization",
    "ImageRepository": "omics_secure.images",
    "InterfaceEndpoint": "omics_secure.network",
    "IsolatedVpc": "omics_secure.network",
    "KeyService": "omics_secure.keys",
    "KeyWatch": "omics_secure.audit",
    "MacieFrequency": "omics_secure.audit",
    "ObjectLockMode": "omics_secure.storage",
    "OmicsSecureConfigError": "omics_secure._internal.errors",
    "OrganizationGuardrails": "omics_secure.organization",
    "OrganizationPolicyTypes": "omics_secure.organization",
    "PhiBackup": "omics_secure.backup",
    "PhiBackupVault": "omics_secure.backup",
    "PhiBucket": "omics_secure.storage",
    "PhiKey": "omics_secure.keys",
    "PhiReplicaBucket": "omics_secure.storage",
    "PipelineCompute": "omics_secure.compute",
    "PrivateWorkflow": "omics_secure.omics",
    "RawDataTiering": "omics_secure.storage",
    "ReferenceStore": "omics_secure.omics",
    "RegionLockPolicy": "omics_secure.organization",
    "Researchers": "omics_secure.access",
    "RunCache": "omics_secure.omics_workflows",
    "RunCacheBehavior": "omics_secure.omics_workflows",
    "RunGroup": "omics_secure.omics",
    "SequenceStore": "omics_secure.omics",
    "SmartAuthorizationStrategy": "omics_secure.healthlake",
    "SmartOnFhirConfig": "omics_secure.healthlake",
    "TlsVersion": "omics_secure.storage",
    "VerifyAuditorRole": "omics_secure.verify",
    "WorkflowDefinition": "omics_secure.omics",
    "WorkflowEngine": "omics_secure.omics",
    "WorkflowRunRole": "omics_secure.omics",
    "WorkflowVersion": "omics_secure.omics_workflows",
    "key_policy_statements": "omics_secure.keys",
    "prepare_key_for_services": "omics_secure.keys",
}

__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
