"""The environment of a synthesized app as one graph: what the diagram and the asset inventory show.

Accounts and regions (one group per stack environment), each VPC with its subnets, endpoints and
gateways, every data store (S3 buckets, HealthOmics stores, HealthLake FHIR datastores), every KMS key
and what it encrypts, the roles and approvals whose policies name a data store, and the CloudTrail
trails. Edges: replication, encryption, access and log delivery. Works on any CDK app's output: a plain
``s3.Bucket`` or a default ``ec2.Vpc`` is drawn like the library's own constructs.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from omics_secure._internal.tags import APPROVAL_ID_TAG
from omics_secure.compliance.names import Names, kind_of
from omics_secure.compliance.rules._policy import as_list
from omics_secure.inputs.assembly import StackArtifact
from omics_secure.reporting.diagram import Edge, Graph, Group, Node

DATA_STORE_TYPES = {
    "AWS::S3::Bucket": "S3 bucket",
    "AWS::Omics::SequenceStore": "HealthOmics sequence store",
    "AWS::Omics::ReferenceStore": "HealthOmics reference store",
    "AWS::Omics::VariantStore": "HealthOmics variant store",
    "AWS::Omics::AnnotationStore": "HealthOmics annotation store",
    "AWS::HealthLake::FHIRDatastore": "HealthLake FHIR datastore",
}
"""The resource types that hold data, and what the report calls each."""
DATA_TYPES = tuple(DATA_STORE_TYPES)
COMPUTE_TYPES = {
    "AWS::Batch::ComputeEnvironment": "Batch compute environment",
    "AWS::Lambda::Function": "Lambda function",
    "AWS::EC2::Instance": "EC2 instance",
    "AWS::AutoScaling::AutoScalingGroup": "EC2 Auto Scaling group",
    "AWS::ECS::Cluster": "ECS cluster",
    "AWS::ECS::Service": "ECS service",
}
"""The resource types that run code, and what the report calls each: every one is in the inventory, in its VPC
when it names subnets of one (a Lambda function's VpcConfig, a Batch environment's ComputeResources, an
instance's SubnetId, a service's NetworkConfiguration)."""
_NETWORK_TYPES = ("AWS::EC2::Subnet", "AWS::EC2::VPCEndpoint", "AWS::EC2::InternetGateway", "AWS::EC2::NatGateway")
_POLICY_TYPES = ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy")
_DETAILS = {
    **DATA_STORE_TYPES,
    **COMPUTE_TYPES,
    "AWS::CloudTrail::Trail": "CloudTrail trail",
    "AWS::EC2::InternetGateway": "internet gateway",
    "AWS::EC2::NatGateway": "NAT gateway",
}


@dataclass(frozen=True)
class Asset:
    """One row of the technology asset inventory: a node of the graph with where it is and what it is."""

    node: Node
    stack: StackArtifact
    logical_id: str
    construct_path: str
    name: str
    """The readable name (physical name or key alias where the template sets one; the diagram shows the shorter
    construct name)."""


def node_id(stack: StackArtifact, logical_id: str) -> str:
    """A node id both renderings accept (letters, digits and underscores), unique across the app."""
    return re.sub(r"[^A-Za-z0-9_]", "_", f"{stack.name}_{logical_id}")


def references(value: Any) -> set[str]:
    """Logical ids named by Ref, Fn::GetAtt or Fn::Sub anywhere inside ``value``."""
    found: set[str] = set()
    if isinstance(value, Mapping):
        if isinstance(value.get("Ref"), str):
            found.add(value["Ref"])
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute:
            found.add(str(attribute[0]))
        elif isinstance(attribute, str):
            found.add(attribute.split(".", 1)[0])
        sub = value.get("Fn::Sub")
        template = sub[0] if isinstance(sub, list) and sub else sub
        if isinstance(template, str):
            found |= {m.split(".", 1)[0] for m in re.findall(r"\$\{([^}!][^}]*)\}", template)}
        for inner in value.values():
            found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


def _approval_id(body: Mapping[str, Any]) -> str | None:
    for tag in as_list((body.get("Properties") or {}).get("Tags")):
        if isinstance(tag, Mapping) and tag.get("Key") == APPROVAL_ID_TAG and isinstance(tag.get("Value"), str):
            return str(tag["Value"])
    return None


def _role_documents(stack: StackArtifact, logical_id: str) -> list[Any]:
    properties = stack.resources[logical_id].get("Properties") or {}
    documents: list[Any] = [p.get("PolicyDocument") for p in as_list(properties.get("Policies"))
                            if isinstance(p, Mapping)]
    managed = references(properties.get("ManagedPolicyArns"))
    for policy_id, body in stack.resources.items():
        if not isinstance(body, Mapping) or body.get("Type") not in _POLICY_TYPES:
            continue
        policy = body.get("Properties") or {}
        if logical_id in references(policy.get("Roles")) or policy_id in managed:
            documents.append(policy.get("PolicyDocument"))
    return documents


def _subnet_detail(names: Names, stack: StackArtifact, properties: Mapping[str, Any]) -> str:
    tags = {t.get("Key"): t.get("Value") for t in as_list(properties.get("Tags")) if isinstance(t, Mapping)}
    kind = str(tags.get("aws-cdk:subnet-type") or ("public" if properties.get("MapPublicIpOnLaunch") else "")).lower()
    zone = properties.get("AvailabilityZone")
    zone_text = names.text(zone, stack) if isinstance(zone, str) else ""
    return " ".join(part for part in (kind, "subnet", names.text(properties.get("CidrBlock"), stack), zone_text)
                    if part)


def _endpoint_service(names: Names, stack: StackArtifact, properties: Mapping[str, Any]) -> str:
    service = names.text(properties.get("ServiceName"), stack)
    region_prefix = f"com.amazonaws.{stack.region}."
    return service.removeprefix(region_prefix).removeprefix("com.amazonaws.")


def build_environment(stacks: Sequence[StackArtifact], names: Names) -> tuple[Graph, list[Asset]]:
    """The graph of the app's environment and the inventory rows of its nodes, in manifest order."""
    groups: dict[str, Group] = {}
    nodes: list[Node] = []
    assets: list[Asset] = []
    edges: list[Edge] = []
    ids: set[str] = set()

    def add(stack: StackArtifact, logical_id: str, lane: str, group: str, kind: str, detail: str,
            label: str | None = None) -> None:
        node = Node(node_id(stack, logical_id), label or names.short(stack, logical_id), kind, lane, group, detail)
        nodes.append(node)
        ids.add(node.id)
        assets.append(Asset(node, stack, logical_id, stack.construct_path(logical_id),
                            label or names.name(stack, logical_id)))

    def edge(source: str, target: str, label: str) -> None:
        candidate = Edge(source, target, label)
        if source in ids and target in ids and source != target and candidate not in edges:
            edges.append(candidate)

    for stack in stacks:
        account_id = f"account_{re.sub(r'[^A-Za-z0-9]', '_', stack.account)}"
        account_label = ("Account (not set: environment-agnostic stack)" if stack.account.startswith("unknown")
                         else f"AWS account {stack.account}")
        groups.setdefault(account_id, Group(account_id, account_label))
        region_id = f"{account_id}_{re.sub(r'[^A-Za-z0-9]', '_', stack.region)}"
        region_label = ("Region not set" if stack.region.startswith("unknown") else f"Region {stack.region}")
        groups.setdefault(region_id, Group(region_id, region_label, account_id))
        resources = {k: v for k, v in stack.resources.items() if isinstance(v, Mapping)}
        for logical_id, body in resources.items():
            if body.get("Type") == "AWS::EC2::VPC":
                vpc_group = node_id(stack, logical_id) + "_vpc"
                cidr = names.text((body.get("Properties") or {}).get("CidrBlock"), stack)
                groups[vpc_group] = Group(vpc_group, f"VPC {names.name(stack, logical_id)} {cidr}".rstrip(), region_id)
        vpc_of = {logical_id: node_id(stack, logical_id) + "_vpc" for logical_id, body in resources.items()
                  if body.get("Type") == "AWS::EC2::VPC"}
        for logical_id, body in resources.items():
            resource_type = str(body.get("Type"))
            properties = body.get("Properties") or {}
            if resource_type in _NETWORK_TYPES:
                vpcs = [vpc_of[r] for r in references(properties) if r in vpc_of]
                if resource_type == "AWS::EC2::InternetGateway":
                    attachments = [b for b in resources.values() if b.get("Type") == "AWS::EC2::VPCGatewayAttachment"
                                   and logical_id in references(b.get("Properties"))]
                    vpcs = [vpc_of[r] for a in attachments for r in references(a.get("Properties")) if r in vpc_of]
                if resource_type == "AWS::EC2::NatGateway":
                    subnet = references(properties.get("SubnetId"))
                    vpcs = [vpc_of[r] for s in subnet if s in resources
                            for r in references(resources[s].get("Properties")) if r in vpc_of]
                group = vpcs[0] if vpcs else region_id
                if resource_type == "AWS::EC2::Subnet":
                    add(stack, logical_id, "network", group, "subnet", _subnet_detail(names, stack, properties))
                elif resource_type == "AWS::EC2::VPCEndpoint":
                    service = _endpoint_service(names, stack, properties)
                    kind = str(properties.get("VpcEndpointType") or "Gateway").lower()
                    add(stack, logical_id, "network", group, "endpoint", f"{kind} endpoint",
                        label=f"{service} endpoint")
                else:
                    add(stack, logical_id, "network", group, _DETAILS[resource_type], _DETAILS[resource_type])
        subnet_vpc = {lid: vpc_of[r] for lid, b in resources.items() if b.get("Type") == "AWS::EC2::Subnet"
                      for r in references(b.get("Properties")) if r in vpc_of}
        for logical_id, body in resources.items():
            resource_type = str(body.get("Type"))
            if resource_type in COMPUTE_TYPES:
                in_vpcs = sorted({subnet_vpc[r] for r in references(body.get("Properties")) if r in subnet_vpc})
                add(stack, logical_id, "compute", in_vpcs[0] if in_vpcs else region_id,
                    kind_of(resource_type), COMPUTE_TYPES[resource_type])
        for logical_id, body in resources.items():
            resource_type = str(body.get("Type"))
            if resource_type in DATA_TYPES:
                kind = "bucket" if resource_type == "AWS::S3::Bucket" else kind_of(resource_type)
                add(stack, logical_id, "data", region_id, kind, _DETAILS[resource_type])
            elif resource_type == "AWS::KMS::Key":
                add(stack, logical_id, "keys", region_id, "key", "KMS key")
            elif resource_type == "AWS::CloudTrail::Trail":
                multi = (body.get("Properties") or {}).get("IsMultiRegionTrail") is True
                add(stack, logical_id, "logging", region_id, "trail",
                    "CloudTrail trail, all regions" if multi else "CloudTrail trail")
        data_ids = {lid for lid, b in resources.items() if b.get("Type") in DATA_TYPES}
        for logical_id, body in resources.items():
            resource_type = str(body.get("Type"))
            properties = body.get("Properties") or {}
            if resource_type == "AWS::IAM::Role":
                reached = sorted(data_ids & references(_role_documents(stack, logical_id)))
                approval = _approval_id(body)
                if not reached:
                    continue
                label = f"approval {approval}" if approval else None
                add(stack, logical_id, "access", region_id, "approval" if approval else "role",
                    f"role {names.name(stack, logical_id)}" if approval else "IAM role", label=label)
                for target in reached:
                    edge(node_id(stack, logical_id), node_id(stack, target),
                         "approved access" if approval else "can reach")
            elif resource_type == "AWS::S3::AccessPoint":
                approval = _approval_id(body)
                add(stack, logical_id, "access", region_id, "approval" if approval else "access point",
                    "S3 access point" + (f" {names.name(stack, logical_id)}" if approval else ""),
                    label=f"approval {approval}" if approval else None)
                for target in sorted(data_ids & references(properties.get("Bucket"))):
                    edge(node_id(stack, logical_id), node_id(stack, target),
                         "approved access" if approval else "can reach")
    _link(stacks, names, nodes, edge)
    ordered = [g for g in groups.values()]
    return Graph(tuple(ordered), tuple(nodes), tuple(edges)), assets


