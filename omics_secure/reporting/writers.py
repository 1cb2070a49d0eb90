"""Reports of a check that CI systems and auditors read: JUnit XML, SARIF 2.1.0 and Markdown.

Each finding is located in the synthesized assembly (template file, logical id, line) so that
code-scanning tools can point at it; acknowledged findings are kept, with their reasons, as skipped
test cases and as SARIF suppressions, because an auditor needs to see what was accepted and why.
"""

from __future__ import annotations

import functools
import json
import os
import re
import sysconfig
import xml.etree.ElementTree as ElementTree
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from omics_secure._internal.tags import CDK_NAG_PACK_NAMES
from omics_secure.inputs.lines import resource_lines
from omics_secure.reporting import markdown
from omics_secure.reporting.validation_report import PackResult, ReportedFinding

JUNIT_FILE = "omics-secure.junit.xml"
SARIF_FILE = "omics-secure.sarif"
MARKDOWN_FILE = "omics-secure.md"
SARIF_SCHEMA = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
CDK_NAG_RULES_URI = "https://github.com/cdklabs/cdk-nag/blob/main/RULES.md"


class SynthesizedStack(Protocol):
    """What the writers need of a synthesized stack: its template file and its resources' construct paths."""

    @property
    def template_path(self) -> Path: ...

    @property
    def construct_paths(self) -> Mapping[str, str]: ...

    @property
    def creation_stacks(self) -> Mapping[str, tuple[str, ...]]: ...

    @property
    def resource_lines(self) -> Mapping[str, int]: ...


# A creation-stack frame as CDK records it: "<function> (<file>:<line>)", JavaScript frames with a column.
_FRAME = re.compile(r"\((?P<file>[^()]+?):(?P<line>\d+)(?::\d+)?\)\s*$")
_LIBRARY_DIRS = ("site-packages", "dist-packages", "node_modules")
_STANDARD_LIBRARY = Path(sysconfig.get_paths()["stdlib"]).resolve()
_PACKAGE_DIR = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class SourceLocation:
    """Where the user's code created a construct: a file and line from CDK's creation stack."""

    path: Path
    line: int


def source_location(frames: Sequence[str]) -> SourceLocation | None:
    """The first frame of the user's own code in a creation stack: not an installed library, not one of
    this package's constructs (its reference stacks count as user code). None when CDK recorded no
    Python frames, which it does only with JSII_HOST_STACK_TRACES=1."""
    parsed = [SourceLocation(Path(m["file"]), int(m["line"])) for frame in frames if (m := _FRAME.search(frame))]
    parsed = [p for p in parsed if p.path.suffix == ".py" or not p.path.suffix]
    for location in parsed:
        if any(part in _LIBRARY_DIRS for part in location.path.parts) or location.path.is_relative_to(
                _STANDARD_LIBRARY):
            continue
        if location.path.is_relative_to(_PACKAGE_DIR) and not location.path.is_relative_to(_PACKAGE_DIR / "stacks"):
            continue
        return location
    return parsed[0] if parsed else None


@dataclass(frozen=True)
class Location:
    """Where a finding sits in the assembly: the template file, the logical id and its line."""

    template_path: Path
    logical_id: str
    line: int


class FindingLocator:
    """Maps a construct path from the validation report to its resource in the synthesized templates.

    Each template is read at most once, when a finding first needs a line in it, and its resources' lines are
    indexed in that one pass (:func:`resource_lines`), so locating a finding costs a lookup, not a read.
    """

    def __init__(self, stacks: Sequence[SynthesizedStack]) -> None:
        self._by_path: dict[str, tuple[SynthesizedStack, str]] = {}
        self._sources: dict[str, SourceLocation] = {}
        for stack in stacks:
            for logical_id, path in stack.construct_paths.items():
                self._by_path[path] = (stack, logical_id)
            for path, frames in stack.creation_stacks.items():
                if (source := source_location(frames)) is not None:
                    self._sources[path] = source
        self._lines: dict[Path, Mapping[str, int]] = {}

    def source(self, construct_path: str) -> SourceLocation | None:
        """Where the user's code created the construct, when CDK recorded it. CDK records the creation stack
        on the L1, so an L2's path (an annotation's) is found through its Resource or Default child."""
        for path in (construct_path, f"{construct_path}/Resource", f"{construct_path}/Default"):
            if path in self._sources:
                return self._sources[path]
        return None

    def locate(self, construct_path: str) -> Location | None:
        """The template, logical id and line of the resource at ``construct_path`` (line 1 when the template's
        layout gives no line for it); None for a path that is no resource of the stacks."""
        found = self._by_path.get(construct_path)
        if found is None:
            return None
        stack, logical_id = found
        lines = self._lines.get(stack.template_path)
        if lines is None:
            lines = self._lines[stack.template_path] = stack.resource_lines or _read_lines(stack.template_path)
        return Location(stack.template_path, logical_id, lines.get(logical_id, 1))


