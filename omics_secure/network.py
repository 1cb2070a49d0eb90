"""An isolated VPC for PHI and controlled-access genomic workloads: no route to or from the internet.

Genomic data leaves the VPC only through AWS PrivateLink (interface endpoints) and the S3 and DynamoDB
gateway endpoints, whose policies keep requests to this account's own resources. Every flow is logged
to a log group encrypted with the project key.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Sequence
from enum import Enum

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_logs as logs
from constructs import Construct

from omics_secure._internal.acknowledgments import acknowledge
from omics_secure._internal.environment import check_region, known, warn_other_account
from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.props import checked_props
from omics_secure._internal.tags import ISOLATED_TAG
from omics_secure.keys import KeyLike, KeyService, PhiKey, key_of

DEFAULT_CIDR = "10.64.0.0/16"
DEFAULT_FLOW_LOG_RETENTION_DAYS = 365
# A VPC's CIDR block may be /16 to /28; /24 is the smallest that still leaves two usable subnets of
# more than a handful of addresses for endpoint interfaces and Batch instances.
CIDR_PREFIX_RANGE = (16, 24)
HTTPS = 443
EPHEMERAL_PORTS = (1024, 65535)
_PREFIX_LIST = re.compile(r"^pl-[0-9a-f]{8,17}$")
# The suffix of an Availability Zone name after its region (us-east-1a, us-west-2-lax-1a for Local Zones).
_AZ_NAME = re.compile(r"^(-[a-z]+-\d+)?[a-z]$")
# Ranges a VPC for PHI may use: RFC 1918 and RFC 6598 shared address space (Amazon VPC user guide,
# "VPC CIDR blocks": https://docs.aws.amazon.com/vpc/latest/userguide/vpc-cidr-blocks.html).
VPC_PRIVATE_RANGES = tuple(ipaddress.IPv4Network(r) for r in ("10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16",
                                                             "100.64.0.0/10"))
# What Python's ipaddress calls "private" but a VPC must not use, said honestly in the error.
RESERVED_RANGES = tuple((ipaddress.IPv4Network(r), kind) for r, kind in (
    ("169.254.0.0/16", "link-local (RFC 3927), where the instance metadata service and the Amazon DNS "
                       "server live"),
    ("127.0.0.0/8", "loopback (RFC 1122)"),
    ("198.18.0.0/15", "reserved for network benchmarking (RFC 2544)"),
    ("0.0.0.0/8", "'this network' (RFC 1122)"),
    ("192.0.0.0/24", "reserved for IETF protocol assignments (RFC 6890)"),
    ("192.0.2.0/24", "documentation address space (RFC 5737)"),
    ("198.51.100.0/24", "documentation address space (RFC 5737)"),
    ("203.0.113.0/24", "documentation address space (RFC 5737)"),
    ("224.0.0.0/4", "multicast (RFC 5771)"),
    ("240.0.0.0/4", "reserved (RFC 1112)"),
))

# The values CloudWatch Logs accepts for RetentionInDays (PutRetentionPolicy).
FLOW_LOG_RETENTION_DAYS = frozenset({
    1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653,
})


class InterfaceEndpoint(Enum):
    """An AWS service reached through an interface VPC endpoint (AWS PrivateLink) of the isolated VPC.

    The value is the service's short name in ``com.amazonaws.<region>.<short name>``.
    """

    KMS = "kms"
    CLOUDWATCH_LOGS = "logs"
    STS = "sts"
    ECR_API = "ecr.api"
    ECR_DOCKER = "ecr.dkr"
    # The ECS agent on Batch EC2 instances registers and reports through these three.
    ECS = "ecs"
    ECS_AGENT = "ecs-agent"
    ECS_TELEMETRY = "ecs-telemetry"
    SSM = "ssm"
    SSM_MESSAGES = "ssmmessages"
    EC2_MESSAGES = "ec2messages"
    BATCH = "batch"
    HEALTHOMICS_ANALYTICS = "analytics-omics"
    HEALTHOMICS_STORAGE = "storage-omics"
    HEALTHOMICS_CONTROL_STORAGE = "control-storage-omics"
    HEALTHOMICS_WORKFLOWS = "workflows-omics"
    HEALTHOMICS_TAGS = "tags-omics"
    HEALTHLAKE = "healthlake"
    # The airlock's functions record each step (EventBridge), answer its workflow (Step Functions) and are
    # invoked by requesters inside the VPC (Lambda).
    STEP_FUNCTIONS = "states"
    EVENTBRIDGE = "events"
    LAMBDA = "lambda"

    @property
    def aws_service(self) -> ec2.InterfaceVpcEndpointAwsService:
        return ec2.InterfaceVpcEndpointAwsService(self.value)


# What an isolated Batch pipeline needs to pull images, run the ECS agent, write logs, use the key,
# assume roles, submit jobs and be reached by Session Manager.
DEFAULT_INTERFACE_ENDPOINTS = (
    InterfaceEndpoint.KMS,
    InterfaceEndpoint.CLOUDWATCH_LOGS,
    InterfaceEndpoint.STS,
    InterfaceEndpoint.ECR_API,
    InterfaceEndpoint.ECR_DOCKER,
    InterfaceEndpoint.ECS,
    InterfaceEndpoint.ECS_AGENT,
    InterfaceEndpoint.ECS_TELEMETRY,
    InterfaceEndpoint.SSM,
    InterfaceEndpoint.SSM_MESSAGES,
    InterfaceEndpoint.EC2_MESSAGES,
    InterfaceEndpoint.BATCH,
)


class IsolatedVpc(Construct):
    """A VPC with isolated subnets only, reaching AWS services through VPC endpoints.

    Defaults, and why: no internet gateway and no NAT gateway (data cannot leave by the internet, and
    terabyte reads from S3 pay no NAT charges); S3 and DynamoDB gateway endpoints limited to this
    account's resources; the interface endpoints of :data:`DEFAULT_INTERFACE_ENDPOINTS` with private
    DNS, behind one security group that admits HTTPS from the VPC CIDR only; flow logs of all traffic
    to a KMS-encrypted, retained log group; the default security group stripped of its rules; network
    ACLs that admit HTTPS and return traffic only.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        key: KeyLike,
        cidr: str = DEFAULT_CIDR,
        availability_zones: Sequence[str] | None = None,
        interface_endpoints: Sequence[InterfaceEndpoint] = DEFAULT_INTERFACE_ENDPOINTS,
        flow_log_retention_days: int | None = DEFAULT_FLOW_LOG_RETENTION_DAYS,
        flow_log_removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN,
        gateway_prefix_list_ids: Sequence[str] = (),
    ) -> None:
        """
        :param key: the customer-managed key that encrypts the flow-log group. A :class:`PhiKey` gets
            the CloudWatch Logs statement added; any other key must already allow the regional Logs
            service principal (a warning says so).
        :param cidr: the VPC's IPv4 CIDR block, /16 to /24. Default: ``10.64.0.0/16``. It is written
            into the endpoint security group and the network ACLs as a literal, so that compliance
            rules can judge them.
        :param availability_zones: at least two AZ names. Default: the region's first two AZs, resolved
            by CloudFormation (``Fn::GetAZs``) so that synthesis needs no AWS account lookup.
        :param interface_endpoints: the PrivateLink endpoints to create. Default:
            :data:`DEFAULT_INTERFACE_ENDPOINTS`; an empty list creates none.
        :param flow_log_retention_days: days to keep flow logs, one of CloudWatch Logs' allowed values
            (:data:`FLOW_LOG_RETENTION_DAYS`). Default: 365. ``None`` keeps them forever, with a warning.
        :param flow_log_removal_policy: Default: RETAIN, so that the traffic record outlives the stack.
        :param gateway_prefix_list_ids: the ``pl-`` ids of the region's S3 and DynamoDB managed prefix
            lists (``aws ec2 describe-managed-prefix-lists``). CloudFormation cannot look them up, so by
            default (none) :meth:`allow_https_egress` opens HTTPS to 0.0.0.0/0, which the isolated
            route tables confine to the VPC and the two gateway endpoints; give the ids to name them.
        """
        problems = ProblemCollector(f"IsolatedVpc '{id}'")
        network = _check_cidr(problems, cidr)
        azs = list(availability_zones) if availability_zones is not None else None
        if azs is not None:
            _check_availability_zones(problems, scope, azs)
        retention_days = check_log_retention(problems, "flow_log_retention_days", flow_log_retention_days)
        check_region(problems, scope, "key", key_of(key), what="the key",
                     why="CloudWatch Logs encrypts a log group only with a KMS key of the log group's region")
        for prefix_list in gateway_prefix_list_ids:
            if not is_unresolved(prefix_list) and not _PREFIX_LIST.match(str(prefix_list)):
                problems.add("gateway_prefix_list_ids", prefix_list,
                             "pass managed prefix-list ids such as 'pl-63a5400a' (S3 in us-east-1)")
        if flow_log_removal_policy not in (cdk.RemovalPolicy.RETAIN, cdk.RemovalPolicy.DESTROY):
            problems.add("flow_log_removal_policy", flow_log_removal_policy,
                         "log groups support RETAIN (the default) or DESTROY")
        problems.raise_if_any()
        key = key_of(key)
        warn_other_account(scope, id, "key", key, what="a key")

        super().__init__(scope, id)
        stack = cdk.Stack.of(self)
        self.cidr = cidr
        self.gateway_prefix_list_ids = tuple(gateway_prefix_list_ids)
        self.key = key
        if azs is None:
            azs = [cdk.Fn.select(index, cdk.Fn.get_azs()) for index in range(2)]
        self.vpc = ec2.Vpc(
            self, "Resource",
            ip_addresses=ec2.IpAddresses.cidr(cidr),
            availability_zones=azs,
            nat_gateways=0,
            subnet_configuration=[ec2.SubnetConfiguration(
                name="Isolated", subnet_type=ec2.SubnetType.PRIVATE_ISOLATED,
                cidr_mask=_subnet_mask(network, len(azs)) if network else None)],
            enable_dns_hostnames=True,
            enable_dns_support=True,
            # CloudFormation cannot change the default security group's rules; CDK's custom resource
            # (a Lambda scoped to this one group, run at deploy time) is the only template-native way.
            # Set here rather than left to the feature flag, so an app without the flag is covered too.
            restrict_default_security_group=True,
        )
        # The OmicsSecure rule VPCIsolatedNoInternetPath judges VPCs that carry this tag.
        cdk.Tags.of(self.vpc).add(ISOLATED_TAG, "true", include_resource_types=["AWS::EC2::VPC"])
        self.subnets = ec2.SubnetSelection(subnet_type=ec2.SubnetType.PRIVATE_ISOLATED)

        self.flow_log_group = self._flow_logs(key, retention_days, flow_log_removal_policy)
        self._gateway_endpoints(stack)
        self.endpoint_security_group = ec2.SecurityGroup(
            self, "EndpointSecurityGroup", vpc=self.vpc, allow_all_outbound=False,
            description="Interface endpoints: HTTPS from inside the VPC only")
        self.endpoint_security_group.add_ingress_rule(
            ec2.Peer.ipv4(cidr), ec2.Port.tcp(HTTPS), "HTTPS from the VPC CIDR")
        self.interface_endpoints: dict[InterfaceEndpoint, ec2.InterfaceVpcEndpoint] = {}
        for endpoint in dict.fromkeys(interface_endpoints):
            self.add_interface_endpoint(endpoint)
        self._network_acl()

    @checked_props
    def allow_https_egress(self, security_group: ec2.ISecurityGroup) -> None:
        """Let ``security_group`` send HTTPS to the interface endpoints and the gateway endpoints only."""
        security_group.add_egress_rule(
            ec2.Peer.ipv4(self.cidr), ec2.Port.tcp(HTTPS), "HTTPS to the interface endpoints in the VPC")
        if self.gateway_prefix_list_ids:
            for prefix_list in self.gateway_prefix_list_ids:
                security_group.add_egress_rule(
                    ec2.Peer.prefix_list(prefix_list), ec2.Port.tcp(HTTPS), "HTTPS to a gateway endpoint")
        else:
            security_group.add_egress_rule(
                ec2.Peer.any_ipv4(), ec2.Port.tcp(HTTPS),
                "HTTPS to the S3/DynamoDB gateway endpoints; the isolated route tables have no other route")

    @checked_props
    def add_interface_endpoint(self, endpoint: InterfaceEndpoint) -> ec2.InterfaceVpcEndpoint:
        """Create the PrivateLink endpoint for ``endpoint`` (once; a second call returns the first)."""
        if not isinstance(endpoint, InterfaceEndpoint):
            problems = ProblemCollector(f"IsolatedVpc '{self.node.id}'.add_interface_endpoint")
            problems.add("endpoint", endpoint,
                         "use a member of InterfaceEndpoint: " + ", ".join(e.name for e in InterfaceEndpoint))
            problems.raise_if_any()
        existing = self.interface_endpoints.get(endpoint)
        if existing is not None:
            return existing
        created = self.vpc.add_interface_endpoint(
            _endpoint_id(endpoint),
            service=endpoint.aws_service,
            private_dns_enabled=True,
            subnets=self.subnets,
            security_groups=[self.endpoint_security_group],
            open=False,
        )
        self.interface_endpoints[endpoint] = created
        return created

    def _flow_logs(self, key: kms.IKey, retention_days: int | None,
                   removal_policy: cdk.RemovalPolicy) -> logs.LogGroup:
        if isinstance(key, PhiKey):
            key.enable_services(KeyService.CLOUDWATCH_LOGS)
        else:
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:flow-log-key-policy",
                "The flow-log key is not a PhiKey: its key policy must allow the regional CloudWatch Logs "
                "service principal (see key_policy_statements(KeyService.CLOUDWATCH_LOGS, ...)).")
        if retention_days is None:
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:flow-log-retention-infinite",
                "Flow logs are kept forever: set flow_log_retention_days to the period your data-use "
                "agreement or records policy requires.")
        log_group = encrypted_log_group(self, "FlowLogGroup", key, retention_days, removal_policy)
        stack = cdk.Stack.of(self)
        role = iam.Role(
            self, "FlowLogRole",
            description="VPC flow logs: deliver to the encrypted flow-log group only",
            # Confused-deputy guard: only this account's flow logs may assume the role.
            assumed_by=iam.ServicePrincipal("vpc-flow-logs.amazonaws.com", conditions={
                "StringEquals": {"aws:SourceAccount": stack.account},
                "ArnLike": {"aws:SourceArn": stack.format_arn(
                    service="ec2", resource="vpc-flow-log", resource_name="*")},
            }),
        )
        # A customer-managed policy rather than CDK's inline default policy: HIPAA and NIST packs
        # require permissions to be managed policies (IAMNoInlinePolicy).
        iam.ManagedPolicy(
            self, "FlowLogPolicy",
            description="Write VPC flow logs to the flow-log group",
            roles=[role],
            statements=[iam.PolicyStatement(
                actions=["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogStreams"],
                resources=[log_group.log_group_arn])],
        )
        self.flow_log = self.vpc.add_flow_log(
            "FlowLog",
            destination=ec2.FlowLogDestination.to_cloud_watch_logs(log_group, role.without_policy_updates()),
            traffic_type=ec2.FlowLogTrafficType.ALL,
        )
        self.flow_log_role = role
        return log_group

    def _gateway_endpoints(self, stack: cdk.Stack) -> None:
        own_account = {"StringEquals": {"aws:ResourceAccount": stack.account, "aws:PrincipalAccount": stack.account}}
        s3_endpoint = self.vpc.add_gateway_endpoint(
            "S3Endpoint", service=ec2.GatewayVpcEndpointAwsService.S3, subnets=[self.subnets])
        s3_endpoint.add_to_policy(iam.PolicyStatement(
            sid="OwnAccountBucketsOnly", principals=[iam.AnyPrincipal()], actions=["s3:*"],
            resources=["*"], conditions=own_account))
        # ECR stores image layers in an AWS-owned bucket; without this, no image pulls in the VPC
        # (ECR user guide, "Minimum Amazon S3 bucket permissions for Amazon ECR").
        s3_endpoint.add_to_policy(iam.PolicyStatement(
            sid="EcrImageLayers", principals=[iam.AnyPrincipal()], actions=["s3:GetObject"],
            resources=[f"arn:{cdk.Aws.PARTITION}:s3:::prod-{stack.region}-starport-layer-bucket/*"],
            conditions={"StringEquals": {"aws:PrincipalAccount": stack.account}}))
        dynamodb_endpoint = self.vpc.add_gateway_endpoint(
            "DynamoDbEndpoint", service=ec2.GatewayVpcEndpointAwsService.DYNAMODB, subnets=[self.subnets])
        dynamodb_endpoint.add_to_policy(iam.PolicyStatement(
            sid="OwnAccountTablesOnly", principals=[iam.AnyPrincipal()], actions=["dynamodb:*"],
            resources=["*"], conditions=own_account))
        self.s3_endpoint = s3_endpoint
        self.dynamodb_endpoint = dynamodb_endpoint

    def _network_acl(self) -> None:
        acl = ec2.NetworkAcl(self, "IsolatedAcl", vpc=self.vpc, subnet_selection=self.subnets)
        ephemeral = ec2.AclTraffic.tcp_port_range(*EPHEMERAL_PORTS)
        vpc_cidr = ec2.AclCidr.ipv4(self.cidr)
        # The route tables hold only the VPC-local route and the S3/DynamoDB prefix-list routes, so
        # 0.0.0.0/0 in these entries can reach nothing but those gateway endpoints. NACLs cannot name
        # prefix lists, and S3's address ranges change, hence no narrower CIDR for that traffic.
        entries = [
            (100, ec2.TrafficDirection.INGRESS, vpc_cidr, ec2.AclTraffic.tcp_port(HTTPS), "HttpsFromVpc"),
            (110, ec2.TrafficDirection.INGRESS, ec2.AclCidr.any_ipv4(), ephemeral, "ReturnTraffic"),
            (100, ec2.TrafficDirection.EGRESS, ec2.AclCidr.any_ipv4(), ec2.AclTraffic.tcp_port(HTTPS), "HttpsOut"),
            (110, ec2.TrafficDirection.EGRESS, vpc_cidr, ephemeral, "ReturnTrafficToVpc"),
        ]
        for number, direction, cidr, traffic, name in entries:
            acl.add_entry(
                f"{'In' if direction is ec2.TrafficDirection.INGRESS else 'Out'}{name}",
                rule_number=number, cidr=cidr, traffic=traffic, direction=direction,
                rule_action=ec2.Action.ALLOW)
        self.network_acl = acl
        acknowledge(
            acl, "AwsSolutions-VPC3",
            "The dbGaP security best practices ask for stateless network ACLs as a second layer beneath "
            "security groups; these entries admit only HTTPS and its return traffic on the isolated subnets.")


