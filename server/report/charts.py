"""Inline SVG charts for the HTML report: drawn here, in Python, so they cost no script, print as vectors and show
even with scripts disabled. Every number drawn carries ``data-figure`` naming where it comes from in the scan
document: a dotted path (``clusters.0.summary.fail``), with ``#sum`` for the sum of a mapping's values, ``#len`` for
the length of a list, and ``*`` for the sum over every item at that step."""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

#: A path into the scan document (keys and list indices, with the ``#sum``/``#len``/``*`` steps).
Path = Sequence[Any]

SEVERITY_COLOURS = {
    "critical": "#7f1d1d",
    "high": "#dc2626",
    "medium": "#f59e0b",
    "low": "#3b82f6",
    "info": "#94a3b8",
    "unset": "#64748b",
}
RESULT_COLOURS = {"pass": "#16a34a", "fail": "#dc2626", "warn": "#d97706", "error": "#7c3aed", "skip": "#94a3b8"}


def e(value: object) -> str:
    """HTML-escaped text (quotes too: safe in attributes)."""
    return escape(str(value), quote=True)


def fig(path: Path) -> str:
    """The ``data-figure`` attribute naming a value of the scan document by its path (a JSON array)."""
    return f" data-figure='{e(json.dumps(list(path)))}'"


def score_band(score: float | None) -> str:
    """``good`` (90 and above), ``fair`` (70 to 90), ``poor`` (below 70) or ``none``."""
    if score is None:
        return "none"
    return "good" if score >= 90 else "fair" if score >= 70 else "poor"


BAND_COLOURS = {"good": "#16a34a", "fair": "#d97706", "poor": "#dc2626", "none": "#94a3b8"}


def format_score(score: float | None) -> str:
    """The score as printed (one decimal, as in the JSON), or an en dash when there is none."""
    return "\u2013" if score is None else f"{score:.1f}"


def gauge(score: float | None, figure: Path, size: int = 132) -> str:
    """A ring gauge with the score in the middle."""
    radius = size / 2 - 10
    centre = size / 2
    circumference = 2 * math.pi * radius
    filled = 0.0 if score is None else circumference * max(0.0, min(100.0, score)) / 100
    colour = BAND_COLOURS[score_band(score)]
    label = "no score" if score is None else f"score {format_score(score)} of 100"
    return (
        f'<svg class="gauge" viewBox="0 0 {size} {size}" width="{size}" height="{size}" role="img" '
        f'aria-label="{e(label)}">'
        f'<circle cx="{centre}" cy="{centre}" r="{radius:.1f}" fill="none" stroke="#e2e8f0" stroke-width="12"/>'
        f'<circle cx="{centre}" cy="{centre}" r="{radius:.1f}" fill="none" stroke="{colour}" stroke-width="12" '
        f'stroke-linecap="round" stroke-dasharray="{filled:.1f} {circumference:.1f}" '
        f'transform="rotate(-90 {centre} {centre})"/>'
        f'<text x="{centre}" y="{centre + 2}" text-anchor="middle" class="gauge-value" '
        f"{fig(figure)}>{format_score(score)}</text>"
        f'<text x="{centre}" y="{centre + 22}" text-anchor="middle" class="gauge-caption">of 100</text></svg>'
    )


