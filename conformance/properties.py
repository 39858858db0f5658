"""The properties: each written once, applied to every metric and library it makes sense for.

A property's ``check`` runs inside a Hypothesis test: it draws inputs through the
:class:`Context`, feeds them to the library, and compares. A difference beyond the tolerance
raises :class:`Violation`; one explained by a declared :class:`KnownDifference` is recorded as an
observation instead, so Hypothesis keeps searching for unexplained ones. A library exception or
NaN raises :class:`LibraryError`. Both carry the :class:`Example` that showed them.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from hypothesis import strategies as st
from hypothesis import target

from conformance import strategies as cs
from conformance.adapters import Adapter
from conformance.adapters.base import EXTRA_AXIS
from conformance.catalogue import LIBRARY_INPUTS, Binding, KnownDifference, MetricSpec
from conformance.catalogue.library_wide import TORCHMETRICS_CLASSIFICATION
from conformance.data import Batch, Example, concatenate, with_other_targets
from conformance.profiles import Profile
from conformance.results import ERROR_BIN_COUNT, error_bin
from conformance.tolerance import Tolerance, compare, tolerance_for


class Violation(Exception):
    """The library's value differs from the expected one beyond the tolerance.

    ``closest``: the declaration whose convention lies nearer the library's value than the reference does (one
    whose trigger does not hold, say), if any: a failure it comes closest to is distinct from one it does not."""

    def __init__(self, message: str, example: Example, expected: np.ndarray, observed: np.ndarray,
                 abs_error: float, tolerance: float, closest: KnownDifference | None = None):
        super().__init__(message)
        self.message, self.example = message, example
        self.expected, self.observed, self.abs_error, self.tolerance = expected, observed, abs_error, tolerance
        self.closest = closest

    @property
    def kind(self) -> str:
        return "wrong value"


class Limit(Violation):
    """Right on ordinary data, wrong past a precision limit: a float32 count that stops growing at 2^24, a float16
    one at 2048. ``starts``: the sample count from which the value is wrong (its own outcome, ``limit``)."""

    def __init__(self, message: str, example: Example, expected: np.ndarray, observed: np.ndarray,
                 abs_error: float, tolerance: float, starts: int):
        super().__init__(message, example, expected, observed, abs_error, tolerance)
        self.starts = starts

    @property
    def kind(self) -> str:
        return "precision limit"


class Undefined(Exception):
    """The reference is undefined on this example (NaN, or a convention such as R² = 0 for constant targets) and
    the target's value differs: for a user's metric nothing to judge, so the example ends and the search goes on
    (a failure must show on an example where the metric is defined). ``why`` says why it is undefined; ``detail``
    shows the first example of it."""

    def __init__(self, why: str, detail: str = "") -> None:
        super().__init__(why)
        self.why, self.detail = why, detail

    def note(self, notes: set[str]) -> None:
        """Add this reason to ``notes`` once (with the first example's detail)."""
        lead = f"not judged where the metric is undefined ({self.why})"
        if not any(n.startswith(lead) for n in notes):
            notes.add(f"{lead}; {self.detail}" if self.detail else lead)


class Explained(Exception):
    """The library raised as a known difference documents: record it and end the example."""

    def __init__(self, observation: Observation):
        super().__init__(observation.known.what)
        self.observation = observation


class LibraryError(Exception):
    """The library raised, or returned NaN where the reference is a number.

    ``closest``: a declaration that documents this error but whose trigger does not hold here, if any."""

    def __init__(self, message: str, example: Example, closest: KnownDifference | None = None):
        super().__init__(message)
        self.message, self.example, self.closest = message, example, closest

    @property
    def kind(self) -> str:
        """``returns NaN`` / ``returns inf`` (the harness's words), or ``raises`` and the exception's type."""
        if self.message.startswith("returned "):
            return "returns " + self.message.split()[1]
        return "raises " + self.message.split(":", 1)[0]


def failure_key(failure: Exception) -> tuple[str, str | None]:
    """What makes two failures of one property distinct: their kind and the declaration closest to each."""
    closest = getattr(failure, "closest", None)
    return getattr(failure, "kind", type(failure).__name__), closest.what if closest else None


@dataclass
class Observation:
    """An example where the library differed from the reference as a known difference predicts."""

    known: KnownDifference
    example: Example
    expected: np.ndarray
    observed: np.ndarray
    abs_error: float
    tolerance: float
    replay: str | None = None  # the choice sequence that drew ``example`` (see Finding.replay)


@dataclass
class Context:
    """What a property needs while it runs: the metric, the library, and what it has seen."""

    spec: MetricSpec
    adapter: Adapter
    binding: Binding
    property_name: str
    profile: Profile
    observations: list[Observation] = field(default_factory=list)
    largest_gap: tuple[float, Example, np.ndarray, np.ndarray] | None = None
    gaps: list[tuple[float, float]] = field(default_factory=list)  # (mean batch size, gap) per example
    error_histogram: list[int] = field(default_factory=lambda: [0] * ERROR_BIN_COUNT)
    notes: set[str] = field(default_factory=set)
    # Reuse one metric object per (classes, layout), reset between uses, rather than build a new
    # one per example: construction costs as much as several updates, and a compiled update is
    # traced per object. Only for library metrics, whose reset the reset property verifies; the
    # engine shares one pool between the properties of a metric x library. None: always a new object
    # (a user's metric, whose broken reset would otherwise spill into every property).
    pool: dict[tuple[int | None, tuple[str, str] | None], Any] | None = None
    mode: str | None = None  # the execution mode of the properties' updates (None: the adapter's default)
    gap_replay: str | None = None  # the choice sequence that drew ``largest_gap``'s example
    strategies: dict[tuple[str, bool, int | None], st.SearchStrategy] = field(default_factory=dict)  # _strategy
    layout: tuple[str, str] | None = None  # how the inputs are presented now (None: the binding's layout)
    parameters: dict[str, Any] = field(default_factory=dict)  # this example's drawn parameters (see draw_parameters)
    # Batches every draw of inputs returns instead of drawing (a failing example being reduced: see reduce.py)
    forced: list[Batch] | None = None
    forced_parameters: dict[str, Any] = field(default_factory=dict)  # ... and the parameters it uses
    judged_as: tuple[str, ...] = ()  # other properties whose declarations apply (see Property.judged_as)

    def __post_init__(self) -> None:
        self.base = (self.spec, self.binding)  # the catalogue's: drawn parameters replace its values per example

    def draw_parameters(self, data: st.DataObject) -> None:
        """Draw this example's values of the spec's parameter space (shrinking to the catalogue's) and use them:
        ``spec`` and ``binding`` hold them until the next draw. Each parameter draws the values its library takes in
        this property (``Parameter.choices``), then any float32 inside its ``span`` (the values hold its edges); a
        combination the library does not take (``MetricSpec.supports``) is not drawn."""
        if self.forced is not None:  # a reduced example: its parameters are fixed with its batches
            self.use_parameters(self.forced_parameters)
            return
        spec, library = self.base[0], self.adapter.name
        space = spec.drawn_for(library)
        if not space:
            return
        key = ("parameters", False, None)
        if key not in self.strategies:
            def values(p) -> st.SearchStrategy:
                listed = st.sampled_from(p.choices(library, self.property_name))
                return listed if p.span is None else st.one_of(
                    listed, st.floats(*p.span, width=32, exclude_min=True, exclude_max=True))
            self.strategies[key] = st.fixed_dictionaries({p.name: values(p) for p in space}).filter(
                lambda drawn: spec.supports(library, drawn, self.property_name))
        self.use_parameters(data.draw(self.strategies[key], label="parameters"))

    def use_parameters(self, values: dict[str, Any]) -> None:
        """Run with these values of the spec's parameters (by reference keyword) until the next draw. A list (a
        replayed example's, from JSON) is the tuple it was drawn as: the metric pool keys on the values."""
        self.parameters = {k: tuple(v) if isinstance(v, list) else v for k, v in values.items()}
        self.spec, self.binding = self.base[0].with_parameters(self.adapter.name, self.parameters)

    # -- drawing ---------------------------------------------------------------------------
    # Each is one draw of one composite strategy, built once per context: every top-level draw costs
    # Hypothesis ~50 µs of its own bookkeeping, a nested one less.
    def draw_inputs(self, data: st.DataObject, *, weights: bool | None = None, n: int | None = None) -> Batch:
        """``n`` (default: a drawn number of) inputs from the metric's domain, with drawn sample weights if the
        library takes them."""
        if self.forced is not None and (n is None or n == sum(len(b) for b in self.forced)):
            return concatenate(self._forced_batches(weights))
        return data.draw(self._strategy("inputs", self._weighted(weights), n), label="inputs")

    def draw_batches(self, data: st.DataObject, *, weights: bool | None = None) -> list[Batch]:
        """Inputs split into consecutive batches; the sizes are drawn first (see ``cs.batch_sizes``)."""
        if self.forced is not None:
            return self._forced_batches(weights)
        return data.draw(self._strategy("batches", self._weighted(weights), None), label="batches")

    def _forced_batches(self, weights: bool | None) -> list[Batch]:
        """``forced``, without weights where the draw asks for none."""
        return [b.with_weights(None) for b in self.forced] if not self._weighted(weights) else list(self.forced)

    def _weighted(self, weights: bool | None) -> bool:
        return self.binding.weights if weights is None else weights

    def _strategy(self, kind: str, weighted: bool, n: int | None) -> st.SearchStrategy:
        key = (kind, weighted, n)
        if key not in self.strategies:
            self.strategies[key] = batched_inputs(self, weighted) if kind == "batches" else inputs(self, weighted, n)
        return self.strategies[key]

    def keep_classes(self, batch: Batch, weights: np.ndarray | None) -> np.ndarray | None:
        """For a ranking metric, give each class present some weight (else it is undefined)."""
        if weights is None or not self.spec.domain.both_classes:
            return weights
        weights = weights.copy()
        for label in (0, 1):
            members = batch.y_true == label
            if members.any() and weights[members].sum() == 0:
                weights[np.argmax(members)] = 1.0
        return weights

    # -- calling the library ----------------------------------------------------------------
    def guarded(self, example: Example, call: Callable[[], np.ndarray]) -> np.ndarray:
        try:
            return np.asarray(call(), dtype=np.float64)
        except Exception as error:  # any library exception is an outcome, never a crash
            raise self.library_error(f"{type(error).__name__}: {error}", example) from error

    def known_differences(self) -> list[KnownDifference]:
        """The metric's known differences for this library, its backend and this property."""
        return self.spec.known_for(self.adapter.name, (self.property_name, *self.judged_as), self.adapter.backend(),
                                   self.layout)

    def library_error(self, message: str, example: Example, batches: list[Batch] | None = None) -> Exception:
        """An ``Explained`` observation if a known difference documents this error (its trigger read on ``batches``,
        the ones whose value was judged: default the example's), else a LibraryError."""
        closest = None
        for known in self.known_differences():
            if known.explains_error(message, example.batches if batches is None else batches):
                nan = np.asarray(np.nan)
                return Explained(Observation(known, example, nan, nan, float("nan"), float("nan")))
            if known.raises and closest is None and re.search(known.raises, message):
                closest = known  # the declared error, outside its trigger
        return LibraryError(message, example, closest)

    def compute(self, batch: Batch, layout: tuple[str, str] | None = None) -> np.ndarray:
        """The library's value on ``batch`` in one call (one update of a metric object); may raise."""
        if not self.adapter.stateful:
            return self.adapter.compute(self.binding, self.spec.params, batch, layout)
        metric = self.new_metric([batch], layout)
        try:
            metric.update(batch)
            return metric.result()
        except Exception:
            self.discard(metric)
            raise

    def whole(self, batch: Batch, example: Example, layout: tuple[str, str] | None = None) -> np.ndarray:
        """The library's value on ``batch`` in one call; an exception becomes a finding."""
        return self.guarded(example, lambda: self.compute(batch, layout))

    def new_metric(self, batches: list[Batch], layout: tuple[str, str] | None = None, mode: str | None = None):
        """A metric with empty state: a new object, or the pooled one after ``reset()``."""
        mode = mode or self.mode
        if self.pool is None or mode is not None:
            return self.adapter.create(self.binding, self.spec.params, batches[0].num_classes, layout, mode)
        key = (batches[0].num_classes, layout, tuple(self.parameters.items()))  # one object per combination
        metric = self.pool.pop(key, None)
        if metric is not None:
            metric.reset()
        else:
            metric = self.adapter.create(self.binding, self.spec.params, batches[0].num_classes, layout)
        self.pool[key] = metric  # put back only once reset (or built) without raising
        return metric

    def new_object(self, batches: list[Batch]) -> Any:
        """A new metric object of the library's own API, for these batches' classes (a property that drives its
        forward(), merge_state or get_config wraps it with ``adapter.wrap``)."""
        return self.adapter.new_object(self.binding, batches[0].num_classes if batches else None)

    def stream(self, batches: list[Batch], example: Example, *, layout: tuple[str, str] | None = None,
               result_between: bool = False, mode: str | None = None) -> np.ndarray:
        """The library's accumulated value after one update per batch (in ``mode``: default the adapter's)."""
        def run() -> np.ndarray:
            metric = self.new_metric(batches, layout, mode)
            try:
                for batch in batches:
                    metric.update(batch)
                    if result_between:
                        metric.result()
                return metric.result()
            except Exception:
                self.discard(metric)  # an object whose update raised midway is not reused: reset may not undo it
                raise
        return self.guarded(example, run)

    def discard(self, metric: Any) -> None:
        """Take ``metric`` out of the pool (if it is there)."""
        if self.pool:
            for key in [key for key, pooled in self.pool.items() if pooled is metric]:
                del self.pool[key]

    # -- comparing --------------------------------------------------------------------------
    def count_error(self, error: float, bound: float) -> None:
        """Count one comparison in the error histogram, by its |difference| / tolerance."""
        ratio = 0.0 if error == 0 else (error / bound if bound > 0 else float("inf"))
        self.error_histogram[error_bin(ratio)] += 1

    def tolerance(self, batches: list[Batch], *, both_library: bool = False) -> Tolerance:
        n = sum(len(b) for b in batches)
        bound = tolerance_for(self.adapter.result_dtype, n, len(batches),
                              growth=self.spec.growth, scale=self.spec.scale)
        return bound.doubled() if both_library else bound

    def convention(self, known: KnownDifference, batches: list[Batch], extra: Mapping[str, Any] | None = None,
                   transform: Callable[[Batch], Batch] | None = None) -> np.ndarray:
        """What the library's documented convention gives on ``batches``, fed as they were."""
        fed = [transform(b) if transform else b for b in batches]
        overrides = {**known.overrides, **(extra or {})}
        if known.batches_averaged:
            values = [self.spec.reference_value(b, function=known.reference, overrides=overrides) if len(b)
                      else np.asarray(np.nan) for b in fed]
            return np.mean(np.stack(values), axis=0)
        return self.spec.reference_value(concatenate(fed), function=known.reference, overrides=overrides)

    def intervals(self, known: KnownDifference, batches: list[Batch]) -> list[tuple[np.ndarray, np.ndarray]]:
        """``[low, high]`` of what ``known``'s convention gives on ``batches``, as fed and (where the library
        computes on transformed inputs, see ``LIBRARY_INPUTS``) as the library saw them. NaN where any side is."""
        library_inputs = LIBRARY_INPUTS.get(self.adapter.name)
        seen = [library_inputs(b) for b in batches] if library_inputs else batches
        alternatives = [batches] + ([seen] if any(s is not b for s, b in zip(seen, batches, strict=True)) else [])
        found = []
        for convention in self.compositions(known):
            transforms = convention.per_batch if isinstance(convention.per_batch, tuple) else (convention.per_batch,)
            sides = convention.bounds or ({},)
            for fed in alternatives:
                values = [self.convention(convention, fed, side, transform)
                          for side in sides for transform in transforms]
                found.append((np.minimum.reduce(values), np.maximum.reduce(values)))
        return found

    def compositions(self, known: KnownDifference) -> list[KnownDifference]:
        """``known``, and where it is a presentation's (it holds in some layouts only: how the library reads inputs
        so shaped), ``known`` computed under each of the library's conventions that hold in every layout (a clip,
        an epsilon: the value conventions apply whatever the shapes), as one convention."""
        if not known.layouts or not known.explains_values:
            return [known]
        composed = [known]
        for other in self.known_differences():
            if (other is known or other.layouts or other.per_batch is not None or other.trigger is not None
                    or other.batches_averaged or not other.explains_values
                    or (other.reference is None and not other.overrides and other.bounds is None)):
                continue
            composed.append(replace(known, reference=known.reference or other.reference,
                                    overrides={**other.overrides, **known.overrides},
                                    bounds=known.bounds or other.bounds))
        return composed

    def follows(self, known: KnownDifference, observed: np.ndarray, batches: list[Batch],
                tolerance: Tolerance) -> bool:
        """Whether ``observed`` is what ``known``'s convention gives (or lies within its bounds)."""
        if not known.explains_values or not known.applies(batches):
            return False
        for low, high in self.intervals(known, batches):
            if np.shape(observed) != low.shape:  # a value of another shape is explained by no convention
                return False
            slack = tolerance.bound(np.where(np.isfinite(high), high, 0.0))
            undefined = np.isnan(low) & (np.isnan(observed) | np.isin(observed, known.undefined_as))
            unbounded = np.isneginf(low) & np.isposinf(high)  # noise over noise: any value, NaN included
            if np.all(undefined | unbounded | ((observed >= low - slack) & (observed <= high + slack))):
                return True
        return False

    def closest(self, observed: np.ndarray, expected: np.ndarray, batches: list[Batch]) -> KnownDifference | None:
        """The value declaration whose convention lies nearer ``observed`` than ``expected`` does, the nearest
        (its trigger is not asked: a declaration that would explain the value but for its trigger is closest)."""
        observed = np.asarray(observed, np.float64)
        if not np.isfinite(observed).all():
            return None

        def distance(low: np.ndarray, high: np.ndarray) -> float:
            gap = np.maximum(np.maximum(low - observed, observed - high), 0.0)
            return float(np.max(gap)) if np.isfinite(gap).all() else np.inf

        best, best_distance = None, distance(np.asarray(expected), np.asarray(expected))
        for known in self.known_differences():
            if not known.explains_values:
                continue
            try:
                nearest = min(distance(low, high) for low, high in self.intervals(known, batches)
                              if np.shape(low) == observed.shape)
            except (ValueError, TypeError, ZeroDivisionError):  # no interval of this shape, or none it can compute
                continue
            if nearest < best_distance:
                best, best_distance = known, nearest
        return best

    def expect_reference(self, observed: np.ndarray, batches: list[Batch], example: Example, what: str, *,
                         whole: Batch | None = None) -> None:
        """``observed`` (from ``batches``) must equal the reference on all their samples (``whole``, if the
        caller holds them already: a long stream's batches are views of it, not to be copied again)."""
        whole = whole if whole is not None else concatenate(batches)
        expected = self.spec.reference_value(whole)
        tolerance = self.tolerance(batches)
        within, error, bound = compare(observed, expected, tolerance)
        if not within and not self.adapter.judges_undefined:
            self._end_if_undefined(whole, expected, observed)
        if not within:
            for known in self.known_differences():
                if self.follows(known, observed, batches, tolerance):
                    self.count_error(error, bound)
                    self.observations.append(Observation(known, example, expected, observed, error, bound))
                    return
        self._reject_nan(observed, expected, example, batches)
        self.count_error(error, bound)
        if not within:
            raise Violation(f"{what} differs from the reference", example, expected, observed, error, bound,
                            self.closest(observed, expected, batches))

    def expect_same(self, observed: np.ndarray, expected: np.ndarray, example: Example, what: str, *,
                    observed_batches: list[Batch], expected_batches: list[Batch]) -> None:
        """Two library values that must agree; a known convention may explain a difference."""
        tolerance = self.tolerance(expected_batches, both_library=True)
        within, error, bound = compare(observed, expected, tolerance)
        if not within:
            single = self.tolerance(expected_batches)
            for known in self.known_differences():
                if (self.follows(known, observed, observed_batches, single)
                        and self.follows(known, expected, expected_batches, single)):
                    self.count_error(error, bound)
                    self.observations.append(Observation(known, example, expected, observed, error, bound))
                    return
        self._reject_nan(observed, expected, example, observed_batches)
        self.count_error(error, bound)
        if not within:
            raise Violation(what, example, expected, observed, error, bound,
                            self.closest(observed, expected, observed_batches))

    def _end_if_undefined(self, whole: Batch, expected: np.ndarray, observed: np.ndarray) -> None:
        """Raise Undefined where the reference is undefined on ``whole`` (NaN, or the spec's ``undefined`` says why)."""
        why = "the reference is NaN" if np.isnan(expected).any() else (
            self.spec.undefined(whole) if self.spec.undefined else None)
        if why:
            raise Undefined(why, f"e.g. the target gave {np.asarray(observed).round(6).tolist()}, the reference "
                                 f"{np.asarray(expected).tolist()}")

    def _reject_nan(self, observed: np.ndarray, expected: np.ndarray, example: Example,
                    batches: list[Batch] | None = None) -> None:
        """A NaN (or an infinity) where the reference is a finite number, and no convention explains it, is an
        error (an ``Explained`` one if a known difference raises so)."""
        message = nonfinite_message(observed, expected)
        if message:
            raise self.library_error(message, example, batches)


def nonfinite_message(observed: np.ndarray, expected: np.ndarray) -> str | None:
    """What the harness calls a NaN or an infinity where the reference is a number (a declaration's ``raises``
    matches these words), or None."""
    observed, expected = np.asarray(observed), np.asarray(expected)
    if np.isnan(observed).any() and not np.isnan(expected).any():
        return f"returned NaN where {expected.tolist()} was expected"
    infinite = np.isinf(observed) & np.isfinite(expected)
    if infinite.any():
        value = "inf" if (observed[infinite] > 0).all() else "-inf"
        return f"returned {value} where {expected.tolist()} was expected"
    return None


def draw_weighted(draw: st.DrawFn, ctx: Context, weighted: bool, n: int) -> Batch:
    """``n`` inputs from the context's domain, with drawn sample weights if ``weighted``."""
    batch = draw(ctx.spec.domain.inputs(n))
    if weighted:
        batch = batch.with_weights(ctx.keep_classes(batch, draw(cs.sample_weights(len(batch)))))
    return batch


@st.composite
def inputs(draw: st.DrawFn, ctx: Context, weighted: bool, n: int | None) -> Batch:
    """``n`` (default: a drawn number of) inputs, weighted if ``weighted`` (see ``draw_weighted``)."""
    if n is None:
        n = draw(st.integers(ctx.spec.domain.min_samples, ctx.profile.max_samples))
    return draw_weighted(draw, ctx, weighted, n)


@st.composite
def batched_inputs(draw: st.DrawFn, ctx: Context, weighted: bool) -> list[Batch]:
    """Batch sizes first (see ``cs.batch_sizes``), then that many inputs split into those batches."""
    sizes = draw(cs.batch_sizes(ctx.profile.max_samples, min_total=ctx.spec.domain.min_samples,
                                max_batches=ctx.profile.max_batches))
    return draw_weighted(draw, ctx, weighted, sum(sizes)).split(sizes)


# -- the properties ---------------------------------------------------------------------------

def check_agreement(ctx: Context, data: st.DataObject) -> None:
    batch = ctx.draw_inputs(data)
    example = Example([batch])
    ctx.expect_reference(ctx.whole(batch, example), [batch], example, "the value on the whole data")


def check_batch_accumulation(ctx: Context, data: st.DataObject) -> None:
    batches = ctx.draw_batches(data)
    example = Example(batches)
    ctx.expect_reference(ctx.stream(batches, example), batches, example,
                         f"the value accumulated over {len(batches)} batches")


def whole_data_value(ctx: Context, whole: Batch) -> np.ndarray:
    """What the user should have reported: the library's own value on all the data (so the gap is the
    averaging alone, not e.g. Keras' AUC bucketing), or the reference where the library cannot give it."""
    try:
        value = np.asarray(ctx.compute(whole), np.float64)
    except Exception:  # measured against the reference instead; agreement reports the exception
        return ctx.spec.reference_value(whole)
    return ctx.spec.reference_value(whole) if np.isnan(value).any() else value


def check_batch_average_pitfall(ctx: Context, data: st.DataObject) -> None:
    """Average per-batch values as Keras' compile(metrics=[fn]) does, and compare with the whole."""
    batches = ctx.draw_batches(data, weights=False)
    example = Example(batches)
    values, sizes, scored = [], [], []
    for batch in (b for b in batches if len(b)):
        try:
            value = ctx.compute(batch)
        except Exception as error:  # a batch this function cannot score (e.g. one class only)
            ctx.notes.add(f"some batches could not be scored alone ({type(error).__name__}); left out")
            continue
        if np.isnan(value).any():
            ctx.notes.add("some batches score NaN alone (undefined); left out")
            continue
        values.append(np.asarray(value, np.float64))
        sizes.append(ctx.spec.samples_counted(batch))
        scored.append(batch)
    if not values or not sum(sizes):
        return
    if ctx.spec.decomposition == "mean":
        # A mean of per-sample values: MeanMetricWrapper weights each batch by its samples: exact
        # (over the batches that could be scored: the ones left out are not in the mean either).
        averaged = np.average(np.stack(values), axis=0, weights=np.asarray(sizes, np.float64))
        ctx.expect_reference(averaged, scored, Example(scored), "the size-weighted mean of per-batch values")
        return
    averaged = np.mean(np.stack(values), axis=0)
    expected = whole_data_value(ctx, concatenate(batches))
    if np.isnan(expected).any():  # e.g. a macro AUC with a label that has no positive: nothing to measure
        ctx.notes.add("the whole-data value is undefined (NaN) on some examples; left out")
        return
    gap = float(np.max(np.abs(averaged - expected)))
    if not np.isfinite(gap):  # the whole data's value is undefined (NaN) or infinite: no gap to measure
        ctx.notes.add("the whole-data value is not finite on some examples; no gap measured there")
        return
    target(gap, label="gap between the per-batch mean and the whole-data value")
    ctx.gaps.append((sum(sizes) / len(sizes), gap))
    if ctx.largest_gap is None or gap > ctx.largest_gap[0]:
        ctx.largest_gap = (gap, example, expected, averaged)


def check_reset(ctx: Context, data: st.DataObject) -> None:
    batches = ctx.draw_batches(data)
    other = with_other_targets(concatenate(batches))  # one update is enough to fill the state
    example = Example(batches, details={"fed_before_reset": other.to_json(), "execution_mode": "eager"})

    # Eager: each check builds two new metrics, and a compiled update would be traced anew for each.
    def after_reset() -> np.ndarray:
        metric = ctx.new_metric(batches, mode="eager")
        metric.update(other)
        metric.result()
        metric.reset()
        for batch in batches:
            metric.update(batch)
        return metric.result()

    ctx.expect_same(ctx.guarded(example, after_reset), ctx.stream(batches, example, mode="eager"), example,
                    "after reset, the value differs from a new metric's",
                    observed_batches=batches, expected_batches=batches)


def check_result_idempotence(ctx: Context, data: st.DataObject) -> None:
    batches = ctx.draw_batches(data)
    example = Example(batches, details={"result_called_after_each_update": True})

    def twice() -> np.ndarray:
        metric, seen = ctx.new_metric(batches), 0
        for batch in batches:
            metric.update(batch)
            seen += len(batch)
            if seen:  # the value of a metric that has seen no sample is not asked here
                metric.result()
        return np.stack([metric.result(), metric.result()])

    first, second = ctx.guarded(example, twice)
    if not np.array_equal(first, second, equal_nan=True):
        raise Violation("two result() calls in a row gave different values", example, first, second,
                        float(np.max(np.abs(first - second))), 0.0)
    ctx.expect_same(first, ctx.stream(batches, example), example,
                    "calling result() between updates changed the final value",
                    observed_batches=batches, expected_batches=batches)


def check_order_invariance(ctx: Context, data: st.DataObject) -> None:
    batch = ctx.draw_inputs(data)
    order = data.draw(cs.permutations(len(batch)), label="permutation")
    shuffled = batch.take(np.asarray(order))
    example = Example([batch], details={"permutation": order})
    ctx.expect_same(ctx.whole(shuffled, example), ctx.whole(batch, example), example,
                    "shuffling the samples changed the value", observed_batches=[shuffled], expected_batches=[batch])


def check_sample_weights(ctx: Context, data: st.DataObject) -> None:
    batch = ctx.draw_inputs(data, weights=False)
    n = len(batch)

    def same(observed: Batch, expected: Batch, check: str, factor: float = 1.0) -> None:
        example = Example([observed], details={"check": check, "compared_with": expected.to_json()})
        # An exception is reported with the batch that raised it (a known difference's trigger reads it).
        expected_fed = Example([expected], details={"check": check, "compared_with": observed.to_json()})
        # A scaled value is the convention's on the scaled weights, not on ``expected``'s (a sum scales with them).
        ctx.expect_same(ctx.whole(observed, example), factor * ctx.whole(expected, expected_fed), example,
                        check, observed_batches=[observed], expected_batches=[expected if factor == 1 else observed])

    ones = np.ones(n, np.float32)
    same(batch.with_weights(ones), batch, "weights of one must equal no weights")
    weights = ctx.keep_classes(batch, data.draw(cs.positive_integer_weights(n, allow_zero=True), label="weights"))
    weighted = batch.with_weights(weights)
    repeated = batch.take(np.repeat(np.arange(n), weights.astype(np.int64))).with_weights(None)
    same(weighted, repeated, "an integer weight k must equal repeating the sample k times")
    kept = weights > 0
    same(weighted, weighted.take(kept), "a weight of 0 must equal dropping the sample")
    factor = float(np.float32(data.draw(st.sampled_from([0.25, 4.0, 1e-3, 1e3]), label="weight scale")))
    scaled = batch.with_weights((weights * np.float32(factor)).astype(np.float32))
    if ctx.spec.ratio:
        same(scaled, weighted, f"scaling every weight by {factor} must leave the value unchanged")
    else:
        same(scaled, weighted, f"scaling every weight by {factor} must scale the value by it", factor)


def layout_variants(spec: MetricSpec, binding: Binding) -> list[tuple[str, str]]:
    """Every (y_true, y_pred) layout to try: each per-sample array as (n,) and as (n, 1)."""
    masked = binding.masks is not None  # a label map is not one value per sample
    per_sample_true = binding.y_true == "labels" and spec.domain.per_sample_true and not masked
    per_sample_pred = (spec.domain.per_sample_pred or binding.y_pred in ("above-threshold", "argmax")) and not masked
    choices_true = ("flat", "column") if per_sample_true else (binding.layout[0],)
    choices_pred = ("flat", "column") if per_sample_pred else (binding.layout[1],)
    return list(itertools.product(choices_true, choices_pred))


def weight_variants(ctx: Context, batches: list[Batch]) -> list[tuple[tuple[str, ...], list[Batch], str]]:
    """The other ways the library takes these batches' weights, in the binding's layout: ``(layout, batches as
    presented, words)``. A scalar weight stands for a batch whose samples all weigh the same (its first weight)."""
    if not any(b.sample_weight is not None for b in batches) or ctx.binding.masks is not None:
        return []
    variants = []
    for kind in ctx.adapter.weight_layouts:
        if kind == "column":
            variants.append(((*ctx.binding.layout, "column"), batches, "sample_weight (n, 1)"))
        elif kind == "scalar":
            constant = [b.with_weights(np.full(len(b), b.sample_weight[0], np.float32)) if len(b) else b
                        for b in batches]
            variants.append(((*ctx.binding.layout, "scalar"), constant, "one sample_weight number per batch"))
    return variants


def takes_extra_axes(adapter: Adapter, binding: Binding) -> bool:
    """Whether the library reads extra trailing axes of this classification metric's inputs as more samples
    (torchmetrics' (N, C, X...) scores with (N, X...) targets, multidim_average="global")."""
    return (adapter.extra_axes and binding.target.startswith(TORCHMETRICS_CLASSIFICATION) and binding.masks is None
            and not binding.queries and binding.arguments == "pair"
            and binding.init.get("multidim_average", "global") == "global")


def axis_variants(ctx: Context, batches: list[Batch]) -> list[tuple[tuple[str, ...], list[Batch], str]]:
    """The batches with their samples grouped along an extra trailing axis, where the library takes one."""
    if not takes_extra_axes(ctx.adapter, ctx.binding):
        return []
    per_sample = ctx.spec.domain.per_sample_pred and ctx.binding.y_pred == "scores"
    shapes = "y_true (N, X) with y_pred " + ("(N, X)" if per_sample else "(N, C, X)")
    return [((EXTRA_AXIS, EXTRA_AXIS), batches, f"{shapes}, the samples grouped by X = 2 (odd batches: X = 1)")]


def check_shape_conventions(ctx: Context, data: st.DataObject) -> None:
    # Half the examples unweighted: where a weighted update raises for a layout (Keras' rank-1 losses), the
    # layout's values are seen only without weights.
    batches = ctx.draw_batches(data, weights=ctx.binding.weights and data.draw(st.booleans(), label="weighted"))
    presentations = []
    for layout in layout_variants(ctx.spec, ctx.binding):
        shapes = " with ".join(f"y_{name} {'(n,)' if kind == 'flat' else '(n, 1)'}"
                               for name, kind in zip(("true", "pred"), layout, strict=True))
        presentations.append((layout, batches, shapes))
    if ctx.adapter.stateful:  # weights as (n, 1) or as one number, where the library takes them so
        presentations += weight_variants(ctx, batches)
    presentations += axis_variants(ctx, batches)
    judged = ctx.adapter.training_layouts(ctx.binding)
    for layout, batches, shapes in presentations:
        example = Example(batches, details={"layout": shapes, "presented": list(layout)})
        ctx.layout = layout  # the declarations of this layout explain what it gives
        try:
            try:
                value = (ctx.stream(batches, example, layout=layout) if ctx.adapter.stateful
                         else ctx.whole(concatenate(batches), example, layout))
            except LibraryError as error:
                ctx.notes.add(f"rejects {shapes} ({error.message.splitlines()[0][:120]})")
                continue
            try:
                ctx.expect_reference(value, batches, example, f"the accumulated value with {shapes}")
            except Violation as violation:
                if judged is not None and tuple(layout[:2]) not in judged:
                    ctx.notes.add(f"with {shapes}, a layout no working training loop feeds it, the value is off "
                                  "the reference (noted, not failed)")
                    continue
                violation.message += broadcast_evidence(ctx, batches, layout)
                raise
        finally:
            ctx.layout = None


def broadcast_evidence(ctx: Context, batches: list[Batch], layout: tuple[str, ...]) -> str:
    """Where per-sample arrays of different ranks met ((n,) and (n, 1)) and the same data with both shaped alike is
    right, the words that say so (an elementwise operation broadcast them to (n, n)); else nothing."""
    if len(layout) < 2 or layout[0] == layout[1] or EXTRA_AXIS in layout[:2]:
        return ""
    for alike in (("flat", "flat"), ("column", "column")):
        example = Example(batches, details={"presented": list(alike)})
        try:
            value = (ctx.stream(batches, example, layout=alike) if ctx.adapter.stateful
                     else ctx.whole(concatenate(batches), example, alike))
        except (LibraryError, Explained):
            continue
        expected = ctx.spec.reference_value(concatenate(batches))
        if compare(value, expected, ctx.tolerance(batches))[0]:
            shapes = ", ".join(f"y_{n} {'(n,)' if k == 'flat' else '(n, 1)'}" for n, k in zip(("true", "pred"),
                                                                                               layout, strict=False))
            return (f"; with both shaped {'(n,)' if alike[0] == 'flat' else '(n, 1)'} it is right: {shapes} "
                    "broadcast to (n, n) in an elementwise operation; reshape both to (n,) first")
    return ""


JIT_IN_THOROUGH = ("jit-compiled updates (XLA: TensorFlow's jit_compile, jax.jit) are checked in the thorough "
                   "profile: they compile once per batch shape")


def checked_modes(adapter: Adapter, profile: Profile) -> tuple[str, ...]:
    """The adapter's execution modes this profile checks (jit-compiled ones only where it asks for them)."""
    return tuple(mode for mode in adapter.execution_modes() if mode != "jit" or profile.jit_compile)


def check_execution_modes(ctx: Context, data: st.DataObject) -> None:
    """The same stream updated eagerly and compiled (as fit() runs metrics) gives the same value."""
    batches = ctx.draw_batches(data)
    example = Example(batches)
    modes = ctx.adapter.execution_modes()
    base = ctx.mode or modes[-1]
    expected = ctx.stream(batches, example)
    for mode in (m for m in modes if m != base):
        if mode not in checked_modes(ctx.adapter, ctx.profile):
            ctx.notes.add(JIT_IN_THOROUGH)
            continue
        mode_example = Example(batches, details={"execution_mode": mode, "compared_with": base})
        ctx.expect_same(ctx.stream(batches, mode_example, mode=mode), expected, mode_example,
                        f"updated in {mode} mode, the value differs from {base} mode",
                        observed_batches=batches, expected_batches=batches)


# What a property applies to: the libraries' own metrics, and users' (a Keras or torchmetrics Metric subclass, a
# function given to Keras compile(metrics=[fn]), checked by ``conformance check``). See Adapter.target_kind.
LIBRARY_TARGETS = ("sklearn", "keras", "torchmetrics")
USER_TARGETS = ("user keras", "user torchmetrics", "user function")
ALL_TARGETS = LIBRARY_TARGETS + USER_TARGETS


@dataclass(frozen=True)
class Property:
    """A property: its name, what it says in plain words, and what it applies to.

    ``targets``: the target kinds it applies to (see ``ALL_TARGETS``); ``applies``: why it does not apply to one
    metric of those (None: it does), for what only the metric can say. ``judged_as``: other properties whose
    declarations explain its differences too (it feeds the metric as they do: a convention that shows when batches
    are accumulated shows when they are merged or synced)."""

    name: str
    title: str
    check: Callable[[Context, st.DataObject], None]
    needs_state: bool = False
    needs_weights: bool = False
    fresh_metrics: bool = False  # compares a reused (reset) metric with a new one, or keeps two alive: never pool
    # At most this many examples per case: (derandomized profiles such as ci, random ones such as thorough).
    examples: tuple[int, int] | None = None
    targets: tuple[str, ...] = ALL_TARGETS
    applies: Callable[[MetricSpec, Adapter, Binding, Profile | None], str | None] | None = None
    judged_as: tuple[str, ...] = ()
    shrink: bool = True  # off where each example feeds >= 131,072 samples: the drawn base batch is the example

    def budget(self, profile: Profile) -> Profile:
        """``profile`` with this property's example cap applied."""
        if not self.shrink:  # each try would re-feed the whole stream: the drawn example is reported as it is
            profile = replace(profile, shrink=False, reduce_budget=0)
        if self.examples is None:
            return profile
        cap = self.examples[0] if profile.derandomize else self.examples[1]
        return replace(profile, max_examples=min(profile.max_examples, cap))

    def skip_reason(self, spec: MetricSpec, adapter: Adapter, binding: Binding,
                    profile: Profile | None = None) -> str | None:
        if adapter.target_kind not in self.targets:
            return f"{self.name} applies to {', '.join(self.targets)} metrics, not {adapter.target_kind} ones"
        if self.needs_state and not adapter.stateful:
            return f"{adapter.name} metrics are stateless functions: there is no state to accumulate or reset"
        if self.needs_weights and not binding.weights:
            return f"{binding.target} takes no sample weights"
        return self.applies(spec, adapter, binding, profile) if self.applies else None


def compiled_modes_to_compare(spec: MetricSpec, adapter: Adapter, binding: Binding,
                              profile: Profile | None) -> str | None:
    """execution_modes applies where the library runs updates more than one way (in this profile)."""
    if len(adapter.execution_modes()) < 2:
        return f"{adapter.name} runs metric updates one way only here (no compiled mode to compare)"
    if profile and len(checked_modes(adapter, profile)) < 2:
        return JIT_IN_THOROUGH
    return None


def presentations_to_compare(spec: MetricSpec, adapter: Adapter, binding: Binding,
                             profile: Profile | None) -> str | None:
    """shape_conventions applies where the inputs or weights can be presented more than one way."""
    if len(layout_variants(spec, binding)) < 2 and not (
            adapter.stateful and adapter.weight_layouts and binding.weights and binding.masks is None) and (
            not takes_extra_axes(adapter, binding)):
        return ("no per-sample 1-D input to present as (n,) or (n, 1), nor weights to present otherwise, nor "
                "extra axes the library takes")
    return None
