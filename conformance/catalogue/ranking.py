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
from conformance.catalogue.classification import TORCHMETRICS_SIGMOID_SIDES, sigmoid_scores
from conformance.catalogue.model import (
    CLASS_RANGE,
    EVERY_PROPERTY,
    NUM_CLASSES,
    Binding,
    KnownDifference,
    MetricSpec,
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
)


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


def _auc(curve: str) -> MetricSpec:
    exact, sklearn_function, torch_class = {
        "ROC": (ref.roc_auc, "roc_auc_score", "BinaryAUROC"),
        "PR": (ref.average_precision, "average_precision_score", "BinaryAveragePrecision"),
    }[curve]
    return MetricSpec(
        name="AUC", reference=exact, variant={} if curve == "ROC" else {"curve": curve},
        domain=BINARY_RANKING, decomposition="none", growth=tol.CURVE, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.AUC", {} if curve == "ROC" else {"curve": curve}),
            "sklearn": Binding(f"sklearn.metrics.{sklearn_function}"),
            "torchmetrics": Binding(f"torchmetrics.classification.{torch_class}", {"thresholds": None},
                                    weights=False),
        },
        known=(KnownDifference(
            "keras",
            what=f"Keras approximates the {curve} curve at 200 evenly spaced thresholds (scores in one bucket "
                 "count as tied; with one class only, where the reference is undefined, the rates of the missing "
                 "class are 0)" + ("; for PR it interpolates precision between buckets (Davis & Goadrich) "
                                   "where the reference sums exact steps (average precision)." if curve == "PR"
                                   else " where the reference uses every distinct score."),
            cause="AUC(num_thresholds=200) buckets scores with ceil(p * (T - 1)) - 1 and sums over the "
                  "buckets; the docs: 'the quality of the approximation may vary dramatically depending "
                  "on num_thresholds'; divide_no_nan gives 0 rates for a class without weight.",
            where="keras/src/metrics/confusion_metrics.py::AUC; "
                  "keras/src/metrics/metrics_utils.py::_update_confusion_matrix_variables_optimized",
            reference=ref.bucketed_auc, overrides={"curve": curve, "num_thresholds": 200},
        ), *([KERAS_PR_AUC_OVERFLOW, SKLEARN_BINARY_AP_UNDEFINED, TORCHMETRICS_BINARY_AP_UNDEFINED] if curve == "PR"
             else [TORCHMETRICS_BINARY_AUROC_UNDEFINED])),
    )


KERAS_BUCKETS_WHERE = ("keras/src/metrics/confusion_metrics.py::AUC; "
                       "keras/src/metrics/metrics_utils.py::_update_confusion_matrix_variables_optimized")


def _keras_bucketed_auc(curve: str, *, per_batch: Callable[[Batch], Batch] | None = None,
                        **overrides: Any) -> KnownDifference:
    """Keras' AUC at 200 buckets, where the reference uses every distinct score."""
    return KnownDifference(
        "keras", what=f"Keras approximates the {curve} curve at 200 evenly spaced thresholds (scores in one bucket "
        "count as tied; a label with no positive or no negative has area 0) where the reference uses every "
        "distinct score.",
        cause="AUC(num_thresholds=200) buckets scores with ceil(p * (T - 1)) - 1 and sums over the buckets; the "
              "docs: 'the quality of the approximation may vary dramatically depending on num_thresholds'; "
              "divide_no_nan gives 0 rates for a label without positives (or negatives).",
        where=KERAS_BUCKETS_WHERE, reference=ref.bucketed_auc,
        overrides={"curve": curve, "num_thresholds": 200, **overrides}, per_batch=per_batch,
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


def _multilabel_auc(average: str) -> MetricSpec:
    """Keras AUC on (n, L) data: multi_label=True averages per-label areas (macro), False pools them (micro)."""
    macro = average == "macro"
    return MetricSpec(
        name="AUC", reference=ref.multilabel_roc_auc, params={"average": average},
        variant={"multi_label": macro, **({"num_labels": "L"} if macro else {})},
        domain=MULTILABEL_SCORES, decomposition="none", growth=tol.CURVE, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.AUC", {"multi_label": True, "num_labels": NUM_CLASSES} if macro else {}),
            "sklearn": Binding("sklearn.metrics.roc_auc_score", {"average": average}),
            "torchmetrics": Binding("torchmetrics.classification.MultilabelAUROC",
                                    {"num_labels": NUM_CLASSES, "average": average, "thresholds": None},
                                    weights=False),
        },
        known=(_keras_bucketed_auc("ROC", average=average), TORCHMETRICS_AUROC_UNDEFINED),
    )


