"""The kinds of bad input, as data: where each is bad (by the spec's domain and the binding's and library's traits,
never by a metric's name), how it is injected into an ordinary example, how it is found again in batches that hold
it, and the readings by which a library may turn it into a number (each hides it). Light to import (NumPy only):
the catalogue's bad-input declarations use ``present`` as their trigger. The property is conformance/bad_inputs.py.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np

from conformance.data import Batch

if TYPE_CHECKING:
    from conformance.adapters import Adapter
    from conformance.catalogue.model import Binding, MetricSpec

FLOAT32_MAX = float(np.finfo(np.float32).max)


@dataclass(frozen=True)
class Injection:
    """Where a bad value sits: ``batch`` (index in the stream), ``sample`` (in the batch), ``element`` (flat index in
    the sample's row, 0 for a single value), and the value; for a length or shape mismatch, the batch and sample of
    the extra prediction or the extra column's index."""

    batch: int
    sample: int
    element: int
    value: Any

    def describe(self) -> dict[str, Any]:
        value = self.value
        text = (value if isinstance(value, str) else repr(value) if not isinstance(value, float) or math.isfinite(value)
                else ("nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")))
        return {"batch": self.batch, "sample": self.sample, "element": self.element, "value": text}


@dataclass(frozen=True)
class Reading:
    """A way to turn the bad value into a number: what the batches become read so (None where it does not apply).
    ``substitutes``: the reading puts a value in the bad one's place (NaN read as 0), rather than dropping the
    sample or an extra prediction (where several substitutes give one number, the value does not depend on the bad
    one)."""

    words: str
    read: Callable[[list[Batch], Injection], list[Batch] | None]
    substitutes: bool = True


@dataclass(frozen=True)
class BadInput:
    """One kind of bad input.

    ``applies(spec, binding, batch)``: None where the value is bad for this metric and library (else why not);
    ``inject(batches, sample, element, classes)``: the batches with the bad value at that place (None: no place);
    ``locate(batches, classes)``: where it is in batches that hold it (None: nowhere); ``readings``: the readings that
    hide it, the first the data without it; ``rule``: how a number is judged, and why. ``policy``: the parameter whose
    documented policy can give it a value; ``as_given``: the formula with the value as given is defined (a negative
    weight)."""

    name: str
    label: str  # the report table's column
    rule: str
    applies: Callable[[MetricSpec, Adapter, Binding, Batch], str | None]
    inject: Callable[[list[Batch], int, int, int], list[Batch] | None]
    locate: Callable[[list[Batch], int], Injection | None]
    readings: tuple[Reading, ...]
    policy: str | None = None
    as_given: bool = False
    reshapes: bool = False  # the arrays' shapes change (a compiled update would be traced anew: fed eagerly)


# -- where a kind applies (by the domain's and the binding's traits) --------------------------------------------

def _sees_predictions(binding: Binding) -> str | None:
    if binding.arguments == "values":
        return "the metric aggregates values (y_true): it has no predictions"
    if binding.y_pred != "scores":
        return f"the library is given labels derived from the scores ({binding.y_pred}), not the scores"
    return None


def _nan_prediction(spec: MetricSpec, adapter: Adapter, binding: Binding, batch: Batch) -> str | None:
    if spec.domain.predictions == "labels":
        return "the predictions are integer labels (no NaN)"
    return _sees_predictions(binding)


def _infinite_prediction(spec: MetricSpec, adapter: Adapter, binding: Binding, batch: Batch) -> str | None:
    if spec.domain.predictions == "scores":
        return "an infinite score is a valid one (an infinitely confident logit): the value is defined"
    if spec.domain.predictions == "probabilities":
        return "an infinite probability is a probability outside [0, 1] (that kind)"
    return _nan_prediction(spec, adapter, binding, batch)


def _float_target(spec: MetricSpec, adapter: Adapter, binding: Binding, batch: Batch) -> str | None:
    if spec.domain.targets not in ("real", "probabilities"):
        return f"the targets are {spec.domain.targets} (integers)"
    return None


