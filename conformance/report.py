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
from collections import OrderedDict, defaultdict
from dataclasses import dataclass
from typing import Any

from markupsafe import Markup, escape

from conformance.decisions import decisions
from conformance.declared import stale_declarations
from conformance.issue_drafts import draft
from conformance.pitfall_section import pitfall_section
from conformance.pitfall_study import merge_studies
from conformance.results import (
    SHOWN_OUTCOMES,
    UNEXPECTED,
    Finding,
    RunResult,
    behaviour_class,
    shown_counts,
    shown_outcome,
)

# Short badge labels for the matrix; the legend under it spells each out.
BADGES = {
    "agreement": "agree", "batch_accumulation": "accum", "batch_average_pitfall": "avg", "reset": "reset",
    "result_idempotence": "idem", "order_invariance": "order", "sample_weights": "weights",
    "shape_conventions": "shape", "bad_inputs": "bad",
}


@functools.cache
def _property_titles() -> dict[str, str]:
    from conformance.registry import PROPERTIES  # imports Hypothesis: only when rendering

    return {p.name: p.title for p in PROPERTIES}


def worst(outcomes: list[str]) -> str:
    """The worst of shown outcomes (SHOWN_OUTCOMES: a pitfall measurement ranks below a known difference)."""
    return min(outcomes, key=SHOWN_OUTCOMES.index) if outcomes else "skip"


