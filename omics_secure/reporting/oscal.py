"""NIST OSCAL evidence: the library's component definition and an app's assessment results.

Built with compliance-trestle's pydantic models of OSCAL (https://pages.nist.gov/OSCAL/, the models
validate every field as they are built), never written as JSON by hand. trestle is imported only when
a document is built: importing its models takes seconds, which the other formats of the command must
not pay.

Control ids follow NIST's published OSCAL catalogs (https://github.com/usnistgov/oscal-content):
SP 800-53 rev. 5 as ``ac-2``, enhancements as ``sc-28.1``; SP 800-171 rev. 3 as its catalog names them,
``SP_800_171_03.13.08``. NIST publishes no OSCAL catalog of SP 800-171 rev. 2 or of the HIPAA Security
Rule: rev. 2 ids are written in the rev. 3 catalog's form (``SP_800_171_3.13.16``) against the rev. 2
publication, and HIPAA sections as ``HIPAA_164.312_a_2_iv`` against the regulation's eCFR text, each
with the section as written (``164.312(a)(2)(iv)``) in a ``label`` property.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omics_secure._internal.acknowledgment_terms import SOURCE_LIBRARY as LIBRARY_ACCEPTANCE
from omics_secure._internal.verdicts import Controls
from omics_secure.reporting import markdown

if TYPE_CHECKING:
    from trestle.oscal.assessment_results import AssessmentResults
    from trestle.oscal.component import ComponentDefinition

COMPONENT_DEFINITION_FILE = "component-definition.json"
ASSESSMENT_RESULTS_FILE = "assessment-results.json"
NAMESPACE = "https://github.com/omics-secure/omics-secure/ns/oscal"
"""The namespace of this tool's own OSCAL properties (``pack``, ``rule``, ``result``, ``construct-path``)."""

_OSCAL_CONTENT = "https://raw.githubusercontent.com/usnistgov/oscal-content/main/nist.gov"
SOURCES = {
    "hipaa": ("https://www.ecfr.gov/current/title-45/subtitle-A/subchapter-C/part-164/subpart-C",
              "HIPAA Security Rule, 45 CFR Part 164 Subpart C (no NIST OSCAL catalog exists; ids written HIPAA_...)"),
    "nist_800_53_r5": (f"{_OSCAL_CONTENT}/SP800-53/rev5/json/NIST_SP-800-53_rev5_catalog.json",
                       "NIST SP 800-53 rev. 5 (NIST's OSCAL catalog)"),
    "nist_800_171_r2": ("https://csrc.nist.gov/pubs/sp/800/171/r2/upd1/final",
                        "NIST SP 800-171 rev. 2 (no NIST OSCAL catalog; ids in the rev. 3 catalog's form)"),
    "nist_800_171_r3": (f"{_OSCAL_CONTENT}/SP800-171/rev3/json/NIST_SP800-171_rev3_catalog.json",
                        "NIST SP 800-171 rev. 3 (NIST's OSCAL catalog)"),
}
"""Per framework field of :class:`Controls`: the source a control implementation names, and its description."""

# Result vocabulary of an AssessedResult.
PASS, FAIL, WARNING, ACKNOWLEDGED, ERROR = "pass", "fail", "warning", "acknowledged", "error"


@dataclass(frozen=True)
class ComponentEntry:
    """One construct of the library in the component definition: the controls it implements, and how."""

    controls: Controls
    how: str
    """One sentence: what the construct does that implements these controls."""
    type: str = "software"


@dataclass(frozen=True)
class AssessedResult:
    """One rule's (or live check's) result on one resource, as the assessment results record it.

    ``result`` is PASS, FAIL (an open finding), WARNING (reported, does not fail the check: a warning rule
    or a value known only at deploy time) or ACKNOWLEDGED (accepted in the app, with ``reason``).
    """

    source: str
    """Where the result comes from: ``check`` (the synthesized app) or ``verify`` (deployed resources)."""
    pack: str
    rule_id: str
    subject: str
    """The construct path (check) or the resource's label (verify)."""
    result: str
    description: str
    reason: str = ""
    controls: Controls = dataclasses.field(default_factory=Controls)
    owner: str = ""
    """Who accepted the risk (an ACKNOWLEDGED result, or a FAIL whose acceptance has ended)."""
    reference: str = ""
    """The ticket, risk-register entry or approval id of the acceptance."""
    deadline: datetime.date | None = None
    """The last day the acceptance is in force; past for a FAIL whose acceptance has ended."""
    accepted_in: str = ""
    """Where the acceptance is written: the app, the acknowledgments file, or an omics-secure construct."""


