"""What the libraries do with bad inputs (the ``bad_inputs`` property, conformance/bad_inputs.py), declared once per
mechanism and added to each metric whose binding's target starts with one of its prefixes.

A number where the definition gives none hides the bad input; where a library gives one anyway, the mechanism is
declared here, scoped to the kinds of bad input it acts on (its trigger: the kind's presence in the batches) and to
the ``bad_inputs`` property, with its cause in the library's code or docs and a witness (the bad input, then the
same data without it). Its convention is the *reading* the library makes of the bad value (a NaN score read as the
lowest one, a label outside [0, C) counted as a miss, a single target broadcast against two predictions), so a value
is explained only where that reading gives it; where the library evaluates its formula on the invalid value itself
(a loss of a target 2, a count weighted by a label), no reference defines that number and the declaration says so:
``ANY_VALUE``, any value, still only where the kind is present.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from conformance.bad_input_kinds import label_count, present
from conformance.catalogue.classification import TORCHMETRICS_SIGMOID_SIDES
from conformance.catalogue.model import EVERY_PROPERTY, KnownDifference, Witness, batch
from conformance.data import Batch

FLOAT32_MAX = float(np.finfo(np.float32).max)
SIDES = ({"side": -1.0}, {"side": 1.0})


def any_value(y_true: Any, y_pred: Any, *, sample_weight: Any = None, side: float = 0.0, **params: Any) -> float:
    """The bounds of a value no reference defines (the library's formula on an invalid value): -inf and +inf."""
    return side * np.inf


any_value.unbounded = True  # no samples to drop first (with_ignore_index leaves it as it is)


def _present(kinds: tuple[str, ...]) -> Callable[[list[Batch]], bool]:
    """The trigger: one of these kinds of bad input is in the batches."""
    tests = [present(kind) for kind in kinds]

    def holds(batches: list[Batch]) -> bool:
        return any(test(batches) for test in tests)
    holds.__name__ = f"holds {' or '.join(kinds)}"
    return holds


def bad_input(library: str, kinds: str | tuple[str, ...], *, what: str, cause: str, where: str, witness: Witness,
              reading: Callable[[Batch], Batch] | tuple[Callable[[Batch], Batch], ...] | None = None,
              kind: str = "defect") -> KnownDifference:
    """A declaration of what ``library`` makes of the bad inputs ``kinds``: the value ``reading`` gives (the batches
    as the library reads them), or any value (``reading`` None: its formula on the invalid value)."""
    kinds = (kinds,) if isinstance(kinds, str) else kinds
    return KnownDifference(library, what=what, cause=cause, where=where, properties=("bad_inputs",),
                           trigger=_present(kinds), per_batch=reading,
                           reference=None if reading is not None else any_value,
                           bounds=None if reading is not None else SIDES, kind=kind, witness=witness)


# -- readings: a bad value as a library reads it ------------------------------------------------------------------

def nan_scores_as(value: float) -> Callable[[Batch], Batch]:
    """Each NaN score read as ``value``."""
    def read(b: Batch) -> Batch:
        if b.y_pred.dtype.kind != "f" or not np.isnan(b.y_pred).any():
            return b
        return replace(b, y_pred=np.where(np.isnan(b.y_pred), b.y_pred.dtype.type(value), b.y_pred))
    return read


def nan_values_as(value: float) -> Callable[[Batch], Batch]:
    """Each NaN target and prediction read as ``value``."""
    def read(b: Batch) -> Batch:
        def filled(a: np.ndarray) -> np.ndarray:
            return np.where(np.isnan(a), a.dtype.type(value), a) if a.dtype.kind == "f" else a
        return replace(b, y_true=filled(b.y_true), y_pred=filled(b.y_pred))
    return read


def nan_samples_dropped(b: Batch) -> Batch:
    """The samples with a NaN score left out."""
    if b.y_pred.dtype.kind != "f":
        return b
    keep = ~np.isnan(b.y_pred.reshape(len(b), -1)).any(axis=1)
    return b if keep.all() else b.take(keep)


def then(first: Callable[[Batch], Batch], second: Callable[[Batch], Batch]) -> Callable[[Batch], Batch]:
    return lambda b: second(first(b))


def labels_as_miss(b: Batch) -> Batch:
    """A label outside [0, C) equals no prediction: a miss, read as one more class C that nothing predicts (a row
    of scores gains a column below every score), so that it is neither an ignored label nor a class averaged."""
    classes = label_count(b)
    bad = (b.y_true < 0) | (b.y_true >= classes)
    y_pred = b.y_pred
    if y_pred.ndim == 2 and b.y_true.ndim == 1:  # every batch: the stream's rows stay one width
        y_pred = np.concatenate([y_pred, np.full((len(b), 1), -FLOAT32_MAX, y_pred.dtype)], axis=1)
    return replace(b, y_true=np.where(bad, classes, b.y_true).astype(b.y_true.dtype), y_pred=y_pred,
                   num_classes=classes + 1 if b.num_classes else b.num_classes)


def single_target_broadcast(b: Batch) -> Batch:
    """One target against two predictions broadcast: the target (and its weight) paired with each prediction."""
    if len(b.y_true) != 1 or len(b.y_pred) == 1:
        return b
    n = len(b.y_pred)
    weights = None if b.sample_weight is None else np.repeat(b.sample_weight, n)
    return replace(b, y_true=np.repeat(b.y_true, n, axis=0), sample_weight=weights)


def softmax_if_logits(b: Batch) -> Batch:
    """torchmetrics' multiclass rule: a batch with a score outside [0, 1] is logits; each row through a softmax."""
    scores = b.y_pred.astype(np.float64)
    if not scores.size or not ((scores < 0) | (scores > 1)).any():
        return b
    exp = np.exp(scores - scores.max(axis=1, keepdims=True))
    return replace(b, y_pred=(exp / exp.sum(axis=1, keepdims=True)).astype(np.float32))


def infinities_clipped(b: Batch) -> Batch:
    """±inf read as the largest float32 of that sign (ranks: an infinite value is the largest)."""
    def clipped(a: np.ndarray) -> np.ndarray:
        return np.clip(a, -FLOAT32_MAX, FLOAT32_MAX).astype(a.dtype) if a.dtype.kind == "f" else a
    return replace(b, y_true=clipped(b.y_true), y_pred=clipped(b.y_pred))


def constant_targets(batches: list[Batch]) -> bool:
    """The targets of an output holding a NaN or infinite prediction are all equal (no variance to explain)."""
    kept = [b for b in batches if len(b)]
    targets = np.concatenate([np.asarray(b.y_true, np.float64).reshape(len(b), -1) for b in kept])
    predictions = np.concatenate([np.asarray(b.y_pred, np.float64).reshape(len(b), -1) for b in kept])
    bad = ~np.isfinite(predictions).all(axis=0)
    return bool(bad.any()) and bool(np.all(np.ptp(targets[:, bad], axis=0) == 0))


def both(first: Callable[[list[Batch]], bool], second: Callable[[list[Batch]], bool]) -> Callable[..., bool]:
    return lambda batches: first(batches) and second(batches)


NAN = float("nan")
INF = float("inf")

# -- torchmetrics ------------------------------------------------------------------------------------------------
TM = "torchmetrics.classification."
TM_THRESHOLDED = (f"{TM}BinaryAccuracy", f"{TM}BinaryStatScores", f"{TM}BinaryPrecision", f"{TM}BinaryRecall",
                  f"{TM}BinarySpecificity", f"{TM}BinaryJaccardIndex", f"{TM}BinaryConfusionMatrix",
                  f"{TM}BinaryHammingDistance", f"{TM}BinaryMatthewsCorrCoef", f"{TM}BinaryCohenKappa",
                  f"{TM}MultilabelPrecision", f"{TM}MultilabelRecall", f"{TM}MultilabelF1Score",
                  f"{TM}MultilabelFBetaScore", f"{TM}MultilabelConfusionMatrix", f"{TM}MultilabelMatthewsCorrCoef",
                  f"{TM}MultilabelHammingDistance", f"{TM}MultilabelJaccardIndex", f"{TM}MultilabelCohenKappa",
                  f"{TM}BinaryNegativePredictiveValue", f"{TM}BinaryF1Score", f"{TM}BinaryFBetaScore",
                  f"{TM}MultilabelAccuracy", f"{TM}MultilabelSpecificity",
                  f"{TM}MultilabelNegativePredictiveValue", f"{TM}MultilabelStatScores", f"{TM}MultilabelExactMatch",
                  "torchmetrics.JaccardIndex", "torchmetrics.HammingDistance")
TM_ARGMAX = (f"{TM}MulticlassAccuracy", f"{TM}MulticlassPrecision", f"{TM}MulticlassRecall",
             f"{TM}MulticlassF1Score", f"{TM}MulticlassFBetaScore", f"{TM}MulticlassSpecificity",
             f"{TM}MulticlassJaccardIndex", f"{TM}MulticlassConfusionMatrix", f"{TM}MulticlassHammingDistance",
             f"{TM}MulticlassMatthewsCorrCoef", f"{TM}MulticlassCohenKappa", f"{TM}MulticlassExactMatch")
# ... and those that also count true negatives, over the C classes only (a label outside them is no class at all)
TM_ARGMAX_NEGATIVES = (f"{TM}MulticlassNegativePredictiveValue", f"{TM}MulticlassStatScores")
TM_STAT_SCORES = "torchmetrics/functional/classification/stat_scores.py"

BINARY_NAN = batch([0, 1, 1, 0], [NAN, 0.3, 0.7, 0.2])
BINARY_CLEAN = batch([0, 1, 1, 0], [0.1, 0.3, 0.7, 0.2])
ROWS_NAN = batch([0, 2, 1], [[0.2, NAN, 0.3], [0.1, 0.2, 0.7], [0.3, 0.5, 0.2]], num_classes=3)
ROWS_CLEAN = batch([0, 2, 1], [[0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.3, 0.5, 0.2]], num_classes=3)
LABEL_3 = batch([3, 2, 1], [[0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.3, 0.5, 0.2]], num_classes=3)

TORCHMETRICS: tuple[tuple[tuple[str, ...], KnownDifference], ...] = (
    (TM_THRESHOLDED, bad_input(
        "torchmetrics", "NaN in y_pred",
        what="torchmetrics counts a NaN score as a negative, and the update's other scores go through a sigmoid: "
             "the NaN fails the check that the scores lie in [0, 1], so the batch is read as logits, and NaN > "
             "threshold is False.",
        cause="_binary_stat_scores_format (and the multilabel one) applies preds.sigmoid() when not torch.all((preds "
              ">= 0) * (preds <= 1)), which a NaN fails, then thresholds with preds > threshold; the tensor "
              "validation checks shapes and target values, never NaN scores.",
        where=f"{TM_STAT_SCORES}::_binary_stat_scores_format, _multilabel_stat_scores_format",
        reading=tuple(then(nan_scores_as(-FLOAT32_MAX), side) for side in TORCHMETRICS_SIGMOID_SIDES),
        witness=Witness(inside=(BINARY_NAN,), outside=(BINARY_CLEAN,), metric="BinaryAccuracy"))),
    (TM_ARGMAX + TM_ARGMAX_NEGATIVES, bad_input(
        "torchmetrics", "NaN in y_pred",
        what="torchmetrics predicts the class of a NaN score: argmax (and top-k) take NaN as the largest score.",
        cause="_multiclass_stat_scores_format applies preds.argmax(dim=1) (select_topk for top_k > 1) to the float "
              "scores with no NaN check; torch.argmax and torch.topk order NaN above every number.",
        where=f"{TM_STAT_SCORES}::_multiclass_stat_scores_format",
        reading=nan_scores_as(FLOAT32_MAX),
        witness=Witness(inside=(ROWS_NAN,), outside=(ROWS_CLEAN,), metric="CategoricalAccuracy"))),
    (TM_ARGMAX, bad_input(
        "torchmetrics", ("label C", "label -1"),
        what="torchmetrics counts a label outside [0, C) as a miss where its statistics are micro-averaged "
             "(Accuracy, micro F1, Hamming distance): its check counts the distinct target values, not their range.",
        cause="_multiclass_stat_scores_tensor_validation documents 'all values in target tensor that are not ignored "
              "have to be {0, ..., num_classes - 1}' but raises only when len(torch.unique(target)) > num_classes; "
              "the micro branch of _multiclass_stat_scores_update then counts preds == target, which no prediction "
              "of a label C or -1 meets. (The macro branch's bincount raises on it.)",
        where=f"{TM_STAT_SCORES}::_multiclass_stat_scores_tensor_validation, _multiclass_stat_scores_update",
        reading=labels_as_miss,
        witness=Witness(inside=(LABEL_3,), outside=(ROWS_CLEAN,), metric="CategoricalAccuracy"))),
    (TM_ARGMAX_NEGATIVES, bad_input(
        "torchmetrics", ("label C", "label -1"),
        what="torchmetrics counts a label outside [0, C) in its per-class statistics though it is no class: a miss "
             "(a false positive of the class predicted, a false negative) whose true negatives are still counted "
             "over the C classes, so no reading of the label as a class or as a dropped sample gives the value.",
        cause="_multiclass_stat_scores_tensor_validation raises only when len(torch.unique(target)) > num_classes "
              "(not on the range its docs require); _multiclass_stat_scores_update then counts tp, fp, fn against "
              "the label and tn as num_classes * N minus the others (micro), or over a one-hot of the clamped "
              "label (macro).",
        where=f"{TM_STAT_SCORES}::_multiclass_stat_scores_tensor_validation, _multiclass_stat_scores_update",
        witness=Witness(inside=(LABEL_3,), outside=(ROWS_CLEAN,), metric="StatScores[task=multiclass]"))),
    (TM_ARGMAX + TM_ARGMAX_NEGATIVES, bad_input(
        "torchmetrics", "length mismatch",
        what="torchmetrics broadcasts a single target against two rows of scores: its check compares every "
             "dimension but the first, and the sample is counted once per prediction.",
        cause="_multiclass_stat_scores_tensor_validation compares preds.shape[2:] with target.shape[1:] (never the "
              "number of samples); the update's elementwise target * num_classes + preds (or preds == target) "
              "broadcasts a (1,) target against (2,) predictions (n > 1 targets raise there).",
        where=f"{TM_STAT_SCORES}::_multiclass_stat_scores_tensor_validation, _multiclass_stat_scores_update",
        reading=single_target_broadcast,
        witness=Witness(inside=(batch([2], [[0.1, 0.2, 0.7], [0.1, 0.2, 0.7]], num_classes=3),),
                        outside=(batch([2, 2], [[0.1, 0.2, 0.7], [0.1, 0.2, 0.7]], num_classes=3),),
                        metric="CategoricalAccuracy"))),
)



def mean_values_unweighted(values: Any, sample_weight: Any, nan_strategy: Any) -> float:
    """The aggregation's mean with every weight 1 where nan_strategy is 'disable' (torchmetrics#3434), else the
    reference's weighted one."""
    from conformance.catalogue.reduction import mean_of_values

    weights = None if nan_strategy == "disable" else sample_weight
    return mean_of_values(values, values, sample_weight=weights, nan_strategy=nan_strategy)


def mean_imputed_with_weight_one(y_true: Any, y_pred: Any, *, sample_weight: Any = None,
                                 nan_strategy: Any = None) -> float:
    """torchmetrics' float nan_strategy as it computes it: a sample whose value or weight is NaN becomes the float,
    with weight 1; any other strategy as the reference computes it (so the convention differs only for a float)."""
    from conformance.catalogue.reduction import mean_of_values

    if not isinstance(nan_strategy, float):
        return mean_of_values(y_true, y_pred, sample_weight=sample_weight, nan_strategy=nan_strategy)
    values = np.asarray(y_true, np.float64)
    weights = np.ones(len(values)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    bad = np.isnan(values) | np.isnan(weights)
    return mean_of_values(np.where(bad, nan_strategy, values), y_pred, sample_weight=np.where(bad, 1.0, weights))


def labels_dropped(b: Batch) -> Batch:
    """The samples whose label is outside [0, C) left out."""
    classes = label_count(b)
    keep = (b.y_true >= 0) & (b.y_true < classes)
    return b if keep.all() else b.take(keep)


# -- scikit-learn ------------------------------------------------------------------------------------------------
SK = "sklearn.metrics."
SK_CLASSIFICATION = "sklearn/metrics/_classification.py"
SCORE_ROWS = [[0.2, 0.5, 0.3], [0.8, 0.1, 0.1], [0.1, 0.2, 0.7], [0.1, 0.1, 0.8]]
LABELS_3 = batch([3, 0, 1, 2], SCORE_ROWS, num_classes=3)
LABELS_CLEAN = batch([1, 0, 1, 2], SCORE_ROWS, num_classes=3)

SKLEARN: tuple[tuple[tuple[str, ...], KnownDifference], ...] = (
    ((f"{SK}confusion_matrix", f"{SK}cohen_kappa_score"), bad_input(
        "sklearn", ("label C", "label -1"), kind="convention",
        what="scikit-learn's confusion matrix given labels= leaves out the samples whose label is not among them "
             "(a label C or -1 when labels=[0, ..., C - 1]); Cohen's kappa, built on it, too.",
        cause="Documented: labels 'may be used to reorder or select a subset of labels'; the code maps labels to "
              "indices and keeps np.logical_and(y_pred < n_labels, y_true < n_labels) ('eliminate items not in "
              "labels', their weights too).",
        where=f"{SK_CLASSIFICATION}::confusion_matrix; "
              "https://scikit-learn.org/stable/modules/generated/sklearn.metrics.confusion_matrix.html",
        reading=labels_dropped,
        witness=Witness(inside=(LABELS_3,), outside=(LABELS_CLEAN,), metric="ConfusionMatrix[task=multiclass]"))),
    ((f"{SK}f1_score", f"{SK}fbeta_score", f"{SK}jaccard_score", f"{SK}precision_score", f"{SK}recall_score"),
     bad_input(
        "sklearn", ("label C", "label -1"), kind="convention",
        what="scikit-learn's F-scores and Jaccard index given labels= leave a label outside them out of the average "
             "(documented): a sample of label C or -1 is a false negative of a class nobody averages, and a false "
             "positive of the class predicted.",
        cause="Documented: labels is 'the set of labels to include when average != \'binary\' ... Labels present "
              "in the data can be excluded, for example in multiclass classification to exclude a \'negative "
              "class\''; the statistics are computed per label over multilabel_confusion_matrix(labels=...).",
        where=f"{SK_CLASSIFICATION}::precision_recall_fscore_support, multilabel_confusion_matrix; "
              "https://scikit-learn.org/stable/modules/generated/sklearn.metrics.f1_score.html",
        witness=Witness(inside=(batch([3, 0, 1, 2], [[0.2, 0.5, 0.3], [0.8, 0.1, 0.1], [0.1, 0.8, 0.1],
                                                     [0.1, 0.1, 0.8]], num_classes=3),),
                        outside=(batch([1, 0, 1, 2], [[0.2, 0.5, 0.3], [0.8, 0.1, 0.1], [0.1, 0.8, 0.1],
                                                      [0.1, 0.1, 0.8]], num_classes=3),),
                        metric="F1Score[average=macro]"))),
)

TM_CURVES = (f"{TM}BinaryAUROC", f"{TM}BinaryAveragePrecision", f"{TM}BinaryPrecisionAtFixedRecall",
             f"{TM}BinaryRecallAtFixedPrecision", f"{TM}BinarySensitivityAtSpecificity",
             f"{TM}BinarySpecificityAtSensitivity", f"{TM}MultilabelAUROC", f"{TM}MultilabelAveragePrecision",
             f"{TM}MultilabelRecallAtFixedPrecision", f"{TM}MulticlassAUROC", f"{TM}MulticlassAveragePrecision",
             f"{TM}MultilabelCoverageError", f"{TM}MultilabelRankingLoss", f"{TM}MultilabelRankingAveragePrecision",
             *(f"torchmetrics.retrieval.{name}" for name in (
                 "RetrievalNormalizedDCG", "RetrievalAUROC", "RetrievalFallOut", "RetrievalHitRate", "RetrievalMAP",
                 "RetrievalMRR", "RetrievalPrecision", "RetrievalRPrecision", "RetrievalRecall")))
TM_CURVE_SOURCE = "torchmetrics/functional/classification/precision_recall_curve.py"
RANKED_NAN = batch([0, 1, 1, 0], [0.4, NAN, 0.7, 0.2])
RANKED_CLEAN = batch([0, 1, 1, 0], [0.4, 0.9, 0.7, 0.2])
MEAN_VALUES = batch([1.0, 2.0, 4.0], [0.0, 0.0, 0.0], [1.0, 3.0, 1.0])
TR = "torchmetrics.retrieval."
TR_SOURCE = "torchmetrics/functional/retrieval"
# One query of three documents, the first scored NaN (a non-relevant one in AUROC's, a relevant one in recall's).
QUERY_NAN_NEGATIVE = batch([[0, 1, 1, 0]], [[NAN, 0.2, 0.7, 0.4]])
QUERY_NAN_RELEVANT = batch([[1, 0, 1]], [[NAN, 0.5, 0.2]])

TORCHMETRICS_MORE: tuple[tuple[tuple[str, ...], KnownDifference], ...] = (
    (TM_CURVES, bad_input(
        "torchmetrics", "NaN in y_pred",
        what="torchmetrics ranks a NaN score: curves, ranking and retrieval metrics sort the scores with no NaN "
             "check (torch.sort and torch.argsort order NaN above every number; a NaN also fails the [0, 1] check, "
             "so the update's scores go through a sigmoid or softmax).",
        cause="The tensor validation of the curve metrics checks shapes, dtypes and target values, not NaN scores; "
              "_binary_clf_curve sorts with torch.sort(preds, descending=True), the multilabel ranking metrics and "
              "the retrieval metrics (whose _check_retrieval_inputs checks shapes, dtypes and binary targets) sort, "
              "argsort or topk the scores the same way.",
        where=f"{TM_CURVE_SOURCE}::_binary_clf_curve, _binary_precision_recall_curve_format; "
              "torchmetrics/functional/classification/ranking.py; torchmetrics/functional/retrieval/*.py; "
              "torchmetrics/utilities/checks.py::_check_retrieval_inputs",
        witness=Witness(inside=(RANKED_NAN,), outside=(RANKED_CLEAN,), metric="AUC"))),
    ((f"{TR}RetrievalAUROC", f"{TR}RetrievalHitRate", f"{TR}RetrievalFallOut", f"{TR}RetrievalRPrecision"),
     bad_input(
        "torchmetrics", "NaN in y_pred",
        what="torchmetrics' retrieval AUROC, hit rate, fall-out and R-precision rank a document scored NaN first, "
             "as the highest score, with no NaN check: RetrievalAUROC of relevance [0, 1, 1, 0] scored "
             "[NaN, 0.2, 0.7, 0.4] is 0.25, the value with the NaN read as 1.",
        cause="_check_retrieval_inputs checks shapes, dtypes and the target's values, not NaN scores; the functional "
              "metrics rank with preds.topk(...) or torch.argsort(preds, descending=True), which order NaN above "
              "every number (retrieval_auroc then passes the top-k scores to binary_auroc, whose sort does the same).",
        where=f"torchmetrics/utilities/checks.py::_check_retrieval_inputs; {TR_SOURCE}/auroc.py::retrieval_auroc, "
              "hit_rate.py, fall_out.py, r_precision.py",
        reading=nan_scores_as(FLOAT32_MAX),
        witness=Witness(inside=(QUERY_NAN_NEGATIVE,), outside=(batch([[0, 1, 1, 0]], [[0.9, 0.2, 0.7, 0.4]]),),
                        metric="RetrievalAUROC"))),
    ((f"{TR}RetrievalMAP", f"{TR}RetrievalMRR", f"{TR}RetrievalPrecision", f"{TR}RetrievalRecall"), bad_input(
        "torchmetrics", "NaN in y_pred",
        what="torchmetrics' retrieval MAP, MRR, precision and recall rank a document scored NaN first and count "
             "it not relevant (NaN > 0 is False), though the query's relevant count still includes it: "
             "RetrievalRecall of relevance [1, 0, 1] scored [NaN, 0.5, 0.2] is 0.5, a number no reading of one "
             "score gives (ranked first yet discarded as a score <= 0).",
        cause="_check_retrieval_inputs checks no NaN; the functional metrics set target_filtered = "
              "torch.where(preds > 0, target, 0), false for NaN, rank with torch.argsort(preds, descending=True) or "
              "preds.topk, which order NaN first, and divide by the unfiltered target.sum().",
        where=f"torchmetrics/utilities/checks.py::_check_retrieval_inputs; {TR_SOURCE}/recall.py::retrieval_recall, "
              "precision.py, average_precision.py, reciprocal_rank.py",
        witness=Witness(inside=(QUERY_NAN_RELEVANT,), outside=(batch([[1, 0, 1]], [[0.9, 0.5, 0.2]]),),
                        metric="RetrievalRecall"))),
    ((f"{TM}BinaryAUROC",), bad_input(
        "torchmetrics", ("label C", "label -1"),
        what="torchmetrics' BinaryAUROC never checks its inputs: a target 2 or -1 weighs the curve (the counts sum "
             "the targets), where BinaryAveragePrecision, sharing its base class, raises.",
        cause="BinaryAUROC.__init__ calls super().__init__(..., validate_args=False) and validates its arguments "
              "itself, but never sets self.validate_args, so BinaryPrecisionRecallCurve.update skips "
              "_binary_precision_recall_curve_tensor_validation (the check 'all values in target tensor that are not "
              "ignored have to be in {0, 1}'); _binary_clf_curve then sums target * weight as true positives.",
        where="torchmetrics/classification/auroc.py::BinaryAUROC.__init__; "
              f"{TM_CURVE_SOURCE}::BinaryPrecisionRecallCurve.update, _binary_clf_curve",
        witness=Witness(inside=(batch([0, 2, 1, 0], [0.4, 0.9, 0.7, 0.2]),), outside=(RANKED_CLEAN,),
                        metric="AUC"))),
    ((f"{TM}BinaryAUROC",), bad_input(
        "torchmetrics", "length mismatch",
        what="torchmetrics' BinaryAUROC with a binned curve (thresholds given) broadcasts a single target against "
             "two scores: its shape check is skipped (validate_args never set), and the sample is counted once per "
             "score. BinaryAUROC(thresholds=5) of scores [0.2, 0.6] with the target [1] and a batch [0] scored 0.4 is "
             "the area of targets [1, 1, 0], 0.5, where BinaryAveragePrecision raises. (The exact curve raises "
             "IndexError indexing the target by the scores' order.)",
        cause="BinaryAUROC.__init__ calls super().__init__(..., validate_args=False) and never sets "
              "self.validate_args, so BinaryPrecisionRecallCurve.update skips "
              "_binary_precision_recall_curve_tensor_validation (its _check_same_shape(preds, target)); the binned "
              "update's (preds.unsqueeze(-1) >= thresholds) + 2 * target.unsqueeze(-1) broadcasts a (1,) target "
              "against (2,) scores (n > 1 targets raise there).",
        where="torchmetrics/classification/auroc.py::BinaryAUROC.__init__; "
              f"{TM_CURVE_SOURCE}::BinaryPrecisionRecallCurve.update, _binary_precision_recall_curve_update",
        reading=single_target_broadcast,
        witness=Witness(inside=(batch([1], [0.2, 0.6]), batch([0], [0.4])),
                        outside=(batch([1, 1], [0.2, 0.6]), batch([0], [0.4])), parameters={"thresholds": 5},
                        metric="AUC"))),
    ((f"{TM}MulticlassAUROC", f"{TM}MulticlassAveragePrecision", f"{TM}MulticlassAccuracy",
      f"{TM}MulticlassPrecision", f"{TM}MulticlassRecall"), bad_input(
        "torchmetrics", ("label C", "label -1"),
        what="torchmetrics' multiclass curves and top-k statistics take a label outside [0, C) as a negative of "
             "every class (no class equals it): its check counts the distinct target values, not their range.",
        cause="_multiclass_precision_recall_curve_tensor_validation and _multiclass_stat_scores_tensor_validation "
              "raise only when there are more distinct target values than classes; the curves are then computed "
              "per class over target == i, and the top-k path compares the top-k indices with the target.",
        where=f"{TM_CURVE_SOURCE}::_multiclass_precision_recall_curve_tensor_validation; "
              f"{TM_STAT_SCORES}::_multiclass_stat_scores_tensor_validation, _refine_preds_oh",
        witness=Witness(inside=(batch([3, 2, 1], [[0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.3, 0.5, 0.2]],
                                      num_classes=3),),
                        outside=(batch([0, 2, 1], [[0.2, 0.5, 0.3], [0.1, 0.2, 0.7], [0.3, 0.5, 0.2]],
                                       num_classes=3),),
                        metric="AUROC[task=multiclass]"))),
    ((f"{TM}MulticlassAUROC", f"{TM}MulticlassAveragePrecision"), bad_input(
        "torchmetrics", ("probability > 1", "probability < 0"), kind="convention",
        what="torchmetrics reads an update's scores as logits when one lies outside [0, 1] and applies a softmax "
             "to each row (documented), so a probability of 1.5 or -0.5 is a logit.",
        cause="Documented: 'If preds has values outside [0,1] range we consider the input to be logits and will "
              "auto apply softmax per sample' (normalize_logits_if_needed(preds, 'softmax')).",
        where=f"{TM_CURVE_SOURCE}::_multiclass_precision_recall_curve_format; "
              "https://lightning.ai/docs/torchmetrics/stable/classification/auroc.html#multiclassauroc",
        reading=softmax_if_logits,
        witness=Witness(inside=(batch([0, 2, 1, 0], [[1.5, 0.0, 0.0], [0.1, 0.2, 0.7], [0.3, 0.5, 0.2],
                                                     [0.5, 0.2, 0.3]], num_classes=3),),
                        outside=(batch([0, 2, 1, 0], [[1.0, 0.0, 0.0], [0.1, 0.2, 0.7], [0.3, 0.5, 0.2],
                                                      [0.5, 0.2, 0.3]], num_classes=3),),
                        metric="AUROC[task=multiclass]"))),
    (("torchmetrics.regression.KLDivergence", "torchmetrics.regression.JensenShannonDivergence"), bad_input(
        "torchmetrics", ("probability > 1", "probability < 0"),
        what="torchmetrics' KLDivergence and JensenShannonDivergence do not check that their inputs are "
             "probabilities: they divide each row by its sum and evaluate the divergence on whatever they get.",
        cause="_kld_update and _jsd_update normalise p and q (p / p.sum(axis=-1)) 'to make sure the distributes "
              "sum to 1' and evaluate the logarithms with no check of the values' range.",
        where="torchmetrics/functional/regression/kl_divergence.py::_kld_update; "
              "torchmetrics/functional/regression/js_divergence.py::_jsd_update",
        witness=Witness(inside=(batch([[0.5, 0.5], [0.2, 0.8]], [[1.5, 0.5], [0.3, 0.7]]),),
                        outside=(batch([[0.5, 0.5], [0.2, 0.8]], [[0.5, 0.5], [0.3, 0.7]]),),
                        metric="KLDivergence"))),
    (("torchmetrics.regression.SpearmanCorrCoef", "torchmetrics.regression.KendallRankCorrCoef"), bad_input(
        "torchmetrics", ("+inf in y_pred", "-inf in y_pred", "+inf in y_true", "-inf in y_true"), kind="convention",
        what="torchmetrics' SpearmanCorrCoef and KendallRankCorrCoef order an infinite value as the largest (or "
             "smallest): a rank correlation is defined on the order, which an infinity keeps.",
        cause="_spearman_corrcoef_compute ranks preds and target (_rank_data: torch.sort) before the Pearson "
              "correlation of the ranks; _kendall_corrcoef_update sorts on preds and counts concordant and "
              "discordant pairs with < and >; an infinity sorts last (or first) and compares as the extreme.",
        where="torchmetrics/functional/regression/spearman.py::_rank_data, _spearman_corrcoef_compute; "
              "torchmetrics/functional/regression/kendall.py::_count_concordant_pairs, _count_discordant_pairs",
        reading=infinities_clipped,
        witness=Witness(inside=(batch([1.0, 2.0, 3.0, 0.5], [0.5, INF, 2.0, 0.1]),),
                        outside=(batch([1.0, 2.0, 3.0, 0.5], [0.5, 9.0, 2.0, 0.1]),),
                        metric="SpearmanCorrCoef"))),
    (("torchmetrics.regression.KendallRankCorrCoef",), bad_input(
        "torchmetrics", ("NaN in y_pred", "NaN in y_true"),
        what="torchmetrics' KendallRankCorrCoef counts a pair holding a NaN as neither concordant nor discordant nor "
             "tied (every comparison with NaN is False), with no NaN check: tau of [1, 2, 3] against [NaN, 2, 3] is a "
             "number.",
        cause="_count_concordant_pairs and _count_discordant_pairs compare with < and >, False for NaN; the ties are "
              "counted from the sorted values, where NaN sorts last; nothing checks for NaN.",
        where="torchmetrics/functional/regression/kendall.py::_count_concordant_pairs, _count_discordant_pairs, "
              "_get_ties",
        witness=Witness(inside=(batch([1.0, 2.0, 3.0, 0.5], [0.5, NAN, 2.0, 0.1]),),
                        outside=(batch([1.0, 2.0, 3.0, 0.5], [0.5, 9.0, 2.0, 0.1]),),
                        metric="KendallRankCorrCoef"))),
    (("torchmetrics.regression.CriticalSuccessIndex",), bad_input(
        "torchmetrics", ("+inf in y_pred", "-inf in y_pred", "+inf in y_true", "-inf in y_true"), kind="convention",
        what="torchmetrics' CriticalSuccessIndex compares an infinite value with the threshold as a number: an "
             "event is a value at or above the threshold, which +inf is and -inf is not.",
        cause="_critical_success_index_update binarises with preds >= threshold and target >= threshold, "
              "comparisons an infinity takes part in as the largest or smallest value.",
        where="torchmetrics/functional/regression/csi.py::_critical_success_index_update",
        reading=infinities_clipped,
        witness=Witness(inside=(batch([-INF, 1.0, 0.2], [0.1, INF, 0.9]),),
                        outside=(batch([-9.0, 1.0, 0.2], [0.1, 9.0, 0.9]),),
                        metric="CriticalSuccessIndex"))),
    (("torchmetrics.regression.CriticalSuccessIndex",), bad_input(
        "torchmetrics", ("NaN in y_pred", "NaN in y_true"),
        what="torchmetrics' CriticalSuccessIndex counts a NaN value as no event: NaN >= threshold is False, and "
             "nothing checks for NaN.",
        cause="_critical_success_index_update binarises with preds >= threshold and target >= threshold; no NaN "
              "check precedes it.",
        where="torchmetrics/functional/regression/csi.py::_critical_success_index_update",
        reading=nan_values_as(-FLOAT32_MAX),
        witness=Witness(inside=(batch([NAN, 1.0, 0.2], [0.1, 0.7, 0.9]),),
                        outside=(batch([0.0, 1.0, 0.2], [0.1, 0.7, 0.9]),),
                        metric="CriticalSuccessIndex"))),
    (("torchmetrics.regression.SpearmanCorrCoef",), bad_input(
        "torchmetrics", ("NaN in y_pred", "NaN in y_true"),
        what="torchmetrics' SpearmanCorrCoef ranks a NaN as the largest value (torch.sort orders NaN last).",
        cause="_rank_data ranks with torch.sort, which orders NaN after every number; no NaN check.",
        where="torchmetrics/functional/regression/spearman.py::_rank_data",
        witness=Witness(inside=(batch([1.0, 2.0, 3.0, 0.5], [0.5, NAN, 2.0, 0.1]),),
                        outside=(batch([1.0, 2.0, 3.0, 0.5], [0.5, 9.0, 2.0, 0.1]),),
                        metric="SpearmanCorrCoef"))),
    (("torchmetrics.regression.ExplainedVariance", "torchmetrics.regression.R2Score"), replace(bad_input(
        "torchmetrics", ("NaN in y_pred", "+inf in y_pred", "-inf in y_pred"),
        what="torchmetrics' ExplainedVariance and R2Score give an output with a NaN or infinite prediction the "
             "constant-target score (0.0) when its targets are constant: their guard against 0 / 0 tests "
             "'numerator != 0' (or 'not isclose(rss, 0)'), which NaN and inf pass.",
        cause="_explained_variance_compute sets output_scores[nonzero_numerator & ~nonzero_denominator] = 0.0 and "
              "_r2_score_compute raw_scores[cond_rss & ~cond_tss] = 0.0; a NaN or infinite numerator counts as "
              "nonzero there.",
        where="torchmetrics/functional/regression/explained_variance.py::_explained_variance_compute; "
              "torchmetrics/functional/regression/r2.py::_r2_score_compute",
        witness=Witness(inside=(batch([2.0, 2.0, 2.0], [1.0, NAN, 3.0]),), outside=(batch([2.0, 1.0, 2.0],
                                                                                          [1.0, 2.5, 3.0]),),
                        metric="ExplainedVariance")),
        trigger=both(_present(("NaN in y_pred", "+inf in y_pred", "-inf in y_pred")), constant_targets))),
    (("torchmetrics.aggregation.MeanMetric",), KnownDifference(
        "torchmetrics", what="torchmetrics' MeanMetric(nan_strategy='disable') ignores the sample weights: the "
        "values are averaged as if every weight were 1.",
        cause="BaseAggregator._cast_and_nan_check_input replaces the weights with torch.ones_like(x) in its "
              "nan_strategy == 'disable' branch (the branch meant only to skip the NaN checks); open upstream as "
              "Lightning-AI/torchmetrics#3434 (fix: #3433).",
        where="torchmetrics/aggregation.py::BaseAggregator._cast_and_nan_check_input; "
              "https://github.com/Lightning-AI/torchmetrics/issues/3434",
        reference=lambda y_true, y_pred, *, sample_weight=None, nan_strategy=None: (
            mean_values_unweighted(y_true, sample_weight, nan_strategy)),
        properties=(*EVERY_PROPERTY, "bad_inputs"), kind="defect",
        witness=Witness(inside=(MEAN_VALUES,), outside=(MEAN_VALUES.with_weights(None),), metric="Mean",
                        parameters={"nan_strategy": "disable"}))),
    (("torchmetrics.aggregation.MeanMetric",), KnownDifference(
        "torchmetrics", what="torchmetrics' MeanMetric(nan_strategy=<a float>) imputes the float for a NaN value "
        "and also sets that sample's weight to 1; a NaN weight makes it impute the float for the sample's value, "
        "weight 1 (the docs say only 'impute any nan values with this value').",
        cause="BaseAggregator._cast_and_nan_check_input: x[nans | nans_weight] = self.nan_strategy; weight[nans | "
              "nans_weight] = 1.",
        where="torchmetrics/aggregation.py::BaseAggregator._cast_and_nan_check_input",
        reference=mean_imputed_with_weight_one, properties=("bad_inputs",), kind="defect",
        trigger=_present(("NaN in y_true", "NaN weight")),
        witness=Witness(inside=(batch([1.0, NAN, 4.0], [0.0, 0.0, 0.0], [1.0, 3.0, 1.0]),),
                        outside=(MEAN_VALUES,), metric="Mean", parameters={"nan_strategy": 0.5}))),
)

SKLEARN_CURVES = (f"{SK}roc_auc_score", f"{SK}average_precision_score", f"{SK}jaccard_score", f"{SK}coverage_error",
                  f"{SK}label_ranking_loss", f"{SK}label_ranking_average_precision_score", f"{SK}ndcg_score")
SKLEARN_WEIGHTS: tuple[tuple[tuple[str, ...], KnownDifference], ...] = (
    ((f"{SK}balanced_accuracy_score",), bad_input(
        "sklearn", "weight < 0",
        what="scikit-learn's balanced accuracy does not check the sign of a sample weight: each class's recall "
             "divides the weighted diagonal of the confusion matrix by its weighted row sum, negative weights as "
             "given (a class whose weights are all negative has a recall of 1 from -w / -w).",
        cause="balanced_accuracy_score builds confusion_matrix(y_true, y_pred, sample_weight=sample_weight), whose "
              "_check_sample_weight leaves ensure_non_negative False, then per_class = np.diag(C) / C.sum(axis=1).",
        where=f"{SK_CLASSIFICATION}::balanced_accuracy_score, confusion_matrix",
        witness=Witness(inside=(batch([0, 1, 1], [0, 1, 0], [1.0, -1.0, 2.0]),),
                        outside=(batch([0, 1, 1], [0, 1, 0], [1.0, 1.0, 1.0]),), metric="BalancedAccuracy"))),
    (SKLEARN_CURVES, bad_input(
        "sklearn", "weight < 0", kind="convention",
        what="scikit-learn does not check the sign of a sample weight: its curves, rankings and Jaccard index "
             "use a negative weight in their cumulative counts as given, where the counts then decrease (a curve "
             "that goes back, a union of negative weight), which the weighted definition does not cover.",
        cause="_check_sample_weight(sample_weight, X) leaves ensure_non_negative False (its default), so a negative "
              "weight passes; _binary_clf_curve sums the weights with stable_cumsum and the Jaccard index divides "
              "the weighted counts of multilabel_confusion_matrix as they come.",
        where="sklearn/utils/validation.py::_check_sample_weight; sklearn/metrics/_ranking.py::_binary_clf_curve; "
              f"{SK_CLASSIFICATION}::jaccard_score",
        witness=Witness(inside=(batch([1, 1, 0, 0], [0.2, 0.6, 0.4, 0.1], [1.0, -1.0, 1.0, 1.0]),),
                        outside=(batch([1, 1, 0, 0], [0.2, 0.6, 0.4, 0.1], [1.0, 1.0, 1.0, 1.0]),),
                        metric="AUC[curve=PR]"))),
)

def labels_as_positive(b: Batch) -> Batch:
    """A binary (or multilabel) target other than 0 read as a positive: y_true cast to bool."""
    bad = (b.y_true != 0) & (b.y_true != 1)
    return replace(b, y_true=np.where(bad, 1, b.y_true).astype(b.y_true.dtype)) if bad.any() else b


def extra_column_dropped(b: Batch) -> Batch:
    """Rows of scores one column wider than the classes (or target columns), the last column left out."""
    width = b.y_true.shape[1] if b.y_true.ndim == 2 else b.num_classes
    return replace(b, y_pred=b.y_pred[:, :width]) if b.y_pred.ndim == 2 and width and b.y_pred.shape[1] > width else b


def negative_infinity_clamped(b: Batch) -> Batch:
    """-inf read as 0 in targets and predictions (a clamp at a small positive value, as log1p's inputs)."""
    def clamped(a: np.ndarray) -> np.ndarray:
        return np.where(np.isneginf(a), 0, a).astype(a.dtype) if a.dtype.kind == "f" else a
    return replace(b, y_true=clamped(b.y_true), y_pred=clamped(b.y_pred))


# -- Keras --------------------------------------------------------------------------------------------------------
K = "keras.metrics."
KERAS_SCORES = tuple(K + name for name in (
    "BinaryAccuracy", "CategoricalAccuracy", "SparseCategoricalAccuracy", "TopKCategoricalAccuracy",
    "SparseTopKCategoricalAccuracy", "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives",
    "Precision", "Recall", "F1Score", "FBetaScore", "IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU", "BinaryIoU",
    "AUC", "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity", "SpecificityAtSensitivity"))
KERAS_CONFUSION = tuple(K + name for name in (
    "TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision", "Recall", "AUC",
    "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity", "SpecificityAtSensitivity"))
KERAS_IOU = tuple(K + name for name in ("IoU", "MeanIoU", "OneHotIoU", "OneHotMeanIoU", "BinaryIoU"))
KERAS_LOSSES = tuple(K + name for name in (
    "BinaryCrossentropy", "CategoricalCrossentropy", "SparseCategoricalCrossentropy", "KLDivergence", "Hinge",
    "SquaredHinge", "CategoricalHinge", "Poisson", "MeanSquaredLogarithmicError", "LogCoshError"))
KERAS_METRICS_UTILS = "keras/src/metrics/metrics_utils.py"
BINARY_TARGET_2 = batch([2, 0, 1, 0], [0.7, 0.2, 0.9, 0.6])
BINARY_TARGETS = batch([1, 0, 1, 0], [0.7, 0.2, 0.9, 0.6])

KERAS: tuple[tuple[tuple[str, ...], KnownDifference], ...] = (
    (KERAS_SCORES, bad_input(
        "keras", "NaN in y_pred",
        what="Keras reads a NaN score as a number: below every threshold where it compares (NaN > threshold is "
             "False; TensorFlow's argmax and in_top_k pass it over), and where its thresholds are evenly spaced "
             "(AUC's, a single one) in a bucket its integer cast makes of NaN (counted at the top, or lost); no "
             "metric raises or gives NaN. The value lies between the NaN read as the lowest score, as the highest, "
             "and the sample dropped.",
        cause="The confusion metrics threshold with y_pred > thresholds (update_confusion_matrix_variables), or for "
              "evenly distributed thresholds bucket each score as floor(y_pred * (num_thresholds - 1)) and "
              "segment_sum the buckets; the accuracies use ops.argmax / in_top_k; no NaN check anywhere.",
        where=f"{KERAS_METRICS_UTILS}::update_confusion_matrix_variables, "
              "_update_confusion_matrix_variables_optimized; "
              "keras/src/metrics/accuracy_metrics.py (binary_accuracy, sparse_categorical_accuracy)",
        reading=(nan_scores_as(-FLOAT32_MAX), nan_scores_as(FLOAT32_MAX), nan_samples_dropped),
        witness=Witness(inside=(BINARY_NAN,), outside=(BINARY_CLEAN,), metric="Precision"))),
    (KERAS_CONFUSION, bad_input(
        "keras", ("label C", "label -1"),
        what="Keras' confusion metrics (and AUC) read any target other than 0 as a positive: a target 2 or -1 is "
             "counted as class 1.",
        cause="update_confusion_matrix_variables casts y_true to bool (ops.cast(y_true, 'bool')) with no check of "
              "its values.",
        where=f"{KERAS_METRICS_UTILS}::update_confusion_matrix_variables",
        reading=labels_as_positive,
        witness=Witness(inside=(BINARY_TARGET_2,), outside=(BINARY_TARGETS,), metric="Precision"))),
    ((K + "SparseCategoricalAccuracy", K + "SparseTopKCategoricalAccuracy"), bad_input(
        "keras", ("label C", "label -1"),
        what="Keras' sparse accuracies count a label outside [0, C) as a miss: it equals no predicted class.",
        cause="sparse_categorical_accuracy compares ops.equal(y_true, ops.argmax(y_pred)) and the top-k one "
              "in_top_k(y_true, y_pred, k), with no check of the labels' range.",
        where="keras/src/metrics/accuracy_metrics.py::sparse_categorical_accuracy, sparse_top_k_categorical_accuracy",
        reading=labels_as_miss,
        witness=Witness(inside=(LABEL_3,), outside=(ROWS_CLEAN,), metric="SparseCategoricalAccuracy"))),
    ((K + "BinaryAccuracy",), bad_input(
        "keras", ("label C", "label -1"),
        what="Keras' BinaryAccuracy counts a target other than 0 and 1 as a miss: it equals neither prediction.",
        cause="binary_accuracy compares ops.equal(y_true, ops.cast(y_pred > threshold, y_true.dtype)).",
        where="keras/src/metrics/accuracy_metrics.py::binary_accuracy",
        witness=Witness(inside=(BINARY_TARGET_2,), outside=(BINARY_TARGETS,), metric="BinaryAccuracy"))),
    (KERAS_IOU, bad_input(
        "keras", ("label C", "label -1"),
        what="Keras' IoU metrics take a label outside [0, num_classes) without a check: its pair is scattered "
             "outside the confusion matrix (not counted), or, binarised or ignored (ignore_class, BinaryIoU's "
             "threshold), counted as another class.",
        cause="_IoUBase.update_state builds the update's confusion matrix with metrics_utils.confusion_matrix("
              "y_true, y_pred, num_classes), ops.scatter of each (label, prediction) pair into a (num_classes, "
              "num_classes) matrix with no range check.",
        where=f"keras/src/metrics/iou_metrics.py::_IoUBase.update_state; {KERAS_METRICS_UTILS}::confusion_matrix",
        witness=Witness(inside=(batch([2, 0, 1, 1], [1, 0, 1, 0], num_classes=2),),
                        outside=(batch([1, 0, 1, 1], [1, 0, 1, 0], num_classes=2),),
                        metric="IoU[target_class_ids=[0,1]]"))),
    (KERAS_IOU, bad_input(
        "keras", "NaN weight",
        what="Keras' IoU metrics cast a NaN weight to the confusion matrix's integer dtype (the most negative "
             "int64), with a warning: the cell becomes a huge negative count.",
        cause="_IoUBase casts sample_weight to self.dtype ('int64' by default: 'You are passing weight as float, "
              "but dtype is int'); NaN cast to int64 is -9223372036854775808.",
        where="keras/src/metrics/iou_metrics.py::_IoUBase.update_state",
        witness=Witness(inside=(batch([1, 0, 1], [1, 0, 1], [1.0, NAN, 1.0], num_classes=2),),
                        outside=(batch([1, 0, 1], [1, 0, 1], [1.0, 1.0, 1.0], num_classes=2),), metric="MeanIoU"))),
    ((K,), bad_input(
        "keras", "length mismatch",
        what="Keras broadcasts a single target against two predictions: nothing compares the numbers of samples, "
             "and the elementwise operations broadcast (1,) against (2,) (two targets against three raise).",
        cause="The metrics compute elementwise on y_true and y_pred (ops.equal, ops.square(y_true - y_pred), "
              "y_pred > thresholds with y_true) after squeeze_or_expand_to_same_rank, which reconciles ranks, not "
              "lengths.",
        where="keras/src/losses/loss.py::squeeze_or_expand_to_same_rank; keras/src/metrics/reduction_metrics.py",
        reading=single_target_broadcast,
        witness=Witness(inside=(batch([1.0], [2.0, 2.0]),), outside=(batch([1.0, 1.0], [2.0, 2.0]),),
                        metric="MeanSquaredError"))),
    ((K + "F1Score", K + "FBetaScore", *KERAS_LOSSES, K + "PearsonCorrelation", K + "ConcordanceCorrelation",
      *KERAS_IOU),
     bad_input(
        "keras", "length mismatch",
        what="Keras' F-scores, losses, correlations and IoU metrics take a single target against two predictions "
             "into their formula (some sums see the target once, others twice; the IoU metrics flatten labels, "
             "predictions and weights and build their confusion matrix without comparing the lengths).",
        cause="No check of the numbers of samples; the formulas' elementwise products broadcast (1, C) against "
              "(2, C) while sums over y_true alone count the target once; _IoUBase.update_state reshapes y_true, "
              "y_pred and sample_weight to (-1,) before metrics_utils.confusion_matrix.",
        where="keras/src/metrics/f_score_metrics.py::FBetaScore.update_state; keras/src/losses/losses.py; "
              "keras/src/metrics/correlation_metrics.py; keras/src/metrics/iou_metrics.py::_IoUBase.update_state",
        witness=Witness(inside=(batch([[0, 1]], [[0.2, 0.8], [0.2, 0.8]]),),
                        outside=(batch([[0, 1], [0, 1]], [[0.2, 0.8], [0.2, 0.8]]),),
                        metric="F1Score[average=micro,threshold=0.5]"))),
    ((K + "CategoricalAccuracy", K + "TopKCategoricalAccuracy", K + "Precision", K + "Recall", K + "IoU",
      K + "OneHotIoU", K + "OneHotMeanIoU", K + "RecallAtPrecision", K + "AUC"), bad_input(
        "keras", "shape mismatch",
        what="Keras takes rows of C + 1 scores against C classes (one-hot targets, or class_id columns) without a "
             "check: the extra column is never the largest (it is 0 here), or not the column read.",
        cause="categorical_accuracy compares the argmax of y_true and of y_pred; the one-hot IoU metrics argmax "
              "both; a class_id picks one column of each; no shape check pairs the columns.",
        where="keras/src/metrics/accuracy_metrics.py::categorical_accuracy; keras/src/metrics/iou_metrics.py; "
              f"{KERAS_METRICS_UTILS}::update_confusion_matrix_variables (class_id)",
        reading=extra_column_dropped,
        witness=Witness(inside=(batch([0, 2, 1], [[0.2, 0.1, 0.3, 0.0], [0.1, 0.2, 0.7, 0.0],
                                                  [0.3, 0.5, 0.2, 0.0]], num_classes=3),),
                        outside=(ROWS_CLEAN,), metric="CategoricalAccuracy"))),
    ((K + "AUC",), bad_input(
        "keras", ("probability > 1", "probability < 0"),
        what="Keras' AUC compares (or buckets) scores with thresholds in [0, 1] without a range check: a "
             "probability above 1 lands above every threshold, a negative one below every one (its bucket index "
             "out of the range), and the one-vs-rest curves integrate that.",
        cause="update_confusion_matrix_variables counts y_pred > thresholds for thresholds from -epsilon to "
              "1 + epsilon, with no range check.",
        where=f"{KERAS_METRICS_UTILS}::update_confusion_matrix_variables; keras/src/metrics/confusion_metrics.py::AUC",
        witness=Witness(inside=(batch([0, 1, 2, 1], [[1.5, 0.0, 0.0], [1.2, 0.1, 0.0], [0.1, 0.2, 0.7],
                                                     [0.2, 0.5, 0.3]], num_classes=3),),
                        outside=(batch([0, 1, 2, 1], [[0.9, 0.0, 0.0], [0.8, 0.1, 0.0], [0.1, 0.2, 0.7],
                                                      [0.2, 0.5, 0.3]], num_classes=3),),
                        metric="AUROC[task=multiclass]"))),
    (KERAS_LOSSES, bad_input(
        "keras", ("probability > 1", "probability < 0"), kind="convention",
        what="Keras' crossentropies and KL divergence clip probabilities into [epsilon, 1 - epsilon] (the "
             "categorical ones divide each row by its sum first): a probability of 1.5 or -0.5 gives a number.",
        cause="keras.backend's binary_crossentropy and categorical_crossentropy (from_logits=False) compute "
              "output / sum(output) (categorical) and clip(output, epsilon, 1 - epsilon) before the log; "
              "kl_divergence clips y_true and y_pred into [epsilon, 1]. Documented as the loss's convention for "
              "probabilities.",
        where="keras/src/backend/tensorflow/nn.py::binary_crossentropy, categorical_crossentropy; "
              "keras/src/losses/losses.py::kl_divergence",
        witness=Witness(inside=(batch([1, 0, 1], [1.5, 0.2, 0.9]),), outside=(batch([1, 0, 1], [1.0, 0.2, 0.9]),),
                        metric="BinaryCrossentropy"))),
    (KERAS_LOSSES, bad_input(
        "keras", ("label C", "label -1"),
        what="Keras' losses evaluate their formula on a target other than the labels: a target 2 or -1 in a "
             "binary crossentropy or hinge is a number (targets are read as probabilities, or mapped 2y - 1).",
        cause="binary_crossentropy takes y_true as probabilities (soft labels) with no range check; hinge maps "
              "y_true to 2 * y_true - 1 when it holds 0/1 labels, and neither checks the values.",
        where="keras/src/losses/losses.py::binary_crossentropy, hinge, squared_hinge",
        witness=Witness(inside=(batch([2, 0, 1], [0.7, 0.2, 0.9]),), outside=(batch([1, 0, 1], [0.7, 0.2, 0.9]),),
                        metric="BinaryCrossentropy"))),
    ((K + "R2Score",), bad_input(
        "keras", ("+inf in y_pred", "-inf in y_pred", "+inf in y_true", "-inf in y_true"),
        what="Keras' R2Score replaces an infinite score by 0: an infinite prediction or target gives R² = 0.",
        cause="R2Score.result: raw_scores = ops.where(ops.isinf(raw_scores), 0.0, raw_scores) (meant for constant "
              "targets, whose total is 0), which an infinite residual meets too.",
        where="keras/src/metrics/regression_metrics.py::R2Score.result",
        witness=Witness(inside=(batch([1.0, 2.0, 3.0], [1.0, INF, 2.0]),), outside=(batch([1.0, 2.0, 3.0],
                                                                                          [1.0, 2.5, 2.0]),),
                        metric="R2Score[outputs=1]"))),
    ((K + "MeanSquaredLogarithmicError",), bad_input(
        "keras", ("-inf in y_pred", "-inf in y_true"), kind="convention",
        what="Keras' MeanSquaredLogarithmicError clamps its inputs at epsilon before log1p (declared for negatives): "
             "-inf is clamped too.",
        cause="mean_squared_logarithmic_error computes log(maximum(y, epsilon) + 1).",
        where="keras/src/losses/losses.py::mean_squared_logarithmic_error",
        reading=negative_infinity_clamped,
        witness=Witness(inside=(batch([1.0, 2.0, 0.5], [1.5, -INF, 0.5]),), outside=(batch([1.0, 2.0, 0.5],
                                                                                           [1.5, 0.0, 0.5]),),
                        metric="MeanSquaredLogarithmicError"))),
    ((K + "PearsonCorrelation", K + "ConcordanceCorrelation"), bad_input(
        "keras", "weight < 0",
        what="Keras' correlations weigh their moments with a negative weight as given and clip the result into "
             "[-1, 1]: a value no weighted definition gives.",
        cause="pearson_correlation and concordance_correlation accumulate weighted sums with no check of the weights' "
              "sign, and return ops.clip(correlation, -1.0, 1.0).",
        where="keras/src/metrics/correlation_metrics.py::PearsonCorrelation, ConcordanceCorrelation",
        witness=Witness(inside=(batch([[1.0, 2.0, 3.0], [2.0, 1.0, 0.0]], [[1.0, 3.0, 2.0], [2.0, 0.5, 0.0]],
                                      [1.0, -1.0]),),
                        outside=(batch([[1.0, 2.0, 3.0], [2.0, 1.0, 0.0]], [[1.0, 3.0, 2.0], [2.0, 0.5, 0.0]],
                                       [1.0, 1.0]),),
                        metric="PearsonCorrelation[inputs=multi-output]"))),
)

KERAS_ROW_SELECTION = tuple(K + name for name in ("F1Score", "FBetaScore", "TopKCategoricalAccuracy",
                                                  "SparseTopKCategoricalAccuracy", "Precision", "Recall", "IoU",
                                                  "OneHotIoU", "OneHotMeanIoU", "BinaryIoU"))
KERAS_MORE: tuple[tuple[tuple[str, ...], KnownDifference], ...] = (
    (KERAS_ROW_SELECTION, bad_input(
        "keras", "NaN in y_pred",
        what="Keras' F-scores, top-k and one-hot metrics select the predicted classes of a row holding a NaN "
             "without a check: its maximum (or top k) over a NaN, so the row predicts no class or other ones.",
        cause="FBetaScore.update_state with threshold None predicts y_pred >= ops.max(y_pred, axis=-1) (a NaN "
              "maximum matches nothing); top_k filters with ops.top_k; the one-hot IoU metrics take ops.argmax.",
        where="keras/src/metrics/f_score_metrics.py::FBetaScore.update_state; "
              f"{KERAS_METRICS_UTILS}::_filter_top_k; keras/src/metrics/iou_metrics.py",
        witness=Witness(inside=(batch([[0, 1], [1, 0]], [[0.2, NAN], [0.7, 0.3]]),),
                        outside=(batch([[0, 1], [1, 0]], [[0.2, 0.8], [0.7, 0.3]]),),
                        metric="F1Score[average=micro,threshold=0.5]"))),
    ((K + "F1Score", K + "FBetaScore"), bad_input(
        "keras", ("label C", "label -1", "weight < 0"),
        what="Keras' F-scores count true positives as sums of y_true * y_pred (weighted as given): a target 2 "
             "counts twice, -1 negatively, a negative weight subtracts, and the epsilon in the division keeps "
             "the result a number.",
        cause="FBetaScore.update_state accumulates ops.sum(y_pred * y_true * weight) and the like with no check of "
              "the targets' values or the weights' sign; result() divides with + epsilon.",
        where="keras/src/metrics/f_score_metrics.py::FBetaScore.update_state, result",
        witness=Witness(inside=(batch([[0, 2], [1, 0]], [[0.2, 0.8], [0.7, 0.3]]),),
                        outside=(batch([[0, 1], [1, 0]], [[0.2, 0.8], [0.7, 0.3]]),),
                        metric="F1Score[average=micro,threshold=0.5]"))),
    (KERAS_CONFUSION, bad_input(
        "keras", "NaN weight",
        what="Keras' thresholded metrics search their curve of counts for a constraint: a NaN weight makes some "
             "counts NaN, which the search's comparisons pass over, so a threshold is chosen among the others.",
        cause="update_confusion_matrix_variables adds the weights as given (NaN included); PrecisionAtRecall, "
              "RecallAtPrecision, SensitivityAtSpecificity and SpecificityAtSensitivity pick the best threshold "
              "with comparisons and argmax, where NaN compares False.",
        where=f"{KERAS_METRICS_UTILS}::update_confusion_matrix_variables; keras/src/metrics/confusion_metrics.py",
        witness=Witness(inside=(batch([1, 0, 1, 0], [0.7, 0.2, 0.9, 0.6], [1.0, NAN, 1.0, 1.0]),),
                        outside=(BINARY_TARGETS,), metric="SensitivityAtSpecificity[specificity=0.5]"))),
    (KERAS_LOSSES, bad_input(
        "keras", "weight < 0",
        what="Keras' losses average their clipped loss with a negative weight as given, where the weighted "
             "definition has an infinite loss (a probability of 0 for the true class) or no number.",
        cause="MeanMetricWrapper sums loss * sample_weight and sample_weight as given; the crossentropies clip "
              "the probabilities into [epsilon, 1 - epsilon], so their losses are finite.",
        where="keras/src/metrics/reduction_metrics.py::MeanMetricWrapper; keras/src/backend/tensorflow/nn.py",
        witness=Witness(inside=(batch([0, 1, 2], [[1.0, 0.0, 0.0], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]],
                                      [1.0, -1.0, 1.0], num_classes=3),),
                        outside=(batch([0, 1, 2], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]],
                                       [1.0, 1.0, 1.0], num_classes=3),),
                        metric="SparseCategoricalCrossentropy"))),
)