def _read_lines(template_path: Path) -> Mapping[str, int]:
    """The resources' lines of a template the input did not index when it was read (once per template)."""
    try:
        return resource_lines(template_path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return {}


def write_reports(packs: Sequence[PackResult], stacks: Sequence[SynthesizedStack], report_dir: Path, *,
                  title: str = "omics-secure check", scope: str | None = None) -> list[Path]:
    """Write the JUnit, SARIF and Markdown reports into ``report_dir``; returns their paths.

    ``title`` names the command in the JUnit and Markdown reports; ``scope`` says what was judged
    (default: the number of stacks). Findings with no resource in ``stacks`` (``verify``'s live
    resources) get a logical location only in SARIF.
    """
    report_dir.mkdir(parents=True, exist_ok=True)
    locator = FindingLocator(stacks)
    outputs = {
        JUNIT_FILE: to_junit_xml(packs, title=title),
        SARIF_FILE: json.dumps(to_sarif(packs, locator, base=report_dir), indent=2),
        MARKDOWN_FILE: to_markdown(packs, stack_count=len(stacks), title=title, scope=scope),
    }
    written = []
    for name, text in outputs.items():
        path = report_dir / name
        path.write_text(text + "\n", encoding="utf-8")
        written.append(path)
    return written


def to_junit_xml(packs: Sequence[PackResult], *, title: str = "omics-secure check") -> str:
    """One test suite per pack; a failed case per open finding, a skipped case per acknowledged one,
    a passing case per passed check the pack lists.

    A pack with nothing open and no passed checks listed gets one passing case, so that a clean pack
    still shows in CI.
    """
    root = ElementTree.Element("testsuites", name=title)
    totals = {"tests": 0, "failures": 0, "skipped": 0}
    for pack in packs:
        suite = ElementTree.SubElement(root, "testsuite", name=pack.name)
        cases = 0
        for finding in pack.open_findings:
            case = _case(suite, finding)
            failure = ElementTree.SubElement(case, "failure", message=finding.description, type=finding.severity)
            failure.text = f"{finding.rule_id} at {finding.construct_path}: {finding.description}"
            cases += 1
        for finding in pack.acknowledged_findings:
            case = _case(suite, finding)
            ElementTree.SubElement(case, "skipped", message=f"acknowledged: {finding.reason}")
            cases += 1
        for finding in pack.warnings:
            case = _case(suite, finding)
            ElementTree.SubElement(case, "system-out").text = f"warning: {finding.description}"
            cases += 1
        for finding in pack.passed_checks:
            _case(suite, finding)
            cases += 1
        if not pack.open_findings and not pack.passed_checks:
            ElementTree.SubElement(suite, "testcase", classname=pack.name, name=f"{pack.name}: no open findings")
            cases += 1
        counts = {"tests": cases, "failures": len(pack.open_findings), "skipped": len(pack.acknowledged_findings)}
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
        suite.set("errors", "0")
    for key, value in totals.items():
        root.set(key, str(value))
    root.set("errors", "0")
    ElementTree.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ElementTree.tostring(root, encoding="unicode")


def _case(suite: ElementTree.Element, finding: ReportedFinding) -> ElementTree.Element:
    return ElementTree.SubElement(suite, "testcase", classname=finding.rule_id, name=finding.construct_path)


def to_sarif(packs: Sequence[PackResult], locator: FindingLocator, *, base: Path) -> dict[str, Any]:
    """A SARIF 2.1.0 log: one run per pack, acknowledged findings as externally suppressed results."""
    uri = functools.cache(_uri)  # a few files hold every finding: each path made relative once
    return {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [_sarif_run(pack, locator, uri) for pack in packs],
    }


def _sarif_run(pack: PackResult, locator: FindingLocator, uri: Callable[[Path], str]) -> dict[str, Any]:
    findings = [*pack.open_findings, *pack.warnings, *pack.acknowledged_findings]
    rule_ids = {rule_id: index for index, rule_id in enumerate(dict.fromkeys(f.rule_id for f in findings))}
    descriptions = {f.rule_id: f.description for f in findings}
    driver: dict[str, Any] = {"name": pack.name, "organization": "omics-secure"}
    if pack.name in CDK_NAG_PACK_NAMES:
        driver["informationUri"] = CDK_NAG_RULES_URI
    return {
        "tool": {"driver": {
            **driver,
            "rules": [
                {"id": rule_id, "shortDescription": {"text": _first_sentence(descriptions[rule_id])},
                 "fullDescription": {"text": descriptions[rule_id]}}
                for rule_id in rule_ids
            ],
        }},
        "results": [_sarif_result(f, rule_ids[f.rule_id], locator, uri) for f in findings],
    }


def _sarif_result(finding: ReportedFinding, rule_index: int, locator: FindingLocator,
                  uri: Callable[[Path], str]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": "error" if finding.severity == "error" else "warning",
        "message": {"text": f"{finding.description} At {finding.construct_path}."},
        "locations": [_sarif_location(finding, locator, uri)],
    }
    if finding.acknowledged:
        result["suppressions"] = [{"kind": "external", "status": "accepted",
                                   "justification": finding.reason or ""}]
    return result


def _sarif_location(finding: ReportedFinding, locator: FindingLocator, uri: Callable[[Path], str]
                    ) -> dict[str, Any]:
    location: dict[str, Any] = {"logicalLocations": [
        {"fullyQualifiedName": finding.construct_path, "kind": "resource"}]}
    found = locator.locate(finding.construct_path)
    source = locator.source(finding.construct_path)
    if source is not None:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": uri(source.path)},
            "region": {"startLine": source.line},
        }
    elif found is not None:
        location["physicalLocation"] = {
            "artifactLocation": {"uri": uri(found.template_path)},
            "region": {"startLine": found.line},
        }
    if found is not None:
        location["logicalLocations"][0]["name"] = found.logical_id
    return location


