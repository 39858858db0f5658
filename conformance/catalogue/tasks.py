"""Classification metrics on the tasks the classification family binds for another one, and the rates it lacks:
the binary F-beta (and F1) score, accuracy and specificity per label, the negative predictive value, the stat
scores, the exact match of label sets, balanced accuracy and the zero-one loss."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue import float32
from conformance.catalogue.classification import (
    KERAS_FBETA_COLUMN_WEIGHTS,
    KERAS_FBETA_EPSILON,
    NORMALIZE,
    TORCHMETRICS_AUTO_SIGMOID,
    ZERO_DIVISION,
    threshold_parameter,
)
from conformance.catalogue.model import (
    EVERY_PROPERTY,
    NUM_CLASSES,
    Binding,
    Counterpart,
    KnownDifference,
    MetricSpec,
    Parameter,
    Unsupported,
    Witness,
    batch,
)
from conformance.domains import BINARY, LABEL_PAIRS, MULTICLASS, MULTILABEL

TM = "torchmetrics.classification"
NO_KERAS = "Keras has no {} (nearest: its TruePositives, FalsePositives, TrueNegatives and FalseNegatives at one " \
           "threshold)"
NO_SKLEARN = "scikit-learn has no {} (nearest: multilabel_confusion_matrix, then the ratio by hand)"


def _average(values: tuple, library_keyword: str = "average") -> Parameter:
    """torchmetrics' ``average`` over labels or classes (scikit-learn and Keras have no such metric here)."""
    return Parameter("average", values, spellings={"torchmetrics": library_keyword},
                     absent={"keras": "no such metric", "sklearn": "no such metric"})


TORCHMETRICS_SIGMOID = KnownDifference("torchmetrics", **TORCHMETRICS_AUTO_SIGMOID)

# The misclassified one's weight (2e-37) is lost in the float32 total; outside, a weight the total keeps exactly.
MISCLASSIFIED_TINY = batch([0, 1], [0, 0], [1.0, 2e-37])
SKLEARN_ZERO_ONE_COUNT_FLOAT32 = KnownDifference(
    "sklearn", what="scikit-learn's zero_one_loss(normalize=False) subtracts two float32 sums, the total weight and "
    "the weight of the right samples: the count carries their rounding, however small it is, as a difference of "
    "nearly equal sums (misclassified weights [2e-37] beside right ones [1.0] give 0.0; every sample right with "
    "weights [9.3e-7, 2.2, 10, 8.3] gives -1.9e-6, a negative count). Explained only within the float32 bounds of "
    "those sums.",
    cause="zero_one_loss returns n_samples - score with n_samples = xp.sum(sample_weight) (float32) and score = "
          "accuracy_score(normalize=False), the float32 sum of the right samples' weights; the misclassified "
          "weights are never summed on their own.",
    where="sklearn/metrics/_classification.py::zero_one_loss", reference=float32.zero_one_loss,
    bounds=float32.SIDES, when={"normalize": (False,)}, kind="defect", properties=EVERY_PROPERTY,
    witness=Witness(inside=(MISCLASSIFIED_TINY,),
                    outside=(batch([0, 1], [0, 0], [1.0, 0.5]),),
                    parameters={"normalize": False}))

# -- the binary F-beta score and its F1 counterparts -------------------------------------------------------------------

BINARY_FBETA = dict(beta=1.0, average="micro", threshold=0.5)  # the reference on one column: class 1's F-beta
# score > t is positive: 0.5 first, then 0.25, 0.75, 0 and any float32 in (0, 1), on scores drawn around them
BINARY_THRESHOLD = threshold_parameter("threshold", binary=True)
BINARY_THRESHOLD = replace(BINARY_THRESHOLD, unsupported=(*BINARY_THRESHOLD.unsupported, Unsupported(
    "keras", {"threshold": (0.0,)}, "Keras' FBetaScore and F1Score take 0 < threshold <= 1 ('Invalid `threshold` "
    "argument value. It should verify 0 < threshold <= 1': keras/src/metrics/f_score_metrics.py::FBetaScore)")))
