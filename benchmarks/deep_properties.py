"""What the deep properties cost per case on the libraries' own metrics (ci profile): model_evaluate, model_fit,
compile_identifiers, long_stream and counts_past_2_24, CPU seconds per case (process time: the figure that adds up
on the two cores `make report` shares, whatever else the machine runs), beside batch_accumulation for scale.

Each metric's first case pays for its library's imports once (a warm-up case runs first) and for compiling its
model; later cases of the same metric share it (Adapter.cached). `make report` runs every metric; the smoke
profile (`make test`) runs a deep property on one metric per trait (see Property.deep).

    .venv/bin/python benchmarks/deep_properties.py [--metrics A;B] [--libraries keras,torchmetrics]
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections import defaultdict

DEEP = ("model_evaluate", "model_fit", "compile_identifiers", "long_stream", "counts_past_2_24")
METRICS = ("BinaryAccuracy;AUC;Precision;F1Score[average=macro];MeanSquaredError;R2Score;CategoricalCrossentropy;"
           "MeanIoU;PearsonCorrelation")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", default=METRICS, help="';'-separated metric ids")
    parser.add_argument("--libraries", default="keras,torchmetrics")
    args = parser.parse_args()

    from conformance.engine import installed_libraries, plan, run_case
    from conformance.profiles import PROFILES

    profile = PROFILES["ci"]
    libraries = installed_libraries(args.libraries.split(","))
    for library in libraries:  # imports and first traces, outside the figures
        run_case(plan(["MeanSquaredError"], [library], ["agreement"])[0], profile)
    costs: dict[tuple[str, str], list[float]] = defaultdict(list)
    for case in plan(args.metrics.split(";"), libraries, ("batch_accumulation", *DEEP)):
        started = time.process_time()
        finding = run_case(case, profile)
        if finding.outcome == "skip":
            continue
        seconds = time.process_time() - started
        costs[case.prop.name, case.library].append(seconds)
        print(f"{case.id:60} {finding.outcome:6} {finding.examples_run:3} examples {seconds:6.2f} s CPU", flush=True)
    print("\nper case (CPU s): property, library, cases, mean, max")
    for (name, library), values in sorted(costs.items()):
        print(f"  {name:20} {library:13} {len(values):3} {statistics.mean(values):6.2f} {max(values):6.2f}")


if __name__ == "__main__":
    main()
