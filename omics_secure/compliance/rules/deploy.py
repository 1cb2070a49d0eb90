"""Deploy-time rules: what CloudFormation or the service refuses, or accepts and then silently breaks.

cfn-lint checks each template against the resource schemas and cdk-nag checks security settings; neither
knows the constraints below, which AWS states in prose on the pages each rule cites. A template that
breaks one of them synthesizes, lints and passes every security pack, and then rolls back on deploy, or
deploys and never replicates. Rules that judge a risk rather than a certainty are warnings: they name
the problem and the fix without failing the check.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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
    literal_text,
    principal_values,
    statements,
)
from omics_secure.inputs.values import flag, show

# A stack that rolls back, or that cannot be redeployed, is a contingency-plan and configuration failure.
_AVAILABILITY = Controls(
    hipaa=("164.308(a)(7)(i)", "164.308(a)(7)(ii)(B)"),
    nist_800_53_r5=("CM-6", "CP-10"),
    nist_800_171_r2=("3.4.2",),
    dbgap=("Data Location",),
)
_CONTINGENCY = Controls(
    hipaa=("164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)"),
    nist_800_53_r5=("CP-6", "CP-9"),
    nist_800_171_r2=("3.8.9",),
    dbgap=("Data Location",),
)

_ROLE_ARN = re.compile(r":role/(?:[\w+=,.@-]+/)*([\w+=,.@-]+)\s*$")
_DECRYPT_ACTIONS = frozenset({"kms:decrypt", "kms:decrypt*", "kms:*", "*"})
_REPLICATE_ACTIONS = frozenset({"s3:replicateobject", "s3:replicate*", "s3:*", "*"})


def _role_ids_by_name(resource: Resource) -> dict[str, str]:
    """Literal RoleName of each AWS::IAM::Role of the template, mapped to its logical id."""
    found = {}
    for logical_id, body in resource.others_of_type("AWS::IAM::Role"):
        name = (body.get("Properties") or {}).get("RoleName") if isinstance(body.get("Properties"), Mapping) else None
        if isinstance(name, str):
            found[name] = logical_id
    return found


def _template_principal(value: Any, resource: Resource, roles_by_name: Mapping[str, str]) -> str | None:
    """The logical id of the role or user of this template that ``value`` (an ARN) denotes, if any."""
    if isinstance(value, Mapping) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        logical_id = target[0] if isinstance(target, list) and target else str(target).split(".")[0]
        body = resource.template_resources.get(str(logical_id))
        if isinstance(body, Mapping) and body.get("Type") in ("AWS::IAM::Role", "AWS::IAM::User"):
            return str(logical_id)
        return None
    match = _ROLE_ARN.search(literal_text(value))
    return roles_by_name.get(match.group(1)) if match else None


def _principal_arns(statement: Mapping[str, Any]) -> list[Any]:
    """The AWS principals of ``statement`` and the ``aws:PrincipalArn`` values its conditions narrow it to."""
    found = list(principal_values(statement).get("AWS", []))
    conditions = statement.get("Condition")
    for block in (conditions.values() if isinstance(conditions, Mapping) else ()):
        if isinstance(block, Mapping):
            found += [v for key, value in block.items() if str(key).lower() == "aws:principalarn"
                      for v in as_list(value)]
    return found


def _covers(statement: Mapping[str, Any], wanted: frozenset[str]) -> bool:
    return any(action.lower() in wanted for action in actions(statement))


def _referenced_id(value: Any) -> str | None:
    """The logical id a ``Ref`` or ``Fn::GetAtt`` names, else None."""
    if isinstance(value, Mapping) and "Ref" in value and isinstance(value["Ref"], str):
        return value["Ref"]
    if isinstance(value, Mapping) and "Fn::GetAtt" in value:
        target = value["Fn::GetAtt"]
        return str(target[0]) if isinstance(target, list) and target else str(target).split(".")[0]
    return None


# --- Key, bucket and topic policies naming principals created in the same template ---------------

def _principals_created_here(documents: Iterable[Any], resource: Resource) -> list[str]:
    roles_by_name = _role_ids_by_name(resource)
    problems = []
    for document in documents:
        for index, statement in enumerate(statements(document)):
            for value in principal_values(statement).get("AWS", []):
                logical_id = _template_principal(value, resource, roles_by_name)
                if logical_id is not None:
                    label = str(statement.get("Sid") or f"statement {index}")
                    problems.append(f"{label} names {logical_id}, created in this template, as its principal")
    return problems


def _key_policy_principals(resource: Resource) -> Verdict:
    problems = _principals_created_here([resource.properties.get("KeyPolicy")], resource)
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


def _resource_policy_principals(resource: Resource) -> Verdict:
    problems = _principals_created_here([resource.properties.get("PolicyDocument")], resource)
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


KEY_POLICY_PRINCIPAL_NOT_NEW = Rule(
    id="KMSKeyPolicyPrincipalNotCreatedInTemplate",
    resource_types=frozenset({"AWS::KMS::Key"}),
    finding="The key policy names, as a principal, a role or user created in the same template.",
    explanation=(
        "KMS refuses a key policy whose principals it cannot see yet: 'The principals in the key policy must "
        "exist and be visible to KMS. When you create a new AWS principal, you might need to enforce a delay "
        "before including the new principal in a key policy' "
        "(https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateKey.html#KMS-CreateKey-request-Policy). "
        "CloudFormation creates the key moments after the role and does not retry the "
        "MalformedPolicyDocumentException, so the stack can roll back. Name the account instead and narrow "
        "the statement with an ArnEquals aws:PrincipalArn condition on the role's ARN (give the role a fixed "
        "RoleName to build it), and grant the role in its own IAM policy."
    ),
    controls=_AVAILABILITY,
    check=_key_policy_principals,
    fix=("PhiKey does this for you; otherwise name the account (iam.AccountRootPrincipal() or AWS: "
         "arn:aws:iam::<account>:root) with an ArnEquals aws:PrincipalArn condition on the new role's ARN "
         "instead of the role itself"),
)

RESOURCE_POLICY_PRINCIPAL_NOT_NEW = Rule(
    id="ResourcePolicyPrincipalNotCreatedInTemplate",
    resource_types=frozenset({"AWS::S3::BucketPolicy", "AWS::SNS::TopicPolicy"}),
    finding="The bucket or topic policy names, as a principal, a role or user created in the same template.",
    explanation=(
        "S3 and SNS check that every principal of a resource policy exists, and a new IAM role is not "
        "visible everywhere at once ('Changes that I make are not always immediately visible', "
        "https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_general.html"
        "#troubleshoot_general_eventual-consistency), "
        "so the policy can be refused with 'Invalid principal in policy' right after the role is created. "
        "Usually it is not: this is a warning. To remove the risk, name the account and narrow the statement "
        "with an ArnEquals aws:PrincipalArn condition on the role's ARN."
    ),
    controls=_AVAILABILITY,
    check=_resource_policy_principals,
    severity="warning",
    fix=("name the account with an ArnEquals aws:PrincipalArn condition on the new role's ARN, or add a "
         "DependsOn from the policy to the role and accept the eventual-consistency risk"),
)


# --- S3 lifecycle rules S3 refuses ------------------------------------------------------------------

_DELETE_MARKER_EXCLUSIVE = ("ExpirationInDays", "ExpirationDate", "TagFilters")
_LIFECYCLE_ACTIONS = ("AbortIncompleteMultipartUpload", "ExpirationDate", "ExpirationInDays",
                      "NoncurrentVersionExpiration", "NoncurrentVersionExpirationInDays",
                      "NoncurrentVersionTransition", "NoncurrentVersionTransitions", "Transition", "Transitions")


def _lifecycle_rules_accepted(resource: Resource) -> Verdict:
    configuration = resource.properties.get("LifecycleConfiguration")
    rules = as_list(configuration.get("Rules")) if isinstance(configuration, Mapping) else []
    if not rules:
        return NOT_APPLICABLE
    problems = []
    for index, rule in enumerate(rules):
        if not isinstance(rule, Mapping):
            continue
        label = str(rule.get("Id") or f"rule {index}")
        if "ExpiredObjectDeleteMarker" in rule:
            clashes = [name for name in _DELETE_MARKER_EXCLUSIVE if name in rule]
            if clashes:
                problems.append(f"{label} sets ExpiredObjectDeleteMarker with {' and '.join(clashes)}")
            elif not any(name in rule for name in _LIFECYCLE_ACTIONS):
                problems.append(f"{label} sets only ExpiredObjectDeleteMarker; add NoncurrentVersionExpiration")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


LIFECYCLE_RULES_ACCEPTED = Rule(
    id="S3LifecycleRulesAccepted",
    resource_types=frozenset({"AWS::S3::Bucket"}),
    finding=("A lifecycle rule combines ExpiredObjectDeleteMarker with an expiration or tag filter, or has no "
             "action."),
    explanation=(
        "ExpiredObjectDeleteMarker 'cannot be specified with ExpirationInDays, ExpirationDate, or TagFilters' "
        "(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-s3-bucket-rule.html"
        "#cfn-s3-bucket-rule-expiredobjectdeletemarker), even as false: S3 answers MalformedXML and the stack "
        "rolls back (aws-cdk issue 25824). A rule with ExpiredObjectDeleteMarker alone is refused too (it needs "
        "one of the actions the same page lists). Put the delete-marker clean-up in its own rule with "
        "NoncurrentVersionExpiration, and the expiration in another."
    ),
    controls=_AVAILABILITY,
    check=_lifecycle_rules_accepted,
    fix=("put ExpiredObjectDeleteMarker in a lifecycle rule of its own (with NoncurrentVersionExpiration), "
         "never beside ExpirationInDays, ExpirationDate or TagFilters"),
)


# --- Replication into SSE-KMS buckets with S3 Bucket Keys -----------------------------------------

def _uses_bucket_key(properties: Mapping[str, Any]) -> bool:
    encryption = properties.get("BucketEncryption")
    rules = as_list(encryption.get("ServerSideEncryptionConfiguration")) if isinstance(encryption, Mapping) else []
    return any(isinstance(rule, Mapping) and flag(rule, "BucketKeyEnabled") is True for rule in rules)


def _bucket_key_id(properties: Mapping[str, Any]) -> Any:
    encryption = properties.get("BucketEncryption")
    for rule in as_list(encryption.get("ServerSideEncryptionConfiguration")) if isinstance(encryption, Mapping) else []:
        default = rule.get("ServerSideEncryptionByDefault") if isinstance(rule, Mapping) else None
        if isinstance(default, Mapping) and default.get("KMSMasterKeyID"):
            return default["KMSMasterKeyID"]
    return None


def _identity_documents(role_id: str, resource: Resource) -> list[Any]:
    """The policy documents the template attaches to role ``role_id``: inline, IAM::Policy, ManagedPolicy."""
    role = resource.other(role_id)
    role_properties = role.get("Properties") if isinstance(role, Mapping) else None
    documents: list[Any] = []
    managed: set[str | None] = set()
    if isinstance(role_properties, Mapping):
        inline = as_list(role_properties.get("Policies"))
        documents += [policy.get("PolicyDocument") for policy in inline if isinstance(policy, Mapping)]
        managed = {_referenced_id(arn) for arn in as_list(role_properties.get("ManagedPolicyArns"))}
    for logical_id, body in resource.others_of_type("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
        properties = body.get("Properties")
        if not isinstance(properties, Mapping):
            continue
        attached = {_referenced_id(r) for r in as_list(properties.get("Roles"))}
        if role_id in attached or logical_id in managed:
            documents.append(properties.get("PolicyDocument"))
    return documents


def _decrypt_allowed(principal: Any, key_id: str, resource: Resource, roles_by_name: Mapping[str, str]) -> bool | None:
    """True/False when the template shows whether ``principal`` may kms:Decrypt with key ``key_id``.

    None when it cannot tell: the principal is outside the template and the key policy does not name it.
    """
    key = resource.other(key_id)
    key_properties = key.get("Properties") if isinstance(key, Mapping) else None
    key_policy = key_properties.get("KeyPolicy") if isinstance(key_properties, Mapping) else None
    role_id = _template_principal(principal, resource, roles_by_name)
    wanted = role_id if role_id is not None else literal_text(principal)
    named = False
    for statement in allow_statements(key_policy):
        targets = {_template_principal(v, resource, roles_by_name) or literal_text(v)
                   for v in _principal_arns(statement)}
        if wanted in targets:
            named = True
            if _covers(statement, _DECRYPT_ACTIONS):
                return True
    if role_id is not None:
        for document in _identity_documents(role_id, resource):
            for statement in allow_statements(document):
                resources = as_list(statement.get("Resource"))
                if _covers(statement, _DECRYPT_ACTIONS) and ("*" in resources or any(
                        _referenced_id(r) == key_id for r in resources)):
                    return True
        return False
    return False if named else None


def _key_in_template(value: Any, resource: Resource) -> str | None:
    logical_id = _referenced_id(value)
    body = resource.template_resources.get(logical_id) if logical_id else None
    return logical_id if isinstance(body, Mapping) and body.get("Type") == "AWS::KMS::Key" else None


def _replication_principals(resource: Resource) -> list[Any]:
    """Principals the template's bucket policies of this bucket allow to replicate objects into it."""
    names: list[Any] = [{"Ref": resource.logical_id}]
    if isinstance(resource.properties.get("BucketName"), str):
        names.append(resource.properties["BucketName"])
    found: list[Any] = []
    for _, body in resource.others_of_type("AWS::S3::BucketPolicy"):
        properties = body.get("Properties")
        if not isinstance(properties, Mapping) or properties.get("Bucket") not in names:
            continue
        for statement in allow_statements(properties.get("PolicyDocument")):
            if _covers(statement, _REPLICATE_ACTIONS):
                found += [v for v in _principal_arns(statement) if not literal_text(v).rstrip().endswith(":root")]
    return found


