"""The ``Condition`` element: every operator family, ``...IfExists``, ``ForAnyValue:``/``ForAllValues:``, policy
variables, and what a condition still depends on when the request is only partly known.

Semantics, from the IAM reference:
- operators https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html:
  every operator of a block must hold, every key of an operator must hold, and a key's values are alternatives
  (OR); for a negated operator (``StringNotEquals`` ...) the request's value must match none of them (NOR).
  A key absent from the request makes a condition false, except that negated operators are then true,
  ``...IfExists`` is true, and ``Null`` tests exactly that;
- multivalued keys https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html:
  ``ForAllValues:`` holds when every value of the request matches (and when the key is absent or empty);
  ``ForAnyValue:`` when at least one does (false when absent);
- policy variables https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_variables.html:
  ``${aws:username}`` is replaced by the request's value; a variable whose key is absent matches nothing unless
  it gives a default (``${aws:username, 'none'}``); ``${*}``, ``${?}`` and ``${$}`` are the characters themselves.

A :class:`Context` is a request's keys. A concrete request knows every key (a key not given is absent); a
partial one (who *could* do this?) knows some, knows that others are present with an unknown value, and knows
nothing of the rest. :func:`holds` then answers MAYBE for a condition that depends on the unknown part.
"""

from __future__ import annotations

import datetime
import functools
import ipaddress
import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from omics_secure.policy.matching import HOLE_END, HOLE_START, Tri, arn_match, glob, has_hole, hole, readable

_NEGATED = {
    "StringNotEquals": "StringEquals", "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike", "NumericNotEquals": "NumericEquals", "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress", "ArnNotEquals": "ArnEquals", "ArnNotLike": "ArnLike",
}
_POSITIVE = frozenset({
    "StringEquals", "StringEqualsIgnoreCase", "StringLike", "NumericEquals", "NumericLessThan",
    "NumericLessThanEquals", "NumericGreaterThan", "NumericGreaterThanEquals", "DateEquals", "DateLessThan",
    "DateLessThanEquals", "DateGreaterThan", "DateGreaterThanEquals", "Bool", "BinaryEquals", "IpAddress",
    "ArnEquals", "ArnLike", "Null",
})
OPERATORS = frozenset(_POSITIVE | set(_NEGATED))
_VARIABLE = re.compile(r"\$\{([^}]*)\}")
_COMPARE = {"Equals": lambda a, b: a == b, "LessThan": lambda a, b: a < b, "LessThanEquals": lambda a, b: a <= b,
            "GreaterThan": lambda a, b: a > b, "GreaterThanEquals": lambda a, b: a >= b}


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


UNKNOWN = _Marker("UNKNOWN")
"""A key of a partial request whose presence and value are not known."""
PRESENT = _Marker("PRESENT")
"""A key of a partial request that is present with a value not known."""

Lookup = tuple[str, ...] | _Marker | None


@dataclass(frozen=True)
class Context:
    """A request's condition keys (lower-cased) and their values; ``None`` marks a key known to be absent.

    ``complete``: every key not listed is absent (a concrete request). Otherwise a key not listed is
    :data:`UNKNOWN`, or :data:`PRESENT` when it is in ``present``.
    """

    values: Mapping[str, tuple[str, ...] | None] = field(default_factory=dict)
    complete: bool = True
    present: frozenset[str] = frozenset()

    @classmethod
    def of(cls, values: Mapping[str, str | list[str] | tuple[str, ...] | None], *, complete: bool = True,
           present: frozenset[str] = frozenset()) -> Context:
        normal: dict[str, tuple[str, ...] | None] = {}
        for key, value in values.items():
            normal[key.lower()] = None if value is None else (value,) if isinstance(value, str) else tuple(value)
        return cls(normal, complete, frozenset(k.lower() for k in present))

    def lookup(self, key: str) -> Lookup:
        key = key.lower()
        if key in self.values:
            return self.values[key]
        if self.complete:
            return None
        return PRESENT if key in self.present else UNKNOWN

    def single(self, key: str) -> str | _Marker | None:
        found = self.lookup(key)
        if isinstance(found, tuple):
            return found[0] if len(found) == 1 else UNKNOWN
        return found


