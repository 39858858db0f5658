"""Accuracy, top-k, confusion counts, precision, recall and F-scores."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any, Literal

import numpy as np

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue import float32
from conformance.catalogue.model import (
    CLASS_RANGE,
    EVERY_PROPERTY,
    HARNESS,
    NUM_CLASSES,
    OUTPUT,
    Binding,
    Decomposition,
    KnownDifference,
    MetricSpec,
    Parameter,
    Unsupported,
    Witness,
    batch,
    empty,
)
from conformance.data import Batch
from conformance.domains import BINARY, BINARY_THRESHOLDS, LABEL_PAIRS, MULTICLASS, MULTICLASS_WIDE, MULTILABEL
from conformance.dtypes import numpy_dtype

Precision = Literal["exact", "float32", "float32-steps", "float32-up"]


def sigmoid_scores(precision: Precision) -> Callable[[Batch], Batch]:
    """Every score through a sigmoid (a library's ``from_logits=True``), computed as ``precision`` says.

    ``exact``: in float64 (a logit > 0 is positive); ``float32``: that, rounded to float32, where logits in
    (0, ~3e-8] give exactly 0.5 (negative); ``float32-steps``: ``1 / (1 + exp(-x))`` with each step rounded to
    float32, as torch's CPU kernel computes it: one ulp above 0.5 for some logits the rounded one puts at 0.5
    (torch.sigmoid(9.4e-8) is 0.50000006, yet 0.5 for 6e-8); ``float32-up``: the exact value rounded up to a float32,
    as a sigmoid within one ulp may give it (TensorFlow's: tf.sigmoid(7e-8) is 0.50000006, where the rounded value
    is 0.5). A library's float32 sigmoid is one of these.
    """
    def float32_steps(logits: np.ndarray, dtype: np.dtype) -> np.ndarray:
        exp = np.exp(-logits.astype(np.float64)).astype(dtype)
        return (dtype.type(1) / (dtype.type(1) + exp)).astype(dtype)

    def transform(batch: Batch) -> Batch:
        # Rounded in the dtype the library computes in: float32, but for input_dtypes' others (float32.computing).
        dtype = numpy_dtype(float32.computing_dtype())
        if precision == "float32-steps":
            return replace(batch, y_pred=_as_scores(float32_steps(batch.y_pred, dtype)))
        probabilities = 1 / (1 + np.exp(-batch.y_pred.astype(np.float64)))
        if precision == "float32-up":
            rounded = probabilities.astype(dtype)
            below = rounded.astype(np.float64) < probabilities
            return replace(batch, y_pred=_as_scores(np.where(below, np.nextafter(rounded, dtype.type(np.inf)),
                                                             rounded).astype(dtype)))
        return replace(batch, y_pred=probabilities if precision == "exact" else _as_scores(probabilities.astype(dtype)))
    return transform


def _as_scores(values: np.ndarray) -> np.ndarray:
    """Rounded scores as the references take them: float32 as they are, another dtype's (float16, bfloat16, float64)
    as float64."""
    return values if values.dtype == np.float32 else values.astype(np.float64)


def sigmoid_if_logits(precision: Precision) -> Callable[[Batch], Batch]:
    """torchmetrics' rule: a float batch with any score outside [0, 1] is logits; apply a sigmoid."""
    sigmoid = sigmoid_scores(precision)

    def transform(batch: Batch) -> Batch:
        scores = batch.y_pred
        return sigmoid(batch) if scores.size and ((scores < 0) | (scores > 1)).any() else batch
    return transform


# torchmetrics' float32 sigmoid: the exact one, the one rounded to float32, or torch's own steps (the sides).
TORCHMETRICS_SIGMOID_SIDES = tuple(sigmoid_if_logits(p) for p in ("exact", "float32", "float32-steps"))

TORCHMETRICS_AUTO_SIGMOID = dict(
    what="Scores outside [0, 1] make torchmetrics treat the whole update's scores as logits and apply "
         "a sigmoid before thresholding; the decision is taken per update() call, so the same score "
         "can count differently depending on the batch it arrives in. (torch's float32 sigmoid puts some logits just "
         "above 0 at exactly 0.5, a negative, and others one ulp above it: 9.4e-8 is positive, 6e-8 is not.)",
    cause="Binary classification inputs are validated per call: 'If preds has values outside [0,1] "
          "range we consider the input to be logits and will auto apply sigmoid per element'.",
    where="torchmetrics/functional/classification/stat_scores.py::_binary_stat_scores_format; "
          "https://lightning.ai/docs/torchmetrics/stable/classification/accuracy.html#binaryaccuracy",
    per_batch=TORCHMETRICS_SIGMOID_SIDES,
    kind="defect",
    # 0.3 and 0.1 are thresholded as they are in [0, 1] alone, through a sigmoid (above 0.5) beside logits.
    witness=Witness(inside=(batch([1, 0, 1, 1], [0.3, -1.0, 2.0, 0.1]),),
                    outside=(batch([1, 0, 1, 1], [0.3, 0.2, 0.9, 0.1]),)),
)

KERAS_FBETA_EPSILON = dict(
    what="Keras predicts every class tied for the row maximum (and none for an all-zero row) and adds "
         "epsilon = 1e-7 to each denominator, so small weighted counts and argmax ties move the score.",
    cause="FBetaScore.update_state uses `y_pred >= max(y_pred)` and `abs(y_pred) > 1e-9` when "
          "threshold is None; result() divides by `tp + fp + epsilon` and `tp + fn + epsilon`.",
    where="keras/src/metrics/f_score_metrics.py (FBetaScore.update_state, FBetaScore.result)",
    overrides={"argmax_ties": "all", "epsilon": 1e-7},
)


SCORES = batch([0, 1, 2], [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6]], num_classes=3)  # three classes
ONE_WRONG = batch([0, 1, 2, 1], [[0.7, 0.2, 0.1], [0.1, 0.8, 0.1], [0.2, 0.2, 0.6], [0.6, 0.3, 0.1]], num_classes=3)
KERAS_FBETA_EMPTY_BATCH = dict(
    what="Updated eagerly, Keras' F1Score/FBetaScore raise on an empty batch (zero samples) instead of leaving the "
         "state unchanged. Compiled with tf.function (as model.fit() runs them) the same batch is accepted.",
    cause="With threshold=None, update_state computes ops.max(y_pred, axis=-1); the TensorFlow backend's max "
          "asserts a non-empty input ('Cannot compute the max of an empty tensor').",
    where="keras/src/metrics/f_score_metrics.py:165 (FBetaScore.update_state); "
          "keras/src/backend/tensorflow/numpy.py:747 (max)",
    raises="Cannot compute the max of an empty tensor",
    trigger=lambda batches: any(len(b) == 0 for b in batches),
    properties=EVERY_PROPERTY,
    kind="defect",
    witness=Witness(inside=(SCORES, empty(SCORES)), outside=(SCORES,), mode="eager"),
)


