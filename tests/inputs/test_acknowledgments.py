"""The acknowledgments file: read with the line of every value, checked against its shipped JSON Schema and the
terms of an acknowledgment, every problem naming the file, the line and the entry."""

from __future__ import annotations

import datetime
import json
import textwrap
import tomllib
from pathlib import Path

import jsonschema
import pytest

from omics_secure.inputs.acknowledgments import (
    ACKNOWLEDGMENTS_FILE,
    SCHEMA_FILE,
    Acknowledgment,
    AcknowledgmentsFileError,
    find_acknowledgments_file,
    read_acknowledgments_file,
    schema,
)
from tests import REPOSITORY

TODAY = datetime.date(2026, 1, 15)
REASON = "Key material is imported from the institutional HSM and rotated there every quarter"
ENTRY = f"""\
  - rule: "OmicsSecure::OmicsSecure-KMSKeyRotationEnabled"
    resource: DataKey
    reason: "{REASON}"
    owner: security-officer@example.org
    reference: RISK-142
    expires: 2026-06-30
"""


def read(tmp_path: Path, text: str, **options) -> list[Acknowledgment]:
    path = tmp_path / ACKNOWLEDGMENTS_FILE
    path.write_text(textwrap.dedent(text))
    return list(read_acknowledgments_file(path, today=TODAY, shown=ACKNOWLEDGMENTS_FILE, **options).acknowledgments)


def problem(tmp_path: Path, text: str) -> str:
    with pytest.raises(AcknowledgmentsFileError) as raised:
        read(tmp_path, text)
    return str(raised.value)


def test_an_entry_becomes_an_acknowledgment_with_its_owner_reference_and_end(tmp_path):
    (entry,) = read(tmp_path, "acknowledgments:\n" + ENTRY)
    assert entry == Acknowledgment(
        id="OmicsSecure::OmicsSecure-KMSKeyRotationEnabled", reason=REASON, owner="security-officer@example.org",
        reference="RISK-142", expires=datetime.date(2026, 6, 30), resource="DataKey", source="acknowledgments file",
        origin=f"{ACKNOWLEDGMENTS_FILE}:2")
    assert entry.rule_id == "OmicsSecure-KMSKeyRotationEnabled" and entry.pack == "OmicsSecure"
    assert entry.accountable


def test_granular_rule_ids_keep_their_brackets_and_numbers_as_references(tmp_path):
    (entry,) = read(tmp_path, """\
        acknowledgments:
          - rule: "AwsSolutions::AwsSolutions-IAM5[Action::s3:*]"
            resource: "Pipeline/*Role*"
            reason: "CDK Pipelines' generated roles need these actions for the artifact bucket only"
            owner: platform-team
            reference: 4711
            expires: "2026-03-01"
            approved: 2025-12-01
        """)
    assert entry.rule_id == "AwsSolutions-IAM5[Action::s3:*]"
    assert entry.reference == "4711" and entry.approved == datetime.date(2025, 12, 1)


