"""Library behaviours the conformance run reports as unexpected (``fail`` / ``error``) on purpose:
real defects or surprises of the library, kept visible in every report, and expected here (as
array-api-tests keeps its xfails) with the reason each.

``EXPECTED_FAILURES`` keys are case ids, ``metric-library-property``: a listed case that stops
failing (under the ci or thorough budget) makes the suite fail, so the list cannot go stale.
``EXPECTED_DEFECTS`` keys are patterns (``fnmatch``) for a defect of a metric's arithmetic, such as
float32 cancellation, that any property may surface, whichever one the drawn examples reach first:
each case they name may fail with that reason, and need not.
"""

import os
from fnmatch import fnmatchcase

KERAS_RANK_1_MEAN = (
    "Keras' mean_squared_error / mean_absolute_error reduce over the last axis. With rank-1 (n,) y_true and "
    "y_pred that axis is the batch: each update adds one batch mean with a count of 1, so uneven batches are "
    "mis-weighted and an empty batch adds NaN (keras/src/losses/losses.py::mean_squared_error; "
    "keras/src/metrics/reduction_metrics.py::reduce_to_samplewise_values). model.fit() passes (n, 1) "
    "predictions, where the metric is right; calling update_state by hand with flat arrays is not."
)

SKLEARN_MULTILABEL_NEGATIVE_TN = (
    "scikit-learn's multilabel_confusion_matrix computes true negatives as sum(sample_weight) - tp - fp - fn in the "
    "weights' float32, so a true-negative count that should be 0 comes out as -1.2e-07 (and a positive one off by "
    "that much): a negative count (sklearn/metrics/_classification.py::multilabel_confusion_matrix, "
    "`tn = xp.sum(sample_weight) - tp - fp - fn`)."
)

EXPECTED_FAILURES: dict[str, str] = {
    "MeanSquaredError-keras-shape_conventions": KERAS_RANK_1_MEAN,
    "MeanAbsoluteError-keras-shape_conventions": KERAS_RANK_1_MEAN,
}

TORCHMETRICS_RANKING_LOSS_COUNT = (
    "torchmetrics' MultilabelRankingLoss counts a batch whose rows all have no true or only true labels (an empty "
    "batch too) as one sample: _multilabel_ranking_loss_update returns (0.0, 1) instead of (0.0, num_preds), so the "
    "stream's mean divides by the wrong number of samples "
    "(torchmetrics/functional/classification/ranking.py::_multilabel_ranking_loss_update, 'if len(preds) == 0: "
    "return torch.tensor(0.0), 1'). Minimal: update([[0.2, 0.8]], [[1, 0]]) then update three rows of [1, 1] / "
    "[0, 0] gives 0.5, not 1/4."
)

# -- regression, probabilistic and correlation (issue 3) -------------------------------------------

