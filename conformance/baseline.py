"""Two runs compared: the findings new, gone and changed between a baseline and a later run.

Findings are matched by what they are about: metric (its id names the variant's parameters), library, backend and
property (``Finding.key``). A finding *changed* when its outcome did, or when, still unexpected, its kind of failure
or its library value did. With a baseline, a run fails only for what is newly unexpected: an unexpected finding whose
key the baseline lacks, or had as an expected outcome (pass, known, skip).
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
        return f"{head}: library value {_value(self.old.library_value)} → {_value(self.new.library_value)}"

    def to_json(self) -> dict[str, Any]:
        f = self.finding
        return {"kind": self.kind, "metric": f.metric, "library": f.library, "backend": f.backend,
                "property": f.property, "old_outcome": self.old.outcome if self.old else None,
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


def _changed(old: Finding, new: Finding) -> bool:
    if old.outcome != new.outcome:
        return True
    if new.outcome not in UNEXPECTED:
        return False
    return old.failure_kind != new.failure_kind or not _same_value(old.library_value, new.library_value)


def compare_runs(baseline: RunResult, run: RunResult) -> list[Change]:
    """Every finding new, gone or changed from ``baseline`` to ``run``, in the run's order (gone ones last).

    Findings of a library the run did not include (``--libraries``) are not gone; compare runs of the same
    metrics, or every metric a run left out is gone."""
    old = {f.key: f for f in baseline.findings}
    new = {f.key: f for f in run.findings}
    libraries = {f.library for f in run.findings}
    changes = [Change("new", None, f) if f.key not in old else Change("changed", old[f.key], f)
               for f in run.findings if f.key not in old or _changed(old[f.key], f)]
    changes += [Change("gone", f, None) for f in baseline.findings if f.key not in new and f.library in libraries]
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
