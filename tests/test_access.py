"""Approved access for people: every trust and policy condition, the expiry warnings, every error."""

from __future__ import annotations

import datetime
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Annotations, Match, Template

from omics_secure import (
    AccessLevel,
    AccessLogBucket,
    ApprovedAccess,
    CollaboratorAccess,
    FhirDatastore,
    IsolatedVpc,
    OmicsSecureConfigError,
    PhiBucket,
    PhiKey,
    PhiReplicaBucket,
    ReferenceStore,
    Researchers,
    SequenceStore,
)
from omics_secure.compliance.model import Resource, Status
from omics_secure.compliance.rules.access import PEOPLE_ROLE_MFA_AND_EXPIRY, PHI_ACCESS_POINT_PRIVATE
from tests.harness import ACCOUNT, REGION, REPLICA_REGION, make_app

TODAY = datetime.datetime.now(datetime.UTC).date()
ENDS = TODAY + datetime.timedelta(days=365)
CLOSE_OUT = TODAY + datetime.timedelta(days=730)
EXPIRY = {"DateLessThan": {"aws:CurrentTime": f"{ENDS.isoformat()}T00:00:00Z"}}
COLLABORATOR = "444455556666"
SAML_XML = "<EntityDescriptor>" + "x" * 1000 + "</EntityDescriptor>"


def resources(stack: cdk.Stack, type_: str) -> dict[str, Any]:
    return Template.from_stack(stack).find_resources(type_)


def only(stack: cdk.Stack, type_: str) -> dict[str, Any]:
    (body,) = resources(stack, type_).values()
    return body


def approval_role(stack: cdk.Stack) -> dict[str, Any]:
    (body,) = [body for body in resources(stack, "AWS::IAM::Role").values()
               if "approved access" in body["Properties"].get("Description", "")]
    return body


def trust_statement(stack: cdk.Stack) -> dict[str, Any]:
    (statement,) = approval_role(stack)["Properties"]["AssumeRolePolicyDocument"]["Statement"]
    return statement


def policy_statements(stack: cdk.Stack, description: str) -> list[dict[str, Any]]:
    return [statement for body in resources(stack, "AWS::IAM::ManagedPolicy").values()
            if description in body["Properties"].get("Description", "")
            for statement in body["Properties"]["PolicyDocument"]["Statement"]]


def warnings(stack: cdk.Stack) -> list[str]:
    return [str(w.entry.data) for w in Annotations.from_stack(stack).find_warning("*", Match.any_value())]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


@pytest.fixture
def data(stack: cdk.Stack) -> PhiBucket:
    return PhiBucket(stack, "Data", key=PhiKey(stack, "Key"), data_use_end_date=CLOSE_OUT)


def approve(stack: cdk.Stack, data: PhiBucket, **props: Any) -> ApprovedAccess:
    defaults: dict[str, Any] = {"approval_id": "phs000123.v1.p1", "researchers": Researchers.account_principals(),
                                "ends": ENDS, "buckets": [data], "prefix": "cohort-a/"}
    return ApprovedAccess(stack, "Study", **{**defaults, **props})


# Who: trust policies

def test_account_principals_need_mfa_the_session_tag_and_end_at_the_duc_date(stack, data):
    approve(stack, data, researchers=Researchers.account_principals(
        [f"arn:aws:iam::{ACCOUNT}:role/Analyst"]))
    assert trust_statement(stack) == {
        "Effect": "Allow",
        "Principal": {"AWS": f"arn:aws:iam::{ACCOUNT}:root"},
        "Action": ["sts:AssumeRole", "sts:TagSession"],
        "Condition": {
            **EXPIRY,
            "StringEquals": {"aws:RequestTag/omics-secure:approval-id": "phs000123.v1.p1"},
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
            "ArnEquals": {"aws:PrincipalArn": [f"arn:aws:iam::{ACCOUNT}:role/Analyst"]},
        },
    }


