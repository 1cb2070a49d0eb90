"""A catalogue of invalid or dangerous configurations of every public construct, as a new user writes them.

Each case must end in OmicsSecureConfigError (never a TypeError, AttributeError or jsii error) whose
message names the prop, shows a readable value (no object repr) and says how to fix it. The
constructs a case needs (a key, a network, a trail, ...) are built once, in one app that is never
synthesized; every case adds its construct under a fresh id, and a refused construct adds nothing.
"""

from __future__ import annotations

import datetime
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
import pytest
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_logs as logs
from aws_cdk import aws_s3 as s3

from omics_secure import (
    AccessLevel,
    AccessLogBucket,
    AccountAlarm,
    AccountAlarms,
    AccountSecurityServices,
    Airlock,
    AirlockDirection,
    AirlockReviewers,
    AlertTopic,
    AnalysisWorkstation,
    ApprovedAccess,
    AuditTrail,
    BucketMalwareProtection,
    CollaboratorAccess,
    ConfigRule,
    ControlsProtectionPolicy,
    DataClassificationTagPolicy,
    Encryption,
    ExistingPhiKey,
    FhirDatastore,
    FhirImportExportRole,
    HealthOmicsRunNetwork,
    HipaaServicesPolicy,
    ImageRepository,
    InterfaceEndpoint,
    IsolatedVpc,
    KeyService,
    KeyWatch,
    MacieFrequency,
    ObjectLockMode,
    OmicsSecureConfigError,
    OrganizationGuardrails,
    OrganizationPolicyTypes,
    PhiBackup,
    PhiBackupVault,
    PhiBucket,
    PhiKey,
    PhiReplicaBucket,
    PipelineCompute,
    PrivateWorkflow,
    RawDataTiering,
    ReferenceStore,
    RegionLockPolicy,
    Researchers,
    RunCache,
    RunGroup,
    SequenceStore,
    SmartAuthorizationStrategy,
    SmartOnFhirConfig,
    TlsVersion,
    VerifyAuditorRole,
    WorkflowDefinition,
    WorkflowEngine,
    WorkflowRunRole,
    WorkflowVersion,
)
from omics_secure._internal.errors import readable
from omics_secure.stacks.reference import build_reference_app
from tests.harness import ACCOUNT, ENV, REPLICA_REGION, make_app

EU_KEY_ARN = f"arn:aws:kms:eu-west-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
KEY_ARN = f"arn:aws:kms:us-east-1:{ACCOUNT}:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/analyst"
WORKFLOW_DIR = "omics_secure/stacks/workflows/example"


