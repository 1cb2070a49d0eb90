"""Each rule's detail, word for word where a reviewer reads it, and the branches the other rule tests
leave untried (found by make mutate: mutants of these lines survived the other tests)."""

from __future__ import annotations

from typing import Any

import pytest

from omics_secure.compliance.model import Resource, Rule, Status
from omics_secure.compliance.rules import audit, network, omics, s3
from omics_secure.compliance.rules.network import is_open_cidr

C, NC, CJ = Status.COMPLIANT, Status.NON_COMPLIANT, Status.CANNOT_JUDGE
PHI_TAGS = [{"Key": "omics-secure:data-classification", "Value": "phi"}]
OMICS_TRUST = {"Statement": [{"Effect": "Allow", "Principal": {"Service": "omics.amazonaws.com"},
                              "Action": "sts:AssumeRole"}]}


def verdict(rule: Rule, type_: str, properties: dict[str, Any], others: dict[str, Any] | None = None):
    resources = {"R": {"Type": type_, "Properties": properties}, **(others or {})}
    return rule.evaluate(Resource.from_template("R", resources["R"], resources))


@pytest.mark.parametrize(("rule", "type_", "properties", "detail"), [
    (omics.OMICS_STORE_CUSTOMER_MANAGED_KEY, "AWS::Omics::ReferenceStore", {},
     "no SseConfig: the store uses an AWS-owned key"),
    (omics.OMICS_STORE_CUSTOMER_MANAGED_KEY, "AWS::Omics::ReferenceStore", {"SseConfig": {"Type": "KMS"}},
     "SseConfig names no KeyArn: the store uses an AWS-owned key"),
    (omics.OMICS_STORE_CUSTOMER_MANAGED_KEY, "AWS::Omics::ReferenceStore", {"SseConfig": {"Type": "KMS", "KeyArn": ""}},
     "SseConfig names no KeyArn: the store uses an AWS-owned key"),
    (omics.HEALTHLAKE_DATASTORE_CUSTOMER_MANAGED_KEY, "AWS::HealthLake::FHIRDatastore", {},
     "no SseConfiguration: the datastore uses an AWS-owned key"),
    (omics.HEALTHLAKE_DATASTORE_CUSTOMER_MANAGED_KEY, "AWS::HealthLake::FHIRDatastore",
     {"SseConfiguration": {"KmsEncryptionConfig": {}}}, "CmkType is absent, not CUSTOMER_MANAGED_KMS_KEY"),
    (omics.HEALTHLAKE_DATASTORE_CUSTOMER_MANAGED_KEY, "AWS::HealthLake::FHIRDatastore",
     {"SseConfiguration": {"KmsEncryptionConfig": {"CmkType": "CUSTOMER_MANAGED_KMS_KEY", "KmsKeyId": ""}}},
     "CUSTOMER_MANAGED_KMS_KEY without KmsKeyId"),
    (omics.SEQUENCE_STORE_ACCESS_LOGGING, "AWS::Omics::SequenceStore", {},
     "no AccessLogLocation: S3 access to the store's read sets is not logged"),
    (audit.TRAIL_LOG_FILE_VALIDATION, "AWS::CloudTrail::Trail", {"EnableLogFileValidation": "no"},
     "EnableLogFileValidation is no, not true"),
    (network.EBS_ENCRYPTED_WITH_CUSTOMER_KEY, "AWS::AutoScaling::LaunchConfiguration",
     {"BlockDeviceMappings": [{"DeviceName": "/dev/sda1", "Ebs": {"Encrypted": "false"}}]},
     "volume /dev/sda1 is not encrypted (Encrypted is false)"),
    (network.EBS_ENCRYPTED_WITH_CUSTOMER_KEY, "AWS::AutoScaling::LaunchConfiguration",
     {"BlockDeviceMappings": [{"DeviceName": "/dev/sda1", "Ebs": {"Encrypted": True}}]},
     "the key of volume /dev/sda1 is the account's default EBS key, which a launch configuration cannot name; "
     "use a launch template with KmsKeyId"),
    (network.EBS_ENCRYPTED_WITH_CUSTOMER_KEY, "AWS::EC2::Volume", {"Encrypted": "no"},
     "the volume is not encrypted (Encrypted is no)"),
])
def test_details_word_for_word(rule, type_, properties, detail):
    assert verdict(rule, type_, properties).detail == detail


def test_a_run_role_is_judged_through_the_inline_iam_policies_attached_to_it_and_names_the_statement():
    others = {"Attached": {"Type": "AWS::IAM::Policy", "Properties": {"Roles": [{"Ref": "R"}], "PolicyDocument": {
        "Statement": [{"Sid": "Everything", "Effect": "Allow", "Action": ["s3:*", "kms:Decrypt"], "Resource": "*"}]}}},
              "Unattached": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": {
        "Statement": [{"Effect": "Allow", "Action": "omics:*", "Resource": "*"}]}}}}
    result = verdict(omics.OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, "AWS::IAM::Role",
                     {"AssumeRolePolicyDocument": OMICS_TRUST}, others)
    assert result.detail == ("Attached Everything allows wildcard actions s3:*; "
                             "Attached Everything allows s3:*, kms:Decrypt on every resource")


def test_a_role_trusted_by_another_service_only_is_not_a_run_role():
    trust = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "omics.example.org"}, "Action": "sts:AssumeRole"}]}
    assert verdict(omics.OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": trust, "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}}]}).status is Status.NOT_APPLICABLE


