"""Random small policy sets and random concrete requests: the evaluator's decision equals a brute-force reference
that walks AWS's documented decision order (explicit deny, RCPs, SCPs, endpoint policy, then resource-based and
identity-based policies and the boundary, same- or cross-account), written here without the evaluator's code.

A second property: a partial evaluation (some keys unknown) leaves conditions that, once the keys are known,
give the concrete decision: nothing is dropped, nothing invented.
"""

from __future__ import annotations

import fnmatch
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from omics_secure.policy import ALWAYS, NEVER, Context, Policies, Principal, Request, decide, parse_policy
from omics_secure.policy.conditions import holds
from omics_secure.policy.decision import Memo
from omics_secure.policy.documents import ACCOUNT, ROLE, SERVICE
from omics_secure.policy.formula import Unless
from omics_secure.policy.matching import Tri

A, B = "111111111111", "222222222222"
SERVICE_NAME = "cloudtrail.amazonaws.com"
PRINCIPALS = [
    Principal.role(f"arn:aws:iam::{A}:role/r"), Principal.user(f"arn:aws:iam::{A}:user/u"),
    Principal.role(f"arn:aws:iam::{B}:role/x"), Principal.of_account(B), Principal.service(SERVICE_NAME),
    Principal.anyone(),
]
ACTIONS = ["s3:GetObject", "s3:PutObject", "kms:Decrypt"]
ACTION_PATTERNS = ["*", "s3:*", "s3:Get*", "s3:GetObject", "kms:Decrypt", "S3:PUTOBJECT", "kms:*"]
RESOURCES = ["arn:aws:s3:::b/k", "arn:aws:s3:::c/k"]
RESOURCE_PATTERNS = ["*", "arn:aws:s3:::b/*", "arn:aws:s3:::c*", "arn:aws:s3:::?/k", "arn:aws:s3:::B/*"]
PRINCIPAL_VALUES = ["*", "*", A, f"arn:aws:iam::{B}:root", f"arn:aws:iam::{A}:role/r", f"arn:aws:iam::{A}:user/u",
                    f"arn:aws:iam::{B}:role/x"]
CONDITIONS = [
    ("Bool", "aws:SecureTransport", ["true"]), ("Bool", "aws:SecureTransport", ["false"]),
    ("StringEquals", "aws:SourceVpce", ["vpce-1"]), ("StringNotEquals", "aws:SourceVpce", ["vpce-1"]),
    ("StringEqualsIfExists", "aws:SourceVpce", ["vpce-2"]), ("Null", "aws:SourceVpce", ["true"]),
    ("ForAllValues:StringEquals", "aws:TagKeys", ["a"]), ("ForAnyValue:StringEquals", "aws:TagKeys", ["a"]),
    ("StringLike", "aws:PrincipalArn", ["arn:aws:iam::*:role/*"]),
]


@st.composite
def statements(draw: Any, *, principal: bool) -> dict[str, Any]:
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    statement["NotAction" if draw(st.booleans()) and draw(st.booleans()) else "Action"] = draw(
        st.lists(st.sampled_from(ACTION_PATTERNS), min_size=1, max_size=2))
    statement["NotResource" if draw(st.integers(0, 4)) == 0 else "Resource"] = draw(
        st.lists(st.sampled_from(RESOURCE_PATTERNS), min_size=1, max_size=2))
    if principal:
        values = draw(st.lists(st.sampled_from(PRINCIPAL_VALUES), min_size=1, max_size=2))
        chosen: dict[str, Any] = {"AWS": values}
        if draw(st.integers(0, 4)) == 0:
            chosen = {"Service": SERVICE_NAME}
        statement["NotPrincipal" if draw(st.integers(0, 5)) == 0 else "Principal"] = chosen
    conditions = draw(st.lists(st.sampled_from(CONDITIONS), max_size=2)) if draw(st.booleans()) else []
    block: dict[str, dict[str, list[str]]] = {}
    for operator, key, values in conditions:
        block.setdefault(operator, {})[key] = values
    if block:
        statement["Condition"] = block
    return statement


def documents(*, principal: bool) -> Any:
    return st.builds(lambda s: {"Statement": s}, st.lists(statements(principal=principal), min_size=1, max_size=3))


def sometimes(strategy: Any, otherwise: Any) -> Any:
    """``strategy`` one time in four, else ``otherwise``."""
    return st.integers(0, 3).flatmap(lambda n: strategy if n == 0 else st.just(otherwise))


