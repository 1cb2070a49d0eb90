"""Rules for S3 buckets: a baseline every bucket meets, and more for buckets that hold PHI.

Every bucket of an environment that holds PHI is judged by the baseline: encrypted at rest under a KMS key,
public access blocked, ACLs disabled, versioning on, server access logs kept, bucket keys with SSE-KMS, a TLS
floor, no PHI-like names. A server-access-log target is judged as S3 log delivery allows (SSE-S3, no log of
its own logs). A rule sees one CloudFormation resource, not the construct that made it, so a bucket is a *PHI
bucket* when it carries the tag ``omics-secure:data-classification=phi``: PhiBucket and PhiReplicaBucket set
it; the PHI-only rules (a customer-managed key, object lock) judge those buckets.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from omics_secure._internal.naming import phi_like, phi_like_name
from omics_secure._internal.tags import DATA_CLASSIFICATION_TAG, PHI
from omics_secure.compliance.model import (
    COMPLIANT,
    NOT_APPLICABLE,
    Controls,
    Resource,
    Rule,
    Verdict,
    cannot_judge,
    non_compliant,
)
from omics_secure.compliance.rules._evaluate import reader, unknown_principal
from omics_secure.compliance.rules._policy import (
    actions,
    is_wildcard_principal,
    principal_values,
    statements,
)
from omics_secure.inputs.values import (
    CannotJudge,
    choice,
    field,
    flag,
    items,
    known,
    literal_text,
    mapping,
    mappings,
    number,
    referenced_id,
    show,
    text,
)
from omics_secure.policy import catalog
from omics_secure.policy.conditions import Context
from omics_secure.policy.decision import Policies, Request, decide
from omics_secure.policy.documents import Policy, Principal, Statement
from omics_secure.policy.formula import NEVER, Formula
from omics_secure.policy.matching import hole, readable

S3_BUCKET = frozenset({"AWS::S3::Bucket"})
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
# ServerSideEncryptionByDefault.SSEAlgorithm and VersioningConfiguration.Status, as CloudFormation accepts them:
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-serversideencryptionbydefault.html
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-versioningconfiguration.html
SSE_ALGORITHMS = ("AES256", *KMS_ALGORITHMS)
VERSIONING_STATUSES = ("Enabled", "Suspended")
MINIMUM_TLS_VERSION = 1.2
# Object lock retention modes; Days and Years must be positive whole numbers. ObjectLockConfiguration:
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-defaultretention.html
RETENTION_MODES = ("GOVERNANCE", "COMPLIANCE")

_ENCRYPTION_AT_REST = Controls(
    hipaa=("164.312(a)(2)(iv)", "164.312(e)(2)(ii)"),
    nist_800_53_r5=("SC-12", "SC-28", "SC-28(1)"),
    nist_800_171_r2=("3.13.10", "3.13.16"),
    dbgap=("Data Encryption",),
)


def is_phi_bucket(resource: Resource) -> bool:
    """True when the bucket is tagged ``omics-secure:data-classification=phi``."""
    return any(text(tag, "Key") == DATA_CLASSIFICATION_TAG and text(tag, "Value") == PHI
               for tag in mappings(resource.properties, "Tags"))


def _encryption_rules(resource: Resource) -> list[Mapping[str, Any]]:
    return mappings(resource.properties, "BucketEncryption", "ServerSideEncryptionConfiguration")


def _default_encryption(rule: Mapping[str, Any]) -> Mapping[str, Any]:
    return mapping(rule, "ServerSideEncryptionByDefault")


def _object_lock(resource: Resource) -> Verdict:
    if not is_phi_bucket(resource):
        return NOT_APPLICABLE
    properties = resource.properties
    configuration = mapping(properties, "ObjectLockConfiguration")
    if flag(properties, "ObjectLockEnabled") is not True or text(configuration, "ObjectLockEnabled") != "Enabled":
        return non_compliant("object lock is not enabled")
    retention = mapping(configuration, "Rule", "DefaultRetention")
    if text(retention, "Mode") not in RETENTION_MODES:
        return non_compliant("object lock has no default retention mode (GOVERNANCE or COMPLIANCE)")
    periods = []
    for unit in ("Days", "Years"):
        try:
            periods.append(number(retention, unit))
        except CannotJudge:
            # A period from a parameter without a default, or an import: S3 refuses any value that is not
            # a positive whole number, so the retention exists whatever value it is given.
            return COMPLIANT
    if not any(period is not None and period > 0 for period in periods):
        return non_compliant("object lock default retention has no Days or Years")
    return COMPLIANT


def _versioning(resource: Resource) -> Verdict:
    status = choice(resource.properties, "VersioningConfiguration", "Status", options=VERSIONING_STATUSES)
    if status == "Enabled":
        return COMPLIANT
    return non_compliant(f"versioning is {status or 'not configured (off)'}, not Enabled")


def _bucket_key(resource: Resource) -> Verdict:
    kms_rules = [rule for rule in _encryption_rules(resource)
                 if text(_default_encryption(rule), "SSEAlgorithm") == "aws:kms"]
    if not kms_rules:
        return NOT_APPLICABLE
    if all(flag(rule, "BucketKeyEnabled") is True for rule in kms_rules):
        return COMPLIANT
    return non_compliant("SSE-KMS default encryption without BucketKeyEnabled: true")


def _policies_by_bucket(resource: Resource) -> tuple[dict[str, list[Mapping[str, Any]]], list[CannotJudge]]:
    """The template's bucket-policy documents by the bucket they name (a Ref or a literal name), and the
    policies whose bucket is only known at deploy time."""
    by_bucket: dict[str, list[Mapping[str, Any]]] = {}
    unknown: list[CannotJudge] = []
    for _, body in resource.others_of_type("AWS::S3::BucketPolicy"):
        properties = mapping(body, "Properties")
        bucket = field(properties, "Bucket")
        if isinstance(bucket, str) or referenced_id(bucket) is not None:
            by_bucket.setdefault(json.dumps(bucket, sort_keys=True), []).append(mapping(properties, "PolicyDocument"))
        elif not isinstance(bucket, Mapping):
            unknown.append(CannotJudge("the bucket policy's Bucket", bucket))
    return by_bucket, unknown


def _bucket_policies(resource: Resource) -> list[Mapping[str, Any]]:
    """The policy documents of the template's bucket policies attached to this bucket.

    Raises CannotJudge when a policy names a bucket only known at deploy time and no policy names this one.
    """
    by_bucket, unknown = resource.derived("s3-bucket-policies", lambda: _policies_by_bucket(resource))
    names: list[Any] = [{"Ref": resource.logical_id}]
    if isinstance(resource.properties.get("BucketName"), str):
        names.append(resource.properties["BucketName"])
    documents = [document for name in names for document in by_bucket.get(json.dumps(name, sort_keys=True), [])]
    if not documents and unknown:
        raise unknown[0]
    return documents


def tls_floor(statement: Mapping[str, Any]) -> float | None:
    """The TLS version below which ``statement`` denies every S3 action to everyone, if it does."""
    if text(statement, "Effect") != "Deny" or not is_wildcard_principal(statement):
        return None
    if not {"s3:*", "*"} & set(actions(statement)):
        return None
    block = mapping(statement, "Condition", "NumericLessThan")
    for key, value in block.items():
        if str(key).lower() == "s3:tlsversion":
            versions = [number({"v": v}, "v") for v in items(value)]
            known_versions = [v for v in versions if v is not None]
            return min(known_versions) if known_versions else None
    return None


def _denied(policy: Policy, action: str, arn: str, account: str, context: Mapping[str, str | None]
            ) -> tuple[bool, list[str]]:
    """Whether the bucket policy's denies refuse ``action`` on ``arn`` to anyone, whatever else the request
    carries, with the labels of the deny statements that applied; the policy evaluator decides, over an
    allow of everything, so that only its denies count."""
    trace: list[tuple[Statement, Formula]] = []
    request = Request(Principal.anyone(), action, arn, account, Context.of(context, complete=False))
    allowed = decide(request, Policies(resource=Policy(policy.name, (*policy.statements, _ALLOW_ALL))), trace)
    return allowed == NEVER, [s.label for s, _ in trace if not s.allows]


_ALLOW_ALL = Statement("Allow", "(anything allowed)", actions=("*",), resources=("*",), principals=(("AWS", "*"),))
_HTTP = {"aws:SecureTransport": "false", "s3:TlsVersion": None}


def _minimum_tls(resource: Resource) -> Verdict:
    """Every action on the bucket's objects must be refused to anyone over TLS 1.0 and 1.1, and the message
    says what the policy does deny when it falls short."""
    documents = _bucket_policies(resource)
    template, resolution = reader(resource)
    policy = Policy("bucket policy", tuple(s for d in documents for s in template.policy(d, resolution, "").statements))
    bucket = template.arn(resource.logical_id, resolution)
    objects = f"{bucket}/{hole('key')}"
    account = template.account

    def missing(context: Mapping[str, str | None], arn: str, actions: tuple[str, ...]) -> str | None:
        return next((a for a in actions if not _denied(policy, a, arn, account, context)[0]), None)

    old = [{"aws:SecureTransport": "true", "s3:TlsVersion": version} for version in ("1.0", "1.1")]
    object_actions = catalog.actions_on("s3", "object")
    gap = next((found for context in old if (found := missing(context, objects, object_actions))), None)
    if gap is None:
        return COMPLIANT
    if any(unknown_principal(s) for s in policy.statements if not s.allows):
        unknown = next(u for s in policy.statements if not s.allows and (u := unknown_principal(s)))
        raise CannotJudge(*unknown.split(" is ", 1))
    bucket_denied, labels = _denied(policy, "s3:ListBucket", bucket, account, old[1])
    if bucket_denied:
        return non_compliant(f"{', '.join(labels)} denies TLS older than 1.2 on the bucket ARN only, not on its "
                             f"objects ({readable(bucket)}/*): {gap} over TLS 1.1 is not denied")
    floors = [floor for document in documents for statement in statements(document)
              if (floor := tls_floor(statement)) is not None]
    if floors and max(floors) < MINIMUM_TLS_VERSION:
        return non_compliant(f"the bucket policy denies only TLS older than {max(floors)}")
    if missing(_HTTP, objects, object_actions) is None:
        return non_compliant("the bucket policy denies aws:SecureTransport=false, but not TLS older than 1.2 "
                             f"({gap} over TLS 1.1 is not denied)")
    return non_compliant(f"no bucket-policy statement denies requests that use TLS older than 1.2 for every object "
                         f"({gap} over TLS 1.1 is not denied; add a Deny of s3:* for Principal * on "
                         f"{readable(bucket)}/* with NumericLessThan s3:TlsVersion 1.2)")


def _kms_encrypted(resource: Resource) -> Verdict:
    if not is_phi_bucket(resource):
        return NOT_APPLICABLE
    rules = _encryption_rules(resource)
    if not rules:
        return non_compliant("no default encryption configured (S3 would use SSE-S3)")
    for rule in rules:
        default = _default_encryption(rule)
        algorithm = choice(default, "SSEAlgorithm", options=SSE_ALGORITHMS)
        if algorithm not in KMS_ALGORITHMS:
            return non_compliant(f"default encryption is {algorithm or 'not set'}, not SSE-KMS or DSSE-KMS")
        key = field(default, "KMSMasterKeyID")
        if key is None or key == "":
            return non_compliant(f"{algorithm} without KMSMasterKeyID uses the AWS managed key aws/s3")
        if literal_text(key).endswith("alias/aws/s3"):
            return non_compliant(f"{algorithm} with the AWS managed key {show(key)}")
    return COMPLIANT


def _replication_rule_problems(index: int, rule: Mapping[str, Any]) -> list[str]:
    if text(rule, "Status") != "Enabled":
        return []
    label = text(rule, "Id") or f"rule {index}"
    problems = []
    if text(rule, "SourceSelectionCriteria", "SseKmsEncryptedObjects", "Status") != "Enabled":
        problems.append(f"{label} does not select SSE-KMS encrypted objects (they are silently skipped)")
    replica_key = field(rule, "Destination", "EncryptionConfiguration", "ReplicaKmsKeyID")
    if replica_key is None or replica_key == "":
        problems.append(f"{label} names no ReplicaKmsKeyID for the destination")
    return problems


def _replication_kms(resource: Resource) -> Verdict:
    configuration = known(resource.properties, "ReplicationConfiguration")
    if not isinstance(configuration, Mapping):
        return NOT_APPLICABLE
    if not any(text(_default_encryption(rule), "SSEAlgorithm") in KMS_ALGORITHMS
               for rule in _encryption_rules(resource)):
        return NOT_APPLICABLE
    problems: list[str] = []
    unknown: list[CannotJudge] = []
    for index, rule in enumerate(mappings(configuration, "Rules")):
        try:
            problems.extend(_replication_rule_problems(index, rule))
        except CannotJudge as cannot:
            unknown.append(cannot)
    if problems:
        return non_compliant("; ".join(problems))
    return cannot_judge(str(unknown[0])) if unknown else COMPLIANT


def _no_phi_in_names_or_tags(resource: Resource) -> Verdict:
    problems = []
    name = field(resource.properties, "BucketName")
    if name is not None and (kind := phi_like_name(literal_text(name))):
        problems.append(f"BucketName looks like PHI ({kind})")
    for tag in mappings(resource.properties, "Tags"):
        for part in ("Key", "Value"):
            if kind := phi_like(literal_text(field(tag, part))):
                problems.append(f"tag {part.lower()} of {literal_text(field(tag, 'Key'))!r} looks like PHI ({kind})")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


LOG_DELIVERY_SERVICE = "logging.s3.amazonaws.com"
# What new buckets get when CloudFormation leaves the setting out: every Block Public Access setting on and
# Object Ownership BucketOwnerEnforced (ACLs disabled) since April 2023, and SSE-S3 encryption since January 2023:
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/about-object-ownership.html
# https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-encryption-faq.html
PUBLIC_ACCESS_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
OBJECT_OWNERSHIP_VALUES = ("BucketOwnerEnforced", "BucketOwnerPreferred", "ObjectWriter")
# Canned ACLs that grant nobody but the owner: the only ones a bucket with ACLs disabled accepts.
PRIVATE_ACLS = ("Private", "BucketOwnerFullControl")
PUBLIC_ACLS = ("PublicRead", "PublicReadWrite", "AuthenticatedRead")


def is_log_target(resource: Resource) -> bool:
    """True when the bucket receives S3 server access logs: another bucket of the template names it as its
    LoggingConfiguration.DestinationBucketName, or its bucket policy lets logging.s3.amazonaws.com write. S3 log
    delivery writes only SSE-S3 objects into a bucket without object-lock retention, and a log bucket does not
    log its own logs: https://docs.aws.amazon.com/AmazonS3/latest/userguide/enable-server-access-logging.html"""
    named_by = resource.derived("s3-log-destinations", lambda: _log_destinations(resource))
    names: list[Any] = [{"Ref": resource.logical_id}]
    if isinstance(resource.properties.get("BucketName"), str):
        names.append(resource.properties["BucketName"])
    if any(named_by.get(json.dumps(name, sort_keys=True), set()) - {resource.logical_id} for name in names):
        return True
    for document in _bucket_policies(resource):
        for statement in statements(document):
            if text(statement, "Effect") == "Allow" and LOG_DELIVERY_SERVICE in principal_values(statement).get(
                    "Service", []):
                return True
    return False


