"""The regression errors of reference/errors.py against values computed by hand from their documented formulas:
SMAPE, WMAPE, RSE, the largest and the median absolute error, RMSLE, the Brier score and Kendall's tau."""

from __future__ import annotations

import numpy as np
import pytest

from conformance import reference as ref


def test_symmetric_and_weighted_percentage_errors() -> None:
    # SMAPE terms: 2 * 2 / (1 + 3) = 1; 0 / max(0, eps) = 0; 0.
    assert ref.symmetric_mean_absolute_percentage_error([1, 0, 2], [3, 0, 2]) == pytest.approx(1 / 3)
    assert ref.symmetric_mean_absolute_percentage_error([1, 0, 2], [3, 0, 2], sample_weight=[2, 1, 1]) == 0.5
    # WMAPE: (1 + 0 + 3) / (1 + 2 + 3).
    assert ref.weighted_mean_absolute_percentage_error([1, -2, 3], [2, -2, 0]) == pytest.approx(2 / 3)
    assert np.isnan(ref.weighted_mean_absolute_percentage_error([0, 0], [1, 0]))  # no target to relate to
    assert ref.weighted_mean_absolute_percentage_error([0, 0], [1, 0], epsilon=0.5) == 2.0


def test_relative_squared_error() -> None:
    # SSE 0.25 + 0 + 1, SST 2 (mean 2).
    assert ref.relative_squared_error([1, 2, 3], [1.5, 2, 2]) == pytest.approx(0.625)
    assert ref.relative_squared_error([1, 2, 3], [1.5, 2, 2], squared=False) == pytest.approx(np.sqrt(0.625))
    # Weighted mean 9/4: SST 1.5625 + 0.0625 + 2 * 0.5625 = 2.75, SSE 0.25 + 2 * 1 = 2.25.
    assert ref.relative_squared_error([1, 2, 3], [1.5, 2, 2], sample_weight=[1, 1, 2]) == pytest.approx(9 / 11)
    # Scale-free: the same data times 1e-4.
    assert ref.relative_squared_error([0, 1e-4], [0, 0]) == pytest.approx(ref.relative_squared_error([0, 1], [0, 0]))
    assert np.isnan(ref.relative_squared_error([3, 3], [1, 2]))  # constant targets


def test_largest_and_median_absolute_error() -> None:
    assert ref.max_error([1, 2, 3], [1.5, 2, 0]) == 3.0
    assert ref.max_error([1, 2, 3], [1.5, 2, 0], sample_weight=[1, 1, 0]) == 0.5
    assert ref.median_absolute_error([1, 2, 3], [1.5, 2, 0]) == 0.5  # errors 0.5, 0, 3
    assert ref.median_absolute_error([1, 2, 3, 4], [1.5, 2, 0, 3]) == 0.75  # 0, 0.5 | 1, 3: the two middle ones
    # Weighted: sorted errors 0 (weight 3), 0.5 (weight 1): half the weight (2) is reached inside the first.
    assert ref.median_absolute_error([1, 2, 3, 4], [1.5, 2, 0, 3], sample_weight=[1, 3, 0, 0]) == 0.0
    # ... reached exactly at its end: the mean of it and the next (0 and 0.5).
    assert ref.median_absolute_error([1, 2], [1.5, 2], sample_weight=[1, 1]) == 0.25


def test_root_mean_squared_log_error_and_brier_score() -> None:
    assert ref.root_mean_squared_log_error([0, np.e - 1], [0, 0]) == pytest.approx(np.sqrt(0.5))  # logs 0 and 1
    assert ref.brier_score([0, 1, 1], [0.2, 0.6, 0.9]) == pytest.approx((0.04 + 0.16 + 0.01) / 3)
    assert ref.brier_score([0, 1, 1], [0.2, 0.6, 0.9], scale_by_half=False) == pytest.approx(0.14)
    with pytest.raises(ValueError, match="greater than -1"):
        ref.root_mean_squared_log_error([-1.0], [0.0])


