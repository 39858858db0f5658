"""Reference ranking metrics: area under the ROC curve and the precision-recall curve.

Conventions:

* **Exact curves**: every distinct score is a threshold; samples with tied scores enter the curve
  together (one diagonal segment), so the result does not depend on the order of tied samples.
* **Undefined**: with zero total positive or zero total negative weight the ROC AUC, and with zero
  positive weight the average precision, are undefined and returned as NaN.
* **Sample weights** multiply each sample's contribution to every cumulative count.
* The work is one sort (O(n log n)) and cumulative sums (O(n) memory), no loop over samples.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from reference._validation import (
    as_binary_targets,
    as_scores,
    check_option,
    check_same_length,
    check_sample_weight,
    divide,
)


def _binary_inputs(y_true: ArrayLike, y_score: ArrayLike, sample_weight: ArrayLike | None):
    targets, scores = as_binary_targets(y_true), as_scores(y_score)
    weights = check_sample_weight(sample_weight, check_same_length(y_true=targets, y_score=scores))
    return targets, scores, weights


def cumulative_counts(
    y_true: ArrayLike, y_score: ArrayLike, sample_weight: ArrayLike | None = None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Weighted true and false positives at each distinct score, from the highest down.

    Returns ``(thresholds, tps, fps)``: predicting positive for ``score >= thresholds[i]`` gives
    ``tps[i]`` true and ``fps[i]`` false positives.
    """
    targets, scores, weights = _binary_inputs(y_true, y_score, sample_weight)
    order = np.argsort(-scores, kind="stable")
    scores, targets, weights = scores[order], targets[order], weights[order]
    last_of_each_score = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tps = np.cumsum(weights * targets)[last_of_each_score]
    fps = np.cumsum(weights * (1 - targets))[last_of_each_score]
    return scores[last_of_each_score], tps, fps


def roc_auc(y_true: ArrayLike, y_score: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Exact area under the ROC curve (trapezoidal rule over every distinct score).

    Equals the weighted probability that a random positive scores higher than a random negative,
    ties counting one half. NaN when either class has zero total weight.
    """
    _, tps, fps = cumulative_counts(y_true, y_score, sample_weight)
    if tps.size == 0 or tps[-1] == 0 or fps[-1] == 0:
        return float("nan")
    tpr, fpr = np.r_[0.0, tps / tps[-1]], np.r_[0.0, fps / fps[-1]]
    return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))


def average_precision(y_true: ArrayLike, y_score: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Average precision: ``sum_i (R_i - R_{i-1}) P_i`` over distinct scores, highest first.

    The step-wise (non-interpolated) area under the precision-recall curve, as scikit-learn's
    ``average_precision_score`` defines it. NaN when the positives have zero total weight.
    """
    _, tps, fps = cumulative_counts(y_true, y_score, sample_weight)
    if tps.size == 0 or tps[-1] == 0:
        return float("nan")
    precision = divide(tps, tps + fps)
    recall = np.r_[0.0, tps / tps[-1]]
    return float(np.sum(np.diff(recall) * precision))


def bucketed_confusion_counts(
    y_true: ArrayLike, y_score: ArrayLike, *, num_thresholds: int = 200, sample_weight: ArrayLike | None = None
) -> tuple[NDArray[np.float64], ...]:
    """Confusion counts at ``num_thresholds`` evenly spaced thresholds, as Keras' ``AUC`` buckets them.

    Scores are clipped to [0, 1]; a score ``p`` counts as positive at threshold ``i`` when
    ``max(ceil(p * (T - 1)) - 1, 0) >= i``, computed in float32 as Keras does
    (``keras/src/metrics/metrics_utils.py``, ``_update_confusion_matrix_variables_optimized``):
    threshold 0 is ``-epsilon`` (everything is above it), the last is ``1 + epsilon``. Returns
    ``(tp, fp, tn, fn)``, each of length ``num_thresholds``.
    """
    if num_thresholds < 2:
        raise ValueError(f"num_thresholds must be an integer > 1; got {num_thresholds}.")
    targets, scores, weights = _binary_inputs(y_true, y_score, sample_weight)
    clipped = np.clip(scores.astype(np.float32), np.float32(0), np.float32(1))
    buckets = np.ceil(clipped * np.float32(num_thresholds - 1)) - np.float32(1)
    buckets = np.maximum(buckets, 0).astype(np.int64)
    tp = np.cumsum(np.bincount(buckets, weights * targets, num_thresholds)[::-1])[::-1]
    fp = np.cumsum(np.bincount(buckets, weights * (1 - targets), num_thresholds)[::-1])[::-1]
    return tp, fp, fp[0] - fp, tp[0] - tp


def _interpolated_pr_auc(tp: NDArray, fp: NDArray, fn: NDArray) -> float:
    """Keras' closed form of the Davis & Goadrich (2006) interpolated PR area over buckets."""
    dtp = tp[:-1] - tp[1:]
    predicted = tp + fp
    dp = predicted[:-1] - predicted[1:]
    slope = divide(dtp, np.maximum(dp, 0))
    intercept = tp[1:] - slope * predicted[1:]
    both_positive = (predicted[:-1] > 0) & (predicted[1:] > 0)
    ratio = np.where(both_positive, divide(predicted[:-1], np.maximum(predicted[1:], 0)), 1.0)
    increments = divide(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
    return float(np.sum(increments))


def bucketed_auc(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    curve: Literal["ROC", "PR"] = "ROC",
    num_thresholds: int = 200,
    summation_method: Literal["interpolation", "minoring", "majoring"] = "interpolation",
    sample_weight: ArrayLike | None = None,
) -> float:
    """Area under a curve sampled at ``num_thresholds`` evenly spaced thresholds: Keras' ``AUC``.

    Counts come from :func:`bucketed_confusion_counts`. ROC: Riemann sum of recall over false
    positive rate with trapezoids (``interpolation``), or the lower (``minoring``) or upper
    (``majoring``) of the two heights. PR with ``interpolation``: Keras' Davis & Goadrich formula;
    otherwise the Riemann sum of precision over recall. Ratios with a zero denominator are 0.
    """
    check_option(curve, "curve", ("ROC", "PR"))
    check_option(summation_method, "summation_method", ("interpolation", "minoring", "majoring"))
    tp, fp, tn, fn = bucketed_confusion_counts(
        y_true, y_score, num_thresholds=num_thresholds, sample_weight=sample_weight
    )
    if curve == "PR" and summation_method == "interpolation":
        return _interpolated_pr_auc(tp, fp, fn)
    recall_values = divide(tp, tp + fn)
    if curve == "ROC":
        x, y = divide(fp, fp + tn), recall_values
    else:
        x, y = recall_values, divide(tp, tp + fp)
    heights = {
        "interpolation": (y[:-1] + y[1:]) / 2,
        "minoring": np.minimum(y[:-1], y[1:]),
        "majoring": np.maximum(y[:-1], y[1:]),
    }[summation_method]
    return float(np.sum((x[:-1] - x[1:]) * heights))
