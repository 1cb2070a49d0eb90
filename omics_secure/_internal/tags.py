"""Tags the constructs set so that rules can recognise, from the template alone, what a resource holds."""

from __future__ import annotations

# Rules judge one synthesized resource and cannot see which construct made it, so a PHI bucket says
# what it is in a tag. Tag your own buckets the same way to have the PHI-bucket rules judge them.
DATA_CLASSIFICATION_TAG = "omics-secure:data-classification"
PHI = "phi"
ACCESS_LOGS = "access-logs"
# CloudTrail log files: sensitive (object keys, caller identities) but not PHI, and never a target of
# the trail's own S3 data events (logging the deliveries into the bucket would log itself).
AUDIT_LOGS = "audit-logs"
# Set on a VPC that IsolatedVpc built with no route to the internet; the network rules hold such a VPC
# to having none.
ISOLATED_TAG = "omics-secure:isolated"
# An approved access (omics_secure.access) names its DAC approval, its end date and its kind on the role or
# access point it creates, so the report and verify can list every approval from a template or live tags.
APPROVAL_ID_TAG = "omics-secure:approval-id"
APPROVAL_ENDS_TAG = "omics-secure:approval-ends"
APPROVAL_KIND_TAG = "omics-secure:approval-kind"
# The project's own rule pack, named where the rules and the reports both need it.
OMICS_SECURE_PACK_NAME = "OmicsSecure"
CDK_NAG_PACK_NAMES = ("HIPAA.Security", "NIST.800.53.R5", "AwsSolutions")
"""cdk-nag's packs the project runs beside its own, in the order every output lists them."""
# A project environment of the organization example names its project and its Data Use Certification's end
# date on every resource, so the report lists the projects and their dates from the templates alone.
PROJECT_ID_TAG = "omics-secure:project"
PROJECT_DUC_ENDS_TAG = "omics-secure:duc-ends"
# The airlock (omics_secure.airlock) names what each of its resources is, so that the rules and the report can
# find its staging and release buckets and its people and workflow roles in any template.
AIRLOCK_TAG = "omics-secure:airlock"
AIRLOCK_INGRESS_STAGING = "ingress-staging"
AIRLOCK_EGRESS_STAGING = "egress-staging"
AIRLOCK_STAGING_VALUES = (AIRLOCK_INGRESS_STAGING, AIRLOCK_EGRESS_STAGING)
AIRLOCK_RELEASE = "release"
AIRLOCK_ROLE_TAG = "omics-secure:airlock-role"
AIRLOCK_REQUESTER, AIRLOCK_REVIEWER, AIRLOCK_ADMINISTRATOR, AIRLOCK_WORKFLOW = (
    "requester", "reviewer", "administrator", "workflow")
AIRLOCK_FUNCTION_TAG = "omics-secure:airlock-function"
AIRLOCK_REVIEWERS_REQUIRED_TAG = "omics-secure:airlock-egress-reviewers"
# GuardDuty Malware Protection for S3 tags each scanned object with this key; only this value lets it be read.
# https://docs.aws.amazon.com/guardduty/latest/ug/monitoring-malware-protection-s3-scans-gdu.html
MALWARE_SCAN_TAG = "GuardDutyMalwareScanStatus"
MALWARE_SCAN_CLEAN = "NO_THREATS_FOUND"
AIRLOCK_QUARANTINE_TAG = "omics-secure:airlock-state"
AIRLOCK_QUARANTINED = "quarantined"
# A role or user the user declares an administrator of the PHI it can read (break-glass, data custodians): the
# rule on who reads PHI stores accepts it beside approved accesses and roles only AWS services assume.
ADMINISTRATOR_TAG = "omics-secure:administrator"
