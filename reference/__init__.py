"""NumPy (float64) reference implementations of ML evaluation metrics.

Readable as a specification: each function states its conventions (threshold comparison, zero
division, tie-breaking, averaging) in its docstring. Depends on NumPy alone.
"""

from reference.classification import (
    accuracy,
    binary_accuracy,
    binary_confusion_counts,
    categorical_accuracy,
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
from reference.correlation import (
    concordance_corrcoef,
    concordance_corrcoef_rows,
    pearson_corrcoef,
    pearson_corrcoef_rows,
    spearman_corrcoef,
)
from reference.probabilistic import (
    binary_crossentropy,
    categorical_crossentropy,
    categorical_hinge,
    hinge,
    kl_divergence,
    poisson,
)
from reference.ranking import average_precision, bucketed_auc, roc_auc
from reference.regression import (
    cosine_similarity,
    explained_variance_score,
    log_cosh_error,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    mean_squared_log_error,
    mean_tweedie_deviance,
    r2_score,
    root_mean_squared_error,
    weighted_mean,
    weighted_sum,
)

__all__ = [
    "accuracy",
    "average_precision",
    "binary_accuracy",
    "binary_confusion_counts",
    "binary_crossentropy",
    "bucketed_auc",
    "categorical_accuracy",
    "categorical_crossentropy",
    "categorical_hinge",
    "concordance_corrcoef",
    "concordance_corrcoef_rows",
    "cosine_similarity",
    "explained_variance_score",
    "f1_score",
    "false_negatives",
    "false_positives",
    "fbeta_score",
    "hinge",
    "kl_divergence",
    "log_cosh_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_error",
    "mean_squared_log_error",
    "mean_tweedie_deviance",
    "pearson_corrcoef",
    "pearson_corrcoef_rows",
    "poisson",
    "precision",
    "r2_score",
    "recall",
    "roc_auc",
    "root_mean_squared_error",
    "spearman_corrcoef",
    "top_k_accuracy",
    "true_negatives",
    "true_positives",
    "weighted_mean",
    "weighted_sum",
]
