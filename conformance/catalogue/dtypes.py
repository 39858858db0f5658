"""What the libraries do with inputs in other dtypes (input_dtypes' findings), declared once and added by
``with_dtypes`` to each spec whose binding meets it.

Three kinds. A library that computes float16 inputs in float16 (scikit-learn follows its inputs' floating dtype,
torchmetrics computes a batch in its inputs' dtype, Keras' loss-based metrics in y_pred's) overflows where a square,
a ratio or a sum reaches float16's largest number, 65,504: there its value is whatever inf and NaN make of it, so the
declaration explains any value, and only there (its trigger reads the inputs' magnitudes: ``reaches_half_range``).
A library that computes float64 inputs in float32 although it was set to compute in float64 (torchmetrics' set_dtype)
is declared per cause, its value judged within float32's bound (``KnownDifference.computes_in``). And a library that
misreads a label dtype it does not document (booleans) is declared with what it computes instead.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from conformance.catalogue import errors, probabilistic
from conformance.catalogue.library_wide import TAKES_MULTIDIM_AVERAGE
from conformance.catalogue.model import (
    Binding,
    Drawn,
    KnownDifference,
    Limited,
    MetricSpec,
    ParameterTrigger,
    Witness,
    batch,
)
from conformance.data import Batch, concatenate
from conformance.dtypes import Presented, numpy_dtype, to_bfloat16
from conformance.reference import correlation as correlation_reference
from conformance.reference import errors as errors_reference
from conformance.reference import probabilistic as probabilistic_reference
from conformance.reference import regression as regression_reference

HALF_MAX = 65504.0  # float16's largest number: a result past it (rounding up from 65,520) is inf
SIDES = ({"side": -1}, {"side": 1})
INPUT_DTYPES = ("input_dtypes",)
FLOAT16 = ("float16",)
FLOAT64 = Presented("float64", y_pred="float64", compute="float64")
FLOAT64_REGRESSION = Presented("float64", y_true="float64", y_pred="float64", compute="float64")


# -- float16's range -----------------------------------------------------------------------------------------------

def _real(batch: Batch) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(|y_true|, |y_pred|, weights)`` as float64 arrays of one shape (real targets and predictions)."""
    y_true = np.abs(np.asarray(batch.y_true, np.float64))
    y_pred = np.abs(np.asarray(batch.y_pred, np.float64))
    weights = np.ones(len(batch)) if batch.sample_weight is None else np.asarray(batch.sample_weight, np.float64)
    return y_true, y_pred, np.broadcast_to(weights.reshape((-1,) + (1,) * (y_true.ndim - 1)), y_true.shape)


def _squares(batch: Batch) -> np.ndarray:
    """The largest square a formula of squared errors, products or variances forms from each element."""
    y_true, y_pred, _ = _real(batch)
    return (y_true + y_pred) ** 2


def _absolutes(batch: Batch) -> np.ndarray:
    """The largest absolute error of each element."""
    y_true, y_pred, _ = _real(batch)
    return y_true + y_pred


def _relatives(batch: Batch) -> np.ndarray:
    """The largest relative error of each element, |y - ŷ| / max(|y|, epsilon), with torchmetrics' epsilon 1.17e-6
    (a float16 subnormal)."""
    y_true, y_pred, _ = _real(batch)
    return (y_true + y_pred) / np.maximum(y_true, 1.17e-6)


def _relatives_without_epsilon(batch: Batch) -> np.ndarray:
    """The largest relative error of each element where the epsilon is float64's (2.2e-16), which float16 holds as 0:
    a zero target divides by 0 (inf, or NaN for 0 / 0)."""
    y_true, y_pred, _ = _real(batch)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(y_true == 0, np.inf, (y_true + y_pred) / np.where(y_true == 0, 1.0, y_true))


def _exponentials(batch: Batch) -> np.ndarray:
    """The largest exponential a log-cosh forms from each element, exp(|y - ŷ|)."""
    y_true, y_pred, _ = _real(batch)
    with np.errstate(over="ignore"):
        return np.exp(np.minimum(y_true + y_pred, 1e3))


def _percentages(batch: Batch) -> np.ndarray:
    """Keras' 100 |y - ŷ| / max(|y|, 1e-7) of each element."""
    y_true, y_pred, _ = _real(batch)
    return 100 * (y_true + y_pred) / np.maximum(y_true, 1e-7)


def _doubled(batch: Batch) -> np.ndarray:
    """2 |y - ŷ| of each element (Keras' log-cosh, x + softplus(-2x) - log 2)."""
    return 2 * _absolutes(batch)


def _clipped_ratios(batch: Batch) -> np.ndarray:
    """p / max(q, 1e-7) of each element (Keras' KL divergence clips both to [1e-7, 1])."""
    y_true, y_pred, _ = _real(batch)
    return np.minimum(y_true, 1.0) / np.clip(y_pred, 1e-7, 1.0)


def _normalized_ratios(batch: Batch) -> np.ndarray:
    """p / q of each element where p > 0, each row normalized to sum 1 first (torchmetrics' KL divergence of
    probabilities: _safe_xlogy(p, p / q))."""
    y_true, y_pred, _ = _real(batch)
    with np.errstate(all="ignore"):
        p = y_true / y_true.sum(axis=-1, keepdims=True)
        q = y_pred / y_pred.sum(axis=-1, keepdims=True)
        return np.where(p > 0, p / q, 0.0)


def _poisson_terms(batch: Batch) -> np.ndarray:
    """ŷ and |y log(ŷ + 1e-7)| of each element (Keras' Poisson)."""
    y_true, y_pred, _ = _real(batch)
    return y_pred + y_true * np.abs(np.log(y_pred + 1e-7))


@functools.cache
def _deviance_terms(power: float) -> Callable[[Batch], np.ndarray]:
    """The magnitudes of a Tweedie deviance's terms (y^(2-p), y·ŷ^(1-p), ŷ^(2-p), their logs and ratios)."""
    def terms(batch: Batch) -> np.ndarray:
        y, mu, _ = _real(batch)
        with np.errstate(all="ignore"):
            if power == 0:
                found = [(y + mu) ** 2]
            elif power == 1:  # y log(y / ŷ) - y + ŷ: the ratio overflows first, or underflows to 0 (its log -inf)
                ratio = y / np.where(mu > 0, mu, 1)
                found = [y * np.abs(np.log(np.where((y > 0) & (mu > 0), ratio, 1.0))), y, mu, ratio,
                         np.where(y > 0, mu / np.where(y > 0, y, 1), 0.0)]
            elif power == 2:  # log(ŷ / y) + y / ŷ
                found = [np.abs(np.log(np.where(y > 0, mu / np.where(y > 0, y, 1), 1.0))), y / np.where(mu > 0, mu, 1),
                         mu / np.where(y > 0, y, 1)]
            else:  # each divided as the formula divides it: near p = 1 or 2, 1 / (1 - p) is itself past 65,504
                found = [y ** (2 - power) / abs((1 - power) * (2 - power)),
                         y * np.where(mu > 0, mu, 1) ** (1 - power) / abs(1 - power),
                         mu ** (2 - power) / abs(2 - power)]
        return np.nan_to_num(np.sum(found, axis=0), nan=np.inf, posinf=np.inf)
    terms.__name__ = f"tweedie_terms_{power:g}"
    return terms


@functools.cache
def reaches_half_range(terms: Callable[[Batch], np.ndarray]) -> Callable[[list[Batch]], bool]:
    """A trigger: whether some term of the formula (``terms``, per element), or the weighted sum of the terms over the
    samples, reaches float16's largest number: in float16 it is then inf, and an inf minus an inf NaN."""
    def trigger(batches: list[Batch]) -> bool:
        whole = concatenate(batches)
        if not len(whole):
            return False
        found = terms(whole)
        _, _, weights = _real(whole)
        return bool(np.max(found) >= HALF_MAX or np.sum(weights * found) >= HALF_MAX)
    trigger.__name__ = f"reaches_half_range({terms.__name__})"
    return trigger


def _drawn_power_terms(default: float) -> ParameterTrigger:
    """The Tweedie deviance's trigger at the power in use (drawn, else ``default``: the catalogue's)."""
    def trigger(batches: list[Batch], values: Mapping[str, Any]) -> bool:
        power = values.get("power", default)
        power = power.value if isinstance(power, Limited) else power
        return reaches_half_range(_deviance_terms(float(power)))(batches)
    trigger.__doc__ = "some term of the deviance at the power in use reaches 65,504"
    return ParameterTrigger(trigger)