def _replica_key_allows_decrypt(resource: Resource) -> Verdict:
    roles_by_name = _role_ids_by_name(resource)
    checks: list[tuple[str, Any, str]] = []  # (where, principal, key logical id)
    # As a destination: the bucket's own key, for whoever its bucket policy lets replicate into it.
    own_key = _key_in_template(_bucket_key_id(resource.properties), resource)
    if own_key and _uses_bucket_key(resource.properties):
        checks += [("replicas written here", principal, own_key) for principal in _replication_principals(resource)]
    # As a source: the replica key named in each replication rule, for the replication role.
    configuration = resource.properties.get("ReplicationConfiguration")
    if isinstance(configuration, Mapping):
        for index, rule in enumerate(as_list(configuration.get("Rules"))):
            destination = rule.get("Destination") if isinstance(rule, Mapping) else None
            encryption = destination.get("EncryptionConfiguration") if isinstance(destination, Mapping) else None
            replica_key = _key_in_template(encryption.get("ReplicaKmsKeyID"), resource) \
                if isinstance(encryption, Mapping) else None
            target_id = _referenced_id(destination.get("Bucket")) if isinstance(destination, Mapping) else None
            target = resource.other(target_id)
            target_properties = target.get("Properties") if isinstance(target, Mapping) else None
            bucket_keys = _uses_bucket_key(resource.properties) or (
                isinstance(target_properties, Mapping) and _uses_bucket_key(target_properties))
            if replica_key and bucket_keys:
                label = str(rule.get("Id") or f"rule {index}")
                checks.append((f"replication rule {label}", configuration.get("Role"), replica_key))
    if not checks:
        return NOT_APPLICABLE
    problems = []
    for where, principal, key_id in checks:
        if _decrypt_allowed(principal, key_id, resource, roles_by_name) is False:
            who = _template_principal(principal, resource, roles_by_name) or literal_text(principal)
            problems.append(f"{who} may not kms:Decrypt with {key_id} ({where})")
    return non_compliant("; ".join(problems)) if problems else COMPLIANT


