"""Reference regression errors beyond the means of per-sample errors in ``regression``: the symmetric and the
weighted absolute percentage error, the relative squared error, the largest and the median absolute error, the
root mean squared logarithmic error, the Brier score, Kendall's rank correlation, the Minkowski distance, the
normalised RMSE, the pinball loss, the critical success index and the Jensen-Shannon divergence.

One output: ``y_true`` and ``y_pred`` are ``(n,)`` (or an ``(n, 1)`` column); ``sample_weight`` one weight per
sample. Zero total weight gives 0.0 for a mean of per-sample errors (nothing was weighed: no error), as in
``regression``; a ratio of sums whose denominator is 0 is undefined (NaN) unless its definition says otherwise.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import (
    as_binary_targets,
    as_float_array,
    as_scores,
    check_option,
    check_same_length,
    check_sample_weight,
    divide,
)

SMAPE_EPSILON = 1.17e-06  # torchmetrics' documented epsilon of SMAPE's denominator


def _single_output(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None
                   ) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    targets = as_float_array(y_true, "y_true", ndim=(1, 2))
    predictions = as_float_array(y_pred, "y_pred", ndim=(1, 2))
    if (targets.ndim == 2 and targets.shape[1] != 1) or (predictions.ndim == 2 and predictions.shape[1] != 1):
        raise ValueError(f"expected one output, (n,) or (n, 1); got {targets.shape} and {predictions.shape}.")
    targets, predictions = targets.reshape(-1), predictions.reshape(-1)
    n = check_same_length(y_true=targets, y_pred=predictions)
    return targets, predictions, check_sample_weight(sample_weight, n)


def _ratio(numerator: float, denominator: float) -> float:
    return float(numerator / denominator) if denominator else float("nan")


def symmetric_mean_absolute_percentage_error(
    y_true: ArrayLike, y_pred: ArrayLike, *, epsilon: float = SMAPE_EPSILON, sample_weight: ArrayLike | None = None,
) -> float:
    """SMAPE, torchmetrics' documented formula: ``(2/n) Σ |y - ŷ| / max(|y| + |ŷ|, ε)``, here the weighted mean of
    ``2 |y - ŷ| / max(|y| + |ŷ|, ε)`` (``ε = 1.17e-6``; a sample with ``y = ŷ = 0`` scores 0)."""
    targets, predictions, weights = _single_output(y_true, y_pred, sample_weight)
    per_sample = 2 * np.abs(targets - predictions) / np.maximum(np.abs(targets) + np.abs(predictions), epsilon)
    return float(divide(np.dot(weights, per_sample), weights.sum()))


def weighted_mean_absolute_percentage_error(
    y_true: ArrayLike, y_pred: ArrayLike, *, epsilon: float = 0.0, sample_weight: ArrayLike | None = None,
) -> float:
    """WMAPE, ``Σ |y - ŷ| / Σ |y|`` (torchmetrics' documented formula), each sum weighted; undefined (NaN) where
    ``Σ |y|`` is 0, unless ``epsilon`` > 0 floors the denominator (torchmetrics' code: ``clamp(min=1.17e-6)``)."""
    targets, predictions, weights = _single_output(y_true, y_pred, sample_weight)
    scale = float(np.dot(weights, np.abs(targets)))
    error = float(np.dot(weights, np.abs(targets - predictions)))
    return error / max(scale, epsilon) if epsilon else _ratio(error, scale)


def relative_squared_error(
    y_true: ArrayLike, y_pred: ArrayLike, *, squared: bool = True, sample_weight: ArrayLike | None = None,
) -> float:
    """RSE, ``Σ (y - ŷ)² / Σ (y - ȳ)²`` (torchmetrics' documented formula; ``ȳ`` the weighted mean), or its root
    (``squared=False``). Undefined (NaN) for constant targets (no spread to relate the error to)."""
    targets, predictions, weights = _single_output(y_true, y_pred, sample_weight)
    if not weights.sum():
        return float("nan")
    mean = np.dot(weights, targets) / weights.sum()
    value = _ratio(float(np.dot(weights, (targets - predictions) ** 2)), float(np.dot(weights, (targets - mean) ** 2)))
    return value if squared else float(np.sqrt(value))


def max_error(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """The largest absolute error, ``max |y - ŷ|`` over the samples with a positive weight (0.0 for none)."""
    targets, predictions, weights = _single_output(y_true, y_pred, sample_weight)
    return float(np.max(np.abs(targets - predictions)[weights > 0], initial=0.0))


def median_absolute_error(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """The (weighted) median of ``|y - ŷ|``: the value where the samples' cumulative weight, in increasing order of
    error, reaches half the total; where it reaches exactly half at a value, the mean of that value and the next
    one (the "averaged inverted CDF", which is the plain median for equal weights; scikit-learn's). Samples of
    weight 0 do not count; no weight gives 0.0."""
    targets, predictions, weights = _single_output(y_true, y_pred, sample_weight)
    kept = weights > 0
    errors, weights = np.abs(targets - predictions)[kept], weights[kept]
    if not errors.size:
        return 0.0
    order = np.argsort(errors, kind="stable")
    errors, cumulative = errors[order], np.cumsum(weights[order])
    half = cumulative[-1] / 2
    index = int(np.searchsorted(cumulative, half, side="left"))
    if np.isclose(cumulative[index], half, rtol=1e-12, atol=0.0) and index + 1 < errors.size:
        return float((errors[index] + errors[index + 1]) / 2)
    return float(errors[index])


def root_mean_squared_log_error(y_true: ArrayLike, y_pred: ArrayLike, *,
                                sample_weight: ArrayLike | None = None) -> float:
    """``sqrt(mean((log(1 + y) - log(1 + ŷ))²))``, weighted (scikit-learn's ``root_mean_squared_log_error``; defined
    for ``y, ŷ > -1``). Zero total weight gives 0.0."""
    targets, predictions, weights = _single_output(y_true, y_pred, sample_weight)
    if np.any(targets <= -1) or np.any(predictions <= -1):
        raise ValueError("y_true and y_pred must be greater than -1 for a logarithmic error.")
    squared = (np.log1p(targets) - np.log1p(predictions)) ** 2
    return float(np.sqrt(divide(np.dot(weights, squared), weights.sum())))


def brier_score(y_true: ArrayLike, y_proba: ArrayLike, *, scale_by_half: bool | Literal["auto"] = "auto",
                sample_weight: ArrayLike | None = None) -> float:
    """The Brier score of binary outcomes: the weighted mean of ``(p - y)²``, ``p`` the probability of class 1
    (scikit-learn's ``brier_score_loss`` of binary targets: "scaled to [0, 1] for binary classification"), or with
    ``scale_by_half=False`` Brier's (1950) sum over both classes, ``2 (p - y)²``, in [0, 2]. Zero total weight gives
    0.0."""
    targets, probabilities = as_binary_targets(y_true), as_scores(y_proba, "y_proba")
    n = check_same_length(y_true=targets, y_proba=probabilities)
    if np.any((probabilities < 0) | (probabilities > 1)):
        raise ValueError("y_proba must hold probabilities in [0, 1].")
    weights = check_sample_weight(sample_weight, n)
    halved = float(divide(np.dot(weights, (probabilities - targets) ** 2), weights.sum()))
    return halved if scale_by_half in ("auto", True) else 2 * halved


def kendall_rank_corrcoef(
    y_true: ArrayLike, y_pred: ArrayLike, *, variant: Literal["a", "b", "c"] = "b",
    tau_a_pairs: Literal["all", "untied"] = "all", sample_weight: ArrayLike | None = None,
) -> float:
    """Kendall's rank correlation of ``y_pred`` with ``y_true``, over pairs of samples (a pair ``i < j`` weighs
    ``w_i w_j``). With ``C`` and ``D`` the concordant and discordant pairs, ``n_0`` all pairs, ``T_x`` and ``T_y``
    the pairs tied in one variable:

    * ``a``: ``(C - D) / n_0`` (Kendall, 1938), or ``(C - D) / (C + D)`` with ``tau_a_pairs="untied"`` (the formula
      torchmetrics' documentation gives);
    * ``b``: ``(C - D) / sqrt((n_0 - T_x)(n_0 - T_y))``, ties adjusted (Kendall, 1945);
    * ``c``: ``2 (C - D) / (n² (m - 1) / m)``, ``m`` the fewer distinct values of the two (Stuart, 1953).

    Undefined (NaN) where the denominator is 0 (a constant variable, one sample).
    """
    check_option(variant, "variant", ("a", "b", "c"))
    check_option(tau_a_pairs, "tau_a_pairs", ("all", "untied"))
    targets, predictions, weights = _single_output(y_true, y_pred, sample_weight)
    pair = np.triu(np.outer(weights, weights), k=1)  # each unordered pair once
    order_true = np.sign(targets[None, :] - targets[:, None])
    order_pred = np.sign(predictions[None, :] - predictions[:, None])
    agreement = order_true * order_pred
    concordant, discordant = float((pair * (agreement > 0)).sum()), float((pair * (agreement < 0)).sum())
    all_pairs = float(pair.sum())
    if variant == "a":
        return _ratio(concordant - discordant, all_pairs if tau_a_pairs == "all" else concordant + discordant)
    if variant == "b":
        tied_true, tied_pred = float((pair * (order_true == 0)).sum()), float((pair * (order_pred == 0)).sum())
        return _ratio(concordant - discordant, float(np.sqrt((all_pairs - tied_true) * (all_pairs - tied_pred))))
    kept = weights > 0
    m = min(np.unique(targets[kept]).size, np.unique(predictions[kept]).size)
    return _ratio(2 * (concordant - discordant), weights.sum() ** 2 * (m - 1) / m) if m else float("nan")


def minkowski_distance(y_true: ArrayLike, y_pred: ArrayLike, *, p: float = 2.0,
                       sample_weight: ArrayLike | None = None) -> float:
    """The Minkowski distance of order ``p >= 1`` between predictions and targets, ``(Σ w |y - ŷ|^p)^(1/p)`` (the
    p-norm of the errors; torchmetrics' documentation prints the power ``1/p`` inside the sum, a typesetting slip
    its definition, "the Minkowski distance", and its code do not make)."""
    if p < 1:
        raise ValueError(f"p must be at least 1; got {p}.")
    targets, predictions, weights = _single_output(y_true, y_pred, sample_weight)
    return float(np.dot(weights, np.abs(targets - predictions) ** p) ** (1 / p))


def normalized_root_mean_squared_error(
    y_true: ArrayLike, y_pred: ArrayLike, *, normalization: Literal["mean", "range", "std", "l2"] = "mean",
    sample_weight: ArrayLike | None = None,
) -> float:
    """RMSE divided by the targets' (weighted) ``mean``, ``range`` (max - min), ``std`` (population standard deviation)
    or ``l2`` norm ``sqrt(Σ w y²)`` (torchmetrics' NormalizedRootMeanSquaredError); undefined (NaN) where that is 0."""
    check_option(normalization, "normalization", ("mean", "range", "std", "l2"))
    targets, predictions, weights = _single_output(y_true, y_pred, sample_weight)
    total = weights.sum()
    if not total:
        return float("nan")
    rmse = np.sqrt(np.dot(weights, (targets - predictions) ** 2) / total)
    mean = np.dot(weights, targets) / total
    kept = targets[weights > 0]
    denominator = {"mean": mean, "range": kept.max() - kept.min(),
                   "std": np.sqrt(np.dot(weights, (targets - mean) ** 2) / total),
                   "l2": np.sqrt(np.dot(weights, targets**2))}[normalization]
    return _ratio(float(rmse), float(denominator))


def mean_pinball_loss(y_true: ArrayLike, y_pred: ArrayLike, *, alpha: float = 0.5,
                      sample_weight: ArrayLike | None = None) -> float:
    """The weighted mean of the pinball (quantile) loss of level ``alpha``: ``alpha (y - ŷ)`` where the prediction
    is below the target, ``(1 - alpha)(ŷ - y)`` where above (scikit-learn's ``mean_pinball_loss``; half the absolute
    error at 0.5). Zero total weight gives 0.0."""
    if not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be in [0, 1]; got {alpha}.")
    targets, predictions, weights = _single_output(y_true, y_pred, sample_weight)
    difference = targets - predictions
    loss = np.where(difference >= 0, alpha * difference, (alpha - 1) * difference)
    return float(divide(np.dot(weights, loss), weights.sum()))


def critical_success_index(y_true: ArrayLike, y_pred: ArrayLike, *, threshold: float, no_events: float | None = None,
                           sample_weight: ArrayLike | None = None) -> float:
    """The critical success index (threat score) of events ``value >= threshold``: ``hits / (hits + misses + false
    alarms)``, weighted counts (torchmetrics' CriticalSuccessIndex: "TP / (TP + FN + FP) ... after binarizing";
    values "above or equal to threshold are replaced with 1"). Undefined where no event is observed or forecast:
    NaN, or ``no_events`` if given."""
    targets, predictions, weights = _single_output(y_true, y_pred, sample_weight)
    observed, forecast = targets >= threshold, predictions >= threshold
    hits, events = float(np.dot(weights, observed & forecast)), float(np.dot(weights, observed | forecast))
    return no_events if not events and no_events is not None else _ratio(hits, events)


def jensen_shannon_divergence(
    y_true: ArrayLike, y_pred: ArrayLike, *, reduction: Literal["mean", "sum", "none"] | None = "mean",
    sample_weight: ArrayLike | None = None,
) -> float | NDArray[np.float64]:
    """Per row, the Jensen-Shannon divergence ``½ KL(p ‖ m) + ½ KL(q ‖ m)``, ``m = (p + q) / 2``, natural logs,
    ``0 log 0 = 0``, of the two rows each normalised to sum 1 (torchmetrics' JensenShannonDivergence), undefined
    (NaN) for a row of zeros; then the weighted ``mean`` (0.0 for zero total weight), the weighted ``sum``, or every
    row (``none``)."""
    check_option(reduction, "reduction", ("mean", "sum", "none", None))
    p, q = as_float_array(y_true, "y_true", ndim=2), as_float_array(y_pred, "y_pred", ndim=2)
    if p.shape != q.shape:
        raise ValueError(f"y_true and y_pred must be rows of one shape; got {p.shape} and {q.shape}.")
    weights = check_sample_weight(sample_weight, len(p))
    with np.errstate(invalid="ignore", divide="ignore"):
        p, q = p / p.sum(axis=1, keepdims=True), q / q.sum(axis=1, keepdims=True)
        m = (p + q) / 2

        def kl(a: NDArray[np.float64]) -> NDArray[np.float64]:
            return np.where(a > 0, a * np.log(np.where(a > 0, a, 1.0) / np.where(m > 0, m, 1.0)), 0.0).sum(axis=1)
        per_row = np.where(np.isnan(p).any(axis=1) | np.isnan(q).any(axis=1), np.nan, kl(p) / 2 + kl(q) / 2)
    if reduction in ("none", None):
        return per_row
    summed = float(np.dot(weights, per_row))
    return summed if reduction == "sum" else float(divide(summed, weights.sum()))
