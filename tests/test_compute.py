"""PipelineCompute: Batch in the isolated subnets, hardened launch template, key policy for the
instance-launching roles, least-privilege job role, errors, and a clean run of every pack."""

from __future__ import annotations

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from omics_secure import ImageRepository, OmicsSecureConfigError, PhiKey
from omics_secure._internal.acknowledgments import nag_rendering
from omics_secure.compute import (
    EBS_SERVICE_LINKED_ROLES,
    AnalysisWorkstation,
    HealthOmicsRunNetwork,
    PipelineCompute,
)
from omics_secure.keys import KeyService
from omics_secure.network import DEFAULT_INTERFACE_ENDPOINTS, InterfaceEndpoint, IsolatedVpc


def build(stack: cdk.Stack, **props) -> PipelineCompute:
    key = PhiKey(stack, "DataKey")
    network = IsolatedVpc(stack, "Network", key=key, interface_endpoints=[])
    return PipelineCompute(stack, "Pipelines", network=network, key=props.pop("key", key), **props)


def job_policy_statements(stack: cdk.Stack) -> list[dict]:
    (policy,) = Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy", {
        "Properties": {"Description": Match.string_like_regexp("Batch pipeline jobs")}}).values()
    return policy["Properties"]["PolicyDocument"]["Statement"]


def test_ec2_spot_with_a_granted_bucket_passes_every_pack_and_cfn_lint(stack, compliant):
    compute = build(stack, spot=True)
    compute.grant_data_access(s3.Bucket.from_bucket_name(stack, "Data", "phi-data"), compute.key,
                              write=True, prefix="cohort-a/*")
    compliant(stack)


def test_fargate_passes_every_pack_and_cfn_lint(stack, compliant):
    build(stack, fargate=True)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Batch::ComputeEnvironment", {
        "ComputeResources": Match.object_like({"Type": "FARGATE"})})
    template.resource_count_is("AWS::EC2::LaunchTemplate", 0)
    compliant(stack)


def test_compute_environment_in_isolated_subnets_with_the_no_ingress_group(stack):
    compute = build(stack)
    template = Template.from_stack(stack)
    subnets = [stack.resolve(subnet.subnet_id) for subnet in compute.network.vpc.isolated_subnets]
    template.has_resource_properties("AWS::Batch::ComputeEnvironment", {
        "Type": "managed",
        "ComputeResources": Match.object_like({
            "Type": "EC2", "MinvCpus": 0, "MaxvCpus": 256, "AllocationStrategy": "BEST_FIT_PROGRESSIVE",
            "Subnets": subnets,
            "SecurityGroupIds": [stack.resolve(compute.security_group.security_group_id)],
            "LaunchTemplate": {"LaunchTemplateId": stack.resolve(compute.launch_template.launch_template_id)},
        }),
    })
    template.has_resource_properties("AWS::EC2::SecurityGroup", {
        "GroupDescription": Match.string_like_regexp("Batch jobs"),
        "SecurityGroupIngress": Match.absent(),
        "SecurityGroupEgress": [
            Match.object_like({"CidrIp": "10.64.0.0/16", "FromPort": 443, "ToPort": 443}),
            Match.object_like({"CidrIp": "0.0.0.0/0", "FromPort": 443, "ToPort": 443}),
        ],
    })
    template.has_resource_properties("AWS::Batch::JobQueue", {
        "Priority": 1, "ComputeEnvironmentOrder": [Match.object_like({"Order": 1})]})


