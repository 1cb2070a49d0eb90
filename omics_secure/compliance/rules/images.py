"""Rules for container-image repositories, where HealthOmics workflows take their containers from, and
HealthOmics run caches.

"This account's ECR" is judged from the template: an image URI or account id that is ``AWS::AccountId``
(written ``!Ref``/``${AWS::AccountId}``), a reference to an ``AWS::ECR::Repository`` of the same template,
or a literal account equal to the ``AWS::AccountId`` value the check was given. A literal account the
check cannot compare gets a cannot-judge verdict, never a silent pass.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from omics_secure._internal.tags import DATA_CLASSIFICATION_TAG, PHI
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
from omics_secure.inputs.values import (
    CannotJudge,
    Text,
    Unknown,
    choice,
    each,
    field,
    flag,
    known,
    mapping,
    mappings,
    referenced_id,
    show,
    text,
)

ECR_REPOSITORY = frozenset({"AWS::ECR::Repository"})
OMICS_WORKFLOWS = frozenset({"AWS::Omics::Workflow", "AWS::Omics::WorkflowVersion"})
RUN_CACHE = frozenset({"AWS::Omics::RunCache"})
ACCOUNT_ID = "AWS::AccountId"
# An ECR private image URI: <account>.dkr.ecr.<region>.amazonaws.com[.cn]/<repository>[:tag|@digest]
_ECR_IMAGE = re.compile(r"^(\d{12})\.dkr\.ecr(?:-fips)?\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?/")
_AWS_MANAGED_ECR_KEY = re.compile(r"(^|:)alias/aws/ecr$")
_S3_LOCATION = re.compile(r"^s3://([^/]+)(/.*)?$")

_ENCRYPTION_AT_REST = Controls(
    hipaa=("164.312(a)(2)(iv)",),
    nist_800_53_r5=("SC-12", "SC-28", "SC-28(1)"),
    nist_800_171_r2=("3.13.10", "3.13.16"),
    dbgap=("Data Encryption",),
)
_SOFTWARE_INTEGRITY = Controls(
    hipaa=("164.312(c)(1)",),
    nist_800_53_r5=("SI-7", "CM-7"),
    nist_800_171_r2=("3.4.6",),
    dbgap=("Operating Systems and Applications",),
)
_VULNERABILITY_SCANNING = Controls(
    hipaa=("164.308(a)(1)(ii)(A)",),
    nist_800_53_r5=("RA-5", "SI-7"),
    nist_800_171_r2=("3.11.2",),
    dbgap=("Operating Systems and Applications",),
)
_PHI_LOCATION = Controls(
    hipaa=("164.312(a)(2)(iv)", "164.312(c)(1)"),
    nist_800_53_r5=("SC-28",),
    nist_800_171_r2=("3.13.16",),
    dbgap=("File Systems and Storage Volumes",),
)


def _repository_cmk(resource: Resource) -> Verdict:
    config = known(resource.properties, "EncryptionConfiguration")
    if not isinstance(config, Mapping):
        return non_compliant("no EncryptionConfiguration: images are encrypted with S3-managed keys (AES256)")
    encryption = text(config, "EncryptionType")
    if encryption not in ("KMS", "KMS_DSSE"):
        return non_compliant(f"EncryptionType is {encryption or 'absent'}, not KMS or KMS_DSSE")
    key = known(config, "KmsKey")
    if key in (None, ""):
        return non_compliant("EncryptionType KMS without KmsKey uses the AWS managed key aws/ecr")
    if isinstance(key, str) and _AWS_MANAGED_ECR_KEY.search(key):
        return non_compliant("KmsKey is the AWS managed key alias/aws/ecr")
    return COMPLIANT


TAG_MUTABILITY_VALUES = ("MUTABLE", "IMMUTABLE", "MUTABLE_WITH_EXCLUSION", "IMMUTABLE_WITH_EXCLUSION")


def _repository_immutable(resource: Resource) -> Verdict:
    # The values CloudFormation accepts for ImageTagMutability:
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ecr-repository.html
    mutability = choice(resource.properties, "ImageTagMutability", options=TAG_MUTABILITY_VALUES)
    if mutability != "IMMUTABLE":
        return non_compliant(f"ImageTagMutability is {mutability or 'absent (MUTABLE)'}, not IMMUTABLE")
    return COMPLIANT


def _repository_scanned(resource: Resource) -> Verdict:
    if flag(resource.properties, "ImageScanningConfiguration", "ScanOnPush") is not True:
        return non_compliant("ImageScanningConfiguration.ScanOnPush is not true")
    return COMPLIANT


def _template_account(resource: Resource) -> str | None:
    account = resource.template_values().pseudo.get(ACCOUNT_ID)
    return account if isinstance(account, str) else None


def _is_this_account(value: Any) -> bool:
    return isinstance(value, Unknown) and value.expression == {"Ref": ACCOUNT_ID}


def _account_problem(resource: Resource, where: str, account: Any) -> str | None:
    """None when ``account`` is this template's account; a problem otherwise; CannotJudge when unknown."""
    if _is_this_account(account):
        return None
    if isinstance(account, str):
        own = _template_account(resource)
        if own is None:
            raise CannotJudge(where, account, f"and this template's account is not known; pass {ACCOUNT_ID} "
                                              "as a parameter value to compare")
        return None if account == own else f"{where} is account {account}, not this account ({own})"
    raise CannotJudge(where, account)


