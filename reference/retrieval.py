"""Reference retrieval (ranking) metrics: normalized discounted cumulative gain (NDCG) of graded relevance, and
the metrics of binary relevance (average precision, reciprocal rank, precision, recall, hit rate, fall-out,
R-precision, ROC AUC), each over queries (see the conventions above each part).

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
from .ranking import roc_auc


def _discounts(num_documents: int, k: int | None, log_base: float = 2.0) -> NDArray[np.float64]:
    discount = np.log(log_base) / np.log(np.arange(num_documents) + 2.0)
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



def dcg(
    y_true: ArrayLike, y_score: ArrayLike, *, k: int | None = None, log_base: float = 2.0,
    ties: Literal["average", "best", "worst"] = "average", sample_weight: ArrayLike | None = None,
) -> float:
    """Discounted cumulative gain, averaged over queries (rows): as :func:`ndcg` (linear gain, tied documents
    sharing their positions), not normalised, with the discount ``1 / log_base(i + 2)`` of position ``i``
    (scikit-learn's ``dcg_score``: "the log base ... used for the discount"). ``ties`` other than ``average``: tied
    documents ranked most relevant first (``best``) or last (``worst``), the two ends of every order of a tie."""
    relevance = as_float_array(y_true, "y_true", ndim=2)
    scores = as_float_array(y_score, "y_score", ndim=2)
    if relevance.shape != scores.shape:
        raise ValueError(f"y_true and y_score must have the same shape (n_queries, n_documents); "
                         f"got {relevance.shape} and {scores.shape}.")
    if k is not None and k < 1:
        raise ValueError(f"k must be a positive integer or None; got {k}.")
    if log_base <= 1:
        raise ValueError(f"log_base must be greater than 1; got {log_base}.")
    check_option(ties, "ties", ("average", "best", "worst"))
    weights = check_sample_weight(sample_weight, len(relevance))
    discount = _discounts(relevance.shape[1], k, log_base)
    if ties == "average":
        gain = _tie_averaged_dcg(relevance, scores, discount)
    else:
        order = np.lexsort((-relevance if ties == "best" else relevance, -scores), axis=1)
        gain = np.take_along_axis(relevance, order, axis=1) @ discount
    return float(divide(np.dot(weights, gain), weights.sum()))


# -- binary relevance: average precision, reciprocal rank, precision, recall, hit rate, fall-out, R-precision, AUROC --
#
# Each row of ``(n, L)`` inputs is a query: 0/1 relevance of its ``L`` documents and their scores. Conventions, as
# torchmetrics' retrieval module documents them (its ``RetrievalMetric`` and each metric's page):
#
# * **Ranking**: documents by descending score. Among tied scores the order is not documented; ``ties`` places the
#   relevant documents first (``optimistic``) or last (``pessimistic``), the two ends of every tie order.
#   (For the ROC AUC, where a tie counts one half, only the top k's cut moves it: ``ties`` takes the highest or the
#   lowest value of the tie orders there.)
# * **Top k**: "consider only the top k elements": the metric of the ranking cut after ``k`` documents
#   (``top_k=None``: all of them).
# * **Empty queries**: a query with no relevant document (for the fall-out: no irrelevant one) scores as
#   ``empty_target_action`` says: ``neg`` 0.0, ``pos`` 1.0, ``skip`` left out ("if all queries are skipped, 0.0 is
#   returned").
# * **Over queries**: ``aggregation`` ``mean`` (weighted by ``sample_weight``), ``median``, ``min`` or ``max`` of the
#   queries with a positive weight; of an even number of values the median is the mean of the two middle ones
#   (``median="middle"``) or the lower one (``median="lower"``, as torch.median documents it).
# * ``positive_scores_only``: a relevant document scored 0 or below counts as not relevant (torchmetrics' average
#   precision, reciprocal rank, precision and recall discard such predictions); the query's emptiness is still
#   judged on its relevance.
# * **Ignored documents**: ``ignore_index``: "ignore predictions where the target is equal to this number": those
#   documents are not part of their query, which is scored on the others alone (its top k, its emptiness); a query
#   left with no document is no query (it takes no part in the aggregation).

Ties = Literal["optimistic", "pessimistic"]
EmptyTargetAction = Literal["neg", "pos", "skip"]
Aggregation = Literal["mean", "median", "min", "max"]
Median = Literal["middle", "lower"]


def _queries(y_true: ArrayLike, y_score: ArrayLike, sample_weight: ArrayLike | None, ignore_index: int | None = None
             ) -> tuple[list[tuple[NDArray[np.float64], NDArray[np.float64]]], NDArray[np.float64]]:
    """The queries as blocks of ``(relevance, scores)`` rows of equal length, and their weights: one block of every
    row, or with ``ignore_index`` one block per query of its kept documents (a query left with none dropped)."""
    relevance = as_float_array(y_true, "y_true", ndim=2)
    scores = as_float_array(y_score, "y_score", ndim=2)
    if relevance.shape != scores.shape:
        raise ValueError(f"y_true and y_score must have the same shape (n_queries, n_documents); "
                         f"got {relevance.shape} and {scores.shape}.")
    weights = check_sample_weight(sample_weight, len(relevance))
    if ignore_index is None:
        blocks = [(relevance, scores)]
    else:  # the queries differ in length once their ignored documents are dropped
        kept = relevance != ignore_index
        queries = np.flatnonzero(kept.any(axis=1))
        blocks = [(relevance[i][kept[i]][None], scores[i][kept[i]][None]) for i in queries]
        weights = weights[queries]
    for block, _ in blocks:
        if not np.all((block == 0) | (block == 1)):
            raise ValueError(f"y_true must hold 0/1 relevance (or the ignore_index) for this metric; "
                             f"got {np.unique(block)[:5]}.")
    return blocks, weights


def _ranked(relevance: NDArray[np.float64], scores: NDArray[np.float64], ties: Ties) -> NDArray[np.float64]:
    """Each row's relevance in ranking order: descending score, ties ordered as ``ties`` says."""
    check_option(ties, "ties", ("optimistic", "pessimistic"))
    tie_key = -relevance if ties == "optimistic" else relevance
    order = np.lexsort((tie_key, -scores), axis=1) if scores.size else np.zeros(scores.shape, np.int64)
    return np.take_along_axis(relevance, order, axis=1)


def _cut(num_documents: int, top_k: int | None) -> int:
    _check_top_k(top_k)
    return num_documents if top_k is None else min(top_k, num_documents)


def _check_top_k(top_k: int | None) -> None:
    if top_k is not None and top_k < 1:
        raise ValueError(f"top_k must be a positive integer or None; got {top_k}.")


def _aggregate(values: NDArray[np.float64], empty: NDArray[np.bool_], weights: NDArray[np.float64],
               empty_target_action: EmptyTargetAction, aggregation: Aggregation, median: Median) -> float:
    """The queries' values combined: empty queries as ``empty_target_action`` says, then ``aggregation``."""
    check_option(empty_target_action, "empty_target_action", ("neg", "pos", "skip"))
    check_option(aggregation, "aggregation", ("mean", "median", "min", "max"))
    check_option(median, "median", ("middle", "lower"))
    values = np.where(empty, 1.0 if empty_target_action == "pos" else 0.0, values)
    kept = ~empty if empty_target_action == "skip" else np.ones(len(values), dtype=bool)
    if aggregation == "mean":
        return float(divide(np.dot(weights[kept], values[kept]), weights[kept].sum()))
    chosen = np.sort(values[kept & (weights > 0)])
    if not chosen.size:
        return 0.0
    if aggregation == "median" and median == "lower":
        return float(chosen[(chosen.size - 1) // 2])
    return float({"median": np.median, "min": np.min, "max": np.max}[aggregation](chosen))


def _binary_retrieval(per_query, y_true, y_score, *, empty_when: str, top_k, ties, empty_target_action, aggregation,
                      median, positive_scores_only, sample_weight, ignore_index) -> float:
    """``per_query(ranked, relevant, k)`` of each query: its relevance in ranking order (filtered as
    ``positive_scores_only`` says; its length the query's number of documents), its number of relevant documents
    (before the filter) and the cut ``k``; then the queries combined."""
    _check_top_k(top_k)
    blocks, weights = _queries(y_true, y_score, sample_weight, ignore_index)
    values, empty = [np.zeros(0)], [np.zeros(0, dtype=bool)]
    for relevance, scores in blocks:
        relevant = relevance.sum(axis=1)
        empty.append(relevant == 0 if empty_when == "no relevant" else relevant == relevance.shape[1])
        if positive_scores_only:
            relevance = np.where(scores > 0, relevance, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            values.append(per_query(_ranked(relevance, scores, ties), relevant, _cut(relevance.shape[1], top_k)))
    return _aggregate(np.nan_to_num(np.concatenate(values), nan=0.0), np.concatenate(empty), weights,
                      empty_target_action, aggregation, median)


def retrieval_average_precision(
    y_true: ArrayLike, y_score: ArrayLike, *, top_k: int | None = None, ties: Ties = "optimistic",
    empty_target_action: EmptyTargetAction = "neg", aggregation: Aggregation = "mean",
    median: Median = "middle", positive_scores_only: bool = False, ignore_index: int | None = None,
    sample_weight: ArrayLike | None = None,
) -> float:
    """Mean average precision over queries: each query's mean, over the relevant documents of its top ``k``, of the
    precision at the document's rank ("IR Average precision"); 0 where the top ``k`` holds no relevant document."""
    def average_precision(ranked, relevant, k):
        hits = ranked[:, :k]
        precision_at = np.cumsum(hits, axis=1) / np.arange(1, k + 1)
        return divide((precision_at * hits).sum(axis=1), hits.sum(axis=1))
    return _binary_retrieval(average_precision, y_true, y_score, empty_when="no relevant", top_k=top_k, ties=ties,
                             empty_target_action=empty_target_action, aggregation=aggregation,
                             median=median, positive_scores_only=positive_scores_only, sample_weight=sample_weight,
                             ignore_index=ignore_index)


def retrieval_reciprocal_rank(
    y_true: ArrayLike, y_score: ArrayLike, *, top_k: int | None = None, ties: Ties = "optimistic",
    empty_target_action: EmptyTargetAction = "neg", aggregation: Aggregation = "mean",
    median: Median = "middle", positive_scores_only: bool = False, ignore_index: int | None = None,
    sample_weight: ArrayLike | None = None,
) -> float:
    """Mean reciprocal rank: 1 / the rank of each query's first relevant document in its top ``k`` (0 if none)."""
    def reciprocal_rank(ranked, relevant, k):
        hits = ranked[:, :k] > 0
        return np.where(hits.any(axis=1), 1.0 / (np.argmax(hits, axis=1) + 1.0), 0.0)
    return _binary_retrieval(reciprocal_rank, y_true, y_score, empty_when="no relevant", top_k=top_k, ties=ties,
                             empty_target_action=empty_target_action, aggregation=aggregation,
                             median=median, positive_scores_only=positive_scores_only, sample_weight=sample_weight,
                             ignore_index=ignore_index)


def retrieval_precision(
    y_true: ArrayLike, y_score: ArrayLike, *, top_k: int | None = None, adaptive_k: bool = False,
    ties: Ties = "optimistic", empty_target_action: EmptyTargetAction = "neg", aggregation: Aggregation = "mean",
    median: Median = "middle", positive_scores_only: bool = False, ignore_index: int | None = None,
    sample_weight: ArrayLike | None = None,
) -> float:
    """Precision at ``k``: the relevant documents among the top ``k``, divided by ``k`` ("the fraction of relevant
    documents among all the retrieved documents"), ``k`` staying ``top_k`` past the query's ``L`` documents unless
    ``adaptive_k`` ("adjust k to min(k, number of documents)"); ``top_k=None``: ``k = L``."""
    def precision(ranked, relevant, k):
        num_documents = ranked.shape[1]
        return ranked[:, :k].sum(axis=1) / (num_documents if top_k is None or (adaptive_k and top_k > num_documents)
                                            else top_k)
    return _binary_retrieval(precision, y_true, y_score, empty_when="no relevant", top_k=top_k, ties=ties,
                             empty_target_action=empty_target_action, aggregation=aggregation,
                             median=median, positive_scores_only=positive_scores_only, sample_weight=sample_weight,
                             ignore_index=ignore_index)


def retrieval_recall(
    y_true: ArrayLike, y_score: ArrayLike, *, top_k: int | None = None, ties: Ties = "optimistic",
    empty_target_action: EmptyTargetAction = "neg", aggregation: Aggregation = "mean",
    median: Median = "middle", positive_scores_only: bool = False, ignore_index: int | None = None,
    sample_weight: ArrayLike | None = None,
) -> float:
    """Recall at ``k``: the relevant documents among the top ``k``, divided by all the query's relevant ones."""
    def recall(ranked, relevant, k):
        return ranked[:, :k].sum(axis=1) / relevant
    return _binary_retrieval(recall, y_true, y_score, empty_when="no relevant", top_k=top_k, ties=ties,
                             empty_target_action=empty_target_action, aggregation=aggregation,
                             median=median, positive_scores_only=positive_scores_only, sample_weight=sample_weight,
                             ignore_index=ignore_index)


def retrieval_hit_rate(
    y_true: ArrayLike, y_score: ArrayLike, *, top_k: int | None = None, ties: Ties = "optimistic",
    empty_target_action: EmptyTargetAction = "neg", aggregation: Aggregation = "mean", median: Median = "middle",
    ignore_index: int | None = None, sample_weight: ArrayLike | None = None,
) -> float:
    """Hit rate at ``k``: 1 where the top ``k`` holds a relevant document, else 0."""
    def hit_rate(ranked, relevant, k):
        return (ranked[:, :k].sum(axis=1) > 0).astype(np.float64)
    return _binary_retrieval(hit_rate, y_true, y_score, empty_when="no relevant", top_k=top_k, ties=ties,
                             empty_target_action=empty_target_action, aggregation=aggregation,
                             median=median, positive_scores_only=False, sample_weight=sample_weight,
                             ignore_index=ignore_index)


def retrieval_fall_out(
    y_true: ArrayLike, y_score: ArrayLike, *, top_k: int | None = None, ties: Ties = "optimistic",
    empty_target_action: EmptyTargetAction = "pos", aggregation: Aggregation = "mean", median: Median = "middle",
    ignore_index: int | None = None, sample_weight: ArrayLike | None = None,
) -> float:
    """Fall-out at ``k``: the irrelevant documents among the top ``k``, divided by all the query's irrelevant ones
    ("IR Fall-out"); a query with no irrelevant document is the empty one here."""
    def fall_out(ranked, relevant, k):
        return (1 - ranked[:, :k]).sum(axis=1) / (ranked.shape[1] - relevant)
    return _binary_retrieval(fall_out, y_true, y_score, empty_when="no irrelevant", top_k=top_k, ties=ties,
                             empty_target_action=empty_target_action, aggregation=aggregation,
                             median=median, positive_scores_only=False, sample_weight=sample_weight,
                             ignore_index=ignore_index)


def retrieval_r_precision(
    y_true: ArrayLike, y_score: ArrayLike, *, ties: Ties = "optimistic",
    empty_target_action: EmptyTargetAction = "neg", aggregation: Aggregation = "mean", median: Median = "middle",
    ignore_index: int | None = None, sample_weight: ArrayLike | None = None,
) -> float:
    """R-precision: the relevant documents among the top ``R``, ``R`` the query's number of relevant documents,
    divided by ``R``."""
    def r_precision(ranked, relevant, k):
        within = np.arange(ranked.shape[1])[None, :] < relevant[:, None]
        return (ranked * within).sum(axis=1) / relevant
    return _binary_retrieval(r_precision, y_true, y_score, empty_when="no relevant", top_k=None, ties=ties,
                             empty_target_action=empty_target_action, aggregation=aggregation,
                             median=median, positive_scores_only=False, sample_weight=sample_weight,
                             ignore_index=ignore_index)


def retrieval_auroc(
    y_true: ArrayLike, y_score: ArrayLike, *, top_k: int | None = None, max_fpr: float | None = None,
    ties: Ties = "optimistic", undefined: Literal["nan", "zero"] = "nan",
    empty_target_action: EmptyTargetAction = "neg", aggregation: Aggregation = "mean", median: Median = "middle",
    ignore_index: int | None = None, sample_weight: ArrayLike | None = None,
) -> float:
    """Each query's ROC AUC over its top ``k`` documents ("consider only the top k elements for each query"): the
    share of their (relevant, irrelevant) pairs ranked right, a tie counting one half; with ``max_fpr`` its
    standardized partial area over ``[0, max_fpr]`` (McClish: :func:`~conformance.reference.ranking.roc_auc`). A query
    whose top ``k`` are of one class only (relevant only; with ``top_k``, irrelevant only too) is undefined: NaN, or 0
    with ``undefined="zero"``; one without a relevant document is empty. Where tied scores straddle the cut, the top
    ``k`` is no one set: ``ties="optimistic"`` takes the highest value any order of the tie gives (``pessimistic``:
    the lowest), over the orders with a defined value where there is one."""
    check_option(undefined, "undefined", ("nan", "zero"))
    check_option(ties, "ties", ("optimistic", "pessimistic"))
    _check_top_k(top_k)
    blocks, weights = _queries(y_true, y_score, sample_weight, ignore_index)
    rows = [(r, s) for relevance, scores in blocks for r, s in zip(relevance, scores, strict=True)]
    empty = np.array([not r.any() for r, _ in rows], dtype=bool)
    values = np.array([0.0 if not r.any() else _top_k_auroc(r, s, top_k, max_fpr, ties, undefined) for r, s in rows])
    if np.isnan(values).any():  # an undefined query makes the whole undefined
        return float("nan")
    return _aggregate(values, empty, weights, empty_target_action, aggregation, median)


def _top_k_auroc(relevance: NDArray[np.float64], scores: NDArray[np.float64], top_k: int | None,
                 max_fpr: float | None, ties: Ties, undefined: str) -> float:
    """One query's (partial) ROC AUC over its top ``k``: the documents scored above the ``k``-th score, and of those
    tied with it each split of relevant and irrelevant ones that fills the ``k`` (the highest or lowest value)."""
    k = _cut(len(scores), top_k)
    cut = -np.sort(-scores)[k - 1]
    above, tied = scores > cut, scores == cut
    taken = k - int(above.sum())  # of the tie at the cut
    tied_relevant = int(relevance[tied].sum())
    splits = range(max(0, taken - (int(tied.sum()) - tied_relevant)), min(taken, tied_relevant) + 1)
    values = np.array([roc_auc(np.r_[relevance[above], np.ones(j), np.zeros(taken - j)],
                               np.r_[scores[above], np.full(taken, cut)], max_fpr=max_fpr, undefined=undefined)
                       for j in splits])
    defined = values[~np.isnan(values)]
    if not defined.size:
        return float("nan")
    return float(defined.max() if ties == "optimistic" else defined.min())
