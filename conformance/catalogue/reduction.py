"""Keras' reduction metrics: Mean and Sum of values, and MeanMetricWrapper around a per-sample function."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue.model import EVERY_PROPERTY, Binding, Imported, KnownDifference, MetricSpec, Parameter
from conformance.data import Batch
from conformance.domains import REGRESSION_MULTI_OUTPUT, VALUES

NO_SKLEARN = "scikit-learn has no aggregation metric (nearest: numpy.average)"


NaNStrategy = str | float | None


def with_nan_strategy(aggregate: Callable[..., float], values: ArrayLike, sample_weight: ArrayLike | None,
                      nan_strategy: NaNStrategy) -> float:
    """``aggregate`` of ``values`` under torchmetrics' documented ``nan_strategy`` (torchmetrics/aggregation.py,
    BaseAggregator: "'error': if any nan values are encountered will give a RuntimeError; 'warn': ... will give a
    warning and continue; 'ignore': all nan values are silently removed; 'disable': disable all nan checks; a float:
    ... will impute any nan values with this value"; "continue" is read as the code does it: the NaN values are
    removed, as for 'ignore'). A sample whose value or weight is NaN is removed ('warn', 'ignore'); a float replaces a
    NaN value, its weight kept (the docs impute values: for a NaN weight they give no rule, and the reference
    rejects it); 'disable' lets NaN propagate. None: no policy, a NaN is an invalid input (rejected)."""
    values = np.asarray(values, np.float64)
    weights = None if sample_weight is None else np.asarray(sample_weight, np.float64)
    nan_values = np.isnan(values).reshape(len(values), -1).any(axis=1)
    nan_weights = np.isnan(weights) if weights is not None else np.zeros(len(values), bool)
    if nan_strategy is None or not (nan_values.any() or nan_weights.any()):
        return aggregate(values, sample_weight=weights)
    if nan_strategy == "error":
        raise ref.RaisesByPolicy("nan_strategy='error': a NaN value must raise")
    if nan_strategy == "disable":
        return float("nan")
    if nan_strategy in ("warn", "ignore"):
        keep = ~(nan_values | nan_weights)
        return aggregate(values[keep], sample_weight=None if weights is None else weights[keep])
    if nan_weights.any():
        raise ValueError(f"nan_strategy={nan_strategy!r} imputes NaN values; the docs give no rule for a NaN weight")
    return aggregate(np.where(np.isnan(values), float(nan_strategy), values), sample_weight=weights)


def mean_of_values(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                   nan_strategy: NaNStrategy = None) -> float:
    """The weighted mean of the values (held in ``y_true``; ``y_pred`` is ignored), NaN values handled by
    ``nan_strategy`` (see ``with_nan_strategy``)."""
    return with_nan_strategy(ref.weighted_mean, y_true, sample_weight, nan_strategy)


def sum_of_values(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                  nan_strategy: NaNStrategy = None) -> float:
    """The weighted sum of the values (held in ``y_true``; ``y_pred`` is ignored), NaN values handled by
    ``nan_strategy`` (see ``with_nan_strategy``)."""
    return with_nan_strategy(ref.weighted_sum, y_true, sample_weight, nan_strategy)


# torchmetrics' aggregation metrics take a policy for NaN values; it changes nothing on other values, so it is drawn
# for every property (agreement on clean inputs) and checked by bad_inputs on NaN values. The first value is the
# default of MeanMetric and SumMetric.
NAN_STRATEGY = Parameter(
    "nan_strategy", ("warn", "error", "ignore", "disable", 0.5), spellings={"torchmetrics": "nan_strategy"},
    absent={"keras": "Keras' Mean and Sum have no NaN policy (a NaN value propagates into the result)"},
)


def _no_weight(batches: list[Batch]) -> bool:
    """No weight counts: every sample weight seen is 0, or every weighted sample has a NaN value or weight (which
    nan_strategy 'warn' or 'ignore' removes)."""
    counted = []
    for b in (b for b in batches if len(b)):
        values = np.asarray(b.y_true, np.float64).reshape(len(b), -1)
        weights = np.ones(len(b)) if b.sample_weight is None else np.asarray(b.sample_weight, np.float64)
        counted.append(weights[~(np.isnan(values).any(axis=1) | np.isnan(weights))])
    return bool(counted) and not np.concatenate(counted).any()


def _values_binding(target: str, **fields: Any) -> Binding:
    return Binding(target, arguments="values", **fields)


SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="Mean", reference=mean_of_values, domain=VALUES, decomposition="mean", growth=tol.RATIO, scale=0.0,
        bindings={"keras": _values_binding("keras.metrics.Mean"),
                  "torchmetrics": _values_binding("torchmetrics.aggregation.MeanMetric")},
        known=(KnownDifference(
            "torchmetrics", what="torchmetrics' MeanMetric returns NaN when no weight counts (every weight seen is 0, "
            "or every weighted value was a NaN its nan_strategy removed: 0/0), where "
            "Keras' Mean and the reference return 0.0 (divide_no_nan).",
            cause="MeanMetric.compute returns self.mean_value / self.weight with no guard for a zero weight.",
            where="torchmetrics/aggregation.py::MeanMetric.compute",
            raises="returned NaN", trigger=_no_weight, properties=(*EVERY_PROPERTY, "bad_inputs")),),
        absent={"sklearn": NO_SKLEARN}, space=(NAN_STRATEGY,),
    ),
    MetricSpec(
        name="Sum", reference=sum_of_values, domain=VALUES, decomposition="sum", growth=tol.SUM, scale=0.0,
        ratio=False,
        bindings={"keras": _values_binding("keras.metrics.Sum"),
                  "torchmetrics": _values_binding("torchmetrics.aggregation.SumMetric", weights=False)},
        absent={"sklearn": NO_SKLEARN}, space=(NAN_STRATEGY,),
    ),
    MetricSpec(
        name="MeanMetricWrapper", reference=ref.mean_absolute_error, variant={"fn": "mean_absolute_error"},
        domain=REGRESSION_MULTI_OUTPUT, decomposition="mean", growth=tol.RATIO, scale=0.0,
        bindings={"keras": Binding("keras.metrics.MeanMetricWrapper",
                                   {"fn": Imported("keras.losses.mean_absolute_error")})},
        absent={"sklearn": "scikit-learn has no wrapper that averages a per-sample function over batches",
                "torchmetrics": "torchmetrics has no wrapper of a per-sample function (nearest: "
                                "torchmetrics.aggregation.MeanMetric fed the function's values)"},
    ),
)
