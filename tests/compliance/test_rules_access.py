"""The people-access rules on compliant, non-compliant and near-miss resources, as templates state them."""

from __future__ import annotations

import json
from typing import Any

import pytest

from omics_secure.compliance.controls import CONTROL_IDS, DBGAP, HIPAA, NIST_800_53, NIST_800_171
from omics_secure.compliance.model import Resource, Status
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.rules.access import (
    ACCESS_RULES,
    NO_LONG_LIVED_CREDENTIALS,
    PEOPLE_ROLE_MFA_AND_EXPIRY,
    PHI_ACCESS_POINT_PRIVATE,
)

PHI_TAGS = [{"Key": "omics-secure:data-classification", "Value": "phi"}]
EXPIRY = {"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}
MFA = {"Bool": {"aws:MultiFactorAuthPresent": "true"}}
ACCOUNT_ROOT = {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::111122223333:root"]]}}
READ_OBJECTS = {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": {"Fn::Join": ["", [
    {"Fn::GetAtt": ["Data", "Arn"]}, "/cohort-a/*"]]}}


def trust(*statements: dict[str, Any]) -> dict[str, Any]:
    return {"Version": "2012-10-17", "Statement": list(statements)}


def account_trust(condition: dict[str, Any] | None) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": "Allow", "Principal": ACCOUNT_ROOT,
                                 "Action": ["sts:AssumeRole", "sts:TagSession"]}
    if condition is not None:
        statement["Condition"] = condition
    return statement


def role(trust_policy: Any, *policy_statements: dict[str, Any], managed_arns: list[Any] | None = None) -> Resource:
    properties: dict[str, Any] = {"AssumeRolePolicyDocument": trust_policy}
    if managed_arns is not None:
        properties["ManagedPolicyArns"] = managed_arns
    template: dict[str, Any] = {"Role": {"Type": "AWS::IAM::Role", "Properties": properties}}
    if policy_statements:
        template["Policy"] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
            "Roles": [{"Ref": "Role"}], "PolicyDocument": {"Statement": list(policy_statements)}}}
    return Resource.from_template("Role", template["Role"], template)


def verdict(rule, resource: Resource) -> tuple[Status, str]:
    result = rule.evaluate(resource)
    return result.status, result.detail


# IAMPeopleRoleMfaAndExpiry

@pytest.mark.parametrize("condition", [
    {**EXPIRY, **MFA},
    {**EXPIRY, "ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/"
                                               "*/AWSReservedSSO_Researcher_*"}},
], ids=["mfa", "identity-center"])
def test_people_role_with_mfa_or_identity_center_and_expiry_is_compliant(condition):
    assert verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, role(trust(account_trust(condition)), READ_OBJECTS))[0] \
        is Status.COMPLIANT


def test_federated_role_with_expiry_is_compliant():
    saml = {"Effect": "Allow", "Principal": {"Federated": "arn:aws:iam::111122223333:saml-provider/Campus"},
            "Action": ["sts:AssumeRoleWithSAML", "sts:TagSession"],
            "Condition": {**EXPIRY, "StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}
    assert verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, role(trust(saml), READ_OBJECTS))[0] is Status.COMPLIANT


def test_people_role_without_mfa_is_non_compliant():
    status, detail = verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, role(trust(account_trust(EXPIRY)), READ_OBJECTS))
    assert status is Status.NON_COMPLIANT and "neither federation nor MFA" in detail


def test_people_role_without_expiry_is_non_compliant():
    status, detail = verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, role(trust(account_trust(MFA)), READ_OBJECTS))
    assert status is Status.NON_COMPLIANT and "no end date" in detail


def test_bool_if_exists_mfa_is_not_mfa():
    """Near miss: BoolIfExists is true for long-lived access keys, which carry no MFA key at all."""
    condition = {**EXPIRY, "BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}}
    assert verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, role(trust(account_trust(condition)), READ_OBJECTS))[0] \
        is Status.NON_COMPLIANT


def test_expiry_on_another_key_is_not_an_expiry():
    """Near miss: a DateLessThan on aws:TokenIssueTime does not end the approval."""
    condition = {**MFA, "DateLessThan": {"aws:TokenIssueTime": "2030-01-01T00:00:00Z"}}
    assert verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, role(trust(account_trust(condition)), READ_OBJECTS))[0] \
        is Status.NON_COMPLIANT


