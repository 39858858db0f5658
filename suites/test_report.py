"""The HTML report and the results it is made from: what a reader sees, merging, backends, escaping,
atomic writes and interrupted runs. Reports are rendered from real small runs (scikit-learn; Keras
for the AUC curve), edited where a test needs an outcome the libraries do not give."""

from __future__ import annotations

import contextlib
import io
import json
import re
import signal
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conformance.engine import plan, run_case
from conformance.report import merge, render
from conformance.results import ERROR_BIN_COUNT, Finding, RunResult, error_bin

ROOT = Path(__file__).resolve().parents[1]


def details_ids(html: str) -> list[str]:
    return re.findall(r'<div class="finding [a-z]+" id="(f\d+)"', html)


# -- results: JSON round trip, backend, histogram ---------------------------------------------

def test_finding_round_trips_with_backend_and_plot_data(tmp_path: Path) -> None:
    finding = Finding("AUC", "keras", "agreement", "known", backend="jax", gaps=[[2.0, 0.25]],
                      error_histogram=[1] * ERROR_BIN_COUNT,
                      curve={"kind": "ROC", "library": {"x": [0, 1], "y": [0, 1]}, "exact": {"x": [0, 1], "y": [1, 1]}})
    RunResult(findings=[finding]).save(tmp_path / "r.json")
    assert RunResult.load(tmp_path / "r.json").findings == [finding]
    assert finding.key == ("AUC", "keras", "jax", "agreement") and finding.column == "keras (jax)"


def test_results_written_before_backends_existed_still_load(tmp_path: Path) -> None:
    old = {"schema_version": 1, "findings": [{"metric": "AUC", "library": "keras", "property": "agreement",
                                              "outcome": "pass", "examples_run": 25}]}
    (tmp_path / "old.json").write_text(json.dumps(old))
    finding = RunResult.load(tmp_path / "old.json").findings[0]
    assert finding.backend is None and finding.column == "keras" and finding.error_histogram is None
    assert "<table id=\"matrix\">" in render(RunResult.load(tmp_path / "old.json"))


def test_error_bins_are_decades_of_the_tolerance() -> None:
    assert error_bin(0.0) == 0 and error_bin(1e-9) == 1
    assert error_bin(0.5) == 8 and error_bin(1.0) == 9 and error_bin(9.9) == 9  # 9 and up: at or beyond
    assert error_bin(float("inf")) == error_bin(float("nan")) == ERROR_BIN_COUNT - 1


def test_a_run_records_what_the_plots_need(small_run: RunResult) -> None:
    by_case = {(f.metric, f.property): f for f in small_run.findings}
    pitfall = by_case[("AUC", "batch_average_pitfall")]
    assert pitfall.gaps and all(size >= 1 and gap >= 0 for size, gap in pitfall.gaps)
    assert pitfall.gap == pytest.approx(max(gap for _, gap in pitfall.gaps), rel=1e-3)
    agreement = by_case[("Precision", "agreement")]
    # One comparison per example, except those that end in a documented exception (all-zero weights).
    assert len(agreement.error_histogram) == ERROR_BIN_COUNT
    assert 0 < sum(agreement.error_histogram) <= agreement.examples_run
    assert all(f.backend is None for f in small_run.findings)  # scikit-learn has one backend


# -- the page ---------------------------------------------------------------------------------

def test_report_shows_run_info_summary_matrix_and_every_non_pass_finding(small_run: RunResult) -> None:
    html = render(small_run)
    counts = small_run.counts()
    # A pitfall measurement (known, cause kind pitfall) is counted apart from the known differences.
    measured = sum(1 for f in small_run.findings if f.outcome == "known" and f.cause["kind"] == "pitfall")
    assert measured > 0
    for outcome, count in {**counts, "known": counts["known"] - measured, "measured": measured}.items():
        assert f'data-count="{count}">{outcome}: {count}<' in html
    assert "conformance run --metrics AUC,Precision --libraries sklearn" in html
    assert f"sklearn {small_run.versions['sklearn']}" in html and "derandomized" in html
    assert html.count('<tr data-m="') == 2 and '<th data-c="sklearn">sklearn</th>' in html
    non_pass = [f for f in small_run.findings if f.outcome not in ("pass", "skip")]
    assert len(details_ids(html)) == len(non_pass) > 0
    known = next(f for f in non_pass if f.outcome == "known" and f.property != "batch_average_pitfall")
    assert known.cause["where"].split(";")[0] in html  # the cause's path into the library
    assert html.count("<svg") == 2  # pitfall gaps and error distribution (no AUC curve differs in sklearn)
    assert "The per-batch-average pitfall" in html and "Errors against the tolerance" in html
    assert not re.search(r"<link|@import|url\((?!#)|\ssrc=|<iframe|<object", html)  # nothing loaded: self-contained


