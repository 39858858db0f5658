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
    ("check", f"{TORCH}:CorrectTorchMSE", "--reference", "sklearn.metrics:no_such_metric"),
    ("check", f"{TORCH}:CorrectTorchMSE", "--reference", "sklearn.metrics:f1_score", "--input", "multiclass"),
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
    verdicts = [line.split()[0] for line in output.splitlines() if line.split()[:1] in (["PASS"], ["FAIL"], ["SKIP"])]
    assert "FAIL" not in verdicts and verdicts.count("PASS") > verdicts.count("SKIP"), output


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


# -- what an author needs to hear: diagnoses on the evidence, nothing cut, nothing lost ----------------------

KERAS = "suites.gallery.keras_metrics"
FUNCTIONS = "suites.gallery.user_functions"


def test_num_classes_reaches_the_constructor_and_a_missing_argument_names_its_flag() -> None:
    from conformance.usercheck import CheckUsageError, check

    with pytest.raises(CheckUsageError, match=r"pass num_classes with --num-classes N or --init"):
        check(f"{KERAS}:NeedsNumClasses", "categorical_accuracy", properties=["agreement"])
    result = check(f"{KERAS}:NeedsNumClasses", "categorical_accuracy", num_classes=4, properties=["agreement"])
    assert result.passed, result.format()
    assert result.findings[0].outcome == "pass"


def test_a_reference_that_refuses_weights_skips_the_weighted_properties() -> None:
    from conformance.usercheck import check

    result = check(f"{FUNCTIONS}:squared_error", "spearman_corrcoef", input="regression",
                   properties=["sample_weights", "agreement"])
    assert result.outcome("sample_weights") == "skip"
    assert "spearman_corrcoef has no sample_weight" in result["sample_weights"].message


def test_a_target_that_crashes_on_integer_labels_is_reported_for_them_and_checked_with_float_ones() -> None:
    from conformance.usercheck import check

    result = check(f"{FUNCTIONS}:batch_recall", "recall", input="binary",
                   properties=["input_dtypes", "agreement", "compile_average"])
    dtypes = result["input_dtypes"]
    assert dtypes.outcome == "error" and "y_true int64" in dtypes.message, result.format()
    assert result.outcome("compile_average") == "fail"  # its real bug, shown now that it runs
    assert "int64" not in result["compile_average"].message


def test_precision_limit_is_its_own_outcome_and_fails_only_when_strict() -> None:
    from conformance.usercheck import check

    result = check(f"{TORCH}:TorchFloat32Count", "mean_squared_error", properties=["counts_past_2_24"])
    finding = result["counts_past_2_24"]
    assert finding.outcome == "limit" and finding.limit_starts == 2**24, result.format()
    assert result.passed and "LIMIT counts_past_2_24" in result.format()
    assert not check(f"{TORCH}:TorchFloat32Count", "mean_squared_error", properties=["counts_past_2_24"],
                     strict=True).passed


def test_a_value_wrong_at_a_small_scale_is_a_wrong_value_not_a_precision_limit() -> None:
    from conformance.usercheck import check

    result = check(f"{KERAS}:PerBatchAveraging", "mean_squared_error", properties=["counts_past_2_24",
                                                                                   "long_stream"])
    for name in ("counts_past_2_24", "long_stream"):
        finding = result[name]
        assert finding.outcome == "fail" and "long before" in finding.message, result.format()
        assert sum(len(b["y_true"]) for b in finding.example["batches"]) <= 1024


def test_legacy_reset_name_fails_only_where_reset_state_leaves_what_reset_states_clears() -> None:
    from conformance.usercheck import check

    harmless = check(f"{KERAS}:LegacyResetStatesHarmless", "mean_squared_error", properties=["legacy_reset_name"])
    assert harmless.outcome("legacy_reset_name") == "pass"
    assert "nothing is lost" in harmless["legacy_reset_name"].message
    broken = check(f"{KERAS}:LegacyResetStates", "mean_squared_error", properties=["legacy_reset_name"])
    finding = broken["legacy_reset_name"]
    assert finding.outcome == "fail" and finding.library_value != finding.reference_value


