"""The check's summary on the terminal: a verdict per pack, then what to act on.

Findings are grouped by resource and concern: a bucket without TLS enforcement is one entry naming
every pack that reports it, with how to fix it and the acknowledgment line to copy. The JUnit, SARIF
and Markdown reports keep one result per pack and rule; this is for a person reading a CI log.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from omics_secure._internal.tags import OMICS_SECURE_PACK_NAME as PROJECT_PACK
from omics_secure.reporting.hints import ACKNOWLEDGE_IMPORT, acknowledge_line, concern_of, rule_name
from omics_secure.reporting.validation_report import PackResult, ReportedFinding

# The L1 below an L2 is '<L2 path>/Resource'; acknowledging on the L2 covers it and reads as the user wrote it.
_L1_SUFFIXES = ("/Resource", "/Default")


@dataclass(frozen=True)
class Notice:
    """Something the app or the check said that is not a pack's finding: ``level`` error, warning or info."""

    level: str
    construct_path: str
    message: str


@dataclass(frozen=True)
class FindingGroup:
    """One problem of one resource, as every pack that reports it."""

    construct_path: str
    title: str
    findings: tuple[ReportedFinding, ...]

    @property
    def packs(self) -> list[str]:
        return list(dict.fromkeys(f.pack for f in self.findings))


def group_findings(findings: Sequence[ReportedFinding]) -> list[FindingGroup]:
    """Findings by (construct path, concern); a rule the concern table does not know is its own concern,
    shared by packs that use the same rule name (HIPAA.Security and NIST.800.53.R5 often do)."""
    groups: dict[tuple[str, str], list[ReportedFinding]] = {}
    titles: dict[tuple[str, str], str] = {}
    for finding in findings:
        concern = concern_of(finding.pack, finding.rule_id)
        name = concern.name if concern else rule_name(finding.pack, finding.rule_id)
        key = (finding.construct_path, name)
        groups.setdefault(key, []).append(finding)
        titles.setdefault(key, concern.name if concern else _first_sentence(finding.description))
    return [FindingGroup(path, titles[(path, name)], tuple(found)) for (path, name), found in groups.items()]


def acknowledgment_target(construct_path: str) -> str:
    """The construct to acknowledge on: the L2 that owns a ``Resource``/``Default`` L1."""
    for suffix in _L1_SUFFIXES:
        if construct_path.endswith(suffix) and construct_path.count("/") > 1:
            return construct_path.removesuffix(suffix)
    return construct_path


def render_check(packs: Sequence[PackResult], *, stack_count: int, resource_count: int,
                 notices: Sequence[Notice], fix_for: Callable[[ReportedFinding], str],
                 explain: Callable[[ReportedFinding], str], verbose: bool = False,
                 notes: Sequence[str] = (), inputs: Sequence[str] = ()) -> list[str]:
    """The summary's lines; a passing app without warnings gets a line per pack, the inputs they judged and
    the result."""
    lines = [f"omics-secure check: {_count(stack_count, 'stack')}, {_count(resource_count, 'resource')}"]
    width = max((len(p.name) for p in packs), default=10)
    verdicts = ["PASS" if p.passed else ("FAIL" if p.open_findings else "INCOMPLETE") for p in packs]
    verdict_width = max((len(v) for v in verdicts), default=4)
    for pack, verdict in zip(packs, verdicts, strict=True):
        extra = f", {_count(len(pack.warnings), 'warning')}" if pack.warnings else ""
        extra += f", {_count(len(pack.errors), 'rule error')}" if pack.errors else ""
        unjudged = [c for c in pack.coverage if not c.judged]
        extra += f", {len(unjudged)} of {len(pack.coverage)} inputs not judged" if unjudged else ""
        lines.append(f"  {verdict:<{verdict_width}}  {pack.name:<{width}}  {len(pack.open_findings)} open, "
                     f"{len(pack.acknowledged_findings)} acknowledged{extra}")
    lines += _coverage_lines(packs, inputs)
    lines += [f"  note: {note}" for note in notes]
    errors = [n for n in notices if n.level == "error"]
    warnings = [n for n in notices if n.level == "warning"] + [
        Notice("warning", f.construct_path, f"{f.rule_id}: {f.description}") for p in packs for f in p.warnings]
    infos = [n for n in notices if n.level == "info"]
    open_groups = group_findings([f for p in packs for f in p.open_findings])
    if errors or open_groups:
        lines += ["", f"Findings ({_count(len(errors) + len(open_groups), 'problem')}):"]
        lines += [f"  {n.construct_path}: error: {n.message}" for n in errors]
        for group in open_groups:
            lines += _group_lines(group, fix_for)
        if open_groups:
            lines.append(f"  To accept a finding instead of fixing it, add its 'accept' line to the app, with "
                         f"'{ACKNOWLEDGE_IMPORT}' and 'construct' the construct at the path shown, and replace "
                         "the reason.")
    rule_errors = [f for p in packs for f in p.errors]
    if rule_errors:
        lines += ["", f"Not judged (the check is incomplete; {_count(len(rule_errors), 'rule error')}):"]
        for finding in rule_errors:
            lines += [f"  {finding.construct_path}: {finding.description}",
                      f"    accept (construct = {acknowledgment_target(finding.construct_path)}) once checked by hand:",
                      f"      {acknowledge_line(finding.pack, finding.rule_id)}"]
    if warnings:
        lines += ["", "Warnings (do not fail the check):"]
        lines += [f"  {n.construct_path}: {n.message}" for n in warnings]
    acknowledged = [f for p in packs for f in p.acknowledged_findings]
    if verbose and (acknowledged or infos):
        lines += ["", "Acknowledged findings:"] if acknowledged else []
        for group in group_findings(acknowledged):
            reasons = list(dict.fromkeys(f.reason or "" for f in group.findings))
            lines.append(f"  {group.construct_path}: {group.title} [{', '.join(f.rule_id for f in group.findings)}]")
            lines += [f"    reason: {reason}" for reason in reasons]
            lines.append(f"    rule: {explain(group.findings[0])}")
        lines += ["", "Info:"] if infos else []
        lines += [f"  {n.construct_path}: {n.message}" for n in infos]
    incomplete = bool(rule_errors) or any(not c.judged for p in packs for c in p.coverage)
    failed = bool(errors or open_groups)
    result = "INCOMPLETE" if incomplete else ("FAIL" if failed else "PASS")
    hint = " (--verbose lists them with their reasons)" if acknowledged and not verbose else ""
    lines += ["", f"Result: {result} - "
                  f"{_count(sum(len(p.open_findings) for p in packs), 'unacknowledged finding')}"
                  f"{', ' + _count(len(errors), 'error annotation') if errors else ''}"
                  f"{', ' + _count(len(rule_errors), 'rule error') if rule_errors else ''}, "
                  f"{len(acknowledged)} acknowledged{hint}"]
    return lines