@st.composite
def scenarios(draw: Any) -> dict[str, Any]:
    principal = draw(st.sampled_from(PRINCIPALS))
    context: dict[str, Any] = {"aws:SecureTransport": draw(st.sampled_from(["true", "false"]))}
    vpce = draw(st.sampled_from([None, "vpce-1", "vpce-2"]))
    if vpce:
        context["aws:SourceVpce"] = vpce
    tags = draw(st.sampled_from([None, [], ["a"], ["a", "b"]]))
    if tags is not None:
        context["aws:TagKeys"] = tags
    if principal.arn and principal.kind != ACCOUNT:
        context["aws:PrincipalArn"] = principal.arn
    return {
        "principal": principal, "action": draw(st.sampled_from(ACTIONS)), "resource": draw(st.sampled_from(RESOURCES)),
        "context": context,
        "identity": draw(st.integers(0, 1).flatmap(
            lambda n: st.just([]) if n else st.lists(documents(principal=False), min_size=1, max_size=2))),
        # Guardrails are drawn less often than the grants they limit, so that most requests reach the grants.
        "boundary": draw(sometimes(documents(principal=False), None)),
        "resource_policy": draw(st.none() | documents(principal=True)),
        "scps": draw(sometimes(st.lists(st.lists(documents(principal=False), min_size=1, max_size=2), min_size=1,
                                        max_size=2), [])),
        "rcps": draw(sometimes(st.lists(st.lists(documents(principal=True), min_size=1, max_size=1), min_size=1,
                                        max_size=1), [])),
        "endpoint": draw(sometimes(documents(principal=True), None)),
        "kms": draw(st.booleans()),
    }


# --- the reference: AWS's documented order, walked step by step -------------------------------------------

def _condition(operator: str, key: str, values: list[str], context: dict[str, Any]) -> bool:
    found = context.get(key)
    found = [found] if isinstance(found, str) else found
    if operator == "Null":
        return (found is None) == (values[0] == "true")
    qualifier, _, name = operator.rpartition(":")
    if_exists = name.endswith("IfExists")
    name = name.removesuffix("IfExists")
    negated = name == "StringNotEquals"

    def matches(value: str) -> bool:
        if name == "Bool":
            return value.lower() in [v.lower() for v in values]
        if name == "StringLike":
            return any(fnmatch.fnmatchcase(value, v) for v in values)
        return value in values

    if not found:
        return qualifier == "ForAllValues" or (qualifier != "ForAnyValue" and (if_exists or negated))
    single = [(not matches(v)) if negated else matches(v) for v in found]
    if qualifier == "ForAllValues" or (not qualifier and negated):
        return all(single)
    return any(single)


def _ways(statement: dict[str, Any], principal: Principal) -> set[str]:
    """How a statement names the principal: {"self"} without a Principal element."""
    if "Principal" not in statement and "NotPrincipal" not in statement:
        return {"self"}
    element = statement.get("Principal", statement.get("NotPrincipal"))
    values = [("Service", element["Service"])] if "Service" in element else [("AWS", v) for v in element["AWS"]]
    ways = set()
    for kind, value in values:
        if kind == "Service":
            if principal.kind == SERVICE and principal.name == value:
                ways.add("named")
        elif value == "*":
            ways.add("anyone")
        elif value in (A, B) or value.endswith(":root"):
            account = value if value in (A, B) else value.split(":")[4]
            if principal.account == account and principal.kind != "anyone":
                ways.add("account-exact" if principal.kind == ACCOUNT else "account")
        elif principal.arn == value and principal.kind != ACCOUNT:
            ways.add("named")
    if "NotPrincipal" in statement:
        return set() if ways & {"named", "account-exact", "anyone"} else {"anyone"}
    return {"account" if w == "account-exact" else w for w in ways}


def _applies(statement: dict[str, Any], scenario: dict[str, Any]) -> set[str]:
    action, resource = scenario["action"].lower(), scenario["resource"]
    if "Action" in statement:
        if not any(fnmatch.fnmatchcase(action, p.lower()) for p in statement["Action"]):
            return set()
    elif any(fnmatch.fnmatchcase(action, p.lower()) for p in statement["NotAction"]):
        return set()
    if "Resource" in statement:
        if not any(fnmatch.fnmatchcase(resource, p) for p in statement["Resource"]):
            return set()
    elif any(fnmatch.fnmatchcase(resource, p) for p in statement["NotResource"]):
        return set()
    for operator, pairs in statement.get("Condition", {}).items():
        for key, values in pairs.items():
            if not _condition(operator, key, values, scenario["context"]):
                return set()
    return _ways(statement, scenario["principal"])


def _allows(documents: list[dict[str, Any] | None], scenario: dict[str, Any]) -> set[str]:
    return {way for d in documents if d for s in d["Statement"] if s["Effect"] == "Allow"
            for way in _applies(s, scenario)}


