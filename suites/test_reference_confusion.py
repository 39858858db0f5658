"""The confusion-based references (reference.confusion, and the threshold-list / top-k / class-id options of
reference.classification): hand-computed values, their stated conventions, validation messages, and agreement
with scikit-learn under Hypothesis where scikit-learn has the metric."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import reference as ref
from conformance import strategies as cs
from conformance.reference.confusion import FLOAT32_EPS

# -- confusion matrix -------------------------------------------------------------------------------


def test_confusion_matrix_by_hand_with_weights_ignore_index_and_normalization() -> None:
    y_true, y_pred = [0, 1, 2, 2], [0, 2, 2, 1]
    assert ref.confusion_matrix(y_true, y_pred, num_classes=3).tolist() == [[1, 0, 0], [0, 0, 1], [0, 1, 1]]
    assert ref.confusion_matrix(y_true, y_pred, sample_weight=[1, 2, 3, 4]).tolist() == [
        [1, 0, 0], [0, 0, 2], [0, 4, 3]]
    assert ref.confusion_matrix(y_true, y_pred, num_classes=3, ignore_index=2).tolist() == [
        [1, 0, 0], [0, 0, 1], [0, 0, 0]]
    # class 3 never occurs: its row normalizes to zeros (zero division), not NaN
    assert ref.confusion_matrix(y_true, y_pred, num_classes=4, normalize="true").tolist() == [
        [1, 0, 0, 0], [0, 0, 1, 0], [0, 0.5, 0.5, 0], [0, 0, 0, 0]]


def test_confusion_matrix_thresholds_argmax_and_label_maps() -> None:
    # a score at the threshold is negative, unless at_threshold="positive"
    assert ref.confusion_matrix([0, 1, 1], [0.5, 0.7, 0.2], threshold=0.5).tolist() == [[1, 0], [1, 1]]
    assert ref.confusion_matrix([0, 1, 1], [0.5, 0.7, 0.2], threshold=0.5, at_threshold="positive").tolist() == [
        [0, 1], [1, 1]]
    # rows of scores: argmax, the lowest index among ties
    assert ref.confusion_matrix([1, 0], [[0.5, 0.5], [0.1, 0.9]]).tolist() == [[0, 1], [1, 0]]
    # a 2 x 2 label map with one image weight: every pixel counts with that weight
    assert ref.confusion_matrix([[[0, 1], [1, 1]]], [[[0, 0], [1, 1]]], sample_weight=[2]).tolist() == [
        [2, 0], [2, 4]]


def test_multilabel_confusion_matrix_by_hand() -> None:
    matrices = ref.multilabel_confusion_matrix([[1, 0], [0, 0]], [[0.9, 0.6], [0.2, 0.5]], sample_weight=[2, 1])
    # label 0: tp 2, tn 1; label 1: fp 2 (score 0.6), tn 1 (score 0.5 is at the threshold: negative)
    assert matrices.tolist() == [[[1, 0], [0, 2]], [[1, 2], [0, 0]]]


# -- IoU ----------------------------------------------------------------------------------------------


def test_iou_by_hand_and_absent_classes() -> None:
    y_true, y_pred = [0, 0, 1, 2], [0, 1, 1, 1]
    # per class: 0 -> 1/2, 1 -> 1/3, 2 -> 0 (a false negative only), 3 never occurs
    assert ref.iou(y_true, y_pred, num_classes=4, average=None) == pytest.approx([0.5, 1 / 3, 0, 0])
    assert ref.iou(y_true, y_pred, num_classes=4) == pytest.approx((0.5 + 1 / 3) / 3)  # class 3 left out
    assert ref.iou(y_true, y_pred, num_classes=4, absent_classes="zero") == pytest.approx((0.5 + 1 / 3) / 4)
    assert ref.iou(y_true, y_pred, num_classes=4, target_class_ids=[1, 3]) == pytest.approx(1 / 3)
    assert ref.iou([0], [0], num_classes=2, target_class_ids=[1]) == 0.0  # no class left: 0.0


def test_iou_ignore_class_leaves_the_class_out_unless_asked_as_keras_does() -> None:
    y_true, y_pred = [0, 1, 2], [0, 0, 2]  # the sample of class 1 is predicted as the ignored class 0
    # without class-0 pixels: class 0 has one false positive (IoU 0), class 1 one false negative (0), class 2 is 1
    assert ref.iou(y_true, y_pred, num_classes=3, ignore_class=0) == pytest.approx(0.5)
    assert ref.iou(y_true, y_pred, num_classes=3, ignore_class=0, ignored_class_in_mean=True) == pytest.approx(1 / 3)


def test_iou_keras_epsilon_matters_only_for_small_weighted_counts() -> None:
    y_true, y_pred = [0, 1], [0, 0]
    exact = ref.iou(y_true, y_pred, num_classes=2, sample_weight=[1e-3, 1e-3])
    keras = ref.iou(y_true, y_pred, num_classes=2, sample_weight=[1e-3, 1e-3], epsilon=1e-7)
    assert exact == pytest.approx(0.25)  # class 0: 1e-3 / 2e-3; class 1: 0
    assert keras == pytest.approx(1e-3 / (2e-3 + 1e-7) / (2 + 1e-7))
    assert abs(keras - exact) > 1e-5


def test_multilabel_iou_counts_a_label_never_seen_as_zero() -> None:
    assert ref.multilabel_iou([[1, 0]], [[0.9, 0.1]]) == 0.5
    assert ref.multilabel_iou([[1, 0]], [[0.9, 0.1]], average=None).tolist() == [1.0, 0.0]
    assert ref.multilabel_iou([[1, 0], [1, 1]], [[0.9, 0.9], [0.1, 0.9]], average="micro") == 0.5


# -- Matthews, kappa, Hamming, specificity --------------------------------------------------------------


def test_matthews_by_hand_and_undefined_conventions() -> None:
    assert ref.matthews_corrcoef([1, 1, 1, 0], [1, 0, 1, 1]) == pytest.approx(-1 / 3)
    assert ref.matthews_corrcoef([1, 1, 0], [1, 1, 1]) == 0.0  # one predicted class: undefined -> 0.0
    # torchmetrics' limits: tp 2, fp 1, fn = tn = 0 -> sqrt(eps) / sqrt((3 + eps)(2 + eps)(1 + eps) eps)
    eps = FLOAT32_EPS
    expected = np.sqrt(eps) / np.sqrt((3 + eps) * (2 + eps) * (1 + eps) * eps)
    assert ref.matthews_corrcoef([1, 1, 0], [1, 1, 1], undefined="torchmetrics") == pytest.approx(expected)
    assert ref.matthews_corrcoef([1, 1], [1, 1], undefined="torchmetrics") == 1.0
    assert ref.matthews_corrcoef([1, 1], [0, 0], undefined="torchmetrics") == -1.0
    # multilabel: every cell of the label matrix is one binary decision
    multilabel = ref.matthews_corrcoef([[1, 0], [0, 1], [1, 1]], [[0.9, 0.2], [0.3, 0.8], [0.1, 0.7]], threshold=0.5)
    assert multilabel == ref.matthews_corrcoef([1, 0, 0, 1, 1, 1], [1, 0, 0, 1, 0, 1]) == pytest.approx(np.sqrt(0.5))


def test_cohen_kappa_by_hand() -> None:
    # observed disagreement 1 of 4, expected 2 of 4: kappa = 1 - 1/2
    assert ref.cohen_kappa([0, 0, 1, 1], [0, 1, 1, 1]) == pytest.approx(0.5)
    # quadratic weights: class 0 against 2 costs 4; observed 8, expected 4
    assert ref.cohen_kappa([0, 2], [2, 0], weights="quadratic") == pytest.approx(-1.0)
    assert np.isnan(ref.cohen_kappa([1, 1], [1, 1]))  # one class only: undefined
    assert ref.cohen_kappa([1, 1], [1, 1], undefined=0.0) == 0.0


def test_hamming_distance_counts_cells_with_each_sample_weight() -> None:
    assert ref.hamming_distance([0, 1, 2], [[0.9, 0.1, 0], [0.5, 0.5, 0], [0, 0, 1]]) == pytest.approx(1 / 3)
    # multilabel: row 0 right, row 1 one label of two wrong; weights 3 and 1 -> 1 / (2 * 4)
    assert ref.hamming_distance([[1, 0], [0, 1]], [[0.9, 0.1], [0.2, 0.1]], threshold=0.5,
                                sample_weight=[3, 1]) == pytest.approx(0.125)


def test_multilabel_ignored_cells_in_hamming_distance_and_jaccard() -> None:
    scores = [[0.9, 0.6], [0.2, 0.7], [0.1, 0.4]]  # predicted [[1, 1], [0, 1], [0, 0]]
    # label 0 keeps rows 2 (wrong) and 3 (right), label 1 row 1 (wrong): 2 of 3 kept cells wrong
    ignored = [[-1, 0], [1, -1], [0, -1]]
    assert ref.hamming_distance(ignored, scores, threshold=0.5, ignore_index=-1) == pytest.approx(2 / 3)
    assert ref.hamming_distance(ignored, scores, threshold=0.5, average="macro", ignore_index=-1) == 0.75
    # weighted by support (tp + fn): label 0's 1, label 1's 0
    assert ref.hamming_distance(ignored, scores, threshold=0.5, average="weighted", ignore_index=-1) == 0.5
    # a label with no cell left: no_samples (0.0; torchmetrics' 1 - accuracy of nothing is 1.0)
    assert ref.hamming_distance([[1, -1]], [[0.9, 0.1]], threshold=0.5, average=None,
                                ignore_index=-1).tolist() == [0.0, 0.0]
    assert ref.hamming_distance([[1, -1]], [[0.9, 0.1]], threshold=0.5, average=None, no_samples=1.0,
                                ignore_index=-1).tolist() == [0.0, 1.0]
    # Jaccard: label 0 keeps a tp and a fn (1/2); label 1's fp (row 1, score 0.6) is ignored: a tp and a tn (1)
    jaccard = [[1, -1], [1, 1], [-1, 0]]
    assert ref.multilabel_iou(jaccard, scores, average=None, ignore_index=-1).tolist() == [0.5, 1.0]
    assert ref.multilabel_iou(jaccard, scores, ignore_index=-1) == 0.75
    assert ref.multilabel_iou(jaccard, scores, average="micro", ignore_index=-1) == pytest.approx(2 / 3)
    # per sample: row 1 its label 0 (1), row 2 (1/2), row 3 its label 1, neither true nor predicted (0)
    assert ref.multilabel_iou(jaccard, scores, average="samples", ignore_index=-1) == pytest.approx(1 / 2)
    # without the ignored cells read as 0, label 1 counts its fp: 1/2 (the cells ignored do matter)
    assert ref.multilabel_iou([[1, 0], [1, 1], [0, 0]], scores, average=None).tolist() == [0.5, 0.5]


def test_specificity_binary_and_multiclass_conventions() -> None:
    assert ref.specificity([0, 0, 1, 1], [0.6, 0.2, 0.9, 0.1], threshold=0.5) == 0.5
    y_true, scores = [0, 1, 0], [[0.9, 0.1, 0], [0.8, 0.2, 0], [0.7, 0.3, 0]]  # every sample predicted class 0
    # class 0: tn 0, fp 1 -> 0; class 1: tn 2 -> 1; class 2 never occurs: tn 3 -> 1
    assert ref.specificity(y_true, scores, num_classes=3, average=None).tolist() == [0.0, 1.0, 1.0]
    assert ref.specificity(y_true, scores, num_classes=3, average="macro") == pytest.approx(2 / 3)
    assert ref.specificity(y_true, scores, num_classes=3, average="macro", absent_classes="exclude") == 0.5
    assert ref.specificity(y_true, scores, num_classes=3, average="micro") == pytest.approx(5 / 6)


# -- Keras confusion options: threshold lists, top_k, class_id --------------------------------------------


def test_threshold_lists_give_one_count_per_threshold() -> None:
    y_true, scores = [1, 1, 0, 1], [0.3, 0.6, 0.8, 0.75]
    assert ref.true_positives(y_true, scores, threshold=[0.25, 0.5, 0.75]).tolist() == [3, 2, 0]  # 0.75 is not > 0.75
    assert ref.precision(y_true, scores, threshold=[0.25, 0.5, 0.75]).tolist() == pytest.approx([0.75, 2 / 3, 0.0])


def test_top_k_selection_tie_rules() -> None:
    scores = np.array([[0.2, 0.2, 0.2, 0.4]])
    selection = ref.classification.top_k_selection
    assert selection(scores, 2, "lower_index_first").tolist() == [[True, False, False, True]]
    assert selection(scores, 2, "higher_index_first").tolist() == [[False, False, True, True]]
    assert selection(scores, 2, "optimistic").tolist() == [[True, True, True, True]]
    assert selection(scores, 2, "pessimistic").tolist() == [[False, False, False, True]]


def test_top_k_precision_and_recall_by_hand() -> None:
    y_true = [0, 1, 2]
    scores = [[0.5, 0.5, 0.1], [0.2, 0.2, 0.2], [0.1, 0.3, 0.9]]
    # top-2 (lower index first among ties): {0, 1}, {0, 1}, {2, 1}: every true class is in; 6 predictions
    assert ref.precision(y_true, scores, threshold=None, top_k=2) == 0.5
    assert ref.recall(y_true, scores, threshold=None, top_k=2) == 1.0
    # with the true class ranked after its ties, row 2 ([0.2, 0.2, 0.2], class 1) misses
    assert ref.recall(y_true, scores, threshold=None, top_k=2, top_k_ties="pessimistic") == pytest.approx(2 / 3)
    assert ref.precision(y_true, scores, threshold=None, top_k=2, top_k_ties="pessimistic") == pytest.approx(1 / 3)


def test_class_id_counts_one_label() -> None:
    y_true, scores = [[1, 0], [1, 1], [0, 1]], [[0.6, 0.9], [0.2, 0.4], [0.7, 0.8]]
    assert ref.precision(y_true, scores, class_id=1) == 0.5  # label 1 predicted in rows 0 and 2, true in row 2
    assert ref.recall(y_true, scores, class_id=1) == 0.5


def test_fbeta_takes_multilabel_targets_with_a_threshold() -> None:
    # label 0: tp 1, fn 1; label 1: tp 1, fp 1 -> F1 2/3 each; micro: tp 2, fp 1, fn 1 -> 2/3
    y_true, scores = [[1, 0], [1, 1]], [[0.9, 0.9], [0.1, 0.9]]
    assert ref.f1_score(y_true, scores, threshold=0.5, average="micro") == pytest.approx(2 / 3)
    assert ref.f1_score(y_true, scores, threshold=0.5, average=None) == pytest.approx([2 / 3, 2 / 3])


# -- validation ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "message"), [
    (lambda: ref.confusion_matrix([0, 2], [0, 1], num_classes=2), r"y_true must hold labels in \[0, 2\)"),
    (lambda: ref.confusion_matrix([0, 1], [0, 1], normalize="rows"), "normalize must be one of"),
    (lambda: ref.confusion_matrix([0, 1], [0], num_classes=2), "one label .* per element"),
    (lambda: ref.iou([0, 1], [0, 1], num_classes=2, target_class_ids=[2]), r"target_class_ids must be classes in"),
    (lambda: ref.specificity([0, 1, 2], [0, 1, 2]), "average='binary' needs two classes"),
    (lambda: ref.cohen_kappa([0, 1], [0, 1], weights="cubic"), "weights must be one of"),
    (lambda: ref.multilabel_confusion_matrix([[0, 1]], [[0.1, 0.2, 0.3]]), "same .n, L. shape"),
    (lambda: ref.precision([[1, 2], [0, 1]], [[0.1, 0.2], [0.3, 0.4]]), "only 0 and 1"),
    (lambda: ref.precision([0], [[0.1, 0.2]], threshold=None, top_k=0), "top_k must be a positive integer"),
    (lambda: ref.recall([0], [[0.1, 0.2]], class_id=2), r"class_id must be in \[0, 2\)"),
    (lambda: ref.precision([0], [[0.1, 0.2]], top_k=1, top_k_ties="optimistic"), "needs threshold=None"),
])
def test_validation_messages_say_what_was_expected(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# -- against scikit-learn ---------------------------------------------------------------------------

sklearn_metrics = pytest.importorskip("sklearn.metrics")
QUICK = settings(max_examples=60, deadline=None, derandomize=True)


def _weights(data: st.DataObject, n: int) -> np.ndarray:
    return data.draw(cs.positive_integer_weights(n, allow_zero=False)).astype(np.float64)


@QUICK
@given(st.integers(1, 40).flatmap(cs.multiclass_inputs), st.data())
def test_multiclass_metrics_match_sklearn(batch, data) -> None:
    weights = _weights(data, len(batch))
    labels, c = list(range(batch.num_classes)), batch.num_classes
    y, scores = batch.y_true, batch.y_pred.astype(np.float64)
    predicted = scores.argmax(axis=1)
    assert ref.confusion_matrix(y, scores, num_classes=c, sample_weight=weights) == pytest.approx(
        sklearn_metrics.confusion_matrix(y, predicted, labels=labels, sample_weight=weights))
    assert ref.confusion_matrix(y, scores, num_classes=c, normalize="true", sample_weight=weights) == pytest.approx(
        sklearn_metrics.confusion_matrix(y, predicted, labels=labels, normalize="true", sample_weight=weights))
    assert ref.matthews_corrcoef(y, scores, sample_weight=weights) == pytest.approx(
        sklearn_metrics.matthews_corrcoef(y, predicted, sample_weight=weights), abs=1e-12)
    assert ref.hamming_distance(y, scores, sample_weight=weights) == pytest.approx(
        sklearn_metrics.hamming_loss(y, predicted, sample_weight=weights), abs=1e-12)
    assert ref.iou(y, scores, num_classes=c, absent_classes="zero", sample_weight=weights) == pytest.approx(
        sklearn_metrics.jaccard_score(y, predicted, labels=labels, average="macro", zero_division=0.0,
                                      sample_weight=weights), abs=1e-12)
    for weighting in (None, "linear", "quadratic"):
        ours = ref.cohen_kappa(y, scores, num_classes=c, weights=weighting, sample_weight=weights)
        theirs = sklearn_metrics.cohen_kappa_score(y, predicted, labels=labels, weights=weighting,
                                                   sample_weight=weights)
        assert ours == pytest.approx(theirs, abs=1e-12, nan_ok=True)


@QUICK
@given(st.integers(1, 40).flatmap(lambda n: cs.binary_inputs(n)), st.data())
def test_binary_metrics_match_sklearn(batch, data) -> None:
    weights = _weights(data, len(batch))
    y, scores = batch.y_true, batch.y_pred.astype(np.float64)
    predicted = (scores > 0.5).astype(np.int64)
    assert ref.specificity(y, scores, threshold=0.5, sample_weight=weights) == pytest.approx(
        sklearn_metrics.recall_score(y, predicted, pos_label=0, zero_division=0.0, sample_weight=weights), abs=1e-12)
    assert ref.iou(y, scores, num_classes=2, target_class_ids=[1], threshold=0.5,
                   sample_weight=weights) == pytest.approx(
        sklearn_metrics.jaccard_score(y, predicted, zero_division=0.0, sample_weight=weights), abs=1e-12)
    counts = ref.true_positives(y, scores, threshold=[0.25, 0.5, 0.75], sample_weight=weights)
    for threshold, count in zip([0.25, 0.5, 0.75], counts, strict=True):
        matrix = sklearn_metrics.confusion_matrix(y, scores > threshold, labels=[0, 1], sample_weight=weights)
        assert count == pytest.approx(matrix[1, 1])


@QUICK
@given(st.integers(1, 30).flatmap(cs.multilabel_inputs), st.data())
def test_multilabel_metrics_match_sklearn(batch, data) -> None:
    weights = _weights(data, len(batch))
    y, scores = batch.y_true, batch.y_pred.astype(np.float64)
    predicted = (scores > 0.5).astype(np.int64)
    assert ref.multilabel_confusion_matrix(y, scores, sample_weight=weights) == pytest.approx(
        sklearn_metrics.multilabel_confusion_matrix(y, predicted, sample_weight=weights))
    assert ref.hamming_distance(y, scores, threshold=0.5, sample_weight=weights) == pytest.approx(
        sklearn_metrics.hamming_loss(y, predicted, sample_weight=weights), abs=1e-12)
    assert ref.multilabel_iou(y, scores, sample_weight=weights) == pytest.approx(
        sklearn_metrics.jaccard_score(y, predicted, average="macro", zero_division=0.0, sample_weight=weights),
        abs=1e-12)
    assert ref.precision(y, scores, class_id=1, sample_weight=weights) == pytest.approx(
        sklearn_metrics.precision_score(y, predicted, average=None, zero_division=0.0, sample_weight=weights)[1],
        abs=1e-12)
    assert ref.f1_score(y, scores, threshold=0.5, average="micro", sample_weight=weights) == pytest.approx(
        sklearn_metrics.f1_score(y, predicted, average="micro", zero_division=0.0, sample_weight=weights), abs=1e-12)


@QUICK
@given(st.integers(1, 10).flatmap(cs.segmentation_inputs), st.data())
def test_mean_iou_on_label_maps_matches_sklearn_on_pixels(batch, data) -> None:
    weights = _weights(data, len(batch))
    pixel_weights = np.repeat(weights, batch.y_true[0].size)
    assert ref.iou(batch.y_true, batch.y_pred, num_classes=batch.num_classes, absent_classes="zero",
                   sample_weight=weights) == pytest.approx(
        sklearn_metrics.jaccard_score(batch.y_true.reshape(-1), batch.y_pred.reshape(-1),
                                      labels=list(range(batch.num_classes)), average="macro", zero_division=0.0,
                                      sample_weight=pixel_weights), abs=1e-12)


def test_counts_keep_a_tiny_weight_next_to_a_large_one() -> None:
    """Each count sums its own cells: as a difference of totals, a weight of 2e-38 beside one of 9e-9 vanished
    from fn, and tn came out -7e-15 where no negative exists (found by the ci run on Keras' FalseNegatives)."""
    y_true, scores = np.array([1, 1, 0]), np.array([0.75, 0.5, 0.9])
    weights = np.array([9.3e-9, 2.35e-38, 0.0])
    assert ref.false_negatives(y_true, scores, sample_weight=weights) == 2.35e-38
    assert ref.true_negatives([1, 1, 1], [-2.0, -2.0, -2.0], sample_weight=[7.0, 7e-38, 2.8]) == 0.0
