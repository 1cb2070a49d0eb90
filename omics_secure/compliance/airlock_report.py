"""The data-protection summary's airlock section: who may request, who may review, where data may go.

Read from the synthesized templates, through the tags the ``Airlock`` construct sets (``omics-secure:airlock`` on
its buckets, ``omics-secure:airlock-role`` on its roles, ``omics-secure:airlock-function`` on its functions), and
judged by the airlock rules, so the section states what will be deployed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from omics_secure._internal.tags import (
    AIRLOCK_ADMINISTRATOR,
    AIRLOCK_FUNCTION_TAG,
    AIRLOCK_RELEASE,
    AIRLOCK_REQUESTER,
    AIRLOCK_REVIEWER,
    AIRLOCK_REVIEWERS_REQUIRED_TAG,
    AIRLOCK_ROLE_TAG,
    AIRLOCK_STAGING_VALUES,
    AIRLOCK_TAG,
    APPROVAL_ENDS_TAG,
    APPROVAL_ID_TAG,
)
from omics_secure.compliance.engine import judge
from omics_secure.compliance.model import Resource, Status
from omics_secure.compliance.names import Names
from omics_secure.compliance.rules._policy import actions, allow_statements, condition_keys, principal_values
from omics_secure.compliance.rules.airlock import (
    NOT_A_BUCKET,
    RELEASE_NOT_READABLE_FROM_INSIDE,
    REVIEWERS_NOT_REQUESTERS,
    STAGING_MALWARE_PROTECTED,
    STAGING_READS_HELD,
    WRITES_STAY_INSIDE,
    bucket_of_arn,
    tag_value,
)
from omics_secure.compliance.rules.omics import _policies_of
from omics_secure.inputs.assembly import StackArtifact
from omics_secure.inputs.values import CannotJudge, TemplateValues, Text, items, literal_text, referenced_id
from omics_secure.reporting.summary import Section, Table

TITLE = "Airlock: who may request, who may review, where data may go"
_SSO_ROLE = re.compile(r"AWSReservedSSO_([\w+=,.@-]+?)_\*")
_DIRECTIONS = {"ingress-staging": "ingress (into the environment)", "egress-staging": "egress (out of it)"}


def airlock_section(stacks: Sequence[StackArtifact], names: Names) -> Section | None:
    """The section, or None when no stack holds an airlock."""
    airlocks = [stack for stack in stacks if any(
        tag_value(_properties(body), AIRLOCK_TAG) in (*AIRLOCK_STAGING_VALUES, AIRLOCK_RELEASE)
        for body in stack.resources.values())]
    if not airlocks:
        return None
    paths, people, destinations = [], [], []
    for stack in airlocks:
        paths += _paths(stack, names)
        people += _people(stack, names)
        destinations += _destinations(stack, names)
    verdicts = _verdicts(airlocks)
    return Section(TITLE, (
        "Data moves into or out of the isolated environment only through an airlock: a requester uploads a "
        "request's files to a staging bucket and states for each what it is and which disclosure control was "
        "applied; GuardDuty scans every object and nothing but the scanner can read a file until its scan tag "
        "says NO_THREATS_FOUND; a reviewer who is not the requester (two for egress unless configured otherwise) "
        "decides file by file; approved files are copied, all or nothing, to the destination, the others "
        "quarantined. The functions identify each person through AWS STS and compare role sessions, so a requester "
        "cannot review their own request. Every step is recorded in the requests table (retained, point-in-time "
        "recovery, customer-managed key) and published as an omics-secure.airlock event; 'omics-secure airlock "
        "list' and 'show' read the record.",
        verdicts,
    ), (
        Table("Staging and review", ("airlock stack", "direction", "staging bucket", "malware scan",
                                     "reads before a clean scan", "reviewers required"), tuple(paths)),
        Table("Who may request, review and operate", ("duty", "role", "approval", "admits", "ends"), tuple(people)),
        Table("Where data may go", ("direction", "destination", "who may read it there"), tuple(destinations)),
    ))


def _properties(body: Any) -> Mapping[str, Any]:
    properties = body.get("Properties") if isinstance(body, Mapping) else None
    return properties if isinstance(properties, Mapping) else {}


def _resource(stack: StackArtifact, logical_id: str) -> Resource:
    """The resource with its template's parameters and conditions, as the engine judges it."""
    values = TemplateValues(stack.template, stack.parameters)
    return Resource.from_template(logical_id, stack.resources[logical_id], stack.resources, values=values)


