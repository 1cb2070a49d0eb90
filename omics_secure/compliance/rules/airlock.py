"""Rules for data leaving and entering an isolated environment: only through an airlock, scanned, reviewed by
someone other than the requester, and released where the environment cannot read it back.

A template is an *isolated environment* when it holds a VPC tagged ``omics-secure:isolated`` (``IsolatedVpc``).
Airlock buckets and roles say what they are in tags (``omics-secure:airlock``, ``omics-secure:airlock-role``,
``omics-secure:airlock-function``), set by the ``Airlock`` construct; tag your own the same way to have them judged.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable, Mapping
from typing import Any

from omics_secure._internal.tags import (
    AIRLOCK_FUNCTION_TAG,
    AIRLOCK_RELEASE,
    AIRLOCK_REQUESTER,
    AIRLOCK_REVIEWER,
    AIRLOCK_ROLE_TAG,
    AIRLOCK_STAGING_VALUES,
    AIRLOCK_TAG,
    AIRLOCK_WORKFLOW,
    MALWARE_SCAN_CLEAN,
    MALWARE_SCAN_TAG,
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
from omics_secure.compliance.rules._policy import (
    actions,
    allow_statements,
    is_wildcard_principal,
    principal_values,
    statements,
)
from omics_secure.compliance.rules.network import is_marked_isolated
from omics_secure.compliance.rules.omics import BROAD_MANAGED_POLICIES, _policies_of
from omics_secure.inputs.values import (
    CannotJudge,
    Text,
    Unknown,
    field,
    items,
    literal_text,
    mapping,
    mappings,
    mentions_resource,
    referenced_id,
    show,
    text,
)

S3_BUCKET = frozenset({"AWS::S3::Bucket"})
IAM_ROLE = frozenset({"AWS::IAM::Role"})
PLAN_TYPE = "AWS::GuardDuty::MalwareProtectionPlan"
WRITE_ACTIONS = ("s3:putobject", "s3:replicateobject")
READ_ACTIONS = ("s3:getobject", "s3:getobjectversion")
TAGGING_ACTIONS = ("s3:putobjecttagging", "s3:putobjectversiontagging")
# Roles that run code on data: what they write is what leaves, whoever started them.
COMPUTE_SERVICES = frozenset({
    "ec2.amazonaws.com", "ecs-tasks.amazonaws.com", "lambda.amazonaws.com", "omics.amazonaws.com",
    "batch.amazonaws.com", "sagemaker.amazonaws.com", "glue.amazonaws.com", "codebuild.amazonaws.com",
    "states.amazonaws.com", "elasticmapreduce.amazonaws.com", "emr-serverless.amazonaws.com",
    "healthlake.amazonaws.com",
})

_MALWARE = Controls(
    hipaa=("164.308(a)(5)(ii)(B)", "164.312(c)(1)"),
    nist_800_53_r5=("SI-3", "SI-4", "AC-4"),
    nist_800_171_r2=("3.14.2", "3.1.3"),
    dbgap=("Internet, Networking, and Data Transfers",),
)
_FLOW = Controls(
    hipaa=("164.312(a)(1)", "164.312(e)(1)", "164.308(a)(4)(ii)(B)"),
    nist_800_53_r5=("AC-4", "SC-7", "SC-7(10)"),
    nist_800_171_r2=("3.1.3", "3.13.1"),
    dbgap=("Internet, Networking, and Data Transfers", "Cleaning Up Data and Retaining Results"),
)
_SEPARATION = Controls(
    hipaa=("164.308(a)(4)(ii)(B)", "164.308(a)(3)(ii)(A)"),
    nist_800_53_r5=("AC-5", "AC-6"),
    nist_800_171_r2=("3.1.4", "3.1.5"),
    dbgap=("Authorizing Access to Data",),
)


# ---------------------------------------------------------------------------------------------- template facts

def tag_value(properties: Mapping[str, Any], key: str) -> str | None:
    """The value of tag ``key`` (None when absent, or known only at deploy time)."""
    for tag in mappings(properties, "Tags"):
        if text(tag, "Key") == key:
            try:
                return text(tag, "Value")
            except CannotJudge:
                return None
    return None


def _is_isolated_environment(resource: Resource) -> bool:
    return any(is_marked_isolated(mapping(body, "Properties")) for _, body in resource.others_of_type("AWS::EC2::VPC"))


def _buckets(resource: Resource) -> dict[str, Mapping[str, Any]]:
    return {logical_id: mapping(body, "Properties") for logical_id, body in resource.others_of_type("AWS::S3::Bucket")}


def _release_buckets(resource: Resource) -> set[str]:
    return {i for i, properties in _buckets(resource).items() if tag_value(properties, AIRLOCK_TAG) == AIRLOCK_RELEASE}


NOT_A_BUCKET = ""
EVERY_BUCKET = "*"


def _is_access_point(resource: Resource, logical_id: str | None) -> bool:
    body = resource.other(logical_id)
    return body is not None and body.get("Type") == "AWS::S3::AccessPoint"


def bucket_of_arn(resource: Resource, value: Any) -> str | None:
    """What a policy's Resource names: a template bucket's logical id, :data:`EVERY_BUCKET`, :data:`NOT_A_BUCKET`
    (not an S3 ARN), or None for a bucket outside the template. Raises CannotJudge for an ARN only known at deploy
    time."""
    for logical_id in _buckets(resource):
        if mentions_resource(value, logical_id):
            return logical_id
    named = referenced_id(value)
    if named is None and isinstance(value, Text):  # "${Door.Arn}/object/*": objects through an access point
        named = next((i for i in (referenced_id(part) for part in value.parts)
                      if _is_access_point(resource, i)), None)
    if named is not None:
        body = resource.other(named)
        if body is None:
            raise CannotJudge("a policy resource", value)
        if body.get("Type") == "AWS::S3::AccessPoint":  # writes through an access point land in its bucket
            bucket = field(mapping(body, "Properties"), "Bucket")
            return bucket_of_arn(resource, f"arn:aws:s3:::{bucket}" if isinstance(bucket, str) else bucket)
        return NOT_A_BUCKET
    if isinstance(value, str):
        written = value
    elif isinstance(value, Text):
        written = "".join(part if isinstance(part, str) else "${}" for part in value.parts)
    else:
        raise CannotJudge("a policy resource", value)
    if written == "*":
        return EVERY_BUCKET
    if ":s3:" in written and ":accesspoint/" in written:
        return _bucket_of_access_point(resource, value, written.split(":accesspoint/", 1)[1].split("/", 1)[0])
    if ":s3:::" not in written:
        return NOT_A_BUCKET
    name = written.split(":s3:::", 1)[1].split("/", 1)[0]
    if "${}" in name:
        raise CannotJudge("a policy resource", value)
    if "*" in name or "?" in name:
        return EVERY_BUCKET
    for logical_id, properties in _buckets(resource).items():
        if properties.get("BucketName") == name:
            return logical_id
    return None


def _bucket_of_access_point(resource: Resource, value: Any, name: str) -> str | None:
    """The bucket behind an access point ARN written out (``arn:aws:s3:<region>:<account>:accesspoint/<name>``,
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html): a wildcard name reaches
    every bucket that has an access point, a name of the template's access points reaches its bucket, any other
    name a bucket outside the template."""
    if "${}" in name:
        raise CannotJudge("a policy resource", value)
    if not name or "*" in name or "?" in name:
        return EVERY_BUCKET
    for _, body in resource.others_of_type("AWS::S3::AccessPoint"):
        properties = mapping(body, "Properties")
        if properties.get("Name") == name:
            bucket = field(properties, "Bucket")
            return bucket_of_arn(resource, f"arn:aws:s3:::{bucket}" if isinstance(bucket, str) else bucket)
    return None


_SPELLED = {"s3:putobject": "s3:PutObject", "s3:replicateobject": "s3:ReplicateObject"}


def _covers(statement_actions: Iterable[str], wanted: Iterable[str]) -> list[str]:
    """The ``wanted`` actions (lower case) that the statement's action patterns allow, spelt as IAM spells them."""
    patterns = [a.lower() for a in statement_actions]
    return [_SPELLED.get(w, w) for w in wanted if any(fnmatch.fnmatchcase(w, p) for p in patterns)]


