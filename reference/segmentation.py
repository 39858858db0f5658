"""Reference segmentation metrics computed image by image: the mean IoU over images, the Dice score and the
generalized Dice score, and the share of images predicted exactly.

Inputs are ``(n, ...)`` integer label maps (``y_true``, ``y_pred``) over ``num_classes`` classes; each map is
one image, and ``sample_weight`` (one weight per image) weighs it in every mean over images. Per image and
class ``c``: ``T_c`` the pixels of class ``c`` in the truth, ``P_c`` in the prediction, ``I_c`` in both.
``include_background=False`` leaves class 0 out of every count and mean (the pixels stay, as another class's
errors). Conventions, as the documentation of torchmetrics' ``segmentation`` module and MONAI (whose metrics
torchmetrics' tests compare against) state them:

* **IoU per image** (``samplewise_iou``): ``I_c / (T_c + P_c - I_c)``, defined where the union is not empty; a
  (image, class) pair with an empty union (the class absent from both maps) counts in no mean (MONAI's
  ``ignore_empty``, and the "mean over not-nan values" of its reductions).
* **Dice** (``dice_score``): ``2 I_c / (T_c + P_c)``, undefined (NaN) for a class absent from both maps
  ("DS = 2 Σ t p / (Σ t + Σ p)"); averaged over classes and images as ``average`` and ``aggregation_level`` say.
* **Generalized Dice** (``generalized_dice_score``, Sudre et al., DLMIA 2017, arXiv:1707.03237): per image,
  ``2 Σ_c w_c I_c / Σ_c w_c (T_c + P_c)`` with ``w_c = 1 / T_c²`` (``square``), ``1 / T_c`` (``simple``) or 1
  (``linear``); a class absent from the image's truth has an infinite weight, replaced by the largest weight of
  the image's other classes (MONAI's ``compute_generalized_dice``: "Replace infinite values for non-appearing
  classes by the maximum weight").
* A mean with nothing to average (no defined value, or zero total weight) is NaN: undefined.

The work is a one-hot count per image and class: O(n · pixels · C), no loop over samples.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import check_labels_in_range, check_option, check_sample_weight, divide


def _counts(y_true: ArrayLike, y_pred: ArrayLike, num_classes: int, include_background: bool,
            sample_weight: ArrayLike | None):
    """Per image and class: ``(I, T, P)`` pixel counts, each ``(n, C)`` (``C - 1`` without the background), and
    the images' weights."""
    truth, predicted = np.asarray(y_true), np.asarray(y_pred)
    if truth.shape != predicted.shape or truth.ndim < 2:
        raise ValueError(f"y_true and y_pred must be label maps of one shape (n, ...); got {truth.shape} and "
                         f"{predicted.shape}.")
    if num_classes < 1:
        raise ValueError(f"num_classes must be a positive integer; got {num_classes}.")
    n = len(truth)
    truth, predicted = truth.reshape(n, -1).astype(np.int64), predicted.reshape(n, -1).astype(np.int64)
    check_labels_in_range(truth.reshape(-1), num_classes, "y_true")
    check_labels_in_range(predicted.reshape(-1), num_classes, "y_pred")
    classes = np.arange(num_classes)[None, None, :]
    truth_hot, predicted_hot = truth[..., None] == classes, predicted[..., None] == classes
    counts = [(truth_hot & predicted_hot).sum(axis=1), truth_hot.sum(axis=1), predicted_hot.sum(axis=1)]
    if not include_background:
        counts = [c[:, 1:] for c in counts]
    intersection, target, prediction = (c.astype(np.float64) for c in counts)
    return intersection, target, prediction, check_sample_weight(sample_weight, n)


def _weighted_nanmean(values: NDArray[np.float64], weights: NDArray[np.float64]) -> NDArray[np.float64]:
    """The weighted mean over axis 0 of the defined (non-NaN) values; NaN where none is (or no weight)."""
    defined = ~np.isnan(values)
    weights = np.broadcast_to(weights.reshape((-1,) + (1,) * (values.ndim - 1)), values.shape) * defined
    total = weights.sum(axis=0)
    return _ratio((np.where(defined, values, 0.0) * weights).sum(axis=0), total)


