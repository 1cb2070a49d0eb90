"""`omics-secure check --template` over many hand-written templates in one process, beside cfn-lint and checkov.

Usage: ``.venv/bin/python benchmarks/templates.py --templates DIR [--count 60] [--checkov CMD] [--repeat 3]``

Takes the first ``--count`` templates under ``DIR`` (JSON or YAML, sorted by path) that omics-secure reads as
templates of at most 500 resources, and times, each as one process on the same files:

- ``omics-secure check --template FILE...`` (all four packs: cdk-nag's three through CfnInclude, and OmicsSecure),
  with its reports written;
- the same command on the first template alone, so that ``(all - one) / (count - 1)`` is the cost of one more
  template once the process has started;
- ``cfn-lint FILE...`` (this project's dependency);
- ``checkov --framework cloudformation --file FILE...`` when ``--checkov`` names its command (checkov is not a
  dependency of the project: install it in a virtual environment of its own).

Each command runs ``--repeat`` times; the median wall and CPU seconds (the children's, from ``os.wait4``) are
printed as a Markdown table. Exit codes are printed, not judged: every tool fails these templates.
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))
BIN = Path(sys.executable).parent
SUFFIXES = (".json", ".yaml", ".yml", ".template")


def templates(directory: Path, count: int) -> list[Path]:
    """The first ``count`` files under ``directory`` that load as templates of at most 500 resources."""
    from omics_secure.inputs.templates import TemplateError, load_templates

    chosen: list[Path] = []
    for path in sorted(p for p in directory.rglob("*") if p.suffix in SUFFIXES and p.is_file()):
        try:
            stacks = load_templates([path])
        except TemplateError:
            continue
        if all(len(stack.resources) <= 500 for stack in stacks):
            chosen.append(path)
        if len(chosen) == count:
            break
    return chosen


def run(command: list[str]) -> tuple[float, float, int]:
    """Wall seconds, CPU seconds of the process and its children, exit code."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                               env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"})
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    return wall, usage.ru_utime + usage.ru_stime, os.waitstatus_to_exitcode(status)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--templates", type=Path, required=True, help="a directory of CloudFormation templates")
    parser.add_argument("--count", type=int, default=60)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--checkov", help="the command that runs checkov, e.g. '/opt/checkov/bin/checkov'")
    args = parser.parse_args()
    files = templates(args.templates, args.count)
    if len(files) < 2:
        raise SystemExit(f"only {len(files)} templates under {args.templates}")
    names = [str(path) for path in files]
    with tempfile.TemporaryDirectory(prefix="omics-secure-bench-") as scratch:
        commands = {
            f"omics-secure check, {len(files)} templates": [
                str(BIN / "omics-secure"), "check", "--template", *names, "--report-dir", scratch],
            "omics-secure check, 1 template": [str(BIN / "omics-secure"), "check", "--template", names[0]],
            f"cfn-lint, {len(files)} templates": [str(BIN / "cfn-lint"), *names],
        }
        if args.checkov:
            commands[f"checkov, {len(files)} templates"] = [
                *shlex.split(args.checkov), "--framework", "cloudformation", "--quiet", "--compact",
                *(argument for name in names for argument in ("--file", name))]
        results: dict[str, list[tuple[float, float, int]]] = {name: [] for name in commands}
        for _ in range(args.repeat):  # in turn, so that a change of the machine's load touches every command
            for name, command in commands.items():
                results[name].append(run(command))
    print(f"{len(files)} templates under {args.templates}, {args.repeat} runs each, medians\n")
    print("| command | wall (s) | CPU (s) | exit code |\n|---|---|---|---|")
    for name, runs in results.items():
        print(f"| {name} | {statistics.median(r[0] for r in runs):.1f} | {statistics.median(r[1] for r in runs):.1f} "
              f"| {runs[0][2]} |")
    many = statistics.median(r[0] for r in results[f"omics-secure check, {len(files)} templates"])
    one = statistics.median(r[0] for r in results["omics-secure check, 1 template"])
    print(f"\nOne more template, once the process has started: {(many - one) / (len(files) - 1):.2f} s")


if __name__ == "__main__":
    main()
