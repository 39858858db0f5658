"""Bad inputs: what a metric does with values its definition has no number for, and the property that records it.

Each kind of bad input is data (:class:`~conformance.bad_input_kinds.BadInput`): where it is bad (by the spec's
domain and the binding's and library's traits, never by a metric's name), how it is injected into an ordinary drawn
example, how it is found again in a stream (a reduced or replayed example holds it already), the *readings* by which
a library may turn it into a number, and the rule it is judged by. The property feeds the example to the library
(a stream of batches, or one call) and classifies what it does: it **raises** (the exception's type and first line),
**returns NaN or an infinity**, or **returns a number**. Raising and NaN are acceptable, and recorded. A finite
number is judged:

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
- a number that every substitute for the bad value gives (a NaN score of a negative in TruePositives, a NaN weight of
  a true negative in Precision) does not depend on it, and hides nothing.

An error or a NaN that the same stream without the bad value gives too is not the bad value's doing, and is not
recorded. Kinds that change the arrays' shapes (a length or shape mismatch) are fed eagerly where the library also
compiles updates: a new shape would trace a compiled update anew.

Each example tries every kind that applies (one library stream each), so even a smoke run of one example covers
all; the failure raised is the first failing kind from a drawn position, so that each kind's failure is found and
shrunk apart (``BadInputViolation.kind`` names the kind). What each kind did, the worst over the examples, is kept in
``Tally.behaviours`` and reported per finding (``Finding.behaviours``; the report's table of bad inputs).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import numpy as np
from hypothesis import strategies as st

from conformance.bad_input_kinds import KINDS, BadInput, Injection, label_count
from conformance.context import Context
from conformance.data import Batch, Example, concatenate
from conformance.failures import Explained, LibraryError, Observation, Undefined, Violation
from conformance.judging import Judge
from conformance.reference import RaisesByPolicy, weights_as_given
from conformance.tolerance import compare

if TYPE_CHECKING:
    from conformance.catalogue.model import KnownDifference

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


IGNORING = ("ignore_index", "ignore_class")  # the parameters (by reference keyword) that drop a sample by its target


def _ignoring(kind: BadInput, parameters: dict[str, Any], batches: list[Batch], at: Injection) -> str | None:
    """The documented policy that drops the sample holding the bad value (a score, a weight), as words: its every
    target is the ignore_index in use, so the sample, bad value and all, does not contribute (None: no such policy).
    A label kind's own label is judged by ``_policy_defines``; a length or shape mismatch is no sample's."""
    if kind.policy == "ignore_index" or kind.reshapes:
        return None
    batch = batches[at.batch]
    for name in IGNORING:
        ignored = parameters.get(name)
        if ignored is not None and at.sample < len(batch) and np.all(np.asarray(batch.y_true[at.sample]) == ignored):
            return f"{name}={ignored!r} (the sample's target)"
    return None


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


def feed(ctx: Context, batches: list[Batch], mode: str | None = None) -> np.ndarray:
    """The library's value on ``batches``: a stream of one update each (stateful, in ``mode``: default the
    runner's), or one call; raises what the library raises (a pooled metric whose update raised is not reused)."""
    if not ctx.adapter.stateful:
        return np.asarray(ctx.run.compute(concatenate(batches)), np.float64)
    metric = ctx.run.new_metric(batches, mode=mode)
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


def _ignored_as_valid(batches: list[Batch], at: Injection) -> list[Batch]:
    """The batches with the ignored sample at ``at`` given another sample's prediction and weight (valid values, which
    its ignored targets leave out all the same): the sample keeps its place, and its entry in a value of one entry per
    sample (multidim_average='samplewise'), which dropping it would remove. With no other sample, its own values made
    finite."""
    batch = batches[at.batch]
    donors = [(b, i) for b, other in enumerate(batches) for i in range(len(other)) if (b, i) != (at.batch, at.sample)]
    y_pred, weight = batch.y_pred.copy(), None if batch.sample_weight is None else batch.sample_weight.copy()
    if donors:
        donor, index = batches[donors[0][0]], donors[0][1]
        y_pred[at.sample] = donor.y_pred[index]
        if weight is not None and donor.sample_weight is not None:
            weight[at.sample] = donor.sample_weight[index]
    else:  # the only sample: its non-finite values made 0, its weight 1
        if y_pred.dtype.kind == "f":
            y_pred[at.sample] = np.nan_to_num(y_pred[at.sample], nan=0.0, posinf=0.0, neginf=0.0)
        if weight is not None:
            weight[at.sample] = 1
    return [*batches[:at.batch], replace(batch, y_pred=y_pred, sample_weight=weight), *batches[at.batch + 1:]]


