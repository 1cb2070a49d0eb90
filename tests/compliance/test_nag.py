"""The OmicsSecure pack as a cdk-nag v3 plugin: what it sees, how it reports, how it registers."""

from __future__ import annotations

import aws_cdk as cdk
import pytest

from omics_secure import PhiKey
from omics_secure.compliance import OmicsSecureChecks, add_compliance_packs, compliance_packs
from omics_secure.compliance.nag import registered_packs
from tests.harness import check_compliance


def test_the_four_packs_by_name(app):
    assert [pack.name for pack in compliance_packs(app)] == [
        "HIPAA.Security", "NIST.800.53.R5", "AwsSolutions", "OmicsSecure"]


def test_registering_twice_is_a_no_op(app):
    add_compliance_packs(app)
    first = registered_packs(app)
    add_compliance_packs(app)
    assert registered_packs(app) == first


@pytest.mark.slow
def test_an_escape_hatch_override_is_judged_as_synthesized(stack):
    key = PhiKey(stack, "DataKey")
    key.node.default_child.add_property_override("EnableKeyRotation", False)
    findings = check_compliance(stack).open_findings
    # cdk-nag's rules read the L1 construct's attributes, so they miss the override; ours read the template.
    assert {f.pack for f in findings} == {"OmicsSecure"}
    (finding,) = findings
    assert finding.rule_id == "OmicsSecure-KMSKeyRotationEnabled"
    assert finding.construct_path == "TestStack/DataKey/Resource"
    # The finding and what exactly is wrong, as on a template (its controls are the rule's, in every report).
    assert finding.description == ("The symmetric KMS key does not rotate its key material. (EnableKeyRotation is "
                                   "false, not true)")


@pytest.mark.slow
def test_a_bare_id_acknowledgment_on_a_parent_is_honoured_without_a_record(stack):
    key = PhiKey(stack, "DataKey")
    key.apply_removal_policy(cdk.RemovalPolicy.DESTROY)
    cdk.Validations.of(stack).acknowledge(cdk.Acknowledgment(
        id="OmicsSecure-KMSKeyRetained", reason="bare id on the stack covers every key in it"))
    result = check_compliance(stack)
    assert "OmicsSecure-KMSKeyRetained" not in result.open_rule_ids()
    assert "OmicsSecure-KMSKeyRetained" not in {f.rule_id for f in result.acknowledged_findings}


def test_each_resource_keeps_its_own_detail_through_cdks_validation_report(app):
    """CDK's report keeps one description per rule; the detail of each resource must still reach every output
    of omics-secure check, worded as a check of the templates words it."""
    from aws_cdk import aws_kms as kms

    from omics_secure.compliance.engine import evaluate_stacks
    from omics_secure.compliance.packs import OMICS_SECURE_PACK
    from omics_secure.compliance.runner import synthesize_and_validate
    from omics_secure.inputs.assembly import read_assembly

    stack = cdk.Stack(app, "Keys")
    PhiKey(stack, "Overridden").node.default_child.add_property_override("EnableKeyRotation", False)
    kms.CfnKey(stack, "Plain", key_policy={"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*",
        "Resource": "*"}]})
    cdk.Validations.of(app).add_plugins(OmicsSecureChecks(app))
    outcome = synthesize_and_validate(app)
    (pack,) = outcome.packs
    reported = {f.construct_path: f.description for f in pack.open_findings
                if f.rule_id == "OmicsSecure-KMSKeyRotationEnabled"}
    assert reported == {
        "Keys/Overridden/Resource": "The symmetric KMS key does not rotate its key material. (EnableKeyRotation "
                                    "is false, not true)",
        "Keys/Plain": "The symmetric KMS key does not rotate its key material. (EnableKeyRotation is absent, "
                      "not true)"}
    on_templates = {(f.rule_id, f.construct_path): f.message
                    for f in evaluate_stacks(OMICS_SECURE_PACK, read_assembly(outcome.assembly_dir))}
    assert {(f.rule_id, f.construct_path): f.description for f in pack.open_findings} == {
        key: message for key, message in on_templates.items()
        if key in {(f.rule_id, f.construct_path) for f in pack.open_findings}}


