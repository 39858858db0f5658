"""scikit-learn metric functions (stateless: one call on all the data)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from conformance import recording
from conformance.adapters.base import (
    Adapter,
    LibraryUnavailable,
    output_read,
    present,
    resolve,
    resolve_init,
    select_output,
)
from conformance.catalogue import Binding
from conformance.data import Batch


class SklearnAdapter(Adapter):
    name = "sklearn"
    # scikit-learn >= 1.6 computes many metrics in the input's floating dtype (array API support);
    # the inputs here are float32, so its results carry float32 rounding (in another dtype: see computes_in).
    result_dtype = "float32"
    stateful = False
    # NumPy's float32 and float64 (array API: "the output follows the input's floating dtype"); labels of any type
    # type_of_target reads (integers, booleans, floats). float16 is not documented (it is computed in float16 where
    # it is taken); bfloat16 (ml_dtypes) is not a NumPy dtype it knows.
    float_dtypes = ("float32", "float64")
    label_dtypes = ("int64", "int32", "bool", "float32")
    infers_classes = True  # sklearn.utils.multiclass.unique_labels, unless labels= is given

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
        module, _, name = binding.target.rpartition(".")
        function = recording.imported(resolve(binding.target), name, f"from {module} import {name}")
        with recording.call(function, None, y_true, y_pred, read=recording.Read(), **kwargs) as step:
            raw = np.asarray(function(y_true, y_pred, **kwargs), np.float64)
            step.read, step.value = output_read(binding, raw), (value := select_output(raw, binding))
        return value
