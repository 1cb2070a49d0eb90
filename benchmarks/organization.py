"""How the organization app scales with its projects: ``python benchmarks/organization.py``.

For each size (default 1, 10, 50, 100) it writes a projects file of that many generated projects (each in
its own account, alternating region pairs, two waves) and runs, in a fresh process, the organization
app's synthesis with every compliance pack and the OmicsSecure rules (what ``omics-secure check`` does),
timing it and reading its peak memory: the peak resident set (``VmHWM`` in ``/proc``, so Linux only) of
the Python process plus that of the Node.js process jsii runs, read just before the child exits. It
prints the table for benchmarks/README.md, with the cost per project and the target: per-project time at
100 projects at most 1.2x the per-project time at 10.

Nothing here is a test. A size that does not finish within ``--timeout`` seconds is reported as such.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
EXAMPLE = REPOSITORY / "examples" / "organization"
TARGET_GROWTH = 1.2
REGION_PAIRS = (("us-east-1", "us-west-2"), ("us-west-2", "us-east-2"), ("us-east-2", "us-east-1"))

_CHILD = r"""
import json, os, sys, time
started = time.perf_counter()
import aws_cdk as cdk
from omics_secure.inputs.assembly import read_assembly
from omics_secure.compliance.engine import evaluate_stacks
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.stacks.organization import build_organization_app

projects_file, outdir, context = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
app = cdk.App(outdir=outdir, context=context)
build_organization_app(app, projects_file)  # every pack registered: synthesis runs them all
try:
    app.synth()
    passed = True
except RuntimeError as error:  # ValidationFailed: a finding, which the sample never has
    passed = "ValidationFailed" not in str(error) and None
failed_rules = []
if not passed:
    report = json.load(open(os.path.join(outdir, "validation-report.json")))
    failed_rules = sorted({
        v["ruleName"] + " " + str(r.get("constructPath") or r.get("resourceLogicalId"))
        for plugin in report.get("pluginReports", []) for v in plugin.get("violations", [])
        if v.get("severity") == "error" for r in v.get("violatingResources", [])})[:20]
stacks = read_assembly(outdir)
# Unacknowledged findings left after a passing synthesis are warnings (a failing one raises above).
open_findings = [f for f in evaluate_stacks(OMICS_SECURE_PACK, stacks) if f.acknowledgment is None]
def peak_kib(pid):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0
children = [int(c) for task in os.listdir("/proc/self/task")
            for c in open(f"/proc/self/task/{task}/children").read().split()]
peak = peak_kib("self") + sum(map(peak_kib, children))
print(json.dumps({"seconds": time.perf_counter() - started, "peak_kib": peak, "stacks": len(stacks),
                  "resources": sum(len(s.resources) for s in stacks), "passed": passed,
                  "omics_secure_open": len(open_findings),
                  "failed_rules": failed_rules}))
"""


def projects_file(count: int) -> dict[str, object]:
    sample = json.loads((EXAMPLE / "projects.json").read_text())
    projects = []
    for index in range(count):
        account = f"{200000000000 + index:012d}"
        primary, replica = REGION_PAIRS[index % len(REGION_PAIRS)]
        projects.append({
            "id": f"project-{index:03d}", "account": account, "organizational_unit": "ou-ab12-cd34ef56",
            "primary_region": primary, "replica_region": replica, "duc_ends": "2031-12-31",
            "wave": 1 if index == 0 else 2,
            "approvals": [{"id": f"phs{index:06d}.v1.p1", "principals": [f"arn:aws:iam::{account}:role/analysts"]}],
            "collaborators": [{"account": "444455556666", "approval": f"phs{index:06d}.v1.p1"}],
        })
    return {**sample, "projects": projects}


def context_for(projects: dict[str, object]) -> dict[str, object]:
    context = {key: value for key, value in json.loads((EXAMPLE / "cdk.json").read_text())["context"].items()
               if not key.startswith("availability-zones")}
    for project in projects["projects"]:  # type: ignore[attr-defined]
        region = project["primary_region"]
        context[f"availability-zones:account={project['account']}:region={region}"] = [
            f"{region}{zone}" for zone in "abc"]
    return context


def measure(count: int, timeout: float) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as directory:
        projects = projects_file(count)
        path = Path(directory) / "projects.json"
        path.write_text(json.dumps(projects))
        environment = {**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"}
        started = time.perf_counter()
        try:
            completed = subprocess.run(
                [sys.executable, "-c", _CHILD, str(path), str(Path(directory) / "cdk.out"),
                 json.dumps(context_for(projects))],
                capture_output=True, text=True, timeout=timeout, env=environment, check=False)
        except subprocess.TimeoutExpired:
            return {"projects": count, "timed_out": True, "seconds": time.perf_counter() - started}
        wall = time.perf_counter() - started
        if completed.returncode != 0:
            raise SystemExit(f"{count} projects failed:\n{completed.stderr[-3000:]}")
        result = json.loads(completed.stdout.strip().splitlines()[-1])
        return {"projects": count, "wall": wall, "peak_mib": result["peak_kib"] / 1024, **result}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1,10,50,100")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds allowed per size")
    arguments = parser.parse_args()
    rows = []
    print("| projects | stacks | resources | seconds | per project (s) | peak memory (MiB) | per project (MiB) |"
          " OmicsSecure warnings | passed |")
    print("|---|---|---|---|---|---|---|---|---|")
    for count in (int(size) for size in arguments.sizes.split(",")):
        row = measure(count, arguments.timeout)
        rows.append(row)
        if row.get("timed_out"):
            print(f"| {count} | - | - | > {arguments.timeout:.0f} (timed out) | - | - | - | - | - |", flush=True)
            continue
        print(f"| {count} | {row['stacks']} | {row['resources']} | {row['wall']:.1f} | "
              f"{row['wall'] / count:.2f} | {row['peak_mib']:.0f} | {row['peak_mib'] / count:.1f} | "
              f"{row['omics_secure_open']} | {row['passed']} |", flush=True)
        for failure in row.get("failed_rules") or []:
            print(f"    failed: {failure}", flush=True)
    finished = {row["projects"]: row for row in rows if not row.get("timed_out")}
    if 10 in finished and 100 in finished:
        growth = (finished[100]["wall"] / 100) / (finished[10]["wall"] / 10)  # type: ignore[operator]
        verdict = "met" if growth <= TARGET_GROWTH else "not met"
        print(f"\nper-project time, 100 / 10 projects: {growth:.2f}x (target <= {TARGET_GROWTH}x, {verdict})")


if __name__ == "__main__":
    main()