def _terms_of(spec: MetricSpec, library: str) -> Callable[[Batch], np.ndarray] | None:
    """What ``spec``'s formula forms from its inputs in ``library``, where it is a formula over real values (None:
    labels and scores in [0, 1], whose sums stay far below float16's range at these sizes)."""
    reference = spec.reference
    if library == "keras":  # Keras' own formulas
        keras_terms = {regression_reference.mean_absolute_percentage_error: _percentages,
                       regression_reference.log_cosh_error: _doubled,
                       regression_reference.cosine_similarity: _squares,
                       probabilistic_reference.kl_divergence: _clipped_ratios,
                       probabilistic_reference.poisson: _poisson_terms}
        if reference in keras_terms:
            return keras_terms[reference]
    if library == "torchmetrics" and reference is probabilistic_reference.kl_divergence:
        return _normalized_ratios
    if reference in (regression_reference.mean_absolute_error,
                     errors_reference.weighted_mean_absolute_percentage_error):
        return _absolutes
    if reference is regression_reference.mean_absolute_percentage_error:  # scikit-learn's epsilon is float64's
        return _relatives_without_epsilon if library == "sklearn" else _relatives
    if reference is regression_reference.mean_tweedie_deviance:
        return _deviance_terms(float(spec.params.get("power", 0.0)))
    if reference is regression_reference.log_cosh_error:
        return _exponentials
    if reference in (regression_reference.mean_squared_error, regression_reference.root_mean_squared_error,
                     regression_reference.r2_score, regression_reference.explained_variance_score,
                     correlation_reference.pearson_corrcoef, correlation_reference.concordance_corrcoef,
                     correlation_reference.pearson_corrcoef_rows, correlation_reference.concordance_corrcoef_rows,
                     errors_reference.relative_squared_error, errors_reference.normalized_root_mean_squared_error):
        return _squares
    return None


def float16_overflow(y_true, y_pred, *, side: int, **params) -> float:
    """A convention that explains any value, NaN included, of any shape: an overflow's (see Judge.follows)."""
    return side * np.inf


# The float16 overflow of each library that computes float16 inputs in float16, and the metrics it happens in.
# Witness per formula: inputs whose term (or whose mean) passes 65,504, in float16; outside, a few units.
HALF_PRESENTED = Presented("float16", y_true="float16", y_pred="float16")
SMALL = batch([3.0, 0.5], [0.5, 1.0])
HALF_INSIDE: dict[str, Batch] = {
    "_squares": batch([300.0, -300.0], [0.0, 1.0]),  # 300² = 90,000, and a variance of 90,000
    "_absolutes": batch([65280.0], [-8192.0]),  # |error| 73,472
    "_relatives": batch([2.0**-14, 1.0], [8.0, 1.0]),  # 8 / 2^-14 = 131,072
    "_relatives_without_epsilon": batch([0.0, 1.0], [0.0, 1.0]),  # 0 / max(0, 2.2e-16 as float16: 0) is NaN
    "_exponentials": batch([20.0, 1.0], [0.0, 1.0]),  # exp(20) = 4.9e8
    "tweedie_terms_0": batch([300.0, -300.0], [0.0, 1.0]),
    "tweedie_terms_1": batch([60000.0, 1.0], [0.5, 1.0]),  # 60,000 · log(120,000)
    "tweedie_terms_1.5": batch([60000.0, 1.0], [2.0**-10, 1.0]),  # 60,000 · (2^-10)^-0.5 = 1.9e6
    "tweedie_terms_2": batch([60000.0, 1.0], [0.5, 1.0]),  # 60,000 / 0.5
    "_percentages": batch([1.0, 1.0], [700.0, 1.0]),  # 100 · 699 / 1
    "_doubled": batch([40000.0, 1.0], [0.0, 1.0]),  # softplus(-2 · -40,000)
    "_clipped_ratios": batch([[1.0, 0.0], [0.5, 0.5]], [[2.0**-20, 1.0], [0.5, 0.5]], num_classes=2),  # 1 / 2^-20
    "_normalized_ratios": batch([[1.0, 0.0], [0.5, 0.5]], [[2.0**-20, 1.0], [0.5, 0.5]], num_classes=2),  # likewise
    "_poisson_terms": batch([60000.0, 1.0], [60000.0, 1.0]),  # 60,000 · log(60,000)
}


SMALL_DISTRIBUTIONS = batch([[0.75, 0.25], [0.5, 0.5]], [[0.5, 0.5], [0.25, 0.75]], num_classes=2)


def _half_witness(terms: Callable[[Batch], np.ndarray]) -> Witness:
    outside = SMALL_DISTRIBUTIONS if terms in (_clipped_ratios, _normalized_ratios) else SMALL
    return Witness(inside=(HALF_INSIDE[terms.__name__],), outside=(outside,), dtypes=HALF_PRESENTED,
                   outside_dtypes=HALF_PRESENTED)


HALF_OVERFLOW = {
    "sklearn": dict(
        what="scikit-learn computes float16 inputs in float16, so a squared error, a sum or a ratio past 65,504 "
             "(an error of 256 squared) is inf, and the score inf, NaN, or what its zero-denominator rules make of "
             "them (R² of inf / inf).",
        cause="_check_reg_targets_with_floating_dtype takes the inputs' own floating dtype (_find_matching_floating_"
              "dtype: 'the dtype with the highest precision' of the inputs, float16 for float16 inputs) and computes "
              "in it: float16 holds nothing past 65,504.",
        where="sklearn/metrics/_regression.py::_check_reg_targets_with_floating_dtype; sklearn/utils/_array_api.py::"
              "_find_matching_floating_dtype"),
    "torchmetrics": dict(
        what="torchmetrics computes a float16 batch in float16 before adding it to its float32 state, so a squared "
             "error, a sum, a ratio or an exponential past 65,504 (an error of 256 squared) is inf, and the value inf "
             "or NaN, although the state could hold it.",
        cause="The update functions compute in the inputs' dtype (e.g. _mean_squared_error_update: diff = preds - "
              "target; sum_squared_error = torch.sum(diff * diff), a float16 tensor) and only the result is added to "
              "the float32 state; its docs say most metrics 'can be used with 16-bit precision (torch.half)'.",
        where="torchmetrics/functional/regression/mse.py::_mean_squared_error_update (and the other regression "
              "updates); docs: 'Metrics and 16-bit precision'"),
    "keras": dict(
        what="Keras' metrics built on a loss function compute it in the predictions' float16 (a mixed-precision "
             "model's output), so a squared error, a sum, a ratio or an exponential past 65,504 (an error of 256 "
             "squared) is inf, and the value inf or NaN, although the metric's own dtype is float32.",
        cause="MeanMetricWrapper.update_state calls the loss on the inputs as given and the losses convert y_true "
              "to y_pred's dtype (mean_squared_error: y_true = ops.convert_to_tensor(y_true, dtype=y_pred.dtype)); "
              "only the per-sample result is cast to the metric's float32.",
        where="keras/src/metrics/reduction_metrics.py::MeanMetricWrapper.update_state; keras/src/losses/losses.py "
              "(mean_squared_error, mean_absolute_percentage_error, kl_divergence, poisson, ...)"),
}
MINKOWSKI_POWERS = (1.0, 1.5, 2.0, 3.0)  # the p drawn (catalogue.errors)


def _largest_powers(batch: Batch) -> np.ndarray:
    """|y - ŷ|^p of each element (its bound |y| + |ŷ|) for the largest p drawn: the trigger of the Minkowski
    distance's overflow, whose convention (``_minkowski_half``) then takes the example's own p."""
    return _absolutes(batch) ** max(MINKOWSKI_POWERS)


def _minkowski_half(y_true, y_pred, *, side: int, p: float = 2.0, sample_weight=None) -> float:
    """Any value (±inf: an overflow's) where |y - ŷ|^p, or its sum over the elements, reaches 65,504 for the
    example's own p; elsewhere the exact distance: float16 computes the powers there, and only there overflows."""
    bound = np.abs(np.asarray(y_true, np.float64)) + np.abs(np.asarray(y_pred, np.float64))
    powers = bound**p
    if powers.size and (np.max(powers) >= HALF_MAX or np.sum(powers) >= HALF_MAX):
        return side * np.inf
    return errors_reference.minkowski_distance(y_true, y_pred, p=p, sample_weight=sample_weight)