def test_stateless_result_of_a_variable_is_keras_defect_a_note() -> None:
    """Inside the declaration: result() returns the variable and the value read inside the scope is right. Just
    outside (the trigger does not hold: result() is computed, but state is kept outside the variables), the same
    property still fails: PythonListState in the gallery."""
    from conformance.usercheck import check

    result = check(f"{KERAS}:GuideTruePositives", "true_positives", properties=["stateless_api"])
    finding = result["stateless_api"]
    assert finding.outcome == "known" and "Metric.stateless_result" in finding.cause["where"], result.format()
    assert result.passed and "NOTE stateless_api" in result.format()
    outside = check(f"{KERAS}:PythonListState", "mean_squared_error", properties=["stateless_api"])
    assert outside.outcome("stateless_api") in ("fail", "error")


def test_layouts_no_training_loop_feeds_are_notes() -> None:
    from conformance.usercheck import check

    result = check(f"{TORCH}:ArgmaxAccuracy", "categorical_accuracy", properties=["shape_conventions"])
    finding = result["shape_conventions"]
    assert finding.outcome == "pass" and "no working training loop" in finding.message, result.format()


def test_a_broadcast_is_named_where_the_evidence_shows_it() -> None:
    from conformance.usercheck import check

    result = check(f"{KERAS}:NoReshapeBroadcasting", "mean_squared_error", properties=["shape_conventions"])
    message = result["shape_conventions"].message
    assert "broadcast to (n, n)" in message and "it is right" in message, message


def test_a_hanging_target_times_out_and_the_check_goes_on() -> None:
    from conformance.usercheck import check

    result = check(f"{TORCH}:SleepingMSE", "mean_squared_error", properties=["agreement", "add_state"],
                   deadline_s=2)
    assert [f.outcome for f in result.findings] == ["timeout", "timeout"], result.format()
    assert "deadline" in result["agreement"].message and "TIMEOUT agreement" in result.format()
    assert result.passed  # nothing was shown wrong; the timeouts are reported apart


def test_messages_are_never_cut_and_long_examples_go_to_a_file(tmp_path: Path) -> None:
    from conformance.results import Finding
    from conformance.usercheck.output import ExampleFiles, finding_lines

    batch = {"y_true": list(range(2000)), "y_pred": [0.5] * 2000, "sample_weight": None}
    finding = Finding("M", "keras", "graph_mode", "error", message="TypeError: in user code:\n\n  the reason",
                      example={"batches": [batch], "details": {}}, snippet="print(1)")
    lines = finding_lines(finding, ExampleFiles(tmp_path))
    assert any("the reason" in line for line in lines)
    written = [line for line in lines if "written to" in line]
    assert written and json.loads((tmp_path / "graph_mode.example.json").read_text())["batches"][0] == batch
    assert (tmp_path / "graph_mode.py").read_text() == "print(1)\n"
    short = Finding("M", "keras", "agreement", "fail", example={"batches": [
        {"y_true": [1, 2], "y_pred": [0.25, 0.5], "sample_weight": None}], "details": {}})
    assert any("y_true=[1, 2] y_pred=[0.25, 0.5]" in line for line in finding_lines(short))


def test_tolerance_holds_float32_resolution_near_zero() -> None:
    """A square of 1.4e-45 is 2e-90 in float64 and 0 in float32: within the bound; 1e-30 off is not."""
    import keras
    import numpy as np

    from conformance.tolerance import RATIO, compare, tolerance_for

    metric = keras.metrics.MeanSquaredError()
    metric.update_state(np.array([1.4e-45], np.float32), np.array([0.0], np.float32))
    bound = tolerance_for("float32", 1, 1, growth=RATIO, scale=0.0)
    assert compare(np.asarray(metric.result()), np.float64(1.4e-45) ** 2, bound)[0]
    assert not compare(np.float64(1e-30), np.float64(0.0), bound)[0]


def test_a_deadline_holds_outside_the_main_thread_and_never_fires_late() -> None:
    """pytest-xdist workers and notebooks' executors run off the main thread, where no timer signal is delivered."""
    import threading
    import time

    from conformance.usercheck.deadline import PropertyTimeout, deadline

    outcomes = []

    def crawl() -> None:
        try:
            with deadline(0.2):
                while True:
                    time.sleep(0.01)
        except PropertyTimeout:
            outcomes.append("timeout")
        with deadline(0.05):
            pass  # ends before its deadline: nothing must strike afterwards
        time.sleep(0.2)
        outcomes.append("after")

    worker = threading.Thread(target=crawl)
    worker.start()
    worker.join(5)
    assert outcomes == ["timeout", "after"]