def _trusted(resource: Resource) -> dict[str, list[Any]]:
    found: dict[str, list[Any]] = {}
    for statement in allow_statements(resource.properties.get("AssumeRolePolicyDocument")):
        for kind, values in principal_values(statement).items():
            found.setdefault(kind, []).extend(values)
    return found


def is_compute_role(resource: Resource) -> bool:
    return any(literal_text(s) in COMPUTE_SERVICES for s in _trusted(resource).get("Service", []))


def is_people_role(resource: Resource) -> bool:
    trusted = _trusted(resource)
    return bool(trusted.get("AWS") or trusted.get("Federated") or trusted.get("*"))


def _grants(resource: Resource) -> list[tuple[str, Mapping[str, Any]]]:
    """(where, statement) of every Allow statement of the role's policies in this template."""
    return [(label, statement) for label, document in _policies_of(resource)
            for statement in allow_statements(document)]


def _broad_managed_policies(resource: Resource) -> list[str]:
    names = []
    for arn in items(resource.properties, "ManagedPolicyArns"):
        written = literal_text(arn)
        if ":iam::aws:policy/" in written and written.rsplit("/", 1)[-1] in BROAD_MANAGED_POLICIES:
            names.append(written.rsplit("/", 1)[-1])
    return names


def _bucket_policy_statements(resource: Resource) -> list[Mapping[str, Any]]:
    found = []
    name = resource.properties.get("BucketName")
    for _, body in resource.others_of_type("AWS::S3::BucketPolicy"):
        properties = mapping(body, "Properties")
        bucket = field(properties, "Bucket")
        if referenced_id(bucket) == resource.logical_id or (isinstance(name, str) and bucket == name):
            found += statements(field(properties, "PolicyDocument"))
    return found


