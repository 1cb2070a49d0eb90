"""Read the live state of deployed resources, and find them (with what their template asked) in a stack.

Every call goes through :class:`~omics_secure.verify.aws.AwsReader`, which allows only the read-only
operations it declares. The judging is in :mod:`omics_secure.verify.checks`.
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from omics_secure._internal.policy_documents import as_list, refers_to
from omics_secure._internal.tags import APPROVAL_ENDS_TAG, APPROVAL_ID_TAG, DATA_CLASSIFICATION_TAG, PHI
from omics_secure.verify.aws import AwsReader, ResourceMissing, VerifyError
from omics_secure.verify.checks import (
    APPROVAL,
    FHIR_DATASTORE,
    KMS_KEY,
    OMICS_STORE,
    S3_BUCKET,
    TRAIL,
    VPC,
    LiveResource,
    bucket_classification,
    via_services,
)

SEQUENCE_STORE = "sequence-store"
REFERENCE_STORE = "reference-store"
APPROVAL_ROLE = "approval-role"
APPROVAL_ACCESS_POINT = "approval-access-point"
# CloudFormation resource types verify reads, and what each becomes.
STACK_TYPES = {
    "AWS::S3::Bucket": S3_BUCKET,
    "AWS::KMS::Key": KMS_KEY,
    "AWS::CloudTrail::Trail": TRAIL,
    "AWS::EC2::VPC": VPC,
    "AWS::Omics::SequenceStore": SEQUENCE_STORE,
    "AWS::Omics::ReferenceStore": REFERENCE_STORE,
    "AWS::HealthLake::FHIRDatastore": FHIR_DATASTORE,
    # Only those tagged omics-secure:approval-id (omics_secure.access) are verified.
    "AWS::IAM::Role": APPROVAL_ROLE,
    "AWS::S3::AccessPoint": APPROVAL_ACCESS_POINT,
}


@dataclass(frozen=True)
class Target:
    """A resource to verify: its kind (a key of ``COLLECTORS``), its id, and what its template asked."""

    kind: str
    id: str
    expected: Mapping[str, Any] = field(default_factory=dict)
    logical_id: str | None = None
    stack: str | None = None


# --- stacks -------------------------------------------------------------------------------------------------

def stack_targets(aws: AwsReader, stack: str) -> list[Target]:
    """The supported resources of a deployed stack, with the expectations its template states."""
    summaries = list(aws.pages("cloudformation", "list_stack_resources", "StackResourceSummaries", StackName=stack))
    physical = {s["LogicalResourceId"]: s.get("PhysicalResourceId") for s in summaries
                if s.get("PhysicalResourceId") and not str(s.get("ResourceStatus", "")).startswith("DELETE")}
    response = aws.call("cloudformation", "get_template", StackName=stack, TemplateStage="Original") or {}
    template = _template_resources(response.get("TemplateBody"))
    targets = []
    for summary in summaries:
        logical_id, kind = summary["LogicalResourceId"], STACK_TYPES.get(summary.get("ResourceType", ""))
        if kind is None or logical_id not in physical:
            continue
        body = template.get(logical_id) or {}
        properties = body.get("Properties") or {} if isinstance(body, Mapping) else {}
        expected = _expected(kind, logical_id, properties, template, physical)
        if kind in (APPROVAL_ROLE, APPROVAL_ACCESS_POINT) and not expected.get("approval_id"):
            continue
        targets.append(Target(kind, str(physical[logical_id]), expected, logical_id=logical_id, stack=stack))
    return targets


def _template_resources(body: Any) -> dict[str, Any]:
    if isinstance(body, str):
        try:
            body = json.loads(body)
        except json.JSONDecodeError:
            return {}  # a YAML template: verify still checks the live resources, without template expectations
    resources = body.get("Resources") if isinstance(body, Mapping) else None
    return dict(resources) if isinstance(resources, Mapping) else {}


def _resolve(value: Any, physical: Mapping[str, Any]) -> str | None:
    """A key reference of the template (Ref, Fn::GetAtt Arn, an ARN or an id) as the key's id."""
    if isinstance(value, Mapping):
        if "Ref" in value:
            target = physical.get(str(value["Ref"]))
        else:
            get_att = value.get("Fn::GetAtt")
            name = get_att[0] if isinstance(get_att, list) and get_att else str(get_att or "").split(".", 1)[0]
            target = physical.get(name)
        return str(target).rsplit("/", 1)[-1] if target else None
    if isinstance(value, str) and value:
        return value.rsplit("/", 1)[-1]
    return None


