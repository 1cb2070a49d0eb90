"""The image-repository, workflow-container-source and run-cache rules: compliant, non-compliant, near-miss
and intrinsic (Ref, Fn::Sub, Fn::If, parameters) cases, as templates state them."""

from __future__ import annotations

from typing import Any

import pytest

from omics_secure.compliance.controls import CONTROL_IDS, DBGAP, HIPAA, NIST_800_53, NIST_800_171
from omics_secure.compliance.model import Resource, Rule, Status, TemplateIndex, Verdict
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.rules.images import (
    ECR_REPOSITORY_CUSTOMER_MANAGED_KEY,
    ECR_REPOSITORY_SCAN_ON_PUSH,
    ECR_REPOSITORY_TAG_IMMUTABLE,
    IMAGE_RULES,
    OMICS_RUN_CACHE_IN_PHI_BUCKET,
    OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT,
)
from omics_secure.inputs.values import TemplateValues

C, NC, CJ, NA = Status.COMPLIANT, Status.NON_COMPLIANT, Status.CANNOT_JUDGE, Status.NOT_APPLICABLE
ACCOUNT = "111122223333"
PHI_TAGS = [{"Key": "omics-secure:data-classification", "Value": "phi"}]
PARAMETERS = {"Env": {"Type": "String", "Default": "dev"}, "KeyArn": {"Type": "String"},
              "Mutability": {"Type": "String", "Default": "IMMUTABLE"}, "Image": {"Type": "String"},
              "RegistryAccount": {"Type": "String"}}
CONDITIONS = {"IsProd": {"Fn::Equals": [{"Ref": "Env"}, "prod"]}}
KMS = {"EncryptionType": "KMS", "KmsKey": {"Fn::GetAtt": ["Key", "Arn"]}}
HARDENED = {"EncryptionConfiguration": KMS, "ImageTagMutability": "IMMUTABLE",
            "ImageScanningConfiguration": {"ScanOnPush": True}}
OWN_IMAGE = {"Fn::Sub": "${AWS::AccountId}.dkr.ecr.${AWS::Region}.amazonaws.com/tools/bwa:0.7"}


def judge(rule: Rule, resources: dict[str, Any], logical_id: str = "R",
          parameters: dict[str, str] | None = None) -> Verdict:
    template = {"Parameters": PARAMETERS, "Conditions": CONDITIONS, "Resources": resources}
    return rule.evaluate(Resource.from_template(logical_id, resources[logical_id], resources,
                                                TemplateIndex(resources), TemplateValues(template, parameters)))


def repository(**properties: Any) -> dict[str, Any]:
    return {"R": {"Type": "AWS::ECR::Repository", "Properties": {**HARDENED, **properties}}}


def workflow(registry_map: Any, type_: str = "AWS::Omics::Workflow", **extra: Any) -> dict[str, Any]:
    return {"R": {"Type": type_, "Properties": {"DefinitionUri": "s3://defs/wf.zip",
                                                "ContainerRegistryMap": registry_map}}, **extra}


def images(*destinations: Any) -> dict[str, Any]:
    return {"ImageMappings": [{"SourceImage": f"quay.io/tool{i}:1", "DestinationImage": d}
                              for i, d in enumerate(destinations)]}


def run_cache(location: Any, *, owner: Any = ACCOUNT, phi: bool = True, name: str = "cache-bucket") -> dict[str, Any]:
    properties = {"CacheS3Location": location, **({"CacheBucketOwnerId": owner} if owner is not None else {})}
    return {"R": {"Type": "AWS::Omics::RunCache", "Properties": properties},
            "Data": {"Type": "AWS::S3::Bucket",
                     "Properties": {"BucketName": name, **({"Tags": PHI_TAGS} if phi else {})}}}


