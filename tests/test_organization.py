"""Organization guardrails: every SCP statement, the tag policy, the size quota and the packs."""

from __future__ import annotations

import json

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template

from omics_secure import (
    ControlsProtectionPolicy,
    DataClassificationTagPolicy,
    HipaaServicesPolicy,
    OmicsSecureConfigError,
    OrganizationGuardrails,
    RegionLockPolicy,
)
from omics_secure.organization import (
    GLOBAL_SERVICE_ACTIONS,
    HIPAA_ELIGIBLE_SERVICES,
    SCP_SIZE_LIMIT,
    policy_size,
)
from tests.harness import assert_compliant, make_app

OU = "ou-ab12-cd34ef56"
ACCOUNT = "222233334444"
BREAK_GLASS = "arn:aws:iam::*:role/BreakGlass"
MANAGEMENT = cdk.Environment(account="999988887777", region="us-east-1")


def _stack(tmp_path) -> cdk.Stack:
    return cdk.Stack(make_app(tmp_path), "Guardrails", env=MANAGEMENT)


def _policies(stack: cdk.Stack) -> dict[str, dict]:
    resources = Template.from_stack(stack).find_resources("AWS::Organizations::Policy")
    return {body["Properties"]["Name"]: body["Properties"] for body in resources.values()}


def _guardrails(tmp_path) -> cdk.Stack:
    stack = _stack(tmp_path)
    OrganizationGuardrails(stack, "Projects", target_ids=[OU, ACCOUNT], regions=["us-west-2", "us-east-1"],
                           break_glass_role=BREAK_GLASS)
    return stack


@pytest.fixture(scope="module")
def guardrails(tmp_path_factory) -> dict[str, dict]:
    return _policies(_guardrails(tmp_path_factory.mktemp("guardrails")))


@pytest.mark.slow
def test_the_guardrails_pass_every_pack(tmp_path):
    assert_compliant(_guardrails(tmp_path))  # the organization rules included, and cfn-lint


def test_the_region_lock_denies_every_other_region_but_global_services_and_break_glass(guardrails):
    policy = guardrails["RegionLock-region-lock"]
    assert policy["Type"] == "SERVICE_CONTROL_POLICY" and policy["TargetIds"] == [OU, ACCOUNT]
    (statement,) = policy["Content"]["Statement"]
    assert statement["Effect"] == "Deny" and statement["Resource"] == "*"
    assert statement["NotAction"] == list(GLOBAL_SERVICE_ACTIONS)
    assert {"iam:*", "sts:*", "organizations:*", "route53:*", "cloudfront:*", "support:*"} <= set(
        statement["NotAction"])
    assert statement["Condition"] == {"StringNotEquals": {"aws:RequestedRegion": ["us-east-1", "us-west-2"]},
                                      "ArnNotLike": {"aws:PrincipalARN": [BREAK_GLASS]}}


def test_the_controls_protection_denies_turning_off_trail_config_keys_and_public_access_block(guardrails):
    policy = guardrails["ControlsProtection-controls-protection"]
    off, reconfigure = policy["Content"]["Statement"]
    assert off["Sid"] == "DenyTurningOffControls" and off["Effect"] == "Deny" and off["Resource"] == "*"
    assert off["Action"] == ["cloudtrail:StopLogging", "cloudtrail:DeleteTrail", "config:StopConfigurationRecorder",
                             "config:DeleteConfigurationRecorder", "config:DeleteDeliveryChannel",
                             "kms:DisableKey", "kms:ScheduleKeyDeletion", "s3:PutAccountPublicAccessBlock"]
    assert off["Condition"] == {"ArnNotLike": {"aws:PrincipalARN": [BREAK_GLASS]}}
    assert "kms:PutKeyPolicy" not in off["Action"]  # deployments change key policies; KeyWatch alerts instead
    assert reconfigure["Action"] == ["cloudtrail:UpdateTrail", "cloudtrail:PutEventSelectors"]
    assert reconfigure["Condition"] == {"ArnNotLike": {"aws:PrincipalARN": [
        BREAK_GLASS, "arn:aws:iam::*:role/cdk-hnb659fds-cfn-exec-role-*"]}}


