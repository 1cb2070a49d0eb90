"""Approved access for people: the researchers a Data Access Committee approved, and collaborators' accounts.

The genomics whitepaper ("Authorizing Access to Data") allows access only to users a Data Access Committee
(DAC) approved or a Data Use Certification (DUC) covers, and names the ways to grant it: within the account,
and to a collaborator's own AWS account. Both constructs here carry the approval's id and end date into
what they deploy, so "who can reach the data, and until when?" is answered by the template itself:

- :class:`ApprovedAccess`: a role that the approved researchers assume (through a SAML or OIDC identity
  provider, an IAM Identity Center permission set, or this account's IAM principals with MFA), with
  named read (or read and write-results) actions on PHI buckets, HealthOmics stores and FHIR datastores.
- :class:`CollaboratorAccess`: an S3 access point on a PHI bucket for one collaborator account, read-only
  under one prefix.

Revocation is a stack update: remove the approval from the app and deploy. CloudFormation deletes the
role or access point and the key-policy statement; nobody revokes a grant by hand.
"""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import aws_cdk as cdk
from aws_cdk import aws_ec2 as ec2
from aws_cdk import aws_iam as iam
from aws_cdk import aws_kms as kms
from aws_cdk import aws_s3 as s3
from constructs import Construct

from omics_secure._internal.acknowledgments import acknowledge_by_design, nag_rendering
from omics_secure._internal.errors import ProblemCollector, is_unresolved
from omics_secure._internal.grants import add_to_grantee_policy
from omics_secure._internal.labels import check_label
from omics_secure._internal.naming import PHI_NAME_FIX, phi_like
from omics_secure._internal.props import checked_props
from omics_secure._internal.tags import APPROVAL_ENDS_TAG, APPROVAL_ID_TAG, APPROVAL_KIND_TAG
from omics_secure.healthlake import FhirDatastore
from omics_secure.omics import REFERENCE_READ_ACTIONS, STORE_KEY_READ_ACTIONS, ReferenceStore, SequenceStore
from omics_secure.storage._common import (
    KEY_READ_ACTIONS,
    KEY_WRITE_ACTIONS,
    READ_BUCKET_ACTIONS,
    READ_OBJECT_ACTIONS,
    WRITE_BUCKET_ACTIONS,
    WRITE_OBJECT_ACTIONS,
)
from omics_secure.storage._hardened import HardenedBucket

EXPIRY_WARNING_DAYS = 30
DEFAULT_SESSION_DURATION = cdk.Duration.hours(1)
MAX_SESSION_HOURS = 12  # IAM's ceiling for MaxSessionDuration
SAML_AUDIENCE = "https://signin.aws.amazon.com/saml"
# IAM Identity Center creates one role per permission set and account, named AWSReservedSSO_<name>_<suffix>
# under this path followed by the Identity Center instance's region ("arn:aws:iam::aws-account-ID:role/
# aws-reserved/sso.amazonaws.com/aws-region/AWSReservedSSO_permission-set-name_unique-suffix"):
# https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html
# Roles an older instance created carry no region segment, so both forms are admitted.
IDENTITY_CENTER_ROLE_PATH = "aws-reserved/sso.amazonaws.com/"
SEQUENCE_READ_ACTIONS = ("omics:GetReadSet", "omics:GetReadSetMetadata", "omics:ListReadSets")
REFERENCE_LIST_ACTIONS = ("omics:ListReferences",)
FHIR_READ_ACTIONS = ("healthlake:ReadResource", "healthlake:SearchWithGet", "healthlake:SearchWithPost",
                     "healthlake:GetCapabilities", "healthlake:DescribeFHIRDatastore")
# What a permissions boundary denies whatever is attached to the role later: deleting data, changing who
# may reach it (policies, ACLs, public access), bypassing object lock, and key or grant management.
DENIED_ACTIONS = (
    "s3:DeleteObject", "s3:DeleteObjectVersion", "s3:DeleteBucket", "s3:DeleteBucketPolicy",
    "s3:PutBucketPolicy", "s3:PutBucketAcl", "s3:PutObjectAcl", "s3:PutObjectVersionAcl",
    "s3:PutBucketPublicAccessBlock", "s3:PutBucketOwnershipControls", "s3:PutAccessPointPolicy",
    "s3:BypassGovernanceRetention", "s3:PutObjectRetention", "s3:PutObjectLegalHold",
    "s3:PutLifecycleConfiguration", "s3:PutReplicationConfiguration",
    "omics:DeleteSequenceStore", "omics:DeleteReferenceStore", "omics:DeleteReference", "omics:BatchDeleteReadSet",
    "omics:PutS3AccessPolicy", "omics:DeleteS3AccessPolicy",
    "healthlake:DeleteResource", "healthlake:DeleteFHIRDatastore",
    "kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:CreateGrant", "kms:RevokeGrant",
    "kms:RetireGrant", "iam:PassRole",
)
_APPROVAL_ID = re.compile(r"^[A-Za-z0-9_.:/=+@-][A-Za-z0-9_.:/=+@ -]{0,127}$")  # an IAM tag value, 1-128 chars
_ACCOUNT_ID = re.compile(r"^\d{12}$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$")
_ACCESS_POINT_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]{1,48}[a-z0-9])$")
_PERMISSION_SET_NAME = re.compile(r"^[\w+=,.@-]{1,32}$")
_OIDC_ISSUER = re.compile(r"^[A-Za-z0-9.-]+(/[A-Za-z0-9._~/-]*)?$")

Conditions = dict[str, dict[str, Any]]


