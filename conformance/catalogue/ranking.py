"""Ranking and curve metrics: ROC AUC and average precision (binary, multiclass one-vs-rest,
multilabel), Keras' AUC parameters, and the best rate under a constraint on another
(PrecisionAtRecall, RecallAtPrecision, SensitivityAtSpecificity, SpecificityAtSensitivity)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue import float32
from conformance.catalogue.classification import TORCHMETRICS_SIGMOID_SIDES, sigmoid_scores
from conformance.catalogue.model import (
    CLASS_RANGE,
    EVERY_PROPERTY,
    NUM_CLASSES,
    OUTPUT,
    Binding,
    Drawn,
    KnownDifference,
    Limited,
    MetricSpec,
    Parameter,
    ParameterTrigger,
    Unsupported,
    Witness,
    batch,
)
from conformance.data import Batch
from conformance.domains import (
    BINARY_LOGITS,
    BINARY_RANKING,
    MULTICLASS_PROBABILITIES,
    MULTICLASS_WIDE,
    MULTILABEL_SCORES,
    PADDING,
)
from conformance.dtypes import Presented


def _weights_span_float32_range(batches: list[Batch]) -> bool:
    """Positive weights whose ratio overflows float32 (max ~3.4e38)."""
    weights = np.concatenate([b.sample_weight for b in batches if b.sample_weight is not None] or [np.ones(1)])
    positive = weights[weights > 0]
    return positive.size > 0 and float(positive.max()) / float(positive.min()) > 1e37


KERAS_PR_AUC_OVERFLOW = KnownDifference(
    "keras", what="With sample weights spanning ~38 orders of magnitude (e.g. 4.0 and 1.2e-38), Keras' PR AUC "
    "returns NaN.",
    cause="interpolate_pr_auc computes safe_p_ratio = P_A / P_B in float32, which overflows to inf; "
          "intercept * log(inf) with intercept 0 is NaN, and ops.divide_no_nan keeps the NaN.",
    where="keras/src/metrics/confusion_metrics.py::AUC.interpolate_pr_auc",
    raises="returned NaN", trigger=_weights_span_float32_range, kind="defect", properties=EVERY_PROPERTY,
    # The top score's weight alone is the first threshold's count; the next divided by it overflows.
    witness=Witness(inside=(batch([1, 0, 0], [0.3, 0.3, 0.5], [2.0, 4.0, 1.2e-38]),),
                    outside=(batch([1, 0, 0], [0.3, 0.3, 0.5], [2.0, 4.0, 1e-30]),)),
)


# Keras' AUC approximation, drawn where Keras binds an exact curve: the reference stays exact and these reach Keras'
# bucketed convention (Drawn), which its declaration checks example by example.
KERAS_NUM_THRESHOLDS = Parameter(
    "num_thresholds", (200, 50, 3, 1000), spellings={"keras": "num_thresholds"}, reference=False,
    absent={"sklearn": "scikit-learn computes the exact curve (every distinct score)",
            "torchmetrics": "torchmetrics bins with thresholds=T (score >= linspace(0, 1, T)): drawn as thresholds"})
KERAS_SUMMATION = Parameter(
    "summation_method", ("interpolation", "minoring", "majoring"), spellings={"keras": "summation_method"},
    reference=False, absent={"sklearn": "scikit-learn integrates the exact curve (trapezoids for ROC, steps for AP)",
                             "torchmetrics": "torchmetrics integrates the exact (or binned) curve"})
# Keras' AUC(thresholds=[...]): the listed ones (an evenly spaced list is bucketed as num_thresholds would be).
KERAS_LISTED_THRESHOLDS = Parameter(
    "listed_thresholds", (None, (0.1, 0.3, 0.5, 0.55, 0.9), (0.25, 0.5, 0.75)), spellings={"keras": "thresholds"},
    reference=False, absent={"sklearn": "scikit-learn computes the exact curve",
                             "torchmetrics": "torchmetrics' thresholds (score >= t) are drawn as thresholds"})
KERAS_FROM_LOGITS = Parameter(
    "from_logits", (False, True), spellings={"keras": "from_logits"}, reference=False,
    changes=lambda logits: {"domain": BINARY_LOGITS} if logits else {},
    absent={"sklearn": "scikit-learn ranks scores as given (a logit ranks as its sigmoid: AUC[from_logits=True])",
            "torchmetrics": "torchmetrics decides per update whether scores are logits (AUC[from_logits=True])"})
# torchmetrics' binned curve: T evenly spaced thresholds, or a list, score >= t; None: exact.
TORCH_THRESHOLDS = Parameter(
    "thresholds", (None, 5, 2, 100, (0.2, 0.5, 1.0)), spellings={"torchmetrics": "thresholds"},
    absent={"keras": "Keras' AUC thresholds (score > t, with -epsilon and 1 + epsilon ends) are drawn apart",
            "sklearn": "scikit-learn computes the exact curve (every distinct score)"})
# The standardized partial area divides by about max_fpr: a float32 area over [0, m] carries rounding of ~u/m relative
# (at m = 1.4e-45, a subnormal, it is all rounding), beyond the curve metrics' tolerance for m below a few percent.
MAX_FPR = Parameter(
    "max_fpr", (None, 0.5, 0.1), spellings={"sklearn": "max_fpr", "torchmetrics": "max_fpr"}, span=(0.05, 1.0),
    absent={"keras": "Keras' AUC has no partial area (max_fpr)"})


def _column(batch: Batch, values: Mapping[str, Any], part: str) -> np.ndarray:
    """``part`` (y_true or y_pred) of the batch, or of the drawn class id's column of multilabel data."""
    array = np.asarray(getattr(batch, part))
    class_id = values.get("class_id")
    if class_id is None or array.ndim < 2:
        return array.reshape(-1)
    return array[:, class_id.resolve(batch.num_classes) if isinstance(class_id, Limited) else class_id]


def _first_batch_without_positive(batches: list[Batch]) -> bool:
    """The first batch with samples has no positive (multilabel: some label has none; every label is computed,
    whichever one is picked), where a result is asked for. A positive is a target 1: an ignored one (the padding
    label -1) is none, and does not cancel one out."""
    first = next((b for b in batches if len(b)), None)
    if first is None:
        return False
    targets = np.asarray(first.y_true)
    return bool(((targets.reshape(len(targets), -1) == 1).sum(axis=0) == 0).any())


def _top_threshold_predicts_nothing(batches: list[Batch], values: Mapping[str, Any]) -> bool:
    """The highest drawn threshold lies above every score: a point of the binned curve predicts nothing."""
    grid = values.get("thresholds")
    if grid is None:
        return False
    top = 1.0 if isinstance(grid, int) else float(np.float32(max(grid)))
    scores = np.concatenate([_column(b, values, "y_pred") for b in batches])
    return scores.size > 0 and float(scores.max()) < top