PRINCIPAL_ELEMENT = "Principal"
"""The key of the evaluator's own condition for a resource policy's ``Principal`` (``ArnEquals``) or
``NotPrincipal`` (``ArnNotEquals``) element whose match with the caller is not known yet: a role of a template
whose account is known only at deployment, granted by a key or bucket policy that names an account."""
# An account as a Principal element names it: the 12 digits, or its root ARN (a hole when known only at deployment).
_ACCOUNT_PRINCIPAL = re.compile(r"^(?:arn:[^:]+:iam::)?([0-9]{12}|\ue000[^\ue001]*\ue001)(?::root)?$")


def principal_element_words(condition: Condition) -> str:
    """The evaluator's condition on a resource policy's Principal element in words: "the principal is in account
    111122223333 (a resource policy's Principal)". It is a condition on who calls, from the policy of the key, the
    bucket or the access point; a role's trust policy (who may assume it) is another matter."""
    parts = []
    for value in condition.values:
        account = _ACCOUNT_PRINCIPAL.match(value)
        parts.append(f"in account {readable(account.group(1))}" if account else readable(value))
    negated = condition.base == "ArnNotEquals"
    element = "NotPrincipal" if negated else "Principal"
    return f"the principal is {'not ' if negated else ''}{' or '.join(parts)} (a resource policy's {element})"


@dataclass(frozen=True)
class Condition:
    """One test of a ``Condition`` block: ``{"<operator>": {"<key>": [<values>]}}``."""

    operator: str
    key: str
    values: tuple[str, ...]

    def __str__(self) -> str:
        if self.key == PRINCIPAL_ELEMENT:
            return principal_element_words(self)
        return f"{self.key} {self.operator} {', '.join(readable(v) for v in self.values)}"

    @functools.cached_property
    def qualifier(self) -> str | None:
        head, separator, _ = self.operator.partition(":")
        return head if separator else None

    @functools.cached_property
    def base(self) -> str:
        """The operator without qualifier and IfExists: ``StringLike`` for ``ForAnyValue:StringLikeIfExists``."""
        return self.operator.partition(":")[2 if self.qualifier else 0].removesuffix("IfExists")

    @functools.cached_property
    def if_exists(self) -> bool:
        return self.operator.endswith("IfExists") and self.base != "Null"

    @functools.cached_property
    def negated(self) -> bool:
        return self.base in _NEGATED


def parse_conditions(block: object) -> tuple[Condition, ...]:
    """The tests of a ``Condition`` element as written (values as strings; Booleans and numbers as text)."""
    if block is None:
        return ()
    if not isinstance(block, Mapping):
        # IAM refuses such a policy; a test that never decides keeps a deny under it from ever applying for sure.
        return (Condition("Malformed", "Condition", (hole(str(block)),)),)
    found = []
    for operator, pairs in block.items():
        if not isinstance(pairs, Mapping):
            found.append(Condition(str(operator), "(malformed)", (hole(str(pairs)),)))
            continue
        for key, value in pairs.items():
            values = value if isinstance(value, list) else [value]
            found.append(Condition(str(operator), str(key), tuple(_text(v) for v in values)))
    return tuple(found)


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return str(value)
    return hole(str(value))


def substitute(text: str, context: Context) -> str | None:
    """``text`` with its policy variables replaced from ``context``; None when one names an absent key and gives
    no default (the value then matches nothing). An unknown key becomes a hole."""
    if "${" not in text:
        return text
    missing = False

    def replace(match: re.Match[str]) -> str:
        nonlocal missing
        inside = match.group(1)
        if inside in ("*", "?", "$"):
            return inside
        name, _, default = inside.partition(",")
        found = context.single(name.strip())
        if isinstance(found, str):
            return found
        if found is None:
            default = default.strip()
            if len(default) >= 2 and default[0] == default[-1] == "'":
                return default[1:-1]
            missing = True
            return ""
        return hole(name.strip())

    result = _VARIABLE.sub(replace, text)
    return None if missing else result