def test_saml_federation_trusts_the_provider_for_the_sign_in_audience(stack, data):
    provider = iam.SamlProvider(stack, "Campus", metadata_document=iam.SamlMetadataDocument.from_xml(SAML_XML))
    approve(stack, data, researchers=Researchers.saml_provider(provider))
    statement = trust_statement(stack)
    assert statement["Principal"] == {"Federated": {"Ref": stack.get_logical_id(provider.node.default_child)}}
    assert statement["Action"] == ["sts:AssumeRoleWithSAML", "sts:TagSession"]
    assert statement["Condition"] == {**EXPIRY, "StringEquals": {
        "aws:RequestTag/omics-secure:approval-id": "phs000123.v1.p1",
        "SAML:aud": "https://signin.aws.amazon.com/saml"}}


def test_oidc_federation_pins_audience_and_approved_subjects(stack, data):
    provider = iam.OpenIdConnectProvider(stack, "Login", url="https://login.example.edu", client_ids=["genomics"])
    approve(stack, data, researchers=Researchers.oidc_provider(
        provider, issuer="login.example.edu", audience="genomics", subjects=["group:study42:*"]))
    statement = trust_statement(stack)
    assert statement["Action"] == ["sts:AssumeRoleWithWebIdentity", "sts:TagSession"]
    assert statement["Condition"]["StringEquals"]["login.example.edu:aud"] == "genomics"
    assert statement["Condition"]["StringLike"] == {"login.example.edu:sub": ["group:study42:*"]}
    assert statement["Condition"]["DateLessThan"] == EXPIRY["DateLessThan"]


SSO_PATH = f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/"


def test_identity_center_admits_only_the_permission_sets_roles_in_any_instance_region(stack, data):
    # Identity Center puts its region in the role path (.../sso.amazonaws.com/<region>/AWSReservedSSO_...);
    # roles of older instances have none. Without the region segment nobody outside us-east-1 gets in.
    approve(stack, data, researchers=Researchers.identity_center("GenomicsResearcher"))
    condition = trust_statement(stack)["Condition"]
    assert condition["ArnLike"] == {"aws:PrincipalArn": [
        f"{SSO_PATH}*/AWSReservedSSO_GenomicsResearcher_*", f"{SSO_PATH}AWSReservedSSO_GenomicsResearcher_*"]}
    assert "Bool" not in condition and condition["DateLessThan"] == EXPIRY["DateLessThan"]


def test_identity_center_region_narrows_the_role_path_to_that_instance(stack, data):
    approve(stack, data, researchers=Researchers.identity_center("GenomicsResearcher", region="eu-west-2"))
    assert trust_statement(stack)["Condition"]["ArnLike"] == {"aws:PrincipalArn": [
        f"{SSO_PATH}eu-west-2/AWSReservedSSO_GenomicsResearcher_*", f"{SSO_PATH}AWSReservedSSO_GenomicsResearcher_*"]}


@pytest.mark.parametrize("region", ["eu-west-2/", "Europe", "", "*"])
def test_identity_center_region_must_be_a_region_name(stack, data, region):
    with pytest.raises(OmicsSecureConfigError, match=r"researchers\.region=.*IAM Identity Center instance"):
        approve(stack, data, researchers=Researchers.identity_center("GenomicsResearcher", region=region))


def test_role_carries_the_approval_tags_a_one_hour_cap_and_its_boundary(stack, data):
    approve(stack, data)
    properties = approval_role(stack)["Properties"]
    assert properties["MaxSessionDuration"] == 3600
    assert {"Key": "omics-secure:approval-id", "Value": "phs000123.v1.p1"} in properties["Tags"]
    assert {"Key": "omics-secure:approval-ends", "Value": ENDS.isoformat()} in properties["Tags"]
    boundary = [logical for logical, body in resources(stack, "AWS::IAM::ManagedPolicy").items()
                if "permissions boundary" in body["Properties"]["Description"]]
    assert properties["PermissionsBoundary"] == {"Ref": boundary[0]}


def test_session_duration_is_configurable_within_iams_ceiling(stack, data):
    approve(stack, data, max_session_duration=cdk.Duration.hours(4))
    assert approval_role(stack)["Properties"]["MaxSessionDuration"] == 4 * 3600


# What: policy and boundary

