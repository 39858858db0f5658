"""Behaviours of a library as a whole, declared once and added to each of its metrics."""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from conformance.catalogue import float32
from conformance.catalogue.model import (
    EVERY_PROPERTY,
    GROUPED,
    NUM_CLASSES,
    Binding,
    KnownDifference,
    MetricSpec,
    Parameter,
    ParameterTrigger,
    Transform,
    Unsupported,
    Witness,
    batch,
    empty,
)
from conformance.data import Batch
from conformance.domains import PADDING, grouped, padded

LABELS = batch([0, 1, 2, 1], [0, 2, 2, 1], num_classes=3)  # four class labels and their predictions


# How a torch.distributed worker fails when the ranks' collectives disagree: gloo aborts a process (the others see a
# closed pipe or a reset connection), a rank raises on what it was never sent, or it waits until the harness stops it.
# (Sizes gathered from a collective out of step are garbage: an allocation of petabytes fails.)
# How a failed sync shows: a rank that died, a mismatched collective, or (a snippet run with a timeout) a wait gloo ends
SYNC_FAILED = (r"doesn't match expected size|worker died|Connection reset|closed the pipe|No samples to concatenate|"
               r"did not answer|can't allocate memory|Storage size calculation overflowed|[Tt]imed out")
QUERIES = batch([[1, 0, 1], [0, 0, 1]], [[0.9, 0.2, 0.4], [0.1, 0.7, 0.3]], num_classes=3)  # two queries' documents


def _all_weights_zero(batches: list[Batch]) -> bool:
    return any(b.sample_weight is not None and len(b) and not b.sample_weight.any() for b in batches)


def _some_batch_empty_or_all_ignored(batches: list[Batch], values: Mapping[str, Any]) -> bool:
    """Some batch has no sample, or none left once the ignored ones (the drawn ignore_index) are dropped."""
    ignored = values.get("ignore_index")
    return any(len(b) == 0 or (ignored is not None and np.ndim(b.y_true) == 1 and (b.y_true == ignored).all())
               for b in batches)


def _some_batch_empty(batches: list[Batch]) -> bool:
    return any(len(b) == 0 for b in batches)


def _flush_subnormals(batch: Batch) -> Batch:
    """Scores and weights with every subnormal float32 (|x| < 1.18e-38) replaced by 0, as flush-to-zero computes."""
    def flushed(values: np.ndarray | None) -> np.ndarray | None:
        if values is None or not np.issubdtype(values.dtype, np.floating):
            return values
        subnormal = (values != 0) & (np.abs(values) < np.finfo(np.float32).tiny)
        return np.where(subnormal, np.zeros_like(values), values) if subnormal.any() else values
    y_pred, weight = flushed(batch.y_pred), flushed(batch.sample_weight)
    if y_pred is batch.y_pred and weight is batch.sample_weight:
        return batch  # the same object: nothing to flush
    return replace(batch, y_pred=y_pred, sample_weight=weight)


# Behaviours of a library as a whole, declared once and added to each metric bound to a target under the prefix
# (a classification module's defect is not a regression metric's).
# torchmetrics' task wrappers (JaccardIndex(task=...), HammingDistance(task=...)) build the classification module's.
TORCHMETRICS_CLASSIFICATION = ("torchmetrics.classification.", "torchmetrics.JaccardIndex",
                               "torchmetrics.HammingDistance")
