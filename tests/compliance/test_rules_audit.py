"""Each audit rule on compliant and non-compliant template resources."""

from __future__ import annotations

from typing import Any

import pytest

from omics_secure.compliance.model import Resource, Status
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.rules.audit import (
    AUDIT_RULES,
    KEY_EVENTS_ALERTED,
    KMS_KEY_EVENT_NAMES,
    PHI_BUCKET_DATA_EVENTS,
    TRAIL_ALL_REGIONS,
    TRAIL_KMS_ENCRYPTED,
    TRAIL_LOG_FILE_VALIDATION,
)

PHI_TAG = {"Key": "omics-secure:data-classification", "Value": "phi"}
GOOD_TRAIL = {
    "IsLogging": True,
    "IsMultiRegionTrail": True,
    "IncludeGlobalServiceEvents": True,
    "EnableLogFileValidation": True,
    "KMSKeyId": {"Fn::GetAtt": ["Key", "Arn"]},
}
BUCKET_OBJECTS = {"Fn::Join": ["", [{"Fn::GetAtt": ["Data", "Arn"]}, "/"]]}


def trail(**overrides: Any) -> Resource:
    properties = {**GOOD_TRAIL, **overrides}
    return Resource(logical_id="Trail", type="AWS::CloudTrail::Trail",
                    properties={k: v for k, v in properties.items() if v is not None})


def verdict(rule, resource: Resource):
    return rule.evaluate(resource)


def test_every_audit_rule_is_in_the_pack_with_controls_and_ignores_other_types():
    assert set(AUDIT_RULES) <= set(OMICS_SECURE_PACK.rules)
    queue = Resource(logical_id="Q", type="AWS::SQS::Queue", properties={})
    for rule in AUDIT_RULES:
        assert rule.evaluate(queue).status is Status.NOT_APPLICABLE
        assert rule.controls.hipaa and rule.controls.nist_800_53_r5 and rule.controls.nist_800_171_r2
        assert rule.controls.dbgap


# --- trails ------------------------------------------------------------------------------------------------

def test_log_file_validation():
    assert verdict(TRAIL_LOG_FILE_VALIDATION, trail()).status is Status.COMPLIANT
    assert verdict(TRAIL_LOG_FILE_VALIDATION, trail(EnableLogFileValidation="true")).status is Status.COMPLIANT
    for value in (False, None):
        result = verdict(TRAIL_LOG_FILE_VALIDATION, trail(EnableLogFileValidation=value))
        assert result.status is Status.NON_COMPLIANT and "EnableLogFileValidation is" in result.detail


def test_kms_encryption():
    assert verdict(TRAIL_KMS_ENCRYPTED, trail()).status is Status.COMPLIANT
    for value in (None, ""):
        result = verdict(TRAIL_KMS_ENCRYPTED, trail(KMSKeyId=value))
        assert result.status is Status.NON_COMPLIANT and "SSE-S3 only" in result.detail


def test_all_regions_global_events_logging_and_management_events():
    assert verdict(TRAIL_ALL_REGIONS, trail()).status is Status.COMPLIANT
    # IncludeGlobalServiceEvents defaults to true in CloudFormation.
    assert verdict(TRAIL_ALL_REGIONS, trail(IncludeGlobalServiceEvents=None)).status is Status.COMPLIANT
    result = verdict(TRAIL_ALL_REGIONS, trail(IsMultiRegionTrail=False, IncludeGlobalServiceEvents=False,
                                              IsLogging=False))
    assert result.status is Status.NON_COMPLIANT
    assert result.detail == ("IsMultiRegionTrail is not true; IncludeGlobalServiceEvents is false (IAM, STS and "
                             "console sign-in go unrecorded); IsLogging is not true")


@pytest.mark.parametrize(("selectors", "compliant"), [
    ({"EventSelectors": [{"IncludeManagementEvents": True, "ReadWriteType": "All"}]}, True),
    ({"EventSelectors": [{"ReadWriteType": "All"}]}, True),  # IncludeManagementEvents defaults to true
    ({"EventSelectors": [{"IncludeManagementEvents": False, "DataResources": []}]}, False),
    ({"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Management"]}]}]}, True),
    ({"AdvancedEventSelectors": [{"FieldSelectors": [{"Field": "eventCategory", "Equals": ["Data"]}]}]}, False),
])
def test_management_events_must_be_recorded(selectors, compliant):
    result = verdict(TRAIL_ALL_REGIONS, trail(**selectors))
    assert (result.status is Status.COMPLIANT) is compliant
    if not compliant:
        assert result.detail == "no event selector includes management events"


# --- S3 data events for PHI buckets --------------------------------------------------------------------

def phi_bucket(*trails: dict[str, Any], phi: bool = True, name: str | None = None) -> Resource:
    properties: dict[str, Any] = {"Tags": [PHI_TAG] if phi else []}
    if name:
        properties["BucketName"] = name
    template: dict[str, Any] = {"Data": {"Type": "AWS::S3::Bucket", "Properties": properties}}
    for index, properties_of_trail in enumerate(trails):
        template[f"Trail{index}"] = {"Type": "AWS::CloudTrail::Trail", "Properties": properties_of_trail}
    return Resource(logical_id="Data", type="AWS::S3::Bucket", properties=properties, template_resources=template)