REPLICA_KEY_ALLOWS_DECRYPT = Rule(
    id="S3ReplicationRoleCanDecryptReplicaKey",
    resource_types=frozenset({"AWS::S3::Bucket"}),
    finding="With S3 Bucket Keys, the replication role may not kms:Decrypt with the replica's KMS key.",
    explanation=(
        "'To use replication with an S3 Bucket Key, the AWS KMS key policy for the KMS key used to encrypt the "
        "object replica must include kms:Decrypt permissions for the calling principal. The call to "
        "kms:Decrypt verifies the integrity of the S3 Bucket Key before using it.' "
        "(https://docs.aws.amazon.com/AmazonS3/latest/userguide/replication-config-for-kms-objects.html"
        "#bk-replication). "
        "Without it no object replicates, the replication configuration still deploys, and the replica the "
        "contingency plan relies on stays empty. Allow the replication role kms:Decrypt (with kms:Encrypt and "
        "kms:GenerateDataKey, through S3) on the replica key, in the key policy or in the role's IAM policy."
    ),
    controls=_CONTINGENCY,
    check=_replica_key_allows_decrypt,
    fix=("use PhiBucket(replica=PhiReplicaBucket(...)), which grants it; otherwise allow kms:Decrypt (with "
         "kms:Encrypt and kms:GenerateDataKey) on the replica key to the replication role, in the key policy "
         "or the role's policy"),
)