class World:
    """Valid dependencies for the cases, built once; ``new_id()`` gives each case a fresh construct id."""

    def __init__(self, outdir: str) -> None:
        self.app = make_app(outdir)
        self.stack = cdk.Stack(self.app, "Catalogue", env=ENV)
        self.west = cdk.Stack(self.app, "West", env=cdk.Environment(account=ACCOUNT, region=REPLICA_REGION))
        self.envless = cdk.Stack(self.app, "Envless")
        stack = self.stack
        self.key = PhiKey(stack, "Key")
        self.eu_key = kms.Key.from_key_arn(stack, "EuKey", EU_KEY_ARN)
        self.west_key = PhiKey(self.west, "WestKey")
        self.logs = AccessLogBucket(stack, "Logs")
        self.west_logs = AccessLogBucket(self.west, "WestLogs")
        self.bucket = PhiBucket(stack, "Data", key=self.key, access_logs=self.logs)
        self.west_bucket = PhiBucket(self.west, "WestData", key=self.west_key, access_logs=self.west_logs)
        self.raw_bucket = s3.Bucket.from_bucket_name(stack, "Raw", "raw-bucket")
        self.replica = PhiReplicaBucket(self.west, "Replica", access_logs=self.west_logs)
        self.dr_vault = PhiBackupVault(self.west, "DrVault", min_retention=cdk.Duration.days(365))
        self.network = IsolatedVpc(stack, "Network", key=self.key)
        self.bare_network = IsolatedVpc(stack, "BareNetwork", key=self.key, interface_endpoints=[])
        self.compute = PipelineCompute(stack, "Compute", network=self.network, key=self.key)
        self.workstation = AnalysisWorkstation(stack, "Workstation", network=self.network, key=self.key)
        self.trail = AuditTrail(stack, "Trail", access_logs=self.logs)
        self.alerts = AlertTopic(stack, "Alerts", key=self.trail.key)
        self.refs = ReferenceStore(stack, "Refs", key=self.key)
        self.datastore = FhirDatastore(stack, "Fhir", key=self.key)
        self.role = iam.Role(stack, "Role", assumed_by=iam.AccountRootPrincipal())
        self.function = lambda_.Function.from_function_arn(
            stack, "Idp", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:idp")
        self.images = ImageRepository(stack, "Images", key=self.key)
        self.other_images = ImageRepository(stack, "OtherImages", key=self.key)
        self.workflow = PrivateWorkflow(stack, "Workflow", definition=WorkflowDefinition.from_asset(WORKFLOW_DIR),
                                        container_repositories=[self.images])
        self._ids = itertools.count()

    def new_id(self) -> str:
        return f"Case{next(self._ids)}"


@dataclass(frozen=True)
class Case:
    construct: str
    prop: str
    make: Callable[[World], Any]
    note: str = ""


W = World  # for the type of the lambdas' argument
PHI_EMAIL = "jane.doe@example.org"
PHI_SSN = "123-45-6789"
SMART_METADATA = {"issuer": "https://idp.example.org", "authorization_endpoint": "https://idp.example.org/auth",
                  "token_endpoint": "https://idp.example.org/token"}


def phi_key(**props: Any) -> Callable[[World], Any]:
    return lambda w: PhiKey(w.stack, w.new_id(), **props)


def phi_bucket(**props: Any) -> Callable[[World], Any]:
    return lambda w: PhiBucket(w.stack, w.new_id(), **props)


def vpc(**props: Any) -> Callable[[World], Any]:
    return lambda w: IsolatedVpc(w.stack, w.new_id(), **{"key": w.key, **props})


def compute(**props: Any) -> Callable[[World], Any]:
    return lambda w: PipelineCompute(w.stack, w.new_id(), **{"network": w.network, "key": w.key, **props})


def workstation(**props: Any) -> Callable[[World], Any]:
    return lambda w: AnalysisWorkstation(w.stack, w.new_id(), **{"network": w.network, "key": w.key, **props})


def sequence_store(**props: Any) -> Callable[[World], Any]:
    return lambda w: SequenceStore(w.stack, w.new_id(), **{"key": w.key, "access_logs": w.logs, **props})


def reference_store(**props: Any) -> Callable[[World], Any]:
    return lambda w: ReferenceStore(w.stack, w.new_id(), **{"key": w.key, **props})


def workflow(**props: Any) -> Callable[[World], Any]:
    return lambda w: PrivateWorkflow(w.stack, w.new_id(), **{
        "definition": WorkflowDefinition.from_asset(WORKFLOW_DIR), **props})


def run_group(**props: Any) -> Callable[[World], Any]:
    return lambda w: RunGroup(w.stack, w.new_id(), **props)


def image_repository(**props: Any) -> Callable[[World], Any]:
    return lambda w: ImageRepository(w.stack, w.new_id(), **{"key": w.key, **props})


def workflow_version(**props: Any) -> Callable[[World], Any]:
    return lambda w: WorkflowVersion(w.stack, w.new_id(), **{
        "workflow": w.workflow, "version_name": "2.0", "definition": WorkflowDefinition.from_asset(WORKFLOW_DIR),
        **props})


def run_cache(**props: Any) -> Callable[[World], Any]:
    return lambda w: RunCache(w.stack, w.new_id(), **{"bucket": w.bucket, **props})


def run_role(**props: Any) -> Callable[[World], Any]:
    return lambda w: WorkflowRunRole(w.stack, w.new_id(), **{"inputs": [w.bucket], **props})


def datastore(**props: Any) -> Callable[[World], Any]:
    return lambda w: FhirDatastore(w.stack, w.new_id(), **{"key": w.key, **props})


def job_role(**props: Any) -> Callable[[World], Any]:
    return lambda w: FhirImportExportRole(w.stack, w.new_id(), **{"datastore": w.datastore, "output": w.bucket,
                                                                  **props})


def trail(**props: Any) -> Callable[[World], Any]:
    return lambda w: AuditTrail(w.stack, w.new_id(), **{"access_logs": w.logs, **props})


def topic(**props: Any) -> Callable[[World], Any]:
    return lambda w: AlertTopic(w.stack, w.new_id(), **props)


def account_services(**props: Any) -> Callable[[World], Any]:
    return lambda w: AccountSecurityServices(w.stack, w.new_id(), **{"trail": w.trail, **props})


def smart(**fields: Any) -> Callable[[World], Any]:
    return lambda w: FhirDatastore(w.stack, w.new_id(), key=w.key, smart_on_fhir=SmartOnFhirConfig(
        **{"idp_lambda": w.function, "metadata": SMART_METADATA, **fields}))


OU_ID = "ou-ab12-cd34ef56"
BREAK_GLASS = "arn:aws:iam::*:role/BreakGlass"


def region_lock(**props: Any) -> Callable[[World], Any]:
    defaults: dict[str, Any] = {"regions": ["us-east-1"], "target_ids": [OU_ID], "break_glass_role": BREAK_GLASS}
    return lambda w: RegionLockPolicy(w.stack, w.new_id(), **{**defaults, **props})


IN_A_YEAR = datetime.date.today() + datetime.timedelta(days=365)


def vault(**props: Any) -> Callable[[World], Any]:
    return lambda w: PhiBackupVault(w.stack, w.new_id(), **props)


def backup_plan(**props: Any) -> Callable[[World], Any]:
    return lambda w: PhiBackup(w.stack, w.new_id(), **{"buckets": [w.bucket], "copy_to": w.dr_vault, **props})


def approved(**props: Any) -> Callable[[World], Any]:
    defaults: dict[str, Any] = {"approval_id": "phs000123.v1.p1", "ends": IN_A_YEAR, "prefix": "cohort/",
                                "researchers": Researchers.account_principals([ROLE_ARN])}
    return lambda w: ApprovedAccess(w.stack, w.new_id(), **{"buckets": [w.bucket], **defaults, **props})


def collaborator(**props: Any) -> Callable[[World], Any]:
    defaults: dict[str, Any] = {"approval_id": "phs000123.v1.p1", "account": "444455556666", "prefix": "shared/",
                                "ends": IN_A_YEAR}
    return lambda w: CollaboratorAccess(w.stack, w.new_id(), **{"bucket": w.bucket, **defaults, **props})


def airlock(**props: Any) -> Callable[[World], Any]:
    def make(w: World) -> Any:
        if not hasattr(w, "requester"):
            w.requester = approved()(w)
        defaults: dict[str, Any] = {
            "network": w.network, "destination": w.bucket, "alerts": w.alerts, "requesters": [w.requester],
            "reviewers": [AirlockReviewers(approval_id="data-stewards", ends=IN_A_YEAR,
                                           researchers=Researchers.identity_center("DataSteward"))]}
        return Airlock(w.stack, w.new_id(), **{**defaults, **props})
    return make


def malware_protection(**props: Any) -> Callable[[World], Any]:
    return lambda w: BucketMalwareProtection(w.stack, w.new_id(), **{"bucket": w.bucket, **props})


AIRLOCK_CASES = [
    Case("Airlock", "network", airlock(network="vpc-0123456789abcdef0")),
    Case("Airlock", "destination", lambda w: airlock(destination=w.raw_bucket)(w), "a PhiBucket, not any bucket"),
    Case("Airlock", "alerts", airlock(alerts="arn:aws:sns:us-east-1:111122223333:alerts")),
    Case("Airlock", "requesters", airlock(requesters=[])),
    Case("Airlock", "requesters", lambda w: airlock(requesters=w.role)(w)),
    Case("Airlock", "reviewers", airlock(reviewers=[{"approval_id": "stewards"}])),
    Case("Airlock", "researchers", airlock(reviewers=[AirlockReviewers(
        approval_id="stewards", ends=IN_A_YEAR, researchers=ROLE_ARN)])),
    Case("Airlock", "ends", airlock(reviewers=[AirlockReviewers(
        approval_id="stewards", ends=datetime.date(2020, 1, 1), researchers=Researchers.identity_center("S"))])),
    Case("Airlock", "reviewers[0]", airlock(reviewers=[AirlockReviewers(
        approval_id="stewards", ends=IN_A_YEAR, researchers=Researchers.account_principals([ROLE_ARN]))]),
        "the requester's own principal"),
    Case("Airlock", "egress_reviewers_required", airlock(egress_reviewers_required=0)),
    Case("Airlock", "egress_reviewers_required", airlock(egress_reviewers_required=True)),
    Case("Airlock", "directions", airlock(directions=["egress"])),
    Case("Airlock", "staging_expiration", airlock(staging_expiration=180)),
    Case("Airlock", "name", airlock(name="project/airlock")),
    Case("Airlock", "release_readers", lambda w: airlock(directions=[AirlockDirection.INGRESS],
                                                          release_readers=[w.role])(w)),
    Case("Airlock", "key", airlock(key=KEY_ARN)),
    Case("BucketMalwareProtection", "bucket", malware_protection(bucket="staging-bucket")),
    Case("BucketMalwareProtection", "bucket", lambda w: malware_protection(bucket=w.raw_bucket)(w),
         "an imported bucket: its policy is not this app's"),
    Case("BucketMalwareProtection", "taggers", malware_protection(taggers=[ROLE_ARN])),
]


ACCESS_CASES = [
    Case("ApprovedAccess", "approval_id", approved(approval_id=123)),
    Case("ApprovedAccess", "researchers", approved(researchers=ROLE_ARN)),
    Case("ApprovedAccess", "ends", approved(ends=datetime.date(2020, 1, 1))),
    Case("ApprovedAccess", "ends", approved(ends="2030-01-01")),
    Case("ApprovedAccess", "buckets", lambda w: approved(buckets=w.bucket)(w)),
    Case("ApprovedAccess", "access", approved(access="read")),
    Case("ApprovedAccess", "max_session_duration", approved(max_session_duration=3600)),
    Case("CollaboratorAccess", "account", collaborator(account="12345")),
    Case("CollaboratorAccess", "account", collaborator(account=ACCOUNT)),
    Case("CollaboratorAccess", "access", collaborator(access=AccessLevel.READ_WRITE_RESULTS)),
    Case("CollaboratorAccess", "prefix", collaborator(prefix=5)),
    Case("CollaboratorAccess", "bucket", collaborator(bucket="my-bucket")),
    Case("CollaboratorAccess", "principals", collaborator(principals=["arn:aws:iam::444455556666:role/*"])),
]

CASES = [
    *ACCESS_CASES,
    *AIRLOCK_CASES,
    # PhiKey
    Case("PhiKey", "services", phi_key(services=KeyService.S3), "a member, not a list"),
    Case("PhiKey", "services", phi_key(services=["S3"]), "names instead of members"),
    Case("PhiKey", "services", phi_key(services="S3")),
    Case("PhiKey", "admins", phi_key(admins=[ROLE_ARN]), "an ARN string where a principal is expected"),
    Case("PhiKey", "admins", phi_key(admins=iam.AccountRootPrincipal())),
    Case("PhiKey", "users", phi_key(users=[ROLE_ARN])),
    Case("PhiKey", "service_users", phi_key(service_users=["omics.amazonaws.com"])),
    Case("PhiKey", "users", phi_key(users=[iam.AnyPrincipal()]), "a wildcard principal"),
    Case("PhiKey", "users", phi_key(users=[iam.StarPrincipal()])),
    Case("PhiKey", "admins", phi_key(admins=[iam.ArnPrincipal("*")])),
    Case("PhiKey", "admins", phi_key(admins=[iam.ArnPrincipal("arn:aws:iam::*:root")]), "any account's root"),
    Case("PhiKey", "service_users", phi_key(service_users=[iam.AccountPrincipal("*")])),
    Case("PhiKey", "users", phi_key(users=[iam.CompositePrincipal(iam.AccountRootPrincipal(), iam.AnyPrincipal())])),
    Case("PhiKey", "users", phi_key(users=[iam.AnyPrincipal().with_conditions({
        "Bool": {"aws:SecureTransport": "true"}})]), "a condition that does not narrow who"),
    Case("PhiKey", "alias", phi_key(alias="genomics/phi"), "missing alias/ prefix"),
    Case("PhiKey", "alias", phi_key(alias="alias/aws/phi"), "reserved alias"),
    Case("PhiKey", "alias", phi_key(alias=f"alias/{PHI_EMAIL}")),
    Case("PhiKey", "alias", phi_key(alias=42)),
    Case("PhiKey", "alias", phi_key(alias="alias/patient-12345678")),
    Case("PhiKey", "alias", lambda w: PhiKey(cdk.Stack(w.app, f"Mrn00123456{w.new_id()}", env=ENV), "Key"),
         "a default alias made of a stack name that looks like PHI"),
    Case("PhiKey", "description", phi_key(description="x" * 9000), "over the 8192 KMS limit"),
    Case("PhiKey", "description", phi_key(description=f"key for {PHI_EMAIL}")),
    Case("PhiKey", "description", phi_key(description=f"patient {PHI_SSN}")),
    Case("PhiKey", "description", phi_key(description="")),
    Case("PhiKey", "rotation_period", phi_key(rotation_period=365), "a number, not a Duration"),
    Case("PhiKey", "rotation_period", phi_key(rotation_period=cdk.Duration.days(30))),
    Case("PhiKey", "rotation_period", phi_key(rotation_period=cdk.Duration.hours(36))),
    Case("PhiKey", "pending_window", phi_key(pending_window=cdk.Duration.days(3))),
    Case("PhiKey", "pending_window", phi_key(pending_window="30 days")),
    Case("PhiKey", "removal_policy", phi_key(removal_policy=cdk.RemovalPolicy.SNAPSHOT)),
    Case("PhiKey", "removal_policy", phi_key(removal_policy="RETAIN")),
    Case("PhiKey", "servces", phi_key(servces=[KeyService.S3]), "a misspelt prop"),
    Case("PhiKey", "services", lambda w: PhiKey(w.envless, w.new_id(), services=[KeyService.S3]),
         "no account or region"),
    Case("PhiKey.enable_services", "services", lambda w: w.key.enable_services([KeyService.S3]),
         "a list where *services are expected"),
    Case("PhiKey.enable_services", "services", lambda w: w.key.enable_services("S3")),
    Case("PhiKey.grant_via_service", "service", lambda w: w.key.grant_via_service(w.role, KeyService.CLOUDTRAIL)),
    Case("PhiKey.grant_via_service", "grantee", lambda w: w.key.grant_via_service(ROLE_ARN, KeyService.S3)),
    Case("PhiKey.grant_via_service", "service", lambda w: w.key.grant_via_service(w.role, "S3")),
    # ExistingPhiKey
    Case("ExistingPhiKey", "key_arn", lambda w: ExistingPhiKey(w.stack, w.new_id(), key_arn="alias/phi")),
    Case("ExistingPhiKey", "key_arn", lambda w: ExistingPhiKey(w.stack, w.new_id(), key_arn=EU_KEY_ARN),
         "another region"),
    Case("ExistingPhiKey", "key_arn", lambda w: ExistingPhiKey(w.stack, w.new_id(), key_arn=w.key)),
    Case("ExistingPhiKey", "services", lambda w: ExistingPhiKey(w.stack, w.new_id(), key_arn=KEY_ARN,
                                                               services=KeyService.HEALTHLAKE)),
    Case("ExistingPhiKey", "key_arn", lambda w: ExistingPhiKey(w.stack, w.new_id())),
    # PhiBucket
    Case("PhiBucket", "key", phi_bucket(key=KEY_ARN), "an ARN string where a key is expected"),
    Case("PhiBucket", "key", lambda w: PhiBucket(w.stack, w.new_id(), key=w.eu_key), "a key of another region"),
    Case("PhiBucket", "key", lambda w: PhiBucket(w.stack, w.new_id(), key=w.west_key)),
    Case("PhiBucket", "key", lambda w: PhiBucket(w.stack, w.new_id(), key=w.raw_bucket)),
    Case("PhiBucket", "tags", phi_bucket(tags="phi")),
    Case("PhiBucket", "tags", phi_bucket(tags={"project": None}), "None inside a mapping"),
    Case("PhiBucket", "tags", phi_bucket(tags={"aws:owner": "genomics"}), "reserved tag prefix"),
    Case("PhiBucket", "tags", phi_bucket(tags={"owner": "x" * 300}), "tag value over 256"),
    Case("PhiBucket", "tags", phi_bucket(tags={"k" * 129: "v"}), "tag key over 128"),
    Case("PhiBucket", "tags", phi_bucket(tags={"owner": PHI_EMAIL})),
    Case("PhiBucket", "tags", phi_bucket(tags={"omics-secure:data-classification": "public"})),
    Case("PhiBucket", "tags", phi_bucket(tags={"owner": 7})),
    Case("PhiBucket", "tags", phi_bucket(tags={"owner": "a;b"}), "a character tags refuse"),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name=12345)),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name="Genomics_PHI")),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name="genomics.mrap"), "reserved suffix"),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name="genomics--table-s3")),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name="genomics--x-s3")),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name="genomics-s3alias")),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name="genomics--ol-s3")),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name="xn--genomics")),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name="sthree-genomics")),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name="amzn-s3-demo-genomics")),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name="192.168.10.1")),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name="genomics..phi")),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name="patient-123-45-6789")),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name="patient-12345678-wgs"), "a record word and digits"),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name="data-123456789"), "an SSN without dashes"),
    Case("PhiBucket", "bucket_name", phi_bucket(bucket_name="cohort-00123456"), "8 digits in a row"),
    Case("AccessLogBucket", "bucket_name",
         lambda w: AccessLogBucket(w.stack, w.new_id(), bucket_name="logs-dob-19800131")),
    Case("PhiBucket", "encryption", phi_bucket(encryption="aws:kms")),
    Case("PhiBucket", "encryption", phi_bucket(encryption=s3.BucketEncryption.S3_MANAGED)),
    Case("PhiBucket", "object_lock_mode", phi_bucket(object_lock_mode="COMPLIANCE")),
    Case("PhiBucket", "object_lock_retention", phi_bucket(object_lock_retention=30)),
    Case("PhiBucket", "object_lock_retention", phi_bucket(object_lock_retention=cdk.Duration.days(0))),
    Case("PhiBucket", "minimum_tls_version", phi_bucket(minimum_tls_version=1.0)),
    Case("PhiBucket", "minimum_tls_version", phi_bucket(minimum_tls_version="TLS_1_2")),
    Case("PhiBucket", "abort_incomplete_uploads_after", phi_bucket(abort_incomplete_uploads_after=7)),
    Case("PhiBucket", "noncurrent_expiration_after", phi_bucket(noncurrent_expiration_after=cdk.Duration.days(10))),
    Case("PhiBucket", "noncurrent_transition_after", phi_bucket(noncurrent_transition_after=True)),
    Case("PhiBucket", "current_version_expiration", phi_bucket(current_version_expiration=cdk.Duration.days(0))),
    Case("PhiBucket", "data_use_end_date", phi_bucket(data_use_end_date="2030-06-30")),
    Case("PhiBucket", "data_use_end_date", phi_bucket(data_use_end_date=datetime.datetime(2030, 6, 30))),
    Case("PhiBucket", "tiering", phi_bucket(tiering="raw/")),
    Case("PhiBucket", "tiering", phi_bucket(tiering=RawDataTiering(prefix=f"{PHI_EMAIL}/")), "PHI in a prefix"),
    Case("PhiBucket", "tiering", phi_bucket(tiering=RawDataTiering(prefix="raw/*"))),
    Case("PhiBucket", "tiering", phi_bucket(tiering=RawDataTiering(prefix=7))),
    Case("PhiBucket", "tiering", phi_bucket(tiering=RawDataTiering(storage_class="GLACIER"))),
    Case("PhiBucket", "tiering",
         phi_bucket(tiering=RawDataTiering(storage_class=s3.StorageClass.ONE_ZONE_INFREQUENT_ACCESS))),
    Case("PhiBucket", "tiering", phi_bucket(tiering=RawDataTiering(archive_access_after=90))),
    Case("PhiBucket", "tiering", phi_bucket(tiering=RawDataTiering(archive_access_after=cdk.Duration.days(30)))),
    Case("PhiBucket", "access_log_prefix", phi_bucket(access_log_prefix=f"{PHI_EMAIL}/"), "PHI in a prefix"),
    Case("PhiBucket", "access_log_prefix", phi_bucket(access_log_prefix=["logs/"])),
    Case("PhiBucket", "access_logs", lambda w: PhiBucket(w.stack, w.new_id(), access_logs=w.raw_bucket)),
    Case("PhiBucket", "access_logs", lambda w: PhiBucket(w.stack, w.new_id(), access_logs=w.west_logs)),
    Case("PhiBucket", "vpc_endpoints", phi_bucket(vpc_endpoints=["vpce-0123456789abcdef0"])),
    Case("PhiBucket", "break_glass_roles", phi_bucket(break_glass_roles=[ROLE_ARN])),
    Case("PhiBucket", "break_glass_roles", lambda w: PhiBucket(w.stack, w.new_id(), break_glass_roles=[w.role])),
    Case("PhiBucket", "replica", phi_bucket(replica="arn:aws:s3:::replica")),
    Case("PhiBucket", "replica", lambda w: PhiBucket(w.stack, w.new_id(), replica=w.bucket)),
    Case("PhiBucket", "replication_time_control", phi_bucket(replication_time_control=True)),
    Case("PhiBucket", "replication_time_control", phi_bucket(replication_time_control="yes")),
    Case("PhiBucket", "removal_policy", phi_bucket(removal_policy=cdk.RemovalPolicy.SNAPSHOT)),
    Case("PhiBucket.grant_read", "grantee", lambda w: w.bucket.grant_read(ROLE_ARN)),
    Case("PhiBucket.grant_read", "objects_key_pattern", lambda w: w.bucket.grant_read(w.role, f"{PHI_EMAIL}/*")),
    Case("PhiBucket.grant_write", "objects_key_pattern", lambda w: w.bucket.grant_write(w.role, "/abs/*")),
    Case("PhiBucket.grant_read_write", "objects_key_pattern", lambda w: w.bucket.grant_read_write(w.role, 5)),
    # AccessLogBucket
    Case("AccessLogBucket", "bucket_name", lambda w: AccessLogBucket(w.stack, w.new_id(), bucket_name="logs.mrap")),
    Case("AccessLogBucket", "bucket_name", lambda w: AccessLogBucket(w.stack, w.new_id(), bucket_name=PHI_EMAIL)),
    Case("AccessLogBucket", "retention", lambda w: AccessLogBucket(w.stack, w.new_id(), retention=365)),
    Case("AccessLogBucket", "removal_policy",
         lambda w: AccessLogBucket(w.stack, w.new_id(), removal_policy=cdk.RemovalPolicy.SNAPSHOT)),
    # PhiReplicaBucket
    Case("PhiReplicaBucket", "key_alias", lambda w: PhiReplicaBucket(w.west, w.new_id(), key_alias="replica")),
    Case("PhiReplicaBucket", "key_alias",
         lambda w: PhiReplicaBucket(w.west, w.new_id(), key_alias=f"alias/{PHI_EMAIL}")),
    Case("PhiReplicaBucket", "bucket_name",
         lambda w: PhiReplicaBucket(w.west, w.new_id(), bucket_name="replica--table-s3")),
    Case("PhiReplicaBucket", "key_alias",
         lambda w: PhiReplicaBucket(w.west, w.new_id(), key_alias="alias/subject-0042")),
    Case("PhiReplicaBucket", "env", lambda w: PhiReplicaBucket(w.envless, w.new_id())),
    Case("PhiReplicaBucket", "tags", lambda w: PhiReplicaBucket(w.west, w.new_id(), tags={"aws:cost": "x"})),
    Case("PhiReplicaBucket", "access_logs", lambda w: PhiReplicaBucket(w.west, w.new_id(), access_logs=w.logs)),
    # IsolatedVpc
    Case("IsolatedVpc", "key", vpc(key=KEY_ARN)),
    Case("IsolatedVpc", "key", lambda w: IsolatedVpc(w.stack, w.new_id(), key=w.eu_key), "a key of another region"),
    Case("IsolatedVpc", "key", lambda w: IsolatedVpc(w.stack, w.new_id())),
    Case("IsolatedVpc", "cidr", vpc(cidr="169.254.0.0/16"), "link-local"),
    Case("IsolatedVpc", "cidr", vpc(cidr="127.0.0.0/16"), "loopback"),
    Case("IsolatedVpc", "cidr", vpc(cidr="198.18.0.0/16"), "benchmarking"),
    Case("IsolatedVpc", "cidr", vpc(cidr="8.8.0.0/16"), "public"),
    Case("IsolatedVpc", "cidr", vpc(cidr="10.64.0.0/8")),
    Case("IsolatedVpc", "cidr", vpc(cidr="10.64.0.1/16")),
    Case("IsolatedVpc", "cidr", vpc(cidr="10.64.0.0/26")),
    Case("IsolatedVpc", "cidr", vpc(cidr=1064)),
    Case("IsolatedVpc", "availability_zones", vpc(availability_zones=["eu-west-1a", "eu-west-1b"]),
         "zones of another region"),
    Case("IsolatedVpc", "availability_zones", vpc(availability_zones=["us-east-1a"])),
    Case("IsolatedVpc", "availability_zones", vpc(availability_zones="us-east-1a")),
    Case("IsolatedVpc", "interface_endpoints", vpc(interface_endpoints=["kms"])),
    Case("IsolatedVpc", "interface_endpoints", vpc(interface_endpoints=InterfaceEndpoint.KMS)),
    Case("IsolatedVpc", "flow_log_retention_days", vpc(flow_log_retention_days=True), "a bool for a number"),
    Case("IsolatedVpc", "flow_log_retention_days", vpc(flow_log_retention_days=100)),
    Case("IsolatedVpc", "flow_log_retention_days", vpc(flow_log_retention_days="365")),
    Case("IsolatedVpc", "flow_log_removal_policy", vpc(flow_log_removal_policy=cdk.RemovalPolicy.SNAPSHOT)),
    Case("IsolatedVpc", "gateway_prefix_list_ids", vpc(gateway_prefix_list_ids=["pl-xyz"])),
    Case("IsolatedVpc", "gateway_prefix_list_ids", vpc(gateway_prefix_list_ids="pl-63a5400a")),
    Case("IsolatedVpc.add_interface_endpoint", "endpoint", lambda w: w.network.add_interface_endpoint("kms")),
    Case("IsolatedVpc.allow_https_egress", "security_group",
         lambda w: w.network.allow_https_egress("sg-0123456789abcdef0")),
    # PipelineCompute
    Case("PipelineCompute", "network", lambda w: PipelineCompute(w.stack, w.new_id(), network=w.network.vpc,
                                                                 key=w.key), "a plain ec2.Vpc"),
    Case("PipelineCompute", "key", compute(key=KEY_ARN)),
    Case("PipelineCompute", "container_repositories", compute(container_repositories=["genomics/tools"])),
    Case("PipelineCompute", "container_repositories", lambda w: PipelineCompute(
        w.stack, w.new_id(), network=w.network, key=w.key, fargate=True, container_repositories=[w.images]),
        "Fargate pulls with the job definition's execution role"),
    Case("PipelineCompute", "key", lambda w: PipelineCompute(w.stack, w.new_id(), network=w.network, key=w.eu_key)),
    Case("PipelineCompute", "instance_types", compute(instance_types=["m5.large"])),
    Case("PipelineCompute", "instance_types", compute(instance_types=ec2.InstanceType("m5.large"))),
    Case("PipelineCompute", "max_vcpus", compute(max_vcpus=0)),
    Case("PipelineCompute", "max_vcpus", compute(max_vcpus=True)),
    Case("PipelineCompute", "max_vcpus", compute(max_vcpus=2.5)),
    Case("PipelineCompute", "root_volume_gib", compute(root_volume_gib=8)),
    Case("PipelineCompute", "fargate", compute(fargate=True, root_volume_gib=200)),
    Case("PipelineCompute", "fargate", compute(fargate="yes")),
    Case("PipelineCompute", "spot", compute(spot=1)),
    Case("PipelineCompute", "log_retention_days", compute(log_retention_days=True)),
    Case("PipelineCompute", "log_retention_days", compute(log_retention_days=10)),
    Case("PipelineCompute.grant_data_access", "bucket",
         lambda w: w.compute.grant_data_access("arn:aws:s3:::phi-data", w.key)),
    Case("PipelineCompute.grant_data_access", "key", lambda w: w.compute.grant_data_access(w.raw_bucket)),
    Case("PipelineCompute.grant_data_access", "key", lambda w: w.compute.grant_data_access(w.bucket, KEY_ARN)),
    Case("PipelineCompute.grant_data_access", "key",
         lambda w: w.compute.grant_data_access(w.west_bucket, w.key), "key and bucket in different regions"),
    Case("PipelineCompute.grant_data_access", "prefix",
         lambda w: w.compute.grant_data_access(w.bucket, prefix=f"{PHI_EMAIL}/*")),
    Case("PipelineCompute.grant_data_access", "prefix", lambda w: w.compute.grant_data_access(w.bucket, prefix="")),
    Case("PipelineCompute.grant_data_access", "write",
         lambda w: w.compute.grant_data_access(w.bucket, write="true")),
    # AnalysisWorkstation
    Case("AnalysisWorkstation", "network", workstation(network="vpc-0123")),
    Case("AnalysisWorkstation", "network", lambda w: AnalysisWorkstation(w.stack, w.new_id(), network=w.bare_network,
                                                                         key=w.key), "no Session Manager endpoints"),
    Case("AnalysisWorkstation", "key", workstation(key=KEY_ARN)),
    Case("AnalysisWorkstation", "key",
         lambda w: AnalysisWorkstation(w.stack, w.new_id(), network=w.network, key=w.eu_key)),
    Case("AnalysisWorkstation", "instance_type", workstation(instance_type="r6i.2xlarge")),
    Case("AnalysisWorkstation", "root_volume_gib", workstation(root_volume_gib=20000)),
    Case("AnalysisWorkstation", "root_volume_gib", workstation(root_volume_gib="100")),
    Case("AnalysisWorkstation", "idle_timeout_minutes", workstation(idle_timeout_minutes=0)),
    Case("AnalysisWorkstation", "idle_timeout_minutes", workstation(idle_timeout_minutes=False)),
    Case("AnalysisWorkstation", "log_retention_days", workstation(log_retention_days=366)),
    Case("AnalysisWorkstation.grant_session", "principal",
         lambda w: w.workstation.grant_session(iam.ServicePrincipal("ec2.amazonaws.com"))),
    Case("AnalysisWorkstation.grant_session", "principal", lambda w: w.workstation.grant_session(ROLE_ARN)),
    # HealthOmicsRunNetwork
    Case("HealthOmicsRunNetwork", "network",
         lambda w: HealthOmicsRunNetwork(w.stack, w.new_id(), network=w.network.vpc)),
    Case("HealthOmicsRunNetwork", "configuration_name",
         lambda w: HealthOmicsRunNetwork(w.stack, w.new_id(), network=w.network, configuration_name="-runs")),
    Case("HealthOmicsRunNetwork", "configuration_name",
         lambda w: HealthOmicsRunNetwork(w.stack, w.new_id(), network=w.network, configuration_name=PHI_EMAIL)),
    Case("HealthOmicsRunNetwork", "description",
         lambda w: HealthOmicsRunNetwork(w.stack, w.new_id(), network=w.network, description=f"runs of {PHI_EMAIL}"),
         "PHI in a run-network description"),
    Case("HealthOmicsRunNetwork", "description",
         lambda w: HealthOmicsRunNetwork(w.stack, w.new_id(), network=w.network, description="x" * 300)),
    # SequenceStore
    Case("SequenceStore", "key", sequence_store(key=KEY_ARN)),
    Case("SequenceStore", "key", lambda w: SequenceStore(w.stack, w.new_id(), key=w.eu_key, access_logs=w.logs)),
    Case("SequenceStore", "access_logs", lambda w: SequenceStore(w.stack, w.new_id(), key=w.key,
                                                                 access_logs=w.raw_bucket)),
    Case("SequenceStore", "access_logs", lambda w: SequenceStore(w.stack, w.new_id(), key=w.key)),
    Case("SequenceStore", "access_log_prefix", sequence_store(access_log_prefix="omics")),
    Case("SequenceStore", "access_log_prefix", sequence_store(access_log_prefix=f"omics/{PHI_EMAIL}/")),
    Case("SequenceStore", "name", sequence_store(name=f"reads-{PHI_SSN}")),
    Case("SequenceStore", "name", sequence_store(name="x" * 200)),
    Case("SequenceStore", "description", sequence_store(description=f"reads of {PHI_EMAIL}")),
    Case("SequenceStore", "s3_access_policy", sequence_store(s3_access_policy={"Statement": []})),
    Case("SequenceStore", "tags", sequence_store(tags={"aws:x": "y"})),
    Case("SequenceStore", "removal_policy", sequence_store(removal_policy="DESTROY")),
    # ReferenceStore
    Case("ReferenceStore", "key", reference_store(key=None)),
    Case("ReferenceStore", "key", lambda w: ReferenceStore(w.stack, w.new_id(), key=w.west_key)),
    Case("ReferenceStore", "name", reference_store(name=PHI_EMAIL)),
    Case("ReferenceStore", "description", reference_store(description="d" * 300)),
    Case("ReferenceStore", "tags", reference_store(tags=[("k", "v")])),
    # PrivateWorkflow and WorkflowDefinition
    Case("PrivateWorkflow", "definition", workflow(definition=WORKFLOW_DIR)),
    Case("PrivateWorkflow", "definition", workflow(definition=WorkflowDefinition.from_asset("no/such/dir"))),
    Case("PrivateWorkflow", "definition", lambda w: PrivateWorkflow(
        w.stack, w.new_id(), definition=WorkflowDefinition.from_bucket(w.raw_bucket, ""))),
    Case("PrivateWorkflow", "definition", lambda w: PrivateWorkflow(
        w.stack, w.new_id(), definition=WorkflowDefinition.from_bucket(w.west_bucket, "wf/main.zip")),
         "a definition bucket of another region"),
    Case("PrivateWorkflow", "engine", workflow(engine="WDL")),
    Case("PrivateWorkflow", "name", workflow(name=PHI_EMAIL)),
    Case("PrivateWorkflow", "description", workflow(description=f"call variants for {PHI_SSN}")),
    Case("PrivateWorkflow", "parameters", workflow(parameters={"sample": None})),
    Case("PrivateWorkflow", "parameters", workflow(parameters={"sample": f"FASTQ of {PHI_EMAIL}"})),
    Case("PrivateWorkflow", "gpu", workflow(gpu="no")),
    Case("PrivateWorkflow", "main", workflow(main=7)),
    Case("WorkflowDefinition", "bucket", lambda w: WorkflowDefinition.from_bucket("arn:aws:s3:::wf", "main.zip")),
    Case("WorkflowDefinition", "path", lambda w: WorkflowDefinition.from_asset(7)),
    # RunGroup
    Case("RunGroup", "max_cpus", run_group(max_cpus=0)),
    Case("RunGroup", "max_cpus", run_group(max_cpus=True)),
    Case("RunGroup", "max_gpus", run_group(max_gpus=100001)),
    Case("RunGroup", "max_runs", run_group(max_runs="10")),
    Case("RunGroup", "max_duration", run_group(max_duration=24)),
    Case("RunGroup", "max_duration", run_group(max_duration=cdk.Duration.seconds(30))),
    Case("RunGroup", "name", run_group(name=PHI_EMAIL)),
    Case("RunGroup", "tags", run_group(tags={"k": None})),
    # WorkflowRunRole
    Case("WorkflowRunRole", "inputs", run_role(inputs="phi-data")),
    Case("WorkflowRunRole", "inputs", lambda w: WorkflowRunRole(w.stack, w.new_id(), inputs=[w.raw_bucket])),
    Case("WorkflowRunRole", "inputs", lambda w: WorkflowRunRole(w.stack, w.new_id(), inputs=[w.west_bucket])),
    Case("WorkflowRunRole", "inputs", lambda w: WorkflowRunRole(w.stack, w.new_id())),
    Case("WorkflowRunRole", "input_prefix", run_role(input_prefix="fastq")),
    Case("WorkflowRunRole", "output_prefix", run_role(output_prefix=f"runs/{PHI_EMAIL}/")),
    Case("WorkflowRunRole", "output_prefix", run_role(output_prefix="runs/*/")),
    Case("WorkflowRunRole", "reference_stores", run_role(reference_stores=["refs"])),
    Case("WorkflowRunRole", "container_repositories", run_role(container_repositories=["my-repo"])),
    Case("WorkflowRunRole", "role_name", run_role(role_name=PHI_EMAIL)),
    Case("WorkflowRunRole", "role_name", run_role(role_name="r" * 65)),
    Case("WorkflowRunRole", "role_name", run_role(role_name="genomics run role"), "a space IAM refuses"),
    # ImageRepository
    Case("ImageRepository", "key", image_repository(key=KEY_ARN)),
    Case("ImageRepository", "key", lambda w: ImageRepository(w.stack, w.new_id(), key=w.eu_key)),
    Case("ImageRepository", "repository_name", image_repository(repository_name="Genomics/BWA"), "uppercase"),
    Case("ImageRepository", "repository_name", image_repository(repository_name="tools/"), "a trailing '/'"),
    Case("ImageRepository", "repository_name", image_repository(repository_name="tools..bwa")),
    Case("ImageRepository", "repository_name", image_repository(repository_name="x")),
    Case("ImageRepository", "repository_name", image_repository(repository_name=f"mrn-{12345678}")),
    Case("ImageRepository", "untagged_expiry_days", image_repository(untagged_expiry_days=0)),
    Case("ImageRepository", "untagged_expiry_days", image_repository(untagged_expiry_days="14")),
    Case("ImageRepository", "tags", image_repository(tags={"owner": PHI_EMAIL})),
    Case("ImageRepository", "removal_policy", image_repository(removal_policy=cdk.RemovalPolicy.SNAPSHOT)),
    Case("ImageRepository", "env", lambda w: ImageRepository(w.envless, w.new_id(),
                                                            key=kms.Key.from_key_arn(w.envless, w.new_id(), KEY_ARN))),
    # Registry maps of PrivateWorkflow and WorkflowVersion
    Case("PrivateWorkflow", "image_mappings", lambda w: PrivateWorkflow(
        w.stack, w.new_id(), definition=WorkflowDefinition.from_asset(WORKFLOW_DIR),
        container_repositories=[w.images], image_mappings={"bwa": f"{w.other_images.repository_uri}:1"}),
        "a repository that was not given"),
    Case("PrivateWorkflow", "image_mappings", workflow(image_mappings={"bwa": "docker.io/biocontainers/bwa:1"})),
    Case("PrivateWorkflow", "container_repositories", workflow(container_repositories=["genomics/tools"])),
    Case("WorkflowVersion", "image_mappings", workflow_version(image_mappings={"bwa": "quay.io/x/bwa:1"})),
    Case("WorkflowVersion", "image_mappings", lambda w: WorkflowVersion(
        w.stack, w.new_id(), workflow=w.workflow, version_name="2", definition=WorkflowDefinition.from_asset(
            WORKFLOW_DIR), image_mappings={"bwa": f"{w.other_images.repository_uri}:1"})),
    Case("WorkflowVersion", "version_name", workflow_version(version_name="v 2")),
    Case("WorkflowVersion", "version_name", workflow_version(version_name="v" * 65)),
    Case("WorkflowVersion", "workflow", workflow_version(workflow="my-workflow")),
    Case("WorkflowVersion", "description", workflow_version(description=f"for {PHI_SSN}")),
    # RunCache
    Case("RunCache", "bucket", lambda w: RunCache(w.stack, w.new_id(), bucket=w.raw_bucket), "not a PHI bucket"),
    Case("RunCache", "bucket", run_cache(bucket="s3://cache-bucket/")),
    Case("RunCache", "bucket", lambda w: RunCache(w.west, w.new_id(), bucket=w.bucket), "another region"),
    Case("RunCache", "prefix", run_cache(prefix="")),
    Case("RunCache", "prefix", run_cache(prefix="cache")),
    Case("RunCache", "prefix", run_cache(prefix=f"cache/{PHI_EMAIL}/")),
    Case("RunCache", "behavior", run_cache(behavior="CACHE_ALWAYS")),
    Case("RunCache", "run_roles", run_cache(run_roles=["arn:aws:iam::111122223333:role/run"])),
    Case("RunCache", "name", run_cache(name=PHI_EMAIL)),
    Case("RunCache", "tags", run_cache(tags={"patient": PHI_SSN})),
    # FhirDatastore
    Case("FhirDatastore", "key", datastore(key=KEY_ARN)),
    Case("FhirDatastore", "key", lambda w: FhirDatastore(w.stack, w.new_id(), key=w.eu_key)),
    Case("FhirDatastore", "name", datastore(name="study!"), "a character HealthLake refuses"),
    Case("FhirDatastore", "name", datastore(name=PHI_EMAIL)),
    Case("FhirDatastore", "name", datastore(name="n" * 257)),
    Case("FhirDatastore", "preload_synthea", datastore(preload_synthea="yes")),
    Case("FhirDatastore", "tags", datastore(tags={"aws:x": "y"})),
    Case("FhirDatastore", "removal_policy", datastore(removal_policy=cdk.RemovalPolicy.SNAPSHOT)),
    Case("FhirDatastore", "smart_on_fhir", datastore(smart_on_fhir={"issuer": "https://idp"})),
    Case("FhirDatastore", "smart_on_fhir", smart(idp_lambda="arn:aws:lambda:us-east-1:111122223333:function:idp")),
    Case("FhirDatastore", "smart_on_fhir", smart(strategy="SMART_ON_FHIR")),
    Case("FhirDatastore", "smart_on_fhir", smart(metadata={"issuer": "http://idp.example.org"})),
    Case("FhirDatastore", "smart_on_fhir", smart(fine_grained_authorization="true")),
    Case("FhirDatastore", "smart_on_fhir", smart(metadata="{}")),
    # FhirImportExportRole
    Case("FhirImportExportRole", "datastore", job_role(datastore="fhir")),
    Case("FhirImportExportRole", "output", lambda w: FhirImportExportRole(w.stack, w.new_id(), datastore=w.datastore,
                                                                          output=w.raw_bucket)),
    Case("FhirImportExportRole", "output", lambda w: FhirImportExportRole(w.stack, w.new_id(), datastore=w.datastore,
                                                                          output=w.west_bucket)),
    Case("FhirImportExportRole", "source", lambda w: FhirImportExportRole(w.stack, w.new_id(), datastore=w.datastore,
                                                                          output=w.bucket, source="phi")),
    Case("FhirImportExportRole", "output_prefix", job_role(output_prefix="/abs/")),
    Case("FhirImportExportRole", "source_prefix", job_role(source_prefix=f"import/{PHI_SSN}/")),
    Case("FhirImportExportRole", "role_name", job_role(role_name=PHI_EMAIL)),
    Case("FhirImportExportRole", "role_name", job_role(role_name="fhir/jobs")),
    # AuditTrail
    Case("AuditTrail", "key", trail(key=KEY_ARN)),
    Case("AuditTrail", "key", lambda w: AuditTrail(w.stack, w.new_id(), key=w.eu_key), "a key of another region"),
    Case("AuditTrail", "data_buckets", lambda w: AuditTrail(w.stack, w.new_id(), data_buckets=w.bucket),
         "a bucket, not a list"),
    Case("AuditTrail", "data_buckets", trail(data_buckets=["arn:aws:s3:::phi-data"])),
    Case("AuditTrail", "data_buckets", lambda w: AuditTrail(w.stack, w.new_id(), data_buckets=[w.west_bucket])),
    Case("AuditTrail", "trail_name", trail(trail_name="ab")),
    Case("AuditTrail", "trail_name", trail(trail_name=f"trail-{PHI_SSN}")),
    Case("AuditTrail", "trail_name", trail(trail_name="10.0.0.1")),
    Case("AuditTrail", "access_logs", lambda w: AuditTrail(w.stack, w.new_id(), access_logs=w.raw_bucket)),
    Case("AuditTrail", "log_group_retention", trail(log_group_retention=logs.RetentionDays.INFINITE)),
    Case("AuditTrail", "log_group_retention", trail(log_group_retention=365)),
    Case("AuditTrail", "log_file_retention", trail(log_file_retention=cdk.Duration.days(30))),
    Case("AuditTrail", "object_lock_retention", trail(object_lock_retention=365)),
    Case("AuditTrail", "removal_policy", trail(removal_policy=cdk.RemovalPolicy.SNAPSHOT)),
    Case("AuditTrail", "env", lambda w: AuditTrail(w.envless, w.new_id())),
    Case("AuditTrail.add_data_bucket", "bucket", lambda w: w.trail.add_data_bucket("phi-data")),
    Case("AuditTrail.add_data_bucket", "bucket", lambda w: w.trail.add_data_bucket(w.west_bucket)),
    Case("AuditTrail.grant_read", "grantee", lambda w: w.trail.grant_read(ROLE_ARN)),
    # AlertTopic
    Case("AlertTopic", "email", topic(email="security-alerts@example.org\n"), "a trailing newline"),
    Case("AlertTopic", "email", topic(email="security alerts@example.org")),
    Case("AlertTopic", "email", topic(email=["a@example.org", "b@example.org"])),
    Case("AlertTopic", "key", topic(key=KEY_ARN)),
    Case("AlertTopic", "key", lambda w: AlertTopic(w.stack, w.new_id(), key=w.eu_key), "a key of another region"),
    Case("AlertTopic", "display_name", topic(display_name="")),
    Case("AlertTopic", "display_name", topic(display_name="d" * 101)),
    Case("AlertTopic", "display_name", topic(display_name=f"alerts for {PHI_EMAIL}")),
    Case("AlertTopic", "env", lambda w: AlertTopic(w.envless, w.new_id())),
    # KeyWatch
    Case("KeyWatch", "keys", lambda w: KeyWatch(w.stack, w.new_id(), alerts=w.alerts, keys=[w.eu_key]),
         "a key in another region can never fire"),
    Case("KeyWatch", "keys", lambda w: KeyWatch(w.stack, w.new_id(), alerts=w.alerts, keys=[w.west_key])),
    Case("KeyWatch", "keys", lambda w: KeyWatch(w.stack, w.new_id(), alerts=w.alerts, keys=w.key)),
    Case("KeyWatch", "keys", lambda w: KeyWatch(w.stack, w.new_id(), alerts=w.alerts, keys=[KEY_ARN])),
    Case("KeyWatch", "alerts", lambda w: KeyWatch(w.stack, w.new_id(), alerts=w.alerts.topic)),
    Case("KeyWatch", "alerts", lambda w: KeyWatch(w.stack, w.new_id())),
    # AccountAlarms
    Case("AccountAlarms", "trail", lambda w: AccountAlarms(w.stack, w.new_id(), trail="trail", alerts=w.alerts)),
    Case("AccountAlarms", "alerts", lambda w: AccountAlarms(w.stack, w.new_id(), trail=w.trail, alerts="topic")),
    Case("AccountAlarms", "alarms", lambda w: AccountAlarms(w.stack, w.new_id(), trail=w.trail, alerts=w.alerts,
                                                            alarms=[])),
    Case("AccountAlarms", "alarms", lambda w: AccountAlarms(w.stack, w.new_id(), trail=w.trail, alerts=w.alerts,
                                                            alarms=AccountAlarm.ROOT_USE)),
    Case("AccountAlarms", "alarms", lambda w: AccountAlarms(w.stack, w.new_id(), trail=w.trail, alerts=w.alerts,
                                                            alarms=["ROOT_USE"])),
    # AccountSecurityServices
    Case("AccountSecurityServices", "config_recorder", account_services()),
    Case("AccountSecurityServices", "config_recorder", account_services(config_recorder="true")),
    Case("AccountSecurityServices", "config_rules", account_services(config_recorder=True,
                                                                     config_rules=["CLOUD_TRAIL_ENABLED"])),
    Case("AccountSecurityServices", "config_rules", account_services(macie=True,
                                                                     config_rules=[ConfigRule.CLOUD_TRAIL_ENABLED])),
    Case("AccountSecurityServices", "macie_finding_frequency",
         account_services(macie=True, macie_finding_frequency="ONE_HOUR")),
    Case("AccountSecurityServices", "macie", account_services(macie=1)),
    Case("AccountSecurityServices", "trail",
         lambda w: AccountSecurityServices(w.stack, w.new_id(), trail=w.bucket, macie=True)),
    Case("AccountSecurityServices", "record_global_resources",
         account_services(config_recorder=True, record_global_resources=None)),
    # VerifyAuditorRole
    Case("VerifyAuditorRole", "assumed_by", lambda w: VerifyAuditorRole(w.stack, w.new_id(), assumed_by=ACCOUNT)),
    Case("VerifyAuditorRole", "assumed_by", lambda w: VerifyAuditorRole(w.stack, w.new_id(), assumed_by=None)),
    Case("VerifyAuditorRole", "assumed_by",
         lambda w: VerifyAuditorRole(w.stack, w.new_id(), assumed_by=iam.AnyPrincipal()), "anyone may assume it"),
    Case("VerifyAuditorRole", "role_name", lambda w: VerifyAuditorRole(
        w.stack, w.new_id(), assumed_by=iam.AccountRootPrincipal(), role_name=PHI_EMAIL)),
    # PhiBackupVault
    Case("PhiBackupVault", "max_retention", vault(min_retention=cdk.Duration.days(90),
                                                  max_retention=cdk.Duration.days(30)), "max < min"),
    Case("PhiBackupVault", "changeable_for", vault(changeable_for=cdk.Duration.days(2)), "under the 72-hour minimum"),
    Case("PhiBackupVault", "min_retention", vault(min_retention=35), "days as a number"),
    Case("PhiBackupVault", "vault_name", vault(vault_name=f"backups-{PHI_SSN}"), "PHI-looking name"),
    Case("PhiBackupVault", "vault_name", vault(vault_name=f"{PHI_EMAIL}"), "PHI-looking name"),
    Case("PhiBackupVault", "vault_name", vault(vault_name="x"), "too short"),
    Case("PhiBackupVault", "key", lambda w: PhiBackupVault(w.stack, w.new_id(), key=w.eu_key)),
    Case("PhiBackupVault", "env", lambda w: PhiBackupVault(w.envless, w.new_id())),
    # PhiBackup
    Case("PhiBackup", "buckets", backup_plan(buckets=[]), "no bucket"),
    Case("PhiBackup", "buckets", lambda w: backup_plan(buckets=[w.logs])(w), "only an access-log bucket"),
    Case("PhiBackup", "buckets", lambda w: backup_plan(buckets=[w.raw_bucket])(w), "only a non-PHI bucket"),
    Case("PhiBackup", "buckets", lambda w: backup_plan(buckets=[w.bucket, w.west_bucket])(w), "another region"),
    Case("PhiBackup", "buckets", lambda w: backup_plan(buckets=w.bucket)(w), "a bucket, not a list"),
    Case("PhiBackup", "continuous_retention", backup_plan(continuous_retention=cdk.Duration.days(36)),
         "over S3's 35 days"),
    Case("PhiBackup", "copy_to", lambda w: backup_plan(copy_to=PhiBackupVault(
        w.stack, w.new_id(), min_retention=cdk.Duration.days(365)))(w), "a copy target in the same region"),
    Case("PhiBackup", "copy_to", lambda w: backup_plan(copy_to=PhiBackupVault(w.west, w.new_id()))(w),
         "a lock minimum shorter than the retention it protects"),
    Case("PhiBackup", "vault", lambda w: backup_plan(vault=PhiBackupVault(
        w.stack, w.new_id(), min_retention=cdk.Duration.days(7)))(w), "a lock minimum shorter than the retention"),
    Case("PhiBackup", "vault", lambda w: backup_plan(vault=PhiBackupVault(
        w.stack, w.new_id(), max_retention=cdk.Duration.days(100)))(w), "a lock maximum under the retention"),
    Case("PhiBackup", "snapshot_schedule", backup_plan(snapshot_schedule="every day")),
    Case("PhiBackup", "restore_validation_window", backup_plan(restore_validation_window=cdk.Duration.days(8))),
    Case("PhiBackup", "alerts", lambda w: backup_plan(alerts=w.alerts.topic)(w), "the topic, not the AlertTopic"),
    # Organization guardrails (omics_secure.organization)
    Case("RegionLockPolicy", "regions", region_lock(regions=["us-east-9"])),
    Case("RegionLockPolicy", "regions", region_lock(regions=[])),
    Case("RegionLockPolicy", "regions", region_lock(regions="us-east-1")),
    Case("RegionLockPolicy", "target_ids", region_lock(target_ids=[])),
    Case("RegionLockPolicy", "target_ids", region_lock(target_ids=["ou-12"])),
    Case("RegionLockPolicy", "target_ids", region_lock(target_ids=["1111-2222-3333"])),
    Case("RegionLockPolicy", "break_glass_role", region_lock(break_glass_role="arn:aws:iam::*:user/admin")),
    Case("RegionLockPolicy", "break_glass_role", region_lock(break_glass_role="arn:aws:iam::*:role/*")),
    Case("RegionLockPolicy", "break_glass_role", region_lock(break_glass_role="BreakGlass")),
    Case("ControlsProtectionPolicy", "break_glass_role", lambda w: ControlsProtectionPolicy(
        w.stack, w.new_id(), target_ids=[OU_ID], break_glass_role="arn:aws:sts::111122223333:assumed-role/a/b")),
    Case("ControlsProtectionPolicy", "deployment_roles", lambda w: ControlsProtectionPolicy(
        w.stack, w.new_id(), target_ids=[OU_ID], break_glass_role=BREAK_GLASS, deployment_roles=["cdk-deploy"])),
    Case("ControlsProtectionPolicy", "target_ids", lambda w: ControlsProtectionPolicy(
        w.stack, w.new_id(), target_ids=[OU_ID, OU_ID], break_glass_role=BREAK_GLASS)),
    Case("HipaaServicesPolicy", "services", lambda w: HipaaServicesPolicy(
        w.stack, w.new_id(), target_ids=[OU_ID], services=["s3:*"])),
    Case("HipaaServicesPolicy", "content", lambda w: HipaaServicesPolicy(
        w.stack, w.new_id(), target_ids=[OU_ID], services=["x" * 6000])),
    Case("HipaaServicesPolicy", "target_ids", lambda w: HipaaServicesPolicy(w.stack, w.new_id(), target_ids=OU_ID)),
    Case("DataClassificationTagPolicy", "target_ids", lambda w: DataClassificationTagPolicy(
        w.stack, w.new_id(), target_ids=[""])),
    Case("DataClassificationTagPolicy", "values", lambda w: DataClassificationTagPolicy(
        w.stack, w.new_id(), target_ids=[OU_ID], values=[])),
    Case("OrganizationGuardrails", "regions", lambda w: OrganizationGuardrails(
        w.stack, w.new_id(), target_ids=[OU_ID], regions=["mars-1"], break_glass_role=BREAK_GLASS)),
    Case("OrganizationGuardrails", "target_ids", lambda w: OrganizationGuardrails(
        w.stack, w.new_id(), target_ids=[], regions=["us-east-1"], break_glass_role=BREAK_GLASS)),
    Case("OrganizationGuardrails", "break_glass_role", lambda w: OrganizationGuardrails(
        w.stack, w.new_id(), target_ids=[OU_ID], regions=["us-east-1"],
        break_glass_role=f"arn:aws:iam::{ACCOUNT}:root")),
    Case("OrganizationPolicyTypes", "policy_type", lambda w: OrganizationPolicyTypes.of(w.stack).require(
        "TAGS_POLICY", DataClassificationTagPolicy(w.stack, w.new_id(), target_ids=[OU_ID]).policy)),
    Case("OrganizationPolicyTypes", "policy", lambda w: OrganizationPolicyTypes.of(w.stack).require(
        "TAG_POLICY", "arn:aws:organizations::111122223333:policy/o-1/tag_policy/p-1")),  # type: ignore[arg-type]
    # Every construct: the scope and the id themselves
    Case("PhiKey", "scope", lambda w: PhiKey("stack", "Key")),
    Case("PhiBucket", "id", lambda w: PhiBucket(w.stack, 7)),
    Case("AuditTrail", "id", lambda w: AuditTrail(w.stack)),
    Case("PhiKey", "id", lambda w: PhiKey(w.stack, ""), "an empty id"),
    Case("PhiKey", "id", lambda w: PhiKey(w.stack, "Key"), "an id taken in the scope"),
    Case("PhiBucket", "id", lambda w: PhiBucket(w.stack, "Patient-123-45-6789"), "an id that looks like PHI"),
    Case("AccessLogBucket", "id", lambda w: AccessLogBucket(w.stack, "jane.doe@example.org")),
]


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> World:
    return World(str(tmp_path_factory.mktemp("catalogue") / "cdk.out"))