def _infinite_target(spec: MetricSpec, adapter: Adapter, binding: Binding, batch: Batch) -> str | None:
    return None if spec.domain.targets == "real" else f"the targets are {spec.domain.targets}, not real values"


def classes_told(spec: MetricSpec, adapter: Adapter, binding: Binding) -> bool:
    """Whether the library knows the classes: it is given them, or scores (one per sample is a binary problem; a
    row of C scores, C classes), unless it takes the classes from the labels it sees (``Adapter.infers_classes``)."""
    scores = binding.y_pred == "scores" and spec.domain.predictions != "labels" and not adapter.infers_classes
    return adapter.given_classes(binding) or scores


def _label(spec: MetricSpec, adapter: Adapter, binding: Binding, batch: Batch) -> str | None:
    if spec.domain.targets not in ("classes", "multilabel"):
        return f"the targets are {spec.domain.targets}, not class labels"
    if binding.y_true != "labels":
        return "the library is given one-hot rows built from the labels, not the labels (see shape mismatch)"
    if not classes_told(spec, adapter, binding):
        return "the library is not told the classes: a label outside [0, C) is another class to it, not a bad one"
    return None


def _probability(spec: MetricSpec, adapter: Adapter, binding: Binding, batch: Batch) -> str | None:
    if spec.domain.predictions != "probabilities":
        return "the predictions are not probabilities"
    return _sees_predictions(binding)


def _length(spec: MetricSpec, adapter: Adapter, binding: Binding, batch: Batch) -> str | None:
    return "the metric takes one array of values" if binding.arguments == "values" else None


def _shape(spec: MetricSpec, adapter: Adapter, binding: Binding, batch: Batch) -> str | None:
    if batch.y_pred.ndim != 2 or binding.y_pred != "scores" or binding.arguments == "values":
        return "the predictions are not rows of scores the library sees"
    rows = batch.y_true.ndim == 2
    if not (rows or binding.y_true == "onehot" or adapter.given_classes(binding)):
        return "the library is not told the classes: a wider row of scores is a model with more classes"
    return None


def _weights(spec: MetricSpec, adapter: Adapter, binding: Binding, batch: Batch) -> str | None:
    return None if binding.weights else "the library takes no sample weights"


# -- injecting and locating -------------------------------------------------------------------------------------

def _place(batches: list[Batch], sample: int) -> tuple[int, int]:
    """The batch and the position in it of the stream's ``sample``-th sample (modulo the samples there are)."""
    sample %= sum(len(b) for b in batches)
    for index, batch in enumerate(batches):
        if sample < len(batch):
            return index, sample
        sample -= len(batch)
    raise AssertionError("unreachable: the sample index is reduced modulo the samples")


def _with_element(array: np.ndarray, sample: int, element: int, value: Any) -> tuple[np.ndarray, int]:
    """A copy of ``array`` with ``value`` at ``[sample]`` (its row's ``element``-th entry, modulo its size)."""
    out = array.copy()
    row = out[sample]
    if np.ndim(row) == 0:
        out[sample] = value
        return out, 0
    element %= row.size
    row.reshape(-1)[element] = value  # a view of ``out``'s row
    return out, element


def _replaced(batches: list[Batch], index: int, batch: Batch) -> list[Batch]:
    return [*batches[:index], batch, *batches[index + 1:]]


def _element_injector(side: str, value: float | str) -> Callable[[list[Batch], int, int, int], list[Batch] | None]:
    """Puts ``value`` (a number, or "C" / "-1" for a label) into one element of ``side`` (y_pred, y_true)."""
    def inject(batches: list[Batch], sample: int, element: int, classes: int) -> list[Batch] | None:
        index, position = _place(batches, sample)
        batch = batches[index]
        bad = classes if value == "C" else value
        array, _ = _with_element(getattr(batch, side), position, element, bad)
        weights = batch.sample_weight
        if weights is not None and weights[position] == 0:  # a sample of weight 0 counts for nothing: give it 1
            weights = weights.copy()
            weights[position] = 1
        return _replaced(batches, index, replace(batch, sample_weight=weights, **{side: array}))
    return inject


