"""Reports of one run: the console table, report.json and a self-contained report.html with inline SVG."""

from __future__ import annotations

import html
import json
from pathlib import Path

# Scores `evals check` guards against regressions; all are "higher is better".
HEADLINE = (
    "triage.accuracy",
    "triage.macro_f1",
    "retrieval.recall@5",
    "retrieval.mrr",
    "retrieval.ndcg@10",
    "replies.citation_precision",
    "replies.fact_recall",
    "replies.groundedness",
    "replies.refusal_accuracy",
)


def compare_deltas(report: dict, previous: dict) -> dict[str, float]:
    """system(now) - system(previous) for every score both runs have."""
    deltas = {}
    for name, score in report["scores"].items():
        before = previous.get("scores", {}).get(name, {}).get("system")
        if score.get("system") is not None and before is not None:
            deltas[name] = score["system"] - before
    return deltas


def _score_text(name: str, value) -> str:
    """Scores in 0..1 with three decimals; milliseconds and token counts with one."""
    return _fmt(value, 1 if name.startswith("cost.") else 3)


def _fmt(value, digits: int = 3) -> str:
    if value is None:
        return "—"
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _signed(value) -> str:
    return "" if value is None else f"{value:+.3f}"


def _label(name: str, score: dict) -> str:
    return f"{name} (sanity check)" if score.get("sanity_check") else name


def _beside(score: dict, separator: str) -> str:
    """The baselines, then any controls (runs of the judge that must score lower: groundedness's)."""
    parts = [f"{label} {_fmt(value)}" for label, value in (score.get("baselines") or {}).items()]
    parts += [f"control {label} {_fmt(value)}" for label, value in (score.get("controls") or {}).items()]
    return separator.join(parts)


def table_rows(report: dict) -> list[list[str]]:
    deltas = report.get("compare", {}).get("deltas", {})
    rows = []
    for name, score in report["scores"].items():
        baselines = score.get("baselines") or {}
        baseline_text = _beside(score, "  ")
        best = max((v for v in baselines.values() if v is not None), default=None)
        vs_baseline = None
        if best is not None and score.get("system") is not None:
            vs_baseline = (
                score["system"] - best if score.get("higher_is_better", True) else best - score["system"]
            )
        rows.append(
            [
                _label(name, score),
                _score_text(name, score.get("system")),
                baseline_text,
                _signed(vs_baseline),
                _signed(deltas.get(name)),
            ]
        )
    return rows


def console_table(report: dict) -> str:
    header = ["metric", "system", "baselines", "Δ best baseline", "Δ previous"]
    rows = [header, *table_rows(report)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = []
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip())
        if index == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def markdown_table(report: dict) -> str:
    header = ["metric", "system", "baselines", "Δ best baseline"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for row in table_rows(report):
        row[2] = row[2].replace("  ", ", ")
        lines.append("| " + " | ".join(cell or " " for cell in row[:4]) + " |")
    return "\n".join(lines)


def write_json(report: dict, out: Path) -> Path:
    path = out / "report.json"
    path.write_text(json.dumps(report, indent=2, sort_keys=False), encoding="utf-8")
    return path


# ---- SVG plots (no JavaScript, no external assets) --------------------------------------------------------

SYSTEM_COLOUR, BASELINE_COLOUR, MUTED = "#2563eb", "#f59e0b", "#6b7280"


def _esc(text) -> str:
    return html.escape(str(text), quote=True)


def svg_grouped_bars(
    title: str, labels: list[str], series: dict[str, list[float]], colours: list[str]
) -> str:
    """Vertical bars in groups (one group per label, one bar per series), values in 0..1."""
    width, height, left, bottom, top = max(360, 70 * len(labels) + 80), 260, 40, 70, 30
    plot_h = height - bottom - top
    group_w = (width - left - 10) / max(1, len(labels))
    bar_w = group_w * 0.8 / max(1, len(series))
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_esc(title)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f'<text x="{left}" y="18" font-size="13" font-weight="bold">{_esc(title)}</text>',
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        y = top + plot_h * (1 - tick)
        parts.append(f'<line x1="{left}" x2="{width - 10}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{tick:g}</text>')
    for gi, label in enumerate(labels):
        x0 = left + gi * group_w + group_w * 0.1
        for si, (name, values) in enumerate(series.items()):
            value = values[gi] or 0.0
            bar_h = plot_h * max(0.0, min(1.0, value))
            x = x0 + si * bar_w
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - bar_h:.1f}" width="{bar_w - 2:.1f}" '
                f'height="{bar_h:.1f}" fill="{colours[si % len(colours)]}">'
                f"<title>{_esc(name)} {_esc(label)}: {value:.3f}</title></rect>"
            )
        cx = x0 + group_w * 0.4
        parts.append(
            f'<text x="{cx:.1f}" y="{top + plot_h + 12}" font-size="10" text-anchor="end" '
            f'transform="rotate(-35 {cx:.1f} {top + plot_h + 12})">{_esc(label)}</text>'
        )
    parts.append(_legend(list(series), colours, width - 10))
    parts.append("</svg>")
    return "".join(parts)