def test_the_catalogue_is_large_and_covers_every_public_construct() -> None:
    from constructs import Construct

    import omics_secure

    exported = {name: getattr(omics_secure, name) for name in omics_secure.__all__}
    constructs = {name for name, value in exported.items() if isinstance(value, type) and issubclass(value, Construct)}
    covered = {case.construct.split(".")[0] for case in CASES}
    assert len(CASES) >= 150
    assert constructs <= covered, f"no bad-props case for {sorted(constructs - covered)}"


@pytest.mark.parametrize("case", CASES, ids=[f"{c.construct}-{c.prop}-{i}" for i, c in enumerate(CASES)])
def test_a_bad_prop_ends_in_the_project_error_naming_the_prop(world: World, case: Case) -> None:
    with pytest.raises(OmicsSecureConfigError) as raised:
        case.make(world)
    message = str(raised.value)
    assert re.search(rf"(^|\s|\.){re.escape(case.prop)}(=|\[|\.)", message), message
    assert " object at 0x" not in message, message
    assert message.startswith(case.construct.split(".")[0]), message


@pytest.mark.parametrize(("context", "prop"), [
    ({"omics-secure:account": "abc"}, "omics-secure:account"),
    ({"omics-secure:account": "12345"}, "omics-secure:account"),
    ({"omics-secure:region": "mars-1"}, "omics-secure:region"),
    ({"omics-secure:replica-region": "us-east-1"}, "omics-secure:replica-region"),
    ({"omics-secure:replica-region": "cn-north-1"}, "omics-secure:replica-region"),
    ({"omics-secure:vpc-cidr": "169.254.0.0/16"}, "cidr"),
    ({"omics-secure:alarm-email": "ops@example.org\n"}, "email"),
    ({"omics-secure:endpoints": "KMS,NOPE"}, "omics-secure:endpoints"),
    ({"omics-secure:batch-spot": "maybe"}, "omics-secure:batch-spot"),
])
def test_bad_reference_app_context_is_refused_before_synthesis(tmp_path, context: dict[str, str],
                                                              prop: str) -> None:
    with pytest.raises(OmicsSecureConfigError) as raised:
        build_reference_app(make_app(tmp_path / "cdk.out", **context), with_compliance_packs=False)
    assert re.search(rf"(^|\s){re.escape(prop)}(=|\[)", str(raised.value)), str(raised.value)