def _element_locator(side: str, test: Callable[[np.ndarray, int], np.ndarray]) -> Callable[..., Injection | None]:
    """The first element of ``side`` where ``test(values, classes)`` holds."""
    def locate(batches: list[Batch], classes: int) -> Injection | None:
        for index, batch in enumerate(batches):
            array = getattr(batch, side)
            if array is None or not np.issubdtype(array.dtype, np.number) or not len(array):
                continue
            hits = np.argwhere(test(array.reshape(len(array), -1), classes))
            if len(hits):
                sample, element = (int(v) for v in hits[0])
                return Injection(index, sample, element, array.reshape(len(array), -1)[sample, element].item())
        return None
    return locate


def _weight_injector(value: float) -> Callable[[list[Batch], int, int, int], list[Batch] | None]:
    def inject(batches: list[Batch], sample: int, element: int, classes: int) -> list[Batch] | None:
        index, position = _place(batches, sample)
        batch = batches[index]
        weights = batch.sample_weight if batch.sample_weight is not None else np.ones(len(batch), np.float32)
        weights = weights.copy()
        weights[position] = value
        return _replaced(batches, index, batch.with_weights(weights))
    return inject


def _longer_predictions(batches: list[Batch], sample: int, element: int, classes: int) -> list[Batch] | None:
    """One prediction more than targets in one batch (a copy of the prediction at the drawn sample)."""
    index, position = _place(batches, sample)
    batch = batches[index]
    return _replaced(batches, index, replace(batch, y_pred=np.concatenate([batch.y_pred,
                                                                          batch.y_pred[position:position + 1]])))


def _locate_length(batches: list[Batch], classes: int) -> Injection | None:
    for index, batch in enumerate(batches):
        if len(batch.y_pred) != len(batch.y_true):
            return Injection(index, len(batch.y_true), 0, f"{len(batch.y_pred)} predictions for "
                                                          f"{len(batch.y_true)} targets")
    return None


def _wider_predictions(batches: list[Batch], sample: int, element: int, classes: int) -> list[Batch] | None:
    """Every batch's rows of scores one column wider (a column of zeros: probability rows still sum to 1)."""
    return [replace(b, y_pred=np.concatenate([b.y_pred, np.zeros((len(b), 1), b.y_pred.dtype)], axis=1))
            for b in batches]


def _expected_width(batch: Batch) -> int | None:
    if batch.y_true.ndim == 2:
        return batch.y_true.shape[1]
    return batch.num_classes


def _locate_shape(batches: list[Batch], classes: int) -> Injection | None:
    for index, batch in enumerate(batches):
        width = _expected_width(batch)
        if batch.y_pred.ndim == 2 and width is not None and batch.y_pred.shape[1] != width:
            return Injection(index, 0, batch.y_pred.shape[1] - 1, f"rows of {batch.y_pred.shape[1]} scores for "
                                                                   f"{width} classes or columns")
    return None


# -- the readings that hide a bad value ---------------------------------------------------------------------------

def _drop_sample(batches: list[Batch], at: Injection) -> list[Batch] | None:
    batch = batches[at.batch]
    keep = np.arange(len(batch)) != at.sample
    if not keep.any() and len(batches) == 1:
        return None
    return _replaced(batches, at.batch, batch.take(keep))


def _drop_extra_prediction(batches: list[Batch], at: Injection) -> list[Batch] | None:
    batch = batches[at.batch]
    return _replaced(batches, at.batch, replace(batch, y_pred=batch.y_pred[:len(batch.y_true)]))


def _broadcast_target(batches: list[Batch], at: Injection) -> list[Batch] | None:
    """A single target broadcast against the batch's predictions (elementwise arithmetic on (1,) and (2,))."""
    batch = batches[at.batch]
    if len(batch.y_true) != 1:
        return None
    n = len(batch.y_pred)
    weights = None if batch.sample_weight is None else np.repeat(batch.sample_weight, n)
    return _replaced(batches, at.batch, replace(batch, y_true=np.repeat(batch.y_true, n, axis=0),
                                                sample_weight=weights))