def _log_destinations(resource: Resource) -> dict[str, set[str]]:
    """Each server-access-log destination the template's buckets name -> the buckets that name it (indexed once
    per template: a template of thousands of buckets is not scanned once per bucket)."""
    destinations: dict[str, set[str]] = {}
    for logical_id, body in resource.others_of_type(*S3_BUCKET):
        try:
            destination = field(body, "Properties", "LoggingConfiguration", "DestinationBucketName")
        except CannotJudge:
            continue
        if destination is not None:
            destinations.setdefault(json.dumps(destination, sort_keys=True, default=str), set()).add(logical_id)
    return destinations


def _encrypted_with_kms(resource: Resource) -> Verdict:
    rules = _encryption_rules(resource)
    algorithms = [choice(_default_encryption(rule), "SSEAlgorithm", options=SSE_ALGORITHMS) for rule in rules]
    if is_log_target(resource):
        if any(algorithm in KMS_ALGORITHMS for algorithm in algorithms):
            return non_compliant("the bucket receives S3 server access logs, which S3 delivers only into buckets "
                                 "encrypted with SSE-S3 (AES256): logs sent here are lost")
        return COMPLIANT
    if not algorithms:
        return non_compliant("no default encryption configured: S3 encrypts with SSE-S3 under a key AWS owns, "
                             "whose use the account can neither log nor revoke")
    weak = [algorithm or "not set" for algorithm in algorithms if algorithm not in KMS_ALGORITHMS]
    if weak:
        return non_compliant(f"default encryption is {', '.join(weak)}, not SSE-KMS or DSSE-KMS")
    return COMPLIANT