def test_every_problem_of_a_construct_is_reported_at_once(world: World) -> None:
    with pytest.raises(OmicsSecureConfigError) as raised:
        PhiBucket(world.stack, world.new_id(), bucket_name="Bad_Name", tags={"aws:x": "y"},
                  access_log_prefix=f"{PHI_EMAIL}/", key=world.eu_key)
    assert {p.prop for p in raised.value.problems} == {"bucket_name", "tags['aws:x']", "access_log_prefix", "key"}


def test_a_wrong_type_does_not_hide_the_value_problems_of_the_same_call(world: World) -> None:
    """One error for the call: the wrong type, and every value problem of the other props."""
    with pytest.raises(OmicsSecureConfigError) as raised:
        PhiBucket(world.stack, world.new_id(), key=world.key, bucket_name="Bad_Name", tags={"aws:x": "y"},
                  object_lock_retention=30)
    assert {p.prop for p in raised.value.problems} == {"object_lock_retention", "bucket_name", "tags['aws:x']"}
    with pytest.raises(OmicsSecureConfigError) as raised:
        IsolatedVpc(world.stack, world.new_id(), key=world.key, cidr="8.8.0.0/16", flow_log_retention_days="365")
    assert [p.prop for p in raised.value.problems] == ["flow_log_retention_days", "cidr"]


