"""The reference app: clean under every pack, and the logical ids of its stateful resources pinned."""

from __future__ import annotations

import json
import re
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Match, Template

from omics_secure import OmicsSecureConfigError
from omics_secure.compliance.model import Resource, Status
from omics_secure.compliance.rules.deploy_environment import BACKUP_COPY_ROLE_CAN_COPY, DEPLOY_ENVIRONMENT_RULES
from omics_secure.inputs.assembly import read_assembly
from omics_secure.stacks import build_reference_app
from omics_secure.stacks.reference import ReferenceConfig, default_approval_end
from tests.harness import make_app

pytestmark = pytest.mark.slow  # every test builds the whole reference app (2-4 s of CPU each)

# Renaming any of these replaces a deployed resource; for a key or a bucket that is data loss.
# Change this list only together with a migration note.
STATEFUL_TYPES = {
    "AWS::KMS::Key", "AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::CloudTrail::Trail",
    "AWS::Omics::SequenceStore", "AWS::Omics::ReferenceStore", "AWS::Omics::VariantStore",
    "AWS::Omics::AnnotationStore", "AWS::HealthLake::FHIRDatastore", "AWS::Backup::BackupVault",
    "AWS::ECR::Repository", "AWS::Omics::RunCache", "AWS::DynamoDB::Table",
}
PINNED_STATEFUL_LOGICAL_IDS = {
    "OmicsSecurePrimary": {
        "DataKey17AFBB84": "AWS::KMS::Key",
        "AccessLogs247031D9": "AWS::S3::Bucket",
        "PhiDataE2352BFC": "AWS::S3::Bucket",
        "NetworkFlowLogGroup4F8CEEEF": "AWS::Logs::LogGroup",
        "PipelinesJobLogGroup9A3A0F86": "AWS::Logs::LogGroup",
        "SequenceStore22A689F9": "AWS::Omics::SequenceStore",
        "ReferenceStoreAA6199A7": "AWS::Omics::ReferenceStore",
        "ImagesF8C4E866": "AWS::ECR::Repository",
        "RunCache0481F538": "AWS::Omics::RunCache",
        "FhirDatastore09962219": "AWS::HealthLake::FHIRDatastore",
        "AuditTrailKeyA4D56A7A": "AWS::KMS::Key",
        "AuditTrailBucketA91FD435": "AWS::S3::Bucket",
        "AuditTrailLogGroup28BB9333": "AWS::Logs::LogGroup",
        "AuditTrailFF0F2BB5": "AWS::CloudTrail::Trail",
        "BackupVaultKey74395416": "AWS::KMS::Key",
        "BackupVault3A9C5852": "AWS::Backup::BackupVault",
        "AirlockKey390E0737": "AWS::KMS::Key",
        "AirlockIngressStaging2F60BA0F": "AWS::S3::Bucket",
        "AirlockEgressStaging642353EA": "AWS::S3::Bucket",
        "AirlockReleaseFBA2955E": "AWS::S3::Bucket",
        "AirlockRequests98E9158E": "AWS::DynamoDB::Table",
        "AirlockFunctionsStepsLogGroup8E2D834F": "AWS::Logs::LogGroup",
        "AirlockFunctionsReleaseLogGroup63CE97BC": "AWS::Logs::LogGroup",
        "AirlockFunctionsQuarantineLogGroupA6462761": "AWS::Logs::LogGroup",
        "AirlockFunctionsSubmitLogGroup5D34BB4F": "AWS::Logs::LogGroup",
        "AirlockFunctionsDecideLogGroupA54D5481": "AWS::Logs::LogGroup",
        "AirlockWorkflowLogGroupEDE713ED": "AWS::Logs::LogGroup",
    },
    "OmicsSecureReplica": {
        "AccessLogs247031D9": "AWS::S3::Bucket",
        "PhiDataReplicaKeyCF5D8F0A": "AWS::KMS::Key",
        "PhiDataReplica7FD31539": "AWS::S3::Bucket",
        "AlertsKey9E1197AF": "AWS::KMS::Key",
        "BackupVaultKey74395416": "AWS::KMS::Key",
        "BackupVault3A9C5852": "AWS::Backup::BackupVault",
    },
}


def stateful_logical_ids(assembly_dir) -> dict[str, dict[str, str]]:
    return {
        stack.name: {
            logical_id: body["Type"]
            for logical_id, body in stack.resources.items()
            if body["Type"] in STATEFUL_TYPES
        }
        for stack in read_assembly(assembly_dir)
    }


