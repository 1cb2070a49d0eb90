"""check --template: plain CloudFormation read with cfn-lint's decoder, parameters, exit codes, and rule isolation."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from omics_secure.cli import EXIT_ERROR as EXIT_NOT_CHECKED
from omics_secure.cli import EXIT_FINDINGS
from omics_secure.cli import EXIT_PASS as EXIT_PASSED
from omics_secure.compliance.check import pack_result
from omics_secure.compliance.engine import evaluate_stacks
from omics_secure.compliance.model import Pack, Rule, Status
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.rules.kms import KEY_ROTATION_ENABLED
from omics_secure.inputs.templates import TemplateError, load_template, load_templates, parse_parameters

CORPUS = Path(__file__).parent.parent / "corpus"
COMMAND = str(Path(sys.executable).parent / "omics-secure")


def run(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([COMMAND, "check", *args], capture_output=True, text=True, cwd=cwd, check=False, timeout=300)


def test_yaml_short_forms_are_read_as_the_long_forms():
    stack = load_template(CORPUS / "vpc-isolated.yaml")
    endpoint = stack.resources["KmsEndpoint"]["Properties"]
    assert endpoint["VpcId"] == {"Ref": "Vpc"}
    assert endpoint["SecurityGroupIds"] == [{"Fn::GetAtt": ["EndpointSecurityGroup", "GroupId"]}]
    assert endpoint["ServiceName"] == {"Fn::Sub": "com.amazonaws.${AWS::Region}.kms"}
    assert stack.construct_path("KmsEndpoint") == f"{CORPUS / 'vpc-isolated.yaml'}/KmsEndpoint"


@pytest.mark.parametrize(("content", "message"), [
    ("Resources:\n  Key:\n    Type: AWS::KMS::Key\n   Properties: {}\n", r"bad.yaml:\d+: "),
    ('{\n\t"Resources": {"Key": {"Type": "AWS::KMS::Key"}\n}', r"bad.yaml:\d+: "),
    ("- just\n- a list\n", "not a CloudFormation template"),
    ("Description: nothing\n", "no Resources section"),
])
def test_a_file_that_is_not_a_template_is_one_error_naming_file_and_line(tmp_path, content, message):
    path = tmp_path / "bad.yaml"
    path.write_text(content)
    with pytest.raises(TemplateError, match=message):
        load_template(path)


def test_a_missing_file_is_named():
    with pytest.raises(TemplateError, match=r"nope\.yaml: no such file"):
        load_template(Path("nope.yaml"))


@pytest.mark.parametrize("assignment", ["Environment", "=prod", ""])
def test_a_malformed_parameter_names_the_expected_form(assignment):
    with pytest.raises(TemplateError, match="is not NAME=VALUE"):
        parse_parameters([assignment])


def test_parameters_split_on_the_first_equals_sign():
    assert parse_parameters(["Cidr=10.0.0.0/8", "Query=a=b", "AWS::Region=eu-west-1"]) == {
        "Cidr": "10.0.0.0/8", "Query": "a=b", "AWS::Region": "eu-west-1"}


def test_a_parameter_no_template_declares_is_refused():
    with pytest.raises(TemplateError, match="--parameter Nope: no template declares such a parameter"):
        load_templates([CORPUS / "sg-parameter-cidr.yaml"], {"Nope": "x"})


def judged(pack: Pack, name: str):
    return pack_result(pack, evaluate_stacks(pack, load_templates([CORPUS / name])))


def test_the_pack_result_follows_the_verdicts():
    vpn = judged(OMICS_SECURE_PACK, "vpc-vpn-route.yaml")
    assert vpn.passed and not vpn.open_findings
    # cannot-judge verdicts are warnings: they never pass silently, and never fail alone
    imported = judged(OMICS_SECURE_PACK, "sg-imported-cidr.yaml")
    group = [w for w in imported.warnings if "EC2NoOpenIngress" in w.rule_id]
    assert len(group) == 1 and "CidrIp is !ImportValue shared-network-CampusCidr" in group[0].description
    assert not any("EC2NoOpenIngress" in f.rule_id for f in imported.open_findings)
    assert any("EC2NoOpenIngress" in f.rule_id for f in judged(OMICS_SECURE_PACK, "sg-open-ssh.yaml").open_findings)


def _broken(resource):
    raise KeyError("Properties")


BROKEN = Rule(id="Broken", resource_types=frozenset({"AWS::KMS::Key"}), finding="f", explanation="e",
              controls=KEY_ROTATION_ENABLED.controls, check=_broken)


def test_a_rule_that_raises_is_an_error_verdict_and_the_other_rules_still_run():
    pack = Pack(name="Test", rules=(BROKEN, KEY_ROTATION_ENABLED))
    findings = evaluate_stacks(pack, load_templates([CORPUS / "key-deletable.json"]))
    (error,) = [f for f in findings if f.status is Status.ERROR]
    assert error.logical_id == "ScratchKey"
    assert "Broken raised KeyError: 'Properties'" in error.message and "ScratchKey" in error.message
    assert [f.rule.id for f in findings if f.status is Status.NON_COMPLIANT] == ["KMSKeyRotationEnabled"]
    result = pack_result(pack, findings)
    assert not result.complete and not result.passed and result.errors[0].is_error


@pytest.mark.slow  # the command runs cdk-nag's packs on every template of the corpus
def test_the_command_judges_the_whole_corpus_without_a_traceback():
    completed = run(*(arg for path in sorted(CORPUS.iterdir()) for arg in ("--template", str(path))))
    # Two security groups take their CIDR from an import and from Fn::Base64, which cdk-nag's rules cannot read:
    # the check is incomplete, and says so, rather than passing them.
    assert completed.returncode == EXIT_NOT_CHECKED, completed.stderr
    assert "Traceback" not in completed.stdout + completed.stderr
    assert "  FAIL  OmicsSecure" in completed.stdout
    assert "Not judged (the check is incomplete; 10 rule errors):" in completed.stdout
    assert "sg-imported-cidr.yaml/Workers: AwsSolutions-EC23 could not judge this resource: it met values known only " \
           "at deployment (SecurityGroupIngress[0].CidrIp)" in completed.stdout
    assert completed.stderr.strip().splitlines()[-1].startswith("omics-secure: error: the check is incomplete: ")
    assert "Warnings (do not fail the check):" in completed.stdout
    assert f"note: {CORPUS / 'sam-app.yaml'}: 2 SAM resource(s) not judged (Caller, Api)" in completed.stdout


@pytest.mark.slow  # the command runs every pack, three times
def test_the_command_takes_parameters(tmp_path):
    template = str(CORPUS / "sg-parameter-cidr.yaml")
    # The default is private, but the AllowedPattern admits 0.0.0.0/0: only a pinned value passes.
    assert run("--template", template).returncode == EXIT_FINDINGS
    assert run("--template", template, "--parameter", "AllowedCidr=10.0.0.0/8").returncode == EXIT_PASSED
    opened = run("--template", template, "--parameter", "AllowedCidr=0.0.0.0/0", "--report-dir", str(tmp_path))
    assert opened.returncode == EXIT_FINDINGS
    assert "ingress open to the internet: tcp 8888-8888 from 0.0.0.0/0" in opened.stdout
    assert (tmp_path / "omics-secure.sarif").is_file()


@pytest.mark.parametrize(("args", "message"), [
    (["--template", "missing.yaml"], "missing.yaml: no such file"),
    (["--template", str(CORPUS / "sg-parameter-cidr.yaml"), "--parameter", "AllowedCidr"], "is not NAME=VALUE"),
    (["--template", str(CORPUS / "sg-parameter-cidr.yaml"), "--assembly", "cdk.out"], "leave out --app and --assembly"),
])
def test_command_errors_are_one_line_and_exit_2(tmp_path, args, message):
    completed = run(*args, cwd=tmp_path)
    assert completed.returncode == EXIT_NOT_CHECKED
    assert message in completed.stderr and "Traceback" not in completed.stderr
    assert len(completed.stderr.strip().splitlines()) == 1
