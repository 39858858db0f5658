"""Reference probabilistic losses used as metrics: crossentropies, hinges, KL divergence, Poisson.

Conventions shared by every function here (each docstring repeats the ones it uses):

* **Exact logarithms**: no epsilon is added and nothing is clipped unless asked (``clip``,
  ``epsilon``): a true class given probability 0 costs an infinite loss, and ``0·log 0 = 0``.
  Libraries clip to keep losses finite; their clipping is a parameter here so that each library is
  checked against its own.
* **Weighted means**: the per-sample losses are averaged with the sample weights; zero total weight
  gives 0.0.
* **Labels**: binary targets are 0/1; multiclass targets are integer labels (one-hot is the
  libraries' presentation of them); hinge losses map a 0/1 target ``y`` to ``t = 2y - 1``.
"""

from __future__ import annotations

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
)
from .regression import Reduction, reduced


def _weighted_mean(losses: NDArray[np.float64], sample_weight: ArrayLike | None, normalize: bool = True) -> float:
    """The weighted mean of per-sample losses; ``normalize=False``: their weighted sum (scikit-learn's)."""
    weights = check_sample_weight(sample_weight, len(losses))
    if not weights.any():
        return 0.0
    if not np.isfinite(losses).all():  # a weight of 0 drops the sample, even where its loss is infinite
        losses = np.where(weights > 0, losses, 0.0)
    total = float(np.dot(weights, losses))
    return total / float(weights.sum()) if normalize else total


