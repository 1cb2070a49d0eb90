"""Shared fixtures, markers and the parallel-run set-up of the whole suite.

Running: ``make test`` runs everything on both cores (``pytest -n 2 --dist loadgroup``, with ruff, mypy
and ``make docs``); ``make test-fast`` runs ``pytest -n 2 -m "not slow"``, the loop for a change.

Markers (registered in pyproject.toml; ``--strict-markers`` refuses any other):

- ``@pytest.mark.slow``: tests that run the command or an app in a subprocess (mark them, or the whole
  module with ``pytestmark = pytest.mark.slow``), and, marked here automatically, every property-based
  (hypothesis) test and every test that synthesizes with all four packs (it uses ``compliant`` or
  ``reference_app``, see ``SLOW_FIXTURES``). CI runs them (``make test``); ``make test-fast`` leaves them out.

Session fixtures (built once per test run; never change what they return, other tests read it too):

- ``reference_app``: the reference app (``build_reference_app``) with the project's cdk.json context,
  synthesized once with all four packs and cfn-linted. ``.app``, ``.assembly_dir``, ``.compliance``
  (a :class:`tests.harness.ComplianceResult`), ``.stack(name)`` and ``.template(name)`` (an
  ``aws_cdk.assertions.Template``). A test that needs other context or adds constructs builds its own app.

Function fixtures: ``app`` (an app with cdk.json's feature flags, under ``tmp_path``), ``stack`` (a stack
in it with a concrete account and region), ``compliant`` (``compliant(scope)`` synthesizes, lints and runs
all four packs; it fails on anything open). Every assembly a test synthesizes under its ``tmp_path`` is
cfn-linted after the test.

Under pytest-xdist, each worker is its own process, so a session or module fixture would be built once
per worker that runs a test using it. ``pytest_collection_modifyitems`` below puts every test that uses
a session-scoped fixture of this suite in one ``xdist_group`` per fixture, and every test that uses a
module-scoped one in one group per module, so ``--dist loadgroup`` builds each of them once. To share an
app of your own, add a session fixture here (scope ``"session"``, built with
:func:`tests.harness.synthesize_once`); nothing else is needed.
"""

from omics_secure._internal.node_runtime import silence_end_of_life_banner

silence_end_of_life_banner()

from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402

import aws_cdk as cdk  # noqa: E402
import aws_cdk.cloud_assembly_schema  # noqa: E402  (registers the jsii types Annotations.from_stack returns)
import pytest  # noqa: E402
from constructs import IConstruct  # noqa: E402

from omics_secure.stacks import build_reference_app  # noqa: E402
from tests.harness import (  # noqa: E402
    ENV,
    REPOSITORY,
    ComplianceResult,
    SynthesizedApp,
    assert_compliant,
    lint_assembly,
    make_app,
    synthesize_once,
)

_SHARED_SCOPES = {"session": "fixture", "package": "fixture", "module": "module", "class": "module"}


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


@pytest.fixture(scope="session")
def reference_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The reference app with cdk.json's context and all four packs, synthesized once per test run."""
    return synthesize_once(build_reference_app(make_app(tmp_path_factory.mktemp("reference") / "cdk.out")))


SLOW_FIXTURES = frozenset({"compliant", "reference_app"})
"""Fixtures that synthesize with cdk-nag's three packs and ours: 1-3 s of CPU per call, the reference app 20 s."""


@pytest.hookimpl(tryfirst=True)  # before ``-m "not slow"`` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if _is_slow(item):
            item.add_marker(pytest.mark.slow)
    if not config.pluginmanager.hasplugin("xdist"):  # -p no:xdist: the marker is not even registered
        return
    for item in items:
        group = _shared_fixture_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


def _is_slow(item: pytest.Item) -> bool:
    property_based = getattr(getattr(item, "obj", None), "is_hypothesis_test", False)
    return bool(property_based) or not SLOW_FIXTURES.isdisjoint(getattr(item, "fixturenames", ()))


def _shared_fixture_group(item: pytest.Item) -> str | None:
    """The xdist group of a test that uses a session- or module-scoped fixture defined in this suite."""
    definitions = getattr(getattr(item, "_fixtureinfo", None), "name2fixturedefs", {})
    groups = []
    for name in getattr(item, "fixturenames", ()):
        for definition in definitions.get(name, ()):
            kind = _SHARED_SCOPES.get(definition.scope)
            code = getattr(definition.func, "__code__", None)
            if kind is None or code is None or REPOSITORY / "tests" not in Path(code.co_filename).parents:
                continue
            groups.append(f"fixture:{name}" if kind == "fixture" else f"module:{item.nodeid.split('::')[0]}")
    # A session fixture outweighs a module one; sorting puts "fixture:" first.
    return min(groups) if groups else None
