"""Live checks: pure functions over what AWS answered about one deployed resource.

A :class:`LiveResource` holds the read-only API responses for one resource (collected by
:mod:`omics_secure.verify.collect`) and, when it was found through a stack, what the template asked for.
Each :class:`LiveCheck` judges one promise of the constructs and cites the same control ids as the
compliance rules. Where a live document has the same shape as its template counterpart (a key policy, a
bucket policy statement, trail event selectors), the compliance rule's judgment is reused, so ``check`` and
``verify`` judge it the same way. verify never imports compliance: the command passes the rules' records and
judgments in as :class:`Rules` (see :func:`live_checks`).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol

from omics_secure._internal.policy_documents import actions, as_list, is_wildcard_principal, statements
from omics_secure._internal.tags import ACCESS_LOGS, AUDIT_LOGS, PHI
from omics_secure._internal.verdicts import COMPLIANT, NOT_APPLICABLE, Controls, Status, Verdict, non_compliant

S3_BUCKET = "S3Bucket"
KMS_KEY = "KMSKey"
TRAIL = "CloudTrail"
VPC = "VPC"
OMICS_STORE = "HealthOmicsStore"
FHIR_DATASTORE = "HealthLakeDatastore"
APPROVAL = "Approval"
KINDS = (S3_BUCKET, KMS_KEY, TRAIL, VPC, OMICS_STORE, FHIR_DATASTORE, APPROVAL)
# Buckets that by design cannot take SSE-KMS or object lock (access-log targets) get the baseline checks.
BASELINE_CLASSIFICATIONS = frozenset({ACCESS_LOGS, AUDIT_LOGS})
_UNUSABLE_KEY_STATES = frozenset({"NotFound", "PendingDeletion", "Disabled"})


class RuleRecord(Protocol):
    """What verify reads of a compliance rule: its id, its one-line finding and the controls it cites."""

    @property
    def id(self) -> str: ...

    @property
    def finding(self) -> str: ...

    @property
    def controls(self) -> Controls: ...


@dataclass(frozen=True)
class Rules:
    """The compliance rules' records and judgments the live checks reuse, passed in by the command.

    ``judge_grant_statements_scoped`` and ``judge_key_policy_no_open_principal`` judge a live key policy
    (key name, policy document); ``judge_phi_bucket_data_events`` judges whether live event selectors record
    the data events of one PHI bucket (bucket name, selectors); ``tls_floor`` reads one bucket-policy statement.
    """

    phi_bucket_object_lock: RuleRecord
    phi_bucket_kms_encrypted: RuleRecord
    bucket_key_enabled: RuleRecord
    bucket_policy_minimum_tls: RuleRecord
    replication_kms_objects: RuleRecord
    key_rotation_enabled: RuleRecord
    grant_service_statements_scoped: RuleRecord
    key_policy_no_open_principal: RuleRecord
    trail_all_regions: RuleRecord
    trail_log_file_validation: RuleRecord
    trail_kms_encrypted: RuleRecord
    phi_bucket_data_events: RuleRecord
    vpc_flow_logs_all_traffic: RuleRecord
    isolated_vpc_no_internet_path: RuleRecord
    omics_store_customer_managed_key: RuleRecord
    healthlake_datastore_customer_managed_key: RuleRecord
    people_role_mfa_and_expiry: RuleRecord
    kms_algorithms: tuple[str, ...]
    minimum_tls_version: float
    tls_floor: Callable[[Mapping[str, Any]], float | None]
    judge_grant_statements_scoped: Callable[[str, Mapping[str, Any]], Verdict]
    judge_key_policy_no_open_principal: Callable[[str, Mapping[str, Any]], Verdict]
    judge_phi_bucket_data_events: Callable[[str, Mapping[str, Any]], Verdict]


@dataclass(frozen=True)
class LiveResource:
    """One deployed resource: what AWS says about it (``state``) and what its template asked (``expected``).

    ``name`` is what identifies it to a person and to SARIF: a bucket's or trail's ARN, a key's ARN, a
    VPC id. ``logical_id`` and ``stack`` are set when it was found through a CloudFormation stack.
    """

    kind: str
    name: str
    state: Mapping[str, Any]
    expected: Mapping[str, Any] = field(default_factory=dict)
    logical_id: str | None = None
    stack: str | None = None
    missing: bool = False


@dataclass(frozen=True)
class LiveCheck:
    """One promise checked on live state: id, one-line finding, controls, and the pure judgment."""

    id: str
    kind: str
    finding: str
    controls: Controls
    judge: Callable[[LiveResource], Verdict]

    def evaluate(self, resource: LiveResource) -> Verdict:
        if resource.missing:
            return non_compliant("the resource does not exist")
        return self.judge(resource)


@dataclass(frozen=True)
class CheckResult:
    check: LiveCheck
    resource: LiveResource
    verdict: Verdict

    @property
    def failed(self) -> bool:
        return self.verdict.status is Status.NON_COMPLIANT

    @property
    def passed(self) -> bool:
        return self.verdict.status is Status.COMPLIANT


# --- controls the rules do not already carry ---------------------------------------------------------------

_INTEGRITY_BACKUP = Controls(
    hipaa=("164.308(a)(7)(ii)(A)", "164.312(c)(1)"),
    nist_800_53_r5=("CP-9", "SI-12"),
    nist_800_171_r2=("3.8.9",),
    dbgap=("Cleaning Up Data and Retaining Results",),
)
_ACCESS_CONTROL = Controls(
    hipaa=("164.312(a)(1)", "164.308(a)(4)(ii)(B)"),
    nist_800_53_r5=("AC-3", "AC-6", "SC-7"),
    nist_800_171_r2=("3.1.1", "3.1.5"),
    dbgap=("User Accounts, Passwords, and Access Control Lists",),
)
_TRANSMISSION = Controls(
    hipaa=("164.312(e)(1)", "164.312(e)(2)(ii)"),
    nist_800_53_r5=("SC-8", "SC-8(1)"),
    nist_800_171_r2=("3.13.8",),
    dbgap=("Internet, Networking, and Data Transfers", "Data Encryption"),
)
_ACCESS_LOGGING = Controls(
    hipaa=("164.312(b)", "164.308(a)(1)(ii)(D)"),
    nist_800_53_r5=("AU-2", "AU-12"),
    nist_800_171_r2=("3.3.1", "3.3.2"),
    dbgap=("Auditing, Logging, and Monitoring",),
)
_KEY_AVAILABLE = Controls(
    hipaa=("164.312(a)(2)(iv)", "164.308(a)(7)(ii)(A)"),
    nist_800_53_r5=("SC-12", "CP-9"),
    nist_800_171_r2=("3.13.10", "3.8.9"),
    dbgap=("Data Encryption",),
)


# --- S3 buckets ---------------------------------------------------------------------------------------------

def bucket_classification(resource: LiveResource) -> str:
    """The bucket's data classification: the template's tag when known, else the live tag, else PHI.

    An untagged bucket is judged as PHI: verify errs on the side of the stricter checks.
    """
    return str(resource.expected.get("classification") or resource.state.get("classification") or PHI)


def _phi_only(judge: Callable[[LiveResource], Verdict]) -> Callable[[LiveResource], Verdict]:
    def judged(resource: LiveResource) -> Verdict:
        if bucket_classification(resource) in BASELINE_CLASSIFICATIONS:
            return NOT_APPLICABLE
        return judge(resource)
    return judged


def _versioning(resource: LiveResource) -> Verdict:
    status = (resource.state.get("versioning") or {}).get("Status")
    return COMPLIANT if status == "Enabled" else non_compliant(f"versioning is {status or 'never enabled'}")


def _object_lock(resource: LiveResource) -> Verdict:
    configuration = resource.state.get("object_lock")
    if not isinstance(configuration, Mapping) or configuration.get("ObjectLockEnabled") != "Enabled":
        return non_compliant("object lock is not enabled")
    retention = (configuration.get("Rule") or {}).get("DefaultRetention") or {}
    if retention.get("Mode") not in ("GOVERNANCE", "COMPLIANCE"):
        return non_compliant("object lock has no default retention mode (GOVERNANCE or COMPLIANCE)")
    if not (retention.get("Days") or retention.get("Years")):
        return non_compliant("object lock default retention has no Days or Years")
    return COMPLIANT


def _encryption_rules(resource: LiveResource) -> list[Mapping[str, Any]]:
    return [r for r in as_list(resource.state.get("encryption")) if isinstance(r, Mapping)]


def _default(rule: Mapping[str, Any]) -> Mapping[str, Any]:
    default = rule.get("ApplyServerSideEncryptionByDefault")
    return default if isinstance(default, Mapping) else {}


def _kms_encryption(rules_: Rules, resource: LiveResource) -> Verdict:
    rules = _encryption_rules(resource)
    if not rules:
        return non_compliant("no default encryption configuration")
    keys: Mapping[str, Any] = resource.state.get("encryption_keys") or {}
    expected = resource.expected.get("key_id")
    for rule in rules:
        default = _default(rule)
        algorithm, key = default.get("SSEAlgorithm"), default.get("KMSMasterKeyID")
        if algorithm not in rules_.kms_algorithms:
            return non_compliant(f"default encryption is {algorithm}, not SSE-KMS or DSSE-KMS")
        if not key:
            return non_compliant(f"{algorithm} without a KMS key uses the AWS managed key aws/s3")
        metadata = keys.get(str(key)) or {}
        if metadata.get("KeyState") in _UNUSABLE_KEY_STATES:
            return non_compliant(f"the bucket's key {key} is {metadata.get('KeyState')}")
        if metadata.get("KeyManager") not in (None, "CUSTOMER"):
            return non_compliant(f"{key} is an AWS managed key, not a customer-managed key")
        key_id = metadata.get("KeyId") or str(key).rsplit("/", 1)[-1]
        if expected and key_id != expected:
            return non_compliant(f"default encryption uses key {key_id}, not {expected} that the template names")
    return COMPLIANT


def _bucket_key(resource: LiveResource) -> Verdict:
    kms_rules_ = [r for r in _encryption_rules(resource) if _default(r).get("SSEAlgorithm") == "aws:kms"]
    if not kms_rules_:
        return NOT_APPLICABLE  # DSSE-KMS has no bucket keys; no SSE-KMS is the encryption check's finding
    if all(r.get("BucketKeyEnabled") is True for r in kms_rules_):
        return COMPLIANT
    return non_compliant("SSE-KMS default encryption without BucketKeyEnabled")


_PUBLIC_ACCESS_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")


def _public_access_block(resource: LiveResource) -> Verdict:
    settings = resource.state.get("public_access_block") or {}
    off = [name for name in _PUBLIC_ACCESS_SETTINGS if settings.get(name) is not True]
    if not off:
        return COMPLIANT
    return non_compliant(f"{', '.join(off)} not true" if settings else "no public access block on the bucket")


def _ownership(resource: LiveResource) -> Verdict:
    rules = [r.get("ObjectOwnership") for r in as_list(resource.state.get("ownership")) if isinstance(r, Mapping)]
    if rules and all(r == "BucketOwnerEnforced" for r in rules):
        return COMPLIANT
    return non_compliant(f"object ownership is {', '.join(map(str, rules)) or 'not set'}, not BucketOwnerEnforced")


def _denies_insecure_transport(statement: Mapping[str, Any]) -> bool:
    if statement.get("Effect") != "Deny" or not is_wildcard_principal(statement):
        return False
    if not {"s3:*", "*"} & set(actions(statement)):
        return False
    for operator, block in (statement.get("Condition") or {}).items():
        if operator == "Bool" and isinstance(block, Mapping):
            for key, value in block.items():
                if str(key).lower() == "aws:securetransport" and [str(v).lower() for v in as_list(value)] == ["false"]:
                    return True
    return False


def _tls_required(resource: LiveResource) -> Verdict:
    if any(_denies_insecure_transport(s) for s in statements(resource.state.get("policy"))):
        return COMPLIANT
    return non_compliant("no bucket-policy statement denies s3:* when aws:SecureTransport is false")


def _minimum_tls(rules: Rules, resource: LiveResource) -> Verdict:
    floors = [f for s in statements(resource.state.get("policy")) if (f := rules.tls_floor(s)) is not None]
    if not floors:
        return non_compliant("no bucket-policy statement denies s3:* with NumericLessThan s3:TlsVersion")
    if max(floors) < rules.minimum_tls_version:
        return non_compliant(f"the bucket policy denies only TLS older than {max(floors)}")
    return COMPLIANT


def _replication(resource: LiveResource) -> Verdict:
    configuration = resource.state.get("replication")
    if not isinstance(configuration, Mapping):
        if resource.expected.get("replication"):
            return non_compliant("the template configures replication; the bucket has none")
        return NOT_APPLICABLE
    enabled = [r for r in as_list(configuration.get("Rules"))
               if isinstance(r, Mapping) and r.get("Status") == "Enabled"]
    if not enabled:
        return non_compliant("no replication rule is enabled")
    problems = []
    for index, rule in enumerate(enabled):
        label = str(rule.get("ID") or f"rule {index}")
        kms_objects = (rule.get("SourceSelectionCriteria") or {}).get("SseKmsEncryptedObjects") or {}
        if kms_objects.get("Status") != "Enabled":
            problems.append(f"{label} does not select SSE-KMS encrypted objects (they are silently skipped)")
        if not ((rule.get("Destination") or {}).get("EncryptionConfiguration") or {}).get("ReplicaKmsKeyID"):
            problems.append(f"{label} names no ReplicaKmsKeyID for the destination")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


def _logging(resource: LiveResource) -> Verdict:
    target = (resource.state.get("logging") or {}).get("TargetBucket")
    return COMPLIANT if target else non_compliant("server access logging is off")


# --- KMS keys -----------------------------------------------------------------------------------------------

def _key_metadata(resource: LiveResource) -> Mapping[str, Any]:
    metadata = resource.state.get("metadata")
    return metadata if isinstance(metadata, Mapping) else {}


def _key_usable(resource: LiveResource) -> Verdict:
    metadata = _key_metadata(resource)
    state = metadata.get("KeyState")
    if state == "PendingDeletion":
        return non_compliant(f"the key is scheduled for deletion on {metadata.get('DeletionDate')}")
    if state != "Enabled" or metadata.get("Enabled") is not True:
        return non_compliant(f"the key is {state or 'not enabled'}")
    if metadata.get("KeyManager") != "CUSTOMER":
        return non_compliant(f"the key is managed by {metadata.get('KeyManager')}, not a customer-managed key")
    return COMPLIANT


def _key_rotation(resource: LiveResource) -> Verdict:
    if _key_metadata(resource).get("KeySpec", "SYMMETRIC_DEFAULT") != "SYMMETRIC_DEFAULT":
        return NOT_APPLICABLE
    rotation = resource.state.get("rotation") or {}
    return COMPLIANT if rotation.get("KeyRotationEnabled") is True else non_compliant("automatic rotation is off")


def _key_policy_rule(judge: Callable[[str, Mapping[str, Any]], Verdict]) -> Callable[[LiveResource], Verdict]:
    """A compliance rule over AWS::KMS::Key judging the live key policy, which is the same JSON."""
    def judged(resource: LiveResource) -> Verdict:
        return judge(resource.name, resource.state.get("policy") or {})
    return judged


def _grant_statements_present(resource: LiveResource) -> Verdict:
    """Every service the template's key policy let use the key through kms:ViaService still can."""
    expected: list[str] = list(resource.expected.get("via_services") or [])
    if not expected:
        return NOT_APPLICABLE
    live = via_services(resource.state.get("policy"))
    missing = sorted(set(expected) - live)
    if missing:
        return non_compliant(f"the live key policy lost the statements for {', '.join(missing)}")
    return COMPLIANT


