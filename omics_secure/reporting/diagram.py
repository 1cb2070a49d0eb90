"""The environment as a graph (groups, nodes, edges), drawn as inline SVG for HTML and as Mermaid for Markdown.

One :class:`Graph` feeds both renderings, so the picture in the HTML report and the flowchart in the
Markdown report name the same nodes and the same edges. The SVG layout is deliberately simple and
deterministic: groups (accounts, regions, VPCs) are nested boxes stacked top to bottom, nodes sit in
lanes inside them (wrapping onto more rows when a lane is full), and edges are straight arrows. Nothing
is fetched when the page is opened: no fonts, scripts or stylesheets outside the SVG itself.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

LANES = ("network", "access", "data", "keys", "logging", "outside")
"""Rows of a group, top to bottom: the kinds of :class:`Node` are placed in these lanes."""

LANE_TITLES = {"network": "Network", "access": "Roles and approvals that reach data", "data": "Data stores",
               "keys": "KMS keys", "logging": "Audit trail", "outside": "Outside this app"}

EDGE_STYLES = {
    "replicates to": ("#1f5fbf", ""),
    "encrypts": ("#b36b00", "5,3"),
    "can reach": ("#2e7d32", ""),
    "approved access": ("#6a1b9a", ""),
    "logs to": ("#555555", "2,3"),
}
"""Edge label -> (stroke colour, dash pattern); the legend shows them in this order."""


@dataclass(frozen=True)
class Group:
    id: str
    label: str
    parent: str | None = None


@dataclass(frozen=True)
class Node:
    id: str
    label: str
    kind: str
    """What the node is, in words ("bucket", "key", "role", ...); the browser test counts nodes by it."""
    lane: str
    group: str
    detail: str = ""


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    label: str


@dataclass(frozen=True)
class Graph:
    groups: tuple[Group, ...] = ()
    nodes: tuple[Node, ...] = ()
    edges: tuple[Edge, ...] = field(default_factory=tuple)

    def children(self, group_id: str | None) -> list[Group]:
        return [g for g in self.groups if g.parent == group_id]


_NODE_WIDTH, _NODE_HEIGHT, _GAP, _PAD, _TITLE = 204, 44, 12, 14, 22
_CANVAS_WIDTH = 1340
_FONT = "font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif"


def fit(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters, keeping its end (the most specific part of a path or name)."""
    return text if len(text) <= limit else "\u2026" + text[-(limit - 1):]


@dataclass
class _Box:
    x: float
    y: float
    width: float
    height: float


