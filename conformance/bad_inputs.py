"""Bad inputs: what a metric does with values its definition has no number for, and the property that records it.

Each kind of bad input is data (:class:`BadInput`): where it is bad (by the spec's domain and the binding's traits,
never by a metric's name), how it is injected into an ordinary drawn example, how it is found again in a stream
(a reduced or replayed example holds it already), the *readings* by which a library may turn it into a number, and
the rule it is judged by. The property feeds the example to the library (a stream of batches, or one call) and
classifies what it does: it **raises** (the exception's type and first line), **returns NaN or an infinity**, or
**returns a number**. Raising and NaN are acceptable, and recorded. A finite number is judged:

- where the definition gives no number (NaN, a label outside ``[0, C)``, a probability outside ``[0, 1]``, lengths or
  shapes that do not pair, a NaN weight), a number **hides** the bad input: ``fail``, unless a declaration of the
  library scoped to that kind (``properties=("bad_inputs",)``, its trigger the kind's presence: see
  ``catalogue/bad_inputs.py``) documents the number, example by example. The reading that reproduces it (the sample
  dropped, NaN read as 0, label -1 counted as class C - 1, ...) is named in the message.
- where a documented policy of the metric gives a value (torchmetrics' ``ignore_index`` equal to the injected label,
  its aggregations' ``nan_strategy``), the value must be that policy's (the reference computes each policy as the
  docs state it); a policy that documents an error (``nan_strategy="error"``) must raise.
- a negative weight has the weighted formula with the weight *as given* (the reference's, its check of the sign
  lifted: ``reference.weights_as_given``): that number shows the bad weight in the value and is recorded; the
  weight read as 0 (the sample dropped) or as ``|w|`` hides it.

Each example tries every kind that applies (one library stream each), so even a smoke run of one example covers
all; the failure raised is the first failing kind from a drawn position, so that each kind's failure is found and
shrunk apart (``BadInputViolation.kind`` names the kind). What each kind did, the worst over the examples, is kept in
``Tally.behaviours`` and reported per finding (``Finding.behaviours``; the report's table of bad inputs).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from hypothesis import strategies as st

from conformance.adapters import Adapter
from conformance.catalogue import CLASS_RANGE, NUM_CLASSES, Binding, MetricSpec
from conformance.context import Context
from conformance.data import Batch, Example, concatenate
from conformance.failures import Explained, LibraryError, Observation, Undefined, Violation
from conformance.reference import RaisesByPolicy, weights_as_given
from conformance.tolerance import compare

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
    """A way to turn the bad value into a number: what the batches become read so (None where it does not apply)."""

    words: str
    read: Callable[[list[Batch], Injection], list[Batch] | None]


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


def told_by_arguments(binding: Binding) -> bool:
    """Whether the library is given the classes as an argument (``num_classes``, ``num_labels``, ``labels``)."""
    return (any(isinstance(value, str) and value in (NUM_CLASSES, CLASS_RANGE) for value in binding.init.values())
            or any(key in binding.init for key in ("num_classes", "num_labels", "labels")))


def classes_told(spec: MetricSpec, adapter: Adapter, binding: Binding) -> bool:
    """Whether the library knows the classes: it is given them, or scores (one per sample is a binary problem; a
    row of C scores, C classes), unless it takes the classes from the labels it sees (``Adapter.infers_classes``)."""
    scores = binding.y_pred == "scores" and spec.domain.predictions != "labels" and not adapter.infers_classes
    return told_by_arguments(binding) or scores


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
    if not (rows or binding.y_true == "onehot" or told_by_arguments(binding)):
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
        return _replaced(batches, index, replace(batch, **{side: array}))
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


def _as_class(c: int) -> Callable[[list[Batch], Injection], list[Batch] | None]:
    def read(batches: list[Batch], at: Injection) -> list[Batch] | None:
        return _set("y_true", c)(batches, at) if c < _classes_for(batches, at) else None
    return read


DROPPED = Reading("the sample dropped", _drop_sample)
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
LABEL_READINGS = (DROPPED, *(Reading(f"the label counted as class {c}", _as_class(c)) for c in range(8)))
PROBABILITY_READINGS = {
    "above": (DROPPED, Reading("the probability clipped to 1", _set("y_pred", 1.0)),
              Reading("its row renormalised", _renormalised)),
    "below": (DROPPED, Reading("the probability clipped to 0", _set("y_pred", 0.0)),
              Reading("the probability read as |p|", _set("y_pred", 0.5)),
              Reading("its row renormalised", _renormalised)),
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
    _element_injector("y_true", "C"), _element_locator("y_true", lambda a, c: a == c), LABEL_READINGS,
    policy="ignore_index")
LABEL_MINUS_ONE = replace(
    LABEL_C, name="label -1", label="label -1", rule="a label -1 names no class: no number is defined, so raising or "
    "NaN is right; a number hides it (counted as class C-1 by Python's negative indexing, or as another class), "
    "unless it is the ignore_index the metric was given, which must be ignored as documented",
    inject=_element_injector("y_true", -1), locate=_element_locator("y_true", lambda a, c: a < 0))
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
    (Reading("the extra prediction ignored", _drop_extra_prediction),
     Reading("the single target broadcast against both predictions", _broadcast_target)))
SHAPE = BadInput(
    "shape mismatch", "shapes", "rows of C + 1 scores for C classes (or C columns of targets) pair no class with the "
    "last score: no number is defined, so raising or NaN is right; a number hides it (the extra column ignored)",
    _shape, _wider_predictions, _locate_shape, (Reading("the extra column ignored", _drop_extra_column),))
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


# -- the policies that give a bad value a number ------------------------------------------------------------------

def _policy_defines(kind: BadInput, parameters: dict[str, Any], at: Injection) -> bool:
    """Whether the drawn value of the kind's policy parameter gives this bad value a number to check: an
    ignore_index equal to the injected label; any nan_strategy (the reference computes each as documented)."""
    if kind.policy is None or kind.policy not in parameters:
        return False
    value = parameters[kind.policy]
    if kind.policy == "ignore_index":
        return value is not None and value == at.value
    return True


def policy_words(kind: BadInput, parameters: dict[str, Any]) -> str:
    return f"{kind.policy}={parameters[kind.policy]!r}"


# -- the property ------------------------------------------------------------------------------------------------

class BadInputViolation(Violation):
    """A bad input's number that hides it, or that its documented policy does not give: distinct per kind (so that
    Hypothesis finds and shrinks each kind's failure apart)."""

    def __init__(self, message: str, example: Example, observed: np.ndarray, bad_input: str, how: str,
                 expected: np.ndarray | None = None, abs_error: float = math.nan, tolerance: float = 0.0):
        nan = np.asarray(np.nan)
        super().__init__(message, example, nan if expected is None else expected, observed, abs_error, tolerance)
        self.bad_input, self.how = bad_input, how

    @property
    def kind(self) -> str:
        return f"{self.how} ({self.bad_input})"