def _uri(path: Path) -> str:
    """Relative to the working directory (the repository root in CI), else an absolute file URI."""
    try:
        relative = os.path.relpath(path, Path.cwd())
    except ValueError:  # another drive on Windows
        return path.resolve().as_uri()
    return Path(relative).as_posix() if not relative.startswith("..") else path.resolve().as_uri()


def to_markdown(packs: Sequence[PackResult], *, stack_count: int, title: str = "omics-secure check",
                scope: str | None = None) -> str:
    """The verdict, a table of packs, and a table each of open findings, warnings and acknowledged findings.

    Every value from the input (pack names, rule ids, construct paths, descriptions, reasons, and ``title`` and
    ``scope``) is escaped (:mod:`omics_secure.reporting.markdown`), so that the file renders as the same text
    wherever CI shows Markdown as HTML.
    """
    open_total = sum(len(p.open_findings) for p in packs)
    lines = [
        f"# {markdown.text(title)}",
        "",
        f"**{'PASS' if open_total == 0 else 'FAIL'}**: {open_total} unacknowledged finding(s) "
        f"across {markdown.text(scope or f'{stack_count} stack(s)')} and {len(packs)} pack(s).",
        "",
        *markdown.table(("pack", "result", "open", "acknowledged"), [
            (markdown.text(p.name), "pass" if p.passed else "fail", str(len(p.open_findings)),
             str(len(p.acknowledged_findings))) for p in packs]),
    ]
    lines += _findings_table("Unacknowledged findings", "finding",
                             [(f, f.description) for p in packs for f in p.open_findings])
    lines += _findings_table("Warnings", "warning", [(f, f.description) for p in packs for f in p.warnings])
    lines += _findings_table("Acknowledged findings", "reason",
                             [(f, f.reason or "") for p in packs for f in p.acknowledged_findings])
    return "\n".join(lines)


def _findings_table(heading: str, column: str, findings: Sequence[tuple[ReportedFinding, str]]) -> list[str]:
    """A section listing ``findings`` by rule and resource, with ``column`` the text of each; none if empty."""
    if not findings:
        return []
    return ["", f"## {heading}", "", *markdown.table(("rule", "resource", column), [
        (markdown.code(f.rule_id), markdown.code(f.construct_path), markdown.text(words)) for f, words in findings])]


def _first_sentence(text: str) -> str:
    head, separator, _ = text.partition(". ")
    return head + "." if separator else text