CASES = [
    # Encryption: the customer-managed key, and the near misses of AES256, the default key and aws/ecr.
    (ECR_REPOSITORY_CUSTOMER_MANAGED_KEY, repository(), None, C, ""),
    (ECR_REPOSITORY_CUSTOMER_MANAGED_KEY,
     repository(EncryptionConfiguration={"EncryptionType": "KMS_DSSE", "KmsKey": "alias/genomics"}), None, C, ""),
    (ECR_REPOSITORY_CUSTOMER_MANAGED_KEY, repository(EncryptionConfiguration=None), None, NC,
     "no EncryptionConfiguration"),
    (ECR_REPOSITORY_CUSTOMER_MANAGED_KEY, repository(EncryptionConfiguration={"EncryptionType": "AES256"}), None, NC,
     "EncryptionType is AES256"),
    (ECR_REPOSITORY_CUSTOMER_MANAGED_KEY, repository(EncryptionConfiguration={"KmsKey": "alias/genomics"}), None, NC,
     "EncryptionType is absent, not KMS or KMS_DSSE"),
    (ECR_REPOSITORY_CUSTOMER_MANAGED_KEY, repository(EncryptionConfiguration={"EncryptionType": "KMS"}), None, NC,
     "uses the AWS managed key aws/ecr"),
    (ECR_REPOSITORY_CUSTOMER_MANAGED_KEY,
     repository(EncryptionConfiguration={"EncryptionType": "KMS", "KmsKey": "alias/aws/ecr"}), None, NC,
     "alias/aws/ecr"),
    (ECR_REPOSITORY_CUSTOMER_MANAGED_KEY,
     repository(EncryptionConfiguration={"EncryptionType": "KMS", "KmsKey": {"Ref": "KeyArn"}}), None, CJ,
     "deploy time"),
    (ECR_REPOSITORY_CUSTOMER_MANAGED_KEY,
     repository(EncryptionConfiguration={"Fn::If": ["IsProd", KMS, {"EncryptionType": "AES256"}]}), None, NC,
     "EncryptionType is AES256"),
    (ECR_REPOSITORY_CUSTOMER_MANAGED_KEY,
     repository(EncryptionConfiguration={"Fn::If": ["IsProd", KMS, {"EncryptionType": "AES256"}]}), {"Env": "prod"},
     C, ""),
    # Tag mutability: IMMUTABLE only; the exclusion variants and a parameter.
    (ECR_REPOSITORY_TAG_IMMUTABLE, repository(), None, C, ""),
    (ECR_REPOSITORY_TAG_IMMUTABLE, repository(ImageTagMutability=None), None, NC, "absent (MUTABLE)"),
    (ECR_REPOSITORY_TAG_IMMUTABLE, repository(ImageTagMutability="IMMUTABLE_WITH_EXCLUSION"), None, NC,
     "IMMUTABLE_WITH_EXCLUSION"),
    # Mutability defaults to IMMUTABLE; a deployment may pass any of the other values CloudFormation accepts.
    (ECR_REPOSITORY_TAG_IMMUTABLE, repository(ImageTagMutability={"Ref": "Mutability"}), None, NC,
     "when Mutability is MUTABLE: ImageTagMutability is MUTABLE, not IMMUTABLE"),
    (ECR_REPOSITORY_TAG_IMMUTABLE, repository(ImageTagMutability={"Ref": "Mutability"}), {"Mutability": "IMMUTABLE"},
     C, ""),
    (ECR_REPOSITORY_TAG_IMMUTABLE, repository(ImageTagMutability={"Ref": "Mutability"}), {"Mutability": "MUTABLE"},
     NC, "MUTABLE"),
    # Scanning: a Boolean, CloudFormation's string form, and its absence.
    (ECR_REPOSITORY_SCAN_ON_PUSH, repository(), None, C, ""),
    (ECR_REPOSITORY_SCAN_ON_PUSH, repository(ImageScanningConfiguration={"ScanOnPush": "true"}), None, C, ""),
    (ECR_REPOSITORY_SCAN_ON_PUSH, repository(ImageScanningConfiguration={"ScanOnPush": "false"}), None, NC,
     "ScanOnPush is not true"),
    (ECR_REPOSITORY_SCAN_ON_PUSH, repository(ImageScanningConfiguration=None), None, NC, "ScanOnPush"),
    # Workflow container sources.
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT, workflow(None), None, NA, ""),
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT, workflow(images(OWN_IMAGE)), None, C, ""),
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT, workflow(images(OWN_IMAGE), "AWS::Omics::WorkflowVersion"), None, C, ""),
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT,
     workflow(images({"Fn::Join": ["", [{"Fn::GetAtt": ["Repo", "RepositoryUri"]}, ":1"]]}),
              Repo={"Type": "AWS::ECR::Repository", "Properties": HARDENED}), None, C, ""),
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT, workflow(images("docker.io/library/ubuntu:22.04")), None, NC,
     "'docker.io/library/ubuntu:22.04' is not an Amazon ECR private image"),
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT, workflow(images({"Fn::Sub": "quay.io/biocontainers/${Image}:1"})), None,
     NC, "'quay.io/biocontainers/' is not an Amazon ECR private image"),
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT,
     workflow(images("444455556666.dkr.ecr.us-east-1.amazonaws.com/tools:1")), {"AWS::AccountId": ACCOUNT}, NC,
     "is account 444455556666, not this account"),
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT,
     workflow(images(f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/tools:1")), {"AWS::AccountId": ACCOUNT}, C, ""),
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT, workflow(images(f"{ACCOUNT}.dkr.ecr.us-east-1.amazonaws.com/tools:1")),
     None, CJ, "ContainerRegistryMap.ImageMappings[0].DestinationImage is 111122223333, and this template's account "
               "is not known; pass AWS::AccountId as a parameter value to compare"),
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT, workflow(images({"Ref": "Image"})), None, CJ, "deploy time"),
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT,
     workflow(images({"Fn::If": ["IsProd", OWN_IMAGE, "ghcr.io/org/tool:1"]})), None, NC,
     "'ghcr.io/org/tool:1' is not an Amazon ECR private image"),
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT,
     workflow(images({"Fn::If": ["IsProd", OWN_IMAGE, "ghcr.io/org/tool:1"]})), {"Env": "prod"}, C, ""),
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT,
     workflow({"RegistryMappings": [{"UpstreamRegistryUrl": "registry-1.docker.io", "EcrRepositoryPrefix": "hub",
                                     "EcrAccountId": {"Ref": "AWS::AccountId"}}]}), None, C, ""),
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT,
     workflow({"RegistryMappings": [{"UpstreamRegistryUrl": "registry-1.docker.io", "EcrRepositoryPrefix": "hub",
                                     "EcrAccountId": "444455556666"}]}), {"AWS::AccountId": ACCOUNT}, NC,
     "RegistryMappings[0].EcrAccountId is account 444455556666"),
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT,
     workflow({"RegistryMappings": [{"UpstreamRegistryUrl": "registry-1.docker.io", "EcrRepositoryPrefix": "hub",
                                     "EcrAccountId": {"Ref": "RegistryAccount"}}]}), None, CJ,
     "ContainerRegistryMap.RegistryMappings[0].EcrAccountId is !Ref RegistryAccount, known only at deploy time"),
    (OMICS_WORKFLOW_CONTAINERS_IN_ACCOUNT,
     {"R": {"Type": "AWS::Omics::Workflow", "Properties": {"ContainerRegistryMapUri": "s3://maps/map.json"}}},
     None, CJ, "ContainerRegistryMapUri: the registry map is read from S3 at deploy time, so its container sources "
               "cannot be judged from the template"),
    # Run caches: in a PHI-tagged bucket of the template, owner pinned.
    (OMICS_RUN_CACHE_IN_PHI_BUCKET, run_cache({"Fn::Sub": "s3://${Data}/cache/"}), None, C, ""),
    (OMICS_RUN_CACHE_IN_PHI_BUCKET, run_cache({"Fn::Join": ["", ["s3://", {"Ref": "Data"}, "/cache/"]]}), None, C, ""),
    (OMICS_RUN_CACHE_IN_PHI_BUCKET, run_cache("s3://cache-bucket/cache/"), None, C, ""),
    (OMICS_RUN_CACHE_IN_PHI_BUCKET, run_cache({"Fn::Sub": "s3://${Data}/cache/"}, phi=False), None, NC,
     'CacheS3Location !Sub "s3://${Data}/cache/" is not in a bucket of this template tagged '
     "omics-secure:data-classification=phi"),
    (OMICS_RUN_CACHE_IN_PHI_BUCKET, run_cache(""), None, NC, "no CacheS3Location"),
    (OMICS_RUN_CACHE_IN_PHI_BUCKET, run_cache("s3://cache-bucket-old/cache/"), None, NC, "'s3://cache-bucket-old"),
    (OMICS_RUN_CACHE_IN_PHI_BUCKET, run_cache({"Fn::Sub": "s3://${Data}/cache/"}, owner=None), None, NC,
     "no CacheBucketOwnerId"),
    (OMICS_RUN_CACHE_IN_PHI_BUCKET, run_cache({"Fn::Sub": "s3://${Env}-cache/"}), None, NC, "not in a bucket"),
    (OMICS_RUN_CACHE_IN_PHI_BUCKET, run_cache({"Fn::Sub": "s3://${KeyArn}/"}), None, CJ,
     'CacheS3Location is !Sub "s3://${KeyArn}/", known only at deploy time'),
]


@pytest.mark.parametrize(("rule", "resources", "parameters", "expected", "detail"), CASES,
                         ids=[f"{case[0].id}-{index}" for index, case in enumerate(CASES)])
def test_rule_verdicts(rule: Rule, resources: dict[str, Any], parameters: dict[str, str] | None,
                       expected: Status, detail: str) -> None:
    verdict = judge(rule, resources, parameters=parameters)
    assert verdict.status is expected, verdict.detail
    assert detail in verdict.detail


def test_the_rules_are_in_the_pack_with_fixes_and_known_controls() -> None:
    assert set(IMAGE_RULES) <= set(OMICS_SECURE_PACK.rules)
    for rule in IMAGE_RULES:
        assert rule.fix
        controls = rule.controls
        for framework, ids in ((HIPAA, controls.hipaa), (NIST_800_53, controls.nist_800_53_r5),
                               (NIST_800_171, controls.nist_800_171_r2), (DBGAP, controls.dbgap)):
            assert ids and set(ids) <= CONTROL_IDS[framework], (rule.id, framework, ids)
