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
    cannot_judge,
    non_compliant,
)
from omics_secure.inputs.values import (
    CannotJudge,
    Narrow,
    Unknown,
    choice,
    each,
    field,
    flag,
    items,
    known,
    known_or_parameter,
    literal_text,
    mapping,
    mappings,
    may_be,
    referenced_id,
    refers_to,
    show,
    text,
)

__all__ = ["NETWORK_RULES", "is_marked_isolated", "referenced_id", "refers_to"]

VPC = "AWS::EC2::VPC"
SECURITY_GROUP = "AWS::EC2::SecurityGroup"
SECURITY_GROUP_INGRESS = "AWS::EC2::SecurityGroupIngress"
LAUNCH_TEMPLATE = "AWS::EC2::LaunchTemplate"
INSTANCE = "AWS::EC2::Instance"
VOLUME = "AWS::EC2::Volume"
LAUNCH_CONFIGURATION = "AWS::AutoScaling::LaunchConfiguration"
VPC_ENDPOINT = "AWS::EC2::VPCEndpoint"
INTERNET_GATEWAY = "AWS::EC2::InternetGateway"
NETWORK_RANGE_TYPES = frozenset({VPC, "AWS::EC2::Subnet", "AWS::EC2::VPCCidrBlock"})
_AWS_MANAGED_EBS_KEY = "alias/aws/ebs"
# Route targets that always lead to the internet; GatewayId is judged by what it names (an internet
# gateway, or a virtual private gateway or 'local', which do not). Route reference:
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-route.html
_INTERNET_ROUTE_TARGETS = ("NatGatewayId", "EgressOnlyInternetGatewayId", "CarrierGatewayId")
# AWS::EC2::FlowLog TrafficType: ACCEPT | ALL | REJECT
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-ec2-flowlog.html
FLOW_LOG_TRAFFIC_TYPES = ("ACCEPT", "REJECT", "ALL")
# What an open ingress rule's source may be, tried against a parameter's constraints (AllowedPattern ...).
OPEN_CIDRS = ("0.0.0.0/0", "::/0")
_NO_BLOCK_DEVICES = ("no block device mappings: the root volume's encryption is left to the AMI and the "
                     "account default")

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


def _verdict(problems: list[str], unknown: list[CannotJudge]) -> Verdict:
    """Non-compliant when any problem was found, else cannot judge when a part could not be, else compliant."""
    if problems:
        return non_compliant("; ".join(problems))
    if unknown:
        return cannot_judge("; ".join(dict.fromkeys(str(u) for u in unknown)))
    return COMPLIANT


def _of_type(resource: Resource, *types: str) -> Iterable[tuple[str, Mapping[str, Any]]]:
    for logical_id, body in resource.others_of_type(*types):
        yield logical_id, mapping(body, "Properties")


def is_marked_isolated(properties: Mapping[str, Any]) -> bool:
    return any(text(tag, "Key") == ISOLATED_TAG and flag(tag, "Value") is True
               for tag in mappings(properties, "Tags"))


def _internet_gateway_target(resource: Resource, gateway: Any) -> bool:
    """True when a route's GatewayId is an internet gateway (not a VPN gateway, not 'local')."""
    if gateway is None:
        return False
    target = referenced_id(gateway)
    if target is not None:
        body = resource.other(target)
        if body is None:
            raise CannotJudge("GatewayId", gateway)
        return bool(body.get("Type") == INTERNET_GATEWAY)
    name = text({"GatewayId": gateway}, "GatewayId")
    return name is not None and name.startswith("igw-")


def _route_problems(resource: Resource, logical_id: str, props: Mapping[str, Any]) -> list[str]:
    targets = [key for key in _INTERNET_ROUTE_TARGETS if known(props, key) is not None]
    if _internet_gateway_target(resource, known(props, "GatewayId")):
        targets.insert(0, "GatewayId (an internet gateway)")
    return [f"route {logical_id} to {', '.join(targets)}"] if targets else []


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
    routes = [(lid, props) for lid, props in _of_type(resource, "AWS::EC2::Route")
              if referenced_id(props.get("RouteTableId")) in route_tables]
    route_problems, unknown = each(routes, lambda route: _route_problems(resource, *route))
    problems.extend(route_problems)
    for lid, props in _of_type(resource, "AWS::EC2::Subnet"):
        if lid in subnets and flag(props, "MapPublicIpOnLaunch") is True:
            problems.append(f"subnet {lid} assigns public IPs")
    return _verdict(problems, unknown)