class BadInputError(LibraryError):
    """The library raised where the documented policy gives a value."""

    def __init__(self, message: str, example: Example, bad_input: str):
        super().__init__(message, example)
        self.bad_input = bad_input

    @property
    def kind(self) -> str:
        return f"raises where its policy gives a value ({self.bad_input})"


@dataclass
class Judged:
    """What one kind did on one example: the behaviour's words, and the failure to raise (if any)."""

    behaviour: str | None  # None: not attributable to the bad input (the clean data does the same)
    failure: Exception | None = None


def number(value: np.ndarray) -> str:
    array = np.asarray(value, np.float64)
    if array.ndim == 0:
        return f"{float(array):.6g}"
    shown = ", ".join(f"{v:.4g}" for v in array.ravel()[:4])
    return f"[{shown}{', ...' if array.size > 4 else ''}]"


def nonfinite_words(value: np.ndarray) -> str | None:
    array = np.asarray(value, np.float64)
    if np.isnan(array).any():
        return "returns NaN"
    if np.isinf(array).any():
        return "returns inf" if (array[np.isinf(array)] > 0).all() else "returns -inf"
    return None


def first_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    line = text[0] if text else ""
    return line if len(line) <= 140 else line[:137] + "..."


def feed(ctx: Context, batches: list[Batch]) -> np.ndarray:
    """The library's value on ``batches``: a stream of one update each (stateful), or one call; raises what the
    library raises (a pooled metric whose update raised is not reused)."""
    if not ctx.adapter.stateful:
        return np.asarray(ctx.run.compute(concatenate(batches)), np.float64)
    metric = ctx.run.new_metric(batches)
    try:
        for batch in batches:
            metric.update(batch)
        return np.asarray(metric.result(), np.float64)
    except Exception:
        ctx.run.discard(metric)
        raise


