"""A thin adapter that feeds the harness's batches to a user's metric, so every property applies to it.

A Keras Metric subclass gets ``update_state(y_true, y_pred, sample_weight)``; a torchmetrics Metric
subclass gets ``update(preds, target)`` (note the order); a function gets what Keras ``compile()``
makes of it, a ``keras.metrics.MeanMetricWrapper``.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from conformance import recording
from conformance.adapters.base import Adapter, with_attributes
from conformance.adapters.keras import KerasMetric
from conformance.adapters.torchmetrics import TorchMetric
from conformance.catalogue import Binding
from conformance.usercheck.inputs import Presentation
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

    def given_classes(self, binding: Binding) -> bool:
        """The user's metric is given the classes where its constructor takes them (``--num-classes``, ``--init``)."""
        return self.target.kind != "function" and any(key in self.target.init for key in ("num_classes", "num_labels"))

    def new_object(self, binding: Binding | None = None, num_classes: int | None = None,
                   attributes: Mapping[str, Any] | None = None) -> Any:
        """A new metric object (recorded as it is made): the user's class (a subclass of it with ``attributes``), or
        the MeanMetricWrapper compile() would make."""
        cls = with_attributes(self.metric_class(), attributes)
        arguments = self.init_arguments()
        template, imports = self.source(binding, num_classes, attributes)
        return recording.make(lambda: cls(**arguments), template, imports=imports)

    def source(self, binding: Binding | None = None, num_classes: int | None = None,
               attributes: Mapping[str, Any] | None = None) -> tuple[str, tuple[str, ...]]:
        """The constructor's source and its imports: the user's module imported as a script can (a file's folder put
        on sys.path), the class with ``--init``'s arguments, or MeanMetricWrapper around a function."""
        name = self.target.name
        if self.target.kind == "function":
            return (f"keras.metrics.MeanMetricWrapper(fn={name}, name={name!r})  # what compile(metrics=[fn]) makes",
                    (*self.import_lines(), "import keras"))
        init = ", ".join(f"{k}={v!r}" for k, v in self.target.init.items())
        cls = f"type({name.rpartition('.')[2]!r}, ({name},), {dict(attributes)!r})" if attributes else name
        return f"{cls}({init})", tuple(self.import_lines())

    def importable(self, binding: Binding | None = None) -> str | None:
        return self.target.importable_spec()

    def create(self, binding: Binding, params: Mapping[str, Any], num_classes: int | None,
               layout: tuple[str, str] | None = None, mode: str | None = None) -> KerasMetric | TorchMetric:
        """A new wrapped metric; it updates eagerly (``mode`` is ignored: graph_mode checks compiled updates)."""
        return self.wrap(self.new_object(), binding, params, layout)

    def wrap(self, metric: Any, binding: Binding, params: Mapping[str, Any] | None = None,
             layout: tuple[str, str] | None = None) -> KerasMetric | TorchMetric:
        """The library adapters' own wrappers: a user's metric is fed exactly as the library's are."""
        if self.target.kind == "torchmetrics":
            return TorchMetric(metric, binding, params or {}, layout, weight_keyword="sample_weight")
        return KerasMetric(metric, binding, params or {}, layout, "eager")

    def import_lines(self) -> list[str]:
        """How a script imports the target (a file's folder put on sys.path first)."""
        spec = self.target.importable_spec()
        if spec is None:
            return [f"# {self.target.name} is defined locally; define it here"]
        location, _, attribute = spec.rpartition(":")
        if location.endswith(".py"):
            path = Path(location)
            return ["import sys", f"sys.path.insert(0, {str(path.parent)!r})",
                    f"from {path.stem} import {attribute.split('.')[0]}"]
        return [f"from {location} import {attribute.split('.')[0]}"]