TORCHMETRICS_MINKOWSKI_HALF = KnownDifference(
    "torchmetrics", what="torchmetrics' MinkowskiDistance sums |y - ŷ|^p of a float16 batch in float16, so a power "
    "or a sum past 65,504 (an error of 256 for p = 2, 41 for p = 3) is inf, and the distance inf, although it is a "
    "float16 number (and the float32 state could hold the sum).",
    cause="_minkowski_distance_update returns torch.sum(torch.pow(torch.abs(preds - targets), p)) in the inputs' "
          "dtype; only that sum is added to the float32 state.",
    where="torchmetrics/functional/regression/minkowski.py::_minkowski_distance_update",
    reference=_minkowski_half, bounds=SIDES, trigger=reaches_half_range(_largest_powers), dtypes=FLOAT16,
    properties=INPUT_DTYPES, kind="convention",
    witness=Witness(inside=(batch([300.0, 1.0], [0.0, 1.0]),), outside=(batch([200.0, 1.0], [0.0, 1.0]),),
                    metric="MinkowskiDistance", parameters={"p": 2.0}, dtypes=HALF_PRESENTED,
                    outside_dtypes=HALF_PRESENTED))


def _half_mean_underflows(batches: list[Batch]) -> bool:
    """A trigger: whether some element's mixture (p + q) / 2 of the rows normalized in float16 rounds to 0 while p or
    q is not 0 (p + q is float16's smallest subnormal, 2^-24: half of it rounds to even, 0), so p / m is inf."""
    whole = concatenate(batches)
    if not len(whole):
        return False
    with np.errstate(all="ignore"):
        rows = [np.asarray(side, np.float64).astype(np.float16) for side in (whole.y_true, whole.y_pred)]
        p, q = (row / row.sum(axis=-1, keepdims=True, dtype=np.float16) for row in rows)
        total = (p + q).astype(np.float64)
    return bool(np.any((total > 0) & (total <= 2.0**-24)))


TORCHMETRICS_JSD_HALF = KnownDifference(
    "torchmetrics", what="torchmetrics' JensenShannonDivergence computes a float16 batch in float16, where the mixture "
    "m = (p + q) / 2 of a probability 2^-24 (float16's smallest subnormal) and a 0 rounds to 0: p / m is inf, and so "
    "is the divergence (0.5 · 2^-24 · log(inf)), where it is about 2e-8.",
    cause="_jsd_update normalizes p and q and takes mean = (p + q) / 2 in the inputs' dtype, then kl_divergence's "
          "_safe_xlogy(p, p / mean): 2^-25 is not a float16 number and rounds to 0.",
    where="torchmetrics/functional/regression/js_divergence.py::_jsd_update; functional/regression/"
          "kl_divergence.py::_kld_update (_safe_xlogy(p, p / q))",
    reference=float16_overflow, bounds=SIDES, trigger=_half_mean_underflows, dtypes=FLOAT16, properties=INPUT_DTYPES,
    kind="convention",
    witness=Witness(inside=(batch([[2.0**-24, 1.0]], [[0.0, 1.0]], num_classes=2),),
                    outside=(batch([[2.0**-23, 1.0]], [[0.0, 1.0]], num_classes=2),), metric="JensenShannonDivergence",
                    dtypes=HALF_PRESENTED, outside_dtypes=HALF_PRESENTED))


# The presentations each library computes in float16 (Keras: a mixed-precision model's float16 outputs too).
HALF_DTYPES = {"sklearn": FLOAT16, "torchmetrics": FLOAT16, "keras": ("float16", "mixed_float16")}


@functools.cache
def _half_overflow(library: str, terms: Callable[[Batch], np.ndarray], power: float | None = None) -> KnownDifference:
    """One declaration per library and formula, shared by the specs that have them (a Tweedie deviance's: its
    trigger at the drawn ``power``, the catalogue's ``power`` where none is drawn)."""
    trigger = reaches_half_range(terms) if power is None else _drawn_power_terms(power)
    return KnownDifference(
        library, **HALF_OVERFLOW[library], reference=float16_overflow, bounds=SIDES,
        trigger=trigger, dtypes=HALF_DTYPES[library], properties=INPUT_DTYPES,
        kind="defect" if library == "keras" else "convention", witness=_half_witness(terms))


# -- torchmetrics: float32 computations under set_dtype(torch.float64) --------------------------------------------

# Values of 1/3: a float32 ratio (0.33333334) is off float64's bound; outside, the same inputs in float32 (the
# canonical presentation), where float32's bound holds. THIRDS: one negative scored below one of three positives.
THIRDS = batch([1, 1, 1, 0], [0.75, 0.25, 0.125, 0.5])
IOU_THIRDS = batch([1, 1, 1, 0], [0.75, 0.25, 0.25, 0.5])  # class 1: 1 of 3; class 0: 1 of 3
# A macro mean count of 2/3 (class 0: 1 true positive, class 1: 1, class 2: 0).
MULTICLASS_TWO_THIRDS = batch([0, 0, 1], [[0.75, 0.125, 0.125], [0.125, 0.75, 0.125], [0.125, 0.75, 0.125]],
                              num_classes=3)
QUERY_THIRDS = batch([[1, 1, 1, 0]], [[0.75, 0.25, 0.125, 0.5]], num_classes=4)  # R-precision 2/3, AUROC 1/3
THIRD_RANK = batch([[0, 0, 1]], [[0.75, 0.5, 0.25]], num_classes=3)  # the first relevant document third: 1/3
ONE_HIT_OF_THREE = batch([[0, 0], [0, 0], [0, 1]], [[0.25, 0.5], [0.5, 0.25], [0.25, 0.75]],
                         num_classes=2)  # three queries, one with its relevant document first: MAP, hit rate 1/3
# Two samples of three elements, one of the first's wrong: Hamming distances [1/3, 0] (float32 0.33333334).
SAMPLEWISE_THIRD = batch([[0, 0, 0], [1, 1, 1]],
                         [[[0.75, 0.125, 0.125], [0.75, 0.125, 0.125], [0.125, 0.125, 0.75]],
                          [[0.125, 0.75, 0.125], [0.125, 0.75, 0.125], [0.125, 0.75, 0.125]]], num_classes=3)
