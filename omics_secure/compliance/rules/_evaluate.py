"""What the rules ask the policy evaluator (:mod:`omics_secure.policy`): a resource's policy read through the
value layer, and whether a statement grants anyone something with nothing that restricts who.

A condition restricts who may act only when it pins the caller to accounts, an organization or principals that
the policy names: a positive operator on ``aws:PrincipalAccount``, ``kms:CallerAccount``, ``aws:SourceAccount``,
``aws:PrincipalOrgID``, ``aws:PrincipalArn`` (its account field), ``aws:userid`` (its unique id) or
``aws:SourceVpce``/``aws:SourceVpc``, with every value fixed: a wildcard where the account, organization or id
stands (``StringLike aws:PrincipalAccount 1*``, ``ArnLike aws:PrincipalArn arn:aws:iam::*:role/x``) pins nothing.
Global keys: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html; KMS keys:
https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html.

What does not restrict who: ``aws:SourceIp`` (any account's principal may call from that network, and a
cross-account caller's own identity policy is in its owner's hands), ``aws:username`` and
``aws:PrincipalServiceName`` (names any account can use), ``aws:ViaAWSService`` and ``kms:ViaService`` (any
account's request through the service), ``aws:SecureTransport``, the time and the region (how or when, not
who), negated operators and ``...IfExists`` on keys a request may lack (both hold for a caller without the key),
and ``ForAllValues`` (true for a request without the key).
"""

from __future__ import annotations

from collections.abc import Iterable

from omics_secure.compliance.model import Resource
from omics_secure.inputs.values import CannotJudge, Resolution
from omics_secure.policy import catalog
from omics_secure.policy import formula as f
from omics_secure.policy.conditions import Context, pins_caller
from omics_secure.policy.decision import Request, applies
from omics_secure.policy.documents import Principal, Statement
from omics_secure.policy.extract import TemplateReader
from omics_secure.policy.matching import HOLE_END, HOLE_START, readable

# Keys every request to the services judged here carries (global condition keys page: "always present").
_PRESENT = frozenset({"aws:securetransport", "aws:currenttime", "aws:epochtime", "aws:requestedregion",
                      "aws:principalarn", "aws:principalaccount", "aws:userid", "kms:calleraccount"})


def reader(resource: Resource) -> tuple[TemplateReader, Resolution]:
    values = resource.template_values()
    return TemplateReader(values), resource.branch or Resolution(values)


def restricts(literal: f.Literal) -> bool:
    """True when a residual condition pins the caller to accounts, an organization or principals it names.

    A deny under conditions leaves the grant standing where they do not all hold (:class:`formula.Unless`): a
    deny of callers outside the account (``StringNotEquals aws:PrincipalAccount``, the data-perimeter pattern)
    pins the grant to that account, so the complement of each of its conditions is judged in turn.
    """
    if isinstance(literal, f.Unless):
        complements = [f.complement(condition) for condition in literal.conditions]
        return all(c is not None and restricts(c) for c in complements)
    key = literal.key.lower()
    if key in _DEPLOY_TIME_ELEMENTS:
        return not literal.negated
    return pins_caller(literal, present=_PRESENT)


# Pseudo-keys the evaluator writes for a Principal, Resource or Action value only known at deploy time.
_DEPLOY_TIME_ELEMENTS = frozenset({"principal", "resource", "action"})


def unknown_principal(statement: Statement) -> str | None:
    """The first principal value that is wholly a deploy-time value, as the template writes it."""
    for kind, value in statement.principals or ():
        if value.startswith(HOLE_START) and value.endswith(HOLE_END) and value.count(HOLE_START) == 1:
            label = readable(value)[2:-1]
            return f"{kind} is {label if label.startswith('!') else '!Ref ' + label}"
    return None


def open_grant(statement: Statement, resource_arn: str, account: str, service: str,
               denies: Iterable[Statement] = ()) -> str | None:
    """Why ``statement`` lets anyone act on the resource (unconditionally, or under conditions that do not
    restrict who), or None when it does not. ``denies``, the Deny statements of the same policy, limit the grant
    where they apply (an explicit deny decides first). Raises CannotJudge when its principal is a deploy-time
    value."""
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
        request = Request(Principal.anyone(), action, resource_arn, account, context)
        when = applies(statement, request).any
        for deny in denies:
            when = f.and_(when, f.unless(applies(deny, request).any, deny.label))
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
