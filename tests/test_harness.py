"""The harness's cfn-lint gate: it reports cfn-lint's errors, and its cache gives what cfn-lint gives."""

from __future__ import annotations

import json

import pytest

from tests import harness

BROKEN = json.dumps({"Resources": {
    "Data": {"Type": "AWS::S3::Bucket", "Properties": {"VersioningConfiguration": {"Status": "On"}}},
    "Topic": {"Type": "AWS::SNS::Topic", "Properties": {"KmsMasterKeyId": {"Ref": "NoSuchKey"}}},
}})
CLEAN = json.dumps({"Resources": {"Data": {"Type": "AWS::S3::Bucket"}}})


@pytest.fixture
def empty_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(harness, "LINT_CACHE", tmp_path / "lint-cache")
    return tmp_path / "lint-cache"


def test_cfn_lint_errors_are_reported_with_rule_and_path(empty_cache):
    errors = harness.lint_errors(BROKEN, "us-east-1")
    assert any(e.startswith("E3030 ") and "Resources/Data/Properties/VersioningConfiguration/Status" in e
               for e in errors), errors
    assert any(e.startswith("E1020 ") and "NoSuchKey" in e for e in errors), errors
    assert harness.lint_errors(CLEAN, "us-east-1") == []


def test_a_cached_result_is_cfn_lints_own_and_is_not_linted_again(empty_cache, monkeypatch):
    first = harness.lint_errors(BROKEN, "us-east-1")
    assert len(list(empty_cache.rglob("*.json"))) == 1

    def must_not_lint(template_text: str, region: str) -> list[object]:
        raise AssertionError("linted again")

    monkeypatch.setattr(harness, "lint", must_not_lint)
    assert harness.lint_errors(BROKEN, "us-east-1") == first
    with pytest.raises(AssertionError, match="linted again"):
        harness.lint_errors(BROKEN, "eu-west-1")  # another region is another key
