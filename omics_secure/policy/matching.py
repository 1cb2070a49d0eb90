"""Wildcard matching with three answers, for strings that may hold parts only known at deploy time.

Policy values take ``*`` (any run of characters) and ``?`` (one character): in ``Action`` (case-insensitive),
``Resource`` and ``NotResource`` (case-sensitive), ``StringLike`` and ``ArnLike``
(https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html#reference_policies_elements_resource_wildcards).
A value the template builds from something unknown before deployment (a parameter without a default, an
import, a generated name's random suffix) holds a *hole*: :func:`hole` marks it inside the string. A hole can be
any string, so a comparison that involves one answers :data:`MAYBE` unless the literal parts already decide it.
The same hole (same label) on both sides stands for the same value: ``${Bucket}`` matches ``${Bucket}``.
"""

from __future__ import annotations

import enum
import functools
import re

HOLE_START, HOLE_END = "\ue000", "\ue001"
_COLON = "\ue002"  # a colon inside a hole's label, so that splitting an ARN at its colons keeps holes whole
_HOLE = re.compile(f"{HOLE_START}([^{HOLE_END}]*){HOLE_END}")


class Tri(enum.Enum):
    """A three-valued answer: the comparison holds, does not, or depends on a value known only at deploy time."""

    FALSE = 0
    MAYBE = 1
    TRUE = 2

    def __and__(self, other: Tri) -> Tri:
        return self if self._value_ <= other._value_ else other

    def __or__(self, other: Tri) -> Tri:
        return self if self._value_ >= other._value_ else other

    def __invert__(self) -> Tri:
        return _INVERTED[self]

    @classmethod
    def of(cls, value: bool) -> Tri:
        return cls.TRUE if value else cls.FALSE


_INVERTED = {Tri.FALSE: Tri.TRUE, Tri.MAYBE: Tri.MAYBE, Tri.TRUE: Tri.FALSE}


def hole(label: str) -> str:
    """A part of a string known only at deploy time; ``label`` says what it is (``AWS::AccountId``, ``Bucket``)."""
    return f"{HOLE_START}{label.replace(HOLE_END, '').replace(':', _COLON)}{HOLE_END}"


def identity_hole(label: str) -> str:
    """The unknown identifier of one resource (a generated name's random part, a key id): unlike other holes,
    two of them with different labels are never equal, since they name different resources."""
    return hole("#" + label)


def has_hole(text: str) -> bool:
    return HOLE_START in text


def readable(text: str) -> str:
    """``text`` with every hole written as ``${label}``, as Fn::Sub would write it."""
    return _HOLE.sub(lambda m: "${" + m.group(1).removeprefix("#").replace(_COLON, ":") + "}", text)


_Element = str | tuple[str]  # one character, or a hole: (label,)


def _elements(text: str) -> tuple[_Element, ...]:
    found: list[_Element] = []
    position = 0
    for match in _HOLE.finditer(text):
        found.extend(text[position:match.start()])
        found.append((match.group(1),))
        position = match.end()
    found.extend(text[position:])
    return tuple(found)


