"""Segmentation metrics computed image by image (torchmetrics' segmentation module: MeanIoU, DiceScore,
GeneralizedDiceScore) and the exact match of whole label maps. The data set IoU over every pixel at once
(Keras' MeanIoU, torchmetrics' MulticlassJaccardIndex) is ``segmentation``'s: a mean over images is another
definition, so these are specs of their own with their own references (``reference/segmentation.py``)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue.model import (
    EVERY_PROPERTY,
    NUM_CLASSES,
    Binding,
    KnownDifference,
    MetricSpec,
    Parameter,
    Witness,
    batch,
    empty,
)
from conformance.catalogue.multilabel_ranking import some_batch_empty
from conformance.data import Batch
from conformance.domains import SEGMENTATION

# Per image, ratios of pixel counts per class, then means over classes and images: the F-score's growth, over the
# pixels of an image.
GROWTH = tol.F_SCORE * tol.PIXELS_PER_SAMPLE
TM = "torchmetrics.segmentation"
NO_PER_IMAGE = {
    "keras": "Keras' IoU metrics count every pixel of the data set at once (MeanIoU, checked under MeanIoU); it has "
             "no Dice score",
    "sklearn": "scikit-learn's jaccard_score and f1_score count every pixel at once (checked under MeanIoU, "
               "F1Score); none averages over images",
}


def _index_maps(target: str, init: dict) -> Binding:
    """A torchmetrics segmentation class fed (n, H, W) index maps (input_format='index'); it takes no weights."""
    return Binding(f"{TM}.{target}", {"num_classes": NUM_CLASSES, "input_format": "index", **init}, weights=False,
                   masks="keep")


def _drawn(name: str, values: tuple) -> Parameter:
    """A parameter of torchmetrics' segmentation classes, which the other libraries lack."""
    return Parameter(name, values, spellings={"torchmetrics": name},
                     absent={"keras": "no per-image segmentation metric", "sklearn": "no per-image segmentation "
                             "metric"})


INCLUDE_BACKGROUND = _drawn("include_background", (True, False))
PER_CLASS = _drawn("per_class", (False, True))

TORCHMETRICS_DICE_NO_SUPPORT = KnownDifference(
    "torchmetrics", what="With average='weighted', an image (or with aggregation_level='global', the data) with no "
    "true pixel of the classes counted, but some class predicted, has Dice 0 in torchmetrics; the reference calls it "
    "undefined (its weights, the true pixels per class, sum to 0).",
    cause="_dice_score_compute divides the support by its sum with zero_division='nan', then takes "
          "torch.nansum(dice * weights): every product is NaN and nansum gives 0; only an image where every class's "
          "Dice is NaN (nothing predicted either) stays NaN.",
    where="torchmetrics/functional/segmentation/dice.py::_dice_score_compute",
    overrides={"no_support": 0.0},
)

TORCHMETRICS_GDS_NOTHING_TO_SCORE = KnownDifference(
    "torchmetrics", what="An image whose generalized Dice has a zero weighted denominator (no pixel of the classes "
    "counted, or with per_class=True a class absent from both maps) scores 0 in torchmetrics and counts in the mean "
    "over images; the reference calls it undefined and leaves it out (MONAI scores it 1 where nothing is predicted).",
    cause="_generalized_dice_compute returns _safe_divide(numerator, denominator), whose zero_division is 0; "
          "update() adds every image's score and counts every image.",
    where="torchmetrics/functional/segmentation/generalized_dice.py::_generalized_dice_compute; "
          "torchmetrics/segmentation/generalized_dice.py::GeneralizedDiceScore.update",
    overrides={"undefined": 0.0},
)


def _absent_from_truth_but_predicted(batches: list[Batch]) -> bool:
    """Some image predicts a class that its truth lacks (its generalized Dice weight is infinite, then replaced)."""
    for b in batches:
        for truth, predicted in zip(b.y_true, b.y_pred, strict=True):
            if np.setdiff1d(np.unique(predicted), np.unique(truth)).size:
                return True
    return False


# One 2 x 2 image, all class 0 in truth, one pixel predicted as class 1: MONAI's weight for class 1 is class 0's
# (1/16), giving 0.75; torchmetrics gives class 1 the weight 0 (0.857). Outside: every class in the truth.
ABSENT_CLASS_PREDICTED = batch([[[0, 0], [0, 0]]], [[[0, 1], [0, 0]]], num_classes=2)
EVERY_CLASS_TRUE = batch([[[0, 1], [0, 0]]], [[[0, 1], [1, 0]]], num_classes=2)
TORCHMETRICS_GDS_ABSENT_WEIGHT = KnownDifference(
    "torchmetrics", what="With per_class=False, a class absent from an image's truth but predicted in it gets a wrong "
    "weight in torchmetrics' generalized Dice: MONAI (and the reference) replace its infinite weight by the largest "
    "weight of the image's classes; torchmetrics takes the maximum over the update's images of another class's "
    "weight (0 for a batch of one image), so the score depends on which images share an update. E.g. truth [[0, 0], "
    "[0, 0]], prediction [[0, 1], [0, 0]]: 0.857 instead of 0.75. Checked: the value lies between the scores with "
    "that weight 0 and 1 (every weight 1/T^2 or 1/T is at most 1).",
    cause="_generalized_dice_update sets the infinite weights to 0, then replaces them with "
          "torch.max(weights, 0).values.repeat(N, 1).T.flatten()[infs]: the maxima are over the batch's images (dim "
          "0), not over the image's classes, and the transposed (C, N) layout is indexed as (N, C), so an absent "
          "class takes the maximum of the class whose index its flat position maps to. Fixed upstream after 1.9.0 "
          "(tests/unittests/segmentation/test_generalized_dice_absent_class.py: 'Absent-class inf weights must be "
          "replaced per class, independent of batch size').",
    where="torchmetrics/functional/segmentation/generalized_dice.py::_generalized_dice_update",
    bounds=({"absent_weight": 0.0, "undefined": 0.0}, {"absent_weight": 1.0, "undefined": 0.0}),
    trigger=_absent_from_truth_but_predicted, kind="defect",
    witness=Witness(inside=(ABSENT_CLASS_PREDICTED,), outside=(EVERY_CLASS_TRUE,),
                    metric="GeneralizedDiceScore"),
)