def test_launch_template_requires_imdsv2_and_encrypts_the_root_volume_with_the_key(stack):
    build(stack, root_volume_gib=500)
    Template.from_stack(stack).has_resource_properties("AWS::EC2::LaunchTemplate", {"LaunchTemplateData": {
        "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": {
            "Encrypted": True, "VolumeSize": 500, "VolumeType": "gp3", "DeleteOnTermination": True,
            "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("DataKey"), "Arn"]}}}],
        "TagSpecifications": Match.any_value(),
    }})


def test_no_public_addresses_anywhere(stack):
    build(stack)
    template = Template.from_stack(stack)
    template.all_resources_properties("AWS::EC2::Subnet", {"MapPublicIpOnLaunch": False})
    template.resource_count_is("AWS::EC2::InternetGateway", 0)


def test_key_policy_lets_the_instance_launching_roles_use_the_key_as_aws_documents(stack):
    compute = build(stack)
    assert {KeyService.EC2_EBS, KeyService.CLOUDWATCH_LOGS} <= set(compute.key.services)  # type: ignore[attr-defined]
    (key,) = Template.from_stack(stack).find_resources("AWS::KMS::Key").values()
    statements = {s.get("Sid"): s for s in key["Properties"]["KeyPolicy"]["Statement"]}
    use = statements["AllowEbsServiceLinkedRolesUse"]
    grants = statements["AllowEbsServiceLinkedRolesGrants"]
    assert use["Principal"] == {"AWS": "*"}
    # AWS's documented statements have no kms:ViaService: Auto Scaling may call KMS itself while launching.
    assert use["Condition"]["StringEquals"] == {"kms:CallerAccount": "111122223333"}
    assert set(use["Action"]) == {"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*",
                                  "kms:DescribeKey"}
    roles = [stack.resolve(arn) for arn in use["Condition"]["ArnLike"]["aws:PrincipalArn"]]
    assert len(roles) == len(EBS_SERVICE_LINKED_ROLES)
    assert any("AWSServiceRoleForAutoScaling" in str(role) for role in roles)
    assert grants["Action"] == "kms:CreateGrant"
    assert grants["Condition"]["Bool"] == {"kms:GrantIsForAWSResource": "true"}


def test_service_linked_role_statements_are_added_once_for_two_environments(stack):
    compute = build(stack)
    PipelineCompute(stack, "More", network=compute.network, key=compute.key)
    (key,) = Template.from_stack(stack).find_resources("AWS::KMS::Key").values()
    sids = [s.get("Sid") for s in key["Properties"]["KeyPolicy"]["Statement"]]
    assert sids.count("AllowEbsServiceLinkedRolesUse") == 1


def test_missing_batch_endpoints_are_warned_about(stack):
    build(stack)
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Pipelines", Match.string_like_regexp("lacks the interface endpoints ECR_API, ECR_DOCKER, "
                                                         "CLOUDWATCH_LOGS, ECS, ECS_AGENT, ECS_TELEMETRY"))


def test_default_endpoints_serve_batch_without_warning(stack):
    key = PhiKey(stack, "DataKey")
    PipelineCompute(stack, "Pipelines", network=IsolatedVpc(stack, "Network", key=key), key=key)
    Annotations.from_stack(stack).has_no_warning("/TestStack/Pipelines", Match.string_like_regexp("lacks"))


def test_a_key_that_is_not_a_phikey_is_warned_about(stack):
    build(stack, key=kms.Key(stack, "PlainKey", enable_key_rotation=True))
    Annotations.from_stack(stack).has_warning(
        "/TestStack/Pipelines", Match.string_like_regexp("service-linked roles that launch Batch instances"))


def test_job_role_can_only_be_assumed_by_this_accounts_tasks_and_starts_with_logs_only(stack):
    build(stack)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::IAM::Role", {"AssumeRolePolicyDocument": {"Statement": [
        Match.object_like({"Principal": {"Service": "ecs-tasks.amazonaws.com"},
                           "Condition": Match.object_like({"StringEquals": {"aws:SourceAccount": "111122223333"}})})]}})
    (statement,) = job_policy_statements(stack)
    assert statement["Action"] == ["logs:CreateLogStream", "logs:PutLogEvents"]
    template.resource_count_is("AWS::IAM::Policy", 0)


def test_grant_data_access_reads_one_prefix_through_s3_only(stack):
    compute = build(stack)
    compute.grant_data_access(s3.Bucket.from_bucket_name(stack, "Data", "phi-data"), compute.key, prefix="cohort-a/*")
    statements = job_policy_statements(stack)
    actions = {str(s["Action"]): s for s in statements}
    assert actions["s3:ListBucket"]["Resource"] == stack.resolve(
        s3.Bucket.from_bucket_name(stack, "Same", "phi-data").bucket_arn)
    assert stack.resolve(actions["s3:GetObject"]["Resource"]) == stack.resolve(
        s3.Bucket.from_bucket_name(stack, "Again", "phi-data").arn_for_objects("cohort-a/*"))
    kms_statement = actions[str(["kms:Decrypt", "kms:DescribeKey"])]
    assert kms_statement["Condition"] == {"StringEquals": {
        "kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:CallerAccount": "111122223333"}}
    assert not any("Delete" in str(s["Action"]) for s in statements)
    assert KeyService.S3 in compute.key.services  # type: ignore[attr-defined]


def test_grant_data_access_with_write_adds_put_and_data_keys(stack):
    compute = build(stack)
    compute.grant_data_access(s3.Bucket.from_bucket_name(stack, "Data", "phi-data"), compute.key, write=True)
    actions = [s["Action"] for s in job_policy_statements(stack)]
    assert ["s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject"] in actions
    assert ["kms:Decrypt", "kms:DescribeKey", "kms:GenerateDataKey"] in actions


