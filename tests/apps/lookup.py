"""An app that looks up an existing VPC: synthesis needs AWS credentials (or cdk.context.json) to answer."""

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2

app = cdk.App()
stack = cdk.Stack(app, "Lookup", env=cdk.Environment(account="111122223333", region="us-east-1"))
vpc = ec2.Vpc.from_lookup(stack, "Vpc", vpc_id="vpc-0123456789abcdef0")
ec2.SecurityGroup(stack, "Group", vpc=vpc)
app.synth()
