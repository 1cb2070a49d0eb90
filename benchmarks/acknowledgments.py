"""How long deciding every finding's acknowledgment takes: ``python benchmarks/acknowledgments.py``.

Builds one stack of N buckets (default 1,000), each tagged with a data-use end date and acknowledged in the app
on its construct, five findings per bucket, and F acknowledgments-file entries with glob patterns (default 50),
then times :func:`omics_secure.compliance.acknowledgments.govern` (the decision the check makes after every
pack has run) and prints how many findings it acknowledged. Nothing here is a test: the numbers go in
benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

from omics_secure._internal.tags import PROJECT_DUC_ENDS_TAG  # noqa: E402
from omics_secure.compliance.acknowledgments import AcknowledgmentBook, govern  # noqa: E402
from omics_secure.inputs.acknowledgments import Acknowledgment  # noqa: E402
from omics_secure.inputs.assembly import StackArtifact  # noqa: E402
from omics_secure.reporting.validation_report import PackResult, ReportedFinding  # noqa: E402

REASON = "Synthetic acknowledgment of the benchmark, with a reason long enough to be accepted"
ENDS = datetime.date(2027, 3, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--buckets", type=int, default=1000)
    parser.add_argument("--entries", type=int, default=50)
    args = parser.parse_args()
    buckets = range(args.buckets)
    tagged = {"Tags": [{"Key": PROJECT_DUC_ENDS_TAG, "Value": "2030-06-30"}]}
    stack = StackArtifact(
        "App", Path("App.template.json"),
        {"Resources": {f"Bucket{i}": {"Type": "AWS::S3::Bucket", "Properties": tagged} for i in buckets}},
        {f"Bucket{i}": f"App/Data{i}/Resource/Resource" for i in buckets},
        {f"App/Data{i}": (Acknowledgment("AwsSolutions::AwsSolutions-S1", REASON, f"App/Data{i}", owner="owner",
                                         reference="RISK-1", expires=ENDS),) for i in buckets})
    entries = [Acknowledgment(f"AwsSolutions::AwsSolutions-S{k}", REASON, resource=f"Bucket{k}*", owner="owner",
                              reference="RISK-2", expires=ENDS, source="acknowledgments file", origin=f"file:{k}")
               for k in range(args.entries)]
    findings = tuple(ReportedFinding("AwsSolutions", f"AwsSolutions-S{rule}", "finding", "error",
                                     f"App/Data{i}/Resource/Resource") for i in buckets for rule in range(1, 6))
    start = time.perf_counter()
    book = AcknowledgmentBook([stack], entries, today=datetime.date(2027, 1, 1))
    governed = govern([PackResult("AwsSolutions", findings, ())], book)
    elapsed = time.perf_counter() - start
    print(f"{len(findings)} findings on {args.buckets} buckets, {args.entries} file entries: {elapsed:.2f} s "
          f"({1e6 * elapsed / len(findings):.0f} us per finding); "
          f"{len(governed.packs[0].acknowledged_findings)} acknowledged, {len(governed.notices)} warnings")


if __name__ == "__main__":
    main()
