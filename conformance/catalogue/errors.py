"""Regression errors beyond the means of per-sample errors of ``regression``: torchmetrics' symmetric and weighted
percentage errors, relative squared error and Kendall's rank correlation; scikit-learn's largest and median
absolute errors, root mean squared logarithmic error and Brier score (references: ``reference/errors.py``)."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue import float32
from conformance.catalogue.model import (
    EVERY_PROPERTY,
    Binding,
    KnownDifference,
    MetricSpec,
    Parameter,
    Witness,
    batch,
    empty,
)
from conformance.catalogue.multilabel_ranking import some_batch_empty
from conformance.data import Batch
from conformance.domains import BINARY_PROBABILITIES, DISTRIBUTIONS, LOG1P, REGRESSION

TR = "torchmetrics.regression"


def _zero_probability(batches: list[Batch]) -> bool:
    """Some entry of either distribution is 0: its logarithm is -inf."""
    return any(len(b) and ((b.y_true == 0).any() or (b.y_pred == 0).any()) for b in batches)


TORCHMETRICS_JSD_LOG_OF_ZERO = KnownDifference(
    "torchmetrics", what="Given log-probabilities (log_prob=True), torchmetrics' JensenShannonDivergence returns NaN "
    "where either distribution has a zero probability (log = -inf): its KL terms compute exp(-inf) * (-inf - log m) "
    "= 0 * -inf, where the term is 0 (0 log 0 = 0), as the log_prob=False path computes it.",
    cause="_jsd_update(log_prob=True) calls kl_divergence(p, mean, log_prob=True), i.e. torch.sum(p.exp() * (p - "
          "mean)), with no guard for p = -inf (the probability path uses _safe_xlogy).",
    where="torchmetrics/functional/regression/js_divergence.py::_jsd_update; "
          "torchmetrics/functional/regression/kl_divergence.py::_kld_update",
    raises="returned NaN", trigger=_zero_probability, kind="defect", properties=EVERY_PROPERTY,
    when={"log_prob": (True,)},
    witness=Witness(inside=(batch([[0.0, 1.0]], [[0.5, 0.5]]),), outside=(batch([[0.25, 0.75]], [[0.5, 0.5]]),),
                    parameters={"log_prob": True}, metric="JensenShannonDivergence"))
THREE = batch([1.0, 2.0, 4.0], [0.5, 2.0, 3.0])
NO_KERAS = "Keras has no {} (keras.metrics' regression metrics are means of per-sample errors, R² and correlations)"


def _only(library: str, name: str, values: tuple) -> Parameter:
    others = {lib: "no such metric" for lib in ("keras", "sklearn", "torchmetrics") if lib != library}
    return Parameter(name, values, spellings={library: name}, absent=others)


TORCHMETRICS_WMAPE_EPSILON = KnownDifference(
    "torchmetrics", what="Where the targets' absolute sum is 0 (all targets 0), torchmetrics' WMAPE divides by 1.17e-6 "
    "instead: the absolute error sum times 854,700 (0 if every prediction is 0 too); the documented formula "
    "Σ|y - ŷ| / Σ|y| is undefined there, NaN in the reference.",
    cause="_weighted_mean_absolute_percentage_error_compute returns sum_abs_error / torch.clamp(sum_scale, "
          "min=epsilon) with epsilon = 1.17e-06.",
    where="torchmetrics/functional/regression/wmape.py::_weighted_mean_absolute_percentage_error_compute",
    overrides={"epsilon": 1.17e-6},
)

FLOAT32_EPSILON = float(np.finfo(np.float32).eps)  # 1.19e-7: torch.finfo(float32).eps
TORCHMETRICS_RSE_FLOAT32 = KnownDifference(
    "torchmetrics", what="torchmetrics takes SS_tot = Σy² - (Σy)²/n from float32 sums of the targets and of their "
    "squares, and raises it to at least float32's epsilon (1.19e-7). So RSE is not scale-free: targets [0, 1e-4] "
    "predicted [0, 0] give 0.084 (1e-8 / 1.19e-7) where RSE is 2.0, as for [0, 1] and [0, 0]; and where the targets' "
    "spread is small beside their magnitude (constant targets: one sample, or [3.0, 3.0]) SS_tot is rounding noise "
    "or that floor, and RSE e.g. 4.5e8 where it is undefined. Explained only within the float32 bounds of those "
    "sums with that floor.",
    cause="_relative_squared_error_compute divides sum_squared_error by torch.clamp(sum_squared_obs - sum_obs * "
          "sum_obs / num_obs, min=torch.finfo(dtype).eps), all float32; the documented formula has no floor.",
    where="torchmetrics/functional/regression/rse.py::_relative_squared_error_compute",
    reference=float32.relative_squared_error, bounds=tuple({**side, "floor": FLOAT32_EPSILON}
                                                           for side in float32.SIDES),
    kind="defect", properties=EVERY_PROPERTY,
    witness=Witness(inside=(batch([0.0, 1e-4], [0.0, 0.0]),), outside=(batch([0.0, 1.0], [0.0, 0.0]),),
                    metric="RelativeSquaredError"),
)

TORCHMETRICS_TAU_A = KnownDifference(
    "torchmetrics", what="torchmetrics' tau-a divides C - D by C + D, the pairs tied in neither variable (as its "
    "documentation's formula says), where Kendall's tau-a divides by every pair, n(n - 1)/2: the two differ where "
    "there are ties.",
    cause="_calculate_tau returns con_min_dis_pairs / (concordant_pairs + discordant_pairs) for variant 'a'; the "
          "docs: 'tau_a = (C - D) / (C + D)'.",
    where="torchmetrics/functional/regression/kendall.py::_calculate_tau; "
          "https://lightning.ai/docs/torchmetrics/stable/regression/kendall_rank_corr_coef.html",
    overrides={"tau_a_pairs": "untied"},
)

TORCHMETRICS_NRMSE_BY_ZERO = KnownDifference(
    "torchmetrics", what="Where the normalisation is 0 (constant targets for 'range' and 'std', targets of mean 0 "
    "for 'mean', all-zero targets for 'l2'), torchmetrics' NRMSE divides by it: inf (NaN if the RMSE is 0 too); "
    "the ratio is undefined there, NaN in the reference.",
    cause="_normalized_root_mean_squared_error_compute returns rmse / denom, a plain division.",
    where="torchmetrics/functional/regression/nrmse.py::_normalized_root_mean_squared_error_compute",
    undefined_as=(np.inf, -np.inf),
)

TORCHMETRICS_NRMSE_FLOAT32 = KnownDifference(
    "torchmetrics", what="torchmetrics accumulates NRMSE's denominator in float32 (a running mean and variance, Σy², "
    "the extremes): targets of mean near 0 beside large ones (1e15 and -1e15) give a mean, and so an NRMSE, of "
    "rounding noise. Explained only within the float32 bounds of those sums (unbounded where they reach 0).",
    cause="NormalizedRootMeanSquaredError.update keeps mean_val, var_val (a batched Welford update) and "
          "target_squared in float32; compute() divides the RMSE by the one normalization asks for.",
    where="torchmetrics/regression/nrmse.py::NormalizedRootMeanSquaredError.update / compute",
    reference=float32.normalized_root_mean_squared_error, bounds=float32.SIDES, kind="defect",
    properties=EVERY_PROPERTY,
    # targets of mean -1.12 beside ±1e15: the float32 running mean is off by about as much as it is
    witness=Witness(inside=(batch([-3.0, -1e15, -3.91155481338501e-05, -2.604166030883789, 1e15],
                                  [-3.0, -3.0, -3.0, 0.0, -2.0]),),
                    outside=(batch([1.0, 2.0, 4.0], [0.0, 0.0, 0.0]),), metric="NormalizedRootMeanSquaredError"),
)

TORCHMETRICS_NRMSE_EMPTY_BATCH = KnownDifference(
    "torchmetrics", what="torchmetrics' NormalizedRootMeanSquaredError raises on an empty batch (zero samples) "
    "instead of leaving the state unchanged, so a stream with an empty batch fails.",
    cause="update() takes target.min(dim=0) and target.max(dim=0), which PyTorch refuses for zero elements "
          "('min(): Expected reduction dim 0 to have non-zero size').",
    where="torchmetrics/regression/nrmse.py::NormalizedRootMeanSquaredError.update",
    raises="Expected reduction dim 0 to have non-zero size", trigger=some_batch_empty, properties=EVERY_PROPERTY,
    kind="defect", witness=Witness(inside=(THREE, empty(THREE)), outside=(THREE,),
                                   metric="NormalizedRootMeanSquaredError"),
)


def _minkowski_float32_powers(y_true, y_pred, *, p: float = 2.0, sample_weight=None) -> float:
    """The Minkowski distance, infinite where a float32 |y - ŷ|^p (or their sum) overflows float32."""
    errors = np.abs(np.asarray(y_true, np.float32) - np.asarray(y_pred, np.float32)).astype(np.float64)
    if np.any(errors**p > np.finfo(np.float32).max):
        return float("inf")
    return ref.minkowski_distance(y_true, y_pred, p=p, sample_weight=sample_weight)


TORCHMETRICS_MINKOWSKI_OVERFLOW = KnownDifference(
    "torchmetrics", what="torchmetrics sums |y - ŷ|^p in float32 before the p-th root, so an error above "
    "float32's largest value to the power 1/p (6.98e12 for p = 3) overflows to inf, although the distance (1e13 for "
    "one such error) is a float32 number.",
    cause="_minkowski_distance_update returns torch.sum(torch.pow(torch.abs(preds - targets), p)); compute() takes "
          "the 1/p power of that float32 sum (no scaling by the largest error, as a norm would).",
    where="torchmetrics/functional/regression/minkowski.py::_minkowski_distance_update / _minkowski_distance_compute",
    reference=_minkowski_float32_powers, kind="defect", properties=EVERY_PROPERTY,
    witness=Witness(inside=(batch([0.0], [1e13]),), outside=(batch([0.0], [6e12]),), metric="MinkowskiDistance",
                    parameters={"p": 3.0}),
)

TORCHMETRICS_CSI_NO_EVENTS = KnownDifference(
    "torchmetrics", what="Where no value reaches the threshold, neither observed nor forecast (hits + misses + false "
    "alarms = 0), torchmetrics' critical success index is 0; the index is undefined there, NaN in the reference.",
    cause="_critical_success_index_compute returns _safe_divide(hits, hits + misses + false_alarms), whose "
          "zero_division is 0.",
    where="torchmetrics/functional/regression/csi.py::_critical_success_index_compute",
    overrides={"no_events": 0.0},
)

SPECS: tuple[MetricSpec, ...] = (
    MetricSpec(
        name="SymmetricMeanAbsolutePercentageError", reference=ref.symmetric_mean_absolute_percentage_error,
        domain=REGRESSION, decomposition="mean", growth=tol.RATIO, scale=1.0,
        bindings={"torchmetrics": Binding(f"{TR}.SymmetricMeanAbsolutePercentageError", weights=False)},
        absent={"keras": NO_KERAS.format("symmetric percentage error"),
                "sklearn": "scikit-learn has no symmetric percentage error (nearest: mean_absolute_percentage_error)"},
    ),
    MetricSpec(
        name="WeightedMeanAbsolutePercentageError", reference=ref.weighted_mean_absolute_percentage_error,
        domain=REGRESSION, decomposition="none", growth=tol.RATIO, scale=0.0,
        bindings={"torchmetrics": Binding(f"{TR}.WeightedMeanAbsolutePercentageError", weights=False)},
        known=(TORCHMETRICS_WMAPE_EPSILON,),
        absent={"keras": NO_KERAS.format("weighted percentage error"),
                "sklearn": "scikit-learn has no weighted percentage error (nearest: mean_absolute_percentage_error)"},
    ),
    MetricSpec(
        name="RelativeSquaredError", reference=ref.relative_squared_error, domain=REGRESSION, decomposition="none",
        growth=tol.R2, scale=0.0,
        bindings={"torchmetrics": Binding(f"{TR}.RelativeSquaredError", weights=False)},
        space=(_only("torchmetrics", "squared", (True, False)),), known=(TORCHMETRICS_RSE_FLOAT32,),
        absent={"keras": NO_KERAS.format("relative squared error") + " (nearest: 1 - R2Score)",
                "sklearn": "scikit-learn has no relative squared error (nearest: 1 - r2_score)"},
    ),
    MetricSpec(
        name="KendallRankCorrCoef", reference=ref.kendall_rank_corrcoef, domain=REGRESSION, decomposition="none",
        growth=tol.RATIO, scale=1.0,
        bindings={"torchmetrics": Binding(f"{TR}.KendallRankCorrCoef", weights=False)},
        space=(_only("torchmetrics", "variant", ("b", "a", "c")),), known=(TORCHMETRICS_TAU_A,),
        absent={"keras": NO_KERAS.format("rank correlation"),
                "sklearn": "scikit-learn has no rank correlation metric (nearest: scipy.stats.kendalltau)"},
    ),
    MetricSpec(
        name="MaxError", reference=ref.max_error, domain=REGRESSION, decomposition="none", growth=tol.RATIO,
        scale=0.0, bindings={"sklearn": Binding("sklearn.metrics.max_error", weights=False)},
        absent={"keras": NO_KERAS.format("largest error"),
                "torchmetrics": "torchmetrics has no largest-error metric (nearest: MaxMetric of the errors)"},
    ),
    MetricSpec(
        name="MedianAbsoluteError", reference=ref.median_absolute_error, domain=REGRESSION, decomposition="none",
        growth=tol.RATIO, scale=0.0, bindings={"sklearn": Binding("sklearn.metrics.median_absolute_error")},
        absent={"keras": NO_KERAS.format("median error"),
                "torchmetrics": "torchmetrics has no median error (nearest: MeanAbsoluteError)"},
    ),
    MetricSpec(
        name="RootMeanSquaredLogarithmicError", reference=ref.root_mean_squared_log_error, domain=LOG1P,
        decomposition="none", growth=tol.ROOT, scale=1.0,
        bindings={"sklearn": Binding("sklearn.metrics.root_mean_squared_log_error")},
        absent={"keras": NO_KERAS.format("root of the logarithmic error") + " (nearest: MeanSquaredLogarithmicError)",
                "torchmetrics": "torchmetrics has no root of the logarithmic error (nearest: MeanSquaredLogError)"},
    ),
    MetricSpec(
        name="MinkowskiDistance", reference=ref.minkowski_distance, params={"p": 2.0}, domain=REGRESSION,
        decomposition="none", growth=tol.ROOT, scale=0.0, ratio=False,
        bindings={"torchmetrics": Binding(f"{TR}.MinkowskiDistance", {"p": 2.0}, weights=False)},
        space=(_only("torchmetrics", "p", (2.0, 1.0, 1.5, 3.0)),), known=(TORCHMETRICS_MINKOWSKI_OVERFLOW,),
        absent={"keras": NO_KERAS.format("Minkowski distance"),
                "sklearn": "scikit-learn's Minkowski distance is a pairwise distance between samples "
                           "(sklearn.metrics.pairwise_distances), not a metric of predictions"},
    ),
    MetricSpec(
        name="NormalizedRootMeanSquaredError", reference=ref.normalized_root_mean_squared_error, domain=REGRESSION,
        decomposition="none", growth=tol.R2, scale=0.0,
        bindings={"torchmetrics": Binding(f"{TR}.NormalizedRootMeanSquaredError", weights=False)},
        space=(_only("torchmetrics", "normalization", ("mean", "range", "std", "l2")),),
        known=(TORCHMETRICS_NRMSE_BY_ZERO, TORCHMETRICS_NRMSE_FLOAT32, TORCHMETRICS_NRMSE_EMPTY_BATCH),
        absent={"keras": NO_KERAS.format("normalised RMSE") + " (nearest: RootMeanSquaredError)",
                "sklearn": "scikit-learn has no normalised RMSE (nearest: root_mean_squared_error)"},
    ),
    MetricSpec(
        name="CriticalSuccessIndex", reference=ref.critical_success_index, params={"threshold": 0.5},
        domain=REGRESSION, decomposition="none", growth=tol.RATIO, scale=1.0,
        bindings={"torchmetrics": Binding(f"{TR}.CriticalSuccessIndex", {"threshold": 0.5}, weights=False)},
        space=(_only("torchmetrics", "threshold", (0.5, 0.0, 2.0)),), known=(TORCHMETRICS_CSI_NO_EVENTS,),
        absent={"keras": NO_KERAS.format("critical success index"),
                "sklearn": "scikit-learn has no critical success index (nearest: jaccard_score of the thresholded "
                           "values, the same ratio)"},
    ),
    MetricSpec(
        name="JensenShannonDivergence", reference=ref.jensen_shannon_divergence, domain=DISTRIBUTIONS,
        decomposition="none", growth=tol.RATIO, scale=1.0, ratio=False,
        bindings={"torchmetrics": Binding(f"{TR}.JensenShannonDivergence", weights=False)},
        # reduction='none' is not drawn: one value per row, whose number the per-batch average cannot stack, and
        # merge_state puts the merged-in metric's rows first (Metric._reduce_states: global state, then local).
        # log_prob=True takes both distributions as log-probabilities: the harness passes their logs.
        space=(_only("torchmetrics", "reduction", ("mean", "sum")),
               Parameter("log_prob", (False, True), spellings={"torchmetrics": "log_prob"}, reference=False,
                         presentation=lambda b, logs: replace(b, y_true="log", y_pred="log") if logs else b,
                         absent={"keras": "no such metric", "sklearn": "no such metric"})),
        known=(TORCHMETRICS_JSD_LOG_OF_ZERO,),
        absent={"keras": "Keras has no Jensen-Shannon divergence (nearest: KLDivergence)",
                "sklearn": "scikit-learn has no Jensen-Shannon divergence (scipy.spatial.distance.jensenshannon is "
                           "its square root)"},
    ),
    MetricSpec(
        name="MeanPinballLoss", reference=ref.mean_pinball_loss, domain=REGRESSION, decomposition="mean",
        growth=tol.RATIO, scale=0.0, bindings={"sklearn": Binding("sklearn.metrics.mean_pinball_loss")},
        space=(_only("sklearn", "alpha", (0.5, 0.1, 0.9)),),
        absent={"keras": NO_KERAS.format("pinball loss"),
                "torchmetrics": "torchmetrics has no pinball (quantile) loss"},
    ),
    MetricSpec(
        name="BrierScore", reference=ref.brier_score, domain=BINARY_PROBABILITIES, decomposition="mean",
        growth=tol.RATIO, scale=1.0, bindings={"sklearn": Binding("sklearn.metrics.brier_score_loss")},
        space=(_only("sklearn", "scale_by_half", ("auto", False)),),
        absent={"keras": "Keras has no Brier score (nearest: MeanSquaredError of the probabilities)",
                "torchmetrics": "torchmetrics has no Brier score (nearest: MeanSquaredError of the probabilities)"},
    ),
)