def _link(stacks: Sequence[StackArtifact], names: Names, nodes: Iterable[Node], edge: Any) -> None:
    """Encryption, replication and log-delivery edges between the nodes already placed."""
    for stack in stacks:
        resources = {k: v for k, v in stack.resources.items() if isinstance(v, Mapping)}
        keys = [lid for lid, b in resources.items() if b.get("Type") == "AWS::KMS::Key"]
        for logical_id, body in resources.items():
            resource_type = body.get("Type")
            properties = body.get("Properties") or {}
            if resource_type in DATA_TYPES or resource_type == "AWS::CloudTrail::Trail":
                encryption = {k: v for k, v in properties.items()
                              if k in ("BucketEncryption", "SseConfig", "SseConfiguration", "KMSKeyId",
                                       "KmsKeyId", "KmsEncryptionConfig")}
                for key in keys:
                    if key in references(encryption):
                        edge(node_id(stack, key), node_id(stack, logical_id), "encrypts")
            if resource_type == "AWS::S3::Bucket":
                replication = properties.get("ReplicationConfiguration") or {}
                for rule in as_list(replication.get("Rules") if isinstance(replication, Mapping) else None):
                    destination = rule.get("Destination", {}) if isinstance(rule, Mapping) else {}
                    bucket = destination.get("Bucket") if isinstance(destination, Mapping) else None
                    target = _locate(stacks, names, stack, bucket)
                    if target is not None:
                        edge(node_id(stack, logical_id), node_id(*target), "replicates to")
                logging = properties.get("LoggingConfiguration") or {}
                target = _locate(stacks, names, stack, logging.get("DestinationBucketName")
                                 if isinstance(logging, Mapping) else None)
                if target is not None:
                    edge(node_id(stack, logical_id), node_id(*target), "logs to")
            if resource_type == "AWS::CloudTrail::Trail":
                target = _locate(stacks, names, stack, properties.get("S3BucketName"))
                if target is not None:
                    edge(node_id(stack, logical_id), node_id(*target), "logs to")


def _locate(stacks: Sequence[StackArtifact], names: Names, stack: StackArtifact,
            value: Any) -> tuple[StackArtifact, str] | None:
    """The resource a Ref/GetAtt or a literal name/ARN in ``stack`` points at, in this app."""
    named = references(value) & set(stack.resources)
    if named:
        return stack, sorted(named)[0]
    if isinstance(value, str):
        found = names.resolve_literal(value)
        if found is not None:
            by_name = {s.name: s for s in stacks}
            return by_name[found[0]], found[1]
    return None
