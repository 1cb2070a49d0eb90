"""Which acknowledgment hides which finding on a given day: one decision for every pack, every input and every
output.

Each pack reports its findings its own way: cdk-nag's packs in an app through CDK's validation report (CDK core
has already moved the acknowledged ones into ``suppressedViolations``), the replayed packs and the OmicsSecure
pack from the templates. :func:`govern` takes their results and decides every finding again, from the
acknowledgments of the app (assembly metadata) and of the acknowledgments file alike:

- an acknowledgment is in force until its ``expires`` date (inclusive), or until the day before the data-use
  end date of the resource it covers when that comes first (``omics-secure:duc-ends`` on the resource or its
  stack, or a ``DataUseEndDate`` lifecycle rule of its bucket): controlled data is deleted on that date, and no
  exception outlives the agreement it serves. The library's own acknowledgments (AWS constraints) do not end.
- a finding whose acknowledgment has ended is open again, in every mode, and says "was acknowledged by OWNER
  (REF) until DATE";
- one that ends within 30 days, one without an owner or an end date, and one cut short by a data-use end date
  are warnings; so are file entries whose resource matches nothing, or whose rule matches no finding there.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from omics_secure._internal.acknowledgment_terms import (
    EXPIRY_WARNING_DAYS,
    SOURCE_APP,
    SOURCE_FILE,
    SOURCE_LIBRARY,
    ends_on,
)
from omics_secure._internal.tags import PROJECT_DUC_ENDS_TAG
from omics_secure.inputs.acknowledgments import KNOWN_PACKS, Acknowledgment
from omics_secure.inputs.assembly import StackArtifact
from omics_secure.reporting.acknowledgments import Listed
from omics_secure.reporting.terminal import Notice
from omics_secure.reporting.validation_report import PackResult, ReportedFinding

DATA_USE_END_RULE = "DataUseEndDate"
"""The id of the lifecycle rule ``PhiBucket(data_use_end_date=...)`` writes: current objects expire that day."""
_L1_NAMES = ("Resource", "Default")


@dataclass(frozen=True)
class Standing:
    """An acknowledgment as it stands for one resource on ``today``."""

    acknowledgment: Acknowledgment
    today: datetime.date
    ends: datetime.date | None
    """The last day it is in force; None when it has no end."""
    data_use_ends: datetime.date | None = None
    """The data-use end date of the resource, when it cut the acknowledgment short."""

    @property
    def in_force(self) -> bool:
        return self.ends is None or self.today <= self.ends

    @property
    def days_left(self) -> int | None:
        return None if self.ends is None else (self.ends - self.today).days


@dataclass(frozen=True)
class _Resource:
    stack: StackArtifact
    logical_id: str
    path: str


class AcknowledgmentBook:
    """Every acknowledgment of the input, the app's (by construct path) and the file's (by pattern), and the
    data-use end dates of the resources they may cover; judged as of ``today``."""

    def __init__(self, stacks: Sequence[StackArtifact], file_acknowledgments: Iterable[Acknowledgment] = (), *,
                 today: datetime.date) -> None:
        self.today = today
        self._stacks = list(stacks)
        self._by_path: dict[str, tuple[Acknowledgment, ...]] = {}
        for stack in self._stacks:  # nested stacks share their parent's mapping: each path is read once
            for path, acknowledgments in stack.acknowledgments.items():
                self._by_path.setdefault(path, acknowledgments)
        self.file_acknowledgments = tuple(file_acknowledgments)
        self._resources = {path: _Resource(stack, logical_id, path) for stack in self._stacks
                           for logical_id, path in _paths(stack).items()}
        self._data_use_ends = _data_use_end_dates(self._resources.values())

    def acknowledgments(self) -> list[Acknowledgment]:
        """Every acknowledgment, the app's by construct path, then the file's in file order."""
        return [a for acknowledgments in self._by_path.values() for a in acknowledgments] + list(
            self.file_acknowledgments)

    def candidates(self, construct_path: str, rule_id: str) -> list[Acknowledgment]:
        """The acknowledgments of ``rule_id`` that cover ``construct_path``: the app's on it or a construct above
        it, nearest first, then the file's entries whose resource names it."""
        parts = construct_path.split("/")
        found = [a for depth in range(len(parts), 0, -1) for a in self._by_path.get("/".join(parts[:depth]), ())
                 if a.rule_id == rule_id]
        resource = self._resources.get(construct_path)
        stack = resource.stack.name if resource else self._stack_of(construct_path)
        logical_id = resource.logical_id if resource else None
        found += [a for a in self.file_acknowledgments if a.rule_id == rule_id and
                  (stack is None or a.applies_to_stack(stack)) and a.matches(construct_path, logical_id)]
        return found

    def standing(self, acknowledgment: Acknowledgment, construct_path: str) -> Standing:
        """``acknowledgment`` as it stands for the resource at ``construct_path`` today."""
        duc = None if acknowledgment.by_library else self.data_use_end(construct_path)
        ends = ends_on(acknowledgment.expires, duc)
        capped = duc if duc is not None and ends != acknowledgment.expires else None
        return Standing(acknowledgment, self.today, ends, capped)

    def decide(self, construct_path: str, rule_id: str) -> Standing | None:
        """The acknowledgment in force for this finding (the nearest), else the nearest that has ended, else None."""
        standings = [self.standing(a, construct_path) for a in self.candidates(construct_path, rule_id)]
        return next((s for s in standings if s.in_force), standings[0] if standings else None)

    def data_use_end(self, construct_path: str) -> datetime.date | None:
        """The earliest data-use end date that applies to the resource (or construct) at ``construct_path``."""
        parts = construct_path.split("/")
        dates = [date for depth in range(len(parts), 0, -1)
                 if (date := self._data_use_ends.get("/".join(parts[:depth]))) is not None]
        resource = self._resources.get(construct_path)
        stack_date = _date(resource.stack.tags.get(PROJECT_DUC_ENDS_TAG)) if resource else None
        dates += [stack_date] if stack_date else []
        return min(dates) if dates else None

    def names_a_resource(self, acknowledgment: Acknowledgment) -> bool:
        """Whether a file entry's resource pattern names any resource of the input."""
        return any(acknowledgment.applies_to_stack(r.stack.name) and acknowledgment.matches(r.path, r.logical_id)
                   for r in self._resources.values())

    def _stack_of(self, construct_path: str) -> str | None:
        holders = [s.name for s in self._stacks if construct_path == s.name or construct_path.startswith(s.name + "/")]
        return max(holders, key=len) if holders else None