@pytest.mark.parametrize(("make", "props"), [
    (lambda w: PhiBucket(w.stack, w.new_id(), bucket_name="cohort-mrn-00123456", tags={"a": None}),
     ["tags['a']", "bucket_name"]),
    (lambda w: PhiBucket(w.stack, w.new_id(), bucket_name="Bad_Name", tags=[("a", "b")]), ["tags", "bucket_name"]),
    (lambda w: PhiKey(w.stack, w.new_id(), services="S3", alias="alias/aws/phi"), ["services", "alias"]),
    (lambda w: SequenceStore(w.stack, w.new_id(), key=w.key, access_logs=w.logs, tags={"a": None}, name="x" * 300),
     ["tags['a']", "name"]),
    (lambda w: ImageRepository(w.stack, w.new_id(), key=w.key, tags={"a": None}, repository_name="Bad Name"),
     ["tags['a']", "repository_name"]),
    # A misspelt prop is one more problem, not the only one.
    (lambda w: AccessLogBucket(w.stack, w.new_id(), bucket_name="Bad_Name", tags={"a": "b"}), ["tags", "bucket_name"]),
    (lambda w: AuditTrail(w.stack, w.new_id(), access_logs=w.logs, tag={"a": "b"}, trail_name=PHI_EMAIL),
     ["tag", "trail_name"]),
], ids=["None-tag-value", "tags-as-list", "services-as-string", "store-tags", "repository-tags", "unknown-tags",
        "unknown-tag"])
