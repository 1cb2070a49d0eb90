"""Text from an input, made safe to place in Markdown: it renders as the same text and as nothing else.

Every Markdown report places names, descriptions, messages and reasons that came from a template or an app.
Where CI renders Markdown as HTML (GitHub's and GitLab's job summaries, pull-request comments, wikis), text
placed raw becomes elements: ``<img onerror=...>``, ``[x](javascript:...)``, tables split by ``|``, code
spans closed by a backtick, and bare URLs that the renderer links by itself. The writers therefore build the
document's structure themselves and pass every value through :func:`text` or :func:`code` (and
:func:`table_cell` for a cell), as the HTML report passes every value through ``html.escape``.

CommonMark lets a backslash escape any ASCII punctuation character, which then is a literal character and
never starts an element, an entity or a link (https://spec.commonmark.org/0.31.2/#backslash-escapes).
GitHub's autolinks (``www.``, ``http://``, e-mail addresses: https://github.github.com/gfm/#autolinks-extension-)
and linkify's bare domains need a literal ``.``, ``:`` or ``@``, which the escapes break up.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterable, Sequence

# ASCII punctuation that means nothing inside a line of Markdown (GFM and linkify included) once '[', ']', '.',
# ':', '/' and '@' are escaped, left as it is so that names and prose stay readable in the raw file. At the
# start of a line, '-' starts a list or a rule and '1)' an ordered list: :func:`text` escapes those there.
_INERT = frozenset(",;?%'\"-()")
_LIST_MARKER = re.compile(r"^(\d{0,9})([-)])")
_ESCAPES = str.maketrans({character: "\\" + character for character in string.punctuation
                          if character not in _INERT})
# Line breaks and the other control characters: a line break inside a value would end a table row, a list
# item or a fence, and start a block (heading, list, code) of the value's own.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_BACKTICKS = re.compile(r"`+")


def text(value: str) -> str:
    """``value`` as Markdown text that renders as exactly that text, on one line (whitespace runs become one
    space, as HTML shows them), with no element, entity or link of its own."""
    flat = " ".join(_CONTROL.sub(" ", value).split())
    escaped = flat.translate(_ESCAPES)
    return _LIST_MARKER.sub(lambda marker: f"{marker[1]}\\{marker[2]}", escaped, count=1)


def code(value: str) -> str:
    """``value`` as a Markdown code span: literal (no escapes apply inside one), on one line, and closed only
    by its own fence, which is one backtick longer than the longest run of backticks in ``value``
    (https://spec.commonmark.org/0.31.2/#code-spans). Empty for an empty value, which no code span can hold."""
    flat = _CONTROL.sub(" ", value)
    if not flat:
        return ""
    fence = "`" * (max((len(run) for run in _BACKTICKS.findall(flat)), default=0) + 1)
    # A space inside each end keeps a leading or trailing backtick off the fence; CommonMark strips exactly one
    # space from each end of a span that has one at both ends and is not only spaces.
    padded = f" {flat} " if (flat[0] in "` " or flat[-1] in "` ") and flat.strip(" ") else flat
    return f"{fence}{padded}{fence}"


def table_cell(markdown: str) -> str:
    """A cell of a GFM table holding ``markdown`` (made by :func:`text` or :func:`code`): every pipe escaped,
    as GFM splits a row at any unescaped pipe before it reads code spans or escapes
    (https://github.github.com/gfm/#tables-extension-)."""
    return markdown.replace("|", "\\|")


def table(headers: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """The lines of a GFM table whose headers and cells are already Markdown (escaped with :func:`text` or
    :func:`code`); pipes are escaped here. An empty cell is left empty."""
    def row(cells: Sequence[str]) -> str:
        return "| " + " | ".join(table_cell(cell) for cell in cells) + " |"

    return [row(headers), "|" + "---|" * len(headers), *(row(cells) for cells in rows)]
