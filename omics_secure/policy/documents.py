"""Policy documents and principals as the evaluator reads them.

Grammar: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html. ``Action``,
``Resource`` and principal values are a string or a list; a statement has ``Action`` or ``NotAction``,
``Resource`` or ``NotResource``, and (in a resource-based policy) ``Principal`` or ``NotPrincipal``. Values that
were not strings in the template (an intrinsic the value layer could not resolve) are kept as holes
(:func:`~omics_secure.policy.matching.hole`), so every comparison with them answers MAYBE.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from omics_secure.policy.conditions import Condition, parse_conditions
from omics_secure.policy.matching import HOLE_END, HOLE_START, hole

_ACCOUNT = re.compile(r"^(?:arn:[^:]+:iam::)?([0-9]{12}|\ue000[^\ue001]*\ue001)(?::root)?$")
_IAM_ARN = re.compile(r"^arn:[^:]+:(?:iam|sts)::([^:]+):(role|user|group|assumed-role|federated-user)/(.+)$")
UNKNOWN_KIND = "Principal"  # a Principal element known only at deploy time
ROLE, USER, GROUP, ACCOUNT, SERVICE, FEDERATED, ANYONE = (
    "role", "user", "group", "account", "service", "federated", "anyone")


@dataclass(frozen=True)
class Principal:
    """Who makes a request: a role or user (``arn``), an account (``account``, "someone in it"), a service
    principal (``name``), a federated identity provider (``name``), or anyone (``*``)."""

    kind: str
    name: str
    account: str | None = None
    arn: str | None = None

    @classmethod
    def role(cls, arn: str, name: str | None = None) -> Principal:
        match = _IAM_ARN.match(arn)
        return cls(ROLE, name or arn, match.group(1) if match else None, arn)

    @classmethod
    def user(cls, arn: str, name: str | None = None) -> Principal:
        match = _IAM_ARN.match(arn)
        return cls(USER, name or arn, match.group(1) if match else None, arn)

    @classmethod
    def of_account(cls, account: str, name: str | None = None) -> Principal:
        return cls(ACCOUNT, name or f"account:{account}", account, f"arn:aws:iam::{account}:root")

    @classmethod
    def service(cls, name: str) -> Principal:
        return cls(SERVICE, name)

    @classmethod
    def anyone(cls) -> Principal:
        return cls(ANYONE, "*")

    @property
    def is_aws(self) -> bool:
        """True for principals that IAM authenticates in an account (roles, users, accounts)."""
        return self.kind in (ROLE, USER, ACCOUNT)


@dataclass(frozen=True)
class Statement:
    """One statement. ``None`` marks an element the statement does not have (``actions`` None: it has NotAction)."""

    effect: str
    label: str
    actions: tuple[str, ...] | None = None
    not_actions: tuple[str, ...] | None = None
    resources: tuple[str, ...] | None = None
    not_resources: tuple[str, ...] | None = None
    principals: tuple[tuple[str, str], ...] | None = None
    not_principals: tuple[tuple[str, str], ...] | None = None
    conditions: tuple[Condition, ...] = ()

    @property
    def allows(self) -> bool:
        return self.effect == "Allow"


@dataclass(frozen=True)
class Policy:
    """A policy document, with the name messages use for it (``"Stack/BucketPolicy"``)."""

    name: str
    statements: tuple[Statement, ...]


def _strings(value: object) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value]
    return tuple(v if isinstance(v, str) else ("true" if v else "false") if isinstance(v, bool)
                 else str(v) if isinstance(v, int | float) else hole(str(v)) for v in values if v is not None)


def _principals(value: object) -> tuple[tuple[str, str], ...]:
    if isinstance(value, str) and value.startswith(HOLE_START) and value.endswith(HOLE_END):
        return ((UNKNOWN_KIND, value),)  # the whole Principal element is a deploy-time value: it may be "*"
    if isinstance(value, str):
        return (("AWS", value),)
    if isinstance(value, Mapping):
        return tuple((str(kind), item) for kind, items in value.items() for item in _strings(items))
    return (("AWS", hole(str(value))),)


def _optional(statement: Mapping[str, object], key: str) -> tuple[str, ...] | None:
    return _strings(statement[key]) if key in statement else None


def parse_policy(document: object, name: str) -> Policy:
    """The statements of ``document``; a document or statement of the wrong shape gives no statement."""
    if not isinstance(document, Mapping):
        return Policy(name, ())
    raw = document.get("Statement")
    raw_statements = raw if isinstance(raw, list) else [raw]
    statements = []
    for index, statement in enumerate(raw_statements):
        if not isinstance(statement, Mapping):
            continue
        sid = statement.get("Sid")
        label = sid if isinstance(sid, str) and sid else f"statement {index}"
        statements.append(Statement(
            effect="Deny" if statement.get("Effect") == "Deny" else "Allow" if statement.get("Effect") == "Allow"
            else "Invalid",
            label=f"{name} {label}" if name else label,
            actions=_optional(statement, "Action"),
            not_actions=_optional(statement, "NotAction"),
            resources=_optional(statement, "Resource"),
            not_resources=_optional(statement, "NotResource"),
            principals=_principals(statement["Principal"]) if "Principal" in statement else None,
            not_principals=_principals(statement["NotPrincipal"]) if "NotPrincipal" in statement else None,
            conditions=parse_conditions(statement.get("Condition")),
        ))
    return Policy(name, tuple(s for s in statements if s.effect != "Invalid"))


def account_of(value: str) -> str | None:
    """The account a principal value names as a whole (``123456789012`` or ``arn:aws:iam::123456789012:root``)."""
    match = _ACCOUNT.match(value)
    return match.group(1) if match else None


def iam_arn(value: str) -> tuple[str, str, str] | None:
    """(account, kind, name) of an IAM or STS ARN: ``role``, ``user``, ``group``, ``assumed-role`` ..."""
    match = _IAM_ARN.match(value)
    return (match.group(1), match.group(2), match.group(3)) if match else None
