"""Each network/compute rule on a compliant and a non-compliant resource, as the template states it."""

from __future__ import annotations

from typing import Any

import pytest

from omics_secure.compliance.model import Resource, Status
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.rules.network import (
    EBS_ENCRYPTED_WITH_CUSTOMER_KEY,
    ENDPOINT_SECURITY_GROUPS_VPC_ONLY,
    IMDSV2_REQUIRED,
    ISOLATED_VPC_NO_INTERNET_PATH,
    NETWORK_RULES,
    NO_OPEN_INGRESS,
    VPC_FLOW_LOGS_ALL_TRAFFIC,
)

ISOLATED_TAGS = [{"Key": "omics-secure:isolated", "Value": "true"}]
KEY_ARN = {"Fn::GetAtt": ["Key", "Arn"]}


def vpc_in(template: dict[str, dict[str, Any]], tags: list | None = None) -> Resource:
    resources = {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16",
                                                                  "Tags": ISOLATED_TAGS if tags is None else tags}},
                 "Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"},
                                                                        "MapPublicIpOnLaunch": False}},
                 "Routes": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "Vpc"}}},
                 **template}
    return Resource.from_template("Vpc", resources["Vpc"], resources)


def resource(type_: str, properties: dict[str, Any], template: dict[str, Any] | None = None) -> Resource:
    return Resource(logical_id="R", type=type_, properties=properties, template_resources=template or {})


def status(rule, res: Resource) -> Status:
    return rule.evaluate(res).status


def test_every_rule_is_in_the_pack_with_controls_for_every_framework():
    assert set(NETWORK_RULES) <= set(OMICS_SECURE_PACK.rules)
    for rule in NETWORK_RULES:
        assert rule.controls.hipaa and rule.controls.nist_800_53_r5 and rule.controls.nist_800_171_r2
        assert rule.controls.dbgap and rule.finding and rule.explanation


def test_rules_ignore_other_resource_types():
    bucket = resource("AWS::S3::Bucket", {})
    for rule in NETWORK_RULES:
        assert status(rule, bucket) is Status.NOT_APPLICABLE


# VPCIsolatedNoInternetPath

def test_isolated_vpc_with_only_local_routes_is_compliant():
    assert status(ISOLATED_VPC_NO_INTERNET_PATH, vpc_in({})) is Status.COMPLIANT


def test_unmarked_vpc_is_not_judged():
    igw = {"Attach": {"Type": "AWS::EC2::VPCGatewayAttachment",
                      "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Igw"}}}}
    assert status(ISOLATED_VPC_NO_INTERNET_PATH, vpc_in(igw, tags=[])) is Status.NOT_APPLICABLE


@pytest.mark.parametrize(("extra", "detail"), [
    ({"Attach": {"Type": "AWS::EC2::VPCGatewayAttachment",
                 "Properties": {"VpcId": {"Ref": "Vpc"}, "InternetGatewayId": {"Ref": "Igw"}}}},
     "internet gateway attached"),
    ({"Eigw": {"Type": "AWS::EC2::EgressOnlyInternetGateway", "Properties": {"VpcId": {"Ref": "Vpc"}}}},
     "egress-only internet gateway"),
    ({"Nat": {"Type": "AWS::EC2::NatGateway", "Properties": {"SubnetId": {"Ref": "Subnet"}}}}, "NAT gateway"),
    ({"Default": {"Type": "AWS::EC2::Route", "Properties": {
        "RouteTableId": {"Ref": "Routes"}, "DestinationCidrBlock": "0.0.0.0/0", "NatGatewayId": {"Ref": "Nat"}}}},
     "route Default to NatGatewayId"),
    ({"Subnet": {"Type": "AWS::EC2::Subnet", "Properties": {"VpcId": {"Ref": "Vpc"}, "MapPublicIpOnLaunch": True}}},
     "assigns public IPs"),
])
def test_isolated_vpc_with_an_internet_path_is_non_compliant(extra, detail):
    verdict = ISOLATED_VPC_NO_INTERNET_PATH.evaluate(vpc_in(extra))
    assert verdict.status is Status.NON_COMPLIANT
    assert detail in verdict.detail


def test_gateways_of_another_vpc_do_not_count():
    other = {"Attach": {"Type": "AWS::EC2::VPCGatewayAttachment",
                        "Properties": {"VpcId": {"Ref": "OtherVpc"}, "InternetGatewayId": {"Ref": "Igw"}}}}
    assert status(ISOLATED_VPC_NO_INTERNET_PATH, vpc_in(other)) is Status.COMPLIANT


# VPCFlowLogsAllTraffic

def flow_log(traffic: str, vpc: str = "Vpc") -> dict[str, Any]:
    return {"FlowLog": {"Type": "AWS::EC2::FlowLog", "Properties": {
        "ResourceType": "VPC", "ResourceId": {"Ref": vpc}, "TrafficType": traffic}}}


