"""The ranking, retrieval and multilabel ranking references: hand-computed values, their stated
conventions (ties, undefined labels, Keras' grids), validation messages, and agreement with
scikit-learn under Hypothesis where scikit-learn has the metric."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import reference as ref
from conformance import strategies as cs

# -- operating points: the best rate under a constraint ------------------------------------------------

# Ranked: 0.8 (pos), 0.4 (neg), 0.35 (pos), 0.1 (neg). Operating points (tp, fp): none (0, 0),
# >= 0.8 (1, 0), >= 0.4 (1, 1), >= 0.35 (2, 1), >= 0.1 (2, 2).
Y, S = [0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8]


def test_precision_and_recall_under_a_constraint_by_hand() -> None:
    assert ref.precision_at_recall(Y, S, recall=0.5) == 1.0  # (1, 0): precision 1, recall 1/2
    assert ref.precision_at_recall(Y, S, recall=1.0) == pytest.approx(2 / 3)  # (2, 1)
    assert ref.recall_at_precision(Y, S, precision=0.8) == 0.5  # only (1, 0) is precise enough
    assert ref.recall_at_precision(Y, S, precision=0.6) == 1.0  # (2, 1): precision 2/3


def test_sensitivity_and_specificity_under_a_constraint_by_hand() -> None:
    assert ref.sensitivity_at_specificity(Y, S, specificity=0.5) == 1.0  # (2, 1): specificity 1/2
    assert ref.sensitivity_at_specificity(Y, S, specificity=1.0) == 0.5  # (1, 0)
    assert ref.specificity_at_sensitivity(Y, S, sensitivity=1.0) == 0.5  # (2, 1)


def test_no_feasible_point_gives_zero() -> None:
    # Precision 1 needs a point without false positives; the top score is a negative.
    assert ref.recall_at_precision([1, 0], [0.2, 0.9], precision=1.0) == 0.0


def test_one_class_only_the_rates_of_the_missing_class_are_zero_or_the_specificity_convention() -> None:
    # All positive: recall reaches 1 at ">= 0.2"; there is no negative, so specificity is 0/0: 0 (divide_no_nan) by
    # default, where no point meets specificity >= 0.5; 1 under torchmetrics' rule (FPR 0), where every point does.
    positives, scores = [1, 1], [0.2, 0.7]
    assert ref.sensitivity_at_specificity(positives, scores, specificity=0.5) == 0.0
    assert ref.sensitivity_at_specificity(positives, scores, specificity=0.5, specificity_without_negatives=1.0) == 1
    assert ref.specificity_at_sensitivity(positives, scores, sensitivity=0.5) == 0.0
    assert ref.specificity_at_sensitivity(positives, scores, sensitivity=0.5, specificity_without_negatives=1.0) == 1
    # All negative: recall is 0/0 = 0 at every point, so no point reaches recall 0.5 and precision is 0 throughout.
    assert ref.precision_at_recall([0, 0], scores, recall=0.5) == 0.0
    assert ref.recall_at_precision([0, 0], scores, precision=0.5) == 0.0


@pytest.mark.parametrize("labels", [[0, 0, 0], [1, 1, 1], [1]])
def test_auc_of_one_class_is_undefined_or_zero_by_convention(labels) -> None:
    scores = [0.2, 0.7, 0.5][:len(labels)]
    assert np.isnan(ref.roc_auc(labels, scores))
    assert ref.roc_auc(labels, scores, undefined="zero") == 0.0


def test_average_precision_needs_a_positive_only() -> None:
    assert np.isnan(ref.average_precision([0, 0], [0.2, 0.7]))
    assert ref.average_precision([0, 0], [0.2, 0.7], undefined="zero") == 0.0
    assert ref.average_precision([0, 0], [0.2, 0.7], thresholds=3, undefined="zero") == 0.0
    # No negative: every point has precision 1, so the area is 1 whatever the convention.
    assert ref.average_precision([1, 1], [0.2, 0.7]) == ref.average_precision([1, 1], [0.2, 0.7], undefined="zero") == 1
    # Positive weight 0 is no positive.
    assert np.isnan(ref.average_precision([0, 1], [0.2, 0.7], sample_weight=[1.0, 0.0]))


def test_keras_grid_never_predicts_a_score_of_zero_positive() -> None:
    # Exact: ">= 0.0" predicts all three (tp 2, fp 1): precision 2/3, recall 1.
    assert ref.recall_at_precision([1, 1, 0], [0.0, 0.6, 0.3], precision=0.5) == 1.0
    # Keras' grid [0, 0.5, 1] with score > t: the score 0 is never positive, so recall stops at 1/2.
    assert ref.recall_at_precision([1, 1, 0], [0.0, 0.6, 0.3], precision=0.5, num_thresholds=3) == 0.5


def test_class_id_picks_one_column() -> None:
    y_true, y_score = np.array([[0, 1], [0, 0], [1, 1]]), np.array([[0.3, 0.9], [0.1, 0.8], [0.2, 0.4]])
    assert ref.recall_at_precision(y_true, y_score, precision=0.8, class_id=1) == 0.5
    assert ref.recall_at_precision(y_true, y_score, precision=0.8, class_id=1) == ref.recall_at_precision(
        y_true[:, 1], y_score[:, 1], precision=0.8)


# -- average precision with thresholds, and several labels ----------------------------------------------


def test_binned_average_precision_by_hand() -> None:
    # thresholds 0, 0.5, 1 (score >= t): at 1: nothing; at 0.5: {0.9 pos, 0.6 neg}; at 0: all.
    # AP = (1/2 - 0) * 1/2 + (1 - 1/2) * 2/4
    assert ref.average_precision([1, 0, 1, 0], [0.9, 0.6, 0.2, 0.1], thresholds=3) == pytest.approx(0.5)
    assert ref.average_precision([1, 0, 1, 0], [0.9, 0.6, 0.2, 0.1], thresholds=[0.0, 0.5, 1.0]) == pytest.approx(0.5)


def test_undefined_labels_follow_the_chosen_convention() -> None:
    y_true = np.array([[1, 0, 0], [0, 1, 0], [1, 1, 0]])  # label 2 never positive: undefined
    y_score = np.array([[0.9, 0.2, 0.1], [0.3, 0.8, 0.5], [0.6, 0.6, 0.2]])
    assert np.isnan(ref.multilabel_average_precision(y_true, y_score))
    assert ref.multilabel_average_precision(y_true, y_score, undefined="zero") == pytest.approx(2 / 3)
    assert ref.multilabel_average_precision(y_true, y_score, undefined="exclude") == pytest.approx(1.0)
    per_label = ref.multilabel_roc_auc(y_true, y_score, average=None)
    assert per_label[:2].tolist() == [1.0, 1.0] and np.isnan(per_label[2])
    assert ref.multilabel_roc_auc(y_true, y_score, average="micro") == 1.0


def test_multiclass_is_one_vs_rest() -> None:
    labels, scores = [0, 1, 2, 1], np.array([[0.5, 0.3, 0.2], [0.2, 0.5, 0.3], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1]])
    # class 0: positive 0.5 vs negatives 0.2, 0.1, 0.6 -> 2/3; class 1: 0.5, 0.3 vs 0.3, 0.1 -> (1 + 1 + 0.5 + 1)/4;
    # class 2: 0.8 above all -> 1
    assert ref.multiclass_roc_auc(labels, scores) == pytest.approx((2 / 3 + 0.875 + 1) / 3)
    assert np.isnan(ref.multiclass_roc_auc([0, 1], scores[:2]))  # class 2 never occurs


def test_keras_multi_label_auc_averages_labels_and_the_default_pools_them() -> None:
    y_true, y_score = np.array([[1, 0], [0, 1], [1, 1], [0, 0]]), np.array([[0.9, 0.1], [0.2, 0.7], [0.6, 0.4],
                                                                            [0.3, 0.5]])
    per_label = [ref.bucketed_auc(y_true[:, j], y_score[:, j]) for j in range(2)]
    assert ref.bucketed_auc(y_true, y_score, average="macro") == pytest.approx(np.mean(per_label))
    assert ref.bucketed_auc(y_true, y_score) == pytest.approx(ref.bucketed_auc(y_true.ravel(), y_score.ravel()))


def test_keras_listed_thresholds_compare_strictly_and_even_ones_are_bucketed() -> None:
    # Thresholds -eps, 0.3, 0.5, 1 + eps: the score 0.5 is not above 0.5.
    tp, fp, tn, fn = ref.ranking._listed_threshold_counts([1, 0], [0.5, 0.2], [0.3, 0.5], None)
    assert tp.tolist() == [1.0, 1.0, 0.0, 0.0] and fp.tolist() == [1.0, 0.0, 0.0, 0.0]
    assert fn.tolist() == [0.0, 0.0, 1.0, 1.0] and tn.tolist() == [0.0, 1.0, 1.0, 1.0]
    # [0.25, 0.5, 0.75] is Keras' evenly spaced grid with T = 5: the bucketed counts.
    assert ref.bucketed_auc([1, 0, 1], [0.6, 0.4, 0.3], thresholds=[0.25, 0.5, 0.75]) == ref.bucketed_auc(
        [1, 0, 1], [0.6, 0.4, 0.3], num_thresholds=5)


def test_keras_at_metric_grid_drops_a_score_of_zero() -> None:
    tp, fp, tn, fn = ref.ranking.bucketed_confusion_counts([1, 0], [0.0, 0.0], num_thresholds=3, endpoints="exact")
    assert tp.tolist() == [0.0, 0.0, 0.0] and fn.tolist() == [1.0, 1.0, 1.0]
    assert fp.tolist() == [0.0, 0.0, 0.0] and tn.tolist() == [1.0, 1.0, 1.0]
    tp, *_ = ref.ranking.bucketed_confusion_counts([1, 0], [0.0, 0.0], num_thresholds=3)
    assert tp.tolist() == [1.0, 0.0, 0.0]  # AUC's -epsilon threshold: everything is above it


# -- multilabel ranking ---------------------------------------------------------------------------------

# scikit-learn's documentation example.
ML_TRUE, ML_SCORE = [[1, 0, 0], [0, 0, 1]], [[0.75, 0.5, 1.0], [1.0, 0.2, 0.1]]


def test_multilabel_ranking_by_hand() -> None:
    assert ref.coverage_error(ML_TRUE, ML_SCORE) == 2.5  # ranks 2 and 3
    assert ref.label_ranking_loss(ML_TRUE, ML_SCORE) == pytest.approx((1 / 2 + 2 / 2) / 2)
    assert ref.label_ranking_average_precision(ML_TRUE, ML_SCORE) == pytest.approx((1 / 2 + 1 / 3) / 2)


def test_multilabel_ranking_ties_and_trivial_rows() -> None:
    tied = ([[1, 0]], [[0.5, 0.5]])
    assert ref.coverage_error(*tied) == 2.0  # a tie shares the worst rank
    assert ref.label_ranking_loss(*tied) == 1.0 and ref.label_ranking_loss(*tied, tied_pairs="correct") == 0.0
    assert ref.label_ranking_average_precision(*tied) == 0.5
    no_true, all_true = ([[0, 0]], [[0.2, 0.9]]), ([[1, 1]], [[0.2, 0.9]])
    assert ref.coverage_error(*no_true) == 0.0 and ref.coverage_error(*all_true) == 2.0
    assert ref.label_ranking_loss(*no_true) == 0.0 and ref.label_ranking_loss(*all_true) == 0.0
    assert ref.label_ranking_average_precision(*no_true) == 1.0 == ref.label_ranking_average_precision(*all_true)


def test_ranking_loss_with_tied_pairs_correct_counts_only_strictly_higher_false_labels() -> None:
    # true labels at 0.5 and 0.2; false at 0.5 (tied with one true label) and 0.9 (above both)
    y_true, y_score = [[1, 0, 1, 0]], [[0.5, 0.5, 0.2, 0.9]]
    assert ref.label_ranking_loss(y_true, y_score, tied_pairs="correct") == pytest.approx(3 / 4)
    assert ref.label_ranking_loss(y_true, y_score) == pytest.approx(4 / 4)


def test_weighted_mean_over_samples_and_zero_weights() -> None:
    assert ref.coverage_error(ML_TRUE, ML_SCORE, sample_weight=[3, 1]) == pytest.approx((3 * 2 + 3) / 4)
    assert ref.label_ranking_average_precision(ML_TRUE, ML_SCORE, sample_weight=[0, 0]) == 0.0


# -- NDCG ---------------------------------------------------------------------------------------------

DISCOUNT = 1 / np.log2(np.arange(5) + 2)


def test_ndcg_by_hand() -> None:
    relevance, scores = [[10, 0, 0, 1, 5]], [[0.1, 0.2, 0.3, 4, 70]]
    ideal = 10 * DISCOUNT[0] + 5 * DISCOUNT[1] + 1 * DISCOUNT[2]
    assert ref.ndcg(relevance, scores) == pytest.approx((5 * DISCOUNT[0] + DISCOUNT[1] + 10 * DISCOUNT[4]) / ideal)
    assert ref.ndcg(relevance, scores, k=1) == pytest.approx(5 / 10)


def test_ndcg_averages_tied_documents() -> None:
    relevance, scores = [[10, 0, 0, 1, 5]], [[1, 0, 0, 0, 1]]
    ideal = 10 * DISCOUNT[0] + 5 * DISCOUNT[1] + 1 * DISCOUNT[2]
    gain = 7.5 * DISCOUNT[:2].sum() + (1 / 3) * DISCOUNT[2:].sum()  # groups {10, 5} and {0, 0, 1}
    assert ref.ndcg(relevance, scores) == pytest.approx(gain / ideal)
    assert ref.ndcg(relevance, scores, k=1) == pytest.approx(7.5 / 10)  # the tied top group shares position 0


def test_ndcg_of_a_query_without_relevant_documents_is_zero() -> None:
    assert ref.ndcg([[0, 0, 0], [1, 0, 0]], [[0.1, 0.2, 0.3], [0.9, 0.1, 0.1]]) == 0.5


# -- validation -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("call", "message"), [
    (lambda: ref.precision_at_recall([0, 1], [0.1, 0.2], recall=1.5), r"recall must be in \[0, 1\]"),
    (lambda: ref.recall_at_precision([[0, 1]], [[0.1, 0.2]], precision=0.5, class_id=2), r"class_id must be in"),
    (lambda: ref.multilabel_roc_auc([[0, 1]], [[0.1, 0.2, 0.3]]), "same shape"),
    (lambda: ref.multilabel_average_precision([[0, 2]], [[0.1, 0.2]]), "only 0 and 1"),
    (lambda: ref.multilabel_roc_auc([[0, 1]], [[0.1, 0.2]], average="samples"), "average must be one of"),
    (lambda: ref.multilabel_roc_auc([[0, 1]], [[0.1, 0.2]], undefined="skip"), "undefined must be one of"),
    (lambda: ref.average_precision([0, 1], [0.1, 0.2], thresholds=1), "integer > 1"),
    (lambda: ref.bucketed_auc([0, 1], [0.1, 0.2], average="weighted"), "average must be one of"),
    (lambda: ref.ndcg([[1, -1]], [[0.1, 0.2]]), "non-negative"),
    (lambda: ref.ndcg([[1, 0]], [[0.1, 0.2]], k=0), "positive integer"),
    (lambda: ref.coverage_error([0, 1], [0.1, 0.2]), "2-D"),
    (lambda: ref.label_ranking_loss([[0, 1]], [[0.1, 0.2]], tied_pairs="half"), "tied_pairs must be one of"),
])
def test_validation_messages_say_what_was_expected(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# -- against scikit-learn -----------------------------------------------------------------------------

sklearn_metrics = pytest.importorskip("sklearn.metrics")
QUICK = settings(max_examples=80, deadline=None, derandomize=True)


def _weights(data: st.DataObject, n: int) -> np.ndarray:
    return data.draw(cs.positive_integer_weights(n, allow_zero=True))


@QUICK
@given(st.integers(1, 30).flatmap(cs.multilabel_inputs), st.data())
def test_multilabel_ranking_matches_sklearn(batch, data) -> None:
    weights = _weights(data, len(batch))
    y, s = batch.y_true, batch.y_pred.astype(np.float64)
    for ours, theirs in [(ref.coverage_error, sklearn_metrics.coverage_error),
                         (ref.label_ranking_loss, sklearn_metrics.label_ranking_loss),
                         (ref.label_ranking_average_precision, sklearn_metrics.label_ranking_average_precision_score)]:
        assert ours(y, s, sample_weight=weights) == pytest.approx(theirs(y, s, sample_weight=weights), abs=1e-12)


@QUICK
@given(st.integers(1, 30).flatmap(cs.relevance_inputs), st.sampled_from([None, 1, 2, 4]), st.data())
def test_ndcg_matches_sklearn(batch, k, data) -> None:
    weights = _weights(data, len(batch))
    y, s = batch.y_true, batch.y_pred.astype(np.float64)
    assert ref.ndcg(y, s, k=k, sample_weight=weights) == pytest.approx(
        sklearn_metrics.ndcg_score(y, s, k=k, sample_weight=weights), abs=1e-12)


@QUICK
@given(st.integers(1, 30).flatmap(cs.multilabel_inputs), st.sampled_from(["macro", "micro"]), st.data())
def test_multilabel_auc_and_average_precision_match_sklearn(batch, average, data) -> None:
    weights = _weights(data, len(batch))
    y, s = batch.y_true, batch.y_pred.astype(np.float64)
    # scikit-learn: an undefined ROC AUC is NaN (as the reference), an undefined average precision is 0.
    expected = sklearn_metrics.roc_auc_score(y, s, average=average, sample_weight=weights)
    assert ref.multilabel_roc_auc(y, s, average=average, sample_weight=weights) == pytest.approx(
        expected, abs=1e-12, nan_ok=True)
    expected = sklearn_metrics.average_precision_score(y, s, average=average, sample_weight=weights)
    assert ref.multilabel_average_precision(y, s, average=average, undefined="zero", sample_weight=weights) == \
        pytest.approx(expected, abs=1e-12)


@QUICK
@given(st.integers(1, 30).flatmap(cs.probability_rows), st.data())
def test_multiclass_auc_matches_sklearn_one_vs_rest(batch, data) -> None:
    weights = _weights(data, len(batch))
    labels, scores = list(range(batch.num_classes)), batch.y_pred.astype(np.float64)
    expected = sklearn_metrics.roc_auc_score(batch.y_true, scores, multi_class="ovr", labels=labels,
                                             sample_weight=weights)
    assert ref.multiclass_roc_auc(batch.y_true, scores, sample_weight=weights) == pytest.approx(
        expected, abs=1e-12, nan_ok=True)


@QUICK
@given(st.integers(2, 30).flatmap(lambda n: cs.binary_inputs(n, both_classes=True)), st.data())
def test_exact_operating_points_are_scikit_learns_curves(batch, data) -> None:
    """The exact ``*_at_*`` references equal a search over scikit-learn's precision_recall_curve / roc_curve."""
    weights = data.draw(cs.positive_integer_weights(len(batch), allow_zero=False))
    y, s = batch.y_true, batch.y_pred.astype(np.float64)
    precision, recall, _ = sklearn_metrics.precision_recall_curve(y, s, sample_weight=weights)
    fpr, tpr, _ = sklearn_metrics.roc_curve(y, s, sample_weight=weights, drop_intermediate=False)
    assert ref.precision_at_recall(y, s, recall=0.5, sample_weight=weights) == pytest.approx(
        max(p for p, r in zip(precision[:-1], recall[:-1], strict=True) if r >= 0.5), abs=1e-12)
    assert ref.sensitivity_at_specificity(y, s, specificity=0.5, sample_weight=weights) == pytest.approx(
        max(t for f, t in zip(fpr, tpr, strict=True) if 1 - f >= 0.5), abs=1e-12)