def _legend(names: list[str], colours: list[str], right: float) -> str:
    items = []
    for i, name in enumerate(names):
        y = 14 + i * 14
        items.append(
            f'<rect x="{right - 110}" y="{y - 9}" width="10" height="10" fill="{colours[i % len(colours)]}"/>'
        )
        items.append(f'<text x="{right - 96}" y="{y}" font-size="11">{_esc(name)}</text>')
    return "".join(items)


def svg_line_chart(title: str, xs: list[int], series: dict[str, list[float]], colours: list[str]) -> str:
    """Lines over x positions (e.g. recall@k for k in xs), values in 0..1."""
    width, height, left, bottom, top, right = 420, 260, 40, 40, 30, 20
    plot_w, plot_h = width - left - right, height - bottom - top
    span = max(xs) - min(xs) or 1

    def point(x, y):
        return left + plot_w * (x - min(xs)) / span, top + plot_h * (1 - max(0.0, min(1.0, y or 0.0)))

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_esc(title)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f'<text x="{left}" y="18" font-size="13" font-weight="bold">{_esc(title)}</text>',
    ]
    for tick in (0, 0.25, 0.5, 0.75, 1.0):
        _, y = point(min(xs), tick)
        parts.append(f'<line x1="{left}" x2="{width - right}" y1="{y:.1f}" y2="{y:.1f}" stroke="#e5e7eb"/>')
        parts.append(f'<text x="{left - 4}" y="{y + 4:.1f}" font-size="10" text-anchor="end">{tick:g}</text>')
    for x in xs:
        px, _ = point(x, 0)
        parts.append(
            f'<text x="{px:.1f}" y="{height - bottom + 16}" font-size="10" text-anchor="middle">k={x}</text>'
        )
    for si, (name, values) in enumerate(series.items()):
        colour = colours[si % len(colours)]
        points = [point(x, v) for x, v in zip(xs, values, strict=True)]
        path = " ".join(f"{px:.1f},{py:.1f}" for px, py in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2.5"/>')
        for (px, py), value in zip(points, values, strict=True):
            parts.append(
                f'<circle cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{colour}"><title>{_esc(name)}: '
                f"{(value or 0):.3f}</title></circle>"
            )
    parts.append(_legend(list(series), colours, width - right))
    parts.append("</svg>")
    return "".join(parts)


def svg_heatmap(title: str, rows: list[str], columns: list[str], matrix: list[list[int]]) -> str:
    """Confusion matrix: gold categories down, predictions across; darker = more queries."""
    cell, left, top = 34, 120, 110
    width, height = left + cell * len(columns) + 10, top + cell * len(rows) + 10
    peak = max((value for row in matrix for value in row), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_esc(title)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f'<text x="4" y="18" font-size="13" font-weight="bold">{_esc(title)}</text>',
        f'<text x="4" y="{top - 6}" font-size="10" fill="{MUTED}">gold ↓ / predicted →</text>',
    ]
    for ci, column in enumerate(columns):
        x = left + ci * cell + cell / 2
        parts.append(
            f'<text x="{x:.1f}" y="{top - 6}" font-size="10" '
            f'transform="rotate(-50 {x:.1f} {top - 6})">{_esc(column)}</text>'
        )
    for ri, row in enumerate(rows):
        y = top + ri * cell
        parts.append(
            f'<text x="{left - 6}" y="{y + cell / 2 + 4:.1f}" font-size="10" '
            f'text-anchor="end">{_esc(row)}</text>'
        )
        for ci, value in enumerate(matrix[ri]):
            strength = value / peak
            fill = f"rgba(37,99,235,{0.08 + 0.92 * strength:.2f})" if value else "#f9fafb"
            text_fill = "#fff" if strength > 0.5 else "#111"
            x = left + ci * cell
            parts.append(
                f'<rect x="{x}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{fill}">'
                f"<title>{_esc(row)} → {_esc(columns[ci])}: {value}</title></rect>"
            )
            if value:
                parts.append(
                    f'<text x="{x + cell / 2 - 1:.1f}" y="{y + cell / 2 + 3:.1f}" font-size="10" '
                    f'text-anchor="middle" fill="{text_fill}">{value}</text>'
                )
    parts.append("</svg>")
    return "".join(parts)


def svg_deltas(title: str, deltas: dict[str, float]) -> str:
    """Horizontal bars of score changes against the previous run: green up, red down."""
    row_h, left, width, label_room = 20, 190, 560, 60
    height = 40 + row_h * max(1, len(deltas))
    half = (width - left - 2 * label_room) / 2
    centre = left + label_room + half
    peak = max((abs(v) for v in deltas.values()), default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" aria-label="{_esc(title)}" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}">',
        f'<text x="4" y="18" font-size="13" font-weight="bold">{_esc(title)}</text>',
        f'<line x1="{centre}" x2="{centre}" y1="26" y2="{height}" stroke="{MUTED}"/>',
    ]
    for i, (name, value) in enumerate(deltas.items()):
        y = 30 + i * row_h
        length = half * abs(value) / peak
        x = centre if value >= 0 else centre - length
        colour = "#16a34a" if value >= 0 else "#dc2626"
        parts.append(
            f'<text x="{left - 6}" y="{y + 12}" font-size="10" text-anchor="end">{_esc(name)}</text>'
        )
        parts.append(
            f'<rect x="{x:.1f}" y="{y + 2}" width="{max(length, 1):.1f}" height="{row_h - 6}" '
            f'fill="{colour}"/>'
        )
        label_x = centre + (length + 4 if value >= 0 else -length - 4)
        anchor = "start" if value >= 0 else "end"
        parts.append(
            f'<text x="{label_x:.1f}" y="{y + 12}" font-size="10" text-anchor="{anchor}">{value:+.3f}</text>'
        )
    if not deltas:
        parts.append(
            f'<text x="{centre}" y="44" font-size="11" text-anchor="middle" '
            f'fill="{MUTED}">no common scores</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


STYLE = """
body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;margin:0;padding:1rem;
color:#111;background:#fff}
main{max-width:1100px;margin:auto}h1{font-size:1.4rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%;font-size:.9rem}
th,td{border-bottom:1px solid #e5e7eb;padding:.35rem .5rem;text-align:left}
td.num{text-align:right;font-variant-numeric:tabular-nums}.up{color:#16a34a}.down{color:#dc2626}
.plots{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}.plots svg{max-width:100%;height:auto}
.meta{color:#4b5563;font-size:.9rem}.bad{background:#fee2e2;padding:.5rem;border-radius:.3rem}
.scroll{overflow-x:auto}.scroll table{min-width:640px}
"""


def _delta_cell(value, *, higher_is_better: bool = True) -> str:
    """A signed change, green when it is an improvement (a lower latency is one), red otherwise."""
    if value is None:
        return "<td class='num'></td>"
    better = value > 0 if higher_is_better else value < 0
    css = "" if value == 0 else "up" if better else "down"
    return f"<td class='num {css}'>{value:+.3f}</td>"


def render_html(report: dict) -> str:
    run = report["run"]
    details = report.get("details", {})
    deltas = report.get("compare", {}).get("deltas", {})
    rows = []
    for name, score in report["scores"].items():
        baselines = score.get("baselines") or {}
        baseline_text = _esc(_beside(score, ", "))
        best = max((v for v in baselines.values() if v is not None), default=None)
        vs = None if best is None or score.get("system") is None else score["system"] - best
        if vs is not None and not score.get("higher_is_better", True):
            vs = -vs
        rows.append(
            f"<tr><td>{_esc(_label(name, score))}</td>"
            f"<td class='num'>{_score_text(name, score.get('system'))}</td>"
            f"<td>{baseline_text}</td>"
            f"{_delta_cell(vs)}"
            f"{_delta_cell(deltas.get(name), higher_is_better=score.get('higher_is_better', True))}</tr>"
        )
    plots = []
    triage = details.get("triage")
    if triage:
        per = triage["system"]["per_category"]
        labels = list(per)
        vote = triage["baselines"].get("bm25-vote", {}).get("per_category", {})
        plots.append(
            svg_grouped_bars(
                "Per-category F1",
                labels,
                {
                    "system": [per[c]["f1"] for c in labels],
                    "BM25 vote": [vote.get(c, {}).get("f1", 0.0) for c in labels],
                },
                [SYSTEM_COLOUR, BASELINE_COLOUR],
            )
        )
    retrieval = details.get("retrieval")
    if retrieval:
        curve = retrieval["recall_curve"]
        plots.append(
            svg_line_chart(
                "Recall@k: system vs BM25",
                curve["k"],
                {"system": curve["system"], "BM25": curve["bm25"]},
                [SYSTEM_COLOUR, BASELINE_COLOUR],
            )
        )
    if triage:
        confusion = triage["system"]["confusion"]
        plots.append(
            svg_heatmap(
                "Triage confusion matrix", confusion["labels"], confusion["columns"], confusion["matrix"]
            )
        )
    compare = report.get("compare")
    if compare:
        previous = Path(compare.get("path", "previous"))
        # Scores where higher is better only: a latency change in milliseconds would flatten every bar.
        quality = {
            name: delta
            for name, delta in deltas.items()
            if report["scores"].get(name, {}).get("higher_is_better", True) and not name.startswith("cost.")
        }
        plots.append(svg_deltas(f"Change vs {previous.parent.name}/{previous.name}", quality))

    isolation = details.get("isolation", {})
    warning = ""
    if isolation.get("violations"):
        warning = (
            f"<p class='bad'>Isolation violated: {isolation['violations']} result(s) from another site.</p>"
        )
    notes = "".join(f"<li>{_esc(note)}</li>" for note in report.get("notes", []))
    dataset = run.get("dataset", {})
    name = _esc(dataset.get("name", ""))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Evals · {name} · {_esc(run.get("id", ""))}</title><style>{STYLE}</style></head>
<body><main>
<h1>Evals report: {name}</h1>
<p class="meta">run {_esc(run.get("id"))} · {_esc(run.get("started_at"))} ·
provider {_esc(run.get("provider"))} · embedder {_esc(run.get("embedder"))} ·
{dataset.get("documents", 0)} documents, {dataset.get("queries", 0)} queries over
{dataset.get("sites", 0)} sites · {_fmt(run.get("duration_s"), 1)} s</p>
{warning}
<h2>Scores beside baselines</h2>
<div class="scroll"><table><thead><tr><th>metric</th><th>system</th><th>baselines</th><th>Δ best baseline</th>
<th>Δ previous</th></tr></thead><tbody>{"".join(rows)}</tbody></table></div>
<h2>Plots</h2>
<div class="plots">{"".join(plots)}</div>
{per_category_table(triage) if triage else ""}
{f"<h2>Notes</h2><ul>{notes}</ul>" if notes else ""}
</main></body></html>
"""


def per_category_table(triage: dict) -> str:
    """Precision, recall, F1 and support per category, the system beside the BM25 vote's F1."""
    vote = triage["baselines"].get("bm25-vote", {}).get("per_category", {})
    rows = "".join(
        f"<tr><td>{_esc(label)}</td><td class='num'>{row['precision']:.3f}</td>"
        f"<td class='num'>{row['recall']:.3f}</td><td class='num'>{row['f1']:.3f}</td>"
        f"<td class='num'>{_fmt(vote.get(label, {}).get('f1'))}</td>"
        f"<td class='num'>{row['support']}</td></tr>"
        for label, row in triage["system"]["per_category"].items()
    )
    return (
        "<h2>Triage per category</h2><div class='scroll'><table><thead><tr><th>category</th>"
        "<th>precision</th><th>recall</th><th>F1</th><th>F1 BM25 vote</th><th>queries</th></tr></thead>"
        f"<tbody>{rows}</tbody></table></div>"
    )


def write_html(report: dict, out: Path) -> Path:
    path = out / "report.html"
    path.write_text(render_html(report), encoding="utf-8")
    return path


def check_against_baseline(report: dict, baseline: dict, tolerance: float) -> list[str]:
    """Failures: headline scores more than `tolerance` below the accepted baseline, or any isolation leak."""
    failures = []
    dataset = report.get("run", {}).get("dataset", {})
    for key in ("name", "queries"):
        expected = baseline.get("run", {}).get(key)
        if expected is not None and dataset.get(key) != expected:
            failures.append(f"dataset {key}: the report has {dataset.get(key)!r}, the baseline {expected!r}")
    split, expected_split = report.get("run", {}).get("split"), baseline.get("run", {}).get("split")
    if "split" in baseline.get("run", {}) and split != expected_split:
        failures.append(f"split: the report has {split!r}, the baseline {expected_split!r}")
    for name, accepted in baseline.get("scores", {}).items():
        current = report.get("scores", {}).get(name, {}).get("system")
        if current is None:
            failures.append(f"{name}: missing from the report (accepted {accepted:.3f})")
        elif current < accepted - tolerance:
            failures.append(
                f"{name}: {current:.3f} is more than {tolerance} below the accepted {accepted:.3f}"
            )
    violations = report.get("details", {}).get("isolation", {}).get("violations")
    if violations:
        failures.append(f"isolation: {violations} result(s) or citation(s) from another site")
    return failures


# The scores a user reads first; each must reach the best baseline run beside it in the same pass.
HEADLINE_SCORES = (
    "triage.accuracy",
    "triage.macro_f1",
    "retrieval.mrr",
    "retrieval.recall@5",
    "retrieval.ndcg@10",
)


def check_against_best_baseline(report: dict, tolerance: float = 0.0) -> list[str]:
    """Failures: a headline system score below the best baseline of the same run, by more than
    `tolerance` (0 unless the dataset's accepted file says otherwise, with its reason)."""
    failures = []
    for name in HEADLINE_SCORES:
        score = report.get("scores", {}).get(name)
        if not score or score.get("system") is None:
            continue
        baselines = {label: v for label, v in (score.get("baselines") or {}).items() if v is not None}
        if not baselines:
            continue
        label = max(baselines, key=baselines.get)
        if score["system"] < baselines[label] - tolerance:
            failures.append(
                f"{name}: the system's {score['system']:.3f} is below the {label} baseline's "
                f"{baselines[label]:.3f} in the same run" + (f" (tolerance {tolerance})" if tolerance else "")
            )
    return failures
