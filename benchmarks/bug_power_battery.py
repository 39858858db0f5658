"""bug_power's battery: hand-written edge inputs and seeded NumPy draws, fed to the libraries' own metrics.

The battery is how benchmarks/bug_power.py judges a mutant *equivalent*, independently of the harness under test:
none of the harness's Hypothesis strategies, profiles or properties is used. Only the adapters present the inputs
to each library (one-hot targets, argmax or thresholded predictions, queries, label maps), as every user of the
binding's API would. For each catalogue spec bound to the library, every *cell* is evaluated:

- every combination of the spec's drawn parameter values for that library (``MetricSpec.space``);
- each input of the spec's domain (``domain_inputs``): ties, one class only, an absent class, all-equal scores,
  exact 0/1 scores (right and inverted), scores at and one float32 step either side of the thresholds, a single
  sample, constant targets, zeros, large magnitudes, ... and seeded random draws of 5, 16 and 41 samples;
- each weighting the binding takes: none, integer weights with zeros, fractional weights with a zero, all-zero
  weights, and for Keras fractional weights as ``(n, 1)`` and one number per update (its weight layouts);
- each feed: the whole data in one update and in three uneven updates (a stateful library), and for the first
  inputs an empty update first, an update of other data undone by ``reset()``, and Keras' other ``(y_true,
  y_pred)`` layout.

A cell's outcome is the value the library returns (float64) or the type of the exception it raises. Two outcomes
agree when both raise the same type, or both give values of one shape whose NaNs and infinities sit in the same
places and whose other entries agree within 1e-6 relative (a few float32 rounding steps) or 1e-9 absolute.

Run as a script (by bug_power, in a process whose ``PYTHONPATH`` puts a mutated copy of the library first):

    python benchmarks/bug_power_battery.py LIBRARY SPEC_ID... --out OUT.json [--against ORIGINAL.json] [--trace]

``--against``: stop each spec at its first cell that differs from the original's outcomes (and record it).
``--trace``: record which lines of the library's files each spec executes (``sys.settrace``, function frames only),
as bug_power's map from target files to the specs that reach them.
"""

from __future__ import annotations

import argparse
import contextlib
import itertools
import json
import signal
import sys
import warnings
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

F32 = np.float32
RANDOM_SIZES = (5, 16, 41)
RELATIVE, ABSOLUTE = 1e-6, 1e-9
CELL_SECONDS = 30  # an evaluation that runs longer (a mutant that loops) is the outcome "Timeout"
EXTRA_FEED_INPUTS = 2  # the first inputs also get the empty-first, reset and other-layout feeds


# -- inputs ------------------------------------------------------------------------------------------

def _batch(y_true: Any, y_pred: Any, num_classes: int | None = None):
    """Integer labels with float32 scores, in the canonical form of conformance.data."""
    from conformance.data import Batch

    return Batch(np.asarray(y_true, np.int64), np.asarray(y_pred, F32), None, num_classes)


def _rng(domain: str, index: int) -> np.random.Generator:
    return np.random.default_rng([zlib.crc32(domain.encode()), index])


def _scores(kind: str, unit: np.ndarray) -> np.ndarray:
    """Unit-interval scores as the domain's kind: probabilities as they are, logits over [-4, 4] (0.5 -> 0),
    margins over [-2, 2] (0.25, 0.5, 0.75 -> the hinge corners -1, 0, 1)."""
    unit = np.asarray(unit, F32)
    return {"unit": unit, "logit": unit * F32(8) - F32(4), "margin": unit * F32(4) - F32(2)}[kind].astype(F32)


