"""Rules for AWS Backup vaults that hold recovery points of PHI."""

from __future__ import annotations

from omics_secure.compliance.model import COMPLIANT, Controls, Resource, Rule, Verdict, non_compliant
from omics_secure.inputs.values import known, mapping, number, show, text

BACKUP_VAULT = frozenset({"AWS::Backup::BackupVault"})
# "you must set ChangeableForDays to 3 or greater" (AWS::Backup::BackupVault LockConfigurationType):
# https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-backup-backupvault-lockconfigurationtype.html
MIN_CHANGEABLE_FOR_DAYS = 3
_BACKUP_PROTECTION = Controls(
    hipaa=("164.308(a)(7)(ii)(A)", "164.312(a)(2)(iv)", "164.312(c)(1)"),
    nist_800_53_r5=("CP-9", "SC-28", "SC-28(1)"),
    nist_800_171_r2=("3.8.9", "3.13.16"),
    dbgap=("Data Encryption",),
)


def _customer_key_and_compliance_lock(resource: Resource) -> Verdict:
    properties = resource.properties
    problems = []
    key = known(properties, "EncryptionKeyArn")
    if key is None:
        problems.append("no EncryptionKeyArn: AWS Backup encrypts with its AWS managed key aws/backup, whose "
                        "policy no one in the account controls")
    elif isinstance(key, str) and ":alias/aws/" in key:
        problems.append(f"EncryptionKeyArn {show(key)} is an AWS managed key")
    lock = mapping(properties, "LockConfiguration")
    if not lock:
        problems.append("no LockConfiguration: recovery points can be deleted by anyone allowed "
                        "backup:DeleteRecoveryPoint")
    else:
        changeable = number(lock, "ChangeableForDays")
        if changeable is None and text(lock, "ChangeableForDays") is None:
            problems.append("the lock has no ChangeableForDays, so it is in governance mode and can be removed "
                            "at any time")
        elif changeable is not None and changeable < MIN_CHANGEABLE_FOR_DAYS:
            problems.append(f"ChangeableForDays is {show(changeable)}; AWS Backup requires "
                            f"{MIN_CHANGEABLE_FOR_DAYS} or more")
    if problems:
        return non_compliant("; ".join(problems))
    return COMPLIANT


BACKUP_VAULT_CMK_LOCKED = Rule(
    id="BackupVaultCmkLocked",
    resource_types=BACKUP_VAULT,
    finding="The AWS Backup vault is not encrypted with a customer-managed key, or not locked in compliance mode.",
    explanation=(
        "AWS Backup encrypts S3 recovery points with the vault's key, so a customer-managed key keeps "
        "decryption under the account's key policy. Vault Lock in compliance mode (ChangeableForDays set) "
        "makes the recovery points immutable after the grace time, so ransomware or a compromised "
        "administrator cannot delete the backups the contingency plan relies on."
    ),
    controls=_BACKUP_PROTECTION,
    check=_customer_key_and_compliance_lock,
    fix=("use omics_secure.PhiBackupVault, which has both; in CloudFormation set EncryptionKeyArn to a "
         "customer-managed key's ARN and LockConfiguration with MinRetentionDays, MaxRetentionDays and "
         "ChangeableForDays (3 or more)"),
)

BACKUP_RULES = (BACKUP_VAULT_CMK_LOCKED,)
