"""Reference metrics read off a confusion matrix: the matrix itself, IoU (Jaccard), Matthews correlation,
Cohen's kappa, Hamming distance and specificity.

Conventions shared by every function here (each docstring repeats the ones it uses):

* **Predicted labels** come from ``y_pred`` as given (integer labels), or from scores: a row of class
  scores (one more axis than ``y_true``) gives its argmax, the lowest index among equal maxima; a
  ``threshold`` turns one score per element into 0/1, positive when ``score > threshold``
  (``at_threshold="positive"``: when ``score >= threshold``).
* **Elements**: ``y_true`` may be ``(n,)`` labels or ``(n, ...)`` label maps (segmentation); every
  element counts once, and a sample's weight (``(n,)``) applies to each of its elements.
* **Counting** is one ``bincount`` over ``C * true + predicted``: O(n) time and memory, no loop over samples.
* **Zero division**: a ratio with a zero denominator is ``zero_division`` (0.0 unless a function says otherwise).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import (
    as_float_array,
    check_labels_in_range,
    check_option,
    check_sample_weight,
    divide,
    ignored_cells,
)
from .rates import column_counts

AtThreshold = Literal["negative", "positive"]
FLOAT32_EPS = float(np.finfo(np.float32).eps)


def _labels(values: ArrayLike, name: str) -> NDArray[np.int64]:
    array = np.asarray(values)
    if array.size and not np.issubdtype(array.dtype, np.integer) and not np.all(np.equal(np.mod(array, 1), 0)):
        raise ValueError(f"{name} must hold integer class labels; got non-integer values.")
    return array.astype(np.int64, copy=False)


def predicted_labels(y_true: ArrayLike, y_pred: ArrayLike, *, threshold: float | None = None,
                     at_threshold: AtThreshold = "negative") -> tuple[NDArray[np.int64], NDArray[np.int64]]:
    """``(true, predicted)`` labels as two flat integer arrays, one entry per element.

    ``y_pred`` with one more axis than ``y_true`` is a row of class scores per element: its argmax
    (lowest index among ties). Otherwise with ``threshold``: ``score > threshold`` is class 1
    (``at_threshold="positive"``: ``score >= threshold``). Otherwise ``y_pred`` holds labels.
    """
    check_option(at_threshold, "at_threshold", ("negative", "positive"))
    true = _labels(y_true, "y_true")
    pred = np.asarray(y_pred)
    if pred.ndim == true.ndim + 1:
        scores = as_float_array(pred.reshape(-1, pred.shape[-1]) if pred.size else pred.reshape(0, pred.shape[-1]),
                                "y_pred", ndim=2)
        predicted = np.argmax(scores, axis=1) if len(scores) else np.zeros(0, np.int64)
    elif threshold is not None:
        scores = as_float_array(pred.reshape(-1), "y_pred")
        predicted = (scores >= threshold if at_threshold == "positive" else scores > threshold).astype(np.int64)
    else:
        predicted = _labels(pred, "y_pred").reshape(-1)
    if pred.shape[:true.ndim] != true.shape or (pred.ndim == true.ndim and pred.shape != true.shape):
        raise ValueError(f"y_pred must have one label (or one row of scores) per element of y_true {true.shape}; "
                         f"got shape {pred.shape}.")
    return true.reshape(-1), predicted


def _element_weights(sample_weight: ArrayLike | None, y_true: ArrayLike) -> NDArray[np.float64]:
    """Per-element weights: each sample's weight repeated over its elements."""
    shape = np.shape(y_true)
    weights = check_sample_weight(sample_weight, shape[0] if shape else 0)
    per_sample = int(np.prod(shape[1:], dtype=np.int64))
    return weights if per_sample == 1 else np.repeat(weights, per_sample)


