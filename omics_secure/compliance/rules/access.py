"""Rules for people's access to PHI: roles people assume, long-lived IAM credentials, S3 access points.

Written defensively: a value that is an intrinsic function where a string is expected is read through its
literals (``literal_text``) or skipped, never assumed to be a string.
"""

from __future__ import annotations

import fnmatch
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
from omics_secure.compliance.rules._policy import (
    actions,
    allow_statements,
    as_list,
    condition_keys,
    is_wildcard_principal,
    literal_text,
    principal_values,
)
from omics_secure.compliance.rules._trust import only_service_roles
from omics_secure.compliance.rules.omics import BROAD_MANAGED_POLICIES, _policies_of
from omics_secure.compliance.rules.s3 import is_phi_bucket

IAM_ROLE = frozenset({"AWS::IAM::Role"})
IAM_CREDENTIALS = frozenset({"AWS::IAM::User", "AWS::IAM::AccessKey"})
ACCESS_POINT = frozenset({"AWS::S3::AccessPoint"})
PHI_STORE_TYPES = ("AWS::Omics::SequenceStore", "AWS::Omics::ReferenceStore", "AWS::Omics::VariantStore",
                   "AWS::Omics::AnnotationStore", "AWS::HealthLake::FHIRDatastore")
ASSUME_ACTIONS = ("sts:assumerole", "sts:assumerolewithsaml", "sts:assumerolewithwebidentity")
# Actions that read or write the data itself (not its configuration). An allowed action pattern that
# matches one of them (``s3:Get*``, ``kms:*``, ``*``) reaches PHI.
DATA_ACTIONS = (
    "s3:getobject", "s3:getobjectversion", "s3:putobject", "kms:decrypt", "kms:generatedatakey",
    "omics:getreadset", "omics:getreference", "healthlake:readresource", "healthlake:searchwithget",
    "healthlake:searchwithpost", "healthlake:createresource",
)
_PUBLIC_ACCESS_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")

# Only controls the environment evidences on its own: MFA enrolment and identity management (IA-2, 3.5.3,
# 164.312(d)) and keeping the DUC current stay the user's responsibility in the report's control matrix.
_PEOPLE_ACCESS = Controls(
    hipaa=("164.312(a)(1)", "164.308(a)(4)(ii)(B)", "164.308(a)(4)(ii)(C)", "164.308(a)(3)(ii)(A)"),
    nist_800_53_r5=("AC-3", "AC-6"),
    nist_800_171_r2=("3.1.1", "3.1.5"),
    dbgap=("User Accounts, Passwords, and Access Control Lists",),
)
_LONG_LIVED_CREDENTIALS = Controls(
    hipaa=("164.312(a)(1)", "164.308(a)(4)(ii)(C)"),
    nist_800_53_r5=("AC-3", "AC-6"),
    nist_800_171_r2=("3.1.1",),
    dbgap=("User Accounts, Passwords, and Access Control Lists",),
)
_SHARED_ACCESS = Controls(
    hipaa=("164.312(a)(1)", "164.308(a)(4)(ii)(B)"),
    nist_800_53_r5=("AC-3", "AC-4", "AC-6", "SC-7"),
    nist_800_171_r2=("3.1.1", "3.1.3", "3.13.1"),
    dbgap=("File Systems and Storage Volumes", "Internet, Networking, and Data Transfers"),
)


def _is_people_trust(statement: Mapping[str, Any]) -> bool:
    """A trust statement that lets people in: an AWS or federated principal allowed to assume the role."""
    kinds = principal_values(statement)
    if not ({"AWS", "Federated", "*"} & set(kinds)):
        return False
    return any(a.lower() in ASSUME_ACTIONS or a in ("sts:*", "*") for a in actions(statement))


def _reaches_data(resource: Resource) -> bool:
    for _, document in _policies_of(resource):
        for statement in allow_statements(document):
            if "NotAction" in statement:
                return True
            for action in actions(statement):
                pattern = action.lower()
                if any(fnmatch.fnmatchcase(data_action, pattern) for data_action in DATA_ACTIONS):
                    return True
    for arn in as_list(resource.properties.get("ManagedPolicyArns")):
        text = literal_text(arn)
        if ":iam::aws:policy/" in text and text.rsplit("/", 1)[-1] in BROAD_MANAGED_POLICIES:
            return True
    return False