def _check_cidr(problems: ProblemCollector, cidr: str) -> ipaddress.IPv4Network | None:
    if is_unresolved(cidr):
        problems.add("cidr", cidr, "pass a literal CIDR such as '10.64.0.0/16': security group and network "
                                   "ACL rules are written with it, and must be judged at synthesis")
        return None
    try:
        network = ipaddress.IPv4Network(cidr, strict=True)
    except (ValueError, TypeError):
        problems.add("cidr", cidr, "pass an IPv4 CIDR block with its network address, e.g. '10.64.0.0/16'")
        return None
    low, high = CIDR_PREFIX_RANGE
    if not low <= network.prefixlen <= high:
        problems.add("cidr", cidr, f"use a prefix length of /{low} to /{high}, e.g. '10.64.0.0/16'")
    elif not any(network.subnet_of(allowed) for allowed in VPC_PRIVATE_RANGES):
        problems.add("cidr", cidr, f"{_address_kind(network)}; use a private range: RFC 1918 (10.0.0.0/8, "
                                   "172.16.0.0/12, 192.168.0.0/16) or RFC 6598 (100.64.0.0/10), e.g. '10.64.0.0/16'")
    return network


def _address_kind(network: ipaddress.IPv4Network) -> str:
    for reserved, kind in RESERVED_RANGES:
        if network.overlaps(reserved):
            return f"{network} is {kind}"
    return f"{network} is publicly routable address space, not a private range"


