"""Reference regression metrics.

Conventions shared by every function here (each docstring repeats the ones it uses):

* **Shapes**: ``y_true`` and ``y_pred`` are ``(n,)`` (one output) or ``(n, d)`` (``d`` outputs); a
  ``(n, 1)`` column is the same as ``(n,)``. Sample weights are one per sample (row).
* **Weighted means**: each sample's error is weighted by its sample weight and the result is the
  weighted mean over samples; zero total weight gives 0.0 (nothing was weighed: no error).
* **Several outputs** (``multioutput``): ``"uniform_average"`` (default) averages the per-output
  values, ``"raw_values"`` returns them, ``"variance_weighted"`` (R², explained variance) weighs
  each output by the weighted variance of its targets.
* **Constant targets** (R², explained variance): an output whose targets have zero variance scores
  1.0 if it is predicted perfectly and 0.0 otherwise (scikit-learn's ``force_finite=True``).
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, check_option, check_same_length, check_sample_weight, divide

MultiOutput = Literal["uniform_average", "raw_values"]


def _regression_inputs(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None
                       ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``(targets, predictions, weights)`` with targets and predictions as ``(n, d)`` arrays."""
    targets = as_float_array(y_true, "y_true", ndim=(1, 2))
    predictions = as_float_array(y_pred, "y_pred", ndim=(1, 2))
    # (n,) -> (n, 1); (n, d) as it is (reshape(n, -1) cannot infer d for an empty batch)
    targets, predictions = (a[:, None] if a.ndim == 1 else a for a in (targets, predictions))
    n = check_same_length(y_true=targets, y_pred=predictions)
    if targets.shape[1] != predictions.shape[1]:
        raise ValueError(f"y_true and y_pred must have the same number of outputs; got {targets.shape[1]} "
                         f"and {predictions.shape[1]}.")
    return targets, predictions, check_sample_weight(sample_weight, n)


def _per_output_mean(values: NDArray[np.float64], weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """The weighted mean over samples of each column of ``values`` (0.0 with zero total weight).

    A sample of weight 0 is dropped, even where its value is infinite (0 · inf would be NaN).
    """
    if not np.isfinite(values).all():  # rare: keep 0 · inf out of the sum (no copy in the common case)
        values = np.where(weights[:, None] > 0, values, 0.0)
    return divide(weights @ values, weights.sum())


def _aggregate(per_output: NDArray[np.float64], multioutput: str,
               variance: NDArray[np.float64] | None = None) -> float | NDArray[np.float64]:
    allowed = ("uniform_average", "raw_values") + (("variance_weighted",) if variance is not None else ())
    check_option(multioutput, "multioutput", allowed)
    if multioutput == "raw_values":
        return per_output
    if multioutput == "variance_weighted" and variance.sum() > 0:
        return float(np.dot(variance, per_output) / variance.sum())
    return float(per_output.mean())  # also variance_weighted when every output is constant


def _mean_error(errors: NDArray[np.float64], weights: NDArray[np.float64], multioutput: str):
    return _aggregate(_per_output_mean(errors, weights), multioutput)


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                       multioutput: MultiOutput = "uniform_average"):
    """Weighted mean of ``(y_pred - y_true)²`` per output, then averaged over outputs."""
    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)
    return _mean_error((predictions - targets) ** 2, weights, multioutput)


def root_mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                            multioutput: Literal["uniform_average", "raw_values", "pooled"] = "uniform_average"):
    """Square root of the weighted mean squared error, taken after averaging over samples.

    With several outputs, ``"uniform_average"`` averages the per-output roots (scikit-learn);
    ``"pooled"`` is the root of the mean over every output at once (the root of
    :func:`mean_squared_error`).
    """
    check_option(multioutput, "multioutput", ("uniform_average", "raw_values", "pooled"))
    if multioutput == "pooled":
        return float(np.sqrt(mean_squared_error(y_true, y_pred, sample_weight=sample_weight)))
    per_output = np.sqrt(mean_squared_error(y_true, y_pred, sample_weight=sample_weight, multioutput="raw_values"))
    return _aggregate(per_output, multioutput)


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                        multioutput: MultiOutput = "uniform_average"):
    """Weighted mean of ``|y_pred - y_true|`` per output, then averaged over outputs."""
    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)
    return _mean_error(np.abs(predictions - targets), weights, multioutput)