def test_reference_app_passes_every_pack_and_cfn_lint(reference_app):
    assert not reference_app.compliance.open_findings, reference_app.compliance.describe()


def test_the_deploy_review_rules_judge_the_reference_app_and_pass(reference_app):
    """The backup plan copies with a role that may copy, and the example approval's MFA trust admits IAM users."""
    compliant: list[str] = []
    for stack in read_assembly(reference_app.assembly_dir):
        for logical_id, body in stack.resources.items():
            resource = Resource.from_template(logical_id, body, stack.resources)
            for rule in DEPLOY_ENVIRONMENT_RULES:
                status = rule.evaluate(resource).status
                assert status in (Status.COMPLIANT, Status.NOT_APPLICABLE), (stack.name, logical_id, rule.id)
                if status is Status.COMPLIANT:
                    compliant.append(rule.id)
    assert compliant.count(BACKUP_COPY_ROLE_CAN_COPY.id) == 1 and "IAMTrustMfaFederatedNeverPresent" in compliant


def test_stateful_logical_ids_are_pinned(reference_app):
    assert stateful_logical_ids(reference_app.assembly_dir) == PINNED_STATEFUL_LOGICAL_IDS, (
        "a stateful resource's logical id changed: deploying this replaces it. Current ids:\n"
        + json.dumps(stateful_logical_ids(reference_app.assembly_dir), indent=2)
    )


def test_stateful_resources_are_retained(reference_app):
    for stack in read_assembly(reference_app.assembly_dir):
        for logical_id, body in stack.resources.items():
            if body["Type"] in STATEFUL_TYPES:
                assert body.get("DeletionPolicy") == "Retain", f"{stack.name}/{logical_id} is not retained"


def test_context_configures_account_and_region(tmp_path):
    app = cdk.App(outdir=str(tmp_path), context={"omics-secure:account": "444455556666",
                                                 "omics-secure:region": "eu-west-1"})
    assert ReferenceConfig.from_context(app) == ReferenceConfig(account="444455556666", region="eu-west-1")
    assert ReferenceConfig.from_context(cdk.App(outdir=str(tmp_path / "d"))) == ReferenceConfig()


def test_a_name_suffix_renames_every_retained_fixed_name_and_keeps_every_logical_id(tmp_path):
    """The redeploy path after ``cdk destroy``: a new suffix, new physical names, the same logical ids."""
    def synthesize(out: str, **context: object) -> dict[str, dict[str, dict[str, object]]]:
        app = make_app(tmp_path / out, **context)
        build_reference_app(app, with_compliance_packs=False)
        return {stack.name: stack.resources for stack in read_assembly(app.synth().directory)}

    first = synthesize("first")
    second = synthesize("second", **{"omics-secure:name-suffix": "r2"})
    assert {name: resources.keys() for name, resources in first.items()} == {
        name: resources.keys() for name, resources in second.items()}
    names = {"AWS::S3::Bucket": "BucketName", "AWS::CloudTrail::Trail": "TrailName",
             "AWS::Logs::LogGroup": "LogGroupName", "AWS::Backup::BackupVault": "BackupVaultName"}
    renamed = set()
    for stack, resources in first.items():
        for logical_id, body in resources.items():
            name_property = names.get(str(body["Type"]))
            if body.get("DeletionPolicy") != "Retain" or name_property is None:
                continue
            before = body.get("Properties", {}).get(name_property)  # type: ignore[union-attr]
            after = second[stack][logical_id].get("Properties", {}).get(name_property)  # type: ignore[union-attr]
            if isinstance(before, str) and not before.startswith("/aws/"):
                assert after != before and "r2" in str(after), f"{stack}/{logical_id} keeps its name {before}"
                renamed.add((stack, logical_id))
    assert renamed == {("OmicsSecureReplica", "PhiDataReplica7FD31539"),
                       ("OmicsSecurePrimary", "AuditTrailFF0F2BB5"),
                       ("OmicsSecurePrimary", "AuditTrailLogGroup28BB9333"),
                       ("OmicsSecurePrimary", "BackupVault3A9C5852"), ("OmicsSecureReplica", "BackupVault3A9C5852")}
    replication = second["OmicsSecurePrimary"]["PhiDataE2352BFC"]["Properties"]["ReplicationConfiguration"]
    assert "-r2-" in replication["Rules"][0]["Destination"]["Bucket"] and "-r2-" in replication["Role"]  # type: ignore[index]