def _partial_curve_short(batches: list[Batch], values: Mapping[str, Any]) -> bool:
    """Every point of the binned curve (a listed grid) has a false positive rate at most max_fpr, and some point a
    true and some a false positive: torch.bucketize puts max_fpr past the last point."""
    grid, max_fpr = values.get("thresholds"), values.get("max_fpr")
    if isinstance(grid, int) or grid is None or max_fpr is None:
        return False
    targets = np.concatenate([_column(b, values, "y_true") for b in batches])
    scores = np.concatenate([_column(b, values, "y_pred") for b in batches]).astype(np.float32)
    lowest = np.float32(min(grid))
    fpr = float(np.mean(scores[targets == 0] >= lowest)) if (targets == 0).any() else 0.0
    tpr = float(np.mean(scores[targets == 1] >= lowest)) if (targets == 1).any() else 0.0
    return 0 < fpr <= max_fpr and tpr > 0


def _binned(thresholds: Any) -> bool:
    """A binned curve (thresholds given)."""
    return thresholds is not None


def _partial(max_fpr: Any) -> bool:
    """A partial area (max_fpr given, below 1)."""
    return max_fpr is not None and max_fpr != 1


TORCHMETRICS_BINNED_ORIGIN = KnownDifference(
    "torchmetrics", what="torchmetrics' binned ROC curve (thresholds given) starts at its highest threshold's point, "
    "not at (0, 0): where a score reaches the top threshold (1.0 of an evenly spaced grid) the area before that point "
    "is lost: BinaryAUROC(thresholds=5) of scores [1.0, 1.0] with targets [0, 1] is 0.0, not 0.5.",
    cause="_binary_roc_compute with thresholds reads tpr and fpr from the confusion matrix at each threshold and flips "
          "them; unlike the exact curve (_binary_clf_curve, whose first point is below every score) nothing puts the "
          "origin first.",
    where="torchmetrics/functional/classification/roc.py::_binary_roc_compute",
    overrides={"binned_origin": False}, when={"thresholds": _binned}, kind="defect",
    witness=Witness(inside=(batch([0, 1], [1.0, 1.0]),), outside=(batch([0, 1], [0.2, 0.9]),),
                    parameters={"thresholds": 5}, metric="AUC"),
)
# Per label (class), torchmetrics' binned curves without their origin and its area 0 for an undefined label at once.
TORCHMETRICS_BINNED_ORIGIN_PER_LABEL = replace(
    TORCHMETRICS_BINNED_ORIGIN, overrides={"binned_origin": False, "undefined": "zero"},
    witness=Witness(inside=(batch([[0, 1], [1, 1]], [[1.0, 1.0], [1.0, 0.3]], num_classes=2),),
                    outside=(batch([[0, 1], [1, 0]], [[0.2, 0.9], [0.9, 0.2]], num_classes=2),),
                    parameters={"thresholds": 5}, metric="AUC[multi_label=True,num_labels=L]"))
TORCHMETRICS_PARTIAL_INDEX = KnownDifference(
    "torchmetrics", what="With max_fpr and a listed binned curve none of whose points passes max_fpr (the lowest "
    "threshold above most negatives' scores), torchmetrics' BinaryAUROC raises IndexError instead of cutting the "
    "curve: the point to interpolate towards does not exist.",
    cause="_binary_auroc_compute: stop = torch.bucketize(max_area, fpr, right=True) is len(fpr), then fpr[stop] is "
          "read.",
    where="torchmetrics/functional/classification/auroc.py::_binary_auroc_compute",
    raises="index \\d+ is out of bounds for dimension 0", trigger=ParameterTrigger(_partial_curve_short),
    when={"max_fpr": _partial, "thresholds": _binned}, kind="defect", properties=EVERY_PROPERTY,
    witness=Witness(inside=(batch([0, 0, 0, 1], [0.3, 0.1, 0.1, 0.3]),), outside=(batch([0, 0, 0, 1],
                                                                                        [0.3, 0.3, 0.1, 0.3]),),
                    parameters={"thresholds": (0.2, 0.5, 1.0), "max_fpr": 0.5}, metric="AUC"),
)
TORCHMETRICS_FLAT_PARTIAL = KnownDifference(
    "torchmetrics", what="With max_fpr, torchmetrics returns the whole area under the curve, not McClish's "
    "standardized partial area, where the curve has no false positive (or no true positive) at any of its points "
    "(a binned curve whose thresholds all lie above the negatives' scores): BinaryAUROC(thresholds=[0.2, 0.5, 1.0], "
    "max_fpr=0.5) of scores [0, 0] is 0.0, not 1/3.",
    cause="_binary_auroc_compute: 'if max_fpr is None or max_fpr == 1 or fpr.sum() == 0 or tpr.sum() == 0: return "
          "_auc_compute_without_check(fpr, tpr, 1.0)', before the partial area and its standardization.",
    where="torchmetrics/functional/classification/auroc.py::_binary_auroc_compute",
    overrides={"flat_partial": "full", "undefined": "zero"}, when={"max_fpr": _partial}, kind="defect",
    witness=Witness(inside=(batch([0, 1], [0.0, 0.0]),), outside=(batch([0, 1], [0.3, 0.6]),),
                    parameters={"thresholds": (0.2, 0.5, 1.0), "max_fpr": 0.5}, metric="AUC"),
)


def _weighted_zero_support(library: str, cause: str, where: str) -> KnownDifference:
    return KnownDifference(
        library, what=f"With no positive label anywhere (zero support overall), {library}'s weighted average is 0.0; "
        "the reference calls it undefined (NaN): every label weighs nothing.",
        cause=cause, where=where, overrides={"zero_support": "zero"}, when={"average": ("weighted",)})


SKLEARN_WEIGHTED_NO_POSITIVE = _weighted_zero_support(
    "sklearn", "_average_binary_score returns 0 when the support sums to 0 ('if xpx.isclose(xp.sum(average_weight), "
    "0): return 0').", "sklearn/metrics/_base.py::_average_binary_score")
TORCHMETRICS_WEIGHTED_NO_POSITIVE = _weighted_zero_support(
    "torchmetrics", "the weighted reduction divides the supports by their sum with _safe_divide, 0 / 0 = 0, so "
    "every label's weight is 0.", "torchmetrics/functional/classification/auroc.py::_reduce_auroc; "
    "torchmetrics/functional/classification/average_precision.py::_reduce_average_precision")