def _batch_total_weight(batch: Batch) -> Batch:
    """Every sample weighted by its batch's total weight, as an (n, 1) weight broadcast over every sample gives."""
    if batch.sample_weight is None or not len(batch):
        return batch
    total = batch.sample_weight.astype(np.float64).sum()
    return replace(batch, sample_weight=np.full(len(batch), total))


KERAS_FBETA_COLUMN_WEIGHTS = dict(
    what="Given (n, 1) sample weights, Keras' F1Score/FBetaScore(average='micro') weight every sample by the sum of "
         "its update's weights: F1Score(average='micro') fed y_pred [[0.9], [0.2], [0.3], [0.8]] > 0.5 against "
         "[[1], [0], [1], [1]] with weights [[1], [2], [3], [0.5]] gives 0.8, with the same weights as (n,) 0.5. "
         "(The other averages raise: their per-class state cannot hold the (n, C) sum.)",
    cause="_weighted_sum multiplies the values by ops.expand_dims(sample_weight, 1): an (n, 1) weight becomes "
          "(n, 1, 1) and broadcasts against the (n, C) values to (n, n, C), every weight times every sample, before "
          "the sum over all axes.",
    where="keras/src/metrics/f_score_metrics.py::FBetaScore.update_state (_weighted_sum)",
    per_batch=_batch_total_weight, layouts=(("flat", "flat", "column"),), kind="defect",
    properties=("shape_conventions",),
)

# -- drawn parameters ---------------------------------------------------------------------------------

NAN = float("nan")
# The value of an undefined ratio (nothing predicted, no positive; for an F-score a class neither true nor
# predicted): scikit-learn and torchmetrics take it as zero_division (scikit-learn also NaN: left out of averages);
# Keras has none.
ZERO_DIVISION = Parameter(
    "zero_division", (0.0, 1.0, NAN), spellings={"sklearn": "zero_division", "torchmetrics": "zero_division"},
    absent={"keras": "Keras' Precision, Recall and F-scores have no zero_division: an undefined ratio is 0 "
                     "(ops.divide_no_nan) or, with epsilon in the denominators, near 0"},
    unsupported=(Unsupported("torchmetrics", {"zero_division": (NAN,)}, "torchmetrics' zero_division is 0 or 1 "
                             "('Expected argument `zero_division` to be 0 or 1'; NaN is scikit-learn's)"),),
)
# A count instead of a fraction (scikit-learn's normalize=False): a sum, whose weights scale it.
COUNT = dict(decomposition="sum", growth=tol.SUM, scale=0.0, ratio=False)
NORMALIZE = Parameter(
    "normalize", (True, False), spellings={"sklearn": "normalize"},
    absent={"keras": "Keras' accuracies are fractions (a Mean): no count of correct samples",
            "torchmetrics": "torchmetrics' accuracies are fractions: no count of correct samples"},
    changes=lambda normalize: {} if normalize else COUNT,
)
THRESHOLD_LIST = (0.25, 0.5, 0.75)
NO_THRESHOLD_LIST = {
    "sklearn": "scikit-learn scores one threshold per call (e.g. precision_score on labels thresholded by the "
               "caller); nearest for a list: precision_recall_curve, at the data's own scores with score >= t",
    "torchmetrics": "torchmetrics' Binary* metrics take one threshold; nearest for a list: "
                    "BinaryPrecisionRecallCurve(thresholds=[...]) / BinaryROC, which predict score >= t",
}


def _threshold_domain(threshold: Any) -> dict[str, Any]:
    """Scores at and one float32 step either side of 0.25, 0.5 and 0.75 for a threshold other than 0.5."""
    return {} if threshold == 0.5 else {"domain": BINARY_THRESHOLDS}


