"""Correlation coefficients: Pearson, Lin's concordance and Spearman, over samples and (Keras) across outputs."""

from __future__ import annotations

import numpy as np

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue import float32
from conformance.catalogue.model import (
    EVERY_PROPERTY,
    Binding,
    KnownDifference,
    MetricSpec,
    Witness,
    batch,
)
from conformance.data import Batch
from conformance.domains import REGRESSION, REGRESSION_MULTI_OUTPUT

NO_SKLEARN = ("scikit-learn has no {name} metric (nearest: {nearest})")
# Five samples with some spread, split unevenly (the witnesses of Keras' per-batch and layout declarations).
SAMPLES = batch([1.0, 2.0, 4.0, 3.0, 0.0], [1.0, 3.0, 2.0, 5.0, 1.0])
FLAT = ("flat", "flat")


def _weighted(batches: list[Batch]) -> bool:
    return any(b.sample_weight is not None for b in batches)


def _keras_rejects_weights(name: str) -> KnownDifference:
    return KnownDifference(
        "keras", what=f"Keras' {name} raises when given sample weights with (n,) inputs: the per-batch coefficient "
        "is a scalar, and the (n,) weights cannot be broadcast to it.",
        cause="MeanMetricWrapper passes the function's scalar value and the (n,) sample_weight to "
              "reduce_to_samplewise_values, whose ops.broadcast_to(sample_weight, shape(values)) fails "
              "('Rank of input (1) must be no greater than rank of output shape (0)').",
        where="keras/src/metrics/reduction_metrics.py::reduce_to_samplewise_values; "
              "keras/src/backend/{tensorflow,jax,torch}/numpy.py::broadcast_to",
        # The same failed broadcast in each backend's words: TensorFlow eagerly, TensorFlow compiled (at trace
        # time), JAX, and torch (Tensor.expand).
        raises="must be no greater than rank of output shape|Shape must be at most rank 0 but is rank 1"
               "|Cannot broadcast to shape with fewer dimensions"
               r"|the number of sizes provided \(0\) must be greater or equal to the number of dimensions",
        trigger=_weighted, kind="defect",
        properties=EVERY_PROPERTY,
        witness=Witness(inside=(SAMPLES.with_weights(np.array([1, 2, 1, 1, 3], np.float32)),), outside=(SAMPLES,)),
    )


def _zero_weight_constant_row(batches: list[Batch]) -> bool:
    """A row of weight 0 whose targets or predictions are constant (its coefficient is NaN)."""
    for b in batches:
        if b.sample_weight is None or not len(b):
            continue
        constant = (b.y_true == b.y_true[:, :1]).all(axis=1) | (b.y_pred == b.y_pred[:, :1]).all(axis=1)
        if (constant & (b.sample_weight == 0)).any():
            return True
    return False


KERAS_ZERO_WEIGHT_NAN = KnownDifference(
    "keras", what="A sample of weight 0 whose row is constant (coefficient NaN) still makes Keras' mean NaN, "
    "where a weight of 0 drops the sample in the reference (0 · NaN is NaN in IEEE arithmetic).",
    cause="reduce_to_samplewise_values multiplies the per-sample values by sample_weight before summing "
          "(values = values * sample_weight).",
    where="keras/src/metrics/reduction_metrics.py::reduce_to_samplewise_values",
    raises="returned NaN", trigger=_zero_weight_constant_row, properties=EVERY_PROPERTY,
)


def _some_batch_empty(batches: list[Batch]) -> bool:
    return any(len(b) == 0 for b in batches)


def _torch_empty_batch(where: str) -> KnownDifference:
    return KnownDifference(
        "torchmetrics", what="torchmetrics' correlation metrics raise on an empty batch (zero samples) instead of "
        "leaving the state unchanged, so a stream with an empty batch fails.",
        cause="The running update takes torch.max((preds - mx_new).abs(), dim=0) of the batch, which PyTorch "
              "refuses for zero elements ('max(): Expected reduction dim 0 to have non-zero size').",
        where=where, raises="Expected reduction dim 0 to have non-zero size", trigger=_some_batch_empty,
        kind="defect", properties=EVERY_PROPERTY,
        witness=Witness(inside=(SAMPLES, SAMPLES.take(slice(0, 0))), outside=(SAMPLES,)),
    )


