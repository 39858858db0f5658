"""The harness must be able to fail: every broken metric in the gallery is caught, by the
properties named for it, and the correct implementations pass every property (no false alarms).
Every property catches at least one gallery bug."""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import pytest

from conformance import reference, tolerance
from conformance.adapters import get_adapter
from conformance.catalogue import NUM_CLASSES, Binding, MetricSpec
from conformance.domains import MULTICLASS, REGRESSION
from conformance.engine import Case, run_case
from conformance.profiles import PROFILES
from conformance.registry import PROPERTIES, by_name
from conformance.results import Finding

KERAS = "suites.gallery.keras_metrics"
TORCH = "suites.gallery.torch_metrics"

# (library, class, properties that must catch it). Empty: a correct metric, which must pass all.
GALLERY = [
    ("keras", f"{KERAS}.CorrectMSE", set()),
    ("keras", f"{KERAS}.WeightsOnNumeratorOnly", {"agreement", "sample_weights"}),
    ("keras", f"{KERAS}.AssignInsteadOfAccumulate", {"batch_accumulation"}),
    ("keras", f"{KERAS}.PerBatchAveraging", {"batch_accumulation"}),
    ("keras", f"{KERAS}.IncompleteReset", {"reset"}),
    ("keras", f"{KERAS}.ResultMutatesState", {"result_idempotence"}),
    ("keras", f"{KERAS}.NoReshapeBroadcasting", {"shape_conventions"}),
    ("keras", f"{KERAS}.ScalarWeightCountedOnce", {"shape_conventions"}),
    ("keras", f"{KERAS}.OffByOneDenominator", {"agreement", "batch_average_pitfall"}),
    ("keras", f"{KERAS}.MisalignedPredictions", {"order_invariance"}),
    ("keras", f"{KERAS}.PythonStateInUpdate", {"execution_modes"}),
    ("keras", f"{KERAS}.NaNOnEmptyBatch", {"empty_batches"}),
    ("keras", f"{KERAS}.CachedResult", {"reset_then_result"}),
    ("keras", f"{KERAS}.PythonListState", {"stateless_api"}),
    ("keras", f"{KERAS}.ConfigWithoutArguments", {"config_round_trip"}),
    ("keras", f"{KERAS}.EagerOnlyUpdate", {"model_fit"}),
    ("keras", f"{KERAS}.NumpyOnlyWeights", {"model_evaluate"}),
    ("keras", f"{KERAS}.Float16Count", {"long_stream"}),
    ("keras", f"{KERAS}.Float32Count", {"counts_past_2_24"}),
    ("keras", f"{KERAS}.Float32CastMSE", {"input_dtypes"}),
    ("keras", f"{KERAS}.PolicyDtypeState", {"input_dtypes"}),
    ("torchmetrics", f"{TORCH}.CorrectTorchMSE", set()),
    ("torchmetrics", f"{TORCH}.PlainAttributeCount", {"reset", "add_state", "state_round_trip"}),
    ("torchmetrics", f"{TORCH}.TorchNaNOnEmptyBatch", {"empty_batches"}),
    ("torchmetrics", f"{TORCH}.CachedComputeAfterReset", {"reset_then_result"}),
    ("torchmetrics", f"{TORCH}.ForwardReturnsRunningValue", {"forward"}),
    ("torchmetrics", f"{TORCH}.MeanStateSummedAcrossProcesses", {"distributed_sync", "merge_state"}),
    ("torchmetrics", f"{TORCH}.TorchFloat16Count", {"long_stream"}),
    ("torchmetrics", f"{TORCH}.TorchFloat32Count", {"counts_past_2_24"}),
    ("torchmetrics", f"{TORCH}.Float32CastTorchMSE", {"input_dtypes"}),
    ("torchmetrics", f"{TORCH}.InputDtypeSquares", {"input_dtypes"}),
    # bad_inputs: a NaN prediction read as 0; a label -1 counted as the last class (the other kinds raise)
    ("keras", f"{KERAS}.NaNPredictionsAsZero", {"bad_inputs"}),
    ("torchmetrics", f"{TORCH}.NegativeLabelAsLastClass", {"bad_inputs"}),
]
GALLERY_INIT = {"ConfigWithoutArguments": {"offset": 0.0}}  # a constructor argument the class requires
# Gallery metrics that are not mean squared errors: (reference, domain, constructor arguments).
GALLERY_CLASSIFIERS = {"NegativeLabelAsLastClass": (reference.categorical_accuracy, MULTICLASS,
                                                    {"num_classes": NUM_CLASSES})}


