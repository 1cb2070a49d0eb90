"""Deploy-time rules about what a resource needs from its environment: the sessions that assume a role, the
organization's guardrails around an account, the policy types of the organization's root, the role a
backup plan copies with.

Like the rules of :mod:`omics_secure.compliance.rules.deploy`, each judges a constraint AWS states in prose
on the page it cites, which neither cfn-lint nor the security packs know: a template that breaks one
deploys (or rolls back) and then never works. Where the template cannot settle the question, the rule is a
warning or gives no verdict, and says so.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
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
from omics_secure.compliance.rules._policy import actions, allow_statements, as_list, principal_values, statements
from omics_secure.compliance.rules._trust import (
    principal_arn_narrowing,
    roles_by_name,
    service_roles,
    template_role,
    trust_statements,
)
from omics_secure.compliance.rules.deploy import _AVAILABILITY, _CONTINGENCY, _identity_documents
from omics_secure.compliance.rules.organization import SCP, _content, _policies, _targets
from omics_secure.inputs.values import (
    CannotJudge,
    Unknown,
    literal_text,
    mentions_resource,
    referenced_id,
    show,
    text,
)

# --- A trust that requires MFA from sessions that never carry it -------------------------------------------

# "For AssumeRoleWithWebIdentity and AssumeRoleWithSAML, the user is authenticated by an external provider and
# AWS cannot determine whether that provider required MFA"; "The temporary credentials returned by AssumeRole
# do not include MFA information in the context" (IAM User Guide, "Configure MFA-protected API access").
MFA_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_mfa_configure-api-require.html"
MFA_KEY_PAGE = ("https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"
                "#condition-keys-multifactorauthpresent")
IDENTITY_CENTER_MARKERS = ("aws-reserved/sso.amazonaws.com/", "awsreservedsso_")
# Approved people reaching what the approval grants (access enforcement). MFA enrolment itself (IA-2, 3.5.3,
# 164.312(d)) stays the user's responsibility in the report's control matrix, as for the access rules.
_PEOPLE_ACCESS = Controls(
    hipaa=("164.312(a)(1)", "164.308(a)(4)(ii)(C)"),
    nist_800_53_r5=("AC-3",),
    nist_800_171_r2=("3.1.1",),
    dbgap=("User Accounts, Passwords, and Access Control Lists",),
)


def _requires_mfa(statement: Mapping[str, Any]) -> bool:
    """True when the statement matches only requests that carry the MFA keys (no ``...IfExists``)."""
    condition = statement.get("Condition")
    if isinstance(condition, Unknown):
        raise CannotJudge("Condition", condition)
    for operator, block in (condition.items() if isinstance(condition, Mapping) else ()):
        if not isinstance(block, Mapping):
            continue
        name = str(operator).lower()
        for key, value in block.items():
            key = str(key).lower()
            if key == "aws:multifactorauthpresent":  # other keys' values (an end date) do not matter here
                values = [str(v).lower() for v in as_list(value)]
                if (name == "bool" and values == ["true"]) or (name == "null" and values == ["false"]):
                    return True
            if key == "aws:multifactorauthage" and name.startswith("numeric") and not name.endswith("ifexists"):
                return True
    return False


def _is_identity_center(value: Any) -> bool:
    return any(marker in literal_text(value).lower() for marker in IDENTITY_CENTER_MARKERS)


def _federated_only(role_id: str, resource: Resource) -> bool:
    """True when every trust statement of role ``role_id`` admits only federated (SAML, OIDC) sessions or
    Identity Center roles: its sessions never carry aws:MultiFactorAuthPresent."""
    body = resource.other(role_id)
    trust = trust_statements(body) if isinstance(body, Mapping) else []
    for statement in trust:
        kinds = principal_values(statement)
        if set(kinds) == {"Federated"}:
            continue
        arns = principal_arn_narrowing(statement) or kinds.get("AWS", [])
        if set(kinds) == {"AWS"} and arns and all(_is_identity_center(a) for a in arns):
            continue
        return False
    return bool(trust)


@dataclass(frozen=True)
class _Admitted:
    never: list[str]  # sessions that can never carry the MFA key
    role_sessions: list[str]  # role sessions, which carry it only when the role was assumed with MFA


def _mfa_admitted(resource: Resource) -> list[tuple[str, _Admitted]]:
    names = roles_by_name(resource)
    services = service_roles(resource)
    found = []
    document = resource.properties.get("AssumeRolePolicyDocument")
    for index, statement in enumerate(s for s in allow_statements(document) if _requires_mfa(s)):
        never: list[str] = []
        role_sessions: list[str] = []
        kinds = principal_values(statement)
        never += [f"the federated principal {show(v)}" for v in kinds.get("Federated", [])]
        for value in principal_arn_narrowing(statement) or kinds.get("AWS", []):
            shown = show(value)
            role_id = template_role(value, resource, names)
            if _is_identity_center(value):
                never.append(f"IAM Identity Center's roles ({shown})")
            elif role_id is not None and role_id in services:
                never.append(f"{role_id}, a role only AWS services assume")
            elif role_id is not None and _federated_only(role_id, resource):
                never.append(f"{role_id}, whose sessions are all federated")
            elif role_id is not None or ":role/" in literal_text(value):
                role_sessions.append(role_id or shown)
        label = literal_text(statement.get("Sid")) or f"trust statement {index}"
        found.append((label, _Admitted(never, role_sessions)))
    return found


def _mfa_never_present(resource: Resource) -> Verdict:
    admitted = _mfa_admitted(resource)
    if not admitted:
        return NOT_APPLICABLE
    problems = [f"{label} requires MFA of {', '.join(who.never)}" for label, who in admitted if who.never]
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


def _mfa_from_role_sessions(resource: Resource) -> Verdict:
    admitted = _mfa_admitted(resource)
    if not admitted:
        return NOT_APPLICABLE
    problems = [f"{label} requires MFA of sessions of {', '.join(who.role_sessions)}"
                for label, who in admitted if who.role_sessions]
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


TRUST_MFA_FEDERATED = Rule(
    id="IAMTrustMfaFederatedNeverPresent",
    resource_types=frozenset({"AWS::IAM::Role"}),
    finding="The role's trust requires MFA (aws:MultiFactorAuthPresent) of sessions that never carry it.",
    explanation=(
        "Federated sessions do not carry the MFA keys: 'For AssumeRoleWithWebIdentity and AssumeRoleWithSAML, "
        "the user is authenticated by an external provider and AWS cannot determine whether that provider "
        f"required MFA' ({MFA_PAGE}; the key's availability: {MFA_KEY_PAGE}). People signed in through SAML, OIDC "
        "or IAM Identity Center (whose AWSReservedSSO_ roles are assumed with SAML), and roles only AWS services "
        "assume, can therefore never satisfy Bool aws:MultiFactorAuthPresent true, Null ... false or a Numeric "
        "aws:MultiFactorAuthAge condition: the role deploys and admits none of them. Their identity provider "
        "enforces MFA; trust the provider or the permission set's roles instead, with the other conditions."
    ),
    controls=_PEOPLE_ACCESS,
    check=_mfa_never_present,
    fix=("admit federated and Identity Center people through their provider (Researchers.saml_provider, "
         "Researchers.identity_center; projects file: saml_provider or permission_set) and keep the MFA "
         "condition only on statements for IAM users"),
)

TRUST_MFA_ROLE_SESSIONS = Rule(
    id="IAMTrustMfaFromRoleSessions",
    resource_types=frozenset({"AWS::IAM::Role"}),
    finding="The role's trust requires MFA of another role's sessions, which carry it only if that role was "
            "assumed with MFA.",
    explanation=(
        "A role session carries aws:MultiFactorAuthPresent only when an IAM user assumed the role with MFA "
        "(AssumeRole with SerialNumber and TokenCode), and AWS documents that 'The temporary credentials returned "
        f"by AssumeRole do not include MFA information in the context' ({MFA_PAGE}). When people reach the named "
        "role through SAML, OIDC, IAM Identity Center or a service, none of them can assume this one. A warning: "
        "the template cannot show how the named role is assumed. Name the IAM users themselves, or admit the "
        "people through their identity provider."
    ),
    controls=_PEOPLE_ACCESS,
    check=_mfa_from_role_sessions,
    severity="warning",
    fix=("name IAM users (with MFA) as the principals, or admit federated people through their provider "
         "(Researchers.saml_provider or Researchers.identity_center) without the MFA condition"),
)


# --- An SCP allowlist that omits what a service in the environment needs -----------------------------------

@dataclass(frozen=True)
class ServiceNeed:
    """Action prefixes one service needs beyond its own, when an allowlist lets that service in."""

    what: str
    triggers: tuple[str, ...]  # allowed actions that mean the service is in use
    resource_types: tuple[str, ...]  # resources of the template that mean it too
    required: tuple[str, ...]
    page: str


SERVICE_NEEDS: tuple[ServiceNeed, ...] = (
    ServiceNeed(
        "Session Manager", ("ssm:StartSession",), ("AWS::SSM::Document",),
        ("ssmmessages:CreateControlChannel", "ssmmessages:CreateDataChannel", "ssmmessages:OpenControlChannel",
         "ssmmessages:OpenDataChannel", "ec2messages:GetMessages"),
        "https://docs.aws.amazon.com/systems-manager/latest/userguide/systems-manager-setting-up-messageAPIs.html"),
    ServiceNeed(
        "AWS Backup vaults", ("backup:CreateBackupVault",), ("AWS::Backup::BackupVault",),
        ("backup-storage:MountCapsule",),
        "https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault.html"),
    ServiceNeed(
        "HealthOmics runs", ("omics:StartRun",), ("AWS::Omics::Workflow", "AWS::Omics::RunGroup"),
        ("s3:GetObject", "s3:PutObject", "s3:ListBucket", "logs:CreateLogStream", "logs:PutLogEvents",
         "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"),
        "https://docs.aws.amazon.com/omics/latest/dev/permissions-service.html"),
    ServiceNeed(
        "KMS grants for services",
        ("omics:CreateSequenceStore", "omics:CreateReferenceStore", "healthlake:CreateFHIRDatastore",
         "backup:CreateBackupVault"),
        ("AWS::Omics::SequenceStore", "AWS::Omics::ReferenceStore", "AWS::HealthLake::FHIRDatastore",
         "AWS::Backup::BackupVault"),
        ("kms:CreateGrant", "kms:DescribeKey", "kms:Decrypt", "kms:GenerateDataKey"),
        "https://docs.aws.amazon.com/omics/latest/dev/data-protection.html"),
)


def _pattern_matches(pattern: Any, action: str) -> bool:
    return isinstance(pattern, str) and fnmatch.fnmatchcase(action.lower(), pattern.lower())


def _allows(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not any(_pattern_matches(p, action) for p in as_list(statement.get("NotAction")))
    return any(_pattern_matches(p, action) for p in actions(statement))


def _allow_lists(policies: Sequence[tuple[str, Mapping[str, Any]]]) -> dict[str, list[tuple[str, Any]]]:
    """Each target's allowlist: the Allow statements of the SCPs attached to it, when none allows ``*``."""
    by_target: dict[str, list[tuple[str, Any]]] = {}
    unrestricted: set[str] = set()
    for logical_id, properties in policies:
        if text(properties, "Type") != SCP:
            continue
        allows = [s for s in statements(_content(properties)) if text(s, "Effect") == "Allow"]
        if not allows:
            continue
        for target in _targets(properties):
            by_target.setdefault(target, []).extend((logical_id, s) for s in allows)
            if any("NotAction" not in s and "*" in actions(s) for s in allows):
                unrestricted.add(target)
    return {target: found for target, found in by_target.items() if target not in unrestricted}