def _keras_buckets(curve: str, *, per_batch: Callable[[Batch], Batch] | tuple | None = None,
                   **overrides: Any) -> dict[str, Any]:
    """Keras' bucketed AUC with the drawn approximation (200 buckets, trapezoids, no list, by default)."""
    return dict(reference=ref.bucketed_auc, per_batch=per_batch, overrides={
        "curve": curve, "num_thresholds": Drawn("num_thresholds", 200),
        "summation_method": Drawn("summation_method", "interpolation"),
        "thresholds": Drawn("listed_thresholds", None), **overrides})


def _auc(curve: str) -> MetricSpec:
    exact, sklearn_function, torch_class = {
        "ROC": (ref.roc_auc, "roc_auc_score", "BinaryAUROC"),
        "PR": (ref.average_precision, "average_precision_score", "BinaryAveragePrecision"),
    }[curve]
    what = ("Keras approximates the curve (ROC or PR) at num_thresholds (200) evenly spaced thresholds, or the listed "
            "ones (scores in one bucket count as tied; with one class only, where the reference is undefined, the "
            "rates of the missing class are 0), and sums trapezoids (or the lower or upper heights: "
            "summation_method) where the reference uses every distinct score; for PR it interpolates precision between "
            "buckets (Davis & Goadrich) where the reference sums exact steps (average precision).")
    cause = ("AUC(num_thresholds=T) buckets scores with ceil(p * (T - 1)) - 1 and sums over the buckets; the docs: "
             "'the quality of the approximation may vary dramatically depending on num_thresholds'; divide_no_nan "
             "gives 0 rates for a class without weight.")
    drawn_curve = Drawn("curve", curve)
    keras_buckets = KnownDifference("keras", what=what, cause=cause, where=KERAS_BUCKETS_WHERE, when=NOT_LOGITS,
                                    **_keras_buckets(drawn_curve))
    keras_logits = KnownDifference(
        "keras", what=what + " With from_logits=True it buckets the sigmoid of every score (TensorFlow's float32 "
        "sigmoid is not correctly rounded: tf.sigmoid(7e-8) is 0.50000006, above a threshold 0.5 the rounded 0.5 is "
        "not).", cause=cause, where=KERAS_BUCKETS_WHERE, when=FROM_LOGITS,
        **_keras_buckets(drawn_curve, per_batch=tuple(sigmoid_scores(p) for p in ("exact", "float32",
                                                                                  "float32-up"))))
    # Keras' curve: the spec's own first, then the other (its exact reference with it: AUC's ROC, AP's steps).
    exact_of = {"ROC": ref.roc_auc, "PR": ref.average_precision}
    keras_curve = Parameter("curve", (curve, "PR" if curve == "ROC" else "ROC"), spellings={"keras": "curve"},
                            reference=False, changes=lambda drawn: {"reference": exact_of[drawn]},
                            absent={"sklearn": "scikit-learn has a function per curve (roc_auc_score, "
                                               "average_precision_score): one spec each",
                                    "torchmetrics": "torchmetrics has a class per curve (BinaryAUROC, "
                                                    "BinaryAveragePrecision): one spec each"})
    space = [keras_curve, KERAS_NUM_THRESHOLDS, KERAS_SUMMATION, KERAS_LISTED_THRESHOLDS, KERAS_FROM_LOGITS,
             TORCH_THRESHOLDS]
    if curve == "ROC":
        space.append(MAX_FPR)
    else:
        space += [Parameter("pos_label", (1, 0), spellings={"sklearn": "pos_label"},
                            absent={"keras": "Keras' AUC scores class 1",
                                    "torchmetrics": "torchmetrics' binary curves score class 1"}),
                  # torchmetrics' BinaryAveragePrecision(normalization=None) ranks raw scores as they come: drawn on
                  # logits, where its default (a sigmoid when a score lies outside [0, 1]) would act
                  Parameter("normalization", ("sigmoid", None), spellings={"torchmetrics": "normalization"},
                            reference=False, changes=lambda normalization: {} if normalization else
                            {"domain": BINARY_LOGITS},
                            absent={"keras": "Keras' AUC takes probabilities (or from_logits)",
                                    "sklearn": "scikit-learn ranks scores as they come"})]
    return MetricSpec(
        name="AUC", reference=exact, variant={} if curve == "ROC" else {"curve": curve},
        domain=BINARY_RANKING, decomposition="none", growth=tol.CURVE, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.AUC"),
            "sklearn": Binding(f"sklearn.metrics.{sklearn_function}"),
            "torchmetrics": Binding(f"torchmetrics.classification.{torch_class}", weights=False),
        },
        space=tuple(space),
        known=(keras_buckets, keras_logits,
               *(_keras_sigmoid_in_prediction_dtype(keras_logits, dtype, presentations) for dtype, presentations in (
                   ("float16", ("float16", "mixed_float16")), ("bfloat16", ("bfloat16",)))), replace(
            KERAS_PR_AUC_OVERFLOW, when={"curve": ("PR",)},
            witness=replace(KERAS_PR_AUC_OVERFLOW.witness, parameters={"curve": "PR"})),
               *([SKLEARN_BINARY_AP_UNDEFINED, TORCHMETRICS_BINARY_AP_UNDEFINED] if curve == "PR" else [
                   TORCHMETRICS_BINNED_ORIGIN, TORCHMETRICS_FLAT_PARTIAL,
                                           TORCHMETRICS_PARTIAL_INDEX, TORCHMETRICS_BINARY_AUROC_UNDEFINED])),
    )


def _rounded_in(transform: Callable[[Batch], Batch], dtype: str) -> Callable[[Batch], Batch]:
    """``transform`` (a sigmoid of the scores) rounding as a computation in ``dtype`` does."""
    def rounded(batch: Batch) -> Batch:
        with float32.computing(dtype):
            return transform(batch)
    return rounded


def _keras_sigmoid_in_prediction_dtype(logits: KnownDifference, dtype: str,
                                       presentations: tuple[str, ...]) -> KnownDifference:
    """Keras' AUC(from_logits=True) of ``dtype`` scores: its bucketed curve of their sigmoid rounded to ``dtype``."""
    # A logit whose sigmoid is 0.5 in ``dtype`` (steps of 2^-11 near 0.5 in float16, 2^-8 in bfloat16) and above 0.5
    # in float32: at num_thresholds=3 (thresholds 0, 0.5, 1) it ties with the positive's logit 0 only in ``dtype``.
    tied = {"float16": 2.0**-12, "bfloat16": 2.0**-9}[dtype]
    presented = Presented(dtype, y_pred=dtype)
    return replace(
        logits, what=f"Keras' AUC(from_logits=True) of {dtype} scores (a mixed-precision model's) takes their "
        f"sigmoid in {dtype}, not in the metric's float32: sigmoids closer than {dtype}'s step tie (sigmoid({tied:g}) "
        f"is 0.5 in {dtype}), so AUC(from_logits=True, num_thresholds=3) of logits [{tied:g}, 0, 1] with targets "
        "[0, 1, 0] puts the negative in the positive's bucket (ROC 0.25, not 0). The curve is then bucketed as for "
        "float32 scores.",
        cause="AUC.update_state applies y_pred = activations.sigmoid(y_pred) to the predictions as given (TensorFlow's "
              f"{dtype} sigmoid, within one {dtype} step of the exact value); only update_confusion_matrix_variables "
              "casts them to the variables' float32. The Metric docs call dtype 'the dtype of the metric's "
              "computations'.",
        where="keras/src/metrics/confusion_metrics.py::AUC.update_state",
        per_batch=tuple(_rounded_in(sigmoid_scores(precision), dtype) for precision in ("float32", "float32-up")),
        dtypes=presentations, properties=("input_dtypes",), kind="defect",
        witness=Witness(inside=(batch([0, 1, 0], [tied, 0.0, 1.0]),), outside=(batch([0, 1, 0], [0.5, 0.0, 1.0]),),
                        parameters={"from_logits": True, "num_thresholds": 3}, dtypes=presented,
                        outside_dtypes=presented))