def threshold_parameter(keras: str | None, *, lists: bool = False, sklearn: bool = True,
                        torchmetrics: bool = True, binary: bool = False) -> Parameter:
    """The score threshold (score > t is positive) as each library spells it: Keras' ``keras`` keyword (with
    ``lists``, a list of thresholds too: one value per threshold), torchmetrics' ``threshold``, scikit-learn's
    labels thresholded by the harness. 0.5 first; 0.25, 0.75 and 0 (the edge), then any float32 in (0, 1).
    ``binary``: one score per sample, drawn at and around the thresholds for a threshold other than 0.5."""
    spellings = {"keras": keras, "sklearn": HARNESS, "torchmetrics": "threshold"}
    spellings = {k: v for k, v in spellings.items() if v and {"sklearn": sklearn, "torchmetrics": torchmetrics,
                                                               "keras": True}[k]}
    return Parameter(
        "threshold", (0.5, 0.25, 0.75, 0.0) + ((THRESHOLD_LIST,) if lists else ()), spellings=spellings,
        span=(0.0, 1.0), changes=_threshold_domain if binary else None,
        unsupported=tuple(Unsupported(lib, {"threshold": (THRESHOLD_LIST,)}, NO_THRESHOLD_LIST[lib])
                          for lib in ("sklearn", "torchmetrics") if lists and lib in spellings),
        absent={"keras": "this Keras class has no threshold", "sklearn": "scikit-learn's function takes scores",
                "torchmetrics": "this torchmetrics class has no threshold"},
    )


# torchmetrics' multiclass averages; None is its "none" (one value per class).
AVERAGES = ("macro", "micro", "weighted", None)
MULTILABEL_AVERAGES = (*AVERAGES, "samples")


def average_parameter(values: tuple[Any, ...], *, keras: bool = True, sklearn: bool = True,
                      torchmetrics: bool = True, first: Any = "macro",
                      changes: Callable[[Any], Mapping[str, Any]] | None = None) -> Parameter:
    """How per-class values are combined, as every library named spells it (``average``); ``first`` the default."""
    spellings = {lib: "average" for lib, takes in (("keras", keras), ("sklearn", sklearn),
                                                   ("torchmetrics", torchmetrics)) if takes}
    unsupported = tuple(Unsupported(lib, {"average": ("samples",)}, f"{name} has no average='samples' (one value "
                                    "per sample's labels, then their mean)")
                        for lib, name in (("keras", "Keras' F1Score/FBetaScore"),
                                          ("torchmetrics", "torchmetrics' multilabel classes"))
                        if "samples" in values and lib in spellings)
    return Parameter("average", (first, *(v for v in values if v != first)), spellings=spellings,
                     unsupported=unsupported, changes=changes,
                     absent={"keras": "this Keras class has no per-class average (it pools every cell)",
                             "sklearn": "scikit-learn has no counterpart taking an average here",
                             "torchmetrics": "this torchmetrics class has no average"})


def _mean_only_if_micro(average: Any) -> dict[str, Any]:
    """An accuracy averaged other than micro is a mean of per-class ratios, not of per-sample values."""
    return {} if average == "micro" else {"decomposition": "none", "growth": tol.F_SCORE}


def top_k_parameter(first: int = 1, *, keras: str | None = None, torchmetrics: bool = True,
                    to_reference: bool = True) -> Parameter:
    """How many of a row's best classes count (2 at most the classes: a larger k is resolved to C)."""
    spellings = {"torchmetrics": "top_k"} if torchmetrics else {}
    if keras:
        spellings["keras"] = keras
    return Parameter(
        "top_k", (first, *(k for k in (1, 2, 3) if k != first)), spellings=spellings, limit="classes",
        reference=to_reference,
        absent={"keras": "Keras' F-scores have no top_k", "sklearn": "scikit-learn's precision, recall and "
                "F-scores take labels: no top-k (nearest: top_k_accuracy_score)"},
    )


def _binary_threshold_metric(name: str, function: Callable[..., Any], *, decomposition: Decomposition,
                             growth: float, scale: float, ratio: bool, sklearn: Binding,
                             torchmetrics: Binding, keras_argument: str, lists: bool = False,
                             space: tuple[Parameter, ...] = ()) -> MetricSpec:
    """A metric of scores thresholded at ``threshold`` (drawn: 0.5 first; with ``lists``, Keras' list too)."""
    return MetricSpec(
        name=name, reference=function, params={"threshold": 0.5}, domain=BINARY,
        decomposition=decomposition, growth=growth, scale=scale, ratio=ratio,
        bindings={"keras": Binding(f"keras.metrics.{name}"), "sklearn": sklearn, "torchmetrics": torchmetrics},
        known=(KnownDifference("torchmetrics", **TORCHMETRICS_AUTO_SIGMOID),),
        space=(threshold_parameter(keras_argument, lists=lists, binary=True), *space),
    )


def _confusion_count(name: str, function: Callable[..., Any], cell: tuple[int, int], stat: int) -> MetricSpec:
    """A Keras confusion count at a drawn threshold (or list), with its scikit-learn and torchmetrics cells."""
    return _binary_threshold_metric(
        name, function, decomposition="sum", growth=tol.SUM, scale=0.0, ratio=False, keras_argument="thresholds",
        lists=True, sklearn=Binding("sklearn.metrics.confusion_matrix", {"labels": [0, 1]}, y_pred="above-threshold",
                                    output=cell),
        # (..., stat): one count per sample too (multidim_average="samplewise")
        torchmetrics=Binding("torchmetrics.classification.BinaryStatScores", weights=False, output=(Ellipsis, stat)),
    )


