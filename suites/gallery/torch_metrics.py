"""Deliberately broken torchmetrics metrics (and a correct one): mean squared errors."""

from __future__ import annotations

import torch
from torchmetrics import Metric


class CorrectTorchMSE(Metric):
    """A correct mean squared error with states registered through ``add_state``."""

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_state("total", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        errors = (preds.reshape(-1).double() - target.reshape(-1).double()) ** 2
        self.total += errors.sum()
        self.count += errors.numel()

    def compute(self) -> torch.Tensor:
        return self.total / self.count if self.count else torch.tensor(0.0)


class PlainAttributeCount(CorrectTorchMSE):
    """Bug: the count is a plain attribute, which reset() does not know about."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.samples = 0

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        errors = (preds.reshape(-1).double() - target.reshape(-1).double()) ** 2
        self.total += errors.sum()
        self.samples += errors.numel()

    def compute(self) -> torch.Tensor:
        return self.total / self.samples if self.samples else torch.tensor(0.0)
