"""The airlock rules on compliant, non-compliant and near-miss templates, as a template author writes them."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from omics_secure.compliance.controls import CONTROL_IDS
from omics_secure.compliance.model import Resource, Status
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.rules.airlock import (
    AIRLOCK_RULES,
    RELEASE_NOT_READABLE_FROM_INSIDE,
    REVIEWERS_NOT_REQUESTERS,
    STAGING_MALWARE_PROTECTED,
    STAGING_READS_HELD,
    WRITES_STAY_INSIDE,
)

C, NC, NA, CJ = Status.COMPLIANT, Status.NON_COMPLIANT, Status.NOT_APPLICABLE, Status.CANNOT_JUDGE
SCANNER = {"Fn::GetAtt": ["ScannerRole", "Arn"]}
OBJECTS = {"Fn::Join": ["", [{"Fn::GetAtt": ["Staging", "Arn"]}, "/*"]]}
READS = ["s3:GetObject", "s3:GetObjectVersion"]


def tags(**values: str) -> list[dict[str, str]]:
    return [{"Key": key.replace("_", "-") if key != "airlock" else "omics-secure:airlock", "Value": value}
            for key, value in values.items()]


def deny(sid: str, actions: list[str], condition: dict[str, Any]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": actions, "Resource": OBJECTS,
            "Condition": condition}


HOLD = deny("Hold", READS, {"StringNotEquals": {"s3:ExistingObjectTag/GuardDutyMalwareScanStatus": "NO_THREATS_FOUND"},
                            "ArnNotEquals": {"aws:PrincipalArn": [SCANNER]}})
TAG_GUARD = deny("Tags", ["s3:PutObjectTagging", "s3:PutObjectVersionTagging", "s3:DeleteObjectTagging"],
                 {"ArnNotEquals": {"aws:PrincipalArn": [SCANNER]}})
UPLOAD_GUARD = deny("Upload", ["s3:PutObject"], {"Null": {"s3:RequestObjectTagKeys": "false"}})


def staging_template(*policy: dict[str, Any], plan: dict[str, Any] | None = None) -> dict[str, Any]:
    template: dict[str, Any] = {
        "Staging": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [
            {"Key": "omics-secure:data-classification", "Value": "phi"},
            {"Key": "omics-secure:airlock", "Value": "egress-staging"}]}},
        "StagingPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {
            "Bucket": {"Ref": "Staging"}, "PolicyDocument": {"Statement": list(policy)}}},
        "ScannerRole": {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole",
             "Principal": {"Service": "malware-protection-plan.guardduty.amazonaws.com"}}]}}},
    }
    if plan is not None:
        template["Plan"] = {"Type": "AWS::GuardDuty::MalwareProtectionPlan", "Properties": plan}
    return template


PLAN = {"Role": SCANNER, "ProtectedResource": {"S3Bucket": {"BucketName": {"Ref": "Staging"}}},
        "Actions": {"Tagging": {"Status": "ENABLED"}}}


def judge(rule, template: dict[str, Any], logical_id: str) -> tuple[Status, str]:
    result = rule.evaluate(Resource.from_template(logical_id, template[logical_id], template))
    return result.status, result.detail


# AirlockStagingMalwareProtected

def test_a_staging_bucket_with_a_tagging_plan_is_protected():
    assert judge(STAGING_MALWARE_PROTECTED, staging_template(plan=PLAN), "Staging") == (C, "")


@pytest.mark.parametrize(("plan", "detail"), [
    (None, "no AWS::GuardDuty::MalwareProtectionPlan protects this staging bucket"),
    ({**PLAN, "Actions": {"Tagging": {"Status": "DISABLED"}}}, "does not tag scanned objects"),
    ({**PLAN, "Actions": {}}, "does not tag scanned objects (Actions.Tagging.Status is absent)"),
    ({**PLAN, "ProtectedResource": {"S3Bucket": {"BucketName": {"Ref": "Staging"}, "ObjectPrefixes": ["in/"]}}},
     "scans only the prefixes [in/]"),
    # Near miss: a plan on another bucket of the template.
    ({**PLAN, "ProtectedResource": {"S3Bucket": {"BucketName": {"Ref": "Other"}}}}, "no AWS::GuardDuty"),
], ids=["no-plan", "tagging-disabled", "no-actions", "prefixes", "other-bucket"])
def test_a_staging_bucket_without_a_whole_bucket_tagging_plan_is_not(plan, detail):
    template = staging_template(plan=plan)
    template["Other"] = {"Type": "AWS::S3::Bucket"}
    status, found = judge(STAGING_MALWARE_PROTECTED, template, "Staging")
    assert status is NC and detail in found


def test_a_plan_on_a_bucket_known_at_deploy_time_cannot_be_judged_and_other_buckets_are_not_staging():
    template = staging_template(plan={**PLAN, "ProtectedResource": {"S3Bucket": {"BucketName": {
        "Fn::ImportValue": "shared-bucket"}}}})
    assert judge(STAGING_MALWARE_PROTECTED, template, "Staging")[0] is CJ
    template["Staging"]["Properties"]["Tags"] = [{"Key": "omics-secure:airlock", "Value": "release"}]
    assert judge(STAGING_MALWARE_PROTECTED, template, "Staging")[0] is NA


def test_a_plan_can_name_the_bucket_by_its_literal_name():
    template = staging_template(plan={**PLAN, "ProtectedResource": {"S3Bucket": {"BucketName": "egress-staging-1"}}})
    template["Staging"]["Properties"]["BucketName"] = "egress-staging-1"
    assert judge(STAGING_MALWARE_PROTECTED, template, "Staging")[0] is C


# AirlockStagingReadsHeldUntilScanned

def test_reads_held_and_tags_guarded_is_compliant():
    assert judge(STAGING_READS_HELD, staging_template(HOLD, TAG_GUARD, UPLOAD_GUARD, plan=PLAN), "Staging") == (C, "")


@pytest.mark.parametrize(("change", "detail"), [
    (lambda p: p.pop(0), "no bucket-policy statement denies s3:GetObject"),
    # Near misses of the hold: Allow instead of Deny, StringEquals instead of StringNotEquals, a misspelt tag key,
    # one read action left out, another principal exempted, a narrowing condition.
    (lambda p: p[0].update(Effect="Allow"), "no bucket-policy statement denies"),
    (lambda p: p[0]["Condition"].update(StringEquals=p[0]["Condition"].pop("StringNotEquals")), "no bucket-policy"),
    (lambda p: p[0]["Condition"].update(StringNotEquals={"s3:ExistingObjectTag/GuardDutyScanStatus":
                                                         "NO_THREATS_FOUND"}), "no bucket-policy"),
    (lambda p: p[0].update(Action=["s3:GetObject"]), "no bucket-policy statement denies"),
    (lambda p: p[0]["Condition"]["ArnNotEquals"]["aws:PrincipalArn"].append("arn:aws:iam::111122223333:role/Ops"),
     "the hold exempts arn:aws:iam::111122223333:role/Ops"),
    (lambda p: p[0]["Condition"].update(Bool={"aws:SecureTransport": "false"}),
     "the hold applies only when Bool aws:SecureTransport also matches"),
    (lambda p: p.pop(1), "nothing stops other principals from tagging"),
    (lambda p: p[1].update(Action=["s3:PutObjectTagging"]), "nothing stops other principals from tagging"),
    (lambda p: p.pop(2), "an upload may carry its own tags"),
], ids=["no-hold", "allow", "string-equals", "tag-key", "one-action", "other-exempt", "narrowed", "no-tag-guard",
        "version-tagging", "no-upload-guard"])
def test_reads_not_held_or_tags_forgeable_is_non_compliant(change, detail):
    policy = copy.deepcopy([HOLD, TAG_GUARD, UPLOAD_GUARD])
    change(policy)
    status, found = judge(STAGING_READS_HELD, staging_template(*policy, plan=PLAN), "Staging")
    assert status is NC and detail in found


def test_wildcard_actions_in_the_hold_count():
    hold = {**HOLD, "Action": "s3:Get*"}
    assert judge(STAGING_READS_HELD, staging_template(hold, TAG_GUARD, UPLOAD_GUARD, plan=PLAN), "Staging")[0] is C


def test_the_scanner_may_be_exempted_with_arn_not_like_too():
    """ArnNotLike aws:PrincipalArn is an exemption like ArnNotEquals, on the hold and on the tag guard; whom it
    exempts is judged the same way."""
    like = {"ArnNotLike": {"aws:PrincipalArn": [SCANNER]}}
    hold = {**HOLD, "Condition": {"StringNotEquals": HOLD["Condition"]["StringNotEquals"], **like}}
    tag_guard = {**TAG_GUARD, "Condition": like}
    assert judge(STAGING_READS_HELD, staging_template(hold, tag_guard, UPLOAD_GUARD, plan=PLAN), "Staging") == (C, "")
    ops = {"ArnNotLike": {"aws:PrincipalArn": [SCANNER, "arn:aws:iam::111122223333:role/Ops*"]}}
    hold = {**HOLD, "Condition": {"StringNotEquals": HOLD["Condition"]["StringNotEquals"], **ops}}
    status, found = judge(STAGING_READS_HELD, staging_template(hold, tag_guard, UPLOAD_GUARD, plan=PLAN), "Staging")
    assert (status, found) == (NC, "the hold exempts arn:aws:iam::111122223333:role/Ops*, which is not the malware "
                                   "protection plan's role")


# AirlockReleaseNotReadableFromInside

def release_template(*roles: tuple[str, str, list[dict[str, Any]]], deny_vpc: bool = True) -> dict[str, Any]:
    release_objects = {"Fn::Join": ["", [{"Fn::GetAtt": ["Release", "Arn"]}, "/*"]]}
    template: dict[str, Any] = {
        "Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.0.0.0/16", "Tags": [
            {"Key": "omics-secure:isolated", "Value": "true"}]}},
        "Release": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [
            {"Key": "omics-secure:airlock", "Value": "release"}]}},
        "Data": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [
            {"Key": "omics-secure:data-classification", "Value": "phi"}]}},
        "ReleasePolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {"Bucket": {"Ref": "Release"},
                                                                          "PolicyDocument": {"Statement": [
            {"Effect": "Deny", "Principal": {"AWS": "*"}, "Action": "s3:GetObject*",
             "Resource": release_objects, "Condition": {"StringEquals": {"aws:SourceVpc": {"Ref": "Vpc"}}}}]
            if deny_vpc else [{"Effect": "Deny", "Principal": "*", "Action": "s3:*", "Resource": release_objects,
                               "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]}}},
    }
    for name, principal, grants in roles:
        kind = "Service" if principal.endswith(".amazonaws.com") else "AWS"
        template[name] = {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [
            {"Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {kind: principal}}]}}}
        template[f"{name}Policy"] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
            "Roles": [{"Ref": name}], "PolicyDocument": {"Statement": grants}}}
    return template


def read(bucket: str, action: str = "s3:GetObject") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action,
            "Resource": {"Fn::Join": ["", [{"Fn::GetAtt": [bucket, "Arn"]}, "/released/*"]]}}


def test_a_release_bucket_read_only_from_outside_is_compliant():
    template = release_template(("Collector", "arn:aws:iam::111122223333:role/PI", [read("Release")]),
                                ("Pipeline", "ecs-tasks.amazonaws.com", [read("Data")]))
    assert judge(RELEASE_NOT_READABLE_FROM_INSIDE, template, "Release") == (C, "")


@pytest.mark.parametrize(("roles", "detail"), [
    ((("Pipeline", "ecs-tasks.amazonaws.com", [read("Data"), read("Release")]),), "Pipeline"),
    ((("Analyst", "arn:aws:iam::111122223333:role/Analyst", [read("Data"), read("Release")]),), "Analyst"),
    ((("Pipeline", "batch.amazonaws.com", [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]),), "Pipeline"),
    ((("Pipeline", "lambda.amazonaws.com", [read("Release", "s3:Get*")]),), "Pipeline"),
], ids=["compute", "people-inside", "everything", "wildcard-action"])
def test_a_release_bucket_readable_by_a_role_inside_is_non_compliant(roles, detail):
    status, found = judge(RELEASE_NOT_READABLE_FROM_INSIDE, release_template(*roles), "Release")
    assert status is NC and detail in found and found.startswith("role(s) inside the environment may read it")


def test_a_release_bucket_without_the_vpc_deny_is_non_compliant():
    status, found = judge(RELEASE_NOT_READABLE_FROM_INSIDE, release_template(deny_vpc=False), "Release")
    assert status is NC and "does not deny s3:GetObject to requests from the isolated VPC" in found


def test_the_vpc_deny_must_name_the_isolated_vpc():
    template = release_template()
    template["Other"] = {"Type": "AWS::EC2::VPC", "Properties": {"CidrBlock": "10.9.0.0/16"}}
    template["ReleasePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]["Condition"] = {
        "StringEquals": {"aws:SourceVpc": {"Ref": "Other"}}}
    assert judge(RELEASE_NOT_READABLE_FROM_INSIDE, template, "Release")[0] is NC
    template["Endpoint"] = {"Type": "AWS::EC2::VPCEndpoint", "Properties": {"VpcId": {"Ref": "Vpc"},
                                                                           "ServiceName": "com.amazonaws.s3"}}
    template["ReleasePolicy"]["Properties"]["PolicyDocument"]["Statement"][0]["Condition"] = {
        "StringEquals": {"aws:SourceVpce": {"Ref": "Endpoint"}}}
    assert judge(RELEASE_NOT_READABLE_FROM_INSIDE, template, "Release")[0] is C


# AirlockReviewersNotRequesters

SSO = "arn:aws:iam::111122223333:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_{}_*"


def people(permission_set: str, *grants: dict[str, Any], role_tag: str | None = None) -> dict[str, Any]:
    properties: dict[str, Any] = {"AssumeRolePolicyDocument": {"Statement": [{
        "Effect": "Allow", "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Principal": {"AWS": {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, ":iam::111122223333:root"]]}},
        "Condition": {"ArnLike": {"aws:PrincipalArn": SSO.format(permission_set)}}}]}}
    if role_tag:
        properties["Tags"] = [{"Key": "omics-secure:airlock-role", "Value": role_tag}]
    return {"Type": "AWS::IAM::Role", "Properties": properties}


def invoke(function: str) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": "lambda:InvokeFunction", "Resource": {"Fn::GetAtt": [function, "Arn"]}}


def separation_template(reviewer: dict[str, Any], requester: dict[str, Any], reviewer_grants: list[Any],
                        requester_grants: list[Any]) -> dict[str, Any]:
    template: dict[str, Any] = {"Reviewer": reviewer, "Requester": requester}
    for name, kind in (("Submit", "submit"), ("Decide", "decide")):
        template[name] = {"Type": "AWS::Lambda::Function", "Properties": {
            "FunctionName": f"airlock-{kind}", "Tags": [{"Key": "omics-secure:airlock-function", "Value": kind}]}}
    for role, grants in (("Reviewer", reviewer_grants), ("Requester", requester_grants)):
        template[f"{role}Policy"] = {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
            "Roles": [{"Ref": role}], "PolicyDocument": {"Statement": grants}}}
    return template


def test_reviewers_and_requesters_of_different_permission_sets_are_compliant():
    template = separation_template(people("DataSteward"), people("Researcher"), [invoke("Decide")], [invoke("Submit")])
    assert judge(REVIEWERS_NOT_REQUESTERS, template, "Reviewer") == (C, "")
    assert judge(REVIEWERS_NOT_REQUESTERS, template, "Requester")[0] is NA


def test_a_role_that_can_submit_and_decide_is_non_compliant():
    literal = {"Effect": "Allow", "Action": "lambda:InvokeFunction",
               "Resource": "arn:aws:lambda:us-east-1:111122223333:function:airlock-submit"}
    template = separation_template(people("DataSteward"), people("Researcher"), [invoke("Decide"), literal],
                                   [invoke("Submit")])
    status, detail = judge(REVIEWERS_NOT_REQUESTERS, template, "Reviewer")
    assert status is NC and "both submit airlock requests and review them" in detail


def test_a_reviewer_role_admitting_the_requesters_permission_set_is_non_compliant():
    template = separation_template(people("Researcher"), people("Researcher"), [invoke("Decide")], [invoke("Submit")])
    status, detail = judge(REVIEWERS_NOT_REQUESTERS, template, "Reviewer")
    assert status is NC and "requester role Requester admits the same people" in detail
    assert "AWSReservedSSO_Researcher_*" in detail


def test_roles_are_known_by_their_tags_too():
    template = separation_template(people("Researcher", role_tag="reviewer"),
                                   people("Researcher", role_tag="requester"), [], [])
    assert judge(REVIEWERS_NOT_REQUESTERS, template, "Reviewer")[0] is NC
    # Near miss: a wildcard invoke of every function is both duties.
    everything = {"Effect": "Allow", "Action": "lambda:*", "Resource": "*"}
    template = separation_template(people("DataSteward"), people("Researcher"), [everything], [invoke("Submit")])
    assert "both submit" in judge(REVIEWERS_NOT_REQUESTERS, template, "Reviewer")[1]


SAML = "arn:aws:iam::111122223333:saml-provider/Campus"


def federated(operator: str, subjects: Any) -> dict[str, Any]:
    return {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [{
        "Effect": "Allow", "Action": "sts:AssumeRoleWithSAML", "Principal": {"Federated": SAML},
        "Condition": {operator: {"SAML:aud": "https://signin.aws.amazon.com/saml", "SAML:sub": subjects}}}]}}}


@pytest.mark.parametrize("operator", ["StringEquals", "StringLike"])
def test_a_reviewer_role_admitting_a_requesters_federated_subject_is_non_compliant(operator):
    """Federated people are told apart by their provider and subject (SAML:sub, an OIDC provider's :sub)."""
    template = separation_template(federated(operator, ["ana", "ben"]), federated(operator, "ben"),
                                   [invoke("Decide")], [invoke("Submit")])
    status, found = judge(REVIEWERS_NOT_REQUESTERS, template, "Reviewer")
    assert (status, found) == (NC, f"requester role Requester admits the same people: {SAML} ben")
    # Near miss: different subjects of the same provider are different people.
    template = separation_template(federated(operator, "ana"), federated(operator, "ben"),
                                   [invoke("Decide")], [invoke("Submit")])
    assert judge(REVIEWERS_NOT_REQUESTERS, template, "Reviewer") == (C, "")


def test_a_reviewer_role_admitting_a_requesters_principal_by_arn_equals_is_non_compliant():
    ana = "arn:aws:iam::111122223333:user/ana"

    def narrowed(*arns: str) -> dict[str, Any]:
        return {"Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
            "Condition": {"ArnEquals": {"aws:PrincipalArn": list(arns)}}}]}}}

    template = separation_template(narrowed(ana, "arn:aws:iam::111122223333:user/ben"), narrowed(ana),
                                   [invoke("Decide")], [invoke("Submit")])
    assert judge(REVIEWERS_NOT_REQUESTERS, template, "Reviewer") == (
        NC, f"requester role Requester admits the same people: {ana}")
    template = separation_template(narrowed("arn:aws:iam::111122223333:user/ben"), narrowed(ana),
                                   [invoke("Decide")], [invoke("Submit")])
    assert judge(REVIEWERS_NOT_REQUESTERS, template, "Reviewer") == (C, "")