def _flow_logs_all_traffic(resource: Resource) -> Verdict:
    vpc = resource.logical_id
    logs = [props for _, props in _of_type(resource, "AWS::EC2::FlowLog")
            if text(props, "ResourceType") == "VPC" and refers_to(props.get("ResourceId"), vpc)]
    traffic, unknown = [], []
    for props in logs:
        try:
            traffic.append(choice(props, "TrafficType", options=FLOW_LOG_TRAFFIC_TYPES) or "")
        except Narrow:
            raise  # judged again with the parameter at each traffic type
        except CannotJudge as cannot:
            unknown.append(cannot)
    if "ALL" in traffic:
        return COMPLIANT
    if unknown:
        return _verdict([], unknown)
    if traffic:
        return non_compliant(f"flow logs capture only {', '.join(sorted(set(traffic)))} traffic, not ALL")
    return non_compliant("no flow log for this VPC in the template")


def _ebs_problem(ebs: Mapping[str, Any], where: str) -> str | None:
    if flag(ebs, "Encrypted") is not True:
        return f"{where} is not encrypted (Encrypted is {show(field(ebs, 'Encrypted'))})"
    key = field(ebs, "KmsKeyId")  # a key from a parameter or an import is a key the user chose
    if key is None:
        return f"{where} uses the AWS-managed EBS key (no KmsKeyId)"
    if literal_text(key).endswith(_AWS_MANAGED_EBS_KEY):
        return f"{where} uses the AWS-managed key {show(key)}"
    return None


def _launch_configuration_problem(ebs: Mapping[str, Any], where: str) -> str | None:
    # A launch configuration's block device cannot name a key: an encrypted volume uses the account's
    # default EBS key, which is not in the template. Block device reference:
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-autoscaling-launchconfiguration-blockdevice.html
    if flag(ebs, "Encrypted") is not True:
        return f"{where} is not encrypted (Encrypted is {show(field(ebs, 'Encrypted'))})"
    raise CannotJudge(f"the key of {where}", "the account's default EBS key",
                      "which a launch configuration cannot name; use a launch template with KmsKeyId")


def _mapping_verdict(mappings_value: Any, launch_configuration: bool = False) -> Verdict:
    volumes = [m for m in mappings({"BlockDeviceMappings": mappings_value}, "BlockDeviceMappings")
               if isinstance(known(m, "Ebs"), Mapping)]
    if not volumes:
        return non_compliant(_NO_BLOCK_DEVICES)
    judge = _launch_configuration_problem if launch_configuration else _ebs_problem

    def problems(volume: Mapping[str, Any]) -> list[str]:
        problem = judge(volume["Ebs"], f"volume {show(volume.get('DeviceName', '?'))}")
        return [problem] if problem else []

    return _verdict(*each(volumes, problems))


def _ebs_customer_key(resource: Resource) -> Verdict:
    properties = resource.properties
    if resource.type == VOLUME:
        problem = _ebs_problem(properties, "the volume")
        return non_compliant(problem) if problem else COMPLIANT
    if resource.type == LAUNCH_TEMPLATE:
        return _mapping_verdict(field(properties, "LaunchTemplateData", "BlockDeviceMappings"))
    if resource.type == LAUNCH_CONFIGURATION:
        return _mapping_verdict(properties.get("BlockDeviceMappings"), launch_configuration=True)
    if known(properties, "LaunchTemplate") and not known(properties, "BlockDeviceMappings"):
        return NOT_APPLICABLE  # an instance from a launch template: the template is judged
    return _mapping_verdict(properties.get("BlockDeviceMappings"))


def _imdsv2_required(resource: Resource) -> Verdict:
    properties = resource.properties
    if resource.type == LAUNCH_TEMPLATE:
        options = mapping(properties, "LaunchTemplateData", "MetadataOptions")
    else:
        if resource.type == INSTANCE and known(properties, "LaunchTemplate") and not known(properties,
                                                                                             "MetadataOptions"):
            return NOT_APPLICABLE  # its launch template is judged
        options = mapping(properties, "MetadataOptions")
    # MetadataOptions' accepted values: HttpEndpoint enabled|disabled, HttpTokens optional|required
    # https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-ec2-launchtemplate-metadataoptions.html
    if choice(options, "HttpEndpoint", options=("enabled", "disabled")) == "disabled":
        return COMPLIANT
    tokens = choice(options, "HttpTokens", options=("optional", "required"))
    if tokens == "required":
        return COMPLIANT
    return non_compliant(f"HttpTokens is {tokens if tokens is not None else 'absent (optional by default)'}")


