"""The policies of an input, read once: who the principals are, what each store is, and which policies apply.

Every resource of the input gets a canonical name and ARN (its own name when the template gives one, else the
name CloudFormation generates, ``<stack>-<logical id>-<random>``, with the random part a hole), so that a
``Ref``, a ``GetAtt`` or an ARN built with ``Fn::Sub``/``Fn::Join`` compares with the policies' patterns as
strings. ARN formats come from the Service Authorization Reference (:mod:`~omics_secure.policy.catalog`).
Imports (``Fn::ImportValue``) are followed to the exporting stack (:mod:`omics_secure.inputs.links`); what stays
unknown before deployment is a hole, which every comparison answers MAYBE.

Undecided template conditions are explored (:func:`~omics_secure.inputs.values.explore`); the policies of the
branches are merged so as never to narrow a grant: an allow present on any branch is kept, a deny only when
every branch has it.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omics_secure._internal.tags import APPROVAL_ID_TAG, DATA_CLASSIFICATION_TAG, PHI
from omics_secure.inputs.assembly import StackArtifact
from omics_secure.inputs.links import Links, pseudo_parameters
from omics_secure.inputs.values import Resolution, TemplateValues, Text, Unknown, explore, referenced_id, show
from omics_secure.policy import catalog
from omics_secure.policy.documents import GROUP, ROLE, USER, Policy, Statement, parse_policy
from omics_secure.policy.managed import aws_managed_policy, unknown_managed_policy
from omics_secure.policy.matching import has_hole, hole, identity_hole

PARTITION, URL_SUFFIX = "aws", "amazonaws.com"
BUCKET, KEY = "AWS::S3::Bucket", "AWS::KMS::Key"
SEQUENCE_STORE, REFERENCE_STORE = "AWS::Omics::SequenceStore", "AWS::Omics::ReferenceStore"
FHIR_DATASTORE = "AWS::HealthLake::FHIRDatastore"
STORE_TYPES = (BUCKET, KEY, SEQUENCE_STORE, REFERENCE_STORE, FHIR_DATASTORE)
_ACTOR_TYPES = {"AWS::IAM::Role": ROLE, "AWS::IAM::User": USER, "AWS::IAM::Group": GROUP}
_READ_TYPES = frozenset({
    *_ACTOR_TYPES, *STORE_TYPES, "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy", "AWS::IAM::RolePolicy",
    "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy", "AWS::IAM::UserToGroupAddition", "AWS::S3::BucketPolicy",
    "AWS::S3::AccessPoint", "AWS::Organizations::Policy"})
_FULL_ACCESS = Policy("FullAWSAccess (attached beside it)", (Statement("Allow", "FullAWSAccess", actions=("*",),
                                                                        resources=("*",)),))
_ACCOUNT_ID = re.compile(r"^[0-9]{12}$")
_ORGANIZATION_ROOT = re.compile(r"^r-[0-9a-z]{4,32}$")


@dataclass(frozen=True)
class Actor:
    """A role, user or group of the input, with the identity-based policies that apply to it."""

    stack: str
    logical_id: str
    kind: str
    arn: str
    account: str
    policies: tuple[Policy, ...]
    boundary: Policy | None
    trust: Policy | None
    tags: Mapping[str, str]
    groups: tuple[str, ...] = ()

    @property
    def name(self) -> str:
        return f"{self.stack}/{self.logical_id}"

    @property
    def approval(self) -> str | None:
        return self.tags.get(APPROVAL_ID_TAG)


@dataclass(frozen=True)
class AccessPoint:
    """An S3 access point on a store; ``vpc`` is its network origin's VPC (None: internet origin)."""

    stack: str
    logical_id: str
    arn: str
    policy: Policy | None
    tags: Mapping[str, str]
    vpc: str | None = None
    public_blocked: bool = False