def test_flow_log_of_all_traffic_is_compliant():
    assert status(VPC_FLOW_LOGS_ALL_TRAFFIC, vpc_in(flow_log("ALL"))) is Status.COMPLIANT


def test_flow_log_of_rejected_traffic_only_is_non_compliant():
    verdict = VPC_FLOW_LOGS_ALL_TRAFFIC.evaluate(vpc_in(flow_log("REJECT")))
    assert verdict.status is Status.NON_COMPLIANT and "only REJECT" in verdict.detail


def test_vpc_without_flow_log_is_non_compliant():
    verdict = VPC_FLOW_LOGS_ALL_TRAFFIC.evaluate(vpc_in(flow_log("ALL", vpc="Other")))
    assert verdict.status is Status.NON_COMPLIANT and "no flow log" in verdict.detail


# EBSEncryptedWithCustomerKey

def launch_template(data: dict[str, Any]) -> Resource:
    return resource("AWS::EC2::LaunchTemplate", {"LaunchTemplateData": data})


def root(ebs: dict[str, Any]) -> dict[str, Any]:
    return {"BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": ebs}]}


def test_launch_template_volume_under_a_customer_key_is_compliant():
    res = launch_template(root({"Encrypted": True, "KmsKeyId": KEY_ARN}))
    assert status(EBS_ENCRYPTED_WITH_CUSTOMER_KEY, res) is Status.COMPLIANT


@pytest.mark.parametrize(("ebs", "detail"), [
    ({"VolumeSize": 100}, "is not encrypted"),
    ({"Encrypted": True}, "AWS-managed EBS key"),
    ({"Encrypted": True, "KmsKeyId": "alias/aws/ebs"}, "AWS-managed key alias/aws/ebs"),
])
def test_launch_template_volume_without_a_customer_key_is_non_compliant(ebs, detail):
    verdict = EBS_ENCRYPTED_WITH_CUSTOMER_KEY.evaluate(launch_template(root(ebs)))
    assert verdict.status is Status.NON_COMPLIANT and detail in verdict.detail


def test_launch_template_without_block_devices_is_non_compliant():
    verdict = EBS_ENCRYPTED_WITH_CUSTOMER_KEY.evaluate(launch_template({"ImageId": "ami-12345678"}))
    assert verdict.status is Status.NON_COMPLIANT and "left to the AMI" in verdict.detail


def test_volume_and_instance():
    assert status(EBS_ENCRYPTED_WITH_CUSTOMER_KEY, resource(
        "AWS::EC2::Volume", {"Encrypted": True, "KmsKeyId": KEY_ARN})) is Status.COMPLIANT
    assert status(EBS_ENCRYPTED_WITH_CUSTOMER_KEY, resource(
        "AWS::EC2::Volume", {"Encrypted": False})) is Status.NON_COMPLIANT
    assert status(EBS_ENCRYPTED_WITH_CUSTOMER_KEY, resource(
        "AWS::EC2::Instance", root({"Encrypted": True, "KmsKeyId": KEY_ARN}))) is Status.COMPLIANT
    assert status(EBS_ENCRYPTED_WITH_CUSTOMER_KEY, resource(
        "AWS::EC2::Instance", {"ImageId": "ami-12345678"})) is Status.NON_COMPLIANT


def test_a_volume_without_a_device_name_is_still_named():
    verdict = EBS_ENCRYPTED_WITH_CUSTOMER_KEY.evaluate(launch_template({"BlockDeviceMappings": [
        {"Ebs": {"VolumeSize": 8}}]}))
    assert (verdict.status, verdict.detail) == (Status.NON_COMPLIANT, "volume ? is not encrypted (Encrypted is absent)")


def test_an_instance_from_a_launch_template_with_its_own_volumes_is_judged_on_them():
    """Block device mappings given on the instance override the launch template's: the instance is judged."""
    res = resource("AWS::EC2::Instance", {"LaunchTemplate": {"LaunchTemplateId": {"Ref": "Lt"}, "Version": "1"},
                                          **root({"VolumeSize": 8})})
    verdict = EBS_ENCRYPTED_WITH_CUSTOMER_KEY.evaluate(res)
    assert (verdict.status, verdict.detail) == (Status.NON_COMPLIANT,
                                                "volume /dev/xvda is not encrypted (Encrypted is absent)")


def test_instance_from_a_launch_template_is_judged_on_the_template():
    res = resource("AWS::EC2::Instance", {"LaunchTemplate": {"LaunchTemplateId": {"Ref": "Lt"}, "Version": "1"}})
    assert status(EBS_ENCRYPTED_WITH_CUSTOMER_KEY, res) is Status.NOT_APPLICABLE
    assert status(IMDSV2_REQUIRED, res) is Status.NOT_APPLICABLE