def via_services(policy: Any) -> set[str]:
    """The services (``omics``, ``healthlake``, ``s3`` ...) a key policy allows through kms:ViaService."""
    found = set()
    for statement in statements(policy):
        if statement.get("Effect") != "Allow":
            continue
        for block in (statement.get("Condition") or {}).values():
            if not isinstance(block, Mapping):
                continue
            for key, value in block.items():
                if str(key).lower() == "kms:viaservice":
                    found |= {str(v).split(".", 1)[0] for v in as_list(value) if isinstance(v, str)}
    return found


# --- CloudTrail ---------------------------------------------------------------------------------------------

def _trail(resource: LiveResource) -> Mapping[str, Any]:
    trail = resource.state.get("trail")
    return trail if isinstance(trail, Mapping) else {}


def _trail_logging(resource: LiveResource) -> Verdict:
    if (resource.state.get("status") or {}).get("IsLogging") is True:
        return COMPLIANT
    return non_compliant("the trail is stopped (IsLogging is false)")


def _trail_validation(resource: LiveResource) -> Verdict:
    if _trail(resource).get("LogFileValidationEnabled") is True:
        return COMPLIANT
    return non_compliant("log file validation is off")


def _trail_kms(resource: LiveResource) -> Verdict:
    return COMPLIANT if _trail(resource).get("KmsKeyId") else non_compliant("no KMS key: log files use SSE-S3 only")


