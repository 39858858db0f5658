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
    ignored_cells,
)

TopKTies = Literal["optimistic", "pessimistic", "higher_index_first", "lower_index_first"]
# An unspecified order of tied classes (torch.topk's): the least and the most the value can be under any order.
TieExtreme = Literal["least", "most"]
Average = Literal["micro", "macro", "weighted", "samples"] | None


def _weighted_mean(hits: NDArray, weights: NDArray, zero_division: float = 0.0, normalize: bool = True) -> float:
    """The weighted fraction of hits; with ``normalize=False`` their weighted count (scikit-learn's
    ``normalize=False``: "the number of correctly classified samples", each counted with its weight)."""
    if not normalize:
        return float(np.dot(weights, hits))
    return float(divide(np.dot(weights, hits), weights.sum(), zero_division))


def accuracy(y_true: ArrayLike, y_pred: ArrayLike, *, normalize: bool = True,
             sample_weight: ArrayLike | None = None) -> float:
    """Weighted fraction of samples whose predicted label equals the true label (``normalize=False``: their
    weighted count).

    Labels are compared exactly. With zero total weight the result is 0.0.
    """
    y_true, y_pred = as_label_array(y_true, "y_true"), as_label_array(y_pred, "y_pred")
    n = check_same_length(y_true=y_true, y_pred=y_pred)
    return _weighted_mean(y_true == y_pred, check_sample_weight(sample_weight, n), normalize=normalize)


def binary_accuracy(
    y_true: ArrayLike, y_score: ArrayLike, *, threshold: float = 0.5, normalize: bool = True,
    sample_weight: ArrayLike | None = None
) -> float:
    """Weighted fraction of samples where ``(score > threshold)`` equals the binary target (``normalize=False``:
    their weighted count).

    A score exactly at the threshold predicts the negative class. Zero total weight gives 0.0.
    """
    y_true, y_score = as_binary_targets(y_true), as_scores(y_score)
    n = check_same_length(y_true=y_true, y_score=y_score)
    return _weighted_mean((y_score > threshold) == (y_true == 1), check_sample_weight(sample_weight, n),
                          normalize=normalize)


def _multiclass_inputs(y_true: ArrayLike, y_score: ArrayLike) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
    labels = as_label_array(y_true, "y_true")
    scores = as_float_array(y_score, "y_score", ndim=2)
    check_same_length(y_true=labels, y_score=scores)
    check_labels_in_range(labels, scores.shape[1], "y_true")
    return labels, scores


def categorical_accuracy(
    y_true: ArrayLike, y_score: ArrayLike, *, normalize: bool = True, average: Average = "micro",
    sample_weight: ArrayLike | None = None, **options
) -> float | NDArray[np.float64]:
    """Weighted fraction of samples whose highest-scoring class is the true label (``normalize=False``: their
    weighted count).

    ``y_true`` holds integer labels, ``y_score`` one row of class scores per sample. Ties for the
    highest score go to the lowest class index. Zero total weight gives 0.0. ``average`` other than ``"micro"``
    (torchmetrics' ``MulticlassAccuracy``): the accuracy of each class's samples, i.e. its recall, averaged so
    (:func:`class_recall`, with its ``options``).
    """
    if average != "micro":
        return class_recall(y_true, y_score, average=average, sample_weight=sample_weight, **options)
    labels, scores = _multiclass_inputs(y_true, y_score)
    return _weighted_mean(np.argmax(scores, axis=1) == labels, check_sample_weight(sample_weight, len(labels)),
                          normalize=normalize)


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
    normalize: bool = True,
    average: Average = "micro",
    sample_weight: ArrayLike | None = None,
    **options,
) -> float | NDArray[np.float64]:
    """Weighted fraction of samples whose true label is among the ``k`` highest-scoring classes (``normalize=False``:
    their weighted count).

    A sample is a hit when fewer than ``k`` classes score strictly higher than its true class
    (``ties="optimistic"``, TensorFlow's ``in_top_k`` convention); see :func:`top_k_hits` for the
    other tie rules. Zero total weight gives 0.0. ``average`` other than ``"micro"``: each class's top-k accuracy
    (its recall under :func:`top_k_labels`) averaged so (:func:`class_recall`, with its ``options``).
    """
    if k < 1:
        raise ValueError(f"k must be a positive integer; got {k}.")
    if average != "micro":
        return class_recall(y_true, y_score, average=average, top_k=k, top_k_ties=ties, sample_weight=sample_weight,
                            **options)
    labels, scores = _multiclass_inputs(y_true, y_score)
    hits = top_k_hits(labels, scores, k, ties)
    return _weighted_mean(hits, check_sample_weight(sample_weight, len(labels)), normalize=normalize)