KERAS_RANK_1_LOSSES = (
    KERAS_RANK_1_MEAN + " The same holds for every Keras metric built on a loss that reduces the last axis "
    "(MeanAbsolutePercentageError, MeanSquaredLogarithmicError, LogCoshError, BinaryCrossentropy, Hinge, "
    "SquaredHinge, Poisson). Those that do not squeeze (n,) against (n, 1) (binary_crossentropy, hinge, "
    "squared_hinge, poisson in keras/src/losses/losses.py) also broadcast (n,) targets against (n, 1) "
    "predictions to an (n, n) matrix: Hinge and Poisson return a wrong value silently, BinaryCrossentropy raises "
    "('must have the same rank'), also under model.evaluate()."
)
KERAS_CORRELATION_PER_BATCH = (
    "Keras' PearsonCorrelation / ConcordanceCorrelation are MeanMetricWrappers of a per-call coefficient taken "
    "along axis=-1: with (n,) inputs each update_state adds one coefficient over its batch (count 1), so a stream "
    "averages per-batch coefficients (an empty batch adds NaN), and with (n, 1) inputs, as model.fit() passes "
    "them, the axis has one element and every coefficient is NaN "
    "(keras/src/metrics/correlation_metrics.py::pearson_correlation, concordance_correlation)."
)
TORCH_LOGCOSH_OVERFLOW = (
    "torchmetrics' LogCoshError computes log((exp(x) + exp(-x)) / 2) in float32, which overflows to inf for "
    "|x| >= 89 (torchmetrics/functional/regression/log_cosh.py::_log_cosh_error_update); log cosh 89 = 88.31."
)
SKLEARN_HINGE_ONE_CLASS = (
    "scikit-learn's binary hinge_loss infers the classes from y_true with LabelBinarizer(neg_label=-1): when "
    "every target is 1, the single class is binarized to -1, so hinge_loss([1, 1], [-1., -1.]) is 0.0, not 2.0 "
    "(sklearn/metrics/_classification.py::hinge_loss). Found by the properties that score a batch alone."
)
KERAS_R2_ONE_PASS = (
    "Keras' R2Score accumulates sum(y) and sum(y²) in float32 and takes SS_tot = sum(y²) - sum(y)·mean: for "
    "constant targets this cancels to rounding noise instead of 0, so R2Score on [[362.84375]] * 3 against "
    "zeros is -1.26e7 instead of 0.0, and the value depends on the order of the samples "
    "(keras/src/metrics/regression_metrics.py::R2Score.update_state / result)."
)
SKLEARN_R2_FLOAT32 = (
    "scikit-learn computes r2_score in the inputs' float32: the float32 weighted mean of constant targets "
    "1e15 is not exactly 1e15, so SS_tot is rounding noise rather than 0 and the constant-target rule "
    "(force_finite) is not applied: R² is -1.1e13 (or another value, depending on the sample order) instead of "
    "0.0 (sklearn/metrics/_regression.py::_assemble_r2_explained_variance)."
)
SKLEARN_R2_ZERO_WEIGHT_COUNT = (
    "scikit-learn's r2_score returns NaN for fewer than two samples, counting samples of weight 0: "
    "r2_score([1., 1e15], [1., 1e15], sample_weight=[1, 0]) is 1.0 while r2_score([1.], [1.]) is NaN, so a "
    "weight of 0 is not the same as dropping the sample (sklearn/metrics/_regression.py::r2_score)."
)
SKLEARN_TWEEDIE_FLOAT32 = (
    "scikit-learn computes mean_tweedie_deviance in the inputs' float32; for 1 < power < 2 the deviance is a "
    "difference of terms of size ~y^(2-p), which cancel for y = y_pred = 1e7 + 1 and leave float32 rounding "
    "noise: mean_tweedie_deviance([0, 0, 0, 1e7+1], [1, 1, 1, 1e7+1], power=1.5) is 2.99976 in float32, 3.0 in "
    "float64 (sklearn/metrics/_regression.py::_mean_tweedie_deviance)."
)

EXPECTED_FAILURES.update({
    **{f"{metric}-keras-shape_conventions": KERAS_RANK_1_LOSSES for metric in (
        "MeanAbsolutePercentageError", "MeanSquaredLogarithmicError", "LogCoshError", "BinaryCrossentropy",
        "BinaryCrossentropy[from_logits=True]", "BinaryCrossentropy[label_smoothing=0.1]", "Hinge", "SquaredHinge",
        "Poisson")},
    **{f"{metric}-keras-{prop}": KERAS_CORRELATION_PER_BATCH
       for metric in ("PearsonCorrelation", "ConcordanceCorrelation")
       for prop in ("batch_accumulation", "shape_conventions")},
    **{f"{metric}-sklearn-sample_weights": SKLEARN_R2_ZERO_WEIGHT_COUNT for metric in (
        "R2Score[outputs=1]", "R2Score", "R2Score[class_aggregation=variance_weighted_average]",
        "R2Score[class_aggregation=None]")},
})

# -- found when the merged catalogue ran with the smoke budget (arrays drawn whole) ----------------

TORCH_ONE_PASS_VARIANCE = (
    "torchmetrics' R2Score and ExplainedVariance accumulate float32 sums of the targets and of their squares (or of "
    "the errors and their squares) and subtract at the end: for a constant target column such as [170.875] * 8 the "
    "total sum of squares is rounding noise instead of 0, so the constant-target rule is not applied and R² comes "
    "out as 2.4e6 where the reference (and scikit-learn's force_finite) give 0.75 "
    "(torchmetrics/functional/regression/r2.py::_r2_score_update / _r2_score_compute: "
    "tss = sum_squared_obs - sum_obs * sum_obs / num_obs; explained_variance.py::_explained_variance_compute)."
)

