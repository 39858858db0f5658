"""Checks only a Keras metric (or a function given to compile()) needs: config round trip, the stateless
API, graph mode, a real model.evaluate, and Keras 2 method names that Keras 3 never calls."""

from __future__ import annotations

from typing import Any

import numpy as np
from hypothesis import strategies as st

from conformance import recording
from conformance.adapters import Adapter
from conformance.adapters.base import present
from conformance.adapters.keras import KerasMetric
from conformance.catalogue import Binding, KnownDifference, MetricSpec
from conformance.context import Context
from conformance.data import Example
from conformance.failures import Explained, Observation, Violation
from conformance.profiles import Profile
from conformance.properties import broadcast_evidence
from conformance.tolerance import compare


def _feed(ctx: Context, metric: Any, batches) -> Any:
    instance = ctx.adapter.wrap(metric, ctx.binding, ctx.spec.params)
    for batch in batches:
        instance.update(batch)
    return instance


def check_config_round_trip(ctx: Context, data: st.DataObject) -> None:
    """``from_config(get_config())`` mid-stream gives a metric that behaves as a new one (state is not config)."""
    batches = ctx.draw.batches(data)
    split = data.draw(st.integers(0, len(batches)), label="batches before get_config")
    example = Example(batches, details={"get_config_after_batches": split})

    def round_trip() -> np.ndarray:
        original = _feed(ctx, ctx.run.new_object(batches), batches[:split]).metric
        config = recording.invoke(original, "get_config")
        clone = recording.make(lambda: type(original).from_config(config), "type({0}).from_config({1})", original,
                               config, name="clone")
        return _feed(ctx, clone, batches).result()

    ctx.expect_same(ctx.run.guarded(example, round_trip, side=f"rebuilt from get_config() after {split} batches"),
                    ctx.run.stream(batches, example, side="a new metric"), example,
                    "a metric rebuilt with from_config(get_config()) differs from a new one",
                    observed_batches=batches, expected_batches=batches)


# Keras' defect, not the user's: Metric.stateless_result returns what result() returns, read after the stateless
# scope has closed; a result() that returns the state variable itself (as Keras' own guide's BinaryTruePositives
# does) then reads the metric's own value, not the stateless one. Explains only examples where the value read inside
# the scope is the stateful API's and the one returned is the metric's untouched own value.
KERAS_STATELESS_RESULT_OF_A_VARIABLE = KnownDifference(
    library="keras", kind="defect", properties=("stateless_api",),
    what="stateless_result() returns the metric's own (untouched) value when result() returns a state variable.",
    cause="Metric.stateless_result calls result() inside a StatelessScope and returns its value as is; a variable "
          "returned is read after the scope closes, so it gives the variable's own value, not the mapped stateless "
          "one. The metric is right: return ops.convert_to_tensor(variable) (or variable + 0) to avoid it.",
    where="keras/src/metrics/metric.py::Metric.stateless_result")


def check_stateless_api(ctx: Context, data: st.DataObject) -> None:
    """``stateless_update_state`` / ``stateless_result`` agree with the stateful API (as JAX training uses them),
    and leave the metric's own state untouched (state kept outside its variables would be changed)."""
    import keras

    batches = ctx.draw.batches(data)
    example = Example(batches, details={"api": "stateless_update_state per batch, then stateless_result"})

    def stateless() -> np.ndarray:
        metric = ctx.run.new_object(batches)
        instance = ctx.adapter.wrap(metric, ctx.binding, ctx.spec.params)
        own = recording.Read()
        try:
            untouched = np.asarray(recording.invoke(metric, "result", read=own, label="result() before"), np.float64)
        except Exception:  # built on its first update (F1Score, R2Score): Keras' trainers build metrics first too
            instance.update(next((b for b in batches if len(b)), batches[0]))
            recording.invoke(metric, "reset_state")
            untouched = np.asarray(recording.invoke(metric, "result", read=own, label="result() before"),
                                   np.float64)
        variables = recording.make(lambda: [v.value for v in metric.variables],
                                   "[variable.value for variable in {0}.variables]", metric, name="state")
        for batch in batches:
            args, kwargs = instance.arrays(batch)
            variables = recording.invoke(metric, "stateless_update_state", variables, *args, **kwargs)
        value = np.asarray(recording.invoke(metric, "stateless_result", variables, read=own,
                                            label="stateless_result()"), np.float64)
        with recording.paused(), keras.StatelessScope(state_mapping=list(zip(metric.variables, variables,
                                                                                   strict=True))):
            result = metric.result()
            inside = np.asarray(keras.ops.convert_to_tensor(result), np.float64)  # read inside the scope
        returns_variable = float(isinstance(result, keras.Variable))
        after = recording.invoke(metric, "result", read=own, label="result() after the stateless updates")
        return np.stack([value, untouched, np.asarray(after, np.float64), inside,
                         np.full(np.shape(value), returns_variable)])

    value, untouched, after, inside, returns_variable = ctx.run.guarded(example, stateless,
                                                                        side="the stateless API")
    if not np.array_equal(untouched, after, equal_nan=True):
        raise Violation("stateless_update_state changed the metric's own result(): it keeps state outside its "
                        "variables", example, untouched, after, float(np.nanmax(np.abs(after - untouched))), 0.0)
    stateful = ctx.run.stream(batches, example, side="the stateful API")
    if returns_variable.all() and np.array_equal(value, untouched, equal_nan=True):
        tolerance = ctx.judge.tolerance(batches, both_library=True)
        within, _, bound = compare(inside, stateful, tolerance)
        if within and not compare(value, stateful, tolerance)[0]:
            raise Explained(Observation(KERAS_STATELESS_RESULT_OF_A_VARIABLE, example, stateful, value,
                                        float(np.nanmax(np.abs(value - stateful), initial=0.0)), bound))
    ctx.expect_same(value, stateful, example, "the stateless API differs from the stateful one",
                    observed_batches=batches, expected_batches=batches)