class AccessLevel(Enum):
    """What an approval allows on its buckets; HealthOmics stores and FHIR datastores are always read-only."""

    READ = "read"
    """List and read objects under the approved prefix."""
    READ_WRITE_RESULTS = "read-write-results"
    """READ, plus write (never delete) and read back objects under one results prefix."""


class ResearcherKind(Enum):
    SAML = "SAML federation"
    OIDC = "OIDC federation"
    IDENTITY_CENTER = "IAM Identity Center permission set"
    ACCOUNT_MFA = "IAM principals of this account with MFA"


@dataclass(frozen=True)
class Researchers:
    """Who an approval admits. Create it with one of the static methods; each one authenticates people
    outside this role (federation) or requires MFA, so temporary credentials are the only way in."""

    kind: ResearcherKind
    provider: Any = None
    issuer: str = ""
    audience: str = ""
    subjects: tuple[str, ...] = ()
    permission_set_name: str = ""
    identity_center_region: str | None = None
    principal_arns: tuple[str, ...] = ()

    @staticmethod
    def saml_provider(provider: iam.ISamlProvider) -> Researchers:
        """People your SAML identity provider signs in (``sts:AssumeRoleWithSAML``, audience the AWS sign-in
        endpoint). The provider must pass the approval id as the session tag ``omics-secure:approval-id``
        (SAML attribute ``https://aws.amazon.com/SAML/Attributes/PrincipalTag:omics-secure:approval-id``)."""
        return Researchers(ResearcherKind.SAML, provider=provider)

    @staticmethod
    def oidc_provider(provider: iam.IOpenIdConnectProvider, *, issuer: str, audience: str,
                      subjects: Sequence[str]) -> Researchers:
        """People an OIDC identity provider signs in (``sts:AssumeRoleWithWebIdentity``).

        :param issuer: the provider's URL without ``https://`` (the IAM condition-key prefix), e.g.
            ``login.example.edu``.
        :param audience: the client id the tokens are issued to (``<issuer>:aud``).
        :param subjects: ``<issuer>:sub`` patterns of the approved people or group; at least one.
        """
        return Researchers(ResearcherKind.OIDC, provider=provider, issuer=issuer, audience=audience,
                           subjects=tuple(subjects) if isinstance(subjects, list | tuple) else subjects)  # type: ignore[arg-type]

    @staticmethod
    def identity_center(permission_set_name: str, *, region: str | None = None) -> Researchers:
        """People assigned an IAM Identity Center permission set in this account: its
        ``AWSReservedSSO_<name>_*`` role may assume the approval's role (role chaining: one-hour sessions).
        Identity Center enforces the sign-in and MFA policy; this is the recommended place for people.

        :param region: the region of the Identity Center instance, which is part of the role's path
            (``aws-reserved/sso.amazonaws.com/<region>/``). Default: any region, so the approval works
            wherever the instance lives; roles without the region segment (older instances) are admitted too.
        """
        return Researchers(ResearcherKind.IDENTITY_CENTER, permission_set_name=permission_set_name,
                           identity_center_region=region)

    def identity_center_role_arns(self, partition: str, account: str) -> list[str]:
        """The ``aws:PrincipalArn`` patterns of an Identity Center permission set's roles in ``account``."""
        role = f"AWSReservedSSO_{self.permission_set_name}_*"
        region = self.identity_center_region or "*"
        prefix = f"arn:{partition}:iam::{account}:role/{IDENTITY_CENTER_ROLE_PATH}"
        return [f"{prefix}{region}/{role}", f"{prefix}{role}"]

    @staticmethod
    def account_principals(principal_arns: Sequence[str] = ()) -> Researchers:
        """IAM roles or users of this account only, signed in with MFA (``aws:MultiFactorAuthPresent``).

        :param principal_arns: ARNs of the admitted principals (``aws:PrincipalArn``). Default: any
            principal of this account that its own IAM policy lets call ``sts:AssumeRole`` on the role.
        """
        return Researchers(ResearcherKind.ACCOUNT_MFA,
                           principal_arns=tuple(principal_arns) if isinstance(principal_arns, list | tuple)
                           else principal_arns)  # type: ignore[arg-type]


def expiry_condition(ends: datetime.date) -> Conditions:
    """Access ends at 00:00 UTC on ``ends``, the same instant a PHI bucket's close-out lifecycle rule expires."""
    return {"DateLessThan": {"aws:CurrentTime": f"{ends.isoformat()}T00:00:00Z"}}


def approved_people(stack: cdk.Stack, approval_id: str, researchers: Researchers,
                    ends: datetime.date) -> iam.IPrincipal:
    """The trust of a role for approved people: the :class:`Researchers` only (federation, or MFA), with the
    session tag ``omics-secure:approval-id=<approval_id>``, until 00:00 UTC on ``ends``."""
    conditions: Conditions = {**expiry_condition(ends),
                              "StringEquals": {f"aws:RequestTag/{APPROVAL_ID_TAG}": approval_id}}
    kind = researchers.kind
    principal: iam.IPrincipal
    if kind is ResearcherKind.SAML:
        conditions["StringEquals"]["SAML:aud"] = SAML_AUDIENCE
        principal = iam.SamlPrincipal(researchers.provider, conditions)
    elif kind is ResearcherKind.OIDC:
        conditions["StringEquals"][f"{researchers.issuer}:aud"] = researchers.audience
        conditions["StringLike"] = {f"{researchers.issuer}:sub": list(researchers.subjects)}
        principal = iam.OpenIdConnectPrincipal(researchers.provider, conditions)
    elif kind is ResearcherKind.IDENTITY_CENTER:
        conditions["ArnLike"] = {"aws:PrincipalArn": researchers.identity_center_role_arns(
            stack.partition, stack.account)}
        principal = iam.AccountPrincipal(stack.account).with_conditions(conditions)
    else:
        conditions["Bool"] = {"aws:MultiFactorAuthPresent": "true"}
        if researchers.principal_arns:
            conditions["ArnEquals"] = {"aws:PrincipalArn": list(researchers.principal_arns)}
        principal = iam.AccountPrincipal(stack.account).with_conditions(conditions)
    return principal.with_session_tags()


