import datetime

import aws_cdk as cdk
from constructs import Construct

from omics_secure import AccessLogBucket, IsolatedVpc, KeyService, PhiBucket, PhiKey, PipelineCompute

# The zones the VPC uses, by name. Given here, synthesis needs no lookup of the account's zones.
ZONES = ["us-east-1a", "us-east-1b"]


class OwnAppStack(cdk.Stack):
    """A team's first stack from omics-secure: a key, a PHI bucket and an isolated Batch pipeline that reads it."""

    def __init__(self, scope: Construct, construct_id: str, **kwargs: object) -> None:
        super().__init__(scope, construct_id, **kwargs)
        key = PhiKey(self, "DataKey", services=[KeyService.S3])
        data = PhiBucket(self, "Reads", key=key, access_logs=AccessLogBucket(self, "AccessLogs"),
                         data_use_end_date=datetime.date(2030, 6, 30))
        network = IsolatedVpc(self, "Network", key=key, availability_zones=ZONES)
        pipelines = PipelineCompute(self, "Pipelines", network=network, key=key)
        pipelines.grant_data_access(data, prefix="fastq/*")