KERAS_BUCKETS_WHERE = ("keras/src/metrics/confusion_metrics.py::AUC; "
                       "keras/src/metrics/metrics_utils.py::_update_confusion_matrix_variables_optimized")
NOT_LOGITS, FROM_LOGITS = {"from_logits": (False,)}, {"from_logits": (True,)}


def _keras_bucketed_auc(curve: str, *, per_batch: Callable[[Batch], Batch] | None = None,
                        **overrides: Any) -> KnownDifference:
    """Keras' AUC at num_thresholds buckets, where the reference uses every distinct score."""
    return KnownDifference(
        "keras", what=f"Keras approximates the {curve} curve at num_thresholds (200) evenly spaced thresholds "
        "(scores in one bucket count as tied; a label with no positive or no negative has area 0) where the "
        "reference uses every distinct score.",
        cause="AUC(num_thresholds=T) buckets scores with ceil(p * (T - 1)) - 1 and sums over the buckets; the "
              "docs: 'the quality of the approximation may vary dramatically depending on num_thresholds'; "
              "divide_no_nan gives 0 rates for a label without positives (or negatives).",
        where=KERAS_BUCKETS_WHERE, **_keras_buckets(curve, per_batch=per_batch, **overrides),
    )


def _onehot(batch: Batch) -> Batch:
    """Integer labels as the one-hot rows Keras receives for a multiclass AUC."""
    return replace(batch, y_true=np.eye(batch.num_classes, dtype=np.int64)[batch.y_true])


def _undefined(library: str, convention: str, what: str, cause: str, where: str) -> KnownDifference:
    """A library's rule for a label (class) whose ROC AUC or average precision is undefined."""
    return KnownDifference(library, what=what, cause=cause, where=where, overrides={"undefined": convention})


SKLEARN_AP_UNDEFINED = _undefined(
    "sklearn", "zero", "A label (class) with no positive weight has average precision 0 in scikit-learn and counts "
    "in the macro mean; the reference calls it undefined (NaN).",
    cause="precision_recall_curve sets recall to 1 for every threshold when y_true has no positive ('No positive "
          "class found in y_true'), and the step sum over a flat recall is 0.",
    where="sklearn/metrics/_ranking.py::precision_recall_curve, average_precision_score "
          "(_binary_uninterpolated_average_precision)",
)
TORCHMETRICS_AUROC_UNDEFINED = _undefined(
    "torchmetrics", "zero", "A label (class) without positives or without negatives has ROC AUC 0 in torchmetrics "
    "and counts in the macro mean; the reference calls it undefined (NaN).",
    cause="_binary_roc_compute replaces an undefined true (false) positive rate by a zero tensor ('No positive "
          "samples in targets, true positive value should be meaningless. Returning zero tensor'), whose area is 0.",
    where="torchmetrics/functional/classification/roc.py::_binary_roc_compute",
)


# One class only (or a single sample): the binary ROC AUC and average precision are undefined (NaN); each library's
# value there is its convention.
TORCHMETRICS_BINARY_AUROC_UNDEFINED = _undefined(
    "torchmetrics", "zero", "With one class only (no positive or no negative), torchmetrics' binary ROC AUC is 0 "
    "(with a warning); the reference calls it undefined (NaN), as scikit-learn does.",
    cause="_binary_roc_compute replaces the undefined true (false) positive rate by a zero tensor ('No positive "
          "samples in targets, true positive value should be meaningless. Returning zero tensor in true positive "
          "score'), whose area is 0.",
    where="torchmetrics/functional/classification/roc.py::_binary_roc_compute",
)
SKLEARN_BINARY_AP_UNDEFINED = _undefined(
    "sklearn", "zero", "With no positive weight, scikit-learn's average precision is 0 (with a warning); the "
    "reference calls it undefined (NaN).",
    cause="precision_recall_curve sets recall to 1 for every threshold when y_true has no positive ('No positive "
          "class found in y_true, recall is set to one for all thresholds'), and the step sum over a flat recall is "
          "0.",
    where="sklearn/metrics/_ranking.py::precision_recall_curve, average_precision_score "
          "(_binary_uninterpolated_average_precision)",
)
TORCHMETRICS_BINARY_AP_UNDEFINED = _undefined(
    "torchmetrics", "zero", "With no positive, torchmetrics' binary average precision is 0 (-0.0, with a warning); "
    "the reference calls it undefined (NaN).",
    cause="_binary_precision_recall_curve_compute sets recall to one for every threshold when the target has no "
          "positive ('No positive samples found in target, recall is undefined. Setting recall to one for all "
          "thresholds'), and the step sum -sum(diff(recall) * precision) over a flat recall is -0.0.",
    where="torchmetrics/functional/classification/precision_recall_curve.py::_binary_precision_recall_curve_compute; "
          "torchmetrics/functional/classification/average_precision.py::_binary_average_precision_compute",
)


