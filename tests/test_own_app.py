"""omics-secure as a team uses it in its own app: built as a wheel and an sdist with the standard tools,
installed into a new venv outside this repository, and run on examples/own-app (laid out as ``cdk init app
--language python`` makes it, with an explicit account) without AWS credentials.

The venv is installed from uv's cache (``--offline``: no test reaches the internet), pinned to the versions
this environment runs; ``make`` filled the cache when it installed them. The app's first check works offline
and its open finding (the PHI bucket is not replicated) exits 1 from ``check``, from ``report`` and from the
pre-commit hook, as omics-secure installed in the app's venv and as a tool from outside it (a pipx install).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from tests.harness import REPOSITORY, lint_assembly

pytestmark = pytest.mark.slow  # builds the package, installs a venv and runs the command on an app
UV = Path(sys.executable).with_name("uv")
OWN_APP = REPOSITORY / "examples" / "own-app"
BANNER = "end-of-life"
OPEN_FINDING = "OwnAppStack/Reads/Resource/Resource: S3 replication off"


def run(argv: list[object], **kwargs: object) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(word) for word in argv], capture_output=True, text=True, check=False,
                          timeout=900, **kwargs)  # type: ignore[call-overload]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The sdist and the wheel, built as 'uv build' builds them (the wheel from the sdist)."""
    out = tmp_path_factory.mktemp("dist")
    built = run([UV, "build", "--offline", "--quiet", "--out-dir", out, REPOSITORY])
    assert built.returncode == 0, built.stderr
    return out


@dataclass(frozen=True)
class Installed:
    venv: Path
    app: Path
    environment: dict[str, str]

    @property
    def bin(self) -> Path:
        return self.venv / ("Scripts" if os.name == "nt" else "bin")