def _template_repositories(resource: Resource) -> set[str]:
    return {logical_id for logical_id, _ in resource.others_of_type("AWS::ECR::Repository")}


def _destination_problem(resource: Resource, where: str, destination: Any) -> str | None:
    """None when ``destination`` is an image of this account's ECR; a problem otherwise; CannotJudge when unknown."""
    if referenced_id(destination) in _template_repositories(resource):
        return None
    if isinstance(destination, Text):
        if any(destination.refers_to(repository) for repository in _template_repositories(resource)):
            return None
        first, rest = destination.parts[0], destination.parts[1:]
        if _is_this_account(first) and rest and isinstance(rest[0], str) and rest[0].startswith(".dkr.ecr"):
            return None
        if not isinstance(first, str):
            raise CannotJudge(where, destination)
        destination = first  # the literal start decides the registry: "quay.io/${Tool}" is not ECR
        if "/" not in destination and not _ECR_IMAGE.match(destination + "/"):
            raise CannotJudge(where, destination)
    if isinstance(destination, str):
        match = _ECR_IMAGE.match(destination)
        if match is None:
            return f"{where} {destination!r} is not an Amazon ECR private image"
        return _account_problem(resource, where, match.group(1))
    raise CannotJudge(where, destination)


def _workflow_container_sources(resource: Resource) -> Verdict:
    if field(resource.properties, "ContainerRegistryMapUri") not in (None, ""):
        return cannot_judge("ContainerRegistryMapUri: the registry map is read from S3 at deploy time, so its "
                            "container sources cannot be judged from the template")
    registry_map = mapping(resource.properties, "ContainerRegistryMap")
    if not registry_map:
        return NOT_APPLICABLE

    def judge_registry(entry: tuple[int, Mapping[str, Any]]) -> list[str]:
        index, registry = entry
        where = f"ContainerRegistryMap.RegistryMappings[{index}].EcrAccountId"
        problem = _account_problem(resource, where, field(registry, "EcrAccountId"))
        return [problem] if problem else []

    def judge_image(entry: tuple[int, Mapping[str, Any]]) -> list[str]:
        index, image = entry
        where = f"ContainerRegistryMap.ImageMappings[{index}].DestinationImage"
        problem = _destination_problem(resource, where, known(image, "DestinationImage"))
        return [problem] if problem else []

    problems, unknown = each(list(enumerate(mappings(registry_map, "RegistryMappings"))), judge_registry)
    image_problems, image_unknown = each(list(enumerate(mappings(registry_map, "ImageMappings"))), judge_image)
    problems += image_problems
    unknown += image_unknown
    if problems:
        return non_compliant("; ".join(problems))
    return cannot_judge("; ".join(dict.fromkeys(str(u) for u in unknown))) if unknown else COMPLIANT


def _phi_bucket_ids(resource: Resource) -> set[str]:
    return {logical_id for logical_id, body in resource.others_of_type("AWS::S3::Bucket")
            if any(text(tag, "Key") == DATA_CLASSIFICATION_TAG and text(tag, "Value") == PHI
                   for tag in mappings(mapping(body, "Properties"), "Tags"))}


def _run_cache_in_phi_bucket(resource: Resource) -> Verdict:
    location = known(resource.properties, "CacheS3Location")
    if location in (None, ""):
        return non_compliant("no CacheS3Location")
    phi_buckets = _phi_bucket_ids(resource)
    problems: list[str] = []
    if isinstance(location, Text):
        if not any(location.refers_to(bucket) for bucket in phi_buckets):
            named = [p for p in location.parts if referenced_id(p) is not None]
            if named:
                return non_compliant(f"CacheS3Location {show(location)} is not in a bucket of this template "
                                     f"tagged {DATA_CLASSIFICATION_TAG}={PHI}")
            raise CannotJudge("CacheS3Location", location)
    elif isinstance(location, str):
        match = _S3_LOCATION.match(location)
        names = {text(mapping(body, "Properties"), "BucketName")
                 for logical_id, body in resource.others_of_type("AWS::S3::Bucket") if logical_id in phi_buckets}
        if match is None or match.group(1) not in names:
            return non_compliant(f"CacheS3Location {location!r} is not in a bucket of this template tagged "
                                 f"{DATA_CLASSIFICATION_TAG}={PHI}")
    else:
        raise CannotJudge("CacheS3Location", location)
    if field(resource.properties, "CacheBucketOwnerId") in (None, ""):
        problems.append("no CacheBucketOwnerId: the bucket's owner is not pinned")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