def _allowlist_covers_services(resource: Resource) -> Verdict:
    policies = _policies(resource)
    if policies is None:
        return NOT_APPLICABLE
    lists = _allow_lists(policies)
    if not lists:
        return NOT_APPLICABLE
    present = {type_ for need in SERVICE_NEEDS for type_ in need.resource_types if resource.others_of_type(type_)}
    problems = []
    for target, allows in sorted(lists.items()):
        for need in SERVICE_NEEDS:
            used = [t for t in need.triggers if any(_allows(s, t) for _, s in allows)]
            used += [t for t in need.resource_types if t in present]
            if not used:
                continue
            missing = [a for a in need.required if not any(_allows(s, a) for _, s in allows)]
            if missing:
                problems.append(f"on {target}, {need.what} ({', '.join(used)}) need {', '.join(missing)}, which the "
                                f"allowlist ({', '.join(sorted({i for i, _ in allows}))}) omits ({need.page})")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


ALLOWLIST_COVERS_SERVICES = Rule(
    id="OrganizationAllowlistCoversServices",
    resource_types=frozenset({"AWS::Organizations::Policy"}),
    finding="A service control policy allowlist lets a service in but omits action prefixes that service needs.",
    explanation=(
        "An allowlist SCP (Allow statements without '*', once FullAWSAccess is detached) denies every action it "
        "does not name, to every principal of the target, service roles and forward access sessions included. "
        "Some services need action prefixes that are not services of their own: Session Manager and the SSM Agent "
        "use ssmmessages and ec2messages (https://docs.aws.amazon.com/systems-manager/latest/userguide/"
        "systems-manager-setting-up-messageAPIs.html); creating a backup vault needs backup-storage:MountCapsule "
        "(https://docs.aws.amazon.com/aws-backup/latest/devguide/create-a-vault.html); a HealthOmics run's role "
        "reads and writes S3, writes CloudWatch Logs and pulls from ECR (https://docs.aws.amazon.com/omics/latest/"
        "dev/permissions-service.html); HealthOmics, HealthLake and AWS Backup create KMS grants on customer "
        "keys as the caller (https://docs.aws.amazon.com/omics/latest/dev/data-protection.html). A service is in "
        "use when the allowlist allows it or the template holds its resources. Judged once per template, on "
        "its first Organizations policy, over the SCPs attached to each target."
    ),
    controls=_AVAILABILITY,
    check=_allowlist_covers_services,
    fix=("add the missing prefixes to the allowlist (HipaaServicesPolicy includes ssmmessages, ec2messages and "
         "backup-storage), or stop allowing the service that needs them"),
)


