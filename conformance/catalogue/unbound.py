"""The libraries' public metric classes and functions that no spec binds, each with the reason.

``suites/test_coverage.py`` enumerates the libraries' metric modules (torchmetrics' classification, regression,
retrieval, segmentation and aggregation; ``sklearn.metrics``; ``keras.metrics``): each public class or function is
bound by a spec of the catalogue or listed here, and nothing listed here is bound. Keys are import paths.
"""

from __future__ import annotations

TASK_WRAPPER = ("a task wrapper: it builds the Binary/Multiclass/Multilabel class of its task=..., which is bound "
                "(or listed here) itself")
CURVE = "returns a curve (thresholds with rates), not one value: the catalogue's values are numbers or per-class arrays"
AT_OPERATING_POINT = ("an operating point of the torchmetrics curve (a rate at a fixed other rate): no reference yet; "
                      "Keras' PrecisionAtRecall family is bound")
NO_REFERENCE_YET = "no reference yet (the metric is in the catalogue's domains; to be written)"
NOT_A_METRIC = "a base class or a utility, not a metric"
CLUSTERING = "clustering (labels of two partitions, or data with cluster labels): outside the catalogue's domains"
PAIRWISE = "a pairwise distance or kernel between samples, not a metric of predictions"
SCORER = "scorer plumbing (builds or looks up a callable), not a metric"
EXTREMES = "keeps a running extreme or a list (Max, Min, Cat): not a mean or a sum; outside the catalogue's domains"
WINDOWED = "a moving window over the last updates (Running*): its value is by design not the whole stream's"

_TM = "torchmetrics.classification."
TORCHMETRICS: dict[str, str] = {
    **{_TM + name: TASK_WRAPPER for name in (
        "AUROC", "Accuracy", "AveragePrecision", "CalibrationError", "CohenKappa", "ConfusionMatrix", "EER",
        "ExactMatch", "F1Score", "FBetaScore", "HingeLoss", "LogAUC", "MatthewsCorrCoef", "NegativePredictiveValue",
        "Precision", "PrecisionAtFixedRecall", "PrecisionRecallCurve", "ROC", "Recall", "RecallAtFixedPrecision",
        "SensitivityAtSpecificity", "Specificity", "SpecificityAtSensitivity", "StatScores")},
    **{_TM + name: CURVE for name in (
        "BinaryPrecisionRecallCurve", "BinaryROC", "MulticlassPrecisionRecallCurve", "MulticlassROC",
        "MultilabelPrecisionRecallCurve", "MultilabelROC")},
    **{_TM + name: AT_OPERATING_POINT for name in (
        "MulticlassPrecisionAtFixedRecall", "MulticlassRecallAtFixedPrecision", "MulticlassSensitivityAtSpecificity",
        "MulticlassSpecificityAtSensitivity", "MultilabelPrecisionAtFixedRecall",
        "MultilabelSensitivityAtSpecificity", "MultilabelSpecificityAtSensitivity")},
    **{_TM + name: NO_REFERENCE_YET for name in (
        "BinaryCalibrationError", "MulticlassCalibrationError", "BinaryEER", "MulticlassEER", "MultilabelEER",
        "BinaryLogAUC", "MulticlassLogAUC", "MultilabelLogAUC")},
    _TM + "BinaryFairness": "group fairness rates need a group per sample, an input the catalogue's domains lack",
    _TM + "BinaryGroupStatRates": "group fairness rates need a group per sample, an input the catalogue's domains lack",
    "torchmetrics.regression.ContinuousRankedProbabilityScore": "takes an ensemble of predictions per sample, an "
    "input the catalogue's domains lack",
    "torchmetrics.retrieval.RetrievalPrecisionRecallCurve": CURVE,
    "torchmetrics.retrieval.RetrievalRecallAtFixedPrecision": AT_OPERATING_POINT,
    "torchmetrics.segmentation.HausdorffDistance": "a distance between mask boundaries: outside the catalogue's "
    "domains (label maps compared pixel by pixel)",
    "torchmetrics.aggregation.BaseAggregator": NOT_A_METRIC,
    "torchmetrics.aggregation.Metric": NOT_A_METRIC,
    "torchmetrics.aggregation.CatMetric": EXTREMES,
    "torchmetrics.aggregation.MaxMetric": EXTREMES,
    "torchmetrics.aggregation.MinMetric": EXTREMES,
    "torchmetrics.aggregation.Running": WINDOWED,
    "torchmetrics.aggregation.RunningMean": WINDOWED,
    "torchmetrics.aggregation.RunningSum": WINDOWED,
}

_SK = "sklearn.metrics."
SKLEARN: dict[str, str] = {
    **{_SK + name: CLUSTERING for name in (
        "adjusted_mutual_info_score", "adjusted_rand_score", "calinski_harabasz_score", "completeness_score",
        "consensus_score", "davies_bouldin_score", "fowlkes_mallows_score", "homogeneity_completeness_v_measure",
        "homogeneity_score", "mutual_info_score", "normalized_mutual_info_score", "pair_confusion_matrix",
        "rand_score", "silhouette_samples", "silhouette_score", "v_measure_score")},
    **{_SK + name: PAIRWISE for name in (
        "euclidean_distances", "nan_euclidean_distances", "pairwise_distances", "pairwise_distances_argmin",
        "pairwise_distances_argmin_min", "pairwise_distances_chunked", "pairwise_kernels")},
    **{_SK + name: SCORER for name in ("check_scoring", "get_scorer", "get_scorer_names", "make_scorer",
                                       "metric_at_thresholds")},
    **{_SK + name: CURVE for name in ("det_curve", "precision_recall_curve", "roc_curve",
                                      "confusion_matrix_at_thresholds")},
    _SK + "auc": "the area under given (x, y) points, not a metric of predictions (roc_auc_score is bound)",
    _SK + "classification_report": "a text or dict report of precision, recall and F1, each of which is bound",
    _SK + "precision_recall_fscore_support": "returns precision, recall, F-beta and support together; each is bound "
    "through its own function (precision_score, recall_score, fbeta_score)",
    _SK + "class_likelihood_ratios": NO_REFERENCE_YET,
    **{_SK + name: NO_REFERENCE_YET for name in ("d2_absolute_error_score", "d2_brier_score", "d2_log_loss_score",
                                                 "d2_pinball_score", "d2_tweedie_score")},
}

UNBOUND: dict[str, dict[str, str]] = {"torchmetrics": TORCHMETRICS, "sklearn": SKLEARN, "keras": {}}