def _public_access_blocked(resource: Resource) -> Verdict:
    problems = []
    configuration = known(resource.properties, "PublicAccessBlockConfiguration")
    if configuration is not None:
        # Present, the configuration sets every setting: one left out is false (PutPublicAccessBlock).
        off = [name for name in PUBLIC_ACCESS_SETTINGS if flag(configuration, name) is not True]
        if off:
            problems.append(f"PublicAccessBlockConfiguration leaves {', '.join(off)} off")
    acl = choice(resource.properties, "AccessControl", options=(*PRIVATE_ACLS, *PUBLIC_ACLS, "AwsExecRead",
                                                               "LogDeliveryWrite"))
    if acl in PUBLIC_ACLS:
        problems.append(f"AccessControl {acl} grants access to everyone")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


def _acls_disabled(resource: Resource) -> Verdict:
    problems = []
    for rule in mappings(resource.properties, "OwnershipControls", "Rules"):
        ownership = choice(rule, "ObjectOwnership", options=OBJECT_OWNERSHIP_VALUES)
        if ownership is not None and ownership != "BucketOwnerEnforced":
            problems.append(f"ObjectOwnership is {ownership}, so ACLs still grant access")
    acl = choice(resource.properties, "AccessControl", options=(*PRIVATE_ACLS, *PUBLIC_ACLS, "AwsExecRead",
                                                               "LogDeliveryWrite"))
    if acl is not None and acl not in PRIVATE_ACLS:
        problems.append(f"AccessControl {acl} grants access through an ACL")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