def test_a_library_metric_is_the_reference_fed_the_inputs_it_takes() -> None:
    """scikit-learn's accuracy_score and f1_score take labels (the scores thresholded, or argmax'd); a torchmetrics
    class takes (preds, target) and its number of classes; a Keras class its (n, 1) columns."""
    from conformance.usercheck import check

    hit = check(f"{FUNCTIONS}:binary_hit", "sklearn.metrics:accuracy_score", input="binary",
                properties=["agreement", "sample_weights", "compile_average"])
    assert hit.passed and hit.outcome("sample_weights") == "pass", hit.format()
    averaged = check(f"{FUNCTIONS}:batch_macro_f1", "sklearn.metrics:f1_score", input="multiclass", num_classes=3,
                     reference_args={"average": "macro"}, properties=["compile_average"])
    assert averaged.outcome("compile_average") == "fail", averaged.format()
    right = check(f"{TORCH}:CorrectTorchMSE", "torchmetrics.regression:MeanSquaredError",
                  properties=["agreement", "batch_accumulation"])
    assert right.passed and right.input_kind == "regression", right.format()
    lost = check(f"{TORCH}:AssignInsteadOfAccumulate", "keras.metrics:MeanSquaredError",
                 properties=["batch_accumulation"])
    assert lost.outcome("batch_accumulation") == "fail", lost.format()


def test_a_library_reference_that_raises_is_undefined_there_and_tasks_are_filled() -> None:
    import numpy as np

    from conformance.failures import Undefined
    from conformance.usercheck.library_reference import resolve_library_reference

    f1 = resolve_library_reference("sklearn.metrics:f1_score", {}, "binary")
    assert f1.takes_weights and f1.call.binding.y_pred == "above-threshold"
    y_true, scores = np.array([0, 1, 1]), np.array([0.2, 0.7, 0.4], np.float32)
    assert f1.call(y_true, scores) == pytest.approx(2 / 3)
    with pytest.raises(Undefined, match="f1_score raises ValueError"):
        f1.call(y_true, scores, np.zeros(3, np.float32))
    wrapper = resolve_library_reference("torchmetrics:Accuracy", {}, "multiclass")  # the task wrapper
    assert wrapper.spec is None and wrapper.call.binding.init["task"] == "multiclass" and not wrapper.takes_weights
    rows = np.array([[0.9, 0.1, 0.0], [0.2, 0.7, 0.1], [0.5, 0.1, 0.4]], np.float32)
    assert wrapper.call(np.array([0, 1, 2]), rows) == pytest.approx(2 / 3)


def test_a_long_streams_snippet_is_a_loop_that_reproduces_the_value(tmp_path: Path) -> None:
    """131,072 samples are not written out: the snippet loops over the example's batch as the property fed it, and
    prints the value where the limit starts, which is the finding's."""
    import re

    from conformance.usercheck import check

    result = check(f"{TORCH}:TorchFloat16Count", "mean_squared_error", properties=["long_stream"])
    finding = result["long_stream"]
    assert finding.outcome == "limit" and "for start in range(" in finding.snippet, finding.snippet
    assert len(finding.snippet) < 4000
    (tmp_path / "snippet.py").write_text(finding.snippet)
    done = subprocess.run([sys.executable, "snippet.py"], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(ROOT), "PATH": ""}, timeout=300)
    printed = re.search(r"^observed \(after ([\d,]+) samples\): ([-\d.e]+)", done.stdout, re.M)
    assert printed and int(printed[1].replace(",", "")) == finding.limit_starts, done.stdout + done.stderr
    assert float(printed[2]) == pytest.approx(finding.library_value, abs=1e-4), done.stdout


def test_tensorflows_start_up_lines_are_dropped_and_nothing_else() -> None:
    """What TensorFlow's C++ writes to descriptor 2 on import is filtered; any other line comes through, in order."""
    code = ("import os\nfrom conformance.quiet import tensorflow_start_up_quieted\n"
            "with tensorflow_start_up_quieted():\n"
            "    os.write(2, b'WARNING: All log messages before absl::InitializeLog() is called are written\\n')\n"
            "    os.write(2, b'a real error\\n')\n"
            "    os.write(2, b'I0000 port.cc:153] oneDNN custom operations are on.\\n')\n"
            "os.write(2, b'after\\n')\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert done.stderr == "a real error\nafter\n", done.stderr
