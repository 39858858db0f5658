"""The per-batch-average pitfall as users meet it: the gap on realistic data sets, against the batch size.

Keras' ``compile(metrics=[fn])`` with a plain function, and Lightning's ``self.log(name, value, on_epoch=True)``
with a batch's value, report the mean of per-batch values; for a metric that is not a mean of per-sample values
(precision, F1, AUC, R², ...) that is not the data set's value. The ``batch_average_pitfall`` property measures
the gap on the small inputs Hypothesis draws (its worst case is a number of its own); this study measures it where
users meet it: for each metric that is not a mean or a sum of per-sample values and whose domain has a realistic
population (``Domain.population``, see ``conformance/populations.py``), data sets of ``samples`` (10,240: every
batch size splits it evenly, so a short last batch plays no part) at each class balance and model quality, split
into batches of 8 to 1024; each batch is scored alone, their mean compared with the value on the whole data set,
repeated on fresh seeded data sets; per metric x source x balance x quality x batch size, the median and the 95th
percentile of |gap| over the repetitions.

A *source* is the NumPy reference or a library: the gap a user meets is their library's own per-batch value
averaged (each batch scored by a metric with fresh state, run eagerly, or one function call), against its own value
on the whole data set. Which sources run, on how many repetitions and batches, is the size's (``SIZES``): the
libraries' adapters cost 10 to 150 times the reference a batch (scikit-learn's input checks ~1.5 ms, Keras' eager
updates ~10 ms), so the default size runs the reference only and ``full`` the installed libraries too.

A batch that cannot be scored alone (it raises, or its value is NaN: an AUC with one class in the batch) is left
out of the mean, and the share left out is recorded: that is what ``torch.nanmean`` or a ``try`` around the metric
gives. Keras' MeanMetricWrapper and Lightning's epoch mean average whatever the function returns: with one NaN
batch the epoch's value is NaN, and an exception ends ``fit()``. Where a source returns 0 instead (a zero-division
convention: the reference's default for a recall with no positive, torchmetrics' AUROC with one class), that 0 is
averaged in, as it is for its users.

At batch sizes where an epoch has more batches than a source scores (enough to hold ``Scoring.samples``, at least
``MIN_BATCHES``), the mean of that many batches drawn at random (without replacement) estimates the epoch's mean:
unbiased, with its standard error recorded (``sampling_error``: the values' spread over the batches scored, with
the finite-population correction). Against every batch scored (9 metrics, 3 balances, 2 qualities, batch sizes 8
to 128, 5 repetitions) the standard size's medians lie within 2 standard errors in 238 of 242 cells, and gaps
above 0.02 within 0.73 to 1.31 times the exact ones (10th to 90th percentile); a smaller gap reads larger, the
estimate's noise. Every source of a metric sees the same data sets and the same batches, so their gaps compare.
"""

from __future__ import annotations

import time
import warnings
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from conformance.catalogue import CATALOGUE, MetricSpec
from conformance.data import Batch

REFERENCE = "reference"
SAMPLES = 10_240  # 10 x 1024: every batch size splits it evenly
BATCH_SIZES = tuple(2**k for k in range(3, 11))  # 8 .. 1024
BALANCES = (0.5, 0.1, 0.01)  # the share outside the majority class: 50/50, 10/90, 1/99
QUALITIES = (0.6, 0.8, 0.95)  # the model's ROC AUC (classification) or correlation with the target (regression)


MIN_BATCHES = 24  # a sampled epoch scores at least this many batches


