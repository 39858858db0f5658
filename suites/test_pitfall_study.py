"""The pitfall study on realistic data sets: populations, the gaps it measures, the JSON it writes, the report
section and the command line. Small designs (few batch sizes, settings and repetitions) keep these fast."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from conformance.catalogue import CATALOGUE
from conformance.domains import BINARY, MULTICLASS, REGRESSION, SEGMENTATION
from conformance.pitfall_study import (
    REFERENCE,
    SIZES,
    Scoring,
    StudySize,
    _seed,
    left_out_reason,
    measure,
    merge_studies,
    run_study,
)
from conformance.reference import roc_auc
from conformance.report import merge, render
from conformance.results import Finding, RunResult

# Its module-scoped fixture is one costly run: xdist keeps the module on one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("pitfall_study")

SPECS = {spec.id: spec for spec in CATALOGUE}
# Three batch sizes, two balances, one quality; every batch of an epoch scored, or batches holding 256 samples.
EVERY_BATCH = StudySize("test", {REFERENCE: Scoring(repetitions=2, samples=None)}, batch_sizes=(8, 64, 1024),
                        balances=(0.5, 0.01), qualities=(0.8,))
SAMPLED = replace(EVERY_BATCH, sources={REFERENCE: Scoring(repetitions=2, samples=256)})


def by_cell(rows: list[dict]) -> dict[tuple, dict]:
    return {(row["balance"], row["quality"], row["batch_size"]): row for row in rows}


# -- populations ------------------------------------------------------------------------------

@pytest.mark.parametrize("quality", [0.6, 0.8, 0.95])
def test_a_binary_population_has_its_balance_and_its_quality(quality: float) -> None:
    data = BINARY.population.draw(np.random.default_rng(1), 10_240, 0.01, quality)
    assert data.y_true.dtype == np.int64 and data.y_pred.dtype == np.float32 and data.y_pred.shape == (10_240,)
    assert data.y_true.sum() == round(0.01 * 10_240)  # exactly the balance it says
    assert roc_auc(data.y_true, data.y_pred) == pytest.approx(quality, abs=0.03)
    assert 0 < (data.y_pred > 0.5).mean() < 0.5  # balanced-weight scores: some predictions cross 0.5 even at 1/99


def test_multiclass_and_regression_populations_are_in_their_domains_form() -> None:
    rng = np.random.default_rng(2)
    multiclass = MULTICLASS.population.draw(rng, 10_240, 0.1, 0.8)
    assert multiclass.y_pred.shape == (10_240, multiclass.num_classes) and multiclass.y_pred.dtype == np.float32
    assert np.allclose(multiclass.y_pred.sum(axis=1), 1, atol=1e-6)
    assert np.bincount(multiclass.y_true)[0] == 10_240 - sum(np.bincount(multiclass.y_true)[1:])
    assert np.bincount(multiclass.y_true)[0] / 10_240 == pytest.approx(0.9, abs=1e-3)
    regression = REGRESSION.population.draw(rng, 10_240, 0.5, 0.8)
    assert regression.y_true.dtype == np.float32 and not REGRESSION.population.balanced
    assert np.corrcoef(regression.y_true, regression.y_pred)[0, 1] == pytest.approx(0.8, abs=0.02)


def test_which_metrics_are_studied_follows_decomposition_and_domain() -> None:
    assert left_out_reason(SPECS["Precision"]) is None
    assert "mean of per-sample values" in left_out_reason(SPECS["BinaryAccuracy"])
    assert "sum" in left_out_reason(SPECS["TruePositives"])
    assert SEGMENTATION.population is None and "no realistic population" in left_out_reason(SPECS["MeanIoU"])
    # Every metric the study measures is one whose per-batch mean can be off: not a mean, not a sum.
    studied = [spec for spec in CATALOGUE if left_out_reason(spec) is None]
    assert len(studied) > 40 and all(spec.decomposition == "none" for spec in studied)


# -- what it measures -------------------------------------------------------------------------

def test_the_gap_is_the_mean_of_per_batch_values_against_the_whole_computed_by_hand() -> None:
    """The row's median over one repetition is the gap a user would compute: the reference on each batch of 64
    (in the data set's order), averaged, against the reference on all 10,240 samples."""
    spec = SPECS["F1Score[average=macro]"]
    one = replace(EVERY_BATCH, sources={REFERENCE: Scoring(repetitions=1, samples=None)})
    row = by_cell(measure(spec, REFERENCE, one)["rows"])[(0.01, 0.8, 64)]
    data = MULTICLASS.population.draw(np.random.default_rng(_seed(0, "multiclass scores", 0.01, 0.8, 0)),
                                      10_240, 0.01, 0.8)
    per_batch = [spec.reference_value(data.take(slice(i, i + 64))) for i in range(0, 10_240, 64)]
    assert row["median"] == pytest.approx(abs(np.mean(per_batch) - spec.reference_value(data)), rel=1e-12)
    assert row["batches"] == row["scored_batches"] == 160 and row["unscored"] == 0


def test_a_non_decomposable_metric_is_off_at_small_batches_and_a_mean_is_not() -> None:
    """The property the study shows, and one that can fail: for recall on 1/99 data the gap at batch size 8 is far
    larger than at 1024; for accuracy (a mean of per-sample values) it is 0 at every batch size. Precision declared
    a mean (a wrong declaration) is caught: its gap is not 0."""
    recall = by_cell(measure(SPECS["Recall"], REFERENCE, EVERY_BATCH)["rows"])
    assert recall[(0.01, 0.8, 8)]["median"] > 0.3 > 10 * recall[(0.01, 0.8, 1024)]["median"]
    accuracy = measure(SPECS["BinaryAccuracy"], REFERENCE, EVERY_BATCH)["rows"]
    assert len(accuracy) == 6 and all(row["p95"] < 1e-12 for row in accuracy)
    mislabelled = replace(SPECS["Precision"], decomposition="mean")
    assert max(row["median"] for row in measure(mislabelled, REFERENCE, EVERY_BATCH)["rows"]) > 1e-3


def test_a_sampled_epoch_estimates_the_gap_of_every_batch_within_its_standard_error() -> None:
    """Where an epoch has more batches than the size scores, those drawn at random estimate its mean: on the same
    data sets, within a few standard errors of every batch's gap; the standard error is 0 where every batch was
    scored, and a mean's sampled gap is its noise."""
    for metric in ("Recall", "F1Score[average=macro]", "BinaryAccuracy"):
        exact = by_cell(measure(SPECS[metric], REFERENCE, EVERY_BATCH)["rows"])
        sampled = by_cell(measure(SPECS[metric], REFERENCE, SAMPLED)["rows"])
        assert exact.keys() == sampled.keys()
        for cell, row in sampled.items():
            # 256 samples: 32 batches of 8; at least MIN_BATCHES (24) of 64; the whole epoch of 1024 (10 batches)
            assert row["scored_batches"] == {8: 32, 64: 24, 1024: 10}[cell[2]]
            assert (row["sampling_error"] > 0) == (row["scored_batches"] < row["batches"])
            assert abs(row["median"] - exact[cell]["median"]) <= 3 * row["sampling_error"] + 1e-9, (metric, cell)
def test_batches_that_cannot_be_scored_alone_are_left_out_and_counted() -> None:
    """AUC on a batch with one class is undefined (NaN): left out, and the share recorded; at 1/99 and batch size
    8 most batches have no positive."""
    rows = by_cell(measure(SPECS["AUC"], REFERENCE, EVERY_BATCH)["rows"])
    assert rows[(0.01, 0.8, 8)]["unscored"] > 0.8 and rows[(0.5, 0.8, 1024)]["unscored"] == 0


def test_a_library_is_measured_through_its_own_values() -> None:
    """torchmetrics' AUROC gives 0 (with a warning) for a batch with one class, where the reference is undefined:
    its users average those zeros in, so its gap at 1/99 and batch size 8 is the whole AUC, not the reference's."""
    pytest.importorskip("torchmetrics")
    size = StudySize("test", {"torchmetrics": Scoring(1, 256), REFERENCE: Scoring(1, 256)}, batch_sizes=(8,),
                     balances=(0.01,), qualities=(0.8,))
    library = measure(SPECS["AUC"], "torchmetrics", size)["rows"][0]
    reference = measure(SPECS["AUC"], REFERENCE, size)["rows"][0]
    assert library["source"] == "torchmetrics" and library["unscored"] == 0 < reference["unscored"]
    assert library["median"] > 0.5 > 5 * reference["median"]


def test_the_study_is_deterministic_and_its_rows_are_complete() -> None:
    cases = [("Precision", "sklearn"), ("R2Score[outputs=1]", "sklearn"), ("BinaryAccuracy", "sklearn"),
             ("TruePositives", "sklearn"), ("MeanIoU", "sklearn")]
    study = run_study(cases, SAMPLED, seed=3)
    assert study == {**run_study(cases, SAMPLED, seed=3), "duration_s": study["duration_s"],
                     "cpu_s": study["cpu_s"]}
    assert set(study["left_out"]) == {"BinaryAccuracy", "TruePositives", "MeanIoU"}
    per_metric = {metric: [r for r in study["rows"] if r["metric"] == metric] for metric in ("Precision",
                                                                                               "R2Score[outputs=1]")}
    assert len(per_metric["Precision"]) == 2 * 1 * 3  # balances x qualities x batch sizes
    assert len(per_metric["R2Score[outputs=1]"]) == 3 and {r["balance"] for r in per_metric["R2Score[outputs=1]"]} \
        == {None}  # regression has no classes: one line
    assert all(r["source"] == REFERENCE and 0 <= r["median"] <= r["p95"] and 0 <= r["unscored"] <= 1
               for r in study["rows"])
    other = run_study(cases, SAMPLED, seed=4)
    assert [r["median"] for r in other["rows"]] != [r["median"] for r in study["rows"]]


def test_the_default_size_fits_make_report() -> None:
    """The default study runs the reference only, with sampled epochs; full adds every library."""
    assert set(SIZES["standard"].sources) == {REFERENCE} and SIZES["standard"].sources[REFERENCE].samples
    assert {"sklearn", "torchmetrics", "keras"} <= set(SIZES["full"].sources)


# -- results JSON and the report --------------------------------------------------------------

@pytest.fixture(scope="module")
def study() -> dict:
    return run_study([("Precision", "sklearn"), ("AUC", "sklearn"), ("BinaryAccuracy", "sklearn")], SAMPLED)


def test_the_study_round_trips_through_the_results_json_and_merges(tmp_path: Path, study: dict) -> None:
    result = RunResult(findings=[Finding("AUC", "sklearn", "agreement", "pass")], pitfall_study=study)
    result.save(tmp_path / "r.json")
    assert RunResult.load(tmp_path / "r.json") == result
    old = tmp_path / "old.json"  # written before the study existed
    old.write_text(json.dumps({k: v for k, v in result.to_json().items() if k != "pitfall_study"}))
    assert RunResult.load(old).pitfall_study is None
    precision = {**study, "rows": [r for r in study["rows"] if r["metric"] == "Precision"]}
    auc = {**study, "rows": [r for r in study["rows"] if r["metric"] == "AUC"]}
    merged = merge([replace(result, pitfall_study=precision), replace(result, pitfall_study=auc),
                    replace(result, pitfall_study=precision)]).pitfall_study
    assert sorted(map(json.dumps, merged["rows"])) == sorted(map(json.dumps, study["rows"]))
    assert merge_studies([]) is None


def test_the_report_shows_the_study_and_measurements_apart_from_known_differences(study: dict) -> None:
    measured = Finding("Precision", "sklearn", "batch_average_pitfall", "known", gap=0.25,
                       cause={"what": "The mean of per-batch values is off.", "cause": "not a mean", "where": "x",
                              "kind": "pitfall"})
    known = Finding("Precision", "sklearn", "agreement", "known",
                    cause={"what": "Ties differ.", "cause": "c", "where": "y", "kind": "convention"})
    html = render(RunResult(findings=[measured, known], pitfall_study=study))
    section = html[html.index('<h2 id="pitfall">'):]
    section = section[:section.find("<h2 ", 1)]
    assert section.count('<svg xmlns="http://www.w3.org/2000/svg" class="study"') == 2  # Precision and AUC
    assert 'id="pitfall-table"' in section and "BinaryAccuracy: a mean of per-sample values" in section
    assert '<tr data-metric="Precision">' in section and "0.25</a>" in section  # Hypothesis' number beside it
    assert 'data-count="1">known: 1<' in html and 'data-count="1">measured: 1<' in html
    causes = html[html.index('<h2 id="causes">'):html.index('<h2 id="details">')]
    assert "Ties differ." in causes and "per-batch values is off" not in causes
    assert '<div class="finding measured"' in html and 'data-o="measured"' in html


def test_the_command_line_runs_the_study_or_not(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    from conformance.cli import main

    def run(size: str) -> tuple[dict, str]:
        json_path, html_path = tmp_path / f"{size}.json", tmp_path / f"{size}.html"
        status = main(["run", "--metrics", "Recall", "--libraries", "sklearn", "--properties", "batch_average_pitfall",
                       "--pitfall-study", size, "--json", str(json_path), "--report", str(html_path)])
        assert status == 0, capsys.readouterr().err
        return json.loads(json_path.read_text()), html_path.read_text()

    results, html = run("quick")
    study = results["pitfall_study"]
    assert study["size"] == "quick" and {r["metric"] for r in study["rows"]} == {"Recall"}
    assert '<h2 id="pitfall">' in html and 'class="study"' in html
    results, html = run("off")
    assert "pitfall_study" not in results and 'class="study"' not in html


def test_measurements_are_counted_and_listed_apart_wherever_outcomes_are() -> None:
    """The console summary, `conformance check`'s labels, the counts and the per-metric decisions keep a pitfall
    measurement apart from known differences; a batch_average_pitfall finding that is a real difference (a mean
    metric off, explained by a convention) stays a difference."""
    import io

    from conformance.cli import print_summary
    from conformance.decisions import decisions
    from conformance.results import shown_counts
    from conformance.usercheck.output import label

    measured = Finding("F1", "sklearn", "batch_average_pitfall", "known", gap=0.2,
                       cause={"what": "off", "cause": "not a mean", "where": "x", "kind": "pitfall"})
    convention = Finding("F1", "sklearn", "batch_average_pitfall", "known", regime="ordinary", backend="jax",
                         cause={"what": "Weights are ignored", "cause": "c", "where": "y", "kind": "convention"})
    findings = [measured, convention, Finding("F1", "sklearn", "agreement", "pass")]
    assert shown_counts(findings)["known"] == 1 and shown_counts(findings)["measured"] == 1
    assert label(measured) == "MEASURED" and label(convention) == "NOTE"
    printed = io.StringIO()
    print_summary(RunResult(findings=findings), "r.json", "r.html", printed)
    header, _, total = printed.getvalue().splitlines()[1:4]
    columns = header.split()[1:]
    assert dict(zip(columns, map(int, total.split()[1:]), strict=True)) == {
        "fail": 0, "error": 0, "timeout": 0, "limit": 0, "known": 1, "measured": 1, "pass": 1, "skip": 0}
    by_column = {v.column: v for v in decisions(findings)[0].verdicts}
    assert by_column["sklearn"].agrees and decisions(findings)[0].pitfall_gap == 0.2
    assert by_column["sklearn (jax)"].lines == ["convention: Weights are ignored [batch_average_pitfall]"]
