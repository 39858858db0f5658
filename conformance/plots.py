"""The report's plots, drawn with matplotlib's SVG backend and inlined in the HTML.

Each function takes findings and returns one ``<svg>`` element as text, or None when there is
nothing to draw. Figures are built with :class:`matplotlib.figure.Figure` (no pyplot, no global
state). Text stays text in the SVG (``svg.fonttype: none``), which matplotlib XML-escapes, and every
figure gets its own id salt so that several SVGs in one page never share an element id. The number
of panels is capped so that a report of thousands of findings still renders in well under a second
per plot; what is left out is said under the plot.
"""

from __future__ import annotations

import io
import itertools
import re
from collections import defaultdict
from collections.abc import Iterable

import numpy as np

from conformance.results import ERROR_BIN_COUNT, ERROR_BIN_LABELS, Finding

MAX_PANELS = 24  # per plot: beyond this a figure gets slow to draw and too tall to read
PANEL_SIZE = (3.2, 2.3)  # inches
MARKERS = "os^Dv<>"
_salt = itertools.count()


def _text(value: str) -> str:
    """A label as plain text: a ``$`` would otherwise start matplotlib's mathtext."""
    return value.replace("$", r"\$")


def to_svg(figure) -> str:
    """The figure as an inline ``<svg>`` element (no XML prolog, no DOCTYPE, no date)."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": f"conformance-{next(_salt)}"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None}, bbox_inches="tight")
    text = buffer.getvalue()
    return text[text.index("<svg"):]


def _figure(panels: int, columns: int = 4):
    from matplotlib.figure import Figure

    columns = min(columns, panels)
    rows = -(-panels // columns)
    figure = Figure(figsize=(PANEL_SIZE[0] * columns, PANEL_SIZE[1] * rows), layout="constrained")
    axes = figure.subplots(rows, columns, squeeze=False).ravel()
    for unused in axes[panels:]:
        unused.set_visible(False)
    return figure, axes[:panels]


def _style(columns: Iterable[str]) -> dict[str, tuple[str, str]]:
    """A colour and a marker per library column, stable across the plots of one report."""
    colours = [f"C{i}" for i in range(10)]
    return {column: (colours[i % 10], MARKERS[i % len(MARKERS)]) for i, column in enumerate(sorted(set(columns)))}


def pitfall_gaps(findings: list[Finding]) -> tuple[str, int] | None:
    """Per non-decomposable metric: the gap between the mean of per-batch values and the whole-data value,
    against the mean batch size, for every example Hypothesis tried; one colour per library."""
    by_metric: dict[str, list[Finding]] = defaultdict(list)
    for finding in findings:
        if finding.property == "batch_average_pitfall" and finding.gaps:
            by_metric[finding.metric].append(finding)
    if not by_metric:
        return None
    largest = {metric: max(g for f in group for _, g in f.gaps) for metric, group in by_metric.items()}
    shown = sorted(by_metric, key=lambda m: -largest[m])[:MAX_PANELS]
    style = _style(f.column for group in by_metric.values() for f in group)
    figure, axes = _figure(len(shown))
    for ax, metric in zip(axes, shown, strict=True):
        for finding in by_metric[metric]:
            points = np.asarray(finding.gaps, dtype=np.float64).reshape(-1, 2)
            colour, marker = style[finding.column]
            ax.scatter(points[:, 0], points[:, 1], s=14, alpha=0.6, color=colour, marker=marker,
                       label=_text(finding.column), linewidths=0)
        ax.set_title(_text(metric), fontsize=9)
        ax.set_xlabel("mean batch size", fontsize=8)
        ax.set_ylabel("gap", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.set_ylim(bottom=0)
    handles = {label: handle for ax in axes for handle, label in zip(*ax.get_legend_handles_labels(), strict=True)}
    figure.legend(handles.values(), handles.keys(), loc="outside upper center", ncols=min(len(handles), 6),
                  fontsize=8, frameon=False)
    return to_svg(figure), len(by_metric) - len(shown)


def auc_curves(findings: list[Finding]) -> tuple[str, int] | None:
    """Where an AUC differs from the reference: the library's curve against the exact curve, on the
    minimal example, one panel per metric and library (the agreement example first)."""
    chosen: dict[tuple[str, str], Finding] = {}
    for finding in sorted((f for f in findings if f.curve), key=lambda f: f.property != "agreement"):
        chosen.setdefault((finding.metric, finding.column), finding)
    if not chosen:
        return None
    shown = list(chosen.values())[:MAX_PANELS]
    figure, axes = _figure(len(shown), columns=3)
    for ax, finding in zip(axes, shown, strict=True):
        curve = finding.curve
        exact, library = curve["exact"], curve["library"]
        step = "steps-pre" if curve["kind"] == "PR" else "default"
        ax.plot(exact["x"], exact["y"], drawstyle=step, color="black", linewidth=1.4,
                label=f"exact ({_number(curve.get('reference_value'))})")
        ax.plot(library["x"], library["y"], color="C3", linewidth=1.2, linestyle="--", marker=".", markersize=3,
                label=f"{_text(finding.column)} ({_number(curve.get('library_value'))})")
        ax.set_title(_text(f"{finding.metric} · {finding.column} · {finding.property}"), fontsize=8)
        ax.set_xlabel("false positive rate" if curve["kind"] == "ROC" else "recall", fontsize=8)
        ax.set_ylabel("true positive rate" if curve["kind"] == "ROC" else "precision", fontsize=8)
        ax.set_xlim(-0.02, 1.02)
        ax.set_ylim(-0.02, 1.02)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=7, loc="lower right" if curve["kind"] == "ROC" else "lower left")
    return to_svg(figure), len(chosen) - len(shown)


def error_distribution(findings: list[Finding]) -> tuple[str, int] | None:
    """Per metric and library: how every comparison's |difference| compares with its tolerance (the
    share of comparisons in each decade of |difference| / tolerance; right of the red line is beyond it)."""
    histograms: dict[str, dict[str, np.ndarray]] = defaultdict(dict)
    for finding in findings:
        if finding.error_histogram and len(finding.error_histogram) == ERROR_BIN_COUNT:
            per_column = histograms[finding.column]
            counts = np.asarray(finding.error_histogram, dtype=np.float64)
            per_column[finding.metric] = per_column.get(finding.metric, 0) + counts
    if not histograms:
        return None
    metrics = list(dict.fromkeys(m for per_column in histograms.values() for m in per_column))
    shown_metrics = metrics[:MAX_PANELS * 4]
    columns = sorted(histograms)
    from matplotlib.figure import Figure

    height = 0.9 + 0.22 * len(shown_metrics)
    figure = Figure(figsize=(min(4.2 * len(columns), 16), height), layout="constrained")
    axes = figure.subplots(1, len(columns), sharey=True, squeeze=False).ravel()
    edges = np.arange(ERROR_BIN_COUNT + 1) - 0.5
    rows = np.arange(len(shown_metrics) + 1) - 0.5
    mesh = None
    for ax, column in zip(axes, columns, strict=True):
        share = np.full((len(shown_metrics), ERROR_BIN_COUNT), np.nan)
        for row, metric in enumerate(shown_metrics):
            counts = histograms[column].get(metric)
            if counts is not None and counts.sum() > 0:
                share[row] = np.where(counts > 0, counts / counts.sum(), np.nan)
        mesh = ax.pcolormesh(edges, rows, np.ma.masked_invalid(share), cmap="viridis_r", vmin=0, vmax=1)
        ax.axvline(8.5, color="red", linewidth=1)  # bins from 9 on are at or beyond the tolerance
        ax.set_title(_text(column), fontsize=9)
        ax.set_xticks(range(0, ERROR_BIN_COUNT, 3), [ERROR_BIN_LABELS[i] for i in range(0, ERROR_BIN_COUNT, 3)],
                      fontsize=7)
        ax.set_xlabel("|difference| / tolerance", fontsize=8)
        ax.set_yticks(range(len(shown_metrics)), [_text(m) for m in shown_metrics], fontsize=7)
        ax.invert_yaxis()
    if mesh is not None:
        figure.colorbar(mesh, ax=axes.tolist(), shrink=min(1.0, 3 / height), label="share of comparisons")
    return to_svg(figure), len(metrics) - len(shown_metrics)


def _number(value) -> str:
    if isinstance(value, (int, float)):
        return f"{value:.4g}"
    return re.sub(r"\s+", " ", str(value))[:40]
