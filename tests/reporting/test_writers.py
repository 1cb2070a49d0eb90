"""Where a SARIF result points: the first frame of the user's code in CDK's creation stack, else the resource's
line in its template, found in one read of the template however many findings it has."""

from __future__ import annotations

import json
import sysconfig
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

import omics_secure
from omics_secure.inputs.assembly import StackArtifact
from omics_secure.inputs.lines import resource_lines
from omics_secure.reporting.validation_report import PackResult, ReportedFinding
from omics_secure.reporting.writers import FindingLocator, SourceLocation, source_location, write_reports

PACKAGE = Path(omics_secure.__file__).resolve().parent
STDLIB = Path(sysconfig.get_paths()["stdlib"])


def test_the_first_frame_outside_libraries_and_this_package_s_constructs_is_the_user_s():
    frames = ["...aws-cdk-lib, jsii runtime, node internals...",
              "(no user code in 10 frames, use --stack-trace-limit to capture more)",
              f"__init__ ({PACKAGE / 'storage' / 'phi_bucket.py'}:120)",
              "__init__ (/venv/lib/python3.11/site-packages/some_library/construct.py:4)",
              f"_run_code ({STDLIB / 'runpy.py'}:88)",
              "build (/src/infra/stacks/data.py:31)",
              "<module> (/src/infra/app.py:9)"]
    assert source_location(frames) == SourceLocation(Path("/src/infra/stacks/data.py"), 31)


def test_the_reference_stacks_count_as_user_code():
    frames = [f"__init__ ({PACKAGE / 'keys.py'}:200)", f"__init__ ({PACKAGE / 'stacks' / 'reference.py'}:57)"]
    assert source_location(frames) == SourceLocation(PACKAGE / "stacks" / "reference.py", 57)


def test_no_python_frames_is_no_source_location():
    assert source_location(["...aws-cdk-lib, jsii runtime, node internals...",
                            "(no user code in 10 frames, use --stack-trace-limit to capture more)"]) is None
    assert source_location(["new Bucket (/app/node_modules/aws-cdk-lib/aws-s3/lib/bucket.js:1:2345)"]) is None


def _line_of(text: str, needle: str, after: int = 0) -> int:
    return next(number for number, line in enumerate(text.splitlines(), 1)
                if number > after and line.strip() == needle)


def test_resource_lines_come_from_the_resources_section_of_an_indented_json_template(tmp_path):
    # A parameter, an output and a nested property share the resources' names: only Resources' keys count.
    template = {
        "Parameters": {"Data": {"Type": "String"}},
        "Resources": {
            "Data": {"Type": "AWS::S3::Bucket", "Properties": {"Tags": [{"Key": "Key", "Value": "v"}]}},
            "Key": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Data": {"Key": 1}}}},
        },
        "Outputs": {"Key": {"Value": {"Ref": "Key"}}},
    }
    for indent in (1, 4):
        path = tmp_path / f"indent{indent}.template.json"
        path.write_text(json.dumps(template, indent=indent))
        text = path.read_text()
        resources_at = _line_of(text, '"Resources": {')
        key_at = _line_of(text, '"Key": {', after=resources_at)
        assert key_at < _line_of(text, '"Outputs": {')
        assert resource_lines(path.read_text()) == {"Data": resources_at + 1, "Key": key_at}


def test_resource_lines_of_a_hand_written_yaml_template(tmp_path):
    path = tmp_path / "template.yaml"
    path.write_text(textwrap.dedent("""\
        # Resources: a comment
        AWSTemplateFormatVersion: "2010-09-09"
        Metadata:
          Resources:
            Data: not the resource
        Resources:
          # the data bucket
          Data:
            Type: AWS::S3::Bucket
            Properties:
              Data: 1
          "Key":
            Type: AWS::KMS::Key
            Properties:
              Description: |
                Key: text inside a block scalar
          'Logs':
            Type: AWS::Logs::LogGroup
        Outputs:
          Topic:
            Value: !Ref Data
        """))
    assert resource_lines(path.read_text()) == {"Data": 8, "Key": 12, "Logs": 17}


def test_a_template_on_one_line_or_gone_gives_no_lines(tmp_path):
    minified = tmp_path / "minified.json"
    minified.write_text(json.dumps({"Resources": {"Data": {"Type": "AWS::S3::Bucket"}}}))
    assert resource_lines(minified.read_text()) == {}


def test_a_stack_read_with_its_lines_is_not_read_again(tmp_path, monkeypatch):
    from omics_secure.inputs.templates import load_template

    path = tmp_path / "t.json"
    path.write_text(json.dumps({"Resources": {"Data": {"Type": "AWS::S3::Bucket"}}}, indent=1))
    stack = load_template(path)
    monkeypatch.setattr(Path, "read_text", lambda *args, **kwargs: pytest.fail("read again"))
    finding = ReportedFinding(pack="P", rule_id="P-R", description="Open.", severity="error",
                              construct_path=stack.construct_path("Data"))
    location = FindingLocator([stack]).locate(finding.construct_path)
    assert location is not None and location.line == 3


def test_the_writers_read_each_template_once_however_many_findings_it_has(tmp_path, monkeypatch):
    stacks = []
    findings = []
    for name in ("First", "Second"):
        resources = {f"Bucket{index}": {"Type": "AWS::S3::Bucket"} for index in range(40)}
        path = tmp_path / f"{name}.template.json"
        path.write_text(json.dumps({"Resources": resources}, indent=1))
        paths = {logical_id: f"{name}/{logical_id}/Resource" for logical_id in resources}
        stacks.append(StackArtifact(name=name, template_path=path, template={"Resources": resources},
                                    construct_paths=paths))
        findings += [ReportedFinding(pack="Pack", rule_id=f"Pack-Rule{rule}", description="Open.", severity="error",
                                     construct_path=construct_path)
                     for construct_path in paths.values() for rule in range(3)]
    reads: Counter[Path] = Counter()
    read_text = Path.read_text

    def counting_read_text(self: Path, *args: Any, **kwargs: Any) -> str:
        reads[self] += 1
        return read_text(self, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", counting_read_text)
    monkeypatch.chdir(tmp_path)
    pack = PackResult(name="Pack", open_findings=tuple(findings), acknowledged_findings=())
    write_reports([pack], stacks, tmp_path / "reports")
    assert {path.name: count for path, count in reads.items()} == {"First.template.json": 1,
                                                                   "Second.template.json": 1}
    sarif = json.loads((tmp_path / "reports" / "omics-secure.sarif").read_text())
    located = {(result["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
                result["locations"][0]["logicalLocations"][0]["name"],
                result["locations"][0]["physicalLocation"]["region"]["startLine"])
               for result in sarif["runs"][0]["results"]}
    assert len(located) == 80
    assert ("Second.template.json", "Bucket7", 3 + 7 * 3) in located  # "Bucket0": { at line 3, 3 lines each
