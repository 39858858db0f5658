"""Reference regression metrics.

Conventions: a ``(n, 1)`` column is the same as ``(n,)`` (one output); each sample's error is
weighted by its sample weight and the result is the weighted mean; zero total weight gives 0.0.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reference._validation import as_scores, check_same_length, check_sample_weight, divide


def _errors(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None):
    targets, predictions = as_scores(y_true, "y_true"), as_scores(y_pred, "y_pred")
    weights = check_sample_weight(sample_weight, check_same_length(y_true=targets, y_pred=predictions))
    return predictions - targets, weights


def _weighted_mean(values: NDArray[np.float64], weights: NDArray[np.float64]) -> float:
    return float(divide(np.dot(weights, values), weights.sum()))


def mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Weighted mean of ``(y_pred - y_true)²``."""
    errors, weights = _errors(y_true, y_pred, sample_weight)
    return _weighted_mean(errors**2, weights)


def root_mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Square root of :func:`mean_squared_error` (the root is taken after averaging)."""
    return float(np.sqrt(mean_squared_error(y_true, y_pred, sample_weight=sample_weight)))


def mean_absolute_error(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Weighted mean of ``|y_pred - y_true|``."""
    errors, weights = _errors(y_true, y_pred, sample_weight)
    return _weighted_mean(np.abs(errors), weights)
