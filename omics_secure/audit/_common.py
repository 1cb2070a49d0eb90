"""Validation and key-policy helpers the audit constructs share."""

from __future__ import annotations

import re
from collections.abc import Sequence

import aws_cdk as cdk
from aws_cdk import aws_kms as kms
from constructs import Construct

from omics_secure._internal import environment
from omics_secure._internal.errors import ProblemCollector, is_unresolved, readable
from omics_secure.keys import KeyService, PhiKey, key_policy_statements


def enable_key_services(scope: Construct, key: kms.IKey, services: Sequence[KeyService]) -> None:
    """Add the key-policy statements ``services`` need to a key of this app; warn for a key from outside."""
    if isinstance(key, PhiKey):
        key.enable_services(*services)
        return
    stack = cdk.Stack.of(scope)
    if isinstance(key, kms.Key):
        for service in services:
            for statement in key_policy_statements(service, account=stack.account, region=stack.region,
                                                   partition=stack.partition):
                key.add_to_resource_policy(statement)
        return
    sids = [statement.sid or "" for service in services
            for statement in key_policy_statements(service, account=stack.account, region=stack.region,
                                                   partition=stack.partition)]
    cdk.Annotations.of(scope).add_warning_v2(
        "omics-secure:audit-key-policy",
        f"The key {key.key_arn} is not a PhiKey of this app: its owner must add the key-policy statements "
        f"{', '.join(sids)} (omics_secure.key_policy_statements renders them for "
        f"{', '.join(s.name for s in services)}), or delivery fails.")


def require_concrete_environment(problems: ProblemCollector, stack: cdk.Stack, needs: str) -> None:
    environment.require_concrete_environment(problems, stack, "env", f"stack '{stack.node.id}'", needs)


def check_same_region(problems: ProblemCollector, stack: cdk.Stack, prop: str, key: kms.IKey, why: str,
                      fix: str | None = None) -> None:
    """Refuse a key of another region (known from its stack or its ARN, imported keys included)."""
    environment.check_region(problems, stack, prop, key, what="the key", why=why, fix=fix)


def is_key(value: object) -> bool:
    # jsii interfaces (kms.IKey, s3.IBucket) are not runtime-checkable protocols, and imported keys are proxies.
    return not isinstance(value, str | bytes) and hasattr(value, "key_arn")


def is_bucket(value: object) -> bool:
    return not isinstance(value, str | bytes) and hasattr(value, "bucket_arn")


def describe(bucket: object) -> str:
    return readable(bucket)


def nag_text(value: object) -> str:
    """A resolved value as cdk-nag prints it in granular finding ids: Ref as <Name>, Fn::Join joined."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and "Ref" in value:
        return f"<{value['Ref']}>"
    if isinstance(value, dict) and "Fn::Join" in value:
        separator, parts = value["Fn::Join"]
        return str(separator).join(nag_text(part) for part in parts)
    return str(value)


def child_alias(stack: cdk.Stack, id: str) -> str:
    """A key alias unique to this construct: PhiKey's default alias would repeat for every child named Key."""
    stack_name = stack.stack_name if not is_unresolved(stack.stack_name) else stack.node.id
    return "alias/omics-secure/" + re.sub(r"[^a-zA-Z0-9/_-]", "-", f"{stack_name}/{id}")