def test_the_phi_bucket_is_backed_up_and_copied_to_the_replica_regions_locked_vault(reference_app):
    stacks = {stack.name: stack.resources for stack in read_assembly(reference_app.assembly_dir)}
    primary, replica = stacks["OmicsSecurePrimary"], stacks["OmicsSecureReplica"]
    dr_vault = replica["BackupVault3A9C5852"]["Properties"]
    assert dr_vault["LockConfiguration"]["MinRetentionDays"] == 365
    plan = next(b for b in primary.values() if b["Type"] == "AWS::Backup::BackupPlan")["Properties"]["BackupPlan"]
    continuous, snapshot = plan["BackupPlanRule"]
    assert continuous["EnableContinuousBackup"] is True
    assert snapshot["CopyActions"][0]["DestinationBackupVaultArn"] == (
        f"arn:aws:backup:us-west-2:111122223333:backup-vault:{dr_vault['BackupVaultName']}")
    selection = next(b for b in primary.values() if b["Type"] == "AWS::Backup::BackupSelection")
    assert selection["Properties"]["BackupSelection"]["Resources"] == [{"Fn::GetAtt": ["PhiDataE2352BFC", "Arn"]}]
    assert [b for b in primary.values() if b["Type"] == "AWS::Backup::RestoreTestingSelection"]
    rules = [b["Properties"]["EventPattern"]["detail-type"][0] for b in primary.values()
             if b["Type"] == "AWS::Events::Rule" and b["Properties"]["EventPattern"]["source"] == ["aws.backup"]]
    assert sorted(rules) == ["Backup Job State Change", "Copy Job State Change", "Restore Job State Change"]


def test_context_configures_replica_region(tmp_path):
    app = cdk.App(outdir=str(tmp_path), context={"omics-secure:replica-region": "eu-central-1"})  # no flags
    assert ReferenceConfig.from_context(app).replica_region == "eu-central-1"
    assert ReferenceConfig().replica_region == "us-west-2"
    build_reference_app(app)
    replica = app.node.find_child("OmicsSecureReplica")
    assert isinstance(replica, cdk.Stack) and replica.region == "eu-central-1"


