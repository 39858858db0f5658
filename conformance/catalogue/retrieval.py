"""Retrieval (ranking) metrics over queries: normalized discounted cumulative gain of graded relevance, and
torchmetrics' metrics of binary relevance (average precision, reciprocal rank, precision, recall, hit rate, fall-out,
R-precision, ROC AUC) with their parameters drawn; scikit-learn's dcg_score."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import numpy as np

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue.model import (
    EVERY_PROPERTY,
    Binding,
    KnownDifference,
    MetricSpec,
    Parameter,
    ParameterTrigger,
    Unsupported,
    Witness,
    batch,
    empty,
)
from conformance.catalogue.multilabel_ranking import some_batch_empty
from conformance.catalogue.ranking import MAX_FPR as CLASSIFICATION_MAX_FPR
from conformance.data import Batch
from conformance.domains import BINARY_RELEVANCE, RELEVANCE

QUERIES = batch([[2, 0, 1], [0, 1, 0]], [[0.9, 0.1, 0.5], [0.3, 0.8, 0.2]])  # two queries of three documents

def _empty_once_ignored(batches: list[Batch], values) -> bool:
    """Some batch has no query, or no document once those of the ignored relevance (ignore_index) are dropped."""
    ignored = values.get("ignore_index")
    return some_batch_empty(batches) or (ignored is not None and any((b.y_true == ignored).all() for b in batches))


TORCHMETRICS_RETRIEVAL_EMPTY_BATCH = KnownDifference(
    "torchmetrics", what="torchmetrics' retrieval metrics reject an empty batch (zero queries, or no document left "
    "once the ignored ones are dropped) instead of leaving the state unchanged, so a stream with an empty batch "
    "fails.",
    cause="RetrievalMetric.update checks its inputs with _check_retrieval_inputs, which raises '`indexes`, `preds` "
          "and `target` must be non-empty and non-scalar tensors'.",
    where="torchmetrics/retrieval/base.py::RetrievalMetric.update; "
          "torchmetrics/utilities/checks.py::_check_retrieval_inputs",
    raises="must be non-empty and non-scalar tensors", trigger=ParameterTrigger(_empty_once_ignored),
    properties=EVERY_PROPERTY,
    witness=Witness(inside=(QUERIES, empty(QUERIES)), outside=(QUERIES,)),
    kind="defect",
)


def _no_relevant_document(batches: list[Batch]) -> bool:
    """Some query has no relevant document."""
    return any(len(b) and (np.asarray(b.y_true).max(axis=1) <= 0).any() for b in batches)


def _has_tied_scores(batches: list[Batch]) -> bool:
    """Some query ranks documents of equal score."""
    return any(len(b) and any(len(np.unique(row)) < len(row) for row in np.asarray(b.y_pred)) for b in batches)


def _order_statistic(aggregation: str) -> dict:
    """A median, minimum or maximum over queries is no mean of per-query values."""
    return {} if aggregation == "mean" else {"decomposition": "none", "ratio": False}


def _ndcg() -> MetricSpec:
    """NDCG over queries: the cut-off k drawn (all, 2, 1, 3), torchmetrics' aggregation of queries and its rule for a
    query without a relevant document, scikit-learn's ignore_ties."""
    return MetricSpec(
        name="NDCG", reference=ref.ndcg, params={"k": None}, domain=RELEVANCE, decomposition="mean",
        growth=tol.RATIO, scale=1.0,
        bindings={
            "sklearn": Binding("sklearn.metrics.ndcg_score"),
            "torchmetrics": Binding("torchmetrics.retrieval.RetrievalNormalizedDCG", weights=False, queries=True),
        },
        space=(Parameter("k", (None, 2, 1, 3), spellings={"sklearn": "k", "torchmetrics": "top_k"}),
               Parameter("aggregation", ("mean", "median", "min", "max"), spellings={"torchmetrics": "aggregation"},
                         changes=_order_statistic,
                         absent={"sklearn": "scikit-learn's ndcg_score is the (weighted) mean over queries"}),
               Parameter("empty", ("neg", "pos", "skip", "error"), spellings={"torchmetrics": "empty_target_action"},
                         absent={"sklearn": "scikit-learn scores a query without a relevant document 0"},
                         unsupported=(Unsupported(
                             "torchmetrics", {"empty": ("error",)}, "reset asks for a result on other targets (the "
                             "relevances flipped), where some query has no relevant document: 'error' raises there as "
                             "documented, before the reset it checks", properties=("reset",)),)),
               Parameter("ignore_ties", (False, True), spellings={"sklearn": "ignore_ties"}, reference=False,
                         absent={"torchmetrics": "torchmetrics ranks ties as they come"})),
        known=(
            TORCHMETRICS_RETRIEVAL_EMPTY_BATCH,
            KnownDifference(
                "torchmetrics", what="torchmetrics' median over queries is the lower of the two middle values of an "
                "even count (torch.median); the reference's median is their mean.",
                cause="_retrieval_aggregate: values.median(), which PyTorch documents as 'the lower of the two "
                      "medians' for an even count.",
                where="torchmetrics/retrieval/base.py::_retrieval_aggregate; "
                      "https://pytorch.org/docs/stable/generated/torch.median.html",
                overrides={"aggregation": "lower_median"}, when={"aggregation": ("median",)}),
            KnownDifference(
                "torchmetrics", what="With empty_target_action='error', torchmetrics raises on a query without a "
                "relevant document, as documented.",
                cause="RetrievalMetric.compute: \"`compute` method was provided with a query with no positive "
                      "target.\"",
                where="torchmetrics/retrieval/base.py::RetrievalMetric.compute", raises="query with no positive target",
                trigger=_no_relevant_document, when={"empty": ("error",)}, properties=EVERY_PROPERTY),
            SKLEARN_IGNORE_TIES,
        ),
        absent={"keras": "keras.metrics has no ranking or retrieval metric (NDCG is in the separate keras-rs "
                         "package)"},
    )