def test_unexpected_findings_come_first_with_errors_against_the_tolerance(small_run: RunResult) -> None:
    failing = replace(small_run.findings[0], outcome="fail", message="the value on the whole data differs",
                      reference_value=0.5, library_value=0.25, abs_error=0.25, tolerance=1e-6,
                      example={"dtypes": {"y_true": "int64", "y_pred": "float32"}, "num_classes": None,
                               "batches": [{"y_true": [1, 0], "y_pred": [0.49999997, 0.5],
                                            "sample_weight": None}]},
                      snippet="import numpy as np\nprint(1)", cause=None)
    html = render(replace(small_run, findings=[*small_run.findings, failing]))
    unexpected = html.index('<ul id="unexpected">')
    assert unexpected < html.index('id="matrix"')
    first_detail = html.index('<div class="finding ')
    assert html.startswith('<div class="finding fail"', first_detail)
    assert "0.25</span> vs tolerance 1e-06 (2.5e+05 × the tolerance)" in html
    assert "relative error</th><td>0.5 vs tolerance 2e-06" in html
    assert "[0.49999997,0.5]" in html  # float32 shown exactly, one step below the threshold visible
    assert '<pre class="snippet">import numpy as np\nprint(1)</pre>' in html


def test_known_findings_link_to_their_cause_shown_once(small_run: RunResult) -> None:
    html = render(small_run)
    # A pitfall measurement is not a known difference: the pitfall section lists it, with the study.
    differences = [f for f in small_run.findings if f.cause and f.cause["kind"] != "pitfall"]
    measurements = [f for f in small_run.findings if f.cause and f.cause["kind"] == "pitfall"]
    assert differences and measurements
    causes = {json.dumps(f.cause, sort_keys=True) for f in differences}
    assert html.count('<div class="cause" id="c') == len(causes)
    assert html.count('<strong>Known difference:</strong> <a href="#c') == len(differences)
    assert html.count("<strong>Measured:</strong>") == len(measurements)
    causes_section = html[html.index('<h2 id="causes">'):html.index('<h2 id="details">')]
    assert "mean of per-batch values is off" not in causes_section


def test_hostile_names_messages_and_values_render_as_text() -> None:
    hostile = Finding("<script>alert(1)</script>", "keras", "batch_average_pitfall", "error",
                      message="<b>boom</b> raised \"quoted\" & 'single'",
                      library_value='"><img src=x onerror=alert(2)>', reference_value=0.5, abs_error=1.0,
                      tolerance=1e-6, snippet="print('</pre><script>x()</script>')",
                      cause={"what": "<i>w</i>", "cause": "c", "where": "javascript:alert(3); lib/x.py::f",
                             "kind": "defect"},
                      error_histogram=[1] * ERROR_BIN_COUNT, gaps=[[2.0, 0.5], [3.0, 0.25]], backend="<b>jax</b>")
    dollar = replace(hostile, metric="cost in $ and $$", backend=None)
    html = render(RunResult(findings=[hostile, dollar], command="conformance run --metrics '<script>'"))
    assert html.count("<script") == 1  # the report's own
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "<b>boom</b>" not in html
    assert "&lt;b&gt;boom&lt;/b&gt; raised &#34;quoted&#34; &amp; &#39;single&#39;" in html
    assert "<img" not in html and "&lt;img src=x onerror=alert(2)&gt;" in html
    assert "<i>w</i>" not in html and 'href="javascript:' not in html
    assert "<b>jax</b>" not in html
    svgs = re.findall(r"<svg.*?</svg>", html, re.S)
    assert len(svgs) == 2 and all("<script" not in svg for svg in svgs)
    assert any("&lt;script&gt;alert(1)&lt;/script&gt;" in svg for svg in svgs)  # text in the plot, escaped
    assert any("cost in $ and $$" in svg for svg in svgs)  # a dollar is not mathtext


# -- merging: shards, backends, conflicts -----------------------------------------------------

def test_merge_keeps_backends_side_by_side_and_lists_where_they_disagree(small_run: RunResult) -> None:
    tensorflow = [replace(f, library="keras", backend="tensorflow") for f in small_run.findings]
    jax = [replace(f, library="keras", backend="jax") for f in small_run.findings]
    flipped = next(i for i, f in enumerate(jax) if f.outcome == "pass")
    jax[flipped] = replace(jax[flipped], outcome="fail", message="differs on jax")
    merged = merge([replace(small_run, findings=tensorflow, versions={"keras_backend": "tensorflow"}),
                    replace(small_run, findings=jax, versions={"keras_backend": "jax"})])
    assert len(merged.findings) == 2 * len(small_run.findings)
    assert merged.versions["keras_backend"] == "tensorflow, jax"
    html = render(merged, plots=False)
    assert '<th data-c="keras (tensorflow)">' in html and '<th data-c="keras (jax)">' in html
    table = html[html.index('<table id="backend-disagreements">'):]
    table = table[:table.index("</table>")]
    assert table.count("<tr><td>") == 1 and jax[flipped].metric in table and "outcomes differ" in table