KENDALL_ROOT = batch([0.0, 0.0, -1.0], [0.0, 1.0, -1.0])  # tau-b 2 / sqrt(6) = 0.8164965809...
FLOAT64_NARROWING: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("BinaryAUROC", "MulticlassAUROC", "MultilabelAUROC", "BinaryAveragePrecision", "MulticlassAveragePrecision",
      "MultilabelAveragePrecision", "BinaryPrecisionAtFixedRecall", "BinaryRecallAtFixedPrecision",
      "MultilabelRecallAtFixedPrecision", "MultilabelPrecisionAtFixedRecall", "BinarySensitivityAtSpecificity",
      "BinarySpecificityAtSensitivity", "MulticlassRecallAtFixedPrecision", "MulticlassPrecisionAtFixedRecall"), dict(
        what="torchmetrics' curve metrics (AUROC, average precision, a rate at a fixed rate) compute their curve in "
             "float32 even when set to float64 (set_dtype(torch.float64)) with float64 scores: the value carries "
             "float32 rounding (1/3 as 0.33333334).",
        cause="_binary_clf_curve counts true positives as _cumsum(target * weight) with weight the Python float 1.0: "
              "an int64 tensor times a Python float is torch's default dtype, float32; the rates, the curve and its "
              "area follow in float32 (and the multiclass and multilabel ones weight classes with "
              "_bincount(...).float()).",
        where="torchmetrics/functional/classification/precision_recall_curve.py::_binary_clf_curve (tps = "
              "_cumsum(target * weight)); functional/classification/auroc.py::_reduce_auroc (weights=...float())",
        witness=Witness(inside=(THIRDS,), outside=(THIRDS,), metric="AUC", dtypes=FLOAT64))),
    (("BinaryJaccardIndex", "MulticlassJaccardIndex", "MultilabelJaccardIndex", "JaccardIndex"), dict(
        what="torchmetrics' Jaccard index (IoU) divides in float32 even when set to float64 "
             "(set_dtype(torch.float64)): the value carries float32 rounding (1/3 as 0.33333334).",
        cause="_jaccard_index_reduce converts the confusion matrix with confmat.float() (float32) before dividing.",
        where="torchmetrics/functional/classification/jaccard.py::_jaccard_index_reduce (confmat = confmat.float())",
        witness=Witness(inside=(IOU_THIRDS,), outside=(IOU_THIRDS,), metric="BinaryIoU", dtypes=FLOAT64))),
    (("BinaryMatthewsCorrCoef", "MulticlassMatthewsCorrCoef", "MultilabelMatthewsCorrCoef"), dict(
        what="torchmetrics' Matthews correlation is computed in float32 even when set to float64 "
             "(set_dtype(torch.float64)): the value carries float32 rounding.",
        cause="_matthews_corrcoef_reduce converts the confusion matrix with confmat.float() (float32) before its sums "
              "and the square root.",
        where="torchmetrics/functional/classification/matthews_corrcoef.py::_matthews_corrcoef_reduce "
              "(confmat = confmat.float())",
        witness=Witness(inside=(batch([1, 1, 0, 0, 1], [0.75, 0.25, 0.5, 0.75, 0.75]),),
                        outside=(batch([1, 1, 0, 0, 1], [0.75, 0.25, 0.5, 0.75, 0.75]),),
                        metric="MatthewsCorrCoef[task=binary]", dtypes=FLOAT64))),
    (("torchmetrics.regression.CosineSimilarity",), dict(
        what="torchmetrics' CosineSimilarity casts its inputs to float32 (preds.float(), target.float()) even when set "
             "to float64 (set_dtype(torch.float64)): float64 inputs are rounded to float32 and the value carries "
             "float32 rounding.",
        cause="_cosine_similarity_update starts with preds = preds.float(); target = target.float().",
        where="torchmetrics/functional/regression/cosine_similarity.py::_cosine_similarity_update",
        witness=Witness(inside=(batch([[1.0, 2.0], [3.0, 1.0]], [[2.0, 1.0], [1.0, 3.0]], num_classes=2),),
                        outside=(batch([[1.0, 2.0], [3.0, 1.0]], [[2.0, 1.0], [1.0, 3.0]], num_classes=2),),
                        metric="CosineSimilarity", dtypes=FLOAT64_REGRESSION))),
    (("SpearmanCorrCoef",), dict(
        what="torchmetrics' SpearmanCorrCoef ranks in float32 even when set to float64 (set_dtype(torch.float64)): the "
             "coefficient carries float32 rounding.",
        cause="_rank_data divides integer rank sums by integer counts (sum_ranks / counts), which torch computes in "
              "its default dtype, float32; the correlation of those ranks follows in float32.",
        where="torchmetrics/functional/regression/spearman.py::_rank_data (mean_ranks = sum_ranks / counts)",
        witness=Witness(inside=(batch([1.0, 2.0, 3.5], [1.0, 3.0, 2.0]),), outside=(batch([1.0, 2.0, 3.5],
                        [1.0, 3.0, 2.0]),), metric="SpearmanCorrCoef", dtypes=FLOAT64_REGRESSION))),
    (("RetrievalNormalizedDCG",), dict(
        what="torchmetrics' RetrievalNormalizedDCG sums its discounted gains in float32 even when set to float64 "
             "(set_dtype(torch.float64)): the value carries float32 rounding.",
        cause="_tie_average_dcg builds its buffers with torch.zeros_like(counts, dtype=torch.float32).",
        where="torchmetrics/functional/retrieval/ndcg.py::_tie_average_dcg (ranked, discount_sums: "
              "dtype=torch.float32)",
        witness=Witness(inside=(batch([[1, 0, 1], [0, 0, 1]], [[0.75, 0.25, 0.5], [0.125, 0.75, 0.25]],
                                      num_classes=3),),
                        outside=(batch([[1, 0, 1], [0, 0, 1]], [[0.75, 0.25, 0.5], [0.125, 0.75, 0.25]],
                                       num_classes=3),), metric="NDCG", dtypes=FLOAT64))),
    (("MulticlassStatScores", "MultilabelStatScores"), dict(
        what="torchmetrics' StatScores averages its counts over classes in float32 even when set to float64 "
             "(set_dtype(torch.float64)): with average='macro' or 'weighted' the value carries float32 rounding "
             "(a mean count of 2/3 as 0.6666667); with 'micro' or 'none' the counts are integers, which float32 holds "
             "exactly at these sizes, so its bound explains nothing more there.",
        cause="_multiclass_stat_scores_compute (and _multilabel_stat_scores_compute) takes res.float().mean(sum_dim) "
              "for 'macro' (float32), and for 'weighted' multiplies by weight / weight.sum() with int64 counts, a "
              "division torch computes in its default dtype, float32.",
        where="torchmetrics/functional/classification/stat_scores.py::_multiclass_stat_scores_compute, "
              "_multilabel_stat_scores_compute (return res.float().mean(sum_dim))",
        witness=Witness(inside=(MULTICLASS_TWO_THIRDS,), outside=(MULTICLASS_TWO_THIRDS,),
                        metric="StatScores[task=multiclass]", parameters={"average": "macro"}, dtypes=FLOAT64))),
    (("RetrievalPrecision", "RetrievalRecall", "RetrievalFallOut", "RetrievalRPrecision"), dict(
        what="torchmetrics' retrieval precision, recall, fall-out and R-precision divide in float32 even when set "
             "to float64 (set_dtype(torch.float64)) with float64 scores: each query's value carries float32 rounding "
             "(2/3 as 0.6666667), and the aggregation over queries is float32 too (the scores are held as float32: "
             "see RetrievalMAP's).",
        cause="retrieval_recall (and retrieval_precision, retrieval_fall_out, retrieval_r_precision) counts the "
              "relevant documents retrieved with target[...].sum().float() (float32) and divides that by an int64 "
              "count; RetrievalMetric.compute only then converts each query's value with x.to(preds).",
        where="torchmetrics/functional/retrieval/recall.py::retrieval_recall (relevant = ...sum().float()); "
              "precision.py::retrieval_precision; fall_out.py::retrieval_fall_out; r_precision.py::"
              "retrieval_r_precision; retrieval/base.py::RetrievalMetric.compute",
        witness=Witness(inside=(QUERY_THIRDS,), outside=(QUERY_THIRDS,), metric="RetrievalRPrecision",
                        dtypes=FLOAT64))),
    (("RetrievalMAP", "RetrievalHitRate"), dict(
        what="torchmetrics' retrieval metrics hold the scores in float32 even when set to float64 "
             "(set_dtype(torch.float64)) with float64 scores: each query's value is converted to float32 and the "
             "aggregation over queries is float32 (a MAP or hit rate of 1/3 as 0.33333334).",
        cause="RetrievalMetric.update checks its inputs with _check_retrieval_inputs, whose "
              "_check_retrieval_target_and_prediction_types returns preds.float() (float32) into the states; "
              "RetrievalMetric.compute then stacks each query's value with x.to(preds) and aggregates in float32.",
        where="torchmetrics/utilities/checks.py::_check_retrieval_target_and_prediction_types (preds = "
              "preds.float()); torchmetrics/retrieval/base.py::RetrievalMetric.compute",
        witness=Witness(inside=(ONE_HIT_OF_THREE,), outside=(ONE_HIT_OF_THREE,), metric="RetrievalHitRate",
                        dtypes=FLOAT64))),
    (("RetrievalMRR",), dict(
        what="torchmetrics' RetrievalMRR takes each query's reciprocal rank in float32 even when set to float64 "
             "(set_dtype(torch.float64)) with float64 scores: 1/3 as 0.33333334.",
        cause="retrieval_reciprocal_rank returns 1.0 / (position[0] + 1.0) with position an int64 index from "
              "torch.nonzero: an int64 tensor plus a Python float is torch's default dtype, float32.",
        where="torchmetrics/functional/retrieval/reciprocal_rank.py::retrieval_reciprocal_rank",
        witness=Witness(inside=(THIRD_RANK,), outside=(THIRD_RANK,), metric="RetrievalMRR", dtypes=FLOAT64))),
    (("RetrievalAUROC",), dict(
        what="torchmetrics' RetrievalAUROC computes each query's AUROC in float32 even when set to float64 "
             "(set_dtype(torch.float64)) with float64 scores: the value carries float32 rounding (1/3 as "
             "0.33333334).",
        cause="retrieval_auroc calls binary_auroc(preds, target.int()), whose _binary_clf_curve counts true "
              "positives as _cumsum(target * weight) with weight the Python float 1.0: an integer tensor times a "
              "Python float is torch's default dtype, float32, and the curve and its area follow in float32.",
        where="torchmetrics/functional/retrieval/auroc.py::retrieval_auroc; functional/classification/"
              "precision_recall_curve.py::_binary_clf_curve (tps = _cumsum(target * weight))",
        witness=Witness(inside=(QUERY_THIRDS,), outside=(QUERY_THIRDS,), metric="RetrievalAUROC", dtypes=FLOAT64))),
    (("KendallRankCorrCoef",), dict(
        what="torchmetrics' KendallRankCorrCoef divides its pair counts in float32 even when set to float64 "
             "(set_dtype(torch.float64)) with float64 inputs: tau carries float32 rounding (sqrt(2/3) as 0.81649655).",
        cause="_calculate_tau divides int64 pair counts (con_min_dis_pairs / torch.sqrt(denominator), "
              "con_min_dis_pairs / (concordant_pairs + discordant_pairs)): a division or a square root of int64 "
              "tensors is computed in torch's default dtype, float32.",
        where="torchmetrics/functional/regression/kendall.py::_calculate_tau",
        witness=Witness(inside=(KENDALL_ROOT,), outside=(KENDALL_ROOT,), metric="KendallRankCorrCoef",
                        parameters={"variant": "b"}, dtypes=FLOAT64_REGRESSION))),
    (tuple(sorted(TAKES_MULTIDIM_AVERAGE - {"BinaryStatScores", "MulticlassStatScores"})), dict(
        what="torchmetrics' stat-score metrics (accuracy, precision, recall, F-scores, specificity, NPV, Hamming "
             "distance) with multidim_average='samplewise' divide in float32 even when set to float64 "
             "(set_dtype(torch.float64)): each sample's value carries float32 rounding (1/3 as 0.33333334); with "
             "'global' the same metric computes in float64.",
        cause="_create_state makes the samplewise states empty lists (default=list), so set_dtype has no tensor to "
              "convert; each update appends its int64 counts, and the reduce's _safe_divide converts int64 with "
              "num.float() (float32). The global states are tensors set_dtype converts to float64.",
        where="torchmetrics/classification/stat_scores.py::_AbstractStatScores._create_state (default = list); "
              "utilities/compute.py::_safe_divide (num.float())",
        when={"multidim_average": ("samplewise",)},
        witness=Witness(inside=(SAMPLEWISE_THIRD,), outside=(SAMPLEWISE_THIRD,),
                        metric="HammingDistance[task=multiclass]",
                        parameters={"multidim_average": "samplewise", "average": "micro"}, dtypes=FLOAT64))),
    (("MultilabelRankingAveragePrecision", "MultilabelCoverageError", "MultilabelRankingLoss"), dict(
        what="torchmetrics' label ranking metrics rank and count in float32 even when set to float64 "
             "(set_dtype(torch.float64)): the value carries float32 rounding.",
        cause="_multilabel_ranking_average_precision_update ranks with _rank_data(...).float(); the coverage and the "
              "ranking loss convert with .to(torch.float32).",
        where="torchmetrics/functional/classification/ranking.py::_multilabel_ranking_average_precision_update, "
              "_multilabel_coverage_error_update, _multilabel_ranking_loss_update",
        witness=Witness(inside=(batch([[1, 0, 1], [0, 1, 0], [1, 1, 0]], [[0.75, 0.5, 0.25], [0.125, 0.25, 0.5],
                                                                            [0.5, 0.25, 0.75]], num_classes=3),),
                        outside=(batch([[1, 0, 1], [0, 1, 0], [1, 1, 0]], [[0.75, 0.5, 0.25], [0.125, 0.25, 0.5],
                                                                             [0.5, 0.25, 0.75]], num_classes=3),),
                        metric="LabelRankingAveragePrecision", dtypes=FLOAT64))),
)


