"""Report rendering: time and size of the HTML report for 5,000 findings (targets: < 2 s, < 10 MB), and the time a
browser takes to show it.

The findings are synthetic but shaped like a real run's, seeded so every run measures the same
thing: 125 metrics x 5 library columns (Keras on three backends, scikit-learn, torchmetrics) x 8
properties; outcomes in the proportions of the default run (about 43% pass, 38% known, 18% skip,
1% fail or error); every non-pass finding with its minimal example (up to 24 samples in up to 6
batches), a snippet that spells the batches out, and a cause (a pitfall cause for the per-batch-average
findings, which the report shows as measured); unexpected findings with their failure kind, closest
declaration and input regime (the report writes each one's issue draft) and, one in two, a distinct
failure of their own (``also``) with its example and snippet; per-batch-average gaps for every
non-decomposable metric's pitfall finding, an error histogram for every finding that compared values, AUC
curves (200-threshold library curve and the exact one) for Keras' AUC variants, and a pitfall study of the
``full`` shape (every non-decomposable metric through the reference and three libraries, 3 balances x 3
qualities x 8 batch sizes: a figure of 12 panels per metric).

The browser's time: headless Chromium (Debian's ``chromium``) opens the page; the report's script writes
``performance.now()`` when it has run (``data-ready-ms``: the DOM parsed and the filters applied), and a script
the benchmark adds writes it again at the load event after forcing a layout (``data-layout-ms``); both are read
back with ``--dump-dom``. The process's wall time (start-up included) is printed too.

    .venv/bin/python benchmarks/report_render.py [--findings 5000] [--repeat 3] [--out reports/bench.html]
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance.adapters.base import literal
from conformance.pitfall_study import BALANCES, BATCH_SIZES, QUALITIES, REFERENCE, SIZES
from conformance.report import render
from conformance.results import ERROR_BIN_COUNT, Finding, RunResult, shown_counts

PROPERTIES = ("agreement", "batch_accumulation", "batch_average_pitfall", "reset", "result_idempotence",
              "order_invariance", "sample_weights", "shape_conventions")
COLUMNS = (("keras", "tensorflow"), ("keras", "jax"), ("keras", "torch"), ("sklearn", None), ("torchmetrics", None))
OUTCOME_SHARES = {"pass": 0.43, "known": 0.38, "skip": 0.18, "fail": 0.007, "error": 0.003}
TARGET_SECONDS, TARGET_BYTES = 2.0, 10 * 2**20
STUDY_SOURCES = (REFERENCE, "sklearn", "torchmetrics", "keras")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]


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


def distinct_failure(rng: np.random.Generator, library: str) -> dict:
    payload = example(rng)
    return {"outcome": "fail", "failure_kind": "returns NaN", "closest": "NaN where the reference is 0 (convention)",
            "message": "returns NaN on a batch of one class, where the reference is 0.0", "reference_value": 0.0,
            "library_value": float("nan"), "abs_error": float("nan"), "tolerance": 1.2e-5, "example": payload,
            "snippet": snippet(library, payload), "replay": "AXicY2BgYGBkZGRgYGBgAAAA", "shrunk": "fully",
            "regime": "ordinary"}


def synthetic_study(metrics: list[str], rng: np.random.Generator) -> dict:
    """A study of the full size's shape: each metric through the reference and three libraries."""
    rows = []
    for metric in metrics:
        for source in STUDY_SOURCES:
            for balance in BALANCES:
                for quality in QUALITIES:
                    scale = float(rng.uniform(0.05, 0.8))
                    for size in BATCH_SIZES:
                        median = scale * (8 / size) ** float(rng.uniform(0.6, 1.2))
                        rows.append({"metric": metric, "source": source, "balance": balance, "quality": quality,
                                     "batch_size": size, "median": median, "p95": median * float(rng.uniform(1, 2)),
                                     "repetitions": 5, "batches": 10_240 // size,
                                     "scored_batches": min(10_240 // size, max(32, 1024 // size)),
                                     "unscored": float(rng.random()) if balance == 0.01 and size < 64 else 0.0})
    return {**SIZES["full"].to_json(), "seed": 0, "duration_s": 1234.5, "cpu_s": 2400.0, "interrupted": False,
            "rows": rows, "left_out": {f"Mean{i:03d}": "a mean of per-sample values: the per-batch mean, weighted "
                                       "by batch size, is exact" for i in range(60)}, "errors": {}, "skipped": {}}


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
            finding.regime, finding.replay = "ordinary", "AXicY2BgYGBkZGRgYGBgA" + "A" * 40
            if outcome != "error":
                finding.reference_value, finding.library_value = float(rng.random()), float(rng.random())
                finding.abs_error = abs(finding.reference_value - finding.library_value)
                finding.tolerance = 1.2e-5
        if outcome in ("fail", "error"):
            finding.failure_kind = "wrong value" if outcome == "fail" else "raises ValueError"
            finding.closest = "The library counts ties at the boundary as inside (convention); not this example"
            finding.shrunk = "fully"
            if rng.random() < 0.5:
                finding.also = [distinct_failure(rng, library)]
        if outcome == "known" and prop == "batch_average_pitfall":
            finding.gap = float(rng.random())
            finding.cause = {"what": f"The mean of per-batch values is off the whole-data value by up to "
                                     f"{finding.gap:.4g}.",
                             "cause": f"{metric} is not a mean of per-sample values, so averaging it over batches "
                                      "(as Keras compile(metrics=[fn]) does for a plain function) is not the data "
                                      "set's value; use the stateful metric instead.",
                             "where": "keras/src/metrics/reduction_metrics.py::MeanMetricWrapper", "kind": "pitfall"}
        elif outcome == "known":
            finding.cause = {"what": "The library counts ties at the boundary as inside; the reference as outside. "
                                     * 2,
                             "cause": "A documented convention of the library, verified example by example. " * 2,
                             "where": "keras/src/metrics/confusion_metrics.py::AUC; https://example.org/docs",
                             "kind": "convention"}
            if metric == "AUC" and library == "keras":
                finding.curve = curve(rng)
        findings.append(finding)
    return findings


def synthetic_result(count: int = 5000, seed: int = 0) -> RunResult:
    """The findings, and a study of every metric whose pitfall finding has gaps (the non-decomposable ones)."""
    findings = synthetic_findings(count, seed)
    studied = list(dict.fromkeys(f.metric for f in findings if f.gaps))
    return RunResult(findings=findings, versions={"keras": "3.15.1"}, profile="ci",
                     command="benchmarks/report_render.py", duration_s=1234.5,
                     pitfall_study=synthetic_study(studied, np.random.default_rng(seed)))


def browser_times(html: Path, repeat: int) -> list[tuple[float, float, int, int]] | None:
    """Each of ``repeat`` openings of ``html`` in headless Chromium: (the process's wall time, the CPU time of all its
    processes, the page's data-ready-ms (-1 for a page without it), its data-layout-ms); None without Chromium.

    On a shared machine the wall-clock times (in-page ones too) grow with the load; the CPU time does not."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        return None
    hook = ('<script>window.addEventListener("load", () => { document.body.getBoundingClientRect(); '
            'document.documentElement.dataset.layoutMs = String(Math.round(performance.now())); });</script>')
    times = []
    with tempfile.TemporaryDirectory() as directory:
        page = Path(directory) / "report.html"
        page.write_text(html.read_text(encoding="utf-8").replace("</body>", hook + "</body>"), encoding="utf-8")
        for attempt in range(repeat):
            started, before = time.perf_counter(), resource.getrusage(resource.RUSAGE_CHILDREN)
            process = subprocess.run([chromium, *CHROMIUM_FLAGS, f"--user-data-dir={directory}/profile{attempt}",
                                      "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=300)
            wall, after = time.perf_counter() - started, resource.getrusage(resource.RUSAGE_CHILDREN)
            cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
            ready = re.search(r'data-ready-ms="(\d+)"', process.stdout)
            layout = re.search(r'data-layout-ms="(\d+)"', process.stdout)
            if process.returncode != 0 or not layout:
                raise RuntimeError(f"chromium did not render the page: {process.stderr[-500:]}")
            times.append((wall, cpu, int(ready.group(1)) if ready else -1, int(layout.group(1))))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--findings", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--out", default="reports/benchmark-report.html")
    args = parser.parse_args()

    result = synthetic_result(args.findings)
    counts = shown_counts(result.findings)
    print(f"{len(result.findings)} findings: " + ", ".join(f"{n} {o}" for o, n in counts.items()))
    print(f"pitfall study: {len(result.pitfall_study['rows'])} rows, "
          f"{len({r['metric'] for r in result.pitfall_study['rows']})} metrics x {len(STUDY_SOURCES)} sources")

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
    opened = browser_times(Path(args.out), args.repeat)
    if opened is None:
        print("browser: chromium not found (apt-get install chromium): not measured")
        return
    with tempfile.TemporaryDirectory() as directory:  # what Chromium costs to start, show a blank page and stop
        blank = Path(directory) / "blank.html"
        blank.write_text("<!DOCTYPE html><html><body></body></html>")
        _, start_up, _, _ = sorted(browser_times(blank, args.repeat))[len(opened) // 2]
    wall, cpu, ready, layout = (sorted(values)[len(values) // 2] for values in zip(*opened, strict=True))
    print(f"browser (headless Chromium, median of {len(opened)}): script done at {ready} ms and laid out at the load "
          f"event at {layout} ms after navigation start (wall clock); {cpu:.2f} s of CPU in all its processes, "
          f"{cpu - start_up:.2f} s beyond a blank page's; the process {wall:.2f} s wall (start-up included)"
          f"   target < {TARGET_SECONDS:.0f} s: "
          + ("met" if layout / 1000 < TARGET_SECONDS else
             f"missed on the wall clock; {cpu - start_up:.2f} s of CPU, so "
             + ("met on an unshared machine" if cpu - start_up < TARGET_SECONDS else "MISSED")))

if __name__ == "__main__":
    main()