# Classes tied at the top-k boundary (or at the top) decide which class a torch.topk keeps: the least and the most
# the value can be in any order of the tied classes (they agree where no tie decides).
TOP_K_TIE_RULES = ({"top_k_ties": "least"}, {"top_k_ties": "most"})
TORCHMETRICS_LABEL_TOP_K_TIES = dict(
    what="Among classes tied at the top-k boundary (or for the best class of a sample whose label is not among its "
         "k best), torchmetrics keeps whichever torch.topk returns (for [0, 0, 0, 0] and k=2 classes 2 and 3; for "
         "[0, 0, 0] classes 0 and 1); the reference counts a tied label as inside the k best and takes the lowest "
         "index as the best. Checked: the value lies between the least and the most it can be in any order of the "
         "tied classes, which agree where no tie decides.",
    cause="_multiclass_stat_scores_update(top_k > 1) selects with select_topk and refines with torch.topk "
          "(_refine_preds_oh: the target if among the top k, else topk's first index); PyTorch does not document "
          "the order of equal values.",
    where="torchmetrics/functional/classification/stat_scores.py::_multiclass_stat_scores_update, _refine_preds_oh; "
          "https://pytorch.org/docs/stable/generated/torch.topk.html",
    bounds=TOP_K_TIE_RULES, when={"top_k": (2, 3)},
)
TORCHMETRICS_MACRO_ABSENT = dict(
    what="A class with no true, predicted or missed sample (tp + fp + fn = 0) is left out of torchmetrics' macro "
         "mean; the reference (like Keras, and scikit-learn given labels) counts it as zero_division.",
    cause="_adjust_weights_safe_divide sets the weight of classes with tp + fp + fn == 0 to 0 for average='macro'.",
    where="torchmetrics/utilities/compute.py::_adjust_weights_safe_divide",
    overrides={"absent_classes": "exclude"},
)
TORCHMETRICS_TOP_K_MACRO_UNSUPPORTED = dict(
    what="With top_k > 1, torchmetrics' macro precision, recall and accuracy leave out every class that is never "
         "true (tp + fn = 0), even one predicted (fp > 0, a precision of 0) that top_k=1 counts: a class's "
         "weight in the mean depends on top_k.",
    cause="_adjust_weights_safe_divide(..., top_k) zeroes the weights of classes with `tp + fp + fn == 0 if top_k "
          "== 1 else tp + fn == 0`.",
    where="torchmetrics/utilities/compute.py::_adjust_weights_safe_divide",
    overrides={"absent_classes": "exclude_unsupported"}, when={"top_k": (2, 3), "average": ("macro",)},
    kind="defect",
)


# Three classes at top_k=2, class 2 never true yet predicted (the best of row 0, whose label 0 is not among its best
# two); outside, every class is true once.
TOP_K_NEVER_TRUE = batch([0, 1, 0], [[0.1, 0.3, 0.6], [0.1, 0.8, 0.1], [0.7, 0.2, 0.1]], num_classes=3)
TOP_K_EVERY_CLASS = batch([0, 1, 2], [[0.1, 0.3, 0.6], [0.1, 0.8, 0.1], [0.2, 0.1, 0.7]], num_classes=3)


def _multiclass_accuracy(name: str, y_true: str) -> MetricSpec:
    """Keras' categorical accuracies; scikit-learn's accuracy_score of the argmax (normalize drawn); torchmetrics'
    MulticlassAccuracy (average drawn: other than micro, the mean of per-class accuracies, i.e. recalls)."""
    return MetricSpec(
        name=name, reference=ref.categorical_accuracy, params={"average": "micro"}, domain=MULTICLASS,
        decomposition="mean", growth=tol.RATIO, scale=1.0,
        bindings={
            "keras": Binding(f"keras.metrics.{name}", y_true=y_true),
            "sklearn": Binding("sklearn.metrics.accuracy_score", y_pred="argmax"),
            "torchmetrics": Binding("torchmetrics.classification.MulticlassAccuracy",
                                    {"num_classes": NUM_CLASSES}, weights=False),
        },
        space=(NORMALIZE, average_parameter(AVERAGES, keras=False, sklearn=False, first="micro",
                                            changes=_mean_only_if_micro)),
        known=(KnownDifference("torchmetrics", **{**TORCHMETRICS_MACRO_ABSENT, "when": {"average": ("macro",)}}),),
    )


