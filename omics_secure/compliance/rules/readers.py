"""Who reads PHI: every principal the policy evaluator finds able to read a PHI store must be accounted for.

A PHI store is a bucket tagged ``omics-secure:data-classification=phi``, a HealthOmics sequence or reference
store, or a HealthLake datastore. A reader is accounted for when it is an approved access (a role, or an access
point naming it, tagged ``omics-secure:approval-id``: :mod:`omics_secure.access` tags both), a service the
project configures (a service principal, or a role only AWS services may assume), or an administrator the user
declares (a role or user tagged ``omics-secure:administrator=true``). The airlock's own roles (tagged
``omics-secure:airlock-role`` or ``omics-secure:airlock-function``) are the project's configured review path,
which its rules judge; so is who receives what it released (its release bucket). Anyone else, ``*``, an account
named by a bucket policy, a federated provider, is a finding. Judged per template, like every rule: a reader
whose policies live in another stack is listed by ``omics-secure access``, which reads the whole app.
"""

from __future__ import annotations

from omics_secure._internal.tags import (
    ADMINISTRATOR_TAG,
    AIRLOCK_FUNCTION_TAG,
    AIRLOCK_RELEASE,
    AIRLOCK_ROLE_TAG,
    AIRLOCK_TAG,
    APPROVAL_ID_TAG,
)
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
from omics_secure.compliance.rules.s3 import is_phi_bucket
from omics_secure.inputs.values import mappings, text
from omics_secure.policy import formula as f
from omics_secure.policy.access import Candidate, StoreAccess, actions_of, store_access
from omics_secure.policy.conditions import Condition
from omics_secure.policy.documents import SERVICE, account_of
from omics_secure.policy.extract import Environment, Store, environment_of_template
from omics_secure.policy.matching import readable
from omics_secure.policy.words import principal_words

PHI_STORES = frozenset({"AWS::S3::Bucket", "AWS::Omics::SequenceStore", "AWS::Omics::ReferenceStore",
                        "AWS::HealthLake::FHIRDatastore"})
_UNKNOWN_POLICY = "AllowsPerItsDocument"


def _service_only(candidate: Candidate) -> bool:
    """A role whose trust policy lets only AWS service principals assume it."""
    actor = candidate.actor
    if actor is None or actor.trust is None:
        return False
    grants = [s for s in actor.trust.statements if s.allows]
    return bool(grants) and all(s.principals and all(kind == "Service" for kind, _ in s.principals)
                                and s.not_principals is None for s in grants)


def _approved_through_access_point(candidate: Candidate, store: Store) -> bool:
    for point in store.access_points:
        if not point.tags.get(APPROVAL_ID_TAG) or point.policy is None:
            continue
        for statement in point.policy.statements:
            for kind, value in statement.principals or ():
                if kind != "AWS":
                    continue
                account = account_of(value)
                if value == candidate.principal.arn or (account is not None and account == candidate.principal.account):
                    return True
    return False


def accounted_for(candidate: Candidate, store: Store) -> bool:
    actor = candidate.actor
    if candidate.principal.kind == SERVICE or _service_only(candidate):
        return True
    if actor is not None and (actor.approval or actor.tags.get(ADMINISTRATOR_TAG, "").lower() == "true"):
        return True
    if actor is not None and (AIRLOCK_ROLE_TAG in actor.tags or AIRLOCK_FUNCTION_TAG in actor.tags):
        return True  # the airlock's own requesters, reviewers, administrators and workflow (its rules judge them)
    return _approved_through_access_point(candidate, store)


def _depends_on_unknown_policy(formula: f.Formula) -> bool:
    return all(any(isinstance(literal, Condition) and literal.operator == _UNKNOWN_POLICY for literal in conjunction)
               for conjunction in formula)


def _assumable_by(candidate: Candidate) -> str:
    """Who the role's trust policy lets assume it, as " (assumable by ...)"; "" for anything but such a role."""
    actor = candidate.actor
    if actor is None or actor.trust is None:
        return ""
    who = sorted({principal_words(kind, value) for statement in actor.trust.statements if statement.allows
                  for kind, value in statement.principals or ()})
    return f" (assumable by {', '.join(who)})" if who else ""


def _describe(name: str, candidate: Candidate, formula: f.Formula) -> str:
    who = candidate.actor.logical_id if candidate.actor is not None else name
    narrowest = min(formula, key=len)
    when = f" when {readable('; '.join(f.describe(narrowest)))}" if narrowest else " unconditionally"
    return f"{who}{_assumable_by(candidate)} can read it{when}"


def _environment(resource: Resource) -> Environment:
    return environment_of_template(resource.template_values())  # type: ignore[no-any-return]


def _readers_accounted_for(resource: Resource) -> Verdict:
    if resource.type == "AWS::S3::Bucket" and not is_phi_bucket(resource):
        return NOT_APPLICABLE
    if any(text(tag, "Key") == AIRLOCK_TAG and text(tag, "Value") == AIRLOCK_RELEASE
           for tag in mappings(resource.properties, "Tags")):
        return NOT_APPLICABLE  # what the airlock's reviewers released; its rules judge who may receive it
    environment: Environment = resource.derived("policy-environment", lambda: _environment(resource))
    store = next((s for s in environment.stores if s.logical_id == resource.logical_id), None)
    if store is None:
        return NOT_APPLICABLE
    entry: StoreAccess = store_access(environment, store)
    problems: list[str] = []
    unknown: list[str] = []
    for name, formula in sorted(entry.formulas["readers"].items()):
        candidate = entry.candidates[name]
        if accounted_for(candidate, store):
            continue
        (unknown if _depends_on_unknown_policy(formula) else problems).append(_describe(name, candidate, formula))
    if problems:
        return non_compliant("; ".join(problems) + ": neither an approved access, a role only AWS services "
                             f"assume, nor a declared administrator ({', '.join(actions_of(store.type).readers)})")
    if unknown:
        return cannot_judge("; ".join(unknown) + ", through a managed policy whose document is not in the template")
    return COMPLIANT


PHI_STORE_READERS_ACCOUNTED_FOR = Rule(
    id="PhiStoreReadersAccountedFor",
    resource_types=PHI_STORES,
    finding=("A principal can read the PHI store that is neither an approved access, a service the project "
             "configures, nor a declared administrator."),
    explanation=(
        "The first question a Data Access Committee, an IRB and a HIPAA auditor ask is who can read the data. The "
        "policy evaluator answers it from the identity, bucket, key and access-point policies in AWS's documented "
        "order (a bucket reader needs the key too); every reader must be an approval the committee granted "
        "(ApprovedAccess, CollaboratorAccess), a role only AWS services assume, or an administrator the user "
        "declares. 'omics-secure access' lists them all, with the conditions that restrict each."
    ),
    controls=Controls(
        hipaa=("164.308(a)(4)(ii)(B)", "164.308(a)(4)(ii)(C)", "164.312(a)(1)"),
        nist_800_53_r5=("AC-2", "AC-3", "AC-6"),
        nist_800_171_r2=("3.1.1", "3.1.2", "3.1.5"),
        dbgap=("User Accounts, Passwords, and Access Control Lists",),
    ),
    check=_readers_accounted_for,
    fix=("grant people through ApprovedAccess or CollaboratorAccess (they carry the approval tag); tag a break-glass "
         "or custodian role omics-secure:administrator=true; remove grants to '*', accounts and identities nobody "
         "approved"),
)

READER_RULES = (PHI_STORE_READERS_ACCOUNTED_FOR,)
