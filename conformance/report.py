"""The HTML discrepancy report: one self-contained file, rendered with Jinja2 (autoescape on).

CSS, script and plots (SVG from matplotlib) are inline; the page loads nothing from the network.
:func:`render` turns a :class:`RunResult` into the page; :func:`merge` combines several results
(CI shards, or runs of one library on several backends) by metric x library x backend x property,
keeping conflicting duplicates so the page shows them side by side.
"""

from __future__ import annotations

import functools
import itertools
import json
import math
import zlib
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import Any

from conformance.results import OUTCOMES, UNEXPECTED, Finding, RunResult

# Short badge labels for the matrix; the legend under it spells each out.
BADGES = {
    "agreement": "agree", "batch_accumulation": "accum", "batch_average_pitfall": "avg", "reset": "reset",
    "result_idempotence": "idem", "order_invariance": "order", "sample_weights": "weights",
    "shape_conventions": "shape",
}


@functools.cache
def _property_titles() -> dict[str, str]:
    from conformance.properties import PROPERTIES  # imports Hypothesis: only when rendering

    return {p.name: p.title for p in PROPERTIES}


def worst(outcomes: list[str]) -> str:
    return min(outcomes, key=OUTCOMES.index) if outcomes else "skip"


# -- merging ----------------------------------------------------------------------------------

def _signature(finding: Finding) -> str:
    """What makes two findings about the same case the same: outcome, values and example."""
    return json.dumps([finding.outcome, finding.reference_value, finding.library_value, finding.gap,
                       finding.example], sort_keys=True, default=str)


def _merge_versions(results: list[RunResult]) -> dict[str, str]:
    """Versions of every result; where results differ (e.g. Keras backends) all values, in order."""
    values: dict[str, list[str]] = {}
    for result in results:
        for name, version in result.versions.items():
            seen = values.setdefault(name, [])
            if version not in seen:
                seen.append(version)
    return {name: ", ".join(seen) for name, seen in values.items()}


def merge(results: list[RunResult]) -> RunResult:
    """One result from several (e.g. CI shards). Findings are kept per metric x library x backend x
    property; an identical duplicate is dropped, a conflicting one is kept so the report shows both."""
    merged = RunResult(profile=",".join(sorted({r.profile for r in results if r.profile})),
                       seed=results[0].seed if len({r.seed for r in results}) == 1 else None,
                       command=" | ".join(r.command for r in results if r.command),
                       started=min((r.started for r in results if r.started), default=""),
                       duration_s=sum(r.duration_s for r in results),
                       interrupted=any(r.interrupted for r in results),
                       versions=_merge_versions(results))
    seen: dict[tuple, set[str]] = {}
    for result in results:
        for finding in result.findings:
            signatures = seen.setdefault(finding.key, set())
            signature = _signature(finding)
            if signature not in signatures:
                signatures.add(signature)
                merged.findings.append(finding)
    return merged


# -- what the page shows ----------------------------------------------------------------------

def anchor(finding: Finding, index: int | None = None) -> str:
    """An HTML id for the finding (letters, digits, ``-`` and ``_`` only)."""
    parts = [finding.metric, finding.library, finding.backend or "", finding.property]
    text = "-".join(parts)
    safe = "".join(c if c.isascii() and c.isalnum() else "_" for c in text)
    return f"f-{safe}-{zlib.crc32(text.encode()):08x}" + (f"-{index}" if index else "")


def _magnitude(value: Any) -> float | None:
    """The largest |x| of a value (a number or a nested list of numbers), or None."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return abs(value)
    if isinstance(value, list):
        found = [m for m in (_magnitude(v) for v in value) if m is not None]
        return max(found) if found else None
    return None


@dataclass
class Errors:
    """A finding's error against its tolerance, absolute and relative to the reference."""

    absolute: float
    tolerance: float | None
    relative: float | None
    relative_tolerance: float | None

    @property
    def times_tolerance(self) -> float | None:
        if self.tolerance is None or not self.tolerance > 0 or math.isnan(self.absolute):
            return None
        return self.absolute / self.tolerance


def errors(finding: Finding) -> Errors | None:
    if finding.abs_error is None:
        return None
    scale = _magnitude(finding.reference_value)
    relative = finding.abs_error / scale if scale else None
    relative_tolerance = finding.tolerance / scale if scale and finding.tolerance is not None else None
    return Errors(finding.abs_error, finding.tolerance, relative, relative_tolerance)


