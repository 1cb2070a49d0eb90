"""Validation of the free-text fields AWS services show unencrypted: names, descriptions, prefixes and tags."""

from __future__ import annotations

from collections.abc import Mapping

from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.naming import PHI_NAME_FIX, phi_like
from omics_secure._internal.tags import DATA_CLASSIFICATION_TAG


def check_label(problems: ProblemCollector, prop: str, value: str | None, maximum: int) -> None:
    """A name, description or prefix: 1 to ``maximum`` characters and nothing that looks like PHI."""
    if value is None or is_unresolved(value):
        return
    if not value.strip() or len(value) > maximum:
        problems.add(prop, value, f"use 1 to {maximum} characters")
    kind = phi_like(value)
    if kind is not None:
        problems.add(prop, value, f"it looks like PHI ({kind}); {PHI_NAME_FIX}")


def check_tags(problems: ProblemCollector, tags: Mapping[str, str] | None) -> None:
    """Tag keys and values that look like PHI, and the data-classification tag the constructs set."""
    for tag_key, tag_value in (tags or {}).items():
        if tag_key == DATA_CLASSIFICATION_TAG:
            problems.add(f"tags[{tag_key!r}]", tag_value, "this tag is set by the construct; remove it")
        for value in (tag_key, tag_value):
            kind = None if is_unresolved(value) else phi_like(str(value))
            if kind is not None:
                problems.add(f"tags[{tag_key!r}]", tag_value, f"it looks like PHI ({kind}); {PHI_NAME_FIX}")