_LISTED_INPUTS = 10


def _coverage_lines(packs: Sequence[PackResult], inputs: Sequence[str]) -> list[str]:
    """Which packs judged which input: every input by name when there are few, else the count, and every
    input a pack did not judge (or judged with a note) by name."""
    if not inputs:
        return []
    names = [p.name for p in packs]
    by_input: dict[str, list[str]] = {name: [] for name in inputs}
    notes: dict[str, list[str]] = {name: [] for name in inputs}
    for pack in packs:
        covered = {c.input: c for c in pack.coverage}
        for name in inputs:
            coverage = covered.get(name)
            if coverage is None or coverage.judged:
                by_input[name].append(pack.name)
            if coverage is not None and coverage.note:
                note = f"{pack.name}: {coverage.note}" if not coverage.judged else coverage.note
                if note not in notes[name]:
                    notes[name].append(note)
    everywhere = all(len(judged) == len(names) for judged in by_input.values())
    if everywhere and not any(notes.values()):
        listed = ", ".join(inputs) if len(inputs) <= _LISTED_INPUTS else f"all {len(inputs)} inputs"
        return [f"  every pack judged {listed}"]
    lines = ["  inputs:"]
    for name in inputs:
        if len(inputs) > _LISTED_INPUTS and len(by_input[name]) == len(names) and not notes[name]:
            continue
        missing = [n for n in names if n not in by_input[name]]
        judged = "every pack" if not missing else ", ".join(by_input[name]) or "no pack"
        text = f"    {name}: {judged}" + (f"; not {', '.join(missing)}" if missing else "")
        lines.append(text + "".join(f" ({note})" for note in notes[name]))
    if len(inputs) > _LISTED_INPUTS:
        lines.append(f"    (the other inputs of {len(inputs)}: every pack)")
    return lines


def _group_lines(group: FindingGroup, fix_for: Callable[[ReportedFinding], str]) -> list[str]:
    first = group.findings[0]
    target = acknowledgment_target(group.construct_path)
    lines = [f"  {group.construct_path}: {group.title}",
             f"    reported by: {', '.join(f.rule_id for f in group.findings)}"]
    # The project's engine says what exactly is wrong in this resource ("finding (detail)"); a description
    # read back from CDK's validation report is the rule's finding and its controls (" - (...)"), which the
    # title already says.
    details = dict.fromkeys(f.description for f in group.findings if f.pack == PROJECT_PACK
                            and " - (" not in f.description and f.description.rstrip().endswith(")"))
    # A finding of only some of a template's deployments says which ("when Env is dev: ...").
    details.update(dict.fromkeys(f"{f.description.split(':', 1)[0]} ({f.rule_id})" for f in group.findings
                                 if f.pack != PROJECT_PACK and f.description.startswith("when ")))
    lines += [f"    found: {detail}" for detail in details]
    lines.append(f"    fix: {fix_for(first)}")
    lines.append(f"    accept (construct = {target}):")
    lines += [f"      {acknowledge_line(f.pack, f.rule_id)}" for f in group.findings]
    return lines


def _first_sentence(text: str) -> str:
    for separator in (" - (", ". "):
        head, found, _ = text.partition(separator)
        if found:
            return head.rstrip(".")
    return text.rstrip(".")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"