def _top_k_accuracy(name: str, y_true: str, k: int) -> MetricSpec:
    top_k = Parameter("k", (k, 1, 3), spellings={"keras": "k", "sklearn": "k", "torchmetrics": "top_k"},
                      limit="classes")
    return MetricSpec(
        name=name, reference=ref.top_k_accuracy, params={"k": k, "ties": "optimistic", "average": "micro"},
        variant={"k": k}, domain=MULTICLASS_WIDE, decomposition="mean", growth=tol.RATIO, scale=1.0,
        bindings={
            "keras": Binding(f"keras.metrics.{name}", y_true=y_true),
            "sklearn": Binding("sklearn.metrics.top_k_accuracy_score", {"labels": CLASS_RANGE}),
            "torchmetrics": Binding("torchmetrics.classification.MulticlassAccuracy",
                                    {"num_classes": NUM_CLASSES}, weights=False),
        },
        space=(top_k, NORMALIZE, average_parameter(AVERAGES, keras=False, sklearn=False, first="micro",
                                                   changes=_mean_only_if_micro))
        + ((Parameter("from_sorted_ids", (False, True), spellings={"keras": "from_sorted_ids"}, reference=False,
                      presentation=lambda b, ids: replace(b, y_pred="sorted-ids") if ids else b,
                      # the harness sorts the classes, equal scores by lower index: a tie at the k-th place is so
                      changes=lambda ids: {"params": {"k": k, "ties": "lower_index_first", "average": "micro"}}
                      if ids else {},
                      absent={"sklearn": "scikit-learn's top_k_accuracy_score takes scores",
                              "torchmetrics": "torchmetrics' MulticlassAccuracy takes scores or labels"}),)
           if y_true == "labels" else ()),
        known=(
            KnownDifference(
                "sklearn", what="Among classes tied at the top-k boundary, scikit-learn ranks the higher class "
                "index first; the reference (TensorFlow's in_top_k) counts every tied class as inside the top k.",
                cause="top_k_accuracy_score sorts with np.argsort(y_score, kind='mergesort')[:, ::-1], so equal "
                      "scores are ranked by descending class index.",
                where="sklearn/metrics/_ranking.py::top_k_accuracy_score",
                overrides={"ties": "higher_index_first"},
            ),
            KnownDifference(
                "torchmetrics", what="Among classes tied at the top-k boundary, torchmetrics keeps whichever "
                "torch.topk returns (e.g. classes 2 and 3 of [0, 0, 0, 0]); the reference counts every tied class "
                "as inside. Checked: the value lies between the pessimistic and optimistic tie rules.",
                cause="MulticlassAccuracy(top_k=k) selects classes with torch.topk; PyTorch's documentation does "
                      "not say which of several equal values topk returns (on this CPU build: the higher indices "
                      "for [0, 0, 0, 0], the lower for [0, 0, 0]).",
                where="torchmetrics/functional/classification/stat_scores.py::_multiclass_stat_scores_update "
                      "(select_topk, _refine_preds_oh); https://pytorch.org/docs/stable/generated/torch.topk.html",
                bounds=({"ties": "pessimistic"}, {"ties": "optimistic"}), when={"average": ("micro",)},
            ),
            # Averaged per class, the tie rules and the weight of classes never true (top_k > 1) or absent.
            KnownDifference("torchmetrics", **{**TORCHMETRICS_LABEL_TOP_K_TIES,
                                               "bounds": tuple({"ties": s["top_k_ties"]} for s in TOP_K_TIE_RULES),
                                               "when": {"average": ("macro", "weighted", None), "k": (2, 3)}}),
            KnownDifference("torchmetrics", **{**TORCHMETRICS_MACRO_ABSENT,
                                               "when": {"average": ("macro",), "k": (1,)}}),
            KnownDifference("torchmetrics", **{
                **TORCHMETRICS_TOP_K_MACRO_UNSUPPORTED, "bounds": tuple({"ties": s["top_k_ties"]}
                                                                        for s in TOP_K_TIE_RULES),
                "when": {"average": ("macro",), "k": (2, 3)},
                "witness": Witness(inside=(TOP_K_NEVER_TRUE,), outside=(TOP_K_EVERY_CLASS,),
                                   parameters={"k": 2, "average": "macro"})}),
        ),
    )




def _f_score(name: str, beta: float | None) -> MetricSpec:
    """F1Score / FBetaScore on multiclass scores: the average, zero_division, torchmetrics' top_k and the F-beta
    weight drawn (macro, 0, top-1 and the variant's beta first)."""
    beta_params = {} if beta is None else {"beta": beta}
    sklearn_function = "f1_score" if beta is None else "fbeta_score"
    torch_class = "MulticlassF1Score" if beta is None else "MulticlassFBetaScore"
    known = [
        KnownDifference("keras", **KERAS_FBETA_EPSILON), KnownDifference("keras", **KERAS_FBETA_EMPTY_BATCH),
        # the wrong prediction weighs most; outside, equal weights (a total weight scales all)
        KnownDifference("keras", **KERAS_FBETA_COLUMN_WEIGHTS, when={"average": ("micro",)}, witness=Witness(
            inside=(ONE_WRONG.with_weights(np.array([1.0, 2.0, 3.0, 4.0], np.float32)),),
            outside=(ONE_WRONG.with_weights(np.array([2.0, 2.0, 2.0, 2.0], np.float32)),),
            layout=("flat", "flat", "column"), parameters={"average": "micro"})),
        KnownDifference("torchmetrics", **{**TORCHMETRICS_MACRO_ABSENT, "when": {"average": ("macro",)}}),
        # The F-scores leave classes out of a macro mean by tp + fp + fn = 0 whatever top_k is.
        KnownDifference("torchmetrics", **{**TORCHMETRICS_LABEL_TOP_K_TIES,
                                           "overrides": {"absent_classes": "exclude"}}),
    ]
    return MetricSpec(
        name=name, reference=ref.fbeta_score, params={"average": "macro", "beta": beta or 1.0},
        variant={"average": "macro", **beta_params}, domain=MULTICLASS, decomposition="none", growth=tol.F_SCORE,
        scale=1.0,
        bindings={
            "keras": Binding(f"keras.metrics.{name}", beta_params, y_true="onehot"),
            "sklearn": Binding(f"sklearn.metrics.{sklearn_function}", {"labels": CLASS_RANGE, **beta_params},
                               y_pred="argmax"),
            "torchmetrics": Binding(f"torchmetrics.classification.{torch_class}",
                                    {"num_classes": NUM_CLASSES, **beta_params}, weights=False),
        },
        known=tuple(known),
        # The F-beta weight as every library spells it (the F1 classes have none).
        space=(average_parameter(AVERAGES), ZERO_DIVISION, top_k_parameter()) + (() if beta is None else (Parameter(
            "beta", (beta, 0.5, 1.0, 3.0), spellings={"keras": "beta", "sklearn": "beta", "torchmetrics": "beta"}),)),
    )


