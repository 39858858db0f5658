"""Multilabel ranking metrics: coverage error, label ranking loss, label ranking average precision."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue.model import (
    EVERY_PROPERTY,
    NUM_CLASSES,
    Binding,
    KnownDifference,
    MetricSpec,
    Witness,
    batch,
    empty,
)
from conformance.data import Batch
from conformance.domains import MULTILABEL_SCORES

KERAS_ABSENT = {"keras": "Keras has no multilabel ranking metrics (nearest: AUC(multi_label=True), per label "
                         "rather than per sample)"}


def _multilabel_ranking(name: str, function: Callable[..., float], sklearn_function: str, torch_class: str,
                        *, known: tuple[KnownDifference, ...] = ()) -> MetricSpec:
    return MetricSpec(
        name=name, reference=function, domain=MULTILABEL_SCORES, decomposition="mean", growth=tol.RATIO,
        scale=1.0,
        bindings={
            "sklearn": Binding(f"sklearn.metrics.{sklearn_function}"),
            "torchmetrics": Binding(f"torchmetrics.classification.{torch_class}", {"num_labels": NUM_CLASSES},
                                    weights=False),
        },
        known=known, absent=KERAS_ABSENT,
    )


TORCHMETRICS_RANKING_LOSS_TIES: dict[str, Any] = dict(
    what="torchmetrics orders tied labels by torch.argsort's arbitrary order, so a tied (true, false) pair counts as "
         "wrongly ordered or not depending on positions; the reference (scikit-learn's rule) always counts it as "
         "wrong. Checked: the value lies between counting every tied pair as wrong and as right.",
    cause="_multilabel_ranking_loss_update ranks with preds.argsort(dim=1).argsort(dim=1), which breaks ties, "
          "instead of counting the labels that score at least as high.",
    where="torchmetrics/functional/classification/ranking.py::_multilabel_ranking_loss_update",
    bounds=({"tied_pairs": "correct"}, {"tied_pairs": "incorrect"}),
)


SKLEARN_LRAP_ZERO_WEIGHTS = KnownDifference(
    "sklearn", what="With every sample weight zero, scikit-learn's label_ranking_average_precision_score returns NaN "
    "(0 / 0) where the reference returns 0.0 (its zero-division value).",
    cause="label_ranking_average_precision_score accumulates weighted row scores and divides by "
          "np.sum(sample_weight) with no check.",
    where="sklearn/metrics/_ranking.py::label_ranking_average_precision_score",
    raises="returned NaN", trigger=lambda batches: all(
        b.sample_weight is not None and not b.sample_weight.any() for b in batches if len(b)),
)

def _degenerate_batch_counted_once(batch: Batch) -> Batch:
    """A batch whose every row has no true or only true labels (an empty batch too) as one such row (of loss 0)."""
    if len(batch):
        positives = batch.y_true.sum(axis=1)
        if ((positives > 0) & (positives < batch.y_true.shape[1])).any():
            return batch
    width = batch.y_true.shape[1] if batch.y_true.ndim == 2 else (batch.num_classes or 1)
    return Batch(y_true=np.zeros((1, width), batch.y_true.dtype), y_pred=np.zeros((1, width), np.float32),
                 sample_weight=None if batch.sample_weight is None else np.ones(1, np.float32),
                 num_classes=batch.num_classes)


TORCHMETRICS_RANKING_LOSS_COUNT = KnownDifference(
    "torchmetrics", what="torchmetrics' MultilabelRankingLoss counts an update whose rows all have no true or only "
    "true labels (an empty update too) as one sample, so the stream's mean divides by the wrong number of samples: "
    "update([[0.2, 0.8]], [[1, 0]]) then three rows of [1, 1] / [0, 0] gives 0.5, not 1/4. (With the ties' sides "
    "of the ranking loss, which the same examples may have.)",
    cause="_multilabel_ranking_loss_update: 'if len(loss) == 0: return torch.tensor(0.0), 1' after dropping such "
          "rows, instead of (0.0, num_preds).",
    where="torchmetrics/functional/classification/ranking.py::_multilabel_ranking_loss_update",
    per_batch=_degenerate_batch_counted_once, bounds=TORCHMETRICS_RANKING_LOSS_TIES["bounds"], kind="defect",
    properties=EVERY_PROPERTY,
    # Three rows with no or only true labels in one update; outside, one of them has both.
    witness=Witness(inside=(batch([[1, 0]], [[0.2, 0.8]], num_classes=2),
                            batch([[1, 1], [0, 0], [1, 1]], [[0.5, 0.1], [0.3, 0.7], [0.2, 0.9]], num_classes=2)),
                    outside=(batch([[1, 0]], [[0.2, 0.8]], num_classes=2),
                             batch([[1, 1], [0, 1], [1, 1]], [[0.5, 0.1], [0.3, 0.7], [0.2, 0.9]], num_classes=2))),
)


LABEL_SETS = batch([[1, 0, 1], [0, 1, 0]], [[0.9, 0.2, 0.4], [0.1, 0.7, 0.3]], num_classes=3)


def some_batch_empty(batches: list[Batch]) -> bool:
    return any(len(b) == 0 for b in batches)


TORCHMETRICS_COVERAGE_EMPTY_BATCH = KnownDifference(
    "torchmetrics", what="torchmetrics' MultilabelCoverageError raises on an empty batch (zero samples) instead of "
    "leaving the state unchanged, so a stream with an empty batch fails.",
    cause="_multilabel_coverage_error_update offsets false labels by preds.min().abs() + 10, and Tensor.min() of "
          "an empty tensor raises ('min(): Expected reduction dim to be specified for input.numel() == 0').",
    where="torchmetrics/functional/classification/ranking.py::_multilabel_coverage_error_update",
    raises="Expected reduction dim to be specified for input.numel", trigger=some_batch_empty,
    properties=EVERY_PROPERTY, kind="defect",
    witness=Witness(inside=(LABEL_SETS, empty(LABEL_SETS)), outside=(LABEL_SETS,)),
)

SPECS: tuple[MetricSpec, ...] = (
    _multilabel_ranking("CoverageError", ref.coverage_error, "coverage_error", "MultilabelCoverageError",
                        known=(TORCHMETRICS_COVERAGE_EMPTY_BATCH,)),
    _multilabel_ranking("LabelRankingLoss", ref.label_ranking_loss, "label_ranking_loss", "MultilabelRankingLoss",
                        known=(KnownDifference("torchmetrics", **TORCHMETRICS_RANKING_LOSS_TIES),
                               TORCHMETRICS_RANKING_LOSS_COUNT)),
    _multilabel_ranking("LabelRankingAveragePrecision", ref.label_ranking_average_precision,
                        "label_ranking_average_precision_score", "MultilabelRankingAveragePrecision",
                        known=(SKLEARN_LRAP_ZERO_WEIGHTS,)),
)
