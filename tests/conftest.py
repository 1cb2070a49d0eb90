"""Shared fixtures: an app with the project's feature flags and the compliance harness."""

from omics_secure._internal.node_runtime import silence_end_of_life_banner

silence_end_of_life_banner()

from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import aws_cdk as cdk  # noqa: E402
import pytest  # noqa: E402
from constructs import IConstruct  # noqa: E402

from tests.harness import ENV, ComplianceResult, assert_compliant, lint_assembly, make_app  # noqa: E402


@pytest.fixture(autouse=True)
def every_synthesized_template_passes_cfn_lint(tmp_path: Path):
    """After each test, cfn-lint every cloud assembly the test synthesized under its tmp_path."""
    yield
    errors = [error for manifest in sorted(tmp_path.rglob("manifest.json"))
              for error in lint_assembly(manifest.parent)]
    assert not errors, "cfn-lint errors in a template this test synthesized:\n" + "\n".join(errors)


@pytest.fixture
def app(tmp_path: Path) -> cdk.App:
    return make_app(tmp_path / "cdk.out")


@pytest.fixture
def stack(app: cdk.App) -> cdk.Stack:
    """A stack with a concrete account and region, as the grant-ready statements need."""
    return cdk.Stack(app, "TestStack", env=ENV)


@pytest.fixture
def compliant() -> Callable[[IConstruct], ComplianceResult]:
    """``compliant(stack)`` synthesizes, lints and runs all four packs; it fails on anything open."""
    return assert_compliant