def _xlogy(x: NDArray[np.float64], y: NDArray[np.float64]) -> NDArray[np.float64]:
    """``x * log(y)`` with ``0 * log(anything) = 0``."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(x == 0, 0.0, x * np.log(np.where(x == 0, 1.0, y)))


def _check_smoothing(label_smoothing: float) -> None:
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"label_smoothing must lie in [0, 1]; got {label_smoothing}.")


def _clipped(probabilities: NDArray[np.float64], clip: tuple[float, float] | None) -> NDArray[np.float64]:
    return probabilities if clip is None else np.clip(probabilities, *clip)


def binary_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                        from_logits: bool = False, label_smoothing: float = 0.0,
                        clip: tuple[float, float] | None = None, normalize: bool = True) -> float:
    """Weighted mean of ``-(y log p + (1 - y) log(1 - p))`` over samples (``normalize=False``: the weighted sum).

    ``y_pred`` holds the probability of class 1 (or, ``from_logits``, its logit: ``p = sigmoid``,
    computed stably). ``label_smoothing = s`` moves targets to ``y (1 - s) + s / 2``. ``clip`` =
    ``(low, high)`` clips probabilities first (libraries' epsilon); without it ``log 0`` is infinite.
    """
    targets, scores = as_binary_targets(y_true), as_scores(y_pred, "y_pred")
    check_same_length(y_true=targets, y_pred=scores)
    _check_smoothing(label_smoothing)
    targets = targets * (1 - label_smoothing) + 0.5 * label_smoothing
    if from_logits:
        # -(y log σ(x) + (1 - y) log σ(-x)) = log(1 + e^x) - y x
        losses = np.logaddexp(0.0, scores) - targets * scores
    else:
        if ((scores < 0) | (scores > 1)).any():
            raise ValueError("y_pred must hold probabilities in [0, 1] (or pass from_logits=True); "
                             f"got range [{scores.min()}, {scores.max()}].")
        probabilities = _clipped(scores, clip)
        losses = -(_xlogy(targets, probabilities) + _xlogy(1 - targets, 1 - probabilities))
    return _weighted_mean(losses, sample_weight, normalize)


def categorical_crossentropy(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                             from_logits: bool = False, label_smoothing: float = 0.0,
                             clip: tuple[float, float] | None = None,
                             renormalize: Literal["none", "before_clip", "after_clip"] = "none",
                             normalize: bool = True) -> float:
    """Weighted mean of ``-Σ_c t_c log p_c`` over samples, for integer labels ``y_true`` (``normalize=False``: the
    weighted sum).

    ``t`` is the one-hot target, smoothed to ``t (1 - s) + s / C`` with ``label_smoothing = s``.
    ``y_pred`` rows are class probabilities (or, ``from_logits``, logits: ``p = softmax``, computed
    stably). Probabilities are used as given; ``renormalize`` divides each row by its sum before or
    after clipping to ``clip = (low, high)``, as libraries do.
    """
    labels = as_label_array(y_true, "y_true")
    scores = as_float_array(y_pred, "y_pred", ndim=2)
    check_same_length(y_true=labels, y_pred=scores)
    check_labels_in_range(labels, scores.shape[1], "y_true")
    _check_smoothing(label_smoothing)
    check_option(renormalize, "renormalize", ("none", "before_clip", "after_clip"))
    num_classes = scores.shape[1]
    targets = np.eye(num_classes)[labels] * (1 - label_smoothing) + label_smoothing / num_classes
    if from_logits:
        shifted = scores - scores.max(axis=1, keepdims=True) if scores.size else scores
        log_probabilities = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
        losses = -(targets * log_probabilities).sum(axis=1)
    else:
        if ((scores < 0) | (scores > 1)).any():
            raise ValueError("y_pred must hold probabilities in [0, 1] (or pass from_logits=True); "
                             f"got range [{scores.min()}, {scores.max()}].")
        probabilities = scores
        if renormalize == "before_clip":
            probabilities = divide(probabilities, probabilities.sum(axis=1, keepdims=True))
        probabilities = _clipped(probabilities, clip)
        if renormalize == "after_clip":
            probabilities = divide(probabilities, probabilities.sum(axis=1, keepdims=True))
        losses = -_xlogy(targets, probabilities).sum(axis=1)
    return _weighted_mean(losses, sample_weight, normalize)


def hinge(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
          squared: bool = False) -> float:
    """Weighted mean of ``max(0, 1 - t·s)`` (squared if ``squared``), ``t = 2y - 1`` for 0/1 targets ``y``.

    ``y_pred`` holds a real decision value ``s`` per sample (a margin, not a probability).
    """
    targets, scores = as_binary_targets(y_true), as_scores(y_pred, "y_pred")
    check_same_length(y_true=targets, y_pred=scores)
    losses = np.maximum(0.0, 1.0 - (2 * targets - 1) * scores)
    return _weighted_mean(losses**2 if squared else losses, sample_weight)


def categorical_hinge(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                      negative: Literal["others", "masked"] = "others", squared: bool = False,
                      multiclass_mode: Literal["crammer-singer", "one-vs-all"] = "crammer-singer"
                      ) -> float | NDArray[np.float64]:
    """Weighted mean of ``max(0, 1 + neg - pos)``: the multiclass (Crammer-Singer) hinge (``squared``: of its square).

    ``pos`` is the true class's score; ``neg`` is the largest score of the other classes
    (``"others"``, Crammer & Singer and scikit-learn), or ``max_c (1 - t_c) s_c`` (``"masked"``, the
    formula Keras documents), which also counts the true class's masked score 0: when every other
    score is negative, ``neg`` is 0 instead of the largest of them. ``multiclass_mode="one-vs-all"``
    (torchmetrics): one binary hinge per class, ``max(0, 1 - t_c s_c)`` with ``t_c = ±1``, averaged over the
    samples for each class (an array of C values).
    """
    labels = as_label_array(y_true, "y_true")
    scores = as_float_array(y_pred, "y_pred", ndim=2)
    check_same_length(y_true=labels, y_pred=scores)
    check_labels_in_range(labels, scores.shape[1], "y_true")
    check_option(negative, "negative", ("others", "masked"))
    check_option(multiclass_mode, "multiclass_mode", ("crammer-singer", "one-vs-all"))
    rows = np.arange(len(labels))
    if multiclass_mode == "one-vs-all":
        signs = 2 * np.eye(scores.shape[1])[labels] - 1
        losses = np.maximum(0.0, 1.0 - signs * scores)
        losses = losses**2 if squared else losses
        return np.array([_weighted_mean(losses[:, c], sample_weight) for c in range(scores.shape[1])])
    positive = scores[rows, labels]
    others = scores.copy()
    others[rows, labels] = 0.0 if negative == "masked" else -np.inf
    negative_score = others.max(axis=1) if len(labels) else np.zeros(0)
    losses = np.maximum(0.0, 1.0 + negative_score - positive)
    return _weighted_mean(losses**2 if squared else losses, sample_weight)


def kl_divergence(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
                  clip: tuple[float, float] | None = None,
                  reduction: Reduction = "mean") -> float | NDArray[np.float64]:
    """Weighted mean over samples of ``KL(y_true ‖ y_pred) = Σ_c p_c log(p_c / q_c)`` (``reduction="sum"``: the
    weighted sum; ``"none"``: each sample's).

    Rows are distributions, used as given; ``0·log(0/q) = 0``, and ``p_c > 0`` with ``q_c = 0`` is
    infinite. ``clip = (low, high)`` clips both distributions first (Keras clips to ``[1e-7, 1]``).
    """
    p = as_float_array(y_true, "y_true", ndim=2)
    q = as_float_array(y_pred, "y_pred", ndim=2)
    check_same_length(y_true=p, y_pred=q)
    if p.shape != q.shape:
        raise ValueError(f"y_true and y_pred must have the same shape; got {p.shape} and {q.shape}.")
    if (p < 0).any() or (q < 0).any():
        raise ValueError("y_true and y_pred must hold probabilities (non-negative); got a negative value.")
    p, q = _clipped(p, clip), _clipped(q, clip)
    with np.errstate(divide="ignore"):
        losses = _xlogy(p, p / np.where(q == 0, 0.0, q)).sum(axis=1)
    if reduction != "mean":
        return reduced(losses, check_sample_weight(sample_weight, len(losses)), reduction)
    return _weighted_mean(losses, sample_weight)


def poisson(y_true: ArrayLike, y_pred: ArrayLike, *, sample_weight: ArrayLike | None = None,
            epsilon: float = 0.0) -> float:
    """Weighted mean of the Poisson negative log-likelihood (up to ``log y!``): ``ŷ - y log(ŷ + epsilon)``.

    Targets are counts or rates (``y >= 0``), predictions rates (``ŷ >= 0``); ``0·log 0 = 0``, and
    ``y > 0`` with ``ŷ = 0`` costs an infinite loss unless ``epsilon > 0`` (Keras adds 1e-7).
    """
    targets, predictions = as_scores(y_true, "y_true"), as_scores(y_pred, "y_pred")
    check_same_length(y_true=targets, y_pred=predictions)
    if (targets < 0).any() or (predictions < 0).any():
        raise ValueError("poisson needs non-negative y_true and y_pred (counts and rates); got a negative value.")
    with np.errstate(divide="ignore"):
        losses = predictions - _xlogy(targets, predictions + epsilon)
    return _weighted_mean(losses, sample_weight)
