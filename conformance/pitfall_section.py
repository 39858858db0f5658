"""The report's section on the per-batch-average pitfall: measurements, shown apart from known differences.

Two measurements per metric: the study on realistic data sets (``pitfall_study``: the gap against the batch size,
per class balance, model quality and source), and the worst case Hypothesis found on small inputs (the
``batch_average_pitfall`` findings' largest gap), each its own number. A finding that measured a gap is ``known``
with a ``pitfall`` cause in the JSON; the report shows it as ``measured``, counted and listed apart from the known
differences, which are libraries disagreeing with the reference.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from conformance.pitfall_study import REFERENCE, balance_label, rows_by_metric
from conformance.results import Finding

PITFALL = "batch_average_pitfall"


@dataclass
class StudyLine:
    """One metric through one source: where its median gap is largest, and the gap at a few batch sizes there."""

    metric: str
    source: str
    worst: dict[str, Any]  # the study's row with the largest median gap
    by_size: dict[int, float]  # median gap per batch size, at the worst row's balance and quality

    @property
    def where(self) -> str:
        balance = "" if self.worst["balance"] is None else f"{balance_label(self.worst['balance'])}, "
        return f"{balance}quality {self.worst['quality']:g}, batch size {self.worst['batch_size']}"


@dataclass
class MetricPitfall:
    """Everything the section shows about one metric."""

    metric: str
    lines: list[StudyLine] = field(default_factory=list)
    figure: Markup | None = None
    small_inputs: Finding | None = None  # the batch_average_pitfall finding with the largest gap (any library)

    @property
    def largest(self) -> float:
        return max((line.worst["median"] for line in self.lines), default=-1.0)


@dataclass
class PitfallSection:
    study: dict[str, Any] | None
    metrics: list[MetricPitfall]
    measured: list[Finding]  # the findings shown as measured
    sizes_shown: tuple[int, ...]

    @property
    def by_metric(self) -> dict[str, MetricPitfall]:
        return {m.metric: m for m in self.metrics}

    @property
    def settings(self) -> list[str]:
        """The study's design in a few lines."""
        study = self.study
        if not study:
            return []
        measured = {row["source"] for row in study["rows"]}
        scored = [f"{source}: {how['repetitions']} repetitions, "
                  + ("every batch" if how["scored_samples"] is None else
                     f"at each batch size batches holding {how['scored_samples']:,}+ samples (at least "
                     f"{study['min_batches']})")
                  for source, how in study["sources"].items() if source in measured]
        sizes = study["batch_sizes"]
        return [f"Data sets of {study['samples']:,} samples, drawn anew (seed {study['seed']}) for each repetition, "
                f"split into batches of {sizes[0]} to {sizes[-1]} samples (powers of 2).",
                "Class balance (the share outside the majority class): "
                + ", ".join(balance_label(b) for b in study["balances"]) + " (regression: none). Model quality: "
                + ", ".join(f"{q:g}" for q in study["qualities"]) + " (the classifier's ROC AUC; for regression the "
                "correlation between prediction and target).",
                "Scored: " + "; ".join(scored) + ". Where an epoch has more batches, the mean of those drawn at "
                "random estimates the epoch's (unbiased; its standard error is shown as ±): a gap within a few "
                "standard errors of 0 is the estimate's noise.",
                f"Size {study['size']}: {study['duration_s']:.1f} s ({study.get('cpu_s', 0.0):.1f} s of CPU)"
                + (" (interrupted: some metrics are missing)." if study.get("interrupted") else ".")]


def _line(metric: str, source: str, rows: list[dict[str, Any]]) -> StudyLine:
    worst = max(rows, key=lambda row: row["median"])
    return StudyLine(metric, source, worst, {row["batch_size"]: row["median"] for row in rows
                                             if (row["balance"], row["quality"]) == (worst["balance"],
                                                                                       worst["quality"])})


def pitfall_section(findings: list[Finding], study: dict[str, Any] | None, figures: bool = True) -> PitfallSection:
    """The section's content: per metric, the study's lines and figure and Hypothesis' worst case; metrics with
    the largest gaps first."""
    from conformance import plots

    metrics: dict[str, MetricPitfall] = {}
    for metric, by_source in rows_by_metric(study).items():
        entry = metrics.setdefault(metric, MetricPitfall(metric))
        ordered = dict(sorted(by_source.items(), key=lambda item: item[0] != REFERENCE))  # the reference first
        entry.lines = [_line(metric, source, rows) for source, rows in ordered.items()]
        if figures:
            balances = {b: balance_label(b) if b is not None else "no classes"
                        for b in dict.fromkeys(row["balance"] for rows in ordered.values() for row in rows)}
            entry.figure = Markup(plots.study_figure(metric, ordered, study["qualities"], balances))
    for finding in findings:
        if finding.property == PITFALL and finding.gap is not None:
            entry = metrics.setdefault(finding.metric, MetricPitfall(finding.metric))
            if entry.small_inputs is None or finding.gap > entry.small_inputs.gap:
                entry.small_inputs = finding
    ordered = sorted(metrics.values(), key=lambda m: (-m.largest, -(m.small_inputs.gap if m.small_inputs else 0)))
    sizes = tuple(size for size in (8, 32, 128, 1024) if size in set((study or {}).get("batch_sizes", ())))
    return PitfallSection(study, ordered, [f for f in findings if f.measurement], sizes)