# IsolatedEnvironmentWritesStayInside

def write(resource: Any, action: Any = "s3:PutObject") -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource}


def writes_template(role_principal: str, *grants: dict[str, Any], isolated: bool = True,
                    role_tag: str | None = None) -> dict[str, Any]:
    template = release_template(("Worker", role_principal, list(grants)))
    if not isolated:
        template["Vpc"]["Properties"]["Tags"] = []
    if role_tag:
        template["Worker"]["Properties"]["Tags"] = [{"Key": "omics-secure:airlock-role", "Value": role_tag}]
    template["Staging"] = {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [
        {"Key": "omics-secure:airlock", "Value": "egress-staging"}]}}
    return template


@pytest.mark.parametrize("grant", [
    write({"Fn::Join": ["", [{"Fn::GetAtt": ["Data", "Arn"]}, "/results/*"]]}),
    write({"Fn::Sub": "${Staging.Arn}/requests/*"}, ["s3:PutObject", "s3:AbortMultipartUpload"]),
    write("*", "s3:GetObject"),
    write({"Fn::GetAtt": ["Key", "Arn"]}, "*"),
], ids=["phi-bucket", "staging", "reads-only", "not-a-bucket"])
def test_writes_to_the_environments_own_buckets_are_compliant(grant):
    template = writes_template("ecs-tasks.amazonaws.com", grant)
    template["Key"] = {"Type": "AWS::KMS::Key", "Properties": {}}
    assert judge(WRITES_STAY_INSIDE, template, "Worker") == (C, "")