def test_a_known_difference_of_one_backend_is_a_disagreement(small_run: RunResult) -> None:
    """Both backends explained, by different known differences: e.g. Keras' PearsonCorrelation is inf on JAX only."""
    known = next(f for f in small_run.findings if f.outcome == "known")
    on_jax = {**known.cause, "what": "inf on JAX where the coefficient is undefined", "backends": "jax"}
    findings = [replace(known, library="keras", backend="tensorflow"),
                replace(known, library="keras", backend="jax", cause=on_jax)]
    html = render(replace(small_run, findings=findings), plots=False)
    table = html[html.index('<table id="backend-disagreements">'):]
    assert known.metric in table[:table.index("</table>")] and "different known differences" in table


def test_backends_that_agree_are_said_to(small_run: RunResult) -> None:
    both = [replace(f, library="keras", backend=b) for b in ("tensorflow", "torch") for f in small_run.findings]
    html = render(replace(small_run, findings=both), plots=False)
    assert 'id="backends-agree"' in html and "backend-disagreements" not in html


def test_merge_drops_identical_duplicates_and_shows_conflicting_ones(small_run: RunResult) -> None:
    changed = [replace(f, outcome="fail", message="shard 2 saw this") if i == 0 else f
               for i, f in enumerate(small_run.findings)]
    merged = merge([small_run, small_run, replace(small_run, findings=changed)])
    assert len(merged.findings) == len(small_run.findings) + 1
    html = render(merged, plots=False)
    conflict = html[html.index('<table id="conflict-table">'):]
    conflict = conflict[:conflict.index("</table>")]
    assert conflict.count("<tr><td>") == 1 and "shard 2 saw this" in conflict


def test_report_command_merges_shards(tmp_path: Path, small_run: RunResult) -> None:
    small_run.save(tmp_path / "a.json")
    other = replace(small_run, findings=[replace(f, metric="Recall") for f in small_run.findings])
    other.save(tmp_path / "b.json")
    process = subprocess.run([sys.executable, "-m", "conformance", "report", str(tmp_path / "a.json"),
                              str(tmp_path / "b.json"), "-o", str(tmp_path / "out.html")],
                             capture_output=True, text=True, cwd=ROOT)
    assert process.returncode == 0, process.stderr
    html = (tmp_path / "out.html").read_text()
    assert html.count('<tr data-m="') == 3  # AUC and Precision from a, Recall from b


# -- Keras: backend and the AUC curve ---------------------------------------------------------

def test_keras_findings_carry_the_backend_and_the_auc_curve_where_it_differs(profile) -> None:
    keras = pytest.importorskip("keras")
    finding = run_case(plan(["AUC"], ["keras"], ["agreement"])[0], profile)
    assert finding.backend == keras.backend.backend() and finding.outcome == "known"
    curve = finding.curve
    assert curve["kind"] == "ROC" and len(curve["library"]["x"]) == len(curve["library"]["y"]) >= 2
    library_area = np.trapezoid(curve["library"]["y"][::-1], curve["library"]["x"][::-1])
    assert library_area == pytest.approx(finding.library_value, abs=1e-6)  # the curve Keras integrated
    exact_area = np.trapezoid(curve["exact"]["y"], curve["exact"]["x"])
    assert exact_area == pytest.approx(finding.reference_value, abs=1e-9)
    html = render(RunResult(findings=[finding]))
    assert "AUC: the library&#39;s curve against the exact one" in html and html.count("<svg") == 2

    printed, namespace = io.StringIO(), {}  # the snippet reproduces the library's value with Keras alone
    with contextlib.redirect_stdout(printed):
        exec(compile(finding.snippet, "snippet", "exec"), namespace)
    assert float(namespace["observed"]) == pytest.approx(finding.library_value, abs=1e-7)
    assert "observed (" in printed.getvalue()


def test_the_pitfall_snippet_shows_the_per_batch_values_and_the_whole(small_run: RunResult) -> None:
    finding = next(f for f in small_run.findings if f.property == "batch_average_pitfall" and f.outcome == "known"
                   and f.metric == "Precision")
    printed, namespace = io.StringIO(), {}
    with contextlib.redirect_stdout(printed):
        exec(compile(finding.snippet, "snippet", "exec"), namespace)
    per_batch = [namespace[name] for name in sorted(namespace) if name.startswith("value_")]
    assert len(per_batch) >= 2 and printed.getvalue().count(" alone: ") == len(per_batch)
    assert np.mean(per_batch) == pytest.approx(finding.library_value, abs=1e-6)
    assert float(namespace["observed"]) == pytest.approx(finding.library_value, abs=1e-6)
    assert abs(namespace["observed"] - namespace["expected"]) == pytest.approx(finding.gap, abs=1e-6)


