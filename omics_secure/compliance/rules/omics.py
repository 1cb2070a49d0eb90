"""Rules for HealthOmics stores, HealthLake datastores and HealthOmics workflow run roles."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from omics_secure.compliance.model import (
    COMPLIANT,
    NOT_APPLICABLE,
    Controls,
    Resource,
    Rule,
    Verdict,
    cannot_judge,
    non_compliant,
)
from omics_secure.compliance.rules._policy import (
    actions,
    allow_statements,
    mentions,
    principal_values,
)
from omics_secure.inputs.values import (
    CannotJudge,
    each,
    field,
    items,
    known,
    literal_text,
    mapping,
    mappings,
    text,
)

OMICS_STORES = frozenset({
    "AWS::Omics::SequenceStore", "AWS::Omics::ReferenceStore", "AWS::Omics::VariantStore",
    "AWS::Omics::AnnotationStore",
})
FHIR_DATASTORE = frozenset({"AWS::HealthLake::FHIRDatastore"})
SEQUENCE_STORE = frozenset({"AWS::Omics::SequenceStore"})
IAM_ROLE = frozenset({"AWS::IAM::Role"})
# Services whose actions reach PHI: object data, keys, HealthOmics stores and HealthLake datastores.
DATA_SERVICES = ("s3", "kms", "omics", "healthlake")
# AWS managed policies that give a role data access across the account.
BROAD_MANAGED_POLICIES = (
    "AdministratorAccess", "PowerUserAccess", "ReadOnlyAccess", "AmazonS3FullAccess", "AmazonS3ReadOnlyAccess",
    "AmazonOmicsFullAccess", "AmazonHealthLakeFullAccess", "AWSKeyManagementServicePowerUser",
)

_ENCRYPTION_AT_REST = Controls(
    hipaa=("164.312(a)(2)(iv)",),
    nist_800_53_r5=("SC-12", "SC-28", "SC-28(1)"),
    nist_800_171_r2=("3.13.10", "3.13.16"),
    dbgap=("Data Encryption",),
)


def _omics_store_cmk(resource: Resource) -> Verdict:
    config = known(resource.properties, "SseConfig")
    if not isinstance(config, Mapping):
        return non_compliant("no SseConfig: the store uses an AWS-owned key")
    if text(config, "Type") != "KMS" or field(config, "KeyArn") in (None, ""):
        return non_compliant("SseConfig names no KeyArn: the store uses an AWS-owned key")
    return COMPLIANT


def _fhir_datastore_cmk(resource: Resource) -> Verdict:
    config = known(resource.properties, "SseConfiguration", "KmsEncryptionConfig")
    if not isinstance(config, Mapping):
        return non_compliant("no SseConfiguration: the datastore uses an AWS-owned key")
    cmk_type = text(config, "CmkType")
    if cmk_type != "CUSTOMER_MANAGED_KMS_KEY":
        return non_compliant(f"CmkType is {cmk_type or 'absent'}, not CUSTOMER_MANAGED_KMS_KEY")
    if field(config, "KmsKeyId") in (None, ""):
        return non_compliant("CUSTOMER_MANAGED_KMS_KEY without KmsKeyId")
    return COMPLIANT


def _sequence_store_logs_access(resource: Resource) -> Verdict:
    location = field(resource.properties, "AccessLogLocation")
    if location is None or (isinstance(location, str) and location.strip() in ("", "s3://")):
        return non_compliant("no AccessLogLocation: S3 access to the store's read sets is not logged")
    return COMPLIANT


def is_omics_run_role(resource: Resource) -> bool:
    """True when the role's trust policy lets HealthOmics assume it."""
    return any(mentions(principal_values(statement).get("Service", []), "omics.")
               for statement in allow_statements(known(resource.properties, "AssumeRolePolicyDocument")))


def _policies_of(resource: Resource) -> list[tuple[str, Any]]:
    """(label, document) of every inline policy and every template policy attached to the role."""
    documents: list[tuple[str, Any]] = [
        (f"inline policy {literal_text(field(p, 'PolicyName')) or index}", field(p, "PolicyDocument"))
        for index, p in enumerate(mappings(resource.properties, "Policies"))]
    reference = {"Ref": resource.logical_id}
    managed_arns = items(resource.properties, "ManagedPolicyArns")
    for logical_id, body in resource.others_of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        properties = mapping(body, "Properties")
        if reference in items(properties, "Roles") or (
                body.get("Type") == "AWS::IAM::ManagedPolicy" and {"Ref": logical_id} in managed_arns):
            documents.append((logical_id, field(properties, "PolicyDocument")))
    return documents


def _data_action(action: str) -> bool:
    return action == "*" or action.split(":", 1)[0].lower() in DATA_SERVICES


# "*", every bucket, or every key, store or datastore of a data service in an account.
_BROAD_RESOURCE = re.compile(r"^\*$|:s3:::\*|:(kms|omics|healthlake):[^:\s]*:[^:\s]*:(\*|[A-Za-z]+/\*)$")


def _any_resource(resource: Any) -> bool:
    return bool(_BROAD_RESOURCE.search(literal_text(resource).strip()))


def _statement_problems(label: str, index: int, statement: Mapping[str, Any]) -> list[str]:
    where = f"{label} {text(statement, 'Sid') or f'statement {index}'}"
    problems = []
    data_actions = [a for a in actions(statement) if _data_action(a)]
    if "NotAction" in statement:
        problems.append(f"{where} uses NotAction")
    wildcard_actions = [a for a in data_actions if "*" in a]
    if wildcard_actions:
        problems.append(f"{where} allows wildcard actions {', '.join(wildcard_actions)}")
    if data_actions and ("NotResource" in statement or any(_any_resource(r) for r in items(statement, "Resource"))):
        problems.append(f"{where} allows {', '.join(data_actions)} on every resource")
    return problems