def _drop_extra_column(batches: list[Batch], at: Injection) -> list[Batch] | None:
    return [replace(b, y_pred=b.y_pred[:, :-1]) if b.y_pred.ndim == 2 else b for b in batches]


def _set(side: str, value: float | Callable[[np.ndarray], float]) -> Callable[[list[Batch], Injection], list[Batch]]:
    """The bad element read as ``value`` (or ``value(the other elements of the array)``)."""
    def read(batches: list[Batch], at: Injection) -> list[Batch] | None:
        batch = batches[at.batch]
        array = getattr(batch, side)
        if callable(value):
            finite = array[np.isfinite(array)] if array.dtype.kind == "f" else array
            if not finite.size:
                return None
            number = value(finite)
        else:
            number = value
        if side == "sample_weight":
            weights = array.copy()
            weights[at.sample] = number
            return _replaced(batches, at.batch, batch.with_weights(weights))
        changed, _ = _with_element(array, at.sample, at.element, number)
        return _replaced(batches, at.batch, replace(batch, **{side: changed}))
    return read


def _renormalised(batches: list[Batch], at: Injection) -> list[Batch] | None:
    """The bad probability's row clipped into [0, 1] and divided by its sum (scikit-learn's log_loss normalises)."""
    batch = batches[at.batch]
    if batch.y_pred.ndim != 2:
        return None
    rows = np.clip(batch.y_pred.astype(np.float64), 0.0, 1.0)
    sums = rows.sum(axis=1, keepdims=True)
    rows = np.where(sums > 0, rows / np.where(sums > 0, sums, 1.0), rows)
    return _replaced(batches, at.batch, replace(batch, y_pred=rows.astype(batch.y_pred.dtype)))


def _classes_for(batches: list[Batch], at: Injection) -> int:
    return label_count(batches[at.batch])


def _as_class(c: int, but_last: bool = False) -> Callable[[list[Batch], Injection], list[Batch] | None]:
    """The bad label read as class ``c`` (None beyond the classes, or for the last one where it is named apart)."""
    def read(batches: list[Batch], at: Injection) -> list[Batch] | None:
        classes = _classes_for(batches, at)
        return _set("y_true", c)(batches, at) if c < classes - (1 if but_last else 0) else None
    return read


DROPPED = Reading("the sample dropped", _drop_sample, substitutes=False)
NAN_READINGS = (DROPPED, Reading("NaN read as 0", _set("y_pred", 0.0)), Reading("NaN read as 1", _set("y_pred", 1.0)),
                Reading("NaN read as the lowest score", _set("y_pred", -FLOAT32_MAX)),
                Reading("NaN read as the highest score", _set("y_pred", FLOAT32_MAX)))
TARGET_READINGS = (DROPPED, Reading("NaN read as 0", _set("y_true", 0.0)))


def _infinite_readings(side: str, sign: float) -> tuple[Reading, ...]:
    name = "+inf" if sign > 0 else "-inf"
    return (DROPPED, Reading(f"{name} read as 0", _set(side, 0.0)),
            Reading(f"{name} clipped to the largest float32", _set(side, sign * FLOAT32_MAX)))


INFINITE_READINGS = {side: {sign: _infinite_readings(side, sign) for sign in (1.0, -1.0)}
                     for side in ("y_pred", "y_true")}


def _as_class_counted(c: int, from_end: bool) -> Callable[[list[Batch], Injection], list[Batch] | None]:
    """The bad label read as class ``c`` (from the end: C - 1 - c, as a negative index reads -1)."""
    def read(batches: list[Batch], at: Injection) -> list[Batch] | None:
        classes = _classes_for(batches, at)
        return _as_class(classes - 1 - c if from_end else c)(batches, at) if c < classes else None
    return read


