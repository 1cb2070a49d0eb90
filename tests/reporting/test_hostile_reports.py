"""No element of a rendered Markdown report comes from the input, for an app and for a hand-written template.

Each input is built twice, once with benign values and once with hostile ones (construct ids, descriptions,
tag values, acknowledgment reasons, annotation messages, a lifecycle rule id that a finding quotes, a
template's file name), then checked and reported by the command as CI runs it. Both reports are rendered as
a CI system renders Markdown (:mod:`tests.reporting.rendering`): the hostile one must have exactly the
elements and attributes of the benign one, and show the hostile values as text.
"""

from __future__ import annotations

import json
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_cloudwatch as cloudwatch
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3

from omics_secure._internal.tags import (
    APPROVAL_ID_TAG,
    DATA_CLASSIFICATION_TAG,
    PHI,
    PROJECT_DUC_ENDS_TAG,
    PROJECT_ID_TAG,
)
from omics_secure.cli import main
from omics_secure.reporting.writers import MARKDOWN_FILE
from tests.harness import ENV, check_compliance, make_app
from tests.reporting.rendering import HOSTILE, RENDERER, elements, visible_text

pytestmark = pytest.mark.slow  # synthesizes an app with the four packs, twice

BENIGN = "Plain"
# One value that tries everything at once, and the catalogue's values one by one where an input takes many.
HOSTILE_VALUE = " ".join(HOSTILE)
# AWS allows tag values of letters, digits, spaces and _.:/=+-@ only, up to 256 characters
# (https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-resource-tags.html): enough for
# bare URLs that linkify turns into links, emphasis and a list marker. (An e-mail address in a tag is a finding
# of its own, OmicsSecure-S3NoPhiInNamesOrTags, so the benign and hostile inputs would differ in findings.)
HOSTILE_TAG = "+ https://evil.example/x www.evil.example //evil.example/y __strong__ _em_ =="
# What every hostile rendering must show as text: a part of each payload that survives on one line.
SHOWN = ("<script>alert(1)</script>", "<img src=x onerror=alert(2)>", "[click](javascript:alert(3))",
         "www.evil.example", "pipe | splits | cells", "<b>out of the fence</b>", "&lt;b&gt;")


def _build_app(outdir: Path, value: str, tag: str) -> cdk.App:
    app = make_app(outdir)
    stack = cdk.Stack(app, "Hostile", env=ENV)
    bucket = s3.Bucket(stack, f"Data {value}", encryption=s3.BucketEncryption.S3_MANAGED,
                       enforce_ssl=True, block_public_access=s3.BlockPublicAccess.BLOCK_ALL)
    cdk.Tags.of(bucket).add(DATA_CLASSIFICATION_TAG, PHI)
    cdk.Tags.of(bucket).add(PROJECT_ID_TAG, tag)
    cdk.Tags.of(bucket).add(PROJECT_DUC_ENDS_TAG, tag)
    key = kms.Key(stack, f"Key {value}", description=value, enable_key_rotation=False)
    cdk.Validations.of(key).acknowledge(cdk.Acknowledgment(
        id="AwsSolutions::AwsSolutions-KMS5", reason=f"Rotation is off for a short-lived test key: {value}"))
    role = iam.Role(stack, f"Reader {value}", assumed_by=iam.AccountRootPrincipal())
    cdk.Tags.of(role).add(APPROVAL_ID_TAG, tag)
    bucket.grant_read(role)
    cloudwatch.Alarm(stack, f"Alarm {value}", alarm_description=value, threshold=1, evaluation_periods=1,
                     metric=cloudwatch.Metric(namespace="Test", metric_name="Errors"))
    # The catalogue's values one at a time, each where a value starts a cell or a line of its own.
    for index, payload in enumerate(HOSTILE if value != BENIGN else [BENIGN] * len(HOSTILE)):
        cdk.Annotations.of(bucket).add_warning_v2(f"omics-secure-test:warning{index}", payload)
        cloudwatch.Alarm(stack, f"Alarm{index}", alarm_description=payload, threshold=1, evaluation_periods=1,
                         metric=cloudwatch.Metric(namespace="Test", metric_name=f"Errors{index}"))
    return app


