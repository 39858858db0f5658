"""Behaviours of a library as a whole, declared once and added to each of its metrics."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from conformance.catalogue.model import (
    EVERY_PROPERTY,
    KnownDifference,
)
from conformance.data import Batch


def _all_weights_zero(batches: list[Batch]) -> bool:
    return any(b.sample_weight is not None and len(b) and not b.sample_weight.any() for b in batches)


def _some_batch_empty(batches: list[Batch]) -> bool:
    return any(len(b) == 0 for b in batches)


def _flush_subnormals(batch: Batch) -> Batch:
    """Scores and weights with every subnormal float32 (|x| < 1.18e-38) replaced by 0, as flush-to-zero computes."""
    def flushed(values: np.ndarray | None) -> np.ndarray | None:
        if values is None or not np.issubdtype(values.dtype, np.floating):
            return values
        subnormal = (values != 0) & (np.abs(values) < np.finfo(np.float32).tiny)
        return np.where(subnormal, np.zeros_like(values), values) if subnormal.any() else values
    y_pred, weight = flushed(batch.y_pred), flushed(batch.sample_weight)
    if y_pred is batch.y_pred and weight is batch.sample_weight:
        return batch  # the same object: nothing to flush
    return replace(batch, y_pred=y_pred, sample_weight=weight)


# Behaviours of a library as a whole, declared once and added to each of its metrics below.
LIBRARY_WIDE: tuple[KnownDifference, ...] = (
    KnownDifference(
        "sklearn", what="scikit-learn raises when every sample weight is zero; the reference returns 0.0 "
        "(no weighted sample: its zero-division value).",
        cause="_check_sample_weight(..., allow_all_zero_weights=False) raises 'Sample weights must contain at "
              "least one non-zero number.'; np.average raises 'Weights sum to zero'.",
        where="sklearn/utils/validation.py::_check_sample_weight; sklearn/utils/_array_api.py::_average",
        raises="Sample weights must contain at least one non-zero number|Weights sum to zero",
        trigger=_all_weights_zero, properties=EVERY_PROPERTY,
    ),
    KnownDifference(
        "torchmetrics", what="torchmetrics classification metrics raise on an empty batch (zero samples) "
        "instead of leaving the state unchanged, so a stream with an empty batch fails.",
        cause="The input formatting reshapes with an inferred dimension, preds.reshape(preds.shape[0], -1), which "
              "PyTorch refuses for a tensor of 0 elements ('cannot reshape tensor of 0 elements').",
        where="torchmetrics/functional/classification/stat_scores.py::_binary_stat_scores_format (line 112) "
              "and _multiclass_stat_scores_format (line 342)",
        raises="cannot reshape tensor of 0 elements", trigger=_some_batch_empty, kind="defect",
        properties=EVERY_PROPERTY,
    ),
    KnownDifference(
        "keras", what="On the TensorFlow backend (CPU), subnormal float32 inputs (|x| < 1.18e-38) count as 0: a "
        "score of 1.5e-43 is not greater than 0 and ties with 0.0 in argmax, so [0, 1.5e-43, 0] predicts class 0.",
        cause="TensorFlow runs its CPU kernels with flush-to-zero and denormals-are-zero set "
              "(tsl::port::ScopedFlushDenormal); observed: keras.ops.greater(1.5e-43, 0.0) is False and "
              "keras.ops.argmax([[0, 1.5e-43, 0]]) is 0.",
        where="tensorflow/include/tsl/platform/denormal.h::ScopedFlushDenormal (the CPU thread pool's setting)",
        per_batch=_flush_subnormals,
    ),
)

# What a library computes on instead of its inputs, whatever the metric: each of its conventions is
# also tried on the inputs so transformed (an example may need both, e.g. Keras' bucketed AUC of
# subnormal weights, which TensorFlow counts as 0).
LIBRARY_INPUTS: dict[str, Callable[[Batch], Batch]] = {"keras": _flush_subnormals}