def _binary(domain: str, kind: str) -> list[tuple[str, Any]]:
    up, down = float(np.nextafter(F32(0.5), F32(1))), float(np.nextafter(F32(0.5), F32(0)))
    fixed = [
        ("ties", [0, 1, 1, 0, 1, 0, 1], [0.5, 0.5, 0.25, 0.25, 0.75, 0.75, 0.5]),
        ("one class (all 0)", [0, 0, 0, 0], [0.125, 0.625, 0.5, 0.875]),
        ("one class (all 1)", [1, 1, 1], [0.25, 0.5, 0.6875]),
        ("all-equal scores", [0, 1, 0, 1, 1], [0.375] * 5),
        ("exact 0/1 scores", [0, 1, 1, 0, 1], [0.0, 1.0, 1.0, 0.0, 1.0]),
        ("inverted 0/1 scores", [0, 1, 1, 0], [1.0, 0.0, 0.0, 1.0]),
        ("threshold edges", [1, 0, 1, 0, 1, 0, 1, 0],
         [0.5, 0.5, up, down, 0.25, 0.75, float(np.nextafter(F32(0.25), F32(1))),
          float(np.nextafter(F32(0.75), F32(0)))]),
        ("single sample", [1], [0.6875]),
    ]
    inputs = [(name, _batch(y, _scores(kind, s))) for name, y, s in fixed]
    for index, n in enumerate(RANDOM_SIZES):
        rng = _rng(domain, index)
        y = rng.integers(0, 2, n)
        y[:2] = (0, 1)
        grid = rng.integers(0, 33, n) / 32  # ties among the draws
        unit = np.where(rng.random(n) < 0.5, grid, rng.random(n))
        inputs.append((f"random n={n}", _batch(y, _scores(kind, unit))))
    return inputs


def _rows(kind: str, unit: np.ndarray) -> np.ndarray:
    """Rows of class scores as the domain's kind: probabilities (each row over its sum), logits, or unit scores."""
    unit = np.asarray(unit, F32)
    if kind == "probabilities":
        sums = unit.sum(axis=1, keepdims=True, dtype=F32)
        return np.where(sums > 0, unit / np.where(sums > 0, sums, F32(1)), F32(1) / F32(unit.shape[1])).astype(F32)
    return _scores("logit" if kind == "logit" else "unit", unit)


def _multiclass(domain: str, kind: str, classes: tuple[int, ...]) -> list[tuple[str, Any]]:
    low, mid, high = classes
    inputs = []

    def add(name: str, y: Any, unit: Any, num_classes: int) -> None:
        inputs.append((name, _batch(y, _rows(kind, np.asarray(unit, F32)), num_classes)))

    c = mid
    add("ties", [0, 1, 2 % c, 1, 0], [[0.5] * c, [0.25, 0.25] + [0.5] * (c - 2), [0.5, 0.5] + [0.0] * (c - 2),
                                      [0.0] + [0.5] * (c - 1), [0.75, 0.75] + [0.25] * (c - 2)], c)
    add("one class", [0, 0, 0, 0], _rng(domain, 90).random((4, c)), c)
    add("absent classes", [0, 1, 0, 1, 1], _rng(domain, 91).random((5, high)), high)
    add("exact one-hot", [i % c for i in range(6)], np.eye(c)[[i % c for i in range(6)]], c)
    add("inverted one-hot", [i % c for i in range(6)], np.eye(c)[[(i + 1) % c for i in range(6)]], c)
    add("all-equal rows", [0, 1, 2 % c, 1], np.full((4, c), 0.25), c)
    add("single sample", [1], [[0.125] + [0.5] * (c - 1)], c)
    add(f"{low} classes", [0, 1, 1, 0, low - 1], _rng(domain, 92).random((5, low)), low)
    for index, n in enumerate(RANDOM_SIZES):
        rng = _rng(domain, index)
        c = (low, mid, high)[index]
        y = rng.integers(0, c, n)
        y[:c] = np.arange(c) if n >= c else y[:c]
        unit = np.where(rng.random((n, c)) < 0.5, rng.integers(0, 17, (n, c)) / 16, rng.random((n, c)))
        add(f"random n={n} C={c}", y, unit, c)
    return inputs