def _trail_all_regions(resource: LiveResource) -> Verdict:
    trail = _trail(resource)
    problems = []
    if trail.get("IsMultiRegionTrail") is not True:
        problems.append("the trail is not multi-region")
    if trail.get("IncludeGlobalServiceEvents") is False:
        problems.append("global service events (IAM, STS, console sign-in) are not recorded")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


def _trail_data_events(rules: Rules, resource: LiveResource) -> Verdict:
    """The compliance rule over the PHI buckets of this run, judged against the live event selectors."""
    buckets: list[str] = list(resource.expected.get("phi_buckets") or [])
    if not buckets:
        return NOT_APPLICABLE
    selectors = resource.state.get("selectors") or {}
    uncovered = [name for name in buckets
                 if rules.judge_phi_bucket_data_events(name, selectors).status is Status.NON_COMPLIANT]
    if uncovered:
        return non_compliant(f"no event selector records read and write data events for every object of "
                             f"{', '.join(uncovered)}")
    return COMPLIANT


# --- VPC ----------------------------------------------------------------------------------------------------

def _flow_logs(resource: LiveResource) -> Verdict:
    logs = [f for f in as_list(resource.state.get("flow_logs")) if isinstance(f, Mapping)]
    if any(f.get("TrafficType") == "ALL" and f.get("FlowLogStatus", "ACTIVE") == "ACTIVE" for f in logs):
        return COMPLIANT
    kinds = sorted({str(f.get("TrafficType")) for f in logs})
    return non_compliant(f"flow logs record only {', '.join(kinds)} traffic" if logs else "no flow logs")


