"""Acknowledge a compliance finding on a construct: with a reason a security reviewer can accept, and, so that the
acceptance is accountable, who accepted it, under which record and until when."""

from __future__ import annotations

import datetime
import fnmatch
from typing import Any

import aws_cdk as cdk
import jsii
from constructs import IConstruct, IValidation

from omics_secure._internal.acknowledgment_terms import (
    DEFAULT_MAX_AGE_DAYS,
    ENDED_WARNING,
    ENDING_WARNING,
    EXPIRY_WARNING_DAYS,
    GOVERNANCE_METADATA,
    LONGEST_MAX_AGE_DAYS,
    MAX_AGE_CONTEXT,
    RULE_ID_FIX,
    SOURCE_APP,
    SOURCE_LIBRARY,
    RuleId,
    cleaned,
    expiry_problems,
    parse_rule_id,
    reason_problem,
    text_problem,
)
from omics_secure._internal.clock import today
from omics_secure._internal.errors import ProblemCollector
from omics_secure._internal.naming import PHI_NAME_FIX, phi_like


def nag_rendering(value: object) -> str:
    """A resolved CloudFormation value as cdk-nag prints it inside granular finding ids.

    ``{"Fn::GetAtt": ["Bucket", "Arn"]}`` becomes ``<Bucket.Arn>``, ``{"Ref": "AWS::Partition"}``
    becomes ``<AWS::Partition>``, and ``Fn::Join`` joins the renderings: so a construct can acknowledge
    ``AwsSolutions-IAM5[Resource::<Bucket.Arn>/runs/*]`` for a resource it created itself.
    """
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        ((function, argument),) = value.items()
        if function == "Ref":
            return f"<{argument}>"
        if function == "Fn::GetAtt":
            return f"<{'.'.join(argument) if isinstance(argument, list) else argument}>"
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            separator, parts = argument
            return str(separator).join(nag_rendering(part) for part in parts)
    return str(value)


def acknowledge(construct: IConstruct, rule_id: str, reason: str, *, owner: str | None = None,
                reference: str | None = None, expires: datetime.date | str | None = None,
                approved: datetime.date | str | None = None, paths: str | None = None) -> None:
    """Acknowledge ``rule_id`` on ``construct`` and everything below it, recorded with ``reason``, ``owner``,
    ``reference`` and ``expires``.

    ``rule_id`` is a pack's rule id such as ``HIPAA.Security-S3BucketReplicationEnabled`` or a granular
    ``AwsSolutions-IAM5[Action::s3:*]``; the ``Pack::`` prefix is added here so that CDK records the
    acknowledgment and its reason under ``suppressedViolations`` in validation-report.json. A reason that is
    empty, generic ("false positive", "n/a") or shorter than six words is refused: say which AWS constraint or
    compensating control makes the finding acceptable.

    ``owner`` (a person or role, e.g. an e-mail address), ``reference`` (a ticket, risk-register entry or
    approval id) and ``expires`` (the last day it is in force, a ``datetime.date`` or ``YYYY-MM-DD``) make the
    acceptance accountable: give all three, or none (an acknowledgment without them keeps working, and
    ``omics-secure check`` warns that nobody owns it and it never ends). ``expires`` may be at most 365 days
    ahead (the ``omics-secure:acknowledgment-max-age-days`` context key changes it, up to 1095), counted from
    ``approved`` too when given. Default: no owner, reference or end.

    An acknowledgment whose ``expires`` has passed hides nothing: ``cdk synth`` and ``omics-secure check``
    report the finding again, naming who had accepted it and until when. One that ends within 30 days is a
    synthesis warning.

    ``paths`` (default: the construct itself) is a glob of construct paths under ``construct`` (``*`` matches
    any characters, ``/`` included, e.g. ``"*/Pipeline/*Role"``): the rule is acknowledged on each construct
    whose path it matches, and everything below it; a glob that matches none fails synthesis.
    """
    _acknowledge(construct, rule_id, reason, owner=owner, reference=reference, expires=expires, approved=approved,
                 paths=paths, source=SOURCE_APP)


def acknowledge_by_design(construct: IConstruct, rule_id: str, reason: str) -> None:
    """The library's own acknowledgment: a finding the construct's design accepts (an AWS constraint, or a
    choice the construct documents), recorded with ``reason`` and owned by the library release, so it does not
    end. Users' acknowledgments go through :func:`acknowledge`."""
    _acknowledge(construct, rule_id, reason, source=SOURCE_LIBRARY)


def _acknowledge(construct: IConstruct, rule_id: str, reason: str, *, source: str, owner: str | None = None,
                 reference: str | None = None, expires: datetime.date | str | None = None,
                 approved: datetime.date | str | None = None, paths: str | None = None) -> None:
    problems = ProblemCollector(f"acknowledge({construct.node.path or '<app>'})")
    rule = parse_rule_id(rule_id)
    if rule is None:
        problems.add("rule_id", rule_id, RULE_ID_FIX)
    reason_fix = reason_problem(reason, rule.bare if rule else str(rule_id))
    if reason_fix:
        problems.add("reason", reason, reason_fix)
    elif (kind := phi_like(cleaned(reason))) is not None:
        problems.add("reason", reason, f"it looks like it contains a {kind}; {PHI_NAME_FIX}")
    record = _governance(construct, problems, owner=owner, reference=reference, expires=expires, approved=approved)
    if paths is not None and (not isinstance(paths, str) or not paths.strip()):
        problems.add("paths", paths, "give a glob of construct paths, e.g. '*/Pipeline/*Role', or leave it out")
    problems.raise_if_any()
    assert rule is not None
    record = {"id": rule.recorded, "reason": cleaned(reason), "source": source, **record}
    if paths is None:
        _record(construct, rule, record)
        return
    record["resource"] = paths.strip()
    aspect = _PatternAcknowledgment(rule, record, paths.strip().lstrip("/"))
    cdk.Aspects.of(construct).add(aspect)
    construct.node.add_validation(_PatternMatched(construct.node.path or "<app>", paths, aspect))