KERAS_NO_WEIGHT = KnownDifference(
    "keras", what="With zero total weight (no sample counts) Keras returns 0.0, where the coefficient of no sample "
    "is undefined (NaN).",
    cause="The MeanMetricWrapper's result is ops.divide_no_nan(total, count), 0 when count is 0.",
    where="keras/src/metrics/reduction_metrics.py::Mean.result", overrides={"no_weight": 0.0},
)


KERAS_JAX_PEARSON_CONSTANT_INF = KnownDifference(
    "keras", what="On the JAX backend Keras' PearsonCorrelation of a constant input can be ±inf where the "
    "coefficient is undefined (NaN, as TensorFlow and torch give): y_true = y_pred = seven float32 -3.0 gives inf.",
    cause="pearson_correlation divides the deviations y - ops.mean(y) by their ops.std. XLA compiles jnp.mean's "
          "division by the sample count as a multiplication by its float32 reciprocal, so the mean of seven -3.0 is "
          "-21 · (1/7) = -3.0000002; every deviation is then 2.4e-7, their std exactly 0, and the coefficient "
          "mean((d / 0)²) = inf instead of 0 / 0.",
    where="keras/src/metrics/correlation_metrics.py::pearson_correlation (y_true_norm / ops.std(y_true_norm, ...)); "
          "keras/src/backend/jax/numpy.py::mean",
    undefined_as=(np.inf, -np.inf), backends=("jax",), properties=EVERY_PROPERTY,
)


def _an_input_constant(batches: list[Batch]) -> bool:
    """y_true or y_pred takes one value over the whole stream (in some output, with several)."""
    values = [np.concatenate([getattr(b, side) for b in batches]) for side in ("y_true", "y_pred")]
    return any(v.size and (np.ptp(v.reshape(len(v), -1), axis=0) == 0).any() for v in values)


def _ccc_nan_if_constant(y_true, y_pred, *, sample_weight=None, **params) -> float:
    """torchmetrics' concordance: NaN where either input is constant (Pearson's r of it is 0 / 0), else Lin's (with
    the moments its ``params`` say)."""
    if np.ptp(np.asarray(y_true)) == 0 or np.ptp(np.asarray(y_pred)) == 0:
        return float("nan")
    return ref.concordance_corrcoef(y_true, y_pred, sample_weight=sample_weight, **params)


TORCH_CCC_CONSTANT_NAN = KnownDifference(
    "torchmetrics", what="torchmetrics' ConcordanceCorrCoef is NaN when either input is constant, where Lin's "
    "coefficient is 0 (the covariance is 0 and the denominator is not): ConcordanceCorrCoef on y_true [-3, -3], "
    "y_pred [-2, -2] is nan, Lin's value 0.0.",
    cause="It computes 2 r sqrt(var_x) sqrt(var_y) / (var_x + var_y + (mean_x - mean_y)²) from Pearson's r, which is "
          "0 / 0 = NaN for a constant input, and NaN times 0 stays NaN.",
    where="torchmetrics/functional/regression/concordance.py::_concordance_corrcoef_compute (pearson = "
          "_pearson_corrcoef_compute(...))",
    # NaN where an input is constant, its (n - 1) value elsewhere (per output, with several: a convention)
    reference=_ccc_nan_if_constant, overrides={"ddof": 1}, kind="defect", properties=EVERY_PROPERTY,
    witness=Witness(inside=(batch([-3.0, -3.0], [-2.0, -2.0]),), outside=(batch([-3.0, -2.0], [-2.0, -1.5]),)),
)

PEARSON_UPDATE = "torchmetrics/functional/regression/pearson.py::_pearson_corrcoef_update (line 86)"


def _against_a_constant(y_true, y_pred, *, sample_weight=None, **params) -> float:
    """Lin's coefficient of every sample against a constant: 0 (a zero covariance; Keras' epsilon keeps the
    denominator positive)."""
    return 0.0