def _subnet_mask(network: ipaddress.IPv4Network, zones: int) -> int:
    """The prefix of the largest equal subnets that give each of ``zones`` zones one."""
    return min(28, network.prefixlen + max(1, (zones - 1).bit_length()))


def check_log_retention(problems: ProblemCollector, prop: str, days: int | None) -> int | None:
    """``days`` if CloudWatch Logs accepts it as RetentionInDays (None: never expire), else the default."""
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int):
        problems.add(prop, days, "pass a number of days, e.g. 365")
        return DEFAULT_FLOW_LOG_RETENTION_DAYS
    if days not in FLOW_LOG_RETENTION_DAYS:
        problems.add(prop, days,
                     "CloudWatch Logs keeps logs for one of " + ", ".join(map(str, sorted(FLOW_LOG_RETENTION_DAYS)))
                     + " days")
        return DEFAULT_FLOW_LOG_RETENTION_DAYS
    return days


def encrypted_log_group(scope: Construct, id: str, key: kms.IKey, retention_days: int | None,
                        removal_policy: cdk.RemovalPolicy = cdk.RemovalPolicy.RETAIN) -> logs.LogGroup:
    """A log group encrypted with ``key``, kept ``retention_days`` (None: forever), retained by default.

    logs.RetentionDays names periods rather than days, so the L1 RetentionInDays takes the number.
    """
    log_group = logs.LogGroup(scope, id, encryption_key=key, retention=logs.RetentionDays.INFINITE,
                              removal_policy=removal_policy)
    if retention_days is not None:
        cfn_log_group = log_group.node.default_child
        assert isinstance(cfn_log_group, logs.CfnLogGroup)
        cfn_log_group.retention_in_days = retention_days
    return log_group


def _check_availability_zones(problems: ProblemCollector, scope: Construct, zones: Sequence[str]) -> None:
    if len(set(zones)) < 2:
        problems.add("availability_zones", zones,
                     "name at least two distinct Availability Zones, e.g. ['us-east-1a', 'us-east-1b']")
    region = known(cdk.Stack.of(scope).region)
    foreign = [zone for zone in zones if region and not is_unresolved(zone)
               and not (zone.startswith(region) and _AZ_NAME.match(zone[len(region):]))]
    if foreign:
        problems.add("availability_zones", foreign,
                     f"the stack is in {region}: name zones of that region, e.g. ['{region}a', '{region}b']")


def _endpoint_id(endpoint: InterfaceEndpoint) -> str:
    return "".join(part.capitalize() for part in endpoint.name.split("_")) + "Endpoint"
