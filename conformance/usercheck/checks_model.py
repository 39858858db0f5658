"""A Keras metric inside a real training loop: ``model.evaluate()`` and one epoch of ``model.fit()`` of a model whose
output is its input, and the string identifiers ``compile(metrics=[...])`` resolves. The same properties apply to
Keras' own metrics (the adapter builds the library's object) and to users' (their class, or the function compile()
wraps). One compiled model per metric, input shape and weighting is kept on the adapter (``Adapter.cached``) and
shared by the examples and by both properties: evaluate() and fit() reset the model's metrics before they start."""

from __future__ import annotations

import contextlib
import io
import logging
import re
from collections.abc import Hashable
from typing import Any

import numpy as np
from hypothesis import strategies as st

from conformance import recording
from conformance.adapters import Adapter
from conformance.adapters.base import present, select_output
from conformance.catalogue import Binding, MetricSpec
from conformance.catalogue.compile_identifiers import CompileIdentifier, identifiers_for
from conformance.context import Context
from conformance.data import Batch, Example, concatenate
from conformance.failures import Explained, Violation
from conformance.profiles import Profile
from conformance.properties import broadcast_evidence
from conformance.tolerance import compare

MODELS = "identity models"  # Adapter.cached kind: compiled models whose output is their input


def compiles(spec: MetricSpec, adapter: Adapter, binding: Binding, profile: Profile | None) -> str | None:
    """model_evaluate and model_fit apply to metrics compile() can take: Keras passes every metric (y_true, y_pred),
    which a Mean or Sum of values would read as (values, sample_weight)."""
    if binding.arguments == "values":
        return (f"{binding.target} aggregates values (update_state(values, sample_weight)); compile() passes every "
                "metric (y_true, y_pred), so it has no meaning there")
    return None


def presentation_trait(spec: MetricSpec, binding: Binding) -> Hashable:
    """What decides how a training loop feeds the metric: the targets' form and layout, one score per sample or a
    row, label maps (the smoke profile runs the model properties on one metric per value: see Property.deep)."""
    return binding.y_true, binding.layout, spec.domain.per_sample_pred, binding.masks is not None


# -- the model -------------------------------------------------------------------------------------------------

def _zero_loss(y_true, y_pred):
    """A loss of 0: evaluate() and fit() need one, the metric is what is checked."""
    from keras import ops

    return ops.sum(ops.zeros_like(y_pred))


ZERO_LOSS = "lambda y_true, y_pred: keras.ops.sum(keras.ops.zeros_like(y_pred))"  # _zero_loss, in a script


def _identity_model(ctx: Context, batches: list[Batch], shape: tuple[int, ...], weighted: bool,
                    identifier: str | None = None, loss: str | None = None) -> Any:
    """A compiled model whose output is its input (no trainable weights: fit() changes nothing and the predictions
    stay the drawn ones), kept per metric (binding and drawn parameters), classes, input shape and weighting, and
    recorded as made (a script makes it again, with the metric object it was given).

    Keras passes sample_weight only to ``weighted_metrics``; ``metrics`` are updated without it
    (keras/src/trainers/compile_utils.py::CompileMetrics.update_state), so weighted examples use the former.
    ``identifier``: a string compile() resolves (default the adapter's metric: the library's object, a user's class
    or function), and ``loss`` the loss's identifier (default a loss of 0).
    """
    import keras

    num_classes = batches[0].num_classes if batches else None
    key = (repr(ctx.binding), num_classes, shape, weighted, identifier, loss)
    keyword = "weighted_metrics" if weighted else "metrics"

    def build() -> Any:
        # Each batch size the loop meets traces its step once more: expected here, not worth TensorFlow's warning.
        logging.getLogger("tensorflow").setLevel(logging.ERROR)
        given = identifier if identifier is not None else metric
        inputs = keras.Input(shape=shape)
        model = keras.Model(inputs, keras.layers.Identity()(inputs))
        model.compile(optimizer="sgd", loss=loss or _zero_loss, **{keyword: [given]})
        return model

    def made() -> Any:
        nonlocal metric
        metric = None if identifier is not None else ctx.adapter.compile_argument(ctx.binding, num_classes)
        refs = [] if metric is None else [_named(ctx, metric)]
        given = repr(identifier) if identifier is not None else "{0}"
        return recording.make(build, f"inputs = keras.Input(shape={tuple(shape)!r})\n"
                              "{var} = keras.Model(inputs, keras.layers.Identity()(inputs))  # outputs its input\n"
                              f"{{var}}.compile(optimizer='sgd', {keyword}=[{given}], "
                              f"loss={ZERO_LOSS if loss is None else repr(loss)})", *refs,
                              imports=("import keras",), name="model")

    metric: Any = None
    return ctx.adapter.cached(MODELS, key, made, scope=ctx.subject.base_spec.id)


