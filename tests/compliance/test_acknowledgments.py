"""acknowledge(): refuses weak reasons; recorded acknowledgments reach validation-report.json."""

from __future__ import annotations

import pytest
from aws_cdk import aws_kms as kms

from omics_secure import OmicsSecureConfigError
from omics_secure.compliance import acknowledge
from tests.harness import check_compliance

REASON = "Disposable test key: rotation is exercised by the suite that turns it off on purpose"


def weak_key(stack):
    """A key that every pack reports: rotation off."""
    return kms.Key(stack, "DataKey", enable_key_rotation=False)


@pytest.mark.slow
def test_recorded_acknowledgment_moves_the_finding_to_acknowledged_with_its_reason(stack):
    key = weak_key(stack)
    acknowledge(key, "OmicsSecure-KMSKeyRotationEnabled", REASON)
    acknowledge(key, "NIST.800.53.R5-KMSBackingKeyRotationEnabled", REASON)
    acknowledge(key, "AwsSolutions-KMS5", REASON)
    result = check_compliance(stack)
    assert result.open_findings == ()
    acknowledged = {(f.rule_id, f.acknowledged_id, f.reason) for f in result.acknowledged_findings}
    assert ("OmicsSecure-KMSKeyRotationEnabled", "OmicsSecure::OmicsSecure-KMSKeyRotationEnabled", REASON) \
        in acknowledged
    assert ("AwsSolutions-KMS5", "AwsSolutions::AwsSolutions-KMS5", REASON) in acknowledged


@pytest.mark.slow
def test_acknowledging_one_rule_leaves_the_others_open(stack):
    key = weak_key(stack)
    acknowledge(key, "OmicsSecure-KMSKeyRotationEnabled", REASON)
    assert check_compliance(stack).open_rule_ids() == {
        "AwsSolutions-KMS5", "NIST.800.53.R5-KMSBackingKeyRotationEnabled"}


@pytest.mark.parametrize(("reason", "message"), [
    ("", r"reason='': give the specific reason"),
    ("   ", r"reason='   ': give the specific reason"),
    ("False positive.", r"reason='False positive.': a generic reason records nothing"),
    ("N/A", r"a generic reason records nothing"),
    ("OmicsSecure-KMSKeyRotationEnabled", r"a generic reason records nothing"),
    ("rotation handled elsewhere", r"write at least 6 words"),
])
def test_weak_reasons_are_refused(stack, reason, message):
    with pytest.raises(OmicsSecureConfigError, match=message):
        acknowledge(stack, "OmicsSecure-KMSKeyRotationEnabled", reason)


@pytest.mark.parametrize("rule_id", [
    "", "KMS5", "AwsSolutions KMS5", "AwsSolutions-", "HIPAA.Security::AwsSolutions-S1"])
def test_malformed_rule_ids_are_refused(stack, rule_id):
    with pytest.raises(OmicsSecureConfigError, match=r"rule_id=.*exactly as the validation report prints it"):
        acknowledge(stack, rule_id, REASON)


@pytest.mark.parametrize("rule_id", [
    "AwsSolutions-IAM5[Action::s3:*]",
    "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
    "HIPAA.Security-S3BucketReplicationEnabled",
])
def test_granular_and_prefixed_ids_are_accepted(stack, rule_id):
    acknowledge(stack, rule_id, REASON)
    entries = [m.data for m in stack.node.metadata if m.type == "aws:cdk:acknowledged-rules"]
    assert entries and all("::" in written for entry in entries for written in entry)
