"""The airlock: reviewed, scanned data movement into and out of an isolated environment.

- :class:`Airlock`: staging buckets under GuardDuty malware protection, a Step Functions workflow per request
  (scanned, reviewed by a different person, copied all-or-nothing or quarantined), a requests table, and the
  requester, reviewer and administrator roles.
- :class:`BucketMalwareProtection`: GuardDuty Malware Protection for S3 on one bucket, with the bucket policy that
  holds every read until the object's scan is clean.
"""

from omics_secure.airlock.airlock import Airlock, AirlockAdministrators, AirlockDirection, AirlockReviewers
from omics_secure.airlock.malware import BucketMalwareProtection

__all__ = ["Airlock", "AirlockAdministrators", "AirlockDirection", "AirlockReviewers", "BucketMalwareProtection"]
