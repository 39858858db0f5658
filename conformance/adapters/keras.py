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

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # TensorFlow start-up chatter, before it is imported

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
from conformance.quiet import tensorflow_start_up_quieted

COMPILED_MODES = {"graph": {}, "jit": {"jit_compile": True}}  # tf.function options per mode


class KerasMetric:
    """A Keras metric, the library's or a user's (a subclass, or the MeanMetricWrapper compile() makes of a
    function), its update and result run in ``mode`` (see the module's docstring)."""

    def __init__(self, metric: Any, binding: Binding, params: Mapping[str, Any], layout: tuple[str, str] | None,
                 mode: str):
        self.metric, self.binding, self.params, self.layout = metric, binding, params, layout
        self.update_state, self.compute_result = metric.update_state, metric.result
        if mode in COMPILED_MODES:
            import tensorflow as tf

            tf.get_logger().setLevel("ERROR")  # retracing warnings: a few traces per metric are expected here
            # reduce_retracing: after a few batch sizes, one trace with unknown batch dimension serves all.
            self.update_state = tf.function(metric.update_state, reduce_retracing=True, **COMPILED_MODES[mode])
            # fit() and evaluate() read the results inside their compiled step too (and it is 3-20x faster).
            self.compute_result = tf.function(metric.result, **COMPILED_MODES[mode])

    def arrays(self, batch: Batch) -> tuple[tuple[np.ndarray, ...], dict[str, np.ndarray]]:
        """``update_state``'s positional and keyword arguments for ``batch`` (sample_weight only where it is given:
        a user's update_state may not take it)."""
        y_true, y_pred, weight = present(self.binding, batch, self.params, self.layout)
        arrays = in_library_order(self.binding, y_true, y_pred)
        return arrays, ({"sample_weight": weight} if weight is not None and self.binding.weights else {})

    def update(self, batch: Batch) -> None:
        args, kwargs = self.arrays(batch)
        self.update_state(*args, **kwargs)

    def result(self) -> np.ndarray:
        return select_output(np.asarray(self.compute_result(), np.float64), self.binding)

    def reset(self) -> None:
        self.metric.reset_state()


class JaxJitMetric(KerasMetric):
    """A Keras metric as the JAX trainer runs it: ``stateless_update_state`` and ``stateless_result`` under
    ``jax.jit`` (one compile per batch shape), the variables' values carried between calls, and written back to
    the metric's variables after each update as the trainer does when it syncs its state."""

    def __init__(self, metric: Any, binding: Binding, params: Mapping[str, Any], layout: tuple[str, str] | None):
        super().__init__(metric, binding, params, layout, "eager")
        import jax

        # The arrays as a tuple: one (Mean's values) or two (y_true, y_pred), in the order the metric takes them.
        self.jit_update = jax.jit(lambda state, arrays, weight: metric.stateless_update_state(
            state, *arrays, sample_weight=weight))
        self.jit_result = jax.jit(metric.stateless_result)

    def update(self, batch: Batch) -> None:
        args, kwargs = self.arrays(batch)
        state = [variable.value for variable in self.metric.variables]
        state = self.jit_update(state, args, kwargs.get("sample_weight"))
        for variable, value in zip(self.metric.variables, state, strict=True):
            variable.assign(value)

    def result(self) -> np.ndarray:
        value = self.jit_result([variable.value for variable in self.metric.variables])
        return select_output(np.asarray(value), self.binding)


class KerasAdapter(Adapter):
    name = "keras"
    result_dtype = "float32"
    stateful = True
    # update_state takes (n, 1) weights and one number per batch too (shape_conventions presents both)
    weight_layouts: tuple[str, ...] = ("column", "scalar")

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

    def snippet(self, binding: Binding, params: Mapping[str, Any], batches: list[Batch],
                mode: str | None = None, layout: tuple[str, ...] | None = None) -> str:
        mode = mode or self.execution_modes()[-1]
        init = ", ".join(f"{k}={v!r}" for k, v in resolve_init(binding, batches[0].num_classes).items())
        constructor = f"{binding.target}({init})"  # placeholders (the number of classes) filled in
        if mode == "jit" and self.backend() == "jax":
            return _jax_jit_snippet(binding, params, batches, constructor, layout)
        lines = ["import numpy as np", "import keras", *_target_import(binding)]
        update, result = "metric.update_state", "metric.result"
        if mode in COMPILED_MODES:
            options = "".join(f", {k}={v!r}" for k, v in COMPILED_MODES[mode].items())
            lines += ["import tensorflow as tf", "", f"metric = {constructor}",
                      f"update = tf.function(metric.update_state{options})  # as model.fit() runs it",
                      f"result = tf.function(metric.result{options})"]
            update, result = "update", "result"
        else:
            lines += ["", f"metric = {constructor}"]
        for batch in batches:
            y_true, y_pred, weight = present(binding, batch, params, layout)
            weight_arg = "" if weight is None else f", sample_weight={literal(np.asarray(weight))}"
            arrays = ", ".join(literal(a) for a in in_library_order(binding, y_true, y_pred))
            lines.append(f"{update}({arrays}{weight_arg})")
        output = output_source(binding, batches[0].num_classes)
        lines.append(f"print(np.asarray({result}()){output})")
        return "\n".join(lines)


def _target_import(binding: Binding) -> list[str]:
    """The import a target outside Keras needs (a metric class of the user's or the gallery's module)."""
    module = binding.target.rpartition(".")[0]
    return [] if module == "keras" or module.startswith("keras.") else [f"import {module}"]


def _jax_jit_snippet(binding: Binding, params: Mapping[str, Any], batches: list[Batch], constructor: str,
                     layout: tuple[str, ...] | None = None) -> str:
    """The stateless update and result under jax.jit, as the JAX trainer's compiled step runs them."""
    lines = ["import jax", "import numpy as np", "import keras  # KERAS_BACKEND=jax", *_target_import(binding), "",
             f"metric = {constructor}",
             "update = jax.jit(lambda state, arrays, weight: metric.stateless_update_state(",
             "    state, *arrays, sample_weight=weight))  # as model.fit() runs it on JAX",
             "state = [variable.value for variable in metric.variables]"]
    for batch in batches:
        y_true, y_pred, weight = present(binding, batch, params, layout)
        arrays = ", ".join(literal(a) for a in in_library_order(binding, y_true, y_pred))
        lines.append(f"state = update(state, ({arrays},), "
                     f"{'None' if weight is None else literal(np.asarray(weight))})")
    output = output_source(binding, batches[0].num_classes)
    lines.append(f"print(np.asarray(jax.jit(metric.stateless_result)(state)){output})")
    return "\n".join(lines)
