"""Behaviours of a library as a whole, declared once and added to each of its metrics."""

from __future__ import annotations

from conformance.catalogue.model import (
    EVERY_PROPERTY,
    KnownDifference,
)
from conformance.data import Batch


def _all_weights_zero(batches: list[Batch]) -> bool:
    return any(b.sample_weight is not None and len(b) and not b.sample_weight.any() for b in batches)


def _some_batch_empty(batches: list[Batch]) -> bool:
    return any(len(b) == 0 for b in batches)


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
)
