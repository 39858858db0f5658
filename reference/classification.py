"""Reference classification metrics: accuracy family, confusion counts, precision, recall, F-scores.

Conventions shared by every function here (each docstring repeats the ones it uses):

* **Threshold comparison**: a score counts as a positive prediction when it is *strictly greater*
  than the threshold (``score > threshold``), as Keras, TensorFlow and torchmetrics compare.
* **Sample weights**: each sample contributes its weight to every count; ``None`` means weight 1.
* **Zero division**: a ratio whose denominator is 0 (no predicted positives, no weight at all, ...)
  is ``zero_division`` (0.0 by default), never NaN.
* **Argmax ties**: the lowest class index among equal maxima wins (NumPy's ``argmax``), unless a
  function says otherwise.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, NamedTuple

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
)

TopKTies = Literal["optimistic", "pessimistic", "higher_index_first", "lower_index_first"]
Average = Literal["micro", "macro", "weighted"] | None


def _weighted_mean(hits: NDArray, weights: NDArray, zero_division: float = 0.0) -> float:
    return float(divide(np.dot(weights, hits), weights.sum(), zero_division))


def accuracy(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """Weighted fraction of samples whose predicted label equals the true label.

    Labels are compared exactly. With zero total weight the result is 0.0.
    """
    y_true, y_pred = as_label_array(y_true, "y_true"), as_label_array(y_pred, "y_pred")
    n = check_same_length(y_true=y_true, y_pred=y_pred)
    return _weighted_mean(y_true == y_pred, check_sample_weight(sample_weight, n))


def binary_accuracy(
    y_true: ArrayLike, y_score: ArrayLike, *, threshold: float = 0.5, sample_weight: ArrayLike | None = None
) -> float:
    """Weighted fraction of samples where ``(score > threshold)`` equals the binary target.

    A score exactly at the threshold predicts the negative class. Zero total weight gives 0.0.
    """
    y_true, y_score = as_binary_targets(y_true), as_scores(y_score)
    n = check_same_length(y_true=y_true, y_score=y_score)
    return _weighted_mean((y_score > threshold) == (y_true == 1), check_sample_weight(sample_weight, n))


def _multiclass_inputs(y_true: ArrayLike, y_score: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    labels = as_label_array(y_true, "y_true")
    scores = as_float_array(y_score, "y_score", ndim=2)
    check_same_length(y_true=labels, y_score=scores)
    check_labels_in_range(labels, scores.shape[1], "y_true")
    return labels, scores


def categorical_accuracy(
    y_true: ArrayLike, y_score: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> float:
    """Weighted fraction of samples whose highest-scoring class is the true label.

    ``y_true`` holds integer labels, ``y_score`` one row of class scores per sample. Ties for the
    highest score go to the lowest class index. Zero total weight gives 0.0.
    """
    labels, scores = _multiclass_inputs(y_true, y_score)
    return _weighted_mean(np.argmax(scores, axis=1) == labels, check_sample_weight(sample_weight, len(labels)))


def top_k_hits(labels: NDArray[np.int64], scores: NDArray[np.float64], k: int, ties: TopKTies) -> NDArray[np.bool_]:
    """Whether each sample's true class ranks among its ``k`` highest scores, under a tie rule.

    ``optimistic``: tied classes straddling the boundary are all inside (TensorFlow's ``in_top_k``);
    ``pessimistic``: the true class ranks after every class tied with it;
    ``higher_index_first`` / ``lower_index_first``: ties are ranked by class index.
    """
    check_option(ties, "ties", ("optimistic", "pessimistic", "higher_index_first", "lower_index_first"))
    true_scores = scores[np.arange(len(labels)), labels][:, None]
    greater = (scores > true_scores).sum(axis=1)
    tied = scores == true_scores
    classes = np.arange(scores.shape[1])[None, :]
    ahead_among_ties = {
        "optimistic": np.zeros(len(labels), dtype=np.int64),
        "pessimistic": tied.sum(axis=1) - 1,
        "higher_index_first": (tied & (classes > labels[:, None])).sum(axis=1),
        "lower_index_first": (tied & (classes < labels[:, None])).sum(axis=1),
    }[ties]
    return greater + ahead_among_ties < k


def top_k_accuracy(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    k: int = 5,
    ties: TopKTies = "optimistic",
    sample_weight: ArrayLike | None = None,
) -> float:
    """Weighted fraction of samples whose true label is among the ``k`` highest-scoring classes.

    A sample is a hit when fewer than ``k`` classes score strictly higher than its true class
    (``ties="optimistic"``, TensorFlow's ``in_top_k`` convention); see :func:`top_k_hits` for the
    other tie rules. Zero total weight gives 0.0.
    """
    if k < 1:
        raise ValueError(f"k must be a positive integer; got {k}.")
    labels, scores = _multiclass_inputs(y_true, y_score)
    hits = top_k_hits(labels, scores, k, ties)
    return _weighted_mean(hits, check_sample_weight(sample_weight, len(labels)))


class BinaryCounts(NamedTuple):
    """Weighted confusion counts of a binary classifier (arrays, one entry per threshold, for a list)."""

    tp: float | NDArray[np.float64]
    fp: float | NDArray[np.float64]
    tn: float | NDArray[np.float64]
    fn: float | NDArray[np.float64]


Thresholds = float | Sequence[float] | None


def indicator_inputs(y_true: ArrayLike, y_score: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """``(targets, scores)`` as two ``(n, L)`` float64 arrays, one column per label.

    Binary: ``(n,)`` (or ``(n, 1)``) 0/1 targets and scores give one column. Multiclass: ``(n,)`` integer
    labels with an ``(n, C)`` row of scores give one-hot targets. Multilabel: an ``(n, L)`` 0/1 matrix with
    ``(n, L)`` scores.
    """
    scores = as_float_array(y_score, "y_score", ndim=(1, 2))
    if scores.ndim == 1 or scores.shape[1] == 1:
        targets = as_binary_targets(y_true)
        check_same_length(y_true=targets, y_score=scores)
        return targets[:, None], scores.reshape(-1, 1)
    if np.ndim(y_true) == 2 and np.shape(y_true)[1] != 1:
        targets = as_float_array(y_true, "y_true", ndim=2)
        if targets.shape != scores.shape:
            raise ValueError(f"A multilabel y_true must have the shape of y_score {scores.shape}; got {targets.shape}.")
        if not np.all((targets == 0) | (targets == 1)):
            raise ValueError("A multilabel y_true must contain only 0 and 1.")
        return targets, scores
    labels, scores = _multiclass_inputs(y_true, scores)
    return np.eye(scores.shape[1])[labels], scores


def top_k_selection(scores: NDArray[np.float64], k: int, ties: TopKTies) -> NDArray[np.bool_]:
    """Which cells of each row are among its ``k`` highest scores.

    ``lower_index_first`` (TensorFlow's ``top_k``: of equal values the lower index comes first) and
    ``higher_index_first`` rank ties by class index, so exactly ``min(k, L)`` cells are selected per
    row. ``pessimistic`` / ``optimistic`` rank each cell after / before every cell tied with it (for
    bounding an unspecified tie order; then a row may select fewer / more than ``k`` cells).
    """
    check_option(ties, "ties", ("optimistic", "pessimistic", "higher_index_first", "lower_index_first"))
    if k < 1:
        raise ValueError(f"top_k must be a positive integer; got {k}.")
    greater = (scores[:, None, :] > scores[:, :, None]).sum(axis=2)  # (n, L): cells scoring above each cell
    tied = scores[:, None, :] == scores[:, :, None]  # (n, L, L): cell j tied with cell i (i itself included)
    index = np.arange(scores.shape[1])
    ahead = {
        "optimistic": np.zeros_like(greater),
        "pessimistic": tied.sum(axis=2) - 1,
        "lower_index_first": (tied & (index[None, None, :] < index[None, :, None])).sum(axis=2),
        "higher_index_first": (tied & (index[None, None, :] > index[None, :, None])).sum(axis=2),
    }[ties]
    return greater + ahead < k


def confusion_counts(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    threshold: Thresholds = 0.5,
    top_k: int | None = None,
    top_k_ties: TopKTies = "lower_index_first",
    class_id: int | None = None,
    sample_weight: ArrayLike | None = None,
) -> BinaryCounts:
    """Weighted tp, fp, tn, fn over every (sample, label) cell, as Keras' confusion metrics count them.

    Inputs are binary, multiclass (labels with a row of scores: one-hot targets) or multilabel (see
    :func:`indicator_inputs`). A cell is predicted positive when its score is ``> threshold``;
    ``threshold=None`` predicts every cell (with ``top_k``: every selected cell). A list of thresholds
    gives one count per threshold. ``top_k``: only the ``k`` highest scores of a row can be positive
    (:func:`top_k_selection`; with ``pessimistic`` / ``optimistic`` ties, ``threshold`` must be None
    and each row counts exactly ``k`` predictions, ``fp = k - tp``, as a fixed-size top-k selection
    does). ``class_id``: only that column counts. A sample's weight applies to each of its cells.
    """
    targets, scores = indicator_inputs(y_true, y_score)
    weights = check_sample_weight(sample_weight, len(targets))
    selected = np.ones_like(scores, dtype=bool) if top_k is None else top_k_selection(scores, top_k, top_k_ties)
    fixed_size = top_k is not None and top_k_ties in ("pessimistic", "optimistic")
    if fixed_size and threshold is not None:
        raise ValueError("top_k with pessimistic or optimistic ties needs threshold=None (a fixed-size selection).")
    if class_id is not None:
        if not 0 <= class_id < scores.shape[1]:
            raise ValueError(f"class_id must be in [0, {scores.shape[1]}); got {class_id}.")
        targets, scores, selected = (a[:, [class_id]] for a in (targets, scores, selected))
    scalar = threshold is None or np.ndim(threshold) == 0
    levels = np.atleast_1d(np.asarray(-np.inf if threshold is None else threshold, dtype=np.float64))
    predicted = (selected[None] & (scores[None] > levels[:, None, None])).astype(np.float64)  # (T, n, L)
    positive_weight = weights @ targets  # per column
    total_weight = weights.sum() * targets.shape[1]
    # Each count is a sum over its own cells, not a difference of totals: a difference loses a weight of 1e-38
    # next to one of 7 (a count that should be 0 comes out as -7e-15).
    tp = np.einsum("tnl,nl,n->t", predicted, targets, weights)
    fn = np.einsum("tnl,nl,n->t", 1 - predicted, targets, weights)
    if fixed_size:  # each row counts exactly k predictions, whatever its scores (see the docstring)
        fp = weights.sum() * min(top_k, scores.shape[1]) - tp
        tn = total_weight - positive_weight.sum() - fp
    else:
        fp = np.einsum("tnl,nl,n->t", predicted, 1 - targets, weights)
        tn = np.einsum("tnl,nl,n->t", 1 - predicted, 1 - targets, weights)
    counts = (tp, fp, tn, fn)
    return BinaryCounts(*(float(c[0]) for c in counts)) if scalar else BinaryCounts(*counts)


def binary_confusion_counts(
    y_true: ArrayLike, y_score: ArrayLike, *, threshold: Thresholds = 0.5, sample_weight: ArrayLike | None = None
) -> BinaryCounts:
    """Weighted true/false positives/negatives, predicting positive where ``score > threshold``."""
    y_true, y_score = as_binary_targets(y_true), as_scores(y_score)
    check_same_length(y_true=y_true, y_score=y_score)
    return confusion_counts(y_true, y_score, threshold=threshold, sample_weight=sample_weight)


def true_positives(y_true: ArrayLike, y_score: ArrayLike, *, threshold: Thresholds = 0.5,
                   sample_weight: ArrayLike | None = None, **options) -> float | NDArray[np.float64]:
    """Weighted count of positive cells with ``score > threshold`` (options: :func:`confusion_counts`)."""
    return confusion_counts(y_true, y_score, threshold=threshold, sample_weight=sample_weight, **options).tp


def false_positives(y_true: ArrayLike, y_score: ArrayLike, *, threshold: Thresholds = 0.5,
                    sample_weight: ArrayLike | None = None, **options) -> float | NDArray[np.float64]:
    """Weighted count of negative cells with ``score > threshold`` (options: :func:`confusion_counts`)."""
    return confusion_counts(y_true, y_score, threshold=threshold, sample_weight=sample_weight, **options).fp


def true_negatives(y_true: ArrayLike, y_score: ArrayLike, *, threshold: Thresholds = 0.5,
                   sample_weight: ArrayLike | None = None, **options) -> float | NDArray[np.float64]:
    """Weighted count of negative cells with ``score <= threshold`` (options: :func:`confusion_counts`)."""
    return confusion_counts(y_true, y_score, threshold=threshold, sample_weight=sample_weight, **options).tn


def false_negatives(y_true: ArrayLike, y_score: ArrayLike, *, threshold: Thresholds = 0.5,
                    sample_weight: ArrayLike | None = None, **options) -> float | NDArray[np.float64]:
    """Weighted count of positive cells with ``score <= threshold`` (options: :func:`confusion_counts`)."""
    return confusion_counts(y_true, y_score, threshold=threshold, sample_weight=sample_weight, **options).fn


def precision(y_true: ArrayLike, y_score: ArrayLike, *, threshold: Thresholds = 0.5,
              sample_weight: ArrayLike | None = None, zero_division: float = 0.0,
              **options) -> float | NDArray[np.float64]:
    """``tp / (tp + fp)`` at ``score > threshold``; ``zero_division`` when nothing is predicted positive.

    Counts as :func:`confusion_counts` (``top_k``, ``top_k_ties``, ``class_id``; a threshold list gives
    one precision per threshold)."""
    c = confusion_counts(y_true, y_score, threshold=threshold, sample_weight=sample_weight, **options)
    value = divide(c.tp, c.tp + c.fp, zero_division)
    return float(value) if value.ndim == 0 else value


def recall(y_true: ArrayLike, y_score: ArrayLike, *, threshold: Thresholds = 0.5,
           sample_weight: ArrayLike | None = None, zero_division: float = 0.0,
           **options) -> float | NDArray[np.float64]:
    """``tp / (tp + fn)`` at ``score > threshold``; ``zero_division`` when there is no positive weight.

    Counts as :func:`confusion_counts` (``top_k``, ``top_k_ties``, ``class_id``; a threshold list gives
    one recall per threshold)."""
    c = confusion_counts(y_true, y_score, threshold=threshold, sample_weight=sample_weight, **options)
    value = divide(c.tp, c.tp + c.fn, zero_division)
    return float(value) if value.ndim == 0 else value


def predicted_indicator(
    scores: NDArray[np.float64], *, threshold: float | None, argmax_ties: Literal["first", "all"]
) -> NDArray[np.float64]:
    """One 0/1 row per sample saying which classes are predicted.

    ``threshold`` given: every class with ``score > threshold``. Otherwise the top class:
    ``argmax_ties="first"`` picks the lowest index among equal maxima (one class per row);
    ``"all"`` marks every class equal to the row maximum unless that maximum is 0 in magnitude
    (``|max| <= 1e-9``), which is how Keras' ``FBetaScore`` decides with ``threshold=None``.
    """
    if threshold is not None:
        return (scores > threshold).astype(np.float64)
    check_option(argmax_ties, "argmax_ties", ("first", "all"))
    if argmax_ties == "all":
        row_max = scores.max(axis=1, keepdims=True)
        return ((scores >= row_max) & (np.abs(scores) > 1e-9)).astype(np.float64)
    indicator = np.zeros_like(scores)
    indicator[np.arange(len(scores)), np.argmax(scores, axis=1)] = 1.0
    return indicator


def fbeta_score(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    beta: float = 1.0,
    average: Average = "macro",
    threshold: float | None = None,
    argmax_ties: Literal["first", "all"] = "first",
    absent_classes: Literal["zero", "exclude"] = "zero",
    epsilon: float = 0.0,
    sample_weight: ArrayLike | None = None,
    zero_division: float = 0.0,
    zero_support: Literal["zero", "unweighted"] = "zero",
) -> float | NDArray[np.float64]:
    """F-beta score of a multiclass (integer labels) or multilabel (0/1 matrix) classifier, per class or averaged.

    Per class c, with weighted counts over samples: ``F = (1 + beta²) tp / ((1 + beta²) tp + beta² fn + fp)``,
    ``zero_division`` (0.0 by default) when the denominator is 0: the class is neither true nor predicted
    (scikit-learn's and torchmetrics' ``zero_division``). Predictions come from :func:`predicted_indicator`.

    * ``average=None``: one score per class; ``"micro"``: counts summed over classes first;
      ``"macro"``: unweighted mean over classes; ``"weighted"``: mean weighted by each class's
      weighted support (``tp + fn``). With zero support overall (no true label anywhere) the weights are all 0:
      ``zero_support="zero"`` gives 0.0 (torchmetrics), ``"unweighted"`` the unweighted mean of the per-class scores
      (scikit-learn, whose average then ignores the weights).
    * ``absent_classes``: for ``"macro"``, whether a class with ``tp + fp + fn == 0`` counts (as
      ``zero_division``) in the mean (``"zero"``, Keras and scikit-learn with ``labels`` given) or is left out of the
      divisor (``"exclude"``, torchmetrics).
    * ``epsilon``: 0.0 computes the exact formula above. A positive value computes it as Keras does,
      ``p = tp/(tp+fp+eps)``, ``r = tp/(tp+fn+eps)``, ``F = (1+beta²) p r / (beta² p + r + eps)``,
      and for ``"weighted"`` divides the support by ``sum(support) + eps``.
    """
    check_option(average, "average", (None, "micro", "macro", "weighted"))
    check_option(absent_classes, "absent_classes", ("zero", "exclude"))
    check_option(zero_support, "zero_support", ("zero", "unweighted"))
    if beta < 0:
        raise ValueError(f"beta must be non-negative; got {beta}.")
    actual, scores = indicator_inputs(y_true, y_score)
    weights = check_sample_weight(sample_weight, len(actual))[:, None]
    predicted = predicted_indicator(scores, threshold=threshold, argmax_ties=argmax_ties)
    tp = (weights * predicted * actual).sum(axis=0)
    fp = (weights * predicted * (1 - actual)).sum(axis=0)
    fn = (weights * (1 - predicted) * actual).sum(axis=0)
    if average == "micro":
        tp, fp, fn = tp.sum(keepdims=True), fp.sum(keepdims=True), fn.sum(keepdims=True)
    b2 = beta**2
    if epsilon:
        p, r = tp / (tp + fp + epsilon), tp / (tp + fn + epsilon)
        scores_per_class = (1 + b2) * (p * r) / (b2 * p + r + epsilon)
    else:
        scores_per_class = divide((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp, zero_division)
    if average is None:
        return scores_per_class
    if average == "micro":
        return float(scores_per_class[0])
    if average == "weighted":
        support = tp + fn
        total = support.sum() + epsilon
        if total:
            return float(np.dot(scores_per_class, support) / total)
        return float(np.mean(scores_per_class)) if zero_support == "unweighted" else 0.0
    present = (tp + fp + fn) > 0 if absent_classes == "exclude" else np.ones_like(tp, dtype=bool)
    return float(divide(scores_per_class[present].sum(), present.sum()))


def f1_score(y_true: ArrayLike, y_score: ArrayLike, **kwargs) -> float | NDArray[np.float64]:
    """:func:`fbeta_score` with ``beta=1``."""
    return fbeta_score(y_true, y_score, beta=1.0, **kwargs)
