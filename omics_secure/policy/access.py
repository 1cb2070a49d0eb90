"""Who can read, write or administer each data store of an input: the evaluator's partial mode.

For each store and each candidate principal (the roles, users and groups of the input; the accounts, services,
federated providers and ARNs its resource policies name; ``*`` when a statement grants to anyone), the
conditions under which AWS would allow the store's read, write or administration actions. A reader of a bucket
encrypted under a key of the input needs ``kms:Decrypt`` through S3 on that key as well
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html#require-sse-kms); a writer needs
``kms:GenerateDataKey``. HealthOmics and HealthLake use the grants their service holds on the key, so their
callers need no key permission of their own.

Requests through an access point must be allowed by the access point's policy and by the bucket's
(https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html). A bucket whose public
access block restricts public buckets grants nothing through a public policy statement to anyone outside its
account (https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-control-block-public-access.html).
Not applied, because the input cannot tell which callers they bind: VPC endpoint policies (a principal may call
from elsewhere), SCPs and RCPs attached to organizational units.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

from omics_secure.policy import catalog
from omics_secure.policy import formula as f
from omics_secure.policy.conditions import Context
from omics_secure.policy.decision import Memo, Policies, Request, decide
from omics_secure.policy.documents import (
    ANYONE,
    FEDERATED,
    GROUP,
    ROLE,
    Policy,
    Principal,
    Statement,
    account_of,
    iam_arn,
)
from omics_secure.policy.extract import (
    BUCKET,
    FHIR_DATASTORE,
    KEY,
    REFERENCE_STORE,
    SEQUENCE_STORE,
    Actor,
    Environment,
    Store,
)
from omics_secure.policy.matching import Tri, glob, names_action, readable

KINDS = ("readers", "writers", "admins")
SELF = "account:self"


@dataclass(frozen=True)
class Actions:
    """The actions that make a principal a reader, writer or administrator of one kind of store."""

    data_type: str
    readers: tuple[str, ...]
    writers: tuple[str, ...]
    admins: tuple[str, ...]


@functools.cache
def actions_of(store_type: str) -> Actions:
    """Reading and writing are the data actions named here; administration is every action the Service
    Authorization Reference gives the "Permissions management" access level on the store, and deleting it."""
    if store_type == BUCKET:
        return Actions("object", ("s3:GetObject", "s3:GetObjectVersion"),
                       ("s3:PutObject", "s3:DeleteObject", "s3:DeleteObjectVersion"),
                       (*catalog.actions_on("s3", "bucket", catalog.PERMISSIONS), "s3:DeleteBucket"))
    if store_type == KEY:
        return Actions("key", ("kms:Decrypt",), ("kms:Encrypt", "kms:GenerateDataKey", "kms:ReEncryptTo"),
                       (*catalog.actions_on("kms", "key", catalog.PERMISSIONS), "kms:ScheduleKeyDeletion",
                        "kms:DisableKey"))
    if store_type == SEQUENCE_STORE:
        return Actions("readset", ("omics:GetReadSet", "omics:StartReadSetExportJob"),
                       ("omics:StartReadSetImportJob", "omics:CreateMultipartReadSetUpload",
                        "omics:BatchDeleteReadSet"),
                       (*catalog.actions_on("omics", "sequencestore", catalog.PERMISSIONS),
                        "omics:PutS3AccessPolicy", "omics:DeleteS3AccessPolicy", "omics:DeleteSequenceStore"))
    if store_type == REFERENCE_STORE:
        return Actions("reference", ("omics:GetReference",), ("omics:StartReferenceImportJob", "omics:DeleteReference"),
                       (*catalog.actions_on("omics", "referencestore", catalog.PERMISSIONS),
                        "omics:DeleteReferenceStore"))
    if store_type == FHIR_DATASTORE:
        return Actions("datastore", ("healthlake:ReadResource", "healthlake:SearchWithGet",
                                     "healthlake:SearchWithPost", "healthlake:StartFHIRExportJob"),
                       ("healthlake:CreateResource", "healthlake:UpdateResource", "healthlake:DeleteResource",
                        "healthlake:StartFHIRImportJob"),
                       (*catalog.actions_on("healthlake", "datastore", catalog.PERMISSIONS),
                        "healthlake:DeleteFHIRDatastore"))
    raise ValueError(f"not a data store type: {store_type}")


# What S3 asks of the caller's key permissions for each data action (SSE-KMS).
_KEY_ACTION = {"s3:GetObject": "kms:Decrypt", "s3:GetObjectVersion": "kms:Decrypt",
               "s3:PutObject": "kms:GenerateDataKey"}


@dataclass(frozen=True)
class Candidate:
    """A principal the listing asks about, with the name the listing gives it."""

    name: str
    principal: Principal
    actor: Actor | None = None


@dataclass(frozen=True)
class Grant:
    principal: str
    conditions: tuple[str, ...]

    def as_json(self) -> dict[str, object]:
        return {"principal": self.principal, "conditions": list(self.conditions)}


@dataclass(frozen=True)
class StoreAccess:
    """Who can read, write and administer one store; ``formulas`` keeps the evaluator's answer per principal."""

    store: Store
    formulas: Mapping[str, Mapping[str, f.Formula]]
    candidates: Mapping[str, Candidate] = field(default_factory=dict)

    def grants(self, kind: str) -> tuple[Grant, ...]:
        found = [Grant(name, tuple(readable(c) for c in f.describe(conjunction)))
                 for name, formula in self.formulas[kind].items() for conjunction in formula]
        return tuple(sorted(found, key=lambda g: (g.principal, g.conditions)))

    def as_json(self) -> dict[str, object]:
        return {"stack": self.store.stack, "resource": self.store.logical_id, "type": self.store.type,
                "phi": self.store.phi, **{kind: [g.as_json() for g in self.grants(kind)] for kind in KINDS}}