@dataclass(frozen=True)
class Scoring:
    """How one source is measured: on how many repetitions (data sets), and how many samples the batches scored at
    each batch size hold at least (None: every batch of the epoch)."""

    repetitions: int
    samples: int | None

    def batches(self, batch_size: int) -> int | None:
        """How many batches of an epoch in batches of ``batch_size`` are scored (None: every one): enough to hold
        ``samples``, at least MIN_BATCHES."""
        return None if self.samples is None else max(MIN_BATCHES, -(-self.samples // batch_size))


@dataclass(frozen=True)
class StudySize:
    """How much of the study runs: the sources measured (a library not named does not run) and how."""

    name: str
    sources: Mapping[str, Scoring]
    samples: int = SAMPLES
    batch_sizes: tuple[int, ...] = BATCH_SIZES
    balances: tuple[float, ...] = BALANCES
    qualities: tuple[float, ...] = QUALITIES

    def to_json(self) -> dict[str, Any]:
        return {"size": self.name, "samples": self.samples, "batch_sizes": list(self.batch_sizes),
                "balances": list(self.balances), "qualities": list(self.qualities), "min_batches": MIN_BATCHES,
                "sources": {source: {"repetitions": how.repetitions, "scored_samples": how.samples}
                            for source, how in self.sources.items()}}


SIZES = {
    # The suites: a few metrics, in seconds.
    "quick": StudySize("quick", {REFERENCE: Scoring(repetitions=3, samples=512)}),
    # The default run (make report): every metric, through the reference, in about a minute of CPU.
    "standard": StudySize("standard", {REFERENCE: Scoring(repetitions=3, samples=768)}),
    # Every batch for the reference, and each installed library's own per-batch values: their adapters cost 10 to
    # 150 times the reference a batch (Keras' eager updates ~10 ms), so fewer batches and repetitions for them.
    "full": StudySize("full", {REFERENCE: Scoring(repetitions=5, samples=None),
                               "sklearn": Scoring(repetitions=3, samples=1024),
                               "torchmetrics": Scoring(repetitions=3, samples=1024),
                               "keras": Scoring(repetitions=1, samples=256)}),
}
DEFAULT_SIZE = "standard"


def left_out_reason(spec: MetricSpec) -> str | None:
    """Why the study leaves ``spec`` out, or None where it measures it."""
    if spec.decomposition == "mean":
        return "a mean of per-sample values: the per-batch mean, weighted by batch size, is exact"
    if spec.decomposition == "sum":
        return ("a sum of per-sample values: the per-batch mean is the total divided by the number of batches, "
                "whatever the data")
    if spec.domain.population is None:
        return f"no realistic population for {spec.domain.name} data"
    return None


@dataclass(frozen=True)
class Unit:
    """One metric measured through one source."""

    metric: str
    source: str


def plan(cases: Iterable[tuple[str, str]], size: StudySize) -> tuple[list[Unit], dict[str, str]]:
    """The units for ``cases`` (metric id, library: the run's batch_average_pitfall cases), and the metrics left out
    with why. Each metric measured runs through the reference and through each library of ``cases`` the size runs."""
    specs = {spec.id: spec for spec in CATALOGUE}
    units, left_out = [], {}
    for metric, library in cases:
        reason = left_out_reason(specs[metric])
        if reason:
            left_out[metric] = reason
            continue
        for source in (REFERENCE, library):
            if source in size.sources and Unit(metric, source) not in units:
                units.append(Unit(metric, source))
    return units, left_out


def balance_label(balance: float | None) -> str:
    """0.1 as ``10/90``; None (regression) as ``—``."""
    if balance is None:
        return "—"
    minority = f"{100 * balance:.3g}"
    return f"{minority}/{100 - float(minority):.3g}"


# -- scoring one batch ------------------------------------------------------------------------

def scorer(spec: MetricSpec, source: str) -> Callable[[Batch], np.ndarray]:
    """The source's value on one batch alone (may raise): the reference, a library's function, or a library's
    metric object with fresh state (one object per number of classes, reset before each batch, run eagerly)."""
    if source == REFERENCE:
        return spec.reference_value
    from conformance.adapters import get_adapter

    adapter, binding = get_adapter(source), spec.bindings[source]
    if not adapter.stateful:
        return lambda batch: np.asarray(adapter.compute(binding, spec.params, batch), np.float64)
    objects: dict[int | None, Any] = {}

    def value(batch: Batch) -> np.ndarray:
        metric = objects.pop(batch.num_classes, None) or adapter.create(binding, spec.params, batch.num_classes,
                                                                      mode="eager")
        metric.reset()
        metric.update(batch)
        result = np.asarray(metric.result(), np.float64)
        objects[batch.num_classes] = metric  # kept only when it did not raise: an update that raised may leave state
        return result
    return value


def _value(score: Callable[[Batch], np.ndarray], batch: Batch) -> np.ndarray | None:
    """The batch's value, or None where it cannot be scored alone (raises, or NaN)."""
    try:
        value = np.asarray(score(batch), np.float64)
    except Exception:  # e.g. one class only: left out, as a try around the metric would
        return None
    return None if np.isnan(value).any() else value


# -- measuring one unit -----------------------------------------------------------------------

def _seed(*parts: Any) -> list[int]:
    """A seed sequence from stable parts (names hashed with crc32, so every process and run draws the same)."""
    return [zlib.crc32(str(part).encode()) for part in parts]


@dataclass
class Cell:
    """The repetitions of one balance x quality x batch size."""

    gaps: list[float] = field(default_factory=list)
    unscored: list[float] = field(default_factory=list)  # share of the scored batches left out, per repetition
    sampling: list[float] = field(default_factory=list)  # the sampled epoch mean's standard error, per repetition
    scored: int = 0  # batches scored per repetition
    batches: int = 0  # batches an epoch has


def measure(spec: MetricSpec, source: str, size: StudySize, seed: int = 0) -> dict[str, Any]:
    """The rows of ``spec`` through ``source`` (a dict per balance x quality x batch size), and the repetitions that
    could not be measured (the whole data set's value raised or was not finite) with why."""
    population, unit = spec.domain.population, Unit(spec.id, source)
    score, scoring = scorer(spec, source), size.sources[source]
    weighted = spec if spec.decomposition == "mean" else None  # MeanMetricWrapper weighs per-sample values by count
    rows, skipped = [], []
    balances = size.balances if population.balanced else (None,)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")  # zero-division and constant-input warnings: the batches are meant to hit them
        for balance in balances:
            for quality in size.qualities:
                cells = {batch_size: Cell() for batch_size in size.batch_sizes}
                for repetition in range(scoring.repetitions):
                    key = (seed, population.name, balance, quality, repetition)
                    data = population.draw(np.random.default_rng(_seed(*key)), size.samples,
                                           0.5 if balance is None else balance, quality)
                    whole = _value(score, data)
                    if whole is None or not np.isfinite(whole).all():
                        skipped.append(f"{balance_label(balance)}, quality {quality}, repetition {repetition}: the "
                                       "whole data set's value is undefined")
                        continue
                    for batch_size, cell in cells.items():
                        _epoch(cell, data, whole, batch_size, scoring.batches(batch_size), score, weighted,
                               np.random.default_rng(_seed(*key, batch_size)))
                rows += [_row(unit, balance, quality, batch_size, cell) for batch_size, cell in cells.items()
                         if cell.gaps]
    return {"rows": rows, "skipped": skipped}


def _epoch(cell: Cell, data: Batch, whole: np.ndarray, batch_size: int, limit: int | None,
           score: Callable[[Batch], np.ndarray], weighted: MetricSpec | None, rng: np.random.Generator) -> None:
    """One epoch of ``data`` (in random order) in batches of ``batch_size``: the gap between the mean of per-batch
    values and the value on the whole data set.

    Where the epoch has more than ``limit`` batches, the mean of ``limit`` of them drawn at random (without
    replacement) estimates the epoch's mean: unbiased, with a standard error recorded."""
    count = len(data) // batch_size
    sampled = limit is not None and count > limit
    chosen = np.sort(rng.choice(count, limit, replace=False)) if sampled else np.arange(count)
    values, weights = [], []
    for index in chosen:
        batch = _slice(data, index * batch_size, (index + 1) * batch_size)
        value = _value(score, batch)
        if value is not None:
            values.append(value)
            weights.append(weighted.samples_counted(batch) if weighted else 1)
    cell.scored, cell.batches = len(chosen), count
    cell.unscored.append(1 - len(values) / len(chosen))
    if not values or not sum(weights):
        return  # no batch could be scored alone: there is no mean to compare
    stacked = np.stack(values)
    mean = np.average(stacked, axis=0, weights=np.asarray(weights, np.float64))
    cell.gaps.append(float(np.max(np.abs(mean - whole))))
    # The estimate's standard error: the values' spread over the batches scored, with the finite-population
    # correction; 0 where every batch was scored, unknown (not recorded) where a single batch could be scored.
    if not sampled:
        cell.sampling.append(0.0)
    elif len(values) > 1:
        spread = float(np.max(np.std(stacked, axis=0, ddof=1)))
        cell.sampling.append(spread / np.sqrt(len(values)) * np.sqrt(1 - len(chosen) / count))


def _slice(data: Batch, start: int = 0, stop: int = 0, rows: np.ndarray | None = None) -> Batch:
    """Samples ``start:stop`` (or ``rows``) of ``data``: a view, without the weights the study does not use."""
    index = slice(start, stop) if rows is None else rows
    return Batch(data.y_true[index], data.y_pred[index], None, data.num_classes)


def _row(unit: Unit, balance: float | None, quality: float, batch_size: int, cell: Cell) -> dict[str, Any]:
    gaps = np.asarray(cell.gaps)
    return {"metric": unit.metric, "source": unit.source, "balance": balance, "quality": quality,
            "batch_size": batch_size, "median": float(np.median(gaps)), "p95": float(np.percentile(gaps, 95)),
            "repetitions": len(gaps), "batches": cell.batches, "scored_batches": cell.scored,
            "unscored": float(np.mean(cell.unscored)),
            "sampling_error": float(np.median(cell.sampling)) if cell.sampling else None}


# -- the whole study --------------------------------------------------------------------------

def run_study(cases: Iterable[tuple[str, str]], size: str | StudySize = DEFAULT_SIZE, seed: int | None = None,
              jobs: int = 1) -> dict[str, Any]:
    """The study for ``cases`` (metric id, library pairs) at ``size`` (a name of SIZES, or a StudySize), as the
    results JSON's ``pitfall_study``.

    Deterministic for a seed (None: 0). ``jobs`` processes measure the units (a metric through one source) in
    parallel; the rows come back in the units' order whatever the number of processes. Ctrl-C keeps the units
    done (``interrupted``)."""
    size = SIZES[size] if isinstance(size, str) else size
    seed = 0 if seed is None else seed
    units, left_out = plan(cases, size)
    started = time.perf_counter()
    study = {**size.to_json(), "seed": seed, "duration_s": 0.0, "cpu_s": 0.0, "interrupted": False, "rows": [],
             "left_out": left_out, "errors": {}, "skipped": {}}
    done: dict[int, dict[str, Any]] = {}
    try:
        for index, measured in _measured(units, size, seed, jobs):
            done[index] = measured
    except KeyboardInterrupt:
        study["interrupted"] = True
    for index in sorted(done):
        label, measured = f"{units[index].metric} · {units[index].source}", done[index]
        if "error" in measured:
            study["errors"][label] = measured["error"]
            continue
        study["rows"] += measured["rows"]
        study["cpu_s"] += measured["cpu_s"]
        if measured["skipped"]:
            study["skipped"][label] = measured["skipped"]
    study["duration_s"], study["cpu_s"] = round(time.perf_counter() - started, 3), round(study["cpu_s"], 3)
    return study


def _measure_safely(unit: Unit, size: StudySize, seed: int) -> dict[str, Any]:
    """``measure``, a failure of the unit (a library that cannot be built for it) kept as its error."""
    started = time.process_time()
    spec = next(spec for spec in CATALOGUE if spec.id == unit.metric)
    try:
        return {**measure(spec, unit.source, size, seed), "cpu_s": time.process_time() - started}
    except Exception as error:
        return {"error": f"{type(error).__name__}: {str(error).splitlines()[0] if str(error) else ''}"[:300]}


def _measured(units: list[Unit], size: StudySize, seed: int, jobs: int):
    """``(index, measured)`` for each unit, as they finish."""
    if jobs <= 1 or len(units) <= 1:
        for index, unit in enumerate(units):
            yield index, _measure_safely(unit, size, seed)
        return
    import multiprocessing
    from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait

    # spawn, as the engine's workers: TensorFlow and PyTorch keep threads that a fork would copy half-alive.
    executor = ProcessPoolExecutor(min(jobs, len(units)), mp_context=multiprocessing.get_context("spawn"),
                                   initializer=_worker_start)
    try:
        # The slow sources first (libraries' adapters), so that they do not start last and leave workers idle.
        order = sorted(range(len(units)), key=lambda i: units[i].source == REFERENCE)
        pending = {executor.submit(_measure_safely, units[i], size, seed): i for i in order}
        while pending:
            finished, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in finished:
                index, error = pending.pop(future), future.exception()
                # A worker that died (killed, out of memory) loses its unit only.
                yield index, ({"error": f"the worker failed: {type(error).__name__}: {error}"[:300]} if error
                              else future.result())
    finally:
        executor.shutdown(wait=False, cancel_futures=True)


def _worker_start() -> None:
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's to handle: it keeps what is done


# -- reading the study back -------------------------------------------------------------------

def rows_by_metric(study: Mapping[str, Any] | None) -> dict[str, dict[str, list[dict[str, Any]]]]:
    """The study's rows per metric and source, metrics in the study's order."""
    grouped: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for row in (study or {}).get("rows", []):
        grouped.setdefault(row["metric"], {}).setdefault(row["source"], []).append(row)
    return grouped


def merge_studies(studies: list[Mapping[str, Any]]) -> dict[str, Any] | None:
    """One study from several results' (CI shards): rows by metric x source x balance x quality x batch size, the
    first kept; settings from the first."""
    studies = [s for s in studies if s]
    if not studies:
        return None
    merged = {**studies[0], "rows": [], "left_out": {}, "errors": {}, "skipped": {},
              "duration_s": round(sum(s.get("duration_s", 0.0) for s in studies), 3),
              "cpu_s": round(sum(s.get("cpu_s", 0.0) for s in studies), 3),
              "interrupted": any(s.get("interrupted") for s in studies)}
    seen = set()
    for study in studies:
        for row in study.get("rows", []):
            key = (row["metric"], row["source"], row["balance"], row["quality"], row["batch_size"])
            if key not in seen:
                seen.add(key)
                merged["rows"].append(row)
        for name in ("left_out", "errors", "skipped"):
            merged[name].update(study.get(name) or {})
    return merged