# --- A policy of a type nothing enables -------------------------------------------------------------------

ENABLE_POLICY_TYPE_PAGE = "https://docs.aws.amazon.com/organizations/latest/userguide/enable-policy-type.html"
OUR_ENABLER = "Custom::OrganizationsPolicyTypes"


def _enables(body: Mapping[str, Any], policy_type: str) -> bool:
    """True when ``body`` is a custom resource that enables ``policy_type`` on the root: the library's
    ``Custom::OrganizationsPolicyTypes``, or an AwsCustomResource calling Organizations' EnablePolicyType."""
    properties = body.get("Properties")
    if not isinstance(properties, Mapping):
        return False
    type_ = str(body.get("Type", ""))
    if type_ == OUR_ENABLER:
        return policy_type in [str(t) for t in as_list(properties.get("PolicyTypes"))
                               if not isinstance(t, Unknown)]
    if type_ in ("Custom::AWS", "AWS::CloudFormation::CustomResource") or type_.startswith("Custom::"):
        calls = " ".join(literal_text(properties.get(key)) for key in ("Create", "Update"))
        return "enablepolicytype" in calls.lower().replace("_", "") and policy_type in calls
    return False


def _depends_on(logical_id: str, target: str, resource: Resource, seen: set[str] | None = None) -> bool:
    """True when resource ``logical_id`` is created after ``target``: DependsOn or a reference, transitively."""
    seen = seen if seen is not None else set()
    raw = resource.template_resources.get(logical_id)
    if logical_id in seen or not isinstance(raw, Mapping):
        return False
    seen.add(logical_id)
    body = resource.other(logical_id)
    properties = body.get("Properties") if isinstance(body, Mapping) else None
    depends = raw.get("DependsOn")
    direct = [str(d) for d in (depends if isinstance(depends, list) else [depends]) if isinstance(d, str)]
    if target in direct or mentions_resource(properties, target):
        return True
    return any(_depends_on(other, target, resource, seen) for other in direct)