def _governance(construct: IConstruct, problems: ProblemCollector, *, owner: object, reference: object,
                expires: object, approved: object) -> dict[str, Any]:
    """The owner, reference and dates to record, checked; {} when none is given."""
    if owner is None and reference is None and expires is None and approved is None:
        return {}
    for name, value, what in (("owner", owner, "person or role who accepted the finding, e.g. an e-mail address"),
                              ("reference", reference, "ticket, risk-register entry or approval id")):
        fix = text_problem(value, what)
        if fix:
            problems.add(name, value, f"{fix}: an accountable acknowledgment names its owner, reference and expires")
    if (kind := phi_like(cleaned(reference))) is not None:
        problems.add("reference", reference, f"it looks like it contains a {kind}; {PHI_NAME_FIX}")
    dates = {name: _as_date(problems, name, value) for name, value in (("expires", expires), ("approved", approved))}
    if expires is None:
        problems.add("expires", None, "give the last day the acknowledgment is in force, e.g. datetime.date(2026, "
                                      "6, 30): an accountable acknowledgment ends and is renewed after review")
    max_age = _max_age(construct, problems)
    end = dates["expires"]
    if end is not None:
        for name, fix in expiry_problems(end, dates["approved"], today(), max_age):
            problems.add(name, dates[name], f"{fix} ({MAX_AGE_CONTEXT} in cdk.json)" if "maximum age" in fix else fix)
    return {"owner": cleaned(owner), "reference": cleaned(reference),
            **{name: date.isoformat() for name, date in dates.items() if date is not None}}


def _as_date(problems: ProblemCollector, name: str, value: object) -> datetime.date | None:
    if value is None:
        return None
    if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip())
        except ValueError:
            pass
    problems.add(name, value, "pass a datetime.date, e.g. datetime.date(2026, 6, 30), or 'YYYY-MM-DD'")
    return None


def _max_age(construct: IConstruct, problems: ProblemCollector) -> int:
    configured = construct.node.try_get_context(MAX_AGE_CONTEXT)
    if configured is None:
        return DEFAULT_MAX_AGE_DAYS
    if isinstance(configured, int) and not isinstance(configured, bool) and 1 <= configured <= LONGEST_MAX_AGE_DAYS:
        return configured
    problems.add(f"context {MAX_AGE_CONTEXT}", configured,
                 f"set a whole number of days from 1 to {LONGEST_MAX_AGE_DAYS}, or leave it out for "
                 f"{DEFAULT_MAX_AGE_DAYS}")
    return DEFAULT_MAX_AGE_DAYS


def _record(construct: IConstruct, rule: RuleId, record: dict[str, Any]) -> None:
    """Record the acknowledgment on ``construct``: its owner, reference and dates as ``omics-secure:acknowledgment``
    metadata, and, while it is in force, CDK's own acknowledgment, which hides the finding from the packs."""
    construct.node.add_metadata(GOVERNANCE_METADATA, record)
    expires = record.get("expires")
    if expires is None:
        cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule.recorded, reason=record["reason"]))
        return
    left = (datetime.date.fromisoformat(expires) - today()).days
    by = f"by {record['owner']} ({record['reference']}) until {expires}"
    if left < 0:
        cdk.Annotations.of(construct).add_warning_v2(ENDED_WARNING, (
            f"The acknowledgment of {rule.recorded} {by} has ended: the finding is reported again. Fix it, or renew "
            "the acknowledgment with a new expires date its owner approves."))
        return
    cdk.Validations.of(construct).acknowledge(cdk.Acknowledgment(id=rule.recorded, reason=record["reason"]))
    if left <= EXPIRY_WARNING_DAYS:
        cdk.Annotations.of(construct).add_warning_v2(ENDING_WARNING, (
            f"The acknowledgment of {rule.recorded} {by} ends in {left} day(s): renew it or fix the finding "
            "before it fails synthesis."))


@jsii.implements(cdk.IAspect)
class _PatternAcknowledgment:
    """Acknowledges one rule on every construct whose path matches a glob, each with the same record; a match
    below a construct already acknowledged is covered by it."""

    def __init__(self, rule: RuleId, record: dict[str, Any], pattern: str) -> None:
        self._rule = rule
        self._record = record
        self._pattern = pattern
        self._done: list[str] = []

    def visit(self, node: IConstruct) -> None:
        path = node.node.path
        if not fnmatch.fnmatchcase(path, self._pattern) or path in self._done:
            return
        if any(path.startswith(done + "/") for done in self._done):
            return
        self._done.append(path)
        _record(node, self._rule, self._record)

    @property
    def matched(self) -> bool:
        return bool(self._done)


@jsii.implements(IValidation)
class _PatternMatched:
    """Fails synthesis when a ``paths`` glob acknowledged nothing: a typo would otherwise accept nothing, silently."""

    def __init__(self, scope: str, pattern: str, aspect: _PatternAcknowledgment) -> None:
        self._scope = scope
        self._pattern = pattern
        self._aspect = aspect

    def validate(self) -> list[str]:
        if self._aspect.matched:
            return []
        return [f"acknowledge({self._scope}): paths={self._pattern!r} matches no construct below {self._scope}; "
                "give a glob of their full paths as the reports print them, e.g. '*/Pipeline/*Role'"]