def _expected(kind: str, logical_id: str, properties: Mapping[str, Any], template: Mapping[str, Any],
              physical: Mapping[str, Any]) -> dict[str, Any]:
    if kind == S3_BUCKET:
        expected: dict[str, Any] = {"replication": "ReplicationConfiguration" in properties}
        for tag in as_list(properties.get("Tags")):
            if isinstance(tag, Mapping) and tag.get("Key") == DATA_CLASSIFICATION_TAG:
                expected["classification"] = tag.get("Value")
        encryption = properties.get("BucketEncryption") or {}
        for rule in as_list(encryption.get("ServerSideEncryptionConfiguration")):
            key = ((rule or {}).get("ServerSideEncryptionByDefault") or {}).get("KMSMasterKeyID")
            if key is not None and (key_id := _resolve(key, physical)):
                expected["key_id"] = key_id
        return expected
    if kind == KMS_KEY:
        return {"via_services": sorted(via_services(properties.get("KeyPolicy")))}
    if kind == VPC:
        return {"endpoint_ids": sorted(
            str(physical[other]) for other, body in template.items()
            if isinstance(body, Mapping) and body.get("Type") == "AWS::EC2::VPCEndpoint" and other in physical
            and refers_to((body.get("Properties") or {}).get("VpcId"), logical_id))}
    if kind in (APPROVAL_ROLE, APPROVAL_ACCESS_POINT):
        tags = {t.get("Key"): t.get("Value") for t in as_list(properties.get("Tags")) if isinstance(t, Mapping)}
        approval = {"approval_id": tags.get(APPROVAL_ID_TAG), "ends": tags.get(APPROVAL_ENDS_TAG)}
        if kind == APPROVAL_ACCESS_POINT and isinstance(properties.get("BucketAccountId"), str):
            approval["account"] = properties["BucketAccountId"]
        return approval
    return {}


# --- resources ----------------------------------------------------------------------------------------------

def collect(aws: AwsReader, targets: Sequence[Target]) -> list[LiveResource]:
    """The live state of every target; trails are judged against the PHI buckets among the targets."""
    resources = [_collect_one(aws, t) for t in targets if t.kind != TRAIL]
    phi_buckets = [r.state["bucket"] for r in resources
                   if r.kind == S3_BUCKET and not r.missing and bucket_classification(r) == PHI]
    for target in targets:
        if target.kind == TRAIL:
            with_buckets = Target(target.kind, target.id, {**target.expected, "phi_buckets": phi_buckets},
                                  target.logical_id, target.stack)
            resources.append(_collect_one(aws, with_buckets))
    return resources


def _collect_one(aws: AwsReader, target: Target) -> LiveResource:
    kind, collector = COLLECTORS[target.kind]
    try:
        if target.kind == APPROVAL_ACCESS_POINT:
            name, state = approval_access_point_state(aws, target.id, target.expected.get("account"))
        else:
            name, state = collector(aws, target.id)
    except ResourceMissing:
        return LiveResource(kind, target.id, {}, target.expected, target.logical_id, target.stack, missing=True)
    return LiveResource(kind, name, state, target.expected, target.logical_id, target.stack)


def _arn_region(arn: str, default: str | None) -> str | None:
    parts = arn.split(":")
    return parts[3] if arn.startswith("arn:") and len(parts) > 5 and parts[3] else default