def gallery_spec(library: str, target: str) -> MetricSpec:
    name = target.rpartition(".")[2]
    if name in GALLERY_CLASSIFIERS:
        function, domain, init = GALLERY_CLASSIFIERS[name]
        return MetricSpec(name=name, reference=function, domain=domain, decomposition="mean", growth=tolerance.RATIO,
                          scale=1.0, bindings={library: Binding(target, init, weights=False)})
    return MetricSpec(
        name=name, reference=reference.mean_squared_error, domain=REGRESSION,
        decomposition="mean", growth=tolerance.RATIO, scale=0.0,
        bindings={library: Binding(target, GALLERY_INIT.get(name, {}), weights=library == "keras")},
    )


def gallery_pairs() -> list[tuple[str, str, str, bool]]:
    """(library, target, property, must catch it): each correct gallery metric with every property of its library,
    each broken one with the properties that must catch it (the rest would cost minutes and assert nothing)."""
    return [(library, target, prop.name, bool(catching)) for library, target, catching in GALLERY
            for prop in PROPERTIES if library in prop.targets and (not catching or prop.name in catching)]


@functools.cache
def _outcome(library: str, target: str, prop_name: str, profile_name: str) -> Finding:
    prop = by_name()[prop_name]
    catching = next(c for lib, t, c in GALLERY if (lib, t) == (library, target))
    if catching and prop.shrink:
        # Whether a property can catch the bug at all: each at the profile's full budget, without the per-property
        # caps the ci profile puts on the costly ones (reset, execution_modes). The long streams (>= 131,072
        # samples an example, never shrunk) keep theirs: their cap is their budget. A correct metric runs with the
        # caps a user's run has.
        prop = replace(prop, examples=None, library_examples=None)
    # A broken metric's failure is asserted with an example, not a minimal one (test_failure_is_shrunk_to_a_small_
    # example and suites/test_reduce.py show shrinking): a few seconds of it, where a compiled update traced anew at
    # each step made execution_modes' and model_fit's shrinks take 20-30 s.
    profile = PROFILES[profile_name]
    if catching:
        profile = replace(profile, shrink_seconds=min(profile.shrink_seconds, 3.0))
    return run_case(Case(gallery_spec(library, target), library, prop), profile, reuse_metrics=False)


def outcome(library: str, target: str, prop_name: str, profile) -> Finding:
    """The finding of ``target`` under property ``prop_name`` (each computed once per process)."""
    return _outcome(library, target, prop_name, profile.name)


def _caught(target: str) -> tuple[str, ...]:
    """The outcomes that catch ``target``: a precision limit for the narrow counters (right on ordinary data)."""
    return ("limit",) if target.rpartition(".")[2].rpartition(":")[2] in AT_A_LIMIT else ("fail", "error")


@pytest.mark.parametrize(("library", "target", "prop_name", "broken"), gallery_pairs(),
                         ids=[f"{t.rpartition('.')[2]}-{p}" for _, t, p, _ in gallery_pairs()])
def test_gallery_metric(library: str, target: str, prop_name: str, broken: bool, profile) -> None:
    finding = outcome(library, target, prop_name, profile)
    if broken:
        assert finding.outcome in _caught(target), f"{target} slipped past {prop_name}: {finding.outcome}"
        assert finding.example and finding.example["batches"], "a failure must carry its minimal example"
        return
    # Passing is judging: the property ran examples and passed, or says why it does not apply. A precision limit is
    # no failure: Keras keeps every metric's state in float32, so a correct Keras metric counting its samples stops at
    # 2^24 (counts_past_2_24 says so as a limit, as for Keras' own metrics).
    allowed = ("pass", "skip", "limit") if prop_name == "counts_past_2_24" else ("pass", "skip")
    assert finding.outcome in allowed, finding.message
    assert finding.outcome != "pass" or finding.examples_run > 0
    assert finding.outcome != "skip" or finding.message


