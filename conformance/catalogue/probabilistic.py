"""Probabilistic losses used as metrics: crossentropies (log loss), hinges, KL divergence and Poisson."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import numpy as np

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue import float32
from conformance.catalogue.classification import sigmoid_if_logits
from conformance.catalogue.library_wide import REDUCTION, ignoring_target, keras_loss_layouts, torchmetrics_squeezed
from conformance.catalogue.model import (
    CLASS_RANGE,
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
from conformance.data import Batch
from conformance.domains import (
    BINARY_MARGINS,
    BINARY_PROBABILITIES,
    DISTRIBUTIONS,
    MULTICLASS_LOGITS,
    MULTICLASS_LOGITS_WIDE,
    NON_NEGATIVE,
    PROBABILITIES,
)

# Keras' loss functions behind these metrics neither squeeze nor expand (n,) against (n, 1): the
# metric is right when both are (n, 1) (see the shape_conventions findings for the other layouts).
COLUMNS = ("column", "column")
F32 = np.float32
KERAS_EPSILON = 1e-7  # keras.backend.epsilon()
# tf.clip_by_value(output, epsilon, 1 - epsilon) in float32: 1 - 1e-7 rounds to 1 - 2**-23.
KERAS_CLIP = (KERAS_EPSILON, float(F32(1.0 - KERAS_EPSILON)))
# scikit-learn clips to [eps, 1 - eps] with eps the machine epsilon of the input's dtype (float32 here).
SKLEARN_CLIP = (float(np.finfo(F32).eps), float(1 - np.finfo(F32).eps))
# A float32 logarithm log(x) carries an absolute error of about u (x's own relative rounding, e.g. in
# 1 - p), whatever its value, so a loss near 0 (a confident right prediction) is not relatively
# accurate: its bound needs an absolute part, of one unit of the loss.
LOG_SCALE = 1.0
NO_LOG_LOSS = ("torchmetrics has no log loss / crossentropy metric (nearest: torch.nn.functional.binary_cross_entropy "
               "and cross_entropy, losses without state)")


def _keras_clip(where: str, **extra: Any) -> KnownDifference:
    return KnownDifference(
        "keras", what="Keras clips probabilities to [1e-7, 1 - 1e-7] (1 - 2⁻²³ in float32) before the logarithm, "
        "so a confident wrong prediction costs -log(1e-7) = 16.1 instead of an infinite loss"
        + (", and divides each row by its sum first." if extra.get("renormalize") == "before_clip" else
           ", and renormalizes the clipped row (its softmax of log-probabilities)." if extra.get("renormalize")
           else "."),
        cause="tf.clip_by_value(output, backend.epsilon(), 1.0 - backend.epsilon()) before tf.math.log.",
        where=where, overrides={"clip": KERAS_CLIP, **extra},
    )


SKLEARN_CLIP_KNOWN = KnownDifference(
    "sklearn", what="scikit-learn clips probabilities to [eps, 1 - eps] with eps the machine epsilon of their dtype "
    "(1.19e-7 for float32), so a confident wrong prediction costs -log(1.19e-7) = 15.9 instead of an infinite loss.",
    cause="_log_loss: eps = xp.finfo(y_proba.dtype).eps; y_proba = xp.clip(y_proba, eps, 1 - eps).",
    where="sklearn/metrics/_classification.py::_log_loss", overrides={"clip": SKLEARN_CLIP},
)


NOT_LOGITS = {"from_logits": (False,)}  # a declaration of probabilities (a clip) holds where they are not logits
FROM_LOGITS = {"from_logits": (True,)}
LOG_LOSS_NORMALIZE = Parameter(
    "normalize", (True, False), spellings={"sklearn": "normalize"},
    absent={"keras": "Keras' crossentropies are means (a MeanMetricWrapper): no sum"},
    changes=lambda normalize: {} if normalize else {"decomposition": "sum", "ratio": False},
)
LABEL_SMOOTHING = Parameter(
    "label_smoothing", (0.0, 0.1, 0.5), spellings={"keras": "label_smoothing"}, span=(0.0, 1.0),
    absent={"sklearn": "scikit-learn's log_loss has no label smoothing"},
)


def _from_logits(logits_domain) -> Parameter:
    """Keras' from_logits: scores are logits (drawn from ``logits_domain``), passed through a sigmoid or softmax."""
    return Parameter("from_logits", (False, True), spellings={"keras": "from_logits"},
                     absent={"sklearn": "scikit-learn's log_loss takes probabilities"},
                     changes=lambda logits: {"domain": logits_domain} if logits else {})