def _describe_key(aws: AwsReader, key: str, region: str | None) -> dict[str, Any]:
    try:
        response = aws.call("kms", "describe_key", region=_arn_region(key, region), KeyId=key)
    except ResourceMissing:
        return {"KeyId": key.rsplit("/", 1)[-1], "KeyState": "NotFound"}
    return dict((response or {}).get("KeyMetadata") or {})


def bucket_state(aws: AwsReader, bucket: str) -> tuple[str, dict[str, Any]]:
    location = aws.call("s3", "get_bucket_location", Bucket=bucket) or {}
    region = {None: "us-east-1", "": "us-east-1", "EU": "eu-west-1"}.get(
        location.get("LocationConstraint"), location.get("LocationConstraint"))

    def get(operation: str, absent: str, *path: str) -> Any:
        value: Any = aws.call("s3", operation, region=region, absent=(absent,), Bucket=bucket)
        for step in path:
            value = (value or {}).get(step)
        return value

    tags = {t.get("Key"): t.get("Value") for t in get("get_bucket_tagging", "NoSuchTagSet", "TagSet") or []}
    policy = get("get_bucket_policy", "NoSuchBucketPolicy", "Policy")
    encryption = get("get_bucket_encryption", "ServerSideEncryptionConfigurationNotFoundError",
                     "ServerSideEncryptionConfiguration", "Rules") or []
    keys = {str(key): _describe_key(aws, str(key), region) for rule in encryption
            if (key := (rule.get("ApplyServerSideEncryptionByDefault") or {}).get("KMSMasterKeyID"))}
    state = {
        "bucket": bucket,
        "region": region,
        "classification": tags.get(DATA_CLASSIFICATION_TAG),
        "versioning": get("get_bucket_versioning", "NoSuchBucket"),
        "object_lock": get("get_object_lock_configuration", "ObjectLockConfigurationNotFoundError",
                           "ObjectLockConfiguration"),
        "encryption": encryption,
        "encryption_keys": keys,
        "public_access_block": get("get_public_access_block", "NoSuchPublicAccessBlockConfiguration",
                                   "PublicAccessBlockConfiguration"),
        "ownership": get("get_bucket_ownership_controls", "OwnershipControlsNotFoundError",
                         "OwnershipControls", "Rules"),
        "policy": json.loads(policy) if isinstance(policy, str) else None,
        "replication": get("get_bucket_replication", "ReplicationConfigurationNotFoundError",
                           "ReplicationConfiguration"),
        "logging": get("get_bucket_logging", "NoSuchBucket", "LoggingEnabled"),
    }
    return bucket, state


def key_state(aws: AwsReader, key: str) -> tuple[str, dict[str, Any]]:
    region = _arn_region(key, aws.region)
    metadata = (aws.call("kms", "describe_key", region=region, KeyId=key) or {}).get("KeyMetadata") or {}
    key_id = str(metadata.get("KeyId") or key)
    rotation = aws.call("kms", "get_key_rotation_status", region=region, absent=("UnsupportedOperationException",),
                        KeyId=key_id)
    policy = (aws.call("kms", "get_key_policy", region=region, KeyId=key_id, PolicyName="default") or {}).get("Policy")
    return str(metadata.get("Arn") or key), {
        "metadata": metadata, "rotation": rotation,
        "policy": json.loads(policy) if isinstance(policy, str) else policy,
    }


def trail_state(aws: AwsReader, trail: str) -> tuple[str, dict[str, Any]]:
    found = (aws.call("cloudtrail", "get_trail", region=_arn_region(trail, aws.region), Name=trail) or {})
    details = found.get("Trail") or {}
    arn = str(details.get("TrailARN") or trail)
    region = details.get("HomeRegion") or _arn_region(arn, aws.region)
    status = aws.call("cloudtrail", "get_trail_status", region=region, Name=arn) or {}
    selectors = aws.call("cloudtrail", "get_event_selectors", region=region, TrailName=arn) or {}
    return arn, {"trail": details, "status": status, "selectors": selectors}