def _named(policies: Iterable[Policy | None]) -> list[tuple[str, str]]:
    return [pair for policy in policies if policy is not None for s in policy.statements
            for pair in (s.principals or ()) + (s.not_principals or ())]


def _has_anyone(policies: Iterable[Policy | None]) -> bool:
    return any(s.not_principals is not None or ("AWS", "*") in (s.principals or ())
               for policy in policies if policy is not None for s in policy.statements)


def candidates(environment: Environment, store: Store) -> list[Candidate]:
    """The principals to ask about for ``store``: the input's own whose policies could reach it, and every
    principal the store's, its key's and its access points' policies name."""
    key = environment.key(store.key)
    policies = [store.policy, key.policy if key else None, *(p.policy for p in store.access_points)]
    named = _named(policies)
    found: dict[str, Candidate] = {}
    actors_by_arn = environment.actors_by_arn
    named_values = {v for _, v in named}
    # Only the store's account, the accounts its policies name and accounts not known before deployment can
    # hold a reader: a principal of any other account needs a resource policy that names it.
    accounts = {store.account, *(a for v in named_values if (a := account_of(v)) is not None)}
    pool = [a for account in accounts for a in environment.actors_by_account.get(account, ())]
    pool += [a for a in environment.actors_of_unknown_accounts if a.account not in accounts]
    pool += [actors_by_arn[v] for v in named_values if v in actors_by_arn]
    for actor in {a.name: a for a in pool}.values():
        if (actor.arn in named_values or _could_reach(actor, store, key)
                or (_has_anyone(policies) and glob(actor.account, store.account, wildcards=False) is not Tri.FALSE)):
            principal = (Principal.role(actor.arn, actor.name) if actor.kind == ROLE
                         else Principal.user(actor.arn, actor.name))
            found[actor.name] = Candidate(actor.name, principal, actor)
    for kind, value in named:
        if kind == "AWS" and value == "*":
            found["*"] = Candidate("*", Principal.anyone())
        elif kind == "AWS" and (account := account_of(value)) is not None:
            name = SELF if account == store.account else f"account:{readable(account)}"
            found.setdefault(name, Candidate(name, Principal.of_account(account, name)))
        elif kind == "AWS" and iam_arn(value) is not None and value not in actors_by_arn:
            principal = Principal.role(value, readable(value)) if ":role/" in value else Principal.user(
                value, readable(value))
            found.setdefault(readable(value), Candidate(readable(value), principal))
        elif kind == "Service":
            found.setdefault(value, Candidate(value, Principal.service(value)))
        elif kind == "Federated":
            found.setdefault(value, Candidate(value, Principal(FEDERATED, value)))
    if _has_anyone(policies):
        found.setdefault("*", Candidate("*", Principal.anyone()))
    return list(found.values())


