"""Regression errors and scores: single and multi-output, percentage, logarithmic, R², explained variance,
Tweedie deviances and cosine similarity."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue import float32
from conformance.catalogue.library_wide import REDUCTION, keras_loss_layouts, torchmetrics_squeezed
from conformance.catalogue.model import (
    EVERY_PROPERTY,
    HARNESS,
    NUM_CLASSES,
    Binding,
    Counterpart,
    Decomposition,
    KnownDifference,
    MetricSpec,
    Parameter,
    Witness,
    batch,
)
from conformance.data import Batch, concatenate
from conformance.domains import (
    LOG1P,
    POSITIVE,
    POSITIVE_PREDICTIONS,
    REGRESSION,
    REGRESSION_MULTI_OUTPUT,
    Domain,
)

# Four samples every regression domain takes (non-negative, away from 0), for the witnesses of Keras' layouts.
REGRESSION_SAMPLES = batch([1.0, 2.0, 3.0, 4.0], [1.5, 2.0, 0.5, 1.0])

# model.fit() passes (n,) targets with the model's (n, 1) output; Keras' regression losses squeeze them.
FIT_LAYOUT = ("flat", "column")
# Keras metrics whose function does not squeeze (R2Score needs 2-D inputs).
COLUMNS = ("column", "column")


def _squared(first: bool, keras_class: str) -> Parameter:
    """torchmetrics' MeanSquaredError(squared=...): the mean squared error or its root (Keras has two classes, two
    specs: the value the spec's own class computes first)."""
    def changes(squared: bool) -> dict[str, Any]:
        if squared == first:
            return {}
        return ({"reference": ref.mean_squared_error, "growth": tol.RATIO, "decomposition": "mean"} if squared else
                {"reference": ref.root_mean_squared_error, "growth": tol.ROOT, "decomposition": "none"})
    return Parameter("squared", (first, not first), spellings={"torchmetrics": "squared"}, reference=False,
                     changes=changes, absent={"keras": f"Keras' {keras_class} is one of two classes (MeanSquaredError, "
                                                       "RootMeanSquaredError)",
                                              "sklearn": "scikit-learn has two functions (mean_squared_error, "
                                                         "root_mean_squared_error)"})


def _regression(name: str, function: Callable[..., Any], *, decomposition: Decomposition, growth: float,
                sklearn_function: str, torch_class: str, torch_init: Mapping[str, Any] | None = None,
                keras_loss: bool = True, space: tuple[Parameter, ...] = ()) -> MetricSpec:
    """``keras_loss``: Keras' metric is a MeanMetricWrapper of the loss of the same name."""
    return MetricSpec(
        name=name, reference=function, domain=REGRESSION, decomposition=decomposition, growth=growth, scale=0.0,
        bindings={
            "keras": Binding(f"keras.metrics.{name}", layout=FIT_LAYOUT),
            "sklearn": Binding(f"sklearn.metrics.{sklearn_function}"),
            "torchmetrics": Binding(f"torchmetrics.regression.{torch_class}", dict(torch_init or {}), weights=False),
        },
        known=keras_loss_layouts(REGRESSION_SAMPLES) if keras_loss else (), space=space,
    )


# Several outputs reported one by one (scikit-learn's "raw_values"; torchmetrics' num_outputs=d) or averaged
# uniformly (torchmetrics' num_outputs=1 flattens them: the mean over every value, the same for a mean error).
MULTIOUTPUT = Parameter(
    "multioutput", ("uniform_average", "raw_values"),
    spellings={"sklearn": "multioutput", "torchmetrics": "num_outputs"},
    translations={"torchmetrics": {"uniform_average": 1, "raw_values": NUM_CLASSES}},
    absent={"keras": "Keras' regression metrics average every output (the loss's mean over the last axis)"},
)


def _multi_output(name: str, function: Callable[..., Any], *, decomposition: Decomposition, growth: float,
                  sklearn_function: str, torch_class: str, torch_init: Mapping[str, Any] | None = None,
                  known: tuple[KnownDifference, ...] = (), space: tuple[Parameter, ...] = ()) -> MetricSpec:
    """The same error on (n, d) data: averaged uniformly over the outputs, or per output (drawn)."""
    return MetricSpec(
        name=name, reference=function, params={"multioutput": "uniform_average"}, variant={"outputs": "multi"},
        domain=REGRESSION_MULTI_OUTPUT, decomposition=decomposition, growth=growth, scale=0.0,
        bindings={
            "keras": Binding(f"keras.metrics.{name}"),
            "sklearn": Binding(f"sklearn.metrics.{sklearn_function}"),
            "torchmetrics": Binding(f"torchmetrics.regression.{torch_class}", dict(torch_init or {}), weights=False),
        },
        known=known, space=(MULTIOUTPUT, *space),
    )


RMSE_POOLED = dict(
    what="With several outputs, {library} takes the root of the mean squared error over every output at once; "
         "the reference (scikit-learn's multioutput='uniform_average') averages the per-output roots.",
    overrides={"multioutput": "pooled"}, when={"multioutput": ("uniform_average",)},
)