# -- writing: atomic, and interrupted runs ----------------------------------------------------

WRITER = """
import sys
from conformance.results import write_atomically
from pathlib import Path
target, n = Path(sys.argv[1]), 0
while True:
    n += 1
    write_atomically(target, f"<html>{n:09d}" + "x" * 20_000_000 + "</html>")
"""
WHOLE = len("<html>000000001") + 20_000_000 + len("</html>")


def test_a_crash_mid_write_leaves_the_previous_report_whole(tmp_path: Path) -> None:
    """A writer killed (SIGKILL: no clean-up) while it writes leaves the previous report whole."""
    target = tmp_path / "report.html"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], cwd=ROOT)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:  # wait for a report, then for the next write to be under way
            partial = [p for p in tmp_path.glob(".report.html.*.tmp") if 0 < p.stat().st_size < WHOLE]
            if target.exists() and partial:
                writer.kill()
                break
            time.sleep(0.001)
        writer.wait(timeout=30)
    finally:
        writer.kill()
    assert writer.returncode == -signal.SIGKILL, "the writer was not caught mid-write"
    text = target.read_text()
    assert len(text) == WHOLE and text.startswith("<html>") and text.endswith("</html>")
    leftovers = list(tmp_path.glob(".report.html.*.tmp"))
    assert leftovers and all(p.stat().st_size < WHOLE for p in leftovers)  # the write it was killed in


def test_ctrl_c_still_writes_the_findings_collected_so_far(tmp_path: Path) -> None:
    json_path, html_path = tmp_path / "r.json", tmp_path / "r.html"
    process = subprocess.Popen(
        [sys.executable, "-m", "conformance", "run", "--metrics", "AUC,Precision,Recall,BinaryAccuracy",
         "--libraries", "sklearn", "--json", str(json_path), "--report", str(html_path)],
        cwd=ROOT, stderr=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    for line in process.stderr:  # progress lines: one per case here (32 cases, a line per tenth)
        if re.match(r"\[\s*\d+%\] [1-9]", line):
            break
    process.send_signal(signal.SIGINT)
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 130, stderr
    assert "interrupted" in stderr and "Traceback" not in stderr
    result = RunResult.load(json_path)
    assert result.interrupted and 0 < len(result.findings) < 32
    html = html_path.read_text()
    assert "<strong>Interrupted:</strong>" in html and len(details_ids(html)) <= len(result.findings)


# -- which library to use, per metric ------------------------------------------------------------

def test_each_metric_says_which_library_agrees_and_what_to_use_instead() -> None:
    from conformance.decisions import decisions

    defect = {"what": "Scores outside [0, 1] are taken for logits. More text.", "kind": "defect"}
    convention = {"what": "Ties are broken by class index", "kind": "convention"}
    pitfall = {"what": "off", "kind": "pitfall"}
    findings = [
        Finding("M", "sklearn", "agreement", "pass"), Finding("M", "sklearn", "batch_average_pitfall", "known",
                                                              cause=pitfall, gap=0.25),
        Finding("M", "torchmetrics", "agreement", "known", cause=defect, regime="ordinary"),
        Finding("M", "torchmetrics", "order_invariance", "known", cause=defect, regime="ordinary"),
        Finding("M", "keras", "agreement", "known", cause=convention, regime="subnormal", backend="tensorflow"),
        Finding("N", "sklearn", "agreement", "fail", message="the value differs. Detail.", regime="ordinary"),
        Finding("N", "torchmetrics", "agreement", "known", cause=convention, regime="ordinary"),
    ]
    m, n = decisions(findings)
    verdicts = {v.column: v for v in m.verdicts}
    assert verdicts["sklearn"].summary == "agrees" and m.pitfall_gap == 0.25
    assert verdicts["torchmetrics"].summary == "has defects"
    assert verdicts["torchmetrics"].lines == [
        "defect: Scores outside [0, 1] are taken for logits [agreement, order_invariance]"]
    assert m.instead(verdicts["torchmetrics"]) == ["sklearn", "keras (tensorflow)"]
    assert verdicts["keras (tensorflow)"].summary == "agrees on ordinary inputs"
    n_verdicts = {v.column: v for v in n.verdicts}
    assert n_verdicts["sklearn"].summary == "has defects" and n.instead(n_verdicts["sklearn"]) == []
    assert n_verdicts["torchmetrics"].summary == "differs by convention"
    html = render(RunResult(findings=findings), plots=False)
    table = html[html.index('id="decision-table"'):]
    assert "use instead: sklearn, keras (tensorflow)" in table and "agrees on ordinary inputs" in table