def _no_internet_gateway(resource: LiveResource) -> Verdict:
    ids = [str(g.get("InternetGatewayId")) for g in as_list(resource.state.get("internet_gateways"))]
    return non_compliant(f"internet gateway attached: {', '.join(ids)}") if ids else COMPLIANT


def _no_nat_gateway(resource: LiveResource) -> Verdict:
    ids = [str(g.get("NatGatewayId")) for g in as_list(resource.state.get("nat_gateways"))
           if g.get("State") not in ("deleted", "deleting", "failed")]
    return non_compliant(f"NAT gateway present: {', '.join(ids)}") if ids else COMPLIANT


def _endpoints(resource: LiveResource) -> Verdict:
    live = {str(e.get("VpcEndpointId")) for e in as_list(resource.state.get("endpoints"))
            if e.get("State", "available").lower() not in ("deleted", "deleting", "failed", "rejected")}
    if not live:
        return non_compliant("the VPC has no endpoints: AWS services are unreachable without an internet path")
    missing = sorted(set(resource.expected.get("endpoint_ids") or ()) - live)
    if missing:
        return non_compliant(f"endpoints of the template are gone: {', '.join(missing)}")
    return COMPLIANT


# --- HealthOmics and HealthLake -------------------------------------------------------------------------------

def _customer_key(resource: LiveResource, key: Any, what: str) -> Verdict:
    if not key:
        return non_compliant(f"{what} names no KMS key: the data is under an AWS-owned key")
    metadata = (resource.state.get("keys") or {}).get(str(key)) or {}
    if metadata.get("KeyState") in _UNUSABLE_KEY_STATES:
        return non_compliant(f"the key {key} is {metadata.get('KeyState')}")
    if metadata.get("KeyManager") not in (None, "CUSTOMER"):
        return non_compliant(f"{key} is not a customer-managed key")
    return COMPLIANT