def _run_role_no_wildcard_data_access(resource: Resource) -> Verdict:
    if not is_omics_run_role(resource):
        return NOT_APPLICABLE
    problems: list[str] = []
    unknown: list[CannotJudge] = []
    for label, document in _policies_of(resource):
        try:
            statements = list(enumerate(allow_statements(document)))
        except CannotJudge as unreadable:
            unknown.append(unreadable)
            continue

        def judge(entry: tuple[int, Mapping[str, Any]], label: str = label) -> list[str]:
            return _statement_problems(label, *entry)

        found, cannot = each(statements, judge)
        problems += found
        unknown += cannot
    for arn in items(resource.properties, "ManagedPolicyArns"):
        arn_text = literal_text(arn)
        name = arn_text.rsplit("/", 1)[-1]
        if ":iam::aws:policy/" in arn_text and name in BROAD_MANAGED_POLICIES:
            problems.append(f"AWS managed policy {name} gives account-wide data access")
    if problems:
        return non_compliant("; ".join(problems))
    return cannot_judge("; ".join(dict.fromkeys(str(u) for u in unknown))) if unknown else COMPLIANT


OMICS_STORE_CUSTOMER_MANAGED_KEY = Rule(
    id="OmicsStoreCustomerManagedKey",
    resource_types=OMICS_STORES,
    finding="The HealthOmics store is not encrypted with a customer-managed KMS key.",
    explanation=(
        "Without SseConfig.KeyArn a HealthOmics store uses an AWS-owned key, whose use cannot be audited in "
        "CloudTrail or revoked by the data owner; the encryption cannot be changed after the store is created."
    ),
    controls=_ENCRYPTION_AT_REST,
    check=_omics_store_cmk,
    fix=("SequenceStore and ReferenceStore take key=PhiKey(services=[KeyService.OMICS]); in "
         "CloudFormation set SseConfig Type KMS with KeyArn"),
)

HEALTHLAKE_DATASTORE_CUSTOMER_MANAGED_KEY = Rule(
    id="HealthLakeDatastoreCustomerManagedKey",
    resource_types=FHIR_DATASTORE,
    finding="The HealthLake FHIR datastore is not encrypted with a customer-managed KMS key.",
    explanation=(
        "With an AWS-owned key the datastore's key use cannot be audited or revoked, and HealthLake requires "
        "a customer-managed key for import and export; the encryption cannot be changed after creation."
    ),
    controls=_ENCRYPTION_AT_REST,
    check=_fhir_datastore_cmk,
    fix=("FhirDatastore(key=PhiKey(services=[KeyService.HEALTHLAKE])); in CloudFormation set "
         "SseConfiguration.KmsEncryptionConfig CmkType CUSTOMER_MANAGED_KMS_KEY with KmsKeyId"),
)

OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS = Rule(
    id="OmicsRunRoleNoWildcardDataAccess",
    resource_types=IAM_ROLE,
    finding=(
        "A role HealthOmics can assume allows wildcard S3, KMS, HealthOmics or HealthLake actions, or such "
        "actions on every resource."
    ),
    explanation=(
        "A workflow runs third-party code over PHI with its run role's permissions; wildcard data access "
        "lets one workflow read or overwrite every dataset and use every key in the account. Name the "
        "actions and the buckets, prefixes and keys of the run's inputs and outputs."
    ),
    controls=Controls(
        hipaa=("164.308(a)(4)(ii)(B)", "164.312(a)(1)"),
        nist_800_53_r5=("AC-3", "AC-6"),
        nist_800_171_r2=("3.1.1", "3.1.5"),
        dbgap=("User Accounts, Passwords, and Access Control Lists",),
    ),
    check=_run_role_no_wildcard_data_access,
    fix=("use WorkflowRunRole, which grants only the named buckets' prefixes, stores and keys; by hand "
         "list exact actions and ARNs and drop AWS managed data policies such as AmazonS3FullAccess"),
)

SEQUENCE_STORE_ACCESS_LOGGING = Rule(
    id="OmicsSequenceStoreAccessLogging",
    resource_types=SEQUENCE_STORE,
    finding="The HealthOmics sequence store does not log S3 access to its read sets.",
    explanation=(
        "Read sets are reachable through S3 URIs; AccessLogLocation records each access so that reads of "
        "genomic data can be reviewed and traced to a principal."
    ),
    controls=Controls(
        hipaa=("164.312(b)", "164.308(a)(1)(ii)(D)"),
        nist_800_53_r5=("AU-2", "AU-12"),
        nist_800_171_r2=("3.3.1", "3.3.2"),
        dbgap=("Auditing, Logging, and Monitoring",),
    ),
    check=_sequence_store_logs_access,
    fix=("SequenceStore(access_logs=AccessLogBucket(...)) sets it; in CloudFormation set "
         "AccessLogLocation to an s3:// prefix of a log bucket"),
)

OMICS_RULES = (
    OMICS_STORE_CUSTOMER_MANAGED_KEY,
    HEALTHLAKE_DATASTORE_CUSTOMER_MANAGED_KEY,
    OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS,
    SEQUENCE_STORE_ACCESS_LOGGING,
)