def control_id(field: str, control: str) -> str:
    """``control`` of framework ``field`` (a :class:`Controls` field) as an OSCAL control id."""
    if field == "nist_800_53_r5":
        return re.sub(r"\((\d+)\)", r".\1", control).lower()
    if field in ("nist_800_171_r2", "nist_800_171_r3"):
        return f"SP_800_171_{control}"
    if field == "hipaa":
        return "HIPAA_" + "_".join(part for part in re.split(r"[()]+", control) if part)
    raise ValueError(f"no OSCAL control ids for framework field {field!r}")


def _frameworks(controls: Controls) -> list[tuple[str, tuple[str, ...]]]:
    return [(field, ids) for field in SOURCES if (ids := getattr(controls, field))]


def _uuid(*parts: str) -> str:
    """A stable UUID (version 5) for the same parts, so that documents of the same app diff cleanly."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join((NAMESPACE, *parts))))


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(microsecond=0)


def _metadata(title: str, version: str, remarks: str) -> Any:
    from trestle.oscal import OSCAL_VERSION
    from trestle.oscal.common import Metadata

    return Metadata(title=title, last_modified=_now(), version=version, oscal_version=OSCAL_VERSION,
                    remarks=remarks)


def _prop(name: str, value: str) -> Any:
    from trestle.oscal.common import Property

    return Property(name=name, value=" ".join(value.split()) or "-", ns=NAMESPACE)


def component_definition(entries: dict[str, ComponentEntry], *, version: str) -> ComponentDefinition:
    """The library's constructs as OSCAL components, one control implementation per framework source."""
    from trestle.oscal.component import (
        ComponentDefinition,
        ControlImplementation,
        DefinedComponent,
        ImplementedRequirement,
    )

    components = []
    for name, entry in entries.items():
        implementations = []
        for field, ids in _frameworks(entry.controls):
            source, label = SOURCES[field]
            requirements = [ImplementedRequirement(
                uuid=_uuid("component", name, field, control), control_id=control_id(field, control),
                description=entry.how, props=[_prop("label", control)]) for control in ids]
            implementations.append(ControlImplementation(
                uuid=_uuid("component", name, field), source=source,
                description=f"{label}: what {name} implements.", implemented_requirements=requirements))
        components.append(DefinedComponent(
            uuid=_uuid("component", name), type=entry.type, title=name,
            description=f"omics_secure.{name}: {entry.how}", purpose=entry.how.split(".")[0],
            control_implementations=implementations or None))
    return ComponentDefinition(
        uuid=_uuid("component-definition", version),
        metadata=_metadata("omics-secure constructs", version,
                           "AWS CDK constructs of the omics-secure library and the controls each implements."),
        components=components or None)


