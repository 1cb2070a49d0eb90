"""Every Python example in the README runs against the current API, so that none can drift from it.

Each ```python block runs on its own, in a fresh app, with a small prelude of the names the README's
prose assumes (``stack``, ``primary_stack``, ``replica_stack``, ``data_key``, ``run_role``, ...). The
app is then synthesized (unless the example registers the packs, which the bare prelude would fail),
so that the autouse fixture cfn-lints what the example builds.
"""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import aws_cdk as cdk
import pytest
from aws_cdk import aws_iam as iam
from aws_cdk import aws_lambda as lambda_
from aws_cdk import aws_s3 as s3

from omics_secure import AccessLogBucket, AuditTrail, IsolatedVpc, PhiBucket, PhiKey
from tests.harness import ACCOUNT, ENV, REPLICA_REGION, REPOSITORY, make_app

README = REPOSITORY / "README.md"
BLOCKS = re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.DOTALL | re.MULTILINE)


def prelude(outdir: Path, block: str) -> dict[str, object]:
    """The names the README's examples use without defining them."""
    app = make_app(outdir)
    stack = cdk.Stack(app, "Primary", env=ENV)
    replica_stack = (cdk.Stack(app, "Replica", env=cdk.Environment(account=ACCOUNT, region=REPLICA_REGION))
                     if "replica_stack" in block else None)
    data_key = PhiKey(stack, "PreludeKey")
    phi_bucket = PhiBucket(stack, "PreludeBucket", key=data_key)
    return {
        "cdk": cdk, "datetime": datetime, "app": app, "stack": stack, "primary_stack": stack,
        "replica_stack": replica_stack, "data_key": data_key, "key": data_key,
        "phi_bucket": phi_bucket, "data": phi_bucket, "logs": AccessLogBucket(stack, "PreludeLogs"),
        "run_role": iam.Role(stack, "PreludeRunRole", assumed_by=iam.ServicePrincipal("omics.amazonaws.com")),
        "analysis_role": iam.Role(stack, "PreludeAnalyst", assumed_by=iam.AccountRootPrincipal()),
        "token_validator": lambda_.Function.from_function_arn(
            stack, "PreludeIdp", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:smart-token-validator"),
        "trail": AuditTrail(stack, "PreludeTrail"),
        "log_bucket": s3.Bucket(stack, "PreludeLogBucket", enforce_ssl=True),
        "security_account_id": "444455556666",
        "network": (IsolatedVpc(stack, "PreludeNetwork", key=data_key)
                    if "network" in block and "network = " not in block else None),
    }


def test_the_readme_has_python_examples() -> None:
    assert len(BLOCKS) >= 9


@pytest.mark.parametrize("block", BLOCKS, ids=[f"block{i}" for i in range(len(BLOCKS))])
def test_readme_example_runs(block: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    workflows = tmp_path / "workflows" / "germline"
    workflows.mkdir(parents=True)
    (workflows / "main.wdl").write_text("version 1.0\nworkflow germline {}\n")
    monkeypatch.chdir(tmp_path)
    namespace = prelude(tmp_path / "cdk.out", block)
    exec(compile(block, str(README), "exec"), namespace)
    app = namespace["app"]
    assert isinstance(app, cdk.App)
    if "add_compliance_packs" not in block:  # the prelude alone has findings the packs would fail on
        app.synth()