def test_a_wrong_type_or_a_misspelt_prop_does_not_hide_the_value_problems_of_other_props(
        world: World, make: Callable[[World], Any], props: list[str]) -> None:
    """A wrong-typed prop is judged as its default by the value checks of the others, and a misspelt one is left
    out of them: one error lists every problem, whatever kind of value tripped."""
    before = len(world.stack.node.children)
    with pytest.raises(OmicsSecureConfigError) as raised:
        make(world)
    assert [p.prop for p in raised.value.problems] == props, str(raised.value)
    assert len(world.stack.node.children) == before


def test_a_wrong_type_alone_is_still_one_error_and_nothing_is_built(world: World) -> None:
    before = len(world.stack.node.children)
    with pytest.raises(OmicsSecureConfigError) as raised:
        AccessLogBucket(world.stack, world.new_id(), retention=5)
    assert [p.prop for p in raised.value.problems] == ["retention"]
    assert len(world.stack.node.children) == before


def test_the_error_is_named_by_its_public_module_and_a_token_by_what_it_stands_for(world: World) -> None:
    assert OmicsSecureConfigError.__module__ == "omics_secure"
    bucket = world.bucket.bucket
    assert readable(bucket.bucket_arn) == f"the Arn of {bucket.node.default_child.node.path} (known at deployment)"
    assert readable(cdk.Fn.join("-", ["a", bucket.bucket_name])) == "a value known only at deployment (a CDK token)"
    assert "${Token[" not in readable(f"{bucket.bucket_arn}/runs/*")


