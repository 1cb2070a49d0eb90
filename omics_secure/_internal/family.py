"""One API across the construct families: wherever a prop or method takes a bucket, key, VPC or role, it
accepts both the project's construct (``PhiBucket``, ``ExistingPhiKey``, ``IsolatedVpc``,
``WorkflowRunRole``, ...) and the aws-cdk-lib interface, and unwraps it here, in one place.

The project's constructs expose the aws-cdk-lib resource they wrap under a fixed attribute (``bucket``,
``key``, ``vpc``, ``role``); aws-cdk-lib resources have no such attribute and pass through unchanged.
"""

from __future__ import annotations

from typing import Any, ClassVar, Protocol

from aws_cdk import aws_iam as iam
from constructs import Construct


class HasRole(Protocol):
    """A project construct that wraps an IAM role: ``WorkflowRunRole``, ``FhirImportExportRole``, ..."""

    described_as: ClassVar[str] = "a project construct with a role (WorkflowRunRole, FhirImportExportRole, ...)"

    @property
    def role(self) -> iam.IRole: ...


def unwrap(value: Any, attribute: str) -> Any:
    """The aws-cdk-lib resource ``value`` wraps under ``attribute``, or ``value`` itself."""
    if isinstance(value, Construct) and attribute in vars(value):
        return vars(value)[attribute]
    return value


def role_of(value: iam.IRole | HasRole) -> iam.IRole:
    """An ``iam.IRole`` from a role or a project construct that wraps one."""
    role: iam.IRole = unwrap(value, "role")
    return role


def grantee_of(value: iam.IGrantable | HasRole) -> iam.IGrantable:
    """An ``iam.IGrantable`` from a grantee or a project construct that wraps a role."""
    grantee: iam.IGrantable = unwrap(value, "role")
    return grantee
