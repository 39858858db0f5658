"""Keras 3 metrics (any backend; the backend is read from ``KERAS_BACKEND``).

Execution modes: ``eager`` calls ``update_state`` directly, as a user's own loop does. On the TensorFlow
backend ``graph`` runs it (and ``result``) inside ``tf.function`` and ``jit`` with XLA (``jit_compile=True``), as
``model.fit()`` and ``evaluate()`` do; graph mode is the default there: it is what training runs, and a compiled
update is 2-6x faster than an eager one. On the JAX backend ``jit`` runs ``stateless_update_state`` and
``stateless_result`` under ``jax.jit``, as the JAX trainer's compiled step does, the metric's variables carried
from one call to the next. The torch backend's fit() runs metrics eagerly (Keras resolves ``jit_compile="auto"``
to False there). The ``execution_modes`` property checks that eager and compiled updates agree.
"""
from __future__ import annotations

import contextlib
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow start-up chatter, before it is imported

from collections.abc import Iterator, Mapping
from typing import Any

import numpy as np

from conformance import recording
from conformance.adapters.base import (
    Adapter,
    LibraryUnavailable,
    imported_modules,
    in_library_order,
    init_source,
    output_read,
    present,
    resolve_init,
    select_output,
)
from conformance.catalogue import Binding
from conformance.data import Batch
from conformance.quiet import tensorflow_start_up_quieted

# tf.function options per mode. "trainer" is how Keras' own TensorFlow trainer compiles its train and test steps,
# without AutoGraph (keras/src/backend/tensorflow/trainer.py: @tf.autograph.experimental.do_not_convert): not one of
# the execution modes compared, but what a declaration's witness of a fit()/evaluate() defect runs in.
COMPILED_MODES = {"graph": {}, "jit": {"jit_compile": True}, "trainer": {"autograph": False}}


@contextlib.contextmanager
def dtype_policy(name: str | None) -> Iterator[None]:
    """Keras' global dtype policy set to ``name`` (e.g. ``mixed_float16``) while the block runs, the previous one
    restored after (it is global state); nothing where ``name`` is None."""
    if name is None:
        yield
        return
    import keras

    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(name)
    try:
        yield
    finally:
        keras.config.set_dtype_policy(previous)


def policy_of(binding: Binding) -> str | None:
    """The global dtype policy ``binding``'s presentation runs its metric under (None: the default)."""
    return binding.dtypes.policy if binding.dtypes is not None else None


class KerasMetric:
    """A Keras metric, the library's or a user's (a subclass, or the MeanMetricWrapper compile() makes of a
    function), its update and result run in ``mode`` (see the module's docstring). Each call is recorded (see
    conformance.recording): a compiled mode's ``tf.function`` is an object made from the metric, called instead."""

    def __init__(self, metric: Any, binding: Binding, params: Mapping[str, Any], layout: tuple[str, str] | None,
                 mode: str):
        self.metric, self.binding, self.params, self.layout = metric, binding, params, layout
        self.update_state, self.compute_result = metric.update_state, metric.result
        self.updates, self.results = (metric, "update_state"), (metric, "result")  # who is called, and how
        if mode in COMPILED_MODES:
            import tensorflow as tf

            tf.get_logger().setLevel("ERROR")  # retracing warnings: a few traces per metric are expected here
            options = COMPILED_MODES[mode]
            written = "".join(f", {k}={v!r}" for k, v in options.items())
            # reduce_retracing: after a few batch sizes, one trace with unknown batch dimension serves all.
            self.update_state = recording.make(
                lambda: tf.function(metric.update_state, reduce_retracing=True, **options),
                f"tf.function({{0}}.update_state, reduce_retracing=True{written})  # as model.fit() runs it", metric,
                imports=("import tensorflow as tf",), name="update")
            # fit() and evaluate() read the results inside their compiled step too (and it is 3-20x faster).
            self.compute_result = recording.make(lambda: tf.function(metric.result, **options),
                                                 f"tf.function({{0}}.result{written})", metric,
                                                 imports=("import tensorflow as tf",), name="result")
            self.updates, self.results = (self.update_state, None), (self.compute_result, None)

    def arrays(self, batch: Batch) -> tuple[tuple[np.ndarray, ...], dict[str, np.ndarray]]:
        """``update_state``'s positional and keyword arguments for ``batch`` (sample_weight only where it is given:
        a user's update_state may not take it)."""
        y_true, y_pred, weight = present(self.binding, batch, self.params, self.layout)
        arrays = in_library_order(self.binding, y_true, y_pred)
        return arrays, ({"sample_weight": weight} if weight is not None and self.binding.weights else {})

    def update(self, batch: Batch) -> None:
        args, kwargs = self.arrays(batch)
        with dtype_policy(policy_of(self.binding)), recording.call(*self.updates, *args, **kwargs):
            self.update_state(*args, **kwargs)

    def result(self) -> np.ndarray:
        with dtype_policy(policy_of(self.binding)), recording.call(*self.results, read=recording.Read()) as step:
            raw = np.asarray(self.compute_result(), np.float64)
            step.read, step.value = output_read(self.binding, raw), (value := select_output(raw, self.binding))
        return value

    def reset(self) -> None:
        with recording.call(self.metric, "reset_state"):
            self.metric.reset_state()


