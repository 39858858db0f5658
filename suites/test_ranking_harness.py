"""Harness pieces the ranking family added: query indexes for torchmetrics' retrieval metrics, tuple
results, other targets for (n, L) matrices, and the domains that draw ranking inputs."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import strategies as cs
from conformance.data import Batch, with_other_targets


def test_query_documents_number_rows_from_the_first_query() -> None:
    from conformance.adapters.torchmetrics import query_documents

    target, preds, indexes = query_documents(np.array([[1, 0], [2, 3]]), np.array([[0.1, 0.2], [0.3, 0.4]]), 5)
    assert target.tolist() == [1, 0, 2, 3] and preds.tolist() == [0.1, 0.2, 0.3, 0.4]
    assert indexes.tolist() == [5, 5, 6, 6]


def test_tuple_results_are_stacked() -> None:
    torch = __import__("pytest").importorskip("torch")
    from conformance.adapters.torchmetrics import as_array

    stacked = as_array((torch.tensor([1.0, 0.5]), torch.tensor([0.2, float("nan")])))
    assert stacked.shape == (2, 2) and stacked[0].tolist() == [1.0, 0.5]


def test_other_targets_of_a_label_matrix_flip_zero_and_nonzero() -> None:
    batch = Batch(np.array([[0, 1, 3]]), np.zeros((1, 3), np.float32), num_classes=3)
    assert with_other_targets(batch).y_true.tolist() == [[1, 0, 0]]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(1, 12).flatmap(cs.probability_rows))
def test_probability_rows_sum_to_one(batch) -> None:
    assert batch.y_pred.shape[1] >= 3
    np.testing.assert_allclose(batch.y_pred.sum(axis=1, dtype=np.float64), 1.0, rtol=1e-6)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(st.integers(1, 12).flatmap(cs.relevance_inputs))
def test_relevance_inputs_are_graded_and_non_negative(batch) -> None:
    assert batch.y_true.shape == batch.y_pred.shape and batch.y_true.min() >= 0 and batch.y_true.max() <= 3