def _paths(stack: StackArtifact) -> dict[str, str]:
    return {logical_id: stack.construct_path(logical_id) for logical_id in stack.resources}


def _date(value: Any) -> datetime.date | None:
    try:
        return datetime.date.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def _data_use_end_dates(resources: Iterable[_Resource]) -> dict[str, datetime.date]:
    """Construct path -> the data-use end date of the resource there (its ``omics-secure:duc-ends`` tag, or a
    ``DataUseEndDate`` lifecycle rule). The L1 of an L2 (``.../Resource``) gives its date to the L2, so that the
    bucket's policy, a sibling, is covered too."""
    found: dict[str, datetime.date] = {}
    for resource in resources:
        body = resource.stack.resources.get(resource.logical_id)
        properties = body.get("Properties") if isinstance(body, Mapping) else None
        if not isinstance(properties, Mapping):
            continue
        dates = [_date(tag.get("Value")) for tag in _list(properties.get("Tags"))
                 if isinstance(tag, Mapping) and tag.get("Key") == PROJECT_DUC_ENDS_TAG]
        lifecycle = properties.get("LifecycleConfiguration")
        rules = _list(lifecycle.get("Rules")) if isinstance(lifecycle, Mapping) else []
        dates += [_date(str(rule.get("ExpirationDate", ""))[:10]) for rule in rules if isinstance(rule, Mapping)
                  and rule.get("Id") == DATA_USE_END_RULE and rule.get("Status") != "Disabled"]
        known = [date for date in dates if date is not None]
        if not known:
            continue
        parent, _, name = resource.path.rpartition("/")
        key = parent if name in _L1_NAMES and parent.count("/") >= 1 else resource.path
        found[key] = min([known_date for known_date in (found.get(key), *known) if known_date is not None])
    return found


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


