"""Counting what a case's comparisons came to: the differences declarations explained, the error histogram, the
per-batch-average gaps measured, and notes. A :class:`Tally` only records; the judge decides, the engine reports."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from conformance import recording
from conformance.data import Example
from conformance.failures import Observation
from conformance.judging import Verdict
from conformance.results import ERROR_BIN_COUNT, error_bin, worse_behaviour


@dataclass
class Gap:
    """The largest per-batch-average gap seen: |mean of per-batch values - whole-data value| on ``example``."""

    value: float
    example: Example
    expected: np.ndarray
    averaged: np.ndarray
    replay: str | None = None  # the choice sequence that drew ``example`` (see Finding.replay)
    record: Any = None  # the calls that read each batch's value and the whole's (conformance.recording)


@dataclass
class Tally:
    """What a case has seen so far, over all its examples."""

    observations: list[Observation] = field(default_factory=list)
    notes: set[str] = field(default_factory=set)
    error_histogram: list[int] = field(default_factory=lambda: [0] * ERROR_BIN_COUNT)
    gaps: list[tuple[float, float]] = field(default_factory=list)  # (mean batch size, gap) per example
    largest_gap: Gap | None = None
    behaviours: dict[str, str] = field(default_factory=dict)  # bad_inputs: the worst seen per kind of bad input

    def record(self, verdict: Verdict) -> None:
        """Count one comparison (where it is counted) and keep the observation of a declaration that explained it."""
        if verdict.counted:
            self.count_error(verdict.abs_error, verdict.bound)
        if verdict.observation is not None:
            self.observations.append(verdict.observation)

    def count_error(self, error: float, bound: float) -> None:
        """Count one comparison in the error histogram, by its |difference| / tolerance."""
        ratio = 0.0 if error == 0 else (error / bound if bound > 0 else float("inf"))
        self.error_histogram[error_bin(ratio)] += 1

    def measure_gap(self, gap: float, mean_size: float, example: Example, expected: np.ndarray,
                    averaged: np.ndarray) -> None:
        """One example's per-batch-average gap (batches of ``mean_size`` samples on average)."""
        self.gaps.append((mean_size, gap))
        if self.largest_gap is None or gap > self.largest_gap.value:
            self.largest_gap = Gap(gap, example, expected, averaged, record=recording.snapshot("library"))

    def behave(self, kind: str, behaviour: str) -> None:
        """What the target did with a kind of bad input on one example: kept if worse than what it did before."""
        if kind not in self.behaviours or worse_behaviour(behaviour, self.behaviours[kind]):
            self.behaviours[kind] = behaviour

    def snapshot(self) -> tuple:
        """What :meth:`restore` puts back (runs that must leave no trace, such as a failure's reduction)."""
        return (len(self.observations), list(self.error_histogram), set(self.notes), list(self.gaps),
                self.largest_gap, dict(self.behaviours))

    def restore(self, saved: tuple) -> None:
        seen, self.error_histogram, self.notes, self.gaps, self.largest_gap, self.behaviours = saved
        del self.observations[seen:]