def assessment_results(results: Sequence[AssessedResult], *, title: str, version: str,
                       description: str) -> AssessmentResults:
    """One OSCAL result: an observation per (rule, resource), a finding per open one, a risk per accepted one."""
    from trestle.oscal.assessment_results import AssessmentResults, ImportAp, LocalDefinitions1, Result
    from trestle.oscal.common import (
        ControlSelectionsAll,
        Finding,
        FindingTarget,
        IncludeAll,
        InventoryItem,
        ObjectiveStatus,
        Observation,
        RelatedObservation,
        ReviewedControls,
        SubjectReference,
    )

    collected = _now()
    observations, findings, risks = [], [], []
    for index, item in enumerate(results):
        key = (item.source, item.pack, item.rule_id, item.subject, str(index))
        cited = [f"{SOURCES[field][0]}#{control_id(field, c)}" for field, ids in _frameworks(item.controls)
                 for c in ids]
        observation = Observation(
            uuid=_uuid("observation", *key), title=_markup(f"{item.rule_id} on {item.subject}"),
            description=_markup(item.description or item.rule_id), methods=["TEST"],
            types=["finding"] if item.result != PASS else None,
            props=[_prop("source", item.source), _prop("pack", item.pack), _prop("rule", item.rule_id),
                   _prop("result", item.result)] + [_prop("control", c) for c in cited],
            subjects=[SubjectReference(subject_uuid=_uuid("subject", item.subject), type="inventory-item",
                                       title=_markup(item.subject))],
            collected=collected)
        observations.append(observation)
        related = [RelatedObservation(observation_uuid=observation.uuid)]
        if item.result in (FAIL, ERROR):
            # A rule that could not judge the resource leaves its objective unshown: not satisfied, for a
            # reason other than a failed test, said in the remarks.
            unjudged = item.result == ERROR
            findings.append(Finding(
                uuid=_uuid("finding", *key),
                title=_markup(f"{item.rule_id} {'could not judge' if unjudged else 'fails on'} {item.subject}"),
                description=_markup(item.description or item.rule_id),
                target=FindingTarget(type="objective-id", target_id=_target(item), status=ObjectiveStatus(
                    state="not-satisfied", reason="other" if unjudged else "fail",
                    remarks="The check of this rule on this resource is incomplete." if unjudged else None)),
                props=[_prop("rule", item.rule_id)], related_observations=related))
        if item.result == ACKNOWLEDGED or (item.result == FAIL and item.accepted_in):
            risks.append(_risk(item, key, related))
    # Each resource observed, as an inventory item the observations' subjects point at.
    subjects = dict.fromkeys(item.subject for item in results)
    inventory = [InventoryItem(uuid=_uuid("subject", subject), description=_markup(subject),
                               props=[_prop("construct-path", subject)]) for subject in subjects]
    result = Result(
        uuid=_uuid("result", title), title=_line(title), description=description, start=collected,
        end=collected, local_definitions=LocalDefinitions1(inventory_items=inventory) if inventory else None,
        reviewed_controls=ReviewedControls(
            description="The controls cited by the rules and live checks whose results are observed here.",
            control_selections=[ControlSelectionsAll(include_all=IncludeAll())]),
        observations=observations or None, findings=findings or None, risks=risks or None)
    return AssessmentResults(
        uuid=_uuid("assessment-results", title),
        metadata=_metadata(_line(title), version, description),
        import_ap=ImportAp(href=f"{NAMESPACE}#omics-secure-check",
                           remarks="No separate assessment plan: the plan is the compliance packs that ran, each "
                                   "rule judging every resource of its types (see the observations' pack and rule)."),
        results=[result])


def _risk(item: AssessedResult, key: tuple[str, ...], related: list[Any]) -> Any:
    """An accepted finding as a risk: a deviation approved by its owner until its deadline; an acceptance that
    has ended, as an open risk whose deadline has passed (its finding is open too)."""
    from trestle.oscal.common import Entry, Risk, RiskLog

    ended = item.result == FAIL
    if item.accepted_in == LIBRARY_ACCEPTANCE:
        accepted = "Accepted by the omics-secure construct that made the resource (an AWS constraint it documents)"
    else:
        who = f"{item.owner or 'no named owner'}" + (f" ({item.reference})" if item.reference else "")
        until = f" until {item.deadline.isoformat()}" if item.deadline else " with no end date"
        accepted = f"{'Was accepted' if ended else 'Accepted'} in the {item.accepted_in or 'app'} by {who}{until}"
    statement = _markup(f"{accepted}: {item.reason or '(no reason given)'}"
                        + ("; the acceptance has ended." if ended else ""))
    deadline = (datetime.datetime.combine(item.deadline, datetime.time(23, 59, 59), datetime.UTC)
                if item.deadline else None)
    props = [_prop("rule", item.rule_id)] + [_prop(name, value) for name, value in (
        ("owner", item.owner), ("reference", item.reference), ("accepted-in", item.accepted_in)) if value]
    log = RiskLog(entries=[Entry(
        uuid=_uuid("risk-log", *key), title="Risk accepted" if not ended else "Risk acceptance ended",
        description=statement, start=_now(), status_change="open" if ended else "deviation-approved")])
    return Risk(
        uuid=_uuid("risk", *key),
        title=_markup(f"{item.rule_id} {'no longer ' if ended else ''}accepted on {item.subject}"),
        description=_markup(item.description or item.rule_id), statement=statement,
        status="open" if ended else "deviation-approved", props=props, deadline=deadline, risk_log=log,
        related_observations=related)


