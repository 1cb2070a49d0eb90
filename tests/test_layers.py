"""The package's layers (design notes, "Layers"): which modules may import which, read from their source."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "omics_secure"
CONSTRUCT_MODULES = ("keys", "storage", "network", "compute", "omics", "healthlake", "audit", "airlock")


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return {name for name in names if name.startswith("omics_secure")}


def _modules(*parts: str) -> list[Path]:
    found: list[Path] = []
    for part in parts:
        target = PACKAGE / part
        found += sorted(target.rglob("*.py")) if target.is_dir() else [target.with_suffix(".py")]
    return found


def _relative(path: Path) -> str:
    return path.relative_to(PACKAGE).as_posix()


def _crossing(modules: list[Path], forbidden: str) -> set[tuple[str, str]]:
    return {(_relative(m), name) for m in modules for name in _imports(m)
            if name == forbidden or name.startswith(forbidden + ".")}


def test_no_construct_module_imports_a_rule_the_command_or_a_stack():
    modules = _modules(*CONSTRUCT_MODULES, "verify/auditor.py")
    crossings = set()
    for forbidden in ("omics_secure.compliance.rules", "omics_secure.cli", "omics_secure.stacks"):
        crossings |= _crossing(modules, forbidden)
    assert not crossings


def test_compliance_never_imports_verify_or_the_command():
    modules = _modules("compliance")
    assert not _crossing(modules, "omics_secure.verify") | _crossing(modules, "omics_secure.cli")


def test_verify_never_imports_compliance_or_the_command():
    # verify reuses the rules' records and judgments through what the command passes it (verify.checks.Rules).
    modules = _modules("verify")
    assert not _crossing(modules, "omics_secure.compliance") | _crossing(modules, "omics_secure.cli")


@pytest.mark.parametrize("layer", ["reporting", "_internal"])
def test_shared_layers_import_neither_compliance_verify_nor_constructs(layer):
    modules = _modules(layer)
    crossings = set()
    for forbidden in ("compliance", "verify", "cli", "stacks", *CONSTRUCT_MODULES):
        crossings |= _crossing(modules, f"omics_secure.{forbidden}")
    assert not crossings


def test_the_input_room_imports_only_internal_helpers():
    # Reading inputs sits below judging, evaluating and describing: every other room may read inputs, and
    # the input room reads none of them.
    modules = _modules("inputs")
    crossings = set()
    for forbidden in ("compliance", "verify", "reporting", "cli", "stacks", *CONSTRUCT_MODULES):
        crossings |= _crossing(modules, f"omics_secure.{forbidden}")
    assert not crossings


def test_the_evaluator_reads_inputs_and_internal_helpers_only():
    # Evaluating sits between reading and judging: the rules, the report and the command import it.
    modules = _modules("policy")
    crossings = set()
    for forbidden in ("compliance", "verify", "reporting", "cli", "stacks", *CONSTRUCT_MODULES):
        crossings |= _crossing(modules, f"omics_secure.{forbidden}")
    assert not crossings


def test_the_input_room_does_not_import_the_evaluator():
    assert not _crossing(_modules("inputs"), "omics_secure.policy")
