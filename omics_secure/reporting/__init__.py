"""Reading check results and writing them for people and CI: CDK's validation report in, JUnit, SARIF,
Markdown and the data-protection summary's layout out. Used by ``compliance/``, ``verify/`` and the command."""

from omics_secure.reporting.summary import Section, Table, render_html, render_markdown
from omics_secure.reporting.validation_report import PackResult, ReportedFinding, read_validation_report
from omics_secure.reporting.writers import write_reports

__all__ = [
    "PackResult",
    "ReportedFinding",
    "Section",
    "Table",
    "read_validation_report",
    "render_html",
    "render_markdown",
    "write_reports",
]