def _keras_only_auc(variant: Mapping[str, Any], domain=BINARY_RANKING) -> MetricSpec:
    """A Keras AUC parameter checked against Keras' own bucketed definition (the other libraries have no
    such parameter: they compute the exact curve, checked under AUC and AUC[curve=PR])."""
    return MetricSpec(
        name="AUC", reference=ref.bucketed_auc, params=dict(variant), variant=dict(variant), domain=domain,
        decomposition="none", growth=tol.CURVE, scale=1.0,
        bindings={"keras": Binding("keras.metrics.AUC", dict(variant))},
        known=(KERAS_PR_AUC_OVERFLOW,) if variant.get("curve") == "PR" else (),
        absent={"sklearn": "scikit-learn computes exact curves only: no thresholds or summation_method (nearest: "
                           "roc_auc_score, average_precision_score, checked under AUC)",
                "torchmetrics": "torchmetrics bins with thresholds=T as score >= linspace(0, 1, T) and integrates "
                                "exactly: no Keras buckets or summation_method (nearest: BinaryAUROC(thresholds=T))"},
    )


def _from_logits_auc() -> MetricSpec:
    return MetricSpec(
        name="AUC", reference=ref.roc_auc, variant={"from_logits": True}, domain=BINARY_LOGITS,
        decomposition="none", growth=tol.CURVE, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.AUC", {"from_logits": True}),
            "sklearn": Binding("sklearn.metrics.roc_auc_score"),
            "torchmetrics": Binding("torchmetrics.classification.BinaryAUROC", {"thresholds": None}, weights=False),
        },
        known=(
            # Keras' from_logits: a sigmoid on every score, whatever the batch (unlike torchmetrics' rule below).
            _keras_bucketed_auc("ROC", per_batch=(sigmoid_scores("exact"), sigmoid_scores("float32"))),
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


def _multiclass_auroc() -> MetricSpec:
    return MetricSpec(
        name="AUROC", reference=ref.multiclass_roc_auc, params={"average": "macro"}, variant={"task": "multiclass"},
        domain=MULTICLASS_PROBABILITIES, decomposition="none", growth=tol.CURVE, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.AUC", {"multi_label": True, "num_labels": NUM_CLASSES}, y_true="onehot"),
            "sklearn": Binding("sklearn.metrics.roc_auc_score", {"multi_class": "ovr", "labels": CLASS_RANGE}),
            "torchmetrics": Binding("torchmetrics.classification.MulticlassAUROC",
                                    {"num_classes": NUM_CLASSES, "average": "macro", "thresholds": None},
                                    weights=False),
        },
        known=(_keras_bucketed_auc("ROC", average="macro", per_batch=_onehot), TORCHMETRICS_AUROC_UNDEFINED),
    )


def torchmetrics_multiclass_average_precision(y_true, y_score, *, average: str = "macro",
                                              sample_weight=None) -> float:
    """torchmetrics' rule for a class that never occurs: average precision 0, counted in the mean, when every
    label is class 0; otherwise NaN, left out of the mean."""
    labels = np.asarray(y_true)
    undefined = "zero" if labels.size and not labels.any() else "exclude"
    return ref.multiclass_average_precision(y_true, y_score, average=average, undefined=undefined,
                                            sample_weight=sample_weight)


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


