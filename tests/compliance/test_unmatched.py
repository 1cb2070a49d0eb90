"""Acknowledgments that acknowledge nothing, judged against the findings of the packs that ran."""

from __future__ import annotations

from pathlib import Path

from omics_secure.compliance.unmatched import unmatched_acknowledgments
from omics_secure.inputs.assembly import Acknowledgment, StackArtifact
from omics_secure.reporting.validation_report import PackResult, ReportedFinding


def stack(*acknowledgments: Acknowledgment) -> StackArtifact:
    by_path: dict[str, tuple[Acknowledgment, ...]] = {}
    for acknowledgment in acknowledgments:
        by_path[acknowledgment.construct_path] = (*by_path.get(acknowledgment.construct_path, ()), acknowledgment)
    return StackArtifact(name="S", template_path=Path("S.template.json"), template={}, construct_paths={},
                         acknowledgments=by_path)


def aws_solutions(*findings: tuple[str, str, bool]) -> PackResult:
    reported = [ReportedFinding(pack="AwsSolutions", rule_id=rule, description="", severity="error",
                                construct_path=path, acknowledged_id=f"AwsSolutions::{rule}" if acked else None)
                for rule, path, acked in findings]
    return PackResult("AwsSolutions", open_findings=tuple(f for f in reported if not f.acknowledged),
                      acknowledged_findings=tuple(f for f in reported if f.acknowledged))


def problems(stacks: list[StackArtifact], packs: list[PackResult]) -> list[tuple[str, str]]:
    return [(u.acknowledgment.construct_path, u.problem) for u in unmatched_acknowledgments(stacks, packs)]


def test_an_acknowledgment_of_a_finding_below_its_construct_matches():
    ack = Acknowledgment("AwsSolutions::AwsSolutions-KMS5", "reason", "S/Key")
    assert problems([stack(ack)], [aws_solutions(("AwsSolutions-KMS5", "S/Key/Resource", True))]) == []


def test_a_granular_acknowledgment_matches_its_granular_finding():
    ack = Acknowledgment("AwsSolutions::AwsSolutions-IAM5[Action::s3:*]", "reason", "S/Role")
    packs = [aws_solutions(("AwsSolutions-IAM5[Action::s3:*]", "S/Role/DefaultPolicy/Resource", True))]
    assert problems([stack(ack)], packs) == []


def test_a_misspelt_rule_id_is_reported_with_the_likely_one():
    ack = Acknowledgment("AwsSolutions::AwsSolutions-KMS55", "reason", "S/Key")
    [(path, problem)] = problems([stack(ack)], [aws_solutions(("AwsSolutions-KMS5", "S/Key/Resource", False))])
    assert path == "S/Key"
    assert problem == ("'AwsSolutions::AwsSolutions-KMS55' matches no AwsSolutions finding on this construct or "
                       "below it (did you mean 'AwsSolutions::AwsSolutions-KMS5'?)")


def test_an_acknowledgment_on_another_construct_matches_nothing():
    ack = Acknowledgment("AwsSolutions::AwsSolutions-KMS5", "reason", "S/Other")
    packs = [aws_solutions(("AwsSolutions-KMS5", "S/Key/Resource", False))]
    assert problems([stack(ack)], packs)[0][1].endswith("remove it, or fix its id or its construct")
    # a sibling whose name extends the path is not below it
    ack = Acknowledgment("AwsSolutions::AwsSolutions-KMS5", "reason", "S/Ke")
    assert problems([stack(ack)], packs)


def test_a_bare_id_is_reported_because_cdk_keeps_no_record_of_it():
    ack = Acknowledgment("AwsSolutions-KMS5", "reason", "S/Key")
    [(_, problem)] = problems([stack(ack)], [aws_solutions(("AwsSolutions-KMS5", "S/Key/Resource", False))])
    assert "has no 'AwsSolutions::' prefix" in problem and 'write id="AwsSolutions::AwsSolutions-KMS5"' in problem


def test_acknowledgments_for_packs_that_did_not_run_are_left_alone():
    acks = [Acknowledgment("CloudFormation-Validate::W3010", "aws-cdk-lib's own", "S"),
            Acknowledgment("HIPAA.Security::HIPAA.Security-S3BucketReplicationEnabled", "reason", "S/Bucket"),
            Acknowledgment("Other-Rule", "a plugin we do not know", "S/Bucket")]
    assert problems([stack(*acks)], [aws_solutions()]) == []