def _named(ctx: Context, metric: Any) -> Any:
    """``metric`` as a script names it: a user's function compile() wraps is imported, an object was made."""
    if callable(metric) and not hasattr(metric, "update_state"):
        name = getattr(metric, "__name__", "metric_function")
        imports = ctx.adapter.import_lines() if hasattr(ctx.adapter, "import_lines") else []
        return recording.imported(metric, name, *imports)
    return metric


def _logged(logs: dict[str, Any], binding: Binding) -> np.ndarray:
    """The one compiled metric's value among a training loop's logs (the other is the loss)."""
    values = [value for name, value in logs.items() if name != "loss"]
    return select_output(np.asarray(values[0], np.float64), binding)


def _metric_name(logs: dict[str, Any]) -> str:
    return next(name for name in logs if name != "loss")


def _evaluate(ctx: Context, fed: _Inputs, model: Any) -> np.ndarray:
    """``model.evaluate()`` of the example, recorded; the compiled metric's value among its logs."""
    with recording.call(model, "evaluate", fed.x, fed.y, sample_weight=fed.weight, batch_size=fed.batch_size,
                        verbose=0, return_dict=True) as step:
        logs = model.evaluate(fed.x, fed.y, sample_weight=fed.weight, batch_size=fed.batch_size, verbose=0,
                              return_dict=True)
        step.read = recording.Read(ctx.binding.output, key=_metric_name(logs))
        step.value = value = _logged(logs, ctx.binding)
    return value


def _batch_size(data: st.DataObject, n: int) -> int:
    """A batch size that leaves the last batch short (where one can: n >= 3), as a data set rarely divides evenly."""
    short = [size for size in range(1, n) if n % size]
    return data.draw(st.sampled_from(short) if short else st.just(n), label="batch_size")


class _Inputs:
    """One drawn example as a training loop takes it: x the predictions (``(n, 1)`` for one score per sample, as a
    Dense(1) layer gives), y the targets in the binding's form, the weights; and the batches the loop will feed."""

    def __init__(self, ctx: Context, whole: Batch, batch_size: int, weighted: bool):
        self.whole, self.batch_size = whole, batch_size
        y_true, y_pred, weight = present(ctx.binding, whole, ctx.spec.params)
        self.y, self.x = y_true, (y_pred[:, None] if y_pred.ndim == 1 else y_pred)
        self.weighted = weighted and weight is not None
        self.weight = weight if self.weighted else None
        self.chunks = [whole.take(slice(i, i + batch_size)) for i in range(0, len(whole), batch_size)]
        if not self.weighted:
            self.chunks = [chunk.with_weights(None) for chunk in self.chunks]
        # How the arrays reach the metric, for the declarations of that layout (y_pred as a column).
        self.layout = (ctx.binding.layout[0], "column") if y_pred.ndim == 1 else ctx.binding.layout

    def details(self, call: str) -> dict[str, Any]:
        return {"training_loop": call, "batch_size": self.batch_size, "x_shape": list(self.x.shape),
                "y_shape": list(self.y.shape), "weighted": self.weighted}


def _draw(ctx: Context, data: st.DataObject) -> _Inputs:
    whole = ctx.draw.inputs(data)
    return _Inputs(ctx, whole, _batch_size(data, len(whole)), ctx.binding.weights)


# -- model.evaluate -----------------------------------------------------------------------------------------------

def check_model_evaluate(ctx: Context, data: st.DataObject) -> None:
    """The metric inside ``model.evaluate(x, y, sample_weight=w, batch_size=b)`` gives the reference: weighted
    examples through ``weighted_metrics``, the last batch short."""
    fed = _draw(ctx, data)
    example = Example([fed.whole], details=fed.details("evaluate"))

    def evaluate() -> np.ndarray:
        return _evaluate(ctx, fed, _identity_model(ctx, fed.chunks, fed.x.shape[1:], fed.weighted))

    _judge(ctx, fed, example, lambda: ctx.run.guarded(example, evaluate),
           f"model.evaluate(batch_size={fed.batch_size}) reported a value that")


def _judge(ctx: Context, fed: _Inputs, example: Example, value: Any, what: str, diagnose: bool = True) -> np.ndarray:
    """``value()`` (a training loop's report) judged against the reference, with the declarations of the layout the
    loop presents; a wrong value says whether the loop's doing or the shapes explain it (see ``_diagnosis``; not
    where the loop was given another metric than the spec's: ``diagnose`` False)."""
    ctx.layout = fed.layout
    try:
        observed = value()
        ctx.expect_reference(observed, fed.chunks, example, what)
        return observed
    except Violation as violation:
        if diagnose:
            violation.message += _diagnosis(ctx, fed, violation.observed)
        raise
    finally:
        ctx.layout = None


