"""What every adapter provides, and the input presentation they share."""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Callable, Hashable, Mapping
from typing import Any, Protocol, TypeVar

import numpy as np

from conformance import recording
from conformance.catalogue import CLASS_RANGE, GROUPED, NUM_CLASSES, Binding, Imported, Limited
from conformance.data import Batch
from conformance.dtypes import cast

T = TypeVar("T")


class LibraryUnavailable(RuntimeError):
    """The library is not installed (or fails to import)."""


class MetricInstance(Protocol):
    """A stateful metric object, seen through its library's API."""

    def update(self, batch: Batch) -> None: ...
    def result(self) -> np.ndarray: ...
    def reset(self) -> None: ...


def resolve(target: str) -> Any:
    """Import ``package.module.Name`` and return ``Name``."""
    module_name, _, attribute = target.rpartition(".")
    return getattr(importlib.import_module(module_name), attribute)


def resolve_init(binding: Binding, num_classes: int | None) -> dict[str, Any]:
    """The binding's keyword arguments with data-dependent placeholders filled in and imports resolved."""
    filled = {NUM_CLASSES: num_classes, CLASS_RANGE: list(range(num_classes or 0))}

    def fill(value: Any) -> Any:
        if isinstance(value, Imported):
            return resolve(value.path)
        if isinstance(value, Limited):
            return value.resolve(num_classes)
        return filled.get(value, value) if isinstance(value, str) else value
    return {k: fill(v) for k, v in binding.init.items()}


def init_source(binding: Binding, num_classes: int | None) -> str:
    """The binding's keyword arguments as source (placeholders filled in, an imported object by its path)."""
    filled = {NUM_CLASSES: num_classes, CLASS_RANGE: list(range(num_classes or 0))}

    def fill(value: Any) -> str:
        if isinstance(value, Imported):
            return value.path
        if isinstance(value, Limited):
            return repr(value.resolve(num_classes))
        return repr(filled.get(value, value) if isinstance(value, str) else value)
    return ", ".join(f"{k}={fill(v)}" for k, v in binding.init.items())


def imported_modules(binding: Binding) -> tuple[str, ...]:
    """The imports the binding's imported arguments need (``import keras`` for keras.losses.mean_absolute_error)."""
    return tuple(dict.fromkeys(f"import {v.path.split('.')[0]}" for v in binding.init.values()
                               if isinstance(v, Imported)))


def with_attributes(cls: type, attributes: Mapping[str, Any] | None) -> type:
    """``cls``, or a subclass of it with these class attributes (a torchmetrics class's full_state_update)."""
    if not attributes:
        return cls
    return type(cls.__name__, (cls,), {**attributes, "__module__": cls.__module__})


def in_library_order(binding: Binding, y_true: Any, y_pred: Any, *, predictions_first: bool = False) -> tuple:
    """The arrays in the order the library takes them (``(preds, target)`` for torchmetrics)."""
    if binding.arguments == "values":
        return (y_true,)
    pair = (y_pred, y_true) if predictions_first else (y_true, y_pred)
    return pair[::-1] if binding.arguments == "swapped" else pair