# Address blocks that are not on the internet: IANA's special-purpose registries
# (https://www.iana.org/assignments/iana-ipv4-special-registry/ and .../iana-ipv6-special-registry/); the
# internet's IPv6 unicast space is 2000::/3 (https://www.iana.org/assignments/ipv6-unicast-address-assignments/).
_NOT_INTERNET_V4 = tuple(ipaddress.IPv4Network(n) for n in (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
    "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
    "224.0.0.0/4", "240.0.0.0/4"))
_INTERNET_V6 = ipaddress.IPv6Network("2000::/3")
_DOCUMENTATION_V6 = ipaddress.IPv6Network("2001:db8::/32")
# A range that admits a /8's worth of internet addresses (IPv6: a /16's worth) is the internet for this rule:
# no campus or partner network is that large, and 0.0.0.0/1 (half of IPv4) is not a narrower rule than /0.
OPEN_V4_ADDRESSES, OPEN_V6_ADDRESSES = 2 ** 24, 2 ** 112


def internet_addresses(cidr: str) -> int | None:
    """How many internet addresses a CIDR admits (its size less the special-purpose blocks inside it); None
    when it is not a CIDR."""
    try:
        network = ipaddress.ip_network(cidr.strip(), strict=False)
    except ValueError:
        return None
    if isinstance(network, ipaddress.IPv4Network):
        if any(network.subnet_of(block) for block in _NOT_INTERNET_V4):
            return 0
        return network.num_addresses - sum(b.num_addresses for b in _NOT_INTERNET_V4 if b.subnet_of(network))
    if network.subnet_of(_INTERNET_V6):
        return 0 if network.subnet_of(_DOCUMENTATION_V6) else network.num_addresses
    return _INTERNET_V6.num_addresses - _DOCUMENTATION_V6.num_addresses if _INTERNET_V6.subnet_of(network) else 0


def is_open_cidr(cidr: str) -> bool:
    """True for a CIDR that admits a large part of the internet, judged as address space: 0.0.0.0/0, ::/0 in
    every spelling, and ranges such as 0.0.0.0/1 (half of IPv4) or 64.0.0.0/2."""
    count = internet_addresses(cidr)
    if count is None:
        return False
    version = ipaddress.ip_network(cidr.strip(), strict=False).version
    return count >= (OPEN_V4_ADDRESSES if version == 4 else OPEN_V6_ADDRESSES)


def _share(cidr: str) -> str:
    count = internet_addresses(cidr) or 0
    if ipaddress.ip_network(cidr.strip(), strict=False).version == 4:
        return f"{count:,} internet addresses, {count / 2 ** 32:.0%} of IPv4"
    return f"{count / _INTERNET_V6.num_addresses:.0%} of the internet's IPv6 unicast space"


def _is_network_range(resource: Resource, value: Any) -> bool:
    """True when ``value`` is an attribute of a VPC or subnet of the template (its CIDR), which is never
    open: VPC blocks are /16 to /28 (IPv6 /56), subnets smaller still. VPC CIDR blocks:
    https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html"""
    body = resource.other(referenced_id(value))
    return body is not None and body.get("Type") in NETWORK_RANGE_TYPES


def _open_ingress(resource: Resource, rule: Mapping[str, Any]) -> list[str]:
    found = []
    for key in ("CidrIp", "CidrIpv6"):
        value = known_or_parameter(rule, key)
        if _is_network_range(resource, value):
            continue
        ports = f"{show(rule.get('IpProtocol'))} {show(rule.get('FromPort', '*'))}-{show(rule.get('ToPort', '*'))}"
        if isinstance(value, Unknown):
            # A parameter: open when its constraints admit an open CIDR; a value they forbid is not a risk.
            found += [f"{ports} from {show(value)}, which may be {cidr} (nothing in parameter {value.parameter}'s "
                      "AllowedPattern or AllowedValues forbids it)" for cidr in OPEN_CIDRS if may_be(value, cidr)]
            continue
        cidr = text(rule, key)
        if cidr is not None and is_open_cidr(cidr):
            found.append(f"{ports} from {cidr} ({_share(cidr)})")
    return found


def _no_open_ingress(resource: Resource) -> Verdict:
    rules = (mappings(resource.properties, "SecurityGroupIngress") if resource.type == SECURITY_GROUP
             else [resource.properties])
    open_rules, unknown = each(rules, lambda rule: _open_ingress(resource, rule))
    if open_rules:
        return non_compliant("ingress open to the internet: " + "; ".join(open_rules))
    return _verdict([], unknown)