def _multilabel(domain: str, kind: str) -> list[tuple[str, Any]]:
    def add(name: str, y: Any, unit: Any) -> None:
        y = np.asarray(y, np.int64)
        inputs.append((name, _batch(y, _scores(kind, np.asarray(unit, F32)), y.shape[1])))

    inputs: list[tuple[str, Any]] = []
    add("ties", [[1, 0, 1], [0, 1, 1], [1, 1, 0], [0, 0, 1]],
        [[0.5, 0.5, 0.5], [0.25, 0.25, 0.75], [0.75, 0.5, 0.5], [0.5, 0.25, 0.25]])
    add("a label never positive", [[1, 0, 1], [0, 0, 1], [1, 0, 0]], _rng(domain, 90).random((3, 3)))
    add("every label positive", [[1, 1], [1, 1], [1, 1]], [[0.25, 0.75], [0.5, 0.5], [0.875, 0.125]])
    add("no label positive", [[0, 0, 0], [0, 0, 0]], [[0.25, 0.75, 0.5], [0.5, 0.0, 1.0]])
    add("exact 0/1 scores", [[1, 0], [0, 1], [1, 1], [0, 0]], [[1, 0], [0, 1], [1, 1], [0, 0]])
    add("inverted 0/1 scores", [[1, 0, 0], [0, 1, 1]], [[0, 1, 1], [1, 0, 0]])
    add("all-equal scores", [[1, 0, 1, 0], [0, 1, 1, 0], [1, 1, 0, 0]], np.full((3, 4), 0.375))
    add("single sample", [[0, 1, 1]], [[0.25, 0.5, 0.75]])
    for index, n in enumerate(RANDOM_SIZES):
        rng = _rng(domain, index)
        labels = (2, 3, 4)[index]
        y = rng.integers(0, 2, (n, labels))
        unit = np.where(rng.random((n, labels)) < 0.5, rng.integers(0, 9, (n, labels)) / 8, rng.random((n, labels)))
        add(f"random n={n} L={labels}", y, unit)
    return inputs


def _label_pairs(domain: str) -> list[tuple[str, Any]]:
    from conformance.data import Batch

    def add(name: str, y: Any, p: Any, c: int) -> None:
        inputs.append((name, Batch(np.asarray(y, np.int64), np.asarray(p, np.int64), None, c)))

    inputs: list[tuple[str, Any]] = []
    add("exact", [0, 1, 2, 1], [0, 1, 2, 1], 3)
    add("all wrong", [0, 1, 2, 1], [1, 2, 0, 0], 3)
    add("one class", [1, 1, 1], [1, 0, 1], 2)
    add("absent classes", [0, 1, 0], [1, 1, 0], 4)
    add("single sample", [2], [1], 3)
    for index, n in enumerate(RANDOM_SIZES):
        rng = _rng(domain, index)
        c = (2, 3, 5)[index]
        add(f"random n={n} C={c}", rng.integers(0, c, n), rng.integers(0, c, n), c)
    return inputs


def _real(domain: str, shape_of: Callable[[int], tuple[int, ...]], low: float, high: float,
          fixed: list[tuple[str, Any, Any]], same: bool = False) -> list[tuple[str, Any]]:
    from conformance.data import Batch

    def add(name: str, y: Any, p: Any) -> None:
        y, p = np.asarray(y, F32), np.asarray(p, F32)
        inputs.append((name, Batch(y, p, None, y.shape[1] if y.ndim == 2 else None)))

    inputs: list[tuple[str, Any]] = []
    for name, y, p in fixed:
        add(name, y, p)
    for index, n in enumerate(RANDOM_SIZES):
        rng = _rng(domain, index)
        shape = (n, *shape_of(index))
        y = rng.uniform(low, high, shape)
        y = np.where(rng.random(shape) < 0.25, np.round(y), y)  # ties and integers among the draws
        p = y.copy() if same else np.where(rng.random(shape) < 0.2, y, rng.uniform(low, high, shape))
        add(f"random n={n}", y, p)
    return inputs


def _regression(domain: str) -> list[tuple[str, Any]]:
    return _real(domain, lambda index: (), -10.0, 10.0, [
        ("constant target", [2.0, 2.0, 2.0, 2.0], [1.0, 2.5, 2.0, 3.0]),
        ("exact predictions", [1.5, -2.0, 3.0, 0.0], [1.5, -2.0, 3.0, 0.0]),
        ("ties", [1.0, 1.0, 2.0, 2.0, 3.0], [1.0, 2.0, 2.0, 1.0, 3.0]),
        ("zero targets", [0.0, 0.0, 1.0, -1.0], [0.5, 0.0, 1.0, -2.0]),
        ("negative values", [-3.0, -1.0, -2.0], [-2.5, -1.5, 0.5]),
        ("large magnitude", [1e6, 2e6, -3e6], [1.5e6, 2e6, -2e6]),
        ("single sample", [3.0], [2.0]),
    ])