def top_k_labels(labels: NDArray[np.int64], scores: NDArray[np.float64], k: int,
                 ties: TopKTies = "optimistic") -> NDArray[np.int64]:
    """The label each sample is predicted under top-k: its true label where it is among the ``k`` best classes
    (:func:`top_k_hits`, under the tie rule ``ties``), else its best class.

    This is the documented meaning of ``top_k`` for a label-based metric in torchmetrics ("number of highest
    probability or logit score predictions considered to find the correct label"): the label is found, or the
    sample is wrong with its best guess. The best class is the lowest index among equal maxima, except under
    ``higher_index_first`` (the highest). ``k=1`` is the argmax.
    """
    if k < 1:
        raise ValueError(f"top_k must be a positive integer; got {k}.")
    best = (scores.shape[1] - 1 - np.argmax(scores[:, ::-1], axis=1) if ties == "higher_index_first"
            else np.argmax(scores, axis=1)) if len(scores) else np.zeros(0, np.int64)
    return np.where(top_k_hits(labels, scores, k, ties), labels, best) if k > 1 else best


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
    ignore_index: int | None = None,
) -> BinaryCounts:
    """Weighted tp, fp, tn, fn over every (sample, label) cell, as Keras' confusion metrics count them.

    Inputs are binary, multiclass (labels with a row of scores: one-hot targets) or multilabel (see
    :func:`indicator_inputs`). A cell is predicted positive when its score is ``> threshold``;
    ``threshold=None`` predicts every cell (with ``top_k``: every selected cell). A list of thresholds
    gives one count per threshold. ``top_k``: only the ``k`` highest scores of a row can be positive
    (:func:`top_k_selection`; with ``pessimistic`` / ``optimistic`` ties, ``threshold`` must be None
    and each row counts exactly ``k`` predictions, ``fp = k - tp``, as a fixed-size top-k selection
    does). ``class_id``: only that column counts. A sample's weight applies to each of its cells; a multilabel cell
    whose target is ``ignore_index`` counts for nothing.
    """
    y_true, keep = ignored_cells(y_true, ignore_index) if np.ndim(y_true) == 2 else (y_true, None)
    targets, scores = indicator_inputs(y_true, y_score)
    weights = check_sample_weight(sample_weight, len(targets))
    selected = np.ones_like(scores, dtype=bool) if top_k is None else top_k_selection(scores, top_k, top_k_ties)
    fixed_size = top_k is not None and top_k_ties in ("pessimistic", "optimistic")
    if fixed_size and threshold is not None:
        raise ValueError("top_k with pessimistic or optimistic ties needs threshold=None (a fixed-size selection).")
    cells = weights[:, None] * (1.0 if keep is None else keep) * np.ones_like(scores)  # each cell's weight
    if class_id is not None:
        if not 0 <= class_id < scores.shape[1]:
            raise ValueError(f"class_id must be in [0, {scores.shape[1]}); got {class_id}.")
        targets, scores, selected, cells = (a[:, [class_id]] for a in (targets, scores, selected, cells))
    scalar = threshold is None or np.ndim(threshold) == 0
    levels = np.atleast_1d(np.asarray(-np.inf if threshold is None else threshold, dtype=np.float64))
    predicted = (selected[None] & (scores[None] > levels[:, None, None])).astype(np.float64)  # (T, n, L)
    positive_weight = (cells * targets).sum(axis=0)  # per column
    total_weight = cells.sum()
    # Each count is a sum over its own cells, not a difference of totals: a difference loses a weight of 1e-38
    # next to one of 7 (a count that should be 0 comes out as -7e-15).
    tp = np.einsum("tnl,nl,nl->t", predicted, targets, cells)
    fn = np.einsum("tnl,nl,nl->t", 1 - predicted, targets, cells)
    if fixed_size:  # each row counts exactly k predictions, whatever its scores (see the docstring)
        fp = weights.sum() * min(top_k, scores.shape[1]) - tp
        tn = total_weight - positive_weight.sum() - fp
    else:
        fp = np.einsum("tnl,nl,nl->t", predicted, 1 - targets, cells)
        tn = np.einsum("tnl,nl,nl->t", 1 - predicted, 1 - targets, cells)
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