@dataclass
class Expectation:
    """What a bad input should give: ``how`` (``policy``: ``value``, a documented policy's, judged on ``judged``;
    ``raises``: the policy documents an error; ``as given``: the weighted formula with the weight as given; ``none``:
    no number), and the policy in ``words``."""

    how: str
    value: Any = None
    words: str = ""
    judged: list[Batch] | None = None


def _expectation(ctx: Context, kind: BadInput, batches: list[Batch], at: Injection) -> Expectation:
    """What the documented policies (or the weighted formula, for a weight as given) make of the bad value."""
    parameters = ctx.subject.parameters
    ignoring = _ignoring(kind, parameters, batches, at)
    if ignoring is not None:  # the sample is dropped as documented: the value is the reference's without it
        judged = _ignored_as_valid(batches, at)
        try:
            value = _reference(ctx, judged)
        except (ValueError, ZeroDivisionError, IndexError):
            return Expectation("none")
        return Expectation("policy", value, ignoring, judged) if np.isfinite(value).all() else Expectation("none")
    if _policy_defines(kind, parameters, at):
        words = policy_words(kind, parameters)
        try:
            value = _reference(ctx, batches)
        except RaisesByPolicy:
            return Expectation("raises", words=words)
        except (ValueError, ZeroDivisionError, IndexError):
            return Expectation("none")
        # The data the policy leaves is valid: its value there is judged as on any valid data. Under ignore_index a
        # NaN is that data's own undefined value (every sample ignored, an AUROC of one class left), where the
        # library's declared conventions for it apply; a nan_strategy's NaN is a number the definition lacks.
        if np.isfinite(value).all() or kind.policy == "ignore_index":
            return Expectation("policy", value, words, batches)
        return Expectation("none")
    if kind.as_given:  # judged as agreement is (a NaN or a clip of the library's convention there explained too)
        try:
            with weights_as_given():
                value = _reference(ctx, batches)
        except (ValueError, ZeroDivisionError, IndexError):
            return Expectation("none")
        return Expectation("as given", value)
    return Expectation("none")


def _read_values(ctx: Context, kind: BadInput, batches: list[Batch], at: Injection,
                 substitutes: bool) -> list[np.ndarray]:
    """The reference's values on the batches under each substituting reading of the bad value (that applies)."""
    values = []
    for reading in kind.readings:
        read = reading.read(batches, at) if reading.substitutes == substitutes else None
        if read is None:
            continue
        try:
            values.append(_reference(ctx, read))
        except (ValueError, ZeroDivisionError, IndexError, TypeError):
            continue
    return values


def _independent(ctx: Context, kind: BadInput, value: np.ndarray, batches: list[Batch], at: Injection) -> bool:
    """Whether ``value`` is what every substitute for the bad value gives (two at least), by the definition or by
    one of the library's declared conventions on valid values: the value does not depend on it (a NaN score of a
    negative in TruePositives, a NaN weight of a true negative in Precision; a NaN score in a query with no relevant
    document, where torchmetrics' retrieval recall counts no document scored <= 0), so it hides nothing."""
    values = _read_values(ctx, kind, batches, at, substitutes=True)
    tolerance = ctx.judge.tolerance(batches)
    if len(values) >= 2 and all(np.shape(v) == np.shape(value) and compare(value, v, tolerance)[0] for v in values):
        return True
    readings = [read for reading in kind.readings if reading.substitutes
                and (read := reading.read(batches, at)) is not None]
    return len(readings) >= 2 and any(all(_within_convention(ctx, known, value, read) for read in readings)
                                      for known in ctx.judge.known_differences()
                                      if known.explains_values and "bad_inputs" not in known.properties)


