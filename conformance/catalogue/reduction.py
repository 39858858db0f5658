"""Keras' reduction metrics: Mean and Sum of values, and MeanMetricWrapper around a per-sample function."""

from __future__ import annotations

from typing import Any

from numpy.typing import ArrayLike

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue.model import EVERY_PROPERTY, Binding, Imported, KnownDifference, MetricSpec
from conformance.data import Batch
from conformance.domains import REGRESSION_MULTI_OUTPUT, VALUES

NO_SKLEARN = "scikit-learn has no aggregation metric (nearest: numpy.average)"


def mean_of_values(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """The weighted mean of the values (held in ``y_true``; ``y_pred`` is ignored)."""
    return ref.weighted_mean(y_true, sample_weight=sample_weight)


def sum_of_values(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """The weighted sum of the values (held in ``y_true``; ``y_pred`` is ignored)."""
    return ref.weighted_sum(y_true, sample_weight=sample_weight)


def _no_weight(batches: list[Batch]) -> bool:
    """Every sample weight seen is 0 (no sample counts)."""
    return all(b.sample_weight is not None and not b.sample_weight.any() for b in batches)


def _values_binding(target: str, **fields: Any) -> Binding:
    return Binding(target, arguments="values", **fields)


SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="Mean", reference=mean_of_values, domain=VALUES, decomposition="mean", growth=tol.RATIO, scale=0.0,
        bindings={"keras": _values_binding("keras.metrics.Mean"),
                  "torchmetrics": _values_binding("torchmetrics.aggregation.MeanMetric")},
        known=(KnownDifference(
            "torchmetrics", what="torchmetrics' MeanMetric returns NaN when every weight seen is 0 (0/0), where "
            "Keras' Mean and the reference return 0.0 (divide_no_nan).",
            cause="MeanMetric.compute returns self.mean_value / self.weight with no guard for a zero weight.",
            where="torchmetrics/aggregation.py::MeanMetric.compute",
            raises="returned NaN", trigger=_no_weight, properties=EVERY_PROPERTY),),
        absent={"sklearn": NO_SKLEARN},
    ),
    MetricSpec(
        name="Sum", reference=sum_of_values, domain=VALUES, decomposition="sum", growth=tol.SUM, scale=0.0,
        ratio=False,
        bindings={"keras": _values_binding("keras.metrics.Sum"),
                  "torchmetrics": _values_binding("torchmetrics.aggregation.SumMetric", weights=False)},
        absent={"sklearn": NO_SKLEARN},
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
