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

from conformance import recording
from conformance.adapters.base import Adapter, with_attributes
from conformance.adapters.keras import KerasAdapter, KerasMetric, dtype_policy, policy_of
from conformance.adapters.torchmetrics import TorchMetric, TorchmetricsAdapter, set_up
from conformance.catalogue import Binding
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

    def given_classes(self, binding: Binding) -> bool:
        """The user's metric is given the classes where its constructor takes them (``--num-classes``, ``--init``)."""
        return self.target.kind != "function" and any(key in self.target.init for key in ("num_classes", "num_labels"))

    def compute_dtype(self, binding: Binding | None) -> str | None:
        """The dtype ``binding``'s presentation sets the metric to compute in (None: none is set)."""
        return binding.dtypes.compute if binding is not None and binding.dtypes is not None else None

    def new_object(self, binding: Binding | None = None, num_classes: int | None = None,
                   attributes: Mapping[str, Any] | None = None) -> Any:
        """A new metric object (recorded as it is made): the user's class (a subclass of it with ``attributes``), or
        the MeanMetricWrapper compile() would make; set up for the binding's presentation (a dtype to compute in, a
        Keras dtype policy to be built under)."""
        cls = with_attributes(self.metric_class(), attributes)
        arguments = self.init_arguments()
        compute = self.compute_dtype(binding)
        if compute and self.target.kind == "keras":
            arguments = {**arguments, "dtype": compute}
        template, imports = self.source(binding, num_classes, attributes)
        if self.target.kind == "torchmetrics":
            metric = recording.make(lambda: cls(**arguments), template, imports=imports)
            return set_up(metric, binding) if binding is not None else metric
        with dtype_policy(policy_of(binding) if binding is not None else None):
            return recording.make(lambda: cls(**arguments), template, imports=imports)

    def source(self, binding: Binding | None = None, num_classes: int | None = None,
               attributes: Mapping[str, Any] | None = None) -> tuple[str, tuple[str, ...]]:
        """The constructor's source and its imports: the user's module imported as a script can (a file's folder put
        on sys.path), the class with ``--init``'s arguments, or MeanMetricWrapper around a function; set up for the
        binding's presentation as ``new_object`` sets it up."""
        name = self.target.name
        policy = policy_of(binding) if binding is not None and self.target.kind != "torchmetrics" else None
        opening = (f"keras.config.set_dtype_policy({policy!r})  # as a mixed-precision model runs\n{{var}} = "
                   if policy else "")
        if self.target.kind == "function":
            wrapper = f"keras.metrics.MeanMetricWrapper(fn={name}, name={name!r})"
            return opening + wrapper + "  # what compile(metrics=[fn]) makes", (*self.import_lines(), "import keras")
        compute = self.compute_dtype(binding)
        arguments = {**self.target.init, **({"dtype": compute} if compute and self.target.kind == "keras" else {})}
        init = ", ".join(f"{k}={v!r}" for k, v in arguments.items())
        cls = f"type({name.rpartition('.')[2]!r}, ({name},), {dict(attributes)!r})" if attributes else name
        constructor = f"{cls}({init})"
        if self.target.kind == "torchmetrics" and compute:
            return f"{constructor}.set_dtype(torch.{compute})  # states in {compute}", (*self.import_lines(),
                                                                                           "import torch")
        return opening + constructor, (*self.import_lines(), *(["import keras"] if policy else []))

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