def test_an_object_is_shown_by_its_construct_path_and_arn(world: World) -> None:
    with pytest.raises(OmicsSecureConfigError, match=re.escape(f"key=imported resource at Catalogue/EuKey "
                                                               f"({EU_KEY_ARN})")):
        PhiBucket(world.stack, world.new_id(), key=world.eu_key)
    with pytest.raises(OmicsSecureConfigError, match=r"key=Bucket at Catalogue/\w+/Resource: pass a kms.IKey"):
        PhiBucket(world.stack, world.new_id(), key=world.bucket.bucket)


def test_a_misspelt_prop_gets_a_suggestion(world: World) -> None:
    with pytest.raises(OmicsSecureConfigError, match=r"servces=.*did you mean 'services'\?"):
        PhiKey(world.stack, world.new_id(), servces=[KeyService.S3])


def test_a_wildcard_principal_is_refused_unless_a_condition_narrows_it(world: World) -> None:
    with pytest.raises(OmicsSecureConfigError) as raised:
        PhiKey(world.stack, world.new_id(), users=[iam.AnyPrincipal()], admins=[iam.ArnPrincipal("*")])
    assert [str(p) for p in raised.value.problems] == [
        "admins[0]=ArnPrincipal(*): a wildcard principal lets principals of every AWS account administer this key "
        "(and change its policy); name this account (iam.AccountRootPrincipal()) or its roles (the iam.Role, or "
        "iam.ArnPrincipal with the role's ARN), or narrow '*' to your organization with "
        "iam.OrganizationPrincipal('o-...')",
        "users[0]=AnyPrincipal(): a wildcard principal lets principals of every AWS account encrypt and decrypt with "
        "this key; name this account (iam.AccountRootPrincipal()) or its roles (the iam.Role, or iam.ArnPrincipal "
        "with the role's ARN), or narrow '*' to your organization with iam.OrganizationPrincipal('o-...')"]
    # A '*' narrowed to an organization or a principal by the condition it carries is a written-down choice.
    PhiKey(world.stack, world.new_id(), users=[iam.OrganizationPrincipal("o-a1b2c3d4e5")],
           admins=[iam.AnyPrincipal().with_conditions({"ArnEquals": {"aws:PrincipalArn": ROLE_ARN}})])
    VerifyAuditorRole(world.stack, world.new_id(), assumed_by=iam.AccountPrincipal("444455556666"))


