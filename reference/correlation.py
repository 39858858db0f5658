"""Reference correlation coefficients between targets and predictions.

Conventions shared by every function here (each docstring repeats the ones it uses):

* **Over samples**: the coefficient is taken over all samples of the data at once (one output),
  with weighted moments (weights as frequencies: an integer weight k counts the sample k times).
  ``*_rows`` variants take one coefficient per sample across its ``d`` outputs and average them.
* **Moments**: means and (co)variances divide by the total weight (population moments, ``ddof=0``)
  unless ``ddof=1`` asks for the sample estimates (total weight - 1).
* **Undefined**: a coefficient whose denominator is 0 (a constant input for Pearson and Spearman)
  is NaN; so is one over no sample (zero total weight).
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, as_scores, check_same_length, check_sample_weight


def _pair(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None):
    x, y = as_scores(y_true, "y_true"), as_scores(y_pred, "y_pred")
    return x, y, check_sample_weight(sample_weight, check_same_length(y_true=x, y_pred=y))


def _moments(x: NDArray[np.float64], y: NDArray[np.float64], weights: NDArray[np.float64], ddof: int):
    """Weighted ``(mean_x, mean_y, var_x, var_y, cov)``; NaN everywhere without enough weight."""
    total = weights.sum()
    if total - ddof <= 0:
        return (np.nan,) * 5
    mean_x, mean_y = np.dot(weights, x) / total, np.dot(weights, y) / total
    dx, dy = x - mean_x, y - mean_y  # two passes: no cancellation between sums of squares
    scale = total - ddof
    return mean_x, mean_y, np.dot(weights, dx * dx) / scale, np.dot(weights, dy * dy) / scale, \
        np.dot(weights, dx * dy) / scale


def _pearson(x: NDArray[np.float64], y: NDArray[np.float64], weights: NDArray[np.float64]) -> float:
    _, _, var_x, var_y, cov = _moments(x, y, weights, 0)
    denominator = np.sqrt(var_x) * np.sqrt(var_y)
    return float(cov / denominator) if denominator > 0 else float("nan")


def pearson_corrcoef(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                     no_weight: float = np.nan) -> float:
    """Pearson's r over samples: ``cov(y_true, y_pred) / (σ_true σ_pred)``, weighted.

    NaN when either input is constant: the coefficient is undefined. With zero total weight (no
    sample counts) the value is ``no_weight`` (NaN by default; Keras' running mean gives 0.0).
    """
    x, y, weights = _pair(y_true, y_pred, sample_weight)
    return _pearson(x, y, weights) if weights.sum() > 0 else float(no_weight)


def concordance_corrcoef(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                         ddof: int = 0, epsilon: float = 0.0, no_weight: float = np.nan) -> float:
    """Lin's concordance correlation coefficient over samples, weighted.

    ``2 cov / (var_true + var_pred + (mean_true - mean_pred)² + epsilon)`` with population moments
    (Lin 1989), or sample moments with ``ddof=1``. NaN when the denominator is 0 (both inputs
    constant and equal); 0.0 when only one is constant; ``no_weight`` (NaN) with zero total weight.
    """
    x, y, weights = _pair(y_true, y_pred, sample_weight)
    if weights.sum() == 0:
        return float(no_weight)
    mean_x, mean_y, var_x, var_y, cov = _moments(x, y, weights, ddof)
    denominator = var_x + var_y + (mean_x - mean_y) ** 2 + epsilon
    return float(2 * cov / denominator) if denominator > 0 else float("nan")


def _average_ranks(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """1-based ranks, tied values sharing the mean of their ranks (sorting once: O(n log n))."""
    order = np.argsort(values, kind="stable")
    sorted_values = values[order]
    starts = np.flatnonzero(np.r_[True, sorted_values[1:] != sorted_values[:-1]])
    ends = np.r_[starts[1:], len(values)]
    group_rank = (starts + ends + 1) / 2.0  # mean of ranks start+1 .. end
    ranks = np.empty(len(values))
    ranks[order] = np.repeat(group_rank, ends - starts)
    return ranks


def spearman_corrcoef(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                      epsilon: float = 0.0) -> float:
    """Spearman's ρ: Pearson's r between the average ranks of ``y_true`` and of ``y_pred``.

    Tied values share the mean of their ranks. NaN when either input is constant, unless ``epsilon``
    is added to the denominator ``σ_rank_true σ_rank_pred`` (torchmetrics adds 1e-6: 0.0 then).
    Takes no sample weights (ranks of weighted samples have no agreed definition); ``None`` only.
    """
    x, y, _ = _pair(y_true, y_pred, None)
    if sample_weight is not None:
        raise ValueError("spearman_corrcoef takes no sample weights; got sample_weight.")
    if len(x) == 0:
        return float("nan")
    rank_x, rank_y = _average_ranks(x), _average_ranks(y)
    if epsilon == 0:
        return _pearson(rank_x, rank_y, np.ones(len(x)))
    _, _, var_x, var_y, cov = _moments(rank_x, rank_y, np.ones(len(x)), 0)
    return float(cov / (np.sqrt(var_x) * np.sqrt(var_y) + epsilon))


def _rows(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None):
    x = as_float_array(y_true, "y_true", ndim=2)
    y = as_float_array(y_pred, "y_pred", ndim=2)
    if x.shape != y.shape:
        raise ValueError(f"y_true and y_pred must have the same shape; got {x.shape} and {y.shape}.")
    return x, y, check_sample_weight(sample_weight, len(x))


def _weighted_row_mean(values: NDArray[np.float64], weights: NDArray[np.float64]) -> float:
    kept = weights > 0
    total = weights.sum()
    return float(np.dot(weights[kept], values[kept]) / total) if total > 0 else 0.0


def pearson_corrcoef_rows(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """The weighted mean over samples of Pearson's r across each sample's outputs (rows of ``(n, d)``).

    A constant row makes its coefficient (hence the mean) NaN; zero total weight gives 0.0.
    """
    x, y, weights = _rows(y_true, y_pred, sample_weight)
    dx, dy = x - x.mean(axis=1, keepdims=True), y - y.mean(axis=1, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        coefficients = (dx * dy).mean(axis=1) / (dx.std(axis=1) * dy.std(axis=1))
    return _weighted_row_mean(coefficients, weights)


def concordance_corrcoef_rows(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                              epsilon: float = 0.0) -> float:
    """The weighted mean over samples of Lin's concordance coefficient across each sample's outputs.

    Population moments per row; ``epsilon`` is added to each denominator. A row whose denominator is
    0 (constant and equal rows) makes the mean NaN; zero total weight gives 0.0.
    """
    x, y, weights = _rows(y_true, y_pred, sample_weight)
    mean_x, mean_y = x.mean(axis=1), y.mean(axis=1)
    cov = ((x - mean_x[:, None]) * (y - mean_y[:, None])).mean(axis=1)
    denominator = x.var(axis=1) + y.var(axis=1) + (mean_x - mean_y) ** 2 + epsilon
    with np.errstate(divide="ignore", invalid="ignore"):
        coefficients = 2 * cov / denominator
    return _weighted_row_mean(coefficients, weights)