LABEL_THRESHOLD = threshold_parameter(None)  # each label's score > t: torchmetrics' threshold (no Keras binding)
BETA = Parameter("beta", (1.0, 0.5, 2.0), spellings={"keras": "beta", "sklearn": "beta", "torchmetrics": "beta"})
KERAS_EPSILON = KnownDifference("keras", **{**KERAS_FBETA_EPSILON, "overrides": {"epsilon": 1e-7}})
COLUMN = ("column", "column")


# Keras' (n, n, 1) broadcast of (n, 1) weights, on the (n, 1) columns this binding presents: the wrong prediction
# (0.3 for a positive) weighs most; outside, equal weights (a total weight scales every count alike).
FOUR = batch([1, 0, 1, 1], [0.9, 0.2, 0.3, 0.8])
KERAS_COLUMN_WEIGHTS = KnownDifference("keras", **{
    **KERAS_FBETA_COLUMN_WEIGHTS, "layouts": (("column", "column", "column"),),
    "witness": Witness(inside=(FOUR.with_weights(np.array([1.0, 2.0, 3.0, 4.0], np.float32)),),
                       outside=(FOUR.with_weights(np.array([2.0, 2.0, 2.0, 2.0], np.float32)),),
                       layout=("column", "column", "column"), metric="FBetaScore[task=binary]")})


def _binary_fbeta() -> MetricSpec:
    """F-beta of class 1 at score > 0.5; the F1 classes are its counterparts at beta = 1 (their spec draws no beta:
    the catalogue's beta, 1.0, is theirs)."""
    keras_known = (KERAS_EPSILON, KERAS_COLUMN_WEIGHTS)
    return MetricSpec(
        name="FBetaScore", reference=ref.fbeta_score, params=dict(BINARY_FBETA), variant={"task": "binary"},
        domain=BINARY, decomposition="none", growth=tol.F_SCORE, scale=1.0,
        bindings={
            # Keras' F-scores take (n, C) rows: one column of class-1 scores, averaged micro, is class 1's score.
            "keras": Binding("keras.metrics.FBetaScore", {"beta": 1.0, "average": "micro", "threshold": 0.5},
                             layout=COLUMN),
            "sklearn": Binding("sklearn.metrics.fbeta_score", {"beta": 1.0, "zero_division": 0.0},
                               y_pred="above-threshold"),
            "torchmetrics": Binding(f"{TM}.BinaryFBetaScore", {"beta": 1.0, "threshold": 0.5}, weights=False),
        },
        known=(*keras_known, TORCHMETRICS_SIGMOID), space=(BETA, ZERO_DIVISION, BINARY_THRESHOLD),
        counterparts=(
            Counterpart("keras", Binding("keras.metrics.F1Score", {"average": "micro", "threshold": 0.5},
                                         layout=COLUMN), known=keras_known, space=(BINARY_THRESHOLD,)),
            Counterpart("sklearn", Binding("sklearn.metrics.f1_score", {"zero_division": 0.0},
                                           y_pred="above-threshold"), space=(ZERO_DIVISION, BINARY_THRESHOLD)),
            Counterpart("torchmetrics", Binding(f"{TM}.BinaryF1Score", {"threshold": 0.5}, weights=False),
                        space=(ZERO_DIVISION, BINARY_THRESHOLD)),
        ),
    )


# -- rates of each label or class ----------------------------------------------------------------------------------

def _multilabel_accuracy() -> MetricSpec:
    # 'weighted' (by each label's positives) is not drawn: the value is then no mean of per-sample values, which
    # this spec's decomposition (and Keras' BinaryAccuracy, the micro mean) states; micro and macro coincide.
    return MetricSpec(
        name="Accuracy", reference=ref.label_accuracy, params={"threshold": 0.5, "average": "micro"},
        variant={"task": "multilabel"}, domain=MULTILABEL, decomposition="mean", growth=tol.RATIO, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.BinaryAccuracy", {"threshold": 0.5}),
            "torchmetrics": Binding(f"{TM}.MultilabelAccuracy",
                                    {"num_labels": NUM_CLASSES, "threshold": 0.5, "average": "micro"}, weights=False),
        },
        space=(_average(("micro", "macro", "none")), threshold_parameter("threshold")), known=(TORCHMETRICS_SIGMOID,),
        absent={"sklearn": "scikit-learn's accuracy_score of multilabel rows is the exact match of each row (checked "
                           "under ExactMatch[task=multilabel]); the share of right labels is 1 - hamming_loss"},
    )


