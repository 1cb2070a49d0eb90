"""The compliance harness every construct test uses: synthesize, cfn-lint, run all four packs.

``assert_compliant(scope)`` synthesizes the app that holds ``scope`` with cdk-nag's HIPAA.Security,
NIST.800.53.R5 and AwsSolutions packs and the OmicsSecure pack registered, lints every template with
cfn-lint, and fails with a readable list of every cfn-lint error and every unacknowledged finding.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING

import aws_cdk as cdk
import pytest
from aws_cdk.assertions import Template
from constructs import IConstruct

from omics_secure.compliance.nag import add_compliance_packs
from omics_secure.compliance.runner import ValidationOutcome, synthesize_and_validate
from omics_secure.inputs.assembly import read_assembly
from omics_secure.reporting.validation_report import ReportedFinding
from tests import REPOSITORY  # re-exported: the tests import it from here

if TYPE_CHECKING:  # cfn-lint (1.8 s to import, with sympy) loads only when a template is not in LINT_CACHE
    from cfnlint.match import Match
    from cfnlint.rules import Rules

CDK_CONTEXT: dict[str, object] = json.loads((REPOSITORY / "cdk.json").read_text())["context"]
ACCOUNT = "111122223333"
REGION = "us-east-1"
REPLICA_REGION = "us-west-2"
ENV = cdk.Environment(account=ACCOUNT, region=REGION)


def make_app(outdir: Path, *, cdk_validation: bool = False, **context: object) -> cdk.App:
    """An app with the feature flags of the project's cdk.json, synthesizing into ``outdir``.

    aws-cdk-lib's own template validation (``builtin_cloud_formation_validation``) is off unless
    ``cdk_validation``: every template a test synthesizes is linted by cfn-lint afterwards (conftest), and
    the built-in validator cost 4 s per process to load and 15-60 ms per synthesis, about a fifth of the fast
    set's time (benchmarks/README.md). Users' apps keep it: the command's tests synthesize them as users do.
    """
    return cdk.App(outdir=str(outdir), context={**CDK_CONTEXT, **context},
                   builtin_cloud_formation_validation=cdk_validation)


@dataclass(frozen=True)
class ComplianceResult:
    outcome: ValidationOutcome
    lint_errors: tuple[str, ...]

    @property
    def open_findings(self) -> tuple[ReportedFinding, ...]:
        return tuple(f for pack in self.outcome.packs for f in pack.open_findings)

    @property
    def acknowledged_findings(self) -> tuple[ReportedFinding, ...]:
        return tuple(f for pack in self.outcome.packs for f in pack.acknowledged_findings)

    def open_rule_ids(self) -> set[str]:
        return {f.rule_id for f in self.open_findings}

    def describe(self) -> str:
        lines = [f"cfn-lint: {error}" for error in self.lint_errors]
        lines += [f"{f.rule_id} at {f.construct_path}: {f.description}" for f in self.open_findings]
        return "\n".join(lines)


RUNNING_TEST_IS_SLOW: bool | None = None
"""Whether the running test is marked ``slow``; set by ``tests/conftest.py`` for every test."""


def require_slow_marker(work: str) -> None:
    """Fail a test that does ``work`` (seconds of CPU), itself or in a fixture it sets up, without the
    ``slow`` marker, which keeps it out of ``make test-fast``. Outside pytest (a benchmark) nothing is checked."""
    if RUNNING_TEST_IS_SLOW is False:
        pytest.fail(f"this test {work} (seconds per call): mark it @pytest.mark.slow, or the module with "
                    "pytestmark = pytest.mark.slow, so that make test-fast stays a quick loop", pytrace=False)


def check_compliance(scope: IConstruct) -> ComplianceResult:
    require_slow_marker("runs cdk-nag's three packs and ours")
    app = scope.node.root
    assert isinstance(app, cdk.App), "the scope must belong to a cdk.App"
    add_compliance_packs(app)
    outcome = synthesize_and_validate(app)
    return ComplianceResult(outcome, tuple(lint_assembly(outcome.assembly_dir)))


def assert_compliant(scope: IConstruct) -> ComplianceResult:
    """Fail with every cfn-lint error and every unacknowledged finding of the app holding ``scope``."""
    result = check_compliance(scope)
    assert not result.lint_errors and not result.open_findings, (
        "the synthesized app is not clean:\n" + result.describe()
    )
    return result


@dataclass(frozen=True)
class SynthesizedAssembly:
    """An app synthesized once (no packs), shared by the tests that only read it."""

    app: cdk.App
    assembly_dir: Path

    def stack(self, name: str) -> cdk.Stack:
        stack = self.app.node.find_child(name)
        assert isinstance(stack, cdk.Stack)
        return stack

    def template(self, stack_name: str) -> Template:
        """The stack's synthesized template, read from the assembly (``Template.from_stack`` would
        synthesize the whole app, packs included, again)."""
        (artifact,) = [stack for stack in read_assembly(self.assembly_dir) if stack.name == stack_name]
        return Template.from_json(json.loads(artifact.template_path.read_text()))


@dataclass(frozen=True)
class SynthesizedApp(SynthesizedAssembly):
    """An app synthesized once with every pack registered, shared by the tests that only read it."""

    compliance: ComplianceResult


def synthesize_plain(app: cdk.App) -> SynthesizedAssembly:
    """Synthesize ``app`` without the packs and cfn-lint its templates (for module- and session-scoped
    fixtures, whose assemblies the per-test cfn-lint fixture does not see); fails on any cfn-lint error."""
    assembly_dir = Path(app.synth().directory)
    errors = lint_assembly(assembly_dir)
    assert not errors, "cfn-lint errors:\n" + "\n".join(errors)
    return SynthesizedAssembly(app, assembly_dir)


def synthesize_once(app: cdk.App) -> SynthesizedApp:
    """Synthesize ``app`` with all four packs and cfn-lint its templates (for session-scoped fixtures,
    whose assemblies the per-test cfn-lint fixture does not see); fails on any cfn-lint error."""
    result = check_compliance(app)
    assert not result.lint_errors, "cfn-lint errors:\n" + "\n".join(result.lint_errors)
    return SynthesizedApp(app, result.outcome.assembly_dir, result)


def lint_assembly(assembly_dir: Path) -> list[str]:
    """cfn-lint errors (not warnings) of every template in the assembly, checked for its stack's region."""
    manifest = json.loads((assembly_dir / "manifest.json").read_text())
    regions = {
        artifact["properties"]["templateFile"]: artifact.get("environment", "").rsplit("/", 1)[-1]
        for artifact in manifest.get("artifacts", {}).values()
        if artifact.get("type") == "aws:cloudformation:stack"
    }
    errors = []
    for stack in read_assembly(assembly_dir):
        region = regions.get(stack.template_path.name, REGION)
        region = region if region and region != "unknown-region" else REGION
        errors += [f"{stack.name}: {error}" for error in lint_errors(stack.template_path.read_text(), region)]
    return errors