def _multi_output(domain: str) -> list[tuple[str, Any]]:
    return _real(domain, lambda index: ((2, 3, 4)[index],), -10.0, 10.0, [
        ("a constant output", [[1.0, 2.0], [1.0, 3.0], [1.0, -1.0]], [[0.5, 2.0], [1.0, 2.5], [2.0, -1.0]]),
        ("exact predictions", [[1.0, 2.0, 0.0], [3.0, -1.0, 2.0]], [[1.0, 2.0, 0.0], [3.0, -1.0, 2.0]]),
        ("ties", [[1.0, 1.0], [1.0, 1.0], [2.0, 2.0]], [[1.0, 2.0], [2.0, 1.0], [2.0, 2.0]]),
        ("zero rows", [[0.0, 0.0, 0.0], [1.0, 2.0, 3.0]], [[0.0, 0.0, 0.0], [0.0, 0.0, 0.0]]),
        ("single sample", [[1.0, -2.0, 0.5]], [[0.5, -1.0, 0.5]]),
    ])


def _non_negative(domain: str, *, zero_targets: bool, zero_predictions: bool, minus_one: bool = False,
                  same: bool = False) -> list[tuple[str, Any]]:
    zt, zp = (0.0 if zero_targets else 0.5), (0.0 if zero_predictions else 0.25)
    fixed = [
        ("zeros", [zt, zt, 1.0, 2.0], [zp, 1.0, zp, 2.0]),
        ("exact predictions", [1.0, 3.0, 0.5], [1.0, 3.0, 0.5]),
        ("ties", [1.0, 1.0, 2.0, 2.0], [2.0, 1.0, 1.0, 2.0]),
        ("large magnitude", [1e6, 5e5, 2.0], [2e6, 5e5, 1.0]),
        ("single sample", [2.0], [3.0]),
    ]
    if minus_one:
        fixed.append(("just above -1", [-0.5, -0.75, 0.0], [-0.25, 0.0, -0.875]))
    if same:
        fixed = [(name, y, list(y)) for name, y, _ in fixed]
    return _real(domain, lambda index: (), 0.25 if not (zero_targets and zero_predictions) else 0.0, 20.0, fixed,
                 same=same)


def _distributions(domain: str) -> list[tuple[str, Any]]:
    rows = [[0.5, 0.5, 0.0], [0.25, 0.25, 0.5], [1.0, 0.0, 0.0], [0.0, 0.0, 1.0]]
    fixed = [
        ("identical", rows, rows),
        ("zeros against mass", [[1.0, 0.0], [0.0, 1.0]], [[0.5, 0.5], [0.25, 0.75]]),
        ("mass against zeros", [[0.5, 0.5], [0.25, 0.75]], [[1.0, 0.0], [0.0, 1.0]]),
        ("single sample", [[0.25, 0.75, 0.0]], [[0.5, 0.25, 0.25]]),
    ]
    inputs = _real(domain, lambda index: (), 0.0, 1.0, fixed)[:len(fixed)]
    from conformance.data import Batch

    for index, n in enumerate(RANDOM_SIZES):
        rng = _rng(domain, index)
        c = (2, 3, 5)[index]
        counts = rng.integers(0, 6, (2, n, c)).astype(F32)
        counts[..., 0] += 1
        y, p = (counts / counts.sum(axis=2, keepdims=True, dtype=F32)).astype(F32)
        inputs.append((f"random n={n} C={c}", Batch(y, p, None, c)))
    return inputs


def _relevance(domain: str, max_grade: int = 3) -> list[tuple[str, Any]]:
    from conformance.data import Batch

    def add(name: str, y: Any, s: Any) -> None:
        y = np.minimum(np.asarray(y, np.int64), max_grade)  # binary relevance: every grade above 0 is relevant
        inputs.append((name, Batch(y, np.asarray(s, F32), None, y.shape[1])))

    inputs: list[tuple[str, Any]] = []
    add("ties", [[3, 0, 1], [0, 2, 2]], [[0.5, 0.5, 0.25], [0.75, 0.75, 0.75]])
    add("a query with none relevant", [[0, 0, 0], [1, 0, 2]], [[0.25, 0.5, 0.75], [0.5, 0.25, 0.0]])
    add("exact order", [[3, 2, 1, 0]], [[1.0, 0.75, 0.5, 0.25]])
    add("inverted order", [[3, 2, 1, 0]], [[0.25, 0.5, 0.75, 1.0]])
    add("binary relevance", [[1, 0], [0, 1], [1, 1]], [[0.5, 0.25], [0.5, 0.75], [0.0, 1.0]])
    for index, n in enumerate(RANDOM_SIZES):
        rng = _rng(domain, index)
        documents = (2, 3, 5)[index]
        add(f"random n={n}", rng.integers(0, 4, (n, documents)) * (rng.random((n, 1)) < 0.8),
            rng.integers(0, 9, (n, documents)) / 8)
    return inputs