@functools.lru_cache(maxsize=8192)
def _regex(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def wildcard_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """True when ``value`` (no holes) matches ``pattern`` (no holes) with ``*`` and ``?``."""
    return _regex(pattern, ignore_case).fullmatch(value) is not None


def glob(pattern: str, value: str, *, ignore_case: bool = False, wildcards: bool = True) -> Tri:
    """Whether ``value`` matches ``pattern``; holes on either side make the answer MAYBE unless the literals decide.

    ``wildcards=False`` compares exactly (StringEquals), holes still allowed.
    """
    if not wildcards and not ignore_case and pattern == value:
        return Tri.TRUE
    return _glob(pattern, value, ignore_case, wildcards)


@functools.lru_cache(maxsize=1 << 18)
def _glob(pattern: str, value: str, ignore_case: bool, wildcards: bool) -> Tri:
    if not has_hole(pattern) and not has_hole(value):
        if wildcards:
            return Tri.of(wildcard_match(pattern, value, ignore_case=ignore_case))
        return Tri.of(pattern.lower() == value.lower() if ignore_case else pattern == value)
    quick = _by_the_ends(pattern, value, ignore_case, wildcards)
    if quick is not None:
        return quick
    # The literal heads agree up to the shorter one, and so do the literal tails (_by_the_ends): those characters
    # pair one to one in every alignment, so only the middles need the matchers below.
    p_head, p_tail, _ = _ends(pattern, wildcards)
    v_head, v_tail, _ = _ends(value, False)
    head, tail = min(len(p_head), len(v_head)), min(len(p_tail), len(v_tail))
    p, v = _elements(pattern[head:len(pattern) - tail]), _elements(value[head:len(value) - tail])
    if len(p) == 1 and isinstance(p[0], tuple) and not _unique(p[0]):
        return Tri.TRUE if v == p else Tri.MAYBE  # one hole: it can hold any value, and is only surely its own
    if _definite(p, v, ignore_case, wildcards):
        return Tri.TRUE
    return Tri.MAYBE if _possible(p, v, ignore_case, wildcards) else Tri.FALSE


@functools.lru_cache(maxsize=1 << 16)
def _ends(text: str, wildcards: bool) -> tuple[str, str, bool]:
    """(literal head, literal tail, whether anything non-literal lies between): up to the first and after the
    last hole (and ``*``/``?`` when ``wildcards``)."""
    specials = [i for i, c in enumerate(text) if c in (HOLE_START, HOLE_END) or (wildcards and c in "*?")]
    if not specials:
        return text, "", False
    return text[:specials[0]], text[specials[-1] + 1:], True


def _by_the_ends(pattern: str, value: str, ignore_case: bool, wildcards: bool) -> Tri | None:
    """The answer the literal ends decide alone, or None: differing literal heads or tails never match, and a
    pattern that is a literal head and one ``*`` matches every value that starts with that head."""
    p_head, p_tail, _ = _ends(pattern, wildcards)
    v_head, v_tail, _ = _ends(value, False)
    if ignore_case:
        p_head, p_tail, v_head, v_tail = p_head.lower(), p_tail.lower(), v_head.lower(), v_tail.lower()
    size = min(len(p_head), len(v_head))
    if p_head[:size] != v_head[:size]:
        return Tri.FALSE
    size = min(len(p_tail), len(v_tail))
    if size and p_tail[-size:] != v_tail[-size:]:
        return Tri.FALSE
    if wildcards and pattern.endswith("*") and pattern.count("*") == 1 and "?" not in pattern \
            and not has_hole(pattern) and len(v_head) >= len(p_head):
        return Tri.TRUE  # the heads agree and * takes the rest, holes included
    return None


def _same(a: str, b: str, ignore_case: bool) -> bool:
    return a.lower() == b.lower() if ignore_case else a == b


def _definite(p: tuple[_Element, ...], v: tuple[_Element, ...], ignore_case: bool, wildcards: bool) -> bool:
    """True when ``v`` matches ``p`` whatever its holes hold: holes are atoms only ``*`` or the same hole match."""
    memo: dict[tuple[int, int], bool] = {}

    def at(i: int, j: int) -> bool:
        if (i, j) in memo:
            return memo[(i, j)]
        memo[(i, j)] = result = step(i, j)
        return result

    def step(i: int, j: int) -> bool:
        if i == len(p):
            return j == len(v)
        element = p[i]
        if wildcards and element == "*":
            return at(i + 1, j) or (j < len(v) and at(i, j + 1))
        if j == len(v):
            return False
        other = v[j]
        if isinstance(element, tuple) or isinstance(other, tuple):
            return element == other and at(i + 1, j + 1)
        if wildcards and element == "?":
            return at(i + 1, j + 1)
        return _same(element, other, ignore_case) and at(i + 1, j + 1)

    return at(0, 0)


def _possible(p: tuple[_Element, ...], v: tuple[_Element, ...], ignore_case: bool, wildcards: bool) -> bool:
    """True when some value of the holes makes ``v`` match ``p``: a hole on either side absorbs any run."""
    memo: dict[tuple[int, int], bool] = {}

    def at(i: int, j: int) -> bool:
        if (i, j) in memo:
            return memo[(i, j)]
        memo[(i, j)] = result = step(i, j)
        return result

    def step(i: int, j: int) -> bool:
        if i == len(p) and j == len(v):
            return True
        if i < len(p) and j < len(v) and _unique(p[i]) and _unique(v[j]):
            return p[i] == v[j] and at(i + 1, j + 1)
        if i < len(p) and (isinstance(p[i], tuple) or (wildcards and p[i] == "*")):
            return at(i + 1, j) or (j < len(v) and at(i, j + 1))
        if j < len(v) and isinstance(v[j], tuple):
            return at(i, j + 1) or (i < len(p) and at(i + 1, j))
        if i == len(p) or j == len(v):
            return False
        element, other = p[i], v[j]
        assert isinstance(element, str) and isinstance(other, str)
        if (wildcards and element == "?") or _same(element, other, ignore_case):
            return at(i + 1, j + 1)
        return False

    return at(0, 0)


def _unique(element: _Element) -> bool:
    return isinstance(element, tuple) and element[0].startswith("#")


def arn_match(pattern: str, value: str) -> Tri:
    """ArnEquals/ArnLike: the six colon-separated parts compared one by one, each with ``*`` and ``?``
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_ARN)."""
    if pattern == "*":
        return Tri.TRUE
    pattern_parts, value_parts = pattern.split(":", 5), value.split(":", 5)
    if len(pattern_parts) != 6 or len(value_parts) != 6:
        if has_hole(pattern) or has_hole(value):
            return glob(pattern, value)
        return Tri.FALSE
    result = Tri.TRUE
    for p, v in zip(pattern_parts, value_parts, strict=True):
        result &= glob(p, v)
        if result is Tri.FALSE:
            break
    return result


@functools.lru_cache(maxsize=4096)
def _any_of(patterns: tuple[str, ...]) -> re.Pattern[str] | None:
    if any(has_hole(p) for p in patterns):
        return None
    body = "|".join("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in p) for p in patterns)
    return re.compile(f"(?:{body})", re.DOTALL | re.IGNORECASE)


@functools.lru_cache(maxsize=1 << 16)
def names_action(patterns: tuple[str, ...], action: str) -> Tri:
    """Whether one of an ``Action`` element's values covers ``action`` (case-insensitive, ``*`` and ``?``)."""
    compiled = _any_of(patterns)
    if compiled is not None and not has_hole(action):
        return Tri.of(compiled.fullmatch(action) is not None)
    result = Tri.FALSE
    for pattern in patterns:
        result |= glob(pattern, action, ignore_case=True)
    return result