def _omics_store_key(resource: LiveResource) -> Verdict:
    config = (resource.state.get("store") or {}).get("sseConfig") or {}
    if config.get("type") != "KMS":
        return non_compliant(f"sseConfig type is {config.get('type')}, not KMS")
    return _customer_key(resource, config.get("keyArn"), "sseConfig")


def _datastore_key(resource: LiveResource) -> Verdict:
    properties = resource.state.get("datastore") or {}
    config = (properties.get("SseConfiguration") or {}).get("KmsEncryptionConfig") or {}
    if config.get("CmkType") != "CUSTOMER_MANAGED_KMS_KEY":
        return non_compliant(f"CmkType is {config.get('CmkType')}, not CUSTOMER_MANAGED_KMS_KEY")
    return _customer_key(resource, config.get("KmsKeyId"), "KmsEncryptionConfig")


# --- approved access (omics_secure.access) ---------------------------------------------------------------------

def _approval_revoked_after_end(resource: LiveResource) -> Verdict:
    """An approval whose end date has passed must be gone: revocation is a stack update, not a lapse."""
    ends, today = str(resource.expected.get("ends") or ""), str(resource.state.get("today") or "")
    what = str(resource.state.get("what") or "resource")
    if not today:
        return NOT_APPLICABLE
    try:
        ended = datetime.date.fromisoformat(ends) <= datetime.date.fromisoformat(today)
    except ValueError:
        return non_compliant(f"the {what}'s approval-ends tag {ends!r} is not an ISO date, so its expiry is unknown")
    if not ended or not resource.state.get("exists"):
        return COMPLIANT
    return non_compliant(
        f"approval {resource.expected.get('approval_id')} ended on {ends} but its {what} still exists; remove "
        "the approval from the app and deploy (revocation is a stack update)")


