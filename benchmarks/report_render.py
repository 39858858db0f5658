"""Report rendering: time and size of the HTML report for 5,000 findings (targets: < 2 s, < 10 MB).

The findings are synthetic but shaped like a real run's, seeded so every run measures the same
thing: 125 metrics x 5 library columns (Keras on three backends, scikit-learn, torchmetrics) x 8
properties; outcomes in the proportions of the default run (about 43% pass, 38% known, 18% skip,
1% fail or error); every non-pass finding with its minimal example (up to 24 samples in up to 6
batches), a snippet that spells the batches out, and a cause; per-batch-average gaps for every
non-decomposable metric's pitfall finding, an error histogram for every finding that compared
values, and AUC curves (200-threshold library curve and the exact one) for Keras' AUC variants.

    .venv/bin/python benchmarks/report_render.py [--findings 5000] [--repeat 3] [--out reports/bench.html]
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.adapters.base import literal
from conformance.report import render
from conformance.results import ERROR_BIN_COUNT, Finding, RunResult

PROPERTIES = ("agreement", "batch_accumulation", "batch_average_pitfall", "reset", "result_idempotence",
              "order_invariance", "sample_weights", "shape_conventions")
COLUMNS = (("keras", "tensorflow"), ("keras", "jax"), ("keras", "torch"), ("sklearn", None), ("torchmetrics", None))
OUTCOME_SHARES = {"pass": 0.43, "known": 0.38, "skip": 0.18, "fail": 0.007, "error": 0.003}
TARGET_SECONDS, TARGET_BYTES = 2.0, 10 * 2**20


def example(rng: np.random.Generator) -> dict:
    sizes = rng.multinomial(int(rng.integers(2, 25)), np.ones(int(rng.integers(1, 7))) / 6)
    batches = []
    for size in sizes:
        batches.append({"y_true": rng.integers(0, 2, size).tolist(),
                        "y_pred": rng.random(size).astype(np.float32).astype(float).tolist(),
                        "sample_weight": rng.random(size).astype(np.float32).astype(float).tolist()
                        if rng.random() < 0.5 else None})
    return {"num_classes": None, "dtypes": {"y_true": "int64", "y_pred": "float32"}, "y_pred_columns": None,
            "batches": batches, "details": {"layout": "y_true (n,) with y_pred (n, 1)"}}


def snippet(library: str, payload: dict) -> str:
    """As the adapters write them (``literal``: float32 values in their shortest exact form)."""
    lines = ["import numpy as np", f"import {library}", "", f"metric = {library}.metrics.Metric()"]
    for batch in payload["batches"]:
        y_true, y_pred = np.asarray(batch["y_true"], np.int64), np.asarray(batch["y_pred"], np.float32)
        lines.append(f"metric.update_state({literal(y_true)}, {literal(y_pred)})")
    lines.append("print(np.asarray(metric.result()))")
    return "\n".join(lines)


def curve(rng: np.random.Generator) -> dict:
    x = np.sort(rng.random(120))[::-1]
    return {"kind": "ROC", "library": {"x": x.tolist(), "y": np.sqrt(x).tolist()},
            "exact": {"x": [0.0, 0.25, 0.5, 1.0], "y": [0.0, 0.5, 0.75, 1.0]},
            "library_value": 0.66, "reference_value": 0.69}


def synthetic_findings(count: int, seed: int = 0) -> list[Finding]:
    rng = np.random.default_rng(seed)
    per_metric = len(COLUMNS) * len(PROPERTIES)
    outcomes, shares = list(OUTCOME_SHARES), np.asarray(list(OUTCOME_SHARES.values()))
    findings = []
    for index in range(count):
        metric_index, rest = divmod(index, per_metric)
        (library, backend), prop = COLUMNS[rest // len(PROPERTIES)], PROPERTIES[rest % len(PROPERTIES)]
        metric = "AUC" if metric_index == 0 else f"Metric{metric_index:03d}[average=macro]"
        outcome = str(rng.choice(outcomes, p=shares / shares.sum()))
        finding = Finding(metric, library, prop, outcome, backend=backend,
                          binding=f"{library}.metrics.{metric.split('[')[0]}(average='macro')",
                          examples_run=25, duration_s=float(rng.random()))
        if outcome == "skip":
            finding.message = f"{library} metrics are stateless functions: there is no state to accumulate or reset"
        else:
            finding.error_histogram = rng.multinomial(40, np.ones(ERROR_BIN_COUNT) / ERROR_BIN_COUNT).tolist()
        if prop == "batch_average_pitfall" and metric_index % 2 == 0:
            finding.gaps = [[float(rng.integers(1, 13)), float(rng.random())] for _ in range(25)]
        if outcome in ("known", "fail", "error"):
            payload = example(rng)
            finding.example, finding.snippet = payload, snippet(library, payload)
            finding.message = "3 examples differed as documented; rejects y_true (n, 1) with y_pred (n,)"
            if outcome != "error":
                finding.reference_value, finding.library_value = float(rng.random()), float(rng.random())
                finding.abs_error = abs(finding.reference_value - finding.library_value)
                finding.tolerance = 1.2e-5
        if outcome == "known":
            finding.cause = {"what": "The library counts ties at the boundary as inside; the reference as outside. "
                                     * 2,
                             "cause": "A documented convention of the library, verified example by example. " * 2,
                             "where": "keras/src/metrics/confusion_metrics.py::AUC; https://example.org/docs",
                             "kind": "convention"}
            if metric == "AUC" and library == "keras":
                finding.curve = curve(rng)
        findings.append(finding)
    return findings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default="reports/benchmark-report.html")
    args = parser.parse_args()

    result = RunResult(findings=synthetic_findings(args.findings), versions={"keras": "3.15.1"}, profile="ci",
                       command="benchmarks/report_render.py", duration_s=1234.5)
    counts = result.counts()
    print(f"{len(result.findings)} findings: " + ", ".join(f"{n} {o}" for o, n in counts.items()))

    started, cpu = time.perf_counter(), time.process_time()  # what `conformance report` pays once
    import jinja2  # noqa: F401
    import matplotlib.figure  # noqa: F401

    from conformance.report import _property_titles

    _property_titles()  # imports Hypothesis, for the properties' plain-words titles
    imports = (time.perf_counter() - started, time.process_time() - cpu)
    times = []
    for _ in range(args.repeat):
        started, cpu = time.perf_counter(), time.process_time()
        html = render(result)
        times.append((time.perf_counter() - started, time.process_time() - cpu))
    size = len(html.encode("utf-8"))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(html, encoding="utf-8")
    first, best = times[0], min(times)
    cold = imports[0] + first[0]
    print(f"machine load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs "
          "(wall-clock times grow with it; CPU times do not)")
    print(f"imports (Jinja2, matplotlib, Hypothesis): {imports[0]:.2f} s wall, {imports[1]:.2f} s CPU")
    print(f"render: first {first[0]:.2f} s wall ({first[1]:.2f} s CPU), best {best[0]:.2f} s wall "
          f"({best[1]:.2f} s CPU) of {args.repeat}")
    cold_cpu = imports[1] + first[1]
    verdict = ("met" if cold < TARGET_SECONDS else
               f"missed on the wall clock; {cold_cpu:.2f} s of CPU, so "
               f"{'met on an unshared machine' if cold_cpu < TARGET_SECONDS else 'MISSED'}")
    print(f"from a cold process (imports + first render): {cold:.2f} s wall, {cold_cpu:.2f} s CPU"
          f"   target < {TARGET_SECONDS:.0f} s: {verdict}")
    print(f"size:   {size / 2**20:.2f} MiB   target < {TARGET_BYTES / 2**20:.0f} MiB: "
          f"{'met' if size < TARGET_BYTES else 'MISSED'}   -> {args.out}")


if __name__ == "__main__":
    main()
