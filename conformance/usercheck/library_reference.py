"""A library's metric as the reference: "my metric should equal scikit-learn's".

``--reference sklearn.metrics:f1_score --reference-args '{"average": "macro"}'``, ``keras.metrics:AUC`` or a
torchmetrics class. The reference is computed on the whole data in one call (a stateful class: one new metric,
one update), from the canonical inputs presented as that library takes them: labels from thresholded or argmax'd
scores, one-hot targets, ``(preds, target)`` order. How to present them is taken from the catalogue where it binds
the same object (the binding the harness tests that library with); otherwise from the input kind, and for a
scikit-learn function, from whether it takes scores at all.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from conformance.catalogue import NUM_CLASSES, Binding, MetricSpec
from conformance.data import Batch
from conformance.failures import Undefined
from conformance.usercheck.loading import CheckUsageError, load_object, reason_of

# The import package a reference path starts with, and the library the harness knows it as.
REFERENCE_LIBRARIES = {"sklearn": "sklearn", "keras": "keras", "torchmetrics": "torchmetrics"}
# A torchmetrics task wrapper (torchmetrics.F1Score) takes its task by name.
TASKS = {"binary": "binary", "multiclass": "multiclass", "multiclass-onehot": "multiclass", "multilabel": "multilabel"}


def library_of(path: str) -> str | None:
    """The library a ``module:Name`` reference path names, or None (a user's own callable)."""
    return REFERENCE_LIBRARIES.get(path.partition(":")[0].split(".")[0])


@dataclass
class LibraryCall:
    """The library's metric on canonical ``(y_true, y_pred, sample_weight)``, as a reference function."""

    library: str
    binding: Binding
    params: Mapping[str, Any]  # what presenting needs (``threshold`` for thresholded labels)

    def __call__(self, y_true: np.ndarray, y_pred: np.ndarray, sample_weight: np.ndarray | None = None,
                 **_: Any) -> np.ndarray:
        from conformance.adapters import get_adapter

        num_classes = y_pred.shape[1] if y_pred.ndim == 2 else None
        batch = Batch(np.asarray(y_true), np.asarray(y_pred), sample_weight, num_classes)
        binding = self.binding if sample_weight is not None else replace(self.binding, weights=False)
        try:
            value = np.asarray(get_adapter(self.library).compute(binding, self.params, batch), np.float64)
        except Exception as error:  # the library's own word that its metric is undefined here (all weights 0...)
            reason = f"{self.binding.target} raises {type(error).__name__}: {reason_of(error)}"
            raise Undefined(reason) from error
        return value.reshape(()) if value.size == 1 else value  # Keras' per-class F1 of one class: its one value


@dataclass(frozen=True)
class LibraryReference:
    """What resolving a library reference gives: the call, whether it takes weights, and the catalogue's spec of
    the same metric where it has one (its arithmetic sets the tolerance)."""

    call: LibraryCall
    takes_weights: bool
    spec: MetricSpec | None
    kind: str | None
    result_dtype: str


def resolve_library_reference(path: str, args: Mapping[str, Any], kind: str | None) -> LibraryReference:
    """The library object ``path`` names, bound for ``kind`` (default: the catalogue's kind for it)."""
    from conformance.adapters import LibraryUnavailable, get_adapter

    library = library_of(path)
    if library is None:
        raise CheckUsageError(f"the reference {path} is not a metric of {', '.join(REFERENCE_LIBRARIES)}")
    adapter = get_adapter(library)
    try:
        adapter.versions()
    except LibraryUnavailable as error:
        raise CheckUsageError(f"the reference {path} needs {library}, which is not installed: {error}") from None
    obj = load_object(path, "reference")
    dotted = path.replace(":", ".")
    spec = _catalogued(library, obj, args, kind)
    if spec is not None:
        kind = kind or _kind_of(spec)
        # The catalogue's presentation (which inputs, in which form and order) with the library's own defaults and
        # the user's arguments: its other arguments align the library with the harness's reference (labels=range
        # for absent classes...), not what the user compares with.
        binding = spec.bindings[library]
        sized = {k: v for k, v in binding.init.items() if isinstance(v, str) and v == NUM_CLASSES}
        binding = replace(binding, target=dotted, init={**sized, **args})
        params = {k: v for k, v in spec.params.items() if k == "threshold"}
    else:
        if kind is None:
            raise CheckUsageError(f"give the input kind (--input / input=) for the reference {path}: one of "
                                  f"{', '.join(TASKS)}, regression")
        binding = _default_binding(library, obj, dotted, args, kind)
        params = {}
    params = {"threshold": args.get("threshold", 0.5), **params}
    call = LibraryCall(library, binding, params)
    if spec is None and library == "sklearn" and kind != "regression":
        call = _with_labels_if_scores_refused(call, kind)
    weights = binding.weights and _takes_sample_weight(obj)
    return LibraryReference(call, weights, spec, kind, adapter.result_dtype)


def traits_of(found: LibraryReference) -> Any:
    """The reference's arithmetic where the catalogue knows the metric (else None: the harness measures what it
    can, as for a user's callable)."""
    from conformance.usercheck.references import Traits

    spec = found.spec
    if spec is None:
        return None
    return Traits(found.kind or _kind_of(spec), spec.decomposition, spec.growth, spec.scale, ratio=spec.ratio,
                  both_classes=spec.domain.both_classes)


def _catalogued(library: str, obj: Any, args: Mapping[str, Any], kind: str | None) -> MetricSpec | None:
    """The catalogue spec binding ``obj`` in ``library`` for ``kind``, closest to ``args`` (fewest of its
    arguments that ``args`` do not repeat)."""
    from conformance.adapters.base import resolve
    from conformance.catalogue import CATALOGUE

    candidates = []
    for spec in CATALOGUE:
        binding = spec.bindings.get(library)
        if binding is None or (kind is not None and _kind_of(spec) != _canonical_kind(kind)):
            continue
        try:
            if resolve(binding.target) is not obj:
                continue
        except (ImportError, AttributeError):
            continue
        differing = sum(1 for k, v in binding.init.items() if k not in args or args[k] != v)
        candidates.append((differing, len(spec.variant), spec.id, spec))
    return min(candidates, key=lambda c: c[:3])[3] if candidates else None


def _canonical_kind(kind: str) -> str:
    return "multiclass" if kind == "multiclass-onehot" else kind


def _kind_of(spec: MetricSpec) -> str | None:
    name = spec.domain.name
    for kind in ("binary", "multiclass", "multilabel", "regression"):
        if name.startswith(kind):
            return kind
    return None


def _default_binding(library: str, obj: Any, dotted: str, args: Mapping[str, Any], kind: str) -> Binding:
    """How an uncatalogued metric of ``library`` takes ``kind``: its usual inputs, with the number of classes and
    the task filled in where its constructor asks for them."""
    init = dict(args)
    parameters = _parameters(obj)
    for name in ("num_classes", "num_labels"):
        if name in parameters and name not in init and kind != "binary":
            init[name] = NUM_CLASSES
    if "task" in parameters and "task" not in init and kind in TASKS:
        init["task"] = TASKS[kind]
    onehot = (library == "keras" and kind in ("multiclass", "multiclass-onehot")
              and not getattr(obj, "__name__", "").startswith("Sparse"))
    # Keras metrics take what fit() feeds them: (n, 1) columns for one value per sample.
    layout = ("column", "column") if library == "keras" and kind in ("binary", "regression") else ("flat", "flat")
    return Binding(dotted, init, y_true="onehot" if onehot else "labels", layout=layout)


def _with_labels_if_scores_refused(call: LibraryCall, kind: str) -> LibraryCall:
    """A scikit-learn classification function either takes scores (roc_auc_score) or labels (f1_score refuses
    "a mix of binary and continuous targets"): labels are the scores thresholded (one per sample) or argmax'd."""
    from conformance.usercheck.runner import _probe_batch

    probe = _probe_batch(_canonical_kind(kind), 3)
    try:
        call(probe.y_true, probe.y_pred)
        return call
    except Exception:
        labels = "above-threshold" if kind in ("binary", "multilabel") else "argmax"
        return replace(call, binding=replace(call.binding, y_pred=labels))


def _parameters(obj: Any) -> Mapping[str, inspect.Parameter]:
    try:
        return inspect.signature(obj).parameters
    except (TypeError, ValueError):
        return {}


def _takes_sample_weight(obj: Any) -> bool:
    """A function's ``sample_weight``; a class's in its update (``update_state`` / ``update``)."""
    if not inspect.isclass(obj):
        return "sample_weight" in _parameters(obj)
    update = getattr(obj, "update_state", None) or getattr(obj, "update", None)
    return update is not None and "sample_weight" in _parameters(update)