@pytest.mark.parametrize(("text", "expected"), [
    (ENTRY.replace("    owner: security-officer@example.org\n", ""),
     f"{ACKNOWLEDGMENTS_FILE}:2: entry 1 (OmicsSecure::OmicsSecure-KMSKeyRotationEnabled on DataKey): 'owner' is "
     "missing; name the person or role who accepted the finding"),
    (ENTRY.replace("    expires: 2026-06-30\n", ""),
     "entry 1 (OmicsSecure::OmicsSecure-KMSKeyRotationEnabled on DataKey): 'expires' is missing; give the last day it "
     "is in force, YYYY-MM-DD"),
    (ENTRY.replace("2026-06-30", "2026-02-30"),
     f"{ACKNOWLEDGMENTS_FILE}:7: entry 1 (OmicsSecure::OmicsSecure-KMSKeyRotationEnabled on DataKey): expires "
     "'2026-02-30' is not a date"),
    (ENTRY.replace("2026-06-30", "30/06/2026"), ":7: entry 1 (OmicsSecure::OmicsSecure-KMSKeyRotationEnabled on "
     "DataKey): expires '30/06/2026' is not a date; write YYYY-MM-DD"),
    (ENTRY.replace("2026-06-30", "2027-06-30"), ":7: entry 1 (OmicsSecure::OmicsSecure-KMSKeyRotationEnabled on "
     "DataKey): expires 2027-06-30: 531 days from 2026-01-15 is beyond the maximum age of 365 days; end it by "
     "2027-01-15"),
    (ENTRY.replace("OmicsSecure::OmicsSecure-", "Checkov::Checkov-"),
     ":2: entry 1 (Checkov::Checkov-KMSKeyRotationEnabled on DataKey): unknown pack 'Checkov'; the packs are "
     "HIPAA.Security, NIST.800.53.R5, AwsSolutions, OmicsSecure"),
    (ENTRY.replace("OmicsSecure::OmicsSecure-", "OmicsSecure-"),
     ":2: entry 1 (OmicsSecure-KMSKeyRotationEnabled on DataKey): rule 'OmicsSecure-KMSKeyRotationEnabled' is not a "
     "Pack::RuleId id"),
    (ENTRY.replace("OmicsSecure::OmicsSecure-", "AwsSolutions::OmicsSecure-"),
     ":2: entry 1 (AwsSolutions::OmicsSecure-KMSKeyRotationEnabled on DataKey): rule "
     "'AwsSolutions::OmicsSecure-KMSKeyRotationEnabled': use a pack rule id"),
    (ENTRY.replace(REASON, "False positive."), ":4: entry 1 (OmicsSecure::OmicsSecure-KMSKeyRotationEnabled on "
     "DataKey): reason 'False positive.': a generic reason records nothing"),
    (ENTRY.replace("RISK-142", "call 555-123-4567"), ":6: entry 1 (OmicsSecure::OmicsSecure-KMSKeyRotationEnabled "
     "on DataKey): reference 'call 555-123-4567': it looks like it contains a phone number"),
    (ENTRY.replace("expires:", "expire:"), ":2: entry 1 (OmicsSecure::OmicsSecure-KMSKeyRotationEnabled on "
     "DataKey): unknown key 'expire'; the keys are approved, expires, owner, reason, reference, resource, rule"),
    (ENTRY.replace("owner: security-officer@example.org", "owner: yes"), ":5: entry 1 "
     "(OmicsSecure::OmicsSecure-KMSKeyRotationEnabled on DataKey): owner is a boolean (true), not text"),
    (ENTRY + "    owner: someone-else\n", f"{ACKNOWLEDGMENTS_FILE}:8: 'owner' is written twice in one entry (first on "
     "line 5); keep one"),
    (ENTRY + "    approved: 2026-02-01\n", ":8: entry 1 (OmicsSecure::OmicsSecure-KMSKeyRotationEnabled on DataKey): "
     "approved 2026-02-01: is after today (2026-01-15)"),
])
def test_each_bad_entry_is_named_with_its_line_and_the_fix(tmp_path, text, expected):
    assert expected in problem(tmp_path, "acknowledgments:\n" + text)


@pytest.mark.parametrize(("text", "expected"), [
    ("", f"{ACKNOWLEDGMENTS_FILE} is empty"),
    ("acknowledgments: [\n", f"{ACKNOWLEDGMENTS_FILE}:2: not valid YAML"),
    ("- rule: x\n", f"{ACKNOWLEDGMENTS_FILE}:1: the file is a list, not a mapping"),
    ("acknowlegments: []\n", "unknown key 'acknowlegments'"),
    ("max_age_days: 5000\nacknowledgments: []\n", f"{ACKNOWLEDGMENTS_FILE}:1: max_age_days: 5000 is greater than"),
    ("acknowledgments:\n  - DataKey\n", ":2: entry 1: it is text, not a mapping"),
    ("acknowledgments:\n  - !!python/object:os.system {}\n", ":2: not valid YAML (could not determine a constructor"),
    ("acknowledgments: " + "[" * 5000 + "]" * 5000 + "\n", "is nested too deeply"),
    ("acknowledgments:\n" + ENTRY.replace("  - rule:", "  - &entry\n    rule:") + "  - *entry\n",
     ":9: not valid YAML (YAML aliases (*name) are not accepted in an acknowledgments file"),
])
def test_a_file_that_is_not_an_acknowledgments_file_is_refused_with_its_line(tmp_path, text, expected):
    assert expected in problem(tmp_path, text)


def test_every_problem_is_reported_not_only_the_first(tmp_path):
    message = problem(tmp_path, "acknowledgments:\n" + ENTRY.replace("    owner: security-officer@example.org\n", "")
                      + ENTRY.replace("OmicsSecure::OmicsSecure-", "Checkov::Checkov-"))
    assert ":2: entry 1" in message and ":7: entry 2" in message
    assert message.index(":2: entry 1") < message.index(":7: entry 2")


