"""The OmicsSecure pack over hand-written templates (tests/corpus/): JSON and YAML with short forms,
parameters, conditions, SAM and CDK-shaped templates. Each template's every reported verdict is stated
here, so a verdict that appears, disappears or changes fails the test; compliant verdicts that a
template exists to show are stated too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from omics_secure.compliance.engine import evaluate_stack, judge
from omics_secure.compliance.model import Resource, Status, TemplateIndex
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.inputs.templates import load_template
from omics_secure.inputs.values import TemplateValues

CORPUS = Path(__file__).parent.parent / "corpus"
C, NC, CJ = Status.COMPLIANT, Status.NON_COMPLIANT, Status.CANNOT_JUDGE
TLS = "S3BucketPolicyMinimumTls"
PHI_BUCKET_BASICS = {"S3PhiBucketObjectLock": NC, TLS: NC, "S3PhiBucketKmsEncrypted": NC,
                     "S3BucketVersioning": NC}

# template -> {(logical id, rule id): verdict}. Every non-compliant and cannot-judge verdict is listed.
EXPECTED: dict[str, dict[tuple[str, str], Status]] = {
    "vpc-isolated.yaml": {("Vpc", "VPCIsolatedNoInternetPath"): C, ("Vpc", "VPCFlowLogsAllTraffic"): C,
                          ("KmsEndpoint", "VPCEndpointSecurityGroupVpcOnly"): C,
                          ("EndpointSecurityGroup", "EC2NoOpenIngress"): C},
    "vpc-public-nat.yaml": {("Vpc", "VPCIsolatedNoInternetPath"): NC, ("Vpc", "VPCFlowLogsAllTraffic"): NC},
    "vpc-vpn-route.yaml": {("Vpc", "VPCIsolatedNoInternetPath"): C, ("Vpc", "VPCFlowLogsAllTraffic"): C},
    "vpc-flow-log-traffic.yaml": {("RejectsOnly", "VPCFlowLogsAllTraffic"): NC,
                                  # TrafficType allows ACCEPT and REJECT as well as its default ALL.
                                  ("FromParameter", "VPCFlowLogsAllTraffic"): NC,
                                  ("Unlogged", "VPCFlowLogsAllTraffic"): NC},
    "vpc-conditional-gateway.yaml": {("Vpc", "VPCIsolatedNoInternetPath"): NC},
    "endpoint-imported-group.yaml": {("LogsEndpoint", "VPCEndpointSecurityGroupVpcOnly"): CJ,
                                     ("StsEndpoint", "VPCEndpointSecurityGroupVpcOnly"): NC},
    "sg-open-ssh.yaml": {("Bastion", "EC2NoOpenIngress"): NC, ("Private", "EC2NoOpenIngress"): C},
    "sg-ipv6-spelled-out.yaml": {("Web", "EC2NoOpenIngress"): NC, ("WebIngress", "EC2NoOpenIngress"): NC,
                                 ("CampusIngress", "EC2NoOpenIngress"): C},
    # The default is private, and the AllowedPattern admits 0.0.0.0/0: a deployment may open the port.
    "sg-parameter-cidr.yaml": {("Analysis", "EC2NoOpenIngress"): NC},
    "sg-conditional-open.yaml": {("Api", "EC2NoOpenIngress"): NC},
    "sg-imported-cidr.yaml": {("Workers", "EC2NoOpenIngress"): CJ},
    "launch-template-hardened.yaml": {("HostTemplate", "EC2IMDSv2Required"): C,
                                      ("HostTemplate", "EBSEncryptedWithCustomerKey"): C,
                                      ("VolumeKey", "KMSKeyRetained"): C},
    "launch-template-weak.yaml": {("Weak", "EBSEncryptedWithCustomerKey"): NC, ("Weak", "EC2IMDSv2Required"): NC,
                                  ("Bare", "EBSEncryptedWithCustomerKey"): NC, ("Bare", "EC2IMDSv2Required"): NC},
    "launch-template-parameters.yaml": {("Template", "EBSEncryptedWithCustomerKey"): NC,
                                        ("Template", "EC2IMDSv2Required"): NC},
    "launch-configuration.yaml": {("Encrypted", "EBSEncryptedWithCustomerKey"): CJ,
                                  ("Encrypted", "EC2IMDSv2Required"): C,
                                  ("Plain", "EBSEncryptedWithCustomerKey"): NC, ("Plain", "EC2IMDSv2Required"): NC},
    "volumes.json": {("Managed", "EBSEncryptedWithCustomerKey"): NC, ("Scratch", "EBSEncryptedWithCustomerKey"): C,
                     ("Plain", "EBSEncryptedWithCustomerKey"): NC},
    "bucket-phi-hardened.yaml": {("Data", rule): C for rule in (*PHI_BUCKET_BASICS, "S3BucketKeyEnabled")},
    "bucket-phi-suspended.yaml": {
        ("Suspended", "S3PhiBucketObjectLock"): NC, ("Suspended", "S3BucketVersioning"): NC,
        ("Suspended", TLS): NC, ("Suspended", "S3PhiBucketKmsEncrypted"): C,
        **{("Unversioned", rule): verdict for rule, verdict in PHI_BUCKET_BASICS.items()},
        ("Logs", TLS): NC, ("Logs", "S3BucketVersioning"): Status.NOT_APPLICABLE},
    "bucket-policy-shapes.yaml": {("ListCondition", TLS): NC, ("OldTls", TLS): NC, ("Named", TLS): C},
    "bucket-encryption-choices.yaml": {
        **{(bucket, rule): NC for bucket in ("SseS3", "AwsManaged", "Chosen")
           for rule in ("S3PhiBucketObjectLock", TLS, "S3PhiBucketKmsEncrypted")},
        ("Chosen", "S3BucketKeyEnabled"): C},
    "bucket-replication.yaml": {("Source", TLS): NC, ("Source", "S3ReplicationKmsEncryptedObjects"): NC,
                                ("Correct", TLS): NC, ("Correct", "S3ReplicationKmsEncryptedObjects"): C},
    "bucket-phi-names.yaml": {("Named", TLS): NC, ("Named", "S3NoPhiInNamesOrTags"): NC, ("Tagged", TLS): NC,
                              ("Tagged", "S3NoPhiInNamesOrTags"): NC, ("Clean", TLS): NC,
                              ("Clean", "S3NoPhiInNamesOrTags"): C,
                              # a record word with digits, an SSN without dashes; an account id is no identifier
                              ("RecordNumbered", "S3NoPhiInNamesOrTags"): NC, ("BareSsn", "S3NoPhiInNamesOrTags"): NC,
                              ("AccountNamed", "S3NoPhiInNamesOrTags"): C,
                              **{(bucket, TLS): NC for bucket in ("RecordNumbered", "BareSsn", "AccountNamed")}},
    "kms-alias-names.yaml": {("PatientAlias", "KMSAliasNoPhiInName"): NC, ("NumberedAlias", "KMSAliasNoPhiInName"): NC,
                             ("StudyAlias", "KMSAliasNoPhiInName"): C, ("AccountAlias", "KMSAliasNoPhiInName"): C},
    "key-policy-conditional-principal.json": {("SharedKey", "KMSKeyPolicyNoOpenPrincipal"): NC},
    "key-string-booleans.json": {("Key", "KMSKeyRotationEnabled"): C, ("Key", "KMSKeyRetained"): C,
                                 ("Signing", "KMSKeyRotationEnabled"): Status.NOT_APPLICABLE},
    "key-deletable.json": {("ScratchKey", rule): NC
                           for rule in ("KMSKeyRotationEnabled", "KMSKeyPolicyNoOpenPrincipal", "KMSKeyRetained")},
    "key-omics-grants.yaml": {("Scoped", "KMSGrantServiceStatementScoped"): C,
                              ("Unscoped", "KMSGrantServiceStatementScoped"): NC},
    "key-events.yaml": {("Watched", "KMSKeyEventsAlerted"): C, ("Unwatched", "KMSKeyEventsAlerted"): NC},
    "trail-data-events-sub.json": {
        **{("Phi", rule): verdict for rule, verdict in PHI_BUCKET_BASICS.items()},
        ("Phi", "CloudTrailPhiBucketDataEvents"): C, ("Trail", "CloudTrailAllRegions"): C,
        ("Trail", "CloudTrailKmsEncrypted"): C, ("Trail", "CloudTrailLogFileValidation"): C},
    "trail-data-events-join.json": {
        **{(bucket, rule): verdict for bucket in ("Reads", "Results") for rule, verdict in PHI_BUCKET_BASICS.items()},
        ("Reads", "CloudTrailPhiBucketDataEvents"): C, ("Results", "CloudTrailPhiBucketDataEvents"): NC,
        ("Trail", "CloudTrailAllRegions"): C},
    "trail-optional-key.yaml": {("Trail", "CloudTrailKmsEncrypted"): NC, ("Trail", "CloudTrailAllRegions"): C},
    "trail-single-region.yaml": {("Trail", "CloudTrailLogFileValidation"): NC, ("Trail", "CloudTrailKmsEncrypted"): NC,
                                 ("Trail", "CloudTrailAllRegions"): NC},
    "omics-run-role.yaml": {("RunRole", "OmicsRunRoleNoWildcardDataAccess"): NC,
                            ("ScopedRole", "OmicsRunRoleNoWildcardDataAccess"): C,
                            ("BroadRole", "OmicsRunRoleNoWildcardDataAccess"): NC,
                            ("LambdaRole", "OmicsRunRoleNoWildcardDataAccess"): Status.NOT_APPLICABLE},
    "omics-stores.yaml": {("Reads", "OmicsStoreCustomerManagedKey"): C, ("Reads", "OmicsSequenceStoreAccessLogging"): C,
                          ("References", "OmicsStoreCustomerManagedKey"): NC,
                          ("Unlogged", "OmicsSequenceStoreAccessLogging"): NC,
                          ("Fhir", "HealthLakeDatastoreCustomerManagedKey"): NC},
    "sam-app.yaml": {("Results", "S3PhiBucketObjectLock"): NC, ("Results", TLS): NC,
                     ("Results", "S3PhiBucketKmsEncrypted"): NC, ("Results", "S3BucketVersioning"): C},
    "cdk-synthesized.json": {("VpcEcrEndpointSecurityGroupF4E45DB4", "EC2NoOpenIngress"): C,
                             ("VpcEcrEndpoint5A6C4B8E", "VPCEndpointSecurityGroupVpcOnly"): C,
                             ("VpcA2121C38", "VPCFlowLogsAllTraffic"): C},
    "omics-images-caches.yaml": {
        **{("Tools", rule): C for rule in ("EcrRepositoryCustomerManagedKey", "EcrRepositoryTagImmutable",
                                           "EcrRepositoryScanOnPush")},
        ("Tools", "RetainedResourceFixedName"): NC,
        # Parameter Stage defaults to dev, so the mutability's Fn::If takes MUTABLE.
        **{("Scratch", rule): NC for rule in ("EcrRepositoryCustomerManagedKey", "EcrRepositoryTagImmutable",
                                              "EcrRepositoryScanOnPush")},
        ("Pinned", "OmicsWorkflowContainersInAccount"): C,
        ("PublicImages", "OmicsWorkflowContainersInAccount"): NC,
        ("ChosenAtDeploy", "OmicsWorkflowContainersInAccount"): CJ,
        ("Cache", "OmicsRunCacheInPhiBucket"): C, ("LooseCache", "OmicsRunCacheInPhiBucket"): NC,
        **{("Results", rule): verdict for rule, verdict in PHI_BUCKET_BASICS.items()},
    },
    # Stage defaults to dev, where the plan's tagging is DISABLED and the exporter writes to every bucket; the task
    # role writes to a bucket the template does not hold.
    "airlock-environment.yaml": {
        ("Staging", "AirlockStagingMalwareProtected"): NC, ("Staging", "AirlockStagingReadsHeldUntilScanned"): NC,
        ("Staging", TLS): C, ("TaskRole", "IsolatedEnvironmentWritesStayInside"): CJ,
        ("Exporter", "IsolatedEnvironmentWritesStayInside"): NC,
        ("Analyst", "IsolatedEnvironmentWritesStayInside"): C, ("Analyst", "IAMPeopleRoleMfaAndExpiry"): NC,
        ("Vpc", "VPCIsolatedNoInternetPath"): C},
    "odd-intrinsics.yaml": {("Key", "KMSKeyRetained"): NC, ("Key", "KMSKeyRotationEnabled"): C,
                            # Environment defaults to prod; another value finds no Tokens in the mapping.
                            ("Template", "EC2IMDSv2Required"): CJ, ("Group", "EC2NoOpenIngress"): NC,
                            ("Encoded", "EC2NoOpenIngress"): CJ},
    # The deploy review's faults, each in a template that has it, and their fixes (docs/deploy-review.md).
    "approvals-mfa-federated.yaml": {
        ("SamlWithMfa", "IAMTrustMfaFederatedNeverPresent"): NC,
        ("IdentityCenterWithMfa", "IAMTrustMfaFederatedNeverPresent"): NC,
        ("AnalystsRoleWithMfa", "IAMTrustMfaFederatedNeverPresent"): C,
        ("AnalystsRoleWithMfa", "IAMTrustMfaFromRoleSessions"): NC,  # a warning: how is the role assumed?
        ("UsersWithMfa", "IAMTrustMfaFederatedNeverPresent"): C, ("UsersWithMfa", "IAMTrustMfaFromRoleSessions"): C,
        ("SamlWithoutMfa", "IAMTrustMfaFederatedNeverPresent"): Status.NOT_APPLICABLE},
    "guardrails-before-review.yaml": {
        ("RegionLock", "OrganizationAllowlistCoversServices"): NC,
        **{(policy, "OrganizationPolicyTypeEnabled"): NC for policy in (
            "RegionLock", "Protection", "HipaaServicesPart1", "HipaaServicesPart2", "DataClassification")},
        # ProjectsOu defaults to one OU; another OU given at deployment is a target these rules cannot read.
        ("RegionLock", "OrganizationRegionLock"): CJ, ("RegionLock", "OrganizationControlsProtected"): CJ},
    "guardrails-enabled.yaml": {
        ("RegionLock", "OrganizationAllowlistCoversServices"): CJ,
        **{(policy, "OrganizationPolicyTypeEnabled"): C for policy in (
            "RegionLock", "Protection", "HipaaServicesPart1", "HipaaServicesPart2", "DataClassification")},
        ("BackupPolicy", "OrganizationPolicyTypeEnabled"): NC,
        ("RegionLock", "OrganizationRegionLock"): CJ, ("RegionLock", "OrganizationControlsProtected"): CJ},
    # FixedPlan copies to DrVaultArn, whose default the role may copy into; another vault is known at deployment.
    "backup-copy-role.yaml": {("ReviewPlan", "BackupCopyRoleCanCopy"): NC, ("FixedPlan", "BackupCopyRoleCanCopy"): CJ,
                              ("Vault", "BackupVaultCmkLocked"): C},
}

# Every bucket is judged by the baseline rules, PHI or not: these buckets keep no server access logs, and most
# are not encrypted by default under a KMS key. ("Logs" is tagged access-logs, but no bucket logs into it.)
_BASELINE: dict[str, dict[tuple[str, str], Status]] = {
    "bucket-encryption-choices.yaml": {
        **{(bucket, "S3BucketAccessLogged"): NC for bucket in ("SseS3", "AwsManaged", "Chosen")},
        ("SseS3", "S3BucketEncryptedWithKms"): NC, ("Chosen", "S3BucketEncryptedWithKms"): NC},
    "bucket-phi-hardened.yaml": {("Data", "S3BucketAccessLogged"): NC},
    "bucket-phi-names.yaml": {(bucket, rule): NC for bucket in (
        "Clean", "Named", "Tagged", "RecordNumbered", "BareSsn", "AccountNamed") for rule in (
        "S3BucketAccessLogged", "S3BucketEncryptedWithKms", "S3BucketVersioning")},
    "bucket-phi-suspended.yaml": {
        **{(bucket, "S3BucketAccessLogged"): NC for bucket in ("Logs", "Suspended", "Unversioned")},
        ("Logs", "S3BucketEncryptedWithKms"): NC, ("Logs", "S3BucketVersioning"): NC,
        ("Unversioned", "S3BucketEncryptedWithKms"): NC},
    "bucket-policy-shapes.yaml": {(bucket, rule): NC for bucket in ("ListCondition", "Named", "OldTls") for rule in (
        "S3BucketAccessLogged", "S3BucketEncryptedWithKms", "S3BucketVersioning")},
    "bucket-replication.yaml": {(bucket, "S3BucketAccessLogged"): NC for bucket in ("Correct", "Source")},
    "omics-images-caches.yaml": {("Results", "S3BucketAccessLogged"): NC, ("Results", "S3BucketEncryptedWithKms"): NC},
    "sam-app.yaml": {("Results", "S3BucketAccessLogged"): NC, ("Results", "S3BucketEncryptedWithKms"): NC},
    "trail-data-events-join.json": {(bucket, rule): NC for bucket in ("Reads", "Results") for rule in (
        "S3BucketAccessLogged", "S3BucketEncryptedWithKms")},
    "trail-data-events-sub.json": {("Phi", "S3BucketAccessLogged"): NC, ("Phi", "S3BucketEncryptedWithKms"): NC},
    "trail-optional-key.yaml": {("Trail", "CloudTrailAllRegions"): NC},  # Logging is also allowed to be false
    "airlock-environment.yaml": {("Staging", rule): NC for rule in (
        "S3BucketAccessLogged", "S3BucketEncryptedWithKms", "S3BucketVersioning")},
}
for _name, _verdicts in _BASELINE.items():
    EXPECTED[_name] = {**EXPECTED.get(_name, {}), **_verdicts}

RULES = {rule.id: rule for rule in OMICS_SECURE_PACK.rules}


def verdicts(path: Path, parameters: dict[str, str] | None = None) -> dict[tuple[str, str], Status]:
    """Every (logical id, rule id) verdict of the template, through the engine's isolation."""
    stack = load_template(path, parameters)
    index = TemplateIndex(stack.resources)
    values = TemplateValues(stack.template, stack.parameters)
    return {(logical_id, rule.id): judge(rule, Resource.from_template(logical_id, body, stack.resources, index,
                                                                      values)).status
            for logical_id, body in stack.resources.items() for rule in OMICS_SECURE_PACK.rules}


