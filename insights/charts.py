"""The insights page's charts as inline SVG, rendered on the server (no JavaScript, no external assets).

Shares (0..1) reuse the eval report's grouped bars (evals.report.svg_grouped_bars); counts over time
need a y axis scaled to the largest count, which the eval report has no chart for, so it is drawn here
in the same style.
"""

from __future__ import annotations

import html
import math

from evals.report import BASELINE_COLOUR, SYSTEM_COLOUR, svg_grouped_bars

COLOURS = [SYSTEM_COLOUR, BASELINE_COLOUR]


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def _nice_top(largest: int) -> int:
    """The y axis' top: the largest count rounded up to 1, 2 or 5 times a power of ten."""
    if largest <= 0:
        return 1
    power = 10 ** math.floor(math.log10(largest))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= largest)


def svg_count_bars(title: str, labels: list[str], series: dict[str, list[int]]) -> str:
    """Vertical bars in groups (one group per label, one bar per series), counts from 0 to the largest."""
    width, height, left, bottom, top = max(420, 14 * len(labels) * len(series) + 80), 260, 44, 70, 30
    plot_h = height - bottom - top
    y_top = _nice_top(max((v for values in series.values() for v in values), default=0))
    group_w = (width - left - 10) / max(1, len(labels))
    bar_w = group_w * 0.8 / max(1, len(series))
    every = max(1, math.ceil(len(labels) / 20))  # at most ~20 x labels, so they never overlap
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_esc(title)}" '
        f'viewBox="0 0 {width} {height}" width="100%">',  # as wide as the page, however many bars
        f'<text x="{left}" y="18" font-size="13" font-weight="bold">{_esc(title)}</text>',
    ]
    for fraction in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - fraction)
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        tick = y_top * fraction
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{tick:g}</text>')
    for gi, label in enumerate(labels):
        x0 = left + gi * group_w + group_w * 0.1
        for si, (name, values) in enumerate(series.items()):
            value = values[gi]
            bar_h, x = plot_h * value / y_top, x0 + si * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{max(1.0, bar_w - 1):.1f}" '
                f'height="{bar_h:.1f}" fill="{COLOURS[si % len(COLOURS)]}">'
                f"<title>{_esc(name)} {_esc(label)}: {value}</title></rect>"
            )
        if gi % every == 0:
            cx = x0 + group_w * 0.4
            parts.append(
                f'<text x="{cx:.1f}" y="{top + plot_h + 12}" font-size="10" text-anchor="end" '
                f'transform="rotate(-35 {cx:.1f} {top + plot_h + 12})">{_esc(label)}</text>'
            )
    for i, name in enumerate(series):
        y = 14 + i * 14
        parts.append(
            f'<rect x="{width - 120}" y="{y - 9}" width="10" height="10" fill="{COLOURS[i % len(COLOURS)]}"/>'
        )
        parts.append(f'<text x="{width - 106}" y="{y}" font-size="11">{_esc(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def insight_charts(report: dict) -> list[str]:
    """The page's charts: tickets in and out over the range, SLA within target per priority, and the
    rates an admin steers by (deflection, triage coverage and corrections, satisfaction)."""
    series = report["series"]
    charts = [
        svg_count_bars(
            f"Tickets in and out per {report['period'].bucket}",
            [
                f"{row['bucket']:%d %b}" if report["period"].bucket != "month" else f"{row['bucket']:%b %Y}"
                for row in series
            ],
            {"in (opened)": [row["in"] for row in series], "out (resolved)": [row["out"] for row in series]},
        )
    ]
    priorities = report["sla_by_priority"]
    if priorities:
        charts.append(
            svg_grouped_bars(
                "Within SLA target",
                [row["priority"] for row in priorities],
                {
                    "first response": [row["response_within_share"] for row in priorities],
                    "resolution": [row["resolution_within_share"] for row in priorities],
                },
                COLOURS,
            )
        )
    csat, chats, triage = report["csat"], report["deflection"], report["triage"]
    rates = {
        "deflection": chats["deflection_rate"],
        "triage coverage": triage["coverage"],
        "triage corrected": triage["correction_rate"],
        "satisfied (engineer)": csat["engineer_satisfied_share"],
        "satisfied (assistant)": csat["assistant_satisfied_share"],
    }
    charts.append(svg_grouped_bars("Rates (share)", list(rates), {"share": list(rates.values())}, COLOURS))
    return charts