@dataclass
class Governed:
    """The packs' results with every acknowledgment decided, what the check should warn about, and which
    findings each acknowledgment matched (hid, or no longer hides)."""

    packs: list[PackResult]
    notices: list[Notice]
    matched: dict[Acknowledgment, list[ReportedFinding]] = field(default_factory=dict)
    standings: dict[Acknowledgment, Standing] = field(default_factory=dict)


def govern(packs: Sequence[PackResult], book: AcknowledgmentBook) -> Governed:
    """``packs`` with each finding acknowledged by the acknowledgment in force for it today, open again with
    "was acknowledged by ..." when the one that covered it has ended, and left as it was when none covers it."""
    matched: dict[Acknowledgment, list[ReportedFinding]] = {}
    standings: dict[Acknowledgment, Standing] = {}
    governed_packs = []
    for pack in packs:
        decided = [_decide(finding, book, matched, standings) for finding in pack.all_findings]
        unacknowledged = [f for f in decided if not f.acknowledged]
        governed_packs.append(replace(
            pack,
            open_findings=tuple(f for f in unacknowledged if not f.is_error and f.severity != "warning"),
            warnings=tuple(f for f in unacknowledged if not f.is_error and f.severity == "warning"),
            errors=tuple(f for f in unacknowledged if f.is_error),
            acknowledged_findings=tuple(f for f in decided if f.acknowledged)))
    return Governed(governed_packs, _notices(book, matched, standings), matched, standings)


def _decide(finding: ReportedFinding, book: AcknowledgmentBook, matched: dict[Acknowledgment, list[ReportedFinding]],
            standings: dict[Acknowledgment, Standing]) -> ReportedFinding:
    standing = book.decide(finding.construct_path, finding.rule_id)
    if standing is None:
        return finding  # acknowledged by nothing the input records (or by nothing at all): as the pack said
    acknowledgment = standing.acknowledgment
    standings.setdefault(acknowledgment, standing)
    if standing.in_force:
        decided = replace(finding, acknowledged_id=acknowledgment.id, reason=acknowledgment.stated_reason,
                          acknowledgment=acknowledgment, acknowledged_until=standing.ends)
    else:
        decided = replace(finding, acknowledged_id=None, reason=None, acknowledgment=acknowledgment,
                          acknowledged_until=standing.ends,
                          description=f"{finding.description} {expired_sentence(standing)}".strip())
    matched.setdefault(acknowledgment, []).append(decided)
    return decided


def expired_sentence(standing: Standing) -> str:
    """'Was acknowledged by OWNER (REF) until DATE ("reason"); that has ended, so the finding is open again.'"""
    acknowledgment = standing.acknowledgment
    until = standing.ends.isoformat() if standing.ends else "?"
    cut = (f", the day before its data-use end date {standing.data_use_ends.isoformat()}"
           if standing.data_use_ends else "")
    return (f"Was acknowledged by {acknowledgment.owner or 'an unnamed owner'}"
            f"{f' ({acknowledgment.reference})' if acknowledgment.reference else ''} until {until}{cut} "
            f"(\"{acknowledgment.reason}\"); that has ended, so the finding is open again: fix it, or renew the "
            "acknowledgment with a new expires date its owner approves.")


def accountability(acknowledgment: Acknowledgment, ends: datetime.date | None = None) -> str:
    """'by OWNER (REF) until DATE' (or what it lacks), for messages and reports."""
    if acknowledgment.by_library:
        return "by the omics-secure construct that made the resource (an AWS constraint it documents)"
    owner = f"by {acknowledgment.owner}" if acknowledgment.owner else "by no named owner"
    reference = f" ({acknowledgment.reference})" if acknowledgment.reference else ""
    last = ends or acknowledgment.expires
    return f"{owner}{reference} " + (f"until {last.isoformat()}" if last else "with no end date")


