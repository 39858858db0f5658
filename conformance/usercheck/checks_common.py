"""Checks on any user metric beyond the harness's properties: empty batches, long streams, counts past
2^24 and result() right after reset(). Each is a property check ``(ctx, data) -> None`` as in
``conformance.properties``: it draws through the Context and raises Violation / LibraryError."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from conformance.data import Batch, Example, concatenate, with_other_targets
from conformance.properties import Context, LibraryError, Violation
from conformance.tolerance import UNIT_ROUNDOFF, Tolerance, compare

LONG_STREAM = 2**17  # 131,072 samples: past 2048 (float16 counters stop adding 1) and 65,504 (float16 max)
LONG_FIRST_BATCH = 2048  # then single samples, which a float16 count of 2048 no longer adds
LONG_SINGLES = 64
LONG_BIG_BATCH = 4096
PAST_2_24_BATCH = 2**20  # 16 updates of 2^20 samples reach 2^24, where float32 stops adding 1
PAST_2_24_SINGLES = 512


def check_empty_batches(ctx: Context, data: st.DataObject) -> None:
    """Empty batches before, between and after the data change nothing (a DataLoader's last batch can be empty)."""
    batches = [b for b in ctx.draw_batches(data) if len(b)]
    if not batches:
        return
    empty = batches[0].take(slice(0, 0))
    with_empties = [empty]
    for batch in batches:
        with_empties += [batch, empty]
    example = Example(with_empties, details={"compared_with": "the same batches without the empty ones"})
    ctx.expect_same(ctx.stream(with_empties, example), ctx.stream(batches, example), example,
                    "empty batches changed the value", observed_batches=batches, expected_batches=batches)


def _tiled(batch: Batch, total: int) -> Batch:
    return batch.take(np.resize(np.arange(len(batch)), total))


def check_long_stream(ctx: Context, data: st.DataObject) -> None:
    """A drawn sample set tiled to 131,072 samples: 2048 in one batch, 64 single samples, then 4096-sample batches.

    The set is the drawn samples and the same with other targets (``with_other_targets``), so that its value
    is not one that a miscount leaves unchanged (a mean error of 0 is 0 whatever the count)."""
    drawn = ctx.draw_inputs(data, weights=False)
    base = concatenate([drawn, with_other_targets(drawn)])
    whole = _tiled(base, LONG_STREAM)
    rest = LONG_STREAM - LONG_FIRST_BATCH - LONG_SINGLES
    big = rest // LONG_BIG_BATCH
    sizes = [LONG_FIRST_BATCH] + [1] * LONG_SINGLES + [LONG_BIG_BATCH] * big + [rest - big * LONG_BIG_BATCH]
    batches = whole.split(sizes)
    example = Example([base], details={"tiled_to_samples": LONG_STREAM, "batch_sizes": f"{LONG_FIRST_BATCH}, then "
                                       f"{LONG_SINGLES} x 1, then {big} x {LONG_BIG_BATCH}, then {sizes[-1]}"})
    observed = ctx.stream(batches, example)
    ctx.expect_reference(observed, batches, example, f"after {LONG_STREAM:,} samples the value", whole=whole)


def _exactly_summable(batch: Batch) -> Batch:
    """Values whose float32 sums are exact: scores on a 1/8 grid, real values as integers in [-3, 3]."""
    y_pred = batch.y_pred
    if np.issubdtype(batch.y_true.dtype, np.floating):  # regression
        return Batch(np.clip(np.round(batch.y_true), -3, 3).astype(np.float32),
                     np.clip(np.round(y_pred), -3, 3).astype(np.float32), None, batch.num_classes)
    return Batch(batch.y_true, (np.round(np.clip(y_pred, 0, 1) * 8) / 8).astype(np.float32), None, batch.num_classes)


def check_counts_past_2_24(ctx: Context, data: st.DataObject) -> None:
    """2^24 samples in 16 updates, then 1024 single-sample updates: the last 1024 must still count.

    A float32 counter holds 2^24 exactly but 2^24 + 1 rounds back to 2^24, so it stops counting
    single samples there; so does a float32 running total. The values are chosen so that every sum is
    exact in float32 and the tail's targets differ from the first 2^24 samples (so counting it moves
    the value): a metric with wider state ends within float32 rounding of the reference.
    """
    sizes = [2, 4, 8] if ctx.spec.domain.both_classes else [1, 2, 4, 8]  # powers of 2: they tile 2^20 exactly
    size = data.draw(st.sampled_from(sizes), label="distinct samples")
    base = _exactly_summable(ctx.draw_inputs(data, weights=False, n=size))
    tail = with_other_targets(base)
    big = _tiled(base, PAST_2_24_BATCH)
    singles = [tail.take(slice(i % len(tail), i % len(tail) + 1)) for i in range(PAST_2_24_SINGLES)]
    copies, tail_copies = 2**24 // len(base), PAST_2_24_SINGLES // len(tail)
    example = Example([base, tail], details={"fed": f"the first batch {copies:,} times in 16 updates of 2^20 "
                                             f"samples, then the second one sample per update, {tail_copies} times"})

    def run() -> np.ndarray:
        metric = ctx.new_metric([base])
        for _ in range(16):
            metric.update(big)
        before = metric.result()
        for single in singles:
            metric.update(single)
        return np.stack([before, metric.result()])

    before, after = ctx.guarded(example, run)
    weight = np.float32
    expected_before = ctx.spec.reference_value(base.with_weights(np.full(len(base), copies, weight)))
    expected_after = ctx.spec.reference_value(concatenate([base.with_weights(np.full(len(base), copies, weight)),
                                                           tail.with_weights(np.full(len(tail), tail_copies, weight))]))
    # A correct metric's value here is float32 rounding (a few ulps) away from the reference: every sum is exact.
    # A count stuck at 2^24 is off by up to 512 / 2^24 = 3e-5 of the value, 16 times this bound.
    tolerance = Tolerance(rtol=32 * UNIT_ROUNDOFF["float32"], atol=0.0)
    moved, expected_move = after - before, expected_after - expected_before
    if np.all(np.abs(expected_move) <= 4 * tolerance.bound(expected_after)):
        return  # the tail happens not to move this value: nothing to see
    within, error, bound = compare(after, expected_after, tolerance)
    if not within:
        raise Violation(f"after 2^24 samples, {PAST_2_24_SINGLES} more (one per update) moved the value by "
                        f"{_values(moved)} instead of {_values(expected_move)}: a float32 (or narrower) count or "
                        "total stops growing by 1 at 2^24; keep counts in float64 or int64",
                        example, expected_after, after, error, bound)


def _values(array: np.ndarray) -> str:
    return f"{np.asarray(array, np.float64).tolist():.6g}" if np.ndim(array) == 0 else str(np.asarray(array).tolist())


def check_reset_then_result(ctx: Context, data: st.DataObject) -> None:
    """result() right after reset() equals a new metric's (a cached value must not survive reset)."""
    batches = [b for b in ctx.draw_batches(data) if len(b)] or ctx.draw_batches(data)
    example = Example(batches, details={"sequence": "update each batch, result(), reset(), result()"})

    def fresh() -> np.ndarray:
        return ctx.new_metric(batches).result()

    def after_reset() -> np.ndarray:
        metric = ctx.new_metric(batches)
        for batch in batches:
            metric.update(batch)
        metric.result()
        metric.reset()
        return metric.result()

    try:
        expected = np.asarray(fresh(), np.float64)
    except Exception:
        return  # a new metric has no value to compare with (it raises before any update)
    try:
        observed = np.asarray(after_reset(), np.float64)
    except Exception as error:
        raise LibraryError(f"result() after reset() raised {type(error).__name__}: {error} where a new metric "
                           "returns a value", example) from error
    if not np.array_equal(observed, expected, equal_nan=True):
        raise Violation("result() right after reset() returned a stale value, not a new metric's",
                        example, expected, observed, float(np.nanmax(np.abs(observed - expected), initial=0.0)), 0.0)
