"""Which interpreter runs a Python app, and what a failed app's output comes down to."""

from __future__ import annotations

import sys

import pytest

from omics_secure.compliance.synthesis import BOOTSTRAP_MODULE, SynthesisError, app_argv, failure_message

BOOTSTRAP = ["-m", BOOTSTRAP_MODULE]


@pytest.mark.parametrize("command", ["python app.py", "python3 app.py", "python3.11 app.py", "py app.py",
                                     "python.exe app.py", "pythonw app.py"])
def test_a_bare_interpreter_name_runs_the_app_under_this_interpreter_with_the_packs(command):
    assert app_argv(command) == ([sys.executable, *BOOTSTRAP, "app.py"], False)


def test_an_interpreter_path_is_kept_and_gets_this_package_on_its_path():
    argv, needs_package = app_argv("/opt/team/.venv/bin/python infra/app.py --flag")
    assert argv == ["/opt/team/.venv/bin/python", *BOOTSTRAP, "infra/app.py", "--flag"]
    assert needs_package


def test_this_interpreter_by_its_path_needs_nothing_added():
    assert app_argv(f"{sys.executable} app.py") == ([sys.executable, *BOOTSTRAP, "app.py"], False)


@pytest.mark.parametrize(("command", "expected"), [
    ("python -u app.py", [sys.executable, "-u", *BOOTSTRAP, "app.py"]),
    ("python -X dev app.py", [sys.executable, "-X", "dev", *BOOTSTRAP, "app.py"]),
    ("python -m infra.app", [sys.executable, *BOOTSTRAP, "-m", "infra.app"]),
    ("poetry run python app.py", ["poetry", "run", "python", *BOOTSTRAP, "app.py"]),
    ("'/path with spaces/python' app.py", ["/path with spaces/python", *BOOTSTRAP, "app.py"]),
])
def test_options_launchers_modules_and_quoted_paths(command, expected):
    assert app_argv(command)[0] == expected


@pytest.mark.parametrize("command", ["npx ts-node --prefer-ts-exts bin/app.ts", "python -c 'print(1)'",
                                     "./gradlew run", "python3"])
def test_anything_else_runs_as_it_is(command):
    argv, needs_package = app_argv(command)
    assert argv[0] in command and BOOTSTRAP_MODULE not in argv and not needs_package


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