# A label -1 is first read as the last class (negative indexing), a label C first as class 0 (wrapped modulo C).
LABEL_READINGS = {
    "C": (DROPPED, Reading("the label wrapped to class 0", _as_class(0)),
          *(Reading(f"the label counted as class {c}", _as_class(c)) for c in range(1, 8))),
    "-1": (DROPPED, Reading("the label counted as the last class, C - 1 (negative indexing)",
                            _as_class_counted(0, True)),
           *(Reading(f"the label counted as class {c}", _as_class(c, but_last=True)) for c in range(8))),
}
PROBABILITY_READINGS = {
    "above": (DROPPED, Reading("the probability clipped to 1", _set("y_pred", 1.0)),
              Reading("its row renormalised", _renormalised, substitutes=False)),
    "below": (DROPPED, Reading("the probability clipped to 0", _set("y_pred", 0.0)),
              Reading("the probability read as |p|", _set("y_pred", 0.5)),
              Reading("its row renormalised", _renormalised, substitutes=False)),
}
WEIGHT_READINGS = (Reading("the weight read as 0 (the sample dropped)", _set("sample_weight", 0.0)),
                   Reading("the weight read as |w|", _set("sample_weight", 1.0)))
NAN_WEIGHT_READINGS = (Reading("the NaN weight read as 0 (the sample dropped)", _set("sample_weight", 0.0)),
                       Reading("the NaN weight read as 1", _set("sample_weight", 1.0)))

NO_NUMBER = ("{what} is no {thing}: the definition gives no number, so raising or NaN is right, and a number hides "
             "it (unless a documented policy gives one)")

NAN_PRED = BadInput(
    "NaN in y_pred", "NaN pred", NO_NUMBER.format(what="NaN", thing="score or prediction"), _nan_prediction,
    _element_injector("y_pred", float("nan")), _element_locator("y_pred", lambda a, c: np.isnan(a)), NAN_READINGS)
INF_PRED = BadInput(
    "+inf in y_pred", "+inf pred", "an infinite prediction makes a real-valued metric infinite or NaN (the reference "
    "rejects it): raising or NaN/inf is right, a finite number hides it",
    _infinite_prediction, _element_injector("y_pred", float("inf")),
    _element_locator("y_pred", lambda a, c: np.isposinf(a)), INFINITE_READINGS["y_pred"][1.0])
NEG_INF_PRED = replace(
    INF_PRED, name="-inf in y_pred", label="-inf pred", inject=_element_injector("y_pred", float("-inf")),
    locate=_element_locator("y_pred", lambda a, c: np.isneginf(a)), readings=INFINITE_READINGS["y_pred"][-1.0])
NAN_TRUE = BadInput(
    "NaN in y_true", "NaN true", NO_NUMBER.format(what="NaN", thing="target (or value)"), _float_target,
    _element_injector("y_true", float("nan")), _element_locator("y_true", lambda a, c: np.isnan(a)),
    TARGET_READINGS, policy="nan_strategy")
INF_TRUE = BadInput(
    "+inf in y_true", "+inf true", "an infinite target makes a real-valued metric infinite or NaN (the reference "
    "rejects it): raising or NaN/inf is right, a finite number hides it", _infinite_target,
    _element_injector("y_true", float("inf")), _element_locator("y_true", lambda a, c: np.isposinf(a)),
    INFINITE_READINGS["y_true"][1.0])
NEG_INF_TRUE = replace(
    INF_TRUE, name="-inf in y_true", label="-inf true", inject=_element_injector("y_true", float("-inf")),
    locate=_element_locator("y_true", lambda a, c: np.isneginf(a)), readings=INFINITE_READINGS["y_true"][-1.0])
LABEL_C = BadInput(
    "label C", "label C", "a label equal to the number of classes C names no class (labels are 0..C-1): no number "
    "is defined, so raising or NaN is right; a number hides it (counted as a class: wrapped to 0, or as another "
    "class), unless it is the ignore_index the metric was given, which must be ignored as documented", _label,
    _element_injector("y_true", "C"), _element_locator("y_true", lambda a, c: a == c), LABEL_READINGS["C"],
    policy="ignore_index")
LABEL_MINUS_ONE = replace(
    LABEL_C, name="label -1", label="label -1", rule="a label -1 names no class: no number is defined, so raising or "
    "NaN is right; a number hides it (counted as class C-1 by Python's negative indexing, or as another class), "
    "unless it is the ignore_index the metric was given, which must be ignored as documented",
    inject=_element_injector("y_true", -1), locate=_element_locator("y_true", lambda a, c: a < 0),
    readings=LABEL_READINGS["-1"])