def _positive_class(counts: BinaryCounts, pos_label: int) -> BinaryCounts:
    """Binary counts with ``pos_label`` as the positive class: class 0's tp is class 1's tn (predicted and true 0),
    its fp class 1's fn, and so on."""
    check_option(pos_label, "pos_label", (0, 1))
    return counts if pos_label == 1 else BinaryCounts(tp=counts.tn, fp=counts.fn, tn=counts.tp, fn=counts.fp)


def precision(y_true: ArrayLike, y_score: ArrayLike, *, threshold: Thresholds = 0.5,
              sample_weight: ArrayLike | None = None, zero_division: float = 0.0, pos_label: int = 1,
              **options) -> float | NDArray[np.float64]:
    """``tp / (tp + fp)`` at ``score > threshold``; ``zero_division`` when nothing is predicted positive.

    Counts as :func:`confusion_counts` (``top_k``, ``top_k_ties``, ``class_id``; a threshold list gives
    one precision per threshold). ``pos_label=0`` (binary): the precision of class 0, predicted where
    ``score <= threshold``."""
    c = _positive_class(confusion_counts(y_true, y_score, threshold=threshold, sample_weight=sample_weight,
                                         **options), pos_label)
    value = divide(c.tp, c.tp + c.fp, zero_division)
    return float(value) if value.ndim == 0 else value


def recall(y_true: ArrayLike, y_score: ArrayLike, *, threshold: Thresholds = 0.5,
           sample_weight: ArrayLike | None = None, zero_division: float = 0.0, pos_label: int = 1,
           **options) -> float | NDArray[np.float64]:
    """``tp / (tp + fn)`` at ``score > threshold``; ``zero_division`` when there is no positive weight.

    Counts as :func:`confusion_counts` (``top_k``, ``top_k_ties``, ``class_id``; a threshold list gives
    one recall per threshold). ``pos_label=0`` (binary): the recall of class 0 (the specificity)."""
    c = _positive_class(confusion_counts(y_true, y_score, threshold=threshold, sample_weight=sample_weight,
                                         **options), pos_label)
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


def _class_counts(y_true: ArrayLike, y_score: ArrayLike, *, threshold: float | None, argmax_ties: str,
                  top_k: int | None, top_k_ties: TopKTies, sample_weight: ArrayLike | None,
                  ignore_index: int | None = None):
    """Weighted ``(tp, fp, fn, tn)`` per (sample, class) cell, ``(n, C)`` each: the predictions of
    :func:`predicted_indicator`, or with ``top_k`` of :func:`top_k_labels` (multiclass labels only). A multilabel
    cell whose target is ``ignore_index`` counts for nothing."""
    keep = None
    if ignore_index is not None and np.ndim(y_true) == 2:
        y_true, keep = ignored_cells(y_true, ignore_index)
    actual, scores = indicator_inputs(y_true, y_score)
    weights = check_sample_weight(sample_weight, len(actual))[:, None]
    if keep is not None:
        weights = weights * keep
    if top_k is not None:
        if threshold is not None or np.ndim(y_true) != 1 or scores.shape[1] == 1:
            raise ValueError("top_k needs multiclass labels and class scores, without a threshold.")
        predicted = np.eye(scores.shape[1])[top_k_labels(as_label_array(y_true, "y_true"), scores, top_k, top_k_ties)]
    else:
        predicted = predicted_indicator(scores, threshold=threshold, argmax_ties=argmax_ties)
    return (weights * predicted * actual, weights * predicted * (1 - actual), weights * (1 - predicted) * actual,
            weights * (1 - predicted) * (1 - actual))


Measure = Literal["fbeta", "precision", "recall", "specificity"]
AbsentClasses = Literal["zero", "exclude", "exclude_unsupported"]


