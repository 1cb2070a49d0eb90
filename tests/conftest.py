"""Shared fixtures, markers and the parallel-run set-up of the whole suite.

Running: ``make test`` runs everything on both cores (``pytest -n 2 --dist loadgroup``, with ruff, mypy
and ``make docs``); ``make test-fast`` runs ``pytest -n 2 -m "not slow"``, the loop for a change.

Markers (registered in pyproject.toml; ``--strict-markers`` refuses any other):

- ``@pytest.mark.slow``: tests that run the command or an app in a subprocess, build a whole app (the
  reference app, the organization example) or run the compliance packs (mark them, or the whole module
  with ``pytestmark = pytest.mark.slow``), and, marked here automatically, every property-based
  (hypothesis) test and every test that uses ``compliant``, ``reference_app`` or moto's emulated account
  (``aws``; see ``SLOW_FIXTURES``).
  A test that runs the packs without the marker, itself or in a fixture, fails
  (:func:`tests.harness.require_slow_marker`), so the fast set cannot grow slow unnoticed.
  CI runs them all (``make test``); ``make test-fast`` leaves them out.

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

from __future__ import annotations

from omics_secure._internal.node_runtime import silence_end_of_life_banner

silence_end_of_life_banner()

import atexit  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import TYPE_CHECKING  # noqa: E402

import pytest  # noqa: E402

if TYPE_CHECKING:
    import aws_cdk as cdk
    from constructs import IConstruct

    from tests.harness import ComplianceResult, SynthesizedApp

# Timings never decide a test (they belong in benchmarks/): hypothesis's per-example deadline is off for every
# property test, so a loaded machine cannot fail one.
from hypothesis import settings  # noqa: E402

from tests import REPOSITORY  # noqa: E402

settings.register_profile("omics-secure", deadline=None)
settings.load_profile("omics-secure")

# aws_cdk, the harness (cfn-lint's loader) and the stacks are imported where they are used: the xdist
# controller loads this file too but runs no test, and importing them there (3 s, and a Node.js process)
# only delayed the workers' start.


def _end_the_worker_without_finalization() -> None:
    """Registered before aws_cdk loads, so it runs after every other exit handler (jsii's, which stops its
    Node.js process, included); it then skips only the interpreter's teardown of a worker's objects, which
    took about 2 s while the controller waited for it (benchmarks/README.md). Every result has been sent."""
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


if os.environ.get("PYTEST_XDIST_WORKER") and "aws_cdk" not in sys.modules:
    atexit.register(_end_the_worker_without_finalization)

_SHARED_SCOPES = {"session": "fixture", "package": "fixture", "module": "module", "class": "module"}


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """Lets :func:`tests.harness.require_slow_marker` see whether the running test (its fixtures of any
    scope included) is marked ``slow``. Runs only where tests run: the xdist controller never imports the
    harness."""
    from tests import harness

    harness.RUNNING_TEST_IS_SLOW = item.get_closest_marker("slow") is not None
    try:
        return (yield)
    finally:
        harness.RUNNING_TEST_IS_SLOW = None


@pytest.fixture(autouse=True)
def every_synthesized_template_passes_cfn_lint(tmp_path: Path):
    """After each test, cfn-lint every cloud assembly the test synthesized under its tmp_path."""
    yield
    from tests.harness import lint_assembly

    errors = [error for manifest in sorted(tmp_path.rglob("manifest.json"))
              for error in lint_assembly(manifest.parent)]
    assert not errors, "cfn-lint errors in a template this test synthesized:\n" + "\n".join(errors)


@pytest.fixture
def app(tmp_path: Path) -> cdk.App:
    from tests.harness import make_app

    return make_app(tmp_path / "cdk.out")


@pytest.fixture
def stack(app: cdk.App) -> cdk.Stack:
    """A stack with a concrete account and region, as the grant-ready statements need."""
    import aws_cdk as cdk

    from tests.harness import ENV

    return cdk.Stack(app, "TestStack", env=ENV)


@pytest.fixture
def compliant() -> Callable[[IConstruct], ComplianceResult]:
    """``compliant(stack)`` synthesizes, lints and runs all four packs; it fails on anything open."""
    from tests.harness import assert_compliant

    return assert_compliant


@pytest.fixture(scope="session")
def reference_app(tmp_path_factory: pytest.TempPathFactory) -> SynthesizedApp:
    """The reference app with cdk.json's context and all four packs, synthesized once per test run."""
    from omics_secure.stacks import build_reference_app
    from tests.harness import make_app, synthesize_once

    app = make_app(tmp_path_factory.mktemp("reference") / "cdk.out", cdk_validation=True)  # as users synthesize it
    return synthesize_once(build_reference_app(app))


SLOW_FIXTURES = frozenset({"compliant", "reference_app", "aws"})
"""Fixtures that synthesize with cdk-nag's three packs and ours (1-3 s of CPU per call, the reference app 20 s),
and ``aws`` (tests/verify/conftest.py), which stands up moto's emulated account for a test (0.5-1 s each)."""


@pytest.hookimpl(tryfirst=True)  # before ``-m "not slow"`` deselects by marker
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    import aws_cdk.cloud_assembly_schema  # noqa: F401  (registers the jsii types Annotations.from_stack returns)

    for item in items:
        if _is_slow(item):
            item.add_marker(pytest.mark.slow)
    if not config.pluginmanager.hasplugin("xdist"):  # -p no:xdist: the marker is not even registered
        return
    for item in items:
        group = _shared_fixture_group(item)
        if group is not None:
            item.add_marker(pytest.mark.xdist_group(group))


_GROUPING_LOST: list[str] = []


@pytest.hookimpl(trylast=True, specname="pytest_collection_modifyitems")  # after pytest-xdist put the groups in
def pytest_collection_modifyitems_check_groups(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Notes the tests of a worker that lost their xdist group: each worker would build every shared app."""
    if os.environ.get("PYTEST_XDIST_WORKER") and config.getvalue("loadgroup"):
        _GROUPING_LOST.extend(item.nodeid for item in items
                              if item.get_closest_marker("xdist_group") and "@" not in item.nodeid)


def pytest_runtest_setup(item: pytest.Item) -> None:
    if _GROUPING_LOST and item.get_closest_marker("xdist_group"):
        pytest.fail(f"pytest-xdist's --dist loadgroup did not group {len(_GROUPING_LOST)} tests, so each worker "
                    "would build the shared apps again. pytest 9.2 with pytest-xdist 3.8 does this "
                    "(pytest-dev/pytest-xdist#1386): reinstall the dev extras (make .venv/.installed), which keep "
                    "pytest below 9.2.", pytrace=False)


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