def _binary_rate(name: str, function: Callable[..., Any], sklearn_function: str, torch_class: str) -> MetricSpec:
    """Keras Precision / Recall at a drawn threshold (or list); scikit-learn's with zero_division and pos_label;
    torchmetrics' with zero_division."""
    return _binary_threshold_metric(
        name, function, decomposition="none", growth=tol.RATIO, scale=1.0, ratio=True, keras_argument="thresholds",
        lists=True, sklearn=Binding(f"sklearn.metrics.{sklearn_function}", y_pred="above-threshold"),
        torchmetrics=Binding(f"torchmetrics.classification.{torch_class}", weights=False),
        space=(ZERO_DIVISION, Parameter(
            "pos_label", (1, 0), spellings={"sklearn": "pos_label"},
            absent={"keras": "Keras' Precision and Recall score class 1", "torchmetrics": "torchmetrics' binary "
                    "classes score class 1 (nearest: 1 - targets, 1 - scores)"})),
    )


def _class_rate(name: str) -> MetricSpec:
    """Per-class precision or recall on multiclass scores, averaged as drawn (scikit-learn: of the argmax labels;
    torchmetrics: also top_k; Keras has no per-class average: its top-k precision is Precision[top_k=2])."""
    function, sklearn_function = ((ref.class_precision, "precision_score") if name == "Precision"
                                  else (ref.class_recall, "recall_score"))
    return MetricSpec(
        name=name, reference=function, params={"average": "macro"}, variant={"task": "multiclass"},
        domain=MULTICLASS, decomposition="none", growth=tol.F_SCORE, scale=1.0,
        bindings={
            "sklearn": Binding(f"sklearn.metrics.{sklearn_function}", {"labels": CLASS_RANGE}, y_pred="argmax"),
            "torchmetrics": Binding(f"torchmetrics.classification.Multiclass{name}", {"num_classes": NUM_CLASSES},
                                    weights=False),
        },
        space=(average_parameter(AVERAGES, keras=False), ZERO_DIVISION, top_k_parameter()),
        known=(KnownDifference("torchmetrics", **{**TORCHMETRICS_MACRO_ABSENT,
                                                  "when": {"average": ("macro",), "top_k": (1,)}}),
               KnownDifference("torchmetrics", **{**TORCHMETRICS_LABEL_TOP_K_TIES,
                                                  "when": {"top_k": (2, 3), "average": ("micro", "weighted", None)}}),
               KnownDifference("torchmetrics", **{**TORCHMETRICS_TOP_K_MACRO_UNSUPPORTED, "bounds": TOP_K_TIE_RULES,
                                                  "witness": Witness(inside=(TOP_K_NEVER_TRUE,),
                                                                     outside=(TOP_K_EVERY_CLASS,),
                                                                     parameters={"top_k": 2, "average": "macro"})})),
        absent={"keras": "Keras' Precision and Recall pool every (sample, class) cell: no per-class average (its "
                         "top-k precision on one-hot rows is Precision[top_k=2])"},
    )


# Classes tied at the k-th score all outside the top k, or all inside: the sides of a tie order left unspecified.
TOP_K_TIE_SIDES = ({"top_k_ties": "pessimistic"}, {"top_k_ties": "optimistic"})

TORCHMETRICS_TOP_K_TIES = dict(
    what="Among classes tied at the top-k boundary, torchmetrics keeps whichever torch.topk returns; the "
         "reference (like Keras, through TensorFlow's top_k) takes the lower class index first. Checked: the value "
         "lies between the true class ranked after and before every class tied with it.",
    cause="MulticlassPrecision/MulticlassRecall(top_k=k) select classes with torch.topk, whose order among equal "
          "values PyTorch does not document.",
    where="torchmetrics/functional/classification/stat_scores.py::_multiclass_stat_scores_update (select_topk); "
          "https://pytorch.org/docs/stable/generated/torch.topk.html",
    bounds=TOP_K_TIE_SIDES,
)


KERAS_TORCH_TOP_K_TIES = dict(
    what="On the torch backend, Keras' top-k selection keeps whichever classes torch.topk returns among scores tied "
         "at the k-th place; on TensorFlow (tf.math.top_k) and JAX the lower class index comes first, as in the "
         "reference. A row of equal scores with the true class first: precision 0.5 on TensorFlow, 0 on torch. "
         "Checked: the value lies between the true class ranked after and before every class tied with it.",
    cause="Precision/Recall(top_k=k) pick the k best classes with ops.top_k, which on the torch backend is "
          "torch.topk, whose order among equal values PyTorch does not document.",
    where="keras/src/metrics/metrics_utils.py::_filter_top_k; keras/src/backend/torch/math.py::top_k; "
          "https://pytorch.org/docs/stable/generated/torch.topk.html",
    bounds=TOP_K_TIE_SIDES,
    backends=("torch",),
)


