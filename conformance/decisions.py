"""Per metric, the answer to "which library can I use for this?", before the details.

For each metric and each library column: whether it agrees with the reference (every property passes, or differs
only on inputs outside the ordinary regime: subnormals, extreme magnitudes, near-constant data, precision
limits), and each difference in one line (a convention, a defect, an unexpected difference or error, a limit, a
timeout; one that several properties show, once). Where a column has a defect or something unexpected on ordinary
inputs, the columns that agree there are named as what to use instead. The per-batch-average gap is shown apart:
it is a measurement of averaging per-batch values, not a library disagreeing.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field

from conformance.results import UNEXPECTED, Finding

PITFALL = "batch_average_pitfall"


@dataclass
class Verdict:
    """One library column of one metric: whether it can be used as it is, and why not."""

    column: str
    differences: dict[str, list[str]] = field(default_factory=dict)  # each difference's line: its properties
    differs_on_ordinary: bool = False  # some difference shows on ordinary inputs (or its regime is not known)
    defective: bool = False  # a defect, an unexpected difference or an error on ordinary inputs

    @property
    def lines(self) -> list[str]:
        """One line per difference, in the findings' order, with the properties that showed it."""
        return [f"{text} [{', '.join(properties)}]" for text, properties in self.differences.items()]

    @property
    def agrees(self) -> bool:
        return not self.differences

    @property
    def summary(self) -> str:
        if self.agrees:
            return "agrees"
        if not self.differs_on_ordinary:
            return "agrees on ordinary inputs"
        return "has defects" if self.defective else "differs by convention"


@dataclass
class Decision:
    """One metric: a verdict per library column, what to use instead, and the per-batch-average gap."""

    metric: str
    verdicts: list[Verdict]
    pitfall_gap: float | None = None

    def instead(self, verdict: Verdict) -> list[str]:
        """Where ``verdict``'s column has defects, the columns to use instead: those that agree on ordinary inputs."""
        if not verdict.defective:
            return []
        return [v.column for v in self.verdicts if v is not verdict and not v.differs_on_ordinary]


def _first_sentence(text: str) -> str:
    sentence = text.split(". ")[0].strip().rstrip(".")
    return sentence if len(sentence) <= 160 else sentence[:157].rstrip() + "..."


def _line(finding: Finding) -> str | None:
    """The one-line difference ``finding`` stands for, or None (a pass, a skip, a pitfall measurement). The
    batch_average_pitfall property's other outcomes are differences: a mean metric whose size-weighted per-batch
    mean is off is wrong, not averaged."""
    if finding.outcome in ("pass", "skip") or finding.measurement:
        return None
    if finding.outcome == "known":
        cause = finding.cause or {}
        kind = cause.get("kind") or "convention"
        return f"{kind}: {_first_sentence(cause.get('what', finding.message))}"
    if finding.outcome == "limit":
        starts = f" from {finding.limit_starts:,} samples" if finding.limit_starts else ""
        return f"precision limit{starts}"
    if finding.outcome == "timeout":
        return "timed out"
    what = finding.failure_kind or finding.outcome
    return f"unexpected {what}: {_first_sentence(finding.message)}"


def decisions(findings: list[Finding]) -> list[Decision]:
    """One Decision per metric, in the findings' order; a difference several properties of one column show is
    one line naming them."""
    by_metric: OrderedDict[str, OrderedDict[str, list[Finding]]] = OrderedDict()
    for finding in findings:
        by_metric.setdefault(finding.metric, OrderedDict()).setdefault(finding.column, []).append(finding)
    result = []
    for metric, columns in by_metric.items():
        verdicts, gaps = [], []
        for column, found in columns.items():
            verdict = Verdict(column)
            for finding in found:
                if finding.property == PITFALL and finding.gap is not None:
                    gaps.append(finding.gap)
                line = _line(finding)
                if line is None:
                    continue
                verdict.differences.setdefault(line, []).append(finding.property)
                if finding.outcome == "timeout":  # nothing was shown about the value
                    continue
                ordinary = finding.regime in (None, "ordinary")
                verdict.differs_on_ordinary |= ordinary
                defect = finding.outcome in UNEXPECTED or (finding.cause or {}).get("kind") == "defect"
                verdict.defective |= defect and ordinary
            verdicts.append(verdict)
        result.append(Decision(metric, verdicts, max(gaps) if gaps else None))
    return result
