"""Reference retrieval (ranking) metrics: normalized discounted cumulative gain (NDCG).

Each sample is a query: a row of graded relevances (non-negative) for its ``L`` documents and a
row of scores that ranks them. Conventions, as scikit-learn's ``ndcg_score`` states them:

* **Gain and discount**: a document at 0-based position ``i`` of the ranking contributes its
  relevance times ``1 / log2(i + 2)`` (linear gain); with ``k`` only the first ``k`` positions count.
* **Ties**: documents with equal scores share their positions: each gets the mean relevance of
  its tie group times the discounts of the positions the group occupies (McSherry & Najork, 2008),
  so the value does not depend on the order of tied documents.
* **Normalisation**: divided by the DCG of the ideal ranking (by relevance); a query whose
  documents are all irrelevant (ideal DCG 0) scores 0.
* The result is the weighted mean over queries (zero total weight gives 0.0).

The work is one sort of each row and cumulative sums: O(n L log L), no loop over samples.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import as_float_array, check_option, check_sample_weight, divide


def _discounts(num_documents: int, k: int | None) -> NDArray[np.float64]:
    discount = 1.0 / np.log2(np.arange(num_documents) + 2.0)
    if k is not None:
        discount[k:] = 0.0
    return discount


def _tie_averaged_dcg(relevance: NDArray[np.float64], scores: NDArray[np.float64],
                      discount: NDArray[np.float64]) -> NDArray[np.float64]:
    """Each row's DCG of the ranking by descending score, tied documents sharing their positions."""
    n, num_documents = scores.shape
    order = np.argsort(-scores, axis=1, kind="stable")
    sorted_scores = np.take_along_axis(scores, order, axis=1)
    sorted_relevance = np.take_along_axis(relevance, order, axis=1)
    positions = np.broadcast_to(np.arange(num_documents), (n, num_documents))
    starts = np.ones((n, num_documents), dtype=bool)
    starts[:, 1:] = sorted_scores[:, 1:] != sorted_scores[:, :-1]
    ends = np.ones((n, num_documents), dtype=bool)
    ends[:, :-1] = starts[:, 1:]
    first = np.maximum.accumulate(np.where(starts, positions, 0), axis=1)
    last = np.minimum.accumulate(np.where(ends, positions, num_documents)[:, ::-1], axis=1)[:, ::-1]
    relevance_before = np.concatenate([np.zeros((n, 1)), np.cumsum(sorted_relevance, axis=1)], axis=1)
    group_sum = np.take_along_axis(relevance_before, last + 1, axis=1) - np.take_along_axis(relevance_before,
                                                                                         first, axis=1)
    group_mean = group_sum / (last - first + 1)
    return group_mean @ discount


def ndcg(
    y_true: ArrayLike, y_score: ArrayLike, *, k: int | None = None, sample_weight: ArrayLike | None = None,
    aggregation: Literal["mean", "median", "lower_median", "min", "max"] = "mean",
    empty: Literal["neg", "pos", "skip", "error"] = "neg", ignore_index: int | None = None,
    ties: Literal["average", "best", "worst"] = "average",
) -> float:
    """Normalized discounted cumulative gain, averaged over queries (rows).

    ``y_true``: ``(n, L)`` non-negative relevances; ``y_score``: ``(n, L)`` scores; ``k``: count
    only the first ``k`` positions (``None``: all). Ties in ``y_score`` are averaged (``ties="best"`` / ``"worst"``:
    the most / least relevant of them ahead: the most and the least a ranking that breaks ties in some order gives).
    A query with no relevant document scores 0 (``empty="pos"``: 1; ``"skip"``: it is left out, and with no query
    left the result is 0; ``"error"``: the result is undefined, NaN). ``aggregation``: the queries' weighted mean,
    or (unweighted) their ``median`` (the mean of the two middle values of an even count; ``lower_median``: the lower
    of them), ``min`` or ``max``.
    ``ignore_index``: documents whose relevance is that value are not part of their query (a query of none is no
    query).
    """
    relevance = as_float_array(y_true, "y_true", ndim=2)
    scores = as_float_array(y_score, "y_score", ndim=2)
    if relevance.shape != scores.shape:
        raise ValueError(f"y_true and y_score must have the same shape (n_queries, n_documents); "
                         f"got {relevance.shape} and {scores.shape}.")
    if k is not None and k < 1:
        raise ValueError(f"k must be a positive integer or None; got {k}.")
    check_option(aggregation, "aggregation", ("mean", "median", "lower_median", "min", "max"))
    check_option(empty, "empty", ("neg", "pos", "skip", "error"))
    check_option(ties, "ties", ("average", "best", "worst"))
    weights = check_sample_weight(sample_weight, len(relevance))
    if ignore_index is not None:  # each query of its kept documents (a loop over queries, which differ in length);
        kept = relevance != ignore_index  # a query left with no document is no query
        queries = kept.any(axis=1)
        relevance, scores, kept, weights = relevance[queries], scores[queries], kept[queries], weights[queries]
        per_query = np.array([_query_ndcg(relevance[i][kept[i]], scores[i][kept[i]], k, ties)
                              for i in range(len(relevance))])
    else:
        if np.any(relevance < 0):
            raise ValueError("y_true must hold non-negative relevances; got a negative value.")
        per_query = _ndcg_rows(relevance, scores, k, ties)
    has_relevant = np.array([bool(np.any(r[r != ignore_index] > 0)) if ignore_index is not None else bool(r.any())
                             for r in relevance], dtype=bool).reshape(-1)
    if empty == "error" and not has_relevant.all():
        return float("nan")
    if empty == "pos":
        per_query = np.where(has_relevant, per_query, 1.0)
    elif empty == "skip":
        per_query, weights = per_query[has_relevant], weights[has_relevant]
    if aggregation == "mean":
        return float(divide(np.dot(weights, per_query), weights.sum()))
    if not per_query.size:
        return 0.0
    if aggregation in ("median", "lower_median"):
        ordered = np.sort(per_query)
        middle = (len(ordered) - 1) // 2
        return float(ordered[middle] if aggregation == "lower_median" or len(ordered) % 2 else
                     (ordered[middle] + ordered[middle + 1]) / 2)
    return float(per_query.min() if aggregation == "min" else per_query.max())


def _ndcg_rows(relevance: NDArray[np.float64], scores: NDArray[np.float64], k: int | None,
               ties: str) -> NDArray[np.float64]:
    """Each row's NDCG (0 where it has no relevant document)."""
    discount = _discounts(relevance.shape[1], k)
    if ties == "average":
        gain = _tie_averaged_dcg(relevance, scores, discount)
    else:  # tied documents in the order of their relevance: the most relevant first ("best") or last
        secondary = -relevance if ties == "best" else relevance
        order = np.lexsort((secondary, -scores), axis=1)
        gain = np.take_along_axis(relevance, order, axis=1) @ discount
    ideal = -np.sort(-relevance, axis=1) @ discount
    return divide(gain, ideal)


def _query_ndcg(relevance: NDArray[np.float64], scores: NDArray[np.float64], k: int | None, ties: str) -> float:
    if relevance.size == 0:
        return 0.0
    if np.any(relevance < 0):
        raise ValueError("y_true must hold non-negative relevances (or the ignored value); got a negative value.")
    return float(_ndcg_rows(relevance[None], scores[None], k, ties)[0])