def test_every_allow_statement_ends_at_the_duc_date_and_is_pinned_to_the_region(stack, data):
    sequences = SequenceStore(stack, "Reads", key=data.key, access_logs=data.access_logs)
    references = ReferenceStore(stack, "Refs", key=data.key)
    fhir = FhirDatastore(stack, "Fhir", key=data.key)
    approve(stack, data, access=AccessLevel.READ_WRITE_RESULTS, sequence_stores=[sequences],
            reference_stores=[references], fhir_datastores=[fhir])
    for description in ("approved access", "permissions boundary"):
        allows = [s for s in policy_statements(stack, description) if s["Effect"] == "Allow"]
        assert len(allows) >= 8
        for statement in allows:
            assert statement["Condition"]["DateLessThan"] == EXPIRY["DateLessThan"], statement
            assert statement["Condition"]["StringEquals"]["aws:RequestedRegion"] == [REGION], statement
            assert not any("*" in action or "Delete" in action or "Policy" in action or "Acl" in action
                           for action in as_list(statement["Action"])), statement
    keys = [s for s in policy_statements(stack, "approved access") if as_list(s["Action"])[0].startswith("kms:")]
    assert {s["Condition"]["StringEquals"]["kms:ViaService"] for s in keys} == {
        f"healthlake.{REGION}.amazonaws.com", f"omics.{REGION}.amazonaws.com", f"s3.{REGION}.amazonaws.com"}
    assert all(s["Condition"]["DateLessThan"] == EXPIRY["DateLessThan"] for s in keys)


def test_reads_are_limited_to_the_prefix_and_writes_to_the_results_prefix(stack, data):
    approve(stack, data, access=AccessLevel.READ_WRITE_RESULTS, results_prefix="cohort-a-results/")
    statements = policy_statements(stack, "approved access")
    by_resource = {str(s["Resource"]): as_list(s["Action"]) for s in statements}
    reads = next(a for r, a in by_resource.items() if "/cohort-a/*" in r)
    writes = next(a for r, a in by_resource.items() if "/cohort-a-results/*" in r)
    assert "s3:PutObject" not in reads and "s3:GetObject" in reads
    assert "s3:PutObject" in writes


def test_read_only_approval_writes_nothing(stack, data):
    approve(stack, data)
    actions = [a for s in policy_statements(stack, "approved access") for a in as_list(s["Action"])]
    assert not any(a.startswith(("s3:Put", "kms:GenerateDataKey")) for a in actions)


def test_boundary_denies_deletes_policy_changes_and_listing_outside_the_prefix(stack, data):
    approve(stack, data)
    denies = {s["Sid"]: s for s in policy_statements(stack, "permissions boundary") if s["Effect"] == "Deny"}
    changes = denies["DenyDeletesPolicyAndKeyChanges"]["Action"]
    for action in ("s3:DeleteObject", "s3:DeleteObjectVersion", "s3:PutBucketPolicy", "s3:PutObjectAcl",
                   "s3:BypassGovernanceRetention", "kms:PutKeyPolicy", "healthlake:DeleteResource"):
        assert action in changes
    assert denies["DenyListingOutsideApprovedPrefixes"]["Condition"] == {
        "StringNotLike": {"s3:prefix": ["cohort-a/*"]}}


def test_vpc_endpoints_restrict_data_calls_to_them(stack, data):
    network = IsolatedVpc(stack, "Network", key=data.key)
    approve(stack, data, vpc_endpoints=[network.s3_endpoint])
    (deny,) = [s for s in policy_statements(stack, "permissions boundary")
               if s.get("Sid") == "DenyDataAccessOutsideVpcEndpoints"]
    assert deny["Effect"] == "Deny"
    assert deny["Condition"] == {"StringNotEquals": {"aws:SourceVpce": [
        {"Ref": stack.get_logical_id(network.s3_endpoint.node.default_child)}]}}


def test_an_s3_ibucket_gets_the_same_named_actions_and_its_key(stack):
    key = kms.Key(stack, "OtherKey", enable_key_rotation=True)
    other = s3.Bucket.from_bucket_attributes(stack, "Other", bucket_name="other-phi-bucket", encryption_key=key)
    approve(stack, other)  # type: ignore[arg-type]
    statements = policy_statements(stack, "approved access")
    assert any(set(as_list(s["Action"])) == {"s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"}
               and s["Resource"] == "arn:aws:s3:::other-phi-bucket/cohort-a/*" for s in statements)
    assert any(s["Condition"]["StringEquals"].get("kms:ViaService") == f"s3.{REGION}.amazonaws.com"
               for s in statements)