def test_validate_scope_reports_findings_under_the_scope_only(app):
    weak = cdk.Stack(app, "Weak")
    PhiKey(weak, "DataKey").node.default_child.add_property_override("EnableKeyRotation", False)
    clean = cdk.Stack(app, "Clean")
    PhiKey(clean, "DataKey")
    pack = OmicsSecureChecks(app)
    assert pack.validate_scope(clean).success
    report = pack.validate_scope(weak)
    assert not report.success
    assert [v.rule_name for v in report.violations] == ["OmicsSecure-KMSKeyRotationEnabled"]
    assert [r.construct_path for r in report.violations[0].violating_resources] == ["Weak/DataKey/Resource"]


@pytest.mark.slow
def test_a_stack_near_cloudformations_resource_limit_gets_a_warning_not_a_failure(app):
    big = cdk.Stack(app, "Big")
    for index in range(400):
        cdk.CfnWaitConditionHandle(big, f"Handle{index}")
    small = cdk.Stack(app, "Small")
    cdk.CfnWaitConditionHandle(small, "Handle")
    result = check_compliance(app)
    assert result.open_findings == ()
    (warning,) = [w for pack in result.outcome.packs for w in pack.warnings]
    assert (warning.rule_id, warning.construct_path) == ("OmicsSecure-StackWithinCloudFormationLimits", "Big")
    assert warning.description.startswith("Stack Big uses 400 of CloudFormation's 500 resources")


def test_template_size_counts_too(tmp_path):
    from omics_secure.compliance.engine import stack_limit_warning
    from omics_secure.inputs.assembly import StackArtifact

    template = tmp_path / "Wide.template.json"
    template.write_text(" " * 850_000)
    wide = StackArtifact(name="Wide", template_path=template, template={"Resources": {}}, construct_paths={})
    assert "850,000 of 1,000,000 template bytes" in stack_limit_warning(wide)
    template.write_text("{}")
    assert stack_limit_warning(wide) is None


def test_a_rule_that_raises_is_reported_as_an_error_not_a_crash_and_the_others_still_run(app):
    from omics_secure.compliance.model import Pack, Rule
    from omics_secure.compliance.rules.kms import KEY_ROTATION_ENABLED

    def broken(resource):
        return resource.properties["NoSuchProperty"]

    pack = Pack(name="OmicsSecure", rules=(
        Rule(id="Broken", resource_types=frozenset({"AWS::KMS::Key"}), finding="f", explanation="e",
             controls=KEY_ROTATION_ENABLED.controls, check=broken),
        KEY_ROTATION_ENABLED))
    stack = cdk.Stack(app, "Keys")
    PhiKey(stack, "DataKey").node.default_child.add_property_override("EnableKeyRotation", False)
    report = OmicsSecureChecks(app, pack=pack).validate_scope(stack)
    assert not report.success
    by_rule = {v.rule_name: v for v in report.violations}
    assert set(by_rule) == {"OmicsSecure-Broken", "OmicsSecure-KMSKeyRotationEnabled"}
    error = by_rule["OmicsSecure-Broken"]
    assert error.severity == "error" and error.rule_metadata["verdict"] == "error"
    assert "Broken raised KeyError: 'NoSuchProperty'" in error.description
    assert "DataKey" in error.description and "defect of the rule" in error.description


def test_a_value_only_known_at_deploy_time_is_a_warning(app):
    stack = cdk.Stack(app, "Imported")
    key = PhiKey(stack, "DataKey")
    key.node.default_child.add_property_override("EnableKeyRotation", cdk.Fn.import_value("RotationSetting"))
    report = OmicsSecureChecks(app).validate_scope(stack)
    (violation,) = [v for v in report.violations if v.rule_name == "OmicsSecure-KMSKeyRotationEnabled"]
    assert violation.severity == "warning" and report.success
    assert "EnableKeyRotation is !ImportValue RotationSetting" in violation.rule_metadata["details"]
