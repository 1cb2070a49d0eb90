"""What the rules ask the policy evaluator (:mod:`omics_secure.policy`): a resource's policy read through the
value layer, and whether a statement grants anyone something with nothing that restricts who.

A condition restricts who may act when it pins the caller's identity, account, organization or network
origin with a positive operator and a value that is not a bare wildcard: ``aws:PrincipalArn``,
``aws:PrincipalAccount``, ``aws:PrincipalOrgID``, ``kms:CallerAccount``, ``aws:SourceVpce`` ... (global keys:
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html; KMS keys:
https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html). ``aws:SecureTransport``, the time,
the region or ``kms:ViaService`` say how or when, not who.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from omics_secure.compliance.model import Resource
from omics_secure.inputs.values import CannotJudge, Resolution
from omics_secure.policy import catalog
from omics_secure.policy import formula as f
from omics_secure.policy.conditions import Condition, Context
from omics_secure.policy.decision import Request, applies
from omics_secure.policy.documents import Policy, Principal, Statement
from omics_secure.policy.extract import TemplateReader
from omics_secure.policy.matching import HOLE_END, HOLE_START, readable

IDENTITY_KEYS = frozenset({
    "aws:principalarn", "aws:principalaccount", "aws:principalorgid", "aws:principalorgpaths", "aws:userid",
    "aws:username", "aws:principalservicename", "aws:principalservicenameslist", "kms:calleraccount",
    "aws:sourceaccount", "aws:sourcearn", "aws:sourceowner", "aws:sourceorgid", "aws:sourceorgpaths",
    "aws:sourcevpce", "aws:sourcevpc", "aws:sourceip", "aws:viaawsservice", "s3:dataaccesspointaccount",
    "s3:dataaccesspointarn",
    # Pseudo-keys the evaluator writes for a Principal, Resource or Action value only known at deploy time.
    "principal", "resource", "action",
})
# Keys every request to the services judged here carries (global condition keys page: "always present").
_PRESENT = frozenset({"aws:securetransport", "aws:currenttime", "aws:epochtime", "aws:requestedregion",
                      "aws:principalarn", "aws:principalaccount", "aws:userid", "kms:calleraccount"})


def reader(resource: Resource) -> tuple[TemplateReader, Resolution]:
    values = resource.template_values()
    return TemplateReader(values), resource.branch or Resolution(values)


def policy_of(resource: Resource, document: Any, name: str = "") -> Policy:
    """``document`` (a resolved property of ``resource``) as the evaluator reads it."""
    template, resolution = reader(resource)
    return template.policy(document, resolution, name)


def restricts(literal: f.Literal) -> bool:
    """True when a residual condition limits who the grant reaches."""
    if isinstance(literal, f.Unless):
        return False
    if literal.key.lower() not in IDENTITY_KEYS or literal.negated or literal.base == "Null":
        return False
    return not any(value.strip() in ("*", "") for value in literal.values)


def unknown_principal(statement: Statement) -> str | None:
    """The first principal value that is wholly a deploy-time value, as the template writes it."""
    for kind, value in statement.principals or ():
        if value.startswith(HOLE_START) and value.endswith(HOLE_END) and value.count(HOLE_START) == 1:
            label = readable(value)[2:-1]
            return f"{kind} is {label if label.startswith('!') else '!Ref ' + label}"
    return None


def open_grant(statement: Statement, resource_arn: str, account: str, service: str) -> str | None:
    """Why ``statement`` lets anyone act on the resource (unconditionally, or under conditions that do not
    restrict who), or None when it does not. Raises CannotJudge when its principal is a deploy-time value."""
    if not statement.allows:
        return None
    if statement.not_principals is not None:
        names = ", ".join(readable(v) for _, v in statement.not_principals)
        return (f"{statement.label} allows a wildcard principal: every principal but those its NotPrincipal names "
                f"({names}); Allow with NotPrincipal grants the rest of the world")
    unknown = unknown_principal(statement)
    if unknown is not None:
        raise CannotJudge(unknown.split(" is ", 1)[0], unknown.split(" is ", 1)[1])
    context = Context.of({}, complete=False, present=_PRESENT)
    for action in _actions(statement, service):
        when = applies(statement, Request(Principal.anyone(), action, resource_arn, account, context)).any
        for conjunction in when:
            if not any(restricts(literal) for literal in conjunction):
                if not conjunction:
                    return f"{statement.label} allows a wildcard principal without conditions ({action})"
                words = "; ".join(f.describe(conjunction))
                return (f"{statement.label} allows a wildcard principal under conditions that do not restrict "
                        f"who ({readable(words)})")
    return None


def _actions(statement: Statement, service: str) -> Iterable[str]:
    every = [a.qualified for a in catalog.service_actions(service)]
    if statement.actions is None:
        return every
    named = [a for pattern in statement.actions for a in catalog.covered(pattern) if a.startswith(f"{service}:")]
    return dict.fromkeys(named) or every  # an action the reference lacks: judge the whole service


def condition_words(conditions: Iterable[Condition]) -> str:
    return "; ".join(str(c) for c in conditions)