def _some_row_norm_zero_in_float32(batches: list[Batch]) -> bool:
    """Some row of y_true or y_pred is zero, or its float32 sum of squares underflows to 0 (every entry
    below ~1e-19 in magnitude, e.g. [1.2e-38, 0])."""
    def underflows(rows: np.ndarray) -> np.ndarray:
        rows = rows.astype(np.float32)
        return np.einsum("ij,ij->i", rows, rows, dtype=np.float32) == 0
    return any(len(b) and (underflows(b.y_true) | underflows(b.y_pred)).any() for b in batches)


def _zero_vector_nan(library: str, where: str) -> KnownDifference:
    return KnownDifference(
        library, what="A zero row (in y_true or y_pred) has no direction; torchmetrics divides by its zero norm and "
        "returns NaN (or ±inf), where the reference (and Keras, as it documents) counts its cosine as 0. A row of "
        "tiny values counts as zero: its float32 norm underflows (‖[1.2e-38, 0]‖ is 0), so [1.2e-38, 0] against "
        "[-1, 0] gives -inf, not -1.",
        cause="_cosine_similarity_compute divides the dot product by preds.norm() * target.norm() without a guard, "
              "and the float32 norm squares each entry first (1.2e-38² underflows to 0).",
        where=where, raises="returned (NaN|-?inf)", trigger=_some_row_norm_zero_in_float32, properties=EVERY_PROPERTY,
    )


def _float32_norms(library: str, where: str) -> KnownDifference:
    return KnownDifference(
        library, what="A row of tiny entries (all below ~1e-19 in magnitude) has a float32 sum of squares in the "
        "subnormal range, where it keeps few digits: its norm, and its cosine, are off (‖[0, 2.6e-23]‖ is 3.7e-23, "
        "so [0, -3] against [0, 2.6e-23] gives -0.71, not -1).",
        cause="_cosine_similarity_compute divides by preds.norm(dim=-1) * target.norm(dim=-1), whose float32 norm "
              "squares and sums the entries in float32 without scaling them first.",
        where=where, overrides={"squares_in": "float32"}, properties=EVERY_PROPERTY,
    )


KERAS_L2_NORMALIZE = dict(
    what="Keras divides each row by max(‖row‖, 1e-7), so a row of norm below 1e-7 (e.g. of 1e-15 values) is "
         "scaled by 1e7 instead of being made a unit vector, and its cosine shrinks towards 0.",
    cause="cosine_similarity calls keras.utils.normalize -> ops.nn.normalize(order=2, epsilon=backend.epsilon()), "
          "x * minimum(rsqrt(sum(x²)), 1 / epsilon).",
    where="keras/src/losses/losses.py::cosine_similarity; keras/src/ops/nn.py::_normalize",
    overrides={"norm_floor": 1e-14},
)


TORCH_COSINE_COMPUTE = "torchmetrics/functional/regression/cosine_similarity.py::_cosine_similarity_compute"


def _cosine() -> MetricSpec:
    """Cosine similarity of rows: Keras' (its axis drawn: -1 and 1 are the rows' one axis here), torchmetrics' with
    its reduction drawn (the mean, the sum, or each sample's)."""
    return MetricSpec(
        name="CosineSimilarity", reference=ref.cosine_similarity, params={"reduction": "mean"},
        domain=REGRESSION_MULTI_OUTPUT, decomposition="mean", growth=tol.RATIO, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.CosineSimilarity"),
            "torchmetrics": Binding("torchmetrics.regression.CosineSimilarity", weights=False),
        },
        space=(Parameter("axis", (-1, 1), spellings={"keras": "axis"}, reference=False,
                         absent={"torchmetrics": "torchmetrics' CosineSimilarity takes rows (the last axis)"}),
               REDUCTION),
        known=(KnownDifference("keras", **KERAS_L2_NORMALIZE),
               torchmetrics_squeezed(ref.cosine_similarity, {"reduction": ("none",)}),
               _zero_vector_nan("torchmetrics", TORCH_COSINE_COMPUTE),
               _float32_norms("torchmetrics", TORCH_COSINE_COMPUTE)),
        absent={"sklearn": "scikit-learn has no cosine similarity metric (nearest: "
                           "sklearn.metrics.pairwise.cosine_similarity, a pairwise kernel matrix)"},
    )


def _sums_of_squares(batches: list[Batch]) -> tuple[np.ndarray, np.ndarray]:
    """Per output, the weighted ``(SS_tot, SS_res)`` of all ``batches`` (float64)."""
    data = concatenate(batches)
    y_true, y_pred = data.y_true.reshape(len(data), -1).astype(float), data.y_pred.reshape(len(data), -1).astype(float)
    weights = np.ones(len(data)) if data.sample_weight is None else data.sample_weight.astype(float)
    mean = weights @ y_true / weights.sum() if weights.sum() > 0 else np.zeros(y_true.shape[1])
    return weights @ (y_true - mean) ** 2, weights @ (y_true - y_pred) ** 2


def _keras_r2_is_nan(batches: list[Batch]) -> bool:
    """Some output with constant (weighted) targets predicted exactly: SS_tot = SS_res = 0, i.e. 0/0."""
    total, residual = _sums_of_squares(batches)
    return bool(((total == 0) & (residual == 0)).any())


def _every_output_constant(batches: list[Batch]) -> bool:
    total, _ = _sums_of_squares(batches)
    return bool((total == 0).all())


def _fewer_than_two_samples_so_far(batches: list[Batch]) -> bool:
    """Fewer than two samples in all, or in the first update (a result asked for after it sees one)."""
    sizes = [len(b) for b in batches if len(b)]
    return sum(sizes) < 2 or sizes[0] < 2


