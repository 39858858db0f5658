"""Keras 3 metrics (any backend; the backend is read from ``KERAS_BACKEND``)."""
from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow start-up chatter, before it is imported



from collections.abc import Mapping
from typing import Any

import numpy as np

from conformance.adapters.base import (
    Adapter,
    LibraryUnavailable,
    in_library_order,
    literal,
    present,
    resolve,
    resolve_init,
    select_output,
)
from conformance.catalogue import Binding
from conformance.data import Batch


class KerasMetric:
    def __init__(self, metric: Any, binding: Binding, params: Mapping[str, Any], layout: tuple[str, str] | None):
        self.metric, self.binding, self.params, self.layout = metric, binding, params, layout

    def update(self, batch: Batch) -> None:
        y_true, y_pred, weight = present(self.binding, batch, self.params, self.layout)
        self.metric.update_state(*in_library_order(self.binding, y_true, y_pred), sample_weight=weight)

    def result(self) -> np.ndarray:
        return select_output(np.asarray(self.metric.result()), self.binding)

    def reset(self) -> None:
        self.metric.reset_state()


class KerasAdapter(Adapter):
    name = "keras"
    result_dtype = "float32"
    stateful = True

    def versions(self) -> dict[str, str]:
        try:
            import keras
        except Exception as error:  # ImportError, or a backend that fails to load
            raise LibraryUnavailable(f"keras: {error}") from error
        versions = {"keras": keras.__version__, "keras_backend": keras.backend.backend()}
        backend_module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(keras.backend.backend())
        if backend_module:
            versions[backend_module] = __import__(backend_module).__version__
        return versions

    def create(self, binding: Binding, params: Mapping[str, Any], num_classes: int | None,
               layout: tuple[str, str] | None = None) -> KerasMetric:
        return KerasMetric(resolve(binding.target)(**resolve_init(binding, num_classes)), binding, params, layout)

    def snippet(self, binding: Binding, params: Mapping[str, Any], batches: list[Batch]) -> str:
        lines = ["import numpy as np", "import keras", "",
                 f"metric = {binding.describe()}"]
        for batch in batches:
            y_true, y_pred, weight = present(binding, batch, params)
            weight_arg = "" if weight is None else f", sample_weight={literal(weight)}"
            arrays = ", ".join(literal(a) for a in in_library_order(binding, y_true, y_pred))
            lines.append(f"metric.update_state({arrays}{weight_arg})")
        output = "" if binding.output is None else f"[{binding.output}]"
        lines.append(f"print(np.asarray(metric.result()){output})")
        return "\n".join(lines)