# --- Retained resources with fixed physical names --------------------------------------------------

# Resources whose name must be unique in the account and region (S3: globally), by naming property.
_NAME_PROPERTIES = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::CloudTrail::Trail": "TrailName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::ECR::Repository": "RepositoryName",
    "AWS::SecretsManager::Secret": "Name",
    "AWS::IAM::Role": "RoleName",
    "AWS::KMS::Alias": "AliasName",
    "AWS::Kinesis::Stream": "Name",
    "AWS::RDS::DBInstance": "DBInstanceIdentifier",
    "AWS::RDS::DBCluster": "DBClusterIdentifier",
}
_RETAINED = ("Retain", "RetainExceptOnCreate")


def _retained_fixed_name(resource: Resource) -> Verdict:
    if resource.deletion_policy not in _RETAINED:
        return NOT_APPLICABLE
    name_property = _NAME_PROPERTIES[resource.type]
    name = resource.properties.get(name_property)
    if name is None:
        return COMPLIANT
    # A name built from the stack id changes with every stack created, so it never collides.
    if "AWS::StackId" in show(name):
        return COMPLIANT
    shown = name if isinstance(name, str) else f"{show(name)} (built from parameters or pseudo parameters)"
    return non_compliant(
        f"{name_property} {shown!r} is fixed and the resource is retained ({resource.deletion_policy}): after "
        "the stack is deleted it stays, so the next deploy of this template fails with 'already exists'. "
        "Put a suffix you change per deployment into the name (omics-secure constructs: name_suffix; the "
        "reference app: -c omics-secure:name-suffix=...), or adopt the retained resource with cdk import")