KERAS_R2_NAN = KnownDifference(
    "keras", what="Keras' R2Score returns NaN for an output whose targets are constant and predicted exactly "
    "(0/0: also with zero total weight), where scikit-learn and torchmetrics (and the reference) score it 1.0.",
    cause="result() computes 1 - total_mse / total and replaces only infinities (ops.where(ops.isinf(...), 0.0, ...)) "
          "by 0; 0/0 is NaN and stays.",
    where="keras/src/metrics/regression_metrics.py::R2Score.result",
    raises="returned NaN", trigger=_keras_r2_is_nan, kind="defect", properties=EVERY_PROPERTY,
    witness=Witness(inside=(batch([3.0, 3.0], [3.0, 3.0]),), outside=(batch([3.0, 3.0], [3.0, 2.0]),),
                    metric="R2Score[outputs=1]"),
)


def _variance_weighted_nan(library: str, where: str, formula: str) -> KnownDifference:
    return KnownDifference(
        library, when={"multioutput": ("variance_weighted",)},
        what=f"With multioutput variance weighting and every output constant (all variances 0), {library} "
        "divides by the zero sum of variances and returns NaN; scikit-learn (and the reference) average the "
        "outputs uniformly.",
        cause=f"{formula}, with no guard for a zero sum.", where=where,
        raises="returned NaN", trigger=_every_output_constant, kind="defect", properties=EVERY_PROPERTY,
        witness=Witness(inside=(batch([[1.0, 2.0], [1.0, 2.0]], [[1.0, 2.0], [0.0, 2.0]]),),
                        outside=(batch([[1.0, 2.0], [2.0, 3.0]], [[1.0, 2.0], [2.5, 3.0]]),),
                        parameters={"multioutput": "variance_weighted"}),
    )


def _r2_undefined_below_two_rows(y_true, y_pred, *, sample_weight=None, **params):
    """R², NaN for fewer than two samples, samples of weight 0 counted (scikit-learn's rule)."""
    return np.nan if len(y_true) < 2 else ref.r2_score(y_true, y_pred, sample_weight=sample_weight, **params)


SKLEARN_R2_ONE_SAMPLE = KnownDifference(
    "sklearn", what="scikit-learn's r2_score returns NaN (with a warning) for fewer than two samples, counting "
    "samples of weight 0: r2_score([1., 1e15], [1., 1e15], sample_weight=[1, 0]) is 1.0 while r2_score([1.], [1.]) "
    "is NaN, so a weight of 0 is not the same as dropping the sample. The reference scores a constant target like "
    "any other (1.0 if predicted exactly, else 0.0).",
    cause="'R^2 score is not well-defined with less than two samples.' (UndefinedMetricWarning), value NaN; "
          "the check is _num_samples(y_pred) < 2, before the weights are read.",
    where="sklearn/metrics/_regression.py::r2_score",
    reference=_r2_undefined_below_two_rows, properties=EVERY_PROPERTY,
    witness=Witness(inside=(batch([1.0], [1.0]),), outside=(batch([1.0, 2.0], [1.0, 2.5]),),
                    metric="R2Score[outputs=1]"),
)


def _float32_sums(library: str, what: str, cause: str, where: str, convention: Callable[..., Any],
                  witness: Witness) -> KnownDifference:
    """A library's float32 sums cancel: its value lies in ``catalogue.float32``'s interval (unbounded only where the
    data's spread is within rounding of its magnitude)."""
    return KnownDifference(library, what=what, cause=cause, where=where, reference=convention, bounds=float32.SIDES,
                           kind="defect", properties=EVERY_PROPERTY, witness=witness)


# Constant targets (their float32 sums cancel to noise, where the exact SS_tot is 0); outside, a spread like their size.
ONE_PASS_CONSTANT = Witness(inside=(batch([362.84375] * 3, [0.0] * 3),),
                            outside=(batch([0.0, 1.0, 3.0, 2.0], [0.5, 1.0, 2.0, 2.0]),), metric="R2Score[outputs=1]")
TWO_PASS_CONSTANT = replace(ONE_PASS_CONSTANT, inside=(batch([0.1] * 7, [0.2] * 7),))


R2_ONE_PASS = (
    "{library} accumulates float32 sums of the targets and of their squares and takes SS_tot = Σy² - (Σy)²/n: where "
    "the targets' spread is small beside their magnitude this cancels to rounding noise (for constant targets such "
    "as [170.875] * 8, noise instead of 0, so the constant-target rule is not applied and R² is e.g. 2.4e6 "
    "where it is 0.75). Explained only within the float32 bounds of those sums."
)
KERAS_R2_FLOAT32 = _float32_sums(
    "keras", R2_ONE_PASS.format(library="Keras' R2Score") + " On JAX, jax.jit fuses the subtraction into a "
    "multiply-subtract with the same bound.",
    "update_state accumulates sum and squared_sum in float32; result() takes total = squared_sum - sum * mean.",
    "keras/src/metrics/regression_metrics.py::R2Score.update_state / R2Score.result", float32.r2_score,
    ONE_PASS_CONSTANT)
TORCH_R2_FLOAT32 = _float32_sums(
    "torchmetrics", R2_ONE_PASS.format(library="torchmetrics' R2Score"),
    "tss = sum_squared_obs - sum_obs * sum_obs / num_obs, all float32.",
    "torchmetrics/functional/regression/r2.py::_r2_score_update / _r2_score_compute", float32.r2_score,
    ONE_PASS_CONSTANT)