ECR_REPOSITORY_CUSTOMER_MANAGED_KEY = Rule(
    id="EcrRepositoryCustomerManagedKey",
    resource_types=ECR_REPOSITORY,
    finding="The ECR repository is not encrypted with a customer-managed KMS key.",
    explanation=(
        "Images of pipelines that read PHI can embed reference data, credentials or samples; with AES256 or "
        "the AWS managed key aws/ecr their use cannot be revoked by the data owner, and the encryption of a "
        "repository cannot be changed after it is created."
    ),
    controls=_ENCRYPTION_AT_REST,
    check=_repository_cmk,
    fix=("ImageRepository(key=PhiKey(...)) sets it; in CloudFormation set EncryptionConfiguration "
         "EncryptionType KMS with KmsKey naming your key"),
)

ECR_REPOSITORY_TAG_IMMUTABLE = Rule(
    id="EcrRepositoryTagImmutable",
    resource_types=ECR_REPOSITORY,
    finding="The ECR repository's image tags are mutable.",
    explanation=(
        "With mutable tags a push can replace the image a workflow names by tag, so the code that ran over "
        "PHI cannot be traced to what was reviewed and scanned."
    ),
    controls=_SOFTWARE_INTEGRITY,
    check=_repository_immutable,
    fix="ImageRepository sets it; in CloudFormation set ImageTagMutability IMMUTABLE",
)

ECR_REPOSITORY_SCAN_ON_PUSH = Rule(
    id="EcrRepositoryScanOnPush",
    resource_types=ECR_REPOSITORY,
    finding="The ECR repository does not scan images on push.",
    explanation=(
        "NIH's security best practices for controlled-access data ask that container images be scanned for "
        "known vulnerabilities before they run over the data."
    ),
    controls=_VULNERABILITY_SCANNING,
    check=_repository_scanned,
    fix=("ImageRepository sets it; in CloudFormation set ImageScanningConfiguration ScanOnPush true. Where "
         "the registry's enhanced scanning (AWS::ECR::RegistryScanningConfiguration) covers the repository, "
         "acknowledge the finding with that as the reason"),
)

OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT = Rule(
    id="OmicsWorkflowContainersInAccount",
    resource_types=OMICS_WORKFLOWS,
    finding="The HealthOmics workflow's container registry map takes containers from outside this account's ECR.",
    explanation=(
        "A registry map decides what code a run executes over PHI; a mapping to another account's registry or "
        "to a public image lets a party outside the account change that code. Map to repositories of this "
        "account (pull-through caches included), or acknowledge the finding with the reason the source is "
        "trusted."
    ),
    controls=_SOFTWARE_INTEGRITY,
    check=_workflow_container_sources,
    fix=("PrivateWorkflow and WorkflowVersion take container_repositories and image_mappings onto them; in "
         "CloudFormation map to ${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com images and set "
         "EcrAccountId to ${AWS::AccountId}"),
)

OMICS_RUN_CACHE_IN_PHI_BUCKET = Rule(
    id="OmicsRunCacheInPhiBucket",
    resource_types=RUN_CACHE,
    finding="The HealthOmics run cache is not in a bucket tagged as holding PHI, or its bucket owner is not pinned.",
    explanation=(
        "A run cache keeps task outputs, which are intermediate PHI; it belongs in a bucket with the PHI "
        "bucket's encryption, versioning, object lock and logging, and CacheBucketOwnerId keeps a bucket that "
        "changed hands from receiving it."
    ),
    controls=_PHI_LOCATION,
    check=_run_cache_in_phi_bucket,
    fix=("RunCache(bucket=PhiBucket(...)) sets both; in CloudFormation put CacheS3Location in a bucket tagged "
         f"{DATA_CLASSIFICATION_TAG}={PHI} and set CacheBucketOwnerId"),
)

IMAGE_RULES = (
    ECR_REPOSITORY_CUSTOMER_MANAGED_KEY,
    ECR_REPOSITORY_TAG_IMMUTABLE,
    ECR_REPOSITORY_SCAN_ON_PUSH,
    OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT,
    OMICS_RUN_CACHE_IN_PHI_BUCKET,
)
