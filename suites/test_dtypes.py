"""input_dtypes: how a presentation casts an example (every value exact in the dtype the library receives), the
tolerance of the dtype the library computes in, a narrowing metric caught, and Keras' global dtype policy restored."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from conformance import recording
from conformance.adapters import LibraryUnavailable, get_adapter
from conformance.adapters.base import present
from conformance.catalogue import Binding, batch, by_id
from conformance.context import Context
from conformance.data import Batch
from conformance.dtypes import (
    HALF_MAX,
    Presented,
    numpy_dtype,
    rounded_to_half,
    to_bfloat16,
    to_float64,
    to_half,
    values_for,
    widened_to_float64,
)
from conformance.engine import Case, run_case
from conformance.input_dtypes import presentations
from conformance.profiles import PROFILES
from conformance.registry import by_name
from conformance.results import Finding
from conformance.tolerance import UNIT_ROUNDOFF
from suites.test_gallery import KERAS, TORCH, gallery_spec
from suites.test_snippets import _run_batch

FLOAT32S = hnp.arrays(np.float32, st.integers(1, 20), elements=st.floats(width=32, allow_nan=False,
                                                                         allow_infinity=False))


def _library(name: str):
    try:
        adapter = get_adapter(name)
        adapter.versions()
    except LibraryUnavailable as error:
        pytest.skip(str(error))
    return adapter


@settings(max_examples=300, deadline=None)
@given(FLOAT32S)
def test_half_rounding_gives_numbers_float16_and_bfloat16_both_hold(values: np.ndarray) -> None:
    half = to_half(values)
    assert np.array_equal(half.astype(np.float16).astype(np.float32), half)
    assert np.array_equal(half.astype(numpy_dtype("bfloat16")).astype(np.float32), half)
    # Towards zero, never to zero: a domain's bounds ([0, 1], above -1, positive) hold after rounding.
    assert np.all(np.abs(half) <= np.abs(values)) or np.all(np.abs(values[np.abs(half) > np.abs(values)]) < 2.0**-24)
    assert np.array_equal(np.sign(half), np.sign(values))
    assert np.all(np.abs(half) <= HALF_MAX)


@settings(max_examples=300, deadline=None)
@given(FLOAT32S)
def test_float64_presentation_holds_digits_float32_cannot(values: np.ndarray) -> None:
    wide = to_float64(values)
    assert wide.dtype == np.float64
    assert np.array_equal(wide.astype(np.float32), values)  # it rounds back to the drawn float32
    nonzero = values != 0
    assert np.all(wide[nonzero].astype(np.float32).astype(np.float64) != wide[nonzero])  # ...which it is not
    assert np.all(np.abs(wide) <= np.abs(values))  # towards zero: within the domain's bounds


@settings(max_examples=200, deadline=None)
@given(FLOAT32S)
def test_bfloat16_rounding_without_ml_dtypes_is_ml_dtypes_own(values: np.ndarray) -> None:
    assert np.array_equal(to_bfloat16(values), values.astype(numpy_dtype("bfloat16")).astype(np.float32),
                          equal_nan=True)


def test_probability_rows_stay_distributions_in_float64() -> None:
    rows = np.array([[0.25, 0.75], [1 / 3, 2 / 3]], np.float32)
    rows[1] = rows[1] / rows[1].sum(dtype=np.float32)
    wide = widened_to_float64(Batch(np.array([0, 1]), rows)).y_pred
    assert np.allclose(wide.sum(axis=1), 1.0, rtol=0, atol=1e-15)
    scores = np.array([[0.25, 0.5], [0.125, 0.25]], np.float32)  # not rows of a distribution: left as they are
    assert np.array_equal(widened_to_float64(Batch(np.array([0, 1]), scores)).y_pred, to_float64(scores))


def test_presentation_casts_each_array_and_keeps_labels_apart() -> None:
    drawn = batch([0, 1, 1], [0.1, 0.75, 0.3], [1.0, 2.0, 0.5])
    binding = Binding("x", weights=True)
    real = Presented("float16", y_pred="float16", weights="float16")
    y_true, y_pred, weight = present(replace(binding, dtypes=real), values_for(drawn, real), {})
    assert (y_true.dtype, y_pred.dtype, weight.dtype) == (np.int64, np.float16, np.float16)
    assert np.array_equal(y_pred.astype(np.float32), rounded_to_half(drawn).y_pred)
    labels = Presented("bool labels", labels=True, y_true="bool")
    y_true, y_pred, _ = present(replace(binding, dtypes=labels), values_for(drawn, labels), {})
    assert y_true.dtype == np.bool_ and y_pred.dtype == np.float32
    bf16 = Presented("bfloat16", y_pred="bfloat16")
    assert present(replace(binding, dtypes=bf16), values_for(drawn, bf16), {})[1].dtype.name == "bfloat16"


def test_presentations_follow_the_data_and_the_library() -> None:
    _library("torchmetrics")
    specs = by_id()
    binary = Context(specs["BinaryAccuracy"], get_adapter("torchmetrics"),
                     specs["BinaryAccuracy"].bindings["torchmetrics"], "input_dtypes", PROFILES["ci"])
    names = [p.name for p in presentations(binary, batch([0, 1], [0.25, 0.75]))]
    assert names == ["float16", "bfloat16", "float64", "int32 labels", "bool labels", "float32 labels"]
    multiclass = Context(specs["CategoricalAccuracy"], get_adapter("torchmetrics"),
                         specs["CategoricalAccuracy"].bindings["torchmetrics"], "input_dtypes", PROFILES["ci"])
    names = [p.name for p in presentations(multiclass, batch([0, 2], [[0.5, 0.25, 0.25], [0.1, 0.2, 0.7]],
                                                             num_classes=3))]
    assert "bool labels" not in names and "int32 labels" in names  # class labels are not 0/1


@pytest.mark.parametrize(("library", "presented", "dtype"), [
    ("torchmetrics", Presented("float16", y_true="float16", y_pred="float16"), "float16"),
    ("torchmetrics", Presented("bfloat16", y_true="bfloat16", y_pred="bfloat16"), "bfloat16"),
    ("torchmetrics", Presented("float64", y_true="float64", y_pred="float64", compute="float64"), "float64"),
    ("keras", Presented("float16", y_true="float16", y_pred="float16"), "float32"),  # cast to the metric's dtype
    ("keras", Presented("mixed_float16", y_pred="float16", policy="mixed_float16"), "float32"),
    ("keras", Presented("float64", y_true="float64", y_pred="float64", compute="float64"), "float64"),
    ("sklearn", Presented("float64", y_true="float64", y_pred="float64"), "float64"),
    ("sklearn", Presented("int32 labels", labels=True, y_true="int32"), "float32"),
])
def test_the_bound_is_the_one_of_the_dtype_the_library_computes_in(library, presented, dtype) -> None:
    adapter = _library(library)
    spec = by_id()["MeanSquaredError"]
    ctx = Context(spec, adapter, replace(spec.bindings[library], dtypes=presented), "input_dtypes", PROFILES["ci"])
    batches = [batch([1.0, 2.0, 3.0], [1.5, 2.0, 2.5])]
    tolerance = ctx.judge.tolerance(batches)
    assert adapter.computes_in(ctx.binding) == dtype
    assert tolerance.rtol == pytest.approx(spec.growth * 6 * UNIT_ROUNDOFF[dtype] / (1 - 6 * UNIT_ROUNDOFF[dtype]))


# Gallery metrics input_dtypes must catch, and the presentation that shows each: (library, target, presentation).
NARROWING = [
    ("torchmetrics", f"{TORCH}.Float32CastTorchMSE", "float64"),
    ("keras", f"{KERAS}.Float32CastMSE", "float64"),
    ("torchmetrics", f"{TORCH}.InputDtypeSquares", "float16"),
    ("keras", f"{KERAS}.PolicyDtypeState", "mixed_float16"),
]


@pytest.fixture(scope="module")
def narrowing_findings(profile) -> dict[str, Finding]:
    """Each NARROWING metric's input_dtypes finding, by target (run once: the tests below read them)."""
    found = {}
    for library, target, _ in NARROWING:
        try:
            get_adapter(library).versions()
        except LibraryUnavailable:
            continue
        found[target] = run_case(Case(gallery_spec(library, target), library, by_name()["input_dtypes"]), profile,
                                 reuse_metrics=False)
    return found