def _top_k_rate(name: str, k: int) -> MetricSpec:
    """Keras Precision/Recall(top_k) on one-hot multiclass data: only the k best classes of a row are positive,
    every one of them counted (k drawn, the variant's first); torchmetrics' micro top-k rate beside it."""
    function = ref.precision if name == "Precision" else ref.recall
    return MetricSpec(
        name=name, reference=function, params={"threshold": None, "top_k": k}, variant={"top_k": k},
        domain=MULTICLASS_WIDE, decomposition="none", growth=tol.RATIO, scale=1.0,
        bindings={
            "keras": Binding(f"keras.metrics.{name}", y_true="onehot"),
            "torchmetrics": Binding(f"torchmetrics.classification.Multiclass{name}",
                                    {"num_classes": NUM_CLASSES, "average": "micro"}, weights=False),
        },
        space=(top_k_parameter(k, keras="top_k"),),
        absent={"sklearn": f"scikit-learn has no top-k {name.lower()} (nearest: top_k_accuracy_score, which "
                           + ("is k times it" if name == "Precision" else "equals it on one-hot targets") + ")"},
        known=(KnownDifference("torchmetrics", **TORCHMETRICS_TOP_K_TIES),
               *([TORCHMETRICS_TOP_K_PRECISION] if name == "Precision" else []),
               KnownDifference("keras", **KERAS_TORCH_TOP_K_TIES)),
    )


TORCHMETRICS_TOP_K_PRECISION = KnownDifference(
    "torchmetrics", what="torchmetrics' top-k precision counts one prediction per sample, the true class if it is "
    "among the k best, else the best class; so its micro top-k precision equals top-k recall (top-k accuracy). Keras "
    "and the reference count all k classes as predicted positives (precision = hits / (k * samples)).",
    cause="_refine_preds_oh replaces the top-k one-hot prediction by the target's one-hot when the target is among "
          "the top k, else by the top-1 class, before tp/fp are counted.",
    where="torchmetrics/functional/classification/stat_scores.py::_refine_preds_oh "
          "(called from _multiclass_stat_scores_update)",
    reference=ref.recall, bounds=TOP_K_TIE_SIDES,
)


def _class_id_rate(name: str, class_id: int) -> MetricSpec:
    """Keras Precision/Recall(class_id=c) on multilabel data: the rate of label c alone at a drawn threshold; the
    class id drawn too (limited to the data's labels), picked from scikit-learn's and torchmetrics' per-label
    values."""
    function, sklearn_function = (ref.precision, "precision_score") if name == "Precision" else (ref.recall,
                                                                                                  "recall_score")
    return MetricSpec(
        name=name, reference=function, params={"threshold": 0.5, "class_id": class_id}, variant={"class_id": class_id},
        domain=MULTILABEL, decomposition="none", growth=tol.RATIO, scale=1.0,
        bindings={
            "keras": Binding(f"keras.metrics.{name}"),
            "sklearn": Binding(f"sklearn.metrics.{sklearn_function}", {"average": None}, y_pred="above-threshold",
                               output=(class_id,)),
            "torchmetrics": Binding(f"torchmetrics.classification.Multilabel{name}",
                                    {"num_labels": NUM_CLASSES, "average": None}, weights=False, output=(class_id,)),
        },
        space=(Parameter("class_id", (class_id, 0, 2, 3), spellings={"keras": "class_id", "sklearn": OUTPUT,
                                                                    "torchmetrics": OUTPUT}, limit="class index"),
               threshold_parameter("thresholds", lists=True), ZERO_DIVISION),
        known=(KnownDifference("torchmetrics", **TORCHMETRICS_AUTO_SIGMOID),),
    )


def _multilabel_rate(name: str) -> MetricSpec:
    """Per-label precision or recall of multilabel scores at a drawn threshold, averaged as drawn."""
    function, sklearn_function = ((ref.class_precision, "precision_score") if name == "Precision"
                                  else (ref.class_recall, "recall_score"))
    return MetricSpec(
        name=name, reference=function, params={"average": "macro", "threshold": 0.5}, variant={"task": "multilabel"},
        domain=MULTILABEL, decomposition="none", growth=tol.F_SCORE, scale=1.0,
        bindings={
            "sklearn": Binding(f"sklearn.metrics.{sklearn_function}", y_pred="above-threshold"),
            "torchmetrics": Binding(f"torchmetrics.classification.Multilabel{name}", {"num_labels": NUM_CLASSES},
                                    weights=False),
        },
        space=(average_parameter(MULTILABEL_AVERAGES, keras=False), threshold_parameter(None), ZERO_DIVISION),
        known=(KnownDifference("torchmetrics", **TORCHMETRICS_AUTO_SIGMOID),
               replace(SKLEARN_WEIGHTED_ZERO_SUPPORT, when={"average": ("weighted",)})),
        absent={"keras": "Keras' Precision and Recall pool every (sample, label) cell, or take one label (class_id): "
                         "no per-label average"},
    )