def _ratio(measure: Measure, tp, fp, fn, beta: float, epsilon: float, zero_division: float,
           tn=None) -> NDArray[np.float64]:
    """The measure from summed counts (arrays of the same shape)."""
    if measure == "specificity":
        return divide(tn, tn + fp, zero_division)
    if measure == "precision":
        return divide(tp, tp + fp, zero_division) if not epsilon else tp / (tp + fp + epsilon)
    if measure == "recall":
        return divide(tp, tp + fn, zero_division) if not epsilon else tp / (tp + fn + epsilon)
    b2 = beta**2
    if epsilon:
        p, r = tp / (tp + fp + epsilon), tp / (tp + fn + epsilon)
        return (1 + b2) * (p * r) / (b2 * p + r + epsilon)
    return divide((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp, zero_division)


def _averaged(measure: Measure, y_true: ArrayLike, y_score: ArrayLike, *, beta: float = 1.0,
              average: Average = "macro", threshold: float | None = None,
              argmax_ties: Literal["first", "all"] = "first", absent_classes: AbsentClasses = "zero",
              epsilon: float = 0.0, sample_weight: ArrayLike | None = None, zero_division: float = 0.0,
              zero_support: Literal["zero", "unweighted"] = "zero", top_k: int | None = None,
              top_k_ties: TopKTies = "optimistic", ignore_index: int | None = None) -> float | NDArray[np.float64]:
    check_option(average, "average", (None, "micro", "macro", "weighted", "samples"))
    check_option(absent_classes, "absent_classes", ("zero", "exclude", "exclude_unsupported"))
    check_option(zero_support, "zero_support", ("zero", "unweighted"))
    if beta < 0:
        raise ValueError(f"beta must be non-negative; got {beta}.")
    if top_k_ties in ("least", "most"):
        return _tie_extreme(measure, y_true, y_score, top_k=top_k or 1, extreme=top_k_ties, beta=beta,
                            average=average, absent_classes=absent_classes, sample_weight=sample_weight,
                            zero_division=zero_division)
    tp, fp, fn, tn = _class_counts(y_true, y_score, threshold=threshold, argmax_ties=argmax_ties, top_k=top_k,
                                   top_k_ties=top_k_ties, sample_weight=sample_weight, ignore_index=ignore_index)
    if average == "samples":  # one score per sample over its labels, then their weighted mean (NaN ones left out)
        if np.ndim(y_true) != 2:
            raise ValueError("average='samples' needs multilabel targets (an (n, L) 0/1 matrix).")
        rows = _class_counts(y_true, y_score, threshold=threshold, argmax_ties=argmax_ties, top_k=top_k,
                             top_k_ties=top_k_ties, sample_weight=None, ignore_index=ignore_index)
        tp_s, fp_s, fn_s, tn_s = (c.sum(axis=1) for c in rows)
        per_sample = _ratio(measure, tp_s, fp_s, fn_s, beta, epsilon, zero_division, tn_s)
        weights, kept = check_sample_weight(sample_weight, len(per_sample)), ~np.isnan(per_sample)
        if len(per_sample) and not kept.any():
            return float("nan")
        return float(divide(np.dot(weights[kept], per_sample[kept]), weights[kept].sum()))
    tp, fp, fn, tn = tp.sum(axis=0), fp.sum(axis=0), fn.sum(axis=0), tn.sum(axis=0)
    if average == "micro":
        return float(_ratio(measure, tp.sum(), fp.sum(), fn.sum(), beta, epsilon, zero_division, tn.sum()))
    per_class = _ratio(measure, tp, fp, fn, beta, epsilon, zero_division, tn)
    if average is None:
        return per_class
    defined = ~np.isnan(per_class)  # zero_division=NaN: an undefined class is left out of the average
    if average == "weighted":
        support = np.where(defined, tp + fn, 0.0)
        total = support.sum() + epsilon
        if total:
            return float(np.dot(per_class[defined], support[defined]) / total)
        if zero_support == "unweighted":
            return float(np.mean(per_class[defined])) if defined.any() else float("nan")
        return 0.0 if defined.any() else float("nan")
    counted = {"zero": np.ones_like(tp, dtype=bool), "exclude": (tp + fp + fn) > 0,
               "exclude_unsupported": (tp + fn) > 0}[absent_classes]
    present = counted & defined
    if not present.any() and not defined.any():
        return float("nan")
    return float(divide(per_class[present].sum(), present.sum()))


def top_k_label_choices(labels: NDArray[np.int64], scores: NDArray[np.float64], k: int) -> NDArray[np.bool_]:
    """``(n, C)``: the labels each sample may be predicted under :func:`top_k_labels` in some order of its tied
    classes: its label where it may be among the ``k`` best; any class tied for its best where the label may be
    out of them (and, for ``k=1``, the argmax may be any of them)."""
    may_hit = top_k_hits(labels, scores, k, "optimistic")
    sure_hit = top_k_hits(labels, scores, k, "pessimistic")
    best = scores == scores.max(axis=1, keepdims=True) if len(scores) else np.zeros_like(scores, dtype=bool)
    choices = np.zeros_like(scores, dtype=bool)
    rows = np.arange(len(labels))
    if k == 1:
        return best
    choices[rows[may_hit], labels[may_hit]] = True
    return choices | (best & ~sure_hit[:, None])


def _tie_extreme(measure: Measure, y_true: ArrayLike, y_score: ArrayLike, *, top_k: int, extreme: TieExtreme,
                 beta: float, average: Average, absent_classes: AbsentClasses, sample_weight: ArrayLike | None,
                 zero_division: float) -> float | NDArray[np.float64]:
    """The least (most) value the measure can take under :func:`top_k_labels` in any order of tied classes.

    Each class's value grows with its true positives and falls with its false positives (its support, tp + fn, is
    fixed): its extremes put every sample that may go either way on the side that hurts (helps) it. A mean of
    per-class values lies between the means of their extremes; where a class may or may not count in a macro mean
    (``absent_classes="exclude"``: it counts only if some sample is predicted as it) the bound widens to the
    extremes of the classes themselves."""
    labels, scores = _multiclass_inputs(y_true, y_score)
    weights = check_sample_weight(sample_weight, len(labels))
    choices = top_k_label_choices(labels, scores, top_k)
    onehot = np.eye(scores.shape[1], dtype=bool)[labels]
    certain = choices.sum(axis=1) == 1
    support = weights @ onehot
    hit_possible, hit_certain = weights @ (choices & onehot), weights @ (choices & onehot & certain[:, None])
    fp_possible = weights @ (choices & ~onehot)
    fp_certain = weights @ (choices & ~onehot & certain[:, None])
    negatives = weights.sum() - support
    if average == "micro":  # one prediction per sample: tp over the total weight (specificity: the same tn, fp)
        hits = (weights * (choices & onehot).any(axis=1)) if extreme == "most" else weights * (certain & (
            choices & onehot).any(axis=1))
        misses = weights.sum() - hits.sum()
        return float(_ratio(measure, hits.sum(), misses, misses, beta, 0.0, zero_division,
                            negatives.sum() - misses))
    low = _ratio(measure, hit_certain, fp_possible, support - hit_certain, beta, 0.0, zero_division,
                 negatives - fp_possible)
    high = _ratio(measure, hit_possible, fp_certain, support - hit_possible, beta, 0.0, zero_division,
                  negatives - fp_certain)
    per_class = np.minimum(low, high) if extreme == "least" else np.maximum(low, high)
    if average is None:
        return per_class
    if average == "weighted":
        return float(divide(np.dot(per_class, support), support.sum()))
    counted = {"zero": np.ones(len(support), bool), "exclude": (support + fp_certain) > 0,
               "exclude_unsupported": support > 0}[absent_classes]
    maybe = (support + fp_possible > 0) & ~counted if absent_classes == "exclude" else np.zeros_like(counted)
    if maybe.any():  # the classes counted depend on the order: any of their values bounds the mean
        pick = np.min if extreme == "least" else np.max
        return float(pick(per_class[counted | maybe]))
    return float(divide(per_class[counted].sum(), counted.sum()))


def fbeta_score(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    beta: float = 1.0,
    average: Average = "macro",
    threshold: float | None = None,
    argmax_ties: Literal["first", "all"] = "first",
    absent_classes: AbsentClasses = "zero",
    epsilon: float = 0.0,
    sample_weight: ArrayLike | None = None,
    zero_division: float = 0.0,
    zero_support: Literal["zero", "unweighted"] = "zero",
    top_k: int | None = None,
    top_k_ties: TopKTies | TieExtreme = "optimistic",
    ignore_index: int | None = None,
) -> float | NDArray[np.float64]:
    """F-beta score of a multiclass (integer labels) or multilabel (0/1 matrix) classifier, per class or averaged.

    Per class c, with weighted counts over samples: ``F = (1 + beta²) tp / ((1 + beta²) tp + beta² fn + fp)``,
    ``zero_division`` (0.0 by default) when the denominator is 0: the class is neither true nor predicted
    (scikit-learn's and torchmetrics' ``zero_division``). Predictions come from :func:`predicted_indicator`; with
    ``top_k`` (multiclass), a sample predicts its true label where that is among its ``k`` best classes, else its
    best class (:func:`top_k_labels`, ties at the k-th place under ``top_k_ties``; ``"least"`` / ``"most"``: the
    least / most the score can be in any order of tied classes, for a library whose order is unspecified).

    * ``average=None``: one score per class; ``"micro"``: counts summed over classes first;
      ``"macro"``: unweighted mean over classes; ``"weighted"``: mean weighted by each class's
      weighted support (``tp + fn``); ``"samples"`` (multilabel): one score per sample over its labels, then
      their weighted mean. With zero support overall (no true label anywhere) the weights are all 0:
      ``zero_support="zero"`` gives 0.0 (torchmetrics), ``"unweighted"`` the unweighted mean of the per-class scores
      (scikit-learn, whose average then ignores the weights).
    * ``zero_division=NaN``: an undefined class (or sample) is left out of the average, as scikit-learn documents
      ("such values will be excluded from the average"); with none left the average is NaN.
    * ``absent_classes``: for ``"macro"``, whether a class with ``tp + fp + fn == 0`` counts (as
      ``zero_division``) in the mean (``"zero"``, Keras and scikit-learn with ``labels`` given) or is left out of the
      divisor (``"exclude"``, torchmetrics); ``"exclude_unsupported"`` leaves out every class that is never true
      (``tp + fn == 0``), predicted or not (torchmetrics' precision and recall with ``top_k > 1``).
    * ``epsilon``: 0.0 computes the exact formula above. A positive value computes it as Keras does,
      ``p = tp/(tp+fp+eps)``, ``r = tp/(tp+fn+eps)``, ``F = (1+beta²) p r / (beta² p + r + eps)``,
      and for ``"weighted"`` divides the support by ``sum(support) + eps``.
    * ``ignore_index`` (multilabel): a (sample, label) cell whose target is that value counts for nothing.
    """
    return _averaged("fbeta", y_true, y_score, beta=beta, average=average, threshold=threshold,
                     argmax_ties=argmax_ties, absent_classes=absent_classes, epsilon=epsilon,
                     sample_weight=sample_weight, zero_division=zero_division, zero_support=zero_support,
                     top_k=top_k, top_k_ties=top_k_ties, ignore_index=ignore_index)


def class_precision(y_true: ArrayLike, y_score: ArrayLike, *, average: Average = "micro",
                    sample_weight: ArrayLike | None = None, **options) -> float | NDArray[np.float64]:
    """Precision ``tp / (tp + fp)`` per class of a multiclass or multilabel classifier, or averaged; the predictions,
    averages and options (``top_k``, ``threshold``, ``zero_division``, ``absent_classes``, ...) as
    :func:`fbeta_score`."""
    return _averaged("precision", y_true, y_score, average=average, sample_weight=sample_weight, **options)


def class_specificity(y_true: ArrayLike, y_score: ArrayLike, *, average: Average = "macro",
                      sample_weight: ArrayLike | None = None, **options) -> float | NDArray[np.float64]:
    """Specificity ``tn / (tn + fp)`` per class (one class against the rest) of a multiclass or multilabel classifier,
    or averaged (``weighted``: by each class's support, ``tp + fn``); the predictions, averages and options as
    :func:`fbeta_score`."""
    return _averaged("specificity", y_true, y_score, average=average, sample_weight=sample_weight, **options)


def class_recall(y_true: ArrayLike, y_score: ArrayLike, *, average: Average = "micro",
                 sample_weight: ArrayLike | None = None, **options) -> float | NDArray[np.float64]:
    """Recall ``tp / (tp + fn)`` per class of a multiclass or multilabel classifier, or averaged; the predictions,
    averages and options as :func:`fbeta_score`."""
    return _averaged("recall", y_true, y_score, average=average, sample_weight=sample_weight, **options)


def f1_score(y_true: ArrayLike, y_score: ArrayLike, **kwargs) -> float | NDArray[np.float64]:
    """:func:`fbeta_score` with ``beta=1``."""
    return fbeta_score(y_true, y_score, beta=1.0, **kwargs)