def test_partial_auc_is_mcclish_standardized() -> None:
    """max_fpr: the area up to it, standardized to 0.5 for chance and 1 for a perfect ranking (McClish 1989), as
    scikit-learn computes it."""
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    perfect, chance = ([0, 0, 1, 1], [0.1, 0.2, 0.8, 0.9]), ([0, 1], [0.5, 0.5])
    assert ref.roc_auc(*perfect, max_fpr=0.5) == pytest.approx(1.0)
    assert ref.roc_auc(*chance, max_fpr=0.5) == pytest.approx(0.5)
    y, s = [0, 1, 0, 1, 1, 0], [0.3, 0.7, 0.6, 0.2, 0.9, 0.1]
    for max_fpr in (0.1, 0.4, 0.75):
        assert ref.roc_auc(y, s, max_fpr=max_fpr) == pytest.approx(sklearn_metrics.roc_auc_score(y, s, max_fpr=max_fpr))


def test_one_vs_one_is_hand_and_till() -> None:
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    labels = [0, 1, 2, 2, 1, 0]
    scores = [[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.3, 0.3, 0.4], [0.1, 0.8, 0.1], [0.5, 0.1, 0.4]]
    for average in ("macro", "weighted"):
        assert ref.multiclass_roc_auc(labels, scores, multi_class="ovo", average=average) == pytest.approx(
            sklearn_metrics.roc_auc_score(labels, scores, multi_class="ovo", average=average))