def mean_absolute_percentage_error(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                                   epsilon: float = 0.0, percent: bool = True,
                                   multioutput: MultiOutput = "uniform_average"):
    """Weighted mean of ``|y_pred - y_true| / max(|y_true|, epsilon)``, times 100 if ``percent``.

    With ``epsilon = 0`` a zero target gives an infinite error, except a perfect prediction of it,
    whose error is 0 (no error, whatever the scale). Libraries guard the division with their own
    epsilon (Keras 1e-7, torchmetrics 1.17e-6, scikit-learn float64's machine epsilon).
    """
    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)
    errors, scales = np.abs(predictions - targets), np.maximum(np.abs(targets), epsilon)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratios = errors / scales
    if epsilon <= 0 and not scales.all():  # 0 / 0: a perfect prediction of a zero target
        ratios[errors == 0] = 0.0
    value = _mean_error(ratios, weights, multioutput)
    return value * 100.0 if percent else value


def mean_squared_log_error(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                           epsilon: float | None = None, multioutput: MultiOutput = "uniform_average"):
    """Weighted mean of ``(log(1 + y_pred) - log(1 + y_true))²``.

    Values must exceed -1 (``log(1 + y)`` is undefined otherwise). With ``epsilon``, every value is
    first raised to at least ``epsilon`` (Keras' ``maximum(y, epsilon)``).
    """
    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)
    if epsilon is not None:
        targets, predictions = np.maximum(targets, epsilon), np.maximum(predictions, epsilon)
    if (targets <= -1).any() or (predictions <= -1).any():
        raise ValueError("mean_squared_log_error needs y_true and y_pred greater than -1 (log(1 + y) is "
                         "undefined otherwise); got a value <= -1.")
    return _mean_error((np.log1p(predictions) - np.log1p(targets)) ** 2, weights, multioutput)


def log_cosh_error(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                   multioutput: MultiOutput = "uniform_average"):
    """Weighted mean of ``log(cosh(y_pred - y_true))``.

    Computed as ``log1p(2 sinh²(e/2))`` for ``|e| < 1`` (no cancellation: log cosh e ≈ e²/2 there)
    and as ``|e| + log1p(exp(-2|e|)) - log 2`` otherwise (no overflow); both equal log cosh e.
    """
    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)
    return _mean_error(_log_cosh(predictions - targets), weights, multioutput)


def _log_cosh(errors: NDArray[np.float64]) -> NDArray[np.float64]:
    x = np.abs(errors)
    large = x + np.log1p(np.exp(-2 * x)) - np.log(2.0)
    # For small x: cosh x - 1 = 2 sinh²(x/2), and log cosh x = log1p(2 sinh²(x/2)), exact to rounding.
    small = np.log1p(2 * np.sinh(np.minimum(x, 1.0) / 2) ** 2)
    return np.where(x < 1.0, small, large)


