"""Each public construct of the library, the controls it implements and how: the OSCAL component definition.

ONE table, keyed by the construct's class name as ``omics_secure.__all__`` exports it. A new public
construct gets an entry here (a test requires it); its control ids must be in the catalogue of
:mod:`omics_secure.compliance.controls` (the same test holds them to it). SP 800-171 rev. 3 ids follow
from rev. 2 unless an entry states them. Names only, no imports of the constructs: the command reads
this table without starting the jsii runtime.
"""

from __future__ import annotations

from omics_secure._internal.verdicts import Controls
from omics_secure.reporting.oscal import ComponentEntry


def _entry(how: str, *, hipaa: tuple[str, ...], nist: tuple[str, ...], cui: tuple[str, ...]) -> ComponentEntry:
    return ComponentEntry(Controls(hipaa=hipaa, nist_800_53_r5=nist, nist_800_171_r2=cui), how)


def _at_rest(how: str) -> ComponentEntry:
    """A data store on a customer-managed key: encryption at rest and integrity."""
    return _entry(how, hipaa=("164.312(a)(2)(iv)", "164.312(c)(1)"), nist=("SC-28", "SC-28(1)", "SC-13"),
                  cui=("3.13.16", "3.13.11"))

CONSTRUCT_CONTROLS: dict[str, ComponentEntry] = {
    "AccessLogBucket": _entry(
        "Receives S3 server access logs in a bucket that blocks public access, enforces TLS and keeps objects "
        "versioned and retained, so the record of who read PHI cannot be quietly removed.",
        hipaa=("164.312(b)", "164.308(a)(1)(ii)(D)"), nist=("AU-2", "AU-9", "AU-11"), cui=("3.3.1", "3.3.8")),
    "AccountAlarms": _entry(
        "Turns the trail's log group into metric filters and alarms for root use, console sign-in without MFA, "
        "policy, trail, key and network changes, sent to the alert topic.",
        hipaa=("164.308(a)(1)(ii)(D)", "164.308(a)(5)(ii)(C)", "164.308(a)(6)(ii)"), nist=("AU-6", "SI-4", "IR-4"),
        cui=("3.14.6",)),
    "AccountSecurityServices": _entry(
        "Enables AWS Config recording and Amazon Macie discovery of sensitive data for the account and region.",
        hipaa=("164.308(a)(1)(ii)(D)", "164.308(a)(1)(ii)(A)"), nist=("CM-6", "SI-4"), cui=("3.4.2", "3.14.6")),
    "Airlock": _entry(
        "Moves data into or out of an isolated environment only through a request: staged in buckets under GuardDuty "
        "malware protection that no one reads before a clean scan, reviewed file by file by data stewards who are "
        "not the requester (two for egress), copied all or nothing to the PHI bucket or a release bucket the "
        "environment cannot read, or quarantined; every step recorded and alerted.",
        hipaa=("164.308(a)(5)(ii)(B)", "164.308(a)(4)(ii)(B)", "164.312(c)(1)", "164.312(e)(1)", "164.312(b)"),
        nist=("AC-4", "AC-5", "SC-7(10)", "SI-3", "AU-12"), cui=("3.1.3", "3.1.4", "3.14.2", "3.3.1")),
    "AlertTopic": _entry(
        "Delivers security alerts over a KMS-encrypted, TLS-only SNS topic that only this account's alarms and "
        "event rules may publish to.",
        hipaa=("164.308(a)(6)(ii)",), nist=("IR-4", "SI-4", "SC-8"), cui=("3.14.6", "3.13.8")),
    "AnalysisWorkstation": _entry(
        "Runs interactive analysis on an instance in isolated subnets with an encrypted volume, IMDSv2 and no "
        "inbound ports, reached only through logged SSM Session Manager sessions.",
        hipaa=("164.312(a)(1)", "164.312(e)(1)", "164.312(b)"), nist=("AC-17", "SC-7", "SC-28", "CM-7"),
        cui=("3.1.12", "3.1.13", "3.13.1", "3.4.6", "3.13.16")),
    "ApprovedAccess": _entry(
        "Grants people one Data Access Committee approval as a role that requires MFA, reaches only the approved "
        "data read-only or read-write, and expires on the approval's end date.",
        hipaa=("164.308(a)(4)(ii)(B)", "164.308(a)(4)(ii)(C)", "164.312(a)(1)", "164.312(d)"),
        nist=("AC-2", "AC-3", "AC-6", "IA-2"), cui=("3.1.1", "3.1.2", "3.1.5", "3.5.3")),
    "AuditTrail": _entry(
        "Records management and PHI data events in every region to an encrypted, validated, object-locked trail "
        "bucket and a log group.",
        hipaa=("164.312(b)", "164.308(a)(1)(ii)(D)", "164.312(c)(1)"), nist=("AU-2", "AU-9", "AU-11", "AU-12"),
        cui=("3.3.1", "3.3.2", "3.3.8")),
    "BucketMalwareProtection": _entry(
        "Scans every new object of a bucket with GuardDuty Malware Protection for S3, tags it with the result, and "
        "holds every read but the scanner's until the tag says no threats were found.",
        hipaa=("164.308(a)(5)(ii)(B)", "164.312(c)(1)"), nist=("SI-3", "SI-4", "AC-4"), cui=("3.14.2", "3.1.3")),
    "CollaboratorAccess": _entry(
        "Lets a collaborator's AWS account read the approved data only, through a role with an external id that "
        "expires on the approval's end date.",
        hipaa=("164.308(a)(4)(ii)(B)", "164.312(a)(1)", "164.308(b)(1)"), nist=("AC-3", "AC-6", "AC-4"),
        cui=("3.1.1", "3.1.3", "3.1.5")),
    "DataClassificationTagPolicy": _entry(
        "A tag policy on the project OUs that limits the data classification tag on S3 buckets to the values the "
        "rules understand and reports buckets without it.",
        hipaa=("164.308(a)(1)(ii)(A)",), nist=("CM-6",), cui=("3.4.2",)),
    "ControlsProtectionPolicy": _entry(
        "A service control policy on the project OUs that lets only a named break-glass role stop or delete the "
        "trail or AWS Config, disable or schedule deletion of a KMS key, or change the account's S3 Block Public "
        "Access.",
        hipaa=("164.312(b)", "164.308(a)(1)(ii)(D)", "164.312(a)(2)(iv)"), nist=("AU-9", "SC-12", "CM-6"),
        cui=("3.3.8", "3.4.2")),
    "ExistingPhiKey": _entry(
        "Uses a key managed elsewhere and states the key-policy statements its owner must add, so encryption at "
        "rest stays on a customer-managed key.",
        hipaa=("164.312(a)(2)(iv)",), nist=("SC-12", "SC-28(1)"), cui=("3.13.10", "3.13.16")),
    "FhirDatastore": _at_rest(
        "Stores FHIR R4 health records in a HealthLake datastore encrypted with a customer-managed key and "
        "retained on stack deletion."),
    "FhirImportExportRole": _entry(
        "Lets HealthLake import and export one datastore's data through a role scoped to that datastore, its "
        "buckets and its key, with the confused-deputy conditions AWS documents.",
        hipaa=("164.312(a)(1)", "164.308(a)(4)(ii)(B)"), nist=("AC-3", "AC-6"), cui=("3.1.2", "3.1.5")),
    "HealthOmicsRunNetwork": _entry(
        "Connects HealthOmics workflow runs to the isolated VPC, so run traffic stays off the internet and goes "
        "through VPC endpoints.",
        hipaa=("164.312(e)(1)",), nist=("SC-7", "SC-7(5)", "AC-4"), cui=("3.13.1", "3.13.6", "3.1.3")),
    "HipaaServicesPolicy": _entry(
        "A service control policy on the project OUs that allows only AWS's HIPAA-eligible services (and the "
        "account's own IAM, STS, Organizations and billing), split under the 5,120-character SCP quota.",
        hipaa=("164.308(b)(1)",), nist=("CM-7",), cui=("3.4.6",)),
    "ImageRepository": _entry(
        "Keeps pipeline container images in ECR under a customer-managed key, with immutable tags, scan on "
        "push and a repository policy that lets only this account (and HealthOmics for it) pull.",
        hipaa=("164.312(a)(2)(iv)", "164.312(c)(1)", "164.308(a)(1)(ii)(A)", "164.312(a)(1)"),
        nist=("SC-28(1)", "SC-12", "SI-7", "RA-5", "AC-3"), cui=("3.13.16", "3.13.10", "3.11.2", "3.1.1")),
    "IsolatedVpc": _entry(
        "Builds a VPC with isolated subnets only, no internet or NAT gateway, VPC endpoints for AWS services and "
        "flow logs of all traffic.",
        hipaa=("164.312(e)(1)", "164.312(b)"), nist=("SC-7", "SC-7(5)", "AC-4", "AU-12"),
        cui=("3.13.1", "3.13.5", "3.13.6", "3.1.3")),
    "KeyWatch": _entry(
        "Alerts when a KMS key is disabled, scheduled for deletion, has its key material deleted or its policy "
        "changed.",
        hipaa=("164.308(a)(1)(ii)(D)", "164.308(a)(6)(ii)"), nist=("SI-4", "SC-12", "IR-4"), cui=("3.14.6", "3.13.10")),
    "RunCache": _entry(
        "Keeps HealthOmics run-cache data, intermediate PHI, under a prefix of a PHI bucket with its owner pinned, "
        "and grants run roles that prefix only.",
        hipaa=("164.312(a)(2)(iv)", "164.312(a)(1)"), nist=("SC-28", "AC-6"), cui=("3.13.16", "3.1.5")),
    "OrganizationGuardrails": _entry(
        "The region lock, the controls protection, the HIPAA-eligible services allowlist and the data "
        "classification tag policy, on the same project OUs.",
        hipaa=("164.308(a)(4)(ii)(B)", "164.312(a)(1)", "164.312(b)", "164.308(b)(1)"),
        nist=("AC-3", "CM-7", "AU-9", "SC-12"), cui=("3.1.1", "3.4.6", "3.3.8")),
    "OrganizationPolicyTypes": _entry(
        "Enables, on the organization's root, the policy types of the stack's guardrails before they are created, "
        "and never disables one, so that the guardrails deploy and stay attached.",
        hipaa=("164.308(a)(1)(ii)(A)",), nist=("CM-6",), cui=("3.4.2",)),
    "PhiBackup": _entry(
        "Backs up the PHI buckets continuously (point-in-time restore) and daily into a locked vault, copies "
        "each snapshot to the replica region, tests a restore every week and alerts on failed jobs.",
        hipaa=("164.308(a)(7)(i)", "164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)"),
        nist=("CP-6", "CP-9", "CP-10", "SI-4"), cui=("3.8.9",)),
    "PhiBackupVault": _entry(
        "Keeps recovery points in an AWS Backup vault encrypted with a customer-managed key and locked in "
        "compliance mode, so no one can delete them or shorten their retention.",
        hipaa=("164.308(a)(7)(ii)(A)", "164.312(a)(2)(iv)", "164.312(c)(1)"), nist=("CP-9", "SC-28", "SC-28(1)"),
        cui=("3.8.9", "3.13.16")),
    "PhiBucket": _entry(
        "Stores PHI in an S3 bucket encrypted with a customer-managed key, TLS-only, never public, versioned, "
        "object-locked, access-logged, replicated across regions and retained on stack deletion.",
        hipaa=("164.312(a)(2)(iv)", "164.312(c)(1)", "164.312(e)(1)", "164.308(a)(7)(ii)(A)"),
        nist=("SC-28", "SC-28(1)", "SC-8", "CP-9", "AC-3"), cui=("3.13.16", "3.13.8", "3.8.9", "3.1.1")),
    "PhiKey": _entry(
        "Creates a customer-managed symmetric KMS key with yearly rotation, a 30-day deletion window and a key "
        "policy that names each service allowed to use it.",
        hipaa=("164.312(a)(2)(iv)",), nist=("SC-12", "SC-12(2)", "SC-13", "SC-28(1)"),
        cui=("3.13.10", "3.13.11", "3.13.16")),
    "PhiReplicaBucket": _entry(
        "Holds the second-region copy of a PHI bucket with the same encryption, TLS, public-access and retention "
        "settings, so the data survives the loss of a region.",
        hipaa=("164.308(a)(7)(ii)(A)", "164.308(a)(7)(ii)(B)", "164.312(a)(2)(iv)"), nist=("CP-6", "CP-9", "SC-28"),
        cui=("3.8.9", "3.13.16")),
    "PipelineCompute": _entry(
        "Runs AWS Batch pipeline jobs on encrypted instances in the isolated subnets, with no public addresses.",
        hipaa=("164.312(e)(1)", "164.312(a)(2)(iv)"), nist=("SC-7", "SC-28", "CM-7"), cui=("3.13.1", "3.13.16")),
    "PrivateWorkflow": _entry(
        "Registers a HealthOmics private workflow from a definition you supply, run only by the run role and in "
        "the run group you give it.",
        hipaa=("164.312(c)(1)",), nist=("CM-6", "SI-7"), cui=("3.4.2",)),
    "RegionLockPolicy": _entry(
        "A service control policy on the project OUs that denies every request outside the approved regions "
        "(aws:RequestedRegion), exempting AWS's global services and the break-glass role.",
        hipaa=("164.308(a)(4)(ii)(B)", "164.312(a)(1)"), nist=("AC-3", "CM-7"), cui=("3.1.1", "3.4.6")),
    "ReferenceStore": _at_rest(
        "Stores reference genomes in a HealthOmics reference store encrypted with a customer-managed key."),
    "RunGroup": _entry(
        "Caps the CPUs, GPUs, duration and number of concurrent HealthOmics runs started in it.",
        hipaa=("164.308(a)(7)(i)",), nist=("SC-5",), cui=("3.4.2",)),
    "SequenceStore": _at_rest(
        "Stores FASTQ, uBAM, BAM and CRAM read sets in a HealthOmics sequence store encrypted with a "
        "customer-managed key and retained on stack deletion."),
    "VerifyAuditorRole": _entry(
        "Lets omics-secure verify read the deployed configuration with read-only calls and nothing else.",
        hipaa=("164.308(a)(1)(ii)(D)", "164.312(a)(1)"), nist=("AC-6", "AU-6"), cui=("3.1.5",)),
    "WorkflowVersion": _entry(
        "Publishes a version of a private HealthOmics workflow whose container registry map can point only at "
        "the given repositories, from a definition bucket whose owner is pinned.",
        hipaa=("164.312(c)(1)",), nist=("SI-7", "CM-7"), cui=("3.4.6",)),
    "WorkflowRunRole": _entry(
        "Lets HealthOmics read a run's inputs, write its outputs and logs, scoped to the given stores and buckets "
        "and their keys, with the confused-deputy conditions AWS documents.",
        hipaa=("164.312(a)(1)", "164.308(a)(4)(ii)(B)"), nist=("AC-3", "AC-6"), cui=("3.1.2", "3.1.5")),
}
"""Construct class name (as ``omics_secure`` exports it) to the controls it implements and how."""
