"""Rules for isolated networks and the compute inside them: no internet path, flow logs, EBS under a
customer-managed key, IMDSv2, no open ingress, and endpoint security groups limited to the VPC.

A VPC is judged as isolated when it carries the tag ``omics-secure:isolated`` = ``true`` (the
:class:`~omics_secure.network.IsolatedVpc` construct sets it); the cross-resource rules look for
gateways, routes and flow logs in the same template, so a flow log or gateway defined in another stack
is not seen.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from typing import Any

from omics_secure._internal.tags import ISOLATED_TAG
from omics_secure.compliance.model import (
    COMPLIANT,
    NOT_APPLICABLE,
    Controls,
    Resource,
    Rule,
    Verdict,
    non_compliant,
)
from omics_secure.compliance.rules._policy import as_list

VPC = "AWS::EC2::VPC"
SECURITY_GROUP = "AWS::EC2::SecurityGroup"
SECURITY_GROUP_INGRESS = "AWS::EC2::SecurityGroupIngress"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
INSTANCE = "AWS::EC2::Instance"
VOLUME = "AWS::EC2::Volume"
LAUNCH_CONFIGURATION = "AWS::AutoScaling::LaunchConfiguration"
VPC_ENDPOINT = "AWS::EC2::VPCEndpoint"
OPEN_CIDRS = frozenset({"0.0.0.0/0", "::/0"})
_AWS_MANAGED_EBS_KEY = "alias/aws/ebs"

_BOUNDARY = Controls(
    hipaa=("164.312(e)(1)", "164.312(a)(1)"),
    nist_800_53_r5=("SC-7", "SC-7(5)", "AC-4"),
    nist_800_171_r2=("3.13.1", "3.13.5", "3.13.6"),
    dbgap=("Internet, Networking, and Data Transfers",),
)
_AUDIT = Controls(
    hipaa=("164.312(b)", "164.308(a)(1)(ii)(D)"),
    nist_800_53_r5=("AU-2", "AU-12", "SI-4"),
    nist_800_171_r2=("3.3.1", "3.14.6"),
    dbgap=("Auditing, Logging, and Monitoring",),
)
_AT_REST = Controls(
    hipaa=("164.312(a)(2)(iv)",),
    nist_800_53_r5=("SC-28", "SC-28(1)", "SC-12"),
    nist_800_171_r2=("3.13.16", "3.13.10"),
    dbgap=("File Systems and Storage Volumes", "Data Encryption"),
)
_HOST_HARDENING = Controls(
    hipaa=("164.312(a)(1)", "164.308(a)(4)(ii)(B)"),
    nist_800_53_r5=("AC-3", "AC-6", "CM-7", "SC-7"),
    nist_800_171_r2=("3.1.1", "3.4.6", "3.13.1"),
    dbgap=("Operating Systems and Applications",),
)


def refers_to(value: Any, logical_id: str) -> bool:
    """True when ``value`` is ``{"Ref": logical_id}`` or a ``Fn::GetAtt`` of ``logical_id``."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return False
    if "Ref" in value:
        return bool(value["Ref"] == logical_id)
    attribute = value.get("Fn::GetAtt")
    if isinstance(attribute, list) and attribute:
        return bool(attribute[0] == logical_id)
    if isinstance(attribute, str):
        return attribute.split(".", 1)[0] == logical_id
    return False


def referenced_id(value: Any) -> str | None:
    """The logical id named by a ``Ref`` or ``Fn::GetAtt``, else None."""
    if isinstance(value, Mapping) and len(value) == 1:
        if isinstance(value.get("Ref"), str):
            return str(value["Ref"])
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute and isinstance(attribute[0], str):
            return attribute[0]
        if isinstance(attribute, str):
            return attribute.split(".", 1)[0]
    return None


def _of_type(resource: Resource, *types: str) -> Iterable[tuple[str, Mapping[str, Any]]]:
    for logical_id, body in resource.others_of_type(*types):
        yield logical_id, body.get("Properties") or {}


def is_marked_isolated(properties: Mapping[str, Any]) -> bool:
    return any(isinstance(tag, Mapping) and tag.get("Key") == ISOLATED_TAG and str(tag.get("Value")).lower() == "true"
               for tag in as_list(properties.get("Tags")))


