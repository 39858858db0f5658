"""The catalogue: every metric's whole description, as data, in one place.

A :class:`MetricSpec` names the metric, its NumPy reference and parameters, its input domain, how
it decomposes over batches, its tolerance growth, and one :class:`Binding` per library that has
it. Genuine semantic differences between a library and the reference are
:class:`KnownDifference` entries beside the metric, each with its cause and where in the
library's code or docs it comes from, and with the library's convention as a reference (so the
harness verifies that the convention explains each difference it sees, example by example).

Importing this module imports NumPy and the references only; libraries load when a run needs them.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, Literal

import numpy as np

import reference as ref
from conformance import tolerance as tol
from conformance.data import Batch
from conformance.domains import (
    BINARY,
    BINARY_BOTH_CLASSES,
    LABEL_PAIRS,
    MULTICLASS,
    MULTICLASS_WIDE,
    REGRESSION,
    Domain,
)

LIBRARIES = ("keras", "sklearn", "torchmetrics")
NUM_CLASSES = "$num_classes"  # a parameter value filled in from the data: the number of classes
CLASS_RANGE = "$class_range"  # ... the list [0, 1, ..., C - 1]

Decomposition = Literal["mean", "sum", "none"]
EVERY_PROPERTY = ("agreement", "batch_accumulation", "batch_average_pitfall", "reset", "result_idempotence",
                  "order_invariance", "sample_weights", "shape_conventions")


@dataclass(frozen=True)
class Binding:
    """How one library computes the metric, and how the canonical inputs are presented to it.

    ``target`` is the import path of a class (stateful) or function (stateless). ``init`` holds
    constructor (or call) keyword arguments. ``y_true`` is ``labels`` or ``onehot``; ``y_pred`` is
    ``scores``, ``above-threshold`` (0/1 labels, ``score > threshold``, for functions that take
    labels) or ``argmax``. ``layout`` is how per-sample arrays are shaped: ``flat`` ``(n,)`` or
    ``column`` ``(n, 1)``. ``output`` picks one entry of an array result (e.g. a confusion cell).
    """

    target: str
    init: Mapping[str, Any] = field(default_factory=dict)
    y_true: Literal["labels", "onehot"] = "labels"
    y_pred: Literal["scores", "above-threshold", "argmax"] = "scores"
    weights: bool = True
    layout: tuple[str, str] = ("flat", "flat")
    output: tuple[int, ...] | None = None

    def describe(self) -> str:
        args = ", ".join(f"{k}={v!r}" for k, v in self.init.items())
        return f"{self.target}({args})"


@dataclass(frozen=True)
class KnownDifference:
    """A documented semantic difference between a library and the reference.

    The library's convention is the reference ``reference`` (default: the metric's own) called
    with the metric's parameters updated by ``overrides``, on each batch as the library received
    it after ``per_batch`` (if given) and then concatenated. A difference counts as ``known`` only
    on examples where the library agrees with that convention; any other difference is unexpected.
    """

    library: str
    what: str
    cause: str
    where: str
    properties: tuple[str, ...] = ("agreement", "batch_accumulation", "shape_conventions",
                                   "batch_average_pitfall", "sample_weights", "order_invariance")
    reference: Callable[..., Any] | None = None
    overrides: Mapping[str, Any] = field(default_factory=dict)
    per_batch: Callable[[Batch], Batch] | tuple[Callable[[Batch], Batch], Callable[[Batch], Batch]] | None = None
    bounds: tuple[Mapping[str, Any], Mapping[str, Any]] | None = None
    raises: str | None = None
    trigger: Callable[[list[Batch]], bool] | None = None
    kind: Literal["convention", "defect"] = "convention"

    @property
    def explains_values(self) -> bool:
        return self.raises is None

    def explains_error(self, message: str, batches: list[Batch]) -> bool:
        return (self.raises is not None and re.search(self.raises, message) is not None
                and (self.trigger is None or self.trigger(batches)))

    def to_json(self) -> dict[str, str]:
        return {"what": self.what, "cause": self.cause, "where": self.where, "kind": self.kind}


@dataclass(frozen=True)
class MetricSpec:
    """Everything the harness knows about one metric (one parameter variant of it)."""

    name: str
    reference: Callable[..., Any]
    domain: Domain
    decomposition: Decomposition
    growth: float
    scale: float
    bindings: Mapping[str, Binding]
    params: Mapping[str, Any] = field(default_factory=dict)
    variant: Mapping[str, Any] = field(default_factory=dict)
    ratio: bool = True  # scaling every weight leaves the value unchanged
    known: tuple[KnownDifference, ...] = ()

    @property
    def id(self) -> str:
        if not self.variant:
            return self.name
        return f"{self.name}[{','.join(f'{k}={v}' for k, v in self.variant.items())}]"

    def reference_value(self, batch: Batch, *, function: Callable[..., Any] | None = None,
                        overrides: Mapping[str, Any] | None = None) -> np.ndarray:
        """The float64 reference on ``batch`` (optionally another function or parameters)."""
        params = {**self.params, **(overrides or {})}
        value = (function or self.reference)(batch.y_true, batch.y_pred, sample_weight=batch.sample_weight, **params)
        return np.asarray(value, dtype=np.float64)

    def known_for(self, library: str, prop: str) -> list[KnownDifference]:
        return [k for k in self.known if k.library == library and prop in k.properties]


def _logits_to_probabilities(exact: bool) -> Callable[[Batch], Batch]:
    """torchmetrics' rule: a float batch with any score outside [0, 1] is logits; apply a sigmoid.

    ``exact``: the sigmoid in float64 (a logit > 0 is positive); otherwise rounded to float32,
    where logits in (0, ~3e-8] give exactly 0.5 (negative). torch's float32 sigmoid lies between.
    """
    def transform(batch: Batch) -> Batch:
        scores = batch.y_pred
        if not (scores.size and ((scores < 0) | (scores > 1)).any()):
            return batch
        probabilities = 1 / (1 + np.exp(-scores.astype(np.float64)))
        return replace(batch, y_pred=probabilities if exact else probabilities.astype(np.float32))
    return transform


TORCHMETRICS_AUTO_SIGMOID = dict(
    what="Scores outside [0, 1] make torchmetrics treat the whole update's scores as logits and apply "
         "a sigmoid before thresholding; the decision is taken per update() call, so the same score "
         "can count differently depending on the batch it arrives in. (The float32 sigmoid may also round a logit "
         "just above 0 to exactly 0.5, a negative.)",
    cause="Binary classification inputs are validated per call: 'If preds has values outside [0,1] "
          "range we consider the input to be logits and will auto apply sigmoid per element'.",
    where="torchmetrics/functional/classification/stat_scores.py::_binary_stat_scores_format; "
          "https://lightning.ai/docs/torchmetrics/stable/classification/accuracy.html#binaryaccuracy",
    per_batch=(_logits_to_probabilities(exact=True), _logits_to_probabilities(exact=False)),
    kind="defect",
)

KERAS_FBETA_EPSILON = dict(
    what="Keras predicts every class tied for the row maximum (and none for an all-zero row) and adds "
         "epsilon = 1e-7 to each denominator, so small weighted counts and argmax ties move the score.",
    cause="FBetaScore.update_state uses `y_pred >= max(y_pred)` and `abs(y_pred) > 1e-9` when "
          "threshold is None; result() divides by `tp + fp + epsilon` and `tp + fn + epsilon`.",
    where="keras/src/metrics/f_score_metrics.py (FBetaScore.update_state, FBetaScore.result)",
    overrides={"argmax_ties": "all", "epsilon": 1e-7},
)


KERAS_FBETA_EMPTY_BATCH = dict(
    what="Keras' F1Score/FBetaScore raise on an empty batch (zero samples) instead of leaving the state unchanged.",
    cause="With threshold=None, update_state computes ops.max(y_pred, axis=-1); the TensorFlow backend's max "
          "asserts a non-empty input ('Cannot compute the max of an empty tensor').",
    where="keras/src/metrics/f_score_metrics.py:165 (FBetaScore.update_state); "
          "keras/src/backend/tensorflow/numpy.py:747 (max)",
    raises="Cannot compute the max of an empty tensor",
    trigger=lambda batches: any(len(b) == 0 for b in batches),
    properties=EVERY_PROPERTY,
    kind="defect",
)


def _binary_threshold_metric(name: str, function: Callable[..., Any], *, decomposition: Decomposition,
                             growth: float, scale: float, ratio: bool, sklearn: Binding,
                             torchmetrics: Binding, keras_init: Mapping[str, Any]) -> MetricSpec:
    return MetricSpec(
        name=name, reference=function, params={"threshold": 0.5}, domain=BINARY,
        decomposition=decomposition, growth=growth, scale=scale, ratio=ratio,
        bindings={"keras": Binding(f"keras.metrics.{name}", keras_init),
                  "sklearn": sklearn, "torchmetrics": torchmetrics},
        known=(KnownDifference("torchmetrics", **TORCHMETRICS_AUTO_SIGMOID),),
    )


def _confusion_count(name: str, function: Callable[..., Any], cell: tuple[int, int], stat: int) -> MetricSpec:
    return _binary_threshold_metric(
        name, function, decomposition="sum", growth=tol.SUM, scale=0.0, ratio=False,
        keras_init={"thresholds": 0.5},
        sklearn=Binding("sklearn.metrics.confusion_matrix", {"labels": [0, 1]}, y_pred="above-threshold",
                        output=cell),
        torchmetrics=Binding("torchmetrics.classification.BinaryStatScores", {"threshold": 0.5},
                             weights=False, output=(stat,)),
    )


def _multiclass_accuracy(name: str, y_true: str) -> MetricSpec:
    return MetricSpec(
        name=name, reference=ref.categorical_accuracy, domain=MULTICLASS, decomposition="mean",
        growth=tol.RATIO, scale=1.0,
        bindings={
            "keras": Binding(f"keras.metrics.{name}", y_true=y_true),
            "sklearn": Binding("sklearn.metrics.accuracy_score", y_pred="argmax"),
            "torchmetrics": Binding("torchmetrics.classification.MulticlassAccuracy",
                                    {"num_classes": NUM_CLASSES, "average": "micro"}, weights=False),
        },
    )


def _top_k_accuracy(name: str, y_true: str, k: int) -> MetricSpec:
    return MetricSpec(
        name=name, reference=ref.top_k_accuracy, params={"k": k, "ties": "optimistic"}, variant={"k": k},
        domain=MULTICLASS_WIDE, decomposition="mean", growth=tol.RATIO, scale=1.0,
        bindings={
            "keras": Binding(f"keras.metrics.{name}", {"k": k}, y_true=y_true),
            "sklearn": Binding("sklearn.metrics.top_k_accuracy_score", {"k": k, "labels": CLASS_RANGE}),
            "torchmetrics": Binding("torchmetrics.classification.MulticlassAccuracy",
                                    {"num_classes": NUM_CLASSES, "average": "micro", "top_k": k}, weights=False),
        },
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
                bounds=({"ties": "pessimistic"}, {"ties": "optimistic"}),
            ),
        ),
    )


def _f_score(name: str, average: str, beta: float | None) -> MetricSpec:
    beta_params = {} if beta is None else {"beta": beta}
    variant = {"average": average, **beta_params}
    sklearn_function = "f1_score" if beta is None else "fbeta_score"
    torch_class = "MulticlassF1Score" if beta is None else "MulticlassFBetaScore"
    known = [KnownDifference("keras", **KERAS_FBETA_EPSILON), KnownDifference("keras", **KERAS_FBETA_EMPTY_BATCH)]
    if average == "macro":
        known.append(KnownDifference(
            "torchmetrics", what="A class with no true, predicted or missed sample (tp + fp + fn = 0) is left "
            "out of the macro mean; the reference (like Keras, and scikit-learn given labels) counts it as 0.",
            cause="_adjust_weights_safe_divide sets the weight of classes with tp + fp + fn == 0 to 0 "
                  "for average='macro'.",
            where="torchmetrics/utilities/compute.py::_adjust_weights_safe_divide",
            overrides={"absent_classes": "exclude"},
        ))
    return MetricSpec(
        name=name, reference=ref.fbeta_score, params={"average": average, "beta": beta or 1.0},
        variant=variant, domain=MULTICLASS, decomposition="none", growth=tol.F_SCORE, scale=1.0,
        bindings={
            "keras": Binding(f"keras.metrics.{name}", {"average": average, **beta_params}, y_true="onehot"),
            "sklearn": Binding(f"sklearn.metrics.{sklearn_function}",
                               {"average": average, "labels": CLASS_RANGE, "zero_division": 0.0, **beta_params},
                               y_pred="argmax"),
            "torchmetrics": Binding(f"torchmetrics.classification.{torch_class}",
                                    {"num_classes": NUM_CLASSES, "average": average, **beta_params}, weights=False),
        },
        known=tuple(known),
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
)


def _auc(curve: str) -> MetricSpec:
    exact, sklearn_function, torch_class = {
        "ROC": (ref.roc_auc, "roc_auc_score", "BinaryAUROC"),
        "PR": (ref.average_precision, "average_precision_score", "BinaryAveragePrecision"),
    }[curve]
    return MetricSpec(
        name="AUC", reference=exact, variant={} if curve == "ROC" else {"curve": curve},
        domain=BINARY_BOTH_CLASSES, decomposition="none", growth=tol.CURVE, scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.AUC", {} if curve == "ROC" else {"curve": curve}),
            "sklearn": Binding(f"sklearn.metrics.{sklearn_function}"),
            "torchmetrics": Binding(f"torchmetrics.classification.{torch_class}", {"thresholds": None},
                                    weights=False),
        },
        known=(KnownDifference(
            "keras",
            what=f"Keras approximates the {curve} curve at 200 evenly spaced thresholds (scores in one bucket "
                 "count as tied)" + ("; for PR it interpolates precision between buckets (Davis & Goadrich) "
                                     "where the reference sums exact steps (average precision)." if curve == "PR"
                                     else " where the reference uses every distinct score."),
            cause="AUC(num_thresholds=200) buckets scores with ceil(p * (T - 1)) - 1 and sums over the "
                  "buckets; the docs: 'the quality of the approximation may vary dramatically depending "
                  "on num_thresholds'.",
            where="keras/src/metrics/confusion_metrics.py::AUC; "
                  "keras/src/metrics/metrics_utils.py::_update_confusion_matrix_variables_optimized",
            reference=ref.bucketed_auc, overrides={"curve": curve, "num_thresholds": 200},
        ), *([KERAS_PR_AUC_OVERFLOW] if curve == "PR" else [])),
    )


def _regression(name: str, function: Callable[..., Any], *, decomposition: Decomposition, growth: float,
                sklearn_function: str, torch_class: str, torch_init: Mapping[str, Any] | None = None) -> MetricSpec:
    return MetricSpec(
        name=name, reference=function, domain=REGRESSION, decomposition=decomposition, growth=growth, scale=0.0,
        bindings={
            # model.fit() passes (n,) targets with the model's (n, 1) output.
            "keras": Binding(f"keras.metrics.{name}", layout=("flat", "column")),
            "sklearn": Binding(f"sklearn.metrics.{sklearn_function}"),
            "torchmetrics": Binding(f"torchmetrics.regression.{torch_class}", dict(torch_init or {}), weights=False),
        },
    )


def _all_weights_zero(batches: list[Batch]) -> bool:
    return any(b.sample_weight is not None and len(b) and not b.sample_weight.any() for b in batches)


def _some_batch_empty(batches: list[Batch]) -> bool:
    return any(len(b) == 0 for b in batches)


# Behaviours of a library as a whole, declared once and added to each of its metrics below.
LIBRARY_WIDE: tuple[KnownDifference, ...] = (
    KnownDifference(
        "sklearn", what="scikit-learn raises when every sample weight is zero; the reference returns 0.0 "
        "(no weighted sample: its zero-division value).",
        cause="_check_sample_weight(..., allow_all_zero_weights=False) raises 'Sample weights must contain at "
              "least one non-zero number.'; np.average raises 'Weights sum to zero'.",
        where="sklearn/utils/validation.py::_check_sample_weight; sklearn/utils/_array_api.py::_average",
        raises="Sample weights must contain at least one non-zero number|Weights sum to zero",
        trigger=_all_weights_zero, properties=EVERY_PROPERTY,
    ),
    KnownDifference(
        "torchmetrics", what="torchmetrics classification metrics raise on an empty batch (zero samples) "
        "instead of leaving the state unchanged, so a stream with an empty batch fails.",
        cause="The input formatting reshapes with an inferred dimension, preds.reshape(preds.shape[0], -1), which "
              "PyTorch refuses for a tensor of 0 elements ('cannot reshape tensor of 0 elements').",
        where="torchmetrics/functional/classification/stat_scores.py::_binary_stat_scores_format (line 112) "
              "and _multiclass_stat_scores_format (line 342)",
        raises="cannot reshape tensor of 0 elements", trigger=_some_batch_empty, kind="defect",
        properties=EVERY_PROPERTY,
    ),
)


CATALOGUE: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="Accuracy", reference=ref.accuracy, domain=LABEL_PAIRS, decomposition="mean", growth=tol.RATIO,
        scale=1.0,
        bindings={
            "keras": Binding("keras.metrics.Accuracy"),
            "sklearn": Binding("sklearn.metrics.accuracy_score"),
            "torchmetrics": Binding("torchmetrics.classification.MulticlassAccuracy",
                                    {"num_classes": NUM_CLASSES, "average": "micro"}, weights=False),
        },
    ),
    _binary_threshold_metric(
        "BinaryAccuracy", ref.binary_accuracy, decomposition="mean", growth=tol.RATIO, scale=1.0, ratio=True,
        keras_init={"threshold": 0.5},
        sklearn=Binding("sklearn.metrics.accuracy_score", y_pred="above-threshold"),
        torchmetrics=Binding("torchmetrics.classification.BinaryAccuracy", {"threshold": 0.5}, weights=False),
    ),
    _multiclass_accuracy("CategoricalAccuracy", y_true="onehot"),
    _multiclass_accuracy("SparseCategoricalAccuracy", y_true="labels"),
    _top_k_accuracy("TopKCategoricalAccuracy", "onehot", k=2),
    _top_k_accuracy("SparseTopKCategoricalAccuracy", "labels", k=2),
    _confusion_count("TruePositives", ref.true_positives, (1, 1), 0),
    _confusion_count("FalsePositives", ref.false_positives, (0, 1), 1),
    _confusion_count("TrueNegatives", ref.true_negatives, (0, 0), 2),
    _confusion_count("FalseNegatives", ref.false_negatives, (1, 0), 3),
    _binary_threshold_metric(
        "Precision", ref.precision, decomposition="none", growth=tol.RATIO, scale=1.0, ratio=True,
        keras_init={"thresholds": 0.5},
        sklearn=Binding("sklearn.metrics.precision_score", {"zero_division": 0.0}, y_pred="above-threshold"),
        torchmetrics=Binding("torchmetrics.classification.BinaryPrecision", {"threshold": 0.5}, weights=False),
    ),
    _binary_threshold_metric(
        "Recall", ref.recall, decomposition="none", growth=tol.RATIO, scale=1.0, ratio=True,
        keras_init={"thresholds": 0.5},
        sklearn=Binding("sklearn.metrics.recall_score", {"zero_division": 0.0}, y_pred="above-threshold"),
        torchmetrics=Binding("torchmetrics.classification.BinaryRecall", {"threshold": 0.5}, weights=False),
    ),
    _f_score("F1Score", "macro", None),
    _f_score("F1Score", "micro", None),
    _f_score("F1Score", "weighted", None),
    _f_score("FBetaScore", "macro", 2.0),
    _auc("ROC"),
    _auc("PR"),
    _regression("MeanSquaredError", ref.mean_squared_error, decomposition="mean", growth=tol.RATIO,
                sklearn_function="mean_squared_error", torch_class="MeanSquaredError"),
    _regression("RootMeanSquaredError", ref.root_mean_squared_error, decomposition="none", growth=tol.ROOT,
                sklearn_function="root_mean_squared_error", torch_class="MeanSquaredError",
                torch_init={"squared": False}),
    _regression("MeanAbsoluteError", ref.mean_absolute_error, decomposition="mean", growth=tol.RATIO,
                sklearn_function="mean_absolute_error", torch_class="MeanAbsoluteError"),
)


CATALOGUE = tuple(
    replace(spec, known=spec.known + tuple(k for k in LIBRARY_WIDE if k.library in spec.bindings))
    for spec in CATALOGUE
)


def by_id() -> dict[str, MetricSpec]:
    return {spec.id: spec for spec in CATALOGUE}
