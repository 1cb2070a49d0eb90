"""Which acknowledgment hides which finding on a given day: the same decision for every pack and input, with the
clock set by the test."""

from __future__ import annotations

import datetime
from pathlib import Path
from typing import Any

import pytest

from omics_secure._internal.tags import PROJECT_DUC_ENDS_TAG
from omics_secure.compliance.acknowledgments import AcknowledgmentBook, govern, listing
from omics_secure.inputs.acknowledgments import Acknowledgment
from omics_secure.inputs.assembly import StackArtifact
from omics_secure.reporting.validation_report import PackResult, ReportedFinding

RULE = "OmicsSecure-KMSKeyRotationEnabled"
PACKED = f"OmicsSecure::{RULE}"
REASON = "Key material is imported from the institutional HSM and rotated there every quarter"
END = datetime.date(2026, 6, 30)
KEY_PATH = "Keys/Imported/Resource"


def accepted(**fields: Any) -> Acknowledgment:
    values: dict[str, Any] = {"id": PACKED, "reason": REASON, "construct_path": "Keys/Imported",
                              "owner": "security-officer@example.org", "reference": "RISK-142", "expires": END,
                              "origin": "Keys/Imported"}
    values.update(fields)
    return Acknowledgment(**values)


def stack(acknowledgments: tuple[Acknowledgment, ...] = (), *, key_tags: list[dict[str, str]] | None = None,
          tags: dict[str, str] | None = None, lifecycle_id: str = "DataUseEndDate") -> StackArtifact:
    resources: dict[str, Any] = {
        "ImportedKey": {"Type": "AWS::KMS::Key", "Properties": {"Tags": key_tags or []}},
        "DataBucket": {"Type": "AWS::S3::Bucket", "Properties": {"LifecycleConfiguration": {"Rules": [
            {"Id": lifecycle_id, "Status": "Enabled", "ExpirationDate": "2026-03-31T00:00:00.000Z"}]}}},
        "DataBucketPolicy": {"Type": "AWS::S3::BucketPolicy", "Properties": {}},
    }
    return StackArtifact(
        name="Keys", template_path=Path("Keys.template.json"), template={"Resources": resources},
        construct_paths={"ImportedKey": KEY_PATH, "DataBucket": "Keys/Data/Resource/Resource",
                         "DataBucketPolicy": "Keys/Data/Resource/Policy/Resource"},
        acknowledgments={a.construct_path: (a,) for a in acknowledgments if a.construct_path}, tags=tags or {})


def finding(path: str = KEY_PATH, rule: str = RULE, **fields: Any) -> ReportedFinding:
    return ReportedFinding(pack="OmicsSecure", rule_id=rule, description="The key does not rotate.",
                           severity="error", construct_path=path, **fields)


def decide(stacks: StackArtifact, today: datetime.date, *findings: ReportedFinding,
           file: tuple[Acknowledgment, ...] = ()):
    book = AcknowledgmentBook([stacks], file, today=today)
    governed = govern([PackResult("OmicsSecure", tuple(findings) or (finding(),), ())], book)
    return governed.packs[0], [n.message for n in governed.notices], governed


def test_an_acknowledgment_hides_its_finding_up_to_and_including_its_last_day():
    pack, _, _ = decide(stack((accepted(),)), END)
    (hidden,) = pack.acknowledged_findings
    assert not pack.open_findings
    assert hidden.reason == REASON and hidden.acknowledgment.owner == "security-officer@example.org"
    assert hidden.acknowledged_until == END
    assert hidden.accepted_by == "by security-officer@example.org (RISK-142) until 2026-06-30"


def test_the_day_after_the_finding_is_open_again_naming_who_accepted_it_until_when():
    pack, _, _ = decide(stack((accepted(),)), END + datetime.timedelta(days=1))
    (reopened,) = pack.open_findings
    assert not pack.acknowledged_findings and not reopened.acknowledged
    assert ("Was acknowledged by security-officer@example.org (RISK-142) until 2026-06-30 "
            f'("{REASON}"); that has ended, so the finding is open again') in reopened.description
    assert reopened.expired_acknowledgment == accepted()