def _class_name(target: str) -> str:
    return target.rsplit(".", 1)[-1]


def _narrowing(entry: dict[str, Any]) -> KnownDifference:
    return KnownDifference("torchmetrics", **entry, computes_in="float32", dtypes=("float64",),
                           properties=INPUT_DTYPES, kind="defect")


_NARROWING = tuple((names, _narrowing(entry)) for names, entry in FLOAT64_NARROWING)


# -- torchmetrics: boolean targets with ignore_index ---------------------------------------------------------------

def _positive_where(label: int) -> Callable[[Batch], Batch]:
    """The batch with the targets equal to ``label`` set to 1 (what torchmetrics' -1 is in a boolean tensor)."""
    def transform(batch: Batch) -> Batch:
        return replace(batch, y_true=np.where(np.asarray(batch.y_true) == label, 1, batch.y_true))
    transform.__name__ = f"targets_{label}_as_positive"
    return transform


BOOL_LABELS = Presented("bool labels", labels=True, y_true="bool")


def _bool_ignore_index(label: int, inside: Batch) -> KnownDifference:
    """torchmetrics' drawn ignore_index equal to ``label``, with boolean targets: the ignored samples are positives
    (the convention: the targets ``label`` set to 1, nothing ignored)."""
    return KnownDifference(
        "torchmetrics", what="Given boolean targets and ignore_index, torchmetrics' binary classification metrics "
        "count the ignored samples as positive targets instead of leaving them out: BinaryAccuracy(ignore_index=0) of "
        "scores [0.125, 0.75] and targets [False, True] is 0.5, where the first sample should not count (1.0).",
        cause="_binary_stat_scores_format marks ignored targets with target[target == ignore_index] = -1; in a boolean "
              "tensor -1 is stored as True, so they become positive targets, not the -1 the update then drops "
              "(torchmetrics documents targets as 'an int tensor', and takes booleans without a word).",
        where="torchmetrics/functional/classification/stat_scores.py::_binary_stat_scores_format (target[idx] = -1)",
        per_batch=_positive_where(label), overrides={"ignore_index": None}, dtypes=("bool labels",),
        properties=INPUT_DTYPES, kind="defect",
        witness=Witness(inside=(inside,), outside=(inside,), metric="BinaryAccuracy",
                        parameters={"ignore_index": label}, dtypes=BOOL_LABELS))


# ignore_index=0: the negatives become positives; ignore_index=1: the positives stay, not dropped.
BOOL_IGNORE_INDEX = (_bool_ignore_index(0, batch([0, 1], [0.125, 0.75])),
                     _bool_ignore_index(1, batch([1, 0], [0.125, 0.125])))


# -- torchmetrics: int32 label maps in the segmentation metrics ----------------------------------------------------

INT32_LABELS = Presented("int32 labels", labels=True, y_true="int32", y_pred="int32")
LABEL_MAP = batch([[[0, 1], [1, 0]]], [[[0, 1], [0, 0]]], num_classes=2)
SEGMENTATION_INDEX = ("MeanIoU", "DiceScore", "GeneralizedDiceScore")
TORCHMETRICS_ONE_HOT_INT32 = KnownDifference(
    "torchmetrics", what="torchmetrics' segmentation metrics (MeanIoU, DiceScore, GeneralizedDiceScore) with "
    "input_format='index' raise for int32 label maps ('one_hot is only applicable to index tensor of type "
    "LongTensor'), though their docs take 'an integer tensor of shape (N, ...)' of class indices.",
    cause="_segmentation_inputs_format passes the index maps to torch.nn.functional.one_hot as they are (no "
          ".long()), and one_hot takes int64 tensors only.",
    where="torchmetrics/functional/segmentation/utils.py::_segmentation_inputs_format "
          "(torch.nn.functional.one_hot(preds, num_classes=num_classes))",
    raises=r"one_hot is only applicable to index tensor of type LongTensor", dtypes=("int32 labels",),
    properties=INPUT_DTYPES, kind="defect",
    witness=Witness(inside=(LABEL_MAP,), outside=(LABEL_MAP,), metric="MeanIoU[aggregation=samplewise]",
                    dtypes=INT32_LABELS))