PROBABILITY_ABOVE = BadInput(
    "probability > 1", "p > 1", "a probability above 1 is none: where the library takes probabilities no number is "
    "defined (raising or NaN is right); a number hides it (clipped, or the row renormalised) unless the library "
    "documents what it does (a clip into [eps, 1 - eps], logits)", _probability, _element_injector("y_pred", 1.5),
    _element_locator("y_pred", lambda a, c: a > 1), PROBABILITY_READINGS["above"])
PROBABILITY_BELOW = replace(
    PROBABILITY_ABOVE, name="probability < 0", label="p < 0", rule="a negative probability is none: " +
    PROBABILITY_ABOVE.rule.split(": ", 1)[1], inject=_element_injector("y_pred", -0.5),
    locate=_element_locator("y_pred", lambda a, c: a < 0), readings=PROBABILITY_READINGS["below"])
LENGTH = BadInput(
    "length mismatch", "lengths", "one prediction more than targets pairs no sample with it: no number is defined, "
    "so the library must raise (or give NaN); a number hides it (the extra prediction ignored, or broadcast: (1,) "
    "against (2,))", _length, _longer_predictions, _locate_length,
    (Reading("the extra prediction ignored", _drop_extra_prediction, substitutes=False),
     Reading("the single target broadcast against both predictions", _broadcast_target, substitutes=False)),
    reshapes=True)
SHAPE = BadInput(
    "shape mismatch", "shapes", "rows of C + 1 scores for C classes (or C columns of targets) pair no class with the "
    "last score: no number is defined, so raising or NaN is right; a number hides it (the extra column ignored)",
    _shape, _wider_predictions, _locate_shape,
    (Reading("the extra column ignored", _drop_extra_column, substitutes=False),), reshapes=True)
NEGATIVE_WEIGHT = BadInput(
    "weight < 0", "w < 0", "a negative weight counts a sample less than never: the weighted formula with the weight "
    "as given is a number that shows it (recorded, with the value a count or mean takes); raising or NaN is right "
    "too; reading it as 0 (the sample dropped) or as |w| hides it", _weights, _weight_injector(-1.0),
    _element_locator("sample_weight", lambda a, c: a < 0), WEIGHT_READINGS, as_given=True)
NAN_WEIGHT = BadInput(
    "NaN weight", "NaN w", NO_NUMBER.format(what="a NaN weight", thing="weight"), _weights, _weight_injector(np.nan),
    _element_locator("sample_weight", lambda a, c: np.isnan(a)), NAN_WEIGHT_READINGS, policy="nan_strategy")

KINDS: tuple[BadInput, ...] = (NAN_PRED, INF_PRED, NEG_INF_PRED, NAN_TRUE, INF_TRUE, NEG_INF_TRUE, LABEL_C,
                               LABEL_MINUS_ONE, PROBABILITY_ABOVE, PROBABILITY_BELOW, LENGTH, SHAPE, NEGATIVE_WEIGHT,
                               NAN_WEIGHT)


def by_name() -> dict[str, BadInput]:
    return {kind.name: kind for kind in KINDS}


def label_count(batch: Batch) -> int:
    """C for the label kinds: the batch's classes; 2 for binary targets and for each label of a 0/1 multilabel row."""
    if batch.num_classes is None:
        return 2
    multilabel = batch.y_true.ndim == 2 and batch.y_true.shape == batch.y_pred.shape and batch.y_pred.dtype.kind == "f"
    return 2 if multilabel else batch.num_classes


def present(name: str) -> Callable[[list[Batch]], bool]:
    """A declaration's trigger: the bad input ``name`` is in the batches (see ``catalogue/bad_inputs.py``)."""
    kind = by_name()[name]

    def holds(batches: list[Batch]) -> bool:
        return any(len(b) for b in batches) and kind.locate(batches, label_count(batches[0])) is not None
    holds.__name__ = f"holds {name}"
    return holds