def test_wildcard_action_and_broad_managed_policy_reach_data():
    wildcard = {"Effect": "Allow", "Action": "s3:Get*", "Resource": "*"}
    assert verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, role(trust(account_trust(MFA)), wildcard))[0] is Status.NON_COMPLIANT
    managed = role(trust(account_trust(MFA)), managed_arns=[
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::aws:policy/AmazonS3ReadOnlyAccess"]]}])
    assert verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, managed)[0] is Status.NON_COMPLIANT


def test_a_not_action_grant_reaches_data():
    """Allow with NotAction allows every action but those named, reading and writing data included."""
    everything_but_iam = {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}
    status, detail = verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, role(trust(account_trust(EXPIRY)), everything_but_iam))
    assert (status, detail) == (Status.NON_COMPLIANT, "trust statement 0 requires neither federation nor MFA "
                                                      "(Bool aws:MultiFactorAuthPresent true)")


def test_identity_center_roles_named_as_the_principal_are_federated():
    """IAM Identity Center's permission-set roles as the principal itself (no aws:PrincipalArn condition)."""
    sso = {"Effect": "Allow", "Action": "sts:AssumeRole", "Condition": EXPIRY, "Principal": {"AWS": [
        "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Researcher_0123abcd"]}}
    assert verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, role(trust(sso), READ_OBJECTS)) == (Status.COMPLIANT, "")
    # Near miss: one principal outside Identity Center makes the statement an ordinary one.
    sso["Principal"]["AWS"].append("arn:aws:iam::111122223333:role/Analyst")
    status, detail = verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, role(trust(sso), READ_OBJECTS))
    assert status is Status.NON_COMPLIANT and "requires neither federation nor MFA" in detail


def test_a_trust_condition_known_only_at_deploy_time_cannot_be_judged():
    imported = {**account_trust(None), "Condition": {"Fn::ImportValue": "trust-conditions"}}
    assert verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, role(trust(imported), READ_OBJECTS)) == (
        Status.CANNOT_JUDGE, "Condition is !ImportValue trust-conditions, known only at deploy time")


def test_people_role_without_data_access_and_service_roles_are_not_applicable():
    """Near misses: an auditor reading configuration only, and a role only a service assumes."""
    configuration = {"Effect": "Allow", "Action": ["s3:GetBucketPolicy", "kms:DescribeKey"], "Resource": "*"}
    assert verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, role(trust(account_trust(None)), configuration))[0] \
        is Status.NOT_APPLICABLE
    service = {"Effect": "Allow", "Principal": {"Service": "omics.amazonaws.com"}, "Action": "sts:AssumeRole"}
    assert verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, role(trust(service), READ_OBJECTS))[0] is Status.NOT_APPLICABLE


PIPELINE_ROLE = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust(
    {"Effect": "Allow", "Principal": {"Service": "codepipeline.amazonaws.com"}, "Action": "sts:AssumeRole"})}}


def chained_role(trust_policy: Any, **others: dict[str, Any]) -> Resource:
    """A role reading data whose trust names other roles of its template (``others``)."""
    body = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust_policy, "Policies": [
        {"PolicyName": "data", "PolicyDocument": {"Statement": [READ_OBJECTS]}}]}}
    template = {"ActionRole": body, **others}
    return Resource.from_template("ActionRole", body, template)


def by_role(principal: Any, condition: dict[str, Any] | None = None) -> dict[str, Any]:
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": "sts:AssumeRole"}
    return {**statement, "Condition": condition} if condition else statement


@pytest.mark.parametrize("trust_policy", [
    trust(by_role({"Fn::GetAtt": ["PipelineRole", "Arn"]})),
    trust(by_role("arn:aws:iam::111122223333:role/pipeline-role")),
    trust(by_role(ACCOUNT_ROOT["AWS"], {"ArnEquals": {"aws:PrincipalArn": {"Fn::GetAtt": ["PipelineRole", "Arn"]}}})),
], ids=["getatt", "literal-arn", "account-narrowed-to-the-role"])
def test_a_role_only_a_service_role_of_its_template_assumes_is_not_a_peoples_role(trust_policy):
    """CDK Pipelines' action roles: trusted by the pipeline's role, which only CodePipeline assumes."""
    named = {**PIPELINE_ROLE, "Properties": {**PIPELINE_ROLE["Properties"], "RoleName": "pipeline-role"}}
    resource = chained_role(trust_policy, PipelineRole=named)
    assert verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, resource)[0] is Status.NOT_APPLICABLE


