"""The OmicsSecure pack's rule records: each says how to fix what it finds."""

from __future__ import annotations

import pytest

from omics_secure.compliance.packs import OMICS_SECURE_PACK


@pytest.mark.parametrize("rule", OMICS_SECURE_PACK.rules, ids=lambda rule: rule.id)
def test_every_rule_says_how_to_fix_it(rule):
    assert len(rule.fix.split()) >= 8, rule.id
    assert rule.fix != rule.explanation
