"""Durations given as props, checked once: a cdk.Duration of whole days within a range."""

from __future__ import annotations

import aws_cdk as cdk

from omics_secure._internal.errors import ProblemCollector

ANY_DAYS = (1, 36500)


def optional_days(problems: ProblemCollector, prop: str, value: cdk.Duration | None, default: int,
                  allowed: tuple[int, int] = ANY_DAYS, what: str = "") -> int | None:
    """Whole days of ``value`` (None if it is None), recording a problem for anything else.

    ``default`` is the example the fix suggests; ``what`` names the limit in the message
    ("the KMS deletion waiting period must be 7 to 30 days").
    """
    if value is None:
        return None
    if not isinstance(value, cdk.Duration):
        problems.add(prop, value, f"pass a cdk.Duration, e.g. cdk.Duration.days({default})")
        return None
    try:
        days = int(value.to_days())
    except Exception:  # jsii raises a plain Error for a duration that is not a whole number of days
        problems.add(prop, value.to_human_string(), f"use a whole number of days, e.g. cdk.Duration.days({default})")
        return None
    low, high = allowed
    if not low <= days <= high:
        subject = f"{what} must be" if what else "must be"
        problems.add(prop, f"{days} days", f"{subject} {low} to {high} days; e.g. cdk.Duration.days({default})")
    return days


def whole_days(problems: ProblemCollector, prop: str, value: cdk.Duration | None, default: int,
               allowed: tuple[int, int] = ANY_DAYS, what: str = "") -> int:
    """Like :func:`optional_days`, with ``default`` when ``value`` is None or unusable."""
    result = optional_days(problems, prop, value, default, allowed, what)
    return default if result is None else result
