"""acknowledge(): refuses weak reasons; recorded acknowledgments reach validation-report.json."""

from __future__ import annotations

import datetime

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms

from omics_secure import OmicsSecureConfigError
from omics_secure._internal.acknowledgment_terms import GOVERNANCE_METADATA, MAX_AGE_CONTEXT
from omics_secure._internal.clock import TODAY_VARIABLE
from omics_secure.compliance import acknowledge
from omics_secure.inputs.assembly import read_assembly
from tests.harness import check_compliance

REASON = "Disposable test key: rotation is exercised by the suite that turns it off on purpose"


def weak_key(stack):
    """A key that every pack reports: rotation off."""
    return kms.Key(stack, "DataKey", enable_key_rotation=False)


@pytest.mark.slow
def test_recorded_acknowledgment_moves_the_finding_to_acknowledged_with_its_reason(stack):
    key = weak_key(stack)
    acknowledge(key, "OmicsSecure-KMSKeyRotationEnabled", REASON)
    acknowledge(key, "NIST.800.53.R5-KMSBackingKeyRotationEnabled", REASON)
    acknowledge(key, "AwsSolutions-KMS5", REASON)
    result = check_compliance(stack)
    assert result.open_findings == ()
    acknowledged = {(f.rule_id, f.acknowledged_id, f.reason) for f in result.acknowledged_findings}
    assert ("OmicsSecure-KMSKeyRotationEnabled", "OmicsSecure::OmicsSecure-KMSKeyRotationEnabled", REASON) \
        in acknowledged
    assert ("AwsSolutions-KMS5", "AwsSolutions::AwsSolutions-KMS5", REASON) in acknowledged


@pytest.mark.slow
def test_acknowledging_one_rule_leaves_the_others_open(stack):
    key = weak_key(stack)
    acknowledge(key, "OmicsSecure-KMSKeyRotationEnabled", REASON)
    assert check_compliance(stack).open_rule_ids() == {
        "AwsSolutions-KMS5", "NIST.800.53.R5-KMSBackingKeyRotationEnabled"}


@pytest.mark.parametrize(("reason", "message"), [
    ("", r"reason='': give the specific reason"),
    ("   ", r"reason='   ': give the specific reason"),
    ("False positive.", r"reason='False positive.': a generic reason records nothing"),
    ("N/A", r"a generic reason records nothing"),
    ("OmicsSecure-KMSKeyRotationEnabled", r"a generic reason records nothing"),
    ("rotation handled elsewhere", r"write at least 6 words"),
])
def test_weak_reasons_are_refused(stack, reason, message):
    with pytest.raises(OmicsSecureConfigError, match=message):
        acknowledge(stack, "OmicsSecure-KMSKeyRotationEnabled", reason)


@pytest.mark.parametrize("rule_id", [
    "", "KMS5", "AwsSolutions KMS5", "AwsSolutions-", "HIPAA.Security::AwsSolutions-S1"])
def test_malformed_rule_ids_are_refused(stack, rule_id):
    with pytest.raises(OmicsSecureConfigError, match=r"rule_id=.*exactly as the validation report prints it"):
        acknowledge(stack, rule_id, REASON)


@pytest.mark.parametrize("rule_id", [
    "AwsSolutions-IAM5[Action::s3:*]",
    "AwsSolutions::AwsSolutions-IAM5[Resource::*]",
    "HIPAA.Security-S3BucketReplicationEnabled",
])
def test_granular_and_prefixed_ids_are_accepted(stack, rule_id):
    acknowledge(stack, rule_id, REASON)
    entries = [m.data for m in stack.node.metadata if m.type == "aws:cdk:acknowledged-rules"]
    assert entries and all("::" in written for entry in entries for written in entry)


# --- owner, reference and end -----------------------------------------------------------------------------------

TODAY = datetime.date(2026, 1, 15)
ACCOUNTABLE = {"owner": "security-officer@example.org", "reference": "RISK-142", "expires": datetime.date(2026, 6, 30)}


@pytest.fixture
def clock(monkeypatch):
    """Pin acknowledge()'s today (the same variable the command and the apps it runs read)."""
    monkeypatch.setenv(TODAY_VARIABLE, TODAY.isoformat())

    def set_today(day: datetime.date) -> None:
        monkeypatch.setenv(TODAY_VARIABLE, day.isoformat())
    return set_today