def _scoped(known: tuple[KnownDifference, ...], when: dict, parameters: dict | None = None) -> tuple:
    """``known`` in scope only ``when`` the drawn values say; their witnesses run with ``parameters``."""
    return tuple(replace(k, when=when, witness=k.witness and replace(k.witness, parameters=parameters or {}))
                 for k in known)


def _binary_crossentropy() -> MetricSpec:
    """Keras' BinaryCrossentropy (from_logits and label_smoothing drawn) and scikit-learn's log_loss (normalize
    drawn)."""
    samples = batch([1, 0, 1, 1], [0.75, 0.25, 0.5, 0.125])  # probabilities, and logits too
    known = (*_scoped(keras_loss_layouts(samples, clip=KERAS_CLIP), NOT_LOGITS),
             *_scoped(keras_loss_layouts(samples), FROM_LOGITS, {"from_logits": True}),
             replace(_keras_clip("keras/src/backend/tensorflow/nn.py::binary_crossentropy"), when=NOT_LOGITS),
             SKLEARN_CLIP_KNOWN)
    # Its (n,) against (n, 1) raises ('must have the same rank'): a note of shape_conventions, not a value.
    return MetricSpec(
        name="BinaryCrossentropy", reference=ref.binary_crossentropy,
        params={"from_logits": False, "label_smoothing": 0.0}, domain=BINARY_PROBABILITIES, decomposition="mean",
        growth=tol.RATIO, scale=LOG_SCALE,
        bindings={"keras": Binding("keras.metrics.BinaryCrossentropy", layout=COLUMNS),
                  "sklearn": Binding("sklearn.metrics.log_loss", {"labels": [0, 1]})},
        space=(_from_logits(BINARY_MARGINS), LABEL_SMOOTHING, LOG_LOSS_NORMALIZE), known=known,
        absent={"torchmetrics": NO_LOG_LOSS},
    )


def _ignored_counted_unweighted(function):
    """Keras' SparseCategoricalCrossentropy metric given no sample_weight: the mean over every sample, an ignored
    one's loss 0 (the kept samples' mean times their share); with weights, the ignored samples weigh nothing."""
    ignoring = ignoring_target(function, keyword="ignore_class")

    def reference(y_true, y_pred, *, sample_weight=None, **params):
        value = ignoring(y_true, y_pred, sample_weight=sample_weight, **params)
        ignored = params.get("ignore_class")
        if ignored is None or sample_weight is not None or not len(y_true):
            return value
        kept = np.asarray(y_true) != ignored
        return float(value * kept.sum() / kept.size)
    return reference


KERAS_IGNORED_CLASS_COUNTED = KnownDifference(
    "keras", what="Given no sample_weight, Keras' SparseCategoricalCrossentropy metric with ignore_class counts "
    "the ignored samples in its mean with a loss of 0 (0.35 for two samples at ln 2, one ignored, not 0.69); given "
    "weights, it leaves them out.",
    cause="sparse_categorical_crossentropy zeroes the ignored samples' losses and sets a Keras mask on them, but "
          "MeanMetricWrapper.update_state reads the mask of y_pred (none), and reduce_to_samplewise_values applies the "
          "values' mask to sample_weight only when a sample_weight is given; Mean then counts every value.",
    where="keras/src/losses/losses.py::sparse_categorical_crossentropy; keras/src/metrics/reduction_metrics.py::"
          "MeanMetricWrapper.update_state, reduce_to_samplewise_values",
    reference=_ignored_counted_unweighted(ref.categorical_crossentropy), kind="defect",
    when={"ignore_class": (0, 1)},
    witness=Witness(inside=(batch([1, 0], [[0.5, 0.5], [0.5, 0.5]], num_classes=2),),
                    outside=(batch([1, 0], [[0.5, 0.5], [0.5, 0.5]], num_classes=2).with_weights(
                        np.ones(2, np.float32)),),
                    parameters={"ignore_class": 0}, metric="SparseCategoricalCrossentropy"))


