"""torchmetrics metrics on the CPU build of PyTorch. Note the argument order: ``update(preds, target)``."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from conformance import recording
from conformance.adapters.base import Adapter, LibraryUnavailable, in_library_order, output_read, present, select_output
from conformance.catalogue import Binding
from conformance.data import Batch


def _tensor(array: np.ndarray) -> Any:
    import torch

    # A copy: a metric may write into its inputs (MeanMetric's nan_strategy imputes in place), which must not change
    # the harness's batches (a tensor from_numpy shares the array's memory).
    copy = np.array(array, copy=True, order="C")
    if array.dtype.name == "bfloat16":  # ml_dtypes' bfloat16, which torch.from_numpy does not take: its bits
        return torch.from_numpy(copy.view(np.int16)).view(torch.bfloat16)
    return torch.from_numpy(copy)


def set_up(metric: Any, binding: Binding) -> Any:
    """``metric`` set to compute in its presentation's dtype where it asks for one (Metric.set_dtype, the documented
    way to keep a metric's states in float64: they are torch's default float32 otherwise)."""
    if binding.dtypes is not None and binding.dtypes.compute:
        import torch

        metric.set_dtype(getattr(torch, binding.dtypes.compute))
    return metric


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


_queries_numbered = 0


def next_queries(count: int) -> int:
    """The first of ``count`` query indexes never used before in this process: a retrieval metric's queries stay
    apart over a stream, and across metrics merged, synced or resumed from another's state."""
    global _queries_numbered
    first, _queries_numbered = _queries_numbered, _queries_numbered + count
    return first


class TorchMetric:
    """A torchmetrics metric, the library's or a user's subclass: ``update(preds, target)`` (note the order).

    ``weight_keyword``: the keyword a user's ``update`` takes sample weights by (``sample_weight``); None: the
    library's aggregation metrics take them as the second argument, and its other metrics take none."""

    def __init__(self, metric: Any, binding: Binding, params: Mapping[str, Any], layout: tuple[str, str] | None,
                 weight_keyword: str | None = None):
        self.metric, self.binding, self.params, self.layout = metric, binding, params, layout
        self.weight_keyword = weight_keyword

    def arrays(self, batch: Batch) -> tuple[tuple[np.ndarray, ...], dict[str, np.ndarray]]:
        """``update``'s positional and keyword arguments for ``batch``, as NumPy arrays (a worker process rebuilds
        the tensors from them)."""
        y_true, y_pred, weight = present(self.binding, batch, self.params, self.layout)
        if self.binding.y_true == "onehot" and not (self.binding.dtypes and self.binding.dtypes.y_true):
            y_true = y_true.astype(np.int64)  # one-hot rows as torchmetrics takes targets (unless a dtype is presented)
        if self.binding.queries:
            target, preds, indexes = query_documents(y_true, y_pred, next_queries(len(y_pred)))
            return (preds, target), {"indexes": indexes}
        arrays = in_library_order(self.binding, y_true, y_pred, predictions_first=True)
        if weight is None or not self.binding.weights:
            return arrays, {}
        if self.weight_keyword:
            return arrays, {self.weight_keyword: weight}
        if self.binding.arguments != "values":  # only the aggregation metrics take weights
            raise TypeError(f"{self.binding.target}.update takes no sample weights")
        return (*arrays, weight), {}

    def tensors(self, batch: Batch) -> tuple[tuple[Any, ...], dict[str, Any]]:
        args, kwargs = self.arrays(batch)
        return tuple(_tensor(a) for a in args), {k: _tensor(v) for k, v in kwargs.items()}

    def update(self, batch: Batch) -> None:
        arrays, keywords = self.arrays(batch)
        with recording.call(self.metric, "update", *map(recording.Tensor, arrays),
                            **{k: recording.Tensor(v) for k, v in keywords.items()}):
            self.metric.update(*map(_tensor, arrays), **{k: _tensor(v) for k, v in keywords.items()})

    def forward(self, batch: Batch) -> np.ndarray:
        """``metric(preds, target)``: the batch's value, the batch accumulated too."""
        arrays, keywords = self.arrays(batch)
        with recording.call(self.metric, None, *map(recording.Tensor, arrays), read=recording.Read(),
                            label="forward(): the batch's value",
                            **{k: recording.Tensor(v) for k, v in keywords.items()}) as step:
            value = self.metric(*map(_tensor, arrays), **{k: _tensor(v) for k, v in keywords.items()})
            output = self.output(value)
            step.read, step.value = self.read_of(value), output
        return output

    def read_of(self, value: Any) -> recording.Read:
        """How the script reads a value compute() or forward() returned (a tuple's parts stacked)."""
        return output_read(self.binding, self.whole(value), parts=isinstance(value, (tuple, list)))

    def output(self, value: Any) -> np.ndarray:
        """A value ``compute()`` or ``forward()`` returned, as the metric's result."""
        return select_output(self.whole(value), self.binding)

    @staticmethod
    def whole(value: Any) -> np.ndarray:
        """A value ``compute()`` or ``forward()`` returned, all of it (a tuple's parts stacked), as float64."""
        return as_array(value) if hasattr(value, "detach") or isinstance(value, (tuple, list)) \
            else np.asarray(value, np.float64)

    def result(self) -> np.ndarray:
        with recording.call(self.metric, "compute", read=recording.Read()) as step:
            value = self.metric.compute()
            output = self.output(value)
            step.read, step.value = self.read_of(value), output
        return output

    def reset(self) -> None:
        with recording.call(self.metric, "reset"):
            self.metric.reset()


