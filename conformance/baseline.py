"""Two runs compared: the findings new, gone and changed between a baseline and a later run.

Findings are matched by what they are about: metric (its id names the variant's parameters), library, backend,
property and the parameters of the finding's example (its drawn parameters; a user check's ``--init``:
``Finding.match_key``); a finding whose parameters alone differ is matched by the rest where that leaves one finding
on each side. A finding *changed* when its outcome did, or when, still unexpected, known or past a precision limit, its
kind of failure, its library value, its cause (the declaration that explains it) or its parameters did. With a
baseline, a run fails only for what is newly unexpected: an unexpected finding the baseline lacks, or had as an
expected outcome (pass, known, skip).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Literal

from conformance.results import UNEXPECTED, Finding, RunResult

ChangeKind = Literal["new", "gone", "changed"]


@dataclass(frozen=True)
class Change:
    """One finding's difference between the baseline (``old``) and the run (``new``)."""

    kind: ChangeKind
    old: Finding | None
    new: Finding | None

    @property
    def finding(self) -> Finding:
        return self.new or self.old  # type: ignore[return-value]

    @property
    def newly_unexpected(self) -> bool:
        return (self.new is not None and self.new.outcome in UNEXPECTED
                and (self.old is None or self.old.outcome not in UNEXPECTED))

    @property
    def resolved(self) -> bool:
        """Unexpected in the baseline and no longer so (or no longer run)."""
        return self.old is not None and self.old.outcome in UNEXPECTED and (
            self.new is None or self.new.outcome not in UNEXPECTED)

    def describe(self) -> str:
        """``metric · library · property: what changed``, one line."""
        f = self.finding
        head = f"{f.metric} · {f.column} · {f.property}"
        if self.kind == "new":
            return f"{head}: new, {self.new.outcome}" + _detail(self.new)
        if self.kind == "gone":
            return f"{head}: gone (was {self.old.outcome})"
        if self.old.outcome != self.new.outcome:
            return f"{head}: {self.old.outcome} → {self.new.outcome}" + _detail(self.new)
        if self.old.failure_kind != self.new.failure_kind:
            return f"{head}: {self.old.failure_kind} → {self.new.failure_kind}"
        if _cause(self.old) != _cause(self.new):
            return f"{head}: {self.new.outcome}, cause {_cause(self.old)!r} → {_cause(self.new)!r}"
        if not _same_value(self.old.library_value, self.new.library_value):
            return (f"{head}: {self.new.outcome}, library value {_value(self.old.library_value)} → "
                    f"{_value(self.new.library_value)}")
        return f"{head}: {self.new.outcome}, parameters {self.old.parameters} → {self.new.parameters}"

    def to_json(self) -> dict[str, Any]:
        f = self.finding
        return {"kind": self.kind, "metric": f.metric, "library": f.library, "backend": f.backend,
                "property": f.property, "parameters": f.parameters,
                "old_outcome": self.old.outcome if self.old else None,
                "new_outcome": self.new.outcome if self.new else None, "newly_unexpected": self.newly_unexpected,
                "resolved": self.resolved, "summary": self.describe()}


def _detail(finding: Finding) -> str:
    return f" ({finding.message.splitlines()[0][:100]})" if finding.outcome in UNEXPECTED and finding.message else ""


def _value(value: Any) -> str:
    return "none" if value is None else (f"{value:.6g}" if isinstance(value, float) else str(value))


def _same_value(a: Any, b: Any) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def _cause(finding: Finding) -> str | None:
    return (finding.cause or {}).get("what")


CARRIES_A_VALUE = (*UNEXPECTED, "known", "limit")  # outcomes whose value and cause are worth a change line


def _changed(old: Finding, new: Finding) -> bool:
    if old.outcome != new.outcome:
        return True
    if new.outcome not in CARRIES_A_VALUE:
        return False
    return (old.failure_kind != new.failure_kind or _cause(old) != _cause(new)
            or not _same_value(old.library_value, new.library_value) or old.match_key != new.match_key)


def _matched(baseline: RunResult, run: RunResult) -> dict[int, Finding]:
    """Each of the run's findings' counterpart in the baseline (by index into ``run.findings``): the one with the same
    ``match_key``; else, where the parameters alone differ, the one with the same ``key`` if it is the only one left
    with that key on each side."""
    old = {f.match_key: f for f in baseline.findings}
    matched = {i: old[f.match_key] for i, f in enumerate(run.findings) if f.match_key in old}
    taken = {id(f) for f in matched.values()}
    left_old: dict[tuple, list[Finding]] = {}
    for finding in baseline.findings:
        if id(finding) not in taken:
            left_old.setdefault(finding.key, []).append(finding)
    left_new: dict[tuple, list[int]] = {}
    for index, finding in enumerate(run.findings):
        if index not in matched:
            left_new.setdefault(finding.key, []).append(index)
    for key, indices in left_new.items():
        if len(indices) == 1 and len(left_old.get(key, [])) == 1:
            matched[indices[0]] = left_old[key][0]
    return matched


def compare_runs(baseline: RunResult, run: RunResult) -> list[Change]:
    """Every finding new, gone or changed from ``baseline`` to ``run``, in the run's order (gone ones last).

    Findings of a library the run did not include (``--libraries``) are not gone; compare runs of the same
    metrics, or every metric a run left out is gone."""
    matched = _matched(baseline, run)
    libraries = {f.library for f in run.findings}
    changes = [Change("new", None, f) if i not in matched else Change("changed", matched[i], f)
               for i, f in enumerate(run.findings) if i not in matched or _changed(matched[i], f)]
    kept = {id(f) for f in matched.values()}
    changes += [Change("gone", f, None) for f in baseline.findings if id(f) not in kept and f.library in libraries]
    return changes


def format_changes(changes: list[Change], baseline_path: str) -> str:
    """The changes as the CLI prints them: newly unexpected, resolved, then the other changes."""
    if not changes:
        return f"Since the baseline ({baseline_path}): no finding changed."
    lines = [f"Since the baseline ({baseline_path}): {len(changes)} findings changed."]
    for title, selected in (("Newly unexpected", [c for c in changes if c.newly_unexpected]),
                            ("Resolved", [c for c in changes if c.resolved]),
                            ("Other changes", [c for c in changes if not (c.newly_unexpected or c.resolved)])):
        if selected:
            lines.append(f"{title} ({len(selected)}):")
            lines += [f"  {change.describe()}" for change in selected]
    return "\n".join(lines)


def unexpected_keys(baseline: RunResult) -> dict[tuple, Finding]:
    """The baseline's unexpected findings, by key (the pytest plugin's --conformance-baseline)."""
    return {f.key: f for f in baseline.findings if f.outcome in UNEXPECTED}
