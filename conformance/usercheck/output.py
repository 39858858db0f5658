"""The check's text output: one line per property, and for each failure its whole message, its minimal example
(printed whole up to a size, else written to a file the output names), the values, and a snippet file that
reproduces it."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from conformance.engine import HARNESS
from conformance.results import Finding

if TYPE_CHECKING:
    from conformance.usercheck.runner import CheckResult

LABELS = {"pass": "PASS", "known": "NOTE", "skip": "SKIP", "fail": "FAIL", "error": "FAIL", "limit": "LIMIT",
          "timeout": "TIMEOUT"}
SUMMARY = (("PASS", "passed"), ("NOTE", "noted"), ("MEASURED", "measured"), ("FAIL", "failed"),
           ("LIMIT", "at a precision limit"), ("TIMEOUT", "timed out"), ("HARNESS", "harness errors"),
           ("SKIP", "skipped"))
SHOWN = ("fail", "error", "limit")  # outcomes shown with their example and values
MAX_EXAMPLE_CHARS = 4000  # an example longer than this (as JSON) goes to a file instead
INDENT = "      "


def label(finding: Finding) -> str:
    """The line's label; a per-batch-average gap measured is MEASURED, apart from a declared difference (NOTE)."""
    if finding.failure_kind == HARNESS:
        return "HARNESS"
    return "MEASURED" if finding.measurement else LABELS[finding.outcome]


def _number(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.9g}"
    return json.dumps(value)


class ExampleFiles:
    """Where the check writes what is too long to print: examples, and a snippet per failure."""

    def __init__(self, directory: Path):
        self.directory = directory

    def write(self, finding: Finding, suffix: str, text: str) -> Path:
        self.directory.mkdir(parents=True, exist_ok=True)
        stem = re.sub(r"[^\w.-]+", "_", f"{finding.property}")
        path = self.directory / f"{stem}{suffix}"
        path.write_text(text)
        return path


def example_lines(example: dict[str, Any] | None, finding: Finding | None = None,
                  files: ExampleFiles | None = None, indent: str = INDENT) -> list[str]:
    """The minimal example's batches, one line each, whole; past MAX_EXAMPLE_CHARS, the file it is written to."""
    if not example:
        return []
    batches = example["batches"]
    samples = sum(len(b["y_true"]) for b in batches)
    classes = f", {example['num_classes']} classes" if example.get("num_classes") else ""
    head = (f"{indent}minimal example ({len(batches)} batch{'es' if len(batches) != 1 else ''}, {samples} "
            f"sample{'s' if samples != 1 else ''}{classes})")
    text = json.dumps(example)
    if len(text) > MAX_EXAMPLE_CHARS and files is not None and finding is not None:
        return [f"{head}: written to {files.write(finding, '.example.json', json.dumps(example, indent=1))}"]
    lines = [head + ":"]
    for index, batch in enumerate(batches):
        weights = "" if batch["sample_weight"] is None else f" sample_weight={json.dumps(batch['sample_weight'])}"
        lines.append(f"{indent}  batch {index}: y_true={json.dumps(batch['y_true'])} "
                     f"y_pred={json.dumps(batch['y_pred'])}{weights}")
    for key, value in (example.get("details") or {}).items():
        lines.append(f"{indent}  {key}: {value if isinstance(value, str) else json.dumps(value)}")
    return lines


def finding_lines(finding: Finding, files: ExampleFiles | None = None) -> list[str]:
    message_lines = finding.message.splitlines() if finding.message else []
    if finding.outcome == "known" and finding.cause:
        message_lines = [f"{finding.cause['what']} {finding.cause.get('cause', '')}".strip(), *message_lines]
    first, *rest = message_lines or [""]
    lines = [f"{label(finding)} {finding.property}" + (f": {first}" if first else "")]
    lines += [f"{INDENT}{line}" for line in rest]  # never cut: the reason often starts on the second line
    lines += behaviour_lines(finding)
    if finding.outcome in SHOWN and finding.failure_kind != HARNESS:
        lines += example_lines(finding.example, finding, files)
        if finding.reference_value is not None or finding.library_value is not None:
            lines.append(f"{INDENT}target {_number(finding.library_value)}, reference "
                         f"{_number(finding.reference_value)}, difference {_number(finding.abs_error)} "
                         f"(tolerance {_number(finding.tolerance)})")
        if finding.snippet and files is not None:
            lines.append(f"{INDENT}reproduce: python {files.write(finding, '.py', finding.snippet + chr(10))}")
    return lines


def behaviour_lines(finding: Finding) -> list[str]:
    """bad_inputs: what the target did with each kind of bad input, one line each (the worst over the examples)."""
    if not finding.behaviours:
        return []
    width = max(len(kind) for kind in finding.behaviours)
    return [f"{INDENT}{kind.ljust(width)}  {text}" for kind, text in finding.behaviours.items()]


def summary_line(result: CheckResult) -> str:
    counts = dict.fromkeys((key for key, _ in SUMMARY), 0)
    for finding in result.findings:
        counts[label(finding)] += 1
    parts = [f"{counts[key]} {words}" for key, words in SUMMARY if counts[key] or key in ("PASS", "FAIL", "SKIP")]
    seed = result.run.seed if result.run.seed is not None else "derandomized"
    return f"{', '.join(parts)} in {result.run.duration_s:.1f}s (profile {result.run.profile}, seed {seed})"


def format_result(result: CheckResult, *, failures_only: bool = False, files: ExampleFiles | None = None) -> str:
    lines = [f"{result.target} ({result.kind}) against {result.reference}, input {result.input_kind}"]
    for finding in result.findings:
        if failures_only and finding.outcome not in ("fail", "error", "limit", "timeout"):
            continue
        lines += finding_lines(finding, files)
    lines.append(summary_line(result))
    if result.run.interrupted:
        lines.append("interrupted: the properties checked so far are shown")
    return "\n".join(lines)