def test_a_chain_of_service_roles_is_followed_and_a_person_anywhere_in_it_counts():
    middle = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust(
        by_role({"Fn::GetAtt": ["PipelineRole", "Arn"]}))}}
    resource = chained_role(trust(by_role({"Fn::GetAtt": ["Middle", "Arn"]})), PipelineRole=PIPELINE_ROLE,
                            Middle=middle)
    assert verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, resource)[0] is Status.NOT_APPLICABLE
    reachable = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust(
        by_role({"Fn::GetAtt": ["PipelineRole", "Arn"]}), account_trust(None))}}
    resource = chained_role(trust(by_role({"Fn::GetAtt": ["Middle", "Arn"]})), PipelineRole=PIPELINE_ROLE,
                            Middle=reachable)
    assert verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, resource)[0] is Status.NON_COMPLIANT


@pytest.mark.slow
def test_no_role_of_an_ordinary_cdk_pipelines_app_is_taken_for_a_peoples_role(tmp_path):
    """A plain aws_cdk.pipelines.CodePipeline: its source and CodeBuild action roles are trusted by the
    pipeline's role (Fn::GetAtt), which only codepipeline.amazonaws.com assumes, and reach the artifacts."""
    import aws_cdk as cdk
    from aws_cdk import pipelines

    from omics_secure.compliance.engine import evaluate_assembly

    app = cdk.App(outdir=str(tmp_path))
    stack = cdk.Stack(app, "Tooling", env=cdk.Environment(account="123456789012", region="us-east-1"))
    source = pipelines.CodePipelineSource.connection(
        "example/app", "main", connection_arn="arn:aws:codeconnections:us-east-1:123456789012:connection/x")
    pipelines.CodePipeline(stack, "Pipeline", synth=pipelines.ShellStep("Synth", input=source, commands=["cdk synth"]))
    app.synth()
    template = json.loads((tmp_path / "Tooling.template.json").read_text())
    trusted_by_roles = [body for body in template["Resources"].values() if body["Type"] == "AWS::IAM::Role"
                        and "Fn::GetAtt" in str(body["Properties"]["AssumeRolePolicyDocument"])]
    assert len(trusted_by_roles) >= 2  # the source action's role and the shared CodeBuild action role
    findings = [f for f in evaluate_assembly(OMICS_SECURE_PACK, tmp_path)
                if f.rule.id == PEOPLE_ROLE_MFA_AND_EXPIRY.id]
    assert findings == []


@pytest.mark.parametrize(("trust_policy", "why"), [
    (trust(by_role(ACCOUNT_ROOT["AWS"], {"Bool": {"aws:ViaAWSService": "true"}})), "account trust"),
    (trust(by_role({"Fn::GetAtt": ["PipelineRole", "Arn"]}), by_role(ACCOUNT_ROOT["AWS"])), "and the account"),
    (trust(by_role("arn:aws:iam::111122223333:role/someone-elses")), "role outside the template"),
    (trust(by_role({"Fn::GetAtt": ["PersonRole", "Arn"]})), "role people assume"),
    (trust(by_role(ACCOUNT_ROOT["AWS"], {"ArnLike": {"aws:PrincipalArn": "arn:aws:iam::111122223333:role/*"}})),
     "narrowed to a pattern"),
], ids=["root-via-service", "service-role-and-root", "outside-role", "people-role", "pattern"])
def test_near_misses_of_a_service_role_trust_are_judged(trust_policy, why):
    """An account principal admits every principal of the account allowed sts:AssumeRole, people included,
    whatever the role was built for; so does a role outside the template, or one people can assume."""
    person = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": trust(account_trust(None))}}
    resource = chained_role(trust_policy, PipelineRole=PIPELINE_ROLE, PersonRole=person)
    assert verdict(PEOPLE_ROLE_MFA_AND_EXPIRY, resource)[0] is Status.NON_COMPLIANT, why


