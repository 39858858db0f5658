"""Each declaration explains what its cause produces and nothing else: its witness, fed to the real library.

A declared defect carries a :class:`~conformance.catalogue.Witness`: an input inside its scope, where the library
differs from the reference and the declaration explains the difference (or the error), and the nearest input
outside it, where the library agrees and a wrong value is not explained. A declaration that excused every value, or
one whose trigger no longer matched what the library does, fails here."""

from __future__ import annotations

import itertools
from dataclasses import replace

import numpy as np
import pytest

from conformance.adapters import LibraryUnavailable, get_adapter
from conformance.catalogue import KnownDifference, MetricSpec, ParameterTrigger, batch, by_id, declarations
from conformance.context import Context
from conformance.data import Example, concatenate
from conformance.dtypes import Presented
from conformance.failures import LibraryError, Violation, nonfinite_message
from conformance.profiles import PROFILES
from conformance.tolerance import compare
from conformance.usercheck.checks_torch import forward_stream, synced


def _declarations() -> list[tuple[MetricSpec, KnownDifference]]:
    """Each declaration once, with the spec its witness runs on (the witness's, else the first that has it)."""
    specs = by_id()
    return [(specs[known.witness.metric] if known.witness and known.witness.metric else on[0], known)
            for known, on in declarations()]


DECLARATIONS = _declarations()
WITNESSED = [(spec, known) for spec, known in DECLARATIONS if known.witness]


def _context(spec: MetricSpec, known: KnownDifference, layout: tuple[str, str] | None,
             dtypes: Presented | None = None) -> Context:
    ctx = _new_context(spec, known, layout)
    if known.witness and known.witness.parameters:
        ctx.subject.use_parameters(dict(known.witness.parameters))
    if dtypes is not None:  # the inputs in an input_dtypes presentation's dtypes (and the metric set up for them)
        ctx.binding = replace(ctx.binding, dtypes=dtypes)
    return ctx


def _bound(known: KnownDifference, ctx: Context) -> KnownDifference:
    """``known`` with a trigger that reads the drawn parameters bound to the witness's values."""
    if isinstance(known.trigger, ParameterTrigger):
        return replace(known, trigger=known.trigger.bound({**ctx.spec.params, **ctx.spec.drawn}))
    return known


def _presentation(ctx: Context) -> str | None:
    return ctx.binding.dtypes.name if ctx.binding.dtypes is not None else None


def _new_context(spec: MetricSpec, known: KnownDifference, layout: tuple[str, str] | None) -> Context:
    try:
        adapter = get_adapter(known.library)
        adapter.versions()
    except LibraryUnavailable as error:
        pytest.skip(f"{known.library} is not installed: {error}")
    if known.backends and adapter.backend() not in known.backends:
        pytest.skip(f"declared for {', '.join(known.backends)} only; running {adapter.backend()}")
    prop = "batch_accumulation" if adapter.stateful else "agreement"
    return Context(spec, adapter, spec.bindings[known.library], prop, PROFILES["ci"], layout=layout)


def _observe(ctx: Context, batches: list, mode: str | None, ranks: tuple[int, ...] | None = None,
             through: str = "update") -> tuple[np.ndarray | None, str | None]:
    """The library's value on ``batches`` (one new metric fed each batch, or one call on them all; with ``ranks``,
    rank 0's synced value after each torch.distributed rank fed its share), or its error: an exception's message, or
    the harness's words for a NaN or infinity where the reference is a number."""
    def run():
        if through == "forward":  # the forward property's own stream: its words for a lost state
            try:
                return forward_stream(ctx, batches, ctx.adapter.metric_class(ctx.binding).full_state_update)
            except (LibraryError, Violation) as error:
                raise RuntimeError(error.message) from error
        if ranks is not None:
            ends = np.cumsum((0, *ranks))
            parts = [batches[start:end] for start, end in itertools.pairwise(ends)]
            try:
                return synced(ctx, parts, Example(batches))[0]
            except LibraryError as error:
                raise RuntimeError(error.message) from error
        if not ctx.adapter.stateful:
            return ctx.run.compute(concatenate(batches), ctx.layout)
        metric = ctx.run.new_metric(batches, ctx.layout, mode)
        for each in batches:
            metric.update(each)
        return metric.result()

    try:
        value = np.asarray(run(), np.float64)
    except Exception as error:  # the library's error is what a raising declaration explains
        return None, f"{type(error).__name__}: {error}"
    return value, nonfinite_message(value, _reference(ctx, batches))