LINT_CACHE = Path(os.environ.get("OMICS_SECURE_LINT_CACHE", REPOSITORY / ".cache" / "cfn-lint")) / version("cfn-lint")
"""cfn-lint's errors per template text and region, for this cfn-lint version (``make clean`` empties it).

cfn-lint is deterministic: the same template, region and version give the same matches, so a template
linted once (by another test, another xdist worker or an earlier run) is not linted again. Linting was
about 60% of the suite's CPU (benchmarks/README.md); most templates repeat between runs and many within one.
"""


def lint_errors(template_text: str, region: str) -> list[str]:
    """cfn-lint's errors (not warnings) for the template in ``region``, each as "E1234 message (path)"."""
    key = hashlib.sha256(f"{region}\0{template_text}".encode()).hexdigest()
    cached = LINT_CACHE / key[:2] / f"{key}.json"
    if cached.exists():
        errors: list[str] = json.loads(cached.read_text())
        return errors
    errors = [f"{match.rule.id} {match.message} ({'/'.join(map(str, match.path))})"
              for match in lint(template_text, region) if match.rule.id.startswith("E")]
    cached.parent.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.tmp")
    partial.write_text(json.dumps(errors))
    partial.replace(cached)  # atomic: another worker reading the same key sees the whole file or none
    return errors


@functools.cache
def _cfn_lint_rules() -> Rules:
    """cfn-lint's rules, loaded once per process: loading them (339 modules and their data files) is
    about 90% of what ``cfnlint.api.lint`` costs on a small template."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.runner import Runner

    return Runner(ConfigMixIn(regions=[REGION])).rules


def lint(template_text: str, region: str) -> list[Match]:
    """``cfnlint.api.lint(template_text, regions=[region])`` with the rules loaded once: the same matches."""
    from cfnlint.config import ConfigMixIn
    from cfnlint.decode.decode import decode_str
    from cfnlint.runner import run_template_by_data

    template, errors = decode_str(template_text)
    if errors:
        return list(errors)
    if template is None:
        return []
    return list(run_template_by_data(template, ConfigMixIn(regions=[region]), _cfn_lint_rules()))
