"""Float32 cancellation as a convention: the interval a library's value may lie in, and only that.

A library that accumulates float32 sums and subtracts them (a one-pass variance ``Σy² - (Σy)²/n``, a
Tweedie deviance whose terms cancel) loses the digits the subtraction removes, and nothing else. Recursive
summation of ``k`` terms errs by at most ``γ_k Σ|terms|`` whatever the order (Higham, *Accuracy and Stability
of Numerical Algorithms*, eq. 4.4), so each accumulated quantity lies within ``(2n + 6) u Σ|terms|`` of its
value (``u = 2^-24``; ``2n``: the stream's additions, at most one per sample and one per batch, an empty
batch adding an exact 0; ``6``: the square, the weight's product, the mean's division, the product of the
sums and the subtraction, and one to spare). The metric, a monotone function of those quantities, lies
between its values at the ends of their intervals.

Where an interval reaches a denominator's zero the value is unbounded: rounding noise divided by rounding
noise can be anything, NaN and infinities included. That is the one place such a declaration explains any
value; on well-conditioned data the interval is a few ulps wide and a wrong value is still a finding.

Each function takes the reference's arguments plus ``side``: -1 for the low end, +1 for the high end (a
:class:`~conformance.catalogue.model.KnownDifference` takes them as its two ``bounds``). An unbounded value is
``-inf`` at the low end and ``+inf`` at the high end.

The same cancellation happens in whatever dtype the library computes in: the judge evaluates every convention inside
``computing(dtype)``, and these bounds take that dtype's unit roundoff and resolution (a library that computes float16
inputs in float16 cancels with ``u = 2^-11``).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar

import numpy as np
from numpy.typing import ArrayLike, NDArray

from conformance.reference.regression import _aggregate, _regression_inputs

UNIT = 2.0**-24
SIDES = ({"side": -1}, {"side": 1})  # a KnownDifference's bounds


TINY = float(np.finfo(np.float32).tiny)  # below it float32 keeps fewer digits (or none, flushed to zero)

# (unit roundoff, the absolute resolution each term may lose) of each dtype a library computes in. float16 keeps
# subnormals down to 2^-24 (a smaller square is 0); bfloat16 has float32's exponents.
PRECISIONS = {"float16": (2.0**-11, 2.0**-24), "bfloat16": (2.0**-8, TINY), "float32": (UNIT, TINY),
              "float64": (2.0**-53, float(np.finfo(np.float64).tiny))}
_computing: ContextVar[str] = ContextVar("computing", default="float32")


@contextlib.contextmanager
def computing(dtype: str) -> Iterator[None]:
    """The conventions (this module's bounds, and any that asks ``computing_dtype()``: a sigmoid's rounding) evaluated
    for a computation in ``dtype`` while the block runs (the judge sets the dtype the library computes in)."""
    token = _computing.set(dtype)
    try:
        yield
    finally:
        _computing.reset(token)


def computing_dtype() -> str:
    """The dtype the library computes in, for a convention that rounds as it does (float32 unless ``computing``)."""
    return _computing.get()


def unit() -> float:
    """The unit roundoff of the dtype computed in."""
    return PRECISIONS[_computing.get()][0]


_unit = unit


def _slack(count: int) -> float:
    """The relative bound of a quantity accumulated from ``count`` samples (see the module), in the dtype computed in
    (float32 unless ``computing`` says otherwise)."""
    return (2 * count + 6) * _unit()


def _error(count: int, magnitude: NDArray) -> NDArray:
    """The bound of a sum of ``count`` terms whose magnitudes add up to ``magnitude``: relative, plus the subnormal
    range for each term (a float32 square of 1e-20 underflows; TensorFlow flushes subnormals to 0)."""
    return _slack(count) * magnitude + count * PRECISIONS[_computing.get()][1]


def _ratio(numerator: tuple[NDArray, NDArray], denominator: tuple[NDArray, NDArray]) -> tuple[NDArray, NDArray]:
    """Elementwise ``[low, high]`` of ``n / d`` for ``n`` and ``d`` in their intervals; ``(-inf, inf)`` where
    ``d``'s interval reaches 0 or below (the library may divide noise by noise)."""
    (n_low, n_high), (d_low, d_high) = (np.broadcast_arrays(*pair) for pair in (numerator, denominator))
    safe_low, safe_high = np.where(d_low > 0, d_low, 1.0), np.where(d_low > 0, d_high, 1.0)
    corners = np.stack([n_low / safe_low, n_low / safe_high, n_high / safe_low, n_high / safe_high])
    bounded = d_low > 0
    return np.where(bounded, corners.min(axis=0), -np.inf), np.where(bounded, corners.max(axis=0), np.inf)


