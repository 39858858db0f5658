"""torchmetrics metrics on the CPU build of PyTorch. Note the argument order: ``update(preds, target)``."""

from __future__ import annotations

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


def _tensor(array: np.ndarray) -> Any:
    import torch

    return torch.from_numpy(np.ascontiguousarray(array))


def query_documents(y_true: np.ndarray, y_pred: np.ndarray, first_query: int):
    """Rows of ``(n, L)`` inputs as queries: flat targets and scores, and each document's query index."""
    rows, documents = y_pred.shape
    indexes = np.repeat(np.arange(first_query, first_query + rows, dtype=np.int64), documents)
    return y_true.reshape(-1), y_pred.reshape(-1), indexes


def as_array(value: Any) -> np.ndarray:
    """A result tensor, or a tuple of them (e.g. ``(value, threshold)``) stacked into one array."""
    if isinstance(value, (tuple, list)):
        return np.stack([np.asarray(v.detach().cpu().numpy()) for v in value])
    return value.detach().cpu().numpy()


class TorchMetric:
    def __init__(self, metric: Any, binding: Binding, params: Mapping[str, Any], layout: tuple[str, str] | None):
        self.metric, self.binding, self.params, self.layout = metric, binding, params, layout
        self.queries_seen = 0  # retrieval metrics: query indexes stay unique over the stream

    def update(self, batch: Batch) -> None:
        y_true, y_pred, weight = present(self.binding, batch, self.params, self.layout)
        arrays = in_library_order(self.binding, y_true, y_pred, predictions_first=True)
        if weight is not None:
            if self.binding.arguments != "values":  # only the aggregation metrics take weights
                raise TypeError(f"{self.binding.target}.update takes no sample weights")
            arrays = (*arrays, weight)
        if self.binding.queries:
            target, preds, indexes = query_documents(y_true, y_pred, self.queries_seen)
            self.queries_seen += len(y_pred)
            self.metric.update(_tensor(preds), _tensor(target), indexes=_tensor(indexes))
            return
        self.metric.update(*(_tensor(a) for a in arrays))

    def result(self) -> np.ndarray:
        return select_output(as_array(self.metric.compute()), self.binding)

    def reset(self) -> None:
        self.metric.reset()


class TorchmetricsAdapter(Adapter):
    name = "torchmetrics"
    result_dtype = "float32"
    stateful = True
    # (N, C, X...) scores with (N, X...) targets: multidim_average="global" reduces X as more samples
    extra_axes = True

    def versions(self) -> dict[str, str]:
        try:
            import torch
            import torchmetrics
        except ImportError as error:
            raise LibraryUnavailable(f"torchmetrics: {error}") from error
        return {"torchmetrics": torchmetrics.__version__, "torch": torch.__version__}

    def create(self, binding: Binding, params: Mapping[str, Any], num_classes: int | None,
               layout: tuple[str, str] | None = None, mode: str | None = None) -> TorchMetric:
        return TorchMetric(resolve(binding.target)(**resolve_init(binding, num_classes)), binding, params, layout)

    def snippet(self, binding: Binding, params: Mapping[str, Any], batches: list[Batch],
                mode: str | None = None, layout: tuple[str, ...] | None = None) -> str:
        module, _, name = binding.target.rpartition(".")
        init = ", ".join(f"{k}={v!r}" for k, v in resolve_init(binding, batches[0].num_classes).items())
        lines = ["import numpy as np", "import torch", f"from {module} import {name}", "",
                 f"metric = {name}({init})"]
        first_query = 0
        for batch in batches:
            y_true, y_pred, weight = present(binding, batch, params, layout)
            if binding.queries:
                target, preds, indexes = query_documents(y_true, y_pred, first_query)
                first_query += len(y_pred)
                lines.append(f"metric.update(torch.from_numpy({literal(preds)}), torch.from_numpy({literal(target)}), "
                             f"indexes=torch.from_numpy({literal(indexes)}))")
                continue
            arrays = in_library_order(binding, y_true, y_pred, predictions_first=True)
            if weight is not None and binding.arguments == "values":
                arrays = (*arrays, weight)
            lines.append(f"metric.update({', '.join(f'torch.from_numpy({literal(a)})' for a in arrays)})")
        output = "" if binding.output is None else f"[{binding.output}]"
        lines.append("value = metric.compute()")
        lines.append("value = np.stack([v.numpy() for v in value]) if isinstance(value, tuple) else value.numpy()")
        lines.append(f"print(value{output})")
        return "\n".join(lines)