def _access_logged(resource: Resource) -> Verdict:
    if is_log_target(resource):
        return NOT_APPLICABLE
    destination = known(resource.properties, "LoggingConfiguration")
    if not isinstance(destination, Mapping) or field(destination, "DestinationBucketName") in (None, ""):
        return non_compliant("no LoggingConfiguration.DestinationBucketName: requests to the bucket are not "
                             "recorded in server access logs")
    return COMPLIANT


PHI_BUCKET_OBJECT_LOCK = Rule(
    id="S3PhiBucketObjectLock",
    resource_types=S3_BUCKET,
    finding="The PHI bucket has no object lock with a default retention (GOVERNANCE or COMPLIANCE).",
    explanation=(
        "Object lock keeps every version of PHI from deletion or overwrite for the retention period, even "
        "by administrators, which protects the integrity of ePHI and its recoverability after a mistaken "
        "or malicious delete. cdk-nag's HIPAA and NIST packs have no object-lock rule."
    ),
    controls=Controls(
        hipaa=("164.312(c)(1)", "164.312(c)(2)", "164.308(a)(7)(ii)(A)"),
        nist_800_53_r5=("CP-9", "SI-7", "SI-12"),
        nist_800_171_r2=("3.8.9",),
        dbgap=("Cleaning Up Data and Retaining Results",),
    ),
    check=_object_lock,
    fix=("use PhiBucket (object lock with a GOVERNANCE default retention; "
         "object_lock_mode/object_lock_days to change it); with s3.Bucket pass object_lock_enabled=True "
         "and object_lock_default_retention=s3.ObjectLockRetention.governance(cdk.Duration.days(N)); in "
         "CloudFormation set ObjectLockEnabled and ObjectLockConfiguration.Rule.DefaultRetention"),
)

