"""Every acknowledgment of an input, listed for its reviewers: ``omics-secure acknowledgments --format json|markdown``.

Each row says which rule is accepted where, who accepted it under which record, how old it is, until when it is
in force and which findings it matched (a row that matched none hides nothing, and may be removed).
"""

from __future__ import annotations

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from omics_secure.inputs.acknowledgments import Acknowledgment
from omics_secure.reporting import markdown
from omics_secure.reporting.validation_report import ReportedFinding


@dataclass(frozen=True)
class Listed:
    """One acknowledgment as ``omics-secure acknowledgments`` and the report list it."""

    acknowledgment: Acknowledgment
    ends: datetime.date | None
    """The last day it is in force for the resources it covers (the earliest, if a data-use end date cuts it
    short on some); None when it has no end."""
    state: str
    """'in force', 'ends in N day(s)', 'ended on DATE' or 'no end date'."""
    age_days: int | None
    """Days since ``approved``, when the acknowledgment gives it."""
    findings: tuple[ReportedFinding, ...]
    """The findings it matched: hidden while in force, open again once it has ended."""

    @property
    def in_force(self) -> bool:
        return not self.state.startswith("ended")


def as_json(listed: Sequence[Listed], *, today: datetime.date) -> str:
    """The listing as a JSON document: ``{"today": ..., "acknowledgments": [...]}``."""
    return json.dumps({"today": today.isoformat(), "acknowledgments": [_record(item) for item in listed]}, indent=2)


def _record(item: Listed) -> dict[str, Any]:
    acknowledgment = item.acknowledgment
    return {
        "rule": acknowledgment.id,
        "where": acknowledgment.where,
        "source": acknowledgment.source,
        "written_at": acknowledgment.origin or acknowledgment.construct_path,
        "reason": acknowledgment.reason,
        "owner": acknowledgment.owner,
        "reference": acknowledgment.reference,
        "approved": acknowledgment.approved.isoformat() if acknowledgment.approved else None,
        "age_days": item.age_days,
        "expires": acknowledgment.expires.isoformat() if acknowledgment.expires else None,
        "in_force_until": item.ends.isoformat() if item.ends else None,
        "state": item.state,
        "matched": bool(item.findings),
        "findings": [{"pack": f.pack, "rule": f.rule_id, "resource": f.construct_path,
                      "hidden": bool(f.acknowledged)} for f in item.findings],
    }


def as_markdown(listed: Sequence[Listed], *, today: datetime.date) -> str:
    """The listing as a Markdown table, every value from the input escaped."""
    ended = sum(1 for item in listed if not item.in_force)
    unmatched = sum(1 for item in listed if not item.findings)
    lines = [
        "# Acknowledgments",
        "",
        f"{len(listed)} acknowledgment(s) as of {today.isoformat()}: {ended} ended (their findings are open again), "
        f"{unmatched} matching no finding.",
        "",
        *markdown.table(
            ("rule", "where", "owner", "reference", "age", "expires", "in force until", "state", "findings",
             "written at"),
            [(markdown.code(item.acknowledgment.id), markdown.code(item.acknowledgment.where),
              markdown.text(_owner(item.acknowledgment)), markdown.text(item.acknowledgment.reference or "-"),
              f"{item.age_days} days" if item.age_days is not None else "-",
              item.acknowledgment.expires.isoformat() if item.acknowledgment.expires else "-",
              item.ends.isoformat() if item.ends else "no end",
              markdown.text(item.state), str(len(item.findings)) if item.findings else "none",
              markdown.code(item.acknowledgment.origin or item.acknowledgment.construct_path))
             for item in listed]),
    ]
    return "\n".join(lines)


def _owner(acknowledgment: Acknowledgment) -> str:
    if acknowledgment.by_library:
        return "omics-secure (construct design)"
    return acknowledgment.owner or "none"