# -- binary relevance: torchmetrics' RetrievalMetric subclasses ------------------------------------------------------

NO_KERAS = "keras.metrics has no ranking or retrieval metric (they are in the separate keras-rs package)"


TORCHMETRICS_ONLY = {"keras": NO_KERAS, "sklearn": "scikit-learn has no per-query retrieval metric with this "
                                                   "parameter"}


def _torchmetrics_parameter(name: str, values: tuple) -> Parameter:
    return Parameter(name, values, spellings={"torchmetrics": name}, absent=TORCHMETRICS_ONLY)


TOP_K = _torchmetrics_parameter("top_k", (None, 1, 2, 6))  # 6: more than any query's documents
# Each query's standardized partial area: the classification AUROC's values and span (the same McClish reference)
MAX_FPR = replace(CLASSIFICATION_MAX_FPR, spellings={"torchmetrics": "max_fpr"}, absent=TORCHMETRICS_ONLY)
AGGREGATION = _torchmetrics_parameter("aggregation", ("mean", "median", "min", "max"))


def _empty_target_action(default: str) -> Parameter:
    return _torchmetrics_parameter("empty_target_action", (default, *(a for a in ("neg", "pos", "skip")
                                                                       if a != default)))


TIE_SIDES = ({"ties": "pessimistic"}, {"ties": "optimistic"})
RETRIEVAL_WHERE = "torchmetrics/functional/retrieval/{}.py::retrieval_{}"


def _cut_drawn(top_k: Any) -> bool:
    """A top k drawn (the documents cut after the k-th)."""
    return top_k is not None


