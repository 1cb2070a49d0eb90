"""Synthesize an app with every pack registered and collect what the packs found."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import aws_cdk as cdk

from omics_secure.reporting.validation_report import PackResult, read_validation_report


@dataclass(frozen=True)
class ValidationOutcome:
    assembly_dir: Path
    packs: tuple[PackResult, ...]

    @property
    def passed(self) -> bool:
        return all(pack.passed for pack in self.packs)


def synthesize_and_validate(app: cdk.App) -> ValidationOutcome:
    """Synthesize ``app`` (whose packs are already registered) and read its validation report.

    CDK raises ``RuntimeError: ValidationFailed`` when a pack finds something; the report is written
    all the same, so the failure is read from it rather than raised.
    """
    try:
        app.synth(force=True)
    except RuntimeError as error:
        if "ValidationFailed" not in str(error):
            raise
    return ValidationOutcome(Path(app.outdir), tuple(read_validation_report(app.outdir)))
