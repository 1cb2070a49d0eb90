"""How long the report writers take on one very large template: ``python benchmarks/reports.py``.

Writes a JSON template of 60,000 resources (by default) laid out as ``cdk synth`` writes one (one-space
indentation), reads it once, judges it with the OmicsSecure pack, and then times ``write_reports`` (JUnit,
SARIF and Markdown) on the stack already read and the findings already made: the writers alone, apart from
decoding and judging, which are timed and printed beside them. Two thirds of the resources have findings
(open PHI buckets, keys without rotation), each of which SARIF locates in the template. Nothing here is a
test: the numbers go in benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from omics_secure._internal.tags import DATA_CLASSIFICATION_TAG, PHI  # noqa: E402
from omics_secure.compliance.check import pack_result  # noqa: E402
from omics_secure.compliance.engine import evaluate_stacks  # noqa: E402
from omics_secure.compliance.packs import OMICS_SECURE_PACK  # noqa: E402
from omics_secure.inputs.assembly import StackArtifact  # noqa: E402
from omics_secure.inputs.lines import resource_lines  # noqa: E402
from omics_secure.reporting.writers import (  # noqa: E402
    FindingLocator,
    to_junit_xml,
    to_markdown,
    to_sarif,
    write_reports,
)

STACK = "Large"


def _resource(index: int) -> tuple[str, dict[str, Any]]:
    """One of three kinds in turn: an open PHI bucket, a key without rotation, a topic."""
    kind = index % 3
    if kind == 0:
        return f"Cohort{index:06d}Bucket", {
            "Type": "AWS::S3::Bucket",
            "Properties": {"Tags": [{"Key": DATA_CLASSIFICATION_TAG, "Value": PHI}]},
            "UpdateReplacePolicy": "Retain", "DeletionPolicy": "Retain",
        }
    if kind == 1:
        return f"Cohort{index:06d}Key", {
            "Type": "AWS::KMS::Key",
            "Properties": {"EnableKeyRotation": False, "KeyPolicy": {"Version": "2012-10-17", "Statement": [
                {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"}, "Action": "kms:*",
                 "Resource": "*"}]}},
            "UpdateReplacePolicy": "Retain", "DeletionPolicy": "Retain",
        }
    return f"Cohort{index:06d}Topic", {"Type": "AWS::SNS::Topic", "Properties": {"DisplayName": f"cohort {index}"}}


def write_template(path: Path, size: int) -> dict[str, str]:
    """The template at ``path``; returns its construct paths (logical id -> path) as CDK's metadata gives them."""
    resources: dict[str, Any] = {}
    paths: dict[str, str] = {}
    for index in range(size):
        logical_id, body = _resource(index)
        body["Metadata"] = {"aws:cdk:path": f"{STACK}/{logical_id}/Resource"}
        resources[logical_id] = body
        paths[logical_id] = f"{STACK}/{logical_id}/Resource"
    path.write_text(json.dumps({"Resources": resources}, indent=1), encoding="utf-8")
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resources", type=int, default=60_000)
    parser.add_argument("--repeat", type=int, default=1, help="times write_reports runs (the fastest is printed)")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top functions of one write")
    parser.add_argument("--command", action="store_true",
                        help="also time 'omics-secure check --template' on the template as one process: reading it, "
                             "the OmicsSecure pack, cdk-nag's three packs (in parts of 500 related resources), the "
                             "summary and the reports")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="omics-secure-reports-") as temporary:
        directory = Path(temporary)
        template_path = directory / f"{STACK}.template.json"
        started = time.perf_counter()
        paths = write_template(template_path, args.resources)
        generated = time.perf_counter() - started
        started = time.perf_counter()
        template = json.loads(template_path.read_text(encoding="utf-8"))
        decoded = time.perf_counter() - started
        stack = StackArtifact(name=STACK, template_path=template_path, template=template, construct_paths=paths)
        started = time.perf_counter()
        result = pack_result(OMICS_SECURE_PACK, evaluate_stacks(OMICS_SECURE_PACK, [stack]))
        judged = time.perf_counter() - started
        findings = len(result.open_findings) + len(result.warnings) + len(result.acknowledged_findings)
        timings = []
        for _ in range(args.repeat):
            profile = cProfile.Profile() if args.profile else None
            started = time.perf_counter()
            if profile is not None:
                profile.enable()
            written = write_reports([result], [stack], directory / "reports")
            if profile is not None:
                profile.disable()
            timings.append(time.perf_counter() - started)
        size_mb = template_path.stat().st_size / 1e6
        print(f"template: {args.resources} resources, {size_mb:.1f} MB, written in {generated:.1f} s")
        print(f"decoding (json.loads): {decoded:.2f} s; judging (OmicsSecure pack): {judged:.2f} s; "
              f"{findings} findings")
        print(f"write_reports (JUnit, SARIF, Markdown): {min(timings):.2f} s "
              f"({', '.join(f'{p.name} {p.stat().st_size / 1e6:.1f} MB' for p in written)})")
        parts = {
            "indexing the template's lines": lambda: resource_lines(template_path.read_text()),
            "JUnit": lambda: to_junit_xml([result]),
            "SARIF (building)": lambda: to_sarif([result], FindingLocator([stack]), base=directory),
            "SARIF (building and json.dumps, indent=2)": lambda: json.dumps(
                to_sarif([result], FindingLocator([stack]), base=directory), indent=2),
            "Markdown": lambda: to_markdown([result], stack_count=1),
        }
        print("where the time goes: " + "; ".join(f"{name} {_seconds(part):.2f} s" for name, part in parts.items()))
        if profile is not None:
            pstats.Stats(profile).sort_stats("cumulative").print_stats(15)
        if args.command:
            started = time.perf_counter()
            completed = subprocess.run(
                [str(Path(sys.executable).parent / "omics-secure"), "check", "--template", str(template_path),
                 "--report-dir", str(directory / "command")], capture_output=True, text=True, check=False,
                env={**os.environ, "JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION": "20"})
            print(f"omics-secure check --template (one process, every pack): {time.perf_counter() - started:.1f} s, "
                  f"exit code {completed.returncode}")


def _seconds(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


if __name__ == "__main__":
    main()
