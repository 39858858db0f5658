"""Intersection over union (Jaccard index): Keras' IoU family on label maps, labels, one-hot rows and
thresholded scores, with scikit-learn's jaccard_score and torchmetrics' JaccardIndex classes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue.classification import (
    SKLEARN_WEIGHTED_ZERO_SUPPORT,
    TORCHMETRICS_AUTO_SIGMOID,
    ZERO_DIVISION,
    average_parameter,
    threshold_parameter,
)
from conformance.catalogue.model import (
    CLASS_RANGE,
    EVERY_PROPERTY,
    HARNESS,
    NUM_CLASSES,
    OUTPUT,
    Binding,
    Counterpart,
    KnownDifference,
    MetricSpec,
    Parameter,
    ParameterTrigger,
    Unsupported,
    Witness,
    batch,
)
from conformance.data import Batch
from conformance.domains import BINARY, BINARY_THRESHOLDS, LABEL_PAIRS, MULTICLASS, MULTILABEL, SEGMENTATION

IOU_GROWTH = tol.F_SCORE  # per-class ratios of tp and tp + fp + fn (itself row + column - diagonal), then a mean

def _truncated_weights(batch: Batch) -> Batch:
    """The batch with each sample weight cast to an integer (towards zero), as an int confusion matrix stores it."""
    if batch.sample_weight is None:
        return batch
    return replace(batch, sample_weight=np.trunc(batch.sample_weight).astype(np.float32))


# Two 2 x 2 label maps of three classes.
MAPS = batch([[[0, 1], [1, 1]], [[0, 0], [1, 2]]], [[[0, 1], [0, 1]], [[0, 1], [1, 2]]], num_classes=3)
KERAS_IOU_INTEGER_WEIGHTS = dict(
    what="Keras' IoU metrics keep their confusion matrix in integers by default, so each sample weight is truncated "
         "to an integer: a weight of 0.5 counts as 0, 1.5 as 1 (a warning says so). Fractional weights such as "
         "class-balancing weights are silently wrong; dtype='float32' avoids it. (Keras also adds epsilon 1e-7 to "
         "the denominators, which moves integer counts by less than the tolerance.)",
    cause="_IoUBase.__init__ sets dtype=dtype or 'int' ('defaulting to int to avoid issues with confusion matrix'); "
          "update_state converts sample_weight to that dtype and confusion_matrix scatters it into the int matrix.",
    where="keras/src/metrics/iou_metrics.py::_IoUBase.__init__, _IoUBase.update_state; "
          "keras/src/metrics/metrics_utils.py::confusion_matrix",
    per_batch=_truncated_weights, overrides={"epsilon": 1e-7}, kind="defect",
    witness=Witness(inside=(MAPS.with_weights(np.array([0.5, 1.5], np.float32)),),
                    outside=(MAPS.with_weights(np.array([1.0, 2.0], np.float32)),), metric="MeanIoU"),
)

SKLEARN_ABSENT_CLASS_IS_ZERO = dict(
    what="A class never true nor predicted counts as zero_division (0.0) in scikit-learn's mean (given "
         "labels=[0..C-1], the translation of num_classes); Keras and torchmetrics, like the reference, leave it out "
         "of the mean.",
    cause="jaccard_score(average='macro') averages every label in `labels`; a label with tp + fp + fn = 0 gets "
          "zero_division (0.0 here) and still counts.",
    where="sklearn/metrics/_classification.py::jaccard_score (_prf_divide, then _average over all labels)",
    overrides={"absent_classes": "zero"}, when={"average": ("macro",)},
)

KERAS_IGNORE_CLASS_IN_MEAN = KnownDifference(
    "keras", what="Keras' ignore_class drops the pixels whose true label is that class, but the class stays in the "
    "mean: pixels wrongly predicted as it give it tp + fp + fn > 0 and an IoU of 0.0, which pulls the mean IoU "
    "down. torchmetrics (ignore_index) and the reference leave the ignored class out of the mean.",
    cause="update_state masks out `y_true == ignore_class` from the confusion matrix; result() averages over every "
          "class with a non-zero denominator, the ignored class included (it keeps its predicted column).",
    where="keras/src/metrics/iou_metrics.py::_IoUBase.update_state, IoU.result",
    overrides={"ignored_class_in_mean": True, "epsilon": 1e-7}, per_batch=_truncated_weights, kind="defect",
    when={"ignore_class": (0, 1)},
    # A pixel of class 1 predicted as the ignored class 0; outside, none is.
    witness=Witness(inside=(batch([[[1, 2], [1, 1]]], [[[0, 2], [1, 1]]], num_classes=3),),
                    outside=(batch([[[1, 2], [1, 1]]], [[[1, 2], [1, 2]]], num_classes=3),),
                    parameters={"ignore_class": 0}),
)

KERAS_INTEGER_WEIGHTS = KnownDifference("keras", **KERAS_IOU_INTEGER_WEIGHTS)


def _subnormal(threshold: float) -> bool:
    """a subnormal float32 (0 < t < 1.18e-38)"""
    return 0 < float(threshold) < float(np.finfo(np.float32).tiny)


# Threshold 1.4e-45 (the least float32): a score of 0.0 is predicted 1 as at threshold 0; outside, a score of 2.8e-45,
# above the threshold as given and at 0 once flushed, predicted 1 either way.
KERAS_SUBNORMAL_THRESHOLD = KnownDifference(
    "keras", what="Keras' BinaryIoU (on TensorFlow) reads a subnormal threshold as 0: with threshold=1.4e-45 a score "
    "of 0.0 is predicted class 1 (0.0 >= 0), so BinaryIoU(threshold=1.4e-45) on target [0], score [0.0] is 0.0 where "
    "it is 1.0. (It also predicts 1 at the threshold and truncates weights to integers, as at any threshold.)",
    cause="BinaryIoU.update_state computes `y_pred >= self.threshold` in a TensorFlow CPU kernel, which runs with "
          "denormals flushed to zero (FTZ/DAZ): the float32 threshold below 1.18e-38 compares as 0.",
    where="keras/src/metrics/iou_metrics.py::BinaryIoU.update_state; tensorflow/core/platform/denormal.h "
          "(ScopedFlushDenormal, set on TensorFlow's CPU threads)",
    overrides={"at_threshold": "positive", "epsilon": 1e-7, "threshold": 0.0}, per_batch=_truncated_weights,
    when={"threshold": _subnormal}, kind="defect",
    witness=Witness(inside=(batch([0], [0.0]),), outside=(batch([0], [2.8e-45]),), metric="BinaryIoU",
                    parameters={"threshold": float(np.float32(1.4e-45))}))
SKLEARN_ABSENT_CLASS = KnownDifference("sklearn", **SKLEARN_ABSENT_CLASS_IS_ZERO)

TORCHMETRICS_ALL_IGNORED_NAN = KnownDifference(
    "torchmetrics", what="When every pixel's true label is the ignored class, torchmetrics' macro Jaccard index is "
    "NaN (0 / 0), not its zero_division value (0.0), which the reference returns.",
    cause="_jaccard_index_reduce returns ((weights * jaccard) / weights.sum()).sum(): the weights of the ignored "
          "class and of every class absent from the rest are 0, so weights.sum() is 0; zero_division only guards "
          "the per-class ratios.",
    where="torchmetrics/functional/classification/jaccard.py::_jaccard_index_reduce",
    raises="returned NaN", trigger=ParameterTrigger(lambda batches, values: all(
        bool((b.y_true == values.get("ignore_class")).all()) for b in batches)),
    properties=EVERY_PROPERTY, kind="defect", when={"ignore_class": (0, 1), "average": ("macro", "weighted")},
    witness=Witness(inside=(batch([[[0, 0], [0, 0]]], [[[0, 1], [0, 0]]], num_classes=3),),
                    outside=(batch([[[0, 1], [0, 0]]], [[[0, 1], [0, 0]]], num_classes=3),),
                    parameters={"ignore_class": 0}),
)

def _no_true_label(batches: list[Batch]) -> bool:
    """No label of any sample is true."""
    return not any((np.asarray(b.y_true) == 1).any() for b in batches)


NO_CLASS_SUBSET_MEAN = ("torchmetrics' JaccardIndex averages over every class or returns one value per class "
                        "(nearest: MulticlassJaccardIndex(average=None), then the mean over the chosen classes)")


# A class left out (its pixels, and the class from the mean): Keras' ignore_class, torchmetrics' ignore_index.
IGNORE_CLASS = Parameter(
    "ignore_class", (None, 0, 1), spellings={"keras": "ignore_class", "torchmetrics": "ignore_index"},
    absent={"sklearn": "scikit-learn's jaccard_score has no ignored class (nearest: labels= without it, which still "
                       "counts its pixels as errors of the other classes)"})
# scikit-learn's and torchmetrics' Jaccard averages; Keras' IoU metrics average the target classes (macro).
JACCARD_AVERAGE = average_parameter(("macro", "micro", "weighted", None), keras=False)
# scikit-learn's zero_division also for the Jaccard index (NaN: left out of its averages).
JACCARD_ZERO_DIVISION = replace(ZERO_DIVISION, absent={
    "keras": "Keras' IoU metrics have no zero_division: a class absent from truth and prediction is left out of "
             "the mean (0 / 0 with epsilon)"}, unsupported=(*ZERO_DIVISION.unsupported, Unsupported(
    "sklearn", {"zero_division": (float("nan"),)}, "scikit-learn's jaccard_score takes zero_division 0 or 1 ('must be "
    "a float among {0, 1}'), not NaN")))
TORCHMETRICS_ONE_CLASS_ZERO_DIVISION = KnownDifference(
    "torchmetrics", what="torchmetrics' Jaccard index of one class absent from truth and prediction is its "
    "zero_division; the reference (like Keras) averages no class there: 0.0.",
    cause="_jaccard_index_reduce: _safe_divide(num, denom, zero_division) per class, returned as it is for "
          "average='none' (and BinaryJaccardIndex's one class).",
    where="torchmetrics/functional/classification/jaccard.py::_jaccard_index_reduce",
    overrides={"absent_classes": "zero", "ignored_class_in_mean": True})


def _target_class_ids(first: tuple[int, ...], *, sklearn: bool = True, torchmetrics: str | None = None) -> Parameter:
    """Keras' target_class_ids (classes 0 and 1 always exist), scikit-learn's labels, torchmetrics' per-class
    entry (one class)."""
    spellings = {"keras": "target_class_ids", **({"sklearn": "labels"} if sklearn else {})}
    unsupported = ()
    if torchmetrics:
        spellings["torchmetrics"] = OUTPUT
        unsupported = (Unsupported("torchmetrics", {"target_class_ids": ((0, 1), (1, 0))}, "torchmetrics' "
                                   "MulticlassJaccardIndex averages every class or returns each: one is picked"),)
    return Parameter("target_class_ids", (first, *(v for v in ((0, 1), (1,), (0,), (1, 0)) if v != first)),
                     spellings=spellings, unsupported=unsupported,
                     translations={"torchmetrics": {(1,): 1, (0,): 0}},
                     absent={"sklearn": "scikit-learn's binary jaccard_score scores class 1",
                             "torchmetrics": NO_CLASS_SUBSET_MEAN})


def _mean_iou_segmentation() -> MetricSpec:
    """Keras MeanIoU on (n, H, W) label maps: IoU per class over every pixel, then the mean; the ignored class, the
    averages of scikit-learn and torchmetrics and their zero_division drawn."""
    return MetricSpec(
        name="MeanIoU", reference=ref.iou, params={"num_classes": NUM_CLASSES, "average": "macro"},
        domain=SEGMENTATION, decomposition="none", growth=IOU_GROWTH * tol.PIXELS_PER_SAMPLE, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.MeanIoU", {"num_classes": NUM_CLASSES}, masks="keep"),
            "sklearn": Binding("sklearn.metrics.jaccard_score", {"labels": CLASS_RANGE}, masks="flatten"),
            "torchmetrics": Binding("torchmetrics.classification.MulticlassJaccardIndex",
                                    {"num_classes": NUM_CLASSES}, weights=False, masks="keep"),
        },
        space=(IGNORE_CLASS, JACCARD_AVERAGE, JACCARD_ZERO_DIVISION),
        known=(KERAS_INTEGER_WEIGHTS, KnownDifference("sklearn", **SKLEARN_ABSENT_CLASS_IS_ZERO),
               KERAS_IGNORE_CLASS_IN_MEAN, TORCHMETRICS_ALL_IGNORED_NAN),
    )


def _multiclass_iou(name: str, *, onehot: bool, target_class_ids: tuple[int, ...] | None, domain) -> MetricSpec:
    """Keras IoU / OneHotIoU / OneHotMeanIoU (the target classes, the ignored class, and IoU's input formats
    drawn), scikit-learn's jaccard_score of the labels (the same classes as labels=), torchmetrics' per-class
    Jaccard index where one class is the target."""
    targets = {} if target_class_ids is None else {"target_class_ids": list(target_class_ids)}
    keras = Binding(f"keras.metrics.{name}", {"num_classes": NUM_CLASSES, **targets},
                    y_true="onehot" if onehot else "labels", y_pred="scores")
    bindings = {"keras": keras,
                "sklearn": Binding("sklearn.metrics.jaccard_score", {"labels": CLASS_RANGE, "average": "macro"},
                                   y_pred="argmax" if domain is MULTICLASS else "scores")}
    space = [IGNORE_CLASS, JACCARD_ZERO_DIVISION]
    if target_class_ids is not None:
        space.insert(0, _target_class_ids(target_class_ids, torchmetrics="torchmetrics" if name == "IoU"
                                          and domain is MULTICLASS else None))
    formats = {"sklearn": "scikit-learn's jaccard_score takes labels",
               "torchmetrics": "torchmetrics takes scores or labels as they come"}
    if domain is MULTICLASS:  # Keras' input formats: labels or scores predicted (IoU: labels or one-hot truth too)
        space.append(Parameter("sparse_y_pred", (False, True), spellings={"keras": "sparse_y_pred"}, reference=False,
                               presentation=lambda b, sparse: replace(b, y_pred="argmax" if sparse else "scores"),
                               absent=formats))
    if name == "IoU" and domain is MULTICLASS:
        bindings["torchmetrics"] = Binding("torchmetrics.classification.MulticlassJaccardIndex",
                                           {"num_classes": NUM_CLASSES, "average": None}, weights=False,
                                           output=(target_class_ids[0],))
        space.append(Parameter("sparse_y_true", (True, False), spellings={"keras": "sparse_y_true"},
                               reference=False, absent=formats,
                               presentation=lambda b, sparse: replace(b, y_true="labels" if sparse else "onehot")))
    if name == "OneHotMeanIoU":
        bindings["torchmetrics"] = Binding("torchmetrics.classification.MulticlassJaccardIndex",
                                           {"num_classes": NUM_CLASSES}, weights=False)
        space.append(JACCARD_AVERAGE)
    return MetricSpec(
        name=name, reference=ref.iou, params={"num_classes": NUM_CLASSES, **targets},
        variant={} if target_class_ids is None else {
            **({"sparse_y_pred": False} if name == "IoU" and domain is MULTICLASS else {}),
            "target_class_ids": "[" + ",".join(map(str, target_class_ids)) + "]"},
        domain=domain, decomposition="none", growth=IOU_GROWTH, scale=1.0, bindings=bindings, space=tuple(space),
        known=(KERAS_INTEGER_WEIGHTS, SKLEARN_ABSENT_CLASS, KERAS_IGNORE_CLASS_IN_MEAN, TORCHMETRICS_ALL_IGNORED_NAN,
               *((TORCHMETRICS_ONE_CLASS_ZERO_DIVISION,) if target_class_ids is not None else ())),
        absent={} if "torchmetrics" in bindings else {"torchmetrics": NO_CLASS_SUBSET_MEAN},
    )


SPECS: tuple[MetricSpec, ...] = (
    _mean_iou_segmentation(),
    _multiclass_iou("IoU", onehot=False, target_class_ids=(0, 1), domain=LABEL_PAIRS),
    _multiclass_iou("IoU", onehot=False, target_class_ids=(1,), domain=MULTICLASS),
    _multiclass_iou("OneHotIoU", onehot=True, target_class_ids=(0, 1), domain=MULTICLASS),
    _multiclass_iou("OneHotMeanIoU", onehot=True, target_class_ids=None, domain=MULTICLASS),
    MetricSpec(
        name="BinaryIoU", reference=ref.iou,
        params={"num_classes": 2, "target_class_ids": [0, 1], "threshold": 0.5}, domain=BINARY,
        decomposition="none", growth=IOU_GROWTH, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.BinaryIoU"),
            "sklearn": Binding("sklearn.metrics.jaccard_score", {"labels": [0, 1], "average": "macro"},
                               y_pred="above-threshold"),
            "torchmetrics": Binding("torchmetrics.classification.MulticlassJaccardIndex",
                                    {"num_classes": 2, "average": "macro"}, y_pred="above-threshold", weights=False),
        },
        space=(replace(threshold_parameter("threshold", binary=True), spellings={
            "keras": "threshold", "sklearn": HARNESS, "torchmetrics": HARNESS}), JACCARD_ZERO_DIVISION),
        known=(KnownDifference(
            "keras", what="Keras' BinaryIoU predicts class 1 for a score at the threshold (score >= threshold), where "
            "the reference, like Keras' own BinaryAccuracy and Precision, predicts it for score > threshold; and, as "
            "every Keras IoU metric, it truncates sample weights to integers (see IoU).",
            cause="BinaryIoU.update_state casts `y_pred >= self.threshold` (its docstring: '1 for values that are "
                  "larger or equal to the threshold'); the int confusion matrix of _IoUBase truncates weights.",
            where="keras/src/metrics/iou_metrics.py::BinaryIoU.update_state, _IoUBase.update_state",
            overrides={"at_threshold": "positive", "epsilon": 1e-7}, per_batch=_truncated_weights,
        ), KERAS_SUBNORMAL_THRESHOLD, SKLEARN_ABSENT_CLASS),
    ),
    MetricSpec(
        name="BinaryIoU", reference=ref.iou,
        params={"num_classes": 2, "target_class_ids": [1], "threshold": 0.75},
        variant={"target_class_ids": "[1]", "threshold": 0.75}, domain=BINARY_THRESHOLDS,
        decomposition="none", growth=IOU_GROWTH, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.BinaryIoU"),
            "sklearn": Binding("sklearn.metrics.jaccard_score", y_pred="above-threshold"),
            "torchmetrics": Binding("torchmetrics.classification.BinaryJaccardIndex", weights=False),
        },
        space=(replace(threshold_parameter("threshold"), values=(0.75, 0.5, 0.25, 0.0)),
               replace(_target_class_ids((1,), sklearn=False), unsupported=(), values=((1,), (0,), (0, 1))),
               JACCARD_ZERO_DIVISION),
        known=(KnownDifference(
            "keras", what="Keras' BinaryIoU predicts class 1 for a score at the threshold (score >= threshold); the "
            "reference for score > threshold; and it truncates sample weights to integers (see IoU).",
            cause="BinaryIoU.update_state casts `y_pred >= self.threshold`; the int confusion matrix of _IoUBase "
                  "truncates weights.",
            where="keras/src/metrics/iou_metrics.py::BinaryIoU.update_state, _IoUBase.update_state",
            overrides={"at_threshold": "positive", "epsilon": 1e-7}, per_batch=_truncated_weights,
        ), KERAS_SUBNORMAL_THRESHOLD, KnownDifference("torchmetrics", **TORCHMETRICS_AUTO_SIGMOID),
            TORCHMETRICS_ONE_CLASS_ZERO_DIVISION, SKLEARN_ABSENT_CLASS),
    ),
    MetricSpec(
        name="JaccardIndex", reference=ref.multilabel_iou, params={"threshold": 0.5, "average": "macro"},
        variant={"task": "multilabel"}, domain=MULTILABEL, decomposition="none", growth=IOU_GROWTH, scale=1.0,
        bindings={
            "sklearn": Binding("sklearn.metrics.jaccard_score", y_pred="above-threshold"),
            "torchmetrics": Binding("torchmetrics.JaccardIndex", {"task": "multilabel", "num_labels": NUM_CLASSES},
                                    weights=False),
        },
        space=(threshold_parameter(None), average_parameter(("macro", "micro", "weighted", None, "samples"),
                                                            keras=False), JACCARD_ZERO_DIVISION),
        known=(KnownDifference("torchmetrics", **TORCHMETRICS_AUTO_SIGMOID), SKLEARN_WEIGHTED_ZERO_SUPPORT,
               KnownDifference(
                   "torchmetrics", what="torchmetrics' weighted multilabel Jaccard index of data with no true label "
                   "returns NaN: every label's weight (its support) is 0 and the weights are divided by their sum; the "
                   "reference's weighted mean of no support is 0.0.",
                   cause="_jaccard_index_reduce: ((weights * jaccard) / weights.sum()).sum() with weights = tp + fn "
                         "per label, no guard for a zero sum.",
                   where="torchmetrics/functional/classification/jaccard.py::_jaccard_index_reduce",
                   raises="returned NaN", trigger=_no_true_label, when={"average": ("weighted",)}, kind="defect",
                   properties=EVERY_PROPERTY,
                   witness=Witness(inside=(batch([[0, 0]], [[0.0, 0.0]], num_classes=2),),
                                   outside=(batch([[1, 0]], [[0.9, 0.0]], num_classes=2),),
                                   parameters={"average": "weighted"}, metric="JaccardIndex[task=multilabel]"))),
        absent={"keras": "Keras' IoU metrics take one class label per element, not a set of labels (nearest: "
                         "BinaryIoU(target_class_ids=[1]) on one label's column)"},
        # the class the task wrapper builds, given the same arguments directly (threshold, average, zero_division
        # drawn)
        counterparts=(Counterpart("torchmetrics", Binding(
            "torchmetrics.classification.MultilabelJaccardIndex", {"num_labels": NUM_CLASSES}, weights=False)),),
    ),
)