def number(value: Any, digits: int = 6) -> str:
    """A value as short text: numbers to ``digits`` significant digits, lists element by element."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return f"{value:.{digits}g}"
    if isinstance(value, list):
        return "[" + ", ".join(number(v, digits) for v in value) + "]"
    return str(value)


def compact(value: Any) -> str:
    """JSON without spaces (allow NaN): how example arrays are shown."""
    return json.dumps(value, separators=(",", ":"), default=str)


def where_parts(where: str) -> list[tuple[str, bool]]:
    """The ``where`` of a cause split at ``;``: ``(text, is_link)`` for each part."""
    return [(part.strip(), part.strip().startswith(("https://", "http://")))
            for part in where.split(";") if part.strip()]


def _matrix(findings: list[Finding]) -> tuple[list[str], list[str], dict]:
    metrics = list(OrderedDict.fromkeys(f.metric for f in findings))
    columns = list(OrderedDict.fromkeys(f.column for f in findings))
    cells: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        cells.setdefault((finding.metric, finding.column), []).append(finding)
    return metrics, columns, cells


def conflicts(findings: list[Finding]) -> list[list[Finding]]:
    """Groups of findings about the same case that disagree (from merged runs)."""
    groups: dict[tuple, list[Finding]] = defaultdict(list)
    for finding in findings:
        groups[finding.key].append(finding)
    return [group for group in groups.values() if len(group) > 1]


@dataclass
class BackendRow:
    """One metric x library x property run on several backends, and whether they agree."""

    metric: str
    library: str
    property: str
    by_backend: dict[str, Finding]
    disagree: bool
    reason: str


def _values_differ(a: Finding, b: Finding) -> bool:
    if a.example != b.example or a.library_value is None or b.library_value is None:
        return False
    tolerance = max(a.tolerance or 0.0, b.tolerance or 0.0)
    try:
        import numpy as np

        return not np.allclose(np.asarray(a.library_value, float), np.asarray(b.library_value, float),
                               rtol=0, atol=2 * tolerance, equal_nan=True)
    except (TypeError, ValueError):  # shapes that do not broadcast: certainly different
        return True


def backend_comparison(findings: list[Finding]) -> list[BackendRow]:
    """Every metric x library x property found on two or more backends: do the backends agree?

    They disagree when the outcomes differ, or when on the same example the library's values differ
    beyond twice the tolerance, or the largest pitfall gaps differ."""
    groups: dict[tuple[str, str, str], dict[str, Finding]] = defaultdict(dict)
    for finding in findings:
        if finding.backend:
            groups[(finding.metric, finding.library, finding.property)].setdefault(finding.backend, finding)
    rows = []
    for (metric, library, prop), by_backend in groups.items():
        if len(by_backend) < 2:
            continue
        group = list(by_backend.values())
        outcomes = {f.outcome for f in group}
        reason = ""
        if len(outcomes) > 1:
            reason = "outcomes differ"
        elif any(_values_differ(a, b) for a, b in itertools.pairwise(group)):
            reason = "values differ on the same example"
        elif len({number(f.gap, 3) for f in group}) > 1:
            reason = "largest per-batch-average gaps differ"
        rows.append(BackendRow(metric, library, prop, dict(sorted(by_backend.items())), bool(reason), reason))
    return rows


def _summary_by_column(findings: list[Finding], columns: list[str]) -> dict[str, dict[str, int]]:
    table = {column: dict.fromkeys(OUTCOMES, 0) for column in columns}
    for finding in findings:
        table[finding.column][finding.outcome] += 1
    return table


def render(result: RunResult, *, title: str = "Metric conformance report", plots: bool = True) -> str:
    """The report as one self-contained HTML page. ``plots=False`` leaves out the matplotlib plots."""
    import jinja2
    from markupsafe import Markup

    from conformance import plots as figures

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("conformance", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    findings = result.findings
    metrics, columns, cells = _matrix(findings)
    details = sorted((f for f in findings if f.outcome not in ("pass", "skip")),
                     key=lambda f: (OUTCOMES.index(f.outcome), f.metric, f.column, f.property))
    anchors: dict[int, str] = {}
    used: set[str] = set()
    for finding in details:
        name, index = anchor(finding), 0
        while name in used:
            index += 1
            name = anchor(finding, index)
        used.add(name)
        anchors[id(finding)] = name
    figures_shown = []
    if plots and findings:
        for heading, explanation, draw in (
            ("The per-batch-average pitfall", figures.pitfall_gaps.__doc__, figures.pitfall_gaps),
            ("AUC: the library's curve against the exact one", figures.auc_curves.__doc__, figures.auc_curves),
            ("Errors against the tolerance", figures.error_distribution.__doc__, figures.error_distribution),
        ):
            drawn = draw(findings)
            if drawn:
                svg, left_out = drawn
                figures_shown.append({"heading": heading, "explanation": " ".join(explanation.split()),
                                      "svg": Markup(svg), "left_out": left_out})
    backend_rows = backend_comparison(findings)
    return environment.get_template("report.html.j2").render(
        title=title, result=result, counts=result.counts(), outcomes=OUTCOMES, unexpected_outcomes=UNEXPECTED,
        metrics=metrics, columns=columns, cells=cells, worst=worst, details=details,
        anchor=lambda f: anchors.get(id(f), ""), titles=_property_titles(), badges=BADGES,
        properties=list(OrderedDict.fromkeys(f.property for f in findings)),
        by_column=_summary_by_column(findings, columns), errors=errors, number=number, compact=compact,
        where_parts=where_parts, conflicts=conflicts(findings), figures=figures_shown,
        backend_rows=backend_rows, disagreements=[r for r in backend_rows if r.disagree],
    )