def test_object_wildcard_acknowledgment_names_the_bucket_and_prefix(stack):
    compute = build(stack)
    bucket = s3.Bucket(stack, "Data", encryption_key=compute.key)
    compute.grant_data_access(bucket, compute.key, prefix="runs/*")
    rendered = nag_rendering(stack.resolve(bucket.arn_for_objects("runs/*")))
    assert rendered == f"<{stack.get_logical_id(bucket.node.default_child)}.Arn>/runs/*"
    acknowledgments = [entry.data for entry in compute.job_policy.node.metadata if "runs/*" in str(entry.data)]
    assert acknowledgments, "the IAM5 object-wildcard acknowledgment was not recorded on the job policy"
    assert f"AwsSolutions::AwsSolutions-IAM5[Resource::{rendered}]" in str(acknowledgments)


def test_a_single_object_grant_needs_no_acknowledgment(stack):
    compute = build(stack)
    compute.grant_data_access(s3.Bucket.from_bucket_name(stack, "Data", "phi-data"), compute.key,
                              prefix="reference/GRCh38.fa")
    assert not [entry for entry in compute.job_policy.node.metadata if "IAM5" in str(entry.data)]


def test_nag_rendering_of_intrinsics():
    assert nag_rendering({"Ref": "AWS::Partition"}) == "<AWS::Partition>"
    assert nag_rendering({"Fn::GetAtt": ["Bucket", "Arn"]}) == "<Bucket.Arn>"
    joined = {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":s3:::b/*"]]}
    assert nag_rendering(joined) == "arn:<AWS::Partition>:s3:::b/*"


def test_instance_types_replace_the_optimal_families(stack):
    build(stack, instance_types=[ec2.InstanceType("r6i.4xlarge")])
    Template.from_stack(stack).has_resource_properties("AWS::Batch::ComputeEnvironment", {
        "ComputeResources": Match.object_like({"InstanceTypes": ["r6i.4xlarge"]})})


def test_job_logs_go_to_an_encrypted_retained_log_group(stack):
    build(stack, log_retention_days=731)
    Template.from_stack(stack).has_resource("AWS::Logs::LogGroup", {
        "DeletionPolicy": "Retain",
        "Properties": {"KmsKeyId": Match.any_value(), "RetentionInDays": 731},
    })


@pytest.mark.parametrize(("props", "message"), [
    ({"max_vcpus": 0}, r"max_vcpus=0: cap the environment's vCPUs: a whole number from 1 to 100000"),
    ({"root_volume_gib": 8}, r"root_volume_gib=8: size the encrypted root volume: a whole number from 30"),
    ({"fargate": True, "instance_types": [ec2.InstanceType("m5.large")]},
     r"fargate=True: instance_types and root_volume_gib apply to EC2 only"),
    ({"log_retention_days": 10}, r"log_retention_days=10: CloudWatch Logs keeps logs for one of"),
    ({"key": "alias/aws/ebs"}, r"key='alias/aws/ebs': pass a kms.IKey"),
])
def test_bad_props_are_refused_before_any_resource(stack, props, message):
    key = PhiKey(stack, "DataKey")
    network = IsolatedVpc(stack, "Network", key=key, interface_endpoints=[])
    with pytest.raises(OmicsSecureConfigError, match=message):
        PipelineCompute(stack, "Pipelines", network=network, key=props.pop("key", key), **props)
    assert stack.node.try_find_child("Pipelines") is None


def test_a_plain_vpc_is_refused(stack):
    vpc = ec2.Vpc(stack, "Plain")
    with pytest.raises(OmicsSecureConfigError, match=r"network=.*: pass an IsolatedVpc"):
        PipelineCompute(stack, "Pipelines", network=vpc, key=PhiKey(stack, "DataKey"))  # type: ignore[arg-type]


@pytest.mark.parametrize(("args", "message"), [
    ({"prefix": "/cohort"}, r"prefix='/cohort': pass an object-key pattern"),
    ({"bucket": "phi-data"}, r"bucket='phi-data': pass an s3.IBucket"),
    ({"key": "arn:aws:kms:us-east-1:111122223333:key/abc"}, r"key='arn:aws:kms.*': pass a kms.IKey.*not an ARN string"),
])
def test_grant_data_access_errors(stack, args, message):
    compute = build(stack)
    bucket = args.pop("bucket", None) or s3.Bucket.from_bucket_name(stack, "Data", "phi-data")
    with pytest.raises(OmicsSecureConfigError, match=message):
        compute.grant_data_access(bucket, args.pop("key", compute.key), **args)