def _policy_type_enabled(resource: Resource) -> Verdict:
    policy_type = text(resource.properties, "Type")
    if policy_type is None:
        return NOT_APPLICABLE
    types = sorted({OUR_ENABLER, "AWS::CloudFormation::CustomResource", *_custom_types(resource)})
    enablers = [logical_id for logical_id, body in resource.others_of_type(*types) if _enables(body, policy_type)]
    if not enablers:
        return non_compliant(
            f"nothing in the template enables {policy_type} on the organization's root; unless it is already "
            f"enabled (aws organizations list-roots), creating this policy fails with "
            f"PolicyTypeNotEnabledException")
    if not any(_depends_on(resource.logical_id, enabler, resource) for enabler in enablers):
        return non_compliant(f"{', '.join(sorted(enablers))} enables {policy_type}, but the policy does not depend "
                             "on it, so CloudFormation may create the policy first; add DependsOn")
    return COMPLIANT


def _custom_types(resource: Resource) -> set[str]:
    return {str(body.get("Type")) for body in resource.template_resources.values()
            if isinstance(body, Mapping) and str(body.get("Type", "")).startswith("Custom::")}


POLICY_TYPE_ENABLED = Rule(
    id="OrganizationPolicyTypeEnabled",
    resource_types=frozenset({"AWS::Organizations::Policy"}),
    finding="Nothing in the template enables the Organizations policy's type on the root before the policy is "
            "created.",
    explanation=(
        "'Before you can create and attach a policy to your organization, you must enable that policy type for "
        f"use. Enabling a policy type is a one-time task on the organization root' ({ENABLE_POLICY_TYPE_PAGE}). "
        "CloudFormation has no resource for it: a policy of a type the root has not enabled fails with "
        "PolicyTypeNotEnabledException and the stack rolls back. Compliant when a custom resource of the "
        "template enables the type (omics-secure's Custom::OrganizationsPolicyTypes, or an AwsCustomResource "
        "calling EnablePolicyType) and the policy depends on it. When the type is already enabled on the root, "
        "acknowledge the finding naming the root and the date it was enabled: a template cannot show it."
    ),
    controls=_AVAILABILITY,
    check=_policy_type_enabled,
    fix=("use the library's policy constructs, which add OrganizationPolicyTypes; otherwise enable the type "
         "(aws organizations enable-policy-type --root-id r-... --policy-type TYPE) and acknowledge this finding "
         "with the root and the date, or add a custom resource calling EnablePolicyType that the policy depends on"),
)