SKLEARN_R2_FLOAT32 = _float32_sums(
    "sklearn", "scikit-learn computes r2_score in the inputs' float32: the float32 weighted mean of targets whose "
    "spread is small beside their magnitude (constant 1e15) is not exact, so SS_tot is rounding noise rather than "
    "0 and the constant-target rule (force_finite) is not applied: R² is -1.1e13 instead of 0.0. Explained only "
    "within the float32 bounds of those sums.",
    "_assemble_r2_explained_variance divides by the float32 denominator; no cast to float64.",
    "sklearn/metrics/_regression.py::r2_score, _assemble_r2_explained_variance", float32.r2_score,
    TWO_PASS_CONSTANT)
TORCH_R2_NEAR_ZERO = KnownDifference(
    "torchmetrics", what="torchmetrics' R2Score takes a sum of squares below 1e-4 in absolute terms as zero, whatever "
    "the targets' scale: an output whose SS_res < 1e-4 scores 1.0, and one whose SS_tot < 1e-4 scores 0.0, so "
    "R2Score()([1.0, 1.0], [1.0, 1.005]) (preds first) is 1.0 where it is -1.0.",
    cause="_r2_score_compute: cond_rss = ~torch.isclose(rss, 0, atol=1e-4), cond_tss likewise; raw scores default "
          "to 1 and are 1 - rss / tss only where both hold ('Account for near constant targets').",
    where="torchmetrics/functional/regression/r2.py::_r2_score_compute",
    overrides={"near_zero": 1e-4}, kind="defect", properties=EVERY_PROPERTY,
    witness=Witness(inside=(batch([1.0, 1.005], [1.0, 1.0]),), outside=(batch([1.0, 1.1], [1.0, 1.0]),),
                    metric="R2Score[outputs=1]"),
)
TORCH_R2_ONE_SAMPLE = KnownDifference(
    "torchmetrics", what="torchmetrics' R2Score raises for fewer than two samples (in all the updates together).",
    cause="_r2_score_compute raises ValueError('Needs at least two samples to calculate r2 score.').",
    where="torchmetrics/functional/regression/r2.py::_r2_score_compute",
    raises="Needs at least two samples", trigger=_fewer_than_two_samples_so_far, properties=EVERY_PROPERTY,
)


# Five samples of two outputs (the witnesses of the adjusted R²).
TWO_OUTPUTS = batch([[1.0, 2.0], [2.0, 1.0], [3.0, 5.0], [4.0, 3.0], [0.0, 1.0]],
                    [[1.5, 2.0], [2.0, 1.5], [2.5, 4.0], [4.0, 3.5], [0.5, 1.0]])


def _always(batches: list[Batch]) -> bool:
    return True


KERAS_JAX_ADJUSTED_R2_TRACED_IF = KnownDifference(
    "keras", what="On the JAX backend Keras' adjusted R2Score (num_regressors > 0) cannot be compiled: result() "
    "raises TracerBoolConversionError under jax.jit, so model.fit() / evaluate() with this metric fail on JAX "
    "(checked: model.compile(metrics=[R2Score(num_regressors=2)]); model.fit(...) raises).",
    cause="result() branches in Python on a metric variable (if self.num_regressors > self.num_samples - 1); "
          "tf.function's AutoGraph turns that into a graph conditional, jax.jit has a traced array there and no "
          "Python bool.",
    where="keras/src/metrics/regression_metrics.py::R2Score.result",
    raises="TracerBoolConversionError", trigger=_always, kind="defect", backends=("jax",),
    properties=("execution_modes", "model_evaluate", "model_fit"),
    witness=Witness(inside=(TWO_OUTPUTS,), outside=(TWO_OUTPUTS,), mode="jit", parameters={"num_regressors": 2},
                    metric="R2Score"),
)


# Keras' TensorFlow trainer compiles its steps without AutoGraph, so the same Python branch raises inside fit() and
# evaluate() on TensorFlow too (tf.function alone, with AutoGraph, turns it into a graph conditional).
KERAS_TRAINER_ADJUSTED_R2_PYTHON_IF = KnownDifference(
    "keras", what="Keras' adjusted R2Score (num_regressors > 0) cannot run inside model.fit() or evaluate() on "
    "TensorFlow: result() raises OperatorNotAllowedInGraphError (a symbolic tensor used as a Python bool), so "
    "compile(metrics=[R2Score(num_regressors=2)]) fails at the first step.",
    cause="result() branches in Python on a metric variable (if self.num_regressors > self.num_samples - 1); the "
          "TensorFlow trainer compiles its train and test steps with @tf.autograph.experimental.do_not_convert, so "
          "no AutoGraph turns the branch into a graph conditional.",
    where="keras/src/metrics/regression_metrics.py::R2Score.result; keras/src/backend/tensorflow/trainer.py "
          "(make_train_function, make_test_function)",
    raises=r"OperatorNotAllowedInGraphError: Using a symbolic `tf.Tensor` as a Python `bool`", trigger=_always,
    kind="defect", backends=("tensorflow",), properties=("model_evaluate", "model_fit", "compile_identifiers"),
    witness=Witness(inside=(TWO_OUTPUTS,), outside=(TWO_OUTPUTS,), mode="trainer", parameters={"num_regressors": 2},
                    metric="R2Score"),
)