def _multilabel_specificity() -> MetricSpec:
    return MetricSpec(
        name="Specificity", reference=ref.label_specificity, params={"threshold": 0.5, "average": "macro"},
        variant={"task": "multilabel"}, domain=MULTILABEL, decomposition="none", growth=tol.F_SCORE, scale=1.0,
        bindings={"torchmetrics": Binding(f"{TM}.MultilabelSpecificity",
                                          {"num_labels": NUM_CLASSES, "threshold": 0.5, "average": "macro"},
                                          weights=False)},
        space=(_average(("macro", "micro", "weighted", "none")), LABEL_THRESHOLD), known=(TORCHMETRICS_SIGMOID,),
        absent={"keras": NO_KERAS.format("specificity at a threshold"), "sklearn": NO_SKLEARN.format("specificity")},
    )


# Inside, some label or class is never predicted negative (tn + fn = 0), where zero_division=1 should give 1;
# outside, each one is predicted negative somewhere.
NPV_WITNESSES = {
    "Binary": (batch([0, 0], [1.0, 0.75]), batch([0, 0], [1.0, 0.25])),
    # class 0 predicted for both samples; outside, each class predicted once
    "Multiclass": (batch([0, 1], [[0.9, 0.1], [0.8, 0.2]], num_classes=2),
                   batch([0, 1], [[0.9, 0.1], [0.2, 0.8]], num_classes=2)),
    # both labels predicted for the one row; outside, each label predicted negative in some row
    "Multilabel": (batch([[0, 1]], [[0.9, 0.8]], num_classes=2),
                   batch([[0, 1], [1, 0]], [[0.9, 0.2], [0.1, 0.8]], num_classes=2)),
}

# The sigmoid and the zero_division defect at once, at threshold 0.25: inside, the logit -1 (sigmoid 0.27) sends the
# update through the sigmoid and is predicted positive, as is every other score of its label (or row): nothing is
# predicted negative, 0 not 1; outside, the same targets with scores in [0, 1] (no sigmoid), predicted negative.
NPV_SIGMOID_WITNESSES = {
    "binary": (batch([0], [-1.0]), batch([0], [0.1])),
    "multilabel": (batch([[0, 0]], [[-1.0, 0.1]], num_classes=2), batch([[0, 0]], [[0.1, 0.2]], num_classes=2)),
}

def _torchmetrics_npv_ignores_zero_division(task: str) -> KnownDifference:
    return KnownDifference(
        "torchmetrics", what="torchmetrics' NegativePredictiveValue classes take zero_division but ignore it: where "
        "nothing is predicted negative (tn + fn = 0) the value is 0 whatever zero_division says (1.0 gives 0.0).",
        cause="compute() calls _negative_predictive_value_reduce(tp, fp, tn, fn, average=..., multidim_average=...) "
              "without zero_division=self.zero_division (which the StatScores base stores), so _safe_divide uses "
              "its default 0; Precision.compute passes it.",
        where=f"torchmetrics/classification/negative_predictive_value.py::{task}NegativePredictiveValue.compute",
        overrides={"zero_division": 0.0}, kind="defect",
        witness=Witness(inside=(NPV_WITNESSES[task][0],), outside=(NPV_WITNESSES[task][1],),
                        parameters={"zero_division": 1.0}, metric=f"NegativePredictiveValue[task={task.lower()}]"),
    )


TORCHMETRICS_MACRO_EXCLUDES_ABSENT = KnownDifference(
    "torchmetrics", what="A class with no true, predicted or missed sample (tp + fp + fn = 0) is left out of "
    "torchmetrics' multiclass macro mean; the reference counts it.",
    cause="_adjust_weights_safe_divide sets the weight of classes with tp + fp + fn == 0 to 0 for average='macro' "
          "(not for multilabel inputs).",
    where="torchmetrics/utilities/compute.py::_adjust_weights_safe_divide",
    overrides={"absent_classes": "exclude"},
)