def _multilabel_auc() -> MetricSpec:
    """AUC on (n, L) data averaged as drawn: Keras' multi_label=True is the macro mean (its label_weights drawn),
    False pools every (sample, label) pair (micro); scikit-learn and torchmetrics take weighted and per label too."""
    macro_binding = Binding("keras.metrics.AUC", {"multi_label": True, "num_labels": NUM_CLASSES})
    keras_for = {"macro": macro_binding, "micro": Binding("keras.metrics.AUC")}  # num_labels goes with multi_label
    bindings = {
        "keras": macro_binding,
        "sklearn": Binding("sklearn.metrics.roc_auc_score"),
        "torchmetrics": Binding("torchmetrics.classification.MultilabelAUROC", {"num_labels": NUM_CLASSES},
                                weights=False),
    }
    return MetricSpec(
        name="AUC", reference=ref.multilabel_roc_auc, params={"average": "macro"},
        variant={"multi_label": True, "num_labels": "L"},
        domain=MULTILABEL_SCORES, decomposition="none", growth=tol.CURVE, scale=1.0,
        bindings=bindings,
        space=(Parameter("average", ("macro", "micro", "weighted", None),
                         spellings={"keras": "multi_label", "sklearn": "average", "torchmetrics": "average"},
                         translations={"keras": {"macro": True, "micro": False}},
                         presentation=lambda b, average: keras_for.get(average, b) if b.target.startswith("keras.")
                         else b,
                         unsupported=(Unsupported("keras", {"average": ("weighted", None)}, "Keras' AUC averages "
                                                  "labels equally (multi_label=True) or pools them (False)"),)),
               replace(KERAS_NUM_THRESHOLDS, changes=None), KERAS_SUMMATION,
               Parameter("label_weights", (None, (1.0, 2.0, 0.5, 0.0), (0.0, 1.0, 1.0, 1.0)),
                         spellings={"keras": "label_weights"}, reference=False, limit="per class",
                         absent={"sklearn": "scikit-learn weighs labels equally or by support (average)",
                                 "torchmetrics": "torchmetrics weighs labels equally or by support (average)"}),
               TORCH_THRESHOLDS),
        unsupported=(Unsupported("keras", {"average": ("micro",), "label_weights": ((1.0, 2.0, 0.5, 0.0),
                                                                                   (0.0, 1.0, 1.0, 1.0))},
                                 "Keras' label_weights weigh the labels of multi_label=True only"),),
        known=(_keras_bucketed_auc("ROC", average=Drawn("average", "macro"),
                                   label_weights=Drawn("label_weights", None)), TORCHMETRICS_AUROC_UNDEFINED,
               TORCHMETRICS_BINNED_ORIGIN_PER_LABEL, SKLEARN_WEIGHTED_NO_POSITIVE, TORCHMETRICS_WEIGHTED_NO_POSITIVE),
    )


def _classes_absent(batches: list[Batch]) -> bool:
    """Some class of ``num_classes`` never occurs in y_true."""
    labels = np.concatenate([b.y_true for b in batches])
    return len(np.unique(labels)) < batches[0].num_classes


# Three classes, class 2 never true; outside, every class occurs.
CLASS_TWO_ABSENT = batch([0, 1, 0], [[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.4, 0.4, 0.2]], num_classes=3)
EVERY_CLASS = batch([0, 1, 2], [[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.4, 0.4, 0.2]], num_classes=3)
SKLEARN_MULTICLASS_AP_ABSENT = KnownDifference(
    "sklearn", what="scikit-learn's average_precision_score raises on multiclass labels unless every class of "
    "y_score's columns occurs in y_true. With exactly two classes present it takes y_true as binary and says "
    "'y should be a 1d array, got an array of shape (n, C)' (or, if class 1 is not one of them, 'pos_label=1 is "
    "not a valid label'); with more it says '`y_score` needs to be of shape (n_samples, n_classes)'.",
    cause="average_precision_score binarizes multiclass y_true over the classes present (label_binarize(y_true, "
          "classes=present_labels)) and has no labels parameter; type_of_target calls two present classes binary.",
    where="sklearn/metrics/_ranking.py::average_precision_score",
    raises=r"y should be a 1d array|`y_score` needs to be of shape|pos_label=1 is not a valid label",
    trigger=_classes_absent, properties=EVERY_PROPERTY, kind="defect",
    witness=Witness(inside=(CLASS_TWO_ABSENT,), outside=(EVERY_CLASS,)),
)


def _from_logits_auc() -> MetricSpec:
    """ROC AUC of raw scores (logits): scikit-learn ranks them as they are; torchmetrics decides per update whether
    they are logits. (Keras' from_logits is drawn on AUC.)"""
    return MetricSpec(
        name="AUC", reference=ref.roc_auc, variant={"from_logits": True}, domain=BINARY_LOGITS,
        decomposition="none", growth=tol.CURVE, scale=1.0,
        bindings={
            "sklearn": Binding("sklearn.metrics.roc_auc_score"),
            "torchmetrics": Binding("torchmetrics.classification.BinaryAUROC", weights=False),
        },
        absent={"keras": "Keras' AUC(from_logits=True) is drawn on AUC (its from_logits parameter)"},
        known=(
            KnownDifference(
                "torchmetrics", what="torchmetrics applies a sigmoid to an update's scores only when one of them "
                "lies outside [0, 1], so a stream mixing such batches with batches inside [0, 1] ranks scores from "
                "different scales together; the float32 sigmoid also ties distinct logits that round to the "
                "same probability (every logit above ~17.3 gives 1.0).",
                cause="'If preds has values outside [0,1] range we consider the input to be logits and will auto "
                      "apply sigmoid per element', decided per update() call.",
                where="torchmetrics/functional/classification/precision_recall_curve.py::"
                      "_binary_precision_recall_curve_format",
                per_batch=TORCHMETRICS_SIGMOID_SIDES,
                kind="defect",
                # The second update's logits pass through a sigmoid, the first's probabilities not: 1.5 (0.82)
                # then ranks above 0.9's negative. Outside, every score in one update (one rule).
                witness=Witness(inside=(batch([0, 1], [0.2, 0.9]), batch([0, 1], [1.5, 3.0])),
                                outside=(batch([0, 1, 0, 1], [0.2, 0.9, 1.5, 3.0]),)),
            ),
            TORCHMETRICS_BINARY_AUROC_UNDEFINED,
        ),
    )


def _one_class_present(batches: list[Batch]) -> bool:
    """Every label of the batches is one class."""
    return len(np.unique(np.concatenate([b.y_true for b in batches]))) < 2


def _weights_given(batches: list[Batch]) -> bool:
    """Some batch carries sample weights."""
    return any(b.sample_weight is not None for b in batches)