# --- A backup plan that copies with a role that cannot copy ----------------------------------------------

COPY_ACTION = "backup:CopyIntoBackupVault"
BACKUP_MANAGED_POLICIES = ("AWSBackupServiceRolePolicyForBackup",)


def _copy_destinations(properties: Mapping[str, Any]) -> list[Any]:
    plan = properties.get("BackupPlan")
    rules = as_list(plan.get("BackupPlanRule")) if isinstance(plan, Mapping) else []
    return [action.get("DestinationBackupVaultArn") for rule in rules if isinstance(rule, Mapping)
            for action in as_list(rule.get("CopyActions")) if isinstance(action, Mapping)]


def _selection_roles(resource: Resource) -> list[Any]:
    roles = []
    for _, body in resource.others_of_type("AWS::Backup::BackupSelection"):
        properties = body.get("Properties")
        if not isinstance(properties, Mapping) or referenced_id(properties.get("BackupPlanId")) != resource.logical_id:
            continue
        selection = properties.get("BackupSelection")
        if isinstance(selection, Mapping):
            roles.append(selection.get("IamRoleArn"))
    return roles


def _covers_vault(resources: Iterable[Any], destination: Any) -> bool:
    for value in resources:
        if value == "*" or value == destination:
            return True
        if isinstance(value, str) and isinstance(destination, str) and fnmatch.fnmatchcase(destination, value):
            return True
        if not isinstance(destination, str) and "backup-vault:" in literal_text(value) and "*" in literal_text(value):
            return True
    return False


