"""An ordinary aws-cdk-lib app with default settings and none of our constructs, as a new user's app looks:
a VPC with NAT gateways and interface endpoints, buckets, a Lambda function in the VPC, an RDS instance."""

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_rds as rds
from aws_cdk import aws_s3 as s3

app = cdk.App()
stack = cdk.Stack(app, "Ordinary")
vpc = ec2.Vpc(stack, "Vpc")
vpc.add_interface_endpoint("Sqs", service=ec2.InterfaceVpcEndpointAwsService.SQS)
vpc.add_interface_endpoint("SecretsManager", service=ec2.InterfaceVpcEndpointAwsService.SECRETS_MANAGER)
uploads = s3.Bucket(stack, "Uploads")
results = s3.Bucket(stack, "Results", enforce_ssl=True, versioned=True)
function = lambda_.Function(stack, "Worker", runtime=lambda_.Runtime.PYTHON_3_12, handler="index.handler",
                            code=lambda_.Code.from_inline("def handler(event, context):\n    return None"),
                            vpc=vpc, environment={"RESULTS": results.bucket_name})
uploads.grant_read(function)
results.grant_write(function)
database = rds.DatabaseInstance(stack, "Database", vpc=vpc,
                                engine=rds.DatabaseInstanceEngine.postgres(
                                    version=rds.PostgresEngineVersion.VER_16))
database.connections.allow_default_port_from(function)
app.synth()