def _reference(ctx: Context, batches: list) -> np.ndarray:
    """The reference on ``batches``; NaN where it has no number (a bad input: NaN, a label -1, a negative weight)."""
    try:
        return ctx.spec.reference_value(concatenate(batches))
    except ValueError:
        return np.asarray(np.nan)


def _id(pair: tuple[MetricSpec, KnownDifference]) -> str:
    spec, known = pair
    return f"{spec.id}-{known.library}-{known.what[:48]}"


@pytest.mark.parametrize("pair", WITNESSED, ids=[_id(p) for p in WITNESSED])
def test_declaration_explains_inside_and_nothing_outside(pair) -> None:
    spec, known = pair
    witness = known.witness
    inside = list(witness.inside)
    ctx = _context(spec, known, witness.layout, witness.dtypes)
    known = _bound(known, ctx)
    value, error = _observe(ctx, inside, witness.mode, witness.ranks, witness.through)
    expected = _reference(ctx, inside)
    tolerance = ctx.judge.tolerance(inside)
    assert known.in_scope(ctx.adapter.backend(), ctx.layout or ctx.binding.layout, _presentation(ctx)), (
        "inside: out of its scope")
    if known.raises:
        assert error is not None, f"inside: the library gave {value}, not the declared error"
        assert known.explains_error(error, inside), f"inside: {error!r} is not what the declaration explains"
    else:
        assert error is None or value is not None, f"inside: the library raised {error}"
        if known.properties == ("bad_inputs",):  # a number where the definition has none (a bad input), no NaN
            assert np.isfinite(value).all(), f"inside: the library gave {value}, not a number"
        else:
            assert not compare(value, expected, tolerance)[0], (
                f"inside: the library agrees with the reference ({value}): the witness shows nothing")
        assert ctx.judge.follows(known, value, inside, tolerance), (
            f"inside: the library's {value} (reference {expected}) is not what the declaration explains")

    outside = list(witness.outside)
    ctx = _context(spec, known, witness.outside_layout or witness.layout, witness.outside_dtypes)
    known = _bound(known, ctx)
    value, error = _observe(ctx, outside, None, witness.outside_ranks, witness.through)
    expected = ctx.spec.reference_value(concatenate(outside))
    tolerance = ctx.judge.tolerance(outside)
    others = [k for k in ctx.spec.known_for(known.library, (ctx.property_name, *known.properties),
                                            ctx.adapter.backend(), ctx.layout, _presentation(ctx)) if k is not known]
    assert error is None and (compare(value, expected, tolerance)[0]
                              or any(ctx.judge.follows(k, value, outside, tolerance) for k in others)), (
        f"outside: the library gives {value if error is None else error}, the reference {expected}: not outside "
        "(nor explained by another declaration)")
    in_scope = known.in_scope(ctx.adapter.backend(), ctx.layout or ctx.binding.layout, _presentation(ctx))
    if known.raises:
        assert not (in_scope and known.explains_error(f"returned NaN where {expected.tolist()} was expected",
                                                      outside)), "outside: a NaN there would be explained"
        return
    # Off by 1e-3 relative, or (a value computed in float16, whose bound is wider) by twice the bound.
    wrong = expected + np.maximum(np.maximum(1e-3 * np.abs(np.nan_to_num(expected)), 1e-3),
                                  2 * tolerance.bound(np.nan_to_num(expected)))
    assert not compare(wrong, expected, tolerance)[0]
    assert not (in_scope and ctx.judge.follows(known, wrong, outside, tolerance)), (
        f"outside: the wrong value {wrong} is explained: the declaration is broader than its cause")


def test_every_defect_has_a_witness() -> None:
    """A library's defect is declared with the inputs that pin its scope (conventions may have one too)."""
    missing = [_id(pair) for pair in DECLARATIONS if pair[1].kind == "defect" and pair[1].witness is None]
    assert missing == []


