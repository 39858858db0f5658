"""Threshold-free ranking metrics: ROC AUC and the precision-recall curve."""

from __future__ import annotations

import numpy as np

import reference as ref
from conformance import tolerance as tol
from conformance.catalogue.model import (
    EVERY_PROPERTY,
    Binding,
    KnownDifference,
    MetricSpec,
)
from conformance.data import Batch
from conformance.domains import BINARY_BOTH_CLASSES


def _weights_span_float32_range(batches: list[Batch]) -> bool:
    """Positive weights whose ratio overflows float32 (max ~3.4e38)."""
    weights = np.concatenate([b.sample_weight for b in batches if b.sample_weight is not None] or [np.ones(1)])
    positive = weights[weights > 0]
    return positive.size > 0 and float(positive.max()) / float(positive.min()) > 1e37


KERAS_PR_AUC_OVERFLOW = KnownDifference(
    "keras", what="With sample weights spanning ~38 orders of magnitude (e.g. 4.0 and 1.2e-38), Keras' PR AUC "
    "returns NaN.",
    cause="interpolate_pr_auc computes safe_p_ratio = P_A / P_B in float32, which overflows to inf; "
          "intercept * log(inf) with intercept 0 is NaN, and ops.divide_no_nan keeps the NaN.",
    where="keras/src/metrics/confusion_metrics.py::AUC.interpolate_pr_auc",
    raises="returned NaN", trigger=_weights_span_float32_range, kind="defect", properties=EVERY_PROPERTY,
)


def _auc(curve: str) -> MetricSpec:
    exact, sklearn_function, torch_class = {
        "ROC": (ref.roc_auc, "roc_auc_score", "BinaryAUROC"),
        "PR": (ref.average_precision, "average_precision_score", "BinaryAveragePrecision"),
    }[curve]
    return MetricSpec(
        name="AUC", reference=exact, variant={} if curve == "ROC" else {"curve": curve},
        domain=BINARY_BOTH_CLASSES, decomposition="none", growth=tol.CURVE, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.AUC", {} if curve == "ROC" else {"curve": curve}),
            "sklearn": Binding(f"sklearn.metrics.{sklearn_function}"),
            "torchmetrics": Binding(f"torchmetrics.classification.{torch_class}", {"thresholds": None},
                                    weights=False),
        },
        known=(KnownDifference(
            "keras",
            what=f"Keras approximates the {curve} curve at 200 evenly spaced thresholds (scores in one bucket "
                 "count as tied)" + ("; for PR it interpolates precision between buckets (Davis & Goadrich) "
                                     "where the reference sums exact steps (average precision)." if curve == "PR"
                                     else " where the reference uses every distinct score."),
            cause="AUC(num_thresholds=200) buckets scores with ceil(p * (T - 1)) - 1 and sums over the "
                  "buckets; the docs: 'the quality of the approximation may vary dramatically depending "
                  "on num_thresholds'.",
            where="keras/src/metrics/confusion_metrics.py::AUC; "
                  "keras/src/metrics/metrics_utils.py::_update_confusion_matrix_variables_optimized",
            reference=ref.bucketed_auc, overrides={"curve": curve, "num_thresholds": 200},
        ), *([KERAS_PR_AUC_OVERFLOW] if curve == "PR" else [])),
    )


SPECS: tuple[MetricSpec, ...] = (
    _auc("ROC"),
    _auc("PR"),
)