RETAINED_FIXED_NAME = Rule(
    id="RetainedResourceFixedName",
    resource_types=frozenset(_NAME_PROPERTIES),
    finding="A retained resource has a fixed name, so redeploying after the stack is deleted collides with it.",
    explanation=(
        "'Resource names must be unique across all of your active stacks. If you reuse templates to create "
        "multiple stacks, you must change or remove custom names from your template.' "
        "(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-properties-name.html). "
        "A resource with DeletionPolicy Retain outlives its stack "
        "(https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-attribute-deletionpolicy.html), "
        "so its name stays taken. Retaining PHI stores is right; plan the redeploy: a name suffix you change, "
        "or cdk import of the retained resource. A warning, since many names must be fixed."
    ),
    controls=_AVAILABILITY,
    check=_retained_fixed_name,
    severity="warning",
    fix=("drop the fixed name and let CloudFormation generate one, add a name suffix you change on redeploy "
         "(name_suffix=, or -c omics-secure:name-suffix=... in the reference app), or adopt the retained "
         "resource with cdk import"),
)


# --- HealthOmics VPC runs: supported Availability Zone ids ----------------------------------------

# "HealthOmics Workflows operates in the following Regions and Availability Zones. When creating your
# VPC, ensure that your subnets are in one or more of these Availability Zones."
# https://docs.aws.amazon.com/omics/latest/dev/workflows-vpc-internet.html (Supported Regions and
# Availability Zones). Only regions whose every row was read are listed; zone ids of other regions
# are not judged.
OMICS_VPC_ZONE_IDS = {
    "usw2": frozenset({"usw2-az1", "usw2-az2", "usw2-az3", "usw2-az4"}),
    "use1": frozenset({"use1-az1", "use1-az2", "use1-az4", "use1-az5", "use1-az6"}),
    "euw1": frozenset({"euw1-az1", "euw1-az2", "euw1-az3"}),
    "euc1": frozenset({"euc1-az1", "euc1-az2", "euc1-az3"}),
    "euw2": frozenset({"euw2-az1", "euw2-az2", "euw2-az3"}),
    "apse1": frozenset({"apse1-az1", "apse1-az2", "apse1-az3"}),
}