# Three classes, one sample each; binned at 5 thresholds (the exact curve takes the int32 labels).
THREE_CLASSES = batch([0, 1, 2], [[0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7]], num_classes=3)
TORCHMETRICS_BINNED_ONE_HOT_INT32 = KnownDifference(
    "torchmetrics", what="torchmetrics' multiclass curves binned at given thresholds (AUROC, average precision) "
    "raise for int32 labels ('one_hot is only applicable to index tensor of type LongTensor'); the exact curve "
    "(thresholds=None) takes them.",
    cause="_multiclass_precision_recall_curve_update_vectorized/_loop pass the targets to torch.nn.functional.one_hot "
          "as they are (no .long()), and one_hot takes int64 tensors only.",
    where="torchmetrics/functional/classification/precision_recall_curve.py::"
          "_multiclass_precision_recall_curve_update_vectorized (torch.nn.functional.one_hot(target, ...))",
    raises=r"one_hot is only applicable to index tensor of type LongTensor", dtypes=("int32 labels",),
    when={"thresholds": lambda thresholds: thresholds is not None}, properties=INPUT_DTYPES, kind="defect",
    witness=Witness(inside=(THREE_CLASSES,), outside=(THREE_CLASSES,), metric="AUROC[task=multiclass]",
                    parameters={"thresholds": 5}, dtypes=Presented("int32 labels", labels=True, y_true="int32")))
BINNED_MULTICLASS_CURVES = ("MulticlassAUROC", "MulticlassAveragePrecision")


# -- torchmetrics: RSE's floor is the epsilon of the states' dtype -------------------------------------------------

# Targets [0, 1e-9]: SS_tot 5e-19, below float64's epsilon 2.2e-16, so RSE is 1e-18 / 2.2e-16 = 0.0045 (not 2.0).
# Outside: targets [0, 1], SS_tot 0.5, above the floor.
TORCHMETRICS_RSE_FLOAT64 = replace(
    errors.TORCHMETRICS_RSE_FLOAT32,
    what="torchmetrics' RelativeSquaredError raises SS_tot = Σy² - (Σy)²/n to at least the epsilon of its states' "
    "dtype: set to float64 (set_dtype(torch.float64)), float64's 2.2e-16, so targets [0, 1e-9] predicted [0, 0] give "
    "0.0045 (1e-18 / 2.2e-16) where RSE is 2.0, and constant targets (one sample) 4.5e15 times the squared error "
    "where RSE is undefined. Explained only with that floor.",
    cause="_relative_squared_error_compute divides sum_squared_error by torch.clamp(sum_squared_obs - sum_obs * "
          "sum_obs / num_obs, min=torch.finfo(sum_squared_error.dtype).eps): the float64 states' epsilon; the "
          "documented formula has no floor.",
    bounds=tuple({**side, "floor": float(np.finfo(np.float64).eps)} for side in SIDES),
    dtypes=("float64",), properties=INPUT_DTYPES,
    witness=Witness(inside=(batch([0.0, 1e-9], [0.0, 0.0]),), outside=(batch([0.0, 1.0], [0.0, 0.0]),),
                    metric="RelativeSquaredError", dtypes=FLOAT64_REGRESSION, outside_dtypes=FLOAT64_REGRESSION))


# -- Keras ----------------------------------------------------------------------------------------------------------

# The keras.metrics classes that wrap a function (MeanMetricWrapper subclasses: suites/test_dtypes.py checks the list
# against Keras' own class hierarchy).
KERAS_WRAPPERS = frozenset({
    "Accuracy", "BinaryAccuracy", "BinaryCrossentropy", "CategoricalAccuracy", "CategoricalCrossentropy",
    "CategoricalHinge", "ConcordanceCorrelation", "CosineSimilarity", "Hinge", "KLDivergence", "LogCoshError",
    "MeanAbsoluteError", "MeanAbsolutePercentageError", "MeanMetricWrapper", "MeanSquaredError",
    "MeanSquaredLogarithmicError", "PearsonCorrelation", "Poisson", "SparseCategoricalAccuracy",
    "SparseCategoricalCrossentropy", "SparseTopKCategoricalAccuracy", "SquaredHinge", "TopKCategoricalAccuracy",
})
ONE_AND_A_BIT = {"float16": 1 + 2.0**-10, "bfloat16": 1 + 2.0**-7}  # its square rounds in that dtype


def _keras_in_prediction_dtype(dtype: str, presentations: tuple[str, ...]) -> KnownDifference:
    presented = Presented(dtype, y_true=dtype, y_pred=dtype)
    one = ONE_AND_A_BIT[dtype]
    return KnownDifference(
        "keras", what=f"Keras' metrics built on a function (MeanMetricWrapper: the losses, the accuracies, the "
        f"correlations) compute it in the predictions' dtype, not in the metric's: {dtype} predictions (a "
        f"mixed-precision model's) are squared, divided and summed in {dtype}, and only each sample's result is cast "
        f"to the metric's float32, so the value carries {dtype} rounding ((1 + 2^-10)² as 1 + 2^-9 in float16).",
        cause="MeanMetricWrapper.update_state calls fn(y_true, y_pred) on the inputs as given, and the functions "
              "convert y_true to y_pred's dtype (mean_squared_error: y_true = ops.convert_to_tensor(y_true, "
              "dtype=y_pred.dtype)); reduce_to_samplewise_values casts the values to the metric's dtype only after. "
              "The Metric docs call dtype 'the dtype of the metric's computations'.",
        where="keras/src/metrics/reduction_metrics.py::MeanMetricWrapper.update_state; keras/src/losses/losses.py "
              "(mean_squared_error and the other losses)",
        computes_in=dtype, dtypes=presentations, properties=INPUT_DTYPES, kind="defect",
        witness=Witness(inside=(batch([one], [0.0]),), outside=(batch([one], [0.0]),), metric="MeanSquaredError",
                        dtypes=presented))


KERAS_IN_PREDICTION_DTYPE = (_keras_in_prediction_dtype("float16", ("float16", "mixed_float16")),
                             _keras_in_prediction_dtype("bfloat16", ("bfloat16",)))

IOU_CLASSES = ("IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU")
# With dtype='float64' the confusion matrix is float64, so weights are not truncated to integers as by default (the
# canonical declaration's); Keras' epsilon 1e-7 is still added to each denominator.
KERAS_IOU_FLOAT32 = KnownDifference(
    "keras", what="Keras' IoU metrics divide in float32 even when built with dtype='float64': the value carries "
    "float32 rounding (1/3 as 0.33333334), its denominators Keras' epsilon 1e-7.",
    cause="_IoUBase.result casts the true positives and the denominators with ops.cast(..., dtype='float32') before "
          "dividing (by denominator + backend.epsilon()), whatever the metric's dtype.",
    where="keras/src/metrics/iou_metrics.py::IoU.result (denominator = ops.cast(denominator, dtype='float32'))",
    overrides={"epsilon": 1e-7}, computes_in="float32", dtypes=("float64",), properties=INPUT_DTYPES, kind="defect",
    witness=Witness(inside=(IOU_THIRDS,), outside=(IOU_THIRDS,), metric="BinaryIoU", dtypes=FLOAT64))
# With ignore_class drawn, the ignored class stays in the mean as well (the canonical declaration's
# ``ignored_class_in_mean``, segmentation.KERAS_IGNORE_CLASS_IN_MEAN): both causes act on one value.
# Inside, a pixel of class 1 predicted as the ignored class 0: Keras' (0 + 1/3 + 1/2) / 3 in float32, where the
# reference leaves class 0 out; outside, the canonical dtypes (an int matrix, divided in float32 as documented).
IGNORED_PREDICTED = batch([[[1]], [[1]], [[1]], [[2]]], [[[0]], [[1]], [[2]], [[2]]], num_classes=3)
KERAS_IOU_IGNORE_CLASS_FLOAT32 = replace(
    KERAS_IOU_FLOAT32, overrides={"epsilon": 1e-7, "ignored_class_in_mean": True}, when={"ignore_class": (0, 1)},
    witness=Witness(inside=(IGNORED_PREDICTED,), outside=(IGNORED_PREDICTED,), metric="MeanIoU",
                    parameters={"ignore_class": 0}, dtypes=Presented("float64", compute="float64")))
