"""The data-protection summary as Markdown or HTML: sections of paragraphs and tables.

:func:`omics_secure.compliance.datasheet.build_datasheet` decides what the summary says; this module only
lays it out, so that any command (or a user's own tooling) can render the same sections.
"""

from __future__ import annotations

import html
from collections.abc import Sequence
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Table:
    title: str
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Section:
    title: str
    paragraphs: tuple[str, ...] = ()
    tables: tuple[Table, ...] = field(default_factory=tuple)



def render_markdown(sections: Sequence[Section]) -> str:
    lines = ["# Data-protection summary", ""]
    for section in sections:
        lines += [f"## {section.title}", ""]
        for paragraph in section.paragraphs:
            lines += [paragraph, ""]
        for table in section.tables:
            lines += [f"**{table.title}**", ""]
            if not table.rows:
                lines += ["_None in this app._", ""]
                continue
            lines.append("| " + " | ".join(table.headers) + " |")
            lines.append("|" + "---|" * len(table.headers))
            lines += ["| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |" for row in table.rows]
            lines.append("")
    return "\n".join(lines)


def render_html(sections: Sequence[Section]) -> str:
    body = ["<h1>Data-protection summary</h1>"]
    for section in sections:
        body.append(f"<h2>{html.escape(section.title)}</h2>")
        body += [f"<p>{html.escape(p)}</p>" for p in section.paragraphs]
        for table in section.tables:
            body.append(f"<h3>{html.escape(table.title)}</h3>")
            if not table.rows:
                body.append("<p><em>None in this app.</em></p>")
                continue
            head = "".join(f"<th>{html.escape(h)}</th>" for h in table.headers)
            rows = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in table.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
    style = ("body{font-family:sans-serif;margin:2em}table{border-collapse:collapse;margin-bottom:1.5em}"
             "td,th{border:1px solid #999;padding:4px 8px;text-align:left;vertical-align:top}")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>Data-protection summary"
            f"</title><style>{style}</style></head><body>\n" + "\n".join(body) + "\n</body></html>")
