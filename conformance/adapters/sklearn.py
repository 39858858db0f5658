"""scikit-learn metric functions (stateless: one call on all the data)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from conformance.adapters.base import (
    Adapter,
    LibraryUnavailable,
    literal,
    output_source,
    present,
    resolve,
    resolve_init,
    select_output,
)
from conformance.catalogue import Binding
from conformance.data import Batch, concatenate


class SklearnAdapter(Adapter):
    name = "sklearn"
    # scikit-learn >= 1.6 computes many metrics in the input's floating dtype (array API support);
    # the inputs here are float32, so its results carry float32 rounding.
    result_dtype = "float32"
    stateful = False

    def versions(self) -> dict[str, str]:
        try:
            import sklearn
        except ImportError as error:
            raise LibraryUnavailable(f"scikit-learn: {error}") from error
        return {"sklearn": sklearn.__version__}

    def create(self, binding, params, num_classes, layout=None, mode=None):
        raise TypeError("scikit-learn metrics are functions; they keep no state between calls")

    def compute(self, binding: Binding, params: Mapping[str, Any], batch: Batch,
                layout: tuple[str, str] | None = None) -> np.ndarray:
        y_true, y_pred, weight = present(binding, batch, params, layout)
        kwargs = resolve_init(binding, batch.num_classes)
        if weight is not None:
            kwargs["sample_weight"] = weight
        return select_output(resolve(binding.target)(y_true, y_pred, **kwargs), binding)

    def snippet(self, binding: Binding, params: Mapping[str, Any], batches: list[Batch],
                mode: str | None = None, layout: tuple[str, ...] | None = None) -> str:
        batch = concatenate(batches)
        y_true, y_pred, weight = present(binding, batch, params, layout)
        kwargs = resolve_init(binding, batch.num_classes)
        module, _, function = binding.target.rpartition(".")
        args = "".join(f", {k}={v!r}" for k, v in kwargs.items())
        weight_arg = "" if weight is None else f", sample_weight={literal(weight)}"
        output = output_source(binding, batches[0].num_classes)
        return "\n".join([
            "import numpy as np", f"from {module} import {function}", "",
            f"value = {function}({literal(y_true)}, {literal(y_pred)}{args}{weight_arg})",
            f"print(np.asarray(value){output})",
        ])