def _layout(graph: Graph) -> tuple[dict[str, _Box], dict[str, _Box], list[tuple[str, float, float]], float]:
    """Boxes for groups and nodes, lane titles, and the canvas height."""
    group_boxes: dict[str, _Box] = {}
    node_boxes: dict[str, _Box] = {}
    lane_titles: list[tuple[str, float, float]] = []

    def place(group: Group | None, x: float, y: float, width: float) -> float:
        """Place a group's own nodes then its child groups; return the height used."""
        top = y
        if group is not None:
            y += _TITLE
        inner_x, inner_width = x + _PAD, width - 2 * _PAD
        per_row = max(1, int((inner_width + _GAP) // (_NODE_WIDTH + _GAP)))
        own = [n for n in graph.nodes if n.group == (group.id if group else None)]
        for lane in LANES:
            members = [n for n in own if n.lane == lane]
            if not members:
                continue
            lane_titles.append((LANE_TITLES[lane], inner_x, y + 12))
            y += 18
            for index, node in enumerate(members):
                row, column = divmod(index, per_row)
                node_boxes[node.id] = _Box(inner_x + column * (_NODE_WIDTH + _GAP),
                                           y + row * (_NODE_HEIGHT + _GAP), _NODE_WIDTH, _NODE_HEIGHT)
            rows = (len(members) + per_row - 1) // per_row
            y += rows * (_NODE_HEIGHT + _GAP)
        for child in graph.children(group.id if group else None):
            y += place(child, inner_x, y, inner_width) + _GAP
        height = y - top + (_PAD if group is not None else 0)
        if group is not None:
            group_boxes[group.id] = _Box(x, top, width, height)
        return height

    height = place(None, 0, 0, _CANVAS_WIDTH + 2 * _PAD)
    return group_boxes, node_boxes, lane_titles, height


def _border_point(box: _Box, toward_x: float, toward_y: float) -> tuple[float, float]:
    """Where the line from the centre of ``box`` toward a point leaves the box."""
    cx, cy = box.x + box.width / 2, box.y + box.height / 2
    dx, dy = toward_x - cx, toward_y - cy
    if dx == 0 and dy == 0:
        return cx, cy
    scale = min(box.width / 2 / abs(dx) if dx else float("inf"), box.height / 2 / abs(dy) if dy else float("inf"))
    return cx + dx * scale, cy + dy * scale


def render_svg(graph: Graph, *, title: str = "Environment diagram") -> str:
    """The graph as a self-contained SVG element, scaled to the width of its container."""
    group_boxes, node_boxes, lane_titles, height = _layout(graph)
    legend_height = 28
    width = _CANVAS_WIDTH + 2 * _PAD
    total_height = height + legend_height + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram" viewBox="0 0 {width:.0f} {total_height:.0f}" '
        f'width="100%" role="img" aria-label="{html.escape(title)}" style="{_FONT};max-width:{width:.0f}px">',
        f"<title>{html.escape(title)}</title>",
        "<defs>",
    ]
    for index, (colour, _dash) in enumerate(EDGE_STYLES.values()):
        parts.append(f'<marker id="arrow{index}" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" '
                     f'markerHeight="7" orient="auto-start-reverse"><path d="M0,0L10,5L0,10z" fill="{colour}"/>'
                     "</marker>")
    parts.append("</defs>")
    x = 0.0
    for index, (label, (colour, dash)) in enumerate(EDGE_STYLES.items()):
        parts.append(f'<line x1="{x:.0f}" y1="12" x2="{x + 34:.0f}" y2="12" stroke="{colour}" stroke-width="2" '
                     f'stroke-dasharray="{dash}" marker-end="url(#arrow{index})"/>'
                     f'<text x="{x + 40:.0f}" y="16" font-size="13" fill="#222">{html.escape(label)}</text>')
        x += 60 + 7.5 * len(label)
    parts.append(f'<g transform="translate(0,{legend_height})">')
    depth = {group.id: _depth(graph, group) for group in graph.groups}
    fills = ("#f4f6fa", "#ffffff", "#eef7ee", "#fdf7ec")
    for group in sorted(graph.groups, key=lambda g: depth[g.id]):
        box = group_boxes[group.id]
        fill = fills[min(depth[group.id], len(fills) - 1)]
        parts.append(f'<g class="group" data-group="{html.escape(group.id)}">'
                     f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" '
                     f'rx="6" fill="{fill}" stroke="#8a94a6"/>'
                     f'<text x="{box.x + 8:.1f}" y="{box.y + 16:.1f}" font-size="14" font-weight="600" '
                     f'fill="#1b2a41">{html.escape(fit(group.label, 150))}</text></g>')
    for text, tx, ty in lane_titles:
        parts.append(f'<text x="{tx:.1f}" y="{ty:.1f}" font-size="12" fill="#5a6475">{html.escape(text)}</text>')
    styles = list(EDGE_STYLES)
    for edge in graph.edges:
        source, target = node_boxes[edge.source], node_boxes[edge.target]
        sx, sy = _border_point(source, target.x + target.width / 2, target.y + target.height / 2)
        tx, ty = _border_point(target, source.x + source.width / 2, source.y + source.height / 2)
        index = styles.index(edge.label) if edge.label in EDGE_STYLES else 0
        colour, dash = EDGE_STYLES.get(edge.label, ("#555555", ""))
        parts.append(f'<g class="edge" data-source="{html.escape(edge.source)}" '
                     f'data-target="{html.escape(edge.target)}" data-label="{html.escape(edge.label)}">'
                     f"<title>{html.escape(edge.label)}</title>"
                     f'<line x1="{sx:.1f}" y1="{sy:.1f}" x2="{tx:.1f}" y2="{ty:.1f}" stroke="{colour}" '
                     f'stroke-width="1.6" stroke-dasharray="{dash}" opacity="0.85" '
                     f'marker-end="url(#arrow{index})"/></g>')
    for node in graph.nodes:
        box = node_boxes[node.id]
        parts.append(f'<g class="node" data-node="{html.escape(node.id)}" data-kind="{html.escape(node.kind)}">'
                     f"<title>{html.escape(node.label)}{' - ' + html.escape(node.detail) if node.detail else ''}"
                     f"</title>"
                     f'<rect x="{box.x:.1f}" y="{box.y:.1f}" width="{box.width:.1f}" height="{box.height:.1f}" '
                     f'rx="4" fill="#ffffff" stroke="#3d4b63"/>'
                     f'<text x="{box.x + 7:.1f}" y="{box.y + 18:.1f}" font-size="12" font-weight="600" '
                     f'fill="#111">{html.escape(fit(node.label, 26))}</text>'
                     f'<text x="{box.x + 7:.1f}" y="{box.y + 35:.1f}" font-size="11" fill="#4a5568">'
                     f"{html.escape(fit(node.detail or node.kind, 30))}</text></g>")
    parts.append("</g></svg>")
    return "".join(parts)


def _depth(graph: Graph, group: Group) -> int:
    parents = {g.id: g.parent for g in graph.groups}
    depth, parent = 0, group.parent
    while parent is not None:
        depth, parent = depth + 1, parents.get(parent)
    return depth


def _mermaid_id(identifier: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", identifier)


# Characters a quoted Mermaid label shows as they are; every other character is written as Mermaid's entity
# code ``#<decimal>;`` (https://mermaid.js.org/syntax/flowchart.html#entity-codes-to-escape-characters), which
# Mermaid decodes only after parsing, so no value can close the label's quotes, its edge's pipes or the
# Markdown fence around the chart, start a Markdown string (a backtick) or reach the SVG as HTML.
_MERMAID_PLAIN = re.compile(r"[A-Za-z0-9 ,.:/()_-]")


def _mermaid_label(text: str) -> str:
    flat = " ".join(re.sub(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]", " ", text).split())
    return "".join(character if _MERMAID_PLAIN.fullmatch(character) else f"#{ord(character)};"
                   for character in flat)


def render_mermaid(graph: Graph) -> str:
    """The graph as a Mermaid ``flowchart``: groups as subgraphs, the same node ids and edges as the SVG."""
    lines = ["flowchart TB"]

    def emit(group_id: str | None, indent: str) -> None:
        for node in graph.nodes:
            if node.group == group_id:
                detail = f"<br/>{_mermaid_label(node.detail or node.kind)}"
                lines.append(f'{indent}{_mermaid_id(node.id)}["{_mermaid_label(node.label)}{detail}"]')
        for child in graph.children(group_id):
            lines.append(f'{indent}subgraph {_mermaid_id(child.id)}["{_mermaid_label(child.label)}"]')
            emit(child.id, indent + "  ")
            lines.append(f"{indent}end")

    emit(None, "  ")
    lines += [f'  {_mermaid_id(e.source)} -->|"{_mermaid_label(e.label)}"| {_mermaid_id(e.target)}'
              for e in graph.edges]
    return "\n".join(lines)


def mermaid_node_ids(graph: Graph) -> Sequence[str]:
    """The ids the Mermaid rendering gives the graph's nodes, in order."""
    return [_mermaid_id(node.id) for node in graph.nodes]
