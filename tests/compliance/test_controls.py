"""NIST SP 800-171 rev. 3 beside rev. 2: the one r2-to-r3 table, and every rule's rev. 3 ids."""

from __future__ import annotations

import re

import pytest

from omics_secure.compliance.controls import (
    CONTROL_IDS,
    NIST_800_171,
    NIST_800_171_R3,
    R2_TO_R3,
    R2_WITHOUT_R3,
)
from omics_secure.compliance.model import Controls
from omics_secure.compliance.packs import OMICS_SECURE_PACK

R3_ID = re.compile(r"^03\.(0[1-9]|1[0-7])\.\d\d$")


def test_the_table_covers_all_110_rev2_requirements_in_rev3_form():
    assert len(R2_TO_R3) == 110
    assert {"3.1.1", "3.1.22", "3.13.16", "3.14.7"} <= set(R2_TO_R3)
    assert all(R3_ID.match(r3) for ids in R2_TO_R3.values() for r3 in ids)


@pytest.mark.parametrize(("r2", "r3"), [
    ("3.1.1", ("03.01.01",)),  # kept: its own number
    ("3.13.11", ("03.13.11",)),
    ("3.13.16", ("03.13.08",)),  # withdrawn: incorporated into transmission and storage confidentiality
    ("3.13.5", ("03.13.01",)),  # withdrawn: incorporated into boundary protection
    ("3.1.13", ("03.13.08",)),  # withdrawn: addressed by 03.13.08
    ("3.13.7", ("03.01.12", "03.04.02", "03.04.06")),
])
def test_withdrawn_requirements_map_to_where_rev3_put_them(r2, r3):
    assert R2_TO_R3[r2] == r3


def test_only_voice_over_ip_has_no_rev3_home():
    assert set(R2_WITHOUT_R3) == {"3.13.14"}


def test_controls_derive_rev3_from_rev2_unless_a_rule_states_its_own():
    assert Controls(nist_800_171_r2=("3.13.16", "3.13.8")).nist_800_171_r3 == ("03.13.08",)
    assert Controls(nist_800_171_r2=("3.3.1",), nist_800_171_r3=("03.03.03",)).nist_800_171_r3 == ("03.03.03",)
    assert Controls(hipaa=("164.312(b)",)).nist_800_171_r3 == ()


@pytest.mark.parametrize("rule", OMICS_SECURE_PACK.rules, ids=lambda rule: rule.id)
def test_every_rule_cites_rev3_requirements_of_the_catalogue(rule):
    r2, r3 = rule.controls.nist_800_171_r2, rule.controls.nist_800_171_r3
    assert r3, f"{rule.id} cites no NIST 800-171 r3 requirement"
    assert set(r2) <= CONTROL_IDS[NIST_800_171]
    missing = set(r3) - CONTROL_IDS[NIST_800_171_R3]
    assert not missing, f"{rule.id}: add {sorted(missing)} to compliance/controls.py with NIST's r3 titles"


def test_every_rev2_requirement_of_the_catalogue_has_its_rev3_requirements_there():
    for r2 in CONTROL_IDS[NIST_800_171]:
        assert set(R2_TO_R3[r2]) <= CONTROL_IDS[NIST_800_171_R3], r2


def test_the_docs_table_is_the_mapping_table():
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "nist-800-171-r3.md"
    rows = [line.split("|")[1:3] for line in page.read_text(encoding="utf-8").splitlines()
            if re.match(r"^\| 3\.\d+\.\d+ \|", line)]
    documented = {r2.strip(): tuple(re.findall(r"03\.\d\d\.\d\d", r3)) for r2, r3 in rows}
    assert documented == dict(R2_TO_R3)
