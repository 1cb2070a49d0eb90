"""Rules for customer-managed KMS keys that protect PHI and controlled-access genomic data."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from omics_secure._internal.naming import phi_like_name
from omics_secure.compliance.model import (
    COMPLIANT,
    NOT_APPLICABLE,
    Controls,
    Resource,
    Rule,
    Verdict,
    cannot_judge,
    non_compliant,
)
from omics_secure.compliance.rules._evaluate import open_grant, reader
from omics_secure.compliance.rules._policy import (
    actions,
    allow_statements,
    condition_keys,
    has_empty_principal,
    mentions,
    principal_values,
)
from omics_secure.inputs.values import CannotJudge, each, field, flag, known, literal_text, show, text

KMS_KEY = frozenset({"AWS::KMS::Key"})
KMS_ALIAS = frozenset({"AWS::KMS::Alias"})
# Both keep the key when the stack is deleted; RetainExceptOnCreate deletes it only when the stack operation
# that created it rolls back, before anything was encrypted under it. DeletionPolicy:
# https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html
RETAINING_POLICIES = ("Retain", "RetainExceptOnCreate")
_GRANT_SERVICES = ("omics", "healthlake")
_KEY_MANAGEMENT = Controls(
    hipaa=("164.312(a)(2)(iv)",),
    nist_800_53_r5=("SC-12", "SC-12(2)", "SC-28"),
    nist_800_171_r2=("3.13.10", "3.13.16"),
    dbgap=("Data Encryption",),
)
_KEY_ACCESS = Controls(
    hipaa=("164.308(a)(4)(ii)(B)", "164.312(a)(1)"),
    nist_800_53_r5=("AC-3", "AC-6", "SC-12"),
    nist_800_171_r2=("3.1.1", "3.1.5", "3.13.10"),
    dbgap=("User Accounts, Passwords, and Access Control Lists", "Data Encryption"),
)


def _verdict(problems: list[str], unknown: list[CannotJudge]) -> Verdict:
    if problems:
        return non_compliant("; ".join(problems))
    return cannot_judge("; ".join(dict.fromkeys(str(u) for u in unknown))) if unknown else COMPLIANT


def _is_symmetric(resource: Resource) -> bool:
    return (text(resource.properties, "KeySpec") or "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT"


def _rotation_enabled(resource: Resource) -> Verdict:
    if not _is_symmetric(resource):
        return NOT_APPLICABLE
    if flag(resource.properties, "EnableKeyRotation") is True:
        return COMPLIANT
    return non_compliant(f"EnableKeyRotation is {show(resource.properties.get('EnableKeyRotation'))}, not true")


def _grant_service_named(statement: Mapping[str, Any], conditions: dict[str, list[Any]]) -> str | None:
    """'omics' or 'healthlake' when the statement is for one of the grant-creating services."""
    via_service = conditions.get("kms:viaservice", [])
    services = principal_values(statement).get("Service", [])
    for name in _GRANT_SERVICES:
        if mentions(via_service, f"{name}.") or mentions(services, f"{name}."):
            return name
    return None


def _label(index: int, statement: Mapping[str, Any]) -> str:
    return text(statement, "Sid") or f"statement {index}"


def _grant_statement_problems(entry: tuple[int, Mapping[str, Any]]) -> list[str]:
    index, statement = entry
    conditions = condition_keys(statement)
    service = _grant_service_named(statement, conditions)
    if service is None:
        return []
    label = _label(index, statement)
    problems = []
    missing = [key for key in ("kms:ViaService", "kms:CallerAccount") if key.lower() not in conditions]
    if missing:
        problems.append(f"{label} ({service}) lacks {' and '.join(missing)}")
    if "kms:CreateGrant" in actions(statement) and "kms:grantisforawsresource" not in conditions:
        problems.append(f"{label} ({service}) allows kms:CreateGrant without kms:GrantIsForAWSResource")
    return problems


def _grant_service_statements_scoped(resource: Resource) -> Verdict:
    policy = allow_statements(known(resource.properties, "KeyPolicy"))
    return _verdict(*each(enumerate(policy), _grant_statement_problems))


def _no_open_principal(resource: Resource) -> Verdict:
    """Each Allow statement of the key policy, asked of the evaluator for principal ``*``: a grant whose
    remaining conditions do not restrict who (``aws:SecureTransport``, ``StringLike kms:CallerAccount "*"``)
    is as open as one without conditions, and an Allow with NotPrincipal grants everyone it does not name. The
    policy's Deny statements count: a deny of every caller outside the account pins the grant to it."""
    document = known(resource.properties, "KeyPolicy")
    template, resolution = reader(resource)
    policy = template.policy(document, resolution, "")
    key_arn = template.arn(resource.logical_id, resolution)
    problems, unknown = each(enumerate(allow_statements(document)), lambda entry: [
        f"{_label(*entry)} has an empty principal"] if has_empty_principal(entry[1]) else [])
    denies = [statement for statement in policy.statements if not statement.allows]
    for statement in policy.statements:
        try:
            problem = open_grant(statement, key_arn, template.account, "kms", denies)
        except CannotJudge as cannot:
            unknown.append(cannot)
            continue
        if problem:
            problems.append(problem)
    return _verdict(problems, unknown)


def _retained(resource: Resource) -> Verdict:
    policy = text({"DeletionPolicy": resource.deletion_policy}, "DeletionPolicy")
    if policy in RETAINING_POLICIES:
        return COMPLIANT
    return non_compliant(f"DeletionPolicy is {policy or 'Delete (default)'}")


