"""The check's text output: one line per property, and for each failure its minimal example and values."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from conformance.results import Finding

if TYPE_CHECKING:
    from conformance.usercheck.runner import CheckResult

LABELS = {"pass": "PASS", "known": "PASS", "skip": "SKIP", "fail": "FAIL", "error": "FAIL"}
MAX_ARRAY_CHARS = 160


def _short(values: Any) -> str:
    text = json.dumps(values)
    return text if len(text) <= MAX_ARRAY_CHARS else text[:MAX_ARRAY_CHARS - 5] + " ...]"


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.9g}"
    return _short(value)


def example_lines(example: dict[str, Any] | None, indent: str = "      ") -> list[str]:
    """The minimal example's batches, one line each, and what else was varied."""
    if not example:
        return []
    lines = [f"{indent}minimal example ({len(example['batches'])} batch{'es' if len(example['batches']) != 1 else ''}"
             f"{', ' + str(example['num_classes']) + ' classes' if example.get('num_classes') else ''}):"]
    for index, batch in enumerate(example["batches"]):
        weights = "" if batch["sample_weight"] is None else f" sample_weight={_short(batch['sample_weight'])}"
        lines.append(f"{indent}  batch {index}: y_true={_short(batch['y_true'])} y_pred={_short(batch['y_pred'])}"
                     f"{weights}")
    for key, value in (example.get("details") or {}).items():
        lines.append(f"{indent}  {key}: {_short(value) if not isinstance(value, str) else value}")
    return lines


def finding_lines(finding: Finding) -> list[str]:
    label = LABELS[finding.outcome]
    message = finding.message.splitlines()[0] if finding.message else ""
    if finding.outcome == "known" and finding.cause:
        message = "; ".join(m for m in (message, f"note: {finding.cause['what']}") if m)
    lines = [f"{label} {finding.property}" + (f": {message}" if message else "")]
    if finding.outcome in ("fail", "error"):
        lines += example_lines(finding.example)
        if finding.reference_value is not None or finding.library_value is not None:
            lines.append(f"      target {_number(finding.library_value)}, reference "
                         f"{_number(finding.reference_value)}, difference {_number(finding.abs_error)} "
                         f"(tolerance {_number(finding.tolerance)})")
    return lines


def format_result(result: CheckResult, *, failures_only: bool = False) -> str:
    counts = {label: 0 for label in ("PASS", "FAIL", "SKIP")}
    lines = [f"{result.target} ({result.kind}) against {result.reference}, input {result.input_kind}"]
    for finding in result.findings:
        counts[LABELS[finding.outcome]] += 1
        if failures_only and finding.outcome not in ("fail", "error"):
            continue
        lines += finding_lines(finding)
    lines.append(f"{counts['PASS']} passed, {counts['FAIL']} failed, {counts['SKIP']} skipped in "
                 f"{result.run.duration_s:.1f}s (profile {result.run.profile}, "
                 f"seed {result.run.seed if result.run.seed is not None else 'derandomized'})")
    if result.run.interrupted:
        lines.append("interrupted: the properties checked so far are shown")
    return "\n".join(lines)
