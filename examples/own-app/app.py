#!/usr/bin/env python3
import os

import aws_cdk as cdk
from own_app.own_app_stack import OwnAppStack

app = cdk.App()
# Every deployable app names its account and region. The placeholder account needs no AWS credentials to
# synthesize or check; CDK_DEFAULT_ACCOUNT (set by 'cdk synth' from your credentials) overrides it.
OwnAppStack(app, "OwnAppStack",
            env=cdk.Environment(account=os.environ.get("CDK_DEFAULT_ACCOUNT", "111122223333"), region="us-east-1"))

app.synth()