def test_the_reference_app_acknowledges_exactly_these_findings(reference_app):
    """Every acknowledgment is a decision a reviewer signed off; a new one must be added here on purpose."""
    acknowledged = {(f.rule_id, f.construct_path) for f in reference_app.compliance.acknowledged_findings}
    # The deploy-time warning left: the zone mapping only the account shows.
    warned = {(f.rule_id, f.construct_path) for pack in reference_app.compliance.outcome.packs for f in pack.warnings}
    assert warned == {("OmicsSecure-OmicsRunSubnetZonePinned", "OmicsSecurePrimary/OmicsRuns/Resource")}
    # Names fixed at synthesis because AWS needs them first: the trail's in its bucket's policy (aws:SourceArn),
    # the replica's in a replication rule of another region's stack; the log group is named after its trail.
    fixed_names = {("OmicsSecure-RetainedResourceFixedName", path) for path in (
        "OmicsSecureReplica/PhiDataReplica/Resource/Resource", "OmicsSecurePrimary/AuditTrail/Resource",
        "OmicsSecurePrimary/AuditTrail/LogGroup/Resource")}
    # S3 log delivery supports only SSE-S3 targets without object-lock retention.
    on_log_buckets = {
        (f"{pack}-{rule}", f"{stack}/AccessLogs/Resource/Resource")
        for pack in ("HIPAA.Security", "NIST.800.53.R5")
        for rule in ("S3DefaultEncryptionKMS", "S3BucketReplicationEnabled")
        for stack in ("OmicsSecurePrimary", "OmicsSecureReplica")
    }
    # S3 refuses a replication rule whose destination does not exist yet, so the replica cannot be
    # replicated again by CloudFormation.
    on_replica = {
        (f"{pack}-S3BucketReplicationEnabled", "OmicsSecureReplica/PhiDataReplica/Resource/Resource")
        for pack in ("HIPAA.Security", "NIST.800.53.R5")
    }
    # The dbGaP practices ask for NACLs as a second, stateless layer; these admit HTTPS and return traffic.
    on_network_acl = {
        ("AwsSolutions-VPC3", f"OmicsSecurePrimary/Network/IsolatedAcl/{entry}")
        for entry in ("Resource", "InHttpsFromVpc/Resource", "InReturnTraffic/Resource", "OutHttpsOut/Resource",
                      "OutReturnTrafficToVpc/Resource")
    }
    # AWS Batch documents this managed policy as the ECS container-instance role.
    on_batch_instances = {(
        "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/"
        "AmazonEC2ContainerServiceforEC2Role]",
        "OmicsSecurePrimary/Pipelines/ComputeEnvironment/InstanceProfileRole/Resource",
    )}
    # S3 object actions can be scoped only by an ARN pattern: the pipelines may read and write one prefix.
    on_job_grants = {("AwsSolutions-IAM5[Resource::<PhiDataE2352BFC.Arn>/pipelines/*]",
                      "OmicsSecurePrimary/Pipelines/JobRole/OmicsSecureGrants/Resource")}
    # Replication writes every object key of the replica bucket: the replicate actions on its objects only.
    on_replication_role = {("AwsSolutions-IAM5[Resource::<PhiDataReplica7FD31539.Arn>/*]",
                            "OmicsSecureReplica/PhiDataReplica/ReplicationRole/OmicsSecureGrants/Resource")}
    # The HealthOmics run role and the HealthLake job role name object keys under one prefix of the PHI
    # bucket, the references of one store and the HealthOmics log group: resource wildcards AWS requires.
    logs = "arn:aws:logs:us-east-1:111122223333:log-group:/aws/omics/WorkflowLog"
    on_service_roles = {
        (f"AwsSolutions-IAM5[Resource::{resource}]", f"OmicsSecurePrimary/{role}/Policy/Resource")
        for role, resource in (
            ("WorkflowRunRole", "<PhiDataE2352BFC.Arn>/inputs/*"),
            ("WorkflowRunRole", "<PhiDataE2352BFC.Arn>/omics-runs/*"),
            ("WorkflowRunRole", "<PhiDataE2352BFC.Arn>/omics-run-cache/*"),
            ("WorkflowRunRole", "<ReferenceStoreAA6199A7.Arn>/reference/*"),
            ("WorkflowRunRole", f"{logs}:*"),
            ("WorkflowRunRole", f"{logs}:log-stream:*"),
            ("FhirJobRole", "<PhiDataE2352BFC.Arn>/healthlake/import/*"),
            ("FhirJobRole", "<PhiDataE2352BFC.Arn>/healthlake/output/*"),
        )
    }
    # The trail's bucket: object lock, signed digests and the log group as compensating controls for a
    # cross-region replica; CloudTrail's documented log-stream prefix in its delivery role.
    on_audit_trail = {
        (f"{pack}-S3BucketReplicationEnabled", "OmicsSecurePrimary/AuditTrail/Bucket/Resource")
        for pack in ("HIPAA.Security", "NIST.800.53.R5")
    } | {(
        "AwsSolutions-IAM5[Resource::arn:aws:logs:us-east-1:111122223333:log-group:/omics-secure/cloudtrail/"
        "omics-secure-OmicsSecurePrimary-AuditTrail:log-stream:111122223333_CloudTrail_*]",
        "OmicsSecurePrimary/AuditTrail/LogsPolicy/Resource",
    )}
    # The example approval reads one prefix and writes results under another, and reads the read sets of
    # one sequence store: in its policy and in its permissions boundary alike.
    on_example_approval = {
        (f"AwsSolutions-IAM5[Resource::{resource}]", f"OmicsSecurePrimary/ExampleApproval/{policy}/Resource")
        for policy in ("Policy", "Boundary")
        for resource in ("<PhiDataE2352BFC.Arn>/approved/*", "<PhiDataE2352BFC.Arn>/results/phs000000-v1-p1/*",
                         "<SequenceStore22A689F9.Arn>/readSet/*")
    }
    # AWS Backup's role: every object version of the PHI bucket (read-only), the restore tests' scratch buckets
    # (names AWS Backup generates), AWS Backup's own EventBridge rules, and two actions without resource types.
    on_backup_role = {
        (f"AwsSolutions-IAM5[Resource::{resource}]", "OmicsSecurePrimary/Backup/Role/OmicsSecureGrants/Resource")
        for resource in ("<PhiDataE2352BFC.Arn>/*", "arn:aws:s3:::awsbackup-restore-test-*",
                         "arn:aws:s3:::awsbackup-restore-test-*/*",
                         "arn:aws:events:us-east-1:111122223333:rule/AwsBackupManagedRule*", "*")
    }
    assert acknowledged == (on_log_buckets | on_replica | on_network_acl | on_batch_instances | on_job_grants
                            | on_replication_role | on_service_roles | on_audit_trail | on_example_approval
                            | on_backup_role | on_airlock() | fixed_names)


