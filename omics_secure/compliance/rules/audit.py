"""Rules for the audit record: trails, S3 data events for PHI buckets, and alerts on KMS key events.

Two rules judge coverage, which needs more than one resource, so they look around the template
(``Resource.template_resources``):

- ``CloudTrailPhiBucketDataEvents`` judges each PHI bucket (tag ``omics-secure:data-classification=phi``)
  in a template that holds a trail: some logging trail of that template must record the bucket's object
  reads and writes. The finding points at the bucket, the resource that is unaudited.
- ``KMSKeyEventsAlerted`` judges each KMS key in a template that holds an EventBridge rule on KMS API
  calls: the enabled, targeted rules of that template must match DisableKey, ScheduleKeyDeletion,
  PutKeyPolicy, RevokeGrant and RetireGrant for this key (a rule with no key filter watches every key).

A template with no trail (or no KMS event rule) is *not judged* by these two: the account's trail and
alerts usually live in a dedicated audit stack or come from the organization, which no rule over one
template can see, and reporting every such stack would bury real findings under acknowledgments. The
``omics-secure report`` summary lists every trail and event rule of the app, so a reviewer sees when
there are none; the reference app puts its trail and key watch beside the data they cover.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omics_secure._internal.events import KMS_KEY_EVENT_NAMES
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
from omics_secure.compliance.rules._evaluate import reader
from omics_secure.compliance.rules.s3 import is_phi_bucket
from omics_secure.inputs.values import (
    CannotJudge,
    Text,
    Unknown,
    field,
    flag,
    items,
    known,
    mapping,
    mappings,
    mentions_resource,
    referenced_id,
    show,
    text,
)
from omics_secure.policy.matching import Tri, glob, has_hole, hole, readable

CLOUDTRAIL_TRAIL = frozenset({"AWS::CloudTrail::Trail"})
S3_BUCKET = frozenset({"AWS::S3::Bucket"})
KMS_KEY = frozenset({"AWS::KMS::Key"})
# Data-resource values are ARN prefixes: "arn:aws:s3" selects every object of every bucket. DataResource reference:
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-cloudtrail-trail-dataresource.html

_AUDIT_RECORD = Controls(
    hipaa=("164.312(b)", "164.308(a)(1)(ii)(D)"),
    nist_800_53_r5=("AU-2", "AU-12"),
    nist_800_171_r2=("3.3.1", "3.3.2"),
    dbgap=("Auditing, Logging, and Monitoring",),
)


# --- trails -----------------------------------------------------------------------------------------------

def _log_file_validation(resource: Resource) -> Verdict:
    if flag(resource.properties, "EnableLogFileValidation") is True:
        return COMPLIANT
    return non_compliant(f"EnableLogFileValidation is {show(resource.properties.get('EnableLogFileValidation'))}, "
                         "not true")


def _kms_encrypted(resource: Resource) -> Verdict:
    # A key from a parameter or an import is still a KMS key: only its absence fails.
    if field(resource.properties, "KMSKeyId") not in (None, ""):
        return COMPLIANT
    return non_compliant("no KMSKeyId: log files are encrypted with SSE-S3 only")


def _basic_selectors(properties: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return mappings(properties, "EventSelectors")


def _advanced_selectors(properties: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    return mappings(properties, "AdvancedEventSelectors")


def _field_selectors(selector: Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    return {str(text(f, "Field")): f for f in mappings(selector, "FieldSelectors")}


def _equals(fields: Mapping[str, Mapping[str, Any]], name: str, operator: str = "Equals") -> list[Any]:
    return items(fields.get(name), operator)


def _records_management_events(properties: Mapping[str, Any]) -> bool:
    basic, advanced = _basic_selectors(properties), _advanced_selectors(properties)
    if not basic and not advanced:
        return True  # CloudTrail's default: all management events
    if any(flag(s, "IncludeManagementEvents") is not False for s in basic):
        return True
    return any("Management" in _equals(_field_selectors(s), "eventCategory") for s in advanced)


def _all_regions(resource: Resource) -> Verdict:
    properties = resource.properties
    problems = []
    if flag(properties, "IsMultiRegionTrail") is not True:
        problems.append("IsMultiRegionTrail is not true")
    if flag(properties, "IncludeGlobalServiceEvents") is False:
        problems.append("IncludeGlobalServiceEvents is false (IAM, STS and console sign-in go unrecorded)")
    if flag(properties, "IsLogging") is not True:
        problems.append("IsLogging is not true")
    if not _records_management_events(properties):
        problems.append("no event selector includes management events")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


# --- S3 data events for PHI buckets -------------------------------------------------------------------------

def _whole_bucket_value(value: Any, bucket: Resource) -> bool:
    """True when a data-resource value names every object of ``bucket`` (or of every bucket).

    The value is an ARN prefix (DataResource reference above): it covers the bucket's objects when every
    object ARN, ``arn:aws:s3:::<bucket>/<key>``, starts with it. The value and the bucket's ARN are read the
    way the policy evaluator reads ARNs (``Ref``, ``GetAtt`` and ``Fn::Sub``/``Fn::Join`` resolved, a generated
    bucket name's random part unknown), so ``${Bucket.DomainName}/`` (``<name>.s3.amazonaws.com/``) or a
    prefix inside the bucket covers nothing, and a value known only at deploy time cannot be judged.
    """
    if isinstance(value, Unknown):
        raise CannotJudge("a data resource value", value)
    parts = value.parts if isinstance(value, Text) else (value,)
    named = {referenced_id(part) for part in parts} - {None}
    if named and bucket.logical_id not in named:
        return False  # built from another resource's name or ARN
    template, resolution = reader(bucket)
    prefix = template.text(value, resolution)
    if prefix is None:
        return False
    name = bucket.properties.get("BucketName")  # the bucket's own view: a live bucket has only its name
    bucket_arn = f"arn:aws:s3:::{name}" if isinstance(name, str) else template.arn(bucket.logical_id, resolution)
    objects = f"{bucket_arn}/{hole('key')}"
    covered = glob(prefix + "*", objects)
    if covered is Tri.MAYBE and not has_hole(prefix.replace(bucket_arn, "")):
        return False  # it selects some keys of the bucket only (a prefix inside it)
    if covered is Tri.MAYBE:
        raise CannotJudge("a data resource value", readable(prefix), "so which objects it selects is known only "
                                                                   "at deploy time")
    return covered is Tri.TRUE


def _basic_coverage(selector: Mapping[str, Any], bucket: Resource) -> set[str]:
    """Which of 'read' and 'write' the basic selector logs for every object of ``bucket``."""
    covered = False
    for data in mappings(selector, "DataResources"):
        if text(data, "Type") == "AWS::S3::Object" and any(
                _whole_bucket_value(v, bucket) for v in items(data, "Values")):
            covered = True
    if not covered:
        return set()
    mode = text(selector, "ReadWriteType") or "All"
    return {"All": {"read", "write"}, "ReadOnly": {"read"}, "WriteOnly": {"write"}}.get(mode, set())


def _advanced_coverage(selector: Mapping[str, Any], bucket: Resource) -> set[str]:
    """Which of 'read' and 'write' the advanced selector logs for every object of ``bucket``.

    Only the plain forms count: eventCategory Equals Data, resources.type Equals AWS::S3::Object, and no
    filter on resources.ARN or one whose StartsWith or Equals names the whole bucket. Selectors that
    exclude (NotEquals, NotStartsWith ...) are not credited: from a template their effect is unknown.
    """
    fields = _field_selectors(selector)
    if _equals(fields, "eventCategory") != ["Data"]:
        return set()
    if "AWS::S3::Object" not in _equals(fields, "resources.type"):
        return set()
    for name, field_selector in fields.items():
        if name not in ("eventCategory", "resources.type", "resources.ARN", "readOnly"):
            return set()
        if any(str(k).startswith("Not") for k in field_selector):
            return set()
    if "resources.ARN" in fields and not any(_whole_bucket_value(v, bucket) for k in ("StartsWith", "Equals")
                                             for v in _equals(fields, "resources.ARN", k)):
        return set()
    read_only = [str(text({"v": v}, "v")).lower() for v in _equals(fields, "readOnly")]
    if not read_only:
        return {"read", "write"}
    return ({"read"} if "true" in read_only else set()) | ({"write"} if "false" in read_only else set())


def _trail_coverage(properties: Mapping[str, Any], bucket: Resource) -> set[str]:
    if flag(properties, "IsLogging") is not True:
        return set()
    covered: set[str] = set()
    for selector in _basic_selectors(properties):
        covered |= _basic_coverage(selector, bucket)
    for selector in _advanced_selectors(properties):
        covered |= _advanced_coverage(selector, bucket)
    return covered


def _phi_bucket_data_events(resource: Resource) -> Verdict:
    if not is_phi_bucket(resource):
        return NOT_APPLICABLE
    trails = [(logical_id, mapping(body, "Properties"))
              for logical_id, body in resource.others_of_type(*CLOUDTRAIL_TRAIL)]
    if not trails:
        return NOT_APPLICABLE
    covered: set[str] = set()
    unknown: list[CannotJudge] = []
    for _, properties in trails:
        try:
            covered |= _trail_coverage(properties, resource)
        except CannotJudge as cannot:
            unknown.append(cannot)
    missing = sorted({"read", "write"} - covered)
    if not missing:
        return COMPLIANT
    if unknown:
        return cannot_judge(str(unknown[0]))
    names = ", ".join(logical_id for logical_id, _ in trails)
    return non_compliant(f"no logging trail of this template ({names}) records {' or '.join(missing)} data events "
                         "for every object of this bucket")


# --- KMS key events -------------------------------------------------------------------------------------------

def _kms_event_rules(resource: Resource) -> list[tuple[str, Mapping[str, Any]]]:
    found = []
    for logical_id, body in resource.others_of_type("AWS::Events::Rule"):
        properties = mapping(body, "Properties")
        if "aws.kms" in items(properties, "EventPattern", "source"):
            found.append((logical_id, properties))
    return found


def _watched_event_names(rule: Mapping[str, Any], key: Resource) -> set[str]:
    """The key events ``rule`` delivers somewhere for ``key``; empty if it is disabled, untargeted or elsewhere."""
    if (text(rule, "State") or "ENABLED") != "ENABLED" or not items(rule, "Targets"):
        return set()
    pattern = mapping(rule, "EventPattern")
    detail_types = items(pattern, "detail-type")
    if detail_types and "AWS API Call via CloudTrail" not in detail_types:
        return set()
    detail = mapping(pattern, "detail")
    sources = items(detail, "eventSource")
    if sources and "kms.amazonaws.com" not in sources:
        return set()
    if known(detail, "resources") is not None:
        arns = items(detail, "resources", "ARN")
        if not any(mentions_resource(arn, key.logical_id) for arn in arns):
            return set()
    names = items(detail, "eventName")
    return set(KMS_KEY_EVENT_NAMES) if not names else {n for n in names if isinstance(n, str)}


def _key_events_alerted(resource: Resource) -> Verdict:
    rules = _kms_event_rules(resource)
    if not rules:
        return NOT_APPLICABLE
    watched: set[str] = set()
    unknown: list[CannotJudge] = []
    for _, rule in rules:
        try:
            watched |= _watched_event_names(rule, resource)
        except CannotJudge as cannot:
            unknown.append(cannot)
    missing = [name for name in KMS_KEY_EVENT_NAMES if name not in watched]
    if not missing:
        return COMPLIANT
    if unknown:
        return cannot_judge(str(unknown[0]))
    names = ", ".join(logical_id for logical_id, _ in rules)
    return non_compliant(f"no enabled, targeted KMS event rule of this template ({names}) matches "
                         f"{', '.join(missing)} for this key")


TRAIL_LOG_FILE_VALIDATION = Rule(
    id="CloudTrailLogFileValidation",
    resource_types=CLOUDTRAIL_TRAIL,
    finding="The trail does not validate its log files.",
    explanation=(
        "Log file validation writes signed hourly digests, so an auditor can prove that no log file was "
        "changed or deleted after delivery; without it the audit record of PHI access cannot be trusted."
    ),
    controls=Controls(
        hipaa=("164.312(b)", "164.312(c)(1)", "164.312(c)(2)"),
        nist_800_53_r5=("AU-9", "SI-7"),
        nist_800_171_r2=("3.3.8",),
        dbgap=("Auditing, Logging, and Monitoring",),
    ),
    check=_log_file_validation,
    fix=("AuditTrail validates log files; with cloudtrail.Trail pass enable_file_validation=True; in "
         "CloudFormation set EnableLogFileValidation: true"),
)

TRAIL_KMS_ENCRYPTED = Rule(
    id="CloudTrailKmsEncrypted",
    resource_types=CLOUDTRAIL_TRAIL,
    finding="The trail's log files are not encrypted with a KMS key (KMSKeyId).",
    explanation=(
        "Trail records name buckets, objects and principals touching PHI; SSE-KMS under a customer-managed "
        "key adds a second permission (kms:Decrypt) to read them and logs every read."
    ),
    controls=Controls(
        hipaa=("164.312(a)(2)(iv)", "164.312(b)"),
        nist_800_53_r5=("AU-9", "SC-28"),
        nist_800_171_r2=("3.3.8", "3.13.16"),
        dbgap=("Auditing, Logging, and Monitoring", "Data Encryption"),
    ),
    check=_kms_encrypted,
    fix=("AuditTrail encrypts with a PhiKey; with cloudtrail.Trail pass encryption_key=key; in "
         "CloudFormation set KMSKeyId"),
)

TRAIL_ALL_REGIONS = Rule(
    id="CloudTrailAllRegions",
    resource_types=CLOUDTRAIL_TRAIL,
    finding="The trail is not logging management events of every region, global services included.",
    explanation=(
        "Activity in a region nobody watches (or IAM, STS and console sign-in, recorded as global service "
        "events) is where misuse goes unseen; a multi-region, logging trail with management events records "
        "every API call of the account."
    ),
    controls=_AUDIT_RECORD,
    check=_all_regions,
    fix=("AuditTrail covers every region; with cloudtrail.Trail pass is_multi_region_trail=True and "
         "include_global_service_events=True, and keep management events; in CloudFormation set "
         "IsMultiRegionTrail, IncludeGlobalServiceEvents and IsLogging to true"),
)

PHI_BUCKET_DATA_EVENTS = Rule(
    id="CloudTrailPhiBucketDataEvents",
    resource_types=S3_BUCKET,
    finding="No trail in this template records S3 data events (read and write) for every object of the PHI bucket.",
    explanation=(
        "Management events do not record who read or wrote which object; only S3 data events do, and HIPAA "
        "audit controls ask for exactly that record of access to ePHI. cdk-nag's HIPAA pack has no such "
        "rule. Judged only in templates that hold a trail (see the module documentation)."
    ),
    controls=_AUDIT_RECORD,
    check=_phi_bucket_data_events,
    fix=("AuditTrail(data_buckets=[...]) records them; with cloudtrail.Trail call "
         "trail.add_s3_event_selector([cloudtrail.S3EventSelector(bucket=bucket)], "
         "read_write_type=cloudtrail.ReadWriteType.ALL)"),
)

KEY_EVENTS_ALERTED = Rule(
    id="KMSKeyEventsAlerted",
    resource_types=KMS_KEY,
    finding=("No EventBridge rule in this template alerts when the key is disabled, scheduled for deletion, has its "
             "policy replaced, or has a grant revoked or retired."),
    explanation=(
        "Each of these calls cuts HealthOmics, HealthLake or S3 off from data encrypted under the key, at once or "
        "after the deletion window; the HealthOmics guide warns against revoking or retiring its grants. People "
        "must hear of it while it can still be undone. Judged only in templates that hold a rule on KMS events."
    ),
    controls=Controls(
        hipaa=("164.308(a)(1)(ii)(D)", "164.308(a)(6)(ii)", "164.312(a)(2)(iv)"),
        nist_800_53_r5=("AU-6", "SI-4", "SC-12"),
        nist_800_171_r2=("3.3.1", "3.14.6", "3.13.10"),
        dbgap=("Auditing, Logging, and Monitoring", "Data Encryption"),
    ),
    check=_key_events_alerted,
    fix=("KeyWatch(alerts=AlertTopic(...), keys=[key]) adds the EventBridge rule; by hand, an events.Rule "
         "on source aws.kms with eventName DisableKey, ScheduleKeyDeletion, PutKeyPolicy, RevokeGrant and "
         "RetireGrant for the key's ARN, with a target"),
)

AUDIT_RULES: tuple[Rule, ...] = (
    TRAIL_LOG_FILE_VALIDATION,
    TRAIL_KMS_ENCRYPTED,
    TRAIL_ALL_REGIONS,
    PHI_BUCKET_DATA_EVENTS,
    KEY_EVENTS_ALERTED,
)