BUCKET_KEY_ENABLED = Rule(
    id="S3BucketKeyEnabled",
    resource_types=S3_BUCKET,
    finding="The SSE-KMS bucket does not use S3 Bucket Keys.",
    explanation=(
        "Without bucket keys S3 calls KMS for every object; genomics buckets hold millions of objects, so "
        "requests are throttled (availability) and billed per call. Bucket keys keep the same customer-"
        "managed key and CloudTrail record. DSSE-KMS does not support bucket keys and is not judged."
    ),
    controls=Controls(
        hipaa=("164.312(a)(2)(iv)",),
        nist_800_53_r5=("SC-12", "SC-28", "SC-5"),
        nist_800_171_r2=("3.13.16",),
        dbgap=("Data Encryption",),
    ),
    check=_bucket_key,
    fix=("PhiBucket uses bucket keys; with s3.Bucket pass bucket_key_enabled=True; in CloudFormation set "
         "BucketKeyEnabled: true in the ServerSideEncryptionConfiguration rule"),
)

BUCKET_POLICY_MINIMUM_TLS = Rule(
    id="S3BucketPolicyMinimumTls",
    resource_types=S3_BUCKET,
    finding="The bucket policy does not deny requests that use TLS older than 1.2 for every object.",
    explanation=(
        "aws:SecureTransport refuses plain HTTP but still admits TLS 1.0 and 1.1; a Deny on s3:* with "
        "NumericLessThan s3:TlsVersion 1.2 (or 1.3) enforces the TLS floor HealthOmics and NIST guidance "
        "set for data in transit. The policy evaluator asks whether every object action is refused to anyone "
        "over TLS 1.0 and 1.1: a deny whose Resource is only the bucket ARN does not cover the objects."
    ),
    controls=Controls(
        hipaa=("164.312(e)(1)", "164.312(e)(2)(ii)"),
        nist_800_53_r5=("SC-8", "SC-8(1)", "SC-13"),
        nist_800_171_r2=("3.13.8", "3.13.11"),
        dbgap=("Data Encryption",),
    ),
    check=_minimum_tls,
    fix=("PhiBucket and AccessLogBucket deny TLS < 1.2 (minimum_tls_version=TlsVersion.TLS_1_3 for 1.3); with "
         "s3.Bucket pass enforce_ssl=True and minimum_tls_version=1.2; in CloudFormation add a Deny of "
         "s3:* for Principal * with Condition NumericLessThan s3:TlsVersion 1.2"),
)

