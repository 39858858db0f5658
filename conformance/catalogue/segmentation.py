"""Intersection over union (Jaccard index): Keras' IoU family on label maps, labels, one-hot rows and
thresholded scores, with scikit-learn's jaccard_score and torchmetrics' JaccardIndex classes."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue.classification import TORCHMETRICS_AUTO_SIGMOID
from conformance.catalogue.model import (
    CLASS_RANGE,
    EVERY_PROPERTY,
    NUM_CLASSES,
    Binding,
    Counterpart,
    KnownDifference,
    MetricSpec,
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
    what="A class never true nor predicted counts as 0.0 in scikit-learn's mean (given labels=[0..C-1], the "
         "translation of num_classes); Keras and torchmetrics, like the reference, leave it out of the mean.",
    cause="jaccard_score(average='macro') averages every label in `labels`; a label with tp + fp + fn = 0 gets "
          "zero_division (0.0 here) and still counts.",
    where="sklearn/metrics/_classification.py::jaccard_score (_prf_divide, then _average over all labels)",
    overrides={"absent_classes": "zero"},
)

KERAS_IGNORE_CLASS_IN_MEAN = KnownDifference(
    "keras", what="Keras' ignore_class drops the pixels whose true label is that class, but the class stays in the "
    "mean: pixels wrongly predicted as it give it tp + fp + fn > 0 and an IoU of 0.0, which pulls the mean IoU "
    "down. torchmetrics (ignore_index) and the reference leave the ignored class out of the mean.",
    cause="update_state masks out `y_true == ignore_class` from the confusion matrix; result() averages over every "
          "class with a non-zero denominator, the ignored class included (it keeps its predicted column).",
    where="keras/src/metrics/iou_metrics.py::_IoUBase.update_state, IoU.result",
    overrides={"ignored_class_in_mean": True, "epsilon": 1e-7}, per_batch=_truncated_weights, kind="defect",
    # A pixel of class 1 predicted as the ignored class 0; outside, none is.
    witness=Witness(inside=(batch([[[1, 2], [1, 1]]], [[[0, 2], [1, 1]]], num_classes=3),),
                    outside=(batch([[[1, 2], [1, 1]]], [[[1, 2], [1, 2]]], num_classes=3),)),
)

KERAS_INTEGER_WEIGHTS = KnownDifference("keras", **KERAS_IOU_INTEGER_WEIGHTS)
SKLEARN_ABSENT_CLASS = KnownDifference("sklearn", **SKLEARN_ABSENT_CLASS_IS_ZERO)

TORCHMETRICS_ALL_IGNORED_NAN = KnownDifference(
    "torchmetrics", what="When every pixel's true label is the ignored class, torchmetrics' macro Jaccard index is "
    "NaN (0 / 0), not its zero_division value (0.0), which the reference returns.",
    cause="_jaccard_index_reduce returns ((weights * jaccard) / weights.sum()).sum(): the weights of the ignored "
          "class and of every class absent from the rest are 0, so weights.sum() is 0; zero_division only guards "
          "the per-class ratios.",
    where="torchmetrics/functional/classification/jaccard.py::_jaccard_index_reduce",
    raises="returned NaN", trigger=lambda batches: all(bool((b.y_true == 0).all()) for b in batches),
    properties=EVERY_PROPERTY, kind="defect",
    witness=Witness(inside=(batch([[[0, 0], [0, 0]]], [[[0, 1], [0, 0]]], num_classes=3),),
                    outside=(batch([[[0, 1], [0, 0]]], [[[0, 1], [0, 0]]], num_classes=3),)),
)

NO_CLASS_SUBSET_MEAN = ("torchmetrics' JaccardIndex averages over every class or returns one value per class "
                        "(nearest: MulticlassJaccardIndex(average=None), then the mean over the chosen classes)")


def _mean_iou_segmentation(ignore_class: int | None) -> MetricSpec:
    """Keras MeanIoU on (n, H, W) label maps: IoU per class over every pixel, then the mean."""
    keras_init = {"num_classes": NUM_CLASSES, **({"ignore_class": ignore_class} if ignore_class is not None else {})}
    torch_init = {"num_classes": NUM_CLASSES, "average": "macro",
                  **({"ignore_index": ignore_class} if ignore_class is not None else {})}
    bindings = {
        "keras": Binding("keras.metrics.MeanIoU", keras_init, masks="keep"),
        "torchmetrics": Binding("torchmetrics.classification.MulticlassJaccardIndex", torch_init, weights=False,
                                masks="keep"),
    }
    known = [KERAS_INTEGER_WEIGHTS]
    absent = {}
    if ignore_class is None:
        bindings["sklearn"] = Binding("sklearn.metrics.jaccard_score", {"average": "macro", "labels": CLASS_RANGE,
                                                                        "zero_division": 0.0}, masks="flatten")
        known.append(KnownDifference("sklearn", **SKLEARN_ABSENT_CLASS_IS_ZERO))
    else:
        known += [KERAS_IGNORE_CLASS_IN_MEAN, TORCHMETRICS_ALL_IGNORED_NAN]
        absent["sklearn"] = ("scikit-learn's jaccard_score has no ignored class (nearest: labels= without it, which "
                             "still counts its pixels as errors of the other classes)")
    return MetricSpec(
        name="MeanIoU", reference=ref.iou,
        params={"num_classes": NUM_CLASSES, **({"ignore_class": ignore_class} if ignore_class is not None else {})},
        variant={} if ignore_class is None else {"ignore_class": ignore_class},
        domain=SEGMENTATION, decomposition="none", growth=IOU_GROWTH * tol.PIXELS_PER_SAMPLE, scale=1.0,
        bindings=bindings, known=tuple(known), absent=absent,
    )


SPECS: tuple[MetricSpec, ...] = (
    _mean_iou_segmentation(None),
    _mean_iou_segmentation(0),
    MetricSpec(
        name="IoU", reference=ref.iou, params={"num_classes": NUM_CLASSES, "target_class_ids": [0, 1]},
        variant={"target_class_ids": "[0,1]"}, domain=LABEL_PAIRS, decomposition="none", growth=IOU_GROWTH,
        scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.IoU", {"num_classes": NUM_CLASSES, "target_class_ids": [0, 1]}),
            "sklearn": Binding("sklearn.metrics.jaccard_score", {"labels": [0, 1], "average": "macro",
                                                                 "zero_division": 0.0}),
        },
        known=(KERAS_INTEGER_WEIGHTS, SKLEARN_ABSENT_CLASS),
        absent={"torchmetrics": NO_CLASS_SUBSET_MEAN},
    ),
    MetricSpec(
        name="IoU", reference=ref.iou, params={"num_classes": NUM_CLASSES, "target_class_ids": [1]},
        variant={"sparse_y_pred": False, "target_class_ids": "[1]"}, domain=MULTICLASS, decomposition="none",
        growth=IOU_GROWTH, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.IoU", {"num_classes": NUM_CLASSES, "target_class_ids": [1],
                                                   "sparse_y_pred": False}),
            "sklearn": Binding("sklearn.metrics.jaccard_score", {"labels": [1], "average": "macro",
                                                                 "zero_division": 0.0}, y_pred="argmax"),
            "torchmetrics": Binding("torchmetrics.classification.MulticlassJaccardIndex",
                                    {"num_classes": NUM_CLASSES, "average": None}, weights=False, output=(1,)),
        },
        known=(KERAS_INTEGER_WEIGHTS,),
    ),
    MetricSpec(
        name="OneHotIoU", reference=ref.iou, params={"num_classes": NUM_CLASSES, "target_class_ids": [0, 1]},
        variant={"target_class_ids": "[0,1]"}, domain=MULTICLASS, decomposition="none", growth=IOU_GROWTH, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.OneHotIoU", {"num_classes": NUM_CLASSES, "target_class_ids": [0, 1]},
                             y_true="onehot"),
            "sklearn": Binding("sklearn.metrics.jaccard_score", {"labels": [0, 1], "average": "macro",
                                                                 "zero_division": 0.0}, y_pred="argmax"),
        },
        known=(KERAS_INTEGER_WEIGHTS, SKLEARN_ABSENT_CLASS),
        absent={"torchmetrics": NO_CLASS_SUBSET_MEAN},
    ),
    MetricSpec(
        name="OneHotMeanIoU", reference=ref.iou, params={"num_classes": NUM_CLASSES}, domain=MULTICLASS,
        decomposition="none", growth=IOU_GROWTH, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.OneHotMeanIoU", {"num_classes": NUM_CLASSES}, y_true="onehot"),
            "sklearn": Binding("sklearn.metrics.jaccard_score", {"labels": CLASS_RANGE, "average": "macro",
                                                                 "zero_division": 0.0}, y_pred="argmax"),
            "torchmetrics": Binding("torchmetrics.classification.MulticlassJaccardIndex",
                                    {"num_classes": NUM_CLASSES, "average": "macro"}, weights=False),
        },
        known=(KERAS_INTEGER_WEIGHTS, SKLEARN_ABSENT_CLASS),
    ),
    MetricSpec(
        name="BinaryIoU", reference=ref.iou,
        params={"num_classes": 2, "target_class_ids": [0, 1], "threshold": 0.5}, domain=BINARY,
        decomposition="none", growth=IOU_GROWTH, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.BinaryIoU"),
            "sklearn": Binding("sklearn.metrics.jaccard_score", {"labels": [0, 1], "average": "macro",
                                                                 "zero_division": 0.0}, y_pred="above-threshold"),
            "torchmetrics": Binding("torchmetrics.classification.MulticlassJaccardIndex",
                                    {"num_classes": 2, "average": "macro"}, y_pred="above-threshold", weights=False),
        },
        known=(KnownDifference(
            "keras", what="Keras' BinaryIoU predicts class 1 for a score at the threshold (score >= threshold), where "
            "the reference, like Keras' own BinaryAccuracy and Precision, predicts it for score > threshold; and, as "
            "every Keras IoU metric, it truncates sample weights to integers (see IoU).",
            cause="BinaryIoU.update_state casts `y_pred >= self.threshold` (its docstring: '1 for values that are "
                  "larger or equal to the threshold'); the int confusion matrix of _IoUBase truncates weights.",
            where="keras/src/metrics/iou_metrics.py::BinaryIoU.update_state, _IoUBase.update_state",
            overrides={"at_threshold": "positive", "epsilon": 1e-7}, per_batch=_truncated_weights,
        ), SKLEARN_ABSENT_CLASS),
    ),
    MetricSpec(
        name="BinaryIoU", reference=ref.iou,
        params={"num_classes": 2, "target_class_ids": [1], "threshold": 0.75},
        variant={"target_class_ids": "[1]", "threshold": 0.75}, domain=BINARY_THRESHOLDS,
        decomposition="none", growth=IOU_GROWTH, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.BinaryIoU", {"target_class_ids": [1], "threshold": 0.75}),
            "sklearn": Binding("sklearn.metrics.jaccard_score", {"zero_division": 0.0}, y_pred="above-threshold"),
            "torchmetrics": Binding("torchmetrics.classification.BinaryJaccardIndex", {"threshold": 0.75},
                                    weights=False),
        },
        known=(KnownDifference(
            "keras", what="Keras' BinaryIoU predicts class 1 for a score at the threshold (score >= threshold); the "
            "reference for score > threshold; and it truncates sample weights to integers (see IoU).",
            cause="BinaryIoU.update_state casts `y_pred >= self.threshold`; the int confusion matrix of _IoUBase "
                  "truncates weights.",
            where="keras/src/metrics/iou_metrics.py::BinaryIoU.update_state, _IoUBase.update_state",
            overrides={"at_threshold": "positive", "epsilon": 1e-7}, per_batch=_truncated_weights,
        ), KnownDifference("torchmetrics", **TORCHMETRICS_AUTO_SIGMOID)),
    ),
    MetricSpec(
        name="JaccardIndex", reference=ref.multilabel_iou, params={"threshold": 0.5, "average": "macro"},
        variant={"task": "multilabel"}, domain=MULTILABEL, decomposition="none", growth=IOU_GROWTH, scale=1.0,
        bindings={
            "sklearn": Binding("sklearn.metrics.jaccard_score", {"average": "macro", "zero_division": 0.0},
                               y_pred="above-threshold"),
            "torchmetrics": Binding("torchmetrics.JaccardIndex", {"task": "multilabel", "num_labels": NUM_CLASSES,
                                                                  "threshold": 0.5, "average": "macro"},
                                    weights=False),
        },
        known=(KnownDifference("torchmetrics", **TORCHMETRICS_AUTO_SIGMOID),),
        absent={"keras": "Keras' IoU metrics take one class label per element, not a set of labels (nearest: "
                         "BinaryIoU(target_class_ids=[1]) on one label's column)"},
        # the class the task wrapper builds, given the same arguments directly
        counterparts=(Counterpart("torchmetrics", Binding(
            "torchmetrics.classification.MultilabelJaccardIndex",
            {"num_labels": NUM_CLASSES, "threshold": 0.5, "average": "macro"}, weights=False)),),
    ),
)
