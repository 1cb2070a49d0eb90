"""How fast the checks run and how they scale: ``python benchmarks/run.py`` (``make bench``).

Measures, in one run on one machine, and prints ratios against the targets:

1. plain synthesis of the reference app (no packs) against ``omics-secure check`` on it, each as a fresh
   process as a user or CI runs it (target: check within 1.5x of plain synthesis);
2. the OmicsSecure pack against cdk-nag's three packs on the same synthesized app (target: at most a
   quarter of cdk-nag's time);
3. synthetic apps with N PHI buckets (target: checking cost per bucket at N=1000 within 1.2x of N=100).

Timings are wall-clock medians; each measurement that builds an app runs in its own process so that
one size's jsii heap does not slow the next. Nothing here is a test: the numbers go in benchmarks/README.md.
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

REPOSITORY = Path(__file__).resolve().parent.parent
BUCKETS_PER_STACK = 50
TARGETS = {"check_over_synth": 1.5, "ours_over_cdk_nag": 0.25, "per_bucket_growth": 1.2}

# Runs in a child process: build an app, synthesize it without packs, then time each pack on it.
_MEASURE_APP = r"""
import json, sys, time
import omics_secure
import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NIST80053R5Checks
from omics_secure import AccessLogBucket, PhiBucket, PhiKey
from omics_secure.inputs.assembly import read_assembly
from omics_secure.compliance.engine import evaluate_stacks, stack_limit_warning
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.stacks.reference import build_reference_app

kind, size, outdir, context = sys.argv[1], int(sys.argv[2]), sys.argv[3], json.loads(sys.argv[4])
per_stack = int(sys.argv[5])
started = time.perf_counter()
app = cdk.App(outdir=outdir, context=context)
if kind == "reference":
    build_reference_app(app, with_compliance_packs=False)
else:
    env = cdk.Environment(account="111122223333", region="us-east-1")
    for first in range(0, size, per_stack):
        stack = cdk.Stack(app, f"Buckets{first // per_stack:03d}", env=env)
        key = PhiKey(stack, "DataKey")
        logs = AccessLogBucket(stack, "AccessLogs")
        for index in range(first, min(first + per_stack, size)):
            PhiBucket(stack, f"Cohort{index:04d}", key=key, access_logs=logs)
assembly = app.synth()
synth = time.perf_counter() - started
timings = {}
nag_packs = (HIPAASecurityChecks(app), NIST80053R5Checks(app), AwsSolutionsChecks(app))
nag_packs[0].validate_scope(app)  # untimed: the first walk loads cdk-nag's rule code in the jsii runtime
for pack in nag_packs:
    started = time.perf_counter()
    pack.validate_scope(app)
    timings[pack.name] = time.perf_counter() - started