def _every_batch_constant(batches: list[Batch]) -> bool:
    """Each non-empty batch's targets, or each one's predictions, are all equal within it (a rank fed such batches has
    a largest absolute deviation of 0; the batch is the unit a rank is given)."""
    kept = [b for b in batches if len(b)]
    return len(kept) > 1 and any(all(np.ptp(np.asarray(getattr(b, side), np.float64)) == 0 for b in kept)
                                 for side in ("y_true", "y_pred"))


TORCH_PEARSON_SYNC_MAX_DEVIATION = KnownDifference(
    "torchmetrics", what="torchmetrics' PearsonCorrCoef synced across processes returns NaN where every rank's "
    "inputs on one side are constant within the rank (a rank of one sample included), though the data together vary: "
    "PearsonCorrCoef on rank 0 fed y_pred [0], y_true [0] and on rank 1 y_pred [1], y_true [-1] gives NaN, not -1.",
    cause="_final_aggregation merges the ranks' max_abs_dev_x / max_abs_dev_y with torch.maximum, but each is the "
          "largest deviation from that rank's own mean (0 for a constant rank), not from the merged mean; "
          "_pearson_corrcoef_compute then scales var_x, var_y and corr_xy by max_abs_dev ** -2 (inf times 0).",
    where="torchmetrics/regression/pearson.py::_final_aggregation; "
          "torchmetrics/functional/regression/pearson.py::_pearson_corrcoef_compute",
    raises="returned NaN", trigger=_every_batch_constant, properties=("distributed_sync",), kind="defect",
    witness=Witness(inside=(batch([0.0], [0.0]), batch([-1.0], [1.0])), ranks=(1, 1),
                    outside=(batch([0.0, 1.0], [0.0, 0.5]), batch([-1.0, 2.0], [1.0, 0.25])), outside_ranks=(1, 1),
                    metric="PearsonCorrelation"),
)


def _keras_per_batch(name: str, function: str, **overrides: float) -> tuple[KnownDifference, ...]:
    """Keras' coefficient is a MeanMetricWrapper of a per-call coefficient along axis=-1 (``overrides``: the
    coefficient's own conventions in Keras)."""
    where = f"keras/src/metrics/correlation_metrics.py::{function}; keras/src/metrics/reduction_metrics.py::" \
            "MeanMetricWrapper"
    return (
        KnownDifference(
            "keras", what=f"Keras' {name} with (n,) inputs adds one coefficient per update_state, over that batch "
            "alone, with a count of 1: a stream averages per-batch coefficients (an empty batch adds NaN), which is "
            "not the coefficient of the data.",
            cause=f"{function} takes the coefficient along axis=-1, which for (n,) inputs is the batch; the "
                  "MeanMetricWrapper adds that scalar with a count of 1.",
            where=where, layouts=(FLAT,), batches_averaged=True, overrides=overrides, kind="defect",
            properties=("batch_accumulation", "shape_conventions", "execution_modes", "reset",
                        "result_idempotence"),
            witness=Witness(inside=tuple(SAMPLES.split([3, 2])), outside=(SAMPLES,)),
        ),
        KnownDifference(
            "keras", what=f"Keras' {name} with an (n, 1) input, as model.fit() passes predictions, takes each "
            "coefficient along the last axis against a constant (one element, or one value broadcast over the other "
            "input's n): Pearson's r is NaN there, Lin's coefficient 0 (its covariance is 0, the denominator has "
            "epsilon), whatever the data.",
            cause=f"{function} reduces axis=-1, of length 1 for (n, 1) inputs, or of length n after broadcasting "
                  "(n,) against (n, 1): one of the two inputs is constant along it.",
            where=where, layouts=(("column", "column"), ("flat", "column"), ("column", "flat")), kind="defect",
            properties=("shape_conventions",),
            **({"raises": "returned NaN"} if name == "PearsonCorrelation" else {"reference": _against_a_constant}),
            witness=Witness(inside=(SAMPLES,), outside=(SAMPLES,), layout=("column", "column"), outside_layout=FLAT),
        ),
    )


KERAS_ROW_MOMENTS = (
    "Keras' {name} takes each row's mean, variances and covariance in float32: where a row's spread is small beside "
    "its magnitude (y_true [1e7+1, 1e7+1], y_pred [1e7+1, 1e7+2]: the mean 1e7+1.5 is not a float32, the "
    "deviations of 0.5 round to 0 or 1) or its squared deviations underflow (below ~1e-19), the coefficient is "
    "rounding noise. Explained only within the float32 bounds of those moments."
)


