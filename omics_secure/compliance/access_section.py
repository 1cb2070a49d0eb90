"""The report's access sections, from the policy evaluator: who can read, write and administer each store, who
may assume each role, and every approved access with its scope, network origin, regions and end date.

Everything here asks :mod:`omics_secure.policy` (the same listing ``omics-secure access`` prints) and words its
answers with :mod:`omics_secure.policy.words`; nothing reads a policy document by hand.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from omics_secure._internal.tags import APPROVAL_ENDS_TAG
from omics_secure.compliance.names import Names
from omics_secure.inputs.assembly import StackArtifact
from omics_secure.policy import formula as f
from omics_secure.policy.access import KINDS, StoreAccess
from omics_secure.policy.conditions import Condition
from omics_secure.policy.documents import Policy, Statement
from omics_secure.policy.extract import KEY, AccessPoint, Actor, Environment, Store
from omics_secure.policy.matching import readable
from omics_secure.policy.words import (
    conjunction_words,
    identity_center_sets,
    listed_principal,
    principal_words,
)

APPROVAL_HEADERS = ("approval", "kind", "resource", "who", "scope", "network origin", "regions", "expires",
                    "days left")
PEOPLE_RESPONSIBILITY = (
    "The password policy and MFA enrolment of the people an approval admits are outside CloudFormation and are "
    "the user's responsibility: manage people in AWS IAM Identity Center (recommended: one identity per person, "
    "MFA required, permission sets per approval) or in your SAML/OIDC identity provider, and remove a person "
    "there when they leave the study. Revoking an approval is a stack update: remove it from the app and deploy."
)
_ASSUME = ("sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity", "sts:*", "*")
Render = Callable[[str], str]


@dataclass(frozen=True)
class Approval:
    approval_id: str
    kind: str
    path: str
    who: str
    scope: str
    network: str
    regions: str
    ends: datetime.date | None

    def row(self, today: datetime.date) -> tuple[str, ...]:
        if self.ends is None:
            expires, left = "no end date", "-"
        else:
            days = (self.ends - today).days
            expires, left = self.ends.isoformat(), (str(days) if days > 0 else "ended: remove the approval")
        return (self.approval_id, self.kind, self.path, self.who, self.scope, self.network, self.regions, expires,
                left)


class Access:
    """The evaluator's view of one app, with readable names for its canonical ARNs."""

    def __init__(self, stacks: Sequence[StackArtifact], names: Names, environment: Environment,
                 listing: Sequence[StoreAccess]) -> None:
        self.names = names
        self.environment = environment
        self.listing = listing
        self._stacks = {stack.name: stack for stack in stacks}
        replacements: dict[str, str] = {}
        for store in environment.stores:
            replacements[store.arn] = self.name(store.stack, store.logical_id)
            for point in store.access_points:
                replacements[point.arn] = self.name(point.stack, point.logical_id)
        for actor in environment.actors:
            replacements[actor.arn] = self.name(actor.stack, actor.logical_id)
        self._replacements = sorted(replacements.items(), key=lambda item: -len(item[0]))

    def name(self, stack: str, logical_id: str) -> str:
        return self.names.name(self._stacks[stack], logical_id) if stack in self._stacks else logical_id

    def render(self, text: str) -> str:
        """A canonical string with the resources of the app by name and what stays unknown as ``${...}``."""
        for canonical, name in self._replacements:
            if canonical in text:
                text = text.replace(canonical, name)
        return readable(text)

    def who(self, principal: str) -> str:
        actor = next((a for a in self.environment.actors if a.name == principal), None)
        return self.name(actor.stack, actor.logical_id) if actor else listed_principal(principal)

    def grants_of(self, actor_name: str) -> list[tuple[Store, str, f.Conjunction]]:
        return [(entry.store, kind, conjunction) for entry in self.listing for kind in KINDS
                for name, formula in entry.formulas[kind].items() if name == actor_name for conjunction in formula]


def store_rows(access: Access) -> tuple[tuple[str, ...], ...]:
    """(data store, access, who, only when) for every grant of every store."""
    rows = []
    for entry in access.listing:
        store = access.name(entry.store.stack, entry.store.logical_id)
        for kind in KINDS:
            for name, formula in sorted(entry.formulas[kind].items()):
                for conjunction in formula:
                    rows.append((store, kind.removesuffix("s"), access.who(name),
                                 conjunction_words(conjunction, access.render)))
    return tuple(rows)


def _assumes(statement: Statement) -> bool:
    return statement.allows and any(a.lower() in _ASSUME for a in statement.actions or ())


def trust_words(actor: Actor, render: Render) -> list[str]:
    """Who may assume a role, each with the conditions of its trust statement in words."""
    found = []
    for statement in actor.trust.statements if actor.trust else ():
        if not _assumes(statement):
            continue
        who = "; ".join(principal_words(kind, value, render) for kind, value in statement.principals or ()) or "-"
        conditions = f.of(*statement.conditions)
        words = conjunction_words(next(iter(conditions)), render)
        found.append(who if words == "always" else f"{who}, {words}")
    return sorted(set(found))


def role_rows(access: Access) -> tuple[tuple[str, ...], ...]:
    """(role, who may assume it and on which conditions, the stores and keys it can reach)."""
    rows = []
    for actor in access.environment.actors:
        if actor.kind != "role":
            continue
        reach = sorted({access.names.phrase(access._stacks[store.stack], store.logical_id)
                        for store, _, _ in access.grants_of(actor.name) if store.stack in access._stacks})
        rows.append((access.name(actor.stack, actor.logical_id), "; ".join(trust_words(actor, access.render)) or "-",
                     ", ".join(reach) or "-"))
    return tuple(rows)