# AnalysisWorkstation

def workstation(stack: cdk.Stack, **props) -> AnalysisWorkstation:
    key = PhiKey(stack, "DataKey")
    network = IsolatedVpc(stack, "Network", key=key, interface_endpoints=DEFAULT_INTERFACE_ENDPOINTS)
    return AnalysisWorkstation(stack, "Workstation", network=network, key=key, **props)


def test_workstation_beside_batch_passes_every_pack_and_cfn_lint(stack, compliant):
    # Beside PipelineCompute's launch template: cdk-nag's EC26 once threw on such a stack.
    ws = workstation(stack)
    # A person whose sessions decrypt with the PHI key: OmicsSecure-IAMPeopleRoleMfaAndExpiry asks for MFA and an
    # end date in the trust, as ApprovedAccess writes them.
    analyst = iam.AccountRootPrincipal().with_conditions({
        "Bool": {"aws:MultiFactorAuthPresent": "true"},
        "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})
    ws.grant_session(iam.Role(stack, "Analyst", assumed_by=analyst))
    PipelineCompute(stack, "Pipelines", network=ws.network, key=ws.key)
    compliant(stack)


def test_workstation_has_no_key_pair_no_public_ip_no_ingress_and_requires_imdsv2(stack):
    ws = workstation(stack)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::EC2::Instance", {
        "KeyName": Match.absent(),
        "SubnetId": stack.resolve(ws.instance.instance.subnet_id),
        "MetadataOptions": {"HttpEndpoint": "enabled", "HttpTokens": "required", "HttpPutResponseHopLimit": 1},
        "DisableApiTermination": True,
        "Monitoring": True,
        "LaunchTemplate": {"LaunchTemplateId": stack.resolve(ws.launch_template.launch_template_id),
                           "Version": Match.any_value()},
    })
    template.has_resource_properties("AWS::EC2::LaunchTemplate", {"LaunchTemplateData": Match.object_like({
        "MetadataOptions": {"HttpTokens": "required", "HttpPutResponseHopLimit": 1},
        "BlockDeviceMappings": [{"DeviceName": "/dev/xvda", "Ebs": Match.object_like({
            "Encrypted": True, "KmsKeyId": {"Fn::GetAtt": [Match.string_like_regexp("DataKey"), "Arn"]}})}],
    })})
    template.all_resources_properties("AWS::EC2::Subnet", {"MapPublicIpOnLaunch": False})
    template.has_resource_properties("AWS::EC2::SecurityGroup", {
        "GroupDescription": Match.string_like_regexp("Analysis workstation"),
        "SecurityGroupIngress": Match.absent()})


def test_sessions_are_encrypted_and_logged_to_an_encrypted_retained_log_group(stack):
    ws = workstation(stack, idle_timeout_minutes=15)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::SSM::Document", {"DocumentType": "Session", "Content": {
        "schemaVersion": "1.0", "sessionType": "Standard_Stream", "description": Match.any_value(),
        "inputs": Match.object_like({
            "kmsKeyId": stack.resolve(ws.key.key_id),
            "cloudWatchLogGroupName": stack.resolve(ws.session_log_group.log_group_name),
            "cloudWatchEncryptionEnabled": True, "cloudWatchStreamingEnabled": True,
            "runAsEnabled": False, "idleSessionTimeout": "15"})}})
    template.has_resource("AWS::Logs::LogGroup", {
        "DeletionPolicy": "Retain",
        "Properties": {"KmsKeyId": Match.any_value(), "RetentionInDays": 365,
                       "LogGroupName": Match.absent()}})


def test_grant_session_attaches_a_managed_policy_requiring_the_logged_document(stack):
    ws = workstation(stack)
    analyst = iam.Role(stack, "Analyst", assumed_by=iam.AccountRootPrincipal())
    ws.grant_session(analyst)
    template = Template.from_stack(stack)
    (policy,) = template.find_resources("AWS::IAM::ManagedPolicy", {
        "Properties": {"Description": Match.string_like_regexp("Start Session Manager sessions")}}).values()
    statements = {str(s["Action"]): s for s in policy["Properties"]["PolicyDocument"]["Statement"]}
    start = statements["ssm:StartSession"]
    assert start["Condition"] == {"BoolIfExists": {"ssm:SessionDocumentAccessCheck": "true"}}
    assert any("document/" in str(resource) for resource in start["Resource"])
    assert "kms:GenerateDataKey" in statements
    template.has_resource_properties("AWS::IAM::Role", {
        "ManagedPolicyArns": [stack.resolve(ws.session_access_policy.managed_policy_arn)]})
    template.resource_count_is("AWS::IAM::Policy", 0)


