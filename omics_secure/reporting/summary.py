"""The data-protection summary as Markdown or HTML: sections of paragraphs, tables and a diagram.

:func:`omics_secure.compliance.datasheet.build_datasheet` decides what the summary says; this module only
lays it out, so that any command (or a user's own tooling) can render the same sections. Both renderings
carry the same content: a table of contents with working links, every paragraph and table, and the
environment diagram (inline SVG in HTML, a Mermaid ``flowchart`` in Markdown). The HTML page is
self-contained (no stylesheet, script or font is fetched when it is opened), fits a 1,400 px window (tables
wrap, long names break) and has a print stylesheet.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from omics_secure.reporting import markdown
from omics_secure.reporting.diagram import Graph, render_mermaid, render_svg

TITLE = "Data-protection summary"


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
    figure: Graph | None = None
    """A diagram drawn after the paragraphs, before the tables."""
    note: str = ""
    """A caveat shown apart from the text (e.g. that a requirement is only proposed)."""
    bullets: tuple[str, ...] = ()
    """Short statements shown as a list after the paragraphs (the plain-language summary)."""

    @property
    def anchor(self) -> str:
        return anchor_of(self.title)


def anchor_of(title: str) -> str:
    """The id of a heading, as GitHub's Markdown renderer derives it (so Markdown links work there too)."""
    return re.sub(r"\s", "-", re.sub(r"[^\w\s-]", "", title.strip().lower()))


def render_markdown(sections: Sequence[Section]) -> str:
    """The sections as GitHub-flavoured Markdown. Every string of a section is plain text, as in
    :func:`render_html`, and is escaped (:mod:`omics_secure.reporting.markdown`): names, tags and descriptions
    from the app render as the same text, never as elements or links."""
    lines = [f"# {markdown.text(TITLE)}", "", "## Contents", ""]
    lines += [f"{index}. [{markdown.text(section.title)}](#{section.anchor})"
              for index, section in enumerate(sections, 1)]
    lines.append("")
    for section in sections:
        lines += [f"## {markdown.text(section.title)}", ""]
        if section.note:
            lines += [f"> **Note:** {markdown.text(section.note)}", ""]
        for paragraph in section.paragraphs:
            lines += [markdown.text(paragraph), ""]
        if section.bullets:
            lines += [f"- {markdown.text(bullet)}" for bullet in section.bullets]
            lines.append("")
        if section.figure is not None:
            lines += ["```mermaid", render_mermaid(section.figure), "```", ""]
        for table in section.tables:
            lines += [f"**{markdown.text(table.title)}**", ""]
            if not table.rows:
                lines += ["_None in this app._", ""]
                continue
            lines += markdown.table([markdown.text(header) for header in table.headers],
                                    [[markdown.text(cell) for cell in row] for row in table.rows])
            lines.append("")
    return "\n".join(lines)


_STYLE = """
:root{color-scheme:light}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;
color:#1b2a41;background:#fff}
main{max-width:1320px;margin:0 auto;padding:24px 32px 48px;box-sizing:border-box}
h1{font-size:1.9em;margin:0 0 .2em}h2{font-size:1.4em;margin:2em 0 .5em;padding-bottom:.2em;
border-bottom:2px solid #d5dbe5}h3{font-size:1.1em;margin:1.4em 0 .4em}
p,li{max-width:75em}a{color:#1f5fbf}
nav.toc{background:#f4f6fa;border:1px solid #d5dbe5;border-radius:6px;padding:8px 20px;margin:1em 0}
nav.toc h2{border:0;margin:.4em 0;font-size:1.1em}nav.toc ol{margin:.2em 0 .6em;columns:2;column-gap:3em}
ul.summary li{margin:.35em 0}
.note{border-left:4px solid #b36b00;background:#fdf7ec;padding:8px 14px;margin:1em 0}
table{border-collapse:collapse;width:100%;margin:0 0 1.5em;font-size:.92em}
th,td{border:1px solid #c8ced8;padding:4px 8px;text-align:left;vertical-align:top;overflow-wrap:break-word}
th{background:#eef1f6}tbody tr:nth-child(even){background:#fafbfd}
figure{margin:1em 0 1.5em}figure svg{display:block;max-width:100%;height:auto}
figcaption{font-size:.9em;color:#4a5568;margin-top:.4em}
@media print{
body{font-size:10pt}main{max-width:none;padding:0}a{color:inherit;text-decoration:none}
nav.toc{break-after:page}h2{break-after:avoid}h3{break-after:avoid}
table{font-size:8.5pt}thead{display:table-header-group}tr,figure{break-inside:avoid}
th{background:#eee!important;-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"""


_LONG_WORD = re.compile(r"\S{20,}")


def _breakable(text: str) -> str:
    """``text`` escaped, with line-break opportunities after the separators of long ARNs, paths and names, so a
    column can be narrower than its longest ARN without breaking ordinary words mid-way."""
    def soften(match: re.Match[str]) -> str:
        return re.sub(r"[/:.,_-]", lambda separator: separator.group(0) + "\u200b", match.group(0))

    return html.escape(_LONG_WORD.sub(soften, text)).replace("\u200b", "<wbr>")


def render_html(sections: Sequence[Section]) -> str:
    body = [f"<main><h1>{html.escape(TITLE)}</h1>",
            '<nav class="toc" aria-label="Contents"><h2 id="contents">Contents</h2><ol>']
    body += [f'<li><a href="#{section.anchor}">{html.escape(section.title)}</a></li>' for section in sections]
    body.append("</ol></nav>")
    for section in sections:
        body.append(f'<section id="{section.anchor}"><h2>{html.escape(section.title)}</h2>')
        if section.note:
            body.append(f'<p class="note"><strong>Note:</strong> {html.escape(section.note)}</p>')
        body += [f"<p>{html.escape(p)}</p>" for p in section.paragraphs]
        if section.bullets:
            body.append('<ul class="summary">' + "".join(f"<li>{html.escape(b)}</li>" for b in section.bullets)
                        + "</ul>")
        if section.figure is not None:
            body.append(f"<figure>{render_svg(section.figure, title=section.title)}"
                        f"<figcaption>{html.escape(section.title)}: hover a box or an arrow for its full name."
                        "</figcaption></figure>")
        for table in section.tables:
            body.append(f"<h3>{html.escape(table.title)}</h3>")
            if not table.rows:
                body.append("<p><em>None in this app.</em></p>")
                continue
            head = "".join(f'<th scope="col">{html.escape(h)}</th>' for h in table.headers)
            rows = "".join("<tr>" + "".join(f"<td>{_breakable(c)}</td>" for c in row) + "</tr>" for row in table.rows)
            body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{rows}</tbody></table>")
        body.append("</section>")
    body.append("</main>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            '<meta name="viewport" content="width=device-width, initial-scale=1">'
            f"<title>{html.escape(TITLE)}</title><style>{_STYLE}</style></head><body>\n"
            + "\n".join(body) + "\n</body></html>")