KERAS_AUC: tuple[tuple[tuple[str, ...], KnownDifference], ...] = (
    ((K + "AUC",), bad_input(
        "keras", ("NaN in y_pred", "label C", "label -1", "length mismatch"),
        what="Keras' AUC buckets its scores and casts its targets without a check: a NaN score (also through "
             "from_logits' sigmoid) falls in a bucket its integer cast makes of NaN, a target 2 or -1 is a "
             "positive, one target broadcasts against two rows; the interpolated, minoring or majoring sums and the "
             "one-vs-rest averages then integrate counts that are no curve of the data.",
        cause="update_confusion_matrix_variables buckets with floor(y_pred * (num_thresholds - 1)) and "
              "segment_sum for its evenly spaced thresholds, casts y_true to bool, compares y_true with y_pred "
              "elementwise (broadcasting), and checks none of it.",
        where=f"{KERAS_METRICS_UTILS}::_update_confusion_matrix_variables_optimized; "
              "keras/src/metrics/confusion_metrics.py::AUC.result",
        witness=Witness(inside=(batch([0, 1, 1, 0], [0.4, NAN, 0.7, 0.2]),), outside=(RANKED_CLEAN,),
                        metric="AUC", parameters={"summation_method": "majoring"}))),
    ((K + "OneHotIoU", K + "OneHotMeanIoU"), bad_input(
        "keras", "shape mismatch",
        what="Keras' one-hot IoU metrics take rows of C + 1 scores against one-hot targets of C classes without a "
             "check: the argmax of the wider row is scattered into the (C, C) confusion matrix (or outside it).",
        cause="OneHotIoU.update_state takes ops.argmax of y_true and y_pred and builds the confusion matrix with "
              "ops.scatter, with no check that the rows are as wide as num_classes.",
        where="keras/src/metrics/iou_metrics.py::OneHotIoU.update_state, OneHotMeanIoU",
        witness=Witness(inside=(batch([0, 2, 1], [[0.2, 0.1, 0.3, 0.0], [0.1, 0.2, 0.7, 0.0],
                                                  [0.3, 0.5, 0.2, 0.0]], num_classes=3),),
                        outside=(ROWS_CLEAN,), metric="OneHotMeanIoU"))),
)

BAD_INPUTS: tuple[tuple[tuple[str, ...], KnownDifference], ...] = (TORCHMETRICS + TORCHMETRICS_MORE + SKLEARN
                                                                   + SKLEARN_WEIGHTS + KERAS + KERAS_MORE
                                                                   + KERAS_AUC)


def for_binding(library: str, target: str) -> tuple[KnownDifference, ...]:
    """The bad-input declarations of ``library`` that apply to ``target`` (by the prefixes they are declared for)."""
    return tuple(known for prefixes, known in BAD_INPUTS if known.library == library
                 and any(target == p or target.startswith(p) for p in prefixes))