def _bucket_parts(bucket: object) -> tuple[s3.IBucket, kms.IKey | None, datetime.date | None] | None:
    """A PHI bucket given as our construct or as any ``s3.IBucket``: the bucket, its key and its close-out."""
    if isinstance(bucket, HardenedBucket):
        return bucket.bucket, bucket.key, bucket.data_use_end_date
    if not isinstance(bucket, str | bytes) and hasattr(bucket, "bucket_arn") and hasattr(bucket, "bucket_name"):
        return bucket, getattr(bucket, "encryption_key", None), None  # type: ignore[return-value]
    return None


def _check_ends(problems: ProblemCollector, ends: object, buckets: Sequence[object]) -> datetime.date | None:
    example = (datetime.datetime.now(datetime.UTC).date() + datetime.timedelta(days=365)).isoformat()
    if ends is None:
        problems.add("ends", None, f"pass the Data Use Certification's end date, e.g. datetime.date.fromisoformat"
                                   f"('{example}'): every approval expires")
        return None
    if not isinstance(ends, datetime.date) or isinstance(ends, datetime.datetime):
        problems.add("ends", ends, f"pass a datetime.date, e.g. datetime.date.fromisoformat('{example}')")
        return None
    today = datetime.datetime.now(datetime.UTC).date()
    if ends <= today:
        problems.add("ends", ends.isoformat(), f"the end date has passed (today is {today.isoformat()}); remove "
                                               "the approval to revoke it, or pass the renewed DUC's end date")
    for bucket in buckets:
        parts = _bucket_parts(bucket)
        close_out = parts[2] if parts else None
        if close_out is not None and ends > close_out:
            path = bucket.node.path if isinstance(bucket, Construct) else repr(bucket)
            problems.add("ends", ends.isoformat(),
                         f"it is after the close-out date {close_out.isoformat()} (data_use_end_date) of {path}; "
                         f"end the approval on or before {close_out.isoformat()}")
    return ends


def _check_approval_id(problems: ProblemCollector, approval_id: object) -> None:
    if not isinstance(approval_id, str) or not _APPROVAL_ID.match(approval_id):
        problems.add("approval_id", approval_id,
                     "use the DAC approval's id as 1-128 letters, digits, spaces and _ . : / = + - @, e.g. "
                     "'phs000123.v1.p1' or 'DAR-12345' (it becomes an IAM tag value)")
        return
    kind = phi_like(approval_id)
    if kind is not None:
        problems.add("approval_id", approval_id, f"it looks like PHI ({kind}); {PHI_NAME_FIX}")


def _check_prefix(problems: ProblemCollector, prop: str, prefix: object) -> None:
    if not isinstance(prefix, str) or not prefix or "*" in prefix or "?" in prefix or prefix.startswith("/") \
            or "://" in prefix or prefix.startswith("arn:") or ".." in prefix.split("/") or not prefix.endswith("/"):
        problems.add(prop, prefix, "use a key prefix inside the bucket ending in '/', without wildcards, a leading "
                                   "'/', '..', an s3:// URL or an ARN, e.g. 'cohort-a/'")
    else:
        check_label(problems, prop, prefix, 1024)


def _check_env(problems: ProblemCollector, stack: cdk.Stack, needs: str) -> None:
    if is_unresolved(stack.account) or is_unresolved(stack.region):
        problems.add("env", f"stack '{stack.node.id}'",
                     f"{needs}; create the stack with env=cdk.Environment(account='111122223333', "
                     "region='us-east-1')")


def _slug(value: str, length: int) -> str:
    return re.sub(r"-+", "-", re.sub(r"[^a-z0-9]", "-", value.lower())).strip("-")[:length].strip("-")


def _tag_approval(scope: Construct, approval_id: str, ends: datetime.date, kind: str) -> None:
    tags = cdk.Tags.of(scope)
    tags.add(APPROVAL_ID_TAG, approval_id)
    tags.add(APPROVAL_ENDS_TAG, ends.isoformat())
    tags.add(APPROVAL_KIND_TAG, kind)


def _warn_if_ending(scope: Construct, approval_id: str, ends: datetime.date) -> None:
    days = (ends - datetime.datetime.now(datetime.UTC).date()).days
    if 0 < days <= EXPIRY_WARNING_DAYS:
        cdk.Annotations.of(scope).add_warning_v2(
            "omics-secure:approval-ending",
            f"Approval {approval_id} ends on {ends.isoformat()}, in {days} day(s): renew the Data Use "
            "Certification and update `ends`, or remove the approval from the app to revoke it.")