def test_the_project_sets_the_maximum_age_and_whether_an_end_is_required(tmp_path):
    (long_lived,) = read(tmp_path, "max_age_days: 700\nacknowledgments:\n" + ENTRY.replace("2026-06-30", "2027-06-30"))
    assert long_lived.expires == datetime.date(2027, 6, 30)
    (open_ended,) = read(tmp_path, "require_expiry: false\nacknowledgments:\n"
                         + ENTRY.replace("    expires: 2026-06-30\n", ""))
    assert open_ended.expires is None
    assert "'expires' is missing" in problem(tmp_path, "require_expiry: true\nacknowledgments:\n"
                                             + ENTRY.replace("    expires: 2026-06-30\n", ""))


def test_an_ended_entry_is_read_not_refused(tmp_path):
    # The file does not stop the check when a date passes: the finding reopens, naming who had accepted it.
    (ended,) = read(tmp_path, "acknowledgments:\n" + ENTRY.replace("2026-06-30", "2025-12-31"))
    assert ended.expires == datetime.date(2025, 12, 31)


def test_a_file_that_is_not_a_regular_file_is_refused(tmp_path):
    directory = tmp_path / "acks"
    directory.mkdir()
    with pytest.raises(AcknowledgmentsFileError, match="is not a regular file"):
        read_acknowledgments_file(directory, today=TODAY)


@pytest.mark.parametrize(("pattern", "construct_path", "logical_id", "matches"), [
    ("DataKey", "data.yaml/DataKey", "DataKey", True),
    ("DataKey", "data.yaml/DataKeyAlias", "DataKeyAlias", False),  # near miss: a longer id
    ("Data*", "data.yaml/DataKeyAlias", "DataKeyAlias", True),
    ("App/Keys/Imported", "App/Keys/Imported/Resource", "ImportedA1B2", True),  # below the construct
    ("App/Keys/Imported", "App/Keys/ImportedOther/Resource", "ImportedOtherC3", False),
    ("/App/Keys/Imported", "App/Keys/Imported/Resource", "ImportedA1B2", True),
    ("*/Pipeline/*Role*", "App/Tools/Pipeline/BuildRole/Resource", "BuildRoleD4", True),
    ("*/Pipeline/*Role*", "App/Tools/Pipelines/BuildRole/Resource", "BuildRoleD4", False),
    ("datakey", "data.yaml/DataKey", "DataKey", False),  # case matters, as in CloudFormation
])
def test_a_resource_pattern_names_a_logical_id_a_construct_and_what_is_below_it_or_a_glob(
        pattern, construct_path, logical_id, matches):
    acknowledgment = Acknowledgment("OmicsSecure::OmicsSecure-KMSKeyRotationEnabled", REASON, resource=pattern)
    assert acknowledgment.matches(construct_path, logical_id) is matches


def test_a_file_found_beside_templates_applies_to_their_stacks_only(tmp_path):
    (entry,) = read(tmp_path, "acknowledgments:\n" + ENTRY, stacks=frozenset({"data.yaml"}))
    assert entry.applies_to_stack("data.yaml") and not entry.applies_to_stack("other/data.yaml")
    assert find_acknowledgments_file(tmp_path) == tmp_path / ACKNOWLEDGMENTS_FILE
    assert find_acknowledgments_file(tmp_path / "elsewhere") is None


def test_the_schema_is_a_valid_json_schema_and_ships_in_the_package():
    jsonschema.Draft202012Validator.check_schema(schema())
    assert json.loads(SCHEMA_FILE.read_text())["$id"].endswith("acknowledgments.schema.json")
    package_data = tomllib.loads((REPOSITORY / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "inputs/acknowledgments.schema.json" in package_data["omics_secure"]


def test_the_readme_file_example_is_a_valid_file(tmp_path):
    """The acknowledgments file the README shows reads as it is, on a day its entries are in force."""
    readme = (REPOSITORY / "README.md").read_text()
    start = readme.index("```yaml\n# omics-secure.acknowledgments.yaml")
    example = tmp_path / ACKNOWLEDGMENTS_FILE
    example.write_text(readme[start + len("```yaml\n"):readme.index("```", start + 7)])
    entries = read_acknowledgments_file(example, today=datetime.date(2027, 1, 15)).acknowledgments
    assert [(e.id, e.resource) for e in entries] == [
        ("OmicsSecure::OmicsSecure-KMSKeyRotationEnabled", "DataKey"),
        ("AwsSolutions::AwsSolutions-IAM5[Action::s3:*]", "*/Pipeline/*Role*")]
    assert all(e.owner and e.reference and e.expires for e in entries)
