"""Custom-resource handler: enable AWS Organizations policy types on the organization's root.

"Before you can create and attach a policy to your organization, you must enable that policy type for use.
Enabling a policy type is a one-time task on the organization root."
(https://docs.aws.amazon.com/organizations/latest/userguide/enable-policy-type.html). CloudFormation has no
resource for it, so ``omics_secure.organization`` deploys this function behind a ``Custom::`` resource that
every ``AWS::Organizations::Policy`` of the stack depends on:

- Create and Update: each requested type that the root does not list as ENABLED is enabled
  (``EnablePolicyType``; ``PolicyTypeAlreadyEnabledException`` is success), then ``ListRoots`` is read until
  every type is ENABLED, because "This is an asynchronous request"
  (https://docs.aws.amazon.com/organizations/latest/APIReference/API_EnablePolicyType.html). A root that
  already has them all is left untouched: no call is made.
- Delete: nothing. Disabling a policy type detaches every policy of that type from the whole organization,
  which is never what deleting one stack means.

Standard library and boto3 only: the Lambda Python runtime provides both, so the code deploys inline.
"""

from __future__ import annotations

import contextlib
import json
import time
import urllib.request
from collections.abc import Callable, Sequence
from typing import Any

import boto3

POLL_SECONDS = 5
POLL_ATTEMPTS = 48  # four minutes, inside the function's five-minute timeout
PHYSICAL_ID = "organization-root-policy-types"


def _status(client: Any) -> tuple[str, dict[str, str]]:
    roots = client.list_roots()["Roots"]
    if len(roots) != 1:
        raise RuntimeError(f"expected the organization's one root, ListRoots returned {len(roots)}")
    root = roots[0]
    return root["Id"], {entry["Type"]: entry["Status"] for entry in root.get("PolicyTypes", [])}


def enable(client: Any, policy_types: Sequence[str], sleep: Callable[[float], None] = time.sleep) -> dict[str, str]:
    """Enable ``policy_types`` on the root and wait until each is ENABLED; returns the root id."""
    root_id, status = _status(client)
    for policy_type in policy_types:
        if status.get(policy_type) in ("ENABLED", "PENDING_ENABLE"):
            continue
        with contextlib.suppress(client.exceptions.PolicyTypeAlreadyEnabledException):
            client.enable_policy_type(RootId=root_id, PolicyType=policy_type)
    for _ in range(POLL_ATTEMPTS):
        waiting = [t for t in policy_types if status.get(t) != "ENABLED"]
        if not waiting:
            return {"RootId": root_id}
        sleep(POLL_SECONDS)
        root_id, status = _status(client)
    raise TimeoutError(f"policy types {', '.join(waiting)} were not ENABLED on {root_id} after "
                       f"{POLL_SECONDS * POLL_ATTEMPTS} seconds; check them with aws organizations list-roots")


def handler(event: dict[str, Any], context: Any) -> None:
    """The Lambda entry point: does the request's work and answers CloudFormation either way."""
    try:
        data: dict[str, str] = {}
        if event["RequestType"] != "Delete":
            types = [str(t) for t in event.get("ResourceProperties", {}).get("PolicyTypes", [])]
            data = enable(boto3.client("organizations"), types)
        _respond(event, "SUCCESS", "", data)
    except Exception as error:
        _respond(event, "FAILED", f"{type(error).__name__}: {error}", {})


def _respond(event: dict[str, Any], status: str, reason: str, data: dict[str, str]) -> None:
    """PUT the custom resource's response to CloudFormation's pre-signed URL (its documented format:
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref-responses.html)."""
    body = json.dumps({
        "Status": status, "Reason": reason[:3000] or "see the function's CloudWatch log",
        "PhysicalResourceId": event.get("PhysicalResourceId") or PHYSICAL_ID, "StackId": event["StackId"],
        "RequestId": event["RequestId"], "LogicalResourceId": event["LogicalResourceId"], "Data": data,
    }).encode()
    url = str(event["ResponseURL"])
    if not url.startswith("https://"):
        raise ValueError("ResponseURL is not an https URL")
    request = urllib.request.Request(url, data=body, method="PUT",
                                     headers={"Content-Type": "", "Content-Length": str(len(body))})
    with urllib.request.urlopen(request, timeout=30):  # the scheme is checked above
        pass
