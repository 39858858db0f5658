"""Harness overhead: a fixed workload timed two ways, and the ratio printed.

1. The harness: ``engine.run`` over a fixed set of metric x library x property cases (ci profile,
   seeded by case id, so the workload is the same on every run), after a warm-up run of the same cases at the
   smoke budget (imports, AutoGraph conversions and other one-time library costs are neither side's).
2. The bare library calls it made: every create / update / result / reset / compute / curve call the
   harness sent to the libraries is recorded during (1), then replayed alone in a tight loop.

Each side starts from a collected heap, and the two alternate ``--repeat`` times (the calls are the same each
time: the ci profile is seeded by case id); the fastest run of each side is kept, as ``timeit`` does, since on a
shared machine a run is only ever slowed down. The ratio (1) / (2) is what the harness costs on top of the libraries
(Hypothesis generation and shrinking, the float64 references, comparisons), overall and per library: the same
harness work per example weighs little beside Keras' millisecond updates and much beside torchmetrics' tens of
microseconds. Also printed: what Hypothesis alone costs per example (an empty property under the same
settings: the part of the ratio no harness code can remove), the peak resident memory, that of a 2^24-sample
stream (``conformance check``'s counts_past_2_24) over the imports alone, and the start-up time of
``conformance --help`` and ``conformance list``.

    .venv/bin/python benchmarks/harness_overhead.py [--metrics A,B] [--libraries keras,sklearn] [--repeat 3]
"""

from __future__ import annotations

import argparse
import gc
import resource
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from conformance import adapters, engine

DEFAULT_METRICS = "BinaryAccuracy,AUC,F1Score[average=macro],MeanSquaredError"


class Recorder:
    """Wraps an adapter: every call to the library goes through and is logged for replay."""

    def __init__(self, adapter, log: list):
        self._adapter, self._log = adapter, log

    def __getattr__(self, name):
        return getattr(self._adapter, name)

    def compute(self, binding, params, batch, layout=None):
        self._log.append(("compute", self._adapter, (binding, params, batch, layout)))
        return self._adapter.compute(binding, params, batch, layout)

    def curve(self, binding, params, batches):  # a library metric fed the example again, for the report's plot
        self._log.append(("curve", self._adapter, (binding, params, batches)))
        return self._adapter.curve(binding, params, batches)

    def create(self, binding, params, num_classes, layout=None, mode=None):
        metric = self._adapter.create(binding, params, num_classes, layout, mode)
        key = len(self._log)
        self._log.append(("create", self._adapter, (binding, params, num_classes, layout, mode)))
        return RecordedMetric(metric, key, self._log)


class RecordedMetric:
    def __init__(self, metric, key: int, log: list):
        self._metric, self._key, self._log = metric, key, log

    def update(self, batch):
        self._log.append(("update", self._key, batch))
        return self._metric.update(batch)

    def result(self):
        self._log.append(("result", self._key, None))
        return self._metric.result()

    def reset(self):
        self._log.append(("reset", self._key, None))
        return self._metric.reset()


def replay(log: list, libraries: list[str]) -> dict[str, float]:
    """Re-issue the logged library calls; return the seconds they took, per library.

    A metric object is let go right after its last call, as the harness lets go of it: freeing one (its
    variables, and traced graphs for a compiled Keras metric) is the library's work, on both sides."""
    metrics, owners, seconds = {}, {}, dict.fromkeys(libraries, 0.0)
    last_use = {(index if kind == "create" else target): index for index, (kind, target, _) in enumerate(log)
                if kind in ("create", "update", "result", "reset")}
    warnings.simplefilter("ignore")  # as the engine does while it runs
    for index, (kind, target, payload) in enumerate(log):
        library = target.name if kind in ("compute", "curve", "create") else owners[target]
        started = time.perf_counter()
        try:
            if kind in ("compute", "curve"):
                getattr(target, kind)(*payload)
            elif kind == "create":
                owners[index] = library
                metrics[index] = target.create(*payload)
            elif kind == "update":
                metrics[target].update(payload)
            elif kind == "result":
                metrics[target].result()
            else:
                metrics[target].reset()
        except Exception:  # the harness saw the same exception; it is part of the workload
            pass
        key = index if kind == "create" else target
        if kind != "compute" and kind != "curve" and last_use.get(key) == index:
            metrics.pop(key, None)
        seconds[library] += time.perf_counter() - started
    return seconds


def hypothesis_floor_ms(runs: int = 40) -> float:
    """Milliseconds per example of Hypothesis alone under the engine's ci settings: a property that draws one
    60-byte string and does nothing else, run as the engine runs a case (a seeded test of 25 examples)."""
    from hypothesis import given, seed
    from hypothesis import strategies as st

    from conformance.profiles import PROFILES

    examples, draw = 0, st.binary(min_size=60, max_size=60)

    def case():
        @given(st.data())
        def empty_property(data):
            nonlocal examples
            examples += 1
            data.draw(draw)
        return empty_property

    started = time.perf_counter()
    for run in range(runs):
        engine._hypothesis_settings(PROFILES["ci"])(seed(run)(case()))()
    return 1000 * (time.perf_counter() - started) / examples