PHI_BUCKET_KMS_ENCRYPTED = Rule(
    id="S3PhiBucketKmsEncrypted",
    resource_types=S3_BUCKET,
    finding="The PHI bucket is not encrypted by default with SSE-KMS or DSSE-KMS under a named KMS key.",
    explanation=(
        "PHI at rest is encrypted under a customer-managed key whose use is logged and can be revoked. "
        "DSSE-KMS (aws:kms:dsse) is accepted: it is two layers under the same kind of key, which cdk-nag's "
        "KMS rule reports as unencrypted."
    ),
    controls=_ENCRYPTION_AT_REST,
    check=_kms_encrypted,
    fix=("use PhiBucket (SSE-KMS under a PhiKey); with s3.Bucket pass encryption=s3.BucketEncryption.KMS "
         "and encryption_key=key; in CloudFormation set SSEAlgorithm aws:kms (or aws:kms:dsse) with "
         "KMSMasterKeyID"),
)

REPLICATION_KMS_OBJECTS = Rule(
    id="S3ReplicationKmsEncryptedObjects",
    resource_types=S3_BUCKET,
    finding="A replication rule of the KMS-encrypted bucket skips SSE-KMS objects or names no replica key.",
    explanation=(
        "S3 replicates SSE-KMS objects only when the rule selects SseKmsEncryptedObjects and names a "
        "ReplicaKmsKeyID; otherwise replication reports success while the PHI is never copied, and the "
        "disaster-recovery copy that HIPAA contingency planning relies on does not exist."
    ),
    controls=Controls(
        hipaa=("164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)", "164.312(a)(2)(iv)"),
        nist_800_53_r5=("CP-6", "CP-9", "SC-28"),
        nist_800_171_r2=("3.8.9", "3.13.16"),
        dbgap=("Data Location", "Data Encryption"),
    ),
    check=_replication_kms,
    fix=("PhiBucket(replica=PhiReplicaBucket(...)) configures this; in CloudFormation give each rule "
         "SourceSelectionCriteria.SseKmsEncryptedObjects.Status Enabled and "
         "Destination.EncryptionConfiguration.ReplicaKmsKeyID"),
)