LIBRARY_WIDE: tuple[tuple[str | tuple[str, ...], KnownDifference], ...] = (
    ("sklearn.", KnownDifference(
        "sklearn", what="scikit-learn raises when every sample weight is zero; the reference returns 0.0 "
        "(no weighted sample: its zero-division value).",
        cause="_check_sample_weight(..., allow_all_zero_weights=False) raises 'Sample weights must contain at "
              "least one non-zero number.'; np.average raises 'Weights sum to zero'.",
        where="sklearn/utils/validation.py::_check_sample_weight; sklearn/utils/_array_api.py::_average",
        raises="Sample weights must contain at least one non-zero number|Weights sum to zero",
        trigger=_all_weights_zero, properties=EVERY_PROPERTY,
    )),
    (TORCHMETRICS_CLASSIFICATION, KnownDifference(
        "torchmetrics", what="torchmetrics classification metrics raise on an empty batch (zero samples, or none "
        "left once the ignored ones are dropped) instead of leaving the state unchanged, so a stream with an empty "
        "batch fails.",
        cause="The input formatting reshapes with an inferred dimension, preds.reshape(preds.shape[0], -1), which "
              "PyTorch refuses for a tensor of 0 elements ('cannot reshape tensor of 0 elements').",
        where="torchmetrics/functional/classification/stat_scores.py::_binary_stat_scores_format (line 112) "
              "and _multiclass_stat_scores_format (line 342)",
        raises="cannot reshape tensor of 0 elements", trigger=ParameterTrigger(_some_batch_empty_or_all_ignored),
        kind="defect",
        properties=EVERY_PROPERTY,
        witness=Witness(inside=(LABELS, empty(LABELS)), outside=(LABELS,), metric="Accuracy"),
    )),
    # Observed with torchmetrics 1.9.0 and torch 2.13.0 (gloo), a rank with no data: BinaryAUROC(thresholds=None)
    # (int64 targets in a list state), CosineSimilarity (2-D lists), R2Score with two outputs ((2,) sums against
    # scalar defaults) abort both processes; RetrievalNormalizedDCG's idle rank raises (its lists are never synced);
    # SpearmanCorrCoef (1-D float32 lists) and MeanSquaredError (scalar sums) are right.
    ("torchmetrics.", KnownDifference(
        "torchmetrics", what="torchmetrics' distributed sync fails when one rank saw no data and its states differ "
        "in shape or dtype from a fed rank's (integer or 2-D list states, multi-output sums): the processes abort.",
        cause="Metric._sync_dist gathers each state as it is on each rank (gather_all_tensors). A rank that saw no "
              "data holds the defaults: an empty list state becomes torch.tensor([], dtype=self.dtype), a 1-D float "
              "tensor, whatever the fed ranks hold (int64 targets, (n, d) rows); a list with dist_reduce_fx=None is "
              "not gathered at all; a scalar default meets the fed ranks' (d,) sums. The ranks' collectives then "
              "disagree in size or number, and gloo aborts ('Received data size doesn't match expected size').",
        where="torchmetrics/metric.py::Metric._sync_dist (the branch for a rank that has not received any data) and "
              "torchmetrics/utilities/distributed.py::gather_all_tensors",
        raises=SYNC_FAILED, evidence=r"rank \d with no data \(its states differ from a fed rank's: ",
        properties=("distributed_sync",), kind="defect",
        witness=Witness(inside=(batch([0, 1, 1, 0], [0.1, 0.8, 0.6, 0.3]),), ranks=(1, 0),
                        outside=(batch([0, 1], [0.1, 0.8]), batch([1, 0], [0.6, 0.3])), outside_ranks=(1, 1),
                        metric="AUC"),
    )),
    # Observed with torchmetrics 1.9.0: RetrievalNormalizedDCG synced after 1 update on rank 0 and 2 on rank 1 aborts.
    ("torchmetrics.", KnownDifference(
        "torchmetrics", what="torchmetrics' distributed sync fails when the ranks made different numbers of update() "
        "calls and the metric keeps list states with dist_reduce_fx=None (the retrieval metrics): the processes "
        "abort.",
        cause="Metric._sync_dist concatenates a list state before gathering it only when its dist_reduce_fx is "
              "dim_zero_cat; a list with dist_reduce_fx=None (RetrievalMetric's indexes, preds and target) is "
              "gathered one all_gather per element, one element per update() call, so ranks that made different "
              "numbers of calls run different numbers of collectives and gloo aborts.",
        where="torchmetrics/metric.py::Metric._sync_dist and torchmetrics/retrieval/base.py::RetrievalMetric.__init__ "
              "(add_state(..., dist_reduce_fx=None))",
        raises=SYNC_FAILED, evidence=r"the ranks made \d+ and \d+ update\(\) calls \(unequal\)",
        properties=("distributed_sync",), kind="defect",
        witness=Witness(inside=(QUERIES, QUERIES, QUERIES), ranks=(1, 2), outside=(QUERIES, QUERIES, QUERIES, QUERIES),
                        outside_ranks=(2, 2), metric="NDCG"),
    )),
    # Observed with torchmetrics 1.9.0: BinaryAccuracy(multidim_average="samplewise") fed 1 sample on rank 0 and 9 on
    # rank 1 waits forever in gloo.
    ("torchmetrics.classification.", KnownDifference(
        "torchmetrics", what="torchmetrics' samplewise classification metrics (multidim_average='samplewise') never "
        "finish syncing when one rank made a single update of one sample and the other rank's state is sized: the "
        "processes wait in gloo until stopped.",
        cause="_binary_stat_scores_update (and the multiclass and multilabel ones) .squeeze() a one-sample update's "
              "per-sample counts to 0-dimensional tensors, which the list states (dim_zero_cat) keep; "
              "Metric._sync_dist concatenates a list only when it holds more than one tensor, so that rank gathers a "
              "0-dimensional tensor, for which gather_all_tensors takes its scalar path (one all_gather of the "
              "values) while the other rank takes its sized path (an all_gather of the sizes, then of the padded "
              "values): the collectives never match.",
        where="torchmetrics/functional/classification/stat_scores.py::_binary_stat_scores_update; "
              "torchmetrics/metric.py::Metric._sync_dist; torchmetrics/utilities/distributed.py::gather_all_tensors",
        raises=SYNC_FAILED, evidence=r"is gathered as a 0-dimensional tensor on one rank and a sized one",
        properties=("distributed_sync",), kind="defect",
        witness=Witness(inside=(batch([[0, 1, 1]], [[0.2, 0.8, 0.6]]),
                                batch([[1, 0, 1], [0, 0, 1]], [[0.9, 0.1, 0.3], [0.4, 0.2, 0.7]])),
                        ranks=(1, 1),
                        outside=(batch([[0, 1, 1], [1, 1, 0]], [[0.2, 0.8, 0.6], [0.7, 0.1, 0.2]]),
                                 batch([[1, 0, 1], [0, 0, 1]], [[0.9, 0.1, 0.3], [0.4, 0.2, 0.7]])),
                        outside_ranks=(1, 1), parameters={"multidim_average": "samplewise"},
                        metric="BinaryAccuracy"),
    )),
    # Observed with torchmetrics 1.9.0: MultilabelRecall(multidim_average="samplewise") fed 1 sample on rank 0 and 2 on
    # rank 1 aborts in gloo ("Received data size doesn't match expected size").
    ("torchmetrics.classification.", KnownDifference(
        "torchmetrics", what="torchmetrics' multilabel samplewise classification metrics abort their distributed "
        "sync when one rank made a single update of one sample and the other an update of several: the processes "
        "die in gloo ('Received data size doesn't match expected size').",
        cause="_multilabel_stat_scores_update(multidim_average='samplewise') .squeeze()s a one-sample update's (1, L) "
              "counts to (L,), which the list states (dim_zero_cat) keep, while an update of N samples keeps (N, L); "
              "gather_all_tensors, which 'works on tensors that have the same number of dimensions', then "
              "all-gathers the ranks' shapes, size vectors of lengths 1 and 2: gloo aborts on the mismatch (or reads "
              "garbage sizes: 'Storage size calculation overflowed').",
        where="torchmetrics/functional/classification/stat_scores.py::_multilabel_stat_scores_update; "
              "torchmetrics/utilities/distributed.py::gather_all_tensors",
        raises=SYNC_FAILED,
        evidence=r"is gathered as a (1-D tensor on rank 0 and a 2-D|2-D tensor on rank 0 and a 1-D) one",
        properties=("distributed_sync",), kind="defect",
        witness=Witness(inside=(batch([[[1, 0]]], [[[0.9, 0.2]]], num_classes=2),
                                batch([[[0, 1]], [[1, 1]]], [[[0.1, 0.3]], [[0.8, 0.6]]], num_classes=2)),
                        ranks=(1, 1),
                        outside=(batch([[[1, 0]], [[0, 0]]], [[[0.9, 0.2]], [[0.4, 0.1]]], num_classes=2),
                                 batch([[[0, 1]], [[1, 1]]], [[[0.1, 0.3]], [[0.8, 0.6]]], num_classes=2)),
                        outside_ranks=(1, 1), parameters={"multidim_average": "samplewise", "average": "macro"},
                        metric="Recall[task=multilabel]"),
    )),
    ("torchmetrics.", KnownDifference(
        "torchmetrics", what="torchmetrics' forward() loses the state accumulated so far when the batch's own value "
        "raises (an empty batch of a curve metric, one sample for R²): the metric is left reset.",
        cause="Metric._forward_reduce_state_update saves the global state, calls reset(), then update() and compute() "
              "on the batch, and merges the saved state back only after they return: there is no try/finally, so an "
              "exception propagates with the metric reset and the earlier batches gone.",
        where="torchmetrics/metric.py::Metric._forward_reduce_state_update (and _forward_full_state_update)",
        raises=r"forward\(\) raised \w+ on batch \d+ .*(?:was lost|lost the state)",
        evidence=r"; the batch alone raises \w+ too \(update\(\) then compute\(\) on a new metric\)",
        properties=("forward",), kind="defect",
        witness=Witness(inside=(batch([0.5, 1.0], [0.4, 1.1]), batch([2.0], [1.9])),
                        outside=(batch([0.5, 1.0], [0.4, 1.1]), batch([2.0, 0.0], [1.9, 0.2])), through="forward",
                        metric="R2Score"),
    )),
    ("keras.", KnownDifference(
        "keras", what="On the TensorFlow backend (CPU), subnormal float32 inputs (|x| < 1.18e-38) count as 0: a "
        "score of 1.5e-43 is not greater than 0 and ties with 0.0 in argmax, so [0, 1.5e-43, 0] predicts class 0.",
        cause="TensorFlow runs its CPU kernels with flush-to-zero and denormals-are-zero set "
              "(tsl::port::ScopedFlushDenormal); observed: keras.ops.greater(1.5e-43, 0.0) is False and "
              "keras.ops.argmax([[0, 1.5e-43, 0]]) is 0.",
        where="tensorflow/include/tsl/platform/denormal.h::ScopedFlushDenormal (the CPU thread pool's setting)",
        per_batch=_flush_subnormals,
    )),
)