def _npv(task: str) -> MetricSpec:
    torch_class = f"{TM}.{task.capitalize()}NegativePredictiveValue"
    zero_division = ZERO_DIVISION
    if task == "binary":
        bindings = {
            "sklearn": Binding("sklearn.metrics.precision_score", {"pos_label": 0, "zero_division": 0.0},
                               y_pred="above-threshold"),
            "torchmetrics": Binding(torch_class, {"threshold": 0.5}, weights=False),
        }
        params, domain = {"threshold": 0.5, "average": "binary"}, BINARY
        space = (zero_division, threshold_parameter(None, binary=True))
        known = [TORCHMETRICS_SIGMOID]
    else:
        count = {"num_classes": NUM_CLASSES} if task == "multiclass" else {"num_labels": NUM_CLASSES,
                                                                           "threshold": 0.5}
        bindings = {"torchmetrics": Binding(torch_class, {**count, "average": "macro"}, weights=False)}
        params = {"threshold": None if task == "multiclass" else 0.5, "average": "macro"}
        domain = MULTICLASS if task == "multiclass" else MULTILABEL
        zero_division = replace(ZERO_DIVISION, spellings={"torchmetrics": "zero_division"},
                                absent={"keras": "no such metric", "sklearn": "no such metric"})
        space = (_average(("macro", "micro", "weighted", "none")), zero_division,
                 *((LABEL_THRESHOLD,) if task == "multilabel" else ()))
        known = [TORCHMETRICS_MACRO_EXCLUDES_ABSENT if task == "multiclass" else TORCHMETRICS_SIGMOID]
    known.append(_torchmetrics_npv_ignores_zero_division(task.capitalize()))
    if task in NPV_SIGMOID_WITNESSES:  # the zero_division defect and the sigmoid, both at once
        inside, outside = NPV_SIGMOID_WITNESSES[task]
        known.append(replace(
            TORCHMETRICS_SIGMOID, what="Both of the above at once: scores outside [0, 1] put through a sigmoid per "
            "update, and zero_division ignored (0) where nothing is then predicted negative.",
            cause="See the two declarations above.", overrides={"zero_division": 0.0},
            where=f"{TORCHMETRICS_SIGMOID.where}; torchmetrics/classification/negative_predictive_value.py::"
                  f"{task.capitalize()}NegativePredictiveValue.compute",
            witness=Witness(inside=(inside,), outside=(outside,), parameters={"threshold": 0.25, "zero_division": 1.0},
                            metric=f"NegativePredictiveValue[task={task}]")))
    if task == "multiclass":  # the zero_division defect and the absent classes, both at once
        known.append(KnownDifference(
            "torchmetrics", what="Both of the above at once: zero_division ignored (0) and absent classes left out of "
            "the macro mean.", cause="See the two declarations above.",
            where="torchmetrics/classification/negative_predictive_value.py::MulticlassNegativePredictiveValue."
                  "compute; torchmetrics/utilities/compute.py::_adjust_weights_safe_divide",
            overrides={"zero_division": 0.0, "absent_classes": "exclude"}, kind="defect",
            # class 0 predicted for both samples and class 2 absent: 0.25 where the reference gives 0.83 (either
            # rule alone 0.5 or 0.75); outside, each of two classes predicted once
            witness=Witness(inside=(batch([0, 1], [[0.9, 0.1, 0.0], [0.8, 0.2, 0.0]], num_classes=3),),
                            outside=(NPV_WITNESSES["Multiclass"][1],), parameters={"zero_division": 1.0},
                            metric="NegativePredictiveValue[task=multiclass]")))
    return MetricSpec(
        name="NegativePredictiveValue", reference=ref.negative_predictive_value, params=params,
        variant={"task": task}, domain=domain, decomposition="none", growth=tol.F_SCORE, scale=1.0, bindings=bindings,
        space=space, known=tuple(known),
        absent={"keras": NO_KERAS.format("negative predictive value"),
                **({} if task == "binary" else {"sklearn": NO_SKLEARN.format("negative predictive value")})},
    )