def test_the_corpus_is_large_and_mixed():
    files = sorted(CORPUS.iterdir())
    assert len(files) >= 30
    assert {p.suffix for p in files} == {".yaml", ".json"}
    assert set(EXPECTED) == {p.name for p in files}, "every corpus template states its verdicts"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_verdict_of_the_template_is_the_stated_one(name):
    found = verdicts(CORPUS / name)
    expected = EXPECTED[name]
    for key, status in expected.items():
        assert key[1] in RULES, key
        assert found[key] is status, f"{name} {key}: {found[key].value}, expected {status.value}"
    reported = {key for key, status in found.items() if status in (NC, CJ, Status.ERROR)}
    unstated = sorted(reported - set(expected))
    assert not unstated, f"{name}: verdicts the test does not state: {[(k, found[k].value) for k in unstated]}"
    assert Status.ERROR not in found.values()


@pytest.mark.parametrize(("name", "finding", "detail"), [
    ("sg-conditional-open.yaml", ("Api", "EC2NoOpenIngress"), "when Environment is dev: ingress open"),
    ("vpc-conditional-gateway.yaml", ("Vpc", "VPCIsolatedNoInternetPath"),
     "when PublicAccess is true: internet gateway attached (IgwAttachment)"),
    ("key-policy-conditional-principal.json", ("SharedKey", "KMSKeyPolicyNoOpenPrincipal"),
     "when ShareWithCollaborators is true: Collaborators allows a wildcard principal"),
    ("omics-run-role.yaml", ("RunRole", "OmicsRunRoleNoWildcardDataAccess"),
     "when Debug is on: inline policy data statement 0 allows wildcard actions s3:*"),
    ("bucket-encryption-choices.yaml", ("Chosen", "S3PhiBucketKmsEncrypted"),
     "when UseKms is no: default encryption is AES256"),
    ("launch-template-parameters.yaml", ("Template", "EC2IMDSv2Required"),
     "when Tokens is optional: HttpTokens is optional"),
    ("sg-imported-cidr.yaml", ("Workers", "EC2NoOpenIngress"),
     "CidrIp is !ImportValue shared-network-CampusCidr, known only at deploy time"),
    ("sg-ipv6-spelled-out.yaml", ("Web", "EC2NoOpenIngress"), "from 0:0:0:0:0:0:0:0/0"),
    ("vpc-public-nat.yaml", ("Vpc", "VPCIsolatedNoInternetPath"), "route DefaultRoute to GatewayId"),
    ("odd-intrinsics.yaml", ("Group", "EC2NoOpenIngress"), "tcp 443-443 from 0.0.0.0/0"),
    ("approvals-mfa-federated.yaml", ("SamlWithMfa", "IAMTrustMfaFederatedNeverPresent"),
     "CampusPeople requires MFA of the federated principal !Sub"),
    ("approvals-mfa-federated.yaml", ("IdentityCenterWithMfa", "IAMTrustMfaFederatedNeverPresent"),
     "IAM Identity Center's roles"),
    ("guardrails-before-review.yaml", ("RegionLock", "OrganizationAllowlistCoversServices"),
     "on ou-ab12-cd34ef56, Session Manager (ssm:StartSession) need ssmmessages:CreateControlChannel"),
    ("guardrails-before-review.yaml", ("DataClassification", "OrganizationPolicyTypeEnabled"),
     "nothing in the template enables TAG_POLICY"),
    ("backup-copy-role.yaml", ("ReviewPlan", "BackupCopyRoleCanCopy"),
     "BackupRole may not backup:CopyIntoBackupVault into arn:aws:backup:us-west-2:111122223333:backup-vault:"),
])
def test_findings_name_the_branch_and_show_values_as_cloudformation_does(name, finding, detail):
    findings = evaluate_stack(OMICS_SECURE_PACK, load_template(CORPUS / name))
    details = {(f.logical_id, f.rule.id): f.detail for f in findings}
    assert detail in details[finding]
    assert "{'" not in details[finding] and "None" not in details[finding]


