"""Intersection over union (Jaccard index): Keras' IoU family on label maps, labels, one-hot rows and
thresholded scores, with scikit-learn's jaccard_score and torchmetrics' JaccardIndex classes."""

from __future__ import annotations

import reference as ref
from conformance import tolerance as tol
from conformance.catalogue.classification import TORCHMETRICS_AUTO_SIGMOID
from conformance.catalogue.model import (
    CLASS_RANGE,
    NUM_CLASSES,
    Binding,
    KnownDifference,
    MetricSpec,
)
from conformance.domains import BINARY, BINARY_THRESHOLDS, LABEL_PAIRS, MULTICLASS, MULTILABEL, SEGMENTATION

IOU_GROWTH = tol.F_SCORE  # per-class ratios of tp and tp + fp + fn (itself row + column - diagonal), then a mean

KERAS_IOU_EPSILON = dict(
    what="Keras divides each class's tp by (tp + fp + fn + 1e-7) and the sum of IoUs by (classes present + 1e-7), "
         "and counts a class as present only when tp + fp + fn > 1e-9; with small weighted counts the value moves "
         "(e.g. by ~1e-4 when the counts are ~1e-3).",
    cause="IoU.result adds backend.epsilon() (1e-7) to both denominators and tests `denominator > 1e-9`.",
    where="keras/src/metrics/iou_metrics.py::IoU.result",
    overrides={"epsilon": 1e-7},
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
    overrides={"ignored_class_in_mean": True, "epsilon": 1e-7}, kind="defect",
)

KERAS_EPSILON = KnownDifference("keras", **KERAS_IOU_EPSILON)
SKLEARN_ABSENT_CLASS = KnownDifference("sklearn", **SKLEARN_ABSENT_CLASS_IS_ZERO)

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
    known = [KnownDifference("keras", **KERAS_IOU_EPSILON)]
    absent = {}
    if ignore_class is None:
        bindings["sklearn"] = Binding("sklearn.metrics.jaccard_score", {"average": "macro", "labels": CLASS_RANGE,
                                                                        "zero_division": 0.0}, masks="flatten")
        known.append(KnownDifference("sklearn", **SKLEARN_ABSENT_CLASS_IS_ZERO))
    else:
        known.append(KERAS_IGNORE_CLASS_IN_MEAN)
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
        known=(KERAS_EPSILON, SKLEARN_ABSENT_CLASS),
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
        known=(KnownDifference("keras", **KERAS_IOU_EPSILON),),
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
        known=(KERAS_EPSILON, SKLEARN_ABSENT_CLASS),
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
        known=(KERAS_EPSILON, SKLEARN_ABSENT_CLASS),
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
            "the reference, like Keras' own BinaryAccuracy and Precision, predicts it for score > threshold; and it "
            "adds epsilon 1e-7 to the denominators as every Keras IoU does.",
            cause="BinaryIoU.update_state casts `y_pred >= self.threshold` (its docstring: '1 for values that are "
                  "larger or equal to the threshold'); IoU.result adds backend.epsilon().",
            where="keras/src/metrics/iou_metrics.py::BinaryIoU.update_state, IoU.result",
            overrides={"at_threshold": "positive", "epsilon": 1e-7},
        ), KnownDifference("sklearn", **SKLEARN_ABSENT_CLASS_IS_ZERO)),
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
            "reference for score > threshold. Plus Keras' epsilon 1e-7 in the denominators.",
            cause="BinaryIoU.update_state casts `y_pred >= self.threshold`; IoU.result adds backend.epsilon().",
            where="keras/src/metrics/iou_metrics.py::BinaryIoU.update_state, IoU.result",
            overrides={"at_threshold": "positive", "epsilon": 1e-7},
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
    ),
)