# How several outputs' R² are combined, as each library spells it (Keras' class_aggregation; None: one per output).
R2_MULTIOUTPUT = Parameter(
    "multioutput", ("uniform_average", "variance_weighted", "raw_values"),
    spellings={"keras": "class_aggregation", "sklearn": "multioutput", "torchmetrics": "multioutput"},
    translations={"keras": {"variance_weighted": "variance_weighted_average", "raw_values": None}},
)
FORCE_FINITE = Parameter(
    "force_finite", (True, False), spellings={"sklearn": "force_finite"},
    absent={"keras": "Keras has no force_finite (its constant-target rule: see its declarations)",
            "torchmetrics": "torchmetrics has no force_finite (a constant target scores as the reference's rule)"},
)


def _is_adjusted(num_regressors: Any) -> bool:
    """num_regressors > 0: the adjusted R²."""
    return bool(num_regressors)


def _r2(*, single_output: bool = False) -> MetricSpec:
    """R² on one output or several (the aggregation drawn), adjusted for a drawn number of regressors (Keras'
    num_regressors, torchmetrics' adjusted; scikit-learn has none), scikit-learn's force_finite drawn."""
    known = [KERAS_R2_NAN, SKLEARN_R2_ONE_SAMPLE, TORCH_R2_ONE_SAMPLE, KERAS_R2_FLOAT32, TORCH_R2_FLOAT32,
             TORCH_R2_NEAR_ZERO, SKLEARN_R2_FLOAT32,
             replace(KERAS_JAX_ADJUSTED_R2_TRACED_IF, when={"num_regressors": _is_adjusted}),
             replace(KERAS_TRAINER_ADJUSTED_R2_PYTHON_IF, when={"num_regressors": _is_adjusted})]
    space = [Parameter("num_regressors", (0, 2, 1, 5), spellings={"keras": "num_regressors",
                                                                   "torchmetrics": "adjusted"},
                       absent={"sklearn": "scikit-learn's r2_score has no adjustment for the number of regressors"}),
             FORCE_FINITE]
    if not single_output:
        space.insert(0, R2_MULTIOUTPUT)
        known += [
            _variance_weighted_nan("keras", "keras/src/metrics/regression_metrics.py::R2Score.result",
                                   "ops.sum(total * raw_scores) / ops.sum(total)"),
            _variance_weighted_nan("torchmetrics", "torchmetrics/functional/regression/r2.py::_r2_score_compute",
                                   "torch.sum(tss / tss_sum * raw_scores)"),
            KnownDifference(
                "keras", what="Keras' adjusted R² counts every target value (n·d with d outputs) as an observation, "
                "where the adjustment 1 - (1 - R²)(n - 1)/(n - p - 1) (and torchmetrics) counts samples.",
                cause="update_state adds ops.size(y_true) (every element) to num_samples, and result() uses it as "
                      "n.",
                where="keras/src/metrics/regression_metrics.py::R2Score.update_state / R2Score.result",
                overrides={"samples": "values"}, kind="defect", when={"num_regressors": _is_adjusted},
                witness=Witness(inside=(TWO_OUTPUTS,),
                                outside=(batch(TWO_OUTPUTS.y_true[:, :1], TWO_OUTPUTS.y_pred[:, :1]),),
                                parameters={"num_regressors": 2})),
        ]
    return MetricSpec(
        name="R2Score", reference=ref.r2_score, params={"multioutput": "uniform_average", "num_regressors": 0},
        variant={"outputs": 1} if single_output else {}, domain=REGRESSION if single_output
        else REGRESSION_MULTI_OUTPUT, decomposition="none", growth=tol.R2, scale=1.0,
        bindings={"keras": Binding("keras.metrics.R2Score", layout=COLUMNS),
                  "sklearn": Binding("sklearn.metrics.r2_score"),
                  "torchmetrics": Binding("torchmetrics.regression.R2Score", weights=False)},
        space=tuple(space), known=tuple(known),
    )