class CleanOutcome:
    """What the library does on the example without the bad value, asked once per parameters and only where needed:
    an error or a NaN it gives there too is not the bad input's doing."""

    def __init__(self, ctx: Context, batches: list[Batch]):
        self.ctx, self.batches, self.seen = ctx, batches, {}

    def __call__(self, batches: list[Batch] | None = None) -> str:
        """``raises``, ``nonfinite`` or ``finite`` on the clean batches (or on ``batches``, a reduced example's)."""
        key = tuple(sorted((k, repr(v)) for k, v in self.ctx.subject.parameters.items())) if batches is None else None
        if key is not None and key in self.seen:
            return self.seen[key]
        try:
            value = feed(self.ctx, batches if batches is not None else self.batches)
            outcome = "finite" if np.isfinite(value).all() else "nonfinite"
        except Exception:
            outcome = "raises"
        if key is not None:
            self.seen[key] = outcome
        return outcome


def _reference(ctx: Context, batches: list[Batch]) -> np.ndarray:
    return ctx.spec.reference_value(concatenate(batches))


def _expectation(ctx: Context, kind: BadInput, batches: list[Batch], at: Injection) -> tuple[str, Any]:
    """``("policy", value)`` where a documented policy gives the value, ``("raises", words)`` where it documents an
    error, ``("as given", value)`` for the weighted formula with the weight as given, else ``("none", None)``."""
    parameters = ctx.subject.parameters
    if _policy_defines(kind, parameters, at):
        try:
            value = _reference(ctx, batches)
        except RaisesByPolicy:
            return "raises", policy_words(kind, parameters)
        except (ValueError, ZeroDivisionError, IndexError):
            return "none", None
        return ("policy", value) if np.isfinite(value).all() else ("none", None)
    if kind.as_given:
        try:
            with weights_as_given():
                value = _reference(ctx, batches)
        except (ValueError, ZeroDivisionError, IndexError):
            return "none", None
        return ("as given", value) if np.isfinite(value).all() else ("none", None)
    return "none", None


def _hiding_reading(ctx: Context, kind: BadInput, value: np.ndarray, batches: list[Batch],
                    at: Injection) -> str | None:
    """The first reading of the bad value whose reference value equals ``value`` (what the library made of it)."""
    for reading in kind.readings:
        read = reading.read(batches, at)
        if read is None or not any(len(b) for b in read):
            continue
        try:
            expected = _reference(ctx, read)
        except (ValueError, ZeroDivisionError, IndexError, TypeError):
            continue
        if np.shape(expected) == np.shape(value) and compare(value, expected, ctx.judge.tolerance(read))[0]:
            return reading.words
    return None


def _documented(ctx: Context, kind: BadInput, value: np.ndarray, batches: list[Batch],
                example: Example) -> Observation | None:
    """A declaration of the library scoped to bad inputs (its trigger the kind's presence) whose convention gives
    ``value`` on ``batches``; only those explain a number where the definition has none."""
    tolerance = ctx.judge.tolerance(batches)
    for known in ctx.judge.known_differences():
        if "bad_inputs" not in known.properties or not known.explains_values:
            continue
        try:
            follows = ctx.judge.follows(known, value, batches, tolerance)
        except (ValueError, ZeroDivisionError, IndexError, TypeError):
            follows = False
        if follows:
            return Observation(known, example, np.asarray(np.nan), value, math.nan, tolerance.bound(np.asarray(0.0)))
    return None