def metadata(construct, kind: str) -> list:
    return [entry.data for entry in construct.node.metadata if entry.type == kind]


def test_an_accountable_acknowledgment_records_its_owner_reference_and_end_beside_cdk_s(stack, clock):
    key = weak_key(stack)
    acknowledge(key, "OmicsSecure-KMSKeyRotationEnabled", REASON, **ACCOUNTABLE)
    assert metadata(key, "aws:cdk:acknowledged-rules") == [{"OmicsSecure::OmicsSecure-KMSKeyRotationEnabled": REASON}]
    assert metadata(key, GOVERNANCE_METADATA) == [{
        "id": "OmicsSecure::OmicsSecure-KMSKeyRotationEnabled", "reason": REASON, "source": "app",
        "owner": "security-officer@example.org", "reference": "RISK-142", "expires": "2026-06-30"}]


def test_the_assembly_reads_the_acknowledgment_with_its_owner_and_end(stack, clock, app):
    key = weak_key(stack)
    acknowledge(key, "AwsSolutions-KMS5", REASON, owner="platform-team", reference="CHG-7", expires="2026-02-01",
                approved=datetime.date(2026, 1, 2))
    app.synth()
    (read,) = read_assembly(app.outdir)[0].acknowledgments["TestStack/DataKey"]
    assert (read.id, read.owner, read.reference, read.expires, read.approved, read.source) == (
        "AwsSolutions::AwsSolutions-KMS5", "platform-team", "CHG-7", datetime.date(2026, 2, 1),
        datetime.date(2026, 1, 2), "app")


def test_an_ended_acknowledgment_hides_nothing_from_cdk_synth_but_is_still_on_record(stack, clock, app):
    clock(datetime.date(2026, 7, 1))
    key = weak_key(stack)
    acknowledge(key, "AwsSolutions-KMS5", REASON, **ACCOUNTABLE)
    assert metadata(key, "aws:cdk:acknowledged-rules") == []
    (warning,) = [m for m in metadata(key, "aws:cdk:warning")]
    assert warning.startswith("The acknowledgment of AwsSolutions::AwsSolutions-KMS5 by security-officer@example.org "
                              "(RISK-142) until 2026-06-30 has ended: the finding is reported again.")
    app.synth()
    (read,) = read_assembly(app.outdir)[0].acknowledgments["TestStack/DataKey"]
    assert read.expires == datetime.date(2026, 6, 30) and read.reason == REASON


def test_an_acknowledgment_ending_within_30_days_is_a_synthesis_warning(stack, clock):
    clock(datetime.date(2026, 6, 1))
    key = weak_key(stack)
    acknowledge(key, "AwsSolutions-KMS5", REASON, **ACCOUNTABLE)
    assert metadata(key, "aws:cdk:acknowledged-rules")
    assert any("ends in 29 day(s)" in m for m in metadata(key, "aws:cdk:warning"))


@pytest.mark.parametrize(("fields", "message"), [
    ({"owner": "security-officer@example.org"},
     r"reference=None: name the ticket.*\n.*expires=None: give the last day"),
    ({"expires": datetime.date(2026, 6, 30)}, r"owner=None: name the person or role who accepted the finding"),
    ({**ACCOUNTABLE, "expires": datetime.date(2027, 1, 16)},
     r"expires=datetime.date\(2027, 1, 16\): 366 days from 2026-01-15 is beyond the maximum age of 365 days; end it "
     r"by 2027-01-15 .*\(omics-secure:acknowledgment-max-age-days in cdk.json\)"),
    ({**ACCOUNTABLE, "expires": datetime.datetime(2026, 6, 30, 12, 0)}, r"expires=.*pass a datetime.date"),
    ({**ACCOUNTABLE, "expires": "June 30"}, r"expires='June 30': pass a datetime.date"),
    ({**ACCOUNTABLE, "approved": datetime.date(2026, 2, 1)}, r"approved=.*is after today \(2026-01-15\)"),
    ({**ACCOUNTABLE, "reference": "patient MRN 1234567"}, r"reference=.*looks like it contains a medical record"),
    ({**ACCOUNTABLE, "paths": ""}, r"paths='': give a glob of construct paths"),
])
def test_incomplete_or_overlong_acknowledgments_are_refused_naming_each_prop(stack, clock, fields, message):
    with pytest.raises(OmicsSecureConfigError, match=message):
        acknowledge(weak_key(stack), "AwsSolutions-KMS5", REASON, **fields)


