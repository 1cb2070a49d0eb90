"""Run a user's CDK app into a cloud assembly as ``cdk synth`` runs it, with every pack registered when the app
runs in omics-secure's own Python environment.

Whatever goes wrong is a :class:`SynthesisError` with one line that says what failed and what to do:
the app command cannot run, the app raised (CDK's own message is kept), it wrote no assembly, or it
needs context lookups that only AWS credentials can answer.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from omics_secure._internal.node_runtime import silence_end_of_life_banner
from omics_secure.compliance.bootstrap import PACKS_FILE
from omics_secure.inputs.assembly import AZ_PROVIDER, AssemblyError, MissingLookup, missing_context
from omics_secure.reporting.validation_report import VALIDATION_REPORT

BOOTSTRAP_MODULE = "omics_secure.compliance.bootstrap"
# python, python3, python3.12, pythonw, py (the Windows launcher), with or without .exe.
_PYTHON = re.compile(r"^(?:python(?:\d+(?:\.\d+)*)?w?|py)(?:\.exe)?$", re.IGNORECASE)
# Interpreter options that take a value (python -X dev app.py, python -W error app.py).
_OPTIONS_WITH_VALUE = frozenset({"-X", "-W", "--check-hash-based-pycs"})
# A Python exception line at the end of a traceback: "ValueError: ...", "jsii.errors.JSIIError: ...".
_EXCEPTION_LINE = re.compile(r"^(?:[A-Za-z_][\w.]*\.)?[A-Za-z_]\w*(?:Error|Exception|Exit|Failed|Warning)\b:?.*$")
_MESSAGE_LIMIT = 400
# What the CDK CLI gives CDK_DEFAULT_REGION when no region is configured (the AWS SDK's default).
DEFAULT_REGION = "us-east-1"


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


def synthesize(app_command: str | None, output: Path, context: Mapping[str, object] | None = None) -> Synthesized:
    """Run the app (``app_command``, else cdk.json's ``app``) as ``cdk synth`` runs it, with its output in
    ``output``.

    The context is the CDK CLI's: cdk.context.json, then cdk.json's ``context`` over it, then ``context`` (the
    command's ``--context``) over both. The app runs under its own interpreter with its own packages; when that
    interpreter is omics-secure's own, every pack is registered in it (see :func:`app_argv`). A run that fails
    only because a pack found something (CDK's ``ValidationFailed``) is a success here: the validation report
    is written, and the check reads it.
    """
    cdk_json = read_cdk_json(Path("cdk.json"))
    command = resolve_app_command(app_command)
    configured = cdk_json.get("context")
    merged = read_cdk_json(Path("cdk.context.json"))
    merged.update(configured if isinstance(configured, dict) else {})
    merged.update(context or {})
    try:
        output.mkdir(parents=True, exist_ok=True)
        # A stale manifest or report would make a failed run look like a finished one.
        for stale in ("manifest.json", VALIDATION_REPORT, PACKS_FILE):
            (output / stale).unlink(missing_ok=True)
    except OSError as error:
        raise SynthesisError(f"cannot write the assembly into {output} ({error.strerror}); pass --output "
                             "with a writable directory") from error
    silence_end_of_life_banner()
    environment = cdk_environment(os.environ)
    run = app_argv(command, path=environment.get("PATH"))
    environment.update(CDK_OUTDIR=str(output.resolve()), CDK_CONTEXT_JSON=json.dumps(merged))
    log, returncode = _run(run.argv, command, environment)
    manifest_written = (output / "manifest.json").is_file()
    report_written = (output / VALIDATION_REPORT).is_file()
    if returncode != 0 and not (manifest_written and report_written and "ValidationFailed" in log):
        raise SynthesisError(f"the app '{command}' failed (exit code {returncode}): "
                             f"{failure_message(log)}{_hint(log, environment)}")
    if not manifest_written:
        raise SynthesisError(f"the app '{command}' wrote no cloud assembly into {output}: does it call app.synth()?")
    return Synthesized(output, run.packs_in_app, tuple(check_context(output)))


def resolve_app_command(app_command: str | None) -> str:
    """The command that runs the app: ``app_command``, else cdk.json's ``app``; a :class:`SynthesisError` when
    there is none, raised before anything says that the app is being synthesized."""
    command = app_command or read_cdk_json(Path("cdk.json")).get("app")
    if not isinstance(command, str) or not command.strip():
        raise SynthesisError("no CDK app to check: pass --app 'python3 app.py' or run where a cdk.json names one")
    return command


@dataclass(frozen=True)
class Synthesized:
    """A synthesized app: its assembly, whether the packs were registered in it, and notes for the reader."""

    assembly: Path
    packs_in_app: bool
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppRun:
    """How the app command runs: its argv, and whether the bootstrap registers every pack in it."""

    argv: list[str]
    packs_in_app: bool


def parse_context(assignments: Sequence[str]) -> dict[str, object]:
    """``--context KEY=VALUE`` values, as ``cdk synth -c`` takes them: the value is a string, or JSON when it
    starts with ``[``, ``{`` or ``"`` (a lookup's answer). A lookup's key holds ``=`` itself
    (``availability-zones:account=1:region=r``), so the value starts at the first ``=`` that a JSON value
    follows, else at the first ``=``."""
    context: dict[str, object] = {}
    for assignment in assignments:
        split = re.search(r"=(?=[\[{\"])", assignment) or re.search("=", assignment)
        key = assignment[:split.start()] if split else ""
        if not split or not key:
            raise SynthesisError(f"--context {assignment!r} is not KEY=VALUE; pass e.g. --context "
                                 "omics-secure:account=123456789012")
        value: object = assignment[split.end():]
        if isinstance(value, str) and value[:1] in ("[", "{", '"'):
            try:
                value = json.loads(value)
            except json.JSONDecodeError as error:
                raise SynthesisError(f"--context {key}: {value!r} starts like JSON but is not ({error.msg}); "
                                     "quote the whole assignment for your shell") from error
        context[key] = value
    return context


def cdk_environment(shell: Mapping[str, str]) -> dict[str, str]:
    """The environment ``cdk synth`` gives an app: the shell's, with ``CDK_DEFAULT_REGION`` set as the CDK CLI
    sets it (``AWS_REGION``, ``AWS_DEFAULT_REGION``, the profile's region, else us-east-1) and
    ``CDK_DEFAULT_ACCOUNT`` as the shell has it: the CLI asks STS for the account, which needs credentials, and
    the check makes no AWS call."""
    environment = dict(shell)
    environment["CDK_DEFAULT_REGION"] = (shell.get("AWS_REGION") or shell.get("AWS_DEFAULT_REGION")
                                         or _profile_region(shell) or DEFAULT_REGION)
    return environment


def _profile_region(shell: Mapping[str, str]) -> str | None:
    """The region the shell's AWS config file gives its profile (``AWS_PROFILE``, else default); reading it needs
    no credentials."""
    from botocore.configloader import load_config
    from botocore.exceptions import BotoCoreError

    path = shell.get("AWS_CONFIG_FILE") or os.path.join("~", ".aws", "config")
    profile = shell.get("AWS_PROFILE") or shell.get("AWS_DEFAULT_PROFILE") or "default"
    try:
        profiles = load_config(os.path.expanduser(path)).get("profiles", {})
    except (BotoCoreError, OSError, ValueError):
        return None
    region = profiles.get(profile, {}).get("region")
    return region if isinstance(region, str) and region else None


def _hint(log: str, environment: Mapping[str, str]) -> str:
    if "CDK_DEFAULT_ACCOUNT" in log and not environment.get("CDK_DEFAULT_ACCOUNT"):
        return (". The app reads CDK_DEFAULT_ACCOUNT, which cdk synth asks AWS for and omics-secure does not: "
                "export CDK_DEFAULT_ACCOUNT=<your 12-digit account id> or give the stack its account")
    return ""


def check_context(assembly_dir: Path) -> list[str]:
    """Refuse an assembly whose app still needs context lookups its templates depend on: they hold placeholders.

    An Availability Zone lookup whose placeholder zones no template names did not shape the templates (an
    ``ec2.Vpc`` given its zones still asks for the region's, to compare): it is returned as a note, with the line
    that answers it for ``cdk synth``.
    """
    try:
        missing = missing_context(assembly_dir)
    except AssemblyError:
        return []  # reading the assembly reports it
    if not missing:
        return []
    unused = [lookup for lookup in missing
              if lookup.provider == AZ_PROVIDER and not _placeholders_used(assembly_dir, lookup.placeholders)]
    needed = [lookup for lookup in missing if lookup not in unused]
    if needed:
        lines = "; ".join(_answer_line(lookup) for lookup in needed)
        raise SynthesisError(
            f"the app needs context lookups that only AWS credentials can answer: add to cdk.context.json {lines}; "
            "or run 'npx aws-cdk@2 synth' once with credentials, which saves the answers there")
    return [f"the app asked for {lookup.key}, which no template uses (the zones are given); 'cdk synth' without "
            f"credentials still asks, so add to cdk.context.json {_answer_line(lookup)}" for lookup in unused]


def _answer_line(lookup: MissingLookup) -> str:
    """The cdk.context.json line that answers ``lookup``, with a placeholder for the value only AWS knows."""
    if lookup.provider == AZ_PROVIDER:
        region = str(lookup.props.get("region", "REGION"))
        value = json.dumps([f"{region}a", f"{region}b"])
        return f"{json.dumps(lookup.key)}: {value} (the zone names of your account)"
    if lookup.provider == "ssm":
        return f"{json.dumps(lookup.key)}: \"<the parameter's value>\""
    return f"{json.dumps(lookup.key)}: <{lookup.provider} lookup result; cdk synth with credentials writes it>"


def _placeholders_used(assembly_dir: Path, placeholders: Sequence[str]) -> bool:
    """Whether any template of the assembly holds one of the lookup's placeholder strings."""
    if not placeholders:
        return True
    for template in assembly_dir.rglob("*.template.json"):
        try:
            text = template.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return True
        if any(json.dumps(placeholder) in text for placeholder in placeholders):
            return True
    return False


def app_argv(command: str, *, path: str | None = None) -> AppRun:
    """How the app command runs, as ``cdk synth`` runs it: a bare interpreter name (``python3 app.py``) is the
    one on ``path`` (the PATH a shell would search), a path or a launcher (``poetry run python``) is kept.

    A Python app (``python3 app.py``, ``/abs/.venv/bin/python app.py``, ``py app.py``, ``python -m app``) whose
    interpreter is omics-secure's own environment runs through the bootstrap that registers every pack in it.
    Any other interpreter has its own packages (the app's, perhaps cdk-nag 2 or none) and runs the app as it is;
    the check then runs the packs on the templates. Any other command runs as it is.
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
        if position > 0 or not rest or not (rest[0].endswith(".py") or rest[0] == "-m"):
            return AppRun(argv, packs_in_app=False)  # behind a launcher, the launcher picks the interpreter
        bare = "/" not in word and "\\" not in word
        interpreter = shutil.which(word, path=path) if bare else word
        if interpreter is None or not is_own_environment(interpreter):
            return AppRun(argv, packs_in_app=False)
        return AppRun([interpreter, *options, "-m", BOOTSTRAP_MODULE, *rest], packs_in_app=True)
    return AppRun(argv, packs_in_app=False)


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


def is_own_environment(interpreter: str) -> bool:
    """Whether ``interpreter`` runs in this Python environment (the one omics-secure is installed in).

    A virtual environment's interpreter is a link to its base Python, so the file itself says nothing: the
    environment is the directory above its ``bin`` (``Scripts`` on Windows) when that holds a ``pyvenv.cfg``,
    else the base installation the link leads to.
    """
    path = Path(os.path.abspath(interpreter))
    root = path.parent.parent
    if not (root / "pyvenv.cfg").is_file():
        root = Path(os.path.realpath(path)).parent.parent
    try:
        return os.path.samefile(root, sys.prefix)
    except OSError:
        return False


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
