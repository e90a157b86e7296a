"""Charts drawn on the server as inline SVG: no JavaScript, no CDN, readable without colour.

Each chart is an ``<svg role="img">`` whose ``<title>`` and ``<desc>`` say in words what the
bars show, so a screen reader hears the figures; every bar also carries its figure as text.
Labels are escaped (``Markup.format``), so names from the database cannot inject markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from markupsafe import Markup

WIDTH = 640
BAR_COLOUR = "#8a5a00"
TARGET_COLOUR = "#1d2433"
TEXT_COLOUR = "#1d2433"
MUTED_COLOUR = "#5b6478"


@dataclass(frozen=True)
class Column:
    """One column of a column chart: its axis label, value, the value as text, and an optional
    target drawn as a dashed line across the column."""

    label: str
    value: Decimal | int | float
    value_text: str
    target: Decimal | int | float | None = None
    target_text: str | None = None


def _svg(chart_id: str, height: int, title: str, description: str, body: Markup) -> Markup:
    return Markup(
        '<svg class="chart" id="{id}" role="img" aria-labelledby="{id}-title {id}-desc" '
        'viewBox="0 0 {w} {h}" width="100%" preserveAspectRatio="xMinYMin meet" '
        'xmlns="http://www.w3.org/2000/svg" font-family="system-ui, sans-serif" font-size="13">'
        '<title id="{id}-title">{title}</title><desc id="{id}-desc">{desc}</desc>{body}</svg>'
    ).format(id=chart_id, w=WIDTH, h=height, title=title, desc=description, body=body)


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.0%}" if whole else "0%"


def funnel_chart(steps: Sequence[tuple[str, int]], *, chart_id: str, title: str) -> Markup:
    """Horizontal bars, one per step, as wide as the step's count relative to the first step,
    each labelled with its count and its share of the first step."""
    row, label_width, text_room = 34, 170, 130
    first = steps[0][1] if steps else 0
    scale = (WIDTH - label_width - text_room) / max([count for _, count in steps] + [1])
    parts = []
    for index, (label, count) in enumerate(steps):
        y = index * row + 6
        width = max(round(count * scale, 1), 2 if count else 0)
        parts.append(
            Markup(
                '<text x="0" y="{ty}" fill="{ink}">{label}</text>'
                '<rect x="{x}" y="{y}" width="{w}" height="22" rx="3" fill="{bar}"></rect>'
                '<text x="{cx}" y="{ty}" fill="{ink}">{count:,} ({share})</text>'
            ).format(
                ty=y + 16,
                ink=TEXT_COLOUR,
                label=label,
                x=label_width,
                y=y,
                w=width,
                bar=BAR_COLOUR,
                cx=label_width + width + 6,
                count=count,
                share=_share(count, first),
            )
        )
    description = "; ".join(f"{label}: {count:,} ({_share(count, first)})" for label, count in steps)
    return _svg(chart_id, max(len(steps) * row + 6, row), title, description, Markup("").join(parts))


def column_chart(columns: Sequence[Column], *, chart_id: str, title: str) -> Markup:
    """Vertical columns with their value above and their label below; a target, when given,
    is a dashed line across its column (the description lists every value and target)."""
    top, plot, bottom = 22, 180, 24
    slot = WIDTH / max(len(columns), 1)
    highest = max([float(c.value) for c in columns] + [float(c.target) for c in columns if c.target] + [1.0])
    parts = []
    for index, column in enumerate(columns):
        x = index * slot
        height = round(float(column.value) / highest * plot, 1)
        parts.append(
            Markup(
                '<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="{bar}"></rect>'
                '<text x="{mid}" y="{vy}" text-anchor="middle" font-size="11" fill="{ink}">{value}</text>'
                '<text x="{mid}" y="{ly}" text-anchor="middle" font-size="11" fill="{muted}">{label}</text>'
            ).format(
                x=round(x + slot * 0.15, 1),
                y=top + plot - height,
                w=round(slot * 0.7, 1),
                h=height,
                bar=BAR_COLOUR,
                mid=round(x + slot / 2, 1),
                vy=top + plot - height - 5,
                ink=TEXT_COLOUR,
                value=column.value_text,
                ly=top + plot + 16,
                muted=MUTED_COLOUR,
                label=column.label,
            )
        )
        if column.target:
            ty = round(top + plot - float(column.target) / highest * plot, 1)
            parts.append(
                Markup(
                    '<line x1="{x1}" x2="{x2}" y1="{y}" y2="{y}" stroke="{ink}" stroke-width="2" '
                    'stroke-dasharray="4 3"><title>Target {target}</title></line>'
                ).format(
                    x1=round(x + slot * 0.05, 1),
                    x2=round(x + slot * 0.95, 1),
                    y=ty,
                    ink=TARGET_COLOUR,
                    target=column.target_text or "",
                )
            )
    description = "; ".join(
        f"{c.label}: {c.value_text}" + (f" (target {c.target_text})" if c.target_text else "")
        for c in columns
    )
    return _svg(chart_id, top + plot + bottom, title, description, Markup("").join(parts))