def _role_can_copy(role_id: str, destination: Any, resource: Resource) -> bool:
    body = resource.other(role_id)
    properties = body.get("Properties") if isinstance(body, Mapping) else None
    managed = as_list(properties.get("ManagedPolicyArns")) if isinstance(properties, Mapping) else []
    if any(literal_text(arn).rstrip().endswith(name) for arn in managed for name in BACKUP_MANAGED_POLICIES):
        return True
    for document in _identity_documents(role_id, resource):
        for statement in allow_statements(document):
            if _allows(statement, COPY_ACTION) and _covers_vault(as_list(statement.get("Resource")), destination):
                return True
    return False


def _backup_copy_role(resource: Resource) -> Verdict:
    destinations = _copy_destinations(resource.properties)
    if not destinations:
        return NOT_APPLICABLE
    names = roles_by_name(resource)
    judged = [role_id for value in _selection_roles(resource)
              if (role_id := template_role(value, resource, names)) is not None]
    if not judged:
        return NOT_APPLICABLE  # no selection, or a role outside the template: nothing to read
    problems = [f"{role_id} may not {COPY_ACTION} into {show(d)}"
                for role_id in judged for d in destinations if not _role_can_copy(role_id, d, resource)]
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


BACKUP_COPY_ROLE_CAN_COPY = Rule(
    id="BackupCopyRoleCanCopy",
    resource_types=frozenset({"AWS::Backup::BackupPlan"}),
    finding="The backup plan copies recovery points with a role that may not copy into the destination vault.",
    explanation=(
        "A plan's copy job runs as the role of the plan's backup selection, the IamRoleArn StartCopyJob 'uses "
        "to copy the target recovery point' (https://docs.aws.amazon.com/aws-backup/latest/devguide/"
        "API_StartCopyJob.html), and needs backup:CopyIntoBackupVault on the destination vault, which AWS's "
        "AWSBackupServiceRolePolicyForBackup grants (https://docs.aws.amazon.com/aws-managed-policy/latest/"
        "reference/AWSBackupServiceRolePolicyForBackup.html). Without it every copy job fails while the backups "
        "succeed, and the disaster-recovery copy the contingency plan relies on never exists. Judged when the "
        "selection's role is in the template."
    ),
    controls=_CONTINGENCY,
    check=_backup_copy_role,
    fix=("use PhiBackup(copy_to=...), which grants it; otherwise allow backup:CopyIntoBackupVault on the "
         "destination vault's ARN in the selection role's policy, or attach AWSBackupServiceRolePolicyForBackup"),
)

DEPLOY_ENVIRONMENT_RULES = (
    TRUST_MFA_FEDERATED,
    TRUST_MFA_ROLE_SESSIONS,
    ALLOWLIST_COVERS_SERVICES,
    POLICY_TYPE_ENABLED,
    BACKUP_COPY_ROLE_CAN_COPY,
)