PRECISION_2_3 = batch([1, 1, 0], [0.75, 0.75, 0.75])  # precision 2/3: float32 0.6666667
R2_INSIDE = batch([1.0, 2.0, 4.0], [1.5, 2.0, 3.0])  # R² 0.7321..., not a float32
KERAS_NARROWING: tuple[tuple[tuple[str, ...], KnownDifference], ...] = (
    (("TruePositives", "FalsePositives", "TrueNegatives", "FalseNegatives", "Precision", "Recall", "AUC",
      "PrecisionAtRecall", "RecallAtPrecision", "SensitivityAtSpecificity", "SpecificityAtSensitivity"),
     KnownDifference(
        "keras", what="Keras' confusion-matrix metrics (the counts, Precision, Recall, AUC, the rates at a fixed "
        "rate) keep their state in float32 even when built with dtype='float64': float64 scores and weights are cast "
        "to float32 before thresholding and counting, and the value carries float32 rounding (2/3 as 0.6666667).",
        cause="Their add_variable calls give no dtype, so the accumulators are floatx (float32) whatever the metric's "
              "dtype; update_confusion_matrix_variables casts y_pred, the thresholds and the weights to the "
              "variables' dtype (variable_dtype = ...dtype).",
        where="keras/src/metrics/confusion_metrics.py (each add_variable(shape=..., initializer=..., name=...)); "
              "keras/src/metrics/metrics_utils.py::update_confusion_matrix_variables",
        computes_in="float32", dtypes=("float64",), properties=INPUT_DTYPES, kind="defect",
        witness=Witness(inside=(PRECISION_2_3,), outside=(PRECISION_2_3,), metric="Precision", dtypes=FLOAT64))),
    (("R2Score",), KnownDifference(
        "keras", what="Keras' R2Score keeps its sums in float32 even when built with dtype='float64': the float64 "
        "sums of each update are rounded to float32 as they are added, and R² carries float32 rounding.",
        cause="R2Score._build creates squared_sum, sum, residual and count with add_variable(...) and no dtype "
              "(floatx, float32), though update_state converts the inputs to the metric's dtype.",
        where="keras/src/metrics/regression_metrics.py::R2Score._build",
        computes_in="float32", dtypes=("float64",), properties=INPUT_DTYPES, kind="defect",
        witness=Witness(inside=(R2_INSIDE,), outside=(R2_INSIDE,), metric="R2Score[outputs=1]",
                        dtypes=FLOAT64_REGRESSION))),
    (IOU_CLASSES, KERAS_IOU_FLOAT32),
)

def _scores_in_float32(batch: Batch) -> Batch:
    """The batch with its scores rounded to float32 (as Keras' BinaryIoU converts them before thresholding)."""
    return replace(batch, y_pred=np.asarray(batch.y_pred, np.float64).astype(np.float32))


# A float64 score a third of a float32 step below the threshold 0.5: float32 rounds it to 0.5, which >= counts.
BELOW_HALF = Batch(np.array([0, 1]), np.array([0.5 - 2.0**-26, 0.75]))
KERAS_BINARY_IOU_FLOAT32 = KnownDifference(
    "keras", what="Keras' BinaryIoU thresholds float64 scores after rounding them to float32, even when built with "
    "dtype='float64': a score just below the threshold (0.5 - 2^-26) rounds to it and counts as class 1 "
    "(its score >= threshold rule), and the ratio is float32.",
    cause="BinaryIoU.update_state converts y_pred with ops.convert_to_tensor(y_pred, dtype='float32') ('convert "
          "y_pred on float 32 and cast just after to dtype') before y_pred >= self.threshold; the IoU then divides "
          "in float32 (IoU.result).",
    where="keras/src/metrics/iou_metrics.py::BinaryIoU.update_state",
    per_batch=_scores_in_float32, overrides={"at_threshold": "positive", "epsilon": 1e-7}, computes_in="float32",
    dtypes=("float64",), properties=INPUT_DTYPES, kind="defect",
    witness=Witness(inside=(BELOW_HALF,), outside=(batch([0, 1], [0.25, 0.75]),), metric="BinaryIoU",
                    dtypes=FLOAT64))

LN2 = float(np.log(2.0))
FLOAT32_LN2 = float(np.float32(np.log(np.float32(2.0))))


def _log_cosh_with_float32_log2(y_true, y_pred, **params):
    """The mean log-cosh error with log 2 rounded to float32, as Keras subtracts it (each sample off by the same
    LN2 - float32(LN2) = -1.9e-9)."""
    return regression_reference.log_cosh_error(y_true, y_pred, **params) + (LN2 - FLOAT32_LN2)


KERAS_LOG_COSH = KnownDifference(
    "keras", what="Keras' LogCoshError subtracts log 2 computed in float32 even when built with dtype='float64': each "
    "sample's loss is off by log 2 - float32(log 2) = -1.9e-9 (0 for a perfect prediction comes out as -1.9e-9).",
    cause="log_cosh takes log2 = ops.convert_to_tensor(ops.log(2.0), dtype=y_pred.dtype): ops.log(2.0) is computed in "
          "floatx (float32) and only then converted.",
    where="keras/src/losses/losses.py::log_cosh", reference=_log_cosh_with_float32_log2, dtypes=("float64",),
    properties=INPUT_DTYPES, kind="defect",
    witness=Witness(inside=(batch([1.0], [1.0]),), outside=(batch([1.0], [1.0]),), metric="LogCoshError",
                    dtypes=FLOAT64_REGRESSION))

KERAS_TOP_K = KnownDifference(
    "keras", what="Keras' top-k accuracies raise for predictions in any dtype but float32 (float16 from a "
    "mixed-precision model, bfloat16, float64), though Metric casts other metrics' inputs to its dtype: "
    "'cannot compute InTopKV2 as input #0 was expected to be a float tensor but is a half tensor'.",
    cause="top_k_categorical_accuracy passes y_pred to ops.in_top_k as it is (no cast to the metric's dtype), and "
          "TensorFlow's InTopKV2 kernel takes float32 predictions only.",
    where="keras/src/metrics/accuracy_metrics.py::top_k_categorical_accuracy (ops.in_top_k(..., y_pred, k=k)); "
          "tensorflow InTopKV2",
    raises=r"InTopKV2", dtypes=("float16", "bfloat16", "float64", "mixed_float16"), properties=INPUT_DTYPES,
    kind="defect", backends=("tensorflow",),
    witness=Witness(inside=(batch([0, 1], [[0.5, 0.25, 0.125], [0.25, 0.5, 0.125]], num_classes=3),),
                    outside=(batch([0, 1], [[0.5, 0.25, 0.125], [0.25, 0.5, 0.125]], num_classes=3),),
                    metric="TopKCategoricalAccuracy[k=2]", dtypes=Presented("float16", y_pred="float16")))


def _keras_clip(dtype: str) -> tuple[float, float]:
    """Keras' clip [1e-7, 1 - 1e-7] as computed in ``dtype`` (in float16 and bfloat16, 1 - 1e-7 is 1)."""
    bounds = np.asarray([probabilistic.KERAS_EPSILON, 1 - probabilistic.KERAS_EPSILON])
    low, high = to_bfloat16(bounds) if dtype == "bfloat16" else bounds.astype(dtype)
    return float(low), float(high)


def _keras_binary_crossentropy_products(y_true, y_pred, *, sample_weight=None, clip: tuple[float, float],
                                        label_smoothing: float = 0.0, **params) -> float:
    """Keras' binary cross-entropy as its TensorFlow backend computes it, -(t log p + (1 - t) log(1 - p)) with p
    clipped to ``clip``, the products taken as they are: where the clip's high end is 1 (in float16, bfloat16), a
    probability of 1 gives 0 · log 0 = NaN, and a weight of 0 does not remove a NaN (Mean adds w · value)."""
    targets = np.asarray(y_true, np.float64).reshape(-1) * (1 - label_smoothing) + 0.5 * label_smoothing
    probabilities = np.clip(np.asarray(y_pred, np.float64).reshape(-1), *clip)
    with np.errstate(all="ignore"):
        losses = -(targets * np.log(probabilities) + (1 - targets) * np.log(1 - probabilities))
        weights = np.ones_like(losses) if sample_weight is None else np.asarray(sample_weight, np.float64).reshape(-1)
        return float(np.sum(weights * losses) / np.sum(weights)) if np.sum(weights) else 0.0


