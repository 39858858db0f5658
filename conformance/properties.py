"""The properties: each written once, applied to every metric and library it makes sense for.

A property's ``check`` is a small function ``(ctx, data)`` run inside a Hypothesis test: it draws inputs through
``ctx.draw``, feeds them to the library through ``ctx.run``, and has each value judged (``ctx.expect_reference``,
``ctx.expect_same``: see :mod:`conformance.context`). A difference beyond the tolerance raises
:class:`~conformance.failures.Violation`; one explained by a declared :class:`KnownDifference` is counted as an
observation instead, so Hypothesis keeps searching for unexplained ones. A library exception or NaN raises
:class:`~conformance.failures.LibraryError`. Both carry the :class:`Example` that showed them.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Hashable
from dataclasses import dataclass, replace

import numpy as np
from hypothesis import strategies as st
from hypothesis import target

from conformance import recording
from conformance import strategies as cs
from conformance.adapters import Adapter
from conformance.adapters.base import EXTRA_AXIS
from conformance.catalogue import Binding, MetricSpec
from conformance.catalogue.library_wide import TORCHMETRICS_CLASSIFICATION
from conformance.context import Context
from conformance.data import Batch, Example, concatenate, with_other_targets
from conformance.failures import Explained, LibraryError, Violation
from conformance.profiles import Profile
from conformance.tolerance import compare

# -- the properties ---------------------------------------------------------------------------

def check_agreement(ctx: Context, data: st.DataObject) -> None:
    batch = ctx.draw.inputs(data)
    example = Example([batch])
    ctx.expect_reference(ctx.run.whole(batch, example), [batch], example, "the value on the whole data")


def check_batch_accumulation(ctx: Context, data: st.DataObject) -> None:
    batches = ctx.draw.batches(data)
    example = Example(batches)
    ctx.expect_reference(ctx.run.stream(batches, example), batches, example,
                         f"the value accumulated over {len(batches)} batches")


def whole_data_value(ctx: Context, whole: Batch) -> np.ndarray:
    """What the user should have reported: the library's own value on all the data (so the gap is the
    averaging alone, not e.g. Keras' AUC bucketing), or the reference where the library cannot give it."""
    try:
        value = np.asarray(ctx.run.compute(whole), np.float64)
    except Exception:  # measured against the reference instead; agreement reports the exception
        return ctx.spec.reference_value(whole)
    return ctx.spec.reference_value(whole) if np.isnan(value).any() else value


def check_batch_average_pitfall(ctx: Context, data: st.DataObject) -> None:
    """Average per-batch values as Keras' compile(metrics=[fn]) does, and compare with the whole."""
    batches = ctx.draw.batches(data, weights=False)
    example = Example(batches)
    values, sizes, scored = [], [], []
    for number, batch in enumerate((b for b in batches if len(b)), start=1):
        try:
            value = ctx.run.compute(batch, side=f"batch {number} alone")
        except Exception as error:  # a batch this function cannot score (e.g. one class only)
            ctx.tally.notes.add(f"some batches could not be scored alone ({type(error).__name__}); left out")
            continue
        if np.isnan(value).any():
            ctx.tally.notes.add("some batches score NaN alone (undefined); left out")
            continue
        values.append(np.asarray(value, np.float64))
        sizes.append(ctx.spec.samples_counted(batch))
        scored.append(batch)
    if not values or not sum(sizes):
        return
    if ctx.spec.decomposition == "mean":
        # A mean of per-sample values: MeanMetricWrapper weights each batch by its samples: exact
        # (over the batches that could be scored: the ones left out are not in the mean either).
        averaged = recording.mean(values, sizes, label="the size-weighted mean of the per-batch values")
        ctx.expect_reference(averaged, scored, Example(scored), "the size-weighted mean of per-batch values")
        return
    averaged = recording.mean(values, label="the mean of the per-batch values, as compile(metrics=[fn]) reports")
    with recording.side("all the data"):
        expected = whole_data_value(ctx, concatenate(batches))
    if np.isnan(expected).any():  # e.g. a macro AUC with a label that has no positive: nothing to measure
        ctx.tally.notes.add("the whole-data value is undefined (NaN) on some examples; left out")
        return
    gap = float(np.max(np.abs(averaged - expected)))
    if not np.isfinite(gap):  # the whole data's value is undefined (NaN) or infinite: no gap to measure
        ctx.tally.notes.add("the whole-data value is not finite on some examples; no gap measured there")
        return
    target(gap, label="gap between the per-batch mean and the whole-data value")
    ctx.tally.measure_gap(gap, sum(sizes) / len(sizes), example, expected, averaged)