def _categorical_crossentropy(name: str) -> MetricSpec:
    """Keras' (Sparse)CategoricalCrossentropy (from_logits drawn; label_smoothing and the class axis, or the ignored
    class) and scikit-learn's log_loss (normalize drawn)."""
    sparse = name.startswith("Sparse")
    clip = replace(_keras_clip(
        "keras/src/backend/tensorflow/nn.py::" + ("sparse_categorical_crossentropy" if sparse
                                                  else "categorical_crossentropy"),
        renormalize="after_clip" if sparse else "before_clip"), when=NOT_LOGITS)
    space = [_from_logits(MULTICLASS_LOGITS), LOG_LOSS_NORMALIZE, Parameter(
        "axis", (-1, 1), spellings={"keras": "axis"}, reference=False,
        absent={"sklearn": "scikit-learn's log_loss takes (n, C) probabilities, classes on the last axis"})]
    reference = ref.categorical_crossentropy
    if sparse:  # the samples whose label is the ignored class weigh nothing (Keras masks their losses out)
        reference = ignoring_target(reference, keyword="ignore_class")
        space.append(Parameter("ignore_class", (None, 0, 1), spellings={"keras": "ignore_class"},
                               absent={"sklearn": "scikit-learn's log_loss has no ignored class"}))
    else:
        space.append(LABEL_SMOOTHING)
    # the ignored samples counted and the clip, both at once (probabilities): the two declarations' conventions
    counted_clipped = replace(KERAS_IGNORED_CLASS_COUNTED, what=KERAS_IGNORED_CLASS_COUNTED.what + " (With the clip "
                              "above, on probabilities.)", overrides=clip.overrides, kind="convention", witness=None,
                              when={**NOT_LOGITS, "ignore_class": (0, 1)})
    known = (clip, SKLEARN_CLIP_KNOWN, *((KERAS_IGNORED_CLASS_COUNTED, counted_clipped) if sparse else ()))
    return MetricSpec(
        name=name, reference=reference, params={"from_logits": False, "label_smoothing": 0.0},
        domain=PROBABILITIES, decomposition="mean", growth=tol.RATIO, scale=LOG_SCALE,
        bindings={"keras": Binding(f"keras.metrics.{name}", y_true="labels" if sparse else "onehot"),
                  "sklearn": Binding("sklearn.metrics.log_loss", {"labels": CLASS_RANGE})},
        space=tuple(space), known=known,
        absent={"torchmetrics": NO_LOG_LOSS},
    )


def _some_batch_empty(batches: list[Batch]) -> bool:
    return any(len(b) == 0 for b in batches)


def _softmax_if_any_outside_unit(batch: Batch) -> Batch:
    """The multiclass rule: scores with any value outside [0, 1] are logits; a softmax over each row maps them (in
    float32, or in float64 where the library computes in it: input_dtypes' float64, float32.computing)."""
    scores = batch.y_pred
    if not (scores.size and ((scores < 0) | (scores > 1)).any()):
        return batch
    shifted = np.exp(scores.astype(np.float64) - scores.max(axis=1, keepdims=True))
    dtype = np.float64 if float32.computing_dtype() == "float64" else F32
    return replace(batch, y_pred=(shifted / shifted.sum(axis=1, keepdims=True)).astype(dtype))


def _within_one_ulp(transform: Callable[[Batch], Batch]) -> tuple[Callable[[Batch], Batch], ...]:
    """``transform``'s scores one ulp (of their float32, or float64) below and one above: the convention's two sides.

    PyTorch's float32 sigmoid and softmax are not correctly rounded (torch.sigmoid(2.0) is 0.88079703,
    one ulp below the nearest float32 0.88079709), and the hinge's 1 - p magnifies that ulp ~8-fold."""
    def nudged(towards: float) -> Callable[[Batch], Batch]:
        def side(batch: Batch) -> Batch:
            mapped = transform(batch)
            if mapped is batch:
                return batch
            return replace(mapped, y_pred=np.nextafter(mapped.y_pred, mapped.y_pred.dtype.type(towards)))
        return side
    return nudged(-np.inf), nudged(np.inf)