@pytest.mark.parametrize("trust_policy", [
    {"Fn::If": ["Cond", trust(account_trust(MFA)), {"Ref": "AWS::NoValue"}]},
    trust({"Effect": "Allow", "Principal": {"AWS": {"Ref": "Principal"}}, "Action": {"Ref": "Action"},
           "Condition": {"Fn::If": ["C", EXPIRY, {}]}}),
    trust({"Effect": "Allow", "Principal": "*", "Action": "sts:AssumeRole",
           "Condition": {"DateLessThan": {"aws:CurrentTime": {"Ref": "Ends"}}, "Bool": {"Fn::If": ["x", 1, 2]}}}),
    "not a document",
], ids=["fn-if-document", "intrinsic-action", "intrinsic-conditions", "string"])
def test_people_role_rule_never_raises_on_intrinsic_shapes(trust_policy):
    assert PEOPLE_ROLE_MFA_AND_EXPIRY.evaluate(role(trust_policy, READ_OBJECTS)).status in set(Status)


# IAMNoUsersOrAccessKeysWithPhi

def credential(type_: str, *others: tuple[str, dict[str, Any]]) -> Resource:
    template: dict[str, Any] = {"Credential": {"Type": type_, "Properties": {}}, **dict(others)}
    return Resource.from_template("Credential", template["Credential"], template)


PHI_BUCKET = ("Data", {"Type": "AWS::S3::Bucket", "Properties": {"Tags": PHI_TAGS}})
PLAIN_BUCKET = ("Site", {"Type": "AWS::S3::Bucket", "Properties": {
    "Tags": [{"Key": "omics-secure:data-classification", "Value": "access-logs"}]}})


@pytest.mark.parametrize("type_", ["AWS::IAM::User", "AWS::IAM::AccessKey"])
def test_users_and_access_keys_beside_phi_are_non_compliant(type_):
    status, detail = verdict(NO_LONG_LIVED_CREDENTIALS, credential(type_, PHI_BUCKET))
    assert status is Status.NON_COMPLIANT and "temporary credentials" in detail
    store = ("Store", {"Type": "AWS::Omics::SequenceStore", "Properties": {}})
    assert verdict(NO_LONG_LIVED_CREDENTIALS, credential(type_, store))[0] is Status.NON_COMPLIANT


def test_users_in_a_template_without_phi_are_not_applicable():
    """Near miss: a bucket tagged access-logs is not PHI."""
    assert verdict(NO_LONG_LIVED_CREDENTIALS, credential("AWS::IAM::User", PLAIN_BUCKET))[0] is Status.NOT_APPLICABLE


def test_roles_beside_phi_are_not_judged_by_the_credentials_rule():
    assert verdict(NO_LONG_LIVED_CREDENTIALS, credential("AWS::IAM::Role", PHI_BUCKET))[0] is Status.NOT_APPLICABLE


# S3PhiAccessPointPolicyPrivate

BLOCK_ALL = {"BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
             "RestrictPublicBuckets": True}
AP_POLICY = {"Statement": [{"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::444455556666:root"},
                            "Action": ["s3:GetObject"], "Resource": "arn:aws:s3:us-east-1:111122223333:"
                                                                    "accesspoint/ap/object/cohort-a/*",
                            "Condition": EXPIRY}]}


def access_point(**properties: Any) -> Resource:
    body = {"Type": "AWS::S3::AccessPoint", "Properties": {"Bucket": {"Ref": "Data"}, **properties}}
    template = {"AccessPoint": body, "Data": PHI_BUCKET[1], "Site": PLAIN_BUCKET[1]}
    return Resource.from_template("AccessPoint", body, template)


@pytest.mark.parametrize("network", [
    {"PublicAccessBlockConfiguration": BLOCK_ALL},
    {"VpcConfiguration": {"VpcId": {"Ref": "Vpc"}}},
], ids=["public-access-blocked", "vpc-origin"])
def test_access_point_with_policy_and_private_origin_is_compliant(network):
    assert verdict(PHI_ACCESS_POINT_PRIVATE, access_point(Policy=AP_POLICY, **network))[0] is Status.COMPLIANT


def test_access_point_without_policy_is_non_compliant():
    status, detail = verdict(PHI_ACCESS_POINT_PRIVATE, access_point(PublicAccessBlockConfiguration=BLOCK_ALL))
    assert status is Status.NON_COMPLIANT and "no access-point policy" in detail


def test_access_point_with_one_public_setting_off_is_non_compliant():
    """Near miss: three of the four settings on."""
    settings = {**BLOCK_ALL, "RestrictPublicBuckets": False}
    status, detail = verdict(PHI_ACCESS_POINT_PRIVATE, access_point(Policy=AP_POLICY,
                                                                    PublicAccessBlockConfiguration=settings))
    assert status is Status.NON_COMPLIANT and "internet network origin" in detail
    assert verdict(PHI_ACCESS_POINT_PRIVATE, access_point(Policy=AP_POLICY))[0] is Status.NON_COMPLIANT


