"""Issue drafts of unexpected findings: a real failure (a gallery bug, in real Keras) drafted as Markdown, written by
``conformance report --issues``, held by the report's "Copy as issue" button, its snippet reproducing the value."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from conformance.cli import main
from conformance.engine import Case, run_case
from conformance.issue_drafts import draft, write_drafts
from conformance.registry import by_name
from conformance.report import render
from conformance.results import RunResult
from suites.test_gallery import KERAS, gallery_spec

# Its module-scoped fixture is one costly run: xdist keeps the module on one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("issue_drafts")

pytest.importorskip("keras")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def failing_run(profile) -> RunResult:
    spec = gallery_spec("keras", f"{KERAS}.WeightsOnNumeratorOnly")
    finding = run_case(Case(spec, "keras", by_name()["agreement"]), profile, reuse_metrics=False)
    assert finding.outcome == "fail"
    return RunResult(findings=[finding], versions={"keras": "3.x", "tensorflow": "2.x", "numpy": np.__version__})


def test_a_draft_has_title_versions_values_snippet_definition_and_example(failing_run: RunResult) -> None:
    finding = failing_run.findings[0]
    text = draft(finding, failing_run.versions)
    assert text.startswith("# suites.gallery.keras_metrics.WeightsOnNumeratorOnly: ")
    assert "**Versions:** keras 3.x, numpy" in text
    assert f"- observed (the library): `{finding.library_value!r}`".replace("'", "") in text.replace("'", "")
    assert "```python\n" + finding.snippet.rstrip() + "\n```" in text
    assert "`reference.mean_squared_error()` (NumPy, float64)" not in text  # a user's metric: no catalogue spec
    assert "## Minimal example" in text and "- batch 0: y_true `" in text


def test_a_catalogued_metric_cites_its_reference_definition(failing_run: RunResult) -> None:
    from dataclasses import replace

    text = draft(replace(failing_run.findings[0], metric="MeanSquaredError"), failing_run.versions)
    assert "`reference.mean_squared_error()` (NumPy, float64):" in text and "> " in text


def test_report_issues_writes_one_file_per_unexpected_finding(failing_run: RunResult, tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    failing_run.save(results)
    assert main(["report", str(results), "-o", str(tmp_path / "r.html"), "--issues", str(tmp_path / "issues")]) == 0
    files = list((tmp_path / "issues").glob("*.md"))
    assert [f.name for f in files] == ["keras-tensorflow-WeightsOnNumeratorOnly-agreement.md"]
    assert write_drafts(RunResult(findings=[]), tmp_path / "none") == []


def test_the_report_holds_each_draft_behind_a_copy_button(failing_run: RunResult) -> None:
    html = render(failing_run, plots=False)
    assert html.count('<button class="copy issue" type="button">Copy as issue</button>') == 1
    assert re.search(r'<pre class="issue-draft" hidden># suites\.gallery', html)


def test_the_drafts_snippet_reproduces_the_library_value(failing_run: RunResult) -> None:
    finding = failing_run.findings[0]
    done = subprocess.run([sys.executable, "-c", finding.snippet], capture_output=True, text=True, timeout=300,
                          cwd=ROOT)
    assert done.returncode == 0, done.stderr[-2000:]
    printed = re.search(r"^observed \(.*\): (.*)$", done.stdout, re.M)
    assert printed and float(printed[1]) == pytest.approx(finding.library_value, rel=1e-6), done.stdout


@pytest.mark.parametrize(("library", "target", "address"), [
    ("sklearn", "sklearn.metrics.f1_score", "https://scikit-learn.org/stable/modules/generated/sklearn.metrics.f1_score"
     ".html"),
    ("keras", "keras.metrics.AUC", "https://keras.io/api/metrics/classification_metrics/#auc-class"),
    ("keras", "keras.metrics.MeanSquaredError", "https://keras.io/api/metrics/regression_metrics/#meansquarederror-class"),
    ("torchmetrics", "torchmetrics.classification.BinaryAUROC",
     "https://lightning.ai/docs/torchmetrics/stable/classification/auroc.html#binaryauroc"),
    ("torchmetrics", "torchmetrics.regression.KLDivergence",
     "https://lightning.ai/docs/torchmetrics/stable/regression/kl_divergence.html#kldivergence"),
    ("torchmetrics", "torchmetrics.classification.MultilabelRankingLoss",
     "https://lightning.ai/docs/torchmetrics/stable/classification/label_ranking_loss.html#multilabelrankingloss"),
    ("torchmetrics", "torchmetrics.aggregation.MeanMetric",
     "https://lightning.ai/docs/torchmetrics/stable/aggregation/mean.html#meanmetric"),
    ("keras", "suites.gallery.keras_metrics.WeightsOnNumeratorOnly", None),  # a user's metric: no library page
])
def test_a_draft_cites_the_library_s_own_documentation(library: str, target: str, address: str | None) -> None:
    from conformance.issue_drafts import library_docs

    assert library_docs(library, target) == address


def test_a_draft_says_the_snippet_reproduces_it_only_for_kinds_the_tests_run(failing_run: RunResult) -> None:
    from dataclasses import replace

    from conformance.issue_drafts import VERIFIED_SNIPPETS

    finding = replace(failing_run.findings[0], metric="AUC", binding="keras.metrics.AUC()")
    assert ("keras", "agreement") in VERIFIED_SNIPPETS
    verified = draft(finding, failing_run.versions)
    assert "the snippet above reproduces it with the library alone" in verified
    assert "https://keras.io/api/metrics/classification_metrics/#auc-class" in verified
    unverified = draft(replace(finding, property="a_new_property"), failing_run.versions)
    assert "reproduces it" not in unverified and "not yet run by the harness's own tests" in unverified
