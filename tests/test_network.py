"""IsolatedVpc: no internet path, account-scoped gateway endpoints, PrivateLink catalogue, flow logs,
NACLs, errors, and a clean run of every pack."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_kms as kms
from aws_cdk.assertions import Annotations, Match, Template

from omics_secure import OmicsSecureConfigError, PhiKey
from omics_secure.compliance.model import Resource, Status
from omics_secure.compliance.rules.network import ISOLATED_VPC_NO_INTERNET_PATH, VPC_FLOW_LOGS_ALL_TRAFFIC
from omics_secure.keys import KeyService
from omics_secure.network import DEFAULT_INTERFACE_ENDPOINTS, InterfaceEndpoint, IsolatedVpc


def build(stack: cdk.Stack, **props) -> IsolatedVpc:
    key = props.pop("key", None) or PhiKey(stack, "DataKey")
    return IsolatedVpc(stack, "Network", key=key, **props)


def test_default_vpc_passes_every_pack_and_cfn_lint(stack, compliant):
    build(stack)
    compliant(stack)


def test_isolated_subnets_only_in_two_zones_without_gateways(stack):
    build(stack)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::EC2::Subnet", 2)
    template.all_resources_properties("AWS::EC2::Subnet", {"MapPublicIpOnLaunch": False})
    for resource_type in ("AWS::EC2::InternetGateway", "AWS::EC2::NatGateway", "AWS::EC2::VPCGatewayAttachment",
                          "AWS::EC2::EgressOnlyInternetGateway", "AWS::EC2::Route"):
        template.resource_count_is(resource_type, 0)
    template.has_resource_properties("AWS::EC2::VPC", {
        "CidrBlock": "10.64.0.0/16",
        "Tags": Match.array_with([{"Key": "omics-secure:isolated", "Value": "true"}]),
    })


def test_rules_judge_the_synthesized_vpc_compliant(stack):
    build(stack)
    resources = Template.from_stack(stack).to_json()["Resources"]
    (vpc_id,) = [lid for lid, body in resources.items() if body["Type"] == "AWS::EC2::VPC"]
    vpc = Resource.from_template(vpc_id, resources[vpc_id], resources)
    assert ISOLATED_VPC_NO_INTERNET_PATH.evaluate(vpc).status is Status.COMPLIANT
    assert VPC_FLOW_LOGS_ALL_TRAFFIC.evaluate(vpc).status is Status.COMPLIANT


def test_named_zones_are_used(stack):
    build(stack, availability_zones=["us-east-1a", "us-east-1c"])
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::EC2::Subnet", {"AvailabilityZone": "us-east-1a"})
    template.has_resource_properties("AWS::EC2::Subnet", {"AvailabilityZone": "us-east-1c"})


def test_default_zones_are_resolved_by_cloudformation(stack):
    build(stack)
    Template.from_stack(stack).has_resource_properties("AWS::EC2::Subnet", {
        "AvailabilityZone": {"Fn::Select": [1, {"Fn::GetAZs": ""}]}})


def test_gateway_endpoints_are_limited_to_the_account(stack):
    build(stack)
    own_account = {"StringEquals": {"aws:ResourceAccount": "111122223333", "aws:PrincipalAccount": "111122223333"}}
    gateways = Template.from_stack(stack).find_resources("AWS::EC2::VPCEndpoint", {
        "Properties": {"VpcEndpointType": "Gateway"}})
    policies = {body["Properties"]["ServiceName"]["Fn::Join"][1][-1]: body["Properties"]["PolicyDocument"]["Statement"]
                for body in gateways.values()}
    assert set(policies) == {".s3", ".dynamodb"}
    s3_own, s3_ecr = policies[".s3"]
    assert (s3_own["Sid"], s3_own["Action"], s3_own["Condition"]) == ("OwnAccountBucketsOnly", "s3:*", own_account)
    assert s3_ecr["Sid"] == "EcrImageLayers" and s3_ecr["Action"] == "s3:GetObject"
    assert s3_ecr["Resource"]["Fn::Join"][1][-1] == ":s3:::prod-us-east-1-starport-layer-bucket/*"
    (dynamodb,) = policies[".dynamodb"]
    assert (dynamodb["Action"], dynamodb["Resource"], dynamodb["Condition"]) == ("dynamodb:*", "*", own_account)


def test_default_interface_endpoints_with_private_dns_behind_the_endpoint_group(stack):
    network = build(stack)
    template = Template.from_stack(stack)
    template.resource_properties_count_is(
        "AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Interface"}, len(DEFAULT_INTERFACE_ENDPOINTS))
    group = stack.resolve(network.endpoint_security_group.security_group_id)
    for endpoint in DEFAULT_INTERFACE_ENDPOINTS:
        template.has_resource_properties("AWS::EC2::VPCEndpoint", {
            "ServiceName": f"com.amazonaws.us-east-1.{endpoint.value}",
            "PrivateDnsEnabled": True,
            "SecurityGroupIds": [group],
        })


def test_endpoint_security_group_admits_https_from_the_literal_vpc_cidr_only(stack):
    build(stack, cidr="10.42.0.0/20")
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::EC2::SecurityGroup", {
        "GroupDescription": Match.string_like_regexp("Interface endpoints"),
        "SecurityGroupIngress": [{"CidrIp": "10.42.0.0/20", "Description": Match.any_value(),
                                  "FromPort": 443, "ToPort": 443, "IpProtocol": "tcp"}],
        # CDK's placeholder for "no egress": a rule that matches no traffic.
        "SecurityGroupEgress": [Match.object_like({"CidrIp": "255.255.255.255/32"})],
    })


def test_healthomics_and_healthlake_endpoints_from_the_catalogue(stack):
    network = build(stack, interface_endpoints=[InterfaceEndpoint.HEALTHOMICS_WORKFLOWS,
                                                InterfaceEndpoint.HEALTHOMICS_STORAGE, InterfaceEndpoint.HEALTHLAKE])
    assert network.add_interface_endpoint(InterfaceEndpoint.HEALTHLAKE) is network.interface_endpoints[
        InterfaceEndpoint.HEALTHLAKE]
    template = Template.from_stack(stack)
    template.resource_properties_count_is("AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Interface"}, 3)
    for name in ("workflows-omics", "storage-omics", "healthlake"):
        template.has_resource_properties("AWS::EC2::VPCEndpoint", {"ServiceName": f"com.amazonaws.us-east-1.{name}"})


def test_no_interface_endpoints_when_none_asked(stack):
    build(stack, interface_endpoints=[])
    Template.from_stack(stack).resource_properties_count_is(
        "AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Interface"}, 0)


def test_flow_logs_of_all_traffic_into_an_encrypted_retained_log_group(stack):
    network = build(stack)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::EC2::FlowLog", {
        "ResourceType": "VPC", "TrafficType": "ALL", "LogDestinationType": "cloud-watch-logs"})
    template.has_resource("AWS::Logs::LogGroup", {
        "DeletionPolicy": "Retain",
        "Properties": {"KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("DataKey"), "Arn"]},
                       "RetentionInDays": 365},
    })
    assert KeyService.CLOUDWATCH_LOGS in network.key.services  # type: ignore[attr-defined]


def test_flow_log_role_is_guarded_and_uses_a_managed_policy(stack):
    build(stack)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::IAM::Role", {"AssumeRolePolicyDocument": {"Statement": [
        Match.object_like({
            "Principal": {"Service": "vpc-flow-logs.amazonaws.com"},
            "Condition": {"StringEquals": {"aws:SourceAccount": "111122223333"},
                          "ArnLike": {"aws:SourceArn": Match.any_value()}},
        })]}})
    template.has_resource_properties("AWS::IAM::ManagedPolicy", {"PolicyDocument": {"Statement": [
        Match.object_like({"Action": ["logs:CreateLogStream", "logs:DescribeLogStreams", "logs:PutLogEvents"]})]}})
    template.resource_count_is("AWS::IAM::Policy", 0)


def test_retention_is_configurable_and_infinite_is_warned(stack):
    build(stack, flow_log_retention_days=None)
    log_group = Template.from_stack(stack).find_resources("AWS::Logs::LogGroup")
    (body,) = log_group.values()
    assert "RetentionInDays" not in body["Properties"]
    Annotations.from_stack(stack).has_warning("/TestStack/Network", Match.string_like_regexp("kept forever"))


def test_a_key_that_is_not_a_phikey_is_warned_about(stack):
    build(stack, key=kms.Key(stack, "PlainKey", enable_key_rotation=True))
    Annotations.from_stack(stack).has_warning("/TestStack/Network", Match.string_like_regexp("not a PhiKey"))


def test_default_security_group_is_stripped(stack):
    build(stack)
    Template.from_stack(stack).resource_count_is("Custom::VpcRestrictDefaultSG", 1)


def test_network_acl_admits_https_in_the_vpc_and_return_traffic_only(stack):
    build(stack, cidr="10.42.0.0/20")
    template = Template.from_stack(stack)
    entries = template.find_resources("AWS::EC2::NetworkAclEntry")
    summary = {(body["Properties"]["Egress"], body["Properties"]["CidrBlock"],
                body["Properties"]["PortRange"]["From"], body["Properties"]["PortRange"]["To"],
                body["Properties"]["RuleAction"], body["Properties"]["Protocol"])
               for body in entries.values()}
    assert summary == {
        (False, "10.42.0.0/20", 443, 443, "allow", 6),
        (False, "0.0.0.0/0", 1024, 65535, "allow", 6),
        (True, "0.0.0.0/0", 443, 443, "allow", 6),
        (True, "10.42.0.0/20", 1024, 65535, "allow", 6),
    }
    template.resource_count_is("AWS::EC2::SubnetNetworkAclAssociation", 2)


def test_https_egress_names_prefix_lists_when_given(stack):
    network = build(stack, gateway_prefix_list_ids=["pl-63a5400a", "pl-02cd2c6b"])
    group = ec2.SecurityGroup(stack, "Client", vpc=network.vpc, allow_all_outbound=False)
    network.allow_https_egress(group)
    template = Template.from_stack(stack)
    (body,) = template.find_resources(
        "AWS::EC2::SecurityGroup", {"Properties": {"GroupDescription": "TestStack/Client"}}).values()
    assert [rule["CidrIp"] for rule in body["Properties"]["SecurityGroupEgress"]] == ["10.64.0.0/16"]
    # CDK writes prefix-list rules as separate egress resources.
    prefix_lists = {(rule["Properties"]["DestinationPrefixListId"], rule["Properties"]["FromPort"])
                    for rule in template.find_resources("AWS::EC2::SecurityGroupEgress").values()}
    assert prefix_lists == {("pl-63a5400a", 443), ("pl-02cd2c6b", 443)}


def test_https_egress_without_prefix_lists_relies_on_the_isolated_routes(stack):
    network = build(stack)
    group = ec2.SecurityGroup(stack, "Client", vpc=network.vpc, allow_all_outbound=False)
    network.allow_https_egress(group)
    egress = Template.from_stack(stack).find_resources(
        "AWS::EC2::SecurityGroup", {"Properties": {"GroupDescription": "TestStack/Client"}})
    (body,) = egress.values()
    assert {(rule["CidrIp"], rule["FromPort"]) for rule in body["Properties"]["SecurityGroupEgress"]} == {
        ("10.64.0.0/16", 443), ("0.0.0.0/0", 443)}


@pytest.mark.parametrize(("props", "message"), [
    ({"cidr": "10.0.0.0/8"}, r"cidr='10.0.0.0/8': use a prefix length of /16 to /24"),
    ({"cidr": "10.64.0.1/16"}, r"cidr='10.64.0.1/16': pass an IPv4 CIDR block with its network address"),
    ({"cidr": "8.8.0.0/16"}, r"cidr='8.8.0.0/16': 8.8.0.0/16 is publicly routable.*private range: RFC 1918"),
    ({"availability_zones": ["us-east-1a"]}, r"availability_zones=\['us-east-1a'\]: name at least two distinct"),
    ({"interface_endpoints": ["kms"]}, r"interface_endpoints\[0\]='kms': pass InterfaceEndpoint.KMS, not the string "
                                       r"'kms'"),
    ({"flow_log_retention_days": 100}, r"flow_log_retention_days=100: CloudWatch Logs keeps logs for one of"),
    ({"flow_log_retention_days": "365"}, r"flow_log_retention_days='365': pass a whole number"),
    ({"flow_log_removal_policy": cdk.RemovalPolicy.SNAPSHOT},
     r"flow_log_removal_policy=.*: log groups support RETAIN \(the default\) or DESTROY"),
    ({"gateway_prefix_list_ids": ["s3"]}, r"gateway_prefix_list_ids='s3': pass managed prefix-list ids"),
    ({"key": "alias/aws/ebs"}, r"key='alias/aws/ebs': pass a kms.IKey"),
])
def test_bad_props_are_refused_before_any_resource(stack, props, message):
    key = props.pop("key", None) or PhiKey(stack, "DataKey")
    with pytest.raises(OmicsSecureConfigError, match=message):
        IsolatedVpc(stack, "Network", key=key, **props)
    assert stack.node.try_find_child("Network") is None


def test_every_problem_is_reported_at_once(stack):
    with pytest.raises(OmicsSecureConfigError) as error:
        IsolatedVpc(stack, "Network", key=PhiKey(stack, "DataKey"), cidr="10.0.0.0/30", flow_log_retention_days=2)
    assert {problem.prop for problem in error.value.problems} == {"cidr", "flow_log_retention_days"}


def test_a_token_cidr_is_refused_because_rules_cannot_judge_it(stack):
    with pytest.raises(OmicsSecureConfigError, match=r"cidr=.*: pass a literal CIDR"):
        IsolatedVpc(stack, "Network", key=PhiKey(stack, "DataKey"),
                    cidr=cdk.CfnParameter(stack, "Cidr").value_as_string)


def test_add_interface_endpoint_refuses_a_string(stack):
    network = build(stack, interface_endpoints=[])
    with pytest.raises(OmicsSecureConfigError, match=r"endpoint='kms': pass InterfaceEndpoint.KMS, not the string"):
        network.add_interface_endpoint("kms")  # type: ignore[arg-type]
