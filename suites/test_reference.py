"""The references, checked against hand-computed values, their stated conventions, and scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import reference as ref
from conformance import strategies as cs

# -- hand-computed values ---------------------------------------------------------------------


def test_binary_accuracy_counts_a_score_at_the_threshold_as_negative() -> None:
    # scores 0.5 (at threshold: negative), 0.7 (positive), 0.2 (negative); targets 0, 1, 1
    assert ref.binary_accuracy([0, 1, 1], [0.5, 0.7, 0.2]) == pytest.approx(2 / 3)


def test_weighted_accuracy_and_zero_total_weight() -> None:
    assert ref.accuracy([1, 2, 3], [1, 0, 3], sample_weight=[1, 3, 0]) == pytest.approx(0.25)
    assert ref.accuracy([1, 2], [1, 2], sample_weight=[0, 0]) == 0.0  # zero division -> 0.0


def test_categorical_accuracy_breaks_argmax_ties_to_the_lowest_index() -> None:
    assert ref.categorical_accuracy([0, 1], [[0.5, 0.5], [0.5, 0.5]]) == 0.5


def test_top_k_tie_rules() -> None:
    scores = [[0.2, 0.2, 0.2, 0.4]]  # class 3 first, then a three-way tie for second place
    assert ref.top_k_accuracy([1], scores, k=2, ties="optimistic") == 1.0
    assert ref.top_k_accuracy([1], scores, k=2, ties="pessimistic") == 0.0
    assert ref.top_k_accuracy([1], scores, k=2, ties="lower_index_first") == 0.0  # class 0 goes first
    assert ref.top_k_accuracy([2], scores, k=2, ties="higher_index_first") == 1.0


def test_confusion_counts_by_hand() -> None:
    counts = ref.binary_confusion_counts([1, 1, 0, 0, 1], [0.9, 0.4, 0.6, 0.1, 0.5], sample_weight=[1, 2, 3, 4, 5])
    assert counts == ref.classification.BinaryCounts(tp=1.0, fp=3.0, tn=4.0, fn=7.0)
    assert ref.precision([1, 1, 0, 0, 1], [0.9, 0.4, 0.6, 0.1, 0.5], sample_weight=[1, 2, 3, 4, 5]) == 0.25
    assert ref.recall([1, 1, 0, 0, 1], [0.9, 0.4, 0.6, 0.1, 0.5], sample_weight=[1, 2, 3, 4, 5]) == 1 / 8


def test_precision_with_no_predicted_positive_is_zero() -> None:
    assert ref.precision([1, 0], [0.1, 0.2]) == 0.0


def test_f1_macro_by_hand_and_absent_classes() -> None:
    y_true = [0, 0, 1, 2]
    scores = [[0.9, 0.1, 0.0, 0.0], [0.1, 0.8, 0.1, 0.0], [0.2, 0.7, 0.1, 0.0], [0.1, 0.1, 0.8, 0.0]]
    # class 0: tp1 fn1 -> 2/3; class 1: tp1 fp1 -> 2/3; class 2: 1; class 3 absent: 0 (or left out)
    assert ref.f1_score(y_true, scores, average="macro") == pytest.approx((2 / 3 + 2 / 3 + 1 + 0) / 4)
    assert ref.f1_score(y_true, scores, average="macro", absent_classes="exclude") == pytest.approx(7 / 9)
    assert ref.f1_score(y_true, scores, average="micro") == pytest.approx(0.75)


def test_fbeta_keras_convention_marks_every_tied_maximum() -> None:
    predicted = ref.classification.predicted_indicator(np.array([[0.5, 0.5], [0.0, 0.0]]), threshold=None,
                                                       argmax_ties="all")
    assert predicted.tolist() == [[1.0, 1.0], [0.0, 0.0]]


def test_roc_auc_by_hand_with_a_tie() -> None:
    # positives 0.8, 0.4; negatives 0.4, 0.1: pairs won 1 + 1 + 0.5 (tie) + 1 = 3.5 of 4
    assert ref.roc_auc([1, 1, 0, 0], [0.8, 0.4, 0.4, 0.1]) == pytest.approx(0.875)
    assert np.isnan(ref.roc_auc([1, 1], [0.2, 0.3]))


def test_average_precision_by_hand() -> None:
    # ranked: 0.9 (pos), 0.8 (neg), 0.7 (pos): AP = 1/2 * 1 + 1/2 * 2/3
    assert ref.average_precision([1, 0, 1], [0.9, 0.8, 0.7]) == pytest.approx(0.5 + 1 / 3)


def test_bucketed_auc_puts_a_score_on_a_bucket_edge_below_it() -> None:
    tp, *_ = ref.ranking.bucketed_confusion_counts([1], [0.5], num_thresholds=3)
    assert tp.tolist() == [1.0, 0.0, 0.0]  # 0.5 is not above the middle threshold 0.5


def test_regression_by_hand() -> None:
    assert ref.mean_squared_error([0, 0, 0], [1, 2, 3], sample_weight=[1, 1, 2]) == pytest.approx((1 + 4 + 18) / 4)
    assert ref.root_mean_squared_error([0, 0], [3, 4]) == pytest.approx(np.sqrt(12.5))
    assert ref.mean_absolute_error([[1.0], [2.0]], [[0.0], [4.0]]) == 1.5


@pytest.mark.parametrize(("call", "message"), [
    (lambda: ref.accuracy([1, 2], [1]), "same number of samples"),
    (lambda: ref.binary_accuracy([0, 2], [0.1, 0.2]), "only 0 and 1"),
    (lambda: ref.roc_auc([0, 1], [0.1, float("nan")]), "finite"),
    (lambda: ref.mean_squared_error([1.0], [1.0], sample_weight=[-1.0]), "non-negative"),
    (lambda: ref.top_k_accuracy([0], [[0.1, 0.2]], k=0), "positive integer"),
    (lambda: ref.fbeta_score([0], [[0.1, 0.2]], average="median"), "average must be one of"),
    (lambda: ref.categorical_accuracy([3], [[0.1, 0.2]]), r"labels in \[0, 2\)"),
])
def test_validation_messages_say_what_was_expected(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# -- against scikit-learn ---------------------------------------------------------------------

sklearn_metrics = pytest.importorskip("sklearn.metrics")
QUICK = settings(max_examples=60, deadline=None, derandomize=True)


@QUICK
@given(st.integers(2, 40).flatmap(lambda n: cs.binary_inputs(n, both_classes=True)), st.data())
def test_ranking_matches_sklearn(batch, data) -> None:
    weights = data.draw(cs.positive_integer_weights(len(batch), allow_zero=False))
    y, s = batch.y_true, batch.y_pred.astype(np.float64)
    assert ref.roc_auc(y, s, sample_weight=weights) == pytest.approx(
        sklearn_metrics.roc_auc_score(y, s, sample_weight=weights), abs=1e-12)
    assert ref.average_precision(y, s, sample_weight=weights) == pytest.approx(
        sklearn_metrics.average_precision_score(y, s, sample_weight=weights), abs=1e-12)


@QUICK
@given(st.integers(1, 40).flatmap(cs.multiclass_inputs), st.sampled_from(["macro", "micro", "weighted"]), st.data())
def test_f_scores_and_top_k_match_sklearn(batch, average, data) -> None:
    weights = data.draw(cs.positive_integer_weights(len(batch), allow_zero=False))
    labels = list(range(batch.num_classes))
    y, scores = batch.y_true, batch.y_pred.astype(np.float64)
    expected = sklearn_metrics.fbeta_score(y, scores.argmax(1), beta=2.0, average=average, labels=labels,
                                           sample_weight=weights, zero_division=0.0)
    assert ref.fbeta_score(y, scores, beta=2.0, average=average, sample_weight=weights) == pytest.approx(
        expected, abs=1e-12)
    if batch.num_classes > 2:
        expected = sklearn_metrics.top_k_accuracy_score(y, scores, k=2, labels=labels, sample_weight=weights)
        assert ref.top_k_accuracy(y, scores, k=2, ties="higher_index_first", sample_weight=weights) == pytest.approx(
            expected, abs=1e-12)


@QUICK
@given(st.integers(1, 40).flatmap(lambda n: cs.regression_inputs(n)), st.data())
def test_regression_matches_sklearn(batch, data) -> None:
    weights = data.draw(cs.positive_integer_weights(len(batch), allow_zero=False))
    y, p = batch.y_true.astype(np.float64), batch.y_pred.astype(np.float64)
    for ours, theirs in [(ref.mean_squared_error, sklearn_metrics.mean_squared_error),
                         (ref.root_mean_squared_error, sklearn_metrics.root_mean_squared_error),
                         (ref.mean_absolute_error, sklearn_metrics.mean_absolute_error)]:
        assert ours(y, p, sample_weight=weights) == pytest.approx(theirs(y, p, sample_weight=weights), rel=1e-12)


def test_reference_depends_on_numpy_alone() -> None:
    import subprocess
    import sys

    code = "import sys, reference; print(sorted(m for m in sys.modules if m.split('.')[0] in " \
           "('sklearn', 'scipy', 'torch', 'tensorflow', 'keras', 'hypothesis')))"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          check=True).stdout.strip() == "[]"


def test_drawn_averages_zero_division_and_pos_label_follow_scikit_learn() -> None:
    """The F-scores' averages (samples included), zero_division 0, 1 and NaN (left out of averages, as
    scikit-learn documents), and precision of class 0 (pos_label=0)."""
    metrics = pytest.importorskip("sklearn.metrics")
    y = np.array([[1, 0, 1], [0, 0, 0], [1, 1, 0]])
    scores = np.array([[0.9, 0.2, 0.1], [0.1, 0.1, 0.1], [0.8, 0.7, 0.9]])
    for zero_division in (0.0, 1.0, np.nan):
        for average in ("samples", "macro", "micro", "weighted", None):
            assert np.allclose(ref.fbeta_score(y, scores, average=average, threshold=0.5, zero_division=zero_division),
                               metrics.f1_score(y, scores > 0.5, average=average, zero_division=zero_division),
                               equal_nan=True)
    labels, binary_scores = [0, 1, 0, 0, 1], [0.2, 0.7, 0.6, 0.4, 0.3]
    assert ref.precision(labels, binary_scores, pos_label=0) == metrics.precision_score(
        labels, np.asarray(binary_scores) > 0.5, pos_label=0)
    assert ref.recall(labels, binary_scores, pos_label=0) == metrics.recall_score(
        labels, np.asarray(binary_scores) > 0.5, pos_label=0)


def test_top_k_labels_find_the_label_among_the_k_best_else_the_best() -> None:
    """torchmetrics' documented top_k for label metrics: the label where it is among the k best, else the best
    class; ties at the k-th place by the tie rule, and the least / most over any order of tied classes."""
    from conformance.reference.classification import top_k_labels

    labels, scores = np.array([2, 0, 1]), np.array([[0.5, 0.3, 0.4], [0.1, 0.6, 0.3], [0.2, 0.2, 0.2]])
    assert top_k_labels(labels, scores, 2).tolist() == [2, 1, 1]
    assert top_k_labels(labels, scores, 2, "pessimistic").tolist() == [2, 1, 0]
    tied = ([0], [[0.0, 0.0, 0.0, 0.0]])
    least = ref.fbeta_score(*tied, average=None, top_k=2, top_k_ties="least", zero_division=1.0)
    most = ref.fbeta_score(*tied, average=None, top_k=2, top_k_ties="most", zero_division=1.0)
    assert least.tolist() == [0.0, 0.0, 0.0, 0.0] and most.tolist() == [1.0, 1.0, 1.0, 1.0]


def test_class_specificity_matches_torchmetrics_per_class() -> None:
    torch = pytest.importorskip("torch")
    from torchmetrics.classification import MulticlassSpecificity

    rng = np.random.default_rng(0)
    labels, scores = rng.integers(0, 4, 12), rng.random((12, 4)).astype(np.float32)
    for average in ("macro", "micro", "weighted", None):
        for top_k in (1, 2):
            expected = MulticlassSpecificity(num_classes=4, average=average, top_k=top_k)(
                torch.tensor(scores), torch.tensor(labels)).numpy()
            assert np.allclose(ref.class_specificity(labels, scores, average=average, top_k=top_k,
                                                     absent_classes="exclude"), expected, atol=1e-6)
