"""The report's plots, drawn with matplotlib's SVG backend and inlined in the HTML.

Each function takes findings and returns ``(svg, left_out)``: one ``<svg>`` element as text and
how many items the plot left out, or None when there is nothing to draw. Figures are built with
:class:`matplotlib.figure.Figure` (no pyplot, no global state) with fixed layouts (constrained
layout costs seconds on large figures). Text stays text in the SVG (``svg.fonttype: none``), which
matplotlib XML-escapes, and every figure gets its own id salt so that several SVGs in one page
never share an element id. Each plot is one figure of bounded size whatever the number of
findings, so a report of thousands renders fast; what is left out is said under the plot.
"""

from __future__ import annotations

import io
import itertools
import math
import re
from collections import defaultdict

import numpy as np

from conformance.results import ERROR_BIN_COUNT, ERROR_BIN_LABELS, Finding

NO_GAP = 1e-6  # a gap this small is float32 rounding, not the pitfall
MAX_CURVES = 6  # AUC panels: one per metric x library that differs
MAX_LINES = 20  # pitfall lines: more are unreadable in one axes
MAX_ROWS = 40  # error-distribution rows (metrics): each tick label costs matplotlib ~3 ms
MARKERS = "os^Dv<>p*hX"
_salt = itertools.count()


def _text(value: str) -> str:
    """A label as plain text: a ``$`` would otherwise start matplotlib's mathtext."""
    return value.replace("$", r"\$")


def to_svg(figure) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog, no DOCTYPE, no date)."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"conformance-{next(_salt)}"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _figure(width: float, height: float):
    from matplotlib.figure import Figure

    return Figure(figsize=(width, height))


def pitfall_gaps(findings: list[Finding]) -> tuple[str, int] | None:
    """For each non-decomposable metric, the largest gap between the mean of per-batch values and the
    whole-data value (what Keras' compile(metrics=[fn]) reports against the data set's value), against the
    mean batch size, over the examples Hypothesis tried and every library (log scale; examples with no gap
    beyond float32 rounding, such as a single batch, are not drawn)."""
    envelopes: dict[str, dict[int, float]] = defaultdict(dict)
    for finding in findings:
        if finding.property != "batch_average_pitfall" or not finding.gaps:
            continue
        envelope = envelopes[finding.metric]
        for size, gap in finding.gaps:
            if gap > NO_GAP:
                key = max(1, round(size))
                envelope[key] = max(envelope.get(key, 0.0), gap)
    envelopes = {metric: envelope for metric, envelope in envelopes.items() if envelope}
    if not envelopes:
        return None
    from matplotlib.ticker import MaxNLocator, NullLocator

    shown = sorted(envelopes, key=lambda m: -max(envelopes[m].values()))[:MAX_LINES]
    figure = _figure(9.5, 4.2)
    ax = figure.add_axes((0.07, 0.12, 0.6, 0.8))
    for index, metric in enumerate(shown):
        sizes = sorted(envelopes[metric])
        label = _text(f"{metric} (max {max(envelopes[metric].values()):.3g})")
        ax.plot(sizes, [envelopes[metric][s] for s in sizes], marker=MARKERS[index % len(MARKERS)], markersize=4,
                linewidth=1, color=f"C{index % 10}", label=label)
    ax.set_yscale("log")
    ax.yaxis.set_minor_locator(NullLocator())  # minor ticks on a log axis are many, and slow to draw
    ax.xaxis.set_major_locator(MaxNLocator(8, integer=True))
    ax.set_xlabel("mean batch size (samples)", fontsize=9)
    ax.set_ylabel("largest gap", fontsize=9)
    ax.tick_params(labelsize=8)
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), fontsize=7.5, frameon=False)
    return to_svg(figure), len(envelopes) - len(shown)


def auc_curves(findings: list[Finding]) -> tuple[str, int] | None:
    """Where an AUC differs from the reference: the library's curve (the points at its thresholds) against
    the exact curve (every distinct score), on the minimal example; one panel per metric and library, from
    the agreement example where there is one."""
    chosen: dict[tuple[str, str], Finding] = {}
    for finding in sorted((f for f in findings if f.curve), key=lambda f: f.property != "agreement"):
        chosen.setdefault((finding.metric, finding.column), finding)
    if not chosen:
        return None
    shown = list(chosen.values())[:MAX_CURVES]
    columns = min(3, len(shown))
    rows = -(-len(shown) // columns)
    figure = _figure(3.4 * columns, 3.1 * rows)
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    figure.subplots_adjust(left=0.08, right=0.98, bottom=0.12 / rows, top=1 - 0.1 / rows, wspace=0.3, hspace=0.45)
    for ax in axes[len(shown):]:
        ax.set_visible(False)
    for ax, finding in zip(axes, shown, strict=False):
        curve = finding.curve
        exact, library = curve["exact"], curve["library"]
        roc = curve["kind"] == "ROC"
        ax.plot(exact["x"], exact["y"], drawstyle="default" if roc else "steps-pre", color="black", linewidth=1.4,
                label=f"exact ({_number(curve.get('reference_value'))})")
        ax.plot(library["x"], library["y"], color="C3", linewidth=1.1, linestyle="--", marker=".", markersize=3,
                label=_text(f"{finding.column} ({_number(curve.get('library_value'))})"))
        ax.set_title(_text(f"{finding.metric} · {finding.column}"), fontsize=8.5)
        ax.set_xlabel("false positive rate" if roc else "recall", fontsize=8)
        ax.set_ylabel("true positive rate" if roc else "precision", fontsize=8)
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.set_xticks((0, 0.5, 1))
        ax.set_yticks((0, 0.5, 1))
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="lower right" if roc else "lower left")
    return to_svg(figure), len(chosen) - len(shown)


