"""The parameters of each bound class or function that are not drawn, each with the reason.

Every parameter of a binding's signature is one of: drawn (the spec's ``space``); fixed by the binding (its
``init``: the variant's value); set by another variant of the same target (the catalogue names several, e.g.
``AUC[curve=PR]``); plumbing (``PLUMBING``: it does not change the value); or listed in ``NOT_DRAWN`` with the reason
and the targets it applies to. ``suites/test_coverage.py`` introspects the signatures to keep it so, and that every
entry here names a parameter its targets have.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

INPUT = "an input of the call, not a parameter"
PLUMBING: Mapping[str, Mapping[str, str]] = {
    "keras": {"name": "the metric's name", "dtype": "the state's dtype (float32 by default, the dtype every check "
              "runs in)", "kwargs": "passed to the base Metric (name, dtype)"},
    "torchmetrics": {
        "validate_args": "checks the inputs' shapes and values before the update; the value is the same",
        "kwargs": "the base Metric's options: compute_on_cpu, dist_sync_on_step, process_group, dist_sync_fn, "
                  "sync_on_compute, compute_with_cache (distribution and caching, not the value)",
        "compute_on_cpu": "where the state lives", "dist_sync_on_step": "when processes synchronise",
        "process_group": "which processes synchronise", "dist_sync_fn": "how processes synchronise",
        "sync_on_compute": "whether compute() synchronises", "compute_with_cache": "whether compute() caches",
    },
    "sklearn": {name: INPUT for name in ("y_true", "y_pred", "y_score", "y_proba", "y1", "y2", "pred_decision",
                                          "sample_weight", "labels_true", "labels_pred")},
}


@dataclass(frozen=True)
class NotDrawn:
    """A parameter of ``targets`` (the classes' or functions' names) that no example draws, and why."""

    library: str
    parameter: str
    reason: str
    targets: tuple[str, ...]


NOT_YET = "not drawn yet: "
NOT_DRAWN: tuple[NotDrawn, ...] = (
    NotDrawn("keras", "axis", "the class (or output) axis: the catalogue's inputs put it last, the default; another "
             "axis is the same computation on transposed inputs",
             ("ConcordanceCorrelation", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU", "PearsonCorrelation",
              "SparseCategoricalCrossentropy")),
    NotDrawn("keras", "class_id", "these bindings take one column of binary scores, where the only class id is the "
             "default; Precision[class_id=1] and Recall[class_id=1] check it on multiclass scores",
             ("PrecisionAtRecall", "SensitivityAtSpecificity", "SpecificityAtSensitivity")),
    NotDrawn("keras", "from_sorted_ids", "y_pred as the top-k class ids instead of scores: another input format",
             ("SparseTopKCategoricalAccuracy",)),
    NotDrawn("keras", "ignore_class", "checked on MeanIoU (its ignore_class variant); the other IoU classes share its "
             "confusion-matrix update (keras/src/metrics/iou_metrics.py::_IoUBase.update_state). "
             + NOT_YET + "for SparseCategoricalCrossentropy", ("IoU", "OneHotIoU", "OneHotMeanIoU",
                                                                "SparseCategoricalCrossentropy")),
    NotDrawn("keras", "label_weights", NOT_YET + "per-label weights of a multi-label AUC (the reference's "
             "multi-label AUC weighs labels equally)", ("AUC",)),
    NotDrawn("keras", "num_thresholds", "the same bucketing as AUC and PrecisionAtRecall, whose variants check other "
             "counts; here the default 200", ("RecallAtPrecision", "SensitivityAtSpecificity",
                                             "SpecificityAtSensitivity")),
    NotDrawn("keras", "sparse_y_pred", "an input format (labels or scores per class): the binding presents the one it "
             "declares, the other is the same confusion matrix after argmax", ("MeanIoU", "OneHotIoU",
                                                                                "OneHotMeanIoU")),
    NotDrawn("keras", "sparse_y_true", "an input format (labels or one-hot rows): the binding presents the one it "
             "declares", ("IoU", "MeanIoU")),
    NotDrawn("sklearn", "force_finite", NOT_YET + "force_finite=False gives NaN or -inf for constant targets, where "
             "the reference's convention is force_finite=True's (1.0 or 0.0)",
             ("explained_variance_score", "r2_score")),
    NotDrawn("sklearn", "ignore_ties", "ignore_ties=True is documented to assume no ties in y_score ('for "
             "efficiency'); " + NOT_YET + "on tie-free scores", ("dcg_score", "ndcg_score")),
    NotDrawn("sklearn", "labels", "ignored for average='binary' (the binding's), and for the multilabel confusion "
             "cells the binding picks one label's cells", ("multilabel_confusion_matrix", "precision_score",
                                                            "recall_score")),
    NotDrawn("sklearn", "max_fpr", NOT_YET + "the McClish-standardised partial AUC has no reference",
             ("roc_auc_score",)),
    NotDrawn("sklearn", "multioutput", "the specs' inputs are one output, where every multioutput mode gives the same "
             "value; R2Score[outputs=...] draws several outputs",
             ("mean_absolute_error", "mean_absolute_percentage_error", "mean_squared_error",
              "mean_pinball_loss", "mean_squared_log_error", "median_absolute_error", "root_mean_squared_error",
              "root_mean_squared_log_error")),
    NotDrawn("sklearn", "normalize", "normalize=False returns the weighted count of correct samples (or the summed "
             "loss), a sum the reference does not define; " + NOT_YET.rstrip(": "),
             ("accuracy_score", "log_loss", "top_k_accuracy_score", "zero_one_loss")),
    NotDrawn("sklearn", "pos_label", NOT_YET + "pos_label=0 is the metric of the flipped labels (ignored by "
             "averages other than 'binary'; precision_score's is the negative predictive value, "
             "NegativePredictiveValue[task=binary])", ("average_precision_score", "f1_score", "fbeta_score",
                                                       "jaccard_score")),
    NotDrawn("sklearn", "labels", "the class labels of (n, C) probability rows; the binding passes the probability of "
             "class 1 of 0/1 targets, where labels are not read", ("brier_score_loss",)),
    NotDrawn("sklearn", "pos_label", "the binding's targets are 0/1, where pos_label defaults to 1, the class whose "
             "probability y_proba holds; pos_label=0 is the score of 1 - y_proba", ("brier_score_loss",)),
    NotDrawn("sklearn", "replace_undefined_by", NOT_YET + "the value of an undefined kappa (both raters constant)",
             ("cohen_kappa_score",)),
    NotDrawn("sklearn", "samplewise", "samplewise=True returns one matrix per sample: another output",
             ("multilabel_confusion_matrix",)),
    NotDrawn("torchmetrics", "aggregation", NOT_YET + "how queries are combined (mean, median, min, max)",
             ("RetrievalNormalizedDCG",)),
    NotDrawn("torchmetrics", "empty_target_action", NOT_YET + "what a query without a relevant document gives",
             ("RetrievalNormalizedDCG",)),
    NotDrawn("torchmetrics", "ignore_index", NOT_YET + "a multilabel class ignores single target elements (and a "
             "retrieval metric documents), not whole samples; a ranking, curve or hinge metric needs both binary "
             "labels left, so its ignored label must be a padding label the domains do not draw. The classes "
             "with one label per sample draw it (catalogue.library_wide.TAKES_IGNORE_INDEX)",
             ("BinaryAUROC", "BinaryAveragePrecision", "BinaryHingeLoss",
              "BinaryPrecisionAtFixedRecall", "BinaryRecallAtFixedPrecision", "BinarySensitivityAtSpecificity",
              "BinarySpecificityAtSensitivity", "MulticlassAUROC", "MulticlassAveragePrecision",
              "MulticlassHingeLoss",
              "MultilabelAUROC", "MultilabelAccuracy", "MultilabelAveragePrecision", "MultilabelConfusionMatrix",
              "MultilabelCoverageError", "MultilabelExactMatch", "MultilabelNegativePredictiveValue",
              "MultilabelSpecificity", "MultilabelStatScores",
              "MultilabelF1Score", "MultilabelFBetaScore", "MultilabelHammingDistance", "MultilabelJaccardIndex",
              "MultilabelMatthewsCorrCoef", "MultilabelPrecision",
              "MultilabelRankingAveragePrecision", "MultilabelRankingLoss", "MultilabelRecall",
              "MultilabelRecallAtFixedPrecision", "RetrievalNormalizedDCG", "RetrievalAUROC", "RetrievalFallOut",
              "RetrievalHitRate", "RetrievalMAP", "RetrievalMRR", "RetrievalPrecision", "RetrievalRPrecision",
              "RetrievalRecall")),
    NotDrawn("torchmetrics", "ignore_index", NOT_YET + "an exact match ignores single elements (pixels, labels) "
             "whose target is the ignored value, not whole samples", ("MulticlassExactMatch",)),
    NotDrawn("torchmetrics", "multidim_average", "multidim_average='samplewise' returns one value per sample (image): "
             "another output; 'global', the default, is the share of samples matched", ("MulticlassExactMatch",)),
    NotDrawn("torchmetrics", "t_test", "t_test=True returns the p-value of a t-test beside tau: another output",
             ("KendallRankCorrCoef",)),
    NotDrawn("torchmetrics", "alternative", "the alternative hypothesis of the t-test, read only with t_test=True",
             ("KendallRankCorrCoef",)),
    NotDrawn("torchmetrics", "log_prob", "log_prob=True takes log-probabilities: another input format",
             ("JensenShannonDivergence", "KLDivergence")),
    NotDrawn("torchmetrics", "keep_sequence_dim", "one index per sequence of images: another output, over (N, T, ...) "
             "inputs the domains do not draw", ("CriticalSuccessIndex",)),
    NotDrawn("torchmetrics", "max_fpr", NOT_YET + "the McClish-standardised partial AUC has no reference",
             ("BinaryAUROC", "RetrievalAUROC")),
    NotDrawn("torchmetrics", "top_k", NOT_YET + "a query's ROC AUC over its top k documents: which documents tied at "
             "the cut enter is undocumented, and their AUC is not monotone in the choice", ("RetrievalAUROC",)),
    NotDrawn("torchmetrics", "multidim_average", NOT_YET + "it acts on (N, ..., X) inputs only, and the domains draw "
             "(N,) and (N, C)",
             ("BinaryAccuracy", "BinaryF1Score", "BinaryFBetaScore", "BinaryHammingDistance",
              "BinaryNegativePredictiveValue", "BinaryPrecision", "BinaryRecall", "BinarySpecificity",
              "BinaryStatScores", "MulticlassAccuracy", "MulticlassF1Score", "MulticlassFBetaScore",
              "MulticlassHammingDistance", "MulticlassNegativePredictiveValue", "MulticlassPrecision",
              "MulticlassRecall", "MulticlassSpecificity", "MulticlassStatScores", "MultilabelAccuracy",
              "MultilabelExactMatch", "MultilabelF1Score", "MultilabelFBetaScore", "MultilabelHammingDistance",
              "MultilabelNegativePredictiveValue", "MultilabelPrecision", "MultilabelRecall", "MultilabelSpecificity",
              "MultilabelStatScores")),
    NotDrawn("torchmetrics", "normalization", NOT_YET + "how an update's scores outside [0, 1] are mapped (sigmoid, "
             "the default, or softmax); the per-update decision is the auto-sigmoid declaration's",
             ("BinaryAveragePrecision",)),
    NotDrawn("torchmetrics", "normalize", NOT_YET + "normalize='true', 'pred' or 'all' divides the cells",
             ("BinaryConfusionMatrix", "MultilabelConfusionMatrix")),
    NotDrawn("torchmetrics", "num_outputs", NOT_YET + "several outputs need (n, k) inputs (R2Score[outputs=...] has "
             "them)", ("ConcordanceCorrCoef", "KendallRankCorrCoef", "LogCoshError", "MeanAbsoluteError",
                       "MeanSquaredError", "NormalizedRootMeanSquaredError", "PearsonCorrCoef",
                       "RelativeSquaredError", "SpearmanCorrCoef")),
    NotDrawn("torchmetrics", "squared", NOT_YET + "the squared multiclass hinge", ("MulticlassHingeLoss",)),
    NotDrawn("torchmetrics", "top_k", NOT_YET + "top_k > 1 counts a sample as predicted for every class among its "
             "k best (drawn for top-k accuracy)", ("MulticlassF1Score", "MulticlassFBetaScore",
                                                   "MulticlassHammingDistance", "MulticlassNegativePredictiveValue",
                                                   "MulticlassSpecificity", "MulticlassStatScores")),
    NotDrawn("torchmetrics", "weights", "with two classes, linear and quadratic weights equal the unweighted kappa "
             "(every disagreement weighs 1)", ("BinaryCohenKappa",)),
    NotDrawn("torchmetrics", "zero_division", NOT_YET + "the Jaccard index's value for 0 / 0 (the reference's IoU "
             "leaves such a class out of the mean or counts it as 0: absent_classes)",
             ("BinaryJaccardIndex", "MulticlassJaccardIndex", "MultilabelJaccardIndex")),
)


def not_drawn(library: str, target: str) -> dict[str, str]:
    """The reasons for ``target``'s parameters that no example draws (plumbing aside), by parameter."""
    name = target.rsplit(".", 1)[-1]
    return {entry.parameter: entry.reason for entry in NOT_DRAWN
            if entry.library == library and name in entry.targets}
