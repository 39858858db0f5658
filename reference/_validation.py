"""Argument checks shared by the reference metrics.

Every check raises ``ValueError`` with a message that says what was wrong and what was expected,
in the manner of scikit-learn's ``sklearn.utils.validation``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

# A weight counts a sample: the definitions take weights >= 0 and reject a negative one. Inside weights_as_given()
# they apply the weighted formula to any real weight, as a library that does not check its weights computes (what
# the bad_inputs property compares such a library's value with).
_WEIGHTS_AS_GIVEN: ContextVar[bool] = ContextVar("weights_as_given", default=False)


@contextmanager
def weights_as_given() -> Iterator[None]:
    """Within this block, a negative sample weight is used as given in the weighted formulas instead of rejected."""
    token = _WEIGHTS_AS_GIVEN.set(True)
    try:
        yield
    finally:
        _WEIGHTS_AS_GIVEN.reset(token)


class RaisesByPolicy(ValueError):
    """The input is an error by a policy the metric documents (torchmetrics' ``nan_strategy="error"``): the metric
    must raise on it, where another invalid input may give NaN as well."""


def as_float_array(values: ArrayLike, name: str, *, ndim: int | tuple[int, ...] = 1) -> NDArray[np.float64]:
    """Return ``values`` as a float64 array of the expected rank, rejecting NaN and infinity."""
    array = np.asarray(values, dtype=np.float64)
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if array.ndim not in allowed:
        raise ValueError(f"{name} must be a {' or '.join(f'{d}-D' for d in allowed)} array; got shape {array.shape}.")
    if not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must contain only finite values; got NaN or infinity.")
    return array


def as_label_array(values: ArrayLike, name: str) -> NDArray[np.int64]:
    """Return ``values`` as a 1-D integer array of class labels."""
    array = np.asarray(values)
    if array.ndim == 2 and array.shape[1] == 1:
        array = array[:, 0]
    if array.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of class labels; got shape {array.shape}.")
    if array.size and not np.all(np.equal(np.mod(array, 1), 0)):
        raise ValueError(f"{name} must hold integer class labels; got non-integer values.")
    return array.astype(np.int64, copy=False)


def as_binary_targets(values: ArrayLike, name: str = "y_true") -> NDArray[np.float64]:
    """Return binary targets as a flat float64 array of 0.0 and 1.0."""
    array = as_float_array(values, name, ndim=(1, 2)).reshape(-1)
    if not np.all((array == 0) | (array == 1)):
        raise ValueError(f"{name} must contain only 0 and 1 for a binary metric; got {np.unique(array)[:5]}.")
    return array


def as_scores(values: ArrayLike, name: str = "y_score") -> NDArray[np.float64]:
    """Return per-sample scores as a flat float64 array (a ``(n, 1)`` column is flattened)."""
    return as_float_array(values, name, ndim=(1, 2)).reshape(-1)


def check_same_length(**arrays: NDArray) -> int:
    """Return the common number of samples, or raise naming the arrays whose lengths differ."""
    lengths = {name: len(array) for name, array in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"Inputs must have the same number of samples; got {lengths}.")
    return next(iter(lengths.values()))


def check_sample_weight(sample_weight: ArrayLike | None, n_samples: int) -> NDArray[np.float64]:
    """Return per-sample weights as float64; ``None`` means a weight of one for every sample."""
    if sample_weight is None:
        return np.ones(n_samples, dtype=np.float64)
    weights = as_float_array(sample_weight, "sample_weight", ndim=(1, 2)).reshape(-1)
    if weights.shape[0] != n_samples:
        raise ValueError(f"sample_weight must have one weight per sample ({n_samples}); got {weights.shape[0]}.")
    if np.any(weights < 0) and not _WEIGHTS_AS_GIVEN.get():
        raise ValueError("sample_weight must be non-negative.")
    return weights


def check_labels_in_range(labels: NDArray[np.int64], num_classes: int, name: str) -> None:
    """Raise if a label falls outside ``[0, num_classes)``."""
    if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
        raise ValueError(f"{name} must hold labels in [0, {num_classes}); got range [{labels.min()}, {labels.max()}].")


def check_option(value: object, name: str, allowed: tuple) -> None:
    """Raise if ``value`` is not one of ``allowed``."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}; got {value!r}.")


def divide(numerator: ArrayLike, denominator: ArrayLike, zero_division: float = 0.0) -> NDArray[np.float64]:
    """Elementwise ``numerator / denominator``, with ``zero_division`` where the denominator is 0."""
    numerator = np.asarray(numerator, dtype=np.float64)
    denominator = np.asarray(denominator, dtype=np.float64)
    safe = np.where(denominator == 0, 1.0, denominator)
    return np.where(denominator == 0, zero_division, numerator / safe)


def multilabel_inputs(
    y_true: ArrayLike, y_score: ArrayLike, sample_weight: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """``(targets, scores, weights)``: an ``(n, L)`` 0/1 target matrix, ``(n, L)`` scores and ``(n,)`` weights."""
    targets = as_float_array(y_true, "y_true", ndim=2)
    scores = as_float_array(y_score, "y_score", ndim=2)
    if targets.shape != scores.shape:
        raise ValueError(f"y_true and y_score must have the same shape (n_samples, n_labels); "
                         f"got {targets.shape} and {scores.shape}.")
    if not np.all((targets == 0) | (targets == 1)):
        raise ValueError(f"y_true must contain only 0 and 1 for a multilabel metric; got {np.unique(targets)[:5]}.")
    return targets, scores, check_sample_weight(sample_weight, len(targets))


def ignored_cells(y_true: ArrayLike, ignore_index: int | None) -> tuple[ArrayLike, NDArray[np.float64] | None]:
    """``(y_true, keep)``: the targets with each cell equal to ``ignore_index`` set to 0, and a float mask that is 0
    there (None without ``ignore_index``): a cell so masked counts for nothing."""
    if ignore_index is None:
        return y_true, None
    targets = np.asarray(y_true)
    ignored = targets == ignore_index
    return np.where(ignored, 0, targets), (~ignored).astype(np.float64)