def _alias_name_without_phi(resource: Resource) -> Verdict:
    kind = phi_like_name(literal_text(field(resource.properties, "AliasName")))
    # The detail names the kind, never the value: findings go to CI logs and reports.
    return non_compliant(f"AliasName looks like PHI ({kind})") if kind else COMPLIANT


KEY_ROTATION_ENABLED = Rule(
    id="KMSKeyRotationEnabled",
    resource_types=KMS_KEY,
    finding="The symmetric KMS key does not rotate its key material.",
    explanation=(
        "Automatic rotation limits the data encrypted under one key version, as NIST SC-12 key "
        "management expects; HealthOmics and HealthLake keep working across rotations."
    ),
    controls=_KEY_MANAGEMENT,
    check=_rotation_enabled,
    fix=("PhiKey rotates (rotation_period, 90 to 2560 days); with kms.Key pass enable_key_rotation=True; "
         "in CloudFormation set EnableKeyRotation: true"),
)

GRANT_SERVICE_STATEMENTS_SCOPED = Rule(
    id="KMSGrantServiceStatementScoped",
    resource_types=KMS_KEY,
    finding=(
        "A key-policy statement for HealthOmics or HealthLake lacks kms:ViaService or kms:CallerAccount, "
        "or allows kms:CreateGrant without kms:GrantIsForAWSResource."
    ),
    explanation=(
        "The HealthOmics and HealthLake data-protection guides scope the grant statement with "
        "kms:ViaService and kms:CallerAccount so that the key is usable only through that service on "
        "behalf of this account; grants limited to AWS resources stop a principal minting its own."
    ),
    controls=_KEY_ACCESS,
    check=_grant_service_statements_scoped,
    fix=("PhiKey(services=[KeyService.OMICS, KeyService.HEALTHLAKE, ...]) writes these statements; by "
         "hand, add Condition kms:ViaService (<service>.<region>.amazonaws.com) and kms:CallerAccount to "
         "each service statement, and kms:GrantIsForAWSResource: true to its kms:CreateGrant"),
)

KEY_POLICY_NO_OPEN_PRINCIPAL = Rule(
    id="KMSKeyPolicyNoOpenPrincipal",
    resource_types=KMS_KEY,
    finding=("The key policy lets any principal use the key (a '*' or NotPrincipal grant whose conditions do not "
             "restrict who), or names an empty principal."),
    explanation=(
        "A '*' principal lets any AWS account use the key unless a condition pins the caller (aws:PrincipalArn, "
        "aws:PrincipalAccount, aws:PrincipalOrgID, kms:CallerAccount with a real account); aws:SecureTransport "
        "or StringLike kms:CallerAccount '*' restrict nothing, and an Allow with NotPrincipal grants everyone "
        "it does not name. The policy evaluator decides which conditions remain. An empty service principal "
        "(as in a documentation template left unfilled) is either rejected or grants nothing intended."
    ),
    controls=_KEY_ACCESS,
    check=_no_open_principal,
    fix=("name the account root or specific roles as Principal (PhiKey does); a '*' principal needs a "
         "condition such as aws:PrincipalAccount or kms:CallerAccount"),
)

KEY_RETAINED = Rule(
    id="KMSKeyRetained",
    resource_types=KMS_KEY,
    finding="The KMS key is not retained when its stack is deleted.",
    explanation=(
        "Deleting the stack would schedule the key for deletion, after which every object, store and "
        "backup encrypted under it is unrecoverable. Retire keys deliberately at project close-out."
    ),
    controls=Controls(
        hipaa=("164.308(a)(7)(ii)(A)", "164.312(c)(1)"),
        nist_800_53_r5=("CP-9", "SC-12"),
        nist_800_171_r2=("3.8.9",),
        dbgap=("Cleaning Up Data and Retaining Results",),
    ),
    check=_retained,
    fix=("PhiKey retains by default; with kms.Key pass removal_policy=cdk.RemovalPolicy.RETAIN; in "
         "CloudFormation set DeletionPolicy: Retain and UpdateReplacePolicy: Retain"),
)

ALIAS_NO_PHI_IN_NAME = Rule(
    id="KMSAliasNoPhiInName",
    resource_types=KMS_ALIAS,
    finding=("The KMS alias name looks like PHI (an e-mail address, SSN, phone number or MRN, patient, subject or "
             "DOB followed by digits, or 8 or more digits in a row)."),
    explanation=(
        "Alias names are not encrypted with the data they protect: ListAliases shows them to anyone with "
        "kms:ListAliases in the account, and they appear in consoles and CloudTrail. Keep identifiers inside the "
        "encrypted objects. A 12-digit account id standing alone and hashes CDK generates are not identifiers "
        "of a person."
    ),
    controls=Controls(
        hipaa=("164.312(a)(1)", "164.312(a)(2)(iv)"),
        nist_800_53_r5=("AC-3", "SC-28"),
        nist_800_171_r2=("3.1.1", "3.13.16"),
        dbgap=("User Accounts, Passwords, and Access Control Lists", "Data Encryption"),
    ),
    check=_alias_name_without_phi,
    fix=("rename the alias after the project or study, e.g. alias/<study code>/phi (PhiKey(alias=...)); a PhiKey's "
         "default alias is made of the stack name and construct path, so rename those"),
)

KMS_RULES = (KEY_ROTATION_ENABLED, GRANT_SERVICE_STATEMENTS_SCOPED, KEY_POLICY_NO_OPEN_PRINCIPAL, KEY_RETAINED,
             ALIAS_NO_PHI_IN_NAME)
