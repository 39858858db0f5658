"""Regression errors."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import reference as ref
from conformance import tolerance as tol
from conformance.catalogue.model import (
    Binding,
    Decomposition,
    MetricSpec,
)
from conformance.domains import REGRESSION


def _regression(name: str, function: Callable[..., Any], *, decomposition: Decomposition, growth: float,
                sklearn_function: str, torch_class: str, torch_init: Mapping[str, Any] | None = None) -> MetricSpec:
    return MetricSpec(
        name=name, reference=function, domain=REGRESSION, decomposition=decomposition, growth=growth, scale=0.0,
        bindings={
            # model.fit() passes (n,) targets with the model's (n, 1) output.
            "keras": Binding(f"keras.metrics.{name}", layout=("flat", "column")),
            "sklearn": Binding(f"sklearn.metrics.{sklearn_function}"),
            "torchmetrics": Binding(f"torchmetrics.regression.{torch_class}", dict(torch_init or {}), weights=False),
        },
    )


SPECS: tuple[MetricSpec, ...] = (
    _regression("MeanSquaredError", ref.mean_squared_error, decomposition="mean", growth=tol.RATIO,
                sklearn_function="mean_squared_error", torch_class="MeanSquaredError"),
    _regression("RootMeanSquaredError", ref.root_mean_squared_error, decomposition="none", growth=tol.ROOT,
                sklearn_function="root_mean_squared_error", torch_class="MeanSquaredError",
                torch_init={"squared": False}),
    _regression("MeanAbsoluteError", ref.mean_absolute_error, decomposition="mean", growth=tol.RATIO,
                sklearn_function="mean_absolute_error", torch_class="MeanAbsoluteError"),
)
