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
from reference.ranking import average_precision, bucketed_auc, roc_auc
from reference.regression import mean_absolute_error, mean_squared_error, root_mean_squared_error

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
    "f1_score",
    "false_negatives",
    "false_positives",
    "fbeta_score",
    "hamming_distance",
    "iou",
    "matthews_corrcoef",
    "mean_absolute_error",
    "mean_squared_error",
    "multilabel_confusion_matrix",
    "multilabel_iou",
    "precision",
    "recall",
    "roc_auc",
    "root_mean_squared_error",
    "specificity",
    "top_k_accuracy",
    "true_negatives",
    "true_positives",
]