def test_kendall_tau_by_hand() -> None:
    # Pairs of [1, 2, 3, 4] and [1, 3, 2, 4]: 5 concordant, 1 discordant (2-3), no ties; m = 4.
    x, y = [1, 2, 3, 4], [1, 3, 2, 4]
    for variant in ("a", "b", "c"):
        assert ref.kendall_rank_corrcoef(x, y, variant=variant) == pytest.approx(4 / 6)
    # Ties: [1, 1, 2] against [1, 2, 3]: the first pair is tied in x; 2 concordant of 3 pairs.
    x, y = [1, 1, 2], [1, 2, 3]
    assert ref.kendall_rank_corrcoef(x, y, variant="a") == pytest.approx(2 / 3)
    assert ref.kendall_rank_corrcoef(x, y, variant="a", tau_a_pairs="untied") == 1.0
    assert ref.kendall_rank_corrcoef(x, y) == pytest.approx(2 / np.sqrt(2 * 3))
    assert ref.kendall_rank_corrcoef(x, y, variant="c") == pytest.approx(8 / 9)  # m = 2: 2 * 2 / (9 / 2)
    assert np.isnan(ref.kendall_rank_corrcoef([1, 1, 1], [1, 2, 3]))  # a constant variable


def test_minkowski_distance_and_normalised_rmse() -> None:
    assert ref.minkowski_distance([0, 0], [3, 4]) == pytest.approx(5.0)  # p = 2: the Euclidean norm
    assert ref.minkowski_distance([0, 0], [3, 4], p=1) == 7.0
    assert ref.minkowski_distance([0, 0], [3, 4], p=3) == pytest.approx(91 ** (1 / 3))
    y, p = [1.0, 2.0, 4.0], [1.0, 2.0, 1.0]  # RMSE sqrt(9/3) = sqrt(3)
    assert ref.normalized_root_mean_squared_error(y, p) == pytest.approx(np.sqrt(3) / (7 / 3))
    assert ref.normalized_root_mean_squared_error(y, p, normalization="range") == pytest.approx(np.sqrt(3) / 3)
    std = np.sqrt(((1 - 7 / 3) ** 2 + (2 - 7 / 3) ** 2 + (4 - 7 / 3) ** 2) / 3)  # population std
    assert ref.normalized_root_mean_squared_error(y, p, normalization="std") == pytest.approx(np.sqrt(3) / std)
    assert ref.normalized_root_mean_squared_error(y, p, normalization="l2") == pytest.approx(np.sqrt(3) / np.sqrt(21))
    assert np.isnan(ref.normalized_root_mean_squared_error([2, 2], [1, 2], normalization="range"))


def test_pinball_loss_and_critical_success_index() -> None:
    # Errors y - ŷ: 2 (under-predicted: alpha * 2) and -1 (over: (1 - alpha) * 1).
    assert ref.mean_pinball_loss([3, 0], [1, 1], alpha=0.1) == pytest.approx((0.1 * 2 + 0.9 * 1) / 2)
    assert ref.mean_pinball_loss([3, 0], [1, 1]) == pytest.approx(0.75)  # half the absolute error
    # Events at >= 1: observed [1, 1, 0, 0], forecast [1, 0, 1, 0]: 1 hit, 1 miss, 1 false alarm.
    assert ref.critical_success_index([2, 1, 0, 0], [1, 0, 3, 0.5], threshold=1.0) == pytest.approx(1 / 3)
    assert np.isnan(ref.critical_success_index([0, 0], [0, 0], threshold=1.0))
    assert ref.critical_success_index([0, 0], [0, 0], threshold=1.0, no_events=0.0) == 0.0


def test_jensen_shannon_divergence() -> None:
    # Disjoint supports: each KL against the midpoint is log 2, so JSD = log 2; equal rows give 0.
    assert ref.jensen_shannon_divergence([[1, 0]], [[0, 1]]) == pytest.approx(np.log(2))
    np.testing.assert_allclose(ref.jensen_shannon_divergence([[1, 0], [0.5, 0.5]], [[0, 1], [1, 1]],
                                                             reduction="none"), [np.log(2), 0.0], atol=1e-15)
    assert ref.jensen_shannon_divergence([[1, 0], [0.5, 0.5]], [[0, 1], [1, 1]], reduction="sum") == pytest.approx(
        np.log(2))
    assert np.isnan(ref.jensen_shannon_divergence([[0, 0]], [[0, 1]]))  # a row of zeros cannot be normalised
