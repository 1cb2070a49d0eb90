"""Text from an input renders as that text and nothing else, in every place the Markdown reports put it.

Rendered by markdown-it-py's GitHub-like preset (tables, strikethrough, raw HTML passed through, linkify of
bare URLs), as a CI system that shows Markdown as HTML would render it.
"""

from __future__ import annotations

import html
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omics_secure.reporting import markdown
from omics_secure.reporting.diagram import Edge, Graph, Group, Node, render_mermaid
from omics_secure.reporting.summary import Section, render_markdown
from tests.reporting.rendering import HOSTILE, RENDERER, elements

LINE_BREAKS_AND_CONTROLS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")

# Characters with a meaning somewhere in Markdown, GitHub's extensions, linkify or Mermaid, and look-alikes.
MARKUP = list("!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n\r\x0b\x0c\x00\u2028\u2029\xa0\u3002\uff0e\uff61\uff20\uff1a")
WORDS = ["a", "x", "1", "www", "http", "https", "javascript", "mailto", "example", "com", "img", "script",
         "onerror", "src", "mermaid", "end", "subgraph", "click", "br", "#quot;", "#60;", "&lt;", "&#x3c;"]
payloads = st.one_of(
    st.text(),
    st.lists(st.one_of(st.sampled_from(MARKUP), st.sampled_from(WORDS), st.sampled_from(HOSTILE)),
             max_size=24).map("".join),
)


def _one_line(value: str) -> str:
    """What a reader sees of ``value`` in rendered HTML: whitespace runs shown as one space."""
    return " ".join(LINE_BREAKS_AND_CONTROLS.sub(" ", value).split())


def _text_check(value: str) -> None:
    expected = _one_line(value)
    rendered = RENDERER.render(markdown.text(value))
    assert rendered == (f"<p>{_escaped(expected)}</p>\n" if expected else "")
    bullet = RENDERER.render(f"- {markdown.text(value)}")
    assert elements(bullet) == elements("<ul><li></li></ul>")


def _cell_check(value: str) -> None:
    table = "\n".join(markdown.table(("text", "code"), [(markdown.text(value), markdown.code(value))]))
    rendered = RENDERER.render(table)
    cells = re.findall(r"<td>(.*?)</td>", rendered, re.S)
    text_cell, code_cell = cells
    assert text_cell == _escaped(_one_line(value))
    literal = LINE_BREAKS_AND_CONTROLS.sub(" ", value)
    assert code_cell == (f"<code>{_escaped(literal)}</code>" if literal else "")
    benign = "| text | code |\n|---|---|\n| a | " + ("`a`" if literal else "") + " |"
    assert elements(rendered) == elements(RENDERER.render(benign))


def _escaped(value: str) -> str:
    return html.escape(value, quote=False).replace('"', "&quot;")


@pytest.mark.parametrize("value", HOSTILE)
def test_text_renders_as_the_same_text_and_no_element(value):
    _text_check(value)


@pytest.mark.parametrize("value", HOSTILE)
def test_a_table_cell_keeps_its_text_and_its_code_span_whole(value):
    _cell_check(value)


@pytest.mark.parametrize(("value", "expected"), [
    ("OmicsSecure-KMSKeyRotationEnabled", "`OmicsSecure-KMSKeyRotationEnabled`"),
    ("a`b", "``a`b``"),
    ("``x```", "```` ``x``` ````"),
    (" spaced ", "`  spaced  `"),
    ("   ", "`   `"),
    ("", ""),
])
def test_a_code_span_is_fenced_longer_than_any_backtick_run_in_it(value, expected):
    assert markdown.code(value) == expected


def test_names_keep_their_hyphens_readable_in_the_raw_file():
    assert markdown.text("my-study-data") == "my-study-data"
    assert markdown.text("-rf") == "\\-rf"


def _mermaid_graph(label: str) -> Graph:
    return Graph(groups=(Group("account_1", f"account {label}"),),
                 nodes=(Node("stack_A", label, "bucket", "data", "account_1", detail=label),
                        Node("stack_B", "plain", "key", "keys", "account_1")),
                 edges=(Edge("stack_B", "stack_A", label),))


def _mermaid_check(value: str) -> None:
    chart = render_mermaid(_mermaid_graph(value))
    labels = re.findall(r'"([^"]*)"', chart)
    lines = [label.split("<br/>") for label in labels]  # a node's name and detail: the one tag the chart writes
    assert all(re.fullmatch(r"[A-Za-z0-9 ,.:/()_#;-]*", line) for label in lines for line in label), labels
    decoded = [[re.sub(r"#(\d+);", lambda m: chr(int(m[1])), line) for line in label] for label in lines]
    shown = _one_line(value)
    assert decoded == [[f"account {shown}".strip()], [shown, shown if value else "bucket"], ["plain", "key"], [shown]]
    # The chart is one fenced block, whatever the labels hold.
    tokens = RENDERER.parse(render_markdown([Section("Environment", figure=_mermaid_graph(value))]))
    fences = [token for token in tokens if token.type == "fence"]
    assert [(fence.info, fence.content) for fence in fences] == [("mermaid", chart + "\n")]
    assert [token.type for token in tokens if token.type.endswith("_open")] == ["heading_open", "heading_open",
                                                                                  "ordered_list_open",
                                                                                  "list_item_open",
                                                                                  "paragraph_open",
                                                                                  "heading_open"]


@pytest.mark.parametrize("value", HOSTILE)
def test_mermaid_labels_are_entity_codes_inside_one_fence(value):
    _mermaid_check(value)


@pytest.mark.slow
@given(payloads)
def test_any_text_renders_as_itself(value):
    _text_check(value)


@pytest.mark.slow
@given(payloads)
def test_any_text_and_code_span_stay_in_their_table_cell(value):
    _cell_check(value)


@pytest.mark.slow
@given(payloads)
def test_any_mermaid_label_stays_a_label(value):
    _mermaid_check(value)
