"""Accounts, regions and ARNs of the resources given to constructs, checked against the construct's stack.

A key or bucket in another region cannot serve a resource here (S3, CloudWatch Logs, CloudTrail, SNS,
EBS, HealthOmics and HealthLake all require a key in the resource's own region), and an EventBridge
rule never sees KMS calls of another region. Where the region of a resource is known at synthesis (a
construct of a stack with an environment, or an ARN with a literal region, imported ones included), a
mismatch is refused before synthesis; where cross-region use is legitimate the caller warns instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import aws_cdk as cdk
from constructs import Construct

from omics_secure._internal.errors import ProblemCollector, is_unresolved

ACCOUNT_ID = re.compile(r"^\d{12}$")
# Region names of every partition: us-east-1, eu-central-2, us-gov-west-1, cn-northwest-1, us-isob-east-1,
# eusc-de-east-1. A region name has a location prefix, one or more words, and a number.
REGION_NAME = re.compile(r"^[a-z]{2,4}(-[a-z]+)+-\d{1,2}$")
_ARN = re.compile(r"^arn:(?P<partition>aws[a-z-]*):(?P<service>[a-z0-9-]+):(?P<region>[a-z0-9-]*):"
                  r"(?P<account>\d{12}|aws)?:(?P<resource>.+)$")
_PARTITIONS = (("cn-", "aws-cn"), ("us-gov-", "aws-us-gov"), ("us-isob-", "aws-iso-b"), ("us-isof-", "aws-iso-f"),
               ("eu-isoe-", "aws-iso-e"), ("us-iso-", "aws-iso"), ("eusc-", "aws-eusc"))
CONCRETE_ENV_EXAMPLE = "env=cdk.Environment(account='111122223333', region='us-east-1')"


@dataclass(frozen=True)
class Arn:
    partition: str
    service: str
    region: str
    account: str
    resource: str


def parse_arn(value: object) -> Arn | None:
    """The parts of a literal ARN, or None for anything else (tokens included)."""
    if not isinstance(value, str) or is_unresolved(value):
        return None
    match = _ARN.match(value)
    if match is None:
        return None
    return Arn(match["partition"], match["service"], match["region"], match["account"] or "", match["resource"])


def partition_of(region: str) -> str:
    """The partition of a region name: aws, aws-cn, aws-us-gov, ..."""
    return next((partition for prefix, partition in _PARTITIONS if region.startswith(prefix)), "aws")


def is_account_id(value: object) -> bool:
    return isinstance(value, str) and bool(ACCOUNT_ID.match(value))


def is_region_name(value: object) -> bool:
    return isinstance(value, str) and bool(REGION_NAME.match(value))


def known(value: object) -> str | None:
    """``value`` if it is a literal string known at synthesis, else None."""
    return value if isinstance(value, str) and value and not is_unresolved(value) else None


def environment_of(resource: Any) -> tuple[str | None, str | None]:
    """The (account, region) a resource lives in, each None when unknown at synthesis.

    aws-cdk-lib resources carry ``env`` (for imported ones, parsed from their ARN); anything else with an
    ARN attribute is parsed.
    """
    env = getattr(resource, "env", None) if not isinstance(resource, str) else None
    if env is not None and hasattr(env, "region"):
        return known(env.account), known(env.region)
    for attribute in ("key_arn", "bucket_arn", "role_arn", "topic_arn"):
        arn = parse_arn(getattr(resource, attribute, None))
        if arn is not None:
            return known(arn.account), known(arn.region)
    arn = parse_arn(resource)
    return (known(arn.account), known(arn.region)) if arn is not None else (None, None)


def check_region(problems: ProblemCollector, scope: Construct, prop: str, resource: Any, *, what: str,
                 why: str, fix: str | None = None) -> None:
    """Refuse ``resource`` when its region is known and differs from ``scope``'s stack's region.

    ``what`` names the resource ("the key"), ``why`` the AWS constraint ("S3 encrypts only with a key of
    the bucket's region").
    """
    region = known(cdk.Stack.of(scope).region)
    _, resource_region = environment_of(resource)
    if region and resource_region and resource_region != region:
        problems.add(prop, resource, f"{what} is in {resource_region}, this stack in {region}: {why}; "
                                     + (fix or f"use one of {region}"))


def warn_other_account(scope: Construct, construct_id: str, prop: str, resource: Any, *, what: str) -> None:
    """Warn when ``resource`` belongs to another account: legitimate, but its owner must grant this account."""
    account = known(cdk.Stack.of(scope).account)
    resource_account, _ = environment_of(resource)
    if account and resource_account and resource_account not in (account, "aws"):
        cdk.Annotations.of(scope).add_warning_v2(
            "omics-secure:other-account",
            f"{construct_id}: {prop} is {what} of account {resource_account}, this stack's account is {account}; "
            "its owner must allow this account in its resource policy, or use at deploy time fails.")


def require_concrete_environment(problems: ProblemCollector, stack: cdk.Stack, prop: str, value: object,
                                 needs: str) -> None:
    """Record a problem unless ``stack`` has a literal account and region.

    ``needs`` says what names them ("the service statements (kms:ViaService, kms:CallerAccount)").
    """
    missing = [name for name, v in (("account", stack.account), ("region", stack.region)) if is_unresolved(v)]
    if missing:
        problems.add(prop, value, f"the {' and '.join(missing)} must be literal for {needs}, but stack "
                                  f"'{stack.node.id}' has none; create it with {CONCRETE_ENV_EXAMPLE}")