@pytest.mark.parametrize("library", sorted({library for library, _, _ in GALLERY}))
def test_a_correct_metric_is_judged_by_most_properties(library: str) -> None:
    """A correct metric's properties do not skip wholesale: at least half of those of its library apply to it (a
    skip must have a reason the metric gives, not a gap of the harness)."""
    target = next(t for lib, t, c in GALLERY if lib == library and not c)
    spec, adapter = gallery_spec(library, target), get_adapter(library)
    mine = [p for p in PROPERTIES if library in p.targets]
    judged = [p for p in mine if not p.skip_reason(spec, adapter, spec.bindings[library], PROFILES["ci"])]
    assert len(judged) >= len(mine) // 2, sorted(p.name for p in mine if p not in judged)


# Properties no gallery metric (a mean squared error) can meet, each with the test that shows it can fail.
CAUGHT_ELSEWHERE = {
    # A string identifier resolves to Keras' own metric, not to a gallery class: a wrong expectation is caught.
    "compile_identifiers": "test_compile_identifiers_catches_a_resolution_to_another_metric",
}


def test_every_property_has_a_gallery_metric_built_to_break_it() -> None:
    """Each property of the gallery's libraries is among some broken metric's catching set (test_gallery_metric
    then requires that metric to be caught by it)."""
    caught = {prop for _, _, catching in GALLERY for prop in catching}
    applied = {p.name for p in PROPERTIES if {library for library, _, _ in GALLERY} & set(p.targets)}
    assert caught == applied - set(CAUGHT_ELSEWHERE), f"never broken: {sorted(applied - caught)}"


def test_failure_is_shrunk_to_a_small_example(profile) -> None:
    finding = outcome("keras", f"{KERAS}.AssignInsteadOfAccumulate", "batch_accumulation", profile)
    assert finding.outcome == "fail"
    sizes = [len(batch["y_true"]) for batch in finding.example["batches"]]
    # Shrinking should reach two short batches: the smallest input that shows a lost batch.
    assert len(sizes) == 2 and sum(sizes) <= 3, sizes


# -- conformance check: users' own metrics ------------------------------------------------------
# (target, reference, options, properties that must catch it). Empty: a correct metric, which must pass all.

USER_FUNCTIONS = "suites.gallery.user_functions"
MAX_ABS = "suites/gallery/user_references.py:max_absolute_error"
FLOAT64 = {"init": {"dtype": "float64"}}  # float64 state: a float32 count stops at 2^24 (counts_past_2_24)
F1 = {"input": "multiclass", "num_classes": 3}

