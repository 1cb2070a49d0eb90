"""Readable names for the resources of a synthesized app and for the template values that point at them.

A committee reads "the PhiData bucket" or "alias/omics-secure/OmicsSecurePrimary/DataKey", not
``PhiDataE2352BFC`` or ``{"Fn::GetAtt": ["DataKey17AFBB84", "Arn"]}``. A resource's name is the physical
name the template gives it (``BucketName``, ``RoleName``, the key's alias, ...) when that is a literal,
else its construct path without the stack and the trailing ``Resource`` levels CDK adds; the stack is
appended only when two stacks use the same name. A value that is computed at deploy time is described
by what it names ("the PhiData bucket's ARN"); pseudo parameters are resolved from the stack's environment.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

from omics_secure.compliance.rules._policy import as_list
from omics_secure.inputs.assembly import StackArtifact

KINDS = {
    "AWS::S3::Bucket": "bucket",
    "AWS::S3::AccessPoint": "access point",
    "AWS::KMS::Key": "key",
    "AWS::IAM::Role": "role",
    "AWS::IAM::ManagedPolicy": "policy",
    "AWS::IAM::Policy": "policy",
    "AWS::Omics::SequenceStore": "sequence store",
    "AWS::Omics::ReferenceStore": "reference store",
    "AWS::Omics::VariantStore": "variant store",
    "AWS::Omics::AnnotationStore": "annotation store",
    "AWS::HealthLake::FHIRDatastore": "FHIR datastore",
    "AWS::CloudTrail::Trail": "trail",
    "AWS::Logs::LogGroup": "log group",
    "AWS::SNS::Topic": "topic",
    "AWS::EC2::VPC": "VPC",
    "AWS::EC2::Subnet": "subnet",
    "AWS::EC2::VPCEndpoint": "endpoint",
    "AWS::EC2::SecurityGroup": "security group",
}

# The property holding a resource's physical name, where CloudFormation lets a template set one.
_NAME_PROPERTIES = {
    "AWS::S3::Bucket": "BucketName",
    "AWS::S3::AccessPoint": "Name",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::Omics::SequenceStore": "Name",
    "AWS::Omics::ReferenceStore": "Name",
    "AWS::Omics::VariantStore": "Name",
    "AWS::Omics::AnnotationStore": "Name",
    "AWS::HealthLake::FHIRDatastore": "DatastoreName",
    "AWS::CloudTrail::Trail": "TrailName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::SNS::Topic": "TopicName",
}

_ATTRIBUTES = {"Arn": "ARN", "KeyId": "key id", "RoleId": "role id", "DomainName": "domain name"}


def kind_of(resource_type: str) -> str:
    return KINDS.get(resource_type, resource_type.split("::")[-1])


class Names:
    """Readable names of every resource of ``stacks``, and readable renderings of template values."""

    def __init__(self, stacks: Sequence[StackArtifact]) -> None:
        self.stacks = list(stacks)
        self._stacks = {stack.name: stack for stack in stacks}
        aliases: dict[tuple[str, str], str] = {}
        for stack in stacks:
            for body in stack.resources.values():
                if isinstance(body, Mapping) and body.get("Type") == "AWS::KMS::Alias":
                    properties = body.get("Properties") or {}
                    target, alias = properties.get("TargetKeyId"), properties.get("AliasName")
                    target_id = _target(target)
                    if target_id and isinstance(alias, str):
                        aliases[(stack.name, target_id)] = alias
        short: dict[tuple[str, str], str] = {}
        for stack in stacks:
            for logical_id, body in stack.resources.items():
                if not isinstance(body, Mapping):
                    continue
                literal = aliases.get((stack.name, logical_id)) or _literal_name(body)
                short[(stack.name, logical_id)] = literal or _short_path(stack, logical_id)
        counts: dict[str, int] = {}
        for (_stack, _id), name in short.items():
            counts[name] = counts.get(name, 0) + 1
        self._short = {(stack.name, lid): _short_path(stack, lid) for stack in stacks
                       for lid, body in stack.resources.items() if isinstance(body, Mapping)}
        self._names = {key: (f"{name} ({key[0]})" if counts[name] > 1 else name) for key, name in short.items()}
        self._physical = {(stack.name, logical_id) for stack in stacks for logical_id, body in stack.resources.items()
                          if isinstance(body, Mapping)
                          and (aliases.get((stack.name, logical_id)) or _literal_name(body))}
        # Literal ARNs and names another stack uses to point at a resource of this app (cross-region replicas).
        self._by_literal: dict[str, tuple[str, str]] = {}
        for (stack_name, logical_id), name in short.items():
            if (stack_name, logical_id) in self._physical:
                self._by_literal[name] = (stack_name, logical_id)

    def stack(self, name: str) -> StackArtifact:
        return self._stacks[name]

    def name(self, stack: StackArtifact, logical_id: str) -> str:
        """The readable name of a resource of ``stack`` (its logical id when the app has no such resource)."""
        return self._names.get((stack.name, logical_id), logical_id)

    def short(self, stack: StackArtifact, logical_id: str) -> str:
        """The resource's construct path inside its stack, without CDK's ``Resource`` levels ("PhiData")."""
        return self._short.get((stack.name, logical_id), logical_id)

    def phrase(self, stack: StackArtifact, logical_id: str) -> str:
        """``name`` with what the resource is: "PhiData bucket"; a literal physical name stands alone."""
        name = self.name(stack, logical_id)
        if (stack.name, logical_id) in self._physical or logical_id not in stack.resources:
            return name
        return f"{name} {kind_of(str(stack.resources[logical_id].get('Type', '')))}"

    def resolve_literal(self, value: str) -> tuple[str, str] | None:
        """(stack name, logical id) of the resource a literal name or ARN names, if it is in this app."""
        for prefix in ("arn:aws:s3:::",):
            value = value.removeprefix(prefix)
        value = re.sub(r"^arn:aws[\w-]*:kms:[\w-]+:\d{12}:", "", value)
        return self._by_literal.get(value)

    def text(self, value: Any, stack: StackArtifact) -> str:
        """A template value as a reader wants it: literals as they are, computed values by what they name."""
        return self._text(value, stack, inside=False)

    def _text(self, value: Any, stack: StackArtifact, *, inside: bool) -> str:
        if value is None:
            return ""
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, str | int | float):
            return str(value)
        if isinstance(value, list):
            return ", ".join(self._text(v, stack, inside=inside) for v in value)
        if not isinstance(value, Mapping) or len(value) != 1:
            return "a computed value"
        ((function, argument),) = value.items()
        if function == "Ref" and isinstance(argument, str):
            return self._ref(argument, stack, inside=inside)
        if function == "Fn::GetAtt":
            parts = argument.split(".", 1) if isinstance(argument, str) else [str(a) for a in as_list(argument)]
            if len(parts) == 2:
                return self._attribute(parts[0], parts[1], stack, inside=inside)
        if function == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            separator, parts = argument
            return str(separator).join(self._text(p, stack, inside=True) for p in as_list(parts))
        if function == "Fn::Sub":
            return self._sub(argument, stack)
        if function == "Fn::ImportValue":
            return f"the value exported as {self._text(argument, stack, inside=True)}"
        if function == "Fn::If" and isinstance(argument, list) and len(argument) == 3:
            return (f"{self._text(argument[1], stack, inside=inside)} or "
                    f"{self._text(argument[2], stack, inside=inside)} (condition {argument[0]})")
        if function == "Fn::Select":
            return "an availability zone" if "Fn::GetAZs" in str(argument) else "a value chosen at deploy time"
        return "a computed value"

    def _ref(self, name: str, stack: StackArtifact, *, inside: bool) -> str:
        pseudo = {
            "AWS::Partition": "aws",
            "AWS::URLSuffix": "amazonaws.com",
            "AWS::Region": stack.region if not stack.region.startswith("unknown") else "the stack's region",
            "AWS::AccountId": stack.account if not stack.account.startswith("unknown") else "the stack's account",
            "AWS::StackName": stack.name,
            "AWS::NoValue": "",
        }
        if name in pseudo:
            return pseudo[name]
        if name in (stack.template.get("Parameters") or {}):
            return f"the {name} parameter"
        if name not in stack.resources:
            return f"the {name} resource"
        if (stack.name, name) in self._physical:
            return self.name(stack, name)
        return self.phrase(stack, name) if inside else f"the {self.phrase(stack, name)}"

    def _attribute(self, logical_id: str, attribute: str, stack: StackArtifact, *, inside: bool) -> str:
        if logical_id not in stack.resources:
            return f"the {logical_id} resource's {_ATTRIBUTES.get(attribute, attribute)}"
        body = stack.resources[logical_id]
        if body.get("Type") == "AWS::KMS::Key" or inside:
            return self.phrase(stack, logical_id)
        return f"the {self.phrase(stack, logical_id)}'s {_ATTRIBUTES.get(attribute, attribute)}"

    def _sub(self, argument: Any, stack: StackArtifact) -> str:
        template, variables = (argument[0], argument[1]) if isinstance(argument, list) and len(argument) == 2 \
            else (argument, {})
        if not isinstance(template, str):
            return "a computed value"

        def replace(match: re.Match[str]) -> str:
            reference = match.group(1)
            if isinstance(variables, Mapping) and reference in variables:
                return self._text(variables[reference], stack, inside=True)
            if "." in reference:
                logical_id, attribute = reference.split(".", 1)
                return self._attribute(logical_id, attribute, stack, inside=True)
            return self._ref(reference, stack, inside=True)

        return re.sub(r"\$\{([^}!][^}]*)\}", replace, template)


def _target(value: Any) -> str | None:
    if isinstance(value, Mapping):
        if isinstance(value.get("Ref"), str):
            return str(value["Ref"])
        attribute = value.get("Fn::GetAtt")
        if isinstance(attribute, list) and attribute:
            return str(attribute[0])
    return None


def _literal_name(body: Mapping[str, Any]) -> str | None:
    prop = _NAME_PROPERTIES.get(str(body.get("Type")))
    value = (body.get("Properties") or {}).get(prop) if prop else None
    return value if isinstance(value, str) and value else None


def _short_path(stack: StackArtifact, logical_id: str) -> str:
    parts = stack.construct_path(logical_id).split("/")
    if parts and parts[0] == stack.name:
        parts = parts[1:]
    while len(parts) > 1 and parts[-1] in ("Resource", "Default"):
        parts = parts[:-1]
    if stack.resources.get(logical_id, {}).get("Type") == "AWS::EC2::Subnet" and len(parts) > 1:
        parts = parts[:-1]  # ec2.Subnet's CfnSubnet is "Subnet" under the subnet's own construct
    parts = [part for part in parts[:-1] if part != "Resource"] + parts[-1:]
    return "/".join(parts) or logical_id