def _condition(statement: Mapping[str, Any], operator: str, key: str) -> list[Any]:
    block = mapping(statement, "Condition", operator)
    return [v for k, value in block.items() if str(k).lower() == key.lower() for v in items({"v": value}, "v")]


# ---------------------------------------------------------------------------------------------- staging buckets

def _is_staging(resource: Resource) -> bool:
    return tag_value(resource.properties, AIRLOCK_TAG) in AIRLOCK_STAGING_VALUES


def _plans_of(resource: Resource) -> tuple[list[Mapping[str, Any]], list[CannotJudge]]:
    found, unknown = [], []
    name = resource.properties.get("BucketName")
    for _, body in resource.others_of_type(PLAN_TYPE):
        properties = mapping(body, "Properties")
        bucket = field(properties, "ProtectedResource", "S3Bucket", "BucketName")
        if referenced_id(bucket) == resource.logical_id or (isinstance(name, str) and bucket == name):
            found.append(properties)
        elif isinstance(bucket, Unknown | Text):
            unknown.append(CannotJudge("a malware protection plan's BucketName", bucket))
    return found, unknown


def _staging_malware_protected(resource: Resource) -> Verdict:
    if not _is_staging(resource):
        return NOT_APPLICABLE
    plans, unknown = _plans_of(resource)
    if not plans:
        if unknown:
            return cannot_judge(str(unknown[0]))
        return non_compliant("no AWS::GuardDuty::MalwareProtectionPlan protects this staging bucket")
    problems = []
    for plan in plans:
        if text(plan, "Actions", "Tagging", "Status") != "ENABLED":
            status = show(field(plan, "Actions", "Tagging", "Status"))
            problems.append(f"the malware protection plan does not tag scanned objects (Actions.Tagging.Status is "
                            f"{status}), so no read can wait for a clean scan")
        prefixes = items(plan, "ProtectedResource", "S3Bucket", "ObjectPrefixes")
        if prefixes:
            problems.append(f"the plan scans only the prefixes {show(prefixes)}: objects elsewhere in the bucket are "
                            "never scanned")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


def _scanner_roles(resource: Resource) -> list[Any]:
    return [field(plan, "Role") for plan in _plans_of(resource)[0]]