def present(binding: Binding, batch: Batch, params: Mapping[str, Any],
            layout: tuple[str, str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """``(y_true, y_pred, sample_weight)`` as NumPy arrays in the form the library expects (in the dtypes the
    binding's ``dtypes`` presents them in)."""
    y_true = batch.y_true
    if binding.y_true == "onehot":
        y_true = np.eye(batch.num_classes, dtype=np.float32)[y_true]
    elif binding.y_true == "log":  # log-probabilities (torchmetrics' log_prob=True): log 0 is -inf
        with np.errstate(divide="ignore"):
            y_true = np.log(y_true)
    if binding.label_dtype is not None and not (binding.dtypes is not None and binding.dtypes.y_true):
        y_true = y_true.astype(binding.label_dtype, copy=False)  # a view where the dtype is the same
    y_pred = batch.y_pred
    if binding.y_pred == "above-threshold":
        y_pred = (y_pred > params["threshold"]).astype(np.int64)
    elif binding.y_pred == "argmax":
        y_pred = np.argmax(y_pred, axis=1) if len(y_pred) else np.zeros(0, np.int64)
    elif binding.y_pred == "log":
        with np.errstate(divide="ignore"):
            y_pred = np.log(y_pred)
    elif binding.y_pred == "sorted-ids":  # each row's classes from the best down, equal scores by lower index
        y_pred = np.argsort(-y_pred, axis=1, kind="stable") if len(y_pred) else np.zeros(y_pred.shape, np.int64)
    weight = batch.sample_weight
    if binding.dtypes is not None:
        y_true, y_pred = cast(y_true, binding.dtypes.y_true), cast(y_pred, binding.dtypes.y_pred)
        weight = None if weight is None else cast(weight, binding.dtypes.weights)
    if binding.masks is not None:
        return _masks(binding.masks, y_true, y_pred, weight)
    true_layout, pred_layout, *weight_layout = layout or binding.layout
    if true_layout == EXTRA_AXIS:
        return _with_extra_axis(y_true), _with_extra_axis(y_pred), weight
    if true_layout == GROUPED:  # samples of X elements, classes last: (N, C, X) as torchmetrics reads them
        return _classes_second(y_true), _classes_second(y_pred), weight
    if weight is not None and weight_layout:  # (n,) as it is; (n, 1); or one number for the batch (its first)
        weight = weight[:, None] if weight_layout[0] == "column" else (
            np.float32(weight[0]) if weight_layout[0] == "scalar" and len(weight) else weight)
    return _shaped(y_true, true_layout), _shaped(y_pred, pred_layout), weight


def _masks(mode: str, y_true: np.ndarray, y_pred: np.ndarray,
           weight: np.ndarray | None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Label maps ``(n, ...)`` as they are (per-sample weights broadcast over each map), or flattened."""
    if weight is not None:
        weight = np.broadcast_to(weight.reshape((-1,) + (1,) * (y_true.ndim - 1)), y_true.shape).astype(weight.dtype)
    if mode == "flatten":
        y_true, y_pred = y_true.reshape(-1), y_pred.reshape(y_true.size, *y_pred.shape[y_true.ndim:])
        weight = None if weight is None else weight.reshape(-1)
    return y_true, y_pred, weight


EXTRA_AXIS = "extra-axis"  # a layout: the samples as (N, X) groups, as torchmetrics takes (N, C, X...) inputs


def _classes_second(array: np.ndarray) -> np.ndarray:
    """``(n, X, C)`` as ``(n, C, X)``; ``(n, X)`` as it is."""
    return np.ascontiguousarray(np.moveaxis(array, -1, 1)) if array.ndim == 3 else array


def extra_axis_size(n: int) -> int:
    """X of a batch of ``n`` samples presented as (N, X): 2 where ``n`` is even, else 1."""
    return 2 if n % 2 == 0 else 1


def _with_extra_axis(array: np.ndarray) -> np.ndarray:
    """Sample ``a * X + x`` at ``[a, ..., x]``: ``(n,)`` as ``(N, X)``; a row per sample ``(n, C)`` (class scores,
    or a multilabel row) as ``(N, C, X)``, the class (or label) axis second, as torchmetrics reads it."""
    size = extra_axis_size(len(array))
    grouped = array.reshape(len(array) // size, size, *array.shape[1:])
    return np.ascontiguousarray(np.moveaxis(grouped, 1, -1)) if array.ndim == 2 else grouped


def _shaped(array: np.ndarray, layout: str) -> np.ndarray:
    if array.ndim == 1 and layout == "column":
        return array[:, None]
    return array


def output_index(binding: Binding, shape: tuple[int, ...]) -> tuple | None:
    """The entry of a result of ``shape`` the binding picks. A Limited index (a drawn class id) is resolved with the
    length of the axis it indexes: the data's classes (counted from the end after an Ellipsis: one value per sample
    before it)."""
    output = binding.output
    if output is None:
        return None
    from_end = bool(output) and output[0] is Ellipsis

    def length(axis: int) -> int:
        return shape[axis - len(output) if from_end else axis]
    return tuple(i.resolve(length(axis)) if isinstance(i, Limited) else i for axis, i in enumerate(output))


def output_read(binding: Binding, value: np.ndarray, *, parts: bool = False) -> recording.Read:
    """How a snippet reads the binding's entry of ``value`` (the whole result, as float64) as the harness did."""
    return recording.Read(output_index(binding, np.shape(value)), parts=parts)


def select_output(value: Any, binding: Binding) -> np.ndarray:
    array = np.asarray(value, dtype=np.float64)
    index = output_index(binding, array.shape)
    return array if index is None else array[index]


def literal(array: np.ndarray | None) -> str:
    """Python source that rebuilds ``array`` exactly; float32 values in their shortest exact form
    (``0.49999997``, not ``0.4999999701976776``), infinities and NaN as ``np.inf`` / ``np.nan``."""
    if array is None:
        return "None"
    if array.dtype.name == "bfloat16":  # ml_dtypes' (NumPy has none): its values, exact in float32, cast to it
        return f"{literal(array.astype(np.float32))}.astype(ml_dtypes.bfloat16)"
    if array.size == 0:  # keeps the shape, e.g. an empty batch of class-score rows (0, 3)
        return f"np.zeros({array.shape}, dtype=np.{array.dtype})"
    return f"np.array({_source(np.asarray(array))}, dtype=np.{array.dtype})"


def _source(array: np.ndarray) -> str:
    if array.ndim > 0:
        return "[" + ", ".join(_source(row) for row in array) + "]"
    if array.dtype.kind != "f":
        return repr(array.item())
    if np.isnan(array):
        return "np.nan"
    if np.isinf(array):
        return "np.inf" if array > 0 else "-np.inf"
    return str(array[()]) if array.dtype != np.float64 else repr(float(array))


class Adapter(ABC):
    """A library under test."""

    name: str
    result_dtype: str  # the dtype the library computes and returns results in
    stateful: bool  # batches can be accumulated in a metric object
    # How sample weights may be presented besides (n,): "column" (n, 1), "scalar" (one number for a batch).
    weight_layouts: tuple[str, ...] = ()
    # Classification inputs may carry extra axes (N, C, X...) that the metric reduces as more samples.
    extra_axes: bool = False
    # Whether a value where the reference is undefined is judged: a library's is (its convention there is declared,
    # or it is a finding); a user's metric is not (no convention to hold it to: see properties.Undefined).
    judges_undefined: bool = True
    # The library takes the classes from the labels it sees (scikit-learn's unique_labels) unless it is given them
    # (labels=): a label outside [0, C) is then one more class to it, not a bad label (see conformance/bad_inputs.py).
    infers_classes: bool = False
    # Users' code: checks also try the code paths a class does not choose (forward() with full_state_update both
    # ways); a library's metric is checked as it ships.
    user_code: bool = False
    # The dtypes the library documents taking as data (input_dtypes presents others too: a rejection of one outside
    # these is a note, inside them a finding): real values (scores, real targets, weights) and labels (class targets,
    # predicted labels).
    float_dtypes: tuple[str, ...] = ("float32",)
    label_dtypes: tuple[str, ...] = ("int64",)
    # Keras' global dtype policies a metric is documented to work under (mixed_float16); none elsewhere.
    dtype_policies: tuple[str, ...] = ()

    def computes_in(self, binding: Binding) -> str:
        """The float dtype the library documents computing in for ``binding``'s presentation, whose tolerance judges
        its value: the dtype the metric was set to compute in, else its presented real values' (a library follows
        its inputs' dtype), else ``result_dtype``. A library that computes in a narrower one shows wrong values."""
        presented = binding.dtypes
        if presented is None:
            return self.result_dtype
        return presented.compute or presented.real_dtype or self.result_dtype

    def sets_compute_dtype(self, binding: Binding) -> bool:
        """Whether the metric can be set to compute in float64 (``Presented.compute``), as its library documents."""
        return False

    def documents(self, binding: Binding) -> bool:
        """Whether the library documents taking every array of ``binding``'s presentation in its dtype (and its
        policy)."""
        presented = binding.dtypes
        if presented is None:
            return True
        accepted = self.label_dtypes if presented.labels else self.float_dtypes
        return all(dtype is None or dtype in accepted for dtype in (presented.y_true, presented.y_pred,
                                                                    presented.weights)) and (
            presented.policy is None or presented.policy in self.dtype_policies)

    @property
    def target_kind(self) -> str:
        """What a property applies to (see Property.targets): the library's name ("user keras" etc. for users')."""
        return self.name

    @property
    def cache(self) -> dict[str, Any]:
        """What properties keep across examples and cases (compiled models, measurements): a library's adapter is
        one per process, so a model compiled for one example serves the next and the next case's; a user's lives as
        long as its check (``close`` clears it)."""
        return self.__dict__.setdefault("_cache", {})

    def cached(self, kind: str, key: Hashable, build: Callable[[], T], *, scope: Hashable = None) -> T:
        """``build()``'s value, kept under ``kind`` and ``key``. Entries of ``kind`` kept for another ``scope`` (a
        metric spec) are dropped first: one metric's objects at a time, as the engine's metric pool is."""
        store = self.cache.setdefault(kind, {})
        if store.get("scope", scope) != scope:
            store.clear()
        store["scope"] = scope
        entries = store.setdefault("entries", {})
        if key not in entries:
            entries[key] = build()
        return entries[key]

    def close(self) -> None:
        """Drop what the properties kept (compiled models)."""
        self.cache.clear()

    def training_layouts(self, binding: Binding) -> set[tuple[str, str]] | None:
        """The (y_true, y_pred) layouts a working training loop feeds this target, where only those are judged by
        shape_conventions (others are notes); None: every layout the library takes is judged."""
        return None

    def given_classes(self, binding: Binding) -> bool:
        """Whether the metric is given the number of classes (or the labels) as an argument: a label outside them,
        or a row of scores wider than them, is then a bad input (see conformance/bad_input_kinds.py)."""
        return (any(isinstance(value, str) and value in (NUM_CLASSES, CLASS_RANGE) for value in binding.init.values())
                or any(key in binding.init for key in ("num_classes", "num_labels", "labels")))

    def execution_modes(self) -> tuple[str, ...]:
        """How this library can run a metric's updates (e.g. eagerly, compiled); the last is the default."""
        return ("eager",)

    @abstractmethod
    def versions(self) -> dict[str, str]:
        """Versions of the library and what it runs on; raises LibraryUnavailable if missing."""

    @abstractmethod
    def create(self, binding: Binding, params: Mapping[str, Any], num_classes: int | None,
               layout: tuple[str, str] | None = None, mode: str | None = None) -> MetricInstance:
        """A new stateful metric (stateful libraries only), updating in ``mode`` (default: the default mode)."""

    # -- the metric object itself, for properties that drive its own API (forward, merge_state, get_config...) --
    def metric_class(self, binding: Binding) -> Any:
        """The class of the metric object ``binding`` names."""
        return resolve(binding.target)

    def init_arguments(self, binding: Binding, num_classes: int | None) -> dict[str, Any]:
        """The constructor's keyword arguments for data with ``num_classes`` classes."""
        return resolve_init(binding, num_classes)

    def new_object(self, binding: Binding, num_classes: int | None,
                   attributes: Mapping[str, Any] | None = None) -> Any:
        """A new metric object of the library's own API (not wrapped), recorded as it is made; ``attributes``: class
        attributes to override (a subclass with them)."""
        cls = with_attributes(self.metric_class(binding), attributes)
        arguments = self.init_arguments(binding, num_classes)
        template, imports = self.source(binding, num_classes, attributes)
        return recording.make(lambda: cls(**arguments), template, imports=imports)

    def source(self, binding: Binding, num_classes: int | None,
               attributes: Mapping[str, Any] | None = None) -> tuple[str, tuple[str, ...]]:
        """How a script makes the metric object: its constructor's source and the imports it needs."""
        module, _, name = binding.target.rpartition(".")
        cls = f"type({name!r}, ({name},), {dict(attributes)!r})" if attributes else name
        return f"{cls}({init_source(binding, num_classes)})", (f"from {module} import {name}",
                                                                *imported_modules(binding))

    def state_dtypes(self, binding: Binding, num_classes: int | None) -> tuple[str, ...] | None:
        """The dtypes of a new metric object's state ("list" for a state that keeps every sample); None where they
        are not known before the first update."""
        return None

    def compile_argument(self, binding: Binding, num_classes: int | None) -> Any:
        """What a user gives Keras' compile(metrics=[...]) for this metric: a new metric object."""
        return self.new_object(binding, num_classes)

    def wrap(self, metric: Any, binding: Binding, params: Mapping[str, Any],
             layout: tuple[str, str] | None = None) -> MetricInstance:
        """``metric`` (a library object) seen as a MetricInstance, updating eagerly."""
        raise NotImplementedError(f"{self.name} metrics are not objects to wrap")

    def importable(self, binding: Binding) -> str | None:
        """``package.module:Name`` of the metric's class, as another process imports it (None: it cannot)."""
        module, _, name = binding.target.rpartition(".")
        return f"{module}:{name}"

    def compute(self, binding: Binding, params: Mapping[str, Any], batch: Batch,
                layout: tuple[str, str] | None = None) -> np.ndarray:
        """The metric on ``batch`` in one call, as a stateless user would compute it."""
        metric = self.create(binding, params, batch.num_classes, layout)
        metric.update(batch)
        return metric.result()

    def backend(self) -> str | None:
        """The compute backend, for a library that runs on several (Keras: tensorflow, jax, torch)."""
        return None

    def curve(self, binding: Binding, params: Mapping[str, Any], batches: list[Batch]) -> dict[str, list] | None:
        """The curve (``{"x": [...], "y": [...]}``) an AUC metric integrated after ``batches``, where the
        library exposes it; None otherwise."""
        return None