def test_the_project_sets_the_maximum_age_in_context(tmp_path, clock):
    from tests.harness import ENV, make_app

    app = make_app(tmp_path / "out", **{MAX_AGE_CONTEXT: 700})
    stack = cdk.Stack(app, "Keys", env=ENV)
    acknowledge(weak_key(stack), "AwsSolutions-KMS5", REASON, **{**ACCOUNTABLE, "expires": datetime.date(2027, 6, 1)})
    wrong = make_app(tmp_path / "wrong", **{MAX_AGE_CONTEXT: "a year"})
    with pytest.raises(OmicsSecureConfigError, match=r"context omics-secure:acknowledgment-max-age-days='a year'"):
        acknowledge(weak_key(cdk.Stack(wrong, "Keys", env=ENV)), "AwsSolutions-KMS5", REASON, **ACCOUNTABLE)


def test_a_reason_that_looks_like_phi_is_refused(stack):
    with pytest.raises(OmicsSecureConfigError, match=r"reason=.*looks like it contains a e-mail address"):
        acknowledge(stack, "AwsSolutions-KMS5", "Approved for jane.doe@example.org whose scans sit in this bucket")


def test_one_acknowledgment_covers_one_rule_over_a_path_pattern(stack, clock, app):
    for name in ("IngestRole", "ExportRole", "Audit"):
        iam.Role(stack, name, assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    acknowledge(stack, "AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/ReadOnlyAccess]", REASON,
                paths="*/*Role", **ACCOUNTABLE)
    app.synth()
    acknowledged = read_assembly(app.outdir)[0].acknowledgments
    assert sorted(path for path, found in acknowledged.items() if found) == ["TestStack/ExportRole",
                                                                             "TestStack/IngestRole"]
    (on_ingest,) = acknowledged["TestStack/IngestRole"]
    assert on_ingest.owner == "security-officer@example.org"


def test_the_library_s_own_acknowledgments_are_marked_as_its_design(stack, app):
    from omics_secure import AccessLogBucket

    AccessLogBucket(stack, "Logs")
    app.synth()
    recorded = [a for found in read_assembly(app.outdir)[0].acknowledgments.values() for a in found]
    assert recorded and all(a.by_library and a.expires is None for a in recorded)


def test_a_path_pattern_that_matches_nothing_fails_synthesis_naming_it(stack, clock, app):
    iam.Role(stack, "IngestRole", assumed_by=iam.ServicePrincipal("lambda.amazonaws.com"))
    acknowledge(stack, "AwsSolutions-IAM5[Action::s3:*]", REASON, paths="*/*Rol", **ACCOUNTABLE)
    with pytest.raises(RuntimeError, match=r"acknowledge\(TestStack\): paths='\*/\*Rol' matches no construct below "
                                           r"TestStack"):
        app.synth()


def test_one_rule_acknowledged_twice_on_one_construct_keeps_each_owner(stack, clock, app):
    """Two grants on one policy acknowledge the same granular id; a renewal sits beside the ended original."""
    from omics_secure._internal.acknowledgments import acknowledge_by_design

    key = weak_key(stack)
    acknowledge_by_design(key, "AwsSolutions-KMS5", f"{REASON}, first grant")
    acknowledge_by_design(key, "AwsSolutions-KMS5", f"{REASON}, second grant")
    acknowledge(key, "OmicsSecure-KMSKeyRotationEnabled", f"{REASON}, ended", **{
        **ACCOUNTABLE, "expires": datetime.date(2026, 1, 14)})
    acknowledge(key, "OmicsSecure-KMSKeyRotationEnabled", f"{REASON}, renewed", **{
        **ACCOUNTABLE, "reference": "RISK-142-renewed"})
    app.synth()
    read = read_assembly(app.outdir)[0].acknowledgments["TestStack/DataKey"]
    assert [(a.rule_id, a.source, a.reference, a.reason.rsplit(", ", 1)[1]) for a in read] == [
        ("AwsSolutions-KMS5", "omics-secure construct", None, "first grant"),
        ("AwsSolutions-KMS5", "omics-secure construct", None, "second grant"),
        ("OmicsSecure-KMSKeyRotationEnabled", "app", "RISK-142-renewed", "renewed"),
        ("OmicsSecure-KMSKeyRotationEnabled", "app", "RISK-142", "ended"),
    ]