def _diagnosis(ctx: Context, fed: _Inputs, observed: np.ndarray) -> str:
    """Where the loop's value is wrong: whether the metric fed the same batches by hand (update_state per batch, the
    arrays shaped as the loop shapes them) is wrong the same way (then, with y and the output of different ranks,
    whether shaping them alike is right: a broadcast), or right (the loop's own doing: its compiled step, the
    tensors it passes)."""
    try:
        with recording.paused():  # evidence for the message, after the verdict: not part of the reproduction
            by_hand = ctx.run.stream(fed.chunks, Example(fed.chunks), layout=fed.layout, mode="eager")
    except Exception:  # the metric raises when fed by hand: nothing to tell apart
        return ""
    tolerance = ctx.judge.tolerance(fed.chunks, both_library=True)
    if compare(by_hand, observed, tolerance)[0]:
        return broadcast_evidence(ctx, fed.chunks, ("flat", "column")) if fed.y.ndim != fed.x.ndim else ""
    if compare(by_hand, ctx.spec.reference_value(concatenate(fed.chunks)), tolerance)[0]:
        return ("; fed the same batches by hand (update_state per batch, eagerly) the metric gives the reference: "
                "only inside the training loop is it wrong (its compiled step, or the tensors it passes)")
    return ""


# -- model.fit ----------------------------------------------------------------------------------------------------

ANSI = re.compile(r"\x1b\[[0-9;]*m")


def progress_bar_value(printed: str, name: str) -> float | None:
    """The value the progress bar shows for ``name`` when fit() ends: Keras' Progbar redraws its line (a carriage
    return, or backspaces) and ends the epoch with the epoch's logs; None where it shows none."""
    text = ANSI.sub("", printed).replace("\b", "")
    last = [line for line in re.split(r"[\r\n]", text) if f" - {name}:" in line]
    if not last:
        return None
    match = re.search(rf" - {re.escape(name)}: (\S+)", last[-1])
    return float(match.group(1)) if match else None


def displayed(value: np.ndarray) -> tuple[float, float]:
    """What keras.utils.Progbar prints for a logged value (the mean of an array: one number per metric name), and
    half a unit of the last digit it prints (``.4f``, or ``.4e`` at or below 1e-3)."""
    mean = float(np.mean(value)) if np.size(value) else float("nan")
    return mean, (5e-5 if abs(mean) > 1e-3 else 5e-5 * abs(mean))


LAST_BATCH_LOGS = """class LastBatchLogs(keras.callbacks.Callback):  # keeps the logs of the last training batch
    def on_train_batch_end(self, batch, logs=None):
        self.logs = dict(logs or {{}})


{var} = LastBatchLogs()"""


def _last_batch_logs() -> Any:
    """A callback that keeps the logs of the last on_train_batch_end: the values fit() computed inside its step."""
    import keras

    class LastBatchLogs(keras.callbacks.Callback):
        def __init__(self) -> None:
            super().__init__()
            self.logs: dict[str, Any] = {}

        def on_train_batch_end(self, batch: int, logs: dict[str, Any] | None = None) -> None:
            self.logs = {name: np.asarray(value) for name, value in (logs or {}).items()}

    return LastBatchLogs()


def check_model_fit(ctx: Context, data: st.DataObject) -> None:
    """One epoch of ``model.fit(x, y, batch_size=b, epochs=1, shuffle=False, verbose=1)`` of a model whose output is
    its input: the last batch's logs (computed inside the compiled train step), ``History.history[name][-1]`` (read
    after the epoch) and the value the progress bar prints at the end (its stdout) all give the reference."""
    fed = _draw(ctx, data)
    example = Example([fed.whole], details=fed.details("fit"))

    def fit() -> tuple[np.ndarray, np.ndarray, float | None, str]:
        import warnings

        model = _identity_model(ctx, fed.chunks, fed.x.shape[1:], fed.weighted)
        last = recording.make(_last_batch_logs, LAST_BATCH_LOGS, imports=("import keras",), name="last_batch")
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "the model does not have any trainable weights": by design here
            history = recording.invoke(model, "fit", fed.x, fed.y, sample_weight=fed.weight,
                                       batch_size=fed.batch_size, epochs=1, shuffle=False, verbose=1,
                                       callbacks=[last])
        name = _metric_name(history.history)
        kept = _logged({name: history.history[name][-1]}, ctx.binding)
        recording.show(history, f"history[{name!r}][-1]", kept, label=f"History.history[{name!r}][-1]",
                       output=ctx.binding.output)
        logged = _logged(last.logs, ctx.binding)
        recording.show(last, f"logs[{name!r}]", logged, label="the last on_train_batch_end logs",
                       output=ctx.binding.output)
        return kept, logged, progress_bar_value(printed.getvalue(), name), name

    try:
        history, last_logs, bar, name = fit()
    except Exception as error:
        raise ctx.judge.library_error(f"{type(error).__name__}: {error}", example) from error
    observed = _judge(ctx, fed, example, lambda: history,
                      f"after model.fit(batch_size={fed.batch_size}, epochs=1), History.history[{name!r}][-1] is a "
                      "value that")
    _judge(ctx, fed, example, lambda: last_logs,
           f"in model.fit(batch_size={fed.batch_size}), the last on_train_batch_end logs hold a value that")
    shown, rounding = displayed(observed)
    if bar is None:
        raise Violation(f"the progress bar of model.fit(verbose=1) shows no value for {name!r}", example,
                        np.asarray(shown), np.asarray(np.nan), float("inf"), rounding)
    if np.size(observed) > 1:
        ctx.tally.notes.add(f"the progress bar shows the mean of the {np.size(observed)} values History holds "
                            f"for {name!r} (keras.utils.Progbar prints one number per name)")
    same_nan = np.isnan(bar) and np.isnan(shown)
    if not same_nan and not abs(bar - shown) <= rounding * 1.0001:
        raise Violation(f"the progress bar of model.fit(verbose=1) shows {name}: {bar} where History holds "
                        f"{np.asarray(observed).tolist()} (which the bar would print as {shown:.4g})", example,
                        np.asarray(shown), np.asarray(bar), abs(bar - shown), rounding)
    ctx.tally.count_error(0.0 if same_nan else abs(bar - shown), rounding)


