"""Regression errors beyond the means of per-sample errors of ``regression``: torchmetrics' symmetric and weighted
percentage errors, relative squared error and Kendall's rank correlation; scikit-learn's largest and median
absolute errors, root mean squared logarithmic error and Brier score (references: ``reference/errors.py``)."""

from __future__ import annotations

import numpy as np

from conformance import reference as ref
from conformance import tolerance as tol
from conformance.catalogue import float32
from conformance.catalogue.model import EVERY_PROPERTY, Binding, KnownDifference, MetricSpec, Parameter, Witness, batch
from conformance.domains import BINARY_PROBABILITIES, LOG1P, REGRESSION

TR = "torchmetrics.regression"
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
        name="BrierScore", reference=ref.brier_score, domain=BINARY_PROBABILITIES, decomposition="mean",
        growth=tol.RATIO, scale=1.0, bindings={"sklearn": Binding("sklearn.metrics.brier_score_loss")},
        space=(_only("sklearn", "scale_by_half", ("auto", False)),),
        absent={"keras": "Keras has no Brier score (nearest: MeanSquaredError of the probabilities)",
                "torchmetrics": "torchmetrics has no Brier score (nearest: MeanSquaredError of the probabilities)"},
    ),
)