NO_PHI_IN_NAMES_OR_TAGS = Rule(
    id="S3NoPhiInNamesOrTags",
    resource_types=S3_BUCKET,
    finding=("The bucket name or a tag looks like PHI (an e-mail address, SSN, phone number or MRN; in the name also "
             "patient, subject, MRN or DOB followed by digits, or 8 or more digits in a row)."),
    explanation=(
        "Bucket names are global and public, and names and tags are not encrypted with the data: they show "
        "in consoles, logs, bills and CloudTrail. Keep identifiers inside the encrypted objects. A 12-digit "
        "account id standing alone in a name and hashes CDK generates are not identifiers of a person."
    ),
    controls=Controls(
        hipaa=("164.312(a)(1)", "164.312(a)(2)(iv)"),
        nist_800_53_r5=("AC-3", "SC-28"),
        nist_800_171_r2=("3.1.1", "3.13.16"),
        dbgap=("User Accounts, Passwords, and Access Control Lists", "Data Encryption"),
    ),
    check=_no_phi_in_names_or_tags,
    fix=("rename the bucket and change the tag: names and tags appear in logs, bills and console "
         "listings, so use an opaque study or project code"),
)

BUCKET_VERSIONING = Rule(
    id="S3BucketVersioning",
    resource_types=S3_BUCKET,
    finding="The bucket's versioning is not Enabled (suspended, or never configured).",
    explanation=(
        "Versioning keeps every overwritten or deleted object recoverable, and object lock and replication both "
        "depend on it; an escape hatch that suspends it removes that protection silently. In an environment "
        "that holds PHI any bucket may receive it, so every bucket is versioned."
    ),
    controls=Controls(
        hipaa=("164.312(c)(1)", "164.308(a)(7)(ii)(A)"),
        nist_800_53_r5=("CP-9", "SI-12"),
        nist_800_171_r2=("3.8.9",),
        dbgap=("Cleaning Up Data and Retaining Results",),
    ),
    check=_versioning,
    fix=("use PhiBucket (versioning always on); with s3.Bucket pass versioned=True and remove any escape "
         "hatch that sets VersioningConfiguration.Status to Suspended"),
)

BUCKET_ENCRYPTED_WITH_KMS = Rule(
    id="S3BucketEncryptedWithKms",
    resource_types=S3_BUCKET,
    finding="The bucket is not encrypted by default under a KMS key (SSE-KMS or DSSE-KMS), or a server-access-log "
            "target is, which S3 log delivery refuses.",
    explanation=(
        "With SSE-KMS every read of an object needs the key, whose policy decides who may decrypt and whose use "
        "CloudTrail records; SSE-S3 (the default) uses a key AWS owns, so anyone the bucket policy admits reads "
        "the data. S3 delivers server access logs only into SSE-S3 buckets, so a log target is judged the other way."
    ),
    controls=_ENCRYPTION_AT_REST,
    check=_encrypted_with_kms,
    fix=("PhiBucket and AccessLogBucket do this; with s3.Bucket pass encryption=s3.BucketEncryption.KMS and "
         "encryption_key=key (s3.BucketEncryption.S3_MANAGED for a server-access-log bucket); in CloudFormation set "
         "BucketEncryption.ServerSideEncryptionConfiguration SSEAlgorithm aws:kms with KMSMasterKeyID"),
)