def reference(scenario: dict[str, Any]) -> bool:
    principal: Principal = scenario["principal"]
    is_aws = principal.kind in (ROLE, "user", ACCOUNT)
    every = [*scenario["identity"], scenario["boundary"], scenario["resource_policy"], scenario["endpoint"]]
    every += [d for level in scenario["scps"] for d in level] if is_aws else []
    every += [d for level in scenario["rcps"] for d in level] if principal.kind != SERVICE else []
    if any(s["Effect"] == "Deny" and _applies(s, scenario) for d in every if d for s in d["Statement"]):
        return False  # 1. explicit deny
    if principal.kind != SERVICE and not all(_allows(level, scenario) for level in scenario["rcps"]):
        return False  # 2. RCPs
    if is_aws and not all(_allows(level, scenario) for level in scenario["scps"]):
        return False  # 3. SCPs
    if scenario["endpoint"] and not _allows([scenario["endpoint"]], scenario):
        return False  # the VPC endpoint's policy
    ways = _allows([scenario["resource_policy"]], scenario)  # 4. the resource-based policy
    if not is_aws:
        return bool(ways & {"named", "anyone"})
    identity = bool(_allows(scenario["identity"], scenario))  # 5. identity-based policies
    boundary = scenario["boundary"] is None or bool(_allows([scenario["boundary"]], scenario))  # 6. boundary
    if principal.kind == ACCOUNT or principal.account != A:
        return identity and boundary and bool(ways)  # cross-account, or someone in a named account
    role_limited = principal.kind == ROLE and not boundary
    direct = ("named" in ways and not role_limited) or "anyone" in ways
    if scenario["kms"]:
        return direct or ("account" in ways and identity and boundary)
    return direct or (identity and boundary)


def _policies(scenario: dict[str, Any]) -> Policies:
    return Policies(
        identity=tuple(parse_policy(d, "identity") for d in scenario["identity"]),
        boundary=parse_policy(scenario["boundary"], "boundary") if scenario["boundary"] else None,
        resource=parse_policy(scenario["resource_policy"], "resource") if scenario["resource_policy"] else None,
        scps=tuple(tuple(parse_policy(d, "scp") for d in level) for level in scenario["scps"]),
        rcps=tuple(tuple(parse_policy(d, "rcp") for d in level) for level in scenario["rcps"]),
        endpoint=parse_policy(scenario["endpoint"], "endpoint") if scenario["endpoint"] else None,
        resource_grant_required=scenario["kms"])


def _request(scenario: dict[str, Any], context: Context) -> Request:
    return Request(scenario["principal"], scenario["action"], scenario["resource"], A, context)


# Modest counts: about 10 s for both on one core (make test's budget); the strategies are weighted so that
# most examples reach the grants rather than stopping at a guardrail.
SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(scenarios())
def test_decisions_match_the_documented_order(scenario):
    decision = decide(_request(scenario, Context.of(scenario["context"])), _policies(scenario))
    assert decision in (ALWAYS, NEVER)
    assert (decision == ALWAYS) == reference(scenario)


@settings(SETTINGS, max_examples=150)
@given(scenarios(), st.sets(st.sampled_from(["aws:securetransport", "aws:sourcevpce", "aws:tagkeys"])))
def test_partial_evaluation_keeps_exactly_what_the_unknown_keys_decide(scenario, hidden):
    full = Context.of(scenario["context"])
    known = {k: v for k, v in full.values.items() if k not in hidden}
    partial = Context(known, complete=False, present=frozenset(k for k in hidden if k in full.values))
    formula = decide(_request(scenario, partial), _policies(scenario))

    def literal(item: Any) -> bool:
        if isinstance(item, Unless):
            return not all(holds(c, full) is Tri.TRUE for c in item.conditions)
        return holds(item, full) is Tri.TRUE

    resolved = any(all(literal(item) for item in conjunction) for conjunction in formula)
    assert resolved == reference(scenario)


@settings(SETTINGS, max_examples=60)
@given(scenarios(), st.sets(st.sampled_from(["aws:securetransport", "aws:sourcevpce", "aws:tagkeys"])))
def test_a_memo_shared_by_many_requests_changes_no_decision(scenario, hidden):
    """``omics-secure access`` asks about every principal, action and resource of a store with one Memo."""
    policies, memo = _policies(scenario), Memo()
    for principal in PRINCIPALS:
        values = {k: v for k, v in scenario["context"].items() if k != "aws:PrincipalArn"}
        if principal.arn and principal.kind != ACCOUNT:
            values["aws:PrincipalArn"] = principal.arn
        full = Context.of(values)
        partial = Context({k: v for k, v in full.values.items() if k not in hidden}, complete=False,
                          present=frozenset(k for k in hidden if k in full.values))
        for action in ACTIONS:
            for resource in RESOURCES:
                for context in (full, partial):
                    request = Request(principal, action, resource, A, context)
                    assert decide(request, policies, memo=memo) == decide(request, policies)
