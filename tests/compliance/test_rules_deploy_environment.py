"""The deploy-time rules about a resource's environment, on templates that work, that fail, and that nearly fail."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from omics_secure.compliance.model import Resource, Status, TemplateIndex
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.rules.deploy_environment import (
    ALLOWLIST_COVERS_SERVICES,
    BACKUP_COPY_ROLE_CAN_COPY,
    DEPLOY_ENVIRONMENT_RULES,
    POLICY_TYPE_ENABLED,
    TRUST_MFA_FEDERATED,
    TRUST_MFA_ROLE_SESSIONS,
)

ACCOUNT = "111122223333"
ROOT = f"arn:aws:iam::{ACCOUNT}:root"
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
SSO = f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/*/AWSReservedSSO_Researchers_*"
SAML = f"arn:aws:iam::{ACCOUNT}:saml-provider/Institute"
OU = "ou-ab12-cd34ef56"


def judge(rule, logical_id: str, resources: dict[str, Any]) -> tuple[Status, str]:
    verdict = rule.evaluate(Resource.from_template(logical_id, resources[logical_id], resources,
                                                   TemplateIndex(resources)))
    if verdict.status is Status.NON_COMPLIANT:
        assert verdict.detail, "a finding must say what is wrong"
    return verdict.status, verdict.detail


def test_every_rule_is_in_the_pack_cites_aws_and_maps_controls():
    assert set(DEPLOY_ENVIRONMENT_RULES) <= set(OMICS_SECURE_PACK.rules)
    for rule in DEPLOY_ENVIRONMENT_RULES:
        assert "https://docs.aws.amazon.com/" in rule.explanation, rule.id
        assert rule.controls.hipaa and rule.controls.nist_800_53_r5 and rule.controls.nist_800_171_r2
        assert rule.fix
    assert {r.id for r in DEPLOY_ENVIRONMENT_RULES if r.severity == "warning"} == {"IAMTrustMfaFromRoleSessions"}


@pytest.mark.parametrize("value", [
    "not a mapping", ["a", "list"], {"Fn::If": ["C", {}, {}]}, {"Ref": "AWS::NoValue"}, None, 5,
])
def test_no_rule_raises_on_intrinsic_or_malformed_shapes(value):
    for rule in DEPLOY_ENVIRONMENT_RULES:
        for type_ in rule.resource_types:
            properties = {key: value for key in ("AssumeRolePolicyDocument", "Type", "Content", "TargetIds",
                                                 "BackupPlan", "PolicyTypes")}
            body = {"Type": type_, "Properties": properties}
            resources = {"R": body, "Selection": {"Type": "AWS::Backup::BackupSelection", "Properties": value},
                         "Enabler": {"Type": "Custom::OrganizationsPolicyTypes", "Properties": value}}
            rule.evaluate(Resource.from_template("R", body, resources))  # any verdict, never an exception


# --- IAMTrustMfaFederatedNeverPresent and IAMTrustMfaFromRoleSessions -----------------------------------

def role(*statements: dict[str, Any], **properties: Any) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": list(statements)}, **properties}}


def trust(principal: dict[str, Any], action: str = "sts:AssumeRole", **condition: Any) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": principal, "Action": [action, "sts:TagSession"]}
    return {**statement, "Condition": condition} if condition else statement


@pytest.mark.parametrize(("statement", "named"), [
    (trust({"Federated": SAML}, "sts:AssumeRoleWithSAML", **MFA), "the federated principal"),
    (trust({"AWS": ROOT}, **MFA, ArnLike={"aws:PrincipalArn": SSO}), "IAM Identity Center's roles"),
    (trust({"AWS": f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_R_1"},
           **MFA), "IAM Identity Center's roles"),
    (trust({"Federated": "accounts.google.com"}, "sts:AssumeRoleWithWebIdentity",
           NumericLessThan={"aws:MultiFactorAuthAge": "3600"}), "the federated principal"),
    (trust({"Federated": SAML}, "sts:AssumeRoleWithSAML", Null={"aws:MultiFactorAuthPresent": "false"}),
     "the federated principal"),
], ids=["saml", "identity-center-narrowed", "identity-center-principal", "oidc-mfa-age", "null-false"])
def test_mfa_required_of_federated_sessions_is_reported(statement, named):
    status, detail = judge(TRUST_MFA_FEDERATED, "Approval", {"Approval": role(statement)})
    assert status is Status.NON_COMPLIANT and named in detail


def test_mfa_required_of_a_role_people_reach_through_saml_or_a_service_is_reported():
    federated_role = role(trust({"Federated": SAML}, "sts:AssumeRoleWithSAML"), RoleName="campus-people")
    service_role = role({"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"},
                         "Action": "sts:AssumeRole"})
    for principal, named in (("arn:aws:iam::111122223333:role/campus-people", "whose sessions are all federated"),
                             ({"Fn::GetAtt": ["Worker", "Arn"]}, "a role only AWS services assume")):
        resources = {"Approval": role(trust({"AWS": principal}, **MFA)), "Campus": federated_role,
                     "Worker": service_role}
        status, detail = judge(TRUST_MFA_FEDERATED, "Approval", resources)
        assert status is Status.NON_COMPLIANT and named in detail


@pytest.mark.parametrize("statement", [
    trust({"AWS": ROOT}, **MFA),  # IAM users of the account sign in with MFA
    trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/ana"}, **MFA),
    trust({"AWS": ROOT}, **MFA, ArnEquals={"aws:PrincipalArn": [f"arn:aws:iam::{ACCOUNT}:user/ana"]}),
    trust({"Federated": SAML}, "sts:AssumeRoleWithSAML"),  # federation without an MFA condition
    trust({"AWS": ROOT}, ArnLike={"aws:PrincipalArn": SSO}),
], ids=["account", "user", "narrowed-to-a-user", "saml-without-mfa", "identity-center-without-mfa"])
def test_mfa_of_iam_users_and_federation_without_mfa_are_compliant(statement):
    assert judge(TRUST_MFA_FEDERATED, "Approval", {"Approval": role(statement)})[0] in (
        Status.COMPLIANT, Status.NOT_APPLICABLE)
    assert judge(TRUST_MFA_ROLE_SESSIONS, "Approval", {"Approval": role(statement)})[0] in (
        Status.COMPLIANT, Status.NOT_APPLICABLE)


def test_bool_if_exists_is_not_a_requirement_and_is_not_judged():
    """Near miss: BoolIfExists true is met when the key is absent, so federated sessions pass it."""
    statement = trust({"Federated": SAML}, "sts:AssumeRoleWithSAML",
                      BoolIfExists={"aws:MultiFactorAuthPresent": "true"})
    assert judge(TRUST_MFA_FEDERATED, "Approval", {"Approval": role(statement)})[0] is Status.NOT_APPLICABLE


def test_a_role_identity_center_roles_assume_directly_has_only_federated_sessions():
    """The steward role trusts an AWSReservedSSO_ role as its principal (no aws:PrincipalArn narrowing): its
    sessions come from SAML sign-ins and never carry the MFA key."""
    sso_role = f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/eu-west-2/AWSReservedSSO_Stewards_1"
    resources = {"Approval": role(trust({"AWS": {"Fn::GetAtt": ["Steward", "Arn"]}}, **MFA)),
                 "Steward": role(trust({"AWS": sso_role}))}
    assert judge(TRUST_MFA_FEDERATED, "Approval", resources) == (
        Status.NON_COMPLIANT, "trust statement 0 requires MFA of Steward, whose sessions are all federated")
    # Near miss: a steward role an IAM user assumes has role sessions, which may carry MFA: a warning only.
    resources["Steward"] = role(trust({"AWS": f"arn:aws:iam::{ACCOUNT}:user/ana"}))
    assert judge(TRUST_MFA_FEDERATED, "Approval", resources) == (Status.COMPLIANT, "")
    assert judge(TRUST_MFA_ROLE_SESSIONS, "Approval", resources) == (
        Status.NON_COMPLIANT, "trust statement 0 requires MFA of sessions of Steward")


def test_mfa_required_of_named_roles_warns_that_role_sessions_rarely_carry_it():
    statement = trust({"AWS": ROOT}, **MFA, ArnEquals={"aws:PrincipalArn": [
        f"arn:aws:iam::{ACCOUNT}:role/cohort-a-analysts", f"arn:aws:iam::{ACCOUNT}:user/ana"]})
    resources = {"Approval": role(statement)}
    status, detail = judge(TRUST_MFA_ROLE_SESSIONS, "Approval", resources)
    assert status is Status.NON_COMPLIANT and "cohort-a-analysts" in detail and "user/ana" not in detail
    assert judge(TRUST_MFA_FEDERATED, "Approval", resources)[0] is Status.COMPLIANT


# --- OrganizationAllowlistCoversServices -----------------------------------------------------------------

def scp(actions: list[str], targets: tuple[str, ...] = (OU,), effect: str = "Allow") -> dict[str, Any]:
    return {"Type": "AWS::Organizations::Policy", "Properties": {
        "Name": "p", "Type": "SERVICE_CONTROL_POLICY", "TargetIds": list(targets),
        "Content": {"Version": "2012-10-17", "Statement": [
            {"Effect": effect, "Action": actions, "Resource": "*"}]}}}


FULL = ["ssm:*", "ssmmessages:*", "ec2messages:*", "backup:*", "backup-storage:*", "omics:*", "s3:*", "logs:*",
        "ecr:*", "kms:*", "healthlake:*", "iam:*", "sts:*"]


def test_an_allowlist_with_what_its_services_need_is_compliant():
    assert judge(ALLOWLIST_COVERS_SERVICES, "Allow", {"Allow": scp(FULL)})[0] is Status.COMPLIANT


def test_the_hipaa_allowlist_before_the_fix_is_reported_for_session_manager_and_backup():
    old = [a for a in FULL if a not in ("ssmmessages:*", "ec2messages:*", "backup-storage:*")]
    status, detail = judge(ALLOWLIST_COVERS_SERVICES, "Allow", {"Allow": scp(old)})
    assert status is Status.NON_COMPLIANT
    assert "Session Manager (ssm:StartSession) need ssmmessages:CreateControlChannel" in detail
    assert "ec2messages:GetMessages" in detail and "backup-storage:MountCapsule" in detail
    assert f"on {OU}" in detail and "create-a-vault.html" in detail


def test_parts_of_a_split_allowlist_add_up_per_target_and_the_verdict_is_given_once():
    resources = {"Part1": scp(FULL[:6]), "Part2": scp(FULL[6:])}
    assert judge(ALLOWLIST_COVERS_SERVICES, "Part1", resources)[0] is Status.COMPLIANT
    assert judge(ALLOWLIST_COVERS_SERVICES, "Part2", resources)[0] is Status.NOT_APPLICABLE
    elsewhere = {"Part1": scp(FULL[:6]), "Part2": scp(FULL[6:], ("ou-ab12-ef78gh90",))}
    status, detail = judge(ALLOWLIST_COVERS_SERVICES, "Part1", elsewhere)
    # The first OU lets HealthOmics in without S3, Logs, ECR and KMS; the second has those and no HealthOmics.
    assert status is Status.NON_COMPLIANT and "on ou-ab12-cd34ef56" in detail and "ou-ab12-ef78gh90" not in detail


def test_kms_grants_are_needed_when_the_allowlist_lets_healthomics_create_stores():
    status, detail = judge(ALLOWLIST_COVERS_SERVICES, "Allow", {"Allow": scp(["omics:*", "s3:*", "logs:*", "ecr:*"])})
    assert status is Status.NON_COMPLIANT and "KMS grants for services" in detail and "kms:CreateGrant" in detail


@pytest.mark.parametrize("actions", [
    ["ssm:StartSession", "ssmmessages:*", "ec2messages:Get*"],  # specific actions and action wildcards count
    ["s3:*"],  # the service is not let in, so its needs are not
], ids=["patterns", "service-not-allowed"])
def test_near_misses_of_an_incomplete_allowlist(actions):
    assert judge(ALLOWLIST_COVERS_SERVICES, "Allow", {"Allow": scp(actions)})[0] is Status.COMPLIANT


def test_a_service_in_the_template_needs_its_prefixes_even_when_the_allowlist_names_no_trigger():
    resources = {"Allow": scp(["s3:*", "kms:*"]), "Vault": {"Type": "AWS::Backup::BackupVault", "Properties": {}}}
    status, detail = judge(ALLOWLIST_COVERS_SERVICES, "Allow", resources)
    assert status is Status.NON_COMPLIANT and "AWS::Backup::BackupVault" in detail


@pytest.mark.parametrize("resources", [
    {"Deny": scp(["ssm:*"], effect="Deny")},  # a deny list restricts nothing it does not name
    {"Allow": scp(["ssm:*"]), "Everything": scp(["*"])},  # FullAWSAccess-like: the list does not restrict
    {"Tags": {"Type": "AWS::Organizations::Policy", "Properties": {"Type": "TAG_POLICY", "Content": {},
                                                                 "TargetIds": [OU]}}},
], ids=["deny-list", "full-access-beside", "tag-policy"])
def test_what_is_not_an_allowlist_is_not_judged(resources):
    assert judge(ALLOWLIST_COVERS_SERVICES, next(iter(resources)), resources)[0] is Status.NOT_APPLICABLE


def test_a_not_action_allow_is_read_as_everything_but():
    everything_but_ssm = {"Type": "AWS::Organizations::Policy", "Properties": {
        "Type": "SERVICE_CONTROL_POLICY", "TargetIds": [OU], "Content": {"Statement": [
            {"Effect": "Allow", "NotAction": ["ssmmessages:*"], "Resource": "*"}]}}}
    status, detail = judge(ALLOWLIST_COVERS_SERVICES, "Allow", {"Allow": everything_but_ssm})
    assert status is Status.NON_COMPLIANT and "ssmmessages:OpenDataChannel" in detail


# --- OrganizationPolicyTypeEnabled -----------------------------------------------------------------------

def tag_policy(**extra: Any) -> dict[str, Any]:
    return {"Type": "AWS::Organizations::Policy", **extra, "Properties": {
        "Name": "t", "Type": "TAG_POLICY", "Content": {"tags": {}}, "TargetIds": [OU]}}


def enabler(*types: str) -> dict[str, Any]:
    return {"Type": "Custom::OrganizationsPolicyTypes", "Properties": {
        "ServiceToken": {"Fn::GetAtt": ["Handler", "Arn"]}, "PolicyTypes": list(types)}}


def test_a_policy_of_a_type_nothing_enables_is_reported():
    status, detail = judge(POLICY_TYPE_ENABLED, "Tags", {"Tags": tag_policy()})
    assert status is Status.NON_COMPLIANT and "TAG_POLICY" in detail and "PolicyTypeNotEnabledException" in detail


def test_a_policy_after_the_custom_resource_enabling_its_type_is_compliant():
    resources = {"Tags": tag_policy(DependsOn=["Enabler"]), "Enabler": enabler("SERVICE_CONTROL_POLICY", "TAG_POLICY")}
    assert judge(POLICY_TYPE_ENABLED, "Tags", resources)[0] is Status.COMPLIANT
    through = {"Tags": tag_policy(DependsOn="Other"), "Other": {"Type": "AWS::SNS::Topic", "DependsOn": "Enabler"},
               "Enabler": enabler("TAG_POLICY")}
    assert judge(POLICY_TYPE_ENABLED, "Tags", through)[0] is Status.COMPLIANT


@pytest.mark.parametrize("resources", [
    {"Tags": tag_policy(), "Enabler": enabler("TAG_POLICY")},  # no DependsOn: may be created first
    {"Tags": tag_policy(DependsOn="Enabler"), "Enabler": enabler("SERVICE_CONTROL_POLICY")},  # another type
    {"Tags": tag_policy(DependsOn="Enabler"), "Enabler": {"Type": "Custom::Something", "Properties": {
        "PolicyTypes": ["TAG_POLICY"]}}},  # a custom resource that does not call EnablePolicyType
], ids=["no-dependency", "other-type", "unrelated-custom-resource"])
def test_near_misses_of_an_enabled_type_are_reported(resources):
    assert judge(POLICY_TYPE_ENABLED, "Tags", resources)[0] is Status.NON_COMPLIANT


def test_an_aws_custom_resource_calling_enable_policy_type_counts():
    create = {"Fn::Join": ["", ['{"service":"Organizations","action":"enablePolicyType","parameters":{"RootId":"',
                                {"Fn::GetAtt": ["Roots", "Roots.0.Id"]}, '","PolicyType":"TAG_POLICY"}}']]}
    resources = {"Tags": tag_policy(DependsOn="Enable"),
                 "Enable": {"Type": "Custom::AWS", "Properties": {"Create": create}}}
    assert judge(POLICY_TYPE_ENABLED, "Tags", resources)[0] is Status.COMPLIANT


def test_an_aws_custom_resource_enabling_the_type_on_update_only_counts():
    """AwsCustomResource makes the onUpdate call on create too when onCreate is not given."""
    update = {"Fn::Join": ["", ['{"service":"Organizations","action":"enablePolicyType","parameters":{"RootId":"',
                                {"Ref": "RootId"}, '","PolicyType":"TAG_POLICY"}}']]}
    resources = {"Tags": tag_policy(DependsOn="Enable"),
                 "Enable": {"Type": "Custom::AWS", "Properties": {"Update": update}}}
    assert judge(POLICY_TYPE_ENABLED, "Tags", resources) == (Status.COMPLIANT, "")


@pytest.mark.parametrize("properties", [None, ["TAG_POLICY"], "TAG_POLICY"], ids=["absent", "list", "string"])
def test_an_enabler_without_readable_properties_enables_nothing(properties):
    body: dict[str, Any] = {"Type": "Custom::OrganizationsPolicyTypes"}
    if properties is not None:
        body["Properties"] = properties
    status, detail = judge(POLICY_TYPE_ENABLED, "Tags", {"Tags": tag_policy(DependsOn="Enabler"), "Enabler": body})
    assert status is Status.NON_COMPLIANT and detail.startswith("nothing in the template enables TAG_POLICY")


def test_a_dependency_cycle_is_followed_once():
    """CloudFormation refuses circular DependsOn; the rule still ends, and finds no way to the enabler."""
    resources = {"Tags": tag_policy(DependsOn="Topic"), "Topic": {"Type": "AWS::SNS::Topic", "DependsOn": "Tags"},
                 "Enabler": enabler("TAG_POLICY")}
    status, detail = judge(POLICY_TYPE_ENABLED, "Tags", resources)
    assert status is Status.NON_COMPLIANT
    assert detail.startswith("Enabler enables TAG_POLICY, but the policy does not depend on it")


# --- BackupCopyRoleCanCopy ---------------------------------------------------------------------------------

VAULT = f"arn:aws:backup:us-west-2:{ACCOUNT}:backup-vault:dr"


def backup_template(*role_statements: dict[str, Any], managed: list[Any] | None = None,
                    copy: bool = True) -> dict[str, Any]:
    rule: dict[str, Any] = {"RuleName": "Daily", "TargetBackupVault": "local",
                            "ScheduleExpression": "cron(0 5 ? * * *)"}
    if copy:
        rule["CopyActions"] = [{"DestinationBackupVaultArn": VAULT}]
    backup_role = role({"Effect": "Allow", "Principal": {"Service": "backup.amazonaws.com"},
                        "Action": "sts:AssumeRole"}, **({"ManagedPolicyArns": managed} if managed else {}))
    resources = {
        "Plan": {"Type": "AWS::Backup::BackupPlan", "Properties": {"BackupPlan": {
            "BackupPlanName": "p", "BackupPlanRule": [rule]}}},
        "Selection": {"Type": "AWS::Backup::BackupSelection", "Properties": {
            "BackupPlanId": {"Ref": "Plan"}, "BackupSelection": {
                "SelectionName": "s", "IamRoleArn": {"Fn::GetAtt": ["BackupRole", "Arn"]}, "Resources": ["*"]}}},
        "BackupRole": backup_role,
    }
    if role_statements:
        resources["Grants"] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
            "Roles": [{"Ref": "BackupRole"}], "PolicyDocument": {"Statement": list(role_statements)}}}
    return resources


READ_BUCKETS = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"}


def test_a_plan_that_copies_with_a_role_that_cannot_copy_is_reported():
    status, detail = judge(BACKUP_COPY_ROLE_CAN_COPY, "Plan", backup_template(READ_BUCKETS))
    assert status is Status.NON_COMPLIANT
    assert detail == f"BackupRole may not backup:CopyIntoBackupVault into {VAULT}"


@pytest.mark.parametrize("template", [
    backup_template(READ_BUCKETS, {"Effect": "Allow", "Action": "backup:CopyIntoBackupVault", "Resource": VAULT}),
    backup_template({"Effect": "Allow", "Action": "backup:Copy*", "Resource": "arn:aws:backup:*:*:backup-vault:*"}),
    backup_template(managed=[{"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/service-role/"
                                                                                   "AWSBackupServiceRolePolicyForBackup"]]}]),
], ids=["named-vault", "patterns", "aws-managed-policy"])
def test_a_role_allowed_to_copy_into_the_destination_is_compliant(template):
    assert judge(BACKUP_COPY_ROLE_CAN_COPY, "Plan", template)[0] is Status.COMPLIANT


@pytest.mark.parametrize("template", [
    backup_template({"Effect": "Allow", "Action": "backup:CopyIntoBackupVault",
                     "Resource": f"arn:aws:backup:us-west-2:{ACCOUNT}:backup-vault:other"}),  # another vault
    backup_template({"Effect": "Allow", "Action": "backup:CopyFromBackupVault", "Resource": "*"}),  # the other way
    backup_template(managed=["arn:aws:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForS3Backup"]),
], ids=["another-vault", "copy-from", "s3-managed-policy-only"])
def test_near_misses_of_a_role_that_can_copy_are_reported(template):
    assert judge(BACKUP_COPY_ROLE_CAN_COPY, "Plan", template)[0] is Status.NON_COMPLIANT


def test_plans_without_copies_or_with_a_role_outside_the_template_are_not_judged():
    assert judge(BACKUP_COPY_ROLE_CAN_COPY, "Plan", backup_template(copy=False))[0] is Status.NOT_APPLICABLE
    outside = copy.deepcopy(backup_template())
    outside["Selection"]["Properties"]["BackupSelection"]["IamRoleArn"] = (
        f"arn:aws:iam::{ACCOUNT}:role/service-role/AWSBackupDefaultServiceRole")
    assert judge(BACKUP_COPY_ROLE_CAN_COPY, "Plan", outside)[0] is Status.NOT_APPLICABLE
    del outside["Selection"]
    assert judge(BACKUP_COPY_ROLE_CAN_COPY, "Plan", outside)[0] is Status.NOT_APPLICABLE
