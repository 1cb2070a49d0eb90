"""Run a user's CDK app into a cloud assembly, with every pack registered when the app is Python.

Whatever goes wrong is a :class:`SynthesisError` with one line that says what failed and what to do:
the app command cannot run, the app raised (CDK's own message is kept), it wrote no assembly, or it
needs context lookups that only AWS credentials can answer.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from omics_secure._internal.node_runtime import silence_end_of_life_banner
from omics_secure.compliance.bootstrap import PACKS_FILE
from omics_secure.inputs.assembly import AssemblyError, missing_context
from omics_secure.reporting.validation_report import VALIDATION_REPORT

BOOTSTRAP_MODULE = "omics_secure.compliance.bootstrap"
PACKAGE_DIR = Path(__file__).resolve().parent.parent
# python, python3, python3.12, pythonw, py (the Windows launcher), with or without .exe.
_PYTHON = re.compile(r"^(?:python(?:\d+(?:\.\d+)*)?w?|py)(?:\.exe)?$", re.IGNORECASE)
# Interpreter options that take a value (python -X dev app.py, python -W error app.py).
_OPTIONS_WITH_VALUE = frozenset({"-X", "-W", "--check-hash-based-pycs"})
# A Python exception line at the end of a traceback: "ValueError: ...", "jsii.errors.JSIIError: ...".
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Za-z_]\w*(?:Error|Exception|Exit|Failed|Warning)\b:?.*$")
_MESSAGE_LIMIT = 400


class SynthesisError(Exception):
    """The app could not be synthesized; the message is one line for the user."""


def read_cdk_json(path: Path) -> dict[str, object]:
    """cdk.json or cdk.context.json as an object; {} when absent."""
    if not path.is_file():
        return {}
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise SynthesisError(f"{path} cannot be read: {error}") from error
    except json.JSONDecodeError as error:
        raise SynthesisError(f"{path} is not valid JSON ({error.msg} at line {error.lineno}); fix it or pass "
                             "--app") from error
    if not isinstance(data, dict):
        raise SynthesisError(f"{path} does not hold a JSON object")
    return data


def synthesize(app_command: str | None, output: Path) -> Path:
    """Run the app (``app_command``, else cdk.json's ``app``) with its output in ``output``; returns ``output``.

    A run that fails only because a pack found something (CDK's ``ValidationFailed``) is a success here:
    the validation report is written, and the check reads it.
    """
    cdk_json = read_cdk_json(Path("cdk.json"))
    command = app_command or cdk_json.get("app")
    if not isinstance(command, str) or not command.strip():
        raise SynthesisError("no CDK app to check: pass --app 'python3 app.py' or run where a cdk.json names one")
    configured = cdk_json.get("context")
    context = dict(configured) if isinstance(configured, dict) else {}
    context.update(read_cdk_json(Path("cdk.context.json")))
    try:
        output.mkdir(parents=True, exist_ok=True)
        # A stale manifest or report would make a failed run look like a finished one.
        for stale in ("manifest.json", VALIDATION_REPORT, PACKS_FILE):
            (output / stale).unlink(missing_ok=True)
    except OSError as error:
        raise SynthesisError(f"cannot write the assembly into {output} ({error.strerror}); pass --output "
                             "with a writable directory") from error
    silence_end_of_life_banner()
    argv, extra_path = app_argv(command)
    environment = dict(os.environ, CDK_OUTDIR=str(output.resolve()), CDK_CONTEXT_JSON=json.dumps(context))
    with tempfile.TemporaryDirectory(prefix="omics-secure-") as scratch:
        if extra_path:
            environment["PYTHONPATH"] = os.pathsep.join(
                p for p in (_importable_package(Path(scratch)), environment.get("PYTHONPATH")) if p)
        log, returncode = _run(argv, command, environment)
    manifest_written = (output / "manifest.json").is_file()
    report_written = (output / VALIDATION_REPORT).is_file()
    if returncode != 0 and not (manifest_written and report_written and "ValidationFailed" in log):
        raise SynthesisError(f"the app '{command}' failed (exit code {returncode}): {failure_message(log)}")
    if not manifest_written:
        raise SynthesisError(f"the app '{command}' wrote no cloud assembly into {output}: does it call app.synth()?")
    check_context(output)
    return output


def check_context(assembly_dir: Path) -> None:
    """Refuse an assembly whose app still needs context lookups: its templates hold placeholders."""
    try:
        missing = missing_context(assembly_dir)
    except AssemblyError:
        return  # reading the assembly reports it
    if missing:
        raise SynthesisError(
            f"the app needs context lookups that only AWS credentials can answer ({', '.join(missing)}): run "
            "'npx aws-cdk@2 synth' once with credentials, which saves the answers in cdk.context.json, or put "
            "the values in cdk.json's context")


def app_argv(command: str) -> tuple[list[str], bool]:
    """The app command's argv, and whether omics_secure must be put on the app interpreter's path.

    A Python app (``python3 app.py``, ``/abs/.venv/bin/python app.py``, ``py app.py``, ``poetry run python
    app.py``, ``python -m app``) runs through the bootstrap that registers every pack on it. A bare
    interpreter name runs as this interpreter, which has omics-secure and aws-cdk-lib; a path (or one
    behind a launcher) is kept, since the app may need that environment's packages. Any other command
    runs as it is.
    """
    try:
        argv = shlex.split(command, posix=os.name != "nt")
    except ValueError as error:
        raise SynthesisError(f"cannot parse the app command '{command}': {error}") from error
    if not argv:
        raise SynthesisError("the app command is empty: pass --app 'python3 app.py'")
    for position, word in enumerate(argv):
        if not _PYTHON.match(Path(word.replace("\\", "/")).name):
            continue
        options, rest = _interpreter_options(argv[position + 1:])
        if not rest or not (rest[0].endswith(".py") or rest[0] == "-m"):
            return argv, False
        bare = position == 0 and "/" not in word and "\\" not in word
        interpreter = sys.executable if bare else word
        own = bare or _same_file(word, sys.executable)
        return [*argv[:position], interpreter, *options, "-m", BOOTSTRAP_MODULE, *rest], not own
    return argv, False


def _interpreter_options(words: list[str]) -> tuple[list[str], list[str]]:
    options: list[str] = []
    index = 0
    while index < len(words) and words[index].startswith("-") and words[index] != "-m":
        options.append(words[index])
        if words[index] in _OPTIONS_WITH_VALUE and index + 1 < len(words):
            options.append(words[index + 1])
            index += 1
        index += 1
    return options, words[index:]


def _same_file(first: str, second: str) -> bool:
    try:
        return os.path.samefile(first, second)
    except OSError:
        return False


def _importable_package(scratch: Path) -> str | None:
    """A directory holding only a link to this omics_secure package, for another interpreter's path: adding
    this environment's site-packages would mix its compiled packages into the app's."""
    try:
        (scratch / "omics_secure").symlink_to(PACKAGE_DIR, target_is_directory=True)
    except OSError:
        return None
    return str(scratch)


def _run(argv: list[str], command: str, environment: Mapping[str, str]) -> tuple[str, int]:
    with tempfile.TemporaryFile(mode="w+", encoding="utf-8", errors="replace") as captured:
        try:
            completed = subprocess.run(argv, env=environment, stdout=captured, stderr=subprocess.STDOUT,
                                       stdin=subprocess.DEVNULL, check=False)
        except FileNotFoundError as error:
            raise SynthesisError(f"cannot run the app '{command}': {argv[0]} not found; pass --app with a "
                                 "command that runs your CDK app") from error
        except OSError as error:
            raise SynthesisError(f"cannot run the app '{command}': {error.strerror or error}") from error
        captured.seek(0)
        return captured.read(), completed.returncode


def failure_message(log: str) -> str:
    """CDK's (or the app's) own message from a failed run's output, in one line.

    A Python traceback ends with the exception line; jsii errors repeat the JavaScript message after
    ``Error:``. Without either, the last lines of output are kept.
    """
    lines = [line.strip() for line in log.strip().splitlines() if line.strip()]
    exceptions = [i for i, line in enumerate(lines) if _EXCEPTION_LINE.match(line) and not line.startswith("File ")]
    if not exceptions:
        message = " | ".join(lines[-2:]) or "no output"
        return message if len(message) <= _MESSAGE_LIMIT else message[:_MESSAGE_LIMIT - 3] + "..."
    # An exception's message may go on over more lines (OmicsSecureConfigError lists each prop, its value
    # and the fix); they are the part the user needs, so they stay, joined into the one line.
    last = exceptions[-1]
    message = " ".join([lines[last], *(line for line in lines[last + 1:] if not line.startswith(("at ", "File ")))])
    limit = _MESSAGE_LIMIT * 3
    return message if len(message) <= limit else message[:limit - 3] + "..."