def check_reset(ctx: Context, data: st.DataObject) -> None:
    batches = ctx.draw.batches(data)
    other = with_other_targets(concatenate(batches))  # one update is enough to fill the state
    example = Example(batches, details={"fed_before_reset": other.to_json(), "execution_mode": "eager"})

    # Eager: each check builds two new metrics, and a compiled update would be traced anew for each.
    side, made = "other data, reset(), then the batches", []

    def filled() -> np.ndarray:
        made.append(metric := ctx.run.new_metric(batches, mode="eager"))
        metric.update(other)
        return metric.result()

    def after_reset() -> np.ndarray:
        metric = made[0]
        metric.reset()
        for batch in batches:
            metric.update(batch)
        return metric.result()

    # an error on the other data is the other data's: a declaration's trigger is read on it, not on the batches
    ctx.run.guarded(example, filled, side=side, batches=[other])
    ctx.expect_same(ctx.run.guarded(example, after_reset, side=side),
                    ctx.run.stream(batches, example, mode="eager", side="a new metric fed the batches"), example,
                    "after reset, the value differs from a new metric's",
                    observed_batches=batches, expected_batches=batches)


def check_result_idempotence(ctx: Context, data: st.DataObject) -> None:
    batches = ctx.draw.batches(data)
    example = Example(batches, details={"result_called_after_each_update": True})

    def twice() -> np.ndarray:
        metric, seen = ctx.run.new_metric(batches), 0
        for batch in batches:
            metric.update(batch)
            seen += len(batch)
            if seen:  # the value of a metric that has seen no sample is not asked here
                metric.result()
        return np.stack([metric.result(), metric.result()])

    first, second = ctx.run.guarded(example, twice, side="result() after each update, then twice")
    if not np.array_equal(first, second, equal_nan=True):
        raise Violation("two result() calls in a row gave different values", example, first, second,
                        float(np.max(np.abs(first - second))), 0.0)
    ctx.expect_same(first, ctx.run.stream(batches, example, side="result() at the end only"), example,
                    "calling result() between updates changed the final value",
                    observed_batches=batches, expected_batches=batches)


def check_order_invariance(ctx: Context, data: st.DataObject) -> None:
    batch = ctx.draw.inputs(data)
    order = data.draw(cs.permutations(len(batch)), label="permutation")
    shuffled = batch.take(np.asarray(order))
    example = Example([batch], details={"permutation": order})
    ctx.expect_same(ctx.run.whole(shuffled, example, side="shuffled"),
                    ctx.run.whole(batch, example, side="original order"), example,
                    "shuffling the samples changed the value", observed_batches=[shuffled], expected_batches=[batch])