def _keras_clip_twins(known: KnownDifference, products: bool) -> tuple[KnownDifference, ...]:
    """Keras' clip convention in the dtypes it is computed in: float64 with dtype='float64' (1 - 1e-7 exactly), and
    the predictions' float16 or bfloat16 (where the losses compute: 1 - 1e-7 rounds to 1, so a probability of 1 for a
    wrong class costs log(0), inf)."""
    twins = []
    for dtype, presentations, computed in (("float64", ("float64",), None),
                                           ("float16", ("float16", "mixed_float16"), "float16"),
                                           ("bfloat16", ("bfloat16",), "bfloat16")):
        clip = _keras_clip(dtype)
        naive = products and clip[1] == 1.0  # the backend's products meet log 0
        twins.append(replace(known, what=known.what + f" In {dtype} the clip is [{clip[0]:.3g}, {clip[1]!r}]"
                             + (", so a probability of 1 gives 0 · log 0 = NaN." if naive else "."),
                             overrides={**known.overrides, "clip": clip}, dtypes=presentations,
                             reference=_keras_binary_crossentropy_products if naive else known.reference,
                             computes_in=computed, properties=INPUT_DTYPES))
    return tuple(twins)


_KERAS_CLIPS: dict[int, tuple[KnownDifference, ...]] = {}


def _keras_clips(spec: MetricSpec) -> tuple[KnownDifference, ...]:
    """The twins of ``spec``'s Keras clip conventions (those that hold in every layout), one set per declaration."""
    found: list[KnownDifference] = []
    products = spec.reference is probabilistic_reference.binary_crossentropy
    for known in spec.known:
        if (known.library == "keras" and known.overrides.get("clip") == probabilistic.KERAS_CLIP
                and not known.layouts and not known.dtypes and known.kind == "convention"):
            found += _KERAS_CLIPS.setdefault(id(known), _keras_clip_twins(known, products))
    return tuple(found)


# -- scikit-learn's log loss: the clip of the inputs' dtype ---------------------------------------------------------

def _sklearn_clip(dtype: str, computed: str) -> KnownDifference:
    """scikit-learn's clip of ``dtype`` probabilities, which it computes in ``computed``."""
    eps = float(np.finfo(computed).eps)
    how = (f"eps is {dtype}'s" if dtype == computed else
           f"check_array converts them to {computed} (a dtype NumPy does not know, ml_dtypes'), so eps is {computed}'s")
    return replace(probabilistic.SKLEARN_CLIP_KNOWN, what=probabilistic.SKLEARN_CLIP_KNOWN.what + f" For {dtype} "
                   f"probabilities {how} ({eps:.3g}).", overrides={"clip": (eps, 1 - eps)},
                   dtypes=(dtype,), properties=INPUT_DTYPES)


SKLEARN_CLIPS = tuple(_sklearn_clip(dtype, computed) for dtype, computed in (
    ("float16", "float16"), ("bfloat16", "float64"), ("float64", "float64")))


# -- torchmetrics' threshold in the scores' dtype -------------------------------------------------------------------

def _torchmetrics_threshold_in(dtype: str) -> KnownDifference:
    """torchmetrics' ``preds > threshold`` on ``dtype`` scores: the threshold rounded to ``dtype`` first."""
    held = float(np.asarray(THRESHOLD_BELOW_ONE).astype(numpy_dtype(dtype)))
    return KnownDifference(
        "torchmetrics", what=f"torchmetrics compares {dtype} scores with the threshold in {dtype}: the threshold is "
        f"rounded to {dtype} first, so {THRESHOLD_BELOW_ONE} becomes {held!r} and a score of 1.0 is not above it "
        "(given as float32, it is).",
        cause="The classes threshold with preds > threshold (the critical success index preds >= threshold), the "
              "threshold a Python float; torch's type promotion computes a tensor against a Python scalar of the "
              f"same category in the tensor's dtype, so the threshold is cast to {dtype}.",
        where="torchmetrics/functional/classification/stat_scores.py::_binary_stat_scores_format, "
              "_multilabel_stat_scores_format; confusion_matrix.py::_binary_confusion_matrix_format, "
              "_multilabel_confusion_matrix_format; functional/regression/csi.py::_critical_success_index_update; "
              "https://pytorch.org/docs/stable/tensor_attributes.html#type-promotion-doc",
        overrides={"threshold": Drawn("threshold", 0.5, dtype=dtype)}, dtypes=(dtype,), properties=INPUT_DTYPES,
        kind="defect",
        # the score 1.0 of a positive above the threshold, which the dtype rounds to 1.0; outside, a score below it
        witness=Witness(inside=(batch([[1, 0]], [[1.0, 0.0]], num_classes=2),),
                        outside=(batch([[1, 0]], [[0.5, 0.0]], num_classes=2),),
                        parameters={"threshold": THRESHOLD_BELOW_ONE}, metric="Precision[task=multilabel]",
                        dtypes=Presented(dtype, y_pred=dtype), outside_dtypes=Presented(dtype, y_pred=dtype)))


THRESHOLD_BELOW_ONE = float(np.float32(1 - 1e-5))  # float16 and bfloat16 hold it as 1.0
TORCHMETRICS_THRESHOLD_IN_DTYPE = tuple(_torchmetrics_threshold_in(dtype) for dtype in ("float16", "bfloat16"))


def _thresholds_scores(spec: MetricSpec, binding: Binding) -> bool:
    """Whether torchmetrics' class takes the spec's threshold (the reference's keyword) and the scores themselves."""
    return binding.y_pred == "scores" and "threshold" in spec.params and (
        "threshold" in binding.init or any(p.name == "threshold" and p.spellings.get("torchmetrics") == "threshold"
                                           for p in spec.space))


def with_dtypes(spec: MetricSpec) -> MetricSpec:
    """``spec`` with the dtype declarations its bindings meet (see the module)."""
    added: list[KnownDifference] = []
    for library in HALF_OVERFLOW:
        binding, terms = spec.bindings.get(library), _terms_of(spec, library)
        if binding is None or terms is None:
            continue
        if library != "keras" or _class_name(binding.target) in KERAS_WRAPPERS:  # Keras: its losses, in y_pred's
            tweedie = spec.reference is regression_reference.mean_tweedie_deviance
            power = float(spec.params.get("power", 0.0)) if tweedie else None
            known = _half_overflow(library, terms, power)
            # log_prob=True takes log-probabilities: no ratio (torch.sum(p.exp() * (p - q))), no overflow there
            added.append(replace(known, when={"log_prob": (False,)}) if terms is _normalized_ratios else known)
    torch = spec.bindings.get("torchmetrics")
    if torch is not None and spec.reference is errors_reference.minkowski_distance:
        added.append(TORCHMETRICS_MINKOWSKI_HALF)
    if torch is not None and spec.reference is errors_reference.jensen_shannon_divergence:
        added.append(TORCHMETRICS_JSD_HALF)
    if torch is not None:
        added += [known for names, known in _NARROWING
                  if _class_name(torch.target) in names or torch.target in names]
        if spec.domain.binary_labels and any(p.name == "ignore_index" for p in spec.space):
            added += BOOL_IGNORE_INDEX
        if _class_name(torch.target) in SEGMENTATION_INDEX and torch.init.get("input_format") in ("index", "mixed"):
            added.append(TORCHMETRICS_ONE_HOT_INT32)
        if _class_name(torch.target) in BINNED_MULTICLASS_CURVES and any(p.name == "thresholds" for p in spec.space):
            added.append(TORCHMETRICS_BINNED_ONE_HOT_INT32)
        if errors.TORCHMETRICS_RSE_FLOAT32 in spec.known:
            added.append(TORCHMETRICS_RSE_FLOAT64)
        if _thresholds_scores(spec, torch):
            added += TORCHMETRICS_THRESHOLD_IN_DTYPE
    if probabilistic.SKLEARN_CLIP_KNOWN in spec.known:
        added += SKLEARN_CLIPS
    keras = spec.bindings.get("keras")
    if keras is not None:
        name = _class_name(keras.target)
        if name in KERAS_WRAPPERS:
            added += KERAS_IN_PREDICTION_DTYPE
        added += [known for names, known in KERAS_NARROWING if name in names]
        if name in IOU_CLASSES and any(p.name == "ignore_class" for p in spec.space):
            added.append(KERAS_IOU_IGNORE_CLASS_FLOAT32)
        if name == "LogCoshError":
            added.append(KERAS_LOG_COSH)
        if name == "BinaryIoU":
            added.append(KERAS_BINARY_IOU_FLOAT32)
        if name in ("TopKCategoricalAccuracy", "SparseTopKCategoricalAccuracy"):
            added.append(KERAS_TOP_K)
        added += _keras_clips(spec)
    return replace(spec, known=spec.known + tuple(added)) if added else spec
