"""A CDK app written for cdk-nag 2 (2.38.2), as most CDK apps in the wild are: the AwsSolutions pack as an aspect
and NagSuppressions on a resource, on its children and on the stack. Its synthesized assembly, beside this file,
is what omics-secure reads: tests/inputs/test_nag_suppressions.py. Made with aws-cdk-lib 2.275.0 and
cdk-nag 2.38.2 in a venv of their own: python app.py (CDK_OUTDIR=cdk.out)."""

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_s3 as s3
from cdk_nag import AwsSolutionsChecks, NagPackSuppression, NagSuppressions, RegexAppliesTo

app = cdk.App()
stack = cdk.Stack(app, "NagTwo")
data = s3.Bucket(stack, "Data", enforce_ssl=True)  # the access-log target: S1 does not apply to it
uploads = s3.Bucket(stack, "Uploads", enforce_ssl=True, server_access_logs_bucket=data)
NagSuppressions.add_resource_suppressions(uploads, [
    NagPackSuppression(id="AwsSolutions-S1",
                       reason="Uploads log to the Data bucket; the organization\u2019s trail logs it"),
])  # stale: Uploads has access logs, so S1 finds nothing to suppress
reader = iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
data.grant_read(reader)  # IAM5 on Resource::<Data.Arn>/* is left open: cdk-nag 2 reports it as an error
NagSuppressions.add_resource_suppressions(reader, [
    NagPackSuppression(id="AwsSolutions-IAM5", reason="The reader lists and reads the bucket's objects",
                       applies_to=["Action::s3:List*", RegexAppliesTo(regex="/^Action::s3:Get.*$/")]),
], apply_to_children=True)
NagSuppressions.add_stack_suppressions(stack, [
    NagPackSuppression(id="HIPAA.Security-S3BucketReplicationEnabled", reason="A single-region pilot, no PHI yet"),
])
cdk.Aspects.of(app).add(AwsSolutionsChecks())
app.synth()
