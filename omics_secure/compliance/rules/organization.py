"""Rules for the organization's guardrails: service control policies (``AWS::Organizations::Policy``).

Both rules judge a template that holds Organizations policies (the guardrails stack of the management
account); a template with none is not judged, so an ordinary app never fails them. Each rule gives one
verdict per template, on its first Organizations policy (in template order), because what it asks is a
property of the template's policies together:

- ``OrganizationRegionLock``: some SCP denies requests whose ``aws:RequestedRegion`` is not an approved
  region, and it is attached to every target (OU, account) that any Organizations policy of the template
  is attached to (the projects' OUs), or to the root.
- ``OrganizationControlsProtected``: SCPs deny stopping or deleting the trail, stopping or deleting AWS
  Config, and disabling or scheduling the deletion of KMS keys, to every principal but named exceptions, on
  every such target.

An SCP attached to an OU above a target covers it, which a template cannot show: acknowledge the finding
with the OU that covers it, or attach the policy to the target.

Policy syntax: https://docs.aws.amazon.com/organizations/latest/userguide/orgs_manage_policies_scps_syntax.html;
resource: https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-organizations-policy.html
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from typing import Any

from omics_secure.compliance.model import (
    COMPLIANT,
    NOT_APPLICABLE,
    Controls,
    Resource,
    Rule,
    Verdict,
    non_compliant,
)
from omics_secure.compliance.rules._policy import statements
from omics_secure.inputs.values import CannotJudge, Unknown, items, show, text

ORGANIZATIONS_POLICY = frozenset({"AWS::Organizations::Policy"})
SCP = "SERVICE_CONTROL_POLICY"
PROTECTED_ACTIONS = {
    "the trail": ("cloudtrail:StopLogging", "cloudtrail:DeleteTrail"),
    "AWS Config": ("config:StopConfigurationRecorder", "config:DeleteConfigurationRecorder"),
    "the keys": ("kms:DisableKey", "kms:ScheduleKeyDeletion"),
}
_PRINCIPAL_KEYS = {"aws:principalarn"}
_EXCLUDING_OPERATORS = {"arnnotlike", "arnnotequals", "stringnotlike", "stringnotequals"}


def _content(properties: Mapping[str, Any]) -> Any:
    content = properties.get("Content")
    if isinstance(content, Unknown):
        raise CannotJudge("Content", content)
    if isinstance(content, str):
        try:
            return json.loads(content)
        except ValueError:
            return {}
    return content


def _target_key(value: Any) -> str:
    if isinstance(value, Unknown):
        raise CannotJudge("TargetIds", value)
    return value if isinstance(value, str) else show(value)


def _targets(properties: Mapping[str, Any]) -> set[str]:
    return {_target_key(target) for target in items(properties, "TargetIds")}


def _policies(resource: Resource) -> list[tuple[str, Mapping[str, Any]]] | None:
    """The template's Organizations policies (logical id, properties), or None when ``resource`` is not the
    first of them: the rule gives its verdict once per template."""
    policies = resource.others_of_type(*ORGANIZATIONS_POLICY)
    if not policies or policies[0][0] != resource.logical_id:
        return None
    return [(logical_id, body.get("Properties") or {}) for logical_id, body in policies
            if isinstance(body, Mapping)]


def _scps(policies: list[tuple[str, Mapping[str, Any]]]) -> list[tuple[str, Mapping[str, Any]]]:
    return [(logical_id, properties) for logical_id, properties in policies if text(properties, "Type") == SCP]


def _all_targets(policies: list[tuple[str, Mapping[str, Any]]]) -> set[str]:
    return {target for _, properties in policies for target in _targets(properties)}


def _uncovered(needed: set[str], covering: set[str]) -> list[str]:
    if any(target.startswith("r-") for target in covering):
        return []  # attached to the root: every OU and account is below it
    return sorted(needed - covering)


def _lower_keys(block: Any) -> dict[str, Any]:
    return {str(k).lower(): v for k, v in block.items()} if isinstance(block, Mapping) else {}


def _condition(statement: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    condition = statement.get("Condition")
    if isinstance(condition, Unknown):
        raise CannotJudge("Condition", condition)
    if not isinstance(condition, Mapping):
        return {}
    return {str(operator).lower(): _lower_keys(block) for operator, block in condition.items()}


def _is_region_lock(statement: Mapping[str, Any]) -> bool:
    if text(statement, "Effect") != "Deny" or "*" not in [str(r) for r in items(statement, "Resource")]:
        return False
    if "NotAction" not in statement and "*" not in [str(a) for a in items(statement, "Action")]:
        return False
    condition = _condition(statement)
    regions = [values for operator, block in condition.items()
               if operator in ("stringnotequals", "stringnotequalsifexists", "stringnotlike")
               for key, values in block.items() if key == "aws:requestedregion"]
    return bool(regions) and all(_only_principal_exclusion(operator, block) for operator, block in condition.items()
                                 if operator not in ("stringnotequals", "stringnotequalsifexists", "stringnotlike")
                                 or "aws:requestedregion" not in block)


def _only_principal_exclusion(operator: str, block: Mapping[str, Any]) -> bool:
    """True when a condition block only exempts named principals (and does not exempt every one)."""
    if operator not in _EXCLUDING_OPERATORS or set(block) - _PRINCIPAL_KEYS:
        return False
    for values in block.values():
        for value in values if isinstance(values, list) else [values]:
            if not isinstance(value, str):
                raise CannotJudge("Condition aws:PrincipalArn", value)
            name = value.rsplit(":", 1)[-1].removeprefix("role/").removeprefix("user/")
            if not name.replace("/", "").strip("*"):
                return False  # "*", "arn:aws:iam::*:role/*": exempts everyone
    return True


def _denied_actions(statement: Mapping[str, Any]) -> list[str]:
    """The actions a Deny statement denies to (nearly) everyone on every resource; none when it is narrower."""
    if text(statement, "Effect") != "Deny" or "*" not in [str(r) for r in items(statement, "Resource")]:
        return []
    if not all(_only_principal_exclusion(operator, block) for operator, block in _condition(statement).items()):
        return []
    return [str(action) for action in items(statement, "Action")]


def _matches(pattern: str, action: str) -> bool:
    return fnmatch.fnmatchcase(action.lower(), pattern.lower())


def _region_lock(resource: Resource) -> Verdict:
    policies = _policies(resource)
    if policies is None:
        return NOT_APPLICABLE
    locks = [(logical_id, properties) for logical_id, properties in _scps(policies)
             if any(_is_region_lock(s) for s in statements(_content(properties)))]
    if not locks:
        return non_compliant("no service control policy denies requests outside the approved regions "
                             "(a Deny with NotAction and a StringNotEquals aws:RequestedRegion condition)")
    missing = _uncovered(_all_targets(policies), _all_targets(locks))
    if missing:
        return non_compliant(f"the region lock ({', '.join(i for i, _ in locks)}) is not attached to "
                             f"{', '.join(missing)}, which other organization policies of this template target")
    return COMPLIANT


def _controls_protected(resource: Resource) -> Verdict:
    policies = _policies(resource)
    if policies is None:
        return NOT_APPLICABLE
    needed = _all_targets(policies)
    problems = []
    for what, actions in PROTECTED_ACTIONS.items():
        for action in actions:
            covering = [(logical_id, properties) for logical_id, properties in _scps(policies)
                        if any(_matches(pattern, action) for s in statements(_content(properties))
                               for pattern in _denied_actions(s))]
            if not covering:
                problems.append(f"{action} ({what}) is denied by no service control policy")
                continue
            missing = _uncovered(needed, _all_targets(covering))
            if missing:
                problems.append(f"{action} ({what}) is not denied on {', '.join(missing)}")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


ORGANIZATION_RULES: tuple[Rule, ...] = (
    Rule(
        id="OrganizationRegionLock",
        resource_types=ORGANIZATIONS_POLICY,
        finding="The organization's policies have no region lock covering every project target",
        explanation="Controlled-access data may only be stored and processed in the regions the Data Access "
                    "Committee approved; a service control policy denying requests outside them (global services "
                    "exempted) makes that hold for every principal of the projects' accounts, whatever IAM allows.",
        controls=Controls(hipaa=("164.308(a)(4)(ii)(B)", "164.312(a)(1)"), nist_800_53_r5=("AC-3", "CM-7"),
                          nist_800_171_r2=("3.1.1", "3.4.6"), dbgap=("Data Location",)),
        check=_region_lock,
        fix="use RegionLockPolicy (or OrganizationGuardrails) with the projects' OUs as target_ids; in CloudFormation "
            "add an AWS::Organizations::Policy of Type SERVICE_CONTROL_POLICY with a Deny, NotAction on the global "
            "services, Condition StringNotEquals aws:RequestedRegion, and every project OU in TargetIds",
    ),
    Rule(
        id="OrganizationControlsProtected",
        resource_types=ORGANIZATIONS_POLICY,
        finding="The organization's policies do not stop principals turning off the trail, AWS Config or the keys",
        explanation="An administrator of a project account can otherwise stop the audit trail, switch off AWS Config "
                    "or disable the data keys; a service control policy denying those actions to all but a "
                    "break-glass role keeps the audit record and the encryption in place.",
        controls=Controls(hipaa=("164.312(b)", "164.308(a)(1)(ii)(D)", "164.312(a)(2)(iv)"),
                          nist_800_53_r5=("AU-9", "SC-12", "CM-6"), nist_800_171_r2=("3.3.8", "3.4.2"),
                          dbgap=("Auditing, Logging, and Monitoring",)),
        check=_controls_protected,
        fix="use ControlsProtectionPolicy (or OrganizationGuardrails) on the projects' OUs; in CloudFormation deny "
            "cloudtrail:StopLogging, cloudtrail:DeleteTrail, config:StopConfigurationRecorder, "
            "config:DeleteConfigurationRecorder, kms:DisableKey and kms:ScheduleKeyDeletion on Resource * with "
            "only an ArnNotLike aws:PrincipalArn exemption of a named break-glass role",
    ),
)
