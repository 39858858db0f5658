"""A plain function given to Keras ``compile(metrics=[fn])``: what compile() reports against the reference.

Keras wraps the function in ``MeanMetricWrapper`` (keras/src/trainers/compile_utils.py::get_metric),
which averages whatever the function returns over samples: exact when the function returns one value
per sample, a mean of per-batch values when it returns one value per batch.
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis import target

from conformance.context import Context
from conformance.data import Example, concatenate
from conformance.failures import Violation
from conformance.tolerance import compare


def returns_per_sample(ctx: Context, batch) -> bool | None:
    """Whether the function returns one value per sample (True) or one per batch (False)."""
    if not len(batch):
        return None
    instance = ctx.adapter.wrap(ctx.run.new_object([batch]), ctx.binding, ctx.spec.params)
    (y_true, y_pred), _ = instance.arrays(batch)
    try:
        values = np.asarray(ctx.adapter.target.obj(y_true, y_pred))
    except Exception:
        return None
    return values.ndim >= 1 and values.shape[0] == len(batch)


def check_compile_average(ctx: Context, data: st.DataObject) -> None:
    """Over drawn batch sizes, the value compile() reports (MeanMetricWrapper) equals the whole-data reference.

    As fit() and evaluate() feed ``metrics=[fn]``: no sample weights (those go to ``weighted_metrics``, checked
    by model_evaluate) and no empty batch (checked by empty_batches)."""
    batches = [b for b in ctx.draw.batches(data, weights=False) if len(b)]
    if not batches:
        return
    example = Example(batches, details={"as": "compile(metrics=[fn]): MeanMetricWrapper(fn) over these batches"})
    per_sample = next((s for s in (returns_per_sample(ctx, b) for b in batches) if s is not None), None)
    mode = {True: "exact form: the function returns per-sample values, which compile() averages with their weights",
            False: "per-batch averaged: the function returns one value per batch and compile() averages those",
            None: "the function's output could not be classified"}[per_sample]
    ctx.tally.notes.add(mode)
    if per_sample is False and len(batches) == 1:  # one batch: no averaging to blame for a difference
        mode = "on a single batch, so not the averaging: the function's own value on this batch"
    observed = ctx.run.stream(batches, example)
    expected = ctx.spec.reference_value(concatenate(batches))
    within, error, bound = compare(observed, expected, ctx.judge.tolerance(batches))
    gap = float(error) if np.isfinite(error) else float("inf")
    target(min(gap, 1e300), label="error of what compile() reports")
    largest = ctx.adapter.cache.get("largest_error", 0.0)
    ctx.adapter.cache["largest_error"] = max(largest, gap)
    if not within:
        violation = Violation(f"compile() reports a value off the whole-data reference ({mode})", example, expected,
                              observed, error, bound)
        violation.against = "reference"
        raise violation