MARGINS = batch([0, 1], [[2.0, -1.0, 0.5], [0.1, 0.3, 1.5]], num_classes=3)  # two rows of class scores


# A hinge's terms are 1 - y·ŷ: where the margin y·ŷ is near 1 the subtraction cancels, so each term errs by the
# rounding of the margin, about u · 1 (not u of the term: bfloat16 1 - 0.9961 is 0.0039 where 1 - 0.9951 is 0.0049).
# The natural magnitude of its terms is 1 (tolerance.py: atol = rtol · scale).
HINGE_SCALE = 1.0


def _torch_hinge_auto(kind: str, transform: Callable[[Batch], Batch], where: str,
                      witness: Witness) -> KnownDifference:
    return KnownDifference(
        "torchmetrics", what=f"torchmetrics treats decision values as probabilities: an update() with any score "
        f"outside [0, 1] is passed through a {kind} first (others are not), so the hinge is taken on "
        f"{kind}(margin) and, in a stream, depends on which batch a score arrives in.",
        cause="The hinge loss inputs are formatted like classification scores: 'If preds has values outside [0,1] "
              f"range we consider the input to be logits and will auto apply {kind} per element'.",
        where=where, per_batch=_within_one_ulp(transform), kind="defect", witness=witness,
    )


def _one_class_as_negative(batch: Batch) -> Batch:
    """A batch whose targets are all one class, with every target as the negative class (-1)."""
    if len(batch) and (batch.y_true == batch.y_true[0]).all():
        return replace(batch, y_true=np.zeros_like(batch.y_true))
    return batch


SKLEARN_HINGE_ONE_CLASS = KnownDifference(
    "sklearn", what="scikit-learn's binary hinge_loss infers the classes from y_true: when every target is one "
    "class, that class is binarized as the negative one (-1), so hinge_loss([1, 1], [-1., -1.]) is 0.0, not 2.0.",
    cause="hinge_loss binarizes y_true with LabelBinarizer(neg_label=-1) fitted on the classes present; a single "
          "class maps to neg_label.",
    where="sklearn/metrics/_classification.py::hinge_loss", per_batch=_one_class_as_negative, kind="defect",
    properties=EVERY_PROPERTY,
    witness=Witness(inside=(batch([1, 1], [-1.0, -1.0]),), outside=(batch([1, 0], [-1.0, -1.0]),)),
)


def _hinge(squared: bool) -> MetricSpec:
    """Keras' Hinge or SquaredHinge; torchmetrics' BinaryHingeLoss with squared drawn (the class's first)."""
    name = "SquaredHinge" if squared else "Hinge"
    bindings = {
        "keras": Binding(f"keras.metrics.{name}", layout=COLUMNS),
        "torchmetrics": Binding("torchmetrics.classification.BinaryHingeLoss", weights=False),
    }
    absent = {}
    if squared:
        absent["sklearn"] = "scikit-learn has no squared hinge loss (nearest: sklearn.metrics.hinge_loss)"
    else:
        bindings["sklearn"] = Binding("sklearn.metrics.hinge_loss")
    return MetricSpec(
        name=name, reference=ref.hinge, params={"squared": squared}, domain=BINARY_MARGINS, decomposition="mean",
        growth=tol.RATIO, scale=HINGE_SCALE, bindings=bindings, absent=absent,
        space=(Parameter("squared", (squared, not squared), spellings={"torchmetrics": "squared"},
                         absent={"keras": "Keras' Hinge and SquaredHinge are two classes (two specs)",
                                 "sklearn": "scikit-learn's hinge_loss is not squared"}),),
        known=(_torch_hinge_auto("sigmoid", sigmoid_if_logits("float32"),
                                 "torchmetrics/functional/classification/hinge.py::_binary_hinge_loss_update; "
                                 "torchmetrics/functional/classification/confusion_matrix.py::"
                                 "_binary_confusion_matrix_format",
                                 Witness(inside=(batch([1, 0, 1], [0.3, -1.5, 2.0]),),
                                         outside=(batch([1, 0, 1], [0.3, 0.2, 0.9]),))),
               *keras_loss_layouts(batch([1, 0, 1, 1], [0.5, 0.2, -2.0, 3.0]), broadcasts=True),
               *(() if squared else (SKLEARN_HINGE_ONE_CLASS,))),
    )


