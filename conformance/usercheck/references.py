"""What the user's metric should equal: a built-in reference by name, or the user's NumPy callable.

A built-in reference is a function of the ``reference`` package (``conformance list`` shows them);
it takes the canonical inputs (integer labels, score rows). A library's metric (``sklearn.metrics:f1_score``)
takes them as that library does (see ``library_reference``). A user's callable
``fn(y_true, y_pred, sample_weight=None) -> float | array`` receives the arrays exactly as the target
does (one-hot targets for ``multiclass-onehot``). Without a ``sample_weight`` parameter the weighted
properties are skipped.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from conformance import tolerance as tol
from conformance.catalogue import Decomposition
from conformance.usercheck.library_reference import library_of, resolve_library_reference, traits_of
from conformance.usercheck.loading import CheckUsageError, load_callable


@dataclass(frozen=True)
class Traits:
    """What the harness knows of a built-in reference: its default input kind and its arithmetic."""

    kind: str
    decomposition: Decomposition
    growth: float
    scale: float
    ratio: bool = True
    both_classes: bool = False  # a ranking metric: undefined unless both classes occur
    needs_spread: bool = False  # undefined on constant targets (R², correlations): their variance is a denominator


_COUNT = Traits("binary", "sum", tol.SUM, 0.0, ratio=False)
BUILTIN_TRAITS: dict[str, Traits] = {
    "binary_accuracy": Traits("binary", "mean", tol.RATIO, 1.0),
    "categorical_accuracy": Traits("multiclass", "mean", tol.RATIO, 1.0),
    "top_k_accuracy": Traits("multiclass", "mean", tol.RATIO, 1.0),
    "true_positives": _COUNT, "false_positives": _COUNT, "true_negatives": _COUNT, "false_negatives": _COUNT,
    "binary_confusion_counts": _COUNT,
    "precision": Traits("binary", "none", tol.RATIO, 1.0),
    "recall": Traits("binary", "none", tol.RATIO, 1.0),
    "f1_score": Traits("multiclass", "none", tol.F_SCORE, 1.0),
    "class_precision": Traits("multiclass", "none", tol.F_SCORE, 1.0),
    "class_recall": Traits("multiclass", "none", tol.F_SCORE, 1.0),
    "class_specificity": Traits("multiclass", "none", tol.F_SCORE, 1.0),
    "fbeta_score": Traits("multiclass", "none", tol.F_SCORE, 1.0),
    "roc_auc": Traits("binary", "none", tol.CURVE, 1.0, both_classes=True),
    "average_precision": Traits("binary", "none", tol.CURVE, 1.0, both_classes=True),
    "bucketed_auc": Traits("binary", "none", tol.CURVE, 1.0, both_classes=True),
    "mean_squared_error": Traits("regression", "mean", tol.RATIO, 0.0),
    "mean_absolute_error": Traits("regression", "mean", tol.RATIO, 0.0),
    "root_mean_squared_error": Traits("regression", "none", tol.ROOT, 0.0),
    "r2_score": Traits("regression", "none", tol.R2, 1.0, needs_spread=True),
    "explained_variance_score": Traits("regression", "none", tol.R2, 1.0, needs_spread=True),
    "pearson_corrcoef": Traits("regression", "none", tol.CORRELATION, 1.0, needs_spread=True),
    "concordance_corrcoef": Traits("regression", "none", tol.CORRELATION, 1.0, needs_spread=True),
    "spearman_corrcoef": Traits("regression", "none", tol.CORRELATION, 1.0, ratio=False, needs_spread=True),
}
NOT_SCORES = {"accuracy": "it compares two label arrays; use binary_accuracy or categorical_accuracy"}


def builtin_names() -> list[str]:
    from conformance import reference

    return sorted(reference.__all__)


@dataclass
class Reference:
    """The reference function as the harness calls it, and what is known of it."""

    name: str
    function: Callable[..., Any]  # (y_true, y_pred, *, sample_weight=None, **args) on what it receives
    builtin: bool
    takes_weights: bool
    args: Mapping[str, Any] = field(default_factory=dict)
    traits: Traits | None = None
    # A reference computed in float32 (a library's metric) carries float32 rounding itself: the tolerance covers
    # both sides' (its growth this many times).
    rounding: float = 1.0
    kind: str | None = None  # the input kind it is for, where it says (a library's metric the catalogue binds)
    library: str | None = None  # the library whose metric it is


def resolve_reference(reference: str | Callable[..., Any], args: Mapping[str, Any] | None,
                      kind: str | None = None) -> Reference:
    """A built-in by name, a library's metric (``sklearn.metrics:f1_score``, ``keras.metrics:AUC``, a torchmetrics
    class), a ``file.py:fn`` / ``module:fn`` path, or a callable. ``kind``: the input kind, where given."""
    args = dict(args or {})
    if isinstance(reference, str) and library_of(reference):
        found = resolve_library_reference(reference, args, kind)
        return Reference(reference, found.call, True, found.takes_weights, {}, traits_of(found),
                         rounding=1.0 if found.result_dtype == "float64" else 2.0, kind=found.kind,
                         library=found.call.library)
    if isinstance(reference, str) and ":" not in reference:
        from conformance import reference as builtins

        if reference in NOT_SCORES:
            raise CheckUsageError(f"reference {reference!r} cannot be a check's reference: {NOT_SCORES[reference]}")
        if reference not in builtins.__all__:
            raise CheckUsageError(f"unknown reference {reference!r}; built-in references: "
                                  f"{', '.join(n for n in builtin_names() if n not in NOT_SCORES)} "
                                  "(or give path/to/file.py:fn or module:fn)")
        function = _ignoring(getattr(builtins, reference), args)
        _check_arguments(function, args, reference)
        return Reference(reference, function, True, True, args, BUILTIN_TRAITS.get(reference))
    function = load_callable(reference, "reference")
    name = reference if isinstance(reference, str) else getattr(function, "__qualname__", repr(function))
    _check_arguments(function, args, name)
    return Reference(name, function, False, _takes_sample_weight(function), args)


def _ignoring(function: Callable[..., Any], args: Mapping[str, Any]) -> Callable[..., Any]:
    """A built-in reference given an ignored label it does not take itself (``ignore_index``, ``ignore_class``): the
    samples with that target dropped first, as the catalogue's specs draw it."""
    from conformance.catalogue.library_wide import ignoring_target

    parameters = inspect.signature(function).parameters
    for keyword in ("ignore_index", "ignore_class"):
        if keyword in args and keyword not in parameters:
            function = ignoring_target(function, keyword)
    return function