def r2_score(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
             multioutput: Literal["uniform_average", "raw_values", "variance_weighted"] = "uniform_average",
             num_regressors: int = 0, samples: Literal["rows", "values"] = "rows", force_finite: bool = True,
             near_zero: float = 0.0):
    """Coefficient of determination ``1 - SS_res / SS_tot`` per output, then aggregated.

    ``SS_tot`` is the weighted sum of squared deviations of the targets from their weighted mean.
    An output with constant targets scores 1.0 if predicted perfectly, else 0.0 (``force_finite=False``: the
    formula's own NaN for 0/0 and -inf for x/0, as scikit-learn documents it). With
    ``num_regressors = p > 0`` the aggregated score is adjusted: ``1 - (1 - R²)(n - 1)/(n - p - 1)``,
    where ``n`` counts the samples (``samples="rows"``) or every target value (``"values"``, n·d); when
    ``n - p - 1 <= 0`` the unadjusted score is returned. ``near_zero``: a sum of squares at most this is taken as 0
    (an output whose ``SS_res`` is scores 1.0, else one whose ``SS_tot`` is scores 0.0), torchmetrics' absolute
    ``isclose(..., atol=1e-4)``; 0.0: exact.
    """
    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)
    residual = weights @ (targets - predictions) ** 2
    total = weights @ (targets - _per_output_mean(targets, weights)) ** 2
    if near_zero:
        residual, total = (np.where(np.abs(a) <= near_zero, 0.0, a) for a in (residual, total))
        per_output = np.where(residual == 0, 1.0, np.where(total == 0, 0.0, 1 - divide(residual, total)))
    else:
        per_output = np.where(total > 0, 1 - divide(residual, total), _constant_target_score(residual, force_finite))
    score = _aggregate(per_output, multioutput, variance=total)
    check_option(samples, "samples", ("rows", "values"))
    if not (isinstance(num_regressors, int | np.integer) and num_regressors >= 0):
        raise ValueError(f"num_regressors must be a non-negative integer; got {num_regressors!r}.")
    n = targets.shape[0] * (targets.shape[1] if samples == "values" else 1)
    if num_regressors and n - num_regressors - 1 > 0:
        return 1 - (1 - score) * (n - 1) / (n - num_regressors - 1)
    return score


def _constant_target_score(residual: NDArray[np.float64], force_finite: bool) -> NDArray[np.float64]:
    """The score of an output whose targets are constant (a zero denominator): 1.0 where the residual is 0 too, else
    0.0; ``force_finite=False``: 1 - 0/0 = NaN and 1 - x/0 = -inf."""
    if force_finite:
        return np.where(residual == 0, 1.0, 0.0)
    return np.where(residual == 0, np.nan, -np.inf)


def explained_variance_score(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                             multioutput: Literal["uniform_average", "raw_values",
                                                  "variance_weighted"] = "uniform_average",
                             force_finite: bool = True):
    """``1 - Var(y_true - y_pred) / Var(y_true)`` per output (weighted variances), then aggregated.

    Unlike R², a constant bias in the predictions is not penalised. An output with constant targets
    scores 1.0 if the residuals are constant too, else 0.0 (``force_finite=False``: NaN and -inf, as for
    :func:`r2_score`).
    """
    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)
    residuals = targets - predictions
    residual_variance = _per_output_mean((residuals - _per_output_mean(residuals, weights)) ** 2, weights)
    target_variance = _per_output_mean((targets - _per_output_mean(targets, weights)) ** 2, weights)
    per_output = np.where(target_variance > 0, 1 - divide(residual_variance, target_variance),
                          _constant_target_score(residual_variance, force_finite))
    return _aggregate(per_output, multioutput, variance=target_variance)


def mean_tweedie_deviance(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                          power: float = 0.0) -> float:
    """Weighted mean Tweedie deviance with the given ``power`` (one output).

    ``power`` 0: squared error (any values); 1: Poisson (``y_true >= 0``, ``y_pred > 0``), with
    ``0·log 0 = 0``; 2: Gamma (both > 0); otherwise ``power < 0`` (``y_pred > 0``), ``1 < power < 2``
    (``y_true >= 0``, ``y_pred > 0``) or ``power > 2`` (both > 0). Powers in (0, 1) have no
    distribution and are refused.
    """
    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)
    y, mu, p = targets[:, 0], predictions[:, 0], float(power)
    if targets.shape[1] != 1:
        raise ValueError(f"mean_tweedie_deviance takes one output; got {targets.shape[1]}.")
    if 0 < p < 1:
        raise ValueError(f"power must be <= 0 or >= 1 (no Tweedie distribution in (0, 1)); got {power}.")
    if p != 0 and (mu <= 0).any():
        raise ValueError(f"y_pred must be strictly positive for power={power}.")
    if (1 <= p < 2 and (y < 0).any()) or (p >= 2 and (y <= 0).any()):
        raise ValueError(f"y_true must be {'non-negative' if p < 2 else 'strictly positive'} for power={power}.")
    if p == 0:
        deviance = (y - mu) ** 2
    elif p == 1:
        deviance = 2 * (_xlogy(y, y / mu) - y + mu)
    elif p == 2:
        deviance = 2 * (np.log(mu / y) + y / mu - 1)
    else:
        deviance = 2 * (np.where(y > 0, y, 0.0) ** (2 - p) / ((1 - p) * (2 - p))
                        - y * mu ** (1 - p) / (1 - p) + mu ** (2 - p) / (2 - p))
    return float(_per_output_mean(deviance[:, None], weights)[0])


