"""Compliance rules, packs and reports for omics-secure."""

from omics_secure.compliance.acknowledge import acknowledge
from omics_secure.compliance.engine import Finding, evaluate_assembly, evaluate_stack
from omics_secure.compliance.model import (
    COMPLIANT,
    NOT_APPLICABLE,
    Controls,
    Pack,
    Resource,
    Rule,
    Status,
    Verdict,
)
from omics_secure.compliance.nag import OmicsSecureChecks, add_compliance_packs, compliance_packs
from omics_secure.compliance.packs import OMICS_SECURE_PACK

__all__ = [
    "COMPLIANT",
    "NOT_APPLICABLE",
    "OMICS_SECURE_PACK",
    "Controls",
    "Finding",
    "OmicsSecureChecks",
    "Pack",
    "Resource",
    "Rule",
    "Status",
    "Verdict",
    "acknowledge",
    "add_compliance_packs",
    "compliance_packs",
    "evaluate_assembly",
    "evaluate_stack",
]