@pytest.mark.parametrize(("library", "target", "presentation"), NARROWING[:3])
def test_a_metric_that_narrows_its_inputs_is_caught_in_that_dtype(library, target, presentation,
                                                                   narrowing_findings) -> None:
    _library(library)
    finding = narrowing_findings[target]
    assert finding.outcome in ("fail", "error"), finding.message
    assert finding.example["details"]["presented_dtypes"]["name"] == presentation
    assert presentation in finding.message
    assert presentation != "float64" or "compute in float64" in finding.message
    # The snippet sets the metric up as the property did, and feeds the failing presentation alone.
    assert ("set_dtype(torch.float64)" if library == "torchmetrics" else "dtype='float64'") in finding.snippet or (
        presentation == "float16")
    assert f"dtype=np.{presentation}" in finding.snippet or presentation == "float64"
    assert "bfloat16" not in finding.snippet, finding.snippet  # the presentations that agreed are left out


def test_each_dtype_findings_snippet_reproduces_its_value(narrowing_findings, tmp_path) -> None:
    """Run in a fresh interpreter, each snippet prints the value its finding reports (an overflow's inf included):
    the arrays in the dtypes fed, the metric set up as the property set it up (dtype=, set_dtype, mixed_float16)."""
    findings = list(narrowing_findings.values())
    if not findings:
        pytest.skip("neither Keras nor torchmetrics is installed")
    results = _run_batch([f.snippet for f in findings], tmp_path, "dtypes")
    for finding, result in zip(findings, results, strict=True):
        assert result["error"] is None, (finding.snippet, result["error"])
        reported = finding.library_value if finding.library_value is not None else float(
            finding.message.split()[1])  # "returned inf where ..."
        assert result["observed"] is not None and np.allclose(result["observed"], np.ravel(reported), rtol=1e-12,
                                                              equal_nan=True), (finding.snippet, result["stdout"])