def _around(value: NDArray, slack: NDArray) -> tuple[NDArray, NDArray]:
    return value - slack, value + slack


def _pick(interval: tuple[NDArray, NDArray], side: int):
    low, high = interval
    return low if side < 0 else high


def _one_minus(interval: tuple[NDArray, NDArray]) -> tuple[NDArray, NDArray]:
    return 1 - interval[1], 1 - interval[0]


def _aggregate_interval(per_output: tuple[NDArray, NDArray], multioutput: str,
                        numerator: tuple[NDArray, NDArray], denominator: tuple[NDArray, NDArray]):
    """Aggregate each end as the reference aggregates per-output scores. Variance weighting is
    ``1 - Σ numerator / Σ denominator``, monotone in each sum."""
    if multioutput == "variance_weighted":
        # An output whose denominator may be 0 (constant targets) has weight 0 exactly; in float32 its weight is
        # noise and its own score noise over noise (which may overflow): unbounded unless its numerator is 0 too.
        if ((denominator[0] <= 0) & (numerator[1] > 0)).any():
            return -np.inf, np.inf
        return _one_minus(_ratio((max(numerator[0].sum(), 0.0), numerator[1].sum()),
                                 (denominator[0].sum(), denominator[1].sum())))
    how = "raw_values" if multioutput == "raw_values" else "uniform_average"
    return tuple(_aggregate(np.asarray(end, np.float64), how) for end in per_output)


def r2_score(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
             multioutput: str = "uniform_average", num_regressors: int = 0, samples: str = "rows", side: int,
             force_finite: bool = True):
    """An end of R² = 1 - SS_res / SS_tot with both sums of squares accumulated in float32 (``force_finite`` is
    taken and not read: these ends are those of the sums' intervals, for any rule on a constant target).

    SS_tot within ``slack · Σ w y²`` (a one-pass ``Σwy² - (Σwy)²/Σw`` cancels down to that; a two-pass sum
    in float32 errs less), SS_res within ``slack · SS_res``."""
    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)
    residual = weights @ (targets - predictions) ** 2
    mean = weights @ targets / weights.sum() if weights.sum() > 0 else np.zeros(targets.shape[1])
    total = weights @ (targets - mean) ** 2
    res = _around(residual, _error(len(targets), residual))
    tot = _around(total, _error(len(targets), weights @ targets**2))
    score = _aggregate_interval(_one_minus(_ratio((np.maximum(res[0], 0), res[1]), tot)), multioutput, res, tot)
    n = targets.shape[0] * (targets.shape[1] if samples == "values" else 1)
    if num_regressors and n - num_regressors - 1 > 0:  # the adjustment grows with the score: ends stay ends
        score = tuple(1 - (1 - np.asarray(end)) * (n - 1) / (n - num_regressors - 1) for end in score)
    return _pick(score, side)