def basic(values: list[Any], read_write: str = "All", **extra: Any) -> dict[str, Any]:
    return {**GOOD_TRAIL, **extra, "EventSelectors": [
        {"ReadWriteType": read_write, "DataResources": [{"Type": "AWS::S3::Object", "Values": values}]}]}


def advanced(*fields: dict[str, Any]) -> dict[str, Any]:
    return {**GOOD_TRAIL, "AdvancedEventSelectors": [{"FieldSelectors": [
        {"Field": "eventCategory", "Equals": ["Data"]},
        {"Field": "resources.type", "Equals": ["AWS::S3::Object"]},
        *fields,
    ]}]}


@pytest.mark.parametrize("trail_properties", [
    basic([BUCKET_OBJECTS]),
    basic(["arn:aws:s3"]),
    basic(["arn:aws:s3:::"]),
    {**GOOD_TRAIL, "EventSelectors": [
        {"ReadWriteType": "ReadOnly", "DataResources": [{"Type": "AWS::S3::Object", "Values": [BUCKET_OBJECTS]}]},
        {"ReadWriteType": "WriteOnly", "DataResources": [{"Type": "AWS::S3::Object", "Values": [BUCKET_OBJECTS]}]},
    ]},
    advanced(),
    advanced({"Field": "resources.ARN", "StartsWith": [BUCKET_OBJECTS]}),
    advanced({"Field": "readOnly", "Equals": ["true", "false"]}),
])
def test_phi_bucket_covered_by_read_and_write_data_events(trail_properties):
    assert verdict(PHI_BUCKET_DATA_EVENTS, phi_bucket(trail_properties)).status is Status.COMPLIANT


def test_a_literal_bucket_name_counts_and_read_and_write_may_come_from_two_trails():
    named = phi_bucket(basic(["arn:aws:s3:::genomics-phi-study42/"]), name="genomics-phi-study42")
    assert verdict(PHI_BUCKET_DATA_EVENTS, named).status is Status.COMPLIANT
    split = phi_bucket(basic([BUCKET_OBJECTS], "ReadOnly"), basic([BUCKET_OBJECTS], "WriteOnly"))
    assert verdict(PHI_BUCKET_DATA_EVENTS, split).status is Status.COMPLIANT


@pytest.mark.parametrize(("trail_properties", "missing"), [
    ({**GOOD_TRAIL}, "read or write"),
    (basic([BUCKET_OBJECTS], "WriteOnly"), "read"),
    (basic([BUCKET_OBJECTS], "ReadOnly"), "write"),
    (basic([{"Fn::Join": ["", [{"Fn::GetAtt": ["Data", "Arn"]}, "/raw/"]]}]), "read or write"),  # a prefix only
    (basic([{"Fn::Join": ["", [{"Fn::GetAtt": ["Other", "Arn"]}, "/"]]}]), "read or write"),
    (basic(["arn:aws:s3:::genomics-phi-study42/"]), "read or write"),  # bucket name not literal in the template
    (basic([BUCKET_OBJECTS], IsLogging=False), "read or write"),
    (advanced({"Field": "readOnly", "Equals": ["true"]}), "write"),
    (advanced({"Field": "resources.ARN", "NotStartsWith": [BUCKET_OBJECTS]}), "read or write"),
    (advanced({"Field": "eventName", "Equals": ["GetObject"]}), "read or write"),
    ({**GOOD_TRAIL, "EventSelectors": [{"DataResources": [{"Type": "AWS::Lambda::Function",
                                                           "Values": ["arn:aws:lambda"]}]}]}, "read or write"),
])
def test_phi_bucket_not_fully_covered(trail_properties, missing):
    result = verdict(PHI_BUCKET_DATA_EVENTS, phi_bucket(trail_properties))
    assert result.status is Status.NON_COMPLIANT
    assert result.detail == (f"no logging trail of this template (Trail0) records {missing} data events for every "
                             "object of this bucket")


def test_data_event_rule_judges_only_phi_buckets_in_templates_with_a_trail():
    assert verdict(PHI_BUCKET_DATA_EVENTS, phi_bucket()).status is Status.NOT_APPLICABLE
    assert verdict(PHI_BUCKET_DATA_EVENTS, phi_bucket({**GOOD_TRAIL}, phi=False)).status is Status.NOT_APPLICABLE


# --- KMS key events ----------------------------------------------------------------------------------------

def key_with(*rules: dict[str, Any]) -> Resource:
    template: dict[str, Any] = {"Key": {"Type": "AWS::KMS::Key", "Properties": {}}}
    for index, properties in enumerate(rules):
        template[f"Rule{index}"] = {"Type": "AWS::Events::Rule", "Properties": properties}
    return Resource(logical_id="Key", type="AWS::KMS::Key", properties={}, template_resources=template)