@pytest.mark.parametrize("library", ["torchmetrics", "keras"])
def test_a_bfloat16_presentation_is_recorded_as_bfloat16(library, tmp_path) -> None:
    """A bfloat16 update is written as the float32 values cast to bfloat16 (ml_dtypes for NumPy, ``.to(torch.
    bfloat16)`` for a tensor), and the script prints the value the harness read."""
    adapter = _library(library)
    target = f"{TORCH}.CorrectTorchMSE" if library == "torchmetrics" else f"{KERAS}.CorrectMSE"
    spec = gallery_spec(library, target)
    binding = replace(spec.bindings[library], dtypes=Presented("bfloat16", y_true="bfloat16", y_pred="bfloat16"))
    values = values_for(batch([0.1, 2.0, -3.7], [1.3, 2.0, 250.0]), binding.dtypes)
    recording.start()
    try:
        metric = adapter.create(binding, spec.params, None, mode="eager")
        metric.update(values)
        value = metric.result()
        record = recording.snapshot("reference")
    finally:
        recording.stop()
    script = recording.render(record, value, np.asarray(0.0), title="bfloat16")
    assert "import ml_dtypes" in script or library == "torchmetrics", script
    assert ("to(torch.bfloat16)" if library == "torchmetrics" else "astype(ml_dtypes.bfloat16)") in script, script
    result = _run_batch([script], tmp_path, library)[0]
    assert result["error"] is None and np.allclose(result["observed"], value, rtol=1e-12), (script, result)


def test_a_correct_metric_passes_every_dtype(profile) -> None:
    _library("torchmetrics")
    finding = run_case(Case(gallery_spec("torchmetrics", f"{TORCH}.CorrectTorchMSE"), "torchmetrics",
                            by_name()["input_dtypes"]), profile, reuse_metrics=False)
    assert finding.outcome == "pass", finding.message


