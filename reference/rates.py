"""Reference rates of the confusion counts of each label or class, and their averages: accuracy per label,
specificity, negative predictive value, the stat scores themselves, balanced accuracy and the zero-one loss.

Inputs are binary (``(n,)`` 0/1 targets and scores), multiclass (integer labels with an ``(n, C)`` row of scores,
one-hot targets and the row's argmax predicted, the lowest index among equal maxima) or multilabel (an ``(n, L)``
0/1 matrix with ``(n, L)`` scores), as :func:`reference.classification.indicator_inputs` reads them. Per column
(label, or class one-vs-rest): weighted ``tp``, ``fp``, ``tn``, ``fn``, each sample's weight on every cell of its
row; a cell is predicted positive when its score is ``> threshold`` (``threshold=None``: the row's argmax). A
multilabel cell whose target is ``ignore_index`` counts for nothing (torchmetrics: "a target value that is ignored
and does not contribute to the metric calculation"): its label's counts leave it out.
Conventions, as torchmetrics' classification pages and scikit-learn's user guide define them:

* **Averages** over the columns: ``micro`` sums the counts of every column first (``binary``: the one column of
  binary inputs); ``macro`` is the unweighted mean of the columns' rates, where ``absent_classes="exclude"``
  leaves out a column with ``tp + fp + fn == 0`` (torchmetrics' multiclass rule) and ``"include"`` counts it;
  ``weighted`` weighs each column's rate by its support ``tp + fn`` (zero support overall gives 0.0);
  ``None`` / ``"none"`` gives one rate per column.
* **Zero division**: a rate whose denominator is 0 is ``zero_division`` (0.0 by default).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_label_array, check_option, check_same_length, check_sample_weight, divide, ignored_cells
from .classification import indicator_inputs, predicted_indicator

Average = Literal["binary", "micro", "macro", "weighted", "none"] | None
AbsentClasses = Literal["include", "exclude"]


class ColumnCounts(NamedTuple):
    """Weighted confusion counts of each column (label, or class one-vs-rest)."""

    tp: NDArray[np.float64]
    fp: NDArray[np.float64]
    tn: NDArray[np.float64]
    fn: NDArray[np.float64]


def column_counts(y_true: ArrayLike, y_score: ArrayLike, *, threshold: float | None,
                  sample_weight: ArrayLike | None, ignore_index: int | None = None) -> ColumnCounts:
    """The weighted ``tp, fp, tn, fn`` of each column (see the module): a multilabel cell whose target is
    ``ignore_index`` is in none of them."""
    y_true, keep = ignored_cells(y_true, ignore_index) if np.ndim(y_true) == 2 else (y_true, None)
    actual, scores = indicator_inputs(y_true, y_score)
    weights = check_sample_weight(sample_weight, len(actual))
    predicted = predicted_indicator(scores, threshold=threshold, argmax_ties="first")
    kept = 1.0 if keep is None else keep
    return ColumnCounts(weights @ (kept * predicted * actual), weights @ (kept * predicted * (1 - actual)),
                        weights @ (kept * (1 - predicted) * (1 - actual)), weights @ (kept * (1 - predicted) * actual))


def _averaged(counts: ColumnCounts, numerator: NDArray[np.float64], denominator: NDArray[np.float64],
              micro: tuple[float, float], *, average: Average, absent_classes: AbsentClasses,
              zero_division: float) -> float | NDArray[np.float64]:
    check_option(average, "average", ("binary", "micro", "macro", "weighted", "none", None))
    check_option(absent_classes, "absent_classes", ("include", "exclude"))
    if average in ("binary", "micro"):
        return float(divide(*micro, zero_division))
    per_column = divide(numerator, denominator, zero_division)
    if average in (None, "none"):
        return per_column
    if average == "weighted":
        support = counts.tp + counts.fn
        return float(divide(np.dot(per_column, support), support.sum()))
    counted = ((counts.tp + counts.fp + counts.fn) > 0 if absent_classes == "exclude"
               else np.ones(len(per_column), dtype=bool))
    return float(divide(per_column[counted].sum(), counted.sum()))


def label_accuracy(
    y_true: ArrayLike, y_score: ArrayLike, *, threshold: float | None = 0.5, average: Average = "micro",
    absent_classes: AbsentClasses = "include", sample_weight: ArrayLike | None = None,
    ignore_index: int | None = None,
) -> float | NDArray[np.float64]:
    """Accuracy of each column's cells, ``(tp + tn) / (tp + fp + tn + fn)``, averaged over the columns (torchmetrics'
    ``MultilabelAccuracy``; ``micro`` is Keras' ``BinaryAccuracy`` of ``(n, L)`` rows, the share of right cells)."""
    c = column_counts(y_true, y_score, threshold=threshold, sample_weight=sample_weight, ignore_index=ignore_index)
    right, total = c.tp + c.tn, c.tp + c.fp + c.tn + c.fn
    return _averaged(c, right, total, (right.sum(), total.sum()), average=average, absent_classes=absent_classes,
                     zero_division=0.0)