def test_the_idle_rank_sync_defect_needs_states_that_differ() -> None:
    """The declaration reads the evidence in the error: a rank with no data whose states differ from a fed rank's.
    The same abort where they match in shape and dtype (1-D float lists, scalar sums: nothing to put the collectives
    out of step), or with every rank fed, is not explained; and a metric of the first kind syncs right."""
    known = next(k for k, _ in declarations() if k.properties == ("distributed_sync",) and "saw no data" in k.what)
    abort = "a torch.distributed worker died (the other side closed the pipe)"
    assert known.explains_error(f"in a torch.distributed worker, rank 1 with no data (its states differ from a fed "
                                f"rank's: target: an empty float32 1-D placeholder, where the fed rank's holds int64 "
                                f"1-D): {abort}", [])
    assert not known.explains_error(f"in a torch.distributed worker, rank 1 with no data (its states match a fed "
                                    f"rank's in shape and dtype): {abort}", [])
    assert not known.explains_error(f"in a torch.distributed worker: {abort}", [])


def test_an_idle_rank_with_matching_states_syncs_right() -> None:
    """Just outside the declaration's trigger, with a rank idle: SpearmanCorrCoef's lists are 1-D float32, as the
    idle rank's placeholder, and the synced value is the whole data's."""
    pytest.importorskip("torchmetrics")
    spec = by_id()["SpearmanCorrCoef"]
    ctx = Context(spec, get_adapter("torchmetrics"), spec.bindings["torchmetrics"], "distributed_sync",
                  PROFILES["ci"])
    data = [batch([0.5, 1.0, 2.0, -1.0], [0.4, 1.5, 1.0, -2.0])]
    values = synced(ctx, [data, []], Example(data))
    expected = spec.reference_value(concatenate(data))
    assert all(compare(v, expected, ctx.judge.tolerance(data))[0] for v in values), (values, expected)


def test_the_uneven_calls_sync_defect_needs_unequal_calls_and_element_wise_lists() -> None:
    """Explained only where the ranks made different numbers of update() calls and the metric gathers its lists one
    element per call; the same abort with every rank making as many calls is not."""
    known = next(k for k, _ in declarations() if k.properties == ("distributed_sync",) and "update() calls" in k.what)
    abort = "a torch.distributed worker died (the other side closed the pipe)"
    lists = "and the list states indexes, preds, target (dist_reduce_fx=None) are gathered one element per call"
    assert known.explains_error(f"in a torch.distributed worker, the ranks made 1 and 2 update() calls (unequal) "
                                f"{lists}: {abort}", [])
    assert not known.explains_error(f"in a torch.distributed worker: {abort}", [])


def test_the_unequal_dimensions_sync_defect_reads_the_ranks_states() -> None:
    """The evidence is read from the states the ranks hold: MultilabelRecall(multidim_average='samplewise') keeps a
    one-sample update's counts as (L,) and two samples' as (2, L), words the declaration explains; with two samples
    on each rank (both (2, L)) there are no such words, and the same abort is not explained."""
    pytest.importorskip("torchmetrics")
    from conformance.usercheck.checks_torch import _unequal_ranks

    known = next(k for k, _ in declarations() if k.properties == ("distributed_sync",)
                 and "multilabel samplewise" in k.what)
    spec = by_id()["Recall[task=multilabel]"]
    ctx = Context(spec, get_adapter("torchmetrics"), spec.bindings["torchmetrics"], "distributed_sync",
                  PROFILES["ci"])
    ctx.subject.use_parameters({"multidim_average": "samplewise", "average": "macro"})
    inside, outside = known.witness.inside, known.witness.outside
    abort = "a torch.distributed worker died (the other side closed the pipe)"
    words = _unequal_ranks(ctx, list(inside), [[inside[0]], [inside[1]]])
    assert "1-D tensor on rank 0 and a 2-D one" in words, words
    assert known.explains_error(f"in a torch.distributed worker{words}: {abort}", list(inside))
    assert _unequal_ranks(ctx, list(outside), [[outside[0]], [outside[1]]]) == ""
    assert not known.explains_error(f"in a torch.distributed worker: {abort}", list(outside))
