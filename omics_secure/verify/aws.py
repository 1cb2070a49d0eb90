"""The only way ``verify`` reaches AWS: read-only calls, each declared with the IAM action it needs.

``OPERATIONS`` is the single source of truth for what verify may call: :class:`AwsReader` refuses any
operation not listed, and :class:`~omics_secure.verify.auditor.VerifyAuditorRole` grants exactly the
listed IAM actions. A test runs verify over every kind of resource and asserts that the operations it
called are exactly these, so the auditor policy is neither short of an action nor wider than needed.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

# (boto3 service name, boto3 operation name) -> the IAM action that authorises it. The two differ for
# several S3 operations (GetBucketEncryption is authorised by s3:GetEncryptionConfiguration).
OPERATIONS: dict[tuple[str, str], str] = {
    ("cloudformation", "list_stack_resources"): "cloudformation:ListStackResources",
    ("cloudformation", "get_template"): "cloudformation:GetTemplate",
    ("s3", "get_bucket_location"): "s3:GetBucketLocation",
    ("s3", "get_bucket_tagging"): "s3:GetBucketTagging",
    ("s3", "get_bucket_versioning"): "s3:GetBucketVersioning",
    ("s3", "get_object_lock_configuration"): "s3:GetBucketObjectLockConfiguration",
    ("s3", "get_bucket_encryption"): "s3:GetEncryptionConfiguration",
    ("s3", "get_public_access_block"): "s3:GetBucketPublicAccessBlock",
    ("s3", "get_bucket_ownership_controls"): "s3:GetBucketOwnershipControls",
    ("s3", "get_bucket_policy"): "s3:GetBucketPolicy",
    ("s3", "get_bucket_replication"): "s3:GetReplicationConfiguration",
    ("s3", "get_bucket_logging"): "s3:GetBucketLogging",
    ("kms", "describe_key"): "kms:DescribeKey",
    ("kms", "get_key_rotation_status"): "kms:GetKeyRotationStatus",
    ("kms", "get_key_policy"): "kms:GetKeyPolicy",
    ("cloudtrail", "get_trail"): "cloudtrail:GetTrail",
    ("cloudtrail", "get_trail_status"): "cloudtrail:GetTrailStatus",
    ("cloudtrail", "get_event_selectors"): "cloudtrail:GetEventSelectors",
    ("ec2", "describe_vpcs"): "ec2:DescribeVpcs",
    ("ec2", "describe_flow_logs"): "ec2:DescribeFlowLogs",
    ("ec2", "describe_internet_gateways"): "ec2:DescribeInternetGateways",
    ("ec2", "describe_nat_gateways"): "ec2:DescribeNatGateways",
    ("ec2", "describe_vpc_endpoints"): "ec2:DescribeVpcEndpoints",
    ("omics", "get_sequence_store"): "omics:GetSequenceStore",
    ("omics", "get_reference_store"): "omics:GetReferenceStore",
    ("healthlake", "describe_fhir_datastore"): "healthlake:DescribeFHIRDatastore",
    ("iam", "get_role"): "iam:GetRole",
    ("s3control", "get_access_point"): "s3:GetAccessPoint",
}

READ_ONLY_PREFIXES = ("Get", "List", "Describe")


def required_actions() -> list[str]:
    """The IAM actions verify needs, sorted: what the auditor role's policy grants."""
    return sorted(set(OPERATIONS.values()))


class VerifyError(Exception):
    """A problem that stops verify (no credentials, no region, stack not found, access denied); one line."""


class ResourceMissing(Exception):
    """The resource to verify does not exist (deleted outside its stack, or a mistyped name)."""


# Error codes that mean "this resource is not there".
_NOT_FOUND = frozenset({
    "NoSuchBucket", "NotFoundException", "ResourceNotFoundException", "TrailNotFoundException",
    "InvalidVpcID.NotFound", "InvalidVpcId.NotFound",
})


class AwsReader:
    """Read-only boto3 calls through one session, a client per (service, region), every call recorded.

    The session carries the user's standard AWS configuration (profile, region, credentials and
    ``AWS_ENDPOINT_URL``, which boto3 honours natively), so verify runs against an emulator too.
    """

    def __init__(self, session: Any, region: str | None = None) -> None:
        self.session = session
        self.region: str | None = region or session.region_name
        self.called: set[tuple[str, str]] = set()
        self._clients: dict[tuple[str, str | None], Any] = {}

    def client(self, service: str, region: str | None = None) -> Any:
        key = (service, region or self.region)
        if key not in self._clients:
            self._clients[key] = self.session.client(service, region_name=key[1])
        return self._clients[key]

    def call(self, service: str, operation: str, *, region: str | None = None,
             absent: Iterable[str] = (), **params: Any) -> dict[str, Any] | None:
        """Call ``operation``; ``None`` when the error code is one of ``absent`` (no such configuration)."""
        from botocore.exceptions import ClientError

        action = OPERATIONS.get((service, operation))
        if action is None or not action.split(":", 1)[1].startswith(READ_ONLY_PREFIXES):
            raise AssertionError(f"verify may not call {service}.{operation}: it is not a declared read-only call")
        self.called.add((service, operation))
        try:
            response: dict[str, Any] = getattr(self.client(service, region), operation)(**params)
        except ClientError as error:
            code = str(error.response.get("Error", {}).get("Code", ""))
            if code in absent:
                return None
            if code in _NOT_FOUND or code.endswith(".NotFound"):
                raise ResourceMissing(str(error.response.get("Error", {}).get("Message") or code)) from error
            message = error.response.get("Error", {}).get("Message", "")
            raise VerifyError(f"{action} failed: {code}: {message}".rstrip(": ")) from error
        return response

    def pages(self, service: str, operation: str, items: str, **params: Any) -> Iterator[dict[str, Any]]:
        """Every item of a paginated list operation (NextToken)."""
        token: str | None = None
        while True:
            response = self.call(service, operation, **params, **({"NextToken": token} if token else {}))
            assert response is not None
            yield from response.get(items, [])
            token = response.get("NextToken")
            if not token:
                return