def test_binned_ndcg_aggregations_and_ignored_documents() -> None:
    relevance, scores = [[0, 2, 1], [0, 0, 0], [1, -1, 0]], [[0.3, 0.9, 0.5], [0.1, 0.2, 0.3], [0.8, 0.5, 0.1]]
    ignored = ref.ndcg(relevance, scores, ignore_index=-1, aggregation="min")
    assert ignored == 0.0  # the query without a relevant document scores 0 ("neg")
    assert ref.ndcg(relevance, scores, ignore_index=-1, empty="skip", aggregation="min") == 1.0
    assert ref.ndcg([[1, 0], [0, 1]], [[0.9, 0.1], [0.9, 0.1]], aggregation="median") == pytest.approx(
        (1.0 + 1 / np.log2(3)) / 2)


# -- binary relevance retrieval metrics, by hand ----------------------------------------------------------------------
# Q1: relevance [1, 0, 1, 0] ranked as scored: relevant, irrelevant, relevant, irrelevant.
Q1 = ([[1, 0, 1, 0]], [[0.9, 0.8, 0.7, 0.1]])
Q2 = ([[0, 0, 1]], [[0.5, 0.5, 0.5]])  # every score tied: the relevant document first or last
Q3 = ([[0, 0, 0]], [[0.3, 0.2, 0.1]])  # no relevant document: an empty query


