"""Server-rendered SVG charts: no JavaScript library to vendor, and they print. Values are
numbers only (labels are escaped by the template), so the markup cannot carry user text."""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

_COLOURS = ("#2563eb", "#16a34a", "#f59e0b", "#db2777", "#7c3aed")


def bar_chart(labels: Sequence[str], values: Sequence[float], width: int = 520) -> Markup:
    """Horizontal bars, one per label."""
    row, label_w = 26, 190
    height = row * len(values) + 10
    top = max([*values, 1])
    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}">'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = 5 + i * row
        w = (width - label_w - 60) * (value / top)
        parts.append(
            f'<text x="0" y="{y + 16}" font-size="12">{escape(label)}</text>'
            f'<rect x="{label_w}" y="{y + 4}" width="{w:.1f}" height="16" '
            f'fill="{_COLOURS[i % len(_COLOURS)]}"></rect>'
            f'<text x="{label_w + w + 6:.1f}" y="{y + 16}" font-size="12">{value:g}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def trend_chart(
    months: Sequence[str], series: dict[str, Sequence[float]], width: int = 640
) -> Markup:
    """One line per series over the months (oldest first), with a legend."""
    height, left, bottom, top_pad = 220, 36, 40, 10
    top = max([1.0, *(v for values in series.values() for v in values)])
    n = max(len(months) - 1, 1)

    def x(i: int) -> float:
        return left + (width - left - 10) * i / n

    def y(v: float) -> float:
        return top_pad + (height - bottom - top_pad) * (1 - v / top)

    parts = [
        f'<svg class="chart" role="img" viewBox="0 0 {width} {height + 20 * len(series)}" '
        f'width="{width}" height="{height + 20 * len(series)}">',
        f'<line x1="{left}" y1="{y(0):.1f}" x2="{width - 10}" y2="{y(0):.1f}" stroke="#999"/>',
        f'<text x="2" y="{y(top) + 4:.1f}" font-size="10">{top:g}</text>',
    ]
    for i, month in enumerate(months):
        if i % 2 == 0 or i == len(months) - 1:
            anchor = "end" if i == len(months) - 1 else "middle"
            parts.append(
                f'<text x="{x(i):.1f}" y="{height - bottom + 16}" font-size="10" '
                f'text-anchor="{anchor}">{escape(month)}</text>'
            )
    for s, (name, values) in enumerate(series.items()):
        colour = _COLOURS[s % len(_COLOURS)]
        points = " ".join(f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values))
        parts.append(
            f'<polyline fill="none" stroke="{colour}" stroke-width="2" points="{points}"/>'
        )
        ly = height + 14 * s + 4
        parts.append(
            f'<rect x="{left}" y="{ly}" width="10" height="10" fill="{colour}"></rect>'
            f'<text x="{left + 16}" y="{ly + 9}" font-size="11">{escape(name)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
