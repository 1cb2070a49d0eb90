"""examples/ci: every omics-secure command in the CI files is one the command accepts, and the files they publish
are the ones it writes."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
import yaml

from omics_secure.cli import _parser
from omics_secure.reporting.writers import GITLAB_SAST_FILE, JUNIT_FILE, SARIF_FILE
from tests.harness import REPOSITORY

CI = REPOSITORY / "examples" / "ci"
REPORT_DIR = "omics-secure-reports"


def commands(lines: list[str]) -> list[list[str]]:
    """The omics-secure command lines of shell steps, as argv after the command's name."""
    found = []
    for text in lines:
        for line in text.splitlines():
            words = shlex.split(line.strip())
            for start, word in enumerate(words):
                if Path(word).name == "omics-secure":
                    found.append(words[start + 1:])
                    break
    return found


def github_steps() -> list[dict[str, object]]:
    workflow = yaml.safe_load((CI / "github-actions.yml").read_text())
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def gitlab_job() -> dict[str, object]:
    return yaml.safe_load((CI / "gitlab-ci.yml").read_text())["omics-secure"]


@pytest.mark.parametrize("argv", [
    *commands([str(step["run"]) for step in github_steps() if "run" in step]),
    *commands([line for key in ("script", "after_script") for line in gitlab_job()[key]]),  # type: ignore[attr-defined]
], ids=" ".join)
def test_every_command_parses(argv):
    args = _parser().parse_args(argv)
    assert args.command in ("check", "report")


def test_each_checks_and_fails_on_open_findings_then_publishes_what_check_writes():
    steps = github_steps()
    checks = [s for s in steps if "run" in s and "omics-secure check" in str(s["run"])]
    assert len(checks) == 1 and "continue-on-error" not in checks[0]  # exit 1 fails the job
    uses = {str(step["uses"]).split("@")[0]: step for step in steps if "uses" in step}
    sarif = uses["github/codeql-action/upload-sarif"]
    assert sarif["with"]["sarif_file"] == f"{REPORT_DIR}/{SARIF_FILE}"  # type: ignore[index]
    assert sarif["if"] == "${{ !cancelled() }}"  # published when the check fails too
    assert uses["mikepenz/action-junit-report"]["with"]["report_paths"] == f"{REPORT_DIR}/{JUNIT_FILE}"  # type: ignore[index]
    job = gitlab_job()
    assert job["script"] == [f"omics-secure check --report-dir {REPORT_DIR}"]
    assert job["artifacts"] == {"when": "always", "paths": [f"{REPORT_DIR}/"], "reports": {
        "junit": f"{REPORT_DIR}/{JUNIT_FILE}", "sast": f"{REPORT_DIR}/{GITLAB_SAST_FILE}"}}