def _has_expiry(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    for operator in ("DateLessThan", "DateLessThanEquals"):
        block = condition.get(operator)
        if isinstance(block, Mapping) and any(str(k).lower() == "aws:currenttime" and v not in (None, "", [])
                                              for k, v in block.items()):
            return True
    return False


def _requires_mfa(statement: Mapping[str, Any]) -> bool:
    condition = statement.get("Condition")
    if not isinstance(condition, Mapping):
        return False
    block = condition.get("Bool")  # BoolIfExists is true when the key is absent: no MFA at all
    if not isinstance(block, Mapping):
        return False
    return any(str(k).lower() == "aws:multifactorauthpresent" and [str(v).lower() for v in as_list(value)] == ["true"]
               for k, value in block.items())


def _is_federated(statement: Mapping[str, Any]) -> bool:
    kinds = principal_values(statement)
    if "Federated" in kinds and not ({"AWS", "*"} & set(kinds)):
        return True
    # IAM Identity Center: only its permission-set roles (AWSReservedSSO_*) may assume the role.
    principal_arns = condition_keys(statement).get("aws:principalarn", [])
    aws_principals = kinds.get("AWS", [])
    if principal_arns and all("awsreservedsso_" in literal_text(a).lower() for a in principal_arns):
        return True
    return bool(aws_principals) and all("awsreservedsso_" in literal_text(a).lower() for a in aws_principals)


def _people_role_mfa_and_expiry(resource: Resource) -> Verdict:
    trust = [s for s in allow_statements(resource.properties.get("AssumeRolePolicyDocument"))
             if _is_people_trust(s) and not only_service_roles(s, resource)]
    if not trust or not _reaches_data(resource):
        return NOT_APPLICABLE
    problems = []
    for index, statement in enumerate(trust):
        where = f"trust statement {literal_text(statement.get('Sid')) or index}"
        if is_wildcard_principal(statement) and "Federated" not in principal_values(statement):
            problems.append(f"{where} admits the '*' principal")
        elif not (_is_federated(statement) or _requires_mfa(statement)):
            problems.append(f"{where} requires neither federation nor MFA (Bool aws:MultiFactorAuthPresent true)")
        if not _has_expiry(statement):
            problems.append(f"{where} has no end date (DateLessThan aws:CurrentTime)")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


def template_holds_phi(resource: Resource) -> bool:
    """True when the template holds a PHI-tagged bucket, a HealthOmics store or a HealthLake datastore."""
    if resource.others_of_type(*PHI_STORE_TYPES):
        return True
    return any(is_phi_bucket(Resource.from_template(logical_id, body))
               for logical_id, body in resource.others_of_type("AWS::S3::Bucket"))


def _no_long_lived_credentials(resource: Resource) -> Verdict:
    if not template_holds_phi(resource):
        return NOT_APPLICABLE
    what = "IAM user" if resource.type == "AWS::IAM::User" else "IAM access key"
    return non_compliant(f"an {what} in a template that holds PHI: people and programs should use roles "
                         "with temporary credentials (federation, IAM Identity Center, or service roles)")


def _phi_bucket_of(resource: Resource) -> str | None:
    """The logical id of the PHI bucket the access point is on, or None (not PHI, or not in this template)."""
    bucket = resource.properties.get("Bucket")
    buckets = resource.others_of_type("AWS::S3::Bucket")
    for logical_id, body in buckets:
        if not is_phi_bucket(Resource.from_template(logical_id, body)):
            continue
        name = (body.get("Properties") or {}).get("BucketName") if isinstance(body, Mapping) else None
        if bucket == {"Ref": logical_id} or (isinstance(bucket, str) and isinstance(name, str) and bucket == name):
            return logical_id
    return None


def _access_point_private(resource: Resource) -> Verdict:
    bucket = _phi_bucket_of(resource)
    if bucket is None:
        return NOT_APPLICABLE
    properties = resource.properties
    problems = []
    policy = properties.get("Policy")
    allows = allow_statements(policy)
    if not isinstance(policy, Mapping) or not allows:
        problems.append(f"no access-point policy: access to PHI bucket {bucket} through it is decided by the "
                        "bucket policy and the callers' IAM policies alone")
    for index, statement in enumerate(allows):
        if is_wildcard_principal(statement) and not statement.get("Condition"):
            problems.append(f"policy statement {literal_text(statement.get('Sid')) or index} allows the '*' "
                            "principal without conditions")
    vpc = properties.get("VpcConfiguration")
    blocked = properties.get("PublicAccessBlockConfiguration")
    in_vpc = isinstance(vpc, Mapping) and vpc.get("VpcId") not in (None, "")
    all_blocked = isinstance(blocked, Mapping) and all(
        blocked.get(name) is True or str(blocked.get(name)).lower() == "true" for name in _PUBLIC_ACCESS_SETTINGS)
    if not (in_vpc or all_blocked):
        problems.append("internet network origin without every PublicAccessBlockConfiguration setting true: "
                        "set VpcConfiguration or block public access")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


PEOPLE_ROLE_MFA_AND_EXPIRY = Rule(
    id="IAMPeopleRoleMfaAndExpiry",
    resource_types=IAM_ROLE,
    finding=("A role people can assume reaches PHI data without requiring federation or MFA, or without an "
             "end date in its trust policy."),
    explanation=(
        "The dbGaP whitepaper asks for MFA and for access only while a Data Access Committee approval or a Data "
        "Use Certification covers it. A role trusted by IAM principals or an identity provider that can read or "
        "write data must admit only federated sessions (SAML, OIDC, IAM Identity Center) or sessions signed in "
        "with MFA (Bool aws:MultiFactorAuthPresent true), and stop at the approval's end date (DateLessThan "
        "aws:CurrentTime), so an approval cannot outlive its DUC. Service roles are not judged: a trust whose "
        "principals are only service principals, or only roles of the same template that only services can "
        "assume (CDK Pipelines' action roles, trusted by the pipeline's role). A trust of the account "
        "(arn:aws:iam::<account>:root) is judged whatever the role is for: every principal of the account "
        "whose IAM policy allows sts:AssumeRole on it, people included, can use it."
    ),
    controls=_PEOPLE_ACCESS,
    check=_people_role_mfa_and_expiry,
    fix=("use ApprovedAccess; otherwise trust a SAML/OIDC provider or require Bool aws:MultiFactorAuthPresent "
         "true, and add DateLessThan aws:CurrentTime <end date> to the trust policy"),
)

NO_LONG_LIVED_CREDENTIALS = Rule(
    id="IAMNoUsersOrAccessKeysWithPhi",
    resource_types=IAM_CREDENTIALS,
    finding="An IAM user or access key is created in a template that holds PHI.",
    explanation=(
        "IAM users and access keys are long-lived credentials: the HIPAA-on-S3 guidance says to use IAM roles "
        "with temporary credentials instead. Admit people through federation or IAM Identity Center "
        "(omics_secure.ApprovedAccess) and programs through service roles. Judged per template: a template "
        "holds PHI when it has a PHI-tagged bucket, a HealthOmics store or a HealthLake datastore."
    ),
    controls=_LONG_LIVED_CREDENTIALS,
    check=_no_long_lived_credentials,
    fix=("give people roles they assume with federation or MFA (ApprovedAccess, IAM Identity Center) instead "
         "of IAM users and access keys"),
)

PHI_ACCESS_POINT_PRIVATE = Rule(
    id="S3PhiAccessPointPolicyPrivate",
    resource_types=ACCESS_POINT,
    finding="An S3 access point on a PHI bucket has no policy, or an internet origin without public access blocked.",
    explanation=(
        "An access point is a second door to the bucket. On a PHI bucket it must have its own policy naming who "
        "may use it (the collaborator's account, one prefix, an end date), and either a VPC network origin "
        "(VpcConfiguration) or every public-access-block setting on, so that no policy change can make it public."
    ),
    controls=_SHARED_ACCESS,
    check=_access_point_private,
    fix=("use CollaboratorAccess; otherwise give the access point a policy naming its principals and a "
         "VpcConfiguration or all four PublicAccessBlockConfiguration settings"),
)

ACCESS_RULES = (PEOPLE_ROLE_MFA_AND_EXPIRY, NO_LONG_LIVED_CREDENTIALS, PHI_ACCESS_POINT_PRIVATE)