def confusion_matrix(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    num_classes: int | None = None,
    threshold: float | None = None,
    at_threshold: AtThreshold = "negative",
    ignore_index: int | None = None,
    normalize: Literal["true", "pred", "all"] | None = None,
    sample_weight: ArrayLike | None = None,
) -> NDArray[np.float64]:
    """The ``(C, C)`` weighted confusion matrix: row = true class, column = predicted class.

    ``num_classes`` defaults to one more than the largest label seen (2 at least with ``threshold``).
    Elements whose true label is ``ignore_index`` are left out. ``normalize`` divides by each row's
    (``"true"``), column's (``"pred"``) or the overall sum, with 0.0 where that sum is 0.
    Predicted labels and per-element weights as :func:`predicted_labels` and the module's conventions say.
    """
    check_option(normalize, "normalize", (None, "true", "pred", "all"))
    weights = _element_weights(sample_weight, y_true)
    true, pred = predicted_labels(y_true, y_pred, threshold=threshold, at_threshold=at_threshold)
    if ignore_index is not None:
        kept = true != ignore_index
        true, pred, weights = true[kept], pred[kept], weights[kept]
    if num_classes is None:
        num_classes = max(int(max(true.max(initial=0), pred.max(initial=0))) + 1, 2 if threshold is not None else 1)
    check_labels_in_range(true, num_classes, "y_true")
    check_labels_in_range(pred, num_classes, "y_pred")
    matrix = np.bincount(num_classes * true + pred, weights=weights, minlength=num_classes**2).astype(np.float64)
    matrix = matrix.reshape(num_classes, num_classes)
    if normalize == "true":
        return divide(matrix, matrix.sum(axis=1, keepdims=True))
    if normalize == "pred":
        return divide(matrix, matrix.sum(axis=0, keepdims=True))
    if normalize == "all":
        return divide(matrix, matrix.sum())
    return matrix


def multilabel_confusion_matrix(
    y_true: ArrayLike, y_score: ArrayLike, *, threshold: float = 0.5, sample_weight: ArrayLike | None = None,
    normalize: Literal["true", "pred", "all"] | None = None, samplewise: bool = False,
    ignore_index: int | None = None,
) -> NDArray[np.float64]:
    """One ``[[tn, fp], [fn, tp]]`` matrix per label, ``(L, 2, 2)``, predicting ``score > threshold``.

    ``y_true`` is an ``(n, L)`` 0/1 matrix and ``y_score`` its ``(n, L)`` scores; a sample's weight
    applies to each of its labels. ``normalize`` divides each label's matrix as :func:`confusion_matrix` does.
    ``samplewise``: one matrix per sample instead, ``(n, 2, 2)``, of its labels, times its weight. A cell whose
    target is ``ignore_index`` counts in no matrix.
    """
    check_option(normalize, "normalize", (None, "true", "pred", "all"))
    y_true, keep = ignored_cells(y_true, ignore_index)
    if samplewise:
        targets = as_float_array(y_true, "y_true", ndim=2)
        predicted = (as_float_array(y_score, "y_score", ndim=2) > threshold).astype(np.float64)
        weights = check_sample_weight(sample_weight, len(targets))[:, None]
        kept = 1.0 if keep is None else keep
        cells = [kept * (1 - targets) * (1 - predicted), kept * (1 - targets) * predicted,
                 kept * targets * (1 - predicted), kept * targets * predicted]
        tn, fp, fn, tp = (weights[:, 0] * c.sum(axis=1) for c in cells)
        return np.stack([np.stack([tn, fp], axis=-1), np.stack([fn, tp], axis=-1)], axis=-2)
    targets = as_float_array(y_true, "y_true", ndim=2)
    scores = as_float_array(y_score, "y_score", ndim=2)
    if targets.shape != scores.shape:
        raise ValueError(f"y_true and y_score must have the same (n, L) shape; got {targets.shape} and {scores.shape}.")
    weights = check_sample_weight(sample_weight, len(targets))
    predicted = (scores > threshold).astype(np.float64)
    if keep is not None:  # an ignored cell (its target set to 0) is neither predicted nor a negative
        predicted = predicted * keep
    kept = 1.0 if keep is None else keep
    tp = weights @ (targets * predicted)
    fp = weights @ ((1 - targets) * predicted)
    fn = weights @ (targets * (1 - predicted))
    tn = weights @ ((1 - targets) * (1 - predicted) * kept)  # counted, not total - tp - fp - fn (may round < 0)
    matrices = np.stack([np.stack([tn, fp], axis=-1), np.stack([fn, tp], axis=-1)], axis=-2)
    if normalize == "true":
        return divide(matrices, matrices.sum(axis=2, keepdims=True))
    if normalize == "pred":
        return divide(matrices, matrices.sum(axis=1, keepdims=True))
    if normalize == "all":
        return divide(matrices, matrices.sum(axis=(1, 2), keepdims=True))
    return matrices