def _could_reach(actor: Actor, store: Store, key: Store | None) -> bool:
    """A quick screen: some allow statement of the actor's own policies names one of the store's services
    and could match one of its ARNs. The evaluator decides; this only keeps it from asking in vain."""
    targets = [store.arn, store.data_arn, *(p.arn for p in store.access_points), *(p.arn + "/object/x"
                                                                                    for p in store.access_points)]
    if key is not None:
        targets.append(key.arn)
    services = {store.type.split("::")[1].lower(), "kms"}
    for policy in actor.policies:
        for statement in policy.statements:
            if not statement.allows:
                continue
            actions = statement.actions or ("*",)
            if not any(a == "*" or a.split(":", 1)[0].lower() in services or a.startswith("*")
                       for a in actions):
                continue
            if statement.resources is None or any(glob(p, t) is not Tri.FALSE for p in statement.resources
                                                  for t in targets):
                return True
    return False


_ALWAYS_PRESENT = frozenset({"aws:securetransport", "aws:currenttime", "aws:epochtime", "aws:requestedregion"})


def _context(candidate: Candidate, action: str, extra: Mapping[str, str | None]) -> Context:
    values: dict[str, str | None] = {}
    present = set(_ALWAYS_PRESENT)
    principal = candidate.principal
    if principal.kind in (ROLE, "user", "account"):
        values["aws:principalaccount"] = principal.account
        values["aws:principalisawsservice"] = "false"
        values["aws:principalservicename"] = None
        if principal.kind != "account" and principal.arn:
            values["aws:principalarn"] = principal.arn
        else:
            present.add("aws:principalarn")
        if action.startswith("kms:") and principal.account:
            values["kms:calleraccount"] = principal.account
    elif principal.kind == "service":
        values["aws:principalservicename"] = principal.name
        values["aws:principalisawsservice"] = "true"
    if action.startswith("kms:"):
        present.add("kms:calleraccount")
    if action.startswith("s3:"):
        values.setdefault("s3:dataaccesspointarn", None)
        values.setdefault("s3:dataaccesspointaccount", None)
    values.update(extra)
    return Context.of(values, complete=False, present=frozenset(present))


# Condition keys whose fixed values keep a bucket policy statement from being public.
_NON_PUBLIC_KEYS = frozenset({"aws:sourcearn", "aws:sourcevpc", "aws:sourcevpce", "aws:sourceaccount",
                              "aws:sourceowner", "aws:principalorgid", "aws:principalaccount", "aws:userid",
                              "aws:principalarn", "s3:dataaccesspointarn", "s3:dataaccesspointaccount",
                              "aws:sourceip", "s3:x-amz-server-side-encryption-aws-kms-key-id"})


def _public(statement: Statement) -> bool:
    anyone = ("AWS", "*") in (statement.principals or ()) or statement.not_principals is not None
    if not statement.allows or not anyone:
        return False
    return not any(c.key.lower() in _NON_PUBLIC_KEYS and not c.negated and "*" not in "".join(c.values)
                   for c in statement.conditions)


