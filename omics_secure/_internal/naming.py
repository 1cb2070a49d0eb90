"""Detect values that look like PHI where PHI must never go: resource names, tags and descriptions.

Names, tags and metadata are not encrypted with the data they describe and show up in consoles, logs,
billing reports and CloudTrail, so the HIPAA-on-S3 guidance and the HealthOmics data-protection guide
both say to keep sensitive data out of them. These patterns catch the identifiers that most often leak
into names by accident: e-mail addresses, US social security numbers, phone numbers and medical record
numbers. They are a guard-rail against mistakes, not a PHI classifier (that is Amazon Macie's job).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class PhiPattern:
    """A kind of identifier that must not appear in a name or tag, and how it is recognised."""

    kind: str
    pattern: re.Pattern[str]


# Separators are required in SSNs and phone numbers: bare digit runs are account ids, dates and
# sample numbers far more often than identifiers, and refusing them would refuse ordinary names.
PHI_PATTERNS: tuple[PhiPattern, ...] = (
    PhiPattern("e-mail address", re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")),
    PhiPattern("social security number", re.compile(r"(?<!\d)\d{3}([-. ])\d{2}\1\d{4}(?!\d)")),
    PhiPattern("phone number", re.compile(
        r"(?<![\d.])(\+?1[-. ]?)?(\(\d{3}\)\s?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\d.])")),
    PhiPattern("medical record number", re.compile(
        r"(?i)(?<![a-z])(mrn|medical[-_ .]?record(?:[-_ .]?(?:number|num|no))?)[-_:#=. ]*\d{3,}")),
)


def phi_like(value: str) -> str | None:
    """The kind of identifier ``value`` appears to contain ("e-mail address", ...), or None."""
    for phi in PHI_PATTERNS:
        if phi.pattern.search(value):
            return phi.kind
    return None


PHI_NAME_FIX = (
    "names, tags and metadata are not encrypted with the data; use an opaque identifier (a project or "
    "study code, a random id) and keep identifiers inside the encrypted objects"
)


NAME_SUFFIX_PATTERN = re.compile(r"^[a-z0-9]{1,8}$")
NAME_SUFFIX_FIX = (
    "use 1-8 lower-case letters or digits, e.g. 'r2': the suffix goes into S3 bucket, trail and log-group "
    "names, and changing it names new resources on the next deploy (the retained old ones stay)"
)


def is_valid_name_suffix(value: object) -> bool:
    """True for a suffix :data:`NAME_SUFFIX_PATTERN` accepts; the caller records the problem otherwise."""
    return isinstance(value, str) and bool(NAME_SUFFIX_PATTERN.match(value))