def live_checks(rules: Rules) -> tuple[LiveCheck, ...]:
    """Every live check, citing (and where the document is the same, judging by) the compliance ``rules``."""
    return (
        LiveCheck("S3BucketVersioning", S3_BUCKET, "Versioning is not enabled on the bucket.",
                  _INTEGRITY_BACKUP, _versioning),
        LiveCheck("S3ObjectLockDefaultRetention", S3_BUCKET,
                  "The PHI bucket has no object lock with a default retention.",
                  rules.phi_bucket_object_lock.controls, _phi_only(_object_lock)),
        LiveCheck("S3KmsEncryption", S3_BUCKET,
                  "The PHI bucket is not encrypted by default under its customer-managed KMS key.",
                  rules.phi_bucket_kms_encrypted.controls, _phi_only(partial(_kms_encryption, rules))),
        LiveCheck("S3BucketKeyEnabled", S3_BUCKET, "The SSE-KMS bucket does not use S3 Bucket Keys.",
                  rules.bucket_key_enabled.controls, _phi_only(_bucket_key)),
        LiveCheck("S3PublicAccessBlock", S3_BUCKET, "The bucket does not block all public access.",
                  _ACCESS_CONTROL, _public_access_block),
        LiveCheck("S3OwnershipEnforced", S3_BUCKET,
                  "ACLs are not disabled (object ownership is not BucketOwnerEnforced).",
                  _ACCESS_CONTROL, _ownership),
        LiveCheck("S3TlsRequired", S3_BUCKET, "The bucket policy does not deny requests without TLS.",
                  _TRANSMISSION, _tls_required),
        LiveCheck("S3MinimumTls", S3_BUCKET, "The bucket policy does not deny TLS older than 1.2.",
                  rules.bucket_policy_minimum_tls.controls, partial(_minimum_tls, rules)),
        LiveCheck("S3ReplicationKmsEncryptedObjects", S3_BUCKET,
                  "Replication is missing, or skips SSE-KMS objects or names no replica key.",
                  rules.replication_kms_objects.controls, _phi_only(_replication)),
        LiveCheck("S3ServerAccessLogging", S3_BUCKET, "The PHI bucket does not write server access logs.",
                  _ACCESS_LOGGING, _phi_only(_logging)),
        LiveCheck("KMSKeyUsable", KMS_KEY, "The key is disabled, pending deletion, or not customer-managed.",
                  _KEY_AVAILABLE, _key_usable),
        LiveCheck("KMSKeyRotationEnabled", KMS_KEY, rules.key_rotation_enabled.finding,
                  rules.key_rotation_enabled.controls, _key_rotation),
        LiveCheck("KMSGrantServiceStatementScoped", KMS_KEY, rules.grant_service_statements_scoped.finding,
                  rules.grant_service_statements_scoped.controls,
                  _key_policy_rule(rules.judge_grant_statements_scoped)),
        LiveCheck("KMSGrantStatementsPresent", KMS_KEY,
                  "The live key policy lost service statements that the template grants.",
                  rules.grant_service_statements_scoped.controls, _grant_statements_present),
        LiveCheck("KMSKeyPolicyNoOpenPrincipal", KMS_KEY, rules.key_policy_no_open_principal.finding,
                  rules.key_policy_no_open_principal.controls,
                  _key_policy_rule(rules.judge_key_policy_no_open_principal)),
        LiveCheck("CloudTrailLogging", TRAIL, "The trail is not logging.",
                  rules.trail_all_regions.controls, _trail_logging),
        LiveCheck("CloudTrailLogFileValidation", TRAIL, rules.trail_log_file_validation.finding,
                  rules.trail_log_file_validation.controls, _trail_validation),
        LiveCheck("CloudTrailKmsEncrypted", TRAIL, rules.trail_kms_encrypted.finding,
                  rules.trail_kms_encrypted.controls, _trail_kms),
        LiveCheck("CloudTrailAllRegions", TRAIL, "The trail does not record every region and global service events.",
                  rules.trail_all_regions.controls, _trail_all_regions),
        LiveCheck("CloudTrailPhiBucketDataEvents", TRAIL,
                  "The trail does not record S3 data events (read and write) for every PHI bucket verified.",
                  rules.phi_bucket_data_events.controls, partial(_trail_data_events, rules)),
        LiveCheck("VPCFlowLogsAllTraffic", VPC, rules.vpc_flow_logs_all_traffic.finding,
                  rules.vpc_flow_logs_all_traffic.controls, _flow_logs),
        LiveCheck("VPCNoInternetGateway", VPC, "An internet gateway is attached to the isolated VPC.",
                  rules.isolated_vpc_no_internet_path.controls, _no_internet_gateway),
        LiveCheck("VPCNoNatGateway", VPC, "A NAT gateway is present in the isolated VPC.",
                  rules.isolated_vpc_no_internet_path.controls, _no_nat_gateway),
        LiveCheck("VPCEndpointsPresent", VPC, "The VPC's endpoints to AWS services are missing.",
                  rules.isolated_vpc_no_internet_path.controls, _endpoints),
        LiveCheck("HealthOmicsStoreCustomerManagedKey", OMICS_STORE,
                  rules.omics_store_customer_managed_key.finding,
                  rules.omics_store_customer_managed_key.controls, _omics_store_key),
        LiveCheck("HealthLakeDatastoreCustomerManagedKey", FHIR_DATASTORE,
                  rules.healthlake_datastore_customer_managed_key.finding,
                  rules.healthlake_datastore_customer_managed_key.controls, _datastore_key),
        LiveCheck("ApprovalRevokedAfterEnd", APPROVAL,
                  "An approval's end date has passed but its role or access point still exists.",
                  rules.people_role_mfa_and_expiry.controls, _approval_revoked_after_end),
    )


def evaluate(resources: list[LiveResource], checks: tuple[LiveCheck, ...]) -> list[CheckResult]:
    """Every check of each resource's kind, in check order per resource."""
    return [CheckResult(check, resource, check.evaluate(resource))
            for resource in resources for check in checks if check.kind == resource.kind]