def tensorflow_backend(spec: MetricSpec, adapter: Adapter, binding: Binding, profile: Profile | None) -> str | None:
    """graph_mode applies on the TensorFlow backend (tf.function)."""
    import keras

    if keras.backend.backend() != "tensorflow":
        return f"tf.function needs the TensorFlow backend (this is {keras.backend.backend()})"
    return None


def check_graph_mode(ctx: Context, data: st.DataObject) -> None:
    """update_state and result traced by ``tf.function`` (as fit() runs them) agree with eager calls."""
    batches = ctx.draw.batches(data)
    example = Example(batches, details={"mode": "update_state and result in tf.function"})

    def graph() -> np.ndarray:  # the wrapper's graph mode: update_state and result each in a tf.function
        instance = KerasMetric(ctx.run.new_object(batches), ctx.binding, ctx.spec.params, None, "graph")
        for batch in batches:
            instance.update(batch)
        return instance.result()

    ctx.expect_same(ctx.run.guarded(example, graph, side="graph (tf.function)"),
                    ctx.run.stream(batches, example, side="eager"), example,
                    "in graph mode (tf.function) the value differs from eager", observed_batches=batches,
                    expected_batches=batches)


def _zero_loss(y_true, y_pred):
    """A loss of 0: evaluate() needs one, the metric is what is checked."""
    from keras import ops

    return ops.sum(ops.zeros_like(y_pred))


def _identity_model(ctx: Context, shape: tuple[int, ...], weighted: bool) -> tuple[Any, str]:
    """A compiled model whose output is its input, cached per input shape; and the metric's name.

    Keras passes sample_weight only to ``weighted_metrics``; ``metrics`` are updated without it
    (keras/src/trainers/compile_utils.py::CompileMetrics.update_state), so weighted examples use the former.
    """
    import keras

    cache = ctx.adapter.cache.setdefault("models", {})
    if (shape, weighted) not in cache:
        function = ctx.adapter.target.kind == "function"
        metric = ctx.adapter.target.obj if function else ctx.adapter.new_object()
        keyword = "weighted_metrics" if weighted else "metrics"

        def build() -> Any:
            inputs = keras.Input(shape=shape)
            model = keras.Model(inputs, keras.layers.Identity()(inputs))
            model.compile(loss=_zero_loss, **{keyword: [metric]})
            return model

        # compile(metrics=[fn]) wraps a function itself; a metric object is passed as it is.
        passed = ctx.adapter.target.name if function else "{0}"
        model = recording.make(build, f"inputs = keras.Input(shape={shape!r})\n"
                               "{var} = keras.Model(inputs, keras.layers.Identity()(inputs))  # outputs its input\n"
                               "{var}.compile(loss=lambda y_true, y_pred: keras.ops.sum(keras.ops.zeros_like(y_pred)),"
                               f" {keyword}=[{passed}])", *([] if function else [metric]),
                               imports=(*ctx.adapter.import_lines(), "import keras"), name="model")
        name = getattr(metric, "name", None) or metric.__name__
        cache[shape, weighted] = (model, name)
    return cache[shape, weighted]


