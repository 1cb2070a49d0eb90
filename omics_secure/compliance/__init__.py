"""Compliance rules, packs and reports for omics-secure."""

from __future__ import annotations

from typing import TYPE_CHECKING

from omics_secure._internal.lazy import lazy_exports

if TYPE_CHECKING:
    from omics_secure._internal.acknowledgments import (
        acknowledge as acknowledge,
    )
    from omics_secure.compliance.engine import (
        Finding as Finding,
    )
    from omics_secure.compliance.engine import (
        evaluate_assembly as evaluate_assembly,
    )
    from omics_secure.compliance.engine import (
        evaluate_stack as evaluate_stack,
    )
    from omics_secure.compliance.model import (
        COMPLIANT as COMPLIANT,
    )
    from omics_secure.compliance.model import (
        NOT_APPLICABLE as NOT_APPLICABLE,
    )
    from omics_secure.compliance.model import (
        Controls as Controls,
    )
    from omics_secure.compliance.model import (
        Pack as Pack,
    )
    from omics_secure.compliance.model import (
        Resource as Resource,
    )
    from omics_secure.compliance.model import (
        Rule as Rule,
    )
    from omics_secure.compliance.model import (
        Status as Status,
    )
    from omics_secure.compliance.model import (
        Verdict as Verdict,
    )
    from omics_secure.compliance.nag import (
        OmicsSecureChecks as OmicsSecureChecks,
    )
    from omics_secure.compliance.nag import (
        add_compliance_packs as add_compliance_packs,
    )
    from omics_secure.compliance.nag import (
        compliance_packs as compliance_packs,
    )
    from omics_secure.compliance.packs import (
        OMICS_SECURE_PACK as OMICS_SECURE_PACK,
    )

# Exports load on first use, so that tools which only read synthesized assemblies (the
# omics-secure command) do not start the jsii runtime that importing aws_cdk starts.
_EXPORTS = {
    "COMPLIANT": "omics_secure.compliance.model",
    "NOT_APPLICABLE": "omics_secure.compliance.model",
    "OMICS_SECURE_PACK": "omics_secure.compliance.packs",
    "Controls": "omics_secure.compliance.model",
    "Finding": "omics_secure.compliance.engine",
    "OmicsSecureChecks": "omics_secure.compliance.nag",
    "Pack": "omics_secure.compliance.model",
    "Resource": "omics_secure.compliance.model",
    "Rule": "omics_secure.compliance.model",
    "Status": "omics_secure.compliance.model",
    "Verdict": "omics_secure.compliance.model",
    "acknowledge": "omics_secure._internal.acknowledgments",
    "add_compliance_packs": "omics_secure.compliance.nag",
    "compliance_packs": "omics_secure.compliance.nag",
    "evaluate_assembly": "omics_secure.compliance.engine",
    "evaluate_stack": "omics_secure.compliance.engine",
}

__all__ = list(_EXPORTS)
__getattr__ = lazy_exports(__name__, _EXPORTS)
