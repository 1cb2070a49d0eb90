"""The guardrail rules: a region lock covering every target, and the trail, Config and key protections."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from omics_secure.compliance.model import Resource, Status
from omics_secure.compliance.rules.organization import ORGANIZATION_RULES

RULES = {rule.id: rule for rule in ORGANIZATION_RULES}
OU, OTHER_OU = "ou-ab12-cd34ef56", "ou-ab12-ef78gh90"
EXEMPT = {"ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/BreakGlass"}}
REGION_LOCK = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "NotAction": ["iam:*", "sts:*"], "Resource": "*",
    "Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]}, **EXEMPT}}]}
PROTECTION = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Deny", "Resource": "*", "Condition": EXEMPT,
    "Action": ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "config:StopConfigurationRecorder",
               "config:DeleteConfigurationRecorder", "kms:DisableKey", "kms:ScheduleKeyDeletion"]}]}


def policy(content: Any, targets: Any = (OU,), type_: str = "SERVICE_CONTROL_POLICY") -> dict[str, Any]:
    return {"Type": "AWS::Organizations::Policy", "Properties": {
        "Name": "p", "Type": type_, "Content": content, "TargetIds": list(targets) if isinstance(targets, tuple)
        else targets}}


def verdict(rule_id: str, resources: dict[str, Any], logical_id: str | None = None,
            overrides: dict[str, str] | None = None, **template: Any):
    logical_id = logical_id or next(iter(resources))
    body = resources[logical_id]
    resource = Resource.from_template(logical_id, body, resources)
    if template:
        from omics_secure.inputs.values import TemplateValues
        values = TemplateValues({"Resources": resources, **template}, overrides)
        resource = Resource.from_template(logical_id, body, resources, values=values)
    return RULES[rule_id].evaluate(resource)


def compliant_template() -> dict[str, Any]:
    return {"Lock": policy(copy.deepcopy(REGION_LOCK), (OU, OTHER_OU)),
            "Protect": policy(copy.deepcopy(PROTECTION), (OU, OTHER_OU)),
            "Tags": policy({"tags": {}}, (OU, OTHER_OU), "TAG_POLICY")}


@pytest.mark.parametrize("rule_id", RULES)
def test_the_guardrails_are_compliant(rule_id):
    assert verdict(rule_id, compliant_template()).status is Status.COMPLIANT


@pytest.mark.parametrize("rule_id", RULES)
def test_only_the_first_policy_of_a_template_carries_the_verdict(rule_id):
    assert verdict(rule_id, compliant_template(), "Protect").status is Status.NOT_APPLICABLE
    broken = {"Tags": policy({"tags": {}}, (OU,), "TAG_POLICY")}
    assert verdict(rule_id, broken).status is Status.NON_COMPLIANT


@pytest.mark.parametrize("rule_id", RULES)
def test_a_template_without_organizations_policies_is_not_judged(rule_id):
    bucket = {"Bucket": {"Type": "AWS::S3::Bucket", "Properties": {}}}
    assert RULES[rule_id].evaluate(Resource.from_template("Bucket", bucket["Bucket"], bucket)).status is \
        Status.NOT_APPLICABLE


def test_a_region_lock_that_misses_a_projects_ou_is_reported_naming_it():
    template = compliant_template()
    template["Lock"]["Properties"]["TargetIds"] = [OU]
    found = verdict("OrganizationRegionLock", template)
    assert found.status is Status.NON_COMPLIANT and OTHER_OU in found.detail


def test_a_region_lock_on_the_root_covers_every_ou():
    template = compliant_template()
    template["Lock"]["Properties"]["TargetIds"] = ["r-ab12"]
    assert verdict("OrganizationRegionLock", template).status is Status.COMPLIANT


@pytest.mark.parametrize("near_miss", [
    {"Condition": {"StringEquals": {"aws:RequestedRegion": ["eu-west-1"]}}},  # denies IN a region
    {"Effect": "Allow"},
    {"Resource": "arn:aws:s3:::bucket"},
    {"Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]},
                   "ArnNotLike": {"aws:PrincipalARN": "arn:aws:iam::*:role/*"}}},  # exempts every role
    {"Condition": {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1"]}, "Bool": {"aws:ViaAWSService": "false"}}},
])
def test_near_miss_region_locks_are_not_region_locks(near_miss):
    template = compliant_template()
    content = copy.deepcopy(REGION_LOCK)
    content["Statement"][0].update(near_miss)
    template["Lock"]["Properties"]["Content"] = content
    assert verdict("OrganizationRegionLock", template).status is Status.NON_COMPLIANT


def _every_action(statement: dict[str, Any]) -> None:
    del statement["NotAction"]
    statement["Action"] = "*"


def _if_exists(statement: dict[str, Any]) -> None:
    statement["Condition"]["StringNotEqualsIfExists"] = statement["Condition"].pop("StringNotEquals")


@pytest.mark.parametrize("change", [_every_action, _if_exists], ids=["every-action", "if-exists"])
def test_other_spellings_of_a_region_lock_count(change):
    """A Deny of every action (Action *) outside the regions, and StringNotEqualsIfExists aws:RequestedRegion
    (requests without the key, from global services, are not denied), are region locks too."""
    template = compliant_template()
    change(template["Lock"]["Properties"]["Content"]["Statement"][0])
    assert verdict("OrganizationRegionLock", template).status is Status.COMPLIANT


def test_a_condition_known_only_at_deploy_time_cannot_be_judged():
    template = compliant_template()
    template["Lock"]["Properties"]["Content"]["Statement"][0]["Condition"] = {"Fn::ImportValue": "region-lock"}
    found = verdict("OrganizationRegionLock", template)
    assert found.status is Status.CANNOT_JUDGE
    assert found.detail == "Condition is !ImportValue region-lock, known only at deploy time"


def test_account_ids_written_as_numbers_are_told_apart():
    """YAML reads an unquoted account id as a number; two accounts stay two targets."""
    template = compliant_template()
    template["Lock"]["Properties"]["TargetIds"] = [111122223333]
    for name in ("Protect", "Tags"):
        template[name]["Properties"]["TargetIds"] = [111122223333, 444455556666]
    found = verdict("OrganizationRegionLock", template)
    assert found.status is Status.NON_COMPLIANT
    assert found.detail == ("the region lock (Lock) is not attached to 444455556666, which other organization "
                            "policies of this template target")
    template["Lock"]["Properties"]["TargetIds"] = [444455556666, 111122223333]
    assert verdict("OrganizationRegionLock", template).status is Status.COMPLIANT


def test_a_region_lock_in_a_tag_policy_does_not_count():
    template = compliant_template()
    template["Lock"]["Properties"]["Type"] = "TAG_POLICY"
    assert verdict("OrganizationRegionLock", template).status is Status.NON_COMPLIANT


def test_content_as_a_json_string_is_read():
    template = compliant_template()
    template["Lock"]["Properties"]["Content"] = json.dumps(REGION_LOCK)
    template["Protect"]["Properties"]["Content"] = json.dumps(PROTECTION)
    assert verdict("OrganizationRegionLock", template).status is Status.COMPLIANT
    assert verdict("OrganizationControlsProtected", template).status is Status.COMPLIANT


@pytest.mark.parametrize(("missing", "named"), [
    ("kms:ScheduleKeyDeletion", "the keys"), ("cloudtrail:StopLogging", "the trail"),
    ("config:StopConfigurationRecorder", "AWS Config")])
def test_a_missing_protection_is_reported_naming_the_action(missing, named):
    template = compliant_template()
    template["Protect"]["Properties"]["Content"]["Statement"][0]["Action"] = [
        a for a in PROTECTION["Statement"][0]["Action"] if a != missing]
    found = verdict("OrganizationControlsProtected", template)
    assert found.status is Status.NON_COMPLIANT and missing in found.detail and named in found.detail


def test_service_wildcards_protect_too():
    template = compliant_template()
    template["Protect"]["Properties"]["Content"]["Statement"][0]["Action"] = [
        "cloudtrail:*", "config:Stop*", "config:Delete*", "kms:DisableKey", "kms:Schedule*"]
    assert verdict("OrganizationControlsProtected", template).status is Status.COMPLIANT


def test_a_protection_narrowed_by_a_region_condition_does_not_count():
    template = compliant_template()
    template["Protect"]["Properties"]["Content"]["Statement"][0]["Condition"] = {
        "StringEquals": {"aws:RequestedRegion": "us-east-1"}}
    assert verdict("OrganizationControlsProtected", template).status is Status.NON_COMPLIANT


def test_a_protection_missing_on_one_ou_is_reported():
    template = compliant_template()
    template["Protect"]["Properties"]["TargetIds"] = [OU]
    found = verdict("OrganizationControlsProtected", template)
    assert found.status is Status.NON_COMPLIANT and OTHER_OU in found.detail


def test_intrinsics_are_resolved_and_deploy_time_targets_cannot_be_judged():
    template = compliant_template()
    template["Lock"]["Properties"]["TargetIds"] = [{"Ref": "ProjectsOu"}, OTHER_OU]
    for name in ("Protect", "Tags"):
        template[name]["Properties"]["TargetIds"] = [{"Ref": "ProjectsOu"}, OTHER_OU]
    parameters = {"ProjectsOu": {"Type": "String", "Default": OU}}
    assert verdict("OrganizationRegionLock", template, Parameters=parameters,
                   overrides={"ProjectsOu": OU}).status is Status.COMPLIANT
    # The default is one deployment among many: another OU is a target only known at deploy time.
    other = verdict("OrganizationRegionLock", template, Parameters=parameters)
    assert other.status is Status.CANNOT_JUDGE and other.detail.startswith(f"when ProjectsOu is not {OU}:")
    no_default = {"ProjectsOu": {"Type": "String"}}
    unknown = verdict("OrganizationRegionLock", template, Parameters=no_default)
    assert unknown.status is Status.CANNOT_JUDGE
    assert unknown.detail == "TargetIds is !Ref ProjectsOu, known only at deploy time"


def test_a_condition_that_drops_the_region_lock_is_judged_on_each_branch():
    template = compliant_template()
    template["Lock"]["Condition"] = "LockRegions"
    conditions = {"LockRegions": {"Fn::Equals": [{"Ref": "Lock"}, "yes"]}}
    parameters = {"Lock": {"Type": "String", "AllowedValues": ["yes", "no"]}}
    found = verdict("OrganizationRegionLock", template, "Protect", Conditions=conditions, Parameters=parameters)
    # "Protect" is the first policy only on the branch where Lock does not exist: there, no region lock
    assert found.status is Status.NON_COMPLIANT and found.detail.startswith("when Lock is no:")
