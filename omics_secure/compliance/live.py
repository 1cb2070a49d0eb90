"""Compliance rules judging live documents that have the shape of their template counterpart.

``verify`` reads a deployed key's policy and a trail's event selectors; these are the same JSON the rules
judge in a template, so the rules judge them here, through a one-resource template built around them.
The command hands these judgments to ``verify`` (which never imports compliance).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omics_secure._internal.tags import DATA_CLASSIFICATION_TAG, PHI
from omics_secure.compliance.model import Resource, Rule, Verdict
from omics_secure.compliance.rules import audit

__all__ = ["judge_key_policy", "judge_phi_bucket_data_events"]


def judge_key_policy(rule: Rule, key_name: str, policy: Mapping[str, Any]) -> Verdict:
    """``rule`` (over AWS::KMS::Key) on a live key policy, which is the same JSON as the template's."""
    key = Resource(logical_id=key_name, type="AWS::KMS::Key", properties={"KeyPolicy": policy or {}})
    return rule.evaluate(key)


def judge_phi_bucket_data_events(bucket_name: str, selectors: Mapping[str, Any]) -> Verdict:
    """The PHI-bucket data-events rule on one PHI bucket and a trail's live event selectors."""
    trail_body = {"Type": "AWS::CloudTrail::Trail", "Properties": {
        "IsLogging": True,  # whether it logs at all is the logging check's finding, not this one's
        "EventSelectors": selectors.get("EventSelectors") or [],
        "AdvancedEventSelectors": selectors.get("AdvancedEventSelectors") or [],
    }}
    bucket = Resource(logical_id="Bucket", type="AWS::S3::Bucket", properties={
        "BucketName": bucket_name, "Tags": [{"Key": DATA_CLASSIFICATION_TAG, "Value": PHI}]},
        template_resources={"Trail": trail_body, "Bucket": {"Type": "AWS::S3::Bucket"}})
    return audit.PHI_BUCKET_DATA_EVENTS.evaluate(bucket)