def explained_variance_score(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                             multioutput: str = "uniform_average", side: int, force_finite: bool = True):
    """An end of 1 - Var(residuals) / Var(targets) with both variances accumulated in float32 (one pass;
    ``force_finite`` as :func:`r2_score`)."""
    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)
    total_weight = max(float(weights.sum()), np.finfo(np.float64).tiny)
    residuals = targets - predictions

    def variance(values: NDArray) -> tuple[NDArray, NDArray]:
        mean = weights @ values / total_weight
        return _around(weights @ (values - mean) ** 2 / total_weight,
                       _error(len(values), weights @ values**2) / total_weight)

    res, tot = variance(residuals), variance(targets)
    score = _one_minus(_ratio((np.maximum(res[0], 0), res[1]), tot))
    return _pick(_aggregate_interval(score, multioutput, res, tot), side)


def _moment_intervals(x: NDArray, y: NDArray, weights: NDArray, ddof: int):
    """Float32 intervals of the weighted means, variances and covariance of ``x`` and ``y`` (last axis)."""
    total, count = weights.sum(axis=-1), x.shape[-1]
    scale = np.where(total - ddof > 0, total - ddof, np.nan)
    mean_x, mean_y = (np.sum(weights * v, axis=-1) / total for v in (x, y))
    dx, dy = x - mean_x[..., None], y - mean_y[..., None]
    squares_x, squares_y = (np.sum(weights * v**2, axis=-1) for v in (x, y))
    return {
        "mean_x": _around(mean_x, _error(count, np.sum(weights * np.abs(x), axis=-1)) / total),
        "mean_y": _around(mean_y, _error(count, np.sum(weights * np.abs(y), axis=-1)) / total),
        "var_x": _around(np.sum(weights * dx**2, axis=-1) / scale, _error(count, squares_x) / scale),
        "var_y": _around(np.sum(weights * dy**2, axis=-1) / scale, _error(count, squares_y) / scale),
        "cov": _around(np.sum(weights * dx * dy, axis=-1) / scale,
                       _error(count, np.sqrt(squares_x * squares_y)) / scale),
    }


def _pearson(m: dict) -> tuple[NDArray, NDArray]:
    (vx_low, vx_high), (vy_low, vy_high) = m["var_x"], m["var_y"]
    bounded = (vx_low > 0) & (vy_low > 0)
    denominator = (np.where(bounded, np.sqrt(np.maximum(vx_low, 0) * np.maximum(vy_low, 0)), 0.0),
                   np.sqrt(vx_high * vy_high))
    return _ratio(m["cov"], denominator)


def _concordance(m: dict, epsilon: float) -> tuple[NDArray, NDArray]:
    (mx_low, mx_high), (my_low, my_high) = m["mean_x"], m["mean_y"]
    gap_low = np.maximum(np.maximum(mx_low - my_high, my_low - mx_high), 0.0)
    gap_high = np.maximum(mx_high - my_low, my_high - mx_low)
    denominator = (np.maximum(m["var_x"][0], 0) + np.maximum(m["var_y"][0], 0) + gap_low**2 + epsilon,
                   m["var_x"][1] + m["var_y"][1] + gap_high**2 + epsilon)
    return _ratio(tuple(2 * end for end in m["cov"]), denominator)


def _over_samples(y_true: ArrayLike, y_pred: ArrayLike, sample_weight: ArrayLike | None):
    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)
    return targets[:, 0], predictions[:, 0], weights


def pearson_corrcoef(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                     no_weight: float = np.nan, side: int) -> float:
    """An end of Pearson's r over samples with its moments accumulated in float32."""
    x, y, weights = _over_samples(y_true, y_pred, sample_weight)
    if weights.sum() <= 0:
        return float(no_weight)
    return float(_pick(_pearson(_moment_intervals(x, y, weights, 0)), side))


def concordance_corrcoef(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                         ddof: int = 0, epsilon: float = 0.0, no_weight: float = np.nan, side: int) -> float:
    """An end of Lin's concordance coefficient over samples with its moments accumulated in float32."""
    x, y, weights = _over_samples(y_true, y_pred, sample_weight)
    if weights.sum() <= 0:
        return float(no_weight)
    return float(_pick(_concordance(_moment_intervals(x, y, weights, ddof), epsilon), side))