def _ingress_within_vpc(rule: Mapping[str, Any], vpc_id: str | None, vpc_cidr: Any) -> str | None:
    """Why ``rule`` admits more than the VPC, or None when it admits only the VPC (or a security group).

    Raises CannotJudge for a source only known at deploy time (a prefix list, a CIDR from an import).
    """
    if known(rule, "SourcePrefixListId") is not None:
        raise CannotJudge("SourcePrefixListId", rule["SourcePrefixListId"])
    if known(rule, "SourceSecurityGroupId") is not None:
        return None
    cidr_key = "CidrIp" if known(rule, "CidrIp") is not None else "CidrIpv6"
    cidr_value = known(rule, cidr_key)
    if cidr_value is None:
        return "names no source"
    if vpc_id is not None and refers_to(cidr_value, vpc_id):
        return None
    cidr = text(rule, cidr_key)
    if cidr is None:
        return f"has a {cidr_key} that is not a CIDR ({show(cidr_value)})"
    if not isinstance(vpc_cidr, str):
        raise CannotJudge("the VPC's CidrBlock", vpc_cidr if vpc_cidr is not None else "not in this template")
    try:
        inside = ipaddress.ip_network(cidr, strict=False).subnet_of(ipaddress.ip_network(vpc_cidr, strict=False))  # type: ignore[arg-type]
    except (ValueError, TypeError):
        inside = False
    return None if inside else f"admits {cidr}, outside the VPC's {vpc_cidr}"


def _endpoint_security_groups_vpc_only(resource: Resource) -> Verdict:
    if text(resource.properties, "VpcEndpointType") != "Interface":
        return NOT_APPLICABLE
    group_refs = items(resource.properties, "SecurityGroupIds")
    if not group_refs:
        return non_compliant("no security group: the endpoint uses the VPC's default security group")
    vpc_id = referenced_id(resource.properties.get("VpcId"))
    vpc_body = resource.other(vpc_id)
    vpc_cidr = field(vpc_body, "Properties", "CidrBlock")
    problems: list[str] = []
    unknown: list[CannotJudge] = []
    for group in group_refs:
        group_id = referenced_id(group)
        body = resource.other(group_id)
        if body is None or body.get("Type") != SECURITY_GROUP:
            unknown.append(CannotJudge(f"security group {show(group)}", "outside this template",
                                       "so its rules cannot be read"))
            continue
        rules = mappings(body, "Properties", "SecurityGroupIngress")
        rules += [props for _, props in _of_type(resource, SECURITY_GROUP_INGRESS)
                  if refers_to(props.get("GroupId"), group_id or "")]

        def judge(rule: Mapping[str, Any], group_id: str | None = group_id) -> list[str]:
            why = _ingress_within_vpc(rule, vpc_id, vpc_cidr)
            return [f"{group_id} {why}"] if why else []

        found, cannot = each(rules, judge)
        problems += found
        unknown += cannot
    return _verdict(problems, unknown)


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
    resource_types=frozenset({LAUNCH_TEMPLATE, INSTANCE, VOLUME, LAUNCH_CONFIGURATION}),
    finding="An EBS volume (volume, instance, launch template or launch configuration) is unencrypted, uses "
            "the AWS-managed EBS key, or leaves the root volume's encryption to the AMI.",
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
    finding="A security group admits traffic from the internet (0.0.0.0/0, ::/0, or a range as large as a /8).",
    explanation=(
        "Hosts that hold controlled-access data are reached through Session Manager or from inside the "
        "VPC, never from any address on the internet, whatever the port. A CIDR is judged as the address "
        "space it admits: 0.0.0.0/1 is half of the internet, not a narrower rule than 0.0.0.0/0."
    ),
    controls=_BOUNDARY,
    check=_no_open_ingress,
    fix=("allow ingress from the VPC's CIDR (ec2.Peer.ipv4(vpc.vpc_cidr_block)) or another security "
         "group, never ec2.Peer.any_ipv4() or any_ipv6()"),
)

ENDPOINT_SECURITY_GROUPS_VPC_ONLY = Rule(
    id="VPCEndpointSecurityGroupVpcOnly",
    resource_types=frozenset({VPC_ENDPOINT}),
    finding="An interface endpoint has no security group of its own, or its security group admits sources "
            "outside its VPC.",
    explanation=(
        "Interface endpoints carry API calls and data to KMS, Logs, STS, ECR and HealthOmics; only "
        "clients inside the isolated VPC should reach them. A group from another template, a prefix list or a "
        "CIDR known only at deploy time cannot be judged here and is reported as a warning."
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