def _average_precision(task: str, average: str = "macro") -> MetricSpec:
    multiclass = task == "multiclass"
    torch_class = "MulticlassAveragePrecision" if multiclass else "MultilabelAveragePrecision"
    count = "num_classes" if multiclass else "num_labels"
    known = [SKLEARN_AP_UNDEFINED]
    if multiclass:
        known += [SKLEARN_MULTICLASS_AP_ABSENT, TORCHMETRICS_MULTICLASS_AP_ABSENT]
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
        params={"average": average}, variant={"task": task, **({"average": average} if average != "macro" else {})},
        domain=MULTICLASS_WIDE if multiclass else MULTILABEL_SCORES, decomposition="none", growth=tol.CURVE, scale=1.0,
        bindings={
            "sklearn": Binding("sklearn.metrics.average_precision_score", {"average": average}),
            "torchmetrics": Binding(f"torchmetrics.classification.{torch_class}",
                                    {count: NUM_CLASSES, "average": average, "thresholds": None}, weights=False),
        },
        known=tuple(known),
        absent={"keras": "Keras has no average precision (nearest: AUC(curve='PR', multi_label=True), which "
                         "interpolates precision between 200 buckets)"},
    )


def _binned_average_precision(thresholds: int) -> MetricSpec:
    return MetricSpec(
        name="AveragePrecision", reference=ref.average_precision, params={"thresholds": thresholds},
        variant={"thresholds": thresholds}, domain=BINARY_RANKING, decomposition="none", growth=tol.CURVE,
        scale=1.0,
        bindings={"torchmetrics": Binding("torchmetrics.classification.BinaryAveragePrecision",
                                          {"thresholds": thresholds}, weights=False)},
        absent={"keras": "Keras has no average precision (nearest: AUC(curve='PR', num_thresholds=T), which "
                         "interpolates between buckets)",
                "sklearn": "scikit-learn's average_precision_score uses every distinct score; it has no thresholds "
                           "(checked under AUC[curve=PR])"},
        known=(TORCHMETRICS_BINARY_AP_UNDEFINED,),
    )


# -- the best rate under a constraint --------------------------------------------------------------

KERAS_AT_WHERE = ("keras/src/metrics/confusion_metrics.py::SensitivitySpecificityBase (thresholds, "
                  "_find_max_under_constraint); keras/src/metrics/metrics_utils.py::"
                  "_update_confusion_matrix_variables_optimized")


# A float32 ratio of two sums of up to 200 samples in 60 batches (the thorough profile) lies within this
# relative distance of the exact ratio (tolerance.RATIO x gamma_k): a rate that equals the constraint exactly
# may round to either side of it.
CONSTRAINT_SLACK = tol.tolerance_for("float32", 200, 60, growth=tol.RATIO, scale=0.0).rtol


def _keras_constraint_rounding(argument: str, value: float, num_thresholds: int) -> KnownDifference:
    return KnownDifference(
        "keras", what=f"Keras computes the rates in float32 and compares them with {argument}={value}: a rate equal "
        "to the constraint in exact arithmetic (e.g. precision 4/5 from five weights of 0.001: 0.004 / 0.0050000004) "
        "may round below "
        "it, which drops that operating point and can move the result from 1 to 0. Checked: the value lies between "
        f"the {num_thresholds}-threshold grid's results for the constraint moved by ±{CONSTRAINT_SLACK:.1e} "
        "(relative).",
        cause="result() computes the rates with ops.divide_no_nan on float32 confusion variables and keeps points "
              "with ops.greater_equal(constrained, self.value).",
        where="keras/src/metrics/confusion_metrics.py::SensitivitySpecificityBase._find_max_under_constraint",
        bounds=({argument: value * (1 + CONSTRAINT_SLACK), "num_thresholds": num_thresholds},
                {argument: value * (1 - CONSTRAINT_SLACK), "num_thresholds": num_thresholds}),
    )