def iou(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    num_classes: int | None = None,
    target_class_ids: Sequence[int] | None = None,
    average: Literal["macro", "micro", "weighted"] | None = "macro",
    threshold: float | None = None,
    at_threshold: AtThreshold = "negative",
    ignore_class: int | None = None,
    ignored_class_in_mean: bool = False,
    absent_classes: Literal["exclude", "zero"] = "exclude",
    epsilon: float = 0.0,
    zero_division: float = 0.0,
    sample_weight: ArrayLike | None = None,
) -> float | NDArray[np.float64]:
    """Intersection over union (Jaccard index) per class, ``tp / (tp + fp + fn)``, or its mean.

    From the weighted confusion matrix (:func:`confusion_matrix`; label maps count every pixel).

    * ``target_class_ids``: the classes reported (default: all ``num_classes``), in that order.
    * ``average="macro"``: their mean. A class with ``tp + fp + fn == 0`` (absent from truth and
      prediction) is left out of the mean (``absent_classes="exclude"``, Keras and torchmetrics) or
      counts as ``zero_division`` (``"zero"``, scikit-learn given ``labels``); no class left gives 0.0.
      ``average=None``: one IoU per class, ``zero_division`` for an absent class. ``"micro"``: the counts summed
      over the classes first; ``"weighted"``: the mean weighted by each class's true (weighted) count.
    * ``ignore_class``: elements whose true label is it are left out, and so is the class from the
      mean, unless ``ignored_class_in_mean`` (Keras keeps it, so its false positives make it a 0.0).
    * ``epsilon``: 0.0 computes the exact ratio. A positive value computes as Keras does:
      ``tp / (d + eps)`` per class, a class present when ``d > 1e-9``, and the mean as
      ``sum / (present + eps)``.
    """
    check_option(average, "average", ("macro", "micro", "weighted", None))
    check_option(absent_classes, "absent_classes", ("exclude", "zero"))
    matrix = confusion_matrix(y_true, y_pred, num_classes=num_classes, threshold=threshold,
                              at_threshold=at_threshold, ignore_index=ignore_class, sample_weight=sample_weight)
    tp = np.diag(matrix)
    denominator = matrix.sum(axis=0) + matrix.sum(axis=1) - tp
    support = matrix.sum(axis=1)
    classes = np.arange(len(tp)) if target_class_ids is None else np.asarray(target_class_ids, dtype=np.int64)
    if classes.size == 0 or classes.min() < 0 or classes.max() >= len(tp):
        raise ValueError(f"target_class_ids must be classes in [0, {len(tp)}); got {classes.tolist()}.")
    tp, denominator, support = tp[classes], denominator[classes], support[classes]
    counted_classes = np.ones(len(classes), dtype=bool)
    if ignore_class is not None and not ignored_class_in_mean:
        counted_classes = classes != ignore_class
    if average == "micro":
        return float(divide(tp[counted_classes].sum(), denominator[counted_classes].sum(), zero_division))
    if epsilon:
        present = denominator > 1e-9
        per_class = np.where(present, tp / (denominator + epsilon), 0.0)
    else:
        present = denominator > 0
        per_class = divide(tp, denominator, zero_division)
    if average is None:
        return per_class
    if average == "weighted":
        return float(divide(np.dot(per_class[counted_classes], support[counted_classes]),
                            support[counted_classes].sum()))
    counted = (present if absent_classes == "exclude" else np.ones_like(present)) & counted_classes
    if epsilon:
        return float(per_class[counted].sum() / (counted.sum() + epsilon))
    return float(divide(per_class[counted].sum(), counted.sum()))


