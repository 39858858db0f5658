"""Retrieval (ranking) metrics: normalized discounted cumulative gain over queries."""

from __future__ import annotations

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
from conformance.data import Batch
from conformance.domains import RELEVANCE

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
            KnownDifference(
                "sklearn", what="With ignore_ties=True, scikit-learn ranks documents of equal score in argsort's "
                "order instead of sharing their positions (it documents the option as assuming no ties): the value "
                "lies between the tied documents' most and least relevant first.",
                cause="_dcg_sample_scores(ignore_ties=True): ranking = np.argsort(y_score)[:, ::-1], no tie "
                      "averaging.", where="sklearn/metrics/_ranking.py::_dcg_sample_scores",
                bounds=({"ties": "worst"}, {"ties": "best"}), trigger=_has_tied_scores,
                when={"ignore_ties": (True,)}),
        ),
        absent={"keras": "keras.metrics has no ranking or retrieval metric (NDCG is in the separate keras-rs "
                         "package)"},
    )


SPECS: tuple[MetricSpec, ...] = (_ndcg(),)