def variables(text: str) -> tuple[str, ...]:
    """The keys whose values :func:`substitute` reads to replace the policy variables of ``text``."""
    if "${" not in text:
        return ()
    found = []
    for inside in _VARIABLE.findall(text):
        if inside not in ("*", "?", "$"):
            found.append(inside.partition(",")[0].strip())
    return tuple(found)


def _number(text: str) -> float | None:
    try:
        return float(text)
    except ValueError:
        return None


def _date(text: str) -> datetime.datetime | None:
    try:
        return datetime.datetime.fromtimestamp(float(text), datetime.UTC)
    except ValueError:
        pass
    try:
        parsed = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=datetime.UTC)


def _match(base: str, value: str, pattern: str) -> Tri:
    """Whether one request value matches one policy value under a positive operator."""
    if base == "StringEquals":
        return glob(pattern, value, wildcards=False)
    if base == "StringEqualsIgnoreCase":
        return glob(pattern, value, wildcards=False, ignore_case=True)
    if base == "StringLike":
        return glob(pattern, value)
    if base in ("ArnEquals", "ArnLike"):
        return arn_match(pattern, value)
    if has_hole(value) or has_hole(pattern):
        return Tri.MAYBE
    if base == "Bool":
        return Tri.of(value.lower() == pattern.lower())
    if base == "BinaryEquals":
        return Tri.of(value == pattern)
    if base == "IpAddress":
        try:
            address = ipaddress.ip_network(value, strict=False)
            network = ipaddress.ip_network(pattern, strict=False)
        except ValueError:
            return Tri.FALSE
        return Tri.of(address.version == network.version and address.subnet_of(network))  # type: ignore[arg-type]
    for family, parse in (("Numeric", _number), ("Date", _date)):
        if base.startswith(family):
            left, right = parse(value), parse(pattern)
            if left is None or right is None:
                return Tri.FALSE
            return Tri.of(bool(_COMPARE[base.removeprefix(family)](left, right)))  # type: ignore[no-untyped-call]
    return Tri.MAYBE  # an operator IAM does not have: the policy would be refused; never decide on it


def matches_anything(condition: Condition) -> bool:
    """True when every present value of the key satisfies the (positive) condition: ``StringLike "*"``,
    ``ArnLike "*"``, or ``IpAddress`` of both ``0.0.0.0/0`` and ``::/0``."""
    if condition.negated or condition.base == "Null" or condition.qualifier == "ForAnyValue":
        return False
    if condition.base in ("StringLike", "ArnLike", "ArnEquals") and "*" in condition.values:
        return True
    if condition.base == "IpAddress":
        sizes = set()
        for value in condition.values:
            try:
                network = ipaddress.ip_network(value, strict=False)
            except ValueError:
                continue
            if network.prefixlen == 0:
                sizes.add(network.version)
        return sizes == {4, 6}
    return False


def holds(condition: Condition, context: Context) -> Tri:
    """Whether ``condition`` holds for a request with ``context``; MAYBE when it depends on what is unknown."""
    if condition.base not in OPERATORS:
        return Tri.MAYBE
    found = context.lookup(condition.key)
    if condition.base == "Null":
        if found is UNKNOWN:
            return Tri.MAYBE
        absent = found is None or found == ()
        return Tri.of(any((v.lower() == "true") == absent for v in condition.values))
    if found is UNKNOWN or found is PRESENT:
        if matches_anything(condition) and (found is PRESENT or condition.if_exists
                                            or condition.qualifier == "ForAllValues"):
            return Tri.TRUE
        return Tri.MAYBE
    if found is None or found == ():
        if condition.qualifier == "ForAllValues":
            return Tri.TRUE
        if condition.qualifier == "ForAnyValue":
            return Tri.FALSE
        return Tri.of(condition.if_exists or condition.negated)
    assert isinstance(found, tuple)
    base = _NEGATED.get(condition.base, condition.base)
    patterns = [p for p in (substitute(v, context) for v in condition.values) if p is not None]

    def single(value: str) -> Tri:
        result = Tri.FALSE
        for pattern in patterns:
            result |= _match(base, value, pattern)
            if result is Tri.TRUE:
                break
        return ~result if condition.negated else result

    results = [single(value) for value in found]
    if condition.qualifier == "ForAllValues" or (condition.qualifier is None and condition.negated):
        return _all(results)
    return _any(results)