# -- compile()'s string identifiers -------------------------------------------------------------------------------

def has_identifiers(spec: MetricSpec, adapter: Adapter, binding: Binding, profile: Profile | None) -> str | None:
    """compile_identifiers applies to the metrics a string identifier should resolve to (the table's rows)."""
    if not identifiers_for(spec.id):
        return ("no compile() string identifier is expected to resolve to this metric "
                "(conformance/catalogue/compile_identifiers.py)")
    return None


def resolved_metric(model: Any, identifier: str) -> str:
    """The class compile() made of ``identifier`` (a function's name where it wrapped one in MeanMetricWrapper)."""
    found = []
    for metric in model.metrics:
        found += getattr(metric, "metrics", [])  # compile's metrics sit inside CompileMetrics
    metric = next((m for m in found if m.name == identifier), found[0] if found else None)
    if metric is None:
        return "nothing"
    function = getattr(metric, "_fn", None)
    name = type(metric).__name__
    return f"{name}({function.__name__})" if name == "MeanMetricWrapper" and function is not None else name


def check_compile_identifiers(ctx: Context, data: st.DataObject) -> None:
    """Each string identifier a user passes to ``compile(metrics=[...])`` for this metric (the table in
    ``catalogue/compile_identifiers.py``, with the loss they compile with) resolves to the metric they expect: one
    evaluate() whose value must be the reference. What each resolved to is noted with the finding."""
    fed = _draw(ctx, data)
    explained: Explained | None = None
    for row in identifiers_for(ctx.subject.base_spec.id):
        try:
            _check_identifier(ctx, fed, row)
        except Explained as documented:  # a declared behaviour for this identifier: the other rows still run
            explained = explained or documented
    if explained is not None:
        raise explained


def _check_identifier(ctx: Context, fed: _Inputs, row: CompileIdentifier) -> None:
    shapes = f"an output {_shape(fed.x)} with y {_shape(fed.y)}"
    argument = "weighted_metrics" if fed.weighted else "metrics"
    example = Example([fed.whole], details={**fed.details("evaluate"), "compile": {
        argument: [row.identifier], "loss": row.loss}})
    resolved: list[str] = []

    def evaluate() -> np.ndarray:
        model = _identity_model(ctx, fed.chunks, fed.x.shape[1:], fed.weighted, identifier=row.identifier,
                                loss=row.loss)
        value = _evaluate(ctx, fed, model)
        resolved.append(resolved_metric(model, row.identifier))
        recording.code("print('compile() resolved it to', [type(m).__name__ for m in {0}.metrics[-1].metrics])",
                       model)
        return value

    value = ctx.run.guarded(example, evaluate, side=f"compile({argument}=[{row.identifier!r}])")
    words = f"{row.identifier!r} with {shapes} and loss {row.loss!r} resolved to {resolved[0]}"
    ctx.tally.notes.add(words)
    example.details["resolved_to"] = resolved[0]
    _judge(ctx, fed, example, lambda: value, f"{words}: its value (a user expects {ctx.subject.base_spec.id}: "
                                             f"{row.why})", diagnose=False)


def _shape(array: np.ndarray) -> str:
    return "(" + ", ".join(["n", *map(str, array.shape[1:])]) + ("," if array.ndim == 1 else "") + ")"