def _segmentation(domain: str) -> list[tuple[str, Any]]:
    from conformance.data import Batch

    def add(name: str, y: Any, p: Any, c: int) -> None:
        inputs.append((name, Batch(np.asarray(y, np.int64), np.asarray(p, np.int64), None, c)))

    inputs: list[tuple[str, Any]] = []
    maps = np.array([[[0, 1], [1, 2]], [[2, 2], [0, 0]]])
    add("exact maps", maps, maps, 3)
    add("one class", np.zeros((2, 2, 2)), maps % 2, 2)
    add("absent classes", maps % 2, (maps + 1) % 2, 4)
    add("single pixel", [[[1]]], [[[0]]], 2)
    for index, n in enumerate(RANDOM_SIZES):
        rng = _rng(domain, index)
        c = (2, 3, 4)[index]
        y = rng.integers(0, c, (n, 2, 3))
        add(f"random n={n} C={c}", y, np.where(rng.random(y.shape) < 0.6, y, rng.integers(0, c, y.shape)), c)
    return inputs


DOMAIN_INPUTS: dict[str, Callable[[str], list[tuple[str, Any]]]] = {
    "binary": lambda d: _binary(d, "unit") + _binary(d + " logits", "logit")[-1:],
    "binary-ranked": lambda d: _binary(d, "unit"),
    "binary-ranking": lambda d: _binary(d, "unit"),
    "binary-thresholds": lambda d: _binary(d, "unit"),
    "binary-probabilities": lambda d: _binary(d, "unit"),
    "binary-logits": lambda d: _binary(d, "logit"),
    "binary-margins": lambda d: _binary(d, "margin"),
    "multiclass": lambda d: _multiclass(d, "unit", (2, 3, 5)),
    "multiclass-wide": lambda d: _multiclass(d, "unit", (3, 4, 6)),
    "multiclass-probabilities": lambda d: _multiclass(d, "probabilities", (3, 4, 5)),
    "probabilities": lambda d: _multiclass(d, "probabilities", (2, 3, 5)),
    "multiclass-logits": lambda d: _multiclass(d, "logit", (2, 3, 5)),
    "multiclass-logits-wide": lambda d: _multiclass(d, "logit", (3, 4, 5)),
    "multilabel": lambda d: _multilabel(d, "unit") + _multilabel(d + " logits", "logit")[-1:],
    "multilabel-scores": lambda d: _multilabel(d, "unit"),
    "labels": _label_pairs,
    "regression": _regression,
    "regression-multi-output": _multi_output,
    "non-negative": lambda d: _non_negative(d, zero_targets=True, zero_predictions=True),
    "log1p": lambda d: _non_negative(d, zero_targets=True, zero_predictions=True, minus_one=True),
    "positive-predictions": lambda d: _non_negative(d, zero_targets=True, zero_predictions=False),
    "positive": lambda d: _non_negative(d, zero_targets=False, zero_predictions=False),
    "values": lambda d: _non_negative(d, zero_targets=True, zero_predictions=True, same=True),
    "distributions": _distributions,
    "relevance": _relevance,
    "relevance-binary": lambda d: _relevance(d, max_grade=1),
    "segmentation": _segmentation,
}


def domain_inputs(domain: str) -> list[tuple[str, Any]]:
    """The battery's named inputs (``conformance.data.Batch``, canonical form) for an input domain."""
    if domain not in DOMAIN_INPUTS:
        raise KeyError(f"the battery has no inputs for domain {domain!r}: add them to DOMAIN_INPUTS")
    return DOMAIN_INPUTS[domain](domain)


# -- cells -------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Cell:
    """One evaluation: the spec with some parameter values, an input with some weights, fed some way."""

    parameters: dict
    input: str
    weights: str
    feed: str
    batches: tuple  # what update() is fed in order (one call of a stateless library: their concatenation)
    layout: tuple[str, ...] | None = None
    before_reset: Any = None  # a batch fed and then reset() away before ``batches``

    def describe(self) -> str:
        parameters = ", ".join(f"{k}={v!r}" for k, v in self.parameters.items())
        layout = f", layout {self.layout}" if self.layout else ""
        return f"{self.input}, weights {self.weights}, {self.feed}{layout}" + (f" [{parameters}]" if parameters else "")