def _no_internet_path(resource: Resource) -> Verdict:
    if not is_marked_isolated(resource.properties):
        return NOT_APPLICABLE
    vpc = resource.logical_id
    problems = []
    subnets = {sid for sid, props in _of_type(resource, "AWS::EC2::Subnet") if refers_to(props.get("VpcId"), vpc)}
    route_tables = {rid for rid, props in _of_type(resource, "AWS::EC2::RouteTable")
                    if refers_to(props.get("VpcId"), vpc)}
    for lid, props in _of_type(resource, "AWS::EC2::VPCGatewayAttachment"):
        if refers_to(props.get("VpcId"), vpc) and props.get("InternetGatewayId") is not None:
            problems.append(f"internet gateway attached ({lid})")
    for lid, props in _of_type(resource, "AWS::EC2::EgressOnlyInternetGateway"):
        if refers_to(props.get("VpcId"), vpc):
            problems.append(f"egress-only internet gateway ({lid})")
    for lid, props in _of_type(resource, "AWS::EC2::NatGateway"):
        if referenced_id(props.get("SubnetId")) in subnets:
            problems.append(f"NAT gateway ({lid})")
    for lid, props in _of_type(resource, "AWS::EC2::Route"):
        if referenced_id(props.get("RouteTableId")) not in route_tables:
            continue
        targets = [key for key in ("GatewayId", "NatGatewayId", "EgressOnlyInternetGatewayId")
                   if props.get(key) is not None]
        if targets:
            problems.append(f"route {lid} to {', '.join(targets)}")
    for lid, props in _of_type(resource, "AWS::EC2::Subnet"):
        if lid in subnets and props.get("MapPublicIpOnLaunch") is True:
            problems.append(f"subnet {lid} assigns public IPs")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


def _flow_logs_all_traffic(resource: Resource) -> Verdict:
    vpc = resource.logical_id
    traffic = [str(props.get("TrafficType", "")) for _, props in _of_type(resource, "AWS::EC2::FlowLog")
               if props.get("ResourceType") == "VPC" and refers_to(props.get("ResourceId"), vpc)]
    if "ALL" in traffic:
        return COMPLIANT
    if traffic:
        return non_compliant(f"flow logs capture only {', '.join(sorted(set(traffic)))} traffic, not ALL")
    return non_compliant("no flow log for this VPC in the template")


def _ebs_problem(ebs: Mapping[str, Any], where: str) -> str | None:
    if ebs.get("Encrypted") is not True and str(ebs.get("Encrypted")).lower() != "true":
        return f"{where} is not encrypted"
    key = ebs.get("KmsKeyId")
    if key is None:
        return f"{where} uses the AWS-managed EBS key (no KmsKeyId)"
    if isinstance(key, str) and key.endswith(_AWS_MANAGED_EBS_KEY):
        return f"{where} uses the AWS-managed key {key}"
    return None


def _mapping_problems(mappings: Any, missing: str) -> list[str]:
    volumes = [m for m in as_list(mappings) if isinstance(m, Mapping) and isinstance(m.get("Ebs"), Mapping)]
    if not volumes:
        return [missing]
    problems = [_ebs_problem(m["Ebs"], f"volume {m.get('DeviceName', '?')}") for m in volumes]
    return [p for p in problems if p]


def _ebs_customer_key(resource: Resource) -> Verdict:
    properties = resource.properties
    if resource.type == VOLUME:
        problem = _ebs_problem(properties, "the volume")
        return non_compliant(problem) if problem else COMPLIANT
    if resource.type == LAUNCH_TEMPLATE:
        data = properties.get("LaunchTemplateData") or {}
        problems = _mapping_problems(data.get("BlockDeviceMappings"),
                                     "no block device mappings: the root volume's encryption is left to the "
                                     "AMI and the account default")
    elif resource.type == INSTANCE and properties.get("LaunchTemplate") and not properties.get("BlockDeviceMappings"):
        return NOT_APPLICABLE  # its launch template is judged
    else:
        problems = _mapping_problems(properties.get("BlockDeviceMappings"),
                                     "no block device mappings: the root volume's encryption is left to the "
                                     "AMI and the account default")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


def _imdsv2_required(resource: Resource) -> Verdict:
    properties = resource.properties
    if resource.type == LAUNCH_TEMPLATE:
        options = (properties.get("LaunchTemplateData") or {}).get("MetadataOptions") or {}
    else:
        if resource.type == INSTANCE and properties.get("LaunchTemplate") and not properties.get("MetadataOptions"):
            return NOT_APPLICABLE  # its launch template is judged
        options = properties.get("MetadataOptions") or {}
    if options.get("HttpEndpoint") == "disabled":
        return COMPLIANT
    if options.get("HttpTokens") == "required":
        return COMPLIANT
    return non_compliant(f"HttpTokens is {options.get('HttpTokens', 'optional (default)')}")


