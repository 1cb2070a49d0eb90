"""``omics-secure access`` against ``omics-secure check --assembly`` on the organization example's assembly:
``python benchmarks/access.py [--projects 100] [--assembly DIR | --keep DIR]``.

Builds the 100-project organization assembly as ``benchmarks/organization.py`` does (or reads ``--assembly``),
or builds it into ``--keep DIR`` and keeps it there for later ``--assembly DIR`` runs (synthesis takes minutes),
then times each command as a fresh process, as CI runs them, and prints the ratio against the target
(access within 1.5x of the check). Nothing here is a test: the numbers go in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from organization import _CHILD, context_for, projects_file

TARGET = 1.5
ENVIRONMENT = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
COMMAND = [sys.executable, "-m", "omics_secure"]


def build(count: int, directory: Path) -> Path:
    projects = projects_file(count)
    path = directory / "projects.json"
    path.write_text(json.dumps(projects))
    assembly = directory / "cdk.out"
    subprocess.run([sys.executable, "-c", _CHILD, str(path), str(assembly), json.dumps(context_for(projects))],
                   check=True, capture_output=True, env=ENVIRONMENT)
    return assembly


def timed(arguments: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        done = subprocess.run([*COMMAND, *arguments], capture_output=True, text=True, env=ENVIRONMENT, check=False)
        times.append(time.perf_counter() - started)
        if done.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(arguments)} failed:\n{done.stderr[-2000:]}")
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=100)
    parser.add_argument("--assembly", type=Path, help="an organization assembly already built")
    parser.add_argument("--keep", type=Path, help="build the assembly into DIR/cdk.out and keep it there")
    parser.add_argument("--repeat", type=int, default=3)
    arguments = parser.parse_args()
    if arguments.assembly and arguments.keep:
        parser.error("--assembly and --keep exclude each other")
    with tempfile.TemporaryDirectory() as directory:
        if arguments.keep:
            arguments.keep.mkdir(parents=True, exist_ok=True)
        assembly = arguments.assembly or build(arguments.projects, arguments.keep or Path(directory))
        reports = Path(directory) / "reports"
        check = timed(["check", "--assembly", str(assembly), "--report-dir", str(reports)], arguments.repeat)
        listing = timed(["access", "--assembly", str(assembly), "--format", "json"], arguments.repeat)
    ratio = listing / check
    print("| command | seconds (median) |\n|---|---|")
    print(f"| omics-secure check --assembly | {check:.2f} |\n| omics-secure access --assembly --format json | "
          f"{listing:.2f} |")
    print(f"\naccess / check: {ratio:.2f}x (target <= {TARGET}x, {'met' if ratio <= TARGET else 'not met'})")


if __name__ == "__main__":
    main()