def _multiclass_auroc() -> MetricSpec:
    """One-vs-rest ROC AUC averaged as drawn (scikit-learn: also Hand & Till's one-vs-one); Keras' multi_label AUC
    of one-hot rows is the macro mean."""
    return MetricSpec(
        name="AUROC", reference=ref.multiclass_roc_auc, params={"average": "macro"}, variant={"task": "multiclass"},
        domain=MULTICLASS_PROBABILITIES, decomposition="none", growth=tol.CURVE, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.AUC", {"multi_label": True, "num_labels": NUM_CLASSES}, y_true="onehot"),
            "sklearn": Binding("sklearn.metrics.roc_auc_score", {"labels": CLASS_RANGE}),
            "torchmetrics": Binding("torchmetrics.classification.MulticlassAUROC", {"num_classes": NUM_CLASSES},
                                    weights=False),
        },
        space=(Parameter("average", ("macro", "weighted", None, "micro"),
                         spellings={"sklearn": "average", "torchmetrics": "average"},
                         unsupported=(Unsupported("torchmetrics", {"average": ("micro",)}, "torchmetrics' "
                                                  "MulticlassAUROC averages are macro, weighted or none"),),
                         absent={"keras": "Keras' AUC(multi_label=True) is the macro mean of the labels' areas"}),
               Parameter("multi_class", ("ovr", "ovo"), spellings={"sklearn": "multi_class"},
                         absent={"keras": "Keras' AUC is one-vs-rest on one-hot rows",
                                 "torchmetrics": "torchmetrics' MulticlassAUROC is one-vs-rest"}),
               replace(KERAS_NUM_THRESHOLDS, changes=None), KERAS_SUMMATION, TORCH_THRESHOLDS),
        unsupported=(Unsupported("sklearn", {"multi_class": ("ovo",), "average": (None, "micro")},
                                 "scikit-learn's one-vs-one averages are macro or weighted"),),
        known=(_keras_bucketed_auc("ROC", average="macro", per_batch=_onehot), TORCHMETRICS_AUROC_UNDEFINED,
               TORCHMETRICS_BINNED_ORIGIN_PER_LABEL, SKLEARN_WEIGHTED_NO_POSITIVE,
               TORCHMETRICS_WEIGHTED_NO_POSITIVE,  # one class per sample: no sample left (every one ignored)
               KnownDifference(
                   "sklearn", what="scikit-learn's one-vs-one multiclass ROC AUC pairs the classes present in y_true "
                   "only (labels= is not read for the pairs); the reference (Hand & Till) pairs every class, a pair "
                   "missing one undefined.",
                   cause="_average_multiclass_ovo_score iterates over combinations of np.unique(y_true).",
                   where="sklearn/metrics/_base.py::_average_multiclass_ovo_score; "
                         "sklearn/metrics/_ranking.py::_multiclass_roc_auc_score",
                   overrides={"ovo_classes": "present"}, when={"multi_class": ("ovo",)}),
               KnownDifference(
                   "sklearn", what="scikit-learn's weighted one-vs-one ROC AUC of one class alone raises "
                   "ZeroDivisionError ('Weights sum to zero'): no pair of classes weighs anything; the reference is "
                   "undefined (NaN).",
                   cause="_average_multiclass_ovo_score averages the pair scores with np.average(weights=prevalence) "
                         "over no pair.",
                   where="sklearn/metrics/_base.py::_average_multiclass_ovo_score", raises="Weights sum to zero",
                   trigger=_one_class_present, when={"multi_class": ("ovo",), "average": ("weighted",)},
                   properties=EVERY_PROPERTY),
               KnownDifference(
                   "sklearn", what="scikit-learn's one-vs-one multiclass ROC AUC takes no sample weights: it raises.",
                   cause="roc_auc_score: 'sample_weight is not supported for multiclass one-vs-one ROC AUC, "
                         "'sample_weight' must be None in this case.'",
                   where="sklearn/metrics/_ranking.py::roc_auc_score", raises="sample_weight is not supported",
                   trigger=_weights_given, when={"multi_class": ("ovo",)}, properties=EVERY_PROPERTY)),
    )


def torchmetrics_multiclass_average_precision(y_true, y_score, *, average: str = "macro",
                                              sample_weight=None, **options) -> float:
    """torchmetrics' rule for a class that never occurs: average precision 0, counted in the mean, when every
    label is class 0; otherwise NaN, left out of the mean."""
    labels = np.asarray(y_true)
    undefined = "zero" if labels.size and not labels.any() else "exclude"
    return ref.multiclass_average_precision(y_true, y_score, average=average, undefined=undefined,
                                            sample_weight=sample_weight, **options)


TORCHMETRICS_MULTICLASS_AP_ABSENT = KnownDifference(
    "torchmetrics", what="For a class that never occurs, torchmetrics' multiclass average precision is NaN and left "
    "out of the macro mean, except when every label is class 0: then it is 0 and counted. The reference calls the "
    "mean undefined (NaN). E.g. labels [0, 1, 0] over 3 classes give mean(AP0, AP1); labels [0, 0] give "
    "mean(AP0, 0, 0).",
    cause="_multiclass_precision_recall_curve_compute calls _binary_precision_recall_curve_compute((preds[:, i], "
          "target), pos_label=i), whose no-positive guard tests (target == 0).all() (class 0, not pos_label): when "
          "it holds, recall is set to ones and the class's AP is 0; otherwise recall = tps / tps[-1] = 0 / 0 is NaN "
          "and _reduce_average_precision drops the class ('Ignoring these classes in macro-average').",
    where="torchmetrics/functional/classification/precision_recall_curve.py::_binary_precision_recall_curve_compute; "
          "torchmetrics/functional/classification/average_precision.py::_reduce_average_precision",
    reference=torchmetrics_multiclass_average_precision, kind="defect",
    witness=Witness(inside=(CLASS_TWO_ABSENT,), outside=(EVERY_CLASS,)),
)


def _average_precision(task: str) -> MetricSpec:
    """One-vs-rest (multiclass) or per-label average precision, averaged as drawn; torchmetrics' binned curves."""
    multiclass = task == "multiclass"
    torch_class = "MulticlassAveragePrecision" if multiclass else "MultilabelAveragePrecision"
    count = "num_classes" if multiclass else "num_labels"
    known = [SKLEARN_AP_UNDEFINED, SKLEARN_WEIGHTED_NO_POSITIVE, TORCHMETRICS_WEIGHTED_NO_POSITIVE]
    if multiclass:
        known += [SKLEARN_MULTICLASS_AP_ABSENT, replace(TORCHMETRICS_MULTICLASS_AP_ABSENT,
                                                        when={"thresholds": (None,)}),
                  replace(_undefined("torchmetrics", "zero", "On a binned curve (thresholds given), a class that never "
                             "occurs has average precision 0 in torchmetrics' multiclass mean and counts in it (where "
                             "its exact curve gives NaN, left out); the reference calls it undefined (NaN).",
                             cause="the binned state is a confusion matrix per threshold whose 0 / 0 recall the "
                                   "average precision sums as 0 for that class.",
                             where="torchmetrics/functional/classification/average_precision.py::"
                                   "_multiclass_average_precision_compute"), when={"thresholds": _binned})]
    else:
        known.append(_undefined(
            "torchmetrics", "zero", "A label with no positive has average precision 0 in torchmetrics and counts "
            "in the mean; the reference calls it undefined (NaN).",
            cause="_binary_precision_recall_curve_compute sets recall to one for every threshold when the target "
                  "has no positive ('recall is undefined. Setting recall to one'), and the step sum is then 0.",
            where="torchmetrics/functional/classification/precision_recall_curve.py::"
                  "_binary_precision_recall_curve_compute",
        ))
    return MetricSpec(
        name="AveragePrecision",
        reference=ref.multiclass_average_precision if multiclass else ref.multilabel_average_precision,
        params={"average": "macro"}, variant={"task": task},
        domain=MULTICLASS_WIDE if multiclass else MULTILABEL_SCORES, decomposition="none", growth=tol.CURVE, scale=1.0,
        bindings={
            "sklearn": Binding("sklearn.metrics.average_precision_score"),
            "torchmetrics": Binding(f"torchmetrics.classification.{torch_class}", {count: NUM_CLASSES},
                                    weights=False),
        },
        space=(Parameter("average", ("macro", "micro", "weighted", None),
                         spellings={"sklearn": "average", "torchmetrics": "average"},
                         unsupported=(Unsupported("torchmetrics", {"average": ("micro",)}, "torchmetrics' "
                                                  "MulticlassAveragePrecision averages are macro, weighted or none"),)
                         if multiclass else ()), TORCH_THRESHOLDS),
        known=tuple(known),
        absent={"keras": "Keras has no average precision (nearest: AUC(curve='PR', multi_label=True), which "
                         "interpolates precision between 200 buckets)"},
    )


