"""Markdown rendered as a CI system shows it, and the hostile values the report tests put in inputs.

markdown-it-py's ``gfm-like`` preset: GitHub's tables and strikethrough, raw HTML passed through (as GitHub
passes it to its sanitizer), and linkify, which turns bare URLs and addresses into links as GitHub does.
"""

from __future__ import annotations

from collections import Counter
from html.parser import HTMLParser

from markdown_it import MarkdownIt

RENDERER = MarkdownIt("gfm-like")

HOSTILE = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "[click](javascript:alert(3))",
    "![pixel](https://evil.example/p.png)",
    "<https://evil.example/autolink>",
    "bare https://evil.example/x and www.evil.example and //evil.example/x and mail@evil.example",
    "`code` and ``a`b`` and `",
    "pipe | splits | cells",
    "line\nbreak\n\n# heading\n- item\n    indented code",
    "\n```\n<b>out of the fence</b>\n```\n",
    "*em* __strong__ ~~gone~~ $x^2$ <!-- comment -->",
    "&lt;b&gt; &#60;i&#62; &amp;",
    "\\| escaped \\` backslashes \\",
    '"quoted" #quot; #60;script#62; -->|edge| end',
    "1. ordered\r2) also",
    "> quote\u2028line separator\x00nul\x1b[31mansi",
    "---",
    "-",
)


class _Elements(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: Counter[tuple[str, tuple[tuple[str, str | None], ...]]] = Counter()
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.found[(tag, tuple(sorted(attrs)))] += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_comment(self, data: str) -> None:
        self.found[("<!--", ())] += 1

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def elements(rendered: str) -> Counter[tuple[str, tuple[tuple[str, str | None], ...]]]:
    """Every element of ``rendered`` HTML (and every comment) with its attributes and their values, counted."""
    parser = _Elements()
    parser.feed(rendered)
    parser.close()
    return parser.found


def visible_text(rendered: str) -> str:
    """The text of ``rendered`` HTML, entities decoded, without its tags and attributes."""
    parser = _Elements()
    parser.feed(rendered)
    parser.close()
    return "".join(parser.text)


class _Rows(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.rows: list[list[str]] = []
        self._cell: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = []

    def handle_endtag(self, tag: str) -> None:
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append("".join(self._cell))
            self._cell = None

    def handle_data(self, data: str) -> None:
        if self._cell is not None:
            self._cell.append(data)


def table_rows(markdown: str) -> str:
    """Every table row of ``markdown`` as rendered, one per line, written "| cell | cell |" with each cell's
    text as a reader sees it (escapes undone), so that a test can look for a row or a run of cells."""
    parser = _Rows()
    parser.feed(RENDERER.render(markdown))
    parser.close()
    return "\n".join("| " + " | ".join(row) + " |" for row in parser.rows)


def shown(markdown: str) -> str:
    """The text a reader sees of ``markdown`` rendered."""
    return visible_text(RENDERER.render(markdown))
