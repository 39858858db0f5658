"""The harness must be able to fail: every broken metric in the gallery is caught, by the
properties named for it, and the correct implementations pass every property (no false alarms).
Every property catches at least one gallery bug."""

from __future__ import annotations

from dataclasses import replace

import pytest

from conformance import reference, tolerance
from conformance.catalogue import NUM_CLASSES, Binding, MetricSpec
from conformance.domains import MULTICLASS, REGRESSION
from conformance.engine import Case, run_case
from conformance.registry import PROPERTIES

# Its module-scoped fixture is one costly run: xdist keeps the module on one worker (make test: --dist loadgroup).
pytestmark = pytest.mark.xdist_group("gallery")

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
    ("keras", f"{KERAS}.Float32CastMSE", {"input_dtypes"}),
    ("keras", f"{KERAS}.PolicyDtypeState", {"input_dtypes"}),
    ("torchmetrics", f"{TORCH}.CorrectTorchMSE", set()),
    ("torchmetrics", f"{TORCH}.PlainAttributeCount", {"reset", "add_state", "state_round_trip"}),
    ("torchmetrics", f"{TORCH}.TorchNaNOnEmptyBatch", {"empty_batches"}),
    ("torchmetrics", f"{TORCH}.CachedComputeAfterReset", {"reset_then_result"}),
    ("torchmetrics", f"{TORCH}.ForwardReturnsRunningValue", {"forward"}),
    ("torchmetrics", f"{TORCH}.MeanStateSummedAcrossProcesses", {"distributed_sync", "merge_state"}),
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


@pytest.fixture(scope="module")
def outcomes(profile) -> dict[tuple[str, str], str]:
    """Each correct gallery metric run through every property of its library, each broken one through the
    properties that must catch it (what the tests below read; the rest would cost minutes and assert nothing)."""
    results = {}
    for library, target, catching in GALLERY:
        spec = gallery_spec(library, target)
        for prop in (p for p in PROPERTIES if library in p.targets and (not catching or p.name in catching)):
            # Whether a property can catch the bug at all: each at the profile's full budget, without the
            # per-property caps the ci profile puts on the costly ones (reset, execution_modes).
            uncapped = replace(prop, examples=None)
            results[target, prop.name] = run_case(Case(spec, library, uncapped), profile, reuse_metrics=False)
    return results


@pytest.mark.parametrize(("library", "target", "catching"), GALLERY, ids=[g[1].rpartition(".")[2] for g in GALLERY])
def test_gallery_metric(outcomes, library: str, target: str, catching: set[str]) -> None:
    flagged = {prop for (t, prop), finding in outcomes.items() if t == target and finding.outcome in ("fail", "error")}
    if not catching:
        assert not flagged, {p: outcomes[target, p].message for p in flagged}
        # Passing is judging: every property that applies to it ran examples and passed (a skip only where the
        # property says why it does not apply).
        mine = {prop: finding for (t, prop), finding in outcomes.items() if t == target}
        assert {f.outcome for f in mine.values()} <= {"pass", "skip"}, {p: f.message for p, f in mine.items()}
        assert all(f.examples_run > 0 for f in mine.values() if f.outcome == "pass")
        assert all(f.message for f in mine.values() if f.outcome == "skip")
        passed = sum(f.outcome == "pass" for f in mine.values())
        assert passed >= len(mine) // 2, {p: f.outcome for p, f in mine.items()}
        return
    missed = catching - flagged
    assert not missed, f"{target} slipped past {sorted(missed)}"
    for prop in catching:
        finding = outcomes[target, prop]
        assert finding.example and finding.example["batches"], "a failure must carry its minimal example"


def test_every_property_catches_a_gallery_bug(outcomes) -> None:
    caught = {prop for (_, prop), finding in outcomes.items() if finding.outcome in ("fail", "error")}
    applied = {p.name for p in PROPERTIES if {library for library, _, _ in GALLERY} & set(p.targets)}
    assert caught == applied, f"never fails: {sorted(applied - caught)}"


def test_failure_is_shrunk_to_a_small_example(outcomes) -> None:
    finding = outcomes[f"{KERAS}.AssignInsteadOfAccumulate", "batch_accumulation"]
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
    """Correct metrics run every property with fewer examples (ci profile), and broken ones skip shrinking
    (test_check_shrinks_to_a_minimal_example checks it): the suite stays within minutes on two cores."""
    from dataclasses import replace

    return replace(profile, max_examples=10) if profile.name == "ci" else profile


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
    caught = ("limit",) if target.rpartition(":")[2] in AT_A_LIMIT else ("fail", "error")
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

def test_bad_inputs_names_what_each_broken_metric_hides(outcomes) -> None:
    """The Keras metric reads a NaN prediction as 0 (and hides nothing else: lengths raise, infinities propagate);
    the torchmetrics one counts a label -1 as its last class and raises on every other kind."""
    keras = outcomes[f"{KERAS}.NaNPredictionsAsZero", "bad_inputs"].behaviours
    assert keras["NaN in y_pred"].startswith("hides:") and "NaN read as 0" in keras["NaN in y_pred"], keras
    assert {k for k, v in keras.items() if v.startswith("hides")} == {"NaN in y_pred"}, keras
    assert keras["length mismatch"].startswith("raises") and keras["+inf in y_pred"] == "returns inf", keras
    torch_ = outcomes[f"{TORCH}.NegativeLabelAsLastClass", "bad_inputs"]
    hidden = {k: v for k, v in torch_.behaviours.items() if v.startswith("hides")}
    assert list(hidden) == ["label -1"] and "the last class" in hidden["label -1"], torch_.behaviours
    assert torch_.example["details"]["bad_input"] == "label -1"
    assert all(v.startswith("raises ValueError") for k, v in torch_.behaviours.items() if k != "label -1")


def test_correct_gallery_metrics_raise_or_propagate_every_bad_input(outcomes) -> None:
    """The correct ones pass bad_inputs: a NaN or an infinity propagates, a length mismatch raises, a negative weight
    is used as given."""
    for target in (f"{KERAS}.CorrectMSE", f"{TORCH}.CorrectTorchMSE"):
        finding = outcomes[target, "bad_inputs"]
        assert finding.outcome == "pass", finding.message
        behaviours = finding.behaviours
        assert behaviours["NaN in y_pred"] == "returns NaN", behaviours
        assert behaviours["length mismatch"].startswith("raises"), behaviours
