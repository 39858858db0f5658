"""The label and class rates (reference/rates.py) against values computed by hand from their definitions: accuracy
per label, specificity, negative predictive value and stat scores with each average, balanced accuracy and the
zero-one loss."""

from __future__ import annotations

import numpy as np
import pytest

from conformance import reference as ref

# Predicted at > 0.5: [[1, 1], [0, 1], [0, 0]]. Label 0: tp 1, fp 0, tn 1, fn 1. Label 1: tp 1, fp 1, tn 1, fn 0.
Y = [[1, 0], [1, 1], [0, 0]]
S = [[0.9, 0.6], [0.2, 0.7], [0.1, 0.4]]


def test_accuracy_per_label() -> None:
    assert ref.label_accuracy(Y, S) == pytest.approx(2 / 3)  # 4 of 6 cells right
    assert ref.label_accuracy(Y, S, average="macro") == pytest.approx(2 / 3)
    np.testing.assert_allclose(ref.label_accuracy(Y, S, average="none"), [2 / 3, 2 / 3])
    assert ref.label_accuracy(Y, S, sample_weight=[0, 1, 1]) == pytest.approx(3 / 4)  # rows 2 and 3: 3 of 4 right


@pytest.mark.parametrize(("average", "specificity", "npv"), [
    ("macro", 3 / 4, 3 / 4),  # specificity [1, 1/2], NPV [1/2, 1]
    ("micro", 2 / 3, 2 / 3),  # tn 2 of tn + fp 3; tn 2 of tn + fn 3
    ("weighted", 5 / 6, 2 / 3),  # supports (tp + fn) 2 and 1
])
def test_specificity_and_negative_predictive_value_per_label(average, specificity, npv) -> None:
    assert ref.label_specificity(Y, S, average=average) == pytest.approx(specificity)
    assert ref.negative_predictive_value(Y, S, average=average) == pytest.approx(npv)


def test_binary_negative_predictive_value_and_zero_division() -> None:
    assert ref.negative_predictive_value([0, 0, 1], [0.2, 0.7, 0.4]) == 0.5  # predicted negative: a 0 and a 1
    assert ref.negative_predictive_value([0, 0], [0.9, 0.8]) == 0.0  # nothing predicted negative
    assert ref.negative_predictive_value([0, 0], [0.9, 0.8], zero_division=1.0) == 1.0


def test_multiclass_absent_classes_count_or_not() -> None:
    labels, rows = [0, 1, 1], [[0.9, 0.1, 0.0], [0.8, 0.2, 0.0], [0.1, 0.9, 0.0]]  # predicted 0, 0, 1
    # NPV per class: class 0 1/1, class 1 1/2, class 2 (never true nor predicted) 3/3.
    assert ref.negative_predictive_value(labels, rows, threshold=None, average="macro") == pytest.approx(5 / 6)
    assert ref.negative_predictive_value(labels, rows, threshold=None, average="macro",
                                         absent_classes="exclude") == pytest.approx(3 / 4)


def test_stat_scores_per_label_and_averaged() -> None:
    np.testing.assert_array_equal(ref.stat_scores(Y, S, average="none"), [[1, 0, 1, 1, 2], [1, 1, 1, 0, 1]])
    np.testing.assert_array_equal(ref.stat_scores(Y, S), [2, 1, 2, 1, 3])
    np.testing.assert_allclose(ref.stat_scores(Y, S, average="macro"), [1, 0.5, 1, 0.5, 1.5])
    np.testing.assert_allclose(ref.stat_scores(Y, S, average="weighted"), [1, 1 / 3, 1, 2 / 3, 5 / 3])
    assert np.isnan(ref.stat_scores([[0, 0]], [[0.9, 0.1]], average="weighted")).all()  # no support to weigh by


# The same scores with cells ignored (target -1, torchmetrics' ignore_index): label 0 keeps rows 2 (fn) and 3 (tn),
# label 1 row 1 alone (fp). An ignored cell is in no count of its label, whatever its score.
Y_IGNORED = [[-1, 0], [1, -1], [0, -1]]


def test_ignored_cells_count_in_no_label() -> None:
    np.testing.assert_array_equal(ref.stat_scores(Y_IGNORED, S, average="none", ignore_index=-1),
                                  [[0, 0, 1, 1, 1], [0, 1, 0, 0, 0]])
    np.testing.assert_array_equal(ref.stat_scores(Y_IGNORED, S, ignore_index=-1), [0, 1, 1, 1, 1])
    assert ref.label_accuracy(Y_IGNORED, S, ignore_index=-1) == pytest.approx(1 / 3)  # 1 of 3 kept cells right
    np.testing.assert_allclose(ref.label_accuracy(Y_IGNORED, S, average="none", ignore_index=-1), [1 / 2, 0])
    # weights [1, 2, 3]: label 0's fn weighs 2, its tn 3; label 1's fp 1: right 3 of 6
    assert ref.label_accuracy(Y_IGNORED, S, sample_weight=[1, 2, 3], ignore_index=-1) == pytest.approx(1 / 2)
    # specificity tn / (tn + fp): [1/1, 0/1]; NPV tn / (tn + fn): [1/2, 0/0 -> zero_division]
    assert ref.label_specificity(Y_IGNORED, S, ignore_index=-1) == pytest.approx(1 / 2)
    assert ref.label_specificity(Y_IGNORED, S, average="micro", ignore_index=-1) == pytest.approx(1 / 2)
    np.testing.assert_allclose(ref.negative_predictive_value(Y_IGNORED, S, average="none", zero_division=1.0,
                                                             ignore_index=-1), [1 / 2, 1.0])
    assert ref.negative_predictive_value(Y_IGNORED, S, average="macro", ignore_index=-1) == pytest.approx(1 / 4)
    # without ignore_index, -1 is no 0/1 target
    with pytest.raises(ValueError):
        ref.label_accuracy(Y_IGNORED, S)


def test_balanced_accuracy_by_hand() -> None:
    y_true, y_pred = [0, 0, 1, 2], [0, 1, 1, 1]  # recalls 1/2, 1, 0
    assert ref.balanced_accuracy(y_true, y_pred) == pytest.approx(1 / 2)
    assert ref.balanced_accuracy(y_true, y_pred, adjusted=True) == pytest.approx((1 / 2 - 1 / 3) / (2 / 3))
    assert ref.balanced_accuracy([1, 1, 0], [1, 0, 0], sample_weight=[1, 1, 0]) == 0.5  # class 0 weighs nothing
    assert np.isnan(ref.balanced_accuracy([1, 1], [1, 0], adjusted=True))  # one class: chance is the score


def test_zero_one_loss_counts_samples_not_labels() -> None:
    assert ref.zero_one_loss([0, 1, 2], [0, 2, 2]) == pytest.approx(1 / 3)
    assert ref.zero_one_loss([[1, 0], [1, 1]], [[1, 0], [0, 1]]) == 0.5
    assert ref.zero_one_loss([0, 1], [1, 1], sample_weight=[0, 0]) == 0.0
