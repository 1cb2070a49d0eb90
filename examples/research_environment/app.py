#!/usr/bin/env python3
"""A research group's own CDK app built from omics-secure's constructs: the README's snippets as one app.

Two stacks, as the README's storage section describes: the replica region deploys first, because
CloudFormation cannot pass values between regions. Run it from this folder:

    omics-secure check          # synthesize with every compliance pack; exit 0 when nothing is open
    npx aws-cdk@2 synth         # or with the CDK CLI (set JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20)

The app imports ``aws_cdk`` first, as most apps do; ``omics-secure check`` keeps the jsii Node.js banner
out of its output all the same.
"""

import datetime
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_iam as iam

from omics_secure import (
    AccessLogBucket,
    AccountAlarms,
    AlertTopic,
    AuditTrail,
    FhirDatastore,
    FhirImportExportRole,
    IsolatedVpc,
    KeyService,
    KeyWatch,
    PhiBucket,
    PhiKey,
    PhiReplicaBucket,
    PipelineCompute,
    PrivateWorkflow,
    ReferenceStore,
    RunGroup,
    SequenceStore,
    WorkflowDefinition,
    WorkflowRunRole,
)

ACCOUNT = "111122223333"  # a placeholder: synthesis and the check need no AWS account
WORKFLOWS = Path(__file__).parent / "workflows"

app = cdk.App()
replica_stack = cdk.Stack(app, "GenomicsReplica", env=cdk.Environment(account=ACCOUNT, region="us-west-2"))
stack = cdk.Stack(app, "GenomicsData", env=cdk.Environment(account=ACCOUNT, region="us-east-1"))

# Keys
data_key = PhiKey(stack, "DataKey", services=[KeyService.HEALTHOMICS_STORAGE, KeyService.HEALTHLAKE, KeyService.S3])
# People who reach PHI sign in with MFA and only until their approval ends (ApprovedAccess builds the whole
# pattern: session tags, a permissions boundary, region pinning).
analysts = iam.AccountPrincipal(ACCOUNT).with_conditions({
    "Bool": {"aws:MultiFactorAuthPresent": "true"},
    "DateLessThan": {"aws:CurrentTime": "2030-06-30T00:00:00Z"}})
analysis_role = iam.Role(stack, "AnalysisRole", assumed_by=analysts,
                         description="Analysts of the cohort study; reads the runs prefix")
# A role built by hand names the Data Access Committee approval it stands for, as ApprovedAccess's roles do: the
# OmicsSecure rule on who reads PHI accepts approved accesses, and the report lists it among the approvals.
cdk.Tags.of(analysis_role).add("omics-secure:approval-id", "phs000000.v1.p1")
cdk.Tags.of(analysis_role).add("omics-secure:approval-ends", "2030-06-30")
data_key.grant_via_service(analysis_role, KeyService.S3)

# Storage: the replica in the second region, then the PHI bucket that replicates into it
replica = PhiReplicaBucket(replica_stack, "PhiDataReplica", access_logs=AccessLogBucket(replica_stack, "AccessLogs"))
logs = AccessLogBucket(stack, "AccessLogs")
data = PhiBucket(stack, "PhiData", key=data_key, access_logs=logs, replica=replica,
                 data_use_end_date=datetime.date(2030, 6, 30))
data.grant_read(analysis_role, "runs/*")

# Network and compute
network = IsolatedVpc(stack, "Network", key=data_key)
pipelines = PipelineCompute(stack, "Pipelines", network=network, key=data_key, spot=True)
pipelines.grant_data_access(data.bucket, data_key, prefix="cohort-a/*", write=True)

# HealthOmics
reads = SequenceStore(stack, "Reads", key=data_key, access_logs=logs)
refs = ReferenceStore(stack, "References", key=data_key)
PrivateWorkflow(stack, "Germline", definition=WorkflowDefinition.from_asset(str(WORKFLOWS / "germline")))
RunGroup(stack, "Runs", max_cpus=256, max_gpus=4, max_duration=cdk.Duration.hours(24), max_runs=10)
run_role = WorkflowRunRole(stack, "RunRole", inputs=[data], outputs=[data], input_prefix="fastq/",
                           reference_stores=[refs])

# HealthLake
fhir = FhirDatastore(stack, "Fhir", key=data_key)
jobs = FhirImportExportRole(stack, "FhirJobs", datastore=fhir, source=data, output=data)

# Audit and monitoring
trail = AuditTrail(stack, "AuditTrail", access_logs=logs, data_buckets=[data, replica])
alerts = AlertTopic(stack, "Alerts", key=trail.key, email="security-alerts@example.org")
KeyWatch(stack, "KeyWatch", alerts=alerts)
KeyWatch(replica_stack, "KeyWatch", alerts=AlertTopic(replica_stack, "Alerts", email="security-alerts@example.org"))
AccountAlarms(stack, "AccountAlarms", trail=trail, alerts=alerts)

app.synth()