def _holds_reads(statement: Mapping[str, Any]) -> bool:
    if text(statement, "Effect") != "Deny" or not is_wildcard_principal(statement):
        return False
    if len(_covers(actions(statement), READ_ACTIONS)) != len(READ_ACTIONS):
        return False
    clean = _condition(statement, "StringNotEquals", f"s3:ExistingObjectTag/{MALWARE_SCAN_TAG}")
    return clean == [MALWARE_SCAN_CLEAN]


def _exemptions(statement: Mapping[str, Any]) -> list[Any]:
    return [*_condition(statement, "ArnNotEquals", "aws:PrincipalArn"),
            *_condition(statement, "ArnNotLike", "aws:PrincipalArn")]


def _other_conditions(statement: Mapping[str, Any]) -> list[str]:
    """Condition keys of a hold that narrow it beyond the scan tag and the scanner's exemption."""
    allowed = {("stringnotequals", f"s3:existingobjecttag/{MALWARE_SCAN_TAG.lower()}"),
               ("arnnotequals", "aws:principalarn"), ("arnnotlike", "aws:principalarn")}
    return [f"{operator} {key}" for operator, block in mapping(statement, "Condition").items()
            if isinstance(block, Mapping) for key in block if (str(operator).lower(), str(key).lower()) not in allowed]


def _staging_reads_held(resource: Resource) -> Verdict:
    if not _is_staging(resource):
        return NOT_APPLICABLE
    policy = _bucket_policy_statements(resource)
    holds = [s for s in policy if _holds_reads(s)]
    problems = []
    if not holds:
        problems.append(f"no bucket-policy statement denies s3:GetObject and s3:GetObjectVersion to everyone unless "
                        f"the object's {MALWARE_SCAN_TAG} tag is {MALWARE_SCAN_CLEAN}")
    scanners = {show(r) for r in _scanner_roles(resource)}
    for hold in holds:
        others = [show(e) for e in _exemptions(hold) if show(e) not in scanners]
        if others:
            problems.append(f"the hold exempts {', '.join(others)}, which is not the malware protection plan's role")
        narrowed = _other_conditions(hold)
        if narrowed:
            problems.append(f"the hold applies only when {', '.join(narrowed)} also matches")
    tag_guard = [s for s in policy if text(s, "Effect") == "Deny" and is_wildcard_principal(s)
                 and len(_covers(actions(s), TAGGING_ACTIONS)) == len(TAGGING_ACTIONS) and _exemptions(s)]
    if not tag_guard:
        problems.append("nothing stops other principals from tagging an object NO_THREATS_FOUND themselves: deny "
                        "s3:PutObjectTagging and s3:PutObjectVersionTagging to all but the scanner (ArnNotEquals "
                        "aws:PrincipalArn)")
    upload_guard = [s for s in policy if text(s, "Effect") == "Deny" and is_wildcard_principal(s)
                    and _covers(actions(s), ("s3:putobject",))
                    and _condition(s, "Null", "s3:RequestObjectTagKeys") in (["false"], [False])]
    if not upload_guard:
        problems.append("an upload may carry its own tags (x-amz-tagging): deny s3:PutObject when "
                        "s3:RequestObjectTagKeys is not null, or the scan tag can be set on upload")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


# ---------------------------------------------------------------------------------------------- release bucket

def _isolated_network_ids(resource: Resource) -> set[str]:
    vpcs = {i for i, body in resource.others_of_type("AWS::EC2::VPC")
            if is_marked_isolated(mapping(body, "Properties"))}
    endpoints = {i for i, body in resource.others_of_type("AWS::EC2::VPCEndpoint")
                 if referenced_id(field(mapping(body, "Properties"), "VpcId")) in vpcs}
    return vpcs | endpoints


def _denies_reads_from(statement: Mapping[str, Any], network: set[str]) -> bool:
    if text(statement, "Effect") != "Deny" or not is_wildcard_principal(statement):
        return False
    if len(_covers(actions(statement), READ_ACTIONS)) != len(READ_ACTIONS):
        return False
    origins = [*_condition(statement, "StringEquals", "aws:SourceVpc"),
               *_condition(statement, "StringEquals", "aws:SourceVpce")]
    return any(referenced_id(origin) in network for origin in origins)


