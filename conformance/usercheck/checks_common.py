"""Checks on any user metric beyond the harness's properties: empty batches, long streams, counts past
2^24 and result() right after reset(). Each is a property check ``(ctx, data) -> None`` as in
``conformance.properties``: it draws through the Context and raises Violation / LibraryError."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import replace

import numpy as np
from hypothesis import strategies as st

from conformance import recording
from conformance.adapters import Adapter
from conformance.catalogue import Binding, MetricSpec
from conformance.context import Context
from conformance.data import Batch, Example, concatenate, with_other_targets
from conformance.failures import Explained, LibraryError, Limit, Violation
from conformance.profiles import Profile
from conformance.tolerance import compare

LONG_STREAM = 2**17  # 131,072 samples: past 2048 (float16 counters stop adding 1) and 65,504 (float16 max)
LIST_STATE_STREAM = 2**13  # a library metric keeping every sample: its many updates joined, past 2048
LONG_FIRST_BATCH = 2048  # then single samples, which a float16 count of 2048 no longer adds
LONG_SINGLES = 64
LONG_BIG_BATCH = 4096
PAST_2_24_BATCH = 2**20  # 16 updates of 2^20 samples reach 2^24, where float32 stops adding 1
PAST_2_24_SINGLES = 512


def check_empty_batches(ctx: Context, data: st.DataObject) -> None:
    """Empty batches before, between and after the data change nothing (a DataLoader's last batch can be empty)."""
    batches = [b for b in ctx.draw.batches(data) if len(b)]
    if not batches:
        return
    empty = batches[0].take(slice(0, 0))
    with_empties = [empty]
    for batch in batches:
        with_empties += [batch, empty]
    example = Example(with_empties, details={"compared_with": "the same batches without the empty ones"})
    ctx.expect_same(ctx.run.stream(with_empties, example, side="with the empty batches"),
                    ctx.run.stream(batches, example, side="without them"), example,
                    "empty batches changed the value", observed_batches=with_empties, expected_batches=batches)


def _other_targets(batch: Batch) -> Batch:
    """The same predictions with other targets that stay in the domain: ``with_other_targets``, except for rows of
    real targets (distributions, several outputs), which one sample's row shifted would take out of it (a
    distribution no longer sums to 1): each sample takes the next one's row, or a lone sample its prediction."""
    if not (batch.y_true.ndim == 2 and np.issubdtype(batch.y_true.dtype, np.floating)):
        return with_other_targets(batch)
    if len(batch) > 1:
        return replace(batch, y_true=np.roll(batch.y_true, 1, axis=0))
    return replace(batch, y_true=batch.y_pred.astype(batch.y_true.dtype),
                   y_pred=batch.y_true.astype(batch.y_pred.dtype))


def _tiled(batch: Batch, total: int) -> Batch:
    return batch.take(np.resize(np.arange(len(batch)), total))


def _sizes(total: int, first: int, singles: int, size: int) -> list[int]:
    """``first`` samples in one batch, ``singles`` single samples, then batches of ``size`` up to ``total``."""
    rest = total - first - singles
    return [first] + [1] * singles + [size] * (rest // size) + ([rest % size] if rest % size else [])


def _plan(sizes: list[int]) -> list[list[int]]:
    """``sizes`` of updates from batch 0 as runs ``[batch, samples per update, updates]`` (the example's details say
    how the stream was fed)."""
    runs: list[list[int]] = []
    for size in sizes:
        if runs and runs[-1][1] == size:
            runs[-1][2] += 1
        else:
            runs.append([0, size, 1])
    return runs


def _checkpoints(sizes: list[int]) -> list[int]:
    """Indices of the batches after which the value is read: after the first batch, after the single samples,
    where the count first reaches each power of 2 past them, and at the end."""
    counts = np.cumsum(sizes)
    marks = {0, sizes.index(1) + sizes.count(1) - 1 if 1 in sizes else 0, len(sizes) - 1}
    for power in range(int(np.log2(max(counts[0], 1))) + 1, int(np.log2(counts[-1])) + 1):
        marks.add(int(np.searchsorted(counts, 2**power)))
    return sorted(m for m in marks if m < len(sizes))


def _stream_values(ctx: Context, batches: list[Batch], marks: list[int]) -> np.ndarray:
    """The target's value after each batch in ``marks`` (stacked), one update per batch."""
    metric, values, fed = ctx.run.new_metric(batches), [], 0
    for index, batch in enumerate(batches):
        metric.update(batch)
        fed += len(batch)
        if index in marks:
            with recording.labelled(f"after {fed:,} samples"):
                values.append(metric.result())
    return np.stack(values)


def _first_wrong(ctx: Context, whole: Batch, sizes: list[int], marks: list[int], values: np.ndarray,
                 example: Example) -> int | None:
    """The position in ``marks`` of the first value off the reference on the samples fed so far (a declared
    convention of the library explains a value, as everywhere), or None."""
    counts = np.cumsum(sizes)
    for position, index in enumerate(marks):
        fed = whole.take(slice(0, int(counts[index])))
        verdict = ctx.judge.against_reference(values[position], fed.split(sizes[:index + 1]), example,
                                              "the value", whole=fed)
        if verdict.failure is not None:
            return position
    return None


def _expect_right_when_short(ctx: Context, base: Batch, total: int, first: int, singles: int, size: int,
                             what: str) -> None:
    """The long stream's pattern at a small scale (``total`` samples) must give the reference: a value already
    wrong there is a wrong value, not a precision limit (it raises Violation on this short example)."""
    whole = _tiled(base, total)
    sizes = _sizes(total, first, singles, size)
    batches = whole.split(sizes)
    marks = _checkpoints(sizes)
    example = Example(batches, details={"stream": f"{what} at a small scale: {first} samples, then {singles} x 1, "
                                                  f"then batches of {size}; result() read after batches {marks}"})
    values = ctx.run.guarded(example, lambda: _stream_values(ctx, batches, marks),
                             side=f"{what} at a small scale ({total} samples)")
    wrong = _first_wrong(ctx, whole, sizes, marks, values, example)
    if wrong is not None:
        fed = whole.take(slice(0, int(np.cumsum(sizes)[marks[wrong]])))
        ctx.expect_reference(values[wrong], batches[:marks[wrong] + 1], example,
                             f"after {len(fed)} samples (long before any precision limit) the value", whole=fed)


def state_trait(spec: MetricSpec, binding: Binding) -> Hashable:
    """How the metric's state grows with the samples: by its decomposition (a mean keeps a total and a count, a sum a
    total, other metrics several sums or counts combined at the end) and whether its value is unbounded (scale 0:
    totals of real values, which a float32 state rounds) or a rate of counts (the smoke profile runs the long
    streams on one metric of each: see Property.deep)."""
    return spec.decomposition, spec.scale == 0


def streams_fit(spec: MetricSpec, adapter: Adapter, binding: Binding, profile: Profile | None) -> str | None:
    """The long streams apply where a stream of 2^24 samples is a stream of samples: not to retrieval metrics, whose
    samples are queries (their state keeps every document, and compute() loops over the queries in Python: hours)."""
    if binding.queries:
        return ("its samples are queries: the state keeps every document and compute() loops over the queries in "
                "Python (2^24 of them would take hours); no count of queries is kept to stop growing")
    return None


_REFUSES_WEIGHTS: dict[str, str | None] = {}


def _keeps_every_sample(adapter: Adapter, binding: Binding) -> bool:
    """Whether the library's metric object keeps its samples in list states (torchmetrics' cat states: exact curves,
    rank correlations), read from its declared defaults; False where it has none or cannot be built."""
    try:
        defaults = getattr(adapter.new_object(binding, 3), "_defaults", None) or {}
    except Exception:
        return False
    return any(isinstance(default, list) for default in defaults.values())


def counts_fit(spec: MetricSpec, adapter: Adapter, binding: Binding, profile: Profile | None) -> str | None:
    """counts_past_2_24 applies where the long streams do and the reference takes sample weights: the 2^24 samples
    the metric is fed are 2^24 copies of a few, and the reference sees them as those few weighing 2^24 in all."""
    reason = streams_fit(spec, adapter, binding, profile)
    if reason is not None or adapter.user_code:  # a user's reference: see usercheck.runner.skip_reason
        return reason
    if not adapter.user_code and _keeps_every_sample(adapter, binding):
        return ("it keeps every sample in list states (no count or total that could stop growing): 2^24 samples "
                "would be held in memory, gigabytes with the reference's copies (long_stream still feeds it 131,072)")
    dtypes = adapter.state_dtypes(binding, 3)
    if dtypes and all(dtype.startswith(("int", "uint")) for dtype in dtypes):
        return (f"every state is an integer count ({', '.join(sorted(set(dtypes)))}): exact far past 2^24, so no "
                "count stops growing there (long_stream still feeds it a long stream)")
    if spec.id not in _TOO_SLOW:
        _TOO_SLOW[spec.id] = _too_slow(spec, adapter, binding)
    if _TOO_SLOW[spec.id]:
        return _TOO_SLOW[spec.id]
    if spec.id not in _REFUSES_WEIGHTS:
        _REFUSES_WEIGHTS[spec.id] = _refuses_weights(spec)
    refused = _REFUSES_WEIGHTS[spec.id]
    return None if refused is None else (f"the reference {spec.reference.__name__} takes no sample weights to stand "
                                         f"for 2^24 copies of a sample ({refused})")


_TOO_SLOW: dict[str, str | None] = {}
COUNTS_SECONDS = 120.0  # what 2^24 samples' updates may cost a library's metric, measured on one update


def _too_slow(spec: MetricSpec, adapter: Adapter, binding: Binding) -> str | None:
    """Why 2^24 samples are beyond reach: an update whose cost per sample (measured on 4096 samples; torchmetrics'
    label ranking loops over the samples in Python) makes them cost more than COUNTS_SECONDS; None where it does not
    (or the update raises: the property says so itself)."""
    import time
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = spec.domain.inputs(max(4, spec.domain.min_samples)).example()
    big = _tiled(probe, 4096)
    try:
        metric = adapter.create(binding, spec.params, probe.num_classes)
        metric.update(big)  # the first update builds and traces: not the cost of the next
        started = time.perf_counter()
        metric.update(big)
        per_sample = (time.perf_counter() - started) / len(big)
    except Exception:
        return None
    if per_sample * 2**24 <= COUNTS_SECONDS:
        return None
    return (f"its update costs {per_sample * 1e6:.0f} µs a sample (measured on 4096): 2^24 samples would take "
            f"~{per_sample * 2**24 / 60:.0f} minutes (long_stream still feeds it 131,072)")


def _refuses_weights(spec: MetricSpec) -> str | None:
    """Why the reference refuses weights (it computes without them on the same inputs), or None."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Hypothesis' note that example() is for interactive use
        probe = spec.domain.inputs(max(4, spec.domain.min_samples)).example()
    try:
        spec.reference_value(probe)
    except Exception:  # this probe is outside what the reference computes at all: nothing to learn from it
        return None
    try:
        spec.reference_value(probe.with_weights(np.full(len(probe), 3, np.float32)))
    except Exception as error:
        return f"{type(error).__name__}: {str(error)[:120]}"
    return None


def check_long_stream(ctx: Context, data: st.DataObject) -> None:
    """A drawn sample set tiled to 131,072 samples: 2048 in one batch, 64 single samples, then 4096-sample batches.

    The set is the drawn samples and the same with other targets (``_other_targets``), so that its value
    is not one that a miscount leaves unchanged (a mean error of 0 is 0 whatever the count). The same pattern on
    512 samples must be right first: a value wrong there is wrong, one wrong only on the long stream is a precision
    limit (outcome ``limit``), which starts at the first count where the value read is off."""
    drawn = ctx.draw.inputs(data, weights=False)
    base = concatenate([drawn, _other_targets(drawn)])
    _expect_right_when_short(ctx, base, 512, 16, LONG_SINGLES, 32, "the long stream's pattern")
    total = ctx.adapter.cache.get("long_stream_samples", LONG_STREAM)
    if not ctx.adapter.user_code and _keeps_every_sample(ctx.adapter, ctx.binding):
        # No count to stop growing, and a compute that may grow faster than the samples: torchmetrics' Kendall tau
        # compares every pair (131,072 samples: 10 GB and rising, until the OOM killer ended make report's run).
        total = min(total, LIST_STATE_STREAM)
        ctx.tally.notes.add(f"it keeps every sample in list states (no count to stop growing): fed {total:,} samples, "
                            "past float16's 2048, not 131,072")
    whole = _tiled(base, total)
    sizes = _sizes(total, LONG_FIRST_BATCH, LONG_SINGLES, LONG_BIG_BATCH)
    batches = whole.split(sizes)
    marks = _checkpoints(sizes)
    counts = np.cumsum(sizes)
    example = Example([base], details={"tiled_to_samples": total, "batch_sizes": f"{LONG_FIRST_BATCH}, then "
                                       f"{LONG_SINGLES} x 1, then batches of {LONG_BIG_BATCH}",
                                       "updates": _plan(sizes),
                                       "result_read_after_samples": [int(counts[m]) for m in marks]})
    values = ctx.run.guarded(example, lambda: _stream_values(ctx, batches, marks), side=f"{total:,} samples")
    wrong = _first_wrong(ctx, whole, sizes, marks, values, example)
    if wrong is None:
        ctx.expect_reference(values[-1], batches, example, f"after {total:,} samples the value", whole=whole)
        return
    starts = int(counts[marks[wrong]])
    right = f"right after {int(counts[marks[wrong - 1]]):,} samples, " if wrong else ""
    fed = whole.take(slice(0, starts))
    expected = ctx.spec.reference_value(fed)
    _, error, bound = compare(values[wrong], expected, ctx.judge.tolerance(batches[:marks[wrong] + 1]))
    raise Limit(f"{right}wrong after {starts:,}: a precision limit (right on a short stream of the same pattern). A "
                "float16 count stops growing by 1 at 2048 and overflows at 65,504; keep counts in float32 or wider",
                example, expected, values[wrong], error, bound, starts)


def _exactly_summable(ctx: Context, batch: Batch) -> Batch:
    """The batch with values whose float32 sums are exact where that keeps it in the metric's domain: one score per
    sample on a 1/8 grid in [0, 1], real targets and predictions as integers in [-3, 3]. Elsewhere (rows of scores or
    probabilities, label maps, and where the reference is not finite on the grid's values: logs, positive
    predictions) the drawn values as they are: their sums are rounded, which only a float32 state shows."""
    y_true, y_pred = batch.y_true, batch.y_pred
    if y_pred.ndim != 1 or not np.issubdtype(y_pred.dtype, np.floating):
        return batch
    if not np.issubdtype(y_true.dtype, np.floating) and ctx.spec.decomposition != "mean":
        return batch  # counts of samples by their scores (rates, curves): no sum of values; a grid would tie them
    if np.issubdtype(y_true.dtype, np.floating):  # regression
        candidate = Batch(np.clip(np.round(y_true), -3, 3).astype(np.float32),
                          np.clip(np.round(y_pred), -3, 3).astype(np.float32), None, batch.num_classes)
    else:
        candidate = Batch(y_true, (np.round(np.clip(y_pred, 0, 1) * 8) / 8).astype(np.float32), None,
                          batch.num_classes)
    try:
        if np.isfinite(ctx.spec.reference_value(candidate)).all():
            return candidate
    except Exception:  # outside the reference's domain: keep the drawn values
        pass
    return batch


def _tails(base: Batch) -> list[Batch]:
    """Tails to feed one sample per update past 2^24: the samples with other targets, then every single sample that
    pairs one sample's target with another's prediction (the same and other targets): a ranking metric moves most
    for a positive scored below every negative, a rate for a sample of the category it counts least."""
    tails = [_other_targets(base)]
    for i in range(min(len(base), 8)):  # at most 8 x 8 pairs: each costs a reference
        for j in range(min(len(base), 8)):
            pair = replace(base.take(slice(i, i + 1)), y_pred=base.y_pred[j:j + 1])
            tails += [pair, _other_targets(pair)]
    return tails


def _defined(ctx: Context, base: Batch) -> Batch:
    """``base``, or where the reference is undefined on it (a class or label with no positive: a multiclass AUC),
    ``base`` with its samples under other targets added, doubled until it is (at most 32 samples, a power of 2 still):
    labels rotated through every class, multilabel targets both ways."""
    while np.isnan(ctx.spec.reference_value(base)).any() and len(base) < 32:
        base = concatenate([base, _other_targets(base)])
    return base


def _weights_are_copies(ctx: Context, base: Batch) -> bool:
    """Whether the metric gives ``base`` weighing 2 each what it gives the samples twice (it may raise on weights)."""
    try:  # a side of its own: a snippet of the long stream leaves it out
        weighted = ctx.run.compute(base.with_weights(np.full(len(base), 2, np.float32)), side="weighing 2")
        copied = ctx.run.compute(_tiled(base, 2 * len(base)), side="twice")
    except Exception:
        return False
    return compare(weighted, copied, ctx.judge.tolerance([base], both_library=True))[0]


def _moving_tail(ctx: Context, base: Batch, counted: Batch,
                 expected_before: np.ndarray) -> tuple[Batch, list[Batch]] | None:
    """The tail whose 512 samples move the value furthest beyond the tolerance (a count stuck at 2^24 is then off by
    more than the tolerance), with the weighted batches that stand for the whole stream; None where none does."""
    best, best_ratio = None, 1.0
    for tail in _tails(base):
        weighted = [counted, tail.with_weights(np.full(len(tail), PAST_2_24_SINGLES // len(tail), np.float32))]
        try:
            expected_after = ctx.spec.reference_value(concatenate(weighted))
        except Exception:  # a pairing outside the reference's domain
            continue
        bound = ctx.judge.tolerance(weighted).bound(expected_after)
        with np.errstate(all="ignore"):
            ratio = float(np.nanmax(np.abs(expected_after - expected_before) / np.maximum(bound, 1e-300),
                                    initial=0.0))
        if np.isfinite(ratio) and ratio > best_ratio:
            best, best_ratio = (tail, weighted), ratio
    return best


def _drawn(ctx: Context) -> str:
    """The drawn parameters in words (``thresholds=None``), or what a metric without any is built with."""
    return ", ".join(f"{name}={value!r}" for name, value in ctx.subject.parameters.items()) or "its parameters"


def check_counts_past_2_24(ctx: Context, data: st.DataObject) -> None:
    """2^24 samples in 16 updates, then 512 single-sample updates: the last 512 must still count.

    A float32 counter holds 2^24 exactly but 2^24 + 1 rounds back to 2^24, so it stops counting
    single samples there; so does a float32 running total. The values are chosen so that every sum is
    exact in float32 where the domain allows, and the tail (one sample per update) so that counting it moves the
    value beyond the tolerance: where no tail can, the example is left out with a note (a case that judged none is
    the harness's error, never a pass). The same updates at a small scale must give the reference first: a value
    wrong there is a wrong value; one wrong only past 2^24 is the precision limit (outcome ``limit``).
    """
    if not ctx.adapter.user_code and _keeps_every_sample(ctx.adapter, ctx.binding):
        # counts_fit read the catalogue's parameters; drawn ones may make the object keep its samples (an exact curve,
        # thresholds=None): 2^24 of them took 22 GB and the OOM killer ended make report's run.
        ctx.tally.unjudgeable = (f"with {_drawn(ctx)} it keeps every sample in list states: no count or "
                                 "total that could stop growing, and 2^24 samples would be held in memory")
        return
    sizes = [2, 4, 8] if ctx.spec.domain.both_classes else [1, 2, 4, 8]  # powers of 2: they tile 2^20 exactly
    size = data.draw(st.sampled_from(sizes), label="distinct samples")
    base = _exactly_summable(ctx, ctx.draw.inputs(data, weights=False, n=size))
    if ctx.tally.judged and ctx.profile.derandomize and not ctx.adapter.user_code:
        # A library's metric: one example that fills its state past 2^24 shows its kind of state (ci draws two, the
        # first often the simplest input, which no tail may move); a second costs seconds for nothing more.
        return
    # A library's metric whose weight k is k copies (as sample_weights checks; here on these very samples) reaches
    # 2^24 through weights: 16 updates of the distinct samples, each weighing 2^20 / n, instead of 2^20 samples (a
    # user's metric is fed the samples: its weights and its count may be kept apart).
    by_weight = ctx.binding.weights and not ctx.adapter.user_code and _weights_are_copies(ctx, base)
    base = _defined(ctx, base)
    copies = 2**24 // len(base)
    counted = base.with_weights(np.full(len(base), copies, np.float32))  # the first 2^24 samples, as weights
    expected_before = ctx.spec.reference_value(counted)
    if np.shape(ctx.spec.reference_value(concatenate([base, base]))) != np.shape(expected_before):
        # One value per sample (reduction='none'): no count or total to stop growing, and a sample weighing 2^24 / n
        # is one value where its copies are 2^24 of them (the stream's values cannot be compared with the weighted).
        ctx.tally.unjudgeable = ("its value has one entry per sample (its length grows with the stream): no count "
                                 "or total to stop growing at 2^24, and weights cannot stand for the copies")
        return
    moving = _moving_tail(ctx, base, counted, expected_before)
    if moving is None:
        ctx.tally.notes.add("some examples were left out: no tail of their samples moves the value beyond the "
                            "tolerance, so a count stuck at 2^24 would not show")
        ctx.tally.unjudgeable = ("no tail of 512 single samples (the samples with other targets, or any one pairing "
                                 "a sample's target with another's prediction) moves the value beyond its tolerance "
                                 "after 2^24, so a count stuck there would not show (a value set by a threshold, "
                                 "as a recall at a precision, rarely moves by 512 / 2^24)")
        return
    tail, weighted = moving
    _expect_short_counts(ctx, base, tail, by_weight)
    big = (base.with_weights(np.full(len(base), PAST_2_24_BATCH // len(base), np.float32)) if by_weight
           else _tiled(base, PAST_2_24_BATCH))
    singles = [tail.take(slice(i % len(tail), i % len(tail) + 1)) for i in range(PAST_2_24_SINGLES)]
    tail_copies = PAST_2_24_SINGLES // len(tail)
    first = (f"the first batch in 16 updates, each sample weighing {PAST_2_24_BATCH // len(base):,} (2^24 samples' "
             "weight in all)" if by_weight else f"the first batch {copies:,} times in 16 updates of 2^20 samples")
    example = Example([big if by_weight else base, tail],
                      details={"fed": f"{first}, then the second one sample per update, {tail_copies} times",
                               "updates": [[0, PAST_2_24_BATCH, 16], [1, 1, PAST_2_24_SINGLES]],
                               "result_read_after_samples": [2**24, 2**24 + PAST_2_24_SINGLES]})

    def run() -> np.ndarray:
        with recording.side("2^24 samples in 16 updates of 2^20"):
            metric = ctx.run.new_metric([base])
            for _ in range(16):
                metric.update(big)
            before = metric.result()
        with recording.side(f"then {PAST_2_24_SINGLES} single-sample updates"):
            for single in singles:
                metric.update(single)
            return np.stack([before, metric.result()])

    before, after = ctx.run.guarded(example, run)
    # Every count is exact below 2^24 and the reference's weights stand for the copies: the tolerance is the spec's
    # bound for the few distinct terms (not for 2^24 of them), as for any value computed from them.
    at_2_24 = ctx.judge.against_reference(before, weighted[:1], example, "at 2^24", whole=weighted[0])
    verdict = ctx.judge.against_reference(after, weighted, example, "past 2^24")
    ctx.tally.judged += 1
    if verdict.failure is None:
        ctx.tally.record(verdict)
        return
    if isinstance(verdict.failure, Explained):
        raise verdict.failure
    # A declared convention of how the library accumulates (a mean of per-batch values, say) is judged on the updates
    # as they were: 16 of the base (weighing what it stands for) and the tail one sample at a time.
    updates = [big if by_weight else base.with_weights(np.full(len(base), PAST_2_24_BATCH // len(base),
                                                                 np.float32))] * 16 + singles
    documented = ctx.judge.against_reference(after, updates, example, "past 2^24", whole=concatenate(weighted))
    if documented.observation is not None:
        ctx.tally.record(documented)
        return
    expected_after = ctx.spec.reference_value(concatenate(weighted))
    moved, expected_move = after - before, expected_after - expected_before
    where = ("after 2^24 samples, 512 more (one per update) moved the value by "
             f"{_values(moved)} instead of {_values(expected_move)}" if at_2_24.failure is None else
             f"after 2^24 samples in updates of 2^20 the value is already off ({_values(before)} instead of "
             f"{_values(expected_before)})")
    raise Limit(f"{where}, though right at a small scale: a float32 (or narrower) count or total stops growing "
                "by 1 at 2^24, a precision limit; keep counts in float64 or int64 to go past it",
                example, expected_after, after, verdict.abs_error, verdict.bound, 2**24)


def _expect_short_counts(ctx: Context, base: Batch, tail: Batch, by_weight: bool) -> None:
    """counts_past_2_24's updates at a small scale (16 updates of the base batch tiled 4 times, or weighing 4, then
    the tail one sample per update, 64 times) must give the reference: else the value is wrong long before 2^24."""
    big = base.with_weights(np.full(len(base), 4, np.float32)) if by_weight else _tiled(base, 4 * len(base))
    batches = [big] * 16 + [tail.take(slice(i % len(tail), i % len(tail) + 1)) for i in range(64)]
    example = Example(batches, details={"stream": "counts_past_2_24's updates at a small scale"})
    ctx.expect_reference(ctx.run.stream(batches, example, side="the same updates at a small scale"), batches,
                         example, f"after {sum(len(b) for b in batches)} samples (long before 2^24) the value")


def _values(array: np.ndarray) -> str:
    return f"{np.asarray(array, np.float64).tolist():.6g}" if np.ndim(array) == 0 else str(np.asarray(array).tolist())


def check_reset_then_result(ctx: Context, data: st.DataObject) -> None:
    """result() right after reset() equals a new metric's (a cached value must not survive reset). Where a new
    metric's result() raises (it has no value before its first update), the metric after reset must raise the same
    way: a value there is one left from before the reset."""
    batches = [b for b in ctx.draw.batches(data) if len(b)] or ctx.draw.batches(data)
    example = Example(batches, details={"sequence": "update each batch, result(), reset(), result()",
                                        "execution_mode": "eager"})

    # Eager: two new metric objects per example, and a compiled update would be traced anew for each (a stale
    # cache after reset() is the object's state, whatever the mode its update runs in).
    try:
        with recording.side("a new metric"):
            expected: np.ndarray | None = np.asarray(ctx.run.new_metric(batches, mode="eager").result(), np.float64)
        raised: Exception | None = None
    except Exception as error:  # no value before an update: after reset, the same exception is expected
        expected, raised = None, error
    with recording.side("updated, result(), reset(), result()"):
        metric = ctx.run.new_metric(batches, mode="eager")

    def fill() -> np.ndarray:
        for batch in batches:
            metric.update(batch)
        return metric.result()

    ctx.run.guarded(example, fill, side="updated, result(), reset(), result()")  # an update that raises is judged
    try:
        with recording.side("updated, result(), reset(), result()"):
            metric.reset()
            observed = np.asarray(metric.result(), np.float64)
    except Exception as error:
        if raised is not None and type(error) is type(raised):
            ctx.tally.notes.add(f"result() raises {type(raised).__name__} before any update, and again right after "
                                "reset(), as a new metric does")
            ctx.tally.count_error(0.0, 0.0)
            return
        new = f"a new metric raises {type(raised).__name__}" if raised is not None else "a new metric returns a value"
        raise LibraryError(f"result() after reset() raised {type(error).__name__}: {error} where {new}",
                           example) from error
    if raised is not None:
        # A metric built on its first update (Keras' F1Score, R2Score) raises before it; reset() keeps what was built
        # and empties it, so the value of no data is what it should give: anything else was left from before.
        no_data = _value_of_no_data(ctx, batches)
        # NaN (undefined: 0 / 0 of empty sums) is no data's value whatever the reference's convention there.
        undefined = np.isnan(observed).all()
        if undefined or (no_data is not None and np.shape(observed) == np.shape(no_data)
                         and np.array_equal(observed, no_data, equal_nan=True)):
            ctx.tally.notes.add(f"result() raises {type(raised).__name__} before any update (the metric is built "
                                "on its first); right after reset() it gives the value of no data, "
                                f"{_values(observed)}")
            ctx.tally.count_error(0.0, 0.0)
            return
        raise Violation(f"result() right after reset() returned {_values(observed)} where a new metric's result() "
                        f"raises {type(raised).__name__} ({raised}) and no data's value is "
                        f"{'undefined' if no_data is None else _values(no_data)}: a value left from before the reset",
                        example, np.full(np.shape(observed), np.nan) if no_data is None else no_data, observed,
                        float("inf"), 0.0)
    if not np.array_equal(observed, expected, equal_nan=True):
        raise Violation("result() right after reset() returned a stale value, not a new metric's",
                        example, expected, observed, float(np.nanmax(np.abs(observed - expected), initial=0.0)), 0.0)
    ctx.tally.count_error(0.0, 0.0)


def _value_of_no_data(ctx: Context, batches: list[Batch]) -> np.ndarray | None:
    """The reference's value on no samples (its convention for an empty state: 0 for a ratio of empty sums, NaN where
    it is undefined), shaped as the metric's; None where the reference raises on them."""
    try:
        return ctx.spec.reference_value(batches[0].take(slice(0, 0)))
    except Exception:
        return None

