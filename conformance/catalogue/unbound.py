"""The libraries' public metric classes and functions that no spec binds, each with the reason.

``suites/test_coverage.py`` enumerates the libraries' metric modules (torchmetrics' classification, regression,
retrieval, segmentation and aggregation; ``sklearn.metrics``; ``keras.metrics``): each public class or function is
bound by a spec of the catalogue or listed here, and nothing listed here is bound. Keys are import paths.
"""

from __future__ import annotations

TASK_WRAPPER = ("a task wrapper: it builds the Binary/Multiclass/Multilabel class of its task=..., which is bound "
                "(or listed here) itself")
CURVE = "returns a curve (thresholds with rates), not one value: the catalogue's values are numbers or per-class arrays"
AT_OPERATING_POINT = ("not bound yet: an operating point per class or label (a rate at a fixed other rate, "
                      "one-vs-rest); the reference computes one label's (class_id: MultilabelRecallAtFixedPrecision "
                      "and the binary classes are bound), a spec per class or a per-class reference to be written")
NOT_A_METRIC = "a base class or a utility, not a metric"
CLUSTERING = "clustering (labels of two partitions, or data with cluster labels): outside the catalogue's domains"
PAIRWISE = "a pairwise distance or kernel between samples, not a metric of predictions"
SCORER = "scorer plumbing (builds or looks up a callable), not a metric"
EXTREMES = "keeps a running extreme or a list (Max, Min, Cat): not a mean or a sum; outside the catalogue's domains"
WINDOWED = "a moving window over the last updates (Running*): its value is by design not the whole stream's"

CALIBRATION = ("not bound yet: the binned calibration error (l1, l2 and max norms over n_bins confidence bins) needs a "
               "reference that states which bin a confidence on an edge falls in and how an empty bin counts, which "
               "the documentation leaves to the code")
EER = ("not bound yet: the equal error rate is read off the ROC curve where the false positive and false negative "
       "rates cross, between two of its points; how it is interpolated there is not documented")
LOG_AUC = ("not bound yet: the area under the ROC curve over log10 of the false positive rate in fpr_range needs the "
           "curve interpolated at the range's ends, which the documentation does not define")
D2 = ("not bound yet: the share of a deviance explained against the best constant model (the median, the alpha "
      "quantile, the mean) needs a reference of that constant per deviance; the deviances themselves are bound")
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
    **{_TM + name: CALIBRATION for name in ("BinaryCalibrationError", "MulticlassCalibrationError")},
    **{_TM + name: EER for name in ("BinaryEER", "MulticlassEER", "MultilabelEER")},
    **{_TM + name: LOG_AUC for name in ("BinaryLogAUC", "MulticlassLogAUC", "MultilabelLogAUC")},
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
    _SK + "class_likelihood_ratios": "not bound yet: returns two ratios (LR+ = sensitivity / (1 - specificity), "
    "LR- = (1 - sensitivity) / specificity) with their own rules where they are undefined (replace_undefined_by), "
    "a reference for the pair to be written",
    **{_SK + name: D2 for name in ("d2_absolute_error_score", "d2_brier_score", "d2_log_loss_score",
                                   "d2_pinball_score", "d2_tweedie_score")},
}

UNBOUND: dict[str, dict[str, str]] = {"torchmetrics": TORCHMETRICS, "sklearn": SKLEARN, "keras": {}}
