"""input_dtypes: one drawn example presented in every dtype users' data comes in, each value judged against the
reference within the tolerance of the dtype the library documents computing in.

Real values (scores, real targets, sample weights) come as float16, bfloat16 and float64 besides the canonical
float32; labels (class targets, predicted labels) as int32, booleans (where they are 0/1) and float32 besides the
canonical int64; a Keras metric is also built and fed under the ``mixed_float16`` policy, float16 predictions as a
mixed-precision model outputs them. A float64 presentation asks the metric to compute in float64 the way its library
documents (Keras' ``dtype=``, torchmetrics' ``set_dtype``), so a metric that narrows float64 inputs to float32 anyway
shows a float32 error where the float64 bound holds. Each presentation's values are exact in its dtype (see
conformance/dtypes.py), so the reference sees the very numbers the library sees.

What a difference is: a value off the reference beyond the bound of the dtype the library computes in
(``Adapter.computes_in``), an overflow (inf or NaN where the reference is finite), or an error on a dtype the library
documents taking (``Adapter.documents``). An error on a dtype it does not document is a note. A difference the
canonical presentation shows too is not a dtype's doing: the other properties report it.

Each presentation is a side of the record (see conformance.recording): a finding's snippet makes and feeds the metric
as the failing presentation did, its arrays in their dtypes, the metric set up for them (``dtype=``, ``set_dtype``,
the global dtype policy), and nothing of the presentations that agreed.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
from hypothesis import strategies as st

from conformance import recording
from conformance.context import Context
from conformance.data import Batch, Example
from conformance.dtypes import MIXED_FLOAT16, Presented, bfloat16_available, values_for
from conformance.failures import Explained, LibraryError, Violation
from conformance.usercheck.inputs import label_dtypes

CANONICAL_LABELS = "int64"
# The binding's presentations of y_pred that are real values (scores; log-probabilities, torchmetrics' log_prob=True);
# the others are labels (above a threshold, an argmax, sorted ids).
REAL_PREDICTIONS = ("scores", "log")


def _labels(ctx: Context, batch: Batch) -> tuple[bool, bool, bool]:
    """``(y_true is labels, y_pred is labels, every label array holds 0/1 only)`` as the binding presents them."""
    binding, domain = ctx.binding, ctx.spec.domain
    true_labels = binding.y_true == "onehot" or not np.issubdtype(batch.y_true.dtype, np.floating)
    pred_labels = binding.y_pred not in REAL_PREDICTIONS or not np.issubdtype(batch.y_pred.dtype, np.floating)
    binary = ((not true_labels or binding.y_true == "onehot" or domain.binary_labels)
              and (not pred_labels or binding.y_pred == "above-threshold" or domain.binary_labels))
    return true_labels, pred_labels, binary


def presentations(ctx: Context, batch: Batch) -> list[Presented]:
    """The presentations of ``batch`` this target gets: each other float dtype for its real values, each other label
    dtype for its labels, and the dtype policies of its library."""
    true_labels, pred_labels, binary = _labels(ctx, batch)
    weighted = ctx.binding.weights and batch.sample_weight is not None
    found: list[Presented] = []
    if not (true_labels and pred_labels and not weighted):  # some real values to present
        for dtype in ("float16", "bfloat16", "float64"):
            if dtype == "bfloat16" and not bfloat16_available():
                ctx.tally.notes.add("bfloat16 not presented: ml_dtypes is not installed")
                continue
            compute = "float64" if dtype == "float64" and ctx.adapter.sets_compute_dtype(ctx.binding) else None
            presented = Presented(dtype, y_true=None if true_labels else dtype, y_pred=None if pred_labels else dtype,
                                  weights=dtype if weighted else None, compute=compute)
            if ctx.adapter.computes_in(replace(ctx.binding, dtypes=presented)) != dtype and dtype == "float64":
                ctx.tally.notes.add("float64 not presented: the metric computes in float32 whatever its inputs and "
                                    "cannot be set to compute in float64 (compile(metrics=[fn]) builds a function's "
                                    "wrapper in floatx; a class whose constructor takes no dtype)")
                continue
            found.append(presented)
    for policy in ctx.adapter.dtype_policies:
        if policy == MIXED_FLOAT16:  # a mixed-precision model's outputs are float16; the data stays as it is
            found.append(Presented(policy, y_pred=None if pred_labels else "float16", policy=policy))
    if true_labels or pred_labels:
        base = ctx.binding.label_dtype or CANONICAL_LABELS
        candidates = (label_dtypes(ctx.adapter.presentation.kind, ctx.adapter.target.kind) if ctx.adapter.user_code
                      else ("int64", "int32", "bool", "float32"))
        for dtype in candidates:
            if dtype == base or (dtype == "bool" and not binary):
                continue
            found.append(Presented(f"{dtype} labels", labels=True, y_true=dtype if true_labels else None,
                                   y_pred=dtype if pred_labels else None))
    return found


def check_input_dtypes(ctx: Context, data: st.DataObject) -> None:
    batch = ctx.draw.inputs(data)
    base = ctx.binding
    for presented in presentations(ctx, batch):
        ctx.binding = replace(base, dtypes=presented)
        try:
            with recording.side(f"with {presented.describe()}"):
                _judge(ctx, presented, values_for(batch, presented))
        except (Violation, LibraryError):
            ctx.binding = base
            with recording.paused():  # evidence for the verdict, not part of the finding's calls
                wrong = _canonical_wrong(ctx, batch)
            if wrong:
                return  # not the dtype's doing: agreement reports it
            raise
        finally:
            ctx.binding = base


def _judge(ctx: Context, presented: Presented, values: Batch) -> None:
    """The library's value on ``values`` presented so, judged against the reference (a note where it rejects a dtype
    it does not document)."""
    example = Example([values], details={"presented_dtypes": presented.to_json()})
    what = presented.describe()
    try:
        value = ctx.run.whole(values, example)
        ctx.expect_reference(value, [values], example, f"with {what} the value")
        with recording.paused():
            narrow = _narrow_state(ctx, values) if presented.policy is not None else []
        if narrow:  # right on these examples, but past 2048 samples a float16 count cannot count
            ctx.tally.notes.add(f"under {presented.policy} its state variables {', '.join(narrow)} are float16 (its "
                                "values on these examples are right, but a float16 count stops at 2048): Keras "
                                "metrics keep their state in floatx")
    except Explained as explained:  # a declared error: counted, and the other presentations still judged
        ctx.tally.observations.append(explained.observation)
    except LibraryError as error:
        if _rejected(error) and not ctx.adapter.documents(ctx.binding):
            ctx.tally.notes.add(f"rejects {presented.name} inputs ({error.message.splitlines()[0][:120]}): not a dtype "
                                "it documents")
            return
        # The dtypes after the library's own words: the error's kind (``returns inf``, ``raises ValueError``) stays.
        wrapped = LibraryError(f"{error.message} (with {what}){_state_evidence(ctx, values)}", example, error.closest)
        wrapped.record, wrapped.observed = error.record, error.observed
        raise wrapped from error
    except Violation as violation:
        violation.message += _state_evidence(ctx, values)
        raise


def _rejected(error: LibraryError) -> bool:
    """Whether the library raised (rather than returning a NaN or an infinity, which is a value, judged)."""
    return not error.message.startswith("returned ")


def _canonical_wrong(ctx: Context, batch: Batch) -> bool:
    """Whether the canonical presentation (float32 values, the binding's labels) is off the reference, or raises."""
    example = Example([batch])
    try:
        value = ctx.run.whole(batch, example)
    except (LibraryError, Explained):
        return True
    return ctx.judge.against_reference(value, [batch], example, "the value").failure is not None


def _narrow_state(ctx: Context, values: Batch) -> list[str]:
    """The names of the metric's state variables held in float16 or bfloat16 under its presentation's dtype policy
    (Keras metrics keep theirs in floatx, float32, under mixed_float16): the pooled object's, or a new one's."""
    metric = next((pooled.metric for key, pooled in (ctx.run.pool or {}).items() if ctx.binding.dtypes in key), None)
    if metric is None:
        try:
            metric = ctx.run.new_object([values])
        except Exception:  # nothing to inspect: the value's verdict stands alone
            return []
    return [getattr(v, "path", None) or getattr(v, "name", "?") for v in getattr(metric, "variables", [])
            if str(getattr(v, "dtype", "")) in ("float16", "bfloat16")]


def _state_evidence(ctx: Context, values: Batch) -> str:
    """Under a dtype policy, the metric's float16 state variables in words (the likely cause); else nothing."""
    if ctx.binding.dtypes is None or ctx.binding.dtypes.policy is None:
        return ""
    with recording.paused():
        narrow = _narrow_state(ctx, values)
    if not narrow:
        return ""
    return (f"; under {ctx.binding.dtypes.policy} its state variables {', '.join(narrow)} are float16 (a count stops "
            "at 2048, a sum keeps 11 bits): Keras metrics keep their state in floatx (float32) under mixed precision; "
            "build variables with the metric's own dtype, not the policy's compute dtype")