def _categorical_hinge() -> MetricSpec:
    return MetricSpec(
        name="CategoricalHinge", reference=ref.categorical_hinge, domain=MULTICLASS_LOGITS_WIDE, decomposition="mean",
        growth=tol.RATIO, scale=HINGE_SCALE,
        bindings={
            "keras": Binding("keras.metrics.CategoricalHinge", y_true="onehot"),
            "sklearn": Binding("sklearn.metrics.hinge_loss", {"labels": CLASS_RANGE}),
            "torchmetrics": Binding("torchmetrics.classification.MulticlassHingeLoss",
                                    {"num_classes": NUM_CLASSES}, weights=False),
        },
        space=(Parameter("squared", (False, True), spellings={"torchmetrics": "squared"},
                         absent={"keras": "Keras' CategoricalHinge is not squared",
                                 "sklearn": "scikit-learn's hinge_loss is not squared"}),
               Parameter("multiclass_mode", ("crammer-singer", "one-vs-all"),
                         spellings={"torchmetrics": "multiclass_mode"},
                         absent={"keras": "Keras' CategoricalHinge is Crammer-Singer's (with its masked negative)",
                                 "sklearn": "scikit-learn's multiclass hinge_loss is Crammer-Singer's"})),
        known=(
            KnownDifference(
                "keras", what="Keras takes neg = max((1 - y_true) * y_pred), which includes the true class's masked "
                "score 0: when every other score is negative, neg is 0 instead of the largest other score "
                "(Crammer-Singer), so the loss is larger.",
                cause="categorical_hinge: neg = ops.max((1.0 - y_true) * y_pred, axis=-1), as its docstring's "
                      "formula says.",
                where="keras/src/losses/losses.py::categorical_hinge", overrides={"negative": "masked"}),
            KnownDifference(
                "keras", what="Keras' CategoricalHinge raises on an empty batch (zero samples) instead of leaving "
                "the state unchanged.",
                cause="categorical_hinge takes ops.max((1 - y_true) * y_pred, axis=-1); the TensorFlow backend's max "
                      "asserts a non-empty input ('Cannot compute the max of an empty tensor').",
                where="keras/src/losses/losses.py::categorical_hinge; keras/src/backend/tensorflow/numpy.py::max",
                raises="Cannot compute the max of an empty tensor", trigger=_some_batch_empty, kind="defect",
                properties=EVERY_PROPERTY,
                witness=Witness(inside=(MARGINS, empty(MARGINS)), outside=(MARGINS,), mode="eager")),
            _torch_hinge_auto("softmax", _softmax_if_any_outside_unit,
                              "torchmetrics/functional/classification/hinge.py::_multiclass_hinge_loss_update "
                              "(preds.softmax(1) when preds are not all in [0, 1])",
                              Witness(inside=(MARGINS,), outside=(batch([0, 1], [[0.6, 0.3, 0.1], [0.2, 0.5, 0.3]],
                                                                        num_classes=3),))),
        ),
    )


def _zero_probability_in_p(batches: list[Batch]) -> bool:
    """Some entry of y_true (p) is 0: its logarithm is -inf."""
    return any(len(b) and (b.y_true == 0).any() for b in batches)


