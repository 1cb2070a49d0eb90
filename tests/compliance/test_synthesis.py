"""Which interpreter runs a Python app, with which environment and context, and what a failed app's output
comes down to."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from omics_secure.compliance.synthesis import (
    BOOTSTRAP_MODULE,
    AppRun,
    SynthesisError,
    app_argv,
    cdk_environment,
    check_context,
    failure_message,
    is_own_environment,
    parse_context,
)

BOOTSTRAP = ["-m", BOOTSTRAP_MODULE]


@pytest.fixture
def own_path(tmp_path):
    """A PATH on which python, python3, python3.11 and py are this environment's interpreter (links, as a
    venv's are), then the system's."""
    directory = tmp_path / "bin"
    directory.mkdir()
    for name in ("python", "python3", "python3.11", "py", "python.exe", "pythonw"):
        (directory / name).symlink_to(sys.executable)
    return str(directory)


@pytest.mark.parametrize("command", ["python app.py", "python3 app.py", "python3.11 app.py", "py app.py",
                                     "python.exe app.py", "pythonw app.py"])
def test_a_bare_name_is_the_interpreter_on_path_and_ours_gets_the_packs(command, own_path, monkeypatch):
    monkeypatch.setattr(sys, "prefix", str(Path(own_path).parent))  # the linked bin/ is this environment's
    (Path(own_path).parent / "pyvenv.cfg").write_text("home = /usr/bin\n")
    run = app_argv(command, path=own_path)
    assert run == AppRun([str(Path(own_path) / command.split()[0]), *BOOTSTRAP, "app.py"], packs_in_app=True)


def test_this_interpreter_by_its_path_runs_the_app_with_the_packs():
    assert app_argv(f"{sys.executable} app.py") == AppRun([sys.executable, *BOOTSTRAP, "app.py"], packs_in_app=True)


def make_venv(root: Path) -> Path:
    """A virtual environment as venv makes it: pyvenv.cfg, and bin/python a link to this (base) interpreter."""
    (root / "bin").mkdir(parents=True)
    (root / "pyvenv.cfg").write_text(f"home = {Path(sys.executable).parent}\n")
    python = root / "bin" / "python"
    python.symlink_to(sys.executable)
    return python


def test_another_venv_of_the_same_base_python_is_the_apps_own_and_runs_the_app_as_it_is(tmp_path):
    """A venv's interpreter is a link to its base Python: following it would take the app's venv for ours."""
    python = make_venv(tmp_path / "team" / ".venv")
    assert not is_own_environment(str(python))
    assert app_argv(f"{python} infra/app.py --flag") == AppRun([str(python), "infra/app.py", "--flag"],
                                                               packs_in_app=False)


def test_a_bare_name_on_path_that_leads_to_another_venv_runs_there(tmp_path):
    python = make_venv(tmp_path / "app" / ".venv")
    (python.parent / "python3").symlink_to(python)
    assert app_argv("python3 app.py", path=str(python.parent)) == AppRun(["python3", "app.py"], packs_in_app=False)


def test_this_environment_is_recognised_through_its_own_links():
    assert is_own_environment(sys.executable)
    assert is_own_environment(str(Path(sys.prefix) / "bin" / "python"))


@pytest.mark.parametrize(("command", "expected"), [
    ("python -u app.py", [sys.executable, "-u", *BOOTSTRAP, "app.py"]),
    ("python -X dev app.py", [sys.executable, "-X", "dev", *BOOTSTRAP, "app.py"]),
    ("python -m infra.app", [sys.executable, *BOOTSTRAP, "-m", "infra.app"]),
])
def test_options_and_modules(command, expected):
    assert app_argv(command.replace("python", sys.executable, 1)).argv == expected


@pytest.mark.parametrize("command", ["npx ts-node --prefer-ts-exts bin/app.ts", "python -c 'print(1)'",
                                     "./gradlew run", "python3", "poetry run python app.py",
                                     "'/path with spaces/python' app.py", "python3 app.py"])
def test_anything_else_runs_as_it_is(command):
    run = app_argv(command, path="/nonexistent")
    assert run.argv[0] in command and BOOTSTRAP_MODULE not in run.argv and not run.packs_in_app


@pytest.mark.parametrize("command", ["", "   ", "python 'app.py"])
def test_an_empty_or_unparsable_command_is_refused(command):
    with pytest.raises(SynthesisError, match="app command"):
        app_argv(command)


def test_a_python_traceback_comes_down_to_its_exception_line():
    log = ("Traceback (most recent call last):\n  File \"app.py\", line 7, in <module>\n"
           "    raise ValueError('bad')\nValueError: bucket_name 'x' is not valid\n")
    assert failure_message(log) == "ValueError: bucket_name 'x' is not valid"


def test_an_exception_message_over_several_lines_keeps_every_line():
    log = ("Traceback (most recent call last):\n  File \"app.py\", line 12, in <module>\n"
           "omics_secure._internal.errors.OmicsSecureConfigError: WorkflowRunRole 'Runs': invalid props\n"
           "  - buckets=[PhiBucket at Lab/Data]: no such prop; props are: scope, id, inputs, outputs\n")
    assert failure_message(log) == ("omics_secure._internal.errors.OmicsSecureConfigError: WorkflowRunRole 'Runs': "
                                    "invalid props - buckets=[PhiBucket at Lab/Data]: no such prop; props are: "
                                    "scope, id, inputs, outputs")


def test_a_jsii_error_keeps_cdk_message():
    log = ("jsii.errors.JavaScriptError: \n  @jsii/kernel.RuntimeError: Error: There is already a Construct with "
           "name 'Bucket' in Stack [App]\n      at Kernel._Kernel_create (/tmp/jsii-kernel.js:1:1)\n"
           "RuntimeError: There is already a Construct with name 'Bucket' in Stack [App]\n")
    assert failure_message(log) == "RuntimeError: There is already a Construct with name 'Bucket' in Stack [App]"


def test_output_without_an_exception_keeps_its_last_lines_and_is_bounded():
    assert failure_message("starting\nbroken app\n") == "starting | broken app"
    assert len(failure_message("x" * 5000)) == 400
    assert failure_message("") == "no output"


def test_context_values_are_strings_unless_they_start_like_json():
    assert parse_context(["omics-secure:account=123456789012", "flag=true", "name=a=b",
                          'availability-zones:account=1:region=eu-west-1=["eu-west-1a","eu-west-1b"]',
                          'settings={"a": 1}']) == {
        "omics-secure:account": "123456789012", "flag": "true", "name": "a=b",
        "availability-zones:account=1:region=eu-west-1": ["eu-west-1a", "eu-west-1b"], "settings": {"a": 1}}


@pytest.mark.parametrize(("assignment", "message"), [
    ("no-equals", "is not KEY=VALUE"), ("=value", "is not KEY=VALUE"),
    ("zones=[eu-west-1a]", "starts like JSON but is not"),
])
def test_a_malformed_context_value_is_refused_with_the_fix(assignment, message):
    with pytest.raises(SynthesisError, match=message):
        parse_context([assignment])


@pytest.mark.parametrize(("shell", "region"), [
    ({}, "us-east-1"),
    ({"AWS_DEFAULT_REGION": "eu-west-1"}, "eu-west-1"),
    ({"AWS_REGION": "eu-central-1", "AWS_DEFAULT_REGION": "eu-west-1"}, "eu-central-1"),
    ({"CDK_DEFAULT_REGION": "ap-south-1"}, "us-east-1"),  # the CDK CLI sets it over the shell's, as here
])
def test_the_app_gets_the_region_cdk_synth_gives_it(shell, region, tmp_path):
    config = tmp_path / "config"
    config.write_text("[default]\n")
    environment = cdk_environment({"AWS_CONFIG_FILE": str(config), **shell})
    assert environment["CDK_DEFAULT_REGION"] == region


def test_the_profiles_region_comes_from_the_aws_config_without_credentials(tmp_path):
    config = tmp_path / "config"
    config.write_text("[default]\nregion = eu-north-1\n[profile lab]\nregion = ca-central-1\n")
    shell = {"AWS_CONFIG_FILE": str(config), "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none")}
    assert cdk_environment(shell)["CDK_DEFAULT_REGION"] == "eu-north-1"
    assert cdk_environment({**shell, "AWS_PROFILE": "lab"})["CDK_DEFAULT_REGION"] == "ca-central-1"
    assert cdk_environment({**shell, "AWS_PROFILE": "unknown"})["CDK_DEFAULT_REGION"] == "us-east-1"


def test_the_shells_account_is_kept_and_none_is_invented():
    assert cdk_environment({"CDK_DEFAULT_ACCOUNT": "123456789012"})["CDK_DEFAULT_ACCOUNT"] == "123456789012"
    assert "CDK_DEFAULT_ACCOUNT" not in cdk_environment({"AWS_CONFIG_FILE": "/nonexistent"})


AZ_LOOKUP = {"key": "availability-zones:account=111122223333:region=eu-west-1", "provider": "availability-zones",
             "props": {"dummyValue": ["dummy1a", "dummy1b", "dummy1c"], "account": "111122223333",
                       "region": "eu-west-1"}}


def assembly_with(tmp_path: Path, missing: list[dict[str, object]], template: dict[str, object]) -> Path:
    (tmp_path / "manifest.json").write_text(json.dumps({"version": "48.0.0", "artifacts": {}, "missing": missing}))
    (tmp_path / "App.template.json").write_text(json.dumps(template))
    return tmp_path


def test_a_zone_lookup_the_templates_do_not_use_is_a_note_with_the_line_to_add(tmp_path):
    subnet = {"Type": "AWS::EC2::Subnet", "Properties": {"AvailabilityZone": "eu-west-1a"}}
    notes = check_context(assembly_with(tmp_path, [AZ_LOOKUP], {"Resources": {"Subnet": subnet}}))
    assert notes == ['the app asked for availability-zones:account=111122223333:region=eu-west-1, which no template '
                     "uses (the zones are given); 'cdk synth' without credentials still asks, so add to "
                     'cdk.context.json "availability-zones:account=111122223333:region=eu-west-1": '
                     '["eu-west-1a", "eu-west-1b"] (the zone names of your account)']


def test_a_zone_lookup_whose_placeholders_reached_a_template_is_refused_with_the_line_to_add(tmp_path):
    subnet = {"Type": "AWS::EC2::Subnet", "Properties": {"AvailabilityZone": "dummy1b"}}
    with pytest.raises(SynthesisError) as raised:
        check_context(assembly_with(tmp_path, [AZ_LOOKUP], {"Resources": {"Subnet": subnet}}))
    assert str(raised.value) == (
        "the app needs context lookups that only AWS credentials can answer: add to cdk.context.json "
        '"availability-zones:account=111122223333:region=eu-west-1": ["eu-west-1a", "eu-west-1b"] (the zone names '
        "of your account); or run 'npx aws-cdk@2 synth' once with credentials, which saves the answers there")


def test_any_other_lookup_is_refused_even_when_its_placeholders_are_not_seen(tmp_path):
    """Only the zone lookup is known to be asked needlessly; another's answer may shape the app in other ways."""
    lookup = {"key": "vpc-provider:account=1:filter.vpc-id=vpc-1:region=us-east-1", "provider": "vpc-provider",
              "props": {"dummyValue": {"vpcId": "vpc-12345"}}}
    with pytest.raises(SynthesisError, match="vpc-provider lookup result; cdk synth with credentials writes it"):
        check_context(assembly_with(tmp_path, [lookup], {"Resources": {}}))


@pytest.mark.parametrize("command", ["check", "report", "access", "acknowledgments"])
@pytest.mark.parametrize(("files", "message"), [
    ({}, "no CDK app to check: pass --app 'python3 app.py'"),
    ({"cdk.json": '{"context": {}}'}, "no CDK app to check: pass --app 'python3 app.py'"),
    ({"cdk.json": "{not json"}, "cdk.json is not valid JSON"),
])
def test_without_an_app_the_error_comes_alone_without_the_synthesizing_line(command, files, message, tmp_path,
                                                                           monkeypatch, capsys):
    from omics_secure.cli import main

    for name, text in files.items():
        (tmp_path / name).write_text(text)
    monkeypatch.chdir(tmp_path)
    assert main([command]) == 2
    captured = capsys.readouterr()
    (line,) = captured.err.splitlines()
    assert line.startswith("omics-secure: error: ") and message in line
    assert captured.out == ""