def test_a_finding_cdk_already_moved_to_suppressed_violations_is_moved_back_once_ended():
    suppressed = finding(acknowledged_id=PACKED, reason=REASON)
    book = AcknowledgmentBook([stack((accepted(),))], today=END + datetime.timedelta(days=1))
    (pack,) = govern([PackResult("OmicsSecure", (), (suppressed,))], book).packs
    assert len(pack.open_findings) == 1 and not pack.acknowledged_findings


@pytest.mark.parametrize(("today", "warned"), [
    (END - datetime.timedelta(days=31), False), (END - datetime.timedelta(days=30), True), (END, True)])
def test_an_acknowledgment_ending_within_30_days_is_a_warning(today, warned):
    _, notices, _ = decide(stack((accepted(),)), today)
    ending = [n for n in notices if "renew it" in n]
    assert bool(ending) is warned
    if warned:
        days = (END - today).days
        assert ending == [f"acknowledgment of {PACKED} (by security-officer@example.org (RISK-142) until 2026-06-30): "
                          f"ends in {days} day(s); renew it (a new expires date its owner approves) or fix the "
                          "finding before it fails the check"]


def test_an_acknowledgment_without_owner_or_end_still_hides_but_is_a_warning():
    unowned = Acknowledgment(PACKED, REASON, "Keys/Imported")
    pack, notices, _ = decide(stack((unowned,)), END)
    assert pack.acknowledged_findings and pack.acknowledged_findings[0].acknowledged_until is None
    assert notices == [f"acknowledgment of {PACKED}: no owner and no reference and no expiry date, so nobody is "
                       "named as having accepted the risk and it never ends; use acknowledge(construct, rule_id, "
                       "reason, owner=..., reference=..., expires=...) from omics_secure.compliance, or an entry of "
                       "omics-secure.acknowledgments.yaml"]


def test_the_library_s_own_acknowledgments_never_end_and_warn_of_nothing():
    by_design = Acknowledgment(PACKED, REASON, "Keys/Imported", source="omics-secure construct")
    tagged = [{"Key": PROJECT_DUC_ENDS_TAG, "Value": "2026-01-31"}]
    pack, notices, _ = decide(stack((by_design,), key_tags=tagged), datetime.date(2030, 1, 1))
    assert pack.acknowledged_findings and not notices


@pytest.mark.parametrize("where", ["resource tag", "stack tag"])
def test_no_acknowledgment_outlives_its_resource_s_data_use_end_date(where):
    duc = [{"Key": PROJECT_DUC_ENDS_TAG, "Value": "2026-04-30"}]
    project = stack((accepted(),), key_tags=duc if where == "resource tag" else None,
                    tags={PROJECT_DUC_ENDS_TAG: "2026-04-30"} if where == "stack tag" else None)
    pack, notices, _ = decide(project, datetime.date(2026, 4, 29))
    assert pack.acknowledged_findings[0].acknowledged_until == datetime.date(2026, 4, 29)
    assert any("in force only until 2026-04-29, the day before the data-use end date 2026-04-30" in n
               for n in notices)
    pack, _, _ = decide(project, datetime.date(2026, 4, 30))
    (reopened,) = pack.open_findings
    assert "until 2026-04-29, the day before its data-use end date 2026-04-30" in reopened.description


def test_a_phi_bucket_s_data_use_end_date_covers_its_policy_too():
    bucket_policy = accepted(construct_path="Keys/Data", origin="Keys/Data", expires=datetime.date(2026, 6, 1))
    on_policy = finding("Keys/Data/Resource/Policy/Resource")
    pack, _, _ = decide(stack((bucket_policy,)), datetime.date(2026, 3, 31), on_policy)
    assert pack.open_findings, "the lifecycle rule DataUseEndDate (2026-03-31) ended the acknowledgment on 03-30"
    pack, _, _ = decide(stack((bucket_policy,), lifecycle_id="ExpireOldRuns"), datetime.date(2026, 3, 31), on_policy)
    assert pack.acknowledged_findings, "another lifecycle rule is no data-use end date"


