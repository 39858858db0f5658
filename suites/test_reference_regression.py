"""The regression references: hand-computed values, stated conventions, validation messages, scikit-learn."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from conformance import reference as ref
from conformance import strategies as cs

# -- hand-computed values ---------------------------------------------------------------------


def test_multi_output_errors_average_the_outputs() -> None:
    y_true, y_pred = [[0.0, 0.0], [0.0, 0.0]], [[1.0, 3.0], [1.0, 5.0]]
    # output 0: squared errors 1, 1 -> 1; output 1: 9, 25 -> 17
    assert ref.mean_squared_error(y_true, y_pred) == pytest.approx(9.0)
    assert ref.mean_squared_error(y_true, y_pred, multioutput="raw_values").tolist() == [1.0, 17.0]
    assert ref.mean_absolute_error(y_true, y_pred, sample_weight=[3, 1]) == pytest.approx((1 + (9 + 5) / 4) / 2)
    # roots per output (1 and sqrt 17) averaged, or the root of the pooled mean (sqrt 9)
    assert ref.root_mean_squared_error(y_true, y_pred) == pytest.approx((1 + np.sqrt(17)) / 2)
    assert ref.root_mean_squared_error(y_true, y_pred, multioutput="pooled") == pytest.approx(3.0)


def test_percentage_error_conventions() -> None:
    assert ref.mean_absolute_percentage_error([2.0, 4.0], [1.0, 5.0]) == pytest.approx(100 * (0.5 + 0.25) / 2)
    assert ref.mean_absolute_percentage_error([2.0], [1.0], percent=False) == 0.5
    assert ref.mean_absolute_percentage_error([0.0], [0.0]) == 0.0  # a perfect prediction of 0 has no error
    assert ref.mean_absolute_percentage_error([0.0], [1e-7]) == np.inf
    assert ref.mean_absolute_percentage_error([0.0], [1e-7], epsilon=1e-7) == pytest.approx(100.0)


def test_squared_log_error_and_its_floor() -> None:
    assert ref.mean_squared_log_error([0.0, np.e - 1], [np.e - 1, np.e - 1]) == pytest.approx(0.5)
    # Keras raises values to 1e-7 first: log(1 + 1e-7) against log(1 + 0.5)
    expected = (np.log1p(0.5) - np.log1p(1e-7)) ** 2
    assert ref.mean_squared_log_error([0.0], [0.5], epsilon=1e-7) == pytest.approx(expected)


def test_log_cosh_is_accurate_for_small_and_large_errors() -> None:
    assert ref.log_cosh_error([0.0], [1e-8]) == pytest.approx(0.5e-16, rel=1e-12)  # log cosh x ~ x^2 / 2
    assert ref.log_cosh_error([0.0], [1000.0]) == pytest.approx(1000 - np.log(2), rel=1e-15)  # no overflow
    assert ref.log_cosh_error([0.0, 0.0], [0.5, -0.5]) == pytest.approx(np.log(np.cosh(0.5)), rel=1e-15)


def test_r2_by_hand_with_constant_outputs_and_adjustment() -> None:
    # y 1, 2, 3, 4 (SS_tot 5); predictions 1, 3, 2, 5 (SS_res 3) -> 1 - 3/5
    assert ref.r2_score([1, 2, 3, 4], [1, 3, 2, 5]) == pytest.approx(0.4)
    assert ref.r2_score([2, 2], [2, 2]) == 1.0 and ref.r2_score([2, 2], [2, 3]) == 0.0
    # adjusted with p = 1 regressor, n = 4 samples: 1 - 0.6 * 3 / 2
    assert ref.r2_score([1, 2, 3, 4], [1, 3, 2, 5], num_regressors=1) == pytest.approx(0.1)
    assert ref.r2_score([1, 2, 3, 4], [1, 3, 2, 5], num_regressors=3) == pytest.approx(0.4)  # n - p - 1 = 0
    # two outputs, n = 2 rows: counting values instead (n = 4) changes the adjustment
    y_true, y_pred = [[1, 0], [3, 4]], [[1.5, 1], [2.5, 3]]
    r2 = ref.r2_score(y_true, y_pred)  # outputs: 1 - 0.5/2 = 0.75 and 1 - 2/8 = 0.75
    assert r2 == pytest.approx(0.75)
    assert ref.r2_score(y_true, y_pred, num_regressors=1, samples="values") == pytest.approx(1 - 0.25 * 3 / 2)


def test_r2_variance_weighted_weighs_outputs_by_target_variance() -> None:
    y_true, y_pred = [[0, 0], [2, 4]], [[0, 1], [2, 3]]  # SS_tot 2 and 8; R2 1 and 1 - 2/8
    assert ref.r2_score(y_true, y_pred, multioutput="variance_weighted") == pytest.approx((2 * 1 + 8 * 0.75) / 10)
    assert ref.r2_score(y_true, y_pred, multioutput="raw_values").tolist() == [1.0, 0.75]


def test_explained_variance_ignores_a_constant_bias() -> None:
    assert ref.explained_variance_score([1, 2, 3], [2, 3, 4]) == 1.0
    assert ref.r2_score([1, 2, 3], [2, 3, 4]) == pytest.approx(1 - 3 / 2)
    assert ref.explained_variance_score([5, 5], [1, 2]) == 0.0  # constant targets, residuals vary


def test_tweedie_deviance_by_hand() -> None:
    assert ref.mean_tweedie_deviance([1.0, 3.0], [2.0, 3.0], power=0) == 0.5
    # Poisson: 2 (y log(y / mu) - y + mu), with 0 log 0 = 0
    assert ref.mean_tweedie_deviance([0.0], [2.0], power=1) == pytest.approx(4.0)
    assert ref.mean_tweedie_deviance([2.0], [1.0], power=1) == pytest.approx(2 * (2 * np.log(2) - 1))
    assert ref.mean_tweedie_deviance([2.0], [1.0], power=2) == pytest.approx(2 * (np.log(0.5) + 1))
    assert ref.mean_tweedie_deviance([1.0], [1.0], power=1.5) == pytest.approx(0.0, abs=1e-15)


def test_cosine_similarity_zero_rows_and_norm_floor() -> None:
    assert ref.cosine_similarity([[1, 0], [1, 1]], [[0, 2], [-2, -2]]) == pytest.approx(-0.5)
    assert ref.cosine_similarity([[0, 0]], [[1, 2]]) == 0.0  # no direction
    # below the floor a row is scaled by 1 / sqrt(floor) instead of normalized: 1e-7 * 1e6 = 0.1
    assert ref.cosine_similarity([[1e-7, 0]], [[1, 0]], norm_floor=1e-12) == pytest.approx(0.1)


def test_mean_and_sum_of_values() -> None:
    assert ref.weighted_mean([1.0, 2.0, 3.0], sample_weight=[1, 0, 2]) == pytest.approx(7 / 3)
    assert ref.weighted_mean([[1.0, 3.0], [5.0, 7.0]]) == 4.0
    assert ref.weighted_sum([1.0, 2.0], sample_weight=[2, 0.5]) == 3.0
    assert ref.weighted_mean([1.0], sample_weight=[0.0]) == 0.0


@pytest.mark.parametrize(("call", "message"), [
    (lambda: ref.mean_squared_error([[1.0, 2.0]], [[1.0]]), "same number of outputs"),
    (lambda: ref.mean_squared_error([1.0], [1.0], multioutput="variance_weighted"), "multioutput must be one of"),
    (lambda: ref.mean_squared_log_error([-1.0], [0.0]), "greater than -1"),
    (lambda: ref.mean_tweedie_deviance([1.0], [0.0], power=1), "strictly positive"),
    (lambda: ref.mean_tweedie_deviance([-1.0], [1.0], power=1.5), "non-negative"),
    (lambda: ref.mean_tweedie_deviance([1.0], [1.0], power=0.5), r"no Tweedie distribution in \(0, 1\)"),
    (lambda: ref.r2_score([1.0, 2.0], [1.0, 2.0], num_regressors=-1), "non-negative integer"),
    (lambda: ref.root_mean_squared_error([1.0], [1.0], multioutput="median"), "multioutput must be one of"),
])
def test_validation_messages_say_what_was_expected(call, message) -> None:
    with pytest.raises(ValueError, match=message):
        call()


# -- against scikit-learn ---------------------------------------------------------------------

sklearn_metrics = pytest.importorskip("sklearn.metrics")
QUICK = settings(max_examples=60, deadline=None, derandomize=True)


def _f64(*arrays):
    return [np.asarray(a, np.float64) for a in arrays]


@QUICK
@given(st.integers(2, 30).flatmap(cs.multi_output_regression_inputs), st.data())  # sklearn: R² needs 2
def test_multi_output_matches_sklearn(batch, data) -> None:
    weights = data.draw(cs.positive_integer_weights(len(batch), allow_zero=False))
    y, p = _f64(batch.y_true, batch.y_pred)
    for multioutput in ("uniform_average", "raw_values"):
        for ours, theirs in [(ref.mean_squared_error, sklearn_metrics.mean_squared_error),
                             (ref.root_mean_squared_error, sklearn_metrics.root_mean_squared_error),
                             (ref.mean_absolute_error, sklearn_metrics.mean_absolute_error)]:
            np.testing.assert_allclose(ours(y, p, sample_weight=weights, multioutput=multioutput),
                                       theirs(y, p, sample_weight=weights, multioutput=multioutput), rtol=1e-12)
    for multioutput in ("uniform_average", "raw_values", "variance_weighted"):
        for ours, theirs in [(ref.r2_score, sklearn_metrics.r2_score),
                             (ref.explained_variance_score, sklearn_metrics.explained_variance_score)]:
            np.testing.assert_allclose(ours(y, p, sample_weight=weights, multioutput=multioutput),
                                       theirs(y, p, sample_weight=weights, multioutput=multioutput),
                                       rtol=1e-9, atol=1e-9)


@QUICK
@given(st.integers(1, 30).flatmap(cs.regression_inputs), st.data())
def test_single_output_scores_match_sklearn(batch, data) -> None:
    weights = data.draw(cs.positive_integer_weights(len(batch), allow_zero=False))
    y, p = _f64(batch.y_true, batch.y_pred)
    assert ref.mean_absolute_percentage_error(y, p, sample_weight=weights, percent=False,
                                              epsilon=np.finfo(np.float64).eps) == pytest.approx(
        sklearn_metrics.mean_absolute_percentage_error(y, p, sample_weight=weights), rel=1e-12)
    assert ref.mean_tweedie_deviance(y, p, sample_weight=weights, power=0) == pytest.approx(
        sklearn_metrics.mean_tweedie_deviance(y, p, sample_weight=weights, power=0), rel=1e-12)


@QUICK
@given(st.integers(1, 30).flatmap(lambda n: cs.non_negative_inputs(n, zero_predictions=False)),
       st.sampled_from([1.0, 1.5, 3.0]), st.data())
def test_tweedie_and_log_error_match_sklearn(batch, power, data) -> None:
    weights = data.draw(cs.positive_integer_weights(len(batch), allow_zero=False))
    y, p = _f64(batch.y_true, batch.y_pred)
    assert ref.mean_squared_log_error(y, p, sample_weight=weights) == pytest.approx(
        sklearn_metrics.mean_squared_log_error(y, p, sample_weight=weights), rel=1e-12)
    if power > 2:
        y = np.where(y == 0, 1.0, y)
    expected = sklearn_metrics.mean_tweedie_deviance(y, p, sample_weight=weights, power=power)
    # the deviance cancels terms of size ~max(y, p)^(2 - power): compare relative to them
    scale = float(np.max(np.maximum(y, p) ** (2 - power)))
    assert ref.mean_tweedie_deviance(y, p, sample_weight=weights, power=power) == pytest.approx(
        expected, rel=1e-9, abs=1e-12 * scale)
