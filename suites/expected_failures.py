"""Library behaviours the conformance run reports as unexpected (``fail`` / ``error``) on purpose:
real defects or surprises of the library, kept visible in every report, and expected here (as
array-api-tests keeps its xfails) with the reason each. Keys are ``metric-library-property``.
A listed case that stops failing makes the suite fail, so the list cannot go stale."""

KERAS_RANK_1_MEAN = (
    "Keras' mean_squared_error / mean_absolute_error reduce over the last axis. With rank-1 (n,) y_true and "
    "y_pred that axis is the batch: each update adds one batch mean with a count of 1, so uneven batches are "
    "mis-weighted and an empty batch adds NaN (keras/src/losses/losses.py::mean_squared_error; "
    "keras/src/metrics/reduction_metrics.py::reduce_to_samplewise_values). model.fit() passes (n, 1) "
    "predictions, where the metric is right; calling update_state by hand with flat arrays is not."
)

SKLEARN_MULTILABEL_NEGATIVE_TN = (
    "scikit-learn's multilabel_confusion_matrix computes true negatives as sum(sample_weight) - tp - fp - fn in the "
    "weights' float32, so a true-negative count that should be 0 comes out as -1.2e-07 (and a positive one off by "
    "that much): a negative count (sklearn/metrics/_classification.py::multilabel_confusion_matrix, "
    "`tn = xp.sum(sample_weight) - tp - fp - fn`)."
)

EXPECTED_FAILURES: dict[str, str] = {
    "ConfusionMatrix[task=multilabel]-sklearn-agreement": SKLEARN_MULTILABEL_NEGATIVE_TN,
    "ConfusionMatrix[task=multilabel]-sklearn-sample_weights": SKLEARN_MULTILABEL_NEGATIVE_TN,
    "MeanSquaredError-keras-shape_conventions": KERAS_RANK_1_MEAN,
    "MeanAbsoluteError-keras-shape_conventions": KERAS_RANK_1_MEAN,
}

TORCHMETRICS_RANKING_LOSS_COUNT = (
    "torchmetrics' MultilabelRankingLoss counts a batch whose rows all have no true or only true labels (an empty "
    "batch too) as one sample: _multilabel_ranking_loss_update returns (0.0, 1) instead of (0.0, num_preds), so the "
    "stream's mean divides by the wrong number of samples "
    "(torchmetrics/functional/classification/ranking.py::_multilabel_ranking_loss_update, 'if len(preds) == 0: "
    "return torch.tensor(0.0), 1'). Minimal: update([[0.2, 0.8]], [[1, 0]]) then update three rows of [1, 1] / "
    "[0, 0] gives 0.5, not 1/4."
)

EXPECTED_FAILURES.update({
    "LabelRankingLoss-torchmetrics-batch_accumulation": TORCHMETRICS_RANKING_LOSS_COUNT,
    "LabelRankingLoss-torchmetrics-shape_conventions": TORCHMETRICS_RANKING_LOSS_COUNT,
})