def _explained_variance(multioutput: str, domain: Domain) -> MetricSpec:
    """Explained variance on one output, or on several with the aggregation drawn (the variant's first)."""
    single = domain is REGRESSION
    return MetricSpec(
        name="ExplainedVariance", reference=ref.explained_variance_score, params={"multioutput": multioutput},
        variant={} if single else {"multioutput": multioutput}, domain=domain, decomposition="none",
        growth=tol.R2, scale=1.0,
        known=(
            _float32_sums("torchmetrics", "torchmetrics' ExplainedVariance accumulates float32 sums of the errors, "
                          "the targets and their squares and subtracts them: where a spread is small beside its "
                          "magnitude the variance is rounding noise. Explained only within the float32 bounds of "
                          "those sums.", "_explained_variance_compute: diff_avg = sum_error / num_obs, numerator = "
                          "sum_squared_error / num_obs - diff_avg², likewise the denominator, all float32.",
                          "torchmetrics/functional/regression/explained_variance.py::_explained_variance_compute",
                          float32.explained_variance_score,
                          replace(ONE_PASS_CONSTANT, inside=(batch([12345.678] * 6, [1.0] * 6),),
                                  metric="ExplainedVariance")),
            _float32_sums("sklearn", "scikit-learn computes explained_variance_score in the inputs' float32: where "
                          "the targets' spread is small beside their magnitude the float32 variance is rounding "
                          "noise and the constant-target rule is not applied. Explained only within the float32 "
                          "bounds.", "_assemble_r2_explained_variance on float32 averages; no cast to float64.",
                          "sklearn/metrics/_regression.py::explained_variance_score", float32.explained_variance_score,
                          replace(TWO_PASS_CONSTANT, metric="ExplainedVariance")),
        ) + (() if single else (_variance_weighted_nan(
            "torchmetrics", "torchmetrics/functional/regression/explained_variance.py::_explained_variance_compute",
            "torch.sum(denominator / denom_sum * output_scores)"),)),
        bindings={
            "sklearn": Binding("sklearn.metrics.explained_variance_score"),
            "torchmetrics": Binding("torchmetrics.regression.ExplainedVariance", weights=False),
        },
        space=(FORCE_FINITE,) if single else (Parameter(
            "multioutput", (multioutput, *(v for v in ("uniform_average", "variance_weighted", "raw_values")
                                           if v != multioutput)),
            spellings={"sklearn": "multioutput", "torchmetrics": "multioutput"}), FORCE_FINITE),
        absent={"keras": "Keras has no explained variance metric (nearest: keras.metrics.R2Score, which also "
                         "penalises a constant bias)"},
    )


# The Gamma deviance 2 (log(ŷ/y) + y/ŷ - 1) subtracts terms of size ~1 where y ≈ ŷ: their float32 rounding
# (a few ulps of 1) stays in the result however small it is (y=[3, 4], ŷ=[3, 3]: 0.0456513, float32 off by
# 5.6e-8, 1.2e-6 relative). An absolute bound on the scale of those terms covers it.


def _tweedie_power(power: float) -> dict[str, Any]:
    """The inputs a power's deviance is defined on (0: any real; [1, 2): y >= 0, ŷ > 0; 2: y, ŷ > 0) and its
    tolerance's absolute part (the Gamma deviance's terms of size ~1)."""
    if power == 0:
        return {"domain": REGRESSION, "scale": 0.0}
    return {"domain": POSITIVE_PREDICTIONS if power < 2 else POSITIVE, "scale": 1.0 if power >= 2 else 0.0}


def _is_compound(power: Any) -> bool:
    """1 < power < 2 (compound Poisson-Gamma)."""
    return 1 < power < 2


def _has_terms(power: Any) -> bool:
    """power != 0 (the squared error has no terms to cancel)."""
    return power != 0


def _tweedie_float32(library: str, where: str, witness: Witness) -> KnownDifference:
    return _float32_sums(
        library, f"{library} computes the Tweedie deviance's terms in float32 (y^(2-p), y·ŷ^(1-p), ŷ^(2-p), or the "
        "logarithms of powers 1 and 2); they cancel where ŷ ≈ y and leave their rounding: mean_tweedie_deviance("
        "[0, 0, 0, 1e7+1], [1, 1, 1, 1e7+1], power=1.5) is 2.99976 in float32, 3.0 exactly. Explained only within "
        "the float32 rounding of the terms' magnitudes.",
        "The deviance is a sum of float32 terms whose size is that of y and ŷ, not of the deviance.", where,
        float32.mean_tweedie_deviance, witness)


def _tweedie() -> MetricSpec:
    """The mean Tweedie deviance at a drawn power: 0 (squared error), 1 (Poisson), 1.5 and any power in (1, 2)
    (compound Poisson-Gamma), 2 (Gamma); each on the inputs it is defined on."""
    compound = {"power": 1.5}
    return MetricSpec(
        name="TweedieDevianceScore", reference=ref.mean_tweedie_deviance, params={"power": 0.0},
        variant={"power": 0.0}, domain=REGRESSION, decomposition="mean", growth=tol.RATIO, scale=0.0,
        bindings={
            "sklearn": Binding("sklearn.metrics.mean_tweedie_deviance"),
            "torchmetrics": Binding("torchmetrics.regression.TweedieDevianceScore", weights=False),
        },
        space=(Parameter("power", (0.0, 1.0, 1.5, 2.0), spellings={"sklearn": "power", "torchmetrics": "power"},
                         span=(1.0, 2.0), changes=_tweedie_power),),
        absent={"keras": "Keras has no Tweedie deviance (nearest: keras.metrics.Poisson, the Poisson negative "
                         "log-likelihood, which differs from the power-1 deviance by terms in y_true alone)"},
        known=(
            replace(_tweedie_float32("sklearn", "sklearn/metrics/_regression.py::_mean_tweedie_deviance", Witness(
                inside=(batch([0.0, 0.0, 0.0, 1e7 + 1], [1.0, 1.0, 1.0, 1e7 + 1]),),
                outside=(batch([0.0, 1.0, 3.0], [1.0, 2.0, 2.5]),), parameters=compound)), when={"power": _has_terms}),
            replace(_tweedie_float32("torchmetrics", "torchmetrics/functional/regression/tweedie_deviance.py::"
                                                     "_tweedie_deviance_score_update", Witness(
                inside=(batch([6.0], [3.0]),), outside=(batch([0.0, 1.0], [1.0, 1.0]),), parameters=compound)),
                when={"power": _is_compound}),
        ),
        # scikit-learn's named deviances of powers 1 and 2 (documented as mean_tweedie_deviance of that power): the
        # power is theirs, not a keyword (the harness fixes it, with the inputs it is defined on)
        counterparts=tuple(Counterpart("sklearn", Binding(f"sklearn.metrics.{name}"), space=(Parameter(
            "power", (named_power,), spellings={"sklearn": HARNESS}, changes=_tweedie_power),))
                           for name, named_power in (("mean_poisson_deviance", 1.0), ("mean_gamma_deviance", 2.0))),
    )