def test_an_arn_where_an_object_is_expected_says_how_to_import_it(world: World) -> None:
    with pytest.raises(OmicsSecureConfigError, match=r"admins\[0\]=.*not an ARN string.*iam.ArnPrincipal\(arn\)"):
        PhiKey(world.stack, world.new_id(), admins=[ROLE_ARN])


def test_a_member_where_a_list_is_expected_suggests_the_list(world: World) -> None:
    with pytest.raises(OmicsSecureConfigError, match=r"services=KeyService.S3: .*e.g. \[KeyService.S3\]"):
        PhiKey(world.stack, world.new_id(), services=KeyService.S3)


def test_an_account_mismatch_is_a_warning_not_an_error(tmp_path) -> None:
    app = make_app(tmp_path / "cdk.out")
    stack = cdk.Stack(app, "Own", env=ENV)
    foreign = kms.Key.from_key_arn(stack, "Foreign", "arn:aws:kms:us-east-1:444455556666:key/abcd")
    PhiBucket(stack, "Data", key=foreign)
    warnings = [entry.data for entry in stack.node.metadata if entry.type == "aws:cdk:warning"]
    assert any("account 444455556666" in str(w) for w in warnings), warnings


def test_values_that_merely_resemble_bad_ones_are_accepted(world: World) -> None:
    """Near misses: ordinary names and tags, unresolved tokens, private ranges of every RFC 1918 block."""
    PhiBucket(world.stack, world.new_id(), bucket_name="genomics-phi-study42.mrapx",
              tags={"project": "study-42", "cost:center": "genomics lab", "owner@team": ""})
    PhiKey(world.stack, world.new_id(), description=cdk.Fn.ref("AWS::StackName"), alias="alias/genomics/phi-2")
    for cidr in ("172.16.0.0/16", "192.168.0.0/20", "100.64.0.0/16"):
        IsolatedVpc(world.stack, world.new_id(), key=world.key, cidr=cidr, interface_endpoints=[])
    FhirDatastore(world.stack, world.new_id(), key=world.key, name="Study 42: FHIR/R4 @lab+1=ok")
    AlertTopic(world.stack, world.new_id(), email="security-alerts+phi@example.org")
    _ = (Encryption, ObjectLockMode, TlsVersion, MacieFrequency, SmartAuthorizationStrategy, WorkflowEngine)


def _exported_constructs() -> list[type]:
    from constructs import Construct

    import omics_secure

    return [value for value in (getattr(omics_secure, name) for name in sorted(omics_secure.__all__))
            if isinstance(value, type) and issubclass(value, Construct)]


@pytest.mark.parametrize("construct", _exported_constructs(), ids=lambda c: c.__name__)
def test_every_construct_checks_its_id_first(world: World, construct: type) -> None:
    """An empty id or one already taken in the scope is the project's error naming ``id``, first, never jsii's
    RuntimeError ('Only root constructs may have an empty ID', 'There is already a Construct with name ...')."""
    for bad_id, fix in (("", "pass a non-empty construct id"),
                        ("Key", "'Catalogue' already has a construct with this id (PhiKey at Catalogue/Key)")):
        before = len(world.stack.node.children)
        with pytest.raises(OmicsSecureConfigError) as raised:
            construct(world.stack, bad_id)
        assert raised.value.problems[0].prop == "id", str(raised.value)
        assert f"  - id={bad_id!r}: {fix}" in str(raised.value)
        assert len(world.stack.node.children) == before


def test_an_id_that_looks_like_phi_is_refused_and_nothing_is_built(world: World) -> None:
    from omics_secure import OrganizationPolicyTypes

    with pytest.raises(OmicsSecureConfigError) as raised:
        PhiKey(world.stack, "Patient-123-45-6789", services=[KeyService.S3])
    assert str(raised.value) == (
        "PhiKey 'Patient-123-45-6789': invalid props\n  - id='Patient-123-45-6789': it looks like PHI (social "
        "security number); the id becomes the construct path, logical ids and the names and key aliases made from "
        "them; names, tags and metadata are not encrypted with the data; use an opaque identifier (a project or study "
        "code, a random id) and keep identifiers inside the encrypted objects")
    # A construct whose body has no value checks of its own builds before the error is raised: it is taken out.
    with pytest.raises(OmicsSecureConfigError, match=r"id='mrn-0012345': it looks like PHI \(medical record"):
        OrganizationPolicyTypes(world.stack, "mrn-0012345")
    assert world.stack.node.try_find_child("mrn-0012345") is None
    PhiKey(world.stack, world.new_id(), alias="alias/genomics/phi-3")  # ids such as Case12 are ordinary


def test_names_that_look_like_phi_are_refused_and_account_ids_are_not(world: World) -> None:
    """Bucket names and KMS aliases, given or derived from the stack name and construct path, are screened for
    record words with digits, SSNs without dashes and long digit runs; a 12-digit account id standing alone is not
    an identifier of a person."""
    with pytest.raises(OmicsSecureConfigError) as raised:
        PhiBucket(world.stack, world.new_id(), bucket_name="patient-12345678-wgs")
    assert "bucket_name='patient-12345678-wgs': it looks like PHI (patient or subject identifier)" in str(raised.value)
    with pytest.raises(OmicsSecureConfigError) as raised:
        PhiBucket(world.stack, world.new_id(), bucket_name="data-123456789")
    assert "bucket_name='data-123456789': it looks like PHI (social security number)" in str(raised.value)
    stack = cdk.Stack(world.app, "Cohort-12345678", env=ENV)
    with pytest.raises(OmicsSecureConfigError) as raised:
        PhiKey(stack, "Key")
    assert ("alias='alias/omics-secure/Cohort-12345678/Key': the default alias, made of the stack name and the "
            "construct path, looks like PHI (long number (8 or more digits)); rename the stack") in str(raised.value)
    PhiKey(stack, "Named", alias="alias/genomics/phi")
    AccessLogBucket(world.stack, world.new_id(), bucket_name=f"access-logs-{ACCOUNT}-us-east-1")


@pytest.mark.slow  # runs an app as a user does, in a subprocess
def test_python_app_py_with_a_misspelt_prop_shows_one_unchained_error(tmp_path) -> None:
    app = tmp_path / "app.py"
    app.write_text("import aws_cdk as cdk\nfrom omics_secure import PhiBucket, PhiKey\n\napp = cdk.App()\n"
                   "stack = cdk.Stack(app, 'Lab')\n"
                   "PhiBucket(stack, 'Data', key=PhiKey(stack, 'Key'), acess_logs=None)\napp.synth()\n")
    import subprocess
    import sys

    completed = subprocess.run([sys.executable, str(app)], capture_output=True, text=True, check=False,
                               cwd=tmp_path, env={"JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20",
                                                  "PATH": "/usr/bin:/bin", "CDK_OUTDIR": str(tmp_path / "out")})
    assert completed.returncode == 1
    assert "During handling of the above exception" not in completed.stderr
    assert "TypeError" not in completed.stderr and "omics_secure._internal" not in completed.stderr
    lines = completed.stderr.strip().splitlines()
    assert lines[-2] == "omics_secure.OmicsSecureConfigError: PhiBucket 'Data': invalid props", completed.stderr
    assert lines[-1].startswith("  - acess_logs=None: no such prop; did you mean 'access_logs'?")
