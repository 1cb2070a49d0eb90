"""The README's People example runs as written and synthesizes its approval and collaborator."""

from __future__ import annotations

import datetime
import re
from pathlib import Path

import aws_cdk as cdk
from aws_cdk.assertions import Template

from omics_secure import ApprovedAccess, CollaboratorAccess, IsolatedVpc, PhiBucket, PhiKey
from tests.harness import ENV

README = Path(__file__).resolve().parent.parent / "README.md"


def section(title: str) -> str:
    text = README.read_text()
    start = text.index(f"## {title}")
    end = text.find("\n## ", start + 1)
    return text[start:end]


def python_blocks(markdown: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", markdown, flags=re.DOTALL)


def test_the_people_example_runs_and_synthesizes(app):
    stack = cdk.Stack(app, "ReadmeStack", env=ENV)
    key = PhiKey(stack, "DataKey")
    namespace = {"stack": stack, "data": PhiBucket(stack, "PhiData", key=key,
                                                   data_use_end_date=datetime.date(2030, 6, 30)),
                 "network": IsolatedVpc(stack, "Network", key=key)}
    (block,) = python_blocks(section("People"))
    exec(compile(block, "README.md#people", "exec"), namespace)  # the README's own example, as written
    assert isinstance(namespace["study"], ApprovedAccess) and isinstance(namespace["partner"], CollaboratorAccess)
    template = Template.from_stack(stack)
    template.resource_count_is("AWS::S3::AccessPoint", 1)
    assert any(body["Properties"].get("Description", "").startswith("omics-secure: approved access phs000123")
               for body in template.find_resources("AWS::IAM::Role").values())
