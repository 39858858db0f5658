"""The inputs a property feeds a metric: batches of (y_true, y_pred, sample_weight), and examples.

Arrays are kept in the *canonical* form of their input domain (labels as integers, scores as
float32 rows); adapters turn them into what each library expects. Every value drawn is exactly
representable in float32, so the float64 reference sees the very numbers the library sees.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np


@dataclass(frozen=True)
class Batch:
    """One call's worth of inputs (one ``update_state`` / ``update`` / function call)."""

    y_true: np.ndarray
    y_pred: np.ndarray
    sample_weight: np.ndarray | None = None
    num_classes: int | None = None

    def __len__(self) -> int:
        return len(self.y_true)

    def take(self, index: np.ndarray | slice) -> Batch:
        """The samples at ``index``, with their weights."""
        weight = None if self.sample_weight is None else self.sample_weight[index]
        return replace(self, y_true=self.y_true[index], y_pred=self.y_pred[index], sample_weight=weight)

    def with_weights(self, sample_weight: np.ndarray | None) -> Batch:
        return replace(self, sample_weight=sample_weight)

    def split(self, sizes: list[int]) -> list[Batch]:
        """Consecutive batches of the given sizes (which may be 0), covering every sample once."""
        if sum(sizes) != len(self):
            raise ValueError(f"batch sizes {sizes} do not add up to {len(self)} samples")
        bounds = np.cumsum([0, *sizes])
        return [self.take(slice(start, stop)) for start, stop in itertools.pairwise(bounds)]

    def to_json(self) -> dict[str, Any]:
        return {
            "y_true": self.y_true.tolist(),
            "y_pred": self.y_pred.tolist(),
            "sample_weight": None if self.sample_weight is None else self.sample_weight.tolist(),
        }


def concatenate(batches: list[Batch]) -> Batch:
    """All samples of ``batches`` as one batch (weights of ones where a batch had none)."""
    first = batches[0]
    has_weights = any(b.sample_weight is not None for b in batches)
    weights = (
        np.concatenate([b.sample_weight if b.sample_weight is not None else np.ones(len(b), np.float32)
                        for b in batches])
        if has_weights else None
    )
    return Batch(
        y_true=np.concatenate([b.y_true for b in batches]),
        y_pred=np.concatenate([b.y_pred for b in batches]),
        sample_weight=weights,
        num_classes=first.num_classes,
    )


@dataclass
class Example:
    """What a property fed the library: the batches in order, and what else it varied.

    ``to_json`` / ``from_json`` round-trip exactly (float32 values survive as JSON floats), so a
    failure reloads from its report.
    """

    batches: list[Batch]
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def size(self) -> int:
        return sum(len(b) for b in self.batches)

    def to_json(self) -> dict[str, Any]:
        first = self.batches[0]
        return {
            "num_classes": first.num_classes,
            "dtypes": {"y_true": str(first.y_true.dtype), "y_pred": str(first.y_pred.dtype)},
            "y_pred_columns": first.y_pred.shape[1] if first.y_pred.ndim == 2 else None,
            # Trailing shapes (after the sample axis), so that empty batches and label maps reload exactly.
            "shapes": {"y_true": list(first.y_true.shape[1:]), "y_pred": list(first.y_pred.shape[1:])},
            "batches": [b.to_json() for b in self.batches],
            **({"details": self.details} if self.details else {}),
        }

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> Example:
        dtypes, columns = payload["dtypes"], payload.get("y_pred_columns")
        shapes = payload.get("shapes") or {"y_true": None, "y_pred": [columns] if columns else []}

        def array(values: list, dtype: str, trailing: list[int] | None) -> np.ndarray:
            values = np.asarray(values, dtype=dtype)
            return values if trailing is None else values.reshape((-1, *trailing))

        batches = [
            Batch(
                y_true=array(b["y_true"], dtypes["y_true"], shapes["y_true"]),
                y_pred=array(b["y_pred"], dtypes["y_pred"], shapes["y_pred"]),
                sample_weight=None if b["sample_weight"] is None else np.asarray(b["sample_weight"], np.float32),
                num_classes=payload.get("num_classes"),
            )
            for b in payload["batches"]
        ]
        return cls(batches=batches, details=payload.get("details", {}))


def with_other_targets(batch: Batch) -> Batch:
    """The same predictions paired with different targets: binary and multilabel labels flipped, class
    labels (and label maps) rotated by one, real targets moved by one, graded relevances flipped (0 <-> not 0).
    Used to fill a metric's state with other data."""
    y_true = batch.y_true
    if y_true.ndim >= 2 and y_true.shape == batch.y_pred.shape and np.issubdtype(y_true.dtype, np.integer):
        # multilabel 0/1 flipped (samples of several elements too); relevances: 0 <-> relevant
        y_true = (y_true == 0).astype(y_true.dtype)
    elif np.issubdtype(y_true.dtype, np.integer):
        classes = batch.num_classes or 2
        y_true = (y_true + 1) % classes
    else:
        y_true = (y_true + np.float32(1)).astype(y_true.dtype)
    return replace(batch, y_true=y_true)


FLOAT32_TINY = float(np.finfo(np.float32).tiny)  # the least normal float32, 1.18e-38


def input_regime(batches: list[Batch]) -> str:
    """What kind of input an example is, so that a reader knows how much to worry (the first that holds):
    ``subnormal`` (some float below 1.18e-38), ``precision limit`` (weights, or samples, summing past 2^24, where a
    float32 count stops growing by 1), ``extreme magnitude`` (some |x| >= 1e6, or a nonzero one <= 1e-6),
    ``near-constant`` (real targets whose spread is within 1e-4 of their magnitude), else ``ordinary``."""
    floats = [a for b in batches for a in (b.y_true, b.y_pred, b.sample_weight)
              if a is not None and a.size and np.issubdtype(a.dtype, np.floating)]
    magnitudes = np.abs(np.concatenate([a.ravel() for a in floats]).astype(np.float64)) if floats else np.zeros(0)
    nonzero = magnitudes[magnitudes > 0]
    if (nonzero < FLOAT32_TINY).any():
        return "subnormal"
    weights = [b.sample_weight for b in batches if b.sample_weight is not None]
    total = sum(float(w.sum(dtype=np.float64)) for w in weights) if weights else sum(len(b) for b in batches)
    if total > 2**24:
        return "precision limit"
    if (nonzero >= 1e6).any() or (nonzero <= 1e-6).any():
        return "extreme magnitude"
    targets = [b.y_true for b in batches if len(b) and np.issubdtype(b.y_true.dtype, np.floating)]
    if targets:
        values = np.concatenate([t.ravel() for t in targets]).astype(np.float64)
        if values.size > 1 and np.ptp(values) <= 1e-4 * max(np.abs(values).max(), 1e-30) and np.ptp(values) > 0:
            return "near-constant"
    return "ordinary"