def matthews_corrcoef(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    num_classes: int | None = None,
    threshold: float | None = None,
    undefined: Literal["zero", "torchmetrics"] = "zero",
    sample_weight: ArrayLike | None = None,
    ignore_index: int | None = None,
) -> float:
    """Matthews correlation coefficient (Gorodkin's multiclass ``R_K``) of the weighted confusion matrix.

    ``(c s - t.p) / sqrt((s² - p.p)(s² - t.t))`` with ``c`` the trace, ``s`` the total weight, ``t`` and
    ``p`` the true and predicted class totals. Where the denominator is 0 (one class predicted or true
    only, or no weight) it is 0.0 (``undefined="zero"``, as scikit-learn). ``undefined="torchmetrics"``
    reproduces torchmetrics' rules for a 2 x 2 matrix: 1.0 when nothing is misclassified, -1.0 when
    nothing is right, else the limits of its float32-epsilon-smoothed formula. An element whose true label is
    ``ignore_index`` is left out.
    """
    check_option(undefined, "undefined", ("zero", "torchmetrics"))
    matrix = confusion_matrix(y_true, y_pred, num_classes=num_classes, threshold=threshold,
                              sample_weight=sample_weight, ignore_index=ignore_index)
    if undefined == "torchmetrics" and matrix.shape == (2, 2):
        special = _torchmetrics_binary_mcc(matrix)
        if special is not None:
            return special
    true_totals, pred_totals = matrix.sum(axis=1), matrix.sum(axis=0)
    total, correct = matrix.sum(), np.trace(matrix)
    covariance = correct * total - true_totals @ pred_totals
    denominator = (total**2 - pred_totals @ pred_totals) * (total**2 - true_totals @ true_totals)
    return float(covariance / np.sqrt(denominator)) if denominator > 0 else 0.0


def _torchmetrics_binary_mcc(matrix: NDArray[np.float64]) -> float | None:
    """torchmetrics' value for a 2 x 2 matrix where it departs from the formula, else None."""
    (tn, fp), (fn, tp) = matrix
    if tp + tn != 0 and fp + fn == 0:
        return 1.0
    if tp + tn == 0 and fp + fn != 0:
        return -1.0
    true_totals, pred_totals, total = matrix.sum(axis=1), matrix.sum(axis=0), matrix.sum()
    if (total**2 - pred_totals @ pred_totals) * (total**2 - true_totals @ true_totals) != 0:
        return None
    eps = FLOAT32_EPS
    if fn == 0 and tn == 0:
        numerator = np.sqrt(eps) * (tp - fp)
    elif fp == 0 and tn == 0:
        numerator = np.sqrt(eps) * (tp - fn)
    elif tp == 0 and fn == 0:
        numerator = np.sqrt(eps) * (tn - fp)
    elif tp == 0 and fp == 0:
        numerator = np.sqrt(eps) * (tn - fn)
    elif tp == 0:
        numerator = tn - fp * fn
    elif tn == 0:
        numerator = tp - fp * fn
    elif fp == 0 or fn == 0:
        numerator = tp * tn
    else:
        return 0.0
    return float(numerator / np.sqrt((tp + fp + eps) * (tp + fn + eps) * (tn + fp + eps) * (tn + fn + eps)))


def cohen_kappa(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    num_classes: int | None = None,
    threshold: float | None = None,
    weights: Literal["linear", "quadratic"] | None = None,
    undefined: float = float("nan"),
    sample_weight: ArrayLike | None = None,
) -> float:
    """Cohen's kappa between true and predicted labels, ``1 - sum(w * observed) / sum(w * expected)``.

    ``expected`` is the outer product of the true and predicted class totals over the total weight;
    ``w`` is 1 off the diagonal (``weights=None``), ``|i - j|`` (``"linear"``) or ``(i - j)²``
    (``"quadratic"``). Undefined (no weight, or both raters give one and the same class only, so the
    expected disagreement is 0) is ``undefined``: NaN by default, as scikit-learn and torchmetrics.
    """
    check_option(weights, "weights", (None, "linear", "quadratic"))
    matrix = confusion_matrix(y_true, y_pred, num_classes=num_classes, threshold=threshold,
                              sample_weight=sample_weight)
    total = matrix.sum()
    if total == 0:
        return undefined
    expected = np.outer(matrix.sum(axis=1), matrix.sum(axis=0)) / total
    index = np.arange(len(matrix))
    distance = np.abs(index[:, None] - index[None, :]).astype(np.float64)
    w = {None: (distance > 0).astype(np.float64), "linear": distance, "quadratic": distance**2}[weights]
    expected_disagreement = float((w * expected).sum())
    if expected_disagreement == 0:
        return undefined
    return 1.0 - float((w * matrix).sum()) / expected_disagreement