def _ratio(numerator: NDArray[np.float64], denominator: NDArray[np.float64]) -> NDArray[np.float64]:
    """``numerator / denominator``, NaN where the denominator is 0 (undefined)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1.0), np.nan)


def samplewise_iou(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    num_classes: int,
    per_class: bool = False,
    include_background: bool = True,
    absent: float = -1.0,
    sample_weight: ArrayLike | None = None,
) -> float | NDArray[np.float64]:
    """The mean IoU of label maps image by image (torchmetrics' ``segmentation.MeanIoU``).

    Each image's IoU per class, where the class occurs in its truth or prediction; then ``per_class=False``: the
    weighted mean over every defined (image, class) pair (MONAI's reduction ``"mean"``), NaN if none is;
    ``per_class=True``: per class, the weighted mean over the images where it occurs, ``absent`` for a class that
    occurs in no image (torchmetrics: "-1 is returned if class is completely absent both from prediction and the
    ground truth labels"). A data set IoU over all pixels at once is :func:`iou` instead.
    """
    intersection, target, prediction, weights = _counts(y_true, y_pred, num_classes, include_background,
                                                        sample_weight)
    scores = _ratio(intersection, target + prediction - intersection)  # (n, C): NaN where the union is empty
    if per_class:
        return np.nan_to_num(_weighted_nanmean(scores, weights), nan=absent)
    if not scores.size:
        return float("nan")
    return float(_weighted_nanmean(scores.reshape(-1), np.repeat(weights, scores.shape[1])))


DiceAverage = Literal["micro", "macro", "weighted", "none"]


def dice_score(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    num_classes: int,
    average: DiceAverage | None = "macro",
    aggregation_level: Literal["samplewise", "global"] = "samplewise",
    include_background: bool = True,
    no_support: float | None = None,
    sample_weight: ArrayLike | None = None,
) -> float | NDArray[np.float64]:
    """The Dice score ``2 I / (T + P)`` of label maps (torchmetrics' ``segmentation.DiceScore``).

    ``aggregation_level="samplewise"``: each image's score, then the weighted mean over the images whose score
    is defined; ``"global"``: one score from the counts summed over every image (each weighted). Over classes:
    ``micro`` sums the counts of every class first; ``macro`` is the mean over the classes whose score is
    defined; ``weighted`` weighs each class's score by its true pixels ``T``, and is undefined with no true pixel
    (``no_support=None``), or takes that value where some class's score is defined (torchmetrics: 0); ``none``
    (or None) gives one score per class. Undefined values are NaN.
    """
    check_option(average, "average", ("micro", "macro", "weighted", "none", None))
    check_option(aggregation_level, "aggregation_level", ("samplewise", "global"))
    intersection, target, prediction, weights = _counts(y_true, y_pred, num_classes, include_background,
                                                        sample_weight)
    if aggregation_level == "global":
        intersection, target, prediction = (weights @ c for c in (intersection, target, prediction))
        intersection, target, prediction = intersection[None], target[None], prediction[None]
        weights = np.ones(1)
    if average == "micro":
        per_image = _ratio(2 * intersection.sum(axis=1), (target + prediction).sum(axis=1))
    else:
        per_class = _ratio(2 * intersection, target + prediction)
        if average == "macro":
            defined = ~np.isnan(per_class)
            per_image = _ratio(np.where(defined, per_class, 0.0).sum(axis=1), defined.sum(axis=1))
        elif average == "weighted":
            per_image = _ratio(np.nansum(per_class * target, axis=1), target.sum(axis=1))
            if no_support is not None:
                scored = (target.sum(axis=1) == 0) & ~np.isnan(per_class).all(axis=1)
                per_image = np.where(scored, no_support, per_image)
        else:
            per_image = per_class
    value = _weighted_nanmean(per_image, weights)
    return value if np.ndim(value) else float(value)


def generalized_dice_score(
    y_true: ArrayLike,
    y_pred: ArrayLike,
    *,
    num_classes: int,
    per_class: bool = False,
    weight_type: Literal["square", "simple", "linear"] = "square",
    include_background: bool = True,
    absent_weight: Literal["image_max"] | float = "image_max",
    undefined: float | None = None,
    sample_weight: ArrayLike | None = None,
) -> float | NDArray[np.float64]:
    """The generalized Dice score of label maps, image by image, then the weighted mean over images
    (torchmetrics' ``segmentation.GeneralizedDiceScore``).

    Per image ``2 Σ w_c I_c / Σ w_c (T_c + P_c)`` (see the module for ``w_c``); ``per_class=True``: each class's
    ``2 w_c I_c / w_c (T_c + P_c)``, its Dice. A class absent from the image's truth has weight ``absent_weight``:
    ``"image_max"``, the largest weight of the image's other classes (MONAI), or that number. An image (or with
    ``per_class``, an image's class) whose weighted denominator is 0 has nothing to score: undefined and left out
    of the mean over images (``undefined=None``), or that value, counted (torchmetrics: 0; MONAI: 1 where nothing
    is predicted).
    """
    check_option(weight_type, "weight_type", ("square", "simple", "linear"))
    intersection, target, prediction, weights = _counts(y_true, y_pred, num_classes, include_background,
                                                        sample_weight)
    with np.errstate(divide="ignore"):
        class_weight = {"square": 1.0 / target**2, "simple": 1.0 / target, "linear": np.ones_like(target)}[
            weight_type]
    absent = np.isinf(class_weight)
    if absent_weight == "image_max":
        finite = np.where(absent, 0.0, class_weight)
        replacement = np.broadcast_to(finite.max(axis=1, initial=0.0)[:, None], class_weight.shape)
    else:
        replacement = np.full(class_weight.shape, float(absent_weight))
    class_weight = np.where(absent, replacement, class_weight)
    numerator, denominator = 2 * class_weight * intersection, class_weight * (target + prediction)
    if not per_class:
        numerator, denominator = numerator.sum(axis=1), denominator.sum(axis=1)
    scores = _ratio(numerator, denominator)
    if undefined is not None:
        scores = np.nan_to_num(scores, nan=undefined)
    value = _weighted_nanmean(scores, weights)
    return value if np.ndim(value) else float(value)


def exact_match(y_true: ArrayLike, y_pred: ArrayLike, *, threshold: float | None = None,
                sample_weight: ArrayLike | None = None, ignore_index: int | None = None) -> float:
    """The weighted share of samples whose every element (pixel, label) is predicted right: subset accuracy.

    scikit-learn's ``accuracy_score`` on multilabel rows ("the set of labels predicted for a sample must exactly
    match the corresponding set of labels in y_true"), torchmetrics' ``ExactMatch``. ``threshold``: ``y_pred``
    holds scores, a label predicted where its score is ``> threshold``. No weight at all gives 0.0, as
    :func:`accuracy`. ``ignore_index`` (torchmetrics'): an element whose target is that value is left out of its
    sample's comparison ("does not contribute to the metric calculation"); the sample still counts, and one with
    no element left matches (every one of its compared elements is right).
    """
    truth, predicted = np.asarray(y_true), np.asarray(y_pred)
    if threshold is not None:
        predicted = (predicted > threshold).astype(np.int64)
    if truth.shape != predicted.shape or truth.ndim < 1:
        raise ValueError(f"y_true and y_pred must have one shape (n, ...); got {truth.shape} and {predicted.shape}.")
    n = len(truth)
    weights = check_sample_weight(sample_weight, n)
    right = truth.reshape(n, -1) == predicted.reshape(n, -1)
    if ignore_index is not None:
        right |= truth.reshape(n, -1) == ignore_index
    matched = np.all(right, axis=1)
    return float(divide(np.dot(weights, matched), weights.sum()))