def _within_convention(ctx: Context, known: KnownDifference, value: np.ndarray, batches: list[Batch]) -> bool:
    """Whether ``value`` is what ``known``'s convention gives on ``batches`` (valid ones: a bad value read so), where
    that convention bounds the value (a float32 cancellation's unbounded interval, any value, says nothing)."""
    try:
        if not known.applies(batches):
            return False
        intervals = ctx.judge.intervals(known, batches)
        bounded = all(np.isfinite(low).all() and np.isfinite(high).all() for low, high in intervals)
        return bounded and ctx.judge.follows(known, value, batches, ctx.judge.tolerance(batches))
    except (ValueError, ZeroDivisionError, IndexError, TypeError):
        return False


def _hiding_reading(ctx: Context, kind: BadInput, value: np.ndarray, batches: list[Batch],
                    at: Injection) -> str | None:
    """The readings of the bad value whose reference value equals ``value`` (what the library may have made of it),
    the likeliest first (at most three), or None."""
    found = []
    for reading in kind.readings:
        if len(found) == 3:
            break
        read = reading.read(batches, at)
        if read is None or not any(len(b) for b in read):
            continue
        try:
            expected = _reference(ctx, read)
        except (ValueError, ZeroDivisionError, IndexError, TypeError):
            continue
        if np.shape(expected) == np.shape(value) and compare(value, expected, ctx.judge.tolerance(read))[0]:
            found.append(reading.words)
    return ", or ".join(found) or None


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
    expectation = _expectation(ctx, kind, batches, at)
    expected, policy = expectation.value, expectation.words
    # Arrays of new shapes would make a compiled update trace anew (Keras: ~0.3 s, and again after it raises): such
    # a kind is fed eagerly, which runs the same operations.
    mode = "eager" if kind.reshapes and len(ctx.adapter.execution_modes()) > 1 else None
    try:
        value = feed(ctx, batches, mode)
    except Exception as error:  # any library exception is a behaviour to record
        raised = f"raises {type(error).__name__}: {first_line(error)}"
        if expectation.how == "policy":
            # An error a declaration documents, its trigger read on the data the policy leaves or on the stream as fed
            # (a trigger on the ignored labels themselves).
            for read_on in (expectation.judged, batches):
                explained = ctx.judge.library_error(f"{type(error).__name__}: {error}", example, read_on)
                if isinstance(explained, Explained):
                    ctx.tally.observations.append(explained.observation)
                    return Judged(f"{raised} (as documented: {explained.observation.known.what[:80]})")
            # Raising is right where the value is undefined there; an error the stream gives without the bad value
            # too is not the policy's.
            if np.isfinite(expected).all() and clean() != "raises":
                return Judged(f"wrong: {raised}, where {policy} gives {number(expected)}", BadInputError(
                    f"{kind.name}: {raised}, where its documented policy {policy} gives {number(expected)}", example,
                    kind.name))
        return Judged(None if clean() == "raises" else raised)
    words = number(value)
    if expectation.how == "raises":
        return Judged(f"wrong: returns {words}, where {policy} documents an error", BadInputViolation(
            f"{kind.name}: returns {words}, where its documented policy {policy} raises", example, value,
            kind.name, "does not raise by its policy"))
    if expectation.how == "policy":
        # The data the policy leaves is valid data: the library's conventions on valid data (agreement's) hold there.
        judge = Judge(ctx.subject, (*ctx.judge.property_names, "agreement"))
        verdict = judge.against_reference(value, expectation.judged, example, f"{kind.name} under {policy}: "
                                          "the value")
        if isinstance(verdict.failure, Undefined):
            return Judged(f"returns {words}")
        ctx.tally.record(verdict)
        if isinstance(verdict.failure, Explained):  # a NaN or error a declaration documents
            ctx.tally.observations.append(verdict.failure.observation)
            return Judged(f"{nonfinite_words(value) or 'returns ' + words} (as documented: "
                          f"{verdict.failure.observation.known.what[:80]})")
        # The bad value may act before the policy drops it (torchmetrics decides per update whether scores are logits:
        # an ignored sample's NaN still sends the others through a sigmoid): its declared reading, on the stream as fed.
        documented = _documented(ctx, kind, value, batches, example) if verdict.failure is not None else None
        if documented is not None:
            ctx.tally.observations.append(documented)
            return Judged(f"returns {words} (as documented: {documented.known.what[:80]})")
        if verdict.failure is not None:
            return Judged(f"wrong: returns {words}, where {policy} gives {number(expected)}", verdict.failure)
        return Judged(f"returns {words} (as {policy} documents)")
    nonfinite = nonfinite_words(value)
    if nonfinite:
        return Judged(None if clean() == "nonfinite" else nonfinite)
    if expectation.how == "as given":
        with weights_as_given():
            verdict = ctx.judge.against_reference(value, batches, example, f"{kind.name}: the value")
        if verdict.failure is None:
            ctx.tally.record(verdict)
            return Judged(f"returns {words} (the weight used as given)")
        expected = expected if np.isfinite(expected).all() else None
    if _independent(ctx, kind, value, batches, at):
        return Judged(f"returns {words} (the value does not depend on the bad one)")
    documented = _documented(ctx, kind, value, batches, example)
    if documented is not None:
        ctx.tally.observations.append(documented)
        return Judged(f"returns {words} (as documented: {documented.known.what[:80]})")
    reading = _hiding_reading(ctx, kind, value, batches, at)
    if expectation.how == "as given" and expected is not None and reading is None:
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


