"""``omics-secure verify``: check deployed resources, live, against the controls the constructs promise."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omics_secure._internal.lazy import lazy_exports

if TYPE_CHECKING:
    from omics_secure.verify.auditor import (
        VerifyAuditorRole as VerifyAuditorRole,
    )
    from omics_secure.verify.auditor import (
        verifier_policy_statement as verifier_policy_statement,
    )
    from omics_secure.verify.aws import (
        OPERATIONS as OPERATIONS,
    )
    from omics_secure.verify.aws import (
        AwsReader as AwsReader,
    )
    from omics_secure.verify.aws import (
        VerifyError as VerifyError,
    )
    from omics_secure.verify.aws import (
        required_actions as required_actions,
    )
    from omics_secure.verify.checks import (
        CheckResult as CheckResult,
    )
    from omics_secure.verify.checks import (
        LiveCheck as LiveCheck,
    )
    from omics_secure.verify.checks import (
        LiveResource as LiveResource,
    )
    from omics_secure.verify.checks import (
        RuleRecord as RuleRecord,
    )
    from omics_secure.verify.checks import (
        Rules as Rules,
    )
    from omics_secure.verify.checks import (
        live_checks as live_checks,
    )
    from omics_secure.verify.runner import (
        Selection as Selection,
    )
    from omics_secure.verify.runner import (
        pack_results as pack_results,
    )
    from omics_secure.verify.runner import (
        render_summary as render_summary,
    )
    from omics_secure.verify.runner import (
        verify as verify,
    )
    from omics_secure.verify.runner import (
        write_verify_reports as write_verify_reports,
    )

# Exports load on first use: the verify command needs boto3, not the jsii runtime the auditor
# construct's aws_cdk import would start.
_EXPORTS = {
    "OPERATIONS": "omics_secure.verify.aws",
    "AwsReader": "omics_secure.verify.aws",
    "CheckResult": "omics_secure.verify.checks",
    "LiveCheck": "omics_secure.verify.checks",
    "LiveResource": "omics_secure.verify.checks",
    "RuleRecord": "omics_secure.verify.checks",
    "Rules": "omics_secure.verify.checks",
    "Selection": "omics_secure.verify.runner",
    "VerifyAuditorRole": "omics_secure.verify.auditor",
    "VerifyError": "omics_secure.verify.aws",
    "pack_results": "omics_secure.verify.runner",
    "render_summary": "omics_secure.verify.runner",
    "required_actions": "omics_secure.verify.aws",
    "live_checks": "omics_secure.verify.checks",
    "verifier_policy_statement": "omics_secure.verify.auditor",
    "verify": "omics_secure.verify.runner",
    "write_verify_reports": "omics_secure.verify.runner",
}

__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