BUCKET_PUBLIC_ACCESS_BLOCKED = Rule(
    id="S3BucketPublicAccessBlocked",
    resource_types=S3_BUCKET,
    finding="The bucket turns off a Block Public Access setting, or grants public access with a canned ACL.",
    explanation=(
        "Block Public Access is the account owner's guard against a policy or ACL that makes data public by "
        "mistake. New buckets have all four settings on; a template that lists the configuration must set each "
        "one, because a setting it leaves out is off."
    ),
    controls=Controls(
        hipaa=("164.312(a)(1)", "164.312(e)(1)"),
        nist_800_53_r5=("AC-3", "AC-4", "AC-6", "SC-7"),
        nist_800_171_r2=("3.1.1", "3.1.3", "3.13.1"),
        dbgap=("User Accounts, Passwords, and Access Control Lists", "Internet, Networking, and Data Transfers"),
    ),
    check=_public_access_blocked,
    fix=("s3.Bucket(..., block_public_access=s3.BlockPublicAccess.BLOCK_ALL) (PhiBucket and AccessLogBucket do); "
         "in CloudFormation set all four PublicAccessBlockConfiguration settings true, or leave the configuration "
         "out, and no public AccessControl"),
)

BUCKET_ACLS_DISABLED = Rule(
    id="S3BucketAclsDisabled",
    resource_types=S3_BUCKET,
    finding="The bucket keeps ACLs enabled (ObjectOwnership is not BucketOwnerEnforced) or grants access with one.",
    explanation=(
        "With ACLs disabled only the bucket policy and IAM decide who reaches the data, so one policy shows every "
        "door; an ACL is a second, easily missed grant (the HIPAA-on-S3 guidance: disable ACLs)."
    ),
    controls=Controls(
        hipaa=("164.312(a)(1)", "164.308(a)(4)(ii)(B)"),
        nist_800_53_r5=("AC-3", "AC-6"),
        nist_800_171_r2=("3.1.1", "3.1.5"),
        dbgap=("User Accounts, Passwords, and Access Control Lists",),
    ),
    check=_acls_disabled,
    fix=("s3.Bucket(..., object_ownership=s3.ObjectOwnership.BUCKET_OWNER_ENFORCED) (PhiBucket and AccessLogBucket "
         "do); let S3 log delivery write through the bucket policy (the @aws-cdk/aws-s3:serverAccessLogsUseBucket"
         "Policy feature flag) instead of the LogDeliveryWrite ACL"),
)

BUCKET_ACCESS_LOGGED = Rule(
    id="S3BucketAccessLogged",
    resource_types=S3_BUCKET,
    finding="The bucket keeps no server access logs.",
    explanation=(
        "Server access logs record every request to the bucket, object reads included, which is what an "
        "investigation of a disclosure needs (HIPAA audit controls). A bucket that receives access logs is not "
        "judged: it does not log itself."
    ),
    controls=Controls(
        hipaa=("164.312(b)", "164.308(a)(1)(ii)(D)"),
        nist_800_53_r5=("AU-2", "AU-12"),
        nist_800_171_r2=("3.3.1", "3.3.2"),
        dbgap=("Auditing, Logging, and Monitoring",),
    ),
    check=_access_logged,
    fix=("PhiBucket(..., access_logs=AccessLogBucket(...)); with s3.Bucket pass server_access_logs_bucket=...; in "
         "CloudFormation set LoggingConfiguration.DestinationBucketName"),
)

S3_RULES = (
    PHI_BUCKET_OBJECT_LOCK,
    BUCKET_VERSIONING,
    BUCKET_ENCRYPTED_WITH_KMS,
    BUCKET_PUBLIC_ACCESS_BLOCKED,
    BUCKET_ACLS_DISABLED,
    BUCKET_ACCESS_LOGGED,
    BUCKET_KEY_ENABLED,
    BUCKET_POLICY_MINIMUM_TLS,
    PHI_BUCKET_KMS_ENCRYPTED,
    REPLICATION_KMS_OBJECTS,
    NO_PHI_IN_NAMES_OR_TAGS,
)
