"""Retrieval (ranking) metrics: normalized discounted cumulative gain over queries."""

from __future__ import annotations

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue.model import (
    EVERY_PROPERTY,
    Binding,
    KnownDifference,
    MetricSpec,
    Witness,
    batch,
    empty,
)
from conformance.catalogue.multilabel_ranking import some_batch_empty
from conformance.domains import RELEVANCE

QUERIES = batch([[2, 0, 1], [0, 1, 0]], [[0.9, 0.1, 0.5], [0.3, 0.8, 0.2]])  # two queries of three documents

TORCHMETRICS_RETRIEVAL_EMPTY_BATCH = KnownDifference(
    "torchmetrics", what="torchmetrics' retrieval metrics reject an empty batch (zero queries) instead of leaving "
    "the state unchanged, so a stream with an empty batch fails.",
    cause="RetrievalMetric.update checks its inputs with _check_retrieval_inputs, which raises '`indexes`, `preds` "
          "and `target` must be non-empty and non-scalar tensors'.",
    where="torchmetrics/retrieval/base.py::RetrievalMetric.update; "
          "torchmetrics/utilities/checks.py::_check_retrieval_inputs",
    raises="must be non-empty and non-scalar tensors", trigger=some_batch_empty, properties=EVERY_PROPERTY,
    witness=Witness(inside=(QUERIES, empty(QUERIES)), outside=(QUERIES,)),
    kind="defect",
)


def _ndcg(k: int | None) -> MetricSpec:
    return MetricSpec(
        name="NDCG", reference=ref.ndcg, params={"k": k}, variant={} if k is None else {"k": k},
        domain=RELEVANCE, decomposition="mean", growth=tol.RATIO, scale=1.0,
        bindings={
            "sklearn": Binding("sklearn.metrics.ndcg_score", {"k": k}),
            "torchmetrics": Binding("torchmetrics.retrieval.RetrievalNormalizedDCG", {"top_k": k}, weights=False,
                                    queries=True),
        },
        known=(TORCHMETRICS_RETRIEVAL_EMPTY_BATCH,),
        absent={"keras": "keras.metrics has no ranking or retrieval metric (NDCG is in the separate keras-rs "
                         "package)"},
    )


SPECS: tuple[MetricSpec, ...] = (_ndcg(None), _ndcg(2))
