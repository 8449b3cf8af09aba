"""State machines drawn as SVG from their own definitions (never by hand).

States are placed in columns by their distance from the initial state; each transition is a
curve labelled with its event and, in brackets, its guards.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from functools import cache
from html import escape

from workflows.base import LifecycleMachine

BOX_W, BOX_H, COL_GAP, ROW_GAP, MARGIN = 150, 38, 120, 34, 20


@dataclass(frozen=True)
class Edge:
    """One transition as defined on the machine."""

    source: str
    target: str
    event: str
    guards: tuple[str, ...]


def edges(machine: type[LifecycleMachine]) -> list[Edge]:
    """Every transition of the machine, with its guard names."""
    found = []
    for state in machine.states:  # type: ignore[attr-defined]
        for transition in state.transitions:
            guards = tuple(str(spec.func) for spec in (transition.cond or []))
            found.append(Edge(state.id, transition.target.id, transition.event, guards))
    return found


def _columns(machine: type[LifecycleMachine], found: list[Edge]) -> dict[str, int]:
    states = [s.id for s in machine.states]  # type: ignore[attr-defined]
    initial = next(s.id for s in machine.states if s.initial)  # type: ignore[attr-defined]
    depth = {initial: 0}
    queue = deque([initial])
    while queue:
        current = queue.popleft()
        for edge in found:
            if edge.source == current and edge.target not in depth:
                depth[edge.target] = depth[current] + 1
                queue.append(edge.target)
    return {s: depth.get(s, 0) for s in states}


@cache
def machine_svg(machine: type[LifecycleMachine]) -> str:
    """An SVG drawing of the machine's states and transitions.

    Every id in it starts with the machine's name ("enrollment-arrow", "cohort-state-open"), so
    two drawings on one page never share an id.
    """
    prefix = escape(machine.__name__.removesuffix("Machine").lower() or "machine")
    found = edges(machine)
    column = _columns(machine, found)
    rows: dict[int, int] = {}
    position: dict[str, tuple[int, int]] = {}
    for state in machine.states:  # type: ignore[attr-defined]
        col = column[state.id]
        row = rows.get(col, 0)
        rows[col] = row + 1
        position[state.id] = (MARGIN + col * (BOX_W + COL_GAP),
                              MARGIN + row * (BOX_H + ROW_GAP) + 20)
    width = MARGIN * 2 + (max(column.values()) + 1) * (BOX_W + COL_GAP)
    height = MARGIN * 2 + 40 + max(rows.values()) * (BOX_H + ROW_GAP)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'role="img" aria-label="{escape(machine.__name__)} states and transitions" '
        f'font-family="sans-serif" font-size="12">',
        f'<defs><marker id="{prefix}-arrow" viewBox="0 0 10 10" refX="10" refY="5" '
        'markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" '
        'fill="#444"/></marker></defs>',
    ]
    for index, edge in enumerate(found):
        sx, sy = position[edge.source]
        tx, ty = position[edge.target]
        x1, y1 = sx + BOX_W, sy + BOX_H / 2
        x2, y2 = tx, ty + BOX_H / 2
        if tx == sx:  # same column: an arc out to the right
            x1 = x2 = sx + BOX_W
            y1, y2 = sy + BOX_H / 2 + 6, ty + BOX_H / 2 - 6
            bend = 22 + abs(ty - sy) * 0.35
            path = f"M{x1},{y1} C{x1 + bend},{y1} {x2 + bend},{y2} {x2},{y2}"
            lx, ly = x1 + bend * 0.8, (y1 + y2) / 2 + 4
        elif tx < sx:  # backwards: loop below
            x1, x2 = sx + BOX_W / 2, tx + BOX_W / 2
            y1, y2 = sy + BOX_H, ty + BOX_H
            bend = 30 + 8 * (index % 4)
            path = f"M{x1},{y1} C{x1},{y1 + bend} {x2},{y2 + bend} {x2},{y2}"
            lx, ly = (x1 + x2) / 2, max(y1, y2) + bend * 0.75
        else:
            mid = (x1 + x2) / 2
            path = f"M{x1},{y1} C{mid},{y1} {mid},{y2} {x2},{y2}"
            lx, ly = mid, (y1 + y2) / 2 - 3
        label = edge.event + (f" [{', '.join(edge.guards)}]" if edge.guards else "")
        parts.append(f'<g class="edge"><title>{escape(edge.source)} → {escape(edge.target)}: '
                     f'{escape(label)}</title><path d="{path}" fill="none" stroke="#444" '
                     f'marker-end="url(#{prefix}-arrow)"/><text x="{lx:.0f}" y="{ly:.0f}" '
                     f'text-anchor="middle" fill="#1f5f8b">{escape(edge.event)}</text></g>')
    for state in machine.states:  # type: ignore[attr-defined]
        x, y = position[state.id]
        stroke = 3 if state.final or state.initial else 1
        fill = "#e3f3e6" if state.initial else ("#eee" if state.final else "#fff")
        parts.append(
            f'<g class="state" id="{prefix}-state-{escape(state.id)}"><rect x="{x}" y="{y}" '
            f'width="{BOX_W}" height="{BOX_H}" rx="8" fill="{fill}" stroke="#333" '
            f'stroke-width="{stroke}"/><text x="{x + BOX_W / 2}" y="{y + BOX_H / 2 + 4}" '
            f'text-anchor="middle" font-weight="bold">{escape(state.id)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)
