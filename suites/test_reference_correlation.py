"""The correlation references: by hand, their conventions, and against an independent computation."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import reference as ref
from conformance import strategies as cs

X, Y = [1.0, 2.0, 3.0, 4.0], [1.0, 3.0, 2.0, 5.0]


def test_pearson_by_hand_and_undefined_cases() -> None:
    # deviations -1.5 -.5 .5 1.5 and -1.75 .25 -.75 2.25: cov 5.5/4, var 5/4 and 8.75/4
    assert ref.pearson_corrcoef(X, Y) == pytest.approx(5.5 / np.sqrt(5 * 8.75))
    assert np.isnan(ref.pearson_corrcoef([1.0, 1.0], [1.0, 2.0]))
    assert np.isnan(ref.pearson_corrcoef([1.0, 2.0], [1.0, 2.0], sample_weight=[0, 0]))


def test_integer_weights_count_as_copies() -> None:
    weighted = ref.pearson_corrcoef(X, Y, sample_weight=[1, 2, 0, 3])
    repeated = ref.pearson_corrcoef([1, 2, 2, 4, 4, 4], [1, 3, 3, 5, 5, 5])
    assert weighted == pytest.approx(repeated)
    assert ref.concordance_corrcoef(X, Y, sample_weight=[1, 2, 0, 3]) == pytest.approx(
        ref.concordance_corrcoef([1, 2, 2, 4, 4, 4], [1, 3, 3, 5, 5, 5]))


def test_concordance_by_hand_population_and_sample_moments() -> None:
    # means 2.5 and 2.75; population var 1.25, 2.1875; cov 1.375: 2.75 / 3.5
    assert ref.concordance_corrcoef(X, Y) == pytest.approx(2.75 / 3.5)
    # n - 1 moments (x 4/3) with the same squared mean difference 0.0625
    assert ref.concordance_corrcoef(X, Y, ddof=1) == pytest.approx(2.75 * 4 / 3 / (3.4375 * 4 / 3 + 0.0625))
    assert ref.concordance_corrcoef([2.0, 2.0], [3.0, 3.0]) == 0.0  # constant: no covariance
    assert np.isnan(ref.concordance_corrcoef([2.0, 2.0], [2.0, 2.0]))  # 0 / 0
    assert ref.concordance_corrcoef([2.0, 2.0], [2.0, 2.0], epsilon=1e-7) == 0.0


def test_spearman_uses_average_ranks_for_ties() -> None:
    # ranks 1.5 1.5 3 4 and 1 2.5 2.5 4: cov 3.75/4, variances 4.5/4
    assert ref.spearman_corrcoef([1, 1, 2, 3], [1, 2, 2, 3]) == pytest.approx(3.75 / 4.5)
    assert ref.spearman_corrcoef([1, 2, 3], [10, 20, 1000]) == pytest.approx(1.0)
    assert np.isnan(ref.spearman_corrcoef([1.0, 1.0], [1.0, 2.0]))
    assert ref.spearman_corrcoef([1.0, 1.0], [1.0, 2.0], epsilon=1e-6) == 0.0


def test_row_variants_average_per_sample_coefficients() -> None:
    y_true, y_pred = [[0, 1, 0.5], [1, 1, 0.2]], [[0.1, 0.9, 0.5], [1, 0.9, 0.2]]  # Keras' docstring example
    assert ref.pearson_corrcoef_rows(y_true, y_pred) == pytest.approx(0.9966996338993913, rel=1e-6)
    assert ref.concordance_corrcoef_rows(y_true, y_pred, epsilon=1e-7) == pytest.approx(0.9816320385426076, rel=1e-6)
    assert np.isnan(ref.pearson_corrcoef_rows([[1, 1], [1, 2]], [[1, 2], [1, 2]]))
    assert ref.pearson_corrcoef_rows([[1, 1], [1, 2]], [[1, 2], [1, 2]], sample_weight=[0, 1]) == 1.0


@pytest.mark.parametrize(("call", "message"), [
    (lambda: ref.pearson_corrcoef([1.0, 2.0], [1.0]), "same number of samples"),
    (lambda: ref.spearman_corrcoef([1.0, 2.0], [1.0, 2.0], sample_weight=[1, 1]), "takes no sample weights"),
    (lambda: ref.pearson_corrcoef_rows([[1.0, 2.0]], [[1.0, 2.0, 3.0]]), "same shape"),
    (lambda: ref.concordance_corrcoef([1.0, float("inf")], [1.0, 2.0]), "finite"),
])
def test_validation_messages_say_what_was_expected(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


QUICK = settings(max_examples=60, deadline=None, derandomize=True)


@QUICK
@given(st.integers(2, 40).flatmap(cs.regression_inputs))
def test_against_numpy_corrcoef(batch) -> None:
    x, y = batch.y_true.astype(np.float64), batch.y_pred.astype(np.float64)
    if np.ptp(x) == 0 or np.ptp(y) == 0:
        assert np.isnan(ref.pearson_corrcoef(x, y)) and np.isnan(ref.spearman_corrcoef(x, y))
        return
    with np.errstate(all="ignore"):
        expected = np.corrcoef(x, y)[0, 1]
    if np.isfinite(expected):
        assert ref.pearson_corrcoef(x, y) == pytest.approx(expected, rel=1e-9, abs=1e-9)
    ranks = [np.array([np.mean(np.flatnonzero(np.sort(v) == value)) + 1 for value in v]) for v in (x, y)]
    assert ref.spearman_corrcoef(x, y) == pytest.approx(np.corrcoef(*ranks)[0, 1], rel=1e-9, abs=1e-12)
