"""The confusion-based references against the scikit-learn functions they mirror, at 10^7 samples.

Prints each reference's time, scikit-learn's, and the ratio (below 1: the reference is faster), and the
peak resident memory. ``CASES`` is a list of ``(name, reference call, scikit-learn call)`` factories that a
wider benchmark can import.

    .venv/bin/python benchmarks/confusion_speed.py [--samples N] [--repeats R]
"""

from __future__ import annotations

import argparse
import resource
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance import reference as ref

Call = Callable[[], object]


def cases(n: int, num_classes: int = 5, seed: int = 0) -> list[tuple[str, Call, Call]]:
    """Weighted multiclass labels, binary scores and (n / 16, 4, 4) label maps of ``n`` elements in all."""
    from sklearn import metrics

    rng = np.random.default_rng(seed)
    labels = list(range(num_classes))
    y_true, y_pred = rng.integers(0, num_classes, n), rng.integers(0, num_classes, n)
    weights = rng.random(n)
    binary, scores = rng.integers(0, 2, n), rng.random(n).astype(np.float32)
    above = (scores > 0.5).astype(np.int64)
    maps_true, maps_pred = y_true.reshape(-1, 4, 4), y_pred.reshape(-1, 4, 4)
    image_weights = weights[: len(maps_true)]
    pixel_weights = np.repeat(image_weights, 16)
    return [
        ("confusion_matrix", lambda: ref.confusion_matrix(y_true, y_pred, num_classes=num_classes,
                                                          sample_weight=weights),
         lambda: metrics.confusion_matrix(y_true, y_pred, labels=labels, sample_weight=weights)),
        ("iou (MeanIoU) on label maps", lambda: ref.iou(maps_true, maps_pred, num_classes=num_classes,
                                                        sample_weight=image_weights),
         lambda: metrics.jaccard_score(maps_true.reshape(-1), maps_pred.reshape(-1), labels=labels, average="macro",
                                       sample_weight=pixel_weights)),
        ("matthews_corrcoef", lambda: ref.matthews_corrcoef(y_true, y_pred, sample_weight=weights),
         lambda: metrics.matthews_corrcoef(y_true, y_pred, sample_weight=weights)),
        ("cohen_kappa (quadratic)", lambda: ref.cohen_kappa(y_true, y_pred, weights="quadratic", sample_weight=weights),
         lambda: metrics.cohen_kappa_score(y_true, y_pred, weights="quadratic", sample_weight=weights)),
        ("hamming_distance", lambda: ref.hamming_distance(y_true, y_pred, sample_weight=weights),
         lambda: metrics.hamming_loss(y_true, y_pred, sample_weight=weights)),
        ("specificity (binary)", lambda: ref.specificity(binary, scores, threshold=0.5, sample_weight=weights),
         lambda: metrics.recall_score(binary, above, pos_label=0, sample_weight=weights)),
        ("true_positives at 3 thresholds",
         lambda: ref.true_positives(binary, scores, threshold=[0.25, 0.5, 0.75], sample_weight=weights),
         lambda: [metrics.confusion_matrix(binary, scores > t, labels=[0, 1], sample_weight=weights)
                  for t in (0.25, 0.5, 0.75)]),
    ]


def best_time(call: Call, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=10**7)
    parser.add_argument("--repeats", type=int, default=2)
    args = parser.parse_args()
    n = args.samples - args.samples % 16
    print(f"{'metric':32}{'reference':>11}{'sklearn':>11}{'ratio':>8}   ({n:.0e} samples, best of {args.repeats})")
    for name, ours, theirs in cases(n):
        mine, sklearn = best_time(ours, args.repeats), best_time(theirs, args.repeats)
        print(f"{name:32}{mine:10.2f}s{sklearn:10.2f}s{mine / sklearn:8.2f}")
    print(f"peak resident memory: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