def bar_chart(rows: Sequence[tuple[str, int, str, Path]], title: str, width: int = 420) -> str:
    """Horizontal bars: (label, value, colour, figure) per row."""
    top = max([v for _, v, _, _ in rows] + [1])
    bar_height, gap, label_width, value_width = 22, 8, 70, 8 * len(f"{top:,}") + 12
    height = len(rows) * (bar_height + gap) + gap
    span = width - label_width - value_width
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="{e(title)}">']
    for i, (label, value, colour, figure) in enumerate(rows):
        y = gap + i * (bar_height + gap)
        length = span * value / top
        parts.append(
            f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" class="chart-label">{e(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{max(length, 1 if value else 0):.1f}" height="{bar_height}" '
            f'rx="3" fill="{colour}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + 15}" class="chart-value"{fig(figure)}>{value:,}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def stacked_bars(rows: Sequence[tuple[str, Mapping[str, int], Path]], title: str, width: int = 620) -> str:
    """Horizontal bars stacked by severity: (label, counts by severity, figure prefix) per row; the total is drawn
    at the end of each bar and each segment carries its own figure."""
    top = max([sum(c.values()) for _, c, _ in rows] + [1])
    bar_height, gap, label_width, value_width = 22, 8, 260, 8 * len(f"{top:,}") + 12
    height = len(rows) * (bar_height + gap) + gap + 22  # and a legend
    span = width - label_width - value_width
    parts = [f'<svg class="chart" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" '
             f'aria-label="{e(title)}">']
    for i, (label, counts, prefix) in enumerate(rows):
        y = gap + i * (bar_height + gap)
        shown = label if len(label) <= 40 else label[:39] + "…"
        parts.append(f'<text x="{label_width - 8}" y="{y + 15}" text-anchor="end" class="chart-label">'
                     f"<title>{e(label)}</title>{e(shown)}</text>")
        x = float(label_width)
        for severity, colour in SEVERITY_COLOURS.items():
            count = counts.get(severity, 0)
            if not count:
                continue
            length = span * count / top
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{length:.1f}" height="{bar_height}" fill="{colour}" '
                         f'{fig([*prefix, severity])} data-value="{count:,}">'
                         f"<title>{e(severity)}: {count}</title></rect>")
            x += length
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 15}" class="chart-value"{fig([*prefix, "#sum"])}>'
                     f"{sum(counts.values()):,}</text>")
    x, y = float(label_width), height - 8
    for severity, colour in SEVERITY_COLOURS.items():
        if any(c.get(severity) for _, c, _ in rows):
            parts.append(f'<rect x="{x:.0f}" y="{y - 9}" width="10" height="10" rx="2" fill="{colour}"/>'
                         f'<text x="{x + 14:.0f}" y="{y}" class="chart-legend">{severity}</text>')
            x += 26 + 6.2 * len(severity)
    parts.append("</svg>")
    return "".join(parts)


def mini_stack(counts: Mapping[str, int], width: int = 120) -> str:
    """A small bar stacked by severity, for table cells."""
    total = sum(counts.values())
    if not total:
        return ""
    parts = [f'<svg class="mini" viewBox="0 0 {width} 10" width="{width}" height="10" aria-hidden="true">']
    x = 0.0
    for severity, colour in SEVERITY_COLOURS.items():
        count = counts.get(severity, 0)
        if count:
            length = width * count / total
            parts.append(f'<rect x="{x:.1f}" y="0" width="{length:.1f}" height="10" fill="{colour}"/>')
            x += length
    parts.append("</svg>")
    return "".join(parts)


def score_bar(score: float | None, width: int = 120) -> str:
    """A thin bar showing a score out of 100."""
    filled = 0.0 if score is None else width * max(0.0, min(100.0, score)) / 100
    colour = BAND_COLOURS[score_band(score)]
    return (f'<svg class="mini" viewBox="0 0 {width} 10" width="{width}" height="10" aria-hidden="true">'
            f'<rect x="0" y="0" width="{width}" height="10" rx="2" fill="#e2e8f0"/>'
            f'<rect x="0" y="0" width="{filled:.1f}" height="10" rx="2" fill="{colour}"/></svg>')


def pass_fail(passed: int, failed: int, width: int = 90) -> str:
    """A thin bar: the passing share in green, the failing share in red."""
    total = passed + failed
    if not total:
        return ""
    green = width * passed / total
    return (f'<svg class="mini" viewBox="0 0 {width} 10" width="{width}" height="10" aria-hidden="true">'
            f'<rect x="0" y="0" width="{green:.1f}" height="10" fill="{RESULT_COLOURS["pass"]}"/>'
            f'<rect x="{green:.1f}" y="0" width="{width - green:.1f}" height="10" fill="{RESULT_COLOURS["fail"]}"/>'
            "</svg>")