def test_the_allowlist_allows_the_dated_hipaa_eligible_services(guardrails):
    policy = guardrails["HipaaServices-hipaa-services-1"]
    (statement,) = policy["Content"]["Statement"]
    assert statement["Effect"] == "Allow" and statement["Resource"] == "*"
    assert {f"{s}:*" for s in HIPAA_ELIGIBLE_SERVICES} <= set(statement["Action"])
    assert {"omics:*", "healthlake:*", "s3:*", "kms:*", "iam:*", "sts:*"} <= set(statement["Action"])
    assert "2026-12-01" in policy["Description"]


def test_the_allowlist_keeps_session_manager_channels_and_backup_storage(guardrails):
    """Without ssmmessages/ec2messages the workstation cannot be reached through Session Manager, and without
    backup-storage:MountCapsule no backup vault can be created, once FullAWSAccess is detached."""
    (statement,) = guardrails["HipaaServices-hipaa-services-1"]["Content"]["Statement"]
    assert {"ssm:*", "ssmmessages:*", "ec2messages:*", "backup:*", "backup-storage:*"} <= set(statement["Action"])


def test_the_tag_policy_requires_the_data_classification_on_buckets(guardrails):
    policy = guardrails["DataClassification-data-classification"]
    assert policy["Type"] == "TAG_POLICY" and policy["TargetIds"] == [OU, ACCOUNT]
    assert policy["Content"] == {"tags": {"omics-secure:data-classification": {
        "tag_key": {"@@assign": "omics-secure:data-classification"},
        "tag_value": {"@@assign": ["phi", "access-logs", "audit-logs"]},
        "enforced_for": {"@@assign": ["s3:bucket"]},
        "report_required_tag_for": {"@@assign": ["s3:bucket"]}}}}


def _resources(stack: cdk.Stack) -> dict[str, dict]:
    return Template.from_stack(stack).to_json()["Resources"]


def test_the_policy_types_are_enabled_on_the_root_before_any_policy_is_created(tmp_path):
    """A policy of a type the root has not enabled fails with PolicyTypeNotEnabledException: one custom resource
    per stack enables the types its policies use, and every policy depends on it."""
    stack = _guardrails(tmp_path)
    resources = _resources(stack)
    (enabler_id,) = [i for i, r in resources.items() if r["Type"] == "Custom::OrganizationsPolicyTypes"]
    assert resources[enabler_id]["Properties"]["PolicyTypes"] == ["SERVICE_CONTROL_POLICY", "TAG_POLICY"]
    policies = [r for r in resources.values() if r["Type"] == "AWS::Organizations::Policy"]
    assert len(policies) == 4 and all(enabler_id in p["DependsOn"] for p in policies)
    (function,) = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
    assert function["Properties"]["Handler"] == "index.handler"
    assert function["Properties"]["Runtime"].startswith("python3.")
    assert "def handler(event" in function["Properties"]["Code"]["ZipFile"]
    assert "disable_policy_type" not in function["Properties"]["Code"]["ZipFile"]  # never disables a type
    (grants,) = [r for r in resources.values() if r["Type"] == "AWS::IAM::ManagedPolicy"]
    statements = grants["Properties"]["PolicyDocument"]["Statement"]
    (enable,) = [s for s in statements if s["Action"] == "organizations:EnablePolicyType"]
    assert enable["Resource"] == "arn:aws:organizations::999988887777:root/o-*/r-*"
    assert enable["Condition"] == {"StringEquals": {"organizations:PolicyType": [
        "SERVICE_CONTROL_POLICY", "TAG_POLICY"]}}
    assert {a for s in statements for a in ([s["Action"]] if isinstance(s["Action"], str) else s["Action"])} == {
        "organizations:EnablePolicyType", "organizations:ListRoots", "logs:CreateLogStream", "logs:PutLogEvents"}


def test_a_lone_tag_policy_enables_only_its_type_and_it_can_be_left_to_the_user(tmp_path):
    stack = _stack(tmp_path)
    DataClassificationTagPolicy(stack, "Tags", target_ids=[OU])
    RegionLockPolicy(stack, "Lock", regions=["us-east-1"], target_ids=[OU], break_glass_role=BREAK_GLASS,
                     enable_policy_type=False)
    resources = _resources(stack)
    (enabler,) = [r for r in resources.values() if r["Type"] == "Custom::OrganizationsPolicyTypes"]
    assert enabler["Properties"]["PolicyTypes"] == ["TAG_POLICY"]
    lock = next(r for r in resources.values() if r["Type"] == "AWS::Organizations::Policy"
                and r["Properties"]["Type"] == "SERVICE_CONTROL_POLICY")
    assert "DependsOn" not in lock