def hamming_distance(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    threshold: float | None = None,
    sample_weight: ArrayLike | None = None,
    no_samples: float = 0.0,
    average: Literal["micro", "macro", "weighted"] | None = "micro",
    top_k: int | None = None,
    empty_average: float | None = None,
    ignore_index: int | None = None,
    **options,
) -> float | NDArray[np.float64]:
    """Weighted fraction of wrong labels: of samples (binary, multiclass) or of cells (multilabel ``(n, L)``).

    Predictions as :func:`predicted_labels` (a multilabel ``y_pred`` of scores needs ``threshold``).
    A sample's weight applies to each of its cells. Zero total weight (no sample, or none that counts) gives
    ``no_samples``: 0.0 (nothing is wrong; scikit-learn), or 1.0 (one minus an accuracy of 0; torchmetrics).

    Multilabel scores (with ``threshold``): the cells' counts of :func:`~reference.rates.column_counts`, wrong ones
    ``fp + fn`` of all; ``average`` other than ``"micro"``: each label's share of wrong cells (``no_samples`` for a
    label of none), their mean (``"weighted"``: by each label's positive weight) or each one (None). A cell whose
    target is ``ignore_index`` counts for nothing (torchmetrics: it "does not contribute to the metric
    calculation"). Multiclass scores, ``average`` other than ``"micro"``
    (torchmetrics' per-class Hamming distance): each class's
    share of wrong samples among its own, ``1 - recall`` (a class without samples: ``no_samples``), averaged as
    :func:`~reference.classification.class_recall` says (with ``options``: ``absent_classes``, ...); ``top_k``
    (multiclass scores): a sample is right where its label is among its ``k`` best classes
    (:func:`~reference.classification.top_k_labels`). An average of no sample at all is ``empty_average``
    (default ``no_samples``).
    """
    if np.ndim(y_true) == 2 and threshold is not None:  # multilabel scores: the cells' counts, per label
        counts = column_counts(y_true, y_pred, threshold=threshold, sample_weight=sample_weight,
                               ignore_index=ignore_index)
        wrong, total = counts.fp + counts.fn, counts.tp + counts.fp + counts.tn + counts.fn
        if average == "micro":
            if not total.sum() and empty_average is not None:
                return empty_average
            return float(divide(wrong.sum(), total.sum(), no_samples))
        per_label = divide(wrong, total, no_samples)  # the share of each label's cells that are wrong
        if average is None:
            return per_label
        support = counts.tp + counts.fn
        if average == "weighted":
            return float(divide(np.dot(per_label, support), support.sum(), no_samples))
        return float(per_label.mean())
    if average is not None and not check_sample_weight(sample_weight, len(y_true)).sum():
        return no_samples if empty_average is None else empty_average
    if average != "micro" or top_k is not None:
        from .classification import class_recall

        recall = class_recall(y_true, y_pred, average=average, top_k=top_k, sample_weight=sample_weight,
                              zero_division=1.0 - no_samples, **options)
        return 1.0 - recall if np.ndim(recall) == 0 else 1.0 - np.asarray(recall)
    weights = _element_weights(sample_weight, y_true)
    true, pred = predicted_labels(y_true, y_pred, threshold=threshold)
    wrong = weights[true != pred].sum() if sample_weight is not None else np.count_nonzero(true != pred)
    return float(divide(wrong, weights.sum(), no_samples))