def _keys(conditions: Sequence[Condition]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for condition in conditions:
        found.setdefault(condition.key.lower(), []).extend(condition.values)
    return found


def _approval_who(trust: Policy | None, render: Render) -> str:
    """Who an approval admits, from its trust statements: a federation, an Identity Center permission set, or
    the principals it names, with or WITHOUT MFA."""
    parts = []
    for statement in trust.statements if trust else ():
        if not _assumes(statement):
            continue
        keys = _keys(statement.conditions)
        federated = [value for kind, value in statement.principals or () if kind == "Federated"]
        arns = keys.get("aws:principalarn", [])
        sets = identity_center_sets(arns) if arns else None
        if federated:
            parts.append("federated through " + ", ".join(render(v) for v in federated))
        elif sets:
            parts.append("IAM Identity Center permission set " + ", ".join(sets))
        else:
            who = ", ".join(render(a) for a in arns) or ", ".join(
                principal_words(kind, value, render) for kind, value in statement.principals or ())
            mfa = [v.lower() for v in keys.get("aws:multifactorauthpresent", [])] == ["true"]
            parts.append(f"{who}{' with MFA' if mfa else ' WITHOUT MFA'}")
    return "; ".join(parts) or "-"


def _ends(tags: Mapping[str, str], conditions: Sequence[Condition]) -> datetime.date | None:
    candidates = [tags.get(APPROVAL_ENDS_TAG, "")]
    candidates += [v for c in conditions if c.key.lower() == "aws:currenttime" for v in c.values]
    for candidate in candidates:
        try:
            return datetime.date.fromisoformat(candidate[:10])
        except ValueError:
            continue
    return None


def _prefix(conjunction: f.Conjunction, within: str) -> str | None:
    for literal in conjunction:
        if isinstance(literal, Condition) and literal.key == "Resource" and not literal.negated:
            for value in literal.values:
                if value.startswith(within):
                    return value[len(within):]
    return None


def _scope(grants: Sequence[tuple[Store, str, f.Conjunction]], access: Access, via: AccessPoint | None = None
           ) -> str:
    found: dict[str, str] = {}
    for store, kind, conjunction in grants:
        if store.type == KEY or kind == "admins":
            continue
        within = f"{via.arn}/object/" if via is not None else f"{store.arn}/"
        prefix = _prefix(conjunction, within)
        if via is not None and prefix is None:
            continue
        target = access.name(store.stack, store.logical_id) + (f"/{access.render(prefix)}" if prefix else "")
        level = "read and write" if kind == "writers" or found.get(target) == "read and write" else "read"
        found[target] = level
    return "; ".join(f"{target} ({level})" for target, level in sorted(found.items())) or "-"


def approvals(access: Access) -> list[Approval]:
    """Every approved access of the app: roles and access points tagged ``omics-secure:approval-id``."""
    found = []
    for actor in access.environment.actors:
        if not actor.approval:
            continue
        grants = access.grants_of(actor.name)
        conditions = [lit for _, _, conjunction in grants for lit in conjunction if isinstance(lit, Condition)]
        trust_conditions = [c for s in (actor.trust.statements if actor.trust else ()) for c in s.conditions]
        keys = _keys(conditions)
        endpoints = sorted({access.render(v) for v in keys.get("aws:sourcevpce", [])})
        tls = any(isinstance(lit, f.Unless) and any(c.key.lower() == "aws:securetransport" for c in lit.conditions)
                  for _, _, conjunction in grants for lit in conjunction)
        network = (f"VPC endpoints {', '.join(endpoints)}" if endpoints
                   else "any network (TLS required)" if tls else "any network")
        stack = access._stacks.get(actor.stack)
        regions = ", ".join(sorted(set(keys.get("aws:requestedregion", [])))) or (stack.region if stack else "-")
        found.append(Approval(actor.approval, "researchers (role)", access.name(actor.stack, actor.logical_id),
                              _approval_who(actor.trust, access.render), _scope(grants, access), network, regions,
                              _ends(actor.tags, [*trust_conditions, *conditions])))
    for store in access.environment.stores:
        for point in store.access_points:
            approval_id = point.tags.get("omics-secure:approval-id")
            if not approval_id:
                continue
            statements = point.policy.statements if point.policy else ()
            who = ", ".join(sorted({principal_words(kind, value, access.render) for s in statements if s.allows
                                    for kind, value in s.principals or ()})) or "-"
            entry = next(e for e in access.listing if e.store is store)
            grants = [(store, kind, conjunction) for kind in KINDS for formula in entry.formulas[kind].values()
                      for conjunction in formula]
            network = (f"VPC {access.render(point.vpc)}" if point.vpc else "internet, public access blocked"
                       if point.public_blocked else "internet, public access NOT blocked")
            stack = access._stacks.get(point.stack)
            conditions = [c for s in statements for c in s.conditions]
            found.append(Approval(approval_id, "collaborator account (access point)",
                                  access.name(point.stack, point.logical_id), who,
                                  _scope(grants, access, via=point), network, stack.region if stack else "-",
                                  _ends(point.tags, conditions)))
    return found