def test_access_point_open_to_everyone_is_non_compliant():
    open_policy = {"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "*"}]}
    status, detail = verdict(PHI_ACCESS_POINT_PRIVATE, access_point(Policy=open_policy,
                                                                    PublicAccessBlockConfiguration=BLOCK_ALL))
    assert status is Status.NON_COMPLIANT and "'*' principal" in detail


def test_access_point_on_a_bucket_that_is_not_phi_is_not_applicable():
    """Near miss: the access point is on the access-log bucket, or on a bucket outside the template."""
    assert verdict(PHI_ACCESS_POINT_PRIVATE, access_point(Bucket={"Ref": "Site"}))[0] is Status.NOT_APPLICABLE
    assert verdict(PHI_ACCESS_POINT_PRIVATE, access_point(Bucket="somebody-elses-bucket"))[0] is Status.NOT_APPLICABLE


def test_an_access_point_naming_a_phi_bucket_by_its_name_is_judged():
    named_phi = {"Type": "AWS::S3::Bucket", "Properties": {"BucketName": "phi-data", "Tags": PHI_TAGS}}

    def on(bucket: Any, **properties: Any) -> Resource:
        body = {"Type": "AWS::S3::AccessPoint", "Properties": {"Bucket": bucket, **properties}}
        return Resource.from_template("AccessPoint", body, {"AccessPoint": body, "Data": named_phi})

    status, detail = verdict(PHI_ACCESS_POINT_PRIVATE, on("phi-data", PublicAccessBlockConfiguration=BLOCK_ALL))
    assert status is Status.NON_COMPLIANT and detail.startswith("no access-point policy: access to PHI bucket Data")
    assert verdict(PHI_ACCESS_POINT_PRIVATE, on("phi-data", Policy=AP_POLICY,
                                                PublicAccessBlockConfiguration=BLOCK_ALL))[0] is Status.COMPLIANT
    # Near miss: another bucket's name, beside a PHI bucket that has a name of its own.
    assert verdict(PHI_ACCESS_POINT_PRIVATE, on("somebody-elses-bucket"))[0] is Status.NOT_APPLICABLE


def test_public_access_settings_as_cloudformation_strings_count():
    as_strings = {name: "true" for name in BLOCK_ALL}
    assert verdict(PHI_ACCESS_POINT_PRIVATE, access_point(Policy=AP_POLICY, PublicAccessBlockConfiguration=as_strings)
                   ) == (Status.COMPLIANT, "")
    status, detail = verdict(PHI_ACCESS_POINT_PRIVATE, access_point(
        Policy=AP_POLICY, PublicAccessBlockConfiguration={**as_strings, "BlockPublicPolicy": "false"}))
    assert (status, detail) == (Status.NON_COMPLIANT, "internet network origin without every "
                                                      "PublicAccessBlockConfiguration setting true: set "
                                                      "VpcConfiguration or block public access")


@pytest.mark.parametrize("properties", [
    {"Policy": {"Fn::If": ["C", AP_POLICY, {"Ref": "AWS::NoValue"}]}, "PublicAccessBlockConfiguration": {"Ref": "P"}},
    {"Policy": "a string", "VpcConfiguration": ["not", "a", "mapping"]},
    {"Bucket": {"Fn::Sub": "${Data}"}, "Policy": AP_POLICY},
    {"PublicAccessBlockConfiguration": {k: {"Fn::If": ["C", True, False]} for k in BLOCK_ALL}},
], ids=["fn-if", "wrong-types", "sub-bucket", "intrinsic-settings"])
def test_access_point_rule_never_raises_on_intrinsic_shapes(properties):
    assert PHI_ACCESS_POINT_PRIVATE.evaluate(access_point(**properties)).status in set(Status)


# The pack

def test_the_access_rules_are_in_the_omics_secure_pack_with_catalogued_controls():
    for rule in ACCESS_RULES:
        assert rule in OMICS_SECURE_PACK.rules
        for framework, ids in ((HIPAA, rule.controls.hipaa), (NIST_800_53, rule.controls.nist_800_53_r5),
                               (NIST_800_171, rule.controls.nist_800_171_r2), (DBGAP, rule.controls.dbgap)):
            assert ids and set(ids) <= CONTROL_IDS[framework], (rule.id, framework)
