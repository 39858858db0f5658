"""Checks on any user metric beyond the harness's properties: empty batches, long streams, counts past
2^24 and result() right after reset(). Each is a property check ``(ctx, data) -> None`` as in
``conformance.properties``: it draws through the Context and raises Violation / LibraryError."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from conformance import recording
from conformance.context import Context
from conformance.data import Batch, Example, concatenate, with_other_targets
from conformance.failures import LibraryError, Limit, Violation
from conformance.tolerance import compare, tolerance_for

LONG_STREAM = 2**17  # 131,072 samples: past 2048 (float16 counters stop adding 1) and 65,504 (float16 max)
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


def _first_wrong(ctx: Context, whole: Batch, sizes: list[int], marks: list[int],
                 values: np.ndarray) -> int | None:
    """The position in ``marks`` of the first value off the reference on the samples fed so far, or None."""
    counts = np.cumsum(sizes)
    for position, index in enumerate(marks):
        fed = whole.take(slice(0, int(counts[index])))
        tolerance = ctx.judge.tolerance(fed.split(sizes[:index + 1]))
        if not compare(values[position], ctx.spec.reference_value(fed), tolerance)[0]:
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
    wrong = _first_wrong(ctx, whole, sizes, marks, values)
    if wrong is not None:
        fed = whole.take(slice(0, int(np.cumsum(sizes)[marks[wrong]])))
        ctx.expect_reference(values[wrong], batches[:marks[wrong] + 1], example,
                             f"after {len(fed)} samples (long before any precision limit) the value", whole=fed)


def check_long_stream(ctx: Context, data: st.DataObject) -> None:
    """A drawn sample set tiled to 131,072 samples: 2048 in one batch, 64 single samples, then 4096-sample batches.

    The set is the drawn samples and the same with other targets (``with_other_targets``), so that its value
    is not one that a miscount leaves unchanged (a mean error of 0 is 0 whatever the count). The same pattern on
    512 samples must be right first: a value wrong there is wrong, one wrong only on the long stream is a precision
    limit (outcome ``limit``), which starts at the first count where the value read is off."""
    drawn = ctx.draw.inputs(data, weights=False)
    base = concatenate([drawn, with_other_targets(drawn)])
    _expect_right_when_short(ctx, base, 512, 16, LONG_SINGLES, 32, "the long stream's pattern")
    total = ctx.adapter.cache.get("long_stream_samples", LONG_STREAM) if hasattr(ctx.adapter, "cache") else LONG_STREAM
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
    wrong = _first_wrong(ctx, whole, sizes, marks, values)
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


def _exactly_summable(batch: Batch) -> Batch:
    """Values whose float32 sums are exact: scores on a 1/8 grid, real values as integers in [-3, 3]."""
    y_pred = batch.y_pred
    if np.issubdtype(batch.y_true.dtype, np.floating):  # regression
        return Batch(np.clip(np.round(batch.y_true), -3, 3).astype(np.float32),
                     np.clip(np.round(y_pred), -3, 3).astype(np.float32), None, batch.num_classes)
    return Batch(batch.y_true, (np.round(np.clip(y_pred, 0, 1) * 8) / 8).astype(np.float32), None, batch.num_classes)


def check_counts_past_2_24(ctx: Context, data: st.DataObject) -> None:
    """2^24 samples in 16 updates, then 512 single-sample updates: the last 512 must still count.

    A float32 counter holds 2^24 exactly but 2^24 + 1 rounds back to 2^24, so it stops counting
    single samples there; so does a float32 running total. The values are chosen so that every sum is
    exact in float32 and the tail's targets differ from the first 2^24 samples (so counting it moves
    the value). The same updates at a small scale must give the reference first: a value wrong there is a
    wrong value; one wrong only past 2^24 is the precision limit (outcome ``limit``), not a wrong value.
    """
    sizes = [2, 4, 8] if ctx.spec.domain.both_classes else [1, 2, 4, 8]  # powers of 2: they tile 2^20 exactly
    size = data.draw(st.sampled_from(sizes), label="distinct samples")
    base = _exactly_summable(ctx.draw.inputs(data, weights=False, n=size))
    tail = with_other_targets(base)
    _expect_short_counts(ctx, base, tail)
    big = _tiled(base, PAST_2_24_BATCH)
    singles = [tail.take(slice(i % len(tail), i % len(tail) + 1)) for i in range(PAST_2_24_SINGLES)]
    copies, tail_copies = 2**24 // len(base), PAST_2_24_SINGLES // len(tail)
    example = Example([base, tail], details={"fed": f"the first batch {copies:,} times in 16 updates of 2^20 "
                                             f"samples, then the second one sample per update, {tail_copies} times",
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
    weight = np.float32
    expected_before = ctx.spec.reference_value(base.with_weights(np.full(len(base), copies, weight)))
    expected_after = ctx.spec.reference_value(concatenate([base.with_weights(np.full(len(base), copies, weight)),
                                                           tail.with_weights(np.full(len(tail), tail_copies, weight))]))
    # Every sum is exact, so a correct metric's error is its formula's own rounding: the spec's bound for the few
    # distinct terms (not for 2^24 of them). A count stuck at 2^24 is off by up to 512 / 2^24 = 3e-5 of the value.
    tolerance = tolerance_for(ctx.adapter.result_dtype, len(base) + len(tail), 2, growth=ctx.spec.growth,
                              scale=ctx.spec.scale)
    moved, expected_move = after - before, expected_after - expected_before
    if np.all(np.abs(expected_move) <= 4 * tolerance.bound(expected_after)):
        return  # the tail happens not to move this value: nothing to see
    within_before = compare(before, expected_before, tolerance)[0]
    within, error, bound = compare(after, expected_after, tolerance)
    if not within:
        starts = 2**24 if within_before else PAST_2_24_BATCH
        where = ("after 2^24 samples, 512 more (one per update) moved the value by "
                 f"{_values(moved)} instead of {_values(expected_move)}" if within_before else
                 f"after 2^24 samples in updates of 2^20 the value is already off ({_values(before)} instead of "
                 f"{_values(expected_before)})")
        raise Limit(f"{where}, though right at a small scale: a float32 (or narrower) count or total stops growing "
                    "by 1 at 2^24, a precision limit; keep counts in float64 or int64 to go past it",
                    example, expected_after, after, error, bound, starts)


def _expect_short_counts(ctx: Context, base: Batch, tail: Batch) -> None:
    """counts_past_2_24's updates at a small scale (16 updates of the base batch tiled 4 times, then the tail one
    sample per update, 64 times) must give the reference: else the value is wrong long before 2^24."""
    big = _tiled(base, 4 * len(base))
    batches = [big] * 16 + [tail.take(slice(i % len(tail), i % len(tail) + 1)) for i in range(64)]
    example = Example(batches, details={"stream": "counts_past_2_24's updates at a small scale"})
    ctx.expect_reference(ctx.run.stream(batches, example, side="the same updates at a small scale"), batches,
                         example, f"after {sum(len(b) for b in batches)} samples (long before 2^24) the value")


def _values(array: np.ndarray) -> str:
    return f"{np.asarray(array, np.float64).tolist():.6g}" if np.ndim(array) == 0 else str(np.asarray(array).tolist())


def check_reset_then_result(ctx: Context, data: st.DataObject) -> None:
    """result() right after reset() equals a new metric's (a cached value must not survive reset)."""
    batches = [b for b in ctx.draw.batches(data) if len(b)] or ctx.draw.batches(data)
    example = Example(batches, details={"sequence": "update each batch, result(), reset(), result()",
                                        "execution_mode": "eager"})

    # Eager: two new metric objects per example, and a compiled update would be traced anew for each (a stale
    # cache after reset() is the object's state, whatever the mode its update runs in).
    try:
        with recording.side("a new metric"):
            expected = np.asarray(ctx.run.new_metric(batches, mode="eager").result(), np.float64)
    except Exception:
        return  # a new metric has no value to compare with (it raises before any update)
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
        raise LibraryError(f"result() after reset() raised {type(error).__name__}: {error} where a new metric "
                           "returns a value", example) from error
    if not np.array_equal(observed, expected, equal_nan=True):
        raise Violation("result() right after reset() returned a stale value, not a new metric's",
                        example, expected, observed, float(np.nanmax(np.abs(observed - expected), initial=0.0)), 0.0)