def test_grant_session_refuses_a_service_principal(stack):
    ws = workstation(stack)
    with pytest.raises(OmicsSecureConfigError, match=r"principal=.*: pass an iam.IRole or an iam.IUser or an "
                                                     r"iam.IGroup"):
        ws.grant_session(iam.ServicePrincipal("ec2.amazonaws.com"))  # type: ignore[arg-type]


def test_workstation_needs_the_session_manager_endpoints(stack):
    key = PhiKey(stack, "DataKey")
    network = IsolatedVpc(stack, "Network", key=key, interface_endpoints=[InterfaceEndpoint.KMS])
    with pytest.raises(OmicsSecureConfigError, match=r"network=IsolatedVpc at TestStack/Network: the IsolatedVpc "
                                                     r"lacks the "
                                                     r"interface endpoints SSM, SSM_MESSAGES, EC2_MESSAGES, "
                                                     r"CLOUDWATCH_LOGS: Session Manager reaches"):
        AnalysisWorkstation(stack, "Workstation", network=network, key=key)


@pytest.mark.parametrize(("props", "message"), [
    ({"idle_timeout_minutes": 90}, r"idle_timeout_minutes=90: Session Manager's idle timeout in minutes"),
    ({"root_volume_gib": 10}, r"root_volume_gib=10: size the encrypted root volume"),
    ({"log_retention_days": 2}, r"log_retention_days=2: CloudWatch Logs keeps logs for one of"),
])
def test_workstation_bad_props(stack, props, message):
    with pytest.raises(OmicsSecureConfigError, match=message):
        workstation(stack, **props)
    assert stack.node.try_find_child("Workstation") is None


# HealthOmicsRunNetwork

def test_run_network_connects_runs_to_the_isolated_subnets(stack, compliant):
    key = PhiKey(stack, "DataKey")
    network = IsolatedVpc(stack, "Network", key=key, interface_endpoints=[])
    runs = HealthOmicsRunNetwork(stack, "OmicsRuns", network=network)
    template = Template.from_stack(stack)
    template.has_resource_properties("AWS::Omics::Configuration", {
        "Name": "TestStack-OmicsRuns",
        "RunConfigurations": {"VpcConfig": {
            "SubnetIds": [stack.resolve(s.subnet_id) for s in network.vpc.isolated_subnets],
            "SecurityGroupIds": [stack.resolve(runs.security_group.security_group_id)]}},
    })
    template.has_resource_properties("AWS::EC2::SecurityGroup", {
        "GroupDescription": Match.string_like_regexp("HealthOmics"), "SecurityGroupIngress": Match.absent()})
    compliant(stack)


@pytest.mark.parametrize("name", ["-starts-with-dash", "has space", "x" * 129])
def test_run_network_refuses_bad_names(stack, name):
    network = IsolatedVpc(stack, "Network", key=PhiKey(stack, "DataKey"), interface_endpoints=[])
    with pytest.raises(OmicsSecureConfigError, match=r"configuration_name=.*: use 1-128 letters"):
        HealthOmicsRunNetwork(stack, "OmicsRuns", network=network, configuration_name=name)


def test_ec2_instances_pull_images_only_from_the_given_repositories(stack, compliant):
    key = PhiKey(stack, "ImageKey")
    tools = ImageRepository(stack, "Tools", key=key)
    compute = build(stack, container_repositories=[tools])
    (scope,) = Template.from_stack(stack).find_resources(
        "AWS::IAM::ManagedPolicy", {"Properties": {"Description": Match.string_like_regexp("pull job images")}}
    ).values()
    (deny,) = scope["Properties"]["PolicyDocument"]["Statement"]
    assert deny["Effect"] == "Deny" and deny["Sid"] == "DenyImagesOutsideRepositories"
    assert set(deny["Action"]) == {"ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer",
                                   "ecr:BatchCheckLayerAvailability"}
    assert deny["NotResource"] == stack.resolve(tools.repository_arn)
    assert scope["Properties"]["Roles"] == [stack.resolve(compute.compute_environment.instance_role.role_name)]
    compliant(stack)


def test_fargate_refuses_container_repositories(stack):
    tools = ImageRepository(stack, "Tools", key=PhiKey(stack, "ImageKey"))
    with pytest.raises(OmicsSecureConfigError, match=r"container_repositories=.*Fargate jobs pull with their job "
                                                     r"definition's execution role"):
        build(stack, fargate=True, container_repositories=[tools])