def test_the_synthesized_role_passes_the_people_role_rule(stack, data):
    approve(stack, data)
    template = Template.from_stack(stack).to_json()["Resources"]
    (logical_id,) = [k for k, v in template.items() if v["Type"] == "AWS::IAM::Role"]
    role = Resource.from_template(logical_id, template[logical_id], template)
    assert PEOPLE_ROLE_MFA_AND_EXPIRY.evaluate(role).status is Status.COMPLIANT


# Until when: warnings

def test_an_approval_ending_within_30_days_warns(stack, data):
    soon = TODAY + datetime.timedelta(days=10)
    approve(stack, data, ends=soon)
    assert any(f"ends on {soon.isoformat()}, in 10 day(s)" in w for w in warnings(stack))


def test_an_approval_ending_later_does_not_warn(stack, data):
    approve(stack, data)
    assert not any("approval" in w.lower() for w in warnings(stack))


# Bad input

@pytest.mark.parametrize(("props", "prop", "message"), [
    ({"ends": None}, "ends=None", "every approval expires"),
    ({"ends": TODAY - datetime.timedelta(days=1)}, "ends=", "has passed"),
    ({"ends": TODAY}, "ends=", "has passed"),
    ({"ends": CLOSE_OUT + datetime.timedelta(days=1)}, "ends=", "after the close-out date"),
    ({"ends": "2030-01-01"}, "ends='2030-01-01'", "datetime.date"),
    ({"prefix": "/cohort-a/"}, "prefix='/cohort-a/'", "inside the bucket"),
    ({"prefix": "s3://other-bucket/cohort-a/"}, "prefix=", "inside the bucket"),
    ({"prefix": "cohort-a/../cohort-b/"}, "prefix=", "inside the bucket"),
    ({"prefix": "cohort-*/"}, "prefix=", "without wildcards"),
    ({"prefix": ""}, "prefix=''", "ending in '/'"),
    # Wrong types are refused by the boundary check before any value is judged (omics_secure/_internal/props.py).
    ({"researchers": iam.AccountRootPrincipal()}, "researchers=AccountRootPrincipal()", "pass a Researchers"),
    ({"researchers": Researchers.account_principals(["arn:aws:iam::999988887777:role/X"])},
     "researchers.principal_arns=", "not of this account"),
    ({"approval_id": ""}, "approval_id=''", "DAC approval's id"),
    ({"approval_id": "DAR #12"}, "approval_id=", "IAM tag value"),
    ({"approval_id": "jane.doe@example.org"}, "approval_id=", "looks like PHI"),
    ({"access": AccessLevel.READ, "results_prefix": "out/"}, "results_prefix=", "READ_WRITE_RESULTS"),
    ({"regions": ["us-west-2"]}, "regions=", "include the stack's own region"),
    ({"regions": ["mars-1"]}, "regions=", "region codes"),
    ({"max_session_duration": cdk.Duration.hours(13)}, "max_session_duration=", "1 to 12"),
    ({"buckets": [], "prefix": ""}, "buckets=[]", "admits to nothing"),
    ({"buckets": ["my-bucket"]}, "buckets[0]='my-bucket'", "pass a PhiBucket"),
], ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None)
def test_bad_approval_props_are_refused_naming_the_prop(stack, data, props, prop, message):
    with pytest.raises(OmicsSecureConfigError, match="ApprovedAccess 'Study'") as error:
        approve(stack, data, **props)
    assert prop in str(error.value) and message in str(error.value)


def test_the_prefix_is_required_with_buckets_and_has_no_default(stack, data):
    """A grant of a whole bucket is never a default: without a prefix, the error says the prop is required."""
    with pytest.raises(OmicsSecureConfigError) as error:
        ApprovedAccess(stack, "Study", approval_id="phs000123.v1.p1", researchers=Researchers.identity_center("G"),
                       ends=ENDS, buckets=[data])
    assert [str(p) for p in error.value.problems] == [
        "prefix=None: this is required when buckets are named: pass the key prefix the approval covers, ending in "
        "'/', e.g. 'cohort-a/' (an approval never covers a whole bucket by default)"]
    ApprovedAccess(stack, "Stores", approval_id="phs000123.v1.p1", researchers=Researchers.identity_center("G"),
                   ends=ENDS, reference_stores=[ReferenceStore(stack, "Refs", key=data.key)])