def error_distribution(findings: list[Finding]) -> tuple[str, int] | None:
    """Every comparison a case made, by |difference| / tolerance in decades: for each metric (row) and
    library (block of columns), the share of its comparisons in each decade (darker: more). Left of a red
    line is within the tolerance; right of it, differences a known difference explains or failures."""
    histograms: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for finding in findings:
        if finding.error_histogram and len(finding.error_histogram) == ERROR_BIN_COUNT:
            per_column = histograms[finding.column]
            per_column[finding.metric] = per_column.get(finding.metric, 0) + np.asarray(finding.error_histogram, float)
    if not histograms:
        return None
    metrics = list(dict.fromkeys(f.metric for f in findings if any(f.metric in h for h in histograms.values())))
    worst_bin = {m: max((int(np.flatnonzero(h[m]).max()) for h in histograms.values() if m in h and h[m].any()),
                        default=0) for m in metrics}
    kept = set(sorted(metrics, key=lambda m: -worst_bin[m])[:MAX_ROWS])  # the metrics that come farthest first
    shown = [m for m in metrics if m in kept]
    columns = list(dict.fromkeys(f.column for f in findings if f.column in histograms))
    block = ERROR_BIN_COUNT + 1  # one blank column between libraries
    grid = np.full((len(shown), block * len(columns) - 1), np.nan)
    for c, column in enumerate(columns):
        for row, metric in enumerate(shown):
            counts = histograms[column].get(metric)
            if counts is not None and counts.sum() > 0:
                grid[row, c * block:c * block + ERROR_BIN_COUNT] = np.where(counts > 0, counts / counts.sum(), np.nan)
    height = 1.3 + 0.17 * len(shown)
    figure = _figure(min(2.6 + 2.5 * len(columns), 16), height)
    ax = figure.add_axes((2.1 / figure.get_figwidth(), 0.75 / height, 1 - 2.4 / figure.get_figwidth(),
                          1 - 1.15 / height))
    image = ax.imshow(np.ma.masked_invalid(grid), aspect="auto", cmap="Blues", vmin=0, vmax=1,
                      interpolation="none")
    ticks, labels = [], []
    for c, column in enumerate(columns):
        ax.axvline(c * block + 8.5, color="red", linewidth=1)  # bins 9 and up: at or beyond the tolerance
        ax.text(c * block + ERROR_BIN_COUNT / 2, -0.8, _text(column), ha="center", va="bottom", fontsize=8)
        for i in (0, 4, 9, 14):
            ticks.append(c * block + i)
            labels.append(ERROR_BIN_LABELS[i])
    ax.set_xticks(ticks, labels, fontsize=6.5)
    ax.set_yticks(range(len(shown)), [_text(m) for m in shown], fontsize=7)
    ax.set_xlabel("|difference| / tolerance (decade; 0 is exact agreement, 1e0 is the tolerance)", fontsize=8)
    ax.tick_params(length=2)
    figure.colorbar(image, ax=ax, fraction=0.02, pad=0.01).ax.tick_params(labelsize=7)
    return to_svg(figure), len(metrics) - len(shown)


def _number(value) -> str:
    if isinstance(value, (int, float)):
        return f"{value:.4g}"
    return re.sub(r"\s+", " ", str(value))[:40]


# -- the pitfall study: small multiples drawn as SVG by hand ----------------------------------------
# One figure per metric, possibly dozens in a report: matplotlib takes ~0.1 s a figure, these take ~1 ms and ~1 KB a
# panel (their style is the page's: svg.study in the report's CSS). Log-log axes: batch size (8 .. 1024) across,
# |gap| up; a line per class balance, the median solid and the 95th percentile dashed; a panel per model quality
# (columns) and per source (rows).

STUDY_PANEL = (176, 118)  # width, height of one panel's plotting area, in px
STUDY_MARGIN = (44, 10, 22, 30)  # left, right, top (panel title), bottom (x tick labels)
STUDY_COLOURS = {0.5: "#1f77b4", 0.1: "#ff7f0e", 0.01: "#d62728", None: "#2ca02c"}
STUDY_FLOOR = 1e-6  # a gap below this (float rounding, or 0) is drawn on the floor


