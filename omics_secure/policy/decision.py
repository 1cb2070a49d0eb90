"""AWS's decision for one request, from every policy that applies to it, in the documented order.

Pages implemented (each step below names its page):

- the order https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-denyallow.html:
  an explicit deny in any policy decides; then resource control policies (RCPs) and service control policies
  (SCPs) must each allow; then a resource-based policy, identity-based policies, the permissions boundary;
- one account https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html:
  within an account, an allow from the identity-based policies *or* from the resource-based policy suffices;
  a resource-based policy that names a role's ARN is still limited by the role's permissions boundary, one
  that names a user's ARN (or grants ``*``, which matches the session) is not
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html#access_policies_boundaries-eval-logic);
- across accounts https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic-cross-account.html:
  the caller's identity-based policies *and* the resource-based policy must both allow;
- an account as principal https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-accounts:
  naming an account delegates to it: its principals still need an identity-based allow, in the same account too;
- KMS https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam:
  identity-based policies count only where the key policy allows the account (:attr:`Policies.resource_grant_required`);
- SCPs do not restrict service principals (nor service-linked roles or the management account, which the caller
  leaves out) https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps.html; RCPs
  apply to every request for a resource in the account except those of service principals
  https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_rcps.html;
- VPC endpoint policies https://docs.aws.amazon.com/vpc/latest/privatelink/vpc-endpoints-access.html: a request
  through an endpoint must also be allowed by the endpoint's policy (no endpoint policy: full access).

The result is a :mod:`~omics_secure.policy.formula`: ALWAYS or NEVER for a request whose context is complete,
otherwise the conditions under which the request is allowed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from omics_secure.policy import formula as f
from omics_secure.policy.conditions import PRINCIPAL_ELEMENT, Condition, Context, holds, substitute, variables
from omics_secure.policy.documents import (
    ACCOUNT,
    ANYONE,
    FEDERATED,
    ROLE,
    SERVICE,
    UNKNOWN_KIND,
    USER,
    Policy,
    Principal,
    Statement,
    account_of,
    iam_arn,
)
from omics_secure.policy.matching import Tri, glob, has_hole, names_action


@dataclass(frozen=True)
class Request:
    """One request: who, which action, on which resource (its ARN and owning account), with which context."""

    principal: Principal
    action: str
    resource: str
    resource_account: str
    context: Context = field(default_factory=Context)


@dataclass(frozen=True)
class Policies:
    """Every policy that applies to a request.

    ``scps`` and ``rcps`` are levels (root, each OU, the account): every level must allow. ``resource`` is None
    when the resource has no resource-based policy. ``identity_unknown``: the caller's identity-based policies
    and boundary are not in the input (a principal of another stack or account): they are taken to allow what
    the resource-based policy grants it, which is all the input can say of it.
    """

    identity: tuple[Policy, ...] = ()
    boundary: Policy | None = None
    resource: Policy | None = None
    scps: tuple[tuple[Policy, ...], ...] = ()
    rcps: tuple[tuple[Policy, ...], ...] = ()
    endpoint: Policy | None = None
    resource_grant_required: bool = False
    identity_unknown: bool = False


@dataclass(frozen=True)
class Match:
    """When one statement applies to a request, split by how it names the principal: by its own ARN, through
    ``*``, or through its account (delegation)."""

    named: f.Formula = f.NEVER
    anyone: f.Formula = f.NEVER
    account: f.Formula = f.NEVER

    @property
    def any(self) -> f.Formula:
        return f.or_(self.named, self.anyone, self.account)


def _tri_literal(result: Tri, literal: Condition) -> f.Formula:
    return f.ALWAYS if result is Tri.TRUE else f.NEVER if result is Tri.FALSE else f.of(literal)


def _any(results: Iterable[Tri]) -> Tri:
    found = Tri.FALSE
    for result in results:
        found |= result
        if found is Tri.TRUE:
            break
    return found


def _action(statement: Statement, action: str) -> f.Formula:
    patterns = statement.actions if statement.actions is not None else statement.not_actions
    if patterns is None:  # IAM refuses a statement without either; never let it deny, let it allow
        return f.ALWAYS if statement.allows else f.NEVER
    result = names_action(patterns, action)
    if statement.actions is None:
        result = ~result
    return _tri_literal(result, Condition("StringLike" if statement.actions is not None else "StringNotLike",
                                          "Action", patterns))


def _resource(statement: Statement, request: Request) -> f.Formula:
    patterns = statement.resources if statement.resources is not None else statement.not_resources
    if patterns is None:
        return f.ALWAYS if statement.allows else f.NEVER
    substituted = [p for p in (substitute(p, request.context) for p in patterns) if p is not None]
    result = _any(glob(p, request.resource) for p in substituted)
    if statement.resources is None:
        result = ~result
    return _tri_literal(result, Condition("ArnLike" if statement.resources is not None else "ArnNotLike",
                                          "Resource", patterns))


def names(kind: str, value: str, principal: Principal, *, exactly: bool = False) -> tuple[Tri, str]:
    """Whether a ``Principal`` value names ``principal``, and how: ``"named"``, ``"anyone"`` or ``"account"``.

    ``exactly`` (NotPrincipal): an account's ARN names the account's root only, not its roles and users
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html).
    """
    if value == "*" and kind in ("AWS", "*"):
        return Tri.TRUE, "anyone"
    if kind == UNKNOWN_KIND:
        return Tri.MAYBE, "anyone"
    if kind == "Service":
        return (Tri.of(principal.kind == SERVICE) & glob(value, principal.name, wildcards=False, ignore_case=True),
                "named")
    if kind == "Federated":
        return Tri.of(principal.kind == FEDERATED) & glob(value, principal.name, wildcards=False), "named"
    if kind != "AWS":
        return Tri.FALSE, "named"
    account = account_of(value)
    if account is not None:
        if principal.account is None or principal.kind == ANYONE:
            return Tri.FALSE, "account"
        same = glob(account, principal.account, wildcards=False)
        if exactly and principal.kind != ACCOUNT:
            return Tri.FALSE, "account"
        return same, ("named" if principal.kind == ACCOUNT and exactly else "account")
    if iam_arn(value) is not None and principal.arn is not None and principal.kind in (ROLE, USER):
        return glob(value, principal.arn, wildcards=False), "named"
    if has_hole(value) and principal.kind in (ROLE, USER, ACCOUNT):
        return Tri.MAYBE, "named"
    return Tri.FALSE, "named"


def _principal(statement: Statement, principal: Principal, context: Context) -> Match:
    if statement.principals is None and statement.not_principals is None:
        return Match(anyone=f.ALWAYS)  # an identity-based policy or SCP: the statement is the caller's own
    if statement.principals is not None:
        found: dict[str, Tri] = {"named": Tri.FALSE, "anyone": Tri.FALSE, "account": Tri.FALSE}
        for kind, value in statement.principals:
            result, how = names(kind, value, principal)
            found[how] |= result
        literal = Condition("ArnEquals", PRINCIPAL_ELEMENT, tuple(v for _, v in statement.principals))
        return Match(*(_tri_literal(found[how], literal) for how in ("named", "anyone", "account")))
    assert statement.not_principals is not None
    excluded = _any(names(kind, value, principal, exactly=True)[0] for kind, value in statement.not_principals)
    if excluded is Tri.TRUE:
        return Match()
    if principal.kind == ANYONE:
        # Anyone but the principals listed: what holds for everyone else, as a condition on the caller's ARN.
        others = Condition("ArnNotEquals", "aws:PrincipalArn", tuple(v for _, v in statement.not_principals))
        return Match(anyone=_tri_literal(holds(others, context), others))
    return Match(anyone=_tri_literal(~excluded, Condition("ArnNotEquals", PRINCIPAL_ELEMENT,
                                                          tuple(v for _, v in statement.not_principals))))


class Memo:
    """What :func:`applies` found for the statements of a caller's many requests, by the only parts of a request
    each part of the answer reads: the action, the resource and the context keys the statement names for the
    statement's Action, Resource and Condition; the principal and the same keys for its Principal. A caller
    that asks about many principals and actions of one resource (``omics-secure access``) evaluates each
    statement once per distinct answer. Statements are known by identity: the caller keeps them alive."""

    def __init__(self) -> None:
        self.keys: dict[int, tuple[Statement, tuple[str, ...]]] = {}
        self.bases: dict[tuple[object, ...], f.Formula] = {}
        self.principals: dict[tuple[object, ...], Match] = {}

    def applies(self, statement: Statement, request: Request) -> Match:
        held = self.keys.get(id(statement))
        if held is None:
            held = self.keys[id(statement)] = (statement, _read_keys(statement))
        context = request.context
        signature = tuple(context.lookup(key) for key in held[1])
        base_key = (id(statement), request.action, request.resource, signature)
        base = self.bases.get(base_key)
        if base is None:
            base = self.bases[base_key] = _base(statement, request)
        if base == f.NEVER:
            return Match()
        principal_key = (id(statement), request.principal, signature)
        match = self.principals.get(principal_key)
        if match is None:
            match = self.principals[principal_key] = _principal(statement, request.principal, context)
        return Match(f.and_(base, match.named), f.and_(base, match.anyone), f.and_(base, match.account))


def _read_keys(statement: Statement) -> tuple[str, ...]:
    """Every context key :func:`applies` can read for ``statement``: its conditions' keys, the policy variables
    of their values and of its Resource/NotResource, and the caller's ARN (and the variables) for a NotPrincipal."""
    keys = [condition.key for condition in statement.conditions]
    keys += [name for condition in statement.conditions for value in condition.values for name in variables(value)]
    keys += [name for pattern in (statement.resources or ()) + (statement.not_resources or ())
             for name in variables(pattern)]
    if statement.not_principals is not None:
        keys += ["aws:PrincipalArn", *(name for _, value in statement.not_principals for name in variables(value))]
    return tuple(dict.fromkeys(key.lower() for key in keys))


