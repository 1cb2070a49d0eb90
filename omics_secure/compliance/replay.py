"""cdk-nag's packs on templates no CDK app of the user's made: hand-written templates, other tools' output, and
assemblies whose app did not run the packs.

cdk-nag's rules judge the L1 constructs of a CDK app. aws-cdk-lib's ``CfnInclude`` turns a template into
exactly those constructs (``AWS::S3::Bucket`` into a ``CfnBucket``, with its logical id), so each template is
included into a generated app, in a stack of its own, with the packs registered as an app registers them,
and synthesized; the findings are read back from the app's validation report and put on the template's own
resources. The generated app runs in a process of its own (``python -m omics_secure.compliance.replay
SPEC``), as a user's app does, so that nothing jsii prints reaches the user and a template aws-cdk-lib cannot
include never stops the check.

cdk-nag's rules cannot follow ``Fn::If`` or a parameter (a rule that meets one raises, and the pack reports
that it could not judge), so each template is included as its *variants*
(:mod:`omics_secure.inputs.variants`): its deployments with parameters and conditions decided. A finding in
only some variants names them ("when Env is dev: ..."). A template ``CfnInclude`` refuses is reported as not
judged by these packs, naming the reason; a rule that raised is an error entry, never a finding.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from omics_secure._internal.node_runtime import silence_end_of_life_banner
from omics_secure.compliance.environment import references
from omics_secure.inputs.assembly import StackArtifact
from omics_secure.inputs.values import BranchKey, describe_branch
from omics_secure.inputs.variants import TemplateVariants, Variant, template_variants
from omics_secure.reporting.validation_report import (
    PackCoverage,
    PackResult,
    ReportedFinding,
    read_validation_report,
)

RESULT_FILE = "replay.json"
_TEMPLATE_CONSTRUCT = "Template"


class ReplayError(Exception):
    """The generated app could not run at all (not one template's problem); the message says why."""


@dataclass(frozen=True)
class _Included:
    """One variant of one stack (or one part of a variant too large for one stack), as the generated app
    includes it."""

    id: str
    stack: StackArtifact
    variant: Variant
    template: Mapping[str, Any]


def replay_packs(stacks: Sequence[StackArtifact], packs: Sequence[str], workdir: Path | None = None
                 ) -> list[PackResult]:
    """cdk-nag's ``packs`` (by name) judged on every stack of ``stacks``, one result per pack.

    ``workdir`` keeps the generated app's files (a temporary directory by default).
    """
    if not packs or not stacks:
        return []
    if workdir is None:
        with tempfile.TemporaryDirectory(prefix="omics-secure-replay-") as scratch:
            return replay_packs(stacks, packs, Path(scratch))
    workdir.mkdir(parents=True, exist_ok=True)
    included: list[_Included] = []
    incomplete: dict[str, TemplateVariants] = {}
    for index, stack in enumerate(stacks):
        variants = template_variants(stack.template, stack.parameters)
        if not variants.complete:
            incomplete[stack.name] = variants
        for number, variant in enumerate(variants.variants):
            parts = parts_of(variant.template)
            for part_number, part in enumerate(parts):
                suffix = f"Part{part_number}" if len(parts) > 1 else ""
                entry = _Included(f"Input{index}Variant{number}{suffix}", stack, variant, part)
                (workdir / f"{entry.id}.json").write_text(json.dumps(part), encoding="utf-8")
                included.append(entry)
    outdir = workdir / "assembly"
    spec = {"outdir": str(outdir), "packs": list(packs),
            "inputs": [{"id": entry.id, "template": str(workdir / f"{entry.id}.json")} for entry in included]}
    spec_path = workdir / "replay-spec.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    _run_generated_app(spec_path)
    try:
        outcome = json.loads((outdir / RESULT_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError) as error:
        raise ReplayError(f"the generated app wrote no {RESULT_FILE} ({error})") from error
    refused: dict[str, str] = {key: str(value) for key, value in outcome.get("refused", {}).items()}
    dropped: dict[str, list[tuple[str, str]]] = {key: [(str(i), str(why)) for i, why in value]
                                                 for key, value in outcome.get("dropped", {}).items()}
    reports = {pack.name: pack for pack in read_validation_report(outdir)}
    return [_pack_result(name, reports.get(name), included, refused, incomplete, dropped) for name in packs]


PART_LIMIT = 500
"""CloudFormation's resources per stack: a larger template is judged by cdk-nag's packs in parts of at most this
many, so that its rules that compare every resource with every other (a bucket with every bucket policy)
stay linear in the template's size."""


def parts_of(template: Mapping[str, Any], limit: int = PART_LIMIT) -> list[Mapping[str, Any]]:
    """``template`` whole when it has at most ``limit`` resources, else in parts that keep together every
    resource that names another (Ref, Fn::GetAtt, Fn::Sub, DependsOn): the resources a rule compares, such as a
    bucket and its policy, are always in one part. A group larger than ``limit`` is a part of its own."""
    resources = template.get("Resources", {})
    if len(resources) <= limit:
        return [template]
    parent = {logical_id: logical_id for logical_id in resources}

    def root(logical_id: str) -> str:
        while parent[logical_id] != logical_id:
            parent[logical_id] = parent[parent[logical_id]]
            logical_id = parent[logical_id]
        return logical_id

    for logical_id, body in resources.items():
        for named in _named_ids(body) & parent.keys():
            parent[root(named)] = root(logical_id)
    groups: dict[str, list[str]] = {}
    for logical_id in resources:
        groups.setdefault(root(logical_id), []).append(logical_id)
    parts: list[list[str]] = []
    for members in sorted(groups.values(), key=len, reverse=True):
        if parts and len(parts[-1]) + len(members) <= limit:
            parts[-1] += members
        else:
            parts.append(list(members))
    return [{**template, "Resources": {logical_id: resources[logical_id] for logical_id in part}} for part in parts]


def _named_ids(body: Any) -> set[str]:
    """Every logical id a resource's body may name: Ref, Fn::GetAtt, the ${...} of Fn::Sub, DependsOn."""
    found = references(body)
    depends = body.get("DependsOn") if isinstance(body, Mapping) else None
    found.update([depends] if isinstance(depends, str) else [d for d in depends if isinstance(d, str)]
                 if isinstance(depends, list) else [])
    return found


def _run_generated_app(spec_path: Path) -> None:
    silence_end_of_life_banner()
    command = [sys.executable, "-m", "omics_secure.compliance.replay", str(spec_path)]
    completed = subprocess.run(command, capture_output=True, text=True, errors="replace", check=False,
                               stdin=subprocess.DEVNULL, env=dict(os.environ))
    if completed.returncode != 0:
        last = [line for line in (completed.stderr or completed.stdout).splitlines() if line.strip()][-3:]
        raise ReplayError("cdk-nag's packs could not be run on the templates: " + " | ".join(last))


def _pack_result(name: str, report: PackResult | None, included: list[_Included], refused: Mapping[str, str],
                 incomplete: Mapping[str, TemplateVariants],
                 dropped: Mapping[str, list[tuple[str, str]]]) -> PackResult:
    by_id = {entry.id: entry for entry in included}
    present: dict[tuple[str, str], list[_Included]] = {}  # (stack, logical id) -> the variants that have it
    for entry in included:
        if entry.id not in refused:
            for logical_id in entry.template.get("Resources", {}):
                present.setdefault((entry.stack.name, logical_id), []).append(entry)
    # (stack, logical id, the finding as the generated app reported it) -> the variants it was reported in
    flagged: dict[tuple[str, str, ReportedFinding], list[_Included]] = {}
    for finding in (report.all_findings if report else ()):
        entry_id, _, rest = finding.construct_path.partition("/")
        source = by_id.get(entry_id)
        logical_id = rest.removeprefix(f"{_TEMPLATE_CONSTRUCT}/").split("/", 1)[0]
        if source is not None and logical_id:
            plain = ReportedFinding(pack=name, rule_id=finding.rule_id, description=finding.description,
                                    severity=finding.severity, construct_path="", is_error=finding.is_error)
            flagged.setdefault((source.stack.name, logical_id, plain), []).append(source)
    stacks = {entry.stack.name: entry.stack for entry in included}
    findings: list[ReportedFinding] = []
    for (stack_name, logical_id, plain), entries in flagged.items():
        stack = stacks[stack_name]
        description = (_could_not_read(plain.rule_id, logical_id, entries) if plain.is_error
                       else plain.description)
        when = _when(entries, present.get((stack_name, logical_id), entries))
        acknowledgment = stack.acknowledgment_for(logical_id, plain.rule_id)
        findings.append(replace(
            plain, description=f"{when}: {description}" if when else description,
            construct_path=stack.construct_path(logical_id),
            acknowledged_id=acknowledgment.id if acknowledgment else None,
            reason=acknowledgment.reason if acknowledgment else None))
    return PackResult(
        name=name,
        open_findings=tuple(f for f in findings if not f.acknowledged and not f.is_error and f.severity != "warning"),
        acknowledged_findings=tuple(f for f in findings if f.acknowledged),
        warnings=tuple(f for f in findings if not f.acknowledged and not f.is_error and f.severity == "warning"),
        errors=tuple(f for f in findings if not f.acknowledged and f.is_error),
        coverage=tuple(_coverage(stack, included, refused, incomplete, dropped) for stack in stacks.values()))


def _coverage(stack: StackArtifact, included: list[_Included], refused: Mapping[str, str],
              incomplete: Mapping[str, TemplateVariants], dropped: Mapping[str, list[tuple[str, str]]]
              ) -> PackCoverage:
    own = [entry for entry in included if entry.stack.name == stack.name]
    failed = [refused[entry.id] for entry in own if entry.id in refused]
    if failed and len(failed) == len(own):
        return PackCoverage(stack.name, judged=False, note=f"aws-cdk-lib's CfnInclude cannot read it: {failed[0]}")
    if failed:  # one deployment (or one part of a large template) went unjudged: its resources may be only there
        return PackCoverage(stack.name, judged=False, note=(
            f"{len(failed)} of the {len(own)} templates judged for it could not be read by aws-cdk-lib's "
            f"CfnInclude ({failed[0]})"))
    left_out = {logical_id: why for entry in own for logical_id, why in dropped.get(entry.id, [])}
    if left_out:
        first, why = next(iter(left_out.items()))
        names = ", ".join(sorted(left_out))
        return PackCoverage(stack.name, judged=False, note=(
            f"judged every resource but {names}, which aws-cdk-lib's CfnInclude cannot read ({first}: {why})"))
    variants = list({id(entry.variant): entry.variant for entry in own}.values())
    notes = []
    base = variants[0].branch if variants else {}
    deployments = "; ".join(_differences(variant.branch, base) for variant in variants[:4])
    deployments += "; ..." if len(variants) > 4 else ""
    if stack.name in incomplete:
        notes.append(f"judged on {len(variants)} of its parameter values and conditions ({deployments}); the other "
                     "combinations only by the OmicsSecure pack")
    elif len(variants) > 1:
        notes.append(f"judged on {len(variants)} deployments: {deployments}")
    if len(own) > len(variants):
        notes.append(f"in {len(own) // max(len(variants), 1)} parts of at most {PART_LIMIT} resources, related "
                     "resources together")
    return PackCoverage(stack.name, judged=True, note="; ".join(notes))


def _differences(branch: Mapping[BranchKey, Any], base: Mapping[BranchKey, Any]) -> str:
    """A variant in words, by what it changes from the first: 'the defaults' for the first itself."""
    changed = {key: value for key, value in branch.items() if key not in base or base[key] != value}
    return describe_branch(changed).removeprefix("when ") if changed else "the defaults"


def _when(flagged: list[_Included], present: list[_Included]) -> str:
    """'' when every variant that has the resource has the finding; else the parameter values and conditions
    the flagged variants share and the others do not ('when Env is dev')."""
    flagged_ids = {entry.id for entry in flagged}
    others = [entry.variant.branch for entry in present if entry.id not in flagged_ids]
    if not others:
        return ""
    branches = [entry.variant.branch for entry in flagged]
    common = dict(branches[0])
    for branch in branches[1:]:
        common = {key: value for key, value in common.items() if key in branch and branch[key] == value}
    telling: dict[BranchKey, Any] = {key: value for key, value in common.items()
                                     if any(other.get(key, value) != value or key not in other for other in others)}
    if telling:
        return describe_branch(telling)
    return " or ".join(describe_branch(branch) for branch in branches if branch) or ""


def _could_not_read(rule_id: str, logical_id: str, entries: list[_Included]) -> str:
    return _rule_error_text(rule_id, [entry.template["Resources"].get(logical_id, {}) for entry in entries])


def describe_rule_error(finding: ReportedFinding, stacks: Sequence[StackArtifact]) -> str:
    """The description of a rule that raised on a resource of an app's own run (CDK's validation report):
    the rule and the resource's values left to deployment, instead of cdk-nag's generic sentence."""
    for stack in stacks:
        for logical_id, path in stack.construct_paths.items():
            if path == finding.construct_path:
                body = stack.resources.get(logical_id)
                return _rule_error_text(finding.rule_id, [body] if isinstance(body, Mapping) else [])
    return _rule_error_text(finding.rule_id, [])


def _rule_error_text(rule_id: str, bodies: Sequence[Mapping[str, Any]]) -> str:
    """What the rule met that it cannot judge: the values of the resource left to deployment."""
    unresolved = sorted({path for body in bodies for path in _deploy_time_paths(body)})
    shown = ", ".join(unresolved[:4]) + (f" and {len(unresolved) - 4} more" if len(unresolved) > 4 else "")
    what = f"it met values known only at deployment ({shown})" if unresolved else "it raised on the resource"
    return (f"{rule_id} could not judge this resource: {what}. This rule's check of the resource is incomplete: "
            "check it by hand, then acknowledge the rule on this resource with what you found")


def _deploy_time_paths(body: Mapping[str, Any]) -> list[str]:
    found: list[str] = []

    def walk(value: Any, path: str) -> None:
        if isinstance(value, Mapping):
            name = next(iter(value)) if len(value) == 1 else None
            if isinstance(name, str) and (name == "Ref" or name.startswith("Fn::")):
                found.append(path)
                return
            for key, item in value.items():
                walk(item, f"{path}.{key}" if path else str(key))
        elif isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}[{index}]")

    walk(body.get("Properties", {}), "")
    return found


# --- the generated app: python -m omics_secure.compliance.replay SPEC ------------------------------------------

def main(spec_path: str) -> None:
    """Include every template of the spec into an app with the named cdk-nag packs registered, synthesize it,
    and write which templates ``CfnInclude`` refused, and which resources it could include only without,
    into ``<outdir>/replay.json``."""
    silence_end_of_life_banner()
    import aws_cdk as cdk
    from aws_cdk import cloudformation_include

    from omics_secure.compliance.nag import cdk_nag_packs

    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    outdir = Path(spec["outdir"])
    refused: dict[str, str] = {}
    dropped: dict[str, list[tuple[str, str]]] = {}

    def build(inputs: list[dict[str, str]], directory: Path) -> cdk.App:
        # No resource limit: the template's size is the template's business (CloudFormation refuses more than
        # 500 at deployment, which the OmicsSecure pack warns of); the packs judge every resource given.
        app = cdk.App(outdir=str(directory), builtin_cloud_formation_validation=False,
                      context={"@aws-cdk/core:stackResourceLimit": 0})
        cdk.Validations.of(app).add_plugins(*cdk_nag_packs(app, spec["packs"]))
        for entry in inputs:
            if entry["id"] in refused:
                continue
            stack = cdk.Stack(app, entry["id"], synthesizer=cdk.DefaultStackSynthesizer(
                generate_bootstrap_version_rule=False))
            try:
                dropped[entry["id"]] = _include(cloudformation_include, stack, entry["template"])
            except Exception as error:  # jsii passes aws-cdk-lib's refusal as a JSIIError or a RuntimeError
                refused[entry["id"]] = _first_line(error)
                app.node.try_remove_child(entry["id"])
        return app

    def synthesize(inputs: list[dict[str, str]], directory: Path) -> str | None:
        try:
            build(inputs, directory).synth()
        except RuntimeError as error:
            if "ValidationFailed" not in str(error):
                return _first_line(error)
        return None

    def failing(inputs: list[dict[str, str]], scratch: Path) -> None:
        """Find the inputs that make synthesis fail, halving: a few syntheses for a few bad templates. One
        that fails alone is synthesized without the resources the failure names, else refused."""
        inputs = [entry for entry in inputs if entry["id"] not in refused]
        failure = synthesize(inputs, scratch / f"part{len(list(scratch.iterdir()))}") if inputs else None
        if failure is None:
            return
        if len(inputs) > 1:
            middle = len(inputs) // 2
            failing(inputs[:middle], scratch)
            failing(inputs[middle:], scratch)
            return
        (entry,) = inputs
        path = Path(entry["template"])
        while failure is not None:
            body = json.loads(path.read_text(encoding="utf-8"))
            left_out = dropped.setdefault(entry["id"], [])
            culprits = _culprits(body, failure)
            if not culprits or len(left_out) + len(culprits) > _DROP_LIMIT or not _without(body, culprits):
                refused[entry["id"]] = failure
                return
            left_out += [(logical_id, failure) for logical_id in culprits]
            path.write_text(json.dumps(body), encoding="utf-8")
            failure = synthesize(inputs, scratch / f"part{len(list(scratch.iterdir()))}")

    inputs = list(spec["inputs"])
    if synthesize(inputs, outdir) is not None:
        with tempfile.TemporaryDirectory(prefix="omics-secure-replay-") as scratch:
            failing(inputs, Path(scratch))
        failure = synthesize(inputs, outdir)
        if failure is not None:
            raise SystemExit(f"the generated app failed: {failure}")
    outdir.mkdir(parents=True, exist_ok=True)
    (outdir / RESULT_FILE).write_text(json.dumps({"refused": refused, "dropped": {
        key: value for key, value in dropped.items() if value}}), encoding="utf-8")


_BOOLEAN_REFUSED = "Expected 'true' or 'false' for boolean value"
_BOOLEAN_SPELLINGS = {"True": "true", "TRUE": "true", "False": "false", "FALSE": "false"}
# CfnInclude's refusals that name the resources it cannot include: those are left out and the rest included.
_MISSING_REFERENCE = re.compile(r"logical ID: '([^']+)' not found")
_MISSING_PROPERTY = re.compile(r"/Template/([A-Za-z0-9]+) \[[^\]]+\] is missing required property")
_DROP_LIMIT = 10


def _include(module: Any, stack: Any, template: str) -> list[tuple[str, str]]:
    """``CfnInclude`` of ``template`` into ``stack``; the resources left out to include the rest, with why.

    CloudFormation accepts "True" and "False" for a Boolean, ``CfnInclude`` only "true" and "false": those are
    lower-cased. A resource that names one the template does not have (a Serverless Framework variable, a
    macro's output), or that lacks a property aws-cdk-lib requires, is left out, at most ten of them.
    """
    path = Path(template)
    dropped: list[tuple[str, str]] = []
    while True:
        try:
            module.CfnInclude(stack, _TEMPLATE_CONSTRUCT, template_file=template)
            return dropped
        except Exception as error:
            stack.node.try_remove_child(_TEMPLATE_CONSTRUCT)
            message = _first_line(error)
            body = json.loads(path.read_text(encoding="utf-8"))
            if _BOOLEAN_REFUSED in str(error) and body != _lower_booleans(body):
                path.write_text(json.dumps(_lower_booleans(body)), encoding="utf-8")
                continue
            culprits = _culprits(body, str(error))
            if not culprits or len(dropped) + len(culprits) > _DROP_LIMIT or not _without(body, culprits):
                raise
            dropped += [(logical_id, message) for logical_id in culprits]
            path.write_text(json.dumps(body), encoding="utf-8")


def _without(template: dict[str, Any], culprits: Sequence[str]) -> bool:
    """Take ``culprits`` out of the template's resources and DependsOn lists; False when none would be left."""
    resources = template.get("Resources", {})
    for logical_id in culprits:
        resources.pop(logical_id, None)
    for resource in resources.values():
        depends = resource.get("DependsOn")
        if isinstance(depends, str) and depends in culprits:
            del resource["DependsOn"]
        elif isinstance(depends, list):
            resource["DependsOn"] = [name for name in depends if name not in culprits]
    return bool(resources)


def _culprits(template: Mapping[str, Any], message: str) -> list[str]:
    """The resources a CfnInclude refusal is about: the one missing a property, or those that name a logical
    id the template does not have."""
    resources = template.get("Resources", {})
    match = _MISSING_PROPERTY.search(message)
    if match and match.group(1) in resources:
        return [match.group(1)]
    match = _MISSING_REFERENCE.search(message)
    if match:
        missing = match.group(1)
        return [logical_id for logical_id, body in resources.items() if _names(body, missing)]
    return []


def _names(value: Any, logical_id: str) -> bool:
    if isinstance(value, str):
        return f"${{{logical_id}}}" in value or f"${{{logical_id}." in value
    if isinstance(value, Mapping):
        if value.get("Ref") == logical_id:
            return True
        attribute = value.get("Fn::GetAtt")
        if (isinstance(attribute, list) and attribute and attribute[0] == logical_id) or (
                isinstance(attribute, str) and attribute.split(".", 1)[0] == logical_id):
            return True
        return any(_names(item, logical_id) for item in value.values())
    if isinstance(value, list):
        return any(_names(item, logical_id) for item in value)
    return False


def _lower_booleans(value: Any) -> Any:
    if isinstance(value, str):
        return _BOOLEAN_SPELLINGS.get(value, value)
    if isinstance(value, dict):
        return {key: _lower_booleans(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_lower_booleans(item) for item in value]
    return value


def _first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    line = next((line for line in text if line.strip()), type(error).__name__)
    return line.removeprefix("Error: ")[:300]


if __name__ == "__main__":
    main(sys.argv[1])
