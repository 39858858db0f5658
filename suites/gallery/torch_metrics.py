"""Deliberately broken torchmetrics metrics (and correct ones): mean squared errors and maximum absolute errors."""

from __future__ import annotations

import torch
from torchmetrics import Metric


def check_pairs(preds: torch.Tensor, target: torch.Tensor) -> None:
    """One prediction per target: torch would broadcast a single target against two predictions."""
    if preds.numel() != target.numel():
        raise ValueError(f"preds and target must have as many elements; got {preds.numel()} and {target.numel()}")


class CorrectTorchMSE(Metric):
    """A correct mean squared error with states registered through ``add_state``."""

    full_state_update = False
    count_dtype = torch.float64

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_state("total", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0.0, dtype=self.count_dtype), dist_reduce_fx="sum")

    def errors(self, preds: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        check_pairs(preds, target)
        return (preds.reshape(-1).double() - target.reshape(-1).double()) ** 2

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        errors = self.errors(preds, target)
        self.total += errors.sum()
        self.count += errors.numel()

    def compute(self) -> torch.Tensor:
        return self.total / self.count.double() if self.count else torch.tensor(0.0, dtype=torch.float64)


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


class TorchFloat16Count(CorrectTorchMSE):
    """Bug: a float16 count: adding 1 to 2048 gives 2048, and past 65,504 it is infinite."""

    count_dtype = torch.float16


class TorchFloat32Count(CorrectTorchMSE):
    """Bug: a float32 count (torch's default dtype): past 2^24, adding 1 gives 2^24."""

    count_dtype = torch.float32


class Float32CastTorchMSE(CorrectTorchMSE):
    """Bug: ``.float()`` on its inputs: float64 predictions (and states set to float64 with set_dtype) are still rounded
    to float32 and squared in float32, so a float64 user gets float32 errors."""

    def errors(self, preds: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return ((preds.reshape(-1).float() - target.reshape(-1).float()) ** 2).double()


class InputDtypeSquares(CorrectTorchMSE):
    """Bug: squares the errors in the inputs' dtype before summing them into its float64 total: float16 predictions
    (a half-precision model's) overflow to inf once an error reaches 256 (256² > 65,504)."""

    def errors(self, preds: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return ((preds.reshape(-1) - target.reshape(-1)) ** 2).double()


class BoolSumRecall(Metric):
    """Bug: counts a true positive where ``predicted + target == 2``: right for integer (and float) targets, but for
    boolean ones ``bool + bool`` is a logical or (True, never 2), so every true positive is missed: recall 0."""

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_state("hits", default=torch.tensor(0, dtype=torch.int64), dist_reduce_fx="sum")
        self.add_state("positives", default=torch.tensor(0, dtype=torch.int64), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        predicted, target = preds.reshape(-1) > 0.5, target.reshape(-1)
        self.hits += ((predicted + target) == 2).sum()
        self.positives += (target == 1).sum()

    def compute(self) -> torch.Tensor:
        return self.hits.double() / self.positives if self.positives else torch.tensor(0.0, dtype=torch.float64)


class AssignInsteadOfAccumulate(CorrectTorchMSE):
    """Bug: ``=`` where ``+=`` was meant: only the last batch counts."""

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        errors = self.errors(preds, target)
        self.total = errors.sum()
        self.count = torch.tensor(float(errors.numel()), dtype=torch.float64)


class ComputeMutatesState(CorrectTorchMSE):
    """Bug: compute() folds the state into a mean in place, so later updates are mis-weighted."""

    def compute(self) -> torch.Tensor:
        if not self.count:
            return torch.tensor(0.0, dtype=torch.float64)
        self.total = self.total / self.count
        self.count = torch.ones_like(self.count)
        return self.total


class NoReshapeBroadcasting(CorrectTorchMSE):
    """Bug: subtracts without flattening: ``(n,)`` against ``(n, 1)`` broadcasts to ``(n, n)``."""

    def errors(self, preds: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return ((preds.double() - target.double()) ** 2).reshape(-1)

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        self.total += self.errors(preds, target).sum()
        self.count += target.shape[0]


class WeightsOnNumeratorOnly(CorrectTorchMSE):
    """Bug: sample weights multiply the errors, but the count adds one per sample."""

    def update(self, preds: torch.Tensor, target: torch.Tensor, sample_weight: torch.Tensor | None = None) -> None:
        errors = self.errors(preds, target)
        weights = torch.ones_like(errors) if sample_weight is None else sample_weight.reshape(-1).double()
        self.total += (errors * weights).sum()
        self.count += errors.numel()


class CorrectWeightedTorchMSE(CorrectTorchMSE):
    """A correct weighted mean squared error: update(preds, target, sample_weight=None)."""

    def update(self, preds: torch.Tensor, target: torch.Tensor, sample_weight: torch.Tensor | None = None) -> None:
        errors = self.errors(preds, target)
        weights = torch.ones_like(errors) if sample_weight is None else sample_weight.reshape(-1).double()
        self.total += (errors * weights).sum()
        self.count += weights.sum()


class MeanStateSummedAcrossProcesses(CorrectTorchMSE):
    """Bug: keeps the running mean as a state with dist_reduce_fx="sum": syncing adds the processes' means
    (a weighted mean by the counts was needed)."""

    def __init__(self, **kwargs):
        Metric.__init__(self, **kwargs)
        self.add_state("mean", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("count", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        errors = self.errors(preds, target)
        if errors.numel():
            self.mean = (self.mean * self.count + errors.sum()) / (self.count + errors.numel())
            self.count += errors.numel()

    def compute(self) -> torch.Tensor:
        return self.mean


class CachedComputeAfterReset(CorrectTorchMSE):
    """Bug: compute() caches its value; update() clears the cache, reset() does not."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self._cached_value = None

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        self._cached_value = None
        super().update(preds, target)

    def compute(self) -> torch.Tensor:
        if self._cached_value is None:
            self._cached_value = super().compute()
        return self._cached_value


class TorchNaNOnEmptyBatch(CorrectTorchMSE):
    """Bug: adds the batch mean times the batch size; an empty batch's mean is NaN, and NaN * 0 is NaN."""

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        errors = self.errors(preds, target)
        self.total += errors.mean() * errors.numel()
        self.count += errors.numel()


class ForwardRaisesOnEmptyBatch(CorrectTorchMSE):
    """Bug: compute() raises when there is no sample; forward() on an empty batch then raises after torchmetrics
    has reset the state to compute the batch's value, and the accumulated state is lost."""

    def compute(self) -> torch.Tensor:
        if not self.count:
            raise ValueError("no samples to average")
        return self.total / self.count


class CorrectMaxAbsoluteError(Metric):
    """A correct maximum absolute error: the state syncs with dist_reduce_fx="max"."""

    full_state_update = False
    reduce = "max"

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_state("largest", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx=self.reduce)

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        check_pairs(preds, target)
        errors = (preds.reshape(-1).double() - target.reshape(-1).double()).abs()
        if errors.numel():
            self.largest = torch.maximum(self.largest, errors.max())

    def compute(self) -> torch.Tensor:
        return self.largest


class SumWhereMaxNeeded(CorrectMaxAbsoluteError):
    """Bug: dist_reduce_fx="sum" on a maximum: syncing (and merging) adds the processes' maxima."""

    reduce = "sum"


class ForwardReturnsRunningValue(CorrectTorchMSE):
    """Bug: overrides forward() to update and return compute(): the running value, not the batch's."""

    def forward(self, preds: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        self.update(preds, target)
        return self.compute()


class TwoDistinctBugs(CorrectTorchMSE):
    """Two bugs: update() raises on an empty batch (the max of nothing), and the count misses a sample of every
    batch of more than one. A property that stopped at its first failure would show only one of them."""

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        errors = self.errors(preds, target)
        errors.max()  # a sanity check that torch refuses for zero elements
        self.total += errors.sum()
        self.count += errors.numel() - int(errors.numel() > 1)


class ArgmaxAccuracy(Metric):
    """Correct for what a torch classification loop feeds (``(n,)`` class indices, ``(n, C)`` scores); given
    ``(n, 1)`` targets, which CrossEntropyLoss rejects, its comparison broadcasts (a note, not a failure)."""

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_state("hits", default=torch.tensor(0, dtype=torch.int64), dist_reduce_fx="sum")
        self.add_state("seen", default=torch.tensor(0, dtype=torch.int64), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        self.hits += (preds.argmax(dim=-1) == target).sum()
        self.seen += preds.shape[0]

    def compute(self) -> torch.Tensor:
        return self.hits.double() / self.seen if self.seen else torch.tensor(0.0, dtype=torch.float64)


class SleepingMSE(CorrectTorchMSE):
    """Bug: hangs (an update that waits for minutes, in short sleeps, as a Python polling loop would)."""

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        import time

        for _ in range(6000):
            time.sleep(0.1)
        super().update(preds, target)


class BatchMacroF1(Metric):
    """Bug: macro F1 computed per batch and averaged over batches (as Lightning's on_epoch logging of a tensor
    does), where the data set's macro F1 was meant."""

    full_state_update = False

    def __init__(self, num_classes: int = 3, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.add_state("total", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")
        self.add_state("batches", default=torch.tensor(0.0, dtype=torch.float64), dist_reduce_fx="sum")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        if not len(target):
            return
        predicted = preds.argmax(dim=-1)
        scores = []
        for c in range(self.num_classes):
            tp = ((predicted == c) & (target == c)).sum().double()
            fp = ((predicted == c) & (target != c)).sum().double()
            fn = ((predicted != c) & (target == c)).sum().double()
            scores.append(2 * tp / (2 * tp + fp + fn) if tp + fp + fn else torch.tensor(0.0, dtype=torch.float64))
        self.total += torch.stack(scores).mean()
        self.batches += 1

    def compute(self) -> torch.Tensor:
        return self.total / self.batches if self.batches else torch.tensor(0.0, dtype=torch.float64)


class CatStateAccuracy(Metric):
    """A correct binary accuracy that keeps its predictions and integer targets in list states (dist_reduce_fx="cat"),
    as curve metrics do. Synced beside a rank with no data it meets torchmetrics' own defect (the idle rank's empty
    placeholder is float32, the targets int64): declared for the base class, not blamed on this metric."""

    full_state_update = False

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_state("preds", default=[], dist_reduce_fx="cat")
        self.add_state("target", default=[], dist_reduce_fx="cat")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        check_pairs(preds, target)
        if ((target != 0) & (target != 1)).any():
            raise ValueError(f"binary targets must be 0 or 1; got {target.unique().tolist()}")
        self.preds.append(preds.reshape(-1))
        self.target.append(target.reshape(-1).long())

    def compute(self) -> torch.Tensor:
        preds = torch.cat(self.preds) if isinstance(self.preds, list) else self.preds
        target = torch.cat(self.target) if isinstance(self.target, list) else self.target
        if not preds.numel():
            return torch.tensor(0.0)
        if preds.isnan().any():  # a NaN score is neither above nor below the threshold: no accuracy
            return torch.tensor(float("nan"), dtype=torch.float64)
        return ((preds > 0.5).long() == target).double().mean()


class ConfusionAccuracy(Metric):
    """A multiclass accuracy from a confusion matrix (the diagonal over the total), checked: a NaN score or a label
    outside [0, num_classes) raises."""

    full_state_update = False

    def __init__(self, num_classes: int, **kwargs):
        super().__init__(**kwargs)
        self.num_classes = num_classes
        self.add_state("confmat", default=torch.zeros(num_classes, num_classes, dtype=torch.float64),
                       dist_reduce_fx="sum")

    def check(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        if preds.shape != (len(target), self.num_classes):
            raise ValueError(f"preds must be (n, {self.num_classes}) scores for n targets; got {tuple(preds.shape)} "
                             f"for {len(target)}")
        if preds.isnan().any():
            raise ValueError("preds holds NaN")
        if ((target < 0) | (target >= self.num_classes)).any():
            raise ValueError(f"target must hold labels in [0, {self.num_classes}); got {target.unique().tolist()}")

    def update(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        self.check(preds, target)
        self.count(preds.argmax(dim=1), target.long())

    def count(self, predicted: torch.Tensor, target: torch.Tensor) -> None:
        self.confmat.index_put_((target, predicted), torch.ones(len(target), dtype=torch.float64), accumulate=True)

    def compute(self) -> torch.Tensor:
        total = self.confmat.sum()
        return self.confmat.trace() / total if total else torch.tensor(0.0, dtype=torch.float64)


class NegativeLabelAsLastClass(ConfusionAccuracy):
    """Bug: checks NaN and labels >= num_classes, but not negative ones: a label -1 indexes the confusion matrix's
    last row (Python's negative indexing), so it counts as class num_classes - 1."""

    def check(self, preds: torch.Tensor, target: torch.Tensor) -> None:
        super().check(preds, torch.where(target < 0, torch.zeros_like(target), target))