def _base(statement: Statement, request: Request) -> f.Formula:
    """When ``statement``'s Action, Resource and Condition hold for ``request``: NEVER, or their conjunction."""
    action = _action(statement, request.action)
    if action == f.NEVER:
        return f.NEVER
    resource = _resource(statement, request)
    if resource == f.NEVER:
        return f.NEVER
    residual: list[Condition] = []
    for condition in statement.conditions:
        result = holds(condition, request.context)
        if result is Tri.FALSE:
            return f.NEVER
        if result is Tri.MAYBE:
            residual.append(condition)
    return f.and_(action, resource, f.of(*residual))


def applies(statement: Statement, request: Request) -> Match:
    """When ``statement`` applies to ``request`` (whatever its effect)."""
    base = _base(statement, request)
    if base == f.NEVER:
        return Match()
    match = _principal(statement, request.principal, request.context)
    return Match(f.and_(base, match.named), f.and_(base, match.anyone), f.and_(base, match.account))


def _allowed(policies: Iterable[Policy | None], request: Request, seen: dict[int, Match] | None = None) -> Match:
    named, anyone, account = f.NEVER, f.NEVER, f.NEVER
    for policy in policies:
        for statement in policy.statements if policy is not None else ():
            if statement.allows:
                match = seen.get(id(statement)) if seen is not None else None
                if match is None:
                    match = applies(statement, request)
                named, anyone, account = (f.or_(named, match.named), f.or_(anyone, match.anyone),
                                          f.or_(account, match.account))
    return Match(named, anyone, account)