def _stat_scores(task: str) -> MetricSpec:
    count = {"num_classes": NUM_CLASSES} if task == "multiclass" else {"num_labels": NUM_CLASSES, "threshold": 0.5}
    return MetricSpec(
        name="StatScores", reference=ref.stat_scores,
        params={"threshold": None if task == "multiclass" else 0.5, "average": "micro"}, variant={"task": task},
        domain=MULTICLASS if task == "multiclass" else MULTILABEL, decomposition="sum", growth=tol.SUM, scale=0.0,
        ratio=False,
        bindings={"torchmetrics": Binding(f"{TM}.{task.capitalize()}StatScores", {**count, "average": "micro"},
                                          weights=False)},
        space=(_average(("micro", "macro", "weighted", "none")), *(() if task == "multiclass" else (LABEL_THRESHOLD,))),
        known=() if task == "multiclass" else (TORCHMETRICS_SIGMOID,),
        absent={"keras": NO_KERAS.format("stat scores"),
                "sklearn": "scikit-learn has no stat scores (nearest: multilabel_confusion_matrix, the same counts "
                           "as one [[tn, fp], [fn, tp]] matrix per class, checked under "
                           "ConfusionMatrix[task=multilabel])"},
    )


# -- the exact match of label sets, the zero-one loss and balanced accuracy --------------------------------------------

SKLEARN_ADJUSTED_ONE_CLASS = KnownDifference(
    "sklearn", what="balanced_accuracy_score(adjusted=True) of data whose true labels are one class only divides by "
    "1 - 1/1 = 0: it returns -inf (or NaN where every sample is right) with a warning; the adjusted score is "
    "undefined there, NaN in the reference.",
    cause="score -= chance; score /= 1 - chance, with chance = 1 / n_classes and n_classes = 1 (NumPy's float "
          "division by zero).",
    where="sklearn/metrics/_classification.py::balanced_accuracy_score", undefined_as=(-np.inf,),
)


SPECS: tuple[MetricSpec, ...] = (
    _binary_fbeta(),
    _multilabel_accuracy(),
    _multilabel_specificity(),
    _npv("binary"), _npv("multiclass"), _npv("multilabel"),
    _stat_scores("multiclass"), _stat_scores("multilabel"),
    MetricSpec(
        name="ExactMatch", reference=ref.exact_match, params={"threshold": 0.5}, variant={"task": "multilabel"},
        domain=MULTILABEL, decomposition="mean", growth=tol.RATIO, scale=1.0,
        bindings={
            "sklearn": Binding("sklearn.metrics.accuracy_score", y_pred="above-threshold"),
            "torchmetrics": Binding(f"{TM}.MultilabelExactMatch", {"num_labels": NUM_CLASSES, "threshold": 0.5},
                                    weights=False),
        },
        space=(threshold_parameter(None),), known=(TORCHMETRICS_SIGMOID,),
        absent={"keras": "Keras has no exact-match metric of label sets (nearest: BinaryAccuracy, per label)"},
    ),
    MetricSpec(
        name="ZeroOneLoss", reference=ref.zero_one_loss, domain=LABEL_PAIRS, decomposition="mean", growth=tol.RATIO,
        scale=1.0, bindings={"sklearn": Binding("sklearn.metrics.zero_one_loss")},
        space=(replace(NORMALIZE, absent={"keras": "no such metric", "torchmetrics": "no such metric"}),),
        known=(SKLEARN_ZERO_ONE_COUNT_FLOAT32,),
        absent={"keras": "Keras has no zero-one loss (nearest: 1 - Accuracy)",
                "torchmetrics": "torchmetrics has no zero-one loss (nearest: 1 - MulticlassAccuracy(average='micro'))"},
    ),
    MetricSpec(
        name="BalancedAccuracy", reference=ref.balanced_accuracy, domain=LABEL_PAIRS, decomposition="none",
        growth=tol.F_SCORE, scale=1.0, bindings={"sklearn": Binding("sklearn.metrics.balanced_accuracy_score")},
        space=(Parameter("adjusted", (False, True), spellings={"sklearn": "adjusted"},
                         absent={"keras": "no such metric", "torchmetrics": "no such metric"}),),
        known=(SKLEARN_ADJUSTED_ONE_CLASS,),
        absent={"keras": "Keras has no balanced accuracy",
                "torchmetrics": "torchmetrics has no balanced accuracy (nearest: MulticlassRecall(average='macro'), "
                                "which also counts classes only predicted)"},
    ),
)