def _run_subnets(resource: Resource) -> list[tuple[str, Mapping[str, Any]]]:
    configurations = resource.properties.get("RunConfigurations")
    vpc = configurations.get("VpcConfig") if isinstance(configurations, Mapping) else None
    subnets = []
    for value in as_list(vpc.get("SubnetIds")) if isinstance(vpc, Mapping) else []:
        logical_id = _referenced_id(value)
        body = resource.other(logical_id)
        properties = body.get("Properties") if isinstance(body, Mapping) else None
        if logical_id and isinstance(body, Mapping) and body.get("Type") == "AWS::EC2::Subnet" \
                and isinstance(properties, Mapping):
            subnets.append((logical_id, properties))
    return subnets


def _omics_zone_ids_supported(resource: Resource) -> Verdict:
    subnets = _run_subnets(resource)
    judged = [(logical_id, zone) for logical_id, properties in subnets
              if isinstance(zone := properties.get("AvailabilityZoneId"), str)
              and zone.split("-")[0] in OMICS_VPC_ZONE_IDS]
    if not judged:
        return NOT_APPLICABLE
    unsupported = [f"{logical_id} is in {zone}" for logical_id, zone in judged
                   if zone not in OMICS_VPC_ZONE_IDS[zone.split("-")[0]]]
    return non_compliant("; ".join(unsupported)) if unsupported else COMPLIANT


def _omics_zones_by_name(resource: Resource) -> Verdict:
    subnets = _run_subnets(resource)
    if not subnets:
        return NOT_APPLICABLE
    by_name = [logical_id for logical_id, properties in subnets if "AvailabilityZoneId" not in properties]
    if not by_name:
        return COMPLIANT
    return non_compliant(
        f"{', '.join(by_name)} pick their zone by name (AvailabilityZone), and zone names map to zone ids "
        "differently in each account; set AvailabilityZoneId to a supported zone id instead")