def _mape() -> MetricSpec:
    return MetricSpec(
        name="MeanAbsolutePercentageError", reference=ref.mean_absolute_percentage_error,
        params={"epsilon": 0.0, "percent": True}, domain=REGRESSION, decomposition="mean", growth=tol.RATIO,
        scale=0.0,
        bindings={
            "keras": Binding("keras.metrics.MeanAbsolutePercentageError", layout=FIT_LAYOUT),
            "sklearn": Binding("sklearn.metrics.mean_absolute_percentage_error"),
            "torchmetrics": Binding("torchmetrics.regression.MeanAbsolutePercentageError", weights=False),
        },
        known=(
            KnownDifference(
                "keras", what="Keras divides by max(|y_true|, 1e-7): a target below 1e-7 in magnitude (0 included) "
                "counts as 1e-7, where the exact error is infinite (or far larger).",
                cause="mean_absolute_percentage_error divides by ops.maximum(ops.abs(y_true), backend.epsilon()).",
                where="keras/src/losses/losses.py::mean_absolute_percentage_error",
                overrides={"epsilon": 1e-7}),
            KnownDifference(
                "sklearn", what="scikit-learn returns a fraction, not a percentage (no factor 100), and divides by "
                "max(|y_true|, float64 machine epsilon 2.2e-16).",
                cause="'the output is not a percentage in the range [0, 100]' (docstring); "
                      "epsilon = xp.finfo(xp.float64).eps.",
                where="sklearn/metrics/_regression.py::mean_absolute_percentage_error",
                overrides={"percent": False, "epsilon": float(np.finfo(np.float64).eps)}),
            KnownDifference(
                "torchmetrics", what="torchmetrics returns a fraction, not a percentage (no factor 100), and divides "
                "by max(|target|, 1.17e-6).",
                cause="_mean_absolute_percentage_error_update: abs_diff / torch.clamp(torch.abs(target), min=epsilon) "
                      "with epsilon=1.17e-06; compute returns sum / num_obs.",
                where="torchmetrics/functional/regression/mape.py::_mean_absolute_percentage_error_update",
                overrides={"percent": False, "epsilon": 1.17e-6}),
            *keras_loss_layouts(REGRESSION_SAMPLES, epsilon=1e-7),
        ),
    )


def _msle() -> MetricSpec:
    return MetricSpec(
        name="MeanSquaredLogarithmicError", reference=ref.mean_squared_log_error, domain=LOG1P,
        # A float32 log(1 + y) carries an absolute error of about u (the rounding of 1 + y), whatever
        # its value, so a small squared difference of logs needs an absolute part in its bound.
        decomposition="mean", growth=tol.RATIO, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.MeanSquaredLogarithmicError", layout=FIT_LAYOUT),
            "sklearn": Binding("sklearn.metrics.mean_squared_log_error"),
            "torchmetrics": Binding("torchmetrics.regression.MeanSquaredLogError", weights=False),
        },
        known=(KnownDifference(
            "keras", what="Keras raises every value to at least 1e-7 before log(1 + y), so a 0 next to a value "
                          "below ~1e-3 moves the error by ~1e-7 in the log, and a value in (-1, 0), where log(1 + y) "
                          "is defined, counts as 1e-7: MeanSquaredLogarithmicError()([[-0.5]], [[0.0]]) is 0.0, not "
                          "log(0.5)² = 0.48.",
            cause="first_log = ops.log(ops.maximum(y_pred, epsilon) + 1.0), likewise for y_true, with "
                  "epsilon = backend.epsilon() = 1e-7.",
            where="keras/src/losses/losses.py::mean_squared_logarithmic_error",
            overrides={"epsilon": 1e-7}), *keras_loss_layouts(REGRESSION_SAMPLES, epsilon=1e-7)),
    )


# log cosh x = log((e^x + e^-x) / 2): e^x overflows float32 above ln(3.4028235e38) = 88.72284.
FLOAT32_EXP_OVERFLOW = float(np.log(np.float64(np.finfo(np.float32).max)))


def _an_error_overflows_exp(batches: list[Batch]) -> bool:
    """Some |y_pred - y_true|, in float32, is past where float32 exp overflows."""
    return any(len(b) and (np.abs(b.y_pred.astype(np.float32) - b.y_true.astype(np.float32))
                           > FLOAT32_EXP_OVERFLOW).any() for b in batches)


TORCH_LOGCOSH_OVERFLOW = KnownDifference(
    "torchmetrics", what="torchmetrics' LogCoshError computes log((exp(x) + exp(-x)) / 2) in float32, which "
    "overflows to inf for an error |x| above 88.72 (where float32 exp overflows); log cosh 89 is 88.31.",
    cause="_log_cosh_error_update: torch.log((torch.exp(diff) + torch.exp(-diff)) / 2), no log-sum-exp form.",
    where="torchmetrics/functional/regression/log_cosh.py::_log_cosh_error_update",
    raises="returned inf", trigger=_an_error_overflows_exp, kind="defect", properties=EVERY_PROPERTY,
    witness=Witness(inside=(batch([0.0], [88.75]),), outside=(batch([0.0], [88.5]),)),
)