def judge_kind(ctx: Context, kind: BadInput, batches: list[Batch], at: Injection, example: Example,
               clean: Callable[[], str]) -> Judged:
    """Feed ``batches`` (holding the bad value at ``at``) and classify what the library does (see the module)."""
    expectation, expected = _expectation(ctx, kind, batches, at)
    try:
        value = feed(ctx, batches)
    except Exception as error:  # any library exception is a behaviour to record
        raised = f"raises {type(error).__name__}: {first_line(error)}"
        if expectation == "policy":
            return Judged(f"wrong: {raised}, where {policy_words(kind, ctx.subject.parameters)} gives "
                          f"{number(expected)}", BadInputError(
                              f"{kind.name}: {raised}, where its documented policy "
                              f"{policy_words(kind, ctx.subject.parameters)} gives {number(expected)}", example,
                              kind.name))
        return Judged(None if clean() == "raises" else raised)
    words = number(value)
    if expectation == "raises":
        return Judged(f"wrong: returns {words}, where {expected} documents an error", BadInputViolation(
            f"{kind.name}: returns {words}, where its documented policy {expected} raises", example, value,
            kind.name, "does not raise by its policy"))
    if expectation == "policy":
        verdict = ctx.judge.against_reference(value, batches, example, f"{kind.name} under "
                                              f"{policy_words(kind, ctx.subject.parameters)}: the value")
        if isinstance(verdict.failure, Undefined):
            return Judged(f"returns {words}")
        ctx.tally.record(verdict)
        if isinstance(verdict.failure, Explained):  # a NaN or error a declaration documents
            ctx.tally.observations.append(verdict.failure.observation)
            return Judged(f"{nonfinite_words(value) or 'returns ' + words} (as documented: "
                          f"{verdict.failure.observation.known.what[:80]})")
        if verdict.failure is not None:
            return Judged(f"wrong: returns {words}, where {policy_words(kind, ctx.subject.parameters)} gives "
                          f"{number(expected)}", verdict.failure)
        return Judged(f"returns {words} (as {policy_words(kind, ctx.subject.parameters)} documents)")
    nonfinite = nonfinite_words(value)
    if nonfinite:
        return Judged(None if clean() == "nonfinite" else nonfinite)
    if expectation == "as given":
        with weights_as_given():
            verdict = ctx.judge.against_reference(value, batches, example, f"{kind.name}: the value")
        if verdict.failure is None:
            ctx.tally.record(verdict)
            return Judged(f"returns {words} (the weight used as given)")
    documented = _documented(ctx, kind, value, batches, example)
    if documented is not None:
        ctx.tally.observations.append(documented)
        return Judged(f"returns {words} (as documented: {documented.known.what[:80]})")
    reading = _hiding_reading(ctx, kind, value, batches, at)
    if expectation == "as given" and reading is None:
        return Judged(f"wrong: returns {words}, where the weighted formula gives {number(expected)}",
                      BadInputViolation(f"{kind.name}: returns {words}, neither the weighted formula with the "
                                        f"weight as given ({number(expected)}) nor the weight dropped", example,
                                        value, kind.name, "wrong value", expected,
                                        float(np.max(np.abs(value - expected)))))
    how = reading or "a number where the definition gives none"
    return Judged(f"hides: returns {words} ({how})", BadInputViolation(
        f"{kind.name}: returns {words}, a number that hides the bad input ({how}); raise, or return NaN", example,
        value, kind.name, "hides"))


@dataclass
class _Draws:
    sample: int
    element: int
    follow_policy: bool
    first: int


def _draws(data: st.DataObject, total: int, kinds: int) -> _Draws:
    drawn = data.draw(st.tuples(st.integers(0, total - 1), st.integers(0, 7), st.booleans(),
                                st.integers(0, max(kinds - 1, 0))), label="bad input: sample, element, policy, first")
    return _Draws(*drawn)


def applicable(ctx: Context, batch: Batch) -> list[BadInput]:
    return [kind for kind in KINDS if kind.applies(ctx.spec, ctx.adapter, ctx.binding, batch) is None]


def check_bad_inputs(ctx: Context, data: st.DataObject) -> None:
    """Each kind of bad input that applies, injected into one drawn stream, its behaviour recorded and judged."""
    drawn = [b for b in ctx.draw.batches(data) if len(b)]  # an empty batch's own errors are empty_batches'
    if not drawn:
        return
    forced = ctx.draw.forced is not None  # a reduced or replayed example holds its bad value already
    classes = label_count(drawn[0])
    kinds = [kind for kind in applicable(ctx, drawn[0]) if not forced or kind.locate(drawn, classes) is not None]
    draws = _draws(data, sum(len(b) for b in drawn), len(kinds))
    base = dict(ctx.subject.parameters)
    clean = CleanOutcome(ctx, drawn)
    failures: list[Exception] = []
    for kind in kinds:
        batches = drawn if forced else kind.inject(drawn, draws.sample, draws.element, classes)
        at = kind.locate(batches, classes) if batches is not None else None
        if at is None:
            continue
        if (not forced and kind.policy and draws.follow_policy
                and kind.policy in {p.name for p in ctx.spec.drawn_for(ctx.adapter.name)}
                and kind.policy == "ignore_index"):
            ctx.subject.use_parameters({**base, "ignore_index": at.value})
        try:
            example = Example(batches, details={"bad_input": kind.name, "injected": at.describe(),
                                                **({"parameters": dict(ctx.subject.parameters)}
                                                   if ctx.subject.parameters else {})})
            without = kind.readings[0].read(batches, at) if forced else None
            judged = judge_kind(ctx, kind, batches, at, example,
                                (lambda w=without: clean(w)) if forced else clean)
        finally:
            ctx.subject.use_parameters(base)
        if judged.behaviour is not None:
            ctx.tally.behave(kind.name, judged.behaviour)
        if judged.failure is not None:
            failures.append(judged.failure)
    if failures:
        raise failures[draws.first % len(failures)]