# EC2IMDSv2Required

def test_imdsv2_required_or_metadata_disabled_is_compliant():
    assert status(IMDSV2_REQUIRED, launch_template({"MetadataOptions": {"HttpTokens": "required"}})) \
        is Status.COMPLIANT
    assert status(IMDSV2_REQUIRED, launch_template({"MetadataOptions": {"HttpEndpoint": "disabled"}})) \
        is Status.COMPLIANT
    assert status(IMDSV2_REQUIRED, resource("AWS::EC2::Instance", {"MetadataOptions": {"HttpTokens": "required"}})) \
        is Status.COMPLIANT


@pytest.mark.parametrize(("parameter", "detail"), [
    ({"Type": "String", "Default": "disabled"}, "when Endpoint is enabled: HttpTokens is absent (optional by default)"),
    ({"Type": "String", "AllowedPattern": "^disabled$"}, ""),
], ids=["may-be-enabled", "only-disabled"])
def test_a_metadata_endpoint_parameter_is_judged_at_each_value_it_may_take(parameter, detail):
    """A deployment may pass enabled whatever the default; a pattern that admits only disabled turns IMDS off."""
    from omics_secure.inputs.values import TemplateValues

    body = {"Type": "AWS::EC2::LaunchTemplate", "Properties": {"LaunchTemplateData": {
        "MetadataOptions": {"HttpEndpoint": {"Ref": "Endpoint"}}}}}
    values = TemplateValues({"Parameters": {"Endpoint": parameter}, "Resources": {"R": body}})
    verdict = IMDSV2_REQUIRED.evaluate(Resource.from_template("R", body, {"R": body}, values=values))
    assert (verdict.status, verdict.detail) == (Status.NON_COMPLIANT if detail else Status.COMPLIANT, detail)


@pytest.mark.parametrize("res", [
    launch_template({"MetadataOptions": {"HttpTokens": "optional"}}),
    launch_template({}),
    resource("AWS::EC2::Instance", {"ImageId": "ami-12345678"}),
    resource("AWS::AutoScaling::LaunchConfiguration", {"ImageId": "ami-12345678"}),
])
def test_imdsv1_allowed_is_non_compliant(res):
    verdict = IMDSV2_REQUIRED.evaluate(res)
    assert verdict.status is Status.NON_COMPLIANT and "HttpTokens is" in verdict.detail


# EC2NoOpenIngress

def test_ingress_from_inside_is_compliant():
    group = resource("AWS::EC2::SecurityGroup", {"SecurityGroupIngress": [
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "CidrIp": "10.0.0.0/16"}]})
    assert status(NO_OPEN_INGRESS, group) is Status.COMPLIANT
    assert status(NO_OPEN_INGRESS, resource("AWS::EC2::SecurityGroup", {"GroupDescription": "none"})) \
        is Status.COMPLIANT


@pytest.mark.parametrize("res", [
    resource("AWS::EC2::SecurityGroup", {"SecurityGroupIngress": [
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "CidrIp": "0.0.0.0/0"}]}),
    resource("AWS::EC2::SecurityGroup", {"SecurityGroupIngress": [
        {"IpProtocol": "-1", "CidrIpv6": "::/0"}]}),
    resource("AWS::EC2::SecurityGroupIngress", {"GroupId": "sg-1", "IpProtocol": "tcp", "FromPort": 443,
                                                "ToPort": 443, "CidrIp": "0.0.0.0/0"}),
])
def test_ingress_from_anywhere_is_non_compliant(res):
    verdict = NO_OPEN_INGRESS.evaluate(res)
    assert verdict.status is Status.NON_COMPLIANT and "open to the internet" in verdict.detail


def test_an_ingress_rule_without_ports_reads_as_every_port():
    verdict = NO_OPEN_INGRESS.evaluate(resource("AWS::EC2::SecurityGroup", {"SecurityGroupIngress": [
        {"IpProtocol": "-1", "CidrIp": "0.0.0.0/0"}]}))
    assert verdict.status is Status.NON_COMPLIANT
    assert verdict.detail == ("ingress open to the internet: -1 *-* from 0.0.0.0/0 (3,702,258,432 internet "
                              "addresses, 86% of IPv4)")


@pytest.mark.parametrize(("cidr", "addresses"), [
    ("0.0.0.0/0", 3_702_258_432),
    ("10.0.0.0/8", 0),
    ("::/0", 2 ** 125 - 2 ** 96),  # the unicast space 2000::/3 less the documentation block 2001:db8::/32
    ("2001:db8::/48", 0),
    ("fd00::/8", 0),
    ("not a cidr", None),
])
def test_internet_addresses_counts_only_addresses_on_the_internet(cidr, addresses):
    from omics_secure.compliance.rules.network import internet_addresses

    assert internet_addresses(cidr) == addresses


