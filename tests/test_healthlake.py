"""HealthLake constructs: every guarantee, every error, and a stack of both clean under every pack."""

from __future__ import annotations

import json
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk.assertions import Annotations, Match, Template

from omics_secure import (
    AccessLogBucket,
    FhirDatastore,
    FhirImportExportRole,
    KeyService,
    OmicsSecureConfigError,
    PhiBucket,
    PhiKey,
    PhiReplicaBucket,
    SmartAuthorizationStrategy,
    SmartOnFhirConfig,
)
from tests.harness import ACCOUNT, REGION, REPLICA_REGION, make_app

PHI_TAG = {"Key": "omics-secure:data-classification", "Value": "phi"}
IDP_ARN = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:smart-token-validator"
SMART_METADATA = {
    "issuer": "https://auth.example.org",
    "authorization_endpoint": "https://auth.example.org/authorize",
    "token_endpoint": "https://auth.example.org/token",
    "capabilities": ["launch-ehr", "client-confidential-symmetric"],
}


def resource_of(stack: cdk.Stack, type_: str) -> dict[str, Any]:
    (body,) = Template.from_stack(stack).find_resources(type_).values()
    return body


def warnings(stack: cdk.Stack) -> list[str]:
    return [str(w.entry.data) for w in Annotations.from_stack(stack).find_warning("*", Match.any_value())]


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


# FhirDatastore

def test_datastore_is_fhir_r4_on_the_customer_managed_key_and_retained(stack):
    key = PhiKey(stack, "Key")
    datastore = FhirDatastore(stack, "Fhir", key=key)
    body = resource_of(stack, "AWS::HealthLake::FHIRDatastore")
    assert body["DeletionPolicy"] == "Retain" and body["UpdateReplacePolicy"] == "Retain"
    assert body["Properties"] == {
        "DatastoreName": "TestStack-Fhir",
        "DatastoreTypeVersion": "R4",
        "SseConfiguration": {"KmsEncryptionConfig": {
            "CmkType": "CUSTOMER_MANAGED_KMS_KEY", "KmsKeyId": stack.resolve(key.key_arn)}},
        "Tags": [PHI_TAG],
    }
    assert key.services == (KeyService.HEALTHLAKE,)
    sids = {s.get("Sid") for s in resource_of(stack, "AWS::KMS::Key")["Properties"]["KeyPolicy"]["Statement"]}
    assert {"AllowHealthLakeUseViaService", "AllowHealthLakeCreateGrantViaService"} <= sids
    assert datastore.datastore is datastore.node.default_child and datastore.key is key
    assert datastore.datastore_arn and datastore.datastore_endpoint