def test_an_action_of_a_non_data_service_with_a_data_service_name_inside_is_not_data_access():
    assert verdict(omics.OMICS_RUN_ROLE_NO_WILDCARD_DATA_ACCESS, "AWS::IAM::Role", {
        "AssumeRolePolicyDocument": OMICS_TRUST, "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "logs:s3:Put*", "Resource": "*"}]}}]}).status is C


@pytest.mark.parametrize(("cidr", "open_"), [
    ("10.0.0.0/0", True), ("::1/0", True), ("0.0.0.0/1", True), ("128.0.0.0/1", True), ("64.0.0.0/2", True),
    ("::/1", True), ("2000::/3", True), ("2600::/12", True),
    # Near misses: private, documentation and small ranges are not the internet.
    ("10.0.0.0/8", False), ("0.0.0.0/8", False), ("203.0.113.0/24", False), ("52.0.0.0/9", False),
    ("172.16.0.0/12", False), ("fd00::/8", False), ("2001:db8::/32", False), ("2600:1f18::/32", False),
    ("not-a-cidr", False), ("", False),
])
def test_open_cidrs_in_every_spelling(cidr, open_):
    assert is_open_cidr(cidr) is open_


def test_an_internet_route_is_named_first_among_the_targets():
    resources = {"R": {"Type": "AWS::EC2::VPC", "Properties": {"Tags": [{"Key": "omics-secure:isolated",
                                                                          "Value": "true"}]}},
                 "T": {"Type": "AWS::EC2::RouteTable", "Properties": {"VpcId": {"Ref": "R"}}},
                 "Igw": {"Type": "AWS::EC2::InternetGateway"},
                 "Route": {"Type": "AWS::EC2::Route", "Properties": {
                     "RouteTableId": {"Ref": "T"}, "GatewayId": {"Ref": "Igw"}, "NatGatewayId": "nat-1"}}}
    result = network.ISOLATED_VPC_NO_INTERNET_PATH.evaluate(Resource.from_template("R", resources["R"], resources))
    assert result.detail == "route Route to GatewayId (an internet gateway), NatGatewayId"


def test_an_endpoint_group_admitting_ipv6_from_anywhere_is_non_compliant():
    resources = {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16"}},
                 "Sg": {"Type": "AWS::EC2::SecurityGroup", "Properties": {"SecurityGroupIngress": [
                     {"IpProtocol": "tcp", "CidrIpv6": "::/0"}]}},
                 "R": {"Type": "AWS::EC2::VPCEndpoint", "Properties": {
                     "VpcEndpointType": "Interface", "VpcId": {"Ref": "Vpc"}, "SecurityGroupIds": [{"Ref": "Sg"}]}}}
    result = network.ENDPOINT_SECURITY_GROUPS_VPC_ONLY.evaluate(Resource.from_template("R", resources["R"], resources))
    assert result.status is NC and result.detail == "Sg admits ::/0, outside the VPC's 10.0.0.0/16"


def _trail(selector: dict[str, Any]) -> dict[str, Any]:
    return {"Trail": {"Type": "AWS::CloudTrail::Trail",
                      "Properties": {"IsLogging": True, "EventSelectors": [selector]}}}


@pytest.mark.parametrize(("selector", "status"), [
    ({"ReadWriteType": "Sometimes", "DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3"]}]}, NC),
    ({"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::other/"]}]}, NC),
    ({"DataResources": [{"Type": "AWS::Lambda::Function", "Values": ["arn:aws:s3"]}]}, NC),
    ({"DataResources": [{"Type": "AWS::S3::Object", "Values": ["arn:aws:s3:::named/"]}]}, C),
])
def test_basic_selectors_cover_the_bucket_only_with_object_data_for_it(selector, status):
    result = verdict(audit.PHI_BUCKET_DATA_EVENTS, "AWS::S3::Bucket", {"BucketName": "named", "Tags": PHI_TAGS},
                     _trail(selector))
    assert result.status is status


@pytest.mark.parametrize(("detail", "status"), [
    ({"eventSource": ["s3.amazonaws.com"]}, NC),
    ({"eventSource": ["kms.amazonaws.com"]}, C),
    ({"resources": {"ARN": ["arn:aws:kms:us-east-1:111122223333:key/other"]}}, NC),
])
def test_a_kms_event_rule_watches_only_kms_events_of_this_key(detail, status):
    others = {"E": {"Type": "AWS::Events::Rule", "Properties": {
        "EventPattern": {"source": ["aws.kms"], "detail": detail}, "Targets": [{"Id": "t", "Arn": "a"}]}}}
    assert verdict(audit.KEY_EVENTS_ALERTED, "AWS::KMS::Key", {}, others).status is status


def test_replication_without_the_replica_key_but_with_an_encryption_configuration_is_non_compliant():
    result = verdict(s3.REPLICATION_KMS_OBJECTS, "AWS::S3::Bucket", {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [{"ServerSideEncryptionByDefault": {
            "SSEAlgorithm": "aws:kms"}}]},
        "ReplicationConfiguration": {"Rules": [{"Id": "r", "Status": "Enabled", "SourceSelectionCriteria": {
            "SseKmsEncryptedObjects": {"Status": "Enabled"}}, "Destination": {"EncryptionConfiguration": {}}}]}})
    assert result.detail == "r names no ReplicaKmsKeyID for the destination"


def test_a_tls_condition_without_a_numeric_version_is_no_floor():
    policy = {"P": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "R"}, "PolicyDocument": {
        "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": "*",
                       "Condition": {"NumericLessThan": {"s3:TlsVersion": "latest"}}}]}}}}
    result = verdict(s3.BUCKET_POLICY_MINIMUM_TLS, "AWS::S3::Bucket", {}, policy)
    assert result.status is NC and result.detail.startswith("no bucket-policy statement")
