"""The fixes the check prints, held to the installed aws-cdk-lib and to where a finding comes from."""

from __future__ import annotations

import re

from aws_cdk import aws_lambda as lambda_

from omics_secure.reporting.hints import (
    LATEST_LAMBDA_RUNTIMES,
    WARNING_ACK_NOTE,
    concern_of,
    fix_of,
)
from omics_secure.reporting.terminal import Notice, render_check
from omics_secure.reporting.validation_report import PackResult, ReportedFinding
from omics_secure.reporting.writers import to_markdown

_RUNTIME = re.compile(r"^(PYTHON|NODEJS|JAVA|DOTNET|RUBY)_(\d+(?:_\d+)*)(?:_X)?$")


def newest_runtimes() -> dict[str, str]:
    """The newest Runtime attribute of each family aws_lambda.Runtime has (NODEJS_LATEST and the _AL2023 and
    _CORRETTO variants are not versions)."""
    newest: dict[str, tuple[tuple[int, ...], str]] = {}
    for name in dir(lambda_.Runtime):
        match = _RUNTIME.match(name)
        if match:
            version = tuple(int(part) for part in match[2].split("_"))
            if match[1] not in newest or version > newest[match[1]][0]:
                newest[match[1]] = (version, name)
    return {family: name for family, (_, name) in newest.items()}


def test_the_lambda_runtime_hint_names_the_newest_runtime_of_each_family_aws_cdk_lib_has():
    newest = newest_runtimes()
    assert set(LATEST_LAMBDA_RUNTIMES) == set(newest.values()), newest
    fix = concern_of("AwsSolutions", "AwsSolutions-L1").fix  # type: ignore[union-attr]
    assert all(f"{name}" in fix for name in newest.values())
    assert all(hasattr(lambda_.Runtime, name) for name in LATEST_LAMBDA_RUNTIMES)


def test_a_wildcard_in_a_grants_default_policy_is_not_told_to_use_grant():
    granted = fix_of("AwsSolutions", "AwsSolutions-IAM5[Action::s3:GetObject*]", "App/Reader/DefaultPolicy/Resource")
    assert granted is not None and "default policy CDK writes for grant_* methods" in granted
    assert "narrow the grant" in granted and "acknowledge this granular id" in granted
    written = fix_of("AwsSolutions", "AwsSolutions-IAM5[Action::s3:*]", "App/Reader/Policy/Resource")
    assert written is not None and written.startswith("list exact actions and ARNs")
    assert fix_of("AwsSolutions", "AwsSolutions-XYZ1", "App/X/Resource") is None


def warning(message: str) -> ReportedFinding:
    return ReportedFinding(pack="CDK annotations", rule_id="aws:cdk:warning", description=message,
                           severity="warning", construct_path="App/Data")


def test_the_ack_notation_of_a_warning_is_explained_once_where_it_first_appears():
    notices = [Notice("warning", "App/Data", "The key is in another account [ack: omics-secure:other-account]"),
               Notice("warning", "App/Logs", "Retention is forever [ack: omics-secure:retention]")]
    lines = render_check([], stack_count=1, resource_count=2, notices=notices, fix_for=lambda f: "",
                         explain=lambda f: "")
    assert lines.count(f"  {WARNING_ACK_NOTE}") == 1
    assert lines.index(f"  {WARNING_ACK_NOTE}") == lines.index("  App/Logs: Retention is forever "
                                                               "[ack: omics-secure:retention]") + 1
    plain = render_check([], stack_count=1, resource_count=1, notices=[Notice("warning", "App/Data", "no id")],
                         fix_for=lambda f: "", explain=lambda f: "")
    assert f"  {WARNING_ACK_NOTE}" not in plain
    pack = PackResult(name="CDK annotations", open_findings=(), acknowledged_findings=(),
                      warnings=(warning("Retention is forever [ack: omics-secure:retention]"),))
    assert "acknowledge\\_warning" in to_markdown([pack], stack_count=1)