def _open_cidr(rule: Mapping[str, Any]) -> str | None:
    for key in ("CidrIp", "CidrIpv6"):
        if isinstance(rule.get(key), str) and rule[key] in OPEN_CIDRS:  # an intrinsic is not a literal open CIDR
            return str(rule[key])
    return None


def _no_open_ingress(resource: Resource) -> Verdict:
    rules = (as_list(resource.properties.get("SecurityGroupIngress")) if resource.type == SECURITY_GROUP
             else [resource.properties])
    open_rules = []
    for rule in rules:
        if isinstance(rule, Mapping) and (cidr := _open_cidr(rule)):
            ports = f"{rule.get('IpProtocol')} {rule.get('FromPort', '*')}-{rule.get('ToPort', '*')}"
            open_rules.append(f"{ports} from {cidr}")
    return non_compliant("ingress open to the internet: " + "; ".join(open_rules)) if open_rules else COMPLIANT


def _ingress_within_vpc(rule: Mapping[str, Any], vpc_id: str | None, vpc_cidr: Any) -> str | None:
    """Why ``rule`` admits more than the VPC, or None when it admits only the VPC (or a security group)."""
    if rule.get("SourcePrefixListId") is not None:
        return "admits a prefix list, whose addresses are not in the template"
    if rule.get("SourceSecurityGroupId") is not None:
        return None
    cidr = rule.get("CidrIp", rule.get("CidrIpv6"))
    if cidr is None:
        return "names no source"
    if vpc_id is not None and refers_to(cidr, vpc_id):
        return None
    if not isinstance(cidr, str):
        return "uses a CIDR that is not a literal, so it cannot be judged"
    if not isinstance(vpc_cidr, str):
        return f"admits {cidr}, and the VPC's CIDR is not a literal in this template"
    try:
        inside = ipaddress.ip_network(cidr, strict=False).subnet_of(ipaddress.ip_network(vpc_cidr))  # type: ignore[arg-type]
    except (ValueError, TypeError):
        inside = False
    return None if inside else f"admits {cidr}, outside the VPC's {vpc_cidr}"


def _endpoint_security_groups_vpc_only(resource: Resource) -> Verdict:
    if resource.properties.get("VpcEndpointType") != "Interface":
        return NOT_APPLICABLE
    group_refs = as_list(resource.properties.get("SecurityGroupIds"))
    if not group_refs:
        return non_compliant("no security group: the endpoint uses the VPC's default security group")
    vpc_id = referenced_id(resource.properties.get("VpcId"))
    vpc_body = resource.template_resources.get(vpc_id or "", {})
    vpc_cidr = (vpc_body.get("Properties") or {}).get("CidrBlock") if isinstance(vpc_body, Mapping) else None
    problems = []
    for group in group_refs:
        group_id = referenced_id(group)
        body = resource.template_resources.get(group_id or "")
        if not isinstance(body, Mapping) or body.get("Type") != SECURITY_GROUP:
            problems.append(f"security group {group!r} is not in this template, so it cannot be judged")
            continue
        rules = list(as_list((body.get("Properties") or {}).get("SecurityGroupIngress")))
        rules += [props for _, props in _of_type(resource, SECURITY_GROUP_INGRESS)
                  if refers_to(props.get("GroupId"), group_id or "")]
        for rule in rules:
            if isinstance(rule, Mapping) and (why := _ingress_within_vpc(rule, vpc_id, vpc_cidr)):
                problems.append(f"{group_id} {why}")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


ISOLATED_VPC_NO_INTERNET_PATH = Rule(
    id="VPCIsolatedNoInternetPath",
    resource_types=frozenset({VPC}),
    finding="A VPC marked isolated has an internet gateway, egress-only gateway, NAT gateway, a route to one, "
            "or a subnet that assigns public IPs.",
    explanation=(
        "Controlled-access genomic data must not be reachable from or sent to the internet (dbGaP: "
        "'Internet, networking and data transfers'); an isolated VPC reaches AWS services only through "
        "VPC endpoints, so any gateway or public address is a second, unmonitored boundary."
    ),
    controls=_BOUNDARY,
    check=_no_internet_path,
    fix=("IsolatedVpc builds none of these; remove the internet, egress-only or NAT gateway, its routes "
         "and public subnets, and reach AWS services through "
         "IsolatedVpc(interface_endpoints=[InterfaceEndpoint...]) and the S3 gateway endpoint"),
)

