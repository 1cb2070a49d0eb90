"""An app that keeps its open bucket and key in a NestedStack (as apps near CloudFormation's 500-resource limit
do), or, with OMICS_SECURE_TEST_FLAT=1, the same constructs in the parent stack itself: both must fail on the
same findings."""

import os

import aws_cdk as cdk
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

app = cdk.App()
parent = cdk.Stack(app, "Parent")
data = parent if os.environ.get("OMICS_SECURE_TEST_FLAT") else cdk.NestedStack(parent, "Data")
key = kms.Key(data, "Key")
key.add_to_resource_policy(iam.PolicyStatement(actions=["kms:Decrypt"], principals=[iam.AnyPrincipal()],
                                               resources=["*"]))
bucket = s3.Bucket(data, "Cohort", encryption=s3.BucketEncryption.KMS, encryption_key=key,
                   block_public_access=s3.BlockPublicAccess(block_public_acls=False, block_public_policy=False,
                                                            ignore_public_acls=False, restrict_public_buckets=False))
bucket.add_to_resource_policy(iam.PolicyStatement(actions=["s3:GetObject"], principals=[iam.AnyPrincipal()],
                                                  resources=[bucket.arn_for_objects("*")]))
cdk.Tags.of(bucket).add("omics-secure:data-classification", "phi")
app.synth()
