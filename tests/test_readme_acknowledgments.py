"""The README's acknowledgment example, as written, judged on a day it is in force and on a day after it ended."""

from __future__ import annotations

import datetime
import re

import aws_cdk as cdk
import pytest
from aws_cdk import aws_s3 as s3

from omics_secure._internal.acknowledgment_terms import GOVERNANCE_METADATA
from omics_secure._internal.clock import TODAY_VARIABLE
from tests.harness import ENV, REPOSITORY

SECTION = (REPOSITORY / "README.md").read_text().split("\n## Compliance\n", 1)[1]
(BLOCK,) = re.findall(r"^```python\n(.*?)^```", SECTION.split("\n### ", 1)[0], flags=re.DOTALL | re.MULTILINE)


@pytest.mark.parametrize(("today", "in_force"), [("2027-06-30", True), ("2027-07-01", False)])
def test_the_compliance_example_records_who_accepted_it_and_ends(app, monkeypatch, today, in_force):
    monkeypatch.setenv(TODAY_VARIABLE, today)
    stack = cdk.Stack(app, "Primary", env=ENV)
    log_bucket = s3.Bucket(stack, "Logs", enforce_ssl=True)
    exec(compile(BLOCK, "README.md#compliance", "exec"), {"app": app, "log_bucket": log_bucket, "datetime": datetime})
    (record,) = [m.data for m in log_bucket.node.metadata if m.type == GOVERNANCE_METADATA]
    assert (record["owner"], record["reference"], record["expires"]) == (
        "security-officer@example.org", "RISK-142", "2027-06-30")
    registered = [m.data for m in log_bucket.node.metadata if m.type == "aws:cdk:acknowledged-rules"]
    assert bool(registered) is in_force
