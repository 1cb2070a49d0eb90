"""Property-based tests over each construct's valid prop space (hypothesis).

For every combination hypothesis draws from the props a construct accepts: the construct is created
without error, the app synthesizes in-process, every template passes cfn-lint with no error, every
stateful resource (keys, buckets, log groups, stores, datastores, the trail) is retained on stack
deletion, and HIPAA.Security, NIST.800.53.R5, AwsSolutions and OmicsSecure report nothing open.

Synthesis with the four packs takes seconds, so each test draws few examples (``EXAMPLES``, raise it
with OMICS_SECURE_PROPERTY_EXAMPLES for a longer run), derandomized so that CI runs are repeatable.
"""

from __future__ import annotations

import json
import os
import string
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_logs as logs
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from omics_secure import (
    AccessLogBucket,
    AccountAlarm,
    AccountAlarms,
    AccountSecurityServices,
    AlertTopic,
    AnalysisWorkstation,
    AuditTrail,
    Encryption,
    FhirDatastore,
    FhirImportExportRole,
    HealthOmicsRunNetwork,
    InterfaceEndpoint,
    IsolatedVpc,
    KeyService,
    KeyWatch,
    MacieFrequency,
    ObjectLockMode,
    PhiBucket,
    PhiKey,
    PhiReplicaBucket,
    PipelineCompute,
    PrivateWorkflow,
    RawDataTiering,
    ReferenceStore,
    RunGroup,
    SequenceStore,
    TlsVersion,
    VerifyAuditorRole,
    WorkflowDefinition,
    WorkflowEngine,
    WorkflowRunRole,
)
from omics_secure._internal.naming import phi_like, phi_like_name
from omics_secure.network import DEFAULT_INTERFACE_ENDPOINTS, FLOW_LOG_RETENTION_DAYS
from tests.harness import ACCOUNT, ENV, REPLICA_REGION, check_compliance, make_app

