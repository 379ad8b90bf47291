"""Server-rendered SVG line charts of delivery over time (admin/streams); pure (points in, markup out)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from html import escape

from markupsafe import Markup

WIDTH, HEIGHT = 640, 180
LEFT, RIGHT, TOP, BOTTOM = 56, 12, 12, 28


def line_chart(points: Sequence[tuple[dt.datetime, float]], *, label: str, unit: str = "") -> Markup:
    """A line chart of ``points`` (time, value) with a zero-based y axis, its top value and time ends marked."""
    title = f"<title>{escape(label)}</title>"
    if len(points) < 2:
        empty = f'<text x="{WIDTH / 2}" y="{HEIGHT / 2}" text-anchor="middle" class="chart__label">'
        empty += "Not enough data yet</text>"
        return Markup(_svg(title + empty, label))
    start, end = points[0][0], points[-1][0]
    span = max((end - start).total_seconds(), 1.0)
    top = max([value for _, value in points] + [1e-9])
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    coords = [
        (LEFT + (moment - start).total_seconds() / span * plot_w, TOP + plot_h - value / top * plot_h)
        for moment, value in points
    ]
    path = " ".join(f"{'M' if i == 0 else 'L'}{x:.1f},{y:.1f}" for i, (x, y) in enumerate(coords))
    area = f"{path} L{coords[-1][0]:.1f},{TOP + plot_h} L{coords[0][0]:.1f},{TOP + plot_h} Z"
    parts = [
        title,
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - RIGHT}" y2="{TOP + plot_h}" class="chart__axis"/>',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{WIDTH - RIGHT}" y2="{TOP}" class="chart__grid"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" class="chart__label">'
        f"{_number(top)}{escape(unit)}</text>",
        f'<text x="{LEFT - 6}" y="{TOP + plot_h + 4}" text-anchor="end" class="chart__label">0</text>',
        f'<text x="{LEFT}" y="{HEIGHT - 8}" class="chart__label">{start:%H:%M}</text>',
        f'<text x="{WIDTH - RIGHT}" y="{HEIGHT - 8}" text-anchor="end" class="chart__label">{end:%H:%M} UTC</text>',
        f'<path d="{area}" class="chart__area"/>',
        f'<path d="{path}" class="chart__line"/>',
    ]
    return Markup(_svg("".join(parts), label))


def _svg(body: str, label: str) -> str:
    return (
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg">{body}</svg>'
    )


def _number(value: float) -> str:
    if value >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"
