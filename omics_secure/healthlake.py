"""Amazon HealthLake FHIR R4 datastores on customer-managed keys, and the role for import and export jobs.

Requirements from the HealthLake encryption-at-rest guide: a customer-managed key "is required for both
importing and exporting files from a Data Store"; the key policy allows kms:CreateGrant,
kms:DescribeKey, kms:GenerateDataKey and kms:Decrypt through HealthLake (a PhiKey gets them when the
datastore is created on it); the encryption configuration cannot be changed after creation; the grant
HealthLake creates must never be revoked or retired (delete the datastore instead).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_healthlake as healthlake
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from constructs import Construct

from omics_secure._internal.environment import require_concrete_environment
from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.labels import check_label, check_prefix, check_role_name, check_tags
from omics_secure._internal.props import checked_props
from omics_secure.keys import KeyLike, KeyService, key_of, prepare_key_for_services
from omics_secure.omics import check_key, check_removal_policy, default_name, finish_store
from omics_secure.storage import PhiBucket

# AWS::HealthLake::FHIRDatastore DatastoreName (CloudFormation resource schema): maxLength 256, pattern
# [\p{L}\p{Z}\p{N}_.:/=+\-%@]*, i.e. Unicode letters, separators and digits and those marks.
DATASTORE_NAME_MAX = 256
_DATASTORE_NAME = re.compile(r"[\w .:/=+\-%@]*")
SMART_METADATA_ENDPOINTS = ("issuer", "authorization_endpoint", "token_endpoint")
# HealthLake checks that job buckets are private and encrypted before it reads or writes them.
JOB_BUCKET_CHECK_ACTIONS = ("s3:GetBucketPublicAccessBlock", "s3:GetEncryptionConfiguration")


class SmartAuthorizationStrategy(Enum):
    SMART_ON_FHIR_V1 = "SMART_ON_FHIR_V1"
    """SMART App Launch 1.0."""
    SMART_ON_FHIR = "SMART_ON_FHIR"
    """SMART App Launch 2.0."""


@dataclass(frozen=True)
class SmartOnFhirConfig:
    """A SMART-on-FHIR identity provider for the datastore.

    :param idp_lambda: the function that decodes and validates your authorization server's tokens.
        HealthLake is allowed to invoke it from this account only.
    :param metadata: the SMART configuration HealthLake publishes (``.well-known/smart-configuration``);
        ``issuer``, ``authorization_endpoint`` and ``token_endpoint`` are required and must be https.
    :param strategy: Default: SMART_ON_FHIR_V1.
    :param fine_grained_authorization: enforce the token's SMART scopes per resource. Default: True.
    """

    idp_lambda: lambda_.IFunction
    metadata: Mapping[str, Any] = field(default_factory=dict)
    strategy: SmartAuthorizationStrategy = SmartAuthorizationStrategy.SMART_ON_FHIR_V1
    fine_grained_authorization: bool = True


class FhirDatastore(Construct):
    """A HealthLake FHIR R4 datastore on a customer-managed key.

    Defaults, and why: encrypted with ``key`` (required, since import and export need a customer-managed
    key and the encryption cannot change after creation; a PhiKey gets the HealthLake statements added);
    AWS SigV4 authorization unless ``smart_on_fhir`` is given; no preloaded data; retained on stack
    deletion; tagged ``omics-secure:data-classification=phi``.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        key: KeyLike,
        name: str | None = None,
        preload_synthea: bool = False,
        smart_on_fhir: SmartOnFhirConfig | None = None,
        tags: Mapping[str, str] | None = None,
        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
    ) -> None:
        """
        :param key: the customer-managed key (required).
        :param name: Default: ``<stack name>-<id>``. Must not look like PHI.
        :param preload_synthea: preload Synthea's synthetic patients (create-only; for test datastores,
            as it mixes synthetic with real records). Default: False.
        :param smart_on_fhir: a SMART-on-FHIR identity provider. Default: none (AWS SigV4 auth).
        :param tags: must not look like PHI.
        :param removal_policy: Default: RETAIN; DESTROY is allowed with a warning.
        """
        problems = ProblemCollector(f"FhirDatastore '{id}'")
        check_key(problems, scope, key)
        check_label(problems, "name", name, DATASTORE_NAME_MAX)
        if name is not None and not is_unresolved(name) and not _DATASTORE_NAME.fullmatch(name):
            problems.add("name", name, "HealthLake datastore names are letters, digits, spaces and _ . : / = + - % @ "
                                       "only, e.g. 'study42-fhir'")
        if not isinstance(preload_synthea, bool):
            problems.add("preload_synthea", preload_synthea, "pass True or False")
        if smart_on_fhir is not None:
            _check_smart(problems, smart_on_fhir)
        check_tags(problems, tags)
        check_removal_policy(problems, removal_policy)
        problems.raise_if_any()

        super().__init__(scope, id)
        key = key_of(key)
        prepare_key_for_services(self, key, KeyService.HEALTHLAKE)
        self.key = key
        identity = None
        if smart_on_fhir is not None:
            identity = healthlake.CfnFHIRDatastore.IdentityProviderConfigurationProperty(
                authorization_strategy=smart_on_fhir.strategy.value,
                fine_grained_authorization_enabled=smart_on_fhir.fine_grained_authorization,
                idp_lambda_arn=smart_on_fhir.idp_lambda.function_arn,
                metadata=json.dumps(dict(smart_on_fhir.metadata), sort_keys=True),
            )
        self.datastore = healthlake.CfnFHIRDatastore(
            self, "Resource",
            datastore_name=name or default_name(scope, id),
            datastore_type_version="R4",
            sse_configuration=healthlake.CfnFHIRDatastore.SseConfigurationProperty(
                kms_encryption_config=healthlake.CfnFHIRDatastore.KmsEncryptionConfigProperty(
                    cmk_type="CUSTOMER_MANAGED_KMS_KEY", kms_key_id=key.key_arn)),
            preload_data_config=healthlake.CfnFHIRDatastore.PreloadDataConfigProperty(
                preload_data_type="SYNTHEA") if preload_synthea else None,
            identity_provider_configuration=identity,
        )
        finish_store(self, self.datastore, tags, removal_policy, "FHIR datastore")
        if smart_on_fhir is not None:
            stack = cdk.Stack.of(self)
            smart_on_fhir.idp_lambda.add_permission(
                "HealthLakeInvoke", principal=iam.ServicePrincipal("healthlake.amazonaws.com"),
                source_account=stack.account, source_arn=self.datastore_arn)
        if preload_synthea:
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:fhir-preload",
                "preload_synthea=True loads synthetic Synthea patients into this datastore; they cannot be told "
                "apart from real records by FHIR search. Use it for test datastores only.")

    @property
    def datastore_arn(self) -> str:
        return self.datastore.attr_datastore_arn

    @property
    def datastore_endpoint(self) -> str:
        return self.datastore.attr_datastore_endpoint