VPC_FLOW_LOGS_ALL_TRAFFIC = Rule(
    id="VPCFlowLogsAllTraffic",
    resource_types=frozenset({VPC}),
    finding="The VPC has no flow log in its template that captures ALL traffic (accepted and rejected).",
    explanation=(
        "Flow logs of accepted and rejected traffic are the network audit trail an incident report "
        "under a Data Use Certification needs; logging only rejects misses exfiltration that succeeded."
    ),
    controls=_AUDIT,
    check=_flow_logs_all_traffic,
    fix=("IsolatedVpc adds one; with ec2.Vpc call vpc.add_flow_log('FlowLog', "
         "traffic_type=ec2.FlowLogTrafficType.ALL); in CloudFormation add an AWS::EC2::FlowLog with "
         "ResourceType VPC and TrafficType ALL"),
)

EBS_ENCRYPTED_WITH_CUSTOMER_KEY = Rule(
    id="EBSEncryptedWithCustomerKey",
    resource_types=frozenset({LAUNCH_TEMPLATE, INSTANCE, VOLUME}),
    finding="An EBS volume (volume, instance or launch template) is unencrypted, uses the "
            "AWS-managed EBS key, or leaves the root volume's encryption to the AMI.",
    explanation=(
        "Genomic data spills to scratch and Docker volumes during analysis; a customer-managed key "
        "lets the data owner audit, restrict and revoke its use, which the AWS-managed aws/ebs key does not."
    ),
    controls=_AT_REST,
    check=_ebs_customer_key,
    fix=("PipelineCompute and AnalysisWorkstation encrypt EBS with a PhiKey; by hand set "
         "block_devices=[ec2.BlockDevice(device_name=..., volume=ec2.BlockDeviceVolume.ebs(size, "
         "encrypted=True, kms_key=key))]; in CloudFormation set Encrypted: true and KmsKeyId on every "
         "volume mapping"),
)

IMDSV2_REQUIRED = Rule(
    id="EC2IMDSv2Required",
    resource_types=frozenset({LAUNCH_TEMPLATE, INSTANCE, LAUNCH_CONFIGURATION}),
    finding="The instance metadata service accepts IMDSv1 (HttpTokens is not 'required').",
    explanation=(
        "IMDSv1 answers any request that reaches it, so a server-side request forgery in a pipeline tool "
        "can read the instance role's credentials; IMDSv2's session tokens block that path."
    ),
    controls=_HOST_HARDENING,
    check=_imdsv2_required,
    fix=("pass require_imdsv2=True to ec2.Instance or ec2.LaunchTemplate; in CloudFormation set "
         "MetadataOptions.HttpTokens: required"),
)

NO_OPEN_INGRESS = Rule(
    id="EC2NoOpenIngress",
    resource_types=frozenset({SECURITY_GROUP, SECURITY_GROUP_INGRESS}),
    finding="A security group admits traffic from 0.0.0.0/0 or ::/0.",
    explanation=(
        "Hosts that hold controlled-access data are reached through Session Manager or from inside the "
        "VPC, never from any address on the internet, whatever the port."
    ),
    controls=_BOUNDARY,
    check=_no_open_ingress,
    fix=("allow ingress from the VPC's CIDR (ec2.Peer.ipv4(vpc.vpc_cidr_block)) or another security "
         "group, never ec2.Peer.any_ipv4() or any_ipv6()"),
)

ENDPOINT_SECURITY_GROUPS_VPC_ONLY = Rule(
    id="VPCEndpointSecurityGroupVpcOnly",
    resource_types=frozenset({VPC_ENDPOINT}),
    finding="An interface endpoint's security group admits sources outside its VPC, or cannot be judged "
            "(no security group, one from another template, or a CIDR that is not a literal).",
    explanation=(
        "Interface endpoints carry API calls and data to KMS, Logs, STS, ECR and HealthOmics; only "
        "clients inside the isolated VPC should reach them, and a rule that cannot be read cannot be reviewed."
    ),
    controls=_BOUNDARY,
    check=_endpoint_security_groups_vpc_only,
    fix=("IsolatedVpc's interface endpoints admit only the VPC's CIDR; with vpc.add_interface_endpoint "
         "pass open=False and security_groups=[a group that admits only the VPC's CIDR on port 443]"),
)

NETWORK_RULES = (
    ISOLATED_VPC_NO_INTERNET_PATH,
    VPC_FLOW_LOGS_ALL_TRAFFIC,
    EBS_ENCRYPTED_WITH_CUSTOMER_KEY,
    IMDSV2_REQUIRED,
    NO_OPEN_INGRESS,
    ENDPOINT_SECURITY_GROUPS_VPC_ONLY,
)