def _levels(levels: tuple[tuple[Policy, ...], ...], request: Request, seen: dict[int, Match]) -> f.Formula:
    return f.and_(*(_allowed(level, request, seen).any for level in levels))


def decide(request: Request, policies: Policies, trace: list[tuple[Statement, f.Formula]] | None = None,
           memo: Memo | None = None) -> f.Formula:
    """The conditions under which AWS allows ``request``: ALWAYS, NEVER, or what it still depends on.

    ``trace`` receives every statement that applies, with the conditions under which it does, for messages.
    ``memo`` shares each statement's evaluation between the requests of one caller (the answer is the same).
    """
    principal = request.principal
    subject_to_scps = principal.is_aws
    everything = [*policies.identity, policies.boundary, policies.resource, policies.endpoint,
                  *(p for level in (policies.scps if subject_to_scps else ()) for p in level),
                  *(p for level in (policies.rcps if principal.kind != SERVICE else ()) for p in level)]
    allowed = f.ALWAYS
    seen: dict[int, Match] = {}  # each statement's match, computed once for this request
    for policy in everything:
        for statement in policy.statements if policy is not None else ():
            match = memo.applies(statement, request) if memo is not None else applies(statement, request)
            seen[id(statement)] = match
            when = match.any
            if when == f.NEVER:
                continue
            if trace is not None:
                trace.append((statement, when))
            if not statement.allows:
                allowed = f.and_(allowed, f.unless(when, statement.label))
    if allowed == f.NEVER:
        return f.NEVER  # step 1: an explicit deny decides
    if policies.rcps and principal.kind != SERVICE:
        allowed = f.and_(allowed, _levels(policies.rcps, request, seen))
    if policies.scps and subject_to_scps:
        allowed = f.and_(allowed, _levels(policies.scps, request, seen))
    if policies.endpoint is not None:
        allowed = f.and_(allowed, _allowed([policies.endpoint], request, seen).any)
    if allowed == f.NEVER:
        return f.NEVER
    return f.and_(allowed, _grants(request, policies, seen))


def _grants(request: Request, policies: Policies, seen: dict[int, Match]) -> f.Formula:
    """Steps 3 to 5: what the resource-based policy, the identity-based policies and the boundary grant."""
    principal = request.principal
    resource = _allowed([policies.resource], request, seen)
    if not principal.is_aws:
        return f.or_(resource.named, resource.anyone)  # a service, a federated identity or anyone: no identity
    if policies.identity_unknown:
        identity = f.ALWAYS
    else:
        identity = _allowed(policies.identity, request, seen).any
        if policies.boundary is not None:
            identity = f.and_(identity, _allowed([policies.boundary], request, seen).any)
    if principal.kind == ACCOUNT or policies.identity_unknown:
        # Someone in a named account, or a principal whose identity-based policies are outside the input: only
        # what the resource-based policy grants it is known.
        return f.and_(identity, resource.any)
    cross_account = f.and_(identity, resource.any)
    same = glob(principal.account, request.resource_account, wildcards=False) if principal.account else Tri.FALSE
    if same is Tri.FALSE:
        return cross_account
    named = resource.named
    if principal.kind == ROLE and policies.boundary is not None and not policies.identity_unknown:
        named = f.and_(named, _allowed([policies.boundary], request, seen).any)
    direct = f.or_(named, resource.anyone)
    if policies.resource_grant_required:
        within = f.or_(direct, f.and_(identity, resource.account))
    else:
        within = f.or_(direct, identity)
    return f.or_(within, cross_account)
