"""BackupVaultCmkLocked on compliant and non-compliant vaults (template shapes: test_rules_intrinsics.py)."""

from __future__ import annotations

from typing import Any

import pytest

from omics_secure.compliance.model import Resource, Status
from omics_secure.compliance.packs import OMICS_SECURE_PACK
from omics_secure.compliance.rules.backup import BACKUP_VAULT_CMK_LOCKED

KEY = {"Fn::GetAtt": ["VaultKey", "Arn"]}
LOCK = {"MinRetentionDays": 35, "MaxRetentionDays": 3650, "ChangeableForDays": 3}
C, NC = Status.COMPLIANT, Status.NON_COMPLIANT


def vault(properties: dict[str, Any]) -> Resource:
    return Resource(logical_id="Vault", type="AWS::Backup::BackupVault",
                    properties={"BackupVaultName": "phi-backups", **properties})


def test_the_rule_is_in_the_pack_and_ignores_other_types():
    assert BACKUP_VAULT_CMK_LOCKED in OMICS_SECURE_PACK.rules
    bucket = Resource(logical_id="B", type="AWS::S3::Bucket", properties={})
    assert BACKUP_VAULT_CMK_LOCKED.evaluate(bucket).status is Status.NOT_APPLICABLE


@pytest.mark.parametrize(("properties", "status", "detail"), [
    ({"EncryptionKeyArn": KEY, "LockConfiguration": LOCK}, C, ""),
    ({"EncryptionKeyArn": "arn:aws:kms:us-east-1:111122223333:key/1234abcd", "LockConfiguration": LOCK}, C, ""),
    ({"EncryptionKeyArn": KEY, "LockConfiguration": {**LOCK, "ChangeableForDays": "7"}}, C, ""),
    ({"LockConfiguration": LOCK}, NC, "aws/backup"),
    ({"EncryptionKeyArn": "arn:aws:kms:us-east-1:111122223333:alias/aws/backup", "LockConfiguration": LOCK}, NC,
     "AWS managed key"),
    ({"EncryptionKeyArn": KEY}, NC, "no LockConfiguration"),
    ({"EncryptionKeyArn": KEY, "LockConfiguration": {"MinRetentionDays": 35}}, NC,
     "the lock has no ChangeableForDays, so it is in governance mode and can be removed at any time"),
    ({"EncryptionKeyArn": KEY, "LockConfiguration": {**LOCK, "ChangeableForDays": 2}}, NC, "3 or more"),
    ({}, NC, "no LockConfiguration"),
])
def test_vaults(properties, status, detail):
    verdict = BACKUP_VAULT_CMK_LOCKED.evaluate(vault(properties))
    assert verdict.status is status, verdict.detail
    assert detail in (verdict.detail or "")

