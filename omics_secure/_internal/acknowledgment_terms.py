"""What every acknowledgment must say, wherever it is written (``acknowledge()`` in an app, an entry of the
acknowledgments file): a rule id as the packs print it, a reason a security reviewer can accept, and, for an
accountable one, who accepted it (owner), under which record (reference) and until when (expires).

Pure functions, no aws_cdk: the command checks the acknowledgments file with them without starting jsii.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass

MINIMUM_REASON_WORDS = 6
DEFAULT_MAX_AGE_DAYS = 365
"""How far ahead an acknowledgment may end, unless the project configures it (``max_age_days`` in the file,
the ``omics-secure:acknowledgment-max-age-days`` context key in an app): a yearly review at least."""
LONGEST_MAX_AGE_DAYS = 3 * 365
EXPIRY_WARNING_DAYS = 30
"""An acknowledgment that ends within this many days is a warning, so its renewal is planned before the
finding reopens and fails the check."""
MAX_FIELD_CHARACTERS = 1000

GOVERNANCE_METADATA = "omics-secure:acknowledgment"
"""The assembly metadata type that records an acknowledgment's owner, reference and dates beside the
``aws:cdk:acknowledged-rules`` entry CDK writes for its id and reason."""
MAX_AGE_CONTEXT = "omics-secure:acknowledgment-max-age-days"
ENDED_WARNING = "omics-secure:acknowledgment-ended"
ENDING_WARNING = "omics-secure:acknowledgment-ending"
"""The ids of acknowledge()'s synthesis warnings: one has ended (the finding is reported again), one ends soon."""

# Where an acknowledgment was written; the reports name it.
SOURCE_APP = "app"
SOURCE_FILE = "acknowledgments file"
SOURCE_LIBRARY = "omics-secure construct"
SOURCE_CDK_NAG_2 = "cdk-nag 2 NagSuppressions"  # cdk-nag 2's suppressions in the template's metadata
"""Acknowledged by one of this library's constructs for an AWS constraint or a design choice it documents:
owned by the library release, and not a project's exception, so it carries no expiry."""

_GENERIC_REASONS = frozenset({
    "n/a", "na", "none", "todo", "tbd", "fixme", "ok", "okay", "fine", "accepted", "acknowledged",
    "suppressed", "ignore", "ignored", "not needed", "not required", "not applicable", "false positive",
    "by design", "intentional", "known issue", "will fix later", "approved", "reviewed", "test",
})
_RULE_ID = re.compile(
    r"^(?:(?P<prefix>[A-Za-z0-9.]+)::)?(?P<bare>(?P<pack>[A-Za-z0-9.]+)-[A-Za-z0-9]+(?:\[.+\])?)$")
RULE_ID_FIX = ("use a pack rule id such as 'HIPAA.Security-S3BucketReplicationEnabled' or "
               "'AwsSolutions-IAM5[Action::s3:*]', exactly as the validation report prints it")


@dataclass(frozen=True)
class RuleId:
    """A rule id split: ``pack`` (``AwsSolutions``), ``bare`` (``AwsSolutions-IAM5[Action::s3:*]``), and whether
    it was written with the ``Pack::`` prefix."""

    pack: str
    bare: str
    prefixed: bool

    @property
    def recorded(self) -> str:
        """The ``Pack::RuleId`` form CDK records in validation-report.json."""
        return f"{self.pack}::{self.bare}"


def parse_rule_id(written: object) -> RuleId | None:
    """``written`` as a rule id, or None when it is not one (or its prefix names another pack than the id)."""
    match = _RULE_ID.match(written.strip()) if isinstance(written, str) else None
    if match is None or match["prefix"] not in (None, match["pack"]):
        return None
    return RuleId(match["pack"], match["bare"], match["prefix"] is not None)


def cleaned(text: object) -> str:
    """``text`` with its whitespace collapsed; '' for anything that is not a string."""
    return " ".join(text.split()) if isinstance(text, str) else ""


def reason_problem(reason: object, bare_rule_id: str) -> str | None:
    """Why ``reason`` records nothing a reviewer can accept, as the fix to make; None when it does."""
    text = cleaned(reason)
    normalized = text.lower().strip(" .!")
    if not text:
        return "give the specific reason the finding is acceptable"
    if normalized in _GENERIC_REASONS or normalized == bare_rule_id.lower():
        return "a generic reason records nothing; name the AWS constraint or compensating control"
    if len(text.split()) < MINIMUM_REASON_WORDS:
        return f"write at least {MINIMUM_REASON_WORDS} words: what the constraint is and why it is safe"
    return None


def text_problem(value: object, what: str) -> str | None:
    """Why an owner or a reference cannot be recorded, as the fix; None when it can."""
    if not cleaned(value):
        return f"name the {what}"
    if len(cleaned(value)) > MAX_FIELD_CHARACTERS:
        return f"keep it under {MAX_FIELD_CHARACTERS} characters"
    return None


def expiry_problems(expires: datetime.date, approved: datetime.date | None, today: datetime.date,
                    max_age_days: int) -> list[tuple[str, str]]:
    """What is wrong with an acknowledgment's dates, as (field, fix) pairs: an end further ahead than the
    maximum age (counted from today, and from ``approved`` when given), an approval in the future or after
    the end. An end in the past is no problem here: the acknowledgment has expired, and its finding is open."""
    problems = []
    latest = today + datetime.timedelta(days=max_age_days)
    if expires > latest:
        problems.append(("expires", f"{(expires - today).days} days from {today.isoformat()} is beyond the maximum "
                                    f"age of {max_age_days} days; end it by {latest.isoformat()} and renew it then, or "
                                    "raise the project's maximum age"))
    if approved is not None:
        if approved > today:
            problems.append(("approved", f"is after today ({today.isoformat()}); give the date it was approved"))
        elif approved > expires:
            problems.append(("approved", f"is after expires ({expires.isoformat()})"))
        elif (expires - approved).days > max_age_days:
            problems.append(("expires", f"{(expires - approved).days} days after approved ({approved.isoformat()}) "
                                        f"is beyond the maximum age of {max_age_days} days"))
    return problems


def ends_on(expires: datetime.date | None, data_use_ends: datetime.date | None) -> datetime.date | None:
    """The last day an acknowledgment is in force: its ``expires``, or the day before a data-use end date that
    comes first (controlled data is deleted at 00:00 UTC on that date, and no exception outlives it)."""
    if data_use_ends is None:
        return expires
    last_day = data_use_ends - datetime.timedelta(days=1)
    return last_day if expires is None or last_day < expires else expires
