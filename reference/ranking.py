"""Reference ranking metrics: areas under the ROC and precision-recall curves (binary, multiclass
one-vs-rest, multilabel), Keras' bucketed AUC, and the best rate under a constraint on another
(precision at recall, sensitivity at specificity, ...).

Conventions:

* **Exact curves**: every distinct score is a threshold; samples with tied scores enter the curve
  together (one diagonal segment), so the result does not depend on the order of tied samples.
* **Undefined**: with zero total positive or zero total negative weight the ROC AUC, and with zero
  positive weight the average precision, are undefined and returned as NaN (``undefined="nan"``), or as 0
  (``undefined="zero"``: scikit-learn's average precision and torchmetrics' curves, whose rates of the
  missing class are taken as 0).
* **Sample weights** multiply each sample's contribution to every cumulative count.
* **Several labels** (multilabel, or multiclass one-vs-rest): ``macro`` averages the per-label
  values; ``micro`` pools every (sample, label) pair into one binary problem, each pair carrying
  its sample's weight. A label whose value is undefined counts as ``undefined`` says: ``nan``
  (the default: the macro mean is NaN too), ``zero``, or ``exclude`` (left out of the mean);
  an undefined micro value is NaN, or 0 with ``zero``.
* **Operating points** (the ``*_at_*`` metrics): predicting positive for ``score >= t`` at every
  distinct score ``t``, plus predicting nothing positive; rates with a zero denominator are 0 (Keras'
  ``divide_no_nan``), but for the specificity of data without negative weight, which is
  ``specificity_without_negatives`` (0 by that rule; 1 where a library takes the false positive rate of no
  negatives as 0, as torchmetrics' ROC curve does). The result is the largest rate among the points that meet
  the constraint (``>=``), 0 if none. Recall without any positive is 0 (``no_positive_recall``: another value,
  torchmetrics' 1).
* The work is one sort (O(n log n)) and cumulative sums (O(n) memory), no loop over samples.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import (
    as_binary_targets,
    as_float_array,
    as_label_array,
    as_scores,
    check_labels_in_range,
    check_option,
    check_same_length,
    check_sample_weight,
    divide,
    ignored_cells,
    multilabel_inputs,
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
    if scores.size == 0:
        return scores, scores.copy(), scores.copy()
    order = np.argsort(-scores, kind="stable")
    scores, targets, weights = scores[order], targets[order], weights[order]
    last_of_each_score = np.r_[np.flatnonzero(np.diff(scores)), len(scores) - 1]
    tps = np.cumsum(weights * targets)[last_of_each_score]
    fps = np.cumsum(weights * (1 - targets))[last_of_each_score]
    return scores[last_of_each_score], tps, fps


BinaryUndefined = Literal["nan", "zero"]


def roc_auc(y_true: ArrayLike, y_score: ArrayLike, *, sample_weight: ArrayLike | None = None,
            max_fpr: float | None = None, thresholds: int | Sequence[float] | None = None,
            binned_origin: bool = True, flat_partial: Literal["standardized", "full"] = "standardized",
            undefined: BinaryUndefined = "nan") -> float:
    """Exact area under the ROC curve (trapezoidal rule over every distinct score).

    Equals the weighted probability that a random positive scores higher than a random negative,
    ties counting one half. NaN when either class has zero total weight (``undefined="zero"``: 0.0, torchmetrics').

    ``max_fpr`` in (0, 1): the standardized partial area up to that false positive rate (McClish, Medical Decision
    Making 1989, as scikit-learn and torchmetrics document it): the curve is cut at ``max_fpr`` (its true positive
    rate there interpolated linearly), and the area ``A`` over ``[0, max_fpr]`` becomes
    ``(1 + (A - min) / (max - min)) / 2`` with ``min = max_fpr² / 2`` (the chance diagonal's) and ``max = max_fpr``.
    ``thresholds``: the curve at those operating points only, predicting ``score >= t`` (an int ``T``: ``T`` evenly
    spaced values in [0, 1], torchmetrics' binned curve), plus the origin (``binned_origin=False``: from the highest
    threshold's point, as torchmetrics' binned curve starts, which is not the origin where a score reaches it).
    ``flat_partial="full"``: where no point has a false (or no point a true) positive, the whole area without the
    standardization, as torchmetrics returns it.
    """
    check_option(undefined, "undefined", ("nan", "zero"))
    if thresholds is None:
        _, tps, fps = cumulative_counts(y_true, y_score, sample_weight)
        total_positive, total_negative = (tps[-1], fps[-1]) if tps.size else (0.0, 0.0)
    else:
        targets, scores, weights = _binary_inputs(y_true, y_score, sample_weight)
        tps, fps = _threshold_counts(targets, scores, weights, _threshold_grid(thresholds)[::-1], inclusive=True)
        total_positive, total_negative = float(np.dot(weights, targets)), float(np.dot(weights, 1 - targets))
    if total_positive == 0 or total_negative == 0:
        return 0.0 if undefined == "zero" else float("nan")
    check_option(flat_partial, "flat_partial", ("standardized", "full"))
    start = [0.0] if thresholds is None or binned_origin else []
    tpr, fpr = np.r_[start, tps / total_positive], np.r_[start, fps / total_negative]
    flat = flat_partial == "full" and (not fpr.any() or not tpr.any())
    if max_fpr is None or max_fpr == 1 or flat:
        return float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    if not 0 < max_fpr <= 1:
        raise ValueError(f"max_fpr must be in (0, 1]; got {max_fpr}.")
    stop = int(np.searchsorted(fpr, max_fpr, side="right"))
    if stop == 0:  # a binned curve starting past max_fpr: nothing of it lies below
        return 0.5 * (1 + (0.0 - 0.5 * max_fpr**2) / (max_fpr - 0.5 * max_fpr**2))
    cut_tpr = np.interp(max_fpr, fpr[stop - 1:stop + 1], tpr[stop - 1:stop + 1]) if stop < len(fpr) else tpr[-1]
    fpr, tpr = np.r_[fpr[:stop], max_fpr], np.r_[tpr[:stop], cut_tpr]
    partial = float(np.sum(np.diff(fpr) * (tpr[1:] + tpr[:-1]) / 2))
    low, high = 0.5 * max_fpr**2, max_fpr
    return 0.5 * (1 + (partial - low) / (high - low))


def _threshold_counts(
    targets: NDArray, scores: NDArray, weights: NDArray, thresholds: NDArray, *, inclusive: bool
) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Weighted true and false positives when predicting ``score >= t`` (``inclusive``) or ``score > t``.

    One sort of the scores, then a binary search per threshold: O((n + T) log n).
    """
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    positives = np.r_[np.cumsum((weights * targets)[order][::-1])[::-1], 0.0]  # weight at index >= i
    negatives = np.r_[np.cumsum((weights * (1 - targets))[order][::-1])[::-1], 0.0]
    first_above = np.searchsorted(sorted_scores, thresholds, side="left" if inclusive else "right")
    return positives[first_above], negatives[first_above]


def average_precision(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    thresholds: int | Sequence[float] | None = None,
    undefined: BinaryUndefined = "nan",
    sample_weight: ArrayLike | None = None,
    pos_label: int = 1,
) -> float:
    """Average precision: ``sum_k (R_k - R_{k-1}) P_k`` over operating points, highest threshold first.

    The step-wise (non-interpolated) area under the precision-recall curve, as scikit-learn's
    ``average_precision_score`` defines it, with ``R_0 = 0``. The operating points are every
    distinct score (``thresholds=None``), or predicting ``score >= t`` for each ``t`` of
    ``thresholds`` (an int ``T`` means ``T`` evenly spaced values in [0, 1], torchmetrics' binned
    curve); a point that predicts nothing positive has precision 0. Undefined when the positives have
    zero total weight: NaN, or 0 with ``undefined="zero"``. ``pos_label``: the class whose precision and recall
    these are, ``y_score`` its score (scikit-learn's ``pos_label=0``: the samples of class 0 ranked by the same
    scores).
    """
    check_option(undefined, "undefined", ("nan", "zero"))
    check_option(pos_label, "pos_label", (0, 1))
    if pos_label == 0:
        y_true = 1 - as_binary_targets(y_true)
    if thresholds is None:
        _, tps, fps = cumulative_counts(y_true, y_score, sample_weight)
        total_positive = tps[-1] if tps.size else 0.0
    else:
        targets, scores, weights = _binary_inputs(y_true, y_score, sample_weight)
        grid = _threshold_grid(thresholds)[::-1]  # highest first
        tps, fps = _threshold_counts(targets, scores, weights, grid, inclusive=True)
        total_positive = float(np.dot(weights, targets))
    if total_positive == 0:
        return 0.0 if undefined == "zero" else float("nan")
    precision = divide(tps, tps + fps)
    recall = np.r_[0.0, tps / total_positive]
    return float(np.sum(np.diff(recall) * precision))


def _threshold_grid(thresholds: int | Sequence[float]) -> NDArray[np.float64]:
    """Sorted thresholds: ``T`` evenly spaced values in [0, 1] for an int, else the values given (as float32)."""
    if isinstance(thresholds, (int, np.integer)):
        if thresholds < 2:
            raise ValueError(f"thresholds must be an integer > 1 or a list of values; got {thresholds}.")
        return np.linspace(0.0, 1.0, int(thresholds)).astype(np.float32).astype(np.float64)
    grid = as_float_array(thresholds, "thresholds").astype(np.float32).astype(np.float64)
    if grid.size == 0:
        raise ValueError("thresholds must hold at least one value; got an empty list.")
    return np.sort(grid)


# -- several labels: multilabel, and multiclass one-vs-rest -------------------------------------

Undefined = Literal["nan", "zero", "exclude"]


def _average_over_labels(
    binary_metric: Callable[..., float],
    targets: NDArray[np.float64],
    scores: NDArray[np.float64],
    weights: NDArray[np.float64],
    average: str | None,
    undefined: str,
    zero_support: Literal["nan", "zero"] = "nan",
    keep: NDArray[np.float64] | None = None,
    **options,
) -> float | NDArray[np.float64]:
    """The per-label values averaged; ``keep`` (0 for an ignored cell): each label of its kept cells only."""
    check_option(average, "average", ("macro", "micro", "weighted", None))
    check_option(zero_support, "zero_support", ("nan", "zero"))
    check_option(undefined, "undefined", ("nan", "zero", "exclude"))
    kept = np.ones(targets.shape, dtype=bool) if keep is None else keep > 0
    if average == "micro":
        cells = kept.ravel()
        pooled = binary_metric(targets.ravel()[cells], scores.ravel()[cells],
                               sample_weight=np.repeat(weights, targets.shape[1])[cells], **options)
        return 0.0 if np.isnan(pooled) and undefined == "zero" else pooled
    per_label = np.array([binary_metric(targets[kept[:, j], j], scores[kept[:, j], j],
                                        sample_weight=weights[kept[:, j]], **options)
                          for j in range(targets.shape[1])])  # a loop over labels, not samples
    if undefined == "zero":
        per_label = np.nan_to_num(per_label, nan=0.0)
    if average is None:
        return per_label
    kept = ~np.isnan(per_label) if undefined == "exclude" else np.ones(len(per_label), dtype=bool)
    if average == "weighted":  # each label by its positive weight (its support); a label of none weighs nothing
        support = weights @ (targets * kept)
        counted = kept & (support > 0)
        if not support[counted].sum():
            return 0.0 if zero_support == "zero" else float("nan")
        return float(np.dot(per_label[counted], support[counted]) / support[counted].sum())
    return float(np.mean(per_label[kept])) if kept.any() else float("nan")


def multilabel_roc_auc(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    average: Literal["macro", "micro", "weighted"] | None = "macro",
    undefined: Undefined = "nan",
    sample_weight: ArrayLike | None = None,
    zero_support: Literal["nan", "zero"] = "nan",
    ignore_index: int | None = None,
    **options,
) -> float | NDArray[np.float64]:
    """Exact ROC AUC of each label of an ``(n, L)`` 0/1 matrix, averaged as ``average`` says.

    ``macro``: the mean of the per-label :func:`roc_auc`; a label without positive or without
    negative weight is undefined and counts as ``undefined`` says. ``weighted``: their mean weighted by each label's
    positive weight (a label without any weighs nothing; with none at all the mean is undefined: NaN, or 0.0 with
    ``zero_support="zero"``, scikit-learn's). ``micro``: one ROC AUC over all (sample, label) pairs. ``None``: the
    per-label values. ``options`` (``thresholds``, ``max_fpr``, ...) go to :func:`roc_auc` for each label. A cell
    whose target is ``ignore_index`` is left out of its label (and of the pooled micro curve).
    """
    y_true, keep = ignored_cells(y_true, ignore_index)
    targets, scores, weights = multilabel_inputs(y_true, y_score, sample_weight)
    return _average_over_labels(roc_auc, targets, scores, weights, average, undefined, zero_support, keep, **options)


def multilabel_average_precision(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    average: Literal["macro", "micro", "weighted"] | None = "macro",
    undefined: Undefined = "nan",
    sample_weight: ArrayLike | None = None,
    zero_support: Literal["nan", "zero"] = "nan",
    ignore_index: int | None = None,
    **options,
) -> float | NDArray[np.float64]:
    """Average precision of each label of an ``(n, L)`` 0/1 matrix, averaged as ``average`` says (as
    :func:`multilabel_roc_auc`; ``options`` such as ``thresholds`` go to :func:`average_precision`).

    A label without positive weight is undefined and counts as ``undefined`` says.
    """
    y_true, keep = ignored_cells(y_true, ignore_index)
    targets, scores, weights = multilabel_inputs(y_true, y_score, sample_weight)
    return _average_over_labels(average_precision, targets, scores, weights, average, undefined, zero_support, keep,
                                **options)


def _one_vs_rest(y_true: ArrayLike, y_score: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    labels = as_label_array(y_true, "y_true")
    scores = as_float_array(y_score, "y_score", ndim=2)
    check_same_length(y_true=labels, y_score=scores)
    check_labels_in_range(labels, scores.shape[1], "y_true")
    return np.eye(scores.shape[1])[labels], scores


def multiclass_roc_auc(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    average: Literal["macro", "micro", "weighted"] | None = "macro",
    undefined: Undefined = "nan",
    sample_weight: ArrayLike | None = None,
    multi_class: Literal["ovr", "ovo"] = "ovr",
    ovo_classes: Literal["all", "present"] = "all",
    **options,
) -> float | NDArray[np.float64]:
    """One-vs-rest ROC AUC of integer labels against an ``(n, C)`` score matrix.

    Class ``c`` is the binary problem "label == c" scored by column ``c``; then as
    :func:`multilabel_roc_auc`. A class that never occurs (or is the only one) is undefined.
    ``multi_class="ovo"``: Hand & Till's (Machine Learning 2001) mean over pairs of classes ``(a, b)`` of the mean of
    AUC(a | b) and AUC(b | a), each on the samples of ``a`` and ``b`` alone scored by that class's column;
    ``weighted``: each pair weighted by its share of the samples. The pairs need both classes: a pair missing one is
    undefined (``ovo_classes="present"``: only the classes present form pairs, scikit-learn's rule; none: NaN).
    ``options`` as :func:`multilabel_roc_auc`.
    """
    if multi_class == "ovo":
        return _one_vs_one(y_true, y_score, average, sample_weight, ovo_classes)
    check_option(multi_class, "multi_class", ("ovr", "ovo"))
    onehot, scores = _one_vs_rest(y_true, y_score)
    return multilabel_roc_auc(onehot, scores, average=average, undefined=undefined, sample_weight=sample_weight,
                              **options)


def _one_vs_one(y_true: ArrayLike, y_score: ArrayLike, average: str | None,
                sample_weight: ArrayLike | None, classes: str) -> float:
    check_option(average, "average", ("macro", "weighted"))
    check_option(classes, "ovo_classes", ("all", "present"))
    labels = as_label_array(y_true, "y_true")
    scores = as_float_array(y_score, "y_score", ndim=2)
    weights = check_sample_weight(sample_weight, check_same_length(y_true=labels, y_score=scores))
    values, shares = [], []
    paired = np.unique(labels) if classes == "present" else np.arange(scores.shape[1])
    if len(paired) < 2:
        return float("nan")
    for i, a in enumerate(paired):
        for b in paired[i + 1:]:
            pair = (labels == a) | (labels == b)
            first = roc_auc(labels[pair] == a, scores[pair, a], sample_weight=weights[pair])
            second = roc_auc(labels[pair] == b, scores[pair, b], sample_weight=weights[pair])
            values.append((first + second) / 2)
            shares.append(weights[pair].sum())
    if average == "weighted":
        return float(np.dot(values, shares) / np.sum(shares))
    return float(np.mean(values))


def multiclass_average_precision(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    average: Literal["macro", "micro", "weighted"] | None = "macro",
    undefined: Undefined = "nan",
    sample_weight: ArrayLike | None = None,
    **options,
) -> float | NDArray[np.float64]:
    """One-vs-rest average precision of integer labels against an ``(n, C)`` score matrix.

    As :func:`multilabel_average_precision` on the one-hot targets (with its ``options``); a class that never occurs
    is undefined.
    """
    onehot, scores = _one_vs_rest(y_true, y_score)
    return multilabel_average_precision(onehot, scores, average=average, undefined=undefined,
                                        sample_weight=sample_weight, **options)


# -- Keras' bucketed curves ------------------------------------------------------------------------

KERAS_EPSILON = 1e-7  # keras.config.epsilon(): the end thresholds of AUC are -epsilon and 1 + epsilon


def _flattened(
    y_true: ArrayLike, y_score: ArrayLike, sample_weight: ArrayLike | None
) -> tuple[NDArray[np.float64], NDArray[np.float64], NDArray[np.float64]]:
    """Per-sample or ``(n, L)`` inputs as flat arrays; a sample's weight repeats over its labels."""
    scores = as_float_array(y_score, "y_score", ndim=(1, 2))
    labels_per_sample = scores.shape[1] if scores.ndim == 2 else 1
    targets = as_binary_targets(y_true)
    n = check_same_length(y_true=targets, y_score=scores.reshape(-1))
    weights = check_sample_weight(sample_weight, n // labels_per_sample if labels_per_sample else 0)
    return targets, scores.reshape(-1), np.repeat(weights, labels_per_sample)


def bucketed_confusion_counts(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    num_thresholds: int = 200,
    endpoints: Literal["epsilon", "exact"] = "epsilon",
    sample_weight: ArrayLike | None = None,
) -> tuple[NDArray[np.float64], ...]:
    """Confusion counts at ``num_thresholds`` evenly spaced thresholds, as Keras buckets them.

    Scores are clipped to [0, 1]; a score ``p`` falls in bucket ``ceil(p * (T - 1)) - 1``,
    computed in float32 as Keras does (``keras/src/metrics/metrics_utils.py``,
    ``_update_confusion_matrix_variables_optimized``), and counts as positive at every threshold
    up to its bucket. ``endpoints="epsilon"`` (``AUC``): the thresholds run from ``-epsilon`` to
    ``1 + epsilon``, so bucket -1 joins bucket 0 (every score is above the first threshold).
    ``endpoints="exact"`` (``PrecisionAtRecall`` and the like): they run from 0 to 1 and
    ``score > threshold``, so a score of exactly 0 is never positive. ``(n, L)`` inputs are
    flattened, each sample's weight repeated over its labels. Returns ``(tp, fp, tn, fn)``, each
    of length ``num_thresholds``.
    """
    if num_thresholds < 2:
        raise ValueError(f"num_thresholds must be an integer > 1; got {num_thresholds}.")
    check_option(endpoints, "endpoints", ("epsilon", "exact"))
    targets, scores, weights = _flattened(y_true, y_score, sample_weight)
    clipped = np.clip(scores.astype(np.float32), np.float32(0), np.float32(1))
    buckets = (np.ceil(clipped * np.float32(num_thresholds - 1)) - np.float32(1)).astype(np.int64)
    if endpoints == "epsilon":
        buckets = np.maximum(buckets, 0)
    kept = buckets >= 0  # bucket -1 (a score of 0 with exact endpoints) is below every threshold
    positive_weight, negative_weight = weights * targets, weights * (1 - targets)
    tp = np.cumsum(np.bincount(buckets[kept], positive_weight[kept], num_thresholds)[::-1])[::-1]
    fp = np.cumsum(np.bincount(buckets[kept], negative_weight[kept], num_thresholds)[::-1])[::-1]
    return tp, fp, negative_weight.sum() - fp, positive_weight.sum() - tp


def _listed_threshold_counts(
    y_true: ArrayLike, y_score: ArrayLike, thresholds: Sequence[float], sample_weight: ArrayLike | None
) -> tuple[NDArray[np.float64], ...]:
    """Keras' AUC counts at ``[-epsilon, *sorted(thresholds), 1 + epsilon]`` with ``score > t`` in float32."""
    targets, scores, weights = _flattened(y_true, y_score, sample_weight)
    grid = np.r_[-KERAS_EPSILON, np.sort(np.asarray(thresholds, np.float64)), 1 + KERAS_EPSILON]
    grid = grid.astype(np.float32).astype(np.float64)
    tp, fp = _threshold_counts(targets, scores.astype(np.float32).astype(np.float64), weights, grid,
                               inclusive=False)
    return tp, fp, np.dot(weights, 1 - targets) - fp, np.dot(weights, targets) - tp


def _keras_counts(y_true, y_score, num_thresholds, thresholds, sample_weight):
    """Keras' AUC counts: evenly spaced buckets, or the listed thresholds (bucketed if Keras finds them even)."""
    if thresholds is None:
        return bucketed_confusion_counts(y_true, y_score, num_thresholds=num_thresholds, sample_weight=sample_weight)
    listed = np.r_[0.0, np.sort(np.asarray(thresholds, np.float64)), 1.0]
    even = np.arange(len(listed), dtype=np.float32) / (len(listed) - 1)
    if len(listed) >= 3 and np.allclose(listed, even, atol=KERAS_EPSILON):  # is_evenly_distributed_thresholds
        return bucketed_confusion_counts(y_true, y_score, num_thresholds=len(listed), sample_weight=sample_weight)
    return _listed_threshold_counts(y_true, y_score, thresholds, sample_weight)


def _interpolated_pr_auc(tp: NDArray, fp: NDArray, fn: NDArray) -> NDArray:
    """Keras' closed form of the Davis & Goadrich (2006) interpolated PR area over buckets (per column)."""
    dtp = tp[:-1] - tp[1:]
    predicted = tp + fp
    dp = predicted[:-1] - predicted[1:]
    slope = divide(dtp, np.maximum(dp, 0))
    intercept = tp[1:] - slope * predicted[1:]
    both_positive = (predicted[:-1] > 0) & (predicted[1:] > 0)
    ratio = np.where(both_positive, divide(predicted[:-1], np.maximum(predicted[1:], 0)), 1.0)
    increments = divide(slope * (dtp + intercept * np.log(ratio)), np.maximum(tp[1:] + fn[1:], 0))
    return np.sum(increments, axis=0)


def _riemann_area(tp, fp, tn, fn, curve: str, summation_method: str) -> NDArray:
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
    return np.sum((x[:-1] - x[1:]) * heights, axis=0)


def bucketed_auc(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    curve: Literal["ROC", "PR"] = "ROC",
    num_thresholds: int = 200,
    summation_method: Literal["interpolation", "minoring", "majoring"] = "interpolation",
    thresholds: Sequence[float] | None = None,
    average: Literal["micro", "macro"] = "micro",
    label_weights: Sequence[float] | None = None,
    sample_weight: ArrayLike | None = None,
) -> float:
    """Area under a curve sampled at a few thresholds: Keras' ``AUC``.

    Counts come from :func:`bucketed_confusion_counts`, or with ``thresholds`` from those values
    plus ``-epsilon`` and ``1 + epsilon``, compared ``score > t`` in float32 (Keras buckets them
    instead when they are evenly spaced). ROC: Riemann sum of recall over false positive rate
    with trapezoids (``interpolation``), or the lower (``minoring``) or upper (``majoring``) of
    the two heights. PR with ``interpolation``: Keras' Davis & Goadrich formula; otherwise the
    Riemann sum of precision over recall. Ratios with a zero denominator are 0, so a label with
    no positives (or for ROC no negatives) has area 0. ``(n, L)`` inputs: ``macro`` (Keras'
    ``multi_label=True``) is the mean of the per-label areas (``label_weights``: their weighted mean, as Keras
    documents it); ``micro`` (``multi_label=False``) one area over the flattened (sample, label) pairs.
    """
    check_option(curve, "curve", ("ROC", "PR"))
    check_option(summation_method, "summation_method", ("interpolation", "minoring", "majoring"))
    check_option(average, "average", ("micro", "macro"))
    if average == "micro":
        counts = _keras_counts(y_true, y_score, num_thresholds, thresholds, sample_weight)
        return float(_riemann_area(*counts, curve, summation_method))
    targets, scores, weights = multilabel_inputs(y_true, y_score, sample_weight)
    per_label = [_riemann_area(*_keras_counts(targets[:, j], scores[:, j], num_thresholds, thresholds, weights),
                               curve, summation_method) for j in range(targets.shape[1])]
    if label_weights is not None:
        label_weights = np.asarray(label_weights, np.float64)
        return float(divide(np.dot(label_weights, per_label), label_weights.sum()))
    return float(np.mean(per_label))


# -- the best rate under a constraint on another ---------------------------------------------------

Rate = Literal["precision", "recall", "specificity"]


def _operating_point_rates(
    y_true: ArrayLike, y_score: ArrayLike, sample_weight: ArrayLike | None, num_thresholds: int | None,
    class_id: int | None, thresholds: int | Sequence[float] | None = None, no_positive_recall: float = 0.0,
    ignore_index: int | None = None, specificity_without_negatives: float = 0.0,
) -> dict[str, NDArray[np.float64]]:
    """Precision, recall and specificity at each operating point (see the module's conventions).

    ``num_thresholds=None``: every distinct score and predicting nothing. An int: Keras' grid of
    ``T`` evenly spaced thresholds from 0 to 1 with ``score > t`` (see ``bucketed_confusion_counts``
    with ``endpoints="exact"``). ``thresholds``: predicting ``score >= t`` at each ``t`` of those values only (an
    int ``T``: ``T`` evenly spaced in [0, 1], torchmetrics' binned curve). ``class_id`` picks one column of
    ``(n, C)`` inputs.
    """
    if class_id is not None:
        y_true = as_float_array(y_true, "y_true", ndim=2)
        y_score = as_float_array(y_score, "y_score", ndim=2)
        if not 0 <= class_id < y_score.shape[1]:
            raise ValueError(f"class_id must be in [0, {y_score.shape[1]}); got {class_id}.")
        y_true, y_score = y_true[:, class_id], y_score[:, class_id]
        if ignore_index is not None:  # the samples whose target of this label is ignored
            kept = y_true != ignore_index
            y_true, y_score = y_true[kept], y_score[kept]
            sample_weight = None if sample_weight is None else np.asarray(sample_weight)[kept]
    if thresholds is not None:
        targets, scores, weights = _binary_inputs(y_true, y_score, sample_weight)
        tp, fp = _threshold_counts(targets, scores, weights, _threshold_grid(thresholds), inclusive=True)
        positives, negatives = float(np.dot(weights, targets)), float(np.dot(weights, 1 - targets))
    elif num_thresholds is None:
        _, tps, fps = cumulative_counts(y_true, y_score, sample_weight)
        tp, fp = np.r_[0.0, tps], np.r_[0.0, fps]
        positives, negatives = tp[-1], fp[-1]
    else:
        tp, fp, tn, fn = bucketed_confusion_counts(y_true, y_score, num_thresholds=num_thresholds,
                                                   endpoints="exact", sample_weight=sample_weight)
        positives, negatives = tp + fn, fp + tn
    return {"precision": divide(tp, tp + fp), "recall": divide(tp, positives, no_positive_recall),
            "specificity": divide(negatives - fp, negatives, zero_division=specificity_without_negatives)}


def _best_under_constraint(rates: dict[str, NDArray], maximised: Rate, constrained: Rate, value: float) -> float:
    """The largest ``maximised`` rate among points whose ``constrained`` rate is ``>= value``; 0 if none."""
    feasible = rates[constrained] >= value
    return float(np.max(np.where(feasible, rates[maximised], 0.0), initial=0.0))


def _check_rate(value: float, name: str) -> None:
    if not 0 <= value <= 1:
        raise ValueError(f"{name} must be in [0, 1]; got {value}.")


def precision_at_recall(
    y_true: ArrayLike, y_score: ArrayLike, *, recall: float, num_thresholds: int | None = None,
    class_id: int | None = None, sample_weight: ArrayLike | None = None,
    thresholds: int | Sequence[float] | None = None, no_positive_recall: float = 0.0,
    ignore_index: int | None = None,
) -> float:
    """The best precision among operating points whose recall is at least ``recall`` (0 if none)."""
    _check_rate(recall, "recall")
    rates = _operating_point_rates(y_true, y_score, sample_weight, num_thresholds, class_id, thresholds,
                                   no_positive_recall, ignore_index)
    return _best_under_constraint(rates, "precision", "recall", recall)


def recall_at_precision(
    y_true: ArrayLike, y_score: ArrayLike, *, precision: float, num_thresholds: int | None = None,
    class_id: int | None = None, sample_weight: ArrayLike | None = None,
    thresholds: int | Sequence[float] | None = None, no_positive_recall: float = 0.0,
    ignore_index: int | None = None,
) -> float:
    """The best recall among operating points whose precision is at least ``precision`` (0 if none)."""
    _check_rate(precision, "precision")
    rates = _operating_point_rates(y_true, y_score, sample_weight, num_thresholds, class_id, thresholds,
                                   no_positive_recall, ignore_index)
    return _best_under_constraint(rates, "recall", "precision", precision)


def sensitivity_at_specificity(
    y_true: ArrayLike, y_score: ArrayLike, *, specificity: float, num_thresholds: int | None = None,
    class_id: int | None = None, sample_weight: ArrayLike | None = None,
    thresholds: int | Sequence[float] | None = None, no_positive_recall: float = 0.0,
    ignore_index: int | None = None, specificity_without_negatives: float = 0.0,
) -> float:
    """The best sensitivity (recall) among operating points whose specificity is at least ``specificity``."""
    _check_rate(specificity, "specificity")
    rates = _operating_point_rates(y_true, y_score, sample_weight, num_thresholds, class_id, thresholds,
                                   no_positive_recall, ignore_index, specificity_without_negatives)
    return _best_under_constraint(rates, "recall", "specificity", specificity)


def specificity_at_sensitivity(
    y_true: ArrayLike, y_score: ArrayLike, *, sensitivity: float, num_thresholds: int | None = None,
    class_id: int | None = None, sample_weight: ArrayLike | None = None,
    thresholds: int | Sequence[float] | None = None, no_positive_recall: float = 0.0,
    ignore_index: int | None = None, specificity_without_negatives: float = 0.0,
) -> float:
    """The best specificity among operating points whose sensitivity (recall) is at least ``sensitivity``."""
    _check_rate(sensitivity, "sensitivity")
    rates = _operating_point_rates(y_true, y_score, sample_weight, num_thresholds, class_id, thresholds,
                                   no_positive_recall, ignore_index, specificity_without_negatives)
    return _best_under_constraint(rates, "specificity", "recall", sensitivity)