def _target(item: AssessedResult) -> str:
    """The objective a finding is against: the first SP 800-53 control the rule cites, else the rule."""
    if item.controls.nist_800_53_r5:
        objective = control_id("nist_800_53_r5", item.controls.nist_800_53_r5[0]) + "_obj"
    else:
        objective = item.rule_id
    # An OSCAL token: a letter or '_' first, then letters, digits, '_', '-' and '.'.
    return re.sub(r"^[^A-Za-z_]+", "", re.sub(r"[^A-Za-z0-9_.-]+", "_", objective)).strip("_") or "rule"


def _line(text: str) -> str:
    return " ".join(text.split()) or "-"


def _markup(text: str) -> str:
    """Text from the input (construct paths, findings, reasons) in an OSCAL markup field, which OSCAL tools
    render as Markdown: escaped, on one line."""
    return _line(markdown.text(text))


def write_oscal(directory: Path, component: ComponentDefinition, results: AssessmentResults) -> list[Path]:
    """Write both documents into ``directory`` (created if missing); the paths written."""
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in ((COMPONENT_DEFINITION_FILE, component), (ASSESSMENT_RESULTS_FILE, results)):
        path = directory / name
        path.write_text(model.oscal_serialize_json(pretty=True) + "\n", encoding="utf-8")
        written.append(path)
    return written


def component_definition_beside(path: Path) -> Path:
    """Where the component definition goes when the assessment results are written to the file ``path``:
    beside it, named after it (``oscal.json`` -> ``oscal.component-definition.json``)."""
    return path.with_name(f"{path.stem}.{COMPONENT_DEFINITION_FILE}")


def write_oscal_file(path: Path, component: ComponentDefinition, results: AssessmentResults) -> list[Path]:
    """Write the assessment results, the app's own document, to the file ``path`` (its directory created if
    missing), and the component definition beside it (:func:`component_definition_beside`); the paths written,
    the assessment results first."""
    path.parent.mkdir(parents=True, exist_ok=True)
    beside = component_definition_beside(path)
    for target, model in ((path, results), (beside, component)):
        target.write_text(model.oscal_serialize_json(pretty=True) + "\n", encoding="utf-8")
    return [path, beside]


class VerifyReportError(ValueError):
    """The file given as verify's report is not the JUnit report ``omics-secure verify`` writes."""


VERIFY_SUITES_TITLE = "omics-secure verify"


def read_verify_junit(path: Path, controls_of: dict[str, Controls] | None = None) -> list[AssessedResult]:
    """The live checks in the JUnit report ``omics-secure verify --report-dir DIR`` wrote (DIR/omics-secure.junit.xml):
    one result per check and resource, failed or passed; ``controls_of`` gives each check id's controls."""
    import xml.etree.ElementTree as ElementTree

    try:
        root = ElementTree.fromstring(path.read_bytes())
    except ElementTree.ParseError as error:
        raise VerifyReportError(f"--verify-report {path} is not XML ({error}); pass the omics-secure.junit.xml "
                                "that omics-secure verify wrote into its --report-dir") from error
    if root.tag != "testsuites" or root.get("name") != VERIFY_SUITES_TITLE:
        raise VerifyReportError(f"--verify-report {path} is not a report of omics-secure verify (its testsuites are "
                                f"named {root.get('name')!r}); pass the omics-secure.junit.xml verify wrote")
    results = []
    for suite in root.iter("testsuite"):
        for case in suite.iter("testcase"):
            rule_id, subject = case.get("classname", ""), case.get("name", "")
            if rule_id == suite.get("name"):  # the "no open findings" placeholder of a clean suite
                continue
            failure = case.find("failure")
            results.append(AssessedResult(
                source="verify", pack=suite.get("name", "verify"), rule_id=rule_id, subject=subject,
                result=FAIL if failure is not None else PASS,
                description=(failure.get("message", "") if failure is not None else f"Passed live check {rule_id}."),
                controls=(controls_of or {}).get(rule_id, Controls())))
    return results