def test_every_problem_is_reported_at_once(stack, data):
    with pytest.raises(OmicsSecureConfigError) as error:
        approve(stack, data, ends=None, prefix="*")
    assert {p.prop for p in error.value.problems} == {"ends", "prefix"}


def test_oidc_without_subjects_is_refused(stack, data):
    provider = iam.OpenIdConnectProvider(stack, "Login", url="https://login.example.edu", client_ids=["genomics"])
    with pytest.raises(OmicsSecureConfigError, match=r"researchers.subjects=.*admits everyone"):
        approve(stack, data, researchers=Researchers.oidc_provider(
            provider, issuer="https://login.example.edu", audience="genomics", subjects=["*"]))


# CollaboratorAccess

def collaborate(stack: cdk.Stack, bucket: Any, **props: Any) -> CollaboratorAccess:
    defaults: dict[str, Any] = {"approval_id": "phs000123.v1.p1", "account": COLLABORATOR, "bucket": bucket,
                                "prefix": "cohort-a/", "ends": ENDS}
    return CollaboratorAccess(stack, "Collaborator", **{**defaults, **props})


def test_collaborator_gets_an_access_point_read_only_under_the_prefix_until_the_end_date(stack, data):
    collaborate(stack, data)
    properties = only(stack, "AWS::S3::AccessPoint")["Properties"]
    arn = f"arn:aws:s3:{REGION}:{ACCOUNT}:accesspoint/phs000123-v1-p1-{COLLABORATOR}"
    assert properties["Bucket"] == {"Ref": stack.get_logical_id(data.bucket.node.default_child)}
    assert properties["BucketAccountId"] == ACCOUNT
    assert properties["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    assert properties["Policy"]["Statement"] == [
        {"Sid": "ApprovedCollaboratorList", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{COLLABORATOR}:root"}, "Action": "s3:ListBucket", "Resource": arn,
         "Condition": {**EXPIRY, "StringLike": {"s3:prefix": ["cohort-a/*"]}}},
        {"Sid": "ApprovedCollaboratorRead", "Effect": "Allow",
         "Principal": {"AWS": f"arn:aws:iam::{COLLABORATOR}:root"},
         "Action": ["s3:GetObject", "s3:GetObjectVersion", "s3:GetObjectTagging"],
         "Resource": f"{arn}/object/cohort-a/*", "Condition": EXPIRY},
    ]
    assert {"Key": "omics-secure:approval-id", "Value": "phs000123.v1.p1"} in properties["Tags"]


def test_named_collaborator_roles_replace_the_account_principal(stack, data):
    reader = f"arn:aws:iam::{COLLABORATOR}:role/Reader"
    collaborate(stack, data, principals=[reader])
    statements = only(stack, "AWS::S3::AccessPoint")["Properties"]["Policy"]["Statement"]
    assert all(s["Principal"] == {"AWS": reader} for s in statements)


def test_the_bucket_delegates_reads_to_access_points_of_this_account_once(stack, data):
    collaborate(stack, data)
    CollaboratorAccess(stack, "Second", approval_id="DAR-7", account="777788889999", bucket=data,
                       prefix="cohort-b/", ends=ENDS)
    bucket = {"Ref": stack.get_logical_id(data.bucket.node.default_child)}
    (policy,) = [p for p in resources(stack, "AWS::S3::BucketPolicy").values() if p["Properties"]["Bucket"] == bucket]
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    delegations = [s for s in statements if s.get("Sid") == "DelegateReadsToAccessPointsOfThisAccount"]
    assert len(delegations) == 1
    assert delegations[0]["Principal"] == {"AWS": "*"}
    assert delegations[0]["Condition"] == {"StringEquals": {"s3:DataAccessPointAccount": ACCOUNT}}
    assert not any("Put" in a or "Delete" in a for a in delegations[0]["Action"])
    assert len(resources(stack, "AWS::S3::AccessPoint")) == 2