CHECK_GALLERY = [
    (f"{KERAS}:CorrectMSE", "mean_squared_error", FLOAT64, set()),
    (f"{KERAS}:WeightsOnNumeratorOnly", "mean_squared_error", {}, {"sample_weights"}),
    (f"{KERAS}:AssignInsteadOfAccumulate", "mean_squared_error", {}, {"batch_accumulation", "model_evaluate"}),
    (f"{KERAS}:PerBatchAveraging", "mean_squared_error", {}, {"batch_accumulation"}),
    (f"{KERAS}:IncompleteReset", "mean_squared_error", {}, {"reset"}),
    (f"{KERAS}:ResultMutatesState", "mean_squared_error", {}, {"result_idempotence"}),
    (f"{KERAS}:NoReshapeBroadcasting", "mean_squared_error", {}, {"shape_conventions", "model_evaluate"}),
    (f"{KERAS}:OffByOneDenominator", "mean_squared_error", {}, {"agreement", "batch_average_pitfall"}),
    (f"{KERAS}:MisalignedPredictions", "mean_squared_error", {}, {"order_invariance"}),
    (f"{KERAS}:Float16Count", "mean_squared_error", FLOAT64, {"long_stream"}),
    (f"{KERAS}:Float32Count", "mean_squared_error", FLOAT64, {"counts_past_2_24"}),
    (f"{KERAS}:NaNOnEmptyBatch", "mean_squared_error", {}, {"empty_batches"}),
    (f"{KERAS}:CachedResult", "mean_squared_error", {}, {"reset_then_result"}),
    (f"{KERAS}:LegacyResetStates", "mean_squared_error", {}, {"legacy_reset_name"}),
    (f"{KERAS}:PythonNumberCount", "mean_squared_error", {}, {"reset", "graph_mode"}),
    (f"{KERAS}:ConfigWithoutArguments", "mean_squared_error", {"init": {"offset": 0.0}}, {"config_round_trip"}),
    (f"{KERAS}:PythonListState", "mean_squared_error", {}, {"stateless_api", "graph_mode"}),
    (f"{KERAS}:EagerOnlyUpdate", "mean_squared_error", {}, {"model_fit", "model_evaluate", "graph_mode"}),
    (f"{KERAS}:NumpyOnlyWeights", "mean_squared_error", {}, {"model_evaluate", "model_fit"}),
    (f"{TORCH}:CorrectTorchMSE", "mean_squared_error", {}, set()),
    (f"{TORCH}:CorrectWeightedTorchMSE", "mean_squared_error", {}, set()),
    (f"{TORCH}:CorrectMaxAbsoluteError", MAX_ABS, {"input": "regression"}, set()),
    (f"{TORCH}:CatStateAccuracy", "binary_accuracy", {"input": "binary"}, set()),
    (f"{TORCH}:ConfusionAccuracy", "categorical_accuracy", {"input": "multiclass", "num_classes": 3}, set()),
    (f"{TORCH}:PlainAttributeCount", "mean_squared_error", {},
     {"add_state", "reset", "distributed_sync", "state_round_trip"}),
    (f"{TORCH}:TorchFloat16Count", "mean_squared_error", {}, {"long_stream"}),
    (f"{TORCH}:TorchFloat32Count", "mean_squared_error", {}, {"counts_past_2_24"}),
    (f"{TORCH}:AssignInsteadOfAccumulate", "mean_squared_error", {}, {"batch_accumulation"}),
    (f"{TORCH}:ComputeMutatesState", "mean_squared_error", {}, {"result_idempotence"}),
    (f"{TORCH}:NoReshapeBroadcasting", "mean_squared_error", {}, {"shape_conventions"}),
    (f"{TORCH}:WeightsOnNumeratorOnly", "mean_squared_error", {}, {"sample_weights"}),
    (f"{TORCH}:MeanStateSummedAcrossProcesses", "mean_squared_error", {}, {"distributed_sync", "merge_state"}),
    (f"{TORCH}:SumWhereMaxNeeded", MAX_ABS, {"input": "regression"}, {"distributed_sync", "merge_state"}),
    (f"{TORCH}:CachedComputeAfterReset", "mean_squared_error", {}, {"reset_then_result"}),
    (f"{TORCH}:ForwardRaisesOnEmptyBatch", "mean_squared_error", {}, {"forward"}),
    (f"{TORCH}:ForwardReturnsRunningValue", "mean_squared_error", {}, {"forward"}),
    (f"{KERAS}:GuideTruePositivesAtOrAbove", "true_positives", {}, {"agreement"}),
    (f"{KERAS}:FlatArgmax", "categorical_accuracy", {"num_classes": 3}, {"agreement", "order_invariance"}),
    (f"{TORCH}:BatchMacroF1", "sklearn.metrics:f1_score",
     {"input": "multiclass", "num_classes": 3, "reference_args": {"average": "macro", "labels": [0, 1, 2]}},
     {"batch_accumulation"}),
    (f"{USER_FUNCTIONS}:squared_error", "mean_squared_error", {}, set()),
    (f"{USER_FUNCTIONS}:binary_hit", "binary_accuracy", {}, set()),
    (f"{USER_FUNCTIONS}:batch_mean_squared_error", "mean_squared_error", {}, {"compile_average",
                                                                             "batch_accumulation"}),
    (f"{USER_FUNCTIONS}:broadcasting_squared_error", "mean_squared_error", {}, {"model_evaluate", "agreement"}),
    (f"{USER_FUNCTIONS}:batch_macro_f1", "f1_score", F1, {"compile_average"}),
    (f"{USER_FUNCTIONS}:batch_recall", "recall", {"input": "binary"}, {"input_dtypes", "compile_average"}),
    (f"{KERAS}:Float32CastMSE", "mean_squared_error", {}, {"input_dtypes"}),
    (f"{KERAS}:PolicyDtypeState", "mean_squared_error", {}, {"input_dtypes"}),
    (f"{TORCH}:Float32CastTorchMSE", "mean_squared_error", {}, {"input_dtypes"}),
    (f"{TORCH}:InputDtypeSquares", "mean_squared_error", {}, {"input_dtypes"}),
    (f"{TORCH}:BoolSumRecall", "recall", {"input": "binary"}, {"input_dtypes"}),
    (f"{KERAS}:NaNPredictionsAsZero", "mean_squared_error", {}, {"bad_inputs"}),
    (f"{TORCH}:NegativeLabelAsLastClass", "categorical_accuracy", {"input": "multiclass", "num_classes": 3},
     {"bad_inputs"}),
]
# Right on ordinary data, wrong past a count a narrow float cannot hold: caught as ``limit``, not ``fail``.
AT_A_LIMIT = {"Float16Count", "Float32Count", "TorchFloat16Count", "TorchFloat32Count"}