def test_datastore_on_a_foreign_key_warns_with_the_statements_to_add(stack):
    key = kms.Key.from_key_arn(stack, "Foreign", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-12")
    FhirDatastore(stack, "Fhir", key=key)
    (warning,) = [w for w in warnings(stack) if "not a PhiKey" in w]
    assert "AllowHealthLakeUseViaService, AllowHealthLakeCreateGrantViaService" in warning


def test_datastore_preload_smart_on_fhir_tags_and_destroy(stack):
    idp = lambda_.Function.from_function_arn(stack, "Idp", IDP_ARN)
    FhirDatastore(stack, "Fhir", key=PhiKey(stack, "Key"), name="test-fhir", preload_synthea=True,
                  smart_on_fhir=SmartOnFhirConfig(idp_lambda=idp, metadata=SMART_METADATA,
                                                  strategy=SmartAuthorizationStrategy.SMART_ON_FHIR),
                  tags={"env": "test"}, removal_policy=cdk.RemovalPolicy.DESTROY)
    body = resource_of(stack, "AWS::HealthLake::FHIRDatastore")
    assert body["DeletionPolicy"] == "Delete"
    properties = body["Properties"]
    assert properties["DatastoreName"] == "test-fhir"
    assert properties["PreloadDataConfig"] == {"PreloadDataType": "SYNTHEA"}
    identity = properties["IdentityProviderConfiguration"]
    assert identity["AuthorizationStrategy"] == "SMART_ON_FHIR"
    assert identity["FineGrainedAuthorizationEnabled"] is True
    assert identity["IdpLambdaArn"] == IDP_ARN
    assert json.loads(identity["Metadata"]) == SMART_METADATA
    assert {"Key": "env", "Value": "test"} in properties["Tags"]
    found = warnings(stack)
    assert any("synthetic Synthea patients" in w for w in found)
    assert any("deletes this FHIR datastore" in w for w in found)


def test_smart_on_fhir_lets_healthlake_invoke_the_idp_lambda_for_this_datastore_only(stack):
    idp = lambda_.Function(stack, "Idp", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                           code=lambda_.Code.from_inline("def handler(event, context):\n    return {}\n"))
    datastore = FhirDatastore(stack, "Fhir", key=PhiKey(stack, "Key"),
                              smart_on_fhir=SmartOnFhirConfig(idp_lambda=idp, metadata=SMART_METADATA))
    permission = resource_of(stack, "AWS::Lambda::Permission")["Properties"]
    assert permission["Principal"] == "healthlake.amazonaws.com"
    assert permission["Action"] == "lambda:InvokeFunction"
    assert permission["SourceAccount"] == ACCOUNT
    assert permission["SourceArn"] == stack.resolve(datastore.datastore_arn)
    assert permission["SourceArn"]["Fn::GetAtt"][1] == "DatastoreArn"


def test_datastore_errors_name_every_bad_prop(stack):
    # Wrong types first, all at once; then every bad value of the right type.
    with pytest.raises(OmicsSecureConfigError) as error:
        FhirDatastore(stack, "Fhir", key="aws/healthlake", preload_synthea="yes")  # type: ignore[arg-type]
    message = str(error.value)
    assert message.startswith("FhirDatastore 'Fhir': invalid props")
    for expected in ("key='aws/healthlake': pass a kms.IKey", "preload_synthea='yes': pass True or False"):
        assert expected in message
    assert not stack.node.children
    with pytest.raises(OmicsSecureConfigError) as error:
        FhirDatastore(stack, "Fhir", key=PhiKey(stack, "Key"), name="patient 555-12-3456",
                      tags={"contact": "jane@example.org"}, removal_policy=cdk.RemovalPolicy.SNAPSHOT)
    message = str(error.value)
    for expected in ("name='patient 555-12-3456': it looks like PHI (social security number)",
                     "tags['contact']='jane@example.org'", "removal_policy="):
        assert expected in message
    assert stack.node.try_find_child("Fhir") is None


def test_smart_on_fhir_errors(stack):
    with pytest.raises(OmicsSecureConfigError, match=r"smart_on_fhir=.*pass a SmartOnFhirConfig"):
        FhirDatastore(stack, "A", key=PhiKey(stack, "KeyA"), smart_on_fhir={"idp": IDP_ARN})  # type: ignore[arg-type]
    with pytest.raises(OmicsSecureConfigError) as error:
        FhirDatastore(stack, "B", key=PhiKey(stack, "KeyB"), smart_on_fhir=SmartOnFhirConfig(
            idp_lambda=IDP_ARN, strategy="SMART"))  # type: ignore[arg-type]
    message = str(error.value)
    assert f"smart_on_fhir.idp_lambda='{IDP_ARN}': pass a lambda.IFunction, not an ARN string" in message
    idp = lambda_.Function.from_function_arn(stack, "Idp", IDP_ARN)
    bad = SmartOnFhirConfig(idp_lambda=idp, metadata={"issuer": "http://auth.example.org", "token_endpoint": "https://t",
                                                      "capabilities": {"launch-ehr"}})
    with pytest.raises(OmicsSecureConfigError) as error:
        FhirDatastore(stack, "C", key=PhiKey(stack, "KeyC"), smart_on_fhir=bad)
    message = str(error.value)
    for expected in ("smart_on_fhir.metadata['issuer']='http://auth.example.org': give the authorization server's "
                     "https URL", "smart_on_fhir.metadata['authorization_endpoint']=None",
                     "smart_on_fhir.metadata=", "use JSON-serialisable values"):
        assert expected in message
    assert "metadata['token_endpoint']" not in message


# FhirImportExportRole

def test_job_role_is_trusted_by_healthlake_for_one_datastore_and_uses_a_managed_policy(stack):
    key = PhiKey(stack, "Key")
    datastore = FhirDatastore(stack, "Fhir", key=key)
    role = FhirImportExportRole(stack, "Jobs", datastore=datastore, output=PhiBucket(stack, "Data", key=key))
    properties = resource_of(stack, "AWS::IAM::Role")["Properties"]
    assert properties["AssumeRolePolicyDocument"]["Statement"] == [{
        "Action": "sts:AssumeRole", "Effect": "Allow", "Principal": {"Service": "healthlake.amazonaws.com"},
        "Condition": {"StringEquals": {"aws:SourceAccount": ACCOUNT},
                      "ArnEquals": {"aws:SourceArn": stack.resolve(datastore.datastore_arn)}}}]
    Template.from_stack(stack).resource_count_is("AWS::IAM::Policy", 0)
    assert role.node.find_child("Resource") is role.role and role.role_arn


def test_job_role_reads_the_source_prefix_and_writes_the_output_prefix_through_the_keys(stack):
    key = PhiKey(stack, "Key")
    source = PhiBucket(stack, "Source", key=key)
    output = PhiBucket(stack, "Output", key=key)
    FhirImportExportRole(stack, "Jobs", datastore=FhirDatastore(stack, "Fhir", key=key), output=output,
                         output_prefix="exports/", source=source, source_prefix="ndjson/")
    (policy,) = Template.from_stack(stack).find_resources("AWS::IAM::ManagedPolicy").values()
    statements = policy["Properties"]["PolicyDocument"]["Statement"]
    actions = {a for s in statements for a in as_list(s["Action"])}
    assert not [a for a in actions if "*" in a] and "s3:DeleteObject" not in actions
    by_resource = {json.dumps(s["Resource"], sort_keys=True): set(as_list(s["Action"])) for s in statements}
    assert "s3:GetObject" in by_resource[json.dumps(stack.resolve(source.bucket.arn_for_objects("ndjson/*")),
                                                    sort_keys=True)]
    assert "s3:PutObject" in by_resource[json.dumps(stack.resolve(output.bucket.arn_for_objects("exports/*")),
                                                    sort_keys=True)]
    (checks,) = [s for s in statements if "s3:GetBucketPublicAccessBlock" in as_list(s["Action"])]
    assert set(checks["Action"]) == {"s3:GetBucketPublicAccessBlock", "s3:GetEncryptionConfiguration"}
    assert len(as_list(checks["Resource"])) == 2
    kms_statements = [s for s in statements if any(a.startswith("kms:") for a in as_list(s["Action"]))]
    assert {a for s in kms_statements for a in as_list(s["Action"])} >= {"kms:GenerateDataKey", "kms:Decrypt"}
    assert all(s["Condition"] == {"StringEquals": {"kms:ViaService": f"s3.{REGION}.amazonaws.com"}}
               for s in kms_statements)


def test_job_role_errors(stack, app):
    other = cdk.Stack(app, "Other", env=cdk.Environment(account=ACCOUNT, region=REGION))
    with pytest.raises(OmicsSecureConfigError) as error:
        FhirImportExportRole(stack, "Jobs", datastore="fhir", output="bucket")  # type: ignore[arg-type]
    message = str(error.value)
    for expected in ("datastore='fhir'", "output='bucket': pass a PhiBucket"):
        assert expected in message
    with pytest.raises(OmicsSecureConfigError) as error:
        FhirImportExportRole(stack, "Jobs", datastore=FhirDatastore(stack, "Fhir", key=PhiKey(stack, "Key")),
                             output=PhiBucket(stack, "Out"), source=PhiBucket(other, "Elsewhere"),
                             output_prefix="out", source_prefix="*", role_name="call 555-123-4567")
    message = str(error.value)
    for expected in ("source=PhiBucket at Other/Elsewhere: use a PHI bucket of the role's own stack",
                     "output_prefix='out'", "source_prefix='*'",
                     "role_name='call 555-123-4567': it looks like PHI (phone number)"):
        assert expected in message
    agnostic = cdk.Stack(app, "Agnostic")
    foreign = kms.Key.from_key_arn(agnostic, "K", f"arn:aws:kms:{REGION}:{ACCOUNT}:key/1234abcd-12ab")
    with pytest.raises(OmicsSecureConfigError, match=r"env=\"stack 'Agnostic'\": the account and region must be "
                                                     r"literal for the "
                                                     r"trust policy"):
        FhirImportExportRole(agnostic, "Jobs", datastore=FhirDatastore(agnostic, "Fhir", key=foreign),
                             output=PhiBucket(agnostic, "Out", key=foreign))


def test_datastore_and_job_role_pass_every_pack(tmp_path, compliant):
    app = make_app(tmp_path / "cdk.out")
    replica_stack = cdk.Stack(app, "ReplicaStack", env=cdk.Environment(account=ACCOUNT, region=REPLICA_REGION))
    stack = cdk.Stack(app, "FhirStack", env=cdk.Environment(account=ACCOUNT, region=REGION))
    key = PhiKey(stack, "Key")
    data = PhiBucket(stack, "Data", key=key, access_logs=AccessLogBucket(stack, "Logs"),
                     replica=PhiReplicaBucket(replica_stack, "Replica"))
    idp = lambda_.Function.from_function_arn(stack, "Idp", IDP_ARN)
    datastore = FhirDatastore(stack, "Fhir", key=key,
                              smart_on_fhir=SmartOnFhirConfig(idp_lambda=idp, metadata=SMART_METADATA))
    FhirImportExportRole(stack, "Jobs", datastore=datastore, output=data, source=data)
    result = compliant(app)
    data_arn = f"<{stack.get_logical_id(data.bucket.node.default_child)}.Arn>"  # type: ignore[arg-type]
    assert {f.rule_id for f in result.acknowledged_findings if f.construct_path == "FhirStack/Jobs/Policy/Resource"} \
        == {f"AwsSolutions-IAM5[Resource::{data_arn}/healthlake/import/*]",
            f"AwsSolutions-IAM5[Resource::{data_arn}/healthlake/output/*]"}