class ApprovedAccess(Construct):
    """One DAC-approved (or DUC-covered) access for people: a role they assume, least privilege, expiring.

    Defaults, and why (none can be widened by a prop):

    - Trust: the :class:`Researchers` only (federated, Identity Center, or this account's principals with
      MFA); the session must carry the tag ``omics-secure:approval-id=<approval_id>`` (``sts:TagSession``),
      so CloudTrail shows the approval on every call; the role carries the same tag.
    - Sessions last 1 hour by default (``max_session_duration``, at most 12 hours).
    - Permissions: named actions only, in a customer-managed policy (``Policy``): list and read objects
      under ``prefix`` of each bucket through its key (``kms:ViaService`` S3 only); with
      ``AccessLevel.READ_WRITE_RESULTS`` also write and read back under ``results_prefix``; read read sets,
      references and FHIR resources, decrypting through HealthOmics/HealthLake only. Never delete, never a
      policy, ACL or key change.
    - Every Allow statement, the trust included, ends at 00:00 UTC on ``ends`` (``aws:CurrentTime``),
      and requests are pinned to ``regions`` (``aws:RequestedRegion``).
    - A permissions boundary (``Boundary``) allows no more than the policy and denies deletes, policy,
      ACL, public-access, object-lock and key changes, and listings outside the approved prefixes, so
      nothing attached to the role later widens it.
    - Optionally (``vpc_endpoints``) S3, HealthOmics and HealthLake calls only through those endpoints
      (``aws:SourceVpce``), e.g. the isolated VPC's, where the analysis workstation runs.
    - A synthesis warning when the approval ends within 30 days.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        approval_id: str,
        researchers: Researchers,
        ends: datetime.date | None = None,
        buckets: Sequence[HardenedBucket | s3.IBucket] = (),
        prefix: str | None = None,
        access: AccessLevel = AccessLevel.READ,
        results_prefix: str | None = None,
        sequence_stores: Sequence[SequenceStore] = (),
        reference_stores: Sequence[ReferenceStore] = (),
        fhir_datastores: Sequence[FhirDatastore] = (),
        regions: Sequence[str] | None = None,
        vpc_endpoints: Sequence[ec2.IVpcEndpoint] = (),
        max_session_duration: cdk.Duration = DEFAULT_SESSION_DURATION,
        role_name: str | None = None,
    ) -> None:
        """
        :param approval_id: the DAC approval (dbGaP project, DAR number). Required; tagged on the role and
            required as a session tag.
        :param researchers: who is admitted; see :class:`Researchers`. Required.
        :param ends: the DUC end date: access ends at 00:00 UTC that day. Required, in the future, and no
            later than the ``data_use_end_date`` of any PHI bucket named.
        :param buckets: PHI buckets (``PhiBucket`` or any ``s3.IBucket``). Default: none.
        :param prefix: the key prefix that may be read in each bucket, ending in '/', e.g. ``'cohort-a/'``.
            Required when buckets are named: there is no default, and no grant of a whole bucket, so an approval
            always states which objects it covers.
        :param access: Default: ``AccessLevel.READ``.
        :param results_prefix: where ``READ_WRITE_RESULTS`` writes. Default: ``results/<approval id>/``.
        :param sequence_stores: HealthOmics sequence stores whose read sets may be read. Default: none.
        :param reference_stores: HealthOmics reference stores whose references may be read. Default: none.
        :param fhir_datastores: HealthLake datastores whose resources may be read. Default: none.
        :param regions: the approved regions (``aws:RequestedRegion``). Default: the stack's region.
        :param vpc_endpoints: if given, data calls only through these endpoints. Default: any network.
        :param max_session_duration: Default: 1 hour; 1 to 12 hours.
        :param role_name: Default: generated. Must not look like PHI.
        """
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"ApprovedAccess '{id}'")
        _check_approval_id(problems, approval_id)
        self._check_researchers(problems, stack, researchers)
        checked_ends = _check_ends(problems, ends, buckets)
        for bucket in buckets:
            if _bucket_parts(bucket) is None:
                problems.add("buckets", bucket, "pass PhiBuckets or s3.IBucket objects")
        if not (buckets or sequence_stores or reference_stores or fhir_datastores):
            problems.add("buckets", [], "an approval that names no bucket, store or datastore admits to nothing; "
                                        "name the approved data")
        if prefix is not None:
            _check_prefix(problems, "prefix", prefix)
        elif buckets:
            problems.add("prefix", None, "this is required when buckets are named: pass the key prefix the approval "
                                         "covers, ending in '/', e.g. 'cohort-a/' (an approval never covers a whole "
                                         "bucket by default)")
        if not isinstance(access, AccessLevel):
            problems.add("access", access, "use AccessLevel.READ (default) or AccessLevel.READ_WRITE_RESULTS")
        elif access is AccessLevel.READ_WRITE_RESULTS:
            if not buckets:
                problems.add("access", access.name, "results are written to a bucket; name one in buckets")
            if results_prefix is not None:
                _check_prefix(problems, "results_prefix", results_prefix)
        elif results_prefix is not None:
            problems.add("results_prefix", results_prefix, "pass access=AccessLevel.READ_WRITE_RESULTS to write")
        for prop, stores, kind in (("sequence_stores", sequence_stores, SequenceStore),
                                   ("reference_stores", reference_stores, ReferenceStore),
                                   ("fhir_datastores", fhir_datastores, FhirDatastore)):
            for store in stores:
                if not isinstance(store, kind):
                    problems.add(prop, store, f"pass {kind.__name__} constructs")
        approved_regions = self._check_regions(problems, stack, regions)
        for endpoint in vpc_endpoints:
            if not hasattr(endpoint, "vpc_endpoint_id"):
                problems.add("vpc_endpoints", endpoint, "pass ec2.IVpcEndpoint objects (e.g. the isolated VPC's)")
        hours = self._check_session(problems, max_session_duration)
        check_label(problems, "role_name", role_name, 64)
        _check_env(problems, stack, "the trust and key conditions name the account and region")
        problems.raise_if_any()
        assert checked_ends is not None

        super().__init__(scope, id)
        self.approval_id = approval_id
        self.ends = checked_ends
        self.researchers = researchers
        self.regions = approved_regions
        granted: Conditions = {**expiry_condition(checked_ends),
                               "StringEquals": {"aws:RequestedRegion": list(approved_regions)}}
        self.conditions = granted
        self.boundary = iam.ManagedPolicy(
            self, "Boundary", description=f"omics-secure: permissions boundary of approval {approval_id}")
        self.role = iam.Role(
            self, "Resource",
            role_name=role_name,
            description=f"omics-secure: approved access {approval_id}, ends {checked_ends.isoformat()}",
            assumed_by=self._trust(stack, approval_id, researchers, checked_ends),
            max_session_duration=cdk.Duration.hours(hours),
            permissions_boundary=self.boundary,
        )
        self.policy = iam.ManagedPolicy(self, "Policy", roles=[self.role],
                                        description=f"omics-secure: approved access {approval_id}")
        self.prefix = prefix
        self.results_prefix = (results_prefix or f"results/{_slug(approval_id, 64) or 'approval'}/") \
            if access is AccessLevel.READ_WRITE_RESULTS else None
        for target in (self.policy, self.boundary):
            self._grant(stack, target, buckets, access, sequence_stores, reference_stores, fhir_datastores, granted)
        self._add_boundary_denies(buckets, vpc_endpoints)
        _tag_approval(self.role, approval_id, checked_ends, "researchers")
        _warn_if_ending(self, approval_id, checked_ends)

    @staticmethod
    def _check_researchers(problems: ProblemCollector, stack: cdk.Stack, researchers: object) -> None:
        fix = ("pass Researchers.saml_provider(...), Researchers.oidc_provider(...), "
               "Researchers.identity_center('PermissionSetName') or Researchers.account_principals([...]) "
               "(MFA required): an approval admits people only through federation or MFA")
        if not isinstance(researchers, Researchers) or not isinstance(researchers.kind, ResearcherKind):
            problems.add("researchers", researchers, fix)
            return
        kind = researchers.kind
        if kind is ResearcherKind.SAML and not hasattr(researchers.provider, "saml_provider_arn"):
            problems.add("researchers.provider", researchers.provider, "pass an iam.ISamlProvider (iam.SamlProvider)")
        if kind is ResearcherKind.OIDC:
            if not hasattr(researchers.provider, "open_id_connect_provider_arn"):
                problems.add("researchers.provider", researchers.provider,
                             "pass an iam.IOpenIdConnectProvider (iam.OpenIdConnectProvider)")
            if not isinstance(researchers.issuer, str) or not _OIDC_ISSUER.match(researchers.issuer):
                problems.add("researchers.issuer", researchers.issuer,
                             "pass the provider URL without https://, e.g. 'login.example.edu'")
            if not isinstance(researchers.audience, str) or not researchers.audience:
                problems.add("researchers.audience", researchers.audience, "pass the client id tokens are issued to")
            subjects = researchers.subjects
            if not isinstance(subjects, tuple) or not subjects or not all(
                    isinstance(s, str) and s.strip("*") for s in subjects):
                problems.add("researchers.subjects", subjects,
                             "name the approved people or group as <issuer>:sub values or patterns; '*' admits "
                             "everyone the provider signs in")
        if kind is ResearcherKind.IDENTITY_CENTER and (
                not isinstance(researchers.permission_set_name, str)
                or not _PERMISSION_SET_NAME.match(researchers.permission_set_name)):
            problems.add("researchers.permission_set_name", researchers.permission_set_name,
                         "pass the permission set's name (1-32 letters, digits and +=,.@_-), e.g. 'GenomicsResearcher'")
        region = researchers.identity_center_region
        if kind is ResearcherKind.IDENTITY_CENTER and region is not None and (
                not isinstance(region, str) or not _REGION.match(region)):
            problems.add("researchers.region", region,
                         "pass the region of your IAM Identity Center instance, e.g. 'us-east-1' (the IAM Identity "
                         "Center console shows it under Settings), or leave it out to admit any region")
        if kind is ResearcherKind.ACCOUNT_MFA:
            arns = researchers.principal_arns
            if not isinstance(arns, tuple) or not all(isinstance(a, str) for a in arns):
                problems.add("researchers.principal_arns", arns, "pass a list of IAM role or user ARNs")
                return
            for arn in arns:
                if is_unresolved(arn):
                    continue
                parts = arn.split(":")
                if len(parts) < 6 or parts[2] != "iam" or not parts[5].startswith(("role/", "user/")):
                    problems.add("researchers.principal_arns", arn,
                                 "pass IAM role or user ARNs, e.g. 'arn:aws:iam::111122223333:role/Analyst'")
                elif not is_unresolved(stack.account) and parts[4] != stack.account:
                    problems.add("researchers.principal_arns", arn,
                                 f"principals of account {parts[4]} are not of this account ({stack.account}); use "
                                 "CollaboratorAccess for another account, or federation")

    @staticmethod
    def _check_regions(problems: ProblemCollector, stack: cdk.Stack, regions: object) -> tuple[str, ...]:
        if regions is None:
            return (stack.region,)
        if isinstance(regions, str) or not isinstance(regions, Sequence) or not regions:
            problems.add("regions", regions, "pass a list of approved regions, e.g. ['us-east-1']")
            return ()
        for region in regions:
            if not isinstance(region, str) or (not is_unresolved(region) and not _REGION.match(region)):
                problems.add("regions", region, "use region codes such as 'us-east-1'")
        if not is_unresolved(stack.region) and stack.region not in regions:
            problems.add("regions", list(regions), f"include the stack's own region {stack.region}, where the data is")
        return tuple(str(r) for r in regions)

    @staticmethod
    def _check_session(problems: ProblemCollector, duration: object) -> int:
        if not isinstance(duration, cdk.Duration):
            problems.add("max_session_duration", duration, "pass a cdk.Duration, e.g. cdk.Duration.hours(1)")
            return 1
        hours = duration.to_seconds() / 3600
        if hours != int(hours) or not 1 <= hours <= MAX_SESSION_HOURS:
            problems.add("max_session_duration", duration.to_human_string(),
                         f"use whole hours from 1 to {MAX_SESSION_HOURS}, e.g. cdk.Duration.hours(1)")
            return 1
        return int(hours)

    @staticmethod
    def _trust(stack: cdk.Stack, approval_id: str, researchers: Researchers, ends: datetime.date) -> iam.IPrincipal:
        return approved_people(stack, approval_id, researchers, ends)

    @checked_props
    def allow(self, *statements: iam.PolicyStatement) -> None:
        """Allow ``statements`` to this approval's people too (another construct's actions, such as an airlock's),
        within the approval: its end date and regions are added to each statement, which goes into the role's
        policy and into its permissions boundary, whose denies still apply."""
        for statement in statements:
            for operator, block in self.conditions.items():
                statement.add_condition(operator, dict(block))
            self.policy.add_statements(statement)
            self.boundary.add_statements(statement)

    def _grant(self, stack: cdk.Stack, target: iam.ManagedPolicy, buckets: Sequence[object], access: AccessLevel,
               sequence_stores: Sequence[SequenceStore], reference_stores: Sequence[ReferenceStore],
               fhir_datastores: Sequence[FhirDatastore], conditions: Conditions) -> None:
        for bucket in buckets:
            if isinstance(bucket, HardenedBucket):
                bucket.grant_read(target, f"{self.prefix}*", conditions=conditions)
                if self.results_prefix is not None:
                    bucket.grant_read_write(target, f"{self.results_prefix}*", conditions=conditions)
            else:
                self._grant_plain_bucket(stack, target, bucket, conditions)  # type: ignore[arg-type]
        region = stack.region
        reasons: dict[str, str] = {}
        for sequence_store in sequence_stores:
            read_sets = f"{sequence_store.store_arn}/readSet/*"
            target.add_statements(iam.PolicyStatement(
                actions=list(SEQUENCE_READ_ACTIONS), resources=[sequence_store.store_arn, read_sets],
                conditions=conditions))
            self._store_key(target, sequence_store.key, "omics", region, conditions)
            reasons[read_sets] = ("HealthOmics read-set ARNs are <store ARN>/readSet/<id>, with ids assigned on "
                                  "import; this names three read actions on the read sets of one approved store.")
        for reference_store in reference_stores:
            references = f"{reference_store.store_arn}/reference/*"
            target.add_statements(iam.PolicyStatement(
                actions=[*REFERENCE_READ_ACTIONS, *REFERENCE_LIST_ACTIONS],
                resources=[reference_store.store_arn, references], conditions=conditions))
            self._store_key(target, reference_store.key, "omics", region, conditions)
            reasons[references] = ("HealthOmics reference ARNs are <store ARN>/reference/<id>, with ids assigned on "
                                   "import; this names read actions on the references of one approved store.")
        for datastore in fhir_datastores:
            target.add_statements(iam.PolicyStatement(
                actions=list(FHIR_READ_ACTIONS), resources=[datastore.datastore_arn], conditions=conditions))
            self._store_key(target, datastore.key, "healthlake", region, conditions)
        for resource, reason in reasons.items():
            acknowledge_by_design(target, f"AwsSolutions-IAM5[Resource::{nag_rendering(stack.resolve(resource))}]",
                                  reason)

    def _grant_plain_bucket(self, stack: cdk.Stack, target: iam.ManagedPolicy, bucket: s3.IBucket,
                            conditions: Conditions) -> None:
        """The same named actions as PhiBucket's grants, for a bucket this app did not create as a PhiBucket."""
        patterns: list[tuple[str, tuple[str, ...]]] = [(f"{self.prefix}*", READ_OBJECT_ACTIONS)]
        bucket_actions: tuple[str, ...] = READ_BUCKET_ACTIONS
        if self.results_prefix is not None:
            patterns.append((f"{self.results_prefix}*", (*READ_OBJECT_ACTIONS, *WRITE_OBJECT_ACTIONS)))
            bucket_actions = (*READ_BUCKET_ACTIONS, *WRITE_BUCKET_ACTIONS)
        statements = [iam.PolicyStatement(actions=list(bucket_actions), resources=[bucket.bucket_arn],
                                          conditions=conditions)]
        for pattern, object_actions in patterns:
            objects = bucket.arn_for_objects(pattern)
            statements.append(iam.PolicyStatement(actions=list(object_actions), resources=[objects],
                                                  conditions=conditions))
            acknowledge_by_design(target, f"AwsSolutions-IAM5[Resource::{nag_rendering(stack.resolve(objects))}]",
                                  f"S3 object actions can be scoped to objects only by an ARN pattern; this names one "
                                  f"approved bucket and the prefix '{pattern}', never s3:* or a delete.")
        add_to_grantee_policy(target, *statements)
        key = bucket.encryption_key
        if key is not None:
            self._store_key(target, key, "s3", stack.region, conditions,
                            actions=KEY_WRITE_ACTIONS if self.results_prefix else KEY_READ_ACTIONS)
        elif target is self.policy:
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:approval-bucket-key",
                f"{bucket.bucket_name} is not a PhiBucket and names no encryption_key: allow this role kms:Decrypt "
                "on the bucket's key with kms:ViaService s3.<region>.amazonaws.com yourself.")

    @staticmethod
    def _store_key(target: iam.ManagedPolicy, key: kms.IKey, service: str, region: str, conditions: Conditions,
                   actions: Sequence[str] = STORE_KEY_READ_ACTIONS) -> None:
        key_conditions: Conditions = {operator: dict(block) for operator, block in conditions.items()}
        key_conditions.setdefault("StringEquals", {})["kms:ViaService"] = f"{service}.{region}.amazonaws.com"
        target.add_statements(iam.PolicyStatement(actions=list(dict.fromkeys(actions)), resources=[key.key_arn],
                                                  conditions=key_conditions))

    def _add_boundary_denies(self, buckets: Sequence[object], vpc_endpoints: Sequence[ec2.IVpcEndpoint]) -> None:
        self.boundary.add_statements(iam.PolicyStatement(
            sid="DenyDeletesPolicyAndKeyChanges", effect=iam.Effect.DENY, actions=list(DENIED_ACTIONS),
            resources=["*"]))
        bucket_arns = [parts[0].bucket_arn for b in buckets if (parts := _bucket_parts(b)) is not None]
        if bucket_arns:
            prefixes = [f"{self.prefix}*", *([f"{self.results_prefix}*"] if self.results_prefix else [])]
            self.boundary.add_statements(iam.PolicyStatement(
                sid="DenyListingOutsideApprovedPrefixes", effect=iam.Effect.DENY, actions=["s3:ListBucket"],
                resources=bucket_arns, conditions={"StringNotLike": {"s3:prefix": prefixes}}))
        if vpc_endpoints:
            self.boundary.add_statements(iam.PolicyStatement(
                sid="DenyDataAccessOutsideVpcEndpoints", effect=iam.Effect.DENY,
                actions=["s3:GetObject*", "s3:PutObject*", "s3:ListBucket*", "omics:Get*", "omics:List*",
                         "healthlake:*"],
                resources=["*"],
                conditions={"StringNotEquals": {"aws:SourceVpce": [e.vpc_endpoint_id for e in vpc_endpoints]}}))

    @property
    def role_arn(self) -> str:
        return self.role.role_arn