def _stack(*queries):
    width = max(len(q[0][0]) for q in queries)
    return ([q[0][0] + [0] * (width - len(q[0][0])) for q in queries],
            [q[1][0] + [-1.0] * (width - len(q[1][0])) for q in queries])


def test_retrieval_metrics_of_one_query_by_hand() -> None:
    y, s = Q1
    assert ref.retrieval_average_precision(y, s) == pytest.approx((1 + 2 / 3) / 2)  # precision at ranks 1 and 3
    assert ref.retrieval_average_precision(y, s, top_k=2) == 1.0  # the list cut to [relevant, irrelevant]
    assert ref.retrieval_reciprocal_rank(y, s) == 1.0
    assert ref.retrieval_precision(y, s, top_k=2) == 0.5
    assert ref.retrieval_precision(y, s, top_k=6) == pytest.approx(2 / 6)  # k stays 6 past the 4 documents
    assert ref.retrieval_precision(y, s, top_k=6, adaptive_k=True) == 0.5  # ... unless adaptive: k = 4
    assert ref.retrieval_recall(y, s, top_k=2) == 0.5
    assert ref.retrieval_hit_rate(y, s, top_k=1) == 1.0
    assert ref.retrieval_fall_out(y, s, top_k=2) == 0.5  # one of the two irrelevant documents in the top 2
    assert ref.retrieval_r_precision(y, s) == 0.5  # R = 2: one relevant in the top 2
    assert ref.retrieval_auroc(y, s) == pytest.approx(3 / 4)  # 0.7 (relevant) below 0.8 (irrelevant): 3 of 4 pairs