def _check_id(entry) -> str:
    return entry[0].rpartition(":")[2] + ("" if entry[3] else "-correct") + (
        "-torch" if entry[0].startswith(TORCH) else "")


@pytest.fixture(scope="module")
def light_profile(profile):
    """Correct metrics run every property with fewer examples (ci profile: 5 a property, as every property of each of
    the gallery's correct metrics runs), and broken ones skip shrinking (test_check_shrinks_to_a_minimal_example
    checks it): the suite stays within minutes on two cores."""
    from dataclasses import replace

    return replace(profile, max_examples=5) if profile.name == "ci" else profile


@pytest.fixture(scope="module")
def unshrunk_profile(profile):
    from dataclasses import replace

    return replace(profile, shrink=False) if profile.name == "ci" else profile


@pytest.mark.parametrize(("target", "reference", "options", "catching"), CHECK_GALLERY,
                         ids=[_check_id(g) for g in CHECK_GALLERY])
def test_check_gallery(light_profile, unshrunk_profile, target: str, reference: str, options: dict,
                       catching: set[str]) -> None:
    """`conformance check` catches each broken metric by the properties named for it, with a minimal example,
    and passes each correct one (every property)."""
    from conformance.usercheck import check

    if not catching:
        result = check(target, reference, profile=light_profile, **options)
        assert result.passed, result.format(failures_only=True)
        assert {f.outcome for f in result.findings} <= {"pass", "skip", "known"}
        judged = [f for f in result.findings if f.outcome in ("pass", "known")]
        assert len(judged) >= len(result.findings) // 2, result.format()  # judged, not skipped past
        assert all(f.examples_run > 0 for f in judged)
        return
    result = check(target, reference, properties=sorted(catching), profile=unshrunk_profile, **options)
    caught = _caught(target)
    missed = {f.property for f in result.findings if f.outcome not in caught}
    assert not missed, f"{target} slipped past {sorted(missed)}\n{result.format()}"
    for finding in (f for f in result.findings if f.outcome in caught):
        assert finding.example and finding.example["batches"], "a failure must carry its minimal example"


def test_every_check_property_is_caught_by_a_gallery_entry() -> None:
    """Each property `conformance check` applies, for each kind of target, is named for some broken metric of the
    gallery (and test_check_gallery shows it catches that one): a property that can never fail is a defect."""
    from conformance.usercheck.runner import ALL_KINDS, properties_for

    named = {(_kind_of(target), prop) for target, _, _, catching in CHECK_GALLERY for prop in catching}
    general = {p.name for p in properties_for("function")} & {p.name for p in properties_for("keras")}
    for kind in ALL_KINDS:
        for prop in properties_for(kind):
            # A property shared by every kind is shown able to fail once; a kind's own, for that kind.
            kinds = ALL_KINDS if prop.name in general else (kind,)
            assert any((k, prop.name) in named for k in kinds), f"no gallery entry fails {prop.name} ({kind})"


def _kind_of(target: str) -> str:
    return {KERAS: "keras", TORCH: "torchmetrics", USER_FUNCTIONS: "function"}[target.partition(":")[0]]


def test_a_user_metric_meets_torchmetrics_own_sync_defect_as_known_not_as_its_failure(profile) -> None:
    """A correct user metric with integer list states, synced beside an idle rank, aborts in torchmetrics' base class:
    `conformance check` says so (known, with torchmetrics' cause), and does not fail the user's metric."""
    from conformance.usercheck import check

    result = check(f"{TORCH}:CatStateAccuracy", "binary_accuracy", input="binary", properties=["distributed_sync"],
                   profile=profile)
    (finding,) = result.findings
    assert finding.outcome == "known" and "saw no data" in finding.cause["what"], finding.message
    assert result.passed


# -- bad_inputs: what each gallery metric does with each kind of bad input ----------------------------------------