def _row_mean(coefficients: NDArray, weights: NDArray) -> float:
    kept = weights > 0
    return float(np.dot(weights[kept], coefficients[kept]) / weights.sum()) if weights.sum() > 0 else 0.0


def pearson_corrcoef_rows(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                          side: int) -> float:
    """An end of the weighted mean over samples of Pearson's r across each sample's outputs, each row's
    moments taken in float32."""
    x, y, weights = _regression_inputs(y_true, y_pred, sample_weight)
    with np.errstate(all="ignore"):
        ends = _pearson(_moment_intervals(x, y, np.ones_like(x), 0))
    return _row_mean(_pick(ends, side), weights)


def concordance_corrcoef_rows(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                              epsilon: float = 0.0, side: int) -> float:
    """An end of the weighted mean over samples of Lin's coefficient across each sample's outputs, each row's
    moments taken in float32."""
    x, y, weights = _regression_inputs(y_true, y_pred, sample_weight)
    with np.errstate(all="ignore"):
        ends = _concordance(_moment_intervals(x, y, np.ones_like(x), 0), epsilon)
    return _row_mean(_pick(ends, side), weights)


def mean_tweedie_deviance(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                          power: float = 0.0, side: int) -> float:
    """An end of the mean Tweedie deviance with each sample's terms computed in float32 and then summed.

    Each term (a power, a logarithm, a quotient: a few roundings each) errs by ``8 u`` of its size; the
    deviance is a sum of terms that cancel where ``y_pred ≈ y_true``, so its error is that of the terms'
    magnitudes, not of its own."""
    from conformance.reference.regression import mean_tweedie_deviance as exact

    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)
    y, mu, p = targets[:, 0], predictions[:, 0], float(power)
    with np.errstate(all="ignore"):
        if p == 0:
            terms = [(y - mu) ** 2]
        elif p == 1:
            terms = [np.abs(y * np.log(np.where(y > 0, y / mu, 1.0))), y, mu]
        elif p == 2:
            terms = [np.ones_like(y), np.abs(np.log(mu / y)), y / mu]
        else:
            terms = [np.where(y > 0, y, 0.0) ** (2 - p) / abs((1 - p) * (2 - p)), y * mu ** (1 - p) / abs(1 - p),
                     mu ** (2 - p) / abs(2 - p)]
    magnitude = 2 * np.sum(np.abs(terms), axis=0)
    total = max(float(weights.sum()), np.finfo(np.float64).tiny)
    slack = (8 * _unit() + _slack(len(y))) * float(weights @ magnitude) / total
    return exact(y_true, y_pred, sample_weight=sample_weight, power=power) + side * slack


def poisson(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None, epsilon: float = 0.0,
            side: int) -> float:
    """An end of the mean Poisson loss ``ŷ - y log(ŷ + epsilon)`` summed in float32: its samples' losses have
    either sign, so the sum errs by the rounding of their magnitudes ``|ŷ| + |y log(ŷ + epsilon)|``, not of the
    mean (which may cancel to far less)."""
    from conformance.reference.probabilistic import poisson as exact

    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)
    with np.errstate(all="ignore"):
        logs = np.where(targets > 0, targets * np.log(predictions + epsilon), 0.0)
    magnitude = weights @ (np.abs(predictions) + np.abs(logs))[:, 0] / max(float(weights.sum()), 1e-300)
    value = exact(y_true, y_pred, sample_weight=sample_weight, epsilon=epsilon)
    return value + side * (8 * _unit() + _slack(len(targets))) * float(magnitude)