def _takes_sample_weight(function: Callable[..., Any]) -> bool:
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):
        return False
    return "sample_weight" in parameters or any(p.kind is p.VAR_KEYWORD for p in parameters.values())


def _check_arguments(function: Callable[..., Any], args: Mapping[str, Any], name: str) -> None:
    try:  # the function's own signature (a wrapper that takes an ignored label does not have its wrapped one's)
        parameters = inspect.signature(function, follow_wrapped=False).parameters
    except (TypeError, ValueError):
        return
    if any(p.kind is p.VAR_KEYWORD for p in parameters.values()):
        return
    unknown = [k for k in args if k not in parameters]
    if unknown:
        raise CheckUsageError(f"reference {name} takes no argument {', '.join(map(repr, unknown))}; "
                              f"it takes: {', '.join(p for p in parameters if p not in ('y_true', 'y_pred'))}")


def measured_ratio(call: Callable[[np.ndarray | None], Any], n: int) -> bool:
    """Whether scaling every weight leaves the reference unchanged (a ratio) or scales it (a sum)."""
    weights = np.linspace(1.0, 2.0, n).astype(np.float32)
    base, scaled = np.asarray(call(weights), np.float64), np.asarray(call(4 * weights), np.float64)
    return not np.allclose(scaled, 4 * base) or np.allclose(base, 0)