# -- the best rate under a constraint --------------------------------------------------------------

KERAS_AT_WHERE = ("keras/src/metrics/confusion_metrics.py::SensitivitySpecificityBase (thresholds, "
                  "_find_max_under_constraint); keras/src/metrics/metrics_utils.py::"
                  "_update_confusion_matrix_variables_optimized")


# A float32 ratio of two sums of up to 200 samples in 60 batches (the thorough profile) lies within this
# relative distance of the exact ratio (tolerance.RATIO x gamma_k): a rate that equals the constraint exactly
# may round to either side of it.
CONSTRAINT_SLACK = tol.tolerance_for("float32", 200, 60, growth=tol.RATIO, scale=0.0).rtol


def _keras_constraint_rounding(argument: str) -> KnownDifference:
    return KnownDifference(
        "keras", what=f"Keras computes the rates in float32 and compares them with {argument}: a rate equal "
        "to the constraint in exact arithmetic (e.g. precision 4/5 from five weights of 0.001: 0.004 / 0.0050000004) "
        "may round below "
        "it, which drops that operating point and can move the result from 1 to 0. Checked: the value lies between "
        f"the num_thresholds grid's results for the constraint moved by ±{CONSTRAINT_SLACK:.1e} (relative).",
        cause="result() computes the rates with ops.divide_no_nan on float32 confusion variables and keeps points "
              "with ops.greater_equal(constrained, self.value).",
        where="keras/src/metrics/confusion_metrics.py::SensitivitySpecificityBase._find_max_under_constraint",
        bounds=({argument: Drawn(argument, None, 1 + CONSTRAINT_SLACK, within=(0.0, 1.0)),
                 "num_thresholds": KERAS_GRID_SIZE},
                {argument: Drawn(argument, None, 1 - CONSTRAINT_SLACK), "num_thresholds": KERAS_GRID_SIZE}),
    )


KERAS_GRID_SIZE = Drawn("num_thresholds", 200)


def _subnormal(value: Any) -> bool:
    """a subnormal float32 (0 < |x| < 1.18e-38)"""
    return value is not None and 0 < abs(float(value)) < float(np.finfo(np.float32).tiny)


def _keras_flushed_constraint(argument: str) -> KnownDifference:
    return KnownDifference(
        "keras", what=f"On the TensorFlow backend (CPU), a subnormal {argument} (0 < {argument} < 1.18e-38) counts "
        f"as 0, as every subnormal float32 does there: no constraint, so a rate of 0 (e.g. the undefined rate of a "
        f"class absent, 0 by divide_no_nan) meets it. SpecificityAtSensitivity(sensitivity=1.4e-45) of one "
        "negative scored 0 is 1.0; the reference, whose constraint is above 0, finds no operating point: 0.",
        cause="_find_max_under_constraint compares the float32 rates with ops.greater_equal(constrained, self.value); "
              "TensorFlow runs its CPU kernels with denormals-are-zero (tsl::port::ScopedFlushDenormal), so a "
              "subnormal self.value compares as 0.",
        where=f"{KERAS_AT_WHERE}; tensorflow/include/tsl/platform/denormal.h::ScopedFlushDenormal",
        overrides={argument: 0.0, "num_thresholds": KERAS_GRID_SIZE}, when={argument: _subnormal})


def _keras_grid() -> KnownDifference:
    return KnownDifference(
        "keras", what="Keras looks for the best operating point among num_thresholds (200) evenly spaced thresholds "
        "from 0 to 1 (score > t, so a score of exactly 0 is never positive, and all-positive is not a candidate "
        "when some score is 0), where the reference tries every distinct score.",
        cause="SensitivitySpecificityBase(num_thresholds=T) builds thresholds [0, 1/(T-1), ..., 1] "
              "and buckets scores with ceil(p * (T - 1)) - 1 (bucket -1, a score of 0, is dropped by segment_sum).",
        where=KERAS_AT_WHERE, overrides={"num_thresholds": KERAS_GRID_SIZE},
    )


TORCHMETRICS_NO_POSITIVE_RECALL = KnownDifference(
    "torchmetrics", what="With no positive sample, torchmetrics' recall is 1 at every threshold (with a warning), "
    "where the reference's recall of no positive is 0: a constraint on precision is then met with recall 1.",
    cause="_binary_precision_recall_curve_compute: 'No positive samples found in target, recall is undefined. "
          "Setting recall to one for all thresholds.'",
    where="torchmetrics/functional/classification/precision_recall_curve.py::_binary_precision_recall_curve_compute",
    overrides={"no_positive_recall": 1.0},
)
TORCHMETRICS_BINNED_AT = {
    "RecallAtFixedPrecision": (KnownDifference(
        "torchmetrics", what="torchmetrics' RecallAtFixedPrecision(min_precision=0) on a binned curve (thresholds "
        "given) raises IndexError when the target (multilabel: any label, whichever is picked) has no positive: its "
        "recall is NaN at every threshold, and a precision of 0 meets the constraint.",
        cause="the binned curve divides with zero_division='nan'; _recall_at_precision keeps the rows whose "
              "precision meets the constraint and _lexargmax of NaN recalls finds no index.",
        where="torchmetrics/functional/classification/recall_fixed_precision.py::_recall_at_precision, _lexargmax",
        raises="index 0 is out of bounds for dimension 0", trigger=_first_batch_without_positive,
        when={"thresholds": _binned, "precision": (0.0,)}, kind="defect", properties=EVERY_PROPERTY,
        # inside: a negative and an ignored sample (the padding label -1 is no positive)
        witness=Witness(inside=(batch([0, PADDING], [0.2, 0.6]),), outside=(batch([0, 1], [0.2, 0.6]),),
                        parameters={"thresholds": 5, "precision": 0.0, "ignore_index": PADDING},
                        metric="RecallAtPrecision[precision=0.8]")),),
    "PrecisionAtFixedRecall": (KnownDifference(
        "torchmetrics", what="torchmetrics' PrecisionAtFixedRecall(min_recall=0) on a binned curve returns NaN where "
        "a threshold predicts nothing (its precision 0 / 0 is NaN, with recall 0 it meets the constraint, and "
        "Python's max over tuples with NaN keeps it).",
        cause="the binned curve divides with zero_division='nan'; _precision_at_recall takes max() of (precision, "
              "recall, threshold) tuples with recall >= min_recall.",
        where="torchmetrics/functional/classification/precision_fixed_recall.py::_precision_at_recall",
        raises="returned NaN", trigger=ParameterTrigger(_top_threshold_predicts_nothing),
        when={"thresholds": _binned, "recall": (0.0,)}, kind="defect", properties=EVERY_PROPERTY,
        witness=Witness(inside=(batch([0, 1], [0.0, 0.0]),), outside=(batch([0, 1], [0.0, 1.0]),),
                        parameters={"thresholds": (0.2, 0.5, 1.0), "recall": 0.0})),),
}