def test_retrieval_ties_are_bounded_by_the_relevant_documents_first_and_last() -> None:
    y, s = Q2
    assert ref.retrieval_average_precision(y, s) == 1.0
    assert ref.retrieval_average_precision(y, s, ties="pessimistic") == pytest.approx(1 / 3)
    assert ref.retrieval_reciprocal_rank(y, s, ties="pessimistic") == pytest.approx(1 / 3)
    assert ref.retrieval_hit_rate(y, s, top_k=1, ties="pessimistic") == 0.0
    assert ref.retrieval_auroc(y, s) == 0.5  # a tie counts one half whatever the order


def test_empty_queries_and_aggregation_over_queries() -> None:
    y, s = _stack(Q1, Q2, Q3)
    assert ref.retrieval_average_precision(y, s) == pytest.approx((5 / 6 + 1 + 0) / 3)  # neg: the empty query is 0
    assert ref.retrieval_average_precision(y, s, empty_target_action="pos") == pytest.approx((5 / 6 + 1 + 1) / 3)
    assert ref.retrieval_average_precision(y, s, empty_target_action="skip") == pytest.approx((5 / 6 + 1) / 2)
    assert ref.retrieval_average_precision(y, s, aggregation="median") == pytest.approx(5 / 6)
    skipped = dict(empty_target_action="skip", aggregation="median")
    assert ref.retrieval_average_precision(y, s, **skipped) == pytest.approx((5 / 6 + 1) / 2)  # two middle values
    assert ref.retrieval_average_precision(y, s, median="lower", **skipped) == pytest.approx(5 / 6)
    assert ref.retrieval_average_precision(y, s, aggregation="min") == 0.0
    assert ref.retrieval_average_precision(y, s, sample_weight=[3, 1, 0]) == pytest.approx((3 * 5 / 6 + 1) / 4)
    assert ref.retrieval_average_precision(*Q3, empty_target_action="skip") == 0.0  # all skipped


