"""A thin adapter that feeds the harness's batches to a user's metric, so every property applies to it.

A Keras Metric subclass gets ``update_state(y_true, y_pred, sample_weight)``; a torchmetrics Metric
subclass gets ``update(preds, target)`` (note the order); a function gets what Keras ``compile()``
makes of it, a ``keras.metrics.MeanMetricWrapper``.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from conformance.adapters.base import Adapter, literal, present, with_ml_dtypes
from conformance.adapters.keras import KerasAdapter, KerasMetric, dtype_policy, policy_of
from conformance.adapters.torchmetrics import (
    TorchMetric,
    TorchmetricsAdapter,
    api_snippet,
    distributed_snippet,
    set_up,
    set_up_source,
    tensor_source,
    update_source,
)
from conformance.catalogue import Binding
from conformance.data import Batch
from conformance.usercheck.inputs import OPTIONAL_LABEL_DTYPES, Presentation, label_dtypes
from conformance.usercheck.loading import Target


class UserAdapter(Adapter):
    """The adapter for one user target (its name is the target's kind: keras, torchmetrics, function)."""

    user_code = True
    result_dtype = "float32"  # user metrics typically compute in float32; float64 ones are within this bound
    stateful = True
    judges_undefined = False

    def __init__(self, target: Target, presentation: Presentation):
        self.target, self.presentation = target, presentation
        self.name = target.kind
        self.cache: dict[str, Any] = {}  # what checks keep across examples: models, a worker pool, measurements
        # What the library documents a metric of its kind takes (a Keras metric casts to its dtype; a torchmetrics one
        # computes in its inputs'), and for labels the dtypes users' data has for this input kind (booleans are
        # optional: a metric that refuses them is noted, see inputs.OPTIONAL_LABEL_DTYPES).
        library = TorchmetricsAdapter if target.kind == "torchmetrics" else KerasAdapter
        self.float_dtypes, self.dtype_policies = library.float_dtypes, library.dtype_policies
        self.label_dtypes = tuple(d for d in label_dtypes(presentation.kind, target.kind)
                                  if d not in OPTIONAL_LABEL_DTYPES)

    def computes_in(self, binding: Binding) -> str:
        """For input_dtypes' presentations, a Keras target: its metric's dtype (the dtype it was set to compute in,
        the one given in ``--init``, else floatx: a function's MeanMetricWrapper is built with none); a torchmetrics
        one: its inputs' (see Adapter). Elsewhere ``result_dtype``, as before."""
        if self.target.kind == "torchmetrics" or binding.dtypes is None:
            return super().computes_in(binding)
        return binding.dtypes.compute or self.target.init.get("dtype") or "float32"

    def sets_compute_dtype(self, binding: Binding) -> bool:
        """torchmetrics: Metric.set_dtype; a Keras class whose constructor passes ``dtype`` on to Metric; not a
        function (compile() builds its MeanMetricWrapper in floatx)."""
        if self.target.kind == "torchmetrics":
            return True
        if self.target.kind == "function":
            return False
        try:
            parameters = inspect.signature(self.target.obj.__init__).parameters.values()
        except (TypeError, ValueError):
            return False
        return any(p.name == "dtype" or p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters)

    def training_layouts(self, binding: Binding) -> set[tuple[str, str]]:
        """Keras' fit() gives ``(n,)`` or ``(n, 1)`` targets with the model's ``(n, 1)`` (or ``(n, C)``) output; a
        torch loop gives what its loss takes: any mix of ``(n,)`` and ``(n, 1)`` for regression (MSELoss and L1Loss
        broadcast them, with a warning), the same shape for binary targets (BCELoss raises otherwise), ``(n,)``
        class indices with ``(n, C)`` scores (CrossEntropyLoss rejects ``(n, 1)`` targets)."""
        pred = binding.layout[1]
        if self.target.kind == "torchmetrics":
            if self.presentation.kind == "regression":
                return {(t, p) for t in ("flat", "column") for p in ("flat", "column")}
            return {("flat", "flat"), ("column", "column")} if self.presentation.per_sample else {("flat", pred)}
        return {("flat", "column"), ("column", "column")} if self.presentation.per_sample else {
            ("flat", pred), ("column", pred)}

    def close(self) -> None:
        """Drop what the checks kept (compiled models); the shared torch.distributed workers stay for the next."""
        self.cache.clear()

    def versions(self) -> dict[str, str]:
        library = "torchmetrics" if self.target.kind == "torchmetrics" else "keras"
        from conformance.adapters import get_adapter

        return get_adapter(library).versions()

    @property
    def target_kind(self) -> str:
        return f"user {self.target.kind}"

    def metric_class(self, binding: Binding | None = None) -> Any:
        """The user's class (for a function: the MeanMetricWrapper class compile() wraps it in)."""
        if self.target.kind == "function":
            import keras

            return keras.metrics.MeanMetricWrapper
        return self.target.obj

    def init_arguments(self, binding: Binding | None = None, num_classes: int | None = None) -> dict[str, Any]:
        """What the user gave (``--init``, ``--num-classes``): the same for every example."""
        if self.target.kind == "function":
            return {"fn": self.target.obj, "name": self.target.name}
        return dict(self.target.init)

    def new_object(self, binding: Binding | None = None, num_classes: int | None = None) -> Any:
        """A new metric object: the user's class, or the MeanMetricWrapper compile() would make; set up for the
        binding's presentation (a dtype to compute in, a Keras dtype policy to be built under)."""
        compute = binding.dtypes.compute if binding is not None and binding.dtypes is not None else None
        if self.target.kind == "torchmetrics":
            return set_up(self.target.new(), binding) if binding is not None else self.target.new()
        with dtype_policy(policy_of(binding) if binding is not None else None):
            if self.target.kind == "function":
                return self.metric_class()(**self.init_arguments())
            return self.target.obj(**{**self.target.init, "dtype": compute}) if compute else self.target.new()

    def importable(self, binding: Binding | None = None) -> str | None:
        return self.target.importable_spec()

    def create(self, binding: Binding, params: Mapping[str, Any], num_classes: int | None,
               layout: tuple[str, str] | None = None, mode: str | None = None) -> KerasMetric | TorchMetric:
        """A new wrapped metric; it updates eagerly (``mode`` is ignored: graph_mode checks compiled updates)."""
        return self.wrap(self.new_object(binding), binding, params, layout)

    def wrap(self, metric: Any, binding: Binding, params: Mapping[str, Any] | None = None,
             layout: tuple[str, str] | None = None) -> KerasMetric | TorchMetric:
        """The library adapters' own wrappers: a user's metric is fed exactly as the library's are."""
        if self.target.kind == "torchmetrics":
            return TorchMetric(metric, binding, params or {}, layout, weight_keyword="sample_weight")
        return KerasMetric(metric, binding, params or {}, layout, "eager")

    def snippet(self, binding: Binding, params: Mapping[str, Any], batches: list[Batch],
                mode: str | None = None, layout: tuple[str, ...] | None = None) -> str:
        lines = self._opening(binding)
        for batch in batches:
            y_true, y_pred, weight = self._presented(binding, batch, params, layout)
            lines.append(self._update(y_true, y_pred, weight))
        lines.append(f"print({self._result()})")
        return with_ml_dtypes("\n".join(lines))

    def api_snippet(self, binding: Binding, params: Mapping[str, Any], batches: list[Batch], how: str,
                    split: int = 0) -> str | None:
        """A torchmetrics target driven through forward(), merge_state or a round trip (None for other kinds)."""
        if self.target.kind != "torchmetrics":
            return None
        init = ", ".join(f"{k}={v!r}" for k, v in self.target.init.items())
        feeder = TorchMetric(None, binding, params, None, weight_keyword="sample_weight")
        return api_snippet(self._import_lines(), f"{self.target.obj.__name__}({init})", how,
                           [update_source(feeder.arrays(b)) for b in batches], split)

    def ranks_snippet(self, binding: Binding, params: Mapping[str, Any], parts: list[list[Batch]]) -> str:
        """``parts[r]`` fed to rank r of a real process group (a torchmetrics target), each rank's compute() printed."""
        init = ", ".join(f"{k}={v!r}" for k, v in self.target.init.items())
        feeder = TorchMetric(None, binding, params, None, weight_keyword="sample_weight")
        return distributed_snippet(self._import_lines(), f"{self.target.obj.__name__}({init})",
                                   [[update_source(feeder.arrays(b)) for b in part] for part in parts])

    def stream_snippet(self, binding: Binding, params: Mapping[str, Any], batches: list[Batch],
                       plan: list[list[int]], reads: list[int]) -> str:
        """A long stream as a loop: ``plan`` steps ``[batch, samples per update, updates]`` each cycle through
        their batch (a cursor per batch, continuing from step to step); the value is printed after ``reads``
        samples."""
        lines = [*self._opening()[:-1], "# the example's batches, as update receives them"]
        presented = [self._presented(binding, batch, params, None) for batch in batches]
        lines.append("batches = [")
        lines += [f"    ({literal(t)}, {literal(p)})," for t, p, _ in presented]
        lines += ["]", "cursors = [0] * len(batches)", "", "",
                  "def take(index, size):", "    y_true, y_pred = batches[index]",
                  "    rows = (cursors[index] + np.arange(size)) % len(y_true)", "    cursors[index] += size",
                  "    return y_true[rows], y_pred[rows]", "", "", self._opening()[-1], "fed = 0",
                  f"for index, size, updates in {plan!r}:", "    for _ in range(updates):",
                  "        y_true, y_pred = take(index, size)",
                  f"        {self._update_call('y_true', 'y_pred', None)}",
                  "        fed += size", f"        if fed in {sorted(set(reads))!r}:",
                  f"            print(fed, {self._result()})"]
        return "\n".join(lines)

    def _opening(self, binding: Binding | None = None) -> list[str]:
        """Imports, then the line that makes the metric (and the one that sets it up for ``binding``'s dtypes)."""
        compute = binding.dtypes.compute if binding is not None and binding.dtypes is not None else None
        arguments = {**self.target.init, **({"dtype": compute} if compute and self.target.kind == "keras" else {})}
        init = ", ".join(f"{k}={v!r}" for k, v in arguments.items())
        name = self.target.obj.__name__
        if self.target.kind == "torchmetrics":
            return ["import numpy as np", *self._import_lines(), "import torch", "", f"metric = {name}({init})",
                    *(set_up_source(binding) if binding is not None else [])]
        policy = policy_of(binding) if binding is not None else None
        return ["import numpy as np", *self._import_lines(), "import keras", "",
                *([f"keras.config.set_dtype_policy({policy!r})  # as a mixed-precision model runs"] if policy else []),
                f"metric = {name}({init})" if self.target.kind == "keras"
                else f"metric = keras.metrics.MeanMetricWrapper(fn={name})  # what compile(metrics=[fn]) makes"]

    def _presented(self, binding: Binding, batch: Batch, params: Mapping[str, Any],
                   layout: tuple[str, ...] | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
        """The arrays as the target's update receives them (a Keras prediction as the model's (n, 1) column)."""
        y_true, y_pred, weight = present(binding, batch, params, layout)
        if self.target.kind != "torchmetrics" and y_pred.ndim == 1 and binding.layout[1] == "column":
            y_pred = y_pred[:, None]
        return y_true, y_pred, weight if binding.weights else None

    def _update(self, y_true: np.ndarray, y_pred: np.ndarray, weight: np.ndarray | None) -> str:
        """The update of these arrays, written out."""
        if self.target.kind == "torchmetrics":
            return f"metric.update({tensor_source(y_pred)}, {tensor_source(y_true)})"
        return self._update_call(literal(y_true), literal(y_pred),
                                 None if weight is None else literal(np.asarray(weight)))

    def _update_call(self, y_true: str, y_pred: str, weight: str | None) -> str:
        """The update of the arrays these expressions give."""
        if self.target.kind == "torchmetrics":
            return f"metric.update(torch.from_numpy({y_pred}), torch.from_numpy({y_true}))"
        weight_arg = "" if weight is None else f", sample_weight={weight}"
        return f"metric.update_state({y_true}, {y_pred}{weight_arg})"

    def _result(self) -> str:
        return "metric.compute()" if self.target.kind == "torchmetrics" else "np.asarray(metric.result())"

    def _import_lines(self) -> list[str]:
        spec = self.target.importable_spec()
        if spec is None:
            return [f"# {self.target.name} is defined locally; define it here"]
        location, _, attribute = spec.rpartition(":")
        if location.endswith(".py"):
            path = Path(location)
            return ["import sys", f"sys.path.insert(0, {str(path.parent)!r})",
                    f"from {path.stem} import {attribute.split('.')[0]}"]
        return [f"from {location} import {attribute.split('.')[0]}"]