class FhirImportExportRole(Construct):
    """The role HealthLake assumes for StartFHIRImportJob and StartFHIRExportJob on one datastore.

    Least privilege, and why: trusted by ``healthlake.amazonaws.com`` only for this datastore
    (``aws:SourceArn``) in this account (``aws:SourceAccount``); reads the import prefix of one PHI bucket
    and writes the output prefix of one PHI bucket (job results, error files and exports) through those
    buckets' keys and S3 only; may check that those buckets are private and encrypted, as HealthLake
    does before a job. Pass ``output.key`` as the job's ``KmsKeyId``: HealthLake requires a
    customer-managed key for import and export output. Permissions live in a customer-managed policy.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        datastore: FhirDatastore,
        output: PhiBucket,
        output_prefix: str = "healthlake/output/",
        source: PhiBucket | None = None,
        source_prefix: str = "healthlake/import/",
        role_name: str | None = None,
    ) -> None:
        """
        :param datastore: the datastore whose jobs use the role.
        :param output: the PHI bucket for export files and import job results.
        :param output_prefix: Default: ``healthlake/output/``.
        :param source: the PHI bucket import files are read from. Default: none (export only).
        :param source_prefix: Default: ``healthlake/import/``.
        :param role_name: Default: generated. Must not look like PHI.
        """
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"FhirImportExportRole '{id}'")
        if not isinstance(datastore, FhirDatastore):
            problems.add("datastore", datastore, "pass the FhirDatastore whose jobs use this role")
        for prop, bucket in (("output", output), ("source", source)):
            if bucket is not None and cdk.Stack.of(bucket) is not stack:
                problems.add(prop, bucket, "use a PHI bucket of the role's own stack")
        for prop, prefix in (("output_prefix", output_prefix), ("source_prefix", source_prefix)):
            check_prefix(problems, prop, prefix, example="healthlake/output/")
        check_role_name(problems, "role_name", role_name)
        require_concrete_environment(problems, stack, "env", f"stack '{stack.node.id}'",
                                     "the trust policy's conditions (aws:SourceAccount)")
        problems.raise_if_any()

        super().__init__(scope, id)
        self.role = iam.Role(
            self, "Resource",
            role_name=role_name,
            description="omics-secure: HealthLake import and export jobs",
            assumed_by=iam.ServicePrincipal("healthlake.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnEquals": {"aws:SourceArn": datastore.datastore_arn},
            }),
        )
        self.policy = iam.ManagedPolicy(self, "Policy", roles=[self.role],
                                        description="omics-secure: HealthLake import and export permissions")
        self.output = output
        self.source = source
        buckets = [(output, output_prefix, output.grant_write)]
        if source is not None:
            buckets.append((source, source_prefix, source.grant_read))
        for _, prefix, grant in buckets:
            grant(self.policy, f"{prefix}*")  # the grant acknowledges its object-ARN pattern on the policy
        iam.Grant.add_to_principal(grantee=self.policy, actions=list(JOB_BUCKET_CHECK_ACTIONS),
                                   resource_arns=list(dict.fromkeys(b.bucket.bucket_arn for b, _, _ in buckets)))

    @property
    def role_arn(self) -> str:
        return self.role.role_arn


def _check_smart(problems: ProblemCollector, config: object) -> None:
    if not isinstance(config, SmartOnFhirConfig):
        problems.add("smart_on_fhir", config, "pass SmartOnFhirConfig(idp_lambda=..., metadata={...})")
        return
    if not hasattr(config.idp_lambda, "function_arn"):  # lambda_.IFunction is a jsii protocol
        problems.add("smart_on_fhir.idp_lambda", config.idp_lambda, "pass the token-validating lambda_.IFunction")
    if not isinstance(config.strategy, SmartAuthorizationStrategy):
        problems.add("smart_on_fhir.strategy", config.strategy,
                     "use SmartAuthorizationStrategy.SMART_ON_FHIR_V1 or SMART_ON_FHIR")
    metadata = config.metadata if isinstance(config.metadata, Mapping) else {}
    for endpoint in SMART_METADATA_ENDPOINTS:
        value = metadata.get(endpoint)
        if not (isinstance(value, str) and (is_unresolved(value) or value.startswith("https://"))):
            problems.add(f"smart_on_fhir.metadata[{endpoint!r}]", value,
                         "give the authorization server's https URL (TLS is required for tokens)")
    try:
        json.dumps(dict(metadata))
    except (TypeError, ValueError):
        problems.add("smart_on_fhir.metadata", metadata, "use JSON-serialisable values")