def _of_type(stack: StackArtifact, type_: str) -> list[str]:
    return [i for i, body in stack.resources.items() if isinstance(body, Mapping) and body.get("Type") == type_]


def _paths(stack: StackArtifact, names: Names) -> list[tuple[str, ...]]:
    machines = _of_type(stack, "AWS::StepFunctions::StateMachine")
    required = next((value for m in machines if (value := tag_value(_properties(stack.resources[m]),
                                                                     AIRLOCK_REVIEWERS_REQUIRED_TAG))), None)
    rows: list[tuple[str, ...]] = []
    for logical_id in _of_type(stack, "AWS::S3::Bucket"):
        direction = tag_value(_properties(stack.resources[logical_id]), AIRLOCK_TAG)
        if direction not in AIRLOCK_STAGING_VALUES:
            continue
        bucket = _resource(stack, logical_id)
        scanned = judge(STAGING_MALWARE_PROTECTED, bucket)
        held = judge(STAGING_READS_HELD, bucket)
        reviewers = "1 (a person other than the requester)" if direction == "ingress-staging" else (
            f"{required or '?'} different people, none the requester")
        rows.append((stack.name, _DIRECTIONS[str(direction)], names.name(stack, logical_id),
                     "GuardDuty Malware Protection plan, objects tagged" if scanned.status is Status.COMPLIANT
                     else f"NOT PROTECTED: {scanned.detail}",
                     "denied to all but the scanner" if held.status is Status.COMPLIANT else f"ALLOWED: {held.detail}",
                     reviewers))
    return rows


def _admits(role: Resource, names: Names, stack: StackArtifact) -> str:
    who = []
    for statement in allow_statements(role.properties.get("AssumeRolePolicyDocument")):
        keys = condition_keys(statement)
        arns = [literal_text(v) or names.text(v, stack) for v in keys.get("aws:principalarn", [])]
        sets = sorted({m[1] for arn in arns if (m := _SSO_ROLE.search(arn))})
        if sets:
            who.append(f"IAM Identity Center permission set {', '.join(sets)}")
        elif arns:
            who.append(", ".join(arns))
        for provider in principal_values(statement).get("Federated", []):
            subjects = [literal_text(v) for key, values in keys.items() if key.endswith(":sub") for v in values]
            who.append(f"{names.text(provider, stack)}" + (f" (subjects {', '.join(subjects)})" if subjects else ""))
        if principal_values(statement).get("AWS") and not arns:
            mfa = [str(v).lower() for v in keys.get("aws:multifactorauthpresent", [])] == ["true"]
            who.append(f"any principal of account {stack.account}" + (" with MFA" if mfa else ""))
    return "; ".join(dict.fromkeys(who)) or "-"


def _people(stack: StackArtifact, names: Names) -> list[tuple[str, ...]]:
    duties = {AIRLOCK_REQUESTER: "request", AIRLOCK_REVIEWER: "review (data steward)",
              AIRLOCK_ADMINISTRATOR: "operate (no data access)"}
    rows: list[tuple[str, ...]] = []
    for duty, label in duties.items():
        for logical_id in _of_type(stack, "AWS::IAM::Role"):
            properties = _properties(stack.resources[logical_id])
            if tag_value(properties, AIRLOCK_ROLE_TAG) != duty:
                continue
            role = _resource(stack, logical_id)
            ends = tag_value(properties, APPROVAL_ENDS_TAG) or _trust_end(role) or "no end date"
            rows.append((label, names.name(stack, logical_id), tag_value(properties, APPROVAL_ID_TAG) or "-",
                         _admits(role, names, stack), ends))
    return rows


def _trust_end(role: Resource) -> str | None:
    ends = [literal_text(v) for s in allow_statements(role.properties.get("AssumeRolePolicyDocument"))
            for v in condition_keys(s).get("aws:currenttime", [])]
    return ends[0][:10] if ends else None