class TorchmetricsAdapter(Adapter):
    name = "torchmetrics"
    result_dtype = "float32"
    stateful = True
    # (N, C, X...) scores with (N, X...) targets: multidim_average="global" reduces X as more samples
    extra_axes = True
    # "Most metrics in our collection can be used with 16-bit precision (torch.half) tensors" (docs, "Metrics and
    # 16-bit precision"; those that cannot are HALF_UNSUPPORTED), float64 with Metric.set_dtype; classification
    # targets are "an int tensor" (int32 or int64). bfloat16, bool and float targets are not documented.
    float_dtypes = ("float16", "float32", "float64")
    label_dtypes = ("int64", "int32")
    # Listed in the same docs section as not working in half precision on CPU.
    HALF_UNSUPPORTED = ("KLDivergence", "PeakSignalNoiseRatio", "StructuralSimilarityIndexMeasure")

    def documents(self, binding: Binding) -> bool:
        half = binding.dtypes is not None and binding.dtypes.real_dtype == "float16"
        return super().documents(binding) and not (half and binding.target.rsplit(".", 1)[-1] in self.HALF_UNSUPPORTED)

    def sets_compute_dtype(self, binding: Binding) -> bool:
        return True  # Metric.set_dtype

    def new_object(self, binding: Binding, num_classes: int | None,
                   attributes: Mapping[str, Any] | None = None) -> Any:
        return set_up(super().new_object(binding, num_classes, attributes), binding)

    def source(self, binding: Binding, num_classes: int | None,
               attributes: Mapping[str, Any] | None = None) -> tuple[str, tuple[str, ...]]:
        """The constructor, then ``.set_dtype(...)`` where the presentation sets the states' dtype (as ``set_up``)."""
        template, imports = super().source(binding, num_classes, attributes)
        if binding.dtypes is not None and binding.dtypes.compute:
            template += f".set_dtype(torch.{binding.dtypes.compute})  # states in {binding.dtypes.compute}"
            imports = ("import torch", *imports)
        return template, imports

    def versions(self) -> dict[str, str]:
        try:
            import torch
            import torchmetrics
        except ImportError as error:
            raise LibraryUnavailable(f"torchmetrics: {error}") from error
        # One intra-op thread: the harness runs one worker per core (conformance run -j, pytest -n), and torch's own
        # threads (one per core in each worker) oversubscribe them: on two cores the 2^20-sample updates of
        # counts_past_2_24 cost 3.5 times the CPU with torch's default.
        torch.set_num_threads(1)
        return {"torchmetrics": torchmetrics.__version__, "torch": torch.__version__}

    def create(self, binding: Binding, params: Mapping[str, Any], num_classes: int | None,
               layout: tuple[str, str] | None = None, mode: str | None = None) -> TorchMetric:
        return self.wrap(self.new_object(binding, num_classes), binding, params, layout)

    def state_dtypes(self, binding: Binding, num_classes: int | None) -> tuple[str, ...] | None:
        """Each ``add_state`` default's dtype ("list" for a list state, which keeps every sample)."""
        states = getattr(self.new_object(binding, num_classes), "_defaults", None)
        if not states:
            return None
        return tuple("list" if isinstance(value, list) else str(value.dtype).removeprefix("torch.")
                     for value in states.values())

    def wrap(self, metric: Any, binding: Binding, params: Mapping[str, Any],
             layout: tuple[str, str] | None = None) -> TorchMetric:
        return TorchMetric(metric, binding, params, layout)