def check_model_evaluate(ctx: Context, data: st.DataObject) -> None:
    """The metric inside ``model.evaluate(x, y, batch_size=b)`` of a model that outputs its input gives the reference.

    x is the predictions (``(n, 1)`` for one output, as a Dense(1) layer gives), y the targets as
    model.fit() takes them (``(n,)`` labels); sample weights go through evaluate() to ``weighted_metrics``.
    """
    whole = ctx.draw.inputs(data)
    batch_size = data.draw(st.integers(1, len(whole)), label="batch_size")
    y_true, y_pred, weight = present(ctx.binding, whole, ctx.spec.params)
    x = y_pred[:, None] if y_pred.ndim == 1 else y_pred
    chunks = [whole.take(slice(i, i + batch_size)) for i in range(0, len(whole), batch_size)]
    example = Example([whole], details={"model.evaluate": f"batch_size={batch_size}", "x_shape": list(x.shape),
                                        "y_shape": list(y_true.shape)})

    def evaluate() -> np.ndarray:
        weighted = ctx.binding.weights and weight is not None
        model, name = _identity_model(ctx, x.shape[1:], weighted)
        with recording.call(model, "evaluate", x, y_true, read=recording.Read(),
                            sample_weight=weight if weighted else None, batch_size=batch_size, verbose=0,
                            return_dict=True) as step:
            logs = model.evaluate(x, y_true, sample_weight=weight if weighted else None,
                                  batch_size=batch_size, verbose=0, return_dict=True)
            key = name if name in logs else next(k for k in logs if k != "loss")
            step.read = recording.Read(key=key)
            step.value = value = np.asarray(logs[key], np.float64)
        return value

    try:
        ctx.expect_reference(ctx.run.guarded(example, evaluate, side=f"model.evaluate(batch_size={batch_size})"),
                             chunks, example,
                             f"model.evaluate(batch_size={batch_size}) reported a value that")
    except Violation as violation:
        if y_true.ndim != x.ndim:
            violation.message += broadcast_evidence(ctx, chunks, ("flat", "column"))
        raise


def _state(metric: Any) -> list[np.ndarray]:
    """The metric's variables and its result(): what a reset must bring back to a new metric's."""
    return [*(np.asarray(v.value, np.float64) for v in metric.variables), _result_or_nan(metric)]


def _same_state(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(x.shape == y.shape and np.array_equal(x, y, equal_nan=True)
                                    for x, y in zip(a, b, strict=True))


def check_legacy_reset_name(ctx: Context, data: st.DataObject) -> None:
    """A Keras 2 ``reset_states()`` override without ``reset_state()``: Keras 3 calls only ``reset_state()``.

    A failure only on the evidence: after some updates, ``reset_state()`` (what Keras 3 calls) leaves the state
    different from a new metric's while the Keras 2 ``reset_states()`` override would have reset it. Where Keras 3's
    own ``reset_state()`` already resets every variable, the override is dead code but nothing is lost (a note)."""
    target = ctx.adapter.target
    if not target.defines("reset_states") or target.defines("reset_state"):
        return
    batches = [b for b in ctx.draw.batches(data) if len(b)]
    if not batches:
        return
    example = Example(batches, details={"called": "reset_state(), as Keras 3 fit()/evaluate() do, and the Keras 2 "
                                                  "reset_states() override, each after these updates"})

    def states() -> tuple[list[np.ndarray], list[np.ndarray], list[np.ndarray]]:
        read = []
        for how, reset in (("a new metric", None), ("reset_state(), as Keras 3 calls it", "reset_state"),
                           ("reset_states(), the Keras 2 name", "reset_states")):
            with recording.side(how):
                metric = ctx.run.new_object(batches)
                if reset:
                    _feed(ctx, metric, batches)
                    _result_or_nan(metric)  # as fit()'s progress bar reads it at the end of an epoch
                    recording.invoke(metric, reset)
                read.append(_state(metric))
        return tuple(read)

    try:
        fresh, after_keras3, after_keras2 = states()
    except Exception as error:
        raise ctx.judge.library_error(f"{type(error).__name__}: {error}", example) from error
    if _same_state(after_keras3, fresh):
        ctx.tally.notes.add("reset_states() (the Keras 2 name) is never called by Keras 3, but Keras 3's reset_state() "
                      "resets every variable of this metric, so nothing is lost; rename it reset_state()")
        return
    if _same_state(after_keras2, fresh):
        observed, expected = after_keras3[-1], fresh[-1]
        difference = np.abs(observed - expected)
        raise Violation(f"{target.name} overrides reset_states() (the Keras 2 name) but not reset_state(): Keras 3 "
                        "calls reset_state() between epochs and evaluations, which leaves state that the override "
                        "would reset (result() after reset_state() is the target value below, a new metric's the "
                        "reference); rename it reset_state()", example, expected, observed,
                        float(np.nanmax(difference, initial=0.0)) if np.isfinite(difference).any() else float("inf"),
                        0.0)


def _result_or_nan(metric: Any) -> np.ndarray:
    try:
        return np.asarray(recording.invoke(metric, "result", read=recording.Read()), np.float64)
    except Exception:
        return np.asarray(np.nan)