TORCHMETRICS_NO_NEGATIVES = KnownDifference(
    "torchmetrics", what="With no negative, torchmetrics takes the false positive rate as 0, so the specificity of "
    "every operating point is 1 (e.g. SensitivityAtSpecificity of all-positive labels is 1); the reference, like "
    "Keras (divide_no_nan), takes the undefined specificity as 0.",
    cause="_binary_roc_compute replaces the false positive rate by a zero tensor when fps[-1] <= 0 ('No negative "
          "samples in targets, false positive value should be meaningless. Returning zero tensor in false positive "
          "score'); the *_at_* metrics search that curve with specificity = 1 - fpr.",
    where="torchmetrics/functional/classification/roc.py::_binary_roc_compute; torchmetrics/functional/"
          "classification/sensitivity_specificity.py::_binary_sensitivity_at_specificity_compute and "
          "specificity_sensitivity.py::_binary_specificity_at_sensitivity_compute",
    overrides={"specificity_without_negatives": 1.0},
)


def _a_class_without_weight(batch: Batch) -> str | None:
    """Why an operating point's rates are conventions on ``batch``: a class with no weight (0/0 rates)."""
    labels = np.asarray(batch.y_true).reshape(-1)
    weights = np.ones(len(labels)) if batch.sample_weight is None else np.asarray(batch.sample_weight, np.float64)
    if not np.dot(weights, labels) or not np.dot(weights, 1 - labels):
        return "one class only: the rates of the missing class are 0 / 0, taken as 0 by convention"
    return None


def _at_metric(name: str, function: Callable[..., float], keras_argument: str, value: float, torch_class: str,
               torch_argument: str, *, class_id: int | None = None) -> MetricSpec:
    """The best rate under a constraint on another: the constraint drawn (the variant's value first, the edges 0 and
    1, any in between), Keras' grid size drawn (its convention), torchmetrics' binned curve drawn; with
    ``class_id``, one label of multilabel scores (the label drawn)."""
    params: dict[str, Any] = {keras_argument: value}
    variant: dict[str, Any] = {keras_argument: value}
    space = [Parameter(keras_argument, (value, 0.0, 1.0), spellings={"keras": keras_argument,
                                                                     "torchmetrics": torch_argument},
                       span=(0.0, 1.0)),
             Parameter("num_thresholds", (200, 50, 3), spellings={"keras": "num_thresholds"}, reference=False,
                       absent={"torchmetrics": "torchmetrics bins with thresholds=T (score >= linspace(0, 1, T)): "
                                               "drawn as thresholds"}),
             replace(TORCH_THRESHOLDS, values=(None, 5, 100, (0.2, 0.5, 1.0)))]
    torch_target = f"torchmetrics.classification.{'Multilabel' if class_id is not None else 'Binary'}{torch_class}"
    torch_init = {"num_labels": NUM_CLASSES} if class_id is not None else {}
    if class_id is not None:
        params["class_id"] = variant["class_id"] = class_id
        space.append(Parameter("class_id", (class_id, 0, 2, 3), spellings={"keras": "class_id", "torchmetrics": OUTPUT},
                               limit="class index"))
    return MetricSpec(
        name=name, reference=function, params=params, variant=variant,
        domain=MULTILABEL_SCORES if class_id is not None else BINARY_RANKING, decomposition="none",
        growth=tol.RATIO, scale=1.0,
        bindings={"keras": Binding(f"keras.metrics.{name}"),
                  "torchmetrics": Binding(torch_target, torch_init, weights=False,
                                          output=(0, class_id) if class_id is not None else (0,))},
        space=tuple(space), known=(_keras_grid(), _keras_constraint_rounding(keras_argument),
                                   _keras_flushed_constraint(keras_argument),
                                   TORCHMETRICS_NO_POSITIVE_RECALL,
                                   *TORCHMETRICS_BINNED_AT.get(torch_class, ()),
                                   *((TORCHMETRICS_NO_NEGATIVES,) if function in (
                                       ref.sensitivity_at_specificity, ref.specificity_at_sensitivity) else ())),
        absent={"sklearn": "scikit-learn has no metric for the best rate under a constraint (nearest: "
                           "precision_recall_curve / roc_curve, then a search by hand)"},
        undefined=None if class_id is not None else _a_class_without_weight,
    )


SPECS: tuple[MetricSpec, ...] = (
    _auc("ROC"),
    _auc("PR"),
    _from_logits_auc(),
    _multilabel_auc(),
    _multiclass_auroc(),
    _average_precision("multiclass"),
    _average_precision("multilabel"),
    _at_metric("PrecisionAtRecall", ref.precision_at_recall, "recall", 0.5, "PrecisionAtFixedRecall", "min_recall"),
    _at_metric("RecallAtPrecision", ref.recall_at_precision, "precision", 0.8, "RecallAtFixedPrecision",
               "min_precision"),
    _at_metric("SensitivityAtSpecificity", ref.sensitivity_at_specificity, "specificity", 0.5,
               "SensitivityAtSpecificity", "min_specificity"),
    _at_metric("SpecificityAtSensitivity", ref.specificity_at_sensitivity, "sensitivity", 0.5,
               "SpecificityAtSensitivity", "min_sensitivity"),
    _at_metric("RecallAtPrecision", ref.recall_at_precision, "precision", 0.8, "RecallAtFixedPrecision",
               "min_precision", class_id=1),
)