EXAMPLES = int(os.environ.get("OMICS_SECURE_PROPERTY_EXAMPLES", "3"))
# No shrinking: one synthesis takes seconds, and the failing example hypothesis prints first is enough.
SETTINGS = settings(max_examples=EXAMPLES, deadline=None, derandomize=True, database=None,
                    phases=[Phase.explicit, Phase.generate],
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
STATEFUL = ("AWS::KMS::Key", "AWS::S3::Bucket", "AWS::Logs::LogGroup", "AWS::Omics::SequenceStore",
            "AWS::Omics::ReferenceStore", "AWS::HealthLake::FHIRDatastore", "AWS::CloudTrail::Trail")
# A PhiBucket without a replica is reported by these two rules, as documented; every other finding must be gone.
UNREPLICATED = {"HIPAA.Security-S3BucketReplicationEnabled", "NIST.800.53.R5-S3BucketReplicationEnabled"}
WORKFLOW_DIR = str(Path(__file__).resolve().parent.parent / "omics_secure" / "stacks" / "workflows" / "example")

labels = st.text(alphabet=string.ascii_letters + string.digits + "-_", min_size=1, max_size=24).filter(
    lambda text: text[0].isalnum() and phi_like_name(text) is None)
descriptions = st.text(alphabet=string.ascii_letters + string.digits + " -.,", min_size=1, max_size=80).filter(
    lambda text: text.strip() != "" and phi_like(text) is None)
tag_maps = st.dictionaries(
    st.text(alphabet=string.ascii_lowercase + "-:", min_size=1, max_size=16).filter(
        lambda key: not key.startswith("aws:") and key != "omics-secure:data-classification"),
    st.text(alphabet=string.ascii_letters + string.digits + " -_", max_size=32).filter(
        lambda value: phi_like(value) is None),
    max_size=3)
days = st.integers
retention_days = st.sampled_from(sorted(FLOW_LOG_RETENTION_DAYS))
endpoint_sets = st.sets(st.sampled_from(list(InterfaceEndpoint)), max_size=4)


@contextmanager
def new_app() -> Iterator[cdk.App]:
    with tempfile.TemporaryDirectory(prefix="omics-secure-prop-") as outdir:
        yield make_app(Path(outdir) / "cdk.out")


def stacks(app: cdk.App, replica: bool = False) -> tuple[cdk.Stack, cdk.Stack | None]:
    """The primary stack, and a stack of a second region when ``replica`` (an empty one fails cfn-lint)."""
    primary = cdk.Stack(app, "Primary", env=ENV)
    second = cdk.Stack(app, "Replica", env=cdk.Environment(account=ACCOUNT, region=REPLICA_REGION)) if replica else None
    return primary, second


def assert_sound(app: cdk.App, allowed: Callable[[str], bool] = lambda rule_id: False) -> None:
    """cfn-lint clean, stateful resources retained, and no open finding but the ``allowed`` ones."""
    result = check_compliance(app)
    assert not result.lint_errors, result.describe()
    opened = [f for f in result.open_findings if not allowed(f.rule_id)]
    assert not opened, result.describe()
    for stack in result.outcome.assembly_dir.glob("*.template.json"):
        template = json.loads(stack.read_text())
        for logical_id, resource in template.get("Resources", {}).items():
            if resource["Type"] in STATEFUL:
                assert resource.get("DeletionPolicy") == "Retain", f"{stack.name}: {logical_id} is not retained"


@SETTINGS
@given(services=st.sets(st.sampled_from(list(KeyService))), rotation=days(90, 2560), pending=days(7, 30),
       description=st.none() | descriptions, alias=st.none() | labels.map(lambda name: f"alias/test/{name}"))
def test_phi_key_prop_space(services, rotation, pending, description, alias) -> None:
    with new_app() as app:
        stack, _ = stacks(app)
        PhiKey(stack, "Key", services=sorted(services, key=lambda s: s.name),
               rotation_period=cdk.Duration.days(rotation), pending_window=cdk.Duration.days(pending),
               description=description, alias=alias)
        assert_sound(app)


@SETTINGS
@given(replicated=st.booleans(), encryption=st.sampled_from(list(Encryption)),
       lock_mode=st.sampled_from(list(ObjectLockMode)), lock_days=days(1, 3650),
       tls=st.sampled_from(list(TlsVersion)), abort_days=days(1, 30),
       noncurrent=st.sampled_from([(30, 365), (None, 90), (60, None), (None, None)]),
       tiering=st.none() | st.builds(RawDataTiering, prefix=st.sampled_from(["", "raw/", "fastq/"])),
       tags=tag_maps, prefix=st.none() | labels.map(lambda name: f"{name}/"))
def test_phi_bucket_prop_space(replicated, encryption, lock_mode, lock_days, tls, abort_days, noncurrent, tiering,
                               tags, prefix) -> None:
    transition, expiration = noncurrent
    with new_app() as app:
        stack, replica_stack = stacks(app, replica=replicated)
        replica = PhiReplicaBucket(replica_stack, "Replica", tags=tags,
                                   object_lock_retention=cdk.Duration.days(lock_days)) if replicated else None
        bucket = PhiBucket(
            stack, "Data", encryption=encryption, object_lock_mode=lock_mode,
            object_lock_retention=cdk.Duration.days(lock_days), minimum_tls_version=tls,
            abort_incomplete_uploads_after=cdk.Duration.days(abort_days),
            noncurrent_transition_after=None if transition is None else cdk.Duration.days(transition),
            noncurrent_expiration_after=None if expiration is None else cdk.Duration.days(expiration),
            tiering=tiering, tags=tags, access_log_prefix=prefix, replica=replica)
        bucket.grant_read(iam.Role(stack, "Reader", assumed_by=iam.ServicePrincipal("ecs-tasks.amazonaws.com")),
                          "runs/*")
        assert_sound(app, allowed=lambda rule_id: not replicated and rule_id in UNREPLICATED)


@SETTINGS
@given(second_octet=days(0, 255), prefix=days(16, 24), endpoints=endpoint_sets, retention=retention_days,
       base=st.sampled_from(["10.{}.0.0", "172.{}.0.0", "192.168.{}.0"]))
def test_isolated_vpc_prop_space(second_octet, prefix, endpoints, retention, base) -> None:
    if base.startswith("172."):
        second_octet = 16 + second_octet % 16
        prefix = max(prefix, 16)
    if base.startswith("192.168."):
        prefix = max(prefix, 17)
    import ipaddress
    cidr = str(ipaddress.IPv4Network(f"{base.format(second_octet)}/{prefix}", strict=False))
    with new_app() as app:
        stack, _ = stacks(app)
        IsolatedVpc(stack, "Network", key=PhiKey(stack, "Key"), cidr=cidr,
                    interface_endpoints=sorted(endpoints, key=lambda e: e.name), flow_log_retention_days=retention)
        assert_sound(app)


@SETTINGS
@given(fargate=st.booleans(), spot=st.booleans(), max_vcpus=days(1, 4096), root=days(30, 2000),
       instance_types=st.lists(st.sampled_from(["m6i.large", "r6i.xlarge", "c6i.2xlarge"]), max_size=2, unique=True),
       retention=retention_days)
def test_pipeline_compute_prop_space(fargate, spot, max_vcpus, root, instance_types, retention) -> None:
    with new_app() as app:
        stack, _ = stacks(app)
        key = PhiKey(stack, "Key")
        network = IsolatedVpc(stack, "Network", key=key, interface_endpoints=DEFAULT_INTERFACE_ENDPOINTS)
        ec2_props = {} if fargate else {"root_volume_gib": root,
                                        "instance_types": [ec2.InstanceType(t) for t in instance_types]}
        compute = PipelineCompute(stack, "Pipelines", network=network, key=key, fargate=fargate, spot=spot,
                                  max_vcpus=max_vcpus, log_retention_days=retention, **ec2_props)
        data = PhiBucket(stack, "Data", key=key)
        assert compute.grant_data_access(data, prefix="cohort/*", write=spot).success
        assert_sound(app, allowed=lambda rule_id: rule_id in UNREPLICATED)


@SETTINGS
@given(root=days(30, 2000), idle=days(1, 60), retention=retention_days,
       instance_type=st.sampled_from([None, "m6i.large", "r6i.2xlarge"]),
       name=st.none() | labels, description=st.none() | descriptions)
def test_workstation_and_run_network_prop_space(root, idle, retention, instance_type, name, description) -> None:
    with new_app() as app:
        stack, _ = stacks(app)
        key = PhiKey(stack, "Key")
        network = IsolatedVpc(stack, "Network", key=key)
        workstation = AnalysisWorkstation(
            stack, "Workstation", network=network, key=key, root_volume_gib=root, idle_timeout_minutes=idle,
            log_retention_days=retention, instance_type=ec2.InstanceType(instance_type) if instance_type else None)
        # A person: OmicsSecure-IAMPeopleRoleMfaAndExpiry asks for MFA and an end date in the trust.
        analyst = iam.AccountRootPrincipal().with_conditions({
            "Bool": {"aws:MultiFactorAuthPresent": "true"},
            "DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})
        assert workstation.grant_session(iam.Role(stack, "Analyst", assumed_by=analyst)).success
        HealthOmicsRunNetwork(stack, "Runs", network=network, configuration_name=name, description=description)
        assert_sound(app)


@SETTINGS
@given(names=st.lists(st.none() | labels, min_size=4, max_size=4), description=st.none() | descriptions,
       tags=tag_maps, caps=st.tuples(days(1, 100000), days(1, 100000), days(1, 100000)),
       hours=days(1, 1000), engine=st.none() | st.sampled_from(list(WorkflowEngine)), gpu=st.booleans(),
       prefixes=st.tuples(st.sampled_from(["", "inputs/"]), st.sampled_from(["runs/", "out/a/"])))
def test_healthomics_prop_space(names, description, tags, caps, hours, engine, gpu, prefixes) -> None:
    with new_app() as app:
        stack, _ = stacks(app)
        key = PhiKey(stack, "Key")
        logs_bucket = AccessLogBucket(stack, "Logs")
        data = PhiBucket(stack, "Data", key=key, access_logs=logs_bucket)
        SequenceStore(stack, "Reads", key=key, access_logs=logs_bucket, name=names[0], description=description,
                      tags=tags)
        refs = ReferenceStore(stack, "Refs", key=key, name=names[1], description=description, tags=tags)
        PrivateWorkflow(stack, "Workflow", definition=WorkflowDefinition.from_asset(WORKFLOW_DIR), engine=engine,
                        name=names[2], description=description, gpu=gpu, tags=tags)
        RunGroup(stack, "RunGroup", max_cpus=caps[0], max_gpus=caps[1], max_runs=caps[2],
                 max_duration=cdk.Duration.hours(hours), name=names[3], tags=tags)
        WorkflowRunRole(stack, "RunRole", inputs=[data], outputs=[data], input_prefix=prefixes[0],
                        output_prefix=prefixes[1], reference_stores=[refs])
        assert_sound(app, allowed=lambda rule_id: rule_id in UNREPLICATED)


@SETTINGS
@given(name=st.none() | labels, preload=st.booleans(), tags=tag_maps, with_source=st.booleans(),
       output_prefix=st.sampled_from(["healthlake/output/", "exports/"]))
def test_healthlake_prop_space(name, preload, tags, with_source, output_prefix) -> None:
    with new_app() as app:
        stack, _ = stacks(app)
        key = PhiKey(stack, "Key")
        data = PhiBucket(stack, "Data", key=key)
        fhir = FhirDatastore(stack, "Fhir", key=key, name=name, preload_synthea=preload, tags=tags)
        FhirImportExportRole(stack, "Jobs", datastore=fhir, output=data, output_prefix=output_prefix,
                             source=data if with_source else None)
        assert_sound(app, allowed=lambda rule_id: rule_id in UNREPLICATED)


@SETTINGS
@given(own_key=st.booleans(), lock_days=days(1, 1000), extra_days=days(1, 3000),
       retention=st.sampled_from([logs.RetentionDays.ONE_MONTH, logs.RetentionDays.ONE_YEAR,
                                  logs.RetentionDays.TEN_YEARS]),
       email=st.none() | labels.map(lambda name: f"{name.strip('-_') or 'ops'}@example.org".lower()),
       alarms=st.sets(st.sampled_from(list(AccountAlarm)), min_size=1), watch_keys=st.booleans(),
       services=st.sampled_from([(True, False), (False, True), (True, True)]),
       frequency=st.sampled_from(list(MacieFrequency)))
def test_audit_prop_space(own_key, lock_days, extra_days, retention, email, alarms, watch_keys, services,
                          frequency) -> None:
    with new_app() as app:
        stack, _ = stacks(app)
        key = PhiKey(stack, "AuditKey") if own_key else None
        trail = AuditTrail(stack, "Trail", key=key, object_lock_retention=cdk.Duration.days(lock_days),
                           log_file_retention=cdk.Duration.days(lock_days + extra_days), log_group_retention=retention)
        alerts = AlertTopic(stack, "Alerts", key=trail.key, email=email)
        KeyWatch(stack, "KeyWatch", alerts=alerts, keys=[trail.key] if watch_keys else [])
        AccountAlarms(stack, "Alarms", trail=trail, alerts=alerts, alarms=sorted(alarms, key=lambda a: a.name))
        config_recorder, macie = services
        AccountSecurityServices(stack, "Account", trail=trail, config_recorder=config_recorder, macie=macie,
                                macie_finding_frequency=frequency)
        VerifyAuditorRole(stack, "Auditor", assumed_by=iam.AccountPrincipal("444455556666"))
        siem = iam.Role(stack, "Siem", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
        assert trail.grant_read(siem).success
        assert_sound(app)