def one_element_as_a_scalar(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` whose result of one element is returned as a scalar, as torchmetrics' compute() returns it."""
    def squeezed(*args: Any, **kwargs: Any) -> Any:
        value = np.asarray(function(*args, **kwargs), np.float64)
        return value.reshape(()) if value.size == 1 else value
    squeezed.__name__ = function.__name__
    return squeezed


def _torchmetrics_scalar_of_one_class(function: Callable[..., Any], **overrides: Any) -> KnownDifference:
    """torchmetrics' per-class result of a single class (num_classes=2 without the background), as a scalar.
    ``overrides``: the metric's own torchmetrics conventions, which hold in that result too."""
    return KnownDifference(
        "torchmetrics", what="A per-class result of one class (num_classes=2 with include_background=False) comes back "
        "from torchmetrics as a scalar, not a (1,) tensor: the result's shape changes with the number of classes.",
        cause="Metric.compute() is wrapped to return _squeeze_if_scalar(compute()), which squeezes every tensor of "
              "one element (_squeeze_scalar_element_tensor: x.squeeze() if x.numel() == 1).",
        where="torchmetrics/metric.py::Metric._wrap_compute; torchmetrics/utilities/data.py::_squeeze_if_scalar",
        reference=one_element_as_a_scalar(function), overrides=overrides,
    )


MAP = batch([[[0, 1], [1, 1]]], [[[0, 1], [0, 1]]], num_classes=2)
TORCHMETRICS_GDS_EMPTY_BATCH = KnownDifference(
    "torchmetrics", what="torchmetrics' GeneralizedDiceScore raises on an empty batch (zero images) instead of "
    "leaving the state unchanged, so a stream with an empty batch fails.",
    cause="_generalized_dice_update takes torch.max(weights, 0) over the batch's images to replace infinite weights, "
          "which PyTorch refuses for zero images ('max(): Expected reduction dim 0 to have non-zero size').",
    where="torchmetrics/functional/segmentation/generalized_dice.py::_generalized_dice_update",
    raises="Expected reduction dim 0 to have non-zero size", trigger=some_batch_empty, properties=EVERY_PROPERTY,
    kind="defect", witness=Witness(inside=(MAP, empty(MAP)), outside=(MAP,), metric="GeneralizedDiceScore"),
)


SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="MeanIoU", reference=ref.samplewise_iou, params={"num_classes": NUM_CLASSES},
        variant={"aggregation": "samplewise"}, domain=SEGMENTATION, decomposition="none", growth=GROWTH, scale=1.0,
        bindings={"torchmetrics": _index_maps("MeanIoU", {})},
        space=(PER_CLASS, INCLUDE_BACKGROUND), absent=NO_PER_IMAGE,
        known=(_torchmetrics_scalar_of_one_class(ref.samplewise_iou),),
    ),
    MetricSpec(
        name="DiceScore", reference=ref.dice_score, params={"num_classes": NUM_CLASSES},
        domain=SEGMENTATION, decomposition="none", growth=GROWTH, scale=1.0,
        bindings={"torchmetrics": _index_maps("DiceScore", {})},
        space=(_drawn("average", ("macro", "micro", "weighted", "none")),
               _drawn("aggregation_level", ("samplewise", "global")), INCLUDE_BACKGROUND),
        known=(TORCHMETRICS_DICE_NO_SUPPORT, _torchmetrics_scalar_of_one_class(ref.dice_score)),
        absent=NO_PER_IMAGE,
    ),
    MetricSpec(
        name="GeneralizedDiceScore", reference=ref.generalized_dice_score, params={"num_classes": NUM_CLASSES},
        domain=SEGMENTATION, decomposition="none", growth=GROWTH, scale=1.0,
        bindings={"torchmetrics": _index_maps("GeneralizedDiceScore", {})},
        space=(PER_CLASS, _drawn("weight_type", ("square", "simple", "linear")), INCLUDE_BACKGROUND),
        known=(TORCHMETRICS_GDS_NOTHING_TO_SCORE, TORCHMETRICS_GDS_ABSENT_WEIGHT, TORCHMETRICS_GDS_EMPTY_BATCH,
               _torchmetrics_scalar_of_one_class(ref.generalized_dice_score, undefined=0.0)),
        absent=NO_PER_IMAGE,
    ),
    MetricSpec(
        name="ExactMatch", reference=ref.exact_match, variant={"task": "multiclass"}, domain=SEGMENTATION,
        decomposition="mean", growth=tol.RATIO, scale=1.0,
        bindings={"torchmetrics": Binding("torchmetrics.classification.MulticlassExactMatch",
                                          {"num_classes": NUM_CLASSES}, weights=False, masks="keep")},
        absent={"keras": "Keras has no exact-match metric (nearest: Accuracy, per pixel)",
                "sklearn": "scikit-learn's accuracy_score is an exact match of multilabel rows only; multiclass label "
                           "maps are 'multiclass-multioutput', which it rejects"},
    ),
)
