"""Today's date, as every expiry judgment reads it: acknowledgments at synthesis and in the check.

Dates are UTC calendar days. ``OMICS_SECURE_TODAY=YYYY-MM-DD`` judges as of another day: to see in CI what
fails on the day an acknowledgment ends, and so that tests control the clock of the command and of the apps
it runs (the variable reaches them). The check says so in its output whenever it is set, so a date set by
mistake cannot pass unnoticed.
"""

from __future__ import annotations

import datetime
import os

TODAY_VARIABLE = "OMICS_SECURE_TODAY"


class ClockError(ValueError):
    """``OMICS_SECURE_TODAY`` is set to something that is not a date."""


def today() -> datetime.date:
    """The UTC date, or the date ``OMICS_SECURE_TODAY`` names."""
    pinned = os.environ.get(TODAY_VARIABLE)
    if pinned:
        try:
            return datetime.date.fromisoformat(pinned.strip())
        except ValueError as error:
            raise ClockError(f"{TODAY_VARIABLE}={pinned!r} is not a date; set it to YYYY-MM-DD or unset it") \
                from error
    return datetime.datetime.now(datetime.UTC).date()


def pinned_today() -> str | None:
    """The date ``OMICS_SECURE_TODAY`` pins, as set, or None when the real date is used."""
    return os.environ.get(TODAY_VARIABLE) or None