# -- merging ----------------------------------------------------------------------------------

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
    property: a duplicate with the same outcome is dropped (the first is kept), one with another outcome
    is kept too, so the report shows the conflict."""
    merged = RunResult(profile=",".join(sorted({r.profile for r in results if r.profile})),
                       seed=results[0].seed if len({r.seed for r in results}) == 1 else None,
                       command=" | ".join(r.command for r in results if r.command),
                       started=min((r.started for r in results if r.started), default=""),
                       duration_s=sum(r.duration_s for r in results),
                       interrupted=any(r.interrupted for r in results),
                       versions=_merge_versions(results),
                       pitfall_study=merge_studies([r.pitfall_study for r in results if r.pitfall_study]))
    seen: dict[tuple, set[str]] = {}
    for result in results:
        for finding in result.findings:
            outcomes = seen.setdefault(finding.key, set())
            if finding.outcome not in outcomes:
                outcomes.add(finding.outcome)
                merged.findings.append(finding)
    return merged


# -- what the page shows ----------------------------------------------------------------------

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


def array_text(values: Any, dtype: str | None) -> str:
    """An example array as compact text; float32 values in their shortest exact form (0.49999997, not
    0.4999999701976776), so that one float32 step from a threshold stays visible."""
    if values is None:
        return "None"
    if dtype in ("float32", "float16"):
        import numpy as np

        return _nested(np.asarray(values, dtype=dtype).astype(str).tolist())
    return _nested(values)


def _nested(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ",".join(_nested(v) for v in value) + "]"
    return str(value)


def where_parts(where: str) -> list[tuple[str, bool]]:
    """The ``where`` of a cause split at ``;``: ``(text, is_link)`` for each part."""
    return [(part.strip(), part.strip().startswith(("https://", "http://")))
            for part in where.split(";") if part.strip()]


@dataclass
class Cause:
    """A known difference, shown once, with the cases it explains."""

    id: str
    what: str
    why: str
    where: list[tuple[str, bool]]
    kind: str
    cases: list[DetailView]


@dataclass
class DetailView:
    """What the page shows of one non-pass finding (computed once, not in the template)."""

    id: str
    finding: Finding
    outcome: str  # as shown (see results.shown_outcome)
    title: str
    errors: Errors | None
    batches: int
    samples: int
    example_rows: Markup  # the example's batches as table rows (built here for speed, every text escaped)
    example_note: str
    cause: Cause | None = None
    issue: str | None = None  # an unexpected finding's issue draft (Markdown), for the "Copy as issue" button


_EXAMPLE_ROW = Markup("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>")


def _detail(finding: Finding, index: int, titles: dict[str, str]) -> DetailView:
    samples, rows, note = 0, [], ""
    if finding.example:
        dtypes = finding.example.get("dtypes") or {}
        for number_, batch in enumerate(finding.example.get("batches", [])):
            y_true = batch.get("y_true") or []
            samples += len(y_true)
            rows.append(_EXAMPLE_ROW.format(number_, array_text(y_true, dtypes.get("y_true")),
                                            array_text(batch.get("y_pred"), dtypes.get("y_pred")),
                                            array_text(batch.get("sample_weight"), "float32")))
        note = f"dtypes {compact(dtypes)}"
        if finding.example.get("num_classes"):
            note += f", {finding.example['num_classes']} classes"
        if finding.example.get("details"):
            note += f"; also varied: {compact(finding.example['details'])}"
    return DetailView(f"f{index}", finding, shown_outcome(finding), titles.get(finding.property, finding.property),
                      errors(finding), len(rows), samples, Markup("").join(rows), note)


def compact(value: Any) -> str:
    """JSON without spaces (NaN allowed)."""
    return json.dumps(value, separators=(",", ":"), default=str)


def _causes(details: list[DetailView]) -> list[Cause]:
    """The known differences, each once with the cases it explains (pitfall measurements are not differences: the
    pitfall section lists them)."""
    causes: dict[str, Cause] = {}
    for view in details:
        cause = view.finding.cause
        if not cause or view.finding.measurement:
            continue
        key = compact([cause.get("what"), cause.get("cause"), cause.get("where")])
        if key not in causes:
            causes[key] = Cause(f"c{len(causes) + 1}", cause.get("what", ""), cause.get("cause", ""),
                                where_parts(cause.get("where", "")), cause.get("kind", ""), [])
        causes[key].cases.append(view)
        view.cause = causes[key]
    return list(causes.values())


def _matrix(findings: list[Finding], links: dict[int, str]) -> tuple[list[str], list[Markup]]:
    """The matrix's columns and its rows as HTML.

    The rows (one badge per finding: thousands) are built here rather than in the template, for speed;
    every text in them goes through markupsafe's ``escape``, as the template's autoescaping would."""
    metrics = list(OrderedDict.fromkeys(f.metric for f in findings))
    columns = list(OrderedDict.fromkeys(f.column for f in findings))
    cells: dict[tuple[str, str], list[Finding]] = defaultdict(list)
    for finding in findings:
        cells[(finding.metric, finding.column)].append(finding)
    badge = functools.cache(lambda outcome, prop: Markup(
        '<a class="badge {0}" data-p="{1}" data-o="{0}" title="{1}: {0}"').format(outcome, prop))
    label = functools.cache(lambda prop: escape(BADGES.get(prop, prop)))
    column_attribute = {column: escape(column) for column in columns}
    rows = []
    for metric in metrics:
        parts = [Markup('<tr data-m="{0}"><th>{0}</th>').format(metric)]
        for column in columns:
            found = cells.get((metric, column), [])
            parts.append(Markup('<td class="cell {}" data-c="{}">').format(worst([shown_outcome(f) for f in found]),
                                                                            column_attribute[column]))
            for finding in found:
                link = links.get(id(finding))
                parts.append(badge(shown_outcome(finding), finding.property)
                             + (Markup(' href="#{}">').format(link) if link else Markup(">"))
                             + label(finding.property) + Markup("</a>"))
            parts.append(Markup("</td>"))
        parts.append(Markup("</tr>"))
        rows.append(Markup("").join(parts))
    return columns, rows


# The bad-inputs table's cell per behaviour class: the short words shown (the whole behaviour is the cell's title).
BEHAVIOUR_CELLS = {"hides": "hides", "wrong": "wrong", "number": "number", "nonfinite": "NaN", "raises": "raises"}


@dataclass
class BadInputRow:
    """One metric x library of the bad_inputs property: the behaviour per kind of bad input (None: not tried)."""

    metric: str
    column: str
    outcome: str
    link: str
    cells: list[tuple[str, str, str] | None]  # (class, short words, the whole behaviour) per kind


# What a number in the table is, by the words behind it (conformance/bad_inputs.py writes them).
NUMBER_CELLS = (("(as documented", "documented"), ("documents)", "policy"), ("(the weight used as given)", "as given"),
                ("(the value does not depend", "unaffected"))


def bad_input_table(findings: list[Finding],
                    links: dict[int, str]) -> tuple[list[tuple[str, str]], list[BadInputRow]]:
    """The kinds of bad input tried (columns, in the property's order: name and short label) and a row per metric x
    library."""
    tried = [f for f in findings if f.behaviours]
    if not tried:
        return [], []
    from conformance.bad_input_kinds import KINDS  # the property's own order of the kinds, and their labels

    seen = {kind for f in tried for kind in f.behaviours}
    labels = {k.name: k.label for k in KINDS}
    names = [k.name for k in KINDS if k.name in seen] + sorted(seen - set(labels))
    rows = []
    for finding in tried:
        cells = []
        for kind in names:
            text = finding.behaviours.get(kind)
            if text is None:
                cells.append(None)
                continue
            category = behaviour_class(text)
            short = BEHAVIOUR_CELLS[category]
            if category == "raises":
                short = "raises " + text.split(":", 1)[0].removeprefix("raises ").strip()
            elif category == "nonfinite":
                short = text.split(" (")[0].removeprefix("returns ")
            elif category == "number":
                short = next((words for marker, words in NUMBER_CELLS if marker in text), short)
            cells.append((category, short, text))
        rows.append(BadInputRow(finding.metric, finding.column, finding.outcome, links.get(id(finding), ""), cells))
    return [(name, labels.get(name, name)) for name in names], rows


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

    They disagree when the outcomes differ, when known differences of different kinds explain them (one that
    holds on some backends only), when on the same example the library's values differ beyond twice the
    tolerance, or when the largest pitfall gaps differ."""
    groups: dict[tuple[str, str, str], dict[str, Finding]] = defaultdict(dict)
    for finding in findings:
        if finding.backend:
            groups[(finding.metric, finding.library, finding.property)].setdefault(finding.backend, finding)
    rows = []
    for (metric, library, prop), by_backend in groups.items():
        if len(by_backend) < 2:
            continue
        group = list(by_backend.values())
        reason = ""
        if len({f.outcome for f in group}) > 1:
            reason = "outcomes differ"
        elif len({(f.cause or {}).get("what") for f in group}) > 1:
            reason = "different known differences"
        elif any(_values_differ(a, b) for a, b in itertools.pairwise(group)):
            reason = "values differ on the same example"
        elif len({number(f.gap, 3) for f in group}) > 1:
            reason = "largest per-batch-average gaps differ"
        rows.append(BackendRow(metric, library, prop, dict(sorted(by_backend.items())), bool(reason), reason))
    return rows


def _summary_by_column(findings: list[Finding], columns: list[str]) -> dict[str, dict[str, int]]:
    return {column: shown_counts([f for f in findings if f.column == column]) for column in columns}


def _figures(findings: list[Finding]) -> list[dict[str, Any]]:
    from conformance import plots

    shown = []
    for heading, draw in (("The per-batch-average pitfall on small inputs", plots.pitfall_gaps),
                          ("AUC: the library's curve against the exact one", plots.auc_curves),
                          ("Errors against the tolerance", plots.error_distribution)):
        drawn = draw(findings)
        if drawn:
            svg, left_out = drawn
            shown.append({"heading": heading, "draw": draw.__name__,
                          "explanation": " ".join((draw.__doc__ or "").split()),
                          "svg": Markup(svg), "left_out": left_out})  # matplotlib XML-escapes its text
    return shown


@functools.cache
def _environment():
    import jinja2

    return jinja2.Environment(
        loader=jinja2.PackageLoader("conformance", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )


def render(result: RunResult, *, title: str = "Metric conformance report", plots: bool = True) -> str:
    """The report as one self-contained HTML page. ``plots=False`` leaves out the matplotlib plots."""
    findings = result.findings
    titles = _property_titles()
    ordered = sorted((f for f in findings if f.outcome not in ("pass", "skip")),
                     key=lambda f: (SHOWN_OUTCOMES.index(shown_outcome(f)), f.metric, f.column, f.property))
    details = [_detail(finding, index, titles) for index, finding in enumerate(ordered, start=1)]
    for view in details:
        if view.finding.outcome in UNEXPECTED:
            view.issue = draft(view.finding, result.versions)
    links = {id(view.finding): view.id for view in details}
    columns, rows = _matrix(findings, links)
    backend_rows = backend_comparison(findings)
    figures = _figures(findings) if plots and findings else []
    pitfall = pitfall_section(findings, result.pitfall_study, figures=plots)
    bad_kinds, bad_rows = bad_input_table(findings, links)
    return _environment().get_template("report.html.j2").render(
        bad_kinds=bad_kinds, bad_rows=bad_rows,
        title=title, result=result, counts=shown_counts(findings), outcomes=SHOWN_OUTCOMES, columns=columns, rows=rows,
        unexpected=[view for view in details if view.finding.outcome in UNEXPECTED], details=details,
        causes=_causes(details), link_of=lambda f: links.get(id(f), ""), badges=BADGES,
        properties=list(OrderedDict.fromkeys(f.property for f in findings)),
        by_column=_summary_by_column(findings, columns), number=number, conflicts=conflicts(findings),
        figures=[f for f in figures if f["draw"] != "pitfall_gaps"],
        small_inputs_figure=next((f for f in figures if f["draw"] == "pitfall_gaps"), None),
        pitfall=pitfall, pitfall_by_metric=pitfall.by_metric,
        backend_rows=backend_rows, disagreements=[r for r in backend_rows if r.disagree],
        stale=stale_declarations(result), decisions=decisions(findings),
    )
