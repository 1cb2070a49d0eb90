"""The PHI-like value detector shared by constructs and rules: what it refuses and what it lets through."""

from __future__ import annotations

import pytest

from omics_secure._internal.naming import phi_like, phi_like_name


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


@pytest.mark.parametrize("value, kind", [
    ("Patient-123-45-6789", "social security number"),
    ("patient-12345678-wgs", "patient or subject identifier"),
    ("alias/omics-secure/S/Patient-00123", "patient or subject identifier"),
    ("subject_0042", "patient or subject identifier"),
    ("cohort-dob-19800131", "date of birth"),
    ("MRN00123456", "medical record number"),
    ("cohort-mrn-00123456", "medical record number"),
    ("patient-111122223333", "patient or subject identifier"),   # a record word makes any digits an identifier
    ("data-123456789", "social security number"),                 # nine digits standing alone
    ("alias/patient-123456789", "patient or subject identifier"),
    ("study42-raw-20240715", "long number (8 or more digits)"),   # a date written without separators
    ("sample12345678", "long number (8 or more digits)"),
    ("cohort-0012345678901", "long number (8 or more digits)"),   # 13 digits: not an account id
    ("jane.doe@hospital.org", "e-mail address"),
])
def test_phi_like_names_are_recognised(value, kind):
    assert phi_like_name(value) == kind


@pytest.mark.parametrize("value", [
    "access-logs-111122223333-us-east-1",                         # an account id standing alone
    "cdk-hnb659fds-assets-111122223333-us-east-1",
    "arn:aws:iam::111122223333:role/analyst",
    "stack-bucket83908e77-1x2y3z",                                # CloudFormation's generated name
    "stack-phidatabucket83908177-1x2y3z4a5b6c",                   # ... whose CDK hash is all digits
    "replicastackphidatareplica8390817712ab34cd56ef",             # CDK's generated physical name
    "omics-secure-replica-92852749-111122223333-us-west-2",       # omics-secure's default names
    "omics-secure-92852749-r2",
    "omics-secure-backup-92852749-us-east-1",
    "alias/omics-secure/Primary/PhiData/Key",
    "study42-raw-2024-07-15",
    "sample-NA12878",
    "subject-area-4",
    "primer-mrna-1234",
    "Case12",
])
def test_ordinary_and_generated_names_pass(value):
    assert phi_like_name(value) is None