def _torchmetrics_conventions(function: str, *, positive_scores_only: bool,
                              undefined_auroc: bool = False) -> tuple[KnownDifference, ...]:
    """torchmetrics' conventions for a binary retrieval metric, each composed with those before it (an example may
    need several at once), the most specific first: the order of tied scores; torch.median's lower median; the
    discarded predictions of scores <= 0 (average precision, reciprocal rank, precision, recall); a query without
    an irrelevant document (with top_k: whose top k are of one class) scoring ROC AUC 0."""
    where = RETRIEVAL_WHERE.format(function, function)
    if undefined_auroc:  # ties move an AUC only through the documents a cut keeps: inside it, a tie counts one half
        ties = KnownDifference(
            "torchmetrics", what="With top_k, where documents of equal scores straddle the cut, which of them "
            "torchmetrics keeps in a query's top k is the order torch.topk returns, which PyTorch does not document; "
            "the reference takes the highest AUROC any order gives. Checked: the value lies between the lowest and "
            "the highest of them.",
            cause="retrieval_auroc keeps preds.topk(min(top_k, n), sorted=True) documents; topk is not stable nor "
                  "documents its order among equal values.",
            where=f"{where}; https://pytorch.org/docs/stable/generated/torch.topk.html", bounds=TIE_SIDES,
            when={"top_k": _cut_drawn})
    else:
        ties = KnownDifference(
            "torchmetrics", what="Among documents with equal scores, torchmetrics keeps the order torch.topk or "
            "torch.argsort returns, which PyTorch does not document; the reference ranks relevant documents first. "
            "Checked: the value lies between the relevant documents of every tie ranked last and first.",
            cause="The per-query metric ranks with preds.topk(k, sorted=True) or torch.argsort(preds, "
                  "descending=True); neither is stable nor documents its order among equal values.",
            where=f"{where}; https://pytorch.org/docs/stable/generated/torch.topk.html", bounds=TIE_SIDES)
    median = KnownDifference(
        "torchmetrics", what="aggregation='median' over an even number of queries gives the lower of the two middle "
        "values in torchmetrics (torch.median); the reference, the mean of the two. With the order of tied scores as "
        "above.",
        cause="_retrieval_aggregate returns values.median(); torch.median documents 'the lower of the two medians' "
              "for an even count.",
        where="torchmetrics/retrieval/base.py::_retrieval_aggregate; "
              "https://pytorch.org/docs/stable/generated/torch.median.html",
        bounds=tuple({**side, "median": "lower"} for side in TIE_SIDES))
    known = [ties, median]
    lower = {"median": "lower"}
    if positive_scores_only:
        known.append(KnownDifference(
            "torchmetrics", what="A relevant document scored 0 (or below) counts as not relevant in torchmetrics' "
            "average precision, reciprocal rank, precision and recall, although it is ranked and, by the documented "
            "definitions, retrieved: MAP of relevance [0, 1] with scores [0.5, 0.0] is 0, not 0.5. (Whether a query "
            "counts as empty is still judged before that.) With the order of tied scores and the median as above.",
            cause="The functional metric sets target = torch.where(preds > 0, target, 0) before ranking (torchmetrics "
                  "PR #3104, 'Discard zero and negative predictions in retrieval metrics'); RetrievalMetric.compute "
                  "tests the unfiltered target for an empty query.",
            where=f"{where}; torchmetrics/retrieval/base.py::RetrievalMetric.compute",
            bounds=tuple({**side, **lower, "positive_scores_only": True} for side in TIE_SIDES)))
    if undefined_auroc:
        known.append(KnownDifference(
            "torchmetrics", what="A query whose documents are all relevant (with top_k: whose top k documents are "
            "all relevant, or all irrelevant) has ROC AUC 0 in torchmetrics (counted in the mean); its ROC AUC is "
            "undefined, and the reference, undefined there, is NaN. With the order of tied scores and the median as "
            "above.",
            cause="retrieval_auroc returns tensor(0.0) when '(0 not in target) or (1 not in target)' of the top k.",
            where=where, bounds=tuple({**side, "undefined": "zero", **lower} for side in TIE_SIDES)))
    return tuple(known)


def _binary_retrieval(name: str, reference: Callable[..., Any], target: str, function: str, *,
                      space: tuple[Parameter, ...], init: Mapping[str, Any] | None = None,
                      positive_scores_only: bool = False, undefined_auroc: bool = False) -> MetricSpec:
    known = _torchmetrics_conventions(function, positive_scores_only=positive_scores_only,
                                      undefined_auroc=undefined_auroc)
    return MetricSpec(  # not a mean over queries where aggregation is drawn (median, min, max) or queries skipped
        name=name, reference=reference, domain=BINARY_RELEVANCE, decomposition="none", growth=tol.RATIO, scale=1.0,
        bindings={"torchmetrics": Binding(f"torchmetrics.retrieval.{target}", dict(init or {}), weights=False,
                                          queries=True)},
        known=(*known, TORCHMETRICS_RETRIEVAL_EMPTY_BATCH), space=space,
        absent={"keras": NO_KERAS, "sklearn": "scikit-learn has no per-query retrieval metric of binary relevance "
                                              "(nearest: label_ranking_average_precision_score, whose ties count "
                                              "pessimistically, and average_precision_score per row)"},
    )