class JaxJitMetric(KerasMetric):
    """A Keras metric as the JAX trainer runs it: ``stateless_update_state`` and ``stateless_result`` under
    ``jax.jit`` (one compile per batch shape), the variables' values carried between calls, and written back to
    the metric's variables after each update as the trainer does when it syncs its state."""

    def __init__(self, metric: Any, binding: Binding, params: Mapping[str, Any], layout: tuple[str, str] | None):
        super().__init__(metric, binding, params, layout, "eager")
        import jax

        # The arrays as a tuple: one (Mean's values) or two (y_true, y_pred), in the order the metric takes them.
        self.jit_update = recording.make(
            lambda: jax.jit(lambda state, arrays, weight: metric.stateless_update_state(
                state, *arrays, sample_weight=weight)),
            "jax.jit(lambda state, arrays, weight: {0}.stateless_update_state(\n"
            "    state, *arrays, sample_weight=weight))  # as model.fit() runs it on JAX", metric,
            imports=("import jax",), name="update")
        self.jit_result = recording.make(lambda: jax.jit(metric.stateless_result), "jax.jit({0}.stateless_result)",
                                         metric, imports=("import jax",), name="result")

    def state(self) -> list:
        return recording.make(lambda: [variable.value for variable in self.metric.variables],
                              "[variable.value for variable in {0}.variables]", self.metric, name="state")

    def update(self, batch: Batch) -> None:
        args, kwargs = self.arrays(batch)
        state = recording.invoke(self.jit_update, None, self.state(), args, kwargs.get("sample_weight"))
        recording.code("for variable, value in zip({0}.variables, {1}):\n    variable.assign(value)", self.metric,
                       state)
        for variable, value in zip(self.metric.variables, state, strict=True):
            variable.assign(value)

    def result(self) -> np.ndarray:
        state = self.state()
        with recording.call(self.jit_result, None, state, read=recording.Read()) as step:
            raw = np.asarray(self.jit_result(state), np.float64)
            step.read, step.value = output_read(self.binding, raw), (value := select_output(raw, self.binding))
        return value


