"""The CloudFormation limits the constructs enforce before synthesis, held against cfn-lint's resource schemas.

The constructs copy the few limits they check (lengths, ranges) as named constants rather than read the
schemas at run time: cfn-lint is a development dependency, not one of a user's app, and the schemas'
patterns use Unicode classes (\\p{L}) that Python's re cannot read. This test fails when a cfn-lint
upgrade brings a schema that disagrees with a constant, so the copies cannot drift.
"""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import pytest

from omics_secure import compute, healthlake, images, keys, omics, omics_workflows
from omics_secure._internal import labels

_CFN_LINT = importlib.util.find_spec("cfnlint")  # located, not imported: cfn-lint's import takes 1.5 s
assert _CFN_LINT is not None and _CFN_LINT.origin is not None, "cfn-lint is a development dependency"
SCHEMAS = Path(_CFN_LINT.origin).parent / "data" / "schemas"
PROVIDER = json.loads((SCHEMAS / "providers" / "us-east-1.json").read_text())


def schema_property(resource_type: str, path: str) -> dict[str, Any]:
    schema = json.loads((SCHEMAS / "resources" / f"{PROVIDER[resource_type]}.json").read_text())
    node: dict[str, Any] = {"properties": schema["properties"]}
    for part in path.split("."):
        node = node["items"] if part == "items" else node["properties"][part]
        if "$ref" in node:
            node = schema["definitions"][node["$ref"].rsplit("/", 1)[-1]]
    return node


@pytest.mark.parametrize(("resource_type", "path", "field", "constant"), [
    ("AWS::KMS::Key", "Description", "maxLength", keys.KEY_DESCRIPTION_MAX),
    ("AWS::KMS::Alias", "AliasName", "maxLength", keys.ALIAS_NAME_MAX),
    ("AWS::HealthLake::FHIRDatastore", "DatastoreName", "maxLength", healthlake.DATASTORE_NAME_MAX),
    ("AWS::Omics::SequenceStore", "Name", "maxLength", omics.OMICS_NAME_MAX),
    ("AWS::Omics::ReferenceStore", "Name", "maxLength", omics.OMICS_NAME_MAX),
    ("AWS::Omics::SequenceStore", "Description", "maxLength", omics.DESCRIPTION_MAX),
    ("AWS::Omics::RunGroup", "MaxCpus", "maximum", omics.RUN_GROUP_LIMIT),
    ("AWS::Omics::Configuration", "Description", "maxLength", compute.OMICS_CONFIGURATION_DESCRIPTION_MAX),
    ("AWS::IAM::Role", "RoleName", "maxLength", labels.ROLE_NAME_MAX),
    ("AWS::ECR::Repository", "RepositoryName", "maxLength", images.REPOSITORY_NAME_MAX),
    ("AWS::Omics::WorkflowVersion", "VersionName", "maxLength", omics_workflows.VERSION_NAME_MAX),
    ("AWS::Omics::RunCache", "Name", "maxLength", omics_workflows.RUN_CACHE_NAME_MAX),
    ("AWS::Omics::RunCache", "Description", "maxLength", omics_workflows.RUN_CACHE_DESCRIPTION_MAX),
    ("AWS::S3::Bucket", "Tags.Key", "maxLength", labels.TAG_KEY_MAX),
    ("AWS::S3::Bucket", "Tags.Value", "maxLength", labels.TAG_VALUE_MAX),
    ("AWS::KMS::Key", "Tags.Value", "maxLength", labels.TAG_VALUE_MAX),
])
def test_constant_matches_the_cloudformation_schema(resource_type: str, path: str, field: str,
                                                    constant: int) -> None:
    node = schema_property(resource_type, path.replace("Tags.", "Tags.items."))
    assert node[field] == constant