@pytest.mark.parametrize(("principal", "grant", "detail"), [
    ("ecs-tasks.amazonaws.com", write("*"), "allows s3:PutObject on *: every bucket, those outside"),
    ("arn:aws:iam::111122223333:role/Analyst", write("arn:aws:s3:::*/*", "s3:Put*"), "every bucket"),
    ("omics.amazonaws.com", write("arn:aws:s3:::*-drop/*"), "on arn:aws:s3:::*-drop/*: every bucket"),
    ("lambda.amazonaws.com", write({"Fn::Join": ["", [{"Fn::GetAtt": ["Release", "Arn"]}, "/*"]]}),
     "on the airlock's release bucket Release"),
    ("ec2.amazonaws.com", {"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, "NotAction"),
    ("ec2.amazonaws.com", {"Effect": "Allow", "Action": "s3:*", "NotResource": "arn:aws:s3:::x"}, "NotResource"),
], ids=["everywhere", "pattern", "name-pattern", "release", "not-action", "not-resource"])
def test_writes_outside_the_environment_are_non_compliant(principal, grant, detail):
    status, found = judge(WRITES_STAY_INSIDE, writes_template(principal, grant), "Worker")
    assert status is NC and detail in found


def test_a_bucket_the_template_does_not_hold_cannot_be_placed():
    """A named or imported bucket may be the environment's own, in another stack: a warning, never a pass."""
    status, found = judge(WRITES_STAY_INSIDE, writes_template(
        "omics.amazonaws.com", write("arn:aws:s3:::collaborator-drop/*")), "Worker")
    assert status is CJ and "arn:aws:s3:::collaborator-drop/*" in found and "does not hold" in found
    # Near miss: the same name given to a bucket of the template is inside.
    template = writes_template("omics.amazonaws.com", write("arn:aws:s3:::collaborator-drop/*"))
    template["Data"]["Properties"]["BucketName"] = "collaborator-drop"
    assert judge(WRITES_STAY_INSIDE, template, "Worker")[0] is C
    # A definite way out outweighs one that cannot be placed.
    both = writes_template("omics.amazonaws.com", write("arn:aws:s3:::collaborator-drop/*"), write("*"))
    assert judge(WRITES_STAY_INSIDE, both, "Worker")[0] is NC


def test_only_the_airlock_workflow_writes_to_the_release_bucket():
    to_release = write({"Fn::Join": ["", [{"Fn::GetAtt": ["Release", "Arn"]}, "/released/*"]]})
    assert judge(WRITES_STAY_INSIDE, writes_template("lambda.amazonaws.com", to_release, role_tag="workflow"),
                 "Worker")[0] is C


def test_writes_rules_apply_to_isolated_environments_and_their_compute_and_people_roles_only():
    assert judge(WRITES_STAY_INSIDE, writes_template("ecs-tasks.amazonaws.com", write("*"), isolated=False),
                 "Worker")[0] is NA
    assert judge(WRITES_STAY_INSIDE, writes_template("backup.amazonaws.com", write("*")), "Worker")[0] is NA


def test_a_write_to_a_bucket_named_at_deploy_time_cannot_be_judged():
    grant = write({"Fn::Sub": "arn:aws:s3:::${Imported}/*"})
    template = writes_template("ecs-tasks.amazonaws.com", grant)
    template["Worker"]["Properties"]["AssumeRolePolicyDocument"]["Statement"][0]["Principal"] = {
        "Service": "ecs-tasks.amazonaws.com"}
    template["Parameters"] = {}
    resource = Resource.from_template("Worker", template["Worker"], {
        **template, "WorkerPolicy": {"Type": "AWS::IAM::ManagedPolicy", "Properties": {
            "Roles": [{"Ref": "Worker"}], "PolicyDocument": {"Statement": [
                write({"Fn::Join": ["", ["arn:aws:s3:::", {"Fn::ImportValue": "drop-bucket"}, "/*"]]})]}}}})
    verdict = WRITES_STAY_INSIDE.evaluate(resource)
    assert verdict.status is CJ
    assert verdict.detail.startswith("a policy resource is !Sub") and "known only at deploy time" in verdict.detail


def with_doors(template: dict[str, Any]) -> dict[str, Any]:
    """``template`` with the release bucket named release-drop and two access points on it: one by Ref, one by
    the bucket's name."""
    template["Release"]["Properties"]["BucketName"] = "release-drop"
    template["ReleaseDoor"] = {"Type": "AWS::S3::AccessPoint", "Properties": {"Bucket": {"Ref": "Release"}}}
    template["NamedDoor"] = {"Type": "AWS::S3::AccessPoint", "Properties": {"Bucket": "release-drop"}}
    return template


@pytest.mark.parametrize("door", ["ReleaseDoor", "NamedDoor"], ids=["bucket-by-ref", "bucket-by-name"])
def test_a_write_through_an_access_point_lands_in_its_bucket(door):
    """An access point is a second door to its bucket: writing through one on the release bucket is writing to the
    release bucket, whether the access point names the bucket by Ref or by its literal name."""
    template = with_doors(writes_template("lambda.amazonaws.com", write({"Fn::GetAtt": [door, "Arn"]})))
    status, found = judge(WRITES_STAY_INSIDE, template, "Worker")
    assert status is NC
    assert found == ("WorkerPolicy allows s3:PutObject on the airlock's release bucket Release; only the airlock's "
                     "release function writes there, after review")
    # Near miss: an access point on the environment's own data bucket is inside.
    template["ReleaseDoor"]["Properties"]["Bucket"] = {"Ref": "Data"}
    template["NamedDoor"]["Properties"]["Bucket"] = {"Ref": "Data"}
    assert judge(WRITES_STAY_INSIDE, template, "Worker") == (C, "")


@pytest.mark.parametrize("objects", [
    {"Fn::Sub": "${ReleaseDoor.Arn}/object/*"},
    {"Fn::Join": ["", [{"Fn::GetAtt": ["NamedDoor", "Arn"]}, "/object/outbox/*"]]},
], ids=["sub", "join"])
def test_objects_through_an_access_point_are_in_its_bucket(objects):
    """IAM names the objects of an access point as <access point ARN>/object/<key>: the form a policy must use to
    write or read through it."""
    template = with_doors(writes_template("lambda.amazonaws.com", write(objects)))
    status, found = judge(WRITES_STAY_INSIDE, template, "Worker")
    assert status is NC and found.startswith("WorkerPolicy allows s3:PutObject on the airlock's release bucket Release")
    reader = with_doors(release_template(("Pipeline", "ecs-tasks.amazonaws.com", [
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": objects}])))
    assert judge(RELEASE_NOT_READABLE_FROM_INSIDE, reader, "Release") == (
        NC, "role(s) inside the environment may read it: Pipeline")


@pytest.mark.parametrize(("arn", "found"), [
    ("arn:aws:s3:us-east-1:111122223333:accesspoint/*/object/*", "WorkerPolicy allows s3:PutObject on "
     "arn:aws:s3:us-east-1:111122223333:accesspoint/*/object/*: every bucket, those outside this environment"),
    ("arn:aws:s3:us-east-1:111122223333:accesspoint/release-door/object/outbox/*",
     "WorkerPolicy allows s3:PutObject on the airlock's release bucket Release"),
], ids=["any-access-point", "named-access-point"])
def test_access_point_arns_written_out_reach_their_buckets(arn, found):
    """An access point ARN written as text (not a GetAtt) still opens its bucket: a wildcard name any bucket with
    an access point, a name of the template's access points that one's bucket."""
    template = with_doors(writes_template("lambda.amazonaws.com", write(arn)))
    template["ReleaseDoor"]["Properties"]["Name"] = "release-door"
    status, detail = judge(WRITES_STAY_INSIDE, template, "Worker")
    assert status is NC and detail.startswith(found), detail
    # Near miss: the named access point is on the environment's own data bucket.
    template["ReleaseDoor"]["Properties"]["Bucket"] = {"Ref": "Data"}
    template["NamedDoor"]["Properties"]["Bucket"] = {"Ref": "Data"}
    if "release-door" in arn:
        assert judge(WRITES_STAY_INSIDE, template, "Worker") == (C, "")


@pytest.mark.parametrize("resource", [{"Fn::GetAtt": ["Gone", "Arn"]}, {"Ref": "Gone"}], ids=["get-att", "ref"])
def test_a_write_to_a_resource_the_template_does_not_hold_cannot_be_judged(resource):
    status, found = judge(WRITES_STAY_INSIDE, writes_template("ecs-tasks.amazonaws.com", write(resource)), "Worker")
    assert status is CJ
    assert found.startswith("a policy resource is !") and "Gone" in found and "known only at deploy time" in found


@pytest.mark.parametrize("policy", ["AmazonS3FullAccess", "AdministratorAccess"])
def test_a_broad_aws_managed_policy_writes_anywhere(policy):
    template = writes_template("ecs-tasks.amazonaws.com", write({"Fn::Sub": "${Data.Arn}/results/*"}))
    template["Worker"]["Properties"]["ManagedPolicyArns"] = [
        {"Fn::Join": ["", ["arn:", {"Ref": "AWS::Partition"}, f":iam::aws:policy/{policy}"]]}]
    status, found = judge(WRITES_STAY_INSIDE, template, "Worker")
    assert (status, found) == (NC, f"the AWS managed policy {policy} allows writing to any bucket")
    # Near miss: a customer-managed policy of the same name is not AWS's.
    template["Worker"]["Properties"]["ManagedPolicyArns"] = [f"arn:aws:iam::111122223333:policy/{policy}"]
    assert judge(WRITES_STAY_INSIDE, template, "Worker") == (C, "")


def test_every_airlock_rule_is_in_the_pack_with_catalogued_controls():
    assert set(AIRLOCK_RULES) <= set(OMICS_SECURE_PACK.rules)
    for rule in AIRLOCK_RULES:
        ids = {*rule.controls.hipaa, *rule.controls.nist_800_53_r5, *rule.controls.nist_800_171_r2,
               *rule.controls.nist_800_171_r3}
        catalogued = set().union(*CONTROL_IDS.values())
        assert ids <= catalogued, ids - catalogued


# The rules on the shapes templates give them: conditions, parameters with and without defaults, Fn::Sub.

def _isolated(resources: dict[str, Any]) -> dict[str, Any]:
    return {"Vpc": {"Type": "AWS::EC2::VPC", "Properties": {"Tags": [{"Key": "omics-secure:isolated",
                                                                       "Value": "true"}]}}, **resources}


def _renamed(template: dict[str, Any], old: str) -> dict[str, Any]:
    """``template`` with resource ``old`` named R, as the intrinsics table judges it."""
    renamed: dict[str, Any] = json.loads(json.dumps(template).replace(f'"{old}"', '"R"'))
    return renamed


def _staging_as_r(plan: dict[str, Any] | None = None, *policy: dict[str, Any]) -> dict[str, Any]:
    return _renamed(staging_template(*policy, plan=plan), "Staging")


def _writer(resource: Any) -> dict[str, Any]:
    """A task role of an isolated environment, with an inline policy writing to ``resource``."""
    statement = {"Effect": "Allow", "Action": "s3:PutObject", "Resource": resource}
    return _isolated({"Data": {"Type": "AWS::S3::Bucket"}, "R": {"Type": "AWS::IAM::Role", "Properties": {
        "AssumeRolePolicyDocument": {"Statement": [{"Effect": "Allow", "Action": "sts:AssumeRole",
                                                    "Principal": {"Service": "ecs-tasks.amazonaws.com"}}]},
        "Policies": [{"PolicyName": "p", "PolicyDocument": {"Statement": [statement]}}]}}})


INTRINSIC_CASES = [
    (STAGING_MALWARE_PROTECTED, _staging_as_r({**PLAN, "Actions": {"Tagging": {"Status": {
        "Fn::If": ["Free", "ENABLED", "DISABLED"]}}}}), NC,
     "when condition Free is false: the malware protection plan does not tag"),
    (STAGING_MALWARE_PROTECTED, _staging_as_r({**PLAN, "ProtectedResource": {"S3Bucket": {
        "BucketName": {"Ref": "NoDefault"}}}}), CJ, "known only at deploy time"),
    (STAGING_READS_HELD, _staging_as_r(PLAN, {**HOLD, "Effect": {"Fn::If": ["Free", "Deny", "Allow"]}}, TAG_GUARD,
                                       UPLOAD_GUARD), NC, "when condition Free is false: no bucket-policy statement"),
    # Env defaults to dev (IsProd false: the guard holds); any other value may be prod, which inverts it.
    (STAGING_READS_HELD, _staging_as_r(PLAN, HOLD, TAG_GUARD, {**UPLOAD_GUARD, "Condition": {
        "Null": {"s3:RequestObjectTagKeys": {"Fn::If": ["IsProd", "true", "false"]}}}}), NC,
     "when Env is not dev and condition IsProd is true: an upload may carry its own tags"),
    (WRITES_STAY_INSIDE, _writer({"Fn::Sub": "arn:aws:s3:::${Env}-drop/*"}), CJ,
     "s3:PutObject on arn:aws:s3:::dev-drop/*"),
    (WRITES_STAY_INSIDE, _writer({"Fn::If": ["Free", {"Fn::Sub": "${Data.Arn}/out/*"}, "*"]}), NC,
     "when condition Free is false"),
    (WRITES_STAY_INSIDE, _writer({"Fn::Sub": "arn:aws:s3:::${NoDefault}/*"}), CJ, "known only at deploy time"),
    (RELEASE_NOT_READABLE_FROM_INSIDE, json.loads(json.dumps(_renamed(release_template(), "Release")).replace(
        '"aws:SourceVpc": {"Ref": "Vpc"}', '"aws:SourceVpc": {"Fn::If": ["Free", {"Ref": "Vpc"}, "vpc-elsewhere"]}')),
     NC,
     "when condition Free is false: its bucket policy does not deny"),
    (REVIEWERS_NOT_REQUESTERS, {**separation_template(people("Researcher"), people("Researcher"),
                                                      [invoke("Decide")], [invoke("Submit")]), "R": {
        "Type": "AWS::IAM::Role", "Properties": {"AssumeRolePolicyDocument": {"Statement": [{
            "Effect": "Allow", "Action": "sts:AssumeRole", "Principal": {"AWS": {"Fn::Sub": "arn:aws:iam::111122223333:"
                                                                                           "role/${Env}-steward"}}}]},
            "Tags": [{"Key": "omics-secure:airlock-role", "Value": {"Fn::If": ["Free", "reviewer", "requester"]}}]}}},
     C, ""),
]


@pytest.mark.parametrize(("rule", "resources", "status", "detail"), INTRINSIC_CASES,
                         ids=[f"{case[0].id}-{index}" for index, case in enumerate(INTRINSIC_CASES)])
def test_airlock_rules_on_template_shapes(rule, resources, status, detail):
    from tests.compliance.test_rules_intrinsics import judge_in

    verdict = judge_in(rule, resources)
    assert verdict.status is status, verdict.detail
    assert detail in verdict.detail


def test_the_hand_written_environment_names_what_leaves():
    from pathlib import Path

    from omics_secure.compliance.engine import judge as engine_judge
    from omics_secure.compliance.model import TemplateIndex
    from omics_secure.inputs.templates import load_template
    from omics_secure.inputs.values import TemplateValues
    from tests.compliance.test_corpus import CORPUS, RULES

    stack = load_template(Path(CORPUS) / "airlock-environment.yaml", {"Stage": "prod"})
    index, values = TemplateIndex(stack.resources), TemplateValues(stack.template, stack.parameters)

    def detail(logical_id: str, rule: str) -> tuple[Status, str]:
        verdict = engine_judge(RULES[rule], Resource.from_template(logical_id, stack.resources[logical_id],
                                                                   stack.resources, index, values))
        return verdict.status, verdict.detail

    assert detail("Staging", "AirlockStagingMalwareProtected") == (C, "")  # tagging ENABLED in prod
    status, found = detail("TaskRole", "IsolatedEnvironmentWritesStayInside")
    assert status is CJ and "s3:PutObject on !Sub" in found and ":s3:::partner-drop-bucket/outbox/*" in found
    assert detail("Exporter", "IsolatedEnvironmentWritesStayInside")[0] is C  # in prod it writes to staging
    assert "an upload may carry its own tags" in detail("Staging", "AirlockStagingReadsHeldUntilScanned")[1]


def test_the_report_section_states_a_hand_written_airlocks_gaps():
    from pathlib import Path

    from omics_secure.compliance.airlock_report import airlock_section
    from omics_secure.compliance.names import Names
    from omics_secure.inputs.templates import load_template
    from tests.compliance.test_corpus import CORPUS

    stack = load_template(Path(CORPUS) / "airlock-environment.yaml")
    section = airlock_section([stack], Names([stack]))
    assert section is not None
    ((_, direction, _, scanned, held, _),) = section.tables[0].rows
    assert direction == "egress (out of it)"
    assert scanned.startswith("NOT PROTECTED: when Stage is dev: the malware protection plan")
    assert held.startswith("ALLOWED: an upload may carry its own tags")
    assert section.paragraphs[1].startswith(
        f"FINDINGS: IsolatedEnvironmentWritesStayInside on {Path(CORPUS) / 'airlock-environment.yaml'}/Exporter")
    assert airlock_section([load_template(Path(CORPUS) / "vpc-isolated.yaml")], Names([])) is None
