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


# Names (S3 bucket names, KMS alias names, construct ids and what is derived from them) are held to more than
# free text: they are global or listed in every console, and a name is where an identifier lands when a
# resource is made per patient or per sample. Besides the identifiers above, a name must not hold a record word
# followed by digits, nine digits standing alone (an SSN without its dashes), or any run of 8 or more digits (a
# record number, a date of birth written 19800131). Tag values and descriptions keep the free-text screen only:
# cost centres, ticket numbers and account ids are ordinary there.
RECORD_WORD_PATTERNS: tuple[PhiPattern, ...] = (
    PhiPattern("patient or subject identifier", re.compile(r"(?i)(?<![a-z])(patient|subject)[-_:#=. ]*\d{3,}")),
    PhiPattern("date of birth", re.compile(r"(?i)(?<![a-z])dob[-_:#=. ]*\d{3,}")),
    PhiPattern("medical record number", re.compile(r"(?i)(?<![a-z])mrn[-_:#=. ]*\d{3,}")),
)
DIGIT_RUN_PATTERNS: tuple[PhiPattern, ...] = (
    PhiPattern("social security number", re.compile(r"(?<![0-9A-Za-z])\d{9}(?![0-9A-Za-z])")),
    PhiPattern("long number (8 or more digits)", re.compile(r"\d{8,}")),
)
# Digit runs that are not identifiers of a person: an AWS account id (12 digits standing alone, as in
# 'access-logs-111122223333-us-east-1' or an ARN's account field), a hash (12 or more hex digits with two
# letters among them: CDK's generated physical names end in 20), the 8 hex digits CDK appends to a construct id
# in a name CloudFormation generates ('<stack>-<logical id>-<random suffix>', e.g. 'stack-bucket83908e77-1x2y3z'),
# and the 8 hex digits of the construct path in omics-secure's own default names ('omics-secure-replica-92852749-
# 111122223333-us-west-2').
_ACCOUNT_ID = re.compile(r"(?<![0-9A-Za-z])\d{12}(?![0-9A-Za-z])")
_HASH = re.compile(r"[0-9a-fA-F]{12,}")
_GENERATED_NAME_HASH = re.compile(
    r"(?i)(?<=[a-z])\d{8}(?=-(?=[a-z0-9]*[a-z])(?=[a-z0-9]*\d)[a-z0-9]{6,13}$)"
    r"|(?<=omics-secure-)(?:[a-z]+-)?\d{8}(?![0-9a-f])")


def phi_like_name(value: str) -> str | None:
    """The kind of identifier the name ``value`` appears to contain, or None: :func:`phi_like`,
    :data:`RECORD_WORD_PATTERNS`, and :data:`DIGIT_RUN_PATTERNS` on digits that are not an account id or a hash."""
    kind = phi_like(value)
    if kind is not None:
        return kind
    for phi in RECORD_WORD_PATTERNS:
        if phi.pattern.search(value):
            return phi.kind
    masked = _mask_generated_digits(value)
    for phi in DIGIT_RUN_PATTERNS:
        if phi.pattern.search(masked):
            return phi.kind
    return None


def _mask_generated_digits(value: str) -> str:
    """``value`` with the digits of account ids and generated hashes replaced by 'x'."""
    spans = [m.span() for m in (*_ACCOUNT_ID.finditer(value), *_GENERATED_NAME_HASH.finditer(value))]
    spans += [m.span() for m in _HASH.finditer(value) if sum(not c.isdigit() for c in m.group()) >= 2]
    characters = list(value)
    for start, end in spans:
        characters[start:end] = "x" * (end - start)
    return "".join(characters)


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