def _readers_inside(resource: Resource, release: str) -> list[str]:
    """Roles of the environment (compute, airlock people, or people who reach another bucket) allowed to read the
    release bucket."""
    found = []
    for logical_id, body in resource.others_of_type("AWS::IAM::Role"):
        role = Resource.from_template(logical_id, body, resource.template_resources, resource.index, resource.values)
        role = role if resource.branch is None else (role.on_branch(resource.branch) or role)
        inside = is_compute_role(role) or tag_value(role.properties, AIRLOCK_ROLE_TAG) in (
            AIRLOCK_REQUESTER, AIRLOCK_REVIEWER)
        reads_release, reads_other = False, False
        for _, statement in _grants(role):
            if not _covers(actions(statement), READ_ACTIONS):
                continue
            for value in items(statement, "Resource"):
                try:
                    bucket = bucket_of_arn(role, value)
                except CannotJudge:
                    continue
                reads_release |= bucket in (release, EVERY_BUCKET)
                reads_other |= bucket not in (None, NOT_A_BUCKET, release)
        if _broad_managed_policies(role):
            reads_release = True
        if reads_release and (inside or (is_people_role(role) and reads_other)):
            found.append(logical_id)
    return found


def _release_not_readable_from_inside(resource: Resource) -> Verdict:
    if tag_value(resource.properties, AIRLOCK_TAG) != AIRLOCK_RELEASE:
        return NOT_APPLICABLE
    problems = []
    readers = _readers_inside(resource, resource.logical_id)
    if readers:
        problems.append(f"role(s) inside the environment may read it: {', '.join(readers)}")
    if _is_isolated_environment(resource):
        network = _isolated_network_ids(resource)
        if not any(_denies_reads_from(s, network) for s in _bucket_policy_statements(resource)):
            problems.append("its bucket policy does not deny s3:GetObject to requests from the isolated VPC "
                            "(StringEquals aws:SourceVpc or aws:SourceVpce)")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


# ---------------------------------------------------------------------------------------------- separation

def _airlock_functions(resource: Resource, kind: str) -> tuple[set[str], set[str]]:
    """The logical ids and the function names of the template's airlock functions of ``kind``."""
    ids, names = set(), set()
    for logical_id, body in resource.others_of_type("AWS::Lambda::Function"):
        properties = mapping(body, "Properties")
        if tag_value(properties, AIRLOCK_FUNCTION_TAG) == kind:
            ids.add(logical_id)
            name = properties.get("FunctionName")
            if isinstance(name, str):
                names.add(name)
    return ids, names


def _invokes(role: Resource, kind: str) -> bool:
    ids, names = role.derived(f"airlock-functions-{kind}", lambda: _airlock_functions(role, kind))
    for _, statement in _grants(role):
        if not _covers(actions(statement), ("lambda:invokefunction",)):
            continue
        for value in items(statement, "Resource"):
            if any(mentions_resource(value, i) for i in ids):
                return True
            written = value if isinstance(value, str) else (
                "".join(p if isinstance(p, str) else "*" for p in value.parts) if isinstance(value, Text) else "")
            if written == "*" or any(fnmatch.fnmatchcase(f"function:{n}", written.split(":", 5)[-1])
                                     for n in names):
                return True
    return False


def _can(role: Resource, duty: str) -> bool:
    tag = AIRLOCK_REQUESTER if duty == "submit" else AIRLOCK_REVIEWER
    return tag_value(role.properties, AIRLOCK_ROLE_TAG) == tag or _invokes(role, duty)


def admitted(role: Resource) -> set[str]:
    """Who a role's trust admits, as far as the template names them one by one: principal ARNs (also through
    aws:PrincipalArn conditions) and federated subjects. Account-wide principals and whole providers are left
    out: from a template alone they cannot be compared."""
    found = set()
    for statement in allow_statements(role.properties.get("AssumeRolePolicyDocument")):
        for value in principal_values(statement).get("AWS", []):
            written = literal_text(value)
            if ":root" not in written and written.startswith("arn:"):
                found.add(written)
        for operator in ("ArnEquals", "ArnLike", "StringEquals", "StringLike"):
            found.update(literal_text(v) for v in _condition(statement, operator, "aws:PrincipalArn"))
        for provider in principal_values(statement).get("Federated", []):
            for operator in ("StringEquals", "StringLike"):
                for key, value in mapping(statement, "Condition", operator).items():
                    if str(key).endswith(":sub"):
                        found.update(f"{literal_text(provider)} {literal_text(v)}" for v in items({"v": value}, "v"))
    return {f for f in found if f.strip()}