# Defects of torchmetrics' Metric base class in its sync: a user's subclass inherits them and can do nothing about
# them, so `conformance check` declares them for a user's torchmetrics metric too. forward()'s state loss (R19) is
# not among them: it needs the user's own compute() to raise on a batch, which the user can change, so it stays a
# finding for a user's metric (its message names the base-class mechanism).
TORCHMETRICS_METRIC_BASE: tuple[KnownDifference, ...] = tuple(
    k for prefix, k in LIBRARY_WIDE if k.library == "torchmetrics" and prefix == "torchmetrics."
    and set(k.properties) <= {"distributed_sync"})

# What a library computes on instead of its inputs, whatever the metric: each of its conventions is
# also tried on the inputs so transformed (an example may need both, e.g. Keras' bucketed AUC of
# subnormal weights, which TensorFlow counts as 0).
LIBRARY_INPUTS: dict[str, Callable[[Batch], Batch]] = {"keras": _flush_subnormals}


# One value per sample (an array as long as the stream, in the stream's order) is no value of a batch to average
# with other batches'; a permutation of the samples permutes it; metrics merged concatenate it in their own order;
# it has no count to stop growing past 2^24 (and samples weighing their copies give one value each, not 2^24).
PER_SAMPLE_PROPERTIES = ("batch_average_pitfall", "order_invariance", "merge_state", "counts_past_2_24")
PER_SAMPLE_NOT_AVERAGED = Unsupported(
    "torchmetrics", {"reduction": ("none",)}, "each sample's value (reduction='none'), in the stream's order: "
    "per-batch values of different lengths have no mean, a permutation permutes them, a merged metric holds "
    "its own samples first, and no count of them stops growing past 2^24", properties=PER_SAMPLE_PROPERTIES)


