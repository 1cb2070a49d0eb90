"""AWS API event names that constructs alarm on and rules check the alarms for."""

from __future__ import annotations

# The KMS calls after which a key, or a service's access to it, is gone or going.
KMS_KEY_EVENT_NAMES = ("DisableKey", "ScheduleKeyDeletion", "PutKeyPolicy", "RevokeGrant", "RetireGrant")
