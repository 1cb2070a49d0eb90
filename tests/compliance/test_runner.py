"""synthesize_and_validate runs the packs even when the app was already synthesized."""

from __future__ import annotations

import pytest
from aws_cdk import aws_s3 as s3
from aws_cdk.assertions import Template

from tests.harness import check_compliance


@pytest.mark.slow
def test_packs_run_after_a_template_assertion_cached_the_assembly(stack):
    s3.Bucket(stack, "Plain")  # no logging, no TLS policy, no KMS: several packs report it
    Template.from_stack(stack)  # synthesizes with validation skipped, and CDK caches that assembly
    result = check_compliance(stack)
    assert "AwsSolutions-S1" in result.open_rule_ids()
    assert "OmicsSecure-S3BucketPolicyMinimumTls" in result.open_rule_ids()