def _all(results: list[Tri]) -> Tri:
    result = Tri.TRUE
    for item in results:
        result &= item
    return result


def _any(results: list[Tri]) -> Tri:
    result = Tri.FALSE
    for item in results:
        result |= item
    return result


def pins_caller(condition: Condition, present: frozenset[str] = frozenset()) -> bool:
    """True when ``condition`` pins the caller to accounts, an organization or principals it names with fixed
    values: a positive string or ARN operator on ``aws:PrincipalAccount``, ``kms:CallerAccount``,
    ``aws:SourceAccount``, ``aws:PrincipalOrgID``, ``aws:PrincipalArn`` (its account field), ``aws:userid`` (its
    unique id) or ``aws:SourceVpce``/``aws:SourceVpc``; not under ``ForAllValues``, nor ``...IfExists`` on a key
    outside ``present`` (the keys every request carries), both of which hold for a request without the key.
    Global keys: https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html; KMS
    keys: https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html."""
    key = condition.key.lower()
    pinned = _PINS.get(key)
    if pinned is None or condition.negated or condition.base not in _MATCHING or condition.qualifier == "ForAllValues":
        return False
    if condition.if_exists and key not in present:
        return False
    wildcards = condition.base in _WILDCARD_OPERATORS
    return bool(condition.values) and all(pinned(_fixed(value), wildcards) for value in condition.values)


_MATCHING = frozenset({"StringEquals", "StringEqualsIgnoreCase", "StringLike", "ArnEquals", "ArnLike"})
# ArnEquals matches wildcards exactly as ArnLike does (IAM's condition operators page, "ARN condition operators").
_WILDCARD_OPERATORS = frozenset({"StringLike", "ArnLike", "ArnEquals"})
_FIXED = "FIXED"
# A deploy-time value (the account id, a role's ARN) or a policy variable of the resource owner's own account or
# organization names one thing, as a literal does.
_ONE_THING = re.compile(rf"{HOLE_START}[^{HOLE_END}]*{HOLE_END}|\$\{{aws:Resource(Account|OrgID|OrgPaths)\}}",
                        re.IGNORECASE)


def _fixed(value: str) -> str:
    return _ONE_THING.sub(_FIXED, value.strip())


def _whole(text: str, wildcards: bool) -> bool:
    """A value that names one thing: not empty, no other policy variable and, under a wildcard operator, no
    ``*`` or ``?``."""
    return bool(text) and "${" not in text and not (wildcards and ("*" in text or "?" in text))


def _arn_account(text: str, wildcards: bool) -> bool:
    """An ARN whose account field is fixed, or, for an ARN without one (an S3 bucket's), a whole ARN."""
    parts = text.split(":")
    if len(parts) < 6:
        return text == _FIXED
    return _whole(parts[4], wildcards) if parts[4] else _whole(text, wildcards)


def _org_path(text: str, wildcards: bool) -> bool:
    """An organization path (``o-a1b2c3d4e5/r-ab12/...``) whose organization is fixed."""
    return _whole(text.partition("/")[0], wildcards)


def _unique_id(text: str, wildcards: bool) -> bool:
    """``aws:userid``: a user's or role's unique id, optionally ``:<session>`` after a role's (``AROA...:*``)."""
    return _whole(text.partition(":")[0], wildcards)


_PINS = {
    **dict.fromkeys(("aws:principalaccount", "kms:calleraccount", "aws:sourceaccount", "aws:sourceowner",
                     "s3:dataaccesspointaccount", "aws:principalorgid", "aws:sourceorgid", "aws:sourcevpce",
                     "aws:sourcevpc"), _whole),
    **dict.fromkeys(("aws:principalarn", "aws:sourcearn", "s3:dataaccesspointarn"), _arn_account),
    **dict.fromkeys(("aws:principalorgpaths", "aws:sourceorgpaths"), _org_path),
    "aws:userid": _unique_id,
}
