"""The verdict vocabulary shared by ``compliance`` and ``verify``: a status, a verdict, the controls cited.

Plain data, no rule logic and no AWS: the rules (:mod:`omics_secure.compliance.model` re-exports these)
and the live checks (:mod:`omics_secure.verify.checks`) both speak it, and the report writers read it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from omics_secure._internal.nist_800_171 import r3_for

__all__ = [
    "COMPLIANT",
    "NOT_APPLICABLE",
    "RULE_ERROR_PREFIX",
    "Controls",
    "Status",
    "Verdict",
    "cannot_judge",
    "non_compliant",
    "rule_error",
]


RULE_ERROR_PREFIX = "The rule could not judge"
"""How the message of an error verdict starts, so that readers of CDK's validation report can tell it from a
finding: the rule failed on the resource, and the check of it is incomplete."""


class Status(Enum):
    """A rule's verdict on one resource, from least to most severe (see :attr:`severity`).

    CANNOT_JUDGE: a value the rule needs is only known at deploy time; reported as a warning, never as
    compliant. ERROR: the rule itself failed on this resource (a defect of the rule, not of the template).
    """

    NOT_APPLICABLE = "not-applicable"
    COMPLIANT = "compliant"
    CANNOT_JUDGE = "cannot-judge"
    NON_COMPLIANT = "non-compliant"
    ERROR = "error"

    @property
    def severity(self) -> int:
        return _SEVERITY[self]


_SEVERITY = {status: rank for rank, status in enumerate(Status)}


@dataclass(frozen=True)
class Verdict:
    status: Status
    detail: str = ""


COMPLIANT = Verdict(Status.COMPLIANT)
NOT_APPLICABLE = Verdict(Status.NOT_APPLICABLE)


def non_compliant(detail: str) -> Verdict:
    """A failing verdict; ``detail`` says what exactly is wrong in this resource."""
    return Verdict(Status.NON_COMPLIANT, detail)


def cannot_judge(detail: str) -> Verdict:
    """A warning verdict: ``detail`` names the property and the expression only known at deploy time."""
    return Verdict(Status.CANNOT_JUDGE, detail)


def rule_error(detail: str) -> Verdict:
    """The rule raised on this resource; ``detail`` names the exception."""
    return Verdict(Status.ERROR, detail)


@dataclass(frozen=True)
class Controls:
    """The controls a rule evidences, by framework.

    hipaa: HIPAA Security Rule sections (45 CFR 164.3xx); nist_800_53_r5: NIST SP 800-53 rev. 5;
    nist_800_171_r2: NIST SP 800-171 rev. 2 (NIH accepts rev. 2 or rev. 3 of controlled-access data users);
    nist_800_171_r3: NIST SP 800-171 rev. 3, ``03.13.08`` form. Default: derived from ``nist_800_171_r2``
    through the one r2-to-r3 table (:data:`omics_secure._internal.nist_800_171.R2_TO_R3`), so that a rule
    states rev. 3 ids only where the table's answer is not the right one;
    dbgap: control areas of the AWS genomic-data (dbGaP) security whitepaper.
    """

    hipaa: tuple[str, ...] = ()
    nist_800_53_r5: tuple[str, ...] = ()
    nist_800_171_r2: tuple[str, ...] = ()
    dbgap: tuple[str, ...] = ()
    nist_800_171_r3: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.nist_800_171_r3 and self.nist_800_171_r2:
            object.__setattr__(self, "nist_800_171_r3", r3_for(self.nist_800_171_r2))

    def summary(self) -> str:
        parts = [
            ("HIPAA", self.hipaa),
            ("NIST 800-53r5", self.nist_800_53_r5),
            ("NIST 800-171r2", self.nist_800_171_r2),
            ("NIST 800-171r3", self.nist_800_171_r3),
            ("dbGaP", self.dbgap),
        ]
        return "; ".join(f"{name} {', '.join(ids)}" for name, ids in parts if ids)