def _xlogy(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """``x * log(y)`` with ``0 * log(anything) = 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))


def cosine_similarity(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                      norm_floor: float = 0.0, squares_in: Literal["float64", "float32"] = "float64",
                      reduction: Reduction = "mean") -> float | NDArray[np.float64]:
    """Weighted mean over samples of the cosine of the angle between each row of ``y_true`` and ``y_pred``
    (``reduction="sum"``: their weighted sum; ``"none"``: each sample's cosine).

    A zero row (in either array) has no direction: its cosine is 0.0 (Keras documents this). With
    ``norm_floor``, each row is divided by ``sqrt(max(‖row‖², norm_floor))`` instead of its norm
    (Keras' ``normalize`` divides by ``max(‖row‖, 1e-7)``: ``norm_floor = 1e-14``). With
    ``squares_in="float32"`` a row's sum of squares is taken in float32, as the norm of a float32 tensor is:
    entries below ~1e-19 square to subnormals or 0, and ‖[0, 2.6e-23]‖ comes out 3.7e-23.
    """
    check_option(squares_in, "squares_in", ("float64", "float32"))
    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)

    def unit(rows: NDArray[np.float64]) -> NDArray[np.float64]:
        if squares_in == "float32":
            rows32 = rows.astype(np.float32)
            squared = np.einsum("ij,ij->i", rows32, rows32, dtype=np.float32).astype(np.float64)
        else:
            squared = np.einsum("ij,ij->i", rows, rows)
        norms = np.sqrt(np.maximum(squared, norm_floor))
        return rows / np.where(norms == 0, 1.0, norms)[:, None]

    cosines = np.einsum("ij,ij->i", unit(targets), unit(predictions))
    return reduced(cosines, weights, reduction)


Reduction = Literal["mean", "sum", "none"]


def reduced(values: NDArray[np.float64], weights: NDArray[np.float64], reduction: Reduction) -> float | NDArray:
    """Per-sample ``values`` as ``reduction`` says: their weighted mean (0.0 with zero weight), weighted sum, or
    the values themselves (``"none"``, weights unused)."""
    check_option(reduction, "reduction", ("mean", "sum", "none"))
    if reduction == "none":
        return values
    if reduction == "sum":
        return float(np.dot(weights, np.where(weights > 0, values, 0.0)))
    return float(_per_output_mean(values[:, None], weights)[0])


def weighted_mean(values: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """The weighted mean of ``values`` (``(n,)``, or ``(n, d)``: each row's mean first); 0.0 with zero weight."""
    array = as_float_array(values, "values", ndim=(1, 2))
    rows = array.reshape(len(array), -1).mean(axis=1) if array.size else np.zeros(len(array))
    weights = check_sample_weight(sample_weight, len(rows))
    return float(divide(np.dot(weights, rows), weights.sum()))


def weighted_sum(values: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """The weighted sum of ``values`` (``(n,)``, or ``(n, d)``: each row summed first)."""
    array = as_float_array(values, "values", ndim=(1, 2))
    rows = array.sum(axis=1) if array.ndim == 2 else array
    return float(np.dot(check_sample_weight(sample_weight, len(rows)), rows))