def test_bad_inputs_names_what_each_broken_metric_hides(profile) -> None:
    """The Keras metric reads a NaN prediction as 0 (and hides nothing else: lengths raise, infinities propagate);
    the torchmetrics one counts a label -1 as its last class and raises on every other kind."""
    keras = outcome("keras", f"{KERAS}.NaNPredictionsAsZero", "bad_inputs", profile).behaviours
    assert keras["NaN in y_pred"].startswith("hides:") and "NaN read as 0" in keras["NaN in y_pred"], keras
    assert {k for k, v in keras.items() if v.startswith("hides")} == {"NaN in y_pred"}, keras
    assert keras["length mismatch"].startswith("raises") and keras["+inf in y_pred"] == "returns inf", keras
    torch_ = outcome("torchmetrics", f"{TORCH}.NegativeLabelAsLastClass", "bad_inputs", profile)
    hidden = {k: v for k, v in torch_.behaviours.items() if v.startswith("hides")}
    assert list(hidden) == ["label -1"] and "the last class" in hidden["label -1"], torch_.behaviours
    assert torch_.example["details"]["bad_input"] == "label -1"
    assert all(v.startswith("raises ValueError") for k, v in torch_.behaviours.items() if k != "label -1")


def test_correct_gallery_metrics_raise_or_propagate_every_bad_input(profile) -> None:
    """The correct ones pass bad_inputs: a NaN or an infinity propagates, a length mismatch raises, a negative weight
    is used as given."""
    for library, target in (("keras", f"{KERAS}.CorrectMSE"), ("torchmetrics", f"{TORCH}.CorrectTorchMSE")):
        finding = outcome(library, target, "bad_inputs", profile)
        assert finding.outcome == "pass", finding.message
        behaviours = finding.behaviours
        assert behaviours["NaN in y_pred"] == "returns NaN", behaviours
        assert behaviours["length mismatch"].startswith("raises"), behaviours


def test_compile_identifiers_catches_a_resolution_to_another_metric(monkeypatch, profile) -> None:
    """compile_identifiers can fail: a table row expecting 'precision' to be Recall (a resolution to another metric)
    fails with what the identifier resolved to, while the table's own rows for Recall pass."""
    from conformance.catalogue import by_id
    from conformance.catalogue import compile_identifiers as table
    from conformance.registry import by_name

    wrong = table.CompileIdentifier("precision", "Recall", "binary_crossentropy", "a deliberately wrong row")
    monkeypatch.setattr(table, "IDENTIFIERS", (*table.IDENTIFIERS, wrong))
    table.identifiers_for.cache_clear()
    # Most examples show a wrong resolution (those where precision and recall differ: fp != fn).
    quick = replace(profile, max_examples=12, shrink=False, reduce_budget=0)
    try:
        uncapped = replace(by_name()["compile_identifiers"], examples=None, library_examples=None)
        finding = run_case(Case(by_id()["Recall"], "keras", uncapped), quick)
    finally:
        table.identifiers_for.cache_clear()
    assert finding.outcome == "fail", finding.message
    assert "'precision' with an output (n, 1) with y (n,) and loss 'binary_crossentropy' resolved to Precision" in (
        finding.message), finding.message
    assert "model.compile(optimizer='sgd', metrics=['precision'], loss='binary_crossentropy')" in finding.snippet
    # Its snippet (not one of test_snippets' runs: no catalogue metric fails the property) prints what compile()
    # resolved the identifier to and the finding's value.
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-c", finding.snippet], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "compile() resolved it to ['Precision']" in done.stdout, done.stdout
    observed = next(line for line in done.stdout.splitlines() if line.startswith("observed ("))
    assert np.isclose(float(observed.rsplit(" ", 1)[1]), float(np.ravel(finding.library_value)[0]), rtol=1e-6)


def test_a_correct_f1_on_keras_precision_and_recall_passes_counts_past_2_24(profile) -> None:
    """Keras' Precision and Recall keep float32 counts, each below 2^24 wherever a tail moves the F1 (a tail flips
    the category of what it counts): a correct F1 built on them passes, judged on some example."""
    from conformance.usercheck import check

    # No deadline: the property is judged, not timed (on a loaded machine its timed update may predict a timeout).
    result = check(f"{KERAS}:F1FromPrecisionRecall", "f1_score", input="binary", properties=["counts_past_2_24"],
                   profile=profile, deadline_s=3600)
    (finding,) = result.findings
    assert finding.outcome == "pass", result.format()
    assert finding.error_histogram and sum(finding.error_histogram) > 0
