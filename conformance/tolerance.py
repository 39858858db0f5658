"""The tolerance model: how far a library's float32 result may lie from the float64 reference.

All inputs are drawn exactly representable in float32, so input rounding is not a source of
error; what remains is the library's arithmetic. For a sum of ``k`` non-negative float32 terms,
recursive summation has relative error at most ``gamma_k = k u / (1 - k u)`` with ``u = 2**-24``
(Higham, *Accuracy and Stability of Numerical Algorithms*, 2nd ed., eq. 4.4). A stream of ``b``
batches adds ``b`` more additions into the running state. A metric's formula then combines such
sums; its ``growth`` (below) counts how many sums' errors can add up in the result.

The bound is ``atol + rtol * |expected|`` with ``rtol = growth * gamma_k`` (never below 4 ulps)
and ``atol = rtol * scale``, where ``scale`` is the magnitude of the metric's natural range (1 for
a value in [0, 1], 0 for an unbounded sum or error, whose relative bound already holds at 0).
Comparing two library results with each other doubles the bound (both carry error).

There are no per-test fudge factors: a metric declares its growth and scale in the catalogue, and
a difference beyond this bound is a finding.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

# bfloat16 keeps float32's exponent with 8 significant bits (u = 2^-8), float16 11 bits within +-65504 (u = 2^-11).
UNIT_ROUNDOFF = {"float16": 2.0**-11, "bfloat16": 2.0**-8, "float32": 2.0**-24, "float64": 2.0**-53}
TINY = {"float16": 2.0**-14, "bfloat16": 2.0**-126, "float32": 2.0**-126, "float64": 2.0**-1022}  # least normals

# Growth: how many rounded sums feed the result.
SUM = 1.0  # one accumulated sum (a count, a total)
RATIO = 2.0  # a ratio of two sums (accuracy, precision, a weighted mean, MSE)
ROOT = 2.0  # sqrt of a ratio: halves the ratio's relative error, the sqrt adds one rounding
F_SCORE = 6.0  # ratios of tp, fp, fn per class combined again (precision, recall, harmonic mean)
R2 = 4.0  # 1 - SS_res / SS_tot: two sums of squares, each after subtracting a weighted mean (itself a ratio)
CORRELATION = 6.0  # cov / sqrt(var var): three sums of products of deviations from two means (ratios)
CURVE = 8.0  # rates at every threshold, differenced and summed (trapezoids, PR interpolation)


@dataclass(frozen=True)
class Tolerance:
    """An absolute plus relative bound: ``|observed - expected| <= atol + rtol * |expected|``."""

    rtol: float
    atol: float

    def bound(self, expected: np.ndarray) -> np.ndarray:
        return self.atol + self.rtol * np.abs(expected)

    def doubled(self) -> Tolerance:
        return Tolerance(2 * self.rtol, 2 * self.atol)


def tolerance_for(dtype: str, n_terms: int, n_batches: int = 1, *, growth: float, scale: float) -> Tolerance:
    """The bound for a result computed in ``dtype`` from ``n_terms`` samples fed in ``n_batches``."""
    u = UNIT_ROUNDOFF[dtype]
    k = n_terms + n_batches + 2
    gamma = k * u / (1 - k * u)
    rtol = max(growth * gamma, 4 * u)
    # Near zero the relative bound vanishes, but ``dtype`` cannot hold what lies below its smallest normal number
    # (float32: 1.2e-38) once a computation flushes subnormals to zero, as oneDNN and XLA do: each term may lose
    # that much (a square of 1.4e-45 is 2e-90 in float64 and 0 in float32).
    resolution = max(growth, 1.0) * k * TINY[dtype]
    return Tolerance(rtol=rtol, atol=max(rtol * scale, resolution))


def compare(observed: np.ndarray, expected: np.ndarray, tolerance: Tolerance) -> tuple[bool, float, float]:
    """``(within, abs_error, bound)``; NaN matches only NaN, infinity only the same infinity."""
    observed, expected = np.asarray(observed, np.float64), np.asarray(expected, np.float64)
    if observed.shape == expected.shape == ():  # most metrics are one number: plain floats, ~10x faster than NumPy
        return _compare_numbers(float(observed), float(expected), tolerance)
    if observed.shape != expected.shape:
        return False, float("inf"), float(np.max(tolerance.bound(expected), initial=0.0))
    both_nan = np.isnan(observed) & np.isnan(expected)
    same_inf = np.isinf(observed) & (observed == expected)
    error = np.where(both_nan | same_inf, 0.0, np.abs(observed - expected))
    bound = tolerance.bound(np.where(np.isfinite(expected), expected, 0.0))
    within = bool(np.all(error <= bound))  # False wherever error is NaN (one side NaN)
    return within, float(np.max(error, initial=0.0)), float(np.max(bound, initial=0.0))


def _compare_numbers(observed: float, expected: float, tolerance: Tolerance) -> tuple[bool, float, float]:
    """``compare`` for one number each (the same results, NaN and infinities included)."""
    bound = tolerance.atol + tolerance.rtol * (abs(expected) if math.isfinite(expected) else 0.0)
    if (math.isnan(observed) and math.isnan(expected)) or (math.isinf(observed) and observed == expected):
        return True, 0.0, bound
    error = abs(observed - expected)
    return error <= bound, error, bound


# Label maps: a sample is up to 3 x 3 = 9 pixels (domains.SEGMENTATION), each a term of the sums, while the
# bound counts samples; a metric over pixels multiplies its growth by this.
PIXELS_PER_SAMPLE = 9.0
