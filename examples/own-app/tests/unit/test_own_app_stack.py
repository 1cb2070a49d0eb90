import aws_cdk as cdk
import aws_cdk.assertions as assertions
from own_app.own_app_stack import OwnAppStack


def test_the_reads_bucket_is_encrypted_with_the_data_key():
    app = cdk.App()
    stack = OwnAppStack(app, "own-app", env=cdk.Environment(account="111122223333", region="us-east-1"))
    template = assertions.Template.from_stack(stack)
    template.has_resource_properties("AWS::S3::Bucket", {
        "BucketEncryption": {"ServerSideEncryptionConfiguration": [
            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": True}]}})