TORCH_TWEEDIE_FLOAT32 = (
    "torchmetrics computes the Tweedie deviance for 1 < power < 2 in float32 as a sum of terms of size ~4 y^(2-p) "
    "that cancel: TweedieDevianceScore(power=1.5) on y_true [6.0], y_pred [3.0] is 1.1886907 where the value is "
    "1.1886917 (9e-7 relative, ~8 ulps; terms -9.80 + 6.93 + 3.46) "
    "(torchmetrics/functional/regression/tweedie_deviance.py::_tweedie_deviance_score_update)."
)
TORCH_PEARSON_ONE_PASS = (
    "torchmetrics' PearsonCorrCoef updates float32 running means and sums of squared deviations; for constant "
    "inputs of large magnitude the running mean is not exact, so the variances are rounding noise instead of 0 and "
    "PearsonCorrCoef on five samples of y_true = y_pred = 1e15 is 1.0, where the coefficient is undefined (NaN) "
    "(torchmetrics/functional/regression/pearson.py::_pearson_corrcoef_update)."
)
KERAS_ROW_MOMENTS_FLOAT32 = (
    "Keras' PearsonCorrelation / ConcordanceCorrelation take each row's mean, variances and covariance in float32: "
    "for a row like y_true [1e7+1, 1e7+1], y_pred [1e7+1, 1e7+2] the mean 1e7+1.5 is not a float32, the deviations "
    "(of size 0.5) are rounded to 0 or 1, and ConcordanceCorrelation on that row is 0.8 where the value is 0; "
    "rows at 1e15 lose their small differences the same way; and a row whose deviations are below ~4e-23 (y_pred "
    "[1.2e-35, 0]) squares them to 0, so its std is 0 and PearsonCorrelation's coefficient -inf on TensorFlow and "
    "JAX where the value is -1 (keras/src/metrics/correlation_metrics.py)."
)

KERAS_JAX_R2_FUSED_TOTAL = (
    "On the JAX backend, jax.jit (as model.fit() runs metrics there) fuses R2Score.result's total = squared_sum - "
    "sum * mean into one fused multiply-subtract, so for an output with constant targets the total is the rounding "
    "residual of squared_sum instead of 0: y_true [[0.00012014061, -3.0]], y_pred [[-3.0, -2.0]] gives "
    "-1.158e16 compiled and 0.0 eagerly (1 - total_mse / 3.9e-16, where the eager inf is replaced by 0) "
    "(keras/src/metrics/regression_metrics.py::R2Score.result; XLA's multiply_subtract_fusion). Checked in the "
    "thorough profile, where execution_modes compares jax.jit with eager."
)

# -- defects of a metric's arithmetic, which any property may surface ------------------------------

EXPECTED_DEFECTS: dict[str, str] = {
    "R2Score*-keras-*": KERAS_R2_ONE_PASS,
    "R2Score*-sklearn-*": SKLEARN_R2_FLOAT32,
    "ExplainedVariance*-sklearn-*": SKLEARN_R2_FLOAT32,
    "R2Score*-torchmetrics-*": TORCH_ONE_PASS_VARIANCE,
    "ExplainedVariance*-torchmetrics-*": TORCH_ONE_PASS_VARIANCE,
    "TweedieDevianceScore*-sklearn-*": SKLEARN_TWEEDIE_FLOAT32,
    "ConfusionMatrix[[]task=multilabel]-sklearn-*": SKLEARN_MULTILABEL_NEGATIVE_TN,
    "Hinge-sklearn-*": SKLEARN_HINGE_ONE_CLASS,
    "LogCoshError-torchmetrics-*": TORCH_LOGCOSH_OVERFLOW,
    "LabelRankingLoss-torchmetrics-*": TORCHMETRICS_RANKING_LOSS_COUNT,
    "TweedieDevianceScore[[]power=1.5]-torchmetrics-*": TORCH_TWEEDIE_FLOAT32,
    "PearsonCorrelation-torchmetrics-*": TORCH_PEARSON_ONE_PASS,
    "*Correlation[[]inputs=multi-output]-keras-*": KERAS_ROW_MOMENTS_FLOAT32,
}

# Defects of one Keras backend, matched before the patterns above (whose broad "R2Score*-keras-*" would give the
# wrong reason). The suites' case ids carry no backend: tox's keras-<backend> envs set KERAS_BACKEND.
BACKEND_DEFECTS: dict[str, dict[str, str]] = {
    "jax": {"R2Score*-keras-execution_modes": KERAS_JAX_R2_FUSED_TOTAL},
}


def expected_failure(case_id: str) -> tuple[str, bool] | None:
    """The reason ``case_id`` may fail, and whether it must (a listed case, not a pattern's)."""
    if case_id in EXPECTED_FAILURES:
        return EXPECTED_FAILURES[case_id], True
    on_backend = BACKEND_DEFECTS.get(os.environ.get("KERAS_BACKEND", "tensorflow"), {})
    for pattern, reason in (*on_backend.items(), *EXPECTED_DEFECTS.items()):
        if fnmatchcase(case_id, pattern):
            return reason, False
    return None