NO_TRUE_LABEL = batch([[0, 0], [0, 0]], [[0.2, 0.1], [0.3, 0.4]], num_classes=2)  # nothing true, nothing predicted
SKLEARN_WEIGHTED_ZERO_SUPPORT = KnownDifference(
    "sklearn", what="With no true label anywhere (zero support overall), scikit-learn's weighted average ignores "
    "the all-zero weights and takes the unweighted mean of the per-label scores (each zero_division for a label "
    "neither true nor predicted); the reference, like torchmetrics, gives 0.0.",
    cause="precision_recall_fscore_support averages with _nanaverage(f_score, weights=true_sum), which catches the "
          "ZeroDivisionError of all-zero weights and averages without them.",
    where="sklearn/metrics/_classification.py::precision_recall_fscore_support; sklearn/utils/extmath.py::_nanaverage",
    overrides={"zero_support": "unweighted"}, when={"average": ("weighted",)},
    # Inside: zero_division=1 makes each label's score 1, so the unweighted mean is 1. Outside: one true label, so
    # the support is not zero and the weighted mean is the reference's.
    witness=Witness(inside=(NO_TRUE_LABEL,), outside=(batch([[1, 0], [0, 0]], [[0.7, 0.1], [0.3, 0.4]],
                                                            num_classes=2),),
                    parameters={"zero_division": 1.0, "average": "weighted"},
                    metric="FBetaScore[average=weighted,beta=0.5,threshold=0.5]"),
)


def _multilabel_f_score(name: str, average: str, beta: float | None) -> MetricSpec:
    """Keras F1Score/FBetaScore(threshold=t) on multilabel data: each label positive where score > t; the average
    (the variant's first), threshold, zero_division and beta drawn."""
    beta_params = {} if beta is None else {"beta": beta}
    sklearn_function = "f1_score" if beta is None else "fbeta_score"
    torch_class = "MultilabelF1Score" if beta is None else "MultilabelFBetaScore"
    return MetricSpec(
        name=name, reference=ref.fbeta_score, params={"average": average, "beta": beta or 1.0, "threshold": 0.5},
        variant={"average": average, **beta_params, "threshold": 0.5}, domain=MULTILABEL, decomposition="none",
        growth=tol.F_SCORE, scale=1.0,
        bindings={
            "keras": Binding(f"keras.metrics.{name}", beta_params),
            "sklearn": Binding(f"sklearn.metrics.{sklearn_function}", beta_params, y_pred="above-threshold"),
            "torchmetrics": Binding(f"torchmetrics.classification.{torch_class}", {"num_labels": NUM_CLASSES,
                                                                                   **beta_params}, weights=False),
        },
        known=(KnownDifference("keras", **{**KERAS_FBETA_EPSILON, "overrides": {"epsilon": 1e-7}}),
               KnownDifference("torchmetrics", **TORCHMETRICS_AUTO_SIGMOID),
               KnownDifference("keras", **KERAS_FBETA_COLUMN_WEIGHTS, when={"average": ("micro",)}),
               SKLEARN_WEIGHTED_ZERO_SUPPORT),
        space=(average_parameter(MULTILABEL_AVERAGES, first=average), replace(threshold_parameter("threshold"),
               unsupported=(Unsupported("keras", {"threshold": (0.0,)}, "Keras' F1Score and FBetaScore take 0 < "
                                        "threshold <= 1 ('Invalid `threshold` argument value')"),)), ZERO_DIVISION)
        + (() if beta is None else (Parameter("beta", (beta, 1.0, 2.0), spellings={
            "keras": "beta", "sklearn": "beta", "torchmetrics": "beta"}),)),
    )


SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="Accuracy", reference=ref.accuracy, domain=LABEL_PAIRS, decomposition="mean", growth=tol.RATIO,
        scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.Accuracy"),
            "sklearn": Binding("sklearn.metrics.accuracy_score"),
            "torchmetrics": Binding("torchmetrics.classification.MulticlassAccuracy",
                                    {"num_classes": NUM_CLASSES, "average": "micro"}, weights=False),
        },
        space=(NORMALIZE,),
    ),
    _binary_threshold_metric(
        "BinaryAccuracy", ref.binary_accuracy, decomposition="mean", growth=tol.RATIO, scale=1.0, ratio=True,
        keras_argument="threshold", sklearn=Binding("sklearn.metrics.accuracy_score", y_pred="above-threshold"),
        torchmetrics=Binding("torchmetrics.classification.BinaryAccuracy", weights=False), space=(NORMALIZE,),
    ),
    _multiclass_accuracy("CategoricalAccuracy", y_true="onehot"),
    _multiclass_accuracy("SparseCategoricalAccuracy", y_true="labels"),
    _top_k_accuracy("TopKCategoricalAccuracy", "onehot", k=2),
    _top_k_accuracy("SparseTopKCategoricalAccuracy", "labels", k=2),
    _confusion_count("TruePositives", ref.true_positives, (1, 1), 0),
    _confusion_count("FalsePositives", ref.false_positives, (0, 1), 1),
    _confusion_count("TrueNegatives", ref.true_negatives, (0, 0), 2),
    _confusion_count("FalseNegatives", ref.false_negatives, (1, 0), 3),
    _binary_rate("Precision", ref.precision, "precision_score", "BinaryPrecision"),
    _binary_rate("Recall", ref.recall, "recall_score", "BinaryRecall"),
    _f_score("F1Score", None),
    _f_score("FBetaScore", 2.0),
    _class_rate("Precision"),
    _class_rate("Recall"),
    _top_k_rate("Precision", 2),
    _top_k_rate("Recall", 2),
    _class_id_rate("Precision", 1),
    _class_id_rate("Recall", 1),
    _multilabel_rate("Precision"),
    _multilabel_rate("Recall"),
    _multilabel_f_score("F1Score", "micro", None),
    _multilabel_f_score("FBetaScore", "weighted", 0.5),
)
