"""The terminal summary: one entry per resource and concern, naming every pack; a short passing run."""

from __future__ import annotations

from omics_secure.reporting.terminal import Notice, acknowledgment_target, group_findings, render_check
from omics_secure.reporting.validation_report import PackResult, ReportedFinding


def finding(pack: str, rule: str, path: str = "App/Data/Resource", reason: str | None = None) -> ReportedFinding:
    return ReportedFinding(pack=pack, rule_id=f"{pack}-{rule}", description=f"{rule} is off - (Control IDs: x).",
                           severity="error", construct_path=path,
                           acknowledged_id=f"{pack}::{pack}-{rule}" if reason else None, reason=reason)


def test_equivalent_rules_of_different_packs_are_one_group():
    groups = group_findings([finding("HIPAA.Security", "S3BucketSSLRequestsOnly"),
                             finding("NIST.800.53.R5", "S3BucketSSLRequestsOnly"),
                             finding("AwsSolutions", "S10"),
                             finding("AwsSolutions", "S10", path="App/Other/Resource")])
    assert [(g.construct_path, g.title, g.packs) for g in groups] == [
        ("App/Data/Resource", "S3 requests without TLS", ["HIPAA.Security", "NIST.800.53.R5", "AwsSolutions"]),
        ("App/Other/Resource", "S3 requests without TLS", ["AwsSolutions"]),
    ]


def test_unknown_rules_group_by_shared_name_and_are_titled_by_their_first_sentence():
    groups = group_findings([finding("HIPAA.Security", "ElasticBeanstalkManagedUpdatesEnabled"),
                             finding("NIST.800.53.R5", "ElasticBeanstalkManagedUpdatesEnabled"),
                             finding("AwsSolutions", "EB3")])
    assert [(g.title, len(g.findings)) for g in groups] == [
        ("ElasticBeanstalkManagedUpdatesEnabled is off", 2), ("EB3 is off", 1)]


def test_granular_ids_group_under_their_rule():
    groups = group_findings([finding("AwsSolutions", "IAM5[Action::s3:*]"),
                             finding("AwsSolutions", "IAM5[Resource::*]")])
    assert len(groups) == 1 and groups[0].title == "IAM wildcard permissions"


def test_acknowledge_on_the_l2_that_owns_the_l1():
    assert acknowledgment_target("App/Data/Resource") == "App/Data"
    assert acknowledgment_target("App/Role/DefaultPolicy/Resource") == "App/Role/DefaultPolicy"
    assert acknowledgment_target("App/Vpc/PublicSubnet1/Subnet") == "App/Vpc/PublicSubnet1/Subnet"
    assert acknowledgment_target("Stack/Resource") == "Stack/Resource"


def render(packs: list[PackResult], notices: list[Notice] | None = None, verbose: bool = False) -> list[str]:
    return render_check(packs, stack_count=1, resource_count=3, notices=notices or [], fix_for=lambda f: "the fix",
                        explain=lambda f: f"why {f.rule_id}", verbose=verbose)


def test_a_passing_run_is_a_line_per_pack_and_the_result():
    acknowledged = finding("AwsSolutions", "S1", reason="S3 log delivery cannot write to SSE-KMS targets")
    packs = [PackResult("HIPAA.Security", (), ()), PackResult("AwsSolutions", (), (acknowledged,))]
    assert render(packs) == [
        "omics-secure check: 1 stack, 3 resources",
        "  PASS  HIPAA.Security  0 open, 0 acknowledged",
        "  PASS  AwsSolutions    0 open, 1 acknowledged",
        "",
        "Result: PASS - 0 unacknowledged findings, 1 acknowledged (--verbose lists them with their reasons)",
    ]
    verbose = render(packs, verbose=True)
    assert verbose[4:8] == [
        "Acknowledged findings:",
        "  App/Data/Resource: S3 server access logging off [AwsSolutions-S1]",
        "    reason: S3 log delivery cannot write to SSE-KMS targets",
        "    rule: why AwsSolutions-S1",
    ]


def test_an_error_annotation_fails_and_warnings_do_not():
    packs = [PackResult("AwsSolutions", (), ())]
    lines = render(packs, [Notice("warning", "App/Key", "soon"), Notice("error", "App/Key", "no steward")])
    assert "  App/Key: error: no steward" in lines and "  App/Key: soon" in lines
    assert lines[-1] == "Result: FAIL - 0 unacknowledged findings, 1 error annotation, 0 acknowledged"
    assert render(packs, [Notice("warning", "App/Key", "soon")])[-1].startswith("Result: PASS")