def _still_ignored(batches: list[Batch], drawn: Any, policy: Any, classes: int) -> list[Batch]:
    """``batches`` with the targets that held the drawn ignore_index, a padding label outside ``[0, classes)`` (-1),
    relabelled with the policy's ignore_index, which replaces it: the cells the stream ignored stay ignored (left as
    they were, the library rejects the old padding label as a target outside its classes). A drawn label that is a
    class is a target like the others under the policy, and stays."""
    if drawn is None or drawn == policy or (isinstance(drawn, int) and 0 <= drawn < classes):
        return batches
    return [replace(b, y_true=np.where(b.y_true == drawn, policy, b.y_true).astype(b.y_true.dtype))
            if np.issubdtype(b.y_true.dtype, np.integer) else b for b in batches]


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
        without = kind.readings[0].read(batches, at) if forced else None  # a replay's stream without the bad value
        outcome = (lambda w=without: clean(w)) if forced else clean
        if (not forced and kind.policy and draws.follow_policy
                and kind.policy in {p.name for p in ctx.spec.drawn_for(ctx.adapter.name)}
                and kind.policy == "ignore_index"):
            ctx.subject.use_parameters({**base, "ignore_index": at.value})
            batches = _still_ignored(batches, base.get("ignore_index"), at.value, classes)
            relabelled = _still_ignored(drawn, base.get("ignore_index"), at.value, classes)
            outcome = clean if relabelled is drawn else (lambda r=relabelled: clean(r))
        try:
            eager = kind.reshapes and len(ctx.adapter.execution_modes()) > 1  # see judge_kind
            example = Example(batches, details={"bad_input": kind.name, "injected": at.describe(),
                                                **({"execution_mode": "eager"} if eager else {}),
                                                **({"parameters": dict(ctx.subject.parameters)}
                                                   if ctx.subject.parameters else {})})
            judged = judge_kind(ctx, kind, batches, at, example, outcome)
        finally:
            ctx.subject.use_parameters(base)
        if judged.behaviour is not None:
            ctx.tally.behave(kind.name, judged.behaviour)
        if judged.failure is not None:
            failures.append(judged.failure)
    if failures:
        raise failures[draws.first % len(failures)]