def on_airlock() -> set[tuple[str, str]]:
    """The airlock's acknowledgments: staging and release buckets not replicated (a replica of unscanned files
    would sit outside any malware protection plan; releases can be released again); the requests table backed up
    by point-in-time recovery; per-request object prefixes; GuardDuty's managed rule prefix; the Lambda network
    interface, log-delivery and tracing actions without resource types; executions named at run time; the
    command's settings path."""
    path = "OmicsSecurePrimary/Airlock"
    staging = ("<AirlockIngressStaging2F60BA0F.Arn>", "<AirlockEgressStaging642353EA.Arn>")
    settings = "arn:aws:ssm:us-east-1:111122223333:parameter/omics-secure/airlock/*"
    found = {(f"{pack}-S3BucketReplicationEnabled", f"{path}/{bucket}/Resource/Resource")
             for pack in ("HIPAA.Security", "NIST.800.53.R5") for bucket in ("Ingress/Staging", "Egress/Staging",
                                                                            "Release")}
    found |= {(f"{pack}-DynamoDBInBackupPlan", f"{path}/Requests/Resource") for pack in ("HIPAA.Security",
                                                                                         "NIST.800.53.R5")}
    iam5 = "AwsSolutions-IAM5[Resource::{}]"
    found |= {(iam5.format("*"), f"{path}/{policy}/Policy/Resource")
              for policy in ("Functions/Decide", "Functions/Quarantine", "Functions/Release", "Functions/Steps",
                             "Functions/Submit", "Workflow")}
    found |= {(iam5.format(f"{bucket}/requests/*"), f"{path}/{policy}/Resource") for bucket in staging
              for policy in ("Administrators/Policy", "Functions/Quarantine/Policy", "Functions/Release/Policy",
                             "Functions/Steps/Policy", "Reviewers-airlock-reviewers/Boundary",
                             "Reviewers-airlock-reviewers/Policy")}
    for direction, bucket in zip(("Ingress", "Egress"), staging, strict=True):
        found |= {(iam5.format(f"{bucket}/*"), f"{path}/{direction}/MalwareProtection/Policy/Resource"),
                  (iam5.format("arn:aws:events:us-east-1:111122223333:rule/"
                               "DO-NOT-DELETE-AmazonGuardDutyMalwareProtectionS3*"),
                   f"{path}/{direction}/MalwareProtection/Policy/Resource")}
    found |= {(iam5.format(pattern), f"{path}/Functions/Release/{policy}/Resource")
              for pattern in ("<AirlockReleaseFBA2955E.Arn>/released/*", "<PhiDataE2352BFC.Arn>/airlock/*")
              for policy in ("Policy", "Role/OmicsSecureGrants")}
    found |= {(iam5.format(f"{bucket}/requests/*"), f"OmicsSecurePrimary/ExampleApproval/{policy}/Resource")
              for bucket in staging for policy in ("Policy", "Boundary")}
    found |= {(iam5.format(settings), f"{holder}/Resource") for holder in (
        f"{path}/Administrators/Policy", f"{path}/Reviewers-airlock-reviewers/Boundary",
        f"{path}/Reviewers-airlock-reviewers/Policy", "OmicsSecurePrimary/ExampleApproval/Boundary",
        "OmicsSecurePrimary/ExampleApproval/Policy")}
    found.add((iam5.format("arn:aws:states:us-east-1:111122223333:execution:<AirlockWorkflow53ECAD59.Name>:*"),
               f"{path}/Administrators/Policy/Resource"))
    return found


