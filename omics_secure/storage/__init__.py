"""HIPAA-hardened S3 storage for PHI and controlled-access genomic data.

- :class:`PhiBucket`: SSE-KMS with bucket keys (or DSSE-KMS), uploads with another key, SSE-S3 or SSE-C
  refused, versioning and object lock always on, TLS 1.2+ only, no public access, no ACLs, server access
  logs, lifecycle for sequencing data, optional data-use end date, optional VPC-endpoint-only access and
  cross-region replication into a :class:`PhiReplicaBucket`.
- :class:`AccessLogBucket`: the target of S3 server access logs, hardened as far as S3 log delivery allows.
- :class:`PhiReplicaBucket`: the replication destination, in its own stack in a second region, with its
  own key there and the replication role.

Every bucket is tagged ``omics-secure:data-classification`` (``phi`` or ``access-logs``): the
OmicsSecure rules read that tag to know, from the template alone, which buckets hold PHI.
"""

from omics_secure.storage._common import Encryption, ObjectLockMode, RawDataTiering, TlsVersion
from omics_secure.storage._hardened import BucketLike, bucket_key_of, bucket_of
from omics_secure.storage.access_logs import AccessLogBucket
from omics_secure.storage.phi_bucket import PhiBucket
from omics_secure.storage.replica import PhiReplicaBucket

__all__ = [
    "AccessLogBucket",
    "BucketLike",
    "Encryption",
    "ObjectLockMode",
    "PhiBucket",
    "PhiReplicaBucket",
    "RawDataTiering",
    "TlsVersion",
    "bucket_key_of",
    "bucket_of",
]