def _destinations(stack: StackArtifact, names: Names) -> list[tuple[str, ...]]:
    release_role = None
    for logical_id in _of_type(stack, "AWS::Lambda::Function"):
        properties = _properties(stack.resources[logical_id])
        if tag_value(properties, AIRLOCK_FUNCTION_TAG) == "release":
            role = properties.get("Role")
            release_role = role.get("Fn::GetAtt", [None])[0] if isinstance(role, Mapping) else None
    if release_role is None or release_role not in stack.resources:
        return []
    role = _resource(stack, release_role)
    releases = {i for i in _of_type(stack, "AWS::S3::Bucket")
                if tag_value(_properties(stack.resources[i]), AIRLOCK_TAG) == AIRLOCK_RELEASE}
    rows: list[tuple[str, ...]] = []
    seen: set[str] = set()
    for _, document in _policies_of(role):
        for statement in allow_statements(document):
            if "s3:PutObject" not in actions(statement):
                continue
            for value in items(statement, "Resource"):
                try:
                    bucket = bucket_of_arn(role, value)
                except CannotJudge:
                    continue
                if not bucket or bucket == NOT_A_BUCKET or bucket in seen:
                    continue
                seen.add(bucket)
                target = f"{names.name(stack, bucket)} under {_prefix(value, bucket)}<request id>/"
                if bucket in releases:
                    verdict = judge(RELEASE_NOT_READABLE_FROM_INSIDE, _resource(stack, bucket))
                    readers = _readers(stack, bucket, names)
                    rows.append(("egress", f"{target} (release bucket, outside the environment)",
                                 (readers or "nobody yet: grant release_readers") + (
                                     "; not readable from inside the environment" if verdict.status is Status.COMPLIANT
                                     else f"; READABLE FROM INSIDE: {verdict.detail}")))
                else:
                    rows.append(("ingress", f"{target} (the environment's data)",
                                 "the environment's approved researchers and workflows"))
    return rows


def _prefix(value: Any, bucket: str) -> str:
    """The key prefix an object ARN pattern gives after its bucket: ``airlock/`` of ``<bucket ARN>/airlock/*``."""
    if isinstance(value, Text):
        after = value.after(bucket)
    else:
        joined = value.get("Fn::Join") if isinstance(value, Mapping) else None
        parts = joined[1] if isinstance(joined, list) and len(joined) == 2 and isinstance(joined[1], list) else []
        positions = [i for i, part in enumerate(parts) if referenced_id(part) == bucket]
        rest = parts[positions[-1] + 1:] if positions else []
        after = "".join(rest) if positions and all(isinstance(p, str) for p in rest) else None
    return (after or "/").lstrip("/").rstrip("*")


def _readers(stack: StackArtifact, bucket: str, names: Names) -> str:
    found = []
    for logical_id in _of_type(stack, "AWS::IAM::Role"):
        role = _resource(stack, logical_id)
        for _, document in _policies_of(role):
            for statement in allow_statements(document):
                if "s3:GetObject" in actions(statement) and any(
                        _safe_bucket(role, value) == bucket for value in items(statement, "Resource")):
                    found.append(names.name(stack, logical_id))
    return ", ".join(sorted(set(found)))


def _safe_bucket(role: Resource, value: Any) -> str | None:
    try:
        return bucket_of_arn(role, value)
    except CannotJudge:
        return None


def _verdicts(stacks: Sequence[StackArtifact]) -> str:
    """One sentence on the separation and boundary rules over every role of the airlocks' stacks."""
    failing, unplaced = [], []
    for stack in stacks:
        for logical_id in _of_type(stack, "AWS::IAM::Role"):
            role = _resource(stack, logical_id)
            for rule in (REVIEWERS_NOT_REQUESTERS, WRITES_STAY_INSIDE):
                verdict = judge(rule, role)
                if verdict.status is Status.NON_COMPLIANT:
                    failing.append(f"{rule.id} on {stack.name}/{logical_id}: {verdict.detail}")
                elif verdict.status is Status.CANNOT_JUDGE:
                    unplaced.append(f"{stack.name}/{logical_id}: {verdict.detail}")
    caveat = (" The templates cannot tell whether these writes stay inside the environment (buckets they do not "
              "hold): " + "; ".join(unplaced) + ".") if unplaced else ""
    if not failing:
        return ("Separation of duties and the boundary hold: no role both requests and reviews, no reviewer role "
                "admits a requester's people, and no compute or people role of an isolated environment writes to a "
                "bucket outside it but through the airlock." + caveat)
    return "FINDINGS: " + "; ".join(failing) + "." + caveat