class KerasAdapter(Adapter):
    name = "keras"
    result_dtype = "float32"
    stateful = True
    # update_state takes (n, 1) weights and one number per batch too (shape_conventions presents both)
    weight_layouts: tuple[str, ...] = ("column", "scalar")
    # Metric's docs: inputs are cast to the metric's dtype ("the dtype of the metric's computations", floatx by
    # default, float32), so any float and any label dtype is taken; mixed precision (Keras' mixed precision guide)
    # leaves metrics in floatx.
    float_dtypes = ("float16", "bfloat16", "float32", "float64")
    label_dtypes = ("int64", "int32", "bool", "float32")
    dtype_policies = ("mixed_float16",)

    def computes_in(self, binding: Binding) -> str:
        """The metric's dtype: the one it was set to compute in (``dtype=``), else floatx (float32), whatever its
        inputs' (Metric: "dtype: The dtype of the metric's computations")."""
        return binding.dtypes.compute if binding.dtypes is not None and binding.dtypes.compute else self.result_dtype

    def sets_compute_dtype(self, binding: Binding) -> bool:
        return True  # every keras.metrics.Metric takes dtype=

    def init_arguments(self, binding: Binding, num_classes: int | None) -> dict[str, Any]:
        """The binding's arguments, with ``dtype=`` where its presentation sets the metric's computation dtype."""
        arguments = resolve_init(binding, num_classes)
        if binding.dtypes is not None and binding.dtypes.compute:
            arguments["dtype"] = binding.dtypes.compute
        return arguments

    def new_object(self, binding: Binding, num_classes: int | None,
                   attributes: Mapping[str, Any] | None = None) -> Any:
        """A new metric, built under its presentation's dtype policy (as a model built under it builds it)."""
        with dtype_policy(policy_of(binding)):
            return super().new_object(binding, num_classes, attributes)

    def versions(self) -> dict[str, str]:
        try:
            with tensorflow_start_up_quieted():
                import keras
        except Exception as error:  # ImportError, or a backend that fails to load
            raise LibraryUnavailable(f"keras: {error}") from error
        versions = {"keras": keras.__version__, "keras_backend": keras.backend.backend()}
        backend_module = {"tensorflow": "tensorflow", "jax": "jax", "torch": "torch"}.get(keras.backend.backend())
        if backend_module:
            versions[backend_module] = __import__(backend_module).__version__
        return versions

    def backend(self) -> str | None:
        import keras

        return keras.backend.backend()

    def curve(self, binding: Binding, params: Mapping[str, Any], batches: list[Batch]) -> dict[str, list] | None:
        """The points of keras.metrics.AUC's curve, one per threshold, from its confusion variables."""
        metric = self.create(binding, params, batches[0].num_classes, mode="eager")  # one stream: not worth a trace
        if not hasattr(metric.metric, "thresholds"):
            return None
        for batch in batches:
            metric.update(batch)
        tp, fp, tn, fn = (np.asarray(v, np.float64) for v in (metric.metric.true_positives,
                          metric.metric.false_positives, metric.metric.true_negatives, metric.metric.false_negatives))
        with np.errstate(all="ignore"):  # a zero denominator is a rate of 0, as Keras' divide_no_nan
            recall = np.nan_to_num(tp / (tp + fn))
            if metric.metric.curve.value == "PR":
                x, y = recall, np.nan_to_num(tp / (tp + fp))
            else:
                x, y = np.nan_to_num(fp / (fp + tn)), recall
        changed = np.r_[True, (np.diff(x) != 0) | (np.diff(y) != 0)]  # thresholds between two scores repeat a point
        return {"x": x[changed].tolist(), "y": y[changed].tolist()}

    def execution_modes(self) -> tuple[str, ...]:
        import keras

        # The last is the default. JAX compiles once per batch shape (~150 ms for AUC), so its jit mode, like
        # TensorFlow's XLA, is checked in the thorough profile; its eager ops are compiled per shape too (and
        # cached across metric objects).
        return {"tensorflow": ("eager", "jit", "graph"), "jax": ("jit", "eager")}.get(keras.backend.backend(),
                                                                                     ("eager",))

    def create(self, binding: Binding, params: Mapping[str, Any], num_classes: int | None,
               layout: tuple[str, str] | None = None, mode: str | None = None) -> KerasMetric:
        metric = self.new_object(binding, num_classes)
        mode = mode or self.execution_modes()[-1]
        if mode == "jit" and self.backend() == "jax":
            return JaxJitMetric(metric, binding, params, layout)
        return KerasMetric(metric, binding, params, layout, mode)

    def wrap(self, metric: Any, binding: Binding, params: Mapping[str, Any],
             layout: tuple[str, str] | None = None) -> KerasMetric:
        return KerasMetric(metric, binding, params, layout, "eager")

    def source(self, binding: Binding, num_classes: int | None,
               attributes: Mapping[str, Any] | None = None) -> tuple[str, tuple[str, ...]]:
        """``keras.metrics.AUC(...)`` (with ``dtype=`` where its presentation sets it, after the global dtype policy it
        runs under); a class outside Keras (a user's, the gallery's) with its module imported."""
        module = binding.target.rpartition(".")[0]
        imports = ("import keras", *([] if module == "keras" or module.startswith("keras.") else [f"import {module}"]),
                   *imported_modules(binding))
        init = init_source(binding, num_classes)
        if binding.dtypes is not None and binding.dtypes.compute:
            init = ", ".join(filter(None, [init, f"dtype={binding.dtypes.compute!r}"]))
        constructor = f"{binding.target}({init})"
        if policy_of(binding):
            constructor = (f"keras.config.set_dtype_policy({policy_of(binding)!r})  # as a mixed-precision model runs"
                           f"\n{{var}} = {constructor}")
        return constructor, tuple(dict.fromkeys(imports))
