"""The evaluator's principals and conditions in plain words, for the report and the command.

``aws:PrincipalArn ArnLike arn:aws:iam::*:role/aws-reserved/sso.amazonaws.com/*AWSReservedSSO_Genomics_*`` reads
"as IAM Identity Center permission set Genomics"; ``aws:CurrentTime DateLessThan 2028-01-01T00:00:00Z`` reads
"until 2028-01-01"; ``Bool aws:MultiFactorAuthPresent true`` "with MFA"; ``aws:SourceVpce`` "only through VPC
endpoint ..."; a session tag "with session tag study = phs000123". Condition keys: the global ones
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html), KMS's
(https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html), STS's session tags
(https://docs.aws.amazon.com/IAM/latest/UserGuide/id_session-tags.html) and IAM Identity Center's role names
(https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from omics_secure.policy import formula as f
from omics_secure.policy.conditions import PRINCIPAL_ELEMENT, Condition, principal_element_words
from omics_secure.policy.documents import Statement, account_of, iam_arn
from omics_secure.policy.matching import readable

SERVICES = {
    "omics": "HealthOmics", "healthlake": "HealthLake", "s3": "Amazon S3", "ec2": "Amazon EC2 (EBS volumes)",
    "logs": "CloudWatch Logs", "sns": "Amazon SNS", "cloudtrail": "CloudTrail", "events": "EventBridge",
    "cloudwatch": "CloudWatch", "rds": "Amazon RDS", "lambda": "AWS Lambda", "sqs": "Amazon SQS",
    "secretsmanager": "Secrets Manager", "dynamodb": "DynamoDB", "backup": "AWS Backup",
    "delivery.logs": "log delivery", "vpc-flow-logs": "VPC flow logs", "ecr": "Amazon ECR",
    "ecs-tasks": "Amazon ECS tasks", "logging.s3": "S3 server access logging",
}
_OPERATOR_WORDS = {"StringEquals": "", "StringLike": "matching", "ArnLike": "matching", "ArnEquals": "",
                   "StringNotEquals": "not", "StringNotLike": "not matching", "ArnNotLike": "not matching",
                   "ArnNotEquals": "not", "Bool": "", "DateLessThan": "before", "DateGreaterThan": "after",
                   "IpAddress": "from", "NotIpAddress": "not from", "NumericLessThan": "below"}
_SSO_ROLE = re.compile(r"AWSReservedSSO_(.+?)_[^_/]*$")
Render = Callable[[str], str]


def service_name(endpoint: str) -> str:
    """ "omics.us-east-1.amazonaws.com" -> "HealthOmics"; an unknown service keeps its own name."""
    prefix = re.sub(r"\.(?:[a-z]{2}(?:-gov)?-[a-z]+-\d\.)?amazonaws\.com(?:\.cn)?$", "", endpoint)
    return SERVICES.get(prefix, prefix)


def principal_words(kind: str, value: str, render: Render = readable) -> str:
    """A ``Principal`` value in words: "any principal in account 111122223333", "the HealthOmics service ..."."""
    if value == "*":
        return "any principal (see conditions)" if kind == "AWS" else "anyone"
    if kind == "Service":
        return f"the {service_name(value)} service ({value})"
    if kind == "Federated":
        return f"users federated through {render(value)}"
    account = account_of(value)
    if account is not None:
        return f"any principal in account {render(account)}"
    named = iam_arn(value)
    if named is not None:
        account, kind_name, name = named
        return f"{kind_name.replace('-', ' ')} {render(name).rsplit('/', 1)[-1]} in account {render(account)}"
    return render(value)


def listed_principal(name: str) -> str:
    """A principal of the ``access`` listing in words (``account:self``, ``account:<id>``, ``*``, a service)."""
    if name == "account:self":
        return "any principal of this account its IAM policies allow"
    if name.startswith("account:"):
        return f"any principal in account {name.removeprefix('account:')} its IAM policies allow"
    if name == "*":
        return "anyone"
    if name.endswith(".amazonaws.com"):
        return f"the {service_name(name)} service ({name})"
    return name


def identity_center_sets(values: Iterable[str]) -> list[str] | None:
    """The permission sets a list of principal ARNs names, when every one is an IAM Identity Center role."""
    found: list[str] = []
    for value in values:
        match = _SSO_ROLE.search(value.rstrip("*"))
        if match is None and "AWSReservedSSO_" in value:
            found.append(value.split("AWSReservedSSO_", 1)[1].rsplit("_", 1)[0] or "*")
        elif match is None:
            return None
        else:
            found.append(match.group(1))
    return list(dict.fromkeys(found)) or None


def condition_words(condition: Condition, render: Render = readable) -> str:
    """One condition in plain words."""
    key = condition.key
    lowered = key.lower()
    values = [render(v) for v in condition.values]
    joined = " or ".join(values)
    base, negated = condition.base, condition.negated
    if lowered == "kms:viaservice" and not negated:
        return f"only through {' or '.join(service_name(v) for v in values)} (kms:ViaService {joined})"
    if lowered == "kms:grantisforawsresource" and [v.lower() for v in values] == ["true"]:
        return "only grants for AWS resources (kms:GrantIsForAWSResource)"
    if lowered == "aws:securetransport" and base == "Bool":
        return "only over TLS (aws:SecureTransport)" if values == ["true"] else f"aws:SecureTransport {joined}"
    if lowered == "aws:multifactorauthpresent" and base == "Bool":
        return "with MFA (aws:MultiFactorAuthPresent)" if values == ["true"] else f"aws:MultiFactorAuthPresent {joined}"
    if lowered == "aws:principalarn" and not negated and (sets := identity_center_sets(condition.values)):
        return f"as IAM Identity Center permission set {', '.join(sets)}"
    if lowered == "aws:currenttime" and base in ("DateLessThan", "DateLessThanEquals"):
        return f"until {values[0][:10]}" if len(values) == 1 else f"before {joined}"
    if lowered == "aws:currenttime" and base in ("DateGreaterThan", "DateGreaterThanEquals"):
        return f"from {values[0][:10]}" if len(values) == 1 else f"after {joined}"
    if lowered in ("aws:sourcevpce", "aws:sourcevpc") and not negated:
        kind = "VPC endpoint" if lowered == "aws:sourcevpce" else "VPC"
        return f"only through {kind} {joined} ({key})"
    for prefix in ("aws:principaltag/", "aws:requesttag/"):
        if lowered.startswith(prefix) and not negated:
            return f"with session tag {key.split('/', 1)[1]} = {joined} ({key})"
    if lowered == "aws:principalorgid" and not negated:
        return f"only principals of organization {joined} (aws:PrincipalOrgID)"
    if lowered == "aws:sourceaccount" and not negated:
        return f"only on behalf of account {joined} (aws:SourceAccount)"
    if lowered == "aws:sourcearn" and not negated:
        return f"only for {joined} (aws:SourceArn)"
    if lowered in ("kms:calleraccount", "aws:principalaccount") and not negated:
        return f"{key} {joined}"
    if lowered == "aws:requestedregion" and not negated:
        return f"only in region {joined}"
    if lowered == "resource":
        return f"only on {joined}"
    if key == PRINCIPAL_ELEMENT:
        return principal_element_words(condition)
    words = _OPERATOR_WORDS.get(condition.operator.removesuffix("IfExists"), condition.operator)
    return " ".join(part for part in (key, words, joined) if part)


def literal_words(literal: f.Literal, render: Render = readable) -> str:
    if isinstance(literal, f.Unless):
        if len(literal.conditions) == 1 and literal.conditions[0].key.lower() == "aws:securetransport":
            return "only over TLS (aws:SecureTransport)"
        if len(literal.conditions) == 1 and literal.conditions[0].key.lower() == "s3:tlsversion":
            return f"only over TLS {render(literal.conditions[0].values[0])} or newer"
        return f"unless {' and '.join(condition_words(c, render) for c in literal.conditions)}"
    return condition_words(literal, render)


def conjunction_words(conjunction: f.Conjunction, render: Render = readable) -> str:
    """What a grant still depends on, in words; "always" when nothing."""
    return ", ".join(sorted(literal_words(literal, render) for literal in conjunction)) or "always"


def statement_words(statement: Statement, render: Render = readable) -> tuple[str, str, str]:
    """(who, what they may do, only when) for one Allow statement."""
    who = [principal_words(kind, value, render) for kind, value in statement.principals or ()]
    if statement.not_principals is not None:
        who.append("anyone but " + ", ".join(principal_words(k, v, render) for k, v in statement.not_principals))
    actions = sorted(statement.actions or ())
    may = ("all key actions (administration)" if actions in (["kms:*"], ["*"]) else ", ".join(actions)
           or "everything but " + ", ".join(statement.not_actions or ()))
    conditions = ", ".join(condition_words(c, render) for c in statement.conditions) or "always"
    return "; ".join(who) or "-", may or "-", conditions