# Keras: log cosh x = x + softplus(-2x) - log 2 in float32. The subtraction of log 2 (ulp 2^-24) after a softplus
# near it leaves an absolute error of up to ~1.5 ulp(log 2) = 9e-8 whatever x: an error below ~3e-4, whose log cosh
# is below ~5e-8, gives 0 or a few ulp of log 2. Each sample's value within 2 ulp of it, so their mean too.
LOG_2_ULPS = 2 * 2.0**-24


def _log_cosh_within_rounding(y_true, y_pred, *, sample_weight=None, side: float = 0.0) -> float:
    """The mean log cosh error moved by ``side`` times two ulps of log 2 (see LOG_2_ULPS)."""
    return ref.log_cosh_error(y_true, y_pred, sample_weight=sample_weight) + side * LOG_2_ULPS


KERAS_LOGCOSH_CANCELLATION = KnownDifference(
    "keras", what="Keras' LogCoshError is off by up to ~1e-7 absolute whatever the error, so a small error loses "
    "its value: log cosh 1e-4 = 5e-9 gives 0.0, log cosh 1e-3 = 5.0e-7 gives 4.77e-7.",
    cause="log_cosh computes x + softplus(-2x) - log(2) in float32: softplus(-2x) is log 2 - x + x^2/2 - ..., so "
          "subtracting log 2 (ulp 6e-8) cancels every digit of a log cosh below that; log cosh x ~ x^2 / 2 there.",
    where="keras/src/losses/losses.py::log_cosh",
    reference=_log_cosh_within_rounding, bounds=({"side": -1.0}, {"side": 1.0}), kind="defect",
    properties=EVERY_PROPERTY,
    witness=Witness(inside=(batch([0.0], [1e-4]),), outside=(batch([0.0], [3.0]),)),
)


def _log_cosh() -> MetricSpec:
    return MetricSpec(
        name="LogCoshError", reference=ref.log_cosh_error, domain=REGRESSION, decomposition="mean",
        growth=tol.RATIO, scale=0.0,
        bindings={
            "keras": Binding("keras.metrics.LogCoshError", layout=FIT_LAYOUT),
            "torchmetrics": Binding("torchmetrics.regression.LogCoshError", weights=False),
        },
        known=(TORCH_LOGCOSH_OVERFLOW, KERAS_LOGCOSH_CANCELLATION, *keras_loss_layouts(REGRESSION_SAMPLES)),
        absent={"sklearn": "scikit-learn has no log-cosh error"},
    )


SPECS: tuple[MetricSpec, ...] = (
    _regression("MeanSquaredError", ref.mean_squared_error, decomposition="mean", growth=tol.RATIO,
                sklearn_function="mean_squared_error", torch_class="MeanSquaredError",
                space=(_squared(True, "MeanSquaredError"),)),
    _regression("RootMeanSquaredError", ref.root_mean_squared_error, decomposition="none", growth=tol.ROOT,
                sklearn_function="root_mean_squared_error", torch_class="MeanSquaredError", keras_loss=False,
                space=(_squared(False, "RootMeanSquaredError"),)),
    _regression("MeanAbsoluteError", ref.mean_absolute_error, decomposition="mean", growth=tol.RATIO,
                sklearn_function="mean_absolute_error", torch_class="MeanAbsoluteError"),
    _multi_output("MeanSquaredError", ref.mean_squared_error, decomposition="mean", growth=tol.RATIO,
                  sklearn_function="mean_squared_error", torch_class="MeanSquaredError"),
    _multi_output("RootMeanSquaredError", ref.root_mean_squared_error, decomposition="none", growth=tol.ROOT,
                  sklearn_function="root_mean_squared_error", torch_class="MeanSquaredError",
                  torch_init={"squared": False},
                  known=(
                      KnownDifference("keras", **{**RMSE_POOLED, "what": RMSE_POOLED["what"].format(library="Keras")},
                                      cause="RootMeanSquaredError accumulates one weighted mean of every squared "
                                            "error (a Mean over all elements) and takes ops.sqrt of it.",
                                      where="keras/src/metrics/regression_metrics.py::RootMeanSquaredError"),
                      KnownDifference("torchmetrics",
                                      **{**RMSE_POOLED, "what": RMSE_POOLED["what"].format(library="torchmetrics")},
                                      cause="MeanSquaredError(num_outputs=1) flattens the inputs (preds.view(-1)) "
                                            "and returns sqrt(sum_squared_error / n_obs) over every element.",
                                      where="torchmetrics/functional/regression/mse.py::"
                                            "_mean_squared_error_update / _mean_squared_error_compute"),
                  )),
    _multi_output("MeanAbsoluteError", ref.mean_absolute_error, decomposition="mean", growth=tol.RATIO,
                  sklearn_function="mean_absolute_error", torch_class="MeanAbsoluteError"),
    _mape(),
    _msle(),
    _log_cosh(),
    _cosine(),
    _r2(single_output=True),
    _r2(),
    _explained_variance("uniform_average", REGRESSION),
    _explained_variance("variance_weighted", REGRESSION_MULTI_OUTPUT),
    _tweedie(),
)