@pytest.mark.parametrize(("name", "parameters", "finding", "status"), [
    ("sg-parameter-cidr.yaml", {"AllowedCidr": "0.0.0.0/0"}, ("Analysis", "EC2NoOpenIngress"), NC),
    ("sg-conditional-open.yaml", {"Environment": "prod"}, ("Api", "EC2NoOpenIngress"), C),
    ("omics-images-caches.yaml", {"Stage": "prod"}, ("Scratch", "EcrRepositoryTagImmutable"), C),
    ("omics-images-caches.yaml", {"ToolImage": "ghcr.io/lab/bwa:1"},
     ("ChosenAtDeploy", "OmicsWorkflowContainersInAccount"), NC),
    ("sg-conditional-open.yaml", {"Environment": "dev"}, ("Api", "EC2NoOpenIngress"), NC),
    ("launch-template-parameters.yaml", {"Tokens": "required", "VolumeKeyArn": "arn:aws:kms:us-east-1:1:key/k"},
     ("Template", "EC2IMDSv2Required"), C),
    ("launch-template-parameters.yaml", {"VolumeKeyArn": "arn:aws:kms:us-east-1:1:key/k"},
     ("Template", "EBSEncryptedWithCustomerKey"), C),
    ("trail-optional-key.yaml", {"TrailKeyArn": "arn:aws:kms:us-east-1:1:key/k"},
     ("Trail", "CloudTrailKmsEncrypted"), C),
    ("trail-optional-key.yaml", {"Logging": "false"}, ("Trail", "CloudTrailAllRegions"), NC),
    ("vpc-conditional-gateway.yaml", {"PublicAccess": "false"}, ("Vpc", "VPCIsolatedNoInternetPath"), C),
    ("odd-intrinsics.yaml", {"KeyDeletion": "Retain"}, ("Key", "KMSKeyRetained"), C),
    ("odd-intrinsics.yaml", {"Environment": "dev"}, ("Template", "EC2IMDSv2Required"), NC),
    ("odd-intrinsics.yaml", {"Environment": "dev"}, ("Group", "EC2NoOpenIngress"), CJ),
    ("backup-copy-role.yaml", {"DrVaultArn": "arn:aws:backup:us-west-2:111122223333:backup-vault:omics-secure-dr"},
     ("FixedPlan", "BackupCopyRoleCanCopy"), C),
    ("guardrails-enabled.yaml", {"ProjectsOu": "ou-ab12-cd34ef56"}, ("RegionLock", "OrganizationRegionLock"), C),
    ("guardrails-enabled.yaml", {"ProjectsOu": "ou-ab12-cd34ef56"},
     ("RegionLock", "OrganizationAllowlistCoversServices"), C),
    ("key-policy-conditional-principal.json", {"ShareWithCollaborators": "false"},
     ("SharedKey", "KMSKeyPolicyNoOpenPrincipal"), C),
])
def test_parameter_values_over_the_defaults_decide_the_verdict(name, parameters, finding, status):
    assert verdicts(CORPUS / name, parameters)[finding] is status
