"""Running the subject: building (or reusing) its metric objects, feeding them batches, reading their values. A
library exception becomes what ``on_error`` makes of it (the judge's: an error a declaration documents, or a
LibraryError): never a crash of the harness."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from conformance import recording
from conformance.data import Batch, Example
from conformance.subject import Subject

PoolKey = tuple[int | None, tuple[str, ...] | None, tuple]


class Runner:
    """Runs one case's subject.

    ``pool``: one metric object per (classes, layout, drawn parameters), reset between uses, rather than a new one per
    example: construction costs as much as several updates, and a compiled update is traced per object. Only for
    library metrics, whose reset the reset property verifies; the engine shares one pool between the properties of a
    metric x library. None: always a new object (a user's metric, whose broken reset would otherwise spill into
    every property). ``mode``: the execution mode of updates (None: the adapter's default); pooled objects are kept
    per mode, and a mode asked of one call other than the runner's gets a new object."""

    def __init__(self, subject: Subject, *, on_error: Callable[[str, Example, list[Batch] | None], Exception],
                 pool: dict[PoolKey, Any] | None = None, mode: str | None = None):
        self.subject, self.on_error, self.pool, self.mode = subject, on_error, pool, mode

    def guarded(self, example: Example, call: Callable[[], np.ndarray], *, side: str | None = None,
                batches: list[Batch] | None = None) -> np.ndarray:
        """``call()``'s value as float64; a library exception raises what ``on_error`` makes of it, read on
        ``batches`` (the data ``call`` feeds, where that is not the example's own: a declaration's trigger is read on
        the data that raised). ``side``: the label of the calls it makes (one side of a comparison, see
        conformance.recording)."""
        try:
            with recording.side(side):
                return np.asarray(call(), dtype=np.float64)
        except Exception as error:  # any library exception is an outcome, never a crash
            raise self.on_error(f"{type(error).__name__}: {error}", example, batches) from error

    def compute(self, batch: Batch, layout: tuple[str, ...] | None = None, *, side: str | None = None) -> np.ndarray:
        """The library's value on ``batch`` in one call (one update of a metric object); may raise."""
        subject = self.subject
        with recording.side(side):
            if not subject.adapter.stateful:
                return subject.adapter.compute(subject.binding, subject.spec.params, batch, layout)
            metric = self.new_metric([batch], layout)
            try:
                metric.update(batch)
                return metric.result()
            except Exception:
                self.discard(metric)
                raise

    def whole(self, batch: Batch, example: Example, layout: tuple[str, ...] | None = None, *,
              side: str | None = None) -> np.ndarray:
        """The library's value on ``batch`` in one call; an exception becomes a finding."""
        return self.guarded(example, lambda: self.compute(batch, layout), side=side)

    def stream(self, batches: list[Batch], example: Example, *, layout: tuple[str, ...] | None = None,
               result_between: bool = False, mode: str | None = None, side: str | None = None) -> np.ndarray:
        """The library's accumulated value after one update per batch (in ``mode``: default the runner's)."""
        def run() -> np.ndarray:
            metric = self.new_metric(batches, layout, mode)
            try:
                for batch in batches:
                    metric.update(batch)
                    if result_between:
                        metric.result()
                return metric.result()
            except Exception:
                self.discard(metric)  # an object whose update raised midway is not reused: reset may not undo it
                raise
        return self.guarded(example, run, side=side)

    def new_metric(self, batches: list[Batch], layout: tuple[str, ...] | None = None, mode: str | None = None):
        """A metric with empty state: a new object, or the pooled one after ``reset()``."""
        subject, explicit, mode = self.subject, mode, mode or self.mode
        if self.pool is None or (explicit is not None and explicit != self.mode):
            return subject.adapter.create(subject.binding, subject.spec.params, batches[0].num_classes, layout, mode)
        # One object per combination (the dtypes a presentation casts to, and sets the metric up for, among them).
        key = (batches[0].num_classes, layout, tuple(subject.parameters.items()), subject.binding.dtypes, mode)
        metric = self.pool.pop(key, None)
        if metric is not None:
            with recording.paused():  # a pooled object is a new metric to the script: made there, not reset
                metric.reset()
            recording.renew(metric.metric)
        else:
            metric = subject.adapter.create(subject.binding, subject.spec.params, batches[0].num_classes, layout,
                                            mode)
        self.pool[key] = metric  # put back only once reset (or built) without raising
        return metric

    def new_object(self, batches: list[Batch]) -> Any:
        """A new metric object of the library's own API, for these batches' classes (a property that drives its
        forward(), merge_state or get_config wraps it with ``adapter.wrap``)."""
        subject = self.subject
        return subject.adapter.new_object(subject.binding, batches[0].num_classes if batches else None)

    def discard(self, metric: Any) -> None:
        """Take ``metric`` out of the pool (if it is there)."""
        if self.pool:
            for key in [key for key, pooled in self.pool.items() if pooled is metric]:
                del self.pool[key]
