"""The compliance rules injected into verify, as the command injects them (``omics_secure.cli.verify_rules``)."""

from __future__ import annotations

from omics_secure.cli import verify_rules
from omics_secure.verify import runner
from omics_secure.verify.aws import AwsReader
from omics_secure.verify.checks import CheckResult, LiveResource, live_checks
from omics_secure.verify.checks import evaluate as evaluate_with
from omics_secure.verify.runner import Selection

RULES = verify_rules()
CHECKS = live_checks(RULES)


def verify(aws: AwsReader, selection: Selection) -> list[CheckResult]:
    """:func:`omics_secure.verify.runner.verify` with the rules the command passes."""
    return runner.verify(aws, selection, rules=RULES)


def evaluate(resources: list[LiveResource]) -> list[CheckResult]:
    """:func:`omics_secure.verify.checks.evaluate` over the checks built from the command's rules."""
    return evaluate_with(resources, CHECKS)