def test_fall_out_and_auroc_of_a_query_without_irrelevant_documents() -> None:
    every = ([[1, 1]], [[0.4, 0.6]])
    assert ref.retrieval_fall_out(*every) == 1.0  # its empty query is one without irrelevant documents: pos
    assert ref.retrieval_fall_out(*every, empty_target_action="neg") == 0.0
    assert np.isnan(ref.retrieval_auroc(*every))
    assert ref.retrieval_auroc(*every, undefined="zero") == 0.0


def test_positive_scores_only_discards_relevant_documents_scored_zero() -> None:
    y, s = [[1, 0]], [[0.0, 0.5]]  # the relevant document ranks second
    assert ref.retrieval_average_precision(y, s) == 0.5
    assert ref.retrieval_average_precision(y, s, positive_scores_only=True) == 0.0  # not empty: it scores 0
    assert ref.retrieval_average_precision(y, s, positive_scores_only=True, empty_target_action="pos") == 0.0
    assert ref.retrieval_recall(y, s, positive_scores_only=True) == 0.0


def test_dcg_by_hand() -> None:
    y, s = [[3, 0, 1]], [[0.9, 0.5, 0.7]]  # ranked: 3, then 1, then 0
    assert ref.dcg(y, s) == pytest.approx(3 + 1 / np.log2(3))
    assert ref.dcg(y, s, k=1) == 3.0
    assert ref.dcg(y, s, log_base=10) == pytest.approx(3 / np.log10(2) + 1 / np.log10(3))
    assert ref.dcg([[3, 1]], [[0.5, 0.5]]) == pytest.approx(2 + 2 / np.log2(3))  # tied: each gets the mean gain