def _keras_grid(num_thresholds: int) -> KnownDifference:
    return KnownDifference(
        "keras", what=f"Keras looks for the best operating point among {num_thresholds} evenly spaced thresholds "
        "from 0 to 1 (score > t, so a score of exactly 0 is never positive, and all-positive is not a candidate "
        "when some score is 0), where the reference tries every distinct score.",
        cause=f"SensitivitySpecificityBase(num_thresholds={num_thresholds}) builds thresholds [0, 1/(T-1), ..., 1] "
              "and buckets scores with ceil(p * (T - 1)) - 1 (bucket -1, a score of 0, is dropped by segment_sum).",
        where=KERAS_AT_WHERE, overrides={"num_thresholds": num_thresholds},
    )


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
               torch_argument: str, *, class_id: int | None = None, num_thresholds: int | None = None) -> MetricSpec:
    keras_init: dict[str, Any] = {keras_argument: value}
    params: dict[str, Any] = {keras_argument: value}
    variant: dict[str, Any] = {keras_argument: value}
    if num_thresholds is not None:  # a Keras parameter: checked against Keras' own grid
        keras_init["num_thresholds"] = params["num_thresholds"] = variant["num_thresholds"] = num_thresholds
    if class_id is not None:
        keras_init["class_id"] = params["class_id"] = variant["class_id"] = class_id
    bindings = {"keras": Binding(f"keras.metrics.{name}", keras_init)}
    if num_thresholds is None:
        torch_target = f"torchmetrics.classification.{'Multilabel' if class_id is not None else 'Binary'}{torch_class}"
        torch_init = {torch_argument: value, "thresholds": None,
                      **({"num_labels": NUM_CLASSES} if class_id is not None else {})}
        bindings["torchmetrics"] = Binding(torch_target, torch_init, weights=False,
                                           output=(0, class_id) if class_id is not None else (0,))
    absent = {"sklearn": "scikit-learn has no metric for the best rate under a constraint (nearest: "
                         "precision_recall_curve / roc_curve, then a search by hand)"}
    if num_thresholds is not None:
        absent["torchmetrics"] = ("torchmetrics bins with thresholds=T as score >= linspace(0, 1, T), not Keras' "
                                  f"grid (nearest: Binary{torch_class}(thresholds=T))")
    return MetricSpec(
        name=name, reference=function, params=params, variant=variant,
        domain=MULTILABEL_SCORES if class_id is not None else BINARY_RANKING, decomposition="none",
        growth=tol.RATIO, scale=1.0, bindings=bindings,
        known=((_keras_grid(200),) if num_thresholds is None else ())
        + (_keras_constraint_rounding(keras_argument, value, num_thresholds or 200),)
        + ((TORCHMETRICS_NO_NEGATIVES,) if function in (ref.sensitivity_at_specificity, ref.specificity_at_sensitivity)
           and "torchmetrics" in bindings else ()),
        absent=absent, undefined=None if class_id is not None else _a_class_without_weight,
    )


SPECS: tuple[MetricSpec, ...] = (
    _auc("ROC"),
    _auc("PR"),
    _keras_only_auc({"num_thresholds": 50}),
    _keras_only_auc({"summation_method": "minoring"}),
    _keras_only_auc({"summation_method": "majoring"}),
    _keras_only_auc({"curve": "PR", "summation_method": "majoring"}),
    _keras_only_auc({"thresholds": [0.1, 0.3, 0.5, 0.55, 0.9]}),
    _from_logits_auc(),
    _multilabel_auc("macro"),
    _multilabel_auc("micro"),
    _multiclass_auroc(),
    _average_precision("multiclass"),
    _average_precision("multilabel"),
    _average_precision("multilabel", "micro"),
    _binned_average_precision(5),
    _at_metric("PrecisionAtRecall", ref.precision_at_recall, "recall", 0.5, "PrecisionAtFixedRecall", "min_recall"),
    _at_metric("RecallAtPrecision", ref.recall_at_precision, "precision", 0.8, "RecallAtFixedPrecision",
               "min_precision"),
    _at_metric("SensitivityAtSpecificity", ref.sensitivity_at_specificity, "specificity", 0.5,
               "SensitivityAtSpecificity", "min_specificity"),
    _at_metric("SpecificityAtSensitivity", ref.specificity_at_sensitivity, "sensitivity", 0.5,
               "SpecificityAtSensitivity", "min_sensitivity"),
    _at_metric("PrecisionAtRecall", ref.precision_at_recall, "recall", 0.5, "PrecisionAtFixedRecall", "min_recall",
               num_thresholds=50),
    _at_metric("RecallAtPrecision", ref.recall_at_precision, "precision", 0.8, "RecallAtFixedPrecision",
               "min_precision", class_id=1),
)