OTHER_COLOURS = ("#9467bd", "#8c564b", "#e377c2", "#17becf")  # balances a study chose besides those above


def _study_colour(balance: float | None, index: int) -> str:
    return STUDY_COLOURS.get(balance) or OTHER_COLOURS[index % len(OTHER_COLOURS)]


def study_figure(metric: str, by_source: dict[str, list[dict]], qualities: list[float],
                 balance_names: dict[float | None, str]) -> str:
    """One metric's study as an inline ``<svg>``: a panel per quality (columns) and source (rows)."""
    from markupsafe import escape

    rows = [row for source_rows in by_source.values() for row in source_rows]
    gaps = [max(value, STUDY_FLOOR) for row in rows for value in (row["median"], row["p95"])]
    low = math.floor(math.log10(min(gaps))) if gaps else -6
    high = max(math.ceil(math.log10(max(gaps))) if gaps else 0, low + 1)
    sizes = sorted({row["batch_size"] for row in rows}) or [8, 1024]
    left, right, top, bottom = STUDY_MARGIN
    panel_w, panel_h = STUDY_PANEL
    cell_w, cell_h = left + panel_w + right, top + panel_h + bottom
    legend_h = 20
    width, height = cell_w * len(qualities), legend_h + cell_h * len(by_source)
    x_of = _log_scale(math.log2(sizes[0]), math.log2(sizes[-1]), 0, panel_w)
    y_of = _log_scale(low, high, panel_h, 0)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="study" width="{width}" height="{height}" '
             f'viewBox="0 0 {width} {height}" role="img" aria-label="{escape(metric)}: gap against batch size">']
    x = 4
    for index, (balance, name) in enumerate(balance_names.items()):  # the legend: balances, then the line styles
        colour = _study_colour(balance, index)
        parts.append(f'<line x1="{x}" x2="{x + 18}" y1="10" y2="10" stroke="{colour}" stroke-width="2"/>'
                     f'<text x="{x + 22}" y="14">{escape(name)}</text>')
        x += 30 + 6 * len(name)
    parts.append(f'<line x1="{x + 10}" x2="{x + 28}" y1="10" y2="10" stroke="#333"/>'
                 f'<text x="{x + 32}" y="14">median</text>'
                 f'<line x1="{x + 80}" x2="{x + 98}" y1="10" y2="10" stroke="#333" stroke-dasharray="4 3"/>'
                 f'<text x="{x + 102}" y="14">95th percentile of |gap|</text>')
    for r, (source, source_rows) in enumerate(by_source.items()):
        for c, quality in enumerate(qualities):
            ox, oy = c * cell_w + left, legend_h + r * cell_h + top
            parts.append(f'<g transform="translate({ox},{oy})">')
            parts.append(f'<text class="t" x="0" y="-5">{escape(source)} · quality {quality:g}</text>')
            for exponent in range(low, high + 1):  # grid lines in every panel, their labels in the first column
                y = y_of(exponent)
                parts.append(f'<line class="g" x1="0" x2="{panel_w}" y1="{y:.1f}" y2="{y:.1f}"/>'
                             + (f'<text x="-4" y="{y + 3:.1f}" text-anchor="end">1e{exponent}</text>' if c == 0
                                else ""))
            if r == len(by_source) - 1:  # batch sizes under the last row
                parts += [f'<text x="{x_of(math.log2(size)):.1f}" y="{panel_h + 12}" text-anchor="middle">{size}</text>'
                          for size in sizes]
            parts.append(f'<rect class="f" x="0" y="0" width="{panel_w}" height="{panel_h}"/>')
            for index, balance in enumerate(balance_names):
                line = sorted((row for row in source_rows if row["quality"] == quality and row["balance"] == balance),
                              key=lambda row: row["batch_size"])
                if not line:
                    continue
                colour = _study_colour(balance, index)
                for field, dashed in (("median", ""), ("p95", ' class="d"')):
                    points = " ".join(f'{x_of(math.log2(row["batch_size"])):.1f},'
                                      f'{y_of(math.log10(max(row[field], STUDY_FLOOR))):.1f}' for row in line)
                    parts.append(f'<polyline{dashed} stroke="{colour}" points="{points}"/>')
            parts.append("</g>")
        parts.append(f'<text x="{width / 2:.0f}" y="{legend_h + (r + 1) * cell_h - 3}" text-anchor="middle">'
                     "batch size</text>" if r == len(by_source) - 1 else "")
    parts.append("</svg>")
    return "".join(parts)


def _log_scale(low: float, high: float, start: float, end: float):
    """Maps [low, high] (already in log units) onto [start, end]."""
    span = (high - low) or 1.0
    return lambda value: start + (value - low) / span * (end - start)