def command_seconds(*args: str) -> float:
    """Wall time of ``python -m conformance ARGS`` in a new process (the import cost included), best of 3."""
    import subprocess

    times = []
    for _ in range(3):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "conformance", *args], capture_output=True, check=True,
                       cwd=Path(__file__).resolve().parents[1])
        times.append(time.perf_counter() - started)
    return min(times)


# VmHWM, not ru_maxrss: Linux carries ru_maxrss over from the parent through fork and exec.
STREAM_MEMORY = """
import re, sys
from conformance.usercheck import check
if sys.argv[1] == "stream":
    check("keras.metrics:MeanSquaredError", "mean_squared_error", properties=["counts_past_2_24"])
else:
    import keras  # the same imports, no stream
    keras.metrics.MeanSquaredError().update_state([[1.0]], [[0.0]])
print(int(re.search(r"VmHWM:\\s+(\\d+)", open("/proc/self/status").read()).group(1)) / 1024)
"""


def stream_memory_mib() -> tuple[float, float]:
    """Peak resident memory (MiB) of a process that runs the 2^24-sample stream check on Keras' MeanSquaredError,
    and of one that only imports the same libraries: the difference is what the stream holds."""
    import subprocess

    def peak(kind: str) -> float:
        done = subprocess.run([sys.executable, "-c", STREAM_MEMORY, kind], capture_output=True, text=True,
                              check=True, cwd=Path(__file__).resolve().parents[1])
        return float(done.stdout.split()[-1])
    return peak("stream"), peak("imports")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--metrics", default=DEFAULT_METRICS)
    parser.add_argument("--libraries", default=",".join(engine.installed_libraries()))
    parser.add_argument("--repeat", type=int, default=3, help="alternate the two sides this many times (default 3)")
    args = parser.parse_args()
    libraries = args.libraries.split(",")

    log: list = []
    for library in libraries:  # import and warm up each library outside the timings
        adapters._cache[library] = Recorder(adapters.get_adapter(library), log)
    cases = engine.plan(args.metrics.split(","), libraries)
    engine.run(cases, "smoke")  # warm-up: one-time library costs (imports, AutoGraph conversions) of every metric
    log.clear()

    runs = []
    for _ in range(args.repeat):
        log.clear()
        gc.collect()  # each side starts from a collected heap: the warm-up's garbage is neither side's cost
        started = time.perf_counter()
        result = engine.run(cases, "ci")
        harness = time.perf_counter() - started
        gc.collect()
        runs.append((harness, result, replay(log, libraries)))
    harness = min(run[0] for run in runs)
    result = min(runs, key=lambda run: run[0])[1]
    bare_by_library = {library: min(run[2][library] for run in runs) for library in libraries}
    bare = sum(bare_by_library.values())
    calls = len(log)

    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"workload: {len(cases)} cases ({args.metrics} x {','.join(libraries)} x every property), "
          f"profile ci, {sum(f.examples_run for f in result.findings)} examples; outcomes {result.counts()}")
    print(f"harness:             {harness:8.2f} s   (fastest of {args.repeat}: "
          f"{', '.join(f'{run[0]:.2f}' for run in runs)})")
    print(f"bare library calls:  {bare:8.2f} s  ({calls} calls replayed; fastest of {args.repeat}: "
          f"{', '.join(f'{sum(run[2].values()):.2f}' for run in runs)})")
    print(f"ratio:               {harness / bare:8.2f} x   (target <= 1.3)")
    examples = sum(f.examples_run for f in result.findings)
    floor = hypothesis_floor_ms() * examples / 1000
    print(f"  of which Hypothesis alone, at least {floor:5.2f} s: {1000 * floor / examples:.2f} ms per example of an "
          f"empty property (one drawn byte string, the same settings), a floor of {(bare + floor) / bare:.2f} x")
    for library, seconds in bare_by_library.items():  # a case's time, the harness's included, by its library
        cases_s = sum(f.duration_s for f in result.findings if f.library == library)
        examples = sum(f.examples_run for f in result.findings if f.library == library)
        print(f"  {library:13s} {cases_s:6.2f} s in its cases, {seconds:6.2f} s in its calls: "
              f"{cases_s / seconds:5.2f} x; harness {1000 * (cases_s - seconds) / examples:.2f} ms per example")
    print(f"peak resident memory {peak_mib:8.0f} MiB")
    stream, imports = stream_memory_mib()
    data_mib = 2**20 * 2 * 4 / 2**20  # the one 2^20-sample batch fed 16 times: y_true and y_pred, float32
    print(f"2^24-sample stream   {stream - imports:8.0f} MiB above the imports alone ({stream:.0f} vs {imports:.0f}); "
          f"its one batch of 2^20 samples is {data_mib:.0f} MiB, fed 16 times (2^24 samples held at once would "
          f"be {16 * data_mib:.0f} MiB; the rest is the library's per-update intermediates)")
    print(f"conformance --help   {command_seconds('--help'):8.2f} s   (target < 0.5; imports neither TensorFlow "
          "nor PyTorch)")
    print(f"conformance list     {command_seconds('list'):8.2f} s   (target < 0.5)")


if __name__ == "__main__":
    main()