def _overlap(first: set[str], second: set[str]) -> list[str]:
    return sorted({a for a in first for b in second if fnmatch.fnmatchcase(a, b) or fnmatch.fnmatchcase(b, a)})


def _reviewers_not_requesters(resource: Resource) -> Verdict:
    if not _can(resource, "decide"):
        return NOT_APPLICABLE
    if _can(resource, "submit"):
        return non_compliant("the same role may both submit airlock requests and review them: a requester could "
                             "approve their own request")
    problems = []
    mine = admitted(resource)
    for logical_id, body in resource.others_of_type("AWS::IAM::Role"):
        if logical_id == resource.logical_id:
            continue
        other = Resource.from_template(logical_id, body, resource.template_resources, resource.index, resource.values)
        other = other if resource.branch is None else (other.on_branch(resource.branch) or other)
        if _can(other, "submit"):
            shared = _overlap(mine, admitted(other))
            if shared:
                problems.append(f"requester role {logical_id} admits the same people: {', '.join(shared)}")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


# ---------------------------------------------------------------------------------------------- writes

def _writes_stay_inside(resource: Resource) -> Verdict:
    if not (is_compute_role(resource) or is_people_role(resource)) or not _is_isolated_environment(resource):
        return NOT_APPLICABLE
    releases = resource.derived("airlock-release-buckets", lambda: _release_buckets(resource))
    workflow = tag_value(resource.properties, AIRLOCK_ROLE_TAG) == AIRLOCK_WORKFLOW
    problems: list[str] = []
    unknown: list[CannotJudge] = []
    for where, statement in _grants(resource):
        label = f"{where} {text(statement, 'Sid') or ''}".strip()
        if "NotAction" in statement:
            problems.append(f"{label} allows every action but some (NotAction), writes to any bucket included")
            continue
        written = _covers(actions(statement), WRITE_ACTIONS)
        if not written:
            continue
        if "NotResource" in statement:
            problems.append(f"{label} allows {', '.join(written)} on every resource but some (NotResource)")
            continue
        for value in items(statement, "Resource"):
            try:
                bucket = bucket_of_arn(resource, value)
            except CannotJudge as cannot:
                unknown.append(cannot)
                continue
            if bucket == NOT_A_BUCKET:
                continue
            if bucket == EVERY_BUCKET:
                problems.append(f"{label} allows {', '.join(written)} on {show(value)}: every bucket, those outside "
                                "this environment included")
            elif bucket is None:
                unknown.append(CannotJudge(
                    f"{label}: {', '.join(written)} on {show(value)}", value,
                    "a bucket this template does not hold, so whether it belongs to the environment cannot be told; "
                    "if it does not, the role moves data out unreviewed (route it through the airlock)"))
            elif bucket in releases and not workflow:
                problems.append(f"{label} allows {', '.join(written)} on the airlock's release bucket {bucket}; only "
                                "the airlock's release function writes there, after review")
    for name in _broad_managed_policies(resource):
        problems.append(f"the AWS managed policy {name} allows writing to any bucket")
    if problems:
        return non_compliant("; ".join(problems))
    if unknown:
        return cannot_judge(str(unknown[0]))
    return COMPLIANT


STAGING_MALWARE_PROTECTED = Rule(
    id="AirlockStagingMalwareProtected",
    resource_types=S3_BUCKET,
    finding="An airlock staging bucket has no GuardDuty malware protection plan that tags every new object.",
    explanation=(
        "Files entering or leaving an isolated environment are checked for malware before anyone reads or releases "
        "them (NIH security best practices; SATRE's airlock requirements). A staging bucket (tagged "
        "omics-secure:airlock) needs an AWS::GuardDuty::MalwareProtectionPlan on the whole bucket with tagging "
        "ENABLED, so that every object carries its scan result in the GuardDutyMalwareScanStatus tag."
    ),
    controls=_MALWARE,
    check=_staging_malware_protected,
    fix=("use Airlock, or BucketMalwareProtection(bucket=...); otherwise add an AWS::GuardDuty::MalwareProtectionPlan "
         "on the bucket with Actions.Tagging.Status ENABLED and no ObjectPrefixes"),
)

