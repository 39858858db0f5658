"""Confusion-matrix metrics that scikit-learn and torchmetrics share and Keras lacks: the confusion matrix,
Matthews correlation, Cohen's kappa, Hamming distance and specificity (binary, multiclass, multilabel)."""

from __future__ import annotations

import numpy as np

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue import float32
from conformance.catalogue.classification import (
    AVERAGES,
    TORCHMETRICS_AUTO_SIGMOID,
    TORCHMETRICS_LABEL_TOP_K_TIES,
    TORCHMETRICS_MACRO_ABSENT,
    average_parameter,
    threshold_parameter,
    top_k_parameter,
)
from conformance.catalogue.float32 import SIDES
from conformance.catalogue.library_wide import PER_SAMPLE_PROPERTIES
from conformance.catalogue.model import (
    CLASS_RANGE,
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
from conformance.domains import BINARY, MULTICLASS, MULTILABEL, PADDING

TM = "torchmetrics.classification"

NO_KERAS = {
    "ConfusionMatrix": "Keras has no confusion-matrix metric (nearest: TruePositives, FalsePositives, TrueNegatives, "
                       "FalseNegatives for binary; IoU keeps one internally but reports IoU)",
    "MatthewsCorrCoef": "Keras has no Matthews correlation coefficient (nearest: PearsonCorrelation on 0/1 labels, "
                        "which is the binary MCC)",
    "CohenKappa": "Keras has no Cohen's kappa",
    "HammingDistance": "Keras has no Hamming distance (nearest: 1 - BinaryAccuracy, 1 - Accuracy)",
    "Specificity": "Keras has no specificity at a fixed threshold (nearest: TrueNegatives / (TrueNegatives + "
                   "FalsePositives); SpecificityAtSensitivity picks its own threshold)",
}

TORCHMETRICS_BINARY_MCC = dict(
    what="Where the Matthews coefficient is undefined (a row or column of the 2 x 2 confusion matrix is empty), "
         "torchmetrics returns 1.0 if nothing is misclassified, -1.0 if nothing is right, and otherwise the value of "
         "a formula smoothed by float32's epsilon (e.g. 1/sqrt(30) = 0.18 for tp = 3, fp = 2, fn = tn = 0); "
         "scikit-learn and the reference return 0.0.",
    cause="_matthews_corrcoef_reduce special-cases a 2 x 2 matrix (any binary task, or multiclass with 2 classes) "
          "before and after computing the denominator, following Chicco & Jurman (BMC Genomics 2020).",
    where="torchmetrics/functional/classification/matthews_corrcoef.py::_matthews_corrcoef_reduce",
    overrides={"undefined": "torchmetrics"},
)



def _multilabel_confusion_float32(y_true, y_score, *, sample_weight=None, side: int, **params):
    """The multilabel confusion matrices with each derived count moved by the float32 rounding of its subtraction
    (``side`` -1 or +1: an end of its interval): ``fp = Σw·predicted - tp``, ``fn = Σw·true - tp`` and
    ``tn = Σw - tp - fp - fn``, all within the rounding of ``Σw`` (in the weights' dtype: ``float32.unit()``)."""
    matrices = ref.multilabel_confusion_matrix(y_true, y_score, sample_weight=sample_weight, **params)
    weights = np.ones(len(y_true)) if sample_weight is None else np.asarray(sample_weight, np.float64)
    slack = (2 * len(weights) + 6) * float32.unit() * weights.sum()
    for row, column in ((0, 0), (0, 1), (1, 0)):
        matrices[:, row, column] += side * slack
    return matrices


# Label 0 has one true positive, one false negative and one false positive: no true negative.
MULTILABEL_THREE = ([[1, 0], [1, 0], [0, 1]], [[0.75, 0.0], [0.0, 0.0], [0.75, 0.75]])
SKLEARN_MULTILABEL_FLOAT32 = KnownDifference(
    "sklearn", what="scikit-learn's multilabel_confusion_matrix derives false positives, false negatives and true "
    "negatives by subtraction in the weights' float32 (fp = pred_sum - tp, fn = true_sum - tp, tn = Σw - tp - fp - "
    "fn), so a true-negative count that should be 0 comes out as -1.2e-07, and a count of tiny weights beside "
    "large ones keeps only Σw's rounding. Explained only within the float32 rounding of Σw.",
    cause="tp_sum, pred_sum and true_sum are float32 weighted bincounts; the other cells are their differences, "
          "not counted.",
    where="sklearn/metrics/_classification.py::multilabel_confusion_matrix",
    reference=_multilabel_confusion_float32, bounds=SIDES, kind="defect", properties=EVERY_PROPERTY,
    witness=Witness(inside=(batch(*MULTILABEL_THREE, [0.3, 0.6, 0.1], num_classes=2),),
                    outside=(batch(*MULTILABEL_THREE, [1.0, 2.0, 3.0], num_classes=2),)),
)


def _spec(name: str, task: str, reference, *, domain, decomposition, growth, scale, bindings, params=None,
          variant=None, ratio=True, known=(), absent=None, space=(), counterparts=()) -> MetricSpec:
    """A spec of the family; on binary or multilabel scores the threshold is drawn (torchmetrics', and the labels
    scikit-learn is given), and torchmetrics' automatic sigmoid declared."""
    torchmetrics = "torchmetrics" in bindings
    thresholded = domain in (BINARY, MULTILABEL)
    sigmoid = (KnownDifference("torchmetrics", **TORCHMETRICS_AUTO_SIGMOID),) if torchmetrics and thresholded else ()
    if thresholded:
        space = (threshold_parameter(None, binary=domain is BINARY, sklearn="sklearn" in bindings), *space)
    return MetricSpec(
        name=name, reference=reference, params=params or {}, variant={"task": task, **(variant or {})},
        domain=domain, decomposition=decomposition, growth=growth, scale=scale, ratio=ratio, bindings=bindings,
        known=tuple(known) + sigmoid, absent={"keras": NO_KERAS[name], **(absent or {})}, space=tuple(space),
        counterparts=counterparts,
    )


# A confusion matrix normalized by its rows ("true"), columns ("pred") or total: ratios, not sums.
NORMALIZED = dict(decomposition="none", growth=tol.RATIO, scale=1.0, ratio=True)


def _normalize(sklearn: bool = True) -> Parameter:
    return Parameter("normalize", (None, "true", "pred", "all"),
                     spellings={"torchmetrics": "normalize", **({"sklearn": "normalize"} if sklearn else {})},
                     changes=lambda normalize: {} if normalize is None else NORMALIZED,
                     absent={"sklearn": "scikit-learn's multilabel_confusion_matrix has no normalize"})


def _confusion_matrices() -> tuple[MetricSpec, ...]:
    """Binary, multiclass and multilabel confusion matrices, normalized as drawn (the threshold of scores drawn;
    torchmetrics' ignore_index by trait)."""
    counts = dict(decomposition="sum", growth=tol.SUM, scale=0.0, ratio=False)
    return (
        _spec("ConfusionMatrix", "binary", ref.confusion_matrix, domain=BINARY,
              params={"num_classes": 2, "threshold": 0.5},
              bindings={
                  "sklearn": Binding("sklearn.metrics.confusion_matrix", {"labels": [0, 1]}, y_pred="above-threshold"),
                  "torchmetrics": Binding(f"{TM}.BinaryConfusionMatrix", weights=False),
              }, space=(_normalize(),), **counts),
        _spec("ConfusionMatrix", "multiclass", ref.confusion_matrix, domain=MULTICLASS,
              params={"num_classes": NUM_CLASSES},
              bindings={
                  "sklearn": Binding("sklearn.metrics.confusion_matrix", {"labels": CLASS_RANGE}, y_pred="argmax"),
                  "torchmetrics": Binding(f"{TM}.MulticlassConfusionMatrix", {"num_classes": NUM_CLASSES},
                                          weights=False),
              }, space=(_normalize(),), **counts),
        _spec("ConfusionMatrix", "multilabel", ref.multilabel_confusion_matrix, domain=MULTILABEL,
              params={"threshold": 0.5},
              bindings={
                  "sklearn": Binding("sklearn.metrics.multilabel_confusion_matrix", y_pred="above-threshold"),
                  "torchmetrics": Binding(f"{TM}.MultilabelConfusionMatrix", {"num_labels": NUM_CLASSES},
                                          weights=False),
              }, known=(SKLEARN_MULTILABEL_FLOAT32,), space=(_normalize(sklearn=False), Parameter(
                  "samplewise", (False, True), spellings={"sklearn": "samplewise"},
                  changes=lambda samplewise: {"decomposition": "none"} if samplewise else {},
                  unsupported=(Unsupported("sklearn", {"samplewise": (True,)}, "one matrix per sample, in the data's "
                                           "order: per-batch matrices of different lengths have no mean, and a "
                                           "permutation permutes them", properties=PER_SAMPLE_PROPERTIES),),
                  absent={"torchmetrics": "torchmetrics' MultilabelConfusionMatrix has one matrix per label"})),
              **counts),
    )


def _matthews() -> tuple[MetricSpec, ...]:
    """Binary and multiclass as scikit-learn computes them; multilabel as torchmetrics does (every cell of the
    label matrix one binary decision: the per-label 2 x 2 matrices summed)."""
    growth = dict(decomposition="none", growth=tol.CURVE, scale=1.0)  # products of sums, differenced, then sqrt
    binary_sigmoid_and_limits = KnownDifference(
        "torchmetrics", **{**TORCHMETRICS_AUTO_SIGMOID, "overrides": {"undefined": "torchmetrics"},
                           "what": TORCHMETRICS_AUTO_SIGMOID["what"] + " (Here together with its binary limits.)"})
    return (
        _spec("MatthewsCorrCoef", "binary", ref.matthews_corrcoef, domain=BINARY, params={"threshold": 0.5},
              bindings={
                  "sklearn": Binding("sklearn.metrics.matthews_corrcoef", y_pred="above-threshold"),
                  "torchmetrics": Binding(f"{TM}.BinaryMatthewsCorrCoef", weights=False),
              }, known=(KnownDifference("torchmetrics", **TORCHMETRICS_BINARY_MCC), binary_sigmoid_and_limits),
              **growth),
        _spec("MatthewsCorrCoef", "multiclass", ref.matthews_corrcoef, domain=MULTICLASS,
              params={"num_classes": NUM_CLASSES},
              bindings={
                  "sklearn": Binding("sklearn.metrics.matthews_corrcoef", y_pred="argmax"),
                  "torchmetrics": Binding(f"{TM}.MulticlassMatthewsCorrCoef", {"num_classes": NUM_CLASSES},
                                          weights=False),
              }, known=(KnownDifference("torchmetrics", **TORCHMETRICS_BINARY_MCC),), **growth),
        _spec("MatthewsCorrCoef", "multilabel", ref.matthews_corrcoef, domain=MULTILABEL, params={"threshold": 0.5},
              bindings={"torchmetrics": Binding(f"{TM}.MultilabelMatthewsCorrCoef",
                                                {"num_labels": NUM_CLASSES}, weights=False)},
              known=(KnownDifference("torchmetrics", **TORCHMETRICS_BINARY_MCC), binary_sigmoid_and_limits),
              absent={"sklearn": "scikit-learn's matthews_corrcoef rejects multilabel targets ('multilabel-indicator "
                                 "is not supported'; nearest: matthews_corrcoef on the flattened label matrix)"},
              **growth),
    )


UNDEFINED_KAPPA = Parameter(
    "undefined", (float("nan"), 0.0, -1.0), spellings={"sklearn": "replace_undefined_by"},
    absent={"torchmetrics": "torchmetrics' CohenKappa has no replacement for an undefined kappa (it is NaN)"})


def _kappa() -> tuple[MetricSpec, ...]:
    growth = dict(decomposition="none", growth=tol.CURVE, scale=1.0)  # weighted sums of a matrix and its outer product
    return (
        _spec("CohenKappa", "binary", ref.cohen_kappa, domain=BINARY, params={"threshold": 0.5},
              bindings={
                  "sklearn": Binding("sklearn.metrics.cohen_kappa_score", {"labels": [0, 1]},
                                     y_pred="above-threshold"),
                  "torchmetrics": Binding(f"{TM}.BinaryCohenKappa", weights=False),
              }, space=(UNDEFINED_KAPPA,), **growth),
        _spec("CohenKappa", "multiclass", ref.cohen_kappa, domain=MULTICLASS,
              params={"num_classes": NUM_CLASSES, "weights": "quadratic"}, variant={"weights": "quadratic"},
              bindings={
                  "sklearn": Binding("sklearn.metrics.cohen_kappa_score", {"labels": CLASS_RANGE}, y_pred="argmax"),
                  "torchmetrics": Binding(f"{TM}.MulticlassCohenKappa", {"num_classes": NUM_CLASSES}, weights=False),
              }, space=(Parameter("weights", ("quadratic", None, "linear"),
                                  spellings={"sklearn": "weights", "torchmetrics": "weights"}), UNDEFINED_KAPPA),
              **growth),
    )


def _torchmetrics_hamming_of_nothing(witness: Witness | None, when: dict | None = None,
                                     nothing: str = "no sample that counts (every target the ignore_index)"
                                     ) -> KnownDifference:
    return KnownDifference(
        "torchmetrics", when=when or {}, what=f"With {nothing}, torchmetrics' Hamming distance is 1.0; the "
        "reference's, like scikit-learn's of zero weight, is 0.0 (nothing is wrong).",
        cause="The Hamming distance is computed as 1 - accuracy, and the accuracy of no sample is 0 (_safe_divide "
              "of 0 by 0).",
        where="torchmetrics/functional/classification/hamming.py::_hamming_distance_reduce; "
              "torchmetrics/utilities/compute.py::_safe_divide",
        overrides={"no_samples": 1.0}, witness=witness,
    )


def _torchmetrics_sigmoid_and_hamming_of_nothing(witness: Witness | None = None, when: dict | None = None,
                                                 nothing: str = "a sample with no element that counts (every target "
                                                                "the ignore_index)") -> KnownDifference:
    """Both at once: one value per sample (multidim_average='samplewise'), a sample whose every element is ignored
    (1.0) beside one whose logits the sigmoid decides (globally, with no sample counted the sigmoid decides nothing;
    multilabel, a label of no cell beside another whose logits it decides)."""
    nothing_known = _torchmetrics_hamming_of_nothing(None)
    return KnownDifference(
        "torchmetrics", **{**TORCHMETRICS_AUTO_SIGMOID, "overrides": nothing_known.overrides, "when": when or {},
                           "what": "Both at once: scores outside [0, 1] put through a sigmoid per update, and "
                                   f"{nothing} at 1.0.",
                           "cause": f"{TORCHMETRICS_AUTO_SIGMOID['cause']} {nothing_known.cause}",
                           "where": f"{TORCHMETRICS_AUTO_SIGMOID['where']}; {nothing_known.where}",
                           # inside: sample 0 all ignored (1.0, not 0.0), sample 1's logit -2 (sigmoid 0.12 > 0)
                           # right (0.0, not 1.0); outside, sample 0 counts and sample 1's 0.5 is no logit
                           "witness": witness or Witness(inside=(batch([[0], [1]], [[0.0], [-2.0]]),),
                                                         outside=(batch([[1], [1]], [[0.0], [0.5]]),),
                                                         parameters={"ignore_index": 0, "threshold": 0.0,
                                                                     "multidim_average": "samplewise"},
                                                         metric="HammingDistance[task=binary]")})


def _hamming() -> tuple[MetricSpec, ...]:
    mean = dict(decomposition="mean", growth=tol.RATIO, scale=1.0)
    ignored = {"ignore_index": 0}  # inside: the one sample ignored; outside: another one counts (and is right)
    per_class = {"decomposition": "none", "growth": tol.F_SCORE}
    multiclass_known = (
        _torchmetrics_hamming_of_nothing(Witness(
            inside=(batch([0], [[0.7, 0.2, 0.1]], num_classes=3),),
            outside=(batch([0, 1], [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1]], num_classes=3),),
            parameters=ignored), when={"average": ("micro",)}),
        KnownDifference(
            "torchmetrics", what="Averaged per class, torchmetrics' Hamming distance leaves a class with no true, "
            "predicted or missed sample out of the mean, and scores a class with no sample of its own but predicted "
            "1.0 (1 - a recall of 0 / 0 = 0), and the average of no sample at all 0.0; the reference counts every "
            "class, one without samples as 0.0 (nothing of it is wrong).",
            cause="_hamming_distance_reduce: 1 - _safe_divide(tp, tp + fn) per class (0 / 0 is 0), then "
                  "_adjust_weights_safe_divide zeroes the weights of classes with tp + fp + fn == 0.",
            where="torchmetrics/functional/classification/hamming.py::_hamming_distance_reduce; "
                  "torchmetrics/utilities/compute.py::_adjust_weights_safe_divide",
            overrides={"absent_classes": "exclude", "no_samples": 1.0, "empty_average": 0.0},
            when={"average": ("macro", "weighted", None)}),
        KnownDifference("torchmetrics", **{**TORCHMETRICS_LABEL_TOP_K_TIES, "overrides": {
            "absent_classes": "exclude", "no_samples": 1.0, "empty_average": 0.0}}),
    )
    # inside: label 1's one cell ignored (macro: its 1.0 beside label 0's 0.0); just outside, another row keeps a
    # cell of label 1 (right: 0.0)
    multilabel_of_nothing = _torchmetrics_hamming_of_nothing(
        Witness(inside=(batch([[0, PADDING]], [[0.0, 0.0]], num_classes=2),),
                outside=(batch([[0, PADDING], [0, 0]], [[0.0, 0.0], [0.0, 0.0]], num_classes=2),),
                parameters={"ignore_index": PADDING, "average": "macro"}),
        when={"ignore_index": (PADDING,)}, nothing="no cell of a label that counts (each of its targets the "
        "ignore_index; average='micro': no cell at all)")
    # both at once, per label: label 0's logit -1 (sigmoid 0.27 > 0.25) right (0.0, not 1.0) beside label 1 of no cell
    # (1.0, not 0.0); just outside, the score 0.1 is no logit (label 0 wrong, as the reference says)
    multilabel_sigmoid_and_nothing = _torchmetrics_sigmoid_and_hamming_of_nothing(
        Witness(inside=(batch([[1, PADDING]], [[-1.0, 0.0]], num_classes=2),),
                outside=(batch([[1, PADDING]], [[0.1, 0.0]], num_classes=2),),
                parameters={"ignore_index": PADDING, "average": None, "threshold": 0.25},
                metric="HammingDistance[task=multilabel]"),
        when={"ignore_index": (PADDING,)}, nothing="a label (or, samplewise, a sample) with no cell that counts")
    return (
        _spec("HammingDistance", "binary", ref.hamming_distance, domain=BINARY, params={"threshold": 0.5},
              bindings={
                  "sklearn": Binding("sklearn.metrics.hamming_loss", y_pred="above-threshold"),
                  "torchmetrics": Binding(f"{TM}.BinaryHammingDistance", weights=False),
              }, known=(_torchmetrics_hamming_of_nothing(Witness(
                  inside=(batch([0], [0.2]),), outside=(batch([0, 1], [0.2, 0.7]),), parameters=ignored)),
                  _torchmetrics_sigmoid_and_hamming_of_nothing()), **mean),
        _spec("HammingDistance", "multiclass", ref.hamming_distance, domain=MULTICLASS, params={"average": "micro"},
              bindings={
                  "sklearn": Binding("sklearn.metrics.hamming_loss", y_pred="argmax"),
                  "torchmetrics": Binding(f"{TM}.MulticlassHammingDistance", {"num_classes": NUM_CLASSES},
                                          weights=False),
              }, known=multiclass_known,
              space=(average_parameter(AVERAGES, keras=False, sklearn=False, first="micro",
                                       changes=lambda average: {} if average == "micro" else per_class),
                     top_k_parameter()), **mean),
        _spec("HammingDistance", "multilabel", ref.hamming_distance, domain=MULTILABEL,
              params={"threshold": 0.5, "average": "micro"},
              known=(multilabel_of_nothing, multilabel_sigmoid_and_nothing),
              bindings={
                  "sklearn": Binding("sklearn.metrics.hamming_loss", y_pred="above-threshold"),
                  "torchmetrics": Binding("torchmetrics.HammingDistance",  # the task wrapper class
                                          {"task": "multilabel", "num_labels": NUM_CLASSES}, weights=False),
              },  # ... and the class it builds, given the same arguments directly (threshold and average drawn)
              counterparts=(Counterpart("torchmetrics", Binding(
                  f"{TM}.MultilabelHammingDistance", {"num_labels": NUM_CLASSES}, weights=False)),),
              space=(average_parameter(AVERAGES, keras=False, sklearn=False, first="micro",
                                       changes=lambda average: {} if average == "micro" else per_class),), **mean),
    )