def _kl_divergence() -> MetricSpec:
    # KLDivergence(p, q) is KL(p || q): the targets go first.
    torch_binding = Binding("torchmetrics.regression.KLDivergence", weights=False, arguments="swapped")
    return MetricSpec(
        name="KLDivergence", reference=ref.kl_divergence, domain=DISTRIBUTIONS, decomposition="mean",
        growth=tol.RATIO, scale=LOG_SCALE,
        bindings={"keras": Binding("keras.metrics.KLDivergence"), "torchmetrics": torch_binding},
        # torchmetrics' log_prob=True takes both distributions as log-probabilities: the harness passes their logs.
        space=(Parameter("log_prob", (False, True), spellings={"torchmetrics": "log_prob"}, reference=False,
                         presentation=lambda b, logs: replace(b, y_true="log", y_pred="log") if logs else b,
                         absent={"keras": "Keras' KLDivergence takes probabilities"}), REDUCTION),
        known=(KnownDifference(
            "keras", what="Keras clips both distributions to [1e-7, 1] before the logarithm, so a zero in y_pred "
            "where y_true is positive costs a finite amount, and zeros in y_true add ~1e-7·log(1e-7 / q).",
            cause="kl_divergence: y_true = ops.clip(y_true, backend.epsilon(), 1); likewise y_pred.",
            where="keras/src/losses/losses.py::kl_divergence", overrides={"clip": (KERAS_EPSILON, 1.0)}),
            torchmetrics_squeezed(ref.kl_divergence, {"reduction": ("none",)}),
            KnownDifference(
                "torchmetrics", what="Given log-probabilities (log_prob=True), torchmetrics' KLDivergence returns NaN "
                "where p has a zero probability (log p = -inf): exp(-inf) * (-inf - log q) is 0 * -inf, where the "
                "term is 0 (0 log 0 = 0), as its own probability path computes it (xlogy).",
                cause="_kld_update(log_prob=True): torch.sum(p.exp() * (p - q), axis=-1), with no guard for p = -inf; "
                      "the log_prob=False path uses _safe_xlogy.",
                where="torchmetrics/functional/regression/kl_divergence.py::_kld_update",
                raises="returned NaN", trigger=_zero_probability_in_p, kind="defect", properties=EVERY_PROPERTY,
                when={"log_prob": (True,)},
                witness=Witness(inside=(batch([[0.0, 1.0]], [[0.5, 0.5]]),), outside=(batch([[0.25, 0.75]],
                                                                                            [[0.5, 0.5]]),),
                                parameters={"log_prob": True})),
        ),
        absent={"sklearn": "scikit-learn has no KL divergence metric (nearest: sklearn.metrics.log_loss, the "
                           "crossentropy, which differs by the entropy of y_true)"},
    )


def _poisson() -> MetricSpec:
    return MetricSpec(
        name="Poisson", reference=ref.poisson, domain=NON_NEGATIVE, decomposition="mean", growth=tol.RATIO,
        scale=LOG_SCALE,
        bindings={"keras": Binding("keras.metrics.Poisson", layout=COLUMNS)},
        known=(KnownDifference(
            "keras", what="Keras adds 1e-7 inside the logarithm, log(y_pred + 1e-7): a zero prediction of a "
            "positive count costs a finite amount, and small predictions are shifted.",
            cause="poisson: ops.mean(y_pred - y_true * ops.log(y_pred + epsilon), axis=-1), epsilon = 1e-7.",
            where="keras/src/losses/losses.py::poisson", overrides={"epsilon": KERAS_EPSILON}),
            *keras_loss_layouts(batch([1.0, 0.0, 2.0, 3.0], [0.5, 1.0, 2.0, 0.25]), broadcasts=True,
                                float32_terms=float32.poisson, epsilon=KERAS_EPSILON)),
        absent={"sklearn": "scikit-learn has no Poisson loss (nearest: sklearn.metrics.mean_poisson_deviance, "
                           "which differs by terms in y_true alone)",
                "torchmetrics": "torchmetrics has no Poisson loss (nearest: "
                                "torchmetrics.regression.TweedieDevianceScore(power=1), the Poisson deviance)"},
    )


SPECS: tuple[MetricSpec, ...] = (
    _binary_crossentropy(),
    _categorical_crossentropy("CategoricalCrossentropy"),
    _categorical_crossentropy("SparseCategoricalCrossentropy"),
    _hinge(squared=False),
    _hinge(squared=True),
    _categorical_hinge(),
    _kl_divergence(),
    _poisson(),
)
