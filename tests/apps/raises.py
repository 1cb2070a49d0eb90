"""An app with a bug: it raises before synthesizing."""

import aws_cdk as cdk

app = cdk.App()
stack = cdk.Stack(app, "Raises")
raise ValueError("bucket_name 'My_Bucket' is not a valid S3 bucket name")