def _restricted(policy: Policy | None) -> Policy | None:
    if policy is None:
        return None
    return replace(policy, statements=tuple(s for s in policy.statements if not _public(s)))


_ANYTHING = Policy("(identity outside the input)", (Statement("Allow", "", actions=("*",), resources=("*",)),))


def _names_action(statement: Statement, action: str) -> bool:
    if statement.actions is None:
        return True  # NotAction: the evaluator decides
    return names_action(statement.actions, action) is not Tri.FALSE


class _Evaluator:
    def __init__(self, environment: Environment, store: Store) -> None:
        self.environment = environment
        self.store = store
        self.key = environment.key(store.key)
        self.targets = (store.arn, store.data_arn, *(p.arn for p in store.access_points),
                        *(f"{p.arn}/object/{store.data_arn.rsplit('/', 1)[-1]}" for p in store.access_points),
                        *((self.key.arn,) if self.key is not None else ()))
        self._narrowed: dict[int, Policy] = {}
        self._decided: dict[tuple[object, ...], f.Formula] = {}
        self._allows: dict[str, list[Statement]] = {}
        self._action_patterns: dict[tuple[str, int], tuple[tuple[str, ...], ...]] = {}
        self._restricted: dict[int, Policy | None] = {}
        self._memo = Memo()

    def narrowed(self, policy: Policy) -> Policy:
        """``policy`` with only the statements that could apply to one of this store's ARNs (its key's
        included): the others cannot change any decision about the store, and most identity policies name
        other resources."""
        found = self._narrowed.get(id(policy))
        if found is None:
            found = replace(policy, statements=tuple(s for s in policy.statements if self._could_apply(s)))
            self._narrowed[id(policy)] = found
        return found

    def _could_apply(self, statement: Statement) -> bool:
        if statement.resources is None:
            return True  # NotResource, or no Resource element: the evaluator decides
        return any("${" in pattern or glob(pattern, target) is not Tri.FALSE for pattern in statement.resources
                   for target in self.targets)  # a policy variable is replaced per request: keep it

    def policies(self, candidate: Candidate, resource_policy: Policy | None, resource_account: str, *,
                 kms: bool = False) -> Policies:
        actor = candidate.actor
        principal = candidate.principal
        if self.store.restrict_public and (principal.kind == ANYONE or glob(
                principal.account or "", self.store.account, wildcards=False) is not Tri.TRUE):
            resource_policy = _restricted(resource_policy)
        account = principal.account or ""
        return Policies(
            identity=tuple(self.narrowed(p) for p in actor.policies) if actor else (),
            boundary=self.narrowed(actor.boundary) if actor and actor.boundary else None,
            resource=resource_policy,
            scps=self.environment.scp_levels(account) + self.environment.scp_levels("*") if principal.is_aws else (),
            rcps=self.environment.rcp_levels(resource_account) + self.environment.rcp_levels("*"),
            resource_grant_required=kms,
            identity_unknown=actor is None)

    def decide(self, candidate: Candidate, action: str, resource: str, policy: Policy | None, *,
               account: str | None = None, kms: bool = False, extra: Mapping[str, str | None] | None = None
               ) -> f.Formula:
        account = account or self.store.account
        policies = self.policies(candidate, policy, account, kms=kms)
        # Two actions of one service that the same statements name get the same answer (the request differs in
        # nothing else), so the evaluator is asked once per such group.
        patterns = self._patterns(candidate, policies)
        key = (candidate.name, action.split(":", 1)[0], resource, account, kms, tuple(sorted((extra or {}).items())),
               id(policies.resource), tuple(names_action(p, action) is not Tri.FALSE for p in patterns))
        found = self._decided.get(key)
        if found is None:
            request = Request(candidate.principal, action, resource, account,
                              _context(candidate, action, extra or {}))
            found = self._decided[key] = decide(request, policies, memo=self._memo)
        return found

    def _patterns(self, candidate: Candidate, policies: Policies) -> tuple[tuple[str, ...], ...]:
        """The distinct Action/NotAction values of every statement that applies: which of them name an action
        decides which statements can apply to it."""
        key = (candidate.name, id(policies.resource))
        found = self._action_patterns.get(key)
        if found is None:
            every = [s for p in (*policies.identity, policies.boundary, policies.resource, policies.endpoint,
                                 *(p for level in (*policies.scps, *policies.rcps) for p in level))
                     if p is not None for s in p.statements]
            found = tuple(dict.fromkeys(s.actions if s.actions is not None else s.not_actions or ("*",)
                                        for s in every))
            self._action_patterns[key] = found
        return found

    def may_allow(self, candidate: Candidate, action: str) -> bool:
        """False when no allow statement that could reach this store names ``action``: nothing can grant it,
        whatever else the policies say, so the evaluator is not asked."""
        allows = self._allows.get(candidate.name)
        if allows is None:
            policies: list[Policy | None] = [self.narrowed(p) for p in candidate.actor.policies] \
                if candidate.actor else []
            if candidate.actor is None or not candidate.actor.policies:
                policies.append(_ANYTHING)  # outside the input: what the resource policies grant decides
            policies += [self.store.policy, *(p.policy for p in self.store.access_points)]
            allows = self._allows[candidate.name] = [s for policy in policies if policy is not None
                                                     for s in policy.statements if s.allows]
        return any(_names_action(statement, action) for statement in allows)

    def formula(self, candidate: Candidate, action: str) -> f.Formula:
        if not self.may_allow(candidate, action):
            return f.NEVER
        store = self.store
        info = catalog.action(action)
        data = info is None or actions_of(store.type).data_type in info.resource_types
        resource = store.data_arn if data else store.arn
        direct = self.decide(candidate, action, resource, store.policy, kms=store.type == KEY)
        paths = [direct]
        if store.type == BUCKET and data:
            for point in store.access_points:
                through = self.decide(candidate, action, resource.replace(store.arn + "/", point.arn + "/object/"),
                                      point.policy)
                if through == f.NEVER:
                    continue
                bucket = self.decide(candidate, action, resource, store.policy,
                                     extra={"s3:dataaccesspointarn": point.arn,
                                            "s3:dataaccesspointaccount": store.account})
                paths.append(f.and_(through, bucket))
        result = f.or_(*paths)
        key_action = _KEY_ACTION.get(action)
        if result != f.NEVER and key_action and self.key is not None:
            needed = self.decide(candidate, key_action, self.key.arn, self.key.policy, account=self.key.account,
                                 kms=True, extra={"kms:viaservice": f"s3.{store.region}.amazonaws.com",
                                                  "kms:encryptioncontext:aws:s3:arn": store.arn})
            result = f.and_(result, needed)
        return result


def store_access(environment: Environment, store: Store) -> StoreAccess:
    evaluator = _Evaluator(environment, store)
    actions = actions_of(store.type)
    formulas: dict[str, dict[str, f.Formula]] = {kind: {} for kind in KINDS}
    found = {c.name: c for c in candidates(environment, store)}
    for candidate in found.values():
        for kind in KINDS:
            result = f.or_(*(evaluator.formula(candidate, action) for action in getattr(actions, kind)))
            if result != f.NEVER:
                formulas[kind][candidate.name] = result
    return StoreAccess(store, formulas, found)


def access(environment: Environment, stores: Sequence[Store] | None = None) -> list[StoreAccess]:
    """Who can read, write and administer every store of ``environment`` (or of ``stores``)."""
    return [store_access(environment, store) for store in (stores if stores is not None else environment.stores)]


def is_group(candidate: Candidate) -> bool:
    return candidate.actor is not None and candidate.actor.kind == GROUP
