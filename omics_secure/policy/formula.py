"""What a grant still depends on: a disjunction of conjunctions of conditions.

A partial evaluation does not end in allow or deny but in the conditions under which the request is allowed:
``{{c1, c2}, {c3}}`` reads "allowed when c1 and c2 hold, or when c3 holds". :data:`ALWAYS` is an unconditional
allow, :data:`NEVER` no allow at all. A deny that applies only under conditions becomes an :class:`Unless`
literal in every alternative of the grant it limits, so it is never dropped and never hides the grant.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from omics_secure.policy.conditions import Condition

# The condition an exact complement names, for a deny written with one condition (not (A) == complement(A)):
# negated operators are true when the key is absent, exactly when their positive form is false.
_COMPLEMENT = {
    "StringEquals": "StringNotEquals", "StringEqualsIgnoreCase": "StringNotEqualsIgnoreCase",
    "StringLike": "StringNotLike", "NumericEquals": "NumericNotEquals", "DateEquals": "DateNotEquals",
    "IpAddress": "NotIpAddress", "ArnEquals": "ArnNotEquals", "ArnLike": "ArnNotLike",
}
_COMPLEMENT.update({negated: positive for positive, negated in list(_COMPLEMENT.items())})


def complement(condition: Condition) -> Condition | None:
    """The condition true exactly when ``condition`` is false, where one operator says it (None for
    ``...IfExists``, qualified and other operators, whose complement no single operator writes)."""
    operator = _COMPLEMENT.get(condition.operator)
    return Condition(operator, condition.key, condition.values) if operator is not None else None


@dataclass(frozen=True)
class Unless:
    """A deny that applies when all of ``conditions`` hold: the grant stands only when they do not all hold."""

    conditions: tuple[Condition, ...]
    statement: str

    def __str__(self) -> str:
        if len(self.conditions) == 1:
            only = self.conditions[0]
            opposite = complement(only)
            return str(opposite) if opposite is not None else f"not ({only})"
        return "not (" + " and ".join(str(c) for c in self.conditions) + ")"


Literal = Condition | Unless
Conjunction = frozenset[Literal]
Formula = frozenset[Conjunction]

ALWAYS: Formula = frozenset({frozenset()})
NEVER: Formula = frozenset()
_LIMIT = 512  # alternatives kept before two formulas' product is cut short (see and_)


def of(*literals: Literal) -> Formula:
    return frozenset({frozenset(literals)})


def _contradictory(conjunction: Conjunction) -> bool:
    positives = {literal for literal in conjunction if isinstance(literal, Condition)}
    return any(isinstance(literal, Unless) and set(literal.conditions) <= positives for literal in conjunction)


def _simplified(alternatives: Iterable[Conjunction]) -> Formula:
    kept = {a for a in alternatives if not _contradictory(a)}
    return frozenset(a for a in kept if not any(other < a for other in kept))


def or_(*formulas: Formula) -> Formula:
    present = [formula for formula in formulas if formula]
    if len(present) <= 1:
        return present[0] if present else NEVER
    if ALWAYS in present:
        return ALWAYS
    return _simplified(a for formula in present for a in formula)


def and_(*formulas: Formula) -> Formula:
    result = ALWAYS
    for formula in formulas:
        if not formula:
            return NEVER
        if formula == ALWAYS:
            continue
        if result == ALWAYS:
            result = formula
            continue
        product = [left | right for left in result for right in formula]
        if len(product) > _LIMIT:
            # Never narrower than the truth: keeping every alternative's union of literals would drop grants,
            # so the alternatives beyond the limit are kept without the literals of the second operand.
            product = product[:_LIMIT] + [left for left in result]
        result = _simplified(product)
    return result


def unless(deny: Formula, statement: str) -> Formula:
    """The formula under which ``deny`` does not apply: NEVER when it applies always."""
    result = ALWAYS
    for alternative in deny:
        if not alternative:
            return NEVER
        conditions = tuple(sorted((lit for lit in alternative if isinstance(lit, Condition)), key=str))
        nested = [lit for lit in alternative if isinstance(lit, Unless)]
        if nested:
            # not (A and not B) is (not A) or B: keep the honest reading, one alternative each.
            result = and_(result, or_(of(Unless(conditions, statement)) if conditions else NEVER,
                                      *(of(*lit.conditions) for lit in nested)))
        else:
            result = and_(result, of(Unless(conditions, statement)))
    return result


def describe(conjunction: Conjunction) -> list[str]:
    """The conjunction's literals as ``"<key> <operator> <values>"`` strings, sorted."""
    return sorted(str(literal) for literal in conjunction)
