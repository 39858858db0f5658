"""The dtypes inputs come in: how a presentation casts an example's arrays, and the values each dtype can hold.

The canonical inputs (conformance/data.py) are float32 real values (scores, real targets, weights) and int64 labels
(class targets, predicted labels). A :class:`Presented` says which dtype each array reaches the library in, and
how the metric is set up for it (a Keras ``dtype=``, torchmetrics' ``set_dtype``, Keras' global dtype policy). The
project's rule holds in every dtype: each value the library receives is exactly representable in its dtype, so the
float64 reference sees the very numbers the library sees. Float16 and bfloat16 hold fewer digits than the float32
draws, so the example is first rounded to values both hold (``rounded_to_half``); float64 holds more, so its
presentation carries digits float32 cannot hold (``widened_to_float64``): a library that narrows float64 inputs to
float32 then computes on other numbers, and its value shows it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from conformance.data import Batch

FLOAT_DTYPES = ("float16", "bfloat16", "float32", "float64")
LABEL_DTYPES = ("int64", "int32", "bool", "float32")  # class targets and predicted labels
HALF_DTYPES = ("float16", "bfloat16")
MIXED_FLOAT16 = "mixed_float16"  # Keras' mixed-precision policy: float16 layer outputs, float32 variables

HALF_MAX = 65280.0  # the largest value float16 (max 65504) and bfloat16 (8 significant bits) both hold
HALF_TINY = 2.0**-24  # float16's least subnormal; float16 holds multiples of it below 2^-14
FLOAT16_NORMAL = 2.0**-14


@dataclass(frozen=True)
class Presented:
    """How one presentation casts the inputs, and sets the metric up for them. Each dtype is a NumPy dtype name
    (``bfloat16``: ml_dtypes'); None keeps the canonical one (float32 real values, int64 labels).

    ``labels``: whether the dtypes are the labels' (class targets, predicted labels), else the real values' (scores,
    real targets, weights). ``y_true`` / ``y_pred``: the targets' and the predictions' dtypes (each None where that
    array is not of the kind presented); ``weights``: the sample weights'. ``compute``: the dtype the metric is asked
    to compute in where the library takes one (Keras' ``dtype=`` argument, torchmetrics' ``Metric.set_dtype``): the
    documented way to get a float64 computation. ``policy``: Keras' global dtype policy while the metric is built and
    fed (``mixed_float16``)."""

    name: str
    labels: bool = False
    y_true: str | None = None
    y_pred: str | None = None
    weights: str | None = None
    compute: str | None = None
    policy: str | None = None

    def describe(self) -> str:
        """In words, for a finding: the arrays' dtypes and the metric's set-up."""
        parts = [f"{role} {dtype}" for role, dtype in (("y_true", self.y_true), ("y_pred", self.y_pred),
                                                        ("sample_weight", self.weights)) if dtype]
        if self.compute:
            parts.append(f"the metric set to compute in {self.compute}")
        if self.policy:
            parts.append(f"under Keras' {self.policy} policy")
        return ", ".join(parts) or "canonical dtypes"

    @property
    def real_dtype(self) -> str | None:
        """The float dtype of the presented real values (the narrowest, where they differ), or None."""
        floats = [d for d in (self.y_pred, self.y_true, self.weights) if d is not None] if not self.labels else []
        return min(floats, key=FLOAT_DTYPES.index) if floats else None

    def to_json(self) -> dict[str, str | bool]:
        return {k: v for k, v in (("name", self.name), ("labels", self.labels), ("y_true", self.y_true),
                                  ("y_pred", self.y_pred), ("weights", self.weights), ("compute", self.compute),
                                  ("policy", self.policy)) if v}

    @classmethod
    def from_json(cls, payload: dict[str, str | bool]) -> Presented:
        return cls(**payload)


def numpy_dtype(name: str) -> np.dtype:
    """The NumPy dtype named ``name`` (``bfloat16`` from ml_dtypes, which TensorFlow and JAX install)."""
    if name == "bfloat16":
        import ml_dtypes

        return np.dtype(ml_dtypes.bfloat16)
    return np.dtype(name)


def cast(array: np.ndarray, name: str | None) -> np.ndarray:
    """``array`` in the dtype ``name`` (None: as it is). Values must be exact in it: see ``rounded_to_half``."""
    return array if name is None or array.dtype.name == name else array.astype(numpy_dtype(name))


def bfloat16_available() -> bool:
    try:
        numpy_dtype("bfloat16")
    except ImportError:
        return False
    return True


def _floats(batch: Batch, transform) -> Batch:
    """``batch`` with ``transform`` applied to each real-valued array (labels left as they are)."""
    def apply(array: np.ndarray | None) -> np.ndarray | None:
        return transform(array) if array is not None and np.issubdtype(array.dtype, np.floating) else array
    return replace(batch, y_true=apply(batch.y_true), y_pred=apply(batch.y_pred),
                   sample_weight=apply(batch.sample_weight))


def to_half(values: np.ndarray) -> np.ndarray:
    """float32 ``values`` rounded towards zero to numbers float16 and bfloat16 both hold exactly (float32 arrays):
    at most 8 significant bits, multiples of 2^-24 below float16's least normal 2^-14, within ±65280. Towards zero,
    so that a domain's bounds stay (scores in [0, 1], values above -1); a nonzero value never becomes 0 (it becomes
    ±2^-24), so that a positive domain stays positive."""
    values = np.asarray(values, np.float32)
    small = np.abs(values) < FLOAT16_NORMAL
    grid = values.copy()
    grid[small] = np.trunc(values[small] / np.float32(HALF_TINY)) * np.float32(HALF_TINY)
    grid = np.where((grid == 0) & (values != 0), np.sign(values) * np.float32(HALF_TINY), grid).astype(np.float32)
    truncated = (grid.view(np.uint32) & np.uint32(0xFFFF0000)).view(np.float32)  # bfloat16: float32's top 16 bits
    return np.clip(truncated, np.float32(-HALF_MAX), np.float32(HALF_MAX)).astype(np.float32)


def to_bfloat16(values: np.ndarray) -> np.ndarray:
    """``values`` rounded to the nearest bfloat16 (ties to even), as float32: float32's top 16 bits, without
    ml_dtypes (the catalogue computes Keras' bfloat16 clip on import)."""
    bits = np.asarray(values, np.float32).view(np.uint32).astype(np.uint64)
    rounded = (bits + 0x7FFF + ((bits >> 16) & 1)) & 0xFFFF0000
    return rounded.astype(np.uint32).view(np.float32)


def rounded_to_half(batch: Batch) -> Batch:
    """The batch with its real values exact in float16 and bfloat16 (see ``to_half``); still float32 arrays."""
    return _floats(batch, to_half)


def to_float64(values: np.ndarray) -> np.ndarray:
    """float32 ``values`` as float64 numbers float32 cannot hold: each moved towards zero by a third of the float32
    step below it (so it still rounds back to itself in float32, stays within its domain's bounds, and equal values
    stay equal); 0 stays 0."""
    values = np.asarray(values, np.float32)
    step = np.abs(values - np.nextafter(values, np.float32(0))).astype(np.float64)
    return values.astype(np.float64) - np.sign(values).astype(np.float64) * step / 3


def widened_to_float64(batch: Batch) -> Batch:
    """The batch with its real values as float64 numbers float32 cannot hold (see ``to_float64``). Rows of
    probabilities that sum to 1 within float32's rounding (a distribution's, a softmax's) are divided by their float64
    sum, so that they sum to 1 within float64's, as a float64 user's do."""
    return _floats(batch, lambda values: _normalised(values, to_float64(values)))


def _normalised(drawn: np.ndarray, widened: np.ndarray) -> np.ndarray:
    """``widened`` with each row renormalised where every row of ``drawn`` is non-negative and sums to 1 within
    float32's rounding (else as it is)."""
    if drawn.ndim != 2 or not drawn.size or (drawn < 0).any():
        return widened
    sums = drawn.sum(axis=1, dtype=np.float64)
    if not np.all(np.abs(sums - 1) <= drawn.shape[1] * 2.0**-23):
        return widened
    return widened / widened.sum(axis=1, keepdims=True)


def values_for(batch: Batch, presented: Presented) -> Batch:
    """The values ``presented`` feeds the library: exact in the narrowest float dtype it presents."""
    real = presented.real_dtype
    if real in HALF_DTYPES:
        return rounded_to_half(batch)
    if real == "float64":
        return widened_to_float64(batch)
    return batch
