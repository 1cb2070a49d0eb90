"""The project's pack as a cdk-nag v3 plugin, and the registration of every pack on an app.

``OmicsSecureChecks`` runs the project's rules on the synthesized templates (escape-hatch overrides
included) instead of walking L1 constructs, so it shows in CDK's validation report beside cdk-nag's own
packs while its rules stay pure Python functions that also run on a plain cloud assembly.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import aws_cdk as cdk
from cdk_nag import AwsSolutionsChecks, HIPAASecurityChecks, NagPack, NIST80053R5Checks
from constructs import IConstruct

from omics_secure._internal.tags import CDK_NAG_PACK_NAMES
from omics_secure.compliance.engine import STACK_LIMITS_RULE_ID, Finding, evaluate_stacks, stack_limit_warning
from omics_secure.compliance.model import Pack, Status
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.inputs.assembly import StackArtifact, read_assembly, stacks_for_template
from omics_secure.reporting.validation_report import FINDING_MESSAGES, RULE_THREW


class OmicsSecureChecks(NagPack):
    """The project's own rules as a CDK policy-validation plugin.

    Register with ``Validations.of(app).add_plugins(OmicsSecureChecks(app))``. Acknowledge a finding
    with :func:`omics_secure._internal.acknowledgments`, which records it in validation-report.json.
    """

    def __init__(self, scope: IConstruct | None = None, *, pack: Pack = OMICS_SECURE_PACK,
                 verbose: bool = False) -> None:
        super().__init__(scope, verbose=verbose)
        self._omics_pack = pack
        self._omics_verbose = verbose
        self._pack_name = pack.name

    @property
    def name(self) -> str:
        return self._omics_pack.name

    @property
    def pack(self) -> Pack:
        return self._omics_pack

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        stacks = [stack for path in context.template_paths for stack in stacks_for_template(path)]
        return self._report(evaluate_stacks(self._omics_pack, stacks), stacks)

    def validate_scope(self, scope: IConstruct) -> cdk.PolicyValidationPluginReport:
        """Synthesize the app that holds ``scope`` and judge the stacks under it.

        Bare-id acknowledgments are honoured here; ``Pack::RuleId`` acknowledgments are applied by CDK
        only during ``app.synth()``, so this direct call lists them as violations, as cdk-nag's do.
        """
        root = scope.node.root
        if not isinstance(root, cdk.Stage):
            raise TypeError(f"{scope.node.path or 'scope'} is not inside a CDK App or Stage")
        try:
            root.synth()
        except RuntimeError as error:
            if "ValidationFailed" not in str(error):
                raise
        prefix = scope.node.path
        stacks = [stack for stack in read_assembly(root.outdir)
                  if not prefix or any(p == prefix or p.startswith(prefix + "/")
                                       for p in stack.construct_paths.values())]
        findings = [f for f in evaluate_stacks(self._omics_pack, stacks)
                    if not prefix or f.construct_path == prefix or f.construct_path.startswith(prefix + "/")]
        return self._report([f for f in findings if not f.acknowledgment or f.acknowledgment.is_recorded], stacks)

    def _check_resource(self, node: cdk.CfnResource) -> None:
        """Unused: the rules judge synthesized templates in :meth:`validate`, not L1 constructs."""

    def _report(self, findings: list[Finding], stacks: list[StackArtifact]) -> cdk.PolicyValidationPluginReport:
        # Bare-id acknowledgments are applied here, as cdk-nag does; 'Pack::RuleId' ones are left for
        # CDK core, which moves them to suppressedViolations with their reason.
        reported = [f for f in findings if f.acknowledgment is None or f.acknowledgment.is_recorded]
        by_rule: dict[tuple[str, Status], list[Finding]] = {}
        for finding in reported:
            by_rule.setdefault((finding.rule_id, finding.status), []).append(finding)
        violations = [self._violation(rule_findings) for rule_findings in by_rule.values()]
        # Warnings do not fail synthesis; CDK prints them and records them in the report.
        warnings = [self._limit_warning(stack, message) for stack in stacks
                    if (message := stack_limit_warning(stack)) is not None]
        failed = any(f.severity == "error" for f in reported)
        return cdk.PolicyValidationPluginReport(success=not failed, violations=[*violations, *warnings])

    def _limit_warning(self, stack: StackArtifact, message: str) -> cdk.PolicyViolation:
        return cdk.PolicyViolation(
            rule_name=f"{self._omics_pack.name}-{STACK_LIMITS_RULE_ID}",
            description=message,
            severity="warning",
            violating_resources=[cdk.PolicyViolatingResource(
                construct_path=stack.name, template_path=str(stack.template_path), locations=["Resources"])],
        )

    def _violation(self, findings: list[Finding]) -> cdk.PolicyViolation:
        """One violation per rule and verdict: non-compliant findings and rule errors as errors (a rule
        error names the rule, the logical id and the exception), cannot-judge verdicts as warnings."""
        rule, status = findings[0].rule, findings[0].status
        description = f"{rule.finding} {rule.explanation}" if self._omics_verbose else rule.finding
        if status is Status.CANNOT_JUDGE:
            description = f"Cannot judge before deployment: {description}"
        elif status is Status.ERROR:
            description = "; ".join(sorted({f.message for f in findings}))
        details = "; ".join(sorted({f"{f.construct_path}: {f.detail}" for f in findings if f.detail}))
        metadata: dict[str, Any] = {"controls": rule.controls.summary(), "verdict": status.value}
        if details:
            metadata["details"] = details
        # The description is the rule's, shared by every resource of the violation; what exactly is wrong in each
        # resource travels beside it, for omics-secure check to report as it does on a template.
        metadata[FINDING_MESSAGES] = json.dumps({f.construct_path: f.message for f in findings}, sort_keys=True)
        return cdk.PolicyViolation(
            rule_name=findings[0].rule_id,
            description=f"{description} - ({rule.controls.summary()}).",
            severity=findings[0].severity,
            rule_metadata=metadata,
            violating_resources=[
                cdk.PolicyViolatingResource(
                    construct_path=f.construct_path,
                    resource_logical_id=f.logical_id,
                    locations=["Properties"],
                )
                for f in findings
            ],
        )


class SeparatedNagPack(NagPack):
    """One of cdk-nag's packs, with a rule that raised reported apart from its findings.

    cdk-nag 3 groups a pack's violations by rule and keeps the description of the first resource added
    (``NagPack.addViolation``): when a rule raises on one resource (it could not read a value) before it finds
    a problem in another, both are listed as "Rule threw an error", so the finding is lost among failures.
    This plugin runs the pack as cdk-nag does, then judges each resource of such a violation again on its own
    (``validate_scope`` of the resource) and reports findings and failures separately. The opposite case, a
    finding listed first and a failure after it, reports the failure as a finding: the safe direction (a
    resource that could not be judged is not passed), and separating every group would cost five times the
    pack's own run.
    """

    def __init__(self, pack: NagPack, scope: IConstruct) -> None:
        super().__init__(scope)
        self._inner = pack
        self._scope = scope

    @property
    def name(self) -> str:
        return str(self._inner.name)

    def validate(self, context: cdk.IPolicyValidationContext) -> cdk.PolicyValidationPluginReport:
        return self.validate_scope(self._scope.node.root)

    def validate_scope(self, scope: IConstruct) -> cdk.PolicyValidationPluginReport:
        report = self._inner.validate_scope(scope)
        own: dict[str, dict[str, cdk.PolicyViolation]] = {}  # construct path -> rule -> its own violation

        def alone(path: str) -> dict[str, cdk.PolicyViolation]:
            if path not in own:
                node = _find_path(scope.node.root, path)
                own[path] = ({} if node is None else
                             {str(v.rule_name): v for v in self._inner.validate_scope(node).violations})
            return own[path]

        violations: list[cdk.PolicyViolation] = []
        for violation in report.violations:
            resources = list(violation.violating_resources)
            if len(resources) < 2 or not str(violation.description).startswith(RULE_THREW):
                violations.append(violation)
                continue
            groups: dict[tuple[str, str], list[cdk.PolicyViolatingResource]] = {}
            for resource in resources:
                found = alone(str(resource.construct_path)).get(str(violation.rule_name), violation)
                groups.setdefault((str(found.description), str(found.severity)), []).append(resource)
            violations += [cdk.PolicyViolation(rule_name=violation.rule_name, description=description,
                                               severity=severity, violating_resources=members)
                           for (description, severity), members in groups.items()]
        return cdk.PolicyValidationPluginReport(success=report.success, violations=violations)

    def _check_resource(self, node: cdk.CfnResource) -> None:
        """Unused: the inner pack judges."""


def _find_path(root: IConstruct, path: str) -> IConstruct | None:
    """The construct at ``path`` (from the root, as cdk-nag reports it), or None."""
    node: IConstruct | None = root
    for part in path.split("/") if path else []:
        if node is None:
            return None
        node = node.node.try_find_child(part)
    return node


CDK_NAG_PACKS: dict[str, Callable[[IConstruct], NagPack]] = dict(zip(
    CDK_NAG_PACK_NAMES, (HIPAASecurityChecks, NIST80053R5Checks, AwsSolutionsChecks), strict=True))


def cdk_nag_packs(scope: IConstruct, names: Sequence[str] = CDK_NAG_PACK_NAMES) -> list[cdk.IPolicyValidationPlugin]:
    """cdk-nag's packs named ``names`` (HIPAA.Security, NIST.800.53.R5, AwsSolutions by default), each
    reporting a rule that raised apart from its findings."""
    return [SeparatedNagPack(CDK_NAG_PACKS[name](scope), scope) for name in names]


def compliance_packs(scope: IConstruct) -> list[cdk.IPolicyValidationPlugin]:
    """cdk-nag's HIPAA.Security, NIST.800.53.R5 and AwsSolutions packs, and the project's own."""
    return [*cdk_nag_packs(scope), OmicsSecureChecks(scope)]


_REGISTERED_ATTRIBUTE = "_omics_secure_compliance_packs"


def add_compliance_packs(app: cdk.App) -> None:
    """Register every pack on ``app``: ``cdk synth`` then fails on any unacknowledged finding.

    Registering twice on the same app is a no-op, so an app that registers the packs itself can
    still be run by ``omics-secure check``.
    """
    if hasattr(app, _REGISTERED_ATTRIBUTE):
        return
    packs = compliance_packs(app)
    cdk.Validations.of(app).add_plugins(*packs)
    setattr(app, _REGISTERED_ATTRIBUTE, packs)


def registered_packs(app: cdk.App) -> list[cdk.IPolicyValidationPlugin]:
    """The packs :func:`add_compliance_packs` registered on ``app``."""
    return list(getattr(app, _REGISTERED_ATTRIBUTE, []))