class CollaboratorAccess(Construct):
    """Read-only access for a collaborator's own AWS account (the whitepaper's second scenario), expiring.

    What it creates, and why:

    - An S3 access point (``Resource``, AWS::S3::AccessPoint) on the PHI bucket for that one account, with
      public access blocked and a policy that lets that account's principals (or the named roles of it)
      list and read objects under ``prefix`` only, until 00:00 UTC on ``ends`` (``aws:CurrentTime``).
      https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-accesspoint.html
    - On the bucket, once, a statement delegating read access control to access points of this account
      (``s3:DataAccessPointAccount``), as S3 recommends, so each access point's policy decides:
      https://docs.aws.amazon.com/AmazonS3/latest/userguide/access-points-policies.html#access-points-delegating-control
      The bucket's own deny statements (TLS, encryption) still apply to every request.
    - On the bucket's key, when it is a key of this app, ``kms:Decrypt`` for that account through S3 only
      (``kms:ViaService``, ``kms:CallerAccount``) with the same expiry; for any other key a warning names the
      statement its owner must add.
    - Never write access: a collaborator's account is outside this account's boundary and audit trail.
      The collaborator's own IAM policies must also allow ``s3:GetObject`` on the access point and
      ``kms:Decrypt`` on the key.
    """

    @checked_props
    def __init__(
        self,
        scope: Construct,
        id: str,
        *,
        approval_id: str,
        account: str,
        bucket: HardenedBucket | s3.IBucket,
        prefix: str,
        ends: datetime.date | None = None,
        principals: Sequence[str] = (),
        access: AccessLevel = AccessLevel.READ,
        access_point_name: str | None = None,
    ) -> None:
        """
        :param approval_id: the DAC approval; tagged on the access point. Required.
        :param account: the collaborator's 12-digit AWS account id; not this account. Required.
        :param bucket: the PHI bucket (``PhiBucket`` or any ``s3.IBucket`` of this account). Required.
        :param prefix: the key prefix the collaborator may read, ending in '/'. Required.
        :param ends: the DUC end date. Required, in the future, no later than the bucket's close-out.
        :param principals: ARNs of the collaborator's roles admitted. Default: the account (its IAM decides).
        :param access: only ``AccessLevel.READ``; write access for another account is refused.
        :param access_point_name: Default: ``<approval id>-<account>`` (lower-case, at most 50 characters).
        """
        stack = cdk.Stack.of(scope)
        problems = ProblemCollector(f"CollaboratorAccess '{id}'")
        _check_approval_id(problems, approval_id)
        if not isinstance(account, str) or not _ACCOUNT_ID.match(account):
            problems.add("account", account, "pass the collaborator's 12-digit AWS account id, e.g. '444455556666'")
        elif not is_unresolved(stack.account) and account == stack.account:
            problems.add("account", account, "this is the bucket's own account; use ApprovedAccess for its people")
        parts = _bucket_parts(bucket)
        if parts is None:
            problems.add("bucket", bucket, "pass a PhiBucket or an s3.IBucket")
        _check_prefix(problems, "prefix", prefix)
        checked_ends = _check_ends(problems, ends, [bucket] if parts else [])
        if access is not AccessLevel.READ:
            problems.add("access", getattr(access, "name", access),
                         "a collaborator account gets AccessLevel.READ only; copy results back through an "
                         "ApprovedAccess role of this account")
        if isinstance(principals, str) or not isinstance(principals, Sequence):
            problems.add("principals", principals, "pass a list of role ARNs of the collaborator's account")
        else:
            for arn in principals:
                if not isinstance(arn, str) or not re.match(r"^arn:aws[a-z-]*:iam::\d{12}:role/[^*?]+$", arn):
                    problems.add("principals", arn, "pass IAM role ARNs, e.g. 'arn:aws:iam::444455556666:role/Reader' "
                                                    "(no wildcard: a principal names one role; leave principals out "
                                                    "to admit the account)")
                elif isinstance(account, str) and arn.split(":")[4] != account:
                    problems.add("principals", arn, f"the role is not in the collaborator account {account}")
        name = access_point_name
        if name is None and isinstance(approval_id, str) and isinstance(account, str):
            name = f"{_slug(approval_id, 50 - 13) or 'approval'}-{account}"
        if name is not None and not is_unresolved(name) and (
                not isinstance(name, str) or not _ACCESS_POINT_NAME.match(name) or "--" in name
                or name.startswith("xn--") or name.endswith("-s3alias")):
            problems.add("access_point_name", name,
                         "use 3-50 lower-case letters, digits and single hyphens, starting and ending with a "
                         "letter or digit (S3 access point naming rules)")
        elif isinstance(name, str) and not is_unresolved(name):
            check_label(problems, "access_point_name", name, 50)
        _check_env(problems, stack, "the access point's ARN in its own policy names the account and region")
        problems.raise_if_any()
        assert parts is not None and checked_ends is not None and name is not None

        super().__init__(scope, id)
        s3_bucket, key, _ = parts
        self.approval_id, self.account, self.ends, self.prefix = approval_id, account, checked_ends, prefix
        self.access_point_name = name
        partition, region, owner = stack.partition, stack.region, stack.account
        self.access_point_arn = f"arn:{partition}:s3:{region}:{owner}:accesspoint/{name}"
        admitted = list(principals) or [f"arn:{partition}:iam::{account}:root"]
        expiry = expiry_condition(checked_ends)
        policy = iam.PolicyDocument(statements=[
            iam.PolicyStatement(
                sid="ApprovedCollaboratorList", principals=[iam.ArnPrincipal(a) for a in admitted],
                actions=["s3:ListBucket"], resources=[self.access_point_arn],
                conditions={**expiry, "StringLike": {"s3:prefix": [f"{prefix}*"]}}),
            iam.PolicyStatement(
                sid="ApprovedCollaboratorRead", principals=[iam.ArnPrincipal(a) for a in admitted],
                actions=list(READ_OBJECT_ACTIONS), resources=[f"{self.access_point_arn}/object/{prefix}*"],
                conditions=expiry),
        ])
        self.access_point = s3.CfnAccessPoint(
            self, "Resource",
            bucket=s3_bucket.bucket_name,
            bucket_account_id=owner,
            name=name,
            policy=policy.to_json(),
            public_access_block_configuration=s3.CfnAccessPoint.PublicAccessBlockConfigurationProperty(
                block_public_acls=True, ignore_public_acls=True, block_public_policy=True,
                restrict_public_buckets=True),
        )
        _tag_approval(self.access_point, approval_id, checked_ends, "collaborator-account")
        self._delegate_to_access_points(s3_bucket, owner)
        if key is not None:
            self._allow_key(key, region, account, expiry)
        else:
            self._warn_key(s3_bucket.bucket_name, region, account, expiry)
        _warn_if_ending(self, approval_id, checked_ends)

    def _delegate_to_access_points(self, bucket: s3.IBucket, owner: str) -> None:
        marker = "OmicsSecureAccessPointDelegation"
        scope = bucket if isinstance(bucket, Construct) else self
        if isinstance(bucket, Construct) and bucket.node.try_find_child(marker) is not None:
            return
        result = bucket.add_to_resource_policy(iam.PolicyStatement(
            sid="DelegateReadsToAccessPointsOfThisAccount", principals=[iam.AnyPrincipal()],
            actions=[*READ_OBJECT_ACTIONS, "s3:ListBucket"],
            resources=[bucket.bucket_arn, bucket.arn_for_objects("*")],
            conditions={"StringEquals": {"s3:DataAccessPointAccount": owner}}))
        if isinstance(bucket, Construct):
            Construct(scope, marker)
        if not result.statement_added:
            cdk.Annotations.of(self).add_warning_v2(
                "omics-secure:access-point-delegation",
                f"The bucket {bucket.bucket_name} is not managed by this app: add to its bucket policy a statement "
                f"allowing {', '.join(READ_OBJECT_ACTIONS)} and s3:ListBucket to '*' with StringEquals "
                f"s3:DataAccessPointAccount {owner}, or the access point admits nobody.")

    def _key_statement(self, region: str, account: str, expiry: Conditions) -> iam.PolicyStatement:
        return iam.PolicyStatement(
            sid=f"Collaborator{account}DecryptViaS3{_slug(self.approval_id, 40).replace('-', '')}",
            principals=[iam.AccountPrincipal(account)], actions=["kms:Decrypt"], resources=["*"],
            conditions={**expiry, "StringEquals": {"kms:ViaService": f"s3.{region}.amazonaws.com",
                                                   "kms:CallerAccount": account}})

    def _allow_key(self, key: kms.IKey, region: str, account: str, expiry: Conditions) -> None:
        added = key.add_to_resource_policy(self._key_statement(region, account, expiry), allow_no_op=True)
        if not added.statement_added:
            self._warn_key(key.key_arn, region, account, expiry)

    def _warn_key(self, what: str, region: str, account: str, expiry: Conditions) -> None:
        statement = json.dumps(cdk.Stack.of(self).resolve(
            self._key_statement(region, account, expiry).to_statement_json()), sort_keys=True)
        cdk.Annotations.of(self).add_warning_v2(
            "omics-secure:collaborator-key-policy",
            f"The key of {what} is not managed by this app: add this statement to its key policy, or the "
            f"collaborator cannot decrypt: {statement}")

