"""The probabilistic references: crossentropies, hinges, KL divergence and Poisson, by hand and against scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import reference as ref
from conformance import strategies as cs

# -- hand-computed values ---------------------------------------------------------------------


def test_binary_crossentropy_by_hand() -> None:
    # -(log 0.8 + log(1 - 0.4)) / 2
    assert ref.binary_crossentropy([1, 0], [0.8, 0.4]) == pytest.approx(-(np.log(0.8) + np.log(0.6)) / 2)
    assert ref.binary_crossentropy([1], [0.0]) == np.inf  # no clipping unless asked
    assert ref.binary_crossentropy([1], [0.0], clip=(1e-7, 1 - 1e-7)) == pytest.approx(-np.log(1e-7))
    assert ref.binary_crossentropy([0], [0.0]) == 0.0  # 0 log 0 = 0
    assert ref.binary_crossentropy([1, 1], [0.0, 0.5], sample_weight=[0, 1]) == pytest.approx(np.log(2))


def test_binary_crossentropy_from_logits_and_smoothing() -> None:
    assert ref.binary_crossentropy([1], [0.0], from_logits=True) == pytest.approx(np.log(2))
    assert ref.binary_crossentropy([0], [800.0], from_logits=True) == pytest.approx(800.0)  # stable, no overflow
    # smoothing 0.2 moves target 1 to 0.9: -(0.9 log 0.5 + 0.1 log 0.5)
    assert ref.binary_crossentropy([1], [0.5], label_smoothing=0.2) == pytest.approx(np.log(2))
    assert ref.binary_crossentropy([1], [0.8], label_smoothing=0.2) == pytest.approx(
        -(0.9 * np.log(0.8) + 0.1 * np.log(0.2)))


def test_categorical_crossentropy_by_hand() -> None:
    probabilities = [[0.2, 0.7, 0.1], [0.5, 0.25, 0.25]]
    assert ref.categorical_crossentropy([1, 2], probabilities) == pytest.approx(-(np.log(0.7) + np.log(0.25)) / 2)
    # smoothing s = 0.3 over C = 3: targets 0.1, 0.8, 0.1 for label 1
    expected = -(0.1 * np.log(0.2) + 0.8 * np.log(0.7) + 0.1 * np.log(0.1))
    assert ref.categorical_crossentropy([1], [probabilities[0]], label_smoothing=0.3) == pytest.approx(expected)
    logits = np.log([[0.2, 0.7, 0.1]]) + 5.0  # softmax removes the shift
    assert ref.categorical_crossentropy([1], logits, from_logits=True) == pytest.approx(-np.log(0.7))


def test_categorical_crossentropy_normalization_and_clip_order() -> None:
    row = [[0.0, 0.5]]  # not a distribution: normalize before clipping gives [0, 1]
    assert ref.categorical_crossentropy([1], row, renormalize="before_clip", clip=(0.1, 0.9)) == pytest.approx(
        -np.log(0.9))
    # clip first ([0.1, 0.9]) then normalize: 0.9 / 1.0
    assert ref.categorical_crossentropy([1], [[0.0, 1.0]], clip=(0.1, 0.9), renormalize="after_clip") == pytest.approx(
        -np.log(0.9))


def test_hinges_by_hand() -> None:
    # targets 1, 0 -> t = 1, -1; margins 0.5, 0.5: max(0, 1 - 0.5) and max(0, 1 + 0.5)
    assert ref.hinge([1, 0], [0.5, 0.5]) == pytest.approx(1.0)
    assert ref.hinge([1, 0], [0.5, 0.5], squared=True) == pytest.approx((0.25 + 2.25) / 2)
    assert ref.hinge([1], [1.0]) == 0.0  # exactly at the margin


def test_categorical_hinge_crammer_singer_and_keras_mask() -> None:
    scores = [[-2.0, 1.0, -0.5]]  # label 1: other classes all negative, largest -0.5
    assert ref.categorical_hinge([1], scores) == pytest.approx(max(0.0, 1 - 0.5 - 1.0))
    assert ref.categorical_hinge([1], scores, negative="masked") == pytest.approx(0.0)  # neg = 0 (the mask)
    assert ref.categorical_hinge([0], [[0.2, 0.9, 0.1]]) == pytest.approx(1.7)  # both rules agree when >= 0
    assert ref.categorical_hinge([0], [[0.2, 0.9, 0.1]], negative="masked") == pytest.approx(1.7)


def test_kl_divergence_by_hand() -> None:
    assert ref.kl_divergence([[0.5, 0.5]], [[0.9, 0.1]]) == pytest.approx(0.5 * np.log(0.5 / 0.9) + 0.5 * np.log(5))
    assert ref.kl_divergence([[1.0, 0.0]], [[0.5, 0.5]]) == pytest.approx(np.log(2))  # 0 log 0 = 0
    assert ref.kl_divergence([[0.5, 0.5]], [[1.0, 0.0]]) == np.inf
    assert ref.kl_divergence([[0.5, 0.5]], [[1.0, 0.0]], clip=(1e-7, 1.0)) == pytest.approx(
        0.5 * np.log(0.5) + 0.5 * np.log(0.5 / 1e-7))


def test_poisson_by_hand() -> None:
    assert ref.poisson([2.0, 0.0], [1.0, 3.0]) == pytest.approx((1 - 0 + 3) / 2)
    assert ref.poisson([2.0], [np.e]) == pytest.approx(np.e - 2)
    assert ref.poisson([1.0], [0.0]) == np.inf
    assert ref.poisson([1.0], [0.0], epsilon=1e-7) == pytest.approx(-np.log(1e-7))


@pytest.mark.parametrize(("call", "message"), [
    (lambda: ref.binary_crossentropy([0, 1], [0.5, 1.5]), "probabilities in"),
    (lambda: ref.binary_crossentropy([0, 2], [0.5, 0.5]), "only 0 and 1"),
    (lambda: ref.binary_crossentropy([1], [0.5], label_smoothing=1.5), r"label_smoothing must lie in \[0, 1\]"),
    (lambda: ref.categorical_crossentropy([3], [[0.5, 0.5]]), r"labels in \[0, 2\)"),
    (lambda: ref.categorical_crossentropy([0], [[0.5, 0.5]], renormalize="twice"), "renormalize must be one of"),
    (lambda: ref.categorical_hinge([0], [[0.1, 0.2]], negative="max"), "negative must be one of"),
    (lambda: ref.kl_divergence([[0.5, 0.5]], [[1.0]]), "same shape"),
    (lambda: ref.kl_divergence([[-0.5, 1.5]], [[0.5, 0.5]]), "non-negative"),
    (lambda: ref.poisson([1.0], [-1.0]), "non-negative"),
])
def test_validation_messages_say_what_was_expected(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# -- against scikit-learn ---------------------------------------------------------------------

sklearn_metrics = pytest.importorskip("sklearn.metrics")
QUICK = settings(max_examples=60, deadline=None, derandomize=True)
EPS32 = float(np.finfo(np.float32).eps)


@QUICK
@given(st.integers(1, 30).flatmap(cs.probability_inputs), st.data())
def test_log_loss_matches_sklearn(batch, data) -> None:
    weights = data.draw(cs.positive_integer_weights(len(batch), allow_zero=False))
    probabilities = batch.y_pred.astype(np.float64)
    probabilities /= probabilities.sum(axis=1, keepdims=True)  # sklearn clips to its float64 epsilon here
    eps = float(np.finfo(np.float64).eps)
    expected = sklearn_metrics.log_loss(batch.y_true, y_proba=probabilities, labels=list(range(batch.num_classes)),
                                        sample_weight=weights)
    assert ref.categorical_crossentropy(batch.y_true, probabilities, sample_weight=weights,
                                        clip=(eps, 1 - eps)) == pytest.approx(expected, rel=1e-9, abs=1e-12)


@QUICK
@given(st.integers(1, 30).flatmap(cs.binary_inputs), st.data())
def test_binary_log_loss_matches_sklearn(batch, data) -> None:
    weights = data.draw(cs.positive_integer_weights(len(batch), allow_zero=False))
    p = batch.y_pred.astype(np.float64)
    eps = float(np.finfo(np.float64).eps)
    expected = sklearn_metrics.log_loss(batch.y_true, y_proba=p, labels=[0, 1], sample_weight=weights)
    assert ref.binary_crossentropy(batch.y_true, p, sample_weight=weights, clip=(eps, 1 - eps)) == pytest.approx(
        expected, rel=1e-9, abs=1e-12)


@QUICK
@given(st.integers(1, 30).flatmap(lambda n: cs.multiclass_logit_inputs(n, min_classes=3)), st.data())
def test_categorical_hinge_matches_sklearn(batch, data) -> None:
    weights = data.draw(cs.positive_integer_weights(len(batch), allow_zero=False))
    scores = batch.y_pred.astype(np.float64)
    expected = sklearn_metrics.hinge_loss(batch.y_true, scores, labels=list(range(batch.num_classes)),
                                          sample_weight=weights)
    assert ref.categorical_hinge(batch.y_true, scores, sample_weight=weights) == pytest.approx(expected, rel=1e-12)


@QUICK
@given(st.integers(2, 30).flatmap(cs.binary_margin_inputs), st.data())
def test_binary_hinge_matches_sklearn_with_both_classes(batch, data) -> None:
    y = batch.y_true.copy()
    y[0], y[1] = 0, 1  # scikit-learn infers the classes from y_true
    weights = data.draw(cs.positive_integer_weights(len(batch), allow_zero=False))
    scores = batch.y_pred.astype(np.float64)
    assert ref.hinge(y, scores, sample_weight=weights) == pytest.approx(
        sklearn_metrics.hinge_loss(y, scores, sample_weight=weights), rel=1e-12)