def test_the_trail_logs_both_regions_phi_buckets_and_alerts_the_context_address(tmp_path):
    app = make_app(tmp_path / "out", **{"omics-secure:alarm-email": "security-alerts@example.org"})
    build_reference_app(app)
    primary = Template.from_stack(app.node.find_child("OmicsSecurePrimary"))
    (trail,) = primary.find_resources("AWS::CloudTrail::Trail").values()
    (selector,) = trail["Properties"]["EventSelectors"]
    primary_bucket, replica_bucket, *airlock_buckets = selector["DataResources"][0]["Values"]
    assert len(airlock_buckets) == 3  # the airlock's two staging buckets and its release bucket hold PHI too
    assert primary_bucket == {"Fn::Join": ["", [{"Fn::GetAtt": ["PhiDataE2352BFC", "Arn"]}, "/"]]}
    assert re.fullmatch(r"arn:aws:s3:::omics-secure-replica-[0-9a-f]{8}-111122223333-us-west-2/", replica_bucket)
    assert selector["ReadWriteType"] == "All" and selector["IncludeManagementEvents"] is True
    # The key watch in each region, and in the primary the three failed-backup-job rules and the airlock's alerts.
    for template, rules in ((primary, 5), (Template.from_stack(app.node.find_child("OmicsSecureReplica")), 1)):
        template.has_resource_properties("AWS::SNS::Subscription", {
            "Protocol": "email", "Endpoint": "security-alerts@example.org"})
        template.resource_count_is("AWS::Events::Rule", rules)
    primary.resource_count_is("AWS::CloudWatch::Alarm", 5)


def test_no_alarm_email_by_default_and_a_bad_one_is_refused(tmp_path, reference_app):
    reference_app.template("OmicsSecurePrimary").resource_count_is("AWS::SNS::Subscription", 0)
    with pytest.raises(OmicsSecureConfigError, match=r"email='security team': pass one e-mail address"):
        build_reference_app(make_app(tmp_path / "bad", **{"omics-secure:alarm-email": "security team"}))


def test_context_configures_network_and_compute(tmp_path):
    app = make_app(tmp_path / "out", **{"omics-secure:vpc-cidr": "10.90.0.0/20",
                                        "omics-secure:endpoints": "KMS,CLOUDWATCH_LOGS,HEALTHOMICS_WORKFLOWS,"
                                                                  "SSM,SSM_MESSAGES,EC2_MESSAGES",
                                        "omics-secure:batch-spot": "true",
                                        "omics-secure:analysis-workstation": True})
    build_reference_app(app)
    template = Template.from_stack(app.node.find_child("OmicsSecurePrimary"))
    template.has_resource_properties("AWS::EC2::VPC", {"CidrBlock": "10.90.0.0/20"})
    # The six named, and the four more the airlock's functions need (STS, Step Functions, EventBridge, Lambda).
    template.resource_properties_count_is("AWS::EC2::VPCEndpoint", {"VpcEndpointType": "Interface"}, 10)
    template.has_resource_properties("AWS::EC2::VPCEndpoint", {
        "ServiceName": Match.string_like_regexp("workflows-omics")})
    template.has_resource_properties("AWS::Batch::ComputeEnvironment", {
        "ComputeResources": Match.object_like({"Type": "SPOT"})})
    template.resource_count_is("AWS::EC2::Instance", 1)


def test_workstation_is_off_by_default_and_the_flags_are_validated(tmp_path, reference_app):
    template = reference_app.template("OmicsSecurePrimary")
    template.resource_count_is("AWS::EC2::Instance", 0)
    template.resource_count_is("AWS::Omics::Configuration", 1)
    with pytest.raises(OmicsSecureConfigError, match=r"omics-secure:batch-spot='yes': use true or false"):
        build_reference_app(make_app(tmp_path / "bad", **{"omics-secure:batch-spot": "yes"}))


def test_unknown_endpoint_names_in_context_are_refused(tmp_path):
    app = make_app(tmp_path / "out", **{"omics-secure:endpoints": ["KMS", "S3_INTERFACE"]})
    with pytest.raises(OmicsSecureConfigError,
                       match=r"omics-secure:endpoints=\['S3_INTERFACE'\]: use InterfaceEndpoint"):
        build_reference_app(app)


def test_reference_app_has_the_health_services_on_the_data_key(reference_app):
    template = reference_app.template("OmicsSecurePrimary")
    key = {"Fn::GetAtt": ["DataKey17AFBB84", "Arn"]}
    for type_ in ("AWS::Omics::SequenceStore", "AWS::Omics::ReferenceStore"):
        template.has_resource_properties(type_, {"SseConfig": {"Type": "KMS", "KeyArn": key}})
    template.has_resource_properties("AWS::HealthLake::FHIRDatastore", {"SseConfiguration": {
        "KmsEncryptionConfig": {"CmkType": "CUSTOMER_MANAGED_KMS_KEY", "KmsKeyId": key}}})
    template.resource_count_is("AWS::Omics::Workflow", 1)
    template.resource_count_is("AWS::Omics::RunGroup", 1)