STAGING_READS_HELD = Rule(
    id="AirlockStagingReadsHeldUntilScanned",
    resource_types=S3_BUCKET,
    finding="An airlock staging bucket lets objects be read before their malware scan is clean, or lets the scan "
            "tag be forged.",
    explanation=(
        "GuardDuty scans after the upload completes; until then the object is readable by anyone IAM allows. The "
        "bucket policy must deny s3:GetObject and s3:GetObjectVersion to everyone but the scanner unless "
        f"s3:ExistingObjectTag/{MALWARE_SCAN_TAG} is {MALWARE_SCAN_CLEAN} (GuardDuty's tag-based access control), "
        "and stop anyone else from setting that tag, by object tagging or by tags on upload."
    ),
    controls=_MALWARE,
    check=_staging_reads_held,
    fix=("use Airlock or BucketMalwareProtection(hold_reads_until_clean=True); otherwise add the deny statements "
         "(reads without the clean tag, tagging but by the scanner, uploads with s3:RequestObjectTagKeys)"),
)

RELEASE_NOT_READABLE_FROM_INSIDE = Rule(
    id="AirlockReleaseNotReadableFromInside",
    resource_types=S3_BUCKET,
    finding="An airlock release bucket can be read from inside the isolated environment.",
    explanation=(
        "Released outputs have left the environment: a release bucket readable by the environment's compute or "
        "people roles, or through its VPC, would be a way around the ingress airlock. No compute role, airlock "
        "requester or reviewer, or role that reaches the environment's data may read it, and its bucket policy "
        "denies reads coming from the isolated VPC."
    ),
    controls=_FLOW,
    check=_release_not_readable_from_inside,
    fix=("use Airlock; grant release_readers only to roles outside the environment, and deny s3:GetObject* with "
         "StringEquals aws:SourceVpc <the isolated VPC> in the release bucket's policy"),
)

REVIEWERS_NOT_REQUESTERS = Rule(
    id="AirlockReviewersNotRequesters",
    resource_types=IAM_ROLE,
    finding="An airlock reviewer role can also request, or admits the same people as a requester role.",
    explanation=(
        "A request leaves the environment only after a different person reviewed it (two for egress, as "
        "OpenSAFELY's output checking does). The airlock's functions refuse a reviewer whose role session is the "
        "requester's; the roles themselves must keep the duties apart too: no role may both submit and decide, and "
        "a reviewer role must not admit a principal or federated subject that a requester role admits."
    ),
    controls=_SEPARATION,
    check=_reviewers_not_requesters,
    fix=("give reviewers (AirlockReviewers) and requesters (ApprovedAccess) different people: different principal "
         "ARNs, IAM Identity Center permission sets or identity-provider subjects"),
)

WRITES_STAY_INSIDE = Rule(
    id="IsolatedEnvironmentWritesStayInside",
    resource_types=IAM_ROLE,
    finding="A compute or people role of an isolated environment can write to a bucket outside it.",
    explanation=(
        "In an isolated environment, data leaves only through the airlock: scanned, reviewed and recorded. A role "
        "that runs code or is assumed by people (in a template with an IsolatedVpc) may write only to the "
        "template's own buckets, an airlock's staging buckets among them; s3:PutObject on '*' or every bucket, or "
        "on the airlock's release bucket, is a way out that skips the review. A bucket the template does not hold "
        "(named, imported, a parameter) cannot be placed from the template alone and is reported as cannot-judge."
    ),
    controls=_FLOW,
    check=_writes_stay_inside,
    fix=("grant writes on this environment's buckets only (PhiBucket.grant_write, ApprovedAccess results); move "
         "outputs out through the Airlock"),
)

AIRLOCK_RULES = (STAGING_MALWARE_PROTECTED, STAGING_READS_HELD, RELEASE_NOT_READABLE_FROM_INSIDE,
                 REVIEWERS_NOT_REQUESTERS, WRITES_STAY_INSIDE)