# VPCEndpointSecurityGroupVpcOnly

def endpoint(ingress: list[dict[str, Any]], *, extra: dict[str, Any] | None = None,
             groups: list[Any] | None = None, endpoint_type: str = "Interface") -> Resource:
    template: dict[str, Any] = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
        "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": ingress}},
        **(extra or {}),
    }
    properties = {"VpcEndpointType": endpoint_type, "VpcId": {"Ref": "Vpc"},
                  "SecurityGroupIds": [{"Fn::GetAtt": ["Sg", "GroupId"]}] if groups is None else groups}
    return Resource("Endpoint", "AWS::EC2::VPCEndpoint", properties, template_resources=template)


HTTPS = {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443}


@pytest.mark.parametrize("source", [
    {"CidrIp": "10.0.0.0/16"},
    {"CidrIp": "10.0.4.0/24"},
    {"CidrIp": {"Fn::GetAtt": ["Vpc", "CidrBlock"]}},
    {"SourceSecurityGroupId": {"Fn::GetAtt": ["Clients", "GroupId"]}},
])
def test_endpoint_group_admitting_the_vpc_only_is_compliant(source):
    assert status(ENDPOINT_SECURITY_GROUPS_VPC_ONLY, endpoint([{**HTTPS, **source}])) is Status.COMPLIANT


@pytest.mark.parametrize(("res", "detail"), [
    (endpoint([{**HTTPS, "CidrIp": "0.0.0.0/0"}]), "outside the VPC"),
    (endpoint([{**HTTPS, "CidrIp": "192.168.0.0/24"}]), "outside the VPC"),
    (endpoint([], groups=[]), "default security group"),
    (endpoint([], extra={"Open": {"Type": "AWS::EC2::SecurityGroupIngress", "Properties": {
        **HTTPS, "GroupId": {"Fn::GetAtt": ["Sg", "GroupId"]}, "CidrIp": "0.0.0.0/0"}}}), "outside the VPC"),
])
def test_endpoint_group_admitting_more_than_the_vpc_is_non_compliant(res, detail):
    verdict = ENDPOINT_SECURITY_GROUPS_VPC_ONLY.evaluate(res)
    assert verdict.status is Status.NON_COMPLIANT and detail in verdict.detail


@pytest.mark.parametrize(("res", "detail"), [
    (endpoint([{**HTTPS, "CidrIp": {"Fn::ImportValue": "SomeCidr"}}]), "CidrIp is !ImportValue SomeCidr"),
    (endpoint([{**HTTPS, "SourcePrefixListId": "pl-12345678"}]), "SourcePrefixListId is pl-12345678"),
    (endpoint([], groups=["sg-0123456789abcdef0"]),
     "security group sg-0123456789abcdef0 is outside this template, so its rules cannot be read"),
    (endpoint([{**HTTPS, "CidrIp": "10.0.0.0/24"}], extra={"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {
        "Ipv4IpamPoolId": "ipam-pool-1"}}}), "the VPC's CidrBlock is not in this template"),
])
def test_endpoint_group_whose_sources_are_known_only_at_deploy_time_cannot_be_judged(res, detail):
    verdict = ENDPOINT_SECURITY_GROUPS_VPC_ONLY.evaluate(res)
    assert verdict.status is Status.CANNOT_JUDGE and detail in verdict.detail


def test_endpoint_group_with_one_open_rule_is_non_compliant_even_beside_an_unknown_one():
    res = endpoint([{**HTTPS, "CidrIp": {"Fn::ImportValue": "SomeCidr"}}, {**HTTPS, "CidrIp": "0.0.0.0/0"}])
    verdict = ENDPOINT_SECURITY_GROUPS_VPC_ONLY.evaluate(res)
    assert verdict.status is Status.NON_COMPLIANT and "admits 0.0.0.0/0" in verdict.detail


def test_gateway_endpoints_are_not_judged_by_the_endpoint_group_rule():
    assert status(ENDPOINT_SECURITY_GROUPS_VPC_ONLY, endpoint([], groups=[], endpoint_type="Gateway")) \
        is Status.NOT_APPLICABLE


def test_launch_configurations_are_judged_by_every_rule_that_judges_launch_templates():
    # Auto Scaling groups still take launch configurations; what a launch template must hold, they must too.
    from omics_secure.compliance.packs import OMICS_SECURE_PACK

    for rule in OMICS_SECURE_PACK.rules:
        if "AWS::EC2::LaunchTemplate" in rule.resource_types:
            assert "AWS::AutoScaling::LaunchConfiguration" in rule.resource_types, rule.id
