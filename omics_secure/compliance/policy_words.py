"""Key-policy statements in words: who may use a key, for what, and only under which conditions.

``"Principal": {"AWS": "arn:aws:iam::111122223333:root"}`` with ``kms:ViaService`` and
``kms:CallerAccount`` conditions is not "anyone": it is "any principal in account 111122223333, only
through HealthOmics (kms:ViaService omics.us-east-1.amazonaws.com), kms:CallerAccount 111122223333".
The condition keys are those of AWS KMS
(https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html) and the global ones
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any

from omics_secure.compliance.rules._policy import actions, as_list
from omics_secure.inputs.values import CannotJudge

SERVICES = {
    "omics": "HealthOmics", "healthlake": "HealthLake", "s3": "Amazon S3", "ec2": "Amazon EC2 (EBS volumes)",
    "logs": "CloudWatch Logs", "sns": "Amazon SNS", "cloudtrail": "CloudTrail", "events": "EventBridge",
    "cloudwatch": "CloudWatch", "rds": "Amazon RDS", "lambda": "AWS Lambda", "sqs": "Amazon SQS",
    "secretsmanager": "Secrets Manager", "dynamodb": "DynamoDB", "backup": "AWS Backup",
    "delivery.logs": "log delivery", "vpc-flow-logs": "VPC flow logs", "ecr": "Amazon ECR",
}

_OPERATORS = {"StringEquals": "", "StringLike": "matching", "ArnLike": "matching", "ArnEquals": "",
              "StringNotEquals": "not", "StringNotLike": "not matching", "Bool": "", "ForAnyValue:StringEquals": "",
              "ForAllValues:StringEquals": "", "DateLessThan": "before", "DateGreaterThan": "after",
              "IpAddress": "from", "NotIpAddress": "not from"}


def service_name(endpoint: str) -> str:
    """ "omics.us-east-1.amazonaws.com" -> "HealthOmics"; an unknown service keeps its own name."""
    prefix = re.sub(r"\.(?:[a-z]{2}(?:-gov)?-[a-z]+-\d\.)?amazonaws\.com(?:\.cn)?$", "", endpoint)
    return SERVICES.get(prefix, prefix)


def principal_in_words(kind: str, value: str) -> str:
    if value == "*":
        return "any principal (see conditions)" if kind == "AWS" else "anyone"
    if kind == "Service":
        return f"the {service_name(value)} service ({value})"
    if kind == "Federated":
        return f"users federated through {value}"
    account = re.fullmatch(r"(?:arn:aws[\w-]*:iam::)?(\d{12})(?::root)?", value)
    if account:
        return f"any principal in account {account.group(1)}"
    named = re.fullmatch(r"arn:aws[\w-]*:(?:iam|sts)::(\d{12}):(role|user|assumed-role)/(?:.*/)?([^/]+)", value)
    if named:
        return f"{named.group(2).replace('-', ' ')} {named.group(3)} in account {named.group(1)}"
    return value


def condition_in_words(operator: str, key: str, values: list[str]) -> str:
    joined = " or ".join(values)
    lowered = key.lower()
    if lowered == "kms:viaservice":
        return (f"only through {' or '.join(service_name(v) for v in values)} "
                f"(kms:ViaService {joined})")
    if lowered == "kms:grantisforawsresource" and [v.lower() for v in values] == ["true"]:
        return "only grants for AWS resources (kms:GrantIsForAWSResource)"
    if lowered == "aws:securetransport":
        return "only over TLS (aws:SecureTransport)" if values == ["true"] else f"aws:SecureTransport {joined}"
    if lowered == "aws:multifactorauthpresent" and values == ["true"]:
        return "only with MFA (aws:MultiFactorAuthPresent)"
    words = _OPERATORS.get(operator.removesuffix("IfExists"), operator)
    return " ".join(part for part in (key, words, joined) if part)


def statement_in_words(statement: Mapping[str, Any], text: Callable[[Any], str]) -> tuple[str, str, str]:
    """(who, what they may do, only when) for one Allow statement; ``text`` renders template values."""
    principal = statement.get("Principal")
    who: list[str] = []
    if principal == "*":
        who.append(principal_in_words("AWS", "*"))
    elif isinstance(principal, Mapping):
        for kind, values in principal.items():
            who += [principal_in_words(str(kind), text(v)) for v in as_list(values)]
    try:
        allowed = sorted(actions(statement))
    except CannotJudge:
        allowed = [text(a) for a in as_list(statement.get("Action"))]
    may = "all key actions (administration)" if allowed in (["kms:*"], ["*"]) else ", ".join(allowed)
    conditions = []
    condition_block = statement.get("Condition")
    if isinstance(condition_block, Mapping):
        for operator, pairs in condition_block.items():
            if isinstance(pairs, Mapping):
                for key, values in pairs.items():
                    conditions.append(condition_in_words(str(operator), str(key), [text(v) for v in as_list(values)]))
    return "; ".join(who) or "-", may or "-", ", ".join(conditions) or "always"
