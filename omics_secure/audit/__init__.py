"""Audit and monitoring: a CloudTrail trail with S3 data events for PHI buckets, and alerts that reach people.

- :class:`AuditTrail`: a multi-region trail with log-file validation, encrypted with a :class:`PhiKey`,
  delivered to a dedicated object-locked bucket and to an encrypted CloudWatch Logs group; management
  events and S3 data events (read and write) for the PHI buckets you name.
- :class:`AlertTopic`: a KMS-encrypted, TLS-only SNS topic that CloudWatch alarms and EventBridge rules of
  this account may publish to, with an optional e-mail subscription.
- :class:`KeyWatch`: an EventBridge rule that alerts when a KMS key is disabled, scheduled for deletion,
  has its policy replaced, or has a grant revoked or retired (the HealthOmics and HealthLake guides warn
  that revoking or retiring a service's grant cuts the service off from its data).
- :class:`AccountAlarms`: metric filters on the trail's log group and alarms in the spirit of the CIS AWS
  Foundations Benchmark: unauthorized API calls, root use, console sign-in without MFA, IAM policy
  changes and S3 bucket-policy changes.
- :class:`AccountSecurityServices`: the AWS Config recorder with managed rules, and Amazon Macie. Both
  are singletons per account and region, created only when asked for by name.

The seeds ask for "API and user activity logging with AWS CloudTrail", for CloudTrail to "track the
requests that AWS HealthOmics sends to AWS KMS", and (dbGaP whitepaper) for CloudWatch alarms that send
"an email to security and compliance teams who audit the event".
"""

from omics_secure.audit.account import AccountSecurityServices, ConfigRule, MacieFrequency
from omics_secure.audit.alerts import AccountAlarm, AccountAlarms, AlertTopic, KeyWatch
from omics_secure.audit.trail import AuditTrail, DataBucket

__all__ = [
    "AccountAlarm",
    "AccountAlarms",
    "AccountSecurityServices",
    "AlertTopic",
    "AuditTrail",
    "ConfigRule",
    "DataBucket",
    "KeyWatch",
    "MacieFrequency",
]