def label_specificity(
    y_true: ArrayLike, y_score: ArrayLike, *, threshold: float | None = 0.5, average: Average = "macro",
    absent_classes: AbsentClasses = "include", zero_division: float = 0.0, sample_weight: ArrayLike | None = None,
    ignore_index: int | None = None,
) -> float | NDArray[np.float64]:
    """Specificity (true negative rate) ``tn / (tn + fp)`` of each column, averaged over the columns."""
    c = column_counts(y_true, y_score, threshold=threshold, sample_weight=sample_weight, ignore_index=ignore_index)
    return _averaged(c, c.tn, c.tn + c.fp, (c.tn.sum(), (c.tn + c.fp).sum()), average=average,
                     absent_classes=absent_classes, zero_division=zero_division)


def negative_predictive_value(
    y_true: ArrayLike, y_score: ArrayLike, *, threshold: float | None = 0.5, average: Average = "binary",
    absent_classes: AbsentClasses = "include", zero_division: float = 0.0, sample_weight: ArrayLike | None = None,
    ignore_index: int | None = None,
) -> float | NDArray[np.float64]:
    """Negative predictive value ``tn / (tn + fn)``: the share of predicted negatives that are negative, of each
    column, averaged over the columns (for binary inputs, scikit-learn's precision of class 0)."""
    c = column_counts(y_true, y_score, threshold=threshold, sample_weight=sample_weight, ignore_index=ignore_index)
    return _averaged(c, c.tn, c.tn + c.fn, (c.tn.sum(), (c.tn + c.fn).sum()), average=average,
                     absent_classes=absent_classes, zero_division=zero_division)


def stat_scores(
    y_true: ArrayLike, y_score: ArrayLike, *, threshold: float | None = 0.5, average: Average = "micro",
    sample_weight: ArrayLike | None = None, ignore_index: int | None = None,
) -> NDArray[np.float64]:
    """``[tp, fp, tn, fn, support]`` (support ``tp + fn``): summed over the columns (``binary``, ``micro``), their
    mean (``macro``), their mean weighted by support (``weighted``; zero support overall gives NaN, no weights to
    average with), or one row per column (``None`` / ``"none"``), as torchmetrics' ``StatScores`` reports them."""
    check_option(average, "average", ("binary", "micro", "macro", "weighted", "none", None))
    c = column_counts(y_true, y_score, threshold=threshold, sample_weight=sample_weight, ignore_index=ignore_index)
    table = np.stack([c.tp, c.fp, c.tn, c.fn, c.tp + c.fn], axis=-1)  # (columns, 5)
    if average in ("binary", "micro"):
        return table.sum(axis=0)
    if average == "macro":
        return table.mean(axis=0)
    if average == "weighted":
        support = c.tp + c.fn
        with np.errstate(invalid="ignore", divide="ignore"):
            return (table * (support / support.sum())[:, None]).sum(axis=0)
    return table


def balanced_accuracy(
    y_true: ArrayLike, y_pred: ArrayLike, *, adjusted: bool = False, sample_weight: ArrayLike | None = None,
) -> float:
    """The mean over the classes that occur in ``y_true`` of each one's recall (scikit-learn's
    ``balanced_accuracy_score``: "the average of recall obtained on each class"); a class only predicted has no
    recall and does not count. ``adjusted``: rescaled so that chance scores 0, ``(score - 1/K) / (1 - 1/K)`` with
    ``K`` those classes, undefined (NaN) for one class. No weight on any class gives 0.0."""
    labels, predicted = as_label_array(y_true, "y_true"), as_label_array(y_pred, "y_pred")
    n = check_same_length(y_true=labels, y_pred=predicted)
    weights = check_sample_weight(sample_weight, n)
    classes = np.unique(labels[weights > 0])
    if not classes.size:
        return 0.0
    recalls = np.array([np.dot(weights, (labels == c) & (predicted == c)) / np.dot(weights, labels == c)
                        for c in classes])  # a loop over classes, not samples
    score = float(recalls.mean())
    if adjusted:
        if classes.size == 1:
            return float("nan")  # chance is the score itself: (score - 1) / 0
        chance = 1.0 / classes.size
        score = (score - chance) / (1 - chance)
    return score


def zero_one_loss(y_true: ArrayLike, y_pred: ArrayLike, *, normalize: bool = True,
                  sample_weight: ArrayLike | None = None) -> float:
    """The weighted share of misclassified samples, ``1 - accuracy``; a multilabel ``(n, L)`` row counts as
    misclassified unless every label is right (scikit-learn's ``zero_one_loss``). No weight gives 0.0.
    ``normalize=False``: their (weighted) number instead ("the number of misclassifications")."""
    truth, predicted = np.asarray(y_true), np.asarray(y_pred)
    if truth.shape != predicted.shape:
        raise ValueError(f"y_true and y_pred must have one shape; got {truth.shape} and {predicted.shape}.")
    n = len(truth)
    weights = check_sample_weight(sample_weight, n)
    wrong = np.any(truth.reshape(n, -1) != predicted.reshape(n, -1), axis=1)
    if not normalize:
        return float(np.dot(weights, wrong))
    return float(divide(np.dot(weights, wrong), weights.sum()))