def specificity(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    average: Literal["binary", "micro", "macro"] | None = "binary",
    num_classes: int | None = None,
    threshold: float | None = None,
    absent_classes: Literal["include", "exclude"] = "include",
    sample_weight: ArrayLike | None = None,
) -> float | NDArray[np.float64]:
    """True negative rate ``tn / (tn + fp)``: of class 1 (``average="binary"``) or one-vs-rest per class.

    ``average=None``: one value per class; ``"micro"``: tn and fp summed over classes first;
    ``"macro"``: the mean over classes, where a class with ``tp + fp + fn == 0`` counts
    (``absent_classes="include"``: its specificity is 1.0 if it has negatives) or is left out
    (``"exclude"``, torchmetrics). Zero division gives 0.0.
    """
    check_option(average, "average", ("binary", "micro", "macro", None))
    check_option(absent_classes, "absent_classes", ("include", "exclude"))
    matrix = confusion_matrix(y_true, y_pred, num_classes=num_classes, threshold=threshold,
                              sample_weight=sample_weight)
    if average == "binary":
        if len(matrix) > 2:
            raise ValueError(f"average='binary' needs two classes; got {len(matrix)}. Use 'macro' or 'micro'.")
        matrix = np.pad(matrix, ((0, 2 - len(matrix)), (0, 2 - len(matrix))))
        (tn, fp), _ = matrix
        return float(divide(tn, tn + fp))
    tp = np.diag(matrix)
    fp, fn = matrix.sum(axis=0) - tp, matrix.sum(axis=1) - tp
    tn = matrix.sum() - tp - fp - fn
    if average == "micro":
        return float(divide(tn.sum(), tn.sum() + fp.sum()))
    per_class = divide(tn, tn + fp)
    if average is None:
        return per_class
    counted = (tp + fp + fn > 0) if absent_classes == "exclude" else np.ones(len(tp), dtype=bool)
    return float(divide(per_class[counted].sum(), counted.sum()))


def multilabel_iou(
    y_true: ArrayLike,
    y_score: ArrayLike,
    *,
    threshold: float = 0.5,
    average: Literal["macro", "micro", "weighted", "samples"] | None = "macro",
    zero_division: float = 0.0,
    zero_support: Literal["zero", "unweighted"] = "zero",
    sample_weight: ArrayLike | None = None,
    ignore_index: int | None = None,
) -> float | NDArray[np.float64]:
    """Jaccard index of each label of a multilabel classifier, ``tp / (tp + fp + fn)`` at ``score > threshold``.

    From :func:`multilabel_confusion_matrix`. ``average=None``: one value per label, ``zero_division`` for a label
    never true nor predicted; ``"macro"``: their mean, such labels counting as ``zero_division``; ``"micro"``:
    counts summed over labels first; ``"weighted"``: the mean weighted by each label's true (weighted) count;
    ``"samples"``: each sample's Jaccard index over its labels (``zero_division`` for a sample with none true or
    predicted), their weighted mean. A weighted mean of no true label at all is 0.0 (``zero_support="unweighted"``:
    the plain mean of the per-label values, scikit-learn's). A cell whose target is ``ignore_index`` counts for
    nothing: it is neither true nor predicted (torchmetrics' ``ignore_index``).
    """
    check_option(average, "average", ("macro", "micro", "weighted", "samples", None))
    if average == "samples":
        y_true, keep = ignored_cells(y_true, ignore_index)
        targets = as_float_array(y_true, "y_true", ndim=2)
        predicted = (as_float_array(y_score, "y_score", ndim=2) > threshold) * (1.0 if keep is None else keep)
        weights = check_sample_weight(sample_weight, len(targets))
        intersection = (targets * predicted).sum(axis=1)
        union = ((targets + predicted) > 0).sum(axis=1)
        return float(divide(np.dot(weights, divide(intersection, union, zero_division)), weights.sum()))
    matrices = multilabel_confusion_matrix(y_true, y_score, threshold=threshold, sample_weight=sample_weight,
                                           ignore_index=ignore_index)
    tp, fp, fn = matrices[:, 1, 1], matrices[:, 0, 1], matrices[:, 1, 0]
    if average == "micro":
        return float(divide(tp.sum(), tp.sum() + fp.sum() + fn.sum(), zero_division))
    per_label = divide(tp, tp + fp + fn, zero_division)
    if average == "weighted":
        if not (tp + fn).sum() and zero_support == "unweighted":
            return float(per_label.mean())
        return float(divide(np.dot(per_label, tp + fn), (tp + fn).sum()))
    return per_label if average is None else float(per_label.mean())