def _specificity() -> tuple[MetricSpec, ...]:
    ratio = dict(decomposition="none", growth=tol.RATIO, scale=1.0)
    return (
        _spec("Specificity", "binary", ref.specificity, domain=BINARY, params={"threshold": 0.5},
              bindings={
                  "sklearn": Binding("sklearn.metrics.recall_score", {"pos_label": 0, "zero_division": 0.0},
                                     y_pred="above-threshold"),
                  "torchmetrics": Binding(f"{TM}.BinarySpecificity", weights=False),
              }, **ratio),
        _spec("Specificity", "multiclass", ref.class_specificity, domain=MULTICLASS,
              params={"average": "macro"}, variant={"average": "macro"},
              bindings={"torchmetrics": Binding(f"{TM}.MulticlassSpecificity", {"num_classes": NUM_CLASSES},
                                                weights=False)},
              space=(average_parameter(AVERAGES, keras=False, sklearn=False), top_k_parameter()),
              known=(KnownDifference("torchmetrics", **{**TORCHMETRICS_MACRO_ABSENT, "when": {"average": ("macro",)}}),
                     KnownDifference("torchmetrics", **{**TORCHMETRICS_LABEL_TOP_K_TIES,
                                                        "overrides": {"absent_classes": "exclude"}})),
              absent={"sklearn": "scikit-learn has no specificity (nearest: recall_score(pos_label=0) for binary "
                                 "labels; per class from multilabel_confusion_matrix)"},
              **{**ratio, "growth": tol.F_SCORE}),
    )


SPECS: tuple[MetricSpec, ...] = (*_confusion_matrices(), *_matthews(), *_kappa(), *_hamming(), *_specificity())
