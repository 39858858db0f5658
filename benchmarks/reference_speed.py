"""The NumPy references against the scikit-learn functions they mirror, at 10^7 samples.

The references are specifications, and also tools: on large inputs they must be no slower than
scikit-learn (exact AUC by one sort, confusion counts by one bincount, no Python loop over samples)
and use O(n) memory. For each pair this prints both times, their ratio (reference / scikit-learn;
at most 1.0 is the target) and the reference's peak extra memory per sample, traced by tracemalloc
(NumPy reports its allocations to it), against the bytes per sample of the inputs themselves.

    .venv/bin/python benchmarks/reference_speed.py [--samples 10000000] [--repeat 3] [--only AUC,MCC]
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance import reference as ref

CLASSES = 5


@dataclass(frozen=True)
class Pair:
    name: str
    inputs: str  # the key of the data set in make_inputs()
    reference: Callable[[dict], object]
    sklearn: Callable[[dict], object]


def make_inputs(n: int) -> dict[str, dict]:
    """The data sets, float32 scores as the harness draws them, with ties (a grid of 1000 values)."""
    rng = np.random.default_rng(0)
    binary = {"y": rng.integers(0, 2, n), "s": (rng.integers(0, 1000, n) / 1000).astype(np.float32)}
    binary["p"] = (binary["s"] > 0.5).astype(np.int64)
    labels = {"y": rng.integers(0, CLASSES, n), "p": rng.integers(0, CLASSES, n)}
    # Regression inputs in float64: the references compute in float64 by definition and scikit-learn in its
    # inputs' dtype, so this compares equal precision (given float32, scikit-learn also halves its memory traffic).
    truth = rng.normal(size=n)
    regression = {"y": truth, "p": truth + rng.normal(scale=0.5, size=n)}
    positive = {"y": np.abs(truth) + 0.1, "p": np.abs(regression["p"]) + 0.1}
    return {"binary": binary, "labels": labels, "regression": regression, "positive": positive}


def pairs() -> list[Pair]:
    from sklearn import metrics as sk

    return [
        Pair("roc_auc", "binary", lambda d: ref.roc_auc(d["y"], d["s"]), lambda d: sk.roc_auc_score(d["y"], d["s"])),
        Pair("average_precision", "binary", lambda d: ref.average_precision(d["y"], d["s"]),
             lambda d: sk.average_precision_score(d["y"], d["s"])),
        Pair("binary_confusion_counts", "binary", lambda d: ref.binary_confusion_counts(d["y"], d["s"]),
             lambda d: sk.confusion_matrix(d["y"], d["p"])),
        Pair("precision", "binary", lambda d: ref.precision(d["y"], d["s"]),
             lambda d: sk.precision_score(d["y"], d["p"])),
        Pair("recall", "binary", lambda d: ref.recall(d["y"], d["s"]), lambda d: sk.recall_score(d["y"], d["p"])),
        Pair("confusion_matrix", "labels", lambda d: ref.confusion_matrix(d["y"], d["p"], num_classes=CLASSES),
             lambda d: sk.confusion_matrix(d["y"], d["p"], labels=list(range(CLASSES)))),
        Pair("fbeta_score (labels, macro)", "labels", lambda d: ref.fbeta_score(
            d["y"], np.eye(CLASSES, dtype=np.float32)[d["p"]], average="macro"),
             lambda d: sk.f1_score(d["y"], d["p"], average="macro")),
        Pair("matthews_corrcoef", "labels", lambda d: ref.matthews_corrcoef(d["y"], d["p"]),
             lambda d: sk.matthews_corrcoef(d["y"], d["p"])),
        Pair("cohen_kappa", "labels", lambda d: ref.cohen_kappa(d["y"], d["p"]),
             lambda d: sk.cohen_kappa_score(d["y"], d["p"])),
        Pair("iou (MeanIoU)", "labels", lambda d: ref.iou(d["y"], d["p"], num_classes=CLASSES),
             lambda d: sk.jaccard_score(d["y"], d["p"], average="macro")),
        Pair("mean_squared_error", "regression", lambda d: ref.mean_squared_error(d["y"], d["p"]),
             lambda d: sk.mean_squared_error(d["y"], d["p"])),
        Pair("root_mean_squared_error", "regression", lambda d: ref.root_mean_squared_error(d["y"], d["p"]),
             lambda d: sk.root_mean_squared_error(d["y"], d["p"])),
        Pair("mean_absolute_error", "regression", lambda d: ref.mean_absolute_error(d["y"], d["p"]),
             lambda d: sk.mean_absolute_error(d["y"], d["p"])),
        Pair("r2_score", "regression", lambda d: ref.r2_score(d["y"], d["p"]), lambda d: sk.r2_score(d["y"], d["p"])),
        Pair("explained_variance_score", "regression", lambda d: ref.explained_variance_score(d["y"], d["p"]),
             lambda d: sk.explained_variance_score(d["y"], d["p"])),
        Pair("mean_absolute_percentage_error", "positive",
             lambda d: ref.mean_absolute_percentage_error(d["y"], d["p"]),
             lambda d: sk.mean_absolute_percentage_error(d["y"], d["p"])),
        Pair("mean_squared_log_error", "positive", lambda d: ref.mean_squared_log_error(d["y"], d["p"]),
             lambda d: sk.mean_squared_log_error(d["y"], d["p"])),
        Pair("mean_tweedie_deviance (power 1.5)", "positive",
             lambda d: ref.mean_tweedie_deviance(d["y"], d["p"], power=1.5),
             lambda d: sk.mean_tweedie_deviance(d["y"], d["p"], power=1.5)),
    ]


def best_time(call: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def peak_bytes(call: Callable[[], object]) -> int:
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs (default 3)")
    parser.add_argument("--only", help="comma-separated names (default: all)")
    args = parser.parse_args()
    n = args.samples
    data = make_inputs(n)
    chosen = [p for p in pairs() if not args.only or any(name in p.name for name in args.only.split(","))]
    print(f"{n:,} samples, best of {args.repeat}; memory: the reference's peak extra bytes per sample "
          "(inputs: their own bytes per sample)")
    print(f"{'reference':36}{'reference s':>12}{'sklearn s':>11}{'ratio':>8}{'peak B/sample':>15}{'inputs':>8}")
    worst = 0.0
    for pair in chosen:
        inputs = data[pair.inputs]
        ours = best_time(lambda: pair.reference(inputs), args.repeat)  # noqa: B023 - called at once
        theirs = best_time(lambda: pair.sklearn(inputs), args.repeat)  # noqa: B023
        memory = peak_bytes(lambda: pair.reference(inputs)) / n  # noqa: B023
        input_bytes = sum(array.nbytes for array in inputs.values()) / n
        worst = max(worst, ours / theirs)
        print(f"{pair.name:36}{ours:12.3f}{theirs:11.3f}{ours / theirs:8.2f}{memory:15.1f}{input_bytes:8.0f}")
    print(f"\nslowest ratio: {worst:.2f} (target <= 1.0: no reference slower than scikit-learn)")


if __name__ == "__main__":
    main()
