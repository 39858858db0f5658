"""NumPy (float64) reference implementations of ML evaluation metrics.

Readable as a specification: each function states its conventions (threshold comparison, zero
division, tie-breaking, averaging) in its docstring. Depends on NumPy alone.
"""

from reference.classification import (
    accuracy,
    binary_accuracy,
    binary_confusion_counts,
    categorical_accuracy,
    confusion_counts,
    f1_score,
    false_negatives,
    false_positives,
    fbeta_score,
    precision,
    recall,
    top_k_accuracy,
    true_negatives,
    true_positives,
)
from reference.confusion import (
    cohen_kappa,
    confusion_matrix,
    hamming_distance,
    iou,
    matthews_corrcoef,
    multilabel_confusion_matrix,
    multilabel_iou,
    specificity,
)
from reference.multilabel_ranking import coverage_error, label_ranking_average_precision, label_ranking_loss
from reference.ranking import (
    average_precision,
    bucketed_auc,
    multiclass_average_precision,
    multiclass_roc_auc,
    multilabel_average_precision,
    multilabel_roc_auc,
    precision_at_recall,
    recall_at_precision,
    roc_auc,
    sensitivity_at_specificity,
    specificity_at_sensitivity,
)
from reference.regression import mean_absolute_error, mean_squared_error, root_mean_squared_error
from reference.retrieval import ndcg

__all__ = [
    "accuracy",
    "average_precision",
    "binary_accuracy",
    "binary_confusion_counts",
    "bucketed_auc",
    "categorical_accuracy",
    "cohen_kappa",
    "confusion_counts",
    "confusion_matrix",
    "coverage_error",
    "f1_score",
    "false_negatives",
    "false_positives",
    "fbeta_score",
    "hamming_distance",
    "iou",
    "label_ranking_average_precision",
    "label_ranking_loss",
    "matthews_corrcoef",
    "mean_absolute_error",
    "mean_squared_error",
    "multiclass_average_precision",
    "multiclass_roc_auc",
    "multilabel_average_precision",
    "multilabel_confusion_matrix",
    "multilabel_iou",
    "multilabel_roc_auc",
    "ndcg",
    "precision",
    "precision_at_recall",
    "recall",
    "recall_at_precision",
    "roc_auc",
    "root_mean_squared_error",
    "sensitivity_at_specificity",
    "specificity",
    "specificity_at_sensitivity",
    "top_k_accuracy",
    "true_negatives",
    "true_positives",
]
