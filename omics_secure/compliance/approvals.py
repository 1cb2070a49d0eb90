"""Every approved access of a synthesized app, read from its templates: what a Data Access Committee asks first.

An approval is a role or an S3 access point tagged ``omics-secure:approval-id`` (``omics_secure.access``
tags both). Who, scope, network origin and regions come from the trust and policy documents themselves,
so an edited template is reported as it is, not as the construct meant it.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from omics_secure._internal.tags import APPROVAL_ENDS_TAG, APPROVAL_ID_TAG
from omics_secure.compliance.model import Resource
from omics_secure.compliance.rules._policy import (
    actions,
    allow_statements,
    as_list,
    condition_keys,
    principal_values,
    statements,
)

APPROVAL_HEADERS = ("approval", "kind", "resource", "who", "scope", "network origin", "regions", "expires",
                    "days left")
PEOPLE_RESPONSIBILITY = (
    "The password policy and MFA enrolment of the people an approval admits are outside CloudFormation and are "
    "the user's responsibility: manage people in AWS IAM Identity Center (recommended: one identity per person, "
    "MFA required, permission sets per approval) or in your SAML/OIDC identity provider, and remove a person "
    "there when they leave the study. Revoking an approval is a stack update: remove it from the app and deploy."
)

Render = Callable[[Any], str]


@dataclass(frozen=True)
class Approval:
    approval_id: str
    kind: str
    path: str
    who: str
    scope: str
    network: str
    regions: str
    ends: datetime.date | None

    def row(self, today: datetime.date) -> tuple[str, ...]:
        if self.ends is None:
            expires, left = "no end date", "-"
        else:
            days = (self.ends - today).days
            expires, left = self.ends.isoformat(), (str(days) if days > 0 else "ended: remove the approval")
        return (self.approval_id, self.kind, self.path, self.who, self.scope, self.network, self.regions, expires,
                left)


def _tags(properties: Mapping[str, Any]) -> dict[str, str]:
    return {str(t.get("Key")): _render(t.get("Value"))
            for t in as_list(properties.get("Tags")) if isinstance(t, Mapping)}


def _render(value: Any) -> str:
    """A template value as a reader wants it: literals as they are, Ref/GetAtt by logical id, joins joined."""
    if isinstance(value, str | int | float | bool):
        return str(value)
    if isinstance(value, Mapping):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            return str(as_list(value["Fn::GetAtt"])[0]) if as_list(value["Fn::GetAtt"]) else ""
        join = value.get("Fn::Join")
        if isinstance(join, list) and len(join) == 2 and isinstance(join[1], list):
            return str(join[0]).join(_render(part) for part in join[1])
        if "Fn::Sub" in value:
            return _render(as_list(value["Fn::Sub"])[0])
    if isinstance(value, list):
        return ", ".join(_render(v) for v in value)
    return ""


def _ends(tags: Mapping[str, str], documents: Sequence[Any]) -> datetime.date | None:
    candidates = [tags.get(APPROVAL_ENDS_TAG, "")]
    for document in documents:
        for statement in allow_statements(document):
            candidates += [_render(v) for v in condition_keys(statement).get("aws:currenttime", [])]
    for candidate in candidates:
        try:
            return datetime.date.fromisoformat(candidate[:10])
        except ValueError:
            continue
    return None


def _who(trust: Any, render: Render) -> str:
    parts = []
    for statement in allow_statements(trust):
        kinds = principal_values(statement)
        keys = condition_keys(statement)
        arns = [render(v) for v in keys.get("aws:principalarn", [])]
        if "Federated" in kinds:
            parts.append("federated through " + ", ".join(render(v) for v in kinds["Federated"]))
        elif arns and all("AWSReservedSSO_" in a for a in arns):
            names = list(dict.fromkeys(a.split("AWSReservedSSO_", 1)[1].rsplit("_", 1)[0] for a in arns))
            parts.append("IAM Identity Center permission set " + ", ".join(names))
        else:
            who = ", ".join(arns) or ", ".join(render(v) for values in kinds.values() for v in values)
            mfa = [str(v).lower() for v in keys.get("aws:multifactorauthpresent", [])] == ["true"]
            parts.append(f"{who}{' with MFA' if mfa else ' WITHOUT MFA'}")
    return "; ".join(parts) or "-"


def _scope(documents: Sequence[Any], render: Render) -> str:
    found: dict[str, str] = {}
    for document in documents:
        for statement in allow_statements(document):
            statement_actions = actions(statement)
            if any(a.startswith("kms:") for a in statement_actions):
                continue
            writes = any(a.startswith(("s3:Put", "healthlake:Create", "healthlake:Update")) for a in statement_actions)
            for resource in as_list(statement.get("Resource")):
                text = render(resource).replace("/object/", "/")
                if text.endswith("*") or ":" not in text:
                    level = "read and write" if writes or found.get(text) == "read and write" else "read"
                    found[text] = level
    return "; ".join(f"{target} ({level})" for target, level in found.items()) or "-"


def _network(documents: Sequence[Any], render: Render, access_point: Mapping[str, Any] | None = None) -> str:
    if access_point is not None:
        vpc = access_point.get("VpcConfiguration")
        if isinstance(vpc, Mapping) and vpc.get("VpcId"):
            return f"VPC {render(vpc.get('VpcId'))}"
        return "internet, public access blocked" if access_point.get("PublicAccessBlockConfiguration") \
            else "internet, public access NOT blocked"
    endpoints = {render(v) for document in documents for statement in statements(document)
                 for v in condition_keys(statement).get("aws:sourcevpce", [])}
    return f"VPC endpoints {', '.join(sorted(endpoints))}" if endpoints else "any network (TLS required)"


def _regions(documents: Sequence[Any], default: str, render: Render) -> str:
    regions = {render(v) for document in documents for statement in allow_statements(document)
               for v in condition_keys(statement).get("aws:requestedregion", [])}
    return ", ".join(sorted(regions)) or default


def _role_documents(role: Resource) -> list[Any]:
    documents = [p.get("PolicyDocument") for p in as_list(role.properties.get("Policies")) if isinstance(p, Mapping)]
    for logical_id, body in role.template_resources.items():
        if not isinstance(body, Mapping) or body.get("Type") not in ("AWS::IAM::Policy", "AWS::IAM::ManagedPolicy"):
            continue
        properties = body.get("Properties") or {}
        attached = {"Ref": logical_id} in as_list(role.properties.get("ManagedPolicyArns"))
        if {"Ref": role.logical_id} in as_list(properties.get("Roles")) or attached \
                or role.properties.get("PermissionsBoundary") == {"Ref": logical_id}:
            documents.append(properties.get("PolicyDocument"))
    return documents


def approval_of(resource: Resource, path: str, region: str, render: Render | None = None) -> Approval | None:
    """The approval a role or access point stands for, or None when it carries no approval tag.

    ``render`` turns template values into text (default: logical ids for Ref/GetAtt); the summary passes
    one that gives readable names.
    """
    render = render or _render
    tags = _tags(resource.properties)
    approval_id = tags.get(APPROVAL_ID_TAG)
    if not approval_id:
        return None
    if resource.type == "AWS::IAM::Role":
        trust = resource.properties.get("AssumeRolePolicyDocument")
        documents = _role_documents(resource)
        return Approval(approval_id, "researchers (role)", path, _who(trust, render), _scope(documents, render),
                        _network(documents, render), _regions(documents, region, render),
                        _ends(tags, [trust, *documents]))
    if resource.type == "AWS::S3::AccessPoint":
        policy = resource.properties.get("Policy")
        who = ", ".join(sorted({render(v) for s in allow_statements(policy)
                                for values in principal_values(s).values() for v in values})) or "-"
        bucket = render(resource.properties.get("Bucket"))
        prefixes = sorted({_render(r).split("/object/", 1)[1] for s in allow_statements(policy)
                           for r in as_list(s.get("Resource")) if "/object/" in _render(r)})
        scope = "; ".join(f"{bucket}/{p} (read)" for p in prefixes) or f"{bucket} (per the access-point policy)"
        return Approval(approval_id, "collaborator account (access point)", path, who, scope,
                        _network([policy], render, resource.properties), region, _ends(tags, [policy]))
    return None
