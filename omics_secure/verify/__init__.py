"""``omics-secure verify``: check deployed resources, live, against the controls the constructs promise."""

from omics_secure.verify.auditor import VerifyAuditorRole, verifier_policy_statement
from omics_secure.verify.aws import OPERATIONS, AwsReader, VerifyError, required_actions
from omics_secure.verify.checks import CHECKS, CheckResult, LiveCheck, LiveResource
from omics_secure.verify.runner import Selection, pack_results, render_summary, verify, write_verify_reports

__all__ = [
    "CHECKS",
    "OPERATIONS",
    "AwsReader",
    "CheckResult",
    "LiveCheck",
    "LiveResource",
    "Selection",
    "VerifyAuditorRole",
    "VerifyError",
    "pack_results",
    "render_summary",
    "required_actions",
    "verifier_policy_statement",
    "verify",
    "write_verify_reports",
]