def vpc_state(aws: AwsReader, vpc: str) -> tuple[str, dict[str, Any]]:
    if not (aws.call("ec2", "describe_vpcs", VpcIds=[vpc]) or {}).get("Vpcs"):
        raise ResourceMissing(vpc)
    by_vpc = [{"Name": "vpc-id", "Values": [vpc]}]
    return vpc, {
        "flow_logs": list(aws.pages("ec2", "describe_flow_logs", "FlowLogs",
                                    Filters=[{"Name": "resource-id", "Values": [vpc]}])),
        "internet_gateways": list(aws.pages("ec2", "describe_internet_gateways", "InternetGateways",
                                            Filters=[{"Name": "attachment.vpc-id", "Values": [vpc]}])),
        "nat_gateways": list(aws.pages("ec2", "describe_nat_gateways", "NatGateways", Filter=by_vpc)),
        "endpoints": list(aws.pages("ec2", "describe_vpc_endpoints", "VpcEndpoints", Filters=by_vpc)),
    }


def _store_state(aws: AwsReader, operation: str, store: str) -> tuple[str, dict[str, Any]]:
    response = aws.call("omics", operation, id=store.rsplit("/", 1)[-1]) or {}
    key = (response.get("sseConfig") or {}).get("keyArn")
    keys = {str(key): _describe_key(aws, str(key), aws.region)} if key else {}
    return str(response.get("arn") or store), {"store": response, "keys": keys}


def sequence_store_state(aws: AwsReader, store: str) -> tuple[str, dict[str, Any]]:
    return _store_state(aws, "get_sequence_store", store)


def reference_store_state(aws: AwsReader, store: str) -> tuple[str, dict[str, Any]]:
    return _store_state(aws, "get_reference_store", store)


def datastore_state(aws: AwsReader, datastore: str) -> tuple[str, dict[str, Any]]:
    response = aws.call("healthlake", "describe_fhir_datastore", DatastoreId=datastore.rsplit("/", 1)[-1]) or {}
    properties = response.get("DatastoreProperties") or {}
    key = ((properties.get("SseConfiguration") or {}).get("KmsEncryptionConfig") or {}).get("KmsKeyId")
    keys = {str(key): _describe_key(aws, str(key), aws.region)} if key else {}
    return str(properties.get("DatastoreArn") or datastore), {"datastore": properties, "keys": keys}


def _today() -> str:
    return datetime.datetime.now(datetime.UTC).date().isoformat()


def approval_role_state(aws: AwsReader, role: str) -> tuple[str, dict[str, Any]]:
    found = aws.call("iam", "get_role", absent=("NoSuchEntity",), RoleName=role.rsplit("/", 1)[-1])
    arn = str(((found or {}).get("Role") or {}).get("Arn") or role)
    return arn, {"exists": found is not None, "what": "role", "today": _today()}


def approval_access_point_state(aws: AwsReader, access_point: str,
                                account: str | None = None) -> tuple[str, dict[str, Any]]:
    name = access_point.rsplit("/", 1)[-1]
    account = account or (access_point.split(":")[4] if access_point.startswith("arn:") else None)
    if not account:
        raise VerifyError(f"access point {access_point}: its account is unknown (the template names no "
                          "BucketAccountId); name it by its ARN")
    found = aws.call("s3control", "get_access_point", absent=("NoSuchAccessPoint",), AccountId=account, Name=name)
    arn = str((found or {}).get("AccessPointArn") or access_point)
    return arn, {"exists": found is not None, "what": "access point", "today": _today()}


COLLECTORS = {
    S3_BUCKET: (S3_BUCKET, bucket_state),
    KMS_KEY: (KMS_KEY, key_state),
    TRAIL: (TRAIL, trail_state),
    VPC: (VPC, vpc_state),
    SEQUENCE_STORE: (OMICS_STORE, sequence_store_state),
    REFERENCE_STORE: (OMICS_STORE, reference_store_state),
    FHIR_DATASTORE: (FHIR_DATASTORE, datastore_state),
    APPROVAL_ROLE: (APPROVAL, approval_role_state),
    APPROVAL_ACCESS_POINT: (APPROVAL, approval_access_point_state),
}