def _template(value: str, tag: str) -> str:
    """A hand-written YAML template (JSON strings are YAML's double-quoted scalars) with ``value`` inside."""
    quoted = json.dumps(value)
    return f"""\
AWSTemplateFormatVersion: "2010-09-09"
Description: {quoted}
Parameters:
  Env:
    Type: String
    Default: prod
    AllowedValues: [prod, dev]
    Description: {quoted}
Conditions:
  IsProd: !Equals [!Ref Env, prod]
Resources:
  Data:
    Type: AWS::S3::Bucket
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      BucketName: !If [IsProd, omics-secure-hostile-report-test, !Ref AWS::NoValue]
      Tags:
        - Key: {DATA_CLASSIFICATION_TAG}
          Value: {PHI}
        - Key: {PROJECT_ID_TAG}
          Value: {json.dumps(tag)}
      LifecycleConfiguration:
        Rules:
          - Id: {quoted}
            Status: Enabled
            ExpiredObjectDeleteMarker: true
  Key:
    Type: AWS::KMS::Key
    DeletionPolicy: Retain
    UpdateReplacePolicy: Retain
    Properties:
      Description: {quoted}
      EnableKeyRotation: !If [IsProd, true, false]
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Sid: {quoted}
            Effect: Allow
            Principal: {{AWS: !Sub "arn:${{AWS::Partition}}:iam::${{AWS::AccountId}}:root"}}
            Action: "kms:*"
            Resource: "*"
"""


def _rendered(path: Path) -> str:
    return RENDERER.render(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def app_reports(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, str]]:
    """For the benign and the hostile app: omics-secure.md and the Markdown report, rendered."""
    rendered = {}
    for name, value, tag in (("benign", BENIGN, BENIGN), ("hostile", HOSTILE_VALUE, HOSTILE_TAG)):
        base = tmp_path_factory.mktemp(name)
        checked = check_compliance(_build_app(base / "cdk.out", value, tag))
        assert checked.lint_errors == ()
        assembly = checked.outcome.assembly_dir
        assert main(["check", "--assembly", str(assembly), "--report-dir", str(base / "reports")]) == 1
        assert main(["report", "--assembly", str(assembly), "--format", "markdown",
                     "--file", str(base / "report.md")]) == 0
        rendered[name] = {"check": _rendered(base / "reports" / MARKDOWN_FILE),
                          "report": _rendered(base / "report.md")}
    return rendered


@pytest.mark.parametrize("output", ["check", "report"])
def test_an_app_s_hostile_names_render_as_text_in_every_markdown_report(app_reports, output):
    benign, hostile = app_reports["benign"][output], app_reports["hostile"][output]
    assert elements(hostile) == elements(benign)
    text = visible_text(hostile)
    assert [part for part in SHOWN if part not in text] == []


def test_a_template_s_hostile_values_and_file_name_render_as_text(tmp_path):
    rendered = {}
    for name, value, tag in (("benign", BENIGN, BENIGN), ("hostile", HOSTILE_VALUE, HOSTILE_TAG)):
        directory = tmp_path / name
        directory.mkdir()
        # A file name holds anything but '/' and NUL: the report names the template by it.
        file_name = "data.yaml" if value == BENIGN else "`|<img src=x onerror=alert(4)>[x](javascript:y)|.yaml"
        template = directory / file_name
        template.write_text(_template(value, tag), encoding="utf-8")
        exit_code = main(["check", "--template", str(template), "--report-dir", str(directory / "reports")])
        assert exit_code == 1
        rendered[name] = _rendered(directory / "reports" / MARKDOWN_FILE)
    assert elements(rendered["hostile"]) == elements(rendered["benign"])
    text = visible_text(rendered["hostile"])
    assert "`|<img src=x onerror=alert(4)>[x](javascript:y)|.yaml/Data" in text
    assert [part for part in SHOWN if part not in text] == []