def weightings(library: str, binding, n: int, rng: np.random.Generator) -> list[tuple[str, Any, tuple | None]]:
    """(name, weights, weight layout) for the weights the binding takes: none, integer (with zeros), fractional
    (with a zero), all zero, and for a library with weight layouts (Keras) (n, 1) and one number per update."""
    from conformance.adapters import get_adapter

    takes = binding.weights and (library != "torchmetrics" or binding.arguments == "values")
    if not takes:
        return [("none", None, None)]
    integer = rng.integers(0, 4, n).astype(F32)
    integer[-1] = 2
    fractional = rng.uniform(0.0625, 3.0, n).astype(F32)
    fractional[min(1, n - 1)] = 0
    if n == 1:
        fractional[0] = 0.75
    found = [("none", None, None), ("integer", integer, None), ("fractional", fractional, None),
             ("all zero", np.zeros(n, F32), None)]
    layouts = get_adapter(library).weight_layouts
    if "column" in layouts:
        found.append(("fractional (n, 1)", fractional, "column"))
    if "scalar" in layouts:
        found.append(("one number per update", np.full(n, 2.5, F32), "scalar"))
    return found


def _split(batch) -> tuple:
    n = len(batch)
    if n < 3:
        return (batch.take(slice(0, 1)), batch.take(slice(1, n)))
    cut = n // 2 + 1
    return batch.take(slice(0, 1)), batch.take(slice(1, cut)), batch.take(slice(cut, n))


def _other_layout(binding, domain) -> tuple[str, str] | None:
    """Keras' other (y_true, y_pred) presentation of per-sample arrays: (n, 1) for (n,) and back."""
    if not (domain.per_sample_pred and domain.per_sample_true) or binding.masks or binding.queries:
        return None
    flipped = {"flat": "column", "column": "flat"}
    if binding.layout[0] not in flipped or binding.layout[1] not in flipped:
        return None
    return flipped[binding.layout[0]], flipped[binding.layout[1]]


def cells(spec, library: str, adapter) -> Iterator[tuple[Cell, Any, Any]]:
    """Every cell of ``spec`` in ``library``, with the spec and binding its parameters give."""
    from conformance.catalogue import empty
    from conformance.data import with_other_targets

    drawn = spec.drawn_for(library)
    inputs = domain_inputs(spec.domain.name)
    for values in itertools.product(*(p.values for p in drawn)):
        parameters = {p.name: v for p, v in zip(drawn, values, strict=True)}
        fixed, binding = spec.with_parameters(library, parameters)
        for position, (name, batch) in enumerate(inputs):
            rng = _rng(f"{spec.domain.name}/{name}", 7)
            for weights_name, weights, weight_layout in weightings(library, binding, len(batch), rng):
                weighted = batch.with_weights(weights)
                layout = None if weight_layout is None else (*binding.layout, weight_layout)
                yield Cell(parameters, name, weights_name, "whole", (weighted,), layout), fixed, binding
                if adapter.stateful and len(batch) > 1:
                    yield Cell(parameters, name, weights_name, "three updates", _split(weighted), layout), fixed, \
                        binding
            if adapter.stateful and position < EXTRA_FEED_INPUTS:
                yield Cell(parameters, name, "none", "an empty update first", (empty(batch), batch)), fixed, binding
                yield Cell(parameters, name, "none", "other data, reset(), then the data", (batch,),
                           before_reset=with_other_targets(batch)), fixed, binding
                other = _other_layout(binding, spec.domain) if adapter.weight_layouts else None
                if other:
                    yield Cell(parameters, name, "none", "whole", (batch,), other), fixed, binding


# -- evaluation --------------------------------------------------------------------------------------

class CellTimeout(Exception):
    """An evaluation ran past CELL_SECONDS."""


@contextlib.contextmanager
def _deadline(seconds: int):
    def expire(signum, frame):
        raise CellTimeout

    previous = signal.signal(signal.SIGALRM, expire)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def evaluate(adapter, spec, binding, cell: Cell) -> Any:
    """The library's value on ``cell`` (nested lists of floats), or the type of what it raised."""
    from conformance.data import concatenate

    try:
        with _deadline(CELL_SECONDS):
            num_classes = cell.batches[0].num_classes
            if adapter.stateful:
                metric = adapter.create(binding, spec.params, num_classes, cell.layout, mode="eager")
                if cell.before_reset is not None:
                    metric.update(cell.before_reset)
                    metric.reset()
                for batch in cell.batches:
                    metric.update(batch)
                value = metric.result()
            else:
                value = adapter.compute(binding, spec.params, concatenate(list(cell.batches)), cell.layout)
            return np.asarray(value, np.float64).tolist()
    except CellTimeout:
        return "Timeout"
    except Exception as error:  # the library's error is an outcome like any value
        return type(error).__name__