SKLEARN_IGNORE_TIES = KnownDifference(
    "sklearn", what="With ignore_ties=True, scikit-learn ranks documents of equal score in argsort's "
    "order instead of sharing their positions (it documents the option as assuming no ties): the value "
    "lies between the tied documents' most and least relevant first.",
    cause="_dcg_sample_scores(ignore_ties=True): ranking = np.argsort(y_score)[:, ::-1], no tie "
          "averaging.", where="sklearn/metrics/_ranking.py::_dcg_sample_scores",
    bounds=({"ties": "worst"}, {"ties": "best"}), trigger=_has_tied_scores,
    when={"ignore_ties": (True,)})


def _dcg() -> MetricSpec:
    spelled = {"absent": {"keras": NO_KERAS, "torchmetrics": "torchmetrics has no unnormalised DCG (nearest: "
                                                                "RetrievalNormalizedDCG, checked under NDCG)"}}
    return MetricSpec(
        name="DCG", reference=ref.dcg, domain=RELEVANCE, decomposition="mean", growth=tol.RATIO, scale=0.0,
        bindings={"sklearn": Binding("sklearn.metrics.dcg_score")},
        space=(Parameter("k", (None, 1, 2), spellings={"sklearn": "k"}, **spelled),
               Parameter("log_base", (2, 10), spellings={"sklearn": "log_base"}, **spelled),
               # the reference averages tied documents' gains (scikit-learn's default); ignore_ties=True ranks them
               # in an unspecified order, the same value where no scores tie (a declaration of NDCG's explains ties)
               Parameter("ignore_ties", (False, True), spellings={"sklearn": "ignore_ties"}, reference=False,
                         **spelled)),
        known=(SKLEARN_IGNORE_TIES,), **spelled,
    )


SPECS: tuple[MetricSpec, ...] = (
    _ndcg(), _dcg(),
    _binary_retrieval("RetrievalMAP", ref.retrieval_average_precision, "RetrievalMAP", "average_precision",
                      space=(TOP_K, _empty_target_action("neg"), AGGREGATION), positive_scores_only=True),
    _binary_retrieval("RetrievalMRR", ref.retrieval_reciprocal_rank, "RetrievalMRR", "reciprocal_rank",
                      space=(TOP_K, _empty_target_action("neg"), AGGREGATION), positive_scores_only=True),
    _binary_retrieval("RetrievalPrecision", ref.retrieval_precision, "RetrievalPrecision", "precision",
                      space=(TOP_K, _torchmetrics_parameter("adaptive_k", (False, True)),
                             _empty_target_action("neg"), AGGREGATION), positive_scores_only=True),
    _binary_retrieval("RetrievalRecall", ref.retrieval_recall, "RetrievalRecall", "recall",
                      space=(TOP_K, _empty_target_action("neg"), AGGREGATION), positive_scores_only=True),
    _binary_retrieval("RetrievalHitRate", ref.retrieval_hit_rate, "RetrievalHitRate", "hit_rate",
                      space=(TOP_K, _empty_target_action("neg"), AGGREGATION)),
    _binary_retrieval("RetrievalFallOut", ref.retrieval_fall_out, "RetrievalFallOut", "fall_out",
                      space=(TOP_K, _empty_target_action("pos"), AGGREGATION)),
    _binary_retrieval("RetrievalRPrecision", ref.retrieval_r_precision, "RetrievalRPrecision", "r_precision",
                      space=(_empty_target_action("neg"), AGGREGATION)),
    _binary_retrieval("RetrievalAUROC", ref.retrieval_auroc, "RetrievalAUROC", "auroc",
                      space=(TOP_K, MAX_FPR, _empty_target_action("neg"), AGGREGATION), undefined_auroc=True),
)