evaluate_stacks(OMICS_SECURE_PACK, read_assembly(assembly.directory))  # untimed, as for cdk-nag
started = time.perf_counter()
stacks = read_assembly(assembly.directory)
evaluate_stacks(OMICS_SECURE_PACK, stacks)
[stack_limit_warning(stack) for stack in stacks]
timings["OmicsSecure"] = time.perf_counter() - started
resources = sum(len(stack.resources) for stack in stacks)
print(json.dumps({"synth": synth, "packs": timings, "resources": resources, "stacks": len(stacks)}))
"""


def context() -> dict[str, object]:
    return dict(json.loads((REPOSITORY / "cdk.json").read_text())["context"])


def environment() -> dict[str, str]:
    return dict(os.environ, JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION="20", PYTHONPATH=str(REPOSITORY))


def timed(command: list[str], *, cwd: Path = REPOSITORY, env: dict[str, str] | None = None) -> float:
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env or environment(), check=True, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def median(values: list[float]) -> float:
    return statistics.median(values)


def measure_app(kind: str, size: int) -> dict[str, object]:
    with tempfile.TemporaryDirectory() as outdir:
        completed = subprocess.run(
            [sys.executable, "-c", _MEASURE_APP, kind, str(size), outdir, json.dumps(context()),
             str(BUCKETS_PER_STACK)],
            env=environment(), check=False, capture_output=True, text=True)
    if completed.returncode != 0:
        raise SystemExit(f"measuring {kind} N={size} failed: {completed.stderr.strip().splitlines()[-1:]}")
    result: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return result


def reference_synth_against_check(repeat: int) -> tuple[float, float]:
    plain_code = ("import omics_secure, aws_cdk as cdk, json, sys; from omics_secure.stacks.reference import "
                  "build_reference_app; build_reference_app(cdk.App(outdir=sys.argv[1], "
                  "context=json.loads(sys.argv[2])), with_compliance_packs=False).synth()")
    plain, check = [], []
    for _ in range(repeat):
        with tempfile.TemporaryDirectory() as outdir:
            plain.append(timed([sys.executable, "-c", plain_code, outdir, json.dumps(context())]))
        with tempfile.TemporaryDirectory() as outdir:
            check.append(timed([str(Path(sys.executable).parent / "omics-secure"), "check", "--output", outdir]))
    return median(plain), median(check)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=3, help="repetitions of each timing (default 3)")
    parser.add_argument("--sizes", default="10,100,500,1000", help="bucket counts of the synthetic apps")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]

    print(f"# omics-secure benchmarks ({time.strftime('%Y-%m-%d')}, {os.cpu_count()} cores, "
          f"Python {sys.version.split()[0]})\n")
    plain, check = reference_synth_against_check(args.repeat)
    ratio = check / plain
    print("## Reference app: plain synthesis against `omics-secure check`\n")
    print("| plain synthesis (s) | check (s) | ratio | target |\n|---|---|---|---|")
    print(f"| {plain:.2f} | {check:.2f} | {ratio:.2f}x | <= {TARGETS['check_over_synth']}x "
          f"{'met' if ratio <= TARGETS['check_over_synth'] else 'MISSED'} |\n")

    runs = [measure_app("reference", 0) for _ in range(args.repeat)]
    packs = {name: median([run["packs"][name] for run in runs]) for name in runs[0]["packs"]}  # type: ignore[index]
    cdk_nag = sum(seconds for name, seconds in packs.items() if name != "OmicsSecure")
    ours_ratio = packs["OmicsSecure"] / cdk_nag
    print(f"## Packs on the reference app ({runs[0]['resources']} resources)\n")
    print("| pack | seconds |\n|---|---|")
    for name, seconds in packs.items():
        print(f"| {name} | {seconds:.3f} |")
    print(f"\nOmicsSecure / cdk-nag's three packs: {ours_ratio:.3f} (target <= {TARGETS['ours_over_cdk_nag']}, "
          f"{'met' if ours_ratio <= TARGETS['ours_over_cdk_nag'] else 'MISSED'})\n")

    print("## Synthetic apps with N PHI buckets "
          f"({BUCKETS_PER_STACK} per stack, one key and one access-log bucket per stack)\n")
    print("| N | stacks | resources | synth (s) | cdk-nag packs (s) | OmicsSecure (s) | check per bucket (ms) "
          "| OmicsSecure per bucket (ms) |\n|---|---|---|---|---|---|---|---|")
    per_bucket: dict[int, float] = {}
    for size in sizes:
        run = measure_app("buckets", size)
        timings = run["packs"]
        assert isinstance(timings, dict)
        nag = sum(v for k, v in timings.items() if k != "OmicsSecure")
        total = float(run["synth"]) + nag + timings["OmicsSecure"]  # type: ignore[arg-type]
        per_bucket[size] = total / size
        print(f"| {size} | {run['stacks']} | {run['resources']} | {run['synth']:.2f} | {nag:.2f} | "
              f"{timings['OmicsSecure']:.3f} | {1000 * per_bucket[size]:.1f} | "
              f"{1000 * timings['OmicsSecure'] / size:.2f} |")
    if 100 in per_bucket and 1000 in per_bucket:
        growth = per_bucket[1000] / per_bucket[100]
        print(f"\nCheck cost per bucket, N=1000 / N=100: {growth:.2f}x (target <= {TARGETS['per_bucket_growth']}x, "
              f"{'met' if growth <= TARGETS['per_bucket_growth'] else 'MISSED'})")


if __name__ == "__main__":
    main()
