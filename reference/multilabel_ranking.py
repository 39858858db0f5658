"""Reference multilabel ranking metrics: coverage error, label ranking loss, and label ranking
average precision (LRAP).

Each sample has an ``(L,)`` row of 0/1 targets and a row of label scores; the metric scores how
well the row's ranking puts its true labels first, and the result is the weighted mean over
samples (zero total weight gives 0.0). Conventions, as scikit-learn's ``sklearn/metrics/_ranking.py``
states them:

* **Ties**: a label's rank is the number of labels scoring *at least* as high as it (ties share the
  worst rank); for the ranking loss a tied (true, false) pair counts as wrongly ordered unless
  ``tied_pairs="correct"``.
* **Rows with no true label**: coverage 0; ranking loss 0 (as for rows where every label is true);
  LRAP 1 (also for rows where every label is true).

The work is one sort of each row (``np.argsort`` along the label axis) and cumulative sums: O(n L log L)
time and O(n L) memory, no loop over samples (coverage needs no sort: O(n L)).
"""

from __future__ import annotations

from typing import Literal, NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from ._validation import check_option, divide, multilabel_inputs


class RowRanks(NamedTuple):
    """Per (sample, label), in each row's descending score order."""

    targets: NDArray[np.float64]  # the 0/1 target of the label at this position
    at_least_as_high: NDArray[np.float64]  # labels of the row scoring >= this label's score
    true_at_least_as_high: NDArray[np.float64]  # ... of which true labels
    true_per_row: NDArray[np.float64]


def row_ranks(targets: NDArray[np.float64], scores: NDArray[np.float64]) -> RowRanks:
    """Rank each row's labels by descending score; ties share the last position of their group."""
    n, num_labels = scores.shape
    order = np.argsort(-scores, axis=1, kind="stable")
    sorted_scores = np.take_along_axis(scores, order, axis=1)
    sorted_targets = np.take_along_axis(targets, order, axis=1)
    positions = np.broadcast_to(np.arange(num_labels), (n, num_labels))
    ends_group = np.ones((n, num_labels), dtype=bool)
    ends_group[:, :-1] = sorted_scores[:, :-1] != sorted_scores[:, 1:]
    # The last position of each tie group: the next group end at or after this position.
    last_of_group = np.minimum.accumulate(np.where(ends_group, positions, num_labels)[:, ::-1], axis=1)[:, ::-1]
    true_so_far = np.cumsum(sorted_targets, axis=1)
    return RowRanks(sorted_targets, last_of_group + 1.0, np.take_along_axis(true_so_far, last_of_group, axis=1),
                    true_so_far[:, -1] if num_labels else np.zeros(n))


def _weighted_mean(values: NDArray[np.float64], weights: NDArray[np.float64]) -> float:
    return float(divide(np.dot(weights, values), weights.sum()))


def coverage_error(y_true: ArrayLike, y_score: ArrayLike, *, sample_weight: ArrayLike | None = None) -> float:
    """How far down each row's ranking one must go to cover every true label, averaged over samples.

    A row's coverage is the rank (ties: the worst) of its lowest-scoring true label; 0 for a row
    with no true label. The best value is the mean number of true labels per row.
    """
    targets, scores, weights = multilabel_inputs(y_true, y_score, sample_weight)
    # No sort needed: count the labels scoring at least the row's lowest true score (O(n L)).
    lowest_true = np.min(np.where(targets == 1, scores, np.inf), axis=1, initial=np.inf)
    coverage = np.sum(scores >= lowest_true[:, None], axis=1).astype(np.float64)
    return _weighted_mean(coverage, weights)


def label_ranking_loss(
    y_true: ArrayLike, y_score: ArrayLike, *, tied_pairs: Literal["incorrect", "correct"] = "incorrect",
    sample_weight: ArrayLike | None = None,
) -> float:
    """Fraction of each row's (true, false) label pairs ranked the wrong way, averaged over samples.

    A pair is wrong when the false label scores higher than the true one, or (``tied_pairs=
    "incorrect"``, scikit-learn's rule) as high. Rows with no true or no false label lose 0.
    """
    check_option(tied_pairs, "tied_pairs", ("incorrect", "correct"))
    targets, scores, weights = multilabel_inputs(y_true, y_score, sample_weight)
    ranks = row_ranks(targets, scores)
    if tied_pairs == "incorrect":
        false_above = ranks.at_least_as_high - ranks.true_at_least_as_high  # false labels scoring >= it
    else:
        false_above = _false_strictly_above(ranks)
    wrong_pairs = np.sum(false_above * ranks.targets, axis=1)
    true_count = ranks.true_per_row
    pairs = true_count * (targets.shape[1] - true_count)
    return _weighted_mean(divide(wrong_pairs, pairs), weights)


def _false_strictly_above(ranks: RowRanks) -> NDArray[np.float64]:
    """False labels scoring strictly higher: those at least as high, less the false ones in its tie group."""
    at_least, true_at_least = ranks.at_least_as_high, ranks.true_at_least_as_high
    false_at_least = at_least - true_at_least
    # A tie group starts where the count "at least as high" changes; what lies strictly above it
    # is what lay at least as high at the end of the previous group, carried along the group.
    false_previous = np.zeros_like(at_least)
    false_previous[:, 1:] = np.where(at_least[:, 1:] != at_least[:, :-1], false_at_least[:, :-1], np.nan)
    return _forward_fill(false_previous)


def _forward_fill(values: NDArray[np.float64]) -> NDArray[np.float64]:
    """Replace NaN by the last non-NaN value to its left in the row (column 0 is never NaN)."""
    index = np.where(np.isnan(values), 0, np.arange(values.shape[1]))
    index = np.maximum.accumulate(index, axis=1)
    return np.take_along_axis(values, index, axis=1)


def label_ranking_average_precision(
    y_true: ArrayLike, y_score: ArrayLike, *, sample_weight: ArrayLike | None = None
) -> float:
    """Label ranking average precision (LRAP), averaged over samples.

    For each true label: the fraction of the labels ranked at or above it (ties: scoring at least
    as high) that are true; a row's value is the mean over its true labels. Rows with no true or
    no false label score 1.
    """
    targets, scores, weights = multilabel_inputs(y_true, y_score, sample_weight)
    ranks = row_ranks(targets, scores)
    precision_at_true = divide(ranks.true_at_least_as_high, ranks.at_least_as_high) * ranks.targets
    per_row = divide(precision_at_true.sum(axis=1), ranks.true_per_row)
    trivial = (ranks.true_per_row == 0) | (ranks.true_per_row == targets.shape[1])
    return _weighted_mean(np.where(trivial, 1.0, per_row), weights)