def _squeezed(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` with a one-element array result as a 0-d value (torchmetrics' squeeze of a scalar)."""
    def reference(*args, **kwargs):
        value = np.asarray(function(*args, **kwargs))
        return value.reshape(()) if value.size == 1 else value
    reference.__name__, reference.__doc__ = function.__name__, function.__doc__
    return reference


def torchmetrics_squeezed(function: Callable[..., Any], when: Mapping[str, tuple]) -> KnownDifference:
    """torchmetrics' Metric.compute squeezing a one-element result (a per-sample output of one sample) to 0-d,
    ``when`` the drawn values ask for one value per sample."""
    return KnownDifference(
        "torchmetrics", what="torchmetrics returns a one-element result as a 0-d tensor: one value per sample "
        "(reduction='none', multidim_average='samplewise') of a one-sample stream has no sample axis (shape () "
        "where the reference, and the same metric given two samples, have (n,)).",
        cause="Metric._wrap_compute returns _squeeze_if_scalar(compute(...)), which squeezes any tensor of one "
              "element (x.squeeze() if x.numel() == 1).",
        where="torchmetrics/metric.py::Metric._wrap_compute; torchmetrics/utilities/data.py::"
              "_squeeze_scalar_element_tensor",
        reference=_squeezed(function), properties=EVERY_PROPERTY, when=when,
    )


# torchmetrics' reduction of per-sample values: their mean, their sum (a sum's weights scale it), or each one.
REDUCTION = Parameter(
    "reduction", ("mean", "sum", "none"), spellings={"torchmetrics": "reduction"},
    changes=lambda reduction: {"mean": {}, "sum": {"decomposition": "sum", "ratio": False},
                               "none": {"decomposition": "none"}}[reduction],
    absent={"keras": "Keras' metric is the mean (a MeanMetricWrapper)",
            "sklearn": "scikit-learn's function is the mean"},
    unsupported=(PER_SAMPLE_NOT_AVERAGED,),
)


# -- Keras metrics built on a loss that reduces the last axis (MeanMetricWrapper) ----------------------------

KERAS_LOSS_REDUCTION = ("keras/src/losses/losses.py (mean_squared_error, hinge, poisson, ...: ops.mean(..., "
                        "axis=-1)); keras/src/metrics/reduction_metrics.py::MeanMetricWrapper.update_state, "
                        "reduce_to_samplewise_values")
FLAT = (("flat", "flat"),)


def _pairs(weighted_side: str) -> Callable[[Batch], Batch]:
    """What an (n,) array broadcast against an (n, 1) one gives: every pair ``(i, j)``, the (n, 1) side's sample
    ``i`` (which keeps its weight, shared by its ``n`` pairs) with the (n,) side's sample ``j``."""
    def broadcast(batch: Batch) -> Batch:
        n = len(batch)
        rows, columns = np.repeat(np.arange(n), n), np.tile(np.arange(n), n)
        true_index, pred_index = (columns, rows) if weighted_side == "y_pred" else (rows, columns)
        weights = np.ones(n) if batch.sample_weight is None else batch.sample_weight.astype(np.float64)
        return replace(batch, y_true=batch.y_true[true_index], y_pred=batch.y_pred[pred_index],
                       sample_weight=weights[rows] / max(n, 1))
    return broadcast


def keras_loss_layouts(samples: Batch, *, broadcasts: bool = False, float32_terms: Callable[..., Any] | None = None,
                       **overrides: Any) -> tuple[KnownDifference, ...]:
    """How Keras' loss-based metrics (MeanSquaredError, Hinge, Poisson, ...) read (n,) inputs fed by hand.

    model.fit() passes (n, 1) predictions, where they are right. Rank-1 y_true and y_pred: the loss's mean over
    the last axis is the batch's mean, one value with a count of 1 per update. Losses that neither squeeze nor
    check ranks (``broadcasts``: hinge, poisson) also broadcast an (n,) array against an (n, 1) one to an (n, n)
    matrix of every pair. ``overrides``: the loss's own Keras conventions (a clip, an epsilon), which hold in every
    layout. ``samples``: four samples of the metric's domain, for the witnesses. ``float32_terms``: where the
    samples' losses have either sign, a ``catalogue.float32`` convention for their float32 sum (a broadcast pairs
    samples of every magnitude, whose losses cancel)."""
    if float32_terms is not None:
        overrides = {"reference": float32_terms, "bounds": float32.SIDES, "overrides": overrides}
    else:
        overrides = {"overrides": overrides}
    per_batch = KnownDifference(
        "keras", what="With rank-1 (n,) y_true and y_pred, Keras' loss-based metric adds one mean per update with a "
        "count of 1: a stream averages per-batch means (uneven batches mis-weighted) and an empty batch adds NaN.",
        cause="The loss reduces the last axis (ops.mean(..., axis=-1)), which for (n,) inputs is the batch; "
              "MeanMetricWrapper then adds that scalar to its total with a count of 1.",
        where=KERAS_LOSS_REDUCTION, layouts=FLAT, batches_averaged=True, **overrides, kind="defect",
        properties=("shape_conventions",),
        # Uneven batches fed as (n,); outside, the same samples in one update.
        witness=Witness(inside=tuple(samples.split([3, 1])), outside=(samples,), layout=FLAT[0]),
    )
    if not broadcasts:
        return (per_batch,)
    broadcast = dict(
        cause="The loss does not squeeze or expand its inputs to one rank (squeeze_or_expand_to_same_rank is not "
              "called), so an (n,) array against an (n, 1) one broadcasts to (n, n) before the mean over the last "
              "axis: each sample's value is its mean over every sample of the other input.",
        where=KERAS_LOSS_REDUCTION, **overrides, kind="defect", properties=("shape_conventions",),
    )

    def witness(layout: tuple[str, str]) -> Witness:  # three samples broadcast to nine pairs; one is itself
        return Witness(inside=(samples.take(slice(0, 3)),), outside=(samples.take(slice(0, 1)),), layout=layout)

    return (
        per_batch,
        KnownDifference("keras", what="With (n,) y_true and (n, 1) y_pred, Keras' loss-based metric broadcasts "
                        "them to an (n, n) matrix: each prediction is scored against every target.",
                        per_batch=_pairs("y_pred"), layouts=(("flat", "column"),), **broadcast,
                        witness=witness(("flat", "column"))),
        KnownDifference("keras", what="With (n, 1) y_true and (n,) y_pred, Keras' loss-based metric broadcasts "
                        "them to an (n, n) matrix: each target is scored against every prediction.",
                        per_batch=_pairs("y_true"), layouts=(("column", "flat"),), **broadcast,
                        witness=witness(("column", "flat"))),
    )


def _weight_counts_once(batch: Batch) -> Batch:
    """A batch fed with one sample_weight number as Keras' Mean counts it: its mean once, with that weight (each
    sample weighs ``w / n``)."""
    if batch.sample_weight is None or not len(batch):
        return batch
    return replace(batch, sample_weight=(batch.sample_weight.astype(np.float64) / len(batch)))


# One witness per layout that Keras' Mean-based metrics bind: two uneven updates (weight 1, given as a number);
# outside, the same samples in one update, whose mean counted once is the mean.
_SCALAR_WEIGHT_WITNESSES = {
    ("flat", "flat"): (batch([0, 1, 2, 1], [0, 2, 2, 1], [1.0] * 4, num_classes=3), "Accuracy"),
    ("flat", "column"): (batch([1.0, 2.0, 3.0, 4.0], [1.5, 2.0, 0.5, 1.0], [1.0] * 4), "MeanSquaredError"),
    ("column", "column"): (batch([1, 0, 1, 1], [0.5, 0.2, -2.0, 3.0], [1.0] * 4), "Hinge"),
}
_scalar_weight_declarations: dict[tuple[str, str], KnownDifference] = {}


def keras_scalar_weight(layout: tuple[str, str]) -> KnownDifference:
    """Keras' Mean-based metrics (every MeanMetricWrapper: losses, accuracies, Mean) given one number as an update's
    sample_weight, with inputs in ``layout``: one declaration per layout, shared by its metrics."""
    if layout not in _scalar_weight_declarations:
        samples, metric = _SCALAR_WEIGHT_WITNESSES.get(layout, (None, None))
        _scalar_weight_declarations[layout] = KnownDifference(
            "keras", what="Given one number as sample_weight (rank 0, which its docs allow), Keras' Mean-based "
            "metrics reduce the update's values to their mean and count it once with that weight: a stream "
            "averages per-batch means, so Mean().update_state([1, 2, 3], sample_weight=1.0) then "
            "update_state([10], sample_weight=1.0) gives 6.0, not 4.0 (and CategoricalAccuracy 0.83, not 0.75).",
            cause="reduce_to_samplewise_values reduces values over the axes the weight lacks (values_ndim > "
                  "weight_ndim: reduce_fn(values, axis=...)), so a rank-0 weight leaves one value per update; "
                  "Mean.update_state then adds ops.sum(sample_weight) = w to the count, not n·w.",
            where="keras/src/metrics/reduction_metrics.py::reduce_to_samplewise_values, Mean.update_state",
            per_batch=_weight_counts_once, layouts=((*layout, "scalar"),), kind="defect",
            properties=("shape_conventions",),
            witness=None if samples is None else Witness(inside=tuple(samples.split([3, 1])), outside=(samples,),
                                                         metric=metric, layout=(*layout, "scalar")),
        )
    return _scalar_weight_declarations[layout]


# -- torchmetrics' ignore_index, drawn wherever a bound class takes it ---------------------------------------
# The torchmetrics classification classes whose ignore_index drops the samples with that target, drawn here.
# Others take it too but are listed in NOT_DRAWN with the reason: multilabel classes ignore single elements and
# retrieval ones documents; ranking, curve and hinge classes need both binary labels left, so their ignored label
# must be one the domains do not draw (a padding label).
TAKES_IGNORE_INDEX = frozenset({
    "BinaryAccuracy", "BinaryCohenKappa", "BinaryConfusionMatrix", "BinaryHammingDistance", "BinaryJaccardIndex",
    "BinaryMatthewsCorrCoef", "MulticlassHammingDistance",
    "BinaryPrecision", "BinaryRecall", "BinarySpecificity", "BinaryStatScores", "MulticlassAccuracy",
    "MulticlassCohenKappa", "MulticlassF1Score", "MulticlassFBetaScore", "MulticlassMatthewsCorrCoef",
    "MulticlassPrecision", "MulticlassRecall", "MulticlassSpecificity", "MulticlassConfusionMatrix",
    "BinaryF1Score", "BinaryFBetaScore", "BinaryNegativePredictiveValue", "MulticlassNegativePredictiveValue",
    "MulticlassStatScores",
})
LABEL_DOMAINS = ("binary", "multiclass", "labels")  # one integer target per sample


def ignoring_target(function: Callable[..., Any], keyword: str = "ignore_index") -> Callable[..., Any]:
    """``function`` taking torchmetrics' ``ignore_index`` (or another ``keyword``: Keras' ``ignore_class``): the
    samples whose target is that label do not count, as torchmetrics documents it ("a target value that is ignored
    and does not contribute to the metric calculation"). The scores of the update are still what decides
    torchmetrics' sigmoid (a per_batch transform of the whole batch runs first)."""
    return _ignoring_target(function, keyword)


@functools.cache  # one wrapper per function: a declaration wrapped for several specs stays one declaration
def _ignoring_target(function: Callable[..., Any], keyword: str) -> Callable[..., Any]:
    def reference(y_true, y_pred, *, sample_weight=None, **params):
        ignored = params.pop(keyword, None)
        if ignored is not None:
            keep = np.asarray(y_true) != ignored
            y_true, y_pred = np.asarray(y_true)[keep], np.asarray(y_pred)[keep]
            sample_weight = None if sample_weight is None else np.asarray(sample_weight)[keep]
        return function(y_true, y_pred, sample_weight=sample_weight, **params)
    reference.__name__, reference.__doc__ = function.__name__, function.__doc__
    reference.__wrapped__ = function
    return reference


# A label left out of the metric (a padding or "void" class): torchmetrics' classification metrics take it, the
# others have no such parameter. Drawn: none, and each of the two labels every domain draws.
IGNORE_INDEX = Parameter(
    "ignore_index", (None, 0, 1), spellings={"torchmetrics": "ignore_index"},
    absent={"keras": "Keras' classification metrics have no ignore_index (only the IoU metrics' ignore_class, "
                     "checked on MeanIoU)",
            "sklearn": "scikit-learn's metrics have no ignore_index (labels= restricts the classes averaged, not "
                       "the samples)"},
)


def with_ignore_index(spec: MetricSpec) -> MetricSpec:
    """``spec`` drawing torchmetrics' ignore_index, where its torchmetrics class takes it on one label per sample:
    the reference (and every torchmetrics declaration's own) drops the ignored samples."""
    binding = spec.bindings.get("torchmetrics")
    if (binding is None or binding.target.rsplit(".", 1)[-1] not in TAKES_IGNORE_INDEX or "ignore_index" in
            binding.init or spec.domain.name.split("-")[0] not in LABEL_DOMAINS or not spec.domain.per_sample_true):
        return spec
    known = tuple(replace(k, reference=ignoring_target(k.reference)) if k.library == "torchmetrics" and k.reference
                  and not getattr(k.reference, "unbounded", False) else k for k in spec.known)
    return replace(spec, reference=ignoring_target(spec.reference), space=(*spec.space, IGNORE_INDEX), known=known)


# -- torchmetrics' multidim_average="samplewise", drawn wherever a bound class takes it -----------------------
TAKES_MULTIDIM_AVERAGE = frozenset({
    "BinaryAccuracy", "BinaryHammingDistance", "BinaryPrecision", "BinaryRecall", "BinarySpecificity",
    "BinaryStatScores", "MulticlassAccuracy", "MulticlassF1Score", "MulticlassFBetaScore", "MulticlassHammingDistance",
    "MulticlassPrecision", "MulticlassRecall", "MulticlassSpecificity", "MultilabelF1Score", "MultilabelFBetaScore",
    "MultilabelPrecision", "MultilabelRecall", "BinaryF1Score", "BinaryFBetaScore", "BinaryNegativePredictiveValue",
    "MulticlassNegativePredictiveValue", "MultilabelAccuracy", "MultilabelSpecificity",
    "MultilabelNegativePredictiveValue", "MultilabelHammingDistance", "MulticlassStatScores",
})
MULTIDIM_DOMAINS = ("binary", "multiclass", "multilabel")


def per_sample(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` of each sample's X elements (``domains.grouped`` data), stacked: one value per sample, as
    torchmetrics documents multidim_average="samplewise" ("statistic will be calculated independently for each sample
    on the N axis"). A sample's elements are the data ``function`` sees; weights are not taken (torchmetrics has
    none)."""
    def reference(y_true, y_pred, *, sample_weight=None, **params):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        values = [np.asarray(function(y_true[i], y_pred[i], **params), np.float64) for i in range(len(y_true))]
        return np.stack(values) if values else np.zeros(0)
    reference.__name__, reference.__doc__ = function.__name__, function.__doc__
    reference.__wrapped__ = function
    return reference


def _one_sample_updates(batches: list[Batch]) -> bool:
    """Some update (a batch) holds exactly one sample."""
    return any(len(b) == 1 for b in batches)


def _only_one_sample_updates(batches: list[Batch]) -> bool:
    """Every update (with samples) of exactly one sample."""
    sizes = [len(b) for b in batches if len(b)]
    return bool(sizes) and all(size == 1 for size in sizes)


def _cells_as_labels(function: Callable[..., Any]) -> Callable[..., Any]:
    """What torchmetrics' multilabel samplewise state gives for a stream of one-sample updates: each update's (L,)
    counts concatenated into one row of k·L "labels", each a (sample, label) cell's counts over its elements, averaged
    as labels are (macro: their mean; weighted: by their support; none: each)."""
    def reference(y_true, y_pred, *, sample_weight=None, average="macro", **params):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        cells = np.concatenate([np.atleast_1d(function(y_true[i], y_pred[i], **{**params, "average": None}))
                                for i in range(len(y_true))]) if len(y_true) else np.zeros(0)
        support = (np.clip(y_true, 0, 1) * (y_true != params.get("ignore_index", -2))).sum(axis=1).reshape(-1)
        if average in (None, "none"):  # the rates' spelling of each label's value, and torchmetrics'
            return cells
        if average == "weighted":
            return float(np.dot(cells, support) / support.sum()) if support.sum() else 0.0
        return float(cells.mean()) if cells.size else 0.0
    reference.reads_cells = True  # see _cells_under_conventions
    return reference


def _multilabel_samplewise_defects(function: Callable[..., Any]) -> tuple[KnownDifference, ...]:
    """torchmetrics' multilabel stat scores squeeze a one-sample update's (1, L) counts to (L,)."""
    cause = ("_multilabel_stat_scores_update(multidim_average='samplewise') sums each sample's elements and calls "
             ".squeeze() on the (N, L) counts: a one-sample update stores (L,), which compute() then reads (or "
             "concatenates with others) as if it were (N, L).")
    where = "torchmetrics/functional/classification/stat_scores.py::_multilabel_stat_scores_update"
    one = batch([[[1, 0]]], [[[0.9, 0.2]]], num_classes=2)  # one sample, one element, two labels
    two = batch([[[1, 0]], [[0, 1]]], [[[0.9, 0.2]], [[0.1, 0.3]]], num_classes=2)
    samplewise = {"multidim_average": ("samplewise",)}
    return (
        KnownDifference(
            "torchmetrics", what="torchmetrics' multilabel classes with multidim_average='samplewise' raise on a "
            "one-sample update where the counts must be reduced per sample (average='micro': 'Dimension out of range'"
            ") or joined with another update's (N, L) counts ('Tensors must have same number of dimensions').",
            cause=cause, where=where, kind="defect", properties=EVERY_PROPERTY, when=samplewise,
            raises="Dimension out of range|Tensors must have same number of dimensions",
            trigger=_one_sample_updates,
            witness=Witness(inside=(one,), outside=(two,), parameters={"multidim_average": "samplewise",
                                                                       "average": "micro"})),
        KnownDifference(
            "torchmetrics", what="Fed one sample per update, torchmetrics' multilabel samplewise metrics return one "
            "value over every (sample, label) cell as if each were a label (macro: one number, not one per sample; "
            "none: k·L values, not (k, L); one update: the sample's values without the sample axis).",
            cause=cause, where=where, kind="defect", properties=EVERY_PROPERTY, when=samplewise,
            reference=_cells_as_labels(function), trigger=_only_one_sample_updates,
            witness=Witness(inside=tuple(two.split([1, 1])), outside=(two,),
                            parameters={"multidim_average": "samplewise", "average": "macro"})),
    )


def _cells_under_conventions(known: tuple[KnownDifference, ...],
                             function: Callable[..., Any]) -> tuple[KnownDifference, ...]:
    """The multilabel one-sample-update reading (each (sample, label) cell counted as a label) under each of
    torchmetrics' value conventions of the metric (an ignored zero_division, a sigmoid of logits): the library reads
    its state so whatever its arithmetic, so the cells follow that arithmetic (one declaration of each pair, at draw
    time, as the judge composes a layout's reading with the value conventions)."""
    cells = [k for k in known if k.reference is not None and getattr(k.reference, "reads_cells", False)]
    conventions = [k for k in known if k.library == "torchmetrics" and k.explains_values
                   and not isinstance(k.trigger, ParameterTrigger)
                   and not (k.layouts or k.dtypes or k.batches_averaged) and "samplewise" not in k.what
                   and (k.reference or k.overrides or k.per_batch is not None) and k.bounds is None]
    # where both hold (both triggers), for the properties the convention names (a reading of a bad input: bad_inputs)
    return tuple(replace(c, reference=_cells_as_labels(k.reference or function), overrides=k.overrides,
                         per_batch=k.per_batch, properties=k.properties,
                         trigger=c.trigger if k.trigger is None else _both(c.trigger, k.trigger))
                 for c in cells for k in conventions)


def _both(first: Callable[[list[Batch]], bool], second: Callable[[list[Batch]], bool]) -> Callable[[list[Batch]], bool]:
    """A trigger that holds where ``first`` and ``second`` both do."""
    def trigger(batches: list[Batch]) -> bool:
        return bool(first(batches)) and bool(second(batches))
    trigger.__doc__ = f"{first.__doc__} And: {second.__doc__}"
    return trigger


def with_multidim_average(spec: MetricSpec) -> MetricSpec:
    """``spec`` drawing torchmetrics' multidim_average where its torchmetrics class takes it: "global" (the spec as it
    is; its (N, C, X) presentation is shape_conventions') and "samplewise" on samples of X elements (the reference,
    and every torchmetrics declaration's own, per sample)."""
    binding = spec.bindings.get("torchmetrics")
    if (binding is None or binding.target.rsplit(".", 1)[-1] not in TAKES_MULTIDIM_AVERAGE
            or spec.domain.name.split("-")[0] not in MULTIDIM_DOMAINS or binding.masks is not None
            or (binding.output is not None and binding.output[0] is not Ellipsis)):  # a picked entry, not per sample
        return spec
    def per_sample_known(known: tuple[KnownDifference, ...]) -> tuple[KnownDifference, ...]:
        # torchmetrics squeezes a one-sample stream's value (a sample axis of length 1): its conventions too, those
        # that only transform the inputs (a sigmoid of logits) included
        return (*(replace(k, reference=_squeezed(per_sample(k.reference or spec.reference)))
                  if k.library == "torchmetrics" and (k.reference or k.overrides or k.bounds or k.per_batch)
                  and "samplewise" not in k.what else k for k in known),
                *_cells_under_conventions(known, spec.reference),
                torchmetrics_squeezed(per_sample(spec.reference), {"multidim_average": ("samplewise",)}))
    # Transforms: of the domain and reference in use (padded by a drawn ignore_index first, say)
    samplewise = {"reference": Transform(per_sample), "domain": Transform(grouped), "decomposition": "none",
                  "known": Transform(per_sample_known)}
    if binding.target.rsplit(".", 1)[-1].startswith("Multilabel"):
        spec = replace(spec, known=(*spec.known, *_multilabel_samplewise_defects(spec.reference)))
    return replace(spec, space=(*spec.space, Parameter(
        "multidim_average", ("global", "samplewise"), spellings={"torchmetrics": "multidim_average"}, reference=False,
        changes=lambda average: samplewise if average == "samplewise" else {},
        presentation=lambda b, average: replace(b, layout=(GROUPED, GROUPED)) if average == "samplewise" else b,
        unsupported=(Unsupported("torchmetrics", {"multidim_average": ("samplewise",)}, "each sample's value, in the "
                                 "stream's order: per-batch values of different lengths have no mean, a permutation "
                                 "permutes them, a merged metric holds its own samples first",
                                 properties=PER_SAMPLE_PROPERTIES),),
        absent={"keras": "Keras' metrics reduce every axis (no per-sample values)",
                "sklearn": "scikit-learn's metrics take one label (or label row) per sample"})))


# -- torchmetrics' num_outputs on metrics of one output, drawn with several --------------------------------------
TAKES_NUM_OUTPUTS = frozenset({"PearsonCorrCoef", "ConcordanceCorrCoef", "SpearmanCorrCoef", "LogCoshError",
                               "KendallRankCorrCoef", "NormalizedRootMeanSquaredError", "RelativeSquaredError"})
# Of those, the classes documented to return the mean over the outputs ("If num_outputs > 1, the returned value is
# averaged over all the outputs": torchmetrics/regression/rse.py), not one value per output.
AVERAGES_OUTPUTS = frozenset({"RelativeSquaredError"})


def per_output(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function`` of each output (column) of ``(n, d)`` data, stacked: torchmetrics' ``num_outputs=d`` ("one value
    per output"); ``(n,)`` data is one output."""
    def reference(y_true, y_pred, *, sample_weight=None, **params):
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        if y_true.ndim < 2:
            return function(y_true, y_pred, sample_weight=sample_weight, **params)
        return np.stack([np.asarray(function(y_true[:, j], y_pred[:, j], sample_weight=sample_weight, **params),
                                    np.float64) for j in range(y_true.shape[1])])
    reference.__name__, reference.__doc__ = function.__name__, function.__doc__
    reference.__wrapped__ = function
    return reference


def mean_of_outputs(function: Callable[..., Any]) -> Callable[..., Any]:
    """The mean over the outputs of ``per_output(function)``: one value for ``(n, d)`` data."""
    each = per_output(function)

    def reference(y_true, y_pred, *, sample_weight=None, **params):
        return float(np.mean(each(y_true, y_pred, sample_weight=sample_weight, **params)))
    reference.__name__, reference.__doc__ = function.__name__, function.__doc__
    reference.__wrapped__ = function
    return reference


def with_num_outputs(spec: MetricSpec) -> MetricSpec:
    """``spec`` (one output) drawing torchmetrics' num_outputs where its torchmetrics class takes it: one output (its
    data as they are) or one per column of several outputs (the reference, and torchmetrics' declarations, per
    column; their mean where torchmetrics documents it: ``AVERAGES_OUTPUTS``)."""
    from conformance.domains import REGRESSION, REGRESSION_MULTI_OUTPUT

    binding = spec.bindings.get("torchmetrics")
    if (binding is None or binding.target.rsplit(".", 1)[-1] not in TAKES_NUM_OUTPUTS
            or spec.domain is not REGRESSION):
        return spec
    outputs = mean_of_outputs if binding.target.rsplit(".", 1)[-1] in AVERAGES_OUTPUTS else per_output
    known = tuple(replace(k, reference=outputs(k.reference or spec.reference))
                  if k.library == "torchmetrics" and (k.reference or k.overrides or k.bounds) else k
                  for k in spec.known)
    several = {"reference": outputs(spec.reference), "domain": REGRESSION_MULTI_OUTPUT, "known": known}
    return replace(spec, space=(*spec.space, Parameter(
        "num_outputs", ("one", "several"), spellings={"torchmetrics": "num_outputs"}, reference=False,
        translations={"torchmetrics": {"one": 1, "several": NUM_CLASSES}},
        changes=lambda outputs: several if outputs == "several" else {},
        absent={"keras": "Keras' metric takes one output here (its multi-output spec reads rows)",
                "sklearn": "scikit-learn's function takes one output here"})))


# -- torchmetrics' ignore_index as a padding label, drawn where the data's own labels cannot be ignored ----------
# Classes of one label per sample that need both binary labels left (curves, constraints, hinges): the padding label
# -1 drops the sample. Multilabel classes and retrieval: -1 drops one cell (a label of a sample, a document of a
# query); the references take ignore_index themselves. Ranking classes: each row without its ignored labels.
PADDING_PER_SAMPLE = frozenset({
    "BinaryAUROC", "BinaryAveragePrecision", "BinaryHingeLoss", "BinaryPrecisionAtFixedRecall",
    "BinaryRecallAtFixedPrecision", "BinarySensitivityAtSpecificity", "BinarySpecificityAtSensitivity",
    "MulticlassAUROC", "MulticlassAveragePrecision", "MulticlassHingeLoss",
})
PADDING_PER_CELL = frozenset({
    "MultilabelF1Score", "MultilabelFBetaScore", "MultilabelPrecision", "MultilabelRecall", "MultilabelConfusionMatrix",
    "MultilabelMatthewsCorrCoef", "MultilabelAUROC", "MultilabelAveragePrecision", "MultilabelRecallAtFixedPrecision",
    "MultilabelAccuracy", "MultilabelSpecificity", "MultilabelNegativePredictiveValue", "MultilabelStatScores",
    "MultilabelHammingDistance", "MultilabelJaccardIndex", "MultilabelExactMatch",
    "RetrievalNormalizedDCG", "RetrievalAUROC", "RetrievalFallOut", "RetrievalHitRate", "RetrievalMAP", "RetrievalMRR",
    "RetrievalPrecision", "RetrievalRPrecision", "RetrievalRecall",
})
PADDING_PER_ROW = frozenset({"MultilabelCoverageError", "MultilabelRankingAveragePrecision", "MultilabelRankingLoss"})
# Of the classes ignoring cells, those whose value is a mean over rows (each row's comparison without its ignored
# cells, a row of none left included): a row still counts as one sample. The others' means (an accuracy, a Hamming
# distance) are over the cells kept, which a mean of per-sample values weighted by batch sizes no longer is.
ROW_MEANS_OF_CELLS = frozenset({"MultilabelExactMatch"})


def _drop_padding(batch: Batch) -> Batch:
    """The batch without its samples of the padding label (as it is where it has none: a bad input's arrays of two
    lengths are read by the declaration's own transform)."""
    kept = np.asarray(batch.y_true) != PADDING
    if np.ndim(batch.y_true) != 1 or kept.all():
        return batch
    return batch.take(kept)


def _after_dropping_padding(per_batch):
    """A declaration's per-batch transform(s) applied once the padded samples are dropped (as the classes that
    format their inputs like a confusion matrix drop them before their sigmoid)."""
    if per_batch is None:
        return None
    if isinstance(per_batch, tuple):
        return tuple(_after_dropping_padding(transform) for transform in per_batch)
    return lambda batch: per_batch(_drop_padding(batch))


def _composed(first: Callable[[Batch], Batch], then) -> Callable[[Batch], Batch] | tuple:
    """``first``, then ``then`` (a transform, several: a side each, or none)."""
    if then is None:
        return first
    if isinstance(then, tuple):
        return tuple(_composed(first, each) for each in then)
    return lambda batch: then(first(batch))


def _all_ignored(batches: list[Batch], values: Mapping[str, Any]) -> bool:
    """Every target is the ignore_index in use (some batch's, where one is fed alone, or the stream's)."""
    ignored = values.get("ignore_index")
    return ignored is not None and any(len(b) and np.ndim(b.y_true) == 1 and (b.y_true == ignored).all()
                                       for b in batches)


def _given(value: Any) -> bool:
    """an ignore_index given"""
    return value is not None


TORCHMETRICS_HINGE_OF_NOTHING = KnownDifference(
    "torchmetrics", what="torchmetrics' hinge loss of no sample (every target the ignored label) is NaN; the "
    "reference's mean of no sample is 0.0.", cause="the hinge's compute divides the summed measures by the count of "
    "samples kept, 0 / 0.", where="torchmetrics/functional/classification/hinge.py::_hinge_loss_compute",
    raises="returned NaN", trigger=ParameterTrigger(_all_ignored), properties=EVERY_PROPERTY,
    when={"ignore_index": _given})


def _some_curve_without_samples(batches: list[Batch]) -> bool:
    """Some batch (fed alone) or the whole stream leaves a curve (the scores' one; a label's column) no sample once
    the padding label is dropped."""
    def empty_curve(targets: np.ndarray) -> bool:
        if not targets.size:
            return False
        kept = targets != PADDING
        return not kept.any(axis=0).all() if targets.ndim == 2 else not kept.any()
    filled = [np.asarray(b.y_true) for b in batches if len(b)]
    return any(empty_curve(t) for t in filled) or (bool(filled) and empty_curve(np.concatenate(filled)))


# The classes whose exact curve (thresholds=None) goes through _binary_clf_curve: one binary curve; one per class
# (multiclass: one-vs-rest over every sample kept); one per label (multilabel: each label's kept cells, every label
# computed whichever one a class_id picks). suites/test_harness.py checks it is every padded class with thresholds.
EXACT_CURVES = frozenset({
    "BinaryAUROC", "BinaryAveragePrecision", "BinaryRecallAtFixedPrecision", "BinaryPrecisionAtFixedRecall",
    "BinarySensitivityAtSpecificity", "BinarySpecificityAtSensitivity",
    "MulticlassAUROC", "MulticlassAveragePrecision",
    "MultilabelAUROC", "MultilabelAveragePrecision", "MultilabelRecallAtFixedPrecision",
})


def _curve_of_nothing(task: str) -> KnownDifference:
    """torchmetrics' exact curves of no sample (the ignored ones dropped) raising IndexError, for ``task``'s
    classes (binary, multiclass or multilabel), with a witness in that task's data."""
    scores = [[0.2, 0.3, 0.5], [0.6, 0.3, 0.1], [0.2, 0.5, 0.3], [0.1, 0.2, 0.7]]
    inside, outside, metric, empty = {
        "binary": ((batch([PADDING], [0.2]),), (batch([PADDING, 0, 1], [0.2, 0.3, 0.6]),), None,
                   "every target the ignore_index"),
        "multiclass": ((batch([PADDING], scores[:1], num_classes=3),),
                       (batch([PADDING, 0, 1, 2], scores, num_classes=3),), "AUROC[task=multiclass]",
                       "every target the ignore_index: each class's one-vs-rest curve is over every sample"),
        "multilabel": ((batch([[0, PADDING], [1, PADDING]], [[0.2, 0.1], [0.6, 0.3]], num_classes=2),),
                       (batch([[0, PADDING], [1, 0], [0, 1]], [[0.2, 0.1], [0.6, 0.3], [0.4, 0.7]], num_classes=2),),
                       None, "a label whose every cell is the ignore_index: every label's curve is computed, "
                       "whichever one a class_id picks")}[task]
    return KnownDifference(
        "torchmetrics", what=f"torchmetrics' {task} exact curves (thresholds=None: AUROC, average precision, a rate "
        f"at a fixed rate) raise IndexError where a curve has no sample left once the ignored ones are dropped "
        f"({empty}), where it could say that the area is undefined (as it does, with a warning, for a curve of one "
        "class).",
        cause="_binary_clf_curve indexes the last distinct score of the curve's (empty) scores: 'index is out of "
              "bounds for dimension with size 0' (multiclass and multilabel: called per class or label by "
              "_multiclass_roc_compute and _multi*_precision_recall_curve_compute).",
        where="torchmetrics/functional/classification/precision_recall_curve.py::_binary_clf_curve",
        raises="index is out of bounds for dimension with size 0", trigger=_some_curve_without_samples,
        when={"ignore_index": (PADDING,), "thresholds": (None,)}, kind="defect", properties=EVERY_PROPERTY,
        witness=Witness(inside=inside, outside=outside, parameters={"ignore_index": PADDING}, metric=metric))


_CURVES_OF_NOTHING = {task: _curve_of_nothing(task) for task in ("binary", "multiclass", "multilabel")}
TORCHMETRICS_CURVE_OF_NOTHING = {name: _CURVES_OF_NOTHING[next(task for task in _CURVES_OF_NOTHING
                                                               if name.lower().startswith(task))]
                                 for name in EXACT_CURVES}


def _ignored_as(target: int) -> Callable[[Batch], Batch]:
    """torchmetrics' ranking input formatting: a cell of the padding label becomes ``target`` (0: a false label;
    1: counted as true by the coverage) scored -4L, below every other score of its row."""
    def transform(batch: Batch) -> Batch:
        ignored = np.asarray(batch.y_true) == PADDING
        if not ignored.any():
            return batch
        bottom = np.float32(-4 * batch.y_true.shape[1])
        return replace(batch, y_true=np.where(ignored, target, batch.y_true),
                       y_pred=np.where(ignored, bottom, batch.y_pred).astype(np.float32))
    return transform


def _ranking_ignored(what: str, target: int, metric: str) -> KnownDifference:
    row, scores = [[0, 1, PADDING, 0]], [[0.75, 0.5, 0.2, 0.0]]
    return KnownDifference(
        "torchmetrics", what=f"torchmetrics' multilabel ranking metrics do not leave an ignored label out of its row: "
        f"{what}", cause="_multilabel_confusion_matrix_format(ignore_index) sets an ignored cell's target and score "
        "to -4·L (to be filtered out of a confusion matrix); the ranking updates read them as a label scored below "
        "every other, whose target is not 0 (the coverage's offset of false labels skips it: a true label) or not 1 "
        "(the ranking loss counts it false).",
        where="torchmetrics/functional/classification/confusion_matrix.py::_multilabel_confusion_matrix_format; "
              "torchmetrics/functional/classification/ranking.py",
        per_batch=_ignored_as(target), kind="defect",
        witness=Witness(inside=(batch(row, scores, num_classes=4),),
                        outside=(batch([[0, 1, 0, 0]], scores, num_classes=4),), parameters={"ignore_index": PADDING},
                        metric=metric))


TORCHMETRICS_RANKING_IGNORED = {
    False: _ranking_ignored("it counts as a false label ranked last (a (true, false) pair of the ranking loss).", 0,
                            "LabelRankingLoss"),
    True: _ranking_ignored("the coverage counts it as a true label ranked last, so the whole row must be covered.",
                           1, "CoverageError"),
}


def ignoring_cells_by_row(function: Callable[..., Any]) -> Callable[..., Any]:
    """``function``, a mean over rows of a per-row value, with each row's ignored labels (target ``ignore_index``) left
    out: a row is scored on its other labels alone (a row left with none scores as one with no true label)."""
    def reference(y_true, y_pred, *, sample_weight=None, ignore_index=None, **params):
        if ignore_index is None:
            return function(y_true, y_pred, sample_weight=sample_weight, **params)
        y_true, y_pred = np.asarray(y_true), np.asarray(y_pred)
        weights = np.ones(len(y_true)) if sample_weight is None else np.asarray(sample_weight, np.float64)
        rows = []
        for targets, scores in zip(y_true, y_pred, strict=True):
            kept = targets != ignore_index
            targets, scores = (targets[kept], scores[kept]) if kept.any() else (np.zeros(1), np.zeros(1))
            rows.append(function(targets[None], scores[None], **params))
        return float(np.dot(weights, rows) / weights.sum()) if weights.sum() else 0.0
    reference.__name__, reference.__doc__ = function.__name__, function.__doc__
    reference.__wrapped__ = function
    return reference


def _task_class(binding: Binding) -> str:
    """The name of the torchmetrics class a binding builds: a task wrapper's (``torchmetrics.HammingDistance`` given
    task="multilabel") is the task's class it returns (``MultilabelHammingDistance``), with the same keywords."""
    name = binding.target.rsplit(".", 1)[-1]
    task = binding.init.get("task")
    return f"{task.capitalize()}{name}" if isinstance(task, str) else name


def with_padding_ignore(spec: MetricSpec) -> MetricSpec:
    """``spec`` drawing torchmetrics' ignore_index=-1 (a padding label in some targets: ``domains.padded``) where
    its torchmetrics class takes one but cannot ignore the data's own labels (see the sets above)."""
    binding = spec.bindings.get("torchmetrics")
    name = _task_class(binding) if binding else None
    if name is None or "ignore_index" in binding.init or name not in PADDING_PER_SAMPLE | PADDING_PER_CELL | \
            PADDING_PER_ROW:
        return spec
    padding_only = {"ignore_index": (PADDING,)}
    if name in TORCHMETRICS_CURVE_OF_NOTHING:
        spec = replace(spec, known=(*spec.known, TORCHMETRICS_CURVE_OF_NOTHING[name]))
    if name in PADDING_PER_SAMPLE:  # these classes drop the ignored samples before deciding on a sigmoid
        known = tuple(replace(k, reference=ignoring_target(k.reference) if k.reference else None,
                              per_batch=_after_dropping_padding(k.per_batch))
                      if k.library == "torchmetrics" else k for k in spec.known)
        spec = replace(spec, reference=ignoring_target(spec.reference), known=known)
        if "Hinge" in name:
            # the padding label, or another the bad_inputs property gives as ignore_index (label C)
            spec = replace(spec, known=(*spec.known, TORCHMETRICS_HINGE_OF_NOTHING))
    elif name in PADDING_PER_ROW:
        ignored = replace(TORCHMETRICS_RANKING_IGNORED[name == "MultilabelCoverageError"], when=padding_only)
        known = tuple(replace(k, reference=ignoring_cells_by_row(k.reference)) if k.library == "torchmetrics"
                      and k.reference else k for k in spec.known)
        # with the label kept, its other conventions hold as well: each of them on the cells so read
        with_ignored = tuple(replace(k, per_batch=_composed(ignored.per_batch, k.per_batch), when=padding_only,
                                     witness=None, kind="convention", what=k.what + " (With an ignored label kept.)")
                             for k in known if k.library == "torchmetrics" and k.explains_values
                             and k.properties != ("bad_inputs",)  # a bad input's reading holds as it is
                             and (k.per_batch or k.bounds or k.overrides or k.reference))
        spec = replace(spec, reference=ignoring_cells_by_row(spec.reference), known=(*known, ignored, *with_ignored))
    padded_data = {"domain": Transform(padded)}
    if spec.decomposition == "mean" and name in PADDING_PER_CELL and name not in ROW_MEANS_OF_CELLS:
        padded_data["decomposition"] = "none"  # a mean over the cells kept, no longer of per-sample values
    return replace(spec, space=(*spec.space, Parameter(
        "ignore_index", (None, PADDING), spellings={"torchmetrics": "ignore_index"},
        changes=lambda ignored: {} if ignored is None else padded_data,
        absent={"keras": "Keras' metrics have no ignore_index", "sklearn": "scikit-learn's metrics have no "
                "ignore_index (labels= restricts the classes averaged, not the samples)"})))
