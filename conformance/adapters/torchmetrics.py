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
    output_source,
    present,
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
        if self.binding.y_true == "onehot":
            y_true = y_true.astype(np.int64)
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
        args, kwargs = self.tensors(batch)
        self.metric.update(*args, **kwargs)

    def forward(self, batch: Batch) -> np.ndarray:
        """``metric(preds, target)``: the batch's value, the batch accumulated too."""
        args, kwargs = self.tensors(batch)
        return self.output(self.metric(*args, **kwargs))

    def output(self, value: Any) -> np.ndarray:
        """A value ``compute()`` or ``forward()`` returned, as the metric's result."""
        return select_output(as_array(value) if hasattr(value, "detach") or isinstance(value, (tuple, list))
                             else np.asarray(value, np.float64), self.binding)

    def result(self) -> np.ndarray:
        return self.output(self.metric.compute())

    def reset(self) -> None:
        self.metric.reset()


def distributed_snippet(imports: list[str], constructor: str, updates: list[list[str]], output: str = "") -> str:
    """A script that runs ``updates[r]`` (each ``update(...)``'s argument source) on rank r of a gloo process group of
    ``len(updates)`` processes, then prints each rank's compute() (``output``: an index into it). torch.multiprocessing
    spawns the ranks, so it runs as a file (``python snippet.py``), not pasted into a prompt."""
    lines = ["import os", "", "import numpy as np", "import torch", "import torch.distributed as dist",
             "import torch.multiprocessing as mp", *imports, "", "", "def run(rank):",
             '    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT="29533")',
             f"    dist.init_process_group('gloo', rank=rank, world_size={len(updates)})",
             f"    metric = {constructor}"]
    for rank, calls in enumerate(updates):
        lines.append(f"    if rank == {rank}:" if calls else f"    # rank {rank}: no data, compute() without an update")
        lines += [f"        metric.update({call})" for call in calls]
    lines += ["    value = metric.compute()", f"    print(rank, value{output})", "    dist.destroy_process_group()",
              "", "", 'if __name__ == "__main__":', f"    mp.spawn(run, nprocs={len(updates)})"]
    return "\n".join(lines)


def api_snippet(imports: list[str], constructor: str, how: str, calls: list[str], split: int = 0,
                output: str = "") -> str:
    """Source that drives a metric through ``how``: ``forward`` (forward() per update, each batch's value printed),
    ``merge_state`` (the first ``split`` updates in one metric, the rest in another, merged), ``pickle`` or
    ``state_dict`` (the first ``split`` updates, a round trip, then the rest); each ``calls`` item is an update's
    arguments' source. The value printed last is compute()'s (``output``: an index into it)."""
    lines = [*(["import pickle", ""] if how == "pickle" else []), "import numpy as np", "import torch", *imports, ""]
    if how == "forward":
        lines.append(f"metric = {constructor}")
        lines += [f"print({i}, metric({call}){output})  # forward(): the batch's value" for i, call in enumerate(calls)]
    elif how == "merge_state":
        lines += [f"metric = {constructor}", f"other = {constructor}"]
        lines += [f"metric.update({call})" for call in calls[:split]]
        lines += [f"other.update({call})" for call in calls[split:]]
        lines.append("metric.merge_state(other)")
    else:
        lines.append(f"first = {constructor}")
        lines += [f"first.update({call})" for call in calls[:split]]
        if how == "pickle":
            lines.append("metric = pickle.loads(pickle.dumps(first))")
        else:
            lines += ["first.persistent(True)  # states are left out of state_dict() unless persistent",
                      f"metric = {constructor}", "metric.persistent(True)",
                      "metric.load_state_dict(first.state_dict())"]
        lines += [f"metric.update({call})" for call in calls[split:]]
    lines.append(f"print(metric.compute(){output})")
    return "\n".join(lines)


def update_source(arrays: tuple[tuple[np.ndarray, ...], dict[str, np.ndarray]]) -> str:
    """The source of ``update``'s arguments: ``(args, kwargs)`` arrays as tensors."""
    args, kwargs = arrays
    return ", ".join([*(f"torch.from_numpy({literal(a)})" for a in args),
                      *(f"{k}=torch.from_numpy({literal(v)})" for k, v in kwargs.items())])


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
        return self.wrap(self.new_object(binding, num_classes), binding, params, layout)

    def wrap(self, metric: Any, binding: Binding, params: Mapping[str, Any],
             layout: tuple[str, str] | None = None) -> TorchMetric:
        return TorchMetric(metric, binding, params, layout)

    def api_snippet(self, binding: Binding, params: Mapping[str, Any], batches: list[Batch], how: str,
                    split: int = 0) -> str:
        """The batches through forward(), merge_state or a round trip (see ``api_snippet``)."""
        module, _, name = binding.target.rpartition(".")
        init = ", ".join(f"{k}={v!r}" for k, v in resolve_init(binding, batches[0].num_classes).items())
        feeder = TorchMetric(None, binding, params, None)
        return api_snippet([f"from {module} import {name}"], f"{name}({init})", how,
                           [update_source(feeder.arrays(b)) for b in batches], split,
                           output_source(binding, batches[0].num_classes))

    def ranks_snippet(self, binding: Binding, params: Mapping[str, Any], parts: list[list[Batch]]) -> str:
        """``parts[r]`` fed to rank r of a real process group, each rank's synced compute() printed."""
        module, _, name = binding.target.rpartition(".")
        batches = [b for part in parts for b in part]
        init = ", ".join(f"{k}={v!r}" for k, v in resolve_init(binding, batches[0].num_classes).items())
        feeder = TorchMetric(None, binding, params, None)
        return distributed_snippet([f"from {module} import {name}"], f"{name}({init})",
                                   [[update_source(feeder.arrays(b)) for b in part] for part in parts],
                                   output_source(binding, batches[0].num_classes))

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
        output = output_source(binding, batches[0].num_classes)
        lines.append("value = metric.compute()")
        lines.append("value = np.stack([v.numpy() for v in value]) if isinstance(value, tuple) else value.numpy()")
        lines.append(f"print(value{output})")
        return "\n".join(lines)