def test_keras_global_dtype_policy_is_restored_after_a_mixed_precision_presentation() -> None:
    adapter = _library("keras")
    import keras

    before = keras.config.dtype_policy().name
    spec = by_id()["MeanSquaredError"]
    binding = replace(spec.bindings["keras"], dtypes=Presented("mixed_float16", y_pred="float16",
                                                               policy="mixed_float16"))
    metric = adapter.create(binding, spec.params, None, mode="eager")
    assert keras.config.dtype_policy().name == before
    assert all(str(v.dtype) == "float32" for v in metric.metric.variables)  # Keras' metrics keep float32 state
    values = values_for(batch([1.0, 2.0], [1.5, 2.5]), binding.dtypes)
    metric.update(values)
    assert keras.config.dtype_policy().name == before
    with pytest.raises(Exception):  # noqa: B017 - an update that raises restores it too
        metric.update(Batch(np.zeros((2, 3), np.float32), np.zeros((2, 5), np.float32)))
    assert keras.config.dtype_policy().name == before


def test_a_metric_built_in_the_policys_compute_dtype_is_caught_with_its_float16_state(narrowing_findings) -> None:
    _library("keras")
    finding = narrowing_findings[f"{KERAS}.PolicyDtypeState"]
    assert finding.outcome in ("fail", "error"), finding.message
    assert finding.example["details"]["presented_dtypes"]["name"] == "mixed_float16"
    assert "are float16" in finding.message and "set_dtype_policy('mixed_float16')" in finding.snippet


def test_the_keras_function_wrappers_declared_are_keras_own_meanmetricwrappers() -> None:
    """The float16 declarations of Keras' losses go by this list: it must be exactly the bound classes that wrap a
    function (a new one, or one that stops wrapping, changes what computes in y_pred's dtype)."""
    _library("keras")
    import keras

    from conformance.adapters.base import resolve
    from conformance.catalogue import CATALOGUE
    from conformance.catalogue.dtypes import KERAS_WRAPPERS

    bound = {spec.bindings["keras"].target for spec in CATALOGUE if "keras" in spec.bindings}
    wrappers = {target.rsplit(".", 1)[-1] for target in bound
                if issubclass(resolve(target), keras.metrics.MeanMetricWrapper)}
    assert wrappers == KERAS_WRAPPERS


def _drawn(spec_id: str, library: str, parameters: dict) -> Context:
    """A context of ``spec_id`` bound to ``library`` with ``parameters`` drawn."""
    _library(library)
    spec = by_id()[spec_id]
    ctx = Context(spec, get_adapter(library), spec.bindings[library], "input_dtypes", PROFILES["ci"])
    ctx.subject.use_parameters(parameters)
    return ctx


def test_log_probabilities_are_not_presented_as_labels() -> None:
    ctx = _drawn("KLDivergence", "torchmetrics", {"log_prob": True})
    distributions = batch([[0.375, 0.625]], [[0.375, 0.625]], num_classes=2)
    names = [p.name for p in presentations(ctx, distributions)]
    assert names == ["float16", "bfloat16", "float64"]


@pytest.mark.parametrize(("spec_id", "parameters", "presentation", "cause"), [
    ("NormalizedRootMeanSquaredError", {"num_outputs": "several"}, "float16", "computes a float16 batch"),
    ("PearsonCorrelation", {"num_outputs": "several"}, "float16", "computes a float16 batch"),
    ("SpearmanCorrCoef", {"num_outputs": "several"}, "float64", "ranks in float32"),
    ("Recall[task=multilabel]", {"multidim_average": "samplewise"}, "float64", "stat-score metrics (accuracy"),
])
def test_dtype_declarations_hold_where_a_parameter_replaces_the_declarations(spec_id, parameters, presentation,
                                                                             cause) -> None:
    ctx = _drawn(spec_id, "torchmetrics", parameters)
    known = ctx.spec.known_for("torchmetrics", "input_dtypes", presentation=presentation)
    assert any(cause in k.what for k in known), [k.what[:60] for k in known]


def test_the_tweedie_overflow_trigger_reads_the_drawn_power() -> None:
    one = [batch([1.0], [1.0])]  # at p = 1 + 2^-23, y · ŷ^(1-p) / (1 - p) is 8.4e6: past float16's range
    for power, overflows in ((1.0 + 2.0**-23, True), (1.5, False)):
        ctx = _drawn("TweedieDevianceScore[power=0.0]", "torchmetrics", {"power": power})
        half = [k for k in ctx.spec.known_for("torchmetrics", "input_dtypes", presentation="float16")
                if "computes a float16 batch" in k.what]
        assert len(half) == 1 and half[0].applies(one) is overflows
