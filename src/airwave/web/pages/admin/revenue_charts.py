"""Server-rendered SVG charts for the admin pages: no chart library, readable without JavaScript."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from html import escape

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 200, 56, 24, 12


@dataclass(frozen=True)
class Chart:
    """A titled chart: its SVG markup and a text summary for screen readers."""

    title: str
    svg: str


def bars(title: str, labels: Sequence[str], values: Sequence[float], fmt: Callable[[float], str]) -> Chart:
    """A bar chart of ``values`` over ``labels`` (e.g. months), with a gridline at the top value."""
    top = max([*values, 0]) or 1
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    step = plot_w / max(1, len(values))
    parts = [
        f'<line class="chart__axis" x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}"/>',
        f'<line class="chart__grid" x1="{LEFT}" y1="{TOP}" x2="{WIDTH - 8}" y2="{TOP}"/>',
        f'<text class="chart__label" x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end">{escape(fmt(top))}</text>',
        f'<text class="chart__label" x="{LEFT - 6}" y="{TOP + plot_h}" text-anchor="end">{escape(fmt(0))}</text>',
    ]
    for index, (label, value) in enumerate(zip(labels, values, strict=True)):
        height = plot_h * value / top
        x = LEFT + index * step + step * 0.18
        parts.append(
            f'<rect class="chart__bar" x="{x:.1f}" y="{TOP + plot_h - height:.1f}" width="{step * 0.64:.1f}" '
            f'height="{height:.1f}"><title>{escape(label)}: {escape(fmt(value))}</title></rect>'
        )
        if len(values) <= 12 or index % 2 == 0:
            parts.append(
                f'<text class="chart__label" x="{x + step * 0.32:.1f}" y="{HEIGHT - 6}" '
                f'text-anchor="middle">{escape(label)}</text>'
            )
    summary = ", ".join(f"{label}: {fmt(value)}" for label, value in zip(labels, values, strict=True))
    svg = (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(title)}: '
        f'{escape(summary)}">{"".join(parts)}</svg>'
    )
    return Chart(title, svg)