@pytest.fixture(scope="module")
def installed(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Installed:
    """A new venv outside the repository with the wheel installed, and a copy of examples/own-app beside it,
    in a shell with no AWS credentials, no AWS or CDK settings and the venv activated."""
    root = tmp_path_factory.mktemp("team")
    venv = root / ".venv"
    made = run([UV, "venv", "--quiet", "--python", sys._base_executable, venv])  # type: ignore[attr-defined]
    assert made.returncode == 0, made.stderr
    frozen = run([UV, "pip", "freeze", "--python", sys.executable]).stdout.splitlines()
    constraints = root / "constraints.txt"
    constraints.write_text("\n".join(line for line in frozen if not line.startswith(("omics-secure", "-e "))))
    [wheel] = dist.glob("*.whl")
    python = venv / ("Scripts" if os.name == "nt" else "bin") / "python"
    for extra in ([], ["--reinstall-package", "aws-cdk-lib"]):  # as make does: aws-cdk-lib's schema module last
        done = run([UV, "pip", "install", "--offline", "--quiet", "--python", python, "-c", constraints, *extra,
                    wheel])
        assert done.returncode == 0, done.stderr
    app = root / "own-app"
    shutil.copytree(OWN_APP, app, ignore=shutil.ignore_patterns("cdk.out", "__pycache__"))
    environment = {name: value for name, value in os.environ.items()
                   if not name.startswith(("AWS_", "CDK_", "JSII_", "VIRTUAL_ENV", "PYTHON"))}
    outside = [p for p in environment.get("PATH", "").split(os.pathsep) if Path(p) != Path(sys.executable).parent]
    environment.update(PATH=os.pathsep.join([str(python.parent), *outside]), VIRTUAL_ENV=str(venv),
                       AWS_CONFIG_FILE=str(root / "no-aws-config"), AWS_SHARED_CREDENTIALS_FILE=str(root / "none"),
                       AWS_EC2_METADATA_DISABLED="true")
    return Installed(venv, app, environment)


def test_the_wheel_and_sdist_carry_every_file_the_package_reads(dist):
    shipped = run(["git", "ls-files", "omics_secure"], cwd=REPOSITORY).stdout.split()
    data = sorted(path for path in shipped if not path.endswith(".py"))
    assert "omics_secure/py.typed" in data and "omics_secure/compliance/prices.json" in data
    [wheel] = dist.glob("*.whl")
    [sdist] = dist.glob("*.tar.gz")
    in_wheel = set(zipfile.ZipFile(wheel).namelist())
    assert [path for path in shipped if path not in in_wheel] == []
    with tarfile.open(sdist) as archive:
        in_sdist = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert [path for path in shipped if path not in in_sdist] == []
    metadata = zipfile.ZipFile(wheel).read(next(n for n in in_wheel if n.endswith("/METADATA"))).decode()
    assert "Requires-Dist: cdk-nag<4,>=3.0.2" in metadata and "Requires-Dist: cfn-lint>=1" in metadata
    assert "omics-secure = omics_secure.cli:main" in zipfile.ZipFile(wheel).read(
        next(n for n in in_wheel if n.endswith("/entry_points.txt"))).decode()


def test_the_installed_package_is_the_wheel_not_this_checkout(installed):
    found = run([installed.bin / "python", "-c", "import omics_secure, sys; print(omics_secure.__file__)"],
                cwd=installed.app, env=installed.environment)
    assert Path(found.stdout.strip()).is_relative_to(installed.venv), found.stdout + found.stderr


@pytest.fixture(scope="module")
def first_check(installed: Installed) -> subprocess.CompletedProcess[str]:
    """``omics-secure check`` in the app's directory, as the team first runs it: its assembly is cdk.out."""
    return run([installed.bin / "omics-secure", "check"], cwd=installed.app, env=installed.environment)


def test_the_first_check_runs_offline_and_its_open_finding_exits_1(installed, first_check):
    checked = first_check
    out = checked.stdout
    assert checked.returncode == 1, out + checked.stderr
    assert OPEN_FINDING in out
    assert "  FAIL  HIPAA.Security           1 open" in out and "  PASS  OmicsSecure" in out
    # The app runs in this venv, which is omics-secure's own: the packs ran inside it, as in cdk synth.
    assert "did not run in the app" not in out
    # The VPC is given its zones: the zone lookup the explicit account makes aws-cdk-lib ask for is a note with
    # the line that answers it for 'cdk synth', not a failure.
    assert ('add to cdk.context.json "availability-zones:account=111122223333:region=us-east-1": '
            '["us-east-1a", "us-east-1b"]') in out
    assert BANNER not in out + checked.stderr and "Traceback" not in out + checked.stderr
    assert lint_assembly(installed.app / "cdk.out") == []


def test_report_of_the_checked_assembly_states_the_open_finding_first_and_exits_1(installed, first_check):
    """As a CI job publishes the summary after the check: ``report --assembly`` of the check's cdk.out (the
    command's tests run ``report`` on an app it synthesizes itself)."""
    summary = installed.app / "summary.md"
    reported = run([installed.bin / "omics-secure", "report", "--assembly", "cdk.out", "--file", summary],
                   cwd=installed.app, env=installed.environment)
    assert reported.returncode == 1, reported.stderr
    assert re.match(r"\*\*Result\\: FAIL - 2 open findings", summary.read_text().splitlines()[2])
    zero = run([installed.bin / "omics-secure", "report", "--assembly", "cdk.out", "--exit-zero"],
               cwd=installed.app, env=installed.environment)
    assert zero.returncode == 0, zero.stderr


def test_the_pre_commit_hook_of_the_app_fails_the_commit(installed, tmp_path):
    app = installed.app
    for argv in (["git", "init", "-q"], ["git", "add", "-A"]):
        assert run(argv, cwd=app).returncode == 0
    hooked = run([sys.executable, "-m", "pre_commit", "try-repo", REPOSITORY, "omics-secure-app", "--all-files"],
                 cwd=app, env={**installed.environment, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")})
    assert hooked.returncode == 1, hooked.stdout + hooked.stderr
    assert re.search(r"omics-secure check \(CDK app\)\.+Failed", hooked.stdout), hooked.stdout
    assert OPEN_FINDING in hooked.stdout


def test_the_template_hook_judges_changed_templates_and_leaves_other_json_alone(installed, tmp_path):
    """The template hook is 'language: python': pre-commit installs it from the repository, which needs the
    internet. Its entry, files and exclude run here as a local hook of the venv, as pre-commit selects files."""
    [hook] = [h for h in yaml.safe_load((REPOSITORY / ".pre-commit-hooks.yaml").read_text())
              if h["id"] == "omics-secure-template"]
    repository = tmp_path / "templates-repo"
    (repository / "cfn").mkdir(parents=True)
    shutil.copy(REPOSITORY / "tests" / "corpus" / "sg-open-ssh.yaml", repository / "cfn" / "sg-open-ssh.yaml")
    (repository / "package.json").write_text(json.dumps({"name": "infra", "version": "1.0.0"}))
    # The acknowledgments file beside the templates is read by the check, not judged as a template.
    (repository / "cfn" / "omics-secure.acknowledgments.yaml").write_text("acknowledgments: []\n")
    (repository / "cdk.json").write_text(json.dumps({"app": "python3 app.py"}))
    local = {key: hook[key] for key in ("id", "name", "entry", "files", "exclude", "require_serial")}
    config = {"repos": [{"repo": "local", "hooks": [{**local, "language": "system"}]}]}
    (repository / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config))
    for argv in (["git", "init", "-q"], ["git", "add", "-A"]):
        assert run(argv, cwd=repository).returncode == 0
    hooked = run([sys.executable, "-m", "pre_commit", "run", "--all-files"], cwd=repository,
                 env={**installed.environment, "PRE_COMMIT_HOME": str(tmp_path / "pre-commit")})
    assert hooked.returncode == 1, hooked.stdout + hooked.stderr
    assert "omics-secure check: 1 template" in hooked.stdout or "sg-open-ssh.yaml" in hooked.stdout
    assert "EC2NoOpenIngress" in hooked.stdout and "package.json" not in hooked.stdout
    assert "not a CloudFormation template" not in hooked.stdout, hooked.stdout


def test_omics_secure_from_outside_runs_the_app_under_the_apps_own_interpreter(installed, tmp_path):
    """As a pipx install: this environment's omics-secure, the app's venv first on PATH. A venv made from the same
    base Python as this one is not this environment, so the app runs in its own, as cdk synth runs it, and the
    packs are run on its templates."""
    output = tmp_path / "cdk.out"
    checked = run([sys.executable, "-m", "omics_secure", "check", "--output", output], cwd=installed.app,
                  env=installed.environment)
    out = checked.stdout
    assert checked.returncode == 1, out + checked.stderr
    assert OPEN_FINDING in out
    assert "HIPAA.Security, NIST.800.53.R5, AwsSolutions did not run in the app" in out