OMICS_RUN_ZONE_IDS_SUPPORTED = Rule(
    id="OmicsRunSubnetZoneSupported",
    resource_types=frozenset({"AWS::Omics::Configuration"}),
    finding="A subnet of the HealthOmics run configuration is in an Availability Zone HealthOmics runs do not support.",
    explanation=(
        "HealthOmics VPC-connected runs operate only in the Availability Zones AWS lists "
        "(https://docs.aws.amazon.com/omics/latest/dev/workflows-vpc-internet.html, 'Supported Regions and "
        "Availability Zones'; us-east-1, for one, lacks use1-az3): 'ensure that your subnets are in one or "
        "more of these Availability Zones'. Move the subnet to a listed zone id."
    ),
    controls=_AVAILABILITY,
    check=_omics_zone_ids_supported,
    fix=("place the HealthOmics run configuration's subnets in availability-zone ids HealthOmics runs support "
         "(see the rule's explanation for the list); pass availability_zones=[...] to IsolatedVpc"),
)

OMICS_RUN_ZONES_PINNED = Rule(
    id="OmicsRunSubnetZonePinned",
    resource_types=frozenset({"AWS::Omics::Configuration"}),
    finding=("Subnets of the HealthOmics run configuration are placed by zone name, which may map to an "
             "unsupported zone."),
    explanation=(
        "HealthOmics VPC runs support only listed Availability Zone ids "
        "(https://docs.aws.amazon.com/omics/latest/dev/workflows-vpc-internet.html), and 'AWS maps the "
        "physical Availability Zones randomly to the Availability Zone names for each AWS account' "
        "(https://docs.aws.amazon.com/ram/latest/userguide/working-with-az-ids.html), so a subnet in "
        "us-east-1a can be in use1-az3 in one account and not in another. Pin the subnets by "
        "AvailabilityZoneId, or check the account's mapping (aws ec2 describe-availability-zones) against "
        "the list before starting runs. A warning: the template cannot show the mapping."
    ),
    controls=_AVAILABILITY,
    check=_omics_zones_by_name,
    severity="warning",
    fix=("check the zone ids of your account (aws ec2 describe-availability-zones) against the zone ids "
         "HealthOmics runs support, or pin the subnets with AvailabilityZoneId"),
)

# --- AWS Config delivery ------------------------------------------------------------------------

def _config_bucket_unlocked(resource: Resource) -> Verdict:
    bucket_id = _referenced_id(resource.properties.get("S3BucketName"))
    body = resource.other(bucket_id)
    if not isinstance(body, Mapping) or body.get("Type") != "AWS::S3::Bucket":
        return NOT_APPLICABLE
    properties = body.get("Properties")
    if not isinstance(properties, Mapping):
        properties = {}
    if flag(properties, "ObjectLockEnabled"):
        return non_compliant(f"S3BucketName is {bucket_id}, which has object lock enabled")
    return COMPLIANT


CONFIG_DELIVERY_BUCKET_UNLOCKED = Rule(
    id="ConfigDeliveryBucketWithoutObjectLock",
    resource_types=frozenset({"AWS::Config::DeliveryChannel"}),
    finding="The AWS Config delivery channel delivers to a bucket with object lock enabled.",
    explanation=(
        "'AWS Config does not support the delivery channel to an Amazon S3 bucket bucket where object lock is "
        "enabled' (https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/"
        "aws-resource-config-deliverychannel.html). Deliver to a versioned, KMS-encrypted bucket of its own, "
        "not to an object-locked audit bucket."
    ),
    controls=_AVAILABILITY,
    check=_config_bucket_unlocked,
    fix=("deliver AWS Config to a bucket without object lock (AccountSecurityServices creates one), never to "
         "the trail's object-locked bucket"),
)

DEPLOY_RULES = (
    KEY_POLICY_PRINCIPAL_NOT_NEW,
    RESOURCE_POLICY_PRINCIPAL_NOT_NEW,
    LIFECYCLE_RULES_ACCEPTED,
    REPLICA_KEY_ALLOWS_DECRYPT,
    RETAINED_FIXED_NAME,
    OMICS_RUN_ZONE_IDS_SUPPORTED,
    OMICS_RUN_ZONES_PINNED,
    CONFIG_DELIVERY_BUCKET_UNLOCKED,
)
