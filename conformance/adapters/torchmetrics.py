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


class TorchMetric:
    def __init__(self, metric: Any, binding: Binding, params: Mapping[str, Any], layout: tuple[str, str] | None):
        self.metric, self.binding, self.params, self.layout = metric, binding, params, layout

    def update(self, batch: Batch) -> None:
        y_true, y_pred, weight = present(self.binding, batch, self.params, self.layout)
        arrays = in_library_order(self.binding, y_true, y_pred, predictions_first=True)
        if weight is not None:
            if self.binding.arguments != "values":  # only the aggregation metrics take weights
                raise TypeError(f"{self.binding.target}.update takes no sample weights")
            arrays = (*arrays, weight)
        self.metric.update(*(_tensor(a) for a in arrays))

    def result(self) -> np.ndarray:
        return select_output(self.metric.compute().detach().cpu().numpy(), self.binding)

    def reset(self) -> None:
        self.metric.reset()


class TorchmetricsAdapter(Adapter):
    name = "torchmetrics"
    result_dtype = "float32"
    stateful = True

    def versions(self) -> dict[str, str]:
        try:
            import torch
            import torchmetrics
        except ImportError as error:
            raise LibraryUnavailable(f"torchmetrics: {error}") from error
        return {"torchmetrics": torchmetrics.__version__, "torch": torch.__version__}

    def create(self, binding: Binding, params: Mapping[str, Any], num_classes: int | None,
               layout: tuple[str, str] | None = None) -> TorchMetric:
        return TorchMetric(resolve(binding.target)(**resolve_init(binding, num_classes)), binding, params, layout)

    def snippet(self, binding: Binding, params: Mapping[str, Any], batches: list[Batch]) -> str:
        module, _, name = binding.target.rpartition(".")
        init = ", ".join(f"{k}={v!r}" for k, v in resolve_init(binding, batches[0].num_classes).items())
        lines = ["import numpy as np", "import torch", f"from {module} import {name}", "",
                 f"metric = {name}({init})"]
        for batch in batches:
            y_true, y_pred, weight = present(binding, batch, params)
            arrays = in_library_order(binding, y_true, y_pred, predictions_first=True)
            if weight is not None and binding.arguments == "values":
                arrays = (*arrays, weight)
            lines.append(f"metric.update({', '.join(f'torch.from_numpy({literal(a)})' for a in arrays)})")
        output = "" if binding.output is None else f"[{binding.output}]"
        lines.append(f"print(metric.compute().numpy(){output})")
        return "\n".join(lines)