def _notices(book: AcknowledgmentBook, matched: Mapping[Acknowledgment, list[ReportedFinding]],
             standings: Mapping[Acknowledgment, Standing]) -> list[Notice]:
    """One warning per place and problem, naming every rule it concerns (the three packs' rules of one concern
    are often acknowledged together)."""
    grouped: dict[tuple[str, str], list[str]] = {}
    for acknowledgment in book.acknowledgments():
        where = acknowledgment.origin or acknowledgment.construct_path
        label = acknowledgment.id + (f" on {acknowledgment.resource}" if acknowledgment.resource is not None else "")
        standing = standings.get(acknowledgment)
        problems = []
        if _unowned(acknowledgment):
            problems.append(
                f": {_lacks(acknowledgment)}, so nobody is named as having accepted the risk and it never ends; use "
                "acknowledge(construct, rule_id, reason, owner=..., reference=..., expires=...) from "
                "omics_secure.compliance, or an entry of omics-secure.acknowledgments.yaml")
        if standing is not None and standing.in_force and standing.data_use_ends is not None:
            problems.append(
                f" ({accountability(acknowledgment)}): in force only until {standing.ends}, the day before the "
                f"data-use end date {standing.data_use_ends.isoformat()} of the resource it covers (no exception "
                "outlives the data-use agreement)")
        if standing is not None and standing.in_force and (days := standing.days_left) is not None and \
                days <= EXPIRY_WARNING_DAYS:
            problems.append(
                f" ({accountability(acknowledgment, standing.ends)}): ends in {days} day(s); renew it (a new expires "
                "date its owner approves) or fix the finding before it fails the check")
        for problem in problems:
            grouped.setdefault((where, problem), []).append(label)
    notices = [Notice("warning", where, f"acknowledgment{'s' if len(labels) > 1 else ''} of {', '.join(labels)}"
                                        f"{problem}") for (where, problem), labels in grouped.items()]
    return notices + _unused_file_entries(book, matched)


def _unowned(acknowledgment: Acknowledgment) -> bool:
    """An acknowledgment of one of the four packs, written in the app (or read from another tool's metadata)
    without an owner or an end. The library's own are owned by its release; a file entry has its owner by the
    schema, and its end unless the file says ``require_expiry: false``; a bare id is warned of as unrecorded."""
    return (acknowledgment.source not in (SOURCE_LIBRARY, SOURCE_FILE) and not acknowledgment.accountable
            and acknowledgment.is_recorded and acknowledgment.pack in KNOWN_PACKS)


def _lacks(acknowledgment: Acknowledgment) -> str:
    missing = [name for name, value in (("owner", acknowledgment.owner), ("reference", acknowledgment.reference),
                                        ("expiry date", acknowledgment.expires)) if value is None]
    return "no " + " and no ".join(missing or ["owner"])


def _unused_file_entries(book: AcknowledgmentBook, matched: Mapping[Acknowledgment, list[ReportedFinding]]
                         ) -> list[Notice]:
    """File entries whose resource names nothing in the input, or no finding of their rule there."""
    notices = []
    for acknowledgment in book.file_acknowledgments:
        if acknowledgment.source != SOURCE_FILE or acknowledgment in matched:
            continue
        where = acknowledgment.origin
        if not book.names_a_resource(acknowledgment):
            notices.append(Notice("warning", where, (
                f"resource {acknowledgment.resource!r} of the acknowledgment of {acknowledgment.id} matches no "
                "resource of the input (a logical id, a construct path, or a glob of either); fix it or remove "
                "the entry")))
        else:
            notices.append(Notice("warning", where, (
                f"the acknowledgment of {acknowledgment.id} on {acknowledgment.resource} matches no finding of "
                "that rule there (fixed, or a typo in the rule id); remove the entry or fix its rule")))
    return notices


def listing(book: AcknowledgmentBook, governed: Governed) -> list[Listed]:
    """Every acknowledgment of the input: the acknowledgments file's first, then the app's, then those of
    omics-secure's own constructs."""
    order = {SOURCE_FILE: 0, SOURCE_APP: 1}
    listed = []
    for acknowledgment in sorted(book.acknowledgments(), key=lambda a: order.get(a.source, 2)):
        found = tuple(governed.matched.get(acknowledgment, ()))
        standings = [book.standing(acknowledgment, f.construct_path) for f in found] or [
            book.standing(acknowledgment, acknowledgment.construct_path)]
        ends = min((s.ends for s in standings if s.ends is not None), default=None)
        if ends is None:
            state = "no end date"
        elif book.today > ends:
            state = f"ended on {ends.isoformat()}"
        else:
            days = (ends - book.today).days
            state = f"ends in {days} day(s)" if days <= EXPIRY_WARNING_DAYS else "in force"
        age = (book.today - acknowledgment.approved).days if acknowledgment.approved else None
        listed.append(Listed(acknowledgment, ends, state, age, found))
    return listed