# -- ignore_index, and the AUROC's top_k and max_fpr --------------------------------------------------------------
# Q_IGNORED: query 0 keeps [1, 0, 1] scored [0.9, 0.7, 0.1] (ranked relevant, irrelevant, relevant); query 1 keeps no
# document (no query); query 2 keeps [0, 0, 0] (an empty query).
Q_IGNORED = ([[1, -1, 0, 1], [-1, -1, -1, -1], [0, -1, 0, 0]],
             [[0.9, 0.8, 0.7, 0.1], [0.1, 0.2, 0.3, 0.4], [0.5, 0.9, 0.4, 0.3]])


def test_ignored_documents_leave_their_query() -> None:
    y, s = Q_IGNORED
    ignored = {"ignore_index": -1}
    assert ref.retrieval_average_precision(y, s, **ignored) == pytest.approx((1 + 2 / 3) / 2 / 2)  # (5/6 + 0) / 2
    assert ref.retrieval_average_precision(y, s, empty_target_action="skip", **ignored) == pytest.approx(5 / 6)
    assert ref.retrieval_average_precision(y, s, sample_weight=[2, 5, 1], **ignored) == pytest.approx(
        2 * 5 / 6 / 3)  # the query of no document takes its weight away with it
    assert ref.retrieval_precision(y, s, **ignored) == pytest.approx((2 / 3 + 0) / 2)  # k = the 3 documents kept
    assert ref.retrieval_precision(y, s, top_k=6, **ignored) == pytest.approx((2 / 6 + 0) / 2)
    assert ref.retrieval_precision(y, s, top_k=6, adaptive_k=True, **ignored) == pytest.approx((2 / 3 + 0) / 2)
    assert ref.retrieval_recall(y, s, top_k=1, **ignored) == pytest.approx((1 / 2 + 0) / 2)
    assert ref.retrieval_fall_out(y, s, top_k=2, **ignored) == pytest.approx((1 / 1 + 2 / 3) / 2)
    assert ref.retrieval_hit_rate(y, s, top_k=1, **ignored) == pytest.approx(1 / 2)
    assert ref.retrieval_reciprocal_rank(y, s, **ignored) == pytest.approx(1 / 2)
    assert ref.retrieval_r_precision(y, s, **ignored) == pytest.approx((1 / 2 + 0) / 2)  # R = 2: rel, irr
    assert ref.retrieval_auroc(y, s, **ignored) == pytest.approx((1 / 2 + 0) / 2)  # 0.9 > 0.7 but 0.1 < 0.7
    assert ref.retrieval_auroc(y, s, aggregation="max", **ignored) == pytest.approx(1 / 2)
    assert ref.retrieval_average_precision([[-1, -1]], [[0.3, 0.2]], ignore_index=-1) == 0.0  # no query at all
    with pytest.raises(ValueError, match="0/1 relevance"):
        ref.retrieval_recall(y, s)  # -1 is no relevance unless ignored


