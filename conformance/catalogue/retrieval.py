"""Retrieval (ranking) metrics: normalized discounted cumulative gain over queries."""

from __future__ import annotations

import reference as ref
from conformance import tolerance as tol
from conformance.catalogue.model import Binding, MetricSpec
from conformance.domains import RELEVANCE


def _ndcg(k: int | None) -> MetricSpec:
    return MetricSpec(
        name="NDCG", reference=ref.ndcg, params={"k": k}, variant={} if k is None else {"k": k},
        domain=RELEVANCE, decomposition="mean", growth=tol.RATIO, scale=1.0,
        bindings={
            "sklearn": Binding("sklearn.metrics.ndcg_score", {"k": k}),
            "torchmetrics": Binding("torchmetrics.retrieval.RetrievalNormalizedDCG", {"top_k": k}, weights=False,
                                    queries=True),
        },
        absent={"keras": "keras.metrics has no ranking or retrieval metric (NDCG is in the separate keras-rs "
                         "package)"},
    )


SPECS: tuple[MetricSpec, ...] = (_ndcg(None), _ndcg(2))
