"""`conformance check`, `conformance.check()` and `conformance.testing.assert_conforms` on users' own metrics.

The gallery run (every broken metric caught, every correct one passing) is in test_gallery.py; these
tests hold the command-line contract, the result object, the pytest helper and target detection."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from conformance.results import RunResult

ROOT = Path(__file__).resolve().parents[1]
TORCH = "suites.gallery.torch_metrics"
MAX_ABS = "suites/gallery/user_references.py:max_absolute_error"


def conformance(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True, text=True, cwd=ROOT)


@pytest.mark.parametrize("args", [
    ("check", "no/such/file.py:Metric", "--reference", "mean_squared_error"),
    ("check", "suites/gallery/user_references.py:nothing", "--reference", "mean_squared_error"),
    ("check", "suites/gallery/user_references.py:np", "--reference", "mean_squared_error"),
    ("check", "no_such_module:Metric", "--reference", "mean_squared_error"),
    ("check", "suites/gallery/user_references.py:max_absolute_error", "--reference", "no_such_reference"),
    ("check", "suites/gallery/user_references.py:max_absolute_error", "--reference", "accuracy"),
    ("check", "suites/gallery/user_references.py:max_absolute_error", "--reference", MAX_ABS),
    ("check", "suites/gallery/user_references.py:max_absolute_error", "--reference", "f1_score",
     "--reference-args", '{"nope": 1}'),
    ("check", "suites/gallery/user_references.py:max_absolute_error", "--reference", "f1_score", "--init", "{bad"),
    ("check", "suites/gallery/user_references.py:max_absolute_error", "--reference", "f1_score", "--input", "images"),
    ("check", "suites/gallery/user_references.py:max_absolute_error"),
    ("check", f"{TORCH}:CorrectTorchMSE", "--reference", "mean_squared_error", "--init", '{"bogus": 1}'),
])
def test_check_usage_errors_are_one_line_and_exit_2(args) -> None:
    process = conformance(*args)
    assert process.returncode == 2, process.stdout + process.stderr
    lines = [line for line in process.stderr.strip().splitlines() if line.startswith("conformance: error:")]
    assert len(lines) == 1 and "Traceback" not in process.stderr, process.stderr


def test_cli_failing_metric_exits_1_with_minimal_example_json_and_report(tmp_path: Path, capsys) -> None:
    from conformance.cli import main
    from conformance.usercheck import properties_for

    status = main(["check", f"{TORCH}:CachedComputeAfterReset", "--reference", "mean_squared_error",
                   "--json", str(tmp_path / "r.json"), "--report", str(tmp_path / "r.html")])
    output = capsys.readouterr().out
    assert status == 1, output
    verdicts = [line.split()[:2] for line in output.splitlines() if line.split()[:1] in (["PASS"], ["FAIL"], ["SKIP"])]
    assert [name.rstrip(":") for _, name in verdicts] == [p.name for p in properties_for("torchmetrics")]
    failing = output[output.index("FAIL reset_then_result"):]
    assert "minimal example" in failing and "batch 0: y_true=" in failing
    assert "target " in failing and "reference " in failing and "difference " in failing
    result = RunResult.load(tmp_path / "r.json")
    finding = next(f for f in result.findings if f.property == "reset_then_result")
    assert finding.outcome == "fail" and finding.library == "torchmetrics"
    assert finding.metric == "CachedComputeAfterReset" and finding.example["batches"]
    assert "CachedComputeAfterReset" in (tmp_path / "r.html").read_text()


def test_cli_passing_metric_exits_0_and_says_why_weighted_properties_are_skipped(capsys) -> None:
    from conformance.cli import main

    status = main(["check", f"{TORCH}:CorrectMaxAbsoluteError", "--reference", MAX_ABS, "--input", "regression"])
    output = capsys.readouterr().out
    assert status == 0, output
    assert "SKIP sample_weights: the reference" in output and "no sample_weight parameter" in output
    assert "FAIL" not in output


def test_api_returns_a_result_and_raises_nothing_for_a_failing_metric() -> None:
    import conformance

    result = conformance.check(f"{TORCH}:AssignInsteadOfAccumulate", reference="mean_squared_error",
                               input="regression", properties=["agreement", "batch_accumulation"])
    assert not result.passed and result.outcome("agreement") == "pass"
    failure = result["batch_accumulation"]
    assert failure.outcome == "fail" and failure.reference_value != failure.library_value
    sizes = [len(batch["y_true"]) for batch in failure.example["batches"]]
    assert len(sizes) == 2 and sum(sizes) <= 3, sizes  # shrunk: the smallest stream that loses a batch
    assert "minimal example" in result.format(failures_only=True)


def test_api_takes_objects_and_callables() -> None:
    from conformance.usercheck import check
    from suites.gallery.torch_metrics import CorrectMaxAbsoluteError
    from suites.gallery.user_references import max_absolute_error

    result = check(CorrectMaxAbsoluteError, max_absolute_error, input="regression",
                   properties=["agreement", "distributed_sync"])
    assert result.passed, result.format()
    assert result.outcome("distributed_sync") == "pass"


def test_assert_conforms_fails_with_the_minimal_example_and_records_findings(monkeypatch) -> None:
    from conformance import testing

    recorded = []
    monkeypatch.setattr(testing, "record", recorded.extend)
    with pytest.raises(AssertionError, match="minimal example") as failure:
        testing.assert_conforms(f"{TORCH}:ComputeMutatesState", "mean_squared_error",
                                properties=["result_idempotence"])
    assert "FAIL result_idempotence" in str(failure.value)
    assert [f.property for f in recorded] == ["result_idempotence"] and recorded[0].outcome == "fail"
    result = testing.assert_conforms(f"{TORCH}:CorrectTorchMSE", "mean_squared_error", properties=["reset"])
    assert result.passed and recorded[-1].outcome == "pass"


def test_target_detection() -> None:
    import keras
    import torchmetrics

    from conformance.usercheck.loading import CheckUsageError, detect_kind

    class KerasOne(keras.metrics.Metric):
        pass

    class TorchOne(torchmetrics.Metric):
        pass

    assert detect_kind(KerasOne) == "keras" and detect_kind(TorchOne) == "torchmetrics"
    assert detect_kind(lambda y_true, y_pred: y_true) == "function"
    with pytest.raises(CheckUsageError, match="instance"):
        detect_kind(keras.metrics.Mean())
    with pytest.raises(CheckUsageError, match="neither"):
        detect_kind(dict)


def test_results_json_names_the_check_properties(tmp_path: Path) -> None:
    from conformance.usercheck import check

    result = check(f"{TORCH}:CorrectTorchMSE", "mean_squared_error", properties=["add_state", "merge_state"])
    result.run.save(tmp_path / "r.json")
    payload = json.loads((tmp_path / "r.json").read_text())
    assert [f["property"] for f in payload["findings"]] == ["merge_state", "add_state"]
    assert payload["versions"]["torchmetrics"]
