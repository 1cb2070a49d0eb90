"""NIST SP 800-171 Rev. 2 requirements and the Rev. 3 requirements that answer for them, in one table.

Rev. 3 (https://csrc.nist.gov/pubs/sp/800/171/r3/final, May 2024) kept Rev. 2's numbering in its own
``03.01.01`` form and marked the requirements it withdrew, each pointing at the Rev. 3 requirement that
incorporated or addresses it. This table follows NIST's OSCAL catalog of Rev. 3
(https://github.com/usnistgov/oscal-content/tree/main/nist.gov/SP800-171/rev3, the ``incorporated_into``
and ``addressed_by`` links of its withdrawn requirements) and NIST's Rev. 2 to Rev. 3 comparison published
with the revision (https://csrc.nist.gov/files/pubs/sp/800/171/r3/final/docs/sp800-171r2-to-r3-comparison.xlsx):
a requirement Rev. 3 kept maps to its own number, a withdrawn one to where its content went. One Rev. 2
requirement has no Rev. 3 home (3.13.14, voice over IP; see :data:`R2_WITHOUT_R3`); it maps to nothing.

Plain data in ``_internal`` so that :class:`~omics_secure._internal.verdicts.Controls` can derive a
rule's Rev. 3 ids from its Rev. 2 ids without importing the compliance package.
"""

from __future__ import annotations

from types import MappingProxyType

__all__ = ["R2_TO_R3", "R2_WITHOUT_R3", "r3_for"]

# Withdrawn in Rev. 3: where each Rev. 2 requirement went ("incorporated into" or "addressed by").
_WITHDRAWN: dict[str, tuple[str, ...]] = {
    # Read from the catalog's links (the requirements the project's rules cite are among these).
    "3.1.13": ("03.13.08",),  # remote-access cryptography: addressed by transmission and storage confidentiality
    "3.1.14": ("03.01.12",),
    "3.1.15": ("03.01.12",),
    "3.1.17": ("03.01.16",),
    "3.1.19": ("03.01.18",),
    "3.1.21": ("03.01.20",),
    "3.12.4": ("03.15.02",),
    "3.13.5": ("03.13.01",),  # public subnetworks: incorporated into boundary protection
    "3.13.7": ("03.01.12", "03.04.02", "03.04.06"),  # split tunnelling
    "3.13.14": (),  # voice over IP: withdrawn as technology-specific, no Rev. 3 requirement
    "3.13.16": ("03.13.08",),  # CUI at rest: incorporated into transmission and storage confidentiality
    "3.14.4": ("03.14.02",),
    "3.14.5": ("03.14.02",),
    # From the comparison's withdrawal notes; not yet read back from the catalog's links.
    "3.2.3": ("03.02.01",),
    "3.3.9": ("03.03.08",),
    "3.4.7": ("03.04.06",),
    "3.4.9": ("03.01.05", "03.01.06", "03.01.07", "03.04.08", "03.12.03"),
    "3.5.6": ("03.01.01",),
    "3.5.8": ("03.05.07",),
    "3.5.9": ("03.05.07",),
    "3.5.10": ("03.05.07",),
    "3.7.1": ("03.07.04", "03.07.06"),
    "3.7.2": ("03.07.04", "03.07.06"),
    "3.7.3": ("03.08.03",),
    "3.8.6": ("03.13.08",),
    "3.8.8": ("03.08.07",),
    "3.11.3": ("03.11.02",),
    "3.13.2": ("03.16.01",),
    "3.13.3": ("03.01.01", "03.01.02", "03.01.03", "03.01.04", "03.01.05", "03.01.06", "03.01.07"),
    "3.14.7": ("03.14.06",),
}

# Rev. 2's 110 requirements per family (3.1 has 22, 3.2 has 3, ...).
_FAMILY_SIZES = {1: 22, 2: 3, 3: 9, 4: 9, 5: 11, 6: 3, 7: 6, 8: 9, 9: 2, 10: 6, 11: 3, 12: 4, 13: 16, 14: 7}


def _rev3(r2: str) -> str:
    family, number = r2.removeprefix("3.").split(".")
    return f"03.{int(family):02d}.{int(number):02d}"


R2_TO_R3: MappingProxyType[str, tuple[str, ...]] = MappingProxyType({
    r2: _WITHDRAWN.get(r2, (_rev3(r2),))
    for family, size in _FAMILY_SIZES.items()
    for r2 in (f"3.{family}.{number}" for number in range(1, size + 1))
})
"""Every Rev. 2 requirement id (``3.13.16``) to the Rev. 3 requirement ids (``03.13.08``) that answer for it."""

R2_WITHOUT_R3 = frozenset(r2 for r2, r3 in R2_TO_R3.items() if not r3)
"""Rev. 2 requirements withdrawn in Rev. 3 with no Rev. 3 requirement taking their content."""


def r3_for(r2_ids: tuple[str, ...]) -> tuple[str, ...]:
    """The Rev. 3 ids for ``r2_ids``, in order and without repeats; unknown Rev. 2 ids give none."""
    found: list[str] = []
    for r2 in r2_ids:
        for r3 in R2_TO_R3.get(r2, ()):
            if r3 not in found:
                found.append(r3)
    return tuple(found)