def test_guardrails_without_enabling_create_no_function(tmp_path):
    stack = _stack(tmp_path)
    OrganizationGuardrails(stack, "Projects", target_ids=[OU], regions=["us-east-1"], break_glass_role=BREAK_GLASS,
                           enable_policy_types=False)
    types = {r["Type"] for r in _resources(stack).values()}
    assert types == {"AWS::Organizations::Policy"}


def test_every_policy_is_under_its_size_quota(guardrails):
    for name, policy in guardrails.items():
        limit = SCP_SIZE_LIMIT if policy["Type"] == "SERVICE_CONTROL_POLICY" else 10_000
        assert policy_size(policy["Content"]) <= limit, name


def test_a_long_allowlist_is_split_over_policies_each_under_the_quota(tmp_path):
    stack = _stack(tmp_path)
    services = [f"service{index:04d}" for index in range(600)]
    allowlist = HipaaServicesPolicy(stack, "Long", target_ids=[OU], services=services)
    policies = _policies(stack)
    assert len(allowlist.policies) == len(policies) >= 2
    allowed = [a for p in policies.values() for s in p["Content"]["Statement"] for a in s["Action"]]
    assert allowed == [f"{s}:*" for s in services]  # every service once, in order
    assert all(len(json.dumps(p["Content"], separators=(",", ":"))) <= SCP_SIZE_LIMIT for p in policies.values())


def test_a_policy_over_the_quota_is_refused_naming_it_its_size_and_the_split(tmp_path):
    with pytest.raises(OmicsSecureConfigError, match=r"Huge-hipaa-services-1: 6,1\d\d characters.*5,120.*split"):
        HipaaServicesPolicy(_stack(tmp_path), "Huge", target_ids=[OU], services=["x" * 6000])


def test_deployment_roles_can_be_named(tmp_path):
    stack = _stack(tmp_path)
    ControlsProtectionPolicy(stack, "Controls", target_ids=[OU], break_glass_role=BREAK_GLASS,
                             deployment_roles=["arn:aws:iam::*:role/deployer"])
    (policy,) = _policies(stack).values()
    assert policy["Content"]["Statement"][1]["Condition"]["ArnNotLike"]["aws:PrincipalARN"] == [
        BREAK_GLASS, "arn:aws:iam::*:role/deployer"]


@pytest.mark.parametrize(("make", "message"), [
    (lambda s: RegionLockPolicy(s, "R", regions=["us-east-7"], target_ids=[OU], break_glass_role=BREAK_GLASS),
     r"regions\[0\]='us-east-7'"),
    (lambda s: RegionLockPolicy(s, "R", regions=[], target_ids=[OU], break_glass_role=BREAK_GLASS), "regions=\\[\\]"),
    (lambda s: DataClassificationTagPolicy(s, "T", target_ids=[]), "at least one target"),
    (lambda s: DataClassificationTagPolicy(s, "T", target_ids=["ou-12"]), r"target_ids\[0\]='ou-12'"),
    (lambda s: DataClassificationTagPolicy(s, "T", target_ids=["12345"]), "12-digit account id"),
    (lambda s: DataClassificationTagPolicy(s, "T", target_ids=[OU, OU]), "list each target once"),
    (lambda s: ControlsProtectionPolicy(s, "C", target_ids=[OU], break_glass_role="arn:aws:iam::*:user/admin"),
     "not a role"),
    (lambda s: ControlsProtectionPolicy(s, "C", target_ids=[OU], break_glass_role="arn:aws:iam::*:role/*"),
     "exempts every role"),
    (lambda s: ControlsProtectionPolicy(s, "C", target_ids=[OU], break_glass_role="BreakGlass"), "IAM role ARN"),
    (lambda s: HipaaServicesPolicy(s, "H", target_ids=[OU], services=["s3:*"]), "IAM service prefix"),
])
def test_bad_input_is_refused_with_the_prop_the_value_and_the_fix(tmp_path, make, message):
    with pytest.raises(OmicsSecureConfigError, match=message):
        make(_stack(tmp_path))