def test_the_reference_app_carries_an_example_approval_and_collaborator(reference_app):
    template = Template.from_stack(reference_app.stack("OmicsSecurePrimary"))
    ends = default_approval_end().isoformat()
    template.has_resource_properties("AWS::IAM::Role", {
        "Tags": Match.array_with([{"Key": "omics-secure:approval-id", "Value": "phs000000.v1.p1"}]),
        "AssumeRolePolicyDocument": {"Statement": [Match.object_like({"Condition": Match.object_like({
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
            "DateLessThan": {"aws:CurrentTime": f"{ends}T00:00:00Z"}})})]}})
    template.has_resource_properties("AWS::S3::AccessPoint", {"Name": "phs000000-v1-p1-444455556666"})


def test_approval_context_and_no_collaborator_on_a_real_account_by_default(tmp_path):
    app = make_app(tmp_path / "out", **{"omics-secure:account": "222233334444",
                                        "availability-zones:account=222233334444:region=us-east-1": [
                                            "us-east-1a", "us-east-1b"],
                                        "omics-secure:approval-id": "DAR-42",
                                        "omics-secure:approval-ends": "2031-03-31",
                                        "omics-secure:approval-prefix": "cohort-a/",
                                        "omics-secure:approval-principals": "arn:aws:iam::222233334444:role/Analyst"})
    build_reference_app(app)
    template = Template.from_stack(app.node.find_child("OmicsSecurePrimary"))
    template.resource_count_is("AWS::S3::AccessPoint", 0)
    template.has_resource_properties("AWS::IAM::Role", {
        "Tags": Match.array_with([{"Key": "omics-secure:approval-ends", "Value": "2031-03-31"},
                                  {"Key": "omics-secure:approval-id", "Value": "DAR-42"}])})


def _example_trust(app: cdk.App) -> dict[str, Any]:
    roles = Template.from_stack(app.node.find_child("OmicsSecurePrimary")).find_resources("AWS::IAM::Role")
    (trust,) = [body["Properties"]["AssumeRolePolicyDocument"]["Statement"][0] for logical_id, body in roles.items()
                if logical_id.startswith("ExampleApproval") and "approved access" in body["Properties"].get(
                    "Description", "")]
    return trust


def test_approval_context_admits_identity_center_or_saml_people_without_an_mfa_condition(tmp_path):
    app = make_app(tmp_path / "sso", **{"omics-secure:approval-permission-set": "GenomicsResearcher",
                                        "omics-secure:approval-identity-center-region": "eu-west-2"})
    build_reference_app(app)
    trust = _example_trust(app)
    assert trust["Condition"]["ArnLike"]["aws:PrincipalArn"][0] == (
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_GenomicsResearcher_*")
    assert "Bool" not in trust["Condition"]
    saml = "arn:aws:iam::111122223333:saml-provider/Institute"
    app = make_app(tmp_path / "saml", **{"omics-secure:approval-saml-provider": saml})
    build_reference_app(app)
    assert _example_trust(app)["Principal"] == {"Federated": saml}


@pytest.mark.parametrize(("context", "message"), [
    ({"omics-secure:approval-saml-provider": "Institute"}, r"approval-saml-provider='Institute'.*SAML provider ARN"),
    ({"omics-secure:approval-permission-set": "Researchers", "omics-secure:approval-principals":
      "arn:aws:iam::111122223333:user/ana"}, r"approval-permission-set='Researchers': name the approved people"),
    ({"omics-secure:approval-identity-center-region": "us-east-1"}, r"set that too"),
])
def test_approval_context_names_its_people_one_way(tmp_path, context, message):
    with pytest.raises(OmicsSecureConfigError, match=message):
        build_reference_app(make_app(tmp_path / "bad", **context))


def test_bad_approval_context_is_refused(tmp_path):
    with pytest.raises(OmicsSecureConfigError, match=r"omics-secure:approval-ends='next year': use an ISO date"):
        build_reference_app(make_app(tmp_path / "bad", **{"omics-secure:approval-ends": "next year"}))
    with pytest.raises(OmicsSecureConfigError, match=r"ends='2020-01-01'.*has passed"):
        build_reference_app(make_app(tmp_path / "past", **{"omics-secure:approval-ends": "2020-01-01"}))
