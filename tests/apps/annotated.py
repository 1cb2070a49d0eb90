"""An app whose constructs annotate themselves: a warning and an error (which makes 'cdk synth' fail), and
acknowledgments that match nothing: a misspelt rule id and a bare id without its pack prefix."""

import aws_cdk as cdk
from aws_cdk import aws_kms as kms

app = cdk.App()
stack = cdk.Stack(app, "Annotated", env=cdk.Environment(account="111122223333", region="us-east-1"))
key = kms.Key(stack, "Key", enable_key_rotation=True)
cdk.Annotations.of(key).add_warning_v2("annotated:retention", "The key's data-use agreement ends in 2027.")
cdk.Annotations.of(key).add_error("The key must name a data steward before it is deployed.")
cdk.Validations.of(key).acknowledge(cdk.Acknowledgment(
    id="AwsSolutions::AwsSolutions-KMS55", reason="A misspelt rule id that acknowledges nothing at all."))
cdk.Validations.of(key).acknowledge(cdk.Acknowledgment(
    id="HIPAA.Security-S3BucketSSLRequestsOnly", reason="A bare id that CDK keeps no record of."))
app.synth()
