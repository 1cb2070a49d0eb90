"""cdk-nag 2's suppressions, as the template carries them, read as acknowledgments.

cdk-nag 2's ``NagSuppressions.add_resource_suppressions`` writes each suppression into the resource's template
metadata, and ``add_stack_suppressions`` into the template's own (``Metadata: cdk_nag: rules_to_suppress: [{id,
reason, applies_to, is_reason_encoded}]``); a reason with a character above U+00FF is base64-encoded there.
cdk-nag 3 has no ``NagSuppressions``: it reads ``Validations.of(construct).acknowledge(...)`` instead. An app
written for cdk-nag 2 is judged by cdk-nag 3's packs here, and its suppressions are honoured as cdk-nag 2 applied
them (``NagSuppressionHelper.doesApply`` in cdk-nag 2's src/utils/nag-suppression-helper.ts): without
``applies_to`` a suppression covers every finding of its rule; with it, the granular findings it names, exactly
or by a ``{"regex": "/pattern/flags"}``.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

METADATA_KEY = "cdk_nag"
REGEX_MARK = "regex:"
_JS_REGEX = re.compile(r"/(.*)/(.*)?", re.DOTALL)
_FLAGS = {"i": re.IGNORECASE, "m": re.MULTILINE, "s": re.DOTALL}


@dataclass(frozen=True)
class Suppression:
    """One cdk-nag 2 suppression: the rule id (``AwsSolutions-IAM5``), its reason, and what it applies to: empty
    for every finding of the rule, else the findings' ids (``Resource::*``) or ``/regex/flags`` patterns."""

    rule_id: str
    reason: str
    applies_to: tuple[str, ...] = ()

    def ids(self) -> list[str]:
        """The acknowledgment ids it stands for: the rule id, or one granular id per entry of ``applies_to``
        (``AwsSolutions-IAM5[Resource::*]``, ``AwsSolutions-IAM5[regex:/^Action::s3:.*$/]``)."""
        if not self.applies_to:
            return [self.rule_id]
        return [f"{self.rule_id}[{entry}]" for entry in self.applies_to]


def covers(acknowledged_id: str, rule_id: str) -> bool:
    """Whether a cdk-nag 2 suppression, by the id :meth:`Suppression.ids` gave it, covers the finding ``rule_id``
    (``AwsSolutions-IAM5`` or granular ``AwsSolutions-IAM5[Resource::*]``)."""
    if acknowledged_id == rule_id:
        return True
    mine, _, applies = acknowledged_id.partition("[")
    rule, _, finding = rule_id.partition("[")
    if mine != rule:
        return False
    if not applies:
        return True  # no applies_to: every finding of the rule, granular ones included
    entry, finding = applies.removesuffix("]"), finding.removesuffix("]")
    if not entry.startswith(REGEX_MARK):
        return entry == finding
    pattern = _JS_REGEX.fullmatch(entry.removeprefix(REGEX_MARK))
    if pattern is None or not finding:
        return False
    flags = 0
    for letter in pattern.group(2) or "":
        flags |= _FLAGS.get(letter, 0)
    try:
        return re.search(pattern.group(1), finding, flags) is not None
    except re.error:
        return False  # a JavaScript pattern Python cannot read acknowledges nothing; the finding stays open


def suppressions(metadata: Any) -> list[Suppression]:
    """The suppressions of one ``Metadata`` object (a resource's or the template's); malformed entries, which
    cdk-nag 2 itself refuses, acknowledge nothing."""
    nag = metadata.get(METADATA_KEY) if isinstance(metadata, Mapping) else None
    entries = nag.get("rules_to_suppress") if isinstance(nag, Mapping) else None
    found = []
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, Mapping) or not isinstance(entry.get("id"), str) or "[" in entry["id"]:
            continue
        reason = _reason(entry)
        applies = entry.get("applies_to")
        applies_to = tuple(_applies(item) for item in applies) if isinstance(applies, list) else ()
        if reason is None or any(item is None for item in applies_to):
            continue
        found.append(Suppression(entry["id"], reason, tuple(item for item in applies_to if item is not None)))
    return found


def _reason(entry: Mapping[str, Any]) -> str | None:
    reason = entry.get("reason")
    if not isinstance(reason, str):
        return None
    if entry.get("is_reason_encoded") is True:
        try:
            return base64.b64decode(reason, validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            return None
    return reason


def _applies(item: Any) -> str | None:
    if isinstance(item, str):
        return item
    if isinstance(item, Mapping) and isinstance(item.get("regex"), str):
        return REGEX_MARK + str(item["regex"])
    return None