def check_sample_weights(ctx: Context, data: st.DataObject) -> None:
    batch = ctx.draw.inputs(data, weights=False)
    n = len(batch)

    def same(observed: Batch, expected: Batch, check: str, sides: tuple[str, str], factor: float = 1.0) -> None:
        example = Example([observed], details={"check": check, "compared_with": expected.to_json()})
        # An exception is reported with the batch that raised it (a known difference's trigger reads it).
        expected_fed = Example([expected], details={"check": check, "compared_with": observed.to_json()})
        # A scaled value is the convention's on the scaled weights, not on ``expected``'s (a sum scales with them).
        value = ctx.run.whole(observed, example, side=sides[0])
        other = recording.scaled(ctx.run.whole(expected, expected_fed, side=sides[1]), factor,
                                 f"{factor:g} x the value with {sides[1]}")
        ctx.expect_same(value, other, example, check, observed_batches=[observed],
                        expected_batches=[expected if factor == 1 else observed])

    ones = np.ones(n, np.float32)
    same(batch.with_weights(ones), batch, "weights of one must equal no weights", ("weights of one", "no weights"))
    weights = ctx.draw.keep_classes(batch, data.draw(cs.positive_integer_weights(n, allow_zero=True), label="weights"))
    weighted = batch.with_weights(weights)
    repeated = batch.take(np.repeat(np.arange(n), weights.astype(np.int64))).with_weights(None)
    same(weighted, repeated, "an integer weight k must equal repeating the sample k times",
         ("integer weights k", "each sample repeated k times"))
    kept = weights > 0
    same(weighted, weighted.take(kept), "a weight of 0 must equal dropping the sample",
         ("weights with zeros", "the zero-weight samples dropped"))
    factor = float(np.float32(data.draw(st.sampled_from([0.25, 4.0, 1e-3, 1e3]), label="weight scale")))
    scaled = batch.with_weights((weights * np.float32(factor)).astype(np.float32))
    sides = (f"every weight scaled by {factor:g}", "the weights as drawn")
    if ctx.spec.ratio:
        same(scaled, weighted, f"scaling every weight by {factor} must leave the value unchanged", sides)
    else:
        same(scaled, weighted, f"scaling every weight by {factor} must scale the value by it", sides, factor)


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
    batches = ctx.draw.batches(data, weights=ctx.binding.weights and data.draw(st.booleans(), label="weighted"))
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
                value = (ctx.run.stream(batches, example, layout=layout, side=shapes) if ctx.adapter.stateful
                         else ctx.run.whole(concatenate(batches), example, layout, side=shapes))
            except LibraryError as error:
                ctx.tally.notes.add(f"rejects {shapes} ({error.message.splitlines()[0][:120]})")
                continue
            try:
                ctx.expect_reference(value, batches, example, f"the accumulated value with {shapes}")
            except Violation as violation:
                if judged is not None and tuple(layout[:2]) not in judged:
                    ctx.tally.notes.add(f"with {shapes}, a layout no working training loop feeds it, the value is off "
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
            with recording.paused():  # evidence for the message, after the verdict: not part of the reproduction
                value = (ctx.run.stream(batches, example, layout=alike) if ctx.adapter.stateful
                         else ctx.run.whole(concatenate(batches), example, alike))
        except (LibraryError, Explained):
            continue
        expected = ctx.spec.reference_value(concatenate(batches))
        if compare(value, expected, ctx.judge.tolerance(batches))[0]:
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
    batches = ctx.draw.batches(data)
    example = Example(batches)
    modes = ctx.adapter.execution_modes()
    base = ctx.run.mode or modes[-1]
    expected = ctx.run.stream(batches, example, side=f"{base} mode")
    for mode in (m for m in modes if m != base):
        if mode not in checked_modes(ctx.adapter, ctx.profile):
            ctx.tally.notes.add(JIT_IN_THOROUGH)
            continue
        mode_example = Example(batches, details={"execution_mode": mode, "compared_with": base})
        ctx.expect_same(ctx.run.stream(batches, mode_example, mode=mode, side=f"{mode} mode"), expected, mode_example,
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
    # At most this many examples per case: (derandomized profiles such as ci, random ones such as thorough), and
    # optionally a third for the smoke profile (make test's pass over the matrix), where a property whose every
    # example covers all it varies (bad_inputs tries each kind of bad input in each) needs but one.
    examples: tuple[int, ...] | None = None
    # ... for the libraries' own metrics, where fewer than a user's suffice (None: ``examples``; the same shape): a
    # property that costs seconds per example runs on ~100 metrics of each library in make report, and shows what a
    # library's kind of state does on any example that fills it.
    library_examples: tuple[int, ...] | None = None
    targets: tuple[str, ...] = ALL_TARGETS
    applies: Callable[[MetricSpec, Adapter, Binding, Profile | None], str | None] | None = None
    judged_as: tuple[str, ...] = ()
    shrink: bool = True  # off where each example feeds >= 131,072 samples: the drawn base batch is the example
    # A pass needs some comparison judged: the check leaves out examples it cannot judge (with a note), and a case
    # that judged none is the harness's error, never a silent pass.
    must_judge: bool = False
    # Off where what runs is the library's default construction whatever the spec draws (a compile() string
    # identifier builds the metric with its defaults): the example is judged at the catalogue's parameters.
    draws_parameters: bool = True
    # A deep property (seconds per case): the metric's trait that decides what it exercises. Profiles that ask
    # (smoke: make test's pass over the whole matrix) run it on one representative metric per library and trait, the
    # first in the catalogue; the others skip with its name. Every metric runs it in ci (make report) and thorough.
    deep: Callable[[MetricSpec, Binding], Hashable] | None = None
    # The execution mode its library metrics run in (None: the adapter's default, for Keras compiled as fit() runs
    # it); "eager" where each example builds several objects, each of whose compiled updates would be traced anew.
    mode: str | None = None

    def budget(self, profile: Profile, *, library: bool = False) -> Profile:
        """``profile`` with this property's example cap applied (a library's metric's, where ``library``)."""
        if not self.shrink:  # each try would re-feed the whole stream: the drawn example is reported as it is
            profile = replace(profile, shrink=False, reduce_budget=0)
        examples = (self.library_examples or self.examples) if library else self.examples
        if examples is None:
            return profile
        cap = examples[0] if profile.derandomize else examples[1]
        if len(examples) > 2 and profile.name == "smoke":
            cap = examples[2]
        return replace(profile, max_examples=min(profile.max_examples, cap))

    def skip_reason(self, spec: MetricSpec, adapter: Adapter, binding: Binding,
                    profile: Profile | None = None) -> str | None:
        if adapter.target_kind not in self.targets:
            return f"{self.name} applies to {', '.join(self.targets)} metrics, not {adapter.target_kind} ones"
        if self.needs_state and not adapter.stateful:
            return f"{adapter.name} metrics are stateless functions: there is no state to accumulate or reset"
        if self.needs_weights and not binding.weights:
            return f"{binding.target} takes no sample weights"
        reason = self.applies(spec, adapter, binding, profile) if self.applies else None
        if reason is None and self.deep is not None and profile is not None and profile.deep_on_representatives:
            chosen = self.representative(spec, adapter, binding)
            if chosen is not None and chosen != spec.id:
                return (f"{self.name} is a deep property: the {profile.name} profile runs it on one {adapter.name} "
                        f"metric of each kind ({chosen} for this one's); make report runs it on every metric")
        return reason

    def representative(self, spec: MetricSpec, adapter: Adapter, binding: Binding) -> str | None:
        """The catalogue's first metric of ``adapter``'s library that this property applies to and that has
        ``spec``'s trait (see ``deep``); None for a metric outside the catalogue (a user's, the gallery's)."""
        from conformance.catalogue import CATALOGUE

        if spec.id not in _catalogue_ids():
            return None
        key = (self.name, adapter.name, self.deep(spec, binding))
        if key not in _representatives:
            _representatives[key] = next(
                (other.id for other in CATALOGUE if (other_binding := other.bindings.get(adapter.name)) is not None
                 and self.deep(other, other_binding) == key[2]
                 and (self.applies is None or self.applies(other, adapter, other_binding, None) is None)), None)
        return _representatives[key]


_representatives: dict[tuple[str, str, Hashable], str | None] = {}


@functools.cache
def _catalogue_ids() -> frozenset[str]:
    from conformance.catalogue import CATALOGUE

    return frozenset(spec.id for spec in CATALOGUE)


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