def agree(a: Any, b: Any) -> bool:
    """Whether two outcomes agree (see the module's docstring)."""
    if isinstance(a, str) or isinstance(b, str):
        return a == b
    x, y = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if x.shape != y.shape:
        return False
    if not np.array_equal(np.isnan(x), np.isnan(y)) or not np.array_equal(np.isinf(x), np.isinf(y)):
        return False
    if np.any(x[np.isinf(x)] != y[np.isinf(y)]):
        return False
    finite = np.isfinite(x)
    return bool(np.all(np.abs(x[finite] - y[finite]) <= np.maximum(RELATIVE * np.abs(x[finite]), ABSOLUTE)))


# -- tracing -----------------------------------------------------------------------------------------

CO_OPTIMIZED = 0x0001  # a function's frame (not a module's or a class body's, which run at import)


class LineTracer:
    """The lines of the files of ``package`` (a directory) that function frames execute, while active; files by
    their path from the package's parent (``sklearn/metrics/_ranking.py``)."""

    def __init__(self, package: Path) -> None:
        self.root, self.prefix = str(package.parent) + "/", str(package) + "/"
        self.lines: dict[str, set[int]] = {}

    def __enter__(self) -> LineTracer:
        sys.settrace(self._call)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(None)

    def _call(self, frame, event: str, arg: Any):
        code = frame.f_code
        if not code.co_filename.startswith(self.prefix) or not code.co_flags & CO_OPTIMIZED:
            return None
        lines = self.lines.setdefault(code.co_filename[len(self.root):], set())

        def local(frame, event: str, arg: Any):
            if event == "line":
                lines.add(frame.f_lineno)
            return local
        lines.add(code.co_firstlineno)
        return local


def package_directory(library: str) -> Path:
    """The library's package directory, as imported (site-packages', or a mutated copy's)."""
    import importlib

    return Path(importlib.import_module(library).__file__).resolve().parent


# -- the script --------------------------------------------------------------------------------------

def run(library: str, spec_ids: list[str], against: dict | None, trace: bool) -> dict:
    """Each spec's outcomes (or with ``against``, its first differing cell), and with ``trace`` its lines."""
    from conformance.adapters import get_adapter
    from conformance.catalogue import by_id

    warnings.simplefilter("ignore")
    adapter = get_adapter(library)
    adapter.versions()
    specs = by_id()
    package = package_directory(library)
    out: dict[str, Any] = {"values": {}, "differs": {}, "lines": {}, "cells": {}}
    for spec_id in spec_ids:
        spec = specs[spec_id]
        reference = (against or {}).get(spec_id)
        outcomes, difference = [], None
        tracer = LineTracer(package) if trace else contextlib.nullcontext()
        with tracer, np.errstate(all="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            for index, (cell, fixed, binding) in enumerate(cells(spec, library, adapter)):
                outcome = evaluate(adapter, fixed, binding, cell)
                outcomes.append(outcome)
                if reference is not None and (index >= len(reference) or not agree(reference[index], outcome)):
                    difference = {"cell": cell.describe(), "original": reference[index] if index < len(reference)
                                  else "(no such cell)", "mutant": outcome}
                    break
        out["cells"][spec_id] = len(outcomes)
        if against is None:
            out["values"][spec_id] = outcomes
        elif difference is not None:
            out["differs"][spec_id] = difference
        if trace:
            out["lines"][spec_id] = {file: sorted(lines) for file, lines in tracer.lines.items()}
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="bug_power's battery (run by benchmarks/bug_power.py)")
    parser.add_argument("library")
    parser.add_argument("specs", nargs="+")
    parser.add_argument("--out", required=True)
    parser.add_argument("--against", help="the original's outcomes (this script's --out of an unmutated run)")
    parser.add_argument("--trace", action="store_true")
    args = parser.parse_args(argv)
    against = json.loads(Path(args.against).read_text())["values"] if args.against else None
    result = run(args.library, args.specs, against, args.trace)
    Path(args.out).write_text(json.dumps(result, allow_nan=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
