"""The airlock: reviewed, scanned data movement into and out of an isolated environment.

- :class:`Airlock`: staging buckets under GuardDuty malware protection, a Step Functions workflow per request
  (scanned, reviewed by a different person, copied all-or-nothing or quarantined), a requests table, and the
  requester, reviewer and administrator roles.
- :class:`BucketMalwareProtection`: GuardDuty Malware Protection for S3 on one bucket, with the bucket policy that
  holds every read until the object's scan is clean.

The functions' code is :mod:`omics_secure.airlock.runtime.airlock_lambda` (standard library and boto3 only).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omics_secure._internal.lazy import lazy_exports

if TYPE_CHECKING:
    from omics_secure.airlock.airlock import (
        Airlock as Airlock,
    )
    from omics_secure.airlock.airlock import (
        AirlockAdministrators as AirlockAdministrators,
    )
    from omics_secure.airlock.airlock import (
        AirlockDirection as AirlockDirection,
    )
    from omics_secure.airlock.airlock import (
        AirlockReviewers as AirlockReviewers,
    )
    from omics_secure.airlock.malware import (
        BucketMalwareProtection as BucketMalwareProtection,
    )

# Loaded on first use: the command imports the functions' code from here without starting the jsii runtime.
_EXPORTS = {
    "Airlock": "omics_secure.airlock.airlock",
    "AirlockAdministrators": "omics_secure.airlock.airlock",
    "AirlockDirection": "omics_secure.airlock.airlock",
    "AirlockReviewers": "omics_secure.airlock.airlock",
    "BucketMalwareProtection": "omics_secure.airlock.malware",
}

__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
