"""The HTML discrepancy report: one self-contained file, rendered with Jinja2 (autoescape on)."""

from __future__ import annotations

import functools
import json
from collections import OrderedDict

from conformance.results import OUTCOMES, Finding, RunResult


@functools.cache
def _property_titles() -> dict[str, str]:
    from conformance.properties import PROPERTIES  # imports Hypothesis: only when rendering

    return {p.name: p.title for p in PROPERTIES}


def worst(outcomes: list[str]) -> str:
    return min(outcomes, key=OUTCOMES.index) if outcomes else "skip"


def merge(results: list[RunResult]) -> RunResult:
    """One result from several (e.g. CI shards). Findings are kept per metric x library x property;
    a duplicate with the same outcome is dropped, a conflicting one is kept so the report shows both."""
    merged = RunResult(profile=",".join(sorted({r.profile for r in results})),
                       seed=results[0].seed if len({r.seed for r in results}) == 1 else None,
                       command=" | ".join(r.command for r in results if r.command),
                       started=min((r.started for r in results if r.started), default=""),
                       duration_s=sum(r.duration_s for r in results),
                       interrupted=any(r.interrupted for r in results))
    for result in results:
        merged.versions.update(result.versions)
    seen: dict[tuple, set[str]] = {}
    for result in results:
        for finding in result.findings:
            outcomes = seen.setdefault(finding.key, set())
            if finding.outcome not in outcomes:
                outcomes.add(finding.outcome)
                merged.findings.append(finding)
    return merged


def _matrix(findings: list[Finding]) -> tuple[list[str], list[str], dict]:
    metrics = list(OrderedDict.fromkeys(f.metric for f in findings))
    libraries = list(OrderedDict.fromkeys(f.library for f in findings))
    cells: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        cells.setdefault((finding.metric, finding.library), []).append(finding)
    return metrics, libraries, cells


def anchor(finding: Finding) -> str:
    return "f-" + "-".join(finding.key).translate(str.maketrans("[]=,. <>\"'&/", "____________"))


def render(result: RunResult) -> str:
    import jinja2

    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("conformance", "templates"),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
    )
    metrics, libraries, cells = _matrix(result.findings)
    details = sorted((f for f in result.findings if f.outcome not in ("pass", "skip")),
                     key=lambda f: (OUTCOMES.index(f.outcome), f.metric, f.library, f.property))
    return environment.get_template("report.html.j2").render(
        result=result, counts=result.counts(), outcomes=OUTCOMES, metrics=metrics, libraries=libraries,
        cells=cells, worst=worst, details=details, anchor=anchor, titles=_property_titles(),
        properties=sorted({f.property for f in result.findings}),
        to_json=lambda value: json.dumps(value, indent=1),
    )