def _float32_moments(library: str, what: str, cause: str, where: str, convention, witness: Witness,
                     **overrides: float) -> KnownDifference:
    return KnownDifference(library, what=what, cause=cause, where=where, reference=convention, bounds=float32.SIDES,
                           overrides=overrides, kind="defect", properties=EVERY_PROPERTY, witness=witness)


# A row at 1e7, whose mean 1e7 + 1.5 is not a float32, and a row whose deviations' squares underflow; outside,
# rows of ordinary size.
ROWS_OUTSIDE = (batch([[1.0, 3.0, 2.0], [0.0, 1.0, 5.0]], [[2.0, 5.0, 3.0], [1.0, 0.5, 2.0]]),)


TORCH_PEARSON_FLOAT32 = _float32_moments(
    "torchmetrics", "torchmetrics' PearsonCorrCoef updates float32 running means and sums of squared deviations: "
    "where an input's spread is small beside its magnitude (five samples of 1e15) the running mean is not exact "
    "and the variances are rounding noise, so the coefficient is 1.0 where it is undefined (NaN). Explained only "
    "within the float32 bounds of those moments.",
    "_pearson_corrcoef_update merges each batch's mean and squared deviations into float32 running sums.",
    "torchmetrics/functional/regression/pearson.py::_pearson_corrcoef_update", float32.pearson_corrcoef,
    witness=Witness(inside=(batch([1e15] * 5, [1e15] * 5),), outside=(SAMPLES,)))


KERAS_CCC_EPSILON = dict(
    what="Keras adds epsilon = 1e-7 to the denominator var_true + var_pred + (mean_true - mean_pred)², which "
         "shrinks the coefficient of inputs with a small spread (and gives 0, not NaN, for equal constants).",
    cause="concordance_correlation returns ops.mean(2 * covar / (norm + backend.epsilon()), axis=axis).",
    where="keras/src/metrics/correlation_metrics.py::concordance_correlation",
    overrides={"epsilon": 1e-7},
)


SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="PearsonCorrelation", reference=ref.pearson_corrcoef, domain=REGRESSION, decomposition="none",
        growth=tol.CORRELATION, scale=1.0, ratio=True,
        bindings={
            # With (n,) inputs Keras' axis=-1 is the sample axis: one coefficient over the batch.
            "keras": Binding("keras.metrics.PearsonCorrelation"),
            "torchmetrics": Binding("torchmetrics.regression.PearsonCorrCoef", weights=False),
        },
        known=(_keras_rejects_weights("PearsonCorrelation"), KERAS_NO_WEIGHT, KERAS_JAX_PEARSON_CONSTANT_INF,
               _torch_empty_batch(PEARSON_UPDATE), TORCH_PEARSON_FLOAT32, TORCH_PEARSON_SYNC_MAX_DEVIATION,
               *_keras_per_batch("PearsonCorrelation", "pearson_correlation")),
        absent={"sklearn": NO_SKLEARN.format(name="Pearson correlation", nearest="sklearn.feature_selection."
                                             "r_regression, a feature score; scipy.stats.pearsonr")},
    ),
    MetricSpec(
        name="PearsonCorrelation", reference=ref.pearson_corrcoef_rows, variant={"inputs": "multi-output"},
        domain=REGRESSION_MULTI_OUTPUT, decomposition="mean", growth=tol.CORRELATION, scale=1.0,
        bindings={"keras": Binding("keras.metrics.PearsonCorrelation")},
        known=(KERAS_ZERO_WEIGHT_NAN, KERAS_JAX_PEARSON_CONSTANT_INF,
               _float32_moments("keras", KERAS_ROW_MOMENTS.format(name="PearsonCorrelation"),
                                "pearson_correlation normalizes each row by its float32 mean and std.",
                                "keras/src/metrics/correlation_metrics.py::pearson_correlation",
                                float32.pearson_corrcoef_rows,
                                Witness(inside=(batch([[-3.0, 0.0]], [[1.2131e-35, 0.0]]),), outside=ROWS_OUTSIDE))),
        absent={"sklearn": "scikit-learn has no per-sample correlation across outputs",
                "torchmetrics": "torchmetrics correlates each output over the samples "
                                "(PearsonCorrCoef(num_outputs=d)), not each sample across its outputs"},
    ),
    MetricSpec(
        name="ConcordanceCorrelation", reference=ref.concordance_corrcoef, domain=REGRESSION, decomposition="none",
        growth=tol.CORRELATION, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.ConcordanceCorrelation"),
            "torchmetrics": Binding("torchmetrics.regression.ConcordanceCorrCoef", weights=False),
        },
        known=(
            KnownDifference("keras", **KERAS_CCC_EPSILON),
            _keras_rejects_weights("ConcordanceCorrelation"),
            KERAS_NO_WEIGHT,
            _torch_empty_batch(PEARSON_UPDATE + ", called by ConcordanceCorrCoef.update"),
            KnownDifference(
                "torchmetrics", what="torchmetrics uses sample (n - 1) variances and covariance with the "
                "population squared mean difference, where Lin's coefficient uses population (1/n) moments.",
                cause="_concordance_corrcoef_compute: 2 * pearson * sqrt(var_x) * sqrt(var_y) / (var_x + var_y + "
                      "(mean_x - mean_y)²) with var_x, var_y from _pearson_corrcoef_compute divided by n - 1.",
                where="torchmetrics/functional/regression/concordance.py::_concordance_corrcoef_compute",
                overrides={"ddof": 1}),
            TORCH_CCC_CONSTANT_NAN,
            *_keras_per_batch("ConcordanceCorrelation", "concordance_correlation", epsilon=1e-7),
        ),
        absent={"sklearn": NO_SKLEARN.format(name="concordance correlation", nearest="none")},
    ),
    MetricSpec(
        name="ConcordanceCorrelation", reference=ref.concordance_corrcoef_rows, variant={"inputs": "multi-output"},
        domain=REGRESSION_MULTI_OUTPUT, decomposition="mean", growth=tol.CORRELATION, scale=1.0,
        bindings={"keras": Binding("keras.metrics.ConcordanceCorrelation")},
        known=(KnownDifference("keras", **KERAS_CCC_EPSILON),
               _float32_moments("keras", KERAS_ROW_MOMENTS.format(name="ConcordanceCorrelation"),
                                "concordance_correlation takes each row's float32 mean, variance and covariance.",
                                "keras/src/metrics/correlation_metrics.py::concordance_correlation",
                                float32.concordance_corrcoef_rows,
                                Witness(inside=(batch([[1e7 + 1, 1e7 + 1]], [[1e7 + 1, 1e7 + 2]]),),
                                        outside=ROWS_OUTSIDE), epsilon=1e-7)),
        absent={"sklearn": "scikit-learn has no per-sample concordance across outputs",
                "torchmetrics": "torchmetrics' ConcordanceCorrCoef(num_outputs=d) takes each output over the "
                                "samples, not each sample across its outputs"},
    ),
    MetricSpec(
        name="SpearmanCorrCoef", reference=ref.spearman_corrcoef, domain=REGRESSION, decomposition="none",
        growth=tol.CORRELATION, scale=1.0,
        bindings={"torchmetrics": Binding("torchmetrics.regression.SpearmanCorrCoef", weights=False)},
        known=(KnownDifference(
            "torchmetrics", what="torchmetrics adds 1e-6 to the denominator σ_rank_pred σ_rank_true, so constant "
            "inputs (a single sample included) give 0.0 where the coefficient is undefined (NaN).",
            cause="_spearman_corrcoef_compute: corrcoef = cov / (preds_std * target_std + eps), eps=1e-6, then "
                  "clamped to [-1, 1].",
            where="torchmetrics/functional/regression/spearman.py::_spearman_corrcoef_compute",
            overrides={"epsilon": 1e-6}),),
        absent={"keras": "Keras has no rank correlation (nearest: keras.metrics.PearsonCorrelation, on values)",
                "sklearn": NO_SKLEARN.format(name="rank correlation", nearest="scipy.stats.spearmanr")},
    ),
)