def test_a_file_entry_hides_the_finding_of_its_rule_on_the_resource_it_names_only():
    entry = accepted(construct_path="", resource="ImportedKey", source="acknowledgments file", origin="acks.yaml:2")
    other_rule = finding(rule="OmicsSecure-KMSKeyRetained")
    pack, _, governed = decide(stack(), END, finding(), other_rule, file=(entry,))
    assert [f.rule_id for f in pack.acknowledged_findings] == [RULE]
    assert [f.rule_id for f in pack.open_findings] == ["OmicsSecure-KMSKeyRetained"]
    assert [(f.rule_id, f.construct_path) for f in governed.matched[entry]] == [(RULE, KEY_PATH)]


def test_a_file_entry_for_other_stacks_hides_nothing_here():
    entry = accepted(construct_path="", resource="ImportedKey", source="acknowledgments file", origin="acks.yaml:2",
                     stacks=frozenset({"other/data.yaml"}))
    pack, _, _ = decide(stack(), END, file=(entry,))
    assert pack.open_findings and not pack.acknowledged_findings


def test_an_entry_in_force_wins_over_an_ended_one():
    ended = accepted(expires=datetime.date(2026, 1, 31))
    renewed = accepted(construct_path="", resource="Keys/Imported", source="acknowledgments file",
                       origin="acks.yaml:2", reference="RISK-142-renewed")
    pack, _, _ = decide(stack((ended,)), datetime.date(2026, 2, 1), file=(renewed,))
    assert pack.acknowledged_findings[0].acknowledgment.reference == "RISK-142-renewed"


def test_a_granular_id_acknowledges_only_its_own_finding():
    granular = accepted(id="AwsSolutions::AwsSolutions-IAM5[Action::s3:*]")
    near_miss = finding(rule="AwsSolutions-IAM5[Action::s3:Get*]")
    pack, _, _ = decide(stack((granular,)), END, near_miss)
    assert pack.open_findings and not pack.acknowledged_findings


def test_file_entries_that_match_nothing_are_warnings():
    nowhere = accepted(construct_path="", resource="NoSuchKey", source="acknowledgments file", origin="acks.yaml:2")
    unfound = accepted(construct_path="", resource="DataBucket", source="acknowledgments file", origin="acks.yaml:9")
    _, notices, _ = decide(stack(), END, file=(nowhere, unfound))
    assert f"resource 'NoSuchKey' of the acknowledgment of {PACKED} matches no resource of the input" in notices[0]
    assert f"the acknowledgment of {PACKED} on DataBucket matches no finding of that rule there" in notices[1]


def test_a_rule_error_acknowledged_after_a_check_by_hand_reopens_as_an_error():
    error = finding(is_error=True)
    pack, _, _ = decide(stack((accepted(),)), END, error)
    assert pack.acknowledged_findings and not pack.errors
    pack, _, _ = decide(stack((accepted(),)), END + datetime.timedelta(days=1), error)
    assert pack.errors and not pack.acknowledged_findings and not pack.open_findings


def test_the_listing_says_who_until_when_how_old_and_what_each_matched():
    approved = accepted(approved=datetime.date(2026, 1, 1))
    unused = accepted(construct_path="", resource="DataBucket", source="acknowledgments file", origin="acks.yaml:9")
    book = AcknowledgmentBook([stack((approved,))], (unused,), today=datetime.date(2026, 6, 1))
    governed = govern([PackResult("OmicsSecure", (finding(),), ())], book)
    first, second = listing(book, governed)
    assert first.acknowledgment == unused and not first.findings  # the file's first
    assert second.age_days == 151 and second.state == "ends in 29 day(s)" and len(second.findings) == 1
    ended = listing(AcknowledgmentBook([stack((approved,))], today=datetime.date(2026, 7, 1)), governed)
    assert ended[0].state == "ended on 2026-06-30" and not ended[0].in_force