@dataclass(frozen=True)
class Store:
    """A data store: a bucket, a KMS key, a HealthOmics sequence or reference store, or a HealthLake datastore."""

    stack: str
    logical_id: str
    type: str
    arn: str
    data_arn: str
    account: str
    region: str
    phi: bool
    policy: Policy | None
    key: str | None = None
    restrict_public: bool = False
    access_points: tuple[AccessPoint, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Environment:
    """Everything the evaluator needs of one input."""

    actors: tuple[Actor, ...]
    stores: tuple[Store, ...]
    scps: Mapping[str, tuple[Policy, ...]]
    rcps: Mapping[str, tuple[Policy, ...]]
    notes: tuple[str, ...] = ()

    def key(self, arn: str | None) -> Store | None:
        return self.keys_by_arn.get(arn) if arn is not None else None

    @functools.cached_property
    def keys_by_arn(self) -> Mapping[str, Store]:
        return {s.arn: s for s in self.stores if s.type == KEY}

    @functools.cached_property
    def actors_by_arn(self) -> Mapping[str, Actor]:
        return {a.arn: a for a in self.actors}

    @functools.cached_property
    def actors_of_unknown_accounts(self) -> tuple[Actor, ...]:
        return tuple(a for a in self.actors if has_hole(a.account))

    @functools.cached_property
    def actors_by_account(self) -> Mapping[str, tuple[Actor, ...]]:
        found: dict[str, list[Actor]] = {}
        for actor in self.actors:
            found.setdefault(actor.account, []).append(actor)
        return {account: tuple(actors) for account, actors in found.items()}

    def scp_levels(self, account: str) -> tuple[tuple[Policy, ...], ...]:
        """The SCPs of the input that apply to ``account``, beside FullAWSAccess: only their denies narrow,
        because the other policies attached where they are (FullAWSAccess at least) are not in the input."""
        found = self.scps.get(account, ())
        return ((*found, _FULL_ACCESS),) if found else ()

    def rcp_levels(self, account: str) -> tuple[tuple[Policy, ...], ...]:
        found = self.rcps.get(account, ())
        return ((*found, _FULL_ACCESS),) if found else ()


# --- canonical values -------------------------------------------------------------------------------------

_VALID_STACK_NAME = re.compile(r"^[A-Za-z][-A-Za-z0-9]*$")


def stack_values(stack: StackArtifact, links: Links | None = None) -> TemplateValues:
    """The stack's template values: its pseudo parameters, and for a nested stack the parameters its parent
    passes (``AWS::CloudFormation::Stack`` ``Parameters``), read in the parent's terms."""
    cache = links.values if links is not None else {}
    if stack.name in cache:
        return cache[stack.name]
    overrides = dict(pseudo_parameters(stack))
    bound = links.parameter_bindings(stack) if links is not None else None
    if bound is not None:
        parent, bindings = bound
        parent_canonical = _Canonical.of(parent, links)
        resolution = Resolution(parent_canonical.values)
        for name, value in bindings.items():
            text = parent_canonical.text(resolution.resolve(value), resolution)
            if text is not None:
                overrides.setdefault(str(name), text)
    values = cache[stack.name] = TemplateValues(stack.template, overrides)
    return values

class _Canonical:
    """Turns a stack's resolved values into plain strings (holes for what stays unknown)."""

    def __init__(self, name: str, values: TemplateValues, links: Links | None = None, depth: int = 0, *,
                 deployed_name: str | None = None) -> None:
        self.name_of_stack = name
        # The name CloudFormation knows the stack by, from which it generates resource names; None when only
        # the deployment chooses it (a template file).
        self.deployed_name = deployed_name if deployed_name is not None else (
            name if _VALID_STACK_NAME.match(name) else None)
        self.values = values
        self.links = links
        self.depth = depth
        pseudo = values.pseudo
        account, region = pseudo.get("AWS::AccountId"), pseudo.get("AWS::Region")
        self.account = account if isinstance(account, str) else hole(f"{name}:AWS::AccountId")
        self.region = region if isinstance(region, str) else hole(f"{name}:AWS::Region")
        self.resources: Mapping[str, Any] = values.resources
        self._names: dict[str, str] = {}

    @classmethod
    def of(cls, stack: StackArtifact, links: Links | None = None, depth: int = 0) -> _Canonical:
        deployed = None
        if stack.template_path.name.endswith(".template.json") and stack.nested_in is None:
            deployed = stack.name.replace("/", "-")  # a CDK stack: its display path, as CDK names stage stacks
        return cls(stack.name, stack_values(stack, links), links, depth, deployed_name=deployed)

    def generated(self, logical_id: str, limit: int = 63) -> str:
        """CloudFormation's ``<stack>-<logical id>-<random>`` name; a template file's stack name is chosen at
        deployment, so it is unknown too."""
        if self.deployed_name is not None:
            base = f"{self.deployed_name}-{logical_id}"[: limit - 14]
        else:
            base = f"{hole(self.name_of_stack + ':AWS::StackName')}-{logical_id}"
        return f"{base}-{identity_hole(logical_id + '.GeneratedName')}"

    def name(self, logical_id: str, resolution: Resolution) -> str:
        """The physical name of a resource: its name property, else the name CloudFormation generates."""
        if logical_id in self._names:
            return self._names[logical_id]
        self._names[logical_id] = hole(logical_id)  # a resource whose name refers to itself
        body = self.resources.get(logical_id)
        type_ = str(body.get("Type")) if isinstance(body, Mapping) else ""
        properties = body.get("Properties") if isinstance(body, Mapping) else None
        properties = properties if isinstance(properties, Mapping) else {}
        prop = {"AWS::S3::Bucket": "BucketName", "AWS::IAM::Role": "RoleName", "AWS::IAM::User": "UserName",
                "AWS::IAM::Group": "GroupName", "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
                "AWS::S3::AccessPoint": "Name", "AWS::SNS::Topic": "TopicName",
                "AWS::ECR::Repository": "RepositoryName"}.get(type_)
        written = self.text(resolution.resolve(properties.get(prop)), resolution) if prop else None
        if written:
            name = written
        elif type_ == "AWS::S3::Bucket":
            name = self.generated(logical_id).lower()
        else:
            name = self.generated(logical_id)
        self._names[logical_id] = name
        return name

    def arn(self, logical_id: str, resolution: Resolution) -> str:
        body = self.resources.get(logical_id)
        type_ = str(body.get("Type")) if isinstance(body, Mapping) else ""
        properties = body.get("Properties") if isinstance(body, Mapping) else {}
        properties = properties if isinstance(properties, Mapping) else {}
        account, region = self.account, self.region
        iam_path = self.text(resolution.resolve(properties.get("Path")), resolution) or "/"
        if type_ in ("AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group"):
            kind = type_.rsplit("::", 1)[1].lower()
            return f"arn:{PARTITION}:iam::{account}:{kind}{iam_path}{self.name(logical_id, resolution)}"
        if type_ == "AWS::IAM::ManagedPolicy":
            return f"arn:{PARTITION}:iam::{account}:policy{iam_path}{self.name(logical_id, resolution)}"
        identifier = identity_hole(f"{logical_id}.Id")
        formats = {
            "AWS::S3::Bucket": ("s3", "bucket", {"BucketName": self.name(logical_id, resolution)}),
            "AWS::KMS::Key": ("kms", "key", {"KeyId": identifier}),
            "AWS::S3::AccessPoint": ("s3", "accesspoint", {"AccessPointName": self.name(logical_id, resolution)}),
            "AWS::Omics::SequenceStore": ("omics", "sequencestore", {"SequenceStoreId": identifier}),
            "AWS::Omics::ReferenceStore": ("omics", "referencestore", {"ReferenceStoreId": identifier}),
            "AWS::HealthLake::FHIRDatastore": ("healthlake", "datastore", {"DatastoreId": identifier}),
            "AWS::ECR::Repository": ("ecr", "repository", {"RepositoryName": self.name(logical_id, resolution)}),
        }
        if type_ in formats:
            service, resource_type, parts = formats[type_]
            return arn_of(service, resource_type, account=account, region=region, **parts)
        if type_ == "AWS::SNS::Topic":
            return f"arn:{PARTITION}:sns:{region}:{account}:{self.name(logical_id, resolution)}"
        return hole(f"{logical_id}.Arn")

    def ref(self, logical_id: str, resolution: Resolution) -> str:
        body = self.resources.get(logical_id)
        type_ = str(body.get("Type")) if isinstance(body, Mapping) else ""
        if type_ in ("AWS::IAM::ManagedPolicy", "AWS::SNS::Topic"):
            return self.arn(logical_id, resolution)
        if type_ == "AWS::KMS::Key":
            return identity_hole(f"{logical_id}.Id")
        if type_ in ("AWS::Omics::SequenceStore", "AWS::Omics::ReferenceStore"):
            return identity_hole(f"{logical_id}.Id")
        if type_ in ("AWS::S3::Bucket", "AWS::IAM::Role", "AWS::IAM::User", "AWS::IAM::Group",
                     "AWS::S3::AccessPoint", "AWS::ECR::Repository"):
            return self.name(logical_id, resolution)
        return hole(logical_id)

    def attribute(self, logical_id: str, attribute: str, resolution: Resolution) -> str:
        if attribute in ("Arn", "DatastoreArn"):
            return self.arn(logical_id, resolution)
        if attribute in ("KeyId", "SequenceStoreId", "ReferenceStoreId", "DatastoreId"):
            return identity_hole(f"{logical_id}.Id")
        if attribute in ("DomainName", "RegionalDomainName", "DualStackDomainName"):
            name = self.name(logical_id, resolution)
            return f"{name}.s3.{self.region + '.' if attribute != 'DomainName' else ''}{URL_SUFFIX}"
        if attribute in ("RoleId", "UserId"):
            return hole(f"{logical_id}.{attribute}")
        return hole(f"{logical_id}.{attribute}")

    def text(self, value: Any, resolution: Resolution) -> str | None:
        """``value`` as one string (holes for unknown parts); None when absent or not a string-like value."""
        if value is None:
            return None
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        if isinstance(value, Text):
            return "".join(self.text(part, resolution) or "" for part in value.parts)
        if isinstance(value, Unknown):
            return self.unknown(value.expression)
        target = referenced_id(value)
        if target is not None and isinstance(value, Mapping):
            if "Ref" in value:
                return self.ref(target, resolution)
            attribute = value["Fn::GetAtt"]
            name = attribute[1] if isinstance(attribute, list) and len(attribute) > 1 else str(attribute).split(
                ".", 1)[-1]
            return self.attribute(target, str(name), resolution)
        return None

    def unknown(self, expression: Any) -> str:
        if isinstance(expression, Mapping) and len(expression) == 1:
            name, argument = next(iter(expression.items()))
            if name == "Ref":
                return {"AWS::AccountId": self.account, "AWS::Region": self.region, "AWS::Partition": PARTITION,
                        "AWS::URLSuffix": URL_SUFFIX, "AWS::StackName": self.name_of_stack}.get(
                    str(argument), hole(str(argument)))
            if name == "Fn::ImportValue" and self.depth < 4 and self.links is not None:
                imported = self._import(argument)
                if imported is not None:
                    return imported
        return hole(show(expression))

    def _import(self, argument: Any) -> str | None:
        name = Resolution(self.values).resolve(argument)
        export = self.links.export(name) if self.links is not None and isinstance(name, str) else None
        if export is None:
            return None
        producer = _Canonical.of(export.stack, self.links, self.depth + 1)
        resolution = Resolution(stack_values(export.stack, self.links))
        return producer.text(resolution.resolve(export.value), resolution)

    def plain(self, value: Any, resolution: Resolution) -> Any:
        """A resolved policy document as plain JSON: every string-like value through :meth:`text`."""
        if isinstance(value, Mapping) and referenced_id(value) is None:
            return {str(k): self.plain(v, resolution) for k, v in value.items()}
        if isinstance(value, list):
            return [self.plain(v, resolution) for v in value]
        text = self.text(value, resolution)
        return text if text is not None else hole(show(value))


def arn_of(service: str, resource_type: str, *, account: str, region: str, **parts: str) -> str:
    """An ARN from the reference's format for ``resource_type``; a part not given is a hole."""
    template = catalog.resource_arn_format(service, resource_type)
    if template is None:
        return hole(f"{service}:{resource_type}")
    values = {"Partition": PARTITION, "Region": region, "Account": account, **parts}
    return re.sub(r"\$\{([^}]+)\}", lambda m: values.get(m.group(1), hole(m.group(1))), template)


# --- reading one stack -------------------------------------------------------------------------------------

@dataclass
class _Part:
    """What one branch of one stack holds. Policies are keyed by where they attach, for merging branches."""

    actors: dict[str, dict[str, Any]] = field(default_factory=dict)
    stores: dict[str, dict[str, Any]] = field(default_factory=dict)
    access_points: dict[str, dict[str, Any]] = field(default_factory=dict)
    policies: dict[tuple[str, ...], Policy] = field(default_factory=dict)
    organization: list[tuple[str, tuple[str, ...], str]] = field(default_factory=list)


def _tags(properties: Mapping[str, Any], canonical: _Canonical, resolution: Resolution) -> dict[str, str]:
    tags = properties.get("Tags")
    if isinstance(tags, Mapping):  # some resource types take tags as a map
        return {str(k): canonical.text(v, resolution) or "" for k, v in tags.items()}
    return {str(canonical.text(t.get("Key"), resolution)): canonical.text(t.get("Value"), resolution) or ""
            for t in (tags if isinstance(tags, list) else []) if isinstance(t, Mapping)}


def _names(value: Any, canonical: _Canonical, resolution: Resolution) -> tuple[str, ...]:
    values = value if isinstance(value, list) else [value] if value is not None else []
    return tuple(t for t in (canonical.text(v, resolution) for v in values) if t)


def _read_branch(stack: StackArtifact, canonical: _Canonical, resolution: Resolution) -> _Part:
    part = _Part()
    for logical_id, raw in stack.resources.items():
        if not isinstance(raw, Mapping) or raw.get("Type") not in _READ_TYPES:
            continue  # resolving the rest of the template would only cost time
        body = resolution.resource(logical_id)
        if body is None:
            continue
        type_ = str(body.get("Type"))
        properties = body["Properties"]
        where = f"{stack.name}/{logical_id}"

        def policy(document: Any, name: str = where) -> Policy:
            return parse_policy(canonical.plain(document, resolution), name)

        if type_ in _ACTOR_TYPES:
            part.actors[logical_id] = {
                "kind": _ACTOR_TYPES[type_], "arn": canonical.arn(logical_id, resolution),
                "name": canonical.name(logical_id, resolution), "tags": _tags(properties, canonical, resolution),
                "managed": _names(properties.get("ManagedPolicyArns"), canonical, resolution),
                "boundary": canonical.text(properties.get("PermissionsBoundary"), resolution),
                "groups": _names(properties.get("Groups"), canonical, resolution)}
            if "AssumeRolePolicyDocument" in properties:
                part.policies[("trust", where)] = policy(properties["AssumeRolePolicyDocument"],
                                                              f"{where} trust policy")
            for index, inline in enumerate(properties.get("Policies") or []):
                if isinstance(inline, Mapping):
                    label = canonical.text(inline.get("PolicyName"), resolution) or str(index)
                    part.policies[("inline", where, label)] = policy(inline.get("PolicyDocument"),
                                                                          f"{where} policy {label}")
        elif type_ in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            document = policy(properties.get("PolicyDocument"))
            if type_ == "AWS::IAM::ManagedPolicy":
                part.policies[("managed", canonical.arn(logical_id, resolution))] = document
            for kind, prop in ((ROLE, "Roles"), (USER, "Users"), (GROUP, "Groups")):
                for name in _names(properties.get(prop), canonical, resolution):
                    part.policies[("attached", kind, name, where)] = document
        elif type_ in ("AWS::IAM::RolePolicy", "AWS::IAM::UserPolicy", "AWS::IAM::GroupPolicy"):
            kind = {"AWS::IAM::RolePolicy": ROLE, "AWS::IAM::UserPolicy": USER}.get(type_, GROUP)
            prop = {ROLE: "RoleName", USER: "UserName", GROUP: "GroupName"}[kind]
            for name in _names(properties.get(prop), canonical, resolution):
                part.policies[("attached", kind, name, where)] = policy(properties.get("PolicyDocument"))
        elif type_ == "AWS::IAM::UserToGroupAddition":
            group = canonical.text(properties.get("GroupName"), resolution)
            for user in _names(properties.get("Users"), canonical, resolution):
                part.policies[("member", user, group or "?", where)] = Policy(where, ())
        elif type_ in STORE_TYPES:
            part.stores[logical_id] = _store(type_, logical_id, properties, canonical, resolution)
            if type_ == KEY:
                part.policies[("resource", part.stores[logical_id]["arn"])] = policy(properties.get("KeyPolicy"),
                                                                                    f"{where} key policy")
        elif type_ == "AWS::S3::BucketPolicy":
            bucket = canonical.text(properties.get("Bucket"), resolution) or hole(f"{logical_id}.Bucket")
            bucket_arn = arn_of("s3", "bucket", account="", region="", BucketName=bucket)
            part.policies[("resource", bucket_arn, where)] = policy(properties.get("PolicyDocument"))
        elif type_ == "AWS::S3::AccessPoint":
            vpc = properties.get("VpcConfiguration")
            block = properties.get("PublicAccessBlockConfiguration")
            part.access_points[logical_id] = {
                "arn": canonical.arn(logical_id, resolution),
                "bucket": canonical.text(properties.get("Bucket"), resolution) or hole(f"{logical_id}.Bucket"),
                "tags": _tags(properties, canonical, resolution),
                "vpc": canonical.text(vpc.get("VpcId"), resolution) if isinstance(vpc, Mapping) else None,
                "public_blocked": isinstance(block, Mapping) and all(
                    str(block.get(name)).lower() == "true" for name in (
                        "BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"))}
            if properties.get("Policy") is not None:
                part.policies[("access-point", where)] = policy(properties.get("Policy"),
                                                                     f"{where} access point policy")
        elif type_ == "AWS::Organizations::Policy":
            content = properties.get("Content")
            if isinstance(content, str):
                try:
                    content = json.loads(content)
                except ValueError:
                    content = None
            kind = canonical.text(properties.get("Type"), resolution) or ""
            targets = _names(properties.get("TargetIds"), canonical, resolution)
            part.policies[("organization", where)] = policy(content)
            part.organization.append((kind, targets, where))
    return part


def _store(type_: str, logical_id: str, properties: Mapping[str, Any], canonical: _Canonical,
           resolution: Resolution) -> dict[str, Any]:
    arn = canonical.arn(logical_id, resolution)
    tags = _tags(properties, canonical, resolution)
    found: dict[str, Any] = {"type": type_, "arn": arn, "tags": tags, "phi": type_ in (
        SEQUENCE_STORE, REFERENCE_STORE, FHIR_DATASTORE) or tags.get(DATA_CLASSIFICATION_TAG) == PHI}
    data = hole("data")
    if type_ == BUCKET:
        found["data_arn"] = f"{arn}/{data}"
        rules = (properties.get("BucketEncryption") or {}).get("ServerSideEncryptionConfiguration") \
            if isinstance(properties.get("BucketEncryption"), Mapping) else None
        for rule in rules if isinstance(rules, list) else []:
            default = rule.get("ServerSideEncryptionByDefault") if isinstance(rule, Mapping) else None
            if isinstance(default, Mapping) and default.get("KMSMasterKeyID") is not None:
                found["key"] = canonical.text(default.get("KMSMasterKeyID"), resolution)
        block = properties.get("PublicAccessBlockConfiguration")
        found["restrict_public"] = isinstance(block, Mapping) and str(block.get("RestrictPublicBuckets")).lower() \
            == "true"
    elif type_ == SEQUENCE_STORE:
        found["data_arn"] = arn_of("omics", "readset", account=canonical.account, region=canonical.region,
                                   SequenceStoreId=identity_hole(f"{logical_id}.Id"), ReadSetId=data)
    elif type_ == REFERENCE_STORE:
        found["data_arn"] = arn_of("omics", "reference", account=canonical.account, region=canonical.region,
                                   ReferenceStoreId=identity_hole(f"{logical_id}.Id"), ReferenceId=data)
    else:
        found["data_arn"] = arn
    return found


def _merge(policies: Sequence[Policy | None]) -> Policy | None:
    """One policy for every branch: each allow of any branch, each deny of every branch."""
    present = [p for p in policies if p is not None]
    if not present:
        return None
    if len(policies) == 1:
        return present[0]
    allows: dict[Statement, None] = {}
    for policy in present:
        allows.update((s, None) for s in policy.statements if s.allows)
    denies = [] if len(present) < len(policies) else [
        s for s in present[0].statements if not s.allows and all(s in p.statements for p in present[1:])]
    return Policy(present[0].name, (*denies, *allows))


def _read_stack(stack: StackArtifact, links: Links) -> tuple[_Part, list[str]]:
    canonical = _Canonical.of(stack, links)
    outcomes, complete = explore(canonical.values, lambda resolution: _read_branch(stack, canonical, resolution))
    parts = [part for _, part in outcomes]
    notes = [] if complete else [f"{stack.name}: more than {len(parts)} combinations of undecided conditions; "
                                 "policies were read on the first ones only"]
    merged = _Part()
    for part in parts:
        for attribute in ("actors", "stores", "access_points"):
            for key, value in getattr(part, attribute).items():
                getattr(merged, attribute).setdefault(key, value)
        merged.organization += [entry for entry in part.organization if entry not in merged.organization]
    for key in dict.fromkeys(k for part in parts for k in part.policies):
        policy = _merge([part.policies.get(key) for part in parts])
        if policy is not None:
            merged.policies[key] = policy
    return merged, notes


# --- the environment ----------------------------------------------------------------------------------------

def read_environment(stacks: Sequence[StackArtifact], values: Mapping[str, TemplateValues] | None = None
                     ) -> Environment:
    """The principals, stores and policies of every stack of one input (``values``: a stack's template values
    already read, by stack name)."""
    links = Links(stacks)
    links.values.update(values or {})
    parts: list[tuple[StackArtifact, _Part]] = []
    notes: list[str] = []
    for stack in stacks:
        part, stack_notes = _read_stack(stack, links)
        parts.append((stack, part))
        notes += stack_notes
    policies: dict[tuple[str, ...], Policy] = {}
    for _, part in parts:
        for key, value in part.policies.items():
            policies.setdefault(key, value)
    managed = {key[1]: policy for key, policy in policies.items() if key[0] == "managed"}
    attached: dict[tuple[str, str], list[Policy]] = {}
    members: dict[str, list[str]] = {}
    for key, policy in policies.items():
        if key[0] == "attached":
            attached.setdefault((key[1], key[2]), []).append(policy)
        elif key[0] == "member":
            members.setdefault(key[1], []).append(key[2])
    groups = {(stack.name, lid): info for stack, part in parts for lid, info in part.actors.items()
              if info["kind"] == GROUP}

    inline: dict[str, list[Policy]] = {}
    for key, policy in policies.items():
        if key[0] == "inline":
            inline.setdefault(key[1], []).append(policy)

    def identity(stack: StackArtifact, logical_id: str, info: Mapping[str, Any]) -> list[Policy]:
        found = list(inline.get(f"{stack.name}/{logical_id}", []))
        found += attached.get((info["kind"], info["name"]), [])
        found += [_managed(arn, managed) for arn in info["managed"]]
        return found

    actors: list[Actor] = []
    for stack, part in parts:
        canonical_account = _Canonical.of(stack, links).account
        for logical_id, info in part.actors.items():
            own = identity(stack, logical_id, info)
            group_names = (*info["groups"], *members.get(info["name"], []))
            if info["kind"] == USER:
                for (group_stack, group_id), group in groups.items():
                    if group["name"] in group_names:
                        own += identity(next(s for s, _ in parts if s.name == group_stack), group_id, group)
            boundary = _managed(info["boundary"], managed) if info["boundary"] else None
            actors.append(Actor(stack.name, logical_id, info["kind"], info["arn"], canonical_account, tuple(own),
                                boundary, part.policies.get(("trust", f"{stack.name}/{logical_id}")), info["tags"],
                                tuple(group_names)))
    resource_policies: dict[str, list[Policy]] = {}
    for key, policy in policies.items():
        if key[0] == "resource":
            resource_policies.setdefault(key[1], []).append(policy)
    stores = [_make_store(stack, logical_id, info, part, policies, links, resource_policies)
              for stack, part in parts for logical_id, info in part.stores.items()]
    scps, rcps = _organization_policies(parts, policies)
    return Environment(tuple(actors), tuple(stores), scps, rcps, tuple(notes))


def _managed(arn: str, managed: Mapping[str, Policy]) -> Policy:
    if arn in managed:
        return managed[arn]
    return aws_managed_policy(arn) or unknown_managed_policy(arn)


def _make_store(stack: StackArtifact, logical_id: str, info: Mapping[str, Any], part: _Part,
                policies: Mapping[tuple[str, ...], Policy], links: Links,
                resource_policies: Mapping[str, list[Policy]]) -> Store:
    canonical = _Canonical.of(stack, links)
    arn = info["arn"]
    if info["type"] == BUCKET:
        found = resource_policies.get(arn, [])
        policy = Policy(" and ".join(p.name for p in found), tuple(s for p in found for s in p.statements)) \
            if found else None
    else:
        policy = policies.get(("resource", arn))
    bucket_name = arn.removeprefix("arn:aws:s3:::")
    points = tuple(AccessPoint(stack.name, lid, point["arn"], policies.get(("access-point", f"{stack.name}/{lid}")),
                               point["tags"], point["vpc"], point["public_blocked"])
                   for lid, point in part.access_points.items() if point["bucket"] in (bucket_name, arn))
    return Store(stack.name, logical_id, info["type"], arn, info["data_arn"], canonical.account, canonical.region,
                 info["phi"], policy, info.get("key"), bool(info.get("restrict_public")), points, info["tags"])


def _organization_policies(parts: Iterable[tuple[StackArtifact, _Part]], policies: Mapping[tuple[str, ...], Policy]
                           ) -> tuple[dict[str, tuple[Policy, ...]], dict[str, tuple[Policy, ...]]]:
    """SCPs and RCPs by the account they apply to. A policy attached to the organization's root applies to
    every account (key ``"*"``); one attached to an OU applies to accounts the input cannot place, so it is
    not applied (never narrowing a grant on a guess)."""
    scps: dict[str, list[Policy]] = {}
    rcps: dict[str, list[Policy]] = {}
    for _, part in parts:
        for kind, targets, where in part.organization:
            policy = policies.get(("organization", where))
            table = scps if kind == "SERVICE_CONTROL_POLICY" else rcps if kind == "RESOURCE_CONTROL_POLICY" else None
            if policy is None or table is None:
                continue
            for target in targets:
                if _ACCOUNT_ID.match(target) or _ORGANIZATION_ROOT.match(target):
                    table.setdefault("*" if target.startswith("r-") else target, []).append(policy)
    return ({k: tuple(v) for k, v in scps.items()}, {k: tuple(v) for k, v in rcps.items()})


class TemplateReader:
    """Policy documents and canonical ARNs of one template's resources, for a rule that judges one resource."""

    def __init__(self, values: TemplateValues, name: str = "template") -> None:
        self._canonical = _Canonical(name, values)

    def policy(self, document: Any, resolution: Resolution, name: str) -> Policy:
        return parse_policy(self._canonical.plain(document, resolution), name)

    def text(self, value: Any, resolution: Resolution) -> str | None:
        return self._canonical.text(value, resolution)

    def arn(self, logical_id: str, resolution: Resolution) -> str:
        return self._canonical.arn(logical_id, resolution)

    @property
    def account(self) -> str:
        return self._canonical.account

    @property
    def region(self) -> str:
        return self._canonical.region


def environment_of_template(values: TemplateValues, name: str = "template") -> Environment:
    """The environment of one template alone (a rule sees one template): its parameters as resolved."""
    template = {"Resources": values.resources, "Conditions": values.conditions, "Mappings": values.mappings}
    pseudo = {k: v for k, v in values.pseudo.items() if isinstance(v, str)}
    stack = StackArtifact(name=name, template_path=Path(name), template=template, construct_paths={},
                          parameters=pseudo)
    return read_environment([stack], {name: values})