def test_auroc_of_the_top_k_documents() -> None:
    y, s = Q1  # relevant 0.9, irrelevant 0.8, relevant 0.7, irrelevant 0.1
    assert ref.retrieval_auroc(y, s, top_k=3) == pytest.approx(1 / 2)  # 0.9 > 0.8, 0.7 < 0.8
    assert ref.retrieval_auroc(y, s, top_k=2) == 1.0
    assert ref.retrieval_auroc(y, s, top_k=6) == pytest.approx(3 / 4)  # every document
    assert np.isnan(ref.retrieval_auroc(y, s, top_k=1))  # one relevant document: undefined
    assert ref.retrieval_auroc(y, s, top_k=1, undefined="zero") == 0.0


def test_auroc_ties_at_the_cut_take_the_highest_or_lowest_value() -> None:
    # an irrelevant document scored 1, then a tie of two irrelevant and two relevant ones, two of which fill the top 3:
    # [irr, irr, rel] gives 1/4 (the relevant one below 1, tied with 0), [irr, rel, rel] 0, [irr, irr, irr] nothing
    y, s = [[0, 0, 0, 1, 1]], [[0.0, 0.0, 1.0, 0.0, 0.0]]
    assert ref.retrieval_auroc(y, s, top_k=3) == pytest.approx(1 / 4)
    assert ref.retrieval_auroc(y, s, top_k=3, ties="pessimistic") == 0.0
    assert ref.retrieval_auroc(y, s, top_k=3, undefined="zero") == pytest.approx(1 / 4)
    assert ref.retrieval_auroc(y, s, top_k=5) == pytest.approx(2 / 6)  # no cut: 4 of 6 pairs tied, each one half


def test_auroc_standardized_partial_area() -> None:
    y, s = Q1  # the ROC curve: (0, 1/2) at 0.9, (1/2, 1/2) at 0.8, (1/2, 1) at 0.7, (1, 1)
    # over [0, 1/4]: area 1/8; McClish: (1 + (1/8 - 1/32) / (1/4 - 1/32)) / 2 = 5/7
    assert ref.retrieval_auroc(y, s, max_fpr=0.25) == pytest.approx(5 / 7)
    # the top 3 (relevant, irrelevant, relevant): (0, 1/2), (1, 1/2), (1, 1); over [0, 1/2]: area 1/4 -> 2/3
    assert ref.retrieval_auroc(y, s, top_k=3, max_fpr=0.5) == pytest.approx(2 / 3)
    assert ref.retrieval_auroc(y, s, max_fpr=1.0) == pytest.approx(3 / 4)
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    assert ref.retrieval_auroc(y, s, max_fpr=0.25) == pytest.approx(
        sklearn_metrics.roc_auc_score(y[0], s[0], max_fpr=0.25))