def kms_rule(names: list[str] | None = None, *, keys: list[Any] | None = None, **extra: Any) -> dict[str, Any]:
    detail: dict[str, Any] = {"eventSource": ["kms.amazonaws.com"]}
    if names is not None:
        detail["eventName"] = names
    if keys is not None:
        detail["resources"] = {"ARN": keys}
    properties = {"EventPattern": {"source": ["aws.kms"], "detail-type": ["AWS API Call via CloudTrail"],
                                   "detail": detail},
                  "State": "ENABLED", "Targets": [{"Arn": {"Ref": "Topic"}, "Id": "Target0"}]}
    properties.update(extra)
    return properties


@pytest.mark.parametrize("rules", [
    [kms_rule(list(KMS_KEY_EVENT_NAMES))],
    [kms_rule(list(KMS_KEY_EVENT_NAMES), keys=[{"Fn::GetAtt": ["Key", "Arn"]}])],
    [kms_rule()],  # every KMS API call
    [kms_rule(["DisableKey", "ScheduleKeyDeletion"]), kms_rule(["PutKeyPolicy", "RevokeGrant", "RetireGrant"])],
])
def test_key_events_alerted(rules):
    assert verdict(KEY_EVENTS_ALERTED, key_with(*rules)).status is Status.COMPLIANT


@pytest.mark.parametrize(("rules", "missing"), [
    ([kms_rule(["DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy"])], "RevokeGrant, RetireGrant"),
    ([kms_rule(list(KMS_KEY_EVENT_NAMES), keys=[{"Fn::GetAtt": ["OtherKey", "Arn"]}])], None),
    ([kms_rule(list(KMS_KEY_EVENT_NAMES), State="DISABLED")], None),
    ([kms_rule(list(KMS_KEY_EVENT_NAMES), Targets=[])], None),
    ([{**kms_rule(list(KMS_KEY_EVENT_NAMES)),
       "EventPattern": {"source": ["aws.kms"], "detail-type": ["KMS Imported Key Material Expiration"]}}], None),
])
def test_key_events_not_alerted(rules, missing):
    result = verdict(KEY_EVENTS_ALERTED, key_with(*rules))
    assert result.status is Status.NON_COMPLIANT
    expected = missing or ", ".join(KMS_KEY_EVENT_NAMES)
    assert result.detail == (f"no enabled, targeted KMS event rule of this template (Rule0) matches {expected} "
                             "for this key")


def test_key_rule_judges_only_templates_with_a_kms_event_rule():
    assert verdict(KEY_EVENTS_ALERTED, key_with()).status is Status.NOT_APPLICABLE
    s3_rule = {"EventPattern": {"source": ["aws.s3"]}, "Targets": [{"Arn": "x", "Id": "t"}]}
    assert verdict(KEY_EVENTS_ALERTED, key_with(s3_rule)).status is Status.NOT_APPLICABLE


# Issue 27: a selector is judged by the ARN prefix it covers, read as the evaluator reads ARNs.
@pytest.mark.parametrize(("value", "status"), [
    ({"Fn::Sub": "${Data.Arn}/"}, Status.COMPLIANT),
    ({"Fn::Sub": "arn:${AWS::Partition}:s3:::${Data}/"}, Status.COMPLIANT),
    ({"Fn::Sub": "${Data.Arn}"}, Status.COMPLIANT),  # the bucket ARN as prefix covers its objects too
    ({"Fn::Sub": "${Data.DomainName}/"}, Status.NON_COMPLIANT),  # a host name, not an ARN: no object
    ({"Fn::Sub": "${Data.RegionalDomainName}/"}, Status.NON_COMPLIANT),
    ({"Fn::Sub": "${Data.Arn}/cohort-a/"}, Status.NON_COMPLIANT),  # one prefix inside the bucket
    ({"Fn::Sub": ["arn:aws:s3:::${Name}/", {"Name": {"Fn::ImportValue": "data-bucket"}}]}, Status.CANNOT_JUDGE),
])
def test_selectors_judged_by_the_arn_prefix_they_cover(value, status):
    assert verdict(PHI_BUCKET_DATA_EVENTS, phi_bucket(basic([value]))).status is status


def test_a_deployed_bucket_is_known_by_its_name_alone():
    """``verify`` judges a live bucket through a template holding only its name: the selector must be read
    against that name, not against a name CloudFormation would generate."""
    from omics_secure.compliance.live import judge_phi_bucket_data_events

    def selectors(value: str) -> dict[str, Any]:
        return {"EventSelectors": [{"ReadWriteType": "All", "DataResources": [
            {"Type": "AWS::S3::Object", "Values": [value]}]}]}

    assert judge_phi_bucket_data_events("genomics-phi-study42", selectors("arn:aws:s3:::genomics-phi-study42/")
                                        ).status is Status.COMPLIANT
    missed = judge_phi_bucket_data_events("genomics-phi-study42", selectors("arn:aws:s3:::genomics-phi-study41/"))
    assert missed.status is Status.NON_COMPLIANT
    assert missed.detail == ("no logging trail of this template (Trail) records read or write data events for every "
                             "object of this bucket")