def relative_squared_error(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                           squared: bool = True, floor: float = 0.0, side: int) -> float:
    """An end of RSE = SS_res / SS_tot (its root without ``squared``) with both sums of squares accumulated in
    float32, SS_tot in one pass as for :func:`r2_score` and then raised to at least ``floor``; unbounded where SS_tot's
    interval reaches 0 (constant targets, where the exact value is undefined) and no floor holds it."""
    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)
    residual = weights @ (targets - predictions) ** 2
    mean = weights @ targets / weights.sum() if weights.sum() > 0 else np.zeros(targets.shape[1])
    res = _around(residual, _error(len(targets), residual))
    tot = _around(weights @ (targets - mean) ** 2, _error(len(targets), weights @ targets**2))
    tot = (np.maximum(tot[0], floor), np.maximum(tot[1], floor))
    low, high = _ratio((np.maximum(res[0], 0), res[1]), tot)
    if not squared:
        low, high = np.sqrt(np.maximum(low, 0.0)), np.sqrt(high)
    return float(_pick((low, high), side)[0])


def normalized_root_mean_squared_error(y_true: ArrayLike, y_pred: ArrayLike, *,
                                       sample_weight: ArrayLike | None = None, normalization: str = "mean",
                                       side: int) -> float:
    """An end of RMSE / denominator with the sums accumulated in float32: the mean within the rounding of Σ|y|, the
    variance and Σy² within that of Σy²; the range exact. Unbounded where the denominator's interval reaches 0."""
    targets, predictions, weights = _regression_inputs(y_true, y_pred, sample_weight)
    targets, predictions = targets[:, 0], predictions[:, 0]
    total = max(float(weights.sum()), np.finfo(np.float64).tiny)
    squared = float(weights @ (targets - predictions) ** 2)
    mse = _around(squared / total, _error(len(targets), squared) / total)
    rmse = (np.sqrt(max(mse[0], 0.0)), np.sqrt(mse[1]))
    mean = float(weights @ targets) / total
    spread = _error(len(targets), float(weights @ targets**2)) / total
    if normalization == "mean":
        denominator = _around(mean, _error(len(targets), float(weights @ np.abs(targets))) / total)
    elif normalization == "range":
        kept = targets[weights > 0]
        denominator = (kept.max() - kept.min(),) * 2 if kept.size else (0.0, 0.0)
    elif normalization == "std":
        variance = _around(float(weights @ (targets - mean) ** 2) / total, spread)
        denominator = (np.sqrt(max(variance[0], 0.0)), np.sqrt(max(variance[1], 0.0)))
    else:
        norm = _around(float(weights @ targets**2), _error(len(targets), float(weights @ targets**2)))
        denominator = (np.sqrt(max(norm[0], 0.0)), np.sqrt(max(norm[1], 0.0)))
    low, high = denominator
    if low < 0 < high or low == 0 or high == 0:  # a denominator of either sign, or 0: noise over noise
        return -np.inf if side < 0 else np.inf
    if high < 0:  # a negative mean: |RMSE / mean| as for a positive one, then the sign
        low, high = -high, -low
        ends = _ratio(rmse, (low, high))
        return float(_pick((-ends[1], -ends[0]), side))
    return float(_pick(_ratio(rmse, (low, high)), side))


def zero_one_loss(y_true: ArrayLike, y_pred: ArrayLike, *, normalize: bool = True,
                  sample_weight: ArrayLike | None = None, side: int) -> float:
    """An end of the (weighted) number of misclassified samples taken as ``Σw - Σw·[right]``: two float32 sums of
    ``n`` terms subtracted, each within ``_error(n, Σ|w|)`` of its value, so the count lies within that of its
    value, however small it is (all right: 0 where the sums' rounding leaves -1.9e-6). The fraction
    (``normalize``) divides the same sums' ratio, no cancellation: exact here."""
    from conformance.reference.rates import zero_one_loss as exact

    value = exact(y_true, y_pred, normalize=normalize, sample_weight=sample_weight)
    if normalize:
        return value
    n = len(np.asarray(y_true))
    weights = np.ones(n) if sample_weight is None else np.abs(np.asarray(sample_weight, np.float64))
    return value + side * float(_error(n, weights.sum()))
