"""`conformance check` as its user meets it: wall time of the whole command (imports included) on correct and buggy
Keras and torchmetrics metrics of the gallery, ci profile, and where the time goes.

Targets (issue: "checking your own metric, quick"): a correct metric within 20 s, a buggy one within 45 s, on two
cores. Each row is one fresh `conformance check` process; "set-up" is its wall time less the properties' own time
(interpreter start, imports of the library and the harness, building the check); the slowest properties follow.

    .venv/bin/python benchmarks/check_speed.py [--only keras|torchmetrics] [--top 4]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
KERAS = "suites.gallery.keras_metrics"
TORCH = "suites.gallery.torch_metrics"

MSE = ["--reference", "mean_squared_error"]
# (label, library, target, arguments)
CASES = [
    ("correct Keras MSE (float64 state)", "keras", f"{KERAS}:CorrectMSE", [*MSE, "--init", '{"dtype": "float64"}']),
    ("correct Keras guide's BinaryTruePositives", "keras", f"{KERAS}:GuideTruePositives",
     ["--reference", "true_positives"]),
    ("buggy Keras MSE (per-batch average)", "keras", f"{KERAS}:PerBatchAveraging", MSE),
    ("buggy Keras MSE (weights on the numerator)", "keras", f"{KERAS}:WeightsOnNumeratorOnly", MSE),
    ("correct torchmetrics MSE", "torchmetrics", f"{TORCH}:CorrectTorchMSE", MSE),
    ("buggy torchmetrics MSE (assign for add)", "torchmetrics", f"{TORCH}:AssignInsteadOfAccumulate", MSE),
]
TARGET_S = {"correct": 20.0, "buggy": 45.0}


def timed_check(target: str, extra: list[str], json_path: Path) -> tuple[float, dict, int]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "conformance", "check", target, "--json", str(json_path), *extra],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    wall = time.perf_counter() - started
    return wall, json.loads(json_path.read_text()), done.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", choices=("keras", "torchmetrics"))
    parser.add_argument("--top", type=int, default=4, help="slowest properties shown per row")
    args = parser.parse_args()
    print(f"conformance check, ci profile, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} at start")
    with tempfile.TemporaryDirectory() as folder:
        for label, library, target, extra in CASES:
            if args.only and library != args.only:
                continue
            wall, result, status = timed_check(target, extra, Path(folder) / "result.json")
            findings = result["findings"]
            spent = sum(f.get("duration_s", 0.0) for f in findings)
            limit = TARGET_S[label.split()[0]]
            verdict = "within" if wall <= limit else "OVER"
            print(f"\n{label}: {wall:.1f} s wall, exit {status} ({verdict} the {limit:g} s target)")
            print(f"  set-up (interpreter, imports, building the check): {wall - spent:.1f} s; "
                  f"{len(findings)} properties: {spent:.1f} s")
            slowest = sorted(findings, key=lambda f: -f.get("duration_s", 0.0))[:args.top]
            print("  slowest: " + ", ".join(f"{f['property']} {f.get('duration_s', 0.0):.1f} s ({f['outcome']})"
                                            for f in slowest))


if __name__ == "__main__":
    main()
