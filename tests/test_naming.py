"""The PHI-like value detector shared by constructs and rules: what it refuses and what it lets through."""

from __future__ import annotations

import pytest

from omics_secure._internal.naming import phi_like


@pytest.mark.parametrize("value, kind", [
    ("jane.doe@example.org", "e-mail address"),
    ("owner=j_smith+genomics@hospital.co.uk", "e-mail address"),
    ("123-45-6789", "social security number"),
    ("results-123.45.6789", "social security number"),
    ("555-867-5309", "phone number"),
    ("(555) 867-5309", "phone number"),
    ("+1 555 867 5309", "phone number"),
    ("mrn-0012345", "medical record number"),
    ("MRN:778899", "medical record number"),
    ("medical_record_number_4455", "medical record number"),
    ("study42-medicalrecord-1234", "medical record number"),
])
def test_phi_like_values_are_recognised(value, kind):
    assert phi_like(value) == kind


@pytest.mark.parametrize("value", [
    "omics-secure-replica-92852749-111122223333-us-west-2",   # account ids are bare digit runs
    "study42-raw-2024-07-15",                                   # dates
    "TOPMed-phase-3",
    "10.0.12.7",
    "v1.2.3",
    "sample-NA12878",
    "123-456-78901",                                            # too many digits for a phone number
    "primer-mrna-1234",                                         # 'mrna' is not 'mrn'
])
def test_ordinary_names_pass(value):
    assert phi_like(value) is None