def test_the_key_policy_admits_the_collaborator_through_s3_only_until_the_end_date(stack, data):
    collaborate(stack, data)
    statements = only(stack, "AWS::KMS::Key")["Properties"]["KeyPolicy"]["Statement"]
    (statement,) = [s for s in statements if s.get("Sid", "").startswith(f"Collaborator{COLLABORATOR}")]
    assert statement["Principal"] == {"AWS": f"arn:aws:iam::{COLLABORATOR}:root"}
    assert statement["Action"] == "kms:Decrypt"
    assert statement["Condition"] == {**EXPIRY, "StringEquals": {
        "kms:ViaService": f"s3.{REGION}.amazonaws.com", "kms:CallerAccount": COLLABORATOR}}


def test_a_key_from_outside_the_app_gets_a_warning_naming_the_statement(stack):
    key = kms.Key.from_key_arn(stack, "Imported",
                               f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab")
    bucket = s3.Bucket.from_bucket_attributes(stack, "Other", bucket_name="other-phi-bucket", encryption_key=key)
    collaborate(stack, bucket)
    found = warnings(stack)
    assert any("add this statement to its key policy" in w and "kms:CallerAccount" in w for w in found)
    assert any("s3:DataAccessPointAccount" in w for w in found)


def test_the_synthesized_access_point_passes_the_access_point_rule(stack, data):
    collaborate(stack, data)
    template = Template.from_stack(stack).to_json()["Resources"]
    (logical_id,) = [k for k, v in template.items() if v["Type"] == "AWS::S3::AccessPoint"]
    access_point = Resource.from_template(logical_id, template[logical_id], template)
    assert PHI_ACCESS_POINT_PRIVATE.evaluate(access_point).status is Status.COMPLIANT


@pytest.mark.parametrize(("props", "prop", "message"), [
    ({"account": "12345"}, "account='12345'", "12-digit"),
    ({"account": ACCOUNT}, f"account='{ACCOUNT}'", "bucket's own account"),
    ({"access": AccessLevel.READ_WRITE_RESULTS}, "access='READ_WRITE_RESULTS'", "READ only"),
    ({"ends": None}, "ends=None", "every approval expires"),
    ({"ends": CLOSE_OUT + datetime.timedelta(days=1)}, "ends=", "after the close-out date"),
    ({"prefix": "../cohort-a/"}, "prefix=", "inside the bucket"),
    ({"principals": ["arn:aws:iam::999988887777:role/Reader"]}, "principals=", "not in the collaborator account"),
    ({"access_point_name": "Bad_Name"}, "access_point_name='Bad_Name'", "naming rules"),
    ({"access_point_name": "mrn-1234567"}, "access_point_name='mrn-1234567'", "looks like PHI"),
], ids=lambda value: value if isinstance(value, str) and len(value) < 30 else None)
def test_bad_collaborator_props_are_refused_naming_the_prop(stack, data, props, prop, message):
    with pytest.raises(OmicsSecureConfigError, match="CollaboratorAccess 'Collaborator'") as error:
        collaborate(stack, data, **props)
    assert prop in str(error.value) and message in str(error.value)


def test_unresolved_environment_is_refused(app):
    stack = cdk.Stack(app, "Agnostic")
    bucket = s3.Bucket.from_bucket_name(stack, "Data", "phi-data")
    with pytest.raises(OmicsSecureConfigError, match="env="):
        collaborate(stack, bucket)


# Both, under every pack

def test_approvals_and_collaborators_pass_every_pack(tmp_path, compliant):
    app = make_app(tmp_path / "cdk.out")
    replica_stack = cdk.Stack(app, "ReplicaStack", env=cdk.Environment(account=ACCOUNT, region=REPLICA_REGION))
    stack = cdk.Stack(app, "AccessStack", env=cdk.Environment(account=ACCOUNT, region=REGION))
    key = PhiKey(stack, "Key")
    data = PhiBucket(stack, "Data", key=key, access_logs=AccessLogBucket(stack, "Logs"),
                     replica=PhiReplicaBucket(replica_stack, "Replica"), data_use_end_date=CLOSE_OUT)
    store = SequenceStore(stack, "Reads", key=key, access_logs=data.access_logs)
    approve(stack, data, access=AccessLevel.READ_WRITE_RESULTS, sequence_stores=[store])
    collaborate(stack, data)
    result = compliant(app)
    assert any(f.rule_id.startswith("AwsSolutions-IAM5") for f in result.acknowledged_findings)
